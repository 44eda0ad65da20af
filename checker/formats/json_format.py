"""``json``: the ``trailcheck.findings/v1`` document (SPEC §9), the machine-readable source of truth."""

from __future__ import annotations

from checker.findings import Report


class JsonFormat:
    name = "json"
    filename: str | None = "findings.json"

    def render(self, report: Report) -> str:
        return report.to_json()


JSON = JsonFormat()
