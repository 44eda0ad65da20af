"""Waivers: accepted risks, written down with a reason, an owner and an end date.

A waiver turns a failing finding into ``waived`` so that a known, accepted gap stops
blocking the gate while it stays visible in every report. Three rules keep waivers honest:

* every waiver names a reason, an owner and an expiry date; an expired waiver is ignored
  (the finding fails again) and reported, so that its owner renews it or fixes the gap;
* only ``fail`` findings can be waived. An ``error`` means trailcheck could not collect or
  evaluate the data: waiving it would hide that nobody knows the answer;
* unused waivers are reported, so that waivers for fixed problems get cleaned up.

The file is YAML read with a safe loader, validated against
``checker/schemas/waivers.schema.json``; every problem names the file and line.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from checker import limits
from checker.errors import InputError
from checker.findings import Finding
from checker.schemas.validation import schema_violation
from checker.userfiles import read_regular_file
from checker.yamlnodes import compose_and_construct, line_at

WAIVABLE_STATUS = "fail"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


@dataclass(frozen=True)
class Waiver:
    """One accepted risk. ``None`` in ``account_id``/``region``/``resource`` matches any value.

    ``expires`` is the last day the waiver applies; ``source`` is ``file:line`` for messages.
    """

    rule_id: str
    reason: str
    owner: str
    expires: date
    source: str
    account_id: str | None = None
    region: str | None = None
    resource: str | None = None

    def matches(self, finding: Finding) -> bool:
        """Same rule, and every field the waiver gives equals the finding's."""
        pinned = ((self.account_id, finding.account_id), (self.region, finding.region),
                  (self.resource, finding.resource))
        return finding.rule_id == self.rule_id and all(want is None or want == got for want, got in pinned)

    def is_expired(self, today: date) -> bool:
        """A waiver still applies on its ``expires`` day and stops the day after."""
        return today > self.expires

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "account_id": self.account_id,
            "region": self.region,
            "resource": self.resource,
            "reason": self.reason,
            "owner": self.owner,
            "expires": self.expires.isoformat(),
            "source": self.source,
        }


@dataclass(frozen=True)
class WaiverFile:
    """The waivers of one file, in file order (the first matching waiver wins)."""

    path: str
    waivers: tuple[Waiver, ...]


@dataclass(frozen=True)
class WaiverUse:
    """A waiver and the fingerprints of the ``fail`` findings it covers (or would, if expired)."""

    waiver: Waiver
    fingerprints: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {**self.waiver.to_dict(), "fingerprints": list(self.fingerprints)}


@dataclass(frozen=True)
class WaiverSection:
    """The ``waivers`` section of a report: what each waiver of the file did in this run."""

    path: str
    applied: tuple[WaiverUse, ...]
    expired: tuple[WaiverUse, ...]
    unused: tuple[Waiver, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "applied": [use.to_dict() for use in self.applied],
            "expired": [use.to_dict() for use in self.expired],
            "unused": [waiver.to_dict() for waiver in self.unused],
        }

    def notices(self) -> list[str]:
        """One line per expired waiver, for stderr: the finding it covered fails again."""
        return [
            f"{use.waiver.source}: waiver for {use.waiver.rule_id} (owner {use.waiver.owner}) expired on "
            f"{use.waiver.expires.isoformat()}; ignored ({len(use.fingerprints)} failing finding(s) not waived)"
            for use in self.expired
        ]


def apply_waivers(findings: Sequence[Finding], waivers: WaiverFile,
                  today: date) -> tuple[list[Finding], WaiverSection]:
    """Waive each ``fail`` finding matched by a waiver still valid on ``today``.

    Returns the findings in the same order, waived ones replaced by copies with status
    ``waived`` and the waiver under ``evidence["waiver"]``, and the report section. When
    several valid waivers match a finding, the first in the file wins.
    """
    active = [w for w in waivers.waivers if not w.is_expired(today)]
    waived_by: list[list[str]] = [[] for _ in active]  # fingerprints, by position in ``active``
    result: list[Finding] = []
    for finding in findings:
        index = next((i for i, w in enumerate(active) if w.matches(finding)), None)
        if finding.status != WAIVABLE_STATUS or index is None:
            result.append(finding)
            continue
        waived_by[index].append(finding.fingerprint)
        result.append(dataclasses.replace(
            finding, status="waived", evidence={**finding.evidence, "waiver": active[index].to_dict()}))
    expired = tuple(
        WaiverUse(w, tuple(f.fingerprint for f in findings if f.status == WAIVABLE_STATUS and w.matches(f)))
        for w in waivers.waivers if w.is_expired(today)
    )
    return result, WaiverSection(
        path=waivers.path,
        applied=tuple(WaiverUse(w, tuple(fps)) for w, fps in zip(active, waived_by, strict=True) if fps),
        expired=expired,
        unused=tuple(w for w, fps in zip(active, waived_by, strict=True) if not fps),
    )


class _WaiverLoader(yaml.SafeLoader):
    """A safe loader that keeps dates as text, so ``expires`` is checked as ``YYYY-MM-DD``."""


_WaiverLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != _TIMESTAMP_TAG]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_waivers(path: str | Path) -> WaiverFile:
    """Read and validate a waiver file; any problem is an :class:`InputError` naming file and line."""
    name = str(path)
    try:
        text = read_regular_file(path, "waiver file", limits.YAML_BYTES).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(name, f"not UTF-8 text at byte {exc.start}") from None
    root, data = _parse(name, text)
    violation = schema_violation("waivers", data)
    if violation is not None:
        raise InputError(f"{name}:{line_at(root, violation.path)}", str(violation))
    return WaiverFile(path=name, waivers=tuple(
        _waiver(f"{name}:{line_at(root, ['waivers', i])}", item) for i, item in enumerate(data["waivers"])))


def _parse(name: str, text: str) -> tuple[yaml.Node, Any]:
    """The YAML document as data, plus its node tree (which knows the line of everything)."""
    try:
        root, data = compose_and_construct(text, _WaiverLoader)
    except yaml.MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark is not None else 1
        raise InputError(f"{name}:{line}", f"invalid YAML: {exc.problem}") from exc
    except yaml.YAMLError as exc:
        raise InputError(name, f"invalid YAML: {exc}") from exc
    if root is None:
        raise InputError(name, "the file is empty; expected a top-level 'waivers:' list")
    return root, data


def _waiver(source: str, item: dict[str, Any]) -> Waiver:
    """A schema-valid item (defined at ``source``) as a Waiver, after the checks a schema cannot express."""
    for key in ("reason", "owner"):
        if not item[key].strip():
            raise InputError(source, f"{key}: must not be blank")
    try:
        expires = date.fromisoformat(item["expires"])
    except ValueError as exc:
        raise InputError(source, f"expires: {item['expires']!r} is not a calendar date ({exc})") from exc
    return Waiver(rule_id=item["rule_id"], reason=item["reason"].strip(), owner=item["owner"].strip(),
                  expires=expires, source=source, account_id=item.get("account_id"),
                  region=item.get("region"), resource=item.get("resource"))

