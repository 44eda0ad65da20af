"""An ``aws_s3_bucket`` and its companion resources -> the bucket as the S3 Get* calls answer.

Since version 4 of the AWS provider a bucket's settings are resources of their own, each
naming the bucket by ``bucket``: ``aws_s3_bucket_public_access_block``,
``aws_s3_bucket_ownership_controls``, ``aws_s3_bucket_acl``, ``aws_s3_bucket_policy``,
``aws_s3_bucket_logging``, ``aws_s3_bucket_versioning``,
``aws_s3_bucket_object_lock_configuration`` and ``aws_s3_bucket_lifecycle_configuration``.
Each is turned here into the answer of its Get* call (the snapshot's bucket keys, see
docs/snapshot.md), or :class:`Unknown` when a value it needs is known only after apply.

What no companion resource says depends on the bucket: one this change creates has S3's
defaults for a new bucket (:func:`~checker.inputs.iac.storage.new_bucket`); one that exists
already may hold anything, so that setting stays unknown.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from checker.inputs.iac.storage import canned_grants
from checker.inputs.iac.values import Unknown

BUCKET = "aws_s3_bucket"
ACCOUNT_BLOCK = "aws_s3_account_public_access_block"


def public_access_block(values: Mapping[str, Any]) -> dict[str, Any]:
    """``aws_s3_bucket_public_access_block`` or ``aws_s3_account_public_access_block`` (unset: false)."""
    block: dict[str, Any] = {}
    for api, name in (("BlockPublicAcls", "block_public_acls"), ("IgnorePublicAcls", "ignore_public_acls"),
                      ("BlockPublicPolicy", "block_public_policy"),
                      ("RestrictPublicBuckets", "restrict_public_buckets")):
        value = values.get(name)
        block[api] = value if isinstance(value, Unknown) else value is True
    return block


def ownership_controls(values: Mapping[str, Any]) -> Any:
    rule = _block(values, "rule")
    return rule if isinstance(rule, Unknown) else {"Rules": [{"ObjectOwnership": (rule or {}).get("object_ownership")}]}


def grants(values: Mapping[str, Any]) -> Any:
    """``aws_s3_bucket_acl``: its canned ``acl`` or its ``access_control_policy`` grants."""
    policy = _block(values, "access_control_policy")
    if isinstance(policy, Unknown):
        return policy
    if policy:
        return [_grant(grant) for grant in _blocks(policy, "grant")]
    acl = values.get("acl")
    return acl if isinstance(acl, Unknown) else canned_grants(str(acl))


def _grant(grant: Mapping[str, Any]) -> Any:
    grantee = _block(grant, "grantee") or {}
    if isinstance(grantee, Unknown):
        return grantee
    shaped: dict[str, Any] = {"Type": grantee.get("type")}
    for api, name in (("URI", "uri"), ("ID", "id"), ("EmailAddress", "email_address")):
        if grantee.get(name):
            shaped[api] = grantee[name]
    return {"Grantee": shaped, "Permission": grant.get("permission")}


def policy(values: Mapping[str, Any]) -> Any:
    """``aws_s3_bucket_policy``: the policy text (S3 returns it as written, in JSON)."""
    return values.get("policy")


def logging(values: Mapping[str, Any]) -> Any:
    target = {"TargetBucket": values.get("target_bucket"), "TargetPrefix": values.get("target_prefix") or ""}
    return {"LoggingEnabled": target}


def versioning(values: Mapping[str, Any]) -> Any:
    configuration = _block(values, "versioning_configuration")
    if configuration is None:
        return {}
    if isinstance(configuration, Unknown):
        return configuration
    shaped: dict[str, Any] = {}
    if configuration.get("status") in ("Enabled", "Suspended") or isinstance(configuration.get("status"), Unknown):
        shaped["Status"] = configuration["status"]
    if configuration.get("mfa_delete"):
        shaped["MFADelete"] = configuration["mfa_delete"]
    return shaped


def object_lock(values: Mapping[str, Any]) -> Any:
    """``aws_s3_bucket_object_lock_configuration`` (the bucket has Object Lock on: S3 requires it)."""
    rule = _block(values, "rule")
    if isinstance(rule, Unknown):
        return rule
    lock: dict[str, Any] = {"ObjectLockEnabled": "Enabled"}
    retention = _block(rule or {}, "default_retention")
    if isinstance(retention, Unknown):
        return retention
    if retention:
        default = {"Mode": retention.get("mode")}
        for api, name in (("Days", "days"), ("Years", "years")):
            if retention.get(name):
                default[api] = retention[name]
        lock["Rule"] = {"DefaultRetention": default}
    return lock


def lifecycle(values: Mapping[str, Any]) -> Any:
    """``aws_s3_bucket_lifecycle_configuration``: each ``rule`` as a GetBucketLifecycleConfiguration rule."""
    rules = values.get("rule")
    if isinstance(rules, Unknown):
        return rules
    return {"Rules": [_lifecycle_rule(rule) for rule in rules or () if isinstance(rule, Mapping)]}


def _lifecycle_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    shaped: dict[str, Any] = {"Status": rule.get("status")}
    if rule.get("id"):
        shaped["ID"] = rule["id"]
    found = _block(rule, "filter")
    if isinstance(found, Unknown):
        shaped["Filter"] = found
    elif found is not None:
        shaped["Filter"] = _filter(found)
    else:
        shaped["Prefix"] = rule.get("prefix") or ""
    expiration = _block(rule, "expiration")
    if isinstance(expiration, Unknown):
        shaped["Expiration"] = expiration
    elif expiration:
        expires: dict[str, Any] = {}
        if expiration.get("days"):
            expires["Days"] = expiration["days"]
        if expiration.get("date"):
            expires["Date"] = expiration["date"]
        if expires:
            shaped["Expiration"] = expires
    return shaped


def _filter(block: Mapping[str, Any]) -> Any:
    """A ``filter`` block as S3's ``Filter``: one condition, or ``And`` of several."""
    both = _block(block, "and")
    if isinstance(both, Unknown):
        return both
    if both:
        tags = both.get("tags")
        shaped: dict[str, Any] = {"Prefix": both.get("prefix") or ""}
        if isinstance(tags, Mapping) and tags:
            shaped["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
        _sizes(both, shaped)
        return {"And": shaped}
    tag = _block(block, "tag")
    if isinstance(tag, Unknown):
        return tag
    if tag:
        return {"Tag": {"Key": tag.get("key"), "Value": tag.get("value")}}
    sizes: dict[str, Any] = {}
    _sizes(block, sizes)
    return sizes or {"Prefix": block.get("prefix") or ""}


def _sizes(block: Mapping[str, Any], into: dict[str, Any]) -> None:
    for api, name in (("ObjectSizeGreaterThan", "object_size_greater_than"),
                      ("ObjectSizeLessThan", "object_size_less_than")):
        if block.get(name):
            into[api] = block[name]


def _blocks(values: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    found = values.get(name)
    return [b for b in found if isinstance(b, Mapping)] if isinstance(found, list) else []


def _block(values: Mapping[str, Any], name: str) -> Mapping[str, Any] | Unknown | None:
    """The first (only) ``name`` block; ``None`` when there is none."""
    found = values.get(name)
    if isinstance(found, Unknown):
        return found
    blocks = _blocks(values, name)
    return blocks[0] if blocks else None


COMPANIONS: dict[str, tuple[str, Callable[[Mapping[str, Any]], Any]]] = {
    "aws_s3_bucket_public_access_block": ("PublicAccessBlock", public_access_block),
    "aws_s3_bucket_ownership_controls": ("OwnershipControls", ownership_controls),
    "aws_s3_bucket_acl": ("Grants", grants),
    "aws_s3_bucket_policy": ("Policy", policy),
    "aws_s3_bucket_logging": ("Logging", logging),
    "aws_s3_bucket_versioning": ("Versioning", versioning),
    "aws_s3_bucket_object_lock_configuration": ("ObjectLock", object_lock),
    "aws_s3_bucket_lifecycle_configuration": ("Lifecycle", lifecycle),
}
"""Each companion resource: the bucket key it sets, and how its values read as that key's answer."""
