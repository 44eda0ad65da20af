"""JUnit XML output (``findings.junit.xml``) for CI systems that display test reports.

CI dashboards already know how to show suites, failures and skips, so each rule is a
suite and each finding a test case: ``fail`` -> ``<failure>``, ``error`` -> ``<error>``,
``waived``/``skipped`` -> ``<skipped>`` with the reason. The document is built with
ElementTree so every value is escaped; characters XML 1.0 cannot carry at all (most
control characters) are dropped, because one of them would make the whole file unreadable.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from itertools import groupby

from checker.findings import Finding, RuleInfo
from checker.formats.common import framework_refs, unit_path
from checker.report.model import Report

_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_COUNTED = {"fail": "failures", "error": "errors", "waived": "skipped", "skipped": "skipped"}


def _xml_text(value: str) -> str:
    return _NOT_XML.sub("", value)


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
    lines.append(f"fingerprint: {finding.fingerprint}")
    lines.append("evidence: " + json.dumps(finding.evidence, indent=2, sort_keys=True, ensure_ascii=False))
    return _xml_text("\n".join(lines))


def _testcase(suite: ET.Element, finding: Finding, rule: RuleInfo) -> None:
    case = ET.SubElement(suite, "testcase", {
        "classname": _xml_text(finding.rule_id), "name": _xml_text(unit_path(finding)), "time": "0"})
    message = _xml_text(finding.message)
    if finding.status == "fail":
        outcome = ET.SubElement(case, "failure", {"message": message, "type": finding.severity})
        outcome.text = _details(finding, rule)
    elif finding.status == "error":
        outcome = ET.SubElement(case, "error", {"message": message, "type": "evaluation-error"})
        outcome.text = _details(finding, rule)
    elif finding.status in ("waived", "skipped"):
        ET.SubElement(case, "skipped", {"message": f"{finding.status}: {message}"})


def to_junit(report: Report) -> ET.Element:
    """The ``<testsuites>`` element: one ``<testsuite>`` per rule, in rule id order."""
    findings = report.sorted_findings()
    root = ET.Element("testsuites", {"name": "trailcheck", **_counts(findings)})
    for rule_id, group in groupby(findings, key=lambda finding: finding.rule_id):
        members = list(group)
        suite = ET.SubElement(root, "testsuite", {"name": _xml_text(rule_id), **_counts(members)})
        if report.generated_at:
            suite.set("timestamp", _xml_text(report.generated_at))
        rule = report.rules[rule_id]
        properties = ET.SubElement(suite, "properties")
        for name, value in (("title", rule.title), ("severity", rule.severity),
                            ("frameworks", ", ".join(framework_refs(rule.frameworks)))):
            ET.SubElement(properties, "property", {"name": name, "value": _xml_text(value)})
        for finding in members:
            _testcase(suite, finding, rule)
    return root


class JunitFormat:
    """``--format junit`` -> ``findings.junit.xml``."""

    name: str = "junit"
    filename: str | None = "findings.junit.xml"

    def render(self, report: Report) -> str:
        root = to_junit(report)
        ET.indent(root)
        return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


FORMAT = JunitFormat()
