"""Reading sampled CloudTrail events from local inputs (``--events PATH`` and ``-``).

Every delivery form, gzip by magic bytes, directory recursion, streaming in bounded
memory, and corrupt inputs that are reported (file and position) while the rest is read.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import pickle
import sys
import tracemalloc
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checker.errors import InputError
from checker.inputs.events import (
    EventOptions,
    EventStats,
    LocalFile,
    parse_since,
)
from checker.inputs.events.sources import expand_sources, iter_records, read_source
from checker.inputs.events.stats import MAX_PROBLEMS
from tests.helpers.data import DATA, DOC_EXAMPLES, STRATUS, data_file, doc_example_files, stratus_files


def corpus_records() -> list[dict[str, Any]]:
    """Real records: every stratus detonation, in file order."""
    records: list[dict[str, Any]] = []
    for path in stratus_files():
        records.extend(json.loads(path.read_text()))
    return records


RECORDS = corpus_records()
STOP_LOGGING = next(r for r in RECORDS if r["eventName"] == "StopLogging")


def read(*specs: str | Path, **options: Any) -> tuple[list[dict[str, Any]], EventStats]:
    stats = EventStats()
    records = list(iter_records([str(s) for s in specs], EventOptions(**options), stats))
    return records, stats


def names(records: list[dict[str, Any]]) -> list[str]:
    return [r["eventID"] for r in records]


def write(path: Path, data: str | bytes, *, gz: bool = False) -> Path:
    raw = data.encode() if isinstance(data, str) else data
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(raw) if gz else raw)
    return path


def jsonl(records: list[Any]) -> str:
    return "".join(json.dumps(r) + "\n" for r in records)


def envelope(record: dict[str, Any], detail_type: str = "AWS API Call via CloudTrail") -> dict[str, Any]:
    return {"version": "0", "id": "6f87d04b", "detail-type": detail_type,
            "source": "aws.cloudtrail", "account": "143434273843", "time": record["eventTime"],
            "region": record["awsRegion"], "resources": [], "detail": record}


def lookup_item(record: dict[str, Any], read_only: str = "false") -> dict[str, Any]:
    return {"EventId": record["eventID"], "EventName": record["eventName"], "ReadOnly": read_only,
            "EventTime": record["eventTime"], "EventSource": record["eventSource"],
            "Resources": [], "CloudTrailEvent": json.dumps(record)}


DIGEST: dict[str, Any] = {"awsAccountId": "111122223333", "digestStartTime": "2024-07-31T12:00:00Z",
          "digestEndTime": "2024-07-31T13:00:00Z", "digestS3Bucket": "logs",
          "digestS3Object": "AWSLogs/111122223333/CloudTrail-Digest/x.json.gz",
          "digestSignatureAlgorithm": "SHA256withRSA", "newestEventTime": None,
          "oldestEventTime": None, "logFiles": []}


# --- the real corpora ---------------------------------------------------------------------

@pytest.mark.parametrize("path", stratus_files(), ids=lambda p: p.name)
def test_every_stratus_detonation_file_is_read_whole(path: Path) -> None:
    records, stats = read(path)
    assert records == json.loads(path.read_text())
    assert (stats.read, stats.skipped, stats.problems) == (len(records), 0, [])


def test_all_35_stratus_files_and_7_doc_examples_are_present_and_parse() -> None:
    assert (len(stratus_files()), len(doc_example_files())) == (35, 7)
    records, stats = read(DATA / STRATUS, DATA / DOC_EXAMPLES)
    assert len(records) == len(RECORDS) + 7
    assert stats.problems == [] and stats.skipped == 0


def test_terminate_instances_doc_example_is_a_log_file_body() -> None:
    path = data_file(DOC_EXAMPLES, "TerminateInstances-log-file.json")
    assert "Records" in json.loads(path.read_text())
    records, _ = read(path)
    assert [r["eventName"] for r in records] == ["TerminateInstances"]


def test_create_control_channel_doc_example_is_a_single_record() -> None:
    records, _ = read(data_file(DOC_EXAMPLES, "CreateControlChannel-1.08.json"))
    assert len(records) == 1
    assert records[0]["eventName"] == "CreateControlChannel"
    assert records[0]["eventVersion"] == "1.08"


# --- delivery forms -----------------------------------------------------------------------

SAMPLE = RECORDS[:5]


@pytest.mark.parametrize(("name", "content", "gz"), [
    ("log.json", json.dumps({"Records": SAMPLE}), False),
    ("log.json.gz", json.dumps({"Records": SAMPLE}), True),
    ("array.json", json.dumps(SAMPLE, indent=2), False),
    ("array.json.gz", json.dumps(SAMPLE), True),
    ("lines.jsonl", jsonl(SAMPLE), False),
    ("lines.jsonl.gz", jsonl(SAMPLE), True),
    ("lines.ndjson", jsonl(SAMPLE), False),
    ("concatenated.json", jsonl(SAMPLE), False),
    ("lookup.json", json.dumps({"Events": [lookup_item(r) for r in SAMPLE], "NextToken": "t"}), False),
    ("lookup-items.json", json.dumps([lookup_item(r) for r in SAMPLE]), False),
    ("bridge.json", json.dumps([envelope(r) for r in SAMPLE]), False),
    ("bridge.jsonl", jsonl([envelope(r) for r in SAMPLE]), False),
    ("gzip-despite-name.json", json.dumps({"Records": SAMPLE}), True),
    ("plain-despite-name.json.gz", json.dumps({"Records": SAMPLE}), False),
    ("log-files.jsonl", jsonl([{"Records": SAMPLE[:2]}, {"Records": SAMPLE[2:]}]), False),
])
def test_each_delivery_form_gives_the_same_records(tmp_path: Path, name: str, content: str,
                                                   gz: bool) -> None:
    records, stats = read(write(tmp_path / name, content, gz=gz))
    assert records == SAMPLE
    assert (stats.read, stats.skipped, stats.problems) == (5, 0, [])


def test_single_eventbridge_envelope_yields_its_detail(tmp_path: Path) -> None:
    records, _ = read(write(tmp_path / "event.json", json.dumps(envelope(STOP_LOGGING), indent=1)))
    assert records == [STOP_LOGGING]


def test_eventbridge_event_that_is_not_from_cloudtrail_is_skipped_with_reason(tmp_path: Path) -> None:
    other = envelope(STOP_LOGGING, detail_type="EC2 Instance State-change Notification")
    records, stats = read(write(tmp_path / "events.jsonl", jsonl([other, envelope(STOP_LOGGING)])))
    assert records == [STOP_LOGGING]
    assert stats.skipped == 1
    assert stats.problems[0]["position"] == "line 1"
    assert "EC2 Instance State-change Notification" in stats.problems[0]["reason"]


def test_lookup_events_string_is_parsed_and_readonly_string_becomes_a_boolean(tmp_path: Path) -> None:
    without = {k: v for k, v in STOP_LOGGING.items() if k != "readOnly"}
    response = {"Events": [lookup_item(without, read_only="false"),
                           lookup_item(without, read_only="true"),
                           lookup_item(STOP_LOGGING, read_only="true")]}
    records, _ = read(write(tmp_path / "lookup.json", json.dumps(response)))
    # "false" is a non-empty string: it must not read as true.
    assert [r["readOnly"] for r in records] == [False, True, False]
    assert records[2] == STOP_LOGGING  # the record's own boolean wins over the item's string


def test_lookup_item_with_broken_record_string_is_reported(tmp_path: Path) -> None:
    items = [lookup_item(STOP_LOGGING), {**lookup_item(STOP_LOGGING), "CloudTrailEvent": "{\"eventVer"}]
    records, stats = read(write(tmp_path / "lookup.json", json.dumps({"Events": items})))
    assert records == [STOP_LOGGING]
    assert stats.problems[0]["position"].startswith("Events[1], line 1")
    assert "CloudTrailEvent is not valid JSON" in stats.problems[0]["reason"]


def test_digest_files_are_skipped_without_a_problem(tmp_path: Path) -> None:
    write(tmp_path / "by-content.json.gz", json.dumps(DIGEST), gz=True)
    write(tmp_path / "AWSLogs/1/CloudTrail-Digest/r/2024/07/31/by-place.json.gz", "not even read", gz=True)
    write(tmp_path / "log.json", json.dumps({"Records": SAMPLE}))
    records, stats = read(tmp_path)
    assert records == SAMPLE
    assert (stats.skipped, stats.digests, stats.problems) == (2, 2, [])


def test_insight_records_are_records_like_any_other(tmp_path: Path) -> None:
    insight = {"eventVersion": "1.08", "eventTime": "2024-07-31T13:00:00Z", "awsRegion": "us-east-1",
               "eventID": "i-1", "eventType": "AwsCloudTrailInsight", "eventCategory": "Insight",
               "insightDetails": {"state": "Start", "eventSource": "ec2.amazonaws.com"}}
    records, _ = read(write(tmp_path / "insight.json.gz", json.dumps({"Records": [insight]}), gz=True))
    assert records == [insight]


def test_stdin(monkeypatch: pytest.MonkeyPatch) -> None:
    data = gzip.compress(jsonl([envelope(r) for r in SAMPLE]).encode())
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    records, stats = read("-")
    assert records == SAMPLE
    assert stats.sources == ["-"]


# --- directories, sources, bounds ---------------------------------------------------------

def test_directory_is_read_recursively_in_sorted_order_mixing_forms(tmp_path: Path) -> None:
    write(tmp_path / "b" / "z.jsonl.gz", jsonl(RECORDS[4:6]), gz=True)
    write(tmp_path / "b" / "a.json", json.dumps({"Events": [lookup_item(RECORDS[3])]}))
    write(tmp_path / "a" / "deep" / "x.json.gz", json.dumps({"Records": RECORDS[1:3]}), gz=True)
    write(tmp_path / "a" / "0.json", json.dumps(envelope(RECORDS[0])))
    write(tmp_path / "c.ndjson", jsonl(RECORDS[6:7]))
    write(tmp_path / "README.md", "not events")
    write(tmp_path / ".hidden" / "x.json", "garbage")
    records, stats = read(tmp_path)
    assert names(records) == names(RECORDS[:7])
    assert stats.problems == []
    assert stats.sources == [str(tmp_path)]


def test_a_file_named_twice_is_read_once(tmp_path: Path) -> None:
    path = write(tmp_path / "log.json", json.dumps({"Records": SAMPLE}))
    records, stats = read(tmp_path, path, tmp_path)
    assert records == SAMPLE
    assert stats.sources == [str(tmp_path), str(path)]


def test_missing_path_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError) as error:
        read(tmp_path / "nope.json")
    assert error.value.where == str(tmp_path / "nope.json")
    assert "no such file" in error.value.what


def test_empty_directory_is_reported_not_fatal(tmp_path: Path) -> None:
    records, stats = read(tmp_path)
    assert records == []
    assert stats.skipped == 0
    assert "no event files" in stats.problems[0]["reason"]


def test_max_events_stops_reading_across_files(tmp_path: Path) -> None:
    write(tmp_path / "a.json", json.dumps(RECORDS[:3]))
    write(tmp_path / "b.json", json.dumps(RECORDS[3:6]))
    records, stats = read(tmp_path, max_events=4)
    assert names(records) == names(RECORDS[:4])
    assert stats.read == 4


def test_bad_bounds_are_input_errors() -> None:
    with pytest.raises(InputError, match="--max-events"):
        EventOptions(max_events=0)
    with pytest.raises(InputError, match="--since"):
        parse_since("yesterday")


@pytest.mark.parametrize(("text", "expected"), [
    ("2024-07-31", datetime(2024, 7, 31, tzinfo=timezone.utc)),
    ("2024-07-31T12:30:00Z", datetime(2024, 7, 31, 12, 30, tzinfo=timezone.utc)),
    ("2024-07-31T14:30:00+02:00", datetime(2024, 7, 31, 12, 30, tzinfo=timezone.utc)),
    ("90m", datetime(2024, 7, 31, 22, 30, tzinfo=timezone.utc)),
    ("24h", datetime(2024, 7, 31, tzinfo=timezone.utc)),
    ("7d", datetime(2024, 7, 25, tzinfo=timezone.utc)),
])
def test_since_accepts_iso_times_and_ages(text: str, expected: datetime) -> None:
    assert parse_since(text, now=datetime(2024, 8, 1, tzinfo=timezone.utc)) == expected


# --- corrupt input: reported with file and position, the rest still read -----------------

def test_bad_gzip_is_reported_and_other_files_still_read(tmp_path: Path) -> None:
    bad = write(tmp_path / "a-bad.json.gz", b"\x1f\x8b\x08\x00garbage that is not deflate")
    write(tmp_path / "b-good.json", json.dumps(SAMPLE))
    records, stats = read(tmp_path)
    assert records == SAMPLE
    assert stats.skipped == 1
    [problem] = stats.problems
    assert problem["source"] == str(bad)
    assert problem["position"].startswith("byte ")
    assert "bad gzip data" in problem["reason"]


def test_truncated_gzip_keeps_the_records_before_the_break(tmp_path: Path) -> None:
    body = gzip.compress(json.dumps({"Records": RECORDS}).encode())
    path = write(tmp_path / "cut.json.gz", body[: len(body) // 2])
    records, stats = read(path, chunk_size=4096)
    assert 0 < len(records) < len(RECORDS)
    assert records == RECORDS[: len(records)]
    assert stats.problems[0]["source"] == str(path)
    assert "bad gzip data" in stats.problems[0]["reason"]


@pytest.mark.parametrize("chunk_size", [1, 64, 1 << 20])
def test_truncated_json_keeps_the_records_before_the_break(tmp_path: Path, chunk_size: int) -> None:
    text = json.dumps({"Records": SAMPLE}, indent=2)
    cut = text.index(SAMPLE[3]["eventID"]) - 1  # just before the value's opening quote
    path = write(tmp_path / "cut.json", text[:cut])
    records, stats = read(path, chunk_size=chunk_size)
    assert records == SAMPLE[:3]
    [problem] = stats.problems
    assert problem["source"] == str(path)
    assert problem["position"] == f"line {text[:cut].count(chr(10)) + 1} column {cut - text.rfind(chr(10), 0, cut)}"
    assert problem["reason"].startswith("truncated JSON")


def test_broken_json_syntax_is_reported_as_invalid_not_truncated(tmp_path: Path) -> None:
    path = write(tmp_path / "broken.json", '[{"eventVersion": "1.0"} {"eventVersion": "1.0"}]')
    records, stats = read(path)
    assert len(records) == 1
    assert stats.problems[0]["position"] == "line 1 column 26"
    assert stats.problems[0]["reason"] == "invalid JSON: expected ',' or ']', found '{'"


def test_non_object_records_are_skipped_one_by_one(tmp_path: Path) -> None:
    content = "[\n" + ",\n".join([json.dumps(SAMPLE[0]), "42", '"text"', "null", json.dumps(SAMPLE[1])]) + "\n]"
    path = write(tmp_path / "mixed.json", content)
    records, stats = read(path)
    assert records == SAMPLE[:2]
    assert stats.skipped == 3
    assert [p["position"] for p in stats.problems] == ["[1], line 3", "[2], line 4", "[3], line 5"]
    assert stats.problems[0]["reason"] == "not a JSON object but a number"


def test_objects_that_are_not_cloudtrail_records_are_skipped(tmp_path: Path) -> None:
    path = write(tmp_path / "x.json", json.dumps({"Records": [{"hello": "world"}, SAMPLE[0]]}))
    records, stats = read(path)
    assert records == SAMPLE[:1]
    assert stats.problems[0]["position"] == "Records[0], line 1"
    assert "not a CloudTrail record" in stats.problems[0]["reason"]


def test_invalid_utf8_skips_only_that_record(tmp_path: Path) -> None:
    parts = [json.dumps(r).encode() for r in SAMPLE[:3]]
    parts[1] = parts[1].replace(json.dumps(SAMPLE[1]["eventName"]).encode(), b'"Bad\xc3("')
    path = write(tmp_path / "utf8.json", b'{"Records": [\n' + b",\n".join(parts) + b"\n]}")
    records, stats = read(path, chunk_size=7)
    assert records == [SAMPLE[0], SAMPLE[2]]
    assert stats.problems == [{"source": str(path), "position": "Records[1], line 3",
                               "reason": "invalid UTF-8 in the record"}]


def test_json_lines_report_bad_lines_and_keep_the_rest(tmp_path: Path) -> None:
    lines = [json.dumps(SAMPLE[0]).encode(), b'{"eventVersion": tru', b"\xff\xfe{}", b"",
             json.dumps(SAMPLE[1]).encode(), b"[1, 2]"]
    path = write(tmp_path / "x.jsonl", b"\n".join(lines))
    records, stats = read(path)
    assert records == SAMPLE[:2]
    assert [(p["position"], p["reason"]) for p in stats.problems] == [
        ("line 2 column 18", "invalid JSON: Expecting value"),
        ("line 3", "invalid UTF-8 at byte 0 of the line"),
        ("line 6", "not a JSON object but an array"),
    ]
    assert (stats.read, stats.skipped) == (2, 3)


def test_unreadable_file_is_reported_and_the_rest_read(tmp_path: Path) -> None:
    (tmp_path / "a-dangling.json").symlink_to(tmp_path / "gone.json")
    write(tmp_path / "b.json", json.dumps(SAMPLE))
    records, stats = read(tmp_path)
    assert records == SAMPLE
    assert stats.problems[0]["source"] == str(tmp_path / "a-dangling.json")
    assert stats.problems[0]["reason"].startswith("cannot read")


def test_problem_list_is_capped_but_counts_stay_exact(tmp_path: Path) -> None:
    path = write(tmp_path / "x.jsonl", "42\n" * (MAX_PROBLEMS + 50))
    _, stats = read(path)
    assert stats.skipped == stats.problems_total == MAX_PROBLEMS + 50
    assert len(stats.problems) == MAX_PROBLEMS
    assert stats.to_dict()["skipped"] == MAX_PROBLEMS + 50
    assert set(stats.to_dict()) == {"read", "skipped", "sources", "problems"}


# --- streaming ----------------------------------------------------------------------------

_JSON_LEAF = (st.none() | st.booleans() | st.integers(-10**20, 10**20)
              | st.floats(allow_nan=False, allow_infinity=False) | st.text())
_JSON = st.recursive(_JSON_LEAF, lambda inner: st.lists(inner, max_size=4)
                     | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
_RECORD = st.dictionaries(st.text(max_size=8), _JSON, max_size=5).map(
    lambda extra: {"eventVersion": "1.10", **extra})


@settings(max_examples=60, deadline=None)
@given(records=st.lists(_RECORD, max_size=6), chunk_size=st.integers(1, 40),
       indent=st.sampled_from([None, 1]), wrapped=st.booleans())
def test_records_straddling_chunk_boundaries_decode_exactly(
        tmp_path_factory: pytest.TempPathFactory, records: list[dict[str, Any]], chunk_size: int,
        indent: int | None, wrapped: bool) -> None:
    document = {"Records": records} if wrapped else records
    text = json.dumps(document, indent=indent, ensure_ascii=bool(chunk_size % 2))
    path = write(tmp_path_factory.mktemp("chunks") / "log.json", text)
    read_back, stats = read(path, chunk_size=chunk_size)
    assert read_back == records
    assert stats.problems == []


class CountingStream(io.RawIOBase):
    """A stdin that serves a generated document and counts what was taken from it."""

    def __init__(self, pieces: Iterator[bytes]) -> None:
        self._pieces = pieces
        self._pending = b""
        self.served = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            self._pending = next(self._pieces, b"")
            if not self._pending:
                return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        self.served += size
        return size


def test_reader_consumes_its_input_lazily(monkeypatch: pytest.MonkeyPatch) -> None:
    def log_file() -> Iterator[bytes]:
        yield b'{"Records": ['
        for index in range(100_000):  # about 100 MB if it were all read
            yield (b"," if index else b"") + json.dumps({**STOP_LOGGING, "eventID": str(index)}).encode()
        yield b"]}"

    stream = CountingStream(log_file())
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(stream)))
    stats = EventStats()
    records = iter_records(["-"], EventOptions(chunk_size=64 * 1024), stats)
    first = [next(records)["eventID"] for _ in range(10)]
    assert first == [str(i) for i in range(10)]
    assert stream.served < 256 * 1024
    assert stats.read == 10


def test_memory_stays_bounded_on_a_large_gzip_file(tmp_path: Path) -> None:
    path = tmp_path / "big.json.gz"
    count = 6000
    with gzip.open(path, "wt") as out:
        out.write('{"Records": [')
        for index in range(count):
            out.write(("," if index else "") + json.dumps({**STOP_LOGGING, "eventID": str(index)}))
        out.write("]}")
    size = count * len(json.dumps(STOP_LOGGING))  # about 8 MB of JSON
    stats = EventStats()
    tracemalloc.start()
    try:
        total = sum(1 for _ in iter_records([str(path)], EventOptions(chunk_size=64 * 1024), stats))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total == count
    assert peak < size / 8


# --- parallel use --------------------------------------------------------------------------

def _read_in_worker(unit: LocalFile, options: EventOptions) -> tuple[list[dict[str, Any]], EventStats]:
    stats = EventStats()
    return list(read_source(unit, stats, options)), stats


def test_file_units_are_read_in_worker_processes_and_stats_merge(tmp_path: Path) -> None:
    write(tmp_path / "a.json", json.dumps(RECORDS[:3]))
    write(tmp_path / "b.json.gz", jsonl([*RECORDS[3:5], 7]), gz=True)
    options = EventOptions()
    stats = EventStats()
    units = expand_sources([str(tmp_path)], options, stats)
    assert pickle.loads(pickle.dumps(options)).chunk_size == options.chunk_size
    with ProcessPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(_read_in_worker, units, [options] * len(units)))
    records = [record for part, _ in results for record in part]
    for _, worker_stats in results:
        stats.merge(worker_stats)
    assert names(records) == names(RECORDS[:5])
    assert stats.to_dict() == {"read": 5, "skipped": 1, "sources": [str(tmp_path)], "problems": [
        {"source": os.path.join(str(tmp_path), "b.json.gz"), "position": "line 3",
         "reason": "not a JSON object but a number"}]}
