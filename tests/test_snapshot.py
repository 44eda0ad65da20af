"""Snapshot semantics a user relies on: timestamps in either form, forward
compatibility, and "missing data is unknown, never fine"."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli import scan_report
from tests.helpers.snapshots import (
    COLLECTED_AT,
    KMS,
    MANAGEMENT,
    REGIONS,
    account,
    basic,
    collection_error,
    find,
    management_selector,
    scan_findings,
    snapshot,
    trail,
    trail_arn,
    verdicts,
)

# -- timestamps ------------------------------------------------------------------------------

def _epoch(iso_text: str) -> float:
    return datetime.fromisoformat(iso_text.replace("Z", "+00:00")).timestamp()


def test_iso_and_epoch_timestamps_give_the_same_findings(capsys: pytest.CaptureFixture[str],
                                                         tmp_path: Path) -> None:
    def estate(stamp: Any) -> dict[str, Any]:
        fresh = trail("fresh", Status={"IsLogging": True, "LatestDeliveryTime": stamp("2026-11-20T01:00:00Z"),
                                       "StartLoggingTime": stamp("2025-01-01T00:00:00Z")})
        stale = trail("stale", Status={"IsLogging": True, "LatestDeliveryTime": stamp("2026-11-18T01:00:00Z")})
        return snapshot(account(MANAGEMENT, fresh, stale), collected_at=stamp(COLLECTED_AT))

    iso_findings = scan_findings(capsys, tmp_path / "iso", estate(lambda text: text))
    epoch_findings = scan_findings(capsys, tmp_path / "epoch", estate(_epoch))
    assert verdicts(iso_findings) == verdicts(epoch_findings)
    assert [f["message"] for f in iso_findings] == [f["message"] for f in epoch_findings]
    assert find(iso_findings, "trail-delivery-healthy", region="us-east-1", resource=trail_arn("fresh"))[
        "status"] == "pass"
    assert find(epoch_findings, "trail-delivery-healthy", region="us-east-1", resource=trail_arn("stale"))[
        "status"] == "fail"


# -- forward compatibility -------------------------------------------------------------------

def test_unknown_fields_anywhere_are_tolerated(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    plain = snapshot(account(MANAGEMENT, trail(), errors=(collection_error("eu-west-1", "GetInsightSelectors"),)),
                     organization=True)
    extended = json.loads(json.dumps(plain))
    extended["x_top"] = {"anything": [1, 2]}
    extended["organization"]["x_org"] = True
    acct = extended["accounts"][0]
    acct["x_account"] = "future"
    acct["errors"][0]["x_error"] = 1
    found = acct["trails"][0]
    found["x_trail"] = None
    found["Status"]["LatestDigestDeliveryTime"] = "2026-11-20T01:00:00Z"
    found["Status"]["x_status"] = "new"
    found["EventSelectors"][0]["x_selector"] = []
    found["EventSelectors"][0]["DataResources"] = [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"], "x": 1}]
    found["InsightSelectors"][0]["EventCategories"] = ["Management"]
    found["InsightSelectors"][0]["x_insight"] = 1
    plain["accounts"][0]["trails"][0]["EventSelectors"][0]["DataResources"] = [
        {"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]
    assert verdicts(scan_findings(capsys, tmp_path / "plain", plain)) == verdicts(
        scan_findings(capsys, tmp_path / "extended", extended))


def test_unknown_fields_in_advanced_selectors_are_tolerated(capsys: pytest.CaptureFixture[str],
                                                            tmp_path: Path) -> None:
    selector = management_selector("renamed")
    selector["x_selector"] = {"k": "v"}
    selector["FieldSelectors"][0]["x_field"] = "ignored"
    findings = scan_findings(capsys, tmp_path, snapshot(account(MANAGEMENT, trail(AdvancedEventSelectors=[selector]))),
                             "--rules", "multi-region-trail")
    assert find(findings, "multi-region-trail")["status"] == "pass"


# -- missing data is unknown -------------------------------------------------------------------

def test_missing_status_is_an_error_not_a_verdict(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    unknown = trail("unknown", Status=None)
    local = trail("local", home="us-east-1", multi_region=False)
    findings = scan_findings(capsys, tmp_path, snapshot(account(MANAGEMENT, unknown, local)))
    unknown_arn = trail_arn("unknown")
    assert find(findings, "trail-logging", region="us-east-1", resource=unknown_arn)["status"] == "error"
    assert find(findings, "trail-delivery-healthy", region="us-east-1", resource=unknown_arn)["status"] == "error"
    assert find(findings, "trail-logging", region="us-east-1", resource=trail_arn("local"))["status"] == "pass"
    # us-east-1 is covered by the other trail; eu-west-1 only the unknown trail could cover.
    assert find(findings, "management-events-coverage", region="us-east-1")["status"] == "pass"
    assert find(findings, "management-events-coverage", region="eu-west-1")["status"] == "error"
    # Trail-level data that was collected is still judged.
    assert find(findings, "log-file-validation", region="us-east-1", resource=unknown_arn)["status"] == "pass"


def test_missing_selectors_are_an_error_unless_another_trail_covers(capsys: pytest.CaptureFixture[str],
                                                                    tmp_path: Path) -> None:
    unknown = trail("unknown", EventSelectors=None)
    local = trail("local", home="eu-west-1", multi_region=False)
    findings = scan_findings(capsys, tmp_path, snapshot(account(MANAGEMENT, unknown, local)))
    for rule_id in ("management-events-coverage", "kms-exclusion-gap", "ssm-session-events"):
        assert find(findings, rule_id, region="eu-west-1")["status"] == "pass", rule_id
        assert find(findings, rule_id, region="us-east-1")["status"] == "error", rule_id
    assert find(findings, "empty-data-resources", region="us-east-1", resource=trail_arn("unknown"))[
        "status"] == "error"
    assert find(findings, "global-service-events")["status"] == "error"


def test_missing_selectors_never_pass_a_data_event_rule(capsys: pytest.CaptureFixture[str],
                                                         tmp_path: Path) -> None:
    findings = scan_findings(capsys, tmp_path, snapshot(account(MANAGEMENT, trail(EventSelectors=None))),
                             "--rules", "ssm-controlchannel-data-events,s3-data-events")
    assert find(findings, "ssm-controlchannel-data-events", region="us-east-1")["status"] == "error"
    assert find(findings, "s3-data-events")["status"] == "error"


def test_region_collection_error_turns_not_covered_into_error(capsys: pytest.CaptureFixture[str],
                                                              tmp_path: Path) -> None:
    local = trail("local", home="us-east-1", multi_region=False, EventSelectors=[basic(exclude=(KMS,))])
    document = snapshot(account(MANAGEMENT, local, errors=(collection_error("eu-west-1"),)))
    findings = scan_findings(capsys, tmp_path, document)
    # us-east-1 stays decided: a pass where covered, a fail where not.
    assert find(findings, "ssm-session-events", region="us-east-1")["status"] == "pass"
    assert find(findings, "kms-exclusion-gap", region="us-east-1")["status"] == "fail"
    # eu-west-1: nothing known covers it, and a trail may be hidden there.
    eu = find(findings, "kms-exclusion-gap", region="eu-west-1")
    assert eu["status"] == "error"
    assert eu["evidence"]["collection_errors"][0]["operation"] == "DescribeTrails"
    assert find(findings, "ssm-session-events", region="eu-west-1")["status"] == "error"


def test_covered_region_passes_despite_its_collection_error(capsys: pytest.CaptureFixture[str],
                                                            tmp_path: Path) -> None:
    document = snapshot(account(MANAGEMENT, trail(), errors=(collection_error("eu-west-1"),)))
    findings = scan_findings(capsys, tmp_path, document)
    assert find(findings, "management-events-coverage", region="eu-west-1")["status"] == "pass"
    assert find(findings, "multi-region-trail")["status"] == "pass"


def test_account_wide_error_makes_unsatisfied_account_rules_error(capsys: pytest.CaptureFixture[str],
                                                                  tmp_path: Path) -> None:
    stopped = trail("stopped", logging=False)
    findings = scan_findings(capsys, tmp_path, snapshot(account(
        MANAGEMENT, stopped, errors=(collection_error(None, "ListTrails"),))))
    for rule_id in ("cloudtrail-enabled", "multi-region-trail", "global-service-events", "insights-enabled",
                    "s3-data-events"):
        assert find(findings, rule_id)["status"] == "error", rule_id
    for region in REGIONS:
        assert find(findings, "management-events-coverage", region=region)["status"] == "error"
    assert find(findings, "trail-logging", region="us-east-1", resource=trail_arn("stopped"))["status"] == "fail"


def test_account_wide_error_leaves_satisfied_account_rules_passing(capsys: pytest.CaptureFixture[str],
                                                                   tmp_path: Path) -> None:
    findings = scan_findings(capsys, tmp_path, snapshot(account(
        MANAGEMENT, trail(), errors=(collection_error(None, "ListTrails"),))))
    for rule_id in ("cloudtrail-enabled", "multi-region-trail", "global-service-events", "insights-enabled"):
        assert find(findings, rule_id)["status"] == "pass", rule_id


def test_an_account_without_regions_is_undecided_not_compliant(capsys: pytest.CaptureFixture[str],
                                                               tmp_path: Path) -> None:
    """No region in scope means no probe was checked anywhere: that is no evidence of coverage."""
    snapshot = tmp_path / "s.json"
    snapshot.write_text(json.dumps({"format": "trailcheck.snapshot/v1",
                                    "accounts": [{"account_id": "111111111111", "regions": [], "trails": []}]}))
    result, report = scan_report(capsys, tmp_path / "out", snapshot, "--rules", "s3-data-events,global-service-events")
    statuses = {f["rule_id"]: f["status"] for f in report["findings"]}
    assert statuses == {"s3-data-events": "error", "global-service-events": "error"}
    assert result.code == 1
