"""``lookup``: management events from CloudTrail LookupEvents, region by region.

LookupEvents is regional, covers 90 days, pages by ``NextToken`` (at most 50 events a
page) and allows 2 requests per second per account and region.
Each item carries the record as a JSON string (``CloudTrailEvent``) that
:mod:`checker.inputs.events.forms` parses. A failed call is reported and ends that
region only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from checker.errors import InputError
from checker.inputs.events.forms import emit
from checker.inputs.events.interface import EventOptions, LookupRegion, Record
from checker.inputs.events.stats import EventStats

SPEC_WORD = "lookup"
PAGE_SIZE = 50


class RateLimiter:
    """Spaces calls at least ``1 / per_second`` apart; clock and sleep are injectable."""

    def __init__(self, per_second: float, clock: Callable[[], float],
                 sleep: Callable[[float], None]) -> None:
        self._interval = 1.0 / per_second
        self._clock = clock
        self._sleep = sleep
        self._next: float | None = None

    def wait(self) -> None:
        """Block until the next call is allowed, and book the slot after it."""
        now = self._clock()
        if self._next is not None and now < self._next:
            self._sleep(self._next - now)
            now = self._next
        self._next = now + self._interval


def expand_lookup(spec: str, options: EventOptions) -> list[LookupRegion]:
    """One unit per region: ``options.regions`` or else the credential chain's region."""
    regions = options.regions or tuple(filter(None, [options.default_region()]))
    if not regions:
        raise InputError(spec, "no region to query: pass --regions or set AWS_REGION")
    return [LookupRegion(spec, region, options.since) for region in regions]


def read_lookup(unit: LookupRegion, stats: EventStats, options: EventOptions) -> Iterator[Record]:
    client = options.client("cloudtrail", unit.region)
    limiter = RateLimiter(options.lookup_rate, options.clock, options.sleep)
    params: dict[str, Any] = {"MaxResults": PAGE_SIZE}
    if unit.start_time is not None:
        params["StartTime"] = unit.start_time
    page = 1
    while True:
        limiter.wait()
        try:
            response = client.lookup_events(**params)
        except (ClientError, BotoCoreError) as exc:
            stats.report(unit.label, f"page {page}", f"LookupEvents failed: {exc}")
            return
        for index, item in enumerate(response.get("Events", [])):
            yield from emit(item, stats, unit.label, f"page {page}, Events[{index}]")
        token = response.get("NextToken")
        if not token:
            return
        params["NextToken"] = token
        page += 1
