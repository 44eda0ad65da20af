"""Mergeable aggregates of matching records: what event-rule findings are built from.

Records are never kept. Each rule keeps, per group (account, region and the rule's
``group_by`` values), a count, the first and last ``eventTime``, the first
:data:`MAX_EVENT_IDS` eventIDs and a few distinct sample values; for ``logged`` rules also
the recorders' rows, the trails' apart from the event data stores', and what else leaves an
unknown verdict open (:class:`Why`). Aggregates built by
parallel workers over different files merge into the same result as a sequential run,
provided they are merged in source order (first-seen lists keep that order).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from checker.engine.events.paths import Getter, Many, compile_path
from checker.simulator.record import record_account

MAX_EVENT_IDS = 10
MAX_SAMPLES = 5
MAX_RECORDER_ROWS = 20
"""The distinct rows a group lists of the trails, and apart of the event data stores."""
# Fields worth showing a few distinct values of, when the rule does not group by them.
SAMPLE_FIELDS = ("eventName", "userIdentity.arn", "sourceIPAddress")
# group_by paths that are the finding's identity rather than its resource.
IDENTITY_PATHS = ("recipientAccountId", "userIdentity.accountId", "awsRegion")

GroupKey = tuple[Any, ...]


def plain(value: Any) -> Any:
    """A resolved value as JSON data (the values after an array become a list)."""
    return list(value) if isinstance(value, Many) else value


def _key_part(value: Any) -> Any:
    """A hashable stand-in for a group value: strings and null as is, the rest as JSON."""
    if value is None or type(value) is str:
        return value
    return ("json", json.dumps(value, sort_keys=True))


def render(value: Any) -> str:
    """A group value as text for a finding's resource: strings bare, the rest as JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(plain(value), sort_keys=True, separators=(",", ":"))


def record_identity(record: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(account, region) of a record: recipientAccountId (else userIdentity.accountId), awsRegion."""
    region = record.get("awsRegion")
    return record_account(record), region if isinstance(region, str) else None


def _append_distinct(target: list[Any], values: Iterable[Any], limit: int) -> None:
    for value in values:
        if len(target) >= limit:
            return
        if value not in target:
            target.append(value)


@dataclass(frozen=True)
class Why:
    """What a record's verdict adds to its group's evidence: the rows of the trails and, apart,
    of the event data stores (``arn``, ``decision``, ``reason``), and for an unknown verdict
    that no recorder's row explains, the evidence that does (``reason``, and the
    ``collection_errors`` that may hide a recorder, counted in ``collection_errors_total``).

    ``missing`` is the same for every record of an (account, region): a group keeps the
    first it meets, shared, never copied error by error."""

    trails: Sequence[Mapping[str, Any]] = ()
    stores: Sequence[Mapping[str, Any]] = ()
    missing: Mapping[str, Any] | None = None


NOTHING = Why()
"""A verdict that shows nothing: the matches of a rule without ``logged``."""


@dataclass
class Group:
    """One group of matching records (or, for ``logged`` rules, of verdicts)."""

    account_id: str | None
    region: str | None
    values: dict[str, Any]
    count: int = 0
    first_time: str | None = None
    last_time: str | None = None
    event_ids: list[str] = field(default_factory=list)
    samples: dict[str, list[Any]] = field(default_factory=dict)
    trails: list[Mapping[str, Any]] = field(default_factory=list)
    stores: list[Mapping[str, Any]] = field(default_factory=list)
    missing: Mapping[str, Any] | None = None

    def add(self, record: Mapping[str, Any], samplers: Sequence[tuple[str, Getter]], why: Why = NOTHING) -> None:
        self.count += 1
        time = record.get("eventTime")
        if isinstance(time, str):
            if self.first_time is None or time < self.first_time:
                self.first_time = time
            if self.last_time is None or time > self.last_time:
                self.last_time = time
        event_id = record.get("eventID")
        if isinstance(event_id, str) and len(self.event_ids) < MAX_EVENT_IDS:
            self.event_ids.append(event_id)
        for path, get in samplers:
            sample = self.samples.setdefault(path, [])
            if len(sample) < MAX_SAMPLES:
                value = plain(get(record))
                if value is not None and value not in sample:
                    sample.append(value)
        self._note(why.trails, why.stores, why.missing)

    def _note(self, trails: Iterable[Mapping[str, Any]], stores: Iterable[Mapping[str, Any]],
              missing: Mapping[str, Any] | None) -> None:
        _append_distinct(self.trails, trails, MAX_RECORDER_ROWS)
        _append_distinct(self.stores, stores, MAX_RECORDER_ROWS)
        if self.missing is None:
            self.missing = missing

    def merge(self, other: Group) -> None:
        """Fold in a group of records that came *after* this one's in source order."""
        self.count += other.count
        times = [t for t in (self.first_time, other.first_time) if t is not None]
        self.first_time = min(times) if times else None
        times = [t for t in (self.last_time, other.last_time) if t is not None]
        self.last_time = max(times) if times else None
        self.event_ids.extend(other.event_ids[:MAX_EVENT_IDS - len(self.event_ids)])
        for path, values in other.samples.items():
            _append_distinct(self.samples.setdefault(path, []), values, MAX_SAMPLES)
        self._note(other.trails, other.stores, other.missing)

    def resource(self) -> str | None:
        """The group_by values other than account and region, as ``key=value, ...``."""
        parts = [f"{path}={render(value)}" for path, value in self.values.items() if path not in IDENTITY_PATHS]
        return ", ".join(parts) or None

    def reason(self) -> str:
        """Why the group's verdict is what it is, in a few words: the first trail's reason, else
        the first event data store's, else what leaves it unknown."""
        rows = self.trails or self.stores or ([self.missing] if self.missing else [])
        return str(rows[0]["reason"]) if rows else "unknown"

    def evidence(self) -> dict[str, Any]:
        """The group's records in brief, and the recorders' rows as probe evidence has them:
        ``trails``, and ``event_data_stores`` only when a store has a row (docs/semantics.md,
        "Evidence in reports")."""
        data: dict[str, Any] = {
            "count": self.count,
            "first_event_time": self.first_time,
            "last_event_time": self.last_time,
            "event_ids": self.event_ids,
        }
        if self.values:
            data["group"] = self.values
        if self.samples:
            data["samples"] = self.samples
        if self.trails:
            data["trails"] = self.trails
        if self.stores:
            data["event_data_stores"] = self.stores
        if self.missing:
            data.update(self.missing)
        return data


def merge_groups(into: dict[GroupKey, Group], other: Mapping[GroupKey, Group]) -> None:
    for key, group in other.items():
        if key in into:
            into[key].merge(group)
        else:
            into[key] = group


class Grouper:
    """Computes a record's group key and files it, for one rule's ``group_by``."""

    def __init__(self, group_by: Sequence[str]) -> None:
        self.paths = tuple(group_by)
        self.getters = tuple(compile_path(path) for path in self.paths)
        self.samplers = tuple((path, compile_path(path)) for path in SAMPLE_FIELDS if path not in self.paths)

    def add(self, groups: dict[GroupKey, Group], record: Mapping[str, Any],
            identity: tuple[str | None, str | None], why: Why = NOTHING) -> None:
        values = [plain(get(record)) for get in self.getters]
        key = (*identity, *(_key_part(v) for v in values))
        group = groups.get(key)
        if group is None:
            group = groups[key] = Group(identity[0], identity[1], dict(zip(self.paths, values, strict=True)))
        group.add(record, self.samplers, why)
