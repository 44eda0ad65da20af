"""Timestamps as trailcheck reads and writes them.

AWS answers give times as ISO 8601 strings or as epoch seconds (boto3 turns some into
``datetime``); snapshots, reports and policy expressions all need one reading of them and
one way of writing them back. Both live here so that inputs, the engine and the reports
agree without depending on one another.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any


def parse_timestamp(value: Any) -> datetime | None:
    """ISO 8601 string or epoch seconds -> aware UTC datetime (``None`` for ``None``).

    A naive ISO time is taken as UTC. Anything else, or a time that falls outside the
    calendar (years 1 to 9999) once moved to UTC, is a ``ValueError``.
    """
    if value is None:
        return None
    try:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, tz=timezone.utc)
        if isinstance(value, str):
            text = value.strip().replace("Z", "+00:00").replace(" ", "T", 1)
            parsed = datetime.fromisoformat(text)
            return parsed.astimezone(timezone.utc) if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    except (OverflowError, OSError) as exc:  # epoch or offset beyond the calendar
        raise ValueError(f"out of range: {value!r}") from exc
    raise ValueError(f"not a timestamp: {value!r}")


def iso(moment: datetime) -> str:
    """``2026-11-20T01:00:00Z``: UTC, whole seconds, the form every report uses."""
    utc = moment.astimezone(timezone.utc)
    return f"{utc.year:04d}-{utc:%m-%dT%H:%M:%S}Z"  # %Y drops leading zeros before year 1000
