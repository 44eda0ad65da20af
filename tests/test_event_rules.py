"""Event rules: the matcher language, the index, grouping, and the findings a user sees."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import pytest

from checker.cli import main
from checker.engine.events import EventEvaluator, evaluate_event_rules
from checker.engine.events.groups import MAX_EVENT_IDS
from checker.engine.events.index import RuleIndex, index_rule
from checker.errors import InputError
from checker.findings import Finding
from checker.inputs.snapshot import parse_snapshot
from checker.model import Snapshot
from checker.policy.model import EventRule
from tests.helpers.cli import read_findings_document
from tests.helpers.policies import load_event_rule, load_rule


def make_rule(match: dict[str, Any] | None = None, *, rule_id: str = "test-rule", expr: str | None = None,
              group_by: tuple[str, ...] = (), logged: bool | None = None, **extra: Any) -> EventRule:
    item: dict[str, Any] = {"id": rule_id, **extra}
    for key, value in (("match", match), ("expr", expr), ("group_by", list(group_by))):
        if value:
            item[key] = value
    if logged is not None:
        item["logged"] = logged
    return load_event_rule(**item)


def record(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"eventVersion": "1.09", "eventSource": "ec2.amazonaws.com",
                            "eventName": "DescribeInstances", "awsRegion": "eu-west-1",
                            "recipientAccountId": "111111111111", "eventTime": "2024-01-01T00:00:00Z",
                            "eventID": "id-0", "userIdentity": {"type": "IAMUser", "accountId": "111111111111"}}
    base.update(fields)
    return base


def matches(match: dict[str, Any], rec: dict[str, Any], expr: str | None = None) -> bool:
    indexed = index_rule(make_rule(match, expr=expr))
    return indexed in RuleIndex([indexed]).candidates(rec) and indexed.predicate(rec)


def failed(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.status == "fail"]


@pytest.mark.parametrize(("matcher", "value", "expected"), [
    ("DescribeInstances", "DescribeInstances", True),
    ("DescribeInstances", "describeinstances", False),
    (["RunInstances", "DescribeInstances"], "DescribeInstances", True),
    (["RunInstances", "StopInstances"], "DescribeInstances", False),
    ({"equals": "DescribeInstances"}, "DescribeInstances", True),
    ({"any_of": ["A", "DescribeInstances"]}, "DescribeInstances", True),
    ({"any_of": ["A", "B"]}, "DescribeInstances", False),
    ({"prefix": "Describe"}, "DescribeInstances", True),
    ({"prefix": "Run"}, "DescribeInstances", False),
    ({"suffix": "Instances"}, "DescribeInstances", True),
    ({"suffix": "Describe"}, "DescribeInstances", False),
    ({"contains": "scribeInst"}, "DescribeInstances", True),
    ({"contains": "Volume"}, "DescribeInstances", False),
    ({"glob": "Describe*s"}, "DescribeInstances", True),
    ({"glob": "describe*"}, "DescribeInstances", False),
    ({"glob": "Describe?nstances"}, "DescribeInstances", True),
    ({"regex": "^Describe(Instances|Volumes)$"}, "DescribeInstances", True),
    ({"regex": "Instances"}, "DescribeInstances", True),
    ({"regex": "^Instances"}, "DescribeInstances", False),
    ({"not": "DescribeInstances"}, "DescribeInstances", False),
    ({"not": ["RunInstances", "StopInstances"]}, "DescribeInstances", True),
    ({"not": {"prefix": "Run"}}, "DescribeInstances", True),
    ({"prefix": "Describe", "suffix": "Volumes"}, "DescribeInstances", False),
    ([{"prefix": "Run"}, {"suffix": "Instances"}], "DescribeInstances", True),
    (["RunInstances", {"regex": "^Desc"}], "DescribeInstances", True),
])
def test_string_operators(matcher: Any, value: str, expected: bool) -> None:
    assert matches({"eventName": matcher}, record(eventName=value)) is expected


@pytest.mark.parametrize(("matcher", "value", "expected"), [
    ({"gt": 1024}, 2048, True), ({"gt": 1024}, 1024, False),
    ({"ge": 1024}, 1024, True), ({"ge": 1024}, 1023, False),
    ({"lt": 1024}, 22, True), ({"lt": 22}, 22, False),
    ({"le": 22}, 22, True), ({"le": 22}, 22.5, False),
    ({"ge": 20, "le": 25}, 22, True), ({"ge": 20, "le": 25}, 26, False),
    ({"gt": 1}, "22", True), ({"gt": 1}, "ssh", False), ({"gt": 1}, None, False), ({"gt": 0}, True, False),
    (22, 22, True), (22, 22.0, True), (22, "22", False), (1, True, False), (True, 1, False),
    ({"prefix": "2"}, 22, False),
])
def test_numbers_compare_as_numbers(matcher: Any, value: Any, expected: bool) -> None:
    rec = record(requestParameters={"fromPort": value})
    assert matches({"requestParameters.fromPort": matcher}, rec) is expected


@pytest.mark.parametrize(("matcher", "value", "expected"), [
    (True, True, True), (True, "true", True), (True, False, False), (True, "false", False),
    (False, "false", True), (False, False, True), ("true", True, True), ("false", True, False),
    ([True], "true", True), ({"any_of": [False]}, "false", True), ({"not": True}, "false", True),
])
def test_read_only_as_lookup_events_string_equals_boolean(matcher: Any, value: Any, expected: bool) -> None:
    """LookupEvents gives ReadOnly as "true"/"false"; trail records give a boolean."""
    assert matches({"readOnly": matcher}, record(readOnly=value)) is expected


@pytest.mark.parametrize(("pattern", "value", "expected"), [
    ("^caf.$", "café", True),
    ("^caf.$", "cafe\u0301", False),
    ("^[^a-z]+$", "ÉTÉ", True),
    ("Bob", "bob", False),
    ("(?i)Bob", "bob", True),
])
def test_regex_runs_on_utf8_text_code_point_by_code_point(pattern: str, value: str, expected: bool) -> None:
    assert matches({"userIdentity.userName": {"regex": pattern}}, record(userIdentity={"userName": value})) is expected


def test_catastrophic_pattern_on_a_large_field_finishes() -> None:
    """``(a+)+$`` backtracks exponentially in most engines; RE2 is linear in the text."""
    rule = make_rule({"requestParameters.policyDocument": {"regex": "(a+)+$"}})
    huge = record(requestParameters={"policyDocument": "a" * 100_000 + "!"})
    assert [f.status for f in evaluate_event_rules([rule], [huge], None)] == ["pass"]
    assert failed(evaluate_event_rules([rule], [record(requestParameters={"policyDocument": "a" * 100_000})], None))


def test_compiled_rules_survive_pickling_for_worker_processes() -> None:
    rule = make_rule({"eventName": [{"regex": "^Stop"}, "DeleteTrail"], "errorCode": {"absent": True}})
    copy = pickle.loads(pickle.dumps(rule))
    assert copy == rule
    records = [record(eventName="StopLogging"), record(eventName="DeleteTrail"), record(eventName="GetTrail")]
    assert [f.to_dict() for f in evaluate_event_rules([copy], records, None)] == [
        f.to_dict() for f in evaluate_event_rules([rule], records, None)]


@pytest.mark.parametrize(("matcher", "fields", "expected"), [
    ({"absent": True}, {}, True),
    ({"absent": True}, {"errorCode": None}, True),
    ({"absent": True}, {"errorCode": "AccessDenied"}, False),
    ({"absent": False}, {"errorCode": "AccessDenied"}, True),
    ({"exists": True}, {"errorCode": "AccessDenied"}, True),
    ({"exists": True}, {"errorCode": None}, False),
    ({"exists": False}, {}, True),
    (None, {}, True),
    ({"not": "AccessDenied"}, {}, True),
    ({"prefix": "Access"}, {}, False),
])
def test_presence_null_counts_as_absent(matcher: Any, fields: dict[str, Any], expected: bool) -> None:
    assert matches({"errorCode": matcher}, record(**fields)) is expected


def test_dotted_paths_reach_nested_objects() -> None:
    rec = record(userIdentity={"type": "AssumedRole", "sessionContext": {"attributes": {"mfaAuthenticated": "false"}}},
                 additionalEventData={"MFAUsed": "No"}, responseElements={"ConsoleLogin": "Success"})
    assert matches({"userIdentity.sessionContext.attributes.mfaAuthenticated": False}, rec)
    assert not matches({"userIdentity.sessionContext.attributes.mfaAuthenticated": True}, rec)
    assert matches({"additionalEventData.MFAUsed": {"not": "Yes"}, "responseElements.ConsoleLogin": "Success"}, rec)
    assert matches({"userIdentity.sessionContext.sessionIssuer.arn": {"absent": True}}, rec)
    assert matches({"responseElements.ConsoleLogin.deeper": {"absent": True}}, rec)
    assert not matches({"requestParameters.name": {"exists": True}}, record(requestParameters=None))


def test_path_through_an_array_matches_any_element() -> None:
    rec = record(resources=[{"type": "AWS::S3::Bucket", "ARN": "arn:aws:s3:::b"},
                            {"type": "AWS::S3::Object", "ARN": "arn:aws:s3:::b/key"}])
    assert matches({"resources.type": "AWS::S3::Object"}, rec)
    assert matches({"resources.ARN": {"suffix": "/key"}}, rec)
    assert not matches({"resources.type": {"not": "AWS::S3::Object"}}, rec)
    assert not matches({"resources.type": "AWS::Lambda::Function"}, rec)
    assert matches({"resources.type": {"absent": True}}, record(resources=[]))


def test_all_fields_and_expr_must_hold() -> None:
    rec = record(requestParameters={"ipPermissions": {"items": [{"fromPort": 22, "ipRanges": {"items": [
        {"cidrIp": "0.0.0.0/0"}]}}]}})
    world_ssh = ("contains(requestParameters.ipPermissions.items[?fromPort==`22`].ipRanges.items[].cidrIp"
                 " || `[]`, '0.0.0.0/0')")
    assert matches({"eventSource": "ec2.amazonaws.com"}, rec, expr=world_ssh)
    assert not matches({"eventSource": "s3.amazonaws.com"}, rec, expr=world_ssh)
    assert not matches({}, record(), expr=world_ssh)


@pytest.mark.parametrize(("expr", "expected"), [
    ("`0`", True), ("eventName", True), ("`\"\"`", False), ("`[]`", False), ("`{}`", False),
    ("`false`", False), ("missing", False),
])
def test_expr_must_be_truthy_in_the_jmespath_sense(expr: str, expected: bool) -> None:
    assert matches({}, record(), expr=expr) is expected


def test_expr_failing_on_a_record_is_an_error_finding_not_a_silent_miss() -> None:
    rule = make_rule(expr="starts_with(errorCode, 'Access')")
    findings = evaluate_event_rules([rule], [record(), record(errorCode="AccessDenied", eventID="x")], None)
    (error,) = [f for f in findings if f.status == "error"]
    assert len(failed(findings)) == 1
    assert error.evidence["expr_errors"] == 1
    assert "starts_with" in error.message


@pytest.mark.parametrize(("match", "problem"), [
    ({"eventName": {"regex": "Stop(Logging"}}, "match.eventName: invalid regex 'Stop(Logging'"),
    ({"eventName": {"not": {"regex": "["}}}, "match.eventName.not: invalid regex"),
    ({"eventName": {"startswith": "Stop"}}, "'startswith' was unexpected"),
    ({"eventName": {"gt": "1"}}, "not of type 'number'"),
    ({"eventName": []}, "should be non-empty"),
])
def test_bad_matcher_is_a_load_error_naming_rule_source_and_id(match: dict[str, Any], problem: str) -> None:
    with pytest.raises(InputError) as caught:
        make_rule(match, rule_id="bad-rule")
    (error,) = caught.value.problems
    assert error.where.startswith("test.yaml:")
    assert error.what.startswith("rule bad-rule: match.eventName") and problem in error.what


def test_index_dispatches_by_event_name_then_source_else_fallback() -> None:
    by_name = index_rule(make_rule({"eventSource": "cloudtrail.amazonaws.com", "eventName": ["StopLogging"]},
                                     rule_id="by-name"), 0)
    by_source = index_rule(make_rule({"eventSource": "ssm.amazonaws.com", "eventName": {"prefix": "Start"}},
                                       rule_id="by-source"), 1)
    fallback = index_rule(make_rule({"errorCode": {"exists": True}}, rule_id="fallback"), 2)
    index = RuleIndex([by_name, by_source, fallback])
    assert (by_name.index_field, by_source.index_field, fallback.index_field) == ("eventName", "eventSource", None)
    assert index.fallback == (fallback,)

    def picked(source: str, name: str) -> list[str]:
        return [c.rule.id for c in index.candidates(record(eventSource=source, eventName=name))]

    assert picked("ec2.amazonaws.com", "RunInstances") == ["fallback"]
    assert picked("cloudtrail.amazonaws.com", "StopLogging") == ["by-name", "fallback"]
    assert picked("ssm.amazonaws.com", "StartSession") == ["by-source", "fallback"]
    assert picked("ssm.amazonaws.com", "StopLogging") == ["by-name", "by-source", "fallback"]
    assert index.candidates({"eventName": ["not", "a", "string"]}) == (fallback,)


def test_indexed_rule_still_checks_its_other_fields() -> None:
    rule = make_rule({"eventSource": "cloudtrail.amazonaws.com", "eventName": "StopLogging"})
    findings = evaluate_event_rules([rule], [record(eventSource="athena.amazonaws.com", eventName="StopLogging")],
                                    None)
    assert [f.status for f in findings] == ["pass"]


def test_records_no_rule_can_match_never_reach_a_predicate() -> None:
    calls: list[str] = []
    indexed = index_rule(make_rule({"eventName": "StopLogging"}), 0)
    index = RuleIndex([indexed])
    for name in ("DescribeInstances", "GetObject", "StopLogging"):
        for candidate in index.candidates(record(eventName=name)):
            calls.append(name)
            assert candidate.predicate(record(eventName=name))
    assert calls == ["StopLogging"]


def test_group_by_evidence_counts_first_last_and_at_most_ten_ids() -> None:
    times = [f"2024-03-{day:02d}T10:00:00Z" for day in (5, 2, 9, 1, 7, 3, 8, 4, 6, 10, 12, 11)]
    records = [record(eventName="StopLogging", eventTime=t, eventID=f"id-{i}",
                      userIdentity={"arn": f"arn:aws:iam::111111111111:user/u{i % 2}"}) for i, t in enumerate(times)]
    rule = make_rule({"eventName": "StopLogging"}, group_by=("recipientAccountId", "awsRegion", "userIdentity.arn"))
    findings = failed(evaluate_event_rules([rule], records, None))
    assert [f.resource for f in findings] == ["userIdentity.arn=arn:aws:iam::111111111111:user/u0",
                                              "userIdentity.arn=arn:aws:iam::111111111111:user/u1"]
    first = findings[0]
    assert (first.account_id, first.region, first.severity) == ("111111111111", "eu-west-1", "medium")
    assert first.evidence["count"] == 6
    assert first.evidence["event_ids"] == ["id-0", "id-2", "id-4", "id-6", "id-8", "id-10"]
    assert first.evidence["first_event_time"] == min(times[0::2])
    assert first.evidence["last_event_time"] == max(times[0::2])
    assert first.evidence["group"] == {"recipientAccountId": "111111111111", "awsRegion": "eu-west-1",
                                       "userIdentity.arn": "arn:aws:iam::111111111111:user/u0"}

    many = [record(eventName="StopLogging", eventID=f"e{i:02d}") for i in range(25)]
    only = failed(evaluate_event_rules([rule], many, None))[0]
    assert only.evidence["count"] == 25
    assert only.evidence["event_ids"] == [f"e{i:02d}" for i in range(MAX_EVENT_IDS)]


def test_group_identity_falls_back_to_user_identity_account_and_missing_values_are_null() -> None:
    old = {"eventVersion": "1.01", "eventSource": "cloudtrail.amazonaws.com", "eventName": "StopLogging",
           "awsRegion": "us-east-1", "eventTime": "2014-01-01T00:00:00Z", "eventID": "old",
           "userIdentity": {"type": "IAMUser", "accountId": "222222222222"}}
    rule = make_rule({"eventName": "StopLogging"}, group_by=("recipientAccountId", "awsRegion", "userIdentity.arn"))
    (finding,) = failed(evaluate_event_rules([rule], [old], None))
    assert (finding.account_id, finding.region, finding.resource) == ("222222222222", "us-east-1",
                                                                      "userIdentity.arn=null")


def test_samples_show_distinct_values_not_in_group_by() -> None:
    records = [record(eventName="StopLogging", sourceIPAddress=ip, eventID=str(i))
               for i, ip in enumerate(["192.0.2.1", "192.0.2.2", "192.0.2.1"])]
    (finding,) = failed(evaluate_event_rules([make_rule({"eventName": "StopLogging"})], records, None))
    assert finding.evidence["samples"]["sourceIPAddress"] == ["192.0.2.1", "192.0.2.2"]
    assert finding.resource is None


def test_rule_that_matched_nothing_passes_with_the_number_of_records_examined() -> None:
    findings = evaluate_event_rules([make_rule({"eventName": "StopLogging"})], [record()] * 7, None)
    assert [(f.status, f.account_id, f.region, f.resource) for f in findings] == [("pass", None, None, None)]
    assert findings[0].evidence == {"records_examined": 7}


def test_configuration_rules_are_ignored_by_the_event_engine() -> None:
    config_rule = load_rule(id="cfg", scope="trail", require={"expr": "IsLogging == `true`"})
    assert evaluate_event_rules([config_rule], [record()], None) == []


def test_messages_template_is_used_for_fail() -> None:
    rule = make_rule({"eventName": "StopLogging"}, group_by=("awsRegion",),
                     messages={"fail": "Logging stopped in {account_id}/{region}"})
    (finding,) = evaluate_event_rules([rule], [record(eventName="StopLogging")], None)
    assert finding.message == "Logging stopped in 111111111111/eu-west-1"


def test_tallies_merged_in_order_equal_a_sequential_run() -> None:
    records = [record(eventName=name, eventID=f"id-{i}", eventTime=f"2024-01-01T00:00:{i:02d}Z",
                      errorCode="AccessDenied" if i % 3 == 0 else None)
               for i, name in enumerate(["StopLogging", "DeleteTrail"] * 20)]
    rules = [make_rule({"eventName": ["StopLogging", "DeleteTrail"]}, rule_id="a", group_by=("eventName",)),
             make_rule({"errorCode": {"prefix": "Access"}}, rule_id="b")]
    evaluator = EventEvaluator(rules, None)
    whole = evaluator.new_tally()
    evaluator.feed(records, whole)
    parts = [evaluator.new_tally() for _ in range(3)]
    for part, chunk in zip(parts, (records[:7], records[7:30], records[30:]), strict=True):
        evaluator.feed(chunk, part)
    merged = parts[0]
    for part in parts[1:]:
        merged.merge(part)
    assert [f.to_dict() for f in evaluator.findings(merged)] == [f.to_dict() for f in evaluator.findings(whole)]


# --- unlogged-events (logged: false) through the selector simulator ---------------------------

def snapshot() -> Snapshot:
    """111 has a multi-region trail excluding KMS; 333's trail status was not collected."""
    def trail(account: str, name: str, **extra: Any) -> dict[str, Any]:
        return {"Name": name, "TrailARN": f"arn:aws:cloudtrail:us-east-1:{account}:trail/{name}",
                "HomeRegion": "us-east-1", "IsMultiRegionTrail": True, "IncludeGlobalServiceEvents": True,
                "EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True,
                                    "ExcludeManagementEventSources": ["kms.amazonaws.com"]}], **extra}

    return parse_snapshot({
        "format": "trailcheck.snapshot/v1", "collected_at": "2024-06-01T00:00:00Z", "partition": "aws",
        "accounts": [
            {"account_id": "111111111111", "regions": ["us-east-1", "eu-west-1"],
             "trails": [trail("111111111111", "main", Status={"IsLogging": True})]},
            {"account_id": "333333333333", "regions": ["us-east-1"], "trails": [trail("333333333333", "nostatus")]},
        ]}, "snapshot.json")


UNLOGGED = make_rule(rule_id="unlogged-events", logged=False,
                     group_by=("recipientAccountId", "awsRegion", "eventSource", "eventName"))


def test_unlogged_events_fail_with_reasons_pass_per_region_and_error_for_unknowns() -> None:
    records = [
        record(eventSource="kms.amazonaws.com", eventName="Decrypt", readOnly=True, eventID="k1"),
        record(eventSource="kms.amazonaws.com", eventName="Decrypt", readOnly=True, eventID="k2"),
        record(awsRegion="us-east-1", eventID="e1"),
        record(recipientAccountId="999999999999", eventID="x1"),
        record(recipientAccountId="333333333333", awsRegion="us-east-1", eventID="u1"),
    ]
    findings = evaluate_event_rules([UNLOGGED], records, snapshot())
    summary = [(f.status, f.account_id, f.region, f.resource) for f in findings]
    assert summary == [
        ("fail", "111111111111", "eu-west-1", "eventSource=kms.amazonaws.com, eventName=Decrypt"),
        ("pass", "111111111111", "us-east-1", None),
        ("error", "333333333333", "us-east-1", "eventSource=ec2.amazonaws.com, eventName=DescribeInstances"),
        ("error", "999999999999", "eu-west-1", "eventSource=ec2.amazonaws.com, eventName=DescribeInstances"),
    ]
    fail, _, unknown, foreign = findings
    assert fail.severity == "medium" and fail.evidence["count"] == 2
    assert fail.evidence["event_ids"] == ["k1", "k2"]
    assert len(fail.evidence["trails"]) == 1, "the same reason twice is listed once"
    assert fail.evidence["trails"][0]["decision"] == "excluded"
    assert "kms.amazonaws.com" in fail.evidence["trails"][0]["reason"]
    assert unknown.evidence["trails"][0]["decision"] == "unknown"
    assert "not in the snapshot" in foreign.message


def test_region_with_an_unlogged_event_gets_no_pass() -> None:
    records = [record(eventID="e1"), record(eventSource="kms.amazonaws.com", eventName="DisableKey", eventID="k1")]
    findings = evaluate_event_rules([UNLOGGED], records, snapshot())
    assert [(f.status, f.region) for f in findings] == [("fail", "eu-west-1")]


def test_unlogged_events_without_a_snapshot_is_skipped() -> None:
    (finding,) = evaluate_event_rules([UNLOGGED], [record()], None)
    assert finding.status == "skipped"
    assert "snapshot" in finding.message


def test_no_records_read_is_an_error_not_a_pass(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A truncated file yields no records: the event rules have nothing to judge."""
    events = tmp_path / "truncated.json"
    events.write_text('{"Records": [', encoding="utf-8")
    code = main(["scan", "--events", str(events), "--rules", "cloudtrail-tampering", "--format", "json",
                 "--output-dir", str(tmp_path / "out"), "--quiet"])
    report = read_findings_document(tmp_path / "out" / "findings.json")
    assert [f["status"] for f in report["findings"]] == ["error"]
    assert report["inputs"]["events"]["read"] == 0 and report["inputs"]["events"]["skipped"] == 1
    assert code == 1


def test_a_flood_of_distinct_principals_is_capped_with_one_summary_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the group cap, the largest groups are listed and one finding sums up the rest."""
    monkeypatch.setenv("TRAILCHECK_MAX_EVENT_GROUPS_PER_RULE", "3")
    rule = make_rule({"eventName": "DescribeInstances"}, group_by=("userIdentity.arn",))
    records = [record(userIdentity={"type": "IAMUser", "arn": f"arn:aws:iam::111111111111:user/u{i}"})
               for i in range(10)]
    records += [record(userIdentity={"type": "IAMUser", "arn": "arn:aws:iam::111111111111:user/busy"})] * 5
    findings = failed(evaluate_event_rules([rule], records, None))
    assert len(findings) == 4
    by_resource = {f.resource: f for f in findings}
    assert by_resource["userIdentity.arn=arn:aws:iam::111111111111:user/busy"].evidence["count"] == 5
    summary = by_resource["(groups past the limit)"]
    assert summary.evidence == {"groups_not_listed": 8, "events_not_listed": 8, "limit": 3}
    assert "8 more groups (8 events) not listed" in summary.message
    assert "TRAILCHECK_MAX_EVENT_GROUPS_PER_RULE" in summary.message
