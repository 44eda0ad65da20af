"""Findings and the report that carries them (``trailcheck.findings/v1``, SPEC §9).

A finding is one rule's verdict on one unit (a trail, an account, an (account, region),
an organization, or a group of events). Passing findings are kept: they are the audit
evidence. Everything here is plain data so that every format renders the same report.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from checker import __version__

Status = Literal["pass", "fail", "error", "waived", "skipped"]
Severity = Literal["critical", "high", "medium", "low", "info"]

# The one status order, worst first. Wherever statuses are aggregated (a control of a
# framework view, a cell of the coverage grid) the worst present wins, and wherever
# findings are listed by status (tables, SARIF results) the worst come first. A confirmed
# failure outranks an error (a unit nobody could evaluate), which outranks an accepted
# risk; a pass outranks a skip, so a control with one pass and one skip reads "pass".
STATUSES: tuple[Status, ...] = ("fail", "error", "waived", "pass", "skipped")
SEVERITIES: tuple[Severity, ...] = ("critical", "high", "medium", "low", "info")
FORMAT_ID = "trailcheck.findings/v1"


def status_rank(status: Status) -> int:
    """0 for ``fail`` up to 4 for ``skipped``: lower is worse (see :data:`STATUSES`)."""
    return STATUSES.index(status)


def worst_status(statuses: Iterable[Status]) -> Status | None:
    """The worst of ``statuses`` in :data:`STATUSES` order; None when there are none."""
    return min(statuses, key=status_rank, default=None)


def severity_rank(severity: str) -> int:
    """0 for critical up to 4 for info: lower is more severe."""
    return [str(s) for s in SEVERITIES].index(severity)


def fingerprint(rule_id: str, account_id: str | None, region: str | None, resource: str | None) -> str:
    """A stable identity for a finding across runs: what it is about, not what it says."""
    key = "\x1f".join([rule_id, account_id or "", region or "", resource or ""])
    return hashlib.sha256(key.encode()).hexdigest()[:32]


@dataclass
class Finding:
    """One rule's verdict on one unit; ``evidence`` says how the verdict was reached."""

    rule_id: str
    title: str
    severity: Severity
    status: Status
    account_id: str | None
    region: str | None
    resource: str | None
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    remediation: str = ""
    frameworks: dict[str, list[str]] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.rule_id, self.account_id, self.region, self.resource)

    def sort_key(self) -> tuple[str, str, str, str]:
        return (self.rule_id, self.account_id or "", self.region or "", self.resource or "")

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "title": self.title,
            "severity": self.severity,
            "status": self.status,
            "account_id": self.account_id,
            "region": self.region,
            "resource": self.resource,
            "message": self.message,
            "evidence": self.evidence,
            "remediation": self.remediation,
            "frameworks": self.frameworks,
            "fingerprint": self.fingerprint,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        return cls(
            rule_id=data["rule_id"],
            title=data.get("title", ""),
            severity=data["severity"],
            status=data["status"],
            account_id=data.get("account_id"),
            region=data.get("region"),
            resource=data.get("resource"),
            message=data.get("message", ""),
            evidence=data.get("evidence") or {},
            remediation=data.get("remediation", ""),
            frameworks=data.get("frameworks") or {},
        )


@dataclass
class Report:
    """All findings of one run plus what went in (inputs, policies) for the audit trail.

    ``inputs`` follows SPEC §9: ``snapshot``, ``events`` and ``policies``. ``extra`` holds
    optional sections other stages add (waivers, baseline diff, framework view); they are
    written under their own keys.
    """

    findings: list[Finding]
    inputs: dict[str, Any]
    generated_at: str
    extra: dict[str, Any] = field(default_factory=dict)

    def sorted_findings(self) -> list[Finding]:
        return sorted(self.findings, key=Finding.sort_key)

    def summary(self) -> dict[str, dict[str, int]]:
        by_status = Counter(f.status for f in self.findings)
        by_severity = Counter(f.severity for f in self.findings if f.status in ("fail", "error"))
        return {
            "by_status": {s: by_status.get(s, 0) for s in STATUSES},
            "by_severity": {s: by_severity.get(s, 0) for s in SEVERITIES},
        }

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "format": FORMAT_ID,
            "tool": {"name": "trailcheck", "version": __version__},
            "generated_at": self.generated_at,
            "inputs": self.inputs,
            "summary": self.summary(),
            "findings": [f.to_dict() for f in self.sorted_findings()],
        }
        data.update(self.extra)
        return data

    def to_json(self) -> str:
        """Deterministic JSON: same inputs, same bytes (apart from ``generated_at``)."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=False, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Report:
        extra = {k: v for k, v in data.items()
                 if k not in ("format", "tool", "generated_at", "inputs", "summary", "findings")}
        return cls(
            findings=[Finding.from_dict(f) for f in data.get("findings", [])],
            inputs=data.get("inputs", {}),
            generated_at=data.get("generated_at", ""),
            extra=extra,
        )
