"""``scan --terraform-plan``: a Terraform plan read into the model and judged by the same rules.

Plans are written as ``terraform show -json`` writes them (tests/helpers/iac.py; the demo
plan in examples/iac is hand-made the same way). What a user must see: every selector form
reaches the simulator as the API would hold it, values known only after apply are never
assumed, findings name the address and point at the ``.tf`` line, and bad input is one line.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from checker import action
from checker.action import env_name
from checker.inputs.iac.terraform import TerraformPlanSource
from checker.inputs.snapshot import parse_snapshot
from checker.model import Selectors
from tests.helpers.cli import CliResult, read_findings_document, run_cli
from tests.helpers.data import EXAMPLES, REPO
from tests.helpers.iac import (
    ACCOUNT,
    MANAGEMENT,
    NO_KMS,
    Res,
    findings_of,
    only,
    selector,
    state,
    trail,
    write_plan,
)

DEMO = EXAMPLES / "iac" / "terraform"
DEMO_PLAN = DEMO / "plan.json"
TRAIL = "aws_cloudtrail.main"


def scan_plan(capsys: pytest.CaptureFixture[str], out: Path, plan: Path,
              *args: str) -> tuple[CliResult, dict[str, Any]]:
    result = run_cli(capsys, "scan", "--terraform-plan", str(plan), "--format", "json", "--output-dir", str(out),
                     *args)
    assert result.code in (0, 1), result.err
    report: dict[str, Any] = read_findings_document(out / "findings.json")
    return result, report


def loaded_selectors(tmp_path: Path, **settings: Any) -> Selectors | None:
    plan = write_plan(tmp_path, [Res(TRAIL, trail(**settings))])
    (only_trail,) = TerraformPlanSource(plan).load().all_trails()
    return only_trail.selectors


def api_selectors(document: dict[str, Any]) -> Selectors | None:
    """The selectors the snapshot parser reads from an API-shaped trail."""
    snapshot = parse_snapshot({"format": "trailcheck.snapshot/v1", "accounts": [{
        "account_id": ACCOUNT, "regions": ["us-east-1"], "trails": [{
            "Name": "main", "TrailARN": f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/main",
            "HomeRegion": "us-east-1", "IsMultiRegionTrail": True, **document}]}]}, "api")
    return snapshot.all_trails()[0].selectors


# -- the demo: a child module whose change adds a KMS exclusion ---------------------------------

def test_demo_plan_fails_the_gate_naming_the_change_the_probe_and_the_line(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(EXAMPLES.parent)
    result, report = scan_plan(capsys, tmp_path, DEMO_PLAN.relative_to(EXAMPLES.parent), "--format", "json,sarif")
    assert result.code == 1
    regression = only(report, "coverage-regression")
    assert regression["status"] == "fail"
    assert regression["resource"] == "module.logging.aws_cloudtrail.org"
    assert regression["account_id"] == "111122223333" and regression["region"] == "us-east-1"
    assert regression["location"] == {"file": "examples/iac/terraform/modules/logging/main.tf", "line": 13}
    assert regression["message"].startswith("this change stops recording kms.amazonaws.com DisableKey")
    assert "in every Region in scope (kms-exclusion-gap)" in regression["message"]
    assert {lost["rule_id"] for lost in regression["evidence"]["lost"]} == {
        "kms-exclusion-gap", "kms-read-events-excluded", "management-events-coverage"}
    assert report["inputs"]["snapshot"]["code"] == {"kind": "terraform-plan"}
    gaps = findings_of(report, "kms-exclusion-gap")
    assert sorted(f["region"] for f in gaps) == ["eu-west-1", "us-east-1"]  # both providers' Regions
    assert all(f["status"] == "fail" and f["message"].endswith("(in this configuration)") for f in gaps)
    assert all(f["location"]["file"].endswith("modules/logging/main.tf") for f in gaps)
    sarif = json.loads((tmp_path / "findings.sarif").read_text(encoding="utf-8"))
    placed = next(r for r in sarif["runs"][0]["results"] if r["ruleId"] == "coverage-regression")
    assert placed["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "examples/iac/terraform/modules/logging/main.tf", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 13}}


def test_demo_monitoring_links_through_stand_ins_and_is_broken_by_the_exclusion(tmp_path: Path) -> None:
    """The alarm's topic ARN is known only after apply; the configuration says which topic it is."""
    snapshot = TerraformPlanSource(DEMO_PLAN).load()
    account = snapshot.accounts[0]
    monitoring = account.monitoring_in("us-east-1")
    assert monitoring is not None and monitoring.alarms and monitoring.topics
    assert monitoring.alarms[0].alarm_actions == ("arn:aws:sns:us-east-1:111122223333:security-alerts",)
    assert monitoring.topics[0].arn == "arn:aws:sns:us-east-1:111122223333:security-alerts"
    assert [s.protocol for s in monitoring.topics[0].subscriptions or ()] == ["email"]


def test_trail_rules_read_the_settings_and_skip_what_a_plan_cannot_say(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _, report = scan_plan(capsys, tmp_path, DEMO_PLAN)
    statuses = {f["rule_id"]: f["status"] for f in report["findings"] if f["resource"]}
    assert statuses["log-file-validation"] == statuses["kms-encryption"] == statuses["trail-logging"] == "pass"
    delivery = only(report, "trail-delivery-healthy")
    assert delivery["status"] == "skipped"
    assert delivery["message"].startswith("a plan is not an estate: Status.LatestDeliveryError")


# -- every selector form ------------------------------------------------------------------------

@pytest.mark.parametrize(("settings", "document"), [
    ({"advanced_event_selector": [], "event_selector": [{
        "read_write_type": "WriteOnly", "include_management_events": True,
        "exclude_management_event_sources": ["kms.amazonaws.com", "rdsdata.amazonaws.com"],
        "data_resource": [{"type": "AWS::S3::Object", "values": ["arn:aws:s3:::bucket/"]},
                          {"type": "AWS::Lambda::Function", "values": ["arn:aws:lambda"]}]}]},
     {"EventSelectors": [{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True,
                          "ExcludeManagementEventSources": ["kms.amazonaws.com", "rdsdata.amazonaws.com"],
                          "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::bucket/"]},
                                            {"Type": "AWS::Lambda::Function", "Values": ["arn:aws:lambda"]}]}]}),
    ({"advanced_event_selector": [], "event_selector": [{
        "read_write_type": None, "include_management_events": False, "exclude_management_event_sources": None,
        "data_resource": [{"type": "AWS::DynamoDB::Table", "values": []}]}]},
     {"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": False,
                          "DataResources": [{"Type": "AWS::DynamoDB::Table", "Values": []}]}]}),
    ({"advanced_event_selector": [{"name": "every operator", "field_selector": [
        selector("eventCategory", equals=["Data"]),
        selector("resources.type", equals=["AWS::S3::Object"]),
        selector("resources.ARN", starts_with=["arn:aws:s3:::a/"], not_starts_with=["arn:aws:s3:::a/tmp/"],
                 ends_with=[".csv"], not_ends_with=[".tmp.csv"]),
        selector("eventName", not_equals=["GetObject"])]}]},
     {"AdvancedEventSelectors": [{"Name": "every operator", "FieldSelectors": [
         {"Field": "eventCategory", "Equals": ["Data"]},
         {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
         {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::a/"], "NotStartsWith": ["arn:aws:s3:::a/tmp/"],
          "EndsWith": [".csv"], "NotEndsWith": [".tmp.csv"]},
         {"Field": "eventName", "NotEquals": ["GetObject"]}]}]}),
    ({"advanced_event_selector": [], "event_selector": []},
     {"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": [],
                          "ExcludeManagementEventSources": []}]}),
], ids=["event_selector", "event_selector-defaults", "advanced_event_selector", "no-selectors-is-the-default"])
def test_each_selector_form_reaches_the_model_as_the_api_would_hold_it(
        tmp_path: Path, settings: dict[str, Any], document: dict[str, Any]) -> None:
    assert loaded_selectors(tmp_path, **settings) == api_selectors(document)


def test_insight_selectors_and_the_exclusion_are_judged_by_the_rules(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    plan = write_plan(tmp_path, [Res(TRAIL, trail(
        advanced_event_selector=[], event_selector=[{"read_write_type": "All", "include_management_events": True,
                                                     "exclude_management_event_sources": ["kms.amazonaws.com"],
                                                     "data_resource": []}],
        insight_selector=[{"insight_type": "ApiCallRateInsight"}, {"insight_type": "ApiErrorRateInsight"}]))])
    _, report = scan_plan(capsys, tmp_path, plan)
    assert only(report, "insights-enabled")["status"] == "pass"
    gap = only(report, "kms-exclusion-gap")
    assert gap["status"] == "fail" and gap["region"] == "us-east-1"
    assert "(in this configuration)" in gap["message"]


# -- values known only after apply --------------------------------------------------------------

@pytest.mark.parametrize(("expression", "status"), [
    ({"references": ["aws_kms_key.trail.arn", "aws_kms_key.trail"]}, "pass"),
    ({"references": ["data.aws_kms_key.shared.arn", "data.aws_kms_key.shared"]}, "pass"),
    ({"references": ["aws_s3_bucket.logs.arn", "aws_s3_bucket.logs"]}, "skipped"),
    ({"references": ["local.key"]}, "skipped"),
], ids=["aws_kms_key", "data.aws_kms_key", "not-a-key", "unresolvable"])
def test_a_key_known_only_after_apply_counts_when_the_configuration_names_a_key(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, expression: dict[str, Any], status: str) -> None:
    resources = [Res(TRAIL, trail(kms_key_id=None), after_unknown={"kms_key_id": True},
                     expressions={"kms_key_id": expression}),
                 Res("aws_kms_key.trail", {"description": "trail"}, after_unknown={"arn": True}),
                 Res("aws_s3_bucket.logs", {"bucket": None}, after_unknown={"arn": True, "bucket": True})]
    _, report = scan_plan(capsys, tmp_path, write_plan(tmp_path, resources))
    encryption = only(report, "kms-encryption")
    assert encryption["status"] == status
    if status == "skipped":
        assert encryption["message"] == "kms_key_id is known only after apply"


@pytest.mark.parametrize(("locals_block", "status"), [
    ("locals {\n  key = aws_kms_key.trail.arn # not aws_s3_bucket.logs\n}\n", "pass"),
    ('locals {\n  tags = {\n    key = "x"\n  }\n  shared = coalesce(\n    local.key_arn,\n  )\n'
     '  key = local.shared\n  key_arn = "${aws_kms_key.trail.arn}"\n}\n', "pass"),
    ('locals {\n  key = aws_s3_bucket.logs.arn\n  note = "aws_kms_key.trail.arn"\n}\n', "skipped"),
    ('locals {\n  key = "aws_kms_key.trail.arn"\n}\n', "skipped"),
], ids=["a-key", "through-other-locals", "not-a-key", "text-is-no-reference"])
def test_a_key_named_through_locals_counts_as_the_tf_files_write_it(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, locals_block: str, status: str) -> None:
    """A plan lists ``local.key`` among the references but never says what the local is: the
    module's ``.tf`` files do (here the root module's, beside the plan)."""
    (tmp_path / "locals.tf").write_text(locals_block)
    resources = [Res(TRAIL, trail(kms_key_id=None), after_unknown={"kms_key_id": True},
                     expressions={"kms_key_id": {"references": ["local.key"]}}),
                 Res("aws_kms_key.trail", {"description": "trail"}, after_unknown={"arn": True}),
                 Res("aws_s3_bucket.logs", {"bucket": None}, after_unknown={"arn": True, "bucket": True})]
    _, report = scan_plan(capsys, tmp_path, write_plan(tmp_path, resources))
    assert only(report, "kms-encryption")["status"] == status


def test_a_local_in_a_child_module_is_read_from_that_modules_files(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    module = tmp_path / "modules" / "logging"
    module.mkdir(parents=True)
    (module / "main.tf").write_text('locals {\n  key = aws_kms_key.this.arn\n}\n')
    (tmp_path / "main.tf").write_text('locals {\n  key = aws_s3_bucket.logs.arn\n}\n')  # the root's, not this one
    resources = [Res("module.logging.aws_cloudtrail.org", trail(kms_key_id=None), after_unknown={"kms_key_id": True},
                     expressions={"kms_key_id": {"references": ["local.key"]}}),
                 Res("module.logging.aws_kms_key.this", {"description": "trail"}, after_unknown={"arn": True})]
    _, report = scan_plan(capsys, tmp_path, write_plan(tmp_path, resources))
    assert only(report, "kms-encryption")["status"] == "pass"


def test_selectors_known_only_after_apply_are_unknown_never_covered(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    resources = [Res(TRAIL, trail(advanced_event_selector=None), after_unknown={"advanced_event_selector": True})]
    result, report = scan_plan(capsys, tmp_path, write_plan(tmp_path, resources))
    assert result.code == 1
    coverage = findings_of(report, "management-events-coverage")
    assert [f["status"] for f in coverage] == ["error"]
    assert "undecided" in coverage[0]["message"] or "could not decide" in coverage[0]["message"]


def test_a_trail_whose_reach_is_known_only_after_apply_is_not_counted(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    resources = [Res(TRAIL, trail(is_multi_region_trail=None), after_unknown={"is_multi_region_trail": True})]
    _, report = scan_plan(capsys, tmp_path, write_plan(tmp_path, resources))
    assert only(report, "cloudtrail-enabled")["status"] == "error"
    assert all(f["status"] != "pass" for f in findings_of(report, "management-events-coverage"))


# -- modules, Regions and accounts --------------------------------------------------------------

def test_nested_child_modules_are_read_and_located(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    inner = tmp_path / "modules" / "audit" / "trail"
    inner.mkdir(parents=True)
    (inner / "main.tf").write_text('locals {}\n\nresource "aws_cloudtrail" "this" {\n  name = "x"\n}\n')
    address = "module.audit.module.trail.aws_cloudtrail.this"
    plan = write_plan(tmp_path, [Res(address, trail())],
                      module_sources={"audit": "./modules/audit", "trail": "./trail"})
    _, report = scan_plan(capsys, tmp_path, plan)
    logging = only(report, "trail-logging")
    assert logging["resource"] == address
    assert logging["location"]["line"] == 3
    assert logging["location"]["file"].endswith("modules/audit/trail/main.tf")


DATA_ONLY = {"name": "S3 objects", "field_selector": [selector("eventCategory", equals=["Data"]),
                                                    selector("resources.type", equals=["AWS::S3::Object"])]}
TWO_TRAILS_TF = ('resource "aws_cloudtrail" "data" {\n  name = "data"\n}\n\n'
                 'resource "aws_cloudtrail" "main" {\n  name = "main"\n}\n')


@pytest.mark.parametrize(("main_selectors", "status"), [([NO_KMS], "fail"), ([MANAGEMENT], "pass")],
                         ids=["fail-points-at-the-excluding-trail", "pass-points-at-the-covering-trail"])
def test_region_and_account_findings_point_at_the_trail_that_decided_them(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, main_selectors: list[dict[str, Any]],
        status: str) -> None:
    """The first trail declared logs S3 data events only: it decides nothing about KMS
    management events, so the finding sits on the second trail, not on the first."""
    (tmp_path / "main.tf").write_text(TWO_TRAILS_TF)
    plan = write_plan(tmp_path, [Res("aws_cloudtrail.data", trail("data", advanced_event_selector=[DATA_ONLY])),
                                 Res(TRAIL, trail(advanced_event_selector=main_selectors))])
    _, report = scan_plan(capsys, tmp_path, plan)
    for rule_id in ("kms-exclusion-gap", "management-events-coverage"):
        found = only(report, rule_id)
        assert found["status"] == status, found["message"]
        assert found["location"] == {"file": str(tmp_path / "main.tf"), "line": 5}, rule_id


def test_a_registry_module_has_no_file_to_point_at(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    plan = write_plan(tmp_path, [Res("module.ct.aws_cloudtrail.this", trail())],
                      module_sources={"ct": "cloudposse/cloudtrail/aws"})
    _, report = scan_plan(capsys, tmp_path, plan)
    logging = only(report, "trail-logging")
    assert logging["resource"] == "module.ct.aws_cloudtrail.this" and "location" not in logging


def test_terraform_dir_is_where_the_root_module_is(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    plans = tmp_path / "plans"
    plans.mkdir()
    plan = write_plan(plans, [Res(TRAIL, trail())])
    (tmp_path / "main.tf").write_text('resource "aws_cloudtrail" "main" {}\n')
    _, without = scan_plan(capsys, tmp_path / "a", plan)
    _, located = scan_plan(capsys, tmp_path / "b", plan, "--terraform-dir", str(tmp_path))
    assert "location" not in only(without, "trail-logging")
    assert only(located, "trail-logging")["location"]["line"] == 1


def test_the_region_comes_from_a_variable_or_regions(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    providers = {"aws": {"name": "aws", "expressions": {"region": {"references": ["var.region"]}}}}
    plan = write_plan(tmp_path, [Res(TRAIL, trail(is_multi_region_trail=False))], providers=providers,
                      variables={"region": "eu-central-1"})
    _, report = scan_plan(capsys, tmp_path, plan)
    assert only(report, "trail-logging")["region"] == "eu-central-1"
    _, wider = scan_plan(capsys, tmp_path, plan, "--regions", "eu-central-1,eu-west-1")
    assert {f["region"]: f["status"] for f in findings_of(wider, "management-events-coverage")} == {
        "eu-central-1": "pass", "eu-west-1": "fail"}  # a single-Region trail covers only its own Region


def test_the_region_and_account_come_from_root_locals_the_tf_files_write(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "locals.tf").write_text('locals {\n  region  = "eu-central-1" # Frankfurt\n'
                                        '  account = "222222222222"\n}\n')
    providers = {"aws": {"name": "aws", "expressions": {"region": {"references": ["local.region"]},
                                                        "allowed_account_ids": {"references": ["local.account"]}}}}
    plan = write_plan(tmp_path, [Res(TRAIL, trail(is_multi_region_trail=False))], providers=providers)
    _, report = scan_plan(capsys, tmp_path, plan)
    logging = only(report, "trail-logging")
    assert (logging["account_id"], logging["region"]) == ("222222222222", "eu-central-1")


def test_a_plan_without_a_region_asks_for_regions(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    plan = write_plan(tmp_path, [Res(TRAIL, trail())], region=None)
    result = run_cli(capsys, "scan", "--terraform-plan", str(plan), "--output-dir", str(tmp_path))
    assert result.code == 2
    assert result.err.count("\n") == 1 and str(plan) in result.err and "--regions" in result.err


def test_an_account_the_plan_does_not_show_is_a_named_placeholder(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    plan = write_plan(tmp_path, [Res(TRAIL, trail())], account=None)
    result, report = scan_plan(capsys, tmp_path, plan)
    assert {f["account_id"] for f in report["findings"]} == {"000000000000"}
    assert report["inputs"]["snapshot"]["code"] == {"kind": "terraform-plan", "placeholder_account": "000000000000"}
    assert "does not show the AWS account; findings name it 000000000000" in result.err


def test_the_account_of_the_prior_state_is_used(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    before = state(trail(), account="222222222222")
    plan = write_plan(tmp_path, [Res(TRAIL, before, before=before)], account=None)
    _, report = scan_plan(capsys, tmp_path, plan)
    assert {f["account_id"] for f in report["findings"]} == {"222222222222"}


# -- coverage-regression ------------------------------------------------------------------------

def regression(capsys: pytest.CaptureFixture[str], tmp_path: Path, resources: list[Res],
               *args: str) -> list[dict[str, Any]]:
    _, report = scan_plan(capsys, tmp_path, write_plan(tmp_path, resources), "--rules",
                          "coverage-regression,kms-exclusion-gap,management-events-coverage", *args)
    return findings_of(report, "coverage-regression")


def test_deleting_the_only_trail_is_a_regression(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (found,) = regression(capsys, tmp_path, [Res(TRAIL, None, before=state(trail()))])
    assert found["status"] == "fail" and found["evidence"]["action"] == "delete"
    assert found["message"].startswith("this change stops recording")


def test_replacing_a_trail_is_judged_like_an_update(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    before = state(trail())
    after = trail(advanced_event_selector=[NO_KMS])
    (found,) = regression(capsys, tmp_path, [Res(TRAIL, after, before=before, actions=["delete", "create"])])
    assert found["status"] == "fail" and found["evidence"]["action"] == "replace"
    assert "kms.amazonaws.com" in found["message"]


def test_coverage_moved_to_another_trail_is_no_regression(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The exclusion is added while a new trail records everything: the union keeps KMS events."""
    resources = [Res(TRAIL, trail(advanced_event_selector=[NO_KMS]), before=state(trail())),
                 Res("aws_cloudtrail.kms", trail(name="kms"))]
    found = {f["resource"]: f for f in regression(capsys, tmp_path, resources)}
    assert found[TRAIL]["status"] == "pass"
    assert found["aws_cloudtrail.kms"]["status"] == "pass"
    assert found["aws_cloudtrail.kms"]["message"].startswith("created")


def test_created_and_unchanged_trails_give_no_failure(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    kept = state(trail(name="kept", advanced_event_selector=[NO_KMS]))
    resources = [Res("aws_cloudtrail.kept", kept, before=kept), Res("aws_cloudtrail.new", trail(name="new"))]
    assert {f["status"] for f in regression(capsys, tmp_path, resources)} == {"pass"}


def test_a_change_that_narrows_no_coverage_rule_passes(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    before = state(trail(enable_log_file_validation=False))
    (found,) = regression(capsys, tmp_path, [Res(TRAIL, {**before, "enable_log_file_validation": True},
                                                 before=before)])
    assert found["status"] == "pass" and found["evidence"]["action"] == "update"


def test_a_baseline_plan_is_the_before(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    base_dir, head_dir = tmp_path / "base", tmp_path / "head"
    base_dir.mkdir()
    head_dir.mkdir()
    base = write_plan(base_dir, [Res(TRAIL, trail())])
    head = write_plan(head_dir, [Res(TRAIL, trail(advanced_event_selector=[NO_KMS]))])
    _, report = scan_plan(capsys, tmp_path, head, "--baseline-plan", str(base))
    found = only(report, "coverage-regression")
    assert found["status"] == "fail" and found["resource"] == TRAIL


# -- bad input ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ('[{"format_version": "1.2"}]', ": $: not a Terraform plan: the document is a list"),
    ('{"format_version": "1.0", "values": {"root_module": {}}}', ": $: a Terraform state, not a plan"),
    ('{"format": "trailcheck.snapshot/v1", "accounts": []}', ": $: not a Terraform plan: no format_version"),
    ('{"format_version": "1.2", "planned_values": {"root_module": {"resources": [{"address": 7}]}}}',
     ": $.planned_values.root_module.resources[0].address: not a Terraform resource address"),
    ('{"format_version": "1.2", "planned_values": []}', ": $.planned_values: expected an object, got a list"),
    ('{"format_version": "1.2", "planned_values": {', ":1:"),
], ids=["array", "state", "snapshot", "bad-address", "bad-shape", "truncated"])
def test_a_plan_that_is_not_a_plan_is_one_line_naming_the_file_and_place(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, expected: str) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(text, encoding="utf-8")
    result = run_cli(capsys, "scan", "--terraform-plan", str(plan), "--output-dir", str(tmp_path))
    assert result.code == 2
    assert result.err.count("\n") == 1, result.err
    assert f"{plan}{expected}" in result.err


def test_a_setting_of_the_wrong_type_names_the_resource(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    plan = write_plan(tmp_path, [Res(TRAIL, trail(is_multi_region_trail="yes"))])
    result = run_cli(capsys, "scan", "--terraform-plan", str(plan), "--output-dir", str(tmp_path))
    assert result.code == 2 and result.err.count("\n") == 1
    assert f"{plan}: {TRAIL}" in result.err and "is_multi_region_trail" in result.err


@pytest.mark.parametrize("combination", [
    ("--terraform-plan", "p.json", "--cloudformation", "t.yaml"),
    ("--terraform-plan", "p.json", "--snapshot", "s.json"),
    ("--cloudformation", "t.yaml", "--terraform-dir", "."),
    ("--snapshot", "s.json", "--baseline-plan", "b.json"),
], ids=["plan-and-template", "plan-and-snapshot", "dir-without-plan", "baseline-without-code"])
def test_options_that_do_not_go_together_are_a_bad_invocation(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, combination: tuple[str, ...]) -> None:
    result = run_cli(capsys, "scan", *combination, "--output-dir", str(tmp_path))
    assert result.code == 2 and result.err.count("\n") == 1


# -- reports on a plan ------------------------------------------------------------------------

def test_the_markdown_summary_links_to_the_line_in_a_github_run(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(EXAMPLES.parent)
    monkeypatch.setenv("GITHUB_SERVER_URL", "https://github.com")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/infra")
    monkeypatch.setenv("GITHUB_SHA", "abc123")
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    run_cli(capsys, "scan", "--terraform-plan", "examples/iac/terraform/plan.json", "--format", "md",
            "--output-dir", str(tmp_path))
    markdown = (tmp_path / "findings.md").read_text(encoding="utf-8")
    assert ("module.logging.aws\\_cloudtrail.org<br>[examples/iac/terraform/modules/logging/main.tf:13]"
            "(https://github.com/acme/infra/blob/abc123/examples/iac/terraform/modules/logging/main.tf#L13)"
            ) in markdown


def test_the_action_gates_on_a_plan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(EXAMPLES.parent)
    output, summary = tmp_path / "github_output", tmp_path / "summary"
    output.touch()
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    for name in action.INPUT_NAMES:
        monkeypatch.delenv(env_name(name), raising=False)
    monkeypatch.setenv("INPUT_TERRAFORM_PLAN", "examples/iac/terraform/plan.json")
    monkeypatch.setenv("INPUT_OUTPUT_DIR", str(tmp_path / "reports"))
    assert action.main() == 1
    sarif = json.loads((tmp_path / "reports" / "findings.sarif").read_text(encoding="utf-8"))
    regression_result = next(r for r in sarif["runs"][0]["results"] if r["ruleId"] == "coverage-regression")
    location = regression_result["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "examples/iac/terraform/modules/logging/main.tf"
    assert location["region"]["startLine"] == 13
    assert "failed-count<<" in output.read_text(encoding="utf-8")
    assert "coverage-regression" in summary.read_text(encoding="utf-8")


def test_the_demo_plan_matches_its_configuration() -> None:
    """The hand-made plan and the .tf files tell the same story: the trail's change is the exclusion."""
    plan = json.loads(DEMO_PLAN.read_text(encoding="utf-8"))
    change = next(c for c in plan["resource_changes"] if c["type"] == "aws_cloudtrail")
    before, after = change["change"]["before"], change["change"]["after"]
    assert change["change"]["actions"] == ["update"]
    assert [f["field"] for f in before["advanced_event_selector"][0]["field_selector"]] == ["eventCategory"]
    assert after["advanced_event_selector"][0]["field_selector"][1]["not_equals"] == ["kms.amazonaws.com"]
    assert 'not_equals = ["kms.amazonaws.com"]' in (DEMO / "modules" / "logging" / "main.tf").read_text()
    assert MANAGEMENT["field_selector"] == before["advanced_event_selector"][0]["field_selector"]


def test_the_readme_excerpt_of_the_demo_plan_is_its_real_output(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    command = "trailcheck scan --terraform-plan examples/iac/terraform/plan.json --format table,sarif,md"
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    excerpt = readme.split(f"$ {command}\n", 1)[1].split("\n…\n", 1)[0].splitlines()
    monkeypatch.chdir(REPO)
    result = run_cli(capsys, *command.split()[1:], "--output-dir", str(tmp_path))
    assert result.code == 1
    assert result.out.splitlines()[:len(excerpt)] == excerpt

