"""An event rule's findings, rendered from its merged tally.

One ``fail`` per group of matching records; for ``logged`` rules also an ``error`` per
group the simulator could not decide or whose account the snapshot lacks, and a ``pass``
per (account, region) whose records all came out the way the rule wants. A rule that saw
nothing gets one ``pass`` with the number of records examined, or an ``error`` when no
record was read at all: no evidence is not compliance.
"""

from __future__ import annotations

from typing import Any

from checker import limits
from checker.engine.events.groups import Group
from checker.engine.events.tally import RuleTally
from checker.findings import Finding, Status
from checker.model import Snapshot
from checker.policy.model import EventRule
from checker.recorders import recorded_by


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


class RuleFindings:
    """The findings of one rule from its merged tally."""

    def __init__(self, rule: EventRule, tally: RuleTally, records: int, snapshot: Snapshot | None) -> None:
        self.rule = rule
        self.tally = tally
        self.records = records
        self.snapshot = snapshot

    def finding(self, status: Status, message: str, evidence: dict[str, Any], account_id: str | None = None,
                region: str | None = None, resource: str | None = None) -> Finding:
        custom = self.rule.message(status, account_id, region, resource)
        return Finding(rule_id=self.rule.id, severity=self.rule.severity, status=status, account_id=account_id,
                       region=region, resource=resource, message=message if custom is None else custom,
                       evidence=evidence)

    def group_finding(self, status: Status, group: Group, message: str) -> Finding:
        return self.finding(status, message, group.evidence(), group.account_id, group.region, group.resource())

    def all(self) -> list[Finding]:
        if self.rule.logged is not None and self.snapshot is None:
            return [self.finding("skipped", "Needs a snapshot (--snapshot) to tell which events the trails "
                                            "would record", {"records_examined": self.records})]
        found = self.hit_findings()
        if self.rule.logged is not None:
            found.extend(self.logged_findings())
        if self.tally.expr_errors:
            found.append(self.finding("error", f"`expr` failed on {_plural(self.tally.expr_errors, 'record')}: "
                                               f"{self.tally.expr_error}",
                                      {"records_examined": self.records, "expr_errors": self.tally.expr_errors}))
        elif not found and self.records == 0:
            # No evidence is not compliance: every input was empty, unreadable or skipped.
            found.append(self.finding("error", "No records were read from the event inputs: nothing to judge "
                                               "(see inputs.events for what was skipped and why)",
                                      {"records_examined": 0}))
        elif not found:
            found.append(self.finding("pass", f"No matching event among {_plural(self.records, 'record')} examined",
                                      {"records_examined": self.records}))
        return found

    def hit_findings(self) -> list[Finding]:
        """One ``fail`` per group, the largest groups first past the cap, and one ``fail``
        that sums up the rest: a flood of distinct principals cannot flood the report."""
        groups = list(self.tally.hits.values())
        cap = limits.EVENT_GROUPS_PER_RULE.value()
        if len(groups) <= cap:
            return [self.group_finding("fail", g, self.hit_message(g)) for g in groups]
        groups.sort(key=lambda g: (-g.count, g.account_id or "", g.region or "", g.resource() or ""))
        kept, rest = groups[:cap], groups[cap:]
        found = [self.group_finding("fail", g, self.hit_message(g)) for g in kept]
        events = sum(g.count for g in rest)
        over = limits.EVENT_GROUPS_PER_RULE.exceeded("the rule's number of groups")
        found.append(self.finding(
            "fail", f"{_plural(len(rest), 'more group')} ({_plural(events, 'event')}) not listed: {over}",
            {"groups_not_listed": len(rest), "events_not_listed": events, "limit": cap},
            resource="(groups past the limit)"))
        return found

    def hit_message(self, group: Group) -> str:
        if self.rule.logged is not None:
            verb = (f"would be recorded by a {self._recorder}" if self.rule.logged
                    else f"would not be recorded by any {self._recorder}")
            return f"{_plural(group.count, 'event')} {verb} of the snapshot"
        if group.first_time == group.last_time:
            return f"{_plural(group.count, 'matching event')} at {group.first_time or 'an unknown time'}"
        return f"{_plural(group.count, 'matching event')} between {group.first_time} and {group.last_time}"

    @property
    def _recorder(self) -> str:
        """What records, in the messages: trails, and event data stores when the rule's
        ``recorded_by`` counts them."""
        return "trail or event data store" if "event-data-stores" in recorded_by(self.rule.params) else "trail"

    @property
    def _recorders(self) -> str:
        return "trails or event data stores" if "event-data-stores" in recorded_by(self.rule.params) else "trails"

    def logged_findings(self) -> list[Finding]:
        found = [self.group_finding("error", g, f"Account {g.account_id or '(none named)'} is not in the snapshot: "
                                                f"cannot tell whether its {_plural(g.count, 'event')} would be "
                                                f"recorded") for g in self.tally.foreign.values()]
        found.extend(self.group_finding("error", g, f"Cannot tell whether {_plural(g.count, 'event')} would be "
                                                    f"recorded: {g.reason()}")
                     for g in self.tally.unknown.values())
        flagged = {(g.account_id, g.region) for g in (*self.tally.hits.values(), *self.tally.unknown.values())}
        outcome = "recorded" if self.rule.logged is False else "not recorded"
        for (account_id, region), count in sorted(self.tally.settled.items(), key=lambda item: str(item[0])):
            if (account_id, region) not in flagged:
                found.append(self.finding("pass", f"Every sampled event ({count}) would be {outcome} "
                                                  f"by the snapshot's {self._recorders}",
                                          {"records_examined": count}, account_id, region))
        return found
