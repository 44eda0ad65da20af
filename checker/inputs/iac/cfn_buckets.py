"""An ``AWS::S3::Bucket`` (and the ``AWS::S3::BucketPolicy`` naming it) -> the S3 Get* answers.

A template's bucket carries its posture inline: ``PublicAccessBlockConfiguration``,
``OwnershipControls``, ``AccessControl`` (a canned ACL), ``LoggingConfiguration``,
``VersioningConfiguration``, ``ObjectLockEnabled`` with ``ObjectLockConfiguration`` and
``LifecycleConfiguration``. A template creates its buckets, so what a property does not say is
S3's default for a new bucket (:func:`~checker.inputs.iac.storage.new_bucket`). A value the
template leaves to the deployment stays :class:`Unknown`, and so does the key it is in.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from checker.inputs.iac.storage import canned_grants, new_bucket
from checker.inputs.iac.values import Unknown

_CANNED = {"Private": "private", "PublicRead": "public-read", "PublicReadWrite": "public-read-write",
           "AuthenticatedRead": "authenticated-read", "LogDeliveryWrite": "log-delivery-write",
           "BucketOwnerRead": "bucket-owner-read", "BucketOwnerFullControl": "bucket-owner-full-control",
           "AwsExecRead": "aws-exec-read"}
"""CloudFormation's ``AccessControl`` names of the canned ACLs."""

POLICY_STATUS = Unknown("S3 computes whether the bucket policy is public (IsPublic) once it is deployed")


def bucket_document(properties: Mapping[str, Any], name: str) -> dict[str, Any]:
    """The Get* answers of the bucket ``name`` whose resolved ``properties`` are given."""
    document = new_bucket(_flag(properties.get("ObjectLockEnabled")))
    block = properties.get("PublicAccessBlockConfiguration")
    if isinstance(block, Mapping):  # a flag left out is off
        flags = {key: _flag(block.get(key)) for key in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy",
                                                          "RestrictPublicBuckets")}
        document["PublicAccessBlock"] = {key: value if isinstance(value, Unknown) else value is True
                                         for key, value in flags.items()}
    elif block is not None:
        document["PublicAccessBlock"] = block
    if properties.get("OwnershipControls") is not None:
        document["OwnershipControls"] = properties["OwnershipControls"]
    acl = properties.get("AccessControl")
    if acl is not None:
        document["Grants"] = acl if isinstance(acl, Unknown) else canned_grants(_CANNED.get(str(acl), str(acl)))
    logging = properties.get("LoggingConfiguration")
    if isinstance(logging, Mapping):  # no DestinationBucketName: the logs go into the bucket itself
        document["Logging"] = {"LoggingEnabled": {"TargetBucket": logging.get("DestinationBucketName") or name,
                                                  "TargetPrefix": logging.get("LogFilePrefix") or ""}}
    elif logging is not None:
        document["Logging"] = logging
    versioning = properties.get("VersioningConfiguration")
    if versioning is not None:
        document["Versioning"] = {"Status": versioning.get("Status")} if isinstance(versioning, Mapping) \
            else versioning
    lock = properties.get("ObjectLockConfiguration")
    if isinstance(lock, Mapping) and lock.get("ObjectLockEnabled") == "Enabled":
        document["ObjectLock"] = _object_lock(lock)
    elif lock is not None and not isinstance(lock, Mapping):
        document["ObjectLock"] = lock
    lifecycle = properties.get("LifecycleConfiguration")
    if lifecycle is not None:
        rules = lifecycle.get("Rules") if isinstance(lifecycle, Mapping) else lifecycle
        document["Lifecycle"] = {"Rules": [_rule(rule) for rule in rules]} if isinstance(rules, list) else rules
    return document


def policy_text(document: Any) -> Any:
    """``AWS::S3::BucketPolicy`` ``PolicyDocument`` as the JSON text GetBucketPolicy returns."""
    if isinstance(document, (Mapping, list)):
        return json.dumps(document)
    return document


def _object_lock(lock: Mapping[str, Any]) -> dict[str, Any]:
    shaped: dict[str, Any] = {"ObjectLockEnabled": "Enabled"}
    rule = lock.get("Rule")
    retention = rule.get("DefaultRetention") if isinstance(rule, Mapping) else None
    if isinstance(retention, Mapping):
        default = {key: _number(retention[key]) for key in ("Days", "Years") if retention.get(key) is not None}
        shaped["Rule"] = {"DefaultRetention": {"Mode": retention.get("Mode"), **default}}
    return shaped


def _rule(rule: Any) -> Any:
    """A ``LifecycleConfiguration`` rule as GetBucketLifecycleConfiguration returns it."""
    if not isinstance(rule, Mapping):
        return rule
    shaped: dict[str, Any] = {"Status": rule.get("Status")}
    if rule.get("Id") is not None:
        shaped["ID"] = rule["Id"]
    tags = rule.get("TagFilters")
    conditions: dict[str, Any] = {}
    if isinstance(tags, list) and tags:
        conditions["Tags"] = [{"Key": t.get("Key"), "Value": t.get("Value")} if isinstance(t, Mapping) else t
                              for t in tags]
    elif tags is not None and not isinstance(tags, list):
        conditions["Tags"] = tags
    for key in ("ObjectSizeGreaterThan", "ObjectSizeLessThan"):
        if rule.get(key) is not None:
            conditions[key] = _number(rule[key])
    prefix = rule.get("Prefix") or ""
    shaped["Filter"] = {"And": {"Prefix": prefix, **conditions}} if conditions else {"Prefix": prefix}
    expiration: dict[str, Any] = {}
    if rule.get("ExpirationInDays") is not None:
        expiration["Days"] = _number(rule["ExpirationInDays"])
    if rule.get("ExpirationDate") is not None:
        expiration["Date"] = rule["ExpirationDate"]
    if expiration:
        shaped["Expiration"] = expiration
    return shaped


def _flag(value: Any) -> Any:
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _number(value: Any) -> Any:
    """``"30"`` (CloudFormation passes numbers as text too) as 30; anything else as given, for the schema."""
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return value
