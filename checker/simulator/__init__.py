"""The selector simulator: would trail T record event E in account A, region R? (docs/semantics.md)

Both the configuration rules (through probe events) and the event rules (through real
records) ask it; it returns the decision and the reason.
"""

from checker.simulator.classify import RecordClass, classify, record_views
from checker.simulator.cover import ProbeTooLargeError
from checker.simulator.decide import TrailDecision, decide
from checker.simulator.probes import CoverageJudge, ProbeResult, TrailCoverage, probe_coverage
from checker.simulator.record import RecordVerdict, decide_record, record_verdict

__all__ = [
    "CoverageJudge",
    "ProbeResult",
    "ProbeTooLargeError",
    "RecordClass",
    "RecordVerdict",
    "TrailCoverage",
    "TrailDecision",
    "classify",
    "decide",
    "decide_record",
    "probe_coverage",
    "record_verdict",
    "record_views",
]
