"""What a live collection is asked to do: the options `collect` and `scan` share.

The command line builds one :class:`LiveOptions`; the collector reads nothing else, so
the same collection runs from the CLI, the tests and the benchmark.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from checker.errors import InputError
from checker.model import DataFamily

DEFAULT_ROLE_NAME = "OrganizationAccountAccessRole"
DEFAULT_WORKERS = 16
_SHARD = re.compile(r"^([0-9]{1,6})/([0-9]{1,6})$")


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` of ``count`` (``--shard I/N``, 1-based): the accounts whose stable hash
    falls here. The hash is the first 8 bytes of the SHA-256 of the account id, so every
    machine, Python version and run splits an organization the same way (Python's ``hash()``
    of a string changes from process to process)."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        match = _SHARD.match(text.strip())
        if match is None:
            raise InputError("--shard", f"expected I/N (e.g. 2/8), got {text!r}")
        index, count = int(match.group(1)), int(match.group(2))
        if count < 1 or not 1 <= index <= count:
            raise InputError("--shard", f"I must be between 1 and N (N at least 1), got {text!r}")
        return cls(index, count)

    def holds(self, account_id: str) -> bool:
        return shard_of(account_id, self.count) == self.index

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def shard_of(account_id: str, count: int) -> int:
    """The 1-based shard of ``account_id`` among ``count``: ``hash(account_id) mod count + 1``."""
    digest = hashlib.sha256(account_id.encode("ascii")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


@dataclass(frozen=True)
class LiveOptions:
    """Live collection options.

    ``regions`` ``None`` means the account's enabled regions (EC2 DescribeRegions);
    ``accounts`` ``None`` means every ACTIVE account of the organization (with ``org``)
    or the caller's own account. ``shard`` keeps, of those, the accounts of one shard
    (the caller's own account included only when it falls in that shard). ``processes``
    above 1 collects that many shards side by side in forked processes, ``workers``
    threads in all (:mod:`checker.inputs.live.processes`). ``max_attempts``
    and the timeouts go to botocore's adaptive retry mode: a call that still fails after
    them becomes a recorded error. ``with_families`` (``--with``) are data families to
    collect whatever the rules need: ``monitoring`` then reads every monitoring chain, not
    only those the rules can use.
    """

    profile: str | None = None
    regions: tuple[str, ...] | None = None
    org: bool = False
    accounts: tuple[str, ...] | None = None
    shard: Shard | None = None
    role_name: str = DEFAULT_ROLE_NAME
    external_id: str | None = None
    workers: int = DEFAULT_WORKERS
    processes: int = 1
    quiet: bool = False
    max_attempts: int = 8
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    with_families: tuple[DataFamily, ...] = ()
