"""Live collection benchmark: API calls and wall time for a 50-account organization.

A moto server (its own process, so it does not share our GIL) sits behind the test
suite's proxy, which adds a fixed latency to every call and counts calls by operation.
The organization has 50 accounts scanned in 4 regions; the collector runs with 16
workers. Two figures against their ideal:

- calls made vs the minimum (the call table of docs/live-scans.md): 1 DescribeTrails per
  (account, region), 3 calls per unique trail, and the organization calls
  (GetCallerIdentity, DescribeOrganization, ListAccounts pages, one AssumeRole per member;
  DescribeRegions is not needed with --regions);
- wall time vs calls x latency / workers (perfect overlap, no dependency between calls).

It also measures the CPU each process spends during the collection (collector, moto,
proxy; from /proc, so Linux only), because on a small machine CPU, not waiting, bounds
the wall time. Three floors: moto answers from one Python process and the collector is
one Python process (one GIL each), so each one's CPU time is a floor on the wall time,
and so is the CPU of all three divided by the cores.

A second collection has the built-in rule pack in effect, as a plain ``trailcheck collect``
does, so it also reads the monitoring data the monitoring rules need and the storage data the
storage rules need; its monitoring and storage calls are compared with the minimums derived
from the estate (:func:`minimum_monitoring_calls`, :func:`minimum_storage_calls`).

Run: ``python benchmarks/live.py [--latency 0.05] [--workers 16]``.
Not run by CI.
"""

from __future__ import annotations

import argparse
import math
import multiprocessing
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from multiprocessing.connection import Connection
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run as a script: the repository's packages (checker, tests.helpers)

from checker.inputs.live import LiveOptions  # noqa: E402
from checker.inputs.live.collector import collect_snapshot  # noqa: E402
from checker.scan import load_rules  # noqa: E402
from tests.helpers.cis_texts import V14  # noqa: E402
from tests.helpers.moto_harness import MANAGEMENT_ACCOUNT, ApiProxy, MotoAccounts  # noqa: E402

ACCOUNTS = 50
REGIONS = ("eu-west-1", "us-east-1", "us-east-2", "us-west-2")
PAGE_SIZE = 20
MONITORING_OPERATIONS = ("DescribeMetricFilters", "DescribeAlarms", "ListSubscriptionsByTopic",
                         "GetTopicAttributes", "ListRules", "ListTargetsByRule")
BUCKET_OPERATIONS = ("GetBucketPolicyStatus", "GetPublicAccessBlock", "GetBucketOwnershipControls", "GetBucketAcl",
                     "GetBucketPolicy", "GetBucketLogging", "GetBucketVersioning", "GetObjectLockConfiguration",
                     "GetBucketLifecycleConfiguration")
STORAGE_OPERATIONS = ("ListBuckets", "GetBucketLocation", *BUCKET_OPERATIONS, "GetAccountPublicAccessBlock",
                      "DescribeKey", "GetKeyRotationStatus", "DescribeLogGroups")
SSM_EVERY = 10
"""Every tenth member has a Session Manager rule on its default bus (in its trail's home Region)."""
SSM_PATTERN = ('{"source": ["aws.ssm"], "detail-type": ["AWS API Call via CloudTrail"], '
               '"detail": {"eventName": ["StartSession", "ResumeSession", "TerminateSession"]}}')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def process_cpu(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_moto() -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1):
                return process, endpoint
        except OSError:
            if time.monotonic() > deadline:
                process.kill()
                raise
            time.sleep(0.1)


def serve_proxy(upstream: str, latency: float, connection: Connection) -> None:
    """Child process: run the counting proxy; on each request send the counts so far and
    start counting afresh, until told to stop. Its own process, so that proxying does not
    take the collector's GIL."""
    with ApiProxy(upstream, latency=latency) as proxy:
        connection.send(proxy.url)
        while connection.recv() == "counts":
            connection.send((dict(proxy.calls), proxy.seconds))
            proxy.calls.clear()
            proxy.seconds = 0.0


def build_estate() -> int:
    """The organization: an org trail in the management account, encrypted with a customer key
    there and delivering to its own bucket and to a log group there with the 15 CIS v1.4 metric
    filters, each with an alarm on an SNS topic; every member a multi-region trail (homes spread
    over the regions) delivering to its own bucket and to a log group without filters in its
    home region, every fifth member also a single-region trail sharing that bucket, and every
    tenth member a Session Manager rule to its own topic. Returns the number of unique trails."""
    moto = MotoAccounts()
    ids = moto.create_organization([f"member{i:02d}" for i in range(ACCOUNTS - 1)])
    key = moto.client(MANAGEMENT_ACCOUNT, "kms").create_key(Description="org trail")["KeyMetadata"]["Arn"]
    moto.create_trail(MANAGEMENT_ACCOUNT, "us-east-1", "org-trail", IsMultiRegionTrail=True,
                      IsOrganizationTrail=True, CloudWatchLogsRoleArn=_logs_role(MANAGEMENT_ACCOUNT),
                      CloudWatchLogsLogGroupArn=_log_group(MANAGEMENT_ACCOUNT, "us-east-1", "org-trail-logs"),
                      KmsKeyId=key)
    _cis_monitoring(moto)
    members = sorted(a for a in ids.values() if a != MANAGEMENT_ACCOUNT)
    trails = 1
    for index, account in enumerate(members):
        home = REGIONS[index % len(REGIONS)]
        moto.create_trail(account, home, "main", IsMultiRegionTrail=True, CloudWatchLogsRoleArn=_logs_role(account),
                          CloudWatchLogsLogGroupArn=_log_group(account, home, "main-logs"))
        trails += 1
        if index % 5 == 0:
            local = moto.client(account, "cloudtrail", REGIONS[(index + 1) % len(REGIONS)])
            local.create_trail(Name="local", S3BucketName=f"main-{home}-{account}")  # the bucket of "main"
            local.start_logging(Name="local")
            trails += 1
        if index % SSM_EVERY == 0:
            topic = moto.client(account, "sns", home).create_topic(Name="sessions")["TopicArn"]
            events = moto.client(account, "events", home)
            events.put_rule(Name="ssm-sessions", EventPattern=SSM_PATTERN)
            events.put_targets(Rule="ssm-sessions", Targets=[{"Id": "notify", "Arn": topic}])
    return trails


def _log_group(account: str, region: str, name: str) -> str:
    return f"arn:aws:logs:{region}:{account}:log-group:{name}:*"


def _logs_role(account: str) -> str:
    return f"arn:aws:iam::{account}:role/trail-to-logs"


def _cis_monitoring(moto: MotoAccounts) -> None:
    logs = moto.client(MANAGEMENT_ACCOUNT, "logs")
    cloudwatch = moto.client(MANAGEMENT_ACCOUNT, "cloudwatch")
    sns = moto.client(MANAGEMENT_ACCOUNT, "sns")
    topic = sns.create_topic(Name="security-alerts")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="soc@example.com")
    logs.create_log_group(logGroupName="org-trail-logs")
    for control, pattern in V14.items():
        metric = "CIS" + control.replace(".", "_")
        logs.put_metric_filter(logGroupName="org-trail-logs", filterName=metric, filterPattern=pattern,
                               metricTransformations=[{"metricName": metric, "metricNamespace": "CISBenchmark",
                                                       "metricValue": "1"}])
        cloudwatch.put_metric_alarm(AlarmName=metric, Namespace="CISBenchmark", MetricName=metric, Statistic="Sum",
                                    Period=300, EvaluationPeriods=1, Threshold=1.0,
                                    ComparisonOperator="GreaterThanOrEqualToThreshold", AlarmActions=[topic])


def minimum_calls(unique_trails: int) -> Counter[str]:
    per_trail = ("GetTrailStatus", "GetEventSelectors", "GetInsightSelectors")
    return Counter({
        "GetCallerIdentity": 1, "DescribeOrganization": 1,
        "ListAccounts": math.ceil(ACCOUNTS / PAGE_SIZE), "AssumeRole": ACCOUNTS - 1,
        "DescribeTrails": ACCOUNTS * len(REGIONS), **{op: unique_trails for op in per_trail},
    })


def minimum_monitoring_calls() -> Counter[str]:
    """The monitoring calls the built-in rules need on this estate (one page each):

    - DescribeMetricFilters: every trail that can start a chain delivers to its own log group:
      the organization trail's and each member's multi-region trail's (the single-region
      trails deliver nowhere);
    - DescribeAlarms: only the organization trail's log group holds filters, in one Region;
    - ListSubscriptionsByTopic and GetTopicAttributes: the topic of the CIS alarms, and the
      topic of each Session Manager rule;
    - ListRules: the two rules that count EventBridge chains need the default bus of every
      (account, Region), where the organization trail records their events;
    - ListTargetsByRule: each Session Manager rule (no other rule exists).
    """
    ssm_rules = math.ceil((ACCOUNTS - 1) / SSM_EVERY)
    return Counter({
        "DescribeMetricFilters": ACCOUNTS, "DescribeAlarms": 1,
        "ListSubscriptionsByTopic": 1 + ssm_rules, "GetTopicAttributes": 1 + ssm_rules,
        "ListRules": ACCOUNTS * len(REGIONS), "ListTargetsByRule": ssm_rules,
    })


def minimum_storage_calls() -> Counter[str]:
    """The storage calls the built-in rules need on this estate (one page each):

    - ListBuckets: once per scanned account (a bucket's name does not say who owns it);
    - per bucket, each S3 call the storage rules read, and GetBucketLocation (moto's ListBuckets
      does not give ``BucketRegion``; AWS's does, and then it is not called): one bucket per
      account, the single-region trails sharing their account's;
    - GetAccountPublicAccessBlock (S3 Control): once per account that owns a trail's bucket;
    - DescribeKey and GetKeyRotationStatus: the organization trail's customer key, the only key;
    - DescribeLogGroups: the organization trail's log group and each member's.
    """
    return Counter({
        "ListBuckets": ACCOUNTS, "GetBucketLocation": ACCOUNTS, **{op: ACCOUNTS for op in BUCKET_OPERATIONS},
        "GetAccountPublicAccessBlock": ACCOUNTS, "DescribeKey": 1, "GetKeyRotationStatus": 1,
        "DescribeLogGroups": ACCOUNTS,
    })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added to every call")
    parser.add_argument("--workers", type=int, default=16)
    args = parser.parse_args()
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                      AWS_SESSION_TOKEN="testing", AWS_DEFAULT_REGION="us-east-1")
    os.environ.pop("AWS_PROFILE", None)
    moto, endpoint = start_moto()
    try:
        os.environ["AWS_ENDPOINT_URL"] = endpoint
        unique_trails = build_estate()
        ours, theirs = multiprocessing.Pipe()
        proxy = multiprocessing.Process(target=serve_proxy, args=(endpoint, args.latency, theirs))
        proxy.start()
        os.environ["AWS_ENDPOINT_URL"] = ours.recv()
        assert proxy.pid is not None, "started above"
        servers = {"moto": moto.pid, "proxy": proxy.pid}
        server_cpu = {name: process_cpu(pid) for name, pid in servers.items()}
        started = time.perf_counter()
        cpu_started = time.process_time()
        document = collect_snapshot(LiveOptions(org=True, regions=REGIONS, workers=args.workers, quiet=True))
        wall = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        server_cpu = {name: process_cpu(pid) - server_cpu[name] for name, pid in servers.items()}
        ours.send("counts")
        counted, answering = ours.recv()
        calls: Counter[str] = Counter(counted)
        builtin, _ = load_rules([], True)
        started_monitoring = time.perf_counter()
        monitored = collect_snapshot(LiveOptions(org=True, regions=REGIONS, workers=args.workers, quiet=True),
                                     rules=builtin)
        monitoring_wall = time.perf_counter() - started_monitoring
        ours.send("counts")
        monitoring_counted, _ = ours.recv()
        ours.send("stop")
        proxy.join()
    finally:
        moto.terminate()
        moto.wait()
    errors = sum(len(a["errors"]) for a in document["accounts"])
    expected = minimum_calls(unique_trails)
    made = sum(calls.values())
    minimum = sum(expected.values())
    ideal = minimum * args.latency / args.workers
    observed = answering / made
    print(f"accounts {len(document['accounts'])} x regions {len(REGIONS)}, unique trails {unique_trails}, "
          f"errors {errors}, workers {args.workers}, latency {args.latency * 1000:.0f} ms/call, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{'operation':<22}{'made':>6}{'minimum':>9}")
    for operation in sorted(set(expected) | set(calls)):
        print(f"{operation:<22}{calls[operation]:>6}{expected[operation]:>9}")
    print(f"{'total':<22}{made:>6}{minimum:>9}")
    print(f"wall {wall:.2f} s, ideal {ideal:.2f} s (calls x latency / workers), ratio {wall / ideal:.2f}")
    observed_ideal = minimum * observed / args.workers
    print(f"observed time per call at the proxy {observed * 1000:.0f} ms (latency + moto); "
          f"ideal with it {observed_ideal:.2f} s, ratio {wall / observed_ideal:.2f}")
    cores = os.cpu_count() or 1
    total = cpu + sum(server_cpu.values())
    print(f"CPU during the collection: collector {cpu:.2f} s ({cpu / made * 1000:.1f} ms per call, "
          f"client creation included), moto {server_cpu['moto']:.2f} s, "
          f"proxy {server_cpu['proxy']:.2f} s; total {total:.2f} s on {cores} cores")
    floor = max(server_cpu["moto"], cpu, total / cores)
    print(f"CPU floor on the wall time {floor:.2f} s = {floor / ideal:.2f}x ideal "
          f"(the largest of moto's CPU, the collector's, all CPU / cores); "
          f"wall / floor {wall / floor:.2f}")
    errors = sum(len(a["errors"]) for a in monitored["accounts"])
    print(f"\nwith the built-in rules in effect (contents {', '.join(monitored.get('contents', ['trails']))}), "
          f"errors {errors}, wall {monitoring_wall:.2f} s")
    report_calls("monitoring", MONITORING_OPERATIONS, Counter(monitoring_counted), minimum_monitoring_calls())
    report_calls("storage", STORAGE_OPERATIONS, Counter(monitoring_counted), minimum_storage_calls())


def report_calls(family: str, operations: tuple[str, ...], counted: Counter[str], expected: Counter[str]) -> None:
    """The calls of one data family made by the collection with the built-in rules, vs the minimum."""
    calls = Counter({op: counted[op] for op in operations if counted[op]})
    print(f"{family} calls:")
    print(f"{'operation':<34}{'made':>6}{'minimum':>9}")
    for operation in operations:
        print(f"{operation:<34}{calls[operation]:>6}{expected[operation]:>9}")
    print(f"{'total':<34}{calls.total():>6}{expected.total():>9}")


if __name__ == "__main__":
    main()
