"""Opening the files a user names: regular files only, read up to a limit.

``open()`` on a FIFO blocks until someone writes to it, and ``/dev/zero`` or ``/dev/urandom``
never end: a path given as a snapshot, a policy, a waiver file or an event file could
hang trailcheck or fill its memory. Every file named on the command line is therefore
opened without blocking, checked to be a regular file, and read up to a size limit.
Each problem is an :class:`~checker.errors.InputError` naming the file.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from checker.errors import InputError
from checker.limits import Limit

_CHUNK = 1 << 24  # read in pieces: one read of the whole limit would reserve all of it at once

_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


def kind_of(mode: int) -> str | None:
    """What a non-regular file is ("a FIFO (named pipe)"...), or ``None`` for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def not_regular(path: str | Path) -> str | None:
    """Why ``path`` cannot be read as a file (without opening it), or ``None`` if it can.

    Symbolic links are followed; a path that cannot be inspected is left for ``open`` to report.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    return kind_of(mode)


def open_regular(path: str | Path, what: str) -> BinaryIO:
    """Open ``path`` for reading in binary mode if it is a regular file.

    The file is opened with ``O_NONBLOCK`` (so a FIFO cannot block the open) and checked
    with ``fstat`` on the descriptor actually opened, so a file swapped in between cannot
    slip through. ``what`` names the file's role in messages ("snapshot").
    """
    name = str(path)
    try:
        descriptor = os.open(name, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise InputError(name, f"cannot read the {what}: {exc.strerror or exc}") from None
    try:
        kind = kind_of(os.fstat(descriptor).st_mode)
        if kind is not None:
            raise InputError(name, f"cannot read the {what}: it is {kind}, not a regular file")
        os.set_blocking(descriptor, True)
        return os.fdopen(descriptor, "rb")
    except BaseException:
        os.close(descriptor)
        raise


def read_regular_file(path: str | Path, what: str, limit: Limit) -> bytes:
    """The whole content of a regular file of at most ``limit`` bytes."""
    size = limit.value()
    chunks: list[bytes] = []
    read = 0
    with open_regular(path, what) as handle:
        if os.fstat(handle.fileno()).st_size > size:
            raise InputError(str(path), limit.exceeded(f"the {what}", size))
        try:
            while read <= size and (chunk := handle.read(min(_CHUNK, size + 1 - read))):
                chunks.append(chunk)
                read += len(chunk)
        except OSError as exc:
            raise InputError(str(path), f"cannot read the {what}: {exc.strerror or exc}") from None
    if read > size:  # the file grew while it was read
        raise InputError(str(path), limit.exceeded(f"the {what}", size))
    return b"".join(chunks)
