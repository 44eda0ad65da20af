"""Would trail T record this event in region R? The decision and the reason, as CloudTrail does it.

Order of the questions (docs/semantics.md): region reach (home region, multi-region,
global service events), then logging status, then the selectors (OR across clauses,
AND within one). Reach is asked first because it is known from DescribeTrails alone: a
trail in another region cannot log the event even when its status is unknown.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from checker.model import Trail
from checker.simulator.classify import View
from checker.simulator.conditions import compile_selectors

Decision = Literal["logged", "excluded", "not-selected", "not-logging", "out-of-region", "unknown"]

# Services whose events are global service events, recorded in one region of the
# partition (IAM, global-endpoint STS and CloudFront; since 2021-11-22 they land in
# us-east-1 in the aws partition). The other partitions' Regions are inferred, not documented.
GLOBAL_SERVICE_SOURCES = frozenset({"iam.amazonaws.com", "sts.amazonaws.com", "cloudfront.amazonaws.com"})
GLOBAL_EVENTS_REGION = {"aws": "us-east-1", "aws-cn": "cn-north-1", "aws-us-gov": "us-gov-west-1"}


@dataclass(frozen=True)
class TrailDecision:
    """One trail's answer for one event: ``logged`` is ``None`` when data is missing."""

    arn: str
    logged: bool | None
    decision: Decision
    reason: str

    def to_dict(self) -> dict[str, object]:
        return {"arn": self.arn, "decision": self.decision, "reason": self.reason}


def is_global_service_event(event_source: str | None, region: str, partition: str) -> bool:
    return event_source in GLOBAL_SERVICE_SOURCES and region == GLOBAL_EVENTS_REGION.get(partition)


def sees_region(trail: Trail, region: str) -> bool:
    """Whether the trail sees events of ``region``: a multi-Region trail, or its home Region."""
    return trail.is_multi_region or region == trail.home_region


def noun(trail: Trail) -> str:
    """What the recorder is called in a reason: a trail, or an event data store."""
    return "event data store" if trail.kind == "event-data-store" else "trail"


def region_reach(trail: Trail, region: str) -> TrailDecision | None:
    """Why the trail cannot see events of ``region`` at all, or ``None`` if it can."""
    if not sees_region(trail, region):
        return TrailDecision(trail.arn, False, "out-of-region",
                             f"single-region {noun(trail)} in {trail.home_region}; the event is in {region}")
    return None


def global_reach(trail: Trail, region: str, event_source: str | None) -> TrailDecision | None:
    """Why the trail misses a global service event, or ``None`` if it does not."""
    if is_global_service_event(event_source, region, trail.partition) and not trail.include_global_service_events:
        return TrailDecision(trail.arn, False, "out-of-region",
                             f"IncludeGlobalServiceEvents is false and {event_source} events are global "
                             f"service events")
    return None


def reach(trail: Trail, region: str, event_source: str | None) -> TrailDecision | None:
    """Why the trail cannot see this event of ``region``, or ``None`` if it can."""
    return region_reach(trail, region) or global_reach(trail, region, event_source)


def status_decision(trail: Trail) -> TrailDecision | None:
    """Why the trail records nothing at all now, or ``None`` if it is logging."""
    if trail.kind == "event-data-store":
        return _store_status_decision(trail)
    if trail.status is None:
        return TrailDecision(trail.arn, None, "unknown", "logging status unknown (GetTrailStatus not collected)")
    if not trail.status.is_logging:
        return TrailDecision(trail.arn, False, "not-logging", "the trail is not logging (IsLogging is false)")
    return None


def _store_status_decision(store: Trail) -> TrailDecision | None:
    """An event data store records only while its ``Status`` is ``ENABLED``."""
    if store.status is None:
        return TrailDecision(store.arn, None, "unknown",
                             "the event data store's Status or reach is unknown (GetEventDataStore not read)")
    if not store.status.is_logging:
        return TrailDecision(store.arn, False, "not-logging",
                             f"the event data store is not ingesting (Status {store.status.state}; "
                             "only an ENABLED store records events)")
    return None


def store_insight_decision(store: Trail, views: Sequence[View]) -> TrailDecision:
    """Insights events reach an event data store only from another store whose Insights
    settings name it, which trailcheck does not read: a store whose selectors take them
    may hold them (unknown), any other does not."""
    selected = selector_decision(store, views)
    if selected.logged:
        return TrailDecision(store.arn, None, "unknown",
                             f"{selected.reason}, but Insights events reach an event data store only from a "
                             "source store's Insights settings, which are not read")
    return selected


# What an Insights type analyses, as the readOnly values of the underlying management
# calls the trail must log: call rate needs write events, error rate
# read or write events.
INSIGHT_PREREQUISITES = {"ApiCallRateInsight": ("false",), "ApiErrorRateInsight": ("false", "true")}


def insight_decision(trail: Trail, insight_type: str | None, event_source: str | None,
                     event_name: str | None) -> TrailDecision:
    """Insights events are generated, not selected: the trail must have that insight type
    and log the management calls it analyses."""
    if trail.insight_types is None:
        return TrailDecision(trail.arn, None, "unknown",
                             "Insights selectors unknown (GetInsightSelectors not collected)")
    if insight_type not in trail.insight_types:
        return TrailDecision(trail.arn, False, "not-selected", f"InsightSelectors do not include {insight_type}")
    needed = INSIGHT_PREREQUISITES.get(insight_type or "", ("false", "true"))
    views: list[View] = [{"eventCategory": "Management", "eventSource": event_source, "eventName": event_name,
                          "readOnly": read_only} for read_only in needed]
    underlying = selector_decision(trail, views)
    if underlying.logged:
        return TrailDecision(trail.arn, True, "logged", f"InsightSelectors include {insight_type}")
    if underlying.logged is None:
        return underlying
    kind = "write" if needed == ("false",) else "read or write"
    return TrailDecision(trail.arn, False, "not-selected",
                         f"{insight_type} needs the trail to log {kind} management events of {event_source}: "
                         f"{underlying.reason}")


def selector_decision(trail: Trail, views: Sequence[View]) -> TrailDecision:
    """Match the views against every clause: logged iff some clause matches some view."""
    if trail.selectors is None:
        read = "GetEventDataStore not read" if trail.kind == "event-data-store" else "GetEventSelectors not collected"
        return TrailDecision(trail.arn, None, "unknown", f"event selectors unknown ({read})")
    clauses = compile_selectors(trail.selectors, trail.partition)
    reasons: list[str] = []
    excluded = False
    for clause in clauses:
        for view in views:
            failed = clause.failure(view)
            if failed is None:
                return TrailDecision(trail.arn, True, "logged", f"{clause.origin} matches")
            reason, by_exclusion = failed
            excluded = excluded or by_exclusion
            if reason not in reasons:
                reasons.append(reason)
    if not clauses:
        reasons.append(f"the {noun(trail)} has no event selectors")
    return TrailDecision(trail.arn, False, "excluded" if excluded else "not-selected", "; ".join(reasons))


def decide(trail: Trail, views: Sequence[View], region: str) -> TrailDecision:
    """The full decision for one trail and one event (given as its views) in ``region``."""
    first = views[0]
    return (reach(trail, region, first.get("eventSource"))
            or status_decision(trail)
            or selector_decision(trail, views))
