"""Where a scan's estate comes from: a snapshot file or a live collection, one protocol.

The scan asks a :class:`SnapshotSource` for a :class:`~checker.model.Snapshot` and
needs nothing else of it, so a live scan and a scan of the collected file are the same
scan. Each source names itself the way reports name the snapshot (``describe``), and
the snapshot it loads carries that name and the SHA-256 of the document it was read from.
"""

from __future__ import annotations

from typing import Protocol

from checker.model import Snapshot


class SnapshotSource(Protocol):
    """Something that yields the estate: :class:`checker.inputs.snapshot.SnapshotFile`,
    :class:`checker.inputs.live.LiveCollection`."""

    def describe(self) -> str:
        """What reports call this snapshot: the file's path, or ``live``."""
        ...

    def load(self) -> Snapshot:
        """Read or collect, validate and parse; bad input is an :class:`~checker.errors.InputError`."""
        ...
