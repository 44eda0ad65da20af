"""The finitely many classes of values of one field, as selector conditions can tell them apart.

Conditions compare a field with literals (``Equals``/``NotEquals``), prefixes and suffixes.
Two values that equal the same literals and start and end with the same mentioned
prefixes and suffixes satisfy exactly the same conditions, so one value per class, a
*witness*, decides for all of them:

* every mentioned literal;
* ``P + F + S`` for every mentioned prefix ``P`` (or none) and suffix ``S`` (or none), where
  the filler ``F`` is made of a character that no mentioned value contains. Such a value
  equals no literal, starts with exactly the mentioned prefixes that start ``P`` and ends
  with exactly the mentioned suffixes that end ``S``; any value equal to no literal behaves
  like the witness of its longest mentioned prefix and suffix.

``readOnly`` takes ``true`` and ``false``, its only values, and so does
``sessionCredentialFromConsole`` (a record without it reads ``false``). ``userIdentity.arn``
may be absent from a record (calls by an AWS service): it also takes an *absent* witness,
which only a clause with no condition on the field accepts.

Witnesses are numbered, and :meth:`FieldWitnesses.matching` finds the witnesses an operand
relates to by lookups in sorted lists, so that a condition costs what it matches, not
what the field has.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass

from checker.model import FieldSelector
from checker.simulator.conditions import Relation, deselect_operands, relates, select_operands

CLOSED_DOMAINS: dict[str, tuple[str, ...]] = {"readOnly": ("true", "false"),
                                               "sessionCredentialFromConsole": ("true", "false")}
"""Fields whose every value is known: their values are their witnesses."""

MAY_BE_ABSENT = frozenset({"userIdentity.arn"})
"""Open fields a record may lack: an absent value satisfies no condition on the field, select
or deselect (CloudTrail does not say; "not matching" never overstates coverage)."""

FIRST_FILLER = 0x7E
"""The filler is the first printable character from ``~`` on that no mentioned value uses."""


class NoFillerError(ValueError):
    """The mentioned values use every printable character: no witness stands for "anything else"."""


@dataclass(frozen=True)
class Witness:
    """A value to try for an open field, and how to show it (``*`` = anything else)."""

    value: str | None
    shown: str


def filler(values: Iterable[str]) -> str:
    """Three times the first printable character from ``~`` on that none of ``values`` contains.

    Derived from the values, so that no selector value, whoever chose it, can collide with it.
    """
    used = set().union(*values)
    for code in range(FIRST_FILLER, 0x110000):
        character = chr(code)
        if character not in used and character.isprintable():
            return character * 3
    raise NoFillerError("the selector values use every printable character")


class FieldWitnesses:
    """The witnesses of one field under a set of operands, numbered, with lookups by operand.

    Literals come first (sorted), then ``P + F + S`` prefix-major: prefix ``j`` and suffix
    ``k`` is number ``len(literals) + j * len(suffixes) + k``, so the witnesses of the
    prefixes that start with an operand form one run of numbers; then, for a field that may be
    absent, the absent witness (number ``absent``), which no operand matches.
    """

    def __init__(self, field: str, literals: Iterable[str], prefixes: Iterable[str], suffixes: Iterable[str]) -> None:
        self.field = field
        self.closed = field in CLOSED_DOMAINS
        literal_set, prefix_set, suffix_set = set(literals), set(prefixes), set(suffixes)
        if self.closed:
            self.literals = list(CLOSED_DOMAINS[field])
            self.prefixes: list[str] = []
            self.suffixes: list[str] = []
            self.filler = ""
        else:
            self.literals = sorted(literal_set)
            self.prefixes = sorted(prefix_set | {""})
            self.suffixes = sorted(suffix_set | {""})
            self.filler = filler(literal_set | prefix_set | suffix_set)
        self.size = len(self.literals) + len(self.prefixes) * len(self.suffixes)
        self.absent: int | None = None
        if field in MAY_BE_ABSENT:
            self.absent = self.size
            self.size += 1
        self._reversed_literals = sorted((value[::-1], i) for i, value in enumerate(self.literals))
        self._reversed_suffixes = sorted((value[::-1], k) for k, value in enumerate(self.suffixes))

    @classmethod
    def of(cls, field: str, selectors: Iterable[FieldSelector]) -> FieldWitnesses:
        """The witnesses of ``field`` under the operands of ``selectors`` (all on that field)."""
        literals: list[str] = []
        prefixes: list[str] = []
        suffixes: list[str] = []
        into = {"equals": literals, "prefix": prefixes, "suffix": suffixes}
        for selector in selectors:
            for _, relation, values in (*select_operands(selector), *deselect_operands(selector)):
                into[relation].extend(values)
        return cls(field, literals, prefixes, suffixes)

    def witness(self, number: int) -> Witness:
        if number == self.absent:
            return Witness(None, "(absent)")
        literals = len(self.literals)
        if number < literals:
            value = self.literals[number]
            return Witness(value, value)
        prefix, suffix = divmod(number - literals, len(self.suffixes))
        head, tail = self.prefixes[prefix], self.suffixes[suffix]
        return Witness(head + self.filler + tail, f"{head}*{tail}")

    def matching(self, relation: Relation, operand: str) -> list[int]:
        """The numbers of the witnesses that equal, start with or end with ``operand``."""
        if self.closed:
            return [i for i, value in enumerate(self.literals) if relates(value, relation, operand)]
        if relation == "equals":  # a filler witness contains a character no operand has
            position = bisect.bisect_left(self.literals, operand)
            found = position < len(self.literals) and self.literals[position] == operand
            return [position] if found else []
        if relation == "prefix":
            return self._literal_run(self.literals, operand) + self._prefixed(operand)
        reversed_operand = operand[::-1]
        numbers = [i for _, i in self._reversed_run(self._reversed_literals, reversed_operand)]
        width, base = len(self.suffixes), len(self.literals)
        for _, k in self._reversed_run(self._reversed_suffixes, reversed_operand):
            numbers.extend(base + j * width + k for j in range(len(self.prefixes)))
        return numbers

    def _prefixed(self, operand: str) -> list[int]:
        """Filler witnesses whose prefix part starts with ``operand`` (only those can)."""
        run = self._literal_run(self.prefixes, operand)
        if not run:
            return []
        width, base = len(self.suffixes), len(self.literals)
        return list(range(base + run[0] * width, base + (run[-1] + 1) * width))

    @staticmethod
    def _literal_run(values: list[str], operand: str) -> list[int]:
        """Positions of the sorted ``values`` that start with ``operand`` (one run)."""
        start = end = bisect.bisect_left(values, operand)
        while end < len(values) and values[end].startswith(operand):
            end += 1
        return list(range(start, end))

    @staticmethod
    def _reversed_run(values: list[tuple[str, int]], reversed_operand: str) -> list[tuple[str, int]]:
        """The entries of sorted reversed ``values`` that start with the reversed operand."""
        position = bisect.bisect_left(values, (reversed_operand, -1))
        found = []
        while position < len(values) and values[position][0].startswith(reversed_operand):
            found.append(values[position])
            position += 1
        return found
