"""``json``: the ``trailcheck.findings/v2`` document, the machine-readable source of truth.

Written a line at a time (:func:`checker.report.document.write_report_json`): at
organization scale the report never exists as one string.
"""

from __future__ import annotations

from checker.formats.interface import StreamedRender, TextSink
from checker.report.document import write_report_json
from checker.report.model import Report


class JsonFormat(StreamedRender):
    name: str = "json"
    filename: str | None = "findings.json"

    def write(self, report: Report, out: TextSink) -> None:
        write_report_json(report, out.write)


FORMAT = JsonFormat()
