"""boto3 clients for many threads, accounts and regions: the one place trailcheck makes them.

The live collector and the ``s3://`` and ``lookup`` event readers all get their clients
here. A boto3 Session is not thread-safe; a low-level client is (boto3's documented rule).
So every thread gets a Session of its own, and builds clients only through it. The clients
themselves are shared: one client, one connection pool and one adaptive rate limiter per
(service, region, credentials), which is also the scope at which AWS throttles. Which
thread builds a client does not matter, only that it is built once: a client costs
~3-7 ms of CPU (botocore copies its whole event-handler tree into each), and per-thread
clients would build up to ``--workers`` times as many.

A Session on its own is expensive too: its first client parses the service model, the
endpoint rules and the partition data, ~100 ms of CPU. The per-thread Sessions therefore
share the first Session's data loader, which caches that parsed, read-only data; a new
Session then costs ~10 ms. Nothing is made before it is needed, so a scan of local files
never touches the credential chain. The caller's credentials are resolved and frozen
once, so a profile that prompts for MFA or runs a credential process does it once.

The endpoint comes from botocore itself, so ``AWS_ENDPOINT_URL`` (and the per-service
``AWS_ENDPOINT_URL_<SERVICE>``) reach every client, as they reach the AWS CLI. One exception
is mended here: S3 Control's endpoint rules put the account id in front of the host
(``123456789012.s3-control.us-east-1.amazonaws.com``), and do so in front of a configured
endpoint too (``123456789012.localhost:4566``), a host that does not resolve. botocore's
``inject_host_prefix=False`` does not help, since the endpoint rules, not the host-prefix
trait, add it; so an S3 Control client with a configured endpoint sends to that endpoint's host.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from checker.errors import InputError

if TYPE_CHECKING:  # boto3 is imported when the first client is made: offline runs never load it
    import boto3
    import botocore.session
    from botocore.config import Config

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


@dataclass(frozen=True)
class ClientSettings:
    """How clients retry and wait: botocore's adaptive retry mode, then a recorded failure."""

    profile: str | None = None
    max_attempts: int = 8
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    pool_size: int = 10

    def config(self) -> Config:
        from botocore.config import Config

        return Config(
            retries={"mode": "adaptive", "total_max_attempts": self.max_attempts},
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            max_pool_connections=self.pool_size,
            user_agent_extra="trailcheck",
        )


class ClientFactory:
    """Builds and caches the clients of a run; safe to share between threads.

    ``on_request`` is called before every HTTP request its clients send (retries included):
    the live collection's progress counts calls with it, whoever makes them.

    A pickled copy (an event reader sent to a worker process) keeps the settings and
    starts with no Session, no client and no ``on_request``: those never cross a process boundary.
    """

    def __init__(self, settings: ClientSettings | None = None,
                 on_request: Callable[[], None] | None = None) -> None:
        self.settings = settings or ClientSettings()
        self.on_request = on_request
        self._start()

    def _start(self) -> None:
        self._config: Config | None = None
        self._lock = threading.Lock()
        self._caller_lock = threading.Lock()
        self._local = threading.local()
        self._loader: Any = None
        self._clients: dict[tuple[str, str | None, str | None], Any] = {}
        self._caller: Credentials | None = None

    def client(self, service: str, region: str | None, credentials: Credentials | None = None) -> Any:
        """The shared client of ``service`` in ``region``, acting with ``credentials`` or,
        without them, with whatever the default credential chain finds when it calls."""
        key = (service, region, credentials.access_key if credentials else None)
        found = self._clients.get(key)
        if found is not None:
            return found
        keys: dict[str, Any] = {}
        if credentials is not None:
            keys = {"aws_access_key_id": credentials.access_key, "aws_secret_access_key": credentials.secret_key,
                    "aws_session_token": credentials.token}
        if self._config is None:
            self._config = self.settings.config()
        built = self.session().client(service, region_name=region, config=self._config, **keys)
        if self.on_request is not None:
            built.meta.events.register("before-send", _RequestCounter(self.on_request))
        if service == "s3control" and self._local.configured_endpoint(service):
            built.meta.events.register("before-sign.s3-control", _AccountHostPrefixDropper(built.meta.endpoint_url))
        # Two threads may race to build the same client; setdefault is atomic, so both
        # use the one that landed first and the other is dropped unused.
        return self._clients.setdefault(key, built)

    def session(self) -> boto3.Session:
        """The calling thread's own Session, made on its first call."""
        session: boto3.Session | None = getattr(self._local, "session", None)
        if session is None:
            session, core = _new_session(self.settings.profile)
            with self._lock:
                if self._loader is None:
                    self._loader = core.get_component("data_loader")
                else:
                    # After boto3.Session(), which appends its data path to the loader it
                    # finds: the shared loader has that path already, from the first Session.
                    core.register_component("data_loader", self._loader)
            self._local.session = session
            self._local.configured_endpoint = _configured_endpoint_finder(core)
        return session

    @property
    def configured_region(self) -> str | None:
        """The region the credential chain configures (``AWS_REGION``, the profile), if any."""
        region: str | None = self.session().region_name
        return region

    @property
    def global_region(self) -> str:
        """Where account-wide calls (STS, Organizations, DescribeRegions) go."""
        return self.configured_region or FALLBACK_REGION

    @property
    def caller_credentials(self) -> Credentials:
        """The caller's credentials, resolved once; an :class:`InputError` when there are none."""
        with self._caller_lock:
            if self._caller is None:
                self._caller = _resolve_credentials(self.session(), self.settings.profile)
            return self._caller

    def __getstate__(self) -> dict[str, Any]:
        return {"settings": self.settings}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.settings = state["settings"]
        self.on_request = None
        self._start()


class _RequestCounter:
    """A ``before-send`` handler that reports each request and lets it go (it returns nothing,
    since a response returned here would be used instead of sending)."""

    def __init__(self, report: Callable[[], None]) -> None:
        self.report = report

    def __call__(self, **_: Any) -> None:
        self.report()


def _new_session(profile: str | None) -> tuple[boto3.Session, botocore.session.Session]:
    """A boto3 Session of ``profile`` and the botocore session under it; an unknown profile
    is the user's to fix (exit 2), not a crash."""
    import boto3
    import botocore.session
    from botocore.exceptions import ProfileNotFound

    try:
        core = botocore.session.Session(profile=profile)
        return boto3.Session(botocore_session=core), core
    except ProfileNotFound as exc:
        raise InputError("--profile", str(exc)) from None


def _configured_endpoint_finder(core: botocore.session.Session) -> Any:
    """``service -> URL | None``: the endpoint configured for a service (``AWS_ENDPOINT_URL``,
    ``AWS_ENDPOINT_URL_<SERVICE>``, the profile's ``endpoint_url``), as botocore finds it."""
    from botocore.configprovider import ConfiguredEndpointProvider

    def find(service: str) -> str | None:
        provider = ConfiguredEndpointProvider(full_config=core.full_config, scoped_config=core.get_scoped_config(),
                                              client_name=service)
        found: str | None = provider.provide()
        return found
    return find


ACCOUNT_ID_LABEL = re.compile(r"^[0-9]{12}$")


class _AccountHostPrefixDropper:
    """A ``before-sign`` handler: a request to ``ACCOUNT.HOST`` goes to ``HOST`` when ``HOST`` is
    the configured endpoint's (it is signed afterwards, for the host it goes to)."""

    def __init__(self, endpoint_url: str) -> None:
        self.host = urlsplit(endpoint_url).netloc

    def __call__(self, request: Any, **_: Any) -> None:
        parts = urlsplit(request.url)
        label, _, rest = parts.netloc.partition(".")
        if rest == self.host and ACCOUNT_ID_LABEL.match(label):
            request.url = urlunsplit(parts._replace(netloc=rest))


def _resolve_credentials(session: boto3.Session, profile: str | None) -> Credentials:
    from botocore.exceptions import BotoCoreError, ProfileNotFound

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
