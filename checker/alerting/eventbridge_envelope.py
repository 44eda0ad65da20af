"""How a CloudTrail record reaches an EventBridge rule: its event envelope and the rule State.

CloudTrail delivers each record it records to the default event bus of the Region where the
call happened, wrapped in an EventBridge event::

    {"version": "0", "id": ..., "detail-type": "AWS API Call via CloudTrail",
     "source": "aws.ssm", "account": <recipientAccountId>, "time": <eventTime>,
     "region": <awsRegion>, "resources": [], "detail": <the record>}

``detail-type`` follows the record's ``eventType`` and ``source`` is ``aws.`` followed by the
event source without ``.amazonaws.com`` (``ssm.amazonaws.com`` -> ``aws.ssm``,
``signin.amazonaws.com`` -> ``aws.signin``, ``monitoring.amazonaws.com`` -> ``aws.monitoring``,
as the EventBridge events reference pairs them for each service). A record whose ``eventType`` or ``eventSource``
does not fit these rules gets no envelope: trailcheck does not know how EventBridge would
present it, so no rule is taken to receive it (never overstate an alert).

A rule's ``State`` decides which delivered events it sees at all: ``DISABLED`` none,
``ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS`` all, ``ENABLED`` all except read-only
management events. EventBridge documents that some read-only events whose names do not
start with Describe, Get or List may arrive under ``ENABLED`` anyway; trailcheck is
conservative and takes none of them to arrive (see ``rule_receives``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from checker.alerting.interface import FieldPath, Hints
from checker.typing_compat import assert_never

DETAIL_TYPES: Mapping[str, str] = {
    "AwsApiCall": "AWS API Call via CloudTrail",
    "AwsConsoleSignIn": "AWS Console Sign In via CloudTrail",
    "AwsConsoleAction": "AWS Console Action via CloudTrail",
    "AwsServiceEvent": "AWS Service Event via CloudTrail",
    "AwsCloudTrailInsight": "AWS Insight via CloudTrail",
}
"""``eventType`` of a record -> ``detail-type`` of its EventBridge event."""

EVENT_SOURCE_SUFFIX = ".amazonaws.com"
SOURCE_PREFIX = "aws."

RuleState = Literal["ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"]
RULE_STATES: tuple[RuleState, ...] = ("ENABLED", "DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS")

READ_ONLY_NAME_PREFIXES = ("Describe", "Get", "List")
"""Event names that EventBridge's ``ENABLED`` state historically never received."""
STS_EXCEPTIONS = frozenset({"GetFederationToken", "GetSessionToken"})
"""The two STS ``Get`` calls EventBridge documents as received although their names start with Get."""
STS_SOURCE = "sts.amazonaws.com"


def envelope_source(event_source: str) -> str | None:
    """``ssm.amazonaws.com`` -> ``aws.ssm``; None for an event source not of that form."""
    if not event_source.endswith(EVENT_SOURCE_SUFFIX) or len(event_source) == len(EVENT_SOURCE_SUFFIX):
        return None
    return SOURCE_PREFIX + event_source[: -len(EVENT_SOURCE_SUFFIX)]


def cloudtrail_envelope(record: Mapping[str, Any]) -> dict[str, Any] | None:
    """The EventBridge event CloudTrail makes of ``record``; None when trailcheck cannot tell.

    Fields the record lacks (``recipientAccountId``, ``eventTime``, ``awsRegion``) are left out
    of the envelope rather than invented, so a pattern that reads them does not match. ``id``
    is EventBridge's own identifier of the delivery, unrelated to the record; a pattern that
    reads it is undecided, so its value here (the record's ``eventID``) never decides a match.
    """
    event_type = record.get("eventType")
    event_source = record.get("eventSource")
    if not isinstance(event_type, str) or not isinstance(event_source, str):
        return None
    detail_type = DETAIL_TYPES.get(event_type)
    source = envelope_source(event_source)
    if detail_type is None or source is None:
        return None
    envelope: dict[str, Any] = {"version": "0", "id": record.get("eventID", ""), "detail-type": detail_type,
                                "source": source}
    for envelope_field, record_field in (("account", "recipientAccountId"), ("time", "eventTime"),
                                         ("region", "awsRegion")):
        if record_field in record:
            envelope[envelope_field] = record[record_field]
    envelope["resources"] = []
    envelope["detail"] = record
    return envelope


@dataclass(frozen=True)
class RecordField:
    """An envelope field read straight from a record field (``region`` <- ``awsRegion``)."""

    path: FieldPath


@dataclass(frozen=True)
class SourceField:
    """``source``, derived from ``eventSource`` (``aws.ssm`` <- ``ssm.amazonaws.com``)."""


@dataclass(frozen=True)
class DetailTypeField:
    """``detail-type``, derived from ``eventType`` through ``DETAIL_TYPES``."""


@dataclass(frozen=True)
class ConstantField:
    """An envelope field whose value is the same for every record (``version``, ``resources``),
    or that no envelope has."""


@dataclass(frozen=True)
class DeliveryIdField:
    """``id``: EventBridge's identifier of one delivery, which no record determines."""


EnvelopeField = RecordField | SourceField | DetailTypeField | ConstantField | DeliveryIdField

_DIRECT_FIELDS: Mapping[str, str] = {"account": "recipientAccountId", "time": "eventTime", "region": "awsRegion"}


def envelope_field(path: tuple[str, ...]) -> EnvelopeField:
    """Where the envelope field at ``path`` (pattern keys, outermost first) comes from."""
    head, rest = path[0], path[1:]
    if head == "detail":
        return RecordField(rest) if rest else ConstantField()
    if rest:
        return ConstantField()  # every other envelope field is a string or a list of strings
    if head in _DIRECT_FIELDS:
        return RecordField((_DIRECT_FIELDS[head],))
    if head == "source":
        return SourceField()
    if head == "detail-type":
        return DetailTypeField()
    if head == "id":
        return DeliveryIdField()
    return ConstantField()


def source_hints(envelope_hints: Hints) -> Hints:
    """The ``eventSource`` values a pattern on ``source`` tells apart, from the ``source`` values.

    ``source`` is ``aws.`` + S when ``eventSource`` is S + ``.amazonaws.com``, so a literal
    ``aws.ssm`` is the event source ``ssm.amazonaws.com``, a prefix ``aws.ss`` is the prefix
    ``ss``, and a suffix ``sm`` is the suffix ``sm.amazonaws.com``. Every event source that has
    an envelope ends with ``.amazonaws.com``, so that suffix is always a hint.
    """
    literals = {value[len(SOURCE_PREFIX):] + EVENT_SOURCE_SUFFIX for value in envelope_hints.literals
                if value.startswith(SOURCE_PREFIX) and len(value) > len(SOURCE_PREFIX)}
    prefixes = {prefix[len(SOURCE_PREFIX):] for prefix in envelope_hints.prefixes if prefix.startswith(SOURCE_PREFIX)}
    suffixes = {EVENT_SOURCE_SUFFIX}
    for suffix in envelope_hints.suffixes:
        suffixes.add(suffix + EVENT_SOURCE_SUFFIX)
        # A suffix reaching into "aws." names whole sources: "s.ssm" fits "aws.ssm" only.
        for cut in range(1, len(SOURCE_PREFIX) + 1):
            if suffix.startswith(SOURCE_PREFIX[-cut:]) and len(suffix) > cut:
                literals.add(suffix[cut:] + EVENT_SOURCE_SUFFIX)
    return Hints(literals=frozenset(literals), prefixes=frozenset(prefixes), suffixes=frozenset(suffixes),
                 kinds=frozenset({"absent"}))


def detail_type_hints() -> Hints:
    """The ``eventType`` values a pattern on ``detail-type`` tells apart: every known one (any
    other value gets no envelope)."""
    return Hints(literals=frozenset(DETAIL_TYPES), kinds=frozenset({"absent"}))


def parse_rule_state(text: str) -> RuleState | None:
    """A rule ``State`` as ListRules returns it; None for a value trailcheck does not know."""
    for state in RULE_STATES:
        if text == state:
            return state
    return None


def is_read_only_for_eventbridge(record: Mapping[str, Any]) -> bool:
    """Whether ``ENABLED`` (conservatively) does not receive the record.

    A record marked ``readOnly`` is not received; neither is one whose event name starts with
    Describe, Get or List, unless it is one of the two STS calls EventBridge documents as
    received (``GetFederationToken``, ``GetSessionToken``).
    """
    read_only = record.get("readOnly")
    if read_only is True or (isinstance(read_only, str) and read_only.lower() == "true"):
        return True
    name = record.get("eventName")
    if not isinstance(name, str) or not name.startswith(READ_ONLY_NAME_PREFIXES):
        return False
    return not (record.get("eventSource") == STS_SOURCE and name in STS_EXCEPTIONS)


def rule_receives(state: RuleState, record: Mapping[str, Any]) -> bool:
    """Does a rule in ``state`` see the event CloudTrail delivers for ``record`` at all?"""
    if state == "DISABLED":
        return False
    if state == "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS":
        return True
    if state == "ENABLED":
        return not is_read_only_for_eventbridge(record)
    assert_never(state)


def rule_state_hints(state: RuleState) -> dict[FieldPath, Hints]:
    """The record fields ``rule_receives`` reads in ``state``, with the values it tells apart."""
    if state in ("DISABLED", "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"):
        return {}
    return {
        ("readOnly",): Hints(literals=frozenset({"true"}), kinds=frozenset({"absent", "bool"})),
        ("eventName",): Hints(literals=STS_EXCEPTIONS, prefixes=frozenset(READ_ONLY_NAME_PREFIXES),
                              kinds=frozenset({"absent"})),
        ("eventSource",): Hints(literals=frozenset({STS_SOURCE}), kinds=frozenset({"absent"})),
    }
