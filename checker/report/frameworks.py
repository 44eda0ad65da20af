"""The per-framework view (``--framework ID``): control by control, what the audit asks for.

An auditor reads "CIS 3.1: fail", not a list of rule ids. Each rule names the controls it
supports (``frameworks: {framework-id: [control, ...]}``); the view inverts that mapping
and gives each control the worst status of the findings of its rules. Controls come from
the rules, not from the findings, so a control whose rules produced nothing (event rules
without ``--events``) is listed as ``not-evaluated`` instead of silently missing.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from checker.errors import InputError
from checker.findings import STATUSES, Finding, Status, worst_status
from checker.policy.model import Rule

NOT_EVALUATED = "not-evaluated"


def known_frameworks(rules: Iterable[Rule]) -> list[str]:
    """Every framework id some rule maps to, sorted."""
    return sorted({framework for rule in rules for framework in rule.frameworks})


def rules_for_framework(rules: Sequence[Rule], framework_id: str) -> list[Rule]:
    """The rules mapped to ``framework_id``; an id no rule knows is an :class:`InputError`."""
    known = known_frameworks(rules)
    if framework_id not in known:
        raise InputError("--framework", f"unknown framework {framework_id!r}; known: {', '.join(known) or 'none'}")
    return [rule for rule in rules if framework_id in rule.frameworks]


def framework_view(framework_id: str, rules: Iterable[Rule], findings: Iterable[Finding]) -> dict[str, Any]:
    """``{"id", "controls": [{"control", "status", "rules", "counts"}]}``, controls in natural order.

    ``counts`` has every finding status; ``status`` is the worst present (see ``STATUSES``),
    or ``not-evaluated`` when the control's rules produced no finding.
    """
    rules_by_control: dict[str, set[str]] = {}
    for rule in rules:
        for control in rule.frameworks.get(framework_id, ()):
            rules_by_control.setdefault(control, set()).add(rule.id)
    statuses_by_rule: dict[str, list[Status]] = {}
    for finding in findings:
        statuses_by_rule.setdefault(finding.rule_id, []).append(finding.status)
    controls = []
    for control in sorted(rules_by_control, key=natural_key):
        rule_ids = sorted(rules_by_control[control])
        counts = Counter(status for rule_id in rule_ids for status in statuses_by_rule.get(rule_id, ()))
        controls.append({
            "control": control,
            "status": worst_status(counts.elements()) or NOT_EVALUATED,
            "rules": rule_ids,
            "counts": {status: counts[status] for status in STATUSES},
        })
    return {"id": framework_id, "controls": controls}


def natural_key(control: str) -> tuple[tuple[int, int, str], ...]:
    """Sort key comparing digit runs as numbers: 3.2 < 3.10, AU-2 < AU-12, CloudTrail.1 < CloudTrail.10."""
    parts = re.split(r"([0-9]+)", control)  # text at even positions, digit runs at odd ones
    key = tuple((0, int(part), "") if i % 2 else (1, 0, part.casefold()) for i, part in enumerate(parts))
    return (*key, (2, 0, control))
