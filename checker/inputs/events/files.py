"""Local inputs: a file, a directory tree, or stdin (``-``).

A path that does not exist is a bad invocation (:class:`InputError`, exit 2): the user
typed it. Anything found *inside* the inputs that cannot be read (a corrupt or unreadable
file, an unlistable subdirectory) is reported in the stats and the rest is still read:
one bad file never hides the others. Directories are walked recursively in path order, hidden entries
skipped, picking ``.json``, ``.jsonl`` and ``.ndjson`` files (optionally ``.gz``).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import TextIO

from checker.errors import InputError
from checker.inputs.events.interface import (
    EventOptions,
    LocalFile,
    Record,
    StandardInput,
    is_digest_path,
    is_event_file_name,
    is_line_format_name,
)
from checker.inputs.events.readers import read_binary
from checker.inputs.events.stats import EventStats
from checker.userfiles import not_regular, open_regular


def expand_path(spec: str, stats: EventStats) -> list[LocalFile]:
    """The files a path spec stands for; digest files in a trail layout are skipped here.

    A FIFO, device or socket named directly is bad input (reading it could block or never
    end); found inside a directory, it is skipped and counted.
    """
    if os.path.isdir(spec):
        return _walk_directory(spec, stats)
    if os.path.lexists(spec):
        kind = not_regular(spec)
        if kind is not None:
            raise InputError(spec, f"cannot read events: it is {kind}, not a regular file")
        return [LocalFile(spec, spec)]
    raise InputError(spec, "no such file or directory")


def check_stdin(where: str, *, terminal_ok: bool) -> None:
    """Standard input must be open, and (unless ``terminal_ok``) not a terminal, to read records."""
    stream = sys.stdin
    if stream is None or stream.closed or not _descriptor_open(stream):
        raise InputError(where, "standard input is closed: pipe the records in (... | trailcheck ... -)")
    if not terminal_ok and stream.isatty():
        raise InputError(where, "standard input is a terminal: pipe the records in (... | trailcheck ... -)")


def _descriptor_open(stream: TextIO) -> bool:
    """False when the stream's file descriptor is closed; an in-memory stream has none and is open."""
    try:
        descriptor = stream.fileno()
    except (OSError, ValueError):
        return True
    try:
        os.fstat(descriptor)
    except OSError:
        return False
    return True


def _walk_directory(spec: str, stats: EventStats) -> list[LocalFile]:
    def unlistable(error: OSError) -> None:
        stats.report(error.filename or spec, "directory", f"cannot list: {error.strerror}")

    files: list[LocalFile] = []
    for root, dirs, names in os.walk(spec, onerror=unlistable):
        dirs[:] = sorted(name for name in dirs if not name.startswith("."))
        for name in sorted(names):
            path = os.path.join(root, name)
            if name.startswith(".") or not is_event_file_name(name):
                continue
            kind = not_regular(path)
            if kind is not None:
                stats.report(path, "file", f"skipped: it is {kind}, not a regular file")
            elif is_digest_path(path):
                stats.skip_digest()
            else:
                files.append(LocalFile(spec, path))
    files.sort(key=lambda unit: os.path.relpath(unit.path, spec).split(os.sep))
    if not files:
        stats.report(spec, "directory", "no event files (.json, .jsonl, .ndjson, optionally .gz) found",
                     skipped=0)
    return files


def read_local_file(unit: LocalFile, stats: EventStats, options: EventOptions) -> Iterator[Record]:
    try:
        handle = open_regular(unit.path, "event file")
    except InputError as exc:
        stats.report(unit.label, "file", exc.what)
        return
    with handle:
        yield from read_binary(handle, unit.label, lines=is_line_format_name(unit.path),
                               stats=stats, options=options)


def read_stdin(unit: StandardInput, stats: EventStats, options: EventOptions) -> Iterator[Record]:
    """stdin of any form, including JSON Lines (read as a stream of JSON values)."""
    yield from read_binary(sys.stdin.buffer, unit.label, lines=False, stats=stats, options=options)
