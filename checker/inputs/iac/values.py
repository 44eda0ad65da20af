"""Values read from code that may not be known yet, and the stand-ins code decides.

A Terraform plan leaves some values unknown until apply (``after_unknown``); a
CloudFormation template leaves unknown what the deployment decides (a parameter without
a default, an attribute of a resource that does not exist yet). Such a value is an
:class:`Unknown` carrying the reason, never a guess.

Some values are unknown as text but decided by the code as *which resource* they name:
``alarm_actions = [aws_sns_topic.alerts.arn]``, ``!GetAtt Key.Arn``. Those become a
stand-in identifier built from the resource's kind, name, Region and account
(:func:`stand_in_arn`), the same one the named resource gets, so that a trail, its log
group, a metric filter, an alarm and a topic link up as they will once deployed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checker.findings import Location


@dataclass(frozen=True)
class Unknown:
    """A value code does not decide; ``reason`` says why (shown in findings)."""

    reason: str


def first_unknown(value: Any) -> Unknown | None:
    """The first :class:`Unknown` anywhere inside ``value`` (lists and mappings), if any."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, Unknown):
            return item
        if isinstance(item, Mapping):
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, (list, tuple)):
            stack.extend(reversed(item))
    return None


def partition_of(region: str) -> str:
    """The partition a Region belongs to (``cn-north-1`` -> ``aws-cn``)."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def stand_in_arn(service: str, region: str, account: str, resource: str) -> str:
    """The ARN a resource will have, from what the code says of it."""
    return f"arn:{partition_of(region)}:{service}:{region}:{account}:{resource}"


def trail_arn(region: str, account: str, name: str) -> str:
    return stand_in_arn("cloudtrail", region, account, f"trail/{name}")


def key_stand_in(region: str, account: str, resource: str) -> str:
    """A KMS key ARN standing for the key ``resource`` (an address or logical id) will create."""
    return stand_in_arn("kms", region, account, f"key/{resource}")


def log_group_arn(region: str, account: str, name: str) -> str:
    """A log group ARN as a trail's ``CloudWatchLogsLogGroupArn`` carries it (ending ``:*``)."""
    return stand_in_arn("logs", region, account, f"log-group:{name}:*")


def topic_arn(region: str, account: str, name: str) -> str:
    return stand_in_arn("sns", region, account, name)


def shown_path(path: Path) -> str:
    """A file as findings name it: relative to the working directory (the repository root in
    CI) when it lies under it, else absolute. Code scanning resolves relative paths against
    the repository, so a scan should run from there."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()


def location(path: Path, line: int) -> Location:
    return Location(shown_path(path), line)


def strings(value: Any) -> list[str] | Unknown | None:
    """A list of strings as code gives it (``None`` for absent); anything else is left to the schema."""
    if value is None or isinstance(value, Unknown):
        return value
    if isinstance(value, Sequence) and not isinstance(value, str):
        unknown = first_unknown(value)
        if unknown is not None:
            return unknown
        return [str(item) if isinstance(item, (int, float)) and not isinstance(item, bool) else item
                for item in value]
    return [value]
