"""SARIF 2.1.0 output (``findings.sarif``) for GitHub code scanning and other SARIF viewers.

Code scanning shows results, and takes at most 25,000 per run and 10 MB of gzipped SARIF
per upload (it displays 5,000). So the results are the problems of
:mod:`checker.formats.problems`: ``fail`` and ``error`` findings only, a region rule's
failing findings in one account as one result that says which Regions, the worst first.
When even these do not fit, the worst are kept and the run says what was left out
(``run.properties.left_out`` and a tool notification); the JSON report has every finding.

Every rule in effect is listed so a viewer can show its help, with the rule's first
reference as ``helpUri``. Each result carries a stable ``partialFingerprints`` entry so
code scanning tracks the same problem across runs (an aggregate's is that of its rule and
account: it does not move when the failing Regions change), logical locations for the AWS
account, region and resource, and a physical location (the finding's own file and line
when it has one, else the snapshot file, else the rule's policy file) because code
scanning rejects results without one.
"""

from __future__ import annotations

import zlib
from collections import Counter
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from checker import __version__, safejson
from checker.findings import STATUSES, Finding, RuleInfo
from checker.formats.common import framework_refs
from checker.formats.interface import StreamedRender, TextSink
from checker.formats.problems import Problem, problems
from checker.report.model import Report

SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "trailcheck/v1"

# GitHub code scanning's hard limits (it rejects an upload past them).
MAX_RESULTS = 25_000
MAX_GZIPPED_BYTES = 10_000_000
MAX_TAGS = 20
# Gzipped bytes kept free for what is written besides the results (rules, run properties).
RESERVED_GZIPPED_BYTES = 1_000_000
# A result carries its finding's evidence up to this size; larger evidence is named, not copied.
EVIDENCE_MAX_CHARS = 4_000
# An aggregate's message gives each failing Region's message up to this length.
MESSAGE_MAX_CHARS = 4_000
FULL_REPORT = "the JSON report (--format json, findings.json)"

# GitHub code scanning reads ``security-severity`` as a CVSS-like score in a string.
SECURITY_SEVERITY: dict[str, str] = {
    "critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0",
}
LEVEL: dict[str, str] = {
    "critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note",
}


SOURCE_ROOT = "%SRCROOT%"
"""The ``uriBaseId`` of relative URIs: the repository root, where trailcheck runs in CI."""


def _uri_reference(path: str) -> str:
    """A SARIF ``uri``: relative to the working directory when the file is under it."""
    candidate = Path(path)
    if candidate.is_absolute():
        try:
            candidate = candidate.relative_to(Path.cwd())
        except ValueError:
            return candidate.as_uri()
    return quote(PurePosixPath(*candidate.parts).as_posix(), safe="/")


def _source_file_and_line(source: str | None) -> tuple[str, int] | None:
    """``policies/x.yaml:12`` -> (``policies/x.yaml``, 12); no line -> line 1."""
    if not source:
        return None
    path, _, line = source.rpartition(":")
    if path and line.isdigit() and int(line) >= 1:
        return path, int(line)
    return source, 1


def _physical_location(report: Report, problem: Problem, rule: RuleInfo) -> dict[str, Any] | None:
    """The problem's file and line, else the snapshot file, else the rule's definition."""
    snapshot = report.inputs.snapshot
    location = problem.location
    if location is not None:
        target: tuple[str, int] | None = (location.file, location.line)
    elif snapshot is not None:
        target = (snapshot.path, 1)
    else:
        target = _source_file_and_line(rule.source)
    if target is None:
        return None
    path, line = target
    artifact = {"uri": _uri_reference(path)}
    if not artifact["uri"].startswith("file:"):
        artifact["uriBaseId"] = SOURCE_ROOT
    return {"artifactLocation": artifact, "region": {"startLine": line}}


def _logical_locations(problem: Problem) -> list[dict[str, str]]:
    """Account, then region, then resource, each qualified by the ones before it."""
    locations: list[dict[str, str]] = []
    qualified: list[str] = []
    for kind, name in (("account", problem.account_id), ("region", problem.region),
                       ("resource", problem.resource)):
        if name:
            qualified.append(name)
            locations.append({"name": name, "kind": kind, "fullyQualifiedName": "/".join(qualified)})
    return locations


def _help(rule: RuleInfo) -> dict[str, str]:
    refs = framework_refs(rule.frameworks)
    description = rule.description or rule.title
    text = [description]
    markdown = [f"**{rule.title}**", "", description]
    if rule.remediation:
        text += ["", f"Remediation: {rule.remediation}"]
        markdown += ["", "## Remediation", "", rule.remediation]
    if refs:
        text += ["", f"Frameworks: {', '.join(refs)}"]
        markdown += ["", "## Frameworks", "", *[f"- `{ref}`" for ref in refs]]
    if rule.references:
        text += ["", "References:", *rule.references]
        markdown += ["", "## References", "", *[f"- <{url}>" for url in rule.references]]
    return {"text": "\n".join(text), "markdown": "\n".join(markdown)}


def _rule_descriptor(rule: RuleInfo) -> dict[str, Any]:
    """The rule's help and metadata; its tags are cut at code scanning's limit (the help
    lists every framework control)."""
    properties: dict[str, Any] = {
        "tags": ["security", "cloudtrail", *framework_refs(rule.frameworks)][:MAX_TAGS],
        "security-severity": SECURITY_SEVERITY[rule.severity],
        "severity": rule.severity,
    }
    if rule.scope:
        properties["scope"] = rule.scope
    descriptor: dict[str, Any] = {
        "id": rule.id,
        "name": "".join(word.capitalize() for word in rule.id.replace("_", "-").split("-")),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.description or rule.title},
        "help": _help(rule),
        "defaultConfiguration": {"level": LEVEL[rule.severity]},
        "properties": properties,
    }
    if rule.references:
        descriptor["helpUri"] = rule.references[0]
    return descriptor


def _baseline_states(report: Report) -> dict[str, str]:
    """Finding fingerprint -> SARIF ``baselineState`` when a baseline diff is in the report."""
    baseline = report.sections.baseline
    if baseline is None:
        return {}
    states = {change.finding.fingerprint: "new" for change in baseline.new}
    states.update((change.finding.fingerprint, "unchanged") for change in baseline.still_failing)
    return states


def _baseline_state(problem: Problem, states: dict[str, str]) -> str | None:
    """``unchanged`` when any of its findings failed before, ``new`` when all are new."""
    found = {states.get(finding.fingerprint) for finding in problem.findings}
    return next((state for state in ("unchanged", "new") if state in found), None)


def _evidence(finding: Finding) -> dict[str, Any]:
    """The finding's evidence, or where to find it when it is too large to repeat here."""
    text = safejson.dumps(finding.evidence, separators=(",", ":"))
    if len(text) <= EVIDENCE_MAX_CHARS:
        return {"evidence": finding.evidence}
    return {"evidence_omitted": f"{len(text):,} characters of evidence, in {FULL_REPORT} "
                                f"under fingerprint {finding.fingerprint}"}


def _message(problem: Problem, rule: RuleInfo) -> str:
    """The finding's message; an aggregate's says where it fails, then each Region's message
    (up to ``MESSAGE_MAX_CHARS``, then how many more the JSON report has)."""
    if not problem.aggregated:
        message = problem.first.message or rule.title
    else:
        parts = [f"{problem.regions_summary()}."]
        for shown, finding in enumerate(problem.findings):
            text = finding.message or rule.title
            part = text if text.startswith(f"{finding.region}:") else f"{finding.region or '-'}: {text}"
            if shown and sum(map(len, parts)) + len(part) > MESSAGE_MAX_CHARS:
                parts.append(f"(the messages of {len(problem.findings) - shown} more Regions are in {FULL_REPORT})")
                break
            parts.append(part if part.endswith(".") else part + ".")
        message = " ".join(parts)
    if problem.status == "error":
        message = f"{message} (status error: trailcheck could not evaluate this unit; see evidence)"
    return message


def _result(report: Report, problem: Problem, rule_index: int, states: dict[str, str]) -> dict[str, Any]:
    rule = report.rule(problem.first)
    location: dict[str, Any] = {}
    physical = _physical_location(report, problem, rule)
    if physical:
        location["physicalLocation"] = physical
    logical = _logical_locations(problem)
    if logical:
        location["logicalLocations"] = logical
    properties: dict[str, Any] = {"status": problem.status, "severity": problem.severity}
    if problem.aggregated:
        properties["regions"] = problem.regions()
    properties.update(_evidence(problem.first))
    result: dict[str, Any] = {
        "ruleId": problem.rule_id,
        "ruleIndex": rule_index,
        "level": "error" if problem.status == "error" else LEVEL[problem.severity],
        "message": {"text": _message(problem, rule)},
        "locations": [location] if location else [],
        "partialFingerprints": {FINGERPRINT_KEY: problem.fingerprint},
        "properties": properties,
    }
    state = _baseline_state(problem, states)
    if state is not None:
        result["baselineState"] = state
    return result


def _fitting(head: str, results: Iterable[str]) -> list[str]:
    """The first of ``results`` that fit code scanning's limits after ``head``.

    The gzipped size is measured with a running compressor, flushed every 256 KiB so that
    what it holds back is counted at full size: the measure never falls short.
    """
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
    compressed = len(compressor.compress(head.encode()))
    pending = 0
    kept: list[str] = []
    for text in results:
        data = text.encode() + b",\n"
        compressed += len(compressor.compress(data))
        pending += len(data)
        if pending > 256 * 1024:
            compressed += len(compressor.flush(zlib.Z_SYNC_FLUSH))
            pending = 0
        if len(kept) == MAX_RESULTS or compressed + pending > MAX_GZIPPED_BYTES - RESERVED_GZIPPED_BYTES:
            break
        kept.append(text)
    return kept


def _left_out(report: Report, listed: list[Problem], kept: int) -> dict[str, Any]:
    """What the results do not show, and where it is."""
    by_status = Counter(finding.status for finding in report.findings)
    aggregates = [problem for problem in listed if problem.aggregated]
    cut = listed[kept:]
    left_out: dict[str, Any] = {
        "not_results": {status: by_status[status] for status in STATUSES if status not in ("fail", "error")},
        "aggregated": {"results": len(aggregates),
                       "findings": sum(len(problem.findings) for problem in aggregates)},
        "full_report": FULL_REPORT,
    }
    if cut:
        cut_statuses = Counter(problem.status for problem in cut)
        left_out["cut"] = {
            "results": len(cut),
            "findings": sum(len(problem.findings) for problem in cut),
            "by_status": {status: cut_statuses[status] for status in ("fail", "error")},
            "by_rule": dict(sorted(Counter(problem.rule_id for problem in cut).items())),
            "reason": f"GitHub code scanning takes at most {MAX_RESULTS:,} results and "
                      f"{MAX_GZIPPED_BYTES // 1_000_000} MB of gzipped SARIF per upload",
        }
    return left_out


def _notifications(left_out: dict[str, Any]) -> list[dict[str, Any]]:
    """The same, said to a reader of the run (code scanning shows tool notifications)."""
    others = ", ".join(f"{count} {status}" for status, count in left_out["not_results"].items())
    aggregated = left_out["aggregated"]
    notes = [{"level": "note", "message": {"text": (
        f"Results are the fail and error findings only ({others} findings are in {FULL_REPORT}); "
        f"a region rule's failing findings in one account are one result: {aggregated['findings']:,} "
        f"findings in {aggregated['results']:,} results.")}}]
    cut = left_out.get("cut")
    if cut:
        notes.append({"level": "warning", "message": {"text": (
            f"{cut['results']:,} results ({cut['findings']:,} failing findings) were left out, the least "
            f"severe first: {cut['reason']}. Every finding is in {FULL_REPORT}.")}})
    return notes


def write_sarif(report: Report, out: TextSink) -> None:
    """The SARIF log (one run): the run's description on a few lines, then one result a line."""
    rule_ids = sorted(report.rules)
    indexes = {rule_id: index for index, rule_id in enumerate(rule_ids)}
    states = _baseline_states(report)
    listed = problems(report)
    texts = (safejson.dumps(_result(report, problem, indexes[problem.rule_id], states)) for problem in listed)
    tool = safejson.dumps({"driver": {
        "name": "trailcheck",
        "version": __version__,
        "semanticVersion": __version__,
        "rules": [_rule_descriptor(report.rules[rule_id]) for rule_id in rule_ids],
    }})
    kept = _fitting(tool, texts)
    left_out = _left_out(report, listed, len(kept))
    invocations = safejson.dumps([{"executionSuccessful": True,
                                   "toolExecutionNotifications": _notifications(left_out)}])
    properties = safejson.dumps({"generated_at": report.generated_at, "summary": report.summary(),
                                 "left_out": left_out})
    out.write(f'{{"$schema": {safejson.dumps(SARIF_SCHEMA_URI)}, "version": "2.1.0", "runs": [{{\n'
              f'"tool": {tool},\n"invocations": {invocations},\n"properties": {properties},\n"results": [')
    for index, text in enumerate(kept):
        out.write(("\n" if index == 0 else ",\n") + text)
    out.write("\n]}]}\n")


class SarifFormat(StreamedRender):
    """``--format sarif`` -> ``findings.sarif``."""

    name: str = "sarif"
    filename: str | None = "findings.sarif"

    def write(self, report: Report, out: TextSink) -> None:
        write_sarif(report, out)


FORMAT = SarifFormat()
