"""The selector simulator: would trail T record event E in account A, region R? (SPEC §7)

Both the configuration rules (through probe events) and the event rules (through real
records) ask it; it returns the decision and the reason.
"""

from checker.simulator.classify import RecordClass, classify, record_views
from checker.simulator.decide import TrailDecision, decide
from checker.simulator.probes import ProbeResult, ProbeTooLargeError, TrailCoverage, probe_coverage
from checker.simulator.record import RecordVerdict, decide_record, record_verdict

__all__ = [
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
