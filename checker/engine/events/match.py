"""Event rules' compiled ``match`` and ``expr`` turned into fast record predicates.

The loader compiled and checked every matcher (:mod:`checker.policy.match`); here each
one becomes a few small closures, once per process, never per record: literal sets stay
frozensets, paths become getters, a list of alternatives costs one pass over a field's
values. Scanning a million records then costs little more than parsing them.

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
from collections.abc import Callable, Mapping, Sequence
from fnmatch import fnmatchcase
from typing import Any

from jmespath.exceptions import JMESPathError

from checker.engine.events.paths import Many, compile_path
from checker.policy.match import (
    Comparison,
    Literals,
    Matcher,
    Presence,
    Regex,
    TextTest,
    ValueTest,
    is_number,
)
from checker.policy.model import EventRule
from checker.typing_compat import assert_never

ValueCheck = Callable[[Any], bool]
"""A test of one value (an element, after an array)."""
FieldCheck = Callable[[Any], bool]
"""A test of a field's resolved value: a scalar, or :class:`Many` values."""
RecordPredicate = Callable[[Mapping[str, Any]], bool]


def _literal_check(literals: Literals) -> ValueCheck:
    strings, booleans, numbers, null = literals.strings, literals.booleans, literals.numbers, literals.null
    if literals.only_strings() is not None:
        return lambda value: type(value) is str and value in strings

    def check(value: Any) -> bool:
        kind = type(value)
        if kind is str:
            if value in strings:
                return True
            return bool(booleans) and value in ("true", "false") and (value == "true") in booleans
        if kind is bool:
            return value in booleans
        if value is None:
            return null
        return is_number(value) and value in numbers

    return check


def _text_check(test: TextTest) -> ValueCheck:
    text = test.text
    if test.operator == "prefix":
        return lambda value: type(value) is str and value.startswith(text)
    if test.operator == "suffix":
        return lambda value: type(value) is str and value.endswith(text)
    if test.operator == "contains":
        return lambda value: type(value) is str and text in value
    if test.operator == "glob":
        return lambda value: type(value) is str and fnmatchcase(value, text)
    assert_never(test.operator)


def _regex_check(regex: Regex) -> ValueCheck:
    search = regex.compiled.search
    return lambda value: type(value) is str and search(value) is not None


def _as_number(value: Any) -> float | None:
    if is_number(value):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


_ORDER: dict[str, Callable[[float, float], bool]] = {
    "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b,
    "lt": lambda a, b: a < b, "le": lambda a, b: a <= b,
}


def _comparison_check(comparison: Comparison) -> ValueCheck:
    holds, bound = _ORDER[comparison.operator], comparison.bound

    def check(value: Any) -> bool:
        number = _as_number(value)
        return number is not None and holds(number, bound)

    return check


def _presence_check(presence: Presence) -> ValueCheck:
    if presence.present:
        return lambda value: value is not None
    return lambda value: value is None


def _value_check(test: ValueTest) -> ValueCheck:
    if isinstance(test, Literals):
        return _literal_check(test)
    if isinstance(test, TextTest):
        return _text_check(test)
    if isinstance(test, Regex):
        return _regex_check(test)
    if isinstance(test, Comparison):
        return _comparison_check(test)
    if isinstance(test, Presence):
        return _presence_check(test)
    assert_never(test)


def field_check(matcher: Matcher) -> FieldCheck:
    """The check of one field's value (a scalar, or :class:`Many`).

    Alternatives without ``not`` are OR-ed per value before lifting, so a list of
    operators costs one pass over the values, not one per alternative.
    """
    values: list[ValueCheck] = []
    fields: list[FieldCheck] = []
    for alternative in matcher.alternatives:
        if alternative.negated is None:
            values.append(_all([_value_check(t) for t in alternative.tests]))
        else:
            fields.append(_negation(alternative.tests, alternative.negated))
    if values:
        fields.insert(0, _lift(_any(values)))
    return _any(fields)


def _negation(tests: Sequence[ValueTest], matcher: Matcher) -> FieldCheck:
    """``{ops..., not: m}``: the operators hold (if any) and the matcher ``m`` does not."""
    negated = field_check(matcher)
    if not tests:
        return lambda value: not negated(value)
    positive = _lift(_all([_value_check(t) for t in tests]))
    return lambda value: positive(value) and not negated(value)


def _lift(check: ValueCheck) -> FieldCheck:
    """A value check applied to a field: one of the values after an array must pass."""

    def lifted(value: Any) -> bool:
        if type(value) is not Many:
            return check(value)
        return any(check(item) for item in value) if value else check(None)

    return lifted


def _all(checks: Sequence[ValueCheck]) -> ValueCheck:
    if len(checks) == 1:
        return checks[0]

    def check(value: Any) -> bool:
        for one in checks:  # noqa: SIM110 - a plain loop: no generator object per record
            if not one(value):
                return False
        return True

    return check


def _any(checks: Sequence[ValueCheck]) -> ValueCheck:
    if len(checks) == 1:
        return checks[0]

    def check(value: Any) -> bool:
        for one in checks:  # noqa: SIM110 - a plain loop: no generator object per record
            if one(value):
                return True
        return False

    return check


def is_truthy(value: Any) -> bool:
    """JMESPath truthiness: false, null, empty string/array/object are false; ``0`` is true."""
    if value is None or value is False:
        return False
    return not (isinstance(value, (str, list, dict)) and not value)


def _record_check(path: str, check: FieldCheck) -> RecordPredicate:
    """One ``match`` entry as a record predicate; top-level fields skip the getter call."""
    if "." in path:
        get = compile_path(path)
        return lambda record: check(get(record))

    def on_record(record: Mapping[str, Any]) -> bool:
        value = record.get(path)
        return check(Many(value) if type(value) is list else value)

    return on_record


class ExprFailure(Exception):
    """The rule's ``expr`` raised a JMESPath error on one record (counted, never fatal)."""


def record_predicate(rule: EventRule, decided: str | None) -> RecordPredicate:
    """``rule``'s ``match`` and ``expr`` as one predicate, leaving out the field ``decided``.

    ``decided`` is the field the index already checked before handing the record over.
    The predicate raises :class:`ExprFailure` when ``expr`` fails on a record (e.g. a
    function given a null): that record is undecided for the rule, not a non-match.
    """
    checks = [_record_check(f.path, field_check(f.matcher)) for f in rule.match.fields if f.path != decided]
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
