"""Incremental JSON: the values of a document one at a time, in bounded memory.

``json.load`` needs a whole document in memory, and one CloudTrail log file holds
thousands of records. :class:`JsonCursor` keeps a sliding text buffer, filled chunk by
chunk, and decodes one value at a time with ``json.JSONDecoder.raw_decode``; memory is
bounded by the chunk size plus the largest single value. :func:`iter_items` walks the
shapes CloudTrail inputs take and yields the elements of a top-level array, of a
``Records`` or ``Events`` array inside a top-level object, or a whole top-level object
(several top-level values in a row are read as a stream, so JSON Lines work too).

Bad bytes are decoded with ``surrogateescape``: a record containing invalid UTF-8 is
skipped on its own (:class:`BadValue`), while broken JSON syntax ends the document
(:class:`CorruptInput`) since nothing after it can be trusted.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, NamedTuple

from checker import safejson

STREAMED_KEYS = frozenset({"Records", "Events"})
"""Top-level members whose array elements are yielded one by one instead of loaded whole."""

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
# raw_decode reports a value cut short by the end of the buffer within a few characters of
# that end (or, for strings, at the opening quote): such errors mean "read more".
_NEAR_END = 16


class CorruptInput(Exception):
    """The rest of this input cannot be read; ``position`` says where it broke."""

    def __init__(self, position: str, reason: str) -> None:
        super().__init__(f"{position}: {reason}")
        self.position = position
        self.reason = reason


class BadValue(Exception):
    """One value was consumed but is unusable (invalid UTF-8); reading goes on after it."""


class Item(NamedTuple):
    """One candidate record: where it is, and its value or why it could not be decoded."""

    container: str
    element: int | None
    line: int
    value: Any
    error: str | None

    def position(self) -> str:
        where = f"line {self.line}"
        if self.element is None:
            return where
        return f"{self.container}[{self.element}], {where}"


class JsonCursor:
    """A read position in a stream of text chunks, decoding JSON values on demand."""

    def __init__(self, chunks: Iterator[str], max_value_chars: int) -> None:
        self._chunks = chunks
        self._max_value = max_value_chars
        self._decode = safejson.STRICT_DECODER.raw_decode
        self._buf = ""
        self._pos = 0
        self._eof = False
        self._escaped = False  # some chunk held undecodable bytes: check values for them
        # Line bookkeeping, advanced lazily and at most once over each character.
        self._base = 0  # absolute offset of _buf[0]
        self._mark = 0  # index in _buf up to which newlines are counted
        self._lines = 1  # line number at _mark
        self._last_newline = -1  # absolute offset of the last newline before _mark

    def peek(self) -> str:
        """The next non-whitespace character (consuming the whitespace), or "" at the end."""
        while True:
            match = _WHITESPACE.match(self._buf, self._pos)
            self._pos = match.end() if match else self._pos
            if self._pos < len(self._buf):
                return self._buf[self._pos]
            if not self._fill():
                return ""

    def advance(self) -> None:
        """Consume the character :meth:`peek` returned."""
        self._pos += 1

    def line(self) -> int:
        """The line of the current position (1-based)."""
        self._advance_mark(self._pos)
        return self._lines

    def value(self) -> Any:
        """Decode the value at the next non-whitespace position and move past it."""
        self.peek()
        while True:
            try:
                value, end = self._decode(self._buf, self._pos)
            except json.JSONDecodeError as exc:
                if self._may_need_more(exc) and self._grow():
                    continue
                raise CorruptInput(self._where(exc.pos), self._explain(exc)) from None
            except RecursionError:
                raise CorruptInput(self._where(self._pos), "invalid JSON: nested too deeply") from None
            except ValueError as refused:  # JSON, not strict (NaN, a repeated key...): skip this value only
                try:
                    end = safejson.value_end(self._buf, self._pos)
                except json.JSONDecodeError as exc:
                    if self._may_need_more(exc) and self._grow():
                        continue
                    raise CorruptInput(self._where(exc.pos), self._explain(exc)) from None
                self._pos = end
                raise BadValue(safejson.strictness(refused)) from None
            # A number at the very end of the buffer may continue in the next chunk.
            if end == len(self._buf) and isinstance(value, (int, float)) and self._grow():
                continue
            break
        start, self._pos = self._pos, end
        if self._escaped and _ESCAPED_BYTE.search(self._buf, start, end):
            raise BadValue("invalid UTF-8 in the record")
        return value

    def fail(self, expected: str) -> CorruptInput:
        """The error for an unexpected character (or the end) where ``expected`` should be."""
        found = self.peek()
        where = self._where(self._pos)
        if not found:
            return CorruptInput(where, f"truncated JSON: the input ends where {expected} was expected")
        if _ESCAPED_BYTE.match(found):
            return CorruptInput(where, "invalid UTF-8 outside a string")
        return CorruptInput(where, f"invalid JSON: expected {expected}, found {found!r}")

    def _fill(self) -> bool:
        """Append the next chunk, dropping consumed text; False at the end of the input."""
        if self._eof:
            return False
        text = next(self._chunks, None)
        if text is None:
            self._eof = True
            return False
        if self._pos:
            self._advance_mark(self._pos)
            self._base += self._pos
            self._buf = self._buf[self._pos:]
            self._pos = self._mark = 0
        # Surrogate escapes are never ASCII: the cheap isascii() spares most chunks the regex.
        if not self._escaped and not text.isascii() and _ESCAPED_BYTE.search(text):
            self._escaped = True
        self._buf += text
        return True

    def _grow(self) -> bool:
        """Read until the undecoded text has doubled (bounded); False if nothing more came."""
        pending = len(self._buf) - self._pos
        if pending >= self._max_value:
            raise CorruptInput(self._where(self._pos),
                               f"a single JSON value is larger than {self._max_value} characters")
        want = min(max(2 * pending, 1), self._max_value)
        grew = False
        while len(self._buf) - self._pos < want and self._fill():
            grew = True
        return grew

    def _may_need_more(self, exc: json.JSONDecodeError) -> bool:
        return not self._eof and (exc.pos >= len(self._buf) - _NEAR_END
                                  or exc.msg.startswith("Unterminated string"))

    def _explain(self, exc: json.JSONDecodeError) -> str:
        if self._eof and (exc.pos >= len(self._buf) - _NEAR_END or exc.msg.startswith("Unterminated")):
            return f"truncated JSON: {exc.msg}"
        if exc.pos < len(self._buf) and _ESCAPED_BYTE.match(self._buf, exc.pos):
            return "invalid UTF-8 outside a string"
        return f"invalid JSON: {exc.msg}"

    def _advance_mark(self, pos: int) -> None:
        self._lines += self._buf.count("\n", self._mark, pos)
        newline = self._buf.rfind("\n", self._mark, pos)
        if newline >= 0:
            self._last_newline = self._base + newline
        self._mark = pos

    def _where(self, pos: int) -> str:
        line = self._lines + self._buf.count("\n", self._mark, pos)
        newline = self._buf.rfind("\n", self._mark, pos)
        line_start = self._base + newline if newline >= 0 else self._last_newline
        return f"line {line} column {self._base + pos - line_start}"


def iter_items(cursor: JsonCursor) -> Iterator[Item]:
    """Every candidate record of a document, in order, without loading the document."""
    while first := cursor.peek():
        if first == "[":
            yield from _array_items(cursor, "")
        elif first == "{":
            yield from _object_items(cursor)
        else:
            yield _item(cursor, "", None)


def _item(cursor: JsonCursor, container: str, element: int | None) -> Item:
    cursor.peek()
    line = cursor.line()
    try:
        return Item(container, element, line, cursor.value(), None)
    except BadValue as exc:
        return Item(container, element, line, None, str(exc))


def _array_items(cursor: JsonCursor, container: str) -> Iterator[Item]:
    cursor.advance()
    if cursor.peek() == "]":
        cursor.advance()
        return
    index = 0
    while True:
        yield _item(cursor, container, index)
        following = cursor.peek()
        if following == "]":
            cursor.advance()
            return
        if following != ",":
            raise cursor.fail("',' or ']'")
        cursor.advance()
        index += 1


def _object_items(cursor: JsonCursor) -> Iterator[Item]:
    """Stream a ``Records``/``Events`` member; otherwise yield the object as one item."""
    line = cursor.line()
    cursor.advance()
    members: dict[str, Any] = {}
    error: str | None = None
    streamed = False
    following = cursor.peek()
    if following == "}":
        cursor.advance()
    while following != "}":
        if following != '"':
            raise cursor.fail("a property name")
        key = _member(cursor)
        if key is None:
            error = "invalid UTF-8 in a property name"
        if cursor.peek() != ":":
            raise cursor.fail("':'")
        cursor.advance()
        if key is not None and key in STREAMED_KEYS and cursor.peek() == "[":
            streamed = True
            yield from _array_items(cursor, key)
        else:
            try:
                if key in members:
                    error = f"not strict JSON: duplicate key {key!r}"
                members[key or ""] = cursor.value()
            except BadValue as exc:
                error = str(exc)
        following = cursor.peek()
        if following == "}":
            cursor.advance()
        elif following == ",":
            cursor.advance()
            following = cursor.peek()
            if following != '"':
                raise cursor.fail("a property name")
        else:
            raise cursor.fail("',' or '}'")
    if not streamed:
        yield Item("", None, line, None if error else members, error)


def _member(cursor: JsonCursor) -> str | None:
    """A property name; None when its bytes are not UTF-8 (the object is then unusable)."""
    try:
        key = cursor.value()
    except BadValue:
        return None
    return key if isinstance(key, str) else None
