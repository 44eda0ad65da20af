"""What the storage checks answer on code (a Terraform plan or a CloudFormation template).

Code decides some of where its trails' logs live: a KMS key or log group written beside the
trail (:mod:`checker.inputs.iac.storage`) is judged as a collected one would be, and its
finding says where it is written. The rest is not in the code, and a plan is not an estate,
so it is ``skipped`` with the reason, never ``error``:

- bucket posture: a plan carries no bucket's public access, policy, logging, Object Lock or
  lifecycle;
- a key or log group the trail only names (a literal ARN, a data source, another stack's);
- a setting known only after apply (the trail's ``kms_key_id``, a key's ``is_enabled``, a log
  group's retention);
- event data stores, when the code defines none.

``log-retention`` judges the bucket and the log group and the worse stands: on code a log
group that keeps events too briefly fails, but one that keeps them long enough cannot pass
the rule alone, since the bucket's lifecycle is not known.
"""

from __future__ import annotations

from typing import Any

from checker.code_origin import CodeOrigin
from checker.model import Snapshot, Trail
from checker.policy.model import StorageRequirement
from checker.storage.judgement import Judgement
from checker.storage_lookup import Located, Unlocated
from checker.storage_model import Bucket, KmsKey, LogGroup

BUCKET_CHECKS = frozenset({"bucket-not-public", "bucket-access-logging", "bucket-delete-protection",
                           "bucket-policy-scoped"})
_WHAT = {"kms_key": "KMS key", "log_group": "log group", "bucket": "bucket"}


def this(code: CodeOrigin) -> str:
    """``this plan`` or ``this template``."""
    return "this plan" if code.kind == "terraform-plan" else "this template"


def buckets_skipped(code: CodeOrigin) -> str:
    """Why bucket posture is not judged on code."""
    return (f"{code.noun} does not show S3 bucket posture (public access, policy, access logging, Object Lock, "
            f"lifecycle): not in {this(code)} (scan a snapshot of the estate with storage data)")


def skip_on_code(requirement: StorageRequirement, snapshot: Snapshot, code: CodeOrigin) -> str | None:
    """Why a storage check is not judged on code at all, or ``None`` when code may decide it."""
    if requirement.check in BUCKET_CHECKS:
        return buckets_skipped(code)
    if requirement.family == "event-data-stores" and not snapshot.carries("event-data-stores"):
        return f"no CloudTrail Lake event data store is defined: event data stores are not in {this(code)}"
    return None


def stores_undecided(code: CodeOrigin, region: str | None) -> str:
    """Why the event data stores of a Region are not judged: one of them has a setting known only
    after apply, so none is counted (a plan is not an estate)."""
    return (f"an event data store of {this(code)} in {region} has a setting known only after apply: the stores "
            "there are undecided")


def unknown_setting(code: CodeOrigin, trail: Trail, setting: str) -> str | None:
    """Why the trail's ``setting`` (``KmsKeyId``, ``CloudWatchLogsLogGroupArn``) is not known yet, or ``None``."""
    declared = code.declaration(trail.arn)
    return declared.unknown.get(setting) if declared is not None else None


def judged_on_code(code: CodeOrigin, kind: str, found: Located[Bucket] | Located[KmsKey] | Located[LogGroup]
                   | Unlocated, reads: tuple[str, ...], judged: Judgement) -> Judgement:
    """``judged`` (the check's answer on the resource the trail names, evidence under ``kind``) as
    code answers it: a resource the code does not define, or whose settings that the check
    ``reads`` are known only after apply, is ``skipped``; one it defines says where it is written."""
    what = _WHAT.get(kind, kind)
    if isinstance(found, Unlocated) or isinstance(found.resource, Bucket):
        name = found.name if isinstance(found, Unlocated) else found.resource.name
        return Judgement("skipped", f"{what} {name} is not defined in {this(code)} (a literal ARN, a data source or "
                                    f"another stack's): its settings are not in {this(code)}", judged.evidence)
    declared = code.storage_declaration(found.resource)
    if declared is None:
        return judged
    place: dict[str, Any] = {**judged.evidence.get(kind, {}), "resource": declared.resource}
    written = ""
    if declared.location is not None:
        place["location"] = declared.location.to_dict()
        written = f" ({declared.resource}, {declared.location.file} line {declared.location.line})"
    evidence = {**judged.evidence, kind: place}
    unknown = [declared.unknown[field] for field in reads if field in declared.unknown]
    if unknown:
        return Judgement("skipped", f"{what} {declared.resource}: {unknown[0]}", evidence)
    return Judgement(judged.status, judged.detail + written, evidence)


def retention_on_code(code: CodeOrigin, in_group: Judgement) -> Judgement:
    """``log-retention`` on code: the log group's answer when it fails; else ``skipped``, since the
    bucket's lifecycle, the other half of the rule, is not in the code."""
    if in_group.status == "fail":
        return in_group
    return Judgement("skipped", f"{in_group.detail}; the bucket's lifecycle is not in {this(code)} (scan a "
                                "snapshot of the estate with storage data)", in_group.evidence)
