"""What records the events of an account: its trails, and the event data stores a rule lets count.

A CloudTrail Lake event data store records events like a trail (docs/semantics.md, "Event
data stores as recorders"): while its ``Status`` is ``ENABLED``, in its home Region or every
Region (``MultiRegionEnabled``), for its own account or every account of the organization
(``OrganizationEnabled``), through advanced selectors only. The selector simulator is given
its view as a :class:`~checker.model.Trail` of kind ``event-data-store``, never listed among
an account's trails, so the trail rules never see it.

Only the rules whose ``recorded_by`` parameter names ``event-data-stores`` count stores, and
only when the snapshot carries that family; without it, coverage is judged on trails alone.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any, Literal

from checker.arn import Arn
from checker.model import CollectionError, Selectors, Snapshot, Trail, TrailStatus
from checker.snapshot_index import per_snapshot
from checker.storage_model import STORAGE_OPERATIONS, EventDataStore

RecorderFamily = Literal["trails", "event-data-stores"]
"""The data families whose resources may record events, as a rule's ``recorded_by`` names them."""

RECORDER_FAMILIES: tuple[RecorderFamily, ...] = ("trails", "event-data-stores")

RECORDED_BY_PARAM = "recorded_by"
"""The rule parameter that lists the recorder families a ``logged`` question counts."""

TRAILS_ONLY: frozenset[RecorderFamily] = frozenset({"trails"})

ENABLED = "ENABLED"
"""The one ``Status`` in which an event data store ingests events."""


def recorded_by(params: Mapping[str, Any]) -> frozenset[RecorderFamily]:
    """The recorder families a rule counts (its ``recorded_by`` parameter; trails when it has none).

    The loader has checked the parameter (:func:`recorded_by_problems`)."""
    value = params.get(RECORDED_BY_PARAM)
    if value is None:
        return TRAILS_ONLY
    return frozenset(family for family in RECORDER_FAMILIES if family in value)


def recorded_by_problems(params: Mapping[str, Any], asks_recorded: bool) -> list[str]:
    """What is wrong with a rule's ``recorded_by`` parameter, if it has one.

    ``asks_recorded``: the rule asks whether events are recorded at all (``require.logged``,
    or an event rule's ``logged``); the parameter means nothing elsewhere.
    """
    if RECORDED_BY_PARAM not in params:
        return []
    if not asks_recorded:
        return [f"{RECORDED_BY_PARAM} applies only to rules with require.logged or an event rule's logged"]
    value = params[RECORDED_BY_PARAM]
    if not isinstance(value, list) or not value or any(item not in RECORDER_FAMILIES for item in value):
        return [f"{RECORDED_BY_PARAM} must list one or more of {', '.join(RECORDER_FAMILIES)} (got {value!r})"]
    return []


def store_recorder(store: EventDataStore, partition: str) -> Trail:
    """The store as a recorder the simulator reads like a trail.

    A store that is not ``ENABLED`` records nothing, wherever it reaches. An ``ENABLED`` store
    whose reach (``MultiRegionEnabled``, ``OrganizationEnabled``) was not read is taken to reach
    every Region and member with its status unknown: it can leave a question open, never answer it.
    Insights events reach a store only from another store's Insights settings, which are not
    read (:func:`checker.simulator.decide.store_insight_decision`).
    """
    if store.status is not None and store.status != ENABLED:
        status: TrailStatus | None = TrailStatus(False, store.status)
    elif store.status is None or store.multi_region is None or store.organization is None:
        status = None
    else:
        status = TrailStatus(True, store.status)
    arn = Arn.parse_or_none(store.arn)
    return Trail(
        arn=store.arn,
        home_region=store.region,
        owner_account_id=store.owner_account_id,
        partition=arn.partition if arn is not None else partition,
        is_multi_region=store.multi_region is not False,
        is_organization_trail=store.organization is not False,
        include_global_service_events=True,
        status=status,
        selectors=Selectors("advanced", advanced=store.selectors) if store.selectors is not None else None,
        insight_types=(),
        document=store.document,
        kind="event-data-store",
    )


def recorders_reaching(snapshot: Snapshot, account_id: str,
                       families: Collection[RecorderFamily] = TRAILS_ONLY) -> list[Trail]:
    """The recorders of ``families`` that can record events of ``account_id``, trails first
    (:meth:`Snapshot.trails_reaching`), then its own event data stores and the organization's,
    by ARN. Stores count only when the snapshot carries ``event-data-stores``."""
    trails = snapshot.trails_reaching(account_id) if "trails" in families else []
    if "event-data-stores" not in families or not snapshot.carries("event-data-stores"):
        return trails
    return trails + list(_index(snapshot).reaching(snapshot, account_id))


def errors_may_hide(snapshot: Snapshot, account_id: str, region: str,
                    families: Collection[RecorderFamily] = TRAILS_ONLY) -> bool:
    """Whether collection errors may hide a recorder of ``families`` reaching ``account_id`` in
    ``region``: for trails, the account's errors there (:meth:`Account.errors_in`); for event
    data stores, any Region whose stores were not listed, in the account and, within an
    organization, in every scanned account (any of them may hold an organization store, which
    may reach every Region). A yes or no, at no cost from the organization's size: the errors
    themselves are :class:`HidingErrors`'."""
    trail_errors, store_gaps = _hiding(snapshot, account_id, region, families)
    return bool(trail_errors or store_gaps)


MAX_LISTED_ERRORS = 20
"""The collection errors a finding's evidence lists of those that may hide a recorder; the rest
are counted. Within an organization every scanned account's store listing gaps count for every
account: 1,000 accounts x 17 Regions not listed are 17,000 errors in each finding."""


class HidingErrors:
    """The collection errors that may hide a recorder of ``families`` from a unit, gathered cell
    by cell (:meth:`add`), as a finding shows them: the first :data:`MAX_LISTED_ERRORS`
    (:meth:`evidence`) and how many in all (:meth:`summary`).

    The store listing gaps are one shared block per account, or one for the whole organization:
    a block is taken once, never copied or compared error by error, so a finding costs the
    errors it lists, not the organization's size. Trail errors and store gaps are distinct
    operations, and each block is distinct, so the errors gathered are distinct.
    """

    def __init__(self, snapshot: Snapshot, families: Collection[RecorderFamily]) -> None:
        self._snapshot = snapshot
        self._families = families
        self._trail_errors: dict[CollectionError, None] = {}
        self._store_gaps: dict[int, tuple[CollectionError, ...]] = {}

    def add(self, account_id: str, region: str) -> bool:
        """Gather what may hide a recorder reaching ``account_id`` in ``region``; whether anything may."""
        trail_errors, store_gaps = _hiding(self._snapshot, account_id, region, self._families)
        self._trail_errors.update(dict.fromkeys(trail_errors))
        if store_gaps:
            self._store_gaps.setdefault(id(store_gaps), store_gaps)
        return bool(trail_errors or store_gaps)

    def __bool__(self) -> bool:
        return bool(self._trail_errors or self._store_gaps)

    @property
    def total(self) -> int:
        return len(self._trail_errors) + sum(len(block) for block in self._store_gaps.values())

    def listed(self) -> list[CollectionError]:
        """The first :data:`MAX_LISTED_ERRORS`: the trail errors, then the store gaps."""
        shown = list(self._trail_errors)[:MAX_LISTED_ERRORS]
        for block in self._store_gaps.values():
            shown += block[:MAX_LISTED_ERRORS - len(shown)]
        return shown

    def evidence(self) -> dict[str, Any]:
        """``collection_errors``, the listed errors, and ``collection_errors_total`` when there are more."""
        found: dict[str, Any] = {"collection_errors": [e.to_dict() for e in self.listed()]}
        total = self.total
        if total > MAX_LISTED_ERRORS:
            found["collection_errors_total"] = total
        return found

    def summary(self) -> str:
        """What may hide what, and how many: ``collection errors hide trails or event data stores:
        ListEventDataStores AccessDenied; 17,000 errors in all, the first 20 in the evidence``
        (the kinds of the listed errors, at most three)."""
        hidden = ("trails or event data stores" if "event-data-stores" in self._families
                  and self._snapshot.carries("event-data-stores") else "trails")
        kinds = list(dict.fromkeys(f"{e.operation} {e.code}" for e in self.listed()))
        text = f"collection errors hide {hidden}: " + "; ".join(kinds[:3]) + ("; ..." if len(kinds) > 3 else "")
        total = self.total
        if total > len(kinds[:3]):
            text += f"; {total:,} errors in all"
        if total > MAX_LISTED_ERRORS:
            text += f", the first {MAX_LISTED_ERRORS} in the evidence"
        return text


def _hiding(snapshot: Snapshot, account_id: str, region: str,
            families: Collection[RecorderFamily]) -> tuple[tuple[CollectionError, ...], tuple[CollectionError, ...]]:
    """What may hide a recorder reaching ``account_id`` in ``region`` (:func:`errors_may_hide`): the
    account's trail errors there, and the block of store listing gaps that counts for it."""
    account = snapshot.account(account_id)
    found = account.errors_in(region) if account is not None and "trails" in families else ()
    if "event-data-stores" not in families or not snapshot.carries("event-data-stores"):
        return found, ()
    index = _index(snapshot)
    in_org = snapshot.organization is not None and account is not None
    return found, index.all_gaps if in_org else index.gaps.get(account_id, ())


@dataclass
class _StoreIndex:
    """The stores of one snapshot as recorders, by owner, and where their listing has gaps."""

    by_owner: dict[str, tuple[Trail, ...]]
    organization: tuple[Trail, ...]
    gaps: dict[str, tuple[CollectionError, ...]]
    reached: dict[str, tuple[Trail, ...]]

    @cached_property
    def all_gaps(self) -> tuple[CollectionError, ...]:
        """Every account's gaps, by account: what may hide an organization store."""
        return tuple(e for account_id in sorted(self.gaps) for e in self.gaps[account_id])

    def reaching(self, snapshot: Snapshot, account_id: str) -> tuple[Trail, ...]:
        found = self.reached.get(account_id)
        if found is None:
            in_org = snapshot.organization is not None and snapshot.account(account_id) is not None
            by_arn = {t.arn: t for t in (*self.by_owner.get(account_id, ()), *(self.organization if in_org else ()))}
            found = self.reached[account_id] = tuple(by_arn[arn] for arn in sorted(by_arn))
        return found


def _build(snapshot: Snapshot) -> _StoreIndex:
    unique: dict[str, Trail] = {}
    gaps: dict[str, tuple[CollectionError, ...]] = {}
    for account in snapshot.accounts:
        listed = account.storage.event_data_stores if account.storage is not None else {}
        for region in sorted(listed):
            for store in listed[region]:
                unique.setdefault(store.arn, store_recorder(store, snapshot.partition))
        failed = tuple(replace(e, message=f"account {account.account_id}: {e.message}") for e in account.errors
                       if STORAGE_OPERATIONS.get(e.operation) == "event_data_stores")
        said = {e.region for e in failed}
        unlisted = tuple(CollectionError(region, "ListEventDataStores", "NotCollected",
                                         f"the event data stores of account {account.account_id} in {region} "
                                         "were not listed")
                         for region in account.regions if region not in listed and region not in said)
        if unlisted or failed:
            gaps[account.account_id] = failed + unlisted
    by_owner: dict[str, list[Trail]] = {}
    for arn in sorted(unique):
        by_owner.setdefault(unique[arn].owner_account_id, []).append(unique[arn])
    organization = tuple(unique[arn] for arn in sorted(unique) if unique[arn].is_organization_trail)
    return _StoreIndex({owner: tuple(stores) for owner, stores in by_owner.items()}, organization, gaps, {})


_index = per_snapshot(_build)
"""The snapshot's index, built on first use."""
