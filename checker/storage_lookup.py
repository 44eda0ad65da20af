"""Where a trail's bucket, KMS key and log group are described, in whichever scanned account owns them.

A trail often writes outside its own account: an organization trail's bucket and log group
usually live in a log-archive account. Each lookup answers with the resource and the account
whose data holds it (:class:`Located`), or says why it cannot (:class:`Unlocated`), so a rule
gives ``error`` for it, never ``pass``:

- a bucket belongs to whichever scanned account lists it under ``buckets`` (bucket names are
  global; ListBuckets in its owner is what finds it, and the snapshot loader refuses two
  accounts listing one bucket);
- a key's or log group's ARN names its account and Region; a bare key id or alias name
  (``1234abcd-...``, ``alias/logs``) is in the trail's own account and home Region.

``Unlocated.errors`` and :func:`located_errors` are the collection errors that concern the
resource: those whose ``resource`` names it, and those of its kind of data (see
:data:`checker.storage_model.STORAGE_OPERATIONS`, where S3 Control's account-level
GetPublicAccessBlock is written ``GetAccountPublicAccessBlock``) that name no resource, in its
account and Region; for a bucket no account lists, every failed ListBuckets.

The indexes are built once per snapshot, so each lookup costs the same at 1,000 accounts.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from checker.arn import Arn
from checker.model import Account, CollectionError, Snapshot, Trail
from checker.monitoring_lookup import log_group_place
from checker.snapshot_index import per_snapshot
from checker.storage_model import STORAGE_OPERATIONS, Bucket, KmsKey, LogGroup, StoragePart

R = TypeVar("R", Bucket, KmsKey, LogGroup)


@dataclass(frozen=True)
class Located(Generic[R]):
    """The resource a trail names, as the scanned account ``account_id`` describes it."""

    resource: R
    account_id: str


@dataclass(frozen=True)
class Unlocated:
    """A resource the trail names that no scanned account describes.

    ``name`` is the bucket name, key id or ARN, or log group ARN as the trail gives it;
    ``reason`` is one sentence naming the resource, the trail and what to do; ``errors`` are
    the collection errors that concern it (evidence).
    """

    name: str
    reason: str
    errors: tuple[CollectionError, ...] = ()


def trail_bucket(snapshot: Snapshot, trail: Trail) -> Located[Bucket] | Unlocated | None:
    """The trail's ``S3BucketName`` bucket; ``None`` when the trail names none."""
    name = _named(trail, "S3BucketName")
    if name is None:
        return None
    index = _index(snapshot)
    bucket = index.buckets.get(name)
    if bucket is not None:
        return Located(bucket, bucket.owner_account_id)
    errors = (*index.bucket_errors.get(name, ()), *(error for _, error in index.list_buckets))
    failed = sorted({account for account, _ in index.list_buckets})
    hint = f" (ListBuckets failed in account {', '.join(failed)})" if failed else ""
    return Unlocated(name, f"bucket {name} of trail {trail.arn} is described by no scanned account{hint}: "
                           "scan the account that owns it (or collect its storage data)", errors)


def trail_key(snapshot: Snapshot, trail: Trail) -> Located[KmsKey] | Unlocated | None:
    """The trail's ``KmsKeyId`` key; ``None`` when the trail names none (SSE-S3 encryption)."""
    named = _named(trail, "KmsKeyId")
    if named is None:
        return None
    place = key_place(named, trail)
    if place is None:
        return Unlocated(named, f"KMS key {named} of trail {trail.arn} is neither a KMS key or alias ARN "
                                "nor a key id or alias name: correct the trail's KmsKeyId")
    account_id, region, identifiers = place
    account = snapshot.account(account_id)
    if account is None:
        return Unlocated(named, _not_scanned("KMS key", named, trail, account_id))
    keys = _index(snapshot).keys.get(account_id, {})
    key = next((keys[i] for i in identifiers if i in keys), None)
    if key is not None:
        return Located(key, account_id)
    errors = _errors_about(account, "kms_keys", region, identifiers)
    return Unlocated(named, f"KMS key {named} of trail {trail.arn} is not described by account {account_id}: "
                            f"collect its storage data (DescribeKey and GetKeyRotationStatus in {region})", errors)


def trail_log_group(snapshot: Snapshot, trail: Trail) -> Located[LogGroup] | Unlocated | None:
    """The trail's ``CloudWatchLogsLogGroupArn`` log group; ``None`` when the trail sends events to none."""
    arn = _named(trail, "CloudWatchLogsLogGroupArn")
    if arn is None:
        return None
    place = log_group_place(arn)
    if place is None:
        return Unlocated(arn, f"log group {arn} of trail {trail.arn} is not a CloudWatch Logs log group ARN: "
                              "correct the trail's CloudWatchLogsLogGroupArn")
    account = snapshot.account(place.account_id)
    if account is None:
        return Unlocated(arn, _not_scanned("log group", arn, trail, place.account_id))
    groups = account.storage.log_groups.get(place.region) if account.storage else None
    if groups is not None and place.name in groups:
        return Located(groups[place.name], place.account_id)
    errors = _errors_about(account, "log_groups", place.region, _log_group_names(arn, place.name))
    where = f"account {place.account_id} in {place.region}"
    if groups is None:
        return Unlocated(arn, f"log group {arn} of trail {trail.arn} is not described by {where}: "
                              "collect its storage data (DescribeLogGroups)", errors)
    if errors:
        return Unlocated(arn, f"log group {arn} of trail {trail.arn} could not be read in {where} "
                              f"({errors[0].operation} {errors[0].code}): grant the read and collect again", errors)
    return Unlocated(arn, f"log group {arn} of trail {trail.arn} is not among the log groups DescribeLogGroups "
                          f"lists in {where}: it does not exist, so CloudTrail cannot deliver there; "
                          "create it or correct the trail")


def located_errors(snapshot: Snapshot, found: Located[Bucket] | Located[KmsKey] | Located[LogGroup],
                   account_wide: Iterable[StoragePart] = ()) -> tuple[CollectionError, ...]:
    """The collection errors of the owner account that concern a located resource: why a datum of it
    is :data:`~checker.storage_model.UNREAD` (e.g. GetBucketPolicy denied), for the evidence; with
    ``account_wide``, also the failed reads of those account settings (the account's public access
    block, which a bucket check reads with the bucket)."""
    account = snapshot.account(found.account_id)
    if account is None:
        return ()
    settings = tuple(e for part in account_wide for e in _errors_about(account, part, None, ()))
    resource = found.resource
    if isinstance(resource, Bucket):
        return _errors_about(account, "buckets", resource.region, (resource.name,)) + settings
    if isinstance(resource, KmsKey):
        region = _arn_region(resource.arn or resource.key)
        return _errors_about(account, "kms_keys", region, _key_names(resource)) + settings
    return _errors_about(account, "log_groups", resource.region, (resource.name,)) + settings


def _named(trail: Trail, key: str) -> str | None:
    value = trail.document.get(key)
    return value if isinstance(value, str) and value else None


def _not_scanned(kind: str, name: str, trail: Trail, account_id: str) -> str:
    return (f"{kind} {name} of trail {trail.arn} is in account {account_id}, which is not scanned: "
            "scan the account that owns it (or collect its storage data)")


def key_place(named: str, trail: Trail) -> tuple[str, str, tuple[str, ...]] | None:
    """The account and Region of the key ``named`` and the identifiers it may be listed under."""
    arn = Arn.parse_or_none(named)
    if arn is not None:
        if arn.service != "kms" or not arn.region or not arn.account or not _key_resource(arn.resource):
            return None
        return arn.account, arn.region, (named,)
    if ":" in named or not _key_resource(named if named.startswith("alias/") else f"key/{named}"):
        return None
    resource = named if named.startswith("alias/") else f"key/{named}"
    full = Arn(trail.partition, "kms", trail.home_region, trail.owner_account_id, resource)
    return trail.owner_account_id, trail.home_region, (named, str(full))


def _key_resource(resource: str) -> bool:
    kind, _, name = resource.partition("/")
    return kind in ("key", "alias") and bool(name)


def _key_names(key: KmsKey) -> tuple[str, ...]:
    """Every identifier an error about ``key`` may carry: as the trail names it, its ARN, its key id."""
    names = [key.key]
    if key.arn:
        names += [key.arn, key.arn.rsplit("/", 1)[-1]]
    return tuple(names)


def _log_group_names(arn: str, name: str) -> tuple[str, ...]:
    return (name, arn, arn.removesuffix(":*"), f"{arn.removesuffix(':*')}:*")


def _arn_region(text: str) -> str | None:
    arn = Arn.parse_or_none(text)
    return arn.region if arn is not None and arn.region else None


def _errors_about(account: Account, part: StoragePart, region: str | None,
                  names: Iterable[str]) -> tuple[CollectionError, ...]:
    """The account's errors reading ``part`` in ``region`` (or account-wide) that name one of ``names``
    or no resource. A bucket's name is global: an error naming it counts in any Region."""
    wanted = set(names)

    def concerns(error: CollectionError) -> bool:
        if STORAGE_OPERATIONS.get(error.operation) != part:
            return False
        if not error.resource:
            return region is None or error.region in (None, region)
        if part == "buckets":
            return _bucket_name(error.resource) in wanted
        return error.resource in wanted and (region is None or error.region in (None, region))

    return tuple(error for error in account.errors if concerns(error))


@dataclass(frozen=True)
class _StorageIndex:
    """What the lookups read, built once per snapshot."""

    buckets: dict[str, Bucket]
    keys: dict[str, dict[str, KmsKey]]  # account -> identifier (as listed, and the key's ARN) -> key
    bucket_errors: dict[str, tuple[CollectionError, ...]]  # bucket name -> errors naming it, in any account
    list_buckets: tuple[tuple[str, CollectionError], ...]  # (account, error) of each failed ListBuckets


def _build(snapshot: Snapshot) -> _StorageIndex:
    buckets: dict[str, Bucket] = {}
    keys: dict[str, dict[str, KmsKey]] = {}
    bucket_errors: dict[str, list[CollectionError]] = {}
    list_buckets: list[tuple[str, CollectionError]] = []
    for account in snapshot.accounts:
        if account.storage is not None:
            for name, bucket in account.storage.buckets.items():
                buckets.setdefault(name, bucket)
            identifiers = keys.setdefault(account.account_id, {})
            for key in account.storage.kms_keys.values():
                for identifier in (key.key, key.arn):
                    if identifier:
                        identifiers.setdefault(identifier, key)
        for error in account.errors:
            if STORAGE_OPERATIONS.get(error.operation) != "buckets":
                continue
            if error.resource:
                bucket_errors.setdefault(_bucket_name(error.resource), []).append(error)
            elif error.operation == "ListBuckets":
                list_buckets.append((account.account_id, error))
    return _StorageIndex(buckets, keys, {name: tuple(found) for name, found in bucket_errors.items()},
                         tuple(list_buckets))


_index = per_snapshot(_build)
"""The snapshot's index, built on first use."""


def _bucket_name(resource: str) -> str:
    """A bucket ARN (``arn:aws:s3:::NAME``) as the bucket's name; any other resource as given."""
    arn = Arn.parse_or_none(resource)
    if arn is not None and arn.service == "s3" and not arn.region and not arn.account and "/" not in arn.resource:
        return arn.resource
    return resource
