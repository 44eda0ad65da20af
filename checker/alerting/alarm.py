"""Does an alarm fire on one matching event, and does its SNS topic reach someone?

A metric filter publishes its transformation's ``metricValue`` for each matching log event
(and ``defaultValue``, when set, for every other one). An alarm on exactly that metric raises
a notification for one matching event when all of these hold (docs/semantics.md,
"Monitoring chains"):

* it watches the metric the filter publishes: same dimensions (a dimension read from a log
  field splits the metric per value: an alarm on one value sees only part of the events,
  which is undecided), same ``Unit`` (another unit retrieves no data);
* ``ActionsEnabled`` is not false, one breaching period is enough (``DatapointsToAlarm``, or
  ``EvaluationPeriods`` when absent, is 1), and ``TreatMissingData`` is not ``breaching``
  (alarms notify on transitions; a sparse metric treated as breaching keeps the alarm in
  ALARM, so the event changes nothing);
* the statistic of a period holding one event reaches the threshold: ``Sum``, ``Maximum``
  (and ``p100``) give the metric value, ``SampleCount`` gives 1, ``Average`` and ``Minimum``
  give it only when no ``defaultValue`` dilutes them; then ``GreaterThanOrEqualToThreshold``
  needs ``Threshold <= value`` and ``GreaterThanThreshold`` ``Threshold < value``. The
  ``LessThan...`` operators alert on silence, not on events.

Metric-math alarms, other percentiles, a value read from a log field (``$.bytes``) and
operators trailcheck does not know are undecided, never taken to work.

An SNS topic reaches someone when at least one subscription is confirmed (its ARN is neither
``PendingConfirmation`` nor ``Deleted``) and it is not encrypted with the AWS-managed key
``alias/aws/sns``, whose key policy cannot let CloudWatch or EventBridge publish.
"""

from __future__ import annotations

import math

from checker.alerting.chain_model import Link
from checker.model import Snapshot
from checker.monitoring_lookup import Missing, NotCollected, topic_by_arn, topic_place
from checker.monitoring_model import Alarm, MetricTransformation, Topic

AWS_MANAGED_SNS_KEY = "alias/aws/sns"
FIRING_STATISTICS = frozenset({"Sum", "SampleCount", "Maximum"})
UNDILUTED_STATISTICS = frozenset({"Average", "Minimum"})
"""Statistics that equal the metric value only when no ``defaultValue`` is published too."""
SILENCE_OPERATORS = frozenset({"LessThanThreshold", "LessThanOrEqualToThreshold"})


def metric_text(transformation: MetricTransformation) -> str:
    """``CISBenchmark/CloudTrailChanges`` (with its dimensions, if any)."""
    text = f"{transformation.metric_namespace}/{transformation.metric_name}"
    if transformation.dimensions:
        text += " {" + ", ".join(f"{name}: {value}" for name, value in transformation.dimensions) + "}"
    return text


def metric_value(transformation: MetricTransformation) -> float | None:
    """The number the filter publishes per matching event; ``None`` when read from a log field."""
    try:
        value = float(transformation.metric_value)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def alarm_link(alarm: Alarm, transformation: MetricTransformation) -> Link:
    """Does ``alarm`` (which reads the transformation's metric) notify on one matching event?"""
    broken: list[str] = []
    open_points: list[str] = []
    _metric_problems(alarm, transformation, broken, open_points)
    if alarm.actions_enabled is False:
        broken.append("ActionsEnabled is false: it changes state but notifies nobody")
    needed = alarm.datapoints_needed
    if needed != 1:
        source = "DatapointsToAlarm" if alarm.datapoints_to_alarm is not None else "EvaluationPeriods"
        broken.append(f"{source} is {needed}: it needs {needed} periods with matching events, one event is not enough")
    if alarm.treat_missing_data == "breaching":
        broken.append("TreatMissingData is breaching: the sparse metric keeps it in ALARM, so an event "
                      "changes nothing and notifies nobody")
    if not alarm.uses_metric_math:
        _threshold_problems(alarm, transformation, broken, open_points)
    if broken:
        return Link("alarm", alarm.arn, False, "; ".join(broken))
    if open_points:
        return Link("alarm", alarm.arn, None, "; ".join(open_points))
    return Link("alarm", alarm.arn, True, f"fires on one matching event ({_condition(alarm)})")


def _metric_problems(alarm: Alarm, transformation: MetricTransformation, broken: list[str],
                     open_points: list[str]) -> None:
    if alarm.metric is None:
        open_points.append("a metric-math alarm: trailcheck does not evaluate metric math")
        return
    published = tuple(name for name, _ in transformation.dimensions)
    watched = alarm.metric.dimensions
    if published and not watched:
        broken.append(f"the filter publishes the metric with dimension(s) {', '.join(published)}; the alarm "
                      "watches the metric without dimensions, which gets no data")
    elif watched and tuple(name for name, _ in watched) != published:
        broken.append(f"the alarm watches dimension(s) {', '.join(n for n, _ in watched)} that the filter "
                      f"does not publish{' (it publishes ' + ', '.join(published) + ')' if published else ''}")
    elif watched:
        shown = ", ".join(f"{name}={value}" for name, value in watched)
        open_points.append(f"the alarm watches one value of the dimension(s) ({shown}): it sees only the "
                           "matching events with that value")
    published_unit = transformation.unit or "None"
    if alarm.unit is not None and alarm.unit != published_unit:
        broken.append(f"the alarm's Unit {alarm.unit} differs from the unit the filter publishes "
                      f"({published_unit}): it retrieves no data")


def _threshold_problems(alarm: Alarm, transformation: MetricTransformation, broken: list[str],
                        open_points: list[str]) -> None:
    statistic = alarm.statistic
    if alarm.extended_statistic is not None:
        if alarm.extended_statistic != "p100":
            open_points.append(f"ExtendedStatistic {alarm.extended_statistic}: a percentile trailcheck does "
                               "not evaluate")
            return
        statistic = "Maximum"
    if statistic in UNDILUTED_STATISTICS and transformation.default_value is not None:
        broken.append(f"Statistic {statistic} is diluted by the filter's defaultValue "
                      f"{transformation.default_value:g}, published for every other log event")
        return
    if statistic not in FIRING_STATISTICS | UNDILUTED_STATISTICS:
        open_points.append(f"Statistic {statistic!r} is not one trailcheck evaluates")
        return
    value = 1.0 if statistic == "SampleCount" else metric_value(transformation)
    if value is None:
        open_points.append(f"the metric value is read from the log event ({transformation.metric_value})")
        return
    operator, threshold = alarm.comparison_operator, alarm.threshold
    if operator in SILENCE_OPERATORS:
        broken.append(f"{operator} alerts on silence, not on events")
    elif operator not in ("GreaterThanOrEqualToThreshold", "GreaterThanThreshold") or threshold is None:
        open_points.append(f"ComparisonOperator {operator} is not one trailcheck evaluates")
    elif (threshold > value) if operator == "GreaterThanOrEqualToThreshold" else (threshold >= value):
        sign = ">=" if operator == "GreaterThanOrEqualToThreshold" else ">"
        broken.append(f"one event gives {statistic} {value:g}, and the alarm needs {statistic} {sign} "
                      f"{threshold:g}")


def _condition(alarm: Alarm) -> str:
    if alarm.metric is None:
        return "metric math"
    statistic = alarm.extended_statistic or alarm.statistic
    sign = {"GreaterThanOrEqualToThreshold": ">=", "GreaterThanThreshold": ">"}.get(alarm.comparison_operator,
                                                                                   alarm.comparison_operator)
    return f"{statistic} {sign} {alarm.threshold:g} in 1 period" if alarm.threshold is not None else str(statistic)


def sns_actions(alarm: Alarm) -> tuple[str, ...]:
    """The SNS topics among the alarm's ``AlarmActions`` (others: Auto Scaling, EC2, OpsItems...)."""
    return tuple(action for action in alarm.alarm_actions if topic_place(action) is not None)


def topic_link(snapshot: Snapshot, topic_arn: str) -> Link:
    """Does a notification to ``topic_arn`` reach a subscriber?"""
    found = topic_by_arn(snapshot, topic_arn)
    if isinstance(found, NotCollected):
        return Link("topic", topic_arn, None, found.reason)
    if isinstance(found, Missing):
        return Link("topic", topic_arn, False, found.reason)
    return _topic_verdict(found)


def _topic_verdict(topic: Topic) -> Link:
    if topic.attributes_collected and is_aws_managed_sns_key(topic.kms_master_key_id):
        return Link("topic", topic.arn, False,
                    f"encrypted with the AWS-managed key {topic.kms_master_key_id}, whose key policy cannot let "
                    "CloudWatch or EventBridge publish to it")
    confirmed = topic.has_confirmed_subscription
    if confirmed is None:
        return Link("topic", topic.arn, None, "its subscriptions were not collected (ListSubscriptionsByTopic)")
    if not confirmed:
        assert topic.subscriptions is not None
        pending = [s for s in topic.subscriptions if not s.confirmed]
        detail = f" ({len(pending)} pending confirmation or deleted)" if pending else ""
        return Link("topic", topic.arn, False, f"no confirmed subscription{detail}: nobody receives its messages")
    receivers = [f"{s.protocol}" + (f" {s.endpoint}" if s.endpoint else "")
                 for s in topic.subscriptions or () if s.confirmed]
    encryption = "" if topic.attributes_collected else " (its attributes, hence its encryption, were not read)"
    return Link("topic", topic.arn, True, f"confirmed subscription(s): {', '.join(receivers[:3])}"
                + (f" and {len(receivers) - 3} more" if len(receivers) > 3 else "") + encryption)


def is_aws_managed_sns_key(key_id: str | None) -> bool:
    """``alias/aws/sns``, bare or as an alias ARN (``arn:aws:kms:REGION:ACCOUNT:alias/aws/sns``)."""
    return key_id is not None and (key_id == AWS_MANAGED_SNS_KEY or key_id.endswith(":" + AWS_MANAGED_SNS_KEY))
