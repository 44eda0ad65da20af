"""The policy language as a user writes it (docs/policies.md): a custom policy directory evaluated
with ``--no-builtin --policies DIR`` on a small hand-written snapshot.

Covers every configuration scope and requirement kind (expr, logged, any_trail,
all_trails), when/skip, parameters and their overrides, message templates, list-valued
probes, universal quantification of the fields a probe leaves out, and ``hours_since``.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli import run_cli
from tests.helpers.snapshots import (
    KMS,
    MANAGEMENT,
    MEMBER,
    ORG_ID,
    Finding,
    account,
    basic,
    find,
    scan_findings,
    snapshot,
    trail,
    trail_arn,
)

ORG_TRAIL = trail_arn("org-main")
APP_TRAIL = trail_arn("app-eu", MEMBER, "eu-west-1")

CUSTOM_POLICY = r"""
rules:
  - id: custom-naming
    title: Trails follow the naming convention
    severity: low
    scope: trail
    params: {prefix: org-}
    require:
      expr: "starts_with(Name, params.prefix)"
    messages:
      pass: "{resource} follows the naming rule"
      fail: "{resource} in {account_id} {region} is misnamed"

  - id: custom-single-region-validated
    title: Single-Region trails validate their log files
    severity: medium
    scope: trail
    when:
      expr: "IsMultiRegionTrail == `false`"
      skip_reason: multi-Region trails are judged elsewhere
    require:
      expr: "LogFileValidationEnabled == `true`"

  - id: custom-kms-writes
    title: KMS key disable and deletion are logged
    severity: high
    scope: region
    require:
      logged:
        - {eventCategory: Management, eventSource: kms.amazonaws.com,
           eventName: [DisableKey, ScheduleKeyDeletion], readOnly: false}

  - id: custom-encrypted-multi-region
    title: An encrypted multi-Region trail records EC2 management events
    severity: high
    scope: account
    require:
      any_trail:
        where: "IsMultiRegionTrail == `true`"
        expr: "KmsKeyId != `null`"
        logged:
          - {eventCategory: Management, eventSource: ec2.amazonaws.com}

  - id: custom-one-trail-all-management
    title: One trail alone records every management event
    severity: high
    scope: account
    require:
      any_trail:
        logged:
          - {eventCategory: Management}

  - id: custom-all-encrypted
    title: Every logging trail reaching the account is encrypted
    severity: medium
    scope: account
    require:
      all_trails:
        expr: "KmsKeyId != `null`"

  - id: custom-org-validated
    title: The organization trail validates its log files
    severity: medium
    scope: organization
    require:
      any_trail:
        where: "IsOrganizationTrail == `true`"
        expr: "LogFileValidationEnabled == `true`"

  - id: custom-region-allowed
    title: Only approved Regions are in scope
    severity: info
    scope: region
    params: {banned_region: eu-west-1}
    require:
      expr: "region != params.banned_region"

  - id: custom-account-name
    title: No account is called sandbox
    severity: info
    scope: account
    params: {forbidden: account-222}
    require:
      expr: "name != params.forbidden"
    messages:
      fail: "{account_id} ({resource}, {region}) has the forbidden name"

  - id: custom-stop-logging
    title: Somebody stopped a trail
    severity: critical
    scope: event
    match:
      eventSource: cloudtrail.amazonaws.com
      eventName: StopLogging
"""


def write_policy(folder: Path, text: str, name: str = "custom.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def estate() -> dict[str, Any]:
    """An organization trail that excludes KMS, and a member's unencrypted eu-west-1 trail."""
    org_trail = trail("org-main", organization=True, EventSelectors=[basic(exclude=(KMS,))])
    app_trail = trail("app-eu", account=MEMBER, home="eu-west-1", multi_region=False,
                      LogFileValidationEnabled=False, KmsKeyId=None)
    return snapshot(account(MANAGEMENT, org_trail), account(MEMBER, app_trail), organization=True)


def custom_scan(capsys: pytest.CaptureFixture[str], tmp_path: Path, document: dict[str, Any], policy: str,
                *args: str) -> list[Finding]:
    policies = write_policy(tmp_path / "policies", policy)
    return scan_findings(capsys, tmp_path / "scan", document, "--no-builtin", "--policies", str(policies), *args)


def status_of(findings: list[Finding], rule_id: str) -> dict[tuple[str | None, str | None, str | None], str]:
    return {(f["account_id"], f["region"], f["resource"]): f["status"] for f in findings if f["rule_id"] == rule_id}


@pytest.fixture
def custom(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> list[Finding]:
    return custom_scan(capsys, tmp_path, estate(), CUSTOM_POLICY)


def test_only_the_custom_rules_are_loaded(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    policies = write_policy(tmp_path, CUSTOM_POLICY)
    result = run_cli(capsys, "rules", "--no-builtin", "--policies", str(policies), "--format", "json")
    assert result.code == 0
    rules = json.loads(result.out)
    assert {r["scope"] for r in rules} == {"trail", "region", "account", "organization", "event"}
    assert all(r["id"].startswith("custom-") for r in rules)
    assert len(rules) == 10


def test_trail_expr_with_message_templates(custom: list[Finding]) -> None:
    assert status_of(custom, "custom-naming") == {
        (MANAGEMENT, "us-east-1", ORG_TRAIL): "pass", (MEMBER, "eu-west-1", APP_TRAIL): "fail"}
    assert find(custom, "custom-naming", region="us-east-1", resource=ORG_TRAIL)["message"] == (
        f"{ORG_TRAIL} follows the naming rule")
    assert find(custom, "custom-naming", MEMBER, "eu-west-1", APP_TRAIL)["message"] == (
        f"{APP_TRAIL} in {MEMBER} eu-west-1 is misnamed")


def test_param_override_changes_the_verdict(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    findings = custom_scan(capsys, tmp_path, estate(), CUSTOM_POLICY, "--param", "custom-naming.prefix=app-",
                           "--param", "custom-region-allowed.banned_region=us-east-1")
    assert status_of(findings, "custom-naming") == {
        (MANAGEMENT, "us-east-1", ORG_TRAIL): "fail", (MEMBER, "eu-west-1", APP_TRAIL): "pass"}
    assert status_of(findings, "custom-region-allowed") == {
        (MANAGEMENT, "us-east-1", None): "fail", (MANAGEMENT, "eu-west-1", None): "pass",
        (MEMBER, "us-east-1", None): "fail", (MEMBER, "eu-west-1", None): "pass"}


def test_when_false_skips_with_the_reason(custom: list[Finding]) -> None:
    skipped = find(custom, "custom-single-region-validated", region="us-east-1", resource=ORG_TRAIL)
    assert skipped["status"] == "skipped"
    assert "multi-Region trails are judged elsewhere" in skipped["message"]
    assert find(custom, "custom-single-region-validated", MEMBER, "eu-west-1", APP_TRAIL)["status"] == "fail"


def test_logged_probe_with_a_list_value_expands_to_one_probe_per_item(custom: list[Finding]) -> None:
    assert status_of(custom, "custom-kms-writes") == {
        (MANAGEMENT, "us-east-1", None): "fail", (MANAGEMENT, "eu-west-1", None): "fail",
        (MEMBER, "us-east-1", None): "fail", (MEMBER, "eu-west-1", None): "pass"}
    missed = find(custom, "custom-kms-writes", MEMBER, "us-east-1")
    names = sorted(p["event"]["eventName"] for p in missed["evidence"]["probes"])
    assert names == ["DisableKey", "ScheduleKeyDeletion"]
    assert all(p["coverage"] != "covered" for p in missed["evidence"]["probes"])
    # A pass keeps its verdict and the trails that decided it, not each probe's rows.
    assert find(custom, "custom-kms-writes", MEMBER, "eu-west-1")["evidence"] == {"decided_by": [APP_TRAIL]}


def test_any_trail_with_where_expr_and_logged(custom: list[Finding]) -> None:
    assert status_of(custom, "custom-encrypted-multi-region") == {
        (MANAGEMENT, None, None): "pass", (MEMBER, None, None): "pass"}
    assert ORG_TRAIL in find(custom, "custom-encrypted-multi-region")["message"]


def test_any_trail_logged_is_judged_per_trail(custom: list[Finding]) -> None:
    # The organization trail misses KMS events; the member's own trail misses us-east-1.
    assert status_of(custom, "custom-one-trail-all-management") == {
        (MANAGEMENT, None, None): "fail", (MEMBER, None, None): "fail"}
    rows = find(custom, "custom-one-trail-all-management", MEMBER)["evidence"]["trails"]
    assert {r["arn"]: r["qualifies"] for r in rows} == {ORG_TRAIL: False, APP_TRAIL: False}


def test_all_trails_requires_every_trail(custom: list[Finding]) -> None:
    assert status_of(custom, "custom-all-encrypted") == {
        (MANAGEMENT, None, None): "pass", (MEMBER, None, None): "fail"}
    assert "app-eu" in find(custom, "custom-all-encrypted", MEMBER)["message"]


def test_organization_scope_identity(custom: list[Finding]) -> None:
    assert status_of(custom, "custom-org-validated") == {(MANAGEMENT, None, ORG_ID): "pass"}


def test_account_expr_over_the_account_document(custom: list[Finding]) -> None:
    assert status_of(custom, "custom-account-name") == {
        (MANAGEMENT, None, None): "pass", (MEMBER, None, None): "fail"}
    assert find(custom, "custom-account-name", MEMBER)["message"] == f"{MEMBER} (-, -) has the forbidden name"


# -- probe semantics -------------------------------------------------------------------------

MANAGEMENT_PROBE = """
rules:
  - id: all-management
    title: Every management event is logged
    severity: high
    scope: region
    require:
      logged:
        - {eventCategory: Management}
  - id: ec2-management
    title: EC2 management events are logged, read and write
    severity: high
    scope: region
    require:
      logged:
        - {eventCategory: Management, eventSource: ec2.amazonaws.com}
"""


def test_left_out_event_source_is_universally_quantified(capsys: pytest.CaptureFixture[str],
                                                        tmp_path: Path) -> None:
    document = snapshot(account(MANAGEMENT, trail(EventSelectors=[basic(exclude=(KMS,))])))
    findings = custom_scan(capsys, tmp_path, document, MANAGEMENT_PROBE)
    partial = find(findings, "all-management", region="us-east-1")
    assert partial["status"] == "fail"
    [probe] = partial["evidence"]["probes"]
    assert probe["coverage"] == "partial"
    assert any("eventSource=kms.amazonaws.com" in witness for witness in probe["not_logged"])
    assert "eventSource=kms.amazonaws.com" in partial["message"]
    assert find(findings, "ec2-management", region="us-east-1")["status"] == "pass"


def test_left_out_read_only_is_universally_quantified(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    document = snapshot(account(MANAGEMENT, trail(EventSelectors=[basic(read_write="WriteOnly")])))
    findings = custom_scan(capsys, tmp_path, document, MANAGEMENT_PROBE)
    partial = find(findings, "ec2-management", region="us-east-1")
    assert partial["status"] == "fail"
    [probe] = partial["evidence"]["probes"]
    assert probe["coverage"] == "partial"
    assert probe["not_logged"] == ["readOnly=true"]


def test_logged_counts_the_union_of_trails_any_trail_does_not(capsys: pytest.CaptureFixture[str],
                                                              tmp_path: Path) -> None:
    no_kms = trail("no-kms", EventSelectors=[basic(exclude=(KMS,))])
    no_rdsdata = trail("no-rdsdata", EventSelectors=[basic(exclude=("rdsdata.amazonaws.com",))])
    policy = MANAGEMENT_PROBE + """
  - id: one-trail-all-management
    title: One trail alone records every management event
    severity: high
    scope: account
    require:
      any_trail:
        logged:
          - {eventCategory: Management}
"""
    findings = custom_scan(capsys, tmp_path, snapshot(account(MANAGEMENT, no_kms, no_rdsdata)), policy)
    assert find(findings, "all-management", region="us-east-1")["status"] == "pass"
    assert find(findings, "all-management", region="eu-west-1")["status"] == "pass"
    assert find(findings, "one-trail-all-management")["status"] == "fail"


# -- hours_since ---------------------------------------------------------------------------------

HOURS_SINCE = """
rules:
  - id: recent-delivery
    title: The last delivery is recent
    severity: medium
    scope: trail
    params: {max_hours: 2}
    require:
      expr: "hours_since(Status.LatestDeliveryTime) < params.max_hours"
"""


def test_hours_since_counts_back_from_collected_at(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    document = snapshot(account(
        MANAGEMENT,
        trail("one-hour", Status={"IsLogging": True, "LatestDeliveryTime": "2026-11-20T01:00:00Z"}),
        trail("three-hours", Status={"IsLogging": True, "LatestDeliveryTime": "2026-11-19T23:00:00Z"}),
        trail("never", Status={"IsLogging": True})))
    findings = custom_scan(capsys, tmp_path / "default", document, HOURS_SINCE)
    assert status_of(findings, "recent-delivery") == {
        (MANAGEMENT, "us-east-1", trail_arn("one-hour")): "pass",
        (MANAGEMENT, "us-east-1", trail_arn("three-hours")): "fail",
        (MANAGEMENT, "us-east-1", trail_arn("never")): "error"}
    relaxed = custom_scan(capsys, tmp_path / "relaxed", document, HOURS_SINCE, "--param", "recent-delivery.max_hours=4")
    assert status_of(relaxed, "recent-delivery")[(MANAGEMENT, "us-east-1", trail_arn("three-hours"))] == "pass"


# -- known defects ---------------------------------------------------------------------------------

REACH_POLICY = """
rules:
  - id: region-has-a-trail
    title: Some logging trail reaches the Region
    severity: high
    scope: region
    require:
      any_trail: {}
  - id: region-trails-validated
    title: Every logging trail reaching the Region validates its log files
    severity: medium
    scope: region
    require:
      all_trails:
        expr: "LogFileValidationEnabled == `true`"
  - id: account-trails-validated
    title: Every logging trail reaching the account validates its log files
    severity: medium
    scope: account
    require:
      all_trails:
        expr: "LogFileValidationEnabled == `true`"
"""


def test_region_quantifiers_only_see_trails_reaching_the_region(capsys: pytest.CaptureFixture[str],
                                                                 tmp_path: Path) -> None:
    eu_only = trail("eu-only", home="eu-west-1", multi_region=False)
    findings = custom_scan(capsys, tmp_path, snapshot(account(MANAGEMENT, eu_only)), REACH_POLICY)
    assert find(findings, "region-has-a-trail", region="eu-west-1")["status"] == "pass"
    assert find(findings, "region-has-a-trail", region="us-east-1")["status"] == "fail"


def test_all_trails_ignores_trails_that_are_not_logging(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    stopped = trail("stopped", logging=False, LogFileValidationEnabled=False)
    findings = custom_scan(capsys, tmp_path, snapshot(account(MANAGEMENT, trail(), stopped)), REACH_POLICY)
    assert find(findings, "account-trails-validated")["status"] == "pass"
    assert find(findings, "region-trails-validated", region="us-east-1")["status"] == "pass"
