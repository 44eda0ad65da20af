"""Property-based fuzzing of the readers and loaders, in-process.

Whatever bytes or text they are given, the readers of user input end in one of two ways:
a value, or an :class:`~checker.errors.InputError` (for event streams: counted problems).
Never another exception, which the command line would report as a bug (exit 3).
"""

from __future__ import annotations

import contextlib
import io
import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker import safejson
from checker.errors import InputError
from checker.inputs.events import EventOptions, EventStats
from checker.inputs.events.readers import read_binary
from checker.inputs.snapshot import load_snapshot
from checker.policy.loader import parse_policy
from checker.report.waivers import load_waivers
from checker.safetext import UNSAFE_ON_TERMINAL, encodable, for_markdown, for_terminal

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20)

# Pieces of JSON and YAML, glued at random: mostly almost-valid text, which reaches deeper
# into the parsers than random bytes do.
JSON_PIECES = ['{', '}', '[', ']', ',', ':', '"a"', '"a"', '1', '-0.5e3', 'NaN', '-Infinity', '1e999', 'true',
               'null', '"\\ud800"', '"\\u00e9"', '9' * 4400, ' ', '\n', '"format"', '"trailcheck.snapshot/v1"',
               '"accounts"', '"\\x"', "\ufeff"]
YAML_PIECES = ["rules:", "waivers:", "\n", "  ", "- ", "id: x", "&a ", "*a", "<<: ", "{", "}", "[", "]", ": ",
               "'q'", '"\\e[31m"', "!!python/object:os.system", "!!binary", "? ", "---", "...", "%YAML 1.1",
               "9" * 4400, ".nan", "2026-01-01", "\t", "#", "|", ">", "severity: high", "scope: trail"]


def glued(pieces: list[str]) -> st.SearchStrategy[str]:
    return st.lists(st.sampled_from(pieces) | st.text(max_size=3), max_size=40).map("".join)


@FUZZ
@given(st.binary(max_size=200) | glued(JSON_PIECES).map(str.encode))
def test_strict_json_gives_a_value_or_an_input_error(data: bytes) -> None:
    try:
        safejson.loads(data, "fuzz.json")
    except InputError as error:
        assert error.where.startswith("fuzz.json") and "\n" not in str(error)


@FUZZ
@given(json_values)
def test_strict_json_reads_back_what_it_writes(value: Any) -> None:
    assert safejson.decode(safejson.dumps(value)) == value


@FUZZ
@given(st.recursive(scalars | st.sampled_from([math.nan, math.inf, -math.inf, "\ud800", "a\udfffb"]),
                    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
                    max_leaves=10))
def test_written_json_is_always_strict(value: Any) -> None:
    text = safejson.dumps(value)
    text.encode("utf-8")
    json.loads(text, parse_constant=lambda name: pytest.fail(f"{name} written"))


@FUZZ
@given(st.binary(max_size=300) | glued(JSON_PIECES).map(str.encode))
def test_snapshot_loader_gives_a_snapshot_or_an_input_error(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "snap.json"
    path.write_bytes(data)
    with contextlib.suppress(InputError):
        load_snapshot(path)


@FUZZ
@given(glued(YAML_PIECES))
def test_policy_loader_gives_rules_or_an_input_error(text: str) -> None:
    try:
        parse_policy(text, "fuzz.yaml")
    except InputError as error:
        assert all(problem.where.startswith("fuzz.yaml") for problem in error.problems)


@FUZZ
@given(glued(YAML_PIECES) | st.binary(max_size=200).map(lambda raw: raw.decode("latin-1")))
def test_waiver_loader_gives_waivers_or_an_input_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    with contextlib.suppress(InputError):
        load_waivers(path)


@FUZZ
@given(st.binary(max_size=300) | glued([*JSON_PIECES, '"Records"', '"eventVersion"', '"Events"']).map(str.encode),
       st.booleans())
def test_event_reader_yields_records_and_counts_the_rest(data: bytes, lines: bool) -> None:
    stats = EventStats()
    records = list(read_binary(io.BytesIO(data), "fuzz", lines=lines, stats=stats, options=EventOptions()))
    assert all(isinstance(record, dict) for record in records)
    assert stats.read == len(records)


@FUZZ
@given(st.text())
def test_text_made_safe_to_show_and_to_encode(text: str) -> None:
    assert not UNSAFE_ON_TERMINAL.search(for_terminal(text))
    assert "\n" not in for_markdown(text) and not UNSAFE_ON_TERMINAL.search(for_markdown(text))
    encodable(text).encode("utf-8")
    for_terminal(text).encode("utf-8")


@pytest.mark.parametrize(("text", "line", "column", "what"), [
    ('{"a": 1,\n "a": 2}', 2, 2, "duplicate key 'a' (first at line 1 column 2)"),
    ('[1,\n  NaN]', 2, 3, "NaN is not a JSON number"),
    ('{"x": [1e999]}', 1, 8, "out of range"),
    ('["\\udc00"]', 1, 2, "lone surrogate"),
    ("[" * 101 + "]" * 101, 1, 101, "nesting exceeds the limit of 100 levels"),
    ("1" * 4301, 1, 1, "4,301 digits"),
])
def test_strict_json_names_the_place(text: str, line: int, column: int, what: str) -> None:
    with pytest.raises(safejson.JsonProblem) as raised:
        safejson.decode(text)
    assert (raised.value.line, raised.value.column) == (line, column)
    assert what in raised.value.what
