"""What the rules in effect ask of a snapshot: its data families, and each monitoring rule's question.

A configuration rule reads the trails; an ``alerted`` rule also reads the monitoring family
(metric filters, alarms, SNS topics, EventBridge rules). A collection reads the families the
rules need plus those asked for with ``--with``; a scan skips a rule whose family the
snapshot does not carry.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from checker.alerting.chain_model import ALERT_PATHS
from checker.alerting.chains import AlertQuestion
from checker.errors import InputError
from checker.model import DataFamily
from checker.policy.model import AlertedRequirement, ConfigRule, Rule, StorageRequirement

FAMILIES: tuple[DataFamily, ...] = ("trails", "monitoring", "storage", "event-data-stores")
"""Every data family, in the order a snapshot's ``contents`` lists them."""

COLLECTED_FAMILIES: frozenset[DataFamily] = frozenset({"trails", "monitoring"})
"""The families a live collection can read."""


def alert_question(rule: Rule) -> AlertQuestion | None:
    """What an ``alerted`` rule asks of each unit (its pattern, probes, ``via`` and
    ``multi_region`` parameters); ``None`` for any other rule."""
    if not isinstance(rule, ConfigRule) or not isinstance(rule.require, AlertedRequirement):
        return None
    requirement = rule.require
    return AlertQuestion(requirement.pattern, requirement.recorded, requirement.recorded_pattern,
                         tuple(path for path in ALERT_PATHS if path in rule.params["via"]),
                         bool(rule.params["multi_region"]))


def family_of(rule: Rule) -> DataFamily:
    """The data family a rule reads beyond the trails (``trails`` when none): ``monitoring`` for
    an ``alerted`` rule, ``storage`` or ``event-data-stores`` for a ``storage`` check."""
    if isinstance(rule, ConfigRule) and isinstance(rule.require, StorageRequirement):
        return rule.require.family
    return "monitoring" if alert_question(rule) is not None else "trails"


def families_needed(rules: Iterable[Rule], asked: Iterable[DataFamily] = ()) -> frozenset[DataFamily]:
    """The families a collection for ``rules`` reads: the trails, what the rules need, and ``asked``."""
    return frozenset({"trails", *asked, *(family_of(rule) for rule in rules)})


def parse_families(items: Sequence[str], option: str = "--with") -> tuple[DataFamily, ...]:
    """``--with monitoring,...``: known family names a collection can read, in ``contents`` order."""
    for item in items:
        if item not in FAMILIES:
            raise InputError(option, f"unknown data family {item!r}; choose from {', '.join(FAMILIES)}")
        if item not in COLLECTED_FAMILIES:
            raise InputError(option, f"this version of trailcheck does not collect {item!r} "
                                     f"(it collects {', '.join(sorted(COLLECTED_FAMILIES))})")
    return tuple(family for family in FAMILIES if family in items)
