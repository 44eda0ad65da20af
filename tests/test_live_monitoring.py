"""Live collection of monitoring data, driven by the rules in effect, against a real moto server.

The estate (an organization, regions us-east-1 and eu-west-1):

* the management account owns a multi-Region organization trail delivering to the log group
  ``org-trail-logs`` in its own us-east-1, with the CIS 4.5 (CloudTrail changes) and 4.7 (KMS)
  filters, an alarm on each (to the topics ``security-alerts`` and ``kms-alerts``), an alarm on
  an EC2 metric (to ``ops``), and an event bus ``central`` whose Session Manager rule notifies
  ``security-alerts``;
* the member ``prod`` has its own multi-Region trail delivering to ``prod-logs`` in its
  eu-west-1 (no filter), and in us-east-1 a default-bus Session Manager rule to its topic
  ``prod-alerts`` beside an EC2 rule to ``noise``;
* the member ``dev`` has no trail; in eu-west-1 its default bus forwards Session Manager
  events to the management account's ``central`` bus in us-east-1.

Where moto differs from AWS the tests say so: it confirms an email subscription at once (AWS
lists it as ``PendingConfirmation`` until the recipient confirms), so the pending case answers
ListSubscriptionsByTopic with a botocore Stubber; its DescribeAlarms gives ``Metrics: []`` for a
plain alarm (a metric-math alarm has a non-empty ``Metrics``); it never shows the organization
trail to members (the trail is listed under its owner and reaches the members all the same).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from checker.cli import main
from checker.engine.config import ConfigEvaluator
from checker.inputs.clients import ClientFactory, Credentials
from checker.inputs.live import LiveOptions
from checker.inputs.live.collector import collect_snapshot
from checker.inputs.snapshot import parse_snapshot
from checker.monitoring_lookup import NotCollected, metric_filters_on_log_group
from checker.plan.monitoring import monitoring_plan
from checker.plan.reads import MetricFilters, PlacedRead
from checker.policy.model import Rule
from checker.scan import load_rules
from tests.helpers.cis_texts import V14
from tests.helpers.cli import read_findings_document
from tests.helpers.moto_harness import MANAGEMENT_ACCOUNT, ApiCall, Fault, MotoAccounts, first_times, proxied

REGIONS = ("eu-west-1", "us-east-1")
MONITORING_OPERATIONS = ("DescribeMetricFilters", "DescribeAlarms", "ListSubscriptionsByTopic",
                         "GetTopicAttributes", "ListRules", "ListTargetsByRule")
TRAIL_CHANGES = "monitor-cloudtrail-changes"
SSM_SESSIONS = "ssm-session-notifications"
SSM_PATTERN = json.dumps({
    "source": ["aws.ssm"], "detail-type": ["AWS API Call via CloudTrail"],
    "detail": {"eventSource": ["ssm.amazonaws.com"],
               "eventName": ["StartSession", "ResumeSession", "TerminateSession"]}})
ORG_LOGS = f"arn:aws:logs:us-east-1:{MANAGEMENT_ACCOUNT}:log-group:org-trail-logs:*"


def topic(account: str, name: str, region: str = "us-east-1") -> str:
    return f"arn:aws:sns:{region}:{account}:{name}"


@pytest.fixture
def estate(moto_server: str) -> dict[str, str]:
    """Build the organization of the module docstring; returns account ids by name."""
    moto = MotoAccounts()
    ids = moto.create_organization(["prod", "dev"])
    management, prod, dev = MANAGEMENT_ACCOUNT, ids["prod"], ids["dev"]
    role = f"arn:aws:iam::{management}:role/trail-to-logs"
    moto.create_trail(management, "us-east-1", "org-trail", IsMultiRegionTrail=True, IsOrganizationTrail=True,
                      CloudWatchLogsLogGroupArn=ORG_LOGS, CloudWatchLogsRoleArn=role)
    moto.create_trail(prod, "eu-west-1", "prod-trail", IsMultiRegionTrail=True,
                      CloudWatchLogsLogGroupArn=f"arn:aws:logs:eu-west-1:{prod}:log-group:prod-logs:*",
                      CloudWatchLogsRoleArn=f"arn:aws:iam::{prod}:role/trail-to-logs")
    moto.client(prod, "logs", "eu-west-1").create_log_group(logGroupName="prod-logs")

    logs = moto.client(management, "logs")
    logs.create_log_group(logGroupName="org-trail-logs")
    cloudwatch = moto.client(management, "cloudwatch")
    sns = moto.client(management, "sns")
    for name, text, metric, alerts in (("cis-4.5", V14["4.5"], "CloudTrailChanges", "security-alerts"),
                                       ("cis-4.7", V14["4.7"], "KmsChanges", "kms-alerts")):
        logs.put_metric_filter(logGroupName="org-trail-logs", filterName=name, filterPattern=text,
                               metricTransformations=[{"metricName": metric, "metricNamespace": "CISBenchmark",
                                                       "metricValue": "1"}])
        _alarm(cloudwatch, name, "CISBenchmark", metric, _topic(sns, management, alerts))
    _alarm(cloudwatch, "cpu", "AWS/EC2", "CPUUtilization", _topic(sns, management, "ops"))
    events = moto.client(management, "events")
    events.create_event_bus(Name="central")
    _rule(events, "ssm-central", SSM_PATTERN, topic(management, "security-alerts"), bus="central")

    prod_sns = moto.client(prod, "sns")
    prod_events = moto.client(prod, "events")
    _rule(prod_events, "ssm-sessions", SSM_PATTERN, _topic(prod_sns, prod, "prod-alerts"))
    _rule(prod_events, "ec2-noise", json.dumps({"source": ["aws.ec2"]}), _topic(prod_sns, prod, "noise"))
    _rule(moto.client(dev, "events", "eu-west-1"), "forward-ssm", SSM_PATTERN,
          f"arn:aws:events:us-east-1:{management}:event-bus/central")
    return {"management": management, **ids}


def _topic(sns: Any, account: str, name: str) -> str:
    arn: str = sns.create_topic(Name=name)["TopicArn"]
    sns.subscribe(TopicArn=arn, Protocol="email", Endpoint=f"{name}@example.com")  # moto: confirmed at once
    assert arn == topic(account, name)
    return arn


def _alarm(cloudwatch: Any, name: str, namespace: str, metric: str, action: str) -> None:
    cloudwatch.put_metric_alarm(AlarmName=name, Namespace=namespace, MetricName=metric, Statistic="Sum", Period=300,
                                EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanOrEqualToThreshold",
                                AlarmActions=[action])


def _rule(events: Any, name: str, pattern: str, target: str, bus: str = "default") -> None:
    events.put_rule(Name=name, EventPattern=pattern, State="ENABLED", EventBusName=bus)
    events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": "notify", "Arn": target}])


def rules(*ids: str) -> list[Rule]:
    selected, _ = load_rules([], True, ids)
    return selected


def collect(selected: Sequence[Rule], **options: Any) -> dict[str, Any]:
    return collect_snapshot(LiveOptions(**{"quiet": True, "workers": 4, "org": True, "regions": REGIONS,
                                           **options}), rules=selected)


def verdicts(document: dict[str, Any], selected: Sequence[Rule]) -> dict[tuple[str, str, str], str]:
    findings = ConfigEvaluator(parse_snapshot(document, "live")).evaluate(selected)
    return {(f.rule_id, f.account_id or "", f.region or ""): f.status for f in findings}


def details(document: dict[str, Any], selected: Sequence[Rule]) -> dict[tuple[str, str, str], str]:
    findings = ConfigEvaluator(parse_snapshot(document, "live")).evaluate(selected)
    return {(f.rule_id, f.account_id or "", f.region or ""): f.message for f in findings}


def monitoring_calls(log: Sequence[ApiCall]) -> Counter[str]:
    return Counter(call.operation for call in log if call.operation in MONITORING_OPERATIONS)


# -- what is read, and what it decides --------------------------------------------------------

def test_the_org_trail_chain_in_the_management_account_credits_every_member(estate: dict[str, str]) -> None:
    selected = rules(TRAIL_CHANGES)
    document = collect(selected)
    assert document["contents"] == ["trails", "monitoring"]
    management = next(a for a in document["accounts"] if a["account_id"] == estate["management"])
    region = management["monitoring"]["us-east-1"]
    assert [f["filterName"] for f in region["metric_filters"]] == ["cis-4.5", "cis-4.7"]
    assert region["alarms"][0]["Metrics"] == []  # moto's plain alarm: a metric-math one has Metrics
    assert [t["TopicArn"] for t in region["topics"]] == [topic(estate["management"], "security-alerts")]
    assert "event_rules" not in region  # the rule counts metric-filter chains only
    assert verdicts(document, selected) == {(TRAIL_CHANGES, estate[name], ""): "pass"
                                            for name in ("management", "prod", "dev")}


def test_calls_are_the_minimum_the_estate_needs(estate: dict[str, str], moto_server: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    selected = rules(TRAIL_CHANGES, SSM_SESSIONS)
    with proxied(monkeypatch, moto_server) as proxy:
        document = collect(selected)
    accounts, log_groups = 3, 2  # org-trail-logs (management), prod-logs (prod)
    forwarded_buses = 1  # dev eu-west-1 -> central, management us-east-1
    assert monitoring_calls(proxy.log) == Counter({
        "DescribeMetricFilters": log_groups,
        "DescribeAlarms": 1,  # only org-trail-logs has a filter on these events (4.5), in us-east-1
        # security-alerts (the 4.5 alarm; also central's rule), prod-alerts (prod's SSM rule);
        # not kms-alerts (4.7 matches no CloudTrail change), ops (no filter's metric) or noise
        "ListSubscriptionsByTopic": 2, "GetTopicAttributes": 2,
        "ListRules": accounts * len(REGIONS) + forwarded_buses,  # the SSM rule counts EventBridge
        "ListTargetsByRule": 3,  # ssm-sessions, forward-ssm, ssm-central; not ec2-noise
    })
    owners = {(c.operation, c.region, c.access_key == "testing") for c in proxy.log
              if c.operation in ("DescribeMetricFilters", "DescribeAlarms")}
    assert owners == {("DescribeMetricFilters", "us-east-1", True), ("DescribeMetricFilters", "eu-west-1", False),
                      ("DescribeAlarms", "us-east-1", True)}  # each where its ARN says, as its owner
    found = verdicts(document, selected)
    assert found[(SSM_SESSIONS, estate["prod"], "us-east-1")] == "pass"  # its own rule and topic
    assert found[(SSM_SESSIONS, estate["dev"], "eu-west-1")] == "pass"  # forwarded to central
    assert found[(SSM_SESSIONS, estate["prod"], "eu-west-1")] == "fail"  # nothing on that bus
    assert "error" not in found.values()


def test_no_monitoring_call_when_no_rule_needs_it(estate: dict[str, str], moto_server: str,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    with proxied(monkeypatch, moto_server) as proxy:
        document = collect(rules("cloudtrail-enabled"))
    assert monitoring_calls(proxy.log) == Counter()
    assert "contents" not in document and all("monitoring" not in a for a in document["accounts"])


def test_with_monitoring_reads_every_chain_whatever_it_alerts_on(estate: dict[str, str], moto_server: str,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    with proxied(monkeypatch, moto_server) as proxy:
        document = collect(rules("cloudtrail-enabled"), with_families=("monitoring",))
    assert document["contents"] == ["trails", "monitoring"]
    calls = monitoring_calls(proxy.log)
    assert calls["ListSubscriptionsByTopic"] == 4  # security-, kms-, prod-alerts and noise; ops is not a filter's
    assert calls["ListTargetsByRule"] == 4  # every rule with a pattern


def test_the_plan_places_each_read_with_its_owner(estate: dict[str, str]) -> None:
    """Before any monitoring read, the plan asks for the log groups, each in the account and
    Region its ARN names: plain data a sharded collection splits by account."""
    trails_only = parse_snapshot(collect(rules("cloudtrail-enabled")), "trails")
    plan = monitoring_plan(rules(TRAIL_CHANGES), trails_only)
    assert plan.to_dict() == {
        estate["management"]: {"us-east-1": [{"read": "MetricFilters", "resource": "org-trail-logs"}]},
        estate["prod"]: {"eu-west-1": [{"read": "MetricFilters", "resource": "prod-logs"}]}}
    assert list(plan.for_accounts({estate["prod"]})) == [
        PlacedRead(estate["prod"], "eu-west-1", MetricFilters("prod-logs"))]


def test_what_the_evaluation_needs_is_what_was_read(estate: dict[str, str], moto_server: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """One definition: on the collected snapshot, the data the rules need is exactly the data
    the collection read, one call per read (and GetTopicAttributes beside each topic's list)."""
    selected = rules(TRAIL_CHANGES, SSM_SESSIONS)
    with proxied(monkeypatch, moto_server) as proxy:
        collected = parse_snapshot(collect(selected), "live")
    needed = monitoring_plan(selected, collected)
    calls = monitoring_calls(proxy.log)
    assert len(needed) == calls.total() - calls["GetTopicAttributes"]
    made = {(c.operation, c.region) for c in proxy.log if c.operation in MONITORING_OPERATIONS}
    assert {(operation, read.region) for read in needed for operation in read.read.operations} == made


def test_output_is_deterministic(estate: dict[str, str]) -> None:
    selected = rules(TRAIL_CHANGES, SSM_SESSIONS)

    def monitoring(document: dict[str, Any]) -> str:
        return json.dumps([(a["account_id"], a.get("monitoring"), a["errors"]) for a in document["accounts"]])

    assert monitoring(collect(selected, workers=1)) == monitoring(collect(selected, workers=16))


# -- failures --------------------------------------------------------------------------------

def test_denied_metric_filters_are_errors_and_the_scan_completes(estate: dict[str, str], moto_server: str,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    denied = Fault.json_error("AccessDeniedException", "not authorized to perform logs:DescribeMetricFilters")
    selected = rules(TRAIL_CHANGES, "cloudtrail-enabled")
    with proxied(monkeypatch, moto_server,
                 lambda call: denied if call.operation == "DescribeMetricFilters" else None) as proxy:
        document = collect(selected)
    assert proxy.faults["DescribeMetricFilters"] == 2  # not retried, not repeated
    assert monitoring_calls(proxy.log) == Counter({"DescribeMetricFilters": 2})  # nothing after a failed link
    management = next(a for a in document["accounts"] if a["account_id"] == estate["management"])
    assert management["errors"] == [{"region": "us-east-1", "operation": "DescribeMetricFilters",
                                     "code": "AccessDeniedException", "resource": "org-trail-logs",
                                     "message": "not authorized to perform logs:DescribeMetricFilters"}]
    assert "monitoring" not in management  # unknown, never "no filter"
    found = verdicts(document, selected)
    assert {found[(TRAIL_CHANGES, estate[n], "")] for n in ("management", "prod", "dev")} == {"error"}
    assert found[("cloudtrail-enabled", estate["dev"], "")] == "pass"  # the rest is evaluated
    assert "DescribeMetricFilters: AccessDeniedException" in details(document, selected)[
        (TRAIL_CHANGES, estate["dev"], "")]


def test_throttled_past_the_retries_is_an_error_of_that_read_only(estate: dict[str, str], moto_server: str,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    throttled = Fault.json_error("ThrottlingException", "Rate exceeded")
    selected = rules(SSM_SESSIONS)

    def members_in_us_east_1(call: ApiCall) -> bool:
        return call.operation == "ListRules" and call.region == "us-east-1" and call.access_key != "testing"

    with proxied(monkeypatch, moto_server, first_times(4, throttled, members_in_us_east_1)):
        document = collect(selected, max_attempts=2)
    errors = [e for a in document["accounts"] for e in a["errors"]]
    assert sorted((e["operation"], e["code"], e["resource"]) for e in errors) == [
        ("ListRules", "ThrottlingException", "default")] * 2
    found = verdicts(document, selected)
    assert found[(SSM_SESSIONS, estate["prod"], "us-east-1")] == "error"
    assert found[(SSM_SESSIONS, estate["dev"], "eu-west-1")] == "pass"


def test_a_pending_subscription_reaches_nobody(estate: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """moto confirms email subscriptions at once, so a botocore Stubber answers this one call
    as AWS does before the recipient confirms: ``SubscriptionArn`` ``PendingConfirmation``."""
    alerts = topic(estate["management"], "security-alerts")
    sns = boto3.client("sns", region_name="us-east-1")
    stubber = Stubber(sns)
    stubber.add_response("list_subscriptions_by_topic", {"Subscriptions": [
        {"SubscriptionArn": "PendingConfirmation", "Owner": estate["management"], "Protocol": "email",
         "Endpoint": "security-alerts@example.com", "TopicArn": alerts}]}, {"TopicArn": alerts})
    stubber.add_response("get_topic_attributes", {"Attributes": {"TopicArn": alerts}}, {"TopicArn": alerts})
    real = ClientFactory.client

    def client(self: ClientFactory, service: str, region: str | None, credentials: Credentials | None = None) -> Any:
        return sns if service == "sns" else real(self, service, region, credentials)

    monkeypatch.setattr(ClientFactory, "client", client)
    selected = rules(TRAIL_CHANGES)
    with stubber:
        document = collect(selected)
        stubber.assert_no_pending_responses()
    assert set(verdicts(document, selected).values()) == {"fail"}
    assert "no confirmed subscription" in details(document, selected)[(TRAIL_CHANGES, estate["dev"], "")]


def test_a_failed_log_group_is_unknown_beside_one_that_was_read() -> None:
    """Two log groups in one Region: the filters of the one whose read failed are unknown,
    not "none", though the Region's list is present."""
    account = "111111111111"
    document = {"format": "trailcheck.snapshot/v1", "contents": ["trails", "monitoring"], "accounts": [{
        "account_id": account, "regions": ["us-east-1"], "trails": [],
        "monitoring": {"us-east-1": {"metric_filters": [
            {"filterName": "f", "logGroupName": "read", "filterPattern": "{ $.a = 1 }",
             "metricTransformations": []}]}},
        "errors": [{"region": "us-east-1", "operation": "DescribeMetricFilters", "code": "AccessDeniedException",
                    "message": "denied", "resource": "denied"}]}]}
    snapshot = parse_snapshot(document, "hand-made")
    group = f"arn:aws:logs:us-east-1:{account}:log-group:%s:*"
    assert isinstance(metric_filters_on_log_group(snapshot, group % "denied"), NotCollected)
    assert [f.name for f in metric_filters_on_log_group(snapshot, group % "read")] == ["f"]  # type: ignore[union-attr]


# -- the command line ------------------------------------------------------------------------

def test_collect_takes_the_policy_options_and_with(estate: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "snapshot.json"
    assert main(["collect", "--org", "--regions", ",".join(REGIONS), "--quiet", "--rules", TRAIL_CHANGES,
                 "--param", f"{TRAIL_CHANGES}.via=metric-filter,eventbridge", "-o", str(out)]) == 0
    document = json.loads(out.read_text())
    assert document["contents"] == ["trails", "monitoring"]
    management = next(a for a in document["accounts"] if a["account_id"] == estate["management"])
    assert "event_rules" in management["monitoring"]["us-east-1"]  # via widened to EventBridge
    assert main(["collect", "--regions", "us-east-1", "--quiet", "--rules", "cloudtrail-enabled",
                 "--with", "monitoring", "-o", str(out)]) == 0
    assert json.loads(out.read_text())["contents"] == ["trails", "monitoring"]


@pytest.mark.parametrize("family", ["logs", "buckets"])
def test_with_an_unknown_family_is_bad_input(family: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["collect", "--with", family, "-o", "-"]) == 2
    assert "--with" in capsys.readouterr().err


def test_a_live_scan_collects_what_its_rules_need(estate: dict[str, str], tmp_path: Path) -> None:
    assert main(["scan", "--org", "--regions", ",".join(REGIONS), "--quiet", "--rules", TRAIL_CHANGES,
                 "--format", "json", "--output-dir", str(tmp_path)]) == 0
    report = read_findings_document(tmp_path / "findings.json")
    assert [(f["rule_id"], f["status"]) for f in report["findings"]] == [(TRAIL_CHANGES, "pass")] * 3


# -- the plan on hand-made snapshots ---------------------------------------------------------

def test_targets_are_read_for_rules_that_could_match_and_are_not_disabled() -> None:
    """A pattern trailcheck cannot read could match anything, so its targets are read; a
    disabled rule and a rule about other events need no targets."""
    account = "111111111111"
    rules_there = [
        {"Name": "unreadable", "Arn": f"arn:aws:events:us-east-1:{account}:rule/unreadable",
         "EventBusName": "default", "State": "ENABLED", "EventPattern": "{not json"},
        {"Name": "off", "Arn": f"arn:aws:events:us-east-1:{account}:rule/off", "EventBusName": "default",
         "State": "DISABLED", "EventPattern": SSM_PATTERN},
        {"Name": "ec2", "Arn": f"arn:aws:events:us-east-1:{account}:rule/ec2", "EventBusName": "default",
         "State": "ENABLED", "EventPattern": json.dumps({"source": ["aws.ec2"]})}]
    trail = {"Name": "main", "TrailARN": f"arn:aws:cloudtrail:us-east-1:{account}:trail/main",
             "HomeRegion": "us-east-1", "IsMultiRegionTrail": True, "IsOrganizationTrail": False,
             "IncludeGlobalServiceEvents": True, "Status": {"IsLogging": True},
             "EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True}]}
    snapshot = parse_snapshot({
        "format": "trailcheck.snapshot/v1", "contents": ["trails", "monitoring"],
        "accounts": [{"account_id": account, "regions": ["us-east-1"], "trails": [trail],
                      "monitoring": {"us-east-1": {"event_rules": rules_there}}, "errors": []}]}, "hand-made")
    plan = monitoring_plan(rules(SSM_SESSIONS), snapshot)
    assert plan.to_dict() == {account: {"us-east-1": [{"read": "BusRules", "resource": "default"},
                                                      {"read": "RuleTargets", "resource": "default/unreadable"}]}}
