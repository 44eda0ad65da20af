"""Live collection against a real moto server over HTTP.

The estate is an organization built through the API: a management account with a
KMS-excluding organization trail, members with a KMS-excluding multi-region trail, SSM
control-channel advanced selectors, a stopped trail, a multi-region trail homed outside
the scanned regions whose selectors were never set, a member with no trail, and a closed
(SUSPENDED) account.

Where moto differs from AWS the tests say so:
- GetEventSelectors returns both selector keys, one of them empty (AWS returns one);
- organization trails are never shown to members, so the dedupe of org trails seen from
  members is tested on :class:`TrailRegistry` directly, and the dedupe over HTTP uses a
  multi-region trail seen from several regions;
- DescribeRegions lists the regions of every partition, as enabled;
- GetInsightSelectors answers no key instead of InsightNotEnabledException (the proxy
  answers the AWS exception where a test needs it);
- DescribeTrails reports HasCustomEventSelectors/HasInsightSelectors as false always.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import re
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from checker.engine.config import ConfigEvaluator
from checker.errors import InputError
from checker.inputs.clients import ClientFactory, ClientSettings
from checker.inputs.live import LiveOptions
from checker.inputs.live.collector import LiveCollection, collect_snapshot, write_snapshot
from checker.inputs.live.trails import DEFAULT_EVENT_SELECTORS, TrailRegistry, selectors_from
from checker.inputs.snapshot import SnapshotFile, parse_snapshot
from checker.policy.loader import builtin_policy_dir, load_policies
from checker.progress import Progress
from tests.helpers.moto_harness import (
    MANAGEMENT_ACCOUNT,
    ApiCall,
    Fault,
    MotoAccounts,
    OrgTrailShadows,
    first_times,
    proxied,
)

REGIONS = ("eu-west-1", "us-east-1", "us-west-2")
MEMBERS = ["prod", "ssm", "dev", "sandbox", "shared", "closed"]
ORG_SELECTORS = [{"Name": "Management events without KMS", "FieldSelectors": [
    {"Field": "eventCategory", "Equals": ["Management"]},
    {"Field": "eventSource", "NotEquals": ["kms.amazonaws.com"]}]}]
PROD_SELECTORS = [{"ReadWriteType": "All", "IncludeManagementEvents": True,
                   "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}],
                   "ExcludeManagementEventSources": ["kms.amazonaws.com"]}]
SSM_SELECTORS = [
    {"Name": "Management events", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]},
    {"Name": "Session Manager", "FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Data"]},
        {"Field": "resources.type", "Equals": ["AWS::SSMMessages::ControlChannel"]}]},
]
BOTH_INSIGHTS = ["ApiCallRateInsight", "ApiErrorRateInsight"]
ORG_KEY = "arn:aws:kms:us-east-1:123456789012:key/org"


@pytest.fixture
def aws(moto_server: str) -> str:
    """The moto endpoint (the shared fixture starts every test with moto emptied)."""
    return moto_server


@pytest.fixture
def estate(aws: str) -> dict[str, str]:
    """Build the organization; returns account ids by name plus ``org_id``."""
    moto = MotoAccounts()
    ids = moto.create_organization(MEMBERS)
    org = moto.client(MANAGEMENT_ACCOUNT, "organizations")
    org.close_account(AccountId=ids["closed"])
    moto.create_trail(MANAGEMENT_ACCOUNT, "us-east-1", "org-trail", IsMultiRegionTrail=True,
                      IsOrganizationTrail=True, EnableLogFileValidation=True, KmsKeyId=ORG_KEY,
                      selectors={"AdvancedEventSelectors": ORG_SELECTORS}, insights=BOTH_INSIGHTS)
    moto.create_trail(ids["prod"], "eu-west-1", "prod-trail", IsMultiRegionTrail=True,
                      EnableLogFileValidation=True, selectors={"EventSelectors": PROD_SELECTORS})
    moto.create_trail(ids["ssm"], "us-east-1", "ssm-trail", selectors={"AdvancedEventSelectors": SSM_SELECTORS})
    moto.create_trail(ids["dev"], "us-west-2", "dev-trail")
    moto.client(ids["dev"], "cloudtrail", "us-west-2").stop_logging(Name="dev-trail")
    moto.create_trail(ids["shared"], "ap-northeast-1", "shared-global", IsMultiRegionTrail=True)
    moto.create_trail(ids["shared"], "ap-northeast-1", "shared-tokyo")
    return {**ids, "org_id": org.describe_organization()["Organization"]["Id"]}


def arn(account: str, region: str, name: str) -> str:
    return f"arn:aws:cloudtrail:{region}:{account}:trail/{name}"


def hand_written(ids: dict[str, str]) -> dict[str, Any]:
    """The estate as a user would write the snapshot by hand."""
    delivered = {"IsLogging": True, "LatestDeliveryTime": "2026-01-01T00:00:00Z"}
    stopped = {"IsLogging": False, "LatestDeliveryTime": "2026-01-01T00:00:00Z"}

    def account(name: str, trails: list[dict[str, Any]]) -> dict[str, Any]:
        return {"account_id": ids[name], "name": name, "regions": list(REGIONS), "trails": trails,
                "errors": []}

    return {
        "format": "trailcheck.snapshot/v1",
        "collected_at": "2026-01-01T00:05:00Z",
        "partition": "aws",
        "organization": {"id": ids["org_id"], "management_account_id": MANAGEMENT_ACCOUNT},
        "accounts": sorted([
            {"account_id": MANAGEMENT_ACCOUNT, "name": "master", "regions": list(REGIONS), "errors": [],
             "trails": [{
                 "Name": "org-trail", "S3BucketName": f"org-trail-us-east-1-{MANAGEMENT_ACCOUNT}",
                 "IncludeGlobalServiceEvents": True, "IsMultiRegionTrail": True, "HomeRegion": "us-east-1",
                 "TrailARN": arn(MANAGEMENT_ACCOUNT, "us-east-1", "org-trail"),
                 "LogFileValidationEnabled": True, "IsOrganizationTrail": True,
                 "KmsKeyId": ORG_KEY,
                 "Status": delivered, "AdvancedEventSelectors": ORG_SELECTORS,
                 "InsightSelectors": [{"InsightType": i} for i in BOTH_INSIGHTS]}]},
            account("prod", [{
                "Name": "prod-trail", "S3BucketName": f"prod-trail-eu-west-1-{ids['prod']}",
                "IncludeGlobalServiceEvents": True, "IsMultiRegionTrail": True, "HomeRegion": "eu-west-1",
                "TrailARN": arn(ids["prod"], "eu-west-1", "prod-trail"),
                "LogFileValidationEnabled": True, "IsOrganizationTrail": False,
                "Status": delivered, "EventSelectors": PROD_SELECTORS, "InsightSelectors": []}]),
            account("ssm", [{
                "Name": "ssm-trail", "S3BucketName": f"ssm-trail-us-east-1-{ids['ssm']}",
                "IncludeGlobalServiceEvents": True, "IsMultiRegionTrail": False, "HomeRegion": "us-east-1",
                "TrailARN": arn(ids["ssm"], "us-east-1", "ssm-trail"),
                "LogFileValidationEnabled": False, "IsOrganizationTrail": False,
                "Status": delivered, "AdvancedEventSelectors": SSM_SELECTORS, "InsightSelectors": []}]),
            account("dev", [{
                "Name": "dev-trail", "S3BucketName": f"dev-trail-us-west-2-{ids['dev']}",
                "IncludeGlobalServiceEvents": True, "IsMultiRegionTrail": False, "HomeRegion": "us-west-2",
                "TrailARN": arn(ids["dev"], "us-west-2", "dev-trail"),
                "LogFileValidationEnabled": False, "IsOrganizationTrail": False,
                "Status": stopped, "EventSelectors": DEFAULT_EVENT_SELECTORS, "InsightSelectors": []}]),
            account("sandbox", []),
            account("shared", [{
                "Name": "shared-global", "S3BucketName": f"shared-global-ap-northeast-1-{ids['shared']}",
                "IncludeGlobalServiceEvents": True, "IsMultiRegionTrail": True, "HomeRegion": "ap-northeast-1",
                "TrailARN": arn(ids["shared"], "ap-northeast-1", "shared-global"),
                "LogFileValidationEnabled": False, "IsOrganizationTrail": False,
                "Status": delivered, "EventSelectors": DEFAULT_EVENT_SELECTORS, "InsightSelectors": []}]),
        ], key=lambda a: str(a["account_id"])),
    }


def normalised(document: dict[str, Any]) -> dict[str, Any]:
    """Drop what differs between two collections of the same estate (times) and moto's
    always-false Has* flags; keep everything else, in order."""
    result = copy.deepcopy(document)
    result.pop("collected_at", None)
    for account in result["accounts"]:
        for trail in account["trails"]:
            trail.pop("HasCustomEventSelectors", None)
            trail.pop("HasInsightSelectors", None)
            if "Status" in trail:
                trail["Status"] = {"IsLogging": trail["Status"]["IsLogging"]}
    return result


def verdicts(document: dict[str, Any], source: str) -> dict[tuple[str, str, str, str], str]:
    """Finding status by (rule, account, region, resource) under the built-in pack."""
    rules, _ = load_policies([builtin_policy_dir()])
    findings = ConfigEvaluator(parse_snapshot(document, source)).evaluate(rules)
    return {(f.rule_id, f.account_id or "", f.region or "", f.resource or ""): f.status for f in findings}


def collect(**options: Any) -> dict[str, Any]:
    return collect_snapshot(LiveOptions(**{"quiet": True, "workers": 4, **options}))


def org_scan(**options: Any) -> dict[str, Any]:
    return collect(org=True, regions=REGIONS, **options)


def by_name(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["name"]: a for a in document["accounts"]}


# -- what is collected ---------------------------------------------------------------------

def test_org_collection_matches_the_hand_written_snapshot(estate: dict[str, str]) -> None:
    collected = org_scan()
    parse_snapshot(collected, "collected")  # schema-valid trailcheck.snapshot/v1
    assert normalised(collected) == normalised(hand_written(estate))


def test_live_findings_equal_the_findings_of_the_hand_written_snapshot(estate: dict[str, str]) -> None:
    live = verdicts(org_scan(), "live")
    assert live == verdicts(hand_written(estate), "hand-written")
    assert live[("trail-logging", estate["dev"], "us-west-2", arn(estate["dev"], "us-west-2", "dev-trail"))] \
        == "fail"
    assert live[("cloudtrail-enabled", estate["sandbox"], "", "")] == "pass"  # the organization trail


def test_scanning_the_collected_file_gives_the_live_findings(estate: dict[str, str], tmp_path: Path) -> None:
    """A live collection and the file it was written to are two sources of one snapshot."""
    path = tmp_path / "snapshot.json"
    collected = org_scan()
    write_snapshot(collected, path)
    from_file = SnapshotFile(path).load()
    assert (SnapshotFile(path).describe(), from_file.source) == (str(path), str(path))
    assert from_file.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    rules, _ = load_policies([builtin_policy_dir()])
    assert [f.to_dict() for f in ConfigEvaluator(from_file).evaluate(rules)] == \
        [f.to_dict() for f in ConfigEvaluator(parse_snapshot(collected, "live")).evaluate(rules)]

    live = LiveCollection(LiveOptions(org=True, regions=REGIONS, quiet=True, workers=4))
    loaded = live.load()
    assert (live.describe(), loaded.source) == ("live", "live")
    assert loaded.sha256 is not None and len(loaded.sha256) == 64
    assert loaded.accounts == from_file.accounts


def test_output_is_deterministic(estate: dict[str, str]) -> None:
    first, second = org_scan(workers=1), org_scan(workers=16)
    assert json.dumps(normalised(first)) == json.dumps(normalised(second))
    assert [a["account_id"] for a in first["accounts"]] == sorted(a["account_id"] for a in first["accounts"])


def test_minimal_calls_one_describe_per_account_region_three_per_unique_trail(
        estate: dict[str, str], aws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with proxied(monkeypatch, aws) as proxy:
        document = org_scan()
    accounts, unique_trails = 6, 5  # ACTIVE accounts; org, prod, ssm, dev, shared-global
    assert proxy.calls == Counter({
        "GetCallerIdentity": 1, "DescribeOrganization": 1, "ListAccounts": 1,
        "AssumeRole": accounts - 1, "DescribeTrails": accounts * len(REGIONS),
        "GetTrailStatus": unique_trails, "GetEventSelectors": unique_trails,
        "GetInsightSelectors": unique_trails})
    shared = by_name(document)["shared"]
    assert [t["Name"] for t in shared["trails"]] == ["shared-global"]  # seen in 3 regions, listed once
    detail_regions = {c.region for c in proxy.log if c.operation == "GetTrailStatus" and "shared" in c.body}
    assert detail_regions == {"ap-northeast-1"}  # its home region, outside the scanned ones


def test_members_are_entered_through_the_named_role_with_the_external_id(
        estate: dict[str, str], aws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with proxied(monkeypatch, aws) as proxy:
        org_scan(role_name="TrailcheckAudit", external_id="ext-42", accounts=(estate["prod"],))
    [assume] = [parse_qs(c.body) for c in proxy.log if c.operation == "AssumeRole"]
    assert assume["RoleArn"] == [f"arn:aws:iam::{estate['prod']}:role/TrailcheckAudit"]
    assert assume["ExternalId"] == ["ext-42"] and assume["RoleSessionName"] == ["trailcheck"]


def test_list_accounts_is_paginated_and_only_active_accounts_are_scanned(
        aws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    names = [f"member{i:02d}" for i in range(23)]
    moto = MotoAccounts()
    ids = moto.create_organization(names)
    moto.client(MANAGEMENT_ACCOUNT, "organizations").close_account(AccountId=ids["member07"])
    with proxied(monkeypatch, aws) as proxy:
        document = collect(org=True, regions=("us-east-1",))
    assert proxy.calls["ListAccounts"] == 2  # 24 accounts, 20 per page
    scanned = {a["account_id"] for a in document["accounts"]}
    assert scanned == set(ids.values()) - {ids["member07"]}
    assert proxy.calls["AssumeRole"] == len(scanned) - 1


def test_default_regions_are_the_enabled_ones(estate: dict[str, str], aws: str,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    with proxied(monkeypatch, aws) as proxy:
        document = collect()
    [account] = document["accounts"]
    assert "organization" not in document  # a single-account scan
    assert account["account_id"] == MANAGEMENT_ACCOUNT
    assert {"us-east-1", "eu-west-1", "ap-northeast-1"} <= set(account["regions"])
    assert not {"ap-east-1", "me-south-1"} & set(account["regions"])  # not opted in
    assert proxy.calls["DescribeRegions"] == 1
    assert proxy.calls["DescribeTrails"] == len(account["regions"])
    assert [t["Name"] for t in account["trails"]] == ["org-trail"]


def test_accounts_restricts_the_set_and_reports_accounts_that_cannot_be_scanned(
        estate: dict[str, str], aws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    wanted = (estate["prod"], estate["closed"], "999999999999")
    with proxied(monkeypatch, aws) as proxy:
        document = org_scan(accounts=wanted)
    assert [a["account_id"] for a in document["accounts"]] == sorted(wanted)
    accounts = {a["account_id"]: a for a in document["accounts"]}
    assert [t["Name"] for t in accounts[estate["prod"]]["trails"]] == ["prod-trail"]
    assert [(e["code"], e["message"]) for e in accounts[estate["closed"]]["errors"]] == [
        ("AccountNotActive", "account state is SUSPENDED, not ACTIVE")]
    assert accounts["999999999999"]["errors"][0]["code"] == "AccountNotInOrganization"
    assert proxy.calls["AssumeRole"] == 1


# -- organization trails as AWS shows them to members (moto does not: the proxy plays it) ---

def org_trail_shadows() -> OrgTrailShadows:
    listed = MotoAccounts().client(MANAGEMENT_ACCOUNT, "cloudtrail").describe_trails()["trailList"]
    return OrgTrailShadows(next(t for t in listed if t["Name"] == "org-trail"))


def test_an_org_trail_shown_to_every_member_is_read_once_and_listed_under_its_owner(
        estate: dict[str, str], aws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with proxied(monkeypatch, aws, editor=org_trail_shadows()) as proxy:
        document = org_scan()
    assert normalised(document) == normalised(hand_written(estate))
    assert proxy.count("GetTrailStatus", "GetEventSelectors", "GetInsightSelectors") == 3 * 5


def test_a_member_scanned_alone_is_covered_by_the_org_trail_it_sees(
        estate: dict[str, str], aws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    shadows = org_trail_shadows()
    member = MotoAccounts().credentials(estate["sandbox"])
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", member["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", member["SecretAccessKey"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", member["SessionToken"])
    with proxied(monkeypatch, aws, editor=shadows) as proxy:
        document = collect(regions=REGIONS)
    [account] = document["accounts"]
    assert account["account_id"] == estate["sandbox"] and account["errors"] == []
    [org_trail] = account["trails"]
    assert org_trail["TrailARN"] == arn(MANAGEMENT_ACCOUNT, "us-east-1", "org-trail")
    assert org_trail["AdvancedEventSelectors"] == ORG_SELECTORS and org_trail["Status"]["IsLogging"]
    assert document["organization"] == {"id": estate["org_id"], "management_account_id": MANAGEMENT_ACCOUNT}
    assert proxy.count("GetTrailStatus", "GetEventSelectors", "GetInsightSelectors") == 3
    assert verdicts(document, "live")[("cloudtrail-enabled", estate["sandbox"], "", "")] == "pass"


def test_an_org_trail_whose_owner_is_not_scanned_is_listed_under_the_lowest_member(
        estate: dict[str, str], aws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    wanted = (estate["prod"], estate["sandbox"])
    with proxied(monkeypatch, aws, editor=org_trail_shadows()) as proxy:
        document = org_scan(accounts=wanted)
    trails = {a["account_id"]: sorted(t["Name"] for t in a["trails"]) for a in document["accounts"]}
    lowest, highest = sorted(wanted)
    assert trails[lowest] == sorted(["org-trail"] + (["prod-trail"] if lowest == estate["prod"] else []))
    assert "org-trail" not in trails[highest]
    assert proxy.count("GetTrailStatus") == 2  # org-trail and prod-trail, once each


# -- faults --------------------------------------------------------------------------------

def test_throttling_is_retried_and_the_scan_completes(estate: dict[str, str], aws: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    expected = normalised(org_scan())
    throttle = Fault.json_error("ThrottlingException", "Rate exceeded")
    rule = first_times(4, throttle, lambda c: c.operation in {"DescribeTrails", "GetEventSelectors"})
    with proxied(monkeypatch, aws, rule) as proxy:
        document = org_scan()
    assert sum(proxy.faults.values()) == 4
    assert normalised(document) == expected
    assert all(a["errors"] == [] for a in document["accounts"])


def test_denied_member_and_denied_region_become_errors_and_the_rest_is_collected(
        estate: dict[str, str], aws: str, monkeypatch: pytest.MonkeyPatch) -> None:
    dev_role = f"arn%3Aaws%3Aiam%3A%3A{estate['dev']}%3Arole"

    def deny(call: ApiCall) -> Fault | None:
        if call.operation == "AssumeRole" and dev_role in call.body:
            return Fault.query_error("AccessDenied", "not authorized to perform sts:AssumeRole")
        if call.operation == "DescribeTrails" and call.access_key == "testing" and call.region == "eu-west-1":
            return Fault.json_error("AccessDeniedException", "explicit deny in a service control policy")
        return None

    with proxied(monkeypatch, aws, deny):
        document = org_scan()
    accounts = by_name(document)
    dev, management = accounts["dev"], accounts["master"]
    assert dev["regions"] == list(REGIONS) and dev["trails"] == []
    assert [(e["region"], e["operation"], e["code"]) for e in dev["errors"]] == [(None, "AssumeRole", "AccessDenied")]
    assert [(e["region"], e["operation"], e["code"]) for e in management["errors"]] == [
        ("eu-west-1", "DescribeTrails", "AccessDeniedException")]
    assert [t["Name"] for t in management["trails"]] == ["org-trail"]  # seen from us-east-1
    assert [t["Name"] for t in accounts["prod"]["trails"]] == ["prod-trail"]
    live = verdicts(document, "live")
    assert live[("cloudtrail-enabled", estate["dev"], "", "")] == "pass"  # the org trail covers it anyway
    assert live[("trail-logging", estate["prod"], "eu-west-1",
                 arn(estate["prod"], "eu-west-1", "prod-trail"))] == "pass"


def test_a_failed_trail_detail_is_left_unknown_with_an_error(estate: dict[str, str], aws: str,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    prod_arn = arn(estate["prod"], "eu-west-1", "prod-trail")
    ssm_arn = arn(estate["ssm"], "us-east-1", "ssm-trail")

    def faults(call: ApiCall) -> Fault | None:
        if call.operation == "GetEventSelectors" and prod_arn in call.body:
            return Fault.json_error("AccessDeniedException", "no cloudtrail:GetEventSelectors")
        if call.operation == "GetInsightSelectors" and ssm_arn in call.body:
            return Fault.json_error("InsightNotEnabledException", "Insights not enabled")  # as AWS answers
        return None

    with proxied(monkeypatch, aws, faults):
        document = org_scan()
    accounts = by_name(document)
    [prod_trail] = accounts["prod"]["trails"]
    assert "EventSelectors" not in prod_trail and "AdvancedEventSelectors" not in prod_trail
    assert prod_trail["Status"]["IsLogging"] is True
    assert accounts["prod"]["errors"] == [{
        "region": "eu-west-1", "operation": "GetEventSelectors", "code": "AccessDeniedException",
        "message": "no cloudtrail:GetEventSelectors", "trail_arn": prod_arn}]
    assert accounts["ssm"]["trails"][0]["InsightSelectors"] == []
    assert accounts["ssm"]["errors"] == []
    live = verdicts(document, "live")
    assert live[("kms-exclusion-gap", estate["prod"], "eu-west-1", "")] != "fail"


def test_an_unreachable_region_is_an_error_per_account(estate: dict[str, str], aws: str,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    def unreachable(call: ApiCall) -> Fault | None:
        return Fault.unreachable() if call.region == "us-west-2" else None

    with proxied(monkeypatch, aws, unreachable):
        document = org_scan(max_attempts=2)
    for account in document["accounts"]:
        assert account["regions"] == list(REGIONS)
        assert [(e["region"], e["operation"]) for e in account["errors"]] == [("us-west-2", "DescribeTrails")]
    assert by_name(document)["dev"]["trails"] == []  # its only trail lives in us-west-2


# -- options, credentials, progress --------------------------------------------------------

@pytest.mark.parametrize(("options", "where"), [
    ({"workers": 0}, "--workers"),
    ({"org": True, "accounts": ("12345",)}, "--accounts"),
    ({"accounts": ("111111111111", "222222222222")}, "--accounts"),
    ({"regions": ()}, "--regions"),
    ({"regions": ("us-east-l",)}, "--regions"),
])
def test_bad_options_are_input_errors(options: dict[str, Any], where: str) -> None:
    with pytest.raises(InputError) as raised:
        collect_snapshot(LiveOptions(**options))
    assert raised.value.where == where


def test_missing_credentials_and_unknown_profile_are_input_errors(
        aws: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(InputError, match="no credentials found"):
        collect()
    with pytest.raises(InputError) as raised:
        collect(profile="nowhere")
    assert raised.value.where == "--profile"


def test_every_thread_has_its_own_session_of_the_profile_and_clients_are_shared(
        aws: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """boto3 Sessions are not thread-safe, clients are: a Session per worker thread, each
    honouring --profile, and one client per (service, region, account) whichever thread
    asked first."""
    (tmp_path / "config").write_text("[profile audit]\nregion = eu-west-1\n")
    (tmp_path / "credentials").write_text("[audit]\naws_access_key_id = audit-key\n"
                                          "aws_secret_access_key = audit-secret\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    factory = ClientFactory(ClientSettings(profile="audit"))
    assert factory.global_region == "eu-west-1"
    assert factory.caller_credentials.access_key == "audit-key"

    def in_thread(_: int) -> tuple[Any, Any]:
        client = factory.client("cloudtrail", "us-west-2", factory.caller_credentials)
        return factory.session(), client

    with ThreadPoolExecutor(max_workers=4) as pool:
        barrier = threading.Barrier(4)  # every thread alive at once, so none is reused
        results = list(pool.map(lambda i: (barrier.wait(), in_thread(i))[1], range(4)))
    sessions = {id(session) for session, _ in results}
    assert len(sessions) == 4 and id(factory.session()) not in sessions
    assert all(session.profile_name == "audit" for session, _ in results)
    assert len({id(client) for _, client in results}) == 1
    assert results[0][1].describe_trails()["trailList"] == []

def test_progress_goes_to_stderr_unless_quiet(estate: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    collect_snapshot(LiveOptions(org=True, regions=REGIONS))
    captured = capsys.readouterr()
    assert captured.out == ""
    assert re.search(r"^collect 6/6 accounts calls [0-9]+ errors 0 ", captured.err, re.MULTILINE)
    stream = io.StringIO()
    collect_snapshot(LiveOptions(org=True, regions=REGIONS), Progress(0, "mine", stream, quiet=True))
    assert stream.getvalue() == "" and capsys.readouterr().err == ""


def test_write_snapshot_to_stdout_and_to_an_unwritable_place(capsys: pytest.CaptureFixture[str],
                                                             tmp_path: Path) -> None:
    empty = {"format": "trailcheck.snapshot/v1", "accounts": []}
    write_snapshot(empty, "-")
    assert json.loads(capsys.readouterr().out) == empty
    with pytest.raises(InputError) as raised:
        write_snapshot(empty, tmp_path / "missing" / "snapshot.json")
    assert raised.value.where == str(tmp_path / "missing" / "snapshot.json")


# -- decisions moto cannot show ------------------------------------------------------------

def trail(owner: str, name: str, organization: bool = False) -> dict[str, Any]:
    return {"Name": name, "TrailARN": arn(owner, "us-east-1", name), "HomeRegion": "us-east-1",
            "IsMultiRegionTrail": True, "IsOrganizationTrail": organization}


def test_registry_reads_an_org_trail_seen_from_members_once_by_its_owner() -> None:
    registry = TrailRegistry()
    org_trail = trail("111111111111", "org", organization=True)
    assert registry.seen("222222222222", org_trail) is False  # a member's shadow copy
    assert registry.seen("111111111111", org_trail) is True
    assert registry.seen("111111111111", org_trail) is False  # the same trail from another region
    assert registry.unclaimed({"111111111111", "222222222222"}) == []


def test_registry_lists_an_org_trail_whose_owner_is_not_scanned_under_the_lowest_member() -> None:
    registry = TrailRegistry()
    org_trail = trail("111111111111", "org", organization=True)
    for member in ("333333333333", "222222222222"):
        registry.seen(member, org_trail)
    [placement] = registry.unclaimed({"222222222222", "333333333333"})
    assert (placement.listed_under, placement.read_by) == ("222222222222", "222222222222")
    assert registry.unclaimed({"222222222222", "333333333333"}) == []


def test_registry_lists_an_org_trail_its_owner_missed_under_the_owner() -> None:
    registry = TrailRegistry()
    registry.seen("222222222222", trail("111111111111", "org", organization=True))
    [placement] = registry.unclaimed({"111111111111", "222222222222"})
    assert (placement.listed_under, placement.read_by) == ("111111111111", "222222222222")


@pytest.mark.parametrize(("response", "recorded"), [
    ({"EventSelectors": PROD_SELECTORS}, {"EventSelectors": PROD_SELECTORS}),
    ({"AdvancedEventSelectors": SSM_SELECTORS}, {"AdvancedEventSelectors": SSM_SELECTORS}),
    ({"EventSelectors": [], "AdvancedEventSelectors": SSM_SELECTORS}, {"AdvancedEventSelectors": SSM_SELECTORS}),
    ({"EventSelectors": [], "AdvancedEventSelectors": []}, {"EventSelectors": DEFAULT_EVENT_SELECTORS}),
    ({"TrailARN": "arn"}, {"EventSelectors": DEFAULT_EVENT_SELECTORS}),
])
def test_recorded_selectors(response: dict[str, Any], recorded: dict[str, Any]) -> None:
    assert selectors_from(response) == recorded


def test_both_selector_kinds_non_empty_stay_unknown() -> None:
    failure = selectors_from({"EventSelectors": PROD_SELECTORS, "AdvancedEventSelectors": SSM_SELECTORS})
    assert not isinstance(failure, dict) and failure.code == "AmbiguousEventSelectors"
