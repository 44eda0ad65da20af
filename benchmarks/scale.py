"""Benchmark: configuration scans at organization scale, against a same-run baseline.

Generates (seeded, so every run scans the same estates) snapshots in the format
``trailcheck scan --snapshot`` reads:

- an organization of N accounts x 17 Regions (N = 100 and 1,000): the management account
  owns a multi-Region organization trail with advanced selectors (management events
  except KMS, plus the SSM control-channel data events); half of the other accounts own
  one local trail of their own, in a random home Region, multi-Region or not, with basic
  selectors, some excluding KMS events, some not logging;
- one account with 1,000 trails (random home Regions, half multi-Region, basic and
  advanced selectors, a tenth excluding an event source of their own).

Each estate is scanned in a fresh process, ``trailcheck scan --snapshot FILE --format json
--quiet`` (the built-in pack; its configuration rules, since no events are given), and
measured from outside: wall time, CPU time and peak RSS of that process (``getrusage`` of
a small runner process that starts it). The baseline, run the same way right after, is
what any tool reading the same snapshot and writing the same report must spend:
``json.load`` of the snapshot plus a dump of a document as large as the scan's
``findings.json``, written as trailcheck writes it (that report, loaded, and dumped again a
finding per line by the C encoder). A third process times the phases before the report
(start-up and imports, policies, snapshot, configuration rules) and takes its peak RSS with
the findings in memory, so that the rest of the scan's CPU and memory is the report's.
The largest organization is then scanned once per other format (``--formats``), each alone,
for its time, peak and file size, and once more with its own ``findings.json`` as
``--baseline``, as a nightly run reads last night's report.

Run from the repository: ``python benchmarks/scale.py [--accounts 100 1000] [--trails 1000]
[--formats jsonl,md,html,sarif,junit,csv]``. CI does not run it; benchmarks/README.md gives
the latest figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TRAILCHECK = Path(sys.executable).parent / "trailcheck"
SEED = 20261122
REGIONS = (
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1",
    "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1",
    "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2",
)
MANAGEMENT_ACCOUNT = "100000000000"
ORGANIZATION_ID = "o-scale0bench"
COLLECTED_AT = "2026-11-22T06:00:00Z"
KMS = "kms.amazonaws.com"
EXCLUDABLE_SOURCES = (KMS, "rdsdata.amazonaws.com", "s3.amazonaws.com", "ec2.amazonaws.com", "dynamodb.amazonaws.com")
BASELINE = """
import json, sys
with open(sys.argv[1], encoding="utf-8") as handle:
    json.load(handle)
with open(sys.argv[2], encoding="utf-8") as handle:
    report = json.load(handle)
findings = report.pop("findings")
with open(sys.argv[3], "w", encoding="utf-8") as handle:
    handle.write(json.dumps(report, indent=2, ensure_ascii=False)[:-2] + ',\\n  "findings": [\\n')
    for index, finding in enumerate(findings):
        handle.write(("," if index else "") + "    " + json.dumps(finding, ensure_ascii=False, separators=(",", ":"))
                     + "\\n")
    handle.write("  ]\\n}\\n")
print(len(findings))
"""
# Runs argv[2:] with its stdout in the file argv[1] and prints its wall time and rusage. The
# measured process is the runner's child, not the benchmark's: a child created by vfork (as
# subprocess does) starts its peak RSS at its parent's, and this script's is large.
RUNNER = """
import json, resource, subprocess, sys, time
started = time.perf_counter()
with open(sys.argv[1], "w") as out:
    code = subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.PIPE, text=True)
wall = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"code": code.returncode, "error": code.stderr[-2000:], "wall": wall,
                  "cpu": usage.ru_utime + usage.ru_stime, "peak_kb": usage.ru_maxrss}))
"""
# Where the scan's CPU goes, in one process: the phases before the report.
PHASES = """
import json, resource, sys, time
from pathlib import Path
from checker.engine.config import ConfigEvaluator
from checker.inputs.snapshot import SnapshotFile
from checker.scan import load_rules
spent = {"start-up": time.process_time()}  # the interpreter and the imports, from the process start
started = time.process_time()
rules, _ = load_rules([], True)
spent["policies"], started = time.process_time() - started, time.process_time()
snapshot = SnapshotFile(Path(sys.argv[1])).load()
spent["snapshot"], started = time.process_time() - started, time.process_time()
findings = ConfigEvaluator(snapshot).evaluate(rules)
spent["rules"] = time.process_time() - started
spent["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(spent))
"""

SCAN_EXITS = (0, 1)  # 1: the scan found failures, as it should
Doc = dict[str, Any]


# -- the estates ---------------------------------------------------------------------------


def account_id(index: int) -> str:
    return f"{int(MANAGEMENT_ACCOUNT) + index:012d}"


def trail(account: str, name: str, home: str, *, multi_region: bool, logging: bool = True,
          organization: bool = False, **selectors: Any) -> Doc:
    """A DescribeTrails item with its status and selectors, as ``trailcheck collect`` writes it."""
    return {
        "Name": name,
        "TrailARN": f"arn:aws:cloudtrail:{home}:{account}:trail/{name}",
        "HomeRegion": home,
        "IsMultiRegionTrail": multi_region,
        "IsOrganizationTrail": organization,
        "IncludeGlobalServiceEvents": True,
        "LogFileValidationEnabled": True,
        "S3BucketName": f"trails-{account}",
        "KmsKeyId": f"arn:aws:kms:{home}:{account}:key/{name}",
        "CloudWatchLogsLogGroupArn": f"arn:aws:logs:{home}:{account}:log-group:{name}:*",
        "Status": {"IsLogging": logging, "LatestDeliveryTime": COLLECTED_AT},
        "InsightSelectors": [],
        **selectors,
    }


def organization_trail() -> Doc:
    """Management events except KMS, and the SSM control-channel data events."""
    return trail(MANAGEMENT_ACCOUNT, "organization", "us-east-1", multi_region=True, organization=True,
                 AdvancedEventSelectors=[
                     {"Name": "Management events except KMS", "FieldSelectors": [
                         {"Field": "eventCategory", "Equals": ["Management"]},
                         {"Field": "eventSource", "NotEquals": [KMS]}]},
                     {"Name": "SSM control channel", "FieldSelectors": [
                         {"Field": "eventCategory", "Equals": ["Data"]},
                         {"Field": "resources.type", "Equals": ["AWS::SSMMessages::ControlChannel"]}]}])


def basic_selectors(rng: random.Random, exclude: Sequence[str] = ()) -> Doc:
    selector: Doc = {"ReadWriteType": rng.choice(("All", "All", "WriteOnly", "ReadOnly")),
                     "IncludeManagementEvents": True, "DataResources": []}
    if exclude:
        selector["ExcludeManagementEventSources"] = list(exclude)
    return {"EventSelectors": [selector]}


def organization(accounts: int, seed: int = SEED) -> Doc:
    """The management account and ``accounts - 1`` members, half of them with a local trail."""
    rng = random.Random(seed)
    members = []
    for index in range(accounts):
        owner = account_id(index)
        trails = [organization_trail()] if index == 0 else []
        if index and rng.random() < 0.5:
            home = rng.choice(REGIONS)
            trails.append(trail(owner, "local", home, multi_region=rng.random() < 0.5,
                                logging=rng.random() < 0.8,
                                **basic_selectors(rng, [KMS] if rng.random() < 0.3 else [])))
        members.append({"account_id": owner, "name": f"account-{index}", "regions": list(REGIONS),
                        "trails": trails, "errors": []})
    return {"format": "trailcheck.snapshot/v1", "collected_at": COLLECTED_AT,
            "organization": {"id": ORGANIZATION_ID, "management_account_id": MANAGEMENT_ACCOUNT},
            "accounts": members}


def crowded_account(trails: int, seed: int = SEED) -> Doc:
    """One account with ``trails`` trails of many kinds (issue 10's thousand-trail account)."""
    rng = random.Random(seed)
    owner = account_id(1)
    found = []
    for index in range(trails):
        name = f"trail-{index:04d}"
        home = rng.choice(REGIONS)
        multi_region = rng.random() < 0.5
        logging = rng.random() < 0.9
        if rng.random() < 0.25:
            selectors: Doc = {"AdvancedEventSelectors": [
                {"Name": "management", "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Management"]},
                    {"Field": "eventSource", "NotEquals": [rng.choice(EXCLUDABLE_SOURCES)]}]},
                {"Name": "bucket", "FieldSelectors": [
                    {"Field": "eventCategory", "Equals": ["Data"]},
                    {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                    {"Field": "resources.ARN", "StartsWith": [f"arn:aws:s3:::bucket-{index}/"]}]}]}
        else:
            exclude = [f"service-{index}.amazonaws.com"] if rng.random() < 0.1 else []
            if rng.random() < 0.2:
                exclude.append(KMS)
            selectors = basic_selectors(rng, exclude)
        found.append(trail(owner, name, home, multi_region=multi_region, logging=logging, **selectors))
    return {"format": "trailcheck.snapshot/v1", "collected_at": COLLECTED_AT,
            "accounts": [{"account_id": owner, "name": "crowded", "regions": list(REGIONS), "trails": found,
                          "errors": []}]}


def write(path: Path, document: Doc) -> Path:
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


# -- the measurements --------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """One process, measured from outside: wall and CPU seconds, peak RSS in MB, what it printed."""

    wall: float
    cpu: float
    peak_mb: float
    output: str


def measure(argv: Sequence[str], scratch: Path, ok: Sequence[int] = (0,)) -> Run:
    """Run ``argv`` to completion in a fresh process (through :data:`RUNNER`); another exit
    code than ``ok`` is an error."""
    output = scratch / "stdout.txt"
    runner = subprocess.run([sys.executable, "-c", RUNNER, str(output), *argv], capture_output=True, text=True,
                            check=True)
    usage = json.loads(runner.stdout)
    if usage["code"] not in ok:
        raise RuntimeError(f"{' '.join(argv)} exited {usage['code']}: {usage['error']}")
    return Run(usage["wall"], usage["cpu"], usage["peak_kb"] / 1024, output.read_text())


@dataclass(frozen=True)
class Measured:
    """One estate: its scan, its baseline, what the scan wrote, and where the scan's CPU went."""

    name: str
    trails: int
    findings: int
    snapshot_mb: float
    report_mb: float
    scan: Run
    baseline: Run
    phases: dict[str, float]

    def row(self) -> str:
        scan, base = self.scan, self.baseline
        return (f"| {self.name} | {self.trails:,} | {self.findings:,} | {scan.wall:.2f} | {scan.cpu:.2f} | "
                f"{scan.peak_mb:.0f} | {base.wall:.2f} | {base.cpu:.2f} | {base.peak_mb:.0f} | "
                f"**{scan.wall / base.wall:.2f}** | {scan.cpu / base.cpu:.2f} | {scan.peak_mb / base.peak_mb:.2f} | "
                f"{self.snapshot_mb:.1f} | {self.report_mb:.1f} |")

    def phase_row(self) -> str:
        phases = self.phases
        rest = self.scan.cpu - sum(phases[name] for name in ("start-up", "policies", "snapshot", "rules"))
        return (f"| {self.name} | {phases['start-up']:.2f} | {phases['policies']:.2f} | {phases['snapshot']:.2f} | "
                f"{phases['rules']:.2f} | {rest:.2f} | {self.scan.cpu:.2f} | {phases['peak_mb']:.0f} | "
                f"{self.scan.peak_mb:.0f} |")


HEADER = ("| estate | trails | findings | scan wall s | scan CPU s | scan peak MB | baseline wall s | "
          "baseline CPU s | baseline peak MB | wall ratio | CPU ratio | peak ratio | snapshot MB | findings.json MB |\n"
          "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
PHASE_HEADER = ("| estate | start-up CPU s | policies CPU s | snapshot CPU s | configuration rules CPU s | "
                "report and the rest CPU s | scan CPU s | peak MB before the report | scan peak MB |\n"
                "|---|---:|---:|---:|---:|---:|---:|---:|---:|")


def bench(name: str, document: Doc, workdir: Path) -> Measured:
    """Scan one estate (scan + JSON report), the baseline on the same snapshot and report, and
    the scan's phases before the report in a process of their own."""
    snapshot = write(workdir / f"{name}.json", document)
    out = workdir / f"{name}-reports"
    scan = measure([str(TRAILCHECK), "scan", "--snapshot", str(snapshot), "--format", "json",
                    "--output-dir", str(out), "--quiet"], workdir, SCAN_EXITS)
    report = out / "findings.json"
    baseline = measure([sys.executable, "-c", BASELINE, str(snapshot), str(report), str(workdir / "baseline.json")],
                       workdir)
    phases = json.loads(measure([sys.executable, "-c", PHASES, str(snapshot)], workdir).output)
    trails = len({t["TrailARN"] for a in document["accounts"] for t in a["trails"]})
    return Measured(name, trails, int(baseline.output), snapshot.stat().st_size / 1e6, report.stat().st_size / 1e6,
                    scan, baseline, phases)


FORMAT_HEADER = ("| format | file | scan wall s | scan CPU s | scan peak MB | file MB |\n"
                 "|---|---|---:|---:|---:|---:|")


def bench_formats(snapshot: Path, formats: Sequence[str], workdir: Path) -> list[str]:
    """One scan of ``snapshot`` per format, each alone (``bench`` wrote the snapshot and its
    JSON report), and the JSON report again with that report as ``--baseline`` (the nightly
    run): table rows."""
    rows = []
    previous = workdir / f"{snapshot.stem}-reports" / "findings.json"
    for label, options in [(name, ["--format", name]) for name in formats] + [
            ("json --baseline", ["--format", "json", "--baseline", str(previous)])]:
        out = workdir / f"format-{label.replace(' ', '')}"
        run = measure([str(TRAILCHECK), "scan", "--snapshot", str(snapshot), *options, "--output-dir",
                       str(out), "--quiet"], workdir, SCAN_EXITS)
        [written] = list(out.iterdir())
        rows.append(f"| {label} | {written.name} | {run.wall:.2f} | {run.cpu:.2f} | {run.peak_mb:.0f} | "
                    f"{written.stat().st_size / 1e6:.1f} |")
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, nargs="+", default=[100, 1000],
                        help="organization sizes to scan (the growth is from the first to the last)")
    parser.add_argument("--trails", type=int, default=1000, help="trails of the one crowded account")
    parser.add_argument("--formats", default="jsonl,md,html,sarif,junit,csv",
                        help="formats to time alone on the largest organization (empty: none)")
    args = parser.parse_args()
    formats = [name for name in args.formats.split(",") if name]
    print(f"# {time.strftime('%Y-%m-%d')}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f} at the start", flush=True)
    measured: list[Measured] = []
    with tempfile.TemporaryDirectory(prefix="trailcheck-scale-") as scratch:
        workdir = Path(scratch)
        for count in args.accounts:
            measured.append(bench(f"organization {count:,} x {len(REGIONS)}", organization(count), workdir))
            print(measured[-1].row(), flush=True)
        largest = f"organization {args.accounts[-1]:,} x {len(REGIONS)}"
        format_rows = bench_formats(workdir / f"{largest}.json", formats, workdir)
        measured.append(bench(f"1 account x {len(REGIONS)}, {args.trails:,} trails", crowded_account(args.trails),
                              workdir))
        print(measured[-1].row(), flush=True)
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end\n")
    print(HEADER)
    for run in measured:
        print(run.row())
    print(f"\n{PHASE_HEADER}")
    for run in measured:
        print(run.phase_row())
    if format_rows:
        print(f"\neach format alone, {largest}:\n\n{FORMAT_HEADER}")
        print("\n".join(format_rows))
    if len(args.accounts) > 1:
        small, large = measured[0], measured[len(args.accounts) - 1]
        times = args.accounts[-1] / args.accounts[0]
        print(f"\ngrowth {args.accounts[0]:,} -> {args.accounts[-1]:,} accounts ({times:g}x): "
              f"wall {large.scan.wall / small.scan.wall:.2f}x, CPU {large.scan.cpu / small.scan.cpu:.2f}x, "
              f"peak {large.scan.peak_mb / small.scan.peak_mb:.2f}x, findings.json "
              f"{large.report_mb / small.report_mb:.2f}x")


if __name__ == "__main__":
    main()
