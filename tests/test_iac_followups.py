"""The pull-request gate, three follow-ups: KMS aliases lead to their key, storage findings point
at the resource that decides them, and ``coverage-regression`` credits event data stores.

What a reviewer must see: a trail encrypting through ``alias/trail`` is judged on the key the
alias targets (its rotation, its state), the finding sits on that key's line, and an alias
whose key is not in the code is ``skipped`` with the reason, never a pass.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli import run_cli
from tests.helpers.iac import ACCOUNT, Res, only, trail, write_plan

KEY_RULES = "trail-kms-key-usable,trail-kms-key-rotation"
TRAIL = "aws_cloudtrail.main"
KEY = "aws_kms_key.trail"
ALIAS = "aws_kms_alias.trail"
ALIAS_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/trail"
STAND_IN_KEY = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{KEY}"
MAIN_TF = """\
resource "aws_kms_key" "trail" {
  enable_key_rotation = false
}

resource "aws_kms_alias" "trail" {
  name          = "alias/trail"
  target_key_id = aws_kms_key.trail.key_id
}

resource "aws_cloudtrail" "main" {
  name = "main"
}
"""


def scan(capsys: pytest.CaptureFixture[str], out: Path, rules: str, *source: str) -> dict[str, Any]:
    result = run_cli(capsys, "scan", *source, "--format", "json", "--output-dir", str(out), "--rules", rules,
                     "--quiet")
    assert result.code in (0, 1), result.err
    report: dict[str, Any] = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    assert not [f for f in report["findings"] if f["status"] == "error"], "code never answers error"
    return report


def scan_plan(capsys: pytest.CaptureFixture[str], tmp_path: Path, resources: list[Res],
              rules: str = KEY_RULES) -> dict[str, Any]:
    return scan(capsys, tmp_path / "out", rules, "--terraform-plan", str(write_plan(tmp_path, resources)))


def referencing(attribute: str, *references: str) -> dict[str, Any]:
    """An attribute known only after apply, written as a reference (``aws_kms_alias.trail.arn``)."""
    return {attribute: {"references": list(references)}}


def new_key(rotation: bool = False, enabled: bool = True) -> Res:
    return Res(KEY, {"is_enabled": enabled, "enable_key_rotation": rotation,
                     "customer_master_key_spec": "SYMMETRIC_DEFAULT"}, after_unknown={"arn": True, "key_id": True})


def alias(target: str | None = None, **references: Any) -> Res:
    """``aws_kms_alias.trail`` named ``alias/trail``: ``target_key_id`` a literal ``target``, or
    ``aws_kms_key.trail.key_id`` (known only after apply) by default."""
    if target is not None:
        return Res(ALIAS, {"name": "alias/trail", "target_key_id": target}, after_unknown={"arn": True})
    expressions = references or referencing("target_key_id", f"{KEY}.key_id", KEY)
    return Res(ALIAS, {"name": "alias/trail", "target_key_id": None},
               after_unknown={"arn": True, "target_key_id": True}, expressions=expressions)


def trail_naming(kms_key_id: str | None = None, *references: str) -> Res:
    """The trail with a literal ``kms_key_id``, or one known only after apply naming ``references``."""
    if kms_key_id is not None:
        return Res(TRAIL, trail(kms_key_id=kms_key_id))
    return Res(TRAIL, trail(kms_key_id=None), after_unknown={"kms_key_id": True},
               expressions=referencing("kms_key_id", *references))


# -- 1. KMS aliases: Terraform -------------------------------------------------------------------

@pytest.mark.parametrize("named", [
    trail_naming("alias/trail"),
    trail_naming(ALIAS_ARN),
    trail_naming(None, f"{ALIAS}.arn", ALIAS),
    trail_naming(None, f"{ALIAS}.name", ALIAS),
    trail_naming(None, f"{ALIAS}.target_key_arn", ALIAS),
], ids=["alias-name", "alias-arn", "alias-resource-arn", "alias-resource-name", "alias-target-key-arn"])
def test_a_trail_naming_an_alias_is_judged_on_the_key_it_targets(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, named: Res) -> None:
    (tmp_path / "main.tf").write_text(MAIN_TF)
    report = scan_plan(capsys, tmp_path, [named, new_key(rotation=False), alias()])
    rotation = only(report, "trail-kms-key-rotation")
    assert rotation["status"] == "fail" and rotation["resource"] == TRAIL
    assert rotation["message"] == (f"customer-managed KMS key {STAND_IN_KEY} has rotation off "
                                   f"({KEY}, {tmp_path / 'main.tf'} line 1)")
    assert only(report, "trail-kms-key-usable")["status"] == "pass"


def test_a_disabled_key_behind_an_alias_fails(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    report = scan_plan(capsys, tmp_path, [trail_naming("alias/trail"), new_key(rotation=True, enabled=False),
                                          alias()])
    usable = only(report, "trail-kms-key-usable")
    assert usable["status"] == "fail"
    assert usable["message"].startswith(f"KMS key {STAND_IN_KEY} is Disabled: CloudTrail cannot encrypt with it")
    assert only(report, "trail-kms-key-rotation")["status"] == "pass"


def test_an_alias_of_an_existing_key_finds_it_by_its_key_id(capsys: pytest.CaptureFixture[str],
                                                            tmp_path: Path) -> None:
    arn = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd"
    existing = {"is_enabled": True, "enable_key_rotation": False, "arn": arn, "key_id": "1234abcd"}
    report = scan_plan(capsys, tmp_path, [trail_naming("alias/trail"), Res(KEY, existing, before=existing),
                                          alias("1234abcd")])
    rotation = only(report, "trail-kms-key-rotation")
    assert rotation["status"] == "fail" and rotation["message"].startswith(f"customer-managed KMS key {arn} has "
                                                                           "rotation off")


@pytest.mark.parametrize(("target", "why"), [
    (alias("1234abcd"), "alias alias/trail targets KMS key 1234abcd, which is not defined in this plan: its "
                        "settings are not in this plan"),
    (alias(None, **referencing("target_key_id", "var.key_id")), "target_key_id is known only after apply"),
], ids=["key-of-another-stack", "target-known-only-after-apply"])
def test_an_alias_whose_key_is_not_in_the_plan_is_skipped_with_the_reason(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, target: Res, why: str) -> None:
    report = scan_plan(capsys, tmp_path, [trail_naming("alias/trail"), target])
    for rule_id in KEY_RULES.split(","):
        found = only(report, rule_id)
        assert (found["status"], found["message"]) == ("skipped", f"KMS key {ALIAS}: {why}"), rule_id


def test_an_alias_the_plan_does_not_define_is_skipped(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    report = scan_plan(capsys, tmp_path, [trail_naming("alias/other"), new_key(), alias()])
    usable = only(report, "trail-kms-key-usable")
    assert usable["status"] == "skipped"
    assert usable["message"].startswith("KMS key alias/other is not defined in this plan")


def test_an_event_data_store_encrypted_through_an_alias_has_a_known_key(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Before aliases were followed, the store's key was known only after apply: its Region's stores undecided."""
    lake = Res("aws_cloudtrail_event_data_store.lake", {
        "name": "lake", "multi_region_enabled": True, "organization_enabled": False, "retention_period": 400,
        "termination_protection_enabled": True, "kms_key_id": None, "advanced_event_selector": []},
        after_unknown={"kms_key_id": True}, expressions=referencing("kms_key_id", f"{ALIAS}.arn", ALIAS))
    report = scan_plan(capsys, tmp_path, [Res(TRAIL, trail()), new_key(), alias(), lake], rules="event-data-store-cmk")
    cmk = only(report, "event-data-store-cmk")
    assert cmk["status"] == "pass"
    assert cmk["message"].startswith(f"event data store lake is encrypted with customer-managed KMS key {ALIAS_ARN}")


# -- 1. KMS aliases: CloudFormation --------------------------------------------------------------

CFN_KEY_AND_ALIAS = """\
Key:
  Type: AWS::KMS::Key
  Properties:
    EnableKeyRotation: false
TrailAlias:
  Type: AWS::KMS::Alias
  Properties:
    AliasName: alias/trail
    TargetKeyId: {target}
"""


def template(tmp_path: Path, resources: str, kms_key_id: str) -> Path:
    text = ("AWSTemplateFormatVersion: 2010-09-09\nResources:\n" + textwrap.indent(resources, "  ")
            + "  Trail:\n    Type: AWS::CloudTrail::Trail\n    Properties:\n      TrailName: main\n"
            "      IsLogging: true\n      IsMultiRegionTrail: true\n      S3BucketName: logs\n"
            f"      KMSKeyId: {kms_key_id}\n")
    path = tmp_path / "template.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def scan_template(capsys: pytest.CaptureFixture[str], tmp_path: Path, path: Path,
                  rules: str = KEY_RULES) -> dict[str, Any]:
    return scan(capsys, tmp_path / "out", rules, "--cloudformation", str(path), "--regions", "us-east-1")


@pytest.mark.parametrize("kms_key_id", [
    "!Ref TrailAlias", "alias/trail", "!Sub 'arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:alias/trail'",
], ids=["ref-of-the-alias", "alias-name", "alias-arn"])
@pytest.mark.parametrize("target", ["!Ref Key", "!GetAtt Key.Arn"])
def test_a_template_trail_naming_an_alias_is_judged_on_the_key_it_targets(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, kms_key_id: str, target: str) -> None:
    path = template(tmp_path, CFN_KEY_AND_ALIAS.format(target=target), kms_key_id)
    report = scan_template(capsys, tmp_path, path)
    rotation = only(report, "trail-kms-key-rotation")
    assert rotation["status"] == "fail"
    assert rotation["message"] == ("customer-managed KMS key arn:aws:kms:us-east-1:000000000000:key/Key has rotation "
                                   f"off (Key, {path} line 3)")


def test_a_template_alias_of_a_key_it_does_not_define_is_skipped(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = template(tmp_path, CFN_KEY_AND_ALIAS.format(target="1234abcd"), "!Ref TrailAlias")
    report = scan_template(capsys, tmp_path, path)
    for rule_id in KEY_RULES.split(","):
        found = only(report, rule_id)
        assert found["status"] == "skipped", rule_id
        assert found["message"] == ("KMS key TrailAlias: alias alias/trail targets KMS key 1234abcd, which is not "
                                    "defined in this template: its settings are not in this template")
