"""The scan pipeline: inputs -> model -> engine -> report.

The command line only parses options into :class:`ScanOptions`; everything a scan does
happens here, in pipeline order, so that the GitHub Action entry point and the tests run
exactly what users run.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from checker.engine.config import ConfigEvaluator
from checker.errors import InputError
from checker.event_scan import evaluate_event_sources
from checker.findings import Finding, Report, severity_rank
from checker.inputs.events import EventOptions, EventStats
from checker.inputs.live import LiveOptions, collect_snapshot
from checker.inputs.snapshot import load_snapshot, parse_snapshot
from checker.model import Snapshot
from checker.policy.loader import PolicyFile, apply_params, builtin_policy_dir, load_policies, select_rules
from checker.policy.model import Rule
from checker.report.baseline import diff_reports, load_report
from checker.report.frameworks import framework_view, rules_for_framework
from checker.report.waivers import apply_waivers, load_waivers
from checker.timefmt import iso


@dataclass
class ScanOptions:
    """Everything ``trailcheck scan`` can be told, with the CLI's defaults."""

    snapshot: Path | None = None
    policies: list[Path] = field(default_factory=list)
    builtin: bool = True
    rules: list[str] = field(default_factory=list)
    skip_rules: list[str] = field(default_factory=list)
    params: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    event_options: EventOptions = field(default_factory=EventOptions)
    workers: int | None = None
    live: LiveOptions | None = None
    waivers: Path | None = None
    baseline: Path | None = None
    framework: str | None = None
    quiet: bool = False


def load_rules(policies: Sequence[Path], builtin: bool, only: Sequence[str] = (), skip: Sequence[str] = (),
               params: Sequence[str] = ()) -> tuple[list[Rule], list[PolicyFile]]:
    """The rules in effect: built-in pack plus ``--policies``, filtered, with ``--param`` applied."""
    paths = ([builtin_policy_dir()] if builtin else []) + list(policies)
    if not paths:
        raise InputError("--no-builtin", "no policies to evaluate: give --policies DIR")
    rules, files = load_policies(paths)
    rules = apply_params(rules, params)
    return select_rules(rules, list(only), list(skip)), [_display_policy(f) for f in files]


def _display_policy(policy: PolicyFile) -> PolicyFile:
    """Built-in files are named ``builtin:<file>`` so reports do not depend on the install path."""
    builtin = builtin_policy_dir()
    path = Path(policy.path)
    if path.is_relative_to(builtin):
        return PolicyFile(f"builtin:{path.relative_to(builtin).as_posix()}", policy.sha256)
    return policy


def rule_metadata(rules: Sequence[Rule]) -> list[dict[str, Any]]:
    """What formats need to describe the rules (SARIF rules, HTML help)."""
    return [{"id": r.id, "title": r.title, "description": r.description, "severity": r.severity,
             "scope": r.scope, "remediation": r.remediation, "frameworks": r.frameworks,
             "source": _display_source(r.source)} for r in rules]


def _display_source(source: str) -> str:
    path, _, line = source.rpartition(":")
    return f"{_display_policy(PolicyFile(path, '')).path}:{line}"


def run_scan(options: ScanOptions) -> Report:
    """Run one scan and return its report (nothing is written here)."""
    rules, policy_files = load_rules(options.policies, options.builtin, options.rules, options.skip_rules,
                                     options.params)
    if options.framework:
        rules = rules_for_framework(rules, options.framework)
    # Read the small inputs first: a mistake in them must not cost a whole collection.
    waiver_file = load_waivers(options.waivers) if options.waivers else None
    previous = load_report(options.baseline) if options.baseline else None
    inputs: dict[str, Any] = {"snapshot": None, "events": None,
                              "policies": [{"path": f.path, "sha256": f.sha256} for f in policy_files]}
    findings: list[Finding] = []
    snapshot: Snapshot | None = None
    if options.snapshot is not None:
        snapshot, raw = load_snapshot(options.snapshot)
        inputs["snapshot"] = snapshot_input(snapshot, raw)
    elif options.live is not None:
        document = collect_snapshot(options.live)
        raw = json.dumps(document, sort_keys=True).encode()
        snapshot = parse_snapshot(document, "live")
        inputs["snapshot"] = snapshot_input(snapshot, raw)
    if snapshot is not None:
        findings.extend(ConfigEvaluator(snapshot).evaluate(rules))
    if options.events:
        event_findings, stats = evaluate_event_sources(rules, options.events, options.event_options, snapshot,
                                                       options.workers)
        findings.extend(event_findings)
        inputs["events"] = stats.to_dict()
        _report_event_problems(stats, options.quiet)
    now = datetime.now(timezone.utc)
    extra: dict[str, Any] = {"rules": rule_metadata(rules)}
    if waiver_file is not None:
        waived = apply_waivers(findings, waiver_file, now.date())
        findings = list(waived.findings)
        extra["waivers"] = waived.to_extra()
        if not options.quiet:
            for notice in waived.notices():
                print(f"trailcheck: warning: {notice}", file=sys.stderr)
    if options.framework:
        extra["framework"] = framework_view(options.framework, rules, findings)
    report = Report(findings=findings, inputs=inputs, generated_at=iso(now), extra=extra)
    if previous is not None and options.baseline is not None:
        report.extra["baseline"] = diff_reports(previous, report).to_extra(str(options.baseline))
    return report


def _report_event_problems(stats: EventStats, quiet: bool) -> None:
    """Corrupt input is reported, not fatal: one line per problem on stderr, then a count."""
    if quiet:
        return
    for problem in stats.problems:
        print(f"trailcheck: warning: {problem['source']}: {problem['position']}: {problem['reason']}",
              file=sys.stderr)
    print(f"events: {stats.read} read, {stats.skipped} skipped", file=sys.stderr)


def snapshot_input(snapshot: Snapshot, raw: bytes) -> dict[str, Any]:
    return {"path": snapshot.source, "sha256": hashlib.sha256(raw).hexdigest(),
            "collected_at": iso(snapshot.collected_at) if snapshot.collected_at else None}


def exit_code(report: Report, fail_on: str) -> int:
    """SPEC §3: 1 for a ``fail`` at or above ``fail_on`` or any ``error``, else 0."""
    threshold = severity_rank(fail_on)
    for finding in report.findings:
        if finding.status == "error":
            return 1
        if finding.status == "fail" and severity_rank(finding.severity) <= threshold:
            return 1
    return 0
