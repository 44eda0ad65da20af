"""Running ``trailcheck`` in-process the way a user types it, and reading what it wrote."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from checker.cli import main
from checker.report.shared import resolver


@dataclass(frozen=True)
class CliResult:
    """What a user sees: the exit code, stdout and stderr."""

    code: int
    out: str
    err: str


def run_cli(capsys: pytest.CaptureFixture[str], *argv: str) -> CliResult:
    """Run ``trailcheck ARGV`` in-process and capture what it printed."""
    capsys.readouterr()
    code = main(list(argv))
    captured = capsys.readouterr()
    return CliResult(code, captured.out, captured.err)


def scan_report(capsys: pytest.CaptureFixture[str], out_dir: Path, snapshot: Path,
                *args: str) -> tuple[CliResult, dict[str, Any]]:
    """``scan --format json`` into ``out_dir``; the exit code and the findings document."""
    result = run_cli(capsys, "scan", "--snapshot", str(snapshot), "--format", "json",
                     "--output-dir", str(out_dir), "--quiet", *args)
    assert result.code in (0, 1), result.err
    return result, read_findings_document(out_dir / "findings.json")


def read_findings_document(path: Path) -> dict[str, Any]:
    """A ``findings.json`` as a reader sees it: each finding's evidence whole (the objects it
    shares with other findings, stated once under ``shared``, put back in place)."""
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    resolve = resolver(document.pop("shared", []), str(path))
    document["findings"] = [{**entry, "evidence": resolve(entry["evidence"])} for entry in document["findings"]]
    return document
