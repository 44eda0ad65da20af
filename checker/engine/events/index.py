"""The index that hands each record only to the event rules that could match it.

Most rules pin ``eventName`` or ``eventSource`` to literals; the index files them under
those values, so a record costs one dictionary lookup however many rules there are, and
a rule's predicate runs only on records that already agree on its indexed field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from checker.engine.events.match import RecordPredicate, record_predicate
from checker.policy.model import EventRule

INDEX_FIELDS = ("eventName", "eventSource")
_CACHE_LIMIT = 65536


@dataclass(frozen=True)
class IndexedRule:
    """A rule with its residual predicate (what the index did not already decide).

    ``index_field``/``index_keys`` say how the index dispatches records to it; the
    predicate then only tests the other fields and ``expr``. ``position`` is the rule's
    place in the rule list, where its results are kept.
    """

    rule: EventRule
    position: int
    index_field: str | None
    index_keys: frozenset[str]
    predicate: RecordPredicate


def index_rule(rule: EventRule, position: int = 0) -> IndexedRule:
    """Pick the field the index files ``rule`` under, and compile the rest of it."""
    index_field: str | None = None
    index_keys: frozenset[str] = frozenset()
    for name in INDEX_FIELDS:
        matcher = rule.match.matcher(name)
        keys = matcher.literal_keys() if matcher is not None else None
        if keys is not None:
            index_field, index_keys = name, keys
            break
    return IndexedRule(rule, position, index_field, index_keys, record_predicate(rule, index_field))


class RuleIndex:
    """Dispatches a record to the rules that could match it.

    Rules pinning ``eventName`` to literals are filed under each name, rules pinning only
    ``eventSource`` under each source, the rest in a fallback list. The candidate list
    for an (eventSource, eventName) pair is built once and cached, so a record that no
    rule can match costs one dict lookup however many rules there are.
    """

    def __init__(self, rules: Sequence[IndexedRule]) -> None:
        self.by_field: dict[str, dict[str, list[IndexedRule]]] = {name: {} for name in INDEX_FIELDS}
        self.fallback: tuple[IndexedRule, ...] = tuple(r for r in rules if r.index_field is None)
        for indexed in rules:
            if indexed.index_field is not None:
                for key in indexed.index_keys:
                    self.by_field[indexed.index_field].setdefault(key, []).append(indexed)
        self._cache: dict[tuple[str | None, str | None], tuple[IndexedRule, ...]] = {}

    def candidates(self, record: Mapping[str, Any]) -> tuple[IndexedRule, ...]:
        source, name = record.get("eventSource"), record.get("eventName")
        key = (source if type(source) is str else None, name if type(name) is str else None)
        found = self._cache.get(key)
        if found is None:
            found = self._lookup(*key)
            if len(self._cache) < _CACHE_LIMIT:
                self._cache[key] = found
        return found

    def _lookup(self, source: str | None, name: str | None) -> tuple[IndexedRule, ...]:
        by_name = self.by_field["eventName"].get(name, []) if name is not None else []
        by_source = self.by_field["eventSource"].get(source, []) if source is not None else []
        picked = [*by_name, *by_source, *self.fallback]
        return tuple(sorted(picked, key=lambda r: r.position))
