"""JMESPath conditions over trail and scope documents, three-valued.

An expression is true, false, or undecidable: it reads data that was not collected
(``Status``, selectors, ``InsightSelectors``), or it evaluates to ``null``. Undecidable
becomes an ``error`` finding with the reason, never a pass or a fail.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

import jmespath

from checker.jmespath_dialect import DialectFunctions, field_names
from checker.model import Trail
from checker.policy.model import Expr


@dataclass(frozen=True)
class Outcome:
    """``value`` is True/False, or None with ``reason`` saying why it is undecidable.

    ``values`` holds what the expression read (dotted path -> value): the evidence.
    """

    value: bool | None
    reason: str
    values: dict[str, Any] = field(default_factory=dict)


def _chain(node: Any) -> str | None:
    """``a.b.c`` for a pure chain of field lookups, else None."""
    if node.get("type") == "field":
        return str(node["value"])
    if node.get("type") == "subexpression":
        parts = [_chain(child) for child in node.get("children", [])]
        if all(parts):
            return ".".join(p for p in parts if p)
    return None


@cache
def paths_read(expr_source: str) -> tuple[str, ...]:
    """The dotted paths an expression reads (outside projections), for the evidence."""
    found: list[str] = []
    stack: list[Any] = [jmespath.compile(expr_source).parsed]
    while stack:
        node = stack.pop()
        if not isinstance(node, dict) or node.get("type") in ("projection", "filter_projection", "flatten"):
            continue
        path = _chain(node)
        if path is not None:
            if path not in found and not path.startswith("params"):
                found.append(path)
            continue
        stack.extend(node.get("children", []))
    return tuple(sorted(found))


# Document keys whose absence means "not collected" rather than "not set".
_COLLECTED_KEYS = {
    "Status": "the trail status (GetTrailStatus) was not collected",
    "EventSelectors": "the event selectors (GetEventSelectors) were not collected",
    "AdvancedEventSelectors": "the event selectors (GetEventSelectors) were not collected",
    "InsightSelectors": "the Insights selectors (GetInsightSelectors) were not collected",
}


@cache
def fields_read(expr_source: str) -> frozenset[str]:
    """Every field name the expression mentions (from its syntax tree)."""
    return frozenset(field_names(jmespath.compile(expr_source).parsed))


def missing_data(trail: Trail, expr: Expr) -> str | None:
    """Why ``expr`` cannot be decided on ``trail``, if it reads data that was not collected."""
    unknown = {"Status": trail.status is None, "EventSelectors": trail.selectors is None,
               "AdvancedEventSelectors": trail.selectors is None, "InsightSelectors": trail.insight_types is None}
    for name in sorted(fields_read(expr.source)):
        if unknown.get(name):
            return _COLLECTED_KEYS[name]
    return None


def trail_document(trail: Trail, params: Mapping[str, Any]) -> dict[str, Any]:
    return {**trail.document, "params": dict(params)}


def evaluate(expr: Expr, document: Mapping[str, Any], now: datetime | None,
             trail: Trail | None = None) -> Outcome:
    """Evaluate a boolean condition; see the module docstring for the three values."""
    if trail is not None:
        missing = missing_data(trail, expr)
        if missing:
            return Outcome(None, f"cannot evaluate `{expr.source}`: {missing}")
    options = jmespath.Options(custom_functions=DialectFunctions(now))
    values = {path: jmespath.search(path, document) for path in paths_read(expr.source)}
    shown = ", ".join(f"{k}={json.dumps(v)}" for k, v in values.items() if not isinstance(v, (dict, list)))
    read = f"{shown}: " if shown else ""
    try:
        result = expr.compiled.search(document, options=options)
    except jmespath.exceptions.JMESPathError as exc:
        return Outcome(None, f"cannot evaluate `{expr.source}`: {exc}", values)
    if isinstance(result, bool):
        return Outcome(result, f"{read}`{expr.source}` is {str(result).lower()}", values)
    if result is None:
        return Outcome(None, f"{read}`{expr.source}` is null: a value it reads is missing", values)
    return Outcome(None, f"`{expr.source}` gave {result!r}, not a boolean", values)
