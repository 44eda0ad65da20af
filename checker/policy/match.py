"""An event rule's ``match``, compiled when its policy file is loaded.

``match`` maps dotted record paths to matchers (see docs/policies.md, "Event rules"): a
scalar means *equals*, a list means *any of its items*, an operator object means *all of
its operators*. The loader turns that data into the typed tree below, compiling regular
expressions on the way, so that a matcher that cannot run is a load-time error naming
the file, line, rule and field, and the event engine only ever runs matchers that work.

The tree is plain picklable data: the engine builds its fast per-record closures from it
in every process that evaluates records.

Regular expressions are RE2's (the ``google-re2`` binding), not Python's: matching takes
time linear in the text whatever the pattern, so a rule from a policy repository anyone
can send a pull request to cannot stall a scan with a pattern like ``(a+)+$``. RE2 has no
lookaround and no backreferences; such a pattern is a load-time error. A pattern is also
bounded in length and in the memory its compiled form may take.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

import re2

from checker import limits

TextOperator = Literal["prefix", "suffix", "contains", "glob"]
ComparisonOperator = Literal["gt", "ge", "lt", "le"]
Report = Callable[[str, str], None]
"""Where the compiler reports a problem: ``(field path, what is wrong)``."""

TEXT_OPERATORS: tuple[TextOperator, ...] = ("prefix", "suffix", "contains", "glob")
COMPARISON_OPERATORS: tuple[ComparisonOperator, ...] = ("gt", "ge", "lt", "le")



def is_number(value: Any) -> bool:
    """JSON numbers; ``true`` and ``false`` are not numbers here, unlike in Python."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass(frozen=True)
class Literals:
    """Equality with one of these values. The strings ``"true"``/``"false"`` are kept as
    booleans: records carry booleans both ways (LookupEvents' ``ReadOnly`` is a string)."""

    strings: frozenset[str] = frozenset()
    booleans: frozenset[bool] = frozenset()
    numbers: frozenset[float] = frozenset()
    null: bool = False

    @classmethod
    def of(cls, values: Iterable[Any]) -> Literals:
        strings: set[str] = set()
        booleans: set[bool] = set()
        numbers: set[float] = set()
        null = False
        for value in values:
            if value is None:
                null = True
            elif isinstance(value, bool):
                booleans.add(value)
            elif is_number(value):
                numbers.add(value)
            elif value in ("true", "false"):
                booleans.add(value == "true")
            else:
                strings.add(str(value))
        return cls(frozenset(strings), frozenset(booleans), frozenset(numbers), null)

    def only_strings(self) -> frozenset[str] | None:
        """The literals, when they are all plain strings (an index can file the rule under them)."""
        return self.strings if not (self.null or self.booleans or self.numbers) else None


@dataclass(frozen=True)
class TextTest:
    """``prefix``, ``suffix``, ``contains`` or ``glob`` (shell-style, case-sensitive) on a string."""

    operator: TextOperator
    text: str


class Searcher(Protocol):
    """What the engine uses of a compiled RE2 pattern."""

    def search(self, text: str) -> object | None: ...


@dataclass(frozen=True)
class Regex:
    """``regex``: the RE2 pattern is searched for in a string (not anchored)."""

    source: str
    compiled: Searcher = field(compare=False, repr=False)


@dataclass(frozen=True)
class Comparison:
    """``gt``/``ge``/``lt``/``le``: a number, or a string holding a finite number, against ``bound``."""

    operator: ComparisonOperator
    bound: float


@dataclass(frozen=True)
class Presence:
    """``exists: true`` / ``absent: false`` (``present``), or the reverse. Null counts as absent."""

    present: bool


ValueTest = Literals | TextTest | Regex | Comparison | Presence
"""A test of one value (one element, when a path crosses an array)."""


@dataclass(frozen=True)
class Alternative:
    """One way for a field to match: every test holds, and the ``negated`` matcher does not.

    A scalar is one alternative (its :class:`Literals`); so is an operator object.
    """

    tests: tuple[ValueTest, ...]
    negated: Matcher | None = None


@dataclass(frozen=True)
class Matcher:
    """What one field must match: any of the alternatives."""

    alternatives: tuple[Alternative, ...]

    def literal_keys(self) -> frozenset[str] | None:
        """The strings the matcher accepts when it is only equality with strings, else ``None``."""
        keys: set[str] = set()
        for alternative in self.alternatives:
            if alternative.negated is not None or len(alternative.tests) != 1:
                return None
            (test,) = alternative.tests
            strings = test.only_strings() if isinstance(test, Literals) else None
            if strings is None:
                return None
            keys |= strings
        return frozenset(keys)


@dataclass(frozen=True)
class FieldMatch:
    """``path: matcher``, one entry of ``match``."""

    path: str
    matcher: Matcher


@dataclass(frozen=True)
class Match:
    """A compiled ``match``: every entry must hold."""

    fields: tuple[FieldMatch, ...] = ()

    def matcher(self, path: str) -> Matcher | None:
        return next((f.matcher for f in self.fields if f.path == path), None)


def compile_regex(source: str) -> Regex:
    """A :class:`Regex`; ``ValueError`` saying why when the pattern cannot be used."""
    length, memory = limits.REGEX_CHARS.value(), limits.REGEX_MEMORY_BYTES.value()
    if len(source) > length:
        raise ValueError(limits.REGEX_CHARS.exceeded(f"a regex of {len(source):,} characters", length))
    options = re2.Options()
    options.max_mem = memory
    options.log_errors = False
    try:
        return Regex(source, re2.compile(source, options))
    except re2.error as exc:
        detail = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        if "too large" in detail:
            detail += f" (over the limit of {memory >> 20} MiB)"
        elif detail.startswith(_UNSUPPORTED):
            detail += " (RE2 syntax: no lookaround, no backreferences; see docs/policies.md)"
        raise ValueError(f"invalid regex '{source}': {detail}") from None


# RE2's errors for Perl and Python syntax it does not have (lookaround, \1, a++, \Z).
_UNSUPPORTED = ("invalid perl operator", "invalid escape sequence", "bad repetition operator")


def compile_match(data: Mapping[str, Any], report: Report) -> Match | None:
    """Compile ``match`` (already valid against the policy schema).

    Every problem is passed to ``report`` with the field it is in; the result is ``None``
    when there was any, so that one pass finds all of a rule's mistakes.
    """
    fields: list[FieldMatch] = []
    failed = False
    for path, spec in data.items():
        matcher = _matcher(spec, f"match.{path}", report)
        if matcher is None:
            failed = True
        else:
            fields.append(FieldMatch(path, matcher))
    return None if failed else Match(tuple(fields))


def _matcher(spec: Any, where: str, report: Report) -> Matcher | None:
    items = spec if isinstance(spec, list) else [spec]
    scalars = [item for item in items if not isinstance(item, dict)]
    alternatives = [Alternative((Literals.of(scalars),))] if scalars else []
    failed = False
    for item in items:
        if isinstance(item, dict):
            alternative = _operators(item, where, report)
            if alternative is None:
                failed = True
            else:
                alternatives.append(alternative)
    return None if failed else Matcher(tuple(alternatives))


def _operators(spec: Mapping[str, Any], where: str, report: Report) -> Alternative | None:
    """An operator object: its tests (in the order written) and its ``not``."""
    tests: list[ValueTest] = []
    negated: Matcher | None = None
    failed = False
    for name, argument in spec.items():
        if name == "not":
            negated = _matcher(argument, f"{where}.not", report)
            failed = failed or negated is None
        elif name == "regex":
            try:
                tests.append(compile_regex(argument))
            except ValueError as exc:
                report(where, str(exc))
                failed = True
        else:
            tests.append(_value_test(name, argument))
    return None if failed else Alternative(tuple(tests), negated)


def _value_test(name: str, argument: Any) -> ValueTest:
    """The operators whose argument the schema has fully checked."""
    if name == "equals":
        return Literals.of([argument])
    if name == "any_of":
        return Literals.of(argument)
    if name in ("exists", "absent"):
        return Presence(bool(argument) if name == "exists" else not argument)
    comparison = _COMPARISONS.get(name)
    if comparison is not None:
        return Comparison(comparison, float(argument))
    text = _TEXTS.get(name)
    if text is not None:
        return TextTest(text, str(argument))
    raise AssertionError(f"operator {name!r} passed the policy schema but has no compiler")


_COMPARISONS: dict[str, ComparisonOperator] = {name: name for name in COMPARISON_OPERATORS}
_TEXTS: dict[str, TextOperator] = {name: name for name in TEXT_OPERATORS}
