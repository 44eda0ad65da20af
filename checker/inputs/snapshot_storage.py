"""An account's storage keys of a snapshot -> :class:`checker.storage_model.AccountStorage`.

The keys mirror the AWS answers (docs/snapshot.md, "Storage data"): ``buckets`` (name
-> what the S3 bucket calls returned), ``account_public_access_block`` (S3 Control),
``kms_keys`` (the identifier a trail names -> DescribeKey ``KeyMetadata`` fields with
GetKeyRotationStatus ``KeyRotationEnabled``), ``log_groups`` (Region -> DescribeLogGroups
items) and ``event_data_stores`` (Region -> GetEventDataStore answers). The document has been
validated against the snapshot schema already.

Three states are kept apart: a key or sub-object that is absent was not read (UNREAD); the
"none" answers become ``None`` (``"Policy": null``, ``"Logging": {}``,
``"Lifecycle": {"Rules": []}``...); anything else is the value read. A bucket policy that is
not JSON is kept as text: it is a fact about the estate, for the rules to report.

What the schema cannot see is checked here, as bad input naming the JSON path: two accounts
listing one bucket (bucket names are global, so only one of them can own it), a log group
listed twice in one Region with different settings, and an event data store with more
selector values than a trail may have.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from checker import limits
from checker.errors import InputError
from checker.inputs.snapshot_listing import selector_values
from checker.inputs.snapshot_selectors import parse_advanced_selectors
from checker.storage_model import (
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

STORAGE_KEYS = ("buckets", "kms_keys", "log_groups", "account_public_access_block")
"""The account keys of the ``storage`` family."""
EVENT_DATA_STORE_KEYS = ("event_data_stores",)
"""The account keys of the ``event-data-stores`` family."""

T = TypeVar("T")

_PLAIN_MEMBER = re.compile(r"[a-zA-Z][a-zA-Z0-9_]*")


def parse_storage(item: Mapping[str, Any], where: str) -> AccountStorage | None:
    """The storage data of the account document ``item`` (at ``where``, ``FILE: $.accounts[N]``);
    ``None`` when it carries no storage key at all."""
    if not any(key in item for key in (*STORAGE_KEYS, *EVENT_DATA_STORE_KEYS)):
        return None
    account_id: str = item["account_id"]
    return AccountStorage(
        buckets={name: _bucket(name, account_id, bucket) for name, bucket in item.get("buckets", {}).items()},
        public_access_block=_none_or(item, "account_public_access_block", _public_access_block),
        kms_keys={key: _kms_key(key, account_id, document) for key, document in item.get("kms_keys", {}).items()},
        log_groups={region: _log_groups(region, account_id, groups, f"{where}.log_groups{_member(region)}")
                    for region, groups in item.get("log_groups", {}).items()},
        event_data_stores={region: tuple(_event_data_store(region, account_id, store,
                                                           f"{where}.event_data_stores{_member(region)}[{i}]")
                                         for i, store in enumerate(stores))
                           for region, stores in item.get("event_data_stores", {}).items()},
    )


def check_bucket_owners(accounts: Sequence[Mapping[str, Any]], source: str) -> None:
    """Raise :class:`InputError` when two accounts list one bucket, naming both paths."""
    owners: dict[str, int] = {}
    for index, account in enumerate(accounts):
        for name in account.get("buckets", {}):
            first = owners.setdefault(name, index)
            if first != index:
                raise InputError(
                    f"{source}: $.accounts[{index}].buckets{_member(name)}",
                    f"bucket {name} is listed by accounts {accounts[first]['account_id']} "
                    f"(at $.accounts[{first}].buckets{_member(name)}) and {account['account_id']}: "
                    "a bucket name is global, keep it under the account whose ListBuckets lists it")


def _member(key: str) -> str:
    """One JSON path step to member ``key``, written as the schema's messages write it."""
    if _PLAIN_MEMBER.fullmatch(key):
        return f".{key}"
    return "['" + key.replace("\\", "\\\\").replace("'", "\\'") + "']"


def _none_or(item: Mapping[str, Any], key: str, parse: Callable[[Any], T]) -> Known[T | None]:
    """UNREAD when ``key`` is absent, ``None`` when it is null, else ``parse`` of its value."""
    if key not in item:
        return UNREAD
    value = item[key]
    return None if value is None else parse(value)


def _bucket(name: str, account_id: str, item: Mapping[str, Any]) -> Bucket:
    return Bucket(
        name=name,
        owner_account_id=account_id,
        region=item.get("Region"),
        is_public=_none_or(item, "PolicyStatus", lambda status: bool(status["IsPublic"])),
        public_access_block=_none_or(item, "PublicAccessBlock", _public_access_block),
        object_ownership=_none_or(item, "OwnershipControls", _object_ownership),
        grants=_read(item, "Grants", lambda grants: tuple(map(_grant, grants))),
        policy=_none_or(item, "Policy", str),
        logging=_read(item, "Logging", _logging),
        versioning=_read(item, "Versioning", lambda v: Versioning(v.get("Status"), v.get("MFADelete"))),
        object_lock=_none_or(item, "ObjectLock", _object_lock),
        lifecycle=_read(item, "Lifecycle", lambda lifecycle: tuple(map(_lifecycle_rule, lifecycle["Rules"]))),
        document=dict(item),
    )


def _read(item: Mapping[str, Any], key: str, parse: Callable[[Any], T]) -> Known[T]:
    """UNREAD when ``key`` is absent, else ``parse`` of its value (the schema admits no null there)."""
    return parse(item[key]) if key in item else UNREAD


def _public_access_block(item: Mapping[str, Any]) -> PublicAccessBlock:
    return PublicAccessBlock(
        block_public_acls=item.get("BlockPublicAcls", False),
        ignore_public_acls=item.get("IgnorePublicAcls", False),
        block_public_policy=item.get("BlockPublicPolicy", False),
        restrict_public_buckets=item.get("RestrictPublicBuckets", False),
    )


def _object_ownership(item: Mapping[str, Any]) -> str:
    """The ``ObjectOwnership`` of the ownership rule (S3 keeps exactly one)."""
    return str(item["Rules"][0]["ObjectOwnership"])


def _grant(item: Mapping[str, Any]) -> Grant:
    grantee = item["Grantee"]
    return Grant(permission=item["Permission"], grantee_type=grantee["Type"],
                 grantee_uri=grantee.get("URI"), grantee_id=grantee.get("ID"))


def _logging(item: Mapping[str, Any]) -> LoggingTarget | None:
    """``{}`` (GetBucketLogging without ``LoggingEnabled``): no server access logging."""
    enabled = item.get("LoggingEnabled")
    if enabled is None:
        return None
    return LoggingTarget(enabled["TargetBucket"], enabled.get("TargetPrefix", ""))


def _object_lock(item: Mapping[str, Any]) -> ObjectLock:
    retention = item.get("Rule", {}).get("DefaultRetention", {})
    return ObjectLock(enabled=item.get("ObjectLockEnabled") == "Enabled", mode=retention.get("Mode"),
                      days=_int(retention.get("Days")), years=_int(retention.get("Years")))


def _lifecycle_rule(item: Mapping[str, Any]) -> LifecycleRule:
    """A rule's filter flattened: the legacy top-level ``Prefix``, or ``Filter`` with its
    ``Prefix``, ``Tag``, size bounds and ``And`` (whose conditions all hold; S3 lets a filter hold
    one condition or one ``And``, and a rule hold ``Prefix`` or ``Filter``, not both)."""
    conditions: list[Mapping[str, Any]] = []
    if "Filter" in item:
        conditions = [item["Filter"], item["Filter"].get("And", {})]
    else:
        conditions = [{"Prefix": item.get("Prefix", "")}]
    tags = [c["Tag"] for c in conditions if "Tag" in c] + [t for c in conditions for t in c.get("Tags", ())]
    expiration = item.get("Expiration", {})
    return LifecycleRule(
        id=item.get("ID"),
        enabled=item["Status"] == "Enabled",
        prefix=_first(conditions, "Prefix") or "",
        tags=tuple((t["Key"], t["Value"]) for t in tags),
        object_size_greater_than=_int(_first(conditions, "ObjectSizeGreaterThan")),
        object_size_less_than=_int(_first(conditions, "ObjectSizeLessThan")),
        expiration_days=_int(expiration.get("Days")),
        expiration_date=expiration.get("Date"),
        document=dict(item),
    )


def _first(conditions: Iterable[Mapping[str, Any]], key: str) -> Any:
    return next((c[key] for c in conditions if key in c), None)


def _kms_key(key: str, account_id: str, item: Mapping[str, Any]) -> KmsKey:
    return KmsKey(key=key, owner_account_id=account_id, arn=item.get("Arn"), key_manager=item.get("KeyManager"),
                  key_state=item.get("KeyState"), rotation_enabled=item.get("KeyRotationEnabled"),
                  document=dict(item))


def _log_groups(region: str, account_id: str, items: Sequence[Mapping[str, Any]],
                where: str) -> dict[str, LogGroup]:
    groups: dict[str, LogGroup] = {}
    first_at: dict[str, int] = {}
    for index, item in enumerate(items):
        name = item["logGroupName"]
        first = first_at.setdefault(name, index)
        if first != index and items[first] != item:
            raise InputError(f"{where}[{index}]", f"log group {name} is listed twice in {region} with different "
                                                  f"settings (also at [{first}]): keep one of them")
        groups[name] = LogGroup(name=name, owner_account_id=account_id, region=region,
                                retention_in_days=_int(item.get("retentionInDays")),
                                kms_key_id=item.get("kmsKeyId"), document=dict(item))
    return groups


def _event_data_store(region: str, account_id: str, item: Mapping[str, Any], where: str) -> EventDataStore:
    selectors = item.get("AdvancedEventSelectors")
    if selectors is not None:
        bound, count = limits.SELECTOR_VALUES_PER_TRAIL.value(), selector_values(item)
        if count > bound:
            raise InputError(where, limits.SELECTOR_VALUES_PER_TRAIL.exceeded(f"{count:,} selector values", bound))
    return EventDataStore(
        arn=item["EventDataStoreArn"],
        name=item.get("Name"),
        owner_account_id=account_id,
        region=region,
        status=item.get("Status"),
        multi_region=item.get("MultiRegionEnabled"),
        organization=item.get("OrganizationEnabled"),
        retention_days=_int(item.get("RetentionPeriod")),
        termination_protection=item.get("TerminationProtectionEnabled"),
        kms_key_id=item.get("KmsKeyId") if _store_read(item) else UNREAD,
        selectors=parse_advanced_selectors(selectors) if selectors is not None else None,
        document=dict(item),
    )


LISTING_FIELDS = frozenset({"EventDataStoreArn", "Name"})
"""What a store written from ListEventDataStores alone carries: its GetEventDataStore failed."""


def _store_read(item: Mapping[str, Any]) -> bool:
    """Whether GetEventDataStore answered for the store: it has more than its ARN and name. Only
    then does an absent ``KmsKeyId`` mean a key AWS owns."""
    return any(key not in LISTING_FIELDS for key in item)


def _int(value: float | None) -> int | None:
    return int(value) if value is not None else None
