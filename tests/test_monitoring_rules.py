"""The built-in monitoring rules, as a user runs them: ids and framework references, a pass and
a fail for each, the CIS view control by control, list parameters, and bad patterns."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cis_texts import RULE_OF_CONTROL, V5_4_10, V14
from tests.helpers.cli import run_cli, scan_report
from tests.helpers.monitoring import (
    SSM_RECIPE,
    alarm,
    event_rule,
    metric_filter,
    region_data,
    topic,
    topic_arn,
    with_monitoring,
)
from tests.helpers.snapshots import MANAGEMENT, account, find, scan_findings, snapshot, trail, write_json

Document = dict[str, Any]
CIS_RULES = sorted(RULE_OF_CONTROL.values())
OTHER_RULES = ["monitor-trail-selector-changes", "ssm-session-notifications"]
SECURITY_HUB = {"4.1": "CloudWatch.2", "4.2": "CloudWatch.3", "4.3": "CloudWatch.1", "4.4": "CloudWatch.4",
                "4.5": "CloudWatch.5", "4.6": "CloudWatch.6", "4.7": "CloudWatch.7", "4.8": "CloudWatch.8",
                "4.9": "CloudWatch.9", "4.10": "CloudWatch.10", "4.11": "CloudWatch.11", "4.12": "CloudWatch.12",
                "4.13": "CloudWatch.13", "4.14": "CloudWatch.14"}
V5_4_1 = ('{ ($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*") && '
          '($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }')
"""CIS v2.0-v5.0 4.1: its exclusions apply to AccessDenied* only, so it is not over-broad."""
SELECTORS = '{ ($.eventName = PutEventSelectors) || ($.eventName = PutInsightSelectors) }'
REGIONS = ("us-east-1", "eu-west-1")


def rules_json(capsys: pytest.CaptureFixture[str]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in json.loads(run_cli(capsys, "rules", "--format", "json").out)}


def monitored_estate(texts: dict[str, str], alarms: bool = True, session_rules: bool = True) -> Document:
    """One account with a multi-Region trail whose log group has a filter per text (and, with
    ``alarms``, the CIS alarm on each), and the Session Manager recipe in both Regions."""
    filters = [metric_filter(f"cis-{control}", text) for control, text in texts.items()]
    filters.append(metric_filter("selectors", SELECTORS))
    watched = [alarm(f["filterName"]) for f in filters] if alarms else []
    regions = {}
    for region in REGIONS:
        recipes = [event_rule("ssm-sessions", SSM_RECIPE, region=region)] if session_rules else []
        regions[region.replace("-", "_")] = region_data(filters if region == "us-east-1" else [],
                                                        watched if region == "us-east-1" else [],
                                                        [topic(topic_arn(region=region))], recipes)
    return snapshot(with_monitoring(account(MANAGEMENT, trail()), **regions))


def monitoring_findings(capsys: pytest.CaptureFixture[str], tmp_path: Path, document: Document,
                        *args: str) -> list[dict[str, Any]]:
    return scan_findings(capsys, tmp_path, document, "--rules", ",".join([*CIS_RULES, *OTHER_RULES]), *args)


# -- the pack --------------------------------------------------------------------------------------

def test_the_pack_has_the_seventeen_monitoring_rules(capsys: pytest.CaptureFixture[str]) -> None:
    rules = rules_json(capsys)
    monitoring = sorted(i for i, r in rules.items() if "/monitoring.yaml:" in r["source"])
    assert monitoring == sorted([*CIS_RULES, *OTHER_RULES])
    assert {rules[i]["severity"] for i in monitoring} == {"medium"}
    assert [i for i in monitoring if rules[i]["scope"] != "account"] == ["ssm-session-notifications"]
    for control, rule_id in RULE_OF_CONTROL.items():
        frameworks = rules[rule_id]["frameworks"]
        for version in ("v1.4", "v3.0", "v4.0", "v5.0"):
            assert frameworks[f"cis-aws-foundations-{version}"] == [control], rule_id
        assert frameworks.get("aws-security-hub") == ([SECURITY_HUB[control]] if control in SECURITY_HUB else None)


def test_event_rules_no_longer_claim_cis_section_4_or_cloudwatch_controls(
        capsys: pytest.CaptureFixture[str]) -> None:
    for rule_id, rule in rules_json(capsys).items():
        if rule["scope"] != "event":
            continue
        claimed = [c for k, v in rule["frameworks"].items() for c in v
                   if (k.startswith("cis-") and c.startswith("4.")) or c.startswith("CloudWatch.")]
        assert claimed == [], rule_id


def test_default_alert_paths(capsys: pytest.CaptureFixture[str]) -> None:
    markdown = run_cli(capsys, "rules", "--format", "md").out
    sections = {part.split("`", 1)[0]: part for part in markdown.split("\n## `")[1:]}
    for rule_id in CIS_RULES:
        assert "Parameters: `multi_region` = `true`, `via` = `metric-filter`" in sections[rule_id]
    for rule_id in OTHER_RULES:
        assert "Parameters: `multi_region` = `false`, `via` = `metric-filter,eventbridge`" in sections[rule_id]


# -- a pass and a fail for every rule --------------------------------------------------------------

def test_every_monitoring_rule_passes_on_a_monitored_estate(capsys: pytest.CaptureFixture[str],
                                                            tmp_path: Path) -> None:
    texts = {**V14, "4.1": V5_4_1, "4.10": V5_4_10}
    findings = monitoring_findings(capsys, tmp_path, monitored_estate(texts))
    assert {(f["rule_id"], f["status"]) for f in findings if f["status"] != "pass"} == set()
    assert len(findings) == len(CIS_RULES) + 1 + len(REGIONS)
    for control, rule_id in RULE_OF_CONTROL.items():
        assert f"metric-filter cis-{control} " in find(findings, rule_id)["message"], rule_id
    for region in REGIONS:
        assert "event-rule ssm-sessions" in find(findings, "ssm-session-notifications", region=region)["message"]


def test_every_monitoring_rule_fails_when_nothing_alarms(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    texts = {**V14, "4.1": V5_4_1, "4.10": V5_4_10}
    findings = monitoring_findings(capsys, tmp_path, monitored_estate(texts, alarms=False, session_rules=False))
    assert {f["status"] for f in findings} == {"fail"}
    for finding in findings:
        assert "first broken link: " in finding["message"], finding["rule_id"]
    assert "no alarm watches this metric" in find(findings, "monitor-kms-key-disable-or-deletion")["message"]


# -- the CIS view -----------------------------------------------------------------------------------

def test_the_cis_view_reports_section_4_control_by_control(capsys: pytest.CaptureFixture[str],
                                                           tmp_path: Path) -> None:
    texts = {**V14, "4.1": V5_4_1}
    path = write_json(tmp_path / "snapshot.json", monitored_estate(texts))
    _, report = scan_report(capsys, tmp_path / "out", path, "--framework", "cis-aws-foundations-v3.0")
    controls = {c["control"]: c for c in report["framework"]["controls"]}
    for control, rule_id in RULE_OF_CONTROL.items():
        assert controls[control]["rules"] == [rule_id]
        assert controls[control]["status"] == ("fail" if control == "4.10" else "pass"), control
    (failing,) = [f for f in report["findings"] if f["rule_id"] == "monitor-security-group-changes"]
    assert "eventName=ModifySecurityGroupRules" in failing["message"]


def test_the_cis_v14_unauthorized_calls_filter_alarms_on_every_control(capsys: pytest.CaptureFixture[str],
                                                                       tmp_path: Path) -> None:
    # Its `||` exclusions match almost every record, so its alarm also fires on the events of
    # 4.10 that the v1.4 4.10 filter misses: loud, but an alert (evidence.overbroad says so).
    findings = monitoring_findings(capsys, tmp_path, monitored_estate(V14), "--rules",
                                   "monitor-security-group-changes")
    found = find(findings, "monitor-security-group-changes")
    assert found["status"] == "pass"
    assert "metric-filter cis-4.1 " in found["message"]
    assert found["evidence"]["overbroad"][0]["pattern"] == V14["4.1"]


# -- parameters ---------------------------------------------------------------------------------------

def eventbridge_only_estate() -> Document:
    trail_rule = event_rule("trail-changes", {"source": ["aws.cloudtrail"],
                                              "detail-type": ["AWS API Call via CloudTrail"]})
    regions = {r.replace("-", "_"): region_data([], [], [topic(topic_arn(region=r))],
                                                [event_rule("trail-changes", {"source": ["aws.cloudtrail"]},
                                                            region=r)] if r != "us-east-1" else [trail_rule])
               for r in REGIONS}
    return snapshot(with_monitoring(account(MANAGEMENT, trail()), **regions))


def test_via_is_a_list_parameter_taken_comma_separated(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    document = eventbridge_only_estate()
    rule = "monitor-cloudtrail-changes"
    by_default = find(scan_findings(capsys, tmp_path / "a", document, "--rules", rule), rule)
    assert by_default["status"] == "fail"
    assert by_default["evidence"]["via"] == ["metric-filter"]
    widened = find(scan_findings(capsys, tmp_path / "b", document, "--rules", rule, "--param",
                                 f"{rule}.via=metric-filter, eventbridge"), rule)
    assert widened["status"] == "pass", widened["message"]
    assert widened["evidence"]["via"] == ["metric-filter", "eventbridge"]


@pytest.mark.parametrize(("value", "problem"), [
    ("via=sms", "via must list one or more of metric-filter, eventbridge (got ['sms'])"),
    ("via=", "via must list one or more of metric-filter, eventbridge (got [])"),
    ("multi_region=maybe", "expected a true/false value"),
])
def test_a_parameter_the_rule_cannot_use_is_bad_input(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                      value: str, problem: str) -> None:
    path = write_json(tmp_path / "snapshot.json", eventbridge_only_estate())
    result = run_cli(capsys, "scan", "--snapshot", str(path), "--param", f"monitor-cloudtrail-changes.{value}",
                     "--output-dir", str(tmp_path / "out"), "--quiet")
    assert result.code == 2
    assert f"--param monitor-cloudtrail-changes.{value}" in result.err and problem in result.err


def test_multi_region_false_accepts_a_single_region_trail(capsys: pytest.CaptureFixture[str],
                                                          tmp_path: Path) -> None:
    region = region_data([metric_filter("cis-4.5", V14["4.5"])], [alarm("cis-4.5")], [topic()], [])
    acct = account(MANAGEMENT, trail(multi_region=False), regions=("us-east-1",))
    document = snapshot(with_monitoring(acct, us_east_1=region))
    rule = "monitor-cloudtrail-changes"
    assert find(scan_findings(capsys, tmp_path / "a", document, "--rules", rule), rule)["status"] == "fail"
    relaxed = scan_findings(capsys, tmp_path / "b", document, "--rules", rule, "--param", f"{rule}.multi_region=false")
    assert find(relaxed, rule)["status"] == "pass"


# -- without monitoring data; bad policies -------------------------------------------------------------

def test_a_snapshot_without_monitoring_data_skips_the_monitoring_rules(capsys: pytest.CaptureFixture[str],
                                                                       tmp_path: Path) -> None:
    path = write_json(tmp_path / "snapshot.json", snapshot(account(MANAGEMENT, trail())))
    result, report = scan_report(capsys, tmp_path / "out", path, "--rules", ",".join([*CIS_RULES, *OTHER_RULES]))
    assert result.code == 0
    assert {f["status"] for f in report["findings"]} == {"skipped"}
    # Judged nowhere: one finding per rule for the whole snapshot, not one per account.
    assert sorted(f["rule_id"] for f in report["findings"]) == sorted([*CIS_RULES, *OTHER_RULES])
    message = find(report["findings"], "monitor-root-usage", account_id=None)["message"]
    assert "carries no monitoring data" in message and "trailcheck collect" in message


@pytest.mark.parametrize(("alerted", "problem"), [
    ({"pattern": "{ $.eventName = kms.amazonaws.com }", "recorded": [{"eventCategory": "Management"}]},
     "require.alerted.pattern: invalid filter pattern '{ $.eventName = kms.amazonaws.com }': character 16"),
    ({"pattern": '{ $.eventName = "DisableKey" }', "recorded": [{"eventName": "Decrypt"}]},
     "require.alerted.pattern: matches no event of require.alerted.recorded"),
    ({"pattern": '{ $.eventName = "X" }', "recorded": [{"resources.type": "AWS::S3::Object"}]},
     "require.alerted.recorded: cannot restrict the pattern to these events: resources.type"),
])
def test_a_broken_alerted_requirement_is_bad_input_naming_file_line_and_rule(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, alerted: dict[str, Any], problem: str) -> None:
    policy = tmp_path / "alerts.yaml"
    policy.write_text("# my alerts\n" + json.dumps({"rules": [{"id": "my-alert", "title": "t", "severity": "low",
                                                              "scope": "account", "require": {"alerted": alerted}}]},
                                                   indent=2), encoding="utf-8")
    result = run_cli(capsys, "validate", str(policy))
    assert result.code == 2
    assert f"{policy}:4: rule my-alert: {problem}" in result.err


def test_alerted_is_for_accounts_and_regions_only(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    policy = tmp_path / "alerts.yaml"
    policy.write_text(json.dumps({"rules": [{
        "id": "per-trail", "title": "t", "severity": "low", "scope": "trail",
        "require": {"alerted": {"pattern": '{ $.eventName = "X" }', "recorded": [{"eventName": "X"}]}}}]}),
        encoding="utf-8")
    result = run_cli(capsys, "validate", str(policy))
    assert result.code == 2
    assert "rule per-trail: scope: require.alerted is judged per account or per Region, not per trail" in result.err
