"""Storage reads: the calls behind each planned read, and the storage data of the accounts that own them.

The plan (:func:`checker.plan.storage.storage_plan`) says what to read for the rules in effect;
this module makes the calls, each with the owner account's credentials in the resource's
Region, in rounds: first the listings (ListBuckets in every scanned account, whose answers say
who owns each trail's bucket; ListEventDataStores) with the keys and log groups, then what the
listings let the plan place (the bucket settings, the owner's account public access block,
GetEventDataStore of each store). What comes back mirrors the API answers (``ResponseMetadata``
dropped, datetimes as ISO 8601) under the owner account's keys (docs/live-scans.md, "Storage"):

* ``buckets``: bucket name -> ``Region`` and one key per S3 call made (``PolicyStatus``,
  ``PublicAccessBlock``, ``OwnershipControls``, ``Grants``, ``Policy``, ``Logging``,
  ``Versioning``, ``ObjectLock``, ``Lifecycle``);
* ``account_public_access_block``: S3 Control's answer for the account;
* ``kms_keys``: the identifier a trail names the key by -> DescribeKey ``KeyMetadata`` with
  GetKeyRotationStatus ``KeyRotationEnabled``;
* ``log_groups``: Region -> the DescribeLogGroups items of the groups read there;
* ``event_data_stores``: Region -> the GetEventDataStore answers of the stores listed there.

S3's "not found" answers are answers: no policy, no public access block, no Object Lock, no
lifecycle, no ownership controls are written as the snapshot's "none" values. Any other
failure (AccessDenied, throttling past the retries, a key that does not exist) leaves the datum
out, unknown, and becomes an ``errors`` entry naming the operation, the Region and the resource;
the other calls of the same read are still made.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from botocore.exceptions import ClientError

from checker.inputs.clients import ClientFactory, Credentials
from checker.inputs.live.faults import Failure, attempt
from checker.inputs.live.trails import to_json
from checker.model import DataFamily, Snapshot
from checker.plan.reads import (
    AccountPublicAccessBlock,
    Buckets,
    BucketSettings,
    EventDataStores,
    EventDataStoreSettings,
    KeySettings,
    LogGroupSettings,
    PlacedRead,
    StorageRead,
    storage_read,
)
from checker.plan.storage import (
    Found,
    Listed,
    StorageNeeds,
    bucket_listing,
    storage_needs,
    storage_plan,
    trail_buckets,
)
from checker.policy.model import Rule
from checker.storage_model import ACCOUNT_PUBLIC_ACCESS_BLOCK_OPERATION, UNREAD, Known
from checker.typing_compat import assert_never

SERVICES: dict[type, str] = {Buckets: "s3", BucketSettings: "s3", AccountPublicAccessBlock: "s3control",
                             KeySettings: "kms", LogGroupSettings: "logs", EventDataStores: "cloudtrail",
                             EventDataStoreSettings: "cloudtrail"}
"""The boto3 service of each read."""

LIST_BUCKETS_PAGE = 10000
"""ListBuckets page size: S3 gives each bucket's Region only when the request names a parameter."""


@dataclass(frozen=True)
class BucketCall:
    """One S3 call on a bucket: the client method, the snapshot key it fills, the error codes that
    mean "there is none" and the value written then, and the part of the answer that is kept."""

    method: str
    key: str
    value: Callable[[dict[str, Any]], Any]
    none_codes: frozenset[str] = frozenset()
    none: Any = None


BUCKET_CALLS: Mapping[str, BucketCall] = {
    "GetBucketPolicyStatus": BucketCall("get_bucket_policy_status", "PolicyStatus", lambda r: r["PolicyStatus"],
                                        frozenset({"NoSuchBucketPolicy"})),
    "GetPublicAccessBlock": BucketCall("get_public_access_block", "PublicAccessBlock",
                                       lambda r: r["PublicAccessBlockConfiguration"],
                                       frozenset({"NoSuchPublicAccessBlockConfiguration"})),
    "GetBucketOwnershipControls": BucketCall("get_bucket_ownership_controls", "OwnershipControls",
                                             lambda r: r["OwnershipControls"],
                                             frozenset({"OwnershipControlsNotFoundError"})),
    "GetBucketAcl": BucketCall("get_bucket_acl", "Grants", lambda r: r.get("Grants", [])),
    "GetBucketPolicy": BucketCall("get_bucket_policy", "Policy", lambda r: r["Policy"],
                                  frozenset({"NoSuchBucketPolicy"})),
    "GetBucketLogging": BucketCall("get_bucket_logging", "Logging",
                                   lambda r: {k: r[k] for k in ("LoggingEnabled",) if k in r}),
    "GetBucketVersioning": BucketCall("get_bucket_versioning", "Versioning",
                                      lambda r: {k: r[k] for k in ("Status", "MFADelete") if k in r}),
    "GetObjectLockConfiguration": BucketCall("get_object_lock_configuration", "ObjectLock",
                                             lambda r: r["ObjectLockConfiguration"],
                                             frozenset({"ObjectLockConfigurationNotFoundError"})),
    "GetBucketLifecycleConfiguration": BucketCall("get_bucket_lifecycle_configuration", "Lifecycle",
                                                  lambda r: {"Rules": r.get("Rules", [])},
                                                  frozenset({"NoSuchLifecycleConfiguration"}), {"Rules": []}),
}
"""Every bucket call a plan may ask for (:data:`checker.plan.storage.BUCKET_OPERATIONS`)."""

ACCOUNT_BLOCK_NONE_CODES = frozenset({"NoSuchPublicAccessBlockConfiguration"})

ClientOf = Callable[[str, str], Any]
"""``(service, region) -> client`` acting as the account that owns the read."""


def service_of(read: StorageRead) -> str:
    return SERVICES[type(read)]


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code") or "")


# -- the calls ----------------------------------------------------------------------------------

def list_buckets(s3: Any) -> list[dict[str, Any]]:
    """Every bucket of the account: ``Name`` and, when S3 says it, ``BucketRegion``."""
    buckets: list[dict[str, Any]] = []
    for page in s3.get_paginator("list_buckets").paginate(PaginationConfig={"PageSize": LIST_BUCKETS_PAGE}):
        buckets += page.get("Buckets", [])
    return buckets


def bucket_location(s3: Any, bucket: str) -> str:
    """GetBucketLocation as a Region name: no constraint is us-east-1, ``EU`` the old eu-west-1."""
    constraint = s3.get_bucket_location(Bucket=bucket).get("LocationConstraint") or "us-east-1"
    return "eu-west-1" if constraint == "EU" else str(constraint)


def bucket_setting(s3: Any, bucket: str, call: BucketCall) -> Any:
    """One bucket setting as the snapshot writes it; a "not found" answer is the "none" value."""
    try:
        response = getattr(s3, call.method)(Bucket=bucket)
    except ClientError as exc:
        if _code(exc) in call.none_codes:
            return copy.deepcopy(call.none)
        raise
    return to_json(call.value(response))


def account_public_access_block(s3control: Any, account_id: str) -> dict[str, Any] | None:
    try:
        response = s3control.get_public_access_block(AccountId=account_id)
    except ClientError as exc:
        if _code(exc) in ACCOUNT_BLOCK_NONE_CODES:
            return None
        raise
    configuration: dict[str, Any] = to_json(response["PublicAccessBlockConfiguration"])
    return configuration


def describe_key(kms: Any, key: str) -> dict[str, Any]:
    metadata: dict[str, Any] = to_json(kms.describe_key(KeyId=key)["KeyMetadata"])
    return metadata


def key_rotation(kms: Any, key_arn: str) -> bool:
    return bool(kms.get_key_rotation_status(KeyId=key_arn)["KeyRotationEnabled"])


def describe_log_group(logs: Any, name: str) -> list[dict[str, Any]]:
    """The log group called ``name`` (a list: empty when there is none)."""
    found: list[dict[str, Any]] = []
    for page in logs.get_paginator("describe_log_groups").paginate(logGroupNamePrefix=name):
        found += [group for group in to_json(page.get("logGroups", [])) if group.get("logGroupName") == name]
    return found


def list_event_data_stores(cloudtrail: Any) -> list[dict[str, Any]]:
    """Every store of the account and Region: ``EventDataStoreArn`` and ``Name`` (the other fields
    of this answer are deprecated; GetEventDataStore gives them)."""
    stores: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {}
    while True:
        page = cloudtrail.list_event_data_stores(**kwargs)
        stores += [{k: store[k] for k in ("EventDataStoreArn", "Name") if k in store}
                   for store in page.get("EventDataStores", [])]
        if not page.get("NextToken"):
            return stores
        kwargs["NextToken"] = page["NextToken"]


def get_event_data_store(cloudtrail: Any, arn: str) -> dict[str, Any]:
    store: dict[str, Any] = to_json(cloudtrail.get_event_data_store(EventDataStore=arn))
    return store


# -- what an account collected ------------------------------------------------------------------

@dataclass
class AccountStorageData:
    """The storage data one account owns, as read so far."""

    account_id: str
    buckets: dict[str, dict[str, Any]] = field(default_factory=dict)
    account_block: Known[dict[str, Any] | None] = UNREAD
    """S3 Control's answer for the account (``None``: none set); UNREAD until it answered."""
    kms_keys: dict[str, dict[str, Any]] = field(default_factory=dict)
    log_groups: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)
    """Region -> log group name -> the DescribeLogGroups items of that name."""
    store_regions: set[str] = field(default_factory=set)
    """The Regions whose ListEventDataStores answered."""
    stores: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    """Store ARN -> (the Region that listed it, the store as read)."""

    def document(self) -> dict[str, Any]:
        """The account's storage keys, each in a stable order; a key is absent when nothing of it was read."""
        document: dict[str, Any] = {}
        if self.buckets:
            document["buckets"] = {name: self.buckets[name] for name in sorted(self.buckets)}
        if self.account_block is not UNREAD:
            document["account_public_access_block"] = self.account_block
        if self.kms_keys:
            document["kms_keys"] = {key: self.kms_keys[key] for key in sorted(self.kms_keys)}
        if self.log_groups:
            document["log_groups"] = {region: [group for name in sorted(groups) for group in groups[name]]
                                      for region, groups in sorted(self.log_groups.items())}
        if self.store_regions:
            by_region: dict[str, list[dict[str, Any]]] = {region: [] for region in sorted(self.store_regions)}
            for arn in sorted(self.stores):
                region, store = self.stores[arn]
                by_region[region].append(store)
            document["event_data_stores"] = by_region
        return document


@dataclass
class StorageCollection:
    """What a storage collection read, by owner account, and what its listings found."""

    accounts: dict[str, AccountStorageData] = field(default_factory=dict)
    errors: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    bucket_owners: dict[str, Listed] = field(default_factory=dict)
    stores: dict[str, Listed] = field(default_factory=dict)

    def found(self) -> Found:
        return Found(self.bucket_owners, self.stores)

    def data(self, account_id: str) -> AccountStorageData:
        return self.accounts.setdefault(account_id, AccountStorageData(account_id))

    def fail(self, placed: PlacedRead, failure: Failure, operation: str, region: str | None,
             resource: str | None) -> None:
        self.errors.setdefault(placed.account_id, []).append(failure.entry(region, operation, resource=resource))


# -- one read -----------------------------------------------------------------------------------

def perform(placed: PlacedRead, client_of: ClientOf, collection: StorageCollection) -> Callable[[], None]:
    """Make the calls of one read (on a worker thread); what it returns records the answers in
    ``collection`` (on the collecting thread)."""
    read = storage_read(placed.read)
    region = placed.region
    if isinstance(read, Buckets):
        return _listed_buckets(placed, attempt(lambda: list_buckets(client_of("s3", region))), collection)
    if isinstance(read, BucketSettings):
        return _bucket(placed, read, client_of, collection)
    if isinstance(read, AccountPublicAccessBlock):
        block = attempt(lambda: account_public_access_block(client_of("s3control", region), placed.account_id))
        return lambda: _record_account_block(placed, block, collection)
    if isinstance(read, KeySettings):
        return _key(placed, read, client_of("kms", region), collection)
    if isinstance(read, LogGroupSettings):
        groups = attempt(lambda: describe_log_group(client_of("logs", region), read.log_group))
        return lambda: _record_log_group(placed, read, groups, collection)
    if isinstance(read, EventDataStores):
        listed = attempt(lambda: list_event_data_stores(client_of("cloudtrail", region)))
        return lambda: _record_store_list(placed, listed, collection)
    if isinstance(read, EventDataStoreSettings):
        store = attempt(lambda: get_event_data_store(client_of("cloudtrail", region), read.arn))
        return lambda: _record_store(placed, read, store, collection)
    assert_never(read)


def _listed_buckets(placed: PlacedRead, answer: list[dict[str, Any]] | Failure,
                    collection: StorageCollection) -> Callable[[], None]:
    def record() -> None:
        if isinstance(answer, Failure):
            collection.fail(placed, answer, "ListBuckets", None, None)
            return
        for bucket in answer:
            known = collection.bucket_owners.get(bucket["Name"])
            if known is None or placed.account_id < known.account_id:  # one owner, the same every run
                collection.bucket_owners[bucket["Name"]] = Listed(placed.account_id, bucket.get("BucketRegion"))
    return record


def _bucket(placed: PlacedRead, read: BucketSettings, client_of: ClientOf,
            collection: StorageCollection) -> Callable[[], None]:
    """Locate the bucket if need be, then make every call asked for, whatever failed before."""
    region: str | Failure = placed.region
    if read.locate:
        region = attempt(lambda: bucket_location(client_of("s3", placed.region), read.bucket))
    where = region if isinstance(region, str) else placed.region
    s3 = client_of("s3", where)
    answers = {operation: _bucket_answer(s3, read.bucket, BUCKET_CALLS[operation]) for operation in read.calls}

    def record() -> None:
        document = collection.data(placed.account_id).buckets.setdefault(read.bucket, {})
        if isinstance(region, Failure):
            collection.fail(placed, region, "GetBucketLocation", None, read.bucket)
        else:
            document["Region"] = region
        for operation, answer in answers.items():
            if isinstance(answer, Failure):
                collection.fail(placed, answer, operation, where, read.bucket)
            else:
                document[BUCKET_CALLS[operation].key] = answer
    return record


def _bucket_answer(s3: Any, bucket: str, call: BucketCall) -> Any:
    return attempt(lambda: bucket_setting(s3, bucket, call))


def _record_account_block(placed: PlacedRead, block: dict[str, Any] | Failure | None,
                          collection: StorageCollection) -> None:
    if isinstance(block, Failure):
        collection.fail(placed, block, ACCOUNT_PUBLIC_ACCESS_BLOCK_OPERATION, None, None)
    else:
        collection.data(placed.account_id).account_block = block


def _key(placed: PlacedRead, read: KeySettings, kms: Any, collection: StorageCollection) -> Callable[[], None]:
    """DescribeKey, then GetKeyRotationStatus when asked and the key is a customer's."""
    metadata = attempt(lambda: describe_key(kms, read.key))
    rotation: bool | Failure | None = None
    if read.rotation and isinstance(metadata, dict) and metadata.get("KeyManager") == "CUSTOMER":
        rotation = attempt(lambda: key_rotation(kms, str(metadata.get("Arn") or read.key)))

    def record() -> None:
        if isinstance(metadata, Failure):
            collection.fail(placed, metadata, "DescribeKey", placed.region, read.key)
            return
        document = dict(metadata)
        if isinstance(rotation, Failure):
            collection.fail(placed, rotation, "GetKeyRotationStatus", placed.region, read.key)
        elif rotation is not None:
            document["KeyRotationEnabled"] = rotation
        collection.data(placed.account_id).kms_keys[read.key] = document
    return record


def _record_log_group(placed: PlacedRead, read: LogGroupSettings, groups: list[dict[str, Any]] | Failure,
                      collection: StorageCollection) -> None:
    if isinstance(groups, Failure):
        collection.fail(placed, groups, "DescribeLogGroups", placed.region, read.log_group)
        return
    collection.data(placed.account_id).log_groups.setdefault(placed.region, {})[read.log_group] = groups


def _record_store_list(placed: PlacedRead, listed: list[dict[str, Any]] | Failure,
                       collection: StorageCollection) -> None:
    if isinstance(listed, Failure):
        collection.fail(placed, listed, "ListEventDataStores", placed.region, None)
        return
    data = collection.data(placed.account_id)
    data.store_regions.add(placed.region)
    for store in listed:
        arn = store["EventDataStoreArn"]
        known = collection.stores.get(arn)
        if known is None or placed.account_id < known.account_id:
            collection.stores[arn] = Listed(placed.account_id, placed.region)
            data.stores[arn] = (placed.region, store)  # until GetEventDataStore answers: only its name known


def _record_store(placed: PlacedRead, read: EventDataStoreSettings, store: dict[str, Any] | Failure,
                  collection: StorageCollection) -> None:
    data = collection.data(placed.account_id)
    listed_in = data.stores[read.arn][0] if read.arn in data.stores else placed.region
    if isinstance(store, Failure):
        collection.fail(placed, store, "GetEventDataStore", placed.region, read.arn)
        return
    data.stores[read.arn] = (listed_in, store)


# -- the rounds ---------------------------------------------------------------------------------

FAMILIES_READ: frozenset[DataFamily] = frozenset({"storage", "event-data-stores"})
"""The data families this module collects."""


@dataclass(frozen=True)
class Elsewhere:
    """A shard's way into the accounts in scope that other shards collect: a resource that one of
    its own trails names there (a member trail's bucket, key or log group in a central account) is
    read there, as a visit, since the owner's shard does not know the trail and would not read it.

    ``accounts`` are those accounts in the order their ListBuckets is tried, ``enter`` enters some
    of them (at most once each) and gives the credentials of those entered, and ``batch`` is how
    many are searched at once for a bucket the shard's own ListBuckets did not find."""

    accounts: Sequence[str]
    enter: Callable[[Sequence[str]], Mapping[str, Credentials]]
    batch: int


def collect_storage(rules: Sequence[Rule], families: frozenset[DataFamily], asked: Iterable[DataFamily],
                    snapshot: Snapshot, entered: Mapping[str, Credentials], clients: ClientFactory,
                    pool: Executor, elsewhere: Elsewhere | None = None) -> StorageCollection:
    """Read what the storage rules among ``rules`` ask of ``snapshot``'s trails (every storage
    datum when ``asked`` has ``storage``) and, with ``event-data-stores`` among ``families``, the
    stores, in the ``entered`` accounts, until the plan needs nothing new: listings first, then
    what they found. A read owned by an account that was not entered is not made (unknown),
    unless it serves a trail of an ``entered`` account and ``elsewhere`` reaches its owner: then
    it is made there (a visit), and a bucket no ``entered`` account lists is looked for in
    ``elsewhere``'s accounts, a batch at a time, until every such bucket is found."""
    needs = storage_needs(rules, "storage" in asked) if "storage" in families else StorageNeeds()
    stores = "event-data-stores" in families
    collection = StorageCollection()
    done: set[PlacedRead] = set()
    visitor = _Visitor(snapshot, needs, entered, elsewhere)
    while True:
        own = storage_plan(needs, snapshot, collection.found(), stores).without(done).for_accounts(entered)
        wanted = [*own, *visitor.reads(collection, done, listing=any(isinstance(p.read, Buckets) for p in own))]
        if not wanted:
            return collection
        done.update(wanted)
        credentials = {**entered, **visitor.entered}
        for record in pool.map(partial(_perform_as_owner, entered=credentials, clients=clients,
                                       collection=collection), wanted):
            record()


class _Visitor:
    """The reads a shard makes in other shards' accounts for its own trails (see :class:`Elsewhere`)."""

    def __init__(self, snapshot: Snapshot, needs: StorageNeeds, own: Mapping[str, Credentials],
                 elsewhere: Elsewhere | None) -> None:
        self.snapshot = snapshot
        self.needs = needs
        self.elsewhere = elsewhere
        self.trails = [trail for trail in snapshot.all_trails() if trail.owner_account_id in own] \
            if elsewhere is not None else []
        self.entered: dict[str, Credentials] = {}
        self.tried: set[str] = set()
        self.searched = 0

    def reads(self, collection: StorageCollection, done: set[PlacedRead], listing: bool) -> list[PlacedRead]:
        """The next round's visits: the reads placed in other shards' accounts for this shard's trails
        and, once this shard's ListBuckets answered (no ``listing`` under way), ListBuckets in the
        next batch of other accounts while a bucket of its trails is still unfound."""
        if self.elsewhere is None or not self.trails:
            return []
        accounts = set(self.elsewhere.accounts)
        placed = storage_plan(self.needs, self.snapshot, collection.found(), trails=self.trails).without(done)
        wanted = [read for read in placed if read.account_id in accounts]
        self._enter(sorted({read.account_id for read in wanted}))
        found = collection.bucket_owners
        unfound = [name for name in trail_buckets(self.needs, self.trails) if name not in found]
        if unfound and not listing:
            batch = list(self.elsewhere.accounts[self.searched:self.searched + self.elsewhere.batch])
            self.searched += len(batch)
            self._enter(batch)
            wanted += [bucket_listing(self.snapshot, account_id) for account_id in batch]
        return [read for read in wanted if read.account_id in self.entered and read not in done]

    def _enter(self, accounts: Sequence[str]) -> None:
        assert self.elsewhere is not None
        new = [account_id for account_id in accounts if account_id not in self.tried]
        if new:
            self.tried.update(new)
            self.entered.update(self.elsewhere.enter(new))


def _perform_as_owner(placed: PlacedRead, entered: Mapping[str, Credentials], clients: ClientFactory,
                      collection: StorageCollection) -> Callable[[], None]:
    credentials = entered[placed.account_id]
    return perform(placed, lambda service, region: clients.client(service, region, credentials), collection)

