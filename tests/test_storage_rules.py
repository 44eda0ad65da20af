"""Where the logs live: each storage check, table-driven on model objects, then through the engine.

Every pitfall of docs/semantics.md ("Where the logs live") has its row: a RestrictPublicBuckets
that only the account sets, a public grant under BucketOwnerEnforced, a tag-only lifecycle rule,
condition keys in other letter cases, wildcard-only condition values...
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checker.engine.config import ConfigEvaluator
from checker.errors import InputError
from checker.findings import Finding, Status
from checker.model import Account, CollectionError, Organization, Snapshot, Trail, TrailStatus
from checker.policy.loader import apply_params, load_policies
from checker.policy.model import ConfigRule, StorageCheck
from checker.storage.bucket_policy import _matches, bucket_policy_scoped
from checker.storage.bucket_protection import bucket_access_logging, bucket_delete_protection
from checker.storage.facts import FALSE, TRUE, Fact, all_of, any_of
from checker.storage.judgement import Judgement
from checker.storage.keys import key_rotation, key_usable
from checker.storage.public import bucket_not_public
from checker.storage.retention import bucket_retention, log_group_retention, log_prefix
from checker.storage.stores import store_cmk, store_healthy
from checker.storage_model import (
    ACCOUNT_PUBLIC_ACCESS_BLOCK_OPERATION,
    UNREAD,
    AccountStorage,
    Bucket,
    EventDataStore,
    Grant,
    KmsKey,
    Known,
    LifecycleRule,
    LoggingTarget,
    LogGroup,
    ObjectLock,
    PublicAccessBlock,
    Versioning,
)
from tests.helpers import iac, snapshots
from tests.helpers.cli import read_findings_document, run_cli
from tests.helpers.policies import load_rule
from tests.helpers.snapshots import MANAGEMENT, MEMBER, find, scan_findings

REPO = Path(__file__).resolve().parents[1]
OWNER = "111111111111"
ARCHIVE = "999999999999"
COLLECTED = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
BLOCK_ALL = PublicAccessBlock(True, True, True, True)
PUBLIC_READ = Grant("READ", "Group", grantee_uri=ALL_USERS)

# A bucket whose every datum was read and protects the logs.
SAFE = Bucket(
    name="org-logs", owner_account_id=ARCHIVE, region="us-east-1", is_public=False,
    public_access_block=BLOCK_ALL, object_ownership="BucketOwnerEnforced", grants=(), policy=None,
    logging=LoggingTarget("access-logs", "org-logs/"), versioning=Versioning("Enabled", "Disabled"),
    object_lock=ObjectLock(True, "COMPLIANCE", days=400), lifecycle=(),
)


def check(judged: Judgement, status: Status, *fragments: str) -> None:
    assert judged.status == status, judged
    for fragment in fragments:
        assert fragment in judged.detail, (fragment, judged.detail)


# -- three-valued facts ------------------------------------------------------------------

def test_facts_decide_despite_unknowns_and_name_only_what_matters() -> None:
    unknown_a, unknown_b = Fact(None, ("a",)), Fact(None, ("b",))
    assert all_of(unknown_a, FALSE) == FALSE
    assert any_of(unknown_a, TRUE) == TRUE
    assert all_of(unknown_a, TRUE, unknown_b) == Fact(None, ("a", "b"))
    assert any_of(FALSE, unknown_b) == Fact(None, ("b",))


# -- bucket-not-public -------------------------------------------------------------------

PUBLIC_CASES: list[tuple[str, dict[str, Any], Known[PublicAccessBlock | None], Status, str]] = [
    ("every block on, ACLs disabled", {}, BLOCK_ALL, "pass", "not public"),
    ("public policy, no block anywhere", {"is_public": True, "public_access_block": None}, None, "fail",
     "through its policy"),
    ("public policy, RestrictPublicBuckets on the account only",
     {"is_public": True, "public_access_block": PublicAccessBlock(restrict_public_buckets=False)},
     PublicAccessBlock(restrict_public_buckets=True), "pass", "RestrictPublicBuckets"),
    ("public policy, RestrictPublicBuckets on the bucket",
     {"is_public": True, "public_access_block": PublicAccessBlock(restrict_public_buckets=True)}, None, "pass", ""),
    ("BlockPublicPolicy does not neutralise a policy already public",
     {"is_public": True, "public_access_block": PublicAccessBlock(True, False, True, False)}, None, "fail",
     "through its policy"),
    ("policy status not read, but the account restricts public policies",
     {"is_public": UNREAD, "public_access_block": UNREAD}, BLOCK_ALL, "pass", ""),
    ("policy status not read, nothing restricts", {"is_public": UNREAD, "public_access_block": None}, None, "error",
     "PolicyStatus"),
    ("account block not read and it matters",
     {"is_public": True, "public_access_block": None}, UNREAD, "error", "the account's PublicAccessBlock"),
    ("account block not read, the bucket's own restricts",
     {"is_public": True}, UNREAD, "pass", ""),
    ("no bucket policy at all", {"is_public": None, "public_access_block": None}, None, "pass", "no bucket policy"),
    ("BucketOwnerEnforced with a public grant: ACLs are disabled",
     {"grants": (PUBLIC_READ,), "public_access_block": None}, None, "pass", "BucketOwnerEnforced"),
    ("public grant while ACLs are in force (no ownership controls)",
     {"grants": (PUBLIC_READ,), "object_ownership": None, "public_access_block": None}, None, "fail",
     "READ to AllUsers"),
    ("AuthenticatedUsers counts as public",
     {"grants": (Grant("WRITE", "Group", grantee_uri=AUTHENTICATED),), "object_ownership": "ObjectWriter",
      "public_access_block": None}, None, "fail", "AuthenticatedUsers"),
    ("IgnorePublicAcls on the bucket", {"grants": (PUBLIC_READ,), "object_ownership": None,
                                        "public_access_block": PublicAccessBlock(ignore_public_acls=True)},
     None, "pass", "IgnorePublicAcls"),
    ("IgnorePublicAcls on the account only", {"grants": (PUBLIC_READ,), "object_ownership": None,
                                              "public_access_block": None},
     PublicAccessBlock(ignore_public_acls=True), "pass", "IgnorePublicAcls"),
    ("grant to a canonical user is not public",
     {"grants": (Grant("FULL_CONTROL", "CanonicalUser", grantee_id="abc"),), "object_ownership": None,
      "public_access_block": None}, None, "pass", "no ACL grant"),
    ("ownership controls not read and a public grant", {"grants": (PUBLIC_READ,), "object_ownership": UNREAD,
                                                        "public_access_block": None}, None, "error",
     "OwnershipControls"),
    ("ACL not read, ACLs disabled: cannot matter", {"grants": UNREAD}, None, "pass", ""),
    ("ACL not read, ACLs in force", {"grants": UNREAD, "object_ownership": None, "public_access_block": None},
     None, "error", "the ACL (GetBucketAcl)"),
]


@pytest.mark.parametrize(("changes", "account_block", "status", "fragment"),
                         [case[1:] for case in PUBLIC_CASES], ids=[case[0] for case in PUBLIC_CASES])
def test_bucket_not_public(changes: dict[str, Any], account_block: Known[PublicAccessBlock | None],
                           status: Status, fragment: str) -> None:
    check(bucket_not_public(replace(SAFE, **changes), account_block), status, fragment)


def test_an_error_names_only_the_unknowns_that_could_change_the_answer() -> None:
    judged = bucket_not_public(replace(SAFE, is_public=UNREAD, grants=UNREAD, public_access_block=None), None)
    check(judged, "error", "PolicyStatus")
    assert "GetBucketAcl" not in judged.detail  # ACLs are disabled: the ACL cannot matter
    assert judged.evidence["IsPublic"] == "not read"


# -- bucket-access-logging, bucket-delete-protection ---------------------------------------

@pytest.mark.parametrize(("logging", "status", "fragment"), [
    (LoggingTarget("access-logs", "x/"), "pass", "access-logs/x/"),
    (None, "fail", "off"),
    (LoggingTarget("org-logs", "self/"), "fail", "into itself"),
    (UNREAD, "error", "GetBucketLogging"),
])
def test_bucket_access_logging(logging: Known[LoggingTarget | None], status: Status, fragment: str) -> None:
    check(bucket_access_logging(replace(SAFE, logging=logging)), status, fragment)


@pytest.mark.parametrize(("object_lock", "versioning", "status", "fragment"), [
    (ObjectLock(True, "COMPLIANCE", days=400), Versioning("Enabled", "Disabled"), "pass", "400 days (COMPLIANCE)"),
    (ObjectLock(True, "GOVERNANCE", years=2), Versioning("Enabled"), "pass", "2 years"),
    (None, Versioning("Enabled", "Enabled"), "pass", "MFA delete"),
    (ObjectLock(True), Versioning("Enabled", "Disabled"), "fail", "Object Lock has no default retention"),
    (None, Versioning("Enabled", "Disabled"), "fail", "MFA delete is Disabled"),
    (None, Versioning(None, None), "fail", "versioning is off"),
    (None, Versioning("Suspended", "Enabled"), "fail", "versioning is Suspended"),
    (UNREAD, Versioning("Enabled", "Disabled"), "error", "GetObjectLockConfiguration"),
    (UNREAD, Versioning("Enabled", "Enabled"), "pass", "MFA delete"),
    (None, UNREAD, "error", "GetBucketVersioning"),
])
def test_bucket_delete_protection(object_lock: Known[ObjectLock | None], versioning: Known[Versioning],
                                  status: Status, fragment: str) -> None:
    check(bucket_delete_protection(replace(SAFE, object_lock=object_lock, versioning=versioning)), status, fragment)


# -- bucket-policy-scoped ------------------------------------------------------------------

SOURCE_ARN = "arn:aws:cloudtrail:us-east-1:111111111111:trail/org-trail"


def statement(condition: dict[str, Any] | None = None, *, principal: Any = None, action: Any = "s3:PutObject",
              effect: str = "Allow", sid: str = "AWSCloudTrailWrite") -> dict[str, Any]:
    """A bucket policy statement (by default CloudTrail's write statement, unscoped)."""
    admitted = principal if principal is not None else {"Service": "cloudtrail.amazonaws.com"}
    item: dict[str, Any] = {"Sid": sid, "Effect": effect, "Principal": admitted,
                            "Action": action, "Resource": "arn:aws:s3:::org-logs/AWSLogs/*"}
    if condition is not None:
        item["Condition"] = condition
    return item


def policy(*statements: dict[str, Any]) -> str:
    acl_check = statement(action="s3:GetBucketAcl", sid="AWSCloudTrailAclCheck")
    return json.dumps({"Version": "2012-10-17", "Statement": [acl_check, *statements]})


SCOPED = {"StringEquals": {"aws:SourceArn": SOURCE_ARN, "s3:x-amz-acl": "bucket-owner-full-control"}}

POLICY_CASES: list[tuple[str, Known[str | None], Status, str]] = [
    ("the AWS documented statement, scoped by SourceArn", policy(statement(SCOPED)), "pass", "names the source"),
    ("no condition", policy(statement()), "fail", "Statement[1] (AWSCloudTrailWrite)"),
    ("key in upper case", policy(statement({"StringEquals": {"AWS:SOURCEARN": SOURCE_ARN}})), "pass", ""),
    ("SourceAccount in lower case", policy(statement({"StringEquals": {"aws:sourceaccount": OWNER}})), "pass", ""),
    ("ArnLike with a wildcarded ARN", policy(statement({"ArnLike": {"aws:SourceArn":
                                                                    "arn:aws:cloudtrail:*:111111111111:trail/*"}})),
     "pass", ""),
    ("wildcard-only value", policy(statement({"StringLike": {"aws:SourceArn": "*"}})), "fail", ""),
    ("wildcard-only values of every kind", policy(statement({"StringLike": {"aws:SourceAccount": ["*", "?*", "**"]}})),
     "fail", ""),
    ("one real value among wildcards", policy(statement({"StringLike": {"aws:SourceAccount": ["*", OWNER]}})),
     "pass", ""),
    ("ForAnyValue: prefix", policy(statement({"ForAnyValue:StringEquals": {"aws:SourceAccount": [OWNER]}})),
     "pass", ""),
    ("IfExists suffix", policy(statement({"StringEqualsIfExists": {"aws:SourceArn": SOURCE_ARN}})), "pass", ""),
    ("a negated operator names no source",
     policy(statement({"StringNotEquals": {"aws:SourceAccount": "222222222222"}})), "fail", ""),
    ("Null names no source", policy(statement({"Null": {"aws:SourceArn": "false"}})), "fail", ""),
    ("another condition key only", policy(statement({"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}})),
     "fail", ""),
    ("Principal.Service as a list in mixed case",
     policy(statement(principal={"Service": ["config.amazonaws.com", "CloudTrail.amazonaws.com"]})), "fail", ""),
    ("Principal *", policy(statement(principal="*")), "fail", ""),
    ("Principal AWS *", policy(statement(principal={"AWS": "*"})), "fail", ""),
    ("another service only", policy(statement(principal={"Service": "logging.s3.amazonaws.com"})), "pass",
     "no statement"),
    ("Action s3:*", policy(statement(action="s3:*")), "fail", ""),
    ("Action s3:Put*", policy(statement(action=["s3:GetObject", "s3:Put*"])), "fail", ""),
    ("Action * ", policy(statement(action="*")), "fail", ""),
    ("Action in upper case", policy(statement(action="S3:PUTOBJECT")), "fail", ""),
    ("Action with ?", policy(statement(action="s3:PutObjec?")), "fail", ""),
    ("s3:PutObjectAcl is not s3:PutObject", policy(statement(action="s3:PutObjectAcl")), "pass", "no statement"),
    ("a substring is not a match", policy(statement(action="s3:Put")), "pass", "no statement"),
    ("Deny is not a write grant", policy(statement(effect="Deny")), "pass", "no statement"),
    ("one scoped statement and one not", policy(statement(SCOPED), statement(sid="Loose")), "fail", "(Loose)"),
    ("Statement as one object", json.dumps({"Statement": statement()}), "fail", "Statement[0]"),
    ("no bucket policy", None, "pass", "no bucket policy"),
    ("policy not read", UNREAD, "error", "GetBucketPolicy"),
    ("policy that is not JSON", "{not json", "error", "does not parse"),
    ("JSON that is not a policy", json.dumps({"Version": "2012-10-17"}), "error", "does not parse"),
    ("a statement that is not an object", json.dumps({"Statement": ["x"]}), "error", "Statement[0]"),
    ("duplicate keys are not strict JSON", '{"Statement": [], "Statement": []}', "error", "does not parse"),
]


@pytest.mark.parametrize(("text", "status", "fragment"), [case[1:] for case in POLICY_CASES],
                         ids=[case[0] for case in POLICY_CASES])
def test_bucket_policy_scoped(text: Known[str | None], status: Status, fragment: str) -> None:
    check(bucket_policy_scoped(replace(SAFE, policy=text)), status, fragment)


def test_not_principal_and_not_action_admit_cloudtrail_unless_they_exclude_it() -> None:
    loose = {"Effect": "Allow", "NotPrincipal": {"AWS": "arn:aws:iam::222222222222:root"},
             "NotAction": ["s3:Delete*"], "Resource": "*"}
    check(bucket_policy_scoped(replace(SAFE, policy=json.dumps({"Statement": [loose]}))), "fail")
    excluded = {**loose, "NotAction": "s3:Put*"}
    check(bucket_policy_scoped(replace(SAFE, policy=json.dumps({"Statement": [excluded]}))), "pass", "no statement")


@pytest.mark.parametrize(("pattern", "expected"), [
    ("s3:PutObject", True), ("s3:*", True), ("*", True), ("s3:Put*", True), ("s3:*Object", True),
    ("s3:P?tObject", True), ("S3:putobject", True), ("s3:PutObject*", True), ("s3:Put", False),
    ("s3:PutObjectAcl", False), ("s3:Get*", False), ("s3?PutObject", True), ("s3:*Put*Obj*ect*", True),
    ("*" * 5000 + "x", False), ("[s3]:PutObject", False),
])
def test_iam_wildcards(pattern: str, expected: bool) -> None:
    assert _matches(pattern, "s3:putobject") is expected


@settings(max_examples=300, deadline=None)
@given(pattern=st.text(alphabet="s3:Pput*?ob", max_size=12), text=st.text(alphabet="s3:Pputob", max_size=10))
def test_iam_wildcards_agree_with_a_regular_expression(pattern: str, text: str) -> None:
    reference = "".join("." if c == "?" else ".*" if c == "*" else re.escape(c) for c in pattern.lower())
    assert _matches(pattern, text) is (re.fullmatch(reference, text.lower(), re.DOTALL) is not None)


# -- retention ---------------------------------------------------------------------------

def rule(rule_id: str = "expire", *, prefix: str = "AWSLogs/", days: int | None = 90, **fields: Any) -> LifecycleRule:
    return LifecycleRule(rule_id, fields.pop("enabled", True), prefix=prefix, expiration_days=days, **fields)


RETENTION_CASES: list[tuple[str, str, tuple[LifecycleRule, ...], Status, str]] = [
    ("no lifecycle rule", "AWSLogs/", (), "pass", "kept until deleted"),
    ("expires after 90 days", "AWSLogs/", (rule(),), "fail", "'expire' of bucket org-logs expires log files "
                                                               "under AWSLogs/ after 90 days, fewer than 365"),
    ("expires after 400 days", "AWSLogs/", (rule(days=400),), "pass", "after 400 days, at least 365"),
    ("disabled rule", "AWSLogs/", (rule(enabled=False),), "pass", "kept until deleted"),
    ("tag-only filter", "AWSLogs/", (rule(prefix="", tags=(("class", "temp"),)),), "pass", ""),
    ("prefix and tags", "AWSLogs/", (rule(tags=(("class", "temp"),)),), "pass", ""),
    ("whole bucket", "AWSLogs/", (rule(prefix=""),), "fail", "after 90 days"),
    ("a narrower prefix deletes some logs", "AWSLogs/", (rule(prefix="AWSLogs/111111111111/CloudTrail/"),), "fail",
     ""),
    ("a wider prefix", "org/AWSLogs/", (rule(prefix="org/"),), "fail", ""),
    ("another prefix", "org/AWSLogs/", (rule(prefix="other/"),), "pass", ""),
    ("the root AWSLogs/ is not under the trail's prefix", "org/AWSLogs/", (rule(prefix="AWSLogs/"),), "pass", ""),
    ("size filters still overlap", "AWSLogs/", (rule(object_size_greater_than=1024),), "fail", ""),
    ("transition only", "AWSLogs/", (rule(days=None, document={"Transitions": [{"Days": 30}]}),), "pass", ""),
    ("noncurrent expiration only", "AWSLogs/",
     (rule(days=None, document={"NoncurrentVersionExpiration": {"NoncurrentDays": 30}}),), "pass", ""),
    ("the shortest rule decides", "AWSLogs/", (rule("long", days=400), rule("short", days=30)), "fail", "'short'"),
    ("date soon after collection", "AWSLogs/", (rule(days=None, expiration_date="2027-03-01T00:00:00Z"),), "fail",
     "100 days after the snapshot was collected"),
    ("date far away", "AWSLogs/", (rule(days=None, expiration_date="2028-12-31T00:00:00.000Z"),), "pass", ""),
    ("date already past", "AWSLogs/", (rule(days=None, expiration_date="2026-01-01T00:00:00Z"),), "fail",
     "already due"),
    ("date that is not a date", "AWSLogs/", (rule(days=None, expiration_date="soon"),), "error", "not a date"),
]


@pytest.mark.parametrize(("prefix", "rules", "status", "fragment"), [case[1:] for case in RETENTION_CASES],
                         ids=[case[0] for case in RETENTION_CASES])
def test_bucket_retention(prefix: str, rules: tuple[LifecycleRule, ...], status: Status, fragment: str) -> None:
    check(bucket_retention(replace(SAFE, lifecycle=rules), prefix, 365, COLLECTED), status, fragment)


def test_retention_evidence_says_why_each_rule_applies_or_not() -> None:
    rules = (rule("tags", prefix="", tags=(("k", "v"),)), rule("off", enabled=False), rule("keep", days=400))
    rows = bucket_retention(replace(SAFE, lifecycle=rules), "AWSLogs/", 365, COLLECTED).evidence["lifecycle_rules"]
    assert [(r["rule"], r["applies"]) for r in rows] == [("'tags'", False), ("'off'", False), ("'keep'", True)]
    assert "CloudTrail does not tag" in rows[0]["why"]


def test_retention_without_collection_time_or_lifecycle_is_unknown() -> None:
    dated = (rule(days=None, expiration_date="2027-03-01T00:00:00Z"),)
    check(bucket_retention(replace(SAFE, lifecycle=dated), "AWSLogs/", 365, None), "error", "no collection time")
    check(bucket_retention(replace(SAFE, lifecycle=(*dated, rule(days=10))), "AWSLogs/", 365, None), "fail",
          "10 days")
    check(bucket_retention(replace(SAFE, lifecycle=UNREAD), "AWSLogs/", 365, COLLECTED), "error",
          "GetBucketLifecycleConfiguration")


def test_log_prefix() -> None:
    assert log_prefix(None) == "AWSLogs/"
    assert log_prefix("") == "AWSLogs/"
    assert log_prefix("org") == "org/AWSLogs/"


@pytest.mark.parametrize(("days", "status", "fragment"), [
    (None, "pass", "forever"), (90, "fail", "90 days, fewer than 365"), (400, "pass", "400 days"),
])
def test_log_group_retention(days: int | None, status: Status, fragment: str) -> None:
    group = LogGroup("trail-events", ARCHIVE, "us-east-1", retention_in_days=days)
    check(log_group_retention(group, 365), status, fragment)


# -- keys --------------------------------------------------------------------------------

KEY = KmsKey("arn:aws:kms:us-east-1:111111111111:key/k1", OWNER, arn="arn:aws:kms:us-east-1:111111111111:key/k1",
             key_manager="CUSTOMER", key_state="Enabled", rotation_enabled=True)


@pytest.mark.parametrize(("state", "status", "fragment"), [
    ("Enabled", "pass", "Enabled"), ("Disabled", "fail", "is Disabled"),
    ("PendingDeletion", "fail", "delivery stops"), ("PendingImport", "fail", ""), ("Unavailable", "fail", ""),
    (None, "error", "DescribeKey"),
])
def test_key_usable(state: str | None, status: Status, fragment: str) -> None:
    check(key_usable(replace(KEY, key_state=state)), status, fragment)


@pytest.mark.parametrize(("manager", "rotation", "status", "fragment"), [
    ("CUSTOMER", True, "pass", "rotates"), ("CUSTOMER", False, "fail", "rotation off"),
    ("AWS", None, "pass", "managed by AWS"), ("CUSTOMER", None, "error", "GetKeyRotationStatus"),
    (None, True, "error", "DescribeKey"),
])
def test_key_rotation(manager: str | None, rotation: bool | None, status: Status, fragment: str) -> None:
    check(key_rotation(replace(KEY, key_manager=manager, rotation_enabled=rotation)), status, fragment)


# -- event data stores -------------------------------------------------------------------

STORE_ARN = "arn:aws:cloudtrail:us-east-1:111111111111:eventdatastore/eds-1"
STORE = EventDataStore(STORE_ARN, "lake", OWNER, "us-east-1", status="ENABLED", multi_region=True, organization=False,
                       retention_days=2557, termination_protection=True, kms_key_id="arn:aws:kms:us-east-1:1:key/k")


@pytest.mark.parametrize(("changes", "status", "fragment"), [
    ({}, "pass", "2557 days"),
    ({"status": "STOPPED_INGESTION"}, "fail", "STOPPED_INGESTION: it records nothing"),
    ({"termination_protection": False}, "fail", "no termination protection"),
    ({"retention_days": 90}, "fail", "90 days, fewer than 365"),
    ({"status": "STOPPED_INGESTION", "retention_days": None}, "fail", "records nothing"),
    ({"status": None}, "error", "Status"),
])
def test_store_healthy(changes: dict[str, Any], status: Status, fragment: str) -> None:
    check(store_healthy(replace(STORE, **changes), 365), status, fragment)


def test_store_cmk() -> None:
    check(store_cmk(STORE), "pass", "customer-managed")
    check(store_cmk(replace(STORE, kms_key_id=None)), "fail", "key AWS owns")
    check(store_cmk(replace(STORE, kms_key_id=UNREAD)), "error", "not read (GetEventDataStore)")


# -- through the engine: lookups, identity, skipped and errors ---------------------------

TRAIL_ARN = f"arn:aws:cloudtrail:us-east-1:{OWNER}:trail/org-trail"
KEY_ARN = f"arn:aws:kms:us-east-1:{OWNER}:key/k1"
GROUP_ARN = f"arn:aws:logs:us-east-1:{ARCHIVE}:log-group:org-trail:*"


def make_trail(**document: Any) -> Trail:
    doc = {"Name": "org-trail", "TrailARN": TRAIL_ARN, "HomeRegion": "us-east-1", "S3BucketName": "org-logs",
           "KmsKeyId": KEY_ARN, "CloudWatchLogsLogGroupArn": GROUP_ARN, **document}
    return Trail(TRAIL_ARN, "us-east-1", OWNER, "aws", True, True, True, TrailStatus(True), None, None,
                 {k: v for k, v in doc.items() if v is not None})


def estate(*, trail: Trail | None = None, bucket: Bucket = SAFE, group_days: int | None = 400,
           archive_scanned: bool = True, contents: tuple[str, ...] = ("trails", "storage", "event-data-stores"),
           stores: dict[str, tuple[EventDataStore, ...]] | None = None,
           errors: tuple[CollectionError, ...] = ()) -> Snapshot:
    owner = Account(OWNER, "management", ("us-east-1",), (trail or make_trail(),), errors, storage=AccountStorage(
        kms_keys={KEY_ARN: replace(KEY, key_state="Disabled")}, public_access_block=None,
        event_data_stores=stores if stores is not None else {"us-east-1": (STORE,)}))
    archive = Account(ARCHIVE, "log-archive", ("us-east-1",), (), storage=AccountStorage(
        buckets={bucket.name: bucket}, public_access_block=BLOCK_ALL,
        log_groups={"us-east-1": {"org-trail": LogGroup("org-trail", ARCHIVE, "us-east-1", group_days)}}))
    accounts = (owner, archive) if archive_scanned else (owner,)
    return Snapshot(COLLECTED, "aws", Organization("o-test123456", OWNER), accounts,
                    contents=frozenset(contents))  # type: ignore[arg-type]


def storage_rules() -> list[ConfigRule]:
    rules, _ = load_policies([REPO / "policies" / "storage.yaml"])
    return [r for r in rules if isinstance(r, ConfigRule)]


def scan(snapshot: Snapshot) -> dict[str, list[Finding]]:
    by_rule: dict[str, list[Finding]] = {}
    for finding in ConfigEvaluator(snapshot).evaluate(storage_rules()):
        by_rule.setdefault(finding.rule_id, []).append(finding)
    return by_rule


def one(findings: dict[str, list[Finding]], rule_id: str) -> Finding:
    (finding,) = findings[rule_id]
    return finding


def test_the_pack_covers_every_check() -> None:
    checks = {rule.require.check for rule in storage_rules() if hasattr(rule.require, "check")}
    assert checks == set(get_args(StorageCheck))
    schema = json.loads((REPO / "checker" / "schemas" / "policy.schema.json").read_text(encoding="utf-8"))
    assert schema["$defs"]["require"]["properties"]["storage"]["enum"] == list(get_args(StorageCheck))


def test_a_central_bucket_is_judged_in_the_account_that_owns_it() -> None:
    findings = scan(estate(bucket=replace(SAFE, lifecycle=(rule(),))))
    retention = one(findings, "log-retention")
    assert (retention.account_id, retention.region, retention.resource) == (OWNER, "us-east-1", TRAIL_ARN)
    assert retention.status == "fail"
    assert "'expire'" in retention.message and "90 days" in retention.message
    assert retention.evidence["bucket"]["account_id"] == ARCHIVE
    assert retention.evidence["log_group"]["account_id"] == ARCHIVE
    assert one(findings, "trail-bucket-not-public").status == "pass"
    assert one(findings, "trail-kms-key-usable").status == "fail"
    assert one(findings, "trail-kms-key-usable").evidence["kms_key"]["account_id"] == OWNER


@pytest.mark.parametrize(("bucket", "group_days", "status", "fragment"), [
    (SAFE, 400, "pass", "kept until deleted"),
    (SAFE, 90, "fail", "log group org-trail keeps events 90 days"),
    (replace(SAFE, lifecycle=UNREAD), 90, "fail", "90 days"),
    (replace(SAFE, lifecycle=UNREAD), 400, "error", "lifecycle"),
    (replace(SAFE, lifecycle=(rule(),)), 30, "fail", "fewer than 365; log group org-trail keeps events 30 days"),
])
def test_retention_judges_bucket_and_log_group_and_the_worse_stands(bucket: Bucket, group_days: int, status: Status,
                                                                    fragment: str) -> None:
    check_finding(one(scan(estate(bucket=bucket, group_days=group_days)), "log-retention"), status, fragment)


def test_retention_of_a_trail_without_log_group_is_its_bucket() -> None:
    finding = one(scan(estate(trail=make_trail(CloudWatchLogsLogGroupArn=None))), "log-retention")
    check_finding(finding, "pass", "kept until deleted")
    assert finding.evidence["log_group"] is None


def test_a_resource_in_an_account_not_scanned_is_an_error_never_a_pass() -> None:
    findings = scan(estate(archive_scanned=False))
    for rule_id in ("trail-bucket-not-public", "trail-bucket-access-logging", "trail-bucket-delete-protection",
                    "trail-bucket-policy-scoped", "log-retention"):
        finding = one(findings, rule_id)
        assert finding.status == "error", rule_id
        assert "org-logs" in finding.message and TRAIL_ARN in finding.message, finding.message


def test_a_denied_account_public_access_block_is_evidence_where_it_matters() -> None:
    """S3 Control's GetPublicAccessBlock denied in the bucket's account, whose own block is not
    set and whose policy S3 computes as public: the public check is an error carrying that
    denial; a bucket check that does not read the account's block neither errs nor carries it."""
    denied = CollectionError(None, ACCOUNT_PUBLIC_ACCESS_BLOCK_OPERATION, "AccessDenied", "denied")
    base = estate(bucket=replace(SAFE, is_public=True, public_access_block=None, logging=UNREAD))
    storage = base.accounts[1].storage
    assert storage is not None
    archive = replace(base.accounts[1], errors=(denied,), storage=replace(storage, public_access_block=UNREAD))
    findings = scan(replace(base, accounts=(base.accounts[0], archive)))
    public = one(findings, "trail-bucket-not-public")
    check_finding(public, "error", "the account's PublicAccessBlock")
    assert public.evidence["bucket"]["collection_errors"] == [denied.to_dict()]
    logging = one(findings, "trail-bucket-access-logging")
    assert logging.status == "error" and "collection_errors" not in logging.evidence["bucket"]


def test_a_trail_without_a_key_skips_the_key_rules() -> None:
    findings = scan(estate(trail=make_trail(KmsKeyId=None)))
    for rule_id in ("trail-kms-key-usable", "trail-kms-key-rotation"):
        check_finding(one(findings, rule_id), "skipped", "kms-encryption")


def test_without_the_storage_family_the_rules_are_skipped_saying_how_to_collect() -> None:
    findings = scan(estate(contents=("trails",)))
    public = one(findings, "trail-bucket-not-public")
    check_finding(public, "skipped", "no storage data", "trailcheck collect")
    stores = findings["event-data-store-cmk"]
    assert [(f.account_id, f.region, f.resource, f.status) for f in stores] == [(None, None, None, "skipped")]
    assert "--with event-data-stores" in stores[0].message


def test_storage_without_event_data_stores_skips_only_the_store_rules() -> None:
    findings = scan(estate(contents=("trails", "storage")))
    assert one(findings, "trail-bucket-not-public").status == "pass"
    assert {f.status for f in findings["event-data-store-healthy"]} == {"skipped"}


def test_event_data_stores_are_named_like_trails_and_unlisted_regions_are_errors() -> None:
    stopped = replace(STORE, status="STOPPED_INGESTION", kms_key_id=None)
    listing = CollectionError("eu-west-1", "ListEventDataStores", "AccessDenied", "denied")
    owner_regions = estate(stores={"us-east-1": (stopped,)}, errors=(listing,))
    snapshot = replace(owner_regions, accounts=(replace(owner_regions.accounts[0], regions=("us-east-1", "eu-west-1")),
                                                owner_regions.accounts[1]))
    findings = scan(snapshot)
    healthy = {(f.account_id, f.region, f.resource): f for f in findings["event-data-store-healthy"]}
    assert healthy[(OWNER, "us-east-1", STORE_ARN)].status == "fail"
    unlisted = healthy[(OWNER, "eu-west-1", None)]
    assert unlisted.status == "error" and "ListEventDataStores" in unlisted.message
    assert unlisted.evidence["collection_errors"][0]["operation"] == "ListEventDataStores"
    assert healthy[(ARCHIVE, "us-east-1", None)].status == "error"  # its stores were not listed either
    cmk = {(f.account_id, f.region, f.resource): f.status for f in findings["event-data-store-cmk"]}
    assert cmk[(OWNER, "us-east-1", STORE_ARN)] == "fail"


def check_finding(finding: Finding, status: Status, *fragments: str) -> None:
    assert finding.status == status, (finding.status, finding.message)
    for fragment in fragments:
        assert fragment in finding.message, (fragment, finding.message)


# -- end to end: snapshot files through the CLI --------------------------------------------

STORAGE_RULES = ",".join(("trail-bucket-not-public", "log-retention", "trail-kms-key-usable", "event-data-store-cmk"))


def test_scan_without_storage_data_skips_the_storage_rules(capsys: pytest.CaptureFixture[str],
                                                           tmp_path: Path) -> None:
    findings = scan_findings(capsys, tmp_path, snapshots.snapshot(snapshots.account(MANAGEMENT, snapshots.trail())),
                             "--rules", STORAGE_RULES)
    assert {(f["rule_id"], f["status"]) for f in findings} == {
        ("trail-bucket-not-public", "skipped"), ("log-retention", "skipped"), ("trail-kms-key-usable", "skipped"),
        ("event-data-store-cmk", "skipped")}
    assert "no storage data" in find(findings, "trail-bucket-not-public", account_id=None)["message"]


def test_scan_of_a_bucket_no_scanned_account_describes_is_an_error(capsys: pytest.CaptureFixture[str],
                                                                   tmp_path: Path) -> None:
    management = {**snapshots.account(MANAGEMENT, snapshots.trail()), "buckets": {}}
    findings = scan_findings(capsys, tmp_path, snapshots.snapshot(management), "--rules", "trail-bucket-not-public")
    finding = find(findings, "trail-bucket-not-public", region="us-east-1", resource=snapshots.trail_arn("main"))
    assert finding["status"] == "error"
    assert "main-logs" in finding["message"] and snapshots.trail_arn("main") in finding["message"]


def test_scan_judges_the_central_bucket_and_key_where_they_live(capsys: pytest.CaptureFixture[str],
                                                                tmp_path: Path) -> None:
    key = f"arn:aws:kms:us-east-1:{MANAGEMENT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    management = {**snapshots.account(MANAGEMENT, snapshots.trail(organization=True, CloudWatchLogsLogGroupArn=None)),
                  "kms_keys": {key: {"KeyManager": "CUSTOMER", "KeyState": "PendingDeletion",
                                     "KeyRotationEnabled": True}},
                  "event_data_stores": {"us-east-1": [{"EventDataStoreArn": STORE_ARN, "Name": "lake",
                                                       "Status": "ENABLED", "RetentionPeriod": 2557,
                                                       "TerminationProtectionEnabled": True}]}}
    archive = {**snapshots.account(MEMBER, regions=("us-east-1",)), "account_public_access_block": None,
               "buckets": {"main-logs": {
                   "Region": "us-east-1", "PolicyStatus": {"IsPublic": False}, "PublicAccessBlock": None,
                   "OwnershipControls": None, "Policy": None,
                   "Grants": [{"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"}],
                   "Lifecycle": {"Rules": [{"ID": "ninety", "Status": "Enabled", "Filter": {"Prefix": ""},
                                            "Expiration": {"Days": 90}}]}}}}
    findings = scan_findings(capsys, tmp_path, snapshots.snapshot(management, archive, organization=True),
                             "--rules", STORAGE_RULES)
    unit = {"account_id": MANAGEMENT, "region": "us-east-1", "resource": snapshots.trail_arn("main")}
    public = find(findings, "trail-bucket-not-public", **unit)
    assert public["status"] == "fail" and "READ to AllUsers" in public["message"]
    assert public["evidence"]["bucket"]["account_id"] == MEMBER
    retention = find(findings, "log-retention", **unit)
    assert retention["status"] == "fail" and "'ninety'" in retention["message"]
    assert find(findings, "trail-kms-key-usable", **unit)["status"] == "fail"
    store = find(findings, "event-data-store-cmk", account_id=MANAGEMENT, region="us-east-1", resource=STORE_ARN)
    assert store["status"] == "fail"


def test_scan_of_code_skips_the_bucket_rules(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    plan = iac.write_plan(tmp_path, [iac.Res("aws_cloudtrail.main", iac.trail())])
    result = run_cli(capsys, "scan", "--terraform-plan", str(plan), "--format", "json", "--output-dir",
                     str(tmp_path / "out"), "--rules", "trail-bucket-not-public,trail-bucket-policy-scoped")
    assert result.code in (0, 1), result.err
    findings = read_findings_document(tmp_path / "out" / "findings.json")["findings"]
    assert findings and {f["status"] for f in findings} == {"skipped"}
    assert all("not in this plan" in f["message"] for f in findings)


# -- loading ------------------------------------------------------------------------------

@pytest.mark.parametrize(("item", "problem"), [
    ({"scope": "trail", "require": {"storage": "store-cmk"}},
     "require.storage store-cmk is judged per event-data-store, not per trail"),
    ({"scope": "event-data-store", "require": {"storage": "bucket-not-public"}},
     "require.storage bucket-not-public is judged per trail, not per event-data-store"),
    ({"scope": "event-data-store", "require": {"expr": "Status == 'ENABLED'"}},
     "scope event-data-store takes require.storage"),
    ({"scope": "trail", "require": {"storage": "retention"}, "params": {"min_days": 0}},
     "min_days must be a whole number of days, 1 or more (got 0)"),
    ({"scope": "trail", "require": {"storage": "retention"}, "params": {"min_days": "a year"}}, "min_days"),
    ({"scope": "trail", "require": {"storage": "bucket-is-nice"}}, "bucket-is-nice"),
])
def test_storage_rules_are_checked_at_load(item: dict[str, Any], problem: str) -> None:
    with pytest.raises(InputError) as raised:
        load_rule(id="custom", **item)
    assert problem in str(raised.value)


def test_min_days_has_a_default_and_takes_param_overrides() -> None:
    rule = load_rule(id="custom", scope="event-data-store", require={"storage": "store-healthy"})
    assert rule.params == {"min_days": 365}
    (longer,) = apply_params([rule], ["custom.min_days=730"])
    assert longer.params == {"min_days": 730}
    with pytest.raises(InputError) as raised:
        apply_params([rule], ["custom.min_days=0.5"])
    assert "whole number" in str(raised.value)
