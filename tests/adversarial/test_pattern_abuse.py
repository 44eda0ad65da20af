"""Monitoring patterns: CloudWatch Logs filter patterns and EventBridge event patterns built to hurt.

A filter pattern written in a policy is the rule author's; one stored in a snapshot's
``monitoring`` data is whoever could call ``PutMetricFilter`` or ``PutRule``. Both are
parsed under documented limits (length, nesting, alternatives) checked before anything
recursive runs: in a policy, a pattern past them is bad input naming the file, the line
and the rule; in a snapshot, it is a chain the simulator cannot decide, so the scan
still finishes with findings, never a bug exit or a traceback, and the text planted in
a pattern reaches neither the terminal nor a report raw.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.adversarial.abuse import (
    ANSI_PAYLOAD,
    Batch,
    Case,
    Outcome,
    bad_input,
    case,
    cases_of,
    check_outcome,
    estate,
    scan_args,
    valid,
    write_json,
    write_text,
)

DEEP = 100_000
MEGABYTE = 1 << 20
RULE_ID = "probe-pattern"
RULE_LINE = 2
"""The line of ``- id:`` in :func:`policy`: the place an error about the rule names."""
UNAUTHORIZED = "monitor-unauthorized-api-calls"
"""A built-in monitoring rule: its judgement reads every metric filter and event rule."""


def policy(pattern: str) -> str:
    """One ``alerted`` rule whose filter pattern is ``pattern`` (JSON-quoted: YAML accepts it)."""
    return (f"rules:\n  - id: {RULE_ID}\n    title: Probe\n    severity: low\n    scope: account\n"
            f"    require:\n      alerted:\n        pattern: {json.dumps(pattern)}\n"
            "        recorded:\n          - eventCategory: Management\n")


def policy_case(d: Path, pattern: str) -> Case:
    path = write_text(d / "p.yaml", policy(pattern))
    return Case(("validate", str(path)), bad_input(f"{path}:{RULE_LINE}:", RULE_ID))


@case("policy-filter-100k-parentheses")
def _policy_deep(d: Path) -> Case:
    return policy_case(d, "{ " + "(" * DEEP + '$.eventName = "StopLogging"' + ")" * DEEP + " }")


@case("policy-filter-1mb")
def _policy_long(d: Path) -> Case:
    clause = '($.eventName = "StopLogging") || '
    return policy_case(d, "{ " + clause * (MEGABYTE // len(clause)) + '($.eventName = "DeleteTrail") }')


@case("policy-filter-ansi-and-format-spec")
def _policy_ansi(d: Path) -> Case:
    return policy_case(d, '{ $.eventName = "' + ANSI_PAYLOAD + '" {:99999} }')


@case("policy-filter-unterminated-quote")
def _policy_quote(d: Path) -> Case:
    return policy_case(d, '{ $.eventName = "StopLogging }')


def no_escape_in_table(outcome: Outcome) -> None:
    """The table goes to stdout: not one ESC from a planted pattern may reach the terminal."""
    assert outcome.out.strip(), f"{outcome.name}: no table on stdout"
    assert "\x1b" not in outcome.out, f"{outcome.name}: a raw ESC reached the table"


def monitored_estate(filter_pattern: str | None = None, event_pattern: str | None = None) -> dict[str, Any]:
    """The demo estate; its first monitored Region's first metric filter gets ``filter_pattern``
    and its event rules become one rule with ``event_pattern``, when given."""
    data = estate()
    region = next(iter(data["accounts"][0]["monitoring"].values()))
    if filter_pattern is not None:
        region["metric_filters"][0]["filterPattern"] = filter_pattern
    if event_pattern is not None:
        topic = region["topics"][0]["TopicArn"]
        region["event_rules"] = [{
            "Name": "hostile", "Arn": topic.replace(":sns:", ":events:").rsplit(":", 1)[0] + ":rule/hostile",
            "EventBusName": "default", "State": "ENABLED", "EventPattern": event_pattern,
            "Targets": [{"Id": "alerts", "Arn": topic}]}]
    return data


def scan_case(d: Path, data: dict[str, Any]) -> Case:
    """Scan ``data`` with the unauthorized-calls rule counting both kinds of chain."""
    snap = write_json(d / "snap.json", data)
    return Case(scan_args(d, "--snapshot", str(snap), "--rules", UNAUTHORIZED,
                          "--param", f"{UNAUTHORIZED}.via=metric-filter,eventbridge"),
                valid(), check=no_escape_in_table)


@case("snapshot-filter-100k-parentheses")
def _snapshot_filter_deep(d: Path) -> Case:
    return scan_case(d, monitored_estate("{ " + "(" * DEEP + "$.errorCode = AccessDenied*" + ")" * DEEP + " }"))


@case("snapshot-filter-1mb")
def _snapshot_filter_long(d: Path) -> Case:
    clause = "($.errorCode = AccessDenied*) || "
    return scan_case(d, monitored_estate("{ " + clause * (MEGABYTE // len(clause)) + "($.errorCode = x) }"))


@case("snapshot-filter-ansi")
def _snapshot_filter_ansi(d: Path) -> Case:
    return scan_case(d, monitored_estate('{ $.errorCode = "' + ANSI_PAYLOAD + '" }'))


@case("snapshot-event-pattern-10k-deep")
def _event_deep(d: Path) -> Case:
    depth = 10_000
    return scan_case(d, monitored_estate(event_pattern='{"detail": ' * depth + '["x"]' + "}" * depth))


@case("snapshot-event-pattern-100k-or")
def _event_or(d: Path) -> Case:
    alternatives = [{"detail": {"errorCode": [f"AccessDenied{i}"]}} for i in range(DEEP)]
    return scan_case(d, monitored_estate(event_pattern=json.dumps({"$or": alternatives})))


@case("snapshot-event-pattern-duplicate-keys")
def _event_duplicates(d: Path) -> Case:
    pattern = ('{"source": ["aws.s3"], "source": ["aws.iam"], '
               '"detail": {"errorCode": ["AccessDenied"], "errorCode": [{"prefix": "AccessDenied"}]}}')
    return scan_case(d, monitored_estate(event_pattern=pattern))


@case("snapshot-event-pattern-ansi")
def _event_ansi(d: Path) -> Case:
    pattern = {"source": ["aws." + ANSI_PAYLOAD], "detail": {"errorCode": [{"prefix": ANSI_PAYLOAD}]}}
    return scan_case(d, monitored_estate(event_pattern=json.dumps(pattern)))


@pytest.mark.parametrize("name", cases_of(__name__))
def test_case(name: str, batch: Batch) -> None:
    check_outcome(batch.outcome(name))
