"""The value tests of an EventBridge event pattern: one field's value list, parsed and matched.

A field of a pattern carries a list of tests (``"eventName": ["StartSession", {"prefix":
"Resume"}]``); the field matches when one of its values matches one test. This module parses
such a list into typed operators, decides each operator on one JSON leaf value (string,
number, true, false, null), and reports which values each operator tells apart (its hints).

The semantics are EventBridge's as documented (user guide, "Comparison operators for use in
event patterns", "Content filtering", "Matching null values and empty strings") and, where
the guide is silent, those of the open-source engine EventBridge runs (aws/event-ruler):

- Values are typed: a string never matches a number, true or null, and the reverse.
- Every ``anything-but`` form matches any leaf of another type (``anything-but: "x"`` matches
  the number 5 and null); it never matches an absent field.
- A string in the value list that is an IPv4 or IPv6 address matches the same address however
  written (``::ffff:a00:1`` is ``10.0.0.1``).
- Numbers compare as IEEE doubles. The guide limits numeric matching
  to values within +-1e9 with at most six decimal places: a pattern number outside that range
  is undecided, and an event number outside it never satisfies ``numeric`` or a number value
  (never overstate an alert).
- ``equals-ignore-case`` and its forms fold ASCII letters only; a non-ASCII operand is undecided.

Constructs whose meaning trailcheck cannot settle raise ``UnsupportedConstruct`` (the pattern
becomes undecided); shapes EventBridge rejects raise ``EventPatternError``.
"""

from __future__ import annotations

import ipaddress
import re
import struct
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from checker.alerting.interface import Hints
from checker.typing_compat import assert_never

DOCUMENTED_NUMBER_LIMIT = Decimal("1e9")
"""EventBridge's documented numeric range is -1e9 .. +1e9 ..."""
DOCUMENTED_DECIMAL_PLACES = 6
"""... with at most six digits after the decimal point."""

RESERVED_KEYWORDS = frozenset({
    "exactly", "equals-ignore-case", "prefix", "suffix", "anything-but", "exists", "wildcard", "numeric", "cidr",
    "=", "<", "<=", ">", ">=", "regex", "not-wildcard", "not-equals-ignore-case", "date-after",
    "date-on-or-after", "date-before", "date-on-or-before", "in-date-range", "ip-address-in-range",
    "ip-address-not-in-range",
})
"""Operator names the engine reserves, documented or not. A ``$or`` branch that uses one as a
field name is not an ``$or``; an undocumented one as an operator is undecided."""


class EventPatternError(ValueError):
    """A pattern EventBridge would reject; ``path`` is where, in JSON-path form (``$.detail.x[1]``)."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"event pattern {path}: {reason}")
        self.path = path
        self.reason = reason


class UnsupportedConstruct(Exception):
    """A construct whose meaning trailcheck cannot settle; the pattern is undecided."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class JsonNumber:
    """A number of the pattern's JSON, kept as written (the engine reads the text)."""

    text: str


class JsonObject(tuple[tuple[str, Any], ...]):
    """A JSON object of the pattern as its key/value pairs in order (duplicates kept, to be reported)."""


# ----------------------------------------------------------------------------------- numbers


@dataclass(frozen=True)
class Number:
    """A number as the engine compares it: a double, ``key`` ordering doubles as numbers."""

    value: float
    key: int


def _ordered_key(value: float) -> int:
    bits = int.from_bytes(struct.pack(">d", value), "big")
    return bits ^ (1 << 63) if bits >> 63 == 0 else bits ^ ((1 << 64) - 1)


def _decimal_of(value: float) -> Decimal:
    return Decimal(repr(value))


def comparable_number(exact: Decimal) -> Number | None:
    """The engine's form of a number written ``exact``; None when a double cannot hold it exactly
    (the engine then compares it as text only) or it lies outside the documented range."""
    try:
        value = float(exact)
    except OverflowError:
        return None
    if value in (float("inf"), float("-inf")) or _decimal_of(value) != exact:
        return None
    exponent = exact.normalize().as_tuple().exponent
    if abs(exact) > DOCUMENTED_NUMBER_LIMIT or (isinstance(exponent, int) and exponent < -DOCUMENTED_DECIMAL_PLACES):
        return None
    value = value or 0.0  # the engine goes through a decimal, which has no negative zero
    return Number(value=value, key=_ordered_key(value))


def event_number(value: int | float) -> Number | None:
    """The engine's form of a number of the event, or None (see ``comparable_number``)."""
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        return comparable_number(_decimal_of(value))
    return comparable_number(Decimal(value))


def _pattern_number(number: JsonNumber, path: str, *, written_in: str) -> Number:
    exact = Decimal(number.text)
    comparable = comparable_number(exact)
    if comparable is None:
        raise UnsupportedConstruct(path, f"the number {number.text} in {written_in} is outside what EventBridge "
                                   f"documents for numeric matching (+-1e9, six decimal places, exact as a double)")
    return comparable


# ----------------------------------------------------------------------------------- IP addresses

_IPV4_SHAPE = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+")
_IPV6_SHAPE = re.compile(r"[0-9a-fA-F:]*:[0-9a-fA-F:]*")


@dataclass(frozen=True)
class IpAddress:
    bits: int  # 32 or 128
    value: int


class _AmbiguousAddress(Exception):
    """An IPv4 address written with leading zeros: Java versions read it differently."""


def _ip_address(text: str) -> IpAddress | None:
    """The address ``text`` names as the engine reads it, None when it is not an address.

    Raises ``_AmbiguousAddress`` for dotted quads with leading zeros.
    """
    if _IPV4_SHAPE.fullmatch(text):
        parts = text.split(".")
        if any(len(part) > 1 and part.startswith("0") for part in parts):
            raise _AmbiguousAddress(text)
        numbers = [int(part) for part in parts]
        if any(number > 255 for number in numbers):
            return None
        return IpAddress(32, int.from_bytes(bytes(numbers), "big"))
    if _IPV6_SHAPE.fullmatch(text):
        try:
            address = ipaddress.IPv6Address(text)
        except ValueError:
            return None
        mapped = address.ipv4_mapped
        return IpAddress(32, int(mapped)) if mapped is not None else IpAddress(128, int(address))
    return None


def event_ip_address(text: str) -> IpAddress | None:
    """The address an event string names; None also for an ambiguous one (never overstate)."""
    try:
        return _ip_address(text)
    except _AmbiguousAddress:
        return None


# ----------------------------------------------------------------------------------- operators


@dataclass(frozen=True)
class ExactString:
    """``"value"`` in the list: the string itself."""

    value: str


@dataclass(frozen=True)
class ExactLiteral:
    """``true``, ``false`` or ``null`` in the list."""

    value: bool | None


@dataclass(frozen=True)
class NumberEquals:
    """A number in the list, or ``{"numeric": ["=", n]}``."""

    number: Number


@dataclass(frozen=True)
class NumericRange:
    """``{"numeric": [">", a, "<=", b]}`` and its one-sided forms; a None bound is open-ended."""

    low: Number | None
    low_open: bool
    high: Number | None
    high_open: bool


@dataclass(frozen=True)
class IpRange:
    """``{"cidr": "10.0.0.0/24"}``, or an address string in the list (a range of one)."""

    bits: int
    low: int
    high: int


@dataclass(frozen=True)
class Prefix:
    text: str
    ignore_case: bool


@dataclass(frozen=True)
class Suffix:
    text: str
    ignore_case: bool


@dataclass(frozen=True)
class EqualsIgnoreCase:
    text: str


@dataclass(frozen=True)
class Wildcard:
    """``*`` matches any run of characters; ``segments`` are the literal parts between stars."""

    text: str
    segments: tuple[str, ...]
    regex: re.Pattern[str]


StringTest = ExactString | Prefix | Suffix | EqualsIgnoreCase | Wildcard


@dataclass(frozen=True)
class AnythingBut:
    """Every ``anything-but`` form on strings: a leaf matches unless it is a string one test matches."""

    excluded: tuple[StringTest, ...]


@dataclass(frozen=True)
class AnythingButNumbers:
    """``anything-but`` with numbers: a leaf matches unless it is one of these numbers."""

    numbers: tuple[Number, ...]


@dataclass(frozen=True)
class Exists:
    present: bool


Operator = (ExactString | ExactLiteral | NumberEquals | NumericRange | IpRange | Prefix | Suffix | EqualsIgnoreCase
            | Wildcard | AnythingBut | AnythingButNumbers | Exists)

NUMERIC_OPERATORS = (NumberEquals, NumericRange, AnythingButNumbers)
_STRING_BYTE_OPERATORS = (ExactString, Prefix, Suffix, EqualsIgnoreCase, Wildcard, AnythingBut)


# ----------------------------------------------------------------------------------- parsing


def _describe(value: Any) -> str:
    if isinstance(value, JsonObject):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, JsonNumber):
        return "a number"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return "a string"


def _no_quote(text: str, path: str, operator: str) -> str:
    # The engine matches prefixes and suffixes against the string with its JSON quotes, so a
    # quote inside the operand can match across the end of a value.
    if '"' in text:
        raise UnsupportedConstruct(path, f'a {operator} containing a double quote (") is matched by EventBridge '
                                   "across the value's quotes; trailcheck does not model that")
    return text


def _ascii_only(text: str, path: str) -> str:
    if not text.isascii():
        raise UnsupportedConstruct(path, "equals-ignore-case on non-ASCII text follows the case rules of "
                                   "EventBridge's runtime, which trailcheck does not model")
    return text


def _string(value: Any, path: str, what: str) -> str:
    if not isinstance(value, str):
        raise EventPatternError(path, f"{what} must be a string, not {_describe(value)}")
    return value


def _single_key(expression: JsonObject, path: str) -> tuple[str, Any]:
    if not expression:
        raise EventPatternError(path, "a match expression needs an operator")
    if len(expression) > 1:
        raise EventPatternError(path, "only one operator is allowed in a match expression")
    return expression[0]


def _wildcard(text: str, path: str) -> Wildcard:
    segments: list[str] = []
    current: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "*":
            if text[index + 1: index + 2] == "*":
                raise EventPatternError(path, f"consecutive wildcard characters at position {index}")
            segments.append("".join(current))
            current = []
        elif char == "\\":
            following = text[index + 1: index + 2]
            if following not in ("*", "\\"):
                raise EventPatternError(path, f"invalid escape character at position {index} "
                                        "(only \\* and \\\\ are allowed)")
            current.append(following)
            index += 1
        else:
            current.append(char)
        index += 1
    segments.append("".join(current))
    regex = re.compile(".*".join(re.escape(segment) for segment in segments), re.DOTALL)
    return Wildcard(text=text, segments=tuple(segments), regex=regex)


def _ignore_case_operand(value: Any, path: str, operator: str) -> str:
    if not isinstance(value, JsonObject):
        raise EventPatternError(path, f"{operator} takes a string or {{\"equals-ignore-case\": string}}")
    name, operand = _single_key(value, path)
    if name != "equals-ignore-case":
        raise EventPatternError(path, f"unsupported {operator} form {name!r}")
    return _ascii_only(_string(operand, f"{path}.equals-ignore-case", "equals-ignore-case"), path)


def _prefix_or_suffix(operator: str, value: Any, path: str) -> Prefix | Suffix:
    make: Callable[[str, bool], Prefix | Suffix] = Prefix if operator == "prefix" else Suffix
    if isinstance(value, str):
        return make(_no_quote(value, path, operator), False)
    return make(_no_quote(_ignore_case_operand(value, path, operator), path, operator), True)


def _numeric(value: Any, path: str) -> NumberEquals | NumericRange:
    if not isinstance(value, list) or not value:
        raise EventPatternError(path, "numeric takes a list such as [\">\", 0, \"<=\", 5]")
    terms = list(value)

    def operand(index: int, operator: str) -> Number:
        if index >= len(terms) or not isinstance(terms[index], JsonNumber):
            raise EventPatternError(f"{path}[{index}]", f"the value of {operator} must be a number")
        return _pattern_number(terms[index], f"{path}[{index}]", written_in="numeric")

    operator = terms[0]
    if operator not in ("=", "<", "<=", ">", ">="):
        raise EventPatternError(f"{path}[0]", f"unknown numeric operator {operator!r}")
    first = operand(1, operator)
    if operator in ("=", "<", "<="):
        if len(terms) > 2:
            raise EventPatternError(path, "too many terms in numeric expression")
        if operator == "=":
            return NumberEquals(first)
        return NumericRange(None, False, first, operator == "<")
    if len(terms) == 2:
        return NumericRange(first, operator == ">", None, False)
    upper = terms[2]
    if upper not in ("<", "<="):
        raise EventPatternError(f"{path}[2]", f"a range's upper bound needs < or <=, not {upper!r}")
    second = operand(3, upper)
    if len(terms) > 4:
        raise EventPatternError(path, "too many terms in numeric expression")
    if first.key >= second.key:
        raise EventPatternError(path, "the lower bound must be below the upper bound")
    return NumericRange(first, operator == ">", second, upper == "<")


def _java_split_slash(text: str) -> list[str]:
    parts = text.split("/")
    while parts and parts[-1] == "":
        parts.pop()
    return parts


def _cidr(value: Any, path: str) -> IpRange:
    text = _string(value, path, "cidr")
    parts = _java_split_slash(text)
    if len(parts) != 2:
        raise EventPatternError(path, "malformed CIDR, one '/' required")
    if not re.fullmatch(r"[+-]?[0-9]+", parts[1]):
        raise EventPatternError(path, "malformed CIDR, mask bits must be an integer")
    mask = int(parts[1])
    if mask < 0:
        raise EventPatternError(path, "malformed CIDR, mask bits must not be negative")
    try:
        address = _ip_address(parts[0])
    except _AmbiguousAddress as error:
        raise UnsupportedConstruct(path, f"{error} has leading zeros, which Java versions read differently") from None
    if address is None:
        raise EventPatternError(path, f"not an IP address: {parts[0]!r}")
    if mask > address.bits - 1:
        raise EventPatternError(path, f"IPv{4 if address.bits == 32 else 6} mask bits must be < {address.bits}")
    host_bits = address.bits - mask
    low = address.value >> host_bits << host_bits
    return IpRange(address.bits, low, low | ((1 << host_bits) - 1))


def _string_list(value: Any, path: str, operator: str) -> list[str]:
    values = value if isinstance(value, list) else [value]
    if not values:
        raise EventPatternError(path, f"anything-but {operator} needs at least one value")
    return [_string(item, f"{path}[{index}]" if isinstance(value, list) else path, f"anything-but {operator}")
            for index, item in enumerate(values)]


def _anything_but(value: Any, path: str, *, legacy: bool) -> AnythingBut | AnythingButNumbers:
    if isinstance(value, JsonObject):
        name, operand = _single_key(value, path)
        inner = f"{path}.{name}"
        if legacy and (name == "wildcard" or (name in ("prefix", "suffix") and not isinstance(operand, str))):
            raise EventPatternError(inner, f"anything-but {name} takes a single string here")
        texts = _string_list(operand, inner, name)
        if name in ("prefix", "suffix"):
            if any(text == "" for text in texts):
                raise EventPatternError(inner, f"an empty anything-but {name} is not allowed")
            make: Callable[[str, bool], Prefix | Suffix] = Prefix if name == "prefix" else Suffix
            return AnythingBut(tuple(make(_no_quote(text, inner, name), False) for text in texts))
        if name == "equals-ignore-case":
            return AnythingBut(tuple(EqualsIgnoreCase(_ascii_only(text, inner)) for text in texts))
        if name == "wildcard":
            return AnythingBut(tuple(_wildcard(text, inner) for text in texts))
        raise EventPatternError(path, f"unsupported anything-but form {name!r}")
    values = value if isinstance(value, list) else [value]
    if all(isinstance(item, str) for item in values) and values:
        return AnythingBut(tuple(ExactString(item) for item in values))
    if all(isinstance(item, JsonNumber) for item in values) and values:
        return AnythingButNumbers(tuple(_pattern_number(item, path, written_in="anything-but") for item in values))
    raise EventPatternError(path, "anything-but takes a string, a number, or a non-empty list of only strings "
                            "or only numbers")


def _match_expression(expression: JsonObject, path: str, *, legacy: bool) -> Operator:
    name, value = _single_key(expression, path)
    inner = f"{path}.{name}"
    if name in ("prefix", "suffix"):
        return _prefix_or_suffix(name, value, inner)
    if name == "equals-ignore-case":
        return EqualsIgnoreCase(_ascii_only(_string(value, inner, name), inner))
    if name == "wildcard":
        return _wildcard(_string(value, inner, name), inner)
    if name == "numeric":
        return _numeric(value, inner)
    if name == "anything-but":
        return _anything_but(value, inner, legacy=legacy)
    if name == "exists":
        if not isinstance(value, bool):
            raise EventPatternError(inner, "exists takes true or false")
        return Exists(value)
    if name == "cidr":
        return _cidr(value, inner)
    if name in RESERVED_KEYWORDS:
        raise UnsupportedConstruct(inner, f"operator {name!r} is not one EventBridge documents")
    raise EventPatternError(inner, f"unknown operator {name!r}")


def _list_value(value: Any, path: str, *, legacy: bool) -> Operator:
    if isinstance(value, JsonObject):
        return _match_expression(value, path, legacy=legacy)
    if isinstance(value, str):
        try:
            address = _ip_address(value)
        except _AmbiguousAddress:
            raise UnsupportedConstruct(path, f"the address {value!r} has leading zeros, which Java versions "
                                       "read differently") from None
        return IpRange(address.bits, address.value, address.value) if address is not None else ExactString(value)
    if isinstance(value, JsonNumber):
        exact = Decimal(value.text)
        number = comparable_number(exact)
        if number is None:
            raise UnsupportedConstruct(path, f"the number {value.text} is outside what EventBridge documents for "
                                       "numeric matching (+-1e9, six decimal places, exact as a double)")
        return NumberEquals(number)
    if isinstance(value, bool) or value is None:
        return ExactLiteral(value)
    raise EventPatternError(path, f"a match value must be a string, number, true, false, null or an object, "
                            f"not {_describe(value)}")


def parse_value_list(values: Sequence[Any], path: str, *, legacy: bool) -> tuple[Operator, ...]:
    """The operators of one field's value list (``path`` names the list in errors)."""
    if not values:
        raise EventPatternError(path, "an empty list is not allowed (EventBridge rejects it)")
    operators = tuple(_list_value(value, f"{path}[{index}]", legacy=legacy) for index, value in enumerate(values))
    if (any(isinstance(op, NUMERIC_OPERATORS) for op in operators)
            and any(isinstance(op, _STRING_BYTE_OPERATORS) for op in operators)):
        raise UnsupportedConstruct(path, "one field mixes numeric and string tests; EventBridge compares numbers "
                                   "in an encoded form that string tests can match by accident")
    return operators


# ----------------------------------------------------------------------------------- matching


@dataclass(frozen=True)
class FieldContext:
    """What the engine does to every value of one field, given all of the field's tests."""

    numeric: bool  # numbers are compared as numbers (else as their text)
    addresses: bool  # strings that are IP addresses are compared as addresses

    @staticmethod
    def of(operators: Iterable[Operator]) -> FieldContext:
        ops = tuple(operators)
        return FieldContext(numeric=any(isinstance(op, NUMERIC_OPERATORS) for op in ops),
                            addresses=any(isinstance(op, IpRange) for op in ops))


def _folds_to(pattern: str, text: str) -> bool:
    return len(pattern) == len(text) and all(
        char in (wanted.lower(), wanted.upper()) for wanted, char in zip(pattern, text, strict=True))


def string_test_matches(test: StringTest, text: str) -> bool:
    if isinstance(test, ExactString):
        return text == test.value
    if isinstance(test, Prefix):
        if test.ignore_case:
            return _folds_to(test.text, text[: len(test.text)])
        return text.startswith(test.text)
    if isinstance(test, Suffix):
        if test.ignore_case:
            return len(test.text) <= len(text) and _folds_to(test.text, text[len(text) - len(test.text):])
        return text.endswith(test.text)
    if isinstance(test, EqualsIgnoreCase):
        return _folds_to(test.text, text)
    if isinstance(test, Wildcard):
        return test.regex.fullmatch(text) is not None
    assert_never(test)


def _in_range(number: Number, op: NumericRange) -> bool:
    if op.low is not None and (number.key < op.low.key or (op.low_open and number.key == op.low.key)):
        return False
    return not (op.high is not None and (number.key > op.high.key or (op.high_open and number.key == op.high.key)))


def _hex_text_in_range(text: str, op: IpRange) -> bool:
    # A number the engine reads as text meets address ranges as a string of hex digits.
    width = op.bits // 4
    if len(text) != width or any(char not in "0123456789ABCDEF" for char in text):
        return False
    return format(op.low, f"0{width}X") <= text <= format(op.high, f"0{width}X")


def _string_leaf(op: Operator, text: str, context: FieldContext) -> bool:
    if isinstance(op, (ExactString, Prefix, Suffix, EqualsIgnoreCase, Wildcard)):
        return string_test_matches(op, text)
    if isinstance(op, AnythingBut):
        return not any(string_test_matches(test, text) for test in op.excluded)
    if isinstance(op, IpRange):
        address = event_ip_address(text) if context.addresses else None
        return address is not None and address.bits == op.bits and op.low <= address.value <= op.high
    if isinstance(op, Exists):
        return op.present
    return isinstance(op, AnythingButNumbers)  # a string is never one of its numbers


def _number_leaf(op: Operator, value: int | float, context: FieldContext) -> bool:
    if isinstance(op, (AnythingBut, AnythingButNumbers, Exists)):
        if isinstance(op, Exists):
            return op.present
        if isinstance(op, AnythingBut):
            return True
        number = event_number(value) if context.numeric else None
        return number is None or all(number.key != excluded.key for excluded in op.numbers)
    if isinstance(op, (NumberEquals, NumericRange)):
        number = event_number(value)
        if number is None:
            return False
        return number.key == op.number.key if isinstance(op, NumberEquals) else _in_range(number, op)
    if isinstance(op, IpRange):
        # Without numeric tests on the field the engine reads the number as its JSON text. The
        # text of an integer is known; that of a fraction is not, so it is taken not to match.
        return not context.numeric and isinstance(value, int) and _hex_text_in_range(str(value), op)
    return False


def leaf_matches(op: Operator, value: Any, context: FieldContext) -> bool:
    """Does one JSON leaf (string, number, bool, None) of the field satisfy ``op``?"""
    if isinstance(value, bool) or value is None:
        if isinstance(op, ExactLiteral):
            return op.value is value
        if isinstance(op, Exists):
            return op.present
        return isinstance(op, (AnythingBut, AnythingButNumbers))
    if isinstance(value, str):
        return _string_leaf(op, value, context)
    if isinstance(value, (int, float)):
        return _number_leaf(op, value, context)
    return False


# ----------------------------------------------------------------------------------- hints


def _overlaps(left: str, right: str) -> bool:
    """Does a proper end of ``left`` begin ``right`` (so one occurrence can share characters)?"""
    return any(left.endswith(right[:cut]) for cut in range(1, min(len(left) + 1, len(right))))


def _wildcard_hints(wildcard: Wildcard) -> tuple[Hints, str | None]:
    segments = wildcard.segments
    if len(segments) == 1:
        return Hints(literals=frozenset(segments)), None
    head, tail = segments[0], segments[-1]
    prefixes = frozenset({head}) if head else frozenset()
    suffixes = frozenset({tail}) if tail else frozenset()
    if len(segments) == 2:
        # Values that start with head and end with tail but are too short for both (they
        # overlap) do not match: name them, so that witnesses try them.
        overlaps = {head + tail[cut:] for cut in range(1, min(len(head), len(tail)) + 1) if head.endswith(tail[:cut])}
        return Hints(literals=frozenset(overlaps), prefixes=prefixes, suffixes=suffixes), None
    if len(segments) == 3:
        infix = segments[1]
        # Exact when no occurrence of the infix can share characters with head or tail: then
        # containing it is the same as containing it between them.
        if infix not in head and infix not in tail and not _overlaps(head, infix) and not _overlaps(infix, tail):
            return Hints(prefixes=prefixes, suffixes=suffixes, infixes=frozenset({infix})), None
        return Hints(), f"wildcard {wildcard.text!r} has an inner part that can overlap its ends"
    return Hints(), f"wildcard {wildcard.text!r} has more than one inner part (their order matters)"


_OTHER_TYPES = frozenset({"number", "bool", "null"})


def _string_test_hints(test: StringTest) -> tuple[Hints, str | None]:
    if isinstance(test, ExactString):
        return Hints(literals=frozenset({test.value})), None
    if isinstance(test, (Prefix, Suffix)):
        if test.ignore_case:
            return Hints(), f"{type(test).__name__.lower()} with equals-ignore-case"
        if isinstance(test, Prefix):
            return Hints(prefixes=frozenset({test.text})), None
        return Hints(suffixes=frozenset({test.text})), None
    if isinstance(test, EqualsIgnoreCase):
        return Hints(), "equals-ignore-case"
    if isinstance(test, Wildcard):
        return _wildcard_hints(test)
    assert_never(test)


def operator_hints(op: Operator) -> tuple[Hints, str | None]:
    """The values ``op`` tells apart, and the construct that hints cannot express, if any.

    Hints name literals, prefixes, suffixes and infixes; a test that splits values some other
    way (case folding, ordered inner parts of a wildcard, an address range) cannot be checked
    for containment with witnesses, and is named instead.
    """
    absent = frozenset({"absent"})
    if isinstance(op, (ExactString, Prefix, Suffix, EqualsIgnoreCase, Wildcard)):
        hints, gap = _string_test_hints(op)
        return hints.union(Hints(kinds=absent)), gap
    if isinstance(op, ExactLiteral):
        return Hints(kinds=absent | {"null" if op.value is None else "bool"}), None
    if isinstance(op, NumberEquals):
        return Hints(numbers=frozenset({op.number.value}), kinds=absent | {"number"}), None
    if isinstance(op, NumericRange):
        bounds = frozenset(bound.value for bound in (op.low, op.high) if bound is not None)
        return Hints(numbers=bounds, kinds=absent | {"number"}), None
    if isinstance(op, IpRange):
        return Hints(kinds=absent), "an IP address or cidr test"
    if isinstance(op, AnythingBut):
        hints, gap = Hints(kinds=absent | _OTHER_TYPES), None
        for test in op.excluded:
            test_hints, test_gap = _string_test_hints(test)
            hints, gap = hints.union(test_hints), gap or test_gap
        return hints, gap
    if isinstance(op, AnythingButNumbers):
        return Hints(numbers=frozenset(number.value for number in op.numbers), kinds=absent | _OTHER_TYPES), None
    if isinstance(op, Exists):
        return Hints(kinds=absent | {"null", "object", "array"}), None
    assert_never(op)


