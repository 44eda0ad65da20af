"""Trail reads: DescribeTrails per region, then status and selectors once per trail.

DescribeTrails with shadow trails lists, in each region, every trail that applies there:
a multi-region trail shows up in every region and an organization trail in every member.
:class:`TrailRegistry` keeps each trail once, by ARN, under the account that owns it,
and says who fetches its details. Those three calls (GetTrailStatus, GetEventSelectors,
GetInsightSelectors) go to the trail's home region with the ARN, because a shadow
trail's ARN does not resolve anywhere else.

What is recorded mirrors the API answer (the snapshot format is the API's), with two
rules of the collector, which alone knows the difference: a trail whose selectors were never set gets the AWS default
selector written out, and Insights never enabled is ``[]``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from checker.arn import Arn
from checker.inputs.live.faults import Failure
from checker.timefmt import iso

DEFAULT_EVENT_SELECTORS: list[dict[str, Any]] = [
    {"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": [],
     "ExcludeManagementEventSources": []},
]


def to_json(value: Any) -> Any:
    """An API response as snapshot JSON: datetimes as ISO 8601, no ``ResponseMetadata``."""
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list):
        return [to_json(v) for v in value]
    if isinstance(value, datetime):
        return iso(value)
    return value


def home_region_of(trail: dict[str, Any]) -> str:
    return str(trail.get("HomeRegion") or Arn.parse(trail["TrailARN"]).region)


def describe_trails(cloudtrail: Any) -> list[dict[str, Any]]:
    """Every trail that applies in the client's region, shadow trails included."""
    response = cloudtrail.describe_trails(includeShadowTrails=True)
    trails: list[dict[str, Any]] = to_json(response.get("trailList", []))
    return trails


def fetch_status(cloudtrail: Any, arn: str) -> dict[str, Any]:
    """GetTrailStatus without its empty strings: the string-typed time fields
    (``TimeLoggingStarted``, ``Latest*AttemptTime``...) answer ``""`` for "never"
    (moto always does), and an empty string is no timestamp."""
    status = to_json(cloudtrail.get_trail_status(Name=arn))
    return {"Status": {k: v for k, v in status.items() if v != ""}}


def fetch_event_selectors(cloudtrail: Any, arn: str) -> dict[str, Any] | Failure:
    return selectors_from(to_json(cloudtrail.get_event_selectors(TrailName=arn)))


def selectors_from(response: dict[str, Any]) -> dict[str, Any] | Failure:
    """The selector key to record from a GetEventSelectors answer.

    AWS returns one kind; moto returns both keys, one of them empty, so the non-empty
    one is the truth. Neither non-empty means the selectors were never set: the AWS
    default (all management events) is recorded explicitly. Both non-empty cannot be
    told apart, so it stays unknown rather than guessed.
    """
    basic = response.get("EventSelectors") or []
    advanced = response.get("AdvancedEventSelectors") or []
    if basic and advanced:
        return Failure("AmbiguousEventSelectors",
                       "GetEventSelectors returned both EventSelectors and AdvancedEventSelectors")
    if advanced:
        return {"AdvancedEventSelectors": advanced}
    return {"EventSelectors": basic or copy.deepcopy(DEFAULT_EVENT_SELECTORS)}


def fetch_insight_selectors(cloudtrail: Any, arn: str) -> dict[str, Any]:
    """Insight selectors; ``[]`` when Insights was never enabled (an error in AWS)."""
    try:
        response = cloudtrail.get_insight_selectors(TrailName=arn)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "InsightNotEnabledException":
            return {"InsightSelectors": []}
        raise
    return {"InsightSelectors": to_json(response.get("InsightSelectors", []))}


TrailDetail = Callable[[Any, str], "dict[str, Any] | Failure"]

TRAIL_DETAILS: tuple[tuple[str, TrailDetail], ...] = (
    ("GetTrailStatus", fetch_status),
    ("GetEventSelectors", fetch_event_selectors),
    ("GetInsightSelectors", fetch_insight_selectors),
)
"""The per-trail calls: (operation recorded in errors, fetcher of the keys it adds)."""

DETAIL_KEYS = ("Status", "EventSelectors", "AdvancedEventSelectors", "InsightSelectors")
"""The keys the per-trail calls add, in the order a snapshot lists them."""


@dataclass(frozen=True)
class Placement:
    """Where a trail is listed and whose credentials read its details."""

    trail: dict[str, Any]
    listed_under: str
    read_by: str


@dataclass
class TrailRegistry:
    """Every trail once, by ARN, however many regions and accounts show it.

    An account's own trails are claimed as soon as it sees them. A trail owned by
    another account (an organization trail seen from a member) is only noted: the owner
    describes it when the owner is scanned. Once every DescribeTrails has answered,
    :meth:`unclaimed` places what the owner did not claim (owner outside the scan, or
    its DescribeTrails failed there): listed under the owner when it is scanned, else
    under the lowest account id that saw it, and read with that account's credentials.
    """

    claimed: set[str] = field(default_factory=set)
    sightings: dict[str, tuple[dict[str, Any], set[str]]] = field(default_factory=dict)

    def seen(self, account_id: str, trail: dict[str, Any]) -> bool:
        """Note that ``account_id`` saw ``trail``; ``True`` when it should read it now."""
        arn = trail["TrailARN"]
        if Arn.parse(arn).account == account_id:
            if arn in self.claimed:
                return False
            self.claimed.add(arn)
            return True
        self.sightings.setdefault(arn, (trail, set()))[1].add(account_id)
        return False

    def unclaimed(self, scanned: set[str]) -> list[Placement]:
        """Claim and place the trails only other accounts saw, in ARN order."""
        placements = []
        for arn in sorted(set(self.sightings) - self.claimed):
            trail, seers = self.sightings[arn]
            reader = min(seers)
            owner = Arn.parse(arn).account
            placements.append(Placement(trail, owner if owner in scanned else reader, reader))
            self.claimed.add(arn)
        return placements
