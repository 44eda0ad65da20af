"""The scan pipeline: inputs -> model -> engine -> report.

The command line only parses options into :class:`ScanOptions`; everything a scan does
happens here, in pipeline order, so that the GitHub Action entry point and the tests run
exactly what users run.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from checker.engine.config import ConfigEvaluator
from checker.errors import InputError
from checker.findings import Finding, RuleInfo, severity_rank
from checker.inputs.events import EventOptions, EventStats
from checker.inputs.interface import SnapshotSource
from checker.inputs.live import LiveOptions
from checker.inputs.snapshot import SnapshotFile
from checker.model import Snapshot
from checker.plan.rules import FAMILIES, MISSING_FAMILY, family_of
from checker.policy.loader import PolicyFile, apply_params, builtin_policy_dir, load_policies, select_rules
from checker.policy.model import EventRule, Rule
from checker.report import PostProcessing, post_process
from checker.report.baseline import Baseline
from checker.report.document import load_report
from checker.report.frameworks import rules_for_framework
from checker.report.model import CodeInput, Inputs, PolicyInput, Report, SnapshotInput
from checker.report.waivers import load_waivers
from checker.safetext import for_terminal
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
    code: SnapshotSource | None = None  # --terraform-plan or --cloudformation (checker.inputs.iac)
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


def rule_info(rule: Rule) -> RuleInfo:
    """What a report states about a rule, its source named as in the report's inputs."""
    return RuleInfo(id=rule.id, title=rule.title, severity=rule.severity, description=rule.description,
                    scope=rule.scope, remediation=rule.remediation, references=tuple(rule.references),
                    frameworks={framework: tuple(controls) for framework, controls in rule.frameworks.items()},
                    source=_display_source(rule.source))


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
    stages = PostProcessing(
        waivers=load_waivers(options.waivers) if options.waivers else None,
        framework=options.framework,
        baseline=Baseline(str(options.baseline), load_report(options.baseline).findings) if options.baseline
        else None)
    findings: list[Finding] = []
    snapshot: Snapshot | None = None
    snapshot_read: SnapshotInput | None = None
    events_read: dict[str, Any] | None = None
    source = snapshot_source(options, rules)
    check_input_kinds(rules, options, configuration=source is not None)
    if source is not None:
        snapshot = source.load()
        if not snapshot.accounts:
            raise InputError(source.describe(), "the snapshot lists no accounts: there is nothing to scan")
        snapshot_read = snapshot_input(source, snapshot)
        _note_placeholder(snapshot, options.quiet)
        _note_missing_families(snapshot, rules, options.quiet)
    if snapshot is not None:
        findings.extend(ConfigEvaluator(snapshot).evaluate(rules))
    if options.events:
        from checker.event_scan import evaluate_event_sources  # the event engine: ~25 ms of start-up, for --events only

        event_findings, stats = evaluate_event_sources(rules, options.events, options.event_options, snapshot,
                                                       options.workers)
        findings.extend(event_findings)
        events_read = stats.to_dict()
        _report_event_problems(stats, options.quiet)
    now = datetime.now(timezone.utc)
    findings, sections = post_process(findings, rules, stages, now.date())
    if sections.waivers is not None and not options.quiet:
        for notice in sections.waivers.notices():
            print(f"trailcheck: warning: {for_terminal(notice)}", file=sys.stderr)
    inputs = Inputs(snapshot=snapshot_read, events=events_read,
                    policies=tuple(PolicyInput(f.path, f.sha256) for f in policy_files))
    return Report(findings=tuple(findings), rules={rule.id: rule_info(rule) for rule in rules}, inputs=inputs,
                  generated_at=iso(now), sections=sections)


def _note_placeholder(snapshot: Snapshot, quiet: bool) -> None:
    """Code that does not name its account is scanned under a placeholder: say which."""
    code = snapshot.code
    if code is not None and code.placeholder_account and not quiet:
        print(f"trailcheck: note: {snapshot.source} does not show the AWS account; findings name it "
              f"{code.placeholder_account}", file=sys.stderr)


def _note_missing_families(snapshot: Snapshot, rules: Sequence[Rule], quiet: bool) -> None:
    """The summary of what the snapshot lacks: one line per data family that rules in effect need
    and the snapshot does not carry (their findings are ``skipped``), with how to collect it.
    Code is not an estate: what it does not carry, the skipped findings say."""
    if quiet or snapshot.code is not None:
        return
    for family in FAMILIES:
        needing = sum(1 for rule in rules if family_of(rule) == family)
        if needing and not snapshot.carries(family):
            print(for_terminal(f"trailcheck: note: {needing} rule(s) need the {family} data, and their findings "
                               f"are skipped: {snapshot.source}: {MISSING_FAMILY[family]}"), file=sys.stderr)


def _report_event_problems(stats: EventStats, quiet: bool) -> None:
    """Corrupt input is reported, not fatal: one line per problem on stderr, then a count."""
    if quiet:
        return
    for problem in stats.problems:
        print(for_terminal(f"trailcheck: warning: {problem['source']}: {problem['position']}: {problem['reason']}"),
              file=sys.stderr)
    print(f"events: {stats.read} read, {stats.skipped} skipped", file=sys.stderr)


def check_input_kinds(rules: Sequence[Rule], options: ScanOptions, configuration: bool) -> None:
    """Selected rules none of which has its input is a bad invocation, not "no findings".

    Rules of one kind next to rules whose input is given are simply not evaluated (the
    default selection holds both kinds); only a selection left with nothing to evaluate
    fails, naming the option that chose it and the input it needs.
    """
    def has_input(rule: Rule) -> bool:
        return bool(options.events) if isinstance(rule, EventRule) else configuration

    if not rules or any(has_input(rule) for rule in rules):
        return
    option = "--rules" if options.rules else "--framework" if options.framework else "--policies"
    if all(isinstance(rule, EventRule) for rule in rules):
        raise InputError(option, "the selected rules are event rules, which read sampled CloudTrail events: "
                                 "give --events")
    raise InputError(option, "the selected rules read trail configurations: give --snapshot FILE (or --live)")


def snapshot_source(options: ScanOptions, rules: Sequence[Rule]) -> SnapshotSource | None:
    """``--snapshot FILE`` or code (a plan, a template), else a live collection of what ``rules``
    need, else none (a scan of events alone)."""
    if options.code is not None:
        return options.code
    if options.snapshot is not None:
        return SnapshotFile(options.snapshot)
    from checker.inputs.live.collector import LiveCollection  # the collector: ~80 ms of start-up, for live scans only

    return LiveCollection(options.live, tuple(rules)) if options.live is not None else None


def snapshot_input(source: SnapshotSource, snapshot: Snapshot) -> SnapshotInput:
    if snapshot.sha256 is None:
        raise TypeError(f"{source.describe()}: a snapshot source must record the digest of what it read")
    code = snapshot.code
    return SnapshotInput(path=source.describe(), sha256=snapshot.sha256,
                         code=CodeInput(code.kind, code.placeholder_account) if code is not None else None,
                         collected_at=iso(snapshot.collected_at) if snapshot.collected_at else None,
                         ignored_trail_copies=snapshot.ignored_trail_copies)


def exit_code(report: Report, fail_on: str) -> int:
    """1 for a ``fail`` at or above ``fail_on`` or any ``error`` (the gate blocks), else 0."""
    threshold = severity_rank(fail_on)
    for finding in report.findings:
        if finding.status == "error":
            return 1
        if finding.status == "fail" and severity_rank(finding.severity) <= threshold:
            return 1
    return 0
