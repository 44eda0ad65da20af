"""SARIF 2.1.0 output (``findings.sarif``) for GitHub code scanning and other SARIF viewers.

Code scanning only shows results, so only ``fail`` and ``error`` findings become results,
the worst first (it displays the first ones only); every rule in effect is still listed
so a viewer can show its help, with the rule's first reference as ``helpUri``. Each result
carries a stable ``partialFingerprints`` entry (the finding's fingerprint) so code
scanning tracks the same problem across runs, logical locations for the AWS account,
region and resource, and a physical location (the finding's own file and line when it has
one, else the snapshot file, else the rule's policy file) because code scanning rejects
results without one.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from checker import __version__, safejson
from checker.findings import FAILING, Finding, RuleInfo
from checker.formats.common import framework_refs
from checker.report.model import Report

SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "trailcheck/v1"

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


def _physical_location(report: Report, finding: Finding, rule: RuleInfo) -> dict[str, Any] | None:
    """The finding's file and line, else the snapshot file, else the rule's definition."""
    snapshot = report.inputs.snapshot
    if finding.location is not None:
        target: tuple[str, int] | None = (finding.location.file, finding.location.line)
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


def _logical_locations(finding: Finding) -> list[dict[str, str]]:
    """Account, then region, then resource, each qualified by the ones before it."""
    locations: list[dict[str, str]] = []
    qualified: list[str] = []
    for kind, name in (("account", finding.account_id), ("region", finding.region),
                       ("resource", finding.resource)):
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
    properties: dict[str, Any] = {
        "tags": ["security", "cloudtrail", *framework_refs(rule.frameworks)],
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
    """Fingerprint -> SARIF ``baselineState`` when a baseline diff is in the report."""
    baseline = report.sections.baseline
    if baseline is None:
        return {}
    states = {change.finding.fingerprint: "new" for change in baseline.new}
    states.update((change.finding.fingerprint, "unchanged") for change in baseline.still_failing)
    return states


def _result(report: Report, finding: Finding, rule_index: int, rule: RuleInfo,
            baseline_states: dict[str, str]) -> dict[str, Any]:
    message = finding.message or rule.title
    if finding.status == "error":
        message = f"{message} (status error: trailcheck could not evaluate this unit; see evidence)"
    location: dict[str, Any] = {}
    physical = _physical_location(report, finding, rule)
    if physical:
        location["physicalLocation"] = physical
    logical = _logical_locations(finding)
    if logical:
        location["logicalLocations"] = logical
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": "error" if finding.status == "error" else LEVEL[finding.severity],
        "message": {"text": message},
        "locations": [location] if location else [],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "properties": {"status": finding.status, "severity": finding.severity,
                       "evidence": finding.evidence},
    }
    if finding.fingerprint in baseline_states:
        result["baselineState"] = baseline_states[finding.fingerprint]
    return result


def to_sarif(report: Report) -> dict[str, Any]:
    """The SARIF log as a dict (one run)."""
    rule_ids = sorted(report.rules)
    indexes = {rule_id: index for index, rule_id in enumerate(rule_ids)}
    baseline_states = _baseline_states(report)
    results = [_result(report, finding, indexes[finding.rule_id], report.rule(finding), baseline_states)
               for finding in sorted(report.findings, key=Finding.worst_first_key)
               if finding.status in FAILING]
    return {
        "$schema": SARIF_SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "trailcheck",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": [_rule_descriptor(report.rules[rule_id]) for rule_id in rule_ids],
            }},
            "results": results,
            "properties": {"generated_at": report.generated_at, "summary": report.summary()},
        }],
    }


class SarifFormat:
    """``--format sarif`` -> ``findings.sarif``."""

    name: str = "sarif"
    filename: str | None = "findings.sarif"

    def render(self, report: Report) -> str:
        return safejson.dumps(to_sarif(report), indent=2) + "\n"


FORMAT = SarifFormat()
