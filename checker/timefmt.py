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

    A naive ISO time is taken as UTC. Anything else is a ``ValueError``.
    """
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=timezone.utc)
    if isinstance(value, str):
        text = value.strip().replace("Z", "+00:00").replace(" ", "T", 1)
        parsed = datetime.fromisoformat(text)
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
    raise ValueError(f"not a timestamp: {value!r}")


def iso(moment: datetime) -> str:
    """``2026-11-20T01:00:00Z``: UTC, whole seconds, the form every report uses."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
