"""Live collection: read CloudTrail configuration from AWS into a snapshot document.

``collect_snapshot(LiveOptions(...))`` returns the ``trailcheck.snapshot/v1`` document
that ``trailcheck collect`` writes and ``trailcheck scan`` evaluates, so a live scan and
a scan of the collected file give the same findings.

Importing the package imports only :mod:`~checker.inputs.live.options`; the collector
(~80 ms of start-up: botocore, the read plans, worker pools) is imported when one of its
names is first used, so that the command line, which reads the options' defaults for every
command, and ``scan --snapshot``, which collects nothing, do not pay for it.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

from checker.inputs.live.options import LiveOptions

if TYPE_CHECKING:
    from checker.inputs.live.collector import LiveCollection, collect_snapshot, write_snapshot
    from checker.inputs.live.processes import collect_in_processes

_HOMES = {"LiveCollection": "collector", "collect_snapshot": "collector", "write_snapshot": "collector",
          "collect_in_processes": "processes"}

__all__ = ["LiveCollection", "LiveOptions", "collect_in_processes", "collect_snapshot", "write_snapshot"]


def __getattr__(name: str) -> object:
    """A collector name, its module imported on this first use (PEP 562)."""
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{_HOMES[name]}"), name)
    globals()[name] = value
    return value
