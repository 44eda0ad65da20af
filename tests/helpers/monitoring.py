"""Monitoring data for hand-made snapshots: metric filters, alarms, SNS topics, EventBridge rules.

Each builder returns the API response item the snapshot mirrors (DescribeMetricFilters,
DescribeAlarms, ListSubscriptionsByTopic, ListRules with ListTargetsByRule), healthy by default
(the CIS remediation: metric value 1, Sum >= 1 over one period, a confirmed email subscriber);
keyword overrides change or, with ``None``, remove a key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from tests.helpers.cis_texts import V14
from tests.helpers.snapshots import MANAGEMENT

NAMESPACE = "CISBenchmark"
CONFIRMED = "arn:aws:sns:us-east-1:111111111111:security-alerts:5f0c7d1e-4b2a-4c3d-9e8f-0a1b2c3d4e5f"
SSM_RECIPE: dict[str, Any] = {
    "source": ["aws.ssm"], "detail-type": ["AWS API Call via CloudTrail"],
    "detail": {"eventSource": ["ssm.amazonaws.com"], "eventName": ["StartSession", "ResumeSession",
                                                                    "TerminateSession"]}}
"""The EventBridge rule of the Systems Manager guide, "Auditing session activity"."""


def topic_arn(name: str = "security-alerts", account: str = MANAGEMENT, region: str = "us-east-1") -> str:
    return f"arn:aws:sns:{region}:{account}:{name}"


def _without_none(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if v is not None}


def metric_filter(name: str, pattern: str, log_group: str = "main", metric: str | None = None,
                  **transformation: Any) -> dict[str, Any]:
    """A metric filter publishing ``metric`` (default: the filter's name) in CISBenchmark."""
    published = _without_none({"metricName": metric or name, "metricNamespace": NAMESPACE, "metricValue": "1",
                               **transformation})
    return {"filterName": name, "logGroupName": log_group, "filterPattern": pattern,
            "metricTransformations": [published]}


def alarm(name: str, metric: str | None = None, topic: str | None = None, account: str = MANAGEMENT,
          region: str = "us-east-1", **overrides: Any) -> dict[str, Any]:
    """The CIS remediation's alarm on ``metric`` (default: the alarm's name), as DescribeAlarms gives it."""
    document = {"AlarmName": name, "AlarmArn": f"arn:aws:cloudwatch:{region}:{account}:alarm:{name}",
                "Namespace": NAMESPACE, "MetricName": metric or name, "Dimensions": [], "Statistic": "Sum",
                "Period": 300, "EvaluationPeriods": 1, "Threshold": 1.0,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold", "ActionsEnabled": True,
                "AlarmActions": [topic or topic_arn(account=account, region=region)], "Metrics": [], **overrides}
    return _without_none(document)


def topic(arn: str | None = None, *subscription_arns: str, attributes: Mapping[str, str] | None = None,
          ) -> dict[str, Any]:
    """A topic with its subscriptions (default: one confirmed), and GetTopicAttributes when given."""
    arns = subscription_arns or (CONFIRMED,)
    document: dict[str, Any] = {
        "TopicArn": arn or topic_arn(),
        "Subscriptions": [{"SubscriptionArn": s, "Protocol": "email", "Endpoint": "soc@example.com",
                           "Owner": MANAGEMENT} for s in arns]}
    if attributes is not None:
        document["Attributes"] = dict(attributes)
    return document


def event_rule(name: str, pattern: Mapping[str, Any] | str, *targets: str, bus: str = "default",
               state: str = "ENABLED", account: str = MANAGEMENT, region: str = "us-east-1") -> dict[str, Any]:
    """A rule on ``bus`` with ``targets`` (ARNs; default: the security-alerts topic of its account and Region)."""
    prefix = "" if bus == "default" else f"{bus}/"
    return {"Name": name, "Arn": f"arn:aws:events:{region}:{account}:rule/{prefix}{name}", "EventBusName": bus,
            "State": state, "EventPattern": pattern if isinstance(pattern, str) else json.dumps(pattern),
            "Targets": [{"Id": f"target-{i}", "Arn": arn}
                        for i, arn in enumerate(targets or (topic_arn(account=account, region=region),))]}


def region_data(filters: list[dict[str, Any]] | None = None, alarms: list[dict[str, Any]] | None = None,
                topics: list[dict[str, Any]] | None = None,
                event_rules: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """One Region's monitoring object; a list left ``None`` is absent (not collected)."""
    return _without_none({"metric_filters": filters, "alarms": alarms, "topics": topics,
                          "event_rules": event_rules})


def cis_region(texts: Mapping[str, str] = V14, log_group: str = "main", account: str = MANAGEMENT,
               region: str = "us-east-1") -> dict[str, Any]:
    """A Region monitored as the CIS remediation says: per control a filter (``texts``), an alarm on
    its metric, and one topic with a confirmed subscriber; no EventBridge rule."""
    names = {control: f"cis-{control}" for control in texts}
    return region_data(
        filters=[metric_filter(names[c], text, log_group) for c, text in texts.items()],
        alarms=[alarm(names[c], account=account, region=region) for c in texts],
        topics=[topic(topic_arn(account=account, region=region))],
        event_rules=[])


def with_monitoring(account_document: dict[str, Any], **regions: dict[str, Any]) -> dict[str, Any]:
    """``account_document`` with ``monitoring`` per Region (keyword: Region with ``_`` for ``-``)."""
    return {**account_document, "monitoring": {name.replace("_", "-"): data for name, data in regions.items()}}
