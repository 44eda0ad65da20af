"""Post-processing: what happens to a scan's findings after the engine and before the formats.

Post-processing is findings in, findings plus sections out (:func:`post_process`). No
stage evaluates a rule; each adds one typed section to the report:

* :mod:`checker.report.waivers` turns accepted ``fail`` findings into ``waived`` and says
  what each waiver did (the only stage that changes findings);
* :mod:`checker.report.frameworks` groups the findings control by control for one framework;
* :mod:`checker.report.baseline` pairs the failing findings with a previous report's:
  new, resolved, still failing.

They run in that order, so a waived failure counts as waived in the framework view and as
resolved against the baseline. :mod:`checker.report.model` holds the :class:`Report` the
formats render, :mod:`checker.report.document` its JSON form.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from checker.findings import Finding
from checker.report.baseline import Baseline, diff_findings
from checker.report.frameworks import MappedRule, framework_view
from checker.report.model import Sections
from checker.report.waivers import WaiverFile, apply_waivers


@dataclass(frozen=True)
class PostProcessing:
    """The stages a run asked for: a waiver file, a framework id, a previous run; None skips one."""

    waivers: WaiverFile | None = None
    framework: str | None = None
    baseline: Baseline | None = None


def post_process(findings: Sequence[Finding], rules: Iterable[MappedRule], stages: PostProcessing,
                 today: date) -> tuple[list[Finding], Sections]:
    """Run the stages in order; ``rules`` are the rules in effect, ``today`` decides which
    waivers have expired."""
    result = list(findings)
    waivers = None
    if stages.waivers is not None:
        result, waivers = apply_waivers(result, stages.waivers, today)
    framework = framework_view(stages.framework, rules, result) if stages.framework else None
    baseline = diff_findings(stages.baseline, result) if stages.baseline is not None else None
    return result, Sections(waivers=waivers, framework=framework, baseline=baseline)
