"""Dotted field paths read from CloudTrail records, compiled once into getters.

A path that crosses a JSON array (``resources.type``) yields every element's value, as
a :class:`Many`; matchers hold when they hold for one of them, and groups show them all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

Getter = Callable[[Mapping[str, Any]], Any]


class Many(tuple[Any, ...]):
    """The values found along a path that crossed a JSON array (one per element)."""

    __slots__ = ()


def _gather(node: Any, parts: Sequence[str]) -> list[Any]:
    """Every value at ``parts`` below ``node``, fanning out over arrays."""
    if isinstance(node, list):
        return [v for item in node for v in _gather(item, parts)]
    if not parts:
        return [node]
    if isinstance(node, Mapping):
        return _gather(node.get(parts[0]), parts[1:])
    return [None]


def _resolve(node: Any, parts: Sequence[str]) -> Any:
    """The value at ``parts`` (``None`` if absent), or :class:`Many` after an array."""
    for index, part in enumerate(parts):
        if isinstance(node, Mapping):
            node = node.get(part)
        elif isinstance(node, list):
            return Many(_gather(node, parts[index:]))
        else:
            return None
    return Many(node) if isinstance(node, list) else node


def compile_path(path: str) -> Getter:
    """A getter for a dotted path; top-level and two-level paths get a fast closure."""
    parts = tuple(path.split("."))
    if len(parts) == 1:
        (key,) = parts

        def get_top(record: Mapping[str, Any]) -> Any:
            value = record.get(key)
            return Many(value) if type(value) is list else value

        return get_top
    if len(parts) == 2:
        outer, inner = parts

        def get_nested(record: Mapping[str, Any]) -> Any:
            parent = record.get(outer)
            if type(parent) is dict:
                value = parent.get(inner)
                return Many(value) if type(value) is list else value
            return _resolve(parent, parts[1:]) if parent is not None else None

        return get_nested
    return lambda record: _resolve(record, parts)
