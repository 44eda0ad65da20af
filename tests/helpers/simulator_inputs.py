"""Trails and records for the selector simulator's tests, in the formats trailcheck reads.

Trails are DescribeTrails items with Status and selectors, parsed through ``parse_snapshot``
exactly as a snapshot file is; records are CloudTrail records as a log file holds them.
"""

from __future__ import annotations

from typing import Any

from checker.arn import Arn
from checker.inputs.snapshot import parse_snapshot
from checker.model import Snapshot, Trail

ACCOUNT = "111111111111"
OTHER_ACCOUNT = "222222222222"
REGION = "us-east-1"

Doc = dict[str, Any]

# -- trails, in the snapshot format ---------------------------------------------------------


def trail_doc(name: str = "main", account: str = ACCOUNT, partition: str = "aws", **fields: Any) -> Doc:
    """A DescribeTrails item + Status + selectors; defaults: multi-region, logging, no Insights.

    A field given as ``None`` is left out (e.g. ``Status=None``: GetTrailStatus not collected).
    """
    home = fields.get("HomeRegion", REGION)
    doc: Doc = {
        "Name": name,
        "TrailARN": f"arn:{partition}:cloudtrail:{home}:{account}:trail/{name}",
        "HomeRegion": home,
        "IsMultiRegionTrail": True,
        "IncludeGlobalServiceEvents": True,
        "Status": {"IsLogging": True},
        "InsightSelectors": [],
    }
    doc.update(fields)
    return {key: value for key, value in doc.items() if value is not None}


def snapshot_of(*accounts: tuple[str, list[Doc]], organization: Doc | None = None,
                errors: dict[str, list[Doc]] | None = None) -> Snapshot:
    """A snapshot document built from (account id, trails) pairs, parsed the way files are."""
    data: Doc = {"format": "trailcheck.snapshot/v1", "accounts": [
        {"account_id": account_id, "regions": [REGION, "eu-west-1"], "trails": trails,
         "errors": (errors or {}).get(account_id, [])}
        for account_id, trails in accounts]}
    if organization is not None:
        data["organization"] = organization
    return parse_snapshot(data, "test-snapshot.json")


def one_trail(doc: Doc) -> Trail:
    """The trail of a one-account snapshot holding only ``doc``."""
    account = Arn.parse(doc["TrailARN"]).account
    return snapshot_of((account, [doc])).accounts[0].trails[0]


def basic(*selectors: Doc) -> Doc:
    return {"EventSelectors": list(selectors)}


def advanced(*selectors: Doc) -> Doc:
    return {"AdvancedEventSelectors": list(selectors)}


def adv(*field_selectors: Doc, name: str | None = None) -> Doc:
    """One advanced selector; ``name`` is free text."""
    selector: Doc = {"FieldSelectors": list(field_selectors)}
    if name is not None:
        selector["Name"] = name
    return selector


def fs(field: str, **operators: list[str]) -> Doc:
    """A field selector: ``fs("eventName", Equals=["GetObject"])``."""
    return {"Field": field, **operators}


def data_resource(resource_type: str, *values: str) -> Doc:
    return {"Type": resource_type, "Values": list(values)}


MGMT = fs("eventCategory", Equals=["Management"])
DATA = fs("eventCategory", Equals=["Data"])
S3_OBJECT = fs("resources.type", Equals=["AWS::S3::Object"])
NOT_KMS = fs("eventSource", NotEquals=["kms.amazonaws.com"])
ADMIN_SESSIONS = f"arn:aws:sts::{ACCOUNT}:assumed-role/Admin/"
API_DEFAULT = basic({"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": [],
                     "ExcludeManagementEventSources": []})
CONSOLE_DEFAULT = advanced(adv(MGMT, name="Management events selector"))


def data_only(*resources: Doc, read_write: str = "All") -> Doc:
    """A basic selector that logs only the given data resources."""
    return basic({"ReadWriteType": read_write, "IncludeManagementEvents": False,
                  "DataResources": list(resources)})


# -- records --------------------------------------------------------------------------------

def record(source: str, name: str, read_only: bool | None = None, *, category: str | None = "Management",
           region: str = REGION, account: str = ACCOUNT, version: str = "1.09", **fields: Any) -> Doc:
    """A CloudTrail record; ``read_only=None`` and ``category=None`` leave those fields out."""
    rec: Doc = {"eventVersion": version, "eventSource": source, "eventName": name, "awsRegion": region,
                "recipientAccountId": account, "eventType": "AwsApiCall",
                "userIdentity": {"type": "AssumedRole", "accountId": account,
                                 "arn": f"arn:aws:sts::{account}:assumed-role/Admin/alice"}}
    if read_only is not None:
        rec["readOnly"] = read_only
    if category is not None:
        rec["eventCategory"] = category
        rec["managementEvent"] = category == "Management"
    rec.update(fields)
    return rec


def without(rec: Doc, *keys: str) -> Doc:
    """``rec`` without ``keys`` (older eventVersions lack fields newer ones have)."""
    return {key: value for key, value in rec.items() if key not in keys}


def s3_object_record(bucket: str, key: str, name: str = "GetObject", read_only: bool = True,
                     partition: str = "aws", **fields: Any) -> Doc:
    """An S3 object-level data event: it carries the object *and* its bucket as resources."""
    return record("s3.amazonaws.com", name, read_only, category="Data", resources=[
        {"type": "AWS::S3::Object", "ARN": f"arn:{partition}:s3:::{bucket}/{key}"},
        {"accountId": ACCOUNT, "type": "AWS::S3::Bucket", "ARN": f"arn:{partition}:s3:::{bucket}"},
    ], **fields)


def lambda_arn(function: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}"


def lambda_record(function: str) -> Doc:
    return record("lambda.amazonaws.com", "Invoke", False, category="Data",
                  resources=[{"accountId": ACCOUNT, "type": "AWS::Lambda::Function", "ARN": lambda_arn(function)}])


def table_arn(table: str) -> str:
    return f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}"


def dynamodb_record(table: str) -> Doc:
    return record("dynamodb.amazonaws.com", "GetItem", True, category="Data",
                  resources=[{"accountId": ACCOUNT, "type": "AWS::DynamoDB::Table", "ARN": table_arn(table)}])


def network_record(source: str) -> Doc:
    return record(source, "Decrypt", category="NetworkActivity", eventType="AwsVpceEvent",
                  vpcEndpointId="vpce-0123456789abcdef0")


def insight_record(insight_type: str) -> Doc:
    return {"eventVersion": "1.07", "eventType": "AwsCloudTrailInsight", "eventCategory": "Insight",
            "awsRegion": REGION, "recipientAccountId": ACCOUNT, "sharedEventID": "shared-1",
            "insightDetails": {"state": "Start", "eventSource": "ec2.amazonaws.com", "eventName": "RunInstances",
                               "insightType": insight_type}}


# -- selectors used by several tables -----------------------------------------------------

CONTROL_CHANNEL = fs("resources.type", Equals=["AWS::SSMMessages::ControlChannel"])
MANAGED_NODE = fs("resources.type", Equals=["AWS::SSM::ManagedNode"])
EC2_INSTANCES = "arn:aws:ec2:us-east-1:123456789012:instance/"
BUCKET_1 = fs("resources.ARN", StartsWith=["arn:aws:s3:::bucket-1/"])
S3_ALL = data_resource("AWS::S3::Object", "arn:aws:s3")
