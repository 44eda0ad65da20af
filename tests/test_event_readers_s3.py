"""``--events s3://bucket/prefix`` against a real moto S3 server over HTTP.

The bucket holds a trail's layout with real corpus records: log files on several days
and regions, a digest file, a corrupt file, and an organization-trail path.
"""

from __future__ import annotations

import gzip
import json
import pickle
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import boto3
import pytest

from checker.errors import InputError
from checker.inputs.events import EventOptions, EventStats
from checker.inputs.events.sources import expand_sources, iter_records
from tests.helpers.data import STRATUS, data_file

ACCOUNT = "143434273843"
BUCKET = "org-trail-logs"
PREFIX = f"AWSLogs/{ACCOUNT}/CloudTrail"


def corpus(name: str) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = json.loads(data_file(STRATUS, name).read_text())
    return records


STOP = corpus("aws.defense-evasion.cloudtrail-stop.json")
DELETE = corpus("aws.defense-evasion.cloudtrail-delete.json")
SELECTORS = corpus("aws.defense-evasion.cloudtrail-event-selectors.json")
LEAVE = corpus("aws.defense-evasion.organizations-leave.json")


def log_key(region: str, stamp: str, root: str = PREFIX) -> str:
    day = f"{stamp[:4]}/{stamp[4:6]}/{stamp[6:8]}"
    return f"{root}/{region}/{day}/{ACCOUNT}_CloudTrail_{region}_{stamp}_AbCdEfGhIjKlMnOp.json.gz"


KEYS = {
    "old": log_key("us-east-1", "20240629T2355Z"),
    "east": log_key("us-east-1", "20240731T1310Z"),
    "west": log_key("eu-west-1", "20240731T1305Z"),
    "org": log_key("us-east-1", "20240730T0900Z", root=f"AWSLogs/o-a1b2c3d4e5/{ACCOUNT}/CloudTrail"),
    "corrupt": log_key("eu-west-1", "20240730T1200Z"),
}
DIGEST_KEY = (f"AWSLogs/{ACCOUNT}/CloudTrail-Digest/us-east-1/2024/07/31/"
              f"{ACCOUNT}_CloudTrail-Digest_us-east-1_org-trail_us-east-1_20240731T130000Z.json.gz")


@pytest.fixture
def bucket(moto_server: str) -> str:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    bodies = {"old": SELECTORS, "east": STOP, "west": DELETE, "org": LEAVE}
    for name, records in bodies.items():
        s3.put_object(Bucket=BUCKET, Key=KEYS[name], Body=gzip.compress(json.dumps({"Records": records}).encode()))
    s3.put_object(Bucket=BUCKET, Key=KEYS["corrupt"], Body=b"\x1f\x8b\x08\x00 not deflate at all")
    digest = {"awsAccountId": ACCOUNT, "digestStartTime": "2024-07-31T12:00:00Z", "logFiles": []}
    s3.put_object(Bucket=BUCKET, Key=DIGEST_KEY, Body=gzip.compress(json.dumps(digest).encode()))
    s3.put_object(Bucket=BUCKET, Key=f"AWSLogs/{ACCOUNT}/CloudTrail/README.txt", Body=b"not a log")
    return f"s3://{BUCKET}"


def read(spec: str, **options: Any) -> tuple[list[dict[str, Any]], EventStats]:
    stats = EventStats()
    return list(iter_records([spec], EventOptions(**options), stats)), stats


def test_whole_bucket_is_read_newest_file_first_skipping_the_digest(bucket: str) -> None:
    records, stats = read(bucket)
    assert records == STOP + DELETE + LEAVE + SELECTORS
    assert (stats.read, stats.digests, stats.sources) == (len(records), 1, [bucket])
    [problem] = stats.problems
    assert problem["source"] == f"{bucket}/{KEYS['corrupt']}"
    assert "bad gzip data" in problem["reason"]
    assert stats.skipped == 2  # the digest and the corrupt file


def test_max_files_keeps_the_newest(bucket: str) -> None:
    stats = EventStats()
    units = expand_sources([bucket], EventOptions(max_files=2), stats)
    assert [unit.key for unit in units] == [KEYS["east"], KEYS["west"]]  # type: ignore[union-attr]


def test_since_prunes_older_day_folders_without_listing_them(bucket: str) -> None:
    listed: list[str] = []

    def client(service: str, region: str | None) -> Any:
        s3 = boto3.client(service, region_name=region)
        s3.meta.events.register("provide-client-params.s3.ListObjectsV2",
                                lambda params, **_: listed.append(params["Prefix"]))
        return s3

    since = datetime(2024, 7, 31, 0, 0, tzinfo=timezone.utc)
    records, stats = read(bucket, since=since, clients=client)
    assert records == STOP + DELETE
    assert stats.problems == [] and stats.digests == 1
    assert not any(prefix.startswith(f"{PREFIX}/us-east-1/2024/06") for prefix in listed)
    assert not any(prefix.endswith("/2024/07/30/") for prefix in listed)
    assert f"{PREFIX}/us-east-1/2024/07/31/" in listed


def test_prefix_in_the_organization_layout(bucket: str) -> None:
    records, _ = read(f"{bucket}/AWSLogs/o-a1b2c3d4e5/", since=datetime(2024, 7, 1, tzinfo=timezone.utc))
    assert records == LEAVE


def test_max_events_stops_mid_bucket(bucket: str) -> None:
    records, stats = read(bucket, max_events=1)
    assert records == STOP[:1] and stats.read == 1


def test_empty_prefix_is_reported(bucket: str) -> None:
    records, stats = read(f"{bucket}/AWSLogs/999999999999/")
    assert records == []
    assert "no CloudTrail log files" in stats.problems[0]["reason"]


def test_missing_bucket_is_an_input_error(moto_server: str) -> None:
    with pytest.raises(InputError, match="does not exist"):
        read("s3://no-such-bucket/AWSLogs/")


def test_spec_without_bucket_is_an_input_error() -> None:
    with pytest.raises(InputError, match="no bucket name"):
        read("s3://")


def test_unknown_profile_is_an_input_error_naming_the_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The readers get their clients from the same factory as the live collector, which
    turns a profile that does not exist into bad input (exit 2), not a crash."""
    (tmp_path / "config").write_text("[profile audit]\nregion = eu-west-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    with pytest.raises(InputError) as raised:
        read("s3://trail-logs/AWSLogs/", profile="nowhere")
    assert raised.value.where == "--profile"


def test_reader_options_cross_to_a_worker_process_without_their_clients(bucket: str) -> None:
    """One client per service and region, made once; a pickled copy (sent to a worker
    process) starts without clients, which never cross a process boundary, and makes its own."""
    options = EventOptions()
    client = options.client("s3", None)
    assert options.client("s3", None) is client
    copy = pickle.loads(pickle.dumps(options))
    assert copy.client("s3", None) is not client
    assert list(iter_records([bucket], copy, EventStats()))[:len(STOP)] == STOP
