"""Collecting an organization in shards (``collect --shard I/N``) and merging them (``merge``).

The live tests run against the session's moto server. The estate: the management account owns
a multi-Region organization trail delivering to ``org-trail-logs`` (a CloudTrail-changes filter,
an alarm, a topic) and an event bus ``central`` whose Session Manager rule notifies that topic;
the member ``dev`` has no trail of its own and forwards Session Manager events from its default
bus to ``central``; ``prod`` has its own trail. So the chains of ``dev`` run through data owned by
the management account, which a shard holding ``dev`` but not the management account must read
there for the merge to hold what a collection of the whole holds.

The storage of a member trail may live in another shard's account too: ``central_storage`` gives
``dev`` a trail whose bucket, KMS key and log group are in an account of another shard, which
the shard holding ``dev`` reads there (finding the bucket's owner by ListBuckets in the other
accounts), for the same reason.

moto never shows the organization trail to members; AWS does, as a shadow trail, so a shard
without the management account lists a copy of it under a member and follows its chains. The
proxy plays that (``OrgTrailShadows``), so the shards here see what they would see in AWS.
"""

from __future__ import annotations

import io
import json
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from checker.engine.config import ConfigEvaluator
from checker.errors import InputError
from checker.inputs.live import LiveOptions
from checker.inputs.live.collector import collect_snapshot, write_snapshot
from checker.inputs.live.options import Shard, shard_of
from checker.inputs.live.processes import collect_in_processes
from checker.inputs.merge import merge_files
from checker.inputs.snapshot import parse_snapshot
from checker.policy.model import Rule
from checker.progress import Progress
from checker.scan import load_rules
from tests.helpers.cis_texts import V14
from tests.helpers.cli import run_cli, scan_report
from tests.helpers.monitoring import alarm
from tests.helpers.moto_harness import MANAGEMENT_ACCOUNT, ApiProxy, MotoAccounts, OrgTrailShadows, proxied
from tests.helpers.snapshots import MANAGEMENT, MEMBER, account, snapshot, trail, trail_arn, write_json

REGIONS = ("eu-west-1", "us-east-1")
SSM_PATTERN = json.dumps({
    "source": ["aws.ssm"], "detail-type": ["AWS API Call via CloudTrail"],
    "detail": {"eventSource": ["ssm.amazonaws.com"],
               "eventName": ["StartSession", "ResumeSession", "TerminateSession"]}})
ORG_LOGS = f"arn:aws:logs:us-east-1:{MANAGEMENT_ACCOUNT}:log-group:org-trail-logs:*"
CENTRAL_BUS = f"arn:aws:events:us-east-1:{MANAGEMENT_ACCOUNT}:event-bus/central"


@pytest.fixture
def estate(moto_server: str) -> dict[str, str]:
    """The organization of the module docstring; account ids by name."""
    moto = MotoAccounts()
    ids = moto.create_organization(["prod", "dev", "sandbox"])
    management = MANAGEMENT_ACCOUNT
    moto.create_trail(management, "us-east-1", "org-trail", IsMultiRegionTrail=True, IsOrganizationTrail=True,
                      CloudWatchLogsLogGroupArn=ORG_LOGS,
                      CloudWatchLogsRoleArn=f"arn:aws:iam::{management}:role/trail-to-logs")
    moto.create_trail(ids["prod"], "eu-west-1", "prod-trail", IsMultiRegionTrail=True)
    moto.client(management, "logs").create_log_group(logGroupName="org-trail-logs")
    moto.client(management, "logs").put_metric_filter(
        logGroupName="org-trail-logs", filterName="cis-4.5", filterPattern=V14["4.5"],
        metricTransformations=[{"metricName": "CloudTrailChanges", "metricNamespace": "CISBenchmark",
                                "metricValue": "1"}])
    sns = moto.client(management, "sns")
    alerts: str = sns.create_topic(Name="security-alerts")["TopicArn"]
    sns.subscribe(TopicArn=alerts, Protocol="email", Endpoint="soc@example.com")
    moto.client(management, "cloudwatch").put_metric_alarm(
        AlarmName="cis-4.5", Namespace="CISBenchmark", MetricName="CloudTrailChanges", Statistic="Sum", Period=300,
        EvaluationPeriods=1, Threshold=1.0, ComparisonOperator="GreaterThanOrEqualToThreshold", AlarmActions=[alerts])
    events = moto.client(management, "events")
    events.create_event_bus(Name="central")
    _rule(events, "ssm-central", alerts, bus="central")
    _rule(moto.client(ids["dev"], "events", "eu-west-1"), "forward-ssm", CENTRAL_BUS)
    return {"management": management, **ids}


@pytest.fixture
def shadowed(estate: dict[str, str], moto_server: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[ApiProxy]:
    """The estate as AWS shows it: members see the organization trail."""
    listed = MotoAccounts().client(MANAGEMENT_ACCOUNT, "cloudtrail").describe_trails()["trailList"]
    org_trail = next(t for t in listed if t["Name"] == "org-trail")
    with proxied(monkeypatch, moto_server, editor=OrgTrailShadows(org_trail)) as proxy:
        yield proxy


@pytest.fixture
def central_storage(estate: dict[str, str]) -> dict[str, str]:
    """``dev-trail`` of ``dev``, with its bucket, key and log group in ``holder``: the lowest account id
    that :func:`split_apart` puts in another shard than ``dev``. Its ARN and the holder's id."""
    count = split_apart(estate)
    holder = min(estate[name] for name in ("sandbox", "prod", "management")
                 if shard_of(estate[name], count) != shard_of(estate["dev"], count))
    moto = MotoAccounts()
    moto.client(holder, "s3").create_bucket(Bucket="dev-trail-central")
    key: str = moto.client(holder, "kms").create_key(Description="dev trail")["KeyMetadata"]["Arn"]
    moto.client(holder, "logs").create_log_group(logGroupName="dev-trail-events")
    moto.client(holder, "logs").put_retention_policy(logGroupName="dev-trail-events", retentionInDays=400)
    arn: str = moto.client(estate["dev"], "cloudtrail", "eu-west-1").create_trail(
        Name="dev-trail", S3BucketName="dev-trail-central", KmsKeyId=key, IsMultiRegionTrail=True,
        CloudWatchLogsLogGroupArn=f"arn:aws:logs:us-east-1:{holder}:log-group:dev-trail-events:*",
        CloudWatchLogsRoleArn=f"arn:aws:iam::{estate['dev']}:role/trail-to-logs")["TrailARN"]
    return {"trail": arn, "holder": holder}


def _rule(events: Any, name: str, target: str, bus: str = "default") -> None:
    events.put_rule(Name=name, EventPattern=SSM_PATTERN, State="ENABLED", EventBusName=bus)
    events.put_targets(Rule=name, EventBusName=bus, Targets=[{"Id": "notify", "Arn": target}])


def every_rule() -> list[Rule]:
    selected, _ = load_rules([], True)
    return selected


def collect(shard: Shard | None = None, **options: Any) -> dict[str, Any]:
    return collect_snapshot(LiveOptions(quiet=True, workers=4, org=True, regions=REGIONS, shard=shard, **options),
                            rules=every_rule())


def findings(document: dict[str, Any]) -> dict[tuple[str, str, str, str], tuple[str, str]]:
    """Status and message of every finding of the built-in pack, by unit (the message of a rule
    on delivery ages says how many hours old, which moves between two collections)."""
    evaluated = ConfigEvaluator(parse_snapshot(document, "snapshot")).evaluate(every_rule())
    return {(f.rule_id, f.account_id or "", f.region or "", f.resource or ""):
            (f.status, "" if f.rule_id == "trail-delivery-healthy" else f.message) for f in evaluated}


def split_apart(estate: dict[str, str]) -> int:
    """The smallest N that puts ``dev`` and the management account in different shards."""
    return next(n for n in range(2, 20) if shard_of(estate["dev"], n) != shard_of(estate["management"], n))


def collect_shards(count: int, directory: Path) -> list[Path]:
    paths = []
    for index in range(1, count + 1):
        path = directory / f"shard-{index}.json"
        write_snapshot(collect(Shard(index, count)), path)
        paths.append(path)
    return paths


# -- the split -----------------------------------------------------------------------------------

def test_the_split_is_stable_and_even() -> None:
    """The same account lands in the same shard on every machine and run (pinned here), and a
    thousand accounts spread evenly."""
    assert [shard_of("123456789012", n) for n in (1, 2, 3, 8)] == [1, 1, 2, 3]
    ids = [f"{100000000000 + 7919 * i:012d}" for i in range(1000)]
    sizes = Counter(shard_of(a, 8) for a in ids)
    assert sorted(sizes) == list(range(1, 9))
    assert all(95 <= size <= 155 for size in sizes.values()), sizes
    assert all(Shard(shard_of(a, 8), 8).holds(a) and not Shard(shard_of(a, 8) % 8 + 1, 8).holds(a) for a in ids)


@pytest.mark.parametrize("text", ["0/3", "4/3", "3", "1/0", "a/b", "1/2/3"])
def test_a_bad_shard_is_bad_input(text: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(InputError):
        Shard.parse(text)
    result = run_cli(capsys, "collect", "--org", "--shard", text, "--rules", "cloudtrail-enabled")
    assert result.code == 2
    assert result.err.startswith("trailcheck: error: --shard: ") and "Traceback" not in result.err


@pytest.mark.parametrize(("argv", "message"), [
    (["--processes", "0"], "--processes: must be a positive integer, got 0"),
    (["--processes", "2", "--shard", "1/2"], "--processes: splits the accounts into shards itself; give it without "
                                             "--shard"),
])
def test_bad_processes_are_bad_input(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "collect", "--org", "--rules", "cloudtrail-enabled", *argv)
    assert (result.code, result.err) == (2, f"trailcheck: error: {message}\n")


# -- against moto --------------------------------------------------------------------------------

def test_a_scan_of_the_merged_shards_finds_what_a_scan_of_the_whole_finds(estate: dict[str, str],
                                                                           shadowed: ApiProxy,
                                                                           tmp_path: Path) -> None:
    whole = collect()
    count = split_apart(estate)
    merged = merge_files(collect_shards(count, tmp_path))
    assert [a["account_id"] for a in merged["accounts"]] == [a["account_id"] for a in whole["accounts"]]
    expected = findings(whole)
    assert findings(merged) == expected
    assert "pass" in {status for (rule, account_id, _, _), (status, _) in expected.items()
                      if (rule, account_id) == ("ssm-session-notifications", estate["dev"])}  # through central


STORAGE_RULES = ("trail-bucket-not-public", "trail-bucket-access-logging", "trail-bucket-delete-protection",
                 "trail-bucket-policy-scoped", "log-retention", "trail-kms-key-usable", "trail-kms-key-rotation")


def test_a_trails_storage_in_another_shards_account_is_read_there_and_merged(
        estate: dict[str, str], central_storage: dict[str, str], shadowed: ApiProxy, tmp_path: Path) -> None:
    """The shard holding ``dev`` finds the bucket's owner by ListBuckets in the other accounts and
    reads the bucket, key and log group there as visits; the merge gives them to the holder, so the
    storage verdicts on ``dev-trail`` are those of a collection of the whole, not errors."""
    whole = collect()
    expected = findings(whole)
    verdicts = {rule: status for (rule, _, _, resource), (status, _) in expected.items()
                if rule in STORAGE_RULES and resource == central_storage["trail"]}
    assert sorted(verdicts) == sorted(STORAGE_RULES) and "error" not in verdicts.values(), verdicts
    count = split_apart(estate)
    paths = collect_shards(count, tmp_path)
    dev_shard = json.loads(paths[shard_of(estate["dev"], count) - 1].read_text())
    [visit] = [v for v in dev_shard["shard"]["visits"] if v["account_id"] == central_storage["holder"]]
    assert list(visit["buckets"]) == ["dev-trail-central"]
    assert [group["logGroupName"] for group in visit["log_groups"]["us-east-1"]] == ["dev-trail-events"]
    merged = merge_files(paths)
    assert findings(merged) == expected
    holders = [a["account_id"] for a in merged["accounts"] if "dev-trail-central" in a.get("buckets", {})]
    assert holders == [central_storage["holder"]]
    assert [a.get("buckets") for a in merged["accounts"]] == [a.get("buckets") for a in whole["accounts"]]


def test_a_bucket_no_own_account_lists_is_looked_for_in_the_other_shards_accounts_until_found(
        estate: dict[str, str], central_storage: dict[str, str], shadowed: ApiProxy) -> None:
    """One worker: the other shards' accounts are listed one at a time, in id order, each once,
    and the search stops at the bucket's owner."""
    count = split_apart(estate)
    dev_shard = shard_of(estate["dev"], count)
    accounts = {estate[name] for name in ("management", "prod", "dev", "sandbox")}
    own = [a for a in accounts if shard_of(a, count) == dev_shard]
    others = sorted(a for a in accounts if shard_of(a, count) != dev_shard)
    before = len(shadowed.log)
    collect_snapshot(LiveOptions(quiet=True, workers=1, org=True, regions=REGIONS, shard=Shard(dev_shard, count)),
                     rules=load_rules([], True, only=["trail-bucket-access-logging"])[0])
    listings = [call for call in shadowed.log[before:] if call.operation == "ListBuckets"]
    assert len(listings) == len(own) + others.index(central_storage["holder"]) + 1


def test_each_account_is_in_one_shard_and_reads_for_its_chains_elsewhere_are_visits(estate: dict[str, str],
                                                                                    shadowed: ApiProxy,
                                                                                    tmp_path: Path) -> None:
    count = split_apart(estate)
    documents = [json.loads(path.read_text()) for path in collect_shards(count, tmp_path)]
    held = [[a["account_id"] for a in document["accounts"]] for document in documents]
    assert sorted(a for accounts in held for a in accounts) == sorted(
        estate[name] for name in ("management", "prod", "dev", "sandbox"))
    assert held[shard_of(estate["management"], count) - 1].count(estate["management"]) == 1  # the caller's own
    dev_shard = documents[shard_of(estate["dev"], count) - 1]
    assert dev_shard["shard"]["index"] == shard_of(estate["dev"], count)
    [visit] = [v for v in dev_shard["shard"]["visits"] if v["account_id"] == estate["management"]]
    assert {rule["Name"] for rule in visit["monitoring"]["us-east-1"]["event_rules"]} >= {"ssm-central"}
    assert all(a["collected_at"] == dev_shard["collected_at"] for a in merge_files(
        [tmp_path / f"shard-{i}.json" for i in range(1, count + 1)])["accounts"]
        if a["account_id"] == estate["dev"])


def test_merge_and_scan_on_the_command_line(estate: dict[str, str], tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    count = split_apart(estate)
    paths = [str(path) for path in collect_shards(count, tmp_path)]
    result = run_cli(capsys, "merge", *paths, "-o", str(tmp_path / "all.json"))
    assert result.code == 0, result.err
    assert result.err == f"wrote {tmp_path / 'all.json'}: 4 account(s) from {count} file(s)\n"
    _, report = scan_report(capsys, tmp_path / "out", tmp_path / "all.json")
    assert {f["account_id"] for f in report["findings"]} >= {estate["dev"], estate["management"]}
    missing = run_cli(capsys, "merge", *paths[1:], "-o", str(tmp_path / "part.json"))
    assert missing.code == 2 and f"shard(s) 1/{count} missing" in missing.err


def test_progress_counts_accounts_calls_and_errors_and_quiet_silences_it(
        estate: dict[str, str], moto_server: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    stream = io.StringIO()
    progress = Progress(0, "collect", stream, unit="accounts", clock=lambda: 0.0)
    with proxied(monkeypatch, moto_server) as proxy:
        collect_snapshot(LiveOptions(workers=4, org=True, regions=REGIONS), progress, rules=every_rule())
    progress.close()
    calls = sum(proxy.calls.values())
    assert stream.getvalue() == f"collect 4/4 accounts calls {calls} errors 0 00:00\n"
    loud = run_cli(capsys, "collect", "--org", "--regions", ",".join(REGIONS), "-o", str(tmp_path / "a.json"))
    assert re.match(r"collect 4/4 accounts calls [0-9]+ errors 0 [0-9:]+\nwrote ", loud.err), loud.err
    quiet = run_cli(capsys, "collect", "--org", "--regions", ",".join(REGIONS), "--quiet",
                    "-o", str(tmp_path / "b.json"))
    assert (quiet.code, quiet.err) == (0, "")


# -- merge rules on hand-made shards --------------------------------------------------------------

def shard_file(tmp_path: Path, name: str, *accounts: dict[str, Any], organized: bool = True,
               **top: Any) -> Path:
    return write_json(tmp_path / name, {**snapshot(*accounts, organization=organized), **top})


def test_an_account_in_two_shards_is_bad_input_naming_both_files(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    first = shard_file(tmp_path, "a.json", account(MANAGEMENT, trail()))
    second = shard_file(tmp_path, "b.json", account(MANAGEMENT, trail()))
    result = run_cli(capsys, "merge", str(first), str(second), "-o", str(tmp_path / "all.json"))
    assert result.code == 2
    assert result.err == (f"trailcheck: error: {second}: account {MANAGEMENT} is also in {first}: an account "
                          "belongs to one shard; collect each shard with the same N\n")
    assert not (tmp_path / "all.json").exists()


@pytest.mark.parametrize(("top", "what"), [
    ({"organization": {"id": "o-other0000000", "management_account_id": MANAGEMENT}}, "the organization"),
    ({"contents": ["trails", "monitoring"]}, "the data families they carry (contents)"),
    ({"partition": "aws-cn"}, "the partition"),
])
def test_shards_that_disagree_are_bad_input_naming_both_files(top: dict[str, Any], what: str, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    first = shard_file(tmp_path, "a.json", account(MANAGEMENT, trail()))
    second = shard_file(tmp_path, "b.json", account(MEMBER), **top)
    result = run_cli(capsys, "merge", str(first), str(second))
    assert (result.code, result.out) == (2, "")
    assert result.err == f"trailcheck: error: {second}: disagrees with {first} on {what}: merge the shards of " \
                         "one collection\n"


def test_shards_of_different_splits_or_given_twice_are_bad_input(tmp_path: Path) -> None:
    one = shard_file(tmp_path, "1.json", shard={"index": 1, "count": 2, "visits": []})
    other = shard_file(tmp_path, "2.json", shard={"index": 2, "count": 3, "visits": []})
    with pytest.raises(InputError, match=r"is shard 2/3 but .*1\.json is shard 1/2"):
        merge_files([one, other])
    again = shard_file(tmp_path, "1b.json", shard={"index": 1, "count": 2, "visits": []})
    with pytest.raises(InputError, match=r"shard 1/2 is also .*1\.json"):
        merge_files([one, again])


def test_empty_shards_merge_and_a_missing_organization_takes_the_others(tmp_path: Path) -> None:
    full = shard_file(tmp_path, "1.json", account(MANAGEMENT, trail(organization=True)), account(MEMBER),
                      shard={"index": 1, "count": 3, "visits": []})
    empty = shard_file(tmp_path, "2.json", shard={"index": 2, "count": 3, "visits": []})
    unorganized = shard_file(tmp_path, "3.json", organized=False, shard={"index": 3, "count": 3, "visits": []})
    merged = merge_files([full, empty, unorganized])
    assert merged["organization"]["management_account_id"] == MANAGEMENT
    assert [a["account_id"] for a in merged["accounts"]] == [MANAGEMENT, MEMBER]
    assert "shard" not in merged
    assert merge_files([shard_file(tmp_path, "alone.json")])["accounts"] == []


def test_a_trail_copy_is_kept_only_where_its_owner_is_missing(tmp_path: Path) -> None:
    """A shard without the owner lists an organization trail under the member that saw it (with
    the errors of its detail calls); the owner's entry, once merged, is the one that counts."""
    org_trail = trail("org", organization=True)
    denied = {"region": "us-east-1", "operation": "GetTrailStatus", "code": "AccessDenied", "message": "no",
              "trail_arn": trail_arn("org")}
    owner = shard_file(tmp_path, "owner.json", account(MANAGEMENT, org_trail))
    member = shard_file(tmp_path, "member.json", account(MEMBER, org_trail, errors=(denied,)))
    third = "333333333333"
    other = shard_file(tmp_path, "other.json", account(third, org_trail))
    merged = merge_files([owner, member, other])
    assert [len(a["trails"]) for a in merged["accounts"]] == [1, 0, 0]
    assert merged["accounts"][1]["errors"] == []
    without_owner = merge_files([member, other])
    assert [(a["account_id"], len(a["trails"])) for a in without_owner["accounts"]] == [(MEMBER, 1), (third, 0)]
    assert parse_snapshot(without_owner, "merged").ignored_trail_copies == 0


def test_each_account_keeps_its_own_collected_at_and_ages_count_from_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Shard 1 ran on the 22nd, shard 2 on the 20th: a delivery of the 20th at noon is 38 hours old
    for the account read on the 22nd, although the merged snapshot's own time is the 20th."""
    delivered = {"IsLogging": True, "LatestDeliveryTime": "2026-11-20T12:00:00Z"}
    late = shard_file(tmp_path, "1.json", account(MANAGEMENT, trail(Status=delivered)),
                      collected_at="2026-11-22T02:00:00Z")
    early = shard_file(tmp_path, "2.json", account(MEMBER, trail(account=MEMBER, Status=delivered)),
                       collected_at="2026-11-20T02:00:00Z")
    merged = merge_files([late, early])
    assert merged["collected_at"] == "2026-11-20T02:00:00Z"
    assert [a["collected_at"] for a in merged["accounts"]] == ["2026-11-22T02:00:00Z", "2026-11-20T02:00:00Z"]
    write_snapshot(merged, tmp_path / "all.json")
    _, report = scan_report(capsys, tmp_path / "out", tmp_path / "all.json", "--rules", "trail-delivery-healthy")
    statuses = {f["account_id"]: f["status"] for f in report["findings"]}
    assert statuses == {MANAGEMENT: "fail", MEMBER: "pass"}


def test_visits_fill_what_the_owner_lacks_and_never_override_it(tmp_path: Path) -> None:
    rule = {"Name": "central-ssm", "Arn": f"arn:aws:events:us-east-1:{MANAGEMENT}:rule/central/central-ssm",
            "EventBusName": "central", "State": "ENABLED", "EventPattern": SSM_PATTERN}
    owner_region = {"us-east-1": {"event_rules": [{**rule, "Name": "mine", "Targets": []}],
                                  "alarms": []}}
    owner = shard_file(tmp_path, "1.json", {**account(MANAGEMENT, trail()), "monitoring": owner_region},
                       contents=["trails", "monitoring"], shard={"index": 1, "count": 2, "visits": []})
    visit = {"account_id": MANAGEMENT,
             "monitoring": {"us-east-1": {"event_rules": [{**rule, "Targets": [{"Id": "t", "Arn": "x"}]}],
                                          "alarms": [alarm("other")]}},
             "errors": [{"region": "us-east-1", "operation": "ListTargetsByRule", "code": "AccessDenied",
                         "message": "no", "resource": "central/other"},
                        {"region": None, "operation": "AssumeRole", "code": "AccessDenied", "message": "no"}]}
    visitor = shard_file(tmp_path, "2.json", account(MEMBER), contents=["trails", "monitoring"],
                         shard={"index": 2, "count": 2, "visits": [visit]})
    [management, _] = merge_files([owner, visitor])["accounts"]
    region = management["monitoring"]["us-east-1"]
    assert [r["Name"] for r in region["event_rules"]] == ["central-ssm", "mine"]
    assert region["alarms"] == []  # the owner read the Region's alarms: its answer stands
    assert [e["operation"] for e in management["errors"]] == ["ListTargetsByRule"]  # not the visit's AssumeRole


def test_a_collection_in_two_processes_is_the_collection_in_one(estate: dict[str, str], shadowed: ApiProxy) -> None:
    """``--processes 2``: two forked processes, one shard each, merged; the findings are those of
    one process, and only the organization calls are made twice."""
    single = collect()
    calls = sum(shadowed.calls.values())
    double = collect_in_processes(LiveOptions(quiet=True, workers=4, org=True, regions=REGIONS, processes=2),
                                  tuple(every_rule()))
    assert findings(double) == findings(single)
    made = Counter(shadowed.log[index].operation for index in range(calls, len(shadowed.log)))
    assert made["ListAccounts"] == made["DescribeOrganization"] == made["GetCallerIdentity"] == 2
    with pytest.raises(InputError, match="without --shard"):
        collect_in_processes(LiveOptions(org=True, processes=2, shard=Shard(1, 2)))


def test_storage_visits_fill_what_the_owner_lacks_and_the_lowest_shard_settles_a_disagreement(
        tmp_path: Path) -> None:
    """A bucket ends under its one owner: the owner's reading stands, then the lowest shard's visit;
    a visit's errors about a resource it does not give are dropped with it."""
    storage = ["trails", "storage"]
    third = "333333333333"

    def visit(logging: str, errors: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
        read = {"Region": "us-east-1", "Logging": {"LoggingEnabled": {"TargetBucket": logging}}}
        return {"account_id": MANAGEMENT, "monitoring": {}, "buckets": {"mine": read, "central": read},
                "kms_keys": {"arn:aws:kms:us-east-1:111111111111:key/k": {"KeyManager": "CUSTOMER"}},
                "errors": list(errors)}

    owned = {**account(MANAGEMENT, trail()), "buckets": {"mine": {"Region": "us-east-1"}}}
    owner = shard_file(tmp_path, "1.json", owned, contents=storage, shard={"index": 1, "count": 3, "visits": []})
    denied = {"region": "us-east-1", "operation": "GetBucketVersioning", "code": "AccessDenied", "message": "no"}
    second = shard_file(tmp_path, "2.json", account(MEMBER), contents=storage, shard={
        "index": 2, "count": 3, "visits": [visit("second", ({**denied, "resource": "mine"},
                                                            {**denied, "resource": "central"}))]})
    later = shard_file(tmp_path, "3.json", account(third), contents=storage,
                       shard={"index": 3, "count": 3, "visits": [visit("third")]})
    for order in ([owner, second, later], [later, second, owner]):
        merged = merge_files(order)
        management = next(a for a in merged["accounts"] if a["account_id"] == MANAGEMENT)
        assert management["buckets"] == {
            "central": {"Region": "us-east-1", "Logging": {"LoggingEnabled": {"TargetBucket": "second"}}},
            "mine": {"Region": "us-east-1"}}
        assert list(management["kms_keys"]) == ["arn:aws:kms:us-east-1:111111111111:key/k"]
        assert [e.get("resource") for e in management["errors"]] == ["central"]
        assert [a for a in merged["accounts"] if "buckets" in a] == [management]
        parse_snapshot(merged, "merged")
