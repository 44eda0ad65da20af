"""Baselines: reading a previous report and telling new, resolved and still-failing findings apart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checker.errors import InputError
from checker.findings import Finding, Report, Status
from checker.report.baseline import Change, diff_reports, load_report, render_diff_json, render_diff_table


def finding(rule_id: str, status: Status, region: str | None = "eu-west-1", message: str = "m") -> Finding:
    return Finding(rule_id=rule_id, title="t", severity="high", status=status, account_id="222222222222",
                   region=region, resource=None, message=message)


def report(*findings: Finding) -> Report:
    return Report(findings=list(findings), inputs={"snapshot": None, "events": None, "policies": []},
                  generated_at="2026-11-20T02:00:00Z")


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


def ids(changes: tuple[Change, ...]) -> list[tuple[str, str, str]]:
    return [(c.finding.rule_id, c.was, c.now) for c in changes]


def test_diff_sorts_findings_into_new_resolved_and_still_failing() -> None:
    diff = diff_reports(OLD, NEW)
    assert ids(diff.new) == [("log-file-validation", "waived", "fail"), ("organization-trail", "absent", "error")]
    assert ids(diff.resolved) == [("cloudwatch-logs-integration", "fail", "absent"),
                                  ("insights-enabled", "fail", "waived"),
                                  ("kms-exclusion-gap", "fail", "pass")]
    assert ids(diff.still_failing) == [("s3-data-events", "error", "fail"), ("trail-logging", "fail", "fail")]


def test_still_failing_carries_the_new_finding() -> None:
    (_, trail_logging) = diff_reports(OLD, NEW).still_failing
    assert trail_logging.finding.message == "reworded"


def test_identical_reports_have_nothing_new_or_resolved() -> None:
    diff = diff_reports(NEW, NEW)
    assert diff.new == () and diff.resolved == ()
    assert len(diff.still_failing) == 4


def test_report_section_has_finding_dicts_with_statuses() -> None:
    extra = diff_reports(OLD, NEW).to_extra("reports/previous.json")
    assert set(extra) == {"path", "new", "resolved", "still_failing"}
    assert extra["path"] == "reports/previous.json"
    first_new = extra["new"][0]
    assert first_new["rule_id"] == "log-file-validation"
    assert (first_new["was"], first_new["now"]) == ("waived", "fail")
    assert first_new["fingerprint"] == finding("log-file-validation", "fail").fingerprint
    assert json.loads(render_diff_json(diff_reports(OLD, NEW), "reports/previous.json")) == extra


def test_table_has_a_count_line_and_a_row_per_change() -> None:
    table = render_diff_table(diff_reports(OLD, NEW))
    lines = table.splitlines()
    assert lines[0] == "2 new, 3 resolved, 2 still failing"
    assert sum("organization-trail" in line and "absent -> error" in line for line in lines) == 1
    assert sum(line.startswith("resolved") for line in lines) == 3
    assert table.endswith("\n")


def test_table_shortens_long_messages_but_json_keeps_them() -> None:
    long = "x" * 300
    diff = diff_reports(report(), report(finding("trail-logging", "fail", message=long)))
    assert long not in render_diff_table(diff)
    assert "x" * 97 + "..." in render_diff_table(diff)
    assert json.loads(render_diff_json(diff, "old.json"))["new"][0]["message"] == long


def test_table_says_so_when_nothing_fails() -> None:
    clean = report(finding("kms-exclusion-gap", "pass"))
    assert "no failing findings" in render_diff_table(diff_reports(clean, clean))


def test_load_report_round_trips_a_written_report(tmp_path: Path) -> None:
    path = tmp_path / "findings.json"
    path.write_text(NEW.to_json(), encoding="utf-8")
    loaded = load_report(path)
    assert [f.fingerprint for f in loaded.sorted_findings()] == [f.fingerprint for f in NEW.sorted_findings()]
    assert diff_reports(loaded, NEW).new == ()


VALID = NEW.to_json()


@pytest.mark.parametrize(("content", "where", "problem"), [
    pytest.param(VALID[:80], f":{VALID[:80].count(chr(10)) + 1}:", "invalid JSON", id="truncated"),
    pytest.param(VALID.replace("trailcheck.findings/v1", "trailcheck.snapshot/v1"), "$.format",
                 "trailcheck.findings/v1", id="snapshot-given"),
    pytest.param(VALID.replace('"status": "error"', '"status": "failed"'), "$.findings[", "'failed'",
                 id="bad-status"),
    pytest.param("[]", "$", "not of type 'object'", id="not-an-object"),
])
def test_load_report_rejects_what_is_not_a_findings_report(tmp_path: Path, content: str, where: str,
                                                           problem: str) -> None:
    path = tmp_path / "old.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as raised:
        load_report(path)
    assert raised.value.where.startswith(str(path))
    assert where in raised.value.where
    assert problem in raised.value.what


def test_load_report_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        load_report(tmp_path / "absent.json")
