"""``--format jsonl``: one self-contained finding per line (SIEM ingestion), in report order."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from checker.formats import format_named
from checker.report.document import to_document
from tests.helpers.cli import read_findings_document, run_cli
from tests.helpers.reports import ALL_SECTIONS, sample_report
from tests.helpers.snapshots import KMS, MANAGEMENT, account, basic, snapshot, trail, write_json

JSONL = format_named("jsonl")


def lines_of(text: str) -> list[dict[str, Any]]:
    """Each line parsed on its own, as a SIEM reads the file."""
    assert text.endswith("\n")
    return [json.loads(line) for line in text.split("\n")[:-1]]


def test_each_line_is_a_finding_with_its_rule_described() -> None:
    report = sample_report(ALL_SECTIONS)
    lines = lines_of(JSONL.render(report))
    document = to_document(report)
    assert len(lines) == len(document["findings"])
    for line, finding in zip(lines, document["findings"], strict=True):
        rule = document["rules"][finding["rule_id"]]
        assert line == {**finding, "title": rule["title"], "remediation": rule["remediation"],
                        "references": rule["references"], "frameworks": rule["frameworks"],
                        "generated_at": report.generated_at}


def test_lines_are_in_report_order_and_the_same_for_the_same_report() -> None:
    text = JSONL.render(sample_report(ALL_SECTIONS))
    keys = [(f["rule_id"], f["account_id"] or "", f["region"] or "", f["resource"] or "") for f in lines_of(text)]
    assert keys == sorted(keys)
    assert text == JSONL.render(sample_report(ALL_SECTIONS))


def test_a_message_with_line_breaks_stays_on_its_line() -> None:
    text = JSONL.render(sample_report())
    [multiline] = [f for f in lines_of(text) if "\n" in f["message"]]
    assert multiline["message"].endswith("\nsecond line")
    assert text.count("\n") == len(sample_report().findings)


def test_scan_writes_findings_jsonl(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    estate = write_json(tmp_path / "estate.json",
                        snapshot(account(MANAGEMENT, trail("main", EventSelectors=[basic(exclude=(KMS,))]))))
    result = run_cli(capsys, "scan", "--snapshot", str(estate), "--format", "json,jsonl",
                     "--output-dir", str(tmp_path / "out"), "--rules", "kms-exclusion-gap")
    assert result.code == 1
    lines = lines_of((tmp_path / "out" / "findings.jsonl").read_text(encoding="utf-8"))
    report = read_findings_document(tmp_path / "out" / "findings.json")
    assert [line["fingerprint"] for line in lines] == [f["fingerprint"] for f in report["findings"]]
    assert {line["status"] for line in lines} == {"fail"}
    assert all(line["title"] == report["rules"]["kms-exclusion-gap"]["title"] for line in lines)
    assert "findings.jsonl" in result.err
