"""The findings document: a :class:`Report` as ``trailcheck.findings/v2`` JSON, and back.

trailcheck writes v2: each rule's title, description, remediation, references and
framework controls once, under ``rules`` keyed by rule id, and findings that name their
rule by ``rule_id`` (plus an optional ``location`` for findings on code), with evidence that
repeats stated once under ``shared`` (:mod:`checker.report.shared`). It reads v2 and
the v1 it used to write (where every finding repeated its rule's title, remediation and
frameworks), so ``trailcheck diff`` and ``--baseline`` work across the upgrade.

Writing streams (:func:`write_report_json`): the outer levels one member per line, and each
rule, each finding and each element of a section's list compact on a line of its own, by
the C encoder (``indent`` would run Python's pure-Python encoder: 20 s for the 150,000
findings of a 1,000-account organization). Any JSON parser reads it; ``grep`` and
``head`` work a finding at a time; the same report gives the same bytes.

Reading keeps what a comparison needs: findings, rules, inputs and the time. The sections
of a report read back (waivers, framework, baseline) describe that old run and are not
read.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from checker import __version__, safejson
from checker.errors import InputError
from checker.findings import Finding, RuleInfo
from checker.forked import in_two, worth_forking
from checker.report.model import Inputs, PolicyInput, Report, SnapshotInput
from checker.report.shared import SharedEvidence, resolver
from checker.schemas.fast_check import definition_check
from checker.schemas.validation import SchemaViolation, schema_violation

FORMAT_V1 = "trailcheck.findings/v1"
FORMAT_V2 = "trailcheck.findings/v2"
_SCHEMAS = {FORMAT_V1: "findings-v1", FORMAT_V2: "findings"}


def to_document(report: Report) -> dict[str, Any]:
    """The v2 document as plain data, in a fixed key order; rules by id, findings in report order."""
    return {key: [finding.to_dict() for finding in value] if key == "findings" else value
            for key, value in _members(report)}


def _members(report: Report) -> Iterable[tuple[str, Any]]:
    """The document's members in order, the findings as :class:`Finding` objects (each becomes
    a dict only when it is written)."""
    yield "format", FORMAT_V2
    yield "tool", {"name": "trailcheck", "version": __version__}
    yield "generated_at", report.generated_at
    yield "inputs", report.inputs.to_dict()
    yield "summary", report.summary()
    yield "rules", {rule_id: report.rules[rule_id].to_dict() for rule_id in sorted(report.rules)}
    yield "findings", report.sorted_findings()
    yield from report.sections.to_dict().items()


def report_json(report: Report) -> str:
    """The text :func:`write_report_json` writes, as one string (for tests and small reports)."""
    pieces: list[str] = []
    write_report_json(report, pieces.append)
    return "".join(pieces)


Write = Callable[[str], object]
"""Where the report's text goes, a piece at a time (a file's ``write``, a list's ``append``)."""


def write_report_json(report: Report, write: Write) -> None:
    """Deterministic JSON: same inputs, same bytes (apart from ``generated_at``), written in
    pieces of one line each. Evidence that repeats is stated once, under ``shared`` before the
    findings (checker.report.shared). Past :data:`checker.forked.PARALLEL_UNITS` findings, a
    forked worker encodes the second half of the findings' lines."""
    findings = report.sorted_findings()
    shared = SharedEvidence(finding.evidence for finding in findings)

    def encoded(part: Sequence[Finding]) -> list[str]:
        return [_finding_json(finding, shared) for finding in part]

    if worth_forking(len(findings)):
        half = len(findings) // 2
        first, second = in_two(lambda: encoded(findings[:half]), lambda: encoded(findings[half:]))
        lines = first + second
    else:
        lines = encoded(findings)
    document: dict[str, Any] = {}
    for key, value in _members(report):
        if key == "findings":
            document["shared"] = shared.table
            value = [_Line(line) for line in lines]
        document[key] = value
    _Layout(write).write("", document, 0)
    write("\n")


def _finding_json(finding: Finding, shared: SharedEvidence) -> str:
    """The finding's line: encoded by the C encoder with a stand-in for its evidence, then the
    evidence's own text (encoded once per evidence object) put in its place. The first
    ``"evidence":0,`` outside a string is that member: the members before it are strings or
    null, whose quotes inside are escaped."""
    data = finding.to_dict()
    data["evidence"] = 0
    evidence = shared.text(finding.evidence, compact_json)
    return compact_json(data).replace(_EVIDENCE_STAND_IN, f'"evidence":{evidence},', 1)


_EVIDENCE_STAND_IN = '"evidence":0,'


class _Line(str):
    """A finding already encoded: the layout writes it as it is."""


_COMPACT = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"), check_circular=False)
"""Reports are trees of plain data (no container holds itself), so the encoder keeps no
record of the containers it is in: a sixth of its time at organization scale."""
_INDENT = "  "


def compact_json(value: Any) -> str:
    """``value`` as JSON on one line, by the C encoder (a non-finite number, which only a
    lenient input can bring, as its name in a string, as :func:`checker.safejson.dumps` writes it)."""
    try:
        return _COMPACT.encode(value)
    except ValueError:
        return safejson.dumps(value, separators=(",", ":"))


class _Layout:
    """The report's layout: objects down to the document's members, and lists of objects down
    to a section's lists, have one member or element per line; the rest is compact."""

    def __init__(self, write: Write) -> None:
        self._out = write

    def write(self, lead: str, value: Any, level: int) -> None:
        """Write ``lead`` (separator, indentation, key) and then ``value``."""
        if isinstance(value, dict) and value and level < 2:
            self._container(lead + "{", "}", ((compact_json(key) + ": ", item) for key, item in value.items()), level)
        elif isinstance(value, list) and value and level < 3 and all(isinstance(i, (dict, _Line)) for i in value):
            self._container(lead + "[", "]", (("", item) for item in value), level)
        else:
            self._out(lead + (value if isinstance(value, _Line) else compact_json(value)))

    def _container(self, opening: str, closing: str, members: Iterable[tuple[str, Any]], level: int) -> None:
        pad = "\n" + _INDENT * (level + 1)
        lead = opening + pad
        for prefix, item in members:
            self.write(lead + prefix, item, level + 1)
            lead = "," + pad
        self._out("\n" + _INDENT * level + closing)


def load_report(path: str | Path) -> Report:
    """Read a v2 or v1 findings document; anything else is an :class:`InputError` naming the place."""
    name = str(path)
    data, _ = safejson.load_file(Path(path), "report")
    version = data.get("format") if isinstance(data, dict) else None
    violation = _violation(_SCHEMAS.get(str(version), _SCHEMAS[FORMAT_V2]), data)
    if violation is not None:
        hint = f" (expected a {FORMAT_V2} or {FORMAT_V1} report, as written by trailcheck scan --format json)"
        raise InputError(f"{name}: {violation.json_path}", violation.message + hint)
    return from_document(data, name)


def _violation(schema_name: str, data: Any) -> SchemaViolation | None:
    """The document's first violation of its schema. The findings (180,000 at organization
    scale) pass a fast check each, and jsonschema judges the rest of the document, and a
    finding only when the check refuses it, to say what is wrong. The ``baseline`` section,
    the old run's own comparison with the run before it, is not read and not judged."""
    findings = data.get("findings") if isinstance(data, dict) else None
    if not isinstance(findings, list):
        return schema_violation(schema_name, data)
    envelope = {key: value for key, value in data.items() if key not in ("findings", "baseline")}
    violation = schema_violation(schema_name, {**envelope, "findings": []})
    if violation is not None:
        return violation
    check = definition_check(schema_name, "finding")
    for index, finding in enumerate(findings):
        if not check(finding):
            found = schema_violation(schema_name, {**envelope, "findings": [finding]})
            if found is not None:
                where = found.json_path.removeprefix("$.findings[0]")
                return SchemaViolation(("findings", index, *found.path[2:]), f"$.findings[{index}]{where}",
                                       found.message)
    return None


def from_document(data: Mapping[str, Any], name: str) -> Report:
    """A schema-valid v1 or v2 document as a Report; ``name`` says where it came from, for errors."""
    if data["format"] == FORMAT_V2:
        resolve = resolver(data.get("shared") or (), name)
        findings = tuple(Finding.from_dict({**entry, "evidence": resolve(entry.get("evidence") or {})})
                         for entry in data["findings"])
        rules = {rule_id: RuleInfo.from_dict(rule_id, entry) for rule_id, entry in data["rules"].items()}
        for index, finding in enumerate(findings):
            if finding.rule_id not in rules:
                raise InputError(f"{name}: $.findings[{index}].rule_id",
                                 f"rule {finding.rule_id!r} is not described under $.rules")
    else:
        findings = tuple(Finding.from_dict(entry) for entry in data["findings"])
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
