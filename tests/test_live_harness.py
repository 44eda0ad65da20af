"""The moto harness's own behaviour (``tests/helpers/moto_harness.py``): the proxy forwards,
counts by operation and answers the faults a test asks for."""

from __future__ import annotations

from collections import Counter

import boto3
from botocore.config import Config

from tests.helpers.moto_harness import MANAGEMENT_ACCOUNT, ApiProxy, Fault, first_times


def test_proxy_forwards_counts_and_answers_faults(moto_server: str) -> None:
    throttle = Fault.json_error("ThrottlingException", "Rate exceeded")
    rule = first_times(1, throttle, lambda call: call.operation == "DescribeTrails")
    with ApiProxy(moto_server, rule) as proxy:
        config = Config(retries={"mode": "standard", "total_max_attempts": 1})
        client = boto3.client("cloudtrail", region_name="eu-west-1", endpoint_url=proxy.url, config=config)
        try:
            client.describe_trails()
            raised = ""
        except client.exceptions.ClientError as exc:
            raised = exc.response["Error"]["Code"]
        assert raised == "ThrottlingException"
        assert client.describe_trails()["trailList"] == []
        sts = boto3.client("sts", region_name="us-east-1", endpoint_url=proxy.url)
        assert sts.get_caller_identity()["Account"] == MANAGEMENT_ACCOUNT
    assert proxy.calls == Counter({"DescribeTrails": 2, "GetCallerIdentity": 1})
    assert proxy.faults == Counter({"DescribeTrails": 1})
    assert {(c.operation, c.region) for c in proxy.log} >= {("DescribeTrails", "eu-west-1")}
