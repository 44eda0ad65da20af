"""Where the logs live, read from code: the KMS keys and log groups a plan or template defines.

What a user must see in the pull request: a key written beside the trail with rotation off,
or disabled, or deleted by the change, fails, and so does a log group that keeps events 30
days, each finding naming the key or log group and the line where it is written. Everything
the code does not decide is ``skipped`` with the reason, never ``error``: a key or log group
the trail only names (a literal ARN, a data source), a value known only after apply, bucket
posture, event data stores when the code defines none.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli import read_findings_document, run_cli
from tests.helpers.data import EXAMPLES
from tests.helpers.iac import ACCOUNT, Res, findings_of, only, trail, write_plan

STORAGE_RULES = ",".join(("trail-kms-key-usable", "trail-kms-key-rotation", "log-retention", "trail-bucket-not-public",
                          "trail-bucket-access-logging", "trail-bucket-delete-protection", "trail-bucket-policy-scoped",
                          "event-data-store-healthy", "event-data-store-cmk"))
BUCKET_RULES = ("trail-bucket-not-public", "trail-bucket-access-logging", "trail-bucket-delete-protection",
                "trail-bucket-policy-scoped")
TRAIL = "aws_cloudtrail.main"
KEY = "aws_kms_key.trail"
GROUP = "aws_cloudwatch_log_group.trail"
STAND_IN_KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{KEY}"
MAIN_TF = """\
resource "aws_kms_key" "trail" {
  enable_key_rotation = false
}

resource "aws_cloudwatch_log_group" "trail" {
  retention_in_days = 30
}

resource "aws_cloudtrail" "main" {
  name = "main"
}
"""


def scan(capsys: pytest.CaptureFixture[str], out: Path, *source: str) -> dict[str, Any]:
    result = run_cli(capsys, "scan", *source, "--format", "json", "--output-dir", str(out), "--rules", STORAGE_RULES)
    assert result.code in (0, 1), result.err
    report: dict[str, Any] = read_findings_document(out / "findings.json")
    assert not [f for f in report["findings"] if f["status"] == "error"], "code never answers error"
    return report


def scan_plan(capsys: pytest.CaptureFixture[str], tmp_path: Path, resources: list[Res]) -> dict[str, Any]:
    return scan(capsys, tmp_path / "out", "--terraform-plan", str(write_plan(tmp_path, resources)))


def key(**values: Any) -> dict[str, Any]:
    """``aws_kms_key`` values as the provider plans a new key (its ARN known only after apply)."""
    return {"description": "trail", "is_enabled": True, "enable_key_rotation": True,
            "customer_master_key_spec": "SYMMETRIC_DEFAULT", "deletion_window_in_days": 30, **values}


def keyed_trail(key_resource: Res, **settings: Any) -> list[Res]:
    """The trail with ``kms_key_id = aws_kms_key.trail.arn`` (known only after apply) and the key."""
    return [Res(TRAIL, trail(kms_key_id=None, **settings), after_unknown={"kms_key_id": True},
                expressions={"kms_key_id": {"references": [f"{KEY}.arn", KEY]}}), key_resource]


def logged_trail(retention: Any, **unknown: bool) -> list[Res]:
    """The trail with ``cloud_watch_logs_group_arn = "${aws_cloudwatch_log_group.trail.arn}:*"`` and the group."""
    return [Res(TRAIL, trail(cloud_watch_logs_group_arn=None), after_unknown={"cloud_watch_logs_group_arn": True},
                expressions={"cloud_watch_logs_group_arn": {"references": [f"{GROUP}.arn", GROUP]}}),
            Res(GROUP, {"name": "trail-events", "retention_in_days": retention, "kms_key_id": None},
                after_unknown={"arn": True, **unknown})]


# -- Terraform: keys -----------------------------------------------------------------------------

def test_a_key_with_rotation_off_fails_naming_the_key_and_its_line(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(MAIN_TF)
    report = scan_plan(capsys, tmp_path, keyed_trail(Res(KEY, key(enable_key_rotation=False),
                                                         after_unknown={"arn": True})))
    rotation = only(report, "trail-kms-key-rotation")
    assert rotation["status"] == "fail" and rotation["resource"] == TRAIL
    assert rotation["message"] == (f"customer-managed KMS key {STAND_IN_KEY} has rotation off "
                                   f"({KEY}, {tmp_path / 'main.tf'} line 1)")
    assert rotation["location"] == {"file": str(tmp_path / "main.tf"), "line": 1}  # the key's: it decides
    assert rotation["evidence"]["kms_key"] == {
        "name": STAND_IN_KEY, "account_id": ACCOUNT, "KeyManager": "CUSTOMER", "KeyRotationEnabled": False,
        "resource": KEY, "location": {"file": str(tmp_path / "main.tf"), "line": 1}}
    assert only(report, "trail-kms-key-usable")["status"] == "pass"


@pytest.mark.parametrize(("values", "actions", "state"), [
    ({"is_enabled": False}, None, "Disabled"),
    ({}, ["delete"], "PendingDeletion"),
], ids=["disabled", "deleted-by-the-change"])
def test_a_key_the_trail_cannot_use_fails(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                          values: dict[str, Any], actions: list[str] | None, state: str) -> None:
    arn = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234"  # the trail's literal key ARN (helpers' default)
    existing = {**key(**values), "arn": arn, "key_id": "1234"}
    resource = Res(KEY, None if actions else existing, before=existing, actions=actions)
    report = scan_plan(capsys, tmp_path, [Res(TRAIL, trail()), resource])
    usable = only(report, "trail-kms-key-usable")
    assert usable["status"] == "fail"
    assert usable["message"].startswith(f"KMS key {arn} is {state}: CloudTrail cannot encrypt with it")
    assert usable["evidence"]["kms_key"]["resource"] == KEY


@pytest.mark.parametrize(("settings", "named"), [
    ({}, f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234"),
    ({"kms_key_id": None}, None),
], ids=["literal-arn", "no-key"])
def test_a_key_the_plan_does_not_define_is_skipped(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                   settings: dict[str, Any], named: str | None) -> None:
    report = scan_plan(capsys, tmp_path, [Res(TRAIL, trail(**settings))])
    for rule_id in ("trail-kms-key-usable", "trail-kms-key-rotation"):
        found = only(report, rule_id)
        assert found["status"] == "skipped"
        if named:
            assert found["message"] == (f"KMS key {named} is not defined in this plan (a literal ARN, a data source "
                                        "or another stack's): its settings are not in this plan")
        else:
            assert found["message"] == "the trail has no KMS key (kms-encryption reports it)"


def test_a_key_from_a_data_source_is_skipped(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    references = ["data.aws_kms_key.shared.arn", "data.aws_kms_key.shared"]
    resources = [Res(TRAIL, trail(kms_key_id=None), after_unknown={"kms_key_id": True},
                     expressions={"kms_key_id": {"references": references}})]
    report = scan_plan(capsys, tmp_path, resources)
    usable = only(report, "trail-kms-key-usable")
    assert usable["status"] == "skipped" and "is not defined in this plan" in usable["message"]
    assert "data.aws_kms_key.shared" in usable["message"]


def test_a_key_id_known_only_after_apply_is_skipped_with_the_reason(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    resources = [Res(TRAIL, trail(kms_key_id=None), after_unknown={"kms_key_id": True},
                     expressions={"kms_key_id": {"references": ["var.key"]}})]
    report = scan_plan(capsys, tmp_path, resources)
    for rule_id in ("trail-kms-key-usable", "trail-kms-key-rotation"):
        found = only(report, rule_id)
        assert (found["status"], found["message"]) == ("skipped", "kms_key_id is known only after apply")


def test_key_settings_known_only_after_apply_skip_only_the_rule_that_reads_them(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    resource = Res(KEY, key(enable_key_rotation=False, is_enabled=None),
                   after_unknown={"arn": True, "is_enabled": True})
    report = scan_plan(capsys, tmp_path, keyed_trail(resource))
    usable = only(report, "trail-kms-key-usable")
    assert usable["status"] == "skipped"
    assert usable["message"] == f"KMS key {KEY}: is_enabled is known only after apply"
    assert only(report, "trail-kms-key-rotation")["status"] == "fail"  # rotation is known: off


# -- Terraform: log groups -----------------------------------------------------------------------

def test_a_log_group_keeping_events_30_days_fails_naming_it_and_its_line(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(MAIN_TF)
    report = scan_plan(capsys, tmp_path, logged_trail(30))
    retention = only(report, "log-retention")
    assert retention["status"] == "fail" and retention["resource"] == TRAIL
    assert retention["message"] == (f"log group trail-events keeps events 30 days, fewer than 365 "
                                    f"({GROUP}, {tmp_path / 'main.tf'} line 5)")
    assert retention["evidence"]["log_group"]["location"] == {"file": str(tmp_path / "main.tf"), "line": 5}


@pytest.mark.parametrize(("retention", "kept"), [(400, "keeps events 400 days, at least 365"),
                                                 (0, "keeps events forever (no retentionInDays)")],
                         ids=["400-days", "never-expire"])
def test_a_log_group_keeping_events_long_enough_cannot_pass_without_the_bucket(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, retention: int, kept: str) -> None:
    retention_finding = only(scan_plan(capsys, tmp_path, logged_trail(retention)), "log-retention")
    assert retention_finding["status"] == "skipped"
    assert retention_finding["message"] == (
        "bucket trail-logs is not defined in this plan (a literal name, a data source or another stack's): its "
        f"settings are not in this plan; log group trail-events {kept} ({GROUP})")


def test_a_retention_known_only_after_apply_is_skipped_with_the_reason(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    found = only(scan_plan(capsys, tmp_path, logged_trail(None, retention_in_days=True)), "log-retention")
    assert found["status"] == "skipped"
    assert found["message"].endswith(f"; log group {GROUP}: retention_in_days is known only after apply")


def test_a_log_group_the_plan_does_not_define_is_skipped(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    arn = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:shared:*"
    found = only(scan_plan(capsys, tmp_path, [Res(TRAIL, trail(cloud_watch_logs_group_arn=arn))]), "log-retention")
    assert found["status"] == "skipped"
    assert f"; log group {arn} is not defined in this plan" in found["message"]


def test_a_retention_that_is_not_a_number_of_days_is_bad_input(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    plan = write_plan(tmp_path, logged_trail(-1))
    result = run_cli(capsys, "scan", "--terraform-plan", str(plan), "--output-dir", str(tmp_path))
    assert result.code == 2 and result.err.count("\n") == 1, result.err
    assert f"{plan}: {GROUP}" in result.err and "retention_in_days: expected a whole number of days" in result.err


# -- Terraform: buckets and event data stores ----------------------------------------------------

def test_a_storage_resource_whose_region_the_plan_does_not_show_is_not_in_this_plan(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A trail needs its Region; a bucket, key or log group elsewhere in a large plan does not stop the scan."""
    providers = {"aws.eu": {"name": "aws", "alias": "eu", "expressions": {"region": {"constant_value": "eu-west-1"}}},
                 "aws.somewhere": {"name": "aws", "alias": "somewhere", "expressions": {}}}
    plan = write_plan(tmp_path, [Res(TRAIL, trail()), bucket()], providers=providers)
    document = json.loads(plan.read_text(encoding="utf-8"))
    for resource in document["configuration"]["root_module"]["resources"]:
        if resource["type"] == "aws_s3_bucket":
            resource["provider_config_key"] = "aws.somewhere"
    plan.write_text(json.dumps(document), encoding="utf-8")
    report = scan(capsys, tmp_path / "out", "--terraform-plan", str(plan))
    public = findings_of(report, "trail-bucket-not-public")
    assert public and all(f["message"].startswith("bucket trail-logs is not defined in this plan") for f in public)


def bucket(values: dict[str, Any] | None = None, before: dict[str, Any] | None = None,
           **unknown: bool) -> Res:
    """``aws_s3_bucket.logs`` named ``trail-logs``: created unless ``before`` is given."""
    after = {"bucket": "trail-logs", "object_lock_enabled": False, **(values or {})}
    return Res("aws_s3_bucket.logs", after, before=before, after_unknown={"arn": True, "id": True, **unknown})


def companion(kind: str, **values: Any) -> Res:
    """A companion resource naming the bucket by ``bucket = aws_s3_bucket.logs.id`` (known only after apply)."""
    return Res(f"{kind}.logs", {"bucket": None, **values}, after_unknown={"bucket": True},
               expressions={"bucket": {"references": ["aws_s3_bucket.logs.id", "aws_s3_bucket.logs"]}})


def lifecycle_rule(days: int, prefix: str = "AWSLogs/", status: str = "Enabled") -> dict[str, Any]:
    return {"id": f"expire-{days}", "status": status, "prefix": "", "transition": [],
            "filter": [{"prefix": prefix, "tag": [], "and": [], "object_size_greater_than": None,
                        "object_size_less_than": None}],
            "expiration": [{"days": days, "date": None, "expired_object_delete_marker": False}],
            "noncurrent_version_expiration": []}


POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject",
    "Resource": "arn:aws:s3:::trail-logs/AWSLogs/*",
    "Condition": {"StringEquals": {"aws:SourceArn": f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/main"}}}]})


def test_a_bucket_the_plan_does_not_define_is_skipped_as_not_in_this_plan(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    report = scan_plan(capsys, tmp_path, [Res(TRAIL, trail())])
    for rule_id in BUCKET_RULES:
        found = only(report, rule_id)
        assert (found["status"], found["message"]) == ("skipped", (
            "bucket trail-logs is not defined in this plan (a literal name, a data source or another stack's): its "
            "settings are not in this plan")), rule_id


def test_a_new_bucket_has_s3s_defaults_for_what_no_companion_sets(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    report = scan_plan(capsys, tmp_path, [Res(TRAIL, trail()), bucket()])
    public = only(report, "trail-bucket-not-public")
    assert public["status"] == "pass"  # Block Public Access on and ACLs disabled: a new bucket's defaults
    assert public["evidence"]["bucket"]["resource"] == "aws_s3_bucket.logs"
    assert only(report, "trail-bucket-policy-scoped")["status"] == "pass"  # no policy
    logging = only(report, "trail-bucket-access-logging")
    assert logging["status"] == "fail"
    assert logging["message"] == "server access logging is off on bucket trail-logs (aws_s3_bucket.logs)"
    assert only(report, "trail-bucket-delete-protection")["status"] == "fail"
    assert only(report, "log-retention")["status"] == "pass"  # no lifecycle, no log group: kept until deleted


def test_companion_resources_set_the_bucket_posture(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    resources = [
        Res(TRAIL, trail()), bucket({"object_lock_enabled": True}),
        companion("aws_s3_bucket_public_access_block", block_public_acls=False, ignore_public_acls=False,
                  block_public_policy=True, restrict_public_buckets=True),
        companion("aws_s3_bucket_ownership_controls", rule=[{"object_ownership": "ObjectWriter"}]),
        companion("aws_s3_bucket_acl", acl="public-read", access_control_policy=[]),
        companion("aws_s3_bucket_policy", policy=POLICY),
        companion("aws_s3_bucket_logging", target_bucket="access-logs", target_prefix="trail-logs/"),
        companion("aws_s3_bucket_object_lock_configuration",
                  rule=[{"default_retention": [{"mode": "COMPLIANCE", "days": 400, "years": None}]}]),
        companion("aws_s3_bucket_lifecycle_configuration", rule=[lifecycle_rule(90)]),
    ]
    (tmp_path / "without").mkdir()
    public = only(scan_plan(capsys, tmp_path / "without", resources), "trail-bucket-not-public")
    assert public["status"] == "skipped"  # the account's IgnorePublicAcls could still neutralise the grant
    assert "not read: the account's PublicAccessBlock" in public["message"]
    account = Res("aws_s3_account_public_access_block.this", {
        "block_public_acls": False, "ignore_public_acls": False, "block_public_policy": False,
        "restrict_public_buckets": False})
    report = scan_plan(capsys, tmp_path, [*resources, account])
    public = only(report, "trail-bucket-not-public")
    assert public["status"] == "fail" and "public through its ACL (READ to AllUsers)" in public["message"]
    assert only(report, "trail-bucket-policy-scoped")["status"] == "pass"
    assert only(report, "trail-bucket-access-logging")["status"] == "pass"
    assert only(report, "trail-bucket-delete-protection")["status"] == "pass"
    retention = only(report, "log-retention")
    assert retention["status"] == "fail"
    assert retention["message"].startswith("lifecycle rule 'expire-90' of bucket trail-logs expires log files under "
                                           "AWSLogs/ after 90 days, fewer than 365")


@pytest.mark.parametrize(("mfa_delete", "status"), [("Enabled", "pass"), ("Disabled", "fail")])
def test_versioning_from_code_protects_only_with_mfa_delete(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                            mfa_delete: str, status: str) -> None:
    versioning = companion("aws_s3_bucket_versioning",
                           versioning_configuration=[{"status": "Enabled", "mfa_delete": mfa_delete}])
    report = scan_plan(capsys, tmp_path, [Res(TRAIL, trail()), bucket(), versioning])
    assert only(report, "trail-bucket-delete-protection")["status"] == status


@pytest.mark.parametrize(("rules", "status"), [
    ([lifecycle_rule(400)], "pass"),
    ([lifecycle_rule(30, prefix="other/")], "pass"),
    ([lifecycle_rule(30, status="Disabled")], "pass"),
    ([lifecycle_rule(30, prefix="")], "fail"),
], ids=["400-days", "another-prefix", "disabled", "every-key"])
def test_a_lifecycle_from_code_is_read_exactly(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                               rules: list[dict[str, Any]], status: str) -> None:
    resources = [Res(TRAIL, trail()), bucket(), companion("aws_s3_bucket_lifecycle_configuration", rule=rules)]
    assert only(scan_plan(capsys, tmp_path, resources), "log-retention")["status"] == status


def test_a_public_policy_is_decided_only_where_a_block_restricts_it(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """S3 computes whether a policy is public once it is applied: without RestrictPublicBuckets it stays open."""
    unrestricted = companion("aws_s3_bucket_public_access_block", block_public_acls=True, ignore_public_acls=True,
                             block_public_policy=False, restrict_public_buckets=False)
    report = scan_plan(capsys, tmp_path, [Res(TRAIL, trail()), bucket(), unrestricted,
                                          companion("aws_s3_bucket_policy", policy=POLICY)])
    public = only(report, "trail-bucket-not-public")
    assert public["status"] == "skipped"
    assert "PolicyStatus (GetBucketPolicyStatus)" in public["message"]
    assert public["message"].endswith("this plan does not decide it (S3 computes whether the bucket policy is "
                                      "public (IsPublic) once it is applied)")


def test_an_existing_bucket_keeps_what_no_resource_here_manages_open(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    existing = {"bucket": "trail-logs", "object_lock_enabled": False, "arn": "arn:aws:s3:::trail-logs",
                "id": "trail-logs"}
    report = scan_plan(capsys, tmp_path, [Res(TRAIL, trail()), Res("aws_s3_bucket.logs", existing, before=existing)])
    for rule_id in BUCKET_RULES:
        found = only(report, rule_id)
        assert found["status"] == "skipped", rule_id
        assert "this plan does not decide it" in found["message"], rule_id


def test_a_bucket_name_known_only_after_apply_is_skipped_with_the_reason(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    resources = [Res(TRAIL, trail(s3_bucket_name=None), after_unknown={"s3_bucket_name": True},
                     expressions={"s3_bucket_name": {"references": ["aws_s3_bucket.logs.id", "aws_s3_bucket.logs"]}}),
                 bucket({"bucket": None}, bucket=True)]
    report = scan_plan(capsys, tmp_path, resources)
    for rule_id in BUCKET_RULES:
        assert only(report, rule_id)["message"] == "s3_bucket_name is known only after apply", rule_id


def store(**values: Any) -> Res:
    return Res("aws_cloudtrail_event_data_store.lake", {
        "name": "lake", "multi_region_enabled": True, "organization_enabled": False, "retention_period": 400,
        "termination_protection_enabled": True, "kms_key_id": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234",
        "advanced_event_selector": [], **values})


@pytest.mark.parametrize(("values", "healthy", "cmk"), [
    ({}, "pass", "pass"),
    ({"suspend": "true"}, "fail", "pass"),
    ({"suspend": "false", "termination_protection_enabled": False, "kms_key_id": None}, "fail", "fail"),
    ({"retention_period": 90}, "fail", "pass"),
], ids=["healthy", "suspended", "unprotected-aws-owned-key", "90-days"])
def test_event_data_stores_from_code_are_judged(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                values: dict[str, Any], healthy: str, cmk: str) -> None:
    report = scan_plan(capsys, tmp_path, [Res(TRAIL, trail()), store(**values)])
    assert only(report, "event-data-store-healthy")["status"] == healthy
    assert only(report, "event-data-store-cmk")["status"] == cmk
    if values.get("suspend") == "true":
        assert "its status is STOPPED_INGESTION: it records nothing" in only(report, "event-data-store-healthy")[
            "message"]


def test_an_event_data_store_finding_names_the_store_and_its_line(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "aws_cloudtrail" "main" {}\n\n'
                                      'resource "aws_cloudtrail_event_data_store" "lake" {\n}\n')
    healthy = only(scan_plan(capsys, tmp_path, [Res(TRAIL, trail()), store(suspend="true")]),
                   "event-data-store-healthy")
    assert healthy["resource"] == "aws_cloudtrail_event_data_store.lake"
    assert healthy["location"] == {"file": str(tmp_path / "main.tf"), "line": 3}


def test_an_event_data_store_known_only_after_apply_is_skipped(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    unknown = store(retention_period=None)
    unknown.after_unknown = {"retention_period": True}
    report = scan_plan(capsys, tmp_path, [Res(TRAIL, trail()), unknown])
    for rule_id in ("event-data-store-healthy", "event-data-store-cmk"):
        found = only(report, rule_id)
        assert found["status"] == "skipped"
        assert found["message"].startswith("an event data store of this plan in us-east-1 has a setting known only "
                                           "after apply")


def test_without_event_data_stores_the_store_rules_are_skipped(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    report = scan_plan(capsys, tmp_path, [Res(TRAIL, trail())])
    for found in findings_of(report, "event-data-store-healthy") + findings_of(report, "event-data-store-cmk"):
        assert found["status"] == "skipped"
        assert found["message"].startswith("no CloudTrail Lake event data store is defined: event data stores are "
                                           "not in this plan")


# -- CloudFormation ------------------------------------------------------------------------------

def template(tmp_path: Path, resources: str, trail_properties: str, parameters: str = "") -> Path:
    text = ("AWSTemplateFormatVersion: 2010-09-09\n" + textwrap.dedent(parameters)
            + "Resources:\n" + textwrap.indent(textwrap.dedent(resources), "  ")
            + "  Trail:\n    Type: AWS::CloudTrail::Trail\n    Properties:\n      TrailName: main\n"
            "      IsLogging: true\n      IsMultiRegionTrail: true\n      S3BucketName: logs\n"
            + textwrap.indent(textwrap.dedent(trail_properties), "      "))
    path = tmp_path / "template.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def scan_template(capsys: pytest.CaptureFixture[str], tmp_path: Path, path: Path) -> dict[str, Any]:
    return scan(capsys, tmp_path / "out", "--cloudformation", str(path), "--regions", "us-east-1")


CFN_KEY = """\
Key:
  Type: AWS::KMS::Key
  Properties:
    EnableKeyRotation: {rotation}
    Enabled: {enabled}
"""
CFN_GROUP = """\
Group:
  Type: AWS::Logs::LogGroup
  Properties:
    LogGroupName: trail-events
{retention}"""


@pytest.mark.parametrize(("rotation", "enabled", "statuses"), [
    ("false", "true", ("pass", "fail")),
    ("true", "false", ("fail", "pass")),
    ('"true"', '"true"', ("pass", "pass")),
], ids=["rotation-off", "disabled", "text-booleans"])
def test_a_template_key_is_judged_at_its_line(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                              rotation: str, enabled: str, statuses: tuple[str, str]) -> None:
    path = template(tmp_path, CFN_KEY.format(rotation=rotation, enabled=enabled), "KMSKeyId: !GetAtt Key.Arn\n")
    report = scan_template(capsys, tmp_path, path)
    usable, rotates = only(report, "trail-kms-key-usable"), only(report, "trail-kms-key-rotation")
    assert (usable["status"], rotates["status"]) == statuses
    arn = "arn:aws:kms:us-east-1:000000000000:key/Key"
    assert rotates["evidence"]["kms_key"]["resource"] == "Key"
    assert rotates["evidence"]["kms_key"]["location"] == {"file": str(path), "line": 3}
    assert rotates["location"] == {"file": str(path), "line": 3}  # the key's logical id: it decides
    if statuses[1] == "fail":
        assert rotates["message"] == f"customer-managed KMS key {arn} has rotation off (Key, {path} line 3)"


def test_a_template_log_group_keeping_events_30_days_fails(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = template(tmp_path, CFN_GROUP.format(retention="    RetentionInDays: 30\n"),
                    "CloudWatchLogsLogGroupArn: !GetAtt Group.Arn\n")
    retention = only(scan_template(capsys, tmp_path, path), "log-retention")
    assert retention["status"] == "fail"
    assert retention["message"] == f"log group trail-events keeps events 30 days, fewer than 365 (Group, {path} line 3)"


def test_a_template_log_group_without_retention_keeps_events_forever(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = template(tmp_path, CFN_GROUP.format(retention=""), "CloudWatchLogsLogGroupArn: !GetAtt Group.Arn\n")
    retention = only(scan_template(capsys, tmp_path, path), "log-retention")
    assert retention["status"] == "skipped"
    assert "; log group trail-events keeps events forever" in retention["message"]
    assert retention["message"].startswith("bucket logs is not defined in this template")


def test_a_template_key_or_log_group_it_only_names_is_skipped(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    key_arn = "arn:aws:kms:us-east-1:111111111111:key/shared"
    group_arn = "arn:aws:logs:us-east-1:000000000000:log-group:shared:*"
    path = template(tmp_path, "", f"KMSKeyId: {key_arn}\nCloudWatchLogsLogGroupArn: '{group_arn}'\n")
    report = scan_template(capsys, tmp_path, path)
    assert only(report, "trail-kms-key-usable")["message"].startswith(f"KMS key {key_arn} is not defined in this "
                                                                      "template")
    assert f"log group {group_arn} is not defined in this template" in only(report, "log-retention")["message"]
    for rule_id in BUCKET_RULES:
        assert only(report, rule_id)["message"].startswith("bucket logs is not defined in this template")


def test_a_template_key_whose_creation_is_undecided_is_skipped(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    resources = "Key:\n  Type: AWS::KMS::Key\n  Condition: WithKey\n  Properties:\n    EnableKeyRotation: false\n"
    parameters = "Parameters:\n  Env:\n    Type: String\nConditions:\n  WithKey: !Equals [!Ref Env, prod]\n"
    path = template(tmp_path, resources, "KMSKeyId: !GetAtt Key.Arn\n", parameters)
    report = scan_template(capsys, tmp_path, path)
    for rule_id in ("trail-kms-key-usable", "trail-kms-key-rotation"):
        found = only(report, rule_id)
        assert found["status"] == "skipped"
        assert found["message"].startswith("KMS key Key: whether it is created is undecided")


@pytest.mark.parametrize(("ingestion", "status"), [("true", "pass"), ("false", "fail")])
def test_a_template_event_data_store_that_stops_ingestion_fails(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, ingestion: str, status: str) -> None:
    resources = ("Lake:\n  Type: AWS::CloudTrail::EventDataStore\n  Properties:\n    Name: lake\n"
                 f"    IngestionEnabled: {ingestion}\n    RetentionPeriod: 400\n")
    path = template(tmp_path, resources, "")
    report = scan_template(capsys, tmp_path, path)
    healthy = only(report, "event-data-store-healthy")
    assert healthy["status"] == status
    assert (healthy["resource"], healthy["location"]) == ("Lake", {"file": str(path), "line": 3})
    assert only(report, "event-data-store-cmk")["status"] == "fail"  # no KmsKeyId: a key AWS owns


@pytest.mark.parametrize(("billing", "status"), [("", "fail"), ("    BillingMode: FIXED_RETENTION_PRICING\n", "pass")],
                         ids=["extendable-366-days", "fixed-2557-days"])
def test_a_template_event_data_store_without_retention_keeps_its_billing_modes_default(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, billing: str, status: str) -> None:
    resources = f"Lake:\n  Type: AWS::CloudTrail::EventDataStore\n  Properties:\n    Name: lake\n{billing}"
    path = template(tmp_path, resources, "")
    report = scan(capsys, tmp_path / "out", "--cloudformation", str(path), "--regions", "us-east-1",
                  "--param", "event-data-store-healthy.min_days=400")
    healthy = only(report, "event-data-store-healthy")
    assert healthy["status"] == status
    assert healthy["evidence"]["RetentionPeriod"] == (2557 if billing else 366)


@pytest.mark.parametrize(("resources", "problem"), [
    (CFN_KEY.format(rotation="maybe", enabled="true"),
     "Resources.Key.Properties.EnableKeyRotation: expected true or false"),
    (CFN_GROUP.format(retention="    RetentionInDays: a year\n"),
     "Resources.Group.Properties.RetentionInDays: expected a whole number of days"),
], ids=["rotation", "retention"])
def test_a_template_setting_of_the_wrong_type_is_one_line_naming_file_and_line(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, resources: str, problem: str) -> None:
    path = template(tmp_path, resources, "")
    result = run_cli(capsys, "scan", "--cloudformation", str(path), "--regions", "us-east-1", "--output-dir",
                     str(tmp_path))
    assert result.code == 2 and result.err.count("\n") == 1, result.err
    assert f"{path}:3: {problem}" in result.err  # the resource's line


CFN_BUCKET = """\
Logs:
  Type: AWS::S3::Bucket
  Properties:
    BucketName: logs
{properties}"""
CFN_POLICY = """\
LogsPolicy:
  Type: AWS::S3::BucketPolicy
  Properties:
    Bucket: !Ref Logs
    PolicyDocument:
      Statement:
        - Effect: Allow
          Principal: {Service: cloudtrail.amazonaws.com}
          Action: s3:PutObject
          Resource: arn:aws:s3:::logs/AWSLogs/*
"""


def test_a_template_bucket_without_settings_has_s3s_defaults(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = template(tmp_path, CFN_BUCKET.format(properties=""), "")
    report = scan_template(capsys, tmp_path, path)
    public = only(report, "trail-bucket-not-public")
    assert public["status"] == "pass"
    assert public["evidence"]["bucket"]["location"] == {"file": str(path), "line": 3}
    assert only(report, "trail-bucket-access-logging")["status"] == "fail"
    assert only(report, "trail-bucket-delete-protection")["status"] == "fail"
    assert only(report, "trail-bucket-policy-scoped")["status"] == "pass"
    assert only(report, "log-retention")["status"] == "pass"


def test_a_template_bucket_is_judged_from_its_properties_and_policy(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    properties = textwrap.indent(textwrap.dedent("""\
        AccessControl: PublicRead
        OwnershipControls:
          Rules:
            - ObjectOwnership: ObjectWriter
        PublicAccessBlockConfiguration:
          BlockPublicPolicy: true
          RestrictPublicBuckets: true
        LoggingConfiguration:
          LogFilePrefix: access/
        ObjectLockEnabled: true
        ObjectLockConfiguration:
          ObjectLockEnabled: Enabled
          Rule:
            DefaultRetention:
              Mode: GOVERNANCE
              Days: "400"
        LifecycleConfiguration:
          Rules:
            - Id: expire
              Status: Enabled
              Prefix: AWSLogs/
              ExpirationInDays: 90
        """), "    ")
    path = template(tmp_path, CFN_BUCKET.format(properties=properties) + CFN_POLICY, "")
    report = scan_template(capsys, tmp_path, path)
    public = only(report, "trail-bucket-not-public")  # IgnorePublicAcls off here; the account's is not known
    assert public["status"] == "skipped" and "not read: the account's PublicAccessBlock" in public["message"]
    logging = only(report, "trail-bucket-access-logging")  # no DestinationBucketName: into the bucket itself
    assert logging["status"] == "fail" and "delivers its server access logs into itself" in logging["message"]
    assert only(report, "trail-bucket-delete-protection")["status"] == "pass"
    scoped = only(report, "trail-bucket-policy-scoped")
    assert scoped["status"] == "fail" and "without an aws:SourceArn or aws:SourceAccount" in scoped["message"]
    retention = only(report, "log-retention")
    assert retention["status"] == "fail" and "expires log files under AWSLogs/ after 90 days" in retention["message"]


def test_a_template_bucket_whose_creation_is_undecided_is_skipped(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    resources = CFN_BUCKET.format(properties="").replace("  Type: AWS::S3::Bucket\n",
                                                         "  Type: AWS::S3::Bucket\n  Condition: WithBucket\n")
    parameters = "Parameters:\n  Env:\n    Type: String\nConditions:\n  WithBucket: !Equals [!Ref Env, prod]\n"
    report = scan_template(capsys, tmp_path, template(tmp_path, resources, "", parameters))
    for rule_id in BUCKET_RULES:
        found = only(report, rule_id)
        assert found["status"] == "skipped", rule_id
        assert "this template does not decide it (whether it is created is undecided" in found["message"], rule_id


# -- the demo ------------------------------------------------------------------------------------

def test_the_demo_plan_shortens_log_retention_and_fails_at_the_log_group(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(EXAMPLES.parent)
    report = scan(capsys, tmp_path, "--terraform-plan", "examples/iac/terraform/plan.json")
    retention = only(report, "log-retention")
    assert retention["status"] == "fail"
    assert retention["message"] == ("log group aws-cloudtrail-logs-org-trail keeps events 30 days, fewer than 365 "
                                    "(module.logging.aws_cloudwatch_log_group.trail, "
                                    "examples/iac/terraform/modules/logging/main.tf line 8)")
    assert retention["location"] == {"file": "examples/iac/terraform/modules/logging/main.tf", "line": 8}
    assert only(report, "trail-kms-key-rotation")["status"] == only(report, "trail-kms-key-usable")["status"] == "pass"


def test_the_demo_template_key_has_rotation_off(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(EXAMPLES.parent)
    report = scan(capsys, tmp_path, "--cloudformation", "examples/iac/cloudformation/trail.yaml",
                  "--regions", "us-east-1")
    rotation = only(report, "trail-kms-key-rotation")
    assert rotation["status"] == "fail"
    assert rotation["message"].endswith("has rotation off (TrailKey, examples/iac/cloudformation/trail.yaml line 23)")
    assert rotation["location"] == {"file": "examples/iac/cloudformation/trail.yaml", "line": 23}
    assert only(report, "log-retention")["status"] == "skipped"  # 400 days; the bucket is not in the template
