"""Markdown output (``findings.md``), written for the GitHub Actions run page.

The same text goes to ``$GITHUB_STEP_SUMMARY``, which GitHub caps at 1 MiB per step, and
a summary is read by people, so the document is capped far lower (``MAX_CHARS``): the
summary and the failing rules come first, then the findings to act on (``fail`` and
``error``), worst first; a cut table says how many rows it left out and where the full
report is. Every cell is escaped so a pipe, newline or HTML tag in a
trail name cannot break the table or inject markup.
"""

from __future__ import annotations

import os
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote

from checker import __version__
from checker.errors import InputError
from checker.findings import FAILING, SEVERITIES, STATUSES, Finding, Location, Status
from checker.report.baseline import BaselineDiff
from checker.report.frameworks import FrameworkView
from checker.report.model import Report
from checker.safetext import for_markdown

MAX_CHARS = 60_000
_NOTE_RESERVE = 300
FULL_REPORT = "the JSON and HTML reports (`--format json,html`: findings.json, findings.html)"
_FINDING_HEADER = ("status", "severity", "rule", "account", "region", "resource", "message")


@dataclass(frozen=True)
class Located:
    """A finding's resource and the file and line where code declares it."""

    resource: str | None
    location: Location


def line_link(location: Location) -> str | None:
    """The URL of a repository line on GitHub, when the run is a GitHub Actions run
    (``GITHUB_SERVER_URL``, ``GITHUB_REPOSITORY``, ``GITHUB_SHA``) and the file is relative."""
    server, repository, sha = (os.environ.get(name, "") for name in
                               ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA"))
    path = location.file
    if not (server.startswith("https://") and repository and sha) or path.startswith(("/", "../")):
        return None
    return f"{server}/{quote(repository)}/blob/{quote(sha)}/{quote(path)}#L{location.line}"


def cell(value: object) -> str:
    """One table cell shown as text: Markdown and HTML escaped (no link or image from a
    trail name), control characters escaped, line breaks as ``<br>``. A :class:`Located`
    resource adds its ``file:line``, a link to the line in a GitHub Actions run."""
    if isinstance(value, Located):
        where = for_markdown(f"{value.location.file}:{value.location.line}")
        link = line_link(value.location)
        shown = f"[{where}]({link})" if link else where
        return (cell(value.resource) + "<br>" if value.resource else "") + shown
    text = "" if value is None else str(value)
    return "<br>".join(for_markdown(line) for line in text.splitlines())


def _line(cells: Sequence[object]) -> str:
    return "| " + " | ".join(cell(value) for value in cells) + " |\n"


def _table(header: Sequence[str], rows: Sequence[Sequence[object]], budget: int) -> str:
    """A table of as many rows as fit in ``budget`` characters, with a note on the rest."""
    text = _line(header) + "|" + "---|" * len(header) + "\n"
    for shown, row in enumerate(rows):
        line = _line(row)
        if len(text) + len(line) > budget - _NOTE_RESERVE:
            return text + (f"\n_{len(rows) - shown:,} more rows not shown: this summary is capped at "
                           f"{MAX_CHARS:,} characters. Every finding is in {FULL_REPORT}._\n")
        text += line
    return text


def _resource_cell(resource: str | None, location: Location | None) -> object:
    return Located(resource, location) if location else resource


def _finding_rows(findings: list[Finding]) -> list[list[object]]:
    """Worst first, so that a cut table loses the least pressing rows."""
    return [[f.status, f.severity, f.rule_id, f.account_id, f.region,
             Located(f.resource, f.location) if f.location else f.resource, f.message]
            for f in sorted(findings, key=Finding.worst_first_key)]


def _heading(report: Report) -> str:
    lines = ["# trailcheck findings", ""]
    about = [f"trailcheck {__version__}"]
    if report.generated_at:
        about.append(f"generated {report.generated_at}")
    snapshot = report.inputs.snapshot
    if snapshot is not None and snapshot.path:
        collected = f" (collected {snapshot.collected_at})" if snapshot.collected_at else ""
        about.append(f"snapshot {snapshot.path}{collected}")
    events = report.inputs.events or {}
    if events.get("read"):
        about.append(f"{events['read']} events read")
    lines += [cell(" · ".join(about)), ""]
    return "\n".join(lines) + "\n"


def _summary(report: Report) -> str:
    summary = report.summary()
    by_status, by_severity = summary["by_status"], summary["by_severity"]
    verdict = (f"**{by_status['fail']:,} failing** and **{by_status['error']:,} error** findings "
               f"out of {len(report.findings):,}.")
    return "\n".join([
        "## Summary", "", verdict, "",
        _line(STATUSES) + "|" + "---:|" * len(STATUSES),
        _line([f"{by_status[s]:,}" for s in STATUSES]),
        "Failing and error findings by severity:", "",
        _line(SEVERITIES) + "|" + "---:|" * len(SEVERITIES),
        _line([f"{by_severity[s]:,}" for s in SEVERITIES]),
    ])


def _rules_section(failing: list[Finding], budget: int) -> str:
    """Each failing rule once, worst first: its failing findings, and in how many accounts."""
    counts: dict[str, Counter[Status]] = defaultdict(Counter)
    accounts: dict[str, set[str | None]] = defaultdict(set)
    worst: dict[str, Finding] = {}
    for finding in sorted(failing, key=Finding.worst_first_key):
        counts[finding.rule_id][finding.status] += 1
        accounts[finding.rule_id].add(finding.account_id)
        worst.setdefault(finding.rule_id, finding)
    rows = [[rule_id, first.severity, f"{counts[rule_id]['fail']:,}", f"{counts[rule_id]['error']:,}",
             f"{len(accounts[rule_id]):,}"] for rule_id, first in worst.items()]
    title = "## Failing rules\n\n"
    return title + _table(("rule", "severity", "fail", "error", "accounts"), rows, budget - len(title)) + "\n"


def _findings_section(failing: list[Finding], budget: int) -> str:
    title = "## Failing and error findings\n\n"
    if not failing:
        return title + "None.\n\n"
    return title + _table(_FINDING_HEADER, _finding_rows(failing), budget - len(title)) + "\n"


def _baseline_section(baseline: BaselineDiff, budget: int) -> str:
    groups = [(label, [change.finding for change in changes])
              for label, changes in (("New", baseline.new), ("Resolved", baseline.resolved),
                                     ("Still failing", baseline.still_failing))]
    counts = ", ".join(f"{len(members)} {label.lower()}" for label, members in groups)
    compared = cell(f"Compared with {baseline.path}")
    text = f"## Changes since baseline\n\n{compared}: {counts}.\n\n"
    for label, members in groups:
        if members:
            heading = f"### {label}\n\n"
            text += heading + _table(_FINDING_HEADER, _finding_rows(members),
                                     budget // len(groups) - len(heading)) + "\n"
    return text


def _framework_section(framework: FrameworkView, budget: int) -> str:
    heading = f"## Framework {cell(framework.id)}\n\n"
    header = ("control", "status", "rules", *STATUSES)
    rows = [[control.control, control.status, ", ".join(control.rules),
             *[control.counts.get(status, 0) for status in STATUSES]]
            for control in framework.controls]
    return heading + _table(header, rows, budget - len(heading)) + "\n"


def render_markdown(report: Report) -> str:
    """The whole document, at most ``MAX_CHARS`` characters."""
    head = _heading(report) + _summary(report) + "\n"
    failing = [finding for finding in report.findings if finding.status in FAILING]
    rules_text = _rules_section(failing, MAX_CHARS // 5) if failing else ""
    framework = report.sections.framework
    baseline = report.sections.baseline
    framework_text = _framework_section(framework, MAX_CHARS // 5) if framework else ""
    baseline_text = _baseline_section(baseline, MAX_CHARS // 5) if baseline else ""
    remaining = MAX_CHARS - len(head) - len(rules_text) - len(framework_text) - len(baseline_text)
    return head + rules_text + _findings_section(failing, remaining) + baseline_text + framework_text


def write_step_summary(text: str) -> bool:
    """Append ``text`` to the file named by ``GITHUB_STEP_SUMMARY``; False when it is unset."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        return False
    try:
        with open(path, "a", encoding="utf-8") as summary:
            summary.write(text if text.endswith("\n") else text + "\n")
    except OSError as error:
        raise InputError(f"GITHUB_STEP_SUMMARY={path}", f"cannot append: {error.strerror}") from error
    return True


class MarkdownFormat:
    """``--format md`` -> ``findings.md`` (and the Actions step summary, via the CLI)."""

    name: str = "md"
    filename: str | None = "findings.md"

    def render(self, report: Report) -> str:
        return render_markdown(report)


FORMAT = MarkdownFormat()
