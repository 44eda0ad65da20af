"""Baselines: what changed since the previous report (``--baseline``, ``trailcheck diff``).

The nightly organization scan is read as a delta: which failures are new since last
night, which were fixed, which are still there. Findings are paired by fingerprint (rule,
account, region, resource: what a finding is about, not what it says), so a reworded
message or new evidence does not make a finding "new".

A finding is *failing* when its status is in :data:`checker.findings.FAILING`, ``fail`` or
``error`` (an error blocks the gate too: nobody knows the answer). ``waived``, ``pass`` and
``skipped`` are not failing, so a failure that gets waived shows as resolved, and an expired
waiver shows as a new failure.

``trailcheck diff`` is a report, not a gate: it exits 0 whatever changed (2 on bad
input). Gating is ``trailcheck scan --fail-on``'s job; CI that wants to block on new
failures only can read ``new`` from ``--format json``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from checker import safejson
from checker.findings import FAILING, Finding, Status

Absent = Literal["absent"]
ABSENT: Absent = "absent"
MESSAGE_WIDTH = 100  # characters of a message shown in the diff table


@dataclass(frozen=True)
class Baseline:
    """A previous run's findings and the report file they were read from."""

    path: str
    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class Change:
    """One finding in the diff with its status in the old and the new report (or ``absent``)."""

    finding: Finding
    was: Status | Absent
    now: Status | Absent

    def to_dict(self) -> dict[str, Any]:
        """The finding and both statuses. A finding of the new run (``now`` failing) leaves out
        its evidence: the report lists it under ``findings``, same fingerprint, evidence and all
        (at organization scale the failures are tens of megabytes of evidence, not to be
        written twice); a resolved finding, of the old run, keeps it. One that was failing
        already is its fingerprint and statuses alone: night after night most failures are
        still there, and the findings say the rest."""
        if self.now in FAILING and self.was in FAILING:
            return {"fingerprint": self.finding.fingerprint, "was": self.was, "now": self.now}
        data = {**self.finding.to_dict(), "was": self.was, "now": self.now}
        if self.now in FAILING:
            del data["evidence"]
        return data


@dataclass(frozen=True)
class BaselineDiff:
    """The ``baseline`` section of a report: failing findings of two runs paired by fingerprint.

    Each list is in report order; ``new`` and ``still_failing`` carry the new run's finding,
    ``resolved`` the old one's. ``path`` is the old report.
    """

    path: str
    new: tuple[Change, ...]
    resolved: tuple[Change, ...]
    still_failing: tuple[Change, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "new": [c.to_dict() for c in self.new],
            "resolved": [c.to_dict() for c in self.resolved],
            "still_failing": [c.to_dict() for c in self.still_failing],
        }


def diff_findings(baseline: Baseline, findings: Iterable[Finding]) -> BaselineDiff:
    """Pair the failing findings of ``baseline`` and ``findings`` by fingerprint."""
    current = list(findings)
    old_by_fp = {f.fingerprint: f for f in baseline.findings}
    new_by_fp = {f.fingerprint: f for f in current}

    def status_in(by_fp: dict[str, Finding], fp: str) -> Status | Absent:
        finding = by_fp.get(fp)
        return finding.status if finding is not None else ABSENT

    new_changes: list[Change] = []
    still: list[Change] = []
    for finding in _failing(current):
        was = status_in(old_by_fp, finding.fingerprint)
        (still if was in FAILING else new_changes).append(Change(finding, was, finding.status))
    resolved = [Change(f, f.status, status_in(new_by_fp, f.fingerprint)) for f in _failing(baseline.findings)
                if status_in(new_by_fp, f.fingerprint) not in FAILING]
    return BaselineDiff(path=baseline.path, new=tuple(new_changes), resolved=tuple(resolved),
                        still_failing=tuple(still))


def render_diff_table(diff: BaselineDiff) -> str:
    """The diff as a plain-text table (for ``trailcheck diff`` on a terminal), with a count line."""
    from tabulate import tabulate  # here, not at the top: only diff draws it (a scan's start-up spares ~60 ms)

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


def render_diff_json(diff: BaselineDiff) -> str:
    """The diff as JSON (``trailcheck diff --format json``): the same data as the report section."""
    return safejson.dumps(diff.to_dict(), indent=2) + "\n"


def _shorten(message: str) -> str:
    """Messages can run to several probes; the table keeps the start (JSON has all of it)."""
    return message if len(message) <= MESSAGE_WIDTH else message[:MESSAGE_WIDTH - 3] + "..."


def _failing(findings: Iterable[Finding]) -> list[Finding]:
    return sorted((f for f in findings if f.status in FAILING), key=Finding.sort_key)
