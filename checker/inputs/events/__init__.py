"""Streaming readers of sampled CloudTrail events (``scan --events``).

``--events`` specs — files, directories, ``-``, ``s3://bucket/prefix``, ``lookup`` — give
records in any delivery form (log files, arrays, JSON Lines, LookupEvents responses,
EventBridge envelopes, bare records; gzip or not), read one at a time in bounded memory.
Problems with the inputs are counted and described in :class:`EventStats` (the report's
``inputs.events``) and never stop the run; only a spec that cannot be right (a missing
path or bucket) raises :class:`~checker.errors.InputError`.

The package holds the options and statistics, which every scan builds; the readers are
imported from :mod:`checker.inputs.events.sources` by what reads events, so that a scan
without ``--events`` does not load them (botocore, S3, gzip: ~20 ms of start-up).

Sequential use (``iter_records`` from :mod:`~checker.inputs.events.sources`)::

    stats = EventStats()
    for record in iter_records(specs, EventOptions(since=..., max_events=...), stats):
        ...
    report_inputs["events"] = stats.to_dict()

Parallel use: ``expand_sources`` then ``read_source`` per unit (in workers for local
files, each with a fresh ``EventStats``), then ``stats.merge``.
"""

from checker.inputs.events.interface import (
    EventOptions,
    EventSource,
    LocalFile,
    LookupRegion,
    Record,
    S3Object,
    StandardInput,
    parse_since,
)
from checker.inputs.events.stats import EventStats

__all__ = [
    "EventOptions",
    "EventSource",
    "EventStats",
    "LocalFile",
    "LookupRegion",
    "Record",
    "S3Object",
    "StandardInput",
    "parse_since",
]
