"""What a live collection is asked to do: the options `collect` and `scan` share.

The command line builds one :class:`LiveOptions`; the collector reads nothing else, so
the same collection runs from the CLI, the tests and the benchmark.
"""

from __future__ import annotations

from dataclasses import dataclass

from checker.model import DataFamily

DEFAULT_ROLE_NAME = "OrganizationAccountAccessRole"
DEFAULT_WORKERS = 16


@dataclass(frozen=True)
class LiveOptions:
    """Live collection options.

    ``regions`` ``None`` means the account's enabled regions (EC2 DescribeRegions);
    ``accounts`` ``None`` means every ACTIVE account of the organization (with ``org``)
    or the caller's own account. ``max_attempts`` and the timeouts go to botocore's
    adaptive retry mode: a call that still fails after them becomes a recorded error.
    ``with_families`` (``--with``) are data families to collect whatever the rules need:
    ``monitoring`` then reads every monitoring chain, not only those the rules can use.
    """

    profile: str | None = None
    regions: tuple[str, ...] | None = None
    org: bool = False
    accounts: tuple[str, ...] | None = None
    role_name: str = DEFAULT_ROLE_NAME
    external_id: str | None = None
    workers: int = DEFAULT_WORKERS
    quiet: bool = False
    max_attempts: int = 8
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    with_families: tuple[DataFamily, ...] = ()
