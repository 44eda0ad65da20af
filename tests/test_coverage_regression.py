"""``coverage-regression``: what a change to trails in code stops recording, by the simulator.

The union of an account's trails per Region is compared before and after the change, for
the probes of the coverage rules in effect; the loss is the trail's whose change causes it
(alone, or together with others when no single change does). Terraform plans are the
input here (tests/helpers/iac.py); CloudFormation baselines are in test_iac_cloudformation.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli import read_findings_document, run_cli
from tests.helpers.data import ESTATE
from tests.helpers.iac import MANAGEMENT, NO_KMS, Res, findings_of, selector, state, trail, write_plan

SSM = {"name": "SSM", "field_selector": [selector("eventCategory", equals=["Data"]),
                                         selector("resources.type", equals=["AWS::SSMMessages::ControlChannel"])]}
MANAGED_NODES = {"name": "nodes", "field_selector": [selector("eventCategory", equals=["Data"]),
                                                     selector("resources.type", equals=["AWS::SSM::ManagedNode"])]}
EU = {"aws.eu": {"name": "aws", "alias": "eu", "expressions": {"region": {"constant_value": "eu-west-1"}}}}


def regressions(capsys: pytest.CaptureFixture[str], tmp_path: Path, resources: list[Res],
                rules: str = "coverage-regression,kms-exclusion-gap,management-events-coverage",
                **plan: Any) -> dict[str, dict[str, Any]]:
    """The coverage-regression findings of a plan, by resource."""
    path = write_plan(tmp_path, resources, **plan)
    result = run_cli(capsys, "scan", "--terraform-plan", str(path), "--rules", rules, "--format", "json",
                     "--output-dir", str(tmp_path), "--quiet")
    assert result.code in (0, 1), result.err
    report = read_findings_document(tmp_path / "findings.json")
    return {f["resource"]: f for f in findings_of(report, "coverage-regression")}


def updated(name: str, before: dict[str, Any], **after: Any) -> Res:
    old = state(trail(name=name, **before))
    return Res(f"aws_cloudtrail.{name}", {**old, **after}, before=old)


def test_the_change_that_alone_loses_coverage_is_the_one_named(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    found = regressions(capsys, tmp_path, [
        updated("mgmt", {}, advanced_event_selector=[NO_KMS]),
        updated("data", {"advanced_event_selector": [SSM]}, advanced_event_selector=[MANAGED_NODES]),
    ])
    assert found["aws_cloudtrail.mgmt"]["status"] == "fail"
    assert found["aws_cloudtrail.data"]["status"] == "pass"


def test_changes_that_lose_coverage_only_together_are_each_named(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Two trails recorded KMS events; each alone would still leave the other: both changed."""
    found = regressions(capsys, tmp_path, [
        updated("a", {}, advanced_event_selector=[NO_KMS]),
        Res("aws_cloudtrail.b", None, before=state(trail(name="b"))),
    ])
    assert found["aws_cloudtrail.a"]["status"] == found["aws_cloudtrail.b"]["status"] == "fail"
    assert found["aws_cloudtrail.b"]["evidence"]["action"] == "delete"


def test_an_exclusion_another_trail_still_covers_is_no_loss(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    unchanged = state(trail(name="org"))
    found = regressions(capsys, tmp_path, [
        updated("team", {}, advanced_event_selector=[NO_KMS]),
        Res("aws_cloudtrail.org", unchanged, before=unchanged),
    ])
    assert found["aws_cloudtrail.team"]["status"] == "pass"
    assert found["aws_cloudtrail.org"]["message"] == "unchanged"


def test_a_single_region_loss_names_the_region_and_what_is_still_recorded_is_not_listed(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    found = regressions(capsys, tmp_path, [updated("main", {}, is_multi_region_trail=False)],
                        rules="coverage-regression,management-events-coverage", providers=EU)
    loss = found["aws_cloudtrail.main"]
    assert loss["status"] == "fail"
    assert loss["message"] == ("this change stops recording all Management events in eu-west-1 "
                               "(management-events-coverage)")
    assert [lost["regions"] for lost in loss["evidence"]["lost"]] == [["eu-west-1"]]


def test_a_partial_loss_names_what_is_no_longer_recorded(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    found = regressions(capsys, tmp_path, [updated("main", {}, advanced_event_selector=[NO_KMS])],
                        rules="coverage-regression,management-events-coverage")
    assert found["aws_cloudtrail.main"]["message"] == (
        "this change stops recording all Management events for eventSource=kms.amazonaws.com in us-east-1 "
        "(management-events-coverage)")


def test_selectors_known_only_after_apply_leave_the_change_undecided(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    old = state(trail())
    change = Res("aws_cloudtrail.main", {**old, "advanced_event_selector": None}, before=old,
                 after_unknown={"advanced_event_selector": True}, actions=["update"])
    found = regressions(capsys, tmp_path, [change])
    assert found["aws_cloudtrail.main"]["status"] == "error"
    assert "cannot tell whether this change keeps recording" in found["aws_cloudtrail.main"]["message"]


def test_without_a_coverage_rule_in_effect_there_is_nothing_to_compare(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    found = regressions(capsys, tmp_path, [updated("main", {}, advanced_event_selector=[NO_KMS])],
                        rules="coverage-regression")
    assert found["aws_cloudtrail.main"]["status"] == "skipped"
    assert "no coverage rule" in found["aws_cloudtrail.main"]["message"]


def test_a_probe_that_was_not_covered_before_is_not_a_regression(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """KMS events were already excluded; dropping the SSM selector loses only SSM events."""
    found = regressions(capsys, tmp_path, [
        updated("main", {"advanced_event_selector": [NO_KMS, SSM]}, advanced_event_selector=[NO_KMS]),
    ], rules="coverage-regression,kms-exclusion-gap,ssm-controlchannel-data-events")
    loss = found["aws_cloudtrail.main"]
    assert {lost["rule_id"] for lost in loss["evidence"]["lost"]} == {"ssm-controlchannel-data-events"}


def test_an_estate_snapshot_has_no_change_to_judge(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    result = run_cli(capsys, "scan", "--snapshot", str(ESTATE), "--rules", "coverage-regression,kms-exclusion-gap",
                     "--format", "json", "--output-dir", str(tmp_path), "--quiet")
    assert result.code in (0, 1)
    report = read_findings_document(tmp_path / "findings.json")
    assert findings_of(report, "coverage-regression") == []
    assert "coverage-regression" in report["rules"]


@pytest.mark.parametrize(("require", "expected"), [
    ("coverage_kept: {}", "require.coverage_kept is judged per trail, not per region"),
    ("coverage_kept: {rules: [x]}", "coverage_kept"),
], ids=["scope", "not-empty"])
def test_coverage_kept_in_a_policy(capsys: pytest.CaptureFixture[str], tmp_path: Path, require: str,
                                   expected: str) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text("rules:\n  - id: my-regression\n    title: t\n    severity: high\n    scope: region\n"
                      f"    require:\n      {require}\n", encoding="utf-8")
    result = run_cli(capsys, "validate", str(policy))
    assert result.code == 2 and expected in result.err


def test_management_is_the_default_rule_set_probe() -> None:
    """The helpers' default trail records all management events (the other tests rely on it)."""
    assert trail()["advanced_event_selector"] == [MANAGEMENT]
