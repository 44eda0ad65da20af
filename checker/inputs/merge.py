"""``trailcheck merge``: snapshots collected in shards -> one snapshot to scan.

A CI matrix collects an organization in parallel (``collect --shard I/N`` or ``--accounts``),
one snapshot per job; the merge joins them so that one scan sees the whole estate and gives
the findings a scan of a single collection would. What it checks, since each is a sign that the
files are not parts of one collection (bad input, naming both files):

* every account is in one file only;
* the files agree on the organization (a file without one, e.g. whose DescribeOrganization
  failed, takes the others'), the partition and the data families they carry (``contents``),
  since a rule needs its family for every account or for none;
* files written by ``--shard`` are shards of one split: the same N, each I once, none missing
  (a lost matrix job must not silently drop its accounts from the scan).

What it changes, so that the merged document is what one collection would have written:

* each account keeps the ``collected_at`` of its file (the top-level one is the earliest);
* a copy of a trail listed under a non-owner (a shard that did not scan the owner lists an
  organization trail under a member that saw it) is dropped when the owner's file lists it,
  and otherwise kept under the lowest account id only, with the errors of its detail calls;
* the data a shard read in another shard's account (``shard.visits``) for its own monitoring
  chains or for its trails' storage joins the owner's: what the owner's file holds wins, the
  visit fills what it lacks (a bus, a topic, a log group's filters, a rule's targets; a bucket,
  key, log group or the account's public access block, each whole, with the errors of reading
  it). Visits are folded in shard order, so when two shards read the same resource and their
  answers differ (the resource changed between the reads), the lowest shard's stands: a bucket
  ends under its one owner, never claimed twice.

An empty shard (no account) is fine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checker import safejson
from checker.arn import Arn
from checker.errors import InputError
from checker.inputs.snapshot import carried_families, parse_snapshot
from checker.plan.reads import Alarms, BusRules, MetricFilters, RuleTargets, TopicSubscribers
from checker.plan.rules import FAMILIES
from checker.storage_model import STORAGE_OPERATIONS
from checker.timefmt import parse_timestamp

MONITORING_OPERATIONS = frozenset(operation for read in (MetricFilters, Alarms, TopicSubscribers, BusRules,
                                                         RuleTargets) for operation in read.operations)
"""The operations of monitoring reads: the only errors of a visit that concern the owner's data."""


@dataclass(frozen=True)
class ShardFile:
    """One snapshot given to the merge: where it came from and its document."""

    path: str
    document: dict[str, Any]

    @classmethod
    def load(cls, path: Path) -> ShardFile:
        """Read and validate as ``scan`` would (an empty snapshot is a fine shard)."""
        data, _ = safejson.load_file(path, "snapshot")
        parse_snapshot(data, str(path))
        return cls(str(path), data)

    @property
    def shard(self) -> tuple[int, int] | None:
        marker = self.document.get("shard")
        return (int(marker["index"]), int(marker["count"])) if marker else None


def merge_files(paths: Sequence[Path]) -> dict[str, Any]:
    """The snapshot of all the files at ``paths`` (see the module docstring)."""
    if not paths:
        raise InputError("merge", "give at least one snapshot file")
    return merge_snapshots([ShardFile.load(path) for path in paths])


def merge_snapshots(files: Sequence[ShardFile]) -> dict[str, Any]:
    """Merge parsed shard files; raises :class:`InputError` naming both files of a disagreement."""
    _check_split(files)
    first = files[0]
    partition = _agreed(files, lambda d: d.get("partition", "aws"), "the partition")
    organization = _agreed(files, lambda d: _hashable(d.get("organization")), "the organization",
                           missing_ok=True)
    families = _agreed(files, lambda d: carried_families(d), "the data families they carry (contents)")
    owners: dict[str, str] = {}
    accounts: list[dict[str, Any]] = []
    for file in files:
        for entry in file.document["accounts"]:
            account_id = entry["account_id"]
            if account_id in owners:
                raise InputError(file.path, f"account {account_id} is also in {owners[account_id]}: an account "
                                            "belongs to one shard; collect each shard with the same N")
            owners[account_id] = file.path
            accounts.append(_stamped(entry, file.document.get("collected_at")))
    by_id = {entry["account_id"]: entry for entry in accounts}
    _settle_trail_copies(accounts)
    for file in sorted(files, key=lambda f: f.shard or (0, 0)):
        for visit in (file.document.get("shard") or {}).get("visits", ()):
            owner = by_id.get(visit["account_id"])
            if owner is None:
                raise InputError(file.path, f"$.shard.visits: account {visit['account_id']} is in no file given: "
                                            "merge every shard of the collection")
            _fold_visit(owner, visit)
    merged: dict[str, Any] = {"format": first.document["format"]}
    collected = _earliest(file.document.get("collected_at") for file in files)
    if collected is not None:
        merged["collected_at"] = collected
    merged["partition"] = partition
    if any("contents" in file.document for file in files):
        merged["contents"] = [family for family in FAMILIES if family in families]
    if organization is not None:
        merged["organization"] = next(f.document["organization"] for f in files if f.document.get("organization"))
    merged["accounts"] = sorted(accounts, key=lambda entry: str(entry["account_id"]))
    parse_snapshot(merged, "the merged snapshot")
    return merged


def _check_split(files: Sequence[ShardFile]) -> None:
    """Files written by ``--shard``: one split, each shard once, none missing."""
    seen: dict[tuple[int, int], str] = {}
    for file in files:
        shard = file.shard
        if shard is None:
            continue
        other = next(iter(seen), None)
        if other is not None and other[1] != shard[1]:
            raise InputError(file.path, f"is shard {shard[0]}/{shard[1]} but {seen[other]} is shard "
                                        f"{other[0]}/{other[1]}: shards of one collection share N")
        if shard in seen:
            raise InputError(file.path, f"shard {shard[0]}/{shard[1]} is also {seen[shard]}")
        seen[shard] = file.path
    if seen:
        count = next(iter(seen))[1]
        missing = [index for index in range(1, count + 1) if (index, count) not in seen]
        if missing:
            shown = ", ".join(f"{index}/{count}" for index in missing[:5]) + (" ..." if len(missing) > 5 else "")
            raise InputError("merge", f"shard(s) {shown} missing: give every shard's file (an empty shard "
                                      "is a file too)")


def _agreed(files: Sequence[ShardFile], value: Callable[[dict[str, Any]], Any], what: str,
            missing_ok: bool = False) -> Any:
    """The value every file gives (``None``, with ``missing_ok``, counts as no opinion)."""
    agreed: tuple[str, Any] | None = None
    for file in files:
        mine = value(file.document)
        if missing_ok and mine is None:
            continue
        if agreed is not None and mine != agreed[1]:
            raise InputError(file.path, f"disagrees with {agreed[0]} on {what}: "
                                        "merge the shards of one collection")
        agreed = agreed or (file.path, mine)
    return agreed[1] if agreed is not None else None


def _hashable(value: Any) -> Any:
    return tuple(sorted(value.items())) if isinstance(value, Mapping) else value


def _stamped(entry: Mapping[str, Any], collected_at: Any) -> dict[str, Any]:
    """The account entry with the ``collected_at`` of its file, unless it has its own."""
    stamped = dict(entry)
    if "collected_at" not in stamped and collected_at is not None:
        stamped["collected_at"] = collected_at
    return stamped


def _earliest(stamps: Iterable[Any]) -> Any:
    known = [(moment, stamp) for stamp in stamps if (moment := _moment(stamp)) is not None]
    return min(known, key=lambda pair: pair[0])[1] if known else None


def _moment(stamp: Any) -> Any:
    try:
        return parse_timestamp(stamp)
    except ValueError:
        return None  # parse_snapshot refused such a file already


# -- trail copies -------------------------------------------------------------------------------

def _settle_trail_copies(accounts: Sequence[dict[str, Any]]) -> None:
    """Keep each trail once: under its owner when an owner entry lists it, else under the lowest
    account id that lists a copy; a dropped copy takes the errors of its detail calls along."""
    owned = {trail["TrailARN"] for entry in accounts for trail in entry["trails"] if _owns(entry, trail)}
    keeper: dict[str, str] = {}
    for entry in accounts:
        for trail in entry["trails"]:
            arn = trail["TrailARN"]
            if not _owns(entry, trail) and arn not in owned:
                keeper[arn] = min(keeper.get(arn, entry["account_id"]), entry["account_id"])
    for entry in accounts:
        dropped = {trail["TrailARN"] for trail in entry["trails"]
                   if not _owns(entry, trail) and keeper.get(trail["TrailARN"]) != entry["account_id"]}
        if dropped:
            entry["trails"] = [trail for trail in entry["trails"] if trail["TrailARN"] not in dropped]
            entry["errors"] = [error for error in entry.get("errors", []) if error.get("trail_arn") not in dropped]


def _owns(entry: Mapping[str, Any], trail: Mapping[str, Any]) -> bool:
    return bool(Arn.parse(trail["TrailARN"]).account == entry["account_id"])


# -- visits -------------------------------------------------------------------------------------

_IDENTITY: dict[str, Callable[[Mapping[str, Any]], tuple[str, ...]]] = {
    "metric_filters": lambda f: (str(f.get("logGroupName", "")), str(f.get("filterName", ""))),
    "topics": lambda t: (str(t.get("TopicArn", "")),),
    "event_rules": lambda r: (str(r.get("EventBusName", "")), str(r.get("Name", ""))),
}
"""How an item of a monitoring list is told apart, for the lists a visit can add to (alarms are
read for a whole Region at once, so the owner's list, when it has one, is the whole answer)."""


def _fold_visit(owner: dict[str, Any], visit: Mapping[str, Any]) -> None:
    """Add what a visit read to the owner's data and errors (see the module docstring)."""
    monitoring = dict(owner.get("monitoring", {}))
    for region, lists in visit.get("monitoring", {}).items():
        have = dict(monitoring.get(region, {}))
        for key, items in lists.items():
            have[key] = _union(key, have[key], items) if key in have else items
        monitoring[region] = have
    if monitoring:
        owner["monitoring"] = {region: monitoring[region] for region in sorted(monitoring)}
    held = _StorageHeld.of(owner)
    _fold_storage(owner, visit)
    known = {_error_key(error) for error in owner.get("errors", [])}
    added = [error for error in visit.get("errors", [])
             if (error["operation"] in MONITORING_OPERATIONS
                 or (error["operation"] in STORAGE_OPERATIONS and not held.about(error)))
             and _error_key(error) not in known]
    if added:
        owner["errors"] = sorted([*owner.get("errors", []), *added], key=_error_key)


@dataclass(frozen=True)
class _StorageHeld:
    """The storage resources an owner's entry holds before a visit is folded in: a visit's errors
    about them are dropped with its data, since the owner's reads stand."""

    buckets: frozenset[str]
    account_block: bool
    keys: frozenset[str]
    log_groups: frozenset[tuple[str, str]]

    @classmethod
    def of(cls, entry: Mapping[str, Any]) -> _StorageHeld:
        return cls(frozenset(entry.get("buckets", {})), "account_public_access_block" in entry,
                   frozenset(entry.get("kms_keys", {})),
                   frozenset((region, str(group.get("logGroupName", "")))
                             for region, groups in entry.get("log_groups", {}).items() for group in groups))

    def about(self, error: Mapping[str, Any]) -> bool:
        part = STORAGE_OPERATIONS[error["operation"]]
        resource = str(error.get("resource") or "")
        if part == "buckets":
            return resource in self.buckets
        if part == "account_public_access_block":
            return self.account_block
        if part == "kms_keys":
            return resource in self.keys
        if part == "log_groups":
            return (str(error.get("region") or ""), resource) in self.log_groups
        return False  # event data stores are never read on a visit


def _fold_storage(owner: dict[str, Any], visit: Mapping[str, Any]) -> None:
    """Each bucket, key and log group of the visit that the owner lacks, whole; the owner's
    account public access block unless it has one."""
    for key in ("buckets", "kms_keys"):
        if key in visit:
            owner[key] = {name: value for name, value in sorted({**visit[key], **owner.get(key, {})}.items())}
    if "account_public_access_block" in visit:
        owner.setdefault("account_public_access_block", visit["account_public_access_block"])
    if "log_groups" in visit:
        regions = {region: list(groups) for region, groups in owner.get("log_groups", {}).items()}
        for region, groups in visit["log_groups"].items():
            have = regions.setdefault(region, [])
            names = {group.get("logGroupName") for group in have}
            have += [group for group in groups if group.get("logGroupName") not in names]
            have.sort(key=lambda group: str(group.get("logGroupName", "")))
        owner["log_groups"] = {region: regions[region] for region in sorted(regions)}


def _union(key: str, mine: list[dict[str, Any]], theirs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    identity = _IDENTITY.get(key)
    if identity is None:
        return mine
    items = {identity(item): item for item in mine}
    for item in theirs:
        held = items.get(identity(item))
        if held is None:
            items[identity(item)] = item
        elif key == "event_rules" and "Targets" not in held and "Targets" in item:
            items[identity(item)] = {**held, "Targets": item["Targets"]}
    return [items[name] for name in sorted(items)]


def _error_key(error: Mapping[str, Any]) -> tuple[str, ...]:
    return (error.get("region") or "", str(error["operation"]), error.get("trail_arn", ""),
            error.get("resource", ""), str(error["code"]), error.get("message", ""))
