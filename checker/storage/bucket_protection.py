"""``bucket-access-logging`` and ``bucket-delete-protection``: who read the log files, and can
they be deleted? (docs/semantics.md, "Where the logs live")

Server access logging records every request to the trail's bucket, so that reads and deletions
of log files are themselves on record; logs delivered into the bucket itself would log their
own delivery, so that target does not count.

A log file is protected from deletion by Object Lock with a default retention (every new object
is locked for that long, in GOVERNANCE or COMPLIANCE mode), or by versioning with MFA delete
(removing a version or suspending versioning needs the root user's MFA code). Versioning
without MFA delete only keeps old versions that anyone allowed to delete versions can remove.
"""

from __future__ import annotations

from checker.storage.facts import FALSE, Fact, any_of
from checker.storage.judgement import Judgement, shown
from checker.storage_model import Bucket, ObjectLock, Unread, Versioning


def bucket_access_logging(bucket: Bucket) -> Judgement:
    """Server access logging is on and delivers to another bucket."""
    logging = bucket.logging
    if isinstance(logging, Unread):
        return Judgement("error", f"the server access logging of bucket {bucket.name} was not read "
                                  "(GetBucketLogging)", {"Logging": shown(logging)})
    if logging is None:
        return Judgement("fail", f"server access logging is off on bucket {bucket.name}", {"Logging": None})
    evidence = {"Logging": {"TargetBucket": logging.target_bucket, "TargetPrefix": logging.target_prefix}}
    if logging.target_bucket == bucket.name:
        return Judgement("fail", f"bucket {bucket.name} delivers its server access logs into itself: "
                                 "deliver them to another bucket", evidence)
    return Judgement("pass", f"bucket {bucket.name} delivers server access logs to "
                             f"{logging.target_bucket}/{logging.target_prefix}", evidence)


def bucket_delete_protection(bucket: Bucket) -> Judgement:
    """Object Lock with a default retention, or versioning with MFA delete, protects the log files."""
    locked = _locked(bucket.object_lock)
    mfa = _mfa_delete(bucket.versioning)
    protected = any_of(locked, mfa)
    evidence = {"ObjectLock": _lock_evidence(bucket.object_lock), "Versioning": _versioning_evidence(bucket.versioning)}
    name = bucket.name
    if protected.value is None:
        return Judgement("error", f"cannot tell whether the log files in bucket {name} can be deleted: not read: "
                                  f"{', '.join(protected.unknown)}", evidence)
    if protected.value:
        how = (f"Object Lock keeps every new object {_retention(bucket.object_lock)}" if locked.value
               else "versioning with MFA delete protects every version")
        return Judgement("pass", f"bucket {name}: {how}", evidence)
    return Judgement("fail", f"nothing stops the deletion of log files in bucket {name}: "
                             f"{_lock_gap(bucket.object_lock)}, and {_versioning_gap(bucket.versioning)}", evidence)


def _locked(lock: ObjectLock | Unread | None) -> Fact:
    if isinstance(lock, Unread):
        return Fact(None, ("the Object Lock configuration (GetObjectLockConfiguration)",))
    return Fact(_has_default_retention(lock))


def _has_default_retention(lock: ObjectLock | None) -> bool:
    return lock is not None and lock.enabled and bool(lock.days or lock.years)


def _mfa_delete(versioning: Versioning | Unread) -> Fact:
    if isinstance(versioning, Unread):
        return Fact(None, ("the versioning (GetBucketVersioning)",))
    if versioning.status == "Enabled" and versioning.mfa_delete == "Enabled":
        return Fact(True)
    return FALSE


def _retention(lock: ObjectLock | Unread | None) -> str:
    assert isinstance(lock, ObjectLock)
    span = f"{lock.days} days" if lock.days else f"{lock.years} years"
    return f"for {span} ({lock.mode or 'mode not set'})"


def _lock_gap(lock: ObjectLock | Unread | None) -> str:
    if lock is None or isinstance(lock, Unread):
        return "no Object Lock"
    if not lock.enabled:
        return "Object Lock is not enabled"
    return "Object Lock has no default retention"


def _versioning_gap(versioning: Versioning | Unread) -> str:
    assert not isinstance(versioning, Unread)
    if versioning.status != "Enabled":
        return f"versioning is {versioning.status or 'off'}"
    return f"MFA delete is {versioning.mfa_delete or 'off'}"


def _lock_evidence(lock: ObjectLock | Unread | None) -> object:
    if lock is None or isinstance(lock, Unread):
        return shown(lock)
    return {"enabled": lock.enabled, "mode": lock.mode, "days": lock.days, "years": lock.years}


def _versioning_evidence(versioning: Versioning | Unread) -> object:
    if isinstance(versioning, Unread):
        return shown(versioning)
    return {"Status": versioning.status, "MFADelete": versioning.mfa_delete}
