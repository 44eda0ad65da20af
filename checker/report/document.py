"""The findings document: a :class:`Report` as ``trailcheck.findings/v2`` JSON, and back.

trailcheck writes v2: each rule's title, description, remediation, references and
framework controls once, under ``rules`` keyed by rule id, and findings that name their
rule by ``rule_id`` (plus an optional ``location`` for findings on code). It reads v2 and
the v1 it used to write (where every finding repeated its rule's title, remediation and
frameworks), so ``trailcheck diff`` and ``--baseline`` work across the upgrade.

Reading keeps what a comparison needs: findings, rules, inputs and the time. The sections
of a report read back (waivers, framework, baseline) describe that old run and are not
read.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from checker import __version__, safejson
from checker.errors import InputError
from checker.findings import Finding, RuleInfo
from checker.report.model import Inputs, PolicyInput, Report, SnapshotInput
from checker.schemas.validation import schema_violation

FORMAT_V1 = "trailcheck.findings/v1"
FORMAT_V2 = "trailcheck.findings/v2"
_SCHEMAS = {FORMAT_V1: "findings-v1", FORMAT_V2: "findings"}


def to_document(report: Report) -> dict[str, Any]:
    """The v2 document as plain data, in a fixed key order; rules by id, findings in report order."""
    return {
        "format": FORMAT_V2,
        "tool": {"name": "trailcheck", "version": __version__},
        "generated_at": report.generated_at,
        "inputs": report.inputs.to_dict(),
        "summary": report.summary(),
        "rules": {rule_id: report.rules[rule_id].to_dict() for rule_id in sorted(report.rules)},
        "findings": [finding.to_dict() for finding in report.sorted_findings()],
        **report.sections.to_dict(),
    }


def report_json(report: Report) -> str:
    """Deterministic JSON: same inputs, same bytes (apart from ``generated_at``)."""
    return safejson.dumps(to_document(report), indent=2) + "\n"


def load_report(path: str | Path) -> Report:
    """Read a v2 or v1 findings document; anything else is an :class:`InputError` naming the place."""
    name = str(path)
    data, _ = safejson.load_file(Path(path), "report")
    version = data.get("format") if isinstance(data, dict) else None
    violation = schema_violation(_SCHEMAS.get(str(version), _SCHEMAS[FORMAT_V2]), data)
    if violation is not None:
        hint = f" (expected a {FORMAT_V2} or {FORMAT_V1} report, as written by trailcheck scan --format json)"
        raise InputError(f"{name}: {violation.json_path}", violation.message + hint)
    return from_document(data, name)


def from_document(data: Mapping[str, Any], name: str) -> Report:
    """A schema-valid v1 or v2 document as a Report; ``name`` says where it came from, for errors."""
    findings = tuple(Finding.from_dict(entry) for entry in data["findings"])
    if data["format"] == FORMAT_V2:
        rules = {rule_id: RuleInfo.from_dict(rule_id, entry) for rule_id, entry in data["rules"].items()}
        for index, finding in enumerate(findings):
            if finding.rule_id not in rules:
                raise InputError(f"{name}: $.findings[{index}].rule_id",
                                 f"rule {finding.rule_id!r} is not described under $.rules")
    else:
        rules = _v1_rules(data)
    return Report(findings=findings, rules=rules, inputs=_inputs(data["inputs"]),
                  generated_at=data["generated_at"])


def _v1_rules(data: Mapping[str, Any]) -> dict[str, RuleInfo]:
    """v1 described rules in an optional ``rules`` list and, partly, in every finding."""
    rules = {entry["id"]: RuleInfo.from_dict(entry["id"], entry) for entry in data.get("rules") or ()}
    for entry in data["findings"]:
        rules.setdefault(entry["rule_id"], RuleInfo.from_dict(entry["rule_id"], entry))
    return rules


def _inputs(data: Mapping[str, Any]) -> Inputs:
    snapshot = data.get("snapshot")
    return Inputs(
        snapshot=SnapshotInput(path=snapshot.get("path", ""), sha256=snapshot.get("sha256", ""),
                               collected_at=snapshot.get("collected_at"),
                               ignored_trail_copies=snapshot.get("ignored_trail_copies", 0)) if snapshot else None,
        events=data.get("events"),
        policies=tuple(PolicyInput(path=p["path"], sha256=p["sha256"]) for p in data.get("policies") or ()),
    )
