"""Runs records through the compiled event rules and turns the aggregates into findings.

:class:`EventEvaluator` is built once per process from the rules (and the snapshot, for
rules with ``logged``); :meth:`EventEvaluator.feed` adds records to an :class:`EventTally`,
a plain picklable aggregate that parallel workers return and the parent merges in
source order; :meth:`EventEvaluator.findings` renders the merged tally (SPEC §8, §9).

Rules with ``logged`` (``unlogged-events``) ask the selector simulator about every record
they match: records the snapshot's trails would not record (``logged: false``) are
``fail`` groups; an (account, region) whose records all come out the other way gets one
``pass``; a record of an account the snapshot does not have, or whose verdict is unknown
for lack of data, is an ``error`` group. Without a snapshot such rules are ``skipped``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from checker.engine.event_groups import Group, Grouper, GroupKey, merge_groups, record_identity
from checker.engine.event_match import CompiledRule, ExprFailure, RuleIndex, compile_rule
from checker.findings import Finding, Status
from checker.model import Snapshot
from checker.policy.model import Rule
from checker.simulator import RecordVerdict, record_verdict

Identity = tuple[str | None, str | None]


@dataclass
class RuleTally:
    """What one rule saw. ``hits`` are its fail groups; the rest serve ``logged`` rules."""

    hits: dict[GroupKey, Group] = field(default_factory=dict)
    unknown: dict[GroupKey, Group] = field(default_factory=dict)
    foreign: dict[GroupKey, Group] = field(default_factory=dict)
    settled: dict[Identity, int] = field(default_factory=dict)
    expr_errors: int = 0
    expr_error: str | None = None

    def merge(self, other: RuleTally) -> None:
        merge_groups(self.hits, other.hits)
        merge_groups(self.unknown, other.unknown)
        merge_groups(self.foreign, other.foreign)
        for unit, count in other.settled.items():
            self.settled[unit] = self.settled.get(unit, 0) + count
        self.expr_errors += other.expr_errors
        self.expr_error = self.expr_error or other.expr_error


@dataclass
class EventTally:
    """Partial result over some records: mergeable, picklable, no records kept."""

    records: int = 0
    rules: list[RuleTally] = field(default_factory=list)

    def merge(self, other: EventTally) -> None:
        """Fold in the tally of records that came after this one's in source order."""
        self.records += other.records
        for mine, theirs in zip(self.rules, other.rules, strict=True):
            mine.merge(theirs)


def check_event_rules(rules: Sequence[Rule]) -> None:
    """Compile every event rule once, raising the :class:`InputError` of the first bad one.

    For ``trailcheck validate`` and for loading: a bad regex or operator is reported
    before any record is read.
    """
    for position, rule in enumerate(rules):
        if rule.scope == "event":
            compile_rule(rule, position)


class EventEvaluator:
    """The event rules of one run, compiled once, and what to do with their matches."""

    def __init__(self, rules: Sequence[Rule], snapshot: Snapshot | None) -> None:
        self.rules = [r for r in rules if r.scope == "event"]
        self.snapshot = snapshot
        runnable = [compile_rule(rule, position) for position, rule in enumerate(self.rules)
                    if rule.logged is None or snapshot is not None]
        self.index = RuleIndex(runnable)
        self.groupers = [Grouper(rule.group_by) for rule in self.rules]

    def new_tally(self) -> EventTally:
        return EventTally(0, [RuleTally() for _ in self.rules])

    def feed(self, records: Iterable[Mapping[str, Any]], tally: EventTally) -> None:
        """Match every record against the rules the index picks for it."""
        candidates = self.index.candidates
        count = 0
        for record in records:
            count += 1
            for compiled in candidates(record):
                try:
                    if compiled.predicate(record):
                        self._hit(compiled, record, tally.rules[compiled.position])
                except ExprFailure as exc:
                    rule_tally = tally.rules[compiled.position]
                    rule_tally.expr_errors += 1
                    rule_tally.expr_error = rule_tally.expr_error or str(exc)
        tally.records += count

    def _hit(self, compiled: CompiledRule, record: Mapping[str, Any], rule_tally: RuleTally) -> None:
        grouper = self.groupers[compiled.position]
        wanted = compiled.rule.logged
        if wanted is None or self.snapshot is None:
            grouper.add(rule_tally.hits, record, record_identity(record))
            return
        verdict = record_verdict(self.snapshot, record)
        identity = (verdict.account_id, verdict.region)
        if not verdict.known_account:
            grouper.add(rule_tally.foreign, record, identity)
        elif verdict.logged is None:
            grouper.add(rule_tally.unknown, record, identity, unknown_reasons(verdict, self.snapshot))
        elif verdict.logged is wanted:
            grouper.add(rule_tally.hits, record, identity, [t.to_dict() for t in verdict.trails])
        else:
            rule_tally.settled[identity] = rule_tally.settled.get(identity, 0) + 1

    def findings(self, tally: EventTally) -> list[Finding]:
        """One finding per group, per settled (account, region), or one per quiet rule."""
        found: list[Finding] = []
        for rule, rule_tally in zip(self.rules, tally.rules, strict=True):
            found.extend(_RuleFindings(rule, rule_tally, tally.records, self.snapshot).all())
        return sorted(found, key=Finding.sort_key)


def unknown_reasons(verdict: RecordVerdict, snapshot: Snapshot) -> list[dict[str, Any]]:
    """Why a verdict is unknown: the undecided trails, else what the record or snapshot lacks."""
    undecided = [t.to_dict() for t in verdict.trails if t.logged is None]
    if undecided:
        return undecided
    if verdict.region is None:
        return [{"reason": "the record has no awsRegion"}]
    account = snapshot.account(verdict.account_id) if verdict.account_id else None
    errors = account.errors_in(verdict.region) if account else ()
    return [{"reason": f"collection error in {e.region or 'all regions'}: {e.operation} {e.code}"} for e in errors] \
        or [{"reason": "the simulator could not decide"}]


def _format(template: str, account_id: str | None, region: str | None, resource: str | None) -> str:
    values = {"account_id": account_id or "-", "region": region or "-", "resource": resource or "-"}
    try:
        return template.format_map(values)
    except (KeyError, IndexError, ValueError):
        return template


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


class _RuleFindings:
    """The findings of one rule from its merged tally."""

    def __init__(self, rule: Rule, tally: RuleTally, records: int, snapshot: Snapshot | None) -> None:
        self.rule = rule
        self.tally = tally
        self.records = records
        self.snapshot = snapshot

    def finding(self, status: Status, message: str, evidence: dict[str, Any], account_id: str | None = None,
                region: str | None = None, resource: str | None = None) -> Finding:
        template = self.rule.messages.get(status)
        if template:
            message = _format(template, account_id, region, resource)
        return Finding(rule_id=self.rule.id, title=self.rule.title, severity=self.rule.severity,
                       status=status, account_id=account_id, region=region, resource=resource, message=message,
                       evidence=evidence, remediation=self.rule.remediation,
                       frameworks=self.rule.frameworks)

    def group_finding(self, status: Status, group: Group, message: str) -> Finding:
        return self.finding(status, message, group.evidence(), group.account_id, group.region, group.resource())

    def all(self) -> list[Finding]:
        if self.rule.logged is not None and self.snapshot is None:
            return [self.finding("skipped", "Needs a snapshot (--snapshot) to tell which events the trails "
                                            "would record", {"records_examined": self.records})]
        found = [self.group_finding("fail", g, self.hit_message(g)) for g in self.tally.hits.values()]
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

    def hit_message(self, group: Group) -> str:
        if self.rule.logged is not None:
            verb = "would be recorded by a trail" if self.rule.logged else "would not be recorded by any trail"
            return f"{_plural(group.count, 'event')} {verb} of the snapshot"
        if group.first_time == group.last_time:
            return f"{_plural(group.count, 'matching event')} at {group.first_time or 'an unknown time'}"
        return f"{_plural(group.count, 'matching event')} between {group.first_time} and {group.last_time}"

    def logged_findings(self) -> list[Finding]:
        found = [self.group_finding("error", g, f"Account {g.account_id or '(none named)'} is not in the snapshot: "
                                                f"cannot tell whether its {_plural(g.count, 'event')} would be "
                                                f"recorded") for g in self.tally.foreign.values()]
        found.extend(self.group_finding("error", g, f"Cannot tell whether {_plural(g.count, 'event')} would be "
                                                    f"recorded: {g.trails[0]['reason'] if g.trails else 'unknown'}")
                     for g in self.tally.unknown.values())
        flagged = {(g.account_id, g.region) for g in (*self.tally.hits.values(), *self.tally.unknown.values())}
        outcome = "recorded" if self.rule.logged is False else "not recorded"
        for (account_id, region), count in sorted(self.tally.settled.items(), key=lambda item: str(item[0])):
            if (account_id, region) not in flagged:
                found.append(self.finding("pass", f"Every sampled event ({count}) would be {outcome} "
                                                  f"by the snapshot's trails",
                                          {"records_examined": count}, account_id, region))
        return found
