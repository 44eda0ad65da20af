"""Would the snapshot's trails have recorded this CloudTrail record? (``explain``, ``unlogged-events``)

The event data stores of the snapshot count as well when the caller's ``families`` name them
(:mod:`checker.recorders`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from checker.model import Snapshot, Trail
from checker.recorders import TRAILS_ONLY, RecorderFamily, errors_may_hide, recorders_reaching
from checker.simulator.classify import View, classify, dig, normalise, record_views
from checker.simulator.decide import (
    TrailDecision,
    decide,
    insight_decision,
    reach,
    status_decision,
    store_insight_decision,
)


@dataclass(frozen=True)
class RecordVerdict:
    """The verdict for one record: ``logged`` is ``None`` when missing data leaves it open.

    ``account_id``/``region`` are where the record belongs (``recipientAccountId``,
    ``awsRegion``); ``known_account`` says whether the snapshot has that account at all.
    ``trails`` are the trails' decisions, ``stores`` those of the event data stores that counted.
    """

    account_id: str | None
    region: str | None
    logged: bool | None
    category: str
    known_account: bool
    trails: list[TrailDecision] = field(default_factory=list)
    stores: list[TrailDecision] = field(default_factory=list)

    @property
    def recorders(self) -> list[TrailDecision]:
        """Every recorder's decision: the trails', then the stores'."""
        return self.trails + self.stores


def record_account(record: Mapping[str, Any]) -> str | None:
    """The account that received this copy of the record."""
    for path in ("recipientAccountId", "userIdentity.accountId"):
        value = dig(record, path)
        if isinstance(value, str) and value:
            return value
    return None


def decide_record(trail: Trail, record: Mapping[str, Any], region: str) -> TrailDecision:
    """One trail's decision for one record."""
    category = classify(record).category
    return _decide(trail, record, region, category, record_views(record, _extra_fields(trail), category))


def _decide(trail: Trail, record: Mapping[str, Any], region: str, category: str, views: list[View]) -> TrailDecision:
    """The decision given the record's category and views, computed once per record."""
    if category == "Insight":
        source, name = (normalise(dig(record, f"insightDetails.{key}")) for key in ("eventSource", "eventName"))
        return (reach(trail, region, source)
                or status_decision(trail)
                or (store_insight_decision(trail, views) if trail.kind == "event-data-store"
                    else insight_decision(trail, normalise(dig(record, "insightDetails.insightType")), source, name)))
    return decide(trail, views, region)


def _extra_fields(trail: Trail) -> tuple[str, ...]:
    """Fields the trail's advanced selectors read beyond the views' base fields."""
    if trail.selectors is None or trail.selectors.kind != "advanced":
        return ()
    return tuple(fs.field for s in trail.selectors.advanced for fs in s.field_selectors)


def combine(decisions: list[TrailDecision]) -> bool | None:
    """OR across trails with unknowns: one trail logging settles it; otherwise unknown wins."""
    if any(d.logged for d in decisions):
        return True
    if any(d.logged is None for d in decisions):
        return None
    return False


def record_verdict(snapshot: Snapshot, record: Mapping[str, Any],
                   families: frozenset[RecorderFamily] = TRAILS_ONLY) -> RecordVerdict:
    """Run one record through every recorder of ``families`` that reaches its account."""
    account_id = record_account(record)
    region_value = record.get("awsRegion")
    region = region_value if isinstance(region_value, str) else None
    category = classify(record).category
    account = snapshot.account(account_id) if account_id else None
    if account is None or region is None:
        return RecordVerdict(account_id, region, None, category, account is not None)
    recorders = recorders_reaching(snapshot, account.account_id, families)
    views = record_views(record, {f for t in recorders for f in _extra_fields(t)}, category)
    decisions = [(t.kind, _decide(t, record, region, category, views)) for t in recorders]
    logged = combine([d for _, d in decisions])
    if logged is False and errors_may_hide(snapshot, account.account_id, region, families):
        logged = None
    return RecordVerdict(account_id, region, logged, category, True,
                         [d for kind, d in decisions if kind == "trail"],
                         [d for kind, d in decisions if kind == "event-data-store"])
