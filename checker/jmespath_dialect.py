"""trailcheck's JMESPath: the standard language plus ``hours_since``, and syntax-tree queries.

The policy loader checks expressions against this dialect (unknown functions, bare
``true``/``false``/``null``) and the engine evaluates them with it, so the functions a
policy may call are defined once, here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from jmespath import functions

from checker.timefmt import parse_timestamp


class DialectFunctions(functions.Functions):
    """The extra functions of configuration-rule expressions.

    ``now`` is the snapshot's ``collected_at``: ages are measured from when the data was
    collected, not from when the scan runs, so a report can be reproduced.
    """

    def __init__(self, now: datetime | None) -> None:
        super().__init__()
        self._now = now

    @functions.signature({"types": ["string", "number", "null"]})
    def _func_hours_since(self, timestamp: Any) -> float | None:
        """Hours from ``timestamp`` to ``now``; null if either is unknown."""
        moment = parse_timestamp(timestamp)
        if moment is None or self._now is None:
            return None
        return (self._now - moment).total_seconds() / 3600


# What an event rule's ``expr`` may call (records carry no collection time to count from).
STANDARD_FUNCTIONS = frozenset(functions.Functions.FUNCTION_TABLE)
# What a configuration rule's expressions may call.
DIALECT_FUNCTIONS = frozenset(DialectFunctions.FUNCTION_TABLE)


def _nodes_of_type(tree: Any, node_type: str) -> set[str]:
    """The ``value`` of every node of one type in a parsed JMESPath expression."""
    names: set[str] = set()
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("type") == node_type:
                names.add(str(node.get("value")))
            stack.extend(node.get("children", []))
    return names


def nesting_depth(tree: Any) -> int:
    """How deeply the nodes of a parsed JMESPath expression nest (evaluation recurses as deep)."""
    deepest = 0
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in node.get("children", []))
    return deepest


def functions_called(tree: Any) -> set[str]:
    """Names of the functions a parsed JMESPath expression calls."""
    return _nodes_of_type(tree, "function_expression")


def field_names(tree: Any) -> set[str]:
    """Names of the fields a parsed JMESPath expression reads."""
    return _nodes_of_type(tree, "field")
