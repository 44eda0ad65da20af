"""``table``: a terminal summary of the findings (tabulate), printed to stdout; and
:func:`simple_table`, the layout of every table the command line prints."""

from __future__ import annotations

from collections.abc import Sequence

from checker.arn import Arn
from checker.findings import Finding
from checker.report.model import Report

_MAX_MESSAGE = 110


def simple_table(rows: Sequence[Sequence[str]], headers: Sequence[str],
                 maxcolwidths: Sequence[int | None] | None = None) -> str:
    """``rows`` under ``headers`` in tabulate's ``simple`` layout, a column wrapped at its width in
    ``maxcolwidths`` (``None``: not wrapped)."""
    from tabulate import tabulate  # here, not at the top: with importlib.metadata ~60-90 ms of start-up

    return tabulate(rows, headers=headers, tablefmt="simple", maxcolwidths=maxcolwidths)


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_MESSAGE else text[: _MAX_MESSAGE - 1] + "…"


def _short_resource(resource: str | None) -> str:
    """CloudTrail ARNs without the account and Region, which are columns already: a trail by
    name, an event data store as ``eventdatastore/ID``; others in full."""
    if not resource:
        return "-"
    arn = Arn.parse_or_none(resource)
    if arn is not None and arn.service == "cloudtrail":
        return arn.resource_name if arn.resource.startswith("trail/") else _clip(arn.resource)
    return _clip(resource)


class TableFormat:
    """Worst status first (see ``STATUSES``), most severe first; passing findings are counted, not listed."""

    name = "table"
    filename: str | None = None

    def render(self, report: Report) -> str:
        shown = [f for f in report.findings if f.status not in ("pass",)]
        shown.sort(key=Finding.worst_first_key)
        rows = [[f.status.upper(), f.severity, f.rule_id, f.account_id or "-", f.region or "-",
                 _short_resource(f.resource), _clip(f.message)] for f in shown]
        summary = report.summary()["by_status"]
        counts = ", ".join(f"{n} {s}" for s, n in summary.items() if n)
        header = ["status", "severity", "rule", "account", "region", "resource", "message"]
        body = simple_table(rows, header) if rows else "No failing findings."
        return f"{body}\n\n{len(report.findings)} findings: {counts or 'none'}\n"


FORMAT = TableFormat()
