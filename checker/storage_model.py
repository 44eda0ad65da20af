"""Where a trail's logs live and what protects them: buckets, keys, log groups, event data stores.

What the storage rules read (docs/semantics.md, "Where the logs live"). Each value mirrors
the AWS API answer it was read from. Three states are kept apart, because a rule must never
mistake one for another:

- :data:`UNREAD`: the datum was not read (not collected, or the call was denied): unknown;
- ``None`` where the API has a "not found" answer: read, and there is none
  (``NoSuchBucketPolicy``, ``NoSuchPublicAccessBlockConfiguration``,
  ``OwnershipControlsNotFoundError``, ``ObjectLockConfigurationNotFoundError``, no logging);
- a value: read, and this is it.

A bucket, key or log group that no scanned account describes is not in this model at all:
looking it up (:mod:`checker.storage_lookup`) says so, and the rules answer ``error``.

This module imports nothing of trailcheck at run time, so that :mod:`checker.model` can read
:data:`STORAGE_OPERATIONS` (a storage read that failed hides no trail).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, Literal, TypeAlias, TypeVar

if TYPE_CHECKING:
    from checker.model import AdvancedSelector


class Unread(Enum):
    """The marker of a datum that was not read (unknown), as opposed to ``None`` (read: none exists)."""

    UNREAD = "not read"


UNREAD = Unread.UNREAD

T = TypeVar("T")
Known: TypeAlias = T | Literal[Unread.UNREAD]
"""A datum that may not have been read: ``Known[PublicAccessBlock | None]``."""

StoragePart = Literal["buckets", "account_public_access_block", "kms_keys", "log_groups", "event_data_stores"]
"""One kind of storage data, as an account of the snapshot names it."""

ACCOUNT_PUBLIC_ACCESS_BLOCK_OPERATION = "GetAccountPublicAccessBlock"
"""The operation name a collection error carries when S3 Control's GetPublicAccessBlock (the
account's setting) fails; S3's own GetPublicAccessBlock is the bucket's."""

STORAGE_OPERATIONS: dict[str, StoragePart] = {
    "ListBuckets": "buckets",
    "GetBucketLocation": "buckets",
    "GetBucketPolicy": "buckets",
    "GetBucketPolicyStatus": "buckets",
    "GetPublicAccessBlock": "buckets",
    "GetBucketAcl": "buckets",
    "GetBucketOwnershipControls": "buckets",
    "GetBucketLogging": "buckets",
    "GetBucketVersioning": "buckets",
    "GetObjectLockConfiguration": "buckets",
    "GetBucketLifecycleConfiguration": "buckets",
    ACCOUNT_PUBLIC_ACCESS_BLOCK_OPERATION: "account_public_access_block",
    "DescribeKey": "kms_keys",
    "GetKeyRotationStatus": "kms_keys",
    "DescribeLogGroups": "log_groups",
    "ListEventDataStores": "event_data_stores",
    "GetEventDataStore": "event_data_stores",
}
"""The AWS operations that read each kind of storage data: a failure of one of them leaves
that datum unknown (the error's ``resource`` says which bucket, key or log group) and says
nothing about trails."""

PUBLIC_GRANTEE_URIS = frozenset({
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
})
"""ACL grantee groups that open a bucket to everyone (AuthenticatedUsers: any AWS account)."""


@dataclass(frozen=True)
class PublicAccessBlock:
    """A ``PublicAccessBlockConfiguration`` (of a bucket, or of the whole account through S3
    Control); a field absent from the answer is ``False``, as S3 treats it."""

    block_public_acls: bool = False
    ignore_public_acls: bool = False
    block_public_policy: bool = False
    restrict_public_buckets: bool = False


@dataclass(frozen=True)
class Grant:
    """A GetBucketAcl ``Grants`` item: the grantee (a canonical user id, or a group URI) and the permission."""

    permission: str
    grantee_type: str
    grantee_uri: str | None = None
    grantee_id: str | None = None

    @property
    def is_public(self) -> bool:
        """Granted to AllUsers or AuthenticatedUsers."""
        return self.grantee_uri in PUBLIC_GRANTEE_URIS


@dataclass(frozen=True)
class LoggingTarget:
    """GetBucketLogging ``LoggingEnabled``: where server access logs go."""

    target_bucket: str
    target_prefix: str = ""


@dataclass(frozen=True)
class Versioning:
    """GetBucketVersioning: ``status`` ``Enabled``/``Suspended`` (``None``: never enabled),
    ``mfa_delete`` ``Enabled``/``Disabled`` (``None``: never configured)."""

    status: str | None = None
    mfa_delete: str | None = None


@dataclass(frozen=True)
class ObjectLock:
    """GetObjectLockConfiguration: whether Object Lock is enabled and its default retention, if any."""

    enabled: bool
    mode: str | None = None
    days: int | None = None
    years: int | None = None


@dataclass(frozen=True)
class LifecycleRule:
    """One GetBucketLifecycleConfiguration rule, its filter flattened.

    ``prefix`` is the key prefix the rule applies to, from ``Filter.Prefix``,
    ``Filter.And.Prefix`` or the legacy top-level ``Prefix`` (``""``: every key).
    ``tags`` are the object tags the filter requires (``Filter.Tag``, ``Filter.And.Tags``);
    the size bounds are ``ObjectSizeGreaterThan``/``ObjectSizeLessThan``. ``expiration_days`` and
    ``expiration_date`` expire *current* objects; transitions and noncurrent-version
    expirations are kept only in ``document``.
    """

    id: str | None
    enabled: bool
    prefix: str = ""
    tags: tuple[tuple[str, str], ...] = ()
    object_size_greater_than: int | None = None
    object_size_less_than: int | None = None
    expiration_days: int | None = None
    expiration_date: str | None = None
    document: dict[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)


@dataclass(frozen=True)
class Bucket:
    """An S3 bucket, read in ``owner_account_id`` (the account whose ListBuckets lists it).

    ``is_public`` is GetBucketPolicyStatus ``PolicyStatus.IsPublic``, computed by S3 from the
    policy (``None``: no bucket policy). ``object_ownership`` is the ownership controls'
    ``ObjectOwnership`` (``None``: no ownership controls, so ACLs are in force).
    ``policy`` is the bucket policy as the JSON text S3 returns (``None``: no policy);
    parsing it is the rules' job, and a policy that does not parse is a fact about the estate.
    """

    name: str
    owner_account_id: str
    region: str | None = None
    is_public: Known[bool | None] = UNREAD
    public_access_block: Known[PublicAccessBlock | None] = UNREAD
    object_ownership: Known[str | None] = UNREAD
    grants: Known[tuple[Grant, ...]] = UNREAD
    policy: Known[str | None] = UNREAD
    logging: Known[LoggingTarget | None] = UNREAD
    versioning: Known[Versioning] = UNREAD
    object_lock: Known[ObjectLock | None] = UNREAD
    lifecycle: Known[tuple[LifecycleRule, ...]] = UNREAD
    document: dict[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)


@dataclass(frozen=True)
class KmsKey:
    """A KMS key as DescribeKey and GetKeyRotationStatus describe it, under the identifier a trail
    names it by (``key``: a key ARN, or an alias ARN that DescribeKey resolved to ``arn``).

    ``key_manager`` is ``CUSTOMER`` or ``AWS``; ``key_state`` is ``Enabled``, ``Disabled``,
    ``PendingDeletion``...; ``rotation_enabled`` is GetKeyRotationStatus ``KeyRotationEnabled``.
    Each is ``None`` when it was not read.
    """

    key: str
    owner_account_id: str
    arn: str | None = None
    key_manager: str | None = None
    key_state: str | None = None
    rotation_enabled: bool | None = None
    document: dict[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)


@dataclass(frozen=True)
class LogGroup:
    """A DescribeLogGroups item in its account and Region. ``retention_in_days`` ``None``: events never expire."""

    name: str
    owner_account_id: str
    region: str
    retention_in_days: int | None = None
    kms_key_id: str | None = None
    document: dict[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)


@dataclass(frozen=True)
class EventDataStore:
    """A CloudTrail Lake event data store (GetEventDataStore), in its owner account and home Region.

    ``status`` is ``ENABLED``, ``STOPPED_INGESTION``, ``PENDING_DELETION``...; a store records
    events only while ``ENABLED``. ``selectors`` are its advanced event selectors (``None``: not
    read). ``kms_key_id`` ``None``: encrypted with a key AWS owns, not a customer-managed one;
    :data:`UNREAD` when GetEventDataStore did not answer (ListEventDataStores names no key, so a
    store known only from the listing says nothing of its encryption). Other fields are ``None``
    when not read.
    """

    arn: str
    name: str | None
    owner_account_id: str
    region: str
    status: str | None = None
    multi_region: bool | None = None
    organization: bool | None = None
    retention_days: int | None = None
    termination_protection: bool | None = None
    kms_key_id: Known[str | None] = UNREAD
    selectors: tuple[AdvancedSelector, ...] | None = None
    document: dict[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)


@dataclass(frozen=True)
class AccountStorage:
    """The storage data read in one account.

    ``buckets`` and ``kms_keys`` hold what was read (keyed by bucket name and by the key
    identifier trails use); ``log_groups`` is Region -> name -> group, a Region absent when its
    groups were not read. ``public_access_block`` is the account's S3 Control setting.
    ``event_data_stores`` is Region -> stores, a Region absent when its stores were not listed
    (the ``event-data-stores`` family).
    """

    buckets: Mapping[str, Bucket] = field(default_factory=dict, hash=False)
    public_access_block: Known[PublicAccessBlock | None] = UNREAD
    kms_keys: Mapping[str, KmsKey] = field(default_factory=dict, hash=False)
    log_groups: Mapping[str, Mapping[str, LogGroup]] = field(default_factory=dict, hash=False)
    event_data_stores: Mapping[str, tuple[EventDataStore, ...]] = field(default_factory=dict, hash=False)
