"""``key-usable`` and ``key-rotation``: the KMS key that encrypts the trail's log files.

CloudTrail encrypts each log file with the trail's key as it delivers it: a key whose state is
anything but ``Enabled`` (``Disabled``, ``PendingDeletion``, ``PendingImport``,
``Unavailable``...) stops delivery. Rotation is the owner's duty for a customer-managed key;
AWS rotates the keys it manages itself. (docs/semantics.md, "Where the logs live")
"""

from __future__ import annotations

from checker.storage.judgement import Judgement
from checker.storage_model import KmsKey

ENABLED = "Enabled"


def key_usable(key: KmsKey) -> Judgement:
    """The key is ``Enabled``, so CloudTrail can encrypt with it."""
    evidence = {"KeyState": key.key_state}
    name = key.arn or key.key
    if key.key_state is None:
        return Judgement("error", f"the state of KMS key {name} was not read (DescribeKey)", evidence)
    if key.key_state != ENABLED:
        return Judgement("fail", f"KMS key {name} is {key.key_state}: CloudTrail cannot encrypt with it, so "
                                 "log delivery stops", evidence)
    return Judgement("pass", f"KMS key {name} is Enabled", evidence)


def key_rotation(key: KmsKey) -> Judgement:
    """A customer-managed key rotates its material every year; an AWS-managed key always does."""
    evidence = {"KeyManager": key.key_manager, "KeyRotationEnabled": key.rotation_enabled}
    name = key.arn or key.key
    if key.key_manager is None:
        return Judgement("error", f"who manages KMS key {name} was not read (DescribeKey)", evidence)
    if key.key_manager != "CUSTOMER":
        return Judgement("pass", f"KMS key {name} is managed by AWS, which rotates it", evidence)
    if key.rotation_enabled is None:
        return Judgement("error", f"the rotation status of KMS key {name} was not read (GetKeyRotationStatus)",
                         evidence)
    if not key.rotation_enabled:
        return Judgement("fail", f"customer-managed KMS key {name} has rotation off", evidence)
    return Judgement("pass", f"customer-managed KMS key {name} rotates", evidence)
