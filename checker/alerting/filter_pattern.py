"""CloudWatch Logs JSON filter patterns: their terms, what each term says about a record, and
the parsed pattern as a :class:`~checker.alerting.interface.RecordPattern`.

How a term reads a record (docs/semantics.md, "Monitoring chains"):

* A selector (``$.a.b``, ``$.a[0].b``) resolves step by step: a property step needs an
  object, an index step an array long enough; anything else leaves the field *absent*.
* ``=`` / ``!=`` (string values, ``*`` wildcards at the ends) and the numeric operators are
  false on an absent field and on a field holding an object or an array, for ``!=`` too.
  On a string, ``=`` matches the wildcard value case-sensitively and ``!=`` is its negation.
  Numeric operators compare JSON numbers as numbers; ``= *`` matches a number.
* ``IS NULL``: the field is JSON null. ``NOT EXISTS``: the field is absent. ``IS TRUE`` /
  ``IS FALSE``: the field is that JSON boolean.

Where the documentation does not say what happens — a string value against a number, a
boolean or null; a numeric value against a string — a term may read the field by its JSON
type (the term then does not apply, like on an object) or by its text (``5`` as ``"5"``).
When both readings agree the outcome is settled; when they differ it is *unsettled*
(``None``), and a pattern whose outcome hangs on an unsettled term is undecided on that
record, never counted as matching. Patterns contain no negation, so the three-valued
(Kleene) evaluation below is exact: ``True`` means "matches whatever the unsettled terms
do".
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from checker.alerting.interface import FieldPath, Hints


class Absent(enum.Enum):
    """The value of a field that a record does not have."""

    ABSENT = "absent"


ABSENT = Absent.ABSENT
Leaf = Any
"""What a selector resolves to: :data:`ABSENT` or a JSON value (str, int, float, bool, None,
dict, list)."""

StringOp = Literal["=", "!="]
NumberOp = Literal["=", "!=", "<", ">", "<=", ">="]
KindTest = Literal["IS NULL", "NOT EXISTS", "IS TRUE", "IS FALSE"]

_NUMBER_TEXT_CHARS = frozenset("0123456789+-.eE")
_NUMBER_WORDS = re.compile(r"nan|infinity", re.IGNORECASE)


def numeric_looking(text: str) -> bool:
    """Could CloudWatch Logs read this string as a number? Answered generously (any digit, or
    NaN/Infinity), because saying yes only makes a comparison unsettled, never wrong."""
    return any(ch.isdigit() for ch in text) or _NUMBER_WORDS.search(text) is not None


@dataclass(frozen=True)
class Wildcard:
    """A string value: ``text``, preceded by ``*`` when ``leading``, followed by ``*`` when
    ``trailing``. A ``*`` inside ``text`` is an ordinary character."""

    text: str
    leading: bool = False
    trailing: bool = False

    @property
    def matches_any(self) -> bool:
        """``*`` alone: every string."""
        return not self.text and (self.leading or self.trailing)

    @property
    def is_wild(self) -> bool:
        return self.leading or self.trailing

    def matches(self, value: str) -> bool:
        if self.leading and self.trailing:
            return self.text in value
        if self.leading:
            return value.endswith(self.text)
        if self.trailing:
            return value.startswith(self.text)
        return value == self.text

    def could_match_number_text(self) -> bool:
        """Could the JSON text of some number match this value? (Conservatively: yes when
        every fixed character could appear in a number.)"""
        return all(ch in _NUMBER_TEXT_CHARS for ch in self.text)

    def shown(self) -> str:
        if self.matches_any:
            return "*"
        return ("*" if self.leading else "") + self.text + ("*" if self.trailing else "")


@dataclass(frozen=True)
class StringTerm:
    """``SELECTOR = value`` or ``SELECTOR != value`` with a string value."""

    path: FieldPath
    op: StringOp
    value: Wildcard


@dataclass(frozen=True)
class NumberTerm:
    """``SELECTOR <op> number``; ``written`` is the number as the pattern spells it."""

    path: FieldPath
    op: NumberOp
    number: float
    written: str = field(compare=False)


@dataclass(frozen=True)
class KindTerm:
    """``SELECTOR IS NULL | NOT EXISTS | IS TRUE | IS FALSE``."""

    path: FieldPath
    test: KindTest


Term = StringTerm | NumberTerm | KindTerm


@dataclass(frozen=True)
class AllOf:
    """``a && b && …``; with no parts it matches every record (the empty filter pattern)."""

    parts: tuple[Node, ...]


@dataclass(frozen=True)
class AnyOf:
    """``a || b || …``."""

    parts: tuple[Node, ...]


Node = Term | AllOf | AnyOf


def resolve(record: Leaf, path: FieldPath) -> Leaf:
    """The value ``path`` selects in ``record``, or :data:`ABSENT`."""
    value = record
    for step in path:
        if isinstance(step, int):
            if not isinstance(value, list) or step >= len(value):
                return ABSENT
            value = value[step]
        else:
            if not isinstance(value, dict) or step not in value:
                return ABSENT
            value = value[step]
    return value


def _is_number(value: Leaf) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _literal_text(value: Leaf) -> str | None:
    """The JSON text of true, false and null (the "text" reading of those values)."""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return "null"
    return None


def _compare(left: float, op: NumberOp, right: float) -> bool:
    if op == "=":
        return left == right
    if op == "!=":
        return left != right
    if op == "<":
        return left < right
    if op == ">":
        return left > right
    if op == "<=":
        return left <= right
    return left >= right


def _string_outcome(term: StringTerm, leaf: Leaf) -> bool | None:
    if isinstance(leaf, str):
        return term.value.matches(leaf) == (term.op == "=")
    if leaf is ABSENT or isinstance(leaf, dict | list):
        return False
    text = _literal_text(leaf)
    if text is not None:
        # By type: the term does not apply (false). By text: compare with "true"/"false"/"null".
        return None if term.value.matches(text) == (term.op == "=") else False
    if not _is_number(leaf):
        return False
    if term.value.matches_any:
        return term.op == "="  # documented: { $.latency = * } selects numeric latencies
    if term.value.could_match_number_text():
        return None
    # No number's text can match the value: "=" is false both ways, "!=" true only by text.
    return False if term.op == "=" else None


def _number_outcome(term: NumberTerm, leaf: Leaf) -> bool | None:
    if _is_number(leaf):
        return _compare(leaf, term.op, term.number)  # int/float compare exactly, even past float range
    if leaf is ABSENT or isinstance(leaf, dict | list):
        return False
    if isinstance(leaf, str) and numeric_looking(leaf):
        return None
    # A string that is no number, true, false or null: by type the term does not apply; by
    # text only "!=" holds.
    return None if term.op == "!=" else False


def _kind_outcome(term: KindTerm, leaf: Leaf) -> bool:
    if term.test == "IS NULL":
        return leaf is None
    if term.test == "NOT EXISTS":
        return leaf is ABSENT
    if term.test == "IS TRUE":
        return leaf is True
    return leaf is False


def term_outcome(term: Term, leaf: Leaf) -> bool | None:
    """Does ``term`` hold for a field whose value is ``leaf``? ``None``: unsettled (see module
    doc). The outcome depends on the term and on the leaf's kind, its string value (for
    strings) and its numeric value (for numbers) only."""
    if isinstance(term, StringTerm):
        return _string_outcome(term, leaf)
    if isinstance(term, NumberTerm):
        return _number_outcome(term, leaf)
    return _kind_outcome(term, leaf)


def kleene(node: Node, truth: Callable[[Term], bool | None]) -> bool | None:
    """Three-valued evaluation of ``node`` given each term's truth (``None``: unknown)."""
    if isinstance(node, AllOf):
        result: bool | None = True
        for part in node.parts:
            value = kleene(part, truth)
            if value is False:
                return False
            if value is None:
                result = None
        return result
    if isinstance(node, AnyOf):
        result = False
        for part in node.parts:
            value = kleene(part, truth)
            if value is True:
                return True
            if value is None:
                result = None
        return result
    return truth(node)


def iter_terms(node: Node) -> Iterator[Term]:
    """The terms of ``node``, left to right."""
    stack: list[Node] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, AllOf | AnyOf):
            stack.extend(reversed(current.parts))
        else:
            yield current


def path_text(path: FieldPath) -> str:
    """``userIdentity.type``, ``resources[0].ARN`` (the selector without ``$.``)."""
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else step)
    return out


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)


def term_text(term: Term) -> str:
    """The term in filter syntax, values quoted: ``$.eventName = "DisableKey"``."""
    selector = "$." + path_text(term.path)
    if isinstance(term, StringTerm):
        return f"{selector} {term.op} {_quoted(term.value.shown())}"
    if isinstance(term, NumberTerm):
        return f"{selector} {term.op} {term.written}"
    return f"{selector} {term.test}"


def _term_hints(term: Term) -> Hints:
    if isinstance(term, StringTerm):
        value = term.value
        kinds = frozenset({"absent", "object"}) if term.op == "!=" else frozenset()
        if value.matches_any:
            return Hints(kinds=kinds | {"number"})
        if value.leading and value.trailing:
            return Hints(infixes=frozenset({value.text}), kinds=kinds)
        if value.leading:
            return Hints(suffixes=frozenset({value.text}), kinds=kinds)
        if value.trailing:
            return Hints(prefixes=frozenset({value.text}), kinds=kinds)
        return Hints(literals=frozenset({value.text}), kinds=kinds)
    if isinstance(term, NumberTerm):
        return Hints(numbers=frozenset({term.number}), kinds=frozenset({"number"}))
    kind = {"IS NULL": "null", "NOT EXISTS": "absent", "IS TRUE": "bool", "IS FALSE": "bool"}[term.test]
    return Hints(kinds=frozenset({kind}))


@dataclass(frozen=True)
class FilterPattern:
    """A parsed JSON filter pattern (see :mod:`checker.alerting.filter_parse` to get one)."""

    text: str
    root: Node

    def evaluate(self, record: Mapping[str, Any]) -> bool | None:
        """``True``/``False`` when the record's fate is settled, ``None`` when it hangs on a
        comparison the documentation leaves open (see the module doc)."""
        return kleene(self.root, lambda term: term_outcome(term, resolve(record, term.path)))

    def matches(self, record: Mapping[str, Any]) -> bool:
        """Matches for certain (an unsettled outcome is not a match)."""
        return self.evaluate(record) is True

    @cached_property
    def terms(self) -> tuple[Term, ...]:
        return tuple(iter_terms(self.root))

    def hints(self) -> Mapping[FieldPath, Hints]:
        found: dict[FieldPath, Hints] = {}
        for term in self.terms:
            found[term.path] = found.get(term.path, Hints()).union(_term_hints(term))
        return found

    def number_fields(self) -> frozenset[FieldPath]:
        """Fields this pattern compares with numeric terms."""
        return frozenset(t.path for t in self.terms if isinstance(t, NumberTerm))
