"""The per-framework view: rules filtered by framework, controls with their worst status."""

from __future__ import annotations

import pytest

from checker.errors import InputError
from checker.findings import Finding, RuleInfo, Status
from checker.report.frameworks import (
    ControlStatus,
    FrameworkView,
    framework_view,
    known_frameworks,
    rules_for_framework,
)

CIS = "cis-aws-foundations-v3.0"
NIST = "nist-800-53-r5"


def rule(rule_id: str, frameworks: dict[str, tuple[str, ...]]) -> RuleInfo:
    return RuleInfo(id=rule_id, title=rule_id, severity="high", scope="account", source="policies/x.yaml:1",
                    frameworks=frameworks)


def finding(rule_id: str, status: Status, account_id: str = "222222222222") -> Finding:
    return Finding(rule_id=rule_id, severity="high", status=status, account_id=account_id,
                   region=None, resource=None, message="m")


RULES = [
    rule("multi-region-trail", {CIS: ("3.1",), NIST: ("AU-2", "AU-12")}),
    rule("log-file-validation", {CIS: ("3.2",), NIST: ("AU-9",)}),
    rule("kms-encryption", {CIS: ("3.5",)}),
    rule("s3-data-events", {CIS: ("3.8", "3.9")}),
    rule("unauthorized-api-calls", {CIS: ("4.1",)}),
    rule("insights-enabled", {"aws-security-hub": ("CloudTrail.10",)}),
    rule("trail-logging", {CIS: ("3.1",), "aws-security-hub": ("CloudTrail.1",)}),
    rule("no-mapping", {}),
]


def controls(view: FrameworkView) -> dict[str, ControlStatus]:
    return {c.control: c for c in view.controls}


def test_known_frameworks_are_sorted_and_unique() -> None:
    assert known_frameworks(RULES) == ["aws-security-hub", CIS, NIST]


def test_rules_for_framework_keeps_only_mapped_rules_in_order() -> None:
    assert [r.id for r in rules_for_framework(RULES, NIST)] == ["multi-region-trail", "log-file-validation"]


def test_unknown_framework_lists_the_known_ones() -> None:
    with pytest.raises(InputError) as raised:
        rules_for_framework(RULES, "cis-aws-foundations-v9")
    assert raised.value.where == "--framework"
    assert "'cis-aws-foundations-v9'" in raised.value.what
    assert f"aws-security-hub, {CIS}, {NIST}" in raised.value.what


def test_controls_are_in_natural_order() -> None:
    view = framework_view(CIS, RULES, [])
    assert view.id == CIS
    assert [c.control for c in view.controls] == ["3.1", "3.2", "3.5", "3.8", "3.9", "4.1"]
    hub = framework_view("aws-security-hub", RULES, [])
    assert [c.control for c in hub.controls] == ["CloudTrail.1", "CloudTrail.10"]
    nist = framework_view(NIST, RULES, [])
    assert [c.control for c in nist.controls] == ["AU-2", "AU-9", "AU-12"]


@pytest.mark.parametrize(("statuses", "expected"), [
    (["pass", "pass"], "pass"),
    (["pass", "waived"], "waived"),
    (["waived", "fail", "pass"], "fail"),
    (["fail", "error"], "fail"),
    (["pass", "error"], "error"),
    (["error", "waived"], "error"),
    (["skipped"], "skipped"),
    (["skipped", "pass"], "pass"),
    ([], "not-evaluated"),
])
def test_control_status_is_the_worst_of_its_findings(statuses: list[Status], expected: str) -> None:
    findings = [finding("kms-encryption", s, account_id=f"{i:012d}") for i, s in enumerate(statuses)]
    assert controls(framework_view(CIS, RULES, findings))["3.5"].status == expected


def test_control_combines_every_rule_mapped_to_it() -> None:
    findings = [finding("multi-region-trail", "pass"), finding("trail-logging", "fail"),
                finding("trail-logging", "pass", account_id="333333333333"), finding("kms-encryption", "error")]
    control = controls(framework_view(CIS, RULES, findings))["3.1"]
    assert control.rules == ("multi-region-trail", "trail-logging")
    assert control.status == "fail"
    assert control.to_dict()["counts"] == {"fail": 1, "error": 0, "waived": 0, "pass": 2, "skipped": 0}


def test_rule_mapped_to_two_controls_counts_in_both() -> None:
    view = controls(framework_view(CIS, RULES, [finding("s3-data-events", "fail")]))
    assert view["3.8"].status == view["3.9"].status == "fail"
    assert view["4.1"].status == "not-evaluated"
