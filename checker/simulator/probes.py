"""Is a probe event logged for *every* value of the fields it leaves out? (docs/semantics.md)

A probe fixes some fields of an event; the others are universally quantified. Selector
conditions can only tell a field's values apart by the literals, prefixes and suffixes
they mention, so finitely many witnesses per field decide the question exactly
(:mod:`checker.simulator.witnesses`): the probe is covered iff every combination of
witnesses is logged by some trail, and the combinations that are not are the evidence of
partial coverage. :mod:`checker.simulator.cover` decides it without enumerating the product.

A verdict has two parts, each decided once (:class:`CoverageJudge` remembers them):

* each trail's *share* (:func:`trail_share`): the clauses that can still match the probe
  and the trail's own row of evidence (``covers``, ``partial``, or why it misses the
  first variant it does not log, over its own witnesses). It depends only on the trail's
  configuration, the probe, and whether the Region is where global service events are
  recorded;
* the *union* (:func:`decide_probe`): covered, partial or not, and the witness
  combinations no trail logs, over the shares of the trails that reach the Region.

Both are keyed by what they depend on, never by ARN: the Regions an organization trail
treats alike (every Region but us-east-1, for a multi-Region trail) share one decision,
whichever account asks, and so do accounts whose local trails are configured alike.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from operator import attrgetter
from typing import Literal

from checker import limits
from checker.model import FieldSelector, Trail
from checker.simulator.classify import View
from checker.simulator.conditions import Condition, compile_selectors
from checker.simulator.cover import Box, Budget, CoverQuestion, ProbeTooLargeError, field_witnesses
from checker.simulator.decide import (
    GLOBAL_EVENTS_REGION,
    GLOBAL_SERVICE_SOURCES,
    global_reach,
    region_reach,
    sees_region,
    selector_decision,
    status_decision,
)

Coverage = Literal["covered", "partial", "not-covered", "unknown"]

MAX_LISTED_WITNESSES = 20
RECENT_RESULTS = 4096
"""Whole results the judge keeps for a repeated question (the same trails, probe and Region):
a rule asks the accounts one after the other, and the many accounts reached by the
organization trail alone ask the same question in turn."""

# A trail without global service events, in the Region that records them, misses these
# sources: for the simulator that is one more condition on each of its clauses.
_WITHOUT_GLOBAL_EVENTS = Condition(FieldSelector("eventSource", not_equals=tuple(sorted(GLOBAL_SERVICE_SOURCES))),
                                   "IncludeGlobalServiceEvents=false")


@dataclass(frozen=True)
class TrailCoverage:
    """One trail's share of a probe: ``covers``, ``partial``, its decision for the first
    witness it does not log, or ``undecided`` (past the budget)."""

    arn: str
    decision: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return self._dict

    @cached_property
    def _dict(self) -> dict[str, str]:
        return {"arn": self.arn, "decision": self.decision, "reason": self.reason}


@dataclass(frozen=True)
class ProbeResult:
    """The verdict on one probe in one region over a set of recorders: the rows of the trails
    (``trails``) and, apart, those of the event data stores that counted (``stores``), each by ARN."""

    probe: dict[str, str]
    region: str
    coverage: Coverage
    missing: list[str] = field(default_factory=list)
    missing_total: int = 0
    trails: list[TrailCoverage] = field(default_factory=list)
    stores: list[TrailCoverage] = field(default_factory=list)

    @property
    def recorders(self) -> list[TrailCoverage]:
        """Every recorder's row: the trails', then the event data stores'."""
        return self.trails + self.stores

    def describe(self) -> str:
        """``kms.amazonaws.com DisableKey (Management, readOnly=false)`` or ``all Management events``."""
        return self._description

    def to_dict(self) -> dict[str, object]:
        """The evidence of this result (one dict, shared by every finding that cites it)."""
        return self._dict

    @cached_property
    def _description(self) -> str:
        rest = {k: v for k, v in self.probe.items() if k != "awsRegion"}
        head = " ".join(v for v in (rest.pop("eventSource", ""), rest.pop("eventName", "")) if v)
        category = rest.pop("eventCategory", "")
        qualifiers = [f"{k}={v}" for k, v in rest.items()]
        if not head:
            return f"all {category} events".replace("  ", " ") + (f" ({', '.join(qualifiers)})" if qualifiers else "")
        qualifiers = ([category] if category else []) + qualifiers
        return head + (f" ({', '.join(qualifiers)})" if qualifiers else "")

    @cached_property
    def _dict(self) -> dict[str, object]:
        data: dict[str, object] = {"event": self.probe, "region": self.region, "coverage": self.coverage}
        if self.missing:
            data["not_logged"] = self.missing
            if self.missing_total > len(self.missing):
                data["not_logged_total"] = self.missing_total
        data["trails"] = [t.to_dict() for t in self.trails]
        if self.stores:
            data["event_data_stores"] = [t.to_dict() for t in self.stores]
        return data


@dataclass(frozen=True)
class TrailShare:
    """What one trail that reaches the Region brings to a probe: its live ``boxes`` (the
    clauses that can still match), whether missing data leaves it open (``unknown``), and
    its row of evidence; ``work`` is the witness decisions it took."""

    boxes: tuple[Box, ...]
    unknown: bool
    decision: str
    reason: str
    work: int = 0


@dataclass(frozen=True)
class ProbeDecision:
    """The union of the shares: the coverage and the witness combinations no trail logs
    (the first :data:`MAX_LISTED_WITNESSES`, and how many); ``work`` as for a share."""

    coverage: Coverage
    missing: tuple[str, ...]
    missing_total: int
    work: int


@dataclass(frozen=True)
class _Probe:
    """A probe as the judge asks it: as written, its fixed fields as selectors compare them
    (numbered: probes that fix the same fields decide alike), the Region it pins (if any),
    and how it is shown."""

    items: tuple[tuple[str, str | bool], ...]
    fixed: View
    number: int
    region: str | None
    shown: dict[str, str]


_Kind = tuple[int, bool]
"""What a trail's shares in a Region depend on: (its configuration number, whether the Region
records global service events)."""

_ShareKey = tuple[int, bool, int]
"""A trail's kind and the probe number."""

_BY_ARN = attrgetter("arn")


@dataclass(frozen=True)
class _Reach:
    """How some trails meet one Region: each trail with its row when it does not see the
    Region, else with its kind; and the kinds of those that see it, sorted (with the probe,
    the key of their union)."""

    trails: tuple[tuple[Trail, TrailCoverage | _Kind], ...]
    kinds: tuple[_Kind, ...]


def probe_text(value: str | bool) -> str:
    """Probe values as selectors compare them (``readOnly: false`` -> ``"false"``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def is_global_region(trail: Trail, region: str) -> bool:
    """Whether ``region`` is where the trail's partition records global service events."""
    return region == GLOBAL_EVENTS_REGION.get(trail.partition)


def trail_boxes(trail: Trail, fixed: View, region: str) -> tuple[list[Box], list[Box]]:
    """The trail's clauses reduced to the open fields: those that can still match the
    probe, and those that cannot (a condition that matches nothing, or one the probe's
    fixed fields fail).

    In the Region that records global service events, a trail without them misses those
    sources: one more condition on each of its clauses.
    """
    assert trail.selectors is not None
    extra = (_WITHOUT_GLOBAL_EVENTS,) if is_global_region(trail, region) and not trail.include_global_service_events \
        else ()
    live: list[Box] = []
    dead: list[Box] = []
    for clause in compile_selectors(trail.selectors, trail.partition):
        conditions = clause.conditions + extra
        fails = any(c.never is not None or (c.field in fixed and c.failure(fixed[c.field]) is not None)
                    for c in conditions)
        (dead if fails else live).append(frozenset(c.selector for c in conditions if c.field not in fixed))
    return live, dead


def trail_share(trail: Trail, fixed: View, region: str, budget: Budget) -> TrailShare:
    """One trail's share of the probe ``fixed`` in ``region``, which the trail reaches.

    Its row: ``covers`` when its live clauses log every variant, ``partial`` when some,
    else its decision for the first variant (in its own witness order; an open field that
    only clauses that cannot match mention takes its first witness, so that their reasons
    speak of a real value); ``undecided`` when that would exceed the budget. Its boxes are
    known either way, so other trails can still decide the union.
    """
    early = status_decision(trail) or (selector_decision(trail, [fixed]) if trail.selectors is None else None)
    if early is not None:
        return TrailShare((), early.logged is None, early.decision, early.reason)
    live, dead = trail_boxes(trail, fixed, region)
    try:
        label, reason = _own_row(trail, live, dead, fixed, region, budget)
    except ProbeTooLargeError as error:
        label, reason = "undecided", str(error)
    return TrailShare(tuple(live), False, label, reason, budget.spent)


def _own_row(trail: Trail, live: list[Box], dead: list[Box], fixed: View, region: str,
             budget: Budget) -> tuple[str, str]:
    question = CoverQuestion(live, budget)
    mask = (1 << len(live)) - 1
    left_out = question.uncovered(mask)
    if not left_out:
        return "covers", "logs every variant of the event"
    first = question.first_uncovered(mask, 1)[0]
    others = sorted({s.field for box in dead for s in box} - set(question.fields))
    view: View = {**fixed, **{name: field_witnesses(name, {s for box in dead for s in box if s.field == name},
                                                    budget).witness(0).value for name in others},
                  **{name: w.value for name, w in question.witnesses(first)}}
    miss = global_reach(trail, region, view.get("eventSource")) or selector_decision(trail, [view])
    return ("partial" if left_out < question.combinations else miss.decision), miss.reason


def decide_probe(shares: Sequence[TrailShare], budget: Budget) -> ProbeDecision:
    """The union of the shares of the trails that reach the Region."""
    boxes = list(dict.fromkeys(box for share in shares for box in share.boxes))
    question = CoverQuestion(boxes, budget)
    everything = (1 << len(boxes)) - 1
    uncovered = question.uncovered(everything)
    if not uncovered:
        return ProbeDecision("covered", (), 0, budget.spent)
    if any(share.unknown for share in shares):
        return ProbeDecision("unknown", (), 0, budget.spent)
    missing = tuple(", ".join(f"{name}={w.shown}" for name, w in question.witnesses(combination))
                    or "the event as given"
                    for combination in question.first_uncovered(everything, MAX_LISTED_WITNESSES))
    coverage: Coverage = "partial" if uncovered < question.combinations else "not-covered"
    return ProbeDecision(coverage, missing, uncovered, budget.spent)


class CoverageJudge:
    """Decides probes for one snapshot, each distinct question once (see the module doc).

    A trail is told by what its shares depend on (kind of recorder, logging status, selectors,
    partition, global service events), so trails configured alike share their decisions. Its ARN
    is the key to that, which is unique within a snapshot: use one judge per snapshot.
    """

    def __init__(self, budget: int | None = None) -> None:
        self._budget = limits.PROBE_WITNESS_BUDGET.value() if budget is None else budget
        self._probes: dict[tuple[tuple[str, str | bool], ...], _Probe] = {}
        self._probe_numbers: dict[tuple[tuple[str, str | None], ...], int] = {}
        self._configuration_of: dict[str, int] = {}
        self._configurations: dict[Hashable, int] = {}
        self._shares: dict[_ShareKey, TrailShare] = {}
        self._decided: dict[tuple[int, tuple[_Kind, ...]], ProbeDecision | str] = {}
        self._rows: dict[tuple[str, Hashable], TrailCoverage] = {}
        self._reaches: dict[tuple[tuple[str, ...], str], _Reach] = {}
        self._recent: OrderedDict[tuple[Hashable, ...], ProbeResult] = OrderedDict()

    def coverage(self, trails: Sequence[Trail], probe: Mapping[str, str | bool], region: str) -> ProbeResult:
        """Decide ``probe`` in ``region`` over ``trails`` (all trails reaching the account).

        Raises :class:`ProbeTooLargeError` when a part of the decision would exceed the
        budget (then the probe is undecided).
        """
        asked = self._probe(probe)
        region = asked.region or region
        arns = tuple([trail.arn for trail in trails])
        asked_here = (asked.items, region, arns)
        result = self._recent.get(asked_here)
        if result is not None:
            self._recent.move_to_end(asked_here)
            return result
        result = self._result(self._reach(trails, arns, region), asked, region)
        self._recent[asked_here] = result
        if len(self._recent) > RECENT_RESULTS:
            self._recent.popitem(last=False)
        return result

    def _result(self, reach: _Reach, asked: _Probe, region: str) -> ProbeResult:
        rows: list[TrailCoverage] = []
        store_rows: list[TrailCoverage] = []
        shares: list[TrailShare] = []
        for trail, kind in reach.trails:
            into = store_rows if trail.kind == "event-data-store" else rows
            if isinstance(kind, TrailCoverage):
                into.append(kind)
                continue
            key = (*kind, asked.number)
            share = self._shares.get(key)
            if share is None:
                share = self._shares[key] = trail_share(trail, asked.fixed, region, Budget(self._budget))
            row = self._rows.get((trail.arn, key))
            if row is None:
                row = self._rows[(trail.arn, key)] = TrailCoverage(trail.arn, share.decision, share.reason)
            into.append(row)
            shares.append(share)
        union = (asked.number, reach.kinds)
        decision = self._decided.get(union)
        if decision is None:
            try:
                decision = decide_probe(shares, Budget(self._budget))
            except ProbeTooLargeError as error:
                decision = str(error)  # remembered like a decision
            self._decided[union] = decision
        if isinstance(decision, str):
            raise ProbeTooLargeError(f"probe {asked.shown}: {decision}")
        rows.sort(key=_BY_ARN)
        store_rows.sort(key=_BY_ARN)
        return ProbeResult(asked.shown, region, decision.coverage, list(decision.missing), decision.missing_total,
                           rows, store_rows)

    def _reach(self, trails: Sequence[Trail], arns: tuple[str, ...], region: str) -> _Reach:
        """How ``trails`` meet ``region`` (the same for every probe asked there)."""
        reach = self._reaches.get((arns, region))
        if reach is None:
            found: list[tuple[Trail, TrailCoverage | _Kind]] = [
                (trail, (self._configuration(trail), is_global_region(trail, region)) if sees_region(trail, region)
                 else self._away_row(trail, region)) for trail in trails]
            kinds = tuple(sorted(kind for _, kind in found if not isinstance(kind, TrailCoverage)))
            reach = self._reaches[(arns, region)] = _Reach(tuple(found), kinds)
        return reach

    def _away_row(self, trail: Trail, region: str) -> TrailCoverage:
        row = self._rows.get((trail.arn, region))
        if row is None:
            away = region_reach(trail, region)
            assert away is not None
            row = self._rows[(trail.arn, region)] = TrailCoverage(trail.arn, away.decision, away.reason)
        return row

    def _probe(self, probe: Mapping[str, str | bool]) -> _Probe:
        items = tuple(probe.items())
        asked = self._probes.get(items)
        if asked is None:
            fixed: View = {k: probe_text(v) for k, v in items if k != "awsRegion"}
            key = tuple(sorted(fixed.items()))
            number = self._probe_numbers.setdefault(key, len(self._probe_numbers))
            pinned = probe.get("awsRegion")
            asked = self._probes[items] = _Probe(items, fixed, number, None if pinned is None else str(pinned),
                                                 {k: probe_text(v) for k, v in items})
        return asked

    def _configuration(self, trail: Trail) -> int:
        """A number for what the trail's shares depend on."""
        known = self._configuration_of.get(trail.arn)
        if known is None:
            configuration = (trail.kind, trail.status, trail.selectors, trail.partition,
                             trail.include_global_service_events)
            known = self._configurations.setdefault(configuration, len(self._configurations))
            self._configuration_of[trail.arn] = known
        return known


def probe_coverage(trails: Sequence[Trail], probe: Mapping[str, str | bool], region: str) -> ProbeResult:
    """Decide ``probe`` in ``region`` over ``trails`` (all trails reaching the account), on its own."""
    return CoverageJudge().coverage(trails, probe, region)
