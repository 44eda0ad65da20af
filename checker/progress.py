"""A small progress reporter for long work (a live collection).

Progress is for the human watching a scan, so it goes to stderr and never mixes with
results. On a terminal it redraws one line (a bar, done/total, API calls and errors so
far, elapsed); in a log (CI, cron) it prints a plain line now and then, so the log of a
1,000-account collection stays a few dozen lines; with ``quiet`` it prints nothing.
Redraws are throttled against an injectable clock, so a caller may advance it thousands
of times per second and tests need no sleeps.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

BAR_WIDTH = 24
TTY_INTERVAL = 0.1
PLAIN_INTERVAL = 10.0


class Progress:
    """Counts units of work done out of ``total`` (named ``unit`` on the line, e.g.
    ``accounts``), the API calls made and the errors met, and reports them on ``stream``.

    ``total`` may grow while the work discovers more of itself (:meth:`expand`), e.g.
    the accounts of the next ListAccounts page. Thread-safe.
    """

    def __init__(
        self,
        total: int,
        label: str,
        stream: TextIO | None = None,
        quiet: bool = False,
        *,
        unit: str = "",
        clock: Callable[[], float] = time.monotonic,
        is_tty: bool | None = None,
        interval: float | None = None,
    ) -> None:
        self.total = total
        self.label = label
        self.unit = unit
        self.done = 0
        self.calls = 0
        self.errors = 0
        self._stream = sys.stderr if stream is None else stream
        self._quiet = quiet
        self._clock = clock
        self._tty = self._stream.isatty() if is_tty is None else is_tty
        self._interval = interval if interval is not None else (
            TTY_INTERVAL if self._tty else PLAIN_INTERVAL)
        self._started = clock()
        self._last_report: float | None = None
        self._closed = False
        self._lock = threading.Lock()

    def expand(self, n: int) -> None:
        """Add ``n`` units to the total (work discovered on the way)."""
        with self._lock:
            self.total += n
            self._maybe_report()

    def advance(self, n: int = 1, errors: int = 0, calls: int = 0) -> None:
        """Mark ``n`` more units done, ``calls`` more API calls made and ``errors`` more failures met."""
        with self._lock:
            self.done += n
            self.calls += calls
            self.errors += errors
            self._maybe_report()

    def close(self) -> None:
        """Print the final state once (on a terminal: end the redrawn line)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self._quiet:
                return
            self._write(self.render())
            if self._tty:
                self._stream.write("\n")
            self._stream.flush()

    def render(self) -> str:
        """The status line: label, bar (terminal only), done/total, calls (once there are
        some), errors, elapsed."""
        elapsed = int(self._clock() - self._started)
        minutes, seconds = divmod(elapsed, 60)
        parts = [self.label]
        if self._tty:
            filled = BAR_WIDTH * self.done // self.total if self.total else 0
            parts.append("[" + "#" * filled + "." * (BAR_WIDTH - filled) + "]")
        parts.append(f"{self.done:,}/{self.total:,}" + (f" {self.unit}" if self.unit else ""))
        if self.calls:
            parts.append(f"calls {self.calls:,}")
        parts.append(f"errors {self.errors:,}")
        parts.append(f"{minutes:02d}:{seconds:02d}")
        return " ".join(parts)

    def _maybe_report(self) -> None:
        if self._quiet or self._closed:
            return
        now = self._clock()
        if self._last_report is not None and now - self._last_report < self._interval:
            return
        if self._last_report is None and not self._tty and now - self._started < self._interval:
            return
        self._last_report = now
        self._write(self.render())
        self._stream.flush()

    def _write(self, line: str) -> None:
        if self._tty:
            self._stream.write("\r" + line + "\x1b[K")
        else:
            self._stream.write(line + "\n")
