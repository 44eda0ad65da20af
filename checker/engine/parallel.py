"""Judging a large estate's units on two cores: the second half in a forked worker.

A 1,000-account organization gives the configuration rules some 180,000 units, about 5 s
of CPU on one core while the machine's other cores sit idle. Above
:data:`PARALLEL_UNITS` units (and where ``os.fork`` exists and the process runs no other
thread), the scan forks one worker once the snapshot is loaded and the units are built:
the worker judges the second half of every rule's units and sends its findings back
pickled through a pipe, each as the tuple of its fields and its fingerprint (0.4 s of CPU
for 90,000 findings, paid half on each side; pickling the dataclasses themselves costs twice
that), while the scan judges the first halves and computes their fingerprints (every report
writes them: 0.6 s for 180,000 findings, now shared by the two cores). The findings are
then put back in the order one process would have made them, so the report is the same byte
for byte.

If the worker fails in any way (an exception, a signal, a truncated answer), the scan
judges the second halves itself: a bug then raises in the scan's own process, with its
traceback, exactly as without a worker. The worker is always reaped, also when the scan's
own half raises. Small estates (the demo, the tests) never fork.
"""

from __future__ import annotations

import dataclasses
import operator
import os
import pickle
import signal
import threading
from collections.abc import Callable, Sequence
from typing import Any, BinaryIO, TypeVar

from checker.findings import Finding
from checker.limits import Limit

PARALLEL_UNITS = Limit("PARALLEL_UNITS", 50_000, "units")
"""Units (findings to be) of one scan above which the configuration rules are judged in
two processes. Moving the worker's findings back costs some 5 microseconds of CPU a finding, and the
fork a few ms and some MB of copied pages: it pays when the halves take seconds, not for a
100-account organization (18,000 units, judged in 0.5 s on one core). Set
``TRAILCHECK_PARALLEL_UNITS`` to change it (a large number keeps every scan in one process)."""

Task = TypeVar("Task")
Judge = Callable[[Task, int, int], list[Finding]]
"""Findings of one task's units ``start:stop``, in report order."""


def judge_all(tasks: Sequence[tuple[Task, int]], judge: Judge[Task]) -> list[Finding]:
    """Every task's findings, task after task, each task's in unit order: ``judge(task, 0,
    size)`` for each ``(task, size)``, on two cores when the units are many (module docstring)."""
    units = sum(size for _, size in tasks)
    if units <= PARALLEL_UNITS.value() or not hasattr(os, "fork") or threading.active_count() > 1:
        return [finding for task, size in tasks for finding in judge(task, 0, size)]

    def second_halves() -> list[list[Finding]]:
        return [judge(task, size // 2, size) for task, size in tasks]

    with _Worker(lambda: [[(*_fields(f), f.fingerprint) for f in part] for part in second_halves()]) as worker:
        first = [judge(task, 0, size // 2) for task, size in tasks]
        for part in first:  # while the worker works: every report writes the fingerprints
            for finding in part:
                _ = finding.fingerprint
        answer = worker.answer()
    # A failed worker's share is judged here (a bug then raises here, with its traceback).
    second = second_halves() if answer is None else [[_finding(values) for values in part] for part in answer]
    return [finding for first_part, second_part in zip(first, second, strict=True)
            for finding in (*first_part, *second_part)]


_fields = operator.attrgetter(*(f.name for f in dataclasses.fields(Finding)))
"""A finding's fields in order: ``Finding(*_fields(finding)) == finding``."""
Answer = list[list[tuple[Any, ...]]]
"""Per task, per finding: its fields, then its fingerprint."""


def _finding(values: tuple[Any, ...]) -> Finding:
    """The finding a worker sent, its fingerprint (a ``cached_property``, which keeps its value
    in the instance's ``__dict__``) the one the worker computed."""
    finding = Finding(*values[:-1])
    finding.__dict__["fingerprint"] = values[-1]
    return finding


class _Worker:
    """A forked process computing ``work()`` and sending it back pickled through a pipe. Leaving
    the ``with`` block reaps it (killed if it has not answered), also on an exception."""

    def __init__(self, work: Callable[[], Answer]) -> None:
        self._work = work
        self._pid = 0
        self._pipe: BinaryIO | None = None

    def __enter__(self) -> _Worker:
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the worker: answer, then leave without running the scan's exit handlers
            os.close(read_end)
            status = 1
            try:
                with os.fdopen(write_end, "wb") as pipe:
                    pipe.write(pickle.dumps(self._work(), protocol=pickle.HIGHEST_PROTOCOL))
                status = 0
            finally:
                os._exit(status)
        os.close(write_end)
        self._pid, self._pipe = pid, os.fdopen(read_end, "rb")
        return self

    def answer(self) -> Answer | None:
        """The worker's result, or None when it failed (an exception, a signal, a garbled answer)."""
        assert self._pipe is not None, "answer() inside the with block"
        data = self._pipe.read()
        if self._reap() != 0:
            return None
        try:
            result: Answer = pickle.loads(data)
        except Exception:  # a garbled answer is a failed worker
            return None
        return result

    def _reap(self) -> int:
        pid, self._pid = self._pid, 0
        return os.waitpid(pid, 0)[1] if pid else 0

    def __exit__(self, *exc: object) -> None:
        if self._pid:
            os.kill(self._pid, signal.SIGKILL)
            self._reap()
        if self._pipe is not None:
            self._pipe.close()
