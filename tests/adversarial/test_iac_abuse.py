"""Plans and templates from pull requests: hostile or broken code input, through the real CLI.

A Terraform plan is JSON read strictly (depth and size bounded); a CloudFormation
template is YAML composed without aliases or duplicate keys, to a bounded depth, with
only CloudFormation's short-form tags (no ``!!python/...``). Bad input is one stderr line
naming the file and place; values planted in trail names reach no output raw.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.adversarial.abuse import (
    ANSI_PAYLOAD,
    HTML_PAYLOAD,
    MARKDOWN_PAYLOAD,
    Batch,
    Case,
    bad_input,
    case,
    cases_of,
    check_outcome,
    scan_args,
    valid,
    write_json,
    write_text,
)

DEEP = 100_000


def plan(name: str = "main") -> dict[str, Any]:
    """A plan of one trail, as ``terraform show -json`` writes it."""
    values = {"name": name, "s3_bucket_name": "logs", "enable_logging": True, "is_multi_region_trail": True,
              "advanced_event_selector": [], "event_selector": [], "insight_selector": []}
    return {"format_version": "1.2",
            "planned_values": {"root_module": {"resources": [
                {"address": "aws_cloudtrail.main", "mode": "managed", "type": "aws_cloudtrail", "name": "main",
                 "values": values}]}},
            "configuration": {"provider_config": {"aws": {"name": "aws", "expressions": {
                "region": {"constant_value": "us-east-1"}}}}}}


def template_args(directory: Path, template: Path) -> tuple[str, ...]:
    return scan_args(directory, "--cloudformation", str(template), "--regions", "us-east-1")


@case("plan-100k-deep")
def _plan_deep(d: Path) -> Case:
    path = write_text(d / "plan.json", '{"format_version": "1.2", "planned_values": ' + "[" * DEEP + "]" * DEEP + "}")
    return Case(scan_args(d, "--terraform-plan", str(path)), bad_input(f"{path}:1:", "nesting"))


@case("plan-over-the-size-limit")
def _plan_size(d: Path) -> Case:
    path = write_json(d / "plan.json", plan("x" * 2000))
    return Case(scan_args(d, "--terraform-plan", str(path)), bad_input(str(path), "exceeds the limit"),
                env={"TRAILCHECK_MAX_DOCUMENT_BYTES": "1000"})


@case("plan-duplicate-key")
def _plan_duplicate(d: Path) -> Case:
    path = write_text(d / "plan.json", '{"format_version": "1.2", "format_version": "1.2", "planned_values": {}}')
    return Case(scan_args(d, "--terraform-plan", str(path)), bad_input(f"{path}:1:", "duplicate"))


@case("plan-10k-selector-values")
def _plan_values(d: Path) -> Case:
    data = plan()
    data["planned_values"]["root_module"]["resources"][0]["values"]["advanced_event_selector"] = [{
        "name": "many", "field_selector": [{"field": "eventCategory", "equals": ["Management"]},
                                           {"field": "eventName", "not_equals": [f"E{i}" for i in range(10_000)]}]}]
    path = write_json(d / "plan.json", data)
    return Case(scan_args(d, "--terraform-plan", str(path)),
                bad_input(f"{path}: aws_cloudtrail.main", "selector values"))


@case("plan-planted-markup")
def _plan_markup(d: Path) -> Case:
    path = write_json(d / "plan.json", plan(ANSI_PAYLOAD + MARKDOWN_PAYLOAD + HTML_PAYLOAD))
    return Case(scan_args(d, "--terraform-plan", str(path)), valid())


@case("template-billion-laughs")
def _template_laughs(d: Path) -> Case:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x]"] + [f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}] " for i in
                                                      range(8)]
    path = write_text(d / "t.yaml", "Mappings:\n" + "".join(f"  {line}\n" for line in lines) + "Resources: {}\n")
    return Case(template_args(d, path), bad_input(f"{path}:2", "anchor &a"))


@case("template-100k-deep")
def _template_deep(d: Path) -> Case:
    path = write_text(d / "t.yaml", "Resources: " + "[" * DEEP + "]" * DEEP + "\n")
    return Case(template_args(d, path), bad_input(f"{path}:1", "nesting"))


@case("template-python-tag")
def _template_python(d: Path) -> Case:
    path = write_text(d / "t.yaml", 'Resources:\n  A: !!python/object/apply:os.system ["touch pwned"]\n')
    return Case(template_args(d, path), bad_input(f"{path}:2", "unknown tag"))


@case("template-unknown-short-tag")
def _template_tag(d: Path) -> Case:
    path = write_text(d / "t.yaml", "Resources:\n  A:\n    Type: AWS::SNS::Topic\n"
                                    "    Properties: {TopicName: !Include secrets.yaml}\n")
    return Case(template_args(d, path), bad_input(f"{path}:4", "unknown tag !Include"))


@case("template-over-the-size-limit")
def _template_size(d: Path) -> Case:
    """17 MiB, over the 16 MiB limit of YAML files (the size is checked before reading)."""
    path = write_text(d / "t.yaml", "Description: " + "x" * (17 << 20) + "\nResources: {}\n")
    return Case(template_args(d, path), bad_input(str(path), "exceeds the limit"))


@case("template-condition-cycle")
def _template_cycle(d: Path) -> Case:
    path = write_text(d / "t.yaml", "Conditions:\n  A: !Condition B\n  B: !Condition A\nResources:\n"
                                    "  T:\n    Type: AWS::CloudTrail::Trail\n    Condition: A\n"
                                    "    Properties: {IsLogging: true, S3BucketName: b}\n")
    return Case(template_args(d, path), bad_input(str(path), "depends on itself"))


@case("template-planted-markup")
def _template_markup(d: Path) -> Case:
    name = json.dumps(ANSI_PAYLOAD + MARKDOWN_PAYLOAD + HTML_PAYLOAD)
    path = write_text(d / "t.yaml", "Resources:\n  T:\n    Type: AWS::CloudTrail::Trail\n"
                                    f"    Properties: {{TrailName: {name}, IsLogging: true, S3BucketName: b}}\n")
    return Case(template_args(d, path), valid())


@pytest.mark.parametrize("name", cases_of(__name__))
def test_case(name: str, batch: Batch) -> None:
    check_outcome(batch.outcome(name))
