"""Depth: documents and expressions nested far deeper than any real one.

Nesting is bounded by a documented limit checked without recursion, so a 100,000-level
document is bad input naming its file and line, never a ``RecursionError``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.adversarial.abuse import (
    Batch,
    Case,
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

DEEP = 100_000


def policy(expr: str) -> str:
    return ("rules:\n  - id: deep-expr\n    title: Deep\n    severity: low\n    scope: trail\n"
            f"    require:\n      expr: {json.dumps(expr)}\n")


@case("snapshot-100k-deep")
def _snapshot_deep(d: Path) -> Case:
    snap = write_text(d / "snap.json", '{"format": "trailcheck.snapshot/v1", "accounts": '
                      + "[" * DEEP + "]" * DEEP + "}")
    return Case(scan_args(d, "--snapshot", str(snap)), bad_input(f"{snap}:1:", "nesting"))


@case("snapshot-500-deep-in-unknown-field")
def _snapshot_500(d: Path) -> Case:
    """Under Python's recursion limit but over ours: the schema validator never sees it."""
    data = estate()
    text = json.dumps(data).replace('"HomeRegion"', '"Extra": ' + '{"a": ' * 500 + "1" + "}" * 500
                                    + ', "HomeRegion"', 1)
    snap = write_text(d / "snap.json", text)
    return Case(scan_args(d, "--snapshot", str(snap)), bad_input(f"{snap}:1:", "nesting"))


@case("baseline-100k-deep")
def _baseline_deep(d: Path) -> Case:
    snap = write_json(d / "snap.json", estate())
    baseline = write_text(d / "old.json", '{"findings": ' + "[" * DEEP + "]" * DEEP + "}")
    return Case(scan_args(d, "--snapshot", str(snap), "--baseline", str(baseline)),
                bad_input(f"{baseline}:1:", "nesting"))


@case("diff-100k-deep")
def _diff_deep(d: Path) -> Case:
    old = write_text(d / "old.json", "{" + '"a":{' * DEEP + "}" * DEEP + "}")
    return Case(("diff", str(old), str(old)), bad_input(f"{old}:1:", "nesting"))


@case("waivers-100k-deep-flow")
def _waivers_deep(d: Path) -> Case:
    snap = write_json(d / "snap.json", estate())
    waivers = write_text(d / "waivers.yaml", "waivers: " + "[" * DEEP + "]" * DEEP + "\n")
    return Case(scan_args(d, "--snapshot", str(snap), "--waivers", str(waivers)),
                bad_input(f"{waivers}:1", "nesting"))


@case("waivers-deep-block")
def _waivers_block(d: Path) -> Case:
    snap = write_json(d / "snap.json", estate())
    lines = "".join(" " * i + f"k{i}:\n" for i in range(2000))
    waivers = write_text(d / "waivers.yaml", lines)
    return Case(scan_args(d, "--snapshot", str(snap), "--waivers", str(waivers)),
                bad_input(f"{waivers}:", "nesting"))


@case("policy-100k-deep")
def _policy_deep(d: Path) -> Case:
    path = write_text(d / "deep.yaml", "rules: " + "[" * DEEP + "]" * DEEP + "\n")
    return Case(("validate", str(path)), bad_input(f"{path}:1", "nesting"))


@case("policy-recursive-not")
def _policy_not(d: Path) -> Case:
    match = "{not: " * 5000 + "StopLogging" + "}" * 5000
    path = write_text(d / "not.yaml", "rules:\n  - id: deep-not\n    title: Deep\n    severity: low\n"
                      f"    scope: event\n    match:\n      eventName: {match}\n")
    return Case(("validate", str(path)), bad_input(f"{path}:", "nesting"))


@case("jmespath-5000-parentheses")
def _jmespath_parens(d: Path) -> Case:
    path = write_text(d / "p.yaml", policy("(" * 5000 + "Name" + ")" * 5000))
    return Case(("validate", str(path)), bad_input(f"{path}:", "deep-expr"))


@case("jmespath-5000-not")
def _jmespath_not(d: Path) -> Case:
    path = write_text(d / "p.yaml", policy("!" * 5000 + "Name"))
    return Case(("validate", str(path)), bad_input(f"{path}:", "deep-expr"))


@case("jmespath-deep-but-parsable")
def _jmespath_200(d: Path) -> Case:
    """Parsed fine by JMESPath, but evaluation would recurse past Python's limit."""
    path = write_text(d / "p.yaml", policy("!" * 200 + "Name"))
    return Case(("validate", str(path)), bad_input(f"{path}:", "deep-expr"))


@case("record-900-deep")
def _record_deep(d: Path) -> Case:
    """One record nested beyond the limit costs that record, not the file."""
    deep = json.dumps(record(resources=[])).replace('"resources": []', '"resources": ' + "[" * 900 + "]" * 900)
    log = write_text(d / "log.json", '{"Records": [' + deep + ", " + json.dumps(record()) + "]}")
    return Case(scan_args(d, "--events", str(log)), valid())


@case("explain-100k-deep-record")
def _explain_deep(d: Path) -> Case:
    snap = write_json(d / "snap.json", estate())
    event = write_text(d / "e.json", "[" * DEEP + "]" * DEEP)
    return Case(("explain", "--snapshot", str(snap), str(event)), bad_input(str(event), "line 1", "nested"))


@pytest.mark.parametrize("name", cases_of(__name__))
def test_case(name: str, batch: Batch) -> None:
    check_outcome(batch.outcome(name))
