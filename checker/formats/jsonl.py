"""``jsonl``: ``findings.jsonl``, one self-contained finding per line, for SIEM ingestion.

Each line is a JSON object that parses alone: the finding as ``findings.json`` writes it
(``rule_id``, ``severity``, ``status``, ``account_id``, ``region``, ``resource``,
``message``, ``evidence``, ``fingerprint``, ``location`` for findings on code), then what
the JSON report states once per rule (``title``, ``remediation``, ``references``,
``frameworks``) and the run's ``generated_at``. Lines are in report order (rule, account,
region, resource), so the same report gives the same lines. The report's sections
(waivers, framework view, baseline) are not lines: a waived finding carries its waiver in
its evidence, and ``findings.json`` has the rest.
"""

from __future__ import annotations

from checker.findings import RuleInfo
from checker.formats.interface import StreamedRender, TextSink
from checker.report.document import compact_json
from checker.report.model import Report


def _rule_fields(rule: RuleInfo, generated_at: str) -> str:
    """The members every line of ``rule`` ends with, encoded once: ``,"title":...}``."""
    fields = {"title": rule.title, "remediation": rule.remediation, "references": list(rule.references),
              "frameworks": {framework: list(controls) for framework, controls in sorted(rule.frameworks.items())},
              "generated_at": generated_at}
    return "," + compact_json(fields)[1:]


class JsonLinesFormat(StreamedRender):
    """``--format jsonl`` -> ``findings.jsonl``."""

    name: str = "jsonl"
    filename: str | None = "findings.jsonl"

    def write(self, report: Report, out: TextSink) -> None:
        endings = {rule_id: _rule_fields(rule, report.generated_at) for rule_id, rule in report.rules.items()}
        for finding in report.sorted_findings():
            out.write(compact_json(finding.to_dict())[:-1] + endings[finding.rule_id] + "\n")


FORMAT = JsonLinesFormat()
