"""Monitoring data of one account and Region: metric filters, alarms, SNS topics, EventBridge rules.

These are the links of a monitoring chain (docs/semantics.md, "Monitoring chains"): a
recorded event reaches a log group, a metric filter turns it into a metric, an alarm on
that metric notifies an SNS topic with a confirmed subscriber; or an EventBridge rule on
the Region's bus sends it to a topic or to another bus.

``None`` means *not collected* (unknown), an empty tuple means *collected, none exist*.
Patterns are kept as the stored text: parsing them is the alerting simulator's job, and a
pattern that does not parse is a fact about the estate, not bad input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

MonitoringPart = Literal["metric_filters", "alarms", "topics", "event_rules"]
"""One list of a Region's monitoring data, as the snapshot names it."""

OPERATION_PARTS: dict[str, MonitoringPart] = {
    "DescribeMetricFilters": "metric_filters",
    "DescribeAlarms": "alarms",
    "ListTopics": "topics",
    "ListSubscriptionsByTopic": "topics",
    "GetTopicAttributes": "topics",
    "ListRules": "event_rules",
    "ListTargetsByRule": "event_rules",
}
"""The AWS operations that collect each list: a failure of one of them leaves that list
unknown and says nothing about trails."""

UNCONFIRMED_SUBSCRIPTION_ARNS = frozenset({"PendingConfirmation", "Deleted"})
"""What ListSubscriptionsByTopic shows instead of an ARN for a subscriber that receives nothing."""

Dimensions = tuple[tuple[str, str], ...]
"""``(name, value)`` pairs in name order. For a metric transformation the value is the log
field the dimension is read from (``$.userIdentity.arn``); for an alarm, the value watched."""


@dataclass(frozen=True)
class MetricTransformation:
    """One ``metricTransformations`` item: what a metric filter publishes for a matching event.

    ``metric_value`` is the text stored (a number such as ``"1"``, or a ``$.field``).
    ``default_value`` is published for log events that do *not* match (``None``: nothing is).
    """

    metric_name: str
    metric_namespace: str
    metric_value: str
    default_value: float | None = None
    dimensions: Dimensions = ()
    unit: str | None = None


@dataclass(frozen=True)
class MetricFilter:
    """A DescribeMetricFilters ``metricFilters`` item, on ``log_group_name`` in its account and Region."""

    name: str
    log_group_name: str
    pattern: str
    transformations: tuple[MetricTransformation, ...]
    document: dict[str, Any] = field(compare=False, hash=False, repr=False)


@dataclass(frozen=True)
class WatchedMetric:
    """The metric an alarm (or one ``MetricStat`` of a metric-math alarm) reads."""

    namespace: str
    name: str
    dimensions: Dimensions = ()


@dataclass(frozen=True)
class Alarm:
    """A DescribeAlarms ``MetricAlarms`` item.

    ``metric`` is the single metric watched, ``None`` for a metric-math alarm (a non-empty
    ``Metrics``), whose ``MetricStat`` metrics are ``math_metrics``. ``treat_missing_data``
    has the AWS default (``missing``) filled in when absent.
    """

    name: str
    arn: str
    metric: WatchedMetric | None
    math_metrics: tuple[WatchedMetric, ...]
    statistic: str | None
    extended_statistic: str | None
    period: int | None
    evaluation_periods: int
    datapoints_to_alarm: int | None
    threshold: float | None
    comparison_operator: str
    actions_enabled: bool
    alarm_actions: tuple[str, ...]
    treat_missing_data: str
    unit: str | None
    document: dict[str, Any] = field(compare=False, hash=False, repr=False)

    @property
    def uses_metric_math(self) -> bool:
        return self.metric is None

    @property
    def datapoints_needed(self) -> int:
        """How many breaching periods raise the alarm (``DatapointsToAlarm``, else ``EvaluationPeriods``)."""
        return self.datapoints_to_alarm if self.datapoints_to_alarm is not None else self.evaluation_periods

    def watches(self, namespace: str, metric_name: str) -> bool:
        """Does the alarm read a metric of that namespace and name (any dimensions, math included)?"""
        metrics = (self.metric,) if self.metric is not None else self.math_metrics
        return any(m.namespace == namespace and m.name == metric_name for m in metrics)


@dataclass(frozen=True)
class Subscription:
    """A ListSubscriptionsByTopic ``Subscriptions`` item."""

    arn: str
    protocol: str
    endpoint: str | None = None
    owner: str | None = None

    @property
    def confirmed(self) -> bool:
        """Does the subscriber receive messages (its ARN is neither ``PendingConfirmation`` nor ``Deleted``)?"""
        return self.arn not in UNCONFIRMED_SUBSCRIPTION_ARNS


@dataclass(frozen=True)
class Topic:
    """An SNS topic with its subscriptions and, when read, its attributes.

    ``subscriptions`` is ``None`` when ListSubscriptionsByTopic was not collected.
    ``kms_master_key_id`` is the ``KmsMasterKeyId`` attribute (``None``: not encrypted) and
    means something only when ``attributes_collected`` (GetTopicAttributes was read).
    """

    arn: str
    subscriptions: tuple[Subscription, ...] | None
    attributes_collected: bool = False
    kms_master_key_id: str | None = None
    document: dict[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def has_confirmed_subscription(self) -> bool | None:
        """At least one subscriber receives messages; ``None`` when subscriptions are unknown."""
        if self.subscriptions is None:
            return None
        return any(s.confirmed for s in self.subscriptions)


@dataclass(frozen=True)
class EventTarget:
    """A ListTargetsByRule ``Targets`` item: an SNS topic, another event bus, a Lambda function..."""

    id: str
    arn: str


@dataclass(frozen=True)
class EventRule:
    """A ListRules ``Rules`` item with its targets.

    ``pattern`` is the stored ``EventPattern`` text (``None`` for a scheduled rule).
    ``targets`` is ``None`` when ListTargetsByRule was not collected.
    """

    name: str
    arn: str
    bus_name: str
    state: str
    pattern: str | None
    targets: tuple[EventTarget, ...] | None
    document: dict[str, Any] = field(compare=False, hash=False, repr=False)


@dataclass(frozen=True)
class RegionMonitoring:
    """The monitoring data of one account in one Region; each list ``None`` when not collected."""

    region: str
    metric_filters: tuple[MetricFilter, ...] | None = None
    alarms: tuple[Alarm, ...] | None = None
    topics: tuple[Topic, ...] | None = None
    event_rules: tuple[EventRule, ...] | None = None

    def collected(self, part: MonitoringPart) -> bool:
        """Was that list collected (present, possibly empty)?"""
        return getattr(self, part) is not None
