"""What the event readers are given: the options that bound a run and the units of work.

A user's ``--events`` specs (paths, ``-``, ``s3://bucket/prefix``, ``lookup``) expand into
small frozen *units* (one local file, stdin, one S3 object, one region of LookupEvents).
Units are plain data, so that a scan can hand local-file units to worker processes
(the others need clients or this process's stdin).
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, TypeAlias

from checker.errors import InputError
from checker.inputs.clients import ClientFactory, ClientSettings

Record = dict[str, Any]
"""One CloudTrail record, as AWS wrote it."""

ClientProvider = Callable[[str, "str | None"], Any]
"""``(service, region) -> boto3 client``; injectable so tests can pass stubbed clients."""

EVENT_FILE_SUFFIXES = (".json", ".jsonl", ".ndjson")
"""Names picked up inside directories and S3 prefixes (each optionally followed by ``.gz``)."""

LINE_FORMAT_SUFFIXES = (".jsonl", ".ndjson")


def strip_gz(name: str) -> str:
    """The name without a trailing ``.gz``, lower-cased, for suffix checks."""
    lowered = name.lower()
    return lowered[:-3] if lowered.endswith(".gz") else lowered


def is_event_file_name(name: str) -> bool:
    """Whether a file found while walking a directory or prefix should be read as events."""
    return strip_gz(name).endswith(EVENT_FILE_SUFFIXES)


def is_line_format_name(name: str) -> bool:
    """JSON Lines files are read line by line, so one bad line costs only that line."""
    return strip_gz(name).endswith(LINE_FORMAT_SUFFIXES)


def is_digest_path(path: str) -> bool:
    """A CloudTrail digest file by its place in the trail layout (``CloudTrail-Digest/``)."""
    parts = path.replace(os.sep, "/").split("/")
    return "CloudTrail-Digest" in parts[:-1] or "_CloudTrail-Digest_" in parts[-1]


_RELATIVE = re.compile(r"(\d+)([mhd])")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """``--since``: an ISO 8601 date or time (UTC unless it says otherwise) or an age
    such as ``90m``, ``24h``, ``7d`` counted back from ``now``."""
    relative = _RELATIVE.fullmatch(text.strip())
    if relative:
        age = timedelta(**{_UNITS[relative.group(2)]: int(relative.group(1))})
        return (now or datetime.now(timezone.utc)) - age
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InputError("--since", f"{text!r} is neither an ISO 8601 time nor an age like 24h or 7d") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@dataclass
class EventOptions:
    """Bounds and plumbing for one run of the readers.

    ``since`` bounds S3 listings (by the timestamp in each key) and is LookupEvents'
    ``StartTime``; local files are read whole. ``max_files`` caps each ``s3://`` source
    (newest files first); ``max_events`` caps the records yielded overall. ``regions`` are
    the regions ``lookup`` queries (default: the credential chain's region).
    ``clients``, ``clock`` and ``sleep`` are injectable for tests.
    """

    since: datetime | None = None
    max_files: int | None = None
    max_events: int | None = None
    regions: tuple[str, ...] = ()
    profile: str | None = None
    chunk_size: int = 1 << 20
    max_value_size: int = 32 << 20
    lookup_rate: float = 2.0
    clients: ClientProvider | None = None
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _default_clients: ClientFactory = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for option, value in (("--max-files", self.max_files), ("--max-events", self.max_events)):
            if value is not None and value < 1:
                raise InputError(option, f"must be a positive integer, got {value}")
        if self.chunk_size < 1 or self.max_value_size < self.chunk_size:
            raise InputError("event reader", "chunk_size must be positive and at most max_value_size")
        if self.since is not None and self.since.tzinfo is None:
            self.since = self.since.replace(tzinfo=timezone.utc)
        self._default_clients = ClientFactory(ClientSettings(profile=self.profile))

    def client(self, service: str, region: str | None) -> Any:
        """A client from the injected provider, or a shared default-chain boto3 client."""
        if self.clients is not None:
            return self.clients(service, region)
        return self._default_clients.client(service, region)

    def default_region(self) -> str | None:
        """The region the credential chain configures (``AWS_REGION``, the profile), if any."""
        return self._default_clients.configured_region


@dataclass(frozen=True)
class LocalFile:
    """One file on disk; ``spec`` is the ``--events`` value it came from."""

    spec: str
    path: str

    @property
    def label(self) -> str:
        return self.path

    @property
    def identity(self) -> str:
        return "file:" + os.path.realpath(self.path)


@dataclass(frozen=True)
class StandardInput:
    """The process's stdin (``-``): read once, in the main process."""

    spec: str = "-"

    @property
    def label(self) -> str:
        return "<stdin>"

    @property
    def identity(self) -> str:
        return "stdin"


@dataclass(frozen=True)
class S3Object:
    """One log file in a trail bucket."""

    spec: str
    bucket: str
    key: str

    @property
    def label(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    @property
    def identity(self) -> str:
        return self.label


@dataclass(frozen=True)
class LookupRegion:
    """LookupEvents in one region; stays in the main process so one rate limiter governs it."""

    spec: str
    region: str
    start_time: datetime | None

    @property
    def label(self) -> str:
        return f"lookup:{self.region}"

    @property
    def identity(self) -> str:
        return self.label


EventSource: TypeAlias = "LocalFile | StandardInput | S3Object | LookupRegion"
