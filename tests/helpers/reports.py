"""A sample report for the format tests: six rules, nine findings over two accounts, the
three sections, and hostile text from an audited account in a trail name and a message."""

from __future__ import annotations

import base64
import json
import zlib
from datetime import date
from typing import Any

from checker.findings import Finding, Location, RuleInfo, Severity, Status
from checker.report.baseline import BaselineDiff, Change
from checker.report.frameworks import ControlStatus, FrameworkView
from checker.report.model import Inputs, PolicyInput, Report, Sections, SnapshotInput
from checker.report.waivers import Waiver, WaiverSection, WaiverUse

HOSTILE = "<script>alert(1)</script>"
CIS = "cis-aws-foundations-v3.0"
CIS_DOC = "https://www.cisecurity.org/benchmark/amazon_web_services"

RULES: dict[str, RuleInfo] = {rule.id: rule for rule in [
    RuleInfo(id="cloudtrail-tampering", title="CloudTrail configuration tampering", severity="critical",
             scope="event", description="Someone stopped, deleted or changed a trail.",
             remediation="Investigate the principal.", frameworks={CIS: ("4.5",)},
             references=("https://docs.aws.amazon.com/awscloudtrail/latest/userguide/best-practices-security.html",),
             source="policies/events.yaml:40"),
    RuleInfo(id="kms-exclusion-gap", title="KMS write events are logged", severity="high", scope="region",
             description="DisableKey and ScheduleKeyDeletion must be recorded.",
             remediation="Remove kms.amazonaws.com from ExcludeManagementEventSources.",
             frameworks={CIS: ("3.1",), "nist-800-53-r5": ("AU-2",)},
             references=(CIS_DOC, "https://docs.aws.amazon.com/kms/latest/developerguide/logging-using-cloudtrail.html"),
             source="policies/coverage.yaml:12"),
    RuleInfo(id="log-file-validation", title="Log file validation is on", severity="medium", scope="trail",
             description="Digest files prove logs were not altered.", remediation="Enable validation.",
             frameworks={CIS: ("3.2",)}, references=("javascript:alert(1)",), source="policies/trails.yaml:5"),
    RuleInfo(id="ssm-controlchannel-data-events", title="SSM control-channel data events are logged",
             severity="medium", scope="region", description="Session Manager data events.",
             remediation="Add an advanced event selector.", source="policies/ssm.yaml:3"),
    RuleInfo(id="kms-read-events-excluded", title="KMS read events are logged", severity="low",
             scope="region", description="Decrypt and GenerateDataKey.", source="policies/coverage.yaml:30"),
    RuleInfo(id="insights-enabled", title="Insights are enabled", severity="low", scope="account",
             description="Insights.", remediation="Enable Insights.", source="policies/account.yaml:1"),
]}


def finding(rule_id: str, severity: Severity, status: Status, account: str | None, region: str | None,
            resource: str | None = None, message: str = "", evidence: dict[str, Any] | None = None,
            location: Location | None = None) -> Finding:
    return Finding(rule_id=rule_id, severity=severity, status=status, account_id=account, region=region,
                   resource=resource, message=message or f"{rule_id} is {status} in {account}/{region}",
                   evidence=evidence or {}, location=location)


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


def sample_report(sections: Sections | None = None, snapshot: str | None = "snapshots/estate.json",
                  findings: list[Finding] | None = None, rules: dict[str, RuleInfo] | None = None) -> Report:
    inputs = Inputs(
        snapshot=SnapshotInput(snapshot, "cd" * 32, "2024-05-01T00:00:00Z") if snapshot else None,
        events={"read": 12, "skipped": 0, "sources": ["events/"]},
        policies=(PolicyInput("policies/coverage.yaml", "ab" * 32),))
    return Report(findings=tuple(sample_findings() if findings is None else findings), rules=rules or RULES,
                  inputs=inputs, generated_at="2024-05-01T12:00:00Z", sections=sections or Sections())


BASELINE = BaselineDiff(
    path="reports/last-night.json",
    new=(Change(finding("cloudtrail-tampering", "critical", "fail", "111111111111", "us-east-1",
                        "arn:aws:iam::111111111111:user/mallory"), "absent", "fail"),),
    resolved=(Change(finding("insights-enabled", "low", "fail", "111111111111", None), "fail", "pass"),),
    still_failing=(Change(finding("kms-exclusion-gap", "high", "fail", "111111111111", "eu-west-1"), "fail", "fail"),),
)
FRAMEWORK = FrameworkView(id=CIS, controls=(
    ControlStatus("3.1", "fail", ("kms-exclusion-gap",), {"pass": 2, "fail": 1}),
    ControlStatus("3.2", "fail", ("log-file-validation",), {"fail": 1, "skipped": 1}),
    ControlStatus("3.9", "not-evaluated", (), {}),
))
WAIVERS = WaiverSection(
    path="waivers.yaml",
    applied=(WaiverUse(Waiver(rule_id="kms-read-events-excluded", account_id="222222222222", reason="volume",
                              owner="sec@example.com", expires=date(2099, 1, 1), source="waivers.yaml:3"),
                       ("f1", "f2")),),
    expired=(WaiverUse(Waiver(rule_id="insights-enabled", reason=f"old {HOSTILE}", owner="ops",
                              expires=date(2020, 1, 1), source="waivers.yaml:9"), ()),),
    unused=(),
)
ALL_SECTIONS = Sections(waivers=WAIVERS, framework=FRAMEWORK, baseline=BASELINE)




def packed_element(page: str, element_id: str) -> Any:
    """The data an HTML report packs into the element ``element_id`` (JSON, zlib, base64)."""
    start = f'<script type="application/octet-stream" id="{element_id}">'
    text = page.split(start, 1)[1].split("</script>", 1)[0]
    return json.loads(zlib.decompress(base64.b64decode(text, validate=True)))


def embedded_data(page: str) -> dict[str, Any]:
    """The data an HTML report draws up front (``#report-data``)."""
    data: dict[str, Any] = packed_element(page, "report-data")
    return data


def embedded_findings(page: str) -> list[dict[str, Any]]:
    """The findings an HTML report embeds, worst first, as v2 finding objects without their
    fingerprint (the page computes it): the columns of ``#report-data`` and the evidence chunks."""
    data = embedded_data(page)
    table = data["findings"]
    values, columns = table["values"], table["columns"]
    evidence = [entry for number in range(-(-table["count"] // data["evidence_chunk"]))
                for entry in packed_element(page, f"evidence-{number}")]
    findings = []
    for index in range(table["count"]):
        found = {name: values[column[index]] for name, column in columns.items()}
        if found["location"] is None:
            del found["location"]
        findings.append({**found, "evidence": evidence[index]})
    return findings
