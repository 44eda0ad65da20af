"""Which trail entries of a snapshot count, and how large a snapshot may be.

DescribeTrails answers in every account a trail applies to, so the same trail can be
written under several accounts (an organization trail under each member). The snapshot
format settles which entry counts:

* the entry under the account that owns the trail (its ARN says which) counts;
  two entries under the owner that disagree are bad input naming both paths, since
  either could be the truth; identical ones are one trail;
* an entry under any other account is a copy: ignored, and counted for the report,
  unless the owner's entry is absent (the owner was not scanned, or its DescribeTrails
  failed): then the copy under the lowest account id counts, as the collector writes it.

The size of what the simulator and the region rules iterate over is bounded here, with
the JSON path of the first entry over a limit: Regions per account, trails per account,
selector values per trail (see :mod:`checker.limits`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from checker import limits
from checker.arn import Arn
from checker.errors import InputError

_OPERATORS = ("Equals", "StartsWith", "EndsWith", "NotEquals", "NotStartsWith", "NotEndsWith")


@dataclass(frozen=True)
class TrailListing:
    """The entries that count, as (account index, trail index) pairs, and how many copies were ignored."""

    kept: frozenset[tuple[int, int]]
    ignored_copies: int

    def kept_in(self, account: int) -> frozenset[int]:
        """The trail indexes that count under the account at index ``account``."""
        return frozenset(trail for owner, trail in self.kept if owner == account)


def check_sizes(accounts: Sequence[Mapping[str, Any]], source: str) -> None:
    """Raise :class:`InputError` at the first account or trail over a size limit."""
    regions, trails, values = (limits.REGIONS_PER_ACCOUNT.value(), limits.TRAILS_PER_ACCOUNT.value(),
                               limits.SELECTOR_VALUES_PER_TRAIL.value())
    for index, account in enumerate(accounts):
        where = f"{source}: $.accounts[{index}]"
        if len(account["regions"]) > regions:
            raise InputError(f"{where}.regions", limits.REGIONS_PER_ACCOUNT.exceeded(
                f"{len(account['regions']):,} Regions", regions))
        if len(account["trails"]) > trails:
            raise InputError(f"{where}.trails", limits.TRAILS_PER_ACCOUNT.exceeded(
                f"{len(account['trails']):,} trails", trails))
        for position, trail in enumerate(account["trails"]):
            count = selector_values(trail)
            if count > values:
                raise InputError(f"{where}.trails[{position}]", limits.SELECTOR_VALUES_PER_TRAIL.exceeded(
                    f"{count:,} selector values", values))


def selector_values(trail: Mapping[str, Any]) -> int:
    """How many values a trail's event selectors hold (what the simulator enumerates)."""
    count = 0
    for selector in trail.get("AdvancedEventSelectors") or ():
        for condition in selector.get("FieldSelectors") or ():
            count += sum(len(condition.get(operator) or ()) for operator in _OPERATORS)
    for selector in trail.get("EventSelectors") or ():
        count += len(selector.get("ExcludeManagementEventSources") or ())
        count += sum(len(resource.get("Values") or ()) for resource in selector.get("DataResources") or ())
    return count


def place_trails(accounts: Sequence[Mapping[str, Any]], source: str) -> TrailListing:
    """Decide which entry of each trail counts (see the module docstring)."""
    owned: dict[str, tuple[int, int]] = {}
    copies: dict[str, list[tuple[str, int, int]]] = {}
    for account_index, account in enumerate(accounts):
        for trail_index, trail in enumerate(account["trails"]):
            arn = trail["TrailARN"]
            if Arn.parse(arn).account != account["account_id"]:
                copies.setdefault(arn, []).append((account["account_id"], account_index, trail_index))
                continue
            first = owned.setdefault(arn, (account_index, trail_index))
            if first != (account_index, trail_index) and accounts[first[0]]["trails"][first[1]] != trail:
                raise InputError(f"{source}: {_path(account_index, trail_index)}",
                                 f"trail {arn} is listed twice under its owner with different settings "
                                 f"(also at {_path(*first)}): keep one of them")
    kept = set(owned.values())  # an identical repeat under the owner is the same trail: kept once
    ignored = sum(len(seen) for arn, seen in copies.items() if arn in owned)
    for arn, seen in copies.items():
        if arn not in owned:
            _, account_index, trail_index = min(seen)
            kept.add((account_index, trail_index))
            ignored += len(seen) - 1
    return TrailListing(frozenset(kept), ignored)


def _path(account_index: int, trail_index: int) -> str:
    return f"$.accounts[{account_index}].trails[{trail_index}]"
