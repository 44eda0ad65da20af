"""Is a probe event logged for *every* value of the fields it leaves out? (SPEC §7)

A probe is a partial record. The union of the trails' clauses can only distinguish a
field's values by the literals, prefixes and suffixes its conditions mention, so a finite
set of witness values per field decides the universal question exactly:

* every literal (Equals / NotEquals value);
* ``P + F + S`` for every mentioned prefix ``P`` (or none) and suffix ``S`` (or none),
  where ``F`` is a filler made of characters no condition value contains.

Any concrete value satisfies exactly the same conditions as one of these witnesses: a
value equal to no literal behaves like ``P + F + S`` with ``P`` its longest mentioned
prefix and ``S`` its longest mentioned suffix. ``readOnly`` takes ``true`` and ``false``.
The probe is covered iff every combination of witnesses is logged by some trail; the
combinations that are not are the evidence of partial coverage.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from checker.model import FieldSelector, Trail
from checker.simulator.classify import View
from checker.simulator.conditions import Clause, Condition, compile_selectors
from checker.simulator.decide import (
    GLOBAL_EVENTS_REGION,
    GLOBAL_SERVICE_SOURCES,
    TrailDecision,
    global_reach,
    region_reach,
    selector_decision,
    status_decision,
)
from checker.simulator.record import combine

Coverage = Literal["covered", "partial", "not-covered", "unknown"]

MAX_COMBINATIONS = 50_000
MAX_LISTED_WITNESSES = 20
_FILLER_CANDIDATES = "~#%§¤¦¬"


@dataclass(frozen=True)
class Witness:
    """A value to try for an unspecified field, and how to show it (``*`` = anything else)."""

    value: str
    shown: str


@dataclass(frozen=True)
class TrailCoverage:
    """One trail's share of a probe: ``covers``, ``partial``, or its decision for the first
    witness it does not log."""

    arn: str
    decision: str
    reason: str

    def to_dict(self) -> dict[str, str]:
        return {"arn": self.arn, "decision": self.decision, "reason": self.reason}


@dataclass(frozen=True)
class ProbeResult:
    """The verdict on one probe in one region over a set of trails."""

    probe: dict[str, str]
    region: str
    coverage: Coverage
    missing: list[str] = field(default_factory=list)
    missing_total: int = 0
    trails: list[TrailCoverage] = field(default_factory=list)

    def describe(self) -> str:
        """``kms.amazonaws.com DisableKey (Management, readOnly=false)`` or ``all Management events``."""
        rest = {k: v for k, v in self.probe.items() if k != "awsRegion"}
        head = " ".join(v for v in (rest.pop("eventSource", ""), rest.pop("eventName", "")) if v)
        category = rest.pop("eventCategory", "")
        qualifiers = [f"{k}={v}" for k, v in rest.items()]
        if not head:
            return f"all {category} events".replace("  ", " ") + (f" ({', '.join(qualifiers)})" if qualifiers else "")
        qualifiers = ([category] if category else []) + qualifiers
        return head + (f" ({', '.join(qualifiers)})" if qualifiers else "")

    def to_dict(self) -> dict[str, object]:
        data: dict[str, object] = {"event": self.probe, "region": self.region, "coverage": self.coverage}
        if self.missing:
            data["not_logged"] = self.missing
            if self.missing_total > len(self.missing):
                data["not_logged_total"] = self.missing_total
        data["trails"] = [t.to_dict() for t in self.trails]
        return data


def probe_text(value: str | bool) -> str:
    """Probe values as selectors compare them (``readOnly: false`` -> ``"false"``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _filler(conditions: Sequence[Condition]) -> str:
    used = {ch for c in conditions for v in c.literals() + c.prefixes() + c.suffixes() for ch in v}
    return next(ch for ch in _FILLER_CANDIDATES if ch not in used) * 3


def witnesses(field_name: str, conditions: Sequence[Condition]) -> list[Witness]:
    """Every distinguishable value of ``field_name`` under ``conditions`` (see module doc)."""
    if field_name == "readOnly":
        return [Witness("true", "true"), Witness("false", "false")]
    literals = sorted({v for c in conditions for v in c.literals()})
    prefixes = ["", *sorted({v for c in conditions for v in c.prefixes()})]
    suffixes = ["", *sorted({v for c in conditions for v in c.suffixes()})]
    filler = _filler(conditions)
    found = [Witness(v, v) for v in literals]
    found += [Witness(p + filler + s, f"{p}*{s}") for p in prefixes for s in suffixes]
    return found


def _live_clauses(clauses: Sequence[Clause], fixed: View) -> list[Clause]:
    """Clauses that can still match given the probe's specified fields."""
    return [c for c in clauses
            if all(cond.failure(fixed[cond.field]) is None for cond in c.conditions if cond.field in fixed)]


class ProbeTooLargeError(ValueError):
    """The witness product is too large to enumerate; the verdict would be a guess."""


def probe_coverage(trails: Sequence[Trail], probe: Mapping[str, str | bool], region: str) -> ProbeResult:
    """Decide ``probe`` in ``region`` over ``trails`` (all trails reaching the account)."""
    fixed: View = {k: probe_text(v) for k, v in probe.items() if k != "awsRegion"}
    region = str(probe.get("awsRegion", region))
    shown_probe = {k: probe_text(v) for k, v in probe.items()}

    # Trails that cannot log anything here are decided once; the others by their clauses.
    settled: dict[str, TrailDecision] = {}
    candidates: list[tuple[Trail, list[Clause]]] = []
    for trail in trails:
        early = region_reach(trail, region) or status_decision(trail)
        if early is None and trail.selectors is None:
            early = selector_decision(trail, [fixed])
        if early is not None:
            settled[trail.arn] = early
        else:
            assert trail.selectors is not None
            candidates.append((trail, _live_clauses(compile_selectors(trail.selectors, trail.partition), fixed)))

    open_conditions = [cond for _, clauses in candidates for clause in clauses
                       for cond in clause.conditions if cond.field not in fixed]
    if "eventSource" not in fixed and any(
            not t.include_global_service_events and region == GLOBAL_EVENTS_REGION.get(t.partition)
            for t, _ in candidates):
        # The global service sources behave differently for such trails: make them witnesses.
        open_conditions.append(Condition(FieldSelector("eventSource", not_equals=tuple(sorted(GLOBAL_SERVICE_SOURCES))),
                                         "IncludeGlobalServiceEvents=false"))
    fields = sorted({cond.field for cond in open_conditions})
    choices = [witnesses(f, [c for c in open_conditions if c.field == f]) for f in fields]
    total = 1
    for options in choices:
        total *= len(options)
    if total > MAX_COMBINATIONS:
        raise ProbeTooLargeError(f"probe {shown_probe} needs {total} witness combinations "
                                 f"(limit {MAX_COMBINATIONS}); specify more fields")

    per_trail_hits: dict[str, int] = {t.arn: 0 for t, _ in candidates}
    per_trail_first_miss: dict[str, TrailDecision] = {}
    missing: list[str] = []
    missing_total = 0
    any_logged = any_unknown = False
    for combo in itertools.product(*choices):
        view: View = {**fixed, **{f: w.value for f, w in zip(fields, combo, strict=True)}}
        decisions = list(settled.values())
        for trail, _ in candidates:
            decision = global_reach(trail, region, view.get("eventSource")) or selector_decision(trail, [view])
            decisions.append(decision)
            if decision.logged:
                per_trail_hits[trail.arn] += 1
            else:
                per_trail_first_miss.setdefault(trail.arn, decision)
        outcome = combine(decisions)
        if outcome:
            any_logged = True
        elif outcome is None:
            any_unknown = True
        else:
            missing_total += 1
            if len(missing) < MAX_LISTED_WITNESSES:
                missing.append(", ".join(f"{f}={w.shown}" for f, w in zip(fields, combo, strict=True))
                               or "the event as given")

    combos = max(total, 1)
    if missing_total:
        coverage: Coverage = "partial" if any_logged else "not-covered"
    else:
        coverage = "unknown" if any_unknown else "covered"

    trail_rows: list[TrailCoverage] = []
    for trail in sorted(trails, key=lambda t: t.arn):
        if trail.arn in settled:
            d = settled[trail.arn]
            trail_rows.append(TrailCoverage(trail.arn, d.decision, d.reason))
        elif per_trail_hits[trail.arn] == combos:
            trail_rows.append(TrailCoverage(trail.arn, "covers", "logs every variant of the event"))
        else:
            miss = per_trail_first_miss[trail.arn]
            label = "partial" if per_trail_hits[trail.arn] else miss.decision
            trail_rows.append(TrailCoverage(trail.arn, label, miss.reason))
    return ProbeResult(shown_probe, region, coverage, missing, missing_total, trail_rows)
