"""The HTML report's storage view: per trail, where its logs live and what protects them.

Built from the storage findings alone (docs/semantics.md, "Where the logs live"): a trail's
findings share its identity (``resource`` is the trail ARN) and their evidence names the
bucket, KMS key and log group they judged with the account that owns each (``bucket``,
``kms_key``, ``log_group``, each ``{"name", "account_id", ...}``; ``account_id`` is None when
no scanned account describes it). Event data stores have a table of their own, one row per
store. A cell is the finding's status, a few words read from its evidence (``fact``), and
its message; for an ``error`` or ``skipped`` finding, or where the evidence lacks what a fact
needs, the fact is the status (the message says why).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from checker.findings import Finding, status_rank, worst_status

Evidence = Mapping[str, Any]


def _part(evidence: Evidence, kind: str) -> Evidence:
    part = evidence.get(kind)
    return part if isinstance(part, Mapping) else {}


def _public(evidence: Evidence) -> str:
    bucket = _part(evidence, "bucket")
    ways = [way for way, key in (("policy", "public_by_policy"), ("ACL", "public_by_acl")) if bucket.get(key)]
    return "public by " + " and ".join(ways) if ways else "not public"


def _access_logging(evidence: Evidence) -> str:
    logging = _part(evidence, "bucket").get("Logging")
    if not isinstance(logging, Mapping):
        return "off"
    return f"to {logging.get('TargetBucket')}/{logging.get('TargetPrefix') or ''}"


def _delete_protection(evidence: Evidence) -> str:
    bucket = _part(evidence, "bucket")
    lock, versioning = bucket.get("ObjectLock"), bucket.get("Versioning")
    if isinstance(lock, Mapping) and lock.get("enabled") and (lock.get("days") or lock.get("years")):
        period = f"{lock['days']} days" if lock.get("days") else f"{lock['years']} years"
        return " ".join(part for part in ("Object Lock", lock.get("mode"), period) if part)
    if isinstance(versioning, Mapping) and versioning.get("MFADelete") == "Enabled":
        return "MFA delete"
    return "none"


def _policy_scoped(evidence: Evidence) -> str:
    statements = _part(evidence, "bucket").get("cloudtrail_write_statements")
    if not isinstance(statements, list) or not statements:
        return "no CloudTrail write statement"
    unscoped = sum(1 for s in statements if isinstance(s, Mapping) and not s.get("scoped"))
    return f"{unscoped} of {len(statements)} unscoped" if unscoped else "scoped"


def _retention(evidence: Evidence) -> str:
    parts = []
    rules = _part(evidence, "bucket").get("lifecycle_rules")
    if isinstance(rules, list):
        expiring = [str(r["expires"]) for r in rules if isinstance(r, Mapping) and r.get("applies") and "expires" in r]
        parts.append("S3 " + (", ".join(expiring) if expiring else "kept until deleted"))
    group = _part(evidence, "log_group")
    if "retentionInDays" in group:
        parts.append("log group " + _days(group["retentionInDays"], none="forever"))
    return "; ".join(parts)


def _days(value: Any, *, none: str) -> str:
    """``400 days``; ``none`` for None; a datum that was not read as the evidence gives it."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value} days"
    return none if value is None else str(value)


def _key_state(evidence: Evidence) -> str:
    return str(_part(evidence, "kms_key").get("KeyState") or "")


def _key_rotation(evidence: Evidence) -> str:
    key = _part(evidence, "kms_key")
    if key.get("KeyManager") == "AWS":
        return "AWS rotates"
    rotates = key.get("KeyRotationEnabled")
    return "rotates" if rotates is True else "off" if rotates is False else ""


def _store_health(evidence: Evidence) -> str:
    protected = evidence.get("TerminationProtectionEnabled")
    return ", ".join(part for part in (
        str(evidence.get("Status") or ""), _days(evidence.get("RetentionPeriod"), none=""),
        {True: "protected", False: "unprotected"}.get(protected, "") if isinstance(protected, bool) else "") if part)


def _store_key(evidence: Evidence) -> str:
    return "customer key" if evidence.get("KmsKeyId") else "AWS-owned key"


Fact = Callable[[Evidence], str]
# (rule id, column label, fact), in the order of the columns.
TRAIL_CHECKS: tuple[tuple[str, str, Fact], ...] = (
    ("trail-bucket-not-public", "Public", _public),
    ("trail-bucket-access-logging", "Access logging", _access_logging),
    ("trail-bucket-delete-protection", "Delete protection", _delete_protection),
    ("trail-bucket-policy-scoped", "Write policy", _policy_scoped),
    ("log-retention", "Retention", _retention),
    ("trail-kms-key-usable", "Key state", _key_state),
    ("trail-kms-key-rotation", "Key rotation", _key_rotation),
)
STORE_CHECKS: tuple[tuple[str, str, Fact], ...] = (
    ("event-data-store-healthy", "Ingesting, retention, protection", _store_health),
    ("event-data-store-cmk", "Encryption", _store_key),
)
PLACES = ("bucket", "log_group", "kms_key")


def storage_view(findings: Iterable[Finding]) -> dict[str, Any]:
    """``{"trails": {"checks", "rows", "all_skipped"}, "stores": {...}}``: a row per trail (per
    store) with a storage finding, worst first, then by account and ARN; a column per check
    with a finding. A trail row names where its bucket, log group and key live (``places``:
    ``{"bucket": {"name", "account_id"} | None, ...}``). Units whose every check was skipped
    (a snapshot without storage data: one row per trail of the organization saying so) are
    only counted, in ``all_skipped``; their findings say why."""
    return {"trails": _table(findings, TRAIL_CHECKS, places=True),
            "stores": _table(findings, STORE_CHECKS, places=False)}


def _table(findings: Iterable[Finding], checks: tuple[tuple[str, str, Fact], ...], *, places: bool) -> dict[str, Any]:
    by_rule = {rule_id: (label, fact) for rule_id, label, fact in checks}
    units: dict[tuple[str, str, str], dict[str, Finding]] = {}
    for finding in findings:
        if finding.rule_id in by_rule and finding.resource:
            unit = (finding.account_id or "", finding.region or "", finding.resource)
            units.setdefault(unit, {})[finding.rule_id] = finding
    present = [rule_id for rule_id, _, _ in checks if any(rule_id in found for found in units.values())]
    rows = []
    for (account, region, resource), found in units.items():
        row: dict[str, Any] = {"resource": resource, "account": account or None, "region": region or None,
                               "status": worst_status(f.status for f in found.values()),
                               "cells": [_cell(found.get(rule_id), by_rule[rule_id][1]) for rule_id in present]}
        if places:
            row["places"] = {kind: _place([found[rule_id] for rule_id in present if rule_id in found], kind)
                             for kind in PLACES}
        rows.append(row)
    rows.sort(key=lambda r: (status_rank(r["status"]), r["account"] or "", r["resource"], r["region"] or ""))
    judged = [row for row in rows if row["status"] != "skipped"]
    return {"checks": [{"rule": rule_id, "label": by_rule[rule_id][0]} for rule_id in present], "rows": judged,
            "all_skipped": len(rows) - len(judged)}


def _cell(finding: Finding | None, fact: Fact) -> dict[str, str] | None:
    if finding is None:
        return None
    shown = fact(finding.evidence) if finding.status in ("pass", "fail", "waived") else ""
    return {"status": finding.status, "fact": shown or finding.status, "message": finding.message}


def _place(findings: Iterable[Finding], kind: str) -> dict[str, Any] | None:
    """The first ``{"name", "account_id"}`` the findings' evidence gives for ``kind``."""
    for finding in findings:
        part = _part(finding.evidence, kind)
        if "name" in part:
            return {"name": part["name"], "account_id": part.get("account_id")}
    return None
