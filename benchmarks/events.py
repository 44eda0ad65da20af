"""Benchmark: the built-in event rules over 1M records vs the bare gunzip + JSON parse.

Builds (once) gzip CloudTrail log files ``{"Records": [...]}`` under ``benchmarks/data/``
from the real records in ``tests/data`` (Stratus Red Team detonations, AWS documentation
examples), resampled with distinct eventID, eventTime, account and region; then measures,
each in a fresh process:

(a) baseline: gunzip + ``json.load`` of every file in one Python process;
(b) ``trailcheck scan --events DIR`` with the full built-in pack (both cores);
(c) ``jq`` with one select filter over the gunzipped files, when jq is installed.

For each: wall time, records/s, CPU time (user + system over all its processes: robust
when other work shares the machine), the peak RSS of the largest single process, and
the peak RSS summed over the process tree (sampled from /proc). Run from the repository:
``python benchmarks/events.py [--records N] [--per-file N]``. CI does not run it.
"""

from __future__ import annotations

import argparse
import copy
import gzip
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run as a script: the repository's packages (tests.helpers)

from tests.helpers.data import doc_example_files, stratus_files  # noqa: E402

DATA = REPO / "benchmarks" / "data" / "events"
TRAILCHECK = Path(sys.executable).parent / "trailcheck"
SEED = 20240801
ACCOUNTS = [f"{100000000000 + i * 7919:012d}" for i in range(25)]
REGIONS = ["us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2", "ap-northeast-1",
           "sa-east-1"]
BASELINE = """
import gzip, json, os, sys
count = 0
for root, _, names in sorted(os.walk(sys.argv[1])):
    for name in sorted(names):
        with gzip.open(os.path.join(root, name), "rb") as handle:
            count += len(json.load(handle)["Records"])
print(count)
"""
DIRECT = """
import sys
from pathlib import Path
from checker.event_scan import evaluate_event_sources
from checker.inputs.events import EventOptions
from checker.policy.loader import builtin_policy_dir, load_policies
rules, _ = load_policies([builtin_policy_dir()])
findings, stats = evaluate_event_sources(rules, [sys.argv[1]], EventOptions(), None)
print(stats.read, len(findings))
"""


def corpus_records() -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for path in [*stratus_files(), *doc_example_files()]:
        data = json.loads(path.read_text())
        if isinstance(data, dict):
            data = data.get("Records", [data])
        records.extend(r for r in data if isinstance(r, dict) and "eventSource" in r)
    return records


def build(records_wanted: int, per_file: int) -> int:
    """Write the data set unless a manifest says the same one is already there."""
    manifest = DATA.parent / "events-manifest.json"
    wanted = {"records": records_wanted, "per_file": per_file, "seed": SEED}
    if manifest.exists() and json.loads(manifest.read_text()) == wanted:
        return records_wanted
    shutil.rmtree(DATA, ignore_errors=True)
    rng = random.Random(SEED)
    pool = corpus_records()
    start = datetime(2024, 8, 1, tzinfo=timezone.utc)
    written = 0
    file_index = 0
    print(f"building {records_wanted} records from {len(pool)} corpus records...", file=sys.stderr)
    while written < records_wanted:
        account, region = rng.choice(ACCOUNTS), rng.choice(REGIONS)
        moment = start + timedelta(minutes=5 * file_index)
        batch = []
        for _ in range(min(per_file, records_wanted - written)):
            record = copy.copy(rng.choice(pool))
            record["eventID"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            record["eventTime"] = (moment + timedelta(seconds=rng.randrange(300))).strftime("%Y-%m-%dT%H:%M:%SZ")
            record["recipientAccountId"] = account
            record["awsRegion"] = region
            batch.append(record)
        stamp = moment.strftime("%Y%m%dT%H%MZ")
        folder = DATA / "AWSLogs" / account / "CloudTrail" / region / moment.strftime("%Y/%m/%d")
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{account}_CloudTrail_{region}_{stamp}_{file_index:016x}.json.gz"
        (folder / name).write_bytes(gzip.compress(json.dumps({"Records": batch}).encode(), compresslevel=6))
        written += len(batch)
        file_index += 1
    manifest.write_text(json.dumps(wanted))
    return written


@dataclass
class Measure:
    name: str
    seconds: float
    cpu_seconds: float
    max_rss_mb: float
    tree_rss_mb: float
    output: str


def _tree_rss_kb(root: int) -> int:
    """Resident set size summed over ``root`` and its descendants, from /proc."""
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
            for task in os.listdir(f"/proc/{pid}/task"):
                stack.extend(int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split())
        except (OSError, ValueError):
            continue
    return total


def measure(name: str, command: list[str], ok_codes: tuple[int, ...] = (0,)) -> Measure:
    """Run ``command`` under a fresh wrapper process so RUSAGE_CHILDREN is this command's alone."""
    wrapper = ("import json, resource, subprocess, sys\n"
               "done = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, text=True)\n"
               "usage = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
               "cpu = usage.ru_utime + usage.ru_stime\n"
               "print(json.dumps([usage.ru_maxrss, cpu, done.stdout, done.returncode]))\n")
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-c", wrapper, *command], stdout=subprocess.PIPE, text=True)
    peak = [0]

    def sample() -> None:
        while process.poll() is None:
            peak[0] = max(peak[0], _tree_rss_kb(process.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = process.communicate()
    seconds = time.perf_counter() - started
    sampler.join()
    max_rss_kb, cpu, output, code = json.loads(out)
    if code not in ok_codes:
        raise SystemExit(f"{name}: {' '.join(command)} failed with exit code {code}")
    return Measure(name, seconds, cpu, max_rss_kb / 1024, peak[0] / 1024, output.strip())


def cli_has_events() -> bool:
    if not TRAILCHECK.exists():
        return False
    result = subprocess.run([str(TRAILCHECK), "scan", "--help"], capture_output=True, text=True)
    return "--events" in result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--per-file", type=int, default=3000)
    args = parser.parse_args()
    records = build(args.records, args.per_file)
    files = sum(1 for _ in DATA.rglob("*.json.gz"))
    size = sum(p.stat().st_size for p in DATA.rglob("*.json.gz"))
    print(f"data: {records} records in {files} files, {size / 2**20:.0f} MiB gzip, {os.cpu_count()} CPUs",
          file=sys.stderr)
    for path in DATA.rglob("*.json.gz"):
        path.read_bytes()  # same warm page cache for every run
    results = [measure("(a) gunzip + json.load, one process", [sys.executable, "-c", BASELINE, str(DATA)])]
    with tempfile.TemporaryDirectory() as out:
        if cli_has_events():
            command = [str(TRAILCHECK), "scan", "--events", str(DATA), "--output-dir", out, "--quiet"]
            label = "(b) trailcheck scan --events (built-in pack)"
        else:
            command = [sys.executable, "-c", DIRECT, str(DATA)]
            label = "(b) evaluate_event_sources (built-in pack; CLI not wired)"
        results.append(measure(label, command, ok_codes=(0, 1)))  # 1: failing findings, expected here
    if shutil.which("jq"):
        jq = ("find \"$1\" -name '*.json.gz' -print0 | sort -z | xargs -0 gzip -dc "
              "| jq -c '.Records[] | select(.eventName==\"StopLogging\")' | wc -l")
        results.append(measure("(c) gzip -dc | jq select", ["sh", "-c", jq, "sh", str(DATA)]))
    baseline = results[0].seconds
    baseline_cpu = results[0].cpu_seconds
    load = os.getloadavg()[0]
    print(f"\n{records:,} records, {files} files, {os.cpu_count()} CPUs, load average {load:.1f} at the end")
    print("\n| run | wall s | records/s | wall ratio to (a) | CPU s | CPU ratio to (a) "
          "| peak RSS, largest process (MB) | peak RSS, all processes (MB) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for result in results:
        print(f"| {result.name} | {result.seconds:.1f} | {records / result.seconds:,.0f} | "
              f"{result.seconds / baseline:.2f} | {result.cpu_seconds:.1f} | {result.cpu_seconds / baseline_cpu:.2f} | "
              f"{result.max_rss_mb:.0f} | {result.tree_rss_mb:.0f} |")


if __name__ == "__main__":
    main()
