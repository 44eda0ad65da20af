"""AWS failures turned into the snapshot's ``errors`` entries.

A live scan of an organization always meets some failure: a member without the audit
role, an SCP denying a region, throttling past the retries, a timeout. None of them may
abort the scan or pass silently: each becomes ``{region, operation, code, message,
trail_arn?, resource?}`` in the account it concerns, and the engine turns the gap into ``error``
findings for exactly the rules that needed the missing data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError

T = TypeVar("T")

MESSAGE_LIMIT = 500


@dataclass(frozen=True)
class Failure:
    """Why one AWS call failed: the AWS error code (or botocore's error class) and message."""

    code: str
    message: str

    def entry(self, region: str | None, operation: str, trail_arn: str | None = None,
              resource: str | None = None) -> dict[str, Any]:
        """The snapshot ``errors`` item for this failure (``resource``: the log group, topic,
        bus or rule a monitoring read was about)."""
        item: dict[str, Any] = {"region": region, "operation": operation,
                                "code": self.code, "message": self.message}
        if trail_arn:
            item["trail_arn"] = trail_arn
        if resource:
            item["resource"] = resource
        return item


def failure_of(exc: ClientError | BotoCoreError) -> Failure:
    """Code and one-line message of a botocore exception."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code") or "ClientError")
        message = str(error.get("Message") or exc)
    else:
        code = type(exc).__name__
        message = str(exc)
    return Failure(code, " ".join(message.split())[:MESSAGE_LIMIT])


def attempt(call: Callable[[], T]) -> T | Failure:
    """Run one AWS call (retries are botocore's); its failure becomes a value, not a raise."""
    try:
        return call()
    except (ClientError, BotoCoreError) as exc:
        return failure_of(exc)
