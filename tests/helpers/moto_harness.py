"""Test harness for live collection: a fault- and latency-injecting proxy in front of moto,
and helpers that build an AWS organization in moto through the API. Used by the live
collection tests and by ``benchmarks/live.py``.

The proxy is real HTTP on 127.0.0.1 (a threaded ``http.server``): boto3 reaches it through
``AWS_ENDPOINT_URL`` like any private endpoint, so retries, timeouts and error parsing are
botocore's own. It counts every request by operation (X-Amz-Target or Action) and lets a
test answer chosen requests itself (throttling, AccessDenied) instead of forwarding them.
The live benchmark reuses it with a per-call latency.

moto facts the helpers rely on (moto 5): credentials returned by AssumeRole act as the
account id of the role ARN, so one server hosts many accounts; the role need not exist;
CreateAccount ids are random, so tests look accounts up by name.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

import boto3

HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length"})
MANAGEMENT_ACCOUNT = "123456789012"
"""moto's default account: the caller with the fake credentials of the fixture."""
MANAGEMENT_KEY = "testing"
"""The fixture's access key, which moto maps to the default account."""


@dataclass(frozen=True)
class ApiCall:
    """One request as the proxy saw it."""

    operation: str
    region: str
    access_key: str
    body: str
    path: str = ""


@dataclass(frozen=True)
class Fault:
    """An answer the proxy gives instead of forwarding."""

    status: int
    body: bytes
    content_type: str
    drop: bool = False

    @classmethod
    def json_error(cls, code: str, message: str, status: int = 400) -> Fault:
        """An error of a JSON-protocol service (CloudTrail, Organizations)."""
        body = json.dumps({"__type": code, "message": message}).encode()
        return cls(status, body, "application/x-amz-json-1.1")

    @classmethod
    def query_error(cls, code: str, message: str, status: int = 403) -> Fault:
        """An error of a query-protocol service (STS)."""
        body = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
                f"<Message>{message}</Message></Error><RequestId>proxy</RequestId></ErrorResponse>")
        return cls(status, body.encode(), "text/xml")

    @classmethod
    def xml_error(cls, code: str, message: str, status: int = 403) -> Fault:
        """An error of a REST-XML service (S3, S3 Control)."""
        body = f"<Error><Code>{code}</Code><Message>{message}</Message><RequestId>proxy</RequestId></Error>"
        return cls(status, body.encode(), "application/xml")

    @classmethod
    def unreachable(cls) -> Fault:
        """Close the connection without an answer, as an unreachable endpoint does."""
        return cls(0, b"", "", drop=True)


Rule = Callable[[ApiCall], "Fault | None"]


class Editor(Protocol):
    """Changes what moto sees or answers, to play an AWS behaviour moto lacks."""

    def request_headers(self, call: ApiCall, headers: dict[str, str]) -> dict[str, str]: ...

    def response_body(self, call: ApiCall, payload: bytes) -> bytes: ...


S3_READS = {"policyStatus": "GetBucketPolicyStatus", "publicAccessBlock": "GetPublicAccessBlock",
            "ownershipControls": "GetBucketOwnershipControls", "acl": "GetBucketAcl", "policy": "GetBucketPolicy",
            "logging": "GetBucketLogging", "versioning": "GetBucketVersioning",
            "object-lock": "GetObjectLockConfiguration", "lifecycle": "GetBucketLifecycleConfiguration",
            "location": "GetBucketLocation"}
"""The S3 GET requests the storage collection makes, by the query parameter that names them."""
ACCOUNT_BLOCK_PATH = "/v20180820/configuration/publicAccessBlock"
"""S3 Control GetPublicAccessBlock, counted as ``GetAccountPublicAccessBlock`` (S3's own is the bucket's)."""


def operation_of(headers: Any, body: str, path: str = "", method: str = "POST") -> str:
    """The operation of a JSON (X-Amz-Target), query (Action) or RPC v2 CBOR request
    (``/service/NAME/operation/OP``: CloudWatch's protocol in botocore), or of an S3 or S3
    Control read (REST: a GET of ``/``, of a bucket's sub-resource, of the account's block)."""
    target = headers.get("X-Amz-Target")
    if target:
        return str(target).rsplit(".", 1)[-1]
    if "/operation/" in path:
        return path.rsplit("/operation/", 1)[1].split("?", 1)[0]
    if method == "GET":
        return _rest_read(path)
    action = parse_qs(body).get("Action")
    return action[0] if action else "?"


def _rest_read(path: str) -> str:
    parts = urlsplit(path)
    if parts.path == ACCOUNT_BLOCK_PATH:
        return "GetAccountPublicAccessBlock"
    if parts.path == "/":
        return "ListBuckets"
    named = [S3_READS[key] for key in parse_qs(parts.query, keep_blank_values=True) if key in S3_READS]
    return named[0] if named else "?"


def bucket_of(call: ApiCall) -> str | None:
    """The bucket an S3 request names (path-style addressing, as botocore uses for an IP endpoint)."""
    first = urlsplit(call.path).path.strip("/").split("/", 1)[0]
    return first or None


def region_and_key_of(headers: Any) -> tuple[str, str]:
    """Region and access key from the SigV4 credential scope of the Authorization header."""
    auth = str(headers.get("Authorization", ""))
    if "Credential=" not in auth:
        return "?", "?"
    scope = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")
    return scope[2], scope[0]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 drops SYNs when 16 workers connect at once


class ApiProxy:
    """A threaded HTTP proxy to ``upstream`` that counts, delays and fault-injects."""

    def __init__(self, upstream: str, rule: Rule | None = None, latency: float = 0.0,
                 editor: Editor | None = None) -> None:
        self.rule = rule
        self.editor = editor
        self.latency = latency
        self.calls: Counter[str] = Counter()
        self.faults: Counter[str] = Counter()
        self.log: list[ApiCall] = []
        self.seconds = 0.0
        """Time spent answering calls, summed (injected latency plus upstream time)."""
        self._lock = threading.Lock()
        parts = urlsplit(upstream)
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self._server = _Server(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> ApiProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def count(self, *operations: str) -> int:
        return sum(self.calls[op] for op in operations)

    def _answer(self, method: str, path: str, headers: Any, body: bytes
                ) -> tuple[int, list[tuple[str, str]], bytes] | None:
        """Status, headers and body to send back, or ``None`` to drop the connection."""
        started = time.perf_counter()
        try:
            return self._respond(method, path, headers, body)
        finally:
            with self._lock:
                self.seconds += time.perf_counter() - started

    def _respond(self, method: str, path: str, headers: Any, body: bytes
                 ) -> tuple[int, list[tuple[str, str]], bytes] | None:
        text = body.decode("utf-8", "replace")
        region, key = region_and_key_of(headers)
        call = ApiCall(operation_of(headers, text, path, method), region, key, text, path)
        with self._lock:
            self.calls[call.operation] += 1
            self.log.append(call)
        if self.latency:
            time.sleep(self.latency)
        fault = self.rule(call) if self.rule else None
        if fault is not None:
            with self._lock:
                self.faults[call.operation] += 1
            if fault.drop:
                return None
            return fault.status, [("Content-Type", fault.content_type)], fault.body
        sent = dict(headers.items())
        if self.editor:
            sent = self.editor.request_headers(call, sent)
        connection = http.client.HTTPConnection(*self._upstream, timeout=60)
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            payload = response.read()
            if self.editor and response.status == 200:
                payload = self.editor.response_body(call, payload)
            kept = [(k, v) for k, v in response.getheaders() if k.lower() not in HOP_BY_HOP]
            return response.status, kept, payload
        finally:
            connection.close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall

            def _relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                answer = proxy._answer(self.command, self.path, self.headers, body)
                if answer is None:
                    self.close_connection = True
                    return
                status, headers, payload = answer
                self.send_response(status)
                for key, value in headers:
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _relay

            def log_message(self, format: str, *args: Any) -> None:
                """Quiet: the tests read counters, not access logs."""

        return Handler


def first_times(count: int, fault: Fault, wanted: Callable[[ApiCall], bool]) -> Rule:
    """A rule answering ``fault`` to the first ``count`` wanted calls, then forwarding."""
    remaining = [count]
    lock = threading.Lock()

    def rule(call: ApiCall) -> Fault | None:
        if not wanted(call):
            return None
        with lock:
            if remaining[0] <= 0:
                return None
            remaining[0] -= 1
        return fault
    return rule


class OrgTrailShadows:
    """Plays what moto does not: members see the organization trail (as a shadow trail in
    DescribeTrails) and may read its status and selectors by ARN. Calls by a member
    (any access key but the management account's) get the trail added to DescribeTrails,
    and calls naming the trail are sent to moto as the management account's (moto reads
    the account from the access key and does not check signatures)."""

    def __init__(self, trail: dict[str, Any]) -> None:
        self.trail = trail

    def request_headers(self, call: ApiCall, headers: dict[str, str]) -> dict[str, str]:
        if call.access_key in (MANAGEMENT_KEY, "?") or self.trail["TrailARN"] not in call.body:
            return headers
        edited = dict(headers)
        edited["Authorization"] = headers["Authorization"].replace(call.access_key, MANAGEMENT_KEY, 1)
        return edited

    def response_body(self, call: ApiCall, payload: bytes) -> bytes:
        if call.operation != "DescribeTrails" or call.access_key == MANAGEMENT_KEY:
            return payload
        answer = json.loads(payload)
        answer["trailList"].append(self.trail)
        return json.dumps(answer).encode()


@contextmanager
def proxied(monkeypatch: Any, upstream: str, rule: Rule | None = None,
            editor: Editor | None = None) -> Iterator[ApiProxy]:
    """Route boto3 through a proxy for the duration (AWS_ENDPOINT_URL, as a user would)."""
    with ApiProxy(upstream, rule, editor=editor) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL", proxy.url)
        try:
            yield proxy
        finally:
            monkeypatch.setenv("AWS_ENDPOINT_URL", upstream)


# -- building an estate in moto ------------------------------------------------------------

class MotoAccounts:
    """Clients acting in any account of the moto server, built from one session (a new
    session per account would load every service model again)."""

    def __init__(self) -> None:
        self.session = boto3.Session(region_name="us-east-1")
        self._credentials: dict[str, dict[str, str]] = {}

    def credentials(self, account_id: str) -> dict[str, str]:
        """AssumeRole credentials acting in a member account (cached)."""
        if account_id not in self._credentials:
            sts = self.session.client("sts")
            role = f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole"
            self._credentials[account_id] = sts.assume_role(
                RoleArn=role, RoleSessionName="estate-builder")["Credentials"]
        return self._credentials[account_id]

    def client(self, account_id: str, service: str, region: str = "us-east-1") -> Any:
        if account_id == MANAGEMENT_ACCOUNT:
            return self.session.client(service, region_name=region)
        creds = self.credentials(account_id)
        return self.session.client(service, region_name=region, aws_access_key_id=creds["AccessKeyId"],
                                   aws_secret_access_key=creds["SecretAccessKey"],
                                   aws_session_token=creds["SessionToken"])

    def create_organization(self, member_names: list[str]) -> dict[str, str]:
        """An organization managed by moto's default account; returns account ids by name
        (the management account is ``master`` in moto)."""
        org = self.client(MANAGEMENT_ACCOUNT, "organizations")
        org.create_organization(FeatureSet="ALL")
        for name in member_names:
            org.create_account(AccountName=name, Email=f"{name}@example.com")
        accounts = org.get_paginator("list_accounts").paginate().build_full_result()["Accounts"]
        return {a["Name"]: a["Id"] for a in accounts}

    def create_trail(self, account_id: str, region: str, name: str, *, logging: bool = True,
                     selectors: dict[str, Any] | None = None, insights: list[str] | None = None,
                     **settings: Any) -> str:
        """Create a trail (with its bucket) through the API; returns its ARN."""
        bucket = f"{name}-{region}-{account_id}"
        self.client(account_id, "s3").create_bucket(Bucket=bucket)
        cloudtrail = self.client(account_id, "cloudtrail", region)
        arn: str = cloudtrail.create_trail(Name=name, S3BucketName=bucket, **settings)["TrailARN"]
        if logging:
            cloudtrail.start_logging(Name=name)
        if selectors:
            cloudtrail.put_event_selectors(TrailName=name, **selectors)
        if insights:
            cloudtrail.put_insight_selectors(TrailName=name,
                                             InsightSelectors=[{"InsightType": i} for i in insights])
        return arn
