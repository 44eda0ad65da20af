"""A storage check on one trail or event data store: find the resource, judge it, say where it is.

The trail's bucket, KMS key and log group are looked up in whichever scanned account owns them
(:mod:`checker.storage_lookup`); a resource no scanned account describes is an ``error`` naming
it and the account to scan, never a pass. Findings keep the trail's identity: the resource, and
the account that owns it, go into the evidence (``bucket``, ``kms_key``, ``log_group``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from checker.model import Snapshot, Trail
from checker.plan.rules import MISSING_FAMILY
from checker.policy.model import StorageCheck, StorageRequirement
from checker.storage.bucket_policy import bucket_policy_scoped
from checker.storage.bucket_protection import bucket_access_logging, bucket_delete_protection
from checker.storage.judgement import Judgement, worst
from checker.storage.keys import key_rotation, key_usable
from checker.storage.on_code import judged_on_code, retention_on_code, skip_on_code, unknown_setting
from checker.storage.public import bucket_not_public
from checker.storage.retention import bucket_retention, log_group_retention, log_prefix
from checker.storage.stores import store_cmk, store_healthy
from checker.storage_lookup import (
    Located,
    Unlocated,
    located_errors,
    trail_bucket,
    trail_key,
    trail_log_group,
)
from checker.storage_model import (
    UNREAD,
    Bucket,
    EventDataStore,
    KmsKey,
    Known,
    LogGroup,
    PublicAccessBlock,
    StoragePart,
)
from checker.typing_compat import assert_never

R = TypeVar("R", Bucket, KmsKey, LogGroup)

NO_KEY = "the trail has no KMS key (kms-encryption reports it)"


def skip_reason(requirement: StorageRequirement, snapshot: Snapshot) -> str | None:
    """Why the check cannot be judged on this snapshot at all, or ``None``."""
    if snapshot.code is not None:
        return skip_on_code(requirement, snapshot, snapshot.code)
    if not snapshot.carries(requirement.family):
        return MISSING_FAMILY[requirement.family]
    return None


def judge_trail(check: StorageCheck, snapshot: Snapshot, trail: Trail, params: Mapping[str, Any]) -> Judgement:
    """A trail check (every check but the event data store ones) on ``trail``."""
    if check == "bucket-not-public":
        return _on_bucket(snapshot, trail, lambda found: bucket_not_public(
            found.resource, _account_block(snapshot, found.account_id)), ("account_public_access_block",))
    if check == "bucket-access-logging":
        return _on_bucket(snapshot, trail, lambda found: bucket_access_logging(found.resource), settings=("Logging",))
    if check == "bucket-delete-protection":
        return _on_bucket(snapshot, trail, lambda found: bucket_delete_protection(found.resource),
                          settings=("ObjectLock", "Versioning"))
    if check == "bucket-policy-scoped":
        return _on_bucket(snapshot, trail, lambda found: bucket_policy_scoped(found.resource), settings=("Policy",))
    if check == "retention":
        return _retention(snapshot, trail, int(params["min_days"]))
    if check == "key-usable":
        return _on_key(snapshot, trail, key_usable, ("KeyState",))
    if check == "key-rotation":
        return _on_key(snapshot, trail, key_rotation, ("KeyManager", "KeyRotationEnabled"))
    if check == "store-healthy" or check == "store-cmk":
        raise AssertionError(f"{check} is judged per event data store (the loader checks the scope)")
    assert_never(check)


def judge_store(check: StorageCheck, store: EventDataStore, params: Mapping[str, Any]) -> Judgement:
    """An event data store check on ``store``."""
    if check == "store-healthy":
        return store_healthy(store, int(params["min_days"]))
    if check == "store-cmk":
        return store_cmk(store)
    raise AssertionError(f"{check} is judged per trail (the loader checks the scope)")


def _account_block(snapshot: Snapshot, account_id: str) -> Known[PublicAccessBlock | None]:
    account = snapshot.account(account_id)
    return account.storage.public_access_block if account is not None and account.storage is not None else UNREAD


def _on_bucket(snapshot: Snapshot, trail: Trail, check: Callable[[Located[Bucket]], Judgement],
               account_wide: tuple[StoragePart, ...] = (), settings: tuple[str, ...] = ()) -> Judgement:
    """``check`` on the trail's bucket; ``settings``: the bucket settings (snapshot keys) it reads,
    whose writer in code is where its finding points (checker.storage.on_code)."""
    found = trail_bucket(snapshot, trail)
    if found is None:
        unknown = unknown_setting(snapshot.code, trail, "S3BucketName") if snapshot.code is not None else None
        if unknown is not None:
            return Judgement("skipped", unknown, {})
        return Judgement("error", f"trail {trail.arn} names no S3 bucket (S3BucketName)", {})
    return _judged(snapshot, "bucket", found, check, account_wide=account_wide, settings=settings)


def _on_key(snapshot: Snapshot, trail: Trail, check: Callable[[KmsKey], Judgement], reads: tuple[str, ...]
            ) -> Judgement:
    found = trail_key(snapshot, trail)
    if found is None:
        unknown = unknown_setting(snapshot.code, trail, "KmsKeyId") if snapshot.code is not None else None
        return Judgement("skipped", unknown or NO_KEY)
    return _judged(snapshot, "kms_key", found, lambda located: check(located.resource), reads)


def _retention(snapshot: Snapshot, trail: Trail, min_days: int) -> Judgement:
    """The bucket's lifecycle and the log group's retention; the worse stands, both in the evidence."""
    prefix = log_prefix(trail.document.get("S3KeyPrefix"))
    in_bucket = _on_bucket(snapshot, trail, lambda found: bucket_retention(
        found.resource, prefix, min_days, snapshot.collected_at), settings=("Lifecycle",))
    group = trail_log_group(snapshot, trail)
    code = snapshot.code
    unknown = unknown_setting(code, trail, "CloudWatchLogsLogGroupArn") if code is not None else None
    if group is None:
        in_group = Judgement("skipped", unknown or "the trail sends no events to CloudWatch Logs", {"log_group": None})
    else:
        in_group = _judged(snapshot, "log_group", group, lambda found: log_group_retention(found.resource, min_days),
                           ("retentionInDays",))
    if code is not None:
        return retention_on_code(in_bucket, in_group, group is not None or unknown is not None)
    decided = worst(in_bucket, in_group)
    same = [j.detail for j in (in_bucket, in_group) if j.status == decided.status]
    return Judgement(decided.status, "; ".join(same), {**in_bucket.evidence, **in_group.evidence})


def _judged(snapshot: Snapshot, kind: str, found: Located[R] | Unlocated,
            check: Callable[[Located[R]], Judgement], reads: tuple[str, ...] = (),
            account_wide: tuple[StoragePart, ...] = (), settings: tuple[str, ...] = ()) -> Judgement:
    """``check`` on a located resource, its place and the errors about it (and about the owner's
    ``account_wide`` settings the check reads) in the evidence under ``kind``; an ``error`` with
    the lookup's reason for a resource no scanned account describes.
    On code, what the code does not decide (the check ``reads`` it) is ``skipped`` (checker.storage.on_code)."""
    if isinstance(found, Unlocated):
        place: dict[str, Any] = {"name": found.name, "account_id": None}
        if found.errors:
            place["collection_errors"] = [e.to_dict() for e in found.errors]
        judged = Judgement("error", found.reason, {kind: place})
    else:
        checked = check(found)
        place = {"name": _name(found.resource), "account_id": found.account_id, **checked.evidence}
        if checked.status == "error":
            errors = located_errors(snapshot, found, account_wide)
            if errors:
                place["collection_errors"] = [e.to_dict() for e in errors]
        judged = Judgement(checked.status, checked.detail, {kind: place})
    return judged if snapshot.code is None else judged_on_code(snapshot.code, kind, found, reads, judged, settings)


def _name(resource: Bucket | KmsKey | LogGroup) -> str:
    if isinstance(resource, KmsKey):
        return resource.arn or resource.key
    return resource.name
