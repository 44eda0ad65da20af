"""Benchmark: the HTML report of an organization, written and drawn.

Generates the organization of benchmarks/scale.py (N accounts x 17 Regions, default 1,000)
and measures:

(a) ``trailcheck scan --snapshot FILE --format html --quiet`` and, for comparison,
    ``--format json``, each in a fresh process (wall, CPU, peak RSS, as scale.py measures);
(b) the size of ``findings.html`` and of ``findings.json``;
(c) headless Chromium opening ``findings.html`` from disk, a fresh browser each time (over
    the DevTools pipe of tests/helpers/chromium.py) that loads the page once first, so that
    its own start-up is not counted; then, the median of the loads: milliseconds from
    navigation to the first frame painted after the page is drawn (the page's own clock),
    the CPU time all of Chromium's processes spent meanwhile (from /proc: robust when other
    work shares the machine), and a reader's actions on the drawn page: choosing an account
    in the findings filter, and opening a finding's evidence (its chunk unpacked on demand).

Run from the repository: ``python benchmarks/html_report.py [--accounts N] [--loads N]``.
Needs Chromium. CI does not run it; benchmarks/README.md gives the latest figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run as a script: the repository's packages (tests.helpers)

from benchmarks.scale import REGIONS, TRAILCHECK, measure, organization, write  # noqa: E402
from tests.helpers.chromium import DRAWN, Browser  # noqa: E402

# Resolves to the milliseconds a reader waits: choosing the last account in the findings filter
# (every finding is tested again, the first page drawn), then opening the first finding shown.
FILTER = """new Promise((resolve) => {
  const form = document.getElementById('filters');
  const select = form.elements.namedItem('account_id');
  const started = performance.now();
  select.value = select.options[select.options.length - 1].value;
  form.dispatchEvent(new Event('change'));
  requestAnimationFrame(() => resolve(performance.now() - started));
})"""
EVIDENCE = """new Promise((resolve) => {
  const box = document.querySelector('#findings-table details');
  const started = performance.now();
  box.open = true;
  const check = () => {
    const pre = box.querySelector('pre');
    if (pre && pre.textContent !== 'loading…') { resolve(performance.now() - started); }
    else { setTimeout(check, 1); }
  };
  check();
})"""


def tree_cpu_seconds(root: int) -> float:
    """User and system CPU seconds of ``root``'s descendants and itself, from /proc."""
    parents: dict[int, int] = {}
    spent: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended meanwhile
            continue
        pid = int(stat.parent.name)
        parents[pid], spent[pid] = int(fields[1]), (int(fields[11]) + int(fields[12])) / tick

    def descends(pid: int) -> bool:
        while pid > 1 and pid != root:
            pid = parents.get(pid, 0)
        return pid == root

    return sum(cpu for pid, cpu in spent.items() if descends(pid))


def draw(page: Path, profile: Path) -> tuple[float, float, float, float]:
    """One fresh browser: drawn milliseconds, Chromium's CPU milliseconds until then, and the
    filter and evidence milliseconds."""
    with Browser(profile) as browser:
        browser.open(page.as_uri())  # a first load, so that the browser's own start-up is not counted
        browser.evaluate(DRAWN)
        before = tree_cpu_seconds(browser.pid)
        browser.open(page.as_uri())
        drawn = float(browser.evaluate(DRAWN))
        cpu = (tree_cpu_seconds(browser.pid) - before) * 1000
        return drawn, cpu, float(browser.evaluate(FILTER)), float(browser.evaluate(EVIDENCE))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1000, help="accounts of the organization")
    parser.add_argument("--loads", type=int, default=3, help="fresh Chromium loads of the page")
    args = parser.parse_args()
    print(f"# {time.strftime('%Y-%m-%d')}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f} at the start", flush=True)
    with tempfile.TemporaryDirectory(prefix="trailcheck-html-") as scratch:
        workdir = Path(scratch)
        snapshot = write(workdir / "organization.json", organization(args.accounts))
        runs = {}
        for fmt in ("html", "json"):
            runs[fmt] = measure([str(TRAILCHECK), "scan", "--snapshot", str(snapshot), "--format", fmt,
                                 "--output-dir", str(workdir / fmt), "--quiet"], workdir, ok=(0, 1))
        page = workdir / "html" / "findings.html"
        sizes = {fmt: (workdir / fmt / f"findings.{fmt}").stat().st_size / 1e6 for fmt in runs}
        loads = [draw(page, workdir / f"profile-{n}") for n in range(args.loads)]
    print(f"\norganization {args.accounts:,} x {len(REGIONS)}, load average {os.getloadavg()[0]:.1f} at the end\n")
    print("| format | scan wall s | scan CPU s | scan peak MB | report MB |\n|---|---:|---:|---:|---:|")
    for fmt, run in runs.items():
        print(f"| {fmt} | {run.wall:.2f} | {run.cpu:.2f} | {run.peak_mb:.0f} | {sizes[fmt]:.1f} |")
    drawn, cpu, filtered, evidence = (statistics.median(values) for values in zip(*loads, strict=True))
    print(f"\nChromium, median of {len(loads)} fresh loads: drawn and painted {drawn:.0f} ms after navigation "
          f"(each: {', '.join(f'{d:.0f}' for d, _, _, _ in loads)}), {cpu:.0f} ms of CPU (each: "
          f"{', '.join(f'{c:.0f}' for _, c, _, _ in loads)}); an account chosen in the filter {filtered:.0f} ms; "
          f"a finding's evidence opened {evidence:.0f} ms")


if __name__ == "__main__":
    main()
