"""Baselines: what changed since the previous report (``--baseline``, ``trailcheck diff``).

The nightly organization scan is read as a delta: which failures are new since last
night, which were fixed, which are still there. Findings are paired by fingerprint (rule,
account, region, resource: what a finding is about, not what it says), so a reworded
message or new evidence does not make a finding "new".

A finding is *failing* when its status is ``fail`` or ``error`` (an error is a gate
failure too, SPEC §3). ``waived``, ``pass`` and ``skipped`` are not failing, so a failure
that gets waived shows as resolved, and an expired waiver shows as a new failure.

``trailcheck diff`` is a report, not a gate: it exits 0 whatever changed (2 on bad
input). Gating is ``trailcheck scan --fail-on``'s job; CI that wants to block on new
failures only can read ``new`` from ``--format json``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
from tabulate import tabulate

from checker.errors import InputError
from checker.findings import FORMAT_ID, Finding, Report
from checker.schemas import load_schema

FAILING = ("fail", "error")
ABSENT = "absent"
MESSAGE_WIDTH = 100  # characters of a message shown in the diff table

@dataclass(frozen=True)
class Change:
    """One finding in the diff with its status in the old and the new report (or ``absent``)."""

    finding: Finding
    was: str
    now: str

    def to_dict(self) -> dict[str, Any]:
        return {**self.finding.to_dict(), "was": self.was, "now": self.now}


@dataclass(frozen=True)
class Diff:
    """Failing findings of two reports, paired by fingerprint, each list in report order.

    ``new`` and ``still_failing`` carry the new report's finding, ``resolved`` the old one's.
    """

    new: tuple[Change, ...]
    resolved: tuple[Change, ...]
    still_failing: tuple[Change, ...]

    def to_extra(self, path: str) -> dict[str, Any]:
        """The ``baseline`` section of a report; ``path`` is the baseline (old) report."""
        return {
            "path": path,
            "new": [c.to_dict() for c in self.new],
            "resolved": [c.to_dict() for c in self.resolved],
            "still_failing": [c.to_dict() for c in self.still_failing],
        }


def load_report(path: str | Path) -> Report:
    """Read a ``trailcheck.findings/v1`` JSON report; anything else is an :class:`InputError`."""
    name = str(path)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{name}:{exc.lineno}:{exc.colno}", f"invalid JSON: {exc.msg}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(name, f"cannot read the report ({exc})") from exc
    validator = jsonschema.Draft202012Validator(load_schema("findings"))
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is not None:
        hint = f" (expected a {FORMAT_ID} report, as written by trailcheck scan --format json)"
        raise InputError(f"{name}: {error.json_path}", error.message + hint)
    return Report.from_dict(data)


def diff_reports(old: Report, new: Report) -> Diff:
    """Pair the failing findings of ``old`` and ``new`` by fingerprint."""
    old_by_fp = {f.fingerprint: f for f in old.findings}
    new_by_fp = {f.fingerprint: f for f in new.findings}

    def status_in(by_fp: dict[str, Finding], fp: str) -> str:
        finding = by_fp.get(fp)
        return finding.status if finding is not None else ABSENT

    new_changes: list[Change] = []
    still: list[Change] = []
    for finding in _failing(new.findings):
        was = status_in(old_by_fp, finding.fingerprint)
        (still if was in FAILING else new_changes).append(Change(finding, was, finding.status))
    resolved = [Change(f, f.status, status_in(new_by_fp, f.fingerprint)) for f in _failing(old.findings)
                if status_in(new_by_fp, f.fingerprint) not in FAILING]
    return Diff(new=tuple(new_changes), resolved=tuple(resolved), still_failing=tuple(still))


def render_diff_table(diff: Diff) -> str:
    """The diff as a plain-text table (for ``trailcheck diff`` on a terminal), with a count line."""
    counts = f"{len(diff.new)} new, {len(diff.resolved)} resolved, {len(diff.still_failing)} still failing"
    groups = (("new", diff.new), ("resolved", diff.resolved), ("still failing", diff.still_failing))
    rows = [
        [label, c.finding.rule_id, c.finding.severity, c.finding.account_id or "", c.finding.region or "",
         c.finding.resource or "", f"{c.was} -> {c.now}", _shorten(c.finding.message)]
        for label, changes in groups for c in changes
    ]
    if not rows:
        return f"{counts}: no failing findings in either report.\n"
    headers = ["change", "rule", "severity", "account", "region", "resource", "status", "message"]
    return f"{counts}\n{tabulate(rows, headers=headers, tablefmt='simple', disable_numparse=True)}\n"


def render_diff_json(diff: Diff, baseline_path: str) -> str:
    """The diff as JSON (``trailcheck diff --format json``): the same data as the report section."""
    return json.dumps(diff.to_extra(baseline_path), indent=2, ensure_ascii=False) + "\n"


def _shorten(message: str) -> str:
    """Messages can run to several probes; the table keeps the start (JSON has all of it)."""
    return message if len(message) <= MESSAGE_WIDTH else message[:MESSAGE_WIDTH - 3] + "..."


def _failing(findings: Iterable[Finding]) -> list[Finding]:
    return sorted((f for f in findings if f.status in FAILING), key=Finding.sort_key)
