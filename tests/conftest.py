"""Fixtures every test module may use. Plain helpers live in ``tests/helpers``.

The moto server is real HTTP on 127.0.0.1 with a random port, started once per session:
stopping one takes about half a second (its HTTP server polls for shutdown), and moto keeps
its backends in this process, so emptying them (``POST /moto-api/reset``) gives each test a
server as good as new.
"""

from __future__ import annotations

import os
import socket
import urllib.request
from collections.abc import Iterator

import pytest

# No test may reach for instance metadata (169.254.169.254) when boto3 finds no credentials.
os.environ["AWS_EC2_METADATA_DISABLED"] = "true"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    """The session's moto server; its URL. Tests take ``moto_server``, which also empties it."""
    from moto.server import ThreadedMotoServer  # imported here: moto is slow to import

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def moto_server(moto_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The moto server emptied of everything earlier tests made, with boto3 pointed at it.

    Credentials are fake and AWS_ENDPOINT_URL routes every boto3 client to the server, the
    way a user reaches a private endpoint; monkeypatch restores the environment after the test.
    """
    request = urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        response.read()
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    return moto_endpoint
