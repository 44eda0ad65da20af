"""The selector simulator, row by row against how CloudTrail decides (docs/semantics.md) and its pitfalls.

Each row is one trail configuration (in the real snapshot format, parsed by
``parse_snapshot``), one CloudTrail record and the answer CloudTrail would give: logged
or not (``None`` when data is missing), the decision label and a piece of the reason a
user reads in ``explain`` output. The trail and record builders are in
``tests/helpers/simulator_inputs.py``.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

import pytest

from checker.model import Snapshot
from checker.simulator import decide_record, record_verdict
from tests.helpers.data import DOC_EXAMPLES, data_file
from tests.helpers.simulator_inputs import (
    ACCOUNT,
    ADMIN_SESSIONS,
    API_DEFAULT,
    BUCKET_1,
    CONSOLE_DEFAULT,
    CONTROL_CHANNEL,
    DATA,
    EC2_INSTANCES,
    MANAGED_NODE,
    MGMT,
    NOT_KMS,
    OTHER_ACCOUNT,
    REGION,
    S3_ALL,
    S3_OBJECT,
    Doc,
    adv,
    advanced,
    basic,
    data_only,
    data_resource,
    dynamodb_record,
    fs,
    insight_record,
    lambda_arn,
    lambda_record,
    network_record,
    one_trail,
    record,
    s3_object_record,
    snapshot_of,
    table_arn,
    trail_doc,
    without,
)

# -- records --------------------------------------------------------------------------------


def corpus_record(name: str) -> Doc:
    """A record published in the AWS user guides (account 123456789012, us-east-1)."""
    data: Doc = json.loads(data_file(DOC_EXAMPLES, name).read_text(encoding="utf-8"))
    return data


CREATE_CONTROL_CHANNEL = corpus_record("CreateControlChannel-1.08.json")
MANAGED_NODE_TOKEN = corpus_record("RequestManagedInstanceRoleToken-1.08.json")

RUN_INSTANCES = record("ec2.amazonaws.com", "RunInstances", False)
DESCRIBE_INSTANCES = record("ec2.amazonaws.com", "DescribeInstances", True)
KMS_DECRYPT = record("kms.amazonaws.com", "Decrypt", True)
RDS_DATA = record("rdsdata.amazonaws.com", "ExecuteStatement", False)
IAM_CREATE_USER = record("iam.amazonaws.com", "CreateUser", False)
GET_PHOTO = s3_object_record("bucket-1", "example-images/cat.png")
GET_V106 = without(s3_object_record("bucket-1", "k", eventVersion="1.06"), "eventCategory")
GET_V105 = without(s3_object_record("bucket-1", "k", eventVersion="1.05"), "eventCategory", "managementEvent")


# -- the table ------------------------------------------------------------------------------


class Row(NamedTuple):
    trail: Doc
    record: Doc
    region: str
    logged: bool | None
    decision: str
    reason: str


def row(case_id: str, trail: Doc, rec: Doc, logged: bool | None, decision: str, reason: str,
        region: str = REGION) -> Any:
    """One case of the table, named by ``case_id``."""
    return pytest.param(Row(trail_doc(**trail), rec, region, logged, decision, reason), id=case_id)


CASES = [
    # defaults: no selectors at all
    row("api-default-logs-write-management", API_DEFAULT, RUN_INSTANCES, True, "logged", "EventSelectors[0] matches"),
    row("api-default-logs-read-management", API_DEFAULT, DESCRIBE_INSTANCES, True, "logged", "EventSelectors[0]"),
    row("api-default-logs-no-data-events", API_DEFAULT, GET_PHOTO, False, "not-selected",
        "does not select eventCategory=Data"),
    row("api-default-logs-no-network-activity", API_DEFAULT, network_record("kms.amazonaws.com"), False,
        "not-selected", "eventCategory=NetworkActivity"),
    row("empty-basic-selector-takes-aws-defaults", basic({}), KMS_DECRYPT, True, "logged", "EventSelectors[0]"),
    row("console-default-logs-kms-decrypt", CONSOLE_DEFAULT, KMS_DECRYPT, True, "logged",
        'AdvancedEventSelectors[0] "Management events selector" matches'),
    row("console-default-logs-no-data-events", CONSOLE_DEFAULT, GET_PHOTO, False, "not-selected",
        "does not select eventCategory=Data"),
    # basic selectors: ReadWriteType against readOnly true / false / absent
    row("all-logs-read", basic({"ReadWriteType": "All"}), DESCRIBE_INSTANCES, True, "logged", "EventSelectors[0]"),
    row("all-logs-write", basic({"ReadWriteType": "All"}), RUN_INSTANCES, True, "logged", "EventSelectors[0]"),
    row("all-logs-readonly-absent", basic({"ReadWriteType": "All"}), record("ec2.amazonaws.com", "RunInstances"),
        True, "logged", "EventSelectors[0]"),
    row("readonly-logs-read", basic({"ReadWriteType": "ReadOnly"}), DESCRIBE_INSTANCES, True, "logged",
        "EventSelectors[0]"),
    row("readonly-drops-write", basic({"ReadWriteType": "ReadOnly"}), RUN_INSTANCES, False, "not-selected",
        "ReadWriteType=ReadOnly does not select readOnly=false"),
    row("readonly-drops-readonly-absent", basic({"ReadWriteType": "ReadOnly"}),
        record("ec2.amazonaws.com", "RunInstances"), False, "not-selected",
        "has no readOnly (treated as not matching)"),
    row("writeonly-logs-write", basic({"ReadWriteType": "WriteOnly"}), RUN_INSTANCES, True, "logged",
        "EventSelectors[0]"),
    row("writeonly-drops-read", basic({"ReadWriteType": "WriteOnly"}), DESCRIBE_INSTANCES, False, "not-selected",
        "ReadWriteType=WriteOnly does not select readOnly=true"),
    row("writeonly-drops-readonly-absent", basic({"ReadWriteType": "WriteOnly"}),
        record("ec2.amazonaws.com", "RunInstances"), False, "not-selected", "has no readOnly"),
    row("pitfall-2-writeonly-drops-kms-decrypt", basic({"ReadWriteType": "WriteOnly"}), KMS_DECRYPT, False,
        "not-selected", "does not select readOnly=true"),
    row("include-management-false-drops-management", basic({"IncludeManagementEvents": False}), RUN_INSTANCES,
        False, "not-selected", "IncludeManagementEvents is false"),
    row("include-management-false-keeps-data", data_only(S3_ALL), GET_PHOTO, True, "logged",
        "EventSelectors[0].DataResources[0] matches"),
    row("writeonly-applies-to-data-read", data_only(S3_ALL, read_write="WriteOnly"), GET_PHOTO, False,
        "not-selected", "ReadWriteType=WriteOnly does not select readOnly=true"),
    row("writeonly-applies-to-data-write", data_only(S3_ALL, read_write="WriteOnly"),
        s3_object_record("bucket-1", "a.txt", "PutObject", False), True, "logged", "DataResources[0] matches"),
    # basic selectors: ExcludeManagementEventSources, pitfall 1 (OR across selectors defeats exclusions)
    row("exclude-kms-drops-kms", basic({"ExcludeManagementEventSources": ["kms.amazonaws.com"]}), KMS_DECRYPT,
        False, "excluded", "NotEquals kms.amazonaws.com excludes eventSource=kms.amazonaws.com"),
    row("exclude-kms-keeps-others", basic({"ExcludeManagementEventSources": ["kms.amazonaws.com"]}), RUN_INSTANCES,
        True, "logged", "EventSelectors[0] matches"),
    row("exclude-rdsdata-drops-rdsdata", basic({"ExcludeManagementEventSources": ["rdsdata.amazonaws.com"]}),
        RDS_DATA, False, "excluded", "excludes eventSource=rdsdata.amazonaws.com"),
    row("exclude-both-drops-kms", basic({"ExcludeManagementEventSources": ["kms.amazonaws.com",
                                                                         "rdsdata.amazonaws.com"]}),
        KMS_DECRYPT, False, "excluded", "ExcludeManagementEventSources NotEquals kms.amazonaws.com"),
    row("pitfall-1-second-basic-selector-cancels-exclusion",
        basic({"ExcludeManagementEventSources": ["kms.amazonaws.com"]}, {"ReadWriteType": "All"}), KMS_DECRYPT,
        True, "logged", "EventSelectors[1] matches"),
    row("pitfall-1-second-advanced-selector-cancels-exclusion",
        advanced(adv(MGMT, NOT_KMS), adv(MGMT)), KMS_DECRYPT,
        True, "logged", "AdvancedEventSelectors[1] matches"),
    # basic selectors: DataResources: S3 prefixes, pitfalls 4 and 5
    row("s3-all-arn-aws-s3", data_only(S3_ALL), s3_object_record("any-bucket", "k"), True, "logged",
        "DataResources[0] matches"),
    row("s3-all-arn-aws-s3-colons", data_only(data_resource("AWS::S3::Object", "arn:aws:s3:::")),
        s3_object_record("any-bucket", "k"), True, "logged", "DataResources[0] matches"),
    row("s3-bucket-slash-logs-its-objects", data_only(data_resource("AWS::S3::Object", "arn:aws:s3:::bucket-1/")),
        GET_PHOTO, True, "logged", "DataResources[0] matches"),
    row("s3-bucket-slash-skips-bucket-10", data_only(data_resource("AWS::S3::Object", "arn:aws:s3:::bucket-1/")),
        s3_object_record("bucket-10", "x"), False, "not-selected",
        "does not select resources.ARN=arn:aws:s3:::bucket-10/x"),
    row("s3-key-prefix-logs-matching-key",
        data_only(data_resource("AWS::S3::Object", "arn:aws:s3:::bucket-1/example-images")), GET_PHOTO, True,
        "logged", "DataResources[0] matches"),
    row("s3-key-prefix-is-a-string-prefix",
        data_only(data_resource("AWS::S3::Object", "arn:aws:s3:::bucket-1/example-images")),
        s3_object_record("bucket-1", "example-images-old/x.png"), True, "logged", "DataResources[0] matches"),
    row("s3-key-prefix-skips-other-keys",
        data_only(data_resource("AWS::S3::Object", "arn:aws:s3:::bucket-1/example-images")),
        s3_object_record("bucket-1", "docs/x.pdf"), False, "not-selected",
        "does not select resources.ARN=arn:aws:s3:::bucket-1/docs/x.pdf"),
    row("pitfall-4-no-slash-also-matches-my-bucket-logs",
        data_only(data_resource("AWS::S3::Object", "arn:aws:s3:::my-bucket")),
        s3_object_record("my-bucket-logs", "2024/a.gz"), True, "logged", "DataResources[0] matches"),
    row("no-slash-matches-its-own-bucket", data_only(data_resource("AWS::S3::Object", "arn:aws:s3:::my-bucket")),
        s3_object_record("my-bucket", "a"), True, "logged", "DataResources[0] matches"),
    row("slash-does-not-match-my-bucket-logs",
        data_only(data_resource("AWS::S3::Object", "arn:aws:s3:::my-bucket/")),
        s3_object_record("my-bucket-logs", "a"), False, "not-selected", "StartsWith ['arn:aws:s3:::my-bucket/']"),
    row("s3-selector-ignores-lambda-invoke", data_only(S3_ALL), lambda_record("helloworld"), False, "not-selected",
        "does not select resources.type=AWS::Lambda::Function"),
    # Lambda (pitfall 6) and DynamoDB
    row("lambda-all-functions", data_only(data_resource("AWS::Lambda::Function", "arn:aws:lambda")),
        lambda_record("anything"), True, "logged", "DataResources[0] matches"),
    row("lambda-exact-arn-logs-that-function",
        data_only(data_resource("AWS::Lambda::Function", lambda_arn("helloworld"))), lambda_record("helloworld"),
        True, "logged", "DataResources[0] matches"),
    row("pitfall-6-lambda-exact-arn-skips-helloworld2",
        data_only(data_resource("AWS::Lambda::Function", lambda_arn("helloworld"))), lambda_record("helloworld2"),
        False, "not-selected", f"does not select resources.ARN={lambda_arn('helloworld2')}"),
    row("dynamodb-all-tables", data_only(data_resource("AWS::DynamoDB::Table", "arn:aws:dynamodb")),
        dynamodb_record("Orders"), True, "logged", "DataResources[0] matches"),
    row("dynamodb-table-arn-logs-that-table",
        data_only(data_resource("AWS::DynamoDB::Table", table_arn("Orders"))), dynamodb_record("Orders"), True,
        "logged", "DataResources[0] matches"),
    row("dynamodb-table-arn-skips-other-table",
        data_only(data_resource("AWS::DynamoDB::Table", table_arn("Orders"))), dynamodb_record("OrdersArchive"),
        False, "not-selected", f"does not select resources.ARN={table_arn('OrdersArchive')}"),
    row("pitfall-7-empty-values-s3-logs-nothing", data_only(data_resource("AWS::S3::Object")), GET_PHOTO, False,
        "not-selected", "Values is empty: logs nothing"),
    row("pitfall-7-empty-values-lambda-logs-nothing", data_only(data_resource("AWS::Lambda::Function")),
        lambda_record("helloworld"), False, "not-selected", "Values is empty"),
    row("aws-cn-prefix-does-not-match-aws-objects",
        data_only(data_resource("AWS::S3::Object", "arn:aws-cn:s3")), GET_PHOTO, False, "not-selected",
        "StartsWith ['arn:aws-cn:s3']"),
    row("aws-cn-trail-all-buckets-form", {"partition": "aws-cn", "HomeRegion": "cn-north-1",
                                          **data_only(data_resource("AWS::S3::Object", "arn:aws-cn:s3"))},
        s3_object_record("b", "k", partition="aws-cn", awsRegion="cn-north-1"), True, "logged",
        "DataResources[0] matches", region="cn-north-1"),
    row("aws-cn-trail-aws-form-matches-nothing", {"partition": "aws-cn", "HomeRegion": "cn-north-1",
                                                  **data_only(data_resource("AWS::S3::Object", "arn:aws:s3"))},
        s3_object_record("b", "k", partition="aws-cn", awsRegion="cn-north-1"), False, "not-selected",
        "does not select resources.ARN=arn:aws-cn:s3:::b/k", region="cn-north-1"),
    # advanced selectors: every operator
    row("adv-equals-hit", advanced(adv(DATA, S3_OBJECT, fs("eventName", Equals=["GetObject"]))), GET_PHOTO, True,
        "logged", "AdvancedEventSelectors[0] matches"),
    row("adv-equals-miss", advanced(adv(DATA, S3_OBJECT, fs("eventName", Equals=["PutObject"]))), GET_PHOTO, False,
        "not-selected", "does not select eventName=GetObject (Equals ['PutObject'])"),
    row("adv-startswith-hit", advanced(adv(DATA, S3_OBJECT, BUCKET_1)), GET_PHOTO, True, "logged",
        "AdvancedEventSelectors[0] matches"),
    row("adv-endswith-hit", advanced(adv(DATA, S3_OBJECT, fs("resources.ARN", EndsWith=[".png"]))), GET_PHOTO,
        True, "logged", "AdvancedEventSelectors[0] matches"),
    row("adv-endswith-miss", advanced(adv(DATA, S3_OBJECT, fs("resources.ARN", EndsWith=[".png"]))),
        s3_object_record("bucket-1", "a.jpg"), False, "not-selected", "(EndsWith ['.png'])"),
    row("adv-notequals-hit-excludes", advanced(adv(DATA, S3_OBJECT, fs("eventName", NotEquals=["GetObject"]))),
        GET_PHOTO, False, "excluded", "NotEquals GetObject excludes eventName=GetObject"),
    row("adv-notstartswith-hit-excludes",
        advanced(adv(DATA, S3_OBJECT, fs("resources.ARN", NotStartsWith=["arn:aws:s3:::secret-"]))),
        s3_object_record("secret-bucket", "k"), False, "excluded",
        "NotStartsWith arn:aws:s3:::secret- excludes resources.ARN=arn:aws:s3:::secret-bucket/k"),
    row("adv-notstartswith-miss-logs",
        advanced(adv(DATA, S3_OBJECT, fs("resources.ARN", NotStartsWith=["arn:aws:s3:::secret-"]))),
        GET_PHOTO, True, "logged", "AdvancedEventSelectors[0] matches"),
    row("adv-notendswith-hit-excludes", advanced(adv(DATA, S3_OBJECT, fs("resources.ARN", NotEndsWith=[".log"]))),
        s3_object_record("bucket-1", "app.log"), False, "excluded", "NotEndsWith .log excludes"),
    row("adv-or-within-operator-list",
        advanced(adv(DATA, S3_OBJECT, fs("eventName", Equals=["PutObject", "GetObject"]))), GET_PHOTO, True,
        "logged", "AdvancedEventSelectors[0] matches"),
    row("adv-select-and-deselect-groups-both-hold",
        advanced(adv(DATA, S3_OBJECT, fs("resources.ARN", StartsWith=["arn:aws:s3:::bucket-1/"],
                                          NotEndsWith=[".tmp"]))), GET_PHOTO, True, "logged",
        "AdvancedEventSelectors[0] matches"),
    row("adv-deselect-group-beats-select-group",
        advanced(adv(DATA, S3_OBJECT, fs("resources.ARN", StartsWith=["arn:aws:s3:::bucket-1/"],
                                          NotEndsWith=[".tmp"]))), s3_object_record("bucket-1", "a.tmp"),
        False, "excluded", "NotEndsWith .tmp excludes"),
    row("adv-not-lists-one-hit-excludes",
        advanced(adv(DATA, S3_OBJECT, fs("eventName", NotEquals=["DeleteObject"], NotStartsWith=["Get"]))),
        GET_PHOTO, False, "excluded", "NotStartsWith Get excludes eventName=GetObject"),
    row("adv-not-lists-no-hit-logs",
        advanced(adv(DATA, S3_OBJECT, fs("eventName", NotEquals=["DeleteObject"], NotStartsWith=["Get"]))),
        s3_object_record("bucket-1", "a", "PutObject", False), True, "logged", "AdvancedEventSelectors[0] matches"),
    row("adv-and-across-field-selectors",
        advanced(adv(DATA, S3_OBJECT, fs("eventName", Equals=["GetObject"]),
                     fs("resources.ARN", StartsWith=["arn:aws:s3:::bucket-2/"]))), GET_PHOTO, False,
        "not-selected", "does not select resources.ARN=arn:aws:s3:::bucket-1/example-images/cat.png"),
    row("adv-or-across-selectors",
        advanced(adv(DATA, S3_OBJECT, fs("eventName", Equals=["PutObject"])), adv(DATA, S3_OBJECT, BUCKET_1)),
        GET_PHOTO, True, "logged", "AdvancedEventSelectors[1] matches"),
    row("pitfall-3-name-management-selector-still-excludes-kms",
        advanced(adv(MGMT, NOT_KMS, name="Management events selector")),
        KMS_DECRYPT, False, "excluded", "NotEquals kms.amazonaws.com excludes eventSource=kms.amazonaws.com"),
    row("pitfall-3-data-selector-named-management-logs-no-management",
        advanced(adv(DATA, S3_OBJECT, name="Management events")), RUN_INSTANCES, False, "not-selected",
        "does not select eventCategory=Management"),
    row("adv-readonly-true-logs-read", advanced(adv(MGMT, fs("readOnly", Equals=["true"]))), KMS_DECRYPT, True,
        "logged", "AdvancedEventSelectors[0] matches"),
    row("adv-readonly-true-drops-write", advanced(adv(MGMT, fs("readOnly", Equals=["true"]))), RUN_INSTANCES,
        False, "not-selected", "does not select readOnly=false"),
    row("adv-readonly-false-drops-readonly-absent", advanced(adv(MGMT, fs("readOnly", Equals=["false"]))),
        record("ec2.amazonaws.com", "RunInstances"), False, "not-selected", "has no readOnly"),
    row("adv-management-notequals-kms-excludes", advanced(adv(MGMT, NOT_KMS)), KMS_DECRYPT, False, "excluded",
        "excludes eventSource=kms.amazonaws.com"),
    row("adv-management-notequals-kms-keeps-others",
        advanced(adv(MGMT, NOT_KMS)), RUN_INSTANCES, True, "logged",
        "AdvancedEventSelectors[0] matches"),
    row("adv-type-and-arn-on-same-resource-entry",
        advanced(adv(DATA, S3_OBJECT, fs("resources.ARN", Equals=["arn:aws:s3:::bucket-1"]))), GET_PHOTO, False,
        "not-selected", "resources.type=AWS::S3::Bucket"),
    row("adv-network-activity-selected-source",
        advanced(adv(fs("eventCategory", Equals=["NetworkActivity"]), fs("eventSource", Equals=["kms.amazonaws.com"]))),
        network_record("kms.amazonaws.com"), True, "logged", "AdvancedEventSelectors[0] matches"),
    row("adv-network-activity-other-source",
        advanced(adv(fs("eventCategory", Equals=["NetworkActivity"]), fs("eventSource", Equals=["kms.amazonaws.com"]))),
        network_record("secretsmanager.amazonaws.com"), False, "not-selected",
        "does not select eventSource=secretsmanager.amazonaws.com"),
    row("adv-network-activity-is-not-management",
        advanced(adv(fs("eventCategory", Equals=["NetworkActivity"]), fs("eventSource", Equals=["kms.amazonaws.com"]))),
        KMS_DECRYPT, False, "not-selected", "does not select eventCategory=Management"),
    row("adv-user-identity-arn-startswith",
        advanced(adv(DATA, S3_OBJECT, fs("userIdentity.arn", StartsWith=[ADMIN_SESSIONS]))),
        GET_PHOTO, True, "logged", "AdvancedEventSelectors[0] matches"),
    row("adv-user-identity-arn-notstartswith-excludes",
        advanced(adv(DATA, S3_OBJECT, fs("userIdentity.arn", NotStartsWith=[f"arn:aws:sts::{ACCOUNT}:assumed-role/"]))),
        GET_PHOTO, False, "excluded", "excludes userIdentity.arn="),
    row("adv-absent-field-with-not-operator-is-not-matching",
        advanced(adv(DATA, S3_OBJECT, fs("userIdentity.arn", NotStartsWith=["arn:aws:sts::999999999999:"]))),
        s3_object_record("bucket-1", "k", userIdentity={"type": "AWSService", "invokedBy": "s3.amazonaws.com"}),
        False, "not-selected", "has no userIdentity.arn (treated as not matching)"),
    row("adv-case-sensitive-values", advanced(adv(DATA, S3_OBJECT, fs("eventName", Equals=["getobject"]))),
        GET_PHOTO, False, "not-selected", "does not select eventName=GetObject"),
    row("adv-case-sensitive-resource-type",
        advanced(adv(DATA, fs("resources.type", Equals=["aws::s3::object"]))), GET_PHOTO, False, "not-selected",
        "does not select resources.type=AWS::S3::Object"),
    row("adv-star-is-literal", advanced(adv(DATA, S3_OBJECT, fs("resources.ARN", StartsWith=["arn:aws:s3:::*"]))),
        GET_PHOTO, False, "not-selected", "StartsWith ['arn:aws:s3:::*']"),
    row("adv-empty-selector-list-logs-nothing", advanced(), RUN_INSTANCES, False, "not-selected",
        "the trail has no event selectors"),
    # region reach, pitfall 8
    row("single-region-trail-out-of-region", {"IsMultiRegionTrail": False, "HomeRegion": "eu-west-1", **API_DEFAULT},
        RUN_INSTANCES, False, "out-of-region", "single-region trail in eu-west-1; the event is in us-east-1"),
    row("single-region-trail-in-its-region", {"IsMultiRegionTrail": False, **API_DEFAULT},
        RUN_INSTANCES, True, "logged", "EventSelectors[0] matches"),
    row("multi-region-trail-other-region", {"HomeRegion": "eu-west-1", **API_DEFAULT},
        record("ec2.amazonaws.com", "RunInstances", False, region="ap-southeast-2"), True, "logged",
        "EventSelectors[0] matches", region="ap-southeast-2"),
    row("global-service-event-multi-region", API_DEFAULT, IAM_CREATE_USER, True, "logged",
        "EventSelectors[0] matches"),
    row("global-service-event-excluded-by-flag",
        {"IsMultiRegionTrail": False, "IncludeGlobalServiceEvents": False, **API_DEFAULT}, IAM_CREATE_USER, False,
        "out-of-region", "IncludeGlobalServiceEvents is false and iam.amazonaws.com events are global service events"),
    row("pitfall-8-single-region-eu-west-1-gets-no-iam",
        {"IsMultiRegionTrail": False, "HomeRegion": "eu-west-1", **API_DEFAULT}, IAM_CREATE_USER, False,
        "out-of-region", "single-region trail in eu-west-1"),
    row("regional-sts-is-not-a-global-event",
        {"IsMultiRegionTrail": False, "HomeRegion": "eu-west-1", "IncludeGlobalServiceEvents": False, **API_DEFAULT},
        record("sts.amazonaws.com", "AssumeRole", False, region="eu-west-1"), True, "logged",
        "EventSelectors[0] matches", region="eu-west-1"),
    # logging status and missing data
    row("not-logging", {"Status": {"IsLogging": False}, **API_DEFAULT}, RUN_INSTANCES, False, "not-logging",
        "IsLogging is false"),
    row("status-missing-is-unknown", {"Status": None, **API_DEFAULT}, RUN_INSTANCES, None, "unknown",
        "logging status unknown"),
    row("selectors-missing-is-unknown", {}, RUN_INSTANCES, None, "unknown", "event selectors unknown"),
    row("status-missing-but-out-of-region",
        {"Status": None, "IsMultiRegionTrail": False, "HomeRegion": "eu-west-1", **API_DEFAULT}, RUN_INSTANCES,
        False, "out-of-region", "single-region trail in eu-west-1"),
    # pre-1.07 records, pitfall 15
    row("v1.06-management-event-true", API_DEFAULT,
        record("ec2.amazonaws.com", "RunInstances", False, category=None, version="1.06", managementEvent=True),
        True, "logged", "EventSelectors[0] matches"),
    row("v1.06-management-event-false-is-data", API_DEFAULT, GET_V106, False, "not-selected",
        "does not select eventCategory=Data"),
    row("v1.06-management-event-false-logged-by-data-selector", data_only(S3_ALL), GET_V106, True, "logged",
        "DataResources[0] matches"),
    row("v1.05-s3-getobject-classified-data", data_only(S3_ALL), GET_V105, True, "logged",
        "DataResources[0] matches"),
    row("v1.05-s3-getobject-not-management", API_DEFAULT, GET_V105, False, "not-selected",
        "does not select eventCategory=Data"),
    row("v1.05-plain-record-is-management", API_DEFAULT,
        record("ec2.amazonaws.com", "RunInstances", False, category=None, version="1.05"), True, "logged",
        "EventSelectors[0] matches"),
    # Insights
    row("insight-selected", {"InsightSelectors": [{"InsightType": "ApiCallRateInsight"}], **API_DEFAULT},
        insight_record("ApiCallRateInsight"), True, "logged", "InsightSelectors include ApiCallRateInsight"),
    row("insight-other-type", {"InsightSelectors": [{"InsightType": "ApiCallRateInsight"}], **API_DEFAULT},
        insight_record("ApiErrorRateInsight"), False, "not-selected",
        "InsightSelectors do not include ApiErrorRateInsight"),
    row("insight-none-enabled", API_DEFAULT, insight_record("ApiCallRateInsight"), False, "not-selected",
        "do not include ApiCallRateInsight"),
    row("insight-selectors-missing", {"InsightSelectors": None, **API_DEFAULT}, insight_record("ApiCallRateInsight"),
        None, "unknown", "Insights selectors unknown"),
    row("pitfall-2-readonly-trail-breaks-api-call-rate-insight",
        {"InsightSelectors": [{"InsightType": "ApiCallRateInsight"}], **basic({"ReadWriteType": "ReadOnly"})},
        insight_record("ApiCallRateInsight"), False, "not-selected", "management events"),
    row("data-only-trail-has-no-api-error-rate-insight",
        {"InsightSelectors": [{"InsightType": "ApiErrorRateInsight"}], **data_only(S3_ALL)},
        insight_record("ApiErrorRateInsight"), False, "not-selected", "management events"),
    # data-event resource types, pitfall 11: SSM data events
    row("pitfall-11-control-channel-selected-by-resource-type", advanced(adv(DATA, CONTROL_CHANNEL)),
        CREATE_CONTROL_CHANNEL, True, "logged", "AdvancedEventSelectors[0] matches"),
    row("pitfall-11-control-channel-not-by-ssmmessages-source",
        advanced(adv(DATA, CONTROL_CHANNEL, fs("eventSource", Equals=["ssmmessages.amazonaws.com"]))),
        CREATE_CONTROL_CHANNEL, False, "not-selected", "does not select eventSource=ssm.amazonaws.com"),
    row("control-channel-open-only-skips-create",
        advanced(adv(DATA, CONTROL_CHANNEL, fs("eventName", Equals=["OpenControlChannel"]))),
        CREATE_CONTROL_CHANNEL, False, "not-selected", "does not select eventName=CreateControlChannel"),
    row("control-channel-not-logged-by-management-default", API_DEFAULT, CREATE_CONTROL_CHANNEL, False,
        "not-selected", "does not select eventCategory=Data"),
    row("managed-node-with-ec2-instance-arn",
        advanced(adv(DATA, MANAGED_NODE, fs("resources.ARN", StartsWith=[EC2_INSTANCES]))),
        MANAGED_NODE_TOKEN, True, "logged", "AdvancedEventSelectors[0] matches"),
    row("managed-node-arn-is-not-an-ssm-arn",
        advanced(adv(DATA, MANAGED_NODE, fs("resources.ARN", StartsWith=["arn:aws:ssm:"]))),
        MANAGED_NODE_TOKEN, False, "not-selected", "does not select resources.ARN=arn:aws:ec2:"),
    row("pitfall-2-writeonly-drops-managed-node-token",
        advanced(adv(DATA, MANAGED_NODE, fs("readOnly", Equals=["false"]))), MANAGED_NODE_TOKEN, False,
        "not-selected", "does not select readOnly=true"),
]


@pytest.mark.parametrize("case", CASES)
def test_decide_record(case: Row) -> None:
    decision = decide_record(one_trail(case.trail), case.record, case.region)
    assert (decision.logged, decision.decision) == (case.logged, case.decision), decision.reason
    assert case.reason in decision.reason


# -- account reach through record_verdict ---------------------------------------------------

ORGANIZATION = {"id": "o-a1b2c3d4e5", "management_account_id": ACCOUNT}
ORG_TRAIL = trail_doc("org-trail", IsOrganizationTrail=True, **API_DEFAULT)


class ReachRow(NamedTuple):
    snapshot: Snapshot
    record: Doc
    logged: bool | None
    known_account: bool
    decisions: tuple[str, ...]
    reason: str


REACH_CASES = [
    pytest.param(ReachRow(snapshot_of((ACCOUNT, [trail_doc(**API_DEFAULT)])), RUN_INSTANCES, True, True,
                          ("logged",), "EventSelectors[0] matches"), id="own-trail"),
    pytest.param(ReachRow(snapshot_of((ACCOUNT, [ORG_TRAIL]), (OTHER_ACCOUNT, []), organization=ORGANIZATION),
                          record("ec2.amazonaws.com", "RunInstances", False, account=OTHER_ACCOUNT), True, True,
                          ("logged",), "EventSelectors[0] matches"), id="organization-trail-reaches-member"),
    pytest.param(ReachRow(snapshot_of((ACCOUNT, [trail_doc(**API_DEFAULT)]), (OTHER_ACCOUNT, []),
                                      organization=ORGANIZATION),
                          record("ec2.amazonaws.com", "RunInstances", False, account=OTHER_ACCOUNT), False, True,
                          (), ""), id="another-accounts-trail-does-not-reach"),
    pytest.param(ReachRow(snapshot_of((ACCOUNT, [ORG_TRAIL])),
                          record("ec2.amazonaws.com", "RunInstances", False, account="333333333333"), None, False,
                          (), ""), id="account-absent-from-snapshot"),
    pytest.param(ReachRow(snapshot_of((ACCOUNT, [trail_doc(**API_DEFAULT)])),
                          without(RUN_INSTANCES, "recipientAccountId"),
                          True, True, ("logged",), "EventSelectors[0]"), id="account-from-user-identity"),
    pytest.param(ReachRow(snapshot_of((ACCOUNT, [ORG_TRAIL]),
                                      (OTHER_ACCOUNT, [trail_doc("own", OTHER_ACCOUNT, Status={"IsLogging": False},
                                                                 **API_DEFAULT)]),
                                      organization=ORGANIZATION),
                          record("ec2.amazonaws.com", "RunInstances", False, account=OTHER_ACCOUNT), True, True,
                          ("logged", "not-logging"), "IsLogging is false"),
                 id="org-trail-makes-up-for-stopped-own-trail"),
    pytest.param(ReachRow(snapshot_of((ACCOUNT, [trail_doc(Status=None, **API_DEFAULT)])), RUN_INSTANCES, None,
                          True, ("unknown",), "logging status unknown"), id="only-trail-unknown"),
    pytest.param(ReachRow(snapshot_of((ACCOUNT, [trail_doc(**basic({"ReadWriteType": "WriteOnly"}))]),
                                      errors={ACCOUNT: [{"region": REGION, "operation": "DescribeTrails",
                                                         "code": "AccessDenied"}]}),
                          DESCRIBE_INSTANCES, None, True, ("not-selected",), "ReadWriteType=WriteOnly"),
                 id="not-logged-with-collection-error-is-unknown"),
]


@pytest.mark.parametrize("case", REACH_CASES)
def test_record_verdict_account_reach(case: ReachRow) -> None:
    verdict = record_verdict(case.snapshot, case.record)
    assert (verdict.logged, verdict.known_account) == (case.logged, case.known_account)
    assert tuple(d.decision for d in verdict.trails) == case.decisions
    assert case.reason in "; ".join(d.reason for d in verdict.trails)

