"""What the storage checks answer on code (a Terraform plan or a CloudFormation template).

Code decides some of where its trails' logs live: a bucket, KMS key or log group written
beside the trail (:mod:`checker.inputs.iac.storage`) is judged as a collected one would be,
and its finding says where it is written. The rest is not in the code, and a plan is not an
estate, so it is ``skipped`` with the reason, never ``error``:

- a bucket, key or log group the trail only names (a literal name or ARN, a data source,
  another stack's);
- a setting known only after apply (the trail's ``kms_key_id``, a key's ``is_enabled``, a log
  group's retention, whether S3 computes a bucket policy as public), or one the code leaves to
  the estate (a setting of a bucket that exists already and that no resource here manages);
- event data stores, when the code defines none.

``log-retention`` judges the bucket and the log group: either failing fails the rule, but it
passes only when both parts are decided.
"""

from __future__ import annotations

from typing import Any

from checker.code_origin import CodeOrigin, Declaration
from checker.model import Snapshot, Trail
from checker.policy.model import StorageRequirement
from checker.storage.judgement import Judgement
from checker.storage_lookup import Located, Unlocated
from checker.storage_model import Bucket, KmsKey, LogGroup

_WHAT = {"kms_key": "KMS key", "log_group": "log group", "bucket": "bucket"}
_ONLY_NAMED = {"kms_key": "a literal ARN, a data source or another stack's",
               "log_group": "a literal ARN, a data source or another stack's",
               "bucket": "a literal name, a data source or another stack's"}


def this(code: CodeOrigin) -> str:
    """``this plan`` or ``this template``."""
    return "this plan" if code.kind == "terraform-plan" else "this template"


def skip_on_code(requirement: StorageRequirement, snapshot: Snapshot, code: CodeOrigin) -> str | None:
    """Why a storage check is not judged on code at all, or ``None`` when code may decide it."""
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


DECIDED_IN = "decided_in"
"""The evidence key naming the part (``bucket``, ``kms_key``, ``log_group``) whose resource in the
code decided a storage verdict: the finding points at where that resource, or the companion
resource that writes the setting the check reads (its ``set_by``), is written."""


def judged_on_code(code: CodeOrigin, kind: str, found: Located[Bucket] | Located[KmsKey] | Located[LogGroup]
                   | Unlocated, reads: tuple[str, ...], judged: Judgement, settings: tuple[str, ...] = ()
                   ) -> Judgement:
    """``judged`` (the check's answer on the resource the trail names, evidence under ``kind``) as
    code answers it: a resource the code does not define, or whose settings that the check
    ``reads`` are known only after apply, is ``skipped``; one it defines says where it is written,
    and, when another resource writes the first of the bucket ``settings`` the check reads (a
    Terraform companion resource, a bucket policy), where that one is (``set_by``)."""
    what = _WHAT.get(kind, kind)
    if isinstance(found, Unlocated):
        return Judgement("skipped", f"{what} {found.name} is not defined in {this(code)} ({_ONLY_NAMED.get(kind)}): "
                                    f"its settings are not in {this(code)}", judged.evidence)
    declared = code.storage_declaration(found.resource)
    if declared is None:
        return judged
    place: dict[str, Any] = {**judged.evidence.get(kind, {}), **_written(declared)}
    writer = next((declared.written_by[key] for key in settings if key in declared.written_by), None)
    if writer is not None:
        place["set_by"] = _written(writer)
    written = _shown(writer or declared)
    evidence = {**judged.evidence, kind: place, DECIDED_IN: kind}
    unknown = [declared.unknown[field] for field in reads if field in declared.unknown]
    if unknown:
        return Judgement("skipped", f"{what} {declared.resource}: {unknown[0]}", evidence)
    if judged.status == "error":
        return Judgement("skipped", f"{judged.detail}{written}: {this(code)} does not decide it{_why(declared)}",
                         evidence)
    return Judgement(judged.status, judged.detail + written, evidence)


def _written(declared: Declaration) -> dict[str, Any]:
    """A resource of the code as evidence shows it: ``resource`` and, when known, ``location``."""
    place: dict[str, Any] = {"resource": declared.resource}
    if declared.location is not None:
        place["location"] = declared.location.to_dict()
    return place


def _shown(declared: Declaration) -> str:
    """`` (aws_kms_key.trail, main.tf line 3)``: a resource of the code, for a message."""
    if declared.location is None:
        return f" ({declared.resource})"
    return f" ({declared.resource}, {declared.location.file} line {declared.location.line})"


def _why(declared: Declaration) -> str:
    """What the code leaves open about a resource it defines, for a ``skipped`` detail."""
    reasons = list(dict.fromkeys(declared.unknown.values()))
    return f" ({'; '.join(reasons)})" if reasons else ""


def retention_on_code(in_bucket: Judgement, in_group: Judgement, sends_to_group: bool) -> Judgement:
    """``log-retention`` on code: a failing part fails the rule; a part the code does not decide
    (``skipped``) leaves it ``skipped``; it passes when every part passes (the log group counts
    when the trail ``sends_to_group``, known or not). The part that decided (the first failing,
    else the first undecided, else the bucket) is the evidence's :data:`DECIDED_IN`."""
    parts = (in_bucket, in_group) if sends_to_group else (in_bucket,)
    evidence = {**in_bucket.evidence, **in_group.evidence}
    evidence.pop(DECIDED_IN, None)
    failing = [part for part in parts if part.status == "fail"]
    undecided = [part for part in parts if part.status != "pass"]
    deciding = (failing or undecided or list(parts))[0].evidence.get(DECIDED_IN)
    if deciding is not None:
        evidence[DECIDED_IN] = deciding
    if failing:
        return Judgement("fail", "; ".join(part.detail for part in failing), evidence)
    return Judgement("pass" if not undecided else "skipped", "; ".join(part.detail for part in parts), evidence)
