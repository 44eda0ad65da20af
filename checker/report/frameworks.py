"""The per-framework view (``--framework ID``): control by control, what the audit asks for.

An auditor reads "CIS 3.1: fail", not a list of rule ids. Each rule names the controls it
supports (``frameworks: {framework-id: [control, ...]}``); the view inverts that mapping
and gives each control the worst status of the findings of its rules (the order of
:data:`checker.findings.STATUSES`). Controls come from the rules, not from the findings,
so a control whose rules produced nothing (event rules without ``--events``) is listed
as ``not-evaluated`` instead of silently missing.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypeVar

from checker.errors import InputError
from checker.findings import STATUSES, Finding, Status, worst_status

NotEvaluated = Literal["not-evaluated"]
NOT_EVALUATED: NotEvaluated = "not-evaluated"


class MappedRule(Protocol):
    """Anything that names its framework controls: a loaded policy rule or a report's RuleInfo."""

    @property
    def id(self) -> str: ...

    @property
    def frameworks(self) -> Mapping[str, Sequence[str]]: ...


RuleT = TypeVar("RuleT", bound=MappedRule)


@dataclass(frozen=True)
class ControlStatus:
    """One control: the worst status of its rules' findings, and the count of each status."""

    control: str
    status: Status | NotEvaluated
    rules: tuple[str, ...]
    counts: Mapping[Status, int]

    def to_dict(self) -> dict[str, Any]:
        return {"control": self.control, "status": self.status, "rules": list(self.rules),
                "counts": {status: self.counts.get(status, 0) for status in STATUSES}}


@dataclass(frozen=True)
class FrameworkView:
    """The ``framework`` section of a report: one framework's controls in natural order."""

    id: str
    controls: tuple[ControlStatus, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "controls": [control.to_dict() for control in self.controls]}


def known_frameworks(rules: Iterable[MappedRule]) -> list[str]:
    """Every framework id some rule maps to, sorted."""
    return sorted({framework for rule in rules for framework in rule.frameworks})


def rules_for_framework(rules: Sequence[RuleT], framework_id: str) -> list[RuleT]:
    """The rules mapped to ``framework_id``; an id no rule knows is an :class:`InputError`."""
    known = known_frameworks(rules)
    if framework_id not in known:
        raise InputError("--framework", f"unknown framework {framework_id!r}; known: {', '.join(known) or 'none'}")
    return [rule for rule in rules if framework_id in rule.frameworks]


def framework_view(framework_id: str, rules: Iterable[MappedRule], findings: Iterable[Finding]) -> FrameworkView:
    """Each control of ``framework_id`` with the worst status of its rules' findings, or
    ``not-evaluated`` when those rules produced no finding."""
    rules_by_control: dict[str, set[str]] = {}
    for rule in rules:
        for control in rule.frameworks.get(framework_id, ()):
            rules_by_control.setdefault(control, set()).add(rule.id)
    statuses_by_rule: dict[str, list[Status]] = {}
    for finding in findings:
        statuses_by_rule.setdefault(finding.rule_id, []).append(finding.status)
    controls = []
    for control in sorted(rules_by_control, key=natural_key):
        rule_ids = tuple(sorted(rules_by_control[control]))
        counts = Counter(status for rule_id in rule_ids for status in statuses_by_rule.get(rule_id, ()))
        controls.append(ControlStatus(control=control, status=worst_status(counts.elements()) or NOT_EVALUATED,
                                      rules=rule_ids, counts={status: counts[status] for status in STATUSES}))
    return FrameworkView(id=framework_id, controls=tuple(controls))


def natural_key(control: str) -> tuple[tuple[int, int, str], ...]:
    """Sort key comparing digit runs as numbers: 3.2 < 3.10, AU-2 < AU-12, CloudTrail.1 < CloudTrail.10."""
    parts = re.split(r"([0-9]+)", control)  # text at even positions, digit runs at odd ones
    key = tuple((0, int(part), "") if i % 2 else (1, 0, part.casefold()) for i, part in enumerate(parts))
    return (*key, (2, 0, control))
