"""findings.json states repeated evidence once (``shared``): smaller, the same findings read back,
the same bytes however the engine shared its objects, and references that cannot mislead."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checker.errors import InputError
from checker.findings import Finding
from checker.report.document import load_report, report_json, to_document
from checker.report.model import Inputs, Report
from checker.report.shared import MIN_SHARED_LENGTH, SharedEvidence, resolver
from tests.helpers.cli import run_cli
from tests.helpers.reports import RULES

ORG_TRAIL = "arn:aws:cloudtrail:us-east-1:111111111111:trail/organization"
ROW = {"arn": ORG_TRAIL, "decision": "excluded",
       "reason": "AdvancedEventSelectors[0].FieldSelectors[1] (eventSource) NotEquals kms.amazonaws.com"}
EVENT = {"eventCategory": "Management", "eventSource": "kms.amazonaws.com", "eventName": "DisableKey"}


def probe(region: str, row: dict[str, Any] = ROW) -> dict[str, Any]:
    return {"event": EVENT, "region": region, "coverage": "not-covered", "trails": [row]}


def gap(account: str, region: str, evidence: dict[str, Any]) -> Finding:
    return Finding(rule_id="kms-exclusion-gap", severity="high", status="fail", account_id=account, region=region,
                   resource=None, message=f"{region}: DisableKey not logged", evidence=evidence)


def report(findings: list[Finding]) -> Report:
    return Report(findings=tuple(findings), rules={"kms-exclusion-gap": RULES["kms-exclusion-gap"]},
                  inputs=Inputs(snapshot=None, events=None, policies=()), generated_at="2026-12-01T00:00:00Z")


def organization(accounts: int, *, share_objects: bool) -> list[Finding]:
    """Accounts reached by the organization trail alone: the same probe in each, either as the
    very same Python objects (as the engine shares them) or as equal copies (as a worker
    process's findings come back)."""
    shared = {"probes": [probe("eu-west-1")]}
    return [gap(f"{index:012d}", "eu-west-1", shared if share_objects else copy.deepcopy(shared))
            for index in range(accounts)]


def written(findings: list[Finding], tmp_path: Path) -> tuple[str, Report]:
    path = tmp_path / "findings.json"
    text = report_json(report(findings))
    path.write_text(text, encoding="utf-8")
    return text, load_report(path)


def test_repeated_evidence_is_written_once_and_read_back_whole(tmp_path: Path) -> None:
    findings = organization(200, share_objects=True)
    text, back = written(findings, tmp_path)
    plain = json.dumps(to_document(report(findings)), separators=(",", ":"))
    document = json.loads(text)
    assert document["shared"] == [{"probes": [probe("eu-west-1")]}]
    assert all(f["evidence"] == {"$shared": 0} for f in document["findings"])
    assert len(text) < len(plain) / 2
    assert [f.evidence for f in back.sorted_findings()] == [f.evidence for f in findings]


def test_the_bytes_depend_on_content_not_on_which_objects_the_engine_shared(tmp_path: Path) -> None:
    assert report_json(report(organization(50, share_objects=True))) == \
        report_json(report(organization(50, share_objects=False)))


def test_a_row_shared_by_different_probes_is_stated_once_inside_them() -> None:
    evidences = [{"probes": [probe(region)]} for region in ("eu-west-1", "eu-west-1", "us-east-2", "ap-south-1")]
    shared = SharedEvidence(evidences)
    assert shared.table == [{"probes": [{"event": {"$shared": 1}, "region": "eu-west-1", "coverage": "not-covered",
                                         "trails": [{"$shared": 2}]}]}, EVENT, ROW]
    assert shared.substituted(evidences[2]) == {
        "probes": [{"event": {"$shared": 1}, "region": "us-east-2", "coverage": "not-covered",
                    "trails": [{"$shared": 2}]}]}


def test_values_python_calls_equal_but_json_does_not_are_kept_apart() -> None:
    padding = "x" * MIN_SHARED_LENGTH
    evidences = [{"a": {"n": value, "p": padding}} for value in (1, True, 1.0, 1, True, 1.0)]
    shared = SharedEvidence(evidences)
    assert [json.dumps(entry["a"]["n"]) for entry in shared.table] == ["1", "true", "1.0"]
    assert [shared.substituted(e) for e in evidences] == [{"$shared": 0}, {"$shared": 1}, {"$shared": 2}] * 2


def test_short_or_single_objects_stay_in_place() -> None:
    evidences: list[dict[str, Any]] = [{"decided_by": ["a"]}, {"decided_by": ["a"]}, {"probes": [probe("eu-west-1")]}]
    shared = SharedEvidence(evidences)
    assert shared.table == []
    assert [shared.substituted(e) for e in evidences] == evidences


def test_evidence_shaped_like_a_reference_is_never_mistaken_for_one(tmp_path: Path) -> None:
    """A sampled record is user data: it may hold an object that looks like a reference."""
    lookalike = {"sample": {"$shared": 0}, "other": {"$shared": "zero"}}
    findings = [gap("111111111111", "eu-west-1", lookalike), *organization(3, share_objects=True)]
    _, back = written(findings, tmp_path)
    assert {f.account_id: f.evidence for f in back.findings}["111111111111"] == lookalike


@settings(max_examples=60, deadline=None)
@given(st.lists(st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.sampled_from([0.5, 1.0]) | st.text("ab$", max_size=45),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(["a", "b", "$shared", "trails"]),
                                                                      children, max_size=3),
    max_leaves=12).map(lambda value: {"evidence": value}), max_size=8))
def test_any_evidence_reads_back_as_written(evidences: list[dict[str, Any]]) -> None:
    doubled = evidences + [copy.deepcopy(e) for e in evidences]
    shared = SharedEvidence(doubled)
    table = json.loads(json.dumps(shared.table))
    resolve = resolver(table, "findings.json")
    assert [resolve(json.loads(json.dumps(shared.substituted(e)))) for e in doubled] == doubled


@pytest.mark.parametrize(("shared", "evidence", "problem"), [
    ([], {"$shared": 0}, "$.shared: a reference names no entry: 0"),
    ([{"a": 1}], {"$shared": "0"}, 'a reference names no entry: "0"'),
    ([{"a": 1}], {"$shared": True}, "a reference names no entry: true"),
    ([{"a": {"$shared": 1}}, {"b": {"$shared": 0}}], {"$shared": 0}, "$.shared[0]: references form a cycle"),
    ([[1, 2]], {"x": {"$shared": 0}}, "$.shared[0]: an entry is not an object"),
])
def test_a_broken_reference_is_bad_input_naming_the_place(shared: list[Any], evidence: dict[str, Any],
                                                          problem: str) -> None:
    with pytest.raises(InputError) as raised:
        resolver(shared, "old.json")(evidence)
    assert problem in str(raised.value) and "old.json" in str(raised.value)


def test_diff_of_a_report_with_a_dangling_reference_exits_2(capsys: pytest.CaptureFixture[str],
                                                           tmp_path: Path) -> None:
    text, _ = written(organization(3, share_objects=True), tmp_path)
    broken = tmp_path / "old.json"
    broken.write_text(text.replace('"evidence":{"$shared":0}', '"evidence":{"$shared":7}', 1), encoding="utf-8")
    result = run_cli(capsys, "diff", str(broken), str(tmp_path / "findings.json"))
    assert result.code == 2
    assert result.err.count("\n") == 1 and "old.json" in result.err and "names no entry: 7" in result.err
