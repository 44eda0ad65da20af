"""Attacker-controlled values: text chosen by whoever wrote the input, shown to the user.

Trail names and ARNs (anyone with ``CreateTrail``), event fields (anyone who can call an
API), file names in a log bucket, waiver owners and rule texts (a pull request) reach
the terminal, the Markdown step summary and the reports. Terminal escapes must arrive
escaped, Markdown links and images as text, HTML as text, and text that cannot be
encoded (lone surrogates) must neither crash a writer nor make a report invalid.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.adversarial.abuse import (
    ANSI_PAYLOAD,
    HTML_PAYLOAD,
    MARKDOWN_PAYLOAD,
    TRAIL_RULES,
    Batch,
    Case,
    bad_input,
    case,
    cases_of,
    check_outcome,
    estate,
    record,
    run_checker,
    scan_args,
    valid,
    write_json,
    write_text,
)

PAYLOAD = ANSI_PAYLOAD + MARKDOWN_PAYLOAD + HTML_PAYLOAD + "\u202eevil\r\x9b2J"
"""Everything at once: a terminal hyperlink, a screen clear, a Markdown image and link,
a script tag, a right-to-left override, a carriage return and a one-byte CSI."""


def hostile_estate() -> dict[str, Any]:
    """The demo estate with a failing trail whose name and ARN carry :data:`PAYLOAD`."""
    data = estate()
    trail = data["accounts"][0]["trails"][0]
    trail["Name"] = "audit" + PAYLOAD
    trail["TrailARN"] = trail["TrailARN"] + PAYLOAD
    trail["LogFileValidationEnabled"] = False
    return data


@case("payload-in-trail-arn")
def _trail_arn(d: Path) -> Case:
    snap = write_json(d / "snap.json", hostile_estate())
    return Case(scan_args(d, "--snapshot", str(snap), *TRAIL_RULES), valid())


@case("payload-in-event-fields")
def _event_fields(d: Path) -> Case:
    hostile = record(userIdentity={"type": "IAMUser", "arn": "arn:aws:iam::111111111111:user/" + PAYLOAD,
                                   "accountId": "111111111111"}, awsRegion="us-east-1" + PAYLOAD,
                     requestParameters={"name": PAYLOAD})
    log = write_json(d / "log.json", {"Records": [hostile]})
    snap = write_json(d / "snap.json", estate())
    return Case(scan_args(d, "--snapshot", str(snap), "--events", str(log), "--rules",
                          "cloudtrail-tampering,root-account-usage,log-file-validation"), valid())


@case("lone-surrogate-in-event-fields")
def _surrogate_event(d: Path) -> Case:
    """JSON can spell a lone surrogate; it must not crash a writer or leak into a report."""
    hostile = json.dumps(record(userIdentity={"type": "IAMUser", "arn": "SURROGATE", "accountId": "111111111111"}))
    log = write_text(d / "log.json", '{"Records": [' + hostile.replace("SURROGATE", "arn:\\ud800x") + "]}")
    return Case(scan_args(d, "--events", str(log), "--rules", "cloudtrail-tampering"), valid(1))


@case("lone-surrogate-in-snapshot")
def _surrogate_snapshot(d: Path) -> Case:
    text = json.dumps(estate()).replace('"Name": "org-trail"', '"Name": "org-trail\\udfff"', 1)
    snap = write_text(d / "snap.json", text)
    return Case(scan_args(d, "--snapshot", str(snap)), bad_input(f"{snap}:1:", "surrogate"))


@case("payload-in-event-file-name")
def _file_name(d: Path) -> Case:
    folder = d / "logs"
    folder.mkdir()
    write_text(folder / "\x1b[2J\x1b]8;;evil.example\x07x.json", "{not json")
    write_json(folder / "good.json", {"Records": [record()]})
    return Case(scan_args(d, "--events", str(folder), "--rules", "cloudtrail-tampering"),
                valid(1, stderr_has=["\\x1b[2J"]))


@case("payload-in-waiver-owner")
def _waiver_owner(d: Path) -> Case:
    snap = write_json(d / "snap.json", estate())
    waivers = write_text(d / "w.yaml", "waivers:\n  - rule_id: log-file-validation\n    reason: legacy\n"
                         '    owner: "\\e[2J\\e[31mowner\\e]8;;https://evil.example/\\a"\n    expires: 2001-01-01\n')
    return Case(scan_args(d, "--snapshot", str(snap), "--waivers", str(waivers), *TRAIL_RULES),
                valid(stderr_has=["expired"]))


@case("payload-in-explain")
def _explain(d: Path) -> Case:
    snap = write_json(d / "snap.json", hostile_estate())
    event = write_json(d / "e.json", record(eventName="StopLogging" + PAYLOAD, eventSource="cloudtrail" + PAYLOAD))
    return Case(("explain", "--snapshot", str(snap), str(event)), valid(0))


def report_of(d: Path, name: str, data: dict[str, Any]) -> Path:
    """A findings.json made by a real scan of ``data`` (setup, outside the limits)."""
    folder = d / name
    folder.mkdir()
    snap = write_json(folder / "snap.json", data)
    run_checker(("scan", "--snapshot", str(snap), *TRAIL_RULES, "--format", "json", "--output-dir", str(folder),
                 "-q"), folder)
    return folder / "findings.json"


@case("payload-in-diff")
def _diff(d: Path) -> Case:
    old = report_of(d, "old", hostile_estate())
    new = report_of(d, "new", estate())
    return Case(("diff", str(old), str(new)), valid(0))


@case("payload-in-baseline-section")
def _baseline(d: Path) -> Case:
    old = report_of(d, "old", hostile_estate())
    snap = write_json(d / "snap.json", estate())
    return Case(scan_args(d, "--snapshot", str(snap), "--baseline", str(old), *TRAIL_RULES), valid())


@case("payload-in-error-message")
def _error_message(d: Path) -> Case:
    path = write_text(d / "p.yaml", "rules:\n  - id: probe\n    title: T\n    severity: low\n    scope: region\n"
                      '    require:\n      logged:\n        - {"eventName\\e[2J\\u202e": X}\n')
    return Case(("validate", str(path)), bad_input(f"{path}:"))


@case("payload-in-rule-texts")
def _rule_texts(d: Path) -> Case:
    path = write_text(d / "p.yaml", "rules:\n  - id: texts\n"
                      '    title: "Title \\e[2J \\e]8;;https://evil.example/\\a![x](https://evil.example/p.png)"\n'
                      "    severity: low\n    scope: trail\n    require: {expr: Name}\n"
                      '    frameworks: {nist-800-53-r5: ["AU-2\\e[0m\\u202e"]}\n')
    return Case(("rules", "--policies", str(path), "--no-builtin"), valid(0))


@case("format-spec-width-in-messages")
def _format_width(d: Path) -> Case:
    path = write_text(d / "p.yaml", "rules:\n  - id: wide\n    title: T\n    severity: low\n    scope: account\n"
                      "    require: {expr: Name}\n    messages: {fail: '{account_id:>999999999}'}\n")
    return Case(("validate", str(path)), bad_input(f"{path}:", "wide", "messages.fail"))


@case("format-spec-empty-field-in-messages")
def _format_empty(d: Path) -> Case:
    path = write_text(d / "p.yaml", "rules:\n  - id: wide\n    title: T\n    severity: low\n    scope: account\n"
                      "    require: {expr: Name}\n    messages: {fail: '{:99999}'}\n")
    return Case(("validate", str(path)), bad_input(f"{path}:", "wide", "messages.fail"))


@case("format-conversion-in-messages")
def _format_conversion(d: Path) -> Case:
    path = write_text(d / "p.yaml", "rules:\n  - id: conv\n    title: T\n    severity: low\n    scope: account\n"
                      "    require: {expr: Name}\n    messages: {fail: '{account_id!r} {region}'}\n")
    return Case(("validate", str(path)), bad_input(f"{path}:", "conv", "messages.fail"))


@case("literal-braces-in-messages")
def _literal_braces(d: Path) -> Case:
    path = write_text(d / "p.yaml", "rules:\n  - id: braces\n    title: T\n    severity: low\n    scope: account\n"
                      "    require: {expr: Name}\n    messages: {fail: '{{literal}} in {account_id}'}\n")
    return Case(("validate", str(path)), valid(0))


@pytest.mark.parametrize("name", cases_of(__name__))
def test_case(name: str, batch: Batch) -> None:
    check_outcome(batch.outcome(name))
