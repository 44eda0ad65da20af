"""Runs records through the compiled event rules into a tally, and the tally into findings.

:class:`EventEvaluator` is built once per process from the rules (and the snapshot, for
rules with ``logged``); :meth:`EventEvaluator.feed` adds records to an
:class:`~checker.engine.events.tally.EventTally`, which parallel workers return and the
parent merges in source order; :meth:`EventEvaluator.findings` renders the merged tally.

Rules with ``logged`` (``unlogged-events``) ask the selector simulator about every record
they match: records the snapshot's trails would not record (``logged: false``) are
``fail`` groups; an (account, region) whose records all come out the other way gets one
``pass``; a record of an account the snapshot does not have, or whose verdict is unknown
for lack of data, is an ``error`` group. Without a snapshot such rules are ``skipped``. The
rule's ``recorded_by`` parameter says whether event data stores count besides trails.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from checker.engine.events.findings import RuleFindings
from checker.engine.events.groups import Grouper, record_identity
from checker.engine.events.index import IndexedRule, RuleIndex, index_rule
from checker.engine.events.match import ExprFailure
from checker.engine.events.tally import EventTally, RuleTally
from checker.findings import Finding
from checker.model import Snapshot
from checker.policy.model import EventRule, Rule
from checker.recorders import RecorderFamily, recorded_by, recorder_errors
from checker.simulator import RecordVerdict, record_verdict


class EventEvaluator:
    """The event rules of one run, compiled once, and what to do with their matches."""

    def __init__(self, rules: Sequence[Rule], snapshot: Snapshot | None) -> None:
        self.rules = [r for r in rules if isinstance(r, EventRule)]
        self.snapshot = snapshot
        runnable = [index_rule(rule, position) for position, rule in enumerate(self.rules)
                    if rule.logged is None or snapshot is not None]
        self.index = RuleIndex(runnable)
        self.groupers = [Grouper(rule.group_by) for rule in self.rules]
        self.families = [recorded_by(rule.params) for rule in self.rules]

    def new_tally(self) -> EventTally:
        return EventTally(0, [RuleTally() for _ in self.rules])

    def feed(self, records: Iterable[Mapping[str, Any]], tally: EventTally) -> None:
        """Match every record against the rules the index picks for it."""
        candidates = self.index.candidates
        count = 0
        for record in records:
            count += 1
            for indexed in candidates(record):
                try:
                    if indexed.predicate(record):
                        self._hit(indexed, record, tally.rules[indexed.position])
                except ExprFailure as exc:
                    rule_tally = tally.rules[indexed.position]
                    rule_tally.expr_errors += 1
                    rule_tally.expr_error = rule_tally.expr_error or str(exc)
        tally.records += count

    def _hit(self, indexed: IndexedRule, record: Mapping[str, Any], rule_tally: RuleTally) -> None:
        grouper = self.groupers[indexed.position]
        wanted = indexed.rule.logged
        if wanted is None or self.snapshot is None:
            grouper.add(rule_tally.hits, record, record_identity(record))
            return
        families = self.families[indexed.position]
        verdict = record_verdict(self.snapshot, record, families)
        identity = (verdict.account_id, verdict.region)
        if not verdict.known_account:
            grouper.add(rule_tally.foreign, record, identity)
        elif verdict.logged is None:
            grouper.add(rule_tally.unknown, record, identity, unknown_reasons(verdict, self.snapshot, families))
        elif verdict.logged is wanted:
            grouper.add(rule_tally.hits, record, identity, [t.to_dict() for t in verdict.recorders])
        else:
            rule_tally.settled[identity] = rule_tally.settled.get(identity, 0) + 1

    def findings(self, tally: EventTally) -> list[Finding]:
        """One finding per group, per settled (account, region), or one per quiet rule."""
        found: list[Finding] = []
        for rule, rule_tally in zip(self.rules, tally.rules, strict=True):
            found.extend(RuleFindings(rule, rule_tally, tally.records, self.snapshot).all())
        return sorted(found, key=Finding.sort_key)


def evaluate_event_rules(rules: Sequence[Rule], records: Iterable[Mapping[str, Any]],
                         snapshot: Snapshot | None) -> list[Finding]:
    """Findings of the event-scope ``rules`` over ``records`` (other scopes are ignored)."""
    evaluator = EventEvaluator(rules, snapshot)
    tally = evaluator.new_tally()
    evaluator.feed(records, tally)
    return evaluator.findings(tally)


def unknown_reasons(verdict: RecordVerdict, snapshot: Snapshot,
                    families: frozenset[RecorderFamily]) -> list[dict[str, Any]]:
    """Why a verdict is unknown: the undecided recorders, else what the record or snapshot lacks."""
    undecided = [t.to_dict() for t in verdict.recorders if t.logged is None]
    if undecided:
        return undecided
    if verdict.region is None:
        return [{"reason": "the record has no awsRegion"}]
    errors = recorder_errors(snapshot, verdict.account_id, verdict.region, families) if verdict.account_id else ()
    return [{"reason": f"collection error in {e.region or 'all regions'}: {e.operation} {e.code}"} for e in errors] \
        or [{"reason": "the simulator could not decide"}]
