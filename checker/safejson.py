"""Strict JSON in, strict JSON out.

Every JSON document trailcheck reads whole (a snapshot, a baseline report, one record for
``explain``, a LookupEvents ``CloudTrailEvent`` string) goes through :func:`loads`, which
accepts I-JSON (RFC 7493) only: UTF-8 text, no duplicate keys (the last one would win,
unseen), no ``NaN``/``Infinity`` and no number out of a double's range, no lone
surrogates, and at most :data:`~checker.limits.NESTING_DEPTH` levels of nesting and
:data:`~checker.limits.DOCUMENT_BYTES` bytes.

The C decoder does the work: its hooks (``object_pairs_hook``, ``parse_constant``,
``parse_float``) catch what is not strict, and a walk with an explicit stack checks the
depth. Positions are found only on failure, by :func:`_locate`, a small tokenizer that
reads the text again and names the first offending place (both places for a duplicate
key). Nothing here recurses over the data.

:func:`dumps` is the writing side: ``allow_nan=False``, and text that can always be
encoded (a lone surrogate that slipped in becomes U+FFFD instead of a crash).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from checker import limits
from checker.errors import InputError
from checker.safetext import LONE_SURROGATE, encodable
from checker.userfiles import read_regular_file

_UTF8_BOM = "\ufeff"
# A \uD800-\uDFFF escape somewhere: the only way a lone surrogate gets into decoded text.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


class NotStrict(ValueError):
    """Raised by the decoder hooks: the document is JSON but not strict JSON."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        raise NotStrict("duplicate key")
    return value


def _refuse_constant(name: str) -> Any:
    raise NotStrict(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise NotStrict("number out of range")
    return value


_DECODER = json.JSONDecoder(object_pairs_hook=_unique_keys, parse_constant=_refuse_constant,
                            parse_float=_finite_float)


STRICT_DECODER = _DECODER
"""The strict decoder, for readers that decode value by value (``raw_decode``); a value
that is JSON but not strict raises a ``ValueError`` that :func:`strictness` explains and
:func:`value_end` skips."""

_LENIENT = json.JSONDecoder(parse_int=lambda text: None, parse_float=lambda text: None,
                            parse_constant=lambda text: None)


def value_end(text: str, position: int) -> int:
    """Where the JSON value at ``position`` ends, read leniently (numbers left unconverted).

    Used to step over a value the strict decoder refused; raises ``json.JSONDecodeError``
    when the value is not JSON at all (or is cut short).
    """
    end: int = _LENIENT.raw_decode(text, position)[1]
    return end


def strictness(exc: ValueError) -> str:
    """Why the strict decoder refused a value, in words."""
    if isinstance(exc, NotStrict):
        return f"not strict JSON: {exc}"
    if "integer string conversion" in str(exc):
        return f"not strict JSON: an integer with more than {_MAX_INTEGER_DIGITS:,} digits"
    return f"not strict JSON: {exc}"


class JsonProblem(ValueError):
    """Why a text is not strict JSON, and where: ``line`` and ``column`` are 1-based."""

    def __init__(self, line: int, column: int, what: str) -> None:
        super().__init__(f"line {line} column {column}: {what}")
        self.line = line
        self.column = column
        self.what = what


def decode(text: str, depth: int | None = None) -> Any:
    """Parse strict JSON text or raise :class:`JsonProblem` (never ``RecursionError``).

    ``depth`` is the nesting limit (default: :data:`~checker.limits.NESTING_DEPTH`).
    """
    depth = limits.NESTING_DEPTH.value() if depth is None else depth
    if text.startswith(_UTF8_BOM):
        text = text[len(_UTF8_BOM):]
    try:
        value = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise JsonProblem(exc.lineno, exc.colno, f"invalid JSON: {exc.msg}") from None
    except (ValueError, RecursionError):  # NotStrict, an integer over Python's digit limit, deep nesting
        raise _locate(text, depth) from None
    if _too_deep(value, depth) or (_SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(value)):
        raise _locate(text, depth)
    return value


def loads(data: bytes | str, source: str) -> Any:
    """Parse a whole document; any problem is an :class:`InputError` naming ``source:line:column``."""
    if isinstance(data, bytes):
        size = limits.DOCUMENT_BYTES.value()
        if len(data) > size:
            raise InputError(source, limits.DOCUMENT_BYTES.exceeded(f"the file's {len(data):,} bytes", size))
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(source, f"not UTF-8 text at byte {exc.start}") from None
    try:
        return decode(data)
    except JsonProblem as problem:
        raise InputError(f"{source}:{problem.line}:{problem.column}", problem.what) from None


def load_file(path: Path, what: str) -> tuple[Any, bytes]:
    """Read a regular file of at most :data:`~checker.limits.DOCUMENT_BYTES` and parse it strictly.

    Returns the value and the bytes (reports record their hash). ``what`` names the file's
    role in messages ("snapshot", "baseline report").
    """
    raw = read_regular_file(path, what, limits.DOCUMENT_BYTES)
    return loads(raw, str(path)), raw


def dumps(value: Any, *, indent: int | None = None, sort_keys: bool = False,
          separators: tuple[str, str] | None = None) -> str:
    """JSON that any strict parser reads back: never ``NaN``, never a lone surrogate.

    A non-finite number (it can only come from a lenient input such as an event record)
    is written as its name in a string; a lone surrogate becomes U+FFFD.
    """
    options: dict[str, Any] = {"indent": indent, "sort_keys": sort_keys, "separators": separators,
                               "ensure_ascii": False, "allow_nan": False}
    try:
        text = json.dumps(value, **options)
    except ValueError:
        text = json.dumps(_finite_copy(value), **options)
    return encodable(text)


def _finite_copy(value: Any) -> Any:
    """``value`` with every non-finite float replaced by a string; built without recursion."""
    def convert(item: Any) -> Any:
        if isinstance(item, float) and not math.isfinite(item):
            return str(item)
        if isinstance(item, dict):
            copy: dict[Any, Any] = {}
            pending.append((item.items(), copy))
            return copy
        if isinstance(item, (list, tuple)):
            items: list[Any] = []
            pending.append((enumerate(item), items))
            return items
        return item

    pending: list[tuple[Any, Any]] = []
    root = convert(value)
    while pending:
        entries, target = pending.pop()
        for key, item in entries:
            if isinstance(target, dict):
                target[key] = convert(item)
            else:
                target.append(convert(item))
    return root


def _containers(value: Any) -> Iterator[tuple[Any, int]]:
    """Every list and dict in ``value`` with its depth (1 for ``value`` itself), without recursion."""
    stack = [(value, 1)] if isinstance(value, (dict, list)) else []
    while stack:
        item, level = stack.pop()
        yield item, level
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, level + 1) for child in children if isinstance(child, (dict, list)))


def _too_deep(value: Any, depth: int) -> bool:
    return any(level > depth for _, level in _containers(value))


def _has_lone_surrogate(value: Any) -> bool:
    for item, _ in _containers(value):
        texts = [*item.keys(), *item.values()] if isinstance(item, dict) else item
        if any(isinstance(text, str) and LONE_SURROGATE.search(text) for text in texts):
            return True
    return isinstance(value, str) and LONE_SURROGATE.search(value) is not None


_TOKEN = re.compile(r"""[ \t\n\r]*(?:
    (?P<string>"[^"\\]*(?:\\.[^"\\]*)*")
  | (?P<open>[\[{])
  | (?P<close>[\]}])
  | (?P<comma>,)
  | (?P<colon>:)
  | (?P<number>-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)
  | (?P<word>true|false|null|NaN|-?Infinity)
)""", re.VERBOSE | re.DOTALL)
_MAX_INTEGER_DIGITS = 4300  # Python's int-string conversion limit (sys.get_int_max_str_digits)


class _Frame:
    """An open container while :func:`_locate` reads: an object's keys (-> offset) or an
    array's index, and the member or element being read (its step in the JSON path)."""

    def __init__(self, is_object: bool) -> None:
        self.keys: dict[str, int] | None = {} if is_object else None
        self.step: str | int | None = None if is_object else 0

    def next_element(self) -> None:
        if isinstance(self.step, int):
            self.step += 1


def _json_path(frames: list[_Frame]) -> str:
    """``$.accounts[0].monitoring['us-east-1']``: the path of the value being read."""
    text = "$"
    for frame in frames:
        step = frame.step
        if isinstance(step, int):
            text += f"[{step}]"
        elif step is not None:
            text += f".{step}" if _IDENTIFIER.fullmatch(step) else f"[{step!r}]"
    return text if len(text) <= 120 else f"{text[:60]}...{text[-50:]}"


_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _locate(text: str, depth: int) -> JsonProblem:
    """The first place where ``text`` is not strict JSON, read token by token (no recursion).

    Only called once the fast path has failed, so its cost (a regex per token) is paid
    for bad input only. The problem names the line, the column and the JSON path.
    """
    frames: list[_Frame] = []
    expect_key = False
    position = 0
    while True:
        token = _TOKEN.match(text, position)
        if token is None:
            return _problem(text, position, "invalid JSON")
        kind = token.lastgroup or ""
        start, position, value = token.start(kind), token.end(), token.group(kind)
        what: str | None = None
        if kind == "open":
            if len(frames) >= depth:
                what = limits.NESTING_DEPTH.exceeded("nesting", depth)
            frames.append(_Frame(value == "{"))
        elif kind == "close" and frames:
            frames.pop()
        elif kind == "comma" and frames:
            frames[-1].next_element()
        elif kind == "string":
            what = _string_problem(text, value, frames, start if expect_key else None)
        elif kind == "number":
            what = _number_problem(value)
        elif kind == "word" and value not in ("true", "false", "null"):
            what = f"{value} is not a JSON number"
        if what is not None:
            line, column = _line_column(text, start)
            return JsonProblem(line, column, f"{_json_path(frames[:-1] if kind == 'open' else frames)}: {what}")
        in_object = bool(frames) and frames[-1].keys is not None
        expect_key = (kind == "open" and value == "{") or (kind == "comma" and in_object)
        if not frames and kind not in ("comma", "colon"):
            # The whole value was read without finding the problem: Python's own limits
            # (its recursion limit, under a raised nesting limit) are what stopped it.
            return _problem(text, 0, "nested too deeply or too large for this parser")


def _string_problem(text: str, token: str, frames: list[_Frame], key_at: int | None) -> str | None:
    """What is wrong with a string token (``key_at``: its offset when it is an object key)."""
    decoded = json.loads(token)
    frame = frames[-1] if frames else None
    if key_at is not None and frame is not None and frame.keys is not None:
        frame.step = decoded
        if decoded in frame.keys:
            first_line, first_column = _line_column(text, frame.keys[decoded])
            return (f"duplicate key {decoded!r} (first at line {first_line} column {first_column}); "
                    "JSON objects must not repeat a key")
        frame.keys[decoded] = key_at
    if LONE_SURROGATE.search(decoded):
        return "a string holds a lone surrogate (\\ud800-\\udfff escapes must come in pairs)"
    return None


def _number_problem(token: str) -> str | None:
    digits = len(token.lstrip("-").split(".")[0].split("e")[0].split("E")[0])
    if digits > _MAX_INTEGER_DIGITS:
        return f"a number with {digits:,} digits is out of range"
    if not token.lstrip("-").isdigit() and math.isinf(float(token)):
        return f"the number {token[:40]} is out of range"
    return None


def _line_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - text.rfind("\n", 0, offset)


def _problem(text: str, offset: int, what: str) -> JsonProblem:
    line, column = _line_column(text, offset)
    return JsonProblem(line, column, what)
