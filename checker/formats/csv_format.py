"""CSV output (``findings.csv``): one row per finding for spreadsheets and audit tooling.

The columns are fixed and ordered (``COLUMNS``) so that downstream sheets and scripts keep
working across versions: a new column is added at the end. Frameworks are flattened to
``id:control;id:control``, the evidence is compact JSON, ``location`` is the ``file:line``
where code declares the unit (empty for a snapshot or live scan), and line breaks inside a
cell are ``\n``. Rows are written one at a time (some 150,000 at organization scale). Cells that a
spreadsheet would run as a formula (leading ``=``, ``+``, ``-``, ``@``, tab) are prefixed
with ``'``: trail names and messages come from the audited accounts, and an auditor opening
the file must not run them.
"""

from __future__ import annotations

import csv
import json

from checker.findings import Finding, RuleInfo
from checker.formats.common import framework_refs
from checker.formats.interface import StreamedRender, TextSink
from checker.report.model import Report

COLUMNS: tuple[str, ...] = (
    "rule_id", "title", "severity", "status", "account_id", "region", "resource",
    "message", "remediation", "frameworks", "fingerprint", "evidence", "location",
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
        f"{finding.location.file}:{finding.location.line}" if finding.location else "",
    ]
    return [_safe_cell(cell) for cell in cells]


class CsvFormat(StreamedRender):
    """``--format csv`` -> ``findings.csv``, in report order (rule, account, region, resource)."""

    name: str = "csv"
    filename: str | None = "findings.csv"

    def write(self, report: Report, out: TextSink) -> None:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(COLUMNS)
        for finding in report.sorted_findings():
            writer.writerow(_row(finding, report.rule(finding)))


FORMAT = CsvFormat()
