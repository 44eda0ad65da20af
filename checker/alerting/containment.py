"""Does a candidate pattern match every record a reference pattern matches?
(docs/semantics.md, "Monitoring chains")

The question is decided over witness records (:mod:`checker.alerting.witnesses`): each field
either pattern reads takes one of its witness values, and every record behaves, for both
patterns, like one such combination. Enumerating the full product is the definition, not the
method: a depth-first search assigns the fields one at a time — the reference's first — and
evaluates both patterns three-valued after each step (an unassigned field is unknown), so it
stops as soon as the reference is false (the records there are not the reference's) or the
candidate is true (covered there), and reports a *miss* as soon as the reference is true and
the candidate false for every value of the fields left. The cost grows with the conditions
that matter, not with the product; :data:`MAX_WITNESS_RECORDS` (or the caller's budget) bounds
it, and a search that would exceed it is undecided ("undecided within budget N"), never a
crash.

Filter terms whose outcome the documentation leaves open (``checker.alerting.filter_pattern``)
are unknowns shared by every pattern that contains the same term. Where a witness record's
fate hangs on them, every combination is tried: a miss under all of them is a miss; a miss
under some only makes the answer undecided, with the term named.

Patterns other than filter patterns (EventBridge patterns) are judged by their ``matches``
once every field they read has a value.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from checker.alerting.benign import BENIGN_RECORDS
from checker.alerting.filter_pattern import ABSENT, FilterPattern, Term, kleene, term_outcome, term_text
from checker.alerting.interface import FieldPath, RecordPattern
from checker.alerting.witnesses import (
    Witness,
    WitnessLimitError,
    build_record,
    compatible,
    field_witnesses,
    union_hints,
)

MAX_WITNESS_RECORDS = 20_000
"""Default budget: witness records (search steps, and combinations of open terms) examined."""
MAX_LISTED_MISSES = 20

Assigned = dict[FieldPath, int]
"""The witness (an index into its field's witness list) each assigned field holds."""


@dataclass(frozen=True)
class Miss:
    """Records the reference matches and the candidate does not: ``shown`` names the fields
    that decide it (``eventSource=ec2.amazonaws.com, eventName=ModifySecurityGroupRules``);
    ``record`` is one such record."""

    shown: str
    record: dict[str, Any]

    def __str__(self) -> str:
        return self.shown


@dataclass(frozen=True)
class Containment:
    """The answer: ``covered`` is ``None`` when undecided (``reason`` says why). ``missed``
    lists the first :data:`MAX_LISTED_MISSES` misses; ``more_missed``: the search found more
    and stopped there. ``explored`` is the work done."""

    covered: bool | None
    missed: tuple[Miss, ...] = ()
    more_missed: bool = False
    reason: str = ""
    explored: int = 0

    def missed_text(self) -> list[str]:
        return [miss.shown for miss in self.missed]


class _OutOfBudget(Exception):
    pass


class _EnoughMisses(Exception):
    pass


class _FilterJudge:
    """A filter pattern evaluated three-valued over a partial assignment."""

    def __init__(self, pattern: FilterPattern, outcomes: Mapping[Term, list[bool | None]]) -> None:
        self.pattern = pattern
        self.outcomes = outcomes
        self.fields = frozenset(term.path for term in pattern.terms)

    def verdict(self, assigned: Assigned, atoms: Mapping[Term, bool]) -> bool | None:
        def truth(term: Term) -> bool | None:
            index = assigned.get(term.path)
            if index is None:
                return None
            outcome = self.outcomes[term][index]
            return atoms.get(term) if outcome is None else outcome

        return kleene(self.pattern.root, truth)

    def open_terms(self, assigned: Assigned) -> list[Term]:
        return [t for t in self.pattern.terms if t.path in assigned and self.outcomes[t][assigned[t.path]] is None]


class _OpaqueJudge:
    """Any other pattern: decided by ``matches`` once every field it reads has a value."""

    def __init__(self, pattern: RecordPattern, domains: Mapping[FieldPath, list[Witness]]) -> None:
        self.pattern = pattern
        self.fields = frozenset(pattern.hints())
        self.ordered = sorted(self.fields, key=repr)
        self.domains = domains
        self.known: dict[tuple[int, ...], bool] = {}

    def verdict(self, assigned: Assigned, atoms: Mapping[Term, bool]) -> bool | None:
        if any(path not in assigned for path in self.fields):
            return None
        key = tuple(assigned[path] for path in self.ordered)  # the pattern reads these fields only
        if key not in self.known:
            self.known[key] = self.pattern.matches(build_record({p: self.domains[p][i] for p, i in assigned.items()}))
        return self.known[key]

    def open_terms(self, assigned: Assigned) -> list[Term]:
        return []


_Judge = _FilterJudge | _OpaqueJudge


def _any_of(judges: Sequence[_Judge], assigned: Assigned, atoms: Mapping[Term, bool]) -> bool | None:
    result: bool | None = False
    for judge in judges:
        verdict = judge.verdict(assigned, atoms)
        if verdict is True:
            return True
        if verdict is None:
            result = None
    return result


def _all_of(judges: Sequence[_Judge], assigned: Assigned, atoms: Mapping[Term, bool]) -> bool | None:
    result: bool | None = True
    for judge in judges:
        verdict = judge.verdict(assigned, atoms)
        if verdict is False:
            return False
        if verdict is None:
            result = None
    return result


@dataclass
class _Frame:
    path: FieldPath
    next_witness: int = 0
    placed: list[FieldPath] = field(default_factory=list)


class _Search:
    def __init__(self, reference: Sequence[_Judge], candidates: Sequence[_Judge], order: list[FieldPath],
                 domains: Mapping[FieldPath, list[Witness]], budget: int) -> None:
        self.reference = reference
        self.candidates = candidates
        self.order = order
        self.domains = domains
        self.budget = budget
        self.below = {p: [q for q in order if len(q) > len(p) and q[:len(p)] == p] for p in order}
        # Only fields under the same top-level property can constrain each other's values.
        self.related = {p: [q for q in order if q[0] == p[0] and q != p] for p in order}
        self.absent = {p: next(i for i, w in enumerate(ws) if w.value is ABSENT) for p, ws in domains.items()}
        self.assigned: Assigned = {}
        self.forced: set[FieldPath] = set()
        self.explored = 0
        self.misses: list[Miss] = []
        self.more_missed = False
        self.open_question = ""

    def run(self) -> None:
        frames: list[_Frame] = []
        first = self.enter()
        if first is not None:
            frames.append(_Frame(first))
        while frames:
            frame = frames[-1]
            self.release(frame)
            witnesses = self.domains[frame.path]
            while frame.next_witness < len(witnesses) and not self.fits(frame.path, witnesses[frame.next_witness]):
                frame.next_witness += 1
            if frame.next_witness == len(witnesses):
                frames.pop()
                continue
            self.place(frame, frame.next_witness)
            frame.next_witness += 1
            following = self.enter()
            if following is not None:
                frames.append(_Frame(following))

    def fits(self, path: FieldPath, witness: Witness) -> bool:
        return all(compatible(path, witness, other, self.domains[other][self.assigned[other]])
                   for other in self.related[path] if other in self.assigned)

    def place(self, frame: _Frame, index: int) -> None:
        """Assign the witness, and ``absent`` to the fields below that it cannot hold."""
        witness = self.domains[frame.path][index]
        self.assigned[frame.path] = index
        frame.placed.append(frame.path)
        for below in self.below[frame.path]:
            step = below[len(frame.path)]
            if below not in self.assigned and not (witness.container
                                                   and isinstance(witness.value, list) == isinstance(step, int)):
                self.assigned[below] = self.absent[below]
                self.forced.add(below)
                frame.placed.append(below)

    def release(self, frame: _Frame) -> None:
        for path in frame.placed:
            del self.assigned[path]
            self.forced.discard(path)
        frame.placed.clear()

    def step(self) -> None:
        self.explored += 1
        if self.explored > self.budget:
            raise _OutOfBudget

    def enter(self) -> FieldPath | None:
        """Judge the current assignment; the field to branch on next, or ``None``."""
        self.step()
        references = [judge.verdict(self.assigned, {}) for judge in self.reference]
        if False in references:
            return None
        candidates = [judge.verdict(self.assigned, {}) for judge in self.candidates]
        if True in candidates:
            return None
        if None not in references and None not in candidates:
            self.record_miss()
            return None
        # Branch only on fields that a pattern still undecided here reads.
        undecided = [judge for judge, verdict in zip((*self.reference, *self.candidates), (*references, *candidates),
                                                     strict=True) if verdict is None]
        relevant = frozenset().union(*(judge.fields for judge in undecided))
        following = next((p for p in self.order if p in relevant and p not in self.assigned), None)
        if following is None:
            self.settle_open_terms()
        return following

    def settle_open_terms(self) -> None:
        """Every field has a value and the verdict hangs on terms the docs leave open."""
        terms = list(dict.fromkeys(t for judge in (*self.reference, *self.candidates)
                                   for t in judge.open_terms(self.assigned)))
        if self.explored + 2 ** len(terms) > self.budget:
            raise _OutOfBudget
        always = True
        sometimes = False
        for values in itertools.product((False, True), repeat=len(terms)):
            self.explored += 1
            atoms = dict(zip(terms, values, strict=True))
            reference = _all_of(self.reference, self.assigned, atoms)
            candidate = _any_of(self.candidates, self.assigned, atoms)
            always = always and reference is True and candidate is False
            sometimes = sometimes or (reference is not False and candidate is not True)
        if always:
            self.record_miss()
        elif sometimes and not self.open_question:
            self.open_question = (f"for {self.describe()}, the answer depends on how CloudWatch Logs evaluates "
                                  f"{'; '.join(term_text(t) for t in terms)} on such values, which its "
                                  "documentation does not settle")

    def describe(self) -> str:
        shown = [self.domains[p][self.assigned[p]].describe(p) for p in self.order
                 if p in self.assigned and p not in self.forced and not self.domains[p][self.assigned[p]].container]
        return ", ".join(shown) or "every record"

    def record_miss(self) -> None:
        if len(self.misses) == MAX_LISTED_MISSES:
            self.more_missed = True
            raise _EnoughMisses
        record = build_record({p: self.domains[p][i] for p, i in self.assigned.items()})
        self.misses.append(Miss(self.describe(), record))


def _field_order(patterns: Sequence[RecordPattern], paths: set[FieldPath]) -> list[FieldPath]:
    """The reference's fields first, in the order its terms read them; every field after the
    mentioned fields above it."""
    order: list[FieldPath] = []
    for pattern in patterns:
        mentioned = [t.path for t in pattern.terms] if isinstance(pattern, FilterPattern) else list(pattern.hints())
        for path in mentioned:
            for length in range(1, len(path) + 1):
                if path[:length] in paths and path[:length] not in order:
                    order.append(path[:length])
    return order


def covers(candidate: RecordPattern | Sequence[RecordPattern], reference: RecordPattern,
           budget: int = MAX_WITNESS_RECORDS, *, within: Sequence[RecordPattern] = ()) -> Containment:
    """Does ``candidate`` (or, given several, at least one of them) match every record that
    ``reference`` — and every pattern of ``within`` — matches? See the module doc; ``budget``
    bounds the witness records tried."""
    candidates = list(candidate) if isinstance(candidate, Sequence) else [candidate]
    references = [reference, *within]
    patterns = [*references, *candidates]
    hints = union_hints(patterns)
    numeric = frozenset().union(*(p.number_fields() for p in patterns if isinstance(p, FilterPattern)))
    domains: dict[FieldPath, list[Witness]] = {}
    try:
        for path, field_hints in hints.items():
            below = [q[len(path)] for q in hints if len(q) > len(path) and q[:len(path)] == path]
            domains[path] = field_witnesses(
                path, field_hints, property_children=any(isinstance(s, str) for s in below),
                index_children=any(isinstance(s, int) for s in below), numeric_strings=path in numeric,
                limit=budget)
    except WitnessLimitError:
        return Containment(None, reason=f"undecided within budget {budget}")
    outcomes: dict[Term, list[bool | None]] = {}
    for pattern in patterns:
        if isinstance(pattern, FilterPattern):
            for term in pattern.terms:
                if term not in outcomes:
                    outcomes[term] = [term_outcome(term, w.value) for w in domains[term.path]]

    def judge(pattern: RecordPattern) -> _Judge:
        return _FilterJudge(pattern, outcomes) if isinstance(pattern, FilterPattern) else _OpaqueJudge(pattern, domains)

    search = _Search([judge(r) for r in references], [judge(c) for c in candidates], _field_order(patterns, set(hints)),
                     domains, budget)
    exhausted = False
    try:
        search.run()
    except _OutOfBudget:
        exhausted = True
    except _EnoughMisses:
        pass
    if search.misses:
        return Containment(False, tuple(search.misses), search.more_missed, explored=search.explored)
    if exhausted:
        return Containment(None, reason=f"undecided within budget {budget}", explored=search.explored)
    if search.open_question:
        return Containment(None, reason=f"undecided: {search.open_question}", explored=search.explored)
    return Containment(True, explored=search.explored)


def overbroad(candidate: RecordPattern) -> str | None:
    """The description of the first benign record (``checker.alerting.benign``) the pattern
    matches, or ``None``: a filter that matches routine read calls alerts on everything."""
    return next((description for description, record in BENIGN_RECORDS if candidate.matches(record)), None)
