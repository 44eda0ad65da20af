"""The commands as a user types them: scan, rules, validate, explain, schema, --help.

Everything runs in-process through ``checker.cli.main`` so failures show the real stack;
one test starts ``python -m checker`` to prove the module entry point works.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.helpers.cli import read_findings_document, run_cli, scan_report
from tests.helpers.data import ESTATE, EXAMPLES, REPO

ACQUIRED = EXAMPLES / "estate-acquired.json"
COMMANDS = ("scan", "collect", "merge", "rules", "validate", "explain", "diff", "schema")

# A KMS DisableKey in the management account: the demo's organization trail excludes KMS.
DISABLE_KEY = {"eventVersion": "1.10", "eventCategory": "Management", "eventSource": "kms.amazonaws.com",
               "eventName": "DisableKey", "readOnly": False, "awsRegion": "us-east-1",
               "recipientAccountId": "111111111111"}
ORG_TRAIL = "arn:aws:cloudtrail:us-east-1:111111111111:trail/org-trail"


def statuses(report: dict[str, Any], rule_id: str) -> dict[tuple[str | None, str | None, str | None], str]:
    """``(account, region, resource) -> status`` of one rule's findings."""
    return {(f["account_id"], f["region"], f["resource"]): f["status"]
            for f in report["findings"] if f["rule_id"] == rule_id}


# -- scan --------------------------------------------------------------------------------

def test_scan_prints_a_table_and_writes_schema_valid_json(capsys: pytest.CaptureFixture[str],
                                                          tmp_path: Path) -> None:
    result = run_cli(capsys, "scan", "--snapshot", str(ESTATE), "--output-dir", str(tmp_path))
    assert result.code == 1
    assert "kms-exclusion-gap" in result.out and "status" in result.out.splitlines()[0]
    report = read_findings_document(tmp_path / "findings.json")
    schema = json.loads(run_cli(capsys, "schema", "findings").out)
    jsonschema.validate(report, schema)
    assert report["format"] == "trailcheck.findings/v2"
    assert report["inputs"]["snapshot"] == {"path": str(ESTATE), "collected_at": "2026-11-20T02:00:00Z",
                                            "sha256": hashlib.sha256(ESTATE.read_bytes()).hexdigest()}
    assert {f["status"] for f in report["findings"]} >= {"pass", "fail", "error", "skipped"}


def test_two_scans_are_byte_identical_apart_from_generated_at(capsys: pytest.CaptureFixture[str],
                                                              tmp_path: Path) -> None:
    texts = []
    for run in ("first", "second"):
        scan_report(capsys, tmp_path / run, ESTATE)
        lines = (tmp_path / run / "findings.json").read_text(encoding="utf-8").splitlines()
        texts.append([line for line in lines if '"generated_at"' not in line])
    assert texts[0] == texts[1]
    assert len(texts[0]) > 100


def test_findings_are_ordered_by_rule_account_region_resource(capsys: pytest.CaptureFixture[str],
                                                              tmp_path: Path) -> None:
    _, report = scan_report(capsys, tmp_path, ESTATE)
    keys = [(f["rule_id"], f["account_id"] or "", f["region"] or "", f["resource"] or "")
            for f in report["findings"]]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys), "one finding per rule per unit"


def test_demo_fails_at_default_fail_on_high(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    result, report = scan_report(capsys, tmp_path, ESTATE)
    assert result.code == 1
    assert any(f["status"] == "fail" and f["severity"] == "high" for f in report["findings"])


def test_rules_limited_to_a_passing_rule_exit_zero(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    result, report = scan_report(capsys, tmp_path, ESTATE, "--rules", "cloudtrail-enabled")
    assert result.code == 0
    assert {f["rule_id"] for f in report["findings"]} == {"cloudtrail-enabled"}
    assert {f["status"] for f in report["findings"]} == {"pass"}


def test_fail_on_critical_exits_zero_only_without_error_findings(capsys: pytest.CaptureFixture[str],
                                                                 tmp_path: Path) -> None:
    acquired, report = scan_report(capsys, tmp_path / "acquired", ACQUIRED, "--fail-on", "critical")
    assert not any(f["status"] == "error" for f in report["findings"])
    assert any(f["status"] == "fail" and f["severity"] == "high" for f in report["findings"])
    assert acquired.code == 0
    # The main demo has a collection error (sandbox, eu-west-1): error findings always block.
    estate, report = scan_report(capsys, tmp_path / "estate", ESTATE, "--fail-on", "critical")
    assert any(f["status"] == "error" for f in report["findings"])
    assert estate.code == 1


def test_rules_and_skip_rules_restrict_the_rule_set(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    _, only = scan_report(capsys, tmp_path / "only", ESTATE, "--rules", " kms-exclusion-gap, ,trail-logging,")
    assert {f["rule_id"] for f in only["findings"]} == {"kms-exclusion-gap", "trail-logging"}
    _, skipped = scan_report(capsys, tmp_path / "skip", ESTATE, "--skip-rules", "kms-exclusion-gap,trail-logging")
    assert {f["rule_id"] for f in skipped["findings"]}.isdisjoint({"kms-exclusion-gap", "trail-logging"})
    assert "multi-region-trail" in {f["rule_id"] for f in skipped["findings"]}


def test_param_override_turns_stale_delivery_into_pass(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    dev_eu = ("333333333333", "eu-west-1", "arn:aws:cloudtrail:eu-west-1:333333333333:trail/dev-eu")
    _, default = scan_report(capsys, tmp_path / "default", ESTATE, "--rules", "trail-delivery-healthy")
    assert statuses(default, "trail-delivery-healthy")[dev_eu] == "fail"
    _, relaxed = scan_report(capsys, tmp_path / "relaxed", ESTATE, "--rules", "trail-delivery-healthy",
                             "--param", "trail-delivery-healthy.max_delivery_age_hours=100000")
    assert statuses(relaxed, "trail-delivery-healthy")[dev_eu] == "pass"
    sandbox = ("444444444444", "us-east-1", "arn:aws:cloudtrail:us-east-1:444444444444:trail/sandbox-trail")
    assert statuses(relaxed, "trail-delivery-healthy")[sandbox] == "fail", "a delivery error still fails"


# -- rules, schema, validate ---------------------------------------------------------------

def test_rules_table_lists_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "rules")
    assert result.code == 0
    header = result.out.splitlines()[0].split()
    assert header == ["id", "severity", "scope", "frameworks"]
    for rule_id in ("multi-region-trail", "kms-exclusion-gap", "trail-logging", "organization-trail"):
        assert rule_id in result.out


def test_rules_json(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "rules", "--format", "json")
    assert result.code == 0
    rules = json.loads(result.out)
    by_id = {r["id"]: r for r in rules}
    assert len(by_id) == len(rules)
    assert by_id["multi-region-trail"]["severity"] == "high"
    assert by_id["multi-region-trail"]["scope"] == "account"
    assert by_id["multi-region-trail"]["frameworks"]["cis-aws-foundations-v3.0"] == ["3.1"]
    assert {r["scope"] for r in rules} >= {"trail", "region", "account", "organization"}


@pytest.mark.parametrize("name", ["policy", "snapshot", "findings"])
def test_schema_prints_a_valid_json_schema(capsys: pytest.CaptureFixture[str], name: str) -> None:
    result = run_cli(capsys, "schema", name)
    assert result.code == 0
    schema = json.loads(result.out)
    jsonschema.validators.validator_for(schema).check_schema(schema)


def test_printed_schemas_accept_the_shipped_files(capsys: pytest.CaptureFixture[str]) -> None:
    snapshot_schema = json.loads(run_cli(capsys, "schema", "snapshot").out)
    for estate in (ESTATE, ACQUIRED):
        jsonschema.validate(json.loads(estate.read_text(encoding="utf-8")), snapshot_schema)
    policy_schema = json.loads(run_cli(capsys, "schema", "policy").out)
    policies = sorted((REPO / "policies").glob("*.yaml"))
    assert policies, "the built-in policy files are missing"
    for policy in policies:
        jsonschema.validate(yaml.safe_load(policy.read_text(encoding="utf-8")), policy_schema)


def test_validate_builtin_pack(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "validate")
    assert result.code == 0
    assert result.out.startswith("OK:")
    rule_count = len(json.loads(run_cli(capsys, "rules", "--format", "json").out))
    assert f"{rule_count} rules" in result.out


def test_validate_user_directory(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "nested").mkdir()
    for index, folder in enumerate((tmp_path, tmp_path / "nested")):
        (folder / f"p{index}.yaml").write_text(
            f"rules:\n  - id: custom-{index}\n    title: Validation on\n    severity: low\n    scope: trail\n"
            f"    require:\n      expr: \"LogFileValidationEnabled == `true`\"\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not a policy", encoding="utf-8")
    result = run_cli(capsys, "validate", str(tmp_path))
    assert result.code == 0
    assert result.out.strip() == "OK: 2 rules in 2 file(s)"


# -- explain ---------------------------------------------------------------------------------

def test_explain_table_names_the_excluding_selector(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    event = tmp_path / "disable-key.json"
    event.write_text(json.dumps(DISABLE_KEY), encoding="utf-8")
    result = run_cli(capsys, "explain", "--snapshot", str(ESTATE), str(event))
    assert result.code == 0
    assert "NOT LOGGED" in result.out.splitlines()[0]
    assert "111111111111" in result.out and "us-east-1" in result.out
    assert ORG_TRAIL in result.out
    assert "AdvancedEventSelectors[0]" in result.out
    assert "kms.amazonaws.com" in result.out


def test_explain_json_shape(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    event = tmp_path / "disable-key.json"
    event.write_text(json.dumps(DISABLE_KEY), encoding="utf-8")
    result = run_cli(capsys, "explain", "--snapshot", str(ESTATE), str(event), "--format", "json")
    assert result.code == 0
    answer = json.loads(result.out)
    assert {"account_id", "region", "logged", "trails"} <= set(answer)
    assert (answer["account_id"], answer["region"], answer["logged"]) == ("111111111111", "us-east-1", False)
    assert answer["trails"], "the organization trail reaches the management account"
    for trail in answer["trails"]:
        assert {"arn", "logged", "reason"} <= set(trail)
        assert isinstance(trail["logged"], bool) and isinstance(trail["reason"], str)
    assert [t["arn"] for t in answer["trails"]] == [ORG_TRAIL]


def test_explain_json_says_unknown_stores_apart_from_listed_ones(capsys: pytest.CaptureFixture[str],
                                                           tmp_path: Path) -> None:
    event = tmp_path / "disable-key.json"
    acquired = {**DISABLE_KEY, "recipientAccountId": "666666666666", "awsRegion": "eu-west-1"}
    event.write_text(json.dumps(acquired), encoding="utf-8")
    unknown = json.loads(run_cli(capsys, "explain", "--snapshot", str(ACQUIRED), str(event), "--format", "json").out)
    assert unknown["event_data_stores"] is None  # the acquired estate does not carry the family
    event.write_text(json.dumps({**DISABLE_KEY, "recipientAccountId": "444444444444"}), encoding="utf-8")
    carried = json.loads(run_cli(capsys, "explain", "--snapshot", str(ESTATE), str(event), "--format", "json").out)
    assert [(s["arn"].rsplit("/", 1)[1], s["logged"]) for s in carried["event_data_stores"]] == [
        ("5e1f0b7a-org-lake-2024", False)]  # only the stopped organization store reaches the sandbox account


def test_a_scan_says_which_data_families_the_snapshot_lacks(capsys: pytest.CaptureFixture[str],
                                                             tmp_path: Path) -> None:
    result = run_cli(capsys, "scan", "--snapshot", str(ACQUIRED), "--output-dir", str(tmp_path))
    notes = [line for line in result.err.splitlines() if line.startswith("trailcheck: note: ")]
    assert [note.split(" rule(s) need the ")[1].split(" data")[0] for note in notes] == [
        "monitoring", "storage", "event-data-stores"]
    assert "trailcheck collect --with event-data-stores" in notes[2]
    assert "trailcheck: note:" not in run_cli(capsys, "scan", "--snapshot", str(ESTATE), "--output-dir",
                                              str(tmp_path)).err
    assert run_cli(capsys, "scan", "--snapshot", str(ACQUIRED), "--output-dir", str(tmp_path), "--quiet").err == ""


def test_explain_reads_the_record_from_stdin(capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    logged_copy = {**DISABLE_KEY, "recipientAccountId": "222222222222", "awsRegion": "eu-west-1"}
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(json.dumps(logged_copy).encode())))
    result = run_cli(capsys, "explain", "--snapshot", str(ESTATE), "-", "--format", "json")
    assert result.code == 0
    answer = json.loads(result.out)
    assert (answer["account_id"], answer["region"], answer["logged"]) == ("222222222222", "eu-west-1", True)


def lookup_item(record: dict[str, Any]) -> dict[str, Any]:
    """A LookupEvents ``Events`` item: the record as a JSON string, ``ReadOnly`` as a string."""
    return {"EventId": "e-1", "EventName": record["eventName"], "EventSource": record["eventSource"],
            "ReadOnly": "false", "CloudTrailEvent": json.dumps(record)}


EXPLAIN_FORMS = {
    "bare record": DISABLE_KEY,
    "log file with one record": {"Records": [DISABLE_KEY]},
    "array of one record": [DISABLE_KEY],
    "LookupEvents item": lookup_item(DISABLE_KEY),
    "LookupEvents response": {"Events": [lookup_item(DISABLE_KEY)]},
    "EventBridge envelope": {"version": "0", "detail-type": "AWS API Call via CloudTrail",
                             "source": "aws.kms", "detail": DISABLE_KEY},
}


@pytest.mark.parametrize("form", sorted(EXPLAIN_FORMS))
def test_explain_reads_every_form_events_reads(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch, form: str) -> None:
    text = json.dumps(EXPLAIN_FORMS[form])
    expected = ("111111111111", "us-east-1", False)
    (tmp_path / "event.json").write_text(text, encoding="utf-8")
    (tmp_path / "event.json.gz").write_bytes(gzip.compress(text.encode()))
    for spec in (tmp_path / "event.json", tmp_path / "event.json.gz"):
        answer = json.loads(run_cli(capsys, "explain", "--snapshot", str(ESTATE), str(spec), "--format", "json").out)
        assert (answer["account_id"], answer["region"], answer["logged"]) == expected, spec
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    answer = json.loads(run_cli(capsys, "explain", "--snapshot", str(ESTATE), "-", "--format", "json").out)
    assert (answer["account_id"], answer["region"], answer["logged"]) == expected


WRITE_ONLY_ESTATE = {
    "format": "trailcheck.snapshot/v1", "collected_at": "2026-11-20T02:00:00Z", "partition": "aws",
    "accounts": [{"account_id": "111111111111", "regions": ["us-east-1"], "trails": [{
        "Name": "writes", "TrailARN": "arn:aws:cloudtrail:us-east-1:111111111111:trail/writes",
        "HomeRegion": "us-east-1", "IsMultiRegionTrail": True, "IncludeGlobalServiceEvents": True,
        "Status": {"IsLogging": True},
        "EventSelectors": [{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}]}]}]}


def test_explain_and_scan_agree_on_a_lookup_item_whose_record_lacks_read_only(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """Event history puts ``ReadOnly: "false"`` on the item, not always ``readOnly`` in the
    record: a write-only trail records the call, and both commands must say so."""
    snapshot = tmp_path / "estate.json"
    snapshot.write_text(json.dumps(WRITE_ONLY_ESTATE), encoding="utf-8")
    record = {key: value for key, value in DISABLE_KEY.items() if key != "readOnly"}
    event = tmp_path / "lookup-item.json"
    event.write_text(json.dumps(lookup_item(record)), encoding="utf-8")

    explained = run_cli(capsys, "explain", "--snapshot", str(snapshot), str(event))
    assert explained.code == 0, explained.err
    assert explained.out.splitlines()[0].endswith(": LOGGED"), explained.out

    _, report = scan_report(capsys, tmp_path / "out", snapshot, "--events", str(event), "--rules", "unlogged-events")
    assert statuses(report, "unlogged-events") == {("111111111111", "us-east-1", None): "pass"}


def test_explain_is_unknown_where_collection_failed(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    # The sandbox account's eu-west-1 trails could not be listed: a hidden trail might log it.
    event = tmp_path / "disable-key.json"
    event.write_text(json.dumps({**DISABLE_KEY, "recipientAccountId": "444444444444", "awsRegion": "eu-west-1"}),
                     encoding="utf-8")
    table = run_cli(capsys, "explain", "--snapshot", str(ESTATE), str(event))
    assert "UNKNOWN" in table.out.splitlines()[0]
    answer = json.loads(run_cli(capsys, "explain", "--snapshot", str(ESTATE), str(event), "--format", "json").out)
    assert answer["logged"] is None


# -- help --------------------------------------------------------------------------------------

@pytest.mark.parametrize("argv", [["--help"], *[[command, "--help"] for command in COMMANDS]])
def test_every_help_has_examples(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    result = run_cli(capsys, *argv)
    assert result.code == 0
    assert "examples:" in result.out
    assert "trailcheck" in result.out


def test_version_matches_the_installed_package(capsys: pytest.CaptureFixture[str]) -> None:
    """``checker.__version__`` (read without package metadata, which costs start-up) and
    pyproject.toml's version must not drift apart."""
    assert run_cli(capsys, "--version").out == f"trailcheck {version('trailcheck')}\n"


# What ``scan --snapshot FILE --format json`` does not use: each costs every such scan tens of
# milliseconds of start-up (``python -X importtime``) when imported with the command line.
NOT_FOR_A_SNAPSHOT_SCAN = (
    "checker.inputs.live.collector", "checker.inputs.live.processes", "checker.inputs.merge", "boto3", "botocore",
    "checker.inputs.iac.terraform", "checker.inputs.iac.cloudformation", "checker.event_scan",
    "checker.inputs.events.sources", "checker.formats.html", "checker.formats.junit", "checker.formats.sarif",
    "checker.formats.markdown", "checker.formats.csv_format", "checker.formats.jsonl", "tabulate", "importlib.metadata")


def test_a_snapshot_scan_loads_neither_the_collector_nor_code_readers_nor_other_formats(tmp_path: Path) -> None:
    script = ("import sys\nfrom checker.cli import main\ncode = main(sys.argv[1:])\n"
              f"print(sorted(m for m in {NOT_FOR_A_SNAPSHOT_SCAN!r} if m in sys.modules))\nsys.exit(code)")
    completed = subprocess.run([sys.executable, "-c", script, "scan", "--snapshot", str(ESTATE), "--format", "json",
                                "--output-dir", str(tmp_path), "--quiet"],
                               capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 1, completed.stderr
    assert completed.stdout == "[]\n"
    assert read_findings_document(tmp_path / "findings.json")["findings"]


def test_module_entry_point_runs(tmp_path: Path) -> None:
    completed = subprocess.run([sys.executable, "-m", "checker", "--help"], cwd=tmp_path,
                               capture_output=True, text=True, timeout=120, check=False)
    assert completed.returncode == 0, completed.stderr
    assert "examples:" in completed.stdout
    for command in COMMANDS:
        assert command in completed.stdout
