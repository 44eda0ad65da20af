"""Snapshot semantics a user relies on (SPEC §4): timestamps in either form, forward
compatibility, and "missing data is unknown, never fine".

The builders at the top write small hand-made snapshots; the other test files use them
too. A builder's keyword set to ``None`` removes that key (e.g. ``Status=None`` = status
not collected).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from test_cli import scan_report

MANAGEMENT = "111111111111"
MEMBER = "222222222222"
ORG_ID = "o-test123456"
REGIONS = ("us-east-1", "eu-west-1")
COLLECTED_AT = "2026-11-20T02:00:00Z"
FRESH_DELIVERY = "2026-11-20T01:30:00Z"
KMS = "kms.amazonaws.com"
CONTROL_CHANNEL = "AWS::SSMMessages::ControlChannel"

Finding = dict[str, Any]


def basic(read_write: str = "All", management: bool = True, exclude: tuple[str, ...] = (),
          data: tuple[tuple[str, tuple[str, ...]], ...] = ()) -> dict[str, Any]:
    """One basic event selector (the CLI default is ``basic()``: all management events)."""
    return {"ReadWriteType": read_write, "IncludeManagementEvents": management,
            "DataResources": [{"Type": kind, "Values": list(values)} for kind, values in data],
            "ExcludeManagementEventSources": list(exclude)}


def field(name: str, **operators: list[str]) -> dict[str, Any]:
    """One advanced field selector: ``field("eventSource", NotEquals=[KMS])``."""
    return {"Field": name, **operators}


def advanced(name: str, *fields: dict[str, Any]) -> dict[str, Any]:
    return {"Name": name, "FieldSelectors": list(fields)}


def management_selector(name: str = "Management events selector", exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """The console's management selector, optionally with ``eventSource NotEquals`` exclusions."""
    fields = [field("eventCategory", Equals=["Management"])]
    if exclude:
        fields.append(field("eventSource", NotEquals=list(exclude)))
    return advanced(name, *fields)


def trail_arn(name: str, account: str = MANAGEMENT, home: str = "us-east-1") -> str:
    return f"arn:aws:cloudtrail:{home}:{account}:trail/{name}"


def trail(name: str = "main", *, account: str = MANAGEMENT, home: str = "us-east-1", multi_region: bool = True,
          organization: bool = False, logging: bool = True, **overrides: Any) -> dict[str, Any]:
    """A healthy trail (logging, fresh delivery, validation, KMS, CloudWatch Logs, both Insights
    types, all management events) with ``overrides``; ``None`` removes a key."""
    document: dict[str, Any] = {
        "Name": name, "TrailARN": trail_arn(name, account, home), "HomeRegion": home,
        "IsMultiRegionTrail": multi_region, "IsOrganizationTrail": organization,
        "IncludeGlobalServiceEvents": True, "LogFileValidationEnabled": True,
        "KmsKeyId": f"arn:aws:kms:{home}:{account}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "S3BucketName": f"{name}-logs",
        "CloudWatchLogsLogGroupArn": f"arn:aws:logs:{home}:{account}:log-group:{name}:*",
        "Status": {"IsLogging": logging, "LatestDeliveryTime": FRESH_DELIVERY},
        "EventSelectors": [basic()],
        "InsightSelectors": [{"InsightType": "ApiCallRateInsight"}, {"InsightType": "ApiErrorRateInsight"}],
    }
    if "AdvancedEventSelectors" in overrides and "EventSelectors" not in overrides:
        del document["EventSelectors"]
    document.update(overrides)
    return {k: v for k, v in document.items() if v is not None}


def account(account_id: str = MANAGEMENT, *trails: dict[str, Any], regions: tuple[str, ...] = REGIONS,
            errors: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
    document: dict[str, Any] = {"account_id": account_id, "name": f"account-{account_id[:3]}",
                                "regions": list(regions), "trails": list(trails)}
    if errors:
        document["errors"] = list(errors)
    return document


def collection_error(region: str | None, operation: str = "DescribeTrails") -> dict[str, Any]:
    """What the collector records when ``operation`` was denied (``region`` None = account-wide)."""
    return {"region": region, "operation": operation, "code": "AccessDenied", "message": f"{operation} was denied"}


def snapshot(*accounts: dict[str, Any], organization: bool = False,
             collected_at: str | float = COLLECTED_AT) -> dict[str, Any]:
    document: dict[str, Any] = {"format": "trailcheck.snapshot/v1", "collected_at": collected_at,
                                "partition": "aws", "accounts": list(accounts)}
    if organization:
        document["organization"] = {"id": ORG_ID, "management_account_id": MANAGEMENT}
    return document


def write_json(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


def scan_findings(capsys: pytest.CaptureFixture[str], tmp_path: Path, document: dict[str, Any],
                  *args: str) -> list[Finding]:
    """Write ``document`` as a snapshot, scan it (built-in pack unless ``args`` say otherwise)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = write_json(tmp_path / "snapshot.json", document)
    _, report = scan_report(capsys, tmp_path / "out", path, *args)
    findings: list[Finding] = report["findings"]
    return findings


def find(findings: list[Finding], rule_id: str, account_id: str | None = MANAGEMENT, region: str | None = None,
         resource: str | None = None) -> Finding:
    """The one finding of ``rule_id`` for that unit."""
    matches = [f for f in findings if (f["rule_id"], f["account_id"], f["region"], f["resource"])
               == (rule_id, account_id, region, resource)]
    assert len(matches) == 1, (rule_id, account_id, region, resource,
                               [(f["account_id"], f["region"], f["resource"]) for f in findings
                                if f["rule_id"] == rule_id])
    return matches[0]


def verdicts(findings: list[Finding]) -> list[tuple[str, str | None, str | None, str | None, str]]:
    return [(f["rule_id"], f["account_id"], f["region"], f["resource"], f["status"]) for f in findings]


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
