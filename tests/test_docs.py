"""The generated documentation stays true to the built-in pack."""

from __future__ import annotations

import pytest

from checker.cli import main
from tests.helpers.data import REPO


def test_rules_reference_is_generated_from_the_builtin_pack(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "--format", "md"]) == 0
    generated = capsys.readouterr().out
    committed = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == generated, "docs/rules.md is stale: run 'trailcheck rules --format md > docs/rules.md'"
