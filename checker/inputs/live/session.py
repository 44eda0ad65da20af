"""boto3 clients for many threads, accounts and regions.

A boto3 Session is not thread-safe, a low-level client is (boto3's documented rule). So
the one Session of a run is only ever used under a lock, to build clients, and each
client is built once and shared by every worker: one client, one connection pool and one
adaptive rate limiter per (service, account, region), which is also the scope at which
AWS throttles. Building a client costs ~4 ms of CPU; building one per thread and per
(account, region) would cost more than the calls themselves on a large organization
(measured in benchmarks/live.py). The caller's credentials are resolved and frozen once,
so a profile that prompts for MFA or runs a credential process does it once.

The endpoint comes from botocore itself, so ``AWS_ENDPOINT_URL`` (and the per-service
``AWS_ENDPOINT_URL_<SERVICE>``) reach every client, as they reach the AWS CLI.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ProfileNotFound

from checker.errors import InputError
from checker.inputs.live.options import LiveOptions

FALLBACK_REGION = "us-east-1"


@dataclass(frozen=True)
class Credentials:
    """Static credentials of one account (the caller's, or an assumed role's)."""

    access_key: str
    secret_key: str
    token: str | None

    @classmethod
    def from_assume_role(cls, response: dict[str, Any]) -> Credentials:
        creds = response["Credentials"]
        return cls(creds["AccessKeyId"], creds["SecretAccessKey"], creds.get("SessionToken"))


class ClientFactory:
    """Builds and caches the clients of a run; safe to share between threads."""

    def __init__(self, options: LiveOptions) -> None:
        self._config = Config(
            retries={"mode": "adaptive", "total_max_attempts": options.max_attempts},
            connect_timeout=options.connect_timeout,
            read_timeout=options.read_timeout,
            max_pool_connections=max(10, options.workers),
            user_agent_extra="trailcheck",
        )
        try:
            self._session = boto3.Session(profile_name=options.profile)
        except ProfileNotFound as exc:
            raise InputError("--profile", str(exc)) from None
        self._lock = threading.Lock()
        self._clients: dict[tuple[str, str, str], Any] = {}
        self.global_region: str = self._session.region_name or FALLBACK_REGION
        self.caller_credentials = _resolve_credentials(self._session, options.profile)

    def client(self, service: str, region: str, credentials: Credentials) -> Any:
        """The shared client of ``service`` in ``region`` acting with ``credentials``."""
        key = (service, region, credentials.access_key)
        found = self._clients.get(key)  # no lock on the hot path: a dict read is atomic
        if found is not None:
            return found
        with self._lock:
            if key not in self._clients:
                self._clients[key] = self._session.client(
                    service, region_name=region, config=self._config,
                    aws_access_key_id=credentials.access_key,
                    aws_secret_access_key=credentials.secret_key,
                    aws_session_token=credentials.token,
                )
            return self._clients[key]


def _resolve_credentials(session: boto3.Session, profile: str | None) -> Credentials:
    where = f"--profile {profile}" if profile else "AWS credentials"
    try:
        found = session.get_credentials()
    except ProfileNotFound as exc:
        raise InputError("--profile", str(exc)) from None
    except BotoCoreError as exc:
        raise InputError(where, f"cannot load credentials: {exc}") from None
    if found is None:
        raise InputError(where, "no credentials found (environment, profile, SSO, "
                                "web identity or instance role)")
    frozen = found.get_frozen_credentials()
    return Credentials(frozen.access_key, frozen.secret_key, frozen.token)
