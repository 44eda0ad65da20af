"""What code defines, API-shaped, -> the estate model, through the snapshot parser.

A Terraform plan and a CloudFormation template both say, per resource, the settings AWS
will hold once they are deployed. Each language module turns its resources into the
shapes the AWS APIs return (a DescribeTrails item with its status and selectors, a
DescribeMetricFilters item, ...): a :class:`CodeEstate`. This module writes that into a
``trailcheck.snapshot/v1`` document and parses it with the snapshot loader, so selectors
from code and selectors from AWS go through one parser, one schema and one set of limits.

What code leaves open stays open: a value known only after apply is left out of the
document (its field is unknown, and the reason is kept for the findings); a trail whose
reach code cannot say (``IsMultiRegionTrail`` unknown, a condition undecided) is not
listed, and its account gets an error that may hide a trail, so that coverage it could
have added is never counted and coverage it could not take away still stands.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from checker.code_origin import ChangeAction, CodeKind, CodeOrigin, Declaration, TrailChange, store_id
from checker.errors import InputError
from checker.findings import Location
from checker.inputs.iac.storage import StorageItem
from checker.inputs.iac.values import Unknown, first_unknown, partition_of, trail_arn
from checker.inputs.snapshot import parse_snapshot
from checker.model import Snapshot, Trail

RegionPart = Literal["metric_filters", "alarms", "topics", "event_rules", "event_data_stores"]
MONITORING_PARTS: tuple[RegionPart, ...] = ("metric_filters", "alarms", "topics", "event_rules")

DEFAULT_SELECTORS = [{"ReadWriteType": "All", "IncludeManagementEvents": True, "DataResources": [],
                      "ExcludeManagementEventSources": []}]
"""What a trail created without event selectors records (all management events, read and write)."""

# Trail settings whose absence in code means the API's default.
_DEFAULTS: dict[str, Any] = {"IsMultiRegionTrail": False, "IsOrganizationTrail": False,
                             "IncludeGlobalServiceEvents": True, "LogFileValidationEnabled": False}
# Settings that decide which accounts and Regions a trail reaches: unknown, the trail is undecided.
_REACH = ("IsMultiRegionTrail", "IsOrganizationTrail", "IncludeGlobalServiceEvents")
_OPTIONAL = ("LogFileValidationEnabled", "KmsKeyId", "S3BucketName", "S3KeyPrefix", "SnsTopicName",
             "SnsTopicARN", "CloudWatchLogsLogGroupArn", "CloudWatchLogsRoleArn")


@dataclass
class TrailSpec:
    """One trail as code defines it. ``settings`` holds API field names (``IsLogging`` for
    the status, ``EventSelectors``/``AdvancedEventSelectors``/``InsightSelectors`` as lists),
    each value known or :class:`Unknown`; an absent setting takes the API's default."""

    resource: str
    location: Location | None
    account: str
    region: str
    settings: dict[str, Any]


@dataclass
class RegionItem:
    """A monitoring resource or event data store, as its API lists it, in its account and Region;
    ``location`` is where it is written (event data stores' findings point there)."""

    resource: str
    account: str
    region: str
    part: RegionPart
    document: dict[str, Any]
    location: Location | None = None


@dataclass
class CodeEstate:
    """Everything one side of a change defines, per account: the Regions in scope, trails,
    monitoring resources, event data stores, KMS keys and log groups, and what could not be decided."""

    regions: dict[str, list[str]] = field(default_factory=dict)
    trails: list[TrailSpec] = field(default_factory=list)
    items: list[RegionItem] = field(default_factory=list)
    storage: list[StorageItem] = field(default_factory=list)
    undecided: list[tuple[str, str, str]] = field(default_factory=list)  # (account, resource, why)

    def defines(self, part: RegionPart) -> bool:
        return any(item.part == part for item in self.items)


TrailKey = tuple[str, str]
"""A trail resource in one deployment: (address or logical id, home Region). A template
deployed to several Regions defines one trail per Region under one logical id."""


def add_subscription(estate: CodeEstate, resource: str, account: str, region: str, topic: Any,
                     subscription: dict[str, Any]) -> None:
    """A subscription declared on its own joins its topic's ``Subscriptions``; a topic the
    code does not define gets an entry of its own (the subscription is all code says of it)."""
    owner = next((i for i in estate.items if i.part == "topics" and isinstance(topic, str)
                  and i.document.get("TopicArn") == topic), None)
    if owner is None:
        owner = RegionItem(resource, account, region, "topics", {"TopicArn": topic, "Subscriptions": []})
        estate.items.append(owner)
    owner.document["Subscriptions"].append(subscription)


@dataclass(frozen=True)
class ReadEstate:
    """A :class:`CodeEstate` parsed: the snapshot, each trail resource's ARN and declaration, and
    the declaration of each bucket, key, log group and event data store (by
    :func:`~checker.code_origin.storage_id` and :func:`~checker.code_origin.store_id`)."""

    snapshot: Snapshot
    arns: dict[TrailKey, str]
    declarations: dict[TrailKey, Declaration]
    storage: dict[str, Declaration] = field(default_factory=dict)

    def trail(self, key: TrailKey) -> Trail | None:
        arn = self.arns.get(key)
        return next((t for t in self.snapshot.all_trails() if t.arn == arn), None) if arn else None


def read_estate(estate: CodeEstate, source: str) -> ReadEstate:
    """Parse ``estate`` with the snapshot loader; a problem names the resource it comes from."""
    document, names, arns, declarations = _document(estate)
    try:
        snapshot = parse_snapshot(document, source)
    except InputError as error:
        what = _renamed(error.what, names).removeprefix("invalid snapshot: ")
        raise InputError(_renamed(error.where, names), what) from None
    storage = {item.key: item.known()[1] for item in estate.storage}
    storage.update((store_id(str(item.document["EventDataStoreArn"])), Declaration(item.resource, item.location))
                   for item in estate.items if item.part == "event_data_stores")
    return ReadEstate(snapshot, arns, declarations, storage)


def code_snapshot(after: ReadEstate, before: ReadEstate | None, kind: CodeKind, sha256: str,
                  placeholder_account: str | None, defines_monitoring: bool,
                  actions: Mapping[str, ChangeAction] | None = None) -> Snapshot:
    """The snapshot of ``after`` carrying its :class:`CodeOrigin`; ``before`` (the trails
    before the change) gives each trail resource its :class:`TrailChange`, whose action is
    the one ``actions`` states (a plan's own word) or else what the two sides show."""
    changes = None
    if before is not None:
        changes = tuple(_change(key, before, after, (actions or {}).get(key[0]))
                        for key in sorted({*before.arns, *after.arns}))
    origin = CodeOrigin(kind, {after.arns[key]: d for key, d in after.declarations.items()}, changes,
                        placeholder_account, defines_monitoring, after.storage)
    return dataclasses.replace(after.snapshot, sha256=sha256, code=origin)


def _change(key: TrailKey, before: ReadEstate, after: ReadEstate, stated: ChangeAction | None) -> TrailChange:
    old, new = before.trail(key), after.trail(key)
    declared = after.declarations.get(key) or before.declarations.get(key)
    location = declared.location if declared else None
    resource = key[0]
    if stated is not None:
        return TrailChange(resource, stated, old, new, location)
    if old is None:
        return TrailChange(resource, "create", None, new, location)
    if new is None:
        return TrailChange(resource, "delete", old, None, location)
    if old.arn != new.arn:
        return TrailChange(resource, "replace", old, new, location)
    same = old.document == new.document
    return TrailChange(resource, "no-op" if same else "update", old, new, location)


def _document(estate: CodeEstate) -> tuple[dict[str, Any], dict[str, str], dict[TrailKey, str],
                                           dict[TrailKey, Declaration]]:
    """The snapshot document, the resource behind each of its JSON paths, and per trail
    resource its ARN and declaration."""
    accounts = sorted({*estate.regions, *(t.account for t in estate.trails), *(i.account for i in estate.items),
                       *(s.account for s in estate.storage), *(u[0] for u in estate.undecided)})
    all_regions = sorted({r for regions in estate.regions.values() for r in regions}
                         | {t.region for t in estate.trails})
    names: dict[str, str] = {}
    arns: dict[TrailKey, str] = {}
    declarations: dict[TrailKey, Declaration] = {}
    documents = []
    for index, account in enumerate(accounts):
        where = f"$.accounts[{index}]"
        trails: list[dict[str, Any]] = []
        errors = [{"region": None, "operation": "ReadCode", "code": "Undecided", "message": f"{resource}: {why}"}
                  for owner, resource, why in estate.undecided if owner == account]
        for spec in (t for t in estate.trails if t.account == account):
            built = _trail_document(spec)
            if isinstance(built, Unknown):
                errors.append({"region": None, "operation": "ReadCode", "code": "Undecided",
                               "message": f"{spec.resource}: {built.reason}"})
                continue
            trail, unknown = built
            names[f"{where}.trails[{len(trails)}]"] = spec.resource
            arns[(spec.resource, spec.region)] = trail["TrailARN"]
            declarations[(spec.resource, spec.region)] = Declaration(spec.resource, spec.location, unknown)
            trails.append(trail)
        item: dict[str, Any] = {"account_id": account,
                                "regions": estate.regions.get(account) or all_regions,
                                "trails": trails, "errors": errors}
        monitoring = _region_parts(estate, account, MONITORING_PARTS, f"{where}.monitoring", names)
        if monitoring is not None:
            item["monitoring"] = monitoring
        stores = _region_parts(estate, account, ("event_data_stores",), f"{where}.event_data_stores", names)
        if stores is not None:
            item["event_data_stores"] = {region: parts["event_data_stores"] for region, parts in stores.items()
                                         if "event_data_stores" in parts}
        if estate.storage:
            item.update(_storage_parts(estate, account, where, names))
        documents.append(item)
    contents = ["trails"]
    if any(estate.defines(part) for part in MONITORING_PARTS):
        contents.append("monitoring")
    if estate.defines("event_data_stores"):
        contents.append("event-data-stores")
    if estate.storage:
        contents.append("storage")
    document = {"format": "trailcheck.snapshot/v1", "partition": partition_of(all_regions[0]) if all_regions else "aws",
                "accounts": documents, "contents": contents}
    return document, names, arns, declarations


def _region_parts(estate: CodeEstate, account: str, parts: tuple[RegionPart, ...], where: str,
                  names: dict[str, str]) -> dict[str, dict[str, Any]] | None:
    """Per Region of the account, each part as a list (empty: none in this code); a part with
    an unknown item is left out (unknown). ``None`` when the code defines none of ``parts``."""
    if not any(estate.defines(part) for part in parts):
        return None
    regions = sorted({*(estate.regions.get(account) or ()), *(i.region for i in estate.items if i.account == account)})
    result: dict[str, dict[str, Any]] = {}
    for region in regions:
        lists: dict[str, Any] = {}
        for part in parts:
            mine = [i for i in estate.items if i.account == account and i.region == region and i.part == part]
            if any(first_unknown(i.document) is not None for i in mine):
                continue
            for position, i in enumerate(mine):
                names[f"{where}.{region}.{part}[{position}]"] = i.resource
            lists[part] = [i.document for i in mine]
        result[region] = lists
    return result


def _storage_parts(estate: CodeEstate, account: str, where: str, names: dict[str, str]) -> dict[str, Any]:
    """The account's ``buckets`` (name -> Get* answers), ``account_public_access_block``,
    ``kms_keys`` (identifier -> DescribeKey fields) and ``log_groups`` (Region -> DescribeLogGroups
    items) the code defines, without their unknown values (an account block with one is left out)."""
    parts: dict[str, Any] = {"buckets": {}, "kms_keys": {}}
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in (s for s in estate.storage if s.account == account):
        document = item.known()[0]
        if item.part == "log_groups":
            listed = groups.setdefault(item.region, [])
            names[f"{where}.log_groups['{item.region}'][{len(listed)}]"] = item.resource
            listed.append(document)
        elif item.part == "account_public_access_block":
            if document == item.document:
                names[f"{where}.account_public_access_block"] = item.resource
                parts["account_public_access_block"] = document
        else:
            names[f"{where}.{item.part}['{item.name}']"] = item.resource
            parts[item.part][item.name] = document
    return {**parts, "log_groups": {region: groups[region] for region in sorted(groups)}}


def _trail_document(spec: TrailSpec) -> tuple[dict[str, Any], dict[str, str]] | Unknown:
    """The DescribeTrails item with status and selectors, and the fields left unknown (with
    why); an :class:`Unknown` when the trail's reach is undecided."""
    settings = spec.settings
    unknown: dict[str, str] = {}
    for key in _REACH:
        if isinstance(settings.get(key), Unknown):
            return Unknown(f"{key} is undecided ({settings[key].reason}): the trail may reach Regions or "
                           "accounts this scan cannot tell")
    name = settings.get("Name")
    if isinstance(name, Unknown) or not name:
        unknown["Name"] = name.reason if isinstance(name, Unknown) else "the trail's name is not set"
        name = spec.resource
    document: dict[str, Any] = {"Name": name, "TrailARN": trail_arn(spec.region, spec.account, str(name)),
                                "HomeRegion": spec.region}
    for key, default in _DEFAULTS.items():
        value = settings.get(key)
        document[key] = default if value is None else value
    for key in _OPTIONAL:
        value = settings.get(key)
        if isinstance(value, Unknown):
            unknown[key] = value.reason
            document.pop(key, None)
        elif value not in (None, ""):
            document[key] = value
    logging = settings.get("IsLogging", True)
    if isinstance(logging, Unknown):
        unknown["Status"] = unknown["IsLogging"] = logging.reason
    else:
        document["Status"] = {"IsLogging": logging}
    selectors = _selectors(settings)
    if isinstance(selectors, Unknown):
        unknown["EventSelectors"] = unknown["AdvancedEventSelectors"] = selectors.reason
    else:
        document.update(selectors)
    insights = settings.get("InsightSelectors")
    blocked = first_unknown(insights)
    if blocked is not None:
        unknown["InsightSelectors"] = unknown["InsightType"] = blocked.reason
    else:
        document["InsightSelectors"] = insights or []
    return document, unknown


def _selectors(settings: Mapping[str, Any]) -> dict[str, Any] | Unknown:
    """``AdvancedEventSelectors`` or ``EventSelectors`` (the default when code sets neither)."""
    advanced, basic = settings.get("AdvancedEventSelectors"), settings.get("EventSelectors")
    blocked = first_unknown([advanced, basic])
    if blocked is not None:
        return blocked
    if advanced:
        return {"AdvancedEventSelectors": advanced}
    return {"EventSelectors": basic or DEFAULT_SELECTORS}


_PATH = re.compile(r"\$\.accounts\[\d+\]\."
                   r"(?:trails\[\d+\]|(?:monitoring|event_data_stores)\.[^.\s\[]+\.[a-z_]+\[\d+\]"
                   r"|(?:kms_keys|buckets)\['[^']+'\]|log_groups\['[^']+'\]\[\d+\]|account_public_access_block)")


def _renamed(text: str, names: Mapping[str, str]) -> str:
    """JSON paths of the generated document replaced by the resources they come from."""
    return _PATH.sub(lambda match: names.get(match.group(0), match.group(0)), text)
