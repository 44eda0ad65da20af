"""The report formats (SARIF, HTML, JUnit, Markdown, CSV) render the same Report faithfully,
safely (hostile trail names stay text) and deterministically."""

from __future__ import annotations

import csv
import io
import json
import random
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from conftest import SHARED
from hypothesis import given, settings
from hypothesis import strategies as st

from checker.findings import Finding, Report
from checker.formats import csv_format, html, junit, markdown, sarif
from checker.formats.interface import Format
from checker.policy.model import ConfigRule, LoggedRequirement
from checker.report.frameworks import framework_view

HOSTILE = "<script>alert(1)</script>"
CIS = "cis-aws-foundations-v3.0"
ALL_FORMATS: list[Format] = [sarif.FORMAT, html.FORMAT, junit.FORMAT, markdown.FORMAT, csv_format.FORMAT]

RULES: list[dict[str, Any]] = [
    {"id": "cloudtrail-tampering", "title": "CloudTrail configuration tampering", "severity": "critical",
     "scope": "event", "description": "Someone stopped, deleted or changed a trail.",
     "remediation": "Investigate the principal.", "frameworks": {CIS: ["4.5"]},
     "source": "policies/events.yaml:40"},
    {"id": "kms-exclusion-gap", "title": "KMS write events are logged", "severity": "high", "scope": "region",
     "description": "DisableKey and ScheduleKeyDeletion must be recorded.",
     "remediation": "Remove kms.amazonaws.com from ExcludeManagementEventSources.",
     "frameworks": {CIS: ["3.1"], "nist-800-53-r5": ["AU-2"]}, "source": "policies/coverage.yaml:12"},
    {"id": "log-file-validation", "title": "Log file validation is on", "severity": "medium", "scope": "trail",
     "description": "Digest files prove logs were not altered.", "remediation": "Enable validation.",
     "frameworks": {CIS: ["3.2"]}, "source": "policies/trails.yaml:5"},
    {"id": "ssm-controlchannel-data-events", "title": "SSM control-channel data events are logged",
     "severity": "medium", "scope": "region", "description": "Session Manager data events.",
     "remediation": "Add an advanced event selector.", "frameworks": {}, "source": "policies/ssm.yaml:3"},
    {"id": "kms-read-events-excluded", "title": "KMS read events are logged", "severity": "low",
     "scope": "region", "description": "Decrypt and GenerateDataKey.", "remediation": "",
     "frameworks": {}, "source": "policies/coverage.yaml:30"},
    {"id": "insights-enabled", "title": "Insights are enabled", "severity": "low", "scope": "account",
     "description": "Insights.", "remediation": "Enable Insights.", "frameworks": {},
     "source": "policies/account.yaml:1"},
]


def finding(rule_id: str, severity: str, status: str, account: str | None, region: str | None,
            resource: str | None = None, message: str = "", **kwargs: Any) -> Finding:
    rule = next((r for r in RULES if r["id"] == rule_id), {})
    return Finding(rule_id=rule_id, title=rule.get("title", rule_id), severity=severity,  # type: ignore[arg-type]
                   status=status, account_id=account, region=region, resource=resource,  # type: ignore[arg-type]
                   message=message or f"{rule_id} is {status} in {account}/{region}",
                   remediation=rule.get("remediation", ""), frameworks=rule.get("frameworks", {}),
                   **kwargs)


HOSTILE_TRAIL = f"arn:aws:cloudtrail:us-east-1:222222222222:trail/{HOSTILE}"


def sample_findings() -> list[Finding]:
    return [
        finding("kms-exclusion-gap", "high", "fail", "111111111111", "eu-west-1",
                evidence={"trails": [{"arn": "arn:aws:cloudtrail:us-east-1:111111111111:trail/org",
                                      "decision": "excluded"}]}),
        finding("kms-exclusion-gap", "high", "pass", "111111111111", "us-east-1"),
        finding("kms-exclusion-gap", "high", "pass", "222222222222", "us-east-1"),
        finding("ssm-controlchannel-data-events", "medium", "error", "222222222222", "eu-west-1",
                message="AccessDenied calling GetEventSelectors"),
        finding("kms-read-events-excluded", "low", "waived", "222222222222", "us-east-1"),
        finding("log-file-validation", "medium", "fail", "222222222222", "us-east-1", HOSTILE_TRAIL,
                message=f"Trail {HOSTILE} | has validation off\nsecond line",
                evidence={"trail": HOSTILE}),
        finding("log-file-validation", "medium", "skipped", "111111111111", "us-east-1",
                "arn:aws:cloudtrail:us-east-1:111111111111:trail/org", message="not logging"),
        finding("cloudtrail-tampering", "critical", "fail", "111111111111", "us-east-1",
                "arn:aws:iam::111111111111:user/mallory", message="StopLogging by mallory"),
        finding("insights-enabled", "low", "pass", "222222222222", None),
    ]


def sample_report(extra: dict[str, Any] | None = None, snapshot: str | None = "snapshots/estate.json",
                  findings: list[Finding] | None = None) -> Report:
    inputs: dict[str, Any] = {"events": {"read": 12, "skipped": 0, "sources": ["events/"]},
                              "policies": [{"path": "policies/coverage.yaml", "sha256": "ab" * 32}]}
    if snapshot:
        inputs["snapshot"] = {"path": snapshot, "sha256": "cd" * 32, "collected_at": "2024-05-01T00:00:00Z"}
    return Report(findings=sample_findings() if findings is None else findings, inputs=inputs,
                  generated_at="2024-05-01T12:00:00Z", extra={"rules": RULES, **(extra or {})})


BASELINE = {
    "path": "reports/last-night.json",
    "new": [{**finding("cloudtrail-tampering", "critical", "fail", "111111111111", "us-east-1",
                       "arn:aws:iam::111111111111:user/mallory").to_dict(), "was": "absent", "now": "fail"}],
    "resolved": [{**finding("insights-enabled", "low", "fail", "111111111111", None).to_dict(),
                  "was": "fail", "now": "pass"}],
    "still_failing": [finding("kms-exclusion-gap", "high", "fail", "111111111111", "eu-west-1").to_dict()],
}
FRAMEWORK = {"id": CIS, "controls": [
    {"control": "3.1", "status": "fail", "rules": ["kms-exclusion-gap"], "counts": {"pass": 2, "fail": 1}},
    {"control": "3.2", "status": "fail", "rules": ["log-file-validation"],
     "counts": {"fail": 1, "skipped": 1}},
    {"control": "3.9", "status": "not-evaluated", "rules": [], "counts": {}},
]}
WAIVERS = {"path": "waivers.yaml",
           "applied": [{"rule_id": "kms-read-events-excluded", "account_id": "222222222222",
                        "reason": "volume", "owner": "sec@example.com", "expires": "2099-01-01",
                        "source": "waivers.yaml:3", "fingerprints": ["f1", "f2"]}],
           "expired": [{"rule_id": "insights-enabled", "reason": f"old {HOSTILE}", "owner": "ops",
                        "expires": "2020-01-01"}],
           "unused": []}


# --- all formats ---------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ALL_FORMATS, ids=lambda f: f.name)
def test_output_is_deterministic_and_independent_of_finding_order(fmt: Format) -> None:
    shuffled = sample_findings()
    random.Random(7).shuffle(shuffled)
    extra = {"baseline": BASELINE, "framework": FRAMEWORK, "waivers": WAIVERS}
    first = fmt.render(sample_report(extra))
    assert first == fmt.render(sample_report(extra))
    assert first == fmt.render(sample_report(extra, findings=shuffled))


def test_format_names_and_files_match_the_spec() -> None:
    assert {(f.name, f.filename) for f in ALL_FORMATS} == {
        ("sarif", "findings.sarif"), ("html", "findings.html"), ("junit", "findings.junit.xml"),
        ("md", "findings.md"), ("csv", "findings.csv")}


# --- SARIF ---------------------------------------------------------------------------------

def render_sarif(report: Report) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(sarif.FORMAT.render(report))
    return data


@pytest.mark.parametrize("extra", [{}, {"baseline": BASELINE}], ids=["plain", "baseline"])
def test_sarif_is_valid_against_the_official_schema(extra: dict[str, Any]) -> None:
    schema = json.loads((SHARED / "schemas" / "sarif-2.1.0.json").read_text())
    jsonschema.validators.validator_for(schema)(schema).validate(render_sarif(sample_report(extra)))


def test_sarif_results_are_the_fail_and_error_findings_with_mapped_levels() -> None:
    results = render_sarif(sample_report())["runs"][0]["results"]
    by_unit = {(r["ruleId"], r["locations"][0]["logicalLocations"][-1]["fullyQualifiedName"]): r
               for r in results}
    assert {(rule, r["level"]) for (rule, _), r in by_unit.items()} == {
        ("cloudtrail-tampering", "error"), ("kms-exclusion-gap", "error"),
        ("log-file-validation", "warning"), ("ssm-controlchannel-data-events", "error")}
    error = by_unit[("ssm-controlchannel-data-events", "222222222222/eu-west-1")]
    assert error["message"]["text"].startswith("AccessDenied calling GetEventSelectors")
    assert "could not evaluate" in error["message"]["text"]


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
    changed = sample_report()
    changed.findings[-2].message = "StopLogging twice"
    assert render_sarif(changed)["runs"][0]["results"][0]["partialFingerprints"] == \
        tampering["partialFingerprints"]


def test_sarif_rules_carry_help_tags_and_security_severity() -> None:
    rules = {r["id"]: r for r in render_sarif(sample_report())["runs"][0]["tool"]["driver"]["rules"]}
    assert sorted(rules) == sorted(r["id"] for r in RULES)
    kms = rules["kms-exclusion-gap"]
    assert kms["name"] == "KmsExclusionGap"
    assert kms["properties"]["security-severity"] == "8.0"
    assert f"{CIS}:3.1" in kms["properties"]["tags"] and "nist-800-53-r5:AU-2" in kms["properties"]["tags"]
    assert kms["defaultConfiguration"]["level"] == "error"
    assert "Remove kms.amazonaws.com" in kms["help"]["markdown"]
    assert kms["fullDescription"]["text"] == "DisableKey and ScheduleKeyDeletion must be recorded."
    assert rules["cloudtrail-tampering"]["properties"]["security-severity"] == "9.5"
    assert rules["insights-enabled"]["defaultConfiguration"]["level"] == "note"


def test_sarif_location_is_the_snapshot_relative_to_the_working_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    snapshot = tmp_path / "snap shots" / "estate.json"
    location = render_sarif(sample_report(snapshot=str(snapshot)))["runs"][0]["results"][0]["locations"][0]
    assert location["physicalLocation"] == {"artifactLocation": {"uri": "snap%20shots/estate.json"},
                                            "region": {"startLine": 1}}


def test_sarif_location_without_snapshot_is_the_rules_policy_file() -> None:
    results = render_sarif(sample_report(snapshot=None))["runs"][0]["results"]
    kms = next(r for r in results if r["ruleId"] == "kms-exclusion-gap")
    assert kms["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "policies/coverage.yaml"}, "region": {"startLine": 12}}


def test_sarif_marks_new_and_unchanged_results_against_the_baseline() -> None:
    results = render_sarif(sample_report({"baseline": BASELINE}))["runs"][0]["results"]
    states = {r["ruleId"]: r.get("baselineState") for r in results}
    assert states["cloudtrail-tampering"] == "new"
    assert states["kms-exclusion-gap"] == "unchanged"


def test_sarif_describes_rules_only_seen_in_findings() -> None:
    report = Report(findings=[finding("custom-rule", "low", "fail", "111111111111", None)], inputs={},
                    generated_at="")
    run = render_sarif(report)["runs"][0]
    assert run["tool"]["driver"]["rules"][0]["id"] == "custom-rule"
    assert run["results"][0]["ruleIndex"] == 0
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
    assert f"_{3000 - shown} more rows not shown" in text


def test_markdown_baseline_and_framework_sections() -> None:
    text = markdown.FORMAT.render(sample_report({"baseline": BASELINE, "framework": FRAMEWORK}))
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
                                    "remediation,frameworks,fingerprint,evidence")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 9
    kms = next(r for r in rows if r["rule_id"] == "kms-exclusion-gap" and r["status"] == "fail")
    assert kms["frameworks"] == f"{CIS}:3.1;nist-800-53-r5:AU-2"
    assert json.loads(kms["evidence"])["trails"][0]["decision"] == "excluded"
    insights = next(r for r in rows if r["rule_id"] == "insights-enabled")
    assert (insights["account_id"], insights["region"], insights["resource"]) == ("222222222222", "", "")
    hostile = next(r for r in rows if r["resource"] == HOSTILE_TRAIL)
    assert hostile["message"] == f"Trail {HOSTILE} | has validation off\nsecond line"


def test_csv_neutralises_spreadsheet_formulas() -> None:
    evil = finding("log-file-validation", "medium", "fail", "1", "r", "=HYPERLINK(\"http://x\")")
    row = next(csv.DictReader(io.StringIO(csv_format.FORMAT.render(sample_report(findings=[evil])))))
    assert row["resource"] == "'=HYPERLINK(\"http://x\")"


# --- HTML (text; the browser test is in test_format_html.py) -------------------------------

def full_html() -> str:
    return html.FORMAT.render(sample_report({"baseline": BASELINE, "framework": FRAMEWORK, "waivers": WAIVERS}))


def test_html_escapes_every_hostile_value() -> None:
    page = full_html()
    assert HOSTILE not in page
    assert page.count("<script>") == 1  # our own filter script, nothing else
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&quot;&lt;script&gt;alert(1)&lt;/script&gt;&quot;" in page  # evidence pretty JSON


def test_html_is_self_contained() -> None:
    page = full_html()
    for external in ("src=", "<link", "@import", "url(", "http://", "https://"):
        assert external not in page
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_html_coverage_grid_takes_the_worst_status_per_account_and_region() -> None:
    page = html.FORMAT.render(sample_report())
    grid = page.split('id="coverage"', 1)[1].split("</section>", 1)[0]
    assert "<th>eu-west-1</th><th>us-east-1</th>" in grid
    cells = grid.split('<td class="cell ')[1:]
    # 111.. eu-west-1: fail; 111.. us-east-1: pass; 222.. eu-west-1: error; 222.. us-east-1: waived+pass
    assert [c.split('"', 1)[0] for c in cells] == ["k-fail", "k-pass", "k-error", "k-waived"]
    assert 'title="111111111111 / eu-west-1&#10;fail: kms-exclusion-gap"' in grid.replace("\n", "&#10;")
    assert "<span>1 waived</span><span>1 pass</span>" in cells[3]


def test_html_findings_rows_are_filterable_and_carry_evidence() -> None:
    page = html.FORMAT.render(sample_report())
    assert page.count('<tr data-status="') == 9
    assert '<tr data-status="fail" data-severity="critical">' in page
    assert '<form id="filters" hidden>' in page  # shown by the script only
    assert "<details><summary>evidence</summary>" in page
    assert "&quot;decision&quot;: &quot;excluded&quot;" in page


def test_html_optional_sections_follow_report_extra() -> None:
    plain = html.FORMAT.render(sample_report())
    for anchor in ('id="baseline"', 'id="framework"', 'id="waivers"'):
        assert anchor not in plain
    page = full_html()
    baseline = page.split('id="baseline"', 1)[1].split("</section>", 1)[0]
    assert "reports/last-night.json" in baseline
    assert '<span class="badge k-fail">fail</span> <span class="muted">was absent</span>' in baseline
    assert '<span class="badge k-pass">pass</span> <span class="muted">was fail</span>' in baseline
    framework = page.split('id="framework"', 1)[1].split("</section>", 1)[0]
    assert "3.9" in framework and 'class="badge k-not-evaluated"' in framework
    waivers = page.split('id="waivers"', 1)[1].split("</section>", 1)[0]
    assert "Applied (1)" in waivers and "Expired (ignored) (1)" in waivers and "Unused (0)" in waivers
    assert "<td>sec@example.com</td><td>2099-01-01</td><td>waivers.yaml:3</td><td class=\"num\">2</td>" in waivers


# --- one status order everywhere --------------------------------------------------------------

@pytest.mark.parametrize(("statuses", "worst"), [
    (("pass", "error"), "error"), (("error", "fail"), "fail"), (("waived", "pass"), "waived"),
    (("skipped", "pass"), "pass")])
def test_a_control_and_a_grid_cell_show_the_same_worst_status(statuses: tuple[str, str], worst: str) -> None:
    """Two region rules of one control, one finding each in one (account, region): the framework
    view and the coverage grid on the same page agree on the status an auditor reads."""
    rules = [ConfigRule(id=rule_id, title=rule_id, severity="high", scope="region", source="p.yaml:1",
                        require=LoggedRequirement(()), frameworks={CIS: ["3.1"]})
             for rule_id in ("kms-exclusion-gap", "kms-read-events-excluded")]
    findings = [finding(rule.id, "high", status, "111111111111", "eu-west-1")
                for rule, status in zip(rules, statuses, strict=True)]
    view = framework_view(CIS, rules, findings)
    page = html.FORMAT.render(sample_report({"framework": view}, findings=findings))
    framework = page.split('id="framework"', 1)[1].split("</section>", 1)[0]
    assert f'<td><span class="badge k-{worst}">{worst}</span></td>' in framework
    grid = page.split('id="coverage"', 1)[1].split("</section>", 1)[0]
    assert f'<td class="cell k-{worst}"' in grid


def test_sarif_lists_the_worst_results_first() -> None:
    results = render_sarif(sample_report())["runs"][0]["results"]
    assert [(r["properties"]["status"], r["properties"]["severity"]) for r in results] == [
        ("fail", "critical"), ("fail", "high"), ("fail", "medium"), ("error", "medium")]


# --- any text from an audited account survives every format --------------------------------

@settings(max_examples=60, deadline=None)
@given(text=st.text(min_size=1, max_size=40))
def test_arbitrary_text_cannot_break_any_format(text: str) -> None:
    hostile = finding("log-file-validation", "medium", "fail", "222222222222", "us-east-1", f"arn:{text}",
                      message=text, evidence={"name": text})
    report = sample_report(findings=[hostile, *sample_findings()])

    page = html.FORMAT.render(report)
    assert html.escape(text) in page and page.count("<script>") == 1
    body = page.split('id="findings-table"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert body.count("<tr data-status=") == body.count("<tr") == body.count("</tr>") == 10

    case = ET.fromstring(junit.FORMAT.render(report)).find("testsuite[@name='log-file-validation']/testcase")
    assert case is not None and case.get("classname") == "log-file-validation"

    rows = list(csv.DictReader(io.StringIO(csv_format.FORMAT.render(report), newline="")))
    assert len(rows) == 10
    written = text.replace("\r\n", "\n").replace("\r", "\n")
    assert any(r["message"] in (written, f"'{written}") for r in rows if r["rule_id"] == "log-file-validation")

    table = markdown.FORMAT.render(report).split("## Failing and error findings", 1)[1]
    assert all(line.count(" | ") == 6 for line in table.splitlines() if line.startswith("| "))
