"""Do some boxes cover every combination of witnesses? Decided field by field, each question once.

A *box* is one clause that can still match a probe, reduced to its conditions on the
fields the probe leaves open (:mod:`checker.simulator.probes` builds them). A combination
of witnesses, one per open field (:mod:`checker.simulator.witnesses`), is logged iff it
lies in some box. Enumerating every combination is the definition, not the method: the
product grows with the fields multiplied, and an attacker who can call
``PutEventSelectors`` chooses the values. Instead the question is split on the fields in
order:

* a *sub-question* is the set of boxes still possible and the fields left; it is answered
  once (memoised), whatever path reaches it;
* a box that constrains none of the fields left covers everything below at once, and no
  box left means nothing below is covered;
* at one field, the witnesses that no remaining box's operands mention all behave alike
  (one class, answered once); each other witness is found by looking its operands up
  (:meth:`FieldWitnesses.matching`), so a field costs what its conditions match, not the
  number of its witnesses times the number of boxes.

Every step is charged to a :class:`Budget`; a question that would need more than the
budget raises :class:`ProbeTooLargeError`, whose message says so ("undecided within
budget"), and the rule reports an ``error`` for that unit.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from checker import limits
from checker.model import FieldSelector
from checker.simulator.conditions import Operands, deselect_operands, select_operands
from checker.simulator.witnesses import FieldWitnesses, NoFillerError, Witness

Box = frozenset[FieldSelector]
"""One clause's conditions on the open fields (AND); the empty box matches everything."""


class ProbeTooLargeError(ValueError):
    """The decision would cost more than its budget (or cannot be made): undecided, not a guess."""


class Budget:
    """Witness decisions one probe decision may spend (:data:`checker.limits.PROBE_WITNESS_BUDGET`)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.spent = 0

    def spend(self, amount: int) -> None:
        self.spent += amount
        if self.spent > self.limit:
            raise ProbeTooLargeError("undecided within budget: "
                                     + limits.PROBE_WITNESS_BUDGET.exceeded("the decision", self.limit))


@dataclass(frozen=True)
class _Group:
    """Boxes with the same conditions on one field, and what those conditions do to its witnesses.

    ``listed`` holds the witnesses the conditions accept when ``selects`` (a select operator
    is present: nothing else is accepted), else the witnesses they reject (all others are
    accepted).
    """

    boxes: int
    selects: bool
    listed: tuple[int, ...]


@dataclass(frozen=True)
class _Field:
    """One open field: its witnesses, the groups of boxes that constrain it (``group_of_box``:
    box number -> group number), the boxes that do not, and the boxes that accept a witness
    none of their operands mention."""

    witnesses: FieldWitnesses
    groups: tuple[_Group, ...]
    group_of_box: dict[int, int]
    unconstrained: int
    accept_unmentioned: int


class CoverQuestion:
    """Which witness combinations of the open fields do the ``boxes`` leave uncovered?

    Sets of boxes are bit masks: bit ``i`` is ``boxes[i]``. Answers for a subset (one
    trail's boxes) share the memo with the whole.
    """

    def __init__(self, boxes: Sequence[Box], budget: Budget) -> None:
        self.budget = budget
        self.fields = sorted({selector.field for box in boxes for selector in box})
        self._boxes = boxes
        self._witnesses = [field_witnesses(name, {s for box in boxes for s in box if s.field == name}, budget)
                           for name in self.fields]
        self._plans: list[_Field | None] = [None] * len(self.fields)  # built when a question reaches the field
        self._settled = [sum(1 << i for i, box in enumerate(boxes)
                             if not any(s.field in self.fields[depth:] for s in box))
                         for depth in range(len(self.fields) + 1)]
        self._rest = [1] * (len(self.fields) + 1)
        for depth in reversed(range(len(self.fields))):
            self._rest[depth] = self._rest[depth + 1] * self._witnesses[depth].size
        self._memo: dict[tuple[int, int], int] = {}

    @property
    def combinations(self) -> int:
        """How many witness combinations there are (1 when no field is open)."""
        return self._rest[0]

    def witnesses(self, numbers: Sequence[int]) -> list[tuple[str, Witness]]:
        """(field, witness) for one combination given as witness numbers."""
        return [(name, witnesses.witness(number))
                for name, witnesses, number in zip(self.fields, self._witnesses, numbers, strict=True)]

    def uncovered(self, boxes: int, depth: int = 0) -> int:
        """How many combinations of the fields from ``depth`` on no box of ``boxes`` covers."""
        if not boxes:
            return self._rest[depth]
        if boxes & self._settled[depth]:
            return 0
        known = self._memo.get((boxes, depth))
        if known is not None:
            return known
        self.budget.spend(1)
        unmentioned, mentioned = self._split(boxes, depth)
        others = self._witnesses[depth].size - len(mentioned)
        total = others * self.uncovered(unmentioned, depth + 1) if others else 0
        classes: dict[int, int] = {}
        for below in mentioned.values():
            classes[below] = classes.get(below, 0) + 1
        for below, count in classes.items():
            total += count * self.uncovered(below, depth + 1)
        self._memo[(boxes, depth)] = total
        return total

    def first_uncovered(self, boxes: int, limit: int) -> list[tuple[int, ...]]:
        """The first ``limit`` uncovered combinations, in witness order (field by field)."""
        found: list[tuple[int, ...]] = []
        self._list(boxes, 0, (), limit, found)
        return found

    def _list(self, boxes: int, depth: int, head: tuple[int, ...], limit: int, found: list[tuple[int, ...]]) -> None:
        if not self.uncovered(boxes, depth):
            return
        if depth == len(self.fields):
            found.append(head)
            return
        unmentioned, mentioned = self._split(boxes, depth)
        numbers: Sequence[int] = (range(self._witnesses[depth].size) if self.uncovered(unmentioned, depth + 1)
                                  else sorted(mentioned))
        for number in numbers:
            if len(found) >= limit:
                return
            below = mentioned.get(number, unmentioned)
            if self.uncovered(below, depth + 1):
                self._list(below, depth + 1, (*head, number), limit, found)

    def _split(self, boxes: int, depth: int) -> tuple[int, dict[int, int]]:
        """The boxes that accept a witness no operand mentions, and for each mentioned
        witness (by number) the boxes that accept it; the absent witness of a field that may
        be absent counts as mentioned, accepted only by the boxes that leave the field free."""
        plan = self._plans[depth]
        if plan is None:
            plan = self._plans[depth] = self._plan(depth)
        unmentioned = boxes & plan.accept_unmentioned
        rejecting: dict[int, int] = {}
        accepting: dict[int, int] = {}
        for number, alive in self._groups_of(boxes, plan).items():
            group = plan.groups[number]
            self.budget.spend(1 + len(group.listed))
            target = accepting if group.selects else rejecting
            for number in group.listed:
                target[number] = target.get(number, 0) | alive
        mentioned = {number: (unmentioned & ~rejecting.get(number, 0)) | accepting.get(number, 0)
                     for number in rejecting.keys() | accepting.keys()}
        if plan.witnesses.absent is not None:  # an absent value satisfies no condition on the field
            mentioned[plan.witnesses.absent] = boxes & plan.unconstrained
        return unmentioned, mentioned

    def _groups_of(self, boxes: int, plan: _Field) -> dict[int, int]:
        """The groups (by number) with boxes in ``boxes``, and which: found through the
        boxes when they are fewer than the groups."""
        constrained = boxes & ~plan.unconstrained
        alive: dict[int, int] = {}
        if constrained.bit_count() <= len(plan.groups):
            self.budget.spend(constrained.bit_count())
            for position in _bits(constrained):
                number = plan.group_of_box[position]
                alive[number] = alive.get(number, 0) | (1 << position)
        else:
            self.budget.spend(len(plan.groups))
            for number, group in enumerate(plan.groups):
                if constrained & group.boxes:
                    alive[number] = constrained & group.boxes
        return alive

    def _plan(self, depth: int) -> _Field:
        name, witnesses = self.fields[depth], self._witnesses[depth]
        conditions = [frozenset(s for s in box if s.field == name) for box in self._boxes]
        members: dict[frozenset[FieldSelector], int] = {}
        for i, selectors in enumerate(conditions):
            if selectors:
                members[selectors] = members.get(selectors, 0) | (1 << i)
        groups = tuple(self._group(witnesses, selectors, mask) for selectors, mask in members.items())
        group_of_box = {i: g for g, group in enumerate(groups) for i in _bits(group.boxes)}
        unconstrained = sum(1 << i for i, selectors in enumerate(conditions) if not selectors)
        accept_unmentioned = unconstrained | sum(group.boxes for group in groups if not group.selects)
        return _Field(witnesses, groups, group_of_box, unconstrained, accept_unmentioned)

    def _group(self, witnesses: FieldWitnesses, selectors: frozenset[FieldSelector], boxes: int) -> _Group:
        """What an AND of field selectors accepts: no deselect hit, and a select hit for each
        selector that has select operators (the rule of ``Condition.failure``, on sets)."""
        rejected: set[int] = set()
        selected: set[int] | None = None
        for selector in selectors:
            rejected.update(self._matching(witnesses, deselect_operands(selector)))
            choices = select_operands(selector)
            if any(values for _, _, values in choices):
                hits = set(self._matching(witnesses, choices))
                selected = hits if selected is None else selected & hits
        if selected is None:
            return _Group(boxes, False, tuple(sorted(rejected)))
        return _Group(boxes, True, tuple(sorted(selected - rejected)))

    def _matching(self, witnesses: FieldWitnesses, operands: Operands) -> list[int]:
        found: list[int] = []
        for _, relation, values in operands:
            for value in values:
                numbers = witnesses.matching(relation, value)
                self.budget.spend(1 + len(numbers))
                found.extend(numbers)
        return found


def field_witnesses(name: str, selectors: Collection[FieldSelector], budget: Budget) -> FieldWitnesses:
    """The witnesses of one field under ``selectors``, their values charged to ``budget``."""
    budget.spend(sum(len(values) for s in selectors
                     for _, _, values in (*select_operands(s), *deselect_operands(s))))
    try:
        return FieldWitnesses.of(name, selectors)
    except NoFillerError as error:
        raise ProbeTooLargeError(f"undecided: {error}") from None


def _bits(mask: int) -> list[int]:
    """The positions of the set bits of ``mask``."""
    positions = []
    while mask:
        lowest = mask & -mask
        positions.append(lowest.bit_length() - 1)
        mask ^= lowest
    return positions
