"""Monitoring chains: would a recorded event reach a person, and if not, which link breaks?

Each case is an estate (hand-made snapshot) and a built-in monitoring rule; the finding must
have the expected status and name the first broken (or unknown) link of the chain, as a user
reading the evidence would look for it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import pytest

from checker.alerting.chains import AlertJudge, AlertQuestion, RecordAlert, record_alert
from checker.engine.config import ConfigEvaluator
from checker.findings import Finding
from checker.inputs.snapshot import parse_snapshot
from checker.policy.loader import apply_params, builtin_policy_dir, load_policies
from checker.policy.model import AlertedRequirement, ConfigRule, Rule
from tests.helpers.cis_texts import V5_4_10, V14
from tests.helpers.monitoring import (
    CONFIRMED,
    SSM_RECIPE,
    alarm,
    event_rule,
    metric_filter,
    region_data,
    topic,
    topic_arn,
    with_monitoring,
)
from tests.helpers.policies import load_rule
from tests.helpers.snapshots import (
    KMS,
    MANAGEMENT,
    MEMBER,
    account,
    basic,
    collection_error,
    management_selector,
    snapshot,
    trail,
)

Document = dict[str, Any]
TRAIL_CHANGES = "monitor-cloudtrail-changes"
SSM_RULE = "ssm-session-notifications"


@cache
def builtin_rules() -> dict[str, Rule]:
    rules, _ = load_policies([builtin_policy_dir() / "monitoring.yaml"])
    return {rule.id: rule for rule in rules}


def rule_with(rule_id: str, *params: str) -> Rule:
    (rule,) = apply_params([builtin_rules()[rule_id]], [f"{rule_id}.{p}" for p in params])
    return rule


def findings(document: Document, rule: Rule) -> list[Finding]:
    estate = parse_snapshot(json.loads(json.dumps(document)), "snapshot.json")
    return ConfigEvaluator(estate).evaluate([rule])


def judge(document: Document, rule_id: str = TRAIL_CHANGES, *params: str, account_id: str | None = MANAGEMENT,
          region: str | None = None) -> Finding:
    """The one finding of the rule for that account (and Region, for scope region)."""
    (found,) = [f for f in findings(document, rule_with(rule_id, *params))
                if f.account_id == account_id and f.region == region]
    return found


def first_broken(finding: Finding, via: str = "metric-filter") -> dict[str, Any]:
    """The first broken (or unknown) link of the first candidate chain of ``via`` that has one."""
    chain = next(c for c in finding.evidence["chains"] if "first_broken" in c and c["via"] == via)
    link: dict[str, Any] = chain["first_broken"]
    return link


# -- estates ------------------------------------------------------------------------------------

def trail_changes_region(filters: list[Document] | None = None, alarms: list[Document] | None = None,
                         topics: list[Document] | None = None) -> Document:
    """us-east-1 monitored for CIS 4.5 with the v1.4 text, as the remediation says."""
    return region_data(
        filters=[metric_filter("cis-4.5", V14["4.5"])] if filters is None else filters,
        alarms=[alarm("cis-4.5")] if alarms is None else alarms,
        topics=[topic()] if topics is None else topics,
        event_rules=[])


def estate(region: Document | None = None, *trails: Document, errors: tuple[Document, ...] = (),
           **more_regions: Document) -> Document:
    """One account with one trail (or ``trails``) and monitoring data in us-east-1."""
    acct = account(MANAGEMENT, *(trails or (trail(),)), errors=errors)
    monitoring = {"us_east_1": trail_changes_region() if region is None else region, **more_regions}
    return snapshot(with_monitoring(acct, **monitoring))


# -- one broken link at a time ------------------------------------------------------------------

@dataclass(frozen=True)
class LinkCase:
    name: str
    document: Callable[[], Document]
    status: str
    kind: str = ""
    reason: str = ""
    params: tuple[str, ...] = field(default=())


def with_alarm(**overrides: Any) -> Callable[[], Document]:
    return lambda: estate(trail_changes_region(alarms=[alarm("cis-4.5", **overrides)]))


def with_transformation(alarm_overrides: dict[str, Any] | None = None, **transformation: Any
                        ) -> Callable[[], Document]:
    return lambda: estate(trail_changes_region(
        filters=[metric_filter("cis-4.5", V14["4.5"], **transformation)],
        alarms=[alarm("cis-4.5", **(alarm_overrides or {}))]))


def with_topic(*subscriptions: str, attributes: dict[str, str] | None = None) -> Callable[[], Document]:
    return lambda: estate(trail_changes_region(topics=[topic(None, *subscriptions, attributes=attributes)]))


def with_trail(**overrides: Any) -> Callable[[], Document]:
    return lambda: estate(None, trail(**overrides))


MATH = [{"Id": "m1", "MetricStat": {"Metric": {"Namespace": "CISBenchmark", "MetricName": "cis-4.5"},
                                     "Period": 300, "Stat": "Sum"}, "ReturnData": False},
        {"Id": "e1", "Expression": "m1 * 2", "ReturnData": True}]
AUTOSCALING = "arn:aws:autoscaling:us-east-1:111111111111:scalingPolicy:1:autoScalingGroupName/web:policyName/up"

LINK_CASES = [
    LinkCase("the CIS remediation", lambda: estate(), "pass"),
    LinkCase("no alarm on the metric", lambda: estate(trail_changes_region(alarms=[])), "fail",
             "metric", "no alarm watches this metric"),
    LinkCase("alarm on another namespace", with_alarm(Namespace="LogMetrics"), "fail",
             "metric", "no alarm watches this metric"),
    LinkCase("ActionsEnabled false", with_alarm(ActionsEnabled=False), "fail", "alarm", "ActionsEnabled is false"),
    LinkCase("Threshold 5", with_alarm(Threshold=5.0), "fail", "alarm", "needs Sum >= 5"),
    LinkCase("GreaterThanThreshold 1", with_alarm(ComparisonOperator="GreaterThanThreshold"), "fail", "alarm",
             "needs Sum > 1"),
    LinkCase("GreaterThanThreshold 0", with_alarm(ComparisonOperator="GreaterThanThreshold", Threshold=0.0), "pass"),
    LinkCase("DatapointsToAlarm 2", with_alarm(DatapointsToAlarm=2, EvaluationPeriods=3), "fail", "alarm",
             "DatapointsToAlarm is 2"),
    LinkCase("EvaluationPeriods 2 without DatapointsToAlarm", with_alarm(EvaluationPeriods=2), "fail", "alarm",
             "EvaluationPeriods is 2"),
    LinkCase("LessThanThreshold", with_alarm(ComparisonOperator="LessThanThreshold"), "fail", "alarm",
             "alerts on silence"),
    LinkCase("TreatMissingData breaching", with_alarm(TreatMissingData="breaching"), "fail", "alarm",
             "TreatMissingData is breaching"),
    LinkCase("TreatMissingData notBreaching", with_alarm(TreatMissingData="notBreaching"), "pass"),
    LinkCase("Unit differs from the filter's", with_alarm(Unit="Count"), "fail", "alarm",
             "Unit Count differs from the unit the filter publishes (None)"),
    LinkCase("Unit as published", with_transformation({"Unit": "Count"}, unit="Count"), "pass"),
    LinkCase("metric math", with_alarm(Metrics=MATH, Namespace=None, MetricName=None, Statistic=None), "error",
             "alarm", "metric-math"),
    LinkCase("SampleCount", with_alarm(Statistic="SampleCount"), "pass"),
    LinkCase("Maximum", with_alarm(Statistic="Maximum"), "pass"),
    LinkCase("Average without defaultValue", with_alarm(Statistic="Average"), "pass"),
    LinkCase("Average diluted by defaultValue", with_transformation({"Statistic": "Average"}, defaultValue=0),
             "fail", "alarm", "diluted by the filter's defaultValue 0"),
    LinkCase("Sum with defaultValue", with_transformation(defaultValue=0), "pass"),
    LinkCase("percentile p90", with_alarm(Statistic=None, ExtendedStatistic="p90"), "error", "alarm",
             "ExtendedStatistic p90"),
    LinkCase("percentile p100", with_alarm(Statistic=None, ExtendedStatistic="p100"), "pass"),
    LinkCase("metric value from a log field", with_transformation(metricValue="$.bytes"), "error", "alarm",
             "read from the log event ($.bytes)"),
    LinkCase("dimensions published, alarm without", with_transformation(dimensions={"user": "$.userIdentity.arn"}),
             "fail", "alarm", "watches the metric without dimensions"),
    LinkCase("alarm on one dimension value",
             with_transformation({"Dimensions": [{"Name": "user", "Value": "arn:aws:iam::111111111111:user/a"}]},
                                 dimensions={"user": "$.userIdentity.arn"}),
             "error", "alarm", "one value of the dimension(s)"),
    LinkCase("pending subscription", with_topic("PendingConfirmation"), "fail", "topic",
             "no confirmed subscription (1 pending confirmation or deleted)"),
    LinkCase("no subscription", lambda: estate(trail_changes_region(topics=[{"TopicArn": topic_arn(),
                                                                            "Subscriptions": []}])),
             "fail", "topic", "no confirmed subscription"),
    LinkCase("topic on alias/aws/sns", with_topic(attributes={"KmsMasterKeyId": "alias/aws/sns"}), "fail", "topic",
             "AWS-managed key alias/aws/sns"),
    LinkCase("topic on a customer key", with_topic(CONFIRMED, attributes={"KmsMasterKeyId": "alias/alerts"}), "pass"),
    LinkCase("topic not in the collected topics", lambda: estate(trail_changes_region(topics=[])), "fail", "topic",
             "no such topic"),
    LinkCase("topic in an account not scanned", with_alarm(AlarmActions=[topic_arn(account="999999999999")]),
             "error", "topic", "account 999999999999 is not in the snapshot"),
    LinkCase("subscriptions not collected", lambda: estate(trail_changes_region(topics=[{"TopicArn": topic_arn()}])),
             "error", "topic", "subscriptions were not collected"),
    LinkCase("no SNS action", with_alarm(AlarmActions=[AUTOSCALING]), "fail", "topic",
             "no SNS topic among its AlarmActions"),
    LinkCase("single-Region trail", with_trail(multi_region=False), "fail", "trail", "single-Region trail"),
    LinkCase("trail not logging", with_trail(logging=False), "fail", "trail", "IsLogging is false"),
    LinkCase("trail status unknown", with_trail(Status=None), "error", "trail", "logging status unknown"),
    LinkCase("trail without a log group", with_trail(CloudWatchLogsLogGroupArn=None), "fail", "log-group",
             "sends no events to CloudWatch Logs"),
    LinkCase("no metric filter on the log group", lambda: estate(trail_changes_region(filters=[])), "fail",
             "log-group", "no metric filter on the log group"),
    LinkCase("only filters about other events",
             lambda: estate(trail_changes_region(filters=[metric_filter("cis-4.5", V14["4.7"])])), "fail",
             "metric-filter", "none of the 1 metric filter(s) there (cis-4.5) matches these events"),
    LinkCase("a regular-expression filter", lambda: estate(trail_changes_region(
        filters=[metric_filter("cis-4.5", "{ $.eventName = %Trail% }")])), "error", "metric-filter",
        "unsupported filter pattern construct"),
    LinkCase("write-only trail", with_trail(EventSelectors=[basic("WriteOnly")]), "pass"),
    LinkCase("read-only trail", with_trail(EventSelectors=[basic("ReadOnly")]), "fail", "trail",
             "not logged"),
]


@pytest.mark.parametrize("case", LINK_CASES, ids=[c.name for c in LINK_CASES])
def test_each_link_of_the_metric_filter_chain(case: LinkCase) -> None:
    finding = judge(case.document(), TRAIL_CHANGES, *case.params)
    assert finding.status == case.status, finding.message
    if case.status == "pass":
        assert "cis-4.5" in finding.message
        return
    link = first_broken(finding)
    assert link["kind"] == case.kind, link
    assert case.reason in link["reason"], link
    assert case.reason.split(" (")[0] in finding.message


# -- which filters count ----------------------------------------------------------------------------

def test_the_v14_security_group_filter_fails_naming_modify_security_group_rules() -> None:
    region = region_data([metric_filter("cis-4.10", V14["4.10"])], [alarm("cis-4.10")], [topic()], [])
    finding = judge(estate(region), "monitor-security-group-changes")
    assert finding.status == "fail"
    (missed,) = finding.evidence["not_alerted"]
    assert [r for r in missed["records"] if "eventName=ModifySecurityGroupRules" in r] == missed["records"]
    assert "eventName=ModifySecurityGroupRules" in finding.message
    assert "working chain" in finding.message and "cis-4.10" in finding.message


def test_the_v5_security_group_filter_passes() -> None:
    region = region_data([metric_filter("cis-4.10", V5_4_10)], [alarm("cis-4.10")], [topic()], [])
    assert judge(estate(region), "monitor-security-group-changes").status == "pass"


def test_two_filters_that_split_the_names_pass_together() -> None:
    first = '{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail) }'
    second = '{ ($.eventSource = cloudtrail.amazonaws.com) && (($.eventName = StartLogging) || ' \
             '($.eventName = StopLogging)) }'
    region = region_data([metric_filter("trail-a", first), metric_filter("trail-b", second)],
                         [alarm("trail-a"), alarm("trail-b")], [topic()], [])
    finding = judge(estate(region))
    assert finding.status == "pass", finding.message
    alone = region_data([metric_filter("trail-a", first)], [alarm("trail-a")], [topic()], [])
    missing = judge(estate(alone))
    assert missing.status == "fail"
    assert {r.split("eventName=")[1].split(",")[0] for r in missing.evidence["not_alerted"][0]["records"]} \
        == {"StartLogging", "StopLogging"}


def test_a_filter_without_alarm_does_not_hide_its_working_duplicate() -> None:
    filters = [metric_filter("a-copy", V14["4.5"], metric="Unwatched"), metric_filter("cis-4.5", V14["4.5"])]
    region = region_data(filters, [alarm("cis-4.5")], [topic()], [])
    finding = judge(estate(region))
    assert finding.status == "pass", finding.message
    assert [link["id"] for c in finding.evidence["chains"] for link in c["links"] if link["kind"] == "metric-filter"] \
        == ["cis-4.5"]
    assert finding.evidence["chains_total"] == 2
    region["alarms"] = []
    broken = judge(estate(region)).evidence["chains"]
    assert [c["first_broken"]["id"] for c in broken] == ["CISBenchmark/Unwatched", "CISBenchmark/cis-4.5"]


def test_a_broken_chain_and_an_unknown_one_give_an_error_when_the_unknown_could_match() -> None:
    region = region_data([metric_filter("cis-4.5", V14["4.5"])], [alarm("cis-4.5", Metrics=MATH)], [topic()], [])
    finding = judge(estate(region))
    assert finding.status == "error"
    assert "metric-math" in finding.message


def test_an_overbroad_filter_passes_with_evidence() -> None:
    region = region_data([metric_filter("cis-4.1", V14["4.1"])], [alarm("cis-4.1")], [topic()], [])
    finding = judge(estate(region), "monitor-unauthorized-api-calls")
    assert finding.status == "pass", finding.message
    (loud,) = finding.evidence["overbroad"]
    assert loud["pattern"] == V14["4.1"]
    assert loud["matches"] == "a successful ec2:DescribeInstances by an IAM user"
    assert "over-broad" in finding.message


def test_a_cis_text_without_event_source_is_not_overbroad() -> None:
    finding = judge(estate())
    assert finding.status == "pass"
    assert "overbroad" not in finding.evidence


# -- trails: what they record, where, and for whom --------------------------------------------------

def test_a_kms_excluding_trail_silences_the_key_deletion_alarm() -> None:
    region = region_data([metric_filter("cis-4.7", V14["4.7"])], [alarm("cis-4.7")], [topic()], [])
    silenced = trail(AdvancedEventSelectors=[management_selector(exclude=(KMS,))])
    finding = judge(estate(region, silenced), "monitor-kms-key-disable-or-deletion")
    assert finding.status == "fail"
    link = first_broken(finding)
    assert link["kind"] == "trail"
    assert "kms.amazonaws.com DisableKey" in link["reason"] and "not logged" in link["reason"]
    assert "kms.amazonaws.com" in link["reason"].split("not logged", 1)[1]  # the exclusion is named
    assert judge(estate(region), "monitor-kms-key-disable-or-deletion").status == "pass"


def test_an_organization_trail_chain_is_credited_to_members() -> None:
    org_trail = trail("main", organization=True)
    management = with_monitoring(account(MANAGEMENT, org_trail), us_east_1=trail_changes_region())
    member = with_monitoring(account(MEMBER), us_east_1=region_data([], [], [], []))
    document = snapshot(management, member, organization=True)
    for account_id in (MANAGEMENT, MEMBER):
        finding = judge(document, account_id=account_id)
        assert finding.status == "pass", (account_id, finding.message)
        assert finding.evidence["chains"][0]["links"][0]["id"] == org_trail["TrailARN"]


def test_a_member_outside_the_organization_gets_no_credit() -> None:
    management = with_monitoring(account(MANAGEMENT, trail("main", organization=True)),
                                 us_east_1=trail_changes_region())
    document = snapshot(management, with_monitoring(account(MEMBER), us_east_1=region_data([], [], [], [])))
    finding = judge(document, account_id=MEMBER)
    assert finding.status == "fail"
    assert "no trail reaches the account" in finding.message


def test_iam_events_are_checked_in_us_east_1_only() -> None:
    iam_filter = region_data([metric_filter("cis-4.4", V14["4.4"])], [alarm("cis-4.4")], [topic()], [])
    finding = judge(estate(iam_filter), "monitor-iam-policy-changes")
    assert finding.status == "pass", finding.message
    assert finding.evidence["regions"] == ["us-east-1"]


# -- missing data ----------------------------------------------------------------------------------

def test_no_monitoring_data_skips_the_rule_saying_how_to_collect_it() -> None:
    finding = judge(snapshot(account(MANAGEMENT, trail())), account_id=None)  # judged nowhere: no account
    assert finding.status == "skipped"
    assert "carries no monitoring data" in finding.message and "trailcheck collect" in finding.message


def test_the_log_group_region_missing_is_an_error() -> None:
    document = snapshot(with_monitoring(account(MANAGEMENT, trail()), eu_west_1=trail_changes_region()))
    finding = judge(document)
    assert finding.status == "error"
    assert first_broken(finding)["reason"] == (f"the metric filters of account {MANAGEMENT} in us-east-1 "
                                               "were not collected")


def test_metric_filters_denied_is_an_error_naming_the_failure() -> None:
    region = trail_changes_region()
    del region["metric_filters"]
    finding = judge(estate(region, errors=(collection_error("us-east-1", "DescribeMetricFilters"),)))
    assert finding.status == "error"
    assert "DescribeMetricFilters: AccessDenied" in first_broken(finding)["reason"]


def test_a_trail_hidden_by_a_collection_error_turns_a_fail_into_an_error() -> None:
    finding = judge(estate(trail_changes_region(alarms=[]), errors=(collection_error(None),)))
    assert finding.status == "error"
    assert "collection errors may hide trails: all Regions DescribeTrails AccessDenied" in finding.message


def test_a_trail_hidden_in_one_region_cannot_record_the_others() -> None:
    # DescribeTrails in eu-west-1 lists every trail that applies there: none is missing there.
    finding = judge(estate(trail_changes_region(alarms=[]), errors=(collection_error("us-east-1"),)))
    assert finding.status == "fail"
    assert "eu-west-1" in finding.message


def test_containment_beyond_the_budget_is_an_error() -> None:
    rule = builtin_rules()[TRAIL_CHANGES]
    assert isinstance(rule, ConfigRule) and isinstance(rule.require, AlertedRequirement)
    question = AlertQuestion(rule.require.pattern, rule.require.recorded, rule.require.recorded_pattern,
                             ("metric-filter",), True)
    estate_snapshot = parse_snapshot(json.loads(json.dumps(estate())), "snapshot.json")
    verdict = AlertJudge(estate_snapshot, budget=3).judge(question, MANAGEMENT, ["us-east-1"])
    assert verdict.status == "error"
    assert "undecided within budget 3" in verdict.detail


# -- EventBridge -----------------------------------------------------------------------------------

def ssm_estate(rule_region: str = "us-east-1", *rules: Document) -> Document:
    """Session Manager monitored the way the Systems Manager guide says, in one Region."""
    acct = account(MANAGEMENT, trail())
    empty = region_data([], [], [topic(topic_arn(region="eu-west-1"))], [])
    monitored = region_data([], [], [topic(topic_arn(region=rule_region))],
                            list(rules) or [event_rule("ssm-sessions", SSM_RECIPE, region=rule_region)])
    regions = {"us_east_1": empty, "eu_west_1": empty, rule_region.replace("-", "_"): monitored}
    return snapshot(with_monitoring(acct, **regions))


def test_the_session_manager_recipe_notifies_in_its_region_only() -> None:
    document = ssm_estate("eu-west-1")
    there = judge(document, SSM_RULE, region="eu-west-1")
    assert there.status == "pass", there.message
    assert "event-rule ssm-sessions" in there.message
    elsewhere = judge(document, SSM_RULE, region="us-east-1")
    assert elsewhere.status == "fail"
    assert first_broken(elsewhere, "eventbridge")["reason"] == "no rule on the bus"


def test_eventbridge_needs_a_trail_recording_the_calls() -> None:
    document = ssm_estate("us-east-1")
    document["accounts"][0]["trails"] = [trail(logging=False)]
    finding = judge(document, SSM_RULE, region="us-east-1")
    assert finding.status == "fail"
    assert first_broken(finding, "eventbridge")["kind"] == "trails"


def test_a_disabled_rule_is_a_broken_link() -> None:
    finding = judge(ssm_estate("us-east-1", event_rule("ssm-sessions", SSM_RECIPE, state="DISABLED")), SSM_RULE,
                    region="us-east-1")
    assert finding.status == "fail"
    rule_arn = f"arn:aws:events:us-east-1:{MANAGEMENT}:rule/ssm-sessions"
    assert first_broken(finding, "eventbridge") == {"kind": "event-rule", "id": rule_arn, "ok": False,
                                                    "reason": "the rule is DISABLED"}


def test_eventbridge_does_not_count_unless_via_says_so() -> None:
    document = ssm_estate("us-east-1")
    assert judge(document, SSM_RULE, "via=metric-filter", region="us-east-1").status == "fail"
    rule_only = ssm_estate("us-east-1", event_rule("trail", {"source": ["aws.cloudtrail"],
                                                             "detail-type": ["AWS API Call via CloudTrail"]}))
    assert judge(rule_only, TRAIL_CHANGES, region=None).status == "fail"


def test_forwarding_to_a_bus_whose_rule_notifies_counts() -> None:
    central = f"arn:aws:events:us-east-1:{MANAGEMENT}:event-bus/central"
    forward = event_rule("to-central", SSM_RECIPE, central, account=MEMBER)
    notify = event_rule("notify", {"source": ["aws.ssm"]}, bus="central")
    management = with_monitoring(account(MANAGEMENT, trail("main", organization=True)),
                                 us_east_1=region_data([], [], [topic()], [notify]))
    member = with_monitoring(account(MEMBER, regions=("us-east-1",)),
                             us_east_1=region_data([], [], [], [forward]))
    finding = judge(snapshot(management, member, organization=True), SSM_RULE, account_id=MEMBER,
                    region="us-east-1")
    assert finding.status == "pass", finding.message
    assert "event-bus central -> event-rule notify -> topic security-alerts" in finding.message


def test_a_forward_to_a_bus_that_was_not_collected_is_unknown() -> None:
    elsewhere = "arn:aws:events:us-east-1:999999999999:event-bus/central"
    finding = judge(ssm_estate("us-east-1", event_rule("away", SSM_RECIPE, elsewhere)), SSM_RULE, region="us-east-1")
    assert finding.status == "error"
    assert first_broken(finding, "eventbridge")["id"] == elsewhere


def test_an_enabled_rule_misses_read_only_events() -> None:
    rule = load_rule(id="kms-reads-alerted", scope="account", params={"via": ["eventbridge"]}, require={"alerted": {
        "pattern": '{ ($.eventSource = "kms.amazonaws.com") && ($.eventName = "Decrypt") }',
        "recorded": [{"eventCategory": "Management", "eventSource": "kms.amazonaws.com", "eventName": "Decrypt",
                      "readOnly": True, "eventType": "AwsApiCall"}]}})
    pattern = {"source": ["aws.kms"], "detail": {"eventName": ["Decrypt"]}}
    for state, status in (("ENABLED", "fail"), ("ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS", "pass")):
        region = region_data([], [], [topic()], [event_rule("decrypts", pattern, state=state)])
        document = snapshot(with_monitoring(account(MANAGEMENT, trail(), regions=("us-east-1",)),
                                            us_east_1=region))
        (finding,) = findings(document, rule)
        assert finding.status == status, (state, finding.message)
        if status == "fail":
            assert "readOnly=true" in finding.message


# -- one record (what explain shows) ---------------------------------------------------------------

def api_call(source: str, name: str, region: str = "us-east-1", read_only: bool = False) -> Document:
    return {"eventVersion": "1.09", "eventSource": source, "eventName": name, "awsRegion": region,
            "recipientAccountId": MANAGEMENT, "eventType": "AwsApiCall", "eventCategory": "Management",
            "managementEvent": True, "readOnly": read_only, "sourceIPAddress": "198.51.100.7",
            "userIdentity": {"type": "IAMUser", "accountId": MANAGEMENT,
                             "arn": f"arn:aws:iam::{MANAGEMENT}:user/mallory"}}


def alert_for(document: Document, record: Document) -> RecordAlert:
    return record_alert(parse_snapshot(json.loads(json.dumps(document)), "snapshot.json"), record)


def test_a_stop_logging_record_raises_the_cis_alarm_link_by_link() -> None:
    found = alert_for(estate(), api_call("cloudtrail.amazonaws.com", "StopLogging"))
    assert found.alerted is True
    (chain,) = [c for c in found.chains if c.fires]
    assert [link.kind for link in chain.links] == ["trail", "log-group", "metric-filter", "match", "metric", "alarm",
                                                   "topic"]
    assert chain.links[3].reason == "the pattern matches the record"


def test_a_record_no_filter_matches_raises_nothing() -> None:
    found = alert_for(estate(), api_call("cloudtrail.amazonaws.com", "DescribeTrails", read_only=True))
    assert found.alerted is False
    assert all(c.first_broken() == next(link for link in c.links if link.kind == "match") for c in found.chains
               if c.via == "metric-filter")


def test_a_record_the_trail_does_not_record_raises_nothing() -> None:
    silenced = trail(AdvancedEventSelectors=[management_selector(exclude=("cloudtrail.amazonaws.com",))])
    found = alert_for(estate(None, silenced), api_call("cloudtrail.amazonaws.com", "StopLogging"))
    assert found.alerted is False
    broken = [c.first_broken() for c in found.chains]
    assert {link.kind for link in broken if link is not None} == {"trail", "trails"}


def test_a_session_record_reaches_the_eventbridge_rule_of_its_region_only() -> None:
    document = ssm_estate("eu-west-1")
    there = alert_for(document, api_call("ssm.amazonaws.com", "StartSession", region="eu-west-1"))
    assert there.alerted is True
    assert [c.via for c in there.chains if c.fires] == ["eventbridge"]
    assert alert_for(document, api_call("ssm.amazonaws.com", "StartSession")).alerted is False


def test_without_monitoring_data_whether_a_record_alerts_is_unknown() -> None:
    found = alert_for(snapshot(account(MANAGEMENT, trail())), api_call("cloudtrail.amazonaws.com", "StopLogging"))
    assert (found.alerted, found.chains) == (None, ())
