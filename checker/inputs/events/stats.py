"""What the readers read and what they could not: the report's ``inputs.events`` section.

A corrupt file is reported (file and position) and the rest is still evaluated;
the report says how many records were read, skipped and why. Counts are exact; the list
of problems is capped so that a directory of garbage cannot bloat the report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MAX_PROBLEMS = 100


@dataclass
class EventStats:
    """Counters filled while reading; mergeable so worker processes can report back.

    ``read`` counts records yielded. ``skipped`` counts what was not yielded: records that
    are not CloudTrail records, the unreadable rest of a corrupt file, unreadable files,
    and recognised digest files (also counted in ``digests``, with no problem entry: a
    digest is expected in a trail bucket, not an error). ``problems`` holds the first
    :data:`MAX_PROBLEMS` ``{source, position, reason}`` entries; ``problems_total`` counts all.
    """

    read: int = 0
    skipped: int = 0
    digests: int = 0
    sources: list[str] = field(default_factory=list)
    problems: list[dict[str, str]] = field(default_factory=list)
    problems_total: int = 0

    def add_source(self, spec: str) -> None:
        if spec not in self.sources:
            self.sources.append(spec)

    def report(self, source: str, position: str, reason: str, *, skipped: int = 1) -> None:
        """Record a problem with an input; ``skipped`` is how many units it cost (0: none)."""
        self.skipped += skipped
        self.problems_total += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append({"source": source, "position": position, "reason": reason})

    def skip_digest(self) -> None:
        self.skipped += 1
        self.digests += 1

    def merge(self, other: EventStats) -> None:
        """Add another reader's counts (e.g. a worker's); merge in unit order for stable output."""
        self.read += other.read
        self.skipped += other.skipped
        self.digests += other.digests
        for spec in other.sources:
            self.add_source(spec)
        room = MAX_PROBLEMS - len(self.problems)
        self.problems.extend(other.problems[:max(room, 0)])
        self.problems_total += other.problems_total

    def to_dict(self) -> dict[str, Any]:
        return {
            "read": self.read,
            "skipped": self.skipped,
            "sources": list(self.sources),
            "problems": [dict(problem) for problem in self.problems],
        }
