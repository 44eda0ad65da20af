"""boto3 clients for many threads, accounts and regions.

A boto3 Session is not thread-safe; a low-level client is (boto3's documented rule). So
every worker thread gets a Session of its own, and builds clients only through it. The
clients themselves are shared: one client, one connection pool and one adaptive rate
limiter per (service, account, region), which is also the scope at which AWS throttles.
Which thread builds a client does not matter, only that it is built once: a client
costs ~3-7 ms of CPU (botocore copies its whole event-handler tree into each), and
per-thread clients would build up to ``--workers`` times as many.

A Session on its own is expensive too: its first client parses the service model, the
endpoint rules and the partition data, ~100 ms of CPU. The per-thread Sessions therefore
share the first Session's data loader, which caches that parsed, read-only data; a new
Session then costs ~10 ms. The caller's credentials are resolved and frozen once, so a
profile that prompts for MFA or runs a credential process does it once.

The endpoint comes from botocore itself, so ``AWS_ENDPOINT_URL`` (and the per-service
``AWS_ENDPOINT_URL_<SERVICE>``) reach every client, as they reach the AWS CLI.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.session
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
        self._profile = options.profile
        try:
            first, core = _new_session(options.profile)
        except ProfileNotFound as exc:
            raise InputError("--profile", str(exc)) from None
        self._loader = core.get_component("data_loader")
        self._local = threading.local()
        self._local.session = first
        self._clients: dict[tuple[str, str, str], Any] = {}
        self.global_region: str = first.region_name or FALLBACK_REGION
        self.caller_credentials = _resolve_credentials(first, options.profile)

    def client(self, service: str, region: str, credentials: Credentials) -> Any:
        """The shared client of ``service`` in ``region`` acting with ``credentials``."""
        key = (service, region, credentials.access_key)
        found = self._clients.get(key)
        if found is not None:
            return found
        built = self.session().client(
            service, region_name=region, config=self._config,
            aws_access_key_id=credentials.access_key,
            aws_secret_access_key=credentials.secret_key,
            aws_session_token=credentials.token,
        )
        # Two threads may race to build the same client; setdefault is atomic, so both
        # use the one that landed first and the other is dropped unused.
        return self._clients.setdefault(key, built)

    def session(self) -> boto3.Session:
        """The calling thread's own Session, made on its first call."""
        session: boto3.Session | None = getattr(self._local, "session", None)
        if session is None:
            session, core = _new_session(self._profile)
            # After boto3.Session(), which appends its data path to the loader it finds:
            # the shared loader has that path already, from the first Session.
            core.register_component("data_loader", self._loader)
            self._local.session = session
        return session


def _new_session(profile: str | None) -> tuple[boto3.Session, botocore.session.Session]:
    """A boto3 Session of ``profile`` and the botocore session under it."""
    core = botocore.session.Session(profile=profile)
    return boto3.Session(botocore_session=core), core


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
