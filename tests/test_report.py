"""The typed report and its v2 JSON document, and post-processing (findings in, findings and
sections out) in the order a user relies on."""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from checker.findings import Finding, Location, RuleInfo, Status
from checker.report import PostProcessing, post_process
from checker.report.baseline import Baseline
from checker.report.document import report_json, to_document
from checker.report.model import Inputs, Report, Sections
from checker.report.shared import resolver
from checker.report.waivers import Waiver, WaiverFile
from tests.helpers.cli import run_cli
from tests.helpers.reports import ALL_SECTIONS, RULES, sample_report
from tests.helpers.snapshots import KMS, MANAGEMENT, account, basic, find, scan_findings, snapshot, trail, trail_arn

CIS = "cis-aws-foundations-v3.0"
TODAY = date(2026, 11, 20)


def finding(rule_id: str, status: Status, region: str = "eu-west-1") -> Finding:
    return Finding(rule_id=rule_id, severity="high", status=status, account_id="222222222222", region=region,
                   resource=None, message=f"{rule_id} {status}")


def printed_findings_schema(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    result = run_cli(capsys, "schema", "findings")
    assert result.code == 0
    schema: dict[str, Any] = json.loads(result.out)
    return schema


def test_schema_command_prints_the_v2_schema_and_the_written_document_follows_it(
        capsys: pytest.CaptureFixture[str]) -> None:
    schema = printed_findings_schema(capsys)
    assert schema["properties"]["format"] == {"const": "trailcheck.findings/v2"}
    on_code = Finding(rule_id="log-file-validation", severity="medium", status="fail", account_id="111111111111",
                      region="eu-west-1", resource="module.logging.aws_cloudtrail.org", message="validation off",
                      location=Location("infra/main.tf", 12))
    report = sample_report(ALL_SECTIONS, findings=[on_code, finding("kms-exclusion-gap", "pass")])
    jsonschema.validate(to_document(report), schema)


def test_v2_states_each_rule_once_and_findings_name_their_rule() -> None:
    document = to_document(sample_report())
    assert list(document["rules"]) == sorted(RULES)
    assert document["rules"]["kms-exclusion-gap"]["references"][0].startswith("https://")
    assert document["rules"]["kms-exclusion-gap"]["frameworks"] == {CIS: ["3.1"], "nist-800-53-r5": ["AU-2"]}
    for entry in document["findings"]:
        assert set(entry) == {"rule_id", "severity", "status", "account_id", "region", "resource", "message",
                              "evidence", "fingerprint"}
        assert entry["rule_id"] in document["rules"]
    assert list(document)[:7] == ["format", "tool", "generated_at", "inputs", "summary", "rules", "findings"]


def test_a_finding_on_code_carries_its_file_and_line() -> None:
    on_code = Finding(rule_id="log-file-validation", severity="medium", status="fail", account_id=None,
                      region=None, resource="aws_cloudtrail.org", message="m", location=Location("main.tf", 7))
    (entry,) = to_document(sample_report(findings=[on_code]))["findings"]
    assert entry["location"] == {"file": "main.tf", "line": 7}
    assert Finding.from_dict(entry) == on_code


def test_a_report_describes_the_rule_of_every_finding() -> None:
    with pytest.raises(ValueError, match="unknown-rule"):
        Report(findings=(finding("unknown-rule", "fail"),), rules=RULES, inputs=Inputs(), generated_at="")


def test_post_processing_waives_first_so_views_and_baseline_see_the_waiver() -> None:
    rules = [RuleInfo(id=rule_id, title=rule_id, severity="high", frameworks={CIS: ("3.1",)})
             for rule_id in ("kms-exclusion-gap", "trail-logging")]
    findings = [finding("kms-exclusion-gap", "fail"), finding("trail-logging", "pass")]
    waiver = Waiver(rule_id="kms-exclusion-gap", reason="accepted", owner="secops", expires=date(2027, 1, 31),
                    source="w.yaml:2")
    stages = PostProcessing(waivers=WaiverFile("w.yaml", (waiver,)), framework=CIS,
                            baseline=Baseline("old.json", (finding("kms-exclusion-gap", "fail"),)))
    after, sections = post_process(findings, rules, stages, TODAY)
    assert [f.status for f in after] == ["waived", "pass"]
    assert sections.waivers is not None and len(sections.waivers.applied) == 1
    assert sections.framework is not None and sections.framework.controls[0].status == "waived"
    assert sections.baseline is not None
    assert [(c.finding.rule_id, c.was, c.now) for c in sections.baseline.resolved] == [
        ("kms-exclusion-gap", "fail", "waived")]


def test_no_stage_asked_for_leaves_findings_and_adds_no_section() -> None:
    findings = [finding("kms-exclusion-gap", "fail")]
    assert post_process(findings, [], PostProcessing(), TODAY) == (findings, Sections())
    assert not {"waivers", "framework", "baseline"} & set(to_document(sample_report()))


# -- the written document -------------------------------------------------------------------------

def test_findings_json_is_the_document_with_one_finding_per_line() -> None:
    report = sample_report(ALL_SECTIONS)
    text = report_json(report)
    written = json.loads(text)
    resolve = resolver(written.pop("shared"), "findings.json")
    written["findings"] = [{**entry, "evidence": resolve(entry["evidence"])} for entry in written["findings"]]
    assert written == to_document(report)
    lines = text.splitlines()
    finding_lines = [line for line in lines if line.startswith('    {"rule_id":')]
    assert len(finding_lines) == len(report.findings)
    for line, expected in zip(finding_lines, to_document(report)["findings"], strict=True):
        entry = json.loads(line.rstrip(","))  # a finding's line parses alone
        assert {**entry, "evidence": resolve(entry["evidence"])} == expected
    assert lines[0] == "{" and lines[-1] == "}" and text.endswith("}\n")


def test_findings_json_is_byte_identical_apart_from_generated_at() -> None:
    first = sample_report(ALL_SECTIONS)
    again = dataclasses.replace(sample_report(ALL_SECTIONS), generated_at="2030-01-01T00:00:00Z")
    pairs = zip(report_json(first).splitlines(), report_json(again).splitlines(), strict=True)
    changed = [(a, b) for a, b in pairs if a != b]
    assert changed == [(f'  "generated_at": "{first.generated_at}",', '  "generated_at": "2030-01-01T00:00:00Z",')]
    assert report_json(first) == report_json(sample_report(ALL_SECTIONS))


def test_findings_json_writes_a_non_finite_number_as_its_name() -> None:
    odd = Finding(rule_id="kms-exclusion-gap", severity="high", status="error", account_id="111111111111",
                  region="us-east-1", resource=None, message="odd", evidence={"values": {"x": float("nan")}})
    (entry,) = json.loads(report_json(sample_report(findings=[odd])))["findings"]
    assert entry["evidence"] == {"values": {"x": "nan"}}


# -- compact evidence ----------------------------------------------------------------------------

def test_a_pass_names_the_trails_that_decided_it_and_a_failure_keeps_every_row(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Two logging trails, one writing only and one reading only, both excluding KMS: the
    account has a trail (both qualify), KMS writes are logged by neither (every row, with its
    reason)."""
    estate = snapshot(account(MANAGEMENT,
                              trail("writes", EventSelectors=[basic("WriteOnly", exclude=(KMS,))]),
                              trail("reads", EventSelectors=[basic("ReadOnly", exclude=(KMS,))])))
    findings = scan_findings(capsys, tmp_path, estate, "--rules", "kms-exclusion-gap,cloudtrail-enabled")
    fail = find(findings, "kms-exclusion-gap", region="eu-west-1")
    assert fail["status"] == "fail"
    for probe in fail["evidence"]["probes"]:
        assert "account_id" not in probe  # the finding's own account
        assert {row["arn"]: row["decision"] for row in probe["trails"]} == {
            trail_arn("writes"): "excluded", trail_arn("reads"): "not-selected"}
        assert all(row["reason"] for row in probe["trails"])
    enabled = find(findings, "cloudtrail-enabled")
    assert enabled["status"] == "pass"
    assert enabled["evidence"] == {"decided_by": [trail_arn("reads"), trail_arn("writes")]}


def test_a_pass_of_a_union_names_every_trail_that_logs_part_of_it(capsys: pytest.CaptureFixture[str],
                                                                  tmp_path: Path) -> None:
    """Neither trail logs every management event, together they do; the data-only trail logs
    none of them and is not named."""
    estate = snapshot(account(MANAGEMENT, trail("writes", EventSelectors=[basic("WriteOnly")]),
                              trail("reads", EventSelectors=[basic("ReadOnly")]),
                              trail("data-only", EventSelectors=[basic(management=False,
                                                                       data=(("AWS::S3::Object", ("arn:aws:s3",)),))])))
    findings = scan_findings(capsys, tmp_path, estate, "--rules", "management-events-coverage")
    covered = find(findings, "management-events-coverage", region="us-east-1")
    assert covered["status"] == "pass"
    assert covered["evidence"] == {"decided_by": [trail_arn("reads"), trail_arn("writes")]}
