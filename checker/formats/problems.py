"""What the SARIF report lists: the problems to act on, worst first.

A problem is a failing (``fail`` or ``error``) finding, except that the failing findings of
a region rule in one account are one problem: at organization scale a rule that fails in
every Region of 1,000 accounts gives 17,000 findings, which nobody reads one by one and
GitHub code scanning will not take (at most 25,000 results per upload). Aggregated per
(rule, account) — always, not only when there are many — a problem keeps one identity
while the Regions it fails in change, so code scanning tracks it as the same alert.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from checker.findings import FAILING, Finding, Location, Severity, Status, fingerprint, severity_rank, status_rank
from checker.report.model import Report


@dataclass(frozen=True)
class Problem:
    """One finding to act on, or a region rule's failing findings in one account (``aggregated``).

    ``findings`` are the failing findings, worst first; ``evaluated`` counts every finding of
    the unit (for an aggregate, of the rule in the account, passing Regions included).
    """

    findings: tuple[Finding, ...]
    aggregated: bool
    evaluated: int

    @property
    def first(self) -> Finding:
        """The worst finding: its message and evidence speak for the problem."""
        return self.findings[0]

    @property
    def rule_id(self) -> str:
        return self.first.rule_id

    @property
    def account_id(self) -> str | None:
        return self.first.account_id

    @property
    def region(self) -> str | None:
        """The finding's Region; None for an aggregate (see :meth:`regions`)."""
        return None if self.aggregated else self.first.region

    @property
    def resource(self) -> str | None:
        return None if self.aggregated else self.first.resource

    @property
    def status(self) -> Status:
        return self.first.status

    @property
    def severity(self) -> Severity:
        return min((finding.severity for finding in self.findings), key=severity_rank)

    @property
    def location(self) -> Location | None:
        """The file and line of the worst finding that has one (code input)."""
        return next((finding.location for finding in self.findings if finding.location), None)

    @property
    def fingerprint(self) -> str:
        """The finding's own fingerprint; for an aggregate, that of (rule, account) alone."""
        if not self.aggregated:
            return self.first.fingerprint
        return fingerprint(self.rule_id, self.account_id, None, None)

    def regions(self) -> dict[Status, list[str]]:
        """Failing Regions by status (``fail`` first), each list sorted."""
        by_status: dict[Status, list[str]] = {}
        for finding in sorted(self.findings, key=lambda f: (status_rank(f.status), f.region or "")):
            by_status.setdefault(finding.status, []).append(finding.region or "-")
        return by_status

    def regions_summary(self) -> str:
        """``fail in 16 of 17 Regions (ap-south-1, …); error in 1 (eu-west-1)``: where an aggregate fails."""
        texts: list[str] = []
        for status, regions in self.regions().items():
            noun = "Region" if self.evaluated == 1 else "Regions"
            counted = f"{len(regions)} of {self.evaluated} {noun}" if not texts else str(len(regions))
            texts.append(f"{status} in {counted} ({', '.join(regions)})")
        return "; ".join(texts)

    def sort_key(self) -> tuple[int, int, tuple[str, str, str, str]]:
        """Worst status, then most severe, then the report order (rule, account, region, resource)."""
        return (status_rank(self.status), severity_rank(self.severity),
                (self.rule_id, self.account_id or "", self.region or "", self.resource or ""))


def problems(report: Report) -> list[Problem]:
    """The report's problems, worst first (status order of ``STATUSES``, then severity)."""
    region_rules = {rule_id for rule_id, rule in report.rules.items() if rule.scope == "region"}
    listed: list[Problem] = []
    groups: dict[tuple[str, str | None], list[Finding]] = defaultdict(list)
    for finding in report.findings:
        if finding.rule_id in region_rules:
            groups[(finding.rule_id, finding.account_id)].append(finding)
        elif finding.status in FAILING:
            listed.append(Problem((finding,), aggregated=False, evaluated=1))
    listed.extend(_aggregate(members) for members in groups.values()
                  if any(finding.status in FAILING for finding in members))
    return sorted(listed, key=Problem.sort_key)


def _aggregate(members: Iterable[Finding]) -> Problem:
    everything = list(members)
    failing = sorted((finding for finding in everything if finding.status in FAILING), key=Finding.worst_first_key)
    return Problem(tuple(failing), aggregated=True, evaluated=len(everything))
