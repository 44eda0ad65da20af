"""A monitoring chain, link by link: how a recorded event would (not) reach a person.

A chain is one path from a recorded event to a notification: a trail, its log group, a
metric filter, the metric, an alarm and an SNS topic; or the trails of a Region, its default
event bus, a rule (perhaps forwarding to another bus and its rule) and an SNS topic. Each
:class:`Link` says whether that step works (``ok``: ``True``, ``False`` = broken, ``None`` =
unknown) and why. The chain's ``matcher`` is the pattern that picks the events it alerts on
(the metric filter, or the EventBridge rules it passes through): whether those are the events
a rule is about is a separate question (:mod:`checker.alerting.chains`), so that one chain
model serves the rules (every event of a reference) and ``explain`` (one record).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from checker.alerting.interface import FieldPath, Hints, RecordPattern, Undecided

AlertPath = Literal["metric-filter", "eventbridge"]
ALERT_PATHS: tuple[AlertPath, ...] = ("metric-filter", "eventbridge")
"""The alert paths a rule's ``via`` parameter may name."""

LinkKind = Literal["trail", "trails", "log-group", "metric-filter", "metric", "alarm", "topic", "event-bus",
                   "event-rule", "match"]
"""``match`` appears only in the chains of one record (``explain``): does the chain's pattern match it?"""


@dataclass(frozen=True)
class Link:
    """One step of a chain: ``ok`` is ``True`` (works), ``False`` (broken) or ``None`` (unknown:
    the data to decide it is missing or trailcheck cannot evaluate it)."""

    kind: LinkKind
    id: str
    ok: bool | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "id": self.id, "ok": self.ok, "reason": self.reason}

    def shown(self) -> str:
        """``alarm cis-4.5: ActionsEnabled is false ...`` for messages."""
        return f"{self.kind} {short_id(self.id)}: {self.reason}" if self.id else f"{self.kind}: {self.reason}"


@dataclass(frozen=True)
class Chain:
    """One path to a notification. ``matcher`` is the pattern that selects its events:
    ``None`` when the chain ends before any pattern (no metric filter, data not collected),
    :class:`Undecided` when the pattern cannot be evaluated. ``region`` is where an EventBridge
    chain starts (the Region whose events reach that bus); ``None`` for a metric-filter chain."""

    via: AlertPath
    links: tuple[Link, ...]
    matcher: RecordPattern | Undecided | None = None
    region: str | None = None

    @property
    def fires(self) -> bool | None:
        """``True`` when every link works, ``False`` when one is broken, else ``None``."""
        if any(link.ok is False for link in self.links):
            return False
        if any(link.ok is None for link in self.links):
            return None
        return True

    def first_broken(self) -> Link | None:
        """The first broken link; failing that, the first unknown one; ``None`` for a working chain."""
        return next((link for link in self.links if link.ok is False),
                    next((link for link in self.links if link.ok is None), None))

    def after(self, *links: Link) -> Chain:
        """This chain with ``links`` in front (the trail links a caller decides)."""
        return replace(self, links=(*links, *self.links))

    def summary(self) -> str:
        """``metric-filter cis-4.5 -> alarm cis-4.5 -> topic security-alerts``."""
        return " -> ".join(f"{link.kind} {short_id(link.id)}" for link in self.links
                           if link.kind not in ("trail", "trails") and link.id)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"via": self.via}
        if self.region is not None:
            data["region"] = self.region
        data["fires"] = self.fires
        data["links"] = [link.to_dict() for link in self.links]
        broken = self.first_broken()
        if broken is not None:
            data["first_broken"] = broken.to_dict()
        return data


@dataclass(frozen=True)
class AllPatterns:
    """Records every one of ``parts`` matches: the rules an event passes through when one rule
    forwards it to another bus."""

    parts: tuple[RecordPattern, ...]

    @property
    def text(self) -> str:
        return " AND ".join(part.text for part in self.parts)

    def matches(self, record: Mapping[str, Any]) -> bool:
        return all(part.matches(record) for part in self.parts)

    def hints(self) -> Mapping[FieldPath, Hints]:
        found: dict[FieldPath, Hints] = {}
        for part in self.parts:
            for path, hints in part.hints().items():
                found[path] = found[path].union(hints) if path in found else hints
        return found


def conjoin(first: RecordPattern | Undecided | None, then: RecordPattern | Undecided | None
            ) -> RecordPattern | Undecided | None:
    """The matcher of a chain that passes ``first`` and then ``then`` (an Undecided part makes
    the whole undecided; ``None`` is no pattern)."""
    if first is None or isinstance(then, Undecided):
        return then
    if then is None or isinstance(first, Undecided):
        return first
    parts: Sequence[RecordPattern] = (*_parts(first), *_parts(then))
    return AllPatterns(tuple(parts))


def _parts(pattern: RecordPattern) -> tuple[RecordPattern, ...]:
    return pattern.parts if isinstance(pattern, AllPatterns) else (pattern,)


def short_id(identifier: str) -> str:
    """An ARN's last part (``arn:aws:sns:...:security-alerts`` -> ``security-alerts``)."""
    if not identifier.startswith("arn:") or identifier.count(":") < 5:
        return identifier
    resource = identifier.split(":", 5)[5].removesuffix(":*")
    return resource.rsplit("/", 1)[-1].rsplit(":", 1)[-1] or identifier
