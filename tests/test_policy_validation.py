"""Loading is the one place a policy is checked: ``validate`` and ``scan`` reject the same
policies with the same lines, and every problem of every file is listed in one run."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from tests.helpers.cli import CliResult, run_cli
from tests.helpers.data import ESTATE

BAD_REGEX = """\
rules:
  - id: stop-logging-regex
    title: Somebody stopped a trail
    severity: high
    scope: event
    match:
      eventName: {regex: "Stop(Logging"}
"""

MANY_MISTAKES = """\
rules:
  - id: good-rule
    title: Validation is on
    severity: low
    scope: trail
    require: {expr: "LogFileValidationEnabled == `true`"}

  - id: two-mistakes
    title: Two things wrong in one rule
    severity: low
    scope: event
    match:
      eventName: {regex: "Stop(Logging"}
      eventSource: {not: {regex: "[cloudtrail"}}
    expr: "eventName == = 'x'"

  - id: bad-severity
    title: A schema mistake
    severity: urgent
    scope: trail
    require: {expr: "IsLogging == `true`"}

  - id: bad-placeholder
    title: A template mistake
    severity: low
    scope: account
    require: {logged: [{eventCategory: Management, eventname: DisableKey}]}
    messages: {fail: "{acount} is wrong", pass: "{region:d} is right"}
"""

SECOND_FILE = """\
rules:
  - id: good-rule
    title: The same id again
    severity: low
    scope: trail
    require: {expr: "IsMultiRegionTrail == true"}

  - id: event-rule-with-when
    title: Event rules have no precondition
    severity: low
    scope: event
    when: {expr: "`true`", skip_reason: never}
    match: {eventName: StopLogging}
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def errors(result: CliResult) -> list[str]:
    assert result.code == 2, result
    assert result.out == ""
    lines = result.err.splitlines()
    assert all(line.startswith("trailcheck: error: ") for line in lines), lines
    assert "Traceback" not in result.err
    return [line.removeprefix("trailcheck: error: ") for line in lines]


def test_scan_rejects_a_bad_regex_exactly_as_validate_does(capsys: pytest.CaptureFixture[str],
                                                           tmp_path: Path) -> None:
    """Before, validate exited 2 but scan exited 0 and silently evaluated nothing for the rule."""
    policy = write(tmp_path / "policies", "stop.yaml", BAD_REGEX)
    validated = errors(run_cli(capsys, "validate", str(policy.parent)))
    scanned = errors(run_cli(capsys, "scan", "--policies", str(policy.parent), "--no-builtin",
                             "--snapshot", str(ESTATE), "--output-dir", str(tmp_path / "out")))
    assert scanned == validated
    (line,) = validated
    assert line.startswith(f"{policy}:2: rule stop-logging-regex: match.eventName: invalid regex 'Stop(Logging'")
    assert not (tmp_path / "out").exists()


def test_validate_lists_every_problem_of_every_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    first = write(tmp_path, "a.yaml", MANY_MISTAKES)
    second = write(tmp_path, "b.yaml", SECOND_FILE)
    lines = errors(run_cli(capsys, "validate", str(tmp_path)))
    expected = [
        (f"{first}:8: rule two-mistakes: match.eventName:", "invalid regex 'Stop(Logging'"),
        (f"{first}:8: rule two-mistakes: match.eventSource.not:", "invalid regex '[cloudtrail'"),
        (f"{first}:8: rule two-mistakes: expr:", "invalid JMESPath"),
        (f"{first}:19: rule bad-severity: severity:", "'urgent'"),
        (f"{first}:23: rule bad-placeholder: messages.fail:", "{acount}"),
        (f"{first}:23: rule bad-placeholder: messages.pass:", "placeholders take no format spec"),
        (f"{first}:23: rule bad-placeholder: require.logged:", "eventname"),
        (f"{second}:2: rule good-rule: require.expr:", "`true`"),
        (f"{second}:12: rule event-rule-with-when: when:", "not allowed in an event rule"),
    ]
    assert len(lines) == len(expected), lines
    for line, (start, detail) in zip(lines, expected, strict=True):
        assert line.startswith(start) and detail in line, line
    # The same lines from a scan, which evaluates nothing.
    scanned = errors(run_cli(capsys, "scan", "--policies", str(tmp_path), "--no-builtin", "--snapshot", str(ESTATE),
                             "--output-dir", str(tmp_path / "out")))
    assert scanned == lines


def test_duplicate_id_is_reported_once_the_first_definition_is_valid(capsys: pytest.CaptureFixture[str],
                                                                     tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", MANY_MISTAKES)
    second = write(tmp_path, "b.yaml", SECOND_FILE.replace('"IsMultiRegionTrail == true"',
                                                           '"IsMultiRegionTrail == `true`"'))
    lines = errors(run_cli(capsys, "validate", str(tmp_path)))
    duplicate = [line for line in lines if "duplicate rule id" in line]
    assert len(duplicate) == 1 and duplicate[0].startswith(f"{second}:2: rule good-rule:")
    assert re.search(r"first defined at .*a\.yaml:2\)$", duplicate[0])


def test_a_missing_path_does_not_hide_the_problems_of_the_others(capsys: pytest.CaptureFixture[str],
                                                                tmp_path: Path) -> None:
    policy = write(tmp_path / "policies", "stop.yaml", BAD_REGEX)
    lines = errors(run_cli(capsys, "validate", str(tmp_path / "nowhere"), str(policy)))
    assert [line.split(": ", 1)[0] for line in lines] == [str(tmp_path / "nowhere"), f"{policy}:2"]


# -- regular expressions: RE2, bounded -------------------------------------------------------

def regex_policy(folder: Path, pattern: str) -> Path:
    text = BAD_REGEX.replace('"Stop(Logging"', "'" + pattern.replace("'", "''") + "'")
    return write(folder, "regex.yaml", text)


@pytest.mark.parametrize(("pattern", "detail"), [
    ("^(?!Describe)", "invalid perl operator"),
    ("(?<=Stop)Logging", "invalid perl operator"),
    (r"(Stop)\1", "invalid escape sequence"),
    ("a" * 1001, "1,001 characters exceeds the limit of 1,000"),
    (r"\pL{800}", "pattern too large"),
])
def test_regex_re2_cannot_run_is_rejected_at_load(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                  pattern: str, detail: str) -> None:
    policy = regex_policy(tmp_path / "policies", pattern)
    (line,) = errors(run_cli(capsys, "validate", str(policy)))
    assert line.startswith(f"{policy}:2: rule stop-logging-regex: match.eventName: ")
    assert detail in line
    scanned = errors(run_cli(capsys, "scan", "--policies", str(policy.parent), "--no-builtin",
                             "--snapshot", str(ESTATE), "--output-dir", str(tmp_path / "out")))
    assert scanned == [line]
