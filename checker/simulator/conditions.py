"""Selectors compiled to one form: clauses (AND of conditions), OR-ed per trail.

Advanced selectors already have this shape. Basic selectors are translated with the
equivalences of the CloudTrail documentation (REFERENCE §1.4): a basic selector becomes
one management clause and one clause per data resource. Every condition keeps where it
came from (``origin``) so that a decision can name the selector and condition that made it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from checker.model import AdvancedSelector, BasicSelector, DataResource, Selectors
from checker.simulator.classify import View


@dataclass(frozen=True)
class Condition:
    """One field condition with CloudTrail's evaluation rule for a field.

    Deselect operators (Not*) act as an AND of negations: one hit excludes. The select
    operators (Equals, StartsWith, EndsWith) are OR-ed; with none, anything not excluded
    matches. ``never`` marks a condition that matches nothing (e.g. empty ``Values``).
    """

    field: str
    origin: str
    equals: tuple[str, ...] = ()
    starts_with: tuple[str, ...] = ()
    ends_with: tuple[str, ...] = ()
    not_equals: tuple[str, ...] = ()
    not_starts_with: tuple[str, ...] = ()
    not_ends_with: tuple[str, ...] = ()
    never: str | None = None

    @property
    def is_negative(self) -> bool:
        return bool(self.not_equals or self.not_starts_with or self.not_ends_with)

    def literals(self) -> tuple[str, ...]:
        return self.equals + self.not_equals

    def prefixes(self) -> tuple[str, ...]:
        return self.starts_with + self.not_starts_with

    def suffixes(self) -> tuple[str, ...]:
        return self.ends_with + self.not_ends_with

    def failure(self, value: str | None) -> tuple[str, bool] | None:
        """``None`` if ``value`` satisfies the condition, else (why not, by an exclusion?).

        An absent field satisfies neither select nor deselect operators: CloudTrail does
        not document the case, and assuming "not logged" never overstates coverage.
        """
        if self.never is not None:
            return f"{self.origin}: {self.never}", False
        if value is None:
            return f"{self.origin}: the record has no {self.field} (treated as not matching)", False
        for op, values, test in (("NotEquals", self.not_equals, str.__eq__),
                                 ("NotStartsWith", self.not_starts_with, str.startswith),
                                 ("NotEndsWith", self.not_ends_with, str.endswith)):
            for excluded in values:
                if test(value, excluded):
                    return f"{self.origin} {op} {excluded} excludes {self.field}={value}", True
        if not (self.equals or self.starts_with or self.ends_with):
            return None
        if (value in self.equals or any(value.startswith(p) for p in self.starts_with)
                or any(value.endswith(s) for s in self.ends_with)):
            return None
        return f"{self.origin} does not select {self.field}={value} ({self._select_text()})", False

    def _select_text(self) -> str:
        parts = [f"{op} {list(values)}" for op, values in (
            ("Equals", self.equals), ("StartsWith", self.starts_with), ("EndsWith", self.ends_with)) if values]
        return ", ".join(parts)


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
    return (Condition("readOnly", f"{origin}.ReadWriteType={selector.read_write_type}", equals=values),)


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
        Condition("eventCategory", f"{origin} (data resource)", equals=("Data",)),
        Condition("resources.type", f"{origin}.Type", equals=(resource.type,)),
        *_read_write_condition(selector, origin.rsplit(".DataResources", 1)[0]),
    ]
    values = resource.values
    if not values:
        conditions.append(Condition("resources.ARN", f"{origin}.Values", never="Values is empty: logs nothing"))
    elif not set(values) & _all_resources_forms(resource.type, partition):
        if resource.type == "AWS::S3::Object":
            conditions.append(Condition("resources.ARN", f"{origin}.Values", starts_with=values))
        else:
            conditions.append(Condition("resources.ARN", f"{origin}.Values", equals=values))
    return Clause(origin, tuple(conditions))


def _basic_clauses(selector: BasicSelector, index: int, partition: str) -> list[Clause]:
    origin = f"EventSelectors[{index}]"
    management: list[Condition] = []
    if selector.include_management_events:
        management.append(Condition("eventCategory", f"{origin} (management events)", equals=("Management",)))
    else:
        management.append(Condition("eventCategory", f"{origin}.IncludeManagementEvents=false",
                                    never="IncludeManagementEvents is false"))
    management.extend(_read_write_condition(selector, origin))
    if selector.exclude_management_event_sources:
        management.append(Condition("eventSource", f"{origin}.ExcludeManagementEventSources",
                                    not_equals=selector.exclude_management_event_sources))
    clauses = [Clause(origin, tuple(management))]
    for j, resource in enumerate(selector.data_resources):
        clauses.append(_data_resource_clause(resource, selector, f"{origin}.DataResources[{j}]", partition))
    return clauses


def _advanced_clause(selector: AdvancedSelector, index: int) -> Clause:
    label = f"AdvancedEventSelectors[{index}]"
    origin = f'{label} "{selector.name}"' if selector.name else label
    return Clause(origin, tuple(
        Condition(fs.field, f"{label}.FieldSelectors[{k}] ({fs.field})", equals=fs.equals,
                  starts_with=fs.starts_with, ends_with=fs.ends_with, not_equals=fs.not_equals,
                  not_starts_with=fs.not_starts_with, not_ends_with=fs.not_ends_with)
        for k, fs in enumerate(selector.field_selectors)))


@lru_cache(maxsize=4096)
def compile_selectors(selectors: Selectors, partition: str) -> tuple[Clause, ...]:
    """All clauses of a trail; the trail logs a view iff some clause matches it."""
    if selectors.kind == "basic":
        return tuple(c for i, s in enumerate(selectors.basic) for c in _basic_clauses(s, i, partition))
    return tuple(_advanced_clause(s, i) for i, s in enumerate(selectors.advanced))


def partition_of(arn: str) -> str:
    """``aws``, ``aws-cn``, ``aws-us-gov``… from an ARN."""
    match = re.match(r"arn:([^:]+):", arn)
    return match.group(1) if match else "aws"
