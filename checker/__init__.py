"""trailcheck: policy-as-code compliance checks for AWS CloudTrail.

The package is one pipeline: ``inputs`` (snapshot, live collectors, event readers) build
the ``model``; the ``engine`` evaluates ``policy`` rules with the ``simulator``; the
result is a ``findings.Report`` that ``formats`` render.
"""

__version__ = "0.1.0"
