"""Small hand-made snapshots for scan tests, and reading the findings a scan gives.

A builder's keyword set to ``None`` removes that key (e.g. ``Status=None``: status not
collected).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.helpers.cli import scan_report

MANAGEMENT = "111111111111"
MEMBER = "222222222222"
ORG_ID = "o-test123456"
REGIONS = ("us-east-1", "eu-west-1")
COLLECTED_AT = "2026-11-20T02:00:00Z"
FRESH_DELIVERY = "2026-11-20T01:30:00Z"
KMS = "kms.amazonaws.com"
CONTROL_CHANNEL = "AWS::SSMMessages::ControlChannel"

Finding = dict[str, Any]


def basic(read_write: str = "All", management: bool = True, exclude: tuple[str, ...] = (),
          data: tuple[tuple[str, tuple[str, ...]], ...] = ()) -> dict[str, Any]:
    """One basic event selector (the CLI default is ``basic()``: all management events)."""
    return {"ReadWriteType": read_write, "IncludeManagementEvents": management,
            "DataResources": [{"Type": kind, "Values": list(values)} for kind, values in data],
            "ExcludeManagementEventSources": list(exclude)}


def field(name: str, **operators: list[str]) -> dict[str, Any]:
    """One advanced field selector: ``field("eventSource", NotEquals=[KMS])``."""
    return {"Field": name, **operators}


def advanced(name: str, *fields: dict[str, Any]) -> dict[str, Any]:
    return {"Name": name, "FieldSelectors": list(fields)}


def management_selector(name: str = "Management events selector", exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """The console's management selector, optionally with ``eventSource NotEquals`` exclusions."""
    fields = [field("eventCategory", Equals=["Management"])]
    if exclude:
        fields.append(field("eventSource", NotEquals=list(exclude)))
    return advanced(name, *fields)


def trail_arn(name: str, account: str = MANAGEMENT, home: str = "us-east-1") -> str:
    return f"arn:aws:cloudtrail:{home}:{account}:trail/{name}"


def trail(name: str = "main", *, account: str = MANAGEMENT, home: str = "us-east-1", multi_region: bool = True,
          organization: bool = False, logging: bool = True, **overrides: Any) -> dict[str, Any]:
    """A healthy trail (logging, fresh delivery, validation, KMS, CloudWatch Logs, both Insights
    types, all management events) with ``overrides``; ``None`` removes a key."""
    document: dict[str, Any] = {
        "Name": name, "TrailARN": trail_arn(name, account, home), "HomeRegion": home,
        "IsMultiRegionTrail": multi_region, "IsOrganizationTrail": organization,
        "IncludeGlobalServiceEvents": True, "LogFileValidationEnabled": True,
        "KmsKeyId": f"arn:aws:kms:{home}:{account}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "S3BucketName": f"{name}-logs",
        "CloudWatchLogsLogGroupArn": f"arn:aws:logs:{home}:{account}:log-group:{name}:*",
        "Status": {"IsLogging": logging, "LatestDeliveryTime": FRESH_DELIVERY},
        "EventSelectors": [basic()],
        "InsightSelectors": [{"InsightType": "ApiCallRateInsight"}, {"InsightType": "ApiErrorRateInsight"}],
    }
    if "AdvancedEventSelectors" in overrides and "EventSelectors" not in overrides:
        del document["EventSelectors"]
    document.update(overrides)
    return {k: v for k, v in document.items() if v is not None}


def account(account_id: str = MANAGEMENT, *trails: dict[str, Any], regions: tuple[str, ...] = REGIONS,
            errors: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
    document: dict[str, Any] = {"account_id": account_id, "name": f"account-{account_id[:3]}",
                                "regions": list(regions), "trails": list(trails)}
    if errors:
        document["errors"] = list(errors)
    return document


def collection_error(region: str | None, operation: str = "DescribeTrails") -> dict[str, Any]:
    """What the collector records when ``operation`` was denied (``region`` None = account-wide)."""
    return {"region": region, "operation": operation, "code": "AccessDenied", "message": f"{operation} was denied"}


def snapshot(*accounts: dict[str, Any], organization: bool = False,
             collected_at: str | float = COLLECTED_AT) -> dict[str, Any]:
    document: dict[str, Any] = {"format": "trailcheck.snapshot/v1", "collected_at": collected_at,
                                "partition": "aws", "accounts": list(accounts)}
    if organization:
        document["organization"] = {"id": ORG_ID, "management_account_id": MANAGEMENT}
    return document


def write_json(path: Path, document: Any) -> Path:
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


def scan_findings(capsys: pytest.CaptureFixture[str], tmp_path: Path, document: dict[str, Any],
                  *args: str) -> list[Finding]:
    """Write ``document`` as a snapshot, scan it (built-in pack unless ``args`` say otherwise)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = write_json(tmp_path / "snapshot.json", document)
    _, report = scan_report(capsys, tmp_path / "out", path, *args)
    findings: list[Finding] = report["findings"]
    return findings


def find(findings: list[Finding], rule_id: str, account_id: str | None = MANAGEMENT, region: str | None = None,
         resource: str | None = None) -> Finding:
    """The one finding of ``rule_id`` for that unit."""
    matches = [f for f in findings if (f["rule_id"], f["account_id"], f["region"], f["resource"])
               == (rule_id, account_id, region, resource)]
    assert len(matches) == 1, (rule_id, account_id, region, resource,
                               [(f["account_id"], f["region"], f["resource"]) for f in findings
                                if f["rule_id"] == rule_id])
    return matches[0]


def verdicts(findings: list[Finding]) -> list[tuple[str, str | None, str | None, str | None, str]]:
    return [(f["rule_id"], f["account_id"], f["region"], f["resource"], f["status"]) for f in findings]
