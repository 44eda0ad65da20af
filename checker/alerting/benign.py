"""Routine records no alerting filter should fire on (docs/semantics.md, "Monitoring chains").

Three successful read calls by an IAM user, as CloudTrail records them: a filter that covers
its control's events and also matches one of these alerts on everyday activity (the CIS v1.4
4.1 erratum matches all three). Each entry is ``(description, record)``.
"""

from __future__ import annotations

from typing import Any

_ACCOUNT = "111122223333"
_USER: dict[str, Any] = {
    "type": "IAMUser",
    "principalId": "AIDAJ45Q7YFFAREXAMPLE",
    "arn": f"arn:aws:iam::{_ACCOUNT}:user/alice",
    "accountId": _ACCOUNT,
    "accessKeyId": "AKIAIOSFODNN7EXAMPLE",
    "userName": "alice",
}
_TLS = {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256"}


def _read_call(event_source: str, event_name: str, region: str, request: dict[str, Any] | None,
               event_id: str, host: str) -> dict[str, Any]:
    return {
        "eventVersion": "1.09",
        "userIdentity": dict(_USER),
        "eventTime": "2024-05-02T09:14:07Z",
        "eventSource": event_source,
        "eventName": event_name,
        "awsRegion": region,
        "sourceIPAddress": "198.51.100.24",
        "userAgent": "aws-cli/2.15.40 md/awscrt#0.19.19 ua/2.0 os/linux#6.5.0 md/arch#x86_64 lang/python#3.11.8",
        "requestParameters": request,
        "responseElements": None,
        "requestID": "4f1f3c86-0bb6-4e0c-9a5a-0f6f2b0b7f1e",
        "eventID": event_id,
        "readOnly": True,
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": _ACCOUNT,
        "eventCategory": "Management",
        "tlsDetails": {**_TLS, "clientProvidedHostHeader": host},
    }


BENIGN_RECORDS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("a successful ec2:DescribeInstances by an IAM user",
     _read_call("ec2.amazonaws.com", "DescribeInstances", "eu-west-1",
                {"instancesSet": {}, "filterSet": {}}, "0d1c2b3a-4f5e-4d6c-8b7a-9e8d7c6b5a41",
                "ec2.eu-west-1.amazonaws.com")),
    ("a successful sts:GetCallerIdentity by an IAM user",
     _read_call("sts.amazonaws.com", "GetCallerIdentity", "us-east-1", None,
                "7a6b5c4d-3e2f-4a1b-9c8d-7e6f5a4b3c2d", "sts.us-east-1.amazonaws.com")),
    ("a successful s3:ListBuckets by an IAM user",
     _read_call("s3.amazonaws.com", "ListBuckets", "us-east-1", {"Host": "s3.us-east-1.amazonaws.com"},
                "c3b2a190-8f7e-4d6c-b5a4-93827160f5e4", "s3.us-east-1.amazonaws.com")),
)
