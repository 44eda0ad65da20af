"""SARIF 2.1.0 output (``findings.sarif``) for GitHub code scanning and other SARIF viewers.

Code scanning only shows results, so only ``fail`` and ``error`` findings become results;
every known rule is still listed so a viewer can show its help. Each result carries a
stable ``partialFingerprints`` entry (the finding's fingerprint) so code scanning tracks the
same problem across runs, logical locations for the AWS account, region and resource, and
a physical location (the snapshot file, else the rule's policy file) because code scanning
rejects results without one.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from checker import __version__
from checker.findings import Finding, Report, severity_rank, status_rank
from checker.formats.common import RuleInfo, framework_refs, rule_catalogue

SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
FINGERPRINT_KEY = "trailcheck/v1"

# GitHub code scanning reads ``security-severity`` as a CVSS-like score in a string.
SECURITY_SEVERITY: dict[str, str] = {
    "critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0", "info": "0.0",
}
LEVEL: dict[str, str] = {
    "critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note",
}


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


def _physical_location(report: Report, rule: RuleInfo) -> dict[str, Any] | None:
    """The snapshot file when there is one, else the rule's definition in its policy file."""
    snapshot = (report.inputs.get("snapshot") or {}).get("path")
    target = (str(snapshot), 1) if snapshot else _source_file_and_line(rule.source)
    if target is None:
        return None
    path, line = target
    return {"artifactLocation": {"uri": _uri_reference(path)}, "region": {"startLine": line}}


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
    text = [rule.description]
    markdown = [f"**{rule.title}**", "", rule.description]
    if rule.remediation:
        text += ["", f"Remediation: {rule.remediation}"]
        markdown += ["", "## Remediation", "", rule.remediation]
    if refs:
        text += ["", f"Frameworks: {', '.join(refs)}"]
        markdown += ["", "## Frameworks", "", *[f"- `{ref}`" for ref in refs]]
    return {"text": "\n".join(text), "markdown": "\n".join(markdown)}


def _rule_descriptor(rule: RuleInfo) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "tags": ["security", "cloudtrail", *framework_refs(rule.frameworks)],
        "security-severity": SECURITY_SEVERITY[rule.severity],
        "severity": rule.severity,
    }
    if rule.scope:
        properties["scope"] = rule.scope
    return {
        "id": rule.id,
        "name": "".join(word.capitalize() for word in rule.id.replace("_", "-").split("-")),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.description},
        "help": _help(rule),
        "defaultConfiguration": {"level": LEVEL[rule.severity]},
        "properties": properties,
    }


def _baseline_states(report: Report) -> dict[str, str]:
    """Fingerprint -> SARIF ``baselineState`` when a baseline diff is in the report."""
    baseline = report.extra.get("baseline")
    if not baseline:
        return {}
    states: dict[str, str] = {}
    for key, state in (("new", "new"), ("still_failing", "unchanged")):
        for entry in baseline.get(key) or []:
            states[Finding.from_dict(entry).fingerprint] = state
    return states


def _result(report: Report, finding: Finding, rule_index: int, rule: RuleInfo,
            baseline_states: dict[str, str]) -> dict[str, Any]:
    message = finding.message or rule.title
    if finding.status == "error":
        message = f"{message} (status error: trailcheck could not evaluate this unit; see evidence)"
    location: dict[str, Any] = {}
    physical = _physical_location(report, rule)
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


def _worst_first(finding: Finding) -> tuple[int, int, tuple[str, str, str, str]]:
    """Results worst first (status, then severity), as code scanning shows only the first ones."""
    return status_rank(finding.status), severity_rank(finding.severity), finding.sort_key()


def to_sarif(report: Report) -> dict[str, Any]:
    """The SARIF log as a dict (one run)."""
    catalogue = rule_catalogue(report)
    indexes = {rule_id: index for index, rule_id in enumerate(catalogue)}
    baseline_states = _baseline_states(report)
    results = [_result(report, finding, indexes[finding.rule_id], catalogue[finding.rule_id],
                       baseline_states)
               for finding in sorted(report.findings, key=_worst_first) if finding.status in ("fail", "error")]
    return {
        "$schema": SARIF_SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "trailcheck",
                "version": __version__,
                "semanticVersion": __version__,
                "rules": [_rule_descriptor(rule) for rule in catalogue.values()],
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
        return json.dumps(to_sarif(report), indent=2, ensure_ascii=False) + "\n"


FORMAT = SarifFormat()
