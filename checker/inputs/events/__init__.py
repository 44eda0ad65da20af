"""Streaming readers of sampled CloudTrail events (``scan --events``).

``--events`` specs — files, directories, ``-``, ``s3://bucket/prefix``, ``lookup`` — give
records in any delivery form (log files, arrays, JSON Lines, LookupEvents responses,
EventBridge envelopes, bare records; gzip or not), read one at a time in bounded memory.
Problems with the inputs are counted and described in :class:`EventStats` (the report's
``inputs.events``) and never stop the run; only a spec that cannot be right (a missing
path or bucket) raises :class:`~checker.errors.InputError`.

Sequential use::

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
from checker.inputs.events.lookup import RateLimiter
from checker.inputs.events.sources import expand_sources, iter_records, read_single_record, read_source
from checker.inputs.events.stats import EventStats

__all__ = [
    "EventOptions",
    "EventSource",
    "EventStats",
    "LocalFile",
    "LookupRegion",
    "RateLimiter",
    "Record",
    "S3Object",
    "StandardInput",
    "expand_sources",
    "iter_records",
    "parse_since",
    "read_single_record",
    "read_source",
]
