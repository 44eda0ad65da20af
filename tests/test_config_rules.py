"""Every built-in configuration rule (docs/rules.md) passes and fails where it should, on small
hand-written snapshots, including the cases other checkers get wrong: selector
names, exclusions cancelled by another selector, organization trails, global service
events outside us-east-1, and SSM control-channel events selected one name at a time.
Finding identity per scope is the one docs/policies.md gives.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli import run_cli
from tests.helpers.snapshots import (
    CONTROL_CHANNEL,
    KMS,
    MANAGEMENT,
    MEMBER,
    ORG_ID,
    account,
    advanced,
    basic,
    field,
    find,
    management_selector,
    scan_findings,
    snapshot,
    trail,
    trail_arn,
)

RDSDATA = "rdsdata.amazonaws.com"
MANAGED_NODE = "AWS::SSM::ManagedNode"
MAIN = trail_arn("main")

Unit = tuple[str | None, str | None, str | None]
ACCOUNT_UNIT: Unit = (MANAGEMENT, None, None)
REGION_UNIT: Unit = (MANAGEMENT, "us-east-1", None)
TRAIL_UNIT: Unit = (MANAGEMENT, "us-east-1", MAIN)
ORG_UNIT: Unit = (MANAGEMENT, None, ORG_ID)
MEMBER_UNIT: Unit = (MEMBER, None, None)


@dataclass(frozen=True)
class Case:
    """One rule on one snapshot: the expected status of one unit (and words of its message)."""

    name: str
    rule_id: str
    snapshot: dict[str, Any]
    unit: Unit
    status: str
    message_has: tuple[str, ...] = ()


def one_account(*trails: dict[str, Any]) -> dict[str, Any]:
    return snapshot(account(MANAGEMENT, *trails))


def with_selectors(*selectors: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    """One account with one multi-Region trail ``main`` using these selectors."""
    key = "AdvancedEventSelectors" if "FieldSelectors" in selectors[0] else "EventSelectors"
    overrides[key] = list(selectors)
    return one_account(trail(**overrides))


def data_selector(resource_type: str, *extra: dict[str, Any]) -> dict[str, Any]:
    return advanced(f"{resource_type} data events", field("eventCategory", Equals=["Data"]),
                    field("resources.type", Equals=[resource_type]), *extra)


def organization_estate(org_trail: dict[str, Any] | None) -> dict[str, Any]:
    """Management account with (or without) an organization trail; a member with no trail."""
    trails = (org_trail,) if org_trail else ()
    return snapshot(account(MANAGEMENT, *trails), account(MEMBER), organization=True)


NAMED_BUT_EXCLUDING = with_selectors(management_selector("Management events selector", exclude=(KMS,)))
ORG_TRAIL_ONLY = organization_estate(trail("org", organization=True))
EU_SINGLE_REGION = one_account(trail("main", home="eu-west-1", multi_region=False))
ONE_CONTROL_CHANNEL_EVENT = with_selectors(
    management_selector(), data_selector(CONTROL_CHANNEL, field("eventName", Equals=["CreateControlChannel"])))

CASES = [
    # cloudtrail-enabled
    Case("logging trail", "cloudtrail-enabled", one_account(trail()), ACCOUNT_UNIT, "pass"),
    Case("stopped trail", "cloudtrail-enabled", one_account(trail(logging=False)), ACCOUNT_UNIT, "fail"),
    Case("no trail", "cloudtrail-enabled", one_account(), ACCOUNT_UNIT, "fail"),
    Case("organization trail reaches member", "cloudtrail-enabled", ORG_TRAIL_ONLY, MEMBER_UNIT, "pass"),
    Case("member outside organization", "cloudtrail-enabled",
         snapshot(account(MANAGEMENT, trail("org", organization=True)), account(MEMBER)), MEMBER_UNIT, "fail"),
    # multi-region-trail
    Case("all management events", "multi-region-trail", one_account(trail()), ACCOUNT_UNIT, "pass"),
    Case("single-Region trail", "multi-region-trail", one_account(trail(multi_region=False)), ACCOUNT_UNIT, "fail"),
    Case("default selector name excluding KMS", "multi-region-trail", NAMED_BUT_EXCLUDING, ACCOUNT_UNIT, "fail",
         (KMS,)),
    Case("renamed correct selector", "multi-region-trail",
         with_selectors(management_selector("anything at all")), ACCOUNT_UNIT, "pass"),
    Case("basic exclusion cancelled by another selector", "multi-region-trail",
         with_selectors(basic(exclude=(KMS,)), basic()), ACCOUNT_UNIT, "pass"),
    Case("advanced exclusion cancelled by another selector", "multi-region-trail",
         with_selectors(management_selector(exclude=(KMS,)), management_selector("second")), ACCOUNT_UNIT, "pass"),
    Case("exclusions split across two trails", "multi-region-trail",
         one_account(trail("a", EventSelectors=[basic(exclude=(KMS,))]),
                     trail("b", EventSelectors=[basic(exclude=(RDSDATA,))])), ACCOUNT_UNIT, "fail"),
    Case("write-only trail", "multi-region-trail", with_selectors(basic("WriteOnly")), ACCOUNT_UNIT, "fail"),
    Case("organization trail reaches member", "multi-region-trail", ORG_TRAIL_ONLY, MEMBER_UNIT, "pass"),
    # management-events-coverage
    Case("all management events", "management-events-coverage", one_account(trail()), REGION_UNIT, "pass"),
    Case("write-only", "management-events-coverage", with_selectors(basic("WriteOnly")), REGION_UNIT, "fail",
         ("readOnly=true",)),
    Case("trail in another Region", "management-events-coverage", EU_SINGLE_REGION, REGION_UNIT, "fail"),
    Case("KMS excluded", "management-events-coverage", NAMED_BUT_EXCLUDING, REGION_UNIT, "fail", (KMS,)),
    # kms-exclusion-gap
    Case("no exclusion", "kms-exclusion-gap", one_account(trail()), REGION_UNIT, "pass"),
    Case("basic exclusion", "kms-exclusion-gap", with_selectors(basic(exclude=(KMS,))), REGION_UNIT, "fail"),
    Case("default selector name excluding KMS", "kms-exclusion-gap", NAMED_BUT_EXCLUDING, REGION_UNIT, "fail"),
    Case("exclusion closed by a write-only trail", "kms-exclusion-gap",
         one_account(trail("a", EventSelectors=[basic(exclude=(KMS,))]),
                     trail("b", multi_region=False, EventSelectors=[basic("WriteOnly")])), REGION_UNIT, "pass"),
    # kms-read-events-excluded
    Case("all management events", "kms-read-events-excluded", one_account(trail()), REGION_UNIT, "pass"),
    Case("write-only", "kms-read-events-excluded", with_selectors(basic("WriteOnly")), REGION_UNIT, "fail"),
    # rdsdata-exclusion-gap
    Case("no exclusion", "rdsdata-exclusion-gap", one_account(trail()), REGION_UNIT, "pass"),
    Case("basic exclusion", "rdsdata-exclusion-gap", with_selectors(basic(exclude=(RDSDATA,))), REGION_UNIT, "fail"),
    Case("advanced exclusion", "rdsdata-exclusion-gap",
         with_selectors(management_selector(exclude=(RDSDATA,))), REGION_UNIT, "fail"),
    Case("KMS-only exclusion", "rdsdata-exclusion-gap", NAMED_BUT_EXCLUDING, REGION_UNIT, "pass"),
    # ssm-controlchannel-data-events
    Case("control-channel selector", "ssm-controlchannel-data-events",
         with_selectors(management_selector(), data_selector(CONTROL_CHANNEL)), REGION_UNIT, "pass"),
    Case("management events only", "ssm-controlchannel-data-events", one_account(trail()), REGION_UNIT, "fail"),
    Case("one eventName selected", "ssm-controlchannel-data-events", ONE_CONTROL_CHANNEL_EVENT, REGION_UNIT,
         "fail", ("OpenControlChannel",)),
    # ssm-managednode-data-events
    Case("managed-node selector", "ssm-managednode-data-events",
         with_selectors(data_selector(MANAGED_NODE)), REGION_UNIT, "pass"),
    Case("write-only managed-node selector", "ssm-managednode-data-events",
         with_selectors(data_selector(MANAGED_NODE, field("readOnly", Equals=["false"]))), REGION_UNIT, "fail"),
    # ssm-session-events
    Case("all management events", "ssm-session-events", one_account(trail()), REGION_UNIT, "pass"),
    Case("read-only", "ssm-session-events", with_selectors(basic("ReadOnly")), REGION_UNIT, "fail"),
    # ec2-instance-connect-events
    Case("write-only", "ec2-instance-connect-events", with_selectors(basic("WriteOnly")), REGION_UNIT, "pass"),
    Case("read-only", "ec2-instance-connect-events", with_selectors(basic("ReadOnly")), REGION_UNIT, "fail"),
    # global-service-events
    Case("multi-Region trail", "global-service-events", one_account(trail()), ACCOUNT_UNIT, "pass"),
    Case("multi-Region trail homed in eu-west-1", "global-service-events",
         one_account(trail("main", home="eu-west-1")), ACCOUNT_UNIT, "pass"),
    Case("single-Region trail in us-east-1", "global-service-events",
         one_account(trail(multi_region=False)), ACCOUNT_UNIT, "pass"),
    Case("single-Region trail outside us-east-1", "global-service-events", EU_SINGLE_REGION, ACCOUNT_UNIT, "fail"),
    Case("us-east-1 trail without global events", "global-service-events",
         one_account(trail(multi_region=False, IncludeGlobalServiceEvents=False)), ACCOUNT_UNIT, "fail"),
    # trail-logging
    Case("logging", "trail-logging", one_account(trail()), TRAIL_UNIT, "pass"),
    Case("stopped", "trail-logging", one_account(trail(logging=False)), TRAIL_UNIT, "fail"),
    # trail-delivery-healthy
    Case("fresh delivery", "trail-delivery-healthy", one_account(trail()), TRAIL_UNIT, "pass"),
    Case("delivery error", "trail-delivery-healthy", one_account(trail(Status={
        "IsLogging": True, "LatestDeliveryTime": "2026-11-20T01:30:00Z", "LatestDeliveryError": "NoSuchBucket"})),
         TRAIL_UNIT, "fail"),
    Case("stale delivery", "trail-delivery-healthy", one_account(trail(Status={
        "IsLogging": True, "LatestDeliveryTime": "2026-11-19T01:00:00Z"})), TRAIL_UNIT, "fail"),
    Case("not logging", "trail-delivery-healthy", one_account(trail(logging=False)), TRAIL_UNIT, "skipped"),
    # log-file-validation
    Case("on", "log-file-validation", one_account(trail()), TRAIL_UNIT, "pass"),
    Case("off", "log-file-validation", one_account(trail(LogFileValidationEnabled=False)), TRAIL_UNIT, "fail"),
    # kms-encryption
    Case("KMS key", "kms-encryption", one_account(trail()), TRAIL_UNIT, "pass"),
    Case("no KMS key", "kms-encryption", one_account(trail(KmsKeyId=None)), TRAIL_UNIT, "fail"),
    # cloudwatch-logs-integration
    Case("log group", "cloudwatch-logs-integration", one_account(trail()), TRAIL_UNIT, "pass"),
    Case("no log group", "cloudwatch-logs-integration", one_account(trail(CloudWatchLogsLogGroupArn=None)),
         TRAIL_UNIT, "fail"),
    # empty-data-resources
    Case("S3 all buckets", "empty-data-resources",
         with_selectors(basic(data=(("AWS::S3::Object", ("arn:aws:s3",)),))), TRAIL_UNIT, "pass"),
    Case("empty Values", "empty-data-resources",
         with_selectors(basic(data=(("AWS::S3::Object", ()),))), TRAIL_UNIT, "fail"),
    # insights-enabled
    Case("both types", "insights-enabled", one_account(trail()), ACCOUNT_UNIT, "pass"),
    Case("one type", "insights-enabled", one_account(trail(InsightSelectors=[{"InsightType": "ApiCallRateInsight"}])),
         ACCOUNT_UNIT, "fail"),
    Case("both types on a stopped trail", "insights-enabled",
         one_account(trail("stopped", logging=False), trail("running", InsightSelectors=[])), ACCOUNT_UNIT, "fail"),
    # organization-trail
    Case("multi-Region organization trail", "organization-trail", ORG_TRAIL_ONLY, ORG_UNIT, "pass"),
    Case("single-Region organization trail", "organization-trail",
         organization_estate(trail("org", organization=True, multi_region=False)), ORG_UNIT, "fail"),
    Case("no organization trail", "organization-trail", organization_estate(trail("local")), ORG_UNIT, "fail"),
    Case("stopped organization trail", "organization-trail",
         organization_estate(trail("org", organization=True, logging=False)), ORG_UNIT, "fail"),
    # s3-data-events
    Case("basic, all buckets", "s3-data-events",
         with_selectors(basic(data=(("AWS::S3::Object", ("arn:aws:s3",)),))), ACCOUNT_UNIT, "pass"),
    Case("advanced, all buckets", "s3-data-events",
         with_selectors(management_selector(), data_selector("AWS::S3::Object")), ACCOUNT_UNIT, "pass"),
    Case("one bucket", "s3-data-events",
         with_selectors(basic(data=(("AWS::S3::Object", ("arn:aws:s3:::one-bucket/",)),))), ACCOUNT_UNIT, "fail"),
    Case("write-only", "s3-data-events",
         with_selectors(basic("WriteOnly", data=(("AWS::S3::Object", ("arn:aws:s3",)),))), ACCOUNT_UNIT, "fail"),
    Case("single-Region", "s3-data-events",
         with_selectors(basic(data=(("AWS::S3::Object", ("arn:aws:s3",)),)), multi_region=False), ACCOUNT_UNIT,
         "fail"),
]


@pytest.mark.parametrize("case", CASES, ids=[f"{c.rule_id}: {c.name}" for c in CASES])
def test_builtin_rule(capsys: pytest.CaptureFixture[str], tmp_path: Path, case: Case) -> None:
    findings = scan_findings(capsys, tmp_path, case.snapshot, "--rules", case.rule_id)
    found = find(findings, case.rule_id, *case.unit)
    assert found["status"] == case.status, found["message"]
    for words in case.message_has:
        assert words in found["message"]


def test_every_builtin_configuration_rule_has_a_pass_and_a_fail_case(capsys: pytest.CaptureFixture[str]) -> None:
    rules = json.loads(run_cli(capsys, "rules", "--format", "json").out)
    # The monitoring rules (policies/monitoring.yaml) have their cases in test_monitoring_rules,
    # coverage-regression (policies/iac.yaml, code input only) in test_coverage_regression, the
    # storage rules (policies/storage.yaml) in test_storage_rules.
    configuration = {r["id"] for r in rules if r["scope"] != "event" and "/monitoring.yaml:" not in r["source"]
                     and "/iac.yaml:" not in r["source"] and "/storage.yaml:" not in r["source"]}
    assert len(configuration) == 20
    for status in ("pass", "fail"):
        covered = {c.rule_id for c in CASES if c.status == status}
        assert configuration <= covered, f"no {status} case for {sorted(configuration - covered)}"


def test_partial_control_channel_coverage_names_the_missing_event(capsys: pytest.CaptureFixture[str],
                                                                 tmp_path: Path) -> None:
    findings = scan_findings(capsys, tmp_path, ONE_CONTROL_CHANNEL_EVENT, "--rules", "ssm-controlchannel-data-events")
    probes = find(findings, "ssm-controlchannel-data-events", *REGION_UNIT)["evidence"]["probes"]
    coverage = {p["event"]["eventName"]: p["coverage"] for p in probes}
    assert coverage == {"CreateControlChannel": "covered", "OpenControlChannel": "not-covered"}


def test_multi_region_trail_evidence_names_the_exclusion(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    findings = scan_findings(capsys, tmp_path, NAMED_BUT_EXCLUDING, "--rules", "multi-region-trail")
    [row] = find(findings, "multi-region-trail", *ACCOUNT_UNIT)["evidence"]["trails"]
    assert row["arn"] == MAIN and row["qualifies"] is False
    assert KMS in row["reason"]


# -- identity per scope -------------------------------------------------------------------------

def test_finding_identity_per_scope(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    org_trail = trail("org", organization=True)
    member_trail = trail("member-eu", account=MEMBER, home="eu-west-1", multi_region=False)
    # The organization trail is repeated under the member, as a collector might list it.
    document = snapshot(account(MANAGEMENT, org_trail), account(MEMBER, member_trail, org_trail),
                        organization=True)
    findings = scan_findings(capsys, tmp_path, document, "--rules",
                             "trail-logging,kms-exclusion-gap,cloudtrail-enabled,organization-trail")

    def units(rule_id: str) -> set[Unit]:
        return {(f["account_id"], f["region"], f["resource"]) for f in findings if f["rule_id"] == rule_id}

    assert units("trail-logging") == {(MANAGEMENT, "us-east-1", trail_arn("org")),
                                      (MEMBER, "eu-west-1", trail_arn("member-eu", MEMBER, "eu-west-1"))}
    assert len([f for f in findings if f["rule_id"] == "trail-logging"]) == 2
    assert units("kms-exclusion-gap") == {(a, r, None) for a in (MANAGEMENT, MEMBER)
                                          for r in ("us-east-1", "eu-west-1")}
    assert units("cloudtrail-enabled") == {(MANAGEMENT, None, None), (MEMBER, None, None)}
    assert units("organization-trail") == {ORG_UNIT}
    assert len({f["fingerprint"] for f in findings}) == len(findings)


def test_no_organization_no_organization_finding(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    findings = scan_findings(capsys, tmp_path, one_account(trail()), "--rules", "organization-trail")
    assert findings == []
