"""Silently accepted: input that used to run as something other than what it says.

Duplicate keys (the last one won, unseen), two disagreeing entries for one trail (the
first won), an empty snapshot ("no findings"), ``--rules`` naming rules whose input is
missing (nothing evaluated, exit 0): each is now bad input naming both places, or, for a
trail copy under a non-owner account, ignored and counted as the format says.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.adversarial.abuse import (
    TRAIL_RULES,
    Batch,
    Case,
    Outcome,
    bad_input,
    case,
    cases_of,
    check_outcome,
    estate,
    record,
    scan_args,
    valid,
    write_json,
    write_text,
)

RULE = """rules:
  - id: my-rule
    title: Log file validation is on
    severity: critical
    scope: trail
    severity: info
    require:
      expr: "LogFileValidationEnabled == `true`"
"""


@case("duplicate-json-key-snapshot")
def _dup_snapshot(d: Path) -> Case:
    text = json.dumps(estate(), indent=1).replace('"IsLogging": true', '"IsLogging": true, "IsLogging": false', 1)
    snap = write_text(d / "snap.json", text)
    line = text[:text.index('"IsLogging"')].count("\n") + 1
    return Case(scan_args(d, "--snapshot", str(snap)), bad_input(f"{snap}:{line}:", "IsLogging", f"line {line}"))


@case("duplicate-json-key-top-level")
def _dup_top(d: Path) -> Case:
    text = json.dumps(estate(), indent=1)
    first = text[:text.index('"accounts"')].count("\n") + 1
    snap = write_text(d / "snap.json", text[:-1] + ', "accounts": []\n}')
    return Case(scan_args(d, "--snapshot", str(snap)), bad_input(f"{snap}:", "'accounts'", f"line {first}"))


@case("duplicate-json-key-baseline")
def _dup_baseline(d: Path) -> Case:
    old = write_text(d / "old.json", '{"format": "trailcheck.findings/v1",\n "findings": [],\n "findings": []}')
    return Case(("diff", str(old), str(old)), bad_input(f"{old}:3:", "'findings'", "line 2"))


@case("duplicate-json-key-explain-record")
def _dup_record(d: Path) -> Case:
    snap = write_json(d / "snap.json", estate())
    event = write_text(d / "e.json", json.dumps(record())[:-1] + ', "eventName": "ConsoleLogin"}')
    return Case(("explain", "--snapshot", str(snap), str(event)), bad_input(str(event), "line 1", "'eventName'"))


@case("duplicate-json-key-in-event-record")
def _dup_in_events(d: Path) -> Case:
    """Inside an events file a record with a repeated key is skipped and counted."""
    bad = json.dumps(record())[:-1] + ', "eventName": "DescribeTrails"}'
    log = write_text(d / "log.json", '{"Records": [' + bad + ", " + json.dumps(record()) + "]}")

    def counted(outcome: Outcome) -> None:
        events = outcome.findings()["inputs"]["events"]
        assert events["read"] == 1 and events["skipped"] == 1, events

    return Case(scan_args(d, "--events", str(log), "--rules", "cloudtrail-tampering"), valid(1), check=counted)


@case("duplicate-yaml-key-policy")
def _dup_policy(d: Path) -> Case:
    path = write_text(d / "p.yaml", RULE)
    return Case(("validate", str(path)), bad_input(f"{path}:6", "severity", "line 4"))


@case("duplicate-yaml-key-waivers")
def _dup_waivers(d: Path) -> Case:
    snap = write_json(d / "snap.json", estate())
    path = write_text(d / "w.yaml", "waivers:\n  - rule_id: log-file-validation\n    reason: r\n    owner: o\n"
                      "    expires: 2099-01-01\n    expires: 2000-01-01\n")
    return Case(scan_args(d, "--snapshot", str(snap), "--waivers", str(path)),
                bad_input(f"{path}:6", "expires", "line 5"))


@case("duplicate-trail-disagreeing")
def _dup_trail(d: Path) -> Case:
    data = estate()
    trails = data["accounts"][0]["trails"]
    copy = json.loads(json.dumps(trails[0]))
    copy["Status"]["IsLogging"] = False
    trails.append(copy)
    snap = write_json(d / "snap.json", data)
    return Case(scan_args(d, "--snapshot", str(snap)),
                bad_input(str(snap), "$.accounts[0].trails[0]", f"$.accounts[0].trails[{len(trails) - 1}]"))


@case("duplicate-trail-identical")
def _dup_identical(d: Path) -> Case:
    data = estate()
    trails = data["accounts"][0]["trails"]
    trails.append(json.loads(json.dumps(trails[0])))
    snap = write_json(d / "snap.json", data)
    return Case(scan_args(d, "--snapshot", str(snap), *TRAIL_RULES), valid())


@case("trail-copy-under-non-owner")
def _copy_non_owner(d: Path) -> Case:
    """A member's DescribeTrails lists the organization trail too: that copy is ignored."""
    data = estate()
    owner = data["accounts"][0]
    member = next(a for a in data["accounts"] if a["account_id"] != owner["account_id"])
    copy = json.loads(json.dumps(owner["trails"][0]))
    copy["Status"]["IsLogging"] = False  # what the copy says must not count
    member["trails"].insert(0, copy)
    snap = write_json(d / "snap.json", data)
    arn = copy["TrailARN"]

    def ignored(outcome: Outcome) -> None:
        report = outcome.findings()
        assert report["inputs"]["snapshot"]["ignored_trail_copies"] == 1, report["inputs"]["snapshot"]
        logging = [f for f in report["findings"] if f["rule_id"] == "trail-logging" and f["resource"] == arn]
        assert logging and all(f["status"] == "pass" for f in logging), logging

    return Case(scan_args(d, "--snapshot", str(snap), *TRAIL_RULES), valid(), check=ignored)


@case("empty-snapshot-scan")
def _empty_scan(d: Path) -> Case:
    snap = write_json(d / "snap.json", {"format": "trailcheck.snapshot/v1", "accounts": []})
    return Case(scan_args(d, "--snapshot", str(snap)), bad_input(str(snap), "no accounts"))


@case("empty-snapshot-explain")
def _empty_explain(d: Path) -> Case:
    snap = write_json(d / "snap.json", {"format": "trailcheck.snapshot/v1", "accounts": []})
    event = write_json(d / "e.json", record())
    return Case(("explain", "--snapshot", str(snap), str(event)), valid(0))


@case("event-rules-without-events")
def _event_rules_only(d: Path) -> Case:
    snap = write_json(d / "snap.json", estate())
    return Case(scan_args(d, "--snapshot", str(snap), "--rules", "cloudtrail-tampering,root-account-usage"),
                bad_input("--rules", "--events"))


@case("config-rules-without-configuration")
def _config_rules_only(d: Path) -> Case:
    log = write_json(d / "log.json", {"Records": [record()]})
    return Case(scan_args(d, "--events", str(log), "--rules", "log-file-validation"),
                bad_input("--rules", "--snapshot"))


@case("mixed-rules-with-one-input")
def _mixed_rules(d: Path) -> Case:
    """Rules of both kinds with one input kind: the others are simply not evaluated."""
    snap = write_json(d / "snap.json", estate())
    return Case(scan_args(d, "--snapshot", str(snap), "--rules", "cloudtrail-tampering,log-file-validation"),
                valid())


@case("invalid-regex-in-event-rule")
def _bad_regex(d: Path) -> Case:
    path = write_text(d / "r.yaml", "rules:\n  - id: bad-regex\n    title: Bad\n    severity: low\n    scope: event\n"
                      "    match:\n      eventName: {regex: '(unclosed'}\n")
    return Case(("validate", str(path)), bad_input(f"{path}:", "bad-regex", "regex"))


@pytest.mark.parametrize("name", cases_of(__name__))
def test_case(name: str, batch: Batch) -> None:
    check_outcome(batch.outcome(name))
