"""Two cores for one large piece of work: half of it in a forked worker.

A 1,000-account organization gives some 150,000 findings: judging them, and writing them as
JSON, each take seconds of CPU on one core while the machine's other core sits idle. Above
:data:`PARALLEL_UNITS` units of work (and where ``os.fork`` exists and the process runs no
other thread), :func:`in_two` forks one worker that computes the second half and sends it
back pickled through a pipe, while this process computes the first. The worker starts from
a copy of this process's memory, so it needs nothing sent to it.

If the worker fails in any way (an exception, a signal, a truncated answer), this process
computes the second half itself: a bug then raises here, with its traceback, exactly as
without a worker. The worker is always reaped, also when this process's half raises. Small
estates (the demo, the tests) never fork.
"""

from __future__ import annotations

import os
import pickle
import signal
import threading
from collections.abc import Callable
from typing import BinaryIO, Generic, TypeVar

from checker.limits import Limit

PARALLEL_UNITS = Limit("PARALLEL_UNITS", 50_000, "units")
"""Units of work (findings to judge, findings to write) of one scan above which the work is
split between two processes. Moving a worker's half back costs some microseconds of CPU a
finding, and the fork a few ms and some MB of copied pages: it pays when the halves take
seconds, not for a 100-account organization (18,000 units, judged in 0.5 s on one core). Set
``TRAILCHECK_PARALLEL_UNITS`` to change it (a large number keeps every scan in one process)."""

Here = TypeVar("Here")
There = TypeVar("There")


def worth_forking(units: int) -> bool:
    """Whether ``units`` of work are worth a worker, and this process can fork one safely (no
    other thread holds a lock the child would inherit taken)."""
    return units > PARALLEL_UNITS.value() and hasattr(os, "fork") and threading.active_count() == 1


def in_two(here: Callable[[], Here], there: Callable[[], There]) -> tuple[Here, There]:
    """``here()`` in this process while a forked worker computes ``there()``; ``there()`` is
    computed here instead if the worker fails."""
    with _Worker(there) as worker:
        mine = here()
        answer = worker.answer()
    return mine, (there() if isinstance(answer, _Failed) else answer)


class _Failed:
    """What :meth:`_Worker.answer` returns for a failed worker (``None`` may be an answer)."""


_FAILED = _Failed()


class _Worker(Generic[There]):
    """A forked process computing ``work()`` and sending it back pickled through a pipe. Leaving
    the ``with`` block reaps it (killed if it has not answered), also on an exception."""

    def __init__(self, work: Callable[[], There]) -> None:
        self._work = work
        self._pid = 0
        self._pipe: BinaryIO | None = None

    def __enter__(self) -> _Worker[There]:
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the worker: answer, then leave without running this process's exit handlers
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

    def answer(self) -> There | _Failed:
        """The worker's result, or :data:`_FAILED` (an exception, a signal, a garbled answer)."""
        assert self._pipe is not None, "answer() inside the with block"
        data = self._pipe.read()
        if self._reap() != 0:
            return _FAILED
        try:
            result: There = pickle.loads(data)
        except Exception:  # a garbled answer is a failed worker
            return _FAILED
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
