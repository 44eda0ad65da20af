"""Numbers and time: epochs out of range, calendar edges, huge integers, NaN and Infinity.

A number the format does not allow is bad input naming the JSON path or line (exit 2);
in an event record it costs that record only (skipped and counted). Nothing a number can
do reaches a report as ``NaN`` or ``Infinity``, which are not JSON.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from tests.adversarial.abuse import (
    EVENTS,
    TRAIL_RULES,
    Batch,
    Case,
    Outcome,
    bad_input,
    case,
    cases_of,
    check_outcome,
    estate,
    record,
    scan_args,
    valid,
    write_json,
    write_text,
)

STATUS = "$.accounts[0].trails[0].Status"
HUGE_DIGITS = "9" * 5000
"""Beyond Python's int-string conversion limit (4,300 digits)."""


def delivery(directory: Path, value: Any) -> Path:
    """The demo estate with the first trail's ``LatestDeliveryTime`` set to ``value``."""
    data = estate()
    data["accounts"][0]["trails"][0]["Status"]["LatestDeliveryTime"] = value
    return write_json(directory / "snap.json", data)


def raw_delivery(directory: Path, literal: str) -> Path:
    """As :func:`delivery`, with ``literal`` pasted verbatim into the JSON text."""
    path = delivery(directory, "PLACEHOLDER")
    path.write_text(path.read_text(encoding="utf-8").replace('"PLACEHOLDER"', literal), encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    """The 1-based line of the first occurrence of ``needle`` in ``path``."""
    text = path.read_text(encoding="utf-8")
    return text[:text.index(needle)].count("\n") + 1


@case("epoch-huge")
def _epoch_huge(d: Path) -> Case:
    snap = delivery(d, 1e20)
    return Case(scan_args(d, "--snapshot", str(snap)), bad_input(str(snap), f"{STATUS}.LatestDeliveryTime"))


@case("epoch-negative")
def _epoch_negative(d: Path) -> Case:
    snap = delivery(d, -1e15)
    return Case(scan_args(d, "--snapshot", str(snap)), bad_input(str(snap), f"{STATUS}.LatestDeliveryTime"))


@case("epoch-4000-digits")
def _epoch_4000_digits(d: Path) -> Case:
    snap = raw_delivery(d, "9" * 4000)
    return Case(scan_args(d, "--snapshot", str(snap)), bad_input(str(snap), f"{STATUS}.LatestDeliveryTime"))


@case("epoch-infinity-literal")
def _epoch_infinity(d: Path) -> Case:
    snap = raw_delivery(d, "-Infinity")
    line = line_of(snap, "-Infinity")
    return Case(scan_args(d, "--snapshot", str(snap)), bad_input(f"{snap}:{line}:", "Infinity"))


@case("epoch-1e999")
def _epoch_1e999(d: Path) -> Case:
    snap = raw_delivery(d, "1e999")
    line = line_of(snap, "1e999")
    return Case(scan_args(d, "--snapshot", str(snap)), bad_input(f"{snap}:{line}:", "out of range"))


@case("nan-in-snapshot")
def _nan_in_snapshot(d: Path) -> Case:
    snap = raw_delivery(d, "NaN")
    line = line_of(snap, "NaN")
    return Case(scan_args(d, "--snapshot", str(snap)), bad_input(f"{snap}:{line}:", "NaN"))


@case("integer-5000-digits-in-snapshot")
def _integer_in_snapshot(d: Path) -> Case:
    snap = raw_delivery(d, HUGE_DIGITS)
    line = line_of(snap, HUGE_DIGITS)
    return Case(scan_args(d, "--snapshot", str(snap)), bad_input(f"{snap}:{line}:", "5,000 digits"))


@case("integer-5000-digits-in-baseline")
def _integer_in_baseline(d: Path) -> Case:
    baseline = write_text(d / "old.json", '{"format": "trailcheck.findings/v1", "findings": [], "n": '
                          + HUGE_DIGITS + "}")
    return Case(("diff", str(baseline), str(baseline)), bad_input(f"{baseline}:1:", "5,000 digits"))


@pytest.mark.parametrize("moment", ["9999-12-31T23:30:00-01:00", "0001-01-01T00:30:00+01:00",
                                    "2026-02-30T00:00:00Z", "2026-13-01T00:00:00Z"])
def test_calendar_edge_is_bad_input(moment: str, tmp_path: Path) -> None:
    """Dates that do not exist, or leave the calendar once moved to UTC (checked in-process)."""
    from checker.errors import InputError
    from checker.inputs.snapshot import load_snapshot

    snap = delivery(tmp_path, moment)
    with pytest.raises(InputError) as raised:
        load_snapshot(snap)
    assert f"{STATUS}.LatestDeliveryTime" in str(raised.value)


@case("calendar-last-second")
def _calendar_last_second(d: Path) -> Case:
    data = estate()
    data["collected_at"] = "9999-12-31T23:59:59Z"
    data["accounts"][0]["trails"][0]["Status"]["LatestDeliveryTime"] = "9999-12-31T23:59:59Z"
    snap = write_json(d / "snap.json", data)
    return Case(scan_args(d, "--snapshot", str(snap), *TRAIL_RULES), valid())


@case("calendar-first-second")
def _calendar_first_second(d: Path) -> Case:
    data = estate()
    data["accounts"][0]["trails"][0]["Status"]["LatestDeliveryTime"] = "0001-01-01T00:00:00Z"
    data["accounts"][0]["trails"][0]["Status"]["StartLoggingTime"] = 0
    snap = write_json(d / "snap.json", data)
    return Case(scan_args(d, "--snapshot", str(snap), *TRAIL_RULES), valid())


def skipped_one(outcome: Outcome) -> None:
    """One bad record skipped and counted, the good one still read and judged."""
    events = outcome.findings()["inputs"]["events"]
    assert events["read"] >= 1 and events["skipped"] == 1, events
    assert any(f["rule_id"] == "cloudtrail-tampering" for f in outcome.findings()["findings"])


def events_case(d: Path, name: str, text: str) -> Case:
    path = write_text(d / name, text)
    return Case(scan_args(d, "--events", str(path), "--rules", "cloudtrail-tampering"),
                valid(stderr_has=["skipped"]), check=skipped_one)


@case("integer-5000-digits-in-record")
def _integer_in_record(d: Path) -> Case:
    bad = json.dumps(record(requestParameters={"n": 0})).replace('"n": 0', f'"n": {HUGE_DIGITS}')
    return events_case(d, "log.json", '{"Records": [' + bad + ", " + json.dumps(record()) + "]}")


@case("integer-5000-digits-in-jsonl")
def _integer_in_jsonl(d: Path) -> Case:
    bad = json.dumps(record(requestParameters={"n": 0})).replace('"n": 0', f'"n": {HUGE_DIGITS}')
    return events_case(d, "log.jsonl", bad + "\n" + json.dumps(record()) + "\n")


@case("integer-5000-digits-in-lookup-event")
def _integer_in_lookup(d: Path) -> Case:
    bad = json.dumps(record(requestParameters={"n": 0})).replace('"n": 0', f'"n": {HUGE_DIGITS}')
    page = {"Events": [{"CloudTrailEvent": bad}, {"CloudTrailEvent": json.dumps(record())}]}
    return events_case(d, "lookup.json", json.dumps(page))


@case("nan-in-record")
def _nan_in_record(d: Path) -> Case:
    bad = json.dumps(record(requestParameters={"n": 0})).replace('"n": 0', '"n": NaN')
    return events_case(d, "log.json", '{"Records": [' + bad + ", " + json.dumps(record()) + "]}")


@case("infinity-in-gzipped-record")
def _infinity_in_record(d: Path) -> Case:
    bad = json.dumps(record(requestParameters={"n": 0})).replace('"n": 0', '"n": -Infinity')
    path = d / "log.json.gz"
    path.write_bytes(gzip.compress(('{"Records": [' + bad + ", " + json.dumps(record()) + "]}").encode()))
    return Case(scan_args(d, "--events", str(path), "--rules", "cloudtrail-tampering"),
                valid(stderr_has=["skipped"]), check=skipped_one)


@case("event-time-out-of-range")
def _event_time(d: Path) -> Case:
    times: list[Any] = [1e300, "99999-01-01T00:00:00Z", -5, None, "", []]
    records = [record(eventTime=value) for value in times]
    path = write_json(d / "log.json", {"Records": records})
    return Case(scan_args(d, "--events", str(path)), valid())


@case("param-nan")
def _param_nan(d: Path) -> Case:
    return Case(scan_args(d, "--snapshot", str(write_json(d / "s.json", estate())),
                          "--param", "trail-delivery-healthy.max_delivery_age_hours=.nan"),
                bad_input("--param", "max_delivery_age_hours"))


@case("param-5000-digits")
def _param_digits(d: Path) -> Case:
    return Case(scan_args(d, "--snapshot", str(write_json(d / "s.json", estate())),
                          "--param", f"trail-delivery-healthy.max_delivery_age_hours={HUGE_DIGITS}"),
                bad_input("--param", "max_delivery_age_hours"))


@case("explain-record-with-nan")
def _explain_nan(d: Path) -> Case:
    snap = write_json(d / "s.json", estate())
    event = write_text(d / "e.json", json.dumps(record()).replace('"readOnly": false', '"readOnly": NaN'))
    return Case(("explain", "--snapshot", str(snap), str(event)), bad_input(str(event), "line 1", "NaN"))


@case("demo-events-valid")
def _demo_events(d: Path) -> Case:
    """The control: the demo events through every format."""
    return Case(scan_args(d, "--snapshot", str(write_json(d / "s.json", estate())), "--events", str(EVENTS)),
                valid())


@pytest.mark.parametrize("name", cases_of(__name__))
def test_case(name: str, batch: Batch) -> None:
    check_outcome(batch.outcome(name))
