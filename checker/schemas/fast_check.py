"""Yes/no checks compiled from trailcheck's schemas, fast enough for the largest documents.

jsonschema takes some 200 µs per finding of a findings report (its keyword dispatch and
reference resolution), 40 s for the 180,000 findings of a 1,000-account organization,
which every nightly ``--baseline`` reads, and 0.4 s for the snapshot of such an
organization, in a scan that must finish in seconds. :func:`definition_check` (one
definition, ``$defs/finding``) and :func:`schema_check` (a whole schema) turn a schema into
a plain function that says whether an instance is valid; jsonschema still says *what* is
wrong (:func:`checker.schemas.validation.schema_violation`), for the instance a check
refuses. The schema file stays the one statement of the format.

A check is sound for "yes": it never accepts an instance jsonschema refuses. It may refuse
one jsonschema accepts (``uniqueItems`` over anything but strings), which costs only
jsonschema's time. ``not`` needs the exact answer of its subschema, so it takes only
subschemas whose check is exact. Instances are JSON values (``dict``, ``list``, ``str``,
``int``, ``float``, ``bool``, ``None``), as trailcheck's readers produce them; the
semantics are those of the validator :mod:`checker.schemas.validation` builds: Draft
2020-12, without a format checker (``format`` is an annotation).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sized
from functools import cache
from typing import Any, NamedTuple

from checker.schemas import load_schema
from checker.schemas.validation import non_finite_numbers

Check = Callable[[Any], bool]

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"

_ANNOTATIONS = frozenset({"description", "title", "$comment", "format", "$defs"})
"""Keywords that assert nothing: ``format`` is an annotation unless a format checker is
given (validation.py gives none); ``$defs`` holds subschemas used only through ``$ref``."""

_TYPES: dict[str, Check] = {
    "string": lambda v: isinstance(v, str),
    "null": lambda v: v is None,
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
}


class UnsupportedKeyword(ValueError):
    """The schema uses a keyword (or a form of one) this check does not implement (use jsonschema then)."""


class _Compiled(NamedTuple):
    """A check, and whether it is exact: says "no" only where jsonschema refuses too."""

    check: Check
    exact: bool


def _anything(_: Any) -> bool:
    """``true`` as a schema: every instance is valid."""
    return True


def _nothing(_: Any) -> bool:
    """``false`` as a schema: no instance is valid."""
    return False


@cache
def schema_check(schema_name: str) -> Check:
    """Whether a document is valid as :func:`~checker.schemas.validation.schema_violation`
    judges it: against the whole schema ``schema_name``, then with no NaN or Infinity
    (validation's own walk, which runs after jsonschema there)."""
    valid_against_schema = compile_schema(load_schema(schema_name))

    def valid(data: Any) -> bool:
        return valid_against_schema(data) and next(non_finite_numbers(data, ()), None) is None
    return valid


@cache
def definition_check(schema_name: str, definition: str) -> Check:
    """Whether an instance is valid against ``$defs/<definition>`` of schema ``schema_name``."""
    return _Compiler(load_schema(schema_name)).reference(f"#/$defs/{definition}").check


def compile_schema(schema: Mapping[str, Any]) -> Check:
    """Whether an instance is valid against ``schema`` (NaN and Infinity are numbers here,
    as for jsonschema); raises :class:`UnsupportedKeyword` for what is not implemented."""
    return _Compiler(schema).root().check


def _json_equal(one: Any, two: Any) -> bool:
    """Equality of JSON values as jsonschema judges it for ``enum`` and ``const``: ``1`` is
    ``1.0`` but ``true`` is not ``1``, arrays and objects compare member by member."""
    if one is two:
        return True
    if isinstance(one, bool) or isinstance(two, bool):
        return False
    if isinstance(one, list) and isinstance(two, list):
        return len(one) == len(two) and all(map(_json_equal, one, two))
    if isinstance(one, dict) and isinstance(two, dict):
        return one.keys() == two.keys() and all(_json_equal(item, two[key]) for key, item in one.items())
    if isinstance(one, (list, dict)) or isinstance(two, (list, dict)):
        return False
    return bool(one == two)


def _every(checks: tuple[Check, ...]) -> Check:
    if not checks:
        return _anything
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda v: first(v) and second(v)
    return lambda v: all(check(v) for check in checks)


def _count_at_least(kind: type[Sized], least: int) -> Check:
    return lambda v: not isinstance(v, kind) or len(v) >= least


def _count_at_most(kind: type[Sized], most: int) -> Check:
    return lambda v: not isinstance(v, kind) or len(v) <= most


def _unique_strings(v: Any) -> bool:
    """``uniqueItems``, answered for arrays of strings only (other arrays: "no", to jsonschema)."""
    return not isinstance(v, list) or (all(isinstance(item, str) for item in v) and len(set(v)) == len(v))


class _Compiler:
    """Compiles the subschemas of one schema document, which its ``$ref`` s point into."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self.resolving: list[str] = []

    def root(self) -> _Compiled:
        """The document itself: the only place ``$schema`` and ``$id`` may be."""
        dialect = self.document.get("$schema", DRAFT_2020_12)
        if dialect != DRAFT_2020_12:
            raise UnsupportedKeyword(f"$schema {dialect}: only Draft 2020-12 is implemented")
        return self.subschema({k: v for k, v in self.document.items() if k not in ("$schema", "$id")})

    def reference(self, ref: str) -> _Compiled:
        """A ``$ref`` to a JSON pointer into the document (``#/$defs/account/properties/buckets``)."""
        if not (ref == "#" or ref.startswith("#/")) or "%" in ref:
            raise UnsupportedKeyword(f"$ref {ref}: only JSON pointers within the schema are implemented")
        if ref in self.resolving:
            raise UnsupportedKeyword(f"$ref {ref} is recursive")
        node: Any = self.document
        for token in ref[2:].split("/") if ref != "#" else ():
            name = token.replace("~1", "/").replace("~0", "~")
            node = node[int(name)] if isinstance(node, list) else node[name]
        self.resolving.append(ref)
        try:
            return self.root() if node is self.document else self.subschema(node)
        finally:
            self.resolving.pop()

    def subschema(self, node: Any) -> _Compiled:
        if isinstance(node, bool):
            return _Compiled(_anything if node else _nothing, True)
        if not isinstance(node, Mapping):
            raise UnsupportedKeyword(f"{node!r} is not a schema")
        parts = [self.keyword(keyword, value, node) for keyword, value in node.items()
                 if keyword not in _ANNOTATIONS and not (keyword == "additionalProperties" and "properties" in node)]
        return _Compiled(_every(tuple(part.check for part in parts)), all(part.exact for part in parts))

    def keyword(self, keyword: str, value: Any, node: Mapping[str, Any]) -> _Compiled:
        """One keyword's check; a check passes instances of the types its keyword does not constrain."""
        if keyword == "$ref" and isinstance(value, str):
            return self.reference(value)
        if keyword == "type":
            names = [value] if isinstance(value, str) else value
            if not all(name in _TYPES for name in names):
                raise UnsupportedKeyword(f"type {value!r}")
            kinds = tuple(_TYPES[name] for name in names)
            return _Compiled(kinds[0] if len(kinds) == 1 else lambda v: any(kind(v) for kind in kinds), True)
        if keyword == "enum":
            if all(isinstance(allowed, str) for allowed in value):
                strings = frozenset(value)
                return _Compiled(lambda v: isinstance(v, str) and v in strings, True)
            return _Compiled(lambda v: any(_json_equal(v, allowed) for allowed in value), True)
        if keyword == "const":
            return _Compiled(lambda v: _json_equal(v, value), True)
        if keyword == "pattern":
            pattern = re.compile(value)
            return _Compiled(lambda v: not isinstance(v, str) or pattern.search(v) is not None, True)
        if keyword == "minimum":
            is_number = _TYPES["number"]
            return _Compiled(lambda v: not is_number(v) or not v < value, True)
        if keyword == "minLength":
            return _Compiled(_count_at_least(str, value), True)
        if keyword == "maxLength":
            return _Compiled(_count_at_most(str, value), True)
        if keyword == "minItems":
            return _Compiled(_count_at_least(list, value), True)
        if keyword == "maxItems":
            return _Compiled(_count_at_most(list, value), True)
        if keyword == "minProperties":
            return _Compiled(_count_at_least(dict, value), True)
        if keyword == "uniqueItems":
            return _Compiled(_unique_strings, False) if value else _Compiled(_anything, True)
        if keyword == "required":
            required = tuple(value)
            return _Compiled(lambda v: not isinstance(v, dict) or all(key in v for key in required), True)
        if keyword in ("properties", "additionalProperties"):
            return self.members(node)
        if keyword == "propertyNames":
            names_check, exact = self.subschema(value)
            return _Compiled(lambda v: not isinstance(v, dict) or all(names_check(key) for key in v), exact)
        if keyword == "items" and not isinstance(value, list):
            item_check, exact = self.subschema(value)
            return _Compiled(lambda v: not isinstance(v, list) or all(item_check(item) for item in v), exact)
        if keyword == "anyOf" and isinstance(value, list) and value:
            branches = tuple(self.subschema(branch) for branch in value)
            checks = tuple(branch.check for branch in branches)
            return _Compiled(lambda v: any(check(v) for check in checks), all(branch.exact for branch in branches))
        if keyword == "not":
            negated, exact = self.subschema(value)
            if not exact:
                raise UnsupportedKeyword(f"not {value!r}: its check may refuse what jsonschema accepts")
            return _Compiled(lambda v: not negated(v), True)
        raise UnsupportedKeyword(f"{keyword} is not implemented by the fast check")

    def members(self, node: Mapping[str, Any]) -> _Compiled:
        """``properties`` and ``additionalProperties`` together: one pass over an object's members."""
        properties = {key: self.subschema(sub) for key, sub in node.get("properties", {}).items()}
        extra = self.subschema(node.get("additionalProperties", True))
        checks = {key: compiled.check for key, compiled in properties.items()}
        extra_check = None if extra.check is _anything else extra.check

        def each_member(v: Any) -> bool:
            if isinstance(v, dict):
                for key, item in v.items():
                    check = checks.get(key, extra_check)
                    if check is not None and not check(item):
                        return False
            return True
        return _Compiled(each_member, extra.exact and all(compiled.exact for compiled in properties.values()))
