"""The progress reporter: a redrawn bar on a terminal, sparse plain lines in logs, silence
when quiet. A fake clock drives the throttling, so nothing sleeps."""

from __future__ import annotations

import io

from checker.progress import Progress


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_terminal_redraws_one_line_with_bar_counts_errors_and_elapsed() -> None:
    clock, stream = FakeClock(), FakeTerminal()
    progress = Progress(4, "collect", stream, clock=clock)
    progress.advance()
    clock.now += 65
    progress.advance(errors=1)
    progress.close()
    output = stream.getvalue()
    assert "\n" not in output.rstrip("\n") and output.endswith("\n")
    assert output.count("\r") == 3  # two redraws and the final state
    final = output.rsplit("\r", 1)[1]
    assert final.startswith("collect [############............] 2/4 errors 1 01:05")


def test_terminal_redraws_are_throttled() -> None:
    clock, stream = FakeClock(), FakeTerminal()
    progress = Progress(1000, "events", stream, clock=clock)
    for _ in range(1000):
        progress.advance()
    assert stream.getvalue().count("\r") == 1
    clock.now += 0.2
    progress.advance(0)
    assert stream.getvalue().count("\r") == 2


def test_plain_lines_in_a_log_are_periodic_and_end_with_the_final_state() -> None:
    clock, stream = FakeClock(), io.StringIO()
    progress = Progress(10, "collect", stream, clock=clock)
    progress.advance(3)
    assert stream.getvalue() == ""  # quick work prints only its final line
    clock.now += 11
    progress.advance(2)
    clock.now += 1
    progress.advance(1)
    progress.close()
    assert stream.getvalue().splitlines() == ["collect 5/10 errors 0 00:11", "collect 6/10 errors 0 00:12"]


def test_quiet_prints_nothing() -> None:
    clock, stream = FakeClock(), FakeTerminal()
    progress = Progress(2, "collect", stream, quiet=True, clock=clock)
    progress.advance(2, errors=1)
    progress.close()
    assert stream.getvalue() == ""
    assert (progress.done, progress.errors) == (2, 1)


def test_total_grows_as_work_is_discovered_and_close_is_idempotent() -> None:
    stream = io.StringIO()
    progress = Progress(0, "collect", stream, clock=FakeClock())
    progress.expand(3)
    progress.advance(3)
    progress.close()
    progress.close()
    assert stream.getvalue() == "collect 3/3 errors 0 00:00\n"


def test_a_large_collection_logs_accounts_calls_and_errors_a_few_lines_at_a_time() -> None:
    """1,000 accounts with tens of thousands of calls: a line every ten seconds in a log, counts
    grouped by thousands, the unit named."""
    clock, stream = FakeClock(), io.StringIO()
    progress = Progress(0, "collect", stream, unit="accounts", clock=clock)
    progress.expand(1000)
    for second in range(60):
        clock.now += 1
        for _ in range(500):
            progress.advance(0, calls=1)
        progress.advance(16, errors=1 if second % 20 == 0 else 0)
    progress.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 7  # six periodic lines and the final state
    assert lines[0] == "collect 144/1,000 accounts calls 4,501 errors 1 00:10"
    assert lines[-1] == "collect 960/1,000 accounts calls 30,000 errors 3 01:00"
