"""``s3://bucket/prefix``: the log files a trail delivered, newest first.

Keys follow the layout CloudTrail delivers to::

    <prefix>/AWSLogs/[<o-id>/]<account>/CloudTrail[-Insight|-Digest]/<region>/YYYY/MM/DD/
        <account>_CloudTrail_<region>_<YYYYMMDDTHHmmZ>_<random>.json.gz

With ``--since`` the listing descends the layout folder by folder and never lists a
YYYY/MM/DD folder that ends before ``since``, so a scan of the last day costs a few
calls even on a bucket with years of logs. Without it, one flat paginated listing is
cheaper. Files are ordered by the timestamp in their name (``LastModified`` for keys
outside the layout), capped by ``--max-files``, and read as streams.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from checker.errors import InputError
from checker.inputs.events.interface import (
    EventOptions,
    Record,
    S3Object,
    is_digest_path,
    is_event_file_name,
    is_line_format_name,
)
from checker.inputs.events.readers import read_binary
from checker.inputs.events.stats import EventStats

SCHEME = "s3://"
LAYOUT_FOLDERS = frozenset({"CloudTrail", "CloudTrail-Insight", "CloudTrail-Digest"})
"""Folders followed by ``<region>/YYYY/MM/DD/``."""

_KEY_TIME = re.compile(r"_(\d{8}T\d{4})(?:\d{2})?Z")


def parse_spec(spec: str) -> tuple[str, str]:
    """``s3://bucket/prefix`` -> (bucket, prefix)."""
    bucket, _, prefix = spec[len(SCHEME):].partition("/")
    if not bucket:
        raise InputError(spec, "no bucket name: expected s3://bucket/prefix")
    return bucket, prefix


def key_time(key: str) -> datetime | None:
    """The delivery timestamp a CloudTrail file name carries, in UTC."""
    match = _KEY_TIME.search(key.rsplit("/", 1)[-1])
    if not match:
        return None
    return datetime.strptime(match.group(1), "%Y%m%dT%H%M").replace(tzinfo=timezone.utc)


def expand_s3(spec: str, options: EventOptions, stats: EventStats) -> list[S3Object]:
    """The objects to read for one spec, newest first; a missing bucket is an InputError."""
    bucket, prefix = parse_spec(spec)
    try:
        client = options.client("s3", None)
        listing = (_walk(client, bucket, prefix, options.since) if options.since
                   else _flat(client, bucket, prefix))
        candidates = _candidates(listing, options.since, stats)
        if options.max_files:
            chosen = heapq.nsmallest(options.max_files, candidates, key=_newest_first)
        else:
            chosen = sorted(candidates, key=_newest_first)
    except ClientError as exc:
        error = exc.response.get("Error", {})
        if error.get("Code") == "NoSuchBucket":
            raise InputError(spec, f"bucket {bucket!r} does not exist") from None
        stats.report(spec, "ListObjectsV2", f"cannot list: {error.get('Code')}: {error.get('Message')}")
        return []
    except BotoCoreError as exc:
        stats.report(spec, "ListObjectsV2", f"cannot list: {exc}")
        return []
    if not chosen:
        stats.report(spec, "ListObjectsV2", "no CloudTrail log files found under this prefix", skipped=0)
    return [S3Object(spec, bucket, key) for _, key in chosen]


def read_s3_object(unit: S3Object, stats: EventStats, options: EventOptions) -> Iterator[Record]:
    client = options.client("s3", None)
    try:
        body = client.get_object(Bucket=unit.bucket, Key=unit.key)["Body"]
    except (ClientError, BotoCoreError) as exc:
        stats.report(unit.label, "GetObject", f"cannot read: {exc}")
        return
    try:
        yield from read_binary(body, unit.label, lines=is_line_format_name(unit.key),
                               stats=stats, options=options)
    finally:
        body.close()


def _newest_first(candidate: tuple[datetime, str]) -> tuple[float, str]:
    stamp, key = candidate
    return -stamp.timestamp(), key


def _candidates(listing: Iterator[tuple[str, datetime]], since: datetime | None,
                stats: EventStats) -> Iterator[tuple[datetime, str]]:
    for key, modified in listing:
        if key.endswith("/") or not is_event_file_name(key):
            continue
        stamp = key_time(key) or modified
        if since and stamp < since:
            continue
        if is_digest_path(key):
            stats.skip_digest()
            continue
        yield stamp, key


def _flat(client: Any, bucket: str, prefix: str) -> Iterator[tuple[str, datetime]]:
    for page in _pages(client, Bucket=bucket, Prefix=prefix):
        for item in page.get("Contents", []):
            yield item["Key"], item["LastModified"]


def _walk(client: Any, bucket: str, prefix: str, since: datetime) -> Iterator[tuple[str, datetime]]:
    """Folder by folder, pruning date folders that end before ``since``."""
    for page in _pages(client, Bucket=bucket, Prefix=prefix, Delimiter="/"):
        for item in page.get("Contents", []):
            yield item["Key"], item["LastModified"]
        for folder in page.get("CommonPrefixes", []):
            if not _ends_before(folder["Prefix"], since):
                yield from _walk(client, bucket, folder["Prefix"], since)


def _ends_before(folder: str, since: datetime) -> bool:
    """Whether a ``.../CloudTrail/<region>/YYYY[/MM[/DD]]/`` folder holds only older files."""
    parts = folder.rstrip("/").split("/")
    roots = [index for index, part in enumerate(parts) if part in LAYOUT_FOLDERS]
    if not roots:
        return False
    date_parts = parts[roots[-1] + 2:]
    if not date_parts or len(date_parts) > 3 or not all(part.isdigit() for part in date_parts):
        return False
    period = tuple(int(part) for part in date_parts)
    return period < (since.year, since.month, since.day)[:len(period)]


def _pages(client: Any, **params: str) -> Iterator[dict[str, Any]]:
    paginator = client.get_paginator("list_objects_v2")
    yield from paginator.paginate(**params)
