"""The estate as trailcheck sees it: accounts, regions, trails and what could not be read.

Built from a snapshot file or by the live collectors; the engine and the simulator read
only this model. ``None`` always means *unknown* (the data was not collected), never a
default: rules that need an unknown value produce ``error`` findings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

from checker.monitoring_model import OPERATION_PARTS, RegionMonitoring
from checker.storage_model import STORAGE_OPERATIONS

if TYPE_CHECKING:
    from checker.code_origin import CodeOrigin
    from checker.storage_model import AccountStorage

SelectorKind = Literal["basic", "advanced"]

RecorderKind = Literal["trail", "event-data-store"]
"""What records events: a trail, or a CloudTrail Lake event data store seen as a recorder
(:mod:`checker.recorders`); trail rules never see the second kind."""

DataFamily = Literal["trails", "monitoring", "storage", "event-data-stores"]
"""A kind of data a snapshot may carry; rules that need a family the snapshot lacks are skipped."""


@dataclass(frozen=True)
class DataResource:
    """A basic selector's data-event clause: ``Type`` and its ARN ``Values``."""

    type: str
    values: tuple[str, ...]


@dataclass(frozen=True)
class BasicSelector:
    """One ``EventSelectors`` item, with the AWS defaults filled in where a field is absent."""

    read_write_type: str = "All"
    include_management_events: bool = True
    data_resources: tuple[DataResource, ...] = ()
    exclude_management_event_sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class FieldSelector:
    """One condition of an advanced selector; each operator list is OR-ed internally."""

    field: str
    equals: tuple[str, ...] = ()
    starts_with: tuple[str, ...] = ()
    ends_with: tuple[str, ...] = ()
    not_equals: tuple[str, ...] = ()
    not_starts_with: tuple[str, ...] = ()
    not_ends_with: tuple[str, ...] = ()


@dataclass(frozen=True)
class AdvancedSelector:
    """One ``AdvancedEventSelectors`` item. ``name`` is free text with no semantics."""

    name: str | None
    field_selectors: tuple[FieldSelector, ...]


@dataclass(frozen=True)
class Selectors:
    """What GetEventSelectors returned: either basic or advanced selectors, never both."""

    kind: SelectorKind
    basic: tuple[BasicSelector, ...] = ()
    advanced: tuple[AdvancedSelector, ...] = ()


@dataclass(frozen=True)
class TrailStatus:
    """The part of GetTrailStatus the engine and the simulator read; rules read the rest
    (delivery times and errors) from the trail's ``document``. For an event data store,
    ``state`` is its ``Status`` (``ENABLED``, ``STOPPED_INGESTION``...): it records only while
    ``ENABLED``."""

    is_logging: bool
    state: str | None = None


@dataclass(frozen=True)
class Trail:
    """A trail (DescribeTrails item) with its status, selectors and Insights selectors.

    ``document`` is the trail object as given (timestamps normalised to ISO 8601), the
    input of JMESPath ``expr`` conditions. ``status``, ``selectors`` and
    ``insight_types`` are ``None`` when they were not collected. ``kind`` is
    ``event-data-store`` for the view of an event data store as a recorder, which is never
    among an account's trails.
    """

    arn: str
    home_region: str
    owner_account_id: str
    partition: str
    is_multi_region: bool
    is_organization_trail: bool
    include_global_service_events: bool
    status: TrailStatus | None
    selectors: Selectors | None
    insight_types: tuple[str, ...] | None
    document: dict[str, Any] = field(compare=False, hash=False, repr=False)
    kind: RecorderKind = "trail"


@dataclass(frozen=True)
class CollectionError:
    """Something that could not be collected. ``region`` ``None`` means account-wide;
    ``resource`` names the one resource concerned (a topic, a rule, a bucket), if any."""

    region: str | None
    operation: str
    code: str
    message: str
    trail_arn: str | None = None
    resource: str | None = None

    @property
    def hides_trails(self) -> bool:
        """An error not tied to one known trail (DescribeTrails, AssumeRole…) may hide trails;
        a failure to read monitoring or storage data hides none."""
        return (self.trail_arn is None and self.operation not in OPERATION_PARTS
                and self.operation not in STORAGE_OPERATIONS)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"region": self.region, "operation": self.operation,
                                "code": self.code, "message": self.message}
        if self.trail_arn:
            data["trail_arn"] = self.trail_arn
        if self.resource:
            data["resource"] = self.resource
        return data


@dataclass(frozen=True)
class Account:
    """One account: its regions in scope, the trails it owns, collection errors, the
    monitoring data of the Regions where it was collected, and the storage data read in it
    (``None``: none was read, every datum unknown)."""

    account_id: str
    name: str | None
    regions: tuple[str, ...]
    trails: tuple[Trail, ...]
    errors: tuple[CollectionError, ...] = ()
    monitoring: tuple[RegionMonitoring, ...] = ()
    storage: AccountStorage | None = None
    collected_at: datetime | None = None
    """When this account was read, when it differs from the snapshot's (a merge of shards)."""

    def monitoring_in(self, region: str) -> RegionMonitoring | None:
        """The monitoring data of ``region``; ``None`` when it was not collected (unknown)."""
        return next((m for m in self.monitoring if m.region == region), None)

    def errors_in(self, region: str | None) -> tuple[CollectionError, ...]:
        """Errors that may hide trails reaching ``region``: its own and account-wide ones.

        DescribeTrails in a region lists every trail that applies there (multi-region and
        organization trails included), so another region's failure hides nothing here.
        With ``region=None`` every trail-hiding error of the account counts.
        """
        if not self.errors:
            return ()
        return tuple(e for e in self.errors if e.hides_trails and (region is None or e.region in (None, region)))

    def hidden_trail_regions(self) -> set[str | None]:
        """Where trails may be missing: ``None`` (anywhere) if an error is account-wide or
        every region failed, else the home regions of single-region trails that may be hidden."""
        failed = {e.region for e in self.errors if e.hides_trails}
        if None in failed or (self.regions and failed >= set(self.regions)):
            return {None}
        return failed


@dataclass(frozen=True)
class Organization:
    id: str
    management_account_id: str | None


@dataclass(frozen=True)
class Snapshot:
    """The whole estate at ``collected_at``, read from ``source`` (a document whose SHA-256 is
    ``sha256``; ``None`` for one built in memory). ``contents`` lists the data families it carries
    (always ``trails``); within a family it does not carry, every datum is unknown. ``code`` is
    set when the estate was read from a Terraform plan or a CloudFormation template."""

    collected_at: datetime | None
    partition: str
    organization: Organization | None
    accounts: tuple[Account, ...]
    source: str = "<memory>"
    sha256: str | None = field(default=None, compare=False)
    contents: frozenset[DataFamily] = frozenset({"trails"})
    ignored_trail_copies: int = 0  # entries of a trail under a non-owner account, not counted as trails
    code: CodeOrigin | None = field(default=None, compare=False)  # read from a plan or template

    def carries(self, family: DataFamily) -> bool:
        return family == "trails" or family in self.contents

    def collected_at_of(self, account_id: str | None) -> datetime | None:
        """When the data of ``account_id`` was read: its own time in a merge of shards, else the
        snapshot's. Ages (``hours_since``) count back from it."""
        account = self.account(account_id) if account_id is not None else None
        return account.collected_at if account is not None and account.collected_at else self.collected_at

    def account(self, account_id: str) -> Account | None:
        return self._accounts_by_id.get(account_id)

    def all_trails(self) -> list[Trail]:
        """Every trail once, deduplicated by ARN, in ARN order."""
        return list(self._unique_trails)

    def trails_reaching(self, account_id: str) -> list[Trail]:
        """Trails that can record events of ``account_id``: its own trails, and the
        organization trails of the snapshot's organization when the account belongs to it.

        Region reach and logging status are the simulator's business, not this filter's.
        """
        reaching = self._reaching.get(account_id)
        if reaching is None:
            in_org = self.organization is not None and self.account(account_id) is not None
            own = self._trails_by_owner.get(account_id, ())
            found = {t.arn: t for t in (*own, *(self._organization_trails if in_org else ()))}
            reaching = self._reaching[account_id] = tuple(found[arn] for arn in sorted(found))
        return list(reaching)

    # Indexes built on first use (the snapshot is immutable): a scan asks these questions
    # once per account, Region and rule, and organizations have thousands of accounts.

    @cached_property
    def _accounts_by_id(self) -> dict[str, Account]:
        found: dict[str, Account] = {}
        for account in self.accounts:
            found.setdefault(account.account_id, account)
        return found

    @cached_property
    def _unique_trails(self) -> tuple[Trail, ...]:
        unique: dict[str, Trail] = {}
        for account in self.accounts:
            for trail in account.trails:
                unique.setdefault(trail.arn, trail)
        return tuple(unique[arn] for arn in sorted(unique))

    @cached_property
    def _trails_by_owner(self) -> dict[str, tuple[Trail, ...]]:
        owned: dict[str, list[Trail]] = {}
        for trail in self._unique_trails:
            owned.setdefault(trail.owner_account_id, []).append(trail)
        return {owner: tuple(trails) for owner, trails in owned.items()}

    @cached_property
    def _organization_trails(self) -> tuple[Trail, ...]:
        return tuple(t for t in self._unique_trails if t.is_organization_trail)

    @cached_property
    def _reaching(self) -> dict[str, tuple[Trail, ...]]:
        return {}
