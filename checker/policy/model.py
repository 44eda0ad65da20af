"""A loaded rule: the policy file's data, validated, with its JMESPath compiled.

Rules are data (YAML in ``policies/`` or a user's directory), never Python classes; the
engine interprets them. Everything a rule says is kept here in a typed form.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from jmespath.parser import ParsedResult

from checker.findings import Severity

Scope = Literal["trail", "region", "account", "organization", "event"]
ProbeValue = str | bool
Probe = dict[str, ProbeValue]


@dataclass(frozen=True)
class Expr:
    """A compiled JMESPath expression and its source text (shown in evidence)."""

    source: str
    compiled: ParsedResult = field(compare=False, repr=False)


@dataclass(frozen=True)
class TrailQuantifier:
    """``any_trail`` / ``all_trails``: over the logging trails that reach the unit."""

    where: Expr | None
    logged: tuple[Probe, ...]
    expr: Expr | None


@dataclass(frozen=True)
class Requirement:
    """Exactly one of the fields is set (the schema guarantees it)."""

    expr: Expr | None = None
    logged: tuple[Probe, ...] = ()
    any_trail: TrailQuantifier | None = None
    all_trails: TrailQuantifier | None = None


@dataclass(frozen=True)
class When:
    expr: Expr
    skip_reason: str


@dataclass(frozen=True)
class Rule:
    """One rule. ``source`` is ``file:line`` of its definition, for messages.

    Configuration rules (scopes trail/region/account/organization) use ``require``;
    event rules (scope event) use ``match``, ``expr``, ``logged`` and ``group_by``, kept
    here as validated raw data (``match``) for the event engine to compile.
    """

    id: str
    title: str
    severity: Severity
    scope: Scope
    source: str
    description: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    when: When | None = None
    require: Requirement | None = None
    match: dict[str, Any] = field(default_factory=dict)
    expr: Expr | None = None
    logged: bool | None = None
    group_by: tuple[str, ...] = ()
    messages: dict[str, str] = field(default_factory=dict)
    remediation: str = ""
    frameworks: dict[str, list[str]] = field(default_factory=dict)
    references: tuple[str, ...] = ()
