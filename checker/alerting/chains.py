"""Would every event a monitoring rule is about, once recorded, reach a person?

The ``alerted`` requirement (docs/semantics.md, "Monitoring chains") for one account, over the
Regions in scope:

1. The chains (:mod:`checker.alerting.metric_chain`, :mod:`checker.alerting.eventbridge_chain`)
   get their trail links: a metric-filter chain starts at one trail reaching the account
   (multi-Region when the rule asks) that records every ``recorded`` probe in every Region in
   scope, so an organization trail's chain counts for every member it reaches; an EventBridge
   chain starts in one Region, where the trails reaching the account must record the probes,
   at the account's own default bus.
2. *Candidates* are the chains whose matcher can match an event of the reference (an
   undecided or missing matcher always can). A log group or bus whose filters or rules are
   all about other events gets one broken chain saying so.
3. In each Region, the complete chains' matchers together must cover the reference
   (:func:`checker.alerting.containment.covers`), restricted to records of the ``recorded``
   probes (and, when EventBridge counts, to records CloudTrail can deliver there). Covered:
   ``pass``. Otherwise ``error`` when unknown chains could close the gap (an undecided pattern
   could match anything; a decidable one is tried as if its chain worked), else ``fail``;
   a ``fail`` where collection errors may hide trails is an ``error``.

The evidence lists each candidate chain link by link with its first broken link, the
reference records no complete chain matches, and any over-broad covering matcher.
"""

from __future__ import annotations

import json
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from checker.alerting.chain_model import AlertPath, AllPatterns, Chain, Link, short_id
from checker.alerting.containment import MAX_WITNESS_RECORDS, Containment, covers, overbroad
from checker.alerting.eventbridge import DeliveredToEventBridge, RuleMatcher
from checker.alerting.eventbridge_chain import eventbridge_chains
from checker.alerting.filter_parse import parse_strict
from checker.alerting.filter_pattern import FilterPattern
from checker.alerting.interface import RecordPattern, Undecided
from checker.alerting.metric_chain import log_group_chains
from checker.model import CollectionError, Snapshot, Trail
from checker.simulator import ProbeResult, ProbeTooLargeError, probe_coverage, record_verdict
from checker.simulator.decide import GLOBAL_EVENTS_REGION, GLOBAL_SERVICE_SOURCES
from checker.simulator.probes import probe_text

ProbeEvent = Mapping[str, str | bool]
AlertStatus = Literal["pass", "fail", "error"]
MAX_LISTED_CHAINS = 50
MAX_SHOWN_RECORDS = 3


@dataclass(frozen=True)
class AlertQuestion:
    """What a rule asks of one account: the events (``reference``), what a trail must record
    of them (``recorded`` probes, and the same as a pattern), the alert paths that count."""

    reference: FilterPattern
    recorded: tuple[ProbeEvent, ...]
    recorded_pattern: FilterPattern
    via: tuple[AlertPath, ...]
    multi_region: bool


@dataclass(frozen=True)
class AlertVerdict:
    status: AlertStatus
    detail: str
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class _RegionAnswer:
    region: str
    status: AlertStatus
    covering: tuple[Chain, ...] = ()
    missed: tuple[str, ...] = ()
    more_missed: bool = False
    reason: str = ""


def recorded_pattern(probes: Sequence[ProbeEvent]) -> FilterPattern:
    """The records of any of ``probes``, as a filter pattern: each probe's fields must equal its
    values (``readOnly`` is the JSON boolean). Raises ``ValueError`` (``FilterPatternError``
    included) for a probe a filter cannot state: a ``resources.*`` field (any array element),
    a value with a ``*`` at an end (a wildcard in filter syntax) or one a quoted value cannot hold."""
    alternatives = []
    for probe in probes:
        terms = []
        for name, value in sorted(probe.items()):
            text = probe_text(value)
            if name.startswith("resources."):
                raise ValueError(f"{name} is a field of any element of resources: a filter cannot state it")
            if name == "readOnly":
                if text not in ("true", "false"):
                    raise ValueError(f"readOnly must be true or false, not {text!r}")
                terms.append(f"($.readOnly IS {text.upper()})")
            elif text.startswith("*") or text.endswith("*"):
                raise ValueError(f"{name}: {text!r} would be a wildcard in a filter pattern")
            else:
                terms.append(f"($.{name} = {json.dumps(text)})")
        alternatives.append("(" + " && ".join(terms) + ")")
    return parse_strict("{ " + " || ".join(alternatives) + " }")


def alert_regions(question: AlertQuestion, regions: Sequence[str], partition: str) -> tuple[str, ...]:
    """The Regions where the events happen: those in scope, or only the Region of global-service
    events when every probe is one (IAM events reach us-east-1 only)."""
    sources = {probe.get("eventSource") for probe in question.recorded}
    global_region = GLOBAL_EVENTS_REGION.get(partition)
    if global_region and question.recorded and sources <= GLOBAL_SERVICE_SOURCES:
        return (global_region,)
    return tuple(regions)


class AlertJudge:
    """Answers ``alerted`` questions over one snapshot, remembering what accounts share: an
    organization trail's chains and their containment answers are worked out once."""

    def __init__(self, snapshot: Snapshot, budget: int = MAX_WITNESS_RECORDS) -> None:
        self.snapshot = snapshot
        self.budget = budget
        self._coverage: dict[Hashable, ProbeResult | ProbeTooLargeError] = {}
        self._log_group_chains: dict[str, list[Chain]] = {}
        self._bus_chains: dict[tuple[str, str], list[Chain]] = {}
        self._containment: dict[Hashable, Containment] = {}

    def with_snapshot(self, snapshot: Snapshot) -> AlertJudge:
        """A judge of ``snapshot``, a later state of this one's estate with the same trails and
        more monitoring data (a live collection between its rounds of reads), that keeps what
        does not depend on monitoring data: probe coverage and containment answers."""
        judge = AlertJudge(snapshot, self.budget)
        judge._coverage = self._coverage
        judge._containment = self._containment
        return judge

    # -- the question -------------------------------------------------------------------

    def judge(self, question: AlertQuestion, account_id: str, regions: Sequence[str]) -> AlertVerdict:
        """The verdict for ``account_id`` over ``regions`` (one Region for scope ``region``)."""
        in_scope = alert_regions(question, regions, self.snapshot.partition)
        if not in_scope:
            return AlertVerdict("error", "no Regions in scope: nowhere to check that the events raise an alert")
        within = self._restrictions(question)
        listed = self.candidates(question, account_id, in_scope)
        answers = [self._region_answer(question, account_id, region,
                                       [c for c in listed if c.region in (None, region)], within)
                   for region in in_scope]
        return self._verdict(question, answers, listed, self.snapshot.trails_reaching(account_id), in_scope)

    def candidates(self, question: AlertQuestion, account_id: str, regions: Sequence[str]) -> list[Chain]:
        """The chains :meth:`judge` weighs for ``account_id``: those that could alert on an event of
        the question (metric-filter chains first, then each Region's EventBridge chains). A live
        collection reads exactly what their unknown links lack (:mod:`checker.plan`)."""
        in_scope = alert_regions(question, regions, self.snapshot.partition)
        within = self._restrictions(question)
        trails = self.snapshot.trails_reaching(account_id)
        metric = self._metric_candidates(question, trails, in_scope, within) if "metric-filter" in question.via else []
        bridged = [chain for region in in_scope
                   for chain in self._eventbridge_candidates(question, account_id, trails, region, within)
                   ] if "eventbridge" in question.via else []
        return [*metric, *bridged]

    def _restrictions(self, question: AlertQuestion) -> tuple[RecordPattern, ...]:
        """What the reference is restricted to: records of the probes; records CloudTrail can
        deliver to EventBridge (a known event type, an AWS event source) when that path counts."""
        if "eventbridge" in question.via:
            return (question.recorded_pattern, DeliveredToEventBridge())
        return (question.recorded_pattern,)

    # -- candidate chains ---------------------------------------------------------------

    def _metric_candidates(self, question: AlertQuestion, trails: Sequence[Trail], regions: Sequence[str],
                           within: Sequence[RecordPattern]) -> list[Chain]:
        candidates: list[Chain] = []
        for trail in trails:
            head = self.trail_link(trail, question.recorded, regions, question.multi_region)
            downstream = self._log_group_chains.get(trail.arn)
            if downstream is None:
                downstream = self._log_group_chains[trail.arn] = log_group_chains(self.snapshot, trail)
            candidates += [chain.after(head) for chain in
                           self._relevant(downstream, question.reference, within, "metric-filter")]
        return candidates

    def _eventbridge_candidates(self, question: AlertQuestion, account_id: str, trails: Sequence[Trail],
                                region: str, within: Sequence[RecordPattern]) -> list[Chain]:
        head = self.recorded_link(trails, question.recorded, account_id, region)
        key = (account_id, region)
        downstream = self._bus_chains.get(key)
        if downstream is None:
            downstream = self._bus_chains[key] = eventbridge_chains(self.snapshot, account_id, region)
        return [chain.after(head) for chain in self._relevant(downstream, question.reference, within, "event-rule")]

    def _relevant(self, chains: Sequence[Chain], reference: FilterPattern, within: Sequence[RecordPattern],
                  matcher_kind: Literal["metric-filter", "event-rule"]) -> list[Chain]:
        """The chains that can match an event of the reference; when a log group's filters (a
        bus's rules) are all about other events, one broken chain that says so."""
        relevant = [chain for chain in chains if self._could_match(chain.matcher, reference, within)]
        if relevant or not chains:
            return relevant
        shown = sorted({link.id for chain in chains for link in chain.links if link.kind == matcher_kind})
        listed = ", ".join(short_id(name) for name in shown[:5])
        listed += f" and {len(shown) - 5} more" if len(shown) > 5 else ""
        kind = "metric filter" if matcher_kind == "metric-filter" else "rule"
        head = chains[0].links[0]
        return [Chain(chains[0].via, (head, Link(matcher_kind, "", False,
                                                 f"none of the {len(shown)} {kind}(s) there ({listed}) matches "
                                                 "these events")), None, chains[0].region)]

    def _could_match(self, matcher: RecordPattern | Undecided | None, reference: FilterPattern,
                     within: Sequence[RecordPattern]) -> bool:
        """Does some record of the reference match ``matcher``? (Unknown: yes.)"""
        if matcher is None or isinstance(matcher, Undecided):
            return True
        return self._covers([], reference, (*within, matcher)).covered is not True

    # -- trail links --------------------------------------------------------------------

    def trail_link(self, trail: Trail, probes: Sequence[ProbeEvent], regions: Sequence[str],
                   multi_region: bool) -> Link:
        """Does this one trail record every probe in every Region (the start of its metric-filter chains)?"""
        if multi_region and not trail.is_multi_region:
            return Link("trail", trail.arn, False, "a single-Region trail; the CIS audit asks for a multi-Region one")
        return self._recording_link("trail", trail.arn, (trail,), probes, regions,
                                    f"records the events in {', '.join(regions)}")

    def recorded_link(self, trails: Sequence[Trail], probes: Sequence[ProbeEvent], account_id: str,
                      region: str) -> Link:
        """Do the trails reaching the account record every probe in ``region`` (where its bus gets them)?"""
        if not trails:
            return Link("trails", f"{account_id}:{region}", False, "no trail reaches the account")
        return self._recording_link("trails", f"{account_id}:{region}", tuple(trails), probes, (region,),
                                    f"recorded in {region} by a logging trail")

    def _recording_link(self, kind: Literal["trail", "trails"], identifier: str, trails: tuple[Trail, ...],
                        probes: Sequence[ProbeEvent], regions: Sequence[str], success: str) -> Link:
        gaps: list[str] = []
        unknown: list[str] = []
        for region in regions:
            for probe in probes:
                result = self._probe_coverage(trails, probe, region)
                if isinstance(result, ProbeTooLargeError):
                    unknown.append(str(result))
                elif result.coverage in ("partial", "not-covered"):
                    gaps.append(_gap_text(result))
                elif result.coverage == "unknown":
                    unknown.append(_gap_text(result))
        if gaps:
            more = f"; and {len(gaps) - 2} more" if len(gaps) > 2 else ""
            return Link(kind, identifier, False, "; ".join(gaps[:2]) + more)
        if unknown:
            return Link(kind, identifier, None, unknown[0])
        return Link(kind, identifier, True, success)

    def _probe_coverage(self, trails: tuple[Trail, ...], probe: ProbeEvent,
                        region: str) -> ProbeResult | ProbeTooLargeError:
        key = (tuple(t.arn for t in trails), region, tuple(sorted(probe.items())))
        if key not in self._coverage:
            try:
                self._coverage[key] = probe_coverage(trails, probe, region)
            except ProbeTooLargeError as error:
                self._coverage[key] = error
        return self._coverage[key]

    # -- coverage by the complete chains ------------------------------------------------

    def _covers(self, candidates: Sequence[RecordPattern], reference: FilterPattern,
                within: Sequence[RecordPattern]) -> Containment:
        key = (tuple(sorted({_pattern_key(c) for c in candidates}, key=repr)), reference.text,
               tuple(_pattern_key(w) for w in within))
        if key not in self._containment:
            unique = list({_pattern_key(c): c for c in candidates}.values())
            self._containment[key] = covers(unique, reference, self.budget, within=within)
        return self._containment[key]

    def _region_answer(self, question: AlertQuestion, account_id: str, region: str, candidates: Sequence[Chain],
                       within: Sequence[RecordPattern]) -> _RegionAnswer:
        complete = [c for c in candidates if c.fires is True]
        alone = next((c for c in complete if c.matcher is not None and not isinstance(c.matcher, Undecided)
                      and self._covers([c.matcher], question.reference, within).covered is True), None)
        if alone is not None:  # usually one filter does it all: the union need not be searched
            return _RegionAnswer(region, "pass", (alone,))
        decided = self._covers(_matchers(complete), question.reference, within)
        if decided.covered is True:
            return _RegionAnswer(region, "pass", tuple(complete))
        if decided.covered is None:
            return _RegionAnswer(region, "error", reason=decided.reason)
        missed = tuple(decided.missed_text())
        unknown = [c for c in candidates if c.fires is None]
        if any(c.matcher is None or isinstance(c.matcher, Undecided) for c in unknown):
            return _RegionAnswer(region, "error", missed=missed, more_missed=decided.more_missed,
                                 reason="a chain whose data is missing, or whose pattern trailcheck cannot "
                                        "evaluate, could match them")
        if unknown:
            hoped = self._covers([*_matchers(complete), *_matchers(unknown)], question.reference, within)
            if hoped.covered is not False:
                return _RegionAnswer(region, "error", missed=missed, more_missed=decided.more_missed,
                                     reason="a chain with an unknown link matches them")
        hidden = self._hiding_errors(account_id, region)
        if hidden:
            return _RegionAnswer(region, "error", missed=missed, more_missed=decided.more_missed,
                                 reason="collection errors may hide trails: " + "; ".join(
                                     f"{e.region or 'all Regions'} {e.operation} {e.code}" for e in hidden[:3]))
        return _RegionAnswer(region, "fail", missed=missed, more_missed=decided.more_missed)

    def _hiding_errors(self, account_id: str, region: str) -> tuple[CollectionError, ...]:
        account = self.snapshot.account(account_id)
        return account.errors_in(region) if account else ()

    # -- the verdict --------------------------------------------------------------------

    def _verdict(self, question: AlertQuestion, answers: Sequence[_RegionAnswer], listed: Sequence[Chain],
                 trails: Sequence[Trail], regions: Sequence[str]) -> AlertVerdict:
        covering = list({id(c): c for a in answers for c in a.covering}.values())
        # A pass shows the chains that alert; anything else every candidate, with its first broken link.
        shown = covering if all(a.status == "pass" for a in answers) else listed
        evidence: dict[str, Any] = {
            "reference": question.reference.text, "via": list(question.via), "regions": list(regions),
            "chains": [chain.to_dict() for chain in shown[:MAX_LISTED_CHAINS]],
        }
        if len(listed) > len(shown[:MAX_LISTED_CHAINS]):
            evidence["chains_total"] = len(listed)
        not_alerted = _group_missed(answers)
        if not_alerted:
            evidence["not_alerted"] = not_alerted
        loud = _overbroad(covering)
        if loud:
            evidence["overbroad"] = loud
        failing = [a for a in answers if a.status == "fail"]
        undecided = [a for a in answers if a.status == "error"]
        if failing:
            return AlertVerdict("fail", _failure_detail(failing, listed, trails, question.via), evidence)
        if undecided:
            first = undecided[0]
            which = f" for {_records_text(first)}" if first.missed else ""
            return AlertVerdict("error", f"{first.region}: whether the events{which} raise an alert is unknown: "
                                         f"{first.reason}; {_unknown_link_text(listed)}".rstrip("; "), evidence)
        chain = covering[0] if covering else None
        how = chain.summary() if chain is not None else "-"
        more = f" (and {len(covering) - 1} more chain(s))" if len(covering) > 1 else ""
        note = f"; over-broad: {loud[0]['pattern']} also matches {loud[0]['matches']}" if loud else ""
        return AlertVerdict("pass", f"alerted in {', '.join(regions)} through {how}{more}{note}", evidence)


@dataclass(frozen=True)
class RecordAlert:
    """Would one recorded event raise an alert? ``alerted`` is ``True`` when some chain fires on
    it, ``None`` when none does for sure but an unknown one might (or the snapshot carries no
    monitoring data), ``False`` otherwise; ``chains`` are the candidate chains, link by link."""

    alerted: bool | None
    chains: tuple[Chain, ...]


def record_alert(snapshot: Snapshot, record: Mapping[str, Any]) -> RecordAlert:
    """The chains that could alert on ``record`` (``trailcheck explain``): every metric-filter chain
    of a trail reaching its account and every EventBridge chain of its account and Region, each
    with the trail's decision for the record first and, after its pattern, a ``match`` link saying
    whether the pattern matches the record. The same chains as the rules, for one record and
    without their multi-Region condition."""
    verdict = record_verdict(snapshot, record)
    if not snapshot.carries("monitoring") or verdict.account_id is None or verdict.region is None:
        return RecordAlert(None, ())
    trails = {t.arn: t for t in snapshot.trails_reaching(verdict.account_id)}
    chains: list[Chain] = []
    for decision in verdict.trails:
        head = Link("trail", decision.arn, decision.logged, decision.reason)
        chains += [_matched(chain, record).after(head) for chain in log_group_chains(snapshot, trails[decision.arn])]
    recorded = Link("trails", f"{verdict.account_id}:{verdict.region}", verdict.logged,
                    "recorded by a trail reaching the account" if verdict.logged
                    else "no trail reaching the account records it" if verdict.logged is False
                    else "whether a trail records it is unknown")
    chains += [_matched(chain, record).after(recorded)
               for chain in eventbridge_chains(snapshot, verdict.account_id, verdict.region)]
    fired = [chain.fires for chain in chains]
    alerted = True if True in fired else None if None in fired else False
    return RecordAlert(alerted, tuple(chains))


def _matched(chain: Chain, record: Mapping[str, Any]) -> Chain:
    """``chain`` with a ``match`` link after its last pattern link: does its matcher match ``record``?"""
    matcher = chain.matcher
    if matcher is None:
        return chain
    if isinstance(matcher, Undecided):
        link = Link("match", "", None, f"undecided: {matcher.reason}")
    else:
        outcome = matcher.evaluate(record) if isinstance(matcher, FilterPattern) else matcher.matches(record)
        link = Link("match", "", outcome, {True: "the pattern matches the record",
                                           False: "the pattern does not match the record",
                                           None: "whether the pattern matches depends on a comparison the "
                                                 "documentation leaves open"}[outcome])
    last = max(i for i, step in enumerate(chain.links) if step.kind in ("metric-filter", "event-rule"))
    return replace(chain, links=(*chain.links[:last + 1], link, *chain.links[last + 1:]))


def _matchers(chains: Sequence[Chain]) -> list[RecordPattern]:
    return [c.matcher for c in chains if c.matcher is not None and not isinstance(c.matcher, Undecided)]


def _pattern_key(pattern: RecordPattern) -> Hashable:
    """What tells patterns apart for the containment memo (a rule's State is part of it)."""
    if isinstance(pattern, AllPatterns):
        return tuple(_pattern_key(part) for part in pattern.parts)
    if isinstance(pattern, RuleMatcher):
        return ("rule", pattern.state, pattern.text)
    return (type(pattern).__name__, pattern.text)


def _gap_text(result: ProbeResult) -> str:
    """``us-east-1: kms.amazonaws.com DisableKey (...) not logged: <the trail's reason>``."""
    phrase = {"partial": "only partly logged", "not-covered": "not logged", "unknown": "undecided"}[result.coverage]
    text = f"{result.region}: {result.describe()} {phrase}"
    if result.coverage == "partial" and result.missing:
        text += f" (not for {' | '.join(result.missing[:2])})"
    reasons = [row.reason for row in result.trails if row.decision != "covers"]
    return text + (f": {reasons[0]}" if reasons else "")


def _group_missed(answers: Sequence[_RegionAnswer]) -> list[dict[str, Any]]:
    """The reference records no complete chain matches, grouped by the Regions that miss the same."""
    groups: dict[tuple[tuple[str, ...], bool], list[str]] = {}
    for answer in answers:
        if answer.missed:
            groups.setdefault((answer.missed, answer.more_missed), []).append(answer.region)
    return [{"regions": regions, "records": list(missed), **({"more": True} if more else {})}
            for (missed, more), regions in groups.items()]


def _overbroad(covering: Sequence[Chain]) -> list[dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for chain in covering:
        matcher = chain.matcher
        if matcher is None or isinstance(matcher, Undecided) or matcher.text in found:
            continue
        benign = overbroad(matcher)
        if benign is not None:
            found[matcher.text] = {"chain": chain.summary(), "pattern": matcher.text, "matches": benign}
    return list(found.values())


def _records_text(answer: _RegionAnswer) -> str:
    shown = list(answer.missed[:MAX_SHOWN_RECORDS])
    rest = len(answer.missed) - len(shown)
    return " | ".join(shown) + (f" (and {rest}{'+' if answer.more_missed else ''} more)" if rest > 0
                                else " (and more)" if answer.more_missed else "")


def _failure_detail(failing: Sequence[_RegionAnswer], listed: Sequence[Chain], trails: Sequence[Trail],
                    via: Sequence[AlertPath]) -> str:
    first = failing[0]
    regions = [a.region for a in failing]
    where = first.region if len(regions) == 1 else f"{len(regions)} Regions ({', '.join(regions[:3])}" \
        + (", ..." if len(regions) > 3 else "") + ")"
    parts = [f"no complete alert chain in {where} for {_records_text(first)}"]
    if not trails:
        parts.append("no trail reaches the account")
    broken = [c for c in listed if c.fires is False and (c.region is None or c.region in regions)]
    if broken:
        link = broken[0].first_broken()
        assert link is not None
        parts.append(f"first broken link: {link.shown()}")
    elif not listed and trails:
        parts.append(f"no {' or '.join(via)} chain")
    complete = [c for c in listed if c.fires is True]
    if complete:
        parts.append(f"working chain {complete[0].summary()} does not match them")
    return "; ".join(parts)


def _unknown_link_text(listed: Sequence[Chain]) -> str:
    unknown = next((c for c in listed if c.fires is None), None)
    link = unknown.first_broken() if unknown is not None else None
    return f"unknown link: {link.shown()}" if link is not None else ""

