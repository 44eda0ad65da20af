"""Evidence stated once: the ``shared`` table of a findings document.

At organization scale most evidence repeats. The organization trail's decision on a KMS probe
in one Region is the same for every account it alone reaches; a pass decided by that trail has
the same evidence in 17,000 account-Regions. ``findings.json`` states each such object once, in
a ``shared`` list written before the findings, and puts a reference in its place:

    {"$shared": 12}   stands for   shared[12]

The rules a reader needs (docs/reports.md says the same):

- inside a finding's ``evidence``, at any depth, an object whose only member is ``$shared``
  with an integer value is a reference; a ``shared`` entry is an object taken as it is, and its
  members may be references too;
- references never form a cycle.

An evidence object that happens to have that very shape (a sampled record is user data) is
always written as a reference to an entry holding it, so a reader never mistakes it.

What is shared is decided by content, never by which Python objects happen to be the same:
the report's bytes do not depend on how the engine shared its results, or on which process
judged which unit. An object is shared when it occurs at least twice (counted once per
evidence it is, and once per distinct object it is in) and its JSON is longer than a
reference by enough to pay for the entry. Entries are in the order their second occurrence
is met, findings in report order.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from checker.errors import InputError

SHARED = "$shared"
MIN_SHARED_LENGTH = 40
"""Shortest JSON text of an object worth an entry: a reference is about 16 characters."""


def is_reference(value: Mapping[str, Any]) -> bool:
    """Whether an evidence object has the shape of a reference: ``$shared`` alone."""
    return len(value) == 1 and SHARED in value


class SharedEvidence:
    """The shared objects of a sequence of evidence objects, and each evidence with references.

    Objects are compared by content, exactly, by hash-consing: each distinct content gets a
    number, and an object's key is its member names with its children's numbers (strings as
    they are, other scalars with their type, since ``1``, ``1.0`` and ``true`` are equal in
    Python but not in JSON; arrays inline), so no key is longer than its object is wide.
    Occurrences are counted by content too: each evidence once, and each object once per
    distinct object it is in. So the table depends on the report's content alone, not on which
    Python objects the engine shared, nor on which process judged which unit.

    The findings stay alive while a report is written, so what is known of an object is cached
    by identity (an object the engine shared, a probe result cited by many findings, is looked
    at once); the cache holds the objects it is keyed by, so no ``id`` is reused while it stands.
    """

    def __init__(self, evidences: Iterable[Mapping[str, Any]]) -> None:
        self._known: dict[int, tuple[Any, int]] = {}
        self._numbers: dict[tuple[Any, ...], int] = {}
        self._sizes: list[int] = []
        self._counts: list[int] = []
        self._index: dict[int, int] = {}
        self._originals: list[Mapping[str, Any]] = []
        self._texts: dict[int, tuple[Mapping[str, Any], str]] = {}
        for evidence in evidences:
            if evidence:
                self._occurs(self._number(evidence), evidence)
        self._numbers.clear()
        self.table: list[dict[str, Any]] = [self._members(original) for original in self._originals]

    def substituted(self, evidence: Mapping[str, Any]) -> Any:
        """``evidence`` with its shared objects (itself included) replaced by references."""
        return self._substituted(evidence)

    def text(self, evidence: Mapping[str, Any], encode: Callable[[Any], str]) -> str:
        """:meth:`substituted` as JSON by ``encode``, once per evidence object (half the
        findings of an organization share their evidence object with another)."""
        known = self._texts.get(id(evidence))
        if known is None:
            known = self._texts[id(evidence)] = (evidence, encode(self._substituted(evidence)))
        return known[1]

    def _occurs(self, number: int, value: Mapping[str, Any]) -> None:
        """One more occurrence of the content ``number``: shared from its second (at once for
        an object shaped like a reference), when its JSON is long enough to pay."""
        seen = self._counts[number]
        self._counts[number] = seen + 1
        if number not in self._index and ((seen == 1 and self._sizes[number] >= MIN_SHARED_LENGTH)
                                          or is_reference(value)):
            self._index[number] = len(self._originals)
            self._originals.append(value)

    def _number(self, value: Mapping[str, Any]) -> int:
        """The number of an object's content; its children are counted when the content is new."""
        known = self._known.get(id(value))
        if known is not None:
            return known[1]
        parts: list[Any] = []
        children: list[tuple[int, Mapping[str, Any]]] = []
        size = 2
        for name, item in value.items():
            parts.append(name)
            size += len(name) + 4 + self._part(item, parts, children)
        key = tuple(parts)
        number = self._numbers.get(key)
        if number is None:
            number = self._numbers[key] = len(self._sizes)
            self._sizes.append(size)
            self._counts.append(0)
            for child, child_value in children:
                self._occurs(child, child_value)
        self._known[id(value)] = (value, number)
        return number

    def _part(self, item: Any, parts: list[Any], children: list[tuple[int, Mapping[str, Any]]]) -> int:
        """Append ``item``'s tokens to ``parts`` (an array's items between two markers, an
        object's number with a marker); return about how long its JSON is."""
        kind = type(item)
        if kind is str:
            parts.append(item)
            return len(item) + 2
        if kind is dict:
            if not item:
                parts.append(_EMPTY)
                return 2
            number = self._number(item)
            children.append((number, item))
            parts += (_OBJECT, number)
            return self._sizes[number]
        if kind is list:
            parts.append(_ARRAY)
            size = 2
            for element in item:
                size += self._part(element, parts, children) + 1
            parts.append(_END)
            return size
        parts.append((kind, item))
        return 6

    def _members(self, value: Mapping[str, Any]) -> dict[str, Any]:
        return {key: self._substituted(item) for key, item in value.items()}

    def _substituted(self, value: Any) -> Any:
        kind = type(value)
        if kind is dict:
            known = self._known.get(id(value))
            index = self._index.get(known[1]) if known is not None else None
            return {SHARED: index} if index is not None else self._members(value)
        if kind is list:
            return [self._substituted(item) for item in value]
        return value


_OBJECT, _ARRAY, _END, _EMPTY = object(), object(), object(), object()
"""Markers in a content key: an object's number follows; an array's items follow, up to the
end marker; an empty object."""


def resolver(table: Sequence[Any], where: str) -> Callable[[Any], Any]:
    """A function that puts the entries of ``table`` in place of references. Each entry is
    resolved once and the result shared by every finding that cites it (memory stays that of
    the file). A reference out of range, not an integer, or in a cycle is an
    :class:`InputError` naming ``where`` (the report file)."""
    resolved: dict[int, Any] = {}
    pending: set[int] = set()

    def entry(index: Any) -> Any:
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(table):
            raise InputError(f"{where}: $.shared", f"a reference names no entry: {json.dumps(index)}")
        if index in resolved:
            return resolved[index]
        if index in pending:
            raise InputError(f"{where}: $.shared[{index}]", "references form a cycle")
        body = table[index]
        if not isinstance(body, dict):
            raise InputError(f"{where}: $.shared[{index}]", "an entry is not an object")
        pending.add(index)
        value = resolved[index] = {key: resolve(item) for key, item in body.items()}
        pending.discard(index)
        return value

    def resolve(value: Any) -> Any:
        if isinstance(value, dict):
            if is_reference(value):
                return entry(value[SHARED])
            return {key: resolve(item) for key, item in value.items()}
        if isinstance(value, list):
            return [resolve(item) for item in value]
        return value

    return resolve
