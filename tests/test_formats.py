"""The report formats (SARIF, HTML, JUnit, Markdown, CSV) render the same Report faithfully,
safely (hostile trail names stay text) and deterministically."""

from __future__ import annotations

import csv
import io
import json
import random
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checker.findings import Location
from checker.formats import FORMAT_MODULES, csv_format, format_named, html, junit, markdown, sarif
from checker.formats.interface import Format
from checker.report.model import Report, Sections
from tests.helpers.data import SCHEMAS, data_file
from tests.helpers.reports import (
    ALL_SECTIONS,
    BASELINE,
    CIS,
    CIS_DOC,
    FRAMEWORK,
    HOSTILE,
    HOSTILE_TRAIL,
    RULES,
    embedded_findings,
    finding,
    sample_findings,
    sample_report,
)

ALL_FORMATS: list[Format] = [sarif.FORMAT, html.FORMAT, junit.FORMAT, markdown.FORMAT, csv_format.FORMAT]


# --- all formats ---------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ALL_FORMATS, ids=lambda f: f.name)
def test_output_is_deterministic_and_independent_of_finding_order(fmt: Format) -> None:
    shuffled = sample_findings()
    random.Random(7).shuffle(shuffled)
    first = fmt.render(sample_report(ALL_SECTIONS))
    assert first == fmt.render(sample_report(ALL_SECTIONS))
    assert first == fmt.render(sample_report(ALL_SECTIONS, findings=shuffled))


def test_format_names_and_files_match_the_spec() -> None:
    assert {name: (format_named(name).name, format_named(name).filename) for name in FORMAT_MODULES} == {
        "table": ("table", None), "json": ("json", "findings.json"), "jsonl": ("jsonl", "findings.jsonl"),
        "sarif": ("sarif", "findings.sarif"), "html": ("html", "findings.html"),
        "junit": ("junit", "findings.junit.xml"), "md": ("md", "findings.md"), "csv": ("csv", "findings.csv")}


# --- SARIF ---------------------------------------------------------------------------------

def render_sarif(report: Report) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(sarif.FORMAT.render(report))
    return data


@pytest.mark.parametrize("sections", [Sections(), Sections(baseline=BASELINE)], ids=["plain", "baseline"])
def test_sarif_is_valid_against_the_official_schema(sections: Sections) -> None:
    schema = json.loads(data_file(SCHEMAS, "sarif-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.validators.validator_for(schema)(schema).validate(render_sarif(sample_report(sections)))


def test_sarif_results_are_the_fail_and_error_findings_with_mapped_levels() -> None:
    results = render_sarif(sample_report())["runs"][0]["results"]
    by_unit = {(r["ruleId"], r["locations"][0]["logicalLocations"][-1]["fullyQualifiedName"]): r
               for r in results}
    assert {(rule, r["level"]) for (rule, _), r in by_unit.items()} == {
        ("cloudtrail-tampering", "error"), ("kms-exclusion-gap", "error"),
        ("log-file-validation", "warning"), ("ssm-controlchannel-data-events", "error")}
    error = by_unit[("ssm-controlchannel-data-events", "222222222222")]  # a region rule: per account
    assert error["message"]["text"].startswith("error in 1 of 1 Region (eu-west-1). eu-west-1: AccessDenied calling")
    assert error["properties"]["regions"] == {"error": ["eu-west-1"]}
    assert "could not evaluate" in error["message"]["text"]


def test_sarif_lists_the_worst_results_first() -> None:
    results = render_sarif(sample_report())["runs"][0]["results"]
    assert [(r["properties"]["status"], r["properties"]["severity"]) for r in results] == [
        ("fail", "critical"), ("fail", "high"), ("fail", "medium"), ("error", "medium")]


def test_sarif_fingerprints_and_logical_locations_identify_the_unit() -> None:
    report = sample_report()
    results = render_sarif(report)["runs"][0]["results"]
    tampering = next(r for r in results if r["ruleId"] == "cloudtrail-tampering")
    expected = next(f for f in report.findings if f.rule_id == "cloudtrail-tampering").fingerprint
    assert tampering["partialFingerprints"] == {"trailcheck/v1": expected}
    assert [(loc["kind"], loc["fullyQualifiedName"]) for loc in tampering["locations"][0]["logicalLocations"]] \
        == [("account", "111111111111"), ("region", "111111111111/us-east-1"),
            ("resource", "111111111111/us-east-1/arn:aws:iam::111111111111:user/mallory")]
    # Same unit, different message: the fingerprint does not move.
    reworded = [replace(f, message="StopLogging twice") if f.rule_id == "cloudtrail-tampering" else f
                for f in sample_findings()]
    assert render_sarif(sample_report(findings=reworded))["runs"][0]["results"][0]["partialFingerprints"] == \
        tampering["partialFingerprints"]


def test_sarif_rules_carry_help_tags_and_security_severity() -> None:
    rules = {r["id"]: r for r in render_sarif(sample_report())["runs"][0]["tool"]["driver"]["rules"]}
    assert sorted(rules) == sorted(RULES)
    kms = rules["kms-exclusion-gap"]
    assert kms["name"] == "KmsExclusionGap"
    assert kms["properties"]["security-severity"] == "8.0"
    assert f"{CIS}:3.1" in kms["properties"]["tags"] and "nist-800-53-r5:AU-2" in kms["properties"]["tags"]
    assert kms["defaultConfiguration"]["level"] == "error"
    assert "Remove kms.amazonaws.com" in kms["help"]["markdown"]
    assert kms["fullDescription"]["text"] == "DisableKey and ScheduleKeyDeletion must be recorded."
    assert rules["cloudtrail-tampering"]["properties"]["security-severity"] == "9.5"
    assert rules["insights-enabled"]["defaultConfiguration"]["level"] == "note"


def test_sarif_help_uri_is_the_rules_first_reference() -> None:
    rules = {r["id"]: r for r in render_sarif(sample_report())["runs"][0]["tool"]["driver"]["rules"]}
    assert rules["kms-exclusion-gap"]["helpUri"] == CIS_DOC
    assert f"- <{CIS_DOC}>" in rules["kms-exclusion-gap"]["help"]["markdown"]
    assert "helpUri" not in rules["insights-enabled"]


def test_sarif_location_is_the_snapshot_relative_to_the_working_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    snapshot = tmp_path / "snap shots" / "estate.json"
    location = render_sarif(sample_report(snapshot=str(snapshot)))["runs"][0]["results"][0]["locations"][0]
    assert location["physicalLocation"] == {"artifactLocation": {"uri": "snap%20shots/estate.json",
                                                                 "uriBaseId": "%SRCROOT%"},
                                            "region": {"startLine": 1}}


def test_sarif_location_without_snapshot_is_the_rules_policy_file() -> None:
    results = render_sarif(sample_report(snapshot=None))["runs"][0]["results"]
    kms = next(r for r in results if r["ruleId"] == "kms-exclusion-gap")
    assert kms["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "policies/coverage.yaml", "uriBaseId": "%SRCROOT%"}, "region": {"startLine": 12}}


def test_sarif_marks_new_and_unchanged_results_against_the_baseline() -> None:
    results = render_sarif(sample_report(Sections(baseline=BASELINE)))["runs"][0]["results"]
    states = {r["ruleId"]: r.get("baselineState") for r in results}
    assert states["cloudtrail-tampering"] == "new"
    assert states["kms-exclusion-gap"] == "unchanged"


def test_sarif_puts_a_finding_on_code_at_its_file_and_line() -> None:
    on_code = finding("log-file-validation", "medium", "fail", "111111111111", "eu-west-1",
                      "module.logging.aws_cloudtrail.org", location=Location("infra/logging/main.tf", 42))
    result = render_sarif(sample_report(findings=[on_code]))["runs"][0]["results"][0]
    assert result["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "infra/logging/main.tf", "uriBaseId": "%SRCROOT%"}, "region": {"startLine": 42}}


def test_sarif_lists_every_rule_in_effect_and_indexes_results_into_them() -> None:
    run = render_sarif(sample_report(findings=[finding("insights-enabled", "low", "fail", "111111111111", None)]))
    run = run["runs"][0]
    assert [rule["id"] for rule in run["tool"]["driver"]["rules"]] == sorted(RULES)
    assert run["results"][0]["ruleIndex"] == sorted(RULES).index("insights-enabled")
    assert run["results"][0]["level"] == "note"


# --- JUnit ---------------------------------------------------------------------------------

def test_junit_has_a_suite_per_rule_and_a_case_per_finding() -> None:
    root = ET.fromstring(junit.FORMAT.render(sample_report()))
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("errors"), root.get("skipped")) == \
        ("9", "3", "1", "2")
    suites = {s.get("name", ""): s for s in root.iter("testsuite")}
    assert sorted(suites) == ["cloudtrail-tampering", "insights-enabled", "kms-exclusion-gap",
                              "kms-read-events-excluded", "log-file-validation",
                              "ssm-controlchannel-data-events"]
    validation = suites["log-file-validation"]
    assert (validation.get("tests"), validation.get("failures"), validation.get("skipped")) == ("2", "1", "1")
    failing = next(c for c in validation.iter("testcase") if c.find("failure") is not None)
    assert failing.get("classname") == "log-file-validation"
    assert failing.get("name") == f"222222222222/us-east-1/{HOSTILE_TRAIL}"
    failure = failing.find("failure")
    assert failure is not None and failure.get("type") == "medium"
    assert HOSTILE in (failure.get("message") or "") and HOSTILE in (failure.text or "")
    error_case = next(suites["ssm-controlchannel-data-events"].iter("testcase"))
    assert error_case.find("error") is not None
    waived = next(suites["kms-read-events-excluded"].iter("testcase")).find("skipped")
    assert waived is not None and (waived.get("message") or "").startswith("waived: ")


def test_junit_stays_well_formed_with_control_characters() -> None:
    bad = finding("log-file-validation", "medium", "fail", "1", "r", message="bell\x07 and nul\x00 here")
    root = ET.fromstring(junit.FORMAT.render(sample_report(findings=[bad])))
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None and failure.get("message") == "bell and nul here"


# --- Markdown ------------------------------------------------------------------------------

def test_markdown_summarises_and_lists_failing_and_error_findings_escaped() -> None:
    text = markdown.FORMAT.render(sample_report())
    assert text.startswith("# trailcheck findings\n")
    assert "| fail | error | waived | pass | skipped |" in text
    assert "| 3 | 1 | 1 | 3 | 1 |" in text
    section = text.split("## Failing and error findings", 1)[1]
    rows = [line for line in section.splitlines() if line.startswith("| ")][1:]
    assert [row.split(" | ")[2] for row in rows] == [
        "cloudtrail-tampering", "kms-exclusion-gap", "log-file-validation", "ssm-controlchannel-data-events"]
    assert HOSTILE not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; \\| has validation off<br>second line" in text
    assert all(row.count(" | ") == 6 for row in rows)


def test_markdown_is_capped_and_says_how_many_rows_were_left_out() -> None:
    many = [finding("kms-exclusion-gap", "high", "fail", f"{n:012d}", "eu-west-1", message="x" * 80)
            for n in range(3000)]
    text = markdown.FORMAT.render(sample_report(findings=many))
    assert len(text) <= markdown.MAX_CHARS
    shown = sum(1 for line in text.splitlines() if line.startswith("| fail | high |"))
    assert 100 < shown < 3000
    assert f"_{3000 - shown:,} more rows not shown" in text
    assert "Every finding is in the JSON and HTML reports" in text


def test_markdown_baseline_and_framework_sections() -> None:
    text = markdown.FORMAT.render(sample_report(Sections(baseline=BASELINE, framework=FRAMEWORK)))
    assert "## Changes since baseline" in text
    assert "Compared with reports/last-night.json: 1 new, 1 resolved, 1 still failing." in text
    assert "### New" in text and "### Resolved" in text and "### Still failing" in text
    assert f"## Framework {CIS}" in text
    assert "| 3.1 | fail | kms-exclusion-gap | 1 | 0 | 0 | 2 | 0 |" in text
    assert "| 3.9 | not-evaluated |  | 0 | 0 | 0 | 0 | 0 |" in text
    plain = markdown.FORMAT.render(sample_report())
    assert "Changes since baseline" not in plain and "## Framework" not in plain


def test_write_step_summary_appends_when_github_step_summary_is_set(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    assert markdown.write_step_summary("# ignored") is False
    summary = tmp_path / "summary.md"
    summary.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert markdown.write_step_summary("# trailcheck") is True
    assert summary.read_text() == "earlier step\n# trailcheck\n"


def test_write_step_summary_reports_an_unwritable_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from checker.errors import InputError

    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path / "missing-dir" / "summary.md"))
    with pytest.raises(InputError, match=r"GITHUB_STEP_SUMMARY=.*cannot append"):
        markdown.write_step_summary("x")


# --- CSV -----------------------------------------------------------------------------------

def test_csv_has_one_row_per_finding_with_stable_columns() -> None:
    text = csv_format.FORMAT.render(sample_report())
    assert "\r" not in text and text.endswith("\n")  # \n row endings, not the csv default CRLF
    assert text.splitlines()[0] == ("rule_id,title,severity,status,account_id,region,resource,message,"
                                    "remediation,frameworks,fingerprint,evidence,location")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 9
    kms = next(r for r in rows if r["rule_id"] == "kms-exclusion-gap" and r["status"] == "fail")
    assert kms["frameworks"] == f"{CIS}:3.1;nist-800-53-r5:AU-2"
    assert json.loads(kms["evidence"])["trails"][0]["decision"] == "excluded"
    insights = next(r for r in rows if r["rule_id"] == "insights-enabled")
    assert (insights["account_id"], insights["region"], insights["resource"]) == ("222222222222", "", "")
    hostile = next(r for r in rows if r["resource"] == HOSTILE_TRAIL)
    assert hostile["message"] == f"Trail {HOSTILE} | has validation off\nsecond line"


def test_csv_gives_the_file_and_line_of_a_finding_on_code() -> None:
    on_code = finding("log-file-validation", "medium", "fail", "111111111111", "eu-west-1",
                      "module.logging.aws_cloudtrail.org", location=Location("infra/logging/main.tf", 42))
    text = csv_format.FORMAT.render(sample_report(findings=[on_code, *sample_findings()]))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["location"] for r in rows if r["resource"] == "module.logging.aws_cloudtrail.org"] == \
        ["infra/logging/main.tf:42"]
    assert {r["location"] for r in rows if r["resource"] != "module.logging.aws_cloudtrail.org"} == {""}


def test_csv_neutralises_spreadsheet_formulas() -> None:
    evil = finding("log-file-validation", "medium", "fail", "1", "r", "=HYPERLINK(\"http://x\")")
    row = next(csv.DictReader(io.StringIO(csv_format.FORMAT.render(sample_report(findings=[evil])))))
    assert row["resource"] == "'=HYPERLINK(\"http://x\")"


# --- any text from an audited account survives every format --------------------------------

@settings(max_examples=60, deadline=None)
@given(text=st.text(min_size=1, max_size=40))
def test_arbitrary_text_cannot_break_any_format(text: str) -> None:
    hostile = finding("log-file-validation", "medium", "fail", "222222222222", "us-east-1", f"arn:{text}",
                      message=text, evidence={"name": text})
    report = sample_report(findings=[hostile, *sample_findings()])

    page = html.FORMAT.render(report)
    assert page.count("</script") == 3  # the two packed data elements' and the script's end tags, nothing else
    found = embedded_findings(page)
    assert [text, f"arn:{text}", {"name": text}] in [[f["message"], f["resource"], f["evidence"]] for f in found]

    case = ET.fromstring(junit.FORMAT.render(report)).find("testsuite[@name='log-file-validation']/testcase")
    assert case is not None and case.get("classname") == "log-file-validation"

    cells = list(csv.DictReader(io.StringIO(csv_format.FORMAT.render(report), newline="")))
    assert len(cells) == 10
    written = text.replace("\r\n", "\n").replace("\r", "\n")
    assert any(r["message"] in (written, f"'{written}") for r in cells if r["rule_id"] == "log-file-validation")

    table = markdown.FORMAT.render(report).split("## Failing and error findings", 1)[1]
    assert all(line.count(" | ") == 6 for line in table.splitlines() if line.startswith("| "))
