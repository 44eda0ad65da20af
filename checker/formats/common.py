"""Pieces every rich format shares, so that they agree: the rule catalogue built from
``report.extra["rules"]`` and the findings, framework references, and the
``account/region/resource`` path of a finding."""

from __future__ import annotations

from dataclasses import dataclass

from checker.findings import SEVERITIES, Finding, Report, Severity


@dataclass(frozen=True)
class RuleInfo:
    """What the formats need to know about one rule; ``source`` is ``file:line`` or None."""

    id: str
    title: str
    description: str
    severity: Severity
    scope: str | None
    remediation: str
    frameworks: dict[str, list[str]]
    source: str | None


def rule_catalogue(report: Report) -> dict[str, RuleInfo]:
    """Every rule the report knows, by id in id order.

    ``report.extra["rules"]`` (filled by the CLI from the loaded policies) is authoritative;
    a rule only seen in findings is described from its first finding, so a report loaded
    back from JSON without that section still renders.
    """
    first_finding: dict[str, Finding] = {}
    for finding in report.sorted_findings():
        first_finding.setdefault(finding.rule_id, finding)
    declared = {str(entry["id"]): entry for entry in report.extra.get("rules") or []}
    catalogue: dict[str, RuleInfo] = {}
    for rule_id in sorted(set(declared) | set(first_finding)):
        entry = declared.get(rule_id, {})
        seen = first_finding.get(rule_id)
        title = entry.get("title") or (seen.title if seen else "") or rule_id
        severity = entry.get("severity") or (seen.severity if seen else "info")
        catalogue[rule_id] = RuleInfo(
            id=rule_id,
            title=title,
            description=entry.get("description") or title,
            severity=severity if severity in SEVERITIES else "info",
            scope=entry.get("scope"),
            remediation=entry.get("remediation") or (seen.remediation if seen else ""),
            frameworks=entry.get("frameworks") or (seen.frameworks if seen else {}),
            source=entry.get("source"),
        )
    return catalogue


def framework_refs(frameworks: dict[str, list[str]]) -> list[str]:
    """``{"cis-aws-foundations-v3.0": ["3.1"]}`` -> ``["cis-aws-foundations-v3.0:3.1"]``, sorted."""
    return sorted(f"{framework}:{control}" for framework, controls in frameworks.items()
                  for control in controls)


def unit_path(finding: Finding) -> str:
    """``account/region/resource`` with the missing parts left out (``-`` if all are)."""
    parts = [part for part in (finding.account_id, finding.region, finding.resource) if part]
    return "/".join(parts) or "-"
