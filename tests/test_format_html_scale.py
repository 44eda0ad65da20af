"""The HTML report of an organization: 1,000 accounts x 17 Regions stays one small file that
Chromium draws in seconds, with the matrices up front and every finding reachable.

The estate is built directly as findings (two Region rules per account and Region, an
account rule per account, three trail rules for every third account: 36,000 findings), so
the test spends its time on the report, not on a scan. The browser part skips without Chromium, and fails under CI.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from checker.findings import Finding, RuleInfo, Status
from checker.formats import html
from tests.helpers.chromium import DRAWN, Browser
from tests.helpers.reports import embedded_data, sample_report

ACCOUNTS = [f"{100000000000 + n:012d}" for n in range(1000)]
REGIONS = ("us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1", "eu-west-1",
           "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1", "ap-south-1", "ap-northeast-1",
           "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2")
ORG_TRAIL = "arn:aws:cloudtrail:us-east-1:100000000000:trail/organization"
RULES = {rule.id: rule for rule in [
    RuleInfo(id="kms-exclusion-gap", title="KMS write events are logged", severity="high", scope="region",
             frameworks={"cis-aws-foundations-v3.0": ("3.1",)}),
    RuleInfo(id="ssm-session-events", title="Session Manager events are logged", severity="medium", scope="region"),
    RuleInfo(id="cloudtrail-enabled", title="A trail logs the account", severity="high", scope="account"),
    RuleInfo(id="trail-logging", title="The trail is logging", severity="high", scope="trail"),
    RuleInfo(id="log-file-validation", title="Log file validation is on", severity="medium", scope="trail"),
    RuleInfo(id="trail-bucket-not-public", title="The trail's S3 bucket is not public", severity="critical",
             scope="trail"),
]}
# The evidence of a probe, one dict shared by every finding that cites it (as the engine shares it).
EXCLUDED = {"trails": [{"arn": ORG_TRAIL, "decision": "excluded",
                        "reason": "AdvancedEventSelectors[0].FieldSelectors[1] (eventSource) NotEquals "
                                  "kms.amazonaws.com excludes eventSource=kms.amazonaws.com"}]}
DECIDED: dict[str, Any] = {"decided_by": [ORG_TRAIL]}


def organization_findings() -> list[Finding]:
    """Half the accounts exclude KMS events everywhere, one Region in seven errs for SSM, and
    the accounts with a local trail (every third) have it logging or not."""
    findings = []
    for number, account in enumerate(ACCOUNTS):
        for index, region in enumerate(REGIONS):
            kms: Status = "fail" if number % 2 else "pass"
            findings.append(Finding("kms-exclusion-gap", "high", kms, account, region, None,
                                    f"{region}: kms.amazonaws.com DisableKey not logged" if number % 2 else
                                    "2 probe check(s) covered", {"probes": [{"region": region, **EXCLUDED}]}
                                    if number % 2 else DECIDED))
            ssm: Status = "error" if (number + index) % 7 == 0 else "pass"
            findings.append(Finding("ssm-session-events", "medium", ssm, account, region, None,
                                    "GetEventSelectors was denied" if ssm == "error" else "3 probe check(s) covered",
                                    DECIDED))
        findings.append(Finding("cloudtrail-enabled", "high", "pass", account, None, None,
                                f"{ORG_TRAIL} qualifies", DECIDED))
        if number % 3 == 0:
            trail = f"arn:aws:cloudtrail:eu-west-1:{account}:trail/local"
            logging: Status = "fail" if number % 4 else "pass"
            findings.append(Finding("trail-logging", "high", logging, account, "eu-west-1", trail,
                                    "The trail is not logging" if logging == "fail" else "The trail is logging",
                                    {"values": {"Status.IsLogging": logging == "pass"}}))
            findings.append(Finding("log-file-validation", "medium", "pass", account, "eu-west-1", trail,
                                    "Log file validation is on", {"values": {"LogFileValidationEnabled": True}}))
            findings.append(Finding("trail-bucket-not-public", "critical", "skipped", account, "eu-west-1", trail,
                                    "the snapshot carries no storage data", {}))
    return findings


def test_an_organization_report_is_small_and_chromium_draws_it(tmp_path: Path) -> None:
    findings = organization_findings()
    report = sample_report(findings=findings, rules=RULES)
    text = html.FORMAT.render(report)
    assert len(text.encode()) <= 10_000_000 * len(findings) / 170_000  # 10 MB for 170,000 findings, pro rata
    views = embedded_data(text)["views"]
    assert len(views["matrix"]["rows"]) == 1000 and len(views["coverage"]["cells"]) == 17_000
    page = tmp_path / "findings.html"
    page.write_text(text, encoding="utf-8")

    with Browser(tmp_path / "profile") as browser:
        browser.open(page.as_uri())
        browser.evaluate(DRAWN)  # how long it takes is a benchmark (benchmarks/html_report.py), not a test
        assert browser.evaluate("document.querySelector('p.problem')") is None
        shown = browser.evaluate("""({
          matrix: document.querySelectorAll('table.matrix tbody tr').length,
          grid: document.querySelectorAll('#coverage tbody tr').length,
          cells: document.querySelectorAll('#coverage tbody td.cell').length,
          findings: document.querySelectorAll('#findings-table tbody tr').length,
          accounts: document.querySelector('#filters select[name=account_id]').options.length,
          more: document.querySelector('#matrix button').textContent,
          total: document.querySelector('#summary .card.k-fail .n').textContent,
          storage: document.querySelector('#storage p:last-child').textContent,
        })""")
        fails = sum(f.status == "fail" for f in findings)
        assert shown == {"matrix": 100, "grid": 100, "cells": 1700, "findings": 100, "accounts": 1001,
                         "more": "Show 100 more of 900", "total": f"{fails:,}",
                         "storage": "334 trails whose storage checks were all skipped are not listed: the findings "
                                    "say why."}
        assert browser.evaluate("document.querySelector('#matrix button').click(), "
                                "document.querySelectorAll('table.matrix tbody tr').length") == 200

        # the last account's cell of the coverage grid, us-west-2: its findings, and the
        # evidence of one of them, unpacked from its chunk (the fifth)
        browser.evaluate("""(() => {
          const grid = document.querySelector('#coverage button');
          for (let i = 0; i < 9; i += 1) { grid.click(); }
          const line = document.querySelector('#coverage tr[data-account="100000000999"]');
          line.cells[line.cells.length - 1].click();
        })()""")
        rows = browser.evaluate("Array.from(document.querySelectorAll('#findings-table tbody tr'))"
                                ".map((r) => r.cells[2].querySelector('code').textContent + ' ' + r.dataset.status)")
        assert rows == ["kms-exclusion-gap fail", "ssm-session-events pass"]
        opened = browser.evaluate("""new Promise((resolve) => {
          const box = document.querySelector('#findings-table details');
          box.open = true;
          const check = () => {
            const pre = box.querySelector('pre');
            if (pre && pre.textContent !== 'loading…') { resolve(JSON.parse(pre.textContent)); }
            else { setTimeout(check, 5); }
          };
          check();
        })""")
        assert opened == {"probes": [{"region": "us-west-2", **EXCLUDED}]}
