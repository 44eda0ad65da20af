"""The metric-filter chains behind one log group: filter -> metric -> alarm -> SNS topic.

Everything after the trail: the trail's ``CloudWatchLogsLogGroupArn`` names the log group
(in the account and Region of that ARN), and each metric filter there, each metric it
publishes, each alarm on exactly that metric and each SNS topic among the alarm's actions
make one chain. A link whose data the snapshot lacks is unknown; a log group without
filters, a metric without an alarm, an alarm without an SNS action end their chain broken.
Which filters match the events a rule is about is not decided here
(:mod:`checker.alerting.chains`).
"""

from __future__ import annotations

from checker.alerting.alarm import alarm_link, metric_text, sns_actions, topic_link
from checker.alerting.chain_model import Chain, Link
from checker.alerting.filter_parse import parse_lenient
from checker.alerting.interface import Undecided
from checker.model import Snapshot, Trail
from checker.monitoring_lookup import (
    Missing,
    NotCollected,
    alarms_on_metric,
    log_group_place,
    metric_filters_on_log_group,
)
from checker.monitoring_model import Alarm, MetricFilter, MetricTransformation


def log_group_link(trail: Trail) -> Link:
    """Does the trail deliver to a CloudWatch Logs log group (``CloudWatchLogsLogGroupArn``)?"""
    arn = trail.document.get("CloudWatchLogsLogGroupArn")
    if not isinstance(arn, str) or not arn:
        return Link("log-group", "", False, "the trail sends no events to CloudWatch Logs "
                                            "(no CloudWatchLogsLogGroupArn)")
    if log_group_place(arn) is None:
        return Link("log-group", arn, False, "CloudWatchLogsLogGroupArn is not a log group ARN")
    return Link("log-group", arn, True, "the trail delivers its events to this log group")


def log_group_chains(snapshot: Snapshot, trail: Trail) -> list[Chain]:
    """Every chain from the trail's log group on (the trail link is the caller's)."""
    group = log_group_link(trail)
    if group.ok is not True:
        return [Chain("metric-filter", (group,))]
    filters = metric_filters_on_log_group(snapshot, group.id)
    if isinstance(filters, NotCollected):
        return [Chain("metric-filter", (Link("log-group", group.id, None, filters.reason),))]
    if isinstance(filters, Missing):
        return [Chain("metric-filter", (Link("log-group", group.id, False, filters.reason),))]
    if not filters:
        return [Chain("metric-filter", (Link("log-group", group.id, False, "no metric filter on the log group"),))]
    place = log_group_place(group.id)
    assert place is not None
    found = Link("log-group", group.id, True, f"{len(filters)} metric filter(s) on the log group")
    return [chain.after(found) for metric_filter in filters
            for chain in filter_chains(snapshot, metric_filter, place.account_id, place.region)]


def filter_chains(snapshot: Snapshot, metric_filter: MetricFilter, account_id: str, region: str) -> list[Chain]:
    """The chains of one metric filter of the log group in ``account_id`` and ``region``."""
    pattern = parse_lenient(metric_filter.pattern)
    if isinstance(pattern, Undecided):
        head = Link("metric-filter", metric_filter.name, None, f"pattern {metric_filter.pattern!r}: {pattern.reason}")
    else:
        head = Link("metric-filter", metric_filter.name, True, f"pattern {metric_filter.pattern}")
    if not metric_filter.transformations:
        return [Chain("metric-filter", (head, Link("metric", "", False, "the filter publishes no metric")), pattern)]
    return [Chain("metric-filter", (head, *links), pattern)
            for transformation in metric_filter.transformations
            for links in _metric_links(snapshot, transformation, account_id, region)]


def _metric_links(snapshot: Snapshot, transformation: MetricTransformation, account_id: str,
                  region: str) -> list[tuple[Link, ...]]:
    """The rest of each chain through one published metric: metric, alarm, topic."""
    metric_id = metric_text(transformation)
    alarms = alarms_on_metric(snapshot, account_id, region, transformation.metric_namespace,
                              transformation.metric_name)
    if isinstance(alarms, NotCollected):
        return [(Link("metric", metric_id, None, alarms.reason),)]
    if not alarms:
        return [(Link("metric", metric_id, False,
                      f"no alarm watches this metric in account {account_id} in {region}"),)]
    metric = Link("metric", metric_id, True, f"the filter publishes {transformation.metric_value} per matching event")
    return [(metric, *links) for alarm in alarms for links in _alarm_links(snapshot, alarm, transformation)]


def _alarm_links(snapshot: Snapshot, alarm: Alarm, transformation: MetricTransformation) -> list[tuple[Link, ...]]:
    fires = alarm_link(alarm, transformation)
    if fires.ok is False:
        return [(fires,)]
    topics = sns_actions(alarm)
    if not topics:
        others = f" (its actions: {', '.join(alarm.alarm_actions)})" if alarm.alarm_actions else ""
        return [(fires, Link("topic", "", False, f"no SNS topic among its AlarmActions{others}"))]
    return [(fires, topic_link(snapshot, topic)) for topic in topics]
