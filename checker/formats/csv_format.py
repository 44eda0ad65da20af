"""CSV output (``findings.csv``): one row per finding for spreadsheets and audit tooling.

The columns are fixed and ordered (``COLUMNS``) so that downstream sheets and scripts keep
working across versions; frameworks are flattened to ``id:control;id:control``, the evidence
is compact JSON in the last column and line breaks inside a cell are ``\n``. Cells that a
spreadsheet would run as a formula (leading ``=``, ``+``, ``-``, ``@``, tab) are prefixed
with ``'``: trail names and messages come from the audited accounts, and an auditor opening
the file must not run them.
"""

from __future__ import annotations

import csv
import io
import json

from checker.findings import Finding, RuleInfo
from checker.formats.common import framework_refs
from checker.report.model import Report

COLUMNS: tuple[str, ...] = (
    "rule_id", "title", "severity", "status", "account_id", "region", "resource",
    "message", "remediation", "frameworks", "fingerprint", "evidence",
)
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t")


def _safe_cell(cell: str) -> str:
    """Line breaks as ``\n`` (the csv module leaves a lone ``\r`` unquoted when rows end in
    ``\n``, and readers would split the row there), then formulas neutralised."""
    cell = cell.replace("\r\n", "\n").replace("\r", "\n")
    return f"'{cell}" if cell.startswith(_FORMULA_TRIGGERS) else cell


def _row(finding: Finding, rule: RuleInfo) -> list[str]:
    cells = [
        finding.rule_id, rule.title, finding.severity, finding.status,
        finding.account_id or "", finding.region or "", finding.resource or "",
        finding.message, rule.remediation, ";".join(framework_refs(rule.frameworks)),
        finding.fingerprint,
        json.dumps(finding.evidence, sort_keys=True, separators=(",", ":"), ensure_ascii=False),
    ]
    return [_safe_cell(cell) for cell in cells]


class CsvFormat:
    """``--format csv`` -> ``findings.csv``."""

    name: str = "csv"
    filename: str | None = "findings.csv"

    def render(self, report: Report) -> str:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(_row(finding, report.rule(finding)) for finding in report.sorted_findings())
        return buffer.getvalue()


FORMAT = CsvFormat()
