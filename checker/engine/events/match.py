"""Event rules' ``match`` and ``expr`` compiled once into record predicates.

An event rule's ``match`` maps dotted field paths to matchers (policy language, "Event
rules"): a scalar means *equals*, a list means *any of*, an operator object means *all of
its operators*. Rules are compiled when the engine starts, never per record: regexes are
compiled (a bad one is an :class:`InputError` naming the rule), literal sets become
frozensets, paths become small getter closures. Scanning a million records then costs
little more than parsing them.

Value semantics, chosen to fit how CloudTrail records arrive:

- A missing field and a JSON ``null`` are the same thing: *absent*.
- Booleans match booleans and the strings ``"true"``/``"false"`` (LookupEvents gives
  ``ReadOnly`` as a string; ``mfaAuthenticated`` is always a string), numbers match
  numbers, strings match strings; ``1`` never matches ``true``.
- ``prefix``/``suffix``/``contains``/``glob``/``regex`` apply to string values only;
  ``gt``/``ge``/``lt``/``le`` to numbers and numeric strings.
- A path that crosses a JSON array (``resources.type``) yields every element's value and
  the matcher holds when it holds for one of them; ``not`` negates the whole matcher.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from fnmatch import fnmatchcase
from typing import Any

from jmespath.exceptions import JMESPathError

from checker.engine.events.paths import Many, compile_path
from checker.errors import InputError
from checker.policy.model import EventRule

ElementTest = Callable[[Any], bool]
FieldTest = Callable[[Any], bool]
RecordPredicate = Callable[[Mapping[str, Any]], bool]


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class _Literals:
    """A set of literals matched with the value semantics of the module docstring."""

    def __init__(self, literals: Iterable[Any]) -> None:
        strings: set[str] = set()
        booleans: set[bool] = set()
        numbers: set[float] = set()
        self.null = False
        for literal in literals:
            if literal is None:
                self.null = True
            elif isinstance(literal, bool):
                booleans.add(literal)
            elif _is_number(literal):
                numbers.add(literal)
            elif literal in ("true", "false"):
                booleans.add(literal == "true")
            else:
                strings.add(str(literal))
        self.strings = frozenset(strings)
        self.booleans = frozenset(booleans)
        self.numbers = frozenset(numbers)

    def only_strings(self) -> frozenset[str] | None:
        """The literals, when they are all plain strings (the index can use them)."""
        return self.strings if not (self.null or self.booleans or self.numbers) else None

    def fastest(self) -> ElementTest:
        """This test, or an equivalent single closure when the literals are plain strings."""
        strings = self.only_strings()
        if strings is None:
            return self
        return lambda value: type(value) is str and value in strings

    def __call__(self, value: Any) -> bool:
        kind = type(value)
        if kind is str:
            if value in self.strings:
                return True
            return bool(self.booleans) and value in ("true", "false") and (value == "true") in self.booleans
        if kind is bool:
            return value in self.booleans
        if value is None:
            return self.null
        return _is_number(value) and value in self.numbers


def _as_number(value: Any) -> float | None:
    if _is_number(value):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _compare(op: Callable[[float, float], bool], bound: float) -> ElementTest:
    def test(value: Any) -> bool:
        number = _as_number(value)
        return number is not None and op(number, bound)

    return test


_COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b,
    "lt": lambda a, b: a < b, "le": lambda a, b: a <= b,
}


def _presence(wanted: bool) -> ElementTest:
    return (lambda value: value is not None) if wanted else (lambda value: value is None)


class _MatcherCompiler:
    """Compiles one rule's matchers; errors name the rule's source, id and field path."""

    def __init__(self, rule: EventRule) -> None:
        self.rule = rule

    def fail(self, path: str, what: str) -> InputError:
        return InputError(self.rule.source, f"rule {self.rule.id}: match.{path}: {what}")

    def field(self, spec: Any, path: str) -> FieldTest:
        """The test for one field's value (scalar, or :class:`Many`).

        Alternatives that are element tests are OR-ed per element before lifting, so a
        list of operators costs one pass over the values, not one per alternative.
        """
        if not isinstance(spec, list):
            spec = [spec]
        if not spec:
            raise self.fail(path, "an empty list matches nothing")
        literals = [item for item in spec if not isinstance(item, dict)]
        elements: list[ElementTest] = [_Literals(literals).fastest()] if literals else []
        fields: list[FieldTest] = []
        for item in spec:
            if isinstance(item, dict):
                element, negated = self.operators(item, path)
                if negated is not None:
                    fields.append(_negation(element, negated))
                elif element is not None:
                    elements.append(element)
        if elements:
            fields.insert(0, _field_of(_any_test(elements)))
        return _any_test(fields)

    def operators(self, spec: Mapping[str, Any], path: str) -> tuple[ElementTest | None, FieldTest | None]:
        """An operator object as (AND of its element operators, the field test under ``not``)."""
        if not spec:
            raise self.fail(path, "an operator object needs at least one operator")
        elements: list[ElementTest] = []
        negated: FieldTest | None = None
        for name, argument in spec.items():
            if name == "not":
                negated = self.field(argument, f"{path}.not")
            else:
                elements.append(self.element(name, argument, path))
        return (_all_test(elements) if elements else None), negated

    def element(self, name: str, argument: Any, path: str) -> ElementTest:
        if name == "equals":
            return _Literals([argument]).fastest()
        if name == "any_of":
            if not isinstance(argument, list) or not argument:
                raise self.fail(path, "any_of needs a non-empty list")
            return _Literals(argument).fastest()
        if name in ("exists", "absent"):
            if not isinstance(argument, bool):
                raise self.fail(path, f"{name} takes true or false")
            return _presence(argument if name == "exists" else not argument)
        if name in _COMPARISONS:
            if not _is_number(argument):
                raise self.fail(path, f"{name} takes a number, not {argument!r}")
            return _compare(_COMPARISONS[name], float(argument))
        if not isinstance(argument, str):
            if name in ("prefix", "suffix", "contains", "glob", "regex"):
                raise self.fail(path, f"{name} takes a string, not {argument!r}")
            raise self.fail(path, f"unknown operator {name!r}")
        return self.string_element(name, argument, path)

    def string_element(self, name: str, text: str, path: str) -> ElementTest:
        """String operators: one closure each (they run on every candidate record)."""
        if name == "prefix":
            return lambda value: type(value) is str and value.startswith(text)
        if name == "suffix":
            return lambda value: type(value) is str and value.endswith(text)
        if name == "contains":
            return lambda value: type(value) is str and text in value
        if name == "glob":
            return lambda value: type(value) is str and fnmatchcase(value, text)
        if name == "regex":
            try:
                search = re.compile(text).search
            except re.error as exc:
                raise self.fail(path, f"invalid regex {text!r}: {exc}") from None
            return lambda value: type(value) is str and search(value) is not None
        raise self.fail(path, f"unknown operator {name!r}")


def _field_of(element: ElementTest) -> FieldTest:
    """Lift an element test to a field: one of the values after an array must pass."""

    def test(value: Any) -> bool:
        if type(value) is not Many:
            return element(value)
        return any(element(item) for item in value) if value else element(None)

    return test


def _negation(element: ElementTest | None, negated: FieldTest) -> FieldTest:
    """``{ops..., not: m}``: the operators hold (if any) and the matcher ``m`` does not."""
    if element is None:
        return lambda value: not negated(value)
    positive = _field_of(element)
    return lambda value: positive(value) and not negated(value)


def _all_test(tests: Sequence[ElementTest]) -> ElementTest:
    if len(tests) == 1:
        return tests[0]

    def test(value: Any) -> bool:
        for one in tests:  # noqa: SIM110 - a plain loop: no generator object per record
            if not one(value):
                return False
        return True

    return test


def _any_test(tests: Sequence[ElementTest]) -> ElementTest:
    if len(tests) == 1:
        return tests[0]

    def test(value: Any) -> bool:
        for one in tests:  # noqa: SIM110 - a plain loop: no generator object per record
            if one(value):
                return True
        return False

    return test


def is_truthy(value: Any) -> bool:
    """JMESPath truthiness: false, null, empty string/array/object are false; ``0`` is true."""
    if value is None or value is False:
        return False
    return not (isinstance(value, (str, list, dict)) and not value)


def literal_keys(spec: Any) -> frozenset[str] | None:
    """The string values a matcher accepts when it is a plain literal set, else ``None``.

    Only such matchers can be answered by an index lookup: scalars, lists of scalars,
    and operator objects holding only ``equals`` or only ``any_of``.
    """
    if isinstance(spec, dict):
        if len(spec) != 1 or not ({"equals", "any_of"} & set(spec)):
            return None
        items = [spec["equals"]] if "equals" in spec else list(spec["any_of"])
    else:
        items = spec if isinstance(spec, list) else [spec]
    if any(isinstance(item, (dict, list)) for item in items):
        return None
    return _Literals(items).only_strings()


def _field_check(path: str, test: FieldTest) -> RecordPredicate:
    """One ``match`` entry as a record predicate; top-level fields skip the getter call."""
    if "." in path:
        get = compile_path(path)
        return lambda record: test(get(record))

    def check(record: Mapping[str, Any]) -> bool:
        value = record.get(path)
        return test(Many(value) if type(value) is list else value)

    return check


class ExprFailure(Exception):
    """The rule's ``expr`` raised a JMESPath error on one record (counted, never fatal)."""


def record_predicate(rule: EventRule, decided: str | None) -> RecordPredicate:
    """``rule``'s ``match`` and ``expr`` as one predicate, leaving out the field ``decided``.

    ``decided`` is the field the index already checked before handing the record over.
    The predicate raises :class:`ExprFailure` when ``expr`` fails on a record (e.g. a
    function given a null): that record is undecided for the rule, not a non-match.
    """
    compiler = _MatcherCompiler(rule)
    field_tests = {path: compiler.field(spec, path) for path, spec in rule.match.items()}
    checks = [_field_check(path, test) for path, test in field_tests.items() if path != decided]
    expression = rule.expr.compiled if rule.expr is not None else None
    expr_source = rule.expr.source if rule.expr is not None else ""

    def predicate(record: Mapping[str, Any]) -> bool:
        for check in checks:
            if not check(record):
                return False
        if expression is None:
            return True
        try:
            return is_truthy(expression.search(record))
        except JMESPathError as exc:
            raise ExprFailure(f"expr `{expr_source}`: {exc}") from None

    return predicate
