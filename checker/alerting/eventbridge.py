"""EventBridge event patterns as predicates over CloudTrail records.

``parse_event_pattern`` reads a pattern as ListRules stores it (``EventPattern``, a JSON
string). Every field it names must match (AND); a field matches when one of its values
matches one of the field's tests (OR, see ``eventbridge_operators``); ``$or`` lists
alternatives. ``EventPattern.matches`` wraps a CloudTrail record in the event CloudTrail
delivers to EventBridge (``eventbridge_envelope``) and matches that. ``rule_matcher`` adds the
rule's ``State``, giving the predicate "this rule fires on this record".

Matching follows EventBridge's documentation and, where it is silent, the open-source engine
EventBridge runs (aws/event-ruler):

- The event is read as dotted field names with leaf values (``detail.userIdentity.type``).
  Arrays are transparent: every element is a value of the same name. An object, an empty
  array or an absent field gives the name no value.
- Fields taken from objects inside one array must come from the same element of that array
  ("array consistency"); fields are taken in the engine's order (sorted names), and
  ``exists: false`` holds when no value of the name is consistent with the fields taken so far.
- ``$or`` is a list of at least two objects; when a branch uses a reserved operator name as a
  field name, or ``$or`` is not such a list, EventBridge reads ``$or`` as an ordinary field
  name instead.

For a containment check (``checker.alerting.containment.covers``) the candidate is a
``RuleMatcher`` and the reference is restricted to the records CloudTrail delivers to
EventBridge (a known ``eventType``, an ``aws.`` source: ``DeliveredToEventBridge``), and, for
an ``ENABLED`` rule, to the write events it is about: witnesses vary every field a pattern
reads, so a reference that leaves ``eventType`` or ``readOnly`` open also stands for records
of other types, or read-only ones, that the rule never sees.

Broken patterns (not JSON, an empty list, an unknown operator, duplicate keys, longer than
EventBridge accepts) raise ``EventPatternError``. A construct whose meaning trailcheck cannot
settle (a dotted field name, a field given twice in one alternative, the delivery ``id``,
numbers outside the documented range, more than ``MAX_ALTERNATIVES`` alternatives, nesting
deeper than ``MAX_PATTERN_DEPTH``) makes the pattern ``Undecided``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from checker.alerting.eventbridge_envelope import (
    EVENT_SOURCE_SUFFIX,
    ConstantField,
    DeliveryIdField,
    DetailTypeField,
    RecordField,
    RuleState,
    SourceField,
    cloudtrail_envelope,
    detail_type_hints,
    envelope_field,
    parse_rule_state,
    rule_receives,
    rule_state_hints,
    source_hints,
)
from checker.alerting.eventbridge_operators import (
    RESERVED_KEYWORDS,
    EventPatternError,
    Exists,
    FieldContext,
    JsonNumber,
    JsonObject,
    Operator,
    UnsupportedConstruct,
    leaf_matches,
    operator_hints,
    parse_value_list,
)
from checker.alerting.interface import FieldPath, Hints, Undecided
from checker.typing_compat import assert_never

__all__ = [
    "MAX_ALTERNATIVES",
    "MAX_PATTERN_CHARS",
    "MAX_PATTERN_DEPTH",
    "DeliveredToEventBridge",
    "EventPattern",
    "EventPatternError",
    "FieldTest",
    "RuleMatcher",
    "parse_event_pattern",
    "rule_matcher",
]

MAX_PATTERN_CHARS = 4096
"""The longest ``EventPattern`` EventBridge accepts (PutRule, Rule.EventPattern)."""
MAX_PATTERN_DEPTH = 32
"""Deepest nesting of objects and lists trailcheck reads; deeper patterns are undecided."""
MAX_ALTERNATIVES = 256
"""Most alternatives the ``$or`` lists of one pattern may multiply into; more is undecided."""

OR_KEYWORD = "$or"


@dataclass(frozen=True)
class FieldTest:
    """One field of one alternative: its pattern keys (outermost first) and its value tests."""

    path: tuple[str, ...]
    operators: tuple[Operator, ...]
    context: FieldContext

    @property
    def name(self) -> str:
        return ".".join(self.path)


@dataclass(frozen=True)
class _Or:
    branches: tuple[tuple[_Item, ...], ...]


_Item = FieldTest | _Or
Alternative = tuple[FieldTest, ...]
"""The fields one alternative requires, in the order the engine takes them."""


# ----------------------------------------------------------------------------------- reading JSON


def _nesting_depth(text: str) -> int:
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _load(text: str) -> JsonObject:
    if len(text) > MAX_PATTERN_CHARS:
        raise EventPatternError("$", f"longer than the {MAX_PATTERN_CHARS} characters EventBridge accepts")
    if _nesting_depth(text) > MAX_PATTERN_DEPTH:
        raise UnsupportedConstruct("$", f"nested deeper than {MAX_PATTERN_DEPTH} levels")
    try:
        root = json.loads(text, object_pairs_hook=JsonObject, parse_int=JsonNumber, parse_float=JsonNumber,
                          parse_constant=_reject_constant)
    except json.JSONDecodeError as error:
        raise EventPatternError("$", f"not JSON ({error.msg} at line {error.lineno} column {error.colno})") from None
    except ValueError as error:
        raise EventPatternError("$", str(error)) from None
    if not isinstance(root, JsonObject):
        raise EventPatternError("$", "an event pattern must be a JSON object")
    return root


def _member(path: str, key: str) -> str:
    return f"{path}.{key}" if re.fullmatch(r"[A-Za-z0-9_$-]+", key) else f"{path}[{json.dumps(key)}]"


# ----------------------------------------------------------------------------------- structure


def _parse_object(obj: JsonObject, keys: tuple[str, ...], path: str, *, in_or: bool, legacy: bool) -> list[_Item]:
    if not obj:
        raise EventPatternError(path, "an empty object is not allowed")
    seen: set[str] = set()
    items: list[_Item] = []
    for key, value in obj:
        member = _member(path, key)
        if key in seen:
            raise EventPatternError(member, f"duplicate key {key!r} (which one EventBridge keeps is undocumented)")
        seen.add(key)
        if key == OR_KEYWORD and not legacy:
            items.append(_parse_or(value, keys, member))
            continue
        if in_or and not legacy and key in RESERVED_KEYWORDS:
            raise EventPatternError(member, f"{key!r} is reserved and cannot name a field inside {OR_KEYWORD}")
        if "." in key:
            raise UnsupportedConstruct(member, "a field name containing '.' collides with nested names in "
                                       "EventBridge, which documents that as not to be relied upon")
        if isinstance(value, JsonObject):
            items.extend(_parse_object(value, (*keys, key), member, in_or=in_or, legacy=legacy))
        elif isinstance(value, list):
            operators = parse_value_list(value, member, legacy=legacy)
            items.append(FieldTest((*keys, key), operators, FieldContext.of(operators)))
        else:
            raise EventPatternError(member, "a field's value must be an object or a list")
    return items


def _parse_or(value: Any, keys: tuple[str, ...], path: str) -> _Or:
    if not isinstance(value, list) or len(value) < 2 or not all(isinstance(item, JsonObject) for item in value):
        raise EventPatternError(path, f"{OR_KEYWORD} takes a list of at least two objects")
    return _Or(tuple(tuple(_parse_object(item, keys, f"{path}[{index}]", in_or=True, legacy=False))
                     for index, item in enumerate(value)))


def _has_or_key(value: Any) -> bool:
    if isinstance(value, JsonObject):
        return any(key == OR_KEYWORD or _has_or_key(child) for key, child in value)
    return isinstance(value, list) and any(_has_or_key(item) for item in value)


def _parse_items(root: JsonObject) -> list[_Item]:
    """The pattern's items; when ``$or`` is misused, EventBridge reads it as a field name."""
    try:
        return _parse_object(root, (), "$", in_or=False, legacy=False)
    except EventPatternError as strict_error:
        if not _has_or_key(root):
            raise
        try:
            return _parse_object(root, (), "$", in_or=False, legacy=True)
        except EventPatternError:
            raise strict_error from None


def _expand(items: Sequence[_Item], partials: list[Alternative]) -> list[Alternative]:
    for item in items:
        if isinstance(item, FieldTest):
            partials = [(*partial, item) for partial in partials]
        else:
            partials = [expanded for branch in item.branches for expanded in _expand(branch, partials)]
        if len(partials) > MAX_ALTERNATIVES:
            raise UnsupportedConstruct("$", f"its {OR_KEYWORD} lists multiply into more than {MAX_ALTERNATIVES} "
                                       "alternatives")
    return partials


def _engine_order(test: FieldTest) -> bytes:
    # The engine sorts field names as Java strings: by UTF-16 code unit.
    return test.name.encode("utf-16-be")


def _alternatives(items: Sequence[_Item]) -> tuple[Alternative, ...]:
    alternatives = []
    for alternative in _expand(items, [()]):
        names = [test.name for test in alternative]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise UnsupportedConstruct("$", f"the field {repeated[0]} is given twice in one alternative "
                                       f"(inside and outside {OR_KEYWORD}); which one EventBridge keeps is "
                                       "undocumented")
        alternatives.append(tuple(sorted(alternative, key=_engine_order)))
    return tuple(alternatives)


# ----------------------------------------------------------------------------------- matching


Membership = frozenset[tuple[int, int]]
"""The array elements a value lies in: (array number, index) pairs."""


class _Flattener:
    """The event as the engine reads it: dotted name -> [(leaf value, membership)]."""

    def __init__(self, wanted: frozenset[str], reachable: frozenset[str]) -> None:
        self.wanted = wanted
        self.reachable = reachable
        self.fields: dict[str, list[tuple[Any, Membership]]] = {}
        self._arrays = 0

    def walk(self, value: Any, name: str | None, membership: Membership) -> None:
        """Record the leaves below ``value``, found at ``name`` (None for the event itself)."""
        if isinstance(value, Mapping):
            for key, child in value.items():
                child_name = str(key) if name is None else f"{name}.{key}"
                if child_name in self.reachable:
                    self.walk(child, child_name, membership)
        elif isinstance(value, (list, tuple)):
            array = self._arrays
            self._arrays += 1
            for index, element in enumerate(value):
                # Only objects and arrays inside an array belong to its element; a leaf is just a value.
                inner = membership | {(array, index)} if isinstance(element, (Mapping, list, tuple)) else membership
                self.walk(element, name, inner)
        elif name in self.wanted:
            self.fields.setdefault(name, []).append((value, membership))


def _consistent(taken: Membership, candidate: Membership) -> bool:
    elements = dict(taken)
    return all(elements.get(array, index) == index for array, index in candidate)


def _alternative_matches(alternative: Alternative, fields: Mapping[str, list[tuple[Any, Membership]]]) -> bool:
    memo: dict[tuple[int, Membership], bool] = {}

    def search(position: int, taken: Membership) -> bool:
        if position == len(alternative):
            return True
        known = memo.get((position, taken))
        if known is not None:
            return known
        test = alternative[position]
        values = [(value, where) for value, where in fields.get(test.name, ()) if _consistent(taken, where)]
        found = (not values and any(isinstance(op, Exists) and not op.present for op in test.operators)
                 and search(position + 1, taken))
        for value, where in values:
            if found:
                break
            if any(leaf_matches(op, value, test.context) for op in test.operators):
                found = search(position + 1, taken | where)
        memo[(position, taken)] = found
        return found

    return search(0, frozenset())


# ----------------------------------------------------------------------------------- the pattern


def _field_hints(test: FieldTest) -> tuple[FieldPath | None, Hints, str | None]:
    hints, gap = Hints(), None
    for op in test.operators:
        op_hints, op_gap = operator_hints(op)
        hints, gap = hints.union(op_hints), gap or op_gap
    field = envelope_field(test.path)
    if isinstance(field, RecordField):
        return field.path, hints, gap
    if isinstance(field, SourceField):
        if hints.infixes:
            gap = gap or "a wildcard with an inner part on source"
        return ("eventSource",), source_hints(hints), gap
    if isinstance(field, DetailTypeField):
        return ("eventType",), detail_type_hints(), gap
    if isinstance(field, (ConstantField, DeliveryIdField)):
        return None, hints, None
    assert_never(field)


_ENVELOPE_HINTS: Mapping[FieldPath, Hints] = {
    ("eventType",): detail_type_hints(),
    ("eventSource",): Hints(suffixes=frozenset({EVENT_SOURCE_SUFFIX}), kinds=frozenset({"absent"})),
}
"""What every match reads to build the envelope: no known eventType or source, no event."""


@dataclass(frozen=True)
class EventPattern:
    """A parsed event pattern; a ``RecordPattern`` over CloudTrail records (see the module doc).

    ``containment_gap`` names a test whose distinctions hints cannot carry (equals-ignore-case,
    a wildcard with ordered inner parts, an IP address test); while it is set, ``hints`` is not complete
    and a containment check through this pattern is undecided (``rule_matcher`` says so).
    """

    text: str
    alternatives: tuple[Alternative, ...]
    containment_gap: str | None
    _field_names: frozenset[str]
    _reachable: frozenset[str]
    _hints: tuple[tuple[FieldPath, Hints], ...]

    def matches_event(self, event: Mapping[str, Any]) -> bool:
        """Does the pattern match this EventBridge event (an envelope, not a record)?"""
        flattener = _Flattener(self._field_names, self._reachable)
        flattener.walk(event, None, frozenset())
        return any(_alternative_matches(alternative, flattener.fields) for alternative in self.alternatives)

    def matches(self, record: Mapping[str, Any]) -> bool:
        """Does the pattern match the event CloudTrail delivers for this record?"""
        envelope = cloudtrail_envelope(record)
        return envelope is not None and self.matches_event(envelope)

    def hints(self) -> Mapping[FieldPath, Hints]:
        return dict(self._hints)


def _build(text: str) -> EventPattern:
    alternatives = _alternatives(_parse_items(_load(text)))
    tests = [test for alternative in alternatives for test in alternative]
    hints: dict[FieldPath, Hints] = dict(_ENVELOPE_HINTS)
    gap = None
    for test in tests:
        if isinstance(envelope_field(test.path), DeliveryIdField):
            raise UnsupportedConstruct(_member("$", "id"), "id is EventBridge's identifier of one delivery, "
                                       "which no CloudTrail record determines")
        path, field_hints, field_gap = _field_hints(test)
        if field_gap is not None and gap is None:
            gap = f"{test.name}: {field_gap}"
        if path is not None:
            hints[path] = hints[path].union(field_hints) if path in hints else field_hints
    names = frozenset(test.name for test in tests)
    reachable = frozenset(".".join(test.path[:length]) for test in tests for length in range(1, len(test.path) + 1))
    return EventPattern(text=text, alternatives=alternatives, containment_gap=gap, _field_names=names,
                        _reachable=reachable, _hints=tuple(sorted(hints.items(), key=lambda item: str(item[0]))))


def parse_event_pattern(text: str) -> EventPattern | Undecided:
    """The pattern ``text`` (ListRules ``EventPattern``), or Undecided naming what trailcheck
    cannot settle. Raises ``EventPatternError`` for a pattern EventBridge would reject."""
    try:
        return _build(text)
    except UnsupportedConstruct as unsupported:
        return Undecided(text, f"{unsupported.path}: {unsupported.reason}")


# ----------------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class RuleMatcher:
    """An EventBridge rule's pattern and ``State``: does the rule fire on this record?"""

    state: RuleState
    pattern: EventPattern

    @property
    def text(self) -> str:
        return self.pattern.text

    def matches(self, record: Mapping[str, Any]) -> bool:
        return rule_receives(self.state, record) and self.pattern.matches(record)

    def hints(self) -> Mapping[FieldPath, Hints]:
        hints = dict(self.pattern.hints())
        for path, state_hints in rule_state_hints(self.state).items():
            hints[path] = hints[path].union(state_hints) if path in hints else state_hints
        return hints


def rule_matcher(state: str, pattern_text: str) -> RuleMatcher | Undecided:
    """The rule with this ``State`` and ``EventPattern``, ready for a containment check; Undecided
    when either cannot be settled exactly. Raises ``EventPatternError`` for a broken pattern."""
    known_state = parse_rule_state(state)
    if known_state is None:
        return Undecided(pattern_text, f"rule State {state!r} is not one trailcheck knows")
    pattern = parse_event_pattern(pattern_text)
    if isinstance(pattern, Undecided):
        return pattern
    if pattern.containment_gap is not None:
        return Undecided(pattern_text, f"{pattern.containment_gap} cannot be compared with witness records")
    return RuleMatcher(known_state, pattern)


@dataclass(frozen=True)
class DeliveredToEventBridge:
    """The records CloudTrail delivers to EventBridge: those with a known envelope.

    An EventBridge rule can only alert on these, so a reference is compared with a rule on its
    delivered records: conjoin the reference with this pattern.
    """

    @property
    def text(self) -> str:
        return "delivered to EventBridge (eventType " + " | ".join(sorted(_ENVELOPE_HINTS[("eventType",)].literals)) \
            + f", eventSource *{EVENT_SOURCE_SUFFIX})"

    def matches(self, record: Mapping[str, Any]) -> bool:
        return cloudtrail_envelope(record) is not None

    def hints(self) -> Mapping[FieldPath, Hints]:
        return dict(_ENVELOPE_HINTS)

