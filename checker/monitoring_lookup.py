"""Find the links of a monitoring chain in a snapshot, telling *none* from *unknown*.

Pure lookups over :mod:`checker.model`, no alerting logic: the metric filters on a log
group, the alarms on a metric, a topic by ARN, the rules of an event bus. Each answers
with what it found, :class:`Missing` (collected, and not there) or :class:`NotCollected`
(the snapshot does not hold that data, so the link is unknown, never absent). A resource
is looked up in the account and Region its ARN names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from checker.arn import Arn
from checker.model import CollectionError, Snapshot
from checker.monitoring_model import (
    OPERATION_PARTS,
    Alarm,
    EventRule,
    MetricFilter,
    MonitoringPart,
    RegionMonitoring,
    Topic,
)

_ACCOUNT_ID = re.compile(r"[0-9]{12}")

_PART_NAMES: dict[MonitoringPart, str] = {
    "metric_filters": "metric filters",
    "alarms": "CloudWatch alarms",
    "topics": "SNS topics",
    "event_rules": "EventBridge rules",
}


@dataclass(frozen=True)
class NotCollected:
    """Data a lookup needed that the snapshot does not hold: the link is unknown.

    ``errors`` are the account's collection errors that explain it (that list's operations
    in that Region, and account-wide failures), for the evidence.
    """

    account_id: str
    region: str
    part: MonitoringPart
    reason: str
    errors: tuple[CollectionError, ...] = ()


@dataclass(frozen=True)
class Missing:
    """The data was collected and the resource is not in it, or ``arn`` names no such resource."""

    arn: str
    reason: str


@dataclass(frozen=True)
class ResourcePlace:
    """Where an ARN says a resource lives, and its name there."""

    account_id: str
    region: str
    name: str


def log_group_place(arn: str) -> ResourcePlace | None:
    """``arn:aws:logs:REGION:ACCOUNT:log-group:NAME`` (optionally ending ``:*``, as a trail's
    ``CloudWatchLogsLogGroupArn`` does); ``None`` when ``arn`` is not a log group ARN."""
    parsed = _regional_arn(arn, "logs")
    if parsed is None:
        return None
    kind, _, name = parsed.resource.partition(":")
    name = name.removesuffix(":*")
    if kind != "log-group" or not name or ":" in name:
        return None
    return ResourcePlace(parsed.account, parsed.region, name)


def topic_place(arn: str) -> ResourcePlace | None:
    """``arn:aws:sns:REGION:ACCOUNT:NAME``; ``None`` when ``arn`` is not an SNS topic ARN."""
    parsed = _regional_arn(arn, "sns")
    if parsed is None or not parsed.resource or ":" in parsed.resource:
        return None
    return ResourcePlace(parsed.account, parsed.region, parsed.resource)


def event_bus_place(arn: str) -> ResourcePlace | None:
    """``arn:aws:events:REGION:ACCOUNT:event-bus/NAME``; ``None`` when ``arn`` is not an event bus ARN."""
    parsed = _regional_arn(arn, "events")
    if parsed is None:
        return None
    kind, _, name = parsed.resource.partition("/")
    if kind != "event-bus" or not name:
        return None
    return ResourcePlace(parsed.account, parsed.region, name)


def _regional_arn(text: str, service: str) -> Arn | None:
    """The ARN in ``text`` if it is one of ``service`` with a Region and an account."""
    parsed = Arn.parse_or_none(text)
    if parsed is None or parsed.service != service or not parsed.region or not _ACCOUNT_ID.fullmatch(parsed.account):
        return None
    return parsed


def metric_filters_on_log_group(snapshot: Snapshot,
                                log_group_arn: str) -> tuple[MetricFilter, ...] | Missing | NotCollected:
    """The metric filters on the log group ``log_group_arn`` names, in its account and Region."""
    place = log_group_place(log_group_arn)
    if place is None:
        return Missing(log_group_arn, "not a CloudWatch Logs log group ARN")
    monitoring = _monitoring(snapshot, place.account_id, place.region)
    filters = monitoring.metric_filters if monitoring else None
    account = snapshot.account(place.account_id)
    failed = account is not None and any(  # another log group's filters were read, this one's failed
        e.operation == "DescribeMetricFilters" and e.region in (None, place.region)
        and e.resource in (place.name, log_group_arn) for e in account.errors)
    if filters is None or failed:
        return _not_collected(snapshot, place.account_id, place.region, "metric_filters")
    return tuple(f for f in filters if f.log_group_name == place.name)


def alarms_on_metric(snapshot: Snapshot, account_id: str, region: str, namespace: str,
                     metric_name: str) -> tuple[Alarm, ...] | NotCollected:
    """The alarms of an account and Region that read the metric ``(namespace, metric_name)``,
    with any dimensions, metric-math alarms included (``Alarm.uses_metric_math``)."""
    monitoring = _monitoring(snapshot, account_id, region)
    alarms = monitoring.alarms if monitoring else None
    if alarms is None:
        return _not_collected(snapshot, account_id, region, "alarms")
    return tuple(a for a in alarms if a.watches(namespace, metric_name))


def topic_by_arn(snapshot: Snapshot, topic_arn: str) -> Topic | Missing | NotCollected:
    """The SNS topic ``topic_arn`` names, looked up in the account and Region of the ARN."""
    place = topic_place(topic_arn)
    if place is None:
        return Missing(topic_arn, "not an SNS topic ARN")
    monitoring = _monitoring(snapshot, place.account_id, place.region)
    topics = monitoring.topics if monitoring else None
    if topics is None:
        return _not_collected(snapshot, place.account_id, place.region, "topics")
    found = next((t for t in topics if t.arn == topic_arn), None)
    if found is None:
        return Missing(topic_arn, f"no such topic in account {place.account_id} in {place.region}")
    return found


def event_rules_on_bus(snapshot: Snapshot, account_id: str, region: str,
                       bus_name: str = "default") -> tuple[EventRule, ...] | NotCollected:
    """The EventBridge rules on the bus ``bus_name`` of an account and Region.

    The collected rules are those of the default bus and of every bus a collected rule
    targets, so a bus with no rule listed has none, unless ListRules failed for it (an
    error on that Region without a resource, or naming the bus).
    """
    monitoring = _monitoring(snapshot, account_id, region)
    rules = monitoring.event_rules if monitoring else None
    account = snapshot.account(account_id)
    failed = account is not None and any(
        e.operation == "ListRules" and e.region in (None, region)
        and (e.resource is None or _names_bus(e.resource, bus_name)) for e in account.errors)
    if rules is None or failed:
        return _not_collected(snapshot, account_id, region, "event_rules")
    return tuple(r for r in rules if r.bus_name == bus_name)


def _names_bus(resource: str, bus_name: str) -> bool:
    place = event_bus_place(resource)
    return resource == bus_name or (place is not None and place.name == bus_name)


def _monitoring(snapshot: Snapshot, account_id: str, region: str) -> RegionMonitoring | None:
    account = snapshot.account(account_id)
    if account is None or not snapshot.carries("monitoring"):
        return None
    return account.monitoring_in(region)


def _not_collected(snapshot: Snapshot, account_id: str, region: str, part: MonitoringPart) -> NotCollected:
    """Why ``part`` of that account and Region is unknown, with the errors that explain it."""
    account = snapshot.account(account_id)
    if not snapshot.carries("monitoring"):
        return NotCollected(account_id, region, part, "the snapshot carries no monitoring data")
    if account is None:
        return NotCollected(account_id, region, part, f"account {account_id} is not in the snapshot")
    errors = tuple(e for e in account.errors if e.region in (None, region)
                   and (e.region is None or OPERATION_PARTS.get(e.operation) == part))
    reason = f"the {_PART_NAMES[part]} of account {account_id} in {region} were not collected"
    if errors:
        reason += " (" + "; ".join(f"{e.operation}: {e.code}" for e in errors) + ")"
    return NotCollected(account_id, region, part, reason, errors)
