"""Probe coverage (docs/semantics.md): is a partial event logged for every value of the fields it omits?

Each row is a set of trails (snapshot format), a probe event and the verdict a rule would
report: covered, partial (with the unlogged witnesses named in the evidence),
not-covered or unknown, plus each trail's share.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest

from checker.simulator import probe_coverage
from tests.helpers.simulator_inputs import (
    API_DEFAULT,
    BUCKET_1,
    CONTROL_CHANNEL,
    DATA,
    MGMT,
    NOT_KMS,
    REGION,
    S3_OBJECT,
    Doc,
    adv,
    advanced,
    basic,
    data_only,
    data_resource,
    fs,
    one_trail,
    trail_doc,
)

Probe = dict[str, str | bool]

MANAGEMENT_WRITE: Probe = {"eventCategory": "Management", "readOnly": False}
KMS_DECRYPT: Probe = {"eventCategory": "Management", "eventSource": "kms.amazonaws.com", "eventName": "Decrypt",
                      "readOnly": True}
S3_GET: Probe = {"eventCategory": "Data", "resources.type": "AWS::S3::Object", "eventName": "GetObject"}
CREATE_CHANNEL: Probe = {"eventCategory": "Data", "eventSource": "ssm.amazonaws.com",
                         "eventName": "CreateControlChannel", "readOnly": False,
                         "resources.type": "AWS::SSMMessages::ControlChannel"}
OPEN_CHANNEL: Probe = {**CREATE_CHANNEL, "eventName": "OpenControlChannel"}
NETWORK_KMS: Probe = {"eventCategory": "NetworkActivity", "eventSource": "kms.amazonaws.com"}
ALL_MANAGEMENT: Probe = {"eventCategory": "Management"}
EXCLUDE_KMS = basic({"ExcludeManagementEventSources": ["kms.amazonaws.com"]})
CREATE_CHANNEL_ONLY = advanced(adv(DATA, CONTROL_CHANNEL, fs("eventName", Equals=["CreateControlChannel"])))
SINGLE_REGION_EU = {"IsMultiRegionTrail": False, "HomeRegion": "eu-west-1"}


class ProbeRow(NamedTuple):
    trails: list[Doc]
    probe: Probe
    region: str
    coverage: str
    missing: tuple[str, ...]
    per_trail: tuple[str, ...]


def row(case_id: str, trails: list[Doc], probe: Probe, coverage: str,
        missing: tuple[str, ...] = (), per_trail: tuple[str, ...] = (), region: str = REGION) -> Any:
    """``missing``: exactly the unlogged witnesses listed; ``per_trail``: decisions in trail-ARN order."""
    return pytest.param(ProbeRow(trails, probe, region, coverage, missing, per_trail), id=case_id)


def trails(*configs: Doc) -> list[Doc]:
    """Trail documents named t0, t1… (so the per-trail rows come in this order)."""
    return [trail_doc(f"t{i}", **config) for i, config in enumerate(configs)]


CASES = [
    row("default-covers-a-write", trails(API_DEFAULT), {**MANAGEMENT_WRITE, "eventSource": "ec2.amazonaws.com"},
        "covered", per_trail=("covers",)),
    row("default-covers-all-management", trails(API_DEFAULT), ALL_MANAGEMENT, "covered",
        per_trail=("covers",)),
    row("default-does-not-cover-data", trails(API_DEFAULT), S3_GET, "not-covered", ("the event as given",),
        ("not-selected",)),
    row("exclude-kms-is-partial", trails(EXCLUDE_KMS), ALL_MANAGEMENT, "partial",
        ("eventSource=kms.amazonaws.com",), ("partial",)),
    row("exclude-kms-does-not-cover-kms", trails(EXCLUDE_KMS), KMS_DECRYPT, "not-covered", ("the event as given",),
        ("excluded",)),
    row("advanced-notequals-kms-is-partial", trails(advanced(adv(MGMT, NOT_KMS))), ALL_MANAGEMENT,
        "partial", ("eventSource=kms.amazonaws.com",), ("partial",)),
    row("exclusion-cancelled-by-another-selector",
        trails(basic({"ExcludeManagementEventSources": ["kms.amazonaws.com"]}, {})), ALL_MANAGEMENT,
        "covered", per_trail=("covers",)),
    row("exclusion-cancelled-by-another-advanced-selector", trails(advanced(adv(MGMT, NOT_KMS), adv(MGMT))),
        KMS_DECRYPT, "covered", per_trail=("covers",)),
    row("exclusion-cancelled-by-another-trail", trails(EXCLUDE_KMS, API_DEFAULT), ALL_MANAGEMENT,
        "covered", per_trail=("partial", "covers")),
    row("writeonly-leaves-reads-out", trails(basic({"ReadWriteType": "WriteOnly"})), ALL_MANAGEMENT,
        "partial", ("readOnly=true",), ("partial",)),
    row("writeonly-and-readonly-trails-together", trails(basic({"ReadWriteType": "WriteOnly"}),
                                                         basic({"ReadWriteType": "ReadOnly"})),
        ALL_MANAGEMENT, "covered", per_trail=("partial", "partial")),
    row("bucket-prefix-narrows-resources-arn", trails(advanced(adv(DATA, S3_OBJECT, BUCKET_1))), S3_GET, "partial",
        ("resources.ARN=*",), ("partial",)),
    row("basic-bucket-value-narrows-resources-arn",
        trails(data_only(data_resource("AWS::S3::Object", "arn:aws:s3:::bucket-1/"))), S3_GET, "partial",
        ("resources.ARN=*",), ("partial",)),
    row("probe-inside-the-bucket-is-covered", trails(advanced(adv(DATA, S3_OBJECT, BUCKET_1))),
        {**S3_GET, "resources.ARN": "arn:aws:s3:::bucket-1/a"}, "covered", per_trail=("covers",)),
    row("all-buckets-cover-get-object", trails(data_only(data_resource("AWS::S3::Object", "arn:aws:s3"))), S3_GET,
        "covered", per_trail=("covers",)),
    row("prefix-and-suffix-witness", trails(advanced(adv(DATA, S3_OBJECT, fs(
        "resources.ARN", StartsWith=["arn:aws:s3:::bucket-1/"], NotEndsWith=[".tmp"])))), S3_GET, "partial",
        ("resources.ARN=*", "resources.ARN=*.tmp", "resources.ARN=arn:aws:s3:::bucket-1/*.tmp"), ("partial",)),
    row("prefix-suffix-gap-between-two-selectors", trails(advanced(
        adv(DATA, S3_OBJECT, fs("resources.ARN", StartsWith=["arn:aws:s3:::bucket-1/"], NotEndsWith=[".tmp"])),
        adv(DATA, S3_OBJECT, fs("resources.ARN", NotStartsWith=["arn:aws:s3:::bucket-1/"])))), S3_GET, "partial",
        ("resources.ARN=arn:aws:s3:::bucket-1/*.tmp",), ("partial",)),
    row("control-channel-create-only-covers-create", trails(CREATE_CHANNEL_ONLY), CREATE_CHANNEL, "covered",
        per_trail=("covers",)),
    row("control-channel-create-only-misses-open", trails(CREATE_CHANNEL_ONLY), OPEN_CHANNEL, "not-covered",
        ("the event as given",), ("not-selected",)),
    row("control-channel-any-event-name-is-partial", trails(CREATE_CHANNEL_ONLY),
        {key: value for key, value in CREATE_CHANNEL.items() if key != "eventName"}, "partial", ("eventName=*",),
        ("partial",)),
    row("control-channel-by-resource-type-covers-both", trails(advanced(adv(DATA, CONTROL_CHANNEL))), OPEN_CHANNEL,
        "covered", per_trail=("covers",)),
    row("network-activity-source-covered", trails(advanced(adv(fs("eventCategory", Equals=["NetworkActivity"]),
                                                              fs("eventSource", Equals=["kms.amazonaws.com"])))),
        NETWORK_KMS, "covered", per_trail=("covers",)),
    row("probe-pins-its-region", trails(SINGLE_REGION_EU | API_DEFAULT), {**MANAGEMENT_WRITE, "awsRegion": REGION},
        "not-covered", ("the event as given",), ("out-of-region",), region="eu-west-1"),
    row("probe-region-matches-single-region-trail", trails(SINGLE_REGION_EU | API_DEFAULT),
        {**MANAGEMENT_WRITE, "awsRegion": "eu-west-1"}, "covered", per_trail=("covers",)),
    row("global-sources-missing-without-global-events",
        trails({"IsMultiRegionTrail": False, "IncludeGlobalServiceEvents": False, **API_DEFAULT}),
        ALL_MANAGEMENT, "partial",
        ("eventSource=cloudfront.amazonaws.com", "eventSource=iam.amazonaws.com", "eventSource=sts.amazonaws.com"),
        ("partial",)),
    row("iam-probe-without-global-events", trails({"IsMultiRegionTrail": False, "IncludeGlobalServiceEvents": False,
                                                   **API_DEFAULT}),
        {**MANAGEMENT_WRITE, "eventSource": "iam.amazonaws.com"}, "not-covered", ("the event as given",),
        ("out-of-region",)),
    row("global-events-flag-irrelevant-outside-us-east-1",
        trails({"IncludeGlobalServiceEvents": False, **API_DEFAULT}), ALL_MANAGEMENT, "covered",
        per_trail=("covers",), region="eu-west-1"),
    row("not-logging-trail", trails({"Status": {"IsLogging": False}, **API_DEFAULT}), MANAGEMENT_WRITE,
        "not-covered", ("the event as given",), ("not-logging",)),
    row("no-trails-at-all", [], MANAGEMENT_WRITE, "not-covered", ("the event as given",)),
    row("unknown-status-does-not-prevent-a-pass", trails({"Status": None, **API_DEFAULT}, API_DEFAULT),
        MANAGEMENT_WRITE, "covered", per_trail=("unknown", "covers")),
    row("unknown-selectors-do-not-prevent-a-pass", trails({}, API_DEFAULT), MANAGEMENT_WRITE, "covered",
        per_trail=("unknown", "covers")),
    row("unknown-when-only-the-unknown-trail-could-cover",
        trails({"Status": None, **API_DEFAULT}, basic({"ReadWriteType": "ReadOnly"})), MANAGEMENT_WRITE, "unknown",
        per_trail=("unknown", "not-selected")),
    row("unknown-selectors-only", trails({}), MANAGEMENT_WRITE, "unknown", per_trail=("unknown",)),
    row("unknown-trail-might-fill-the-kms-gap", trails({"Status": None, **API_DEFAULT}, EXCLUDE_KMS), ALL_MANAGEMENT,
        "unknown", per_trail=("unknown", "partial")),
    row("unknown-status-out-of-region-is-not-covered",
        trails({"Status": None, **SINGLE_REGION_EU, **API_DEFAULT}), MANAGEMENT_WRITE, "not-covered",
        ("the event as given",), ("out-of-region",)),
]


@pytest.mark.parametrize("case", CASES)
def test_probe_coverage(case: ProbeRow) -> None:
    result = probe_coverage([one_trail(doc) for doc in case.trails], case.probe, case.region)
    assert result.coverage == case.coverage, result
    assert tuple(result.missing) == case.missing
    assert result.missing_total == len(case.missing)
    assert tuple(t.decision for t in result.trails) == case.per_trail


def test_partial_evidence_names_the_excluding_condition() -> None:
    """The per-trail reason says which selector condition leaves the witness out."""
    result = probe_coverage([one_trail(trail_doc(**EXCLUDE_KMS))], ALL_MANAGEMENT, REGION)
    assert "ExcludeManagementEventSources NotEquals kms.amazonaws.com" in result.trails[0].reason
    assert result.to_dict()["not_logged"] == ["eventSource=kms.amazonaws.com"]


def test_probe_region_is_reported() -> None:
    result = probe_coverage([], {**MANAGEMENT_WRITE, "awsRegion": "ap-south-1"}, REGION)
    assert (result.region, result.probe["awsRegion"]) == ("ap-south-1", "ap-south-1")
