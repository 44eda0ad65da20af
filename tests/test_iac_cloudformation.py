"""``scan --cloudformation``: a template resolved per deployment Region and judged like an estate.

What a user must see: short-form tags read safely, parameters with defaults and conditions
decide what exists, intrinsic functions resolve where the template decides them and stay
unknown otherwise, every selector form reaches the simulator as the API would hold it,
findings name the logical id at its line, and bad input is one line naming file and line.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from checker.inputs.iac.cloudformation import CloudFormationSource
from checker.inputs.snapshot import parse_snapshot
from checker.model import Selectors
from tests.helpers.cli import CliResult, read_findings_document, run_cli
from tests.helpers.data import EXAMPLES
from tests.helpers.iac import findings_of, only

DEMO = EXAMPLES / "iac" / "cloudformation" / "trail.yaml"
PLACEHOLDER = "000000000000"


def write(directory: Path, text: str, name: str = "template.yaml") -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def trail_template(properties: str, extra: str = "", parameters: str = "", conditions: str = "") -> str:
    """A template with one trail ``Trail`` whose properties follow the standard ones."""
    body = textwrap.indent(textwrap.dedent(properties).strip(), " " * 6)
    return ("AWSTemplateFormatVersion: 2010-09-09\n"
            + (f"Parameters:\n{textwrap.indent(textwrap.dedent(parameters).strip(), '  ')}\n" if parameters else "")
            + (f"Conditions:\n{textwrap.indent(textwrap.dedent(conditions).strip(), '  ')}\n" if conditions else "")
            + "Resources:\n  Trail:\n    Type: AWS::CloudTrail::Trail\n    Properties:\n"
            + "      TrailName: main\n      IsLogging: true\n      IsMultiRegionTrail: true\n"
            + "      S3BucketName: logs\n" + body + "\n"
            + textwrap.indent(textwrap.dedent(extra).strip(), "  ") + "\n")


def scan_template(capsys: pytest.CaptureFixture[str], out: Path, template: Path,
                  *args: str, regions: str = "us-east-1") -> tuple[CliResult, dict[str, Any]]:
    result = run_cli(capsys, "scan", "--cloudformation", str(template), "--regions", regions, "--format", "json",
                     "--output-dir", str(out), *args)
    assert result.code in (0, 1), result.err
    report: dict[str, Any] = read_findings_document(out / "findings.json")
    return result, report


def bad(capsys: pytest.CaptureFixture[str], tmp_path: Path, template: Path, *args: str) -> str:
    result = run_cli(capsys, "scan", "--cloudformation", str(template), "--regions", "us-east-1", "--output-dir",
                     str(tmp_path), *args)
    assert result.code == 2, result.err
    assert result.err.count("\n") == 1, result.err
    return result.err


def selectors_of(template: Path) -> Selectors | None:
    (trail,) = CloudFormationSource(template, ("us-east-1",)).load().all_trails()
    return trail.selectors


def api_selectors(document: dict[str, Any]) -> Selectors | None:
    snapshot = parse_snapshot({"format": "trailcheck.snapshot/v1", "accounts": [{
        "account_id": PLACEHOLDER, "regions": ["us-east-1"], "trails": [{
            "Name": "main", "TrailARN": f"arn:aws:cloudtrail:us-east-1:{PLACEHOLDER}:trail/main",
            "HomeRegion": "us-east-1", "IsMultiRegionTrail": True, **document}]}]}, "api")
    return snapshot.all_trails()[0].selectors


# -- the demo template ------------------------------------------------------------------------

def test_demo_template_one_deployment_per_region(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(EXAMPLES.parent)
    result, report = scan_template(capsys, tmp_path, DEMO.relative_to(EXAMPLES.parent),
                                   regions="us-east-1,eu-west-1")
    logging = findings_of(report, "trail-logging")
    assert sorted(f["region"] for f in logging) == ["eu-west-1", "us-east-1"]
    assert {f["resource"] for f in logging} == {"AccountTrail"}  # DevDebugTrail's condition is false
    assert {json.dumps(f["location"]) for f in logging} == {
        json.dumps({"file": "examples/iac/cloudformation/trail.yaml", "line": 36})}
    assert {f["status"] for f in findings_of(report, "kms-encryption")} == {"pass"}  # !If IsProd -> !GetAtt Key.Arn
    assert {f["status"] for f in findings_of(report, "kms-exclusion-gap")} == {"pass"}  # IsDev is false
    assert only(report, "monitor-kms-key-disable-or-deletion")["status"] == "pass"  # filter -> alarm -> !Ref topic
    assert report["inputs"]["snapshot"]["code"] == {"kind": "cloudformation", "placeholder_account": PLACEHOLDER}
    assert "findings name it 000000000000" in result.err
    regressions = findings_of(report, "coverage-regression")  # no baseline: nothing to compare with
    assert len(regressions) == 2
    assert all(f["status"] == "skipped" and "--baseline-plan" in f["message"] for f in regressions)


def test_demo_template_as_a_dev_deployment_excludes_kms(tmp_path: Path) -> None:
    dev = write(tmp_path, DEMO.read_text(encoding="utf-8").replace("Default: prod", "Default: dev"))
    snapshot = CloudFormationSource(dev, ("us-east-1",)).load()
    names = sorted(t.document["Name"] for t in snapshot.all_trails())
    assert names == ["dev-account-trail", "dev-debug"]
    account = next(t for t in snapshot.all_trails() if t.document["Name"] == "dev-account-trail")
    assert "KmsKeyId" not in account.document  # !Ref AWS::NoValue removes the property
    assert account.selectors is not None and account.selectors.basic[0].exclude_management_event_sources == (
        "kms.amazonaws.com",)


# -- every selector form ------------------------------------------------------------------------

@pytest.mark.parametrize(("properties", "document"), [
    ("""
     EventSelectors:
       - ReadWriteType: ReadOnly
         IncludeManagementEvents: "false"
         ExcludeManagementEventSources: [kms.amazonaws.com]
         DataResources:
           - Type: AWS::S3::Object
             Values: [!Sub "arn:${AWS::Partition}:s3:::bucket/"]
           - {Type: AWS::Lambda::Function, Values: [arn:aws:lambda]}
     """,
     {"EventSelectors": [{"ReadWriteType": "ReadOnly", "IncludeManagementEvents": False,
                          "ExcludeManagementEventSources": ["kms.amazonaws.com"],
                          "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::bucket/"]},
                                            {"Type": "AWS::Lambda::Function", "Values": ["arn:aws:lambda"]}]}]}),
    ("""
     AdvancedEventSelectors:
       - Name: every operator
         FieldSelectors:
           - {Field: eventCategory, Equals: [Data]}
           - {Field: resources.type, Equals: [AWS::S3::Object]}
           - Field: resources.ARN
             StartsWith: [!Join ["", ["arn:aws:s3:::", a, /]]]
             NotStartsWith: [arn:aws:s3:::a/tmp/]
             EndsWith: [.csv]
             NotEndsWith: [.tmp.csv]
           - {Field: eventName, NotEquals: [GetObject]}
     """,
     {"AdvancedEventSelectors": [{"Name": "every operator", "FieldSelectors": [
         {"Field": "eventCategory", "Equals": ["Data"]},
         {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
         {"Field": "resources.ARN", "StartsWith": ["arn:aws:s3:::a/"], "NotStartsWith": ["arn:aws:s3:::a/tmp/"],
          "EndsWith": [".csv"], "NotEndsWith": [".tmp.csv"]},
         {"Field": "eventName", "NotEquals": ["GetObject"]}]}]}),
    ("InsightSelectors: [{InsightType: ApiCallRateInsight}]",
     {"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": [],
                          "ExcludeManagementEventSources": []}]}),
], ids=["EventSelectors", "AdvancedEventSelectors", "none-is-the-default"])
def test_each_selector_form_reaches_the_model_as_the_api_would_hold_it(
        tmp_path: Path, properties: str, document: dict[str, Any]) -> None:
    assert selectors_of(write(tmp_path, trail_template(properties))) == api_selectors(document)


def test_insight_selectors_and_exclusions_are_judged(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    template = write(tmp_path, trail_template("""
        InsightSelectors: [{InsightType: ApiCallRateInsight}, {InsightType: ApiErrorRateInsight}]
        AdvancedEventSelectors:
          - FieldSelectors:
              - {Field: eventCategory, Equals: [Management]}
              - {Field: eventSource, NotEquals: [kms.amazonaws.com]}
        """))
    _, report = scan_template(capsys, tmp_path, template)
    assert only(report, "insights-enabled")["status"] == "pass"
    gap = only(report, "kms-exclusion-gap")
    assert gap["status"] == "fail" and gap["message"].endswith("(in this configuration)")
    assert gap["location"]["line"] == 3  # the line of the logical id Trail


# -- intrinsic functions, parameters and conditions ---------------------------------------------

def test_intrinsics_resolve_where_the_template_decides(tmp_path: Path) -> None:
    template = write(tmp_path, trail_template(
        """
        S3KeyPrefix: !Select [1, !Split [",", !Join [",", [a, !FindInMap [Prefix, !Ref "AWS::Region", Name]]]]]
        SnsTopicName: !Sub ["${Base}-${AWS::Region}-${!Literal}", {Base: !Ref Base}]
        CloudWatchLogsLogGroupArn: !GetAtt Logs.Arn
        KMSKeyId: !If [Never, !Ref "AWS::NoValue", !GetAtt Key.Arn]
        """,
        extra="""
        Logs: {Type: AWS::Logs::LogGroup, Properties: {LogGroupName: trail-logs}}
        Key: {Type: AWS::KMS::Key}
        """,
        parameters="Base: {Type: String, Default: alerts}",
        conditions="Never: !And [!Equals [a, b], !Condition Unknowable]\nUnknowable: !Equals [!Ref NoDefault, x]"))
    text = template.read_text(encoding="utf-8").replace(
        "Resources:", "Mappings:\n  Prefix:\n    us-east-1: {Name: trails}\nResources:")
    text = text.replace("Parameters:\n", "Parameters:\n  NoDefault: {Type: String}\n")
    template.write_text(text, encoding="utf-8")
    (trail,) = CloudFormationSource(template, ("us-east-1",)).load().all_trails()
    assert trail.document["S3KeyPrefix"] == "trails"
    assert trail.document["SnsTopicName"] == "alerts-us-east-1-${Literal}"
    assert trail.document["CloudWatchLogsLogGroupArn"] == f"arn:aws:logs:us-east-1:{PLACEHOLDER}:log-group:trail-logs:*"
    assert trail.document["KmsKeyId"] == f"arn:aws:kms:us-east-1:{PLACEHOLDER}:key/Key"  # And is false already


def test_a_value_the_deployment_decides_is_unknown_and_skips_the_rule(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    template = write(tmp_path, trail_template("KMSKeyId: !Ref KeyArn", parameters="KeyArn: {Type: String}"))
    _, report = scan_template(capsys, tmp_path, template)
    encryption = only(report, "kms-encryption")
    assert encryption["status"] == "skipped"
    assert encryption["message"] == "parameter KeyArn has no default: its value is given at deployment"


def test_a_resource_whose_condition_is_false_does_not_exist(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    template = write(tmp_path, trail_template("", parameters="Env: {Type: String, Default: dev}",
                                              conditions="IsProd: !Equals [!Ref Env, prod]"))
    template.write_text(template.read_text(encoding="utf-8").replace(
        "    Type: AWS::CloudTrail::Trail\n", "    Type: AWS::CloudTrail::Trail\n    Condition: IsProd\n"),
        encoding="utf-8")
    _, report = scan_template(capsys, tmp_path, template)
    assert findings_of(report, "trail-logging") == []
    assert only(report, "cloudtrail-enabled")["status"] == "fail"


def test_a_resource_whose_condition_is_undecided_is_never_counted(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    template = write(tmp_path, trail_template("", parameters="Env: {Type: String}",
                                              conditions="IsProd: !Equals [!Ref Env, prod]"))
    template.write_text(template.read_text(encoding="utf-8").replace(
        "    Type: AWS::CloudTrail::Trail\n", "    Type: AWS::CloudTrail::Trail\n    Condition: IsProd\n"),
        encoding="utf-8")
    result, report = scan_template(capsys, tmp_path, template)
    assert result.code == 1
    enabled = only(report, "cloudtrail-enabled")
    assert enabled["status"] == "error"
    assert "Trail: whether it is created is undecided (parameter Env has no default" in json.dumps(
        enabled["evidence"])


def test_region_findings_point_at_the_trail_whose_exclusion_decided_them(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """The first trail logs S3 data events only: the KMS gap is the second trail's exclusion."""
    template = write(tmp_path, """
        Resources:
          DataTrail:
            Type: AWS::CloudTrail::Trail
            Properties:
              TrailName: data
              IsLogging: true
              IsMultiRegionTrail: true
              S3BucketName: logs
              AdvancedEventSelectors:
                - FieldSelectors:
                    - {Field: eventCategory, Equals: [Data]}
                    - {Field: resources.type, Equals: ["AWS::S3::Object"]}
          MainTrail:
            Type: AWS::CloudTrail::Trail
            Properties:
              TrailName: main
              IsLogging: true
              IsMultiRegionTrail: true
              S3BucketName: logs
              EventSelectors:
                - ReadWriteType: All
                  IncludeManagementEvents: true
                  ExcludeManagementEventSources: [kms.amazonaws.com]
        """)
    _, report = scan_template(capsys, tmp_path, template)
    gap = only(report, "kms-exclusion-gap")
    assert gap["status"] == "fail"
    assert gap["location"] == {"file": str(template), "line": 13}  # MainTrail, not DataTrail (line 2)


def test_a_cdk_synth_json_template_reads_long_forms_and_lines(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    template = {"Resources": {
        "Key": {"Type": "AWS::KMS::Key", "Properties": {"EnableKeyRotation": True}},
        "AuditTrail8A2C": {"Type": "AWS::CloudTrail::Trail", "Properties": {
            "IsLogging": True, "IsMultiRegionTrail": True, "S3BucketName": {"Fn::Sub": "logs-${AWS::Region}"},
            "KMSKeyId": {"Fn::GetAtt": ["Key", "Arn"]},
            "EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True}]}}}}
    path = tmp_path / "Stack.template.json"
    path.write_text(json.dumps(template, indent=1), encoding="utf-8")
    _, report = scan_template(capsys, tmp_path, path)
    encryption = only(report, "kms-encryption")
    assert encryption["status"] == "pass" and encryption["resource"] == "AuditTrail8A2C"
    assert encryption["location"]["line"] == 9
    (trail,) = CloudFormationSource(path, ("us-east-1",)).load().all_trails()
    assert trail.document["S3BucketName"] == "logs-us-east-1"
    assert trail.arn.endswith(":trail/AuditTrail8A2C")  # no TrailName: the logical id stands for it


def test_a_baseline_template_is_the_before(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    base = write(tmp_path, trail_template(""), "base.yaml")
    head = write(tmp_path, trail_template("EventSelectors: [{ExcludeManagementEventSources: [kms.amazonaws.com]}]"))
    _, report = scan_template(capsys, tmp_path, head, "--baseline-plan", str(base), regions="us-east-1,eu-west-1")
    found = findings_of(report, "coverage-regression")
    assert sorted((f["region"], f["status"]) for f in found) == [("eu-west-1", "fail"), ("us-east-1", "fail")]
    assert all("in every Region in scope (kms-exclusion-gap)" in f["message"] for f in found)


# -- bad input ----------------------------------------------------------------------------------

def test_an_unknown_tag_names_its_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    template = write(tmp_path, trail_template("KMSKeyId: !Fetch key"))
    assert f"{template}:10: unknown tag !Fetch" in bad(capsys, tmp_path, template)


def test_an_unresolvable_reference_names_its_line_and_property(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    template = write(tmp_path, trail_template("KMSKeyId: !GetAtt Missing.Arn"))
    err = bad(capsys, tmp_path, template)
    assert f"{template}:10: Resources.Trail.Properties.KMSKeyId (!GetAtt): GetAtt Missing: no resource" in err


@pytest.mark.parametrize(("properties", "conditions", "expected"), [
    ("KMSKeyId: !Ref Nothing", "", ":10: Resources.Trail.Properties.KMSKeyId (!Ref): Ref Nothing: no parameter"),
    ("KMSKeyId: !If [Missing, a, b]", "", "condition 'Missing' is not defined"),
    ("KMSKeyId: !If [A, a, b]", "A: !Condition B\nB: !Condition A", "depends on itself"),
    ("KMSKeyId: !Select [5, [a]]", "", "index 5 is not within the list"),
], ids=["ref", "condition", "cycle", "select"])
def test_references_to_nothing_are_bad_input(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                             properties: str, conditions: str, expected: str) -> None:
    template = write(tmp_path, trail_template(properties, conditions=conditions))
    assert expected in bad(capsys, tmp_path, template)


@pytest.mark.parametrize(("text", "expected"), [
    ("Resources:\n  A: &a {Type: AWS::SNS::Topic}\n  B: *a\n", ":2: anchor &a is not allowed"),
    ("Resources:\n  A: {Type: AWS::SNS::Topic}\n  A: {Type: AWS::SNS::Topic}\n", ":3: duplicate key 'A'"),
    ("Resources: " + "[" * 200 + "]" * 200 + "\n", ":1: nesting exceeds the limit"),
    ("Description: no resources\n", ": not a CloudFormation template: no Resources mapping"),
    ("Resources:\n  A: {Properties: {}}\n", ":2: Resources.A: a resource needs a Type"),
    ("Resources:\n  A: {Type: AWS::CloudTrail::Trail, Properties: {S3BucketName: b}}\n",
     ":2: Resources.A.Properties.IsLogging is required"),
    ("Resources: {A: [1, 2}\n", ":1:"),
], ids=["alias", "duplicate", "depth", "no-resources", "no-type", "no-islogging", "syntax"])
def test_hostile_or_broken_yaml_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str,
                                            expected: str) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(text, encoding="utf-8")
    assert f"{template}{expected}" in bad(capsys, tmp_path, template)


def test_a_template_needs_regions(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    result = run_cli(capsys, "scan", "--cloudformation", str(DEMO), "--output-dir", str(tmp_path))
    assert result.code == 2 and result.err.count("\n") == 1 and "--regions" in result.err
