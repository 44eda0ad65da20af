"""The HTML report's storage view: per trail, where its logs live (bucket, log group, key, each
in the account that owns it) and what the storage rules found there; per event data store,
its state. Built from the findings alone, so it is tested on findings as the storage checks
write them, on a scan of a small organization with a log-archive account, and in Chromium.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from checker.findings import Finding, Status
from checker.formats import html
from checker.formats.storage_view import STORE_CHECKS, TRAIL_CHECKS, storage_view
from checker.scan import ScanOptions, load_rules, run_scan
from tests.helpers.chromium import DRAWN, Browser
from tests.helpers.reports import HOSTILE, embedded_data, sample_report

ORG_TRAIL = "arn:aws:cloudtrail:us-east-1:111111111111:trail/org-trail"
MEMBER_TRAIL = "arn:aws:cloudtrail:eu-west-1:222222222222:trail/prod-audit"
STORE = "arn:aws:cloudtrail:us-east-1:111111111111:eventdatastore/org-lake"
CENTRAL = {"name": "org-trail-logs", "account_id": "333333333333"}
KEY = {"name": "arn:aws:kms:us-east-1:333333333333:key/0f1e", "account_id": "333333333333"}


def storage_finding(rule_id: str, status: Status, evidence: dict[str, Any], trail: str = ORG_TRAIL,
                    message: str = "") -> Finding:
    account, region = trail.split(":")[4], trail.split(":")[3]
    return Finding(rule_id, "medium", status, account, region, trail, message or f"{rule_id} {status}", evidence)


@pytest.mark.parametrize(("rule_id", "status", "evidence", "fact"), [
    ("trail-bucket-not-public", "pass", {"bucket": {**CENTRAL, "public_by_policy": False, "public_by_acl": False}},
     "not public"),
    ("trail-bucket-not-public", "fail", {"bucket": {**CENTRAL, "public_by_policy": True, "public_by_acl": True}},
     "public by policy and ACL"),
    ("trail-bucket-access-logging", "pass",
     {"bucket": {**CENTRAL, "Logging": {"TargetBucket": "access-logs", "TargetPrefix": "org/"}}},
     "to access-logs/org/"),
    ("trail-bucket-access-logging", "fail", {"bucket": {**CENTRAL, "Logging": None}}, "off"),
    ("trail-bucket-delete-protection", "pass", {"bucket": {**CENTRAL, "ObjectLock": {
        "enabled": True, "mode": "COMPLIANCE", "days": 400, "years": None}, "Versioning": {"Status": "Enabled"}}},
     "Object Lock COMPLIANCE 400 days"),
    ("trail-bucket-delete-protection", "pass", {"bucket": {**CENTRAL, "ObjectLock": None, "Versioning": {
        "Status": "Enabled", "MFADelete": "Enabled"}}}, "MFA delete"),
    ("trail-bucket-delete-protection", "fail", {"bucket": {**CENTRAL, "ObjectLock": None, "Versioning": {
        "Status": "Enabled", "MFADelete": "Disabled"}}}, "none"),
    ("trail-bucket-policy-scoped", "fail", {"bucket": {**CENTRAL, "cloudtrail_write_statements": [
        {"statement": "Statement[1]", "scoped": False}, {"statement": "Statement[2]", "scoped": True}]}},
     "1 of 2 unscoped"),
    ("trail-bucket-policy-scoped", "pass", {"bucket": {**CENTRAL}}, "no CloudTrail write statement"),
    ("log-retention", "fail", {"bucket": {**CENTRAL, "lifecycle_rules": [
        {"rule": "'expire'", "applies": True, "expires": "after 90 days"},
        {"rule": "'tmp'", "applies": False, "why": "its prefix 'tmp/' does not overlap 'AWSLogs/'"}]},
        "log_group": {"name": "org", "account_id": "333333333333", "retentionInDays": None}},
     "S3 after 90 days; log group forever"),
    ("log-retention", "pass", {"bucket": {**CENTRAL, "lifecycle_rules": []}, "log_group": None},
     "S3 kept until deleted"),
    ("log-retention", "fail", {"bucket": {**CENTRAL, "lifecycle_rules": [
        {"rule": "'expire'", "applies": True, "expires": "after 30 days"}]},
        "log_group": {"name": "org", "account_id": "333333333333", "retentionInDays": "not read"}},
     "S3 after 30 days; log group not read"),
    ("trail-kms-key-usable", "fail", {"kms_key": {**KEY, "KeyState": "PendingDeletion"}}, "PendingDeletion"),
    ("trail-kms-key-rotation", "pass", {"kms_key": {**KEY, "KeyManager": "AWS", "KeyRotationEnabled": None}},
     "AWS rotates"),
    ("trail-kms-key-rotation", "fail", {"kms_key": {**KEY, "KeyManager": "CUSTOMER", "KeyRotationEnabled": False}},
     "off"),
    ("trail-bucket-not-public", "error", {"bucket": {"name": "gone", "account_id": None}}, "error"),
    ("trail-bucket-access-logging", "waived", {"bucket": {**CENTRAL, "Logging": None}}, "off"),
    ("trail-kms-key-usable", "pass", {"kms_key": {"unexpected": "shape"}}, "pass"),  # no fact: the status
])
def test_a_cell_reads_a_few_words_from_its_finding(rule_id: str, status: Status, evidence: dict[str, Any],
                                                   fact: str) -> None:
    found = storage_finding(rule_id, status, evidence, message="the finding's message")
    row = storage_view([found])["trails"]["rows"][0]
    assert row["cells"] == [{"status": status, "fact": fact, "message": "the finding's message"}]


def test_event_data_stores_have_their_own_rows() -> None:
    stores = storage_view([
        Finding("event-data-store-healthy", "high", "fail", "111111111111", "us-east-1", STORE, "stopped",
                {"Status": "STOPPED_INGESTION", "TerminationProtectionEnabled": False, "RetentionPeriod": 2557,
                 "min_days": 365}),
        Finding("event-data-store-cmk", "medium", "fail", "111111111111", "us-east-1", STORE, "AWS key",
                {"KmsKeyId": None})])["stores"]
    assert [c["rule"] for c in stores["checks"]] == ["event-data-store-healthy", "event-data-store-cmk"]
    assert stores["rows"] == [{"resource": STORE, "account": "111111111111", "region": "us-east-1", "status": "fail",
                               "cells": [{"status": "fail", "fact": "STOPPED_INGESTION, 2557 days, unprotected",
                                          "message": "stopped"},
                                         {"status": "fail", "fact": "AWS-owned key", "message": "AWS key"}]}]


def test_a_row_per_trail_worst_first_with_where_each_resource_lives() -> None:
    findings = [
        storage_finding("trail-bucket-not-public", "pass", {"bucket": {**CENTRAL, "public_by_policy": False}}),
        storage_finding("trail-kms-key-usable", "pass", {"kms_key": {**KEY, "KeyState": "Enabled"}}),
        storage_finding("log-retention", "fail", {"bucket": {"name": "prod-logs", "account_id": "222222222222",
                                                             "lifecycle_rules": []},
                                                  "log_group": {"name": "prod", "account_id": "222222222222",
                                                                "retentionInDays": 30}}, MEMBER_TRAIL),
        Finding("cloudtrail-enabled", "high", "pass", "111111111111", None, None, "not a storage rule", {}),
    ]
    view = storage_view(findings)["trails"]
    assert [c["rule"] for c in view["checks"]] == ["trail-bucket-not-public", "log-retention",
                                                   "trail-kms-key-usable"]  # only checks with findings
    assert [r["resource"] for r in view["rows"]] == [MEMBER_TRAIL, ORG_TRAIL]  # the failing trail first
    member, org = view["rows"]
    assert org["places"] == {"bucket": CENTRAL, "log_group": None, "kms_key": KEY}
    assert member["places"]["log_group"] == {"name": "prod", "account_id": "222222222222"}
    assert [c and c["status"] for c in org["cells"]] == ["pass", None, "pass"]
    assert (member["status"], member["account"], member["region"]) == ("fail", "222222222222", "eu-west-1")


def test_a_report_without_storage_findings_has_an_empty_storage_view() -> None:
    view = embedded_data(html.FORMAT.render(sample_report()))["views"]["storage"]
    assert view == {"trails": {"checks": [], "rows": [], "all_skipped": 0},
                    "stores": {"checks": [], "rows": [], "all_skipped": 0}}


def test_trails_whose_every_storage_check_was_skipped_are_only_counted() -> None:
    no_data = "the snapshot carries no storage data"
    view = storage_view([storage_finding("trail-bucket-not-public", "skipped", {}, message=no_data),
                         storage_finding("trail-kms-key-usable", "skipped", {}, message=no_data),
                         storage_finding("trail-kms-key-usable", "skipped", {}, MEMBER_TRAIL),
                         storage_finding("log-retention", "pass", {}, MEMBER_TRAIL)])["trails"]
    assert [r["resource"] for r in view["rows"]] == [MEMBER_TRAIL]
    assert view["all_skipped"] == 1


# --- from a scan: an organization trail delivering to a log-archive account ------------------

def trail(account: str, name: str, region: str, bucket: str, key: str, group: str | None,
          **fields: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "Name": name, "TrailARN": f"arn:aws:cloudtrail:{region}:{account}:trail/{name}", "HomeRegion": region,
        "IsMultiRegionTrail": True, "IncludeGlobalServiceEvents": True, "LogFileValidationEnabled": True,
        "S3BucketName": bucket, "KmsKeyId": key, "Status": {"IsLogging": True}, "InsightSelectors": [],
        "EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": []}], **fields}
    if group:
        document["CloudWatchLogsLogGroupArn"] = group
    return document


def bucket(lifecycle_days: int, *, locked: bool) -> dict[str, Any]:
    return {
        "Region": "us-east-1", "PolicyStatus": {"IsPublic": False}, "Policy": None, "PublicAccessBlock": None,
        "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}, "Grants": [],
        "Logging": {"LoggingEnabled": {"TargetBucket": "access-logs", "TargetPrefix": "trails/"}} if locked else {},
        "Versioning": {"Status": "Enabled"},
        "ObjectLock": {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE",
                                                                                     "Days": 400}}} if locked else None,
        "Lifecycle": {"Rules": [{"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": "AWSLogs/"},
                                 "Expiration": {"Days": lifecycle_days}}]}}


def key(arn: str, state: str) -> dict[str, Any]:
    return {"Arn": arn, "KeyManager": "CUSTOMER", "KeyState": state, "KeyRotationEnabled": True}


ARCHIVE_KEY = "arn:aws:kms:us-east-1:333333333333:key/archive"
MEMBER_KEY = "arn:aws:kms:eu-west-1:222222222222:key/prod"
ORG_GROUP = "arn:aws:logs:us-east-1:333333333333:log-group:org-trail:*"
HOSTILE_BUCKET = f"prod-logs{HOSTILE}"
SNAPSHOT: dict[str, Any] = {
    "format": "trailcheck.snapshot/v1", "collected_at": "2026-11-20T02:00:00Z",
    "organization": {"id": "o-example", "management_account_id": "111111111111"},
    "accounts": [
        {"account_id": "111111111111", "regions": ["us-east-1", "eu-west-1"], "errors": [],
         "trails": [trail("111111111111", "org-trail", "us-east-1", "org-trail-logs", ARCHIVE_KEY, ORG_GROUP,
                          IsOrganizationTrail=True)],
         "buckets": {}, "account_public_access_block": None, "kms_keys": {}, "log_groups": {}},
        {"account_id": "222222222222", "regions": ["us-east-1", "eu-west-1"], "errors": [],
         "trails": [trail("222222222222", "prod-audit", "eu-west-1", HOSTILE_BUCKET, MEMBER_KEY, None)],
         "buckets": {HOSTILE_BUCKET: bucket(90, locked=False)}, "account_public_access_block": None,
         "kms_keys": {MEMBER_KEY: key(MEMBER_KEY, "Disabled")}, "log_groups": {}},
        {"account_id": "333333333333", "regions": ["us-east-1", "eu-west-1"], "errors": [], "trails": [],
         "buckets": {"org-trail-logs": bucket(400, locked=True)}, "account_public_access_block": None,
         "kms_keys": {ARCHIVE_KEY: key(ARCHIVE_KEY, "Enabled")},
         "log_groups": {"us-east-1": [{"logGroupName": "org-trail", "retentionInDays": 400}]}},
    ],
}
STORAGE_RULES = ["trail-bucket-not-public", "trail-bucket-access-logging", "trail-bucket-delete-protection",
                 "trail-bucket-policy-scoped", "log-retention", "trail-kms-key-usable", "trail-kms-key-rotation"]


@pytest.fixture(scope="module")
def scanned_page(tmp_path_factory: pytest.TempPathFactory) -> str:
    snapshot = tmp_path_factory.mktemp("estate") / "estate.json"
    snapshot.write_text(json.dumps(SNAPSHOT), encoding="utf-8")
    return html.FORMAT.render(run_scan(ScanOptions(snapshot=snapshot, rules=STORAGE_RULES, quiet=True)))


def test_a_scan_shows_the_central_bucket_key_and_group_in_the_log_archive_account(scanned_page: str) -> None:
    view = embedded_data(scanned_page)["views"]["storage"]["trails"]
    labels = [c["label"] for c in view["checks"]]
    assert labels == ["Public", "Access logging", "Delete protection", "Write policy", "Retention", "Key state",
                      "Key rotation"]
    rows = {r["resource"]: r for r in view["rows"]}
    org = rows[ORG_TRAIL]
    assert org["account"] == "111111111111"
    assert org["places"] == {"bucket": {"name": "org-trail-logs", "account_id": "333333333333"},
                             "log_group": {"name": "org-trail", "account_id": "333333333333"},
                             "kms_key": {"name": ARCHIVE_KEY, "account_id": "333333333333"}}
    assert {label: (c["status"], c["fact"]) for label, c in zip(labels, org["cells"], strict=True)} == {
        "Public": ("pass", "not public"), "Access logging": ("pass", "to access-logs/trails/"),
        "Delete protection": ("pass", "Object Lock COMPLIANCE 400 days"),
        "Write policy": ("pass", "no CloudTrail write statement"),
        "Retention": ("pass", "S3 after 400 days; log group 400 days"),
        "Key state": ("pass", "Enabled"), "Key rotation": ("pass", "rotates")}
    member = rows["arn:aws:cloudtrail:eu-west-1:222222222222:trail/prod-audit"]
    assert member["places"]["bucket"] == {"name": HOSTILE_BUCKET, "account_id": "222222222222"}
    shown = {label: (c["status"], c["fact"]) for label, c in zip(labels, member["cells"], strict=True)}
    assert shown["Retention"] == ("fail", "S3 after 90 days")
    assert shown["Key state"] == ("fail", "Disabled")
    assert shown["Delete protection"] == ("fail", "none")
    assert view["rows"][0] is not org and view["rows"][0]["status"] == "fail"  # the failing trail first


def test_chromium_draws_where_the_logs_live_and_a_cell_leads_to_its_finding(tmp_path: Path,
                                                                          scanned_page: str) -> None:
    page = tmp_path / "findings.html"
    page.write_text(scanned_page, encoding="utf-8")
    with Browser(tmp_path / "profile") as browser:
        browser.open(page.as_uri())
        browser.evaluate(DRAWN)
        assert browser.evaluate("Array.from(document.querySelectorAll('nav a')).map((a) => a.textContent)") == [
            "Summary", "Accounts", "Coverage", "Storage", "Findings", "Rules"]
        rows = browser.evaluate("""Array.from(document.querySelectorAll('table.storage tbody tr')).map((r) =>
          Array.from(r.cells).map((c) => c.textContent))""")
        assert rows[0][:3] == ["arn:aws:cloudtrail:eu-west-1:222222222222:trail/prod-audit", "222222222222",
                               f"{HOSTILE_BUCKET}bucket in account 222222222222"]  # markup stays text
        assert rows[1][2:5] == ["org-trail-logsbucket in account 333333333333",
                                "org-trailgroup in account 333333333333",
                                f"{ARCHIVE_KEY}key in account 333333333333"]
        assert browser.evaluate("document.querySelectorAll('table.storage script, table.storage img').length") == 0
        retention = browser.evaluate("""(() => {
          const heads = Array.from(document.querySelectorAll('table.storage th')).map((th) => th.textContent);
          const cell = document.querySelector('table.storage tbody tr').cells[heads.indexOf('Retention')];
          const title = cell.getAttribute('title');
          cell.click();
          return title;
        })()""")
        assert retention.startswith("fail: lifecycle rule 'expire' of bucket " + HOSTILE_BUCKET)
        shown = browser.evaluate("Array.from(document.querySelectorAll('#findings-table tbody tr')).map((r) =>"
                                 " r.cells[2].querySelector('code').textContent + ' ' + r.dataset.status)")
        assert shown == ["log-retention fail"]


def test_the_view_knows_the_storage_rules_of_the_builtin_pack() -> None:
    rules, _ = load_rules([], True)
    storage = {rule.id for rule in rules if rule.id in {r for r, _, _ in (*TRAIL_CHECKS, *STORE_CHECKS)}}
    assert storage == {r for r, _, _ in (*TRAIL_CHECKS, *STORE_CHECKS)}


def test_chromium_says_when_no_scanned_account_describes_a_trails_bucket(tmp_path: Path) -> None:
    """The organization trail's bucket, key and log group in an account that was not scanned: the
    row names each and says no scanned account describes it (its findings are errors)."""
    unscanned = {**SNAPSHOT, "accounts": [SNAPSHOT["accounts"][0]]}
    snapshot = tmp_path / "estate.json"
    snapshot.write_text(json.dumps(unscanned), encoding="utf-8")
    page = tmp_path / "findings.html"
    page.write_text(html.FORMAT.render(run_scan(ScanOptions(snapshot=snapshot, rules=STORAGE_RULES, quiet=True))),
                    encoding="utf-8")
    with Browser(tmp_path / "profile") as browser:
        browser.open(page.as_uri())
        browser.evaluate(DRAWN)
        rows = browser.evaluate("""Array.from(document.querySelectorAll('table.storage tbody tr')).map((r) =>
          Array.from(r.cells).map((c) => c.textContent))""")
    assert rows[0][:5] == [ORG_TRAIL, "111111111111", "org-trail-logsbucket described by no scanned account",
                           f"{ORG_GROUP}group described by no scanned account",
                           f"{ARCHIVE_KEY}key described by no scanned account"]
    assert set(rows[0][5:]) == {"error"}
