"""Buckets, KMS keys and log groups that code defines, as the S3 Get* calls, DescribeKey and
DescribeLogGroups will answer for them.

A trail's bucket, key and log group are often written beside it (``kms_key_id =
aws_kms_key.trail.arn``, ``CloudWatchLogsLogGroupArn: !GetAtt TrailLogGroup.Arn``), so whether
the bucket is public, the key enabled and rotating, and how long logs are kept, is decided in
the same change. Both languages read their resources into a :class:`StorageItem`, listed under
the identifier the trail will name it by (the bucket's name, the key's ARN, known or its
stand-in, and the ARN of each alias that targets it; the log group's name), so the storage rules
find them as they find collected ones.

What the code leaves to apply time stays unknown: the field is left out of the document and
the reason is kept (:class:`~checker.code_origin.Declaration` ``unknown``), so the rule that
reads it is ``skipped`` with that reason. A bucket, key or log group the code only references
(a literal name or ARN, a data source) is not defined here at all: its rules are ``skipped`` too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from checker.code_origin import Declaration, storage_id
from checker.findings import Location
from checker.inputs.iac.values import Unknown, first_unknown, stand_in_arn

StoragePart = Literal["buckets", "account_public_access_block", "kms_keys", "log_groups"]

SYMMETRIC = "SYMMETRIC_DEFAULT"

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"

_CANNED: dict[str, list[tuple[str, str]]] = {
    "private": [], "bucket-owner-read": [], "bucket-owner-full-control": [], "aws-exec-read": [],
    "public-read": [(ALL_USERS, "READ")],
    "public-read-write": [(ALL_USERS, "READ"), (ALL_USERS, "WRITE")],
    "authenticated-read": [(AUTHENTICATED_USERS, "READ")],
    "log-delivery-write": [(LOG_DELIVERY, "WRITE"), (LOG_DELIVERY, "READ_ACP")],
}
"""The group grants of each canned ACL (Terraform's spelling), besides the owner's FULL_CONTROL."""


def canned_grants(acl: str) -> list[dict[str, Any]] | Unknown:
    """The ``Grants`` a canned ACL gives (``public-read``: READ to AllUsers)."""
    if acl not in _CANNED:
        return Unknown(f"canned ACL {acl!r} is not one S3 defines")
    return [{"Grantee": {"Type": "Group", "URI": uri}, "Permission": permission} for uri, permission in _CANNED[acl]]


def new_bucket(object_lock_enabled: Any) -> dict[str, Any]:
    """What S3 answers for a bucket just created, before anything else sets its posture: all four
    Block Public Access settings on and ACLs disabled (``BucketOwnerEnforced``), as S3 creates
    every bucket since April 2023; no policy, logging, versioning or lifecycle; Object Lock as
    ``object_lock_enabled`` says. ``PolicyStatus`` of a policy is never known from code: S3
    computes it once the policy is applied."""
    lock: Any = object_lock_enabled
    if not isinstance(lock, Unknown):
        lock = {"ObjectLockEnabled": "Enabled"} if lock is True else None
    return {"PolicyStatus": None, "Policy": None,
            "PublicAccessBlock": {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                                  "RestrictPublicBuckets": True},
            "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}, "Grants": [],
            "Logging": {}, "Versioning": {}, "ObjectLock": lock, "Lifecycle": {"Rules": []}}


@dataclass(frozen=True)
class StorageItem:
    """A bucket, the account's public access block, a KMS key or a log group of the code, in its
    account and Region.

    ``name`` is what it is listed under: a bucket's name, a key's ARN, a log group's name (the
    account's block: ``""``). ``document`` is the API's shape (the bucket's Get* answers by
    snapshot key, a PublicAccessBlockConfiguration, DescribeKey ``KeyMetadata`` with
    ``KeyRotationEnabled``, a DescribeLogGroups item) with each value known or :class:`Unknown`.
    ``written_by``: the resource that writes each of a bucket's settings, when another than the
    bucket does (a companion resource, a bucket policy), by snapshot key.
    """

    resource: str
    location: Location | None
    account: str
    region: str
    part: StoragePart
    name: str
    document: dict[str, Any]
    written_by: dict[str, Declaration] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """Its key in :attr:`checker.code_origin.CodeOrigin.storage`."""
        listed = f"{self.region}/{self.name}" if self.part == "log_groups" else self.name
        return storage_id(self.part, self.account, listed)

    def known(self) -> tuple[dict[str, Any], Declaration]:
        """The document without its unknown values, and the declaration saying why each is unknown."""
        known = {k: v for k, v in self.document.items() if not isinstance(v, Unknown)}
        unknown = {k: v.reason for k, v in self.document.items() if isinstance(v, Unknown)}
        return known, Declaration(self.resource, self.location, unknown, self.written_by)


def kms_key(resource: str, location: Location | None, account: str, region: str, arn: str,
            enabled: bool | Unknown | None, rotation: bool | Unknown | None, spec: str | Unknown | None,
            deleted: bool = False) -> StorageItem:
    """A customer-managed key (code creates no other kind): ``Enabled`` unless ``enabled`` is false,
    rotation off unless ``rotation`` is true (both the API's defaults); ``PendingDeletion`` when the
    change deletes it (deleting a key schedules its deletion, and CloudTrail can no longer use it)."""
    state: str | Unknown = enabled if isinstance(enabled, Unknown) else ("Disabled" if enabled is False else "Enabled")
    if deleted:
        state = "PendingDeletion"
    document: dict[str, Any] = {"Arn": arn, "KeyManager": "CUSTOMER", "KeyState": state,
                                "KeyRotationEnabled": False if rotation is None else rotation,
                                "KeySpec": spec or SYMMETRIC}
    return StorageItem(resource, location, account, region, "kms_keys", arn, document)


def aliased_key(resource: str, location: Location | None, account: str, region: str, alias: str,
                target: str | Unknown | None, keys: Sequence[StorageItem], here: str) -> StorageItem:
    """The key the alias ``alias`` (``alias/NAME``) names, listed under the alias's ARN, as a trail
    names it and as DescribeKey answers for an alias: the target key's settings and declaration when
    the code defines that key (the key, not the alias, decides them); otherwise every setting unknown
    with the reason (a key of another stack, a data source, a literal id; or a target not known yet).
    ``here`` is ``this plan`` or ``this template``."""
    arn = stand_in_arn("kms", region, account, alias)
    if isinstance(target, str) and target:
        key = _key_named(keys, account, region, target)
        if key is not None:
            return StorageItem(key.resource, key.location, account, region, "kms_keys", arn, key.document)
        why = Unknown(f"alias {alias} targets KMS key {target}, which is not defined in {here}: its settings are "
                      f"not in {here}")
    else:
        why = target if isinstance(target, Unknown) else Unknown(f"alias {alias} names no target key")
    document = dict.fromkeys(("Arn", "KeyManager", "KeyState", "KeyRotationEnabled"), why)
    return StorageItem(resource, location, account, region, "kms_keys", arn, document)


def _key_named(keys: Sequence[StorageItem], account: str, region: str, target: str) -> StorageItem | None:
    """The key of ``keys`` an alias's target (a key ARN, or a key id in the alias's account and
    Region) names."""
    for key in keys:
        if key.part == "kms_keys" and key.account == account and key.region == region and (
                key.name == target or (":" not in target and key.name.endswith(f":key/{target}"))):
            return key
    return None


def default_retention(billing_mode: Any) -> int | Unknown:
    """An event data store's ``RetentionPeriod`` when the code sets none: the billing mode's
    default, 2,557 days with ``FIXED_RETENTION_PRICING``, else 366 (``EXTENDABLE_RETENTION_PRICING``,
    the default billing mode)."""
    if isinstance(billing_mode, Unknown):
        return billing_mode
    return 2557 if billing_mode == "FIXED_RETENTION_PRICING" else 366


def bucket(resource: str, location: Location | None, account: str, region: str, name: str,
           document: dict[str, Any], written_by: dict[str, Declaration] | None = None) -> StorageItem:
    """A bucket: ``document`` holds the answers of the S3 Get* calls by snapshot key (docs/snapshot.md),
    a key left out being unknown, as is one whose answer holds a value known only after apply; the
    bucket's Region is added. ``written_by``: the resource writing each key, when not the bucket."""
    settled = {key: first_unknown(value) or value for key, value in document.items()}
    return StorageItem(resource, location, account, region, "buckets", name, {"Region": region, **settled},
                       dict(written_by or {}))


def account_block(resource: str, location: Location | None, account: str, region: str,
                  block: dict[str, Any]) -> StorageItem:
    """The account's S3 Block Public Access settings (S3 Control's PublicAccessBlockConfiguration)."""
    return StorageItem(resource, location, account, region, "account_public_access_block", "", block)


def log_group(resource: str, location: Location | None, account: str, region: str, name: str,
              retention: int | Unknown | None, kms_key_id: str | None) -> StorageItem:
    """A log group; ``retention`` ``None`` or 0 (Terraform's "never") keeps events forever, as a
    DescribeLogGroups item without ``retentionInDays`` says."""
    document: dict[str, Any] = {"logGroupName": name}
    if retention:
        document["retentionInDays"] = retention
    if kms_key_id:
        document["kmsKeyId"] = kms_key_id
    return StorageItem(resource, location, account, region, "log_groups", name, document)
