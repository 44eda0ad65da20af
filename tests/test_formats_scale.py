"""SARIF, Markdown, CSV and JUnit stay usable for an organization of 1,000 accounts x 17
Regions (some 150,000 findings): SARIF within GitHub code scanning's limits and saying what
it left out, Markdown within a step summary, CSV and JUnit written a piece at a time."""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections import Counter
from dataclasses import replace
from typing import Any

import jsonschema
import pytest

from checker.findings import Finding, RuleInfo, Severity, Status
from checker.formats import csv_format, junit, markdown, sarif
from checker.report.model import Inputs, Report, SnapshotInput
from tests.helpers.data import SCHEMAS, data_file

ACCOUNTS = 1_000
REGIONS = tuple(f"region-{n:02d}" for n in range(17))
SEVERITIES: tuple[Severity, ...] = ("high", "medium", "low")
REGION_SEVERITIES: tuple[Severity, ...] = ("critical", "high", "high", "medium", "medium", "low")
REGION_RULES: dict[str, Severity] = {f"region-rule-{n}": severity for n, severity in enumerate(REGION_SEVERITIES)}
TRAIL_RULES: dict[str, Severity] = {f"trail-rule-{n}": severity for n, severity in enumerate(SEVERITIES * 10)}
ACCOUNT_RULES: dict[str, Severity] = {f"account-rule-{n}": severity for n, severity in enumerate(SEVERITIES * 6)}
# Evidence as a scan writes it for a failing probe (one shared object, as the engine shares it).
EVIDENCE: dict[str, Any] = {"probes": [{
    "event": {"eventCategory": "Management", "eventSource": "kms.amazonaws.com", "eventName": name,
              "readOnly": "false"},
    "coverage": "not-covered", "not_logged": ["the event as given"],
    "trails": [{"arn": "arn:aws:cloudtrail:us-east-1:100000000000:trail/organization", "decision": "excluded",
                "reason": "AdvancedEventSelectors[0].FieldSelectors[1] (eventSource) NotEquals kms.amazonaws.com"}],
} for name in ("DisableKey", "ScheduleKeyDeletion")]}


def _rules() -> dict[str, RuleInfo]:
    scoped = [(REGION_RULES, "region"), (TRAIL_RULES, "trail"), (ACCOUNT_RULES, "account")]
    return {rule_id: RuleInfo(id=rule_id, title=f"{rule_id} holds", severity=severity, scope=scope,
                              remediation="Fix it.", frameworks={"cis-aws-foundations-v3.0": ("3.1",)},
                              source="policies/coverage.yaml:1")
            for rules, scope in scoped for rule_id, severity in rules.items()}


def _finding(rule_id: str, severity: Severity, status: Status, account: str, region: str | None,
             resource: str | None) -> Finding:
    return Finding(rule_id=rule_id, severity=severity, status=status, account_id=account, region=region,
                   resource=resource, message=f"{rule_id} is {status} in {account}/{region}: kms.amazonaws.com "
                                             "DisableKey (Management, readOnly=false) not logged",
                   evidence=EVIDENCE if status != "pass" else {"verdict": "covered"})


def organization_findings(accounts: int = ACCOUNTS) -> list[Finding]:
    """150 findings an account: half the region findings fail (every one of them an error in
    one account of a hundred, which nobody could read), a third of the trail and account ones."""
    findings: list[Finding] = []
    for number in range(accounts):
        account = f"{100000000000 + number:012d}"
        for rule_index, (rule_id, severity) in enumerate(REGION_RULES.items()):
            for region_index, region in enumerate(REGIONS):
                failing = (number + rule_index + region_index) % 2 == 0
                status: Status = ("error" if number % 100 == 7 else "fail") if failing else "pass"
                findings.append(_finding(rule_id, severity, status, account, region, None))
        trail = f"arn:aws:cloudtrail:us-east-1:{account}:trail/local"
        for rule_index, (rule_id, severity) in enumerate(TRAIL_RULES.items()):
            findings.append(_finding(rule_id, severity, "fail" if (number + rule_index) % 3 == 0 else "pass",
                                     account, "us-east-1", trail))
        for rule_index, (rule_id, severity) in enumerate(ACCOUNT_RULES.items()):
            findings.append(_finding(rule_id, severity, "fail" if (number + rule_index) % 3 == 0 else "skipped",
                                     account, None, None))
    return findings


def organization_report(findings: list[Finding] | None = None) -> Report:
    return Report(findings=tuple(organization_findings() if findings is None else findings), rules=_rules(),
                  inputs=Inputs(snapshot=SnapshotInput("org.json", "ab" * 32, "2026-11-22T06:00:00Z")),
                  generated_at="2026-11-22T07:00:00Z")


@pytest.fixture(scope="module")
def report() -> Report:
    return organization_report()


@pytest.fixture(scope="module")
def sarif_text(report: Report) -> str:
    return sarif.FORMAT.render(report)


@pytest.fixture(scope="module")
def sarif_run(sarif_text: str) -> dict[str, Any]:
    return _run(sarif_text)


def _run(text: str) -> dict[str, Any]:
    run: dict[str, Any] = json.loads(text)["runs"][0]
    return run


def _validate(text: str) -> None:
    schema = json.loads(data_file(SCHEMAS, "sarif-2.1.0.json").read_text(encoding="utf-8"))
    jsonschema.validators.validator_for(schema)(schema).validate(json.loads(text))


def test_the_organization_is_as_large_as_the_issue_says(report: Report) -> None:
    assert 150_000 <= len(report.findings) <= 177_000


def test_sarif_fits_code_scanning_with_region_findings_one_result_per_rule_and_account(
        sarif_text: str, sarif_run: dict[str, Any]) -> None:
    run = sarif_run
    results = run["results"]
    assert len(results) <= sarif.MAX_RESULTS
    assert len(gzip.compress(sarif_text.encode())) <= sarif.MAX_GZIPPED_BYTES
    region_results = [r for r in results if r["ruleId"] in REGION_RULES]
    assert len(region_results) == ACCOUNTS * len(REGION_RULES)
    assert {r["properties"]["status"] for r in results} == {"fail", "error"}
    one = next(r for r in region_results if r["ruleId"] == "region-rule-0"
               and r["locations"][0]["logicalLocations"][0]["name"] == "100000000000")
    fails = [region for index, region in enumerate(REGIONS) if index % 2 == 0]
    assert one["properties"]["regions"] == {"fail": fails}
    assert one["message"]["text"].startswith(
        f"fail in 9 of 17 Regions ({', '.join(fails)}). region-00: region-rule-0 is fail in 100000000000/region-00: ")
    assert all(f"{region}: region-rule-0 is fail in 100000000000/{region}" in one["message"]["text"]
               for region in fails)
    assert [loc["kind"] for loc in one["locations"][0]["logicalLocations"]] == ["account"]
    left_out = run["properties"]["left_out"]
    assert left_out["not_results"]["pass"] > 0 and "cut" not in left_out
    assert left_out["aggregated"] == {"results": ACCOUNTS * len(REGION_RULES),
                                      "findings": sum(len(r["properties"]["regions"].get("fail", []))
                                                      + len(r["properties"]["regions"].get("error", []))
                                                      for r in region_results)}


def test_sarif_lists_the_worst_first(sarif_run: dict[str, Any]) -> None:
    ranks = [(("fail", "error").index(r["properties"]["status"]),
              ("critical", "high", "medium", "low", "info").index(r["properties"]["severity"]))
             for r in sarif_run["results"]]
    assert ranks == sorted(ranks)


def test_an_aggregate_keeps_its_fingerprint_when_its_failing_regions_change() -> None:
    def fingerprints(findings: list[Finding]) -> dict[tuple[str, str], str]:
        results = _run(sarif.FORMAT.render(organization_report(findings)))["results"]
        return {(r["ruleId"], r["locations"][0]["logicalLocations"][0]["name"]):
                r["partialFingerprints"]["trailcheck/v1"] for r in results if r["ruleId"] in REGION_RULES}

    some = organization_findings(2)
    healed = [replace(f, status="pass") if f.region == "region-00" else f for f in some]
    before, after = fingerprints(some), fingerprints(healed)
    assert before == after and len(before) == 2 * len(REGION_RULES)


def _findings_in(result: dict[str, Any]) -> int:
    regions: dict[str, list[str]] = result["properties"].get("regions", {})
    return sum(len(listed) for listed in regions.values()) if regions else 1


def test_when_results_must_still_be_cut_the_worst_stay_and_the_run_says_what_went(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sarif, "MAX_RESULTS", 40)
    findings = organization_findings(10)
    text = sarif.FORMAT.render(organization_report(findings))
    _validate(text)
    run = _run(text)
    assert len(run["results"]) == 40
    cut = run["properties"]["left_out"]["cut"]
    failing = sum(1 for f in findings if f.status in ("fail", "error"))
    assert cut["findings"] + sum(_findings_in(r) for r in run["results"]) == failing
    assert cut["results"] > 0 and sum(cut["by_rule"].values()) == cut["results"]
    assert {r["properties"]["severity"] for r in run["results"]} == {"critical", "high"}
    notes = run["invocations"][0]["toolExecutionNotifications"]
    assert [n["level"] for n in notes] == ["note", "warning"]
    assert f"{cut['results']:,} results" in notes[1]["message"]["text"]
    assert "findings.json" in notes[1]["message"]["text"]


def test_sarif_of_a_sample_of_the_organization_is_schema_valid() -> None:
    _validate(sarif.FORMAT.render(organization_report(organization_findings(8))))


def test_sarif_stops_at_the_gzipped_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sarif, "MAX_GZIPPED_BYTES", sarif.RESERVED_GZIPPED_BYTES + 100_000)
    text = sarif.FORMAT.render(organization_report(organization_findings(300)))
    run = _run(text)
    assert run["properties"]["left_out"]["cut"]["results"] > 0 and run["results"]
    assert len(gzip.compress(text.encode())) <= 100_000 + 10_000  # the run's properties come on top


def test_markdown_fits_a_step_summary_and_says_what_it_left_out(report: Report) -> None:
    text = markdown.FORMAT.render(report)
    assert len(text.encode()) <= 1024 * 1024
    summary, rest = text.split("## Failing rules", 1)
    assert "## Summary" in summary
    assert rest.index("## Failing and error findings") > 0
    first_rule = Counter(f.status for f in report.findings if f.rule_id == "region-rule-0")
    assert rest.startswith("\n\n| rule | severity | fail | error | accounts |\n|---|---|---|---|---|\n"
                           f"| region-rule-0 | critical | {first_rule['fail']:,} | {first_rule['error']:,} | 1,000 |\n")
    rows = [line for line in rest.split("## Failing and error findings", 1)[1].splitlines()
            if line.startswith("| fail") or line.startswith("| error")]
    assert rows[0].startswith("| fail | critical | region-rule-0 | 100000000000 | region-00 |")
    left = sum(1 for f in report.findings if f.status in ("fail", "error")) - len(rows)
    assert f"_{left:,} more rows not shown" in text
    assert "Every finding is in the JSON and HTML reports" in text


class _Pieces:
    """A sink that counts writes and keeps only the largest piece."""

    def __init__(self) -> None:
        self.writes = 0
        self.largest = 0
        self.text = io.StringIO()

    def write(self, text: str, /) -> int:
        self.writes += 1
        self.largest = max(self.largest, len(text))
        return self.text.write(text)


def test_csv_and_junit_are_written_a_piece_at_a_time() -> None:
    report = organization_report(organization_findings(20))
    for fmt in (csv_format.FORMAT, junit.FORMAT):
        sink = _Pieces()
        fmt.write(report, sink)
        assert sink.writes > len(report.findings)
        assert sink.largest < 10_000
        assert sink.text.getvalue() == fmt.render(report)
    rows = sum(1 for _ in csv.reader(io.StringIO(csv_format.FORMAT.render(report)))) - 1
    assert rows == len(report.findings)
