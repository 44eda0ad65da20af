"""The monitoring reads a live collection makes, placed in the account and Region that own them.

Each read is one resource (or one account and Region, for the alarms) and the API calls that
read it; every call is paginated, so a read costs one call per page. A resource is read with
its owner's credentials in its own Region: a trail's log group where its ARN says, a topic or
an event bus where its ARN says, so an organization trail's log group is read in the
management account once, however many members its chains serve.

:class:`ReadPlan` is plain data, account -> Region -> reads: a collection split by account
(a CI matrix of shards) gives each shard the reads its accounts own.

The storage reads (:mod:`checker.plan.storage`) follow the same rule: a trail's bucket is read
in the account whose ListBuckets lists it, its key and log group where their ARNs say, and an
event data store where its ARN says. An account-wide read (ListBuckets, the account's public
access block) is placed in the partition's global Region.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import ClassVar


@dataclass(frozen=True)
class MetricFilters:
    """DescribeMetricFilters of one log group (``logGroupName``), all pages."""

    log_group: str
    operations: ClassVar[tuple[str, ...]] = ("DescribeMetricFilters",)

    @property
    def resource(self) -> str | None:
        return self.log_group


@dataclass(frozen=True)
class Alarms:
    """DescribeAlarms of every metric alarm of the account and Region (``AlarmTypes``
    ``MetricAlarm``), all pages: one call per 100 alarms, whatever metrics the filters publish."""

    operations: ClassVar[tuple[str, ...]] = ("DescribeAlarms",)

    @property
    def resource(self) -> str | None:
        return None


@dataclass(frozen=True)
class TopicSubscribers:
    """ListSubscriptionsByTopic (all pages) and GetTopicAttributes (for ``KmsMasterKeyId``) of one topic."""

    topic_arn: str
    operations: ClassVar[tuple[str, ...]] = ("ListSubscriptionsByTopic", "GetTopicAttributes")

    @property
    def resource(self) -> str | None:
        return self.topic_arn


@dataclass(frozen=True)
class BusRules:
    """ListRules of one event bus (by name; ``default`` is the bus CloudTrail delivers to), all pages."""

    bus: str
    operations: ClassVar[tuple[str, ...]] = ("ListRules",)

    @property
    def resource(self) -> str | None:
        return self.bus


@dataclass(frozen=True)
class RuleTargets:
    """ListTargetsByRule of one rule of the bus ``bus``, all pages."""

    bus: str
    rule: str
    operations: ClassVar[tuple[str, ...]] = ("ListTargetsByRule",)

    @property
    def resource(self) -> str | None:
        return f"{self.bus}/{self.rule}"


@dataclass(frozen=True)
class Buckets:
    """ListBuckets of the account, all pages: which scanned account owns a trail's bucket (a
    bucket's name is global and says nothing of its owner), and in which Region, when S3 says."""

    operations: ClassVar[tuple[str, ...]] = ("ListBuckets",)

    @property
    def resource(self) -> str | None:
        return None


@dataclass(frozen=True)
class BucketSettings:
    """The settings of one bucket that the rules in effect need (``calls``, S3 operations in
    :data:`checker.plan.storage.BUCKET_OPERATIONS` order), read by its owner in its Region;
    ``locate``: the Region is not known yet, so GetBucketLocation comes first."""

    bucket: str
    calls: tuple[str, ...]
    locate: bool = False

    @property
    def operations(self) -> tuple[str, ...]:
        return ("GetBucketLocation", *self.calls) if self.locate else self.calls

    @property
    def resource(self) -> str | None:
        return self.bucket


@dataclass(frozen=True)
class AccountPublicAccessBlock:
    """S3 Control GetPublicAccessBlock of the account: the public access block of all its buckets."""

    operations: ClassVar[tuple[str, ...]] = ("GetPublicAccessBlock",)

    @property
    def resource(self) -> str | None:
        return None


@dataclass(frozen=True)
class KeySettings:
    """DescribeKey of one KMS key, by the identifier a trail names it with (a key or alias ARN);
    with ``rotation``, GetKeyRotationStatus as well when DescribeKey says the key is a customer's
    (AWS rotates its own keys, and refuses the call for them)."""

    key: str
    rotation: bool = False

    @property
    def operations(self) -> tuple[str, ...]:
        return ("DescribeKey", "GetKeyRotationStatus") if self.rotation else ("DescribeKey",)

    @property
    def resource(self) -> str | None:
        return self.key


@dataclass(frozen=True)
class LogGroupSettings:
    """DescribeLogGroups with the group's name as prefix (all pages), keeping the group of that name."""

    log_group: str
    operations: ClassVar[tuple[str, ...]] = ("DescribeLogGroups",)

    @property
    def resource(self) -> str | None:
        return self.log_group


@dataclass(frozen=True)
class EventDataStores:
    """ListEventDataStores of the account and Region, all pages: which stores exist there."""

    operations: ClassVar[tuple[str, ...]] = ("ListEventDataStores",)

    @property
    def resource(self) -> str | None:
        return None


@dataclass(frozen=True)
class EventDataStoreSettings:
    """GetEventDataStore of one store, by ARN (ListEventDataStores' copies of these fields are deprecated)."""

    arn: str
    operations: ClassVar[tuple[str, ...]] = ("GetEventDataStore",)

    @property
    def resource(self) -> str | None:
        return self.arn


MonitoringRead = MetricFilters | Alarms | TopicSubscribers | BusRules | RuleTargets
StorageRead = (Buckets | BucketSettings | AccountPublicAccessBlock | KeySettings | LogGroupSettings
               | EventDataStores | EventDataStoreSettings)
Read = MonitoringRead | StorageRead

MONITORING_READS = (MetricFilters, Alarms, TopicSubscribers, BusRules, RuleTargets)
STORAGE_READS = (Buckets, BucketSettings, AccountPublicAccessBlock, KeySettings, LogGroupSettings,
                 EventDataStores, EventDataStoreSettings)

_READ_ORDER: dict[type, int] = {kind: index for index, kind in enumerate((*MONITORING_READS, *STORAGE_READS))}


def monitoring_read(read: Read) -> MonitoringRead:
    """``read`` as a monitoring read; a storage read here is a bug of the caller."""
    if isinstance(read, MONITORING_READS):
        return read
    raise TypeError(f"not a monitoring read: {read!r}")


def storage_read(read: Read) -> StorageRead:
    """``read`` as a storage read; a monitoring read here is a bug of the caller."""
    if isinstance(read, STORAGE_READS):
        return read
    raise TypeError(f"not a storage read: {read!r}")


def read_order(read: Read) -> tuple[int, str]:
    """Reads in a stable order: by kind, then by resource."""
    return _READ_ORDER[type(read)], read.resource or ""


@dataclass(frozen=True)
class PlacedRead:
    """One read in the account and Region that own the resource."""

    account_id: str
    region: str
    read: Read

    def order(self) -> tuple[str, str, tuple[int, str]]:
        return self.account_id, self.region, read_order(self.read)


@dataclass(frozen=True)
class ReadPlan:
    """Reads by owner: account id -> Region -> reads."""

    owners: Mapping[str, Mapping[str, frozenset[Read]]] = field(default_factory=dict)

    @classmethod
    def of(cls, placed: Iterable[PlacedRead]) -> ReadPlan:
        owners: dict[str, dict[str, set[Read]]] = {}
        for item in placed:
            owners.setdefault(item.account_id, {}).setdefault(item.region, set()).add(item.read)
        return cls({account: {region: frozenset(reads) for region, reads in sorted(regions.items())}
                    for account, regions in sorted(owners.items())})

    def placed(self) -> list[PlacedRead]:
        """Every read, in account, Region and read order."""
        return sorted((PlacedRead(account, region, read) for account, regions in self.owners.items()
                       for region, reads in regions.items() for read in reads), key=PlacedRead.order)

    def __iter__(self) -> Iterator[PlacedRead]:
        return iter(self.placed())

    def __len__(self) -> int:
        return sum(len(reads) for regions in self.owners.values() for reads in regions.values())

    def without(self, done: Collection[PlacedRead]) -> ReadPlan:
        """The reads not in ``done``."""
        return ReadPlan.of(item for item in self.placed() if item not in done)

    def for_accounts(self, accounts: Collection[str]) -> ReadPlan:
        """The reads that ``accounts`` own (one shard's part)."""
        return ReadPlan({account: regions for account, regions in self.owners.items() if account in accounts})

    def to_dict(self) -> dict[str, dict[str, list[dict[str, str]]]]:
        """``{account: {region: [{"read": "ListRules", "resource": "default"}, ...]}}``, as JSON."""
        return {account: {region: [{"read": type(read).__name__, **({"resource": read.resource}
                                                                    if read.resource else {})}
                                   for read in sorted(reads, key=read_order)]
                          for region, reads in regions.items()}
                for account, regions in self.owners.items()}
