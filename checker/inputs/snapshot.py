"""Snapshot files (``trailcheck.snapshot/v1``) -> :class:`checker.model.Snapshot`.

The snapshot mirrors the AWS API responses so users can assemble one with the AWS CLI.
It is validated against its JSON Schema first; a problem is reported with its JSON path.
Absent ``Status``, selectors or ``InsightSelectors`` stay ``None`` (unknown): only the
collector, which saw the API answer, may record the AWS default.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from checker import safejson
from checker.arn import Arn
from checker.errors import InputError
from checker.inputs.snapshot_listing import check_sizes, place_trails
from checker.inputs.snapshot_monitoring import parse_monitoring
from checker.inputs.snapshot_selectors import parse_selectors
from checker.inputs.snapshot_storage import (
    EVENT_DATA_STORE_KEYS,
    STORAGE_KEYS,
    check_bucket_owners,
    parse_storage,
)
from checker.model import (
    Account,
    CollectionError,
    DataFamily,
    Organization,
    Snapshot,
    Trail,
    TrailStatus,
)
from checker.schemas.fast_check import schema_check
from checker.schemas.validation import schema_violation
from checker.timefmt import iso, parse_timestamp

_TIMESTAMP_KEYS = ("LatestDeliveryTime", "StartLoggingTime", "StopLoggingTime", "LatestNotificationTime",
                   "LatestCloudWatchLogsDeliveryTime", "LatestDigestDeliveryTime", "TimeLoggingStarted",
                   "TimeLoggingStopped")

_FAMILY_KEYS: dict[DataFamily, tuple[str, ...]] = {
    "monitoring": ("monitoring",),
    "storage": STORAGE_KEYS,
    "event-data-stores": EVENT_DATA_STORE_KEYS,
}
"""The account keys that make a snapshot without ``contents`` carry each family."""


def json_path(parts: Any) -> str:
    """``['accounts', 0, 'trails']`` -> ``$.accounts[0].trails``."""
    text = "$"
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def validate_snapshot_data(data: Any, source: str) -> None:
    """Raise :class:`InputError` naming the JSON path and the problem of the most relevant violation.

    The schema's fast check answers for a valid snapshot (jsonschema takes some 0.4 s for
    1,000 accounts); jsonschema judges only a snapshot it refuses, and says what is wrong.
    """
    if schema_check("snapshot")(data):
        return
    violation = schema_violation("snapshot", data)
    if violation is not None:
        raise InputError(source, f"invalid snapshot: {violation}")


@dataclass(frozen=True)
class SnapshotFile:
    """A ``trailcheck.snapshot/v1`` file: the :class:`~checker.inputs.interface.SnapshotSource` of ``--snapshot``."""

    path: Path

    def describe(self) -> str:
        return str(self.path)

    def load(self) -> Snapshot:
        return load_snapshot(self.path)


def load_snapshot(path: Path) -> Snapshot:
    """Read, validate and parse a snapshot file; its ``sha256`` is that of the file's bytes."""
    data, raw = safejson.load_file(path, "snapshot")
    return parse_snapshot(data, str(path), sha256=hashlib.sha256(raw).hexdigest())


def parse_snapshot(data: Any, source: str, sha256: str | None = None) -> Snapshot:
    """Validate a snapshot document and build the model; ``source`` names it in messages."""
    validate_snapshot_data(data, source)
    check_sizes(data["accounts"], source)
    check_bucket_owners(data["accounts"], source)
    listing = place_trails(data["accounts"], source)
    seen: set[str] = set()
    accounts = []
    for index, item in enumerate(data["accounts"]):
        account_id = item["account_id"]
        if account_id in seen:
            raise InputError(source, f"invalid snapshot: $.accounts[{index}].account_id: "
                                     f"account {account_id} is listed twice")
        seen.add(account_id)
        accounts.append(_account(item, f"{source}: $.accounts[{index}]", listing.kept_in(index)))
    org = data.get("organization")
    collected_at = data.get("collected_at")
    return Snapshot(
        collected_at=_timestamp(collected_at, f"{source}: $.collected_at"),
        partition=data.get("partition", "aws"),
        organization=Organization(org["id"], org.get("management_account_id")) if org else None,
        accounts=tuple(sorted(accounts, key=lambda a: a.account_id)),
        source=source,
        sha256=sha256,
        contents=carried_families(data),
        ignored_trail_copies=listing.ignored_copies,
    )


def carried_families(data: Mapping[str, Any]) -> frozenset[DataFamily]:
    """The families a (valid) snapshot document carries: those listed in ``contents``, or
    else the trails and the families whose keys some account carries."""
    listed: set[DataFamily] = {"trails", *data.get("contents", ())}
    if "contents" not in data:
        listed |= {family for family, keys in _FAMILY_KEYS.items()
                   if any(key in account for account in data["accounts"] for key in keys)}
    return frozenset(listed)


def _timestamp(value: Any, where: str) -> datetime | None:
    try:
        return parse_timestamp(value)
    except ValueError:
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
        raise InputError(where, f"not an ISO 8601 timestamp or epoch seconds within years 1-9999: {shown}") from None


def _account(item: Mapping[str, Any], where: str, kept: frozenset[int]) -> Account:
    """The account's trails are the entries that count (:func:`place_trails`)."""
    trails = tuple(_trail(t, f"{where}.trails[{i}]") for i, t in enumerate(item["trails"]) if i in kept)
    errors = tuple(
        CollectionError(e.get("region"), e["operation"], e["code"], e.get("message", ""), e.get("trail_arn"),
                        e.get("resource"))
        for e in item.get("errors", []))
    return Account(item["account_id"], item.get("name"), tuple(item["regions"]), trails, errors,
                   parse_monitoring(item.get("monitoring", {})), parse_storage(item, where),
                   _timestamp(item.get("collected_at"), f"{where}.collected_at"))


def _trail(item: Mapping[str, Any], where: str) -> Trail:
    document = dict(item)
    status_doc = item.get("Status")
    status = None
    if status_doc is not None:
        status_doc = dict(status_doc)
        for key in _TIMESTAMP_KEYS:
            if status_doc.get(key) is not None:
                moment = _timestamp(status_doc[key], f"{where}.Status.{key}")
                status_doc[key] = iso(moment) if moment else None
        document["Status"] = status_doc
        status = TrailStatus(is_logging=status_doc["IsLogging"])
    insight = item.get("InsightSelectors")
    arn = Arn.parse(item["TrailARN"])  # the schema's pattern admits only trail ARNs
    return Trail(
        arn=str(arn),
        home_region=item["HomeRegion"],
        owner_account_id=arn.account,
        partition=arn.partition,
        is_multi_region=item["IsMultiRegionTrail"],
        is_organization_trail=item.get("IsOrganizationTrail", False),
        include_global_service_events=item.get("IncludeGlobalServiceEvents", True),
        status=status,
        selectors=parse_selectors(item),
        insight_types=tuple(s["InsightType"] for s in insight) if insight is not None else None,
        document=document,
    )

