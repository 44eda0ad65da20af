"""Monitoring data in a snapshot: which families it carries, "none" versus "not collected",
bad monitoring data as bad input, and the lookups a monitoring chain is built from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from checker.inputs.snapshot import parse_snapshot
from checker.model import Snapshot
from checker.monitoring_lookup import (
    Missing,
    NotCollected,
    alarms_on_metric,
    event_rules_on_bus,
    log_group_place,
    metric_filters_on_log_group,
    topic_by_arn,
)
from checker.monitoring_model import Alarm, Topic
from tests.helpers.cli import run_cli
from tests.helpers.snapshots import (
    KMS,
    MANAGEMENT,
    MEMBER,
    account,
    basic,
    collection_error,
    find,
    scan_findings,
    snapshot,
    trail,
    write_json,
)

TOPIC = f"arn:aws:sns:us-east-1:{MANAGEMENT}:security-alerts"
LOG_GROUP = f"arn:aws:logs:us-east-1:{MANAGEMENT}:log-group:main:*"


def metric_filter(name: str = "cis-4.5", log_group: str = "main", **transformation: Any) -> dict[str, Any]:
    return {"filterName": name, "logGroupName": log_group,
            "filterPattern": "{ ($.eventName = CreateTrail) || ($.eventName = DeleteTrail) }",
            "metricTransformations": [{"metricName": "CloudTrailChanges", "metricNamespace": "CISBenchmark",
                                       "metricValue": "1", **transformation}]}


def alarm(name: str = "cis-4.5", **overrides: Any) -> dict[str, Any]:
    """The CIS remediation's alarm, as DescribeAlarms returns it (moto writes ``Metrics: []``)."""
    return {"AlarmName": name, "AlarmArn": f"arn:aws:cloudwatch:us-east-1:{MANAGEMENT}:alarm:{name}",
            "Namespace": "CISBenchmark", "MetricName": "CloudTrailChanges", "Dimensions": [],
            "Statistic": "Sum", "Period": 300, "EvaluationPeriods": 1, "Threshold": 1.0,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold", "ActionsEnabled": True,
            "AlarmActions": [TOPIC], "Metrics": [], **overrides}


def subscription(arn: str) -> dict[str, Any]:
    return {"SubscriptionArn": arn, "Protocol": "email", "Endpoint": "soc@example.com", "Owner": MANAGEMENT}


def topic(arn: str = TOPIC, *subscription_arns: str) -> dict[str, Any]:
    return {"TopicArn": arn, "Subscriptions": [subscription(s) for s in subscription_arns]}


def event_rule(name: str = "trail-changes", bus: str = "default", **overrides: Any) -> dict[str, Any]:
    return {"Name": name, "Arn": f"arn:aws:events:us-east-1:{MANAGEMENT}:rule/{name}", "EventBusName": bus,
            "State": "ENABLED", "EventPattern": json.dumps({"source": ["aws.cloudtrail"]}),
            "Targets": [{"Id": "sns", "Arn": TOPIC}], **overrides}


def monitored(monitoring: dict[str, Any], *errors: dict[str, Any], **top: Any) -> dict[str, Any]:
    """One account with one trail and ``monitoring``; ``top`` adds top-level keys (``contents``)."""
    acct = account(MANAGEMENT, trail(), errors=errors)
    acct["monitoring"] = monitoring
    return {**snapshot(acct), **top}


def load(document: dict[str, Any]) -> Snapshot:
    return parse_snapshot(json.loads(json.dumps(document)), "snapshot.json")


# -- which families a snapshot carries ---------------------------------------------------------

def test_a_snapshot_without_monitoring_does_not_carry_it() -> None:
    estate = load(snapshot(account(MANAGEMENT, trail())))
    assert estate.carries("trails")
    assert not estate.carries("monitoring")
    assert estate.accounts[0].monitoring_in("us-east-1") is None
    unknown = alarms_on_metric(estate, MANAGEMENT, "us-east-1", "CISBenchmark", "CloudTrailChanges")
    assert isinstance(unknown, NotCollected)
    assert unknown.reason == "the snapshot carries no monitoring data"


def test_monitoring_keys_make_a_snapshot_without_contents_carry_monitoring() -> None:
    estate = load(monitored({"us-east-1": {"alarms": []}}))
    assert estate.carries("monitoring")
    assert not estate.carries("storage")


def test_family_keys_of_any_account_are_inferred() -> None:
    plain = account(MANAGEMENT, trail())
    stores = {**account(MEMBER), "event_data_stores": {"us-east-1": []}}
    estate = load(snapshot(plain, stores))
    assert (estate.carries("event-data-stores"), estate.carries("monitoring")) == (True, False)


def test_explicit_contents_carry_monitoring_even_where_no_account_has_it() -> None:
    estate = load({**snapshot(account(MANAGEMENT, trail())), "contents": ["trails", "monitoring"]})
    assert estate.carries("monitoring")
    unknown = metric_filters_on_log_group(estate, LOG_GROUP)
    assert isinstance(unknown, NotCollected)
    assert unknown.reason == f"the metric filters of account {MANAGEMENT} in us-east-1 were not collected"


def test_explicit_contents_win_over_the_keys_present() -> None:
    estate = load(monitored({"us-east-1": {"alarms": []}}, contents=["trails"]))
    assert not estate.carries("monitoring")
    assert isinstance(alarms_on_metric(estate, MANAGEMENT, "us-east-1", "N", "M"), NotCollected)


# -- none versus not collected --------------------------------------------------------------------

def test_an_empty_list_is_none_an_absent_list_or_region_is_unknown() -> None:
    estate = load(monitored({"us-east-1": {"alarms": [], "topics": []}}))
    assert alarms_on_metric(estate, MANAGEMENT, "us-east-1", "CISBenchmark", "CloudTrailChanges") == ()
    assert isinstance(topic_by_arn(estate, TOPIC), Missing)
    assert isinstance(metric_filters_on_log_group(estate, LOG_GROUP), NotCollected)
    assert isinstance(event_rules_on_bus(estate, MANAGEMENT, "us-east-1"), NotCollected)
    assert estate.accounts[0].monitoring_in("eu-west-1") is None
    assert isinstance(alarms_on_metric(estate, MANAGEMENT, "eu-west-1", "CISBenchmark", "CloudTrailChanges"),
                      NotCollected)


def test_an_account_missing_from_a_snapshot_with_monitoring_is_unknown() -> None:
    estate = load(monitored({"us-east-1": {"topics": [topic(TOPIC, "arn:x")]}}))
    elsewhere = f"arn:aws:sns:us-east-1:{MEMBER}:alerts"
    unknown = topic_by_arn(estate, elsewhere)
    assert isinstance(unknown, NotCollected)
    assert unknown.reason == f"account {MEMBER} is not in the snapshot"


def test_the_collection_error_is_named_in_the_unknown_and_hides_no_trail() -> None:
    denied = collection_error("us-east-1", "DescribeAlarms")
    estate = load(monitored({"us-east-1": {"metric_filters": []}}, denied))
    unknown = alarms_on_metric(estate, MANAGEMENT, "us-east-1", "CISBenchmark", "CloudTrailChanges")
    assert isinstance(unknown, NotCollected)
    assert unknown.reason.endswith("were not collected (DescribeAlarms: AccessDenied)")
    assert [e.operation for e in unknown.errors] == ["DescribeAlarms"]
    assert estate.accounts[0].errors_in("us-east-1") == ()


def test_a_monitoring_error_leaves_trail_coverage_decided(capsys: pytest.CaptureFixture[str],
                                                          tmp_path: Path) -> None:
    local = trail("local", home="us-east-1", multi_region=False, EventSelectors=[basic(exclude=(KMS,))])
    acct = account(MANAGEMENT, local, errors=(collection_error("eu-west-1", "DescribeAlarms"),
                                              collection_error("eu-west-1", "ListTargetsByRule")))
    findings = scan_findings(capsys, tmp_path, snapshot(acct))
    assert find(findings, "kms-exclusion-gap", region="eu-west-1")["status"] == "fail"


# -- what the loader builds --------------------------------------------------------------------

def test_subscriptions_pending_deleted_and_confirmed() -> None:
    pending = f"{TOPIC}-pending"
    confirmed = f"{TOPIC}-confirmed"
    unread = f"{TOPIC}-unread"
    estate = load(monitored({"us-east-1": {"topics": [
        topic(pending, "PendingConfirmation", "Deleted"),
        topic(confirmed, "PendingConfirmation", f"{confirmed}:5f0c"),
        {"TopicArn": unread, "Attributes": {"KmsMasterKeyId": "alias/aws/sns"}},
    ]}}))
    found = {arn: topic_by_arn(estate, arn) for arn in (pending, confirmed, unread)}
    assert all(isinstance(t, Topic) for t in found.values())
    waiting, working, unknown = (t for t in found.values() if isinstance(t, Topic))
    assert [s.confirmed for s in waiting.subscriptions or ()] == [False, False]
    assert waiting.has_confirmed_subscription is False
    assert working.has_confirmed_subscription is True
    assert (unknown.subscriptions, unknown.has_confirmed_subscription) == (None, None)
    assert (unknown.attributes_collected, unknown.kms_master_key_id) == (True, "alias/aws/sns")
    assert (working.attributes_collected, working.kms_master_key_id) == (False, None)


def test_alarms_plain_and_metric_math() -> None:
    stat = {"Metric": {"Namespace": "CISBenchmark", "MetricName": "CloudTrailChanges",
                       "Dimensions": [{"Name": "z", "Value": "1"}, {"Name": "a", "Value": "2"}]}}
    math = alarm("math", Metrics=[{"Id": "m1", "MetricStat": stat, "ReturnData": False},
                                  {"Id": "e1", "Expression": "m1 * 2"}])
    for key in ("Namespace", "MetricName", "Dimensions", "Statistic", "Period"):
        del math[key]
    sparse = alarm("sparse", EvaluationPeriods=3, DatapointsToAlarm=2, TreatMissingData="breaching",
                   Dimensions=[{"Name": "user", "Value": "alice"}], Threshold=1)
    estate = load(monitored({"us-east-1": {"alarms": [alarm(), math, sparse, alarm("other", MetricName="X")]}}))
    found = alarms_on_metric(estate, MANAGEMENT, "us-east-1", "CISBenchmark", "CloudTrailChanges")
    assert isinstance(found, tuple)
    plain, by_math, by_dimension = found
    assert [a.name for a in found] == ["cis-4.5", "math", "sparse"]
    assert not plain.uses_metric_math and plain.treat_missing_data == "missing" and plain.datapoints_needed == 1
    assert plain.alarm_actions == (TOPIC,) and plain.threshold == 1.0
    assert by_math.uses_metric_math and by_math.metric is None
    assert by_math.math_metrics[0].dimensions == (("a", "2"), ("z", "1"))
    assert (by_dimension.datapoints_needed, by_dimension.treat_missing_data) == (2, "breaching")
    assert by_dimension.metric is not None and by_dimension.metric.dimensions == (("user", "alice"),)


def test_metric_transformations_keep_their_values() -> None:
    stored = metric_filter(defaultValue=0, dimensions={"user": "$.userIdentity.arn"}, unit="Count")
    stored["metricTransformations"][0]["metricValue"] = 1
    estate = load(monitored({"us-east-1": {"metric_filters": [stored]}}))
    found = metric_filters_on_log_group(estate, LOG_GROUP)
    assert isinstance(found, tuple)
    (transformation,) = found[0].transformations
    assert (transformation.metric_value, transformation.default_value, transformation.unit) == ("1", 0.0, "Count")
    assert transformation.dimensions == (("user", "$.userIdentity.arn"),)
    assert found[0].pattern == stored["filterPattern"]


def test_patterns_that_do_not_parse_and_unknown_fields_are_kept() -> None:
    broken = metric_filter("broken")
    broken["filterPattern"] = "{ ($.eventName = "
    broken["x_future"] = {"kept": True}
    scheduled = event_rule("nightly", ScheduleExpression="rate(1 day)")
    del scheduled["EventPattern"]
    del scheduled["Targets"]
    garbled = event_rule("garbled", EventPattern="{not json", x_rule=1)
    estate = load(monitored({"us-east-1": {"metric_filters": [broken], "event_rules": [scheduled, garbled]}}))
    filters = metric_filters_on_log_group(estate, LOG_GROUP)
    assert isinstance(filters, tuple)
    assert filters[0].pattern == "{ ($.eventName = " and filters[0].document["x_future"] == {"kept": True}
    rules = event_rules_on_bus(estate, MANAGEMENT, "us-east-1")
    assert isinstance(rules, tuple)
    assert (rules[0].name, rules[0].pattern, rules[0].targets) == ("nightly", None, None)
    assert rules[1].pattern == "{not json" and rules[1].document["x_rule"] == 1


# -- lookups by ARN ----------------------------------------------------------------------------

def test_log_group_arns_with_and_without_the_trailing_star() -> None:
    place = log_group_place(LOG_GROUP)
    assert place is not None and (place.account_id, place.region, place.name) == (MANAGEMENT, "us-east-1", "main")
    assert log_group_place(LOG_GROUP.removesuffix(":*")) == place
    for wrong in ("main", f"arn:aws:logs:us-east-1:{MANAGEMENT}:log-stream:main",
                  f"arn:aws:s3:us-east-1:{MANAGEMENT}:log-group:main", "arn:aws:logs:us-east-1:1234:log-group:main"):
        assert log_group_place(wrong) is None, wrong


def test_metric_filters_are_found_where_the_log_group_arn_says() -> None:
    estate = load(monitored({
        "us-east-1": {"metric_filters": [metric_filter("here"), metric_filter("other-group", log_group="other")]},
        "eu-west-1": {"metric_filters": [metric_filter("same-name-elsewhere")]},
    }))
    found = metric_filters_on_log_group(estate, LOG_GROUP)
    assert isinstance(found, tuple) and [f.name for f in found] == ["here"]
    in_eu = metric_filters_on_log_group(estate, LOG_GROUP.replace("us-east-1", "eu-west-1"))
    assert isinstance(in_eu, tuple) and [f.name for f in in_eu] == ["same-name-elsewhere"]
    assert isinstance(metric_filters_on_log_group(estate, "not-an-arn"), Missing)


def test_a_topic_is_looked_up_in_the_account_and_region_of_its_arn() -> None:
    estate = load(monitored({"us-east-1": {"topics": [topic(TOPIC, f"{TOPIC}:1")]}, "eu-west-1": {"topics": []}}))
    found = topic_by_arn(estate, TOPIC)
    assert isinstance(found, Topic) and found.has_confirmed_subscription
    gone = topic_by_arn(estate, TOPIC.replace("us-east-1", "eu-west-1"))
    assert isinstance(gone, Missing) and gone.reason == f"no such topic in account {MANAGEMENT} in eu-west-1"
    assert isinstance(topic_by_arn(estate, TOPIC.replace("us-east-1", "ap-south-1")), NotCollected)
    assert isinstance(topic_by_arn(estate, f"arn:aws:lambda:us-east-1:{MANAGEMENT}:function:f"), Missing)


def test_event_rules_of_a_bus_and_a_bus_whose_listing_failed() -> None:
    bus = f"arn:aws:events:us-east-1:{MANAGEMENT}:event-bus/central"
    rules = [event_rule("local"), event_rule("forward", Targets=[{"Id": "bus", "Arn": bus}]),
             event_rule("central-alerts", bus="central")]
    estate = load(monitored({"us-east-1": {"event_rules": rules}}))
    on_default = event_rules_on_bus(estate, MANAGEMENT, "us-east-1")
    assert isinstance(on_default, tuple) and [r.name for r in on_default] == ["local", "forward"]
    assert on_default[1].targets is not None and on_default[1].targets[0].arn == bus
    on_central = event_rules_on_bus(estate, MANAGEMENT, "us-east-1", "central")
    assert isinstance(on_central, tuple) and [r.name for r in on_central] == ["central-alerts"]
    assert event_rules_on_bus(estate, MANAGEMENT, "us-east-1", "quiet") == ()

    failed = {**collection_error("us-east-1", "ListRules"), "resource": bus}
    estate = load(monitored({"us-east-1": {"event_rules": rules}}, failed))
    assert isinstance(event_rules_on_bus(estate, MANAGEMENT, "us-east-1", "central"), NotCollected)
    assert isinstance(event_rules_on_bus(estate, MANAGEMENT, "us-east-1"), tuple)


def test_alarm_lookup_ignores_other_metrics_and_regions() -> None:
    estate = load(monitored({"us-east-1": {"alarms": [alarm("elsewhere", Namespace="Other")]},
                             "eu-west-1": {"alarms": [alarm()]}}))
    assert alarms_on_metric(estate, MANAGEMENT, "us-east-1", "CISBenchmark", "CloudTrailChanges") == ()
    in_eu = alarms_on_metric(estate, MANAGEMENT, "eu-west-1", "CISBenchmark", "CloudTrailChanges")
    assert isinstance(in_eu, tuple) and all(isinstance(a, Alarm) for a in in_eu) and len(in_eu) == 1


# -- bad monitoring data is bad input -------------------------------------------------------------

def assert_rejected(capsys: pytest.CaptureFixture[str], tmp_path: Path, path: Path, *places: str) -> None:
    """Scanning ``path`` exits 2 with one line on stderr naming the file and every one of ``places``."""
    result = run_cli(capsys, "scan", "--snapshot", str(path), "--output-dir", str(tmp_path / "out"))
    assert result.code == 2, (result.code, result.err)
    (line,) = result.err.splitlines()
    for place in (str(path), *places):
        assert place in line, (place, line)


def write_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_nan_threshold_is_rejected_with_its_json_path(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    text = json.dumps(monitored({"us-east-1": {"alarms": [alarm(Threshold=float("nan"))]}}))
    assert "NaN" in text
    path = write_text(tmp_path / "snap.json", text)
    assert_rejected(capsys, tmp_path, path, "$.accounts[0].monitoring['us-east-1'].alarms[0].Threshold",
                    "not a JSON number")


@pytest.mark.parametrize(("monitoring", "where"), [
    ({"us-east-1": {"alarms": [alarm(Period="300")]}}, "$.accounts[0].monitoring['us-east-1'].alarms[0].Period"),
    ({"us-east-1": {"metric_filters": {"cis": metric_filter()}}},
     "$.accounts[0].monitoring['us-east-1'].metric_filters"),
    ({"us-east-1": {"topics": [{"TopicArn": "security-alerts"}]}}, "$.accounts[0].monitoring['us-east-1'].topics[0]"),
    ({"us-east-1": {"event_rules": [event_rule(EventPattern={"source": ["aws.ssm"]})]}},
     "$.accounts[0].monitoring['us-east-1'].event_rules[0].EventPattern"),
    ({"us-east-1": []}, "$.accounts[0].monitoring['us-east-1']"),
])
def test_wrong_types_are_rejected_with_their_json_path(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                       monitoring: dict[str, Any], where: str) -> None:
    path = write_json(tmp_path / "snap.json", monitored(monitoring))
    assert_rejected(capsys, tmp_path, path, where)


def test_an_unknown_family_in_contents_is_rejected(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write_json(tmp_path / "snap.json", {**snapshot(account(MANAGEMENT, trail())), "contents": ["alarms"]})
    assert_rejected(capsys, tmp_path, path, "$.contents[0]")
