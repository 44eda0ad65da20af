"""The monitoring data a unit needs: the data behind the links of its candidate chains.

The verdict of an ``alerted`` rule for one unit weighs the chains that could alert on the
rule's events (:meth:`checker.alerting.chains.AlertJudge.candidates`). Each link of such a
chain, up to its first broken link, is decided by one datum; what comes after a broken link
(a trail that does not record the events, a disabled rule, an alarm that cannot fire) weighs
nothing. That is the whole definition of what a monitoring rule needs, for the evaluation (a
needed datum that is absent is unknown) and for the collection (which reads it), link by link:

* a trail's log group: DescribeMetricFilters of that log group;
* a metric published by a filter that could match the events: DescribeAlarms in the log
  group's account and Region;
* an SNS topic that an alarm or a rule target names: its subscribers;
* an event bus: ListRules of that bus (the Region's default bus, and a bus that a rule
  forwards to; EventBridge routes no further, so neither does the plan);
* a rule that could match the events and is not disabled: ListTargetsByRule. A pattern
  trailcheck cannot read could match anything, so its targets are read.

A chain stops where its data stops, so a collection asks again once it has read what was
asked (:func:`monitoring_plan` on the grown snapshot, minus the reads made) until nothing new
is needed; a read that failed is not repeated, its datum stays unknown. Until then a link may
look broken only because its datum is not read yet (a bus or topic missing from a list that
holds others): the plan asks for the datum of every link it reaches, broken or not, and stops
after a broken one.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from checker.alerting.chain_model import Chain, Link
from checker.alerting.chains import AlertJudge, AlertQuestion
from checker.alerting.eventbridge_chain import MAX_FORWARDS, eventbridge_chains
from checker.alerting.metric_chain import log_group_chains
from checker.arn import Arn
from checker.engine.config import units_of
from checker.model import Snapshot
from checker.monitoring_lookup import event_bus_place, log_group_place, topic_place
from checker.plan.reads import (
    Alarms,
    BusRules,
    MetricFilters,
    PlacedRead,
    ReadPlan,
    RuleTargets,
    TopicSubscribers,
)
from checker.plan.rules import alert_question
from checker.policy.model import ConfigRule, Rule


def unit_reads(judge: AlertJudge, question: AlertQuestion, account_id: str,
               regions: Sequence[str]) -> frozenset[PlacedRead]:
    """The reads the question needs for one unit (``account_id`` over ``regions``), as far as
    ``judge``'s snapshot lets the chains be followed."""
    return chain_reads(judge.candidates(question, account_id, regions))


def monitoring_plan(rules: Iterable[Rule], snapshot: Snapshot, everything: bool = False,
                    judge: AlertJudge | None = None) -> ReadPlan:
    """The monitoring reads the ``alerted`` rules among ``rules`` need over every unit of
    ``snapshot``, as far as its data lets the chains be followed (a collection subtracts the
    reads it made). With ``everything`` (``--with monitoring``), the data of every chain of
    every account, whatever events it alerts on (for ``explain``). ``judge`` is a judge of
    ``snapshot`` whose memory to use (:meth:`~checker.alerting.chains.AlertJudge.with_snapshot`)."""
    if everything:
        return ReadPlan.of(chain_reads(all_chains(snapshot)))
    judge = judge if judge is not None else AlertJudge(snapshot)
    placed: set[PlacedRead] = set()
    for rule in rules:
        question = alert_question(rule)
        if question is None:
            continue
        assert isinstance(rule, ConfigRule)
        for unit in units_of(rule, snapshot):
            assert unit.account_id is not None, "alerted rules are judged per account or per Region"
            placed |= unit_reads(judge, question, unit.account_id, [region for _, region in unit.cells])
    return ReadPlan.of(placed)


def all_chains(snapshot: Snapshot) -> list[Chain]:
    """Every chain from the trails of the snapshot's accounts and from each (account, Region)'s
    default bus, relevant to any event or not."""
    chains: list[Chain] = []
    for trail in snapshot.all_trails():
        chains += log_group_chains(snapshot, trail)
    for account in snapshot.accounts:
        for region in account.regions:
            chains += eventbridge_chains(snapshot, account.account_id, region)
    return chains


def chain_reads(chains: Iterable[Chain]) -> frozenset[PlacedRead]:
    """The reads that decide the links of ``chains``, each chain up to its first broken link."""
    placed: set[PlacedRead] = set()
    for chain in chains:
        for index, link in enumerate(chain.links):
            read = _link_read(link, chain.links[:index])
            if read is not None and not (link.ok is False and link.kind in ONWARD_READS):
                placed.add(read)
            if link.ok is False:
                break
    return frozenset(placed)


ONWARD_READS = frozenset({"event-rule"})
"""Links whose read serves the next link, not their own verdict: a rule's pattern and State
decide its link, its targets the chain's next step (so a disabled rule's targets are not read)."""


def _link_read(link: Link, before: Sequence[Link]) -> PlacedRead | None:
    """The read whose data decides ``link`` (for an event rule, what follows it); ``None`` for
    a link decided by data already at hand (a trail's settings, a pattern, an alarm's settings)
    or by none (a bus past the last forward)."""
    if link.kind == "log-group":
        place = log_group_place(link.id)
        return PlacedRead(place.account_id, place.region, MetricFilters(place.name)) if place else None
    if link.kind == "metric":
        group = _last(before, "log-group")
        place = log_group_place(group.id) if group is not None else None
        return PlacedRead(place.account_id, place.region, Alarms()) if place else None
    if link.kind == "topic":
        place = topic_place(link.id)
        return PlacedRead(place.account_id, place.region, TopicSubscribers(link.id)) if place else None
    if link.kind == "event-rule":
        return _rule_targets(link.id)
    if link.kind == "event-bus":
        if sum(1 for earlier in before if earlier.kind == "event-bus") > MAX_FORWARDS:
            return None
        place = event_bus_place(link.id)
        return PlacedRead(place.account_id, place.region, BusRules(place.name)) if place else None
    return None


def _last(links: Sequence[Link], kind: str) -> Link | None:
    return next((link for link in reversed(links) if link.kind == kind), None)


def _rule_targets(rule_arn: str) -> PlacedRead | None:
    """``arn:aws:events:REGION:ACCOUNT:rule/NAME`` (default bus) or ``rule/BUS/NAME``."""
    arn = Arn.parse_or_none(rule_arn)
    if arn is None or arn.service != "events":
        return None
    kind, _, path = arn.resource.partition("/")
    bus, _, name = path.rpartition("/")
    if kind != "rule" or not name:
        return None
    return PlacedRead(arn.account, arn.region, RuleTargets(bus or "default", name))
