"""Time: inputs that block or backtrack forever.

A FIFO, a socket or a device named as an input is refused with what it is; inside an
events folder it is skipped and counted. ``--events -`` needs records on standard input,
so a closed stdin or a terminal is bad input. Regexes in user rules run in linear time.
"""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest

from tests.adversarial.abuse import (
    CLOSED,
    TERMINAL,
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


def fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


@case("fifo-snapshot")
def _fifo_snapshot(d: Path) -> Case:
    snap = fifo(d / "snap.json")
    return Case(scan_args(d, "--snapshot", str(snap)), bad_input(str(snap), "FIFO"))


@case("fifo-policy-file")
def _fifo_policy(d: Path) -> Case:
    path = fifo(d / "p.yaml")
    return Case(("validate", str(path)), bad_input(str(path), "FIFO"))


@case("fifo-waivers")
def _fifo_waivers(d: Path) -> Case:
    snap = write_json(d / "snap.json", estate())
    path = fifo(d / "waivers.yaml")
    return Case(scan_args(d, "--snapshot", str(snap), "--waivers", str(path)), bad_input(str(path), "FIFO"))


@case("fifo-baseline")
def _fifo_baseline(d: Path) -> Case:
    snap = write_json(d / "snap.json", estate())
    path = fifo(d / "old.json")
    return Case(scan_args(d, "--snapshot", str(snap), "--baseline", str(path)), bad_input(str(path), "FIFO"))


@case("fifo-explain-record")
def _fifo_explain(d: Path) -> Case:
    snap = write_json(d / "snap.json", estate())
    path = fifo(d / "event.json")
    return Case(("explain", "--snapshot", str(snap), str(path)), bad_input(str(path), "FIFO"))


@case("fifo-events-file")
def _fifo_events(d: Path) -> Case:
    path = fifo(d / "log.json")
    return Case(scan_args(d, "--events", str(path)), bad_input(str(path), "FIFO"))


def one_skipped(outcome: Outcome) -> None:
    events = outcome.findings()["inputs"]["events"]
    assert events["read"] == 1 and events["skipped"] == 1, events


@case("fifo-inside-events-folder")
def _fifo_in_folder(d: Path) -> Case:
    folder = d / "logs"
    folder.mkdir()
    write_json(folder / "a.json", {"Records": [record()]})
    fifo(folder / "b.json")
    return Case(scan_args(d, "--events", str(folder), "--rules", "cloudtrail-tampering"),
                valid(stderr_has=["b.json", "FIFO"]), check=one_skipped)


@case("socket-inside-events-folder")
def _socket_in_folder(d: Path) -> Case:
    folder = d / "logs"
    folder.mkdir()
    write_json(folder / "a.json", {"Records": [record()]})
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(folder / "s.json"))
    return Case(scan_args(d, "--events", str(folder), "--rules", "cloudtrail-tampering"),
                valid(stderr_has=["s.json", "socket"]), check=one_skipped)


@case("socket-snapshot")
def _socket_snapshot(d: Path) -> Case:
    path = d / "snap.json"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
    return Case(scan_args(d, "--snapshot", str(path)), bad_input(str(path), "socket"))


@case("directory-as-snapshot")
def _directory_snapshot(d: Path) -> Case:
    return Case(scan_args(d, "--snapshot", str(d)), bad_input(str(d), "directory"))


@case("events-stdin-closed")
def _stdin_closed(d: Path) -> Case:
    return Case(scan_args(d, "--events", "-"), bad_input("-", "standard input"), stdin=CLOSED)


@case("events-stdin-terminal")
def _stdin_terminal(d: Path) -> Case:
    return Case(scan_args(d, "--events", "-"), bad_input("-", "terminal"), stdin=TERMINAL)


@case("events-stdin-records")
def _stdin_records(d: Path) -> Case:
    return Case(scan_args(d, "--events", "-", "--rules", "cloudtrail-tampering"), valid(1),
                stdin=json.dumps({"Records": [record()]}))


@case("explain-stdin-closed")
def _explain_closed(d: Path) -> Case:
    snap = write_json(d / "snap.json", estate())
    return Case(("explain", "--snapshot", str(snap), "-"), bad_input("stdin", "standard input"), stdin=CLOSED)


@case("regex-catastrophic-backtracking")
def _regex(d: Path) -> Case:
    """``(a+)+$`` against 5,000 a's and a b: exponential for a backtracking engine."""
    rules = write_text(d / "r.yaml", "rules:\n  - id: redos\n    title: ReDoS\n    severity: low\n    scope: event\n"
                       "    match:\n      eventName: StopLogging\n      userAgent: {regex: '(a+)+$'}\n")
    log = write_json(d / "log.json", {"Records": [record(userAgent="a" * 5000 + "b")] * 20})
    return Case(scan_args(d, "--events", str(log), "--no-builtin", "--policies", str(rules)), valid())


@pytest.mark.parametrize("name", cases_of(__name__))
def test_case(name: str, batch: Batch) -> None:
    check_outcome(batch.outcome(name))
