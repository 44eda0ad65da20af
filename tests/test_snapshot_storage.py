"""Storage data in a snapshot: each "none" answer read as none, an absent datum as not read,
lifecycle filters flattened, and wrong shapes refused as bad input with their JSON path."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from checker.inputs.snapshot import parse_snapshot
from checker.model import CollectionError
from checker.storage_model import (
    ACCOUNT_PUBLIC_ACCESS_BLOCK_OPERATION,
    STORAGE_OPERATIONS,
    UNREAD,
    AccountStorage,
    Bucket,
    Grant,
    LifecycleRule,
    LoggingTarget,
    ObjectLock,
    PublicAccessBlock,
    Versioning,
)
from tests.helpers.cli import run_cli
from tests.helpers.snapshots import MANAGEMENT, MEMBER, account, snapshot, trail, write_json

STORE_ARN = f"arn:aws:cloudtrail:us-east-1:{MANAGEMENT}:eventdatastore/0123abcd"
ALL_BLOCKED = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
               "RestrictPublicBuckets": True}


def with_storage(**keys: Any) -> dict[str, Any]:
    """A one-account snapshot whose account carries the storage ``keys``."""
    return snapshot({**account(MANAGEMENT, trail()), **keys})


def storage_of(document: dict[str, Any], account_id: str = MANAGEMENT) -> AccountStorage:
    found = parse_snapshot(document, "snapshot.json").account(account_id)
    assert found is not None and found.storage is not None
    return found.storage


def bucket_of(**bucket: Any) -> Bucket:
    return storage_of(with_storage(buckets={"main-logs": bucket})).buckets["main-logs"]


def lifecycle_of(*rules: dict[str, Any]) -> tuple[LifecycleRule, ...]:
    lifecycle = bucket_of(Lifecycle={"Rules": list(rules)}).lifecycle
    assert lifecycle is not UNREAD
    return lifecycle


# --- what is read, what is none, what is unknown ---------------------------------------------

def test_a_bucket_read_in_full_keeps_every_answer() -> None:
    bucket = bucket_of(
        Region="eu-west-1", PolicyStatus={"IsPublic": True}, PublicAccessBlock={"BlockPublicAcls": True},
        OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        Grants=[{"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
                 "Permission": "READ"},
                {"Grantee": {"Type": "CanonicalUser", "ID": "abc123", "DisplayName": "owner"},
                 "Permission": "FULL_CONTROL"}],
        Policy='{"Version": "2012-10-17", "Statement": []}',
        Logging={"LoggingEnabled": {"TargetBucket": "access-logs", "TargetPrefix": "main-logs/"}},
        Versioning={"Status": "Enabled", "MFADelete": "Disabled"},
        ObjectLock={"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 400}}},
        Lifecycle={"Rules": []})
    assert bucket.owner_account_id == MANAGEMENT and bucket.region == "eu-west-1"
    assert bucket.is_public is True
    assert bucket.public_access_block == PublicAccessBlock(block_public_acls=True)
    assert bucket.object_ownership == "BucketOwnerEnforced"
    assert bucket.grants != UNREAD and [g.is_public for g in bucket.grants] == [True, False]
    assert bucket.grants[1] == Grant("FULL_CONTROL", "CanonicalUser", grantee_id="abc123")
    assert bucket.policy == '{"Version": "2012-10-17", "Statement": []}'
    assert bucket.logging == LoggingTarget("access-logs", "main-logs/")
    assert bucket.versioning == Versioning("Enabled", "Disabled")
    assert bucket.object_lock == ObjectLock(enabled=True, mode="COMPLIANCE", days=400)
    assert bucket.lifecycle == ()


@pytest.mark.parametrize(("key", "answer", "attribute"), [
    ("PolicyStatus", None, "is_public"),
    ("Policy", None, "policy"),
    ("PublicAccessBlock", None, "public_access_block"),
    ("OwnershipControls", None, "object_ownership"),
    ("ObjectLock", None, "object_lock"),
    ("Logging", {}, "logging"),
])
def test_each_none_answer_is_none_and_its_absence_is_unread(key: str, answer: Any, attribute: str) -> None:
    assert getattr(bucket_of(**{key: answer}), attribute) is None
    assert getattr(bucket_of(), attribute) is UNREAD


def test_no_lifecycle_no_versioning_and_no_grants_are_read_answers_not_unknowns() -> None:
    bucket = bucket_of(Lifecycle={"Rules": []}, Versioning={}, Grants=[])
    assert (bucket.lifecycle, bucket.versioning, bucket.grants) == ((), Versioning(None, None), ())
    unread = bucket_of()
    assert (unread.lifecycle, unread.versioning, unread.grants, unread.region) == (UNREAD, UNREAD, UNREAD, None)


def test_the_account_public_access_block_none_unread_and_flags() -> None:
    assert storage_of(with_storage(account_public_access_block=None)).public_access_block is None
    assert storage_of(with_storage(buckets={})).public_access_block is UNREAD
    assert storage_of(with_storage(account_public_access_block=ALL_BLOCKED)).public_access_block == \
        PublicAccessBlock(True, True, True, True)
    assert storage_of(with_storage(account_public_access_block={})).public_access_block == PublicAccessBlock()


def test_an_object_lock_configuration_without_a_default_retention() -> None:
    assert bucket_of(ObjectLock={"ObjectLockEnabled": "Enabled"}).object_lock == ObjectLock(enabled=True)


def test_a_policy_that_is_not_json_is_a_fact_not_bad_input() -> None:
    assert bucket_of(Policy="{ this is not json").policy == "{ this is not json"


def test_an_account_without_storage_keys_has_no_storage_data() -> None:
    found = parse_snapshot(snapshot(account(MANAGEMENT, trail())), "snapshot.json")
    managed = found.account(MANAGEMENT)
    assert managed is not None and managed.storage is None
    assert not found.carries("storage") and not found.carries("event-data-stores")


def test_storage_keys_make_a_snapshot_without_contents_carry_the_families() -> None:
    assert parse_snapshot(with_storage(kms_keys={}), "s.json").carries("storage")
    stores = parse_snapshot(with_storage(event_data_stores={}), "s.json")
    assert stores.carries("event-data-stores") and not stores.carries("storage")
    listed = parse_snapshot({**with_storage(buckets={}), "contents": ["trails"]}, "s.json")
    assert not listed.carries("storage")


def test_kms_keys_keep_the_identifier_the_trail_uses() -> None:
    key_arn = f"arn:aws:kms:us-east-1:{MANAGEMENT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    storage = storage_of(with_storage(kms_keys={
        "alias/logs": {"Arn": key_arn, "KeyManager": "CUSTOMER", "KeyState": "Disabled", "KeyRotationEnabled": False},
        key_arn: {"Arn": key_arn, "KeyManager": "AWS", "KeyState": "Enabled"}}))
    alias = storage.kms_keys["alias/logs"]
    assert (alias.key, alias.arn, alias.key_manager, alias.key_state, alias.rotation_enabled) == \
        ("alias/logs", key_arn, "CUSTOMER", "Disabled", False)
    assert storage.kms_keys[key_arn].rotation_enabled is None  # GetKeyRotationStatus not read


def test_log_groups_by_region_and_name_with_and_without_retention() -> None:
    storage = storage_of(with_storage(log_groups={
        "us-east-1": [{"logGroupName": "main", "retentionInDays": 400, "kmsKeyId": "arn:aws:kms:k"},
                      {"logGroupName": "forever"}],
        "eu-west-1": []}))
    main = storage.log_groups["us-east-1"]["main"]
    assert (main.region, main.owner_account_id, main.retention_in_days, main.kms_key_id) == \
        ("us-east-1", MANAGEMENT, 400, "arn:aws:kms:k")
    assert storage.log_groups["us-east-1"]["forever"].retention_in_days is None
    assert storage.log_groups["eu-west-1"] == {}
    assert "ap-south-1" not in storage.log_groups


def test_event_data_stores_with_selectors_read_like_a_trail() -> None:
    selectors = [{"Name": "mgmt", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]},
                                                      {"Field": "eventName", "NotEquals": ["GetObject"]}]}]
    storage = storage_of(with_storage(event_data_stores={"us-east-1": [
        {"EventDataStoreArn": STORE_ARN, "Name": "lake", "Status": "STOPPED_INGESTION", "MultiRegionEnabled": True,
         "OrganizationEnabled": False, "RetentionPeriod": 2557, "TerminationProtectionEnabled": True,
         "KmsKeyId": "arn:aws:kms:us-east-1:111111111111:key/k", "AdvancedEventSelectors": selectors},
        {"EventDataStoreArn": STORE_ARN + "ff", "Name": "unread"}]}))
    store, unread = storage.event_data_stores["us-east-1"]
    trail_selectors = parse_snapshot(snapshot(account(MANAGEMENT, trail(AdvancedEventSelectors=selectors))),
                                     "t.json").all_trails()[0].selectors
    assert trail_selectors is not None and store.selectors == trail_selectors.advanced
    assert (store.status, store.multi_region, store.organization, store.retention_days,
            store.termination_protection, store.region, store.owner_account_id) == \
        ("STOPPED_INGESTION", True, False, 2557, True, "us-east-1", MANAGEMENT)
    assert (unread.status, unread.selectors, unread.kms_key_id, unread.retention_days) == (None, None, UNREAD, None)
    assert store.kms_key_id == "arn:aws:kms:us-east-1:111111111111:key/k"


def test_a_store_read_without_a_key_uses_one_aws_owns() -> None:
    """GetEventDataStore names no ``KmsKeyId`` for a key AWS owns; a store listed with its ARN and
    name only (its GetEventDataStore failed) says nothing of its key."""
    storage = storage_of(with_storage(event_data_stores={"us-east-1": [
        {"EventDataStoreArn": STORE_ARN, "Name": "lake", "Status": "ENABLED"},
        {"EventDataStoreArn": STORE_ARN + "ff", "Name": "listed only"}]}))
    read, listed = storage.event_data_stores["us-east-1"]
    assert (read.kms_key_id, listed.kms_key_id) == (None, UNREAD)


def test_storage_read_failures_hide_no_trail() -> None:
    for operation in (*STORAGE_OPERATIONS, ACCOUNT_PUBLIC_ACCESS_BLOCK_OPERATION):
        assert not CollectionError(None, operation, "AccessDenied", "denied").hides_trails, operation
    assert CollectionError(None, "DescribeTrails", "AccessDenied", "denied").hides_trails


# --- lifecycle filters -----------------------------------------------------------------------

def rule(**fields: Any) -> dict[str, Any]:
    return {"ID": "r", "Status": "Enabled", **fields}


@pytest.mark.parametrize(("fields", "prefix", "tags", "sizes"), [
    ({"Prefix": "AWSLogs/"}, "AWSLogs/", (), (None, None)),
    ({}, "", (), (None, None)),
    ({"Filter": {}}, "", (), (None, None)),
    ({"Filter": {"Prefix": "logs/AWSLogs/"}}, "logs/AWSLogs/", (), (None, None)),
    ({"Filter": {"Tag": {"Key": "keep", "Value": "no"}}}, "", (("keep", "no"),), (None, None)),
    ({"Filter": {"And": {"Prefix": "AWSLogs/", "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]}}},
     "AWSLogs/", (("a", "1"), ("b", "2")), (None, None)),
    ({"Filter": {"ObjectSizeGreaterThan": 128}}, "", (), (128, None)),
    ({"Filter": {"And": {"Prefix": "A", "ObjectSizeGreaterThan": 1, "ObjectSizeLessThan": 1024}}},
     "A", (), (1, 1024)),
])
def test_lifecycle_filter_forms_flatten_to_prefix_tags_and_sizes(
        fields: dict[str, Any], prefix: str, tags: tuple[tuple[str, str], ...], sizes: tuple[int | None, int | None]
) -> None:
    (flat,) = lifecycle_of(rule(Expiration={"Days": 90}, **fields))
    assert (flat.prefix, flat.tags, (flat.object_size_greater_than, flat.object_size_less_than)) == \
        (prefix, tags, sizes)


def test_lifecycle_expiration_of_current_objects_by_days_or_date_only() -> None:
    days, date, marker, transition, disabled = lifecycle_of(
        rule(Expiration={"Days": 90}),
        rule(Expiration={"Date": "2027-01-01T00:00:00Z"}),
        rule(Expiration={"ExpiredObjectDeleteMarker": True}),
        rule(Transitions=[{"Days": 30, "StorageClass": "GLACIER"}], NoncurrentVersionExpiration={"NoncurrentDays": 1}),
        rule(Status="Disabled", Expiration={"Days": 1}))
    assert (days.expiration_days, days.expiration_date) == (90, None)
    assert (date.expiration_days, date.expiration_date) == (None, "2027-01-01T00:00:00Z")
    assert (marker.expiration_days, marker.expiration_date) == (None, None)
    assert (transition.expiration_days, transition.expiration_date) == (None, None)
    assert transition.document["Transitions"][0]["StorageClass"] == "GLACIER"
    assert days.enabled and not disabled.enabled and disabled.expiration_days == 1


# --- bad input -------------------------------------------------------------------------------

def assert_rejected(capsys: pytest.CaptureFixture[str], tmp_path: Path, document: dict[str, Any],
                    *places: str) -> str:
    """Scanning ``document`` exits 2 with one stderr line naming the file and every place; the line."""
    path = write_json(tmp_path / "snapshot.json", document)
    result = run_cli(capsys, "scan", "--snapshot", str(path), "--output-dir", str(tmp_path / "out"))
    assert result.code == 2, (result.code, result.err)
    (line,) = result.err.splitlines()
    for place in (str(path), *places):
        assert place in line, (place, line)
    return line


def test_two_accounts_listing_one_bucket_is_bad_input_naming_both(capsys: pytest.CaptureFixture[str],
                                                                  tmp_path: Path) -> None:
    document = snapshot({**account(MANAGEMENT, trail()), "buckets": {"org.logs": {}}},
                        {**account(MEMBER), "buckets": {"other": {}, "org.logs": {"Region": "us-east-1"}}})
    line = assert_rejected(capsys, tmp_path, document, "$.accounts[1].buckets['org.logs']",
                           "$.accounts[0].buckets['org.logs']", MANAGEMENT, MEMBER)
    assert "bucket org.logs" in line


@pytest.mark.parametrize(("keys", "place"), [
    ({"buckets": {"b": {"PolicyStatus": {"IsPublic": "no"}}}}, "$.accounts[0].buckets.b.PolicyStatus.IsPublic"),
    ({"buckets": {"b": {"Policy": {"Statement": []}}}}, "$.accounts[0].buckets.b.Policy"),
    ({"buckets": {"b": {"Logging": None}}}, "$.accounts[0].buckets.b.Logging"),
    ({"buckets": {"b": {"Lifecycle": {"Rules": [{"Status": "On"}]}}}},
     "$.accounts[0].buckets.b.Lifecycle.Rules[0].Status"),
    ({"buckets": {"b": {"Lifecycle": {"Rules": [{"Status": "Enabled", "Expiration": {"Days": "90"}}]}}}},
     "$.accounts[0].buckets.b.Lifecycle.Rules[0].Expiration.Days"),
    ({"buckets": {"b": {"Lifecycle": {"Rules": [{"Status": "Enabled", "Prefix": "", "Filter": {}}]}}}},
     "$.accounts[0].buckets.b.Lifecycle.Rules[0]"),
    ({"buckets": {"b": {"Grants": [{"Grantee": {"Type": "Group"}}]}}}, "$.accounts[0].buckets.b.Grants[0]"),
    ({"buckets": ["b"]}, "$.accounts[0].buckets"),
    ({"account_public_access_block": {"BlockPublicAcls": "yes"}},
     "$.accounts[0].account_public_access_block.BlockPublicAcls"),
    ({"kms_keys": {"k": {"KeyRotationEnabled": 1}}}, "$.accounts[0].kms_keys.k.KeyRotationEnabled"),
    ({"log_groups": {"us-east-1": [{"logGroupName": "g", "retentionInDays": 3.5}]}},
     "$.accounts[0].log_groups['us-east-1'][0].retentionInDays"),
    ({"log_groups": {"us-east-1": {"g": {}}}}, "$.accounts[0].log_groups['us-east-1']"),
    ({"event_data_stores": {"us-east-1": [{"EventDataStoreArn": "lake"}]}},
     "$.accounts[0].event_data_stores['us-east-1'][0].EventDataStoreArn"),
    ({"event_data_stores": {"us-east-1": [{"EventDataStoreArn": STORE_ARN, "AdvancedEventSelectors": [{}]}]}},
     "$.accounts[0].event_data_stores['us-east-1'][0].AdvancedEventSelectors[0]"),
])
def test_wrong_shapes_are_bad_input_with_their_json_path(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                         keys: dict[str, Any], place: str) -> None:
    assert_rejected(capsys, tmp_path, with_storage(**keys), place)


def test_a_log_group_listed_twice_differently_is_bad_input(capsys: pytest.CaptureFixture[str],
                                                           tmp_path: Path) -> None:
    groups = [{"logGroupName": "g", "retentionInDays": 400}, {"logGroupName": "g"}]
    assert_rejected(capsys, tmp_path, with_storage(log_groups={"us-east-1": groups}),
                    "$.accounts[0].log_groups['us-east-1'][1]", "log group g")
    same = storage_of(with_storage(log_groups={"us-east-1": [groups[0], copy.deepcopy(groups[0])]}))
    assert storage_of(with_storage(log_groups={"us-east-1": [groups[0]]})) == same


def test_an_event_data_store_over_the_selector_value_limit_is_bad_input(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAILCHECK_MAX_SELECTOR_VALUES_PER_TRAIL", "3")
    selectors = [{"FieldSelectors": [{"Field": "eventName", "Equals": ["A", "B", "C", "D"]}]}]
    line = assert_rejected(capsys, tmp_path, with_storage(event_data_stores={"us-east-1": [
        {"EventDataStoreArn": STORE_ARN, "AdvancedEventSelectors": selectors}]}),
        "$.accounts[0].event_data_stores['us-east-1'][0]")
    assert "TRAILCHECK_MAX_SELECTOR_VALUES_PER_TRAIL" in line


def test_the_documented_example_is_a_valid_account() -> None:
    text = (Path(__file__).parents[1] / "docs" / "snapshot.md").read_text(encoding="utf-8")
    example = json.loads(text.split("```json\n")[-1].split("```")[0])
    storage = storage_of(snapshot(example), example["account_id"])
    bucket = storage.buckets["org-trail-logs"]
    assert bucket.object_lock == ObjectLock(enabled=True, mode="COMPLIANCE", days=400)
    assert storage.public_access_block is None
    assert storage.log_groups["us-east-1"]["aws-cloudtrail-logs-org"].retention_in_days == 400
