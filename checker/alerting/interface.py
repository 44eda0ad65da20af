"""The vocabulary the pattern evaluators share, so one containment check serves both.

A CloudWatch Logs filter pattern and an EventBridge event pattern are both predicates over
a CloudTrail record. Each says which record fields it reads and which values it
distinguishes there (its *hints*); witness records built from the hints of two patterns
decide whether one matches every record the other matches (docs/semantics.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

FieldPath = tuple[str | int, ...]
"""A field of a CloudTrail record: ``("userIdentity", "type")``, ``("resources", 0, "ARN")``."""


@dataclass(frozen=True)
class Hints:
    """The values of one field that a pattern can tell apart.

    Any value equal to none of ``literals`` behaves, for the pattern, like a value built from
    its longest matching prefix and suffix and the ``infixes`` it contains (a value wildcarded
    at both ends, ``*Event*``); numbers are compared as numbers. ``kinds`` lists the JSON kinds
    the pattern inspects beyond strings (``"absent"``, ``"null"``, ``"bool"``, ``"number"``,
    ``"object"``, ``"array"``), so that witnesses of those kinds are tried.
    """

    literals: frozenset[str] = frozenset()
    prefixes: frozenset[str] = frozenset()
    suffixes: frozenset[str] = frozenset()
    numbers: frozenset[float] = frozenset()
    kinds: frozenset[str] = frozenset()
    infixes: frozenset[str] = frozenset()

    def union(self, other: Hints) -> Hints:
        return Hints(self.literals | other.literals, self.prefixes | other.prefixes,
                     self.suffixes | other.suffixes, self.numbers | other.numbers, self.kinds | other.kinds,
                     self.infixes | other.infixes)


class RecordPattern(Protocol):
    """A decidable predicate over CloudTrail records (a parsed filter or event pattern)."""

    @property
    def text(self) -> str:
        """The pattern as stored, for evidence."""
        ...

    def matches(self, record: Mapping[str, Any]) -> bool:
        """Does the pattern match this record (for EventBridge: its CloudTrail envelope)?"""
        ...

    def hints(self) -> Mapping[FieldPath, Hints]:
        """The record fields the pattern reads, each with the values it distinguishes."""
        ...


@dataclass(frozen=True)
class Undecided:
    """A pattern trailcheck cannot evaluate exactly (a construct it does not support).

    It is never treated as matching: a chain through it is *unknown*, and ``reason`` names
    the construct.
    """

    text: str
    reason: str
