"""Baselines: reading a previous report (v2, or the v1 trailcheck used to write) and telling new,
resolved and still-failing findings apart, in ``trailcheck diff`` and ``scan --baseline``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from checker.errors import InputError
from checker.findings import Finding, RuleInfo, Status
from checker.report.baseline import (
    Baseline,
    BaselineDiff,
    Change,
    diff_findings,
    render_diff_json,
    render_diff_table,
)
from checker.report.document import load_report, report_json
from checker.report.model import Inputs, Report
from tests.helpers.cli import run_cli, scan_report
from tests.helpers.data import ESTATE


def finding(rule_id: str, status: Status, region: str | None = "eu-west-1", message: str = "m") -> Finding:
    return Finding(rule_id=rule_id, severity="high", status=status, account_id="222222222222",
                   region=region, resource=None, message=message)


def report(*findings: Finding) -> Report:
    rules = {f.rule_id: RuleInfo(id=f.rule_id, title=f"title of {f.rule_id}", severity=f.severity) for f in findings}
    return Report(findings=findings, rules=rules, inputs=Inputs(), generated_at="2026-11-20T02:00:00Z")


OLD = report(
    finding("kms-exclusion-gap", "fail"),           # fixed since
    finding("trail-logging", "fail"),               # still failing
    finding("s3-data-events", "error"),             # still failing (now a fail)
    finding("insights-enabled", "fail"),            # waived since
    finding("cloudwatch-logs-integration", "fail"),  # gone from the new report
    finding("log-file-validation", "waived"),       # waiver expired since
    finding("kms-encryption", "pass"),
)
NEW = report(
    finding("kms-exclusion-gap", "pass"),
    finding("trail-logging", "fail", message="reworded"),
    finding("s3-data-events", "fail"),
    finding("insights-enabled", "waived"),
    finding("log-file-validation", "fail"),
    finding("kms-encryption", "pass"),
    finding("organization-trail", "error", region=None),  # not in the old report at all
)


def diff(old: Report, new: Report, path: str = "reports/previous.json") -> BaselineDiff:
    return diff_findings(Baseline(path, old.findings), new.findings)


def ids(changes: tuple[Change, ...]) -> list[tuple[str, str, str]]:
    return [(c.finding.rule_id, c.was, c.now) for c in changes]


def test_diff_sorts_findings_into_new_resolved_and_still_failing() -> None:
    changes = diff(OLD, NEW)
    assert ids(changes.new) == [("log-file-validation", "waived", "fail"), ("organization-trail", "absent", "error")]
    assert ids(changes.resolved) == [("cloudwatch-logs-integration", "fail", "absent"),
                                     ("insights-enabled", "fail", "waived"),
                                     ("kms-exclusion-gap", "fail", "pass")]
    assert ids(changes.still_failing) == [("s3-data-events", "error", "fail"), ("trail-logging", "fail", "fail")]


def test_still_failing_carries_the_new_finding() -> None:
    (_, trail_logging) = diff(OLD, NEW).still_failing
    assert trail_logging.finding.message == "reworded"


def test_identical_reports_have_nothing_new_or_resolved() -> None:
    changes = diff(NEW, NEW)
    assert changes.new == () and changes.resolved == ()
    assert len(changes.still_failing) == 4


def test_report_section_has_finding_objects_with_statuses() -> None:
    section = diff(OLD, NEW).to_dict()
    assert set(section) == {"path", "new", "resolved", "still_failing"}
    assert section["path"] == "reports/previous.json"
    first_new = section["new"][0]
    assert first_new["rule_id"] == "log-file-validation"
    assert (first_new["was"], first_new["now"]) == ("waived", "fail")
    assert first_new["fingerprint"] == finding("log-file-validation", "fail").fingerprint
    assert json.loads(render_diff_json(diff(OLD, NEW))) == section
    # A failing finding of the new run has its evidence under the report's findings, not twice;
    # one that was failing already is named by its fingerprint.
    assert all("evidence" not in c for c in section["new"])
    assert all("evidence" in c for c in section["resolved"])
    assert section["still_failing"][0] == {"fingerprint": finding("s3-data-events", "fail").fingerprint,
                                           "was": "error", "now": "fail"}
    assert all(set(c) == {"fingerprint", "was", "now"} for c in section["still_failing"])


def test_table_has_a_count_line_and_a_row_per_change() -> None:
    table = render_diff_table(diff(OLD, NEW))
    lines = table.splitlines()
    assert lines[0] == "2 new, 3 resolved, 2 still failing"
    assert sum("organization-trail" in line and "absent -> error" in line for line in lines) == 1
    assert sum(line.startswith("resolved") for line in lines) == 3
    assert table.endswith("\n")


def test_table_shortens_long_messages_but_json_keeps_them() -> None:
    long = "x" * 300
    changes = diff(report(), report(finding("trail-logging", "fail", message=long)))
    assert long not in render_diff_table(changes)
    assert "x" * 97 + "..." in render_diff_table(changes)
    assert json.loads(render_diff_json(changes))["new"][0]["message"] == long


def test_table_says_so_when_nothing_fails() -> None:
    clean = report(finding("kms-exclusion-gap", "pass"))
    assert "no failing findings" in render_diff_table(diff(clean, clean))


# Reading reports, v2 and v1 ------------------------------------------------------------------------

def v1_document(source: Report) -> dict[str, Any]:
    """``source`` as trailcheck wrote it before v2: rule metadata repeated in every finding."""
    findings = []
    for f in source.sorted_findings():
        rule = source.rule(f)
        v2 = f.to_dict()
        findings.append({"rule_id": f.rule_id, "title": rule.title,
                         **{k: v2[k] for k in ("severity", "status", "account_id", "region", "resource", "message",
                                               "evidence")},
                         "remediation": "Fix it.", "frameworks": {"cis-aws-foundations-v3.0": ["3.1"]},
                         "fingerprint": f.fingerprint})
    return {"format": "trailcheck.findings/v1", "tool": {"name": "trailcheck", "version": "0.1.0"},
            "generated_at": source.generated_at, "inputs": {"snapshot": None, "events": None, "policies": []},
            "summary": source.summary(), "findings": findings}


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_load_report_round_trips_a_v2_report(tmp_path: Path) -> None:
    loaded = load_report(write(tmp_path / "findings.json", report_json(NEW)))
    assert loaded.sorted_findings() == NEW.sorted_findings()
    assert loaded.rules == NEW.rules
    assert diff(loaded, NEW).new == ()


def test_load_report_reads_a_v1_report_and_its_rule_metadata(tmp_path: Path) -> None:
    loaded = load_report(write(tmp_path / "v1.json", json.dumps(v1_document(NEW))))
    assert loaded.sorted_findings() == NEW.sorted_findings()
    rule = loaded.rules["trail-logging"]
    assert (rule.title, rule.remediation, rule.frameworks) == (
        "title of trail-logging", "Fix it.", {"cis-aws-foundations-v3.0": ("3.1",)})
    assert diff(loaded, NEW).new == ()


VALID = report_json(NEW)


@pytest.mark.parametrize(("content", "where", "problem"), [
    pytest.param(VALID[:80], f":{VALID[:80].count(chr(10)) + 1}:", "invalid JSON", id="truncated"),
    pytest.param(VALID.replace("trailcheck.findings/v2", "trailcheck.snapshot/v1"), "$.format",
                 "trailcheck.findings/v2", id="snapshot-given"),
    pytest.param(VALID.replace('"status":"error"', '"status":"failed"'), "$.findings[", "'failed'",
                 id="bad-status"),
    pytest.param(VALID.replace('"title":"title of trail-logging"', '"title":7'),
                 "$.rules['trail-logging'].title", "not of type 'string'", id="bad-rule"),
    pytest.param(VALID.replace('"rule_id":"trail-logging"', '"rule_id":"no-such-rule"'), "rule_id",
                 "'no-such-rule' is not described under $.rules", id="rule-not-described"),
    pytest.param(json.dumps({**v1_document(NEW), "findings": [{"rule_id": "x"}]}), "$.findings[0]",
                 "required property", id="bad-v1"),
    pytest.param("[]", "$", "not of type 'object'", id="not-an-object"),
])
def test_load_report_rejects_what_is_not_a_findings_report(tmp_path: Path, content: str, where: str,
                                                           problem: str) -> None:
    path = write(tmp_path / "old.json", content)
    with pytest.raises(InputError) as raised:
        load_report(path)
    assert raised.value.where.startswith(str(path))
    assert where in raised.value.where
    assert problem in raised.value.what


def test_load_report_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        load_report(tmp_path / "absent.json")


# The commands ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("version", ["v1", "v2"])
def test_diff_command_reads_v1_and_v2_reports(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                              version: str) -> None:
    old_text = json.dumps(v1_document(OLD)) if version == "v1" else report_json(OLD)
    old = write(tmp_path / "old.json", old_text)
    new = write(tmp_path / "new.json", report_json(NEW))
    result = run_cli(capsys, "diff", str(old), str(new), "--format", "json")
    assert result.code == 0, result.err
    assert json.loads(result.out) == diff(OLD, NEW, str(old)).to_dict()
    table = run_cli(capsys, "diff", str(old), str(new))
    assert table.out.splitlines()[0] == "2 new, 3 resolved, 2 still failing"


@pytest.mark.parametrize("version", ["v1", "v2"])
def test_scan_baseline_reads_v1_and_v2_reports(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                               version: str) -> None:
    _, first = scan_report(capsys, tmp_path / "first", ESTATE)
    assert first["format"] == "trailcheck.findings/v2"
    previous = tmp_path / "first" / "findings.json"
    if version == "v1":
        write(previous, json.dumps(v1_document(load_report(previous))))
    _, second = scan_report(capsys, tmp_path / "second", ESTATE, "--baseline", str(previous))
    failing = {f["fingerprint"] for f in second["findings"] if f["status"] in ("fail", "error")}
    assert failing, "the demo estate fails somewhere by design"
    assert second["baseline"]["new"] == [] and second["baseline"]["resolved"] == []
    assert {f["fingerprint"] for f in second["baseline"]["still_failing"]} == failing
