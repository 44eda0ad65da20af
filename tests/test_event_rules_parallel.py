"""Event rules over ``--events`` sources: worker processes give the sequential run's result."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from checker.errors import InputError
from checker.event_scan import evaluate_event_sources
from checker.inputs.events import EventOptions
from checker.policy.loader import builtin_policy_dir, load_policies
from checker.policy.model import EventRule
from tests.helpers.data import STRATUS, data_file, stratus_files


def event_rules() -> list[EventRule]:
    rules, _ = load_policies([builtin_policy_dir()])
    return [r for r in rules if isinstance(r, EventRule)]


def write_log_files(directory: Path) -> int:
    """Every Stratus detonation as a gzip CloudTrail log file, plus one corrupt file."""
    count = 0
    for index, path in enumerate(stratus_files()):
        records: list[dict[str, Any]] = json.loads(path.read_text())
        count += len(records)
        sub = directory / f"part-{index % 3}"
        sub.mkdir(exist_ok=True)
        (sub / f"{path.stem}.json.gz").write_bytes(gzip.compress(json.dumps({"Records": records}).encode()))
    (directory / "part-0" / "zz-corrupt.json.gz").write_bytes(b"not gzip at all")
    return count


def run(directory: Path, workers: int, **options: Any) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    findings, stats = evaluate_event_sources(event_rules(), [str(directory)], EventOptions(**options), None,
                                             workers=workers)
    return [f.to_dict() for f in findings], stats.to_dict()


def test_parallel_run_equals_sequential_run(tmp_path: Path) -> None:
    total = write_log_files(tmp_path)
    parallel_findings, parallel_stats = run(tmp_path, workers=2)
    sequential_findings, sequential_stats = run(tmp_path, workers=1)
    assert parallel_findings == sequential_findings
    assert parallel_stats == sequential_stats
    assert parallel_stats["read"] == total
    assert parallel_stats["skipped"] >= 1
    assert [p["source"] for p in parallel_stats["problems"]] == [str(tmp_path / "part-0" / "zz-corrupt.json.gz")]
    failing = {f["rule_id"] for f in parallel_findings if f["status"] == "fail"}
    assert {"cloudtrail-tampering", "console-login-without-mfa", "ssm-session-activity", "iam-policy-changes",
            "ec2-instance-connect-activity", "security-group-changes", "unauthorized-api-calls"} <= failing
    skipped = [f for f in parallel_findings if f["status"] == "skipped"]
    assert [f["rule_id"] for f in skipped] == ["unlogged-events"]


def test_parallel_run_ignores_unpicklable_injected_clients(tmp_path: Path) -> None:
    write_log_files(tmp_path)
    findings, _ = run(tmp_path, workers=2, clients=lambda service, region: None, clock=lambda: 0.0)
    assert findings == run(tmp_path, workers=1)[0]


def test_max_events_caps_the_whole_input_in_order(tmp_path: Path) -> None:
    write_log_files(tmp_path)
    findings, stats = run(tmp_path, workers=2, max_events=5)
    assert stats["read"] == 5
    passes = [f for f in findings if f["status"] == "pass"]
    assert passes and all(f["evidence"] == {"records_examined": 5} for f in passes)


def test_single_record_file_and_bad_spec(tmp_path: Path) -> None:
    one = tmp_path / "stop.json"
    one.write_text(data_file(STRATUS, "aws.defense-evasion.cloudtrail-stop.json").read_text())
    findings, stats = run(one, workers=2)
    assert stats["read"] == 1
    assert [f["rule_id"] for f in findings if f["status"] == "fail"] == ["cloudtrail-tampering"]
    with pytest.raises(InputError):
        run(tmp_path / "missing", workers=2)
