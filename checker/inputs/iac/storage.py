"""KMS keys and log groups that code defines, as DescribeKey and DescribeLogGroups will show them.

A trail's key and log group are often written beside it (``kms_key_id = aws_kms_key.trail.arn``,
``CloudWatchLogsLogGroupArn: !GetAtt TrailLogGroup.Arn``), so whether the key is enabled and
rotates, and how long the log group keeps events, is decided in the same change. Both
languages read their resources into a :class:`StorageItem`, listed under the identifier the
trail will name it by (the key's ARN, known or its stand-in; the log group's name), so the
storage rules find them as they find a collected key or log group.

What the code leaves to apply time stays unknown: the field is left out of the document and
the reason is kept (:class:`~checker.code_origin.Declaration` ``unknown``), so the rule that
reads it is ``skipped`` with that reason. A key or log group the code only references (a
literal ARN, a data source) is not defined here at all: its rules are ``skipped`` too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from checker.code_origin import Declaration, storage_id
from checker.findings import Location
from checker.inputs.iac.values import Unknown

StoragePart = Literal["buckets", "account_public_access_block", "kms_keys", "log_groups"]

SYMMETRIC = "SYMMETRIC_DEFAULT"


@dataclass(frozen=True)
class StorageItem:
    """A bucket, the account's public access block, a KMS key or a log group of the code, in its
    account and Region.

    ``name`` is what it is listed under: a bucket's name, a key's ARN, a log group's name (the
    account's block: ``""``). ``document`` is the API's shape (the bucket's Get* answers by
    snapshot key, a PublicAccessBlockConfiguration, DescribeKey ``KeyMetadata`` with
    ``KeyRotationEnabled``, a DescribeLogGroups item) with each value known or :class:`Unknown`.
    """

    resource: str
    location: Location | None
    account: str
    region: str
    part: StoragePart
    name: str
    document: dict[str, Any]

    @property
    def key(self) -> str:
        """Its key in :attr:`checker.code_origin.CodeOrigin.storage`."""
        listed = f"{self.region}/{self.name}" if self.part == "log_groups" else self.name
        return storage_id(self.part, self.account, listed)

    def known(self) -> tuple[dict[str, Any], Declaration]:
        """The document without its unknown values, and the declaration saying why each is unknown."""
        known = {k: v for k, v in self.document.items() if not isinstance(v, Unknown)}
        unknown = {k: v.reason for k, v in self.document.items() if isinstance(v, Unknown)}
        return known, Declaration(self.resource, self.location, unknown)


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


def bucket(resource: str, location: Location | None, account: str, region: str, name: str,
           document: dict[str, Any]) -> StorageItem:
    """A bucket: ``document`` holds the answers of the S3 Get* calls by snapshot key (docs/snapshot.md),
    a key left out being unknown; the bucket's Region is added."""
    return StorageItem(resource, location, account, region, "buckets", name, {"Region": region, **document})


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
