"""The EventBridge chains of one account and Region: default bus -> rule -> SNS topic or bus.

CloudTrail delivers the events it records to the default event bus of the account and the
Region where the call happened (global-service events: us-east-1). Each rule there with an
event pattern, and each SNS topic or event bus among its targets, makes a chain; on a target
bus (another account or Region) the chain goes on with that bus's rules, and its matcher is
then every rule the event passed. EventBridge does not route an event that a bus received
from another bus on to a third bus, so one forward is followed and a second one is broken.

A rule that is ``DISABLED`` is a broken link; its matcher is its pattern as if enabled, so that
a disabled rule on the right events is still shown as the candidate it would be. Which rules
match the events a monitoring rule is about is decided by :mod:`checker.alerting.chains`.
"""

from __future__ import annotations

from dataclasses import dataclass

from checker.alerting.alarm import topic_link
from checker.alerting.chain_model import Chain, Link, conjoin
from checker.alerting.eventbridge import EventPatternError, rule_matcher
from checker.alerting.interface import RecordPattern, Undecided
from checker.model import Snapshot
from checker.monitoring_lookup import NotCollected, event_bus_place, event_rules_on_bus, topic_place
from checker.monitoring_model import EventRule

DEFAULT_BUS = "default"
MAX_FORWARDS = 1
"""Bus-to-bus forwards followed: an event received from another bus is not routed to a third."""

Matcher = RecordPattern | Undecided | None


@dataclass(frozen=True)
class _Bus:
    account_id: str
    region: str
    name: str
    partition: str

    @property
    def arn(self) -> str:
        return f"arn:{self.partition}:events:{self.region}:{self.account_id}:event-bus/{self.name}"


def eventbridge_chains(snapshot: Snapshot, account_id: str, region: str) -> list[Chain]:
    """Every chain from the default bus of ``account_id`` in ``region`` (the trail link is the caller's)."""
    start = _Bus(account_id, region, DEFAULT_BUS, snapshot.partition)
    return [Chain("eventbridge", links, matcher, region)
            for links, matcher in _bus_paths(snapshot, start, None, (start.arn,))]


def _bus_paths(snapshot: Snapshot, bus: _Bus, before: Matcher,
               passed: tuple[str, ...]) -> list[tuple[tuple[Link, ...], Matcher]]:
    rules = event_rules_on_bus(snapshot, bus.account_id, bus.region, bus.name)
    if isinstance(rules, NotCollected):
        return [((Link("event-bus", bus.arn, None, rules.reason),), before)]
    with_patterns = [rule for rule in rules if rule.pattern is not None]
    if not with_patterns:
        what = "no rule" if not rules else f"only scheduled rules ({len(rules)})"
        return [((Link("event-bus", bus.arn, False, f"{what} on the bus"),), before)]
    found = Link("event-bus", bus.arn, True, f"{len(with_patterns)} rule(s) with an event pattern on the bus")
    return [((found, *links), matcher) for rule in with_patterns
            for links, matcher in _rule_paths(snapshot, bus, rule, before, passed)]


def _rule_paths(snapshot: Snapshot, bus: _Bus, rule: EventRule, before: Matcher,
                passed: tuple[str, ...]) -> list[tuple[tuple[Link, ...], Matcher]]:
    head, own = rule_link(rule)
    matcher = conjoin(before, own)
    if rule.targets is None:
        return [((head, Link("topic", "", None, "the rule's targets were not collected (ListTargetsByRule)")),
                 matcher)]
    paths: list[tuple[tuple[Link, ...], Matcher]] = []
    for target in rule.targets:
        if topic_place(target.arn) is not None:
            paths.append(((head, topic_link(snapshot, target.arn)), matcher))
            continue
        place = event_bus_place(target.arn)
        if place is None:
            continue
        if target.arn in passed:
            continue  # back to a bus the event already passed: adds no notification
        if len(passed) > MAX_FORWARDS:
            paths.append(((head, Link("event-bus", target.arn, False,
                                      "an event this bus received from another bus is not routed to a third "
                                      "bus")), matcher))
            continue
        onward = _Bus(place.account_id, place.region, place.name, bus.partition)
        paths += [((head, *links), onward_matcher)
                  for links, onward_matcher in _bus_paths(snapshot, onward, matcher, (*passed, target.arn))]
    if not paths:
        count = len(rule.targets)
        return [((head, Link("topic", "", False, f"no SNS topic or event bus among its {count} target(s)")), matcher)]
    return paths


def rule_link(rule: EventRule) -> tuple[Link, Matcher]:
    """The rule's own link and matcher (its pattern and ``State``); see the module doc for
    ``DISABLED``."""
    assert rule.pattern is not None
    state = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS" if rule.state == "DISABLED" else rule.state
    try:
        matcher = rule_matcher(state, rule.pattern)
    except EventPatternError as error:
        return Link("event-rule", rule.arn, None, f"pattern {rule.pattern}: trailcheck reads it as invalid ({error}), "
                                                  "yet EventBridge stored it"), Undecided(rule.pattern, str(error))
    if isinstance(matcher, Undecided):
        return Link("event-rule", rule.arn, None, f"pattern {rule.pattern}: {matcher.reason}"), matcher
    if rule.state == "DISABLED":
        return Link("event-rule", rule.arn, False, "the rule is DISABLED"), matcher
    return Link("event-rule", rule.arn, True, f"State {rule.state}, pattern {rule.pattern}"), matcher
