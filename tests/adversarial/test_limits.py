"""The limits are documented, overridable where they say so, and offline runs stay light."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from checker import limits
from checker.errors import InputError
from tests.adversarial.abuse import ESTATE, EVENTS, REPO, child_environment

SECURITY = (REPO / "docs" / "security.md").read_text(encoding="utf-8")


CONSTANTS = {name: value for name, value in vars(limits).items() if isinstance(value, limits.Limit)}


@pytest.mark.parametrize("name", sorted(CONSTANTS))
def test_every_limit_is_documented_with_its_variable(name: str) -> None:
    limit = CONSTANTS[name]
    assert limit in limits.ALL
    rows = [line for line in SECURITY.splitlines() if line.startswith("| ") and f"(`{name}`)" in line]
    assert len(rows) == 1, f"docs/security.md needs one table row for {name}"
    variable = f"`{limit.variable}`"
    assert (variable in rows[0]) == limit.overridable, (rows[0], limit)


def test_an_override_raises_a_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(limits.NESTING_DEPTH.variable, "500")
    assert limits.NESTING_DEPTH.value() == 500
    monkeypatch.setenv(limits.NESTING_DEPTH.variable, "-3")
    with pytest.raises(InputError, match=limits.NESTING_DEPTH.variable):
        limits.NESTING_DEPTH.value()


def test_a_fixed_limit_ignores_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(limits.EXPRESSION_DEPTH.variable, "100000")
    assert limits.EXPRESSION_DEPTH.value() == limits.EXPRESSION_DEPTH.default


@pytest.mark.parametrize("args", [
    ("validate",),
    ("scan", "--snapshot", str(ESTATE), "--events", str(EVENTS), "--format", "json", "--output-dir", "{out}"),
], ids=["validate", "offline-scan"])
def test_offline_runs_do_not_import_boto3(args: tuple[str, ...], tmp_path: Path) -> None:
    """boto3 costs a quarter of a second of start-up; only live collection and S3/lookup need it."""
    command = [sys.executable, "-X", "importtime", "-m", "checker", *(a.format(out=tmp_path) for a in args)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path, env=child_environment(tmp_path),
                            check=False)
    assert result.returncode in (0, 1), result.stderr[-2000:]
    imported = {match.group(1) for match in re.finditer(r"\|\s+([\w.]+)\s*$", result.stderr, re.MULTILINE)}
    assert "boto3" not in imported
