"""The storage reads a unit needs: its trail's bucket, key and log group, and the event data stores.

A storage rule is judged per trail, on the trail's bucket, KMS key and CloudWatch Logs group,
each where it lives (docs/live-scans.md, "Storage"). What each rule reads is one table,
:data:`STORAGE_NEEDS`, so a collection reads for every trail exactly the calls of the rules in
effect, and each resource once, however many trails share it:

* a bucket: its owner is the scanned account whose ListBuckets lists it (a bucket name is
  global and says nothing of its owner), so ListBuckets comes first, once per scanned account;
  then the bucket's settings in its owner account and Region, and the owner's account-wide
  public access block. A bucket that no scanned account lists is not read: unknown (a collection
  in shards looks for it in the accounts of other shards, :func:`bucket_listing`);
* a key or a log group: in the account and Region its ARN names;
* event data stores (only when asked, ``--with event-data-stores``): ListEventDataStores in
  every (account, Region) of the snapshot, then GetEventDataStore of each store where its ARN
  says.

The plan is asked in rounds, like the monitoring plan: what ListBuckets and ListEventDataStores
found (:class:`Found`) makes the next round's reads; the collection subtracts the reads made.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from checker.arn import Arn
from checker.model import Snapshot, Trail
from checker.monitoring_lookup import log_group_place
from checker.plan.reads import (
    AccountPublicAccessBlock,
    Buckets,
    BucketSettings,
    EventDataStores,
    EventDataStoreSettings,
    KeySettings,
    LogGroupSettings,
    PlacedRead,
    ReadPlan,
)
from checker.policy.model import ConfigRule, Rule, StorageCheck, StorageRequirement
from checker.simulator.decide import GLOBAL_EVENTS_REGION
from checker.storage_lookup import key_place

BUCKET_OPERATIONS: tuple[str, ...] = (
    "GetBucketPolicyStatus", "GetPublicAccessBlock", "GetBucketOwnershipControls", "GetBucketAcl",
    "GetBucketPolicy", "GetBucketLogging", "GetBucketVersioning", "GetObjectLockConfiguration",
    "GetBucketLifecycleConfiguration",
)
"""Every S3 call that reads a bucket setting, in the order a read makes them."""


@dataclass(frozen=True)
class StorageNeeds:
    """What storage rules read of each trail's resources: the bucket's S3 calls, the bucket
    owner's account public access block, the key (and its rotation), the log group."""

    bucket: frozenset[str] = frozenset()
    account_public_access_block: bool = False
    key: bool = False
    key_rotation: bool = False
    log_group: bool = False

    def __or__(self, other: StorageNeeds) -> StorageNeeds:
        return StorageNeeds(self.bucket | other.bucket,
                            self.account_public_access_block or other.account_public_access_block,
                            self.key or other.key, self.key_rotation or other.key_rotation,
                            self.log_group or other.log_group)

    @property
    def bucket_calls(self) -> tuple[str, ...]:
        return tuple(operation for operation in BUCKET_OPERATIONS if operation in self.bucket)

    @property
    def buckets(self) -> bool:
        """Whether any bucket datum is needed (and so the bucket owners: ListBuckets)."""
        return bool(self.bucket) or self.account_public_access_block


EVERYTHING = StorageNeeds(frozenset(BUCKET_OPERATIONS), account_public_access_block=True, key=True,
                          key_rotation=True, log_group=True)
"""Every storage read of a trail's resources: ``--with storage``."""

STORAGE_NEEDS: Mapping[StorageCheck, StorageNeeds] = {
    "bucket-not-public": StorageNeeds(
        frozenset({"GetBucketPolicyStatus", "GetPublicAccessBlock", "GetBucketOwnershipControls", "GetBucketAcl"}),
        account_public_access_block=True),
    "bucket-access-logging": StorageNeeds(frozenset({"GetBucketLogging"})),
    "bucket-delete-protection": StorageNeeds(frozenset({"GetBucketVersioning", "GetObjectLockConfiguration"})),
    "bucket-policy-scoped": StorageNeeds(frozenset({"GetBucketPolicy"})),
    "retention": StorageNeeds(frozenset({"GetBucketLifecycleConfiguration"}), log_group=True),
    "key-usable": StorageNeeds(key=True),
    "key-rotation": StorageNeeds(key=True, key_rotation=True),
    "store-healthy": StorageNeeds(),  # the stores: ListEventDataStores, GetEventDataStore
    "store-cmk": StorageNeeds(),
}
"""What each storage check reads of a trail's resources: the one table behind the plan."""


def storage_needs(rules: Iterable[Rule], everything: bool = False) -> StorageNeeds:
    """What the storage checks among ``rules`` read of each trail's resources, together; every
    read with ``everything`` (``--with storage``)."""
    if everything:
        return EVERYTHING
    needs = StorageNeeds()
    for rule in rules:
        if isinstance(rule, ConfigRule) and isinstance(rule.require, StorageRequirement):
            needs |= STORAGE_NEEDS[rule.require.check]
    return needs


@dataclass(frozen=True)
class Listed:
    """Where a listing found a resource: the scanned account that listed it and, when the answer
    said it, the Region (ListBuckets gives a bucket's Region only when S3 includes it)."""

    account_id: str
    region: str | None = None


@dataclass(frozen=True)
class Found:
    """What the listing reads found so far: bucket owners by name (``None``: ListBuckets not
    answered yet), and event data stores by ARN with where they were listed."""

    bucket_owners: Mapping[str, Listed] | None = None
    stores: Mapping[str, Listed] = field(default_factory=dict)


def storage_plan(needs: StorageNeeds, snapshot: Snapshot, found: Found = Found(),
                 stores: bool = False, trails: Sequence[Trail] | None = None) -> ReadPlan:
    """The storage reads of ``snapshot``'s trails for ``needs`` (of ``trails`` only, when given: those
    a shard reads for in other shards' accounts), as far as ``found`` lets them be placed; with
    ``stores`` (``--with event-data-stores``), the event data store reads as well."""
    placed: set[PlacedRead] = set()
    trails = snapshot.all_trails() if trails is None else trails
    global_region = _global_region(snapshot)
    buckets = trail_buckets(needs, trails)
    if buckets:
        placed |= {bucket_listing(snapshot, account.account_id) for account in snapshot.accounts}
        owners = found.bucket_owners or {}
        placed |= {read for bucket in buckets if bucket in owners
                   for read in _bucket_reads(needs, bucket, owners[bucket], global_region)}
    for trail in trails:
        key = _named(trail, "KmsKeyId")
        place = key_place(key, trail) if needs.key and key else None
        if key and place is not None:
            placed.add(PlacedRead(place[0], place[1], KeySettings(key, needs.key_rotation)))
        group = _named(trail, "CloudWatchLogsLogGroupArn")
        group_place = log_group_place(group) if needs.log_group and group else None
        if group_place is not None:
            placed.add(PlacedRead(group_place.account_id, group_place.region, LogGroupSettings(group_place.name)))
    if stores:
        placed |= {PlacedRead(account.account_id, region, EventDataStores())
                   for account in snapshot.accounts for region in account.regions}
        placed |= {PlacedRead(listed.account_id, _store_region(arn, listed), EventDataStoreSettings(arn))
                   for arn, listed in found.stores.items()}
    return ReadPlan.of(placed)


def trail_buckets(needs: StorageNeeds, trails: Iterable[Trail]) -> list[str]:
    """The buckets of ``trails`` whose owner ``needs`` asks for (and so ListBuckets), by name."""
    if not needs.buckets:
        return []
    return sorted({name for trail in trails if (name := _named(trail, "S3BucketName"))})


def bucket_listing(snapshot: Snapshot, account_id: str) -> PlacedRead:
    """ListBuckets in ``account_id``: it finds the buckets that account owns."""
    return PlacedRead(account_id, _global_region(snapshot), Buckets())


def _global_region(snapshot: Snapshot) -> str:
    return GLOBAL_EVENTS_REGION.get(snapshot.partition, GLOBAL_EVENTS_REGION["aws"])


def _named(trail: Trail, key: str) -> str | None:
    value = trail.document.get(key)
    return value if isinstance(value, str) and value else None


def _bucket_reads(needs: StorageNeeds, bucket: str, owner: Listed, global_region: str) -> set[PlacedRead]:
    """A bucket's settings in its owner account and Region (located first when S3 did not say),
    and the owner's account public access block."""
    placed: set[PlacedRead] = set()
    if needs.bucket_calls:
        placed.add(PlacedRead(owner.account_id, owner.region or global_region,
                              BucketSettings(bucket, needs.bucket_calls, locate=owner.region is None)))
    if needs.account_public_access_block:
        placed.add(PlacedRead(owner.account_id, global_region, AccountPublicAccessBlock()))
    return placed


def _store_region(arn: str, listed: Listed) -> str:
    """A store's home Region, from its ARN (where it was listed, if the ARN does not say)."""
    parsed = Arn.parse_or_none(arn)
    region = parsed.region if parsed is not None and parsed.region else listed.region
    assert region is not None, "a store is listed in a Region"
    return region
