"""Live collection: read CloudTrail configuration from AWS into a snapshot document.

``collect_snapshot(LiveOptions(...))`` returns the ``trailcheck.snapshot/v1`` document
that ``trailcheck collect`` writes and ``trailcheck scan`` evaluates, so a live scan and
a scan of the collected file give the same findings.
"""

from checker.inputs.live.collector import LiveCollection, collect_snapshot, write_snapshot
from checker.inputs.live.options import LiveOptions
from checker.inputs.live.processes import collect_in_processes

__all__ = ["LiveCollection", "LiveOptions", "collect_in_processes", "collect_snapshot", "write_snapshot"]
