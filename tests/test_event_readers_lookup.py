"""``--events lookup``: CloudTrail LookupEvents per region, paginated and rate limited.

moto has no useful LookupEvents, so these tests use ``botocore.stub.Stubber`` for that
call only (every other AWS call in the tests goes to a moto server): the stub checks the
exact request parameters (StartTime, MaxResults, NextToken) and serves responses in the
real API shape, validated against the botocore service model. The rate limiter runs on a fake clock: no real sleeps.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from checker.errors import InputError
from checker.inputs.events import EventOptions, EventStats
from checker.inputs.events.lookup import RateLimiter
from checker.inputs.events.sources import iter_records
from tests.helpers.data import STRATUS, data_file

RECORDS: list[dict[str, Any]] = json.loads(
    data_file(STRATUS, "aws.execution.ssm-start-session.json").read_text())
SINCE = datetime(2024, 7, 1, tzinfo=timezone.utc)


class FakeClock:
    """Time that moves only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def item(record: dict[str, Any]) -> dict[str, Any]:
    """A LookupEvents ``Events`` item: ReadOnly is a string, the record a JSON string."""
    return {"EventId": record["eventID"], "EventName": record["eventName"],
            "ReadOnly": "true" if record.get("readOnly") else "false",
            "EventTime": datetime(2024, 7, 31, tzinfo=timezone.utc),
            "EventSource": record["eventSource"], "Resources": [],
            "CloudTrailEvent": json.dumps(record)}


class Clients:
    """One stubbed CloudTrail client per region, handed out like the real factory."""

    def __init__(self, regions: list[str]) -> None:
        self.stubbers: dict[str, Stubber] = {}
        self._clients: dict[str, Any] = {}
        for region in regions:
            client = boto3.session.Session(aws_access_key_id="x", aws_secret_access_key="y").client(
                "cloudtrail", region_name=region)
            self._clients[region] = client
            self.stubbers[region] = Stubber(client)
            self.stubbers[region].activate()

    def __call__(self, service: str, region: str | None) -> Any:
        assert service == "cloudtrail" and region is not None
        return self._clients[region]

    def page(self, region: str, records: list[dict[str, Any]], token: str | None,
             expected_token: str | None = None) -> None:
        response: dict[str, Any] = {"Events": [item(r) for r in records]}
        expected: dict[str, Any] = {"MaxResults": 50, "StartTime": SINCE}
        if token:
            response["NextToken"] = token
        if expected_token:
            expected["NextToken"] = expected_token
        self.stubbers[region].add_response("lookup_events", response, expected)

    def verify(self) -> None:
        for stubber in self.stubbers.values():
            stubber.assert_no_pending_responses()


def read(clients: Clients, clock: FakeClock, **options: Any) -> tuple[Iterator[dict[str, Any]], EventStats]:
    stats = EventStats()
    opts = EventOptions(since=SINCE, clients=clients, clock=clock, sleep=clock.sleep, **options)
    return iter_records(["lookup"], opts, stats), stats


def test_pages_are_followed_and_spaced_at_two_requests_per_second() -> None:
    clients, clock = Clients(["us-east-1"]), FakeClock()
    clients.page("us-east-1", RECORDS[:10], token="t1")
    clients.page("us-east-1", RECORDS[10:20], token="t2", expected_token="t1")
    clients.page("us-east-1", RECORDS[20:], token=None, expected_token="t2")
    records, stats = read(clients, clock, regions=("us-east-1",))
    assert list(records) == RECORDS
    clients.verify()
    assert clock.sleeps == [0.5, 0.5]  # three calls at t=0, 0.5, 1.0
    assert (stats.read, stats.problems, stats.sources) == (len(RECORDS), [], ["lookup"])


def test_readonly_string_from_the_item_fills_a_record_without_one() -> None:
    clients, clock = Clients(["us-east-1"]), FakeClock()
    bare = {k: v for k, v in RECORDS[0].items() if k != "readOnly"}
    items = [{**item(bare), "ReadOnly": "true"}, {**item(bare), "ReadOnly": "false"}]
    clients.stubbers["us-east-1"].add_response("lookup_events", {"Events": items},
                                               {"MaxResults": 50, "StartTime": SINCE})
    records, _ = read(clients, clock, regions=("us-east-1",))
    assert [record["readOnly"] for record in records] == [True, False]


def test_each_region_is_queried_and_a_failing_region_does_not_stop_the_others() -> None:
    clients, clock = Clients(["eu-west-1", "us-east-1"]), FakeClock()
    clients.stubbers["eu-west-1"].add_client_error("lookup_events", "AccessDeniedException", "denied")
    clients.page("us-east-1", RECORDS[:3], token=None)
    records, stats = read(clients, clock, regions=("eu-west-1", "us-east-1"))
    assert list(records) == RECORDS[:3]
    clients.verify()
    assert stats.problems == [{"source": "lookup:eu-west-1", "position": "page 1",
                               "reason": stats.problems[0]["reason"]}]
    assert "AccessDeniedException" in stats.problems[0]["reason"]


def test_max_events_stops_before_fetching_another_page() -> None:
    clients, clock = Clients(["us-east-1"]), FakeClock()
    clients.page("us-east-1", RECORDS[:10], token="more")  # no second page is stubbed
    records, stats = read(clients, clock, regions=("us-east-1",), max_events=10)
    assert len(list(records)) == 10
    clients.verify()
    assert stats.read == 10


def test_rate_limiter_waits_only_as_long_as_needed() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2.0, clock, clock.sleep)
    limiter.wait()
    clock.now += 0.2
    limiter.wait()
    clock.now += 2.0
    limiter.wait()
    assert clock.sleeps == [pytest.approx(0.3)]


def test_lookup_without_any_region_is_an_input_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    with pytest.raises(InputError, match="--regions"):
        iter_records(["lookup"], EventOptions(), EventStats())
