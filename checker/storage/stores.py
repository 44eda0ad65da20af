"""``store-healthy`` and ``store-cmk``: CloudTrail Lake event data stores.

An event data store records events only while its status is ``ENABLED``
(``STOPPED_INGESTION``, ``PENDING_DELETION``... record nothing); without termination
protection one DeleteEventDataStore call removes it; its ``RetentionPeriod`` (days) must reach
``min_days``. Security Hub CloudTrail.10 asks for a customer-managed KMS key; a store without
``KmsKeyId`` is encrypted with a key AWS owns. (docs/semantics.md, "Where the logs live")
"""

from __future__ import annotations

from typing import Any

from checker.storage.judgement import Judgement, shown
from checker.storage_model import EventDataStore, Unread

ENABLED = "ENABLED"


def store_healthy(store: EventDataStore, min_days: int) -> Judgement:
    """The store is ingesting, protected from deletion, and keeps events ``min_days`` days."""
    evidence: dict[str, Any] = {"Status": store.status, "TerminationProtectionEnabled": store.termination_protection,
                                "RetentionPeriod": store.retention_days, "min_days": min_days}
    problems: list[str] = []
    unread: list[str] = []
    if store.status is None:
        unread.append("Status")
    elif store.status != ENABLED:
        problems.append(f"its status is {store.status}: it records nothing")
    if store.termination_protection is None:
        unread.append("TerminationProtectionEnabled")
    elif not store.termination_protection:
        problems.append("it has no termination protection")
    if store.retention_days is None:
        unread.append("RetentionPeriod")
    elif store.retention_days < min_days:
        problems.append(f"it keeps events {store.retention_days} days, fewer than {min_days}")
    name = store.name or store.arn
    if problems:
        return Judgement("fail", f"event data store {name}: {'; '.join(problems)}", evidence)
    if unread:
        return Judgement("error", f"event data store {name}: not read (GetEventDataStore): {', '.join(unread)}",
                         evidence)
    return Judgement("pass", f"event data store {name} is ingesting, protected from deletion and keeps events "
                             f"{store.retention_days} days", evidence)


def store_cmk(store: EventDataStore) -> Judgement:
    """The store is encrypted with a customer-managed KMS key."""
    name = store.name or store.arn
    evidence = {"KmsKeyId": shown(store.kms_key_id)}
    if isinstance(store.kms_key_id, Unread):
        return Judgement("error", f"the encryption of event data store {name} was not read (GetEventDataStore)",
                         evidence)
    if store.kms_key_id is None:
        return Judgement("fail", f"event data store {name} is encrypted with a key AWS owns, not a "
                                 "customer-managed KMS key", evidence)
    return Judgement("pass", f"event data store {name} is encrypted with customer-managed KMS key "
                             f"{store.kms_key_id}", evidence)
