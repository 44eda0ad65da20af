"""Indexes built once per snapshot, kept while the snapshot lives.

A scan asks the same lookups once per account, Region and rule (where a trail's bucket is,
which event data stores reach an account); at organization scale each must cost the same
whatever the number of accounts. A snapshot is immutable, so an index built from it stays
true: :func:`per_snapshot` builds it on first use and drops it when the snapshot is collected.
Snapshots are keyed by identity (hashing one would walk every account).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import TypeVar

from checker.model import Snapshot

T = TypeVar("T")


def per_snapshot(build: Callable[[Snapshot], T]) -> Callable[[Snapshot], T]:
    """``build`` made once per snapshot: later calls with the same snapshot return the first answer."""
    built: dict[int, T] = {}

    def index(snapshot: Snapshot) -> T:
        key = id(snapshot)
        if key not in built:
            built[key] = build(snapshot)
            weakref.finalize(snapshot, built.pop, key, None)
        return built[key]

    return index
