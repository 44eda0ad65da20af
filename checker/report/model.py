"""The report of one run, typed: findings, the rules' metadata, the inputs, the sections.

Every format renders the same :class:`Report`; it becomes JSON only when written
(:mod:`checker.report.document`). A report states each rule's metadata once, in
``rules``, and every finding's rule is there (checked on construction), so a format never
guesses a title.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from checker.findings import FAILING, SEVERITIES, STATUSES, Finding, RuleInfo
from checker.report.baseline import BaselineDiff
from checker.report.frameworks import FrameworkView
from checker.report.waivers import WaiverSection


@dataclass(frozen=True)
class CodeInput:
    """What a scan of code read: ``terraform-plan`` or ``cloudformation``, and the account
    that stands for the one the code does not name (findings carry it as ``account_id``)."""

    kind: str
    placeholder_account: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"kind": self.kind}
        if self.placeholder_account:
            data["placeholder_account"] = self.placeholder_account
        return data


@dataclass(frozen=True)
class SnapshotInput:
    """The trail configuration snapshot a run read (``path`` is ``live`` for a live collection,
    the plan or template for a scan of code, then described by ``code``)."""

    path: str
    sha256: str
    collected_at: str | None
    ignored_trail_copies: int = 0  # copies of a trail under a non-owner account, ignored (snapshot format)
    code: CodeInput | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"path": self.path, "sha256": self.sha256, "collected_at": self.collected_at}
        if self.ignored_trail_copies:
            data["ignored_trail_copies"] = self.ignored_trail_copies
        if self.code is not None:
            data["code"] = self.code.to_dict()
        return data


@dataclass(frozen=True)
class PolicyInput:
    """A policy file the rules came from (built-in files as ``builtin:<name>``) and its digest."""

    path: str
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "sha256": self.sha256}


@dataclass(frozen=True)
class Inputs:
    """What went into a run, for the audit trail.

    ``events`` holds the event readers' own counts (``read``, ``skipped``, ``sources``,
    problems) as they report them; None when no events were read.
    """

    snapshot: SnapshotInput | None = None
    events: Mapping[str, Any] | None = None
    policies: tuple[PolicyInput, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"snapshot": self.snapshot.to_dict() if self.snapshot else None,
                "events": dict(self.events) if self.events is not None else None,
                "policies": [policy.to_dict() for policy in self.policies]}


@dataclass(frozen=True)
class Sections:
    """What post-processing adds to a report (:mod:`checker.report`); None when not asked for."""

    waivers: WaiverSection | None = None
    framework: FrameworkView | None = None
    baseline: BaselineDiff | None = None

    def to_dict(self) -> dict[str, Any]:
        """The sections present, under their report keys, in a fixed order."""
        present = (("waivers", self.waivers), ("framework", self.framework), ("baseline", self.baseline))
        return {key: section.to_dict() for key, section in present if section is not None}


Summary = dict[str, dict[str, int]]


@dataclass(frozen=True)
class Report:
    """All findings of one run, the rules in effect (by id), what went in, and the sections."""

    findings: tuple[Finding, ...]
    rules: Mapping[str, RuleInfo]
    inputs: Inputs
    generated_at: str
    sections: Sections = field(default_factory=Sections)

    def __post_init__(self) -> None:
        unknown = sorted({f.rule_id for f in self.findings} - set(self.rules))
        if unknown:
            raise ValueError(f"findings of rules the report does not describe: {', '.join(unknown)}")

    def sorted_findings(self) -> list[Finding]:
        """Findings in report order: rule, account, region, resource (sorted once per report:
        every format asks)."""
        return list(self._sorted_findings)

    @cached_property
    def _sorted_findings(self) -> tuple[Finding, ...]:
        return tuple(sorted(self.findings, key=Finding.sort_key))

    def rule(self, finding: Finding) -> RuleInfo:
        return self.rules[finding.rule_id]

    def summary(self) -> Summary:
        """Findings by status, and failing (``fail``/``error``) findings by severity."""
        by_status = Counter(f.status for f in self.findings)
        by_severity = Counter(f.severity for f in self.findings if f.status in FAILING)
        return {
            "by_status": {s: by_status.get(s, 0) for s in STATUSES},
            "by_severity": {s: by_severity.get(s, 0) for s in SEVERITIES},
        }
