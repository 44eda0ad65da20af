"""What the event rules saw over some records: mergeable aggregates, never the records.

A tally is plain picklable data, so parallel workers return theirs and the parent merges
them in source order into the same result as a sequential run's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from checker.engine.events.groups import Group, GroupKey, merge_groups

Identity = tuple[str | None, str | None]
"""(account, region) of a record or of a verdict."""


@dataclass
class RuleTally:
    """What one rule saw. ``hits`` are its fail groups; the rest serve ``logged`` rules."""

    hits: dict[GroupKey, Group] = field(default_factory=dict)
    unknown: dict[GroupKey, Group] = field(default_factory=dict)
    foreign: dict[GroupKey, Group] = field(default_factory=dict)
    settled: dict[Identity, int] = field(default_factory=dict)
    expr_errors: int = 0
    expr_error: str | None = None

    def merge(self, other: RuleTally) -> None:
        merge_groups(self.hits, other.hits)
        merge_groups(self.unknown, other.unknown)
        merge_groups(self.foreign, other.foreign)
        for unit, count in other.settled.items():
            self.settled[unit] = self.settled.get(unit, 0) + count
        self.expr_errors += other.expr_errors
        self.expr_error = self.expr_error or other.expr_error


@dataclass
class EventTally:
    """Partial result over some records: mergeable, picklable, no records kept."""

    records: int = 0
    rules: list[RuleTally] = field(default_factory=list)

    def merge(self, other: EventTally) -> None:
        """Fold in the tally of records that came after this one's in source order."""
        self.records += other.records
        for mine, theirs in zip(self.rules, other.rules, strict=True):
            mine.merge(theirs)
