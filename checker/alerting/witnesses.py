"""Witness values: for each record field two patterns read, a finite list of values that stands
for every value the field can take (docs/semantics.md, "Monitoring chains").

A pattern tells a field's values apart only by what its hints mention, so, for the union of
the hints of the patterns compared:

* strings: every literal, and ``P + f + I… + f + S`` for every mentioned prefix ``P`` (or
  none), suffix ``S`` (or none) and set of infixes ``I`` (``*Event*`` values), where the
  filler ``f`` is a character that no mentioned value contains — chosen from the values,
  never from a fixed alphabet a crafted value could contain. Any string equal to no literal
  behaves like the witness of its longest prefix, longest suffix and contained infixes;
* the field absent, JSON null, ``true``, ``false``, and an object (for a field with other
  mentioned fields below it: an object or array whose fields below get witnesses of their
  own, so that records stay consistent);
* numbers: every threshold, one number between neighbouring thresholds, one below and one
  above (or ``0`` when none is mentioned);
* when a filter compares the field with numbers, each string combination once more with a
  digit ``d`` that no mentioned value contains (``P + f + I… + f + d + f + S``): a string that
  looks like a number is unsettled for numeric terms (see ``checker.alerting.filter_pattern``)
  whatever its value, and ``d`` changes nothing else about the string.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from checker.alerting.filter_pattern import ABSENT, Leaf, numeric_looking, path_text
from checker.alerting.interface import FieldPath, Hints, RecordPattern

_FILLER_START = 0xE000  # the Unicode private use area: characters no CloudTrail value uses


class WitnessLimitError(Exception):
    """More witnesses than the budget allows (the containment question is then undecided)."""


@dataclass(frozen=True)
class Witness:
    """One value of a field. ``shown`` is how evidence writes it (``*`` stands for any
    other text); a ``container`` is an object or array whose mentioned fields below get
    witnesses of their own."""

    value: Leaf
    shown: str
    container: bool = False

    def describe(self, path: FieldPath) -> str:
        """``eventName=DisableKey``, ``errorCode=AccessDenied*``, ``userIdentity.invokedBy absent``."""
        if self.value is ABSENT:
            return f"{path_text(path)} absent"
        return f"{path_text(path)}={self.shown}"


def union_hints(patterns: Iterable[RecordPattern]) -> dict[FieldPath, Hints]:
    """Every field the patterns read, with the union of what they distinguish there."""
    found: dict[FieldPath, Hints] = {}
    for pattern in patterns:
        for path, hints in pattern.hints().items():
            found[path] = found.get(path, Hints()).union(hints)
    return found


def _plain(text: str) -> str:
    """A string as evidence shows it: bare when it cannot be mistaken for anything else."""
    try:
        json.loads(text)
    except ValueError:
        if text and all(ch.isalnum() or ch in "_.:/@+=-" for ch in text):
            return text
    return json.dumps(text, ensure_ascii=False)


def _unused(values: Iterable[str], start: int, wanted: Callable[[str], bool]) -> str:
    used = {ch for value in values for ch in value}
    code = start
    while chr(code) in used or not wanted(chr(code)):
        code += 1
    return chr(code)


def filler(values: Iterable[str]) -> str:
    """A character that none of ``values`` contains, no digit."""
    return _unused(values, _FILLER_START, lambda ch: not numeric_looking(ch))


def string_witnesses(hints: Hints, limit: int, numeric_variants: bool = False) -> list[Witness]:
    """Every literal, and one string per (prefix, infix set, suffix) combination; with
    ``numeric_variants``, each combination also with a digit no mentioned value contains."""
    literals = sorted(hints.literals)
    prefixes = ["", *sorted(hints.prefixes - {""})]
    suffixes = ["", *sorted(hints.suffixes - {""})]
    infixes = sorted(hints.infixes - {""})
    variants = [False, True] if numeric_variants else [False]
    count = len(literals) + len(prefixes) * len(suffixes) * 2 ** min(len(infixes), 62) * len(variants)
    if count > limit:
        raise WitnessLimitError(f"{count} string values to try")
    mentioned = [*literals, *prefixes, *suffixes, *infixes]
    fill = filler(mentioned)
    digit = _unused(mentioned, ord("0"), str.isdigit)
    found = [Witness(value, _plain(value)) for value in literals]
    seen = set(literals)
    for size in range(len(infixes) + 1):
        for middle in itertools.combinations(infixes, size):
            for prefix, suffix, numeric in itertools.product(prefixes, suffixes, variants):
                parts = [prefix, *middle, *([digit] if numeric else []), suffix]
                value = fill.join(parts)
                if value not in seen:
                    seen.add(value)
                    shown = "*".join(part if part == digit else _plain(part) if part else "" for part in parts)
                    found.append(Witness(value, shown))
    return found


def _number(value: float) -> Witness:
    if value.is_integer() and abs(value) < 1e15:
        return Witness(int(value), str(int(value)))
    return Witness(value, repr(value))


def number_witnesses(thresholds: Iterable[float]) -> list[Witness]:
    """Each threshold, a number between neighbours, one below and one above."""
    points = sorted(set(thresholds))
    if not points:
        return [_number(0.0)]
    values = [math.nextafter(points[0], -math.inf) if points[0] - 1 == points[0] else points[0] - 1]
    for low, high in itertools.pairwise(points):
        values.append(low)
        middle = low / 2 + high / 2
        if low < middle < high:
            values.append(middle)
    values.append(points[-1])
    values.append(math.nextafter(points[-1], math.inf) if points[-1] + 1 == points[-1] else points[-1] + 1)
    return [_number(v) for v in values]


def field_witnesses(path: FieldPath, hints: Hints, *, property_children: bool, index_children: bool,
                    numeric_strings: bool, limit: int) -> list[Witness]:
    """The witnesses of ``path`` (see the module doc). ``property_children`` /
    ``index_children``: other compared fields lie below it through a property or an index.
    ``numeric_strings``: a filter compares the field with numbers. Raises
    :class:`WitnessLimitError` when the list would exceed ``limit``."""
    found = string_witnesses(hints, limit, numeric_variants=numeric_strings)
    found += [Witness(ABSENT, "absent"), Witness(None, "null"), Witness(True, "true"), Witness(False, "false")]
    if property_children:
        found.append(Witness({}, "{…}", container=True))
    if index_children:
        found.append(Witness([], "[…]", container=True))
    if not (property_children or index_children):
        found.append(Witness({}, "{}"))
    found += number_witnesses(hints.numbers)
    if len(found) > limit:
        raise WitnessLimitError(f"{len(found)} values to try for {path_text(path)}")
    return found


def compatible(first: FieldPath, first_witness: Witness, second: FieldPath, second_witness: Witness) -> bool:
    """Can one record hold both witnesses? No when one field must be an object and an array
    at once, a scalar with fields below it, or absent while a field below it (or a later
    element of its array) is present."""
    first_present = first_witness.value is not ABSENT
    second_present = second_witness.value is not ABSENT
    if not (first_present or second_present):
        return True
    if not first_present:
        return not _requires(second, first)
    if not second_present:
        return not _requires(first, second)
    common = 0
    while common < min(len(first), len(second)) and first[common] == second[common]:
        common += 1
    if common == len(first) == len(second):
        return True
    if common == len(first):
        return _holds(first_witness, second[common])
    if common == len(second):
        return _holds(second_witness, first[common])
    return isinstance(first[common], int) == isinstance(second[common], int)


def _requires(present: FieldPath, absent: FieldPath) -> bool:
    """Does a value at ``present`` need ``absent`` to exist (as an ancestor, or as an earlier
    element of the same array)?"""
    if len(absent) < len(present) and present[:len(absent)] == absent:
        return True
    if not absent or not isinstance(absent[-1], int) or len(present) < len(absent):
        return False
    head = absent[:-1]
    later = present[len(head)]
    return present[:len(head)] == head and isinstance(later, int) and later > absent[-1]


def _holds(ancestor: Witness, step: str | int) -> bool:
    """Can a field below ``ancestor``, reached through ``step``, be present?"""
    return ancestor.container and isinstance(ancestor.value, list) == isinstance(step, int)


def build_record(assignment: Mapping[FieldPath, Witness]) -> dict[str, object]:
    """A record holding each witness at its path (absent ones left out); array elements before
    a placed index are ``null``. The witnesses must be pairwise :func:`compatible`."""
    record: dict[str, object] = {}
    for path in sorted(assignment, key=len):
        witness = assignment[path]
        if witness.value is not ABSENT:
            _place(record, path, copy.deepcopy(witness.value))
    return record


def _place(record: dict[str, object], path: FieldPath, value: object) -> None:
    node: object = record
    for position, step in enumerate(path):
        last = position == len(path) - 1
        following: object = value if last else ([] if isinstance(path[position + 1], int) else {})
        if isinstance(step, int):
            assert isinstance(node, list), "compatible witnesses put arrays where indexes lead"
            node.extend([None] * (step + 1 - len(node)))
            if last or not isinstance(node[step], dict | list):
                node[step] = following
            node = node[step]
        else:
            assert isinstance(node, dict), "compatible witnesses put objects where properties lead"
            if last or not isinstance(node.get(step), dict | list):
                node[step] = following
            node = node[step]
