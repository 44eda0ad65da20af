"""A snapshot's event selectors -> :class:`checker.model.Selectors`.

One reading of ``EventSelectors`` and ``AdvancedEventSelectors`` for everything that carries
them: a trail (GetEventSelectors) and a CloudTrail Lake event data store (GetEventDataStore,
advanced selectors only). Basic selectors get the AWS defaults where a field is absent.
The documents have been validated against the snapshot schema already.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from checker.model import AdvancedSelector, BasicSelector, DataResource, FieldSelector, Selectors


def parse_selectors(item: Mapping[str, Any]) -> Selectors | None:
    """The selectors of a trail document; ``None`` when it carries neither kind (unknown)."""
    if "AdvancedEventSelectors" in item:
        return Selectors("advanced", advanced=parse_advanced_selectors(item["AdvancedEventSelectors"]))
    if "EventSelectors" in item:
        return Selectors("basic", basic=tuple(
            BasicSelector(
                read_write_type=s.get("ReadWriteType", "All"),
                include_management_events=s.get("IncludeManagementEvents", True),
                data_resources=tuple(DataResource(d["Type"], tuple(d.get("Values", ())))
                                     for d in s.get("DataResources", [])),
                exclude_management_event_sources=tuple(s.get("ExcludeManagementEventSources", ())),
            ) for s in item["EventSelectors"]))
    return None


def parse_advanced_selectors(items: Iterable[Mapping[str, Any]]) -> tuple[AdvancedSelector, ...]:
    """An ``AdvancedEventSelectors`` list."""
    return tuple(
        AdvancedSelector(s.get("Name"), tuple(
            FieldSelector(
                field=f["Field"],
                equals=tuple(f.get("Equals", ())),
                starts_with=tuple(f.get("StartsWith", ())),
                ends_with=tuple(f.get("EndsWith", ())),
                not_equals=tuple(f.get("NotEquals", ())),
                not_starts_with=tuple(f.get("NotStartsWith", ())),
                not_ends_with=tuple(f.get("NotEndsWith", ())),
            ) for f in s["FieldSelectors"]))
        for s in items)
