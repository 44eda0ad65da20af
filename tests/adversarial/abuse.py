"""The abuse suite's harness: crafted inputs run through the real command line.

Each case is a *builder* that writes its inputs into a fresh directory and returns the
command line to run there and what a user must see. Every case runs the command line
(``checker.cli.main``, what ``python -m checker`` runs) in a process of its own under
resource limits that are hang and memory detectors, not timings: CPU time and address
space at 20-50 times what a normal run of the demo estate costs, and a wall clock for
what blocks without spending CPU (a FIFO nobody writes to). The process is forked from
one that imported trailcheck once (``zygote.py``), which saves the interpreter start-up.

What every case checks, whatever it feeds in:

* bad input exits 2 with exactly one stderr line naming the file and the place;
  valid input exits 0 or 1 (findings), never 3 (a bug) and never a traceback;
* nothing printed to the terminal (stdout, stderr) carries a control character, so an
  escape sequence planted in an ARN cannot drive the user's terminal;
* every report written is well formed: UTF-8, strict JSON (no ``NaN``, no lone
  surrogates), XML an XML parser accepts, HTML with the planted markup escaped, Markdown
  (the Actions step summary) with no control character and no live link or image
  syntax from the input.

Cases are registered with :func:`case` and run in parallel, one batch per test session
(:func:`run_cases`): the suite stays under a minute on two cores.
"""

from __future__ import annotations

import atexit
import copy
import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
ESTATE = REPO / "examples" / "estate.json"
EVENTS = REPO / "examples" / "events" / "event-history.json"

CPU_LIMIT_SECONDS = 30
"""RLIMIT_CPU: 30 times what ``scan`` of the demo estate with the built-in pack costs
(about 1 s). A runaway loop or a backtracking regex hits it."""
ADDRESS_SPACE_LIMIT = 1 << 30
"""RLIMIT_AS: 1 GiB, about 20 times a normal run's peak resident set (and 4 times the
address space the interpreter reserves); amplification (YAML aliases, gzip bombs,
``/dev/zero``) crosses it long before it hurts the machine."""
WALL_LIMIT_SECONDS = 60
"""Blocking costs no CPU: a FIFO that is never written to is caught by the wall clock."""

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
"""Characters that must never reach a terminal raw: C0/C1 controls (ESC starts ANSI
sequences; ``\\x9b`` is a one-byte CSI), bidi overrides, lone surrogates. Tab and
newline are layout."""

ANSI_PAYLOAD = "\x1b]8;;https://evil.example/\x07click\x1b]8;;\x07\x1b[2J\x1b[31m"
"""A terminal hyperlink, a screen clear and a colour: what an attacker plants in a value."""
MARKDOWN_PAYLOAD = "![pixel](https://evil.example/p.png)[click](https://evil.example/)"
"""An image (a tracking pixel in the step summary) and a link."""
HTML_PAYLOAD = "<script>alert(1)</script>"
LONE_SURROGATE = re.compile("[\ud800-\udfff]")
LIVE_LINK = re.compile(r"(?<!\\)\]\(https://evil\.example")
"""The end of a Markdown link or image to the attacker's site, its bracket not escaped."""


@dataclass(frozen=True)
class Expect:
    """What the user must see: exit 2 naming ``places``, or a valid run's exit code."""

    codes: frozenset[int]
    places: tuple[str, ...] = ()
    stderr_lines: int | None = None  # exactly this many lines (1 for bad input)


def bad_input(*places: str) -> Expect:
    """Exit 2, exactly one stderr line containing every one of ``places``."""
    return Expect(frozenset({2}), places, 1)


def valid(*codes: int, stderr_has: Sequence[str] = ()) -> Expect:
    """A run over valid input: exit 0 or 1 (or the codes given), stderr may hold notes."""
    return Expect(frozenset(codes or (0, 1)), tuple(stderr_has))


@dataclass(frozen=True)
class Case:
    """One crafted run: the arguments after ``python -m checker``, its stdin and expectation.

    ``stdin`` is bytes to feed, ``None`` for an empty pipe, :data:`CLOSED` for a closed
    file descriptor 0 or :data:`TERMINAL` for a pseudo-terminal. ``forbidden`` are
    substrings that must appear in no output. ``check`` runs extra assertions on the
    outcome (e.g. on the report's content); ``env`` adds environment variables.
    """

    args: tuple[str, ...]
    expect: Expect
    stdin: bytes | str | None = None
    forbidden: tuple[str, ...] = ()
    check: Callable[[Outcome], None] | None = None
    env: dict[str, str] = field(default_factory=dict)


CLOSED = "closed"
TERMINAL = "terminal"


@dataclass(frozen=True)
class Outcome:
    """What one run did: exit code (negative: killed by that signal), outputs, its directory."""

    name: str
    case: Case
    directory: Path
    code: int
    out: str
    err: str
    timed_out: bool
    seconds: float

    def reports(self) -> dict[str, Path]:
        """Report files written, by name."""
        out = self.directory / "out"
        return {p.name: p for p in sorted(out.iterdir())} if out.is_dir() else {}

    def findings(self) -> dict[str, Any]:
        """The strict-parsed ``findings.json``."""
        path = self.reports()["findings.json"]
        data: dict[str, Any] = strict_json(path.read_bytes(), str(path))
        return data


Builder = Callable[[Path], Case]
CASES: dict[str, tuple[str, Builder]] = {}


def case(name: str) -> Callable[[Builder], Builder]:
    """Register a builder under ``name``; the module that defines it lists its own cases."""

    def register(builder: Builder) -> Builder:
        if name in CASES:
            raise ValueError(f"case {name} is defined twice")
        CASES[name] = (builder.__module__, builder)
        return builder

    return register


def cases_of(module: str) -> list[str]:
    """The names of the cases a test module registered, in definition order."""
    return [name for name, (owner, _) in CASES.items() if owner == module]


# -- inputs ---------------------------------------------------------------------------------

def estate() -> dict[str, Any]:
    """A fresh copy of the demo estate (every case may change it)."""
    return copy.deepcopy(_ESTATE)


_ESTATE: dict[str, Any] = json.loads(ESTATE.read_text(encoding="utf-8"))


def write_json(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, indent=1), encoding="utf-8")
    return path


def write_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def record(**fields: Any) -> dict[str, Any]:
    """A CloudTrail record that the built-in ``cloudtrail-tampering`` rule matches."""
    base: dict[str, Any] = {
        "eventVersion": "1.11", "eventTime": "2026-11-19T08:07:00Z",
        "eventSource": "cloudtrail.amazonaws.com", "eventName": "StopLogging",
        "awsRegion": "us-east-1", "recipientAccountId": "111111111111", "readOnly": False,
        "eventCategory": "Management", "managementEvent": True,
        "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111111111111:user/mallory",
                         "accountId": "111111111111"},
        "requestParameters": {"name": "org-trail"},
    }
    base.update(fields)
    return base


ALL_FORMATS = "table,json,sarif,junit,html,md,csv"
TRAIL_RULES = ("--rules", "log-file-validation,trail-logging,trail-delivery-healthy")
"""Rules that judge every trail: enough to carry a trail's values into every report, at a
fraction of the built-in pack's cost (the control case runs the whole pack)."""


def scan_args(directory: Path, *args: str) -> tuple[str, ...]:
    """``scan`` writing every format into ``directory/out``."""
    return ("scan", "--format", ALL_FORMATS, "--output-dir", str(directory / "out"), *args)


# -- running --------------------------------------------------------------------------------

def child_environment(directory: Path) -> dict[str, str]:
    """No AWS access, thread arenas capped (they reserve address space), a step summary file."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "GITHUB_"))}
    env.update({"MALLOC_ARENA_MAX": "2", "AWS_EC2_METADATA_DISABLED": "true",
                "AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "PYTHONIOENCODING": "utf-8",
                "GITHUB_STEP_SUMMARY": str(directory / "step-summary.md"), "COLUMNS": "200"})
    return env


class Zygote:
    """A ``zygote.py`` process: trailcheck imported once, one forked child per run."""

    def __init__(self) -> None:
        request_read, self._request = os.pipe()
        self._answer, answer_write = os.pipe()
        env = {**os.environ, "MALLOC_ARENA_MAX": "2", "AWS_EC2_METADATA_DISABLED": "true"}
        self._process = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("zygote.py")), str(request_read), str(answer_write)],
            pass_fds=(request_read, answer_write), stdin=subprocess.DEVNULL, env=env, cwd=REPO)
        os.close(request_read)
        os.close(answer_write)
        self._requests = os.fdopen(self._request, "w", encoding="utf-8")
        self._answers = os.fdopen(self._answer, "r", encoding="utf-8")

    def run(self, args: Sequence[str], directory: Path, stdin: str | None,
            env: Mapping[str, str]) -> tuple[int, bool]:
        """Run the command line in a child under the limits; (exit code, killed by the wall clock)."""
        request = {"args": list(args), "cwd": str(directory), "env": dict(env), "stdin": stdin,
                   "cpu": CPU_LIMIT_SECONDS, "memory": ADDRESS_SPACE_LIMIT, "wall": WALL_LIMIT_SECONDS}
        self._requests.write(json.dumps(request) + "\n")
        self._requests.flush()
        answer = json.loads(self._answers.readline())
        return int(answer["code"]), bool(answer["timed_out"])

    def close(self) -> None:
        self._requests.close()
        self._process.wait(timeout=30)
        self._answers.close()


_ZYGOTES: queue.Queue[Zygote] = queue.Queue()
_ALL_ZYGOTES: list[Zygote] = []
_ZYGOTE_LOCK = threading.Lock()


def _take_zygote() -> Zygote:
    try:
        return _ZYGOTES.get_nowait()
    except queue.Empty:
        with _ZYGOTE_LOCK:
            zygote = Zygote()
            _ALL_ZYGOTES.append(zygote)
            return zygote


@atexit.register
def _close_zygotes() -> None:
    for zygote in _ALL_ZYGOTES:
        zygote.close()


def run_checker(args: Sequence[str], directory: Path, stdin: bytes | str | None = None,
                env: Mapping[str, str] | None = None) -> tuple[int, str, str, bool]:
    """Run the command line (as ``python -m checker ARGS``) in ``directory`` under the limits;
    (code, out, err, timed out). See ``zygote.py`` for how the child is made."""
    if stdin in (CLOSED, TERMINAL):
        source: str | None = str(stdin)
    elif stdin is None:
        source = None
    else:
        source = str(directory / "stdin.bin")
        Path(source).write_bytes(stdin.encode() if isinstance(stdin, str) else stdin)
    zygote = _take_zygote()
    try:
        code, timed_out = zygote.run(args, directory, source, {**child_environment(directory), **(env or {})})
    finally:
        _ZYGOTES.put(zygote)
    out, err = ((directory / name).read_bytes().decode("utf-8", "backslashreplace")
                for name in ("stdout.txt", "stderr.txt"))
    return code, out, err, timed_out


def run_case(name: str, root: Path) -> Outcome:
    """Build the case ``name`` in ``root/name`` and run it."""
    directory = root / name
    directory.mkdir(parents=True)
    built = CASES[name][1](directory)
    started = time.monotonic()
    code, out, err, timed_out = run_checker(built.args, directory, built.stdin, built.env)
    return Outcome(name, built, directory, code, out, err, timed_out, time.monotonic() - started)


def run_cases(names: Iterable[str], root: Path) -> dict[str, Outcome | BaseException]:
    """Build and run the named cases, as many at once as there are CPUs; a case whose
    building fails gives its exception, raised again by the test that asks for it."""
    def one(name: str) -> Outcome | BaseException:
        try:
            return run_case(name, root)
        except Exception as exc:  # reported by that case's test, not by every test
            return exc

    wanted = list(names)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        return dict(zip(wanted, pool.map(one, wanted), strict=True))


# -- checking -------------------------------------------------------------------------------

class NotStrictJson(ValueError):
    """A report that a strict JSON parser would refuse."""


def _refuse_constant(name: str) -> Any:
    raise NotStrictJson(f"{name} is not JSON")


def strict_json(raw: bytes, where: str) -> Any:
    """Parse as RFC 8259 / I-JSON: UTF-8, no NaN/Infinity, no duplicate keys, no lone surrogates."""
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _ in items]
        if len(set(keys)) != len(keys):
            raise NotStrictJson(f"{where}: duplicate key")
        return dict(items)

    text = raw.decode("utf-8")  # strict: lone surrogates cannot be encoded in UTF-8
    data = json.loads(text, parse_constant=_refuse_constant, object_pairs_hook=pairs)
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if LONE_SURROGATE.search(value):
                raise NotStrictJson(f"{where}: lone surrogate in {value!r}")
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return data


def check_outcome(outcome: Outcome) -> None:
    """Every assertion the suite makes about one run (see the module docstring)."""
    label = f"{outcome.name}: exit {outcome.code}\n--- stderr ---\n{outcome.err[-3000:]}"
    assert not outcome.timed_out, f"{label}\nhung: still running after {WALL_LIMIT_SECONDS} s"
    assert outcome.code >= 0, f"{label}\nkilled by signal {-outcome.code} (CPU or memory limit)"
    assert "Traceback" not in outcome.err, label
    assert "MemoryError" not in outcome.err and "RecursionError" not in outcome.err, label
    expect = outcome.case.expect
    assert outcome.code in expect.codes, label
    lines = outcome.err.splitlines()
    if expect.stderr_lines is not None:
        assert len(lines) == expect.stderr_lines, label
    for place in expect.places:
        assert any(place in line for line in lines), f"{label}\nexpected {place!r} on stderr"
    for stream, text in (("stdout", outcome.out), ("stderr", outcome.err)):
        found = CONTROL.search(text)
        assert found is None, f"{label}\n{stream} carries the control character {found.group()!r}"
    for name, path in outcome.reports().items():
        check_report(name, path)
    summary = outcome.directory / "step-summary.md"
    outputs = {"stdout": outcome.out, "stderr": outcome.err}
    if summary.exists():
        outputs["step summary"] = summary.read_text(encoding="utf-8")
        check_markdown("step summary", outputs["step summary"])
    for name, path in outcome.reports().items():
        outputs[name] = path.read_text(encoding="utf-8")
    for forbidden in outcome.case.forbidden:
        for where, text in outputs.items():
            assert forbidden not in text, f"{outcome.name}: {forbidden!r} reached the {where}"
    if outcome.case.check is not None:
        outcome.case.check(outcome)


def check_report(name: str, path: Path) -> None:
    raw = path.read_bytes()
    if name.endswith((".json", ".sarif")):
        strict_json(raw, str(path))
    elif name.endswith(".xml"):
        ElementTree.fromstring(raw)
    elif name.endswith(".html"):
        text = raw.decode("utf-8")
        assert HTML_PAYLOAD not in text, f"{path}: markup from the input is live"
    elif name.endswith(".md"):
        check_markdown(str(path), raw.decode("utf-8"))
    else:
        raw.decode("utf-8")


def check_markdown(where: str, text: str) -> None:
    """No control characters and no link or image syntax that came from the input."""
    assert not CONTROL.search(text), f"{where}: raw control character"
    assert not LIVE_LINK.search(text), f"{where}: a link or image from the input is live"


@dataclass
class Batch:
    """The outcomes of one session's selected cases, all run together on first use."""

    root: Path
    names: list[str] = field(default_factory=list)
    done: dict[str, Outcome | BaseException] = field(default_factory=dict)

    def outcome(self, name: str) -> Outcome:
        if name not in self.done:
            pending = [n for n in dict.fromkeys([*self.names, name]) if n not in self.done]
            self.done.update(run_cases(pending, self.root))
        result = self.done[name]
        if isinstance(result, BaseException):
            raise result
        return result
