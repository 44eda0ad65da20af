"""From ``--events`` specs to records: expansion into units of work, and reading them.

:func:`expand_sources` turns the specs into a deterministic list of units (local files,
stdin, S3 objects, LookupEvents regions); :func:`read_source` reads one unit and can run
in a worker process for local files, with its own
:class:`EventStats` merged back afterwards; :func:`iter_records` does it all in order in
this process.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Iterator

from checker.errors import InputError
from checker.inputs.events.files import check_stdin, expand_path, read_local_file, read_stdin
from checker.inputs.events.interface import (
    EventOptions,
    EventSource,
    LocalFile,
    LookupRegion,
    Record,
    S3Object,
    StandardInput,
)
from checker.inputs.events.lookup import SPEC_WORD, expand_lookup, read_lookup
from checker.inputs.events.s3 import SCHEME, expand_s3, read_s3_object
from checker.inputs.events.stats import EventStats
from checker.typing_compat import assert_never

STDIN_SPEC = "-"


def expand_sources(specs: Iterable[str], options: EventOptions, stats: EventStats) -> list[EventSource]:
    """The units to read, in spec order, each file or object once.

    Raises :class:`~checker.errors.InputError` for a path that does not exist, a malformed
    or missing S3 bucket, or ``lookup`` with no region. S3 listings happen here; skipped
    digest files and listing problems go to ``stats``, which also records the specs.
    """
    units: list[EventSource] = []
    seen: set[str] = set()
    for spec in specs:
        stats.add_source(spec)
        for unit in _expand(spec, options, stats):
            if unit.identity not in seen:
                seen.add(unit.identity)
                units.append(unit)
    return units


def read_source(unit: EventSource, stats: EventStats, options: EventOptions) -> Iterator[Record]:
    """The records of one unit, at most ``options.max_events``; problems go to ``stats``."""
    if isinstance(unit, LocalFile):
        records = read_local_file(unit, stats, options)
    elif isinstance(unit, S3Object):
        records = read_s3_object(unit, stats, options)
    elif isinstance(unit, LookupRegion):
        records = read_lookup(unit, stats, options)
    elif isinstance(unit, StandardInput):
        records = read_stdin(unit, stats, options)
    else:
        assert_never(unit)
    return _at_most(records, options.max_events)


def iter_records(specs: Iterable[str], options: EventOptions, stats: EventStats) -> Iterator[Record]:
    """Every record of every spec, sequentially, stopping after ``options.max_events``.

    The specs are expanded now (so a bad spec raises here); the records are read lazily.
    """
    units = expand_sources(specs, options, stats)
    return _at_most(_read_all(units, stats, options), options.max_events)


def read_single_record(spec: str, options: EventOptions) -> Record:
    """The one CloudTrail record in a file, a directory or stdin (``-``), in any form
    ``--events`` accepts; anything else is an :class:`~checker.errors.InputError`.

    ``explain`` reads its record here, so it sees a record exactly as ``scan --events``
    does (a LookupEvents item's ``ReadOnly``, for one, fills in a missing ``readOnly``).
    Reading stops at a second record: the input is already wrong then.
    """
    stats = EventStats()
    if spec == STDIN_SPEC:
        check_stdin("<stdin>", terminal_ok=True)  # a record may be pasted at a terminal
    units: list[EventSource] = [StandardInput(spec)] if spec == STDIN_SPEC else list(expand_path(spec, stats))
    found = list(_at_most(_read_all(units, stats, options), 2))
    if stats.problems:
        problem = stats.problems[0]
        raise InputError(f"{problem['source']}: {problem['position']}", problem["reason"])
    label = units[0].label if len(units) == 1 else spec
    if not found:
        raise InputError(label, "expected one CloudTrail record, found none")
    if len(found) > 1:
        raise InputError(label, "expected one CloudTrail record, found more than one")
    return found[0]


def _read_all(units: list[EventSource], stats: EventStats, options: EventOptions) -> Iterator[Record]:
    for unit in units:
        yield from read_source(unit, stats, options)


def _expand(spec: str, options: EventOptions, stats: EventStats) -> list[EventSource]:
    if spec == STDIN_SPEC:
        check_stdin(f"--events {spec}", terminal_ok=False)
        return [StandardInput(spec)]
    if spec == SPEC_WORD:
        return list(expand_lookup(spec, options))
    if spec.startswith(SCHEME):
        return list(expand_s3(spec, options, stats))
    return list(expand_path(spec, stats))


def _at_most(records: Iterator[Record], limit: int | None) -> Iterator[Record]:
    """Stop after ``limit`` records without pulling one more (which would count it as read)."""
    if limit is None:
        yield from records
        return
    try:
        for count, record in enumerate(records, start=1):
            yield record
            if count >= limit:
                return
    finally:
        if isinstance(records, Generator):
            records.close()  # release the open file or HTTP body now, not at garbage collection
