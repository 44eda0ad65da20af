"""Text from the input made safe to show and to encode.

Trail names, ARNs, event fields, S3 keys and waiver owners are chosen by whoever wrote
the input, attackers included. Printed raw, an escape sequence in one of them can clear
the terminal, rewrite what the user reads, or plant a hyperlink; a Markdown image in the
Actions step summary loads a tracking pixel; a lone surrogate (``\\ud800``, which JSON
escapes can produce) cannot be encoded in UTF-8 and would crash the report writer.

* :func:`for_terminal` (stdout, stderr): control characters, bidi overrides and lone
  surrogates are shown as Python-style escapes (``\\x1b``, ``\\u202e``); tab and newline
  are kept as layout. Applied where text is printed, so the data itself stays exact.
* :func:`for_markdown`: the same, and every character with a meaning in Markdown or HTML
  escaped, so a value is shown as text and never becomes a link, an image or markup.
* :func:`encodable`: lone surrogates replaced by U+FFFD, the one change that makes any
  ``str`` encodable as UTF-8.
"""

from __future__ import annotations

import html
import re

LONE_SURROGATE = re.compile("[\ud800-\udfff]")
"""A surrogate code point on its own: valid in a Python ``str``, impossible in UTF-8."""

UNSAFE_ON_TERMINAL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
                                "\ud800-\udfff]")
"""C0 and C1 controls but tab and newline (ESC starts ANSI sequences, ``\\x9b`` is a
one-byte CSI, ``\\r`` rewrites the line), the bidi controls that reorder what is shown
("Trojan Source"), and lone surrogates."""

_UNSAFE_IN_MARKDOWN = re.compile(f"[\n\u2028\u2029{UNSAFE_ON_TERMINAL.pattern[1:-1]}]")
"""What is unsafe on a terminal, and line breaks, which would end a table row."""

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]~|])")
"""Punctuation with a meaning inside a line of (GitHub-flavoured) Markdown: brackets
(links, images), code, emphasis, strike-through, table pipes, and the backslash itself.
A backslash before any of them shows it literally; ``<``, ``>`` and ``&`` (raw HTML,
autolinks) are HTML-escaped instead."""


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def for_terminal(text: str) -> str:
    """``text`` with everything that could drive a terminal shown as an escape."""
    return UNSAFE_ON_TERMINAL.sub(_escape, text) if UNSAFE_ON_TERMINAL.search(text) else text


def for_markdown(text: str) -> str:
    """One line of ``text`` shown literally in Markdown (a table cell or a paragraph).

    Line breaks are escapes too: callers that keep lines split them first.
    """
    escaped = _UNSAFE_IN_MARKDOWN.sub(_escape, text.replace("\t", " "))
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\1", escaped)
    return html.escape(escaped, quote=False)


def json_for_terminal(text: str) -> str:
    """JSON text with what :func:`for_terminal` escapes written as ``\\uXXXX`` escapes.

    Outside strings JSON is ASCII, so the result is the same JSON value, safe to print.
    """
    if not UNSAFE_ON_TERMINAL.search(text):
        return text
    return UNSAFE_ON_TERMINAL.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def encodable(text: str) -> str:
    """``text`` with each lone surrogate replaced by U+FFFD, so that it encodes as UTF-8.

    ASCII text, which CPython marks as such when it makes the string, is returned at once:
    the reports pass every line through here (150,000 at organization scale)."""
    if text.isascii():
        return text
    return LONE_SURROGATE.sub("\ufffd", text) if LONE_SURROGATE.search(text) else text
