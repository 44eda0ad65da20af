"""Live collection: read CloudTrail configuration from AWS into a snapshot document.

:func:`checker.inputs.live.collector.collect_snapshot` returns the ``trailcheck.snapshot/v1``
document that ``trailcheck collect`` writes and ``trailcheck scan`` evaluates, so a live scan
and a scan of the collected file give the same findings.

The package itself holds only :class:`LiveOptions`: the command line reads their defaults for
every command, while the collector (~80 ms of start-up: botocore, the read plans, worker
pools) is imported from its module by the commands that collect.
"""

from __future__ import annotations

from checker.inputs.live.options import LiveOptions

__all__ = ["LiveOptions"]
