"""Validating a document against one of trailcheck's schemas, and saying what is wrong.

Every loader (snapshot, policy, waiver and findings files) reports a schema violation the
same way: the single most relevant error (jsonschema's ``best_match``), at its JSON path,
in a message a user can act on. YAML loaders also get the path as a list, to find the line.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

from checker.schemas import load_schema

MAX_MESSAGE = 200


@dataclass(frozen=True)
class SchemaViolation:
    """Where a document breaks its schema (``path`` and ``json_path``) and how (``message``)."""

    path: tuple[str | int, ...]
    json_path: str
    message: str

    def __str__(self) -> str:
        return f"{self.json_path}: {self.message}"


def schema_violation(schema_name: str, data: Any) -> SchemaViolation | None:
    """The most relevant violation of schema ``schema_name`` by ``data``; ``None`` if valid."""
    error = best_match(_errors(schema_name, data))
    if error is None:
        return None
    return SchemaViolation(tuple(error.absolute_path), error.json_path, _message(error))


def schema_violations(schema_name: str, data: Any) -> list[SchemaViolation]:
    """Every independent violation (each made as specific as ``best_match`` makes it), for
    loaders that report all the mistakes of a file at once."""
    found: list[SchemaViolation] = []
    for error in _errors(schema_name, data):
        specific = best_match([error]) or error
        found.append(SchemaViolation(tuple(specific.absolute_path), specific.json_path, _message(specific)))
    return found


def _errors(schema_name: str, data: Any) -> Iterator[ValidationError]:
    """The schema's errors, then NaN and Infinity: Python's JSON and YAML readers accept
    them, and JSON Schema's ``number`` lets them pass."""
    yield from _validator(schema_name).iter_errors(data)
    yield from non_finite_numbers(data, ())


def non_finite_numbers(value: Any, path: tuple[str | int, ...]) -> Iterator[ValidationError]:
    """Each NaN or Infinity in ``value``, as a violation at its path (the fast check asks too)."""
    if isinstance(value, float) and not math.isfinite(value):
        yield ValidationError(f"{value} is not a JSON number", validator="type", path=path, instance=value)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from non_finite_numbers(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from non_finite_numbers(item, (*path, index))


@cache
def _validator(schema_name: str) -> jsonschema.protocols.Validator:
    schema = load_schema(schema_name)
    return jsonschema.validators.validator_for(schema)(schema)


def _message(error: ValidationError) -> str:
    """jsonschema's message, made actionable for the mistakes people make by hand."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    message = error.message
    if error.validator == "pattern" and "description" in schema:
        message = f"{error.instance!r} does not have the expected form: {schema['description']}"
    elif error.validator == "type" and schema.get("type") == "string" and not isinstance(error.instance, str):
        message += " (quote the value)"
    elif error.validator == "not" and error.validator_value == {}:
        message = str(schema.get("description", "not allowed here"))
    return message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE - 3] + "..."
