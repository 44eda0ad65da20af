"""What kind of event a CloudTrail record is, and the flat field view selectors match on.

Records before eventVersion 1.07 have no ``eventCategory`` and records before 1.06 no
``managementEvent`` (some data events omit it even in 1.10), so the category is derived
in order of trust: ``eventCategory``, then the Insight ``eventType``, then
``managementEvent``, then a table of well-known data events, else Management — the only
category that existed before data events were introduced.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

View = dict[str, str | None]
"""One flattened reading of a record: selector field name -> value as CloudTrail compares it."""

ABSENT_MEANS_FALSE = "sessionCredentialFromConsole"
"""A record carries this field only when it is ``"true"``: its absence reads ``"false"``, so
``NotEquals true`` selects the calls made outside a console session (docs/semantics.md)."""

# Fields every view carries; other fields named by selectors are resolved as dotted paths.
BASE_FIELDS = (
    "eventCategory", "eventSource", "eventName", "eventType", "readOnly",
    "sessionCredentialFromConsole", "userIdentity.arn", "errorCode", "vpcEndpointId",
)

_DATA_EVENT_NAMES: dict[str, frozenset[str]] = {
    "s3.amazonaws.com": frozenset({
        "GetObject", "PutObject", "DeleteObject", "DeleteObjects", "HeadObject", "CopyObject",
        "GetObjectAcl", "PutObjectAcl", "GetObjectTagging", "PutObjectTagging", "DeleteObjectTagging",
        "GetObjectAttributes", "GetObjectRetention", "PutObjectRetention", "GetObjectLegalHold",
        "PutObjectLegalHold", "CreateMultipartUpload", "UploadPart", "UploadPartCopy",
        "CompleteMultipartUpload", "AbortMultipartUpload", "ListParts", "RestoreObject",
        "SelectObjectContent", "ListObjects", "ListObjectsV2", "ListObjectVersions",
    }),
    "lambda.amazonaws.com": frozenset({"Invoke"}),
    "dynamodb.amazonaws.com": frozenset({
        "GetItem", "PutItem", "UpdateItem", "DeleteItem", "BatchGetItem", "BatchWriteItem",
        "Query", "Scan", "TransactGetItems", "TransactWriteItems",
    }),
    "ssm.amazonaws.com": frozenset({
        "CreateControlChannel", "OpenControlChannel", "RequestManagedInstanceRoleToken",
    }),
}


@dataclass(frozen=True)
class RecordClass:
    """The record's event category and which field or rule it was derived from."""

    category: str
    basis: str


def classify(record: Mapping[str, Any]) -> RecordClass:
    """Derive the event category of a record of any eventVersion."""
    category = record.get("eventCategory")
    if isinstance(category, str) and category:
        return RecordClass(category, "eventCategory")
    if record.get("eventType") == "AwsCloudTrailInsight":
        return RecordClass("Insight", "eventType AwsCloudTrailInsight")
    management = record.get("managementEvent")
    if isinstance(management, bool):
        return RecordClass("Management" if management else "Data", f"managementEvent={str(management).lower()}")
    source, name = record.get("eventSource"), record.get("eventName")
    if isinstance(source, str) and isinstance(name, str) and name in _DATA_EVENT_NAMES.get(source, ()):
        return RecordClass("Data", f"{source} {name} is a data event")
    return RecordClass("Management", "no eventCategory or managementEvent: management by default")


def normalise(value: Any) -> str | None:
    """A record value as selectors compare it: booleans become ``true``/``false``."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


def dig(record: Mapping[str, Any], path: str) -> Any:
    """Follow a dotted path through nested objects; ``None`` where it leads nowhere."""
    node: Any = record
    for part in path.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def record_views(record: Mapping[str, Any], extra_fields: Iterable[str] = (),
                 category: str | None = None) -> list[View]:
    """The views a selector is matched against: one per ``resources[]`` entry.

    A data selector's ``resources.type`` and ``resources.ARN`` conditions must hold for
    the same resource entry (an S3 GetObject carries the object and its bucket), so each
    entry yields its own view; a record without resources yields one view without them.
    ``category`` spares a second :func:`classify` when the caller has it already.
    """
    base: View = {name: normalise(dig(record, name)) for name in BASE_FIELDS}
    base["eventCategory"] = category if category is not None else classify(record).category
    if base[ABSENT_MEANS_FALSE] is None:
        base[ABSENT_MEANS_FALSE] = "false"
    for name in extra_fields:
        if name not in base and not name.startswith("resources."):
            base[name] = normalise(dig(record, name))
    resources = record.get("resources")
    entries = [r for r in resources if isinstance(r, Mapping)] if isinstance(resources, list) else []
    if not entries:
        return [{**base, "resources.type": None, "resources.ARN": None}]
    return [{**base, "resources.type": normalise(r.get("type")), "resources.ARN": normalise(r.get("ARN"))}
            for r in entries]
