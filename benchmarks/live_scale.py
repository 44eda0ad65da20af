"""Live collection at scale: 1,000 accounts x 17 Regions against a cheap local endpoint.

moto spends more CPU per call than the collector (benchmarks/live.py), so at this scale it
would measure moto. Here the endpoint is a small ``ThreadingHTTPServer`` in its own process
that answers every call of the trail collection from a generated estate with canned
responses, after a fixed injected latency:

- STS GetCallerIdentity and AssumeRole (query protocol, XML); the access key it hands out
  names the account, so later calls say whose they are;
- Organizations DescribeOrganization and ListAccounts (pages of 20), EC2 DescribeRegions
  (17 Regions), CloudTrail DescribeTrails, GetTrailStatus, GetEventSelectors and
  GetInsightSelectors (JSON protocol).

The monitoring and storage calls are not served: CloudWatch speaks CBOR in this botocore and
S3 has a dozen calls per bucket, so the collection runs the rules that read trails only (the
moto benchmark measures the other families' calls against their minimum).

The estate: a management account with a multi-Region organization trail, 999 members, half of
them with one local trail in a random home Region (multi-Region or not); every account sees the
organization trail in every Region, as AWS shows it. Figures:

- calls made against the minimum: GetCallerIdentity, DescribeOrganization, one ListAccounts per
  page, one AssumeRole per member, one DescribeRegions and 17 DescribeTrails per account, three
  calls per unique trail (with N processes, each lists the organization: N-1 times the
  organization calls more);
- wall time against the latency ideal, the larger of calls x latency / workers and the longest
  chain of dependent calls (the ListAccounts pages one after another, then AssumeRole,
  DescribeRegions, DescribeTrails, a trail's details) x latency;
- wall time against the CPU floor, (collector CPU + endpoint CPU) / 2 cores, and CPU per call.

The collector runs in a child process (its CPU, and that of the processes it forks, from
``getrusage``); the endpoint reports its own CPU. Target: wall <= 1.3x the larger bound.

Run: ``python benchmarks/live_scale.py [--accounts 1000] [--latency 0.05 0.2] [--workers 64]
[--processes 1 2]``. Not run by CI.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run as a script: the repository's packages

REGIONS = ("af-south-1", "ap-northeast-1", "ap-northeast-2", "ap-south-1", "ap-southeast-1", "ap-southeast-2",
           "ca-central-1", "eu-central-1", "eu-north-1", "eu-west-1", "eu-west-2", "eu-west-3", "sa-east-1",
           "us-east-1", "us-east-2", "us-west-1", "us-west-2")
MANAGEMENT = "100000000000"
ORG_ID = "o-bench000000"
PAGE_SIZE = 20
SEED = 13
JSON_TYPE = "application/x-amz-json-1.1"


@dataclass(frozen=True)
class Estate:
    """The generated organization: account ids and each account's trails by ARN."""

    accounts: tuple[str, ...]
    trails: dict[str, dict[str, Any]]
    local: dict[str, str]  # account -> its local trail's ARN

    @classmethod
    def generate(cls, count: int) -> Estate:
        rng = random.Random(SEED)
        accounts = (MANAGEMENT, *(f"{200000000000 + index:012d}" for index in range(1, count)))
        org_arn = f"arn:aws:cloudtrail:us-east-1:{MANAGEMENT}:trail/org-trail"
        trails = {org_arn: _trail(org_arn, "org-trail", "us-east-1", True, True)}
        local = {}
        for account in accounts[::2]:
            home, multi = rng.choice(REGIONS), rng.random() < 0.5
            arn = f"arn:aws:cloudtrail:{home}:{account}:trail/local"
            trails[arn] = _trail(arn, "local", home, multi, False)
            local[account] = arn
        return cls(accounts, trails, local)

    def visible(self, account: str, region: str) -> list[dict[str, Any]]:
        """DescribeTrails with shadow trails: the organization trail, and the account's own
        trail where it applies."""
        seen = [self.trails[f"arn:aws:cloudtrail:us-east-1:{MANAGEMENT}:trail/org-trail"]]
        arn = self.local.get(account)
        if arn is not None and (self.trails[arn]["IsMultiRegionTrail"] or self.trails[arn]["HomeRegion"] == region):
            seen.append(self.trails[arn])
        return seen

    def minimum_calls(self) -> Counter[str]:
        count = len(self.accounts)
        unique = len(self.trails)
        return Counter({"GetCallerIdentity": 1, "DescribeOrganization": 1,
                        "ListAccounts": math.ceil(count / PAGE_SIZE), "AssumeRole": count - 1,
                        "DescribeRegions": count, "DescribeTrails": count * len(REGIONS),
                        "GetTrailStatus": unique, "GetEventSelectors": unique, "GetInsightSelectors": unique})

    def chain(self) -> int:
        """The longest chain of dependent calls: caller, the pages, then one account's calls."""
        return 1 + math.ceil(len(self.accounts) / PAGE_SIZE) + 4


def _trail(arn: str, name: str, home: str, multi: bool, organization: bool) -> dict[str, Any]:
    account = arn.split(":")[4]
    return {"Name": name, "TrailARN": arn, "HomeRegion": home, "IsMultiRegionTrail": multi,
            "IsOrganizationTrail": organization, "IncludeGlobalServiceEvents": True,
            "LogFileValidationEnabled": True, "S3BucketName": f"trails-{account}",
            "HasCustomEventSelectors": True, "HasInsightSelectors": False}


# -- the endpoint (its own process) -------------------------------------------------------------

class Endpoint:
    """Canned answers after ``latency`` seconds; counts calls by operation."""

    def __init__(self, estate: Estate, latency: float) -> None:
        self.estate = estate
        self.latency = latency
        self.calls: Counter[str] = Counter()
        self.lock = threading.Lock()
        self.cpu_at_reset = time.process_time()
        self.members = [{"Id": a, "Name": f"account-{a}", "Status": "ACTIVE", "State": "ACTIVE",
                         "Arn": f"arn:aws:organizations::{MANAGEMENT}:account/{ORG_ID}/{a}",
                         "Email": f"{a}@example.com"} for a in estate.accounts]

    def answer(self, headers: Any, body: bytes) -> tuple[int, str, bytes]:
        target = headers.get("X-Amz-Target")
        text = body.decode()
        form = parse_qs(text) if not target else {}
        operation = target.rsplit(".", 1)[-1] if target else form.get("Action", ["?"])[0]
        scope = str(headers.get("Authorization", "")).split("Credential=", 1)[-1].split(",", 1)[0].split("/")
        account, region = scope[0][4:16], scope[2] if len(scope) > 2 else "us-east-1"
        with self.lock:
            self.calls[operation] += 1
        time.sleep(self.latency)
        if operation == "GetCallerIdentity":
            return 200, "text/xml", _xml("GetCallerIdentity", f"<Arn>arn:aws:iam::{account}:user/bench</Arn>"
                                                              f"<UserId>AIDABENCH</UserId><Account>{account}</Account>")
        if operation == "AssumeRole":
            member = form["RoleArn"][0].split(":")[4]
            return 200, "text/xml", _xml("AssumeRole", (
                f"<Credentials><AccessKeyId>ASIA{member}</AccessKeyId><SecretAccessKey>secret</SecretAccessKey>"
                f"<SessionToken>token</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration></Credentials>"
                f"<AssumedRoleUser><AssumedRoleId>AROABENCH:trailcheck</AssumedRoleId>"
                f"<Arn>arn:aws:sts::{member}:assumed-role/audit/trailcheck</Arn></AssumedRoleUser>"))
        if operation == "DescribeRegions":
            items = "".join(f"<item><regionName>{r}</regionName><regionEndpoint>ec2.{r}.amazonaws.com"
                            f"</regionEndpoint><optInStatus>opt-in-not-required</optInStatus></item>" for r in REGIONS)
            payload = (f'<DescribeRegionsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
                       f"<requestId>bench</requestId><regionInfo>{items}</regionInfo></DescribeRegionsResponse>")
            return 200, "text/xml", payload.encode()
        request = json.loads(text or "{}")
        if operation == "DescribeOrganization":
            return _json({"Organization": {"Id": ORG_ID, "MasterAccountId": MANAGEMENT, "FeatureSet": "ALL",
                                           "Arn": f"arn:aws:organizations::{MANAGEMENT}:organization/{ORG_ID}"}})
        if operation == "ListAccounts":
            start = int(request.get("NextToken") or 0)
            page: dict[str, Any] = {"Accounts": self.members[start:start + PAGE_SIZE]}
            if start + PAGE_SIZE < len(self.members):
                page["NextToken"] = str(start + PAGE_SIZE)
            return _json(page)
        if operation == "DescribeTrails":
            return _json({"trailList": self.estate.visible(account, region)})
        if operation == "GetTrailStatus":
            return _json({"IsLogging": True, "LatestDeliveryTime": 1795000000.0})
        if operation == "GetEventSelectors":
            return _json({"TrailARN": request["TrailName"], "AdvancedEventSelectors": [
                {"Name": "management", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}]})
        if operation == "GetInsightSelectors":
            return _json({"TrailARN": request["TrailName"], "InsightSelectors": []})
        return 400, JSON_TYPE, json.dumps({"__type": "UnknownOperationException", "message": operation}).encode()

    def stats(self) -> bytes:
        with self.lock:
            return json.dumps({"calls": dict(self.calls), "cpu": time.process_time() - self.cpu_at_reset}).encode()

    def reset(self) -> None:
        with self.lock:
            self.calls.clear()
            self.cpu_at_reset = time.process_time()


def _xml(operation: str, result: str) -> bytes:
    return (f'<{operation}Response xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><{operation}Result>{result}'
            f"</{operation}Result><ResponseMetadata><RequestId>bench</RequestId></ResponseMetadata>"
            f"</{operation}Response>").encode()


def _json(document: dict[str, Any]) -> tuple[int, str, bytes]:
    return 200, JSON_TYPE, json.dumps(document).encode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024


def serve(accounts: int, latency: float) -> None:
    """Serve until killed; print the port first (the parent reads it)."""
    endpoint = Endpoint(Estate.generate(accounts), latency)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            status, kind, payload = endpoint.answer(self.headers, body)
            self._send(status, kind, payload)

        def do_GET(self) -> None:
            if self.path == "/reset":
                endpoint.reset()
            self._send(200, "application/json", endpoint.stats())

        def _send(self, status: int, kind: str, payload: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Connection", "close")  # thousands of clients: no idle sockets kept on either side
            self.end_headers()
            self.wfile.write(payload)
            self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet."""

    server = _Server(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()


# -- the collector (a child process) -------------------------------------------------------------

def collect(workers: int, processes: int) -> None:
    """Collect the estate; print wall time, CPU (own and forked processes') and account count."""
    from checker.inputs.live import LiveOptions
    from checker.inputs.live.processes import collect_in_processes
    from checker.plan.rules import families_needed
    from checker.scan import load_rules

    every, _ = load_rules([], True)
    rules = tuple(rule for rule in every if families_needed([rule]) == {"trails"})
    cpu_before = time.process_time()
    started = time.perf_counter()
    document = collect_in_processes(LiveOptions(org=True, workers=workers, processes=processes, quiet=True), rules)
    wall = time.perf_counter() - started
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = time.process_time() - cpu_before + children.ru_utime + children.ru_stime
    errors = sum(len(a.get("errors", [])) for a in document["accounts"])
    print(json.dumps({"wall": wall, "cpu": cpu, "accounts": len(document["accounts"]), "errors": errors,
                      "trails": sum(len(a["trails"]) for a in document["accounts"])}))


# -- the measurement -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Run:
    latency: float
    workers: int
    processes: int
    wall: float
    collector_cpu: float
    endpoint_cpu: float
    calls: Counter[str]
    accounts: int
    errors: int


def measure(accounts: int, latency: float, workers: int, processes: int) -> Run:
    endpoint = subprocess.Popen([sys.executable, __file__, "--serve", "--accounts", str(accounts),
                                 "--latency", str(latency)], stdout=subprocess.PIPE, text=True)
    try:
        assert endpoint.stdout is not None
        url = f"http://127.0.0.1:{endpoint.stdout.readline().strip()}"
        urllib.request.urlopen(f"{url}/reset", timeout=10).read()
        env = {**os.environ, "AWS_ENDPOINT_URL": url, "AWS_ACCESS_KEY_ID": f"AKIA{MANAGEMENT}",
               "AWS_SECRET_ACCESS_KEY": "secret", "AWS_DEFAULT_REGION": "us-east-1",
               "AWS_EC2_METADATA_DISABLED": "true"}
        env.pop("AWS_SESSION_TOKEN", None)
        env.pop("AWS_PROFILE", None)
        done = subprocess.run([sys.executable, __file__, "--collect", "--workers", str(workers),
                               "--processes", str(processes)], env=env, capture_output=True, text=True, check=True)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        stats = json.loads(urllib.request.urlopen(f"{url}/stats", timeout=10).read())
    finally:
        endpoint.kill()
        endpoint.wait()
    return Run(latency, workers, processes, result["wall"], result["cpu"], stats["cpu"], Counter(stats["calls"]),
               result["accounts"], result["errors"])


def report(estate: Estate, run: Run) -> None:
    minimum = estate.minimum_calls()
    made = sum(run.calls.values())
    least = sum(minimum.values())
    ideal = max(made * run.latency / run.workers, estate.chain() * run.latency)
    floor = (run.collector_cpu + run.endpoint_cpu) / 2
    bound = max(ideal, floor)
    print(f"\nlatency {run.latency * 1000:.0f} ms, workers {run.workers}, processes {run.processes}: "
          f"{run.accounts} accounts x {len(REGIONS)} Regions, {run.errors} errors, load average "
          f"{os.getloadavg()[0]:.1f}")
    print(f"  calls {made:,} (minimum {least:,}; "
          + ", ".join(f"{op} {run.calls[op]}/{minimum[op]}" for op in sorted(minimum) if run.calls[op] != minimum[op])
          + ")")
    print(f"  wall {run.wall:.1f} s; latency ideal {ideal:.1f} s (x{run.wall / ideal:.2f}); CPU floor {floor:.1f} s "
          f"(x{run.wall / floor:.2f}): wall / larger bound {run.wall / bound:.2f}")
    print(f"  CPU collector {run.collector_cpu:.1f} s ({run.collector_cpu / made * 1000:.2f} ms per call), "
          f"endpoint {run.endpoint_cpu:.1f} s ({run.endpoint_cpu / made * 1000:.2f} ms per call)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--latency", type=float, nargs="+", default=[0.05, 0.2])
    parser.add_argument("--workers", type=int, default=64)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--collect", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.accounts, args.latency[0])
        return
    if args.collect:
        collect(args.workers, args.processes[0])
        return
    estate = Estate.generate(args.accounts)
    print(f"estate: {len(estate.accounts)} accounts, {len(estate.trails)} unique trails, {len(REGIONS)} Regions")
    for latency in args.latency:
        for processes in args.processes:
            report(estate, measure(args.accounts, latency, args.workers, processes))


if __name__ == "__main__":
    main()
