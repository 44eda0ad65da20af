"""Pausing Python's cycle collector while a scan builds or writes its findings.

A scan of a 1,000-account organization holds some 180,000 findings and their evidence,
close to a million objects, none in a reference cycle: reference counting frees what dies.
The cycle collector would still walk all of them at every full collection, and a full
collection comes every few hundred thousand allocations: 40 % of the configuration rules'
time, and more than half of writing a report, went there. What the block leaves alive is then
frozen (``gc.freeze``): the collector never walks it again, and reference counting still frees
it (a collection right after the block would walk every object the block made). The
collector's state is restored afterwards.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def without_cycle_collection() -> Iterator[None]:
    """The cycle collector paused for the block, what it made frozen, the collector restored
    as it was (even on an exception)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()
