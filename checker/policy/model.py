"""A loaded rule: the policy file's data, validated, with everything in it compiled.

Rules are data (YAML in ``policies/`` or a user's directory), never Python classes; the
engines interpret them. A rule is either a :class:`ConfigRule` (scopes trail, region,
account, organization, event-data-store: judged on the snapshot) or an :class:`EventRule` (scope event:
judged on CloudTrail records). A configuration rule's requirement is one of the
:data:`Requirement` kinds. Both sums are closed: code that takes them dispatches on every
kind, ending with ``assert_never``, so adding a kind is one class here plus one arm in
each dispatch, which mypy points out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from jmespath.parser import ParsedResult

from checker.alerting.filter_pattern import FilterPattern
from checker.findings import Severity
from checker.model import DataFamily
from checker.policy.match import Match

ConfigScope = Literal["trail", "region", "account", "organization", "event-data-store"]
MESSAGE_PLACEHOLDERS = ("account_id", "region", "resource")
"""What a ``messages`` template may name: the finding's identity."""
ProbeValue = str | bool
Probe = dict[str, ProbeValue]


@dataclass(frozen=True)
class Expr:
    """A compiled JMESPath expression and its source text (shown in evidence)."""

    source: str
    compiled: ParsedResult = field(compare=False, repr=False)


@dataclass(frozen=True)
class When:
    """``when``: the unit is ``skipped`` with ``skip_reason`` unless ``expr`` holds."""

    expr: Expr
    skip_reason: str


# -- requirements of configuration rules --------------------------------------------------

@dataclass(frozen=True)
class ExprRequirement:
    """``require.expr``: a condition on the unit's document."""

    expr: Expr


@dataclass(frozen=True)
class LoggedRequirement:
    """``require.logged``: probe events the union of the unit's logging trails must record."""

    probes: tuple[Probe, ...]


@dataclass(frozen=True)
class TrailQuantifier:
    """What one trail must satisfy: ``where`` and ``expr`` on it, ``logged`` by it alone."""

    where: Expr | None = None
    logged: tuple[Probe, ...] = ()
    expr: Expr | None = None


@dataclass(frozen=True)
class AnyTrail(TrailQuantifier):
    """``require.any_trail``: some logging trail reaching the unit qualifies."""


@dataclass(frozen=True)
class AllTrails(TrailQuantifier):
    """``require.all_trails``: every logging trail reaching the unit qualifies."""


@dataclass(frozen=True)
class AlertedRequirement:
    """``require.alerted``: the events ``pattern`` describes (a CloudWatch Logs filter pattern,
    strict-parsed at load) must be recorded, as the ``recorded`` probes say, and raise an alert
    through a monitoring chain (docs/semantics.md, "Monitoring chains"). ``recorded_pattern`` is
    the probes as a filter pattern: the reference is compared on the records they describe.
    The alert paths that count and the trail's reach are the rule's ``via`` and ``multi_region``
    parameters."""

    pattern: FilterPattern
    recorded: tuple[Probe, ...]
    recorded_pattern: FilterPattern

    @property
    def pattern_text(self) -> str:
        return self.pattern.text


@dataclass(frozen=True)
class CoverageKept:
    """``require.coverage_kept``: a change to a trail in code must not stop recording an
    event that the coverage rules in effect (``require.logged``) need and the trails recorded
    before the change (scope trail; judged only on code, see docs/iac.md)."""


StorageCheck = Literal[
    "bucket-not-public", "bucket-access-logging", "bucket-delete-protection", "bucket-policy-scoped",
    "retention", "key-usable", "key-rotation", "store-healthy", "store-cmk",
]
"""The exact checks of where the logs live (docs/semantics.md, "Where the logs live")."""

STORE_CHECKS: frozenset[StorageCheck] = frozenset({"store-healthy", "store-cmk"})
"""The checks judged per CloudTrail Lake event data store (scope ``event-data-store``); the
others are judged per trail, where its bucket, key or log group is."""

MIN_DAYS_CHECKS: frozenset[StorageCheck] = frozenset({"retention", "store-healthy"})
"""The checks that read the ``min_days`` parameter (how long logs must be kept)."""


@dataclass(frozen=True)
class StorageRequirement:
    """``require.storage``: one exact check of where a trail's logs live (its bucket, KMS key,
    log group) or of an event data store. The check reads the snapshot's ``storage`` family, or
    ``event-data-stores`` for the store checks; a snapshot without it gives ``skipped``."""

    check: StorageCheck

    @property
    def family(self) -> DataFamily:
        return "event-data-stores" if self.check in STORE_CHECKS else "storage"

    @property
    def scope(self) -> ConfigScope:
        """The one scope the check is judged in."""
        return "event-data-store" if self.check in STORE_CHECKS else "trail"


Requirement = (ExprRequirement | LoggedRequirement | AnyTrail | AllTrails | AlertedRequirement | CoverageKept
               | StorageRequirement)


# -- rules ----------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class RuleMeta:
    """What every rule has, whatever it judges. ``source`` is ``file:line`` of its definition."""

    id: str
    title: str
    severity: Severity
    source: str
    description: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    messages: dict[str, str] = field(default_factory=dict)
    remediation: str = ""
    frameworks: dict[str, list[str]] = field(default_factory=dict)
    references: tuple[str, ...] = ()

    def message(self, status: str, account_id: str | None, region: str | None, resource: str | None) -> str | None:
        """The rule's ``messages`` template for ``status`` filled in (a part the finding
        lacks reads ``-``), or ``None`` when the rule has none. The loader has tried every
        template, so filling one in cannot fail."""
        template = self.messages.get(status)
        if template is None:
            return None
        return template.format(account_id=account_id or "-", region=region or "-", resource=resource or "-")


@dataclass(frozen=True, kw_only=True)
class ConfigRule(RuleMeta):
    """A rule judged once per unit of its scope in the snapshot (``require``, ``when``)."""

    scope: ConfigScope
    require: Requirement
    when: When | None = None


@dataclass(frozen=True, kw_only=True)
class EventRule(RuleMeta):
    """A rule judged over CloudTrail records: ``match`` and ``expr`` pick records,
    ``logged`` keeps those the snapshot's trails would (not) record, ``group_by`` splits
    the matches into findings."""

    scope: ClassVar[Literal["event"]] = "event"
    match: Match = field(default_factory=Match)
    expr: Expr | None = None
    logged: bool | None = None
    group_by: tuple[str, ...] = ()


Rule = ConfigRule | EventRule
