"""What a snapshot read from code knows that an estate snapshot does not, and what it cannot know.

A Terraform plan or a CloudFormation template is read into the same model as a collected
estate (:class:`checker.model.Snapshot`), so the same rules and the same simulator judge
it. Code adds three things the estate lacks, carried by :class:`CodeOrigin`:

* where each trail is written (:class:`Declaration`: the Terraform address or logical id,
  and the file and line), so that findings point at the code under review;
* what the change does to each trail (:class:`TrailChange`: the trail before and after),
  so that ``coverage-regression`` can say what a change stops recording;
* what code cannot say: values known only after apply (per trail), and the fields that
  exist only once a trail runs (:data:`ESTATE_ONLY_FIELDS`). Rules that read them are
  ``skipped`` with the reason: a plan is not an estate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from checker.findings import Location
from checker.storage_model import Bucket, KmsKey, LogGroup

if TYPE_CHECKING:
    from checker.model import Trail

CodeKind = Literal["terraform-plan", "cloudformation"]
ChangeAction = Literal["create", "update", "replace", "delete", "no-op"]

PLACEHOLDER_ACCOUNT = "000000000000"
"""The account of trails whose code does not say which account they are deployed to."""

ESTATE_ONLY_FIELDS = frozenset({
    "LatestDeliveryTime", "LatestDeliveryError", "LatestDeliveryAttemptTime", "LatestDeliveryAttemptSucceeded",
    "LatestNotificationTime", "LatestNotificationError", "LatestNotificationAttemptTime",
    "LatestNotificationAttemptSucceeded", "StartLoggingTime", "StopLoggingTime", "TimeLoggingStarted",
    "TimeLoggingStopped", "LatestCloudWatchLogsDeliveryTime", "LatestCloudWatchLogsDeliveryError",
    "LatestDigestDeliveryTime", "LatestDigestDeliveryError",
})
"""GetTrailStatus fields that only a running trail has (delivery and logging times and
errors): no plan or template can say them. ``IsLogging`` is not among them: code sets it."""


@dataclass(frozen=True)
class Declaration:
    """Where a trail, bucket, key, log group or store is written: ``resource`` is its Terraform
    address or CloudFormation logical id, ``location`` the file and line (``None`` when the file
    is not at hand). ``unknown`` maps its fields (a trail's ``KmsKeyId``) to why code cannot say
    them yet. ``written_by`` maps a bucket's settings (snapshot keys: ``Lifecycle``, ``Policy``...)
    to the resource that writes each, when that is not the bucket itself (a Terraform companion
    resource such as ``aws_s3_bucket_lifecycle_configuration``, an ``AWS::S3::BucketPolicy``)."""

    resource: str
    location: Location | None = None
    unknown: Mapping[str, str] = field(default_factory=dict)
    written_by: Mapping[str, Declaration] = field(default_factory=dict)


@dataclass(frozen=True)
class TrailChange:
    """One trail resource across the change: ``before`` ``None`` when it is created,
    ``after`` ``None`` when it is deleted."""

    resource: str
    action: ChangeAction
    before: Trail | None
    after: Trail | None
    location: Location | None = None


@dataclass(frozen=True)
class CodeOrigin:
    """What the code says beyond the estate model (see the module docstring).

    ``declarations`` are keyed by trail ARN (the ARN the trail will have, built from its
    name, Region and account). ``changes`` is ``None`` when nothing is known of the trails
    before the change (a template without a baseline). ``placeholder_account`` is set when
    the code does not show the account: findings then name :data:`PLACEHOLDER_ACCOUNT`.
    ``monitoring`` says whether the code defines any metric filter, alarm, topic or rule.
    ``storage`` holds the buckets, KMS keys, log groups and event data stores the code defines,
    keyed by :func:`storage_id` (:func:`store_id` for a store): where each is written and which
    of its settings are known only after apply (``unknown`` keyed by snapshot field: ``Policy``,
    ``KeyState``, ``retentionInDays``...).
    """

    kind: CodeKind
    declarations: Mapping[str, Declaration]
    changes: tuple[TrailChange, ...] | None = None
    placeholder_account: str | None = None
    monitoring: bool = False
    storage: Mapping[str, Declaration] = field(default_factory=dict)

    @property
    def noun(self) -> str:
        """``a plan`` or ``a template``, for messages."""
        return "a plan" if self.kind == "terraform-plan" else "a template"

    def estate_only(self, fields: Iterable[str]) -> str | None:
        """Why a rule reading ``fields`` cannot be judged on code, or ``None`` if it can."""
        named = sorted(set(fields) & ESTATE_ONLY_FIELDS)
        if not named:
            return None
        return (f"{self.noun} is not an estate: {', '.join('Status.' + name for name in named)} "
                "exist only once the trail runs")

    def no_monitoring(self) -> str:
        """The skip reason of monitoring rules when the code defines no monitoring resource."""
        return (f"{self.noun} that defines no metric filter, alarm, SNS topic or EventBridge rule: monitoring "
                "is not in this configuration (scan the code that defines it, or a snapshot of the estate)")

    def declaration(self, trail_arn: str) -> Declaration | None:
        return self.declarations.get(trail_arn)

    def store_declaration(self, arn: str) -> Declaration | None:
        """Where the code writes the event data store ``arn`` (``None``: the code does not define it)."""
        return self.storage.get(store_id(arn))

    def storage_declaration(self, resource: Bucket | KmsKey | LogGroup) -> Declaration | None:
        """Where the code writes this bucket, key or log group (``None``: the code does not define it)."""
        if isinstance(resource, Bucket):
            return self.storage.get(storage_id("buckets", resource.owner_account_id, resource.name))
        if isinstance(resource, KmsKey):
            return self.storage.get(storage_id("kms_keys", resource.owner_account_id, resource.key))
        return self.storage.get(storage_id("log_groups", resource.owner_account_id,
                                           f"{resource.region}/{resource.name}"))

    def first_location(self, trail_arns: Iterable[str]) -> Location | None:
        """The location of the first of these trails that has one (a unit decided by several)."""
        for arn in trail_arns:
            declared = self.declarations.get(arn)
            if declared is not None and declared.location is not None:
                return declared.location
        return None

    def before_trails(self) -> tuple[Trail, ...]:
        """Every trail as it was before the change (empty when that is not known)."""
        return tuple(change.before for change in self.changes or () if change.before is not None)


def storage_id(part: str, account: str, name: str) -> str:
    """The key of a bucket (``part`` ``buckets``, ``name`` its name), a KMS key (``kms_keys``, the
    identifier it is listed under) or a log group (``log_groups``, ``REGION/NAME``) in
    :attr:`CodeOrigin.storage`."""
    return f"{part}:{account}:{name}"


def store_id(arn: str) -> str:
    """The key of an event data store in :attr:`CodeOrigin.storage` (its ARN names its account)."""
    return storage_id("event_data_stores", "", arn)
