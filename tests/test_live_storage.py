"""Live collection of storage data (buckets, keys, log groups, event data stores), driven by the
rules in effect, against a real moto server.

The estate (an organization, regions us-east-1 and eu-west-1):

* the management account owns a multi-Region organization trail and a single-Region trail,
  both delivering to the bucket ``org-trail-logs`` of the member ``log-archive`` and encrypted
  with one customer key of the management account (rotation on); the organization trail also
  sends events to the log group ``org-trail-logs`` (kept 400 days) of the management account;
* ``log-archive`` owns ``org-trail-logs``: Object Lock (COMPLIANCE, 400 days), versioning,
  ``BucketOwnerEnforced``, a public access block, access logging to ``access-logs``, a
  400-day lifecycle under ``AWSLogs/``, a bucket policy letting CloudTrail write with
  ``aws:SourceArn``; and the account's own public access block;
* ``prod`` has a multi-Region trail in eu-west-1 delivering to its own ``prod-trail-logs`` in
  eu-west-1 (no policy, no block, a 90-day lifecycle), with a disabled key of its own and the
  log group ``prod-logs`` (no retention);
* ``dev`` has a trail delivering to ``stray-logs``, a bucket of an account outside the scan.

Where moto differs from AWS the tests say so: it answers S3 calls about another account's
bucket (AWS would deny them), so who read a bucket is checked by the access key of each call;
its ListBuckets never gives ``BucketRegion``, so each bucket is located with GetBucketLocation;
its Object Lock default retention carries ``Years: 0`` beside ``Days`` (AWS gives one of the two,
and the snapshot schema refuses a zero), so the tests that judge the snapshot read S3 through a
proxy that drops it (:class:`OneRetentionUnit`); it has no CloudTrail Lake, so
ListEventDataStores and GetEventDataStore are answered by a botocore Stubber.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, get_args

import boto3
import botocore.awsrequest
import pytest
from botocore.stub import Stubber

from checker.cli import main
from checker.engine.config import ConfigEvaluator
from checker.inputs.clients import ClientFactory, Credentials
from checker.inputs.live import LiveOptions
from checker.inputs.live.collector import collect_snapshot
from checker.inputs.snapshot import parse_snapshot
from checker.plan.reads import Buckets, KeySettings, LogGroupSettings, PlacedRead
from checker.plan.storage import STORAGE_NEEDS, storage_needs, storage_plan
from checker.policy.model import Rule, StorageCheck
from checker.scan import load_rules
from checker.storage_lookup import Unlocated, trail_bucket
from tests.helpers.moto_harness import (
    MANAGEMENT_ACCOUNT,
    ApiCall,
    Fault,
    MotoAccounts,
    OrgTrailShadows,
    bucket_of,
    proxied,
)

REGIONS = ("eu-west-1", "us-east-1")
STORAGE_RULES = ("trail-bucket-not-public", "trail-bucket-access-logging", "trail-bucket-delete-protection",
                 "trail-bucket-policy-scoped", "log-retention", "trail-kms-key-usable", "trail-kms-key-rotation")
BUCKET_READS = ("GetBucketPolicyStatus", "GetPublicAccessBlock", "GetBucketOwnershipControls", "GetBucketAcl",
                "GetBucketPolicy", "GetBucketLogging", "GetBucketVersioning", "GetObjectLockConfiguration",
                "GetBucketLifecycleConfiguration")
STORAGE_OPERATIONS = ("ListBuckets", "GetBucketLocation", *BUCKET_READS, "GetAccountPublicAccessBlock",
                      "DescribeKey", "GetKeyRotationStatus", "DescribeLogGroups", "ListEventDataStores",
                      "GetEventDataStore")
BLOCK_ALL = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
             "RestrictPublicBuckets": True}
OUTSIDER = "999999999999"


@pytest.fixture
def estate(moto_server: str) -> dict[str, str]:
    """Build the organization of the module docstring; returns account ids by name and the keys."""
    moto = MotoAccounts()
    ids = moto.create_organization(["log-archive", "prod", "dev"])
    management, archive, prod, dev = MANAGEMENT_ACCOUNT, ids["log-archive"], ids["prod"], ids["dev"]
    org_trail = f"arn:aws:cloudtrail:us-east-1:{management}:trail/org-trail"

    s3 = moto.client(archive, "s3")
    s3.create_bucket(Bucket="access-logs")
    s3.put_bucket_acl(Bucket="access-logs", ACL="log-delivery-write")
    s3.create_bucket(Bucket="org-trail-logs", ObjectLockEnabledForBucket=True)
    s3.put_object_lock_configuration(Bucket="org-trail-logs", ObjectLockConfiguration={
        "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 400}}})
    s3.put_bucket_ownership_controls(Bucket="org-trail-logs",
                                     OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    s3.put_public_access_block(Bucket="org-trail-logs", PublicAccessBlockConfiguration=BLOCK_ALL)
    s3.put_bucket_logging(Bucket="org-trail-logs", BucketLoggingStatus={
        "LoggingEnabled": {"TargetBucket": "access-logs", "TargetPrefix": "org-trail-logs/"}})
    s3.put_bucket_lifecycle_configuration(Bucket="org-trail-logs", LifecycleConfiguration={"Rules": [
        {"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": "AWSLogs/"}, "Expiration": {"Days": 400}}]})
    s3.put_bucket_policy(Bucket="org-trail-logs", Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "CloudTrailWrite", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
        "Action": "s3:PutObject", "Resource": "arn:aws:s3:::org-trail-logs/AWSLogs/*",
        "Condition": {"StringEquals": {"aws:SourceArn": org_trail}}}]}))
    role = moto.credentials(archive)  # S3 Control through the factory: see test_s3_control_reaches_...
    ClientFactory().client("s3control", "us-east-1", Credentials(
        role["AccessKeyId"], role["SecretAccessKey"], role["SessionToken"])).put_public_access_block(
        AccountId=archive, PublicAccessBlockConfiguration=BLOCK_ALL)

    kms = moto.client(management, "kms")
    org_key = kms.create_key(Description="trail logs")["KeyMetadata"]["Arn"]
    kms.enable_key_rotation(KeyId=org_key.rsplit("/", 1)[1])
    logs = moto.client(management, "logs")
    logs.create_log_group(logGroupName="org-trail-logs")
    logs.put_retention_policy(logGroupName="org-trail-logs", retentionInDays=400)
    cloudtrail = moto.client(management, "cloudtrail")
    cloudtrail.create_trail(Name="org-trail", S3BucketName="org-trail-logs", IsMultiRegionTrail=True,
                            IsOrganizationTrail=True, KmsKeyId=org_key,
                            CloudWatchLogsLogGroupArn=f"arn:aws:logs:us-east-1:{management}:log-group:org-trail-logs:*",
                            CloudWatchLogsRoleArn=f"arn:aws:iam::{management}:role/trail-to-logs")
    cloudtrail.create_trail(Name="audit", S3BucketName="org-trail-logs", KmsKeyId=org_key)

    prod_s3 = moto.client(prod, "s3", "eu-west-1")
    prod_s3.create_bucket(Bucket="prod-trail-logs", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    prod_s3.put_bucket_lifecycle_configuration(Bucket="prod-trail-logs", LifecycleConfiguration={"Rules": [
        {"ID": "short", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 90}}]})
    prod_kms = moto.client(prod, "kms", "eu-west-1")
    created = prod_kms.create_key()["KeyMetadata"]
    prod_key = created["Arn"]
    prod_kms.disable_key(KeyId=created["KeyId"])  # moto: by key id (by ARN it fails)
    moto.client(prod, "logs", "eu-west-1").create_log_group(logGroupName="prod-logs")
    moto.client(prod, "cloudtrail", "eu-west-1").create_trail(
        Name="prod-trail", S3BucketName="prod-trail-logs", IsMultiRegionTrail=True, KmsKeyId=prod_key,
        CloudWatchLogsLogGroupArn=f"arn:aws:logs:eu-west-1:{prod}:log-group:prod-logs:*",
        CloudWatchLogsRoleArn=f"arn:aws:iam::{prod}:role/trail-to-logs")

    moto.client(OUTSIDER, "s3").create_bucket(Bucket="stray-logs")
    moto.client(dev, "cloudtrail").create_trail(Name="dev-trail", S3BucketName="stray-logs")
    for account, region, name in ((management, "us-east-1", "org-trail"), (management, "us-east-1", "audit"),
                                  (prod, "eu-west-1", "prod-trail"), (dev, "us-east-1", "dev-trail")):
        moto.client(account, "cloudtrail", region).start_logging(Name=name)
    return {"management": management, **ids, "org_key": org_key, "prod_key": prod_key}


class OneRetentionUnit:
    """Answers GetObjectLockConfiguration as AWS does: a default retention in Days or in Years."""

    def request_headers(self, call: ApiCall, headers: dict[str, str]) -> dict[str, str]:
        return headers

    def response_body(self, call: ApiCall, payload: bytes) -> bytes:
        if call.operation != "GetObjectLockConfiguration":
            return payload
        return payload.replace(b"<Years>0</Years>", b"")


def rules(*ids: str) -> list[Rule]:
    selected, _ = load_rules([], True, ids)
    return selected


def collect(selected: Sequence[Rule], **options: Any) -> dict[str, Any]:
    return collect_snapshot(LiveOptions(**{"quiet": True, "workers": 4, "org": True, "regions": REGIONS,
                                           **options}), rules=selected)


def account(document: dict[str, Any], account_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(a for a in document["accounts"] if a["account_id"] == account_id)
    return found


def storage_calls(log: Sequence[ApiCall]) -> Counter[str]:
    return Counter(call.operation for call in log if call.operation in STORAGE_OPERATIONS)


def account_of_key(access_key: str) -> str:
    """The account moto maps an access key to (it does not check signatures)."""
    sts = boto3.client("sts", region_name="us-east-1", aws_access_key_id=access_key,
                       aws_secret_access_key="unused", aws_session_token="unused")
    found: str = sts.get_caller_identity()["Account"]
    return found


def verdicts(document: dict[str, Any], selected: Sequence[Rule]) -> dict[tuple[str, str], str]:
    findings = ConfigEvaluator(parse_snapshot(document, "live")).evaluate(selected)
    return {(f.rule_id, f.resource or ""): f.status for f in findings}


# -- what is read, and where ----------------------------------------------------------------------

def test_each_resource_is_read_where_it_lives_with_the_none_answers(estate: dict[str, str]) -> None:
    document = collect(rules("cloudtrail-enabled"), with_families=("storage",))
    assert document["contents"] == ["trails", "storage"]
    archive = account(document, estate["log-archive"])
    central = archive["buckets"]["org-trail-logs"]
    assert central["Region"] == "us-east-1"
    assert central["ObjectLock"]["Rule"]["DefaultRetention"]["Days"] == 400
    assert central["Lifecycle"]["Rules"][0]["Expiration"] == {"Days": 400}
    assert central["Logging"] == {"LoggingEnabled": {"TargetBucket": "access-logs", "TargetPrefix": "org-trail-logs/"}}
    assert central["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    assert central["PublicAccessBlock"] == BLOCK_ALL and central["PolicyStatus"] == {"IsPublic": False}
    assert central["Versioning"]["Status"] == "Enabled"
    assert json.loads(central["Policy"])["Statement"][0]["Sid"] == "CloudTrailWrite"
    assert list(archive["buckets"]) == ["org-trail-logs"]  # access-logs is no trail's bucket
    assert archive["account_public_access_block"] == BLOCK_ALL

    prod = account(document, estate["prod"])
    member = prod["buckets"]["prod-trail-logs"]
    assert member["Region"] == "eu-west-1"
    assert {key: member[key] for key in ("Policy", "PolicyStatus", "PublicAccessBlock", "OwnershipControls",
                                         "ObjectLock", "Logging")} == {
        "Policy": None, "PolicyStatus": None, "PublicAccessBlock": None, "OwnershipControls": None,
        "ObjectLock": None, "Logging": {}}  # S3's "not found" answers, written as "none"
    assert member["Lifecycle"]["Rules"][0]["Expiration"] == {"Days": 90}
    assert prod["account_public_access_block"] is None
    assert prod["kms_keys"][estate["prod_key"]]["KeyState"] == "Disabled"
    assert [(g["logGroupName"], "retentionInDays" in g) for g in prod["log_groups"]["eu-west-1"]] == [
        ("prod-logs", False)]

    management = account(document, estate["management"])
    key = management["kms_keys"][estate["org_key"]]
    assert (key["KeyManager"], key["KeyState"], key["KeyRotationEnabled"]) == ("CUSTOMER", "Enabled", True)
    assert [(g["logGroupName"], g["retentionInDays"]) for g in management["log_groups"]["us-east-1"]] == [
        ("org-trail-logs", 400)]
    assert "buckets" not in management and "event_data_stores" not in management
    assert all("stray-logs" not in a.get("buckets", {}) for a in document["accounts"])
    assert [e for a in document["accounts"] for e in a["errors"]] == []


def test_the_storage_rules_judge_what_was_collected(estate: dict[str, str], moto_server: str,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    selected = rules(*STORAGE_RULES)
    with proxied(monkeypatch, moto_server, editor=OneRetentionUnit()):
        document = collect(selected)
    assert document["contents"] == ["trails", "storage"]
    found = verdicts(document, selected)
    arn = "arn:aws:cloudtrail:{}:{}:trail/{}"
    org = arn.format("us-east-1", estate["management"], "org-trail")
    prod = arn.format("eu-west-1", estate["prod"], "prod-trail")
    dev = arn.format("us-east-1", estate["dev"], "dev-trail")
    assert {rule: found[(rule, org)] for rule in STORAGE_RULES} == {rule: "pass" for rule in STORAGE_RULES}
    assert found[("log-retention", prod)] == "fail"  # 90 days
    assert found[("trail-kms-key-usable", prod)] == "fail"  # disabled
    assert found[("trail-bucket-not-public", dev)] == "error"  # stray-logs: no scanned account owns it


@pytest.mark.parametrize("rule", STORAGE_RULES)
def test_what_a_rule_alone_makes_read_is_all_it_needs(rule: str, estate: dict[str, str], moto_server: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The reads table and the checks agree: a rule in effect alone has what it judges (the
    organization trail's resources are all well protected, so anything unread would be an error)."""
    selected = rules(rule)
    with proxied(monkeypatch, moto_server, editor=OneRetentionUnit()):
        document = collect(selected)
    org = f"arn:aws:cloudtrail:us-east-1:{estate['management']}:trail/org-trail"
    assert verdicts(document, selected)[(rule, org)] == "pass"


def test_each_resource_is_read_once_by_its_owner(estate: dict[str, str], moto_server: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    with proxied(monkeypatch, moto_server) as proxy:
        collect(rules(*STORAGE_RULES))
    buckets = 2  # org-trail-logs (two trails), prod-trail-logs; stray-logs has no scanned owner
    assert storage_calls(proxy.log) == Counter({
        "ListBuckets": 4,  # once per scanned account
        "GetBucketLocation": buckets,  # moto's ListBuckets does not give BucketRegion
        **{operation: buckets for operation in BUCKET_READS},
        "GetAccountPublicAccessBlock": 2,  # log-archive, prod: the accounts owning a trail's bucket
        "DescribeKey": 2, "GetKeyRotationStatus": 2,  # both customer keys, each once
        "DescribeLogGroups": 2,
    })
    readers = {(bucket_of(c), account_of_key(c.access_key), c.region) for c in proxy.log
               if c.operation in BUCKET_READS}
    assert readers == {("org-trail-logs", estate["log-archive"], "us-east-1"),
                       ("prod-trail-logs", estate["prod"], "eu-west-1")}
    assert not any(bucket_of(c) == "stray-logs" for c in proxy.log)
    places = {(c.operation, account_of_key(c.access_key), c.region) for c in proxy.log
              if c.operation in ("DescribeKey", "DescribeLogGroups", "GetAccountPublicAccessBlock")}
    assert places == {("DescribeKey", estate["management"], "us-east-1"), ("DescribeKey", estate["prod"], "eu-west-1"),
                      ("DescribeLogGroups", estate["management"], "us-east-1"),
                      ("DescribeLogGroups", estate["prod"], "eu-west-1"),
                      ("GetAccountPublicAccessBlock", estate["log-archive"], "us-east-1"),
                      ("GetAccountPublicAccessBlock", estate["prod"], "us-east-1")}


@pytest.mark.parametrize(("rule", "calls"), [
    ("trail-bucket-access-logging", {"ListBuckets": 4, "GetBucketLocation": 2, "GetBucketLogging": 2}),
    ("trail-kms-key-usable", {"DescribeKey": 2}),
    ("log-retention", {"ListBuckets": 4, "GetBucketLocation": 2, "GetBucketLifecycleConfiguration": 2,
                       "DescribeLogGroups": 2}),
    ("cloudtrail-enabled", {}),
])
def test_only_what_the_rules_in_effect_need_is_read(rule: str, calls: dict[str, int], estate: dict[str, str],
                                                    moto_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with proxied(monkeypatch, moto_server) as proxy:
        document = collect(rules(rule))
    assert storage_calls(proxy.log) == Counter(calls)
    assert document.get("contents", ["trails"]) == (["trails", "storage"] if calls else ["trails"])


def test_the_plan_places_each_read_with_its_owner(estate: dict[str, str]) -> None:
    """Before ListBuckets has answered, the plan asks for the listings, the keys and the log
    groups, each where its ARN says; the buckets follow once their owners are known."""
    trails_only = parse_snapshot(collect(rules("cloudtrail-enabled")), "trails")
    plan = storage_plan(storage_needs(rules("trail-kms-key-usable", "log-retention")), trails_only)
    assert set(plan) == {
        *(PlacedRead(estate[name], "us-east-1", Buckets()) for name in ("management", "log-archive", "prod", "dev")),
        PlacedRead(estate["management"], "us-east-1", KeySettings(estate["org_key"])),
        PlacedRead(estate["prod"], "eu-west-1", KeySettings(estate["prod_key"])),
        PlacedRead(estate["management"], "us-east-1", LogGroupSettings("org-trail-logs")),
        PlacedRead(estate["prod"], "eu-west-1", LogGroupSettings("prod-logs"))}


def test_every_storage_check_has_its_reads() -> None:
    assert set(STORAGE_NEEDS) == set(get_args(StorageCheck))


def test_output_is_deterministic(estate: dict[str, str]) -> None:
    def storage(document: dict[str, Any]) -> str:
        return json.dumps([{k: v for k, v in a.items() if k not in ("trails", "name", "regions")}
                           for a in document["accounts"]])

    assert storage(collect((), with_families=("storage",), workers=1)) == storage(
        collect((), with_families=("storage",), workers=16))


def test_collect_reads_storage_for_the_rules_given_and_with_storage(estate: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "snapshot.json"
    assert main(["collect", "--org", "--regions", ",".join(REGIONS), "--quiet", "--rules", "trail-kms-key-usable",
                 "-o", str(out)]) == 0
    document = json.loads(out.read_text())
    assert document["contents"] == ["trails", "storage"]
    assert "KeyRotationEnabled" not in account(document, estate["management"])["kms_keys"][estate["org_key"]]
    assert all("buckets" not in a for a in document["accounts"])  # no bucket rule in effect
    assert main(["collect", "--org", "--regions", ",".join(REGIONS), "--quiet", "--rules", "cloudtrail-enabled",
                 "--with", "storage", "-o", str(out)]) == 0
    document = json.loads(out.read_text())
    assert account(document, estate["management"])["kms_keys"][estate["org_key"]]["KeyRotationEnabled"] is True
    assert "org-trail-logs" in account(document, estate["log-archive"])["buckets"]


def test_processes_read_the_central_bucket_in_the_shard_that_holds_it(estate: dict[str, str], moto_server: str,
                                                                      tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Split over processes, each shard reads the storage of its own accounts. Every member sees
    the organization trail (as AWS shows it; the proxy plays it for moto), so whichever shard
    holds log-archive reads the central bucket there, and the merged snapshot has it."""
    listed = MotoAccounts().client(MANAGEMENT_ACCOUNT, "cloudtrail").describe_trails()["trailList"]
    out = tmp_path / "snapshot.json"
    with proxied(monkeypatch, moto_server, editor=OrgTrailShadows(next(t for t in listed if t["Name"] == "org-trail"))):
        assert main(["collect", "--org", "--regions", ",".join(REGIONS), "--quiet", "--processes", "2",
                     "--rules", "trail-bucket-access-logging", "-o", str(out)]) == 0
    document = json.loads(out.read_text())
    assert list(account(document, estate["log-archive"])["buckets"]) == ["org-trail-logs"]
    assert list(account(document, estate["prod"])["buckets"]) == ["prod-trail-logs"]


# -- failures and resources nobody scanned owns ---------------------------------------------------

def test_a_denied_bucket_policy_is_unknown_and_the_other_reads_still_happen(
        estate: dict[str, str], moto_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    denied = Fault.xml_error("AccessDenied", "Access Denied")

    def deny_policy(call: ApiCall) -> Fault | None:
        return denied if call.operation == "GetBucketPolicy" and bucket_of(call) == "org-trail-logs" else None

    with proxied(monkeypatch, moto_server, deny_policy, OneRetentionUnit()) as proxy:
        document = collect(rules(*STORAGE_RULES))
    assert proxy.faults["GetBucketPolicy"] == 1
    archive = account(document, estate["log-archive"])
    assert archive["errors"] == [{"region": "us-east-1", "operation": "GetBucketPolicy", "code": "AccessDenied",
                                  "message": "Access Denied", "resource": "org-trail-logs"}]
    central = archive["buckets"]["org-trail-logs"]
    assert "Policy" not in central  # unknown, never "no policy"
    assert set(central) == {"Region", "PolicyStatus", "PublicAccessBlock", "OwnershipControls", "Grants",
                            "Logging", "Versioning", "ObjectLock", "Lifecycle"}
    found = verdicts(document, rules(*STORAGE_RULES))
    org = f"arn:aws:cloudtrail:us-east-1:{estate['management']}:trail/org-trail"
    assert found[("trail-bucket-policy-scoped", org)] == "error"
    assert found[("trail-bucket-delete-protection", org)] == "pass"


def test_a_bucket_no_scanned_account_owns_is_not_read_and_the_lookup_says_so(estate: dict[str, str]) -> None:
    snapshot = parse_snapshot(collect(rules("trail-bucket-access-logging")), "live")
    dev_trail = next(t for t in snapshot.all_trails() if t.arn.endswith(":trail/dev-trail"))
    found = trail_bucket(snapshot, dev_trail)
    assert isinstance(found, Unlocated)
    assert "stray-logs" in found.reason and dev_trail.arn in found.reason


def test_an_account_that_cannot_be_entered_gets_no_reads(estate: dict[str, str], moto_server: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The log-archive account refuses the role: its bucket is owned by no entered account, so
    nothing of it is read and the trails' bucket rules are errors, never passes."""
    refused = Fault.query_error("AccessDenied", "not authorized to perform sts:AssumeRole")

    def refuse_archive(call: ApiCall) -> Fault | None:
        return refused if call.operation == "AssumeRole" and estate["log-archive"] in call.body else None

    selected = rules("trail-bucket-access-logging")
    with proxied(monkeypatch, moto_server, refuse_archive) as proxy:
        document = collect(selected)
    assert storage_calls(proxy.log)["ListBuckets"] == 3
    assert not any(bucket_of(c) == "org-trail-logs" for c in proxy.log if c.operation in BUCKET_READS)
    org = f"arn:aws:cloudtrail:us-east-1:{estate['management']}:trail/org-trail"
    assert verdicts(document, selected)[("trail-bucket-access-logging", org)] == "error"


# -- S3 Control through a configured endpoint ----------------------------------------------------

def test_s3_control_reaches_a_configured_endpoint(moto_server: str) -> None:
    """S3 Control's endpoint rules put the account id before the host, also before a configured
    endpoint (``123456789012.127.0.0.1:PORT`` does not resolve): the client factory's S3 Control
    client sends to the configured host."""
    s3control = ClientFactory().client("s3control", "us-east-1")
    s3control.put_public_access_block(AccountId=MANAGEMENT_ACCOUNT, PublicAccessBlockConfiguration=BLOCK_ALL)
    answer = s3control.get_public_access_block(AccountId=MANAGEMENT_ACCOUNT)
    assert answer["PublicAccessBlockConfiguration"] == BLOCK_ALL


def test_without_a_configured_endpoint_s3_control_keeps_the_account_host(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    sent: list[str] = []

    class Sent(Exception):
        """Stops the call once its URL is known: no network."""

    def capture(request: botocore.awsrequest.AWSPreparedRequest, **_: Any) -> None:
        sent.append(request.url)
        raise Sent

    s3control = ClientFactory().client("s3control", "us-east-1")
    s3control.meta.events.register("before-send.s3-control", capture)
    with pytest.raises(Sent):
        s3control.get_public_access_block(AccountId="123456789012")
    assert sent == ["https://123456789012.s3-control.us-east-1.amazonaws.com/v20180820/configuration/publicAccessBlock"]


# -- event data stores (moto has none: a botocore Stubber answers) --------------------------------

STORE_ARN = "arn:aws:cloudtrail:us-east-1:{account}:eventdatastore/{name}"


class _StoreCalls:
    """A CloudTrail client whose ListEventDataStores and GetEventDataStore a botocore Stubber
    answers (moto has no CloudTrail Lake), every other call going to moto."""

    def __init__(self, real: Any, stubbed: Any) -> None:
        self.real = real
        self.stubbed = stubbed

    def __getattr__(self, name: str) -> Any:
        if name in ("list_event_data_stores", "get_event_data_store"):
            return getattr(self.stubbed, name)
        return getattr(self.real, name)


@pytest.fixture
def stubbed_lake(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    stubbed = boto3.client("cloudtrail", region_name="us-east-1")
    stubber = Stubber(stubbed)
    real = ClientFactory.client

    def client(self: ClientFactory, service: str, region: str | None, credentials: Credentials | None = None) -> Any:
        found = real(self, service, region, credentials)
        return _StoreCalls(found, stubbed) if service == "cloudtrail" else found

    monkeypatch.setattr(ClientFactory, "client", client)
    with stubber:
        yield stubber


def _store(arn: str, name: str, status: str) -> dict[str, Any]:
    return {"EventDataStoreArn": arn, "Name": name, "Status": status, "MultiRegionEnabled": True,
            "OrganizationEnabled": False, "RetentionPeriod": 2557, "TerminationProtectionEnabled": True,
            "AdvancedEventSelectors": [{"Name": "mgmt", "FieldSelectors": [
                {"Field": "eventCategory", "Equals": ["Management"]}]}]}


def test_event_data_stores_only_with_the_family_asked(stubbed_lake: Stubber) -> None:
    active = STORE_ARN.format(account=MANAGEMENT_ACCOUNT, name="active")
    stopped = STORE_ARN.format(account=MANAGEMENT_ACCOUNT, name="stopped")
    stubbed_lake.add_response("list_event_data_stores", {"EventDataStores": [
        {"EventDataStoreArn": active, "Name": "active"}, {"EventDataStoreArn": stopped, "Name": "stopped"}]}, {})
    stubbed_lake.add_response("get_event_data_store", _store(active, "active", "ENABLED"), {"EventDataStore": active})
    stubbed_lake.add_client_error("get_event_data_store", "AccessDeniedException", "no cloudtrail:GetEventDataStore",
                                  expected_params={"EventDataStore": stopped})
    document = collect_snapshot(LiveOptions(quiet=True, workers=1, regions=("us-east-1",),
                                            with_families=("event-data-stores",)),
                                rules=rules("event-data-store-healthy"))
    stubbed_lake.assert_no_pending_responses()
    assert document["contents"] == ["trails", "event-data-stores"]
    management = account(document, MANAGEMENT_ACCOUNT)
    assert management["event_data_stores"] == {"us-east-1": [
        _store(active, "active", "ENABLED"),
        {"EventDataStoreArn": stopped, "Name": "stopped"}]}  # its settings unknown, never assumed
    assert management["errors"] == [{"region": "us-east-1", "operation": "GetEventDataStore",
                                     "code": "AccessDeniedException", "message": "no cloudtrail:GetEventDataStore",
                                     "resource": stopped}]
    assert verdicts(document, rules("event-data-store-healthy", "event-data-store-cmk")) == {
        ("event-data-store-healthy", active): "pass", ("event-data-store-healthy", stopped): "error",
        ("event-data-store-cmk", active): "fail",  # GetEventDataStore names no key: one AWS owns
        ("event-data-store-cmk", stopped): "error"}  # its key was not read, never taken for AWS's


def test_no_store_is_listed_unless_asked(stubbed_lake: Stubber) -> None:
    """A store rule in effect does not list stores by itself (CloudTrail Lake is closed to new
    customers): no call reaches the Stubber, which has no answer queued."""
    document = collect_snapshot(LiveOptions(quiet=True, regions=("us-east-1",)),
                                rules=rules("event-data-store-healthy", "event-data-store-cmk"))
    assert "contents" not in document
    management = account(document, MANAGEMENT_ACCOUNT)
    assert "event_data_stores" not in management and management["errors"] == []
