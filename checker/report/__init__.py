"""Post-processing: what happens to a scan's findings after the engine and before the formats.

Each stage takes the engine's findings and gives back findings plus a section of the report;
none of them evaluates a rule:

* :mod:`checker.report.waivers` turns accepted ``fail`` findings into ``waived`` and reports
  what each waiver did (the only stage that changes findings);
* :mod:`checker.report.frameworks` groups the findings control by control for one framework;
* :mod:`checker.report.baseline` pairs the findings with a previous report's: new, resolved,
  still failing.

They run in that order, so a waived failure counts as waived in the framework view and as
resolved against the baseline.
"""
