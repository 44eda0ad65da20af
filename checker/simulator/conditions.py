"""Selectors compiled to one form: clauses (AND of conditions), OR-ed per trail.

Advanced selectors already have this shape. Basic selectors are translated with the
equivalences of the CloudTrail documentation (docs/semantics.md): a basic selector becomes
one management clause and one clause per data resource. Every condition keeps where it
came from (``origin``) so that a decision can name the selector and condition that made it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from checker.model import AdvancedSelector, BasicSelector, DataResource, FieldSelector, Selectors
from checker.simulator.classify import View

Relation = Literal["equals", "prefix", "suffix"]
"""How an operator compares a value with one of its operands."""

Operands = tuple[tuple[str, Relation, tuple[str, ...]], ...]
"""(operator name, relation, operand values) for each operator of one kind."""


def relates(value: str, relation: Relation, operand: str) -> bool:
    """``value`` equals, starts with or ends with ``operand``."""
    if relation == "equals":
        return value == operand
    if relation == "prefix":
        return value.startswith(operand)
    return value.endswith(operand)


def select_operands(selector: FieldSelector) -> Operands:
    """The select operators (OR-ed: one hit selects; none at all selects everything)."""
    return (("Equals", "equals", selector.equals), ("StartsWith", "prefix", selector.starts_with),
            ("EndsWith", "suffix", selector.ends_with))


def deselect_operands(selector: FieldSelector) -> Operands:
    """The deselect operators (an AND of negations: one hit excludes)."""
    return (("NotEquals", "equals", selector.not_equals), ("NotStartsWith", "prefix", selector.not_starts_with),
            ("NotEndsWith", "suffix", selector.not_ends_with))


@dataclass(frozen=True)
class Condition:
    """One field selector, with where it came from, under CloudTrail's rule for a field.

    Deselect operators (Not*) act as an AND of negations: one hit excludes. The select
    operators (Equals, StartsWith, EndsWith) are OR-ed; with none, anything not excluded
    matches. ``never`` marks a condition that matches nothing (e.g. empty ``Values``).
    """

    selector: FieldSelector
    origin: str
    never: str | None = None

    @property
    def field(self) -> str:
        return self.selector.field

    def literals(self) -> tuple[str, ...]:
        return self.selector.equals + self.selector.not_equals

    def prefixes(self) -> tuple[str, ...]:
        return self.selector.starts_with + self.selector.not_starts_with

    def suffixes(self) -> tuple[str, ...]:
        return self.selector.ends_with + self.selector.not_ends_with

    def failure(self, value: str | None) -> tuple[str, bool] | None:
        """``None`` if ``value`` satisfies the condition, else (why not, by an exclusion?).

        An absent field satisfies neither select nor deselect operators: CloudTrail does
        not document the case, and assuming "not logged" never overstates coverage.
        """
        if self.never is not None:
            return f"{self.origin}: {self.never}", False
        if value is None:
            return f"{self.origin}: the record has no {self.field} (treated as not matching)", False
        for op, relation, excluded_values in deselect_operands(self.selector):
            for excluded in excluded_values:
                if relates(value, relation, excluded):
                    return f"{self.origin} {op} {excluded} excludes {self.field}={value}", True
        selected = select_operands(self.selector)
        if not any(values for _, _, values in selected):
            return None
        if any(relates(value, relation, operand) for _, relation, values in selected for operand in values):
            return None
        return f"{self.origin} does not select {self.field}={value} ({self._select_text()})", False

    def _select_text(self) -> str:
        return ", ".join(f"{op} {list(values)}" for op, _, values in select_operands(self.selector) if values)


@dataclass(frozen=True)
class Clause:
    """An AND of conditions; ``origin`` names the selector (and data resource) it encodes."""

    origin: str
    conditions: tuple[Condition, ...]

    def failure(self, view: View) -> tuple[str, bool] | None:
        """``None`` if the view matches, else the first failing condition's reason."""
        for condition in self.conditions:
            failed = condition.failure(view.get(condition.field))
            if failed is not None:
                return failed
        return None


_READ_WRITE_EQUALS = {"ReadOnly": ("true",), "WriteOnly": ("false",)}


def _read_write_condition(selector: BasicSelector, origin: str) -> tuple[Condition, ...]:
    values = _READ_WRITE_EQUALS.get(selector.read_write_type)
    if values is None:  # All
        return ()
    return (Condition(FieldSelector("readOnly", equals=values), f"{origin}.ReadWriteType={selector.read_write_type}"),)


def _all_resources_forms(resource_type: str, partition: str) -> frozenset[str]:
    """The values that mean "every resource of this type" in a basic selector."""
    service = {"AWS::S3::Object": "s3", "AWS::Lambda::Function": "lambda",
               "AWS::DynamoDB::Table": "dynamodb"}.get(resource_type)
    if service is None:
        return frozenset()
    forms = {f"arn:{partition}:{service}"}
    if service == "s3":
        forms.add(f"arn:{partition}:s3:::")
    return frozenset(forms)


def _data_resource_clause(resource: DataResource, selector: BasicSelector, origin: str,
                          partition: str) -> Clause:
    """``DataResources[j]``: S3 values are ARN prefixes, Lambda and DynamoDB values exact.

    The "all" spellings (``arn:aws:s3``, ``arn:aws:s3:::``, ``arn:aws:lambda``,
    ``arn:aws:dynamodb``) put no condition on the ARN; empty ``Values`` logs nothing.
    """
    conditions = [
        Condition(FieldSelector("eventCategory", equals=("Data",)), f"{origin} (data resource)"),
        Condition(FieldSelector("resources.type", equals=(resource.type,)), f"{origin}.Type"),
        *_read_write_condition(selector, origin.rsplit(".DataResources", 1)[0]),
    ]
    values = resource.values
    if not values:
        conditions.append(Condition(FieldSelector("resources.ARN"), f"{origin}.Values",
                                    never="Values is empty: logs nothing"))
    elif not set(values) & _all_resources_forms(resource.type, partition):
        if resource.type == "AWS::S3::Object":
            conditions.append(Condition(FieldSelector("resources.ARN", starts_with=values), f"{origin}.Values"))
        else:
            conditions.append(Condition(FieldSelector("resources.ARN", equals=values), f"{origin}.Values"))
    return Clause(origin, tuple(conditions))


def _basic_clauses(selector: BasicSelector, index: int, partition: str) -> list[Clause]:
    origin = f"EventSelectors[{index}]"
    management: list[Condition] = []
    if selector.include_management_events:
        management.append(Condition(FieldSelector("eventCategory", equals=("Management",)),
                                    f"{origin} (management events)"))
    else:
        management.append(Condition(FieldSelector("eventCategory"), f"{origin}.IncludeManagementEvents=false",
                                    never="IncludeManagementEvents is false"))
    management.extend(_read_write_condition(selector, origin))
    if selector.exclude_management_event_sources:
        management.append(Condition(FieldSelector("eventSource", not_equals=selector.exclude_management_event_sources),
                                    f"{origin}.ExcludeManagementEventSources"))
    clauses = [Clause(origin, tuple(management))]
    for j, resource in enumerate(selector.data_resources):
        clauses.append(_data_resource_clause(resource, selector, f"{origin}.DataResources[{j}]", partition))
    return clauses


def _advanced_clause(selector: AdvancedSelector, index: int) -> Clause:
    label = f"AdvancedEventSelectors[{index}]"
    origin = f'{label} "{selector.name}"' if selector.name else label
    return Clause(origin, tuple(Condition(fs, f"{label}.FieldSelectors[{k}] ({fs.field})")
                                for k, fs in enumerate(selector.field_selectors)))


@lru_cache(maxsize=4096)
def compile_selectors(selectors: Selectors, partition: str) -> tuple[Clause, ...]:
    """All clauses of a trail; the trail logs a view iff some clause matches it."""
    if selectors.kind == "basic":
        return tuple(c for i, s in enumerate(selectors.basic) for c in _basic_clauses(s, i, partition))
    return tuple(_advanced_clause(s, i) for i, s in enumerate(selectors.advanced))
