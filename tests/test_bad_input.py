"""Bad input never gives a traceback: exit code 2 and ONE line on stderr that
names the place (file and line, JSON path, or option) and what is wrong there."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli import CliResult, run_cli
from tests.helpers.data import ESTATE

VALID_RULE = """\
rules:
  - id: my-rule
    title: Log file validation is on
    severity: high
    scope: trail
    params: {limit: 5, label: abc}
    require:
      expr: "LogFileValidationEnabled == `true`"
"""


def assert_bad_input(result: CliResult, *places: str) -> str:
    """Exit 2, no traceback, exactly one line on stderr containing every one of ``places``."""
    assert result.code == 2, (result.code, result.err)
    assert "Traceback" not in result.err
    lines = result.err.splitlines()
    assert len(lines) == 1, result.err
    for place in places:
        assert place in lines[0], (place, lines[0])
    return lines[0]


def estate() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ESTATE.read_text(encoding="utf-8"))
    return data


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def scan(capsys: pytest.CaptureFixture[str], tmp_path: Path, snapshot: Path, *args: str) -> CliResult:
    return run_cli(capsys, "scan", "--snapshot", str(snapshot), "--output-dir", str(tmp_path / "out"), *args)


# -- snapshots -------------------------------------------------------------------------------

def test_invalid_json_snapshot(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write(tmp_path / "snap.json", '{"format": "trailcheck.snapshot/v1",\n "accounts": [,]}\n')
    assert_bad_input(scan(capsys, tmp_path, path), f"{path}:2:", "invalid JSON")


def test_truncated_snapshot(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    text = ESTATE.read_text(encoding="utf-8")
    path = write(tmp_path / "half.json", text[: len(text) // 2])
    line = assert_bad_input(scan(capsys, tmp_path, path), "invalid JSON")
    assert re.search(rf"{re.escape(str(path))}:\d+:\d+", line), line
    assert not (tmp_path / "out").exists(), "nothing is written for bad input"


def test_snapshot_missing_home_region_names_the_json_path(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = estate()
    del data["accounts"][0]["trails"][0]["HomeRegion"]
    path = write(tmp_path / "snap.json", json.dumps(data))
    assert_bad_input(scan(capsys, tmp_path, path), str(path), "$.accounts[0].trails[0]", "HomeRegion")


def test_snapshot_bad_account_id_names_the_json_path(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = estate()
    data["accounts"][1]["account_id"] = "12345"
    path = write(tmp_path / "snap.json", json.dumps(data))
    assert_bad_input(scan(capsys, tmp_path, path), str(path), "$.accounts[1].account_id", "12345")


def test_snapshot_wrong_format_string(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = estate()
    data["format"] = "trailcheck.snapshot/v2"
    path = write(tmp_path / "snap.json", json.dumps(data))
    assert_bad_input(scan(capsys, tmp_path, path), str(path), "$.format", "trailcheck.snapshot/v1")


def test_snapshot_unparseable_timestamp(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = estate()
    data["accounts"][0]["trails"][0]["Status"]["LatestDeliveryTime"] = "yesterday"
    path = write(tmp_path / "snap.json", json.dumps(data))
    assert_bad_input(scan(capsys, tmp_path, path), str(path),
                     "$.accounts[0].trails[0].Status.LatestDeliveryTime", "yesterday")


def test_snapshot_listing_an_account_twice(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    data = estate()
    data["accounts"].append(data["accounts"][0])
    path = write(tmp_path / "snap.json", json.dumps(data))
    assert_bad_input(scan(capsys, tmp_path, path), str(path), f"$.accounts[{len(data['accounts']) - 1}].account_id",
                     "111111111111")


def test_snapshot_that_is_not_utf8(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "snap.json"
    path.write_bytes(b'{"format": "\xff\xfe"}')
    assert_bad_input(scan(capsys, tmp_path, path), str(path))


def test_missing_snapshot_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.json"
    assert_bad_input(scan(capsys, tmp_path, missing), str(missing), "cannot read")


# -- options ---------------------------------------------------------------------------------

def test_unknown_format(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert_bad_input(scan(capsys, tmp_path, ESTATE, "--format", "table,xml"), "--format", "'xml'")


@pytest.mark.parametrize("option", ["--rules", "--skip-rules"])
def test_unknown_rule_id(capsys: pytest.CaptureFixture[str], tmp_path: Path, option: str) -> None:
    result = scan(capsys, tmp_path, ESTATE, option, "kms-exclusion-gap,no-such-rule")
    line = assert_bad_input(result, option, "no-such-rule")
    assert "kms-exclusion-gap" not in line, "only the unknown id is named"


@pytest.mark.parametrize(("override", "words"), [
    ("no-such-rule.max_delivery_age_hours=5", ("unknown rule", "no-such-rule")),
    ("trail-delivery-healthy.max_age=5", ("max_age", "max_delivery_age_hours")),
    ("trail-delivery-healthy.max_delivery_age_hours=soon", ("number",)),
    ("trail-delivery-healthy.max_delivery_age_hours", ("RULE-ID.NAME=VALUE",)),
])
def test_bad_param(capsys: pytest.CaptureFixture[str], tmp_path: Path, override: str, words: tuple[str, ...]) -> None:
    assert_bad_input(scan(capsys, tmp_path, ESTATE, "--param", override), f"--param {override}", *words)


@pytest.mark.parametrize("override", ["my-rule.limit=true", "my-rule.limit=no"])
def test_boolean_for_a_number_parameter(capsys: pytest.CaptureFixture[str], tmp_path: Path, override: str) -> None:
    policies = write(tmp_path / "p.yaml", VALID_RULE)
    result = scan(capsys, tmp_path, ESTATE, "--no-builtin", "--policies", str(policies), "--param", override)
    assert_bad_input(result, f"--param {override}")


def test_string_parameter_takes_digits(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    policies = write(tmp_path / "p.yaml", VALID_RULE)
    result = scan(capsys, tmp_path, ESTATE, "--no-builtin", "--policies", str(policies), "--param", "my-rule.label=123")
    assert result.code in (0, 1), result.err


def test_no_builtin_without_policies(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert_bad_input(scan(capsys, tmp_path, ESTATE, "--no-builtin"), "--no-builtin", "--policies")


def test_output_dir_that_is_a_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    blocker = write(tmp_path / "out", "a file, not a directory")
    result = run_cli(capsys, "scan", "--snapshot", str(ESTATE), "--rules", "trail-logging",
                     "--output-dir", str(blocker), "--format", "json")
    assert_bad_input(result, str(blocker))


# -- policies ----------------------------------------------------------------------------------

def validate(capsys: pytest.CaptureFixture[str], *paths: Path) -> CliResult:
    return run_cli(capsys, "validate", *map(str, paths))


def policy(tmp_path: Path, text: str, name: str = "policy.yaml") -> Path:
    return write(tmp_path / name, textwrap.dedent(text))


def test_yaml_syntax_error_names_line_and_column(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = policy(tmp_path, "rules:\n  - id: broken\n    title: ok\n\tseverity: high\n")
    assert_bad_input(validate(capsys, path), f"{path}:4:1", "YAML")


def test_unknown_key_names_line_and_rule(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = policy(tmp_path, VALID_RULE + "    colour: red\n")
    line = assert_bad_input(validate(capsys, path), "rule my-rule", "colour")
    assert re.search(rf"{re.escape(str(path))}:\d+", line), line


def test_bad_severity_names_its_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = policy(tmp_path, VALID_RULE.replace("severity: high", "severity: urgent"))
    assert_bad_input(validate(capsys, path), f"{path}:4", "rule my-rule", "severity", "urgent")


def test_invalid_jmespath_names_file_line_rule_and_expression(capsys: pytest.CaptureFixture[str],
                                                              tmp_path: Path) -> None:
    path = policy(tmp_path, VALID_RULE.replace("LogFileValidationEnabled == `true`", "LogFileValidationEnabled == ="))
    line = assert_bad_input(validate(capsys, path), "rule my-rule", "LogFileValidationEnabled == =")
    assert re.search(rf"{re.escape(str(path))}:\d+", line), line
    # The same check applies when scanning.
    assert scan(capsys, tmp_path, ESTATE, "--policies", str(path)).err.splitlines() == [line]


def test_duplicate_rule_id_across_files_names_both_places(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    first = policy(tmp_path, VALID_RULE, "a.yaml")
    second = policy(tmp_path, "# the same id again\n" + VALID_RULE, "b.yaml")
    assert_bad_input(validate(capsys, tmp_path), f"{first}:2", f"{second}:3", "my-rule", "duplicate")


def test_custom_rule_reusing_a_builtin_id(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = policy(tmp_path, VALID_RULE.replace("my-rule", "trail-logging"))
    line = assert_bad_input(scan(capsys, tmp_path, ESTATE, "--policies", str(path)), f"{path}:2", "trail-logging")
    assert "trails.yaml" in line


def test_unknown_message_placeholder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = policy(tmp_path, VALID_RULE + "    messages:\n      fail: '{resource} in {acount}'\n")
    line = assert_bad_input(validate(capsys, path), "rule my-rule", "{acount}")
    assert re.search(rf"{re.escape(str(path))}:\d+", line), line


def test_unbalanced_brace_in_message(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = policy(tmp_path, VALID_RULE + "    messages:\n      fail: 'trail {resource'\n")
    assert_bad_input(validate(capsys, path), str(path), "rule my-rule")


@pytest.mark.parametrize("text", ["", "# only a comment\n"])
def test_empty_policy_file(capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str) -> None:
    path = policy(tmp_path, text)
    assert_bad_input(validate(capsys, path), str(path), "empty")


def test_missing_policy_directory(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert_bad_input(validate(capsys, tmp_path / "nowhere"), str(tmp_path / "nowhere"))


def test_unknown_jmespath_function(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = policy(tmp_path, VALID_RULE.replace("LogFileValidationEnabled == `true`",
                                               "hours_sinse(Status.LatestDeliveryTime) < `3`"))
    assert_bad_input(validate(capsys, path), str(path), "rule my-rule", "hours_sinse")


def test_unknown_probe_field(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = policy(tmp_path, """\
        rules:
          - id: kms-writes
            title: KMS writes are logged
            severity: high
            scope: region
            require:
              logged:
                - {eventCategory: Management, eventSource: kms.amazonaws.com, eventname: DisableKey}
        """)
    assert_bad_input(validate(capsys, path), str(path), "rule kms-writes", "eventname")


# -- explain ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("content", "words"), [
    ("{not json", ("JSON",)),
    ('{"eventName": "DisableKey"}', ("eventSource",)),
    ('{"Records": []}', ("one CloudTrail record", "none")),
    ('{"Records": [{"eventVersion": "1.08"}, {"eventVersion": "1.09"}]}', ("one CloudTrail record", "more than one")),
])
def test_explain_bad_event(capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str,
                           words: tuple[str, ...]) -> None:
    event = write(tmp_path / "event.json", content)
    assert_bad_input(run_cli(capsys, "explain", "--snapshot", str(ESTATE), str(event)), str(event), *words)


def test_bare_literal_in_jmespath_is_rejected(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """`== true` compares with a field named 'true' (always null): a silent always-false rule."""
    policy = tmp_path / "p.yaml"
    policy.write_text("rules:\n  - id: bare\n    title: t\n    severity: low\n    scope: trail\n"
                      "    require: {expr: \"IsMultiRegionTrail == true\"}\n", encoding="utf-8")
    result = run_cli(capsys, "validate", str(policy))
    assert result.code == 2
    err = result.err
    assert f"{policy}:2" in err and "rule bare" in err and "`true`" in err


def test_validate_compiles_event_rules(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A bad regex in an event rule is caught by `validate`, before any scan."""
    policy = tmp_path / "p.yaml"
    policy.write_text("rules:\n  - id: bad-regex\n    title: t\n    severity: low\n    scope: event\n"
                      "    match:\n      eventName: {regex: \"(\"}\n", encoding="utf-8")
    result = run_cli(capsys, "validate", str(policy))
    assert result.code == 2
    assert f"{policy}:2" in result.err and "rule bad-regex" in result.err and "regex" in result.err


def test_policy_that_is_not_utf8(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    policy = tmp_path / "latin1.yaml"
    policy.write_bytes("rules:\n  - id: caf\xe9\n".encode("latin-1"))
    result = run_cli(capsys, "validate", str(policy))
    assert result.code == 2
    assert str(policy) in result.err and "UTF-8" in result.err
