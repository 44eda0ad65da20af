"""Monitoring patterns in the wild (tests/data/monitoring-in-the-wild), judged as a scan does.

Each entry of the collection is a metric filter pattern or an EventBridge event pattern that a
public project deploys, or that a compliance scanner uses as a fixture or reference, for one
control. :func:`judge_entry` puts the pattern into the healthiest chain there is (a logging
multi-Region trail, its log group, the filter with the CIS alarm and a confirmed SNS subscriber;
or an ``ENABLED`` rule on the default bus with that topic as target), runs the control's built-in
``monitor-*`` rule over it, and names the outcome:

* ``covers``: the rule passes, the pattern matches every event of the control;
* ``overbroad``: it passes, and the pattern also matches a routine read call;
* ``fails``: the rule fails; ``detail`` lists the events the pattern misses;
* ``undecided``: the rule gives ``error``; ``detail`` says why (a construct trailcheck does not
  evaluate, a question the documentation leaves open);
* ``invalid``: the pattern cannot be read at all (a filter the parser stops on, an event
  pattern EventBridge would reject); the rule gives ``error`` too.

Only permissively licensed entries are used (:data:`PERMISSIVE_LICENCES`); the collection keeps
the others, with their licence, as data.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

from checker.alerting.eventbridge import EventPatternError, rule_matcher
from checker.alerting.filter_parse import parse_lenient
from checker.alerting.interface import Undecided
from checker.engine.config import ConfigEvaluator
from checker.inputs.snapshot import parse_snapshot
from checker.policy.loader import apply_params, builtin_policy_dir, load_policies
from checker.policy.model import Rule
from tests.helpers.data import data_file
from tests.helpers.monitoring import alarm, event_rule, metric_filter, region_data, topic, with_monitoring
from tests.helpers.snapshots import MANAGEMENT, account, snapshot, trail

WILD = "monitoring-in-the-wild"
ENTRY_COUNT = 360

PERMISSIVE_LICENCES = frozenset({
    "0BSD", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "CC0-1.0", "ISC", "MIT", "MIT-0", "MPL-2.0", "Unlicense"})
"""SPDX ids whose terms let the tests copy and redistribute the strings with their source named.
Left out: copyleft beyond one file (GPL-3.0-or-later), share-alike prose (CC-BY-SA-4.0),
source-available (Elastic-2.0) and ``NOASSERTION`` (no licence, or text from an issue thread)."""

RULE_OF_CONTROL: Mapping[str, str] = {
    "unauthorized-api-calls": "monitor-unauthorized-api-calls",
    "console-login-without-mfa": "monitor-console-signin-without-mfa",
    "root-account-usage": "monitor-root-usage",
    "iam-policy-changes": "monitor-iam-policy-changes",
    "cloudtrail-tampering": "monitor-cloudtrail-changes",
    "console-auth-failures": "monitor-console-auth-failures",
    "kms-key-disable-or-deletion": "monitor-kms-key-disable-or-deletion",
    "s3-bucket-policy-changes": "monitor-s3-bucket-policy-changes",
    "config-changes": "monitor-config-changes",
    "security-group-changes": "monitor-security-group-changes",
    "nacl-changes": "monitor-nacl-changes",
    "network-gateway-changes": "monitor-network-gateway-changes",
    "route-table-changes": "monitor-route-table-changes",
    "vpc-changes": "monitor-vpc-changes",
    "organizations-changes": "monitor-organizations-changes",
    "ssm-session-activity": "ssm-session-notifications",
}
"""The built-in rule judging each control of the collection (its README has the CIS numbers)."""

Kind = Literal["metric-filter", "eventbridge"]
Outcome = Literal["covers", "overbroad", "fails", "undecided", "invalid"]
PeerLabel = Literal["compliant", "non-compliant"]
REGION = "us-east-1"


@dataclass(frozen=True)
class WildEntry:
    """One entry of ``patterns.json`` (its README describes the fields)."""

    id: str
    control: str
    kind: Kind
    pattern: str
    source_repo: str
    path: str
    commit: str | None
    license: str
    peer_label: PeerLabel | None
    note: str

    @property
    def permissive(self) -> bool:
        return self.license in PERMISSIVE_LICENCES


@dataclass(frozen=True)
class WildVerdict:
    """What trailcheck says of one entry: the outcome, and the missed events (``fails``), the
    benign record matched (``overbroad``) or the reason (``undecided``, ``invalid``)."""

    outcome: Outcome
    detail: tuple[str, ...] = ()

    @property
    def alerts(self) -> bool | None:
        """Would this pattern alert on every event of the control? ``None``: trailcheck cannot
        tell (an ``invalid`` pattern alerts on nothing: CloudWatch Logs or EventBridge would not
        take it, or it cannot match)."""
        return {"covers": True, "overbroad": True, "fails": False, "invalid": False}.get(self.outcome)


def agrees(entry: WildEntry, verdict: WildVerdict) -> bool | None:
    """Does trailcheck's verdict agree with the peer's label (``compliant``: the pattern alerts)?
    ``None`` for an unlabelled entry; an undecided verdict agrees with no label."""
    if entry.peer_label is None:
        return None
    return verdict.alerts is (entry.peer_label == "compliant")


@cache
def wild_entries() -> tuple[WildEntry, ...]:
    """Every entry, in file order; asserts the collection is whole."""
    items = json.loads(data_file(WILD, "patterns.json").read_text(encoding="utf-8"))
    assert len(items) == ENTRY_COUNT, f"{WILD}/patterns.json: expected {ENTRY_COUNT} entries, found {len(items)}"
    return tuple(WildEntry(**item) for item in items)


def permissive_entries() -> tuple[WildEntry, ...]:
    """The entries the tests may use: permissively licensed ones."""
    return tuple(entry for entry in wild_entries() if entry.permissive)


@cache
def _builtin_rules() -> dict[str, Rule]:
    rules, _ = load_policies([builtin_policy_dir() / "monitoring.yaml"])
    return {rule.id: rule for rule in rules}


def _rule(entry: WildEntry) -> Rule:
    """The control's rule, counting only the entry's alert path."""
    rule_id = RULE_OF_CONTROL[entry.control]
    (rule,) = apply_params([_builtin_rules()[rule_id]], [f"{rule_id}.via={entry.kind}"])
    return rule


def _estate(entry: WildEntry) -> dict[str, Any]:
    """One account, a healthy multi-Region trail, and the entry's pattern in a healthy chain."""
    if entry.kind == "metric-filter":
        monitored = region_data([metric_filter("wild", entry.pattern)], [alarm("wild")], [topic()], [])
    else:
        monitored = region_data([], [], [topic()], [event_rule("wild", entry.pattern)])
    return snapshot(with_monitoring(account(MANAGEMENT, trail(), regions=(REGION,)), us_east_1=monitored))


def _unreadable(entry: WildEntry) -> WildVerdict | None:
    """``invalid`` or ``undecided`` when the pattern itself cannot be evaluated."""
    if entry.kind == "metric-filter":
        parsed = parse_lenient(entry.pattern)
        if isinstance(parsed, Undecided):
            invalid = parsed.reason.startswith("cannot read")
            return WildVerdict("invalid" if invalid else "undecided", (parsed.reason,))
        return None
    try:
        matcher = rule_matcher("ENABLED", entry.pattern)
    except EventPatternError as error:
        return WildVerdict("invalid", (str(error),))
    return WildVerdict("undecided", (matcher.reason,)) if isinstance(matcher, Undecided) else None


def judge_entry(entry: WildEntry) -> WildVerdict:
    """Run the control's rule over the entry's pattern in a healthy chain (see the module doc)."""
    estate = parse_snapshot(_estate(entry), f"{entry.id}.json")
    (finding,) = ConfigEvaluator(estate).evaluate([_rule(entry)])
    unreadable = _unreadable(entry)
    if unreadable is not None:
        assert finding.status == "error", f"{entry.id}: {unreadable.outcome} pattern, yet {finding.status}"
        return unreadable
    if finding.status == "pass":
        benign = tuple(item["matches"] for item in finding.evidence.get("overbroad", ()))
        return WildVerdict("overbroad", benign) if benign else WildVerdict("covers")
    if finding.status == "fail":
        missed = [record for group in finding.evidence["not_alerted"] for record in group["records"]]
        more = any(group.get("more") for group in finding.evidence["not_alerted"])
        return WildVerdict("fails", (*missed, *(("and more",) if more else ())))
    assert finding.status == "error", f"{entry.id}: unexpected status {finding.status}"
    return WildVerdict("undecided", (finding.message,))
