"""The typed report and its v2 JSON document, and post-processing (findings in, findings and
sections out) in the order a user relies on."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import jsonschema
import pytest

from checker.findings import Finding, Location, RuleInfo, Status
from checker.report import PostProcessing, post_process
from checker.report.baseline import Baseline
from checker.report.document import to_document
from checker.report.model import Inputs, Report, Sections
from checker.report.waivers import Waiver, WaiverFile
from tests.helpers.cli import run_cli
from tests.helpers.reports import ALL_SECTIONS, RULES, sample_report

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
