"""Monitoring reads: the calls behind each planned read, and what they add to an account's snapshot.

A planned read (:mod:`checker.plan.reads`) is made with the owner account's credentials in
the resource's Region; every call is paginated. What comes back mirrors the API answer
(``ResponseMetadata`` dropped, datetimes as ISO 8601) and lands in the owner account's
``monitoring`` object, per Region:

* ``metric_filters``: DescribeMetricFilters ``metricFilters`` of each log group read;
* ``alarms``: DescribeAlarms ``MetricAlarms`` (every metric alarm of the Region);
* ``topics``: per topic, ``TopicArn``, ListSubscriptionsByTopic ``Subscriptions`` and, from
  GetTopicAttributes, only ``KmsMasterKeyId`` (the other attributes hold policies no rule reads);
* ``event_rules``: ListRules ``Rules`` of each bus read, each with its ListTargetsByRule
  ``Targets`` once those are read.

A list is written once a read of it succeeded in that Region: present means collected. What
does not exist is an answer, not a failure: a log group, bus or rule that is gone has no
filters, rules or targets; a topic that is gone is left out of a collected list, so the chain
that names it is broken. A failure leaves its datum out (unknown) and becomes an ``errors``
entry naming the operation, the Region and the resource; a topic whose calls failed is
listed without the part that failed, so it is unknown, never missing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from checker.inputs.live.faults import Failure, attempt
from checker.inputs.live.trails import to_json
from checker.plan.reads import (
    Alarms,
    BusRules,
    MetricFilters,
    PlacedRead,
    Read,
    RuleTargets,
    TopicSubscribers,
    monitoring_read,
)
from checker.typing_compat import assert_never

NOT_FOUND_CODES = frozenset({"ResourceNotFoundException", "NotFound", "NotFoundException"})
"""The codes with which these APIs say the resource does not exist (an answer, not a failure)."""

KMS_ATTRIBUTE = "KmsMasterKeyId"

SERVICES: dict[type, str] = {MetricFilters: "logs", Alarms: "cloudwatch", TopicSubscribers: "sns",
                             BusRules: "events", RuleTargets: "events"}
"""The boto3 service of each read."""


def service_of(read: Read) -> str:
    return SERVICES[type(read)]


# -- the calls ----------------------------------------------------------------------------------

def _pages(client: Any, operation: str, key: str, **kwargs: Any) -> list[dict[str, Any]]:
    """Every item under ``key`` of every page."""
    items: list[dict[str, Any]] = []
    for page in client.get_paginator(operation).paginate(**kwargs):
        items += to_json(page.get(key, []))
    return items


def describe_metric_filters(logs: Any, log_group: str) -> list[dict[str, Any]]:
    return _pages(logs, "describe_metric_filters", "metricFilters", logGroupName=log_group)


def describe_alarms(cloudwatch: Any) -> list[dict[str, Any]]:
    """Metric alarms only: a composite alarm watches other alarms, never a filter's metric."""
    return _pages(cloudwatch, "describe_alarms", "MetricAlarms", AlarmTypes=["MetricAlarm"])


def list_subscriptions(sns: Any, topic_arn: str) -> list[dict[str, Any]]:
    return _pages(sns, "list_subscriptions_by_topic", "Subscriptions", TopicArn=topic_arn)


def topic_encryption(sns: Any, topic_arn: str) -> dict[str, Any]:
    """The ``Attributes`` recorded for a topic: ``KmsMasterKeyId`` when it is encrypted, else none."""
    attributes = sns.get_topic_attributes(TopicArn=topic_arn).get("Attributes", {})
    return {KMS_ATTRIBUTE: attributes[KMS_ATTRIBUTE]} if attributes.get(KMS_ATTRIBUTE) else {}


def list_rules(events: Any, bus: str) -> list[dict[str, Any]]:
    return _pages(events, "list_rules", "Rules", EventBusName=bus)


def list_targets(events: Any, bus: str, rule: str) -> list[dict[str, Any]]:
    return _pages(events, "list_targets_by_rule", "Targets", Rule=rule, EventBusName=bus)


# -- one read -----------------------------------------------------------------------------------

Answer = list[dict[str, Any]] | dict[str, Any] | Failure


@dataclass(frozen=True)
class ReadResult:
    """What the calls of one planned read answered, by operation."""

    placed: PlacedRead
    answers: dict[str, Answer]


def perform(placed: PlacedRead, client: Any) -> ReadResult:
    """Make the calls of one read with ``client`` (the read's service, owner and Region)."""
    read = monitoring_read(placed.read)
    calls: dict[str, Callable[[], Any]]
    if isinstance(read, MetricFilters):
        calls = {"DescribeMetricFilters": lambda: describe_metric_filters(client, read.log_group)}
    elif isinstance(read, Alarms):
        calls = {"DescribeAlarms": lambda: describe_alarms(client)}
    elif isinstance(read, TopicSubscribers):
        calls = {"ListSubscriptionsByTopic": lambda: list_subscriptions(client, read.topic_arn),
                 "GetTopicAttributes": lambda: topic_encryption(client, read.topic_arn)}
    elif isinstance(read, BusRules):
        calls = {"ListRules": lambda: list_rules(client, read.bus)}
    elif isinstance(read, RuleTargets):
        calls = {"ListTargetsByRule": lambda: list_targets(client, read.bus, read.rule)}
    else:
        assert_never(read)
    return ReadResult(placed, {operation: attempt(call) for operation, call in calls.items()})


def _gone(answer: Answer) -> bool:
    return isinstance(answer, Failure) and answer.code in NOT_FOUND_CODES


# -- what an account collected ----------------------------------------------------------------

@dataclass
class RegionMonitoringData:
    """One Region's lists as read so far; ``None`` until a read of that list succeeds."""

    metric_filters: dict[str, list[dict[str, Any]]] | None = None
    alarms: list[dict[str, Any]] | None = None
    topics: dict[str, dict[str, Any]] | None = None
    event_rules: dict[tuple[str, str], dict[str, Any]] | None = None

    def document(self) -> dict[str, Any]:
        """The Region's ``monitoring`` object, each list in a stable order."""
        item: dict[str, Any] = {}
        if self.metric_filters is not None:
            item["metric_filters"] = sorted((f for group in self.metric_filters.values() for f in group),
                                            key=lambda f: (f.get("logGroupName", ""), f.get("filterName", "")))
        if self.alarms is not None:
            item["alarms"] = sorted(self.alarms, key=lambda a: str(a.get("AlarmName", "")))
        if self.topics is not None:
            item["topics"] = [self.topics[arn] for arn in sorted(self.topics)]
        if self.event_rules is not None:
            item["event_rules"] = [self.event_rules[key] for key in sorted(self.event_rules)]
        return item


@dataclass
class AccountMonitoring:
    """The monitoring data one account owns, by Region."""

    regions: dict[str, RegionMonitoringData] = field(default_factory=dict)

    def record(self, result: ReadResult) -> list[dict[str, Any]]:
        """Add what a read answered; return the ``errors`` entries of its failed calls."""
        placed = result.placed
        data = self.regions.setdefault(placed.region, RegionMonitoringData())
        read = monitoring_read(placed.read)
        errors = [answer.entry(placed.region, operation, resource=read.resource)
                  for operation, answer in result.answers.items()
                  if isinstance(answer, Failure) and not _gone(answer)]
        if isinstance(read, MetricFilters):
            _record_filters(data, read, result.answers["DescribeMetricFilters"])
        elif isinstance(read, Alarms):
            _record_alarms(data, result.answers["DescribeAlarms"])
        elif isinstance(read, TopicSubscribers):
            _record_topic(data, read, result.answers["ListSubscriptionsByTopic"],
                          result.answers["GetTopicAttributes"])
        elif isinstance(read, BusRules):
            _record_rules(data, read, result.answers["ListRules"])
        elif isinstance(read, RuleTargets):
            _record_targets(data, read, result.answers["ListTargetsByRule"])
        else:
            assert_never(read)
        return errors

    def document(self) -> dict[str, Any]:
        """The account's ``monitoring`` object: the Regions where some list was collected."""
        regions = {region: data.document() for region, data in sorted(self.regions.items())}
        return {region: item for region, item in regions.items() if item}


def _record_filters(data: RegionMonitoringData, read: MetricFilters, answer: Answer) -> None:
    if _gone(answer):
        answer = []
    if isinstance(answer, list):
        data.metric_filters = data.metric_filters if data.metric_filters is not None else {}
        data.metric_filters[read.log_group] = answer


def _record_alarms(data: RegionMonitoringData, answer: Answer) -> None:
    if isinstance(answer, list):
        data.alarms = answer


def _record_topic(data: RegionMonitoringData, read: TopicSubscribers, subscriptions: Answer,
                  attributes: Answer) -> None:
    if _gone(subscriptions) or _gone(attributes):
        data.topics = data.topics if data.topics is not None else {}  # collected: the topic does not exist
        return
    topic: dict[str, Any] = {"TopicArn": read.topic_arn}
    if isinstance(subscriptions, list):
        topic["Subscriptions"] = subscriptions
    if isinstance(attributes, dict):
        topic["Attributes"] = attributes
    data.topics = data.topics if data.topics is not None else {}
    data.topics[read.topic_arn] = topic


def _record_rules(data: RegionMonitoringData, read: BusRules, answer: Answer) -> None:
    if _gone(answer):
        answer = []
    if isinstance(answer, list):
        data.event_rules = data.event_rules if data.event_rules is not None else {}
        for rule in answer:
            data.event_rules[(str(rule.get("EventBusName") or read.bus), str(rule["Name"]))] = rule


def _record_targets(data: RegionMonitoringData, read: RuleTargets, answer: Answer) -> None:
    rule = (data.event_rules or {}).get((read.bus, read.rule))
    if rule is None:
        return
    if _gone(answer):
        answer = []
    if isinstance(answer, list):
        rule["Targets"] = answer
