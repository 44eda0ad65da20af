"""A yes/no check of one schema definition, fast enough for every finding of a large report.

jsonschema takes some 200 µs per finding of a findings report (its keyword dispatch and
reference resolution), 40 s for the 180,000 findings of a 1,000-account organization,
which every nightly ``--baseline`` reads. :func:`definition_check` turns one definition of
a schema (``$defs/finding``) into a plain function that says whether an instance is valid,
for the keywords that definition uses; jsonschema still says *what* is wrong
(:func:`checker.schemas.validation.schema_violation`), for the one instance the check
refuses. The schema file stays the one statement of the format.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from checker.schemas import load_schema

Check = Callable[[Any], bool]

_IGNORED = frozenset({"description", "title", "$comment"})
_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "null": lambda v: v is None,
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
}


def _nothing(_: Any) -> bool:
    """``false`` as a schema: no instance is valid."""
    return False


class UnsupportedKeyword(ValueError):
    """The definition uses a keyword this check does not implement (use jsonschema then)."""


@cache
def definition_check(schema_name: str, definition: str) -> Check:
    """Whether an instance is valid against ``$defs/<definition>`` of schema ``schema_name``."""
    defs: Mapping[str, Any] = load_schema(schema_name)["$defs"]
    return _compile(defs[definition], defs)


def _compile(node: Mapping[str, Any], defs: Mapping[str, Any]) -> Check:
    checks = tuple(_keyword(keyword, value, node, defs) for keyword, value in node.items() if keyword not in _IGNORED)
    if len(checks) == 1:
        return checks[0]

    def every(value: Any) -> bool:
        return all(check(value) for check in checks)
    return every


def _keyword(keyword: str, value: Any, node: Mapping[str, Any], defs: Mapping[str, Any]) -> Check:
    if keyword == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
        return _compile(defs[value.removeprefix("#/$defs/")], defs)
    if keyword == "type":
        kinds = tuple(_TYPES[kind] for kind in ([value] if isinstance(value, str) else value))
        return kinds[0] if len(kinds) == 1 else lambda v: any(kind(v) for kind in kinds)
    if keyword == "enum":
        return lambda v: any(type(v) is type(allowed) and v == allowed for allowed in value)
    if keyword == "pattern":
        pattern = re.compile(value)
        return lambda v: not isinstance(v, str) or pattern.search(v) is not None
    if keyword == "minimum":
        return lambda v: not _TYPES["number"](v) or v >= value
    if keyword == "required":
        required = tuple(value)
        return lambda v: not isinstance(v, dict) or all(key in v for key in required)
    if keyword == "properties":
        properties = {key: _compile(sub, defs) for key, sub in value.items()}

        def each_property(v: Any) -> bool:
            if isinstance(v, dict):
                for key, item in v.items():
                    check = properties.get(key)
                    if check is not None and not check(item):
                        return False
            return True
        return each_property
    if keyword == "additionalProperties":
        known = frozenset(node.get("properties", {}))
        extra: Check = _nothing if value is False else _compile(value, defs)
        return lambda v: not isinstance(v, dict) or all(extra(item) for key, item in v.items() if key not in known)
    if keyword == "items":
        item_check = _compile(value, defs)
        return lambda v: not isinstance(v, list) or all(item_check(item) for item in v)
    raise UnsupportedKeyword(f"{keyword} is not implemented by the fast check")
