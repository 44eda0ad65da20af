"""Every limit trailcheck puts on what it reads, in one place.

trailcheck reads files that other people wrote: snapshots assembled by scripts, policy
files from pull requests, log files from buckets, trail settings that anyone with
``PutEventSelectors`` chooses. Each limit below bounds the memory or time one such input
can cost, so that a hostile or broken input ends as a clear message (or a counted,
skipped record), never a hang, a machine out of memory, or a traceback.

The defaults admit the largest estates we know of with room to spare: thousands of
accounts, a thousand trails in one account, every Region, snapshots of hundreds of MB.
Where a real user could need more, the limit can be raised with an environment variable
named ``TRAILCHECK_<NAME>`` (a positive whole number); docs/security.md lists them all.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from checker.errors import InputError

ENVIRONMENT_PREFIX = "TRAILCHECK_"


@dataclass(frozen=True)
class Limit:
    """One bound: its name, default, unit (for messages) and whether users may raise it."""

    name: str
    default: int
    unit: str
    overridable: bool = True

    @property
    def variable(self) -> str:
        """The environment variable that overrides the default (when ``overridable``)."""
        return ENVIRONMENT_PREFIX + self.name

    def value(self) -> int:
        """The limit in effect: the environment's override, else the default.

        A malformed override is bad input naming the variable, not a silent default.
        """
        text = os.environ.get(self.variable, "").strip() if self.overridable else ""
        if not text:
            return self.default
        try:
            value = int(text)
        except ValueError:
            value = 0
        if value < 1:
            raise InputError(self.variable, f"expected a positive whole number of {self.unit}, got {text!r}")
        return value

    def exceeded(self, what: str, limit: int | None = None) -> str:
        """A message tail: ``what`` is over the limit, and how to raise it if one can."""
        shown = self.value() if limit is None else limit
        hint = f" (set {self.variable} to raise it)" if self.overridable else ""
        return f"{what} exceeds the limit of {shown:,} {self.unit}{hint}"


NESTING_DEPTH = Limit("MAX_NESTING_DEPTH", 100, "levels")
"""JSON and YAML documents read whole: snapshots, baseline reports, policies, waivers.

Real snapshots and policies nest about 10 levels deep. The limit is
checked without recursion, before anything recursive (schema validation, rendering)
touches the data."""

DOCUMENT_BYTES = Limit("MAX_DOCUMENT_BYTES", 1 << 30, "bytes")
"""A whole JSON document read at once: a snapshot, a baseline report (event files are
streamed instead). One GiB admits snapshots of hundreds of MB; parsing holds the
document in memory several times over, so this bounds the memory of one run."""

YAML_BYTES = Limit("MAX_YAML_BYTES", 16 << 20, "bytes")
"""A policy or waiver file. These are written by hand and a few KB long; 16 MiB is
room for generated ones while bounding the (slow, pure-Python) parsing of waivers."""

DECOMPRESSED_BYTES = Limit("MAX_DECOMPRESSED_BYTES", 1 << 30, "bytes")
"""What one gzip-compressed event file may expand to. CloudTrail delivers log files of
a few MB; one GiB admits any real file and stops a gzip bomb."""

DECOMPRESSION_RATIO = Limit("MAX_DECOMPRESSION_RATIO", 200, "times the compressed size")
"""How much one gzip-compressed event file may expand, once it has expanded past
:data:`RATIO_FLOOR_BYTES`. CloudTrail JSON compresses 10 to 30 times; a bomb of
repeated bytes compresses a thousand times."""

RATIO_FLOOR_BYTES = Limit("RATIO_FLOOR_BYTES", 16 << 20, "bytes", overridable=False)
"""Below this many decompressed bytes the ratio is not checked: small files compress
unpredictably well and cost nothing."""

REGIONS_PER_ACCOUNT = Limit("MAX_REGIONS_PER_ACCOUNT", 500, "Regions")
"""Regions listed for one account in a snapshot (AWS has fewer than 40). Region-scoped
rules evaluate every Region, so the list multiplies the work of a scan."""

TRAILS_PER_ACCOUNT = Limit("MAX_TRAILS_PER_ACCOUNT", 10_000, "trails")
"""Trails listed under one account (AWS allows five per Region; organizations with a
thousand trails in one account exist)."""

SELECTOR_VALUES_PER_TRAIL = Limit("MAX_SELECTOR_VALUES_PER_TRAIL", 5_000, "selector values")
"""Values in all the event selectors of one trail (field-selector operator values and
data-resource values). AWS allows 500; the values are what the selector simulator
enumerates, and an attacker with ``PutEventSelectors`` chooses them."""

PROBE_WITNESS_BUDGET = Limit("MAX_PROBE_WITNESSES", 100_000, "witness decisions")
"""Decisions the selector simulator may spend on one probe for one set of trails. A
decision that would need more is an ``error`` finding for that unit ("undecided within
budget"), and a policy whose own probes exceed it is bad input when it loads."""

REGEX_CHARS = Limit("MAX_REGEX_CHARS", 1_000, "characters", overridable=False)
"""The length of one ``regex`` in an event rule's ``match`` (a long alternation of
literals is ``any_of``'s job)."""

REGEX_MEMORY_BYTES = Limit("MAX_REGEX_MEMORY_BYTES", 1 << 20, "bytes", overridable=False)
"""Memory RE2 may use for one compiled ``regex``; a pattern that needs more does not load.
RE2 matches in time linear in the text, so size is the only cost a pattern can raise."""

EXPRESSION_DEPTH = Limit("MAX_EXPRESSION_DEPTH", 32, "levels", overridable=False)
"""JMESPath expressions in policies: parentheses, ``!``, sub-expressions and function
calls nested inside one another. Evaluation recurses once (or more) per level."""

EVENT_GROUPS_PER_RULE = Limit("MAX_EVENT_GROUPS_PER_RULE", 1_000, "event groups")
"""Findings one event rule may produce (one per ``group_by`` group); the rest are
summed up in one finding, so that a flood of distinct principals cannot flood the
report."""

ALL: tuple[Limit, ...] = (
    NESTING_DEPTH, DOCUMENT_BYTES, YAML_BYTES, DECOMPRESSED_BYTES, DECOMPRESSION_RATIO, RATIO_FLOOR_BYTES,
    REGIONS_PER_ACCOUNT, TRAILS_PER_ACCOUNT, SELECTOR_VALUES_PER_TRAIL, PROBE_WITNESS_BUDGET, REGEX_CHARS,
    REGEX_MEMORY_BYTES, EXPRESSION_DEPTH, EVENT_GROUPS_PER_RULE,
)
"""Every limit, for the documentation test and ``docs/security.md``."""
