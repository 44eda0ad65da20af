"""An account's ``monitoring`` object of a snapshot -> :class:`checker.monitoring_model.RegionMonitoring`.

The object is keyed by Region; each list mirrors an AWS API response (DescribeMetricFilters
``metricFilters``, DescribeAlarms ``MetricAlarms``, ListSubscriptionsByTopic ``Subscriptions``
per topic, ListRules ``Rules`` with their ListTargetsByRule ``Targets``). It has been
validated against the snapshot schema already. An absent list stays ``None`` (not
collected); patterns stay text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from checker.monitoring_model import (
    Alarm,
    Dimensions,
    EventRule,
    EventTarget,
    MetricFilter,
    MetricTransformation,
    RegionMonitoring,
    Subscription,
    Topic,
    WatchedMetric,
)


def parse_monitoring(document: Mapping[str, Any]) -> tuple[RegionMonitoring, ...]:
    """Every Region of an account's ``monitoring`` object, in Region order."""
    return tuple(_region(region, document[region]) for region in sorted(document))


def _region(region: str, item: Mapping[str, Any]) -> RegionMonitoring:
    filters = item.get("metric_filters")
    alarms = item.get("alarms")
    topics = item.get("topics")
    rules = item.get("event_rules")
    return RegionMonitoring(
        region=region,
        metric_filters=tuple(map(_metric_filter, filters)) if filters is not None else None,
        alarms=tuple(map(_alarm, alarms)) if alarms is not None else None,
        topics=tuple(map(_topic, topics)) if topics is not None else None,
        event_rules=tuple(map(_event_rule, rules)) if rules is not None else None,
    )


def _metric_filter(item: Mapping[str, Any]) -> MetricFilter:
    return MetricFilter(
        name=item["filterName"],
        log_group_name=item["logGroupName"],
        pattern=item["filterPattern"],
        transformations=tuple(
            MetricTransformation(
                metric_name=t["metricName"],
                metric_namespace=t["metricNamespace"],
                metric_value=str(t["metricValue"]),
                default_value=_float(t.get("defaultValue")),
                dimensions=tuple(sorted(t.get("dimensions", {}).items())),
                unit=t.get("unit"),
            ) for t in item["metricTransformations"]),
        document=dict(item),
    )


def _alarm(item: Mapping[str, Any]) -> Alarm:
    math = item.get("Metrics") or []
    single = None if math else WatchedMetric(item["Namespace"], item["MetricName"],
                                             _dimensions(item.get("Dimensions", ())))
    return Alarm(
        name=item["AlarmName"],
        arn=item["AlarmArn"],
        metric=single,
        math_metrics=tuple(
            WatchedMetric(m["MetricStat"]["Metric"]["Namespace"], m["MetricStat"]["Metric"]["MetricName"],
                          _dimensions(m["MetricStat"]["Metric"].get("Dimensions", ())))
            for m in math if "MetricStat" in m),
        statistic=item.get("Statistic"),
        extended_statistic=item.get("ExtendedStatistic"),
        period=_int(item.get("Period")),
        evaluation_periods=int(item["EvaluationPeriods"]),
        datapoints_to_alarm=_int(item.get("DatapointsToAlarm")),
        threshold=_float(item.get("Threshold")),
        comparison_operator=item["ComparisonOperator"],
        actions_enabled=item["ActionsEnabled"],
        alarm_actions=tuple(item.get("AlarmActions", ())),
        treat_missing_data=item.get("TreatMissingData", "missing"),
        unit=item.get("Unit"),
        document=dict(item),
    )


def _topic(item: Mapping[str, Any]) -> Topic:
    subscriptions = item.get("Subscriptions")
    attributes = item.get("Attributes")
    return Topic(
        arn=item["TopicArn"],
        subscriptions=tuple(
            Subscription(s["SubscriptionArn"], s["Protocol"], s.get("Endpoint"), s.get("Owner"))
            for s in subscriptions) if subscriptions is not None else None,
        attributes_collected=attributes is not None,
        kms_master_key_id=(attributes or {}).get("KmsMasterKeyId") or None,
        document=dict(item),
    )


def _event_rule(item: Mapping[str, Any]) -> EventRule:
    targets = item.get("Targets")
    return EventRule(
        name=item["Name"],
        arn=item["Arn"],
        bus_name=item["EventBusName"],
        state=item["State"],
        pattern=item.get("EventPattern"),
        targets=tuple(EventTarget(t["Id"], t["Arn"]) for t in targets) if targets is not None else None,
        document=dict(item),
    )


def _dimensions(items: Iterable[Mapping[str, str]]) -> Dimensions:
    return tuple(sorted((d["Name"], d["Value"]) for d in items))


def _int(value: float | None) -> int | None:
    return int(value) if value is not None else None


def _float(value: float | None) -> float | None:
    return float(value) if value is not None else None
