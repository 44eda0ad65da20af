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

ASKED_ONLY: frozenset[DataFamily] = frozenset({"event-data-stores"})
"""The families a collection reads only when ``--with`` asks, whatever rules need them: CloudTrail
Lake is closed to new customers, and listing its stores costs a call per account and Region."""


MISSING_FAMILY: dict[DataFamily, str] = {
    "monitoring": "the snapshot carries no monitoring data (metric filters, alarms, SNS topics, EventBridge "
                  "rules); collect it with 'trailcheck collect', which reads what the monitoring rules need, or "
                  "add a 'monitoring' object per account (docs/snapshot.md)",
    "storage": "the snapshot carries no storage data (buckets, KMS keys, log groups); collect it with 'trailcheck "
               "collect', which reads what the storage rules need, or add 'buckets', 'kms_keys' and 'log_groups' "
               "to the accounts (docs/snapshot.md)",
    "event-data-stores": "the snapshot carries no event data stores; collect them with 'trailcheck collect --with "
                         "event-data-stores' (CloudTrail Lake), or add 'event_data_stores' to the accounts "
                         "(docs/snapshot.md)",
}
"""Why a rule whose family the snapshot does not carry is skipped, and how to collect it: the
findings' reason and the scan's note say the same."""


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
    """The families a collection for ``rules`` reads: the trails, what the rules need (but
    :data:`ASKED_ONLY`), and ``asked``."""
    return frozenset({"trails", *asked, *({family_of(rule) for rule in rules} - ASKED_ONLY)})


def parse_families(items: Sequence[str], option: str = "--with") -> tuple[DataFamily, ...]:
    """``--with monitoring,...``: known family names, in ``contents`` order."""
    for item in items:
        if item not in FAMILIES:
            raise InputError(option, f"unknown data family {item!r}; choose from {', '.join(FAMILIES)}")
    return tuple(family for family in FAMILIES if family in items)
