"""The monitoring data a unit needs: what the unknown links of its candidate chains lack.

The verdict of an ``alerted`` rule for one unit weighs the chains that could alert on the
rule's events (:meth:`checker.alerting.chains.AlertJudge.candidates`): a chain whose trail
does not record the events, or one with any other broken link, weighs nothing whatever more
is read; a chain that can still fire but has an unknown link needs the data behind that link.
That is the whole definition of what a monitoring rule needs, for the evaluation (a needed
datum that is absent is unknown) and for the collection (which reads it), link by link:

* a log group whose metric filters are unknown: DescribeMetricFilters of that log group;
* a metric of a filter that could match the events, whose alarms are unknown: DescribeAlarms
  in the log group's account and Region;
* an SNS topic an alarm (that can fire) or a rule target names: its subscribers;
* an event bus whose rules are unknown: ListRules of that bus (the Region's default bus
  first, then any bus a rule that could match forwards to);
* a rule that could match the events, whose targets are unknown: ListTargetsByRule. A
  pattern trailcheck cannot read could match anything, so its targets are read.

A chain ends at its first unknown datum, so a collection asks again once it has read what was
asked (:func:`monitoring_plan` on the grown snapshot) until nothing more is needed; a read
that failed is not repeated, its datum stays unknown.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from checker.alerting.chain_model import Chain, Link
from checker.alerting.chains import AlertJudge, AlertQuestion
from checker.alerting.eventbridge_chain import eventbridge_chains
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
    """What the question needs for one unit (``account_id`` over ``regions``) beyond what
    ``judge``'s snapshot holds."""
    return chain_reads(judge.candidates(question, account_id, regions))


def monitoring_plan(rules: Iterable[Rule], snapshot: Snapshot, everything: bool = False) -> ReadPlan:
    """The monitoring reads the ``alerted`` rules among ``rules`` need over every unit of
    ``snapshot``, beyond what it holds. With ``everything`` (``--with monitoring``), the data
    of every chain of every account, whatever events it alerts on (for ``explain``)."""
    if everything:
        return ReadPlan.of(chain_reads(all_chains(snapshot)))
    judge = AlertJudge(snapshot)
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
    """The reads that the unknown links of the chains that can still fire need."""
    placed: set[PlacedRead] = set()
    for chain in chains:
        if chain.fires is False:
            continue
        for index, link in enumerate(chain.links):
            if link.ok is None:
                read = _link_read(link, chain.links[:index])
                if read is not None:
                    placed.add(read)
    return frozenset(placed)


def _link_read(link: Link, before: Sequence[Link]) -> PlacedRead | None:
    """The read that would decide an unknown link, if data can (an undecided pattern or alarm
    setting cannot be read away)."""
    if link.kind == "log-group":
        place = log_group_place(link.id)
        return PlacedRead(place.account_id, place.region, MetricFilters(place.name)) if place else None
    if link.kind == "metric":
        group = _last(before, "log-group")
        place = log_group_place(group.id) if group is not None else None
        return PlacedRead(place.account_id, place.region, Alarms()) if place else None
    if link.kind == "topic" and link.id:
        place = topic_place(link.id)
        return PlacedRead(place.account_id, place.region, TopicSubscribers(link.id)) if place else None
    if link.kind == "topic":
        rule = _last(before, "event-rule")
        return _rule_targets(rule.id) if rule is not None else None
    if link.kind == "event-bus":
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
