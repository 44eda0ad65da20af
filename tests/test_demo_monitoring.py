"""The demo estate's monitoring findings, as examples/README.md tells them, and the broken link
that every report format carries for a failing monitoring rule."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from checker.cli import main
from checker.safetext import for_markdown
from tests.helpers.cli import read_findings_document, run_cli, scan_report
from tests.helpers.data import ESTATE, EXAMPLES, REPO

MEMBERS = ("111111111111", "222222222222", "333333333333", "444444444444", "777777777777")
PASSING = ("monitor-console-signin-without-mfa", "monitor-iam-policy-changes", "monitor-cloudtrail-changes",
           "monitor-console-auth-failures", "monitor-s3-bucket-policy-changes", "monitor-config-changes",
           "monitor-nacl-changes", "monitor-network-gateway-changes", "monitor-route-table-changes",
           "monitor-vpc-changes", "monitor-organizations-changes")
FAILING = ("monitor-unauthorized-api-calls", "monitor-root-usage", "monitor-kms-key-disable-or-deletion",
           "monitor-security-group-changes", "monitor-trail-selector-changes")
SESSIONS = {("111111111111", "us-east-1"): "fail", ("111111111111", "eu-west-1"): "fail",
            ("222222222222", "us-east-1"): "fail", ("222222222222", "eu-west-1"): "pass",
            ("333333333333", "us-east-1"): "fail", ("333333333333", "eu-west-1"): "fail",
            ("444444444444", "us-east-1"): "fail", ("444444444444", "eu-west-1"): "error",
            ("777777777777", "us-east-1"): "fail", ("777777777777", "eu-west-1"): "fail"}
ORG_LOG_GROUP = "arn:aws:logs:us-east-1:111111111111:log-group:aws-cloudtrail-logs-org:*"

Finding = dict[str, Any]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The demo scan in every format that carries messages: JSON, Markdown, SARIF."""
    out = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("GITHUB_STEP_SUMMARY", raising=False)
        assert main(["scan", "--snapshot", str(ESTATE), "--format", "json,md,sarif", "--output-dir", str(out),
                     "--quiet"]) == 1
    return {"findings": read_findings_document(out / "findings.json")["findings"],
            "md": (out / "findings.md").read_text(encoding="utf-8"),
            "sarif": json.loads((out / "findings.sarif").read_text(encoding="utf-8"))}


def statuses(findings: list[Finding], rule_id: str) -> dict[tuple[str, str | None], str]:
    return {(f["account_id"], f["region"]): f["status"] for f in findings if f["rule_id"] == rule_id}


def one(findings: list[Finding], rule_id: str, account: str, region: str | None = None) -> Finding:
    found = [f for f in findings if (f["rule_id"], f["account_id"], f["region"]) == (rule_id, account, region)]
    assert len(found) == 1
    return found[0]


def test_the_organization_trails_cis_chains_are_credited_to_every_member(demo: dict[str, Any]) -> None:
    for rule_id in PASSING:
        assert statuses(demo["findings"], rule_id) == {(a, None): "pass" for a in MEMBERS}, rule_id
        for account in MEMBERS:
            chains = one(demo["findings"], rule_id, account)["evidence"]["chains"]
            assert any(link["id"] == ORG_LOG_GROUP for chain in chains for link in chain["links"]), (rule_id, account)


def test_the_failing_controls_fail_in_every_member(demo: dict[str, Any]) -> None:
    for rule_id in FAILING:
        assert statuses(demo["findings"], rule_id) == {(a, None): "fail" for a in MEMBERS}, rule_id


def test_the_cis_v14_security_group_filter_misses_modify_security_group_rules(demo: dict[str, Any]) -> None:
    finding = one(demo["findings"], "monitor-security-group-changes", "111111111111")
    assert "eventName=ModifySecurityGroupRules" in finding["message"]
    missed = [record for group in finding["evidence"]["not_alerted"] for record in group["records"]]
    assert missed and all("eventName=ModifySecurityGroupRules" in record for record in missed)


def test_the_kms_exclusion_silences_the_cis_47_alarm_at_the_trail(demo: dict[str, Any]) -> None:
    finding = one(demo["findings"], "monitor-kms-key-disable-or-deletion", "111111111111")
    assert "first broken link: trail org-trail: " in finding["message"]
    assert "NotEquals kms.amazonaws.com" in finding["message"]
    chain = next(c for c in finding["evidence"]["chains"]
                 if any(link["id"] == "cis-4.7-DisableOrDeleteCMK" for link in c["links"]))
    assert chain["first_broken"]["kind"] == "trail"
    assert all(link["ok"] for link in chain["links"][1:]), "filter, alarm and topic work"


def test_the_session_manager_rule_alerts_in_its_one_region_only(demo: dict[str, Any]) -> None:
    assert statuses(demo["findings"], "ssm-session-notifications") == SESSIONS
    passing = one(demo["findings"], "ssm-session-notifications", "222222222222", "eu-west-1")
    assert passing["message"].endswith("through event-bus default -> event-rule session-manager-activity "
                                       "-> topic session-alerts")


def test_markdown_and_sarif_carry_the_first_broken_link(demo: dict[str, Any]) -> None:
    failing = [f for f in demo["findings"] if f["status"] == "fail" and "first broken link: " in f["message"]
               and (f["rule_id"].startswith("monitor-") or f["rule_id"] == "ssm-session-notifications")]
    assert len(failing) > 20
    results = demo["sarif"]["runs"][0]["results"]
    sarif_texts = [r["message"]["text"] for r in results]
    for finding in failing:
        link = finding["message"].split("first broken link: ", 1)[1].split(";", 1)[0]
        assert any(f"first broken link: {link}" in text for text in sarif_texts), link
        assert for_markdown(f"first broken link: {link}") in demo["md"], link


def test_the_acquired_estate_without_monitoring_data_skips_the_monitoring_rules(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _, report = scan_report(capsys, tmp_path, EXAMPLES / "estate-acquired.json")
    monitoring = [f for f in report["findings"]
                  if f["rule_id"].startswith("monitor-") or f["rule_id"] == "ssm-session-notifications"]
    assert monitoring and {f["status"] for f in monitoring} == {"skipped"}
    assert all("carries no monitoring data" in f["message"] for f in monitoring)


def test_explain_help_names_the_demo_record(capsys: pytest.CaptureFixture[str]) -> None:
    help_text = run_cli(capsys, "explain", "--help").out
    assert "examples/stop-logging.json" in help_text
    assert (EXAMPLES / "stop-logging.json").is_file()


# -- the README's excerpts are real output ------------------------------------------------------

def readme_blocks() -> list[list[str]]:
    """The README's fenced code blocks, as lines (the fences and a language tag left out)."""
    parts = (REPO / "README.md").read_text(encoding="utf-8").split("```")
    return [part.split("\n")[1:-1] for part in parts[1::2]]


def readme_block(first_line: str) -> list[str]:
    found = [block for block in readme_blocks() if block and block[0].startswith(first_line)]
    assert len(found) == 1, first_line
    return found[0]


def trimmed(shown: str) -> re.Pattern[str]:
    """A README line with ``…`` where it left text out, as a pattern of the real line."""
    return re.compile(".*?".join(re.escape(piece) for piece in shown.split("…")))


def test_readme_scan_excerpt_is_the_demo_scan(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    excerpt = readme_block("status    severity    rule")
    printed = run_cli(capsys, "scan", "--snapshot", str(ESTATE), "--output-dir", str(tmp_path)).out.splitlines()
    assert [line for line in excerpt if line not in printed] == []
    assert any(line.startswith("FAIL") and "monitor-" in line for line in excerpt)


def test_readme_finding_messages_are_the_demo_findings(demo: dict[str, Any]) -> None:
    for rule_id, account, region in (("monitor-cloudtrail-changes", "222222222222", None),
                                     ("monitor-kms-key-disable-or-deletion", "111111111111", None),
                                     ("log-retention", "111111111111", "us-east-1")):
        block = next(b for b in readme_blocks() if b and b[0].startswith("$ jq") and rule_id in b[0])
        assert account in block[0]
        assert trimmed(block[1]).fullmatch(one(demo["findings"], rule_id, account, region)["message"]), rule_id


def test_readme_explain_excerpt_is_the_explain_output(capsys: pytest.CaptureFixture[str]) -> None:
    excerpt = readme_block("$ trailcheck explain --snapshot examples/estate.json examples/stop-logging.json")
    printed = [line.rstrip() for line in run_cli(capsys, "explain", "--snapshot", str(ESTATE),
                                                  str(EXAMPLES / "stop-logging.json")).out.splitlines()]
    shown = [line for line in excerpt[1:] if line != "…"]
    assert [line for line in shown if line not in printed] == []
    assert [printed.index(line) for line in shown] == sorted(printed.index(line) for line in shown)
    assert any(line.startswith("alert: ALERTED through ") for line in shown)
