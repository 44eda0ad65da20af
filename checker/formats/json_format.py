"""``json``: the ``trailcheck.findings/v2`` document, the machine-readable source of truth."""

from __future__ import annotations

from checker.report.document import report_json
from checker.report.model import Report


class JsonFormat:
    name = "json"
    filename: str | None = "findings.json"

    def render(self, report: Report) -> str:
        return report_json(report)


JSON = JsonFormat()
