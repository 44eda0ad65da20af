"""Reading CloudWatch Logs JSON filter patterns (docs/semantics.md, "Monitoring chains").

Two modes over one grammar: ``{ expr }`` where ``expr`` is terms joined by ``&&`` and ``||``
with parentheses, ``&&`` binding tighter than ``||``.

* :func:`parse_strict` is for patterns written in our own policy files: values are quoted, or
  plain words of letters, digits and ``_`` (optionally wildcarded), or numbers; anything else
  raises :class:`FilterPatternError` with the character offset and what was expected.
* :func:`parse_lenient` is for patterns as CloudWatch Logs stored them: an unquoted value runs
  to whitespace, ``)``, ``&&``, ``||`` or ``}`` (so ``kms.amazonaws.com`` or a CIS text whose
  quotes a shell stripped reads as intended). It never raises: text it cannot read, and
  constructs it does not evaluate exactly, give :class:`Undecided` naming the reason — never
  a guess. An empty or blank pattern matches every record, as documented.

Unsupported on purpose (undecided, or an error in strict mode): regular-expression values
(``%…%``), term/phrase/space-delimited patterns, unquoted ``true``/``false``/``null`` (the
documentation does not say whether they compare text or JSON values), backslashes or
surrounding spaces inside quotes, ``**``-style values, lower-case keywords, array indexes
above :data:`MAX_ARRAY_INDEX`.
"""

from __future__ import annotations

import math
import re
from typing import NoReturn

from checker.alerting.filter_pattern import (
    AllOf,
    AnyOf,
    FilterPattern,
    KindTerm,
    KindTest,
    Node,
    NumberOp,
    NumberTerm,
    StringTerm,
    Term,
    Wildcard,
)
from checker.alerting.interface import FieldPath, Undecided

MAX_PATTERN_LENGTH = 10_000
"""Longest pattern read, in characters (CloudWatch Logs itself stores at most 1,024)."""
MAX_NESTING = 100
"""Deepest parenthesis nesting read."""
MAX_ARRAY_INDEX = 1_000
"""Largest ``[N]`` read (witness records hold arrays that long)."""

_WHITESPACE = " \t\r\n"
_NAME = re.compile(r"[A-Za-z0-9_-]+")
_INDEX = re.compile(r"\[([0-9]+)\]")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_PLAIN_WORD = re.compile(r"\*?[A-Za-z0-9_]+\*?|\*")
_WORD = re.compile(r"[A-Za-z]+")
_OPERATORS: tuple[NumberOp, ...] = ("!=", "<=", ">=", "=", "<", ">")
_KIND_TESTS: dict[tuple[str, str], KindTest] = {
    ("IS", "NULL"): "IS NULL", ("NOT", "EXISTS"): "NOT EXISTS", ("IS", "TRUE"): "IS TRUE", ("IS", "FALSE"): "IS FALSE"}
_FIRST_KEYWORDS = frozenset(first for first, _ in _KIND_TESTS)
_JSON_WORDS = ("true", "false", "null")


class FilterPatternError(ValueError):
    """A pattern that is not a supported JSON filter pattern; ``offset`` is the character
    (from 0) where reading stopped."""

    def __init__(self, offset: int, message: str) -> None:
        super().__init__(f"character {offset}: {message}")
        self.offset = offset
        self.message = message


class _Unsupported(Exception):
    """A construct trailcheck does not evaluate exactly (lenient mode: undecided)."""

    def __init__(self, offset: int, reason: str) -> None:
        super().__init__(reason)
        self.offset = offset
        self.reason = reason


def _joined(kind: type[AllOf] | type[AnyOf], parts: list[Node]) -> Node:
    """``kind(parts)`` with nested nodes of the same kind flattened; one part is itself."""
    flat: list[Node] = []
    for part in parts:
        flat.extend(part.parts if isinstance(part, kind) else (part,))
    return flat[0] if len(flat) == 1 else kind(tuple(flat))


class _Parser:
    def __init__(self, text: str, strict: bool) -> None:
        self.text = text
        self.strict = strict
        self.pos = 0

    # -- errors ---------------------------------------------------------------------------

    def _found(self) -> str:
        if self.pos >= len(self.text):
            return "the end of the pattern"
        return repr(self.text[self.pos:self.pos + 12])

    def fail(self, expected: str) -> NoReturn:
        raise FilterPatternError(self.pos, f"expected {expected}, found {self._found()}")

    def unsupported(self, offset: int, reason: str) -> NoReturn:
        if self.strict:
            raise FilterPatternError(offset, reason)
        raise _Unsupported(offset, reason)

    # -- lexing ---------------------------------------------------------------------------

    def skip_space(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in _WHITESPACE:
            self.pos += 1

    def at(self, token: str) -> bool:
        return self.text.startswith(token, self.pos)

    def at_value_end(self, index: int) -> bool:
        """Where a lenient unquoted value stops."""
        return (index >= len(self.text) or self.text[index] in _WHITESPACE or self.text[index] in ")}"
                or self.text.startswith("&&", index) or self.text.startswith("||", index))

    # -- grammar --------------------------------------------------------------------------

    def pattern(self) -> Node:
        if len(self.text) > MAX_PATTERN_LENGTH:
            self.unsupported(MAX_PATTERN_LENGTH, f"a pattern longer than {MAX_PATTERN_LENGTH} characters")
        self.skip_space()
        if not self.strict and (self.pos == len(self.text) or self.text.strip() == '" "'):
            return AllOf(())  # documented: the empty pattern (and " ") matches every log event
        if not self.at("{"):
            if self.strict:
                self.fail("'{' (a JSON filter pattern)")
            self.unsupported(self.pos, "not a JSON filter pattern ({ ... }): term, phrase and space-delimited "
                                       "patterns cannot be matched reliably against CloudTrail fields")
        self.pos += 1
        node = self.disjunction(0)
        self.skip_space()
        if not self.at("}"):
            self.fail("'&&', '||' or '}'")
        self.pos += 1
        self.skip_space()
        if self.pos != len(self.text):
            self.fail("the end of the pattern after '}'")
        return node

    def disjunction(self, depth: int) -> Node:
        parts = [self.conjunction(depth)]
        while True:
            self.skip_space()
            if not self.at("||"):
                return _joined(AnyOf, parts)
            self.pos += 2
            parts.append(self.conjunction(depth))

    def conjunction(self, depth: int) -> Node:
        parts = [self.primary(depth)]
        while True:
            self.skip_space()
            if not self.at("&&"):
                return _joined(AllOf, parts)
            self.pos += 2
            parts.append(self.primary(depth))

    def primary(self, depth: int) -> Node:
        self.skip_space()
        if self.at("("):
            if depth >= MAX_NESTING:
                self.unsupported(self.pos, f"parentheses nested deeper than {MAX_NESTING}")
            self.pos += 1
            node = self.disjunction(depth + 1)
            self.skip_space()
            if not self.at(")"):
                self.fail("'&&', '||' or ')'")
            self.pos += 1
            return node
        if self.at("$"):
            return self.term()
        return self.fail("'(' or a selector such as '$.eventName'")

    def selector(self) -> FieldPath:
        if not self.at("$."):
            self.fail("a selector such as '$.eventName'")
        self.pos += 1
        steps: list[str | int] = []
        while True:
            if self.at("."):
                self.pos += 1
                name = _NAME.match(self.text, self.pos)
                if name is None:
                    self.fail("a property name (letters, digits, '-' and '_')")
                steps.append(name.group())
                self.pos = name.end()
            elif self.at("[") and steps:
                index = _INDEX.match(self.text, self.pos)
                if index is None:
                    self.fail("an array index such as '[0]'")
                if int(index.group(1)) > MAX_ARRAY_INDEX:
                    self.unsupported(self.pos, f"an array index above {MAX_ARRAY_INDEX}")
                steps.append(int(index.group(1)))
                self.pos = index.end()
            else:
                return tuple(steps)

    def term(self) -> Term:
        path = self.selector()
        self.skip_space()
        for op in _OPERATORS:
            if self.at(op):
                self.pos += len(op)
                self.skip_space()
                return self.comparison(path, op)
        word = _WORD.match(self.text, self.pos)
        if word is not None and word.group() in _FIRST_KEYWORDS:
            self.pos = word.end()
            self.skip_space()
            second = _WORD.match(self.text, self.pos)
            test = _KIND_TESTS.get((word.group(), second.group() if second else ""))
            if second is None or test is None:
                self.fail(" or ".join(b for a, b in _KIND_TESTS if a == word.group()) + f" after {word.group()}")
            self.pos = second.end()
            return KindTerm(path, test)
        if word is not None and word.group().upper() in _FIRST_KEYWORDS:
            self.unsupported(self.pos, f"the keyword {word.group()!r}: the documentation spells the tests "
                                       "IS NULL, NOT EXISTS, IS TRUE and IS FALSE in upper case")
        return self.fail("an operator (=, !=, <, >, <=, >=) or IS NULL, NOT EXISTS, IS TRUE, IS FALSE")

    def comparison(self, path: FieldPath, op: NumberOp) -> Term:
        start = self.pos
        if self.at('"'):
            end = self.text.find('"', self.pos + 1)
            if end < 0:
                self.fail("a closing '\"'")
            content = self.text[self.pos + 1:end]
            self.pos = end + 1
            if op not in ("=", "!="):
                self.unsupported(start, f"a quoted value after {op} (numeric operators take an unquoted number)")
            if "\\" in content:
                self.unsupported(start, "a backslash inside a quoted value (escapes are not documented)")
            if content != content.strip():
                self.unsupported(start, "spaces at the ends of a quoted value (their matching is not documented)")
            return StringTerm(path, op, self.wildcard(content, start))
        token = self.plain_value()
        if token.lower() in _JSON_WORDS:
            self.unsupported(start, f"the unquoted value {token!r}: the documentation does not say whether it is "
                                    "text or a JSON literal (use IS TRUE, IS FALSE or IS NULL)")
        if _NUMBER.fullmatch(token):
            number = float(token)
            if not math.isfinite(number):
                self.unsupported(start, f"the number {token} is out of range")
            return NumberTerm(path, op, number, token)
        if op not in ("=", "!="):
            self.pos = start
            self.fail(f"a number after {op}")
        return StringTerm(path, op, self.wildcard(token, start))

    def plain_value(self) -> str:
        """An unquoted value: a plain word or number (strict), or up to the next delimiter."""
        start = self.pos
        if self.strict:
            found = _NUMBER.match(self.text, start) or _PLAIN_WORD.match(self.text, start)
            if found is None or not self.at_value_end(found.end()):
                found = _PLAIN_WORD.match(self.text, start)
            if found is None or not self.at_value_end(found.end()):
                self.fail("a quoted value, a number, or a plain value of letters, digits and '_'")
            self.pos = found.end()
            return found.group()
        end = start
        while not self.at_value_end(end):
            end += 1
        token = self.text[start:end]
        if not token:
            self.fail("a value")
        if token[0] in "=!<>" or any(ch in token for ch in '"({'):
            self.unsupported(start, f"the unquoted value {token!r} (its reading is not documented)")
        self.pos = end
        return token

    def wildcard(self, content: str, offset: int) -> Wildcard:
        if len(content) >= 2 and content.startswith("%") and content.endswith("%"):
            self.unsupported(offset, "a regular-expression value (%...%)")
        if content == "*":
            return Wildcard("", leading=True, trailing=True)
        leading = content.startswith("*")
        trailing = len(content) > 1 and content.endswith("*")
        text = content[1 if leading else 0:len(content) - 1 if trailing else len(content)]
        doubled = (leading and text.startswith("*")) or (trailing and text.endswith("*"))
        if doubled or (leading and trailing and not text):
            self.unsupported(offset, f"the value {content!r}: repeated '*' at an end is not documented")
        return Wildcard(text, leading, trailing)


def parse_strict(text: str) -> FilterPattern:
    """Parse a pattern from our own policy files; :class:`FilterPatternError` when it is not
    a supported JSON filter pattern."""
    return FilterPattern(text, _Parser(text, strict=True).pattern())


def parse_lenient(text: str) -> FilterPattern | Undecided:
    """Parse a pattern as CloudWatch Logs stored it; :class:`Undecided` with the reason when
    trailcheck cannot read or evaluate it exactly. Never raises."""
    try:
        return FilterPattern(text, _Parser(text, strict=False).pattern())
    except FilterPatternError as error:
        return Undecided(text, f"cannot read the filter pattern at character {error.offset}: {error.message}")
    except _Unsupported as error:
        return Undecided(text, f"unsupported filter pattern construct at character {error.offset}: {error.reason}")
