"""Storage data built to hurt: bucket policies, names and lifecycle rules from whoever owns the bucket.

A bucket policy is text anyone with ``PutBucketPolicy`` writes, and the snapshot carries it
verbatim: a policy that is enormous, nested past any parser's depth or not JSON at all is a
fact about the estate, so the scan still finishes with findings (never a bug exit, a
traceback or a run out of memory), and text planted in a policy, a bucket name, a log group
or a lifecycle rule reaches neither the terminal nor a report raw. Storage data of the wrong
shape, or one bucket claimed by two accounts, is bad input naming its JSON path.

Each case scans with the whole built-in pack, so every storage rule reads the hostile data.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.adversarial.abuse import (
    ANSI_PAYLOAD,
    HTML_PAYLOAD,
    MARKDOWN_PAYLOAD,
    Batch,
    Case,
    Outcome,
    bad_input,
    case,
    cases_of,
    check_outcome,
    estate,
    scan_args,
    valid,
    write_json,
)

DEEP = 100_000
MEGABYTE = 1 << 20
LIFECYCLE_RULES = 1_000
PAYLOAD = ANSI_PAYLOAD + MARKDOWN_PAYLOAD + HTML_PAYLOAD
STORAGE_KEYS = ("buckets", "account_public_access_block", "kms_keys", "log_groups", "event_data_stores")


def stored_estate(policy: str | None = None, **bucket: Any) -> dict[str, Any]:
    """The demo estate with storage data only for its organization trail: that trail's bucket
    (with ``policy`` and the ``bucket`` answers), key and log group, in the management account."""
    data = estate()
    for each in data["accounts"]:
        for key in STORAGE_KEYS:
            each.pop(key, None)
    management = data["accounts"][0]
    org_trail = management["trails"][0]
    key_arn = org_trail["KmsKeyId"]
    management["buckets"] = {org_trail["S3BucketName"]: {
        "Region": org_trail["HomeRegion"], "PolicyStatus": {"IsPublic": False}, "Policy": policy,
        "PublicAccessBlock": None, "OwnershipControls": None, "Grants": [], "Logging": {}, "Versioning": {},
        "ObjectLock": None, "Lifecycle": {"Rules": []}, **bucket}}
    management["account_public_access_block"] = None
    management["kms_keys"] = {key_arn: {"Arn": key_arn, "KeyManager": "CUSTOMER", "KeyState": "Enabled",
                                        "KeyRotationEnabled": True}}
    group = org_trail["CloudWatchLogsLogGroupArn"].split(":log-group:", 1)[1].removesuffix(":*")
    management["log_groups"] = {org_trail["HomeRegion"]: [{"logGroupName": group}]}
    return data


def no_escape_in_table(outcome: Outcome) -> None:
    assert outcome.out.strip(), f"{outcome.name}: no table on stdout"
    assert "\x1b" not in outcome.out, f"{outcome.name}: a raw ESC reached the table"


def scan_case(d: Path, data: dict[str, Any]) -> Case:
    return Case(scan_args(d, "--snapshot", str(write_json(d / "snap.json", data))), valid(),
                check=no_escape_in_table)


@case("storage-policy-100k-deep")
def _policy_deep(d: Path) -> Case:
    return scan_case(d, stored_estate('{"Statement": ' + "[" * DEEP + "{}" + "]" * DEEP + "}"))


@case("storage-policy-16mb")
def _policy_huge(d: Path) -> Case:
    statement = {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject",
                 "Resource": "arn:aws:s3:::example-org-cloudtrail-logs/AWSLogs/*",
                 "Condition": {"StringLike": {"aws:SourceArn": "*"}}}
    text = json.dumps(statement)
    count = 16 * MEGABYTE // len(text)
    return scan_case(d, stored_estate('{"Version": "2012-10-17", "Statement": [' + ",".join([text] * count) + "]}"))


@case("storage-policy-not-json")
def _policy_garbage(d: Path) -> Case:
    return scan_case(d, stored_estate("{ not json " + "{" * 10_000))


@case("storage-payloads-in-policy-names-and-lifecycle")
def _payloads(d: Path) -> Case:
    policy = json.dumps({"Statement": [{"Sid": PAYLOAD, "Effect": "Allow", "Principal": "*", "Action": PAYLOAD,
                                        "Resource": "*", "Condition": {"StringEquals": {PAYLOAD: PAYLOAD}}}]})
    data = stored_estate(policy, Lifecycle={"Rules": [{"ID": PAYLOAD, "Status": "Enabled",
                                                       "Filter": {"Prefix": PAYLOAD}, "Expiration": {"Days": 1}}]},
                         Logging={"LoggingEnabled": {"TargetBucket": PAYLOAD, "TargetPrefix": PAYLOAD}})
    data["accounts"][0]["buckets"]["x" + PAYLOAD] = {"Policy": PAYLOAD, "Region": PAYLOAD}
    return scan_case(d, data)


@case("storage-1000-lifecycle-rules")
def _many_rules(d: Path) -> Case:
    """S3's most rules per bucket, each with its own prefix, tag and expiration."""
    rules = [{"ID": f"r{i}", "Status": "Enabled", "Filter": {"And": {"Prefix": f"AWSLogs/{i}/",
                                                                    "Tags": [{"Key": "k", "Value": str(i)}]}},
              "Expiration": {"Days": 1 + i}} for i in range(LIFECYCLE_RULES)]
    return scan_case(d, stored_estate(Lifecycle={"Rules": rules}))


@case("storage-policy-wrong-type")
def _wrong_type(d: Path) -> Case:
    data = stored_estate()
    name = next(iter(data["accounts"][0]["buckets"]))
    data["accounts"][0]["buckets"][name]["Policy"] = {"Statement": []}
    snap = write_json(d / "snap.json", data)
    return Case(scan_args(d, "--snapshot", str(snap)), bad_input(str(snap), f"$.accounts[0].buckets['{name}'].Policy"))


@case("storage-bucket-claimed-by-two-accounts")
def _two_owners(d: Path) -> Case:
    data = stored_estate()
    buckets = data["accounts"][0]["buckets"]
    data["accounts"][1]["buckets"] = json.loads(json.dumps(buckets))
    name = next(iter(buckets))
    snap = write_json(d / "snap.json", data)
    return Case(scan_args(d, "--snapshot", str(snap)),
                bad_input(str(snap), f"$.accounts[1].buckets['{name}']", f"$.accounts[0].buckets['{name}']"))


@pytest.mark.parametrize("name", cases_of(__name__))
def test_case(name: str, batch: Batch) -> None:
    check_outcome(batch.outcome(name))
