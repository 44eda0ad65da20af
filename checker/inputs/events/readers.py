"""From a binary stream (a file, stdin, an S3 object body) to records, in bounded memory.

Gzip is detected by its magic bytes, not by the name, and decompressed as a stream.
JSON Lines inputs are read line by line, so one bad line costs only that line; every
other input goes through the incremental JSON walker. Whatever breaks is reported in the
stats with the source and position; the records before the break are still yielded.
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
import zlib
from collections.abc import Iterator
from typing import Protocol

from botocore.exceptions import BotoCoreError

from checker import limits, safejson
from checker.inputs.events.forms import emit
from checker.inputs.events.interface import EventOptions, Record
from checker.inputs.events.jsonstream import CorruptInput, JsonCursor, iter_items
from checker.inputs.events.stats import EventStats

GZIP_MAGIC = b"\x1f\x8b"
_UTF8_BOM = codecs.BOM_UTF8
# What reading a (possibly compressed, possibly remote) stream raises when it is broken.
_READ_ERRORS = (OSError, EOFError, zlib.error, BotoCoreError)


class BinaryReader(Protocol):
    """Anything with ``read(size)``: open files, ``sys.stdin.buffer``, botocore bodies."""

    def read(self, size: int = -1, /) -> bytes: ...


class _SniffingReader:
    """Wraps a raw stream: counts bytes for error positions and can look at the first bytes."""

    def __init__(self, raw: BinaryReader) -> None:
        self._raw = raw
        self._head = b""
        self.count = 0

    def head(self, size: int) -> bytes:
        while len(self._head) < size:
            data = self._raw_read(size - len(self._head))
            if not data:
                break
            self._head += data
        return self._head[:size]

    def read(self, size: int = -1, /) -> bytes:
        if self._head:
            data = self._head if size < 0 else self._head[:size]
            self._head = self._head[len(data):]
            return data
        return self._raw_read(size)

    def seek(self, offset: int, /) -> int:
        """Streams cannot rewind; gzip only asks when told to, which never happens here."""
        raise io.UnsupportedOperation("seek")

    def _raw_read(self, size: int) -> bytes:
        try:
            data = self._raw.read(size)
        except _READ_ERRORS as exc:
            raise CorruptInput(f"byte {self.count}", f"read error: {exc}") from None
        self.count += len(data)
        return data


def read_binary(raw: BinaryReader, label: str, *, lines: bool,
                stats: EventStats, options: EventOptions) -> Iterator[Record]:
    """Every record in ``raw``; problems go to ``stats`` under ``label``."""
    reader = _SniffingReader(raw)
    try:
        compressed = reader.head(len(GZIP_MAGIC)) == GZIP_MAGIC
        stream: BinaryReader = gzip.GzipFile(fileobj=reader, mode="rb") if compressed else reader
        chunks = _byte_chunks(stream, reader, options.chunk_size, compressed)
        if lines:
            yield from _records_from_lines(chunks, label, stats, options.max_value_size)
        else:
            yield from _records_from_document(chunks, label, stats, options.max_value_size)
    except CorruptInput as exc:
        stats.report(label, exc.position, exc.reason)


def _byte_chunks(stream: BinaryReader, reader: _SniffingReader, size: int,
                 compressed: bool) -> Iterator[bytes]:
    """The (decompressed) bytes in chunks; a gzip stream stops where it would expand past
    the limits on decompressed size and ratio (a gzip bomb), with the rest reported."""
    most, ratio, floor = (limits.DECOMPRESSED_BYTES.value(), limits.DECOMPRESSION_RATIO.value(),
                          limits.RATIO_FLOOR_BYTES.value())
    expanded = 0
    while True:
        try:
            chunk = stream.read(size)
        except _READ_ERRORS as exc:
            what = "bad gzip data" if compressed else "read error"
            raise CorruptInput(f"byte {reader.count}", f"{what}: {exc}") from None
        if not chunk:
            return
        expanded += len(chunk)
        if compressed and expanded > most:
            raise CorruptInput(f"byte {reader.count}", "not read further: " + limits.DECOMPRESSED_BYTES.exceeded(
                f"the decompressed size ({expanded:,} bytes)", most))
        if compressed and expanded > floor and expanded > ratio * reader.count:
            raise CorruptInput(f"byte {reader.count}", "not read further (a gzip bomb?): " +
                               limits.DECOMPRESSION_RATIO.exceeded(f"the decompression ratio "
                                                                   f"({expanded // max(reader.count, 1):,})", ratio))
        yield chunk


def _records_from_document(chunks: Iterator[bytes], label: str, stats: EventStats,
                           max_value: int) -> Iterator[Record]:
    decoder = codecs.getincrementaldecoder("utf-8-sig")("surrogateescape")
    texts = (decoder.decode(chunk) for chunk in _with_end(chunks))
    for item in iter_items(JsonCursor(texts, max_value)):
        if item.error is not None:
            stats.report(label, item.position(), item.error)
        else:
            yield from emit(item.value, stats, label, item.position)


def _with_end(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The chunks, then an empty one, so a decoder can flush (``final``) partial bytes."""
    yield from chunks
    yield b""


def _records_from_lines(chunks: Iterator[bytes], label: str, stats: EventStats,
                        max_line: int) -> Iterator[Record]:
    for number, line in _split_lines(chunks, max_line):
        position = f"line {number}"
        if line is None:
            stats.report(label, position, f"line longer than {max_line} bytes")
            continue
        if number == 1 and line.startswith(_UTF8_BOM):
            line = line[len(_UTF8_BOM):]
        if not line.strip():
            continue
        try:
            value = safejson.STRICT_DECODER.decode(line.decode("utf-8"))
        except UnicodeDecodeError as exc:
            stats.report(label, position, f"invalid UTF-8 at byte {exc.start} of the line")
            continue
        except json.JSONDecodeError as exc:
            stats.report(label, f"{position} column {exc.colno}", f"invalid JSON: {exc.msg}")
            continue
        except RecursionError:
            stats.report(label, position, "invalid JSON: nested too deeply")
            continue
        except ValueError as exc:  # JSON, but not strict (NaN, a repeated key, a huge number)
            stats.report(label, position, safejson.strictness(exc))
            continue
        yield from emit(value, stats, label, position)


def _split_lines(chunks: Iterator[bytes], max_line: int) -> Iterator[tuple[int, bytes | None]]:
    """Numbered lines without their newline; None for a line over ``max_line`` (not kept)."""
    parts: list[bytes] = []
    size = 0
    number = 0
    for chunk in chunks:
        start = 0
        while (newline := chunk.find(b"\n", start)) >= 0:
            number += 1
            piece = chunk[start:newline]
            size += len(piece)
            if size > max_line:
                yield number, None
            else:
                yield number, b"".join([*parts, piece]) if parts else piece
            parts.clear()
            size = 0
            start = newline + 1
        rest = chunk[start:]
        size += len(rest)
        if size > max_line:
            parts.clear()
        else:
            parts.append(rest)
    if size:
        yield number + 1, (b"".join(parts) if size <= max_line else None)
