"""JUnit XML output (``findings.junit.xml``) for CI systems that display test reports.

CI dashboards already know how to show suites, failures and skips, so each rule is a
suite and each finding a test case: ``fail`` -> ``<failure>``, ``error`` -> ``<error>``,
``waived``/``skipped`` -> ``<skipped>`` with the reason. The file is written a test case
at a time (some 150,000 at organization scale). Every value is escaped; characters XML 1.0
cannot carry at all (most control characters) are dropped, because one of them would make
the whole file unreadable.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from itertools import groupby
from xml.sax.saxutils import escape

from checker.findings import Finding, RuleInfo
from checker.formats.common import framework_refs, unit_path
from checker.formats.interface import StreamedRender, TextSink
from checker.report.model import Report

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Within an attribute a line break or tab is a character reference, or a parser would
# normalise it to a space.
_ATTRIBUTE_ENTITIES = {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}
_COUNTED = {"fail": "failures", "error": "errors", "waived": "skipped", "skipped": "skipped"}


def _xml_text(value: str) -> str:
    return _NOT_XML.sub("", value)


def _open(name: str, attributes: dict[str, str]) -> str:
    """``<name key="value" ...`` with the values escaped, not yet closed."""
    return f"<{name}" + "".join(f' {key}="{escape(_xml_text(value), _ATTRIBUTE_ENTITIES)}"'
                                for key, value in attributes.items())


def _tag(name: str, attributes: dict[str, str], content: str | None = None) -> str:
    """An element on one line: empty (``<name ... />``) when ``content`` is None."""
    start = _open(name, attributes)
    return f"{start} />" if content is None else f"{start}>{escape(_xml_text(content))}</{name}>"


def _counts(findings: list[Finding]) -> dict[str, str]:
    by_kind = Counter(_COUNTED.get(finding.status) for finding in findings)
    return {"tests": str(len(findings)), "failures": str(by_kind["failures"]),
            "errors": str(by_kind["errors"]), "skipped": str(by_kind["skipped"]), "time": "0"}


def _details(finding: Finding, rule: RuleInfo) -> str:
    lines = [finding.message, f"unit: {unit_path(finding)}", f"severity: {finding.severity}"]
    if rule.remediation:
        lines.append(f"remediation: {rule.remediation}")
    if rule.frameworks:
        lines.append(f"frameworks: {', '.join(framework_refs(rule.frameworks))}")
    if rule.references:
        lines.append(f"references: {', '.join(rule.references)}")
    if finding.location:
        lines.append(f"location: {finding.location.file}:{finding.location.line}")
    lines.append(f"fingerprint: {finding.fingerprint}")
    lines.append("evidence: " + json.dumps(finding.evidence, sort_keys=True, ensure_ascii=False))
    return "\n".join(lines)


def _testcase(finding: Finding, rule: RuleInfo) -> str:
    """The test case's lines, indented under its suite."""
    case = {"classname": finding.rule_id, "name": unit_path(finding), "time": "0"}
    if finding.status == "fail":
        outcome = _tag("failure", {"message": finding.message, "type": finding.severity}, _details(finding, rule))
    elif finding.status == "error":
        outcome = _tag("error", {"message": finding.message, "type": "evaluation-error"}, _details(finding, rule))
    elif finding.status in ("waived", "skipped"):
        outcome = _tag("skipped", {"message": f"{finding.status}: {finding.message}"})
    else:
        return f"    {_tag('testcase', case)}\n"
    return f"    {_open('testcase', case)}>\n      {outcome}\n    </testcase>\n"


def write_junit(report: Report, out: TextSink) -> None:
    """``<testsuites>`` with one ``<testsuite>`` per rule, in rule id order."""
    findings = report.sorted_findings()
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(_open("testsuites", {"name": "trailcheck", **_counts(findings)}) + ">\n")
    for rule_id, group in groupby(findings, key=lambda finding: finding.rule_id):
        members = list(group)
        attributes = {"name": rule_id, **_counts(members)}
        if report.generated_at:
            attributes["timestamp"] = report.generated_at
        rule = report.rules[rule_id]
        out.write(f"  {_open('testsuite', attributes)}>\n    <properties>\n")
        for name, value in (("title", rule.title), ("severity", rule.severity),
                            ("frameworks", ", ".join(framework_refs(rule.frameworks)))):
            out.write(f"      {_tag('property', {'name': name, 'value': value})}\n")
        out.write("    </properties>\n")
        for finding in members:
            out.write(_testcase(finding, rule))
        out.write("  </testsuite>\n")
    out.write("</testsuites>\n")


class JunitFormat(StreamedRender):
    """``--format junit`` -> ``findings.junit.xml``."""

    name: str = "junit"
    filename: str | None = "findings.junit.xml"

    def write(self, report: Report, out: TextSink) -> None:
        write_junit(report, out)


FORMAT = JunitFormat()
