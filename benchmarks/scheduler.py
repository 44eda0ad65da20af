"""Scheduler benchmark: does the live collector's task loop stay linear in queued calls?

A large organization queues tens of thousands of calls at once (1,000 accounts x 17
regions of DescribeTrails). The collector's loop (``checker.inputs.live.collector._run``)
must hand each finished call to its merge step in O(1), or its own bookkeeping starves
the workers. This runs the loop over N synthetic calls of ``--call`` seconds each (a
sleep, like a network wait) on ``--workers`` threads and reports the wall time against
the ideal N x call / workers, and the loop's CPU.

Run: ``python benchmarks/scheduler.py [--calls 4000 16000]``. Not run by CI.
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor

from checker.inputs.live.collector import Merge, Task, _run


def fan_out(calls: int, seconds: float) -> Task:
    """One call whose answer yields ``calls`` independent calls, as ListAccounts does."""
    def leaf() -> Merge:
        time.sleep(seconds)
        return list

    def root() -> Merge:
        return lambda: [leaf] * calls
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, nargs="+", default=[4000, 16000])
    parser.add_argument("--call", type=float, default=0.002, help="seconds per synthetic call")
    parser.add_argument("--workers", type=int, default=16)
    args = parser.parse_args()
    print(f"{'calls':>7}{'wall s':>9}{'ideal s':>9}{'ratio':>7}{'CPU s':>8}")
    for calls in args.calls:
        with ThreadPoolExecutor(max_workers=args.workers) as pool:
            started, cpu = time.perf_counter(), time.process_time()
            _run(pool, [fan_out(calls, args.call)])
            wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        ideal = calls * args.call / args.workers
        print(f"{calls:>7}{wall:>9.2f}{ideal:>9.2f}{wall / ideal:>7.2f}{cpu:>8.2f}")


if __name__ == "__main__":
    main()
