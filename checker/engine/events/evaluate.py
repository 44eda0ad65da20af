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
rule's ``recorded_by`` parameter says whether event data stores count besides trails; their
rows are shown apart from the trails' (docs/semantics.md, "Evidence in reports").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from checker.engine.events.findings import RuleFindings
from checker.engine.events.groups import Grouper, Why, record_identity
from checker.engine.events.index import IndexedRule, RuleIndex, index_rule
from checker.engine.events.match import ExprFailure
from checker.engine.events.tally import EventTally, RuleTally
from checker.findings import Finding
from checker.model import Snapshot
from checker.policy.model import EventRule, Rule
from checker.recorders import HidingErrors, RecorderFamily, recorded_by
from checker.simulator import RecordVerdict, record_verdict

Cell = tuple[frozenset[RecorderFamily], str | None, str | None]
"""The recorder families a rule counts, and an (account, region) a verdict is about."""


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
        self._missing: dict[Cell, dict[str, Any]] = {}

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
        snapshot = self.snapshot
        families = self.families[indexed.position]
        verdict = record_verdict(snapshot, record, families)
        identity = (verdict.account_id, verdict.region)
        if not verdict.known_account:
            grouper.add(rule_tally.foreign, record, identity)
        elif verdict.logged is None:
            grouper.add(rule_tally.unknown, record, identity, self._unknown_why(snapshot, verdict, families))
        elif verdict.logged is wanted:
            grouper.add(rule_tally.hits, record, identity, recorder_rows(verdict))
        else:
            rule_tally.settled[identity] = rule_tally.settled.get(identity, 0) + 1

    def _unknown_why(self, snapshot: Snapshot, verdict: RecordVerdict, families: frozenset[RecorderFamily]) -> Why:
        """Why a verdict is unknown: the undecided recorders, else what the record or snapshot
        lacks, worked out once per (account, region) and shared by its groups."""
        undecided = recorder_rows(verdict, undecided_only=True)
        if undecided.trails or undecided.stores:
            return undecided
        cell = (families, verdict.account_id, verdict.region)
        missing = self._missing.get(cell)
        if missing is None:
            missing = self._missing[cell] = missing_data(snapshot, *cell)
        return Why(missing=missing)

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


def recorder_rows(verdict: RecordVerdict, *, undecided_only: bool = False) -> Why:
    """The recorders' rows of a verdict (all, or those it leaves undecided): the trails', and
    apart the event data stores'."""
    return Why([d.to_dict() for d in verdict.trails if not undecided_only or d.logged is None],
               [d.to_dict() for d in verdict.stores if not undecided_only or d.logged is None])


def missing_data(snapshot: Snapshot, families: frozenset[RecorderFamily], account_id: str | None,
                 region: str | None) -> dict[str, Any]:
    """What leaves a verdict in ``account_id`` and ``region`` unknown when no recorder's row
    says it: the record's missing Region, or the collection errors that may hide a recorder,
    the first :data:`~checker.recorders.MAX_LISTED_ERRORS` listed and all counted, as coverage
    evidence shows them (:class:`~checker.recorders.HidingErrors`): the cost is that of the
    errors listed, however many there are."""
    if region is None:
        return {"reason": "the record has no awsRegion"}
    hiding = HidingErrors(snapshot, families)
    if account_id is None or not hiding.add(account_id, region):
        return {"reason": "the simulator could not decide"}
    return {"reason": hiding.summary(), **hiding.evidence()}
