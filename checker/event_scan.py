"""The event half of a scan: ``--events`` inputs read into the event engine.

Here the inputs (:mod:`checker.inputs.events`) meet the engine
(:mod:`checker.engine.events`), which knows nothing of files or S3. When the sources are
two or more local files they are spread over worker processes: each worker compiles the
rules once (pool initializer), reads and matches whole files, and sends back only
mergeable aggregates (:class:`EventTally`, :class:`EventStats`), never records. The
parent merges them in source order, so the findings are the same as a sequential run's,
byte for byte. stdin, S3 and LookupEvents sources, a single file, and ``--max-events`` (a
cap over the whole input, in order) are read sequentially in the main process.
"""

from __future__ import annotations

import os
import time
from collections.abc import Generator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from itertools import islice

from checker.engine.events import EventEvaluator, EventTally
from checker.findings import Finding
from checker.inputs.events import (
    EventOptions,
    EventSource,
    EventStats,
    LocalFile,
    Record,
)
from checker.inputs.events.sources import expand_sources, read_source
from checker.model import Snapshot
from checker.policy.model import Rule

# Batches per worker: enough to balance uneven files, few enough to keep merging cheap.
BATCHES_PER_WORKER = 8


def evaluate_event_sources(rules: Sequence[Rule], specs: Sequence[str], read_options: EventOptions,
                           snapshot: Snapshot | None, workers: int | None = None) -> tuple[list[Finding], EventStats]:
    """Read the ``--events`` specs and evaluate the event rules on them.

    ``workers`` defaults to the number of CPUs; 1 forces a sequential run. The stats are
    the report's ``inputs.events`` (``stats.to_dict()``).
    """
    evaluator = EventEvaluator(rules, snapshot)
    stats = EventStats()
    units = expand_sources(specs, read_options, stats)
    workers = workers if workers is not None else (os.cpu_count() or 1)
    tally = evaluator.new_tally()
    if _parallel(units, read_options, workers):
        _run_parallel(evaluator, units, read_options, workers, tally, stats)
    else:
        records = _read_in_order(units, stats, read_options)
        try:
            evaluator.feed(islice(records, read_options.max_events), tally)
        finally:
            records.close()  # release a file or HTTP body left open by --max-events now
    return evaluator.findings(tally), stats


def _read_in_order(units: Sequence[EventSource], stats: EventStats,
                   options: EventOptions) -> Generator[Record, None, None]:
    for unit in units:
        yield from read_source(unit, stats, options)


def _parallel(units: Sequence[EventSource], options: EventOptions, workers: int) -> bool:
    """Only local files go to workers: S3 and LookupEvents need clients, stdin is this process's."""
    return (workers > 1 and len(units) > 1 and options.max_events is None
            and all(isinstance(unit, LocalFile) for unit in units))


def _batches(units: Sequence[EventSource], workers: int) -> list[list[EventSource]]:
    """Contiguous runs of units, so merging batch results in order keeps source order."""
    size = max(1, -(-len(units) // (workers * BATCHES_PER_WORKER)))
    return [list(units[i:i + size]) for i in range(0, len(units), size)]


def _run_parallel(evaluator: EventEvaluator, units: Sequence[EventSource], options: EventOptions, workers: int,
                  tally: EventTally, stats: EventStats) -> None:
    """Batches of files in worker processes; their aggregates merged in source order."""
    # Local files need no clients or clock: drop injected callables, which may not pickle.
    worker_options = replace(options, clients=None, clock=time.monotonic, sleep=time.sleep)
    with ProcessPoolExecutor(max_workers=min(workers, len(units)), initializer=_init_worker,
                             initargs=(evaluator.rules, evaluator.snapshot, worker_options)) as pool:
        for batch_tally, batch_stats in pool.map(_read_batch, _batches(units, workers)):
            tally.merge(batch_tally)
            stats.merge(batch_stats)


_worker: tuple[EventEvaluator, EventOptions] | None = None


def _init_worker(rules: Sequence[Rule], snapshot: Snapshot | None, options: EventOptions) -> None:
    """Compile the rules once per worker process; tasks then carry only file names."""
    global _worker
    _worker = (EventEvaluator(rules, snapshot), options)


def _read_batch(units: Sequence[EventSource]) -> tuple[EventTally, EventStats]:
    if _worker is None:
        raise RuntimeError("event worker used before its initializer ran")
    evaluator, options = _worker
    tally, stats = evaluator.new_tally(), EventStats()
    for unit in units:
        evaluator.feed(read_source(unit, stats, options), tally)
    return tally, stats
