"""Finding a trail's bucket, key and log group in whichever scanned account owns them, and saying
why not (naming the resource, the trail and the collection errors) when no account describes them."""

from __future__ import annotations

from typing import Any

from checker.inputs.snapshot import parse_snapshot
from checker.model import Snapshot, Trail
from checker.storage_lookup import Located, Unlocated, located_errors, trail_bucket, trail_key, trail_log_group
from checker.storage_model import UNREAD, Bucket, KmsKey, LogGroup
from tests.helpers.snapshots import MANAGEMENT, MEMBER, account, collection_error, snapshot, trail

LOG_ARCHIVE = "333333333333"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
ARCHIVE_KEY = f"arn:aws:kms:us-east-1:{LOG_ARCHIVE}:key/{KEY_ID}"
ARCHIVE_GROUP = f"arn:aws:logs:us-east-1:{LOG_ARCHIVE}:log-group:org-trail:*"
ORG_TRAIL = trail("org-trail", organization=True, S3BucketName="org-logs", KmsKeyId=ARCHIVE_KEY,
                  CloudWatchLogsLogGroupArn=ARCHIVE_GROUP)


def denied(operation: str, resource: str, region: str | None = "us-east-1") -> dict[str, Any]:
    return {**collection_error(region, operation), "resource": resource}


def log_archive(**storage: Any) -> dict[str, Any]:
    """The log-archive account: no trail of its own, the organization trail's storage."""
    keys: dict[str, Any] = {
        "buckets": {"org-logs": {"Region": "us-east-1", "Policy": None, "Logging": {}}},
        "kms_keys": {ARCHIVE_KEY: {"Arn": ARCHIVE_KEY, "KeyManager": "CUSTOMER", "KeyState": "Enabled"}},
        "log_groups": {"us-east-1": [{"logGroupName": "org-trail", "retentionInDays": 400}]},
    }
    return {**account(LOG_ARCHIVE), **keys, **storage}


def organization(*accounts: dict[str, Any]) -> Snapshot:
    return parse_snapshot(snapshot(account(MANAGEMENT, ORG_TRAIL), account(MEMBER), *accounts, organization=True),
                          "snapshot.json")


def the_trail(found: Snapshot, name: str = "org-trail") -> Trail:
    return next(t for t in found.all_trails() if t.arn.endswith(f"trail/{name}"))


def unlocated(answer: object) -> Unlocated:
    assert isinstance(answer, Unlocated), answer
    return answer


def test_an_organization_trail_finds_its_storage_in_the_log_archive_account() -> None:
    found = organization(log_archive())
    org_trail = the_trail(found)
    bucket, key, group = trail_bucket(found, org_trail), trail_key(found, org_trail), trail_log_group(found, org_trail)
    assert isinstance(bucket, Located) and isinstance(bucket.resource, Bucket)
    assert (bucket.account_id, bucket.resource.name, bucket.resource.policy) == (LOG_ARCHIVE, "org-logs", None)
    assert isinstance(key, Located) and isinstance(key.resource, KmsKey)
    assert (key.account_id, key.resource.key_state) == (LOG_ARCHIVE, "Enabled")
    assert isinstance(group, Located) and isinstance(group.resource, LogGroup)
    assert (group.account_id, group.resource.name, group.resource.retention_in_days) == (LOG_ARCHIVE, "org-trail", 400)
    assert located_errors(found, bucket) == located_errors(found, key) == located_errors(found, group) == ()


def test_a_trail_finds_storage_in_its_own_account_by_bare_key_id_and_alias() -> None:
    own_key = f"arn:aws:kms:eu-west-1:{MEMBER}:key/{KEY_ID}"
    member = {**account(MEMBER, trail("local", account=MEMBER, home="eu-west-1", KmsKeyId=KEY_ID)),
              "buckets": {"local-logs": {"Region": "eu-west-1"}},
              "kms_keys": {own_key: {"Arn": own_key, "KeyManager": "CUSTOMER", "KeyState": "Disabled"},
                           "alias/logs": {"Arn": own_key, "KeyManager": "CUSTOMER", "KeyState": "Disabled"}},
              "log_groups": {"eu-west-1": [{"logGroupName": "local"}]}}
    found = parse_snapshot(snapshot(member), "snapshot.json")
    local = the_trail(found, "local")
    key = trail_key(found, local)
    assert isinstance(key, Located) and key.account_id == MEMBER and key.resource.key == own_key
    bucket, group = trail_bucket(found, local), trail_log_group(found, local)
    assert isinstance(bucket, Located) and bucket.account_id == MEMBER
    assert isinstance(group, Located) and group.resource.retention_in_days is None
    aliased = parse_snapshot(snapshot({**member, "trails": [trail("local", account=MEMBER, home="eu-west-1",
                                                                  KmsKeyId="alias/logs")]}), "snapshot.json")
    by_alias = trail_key(aliased, the_trail(aliased, "local"))
    assert isinstance(by_alias, Located) and by_alias.resource.key == "alias/logs"


def test_a_trail_that_names_no_storage_gets_none() -> None:
    found = parse_snapshot(snapshot(account(MANAGEMENT, trail(KmsKeyId=None, CloudWatchLogsLogGroupArn=None)),
                                    log_archive()), "snapshot.json")
    bare = the_trail(found, "main")
    assert trail_key(found, bare) is None and trail_log_group(found, bare) is None
    assert isinstance(trail_bucket(found, bare), Unlocated)


def test_storage_no_scanned_account_describes_is_unlocated_naming_resource_and_trail() -> None:
    found = organization()  # the log-archive account was not scanned
    org_trail = the_trail(found)
    bucket = unlocated(trail_bucket(found, org_trail))
    assert bucket.name == "org-logs" and bucket.errors == ()
    assert "bucket org-logs" in bucket.reason and org_trail.arn in bucket.reason and "scan the account" in bucket.reason
    key = unlocated(trail_key(found, org_trail))
    assert key.name == ARCHIVE_KEY and LOG_ARCHIVE in key.reason and "not scanned" in key.reason
    group = unlocated(trail_log_group(found, org_trail))
    assert group.name == ARCHIVE_GROUP and LOG_ARCHIVE in group.reason and org_trail.arn in group.reason


def test_a_scanned_account_without_the_resource_says_what_to_collect() -> None:
    found = organization({**account(LOG_ARCHIVE), "buckets": {}})
    org_trail = the_trail(found)
    key = unlocated(trail_key(found, org_trail))
    assert "not described by account 333333333333" in key.reason and "DescribeKey" in key.reason
    group = unlocated(trail_log_group(found, org_trail))
    assert "DescribeLogGroups" in group.reason and "us-east-1" in group.reason


def test_a_log_group_missing_from_a_collected_region_does_not_exist_unless_its_read_failed() -> None:
    gone = organization(log_archive(log_groups={"us-east-1": []}))
    assert "does not exist" in unlocated(trail_log_group(gone, the_trail(gone))).reason
    failed = organization({**log_archive(log_groups={"us-east-1": []}),
                           "errors": [denied("DescribeLogGroups", "org-trail")]})
    group = unlocated(trail_log_group(failed, the_trail(failed)))
    assert "could not be read" in group.reason and [e.resource for e in group.errors] == ["org-trail"]


def test_denied_reads_are_the_evidence_of_what_is_unknown() -> None:
    errors = [denied("GetBucketPolicy", "org-logs"), denied("GetBucketPolicy", "other-bucket"),
              denied("DescribeKey", ARCHIVE_KEY), denied("DescribeLogGroups", "org-trail", "eu-west-1"),
              collection_error("us-east-1", "DescribeLogGroups")]
    archive = log_archive(kms_keys={}, log_groups={})
    archive["buckets"]["org-logs"].pop("Policy")
    found = organization({**archive, "errors": errors})
    org_trail = the_trail(found)
    bucket = trail_bucket(found, org_trail)
    assert isinstance(bucket, Located) and bucket.resource.policy is UNREAD
    assert [(e.operation, e.resource) for e in located_errors(found, bucket)] == [("GetBucketPolicy", "org-logs")]
    key = unlocated(trail_key(found, org_trail))
    assert [(e.operation, e.code) for e in key.errors] == [("DescribeKey", "AccessDenied")]
    group = unlocated(trail_log_group(found, org_trail))
    assert [(e.operation, e.region, e.resource) for e in group.errors] == [("DescribeLogGroups", "us-east-1", None)]


def test_an_unlisted_bucket_carries_the_failed_list_buckets_and_denials_naming_it() -> None:
    errors = [collection_error(None, "ListBuckets"), denied("GetBucketAcl", "arn:aws:s3:::org-logs")]
    found = organization({**account(LOG_ARCHIVE, errors=tuple(errors)), "buckets": {}})
    bucket = unlocated(trail_bucket(found, the_trail(found)))
    assert sorted(e.operation for e in bucket.errors) == ["GetBucketAcl", "ListBuckets"]
    assert f"ListBuckets failed in account {LOG_ARCHIVE}" in bucket.reason


def test_identifiers_that_name_no_key_or_log_group_are_unlocated_with_the_fix() -> None:
    found = parse_snapshot(snapshot(account(MANAGEMENT, trail(
        KmsKeyId="arn:aws:s3:::not-a-key", CloudWatchLogsLogGroupArn="arn:aws:logs:us-east-1:111111111111:stream"))),
        "snapshot.json")
    main = the_trail(found, "main")
    assert "KmsKeyId" in unlocated(trail_key(found, main)).reason
    assert "CloudWatchLogsLogGroupArn" in unlocated(trail_log_group(found, main)).reason


def test_lookups_at_a_thousand_accounts_read_each_owner_by_index() -> None:
    members = [{**account(f"{n:012d}", trail(f"t{n}", account=f"{n:012d}", S3BucketName=f"logs-{n}")),
                "buckets": {f"logs-{n}": {"Region": "us-east-1"}}} for n in range(1, 1001)]
    found = parse_snapshot(snapshot(*members), "snapshot.json")
    owners = {}
    for each in found.all_trails():
        located = trail_bucket(found, each)
        assert isinstance(located, Located)
        owners[each.owner_account_id] = located.account_id
    assert len(owners) == 1000 and all(owner == located for owner, located in owners.items())
