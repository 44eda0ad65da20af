"""A large estate's configuration rules judged on two cores give the report one process
gives, byte for byte (apart from when it was generated); a failing worker costs time, not
findings; no worker outlives the scan; small estates stay in one process."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from checker import forked
from checker.engine import parallel
from checker.findings import Finding
from tests.helpers.snapshots import collection_error, write_json

ROOT = Path(__file__).resolve().parent.parent
GENERATED_AT = re.compile(rb'"generated_at": *"[^"]*"')


def _organization(monkeypatch: pytest.MonkeyPatch, accounts: int) -> dict[str, Any]:
    """The benchmark's generated organization (benchmarks/scale.py), with collection errors in
    two accounts so that errors are judged on both sides of the split too."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    scale = importlib.import_module("scale")
    document: dict[str, Any] = scale.organization(accounts)
    document["accounts"][7]["errors"] = [collection_error("eu-west-1")]
    document["accounts"][-3]["errors"] = [collection_error(None)]
    return document


# A scan in a fresh interpreter (this one may run threads, a moto server's, and a process
# with threads never forks): it counts its forks and checks that it has no child left.
SCAN = """
import os, sys
from checker.cli import main
forks = []
fork = os.fork
def counted_fork():
    forks.append(1)
    return fork()
os.fork = counted_fork
code = main(["scan", "--snapshot", sys.argv[1], "--format", "json,jsonl", "--output-dir", sys.argv[2], "--quiet"])
try:
    os.waitpid(-1, os.WNOHANG)
    left = "a child left"
except ChildProcessError:
    left = "no child left"
print(len(forks), left)
sys.exit(code)
"""


def _report(snapshot: Path, out: Path, units: str) -> tuple[str, bytes]:
    """What a scan with ``TRAILCHECK_PARALLEL_UNITS=units`` printed, and its reports."""
    done = subprocess.run([sys.executable, "-c", SCAN, str(snapshot), str(out)], capture_output=True, text=True,
                          env={**os.environ, forked.PARALLEL_UNITS.variable: units}, check=False)
    assert done.returncode == 1, done.stderr
    return done.stdout.strip(), GENERATED_AT.sub(b"", (out / "findings.json").read_bytes()
                                                 + (out / "findings.jsonl").read_bytes())


def _reaped(workers: list[int]) -> bool:
    """Every worker forked was waited for (the test session may have children of its own,
    so only these are asked about)."""
    for pid in workers:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            continue
        return False
    return bool(workers)


def test_two_processes_write_the_report_one_process_writes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    snapshot = write_json(tmp_path / "org60.json", _organization(monkeypatch, 60))
    alone = _report(snapshot, tmp_path / "one", "1000000000")
    assert alone[0] == "0 no child left"
    # One worker judges half the rules' units, another encodes half the findings' lines.
    assert _report(snapshot, tmp_path / "two", "1000") == ("2 no child left", alone[1])


def test_a_small_estate_stays_in_one_process(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    forks, _ = _report(write_json(tmp_path / "org10.json", _organization(monkeypatch, 10)), tmp_path / "out",
                       str(forked.PARALLEL_UNITS.default))
    assert forks == "0 no child left"


def _finding(task: str, index: int) -> Finding:
    return Finding(rule_id=task, severity="high", status="pass", account_id=f"{index:012d}", region=None,
                   resource=None, message=f"unit {index}", evidence={"unit": [index]})


def _fork_despite_threads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every estate forks, even in this process (which may run a moto server's thread: the
    workers below only build findings and pickle them, taking no lock another thread holds);
    the pids of the workers forked."""
    monkeypatch.setenv(forked.PARALLEL_UNITS.variable, "1")
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    workers: list[int] = []
    fork = os.fork

    def recorded_fork() -> int:
        pid = fork()
        if pid:
            workers.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", recorded_fork)
    return workers


def test_a_failing_worker_costs_time_not_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    scan = os.getpid()

    def judge(task: str, start: int, stop: int) -> list[Finding]:
        if os.getpid() != scan:
            raise RuntimeError("a worker that fails")
        return [_finding(task, index) for index in range(start, stop)]

    workers = _fork_despite_threads(monkeypatch)
    findings = parallel.judge_all([("a", 5), ("b", 0), ("c", 2)], judge)
    assert [(f.rule_id, f.message) for f in findings] == [
        ("a", "unit 0"), ("a", "unit 1"), ("a", "unit 2"), ("a", "unit 3"), ("a", "unit 4"),
        ("c", "unit 0"), ("c", "unit 1")]
    assert _reaped(workers)


def test_a_bug_in_the_scans_half_raises_and_leaves_no_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    scan = os.getpid()

    def judge(task: str, start: int, stop: int) -> list[Finding]:
        if os.getpid() == scan:
            raise RuntimeError("a bug")
        return [_finding(task, index) for index in range(start, stop)]

    workers = _fork_despite_threads(monkeypatch)
    with pytest.raises(RuntimeError, match="a bug"):
        parallel.judge_all([("a", 4)], judge)
    assert _reaped(workers)
