"""Findings, and what a report says once per rule.

A finding is one rule's verdict on one unit (a trail, an account, an (account, region),
an organization, or a group of events). Passing findings are kept: they are the audit
evidence. What every finding of a rule shares (title, remediation, references, framework
controls) is a :class:`RuleInfo`, stated once per report rather than once per finding:
at organization scale a report holds some 150,000 findings of a few dozen rules.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

from checker.safetext import encodable

Status = Literal["pass", "fail", "error", "waived", "skipped"]
Severity = Literal["critical", "high", "medium", "low", "info"]

# The one status order, worst first. Wherever statuses are aggregated (a control of a
# framework view, a cell of the coverage grid) the worst present wins, and wherever
# findings are listed by status (tables, SARIF results) the worst come first. A confirmed
# failure outranks an error (a unit nobody could evaluate), which outranks an accepted
# risk; a pass outranks a skip, so a control with one pass and one skip reads "pass".
STATUSES: tuple[Status, ...] = ("fail", "error", "waived", "pass", "skipped")
SEVERITIES: tuple[Severity, ...] = ("critical", "high", "medium", "low", "info")
# What needs acting on: a confirmed gap, or a unit nobody could evaluate. These are the
# findings SARIF and the Markdown summary list, a baseline compares, and the action counts.
FAILING: tuple[Status, ...] = ("fail", "error")


def status_rank(status: Status) -> int:
    """0 for ``fail`` up to 4 for ``skipped``: lower is worse (see :data:`STATUSES`)."""
    return STATUSES.index(status)


def worst_status(statuses: Iterable[Status]) -> Status | None:
    """The worst of ``statuses`` in :data:`STATUSES` order; None when there are none."""
    return min(statuses, key=status_rank, default=None)


_SEVERITY_RANKS: dict[str, int] = {severity: rank for rank, severity in enumerate(SEVERITIES)}


def severity_rank(severity: str) -> int:
    """0 for critical up to 4 for info: lower is more severe."""
    return _SEVERITY_RANKS[severity]


def fingerprint(rule_id: str, account_id: str | None, region: str | None, resource: str | None) -> str:
    """A stable identity for a finding across runs: what it is about, not what it says.

    Hashed as the reports write the text (a lone surrogate as U+FFFD), so a finding read
    back from a report has the fingerprint it was written with.
    """
    key = "\x1f".join([rule_id, account_id or "", region or "", resource or ""])
    return hashlib.sha256(encodable(key).encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Location:
    """Where the unit of a finding is written down: a file and a 1-based line (code input)."""

    file: str
    line: int

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line}


@dataclass(frozen=True)
class Finding:
    """One rule's verdict on one unit; ``evidence`` says how the verdict was reached.

    ``location`` is set when the unit comes from a file a user edits (a Terraform plan, a
    CloudFormation template), so that code scanning can annotate that line.
    """

    rule_id: str
    severity: Severity
    status: Status
    account_id: str | None
    region: str | None
    resource: str | None
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    location: Location | None = None

    @cached_property
    def fingerprint(self) -> str:
        return fingerprint(self.rule_id, self.account_id, self.region, self.resource)

    def sort_key(self) -> tuple[str, str, str, str]:
        """The report order: rule, account, region, resource."""
        return (self.rule_id, self.account_id or "", self.region or "", self.resource or "")

    def worst_first_key(self) -> tuple[int, int, tuple[str, str, str, str]]:
        """Worst status first, then the most severe, then the report order."""
        return status_rank(self.status), severity_rank(self.severity), self.sort_key()

    def to_dict(self) -> dict[str, Any]:
        """The finding as a ``trailcheck.findings/v2`` object (``location`` only when set)."""
        data: dict[str, Any] = {
            "rule_id": self.rule_id,
            "severity": self.severity,
            "status": self.status,
            "account_id": self.account_id,
            "region": self.region,
            "resource": self.resource,
            "message": self.message,
            "evidence": self.evidence,
            "fingerprint": self.fingerprint,
        }
        if self.location is not None:
            data["location"] = self.location.to_dict()
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Finding:
        """A schema-valid v1 or v2 finding object (v1's per-finding rule metadata is not read here)."""
        location = data.get("location")
        return cls(
            rule_id=data["rule_id"],
            severity=data["severity"],
            status=data["status"],
            account_id=data.get("account_id"),
            region=data.get("region"),
            resource=data.get("resource"),
            message=data.get("message", ""),
            evidence=dict(data.get("evidence") or {}),
            location=Location(location["file"], location["line"]) if location else None,
        )


@dataclass(frozen=True)
class RuleInfo:
    """What a report states once about a rule: how to read and fix its findings.

    ``source`` is the ``file:line`` of the rule's definition (None when unknown, e.g. a
    rule described from an old report's findings); ``references`` are documentation URLs,
    the first being the rule's main help page.
    """

    id: str
    title: str
    severity: Severity
    description: str = ""
    scope: str | None = None
    remediation: str = ""
    references: tuple[str, ...] = ()
    frameworks: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    source: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The rule's entry in a report's ``rules`` object (keyed by the id, so the id is not repeated)."""
        return {
            "title": self.title,
            "description": self.description,
            "severity": self.severity,
            "scope": self.scope,
            "remediation": self.remediation,
            "references": list(self.references),
            "frameworks": {framework: list(controls) for framework, controls in sorted(self.frameworks.items())},
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, rule_id: str, data: Mapping[str, Any]) -> RuleInfo:
        frameworks: Mapping[str, Iterable[str]] = data.get("frameworks") or {}
        return cls(
            id=rule_id,
            title=data.get("title") or rule_id,
            severity=data["severity"],
            description=data.get("description") or "",
            scope=data.get("scope"),
            remediation=data.get("remediation") or "",
            references=tuple(data.get("references") or ()),
            frameworks={framework: tuple(controls) for framework, controls in frameworks.items()},
            source=data.get("source"),
        )
