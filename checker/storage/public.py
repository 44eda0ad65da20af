"""``bucket-not-public``: is the trail's bucket open to the world, as S3 itself would say?

Two ways make a bucket public (docs/semantics.md, "Where the logs live"):

- its policy: S3 computes ``IsPublic`` (GetBucketPolicyStatus) from the policy text, and a
  ``RestrictPublicBuckets`` block on the bucket or on the account limits a public policy to AWS
  services and the owner's own principals, which neutralises it;
- its ACL: a grant to the AllUsers or AuthenticatedUsers group, but only while ACLs are in force:
  ``BucketOwnerEnforced`` object ownership disables ACLs, and ``IgnorePublicAcls`` on the
  bucket or the account makes S3 ignore public grants.

``BlockPublicAcls`` and ``BlockPublicPolicy`` only refuse *new* public settings and change
nothing already in place, so they do not count. A datum that was not read matters only if it
could change the answer (:mod:`checker.storage.facts`).
"""

from __future__ import annotations

from checker.storage.facts import FALSE, TRUE, Fact, all_of, any_of, known, negate
from checker.storage.judgement import Judgement, shown
from checker.storage_model import UNREAD, Bucket, Grant, Known, PublicAccessBlock, Unread

ENFORCED = "BucketOwnerEnforced"

_BUCKET_BLOCK = "the bucket's PublicAccessBlock (GetPublicAccessBlock)"
_ACCOUNT_BLOCK = "the account's PublicAccessBlock (S3 Control GetPublicAccessBlock)"


def bucket_not_public(bucket: Bucket, account_block: Known[PublicAccessBlock | None]) -> Judgement:
    """Whether ``bucket`` (with its account's public access block) is not public."""
    policy_public = _policy_public(bucket, account_block)
    acl_public = _acl_public(bucket, account_block)
    public = any_of(policy_public, acl_public)
    evidence = _evidence(bucket, account_block)
    evidence.update(public_by_policy=policy_public.value, public_by_acl=acl_public.value)
    name = bucket.name
    if public.value is None:
        return Judgement("error", f"cannot tell whether bucket {name} is public: not read: "
                                  f"{', '.join(public.unknown)}", evidence)
    if policy_public.value:
        return Judgement("fail", f"bucket {name} is public through its policy: S3 computes it as public "
                                 "(IsPublic) and no RestrictPublicBuckets, on the bucket or the account, "
                                 "restricts it", evidence)
    if acl_public.value:
        grants = ", ".join(sorted({f"{g.permission} to {_group(g.grantee_uri)}"
                                   for g in _grants(bucket) if g.is_public}))
        return Judgement("fail", f"bucket {name} is public through its ACL ({grants}) while ACLs are in force "
                                 f"(ObjectOwnership {bucket.object_ownership or 'not set'}, no IgnorePublicAcls on "
                                 "the bucket or the account)", evidence)
    return Judgement("pass", f"bucket {name} is not public: {_policy_reason(bucket, account_block)}; "
                             f"{_acl_reason(bucket, account_block)}", evidence)


def _block(name: str, block: Known[PublicAccessBlock | None], flag: str) -> Fact:
    """One flag of a public access block (none set: the flag is off)."""
    if isinstance(block, Unread):
        return Fact(None, (name,))
    return TRUE if block is not None and getattr(block, flag) else FALSE


def _restricted(bucket: Bucket, account_block: Known[PublicAccessBlock | None]) -> Fact:
    return any_of(_block(_BUCKET_BLOCK, bucket.public_access_block, "restrict_public_buckets"),
                  _block(_ACCOUNT_BLOCK, account_block, "restrict_public_buckets"))


def _ignored(bucket: Bucket, account_block: Known[PublicAccessBlock | None]) -> Fact:
    return any_of(_block(_BUCKET_BLOCK, bucket.public_access_block, "ignore_public_acls"),
                  _block(_ACCOUNT_BLOCK, account_block, "ignore_public_acls"))


def _policy_public(bucket: Bucket, account_block: Known[PublicAccessBlock | None]) -> Fact:
    is_public = known("PolicyStatus (GetBucketPolicyStatus)",
                      UNREAD if isinstance(bucket.is_public, Unread) else bool(bucket.is_public))
    return all_of(is_public, negate(_restricted(bucket, account_block)))


def _acl_public(bucket: Bucket, account_block: Known[PublicAccessBlock | None]) -> Fact:
    ownership = bucket.object_ownership
    in_force = known("OwnershipControls (GetBucketOwnershipControls)",
                     UNREAD if isinstance(ownership, Unread) else ownership != ENFORCED)
    grants = bucket.grants
    granted = known("the ACL (GetBucketAcl)",
                    UNREAD if isinstance(grants, Unread) else any(g.is_public for g in grants))
    return all_of(in_force, negate(_ignored(bucket, account_block)), granted)


def _policy_reason(bucket: Bucket, account_block: Known[PublicAccessBlock | None]) -> str:
    if bucket.is_public is None:
        return "no bucket policy"
    if bucket.is_public is False:
        return "S3 computes its policy as not public"
    if isinstance(bucket.is_public, Unread):
        return "RestrictPublicBuckets neutralises any public policy"
    return "RestrictPublicBuckets neutralises its public policy"


def _acl_reason(bucket: Bucket, account_block: Known[PublicAccessBlock | None]) -> str:
    if bucket.object_ownership == ENFORCED:
        return "ACLs are disabled (BucketOwnerEnforced)"
    if _ignored(bucket, account_block).value:
        return "IgnorePublicAcls makes S3 ignore public grants"
    return "no ACL grant to AllUsers or AuthenticatedUsers"


def _grants(bucket: Bucket) -> tuple[Grant, ...]:
    return () if isinstance(bucket.grants, Unread) else bucket.grants


def _group(uri: str | None) -> str:
    return (uri or "").rsplit("/", 1)[-1]


def _block_evidence(block: Known[PublicAccessBlock | None]) -> object:
    if isinstance(block, Unread) or block is None:
        return shown(block)
    return {"IgnorePublicAcls": block.ignore_public_acls, "RestrictPublicBuckets": block.restrict_public_buckets}


def _public_grants(grants: Known[tuple[Grant, ...]]) -> object:
    if isinstance(grants, Unread):
        return shown(grants)
    return [{"permission": g.permission, "grantee": g.grantee_uri} for g in grants if g.is_public]


def _evidence(bucket: Bucket, account_block: Known[PublicAccessBlock | None]) -> dict[str, object]:
    return {
        "IsPublic": shown(bucket.is_public),
        "bucket_public_access_block": _block_evidence(bucket.public_access_block),
        "account_public_access_block": _block_evidence(account_block),
        "ObjectOwnership": shown(bucket.object_ownership),
        "public_grants": _public_grants(bucket.grants),
    }
