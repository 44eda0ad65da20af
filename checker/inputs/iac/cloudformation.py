"""``--cloudformation TEMPLATE``: a CloudFormation template (YAML, JSON, ``cdk synth``) -> the estate model.

A template has no Region of its own: it is deployed once per Region ``--regions`` names,
each deployment resolving the template with its own ``AWS::Region`` (:mod:`cfn_resolve`).
Per deployment, each ``AWS::CloudTrail::Trail`` becomes a trail, each
``AWS::Logs::MetricFilter``, ``AWS::CloudWatch::Alarm``, ``AWS::SNS::Topic`` (with
``AWS::SNS::Subscription``\\ s) and ``AWS::Events::Rule`` a monitoring resource, each
``AWS::CloudTrail::EventDataStore`` an event data store, each ``AWS::S3::Bucket`` (with its
``AWS::S3::BucketPolicy``), ``AWS::KMS::Key`` (with the ``AWS::KMS::Alias`` resources that
target it) and ``AWS::Logs::LogGroup`` storage data (:mod:`checker.inputs.iac.storage`), in the
shapes their AWS APIs return. A resource whose ``Condition`` is false does not exist; one whose
condition is undecided is not counted, and its account gets an error that keeps "not recorded"
verdicts from becoming failures (:mod:`checker.inputs.iac.estate`). The account is a placeholder
(:data:`~checker.code_origin.PLACEHOLDER_ACCOUNT`): a template does not say it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checker.code_origin import PLACEHOLDER_ACCOUNT, Declaration
from checker.errors import InputError
from checker.findings import Location
from checker.inputs.iac.cfn_buckets import POLICY_STATUS, bucket_document, policy_text
from checker.inputs.iac.cfn_load import LoadedTemplate, load_template
from checker.inputs.iac.cfn_resolve import Deployment, Resolver
from checker.inputs.iac.estate import (
    CodeEstate,
    RegionItem,
    TrailSpec,
    add_subscription,
    code_snapshot,
    read_estate,
)
from checker.inputs.iac.storage import StorageItem, aliased_key, bucket, default_retention, kms_key, log_group
from checker.inputs.iac.values import Unknown, key_stand_in, location, stand_in_arn, topic_arn
from checker.model import Snapshot

_TRAIL = "AWS::CloudTrail::Trail"
_KMS_KEY = "AWS::KMS::Key"
_KMS_ALIAS = "AWS::KMS::Alias"
_LOG_GROUP = "AWS::Logs::LogGroup"
_BUCKET = "AWS::S3::Bucket"
_BUCKET_POLICY = "AWS::S3::BucketPolicy"
_KINDS = frozenset({_TRAIL, "AWS::CloudTrail::EventDataStore", "AWS::Logs::MetricFilter", "AWS::CloudWatch::Alarm",
                    "AWS::SNS::Topic", "AWS::SNS::Subscription", "AWS::Events::Rule", _KMS_KEY, _KMS_ALIAS, _LOG_GROUP,
                    _BUCKET, _BUCKET_POLICY})
_MONITORING = frozenset({"AWS::Logs::MetricFilter", "AWS::CloudWatch::Alarm", "AWS::SNS::Topic",
                         "AWS::SNS::Subscription", "AWS::Events::Rule"})


@dataclass(frozen=True)
class CloudFormationSource:
    """``--cloudformation``: a :class:`~checker.inputs.interface.SnapshotSource`.

    ``regions`` (``--regions``, required) are the Regions the template is deployed to;
    ``baseline`` an earlier version of the template whose trails are the "before" of
    ``coverage-regression``.
    """

    template: Path
    regions: tuple[str, ...]
    baseline: Path | None = None

    def describe(self) -> str:
        return str(self.template)

    def load(self) -> Snapshot:
        if not self.regions:
            raise InputError("--regions", "a CloudFormation template is deployed to the Regions you name: "
                                          "give --regions with --cloudformation")
        loaded = load_template(self.template)
        after_estate = _estate(loaded, str(self.template), self.template, self.regions)
        after = read_estate(after_estate, str(self.template))
        before = None
        if self.baseline is not None:
            base = load_template(self.baseline)
            before = read_estate(_estate(base, str(self.baseline), None, self.regions), str(self.baseline))
        monitoring = any(item.part != "event_data_stores" for item in after_estate.items)
        return code_snapshot(after, before, "cloudformation", hashlib.sha256(loaded.raw).hexdigest(),
                             PLACEHOLDER_ACCOUNT, monitoring)


def _estate(loaded: LoadedTemplate, source: str, path: Path | None, regions: Sequence[str]) -> CodeEstate:
    """Every deployment of the template, one per Region; ``path`` gives trails their lines."""
    estate = CodeEstate(regions={PLACEHOLDER_ACCOUNT: list(regions)})
    resources = loaded.data["Resources"]
    for region in regions:
        resolver = Resolver(loaded.data, Deployment(region, PLACEHOLDER_ACCOUNT), source)
        subscriptions = []
        buckets: dict[str, StorageItem] = {}
        policies: list[tuple[_Properties, Location | None, bool | Unknown]] = []
        aliases: list[tuple[_Properties, Location | None, bool | Unknown]] = []
        for logical_id in resources:
            line = loaded.resource_lines.get(logical_id)
            resource = resources[logical_id]
            if not isinstance(resource, Mapping) or not isinstance(resource.get("Type"), str):
                raise InputError(f"{source}:{line}" if line else source, f"Resources.{logical_id}: a resource "
                                                                         "needs a Type")
            kind = resource["Type"]
            if kind not in _KINDS:
                continue
            exists = resolver.exists(logical_id, line)
            if exists is False:
                continue
            where = f"Resources.{logical_id}.Properties"
            properties = resolver.value(resource.get("Properties") or {}, where, line)
            if not isinstance(properties, Mapping):
                raise InputError(f"{source}:{line}" if line else source, f"{where}: expected a mapping")
            read = _Properties(properties, logical_id, resolver, line)
            if kind == _TRAIL:
                if isinstance(exists, Unknown):
                    estate.undecided.append((PLACEHOLDER_ACCOUNT, logical_id,
                                             f"whether it is created is undecided ({exists.reason})"))
                    continue
                spec_location = location(path, line) if path is not None and line else None
                estate.trails.append(TrailSpec(logical_id, spec_location, PLACEHOLDER_ACCOUNT, region,
                                               _trail_settings(read, source, line)))
            elif kind == "AWS::SNS::Subscription":
                subscriptions.append((logical_id, read, exists))
            elif kind in (_KMS_KEY, _LOG_GROUP):
                where_written = location(path, line) if path is not None and line else None
                estate.storage.append(_storage_item(kind, read, region, where_written, exists))
            elif kind == _BUCKET:
                name = read.get("BucketName")
                if isinstance(name, str) and name:  # a generated name: no trail here can name it
                    where_written = location(path, line) if path is not None and line else None
                    buckets[name] = _bucket(read, name, region, where_written, exists)
            elif kind == _BUCKET_POLICY:
                policies.append((read, location(path, line) if path is not None and line else None, exists))
            elif kind == _KMS_ALIAS:
                aliases.append((read, location(path, line) if path is not None and line else None, exists))
            else:
                item = _item(kind, read, region)
                item.location = location(path, line) if path is not None and line else None
                if isinstance(exists, Unknown):
                    item.document["Created"] = exists  # undecided: the part it belongs to stays unknown
                estate.items.append(item)
        _add_policies(buckets, policies)
        estate.storage.extend(buckets.values())
        estate.storage.extend(_aliased_keys(aliases, region, estate.storage))
        for logical_id, read, exists in subscriptions:
            topic = read.get("TopicArn")
            subscription = {"SubscriptionArn": f"{topic}:{logical_id}" if isinstance(topic, str) else topic,
                            "Protocol": read.get("Protocol"), "Endpoint": read.get("Endpoint")}
            if isinstance(exists, Unknown):
                subscription["Created"] = exists
            add_subscription(estate, logical_id, PLACEHOLDER_ACCOUNT, region, topic, subscription)
    return estate


class _Properties:
    """A resource's resolved properties, with the conversions CloudFormation makes (text
    ``"true"`` is a boolean, ``"300"`` a number)."""

    def __init__(self, properties: Mapping[str, Any], logical_id: str, resolver: Resolver, line: int | None) -> None:
        self.properties = properties
        self.logical_id = logical_id
        self.resolver = resolver
        self.line = line

    def get(self, name: str) -> Any:
        return self.properties.get(name)

    def name(self, prop: str) -> str:
        value = self.properties.get(prop)
        return value if isinstance(value, str) and value else self.logical_id

    def flag(self, name: str) -> Any:
        return _bool(self.properties.get(name))

    def boolean(self, name: str) -> bool | Unknown | None:
        """A property that must be true or false (``"true"`` as text too); anything else is bad input."""
        value = self.flag(name)
        if value is None or isinstance(value, (bool, Unknown)):
            return value
        raise self.resolver.fail(self.line, f"Resources.{self.logical_id}.Properties.{name}",
                                 f"expected true or false, got {json.dumps(value)[:60]}")

    def days(self, name: str) -> int | Unknown | None:
        """A whole number of days (``"30"`` as text too); anything else is bad input."""
        value = self.number(name, int)
        if value is None or isinstance(value, Unknown) or (isinstance(value, int) and not isinstance(value, bool)
                                                           and value >= 1):
            return value
        raise self.resolver.fail(self.line, f"Resources.{self.logical_id}.Properties.{name}",
                                 f"expected a whole number of days, got {json.dumps(value)[:60]}")

    def number(self, name: str, kind: type[int] | type[float]) -> Any:
        value = self.properties.get(name)
        if isinstance(value, str):
            try:
                return kind(value)
            except ValueError:
                return value
        return value


def _bool(value: Any) -> Any:
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _trail_settings(read: _Properties, source: str, line: int | None) -> dict[str, Any]:
    if read.get("IsLogging") is None:
        raise InputError(f"{source}:{line}" if line else source,
                         f"Resources.{read.logical_id}.Properties.IsLogging is required")
    settings: dict[str, Any] = {
        "Name": read.get("TrailName") if read.get("TrailName") is not None else
        Unknown("the trail's name is generated at deployment (no TrailName)"),
        "IsLogging": read.flag("IsLogging"),
        "IsMultiRegionTrail": read.flag("IsMultiRegionTrail"),
        "IsOrganizationTrail": read.flag("IsOrganizationTrail"),
        "IncludeGlobalServiceEvents": read.flag("IncludeGlobalServiceEvents"),
        "LogFileValidationEnabled": read.flag("EnableLogFileValidation"),
        "KmsKeyId": read.get("KMSKeyId"),
        "S3BucketName": read.get("S3BucketName"),
        "S3KeyPrefix": read.get("S3KeyPrefix"),
        "SnsTopicName": read.get("SnsTopicName"),
        "CloudWatchLogsLogGroupArn": read.get("CloudWatchLogsLogGroupArn"),
        "CloudWatchLogsRoleArn": read.get("CloudWatchLogsRoleArn"),
        "EventSelectors": _basic_selectors(read.get("EventSelectors")),
        "AdvancedEventSelectors": read.get("AdvancedEventSelectors"),
        "InsightSelectors": read.get("InsightSelectors"),
    }
    return {key: value for key, value in settings.items() if value is not None}


def _basic_selectors(selectors: Any) -> Any:
    """``EventSelectors`` with ``IncludeManagementEvents`` given as text read as a boolean."""
    if not isinstance(selectors, list):
        return selectors
    return [{**item, "IncludeManagementEvents": _bool(item["IncludeManagementEvents"])}
            if isinstance(item, Mapping) and "IncludeManagementEvents" in item else item for item in selectors]


def _item(kind: str, read: _Properties, region: str) -> RegionItem:
    """A monitoring resource or event data store as its API lists it."""
    account, logical_id = PLACEHOLDER_ACCOUNT, read.logical_id
    if kind == "AWS::Logs::MetricFilter":
        transformations = read.get("MetricTransformations")
        return RegionItem(logical_id, account, region, "metric_filters", {
            "filterName": read.name("FilterName"), "logGroupName": read.get("LogGroupName"),
            "filterPattern": read.get("FilterPattern") or "",
            "metricTransformations": [_transformation(t) for t in transformations]
            if isinstance(transformations, list) else transformations})
    if kind == "AWS::CloudWatch::Alarm":
        name = read.name("AlarmName")
        alarm: dict[str, Any] = {
            "AlarmName": name, "AlarmArn": stand_in_arn("cloudwatch", region, account, f"alarm:{name}"),
            "EvaluationPeriods": read.number("EvaluationPeriods", int),
            "ComparisonOperator": read.get("ComparisonOperator"),
            "ActionsEnabled": _default(read.flag("ActionsEnabled"), True),
            "AlarmActions": read.get("AlarmActions") or [], "Dimensions": read.get("Dimensions") or [],
            "TreatMissingData": read.get("TreatMissingData") or "missing", "Metrics": read.get("Metrics") or []}
        for prop in ("Namespace", "MetricName", "Statistic", "ExtendedStatistic", "Unit"):
            if read.get(prop) is not None:
                alarm[prop] = read.get(prop)
        for prop, number in (("Period", int), ("DatapointsToAlarm", int), ("Threshold", float)):
            if read.get(prop) is not None:
                alarm[prop] = read.number(prop, number)
        return RegionItem(logical_id, account, region, "alarms", alarm)
    if kind == "AWS::SNS::Topic":
        arn = topic_arn(region, account, read.name("TopicName"))
        inline = read.get("Subscription")
        key = read.get("KmsMasterKeyId")
        return RegionItem(logical_id, account, region, "topics", {
            "TopicArn": arn, "Attributes": {"KmsMasterKeyId": key} if key else {},
            "Subscriptions": [{"SubscriptionArn": f"{arn}:{logical_id}-{i}", "Protocol": s.get("Protocol"),
                               "Endpoint": s.get("Endpoint")} if isinstance(s, Mapping) else s
                              for i, s in enumerate(inline)] if isinstance(inline, list) else inline or []})
    if kind == "AWS::Events::Rule":
        return RegionItem(logical_id, account, region, "event_rules", _event_rule(read, region))
    return RegionItem(logical_id, account, region, "event_data_stores", _event_data_store(read, region))


def _storage_item(kind: str, read: _Properties, region: str, where: Location | None,
                  exists: bool | Unknown) -> StorageItem:
    """A KMS key (listed under the ARN ``!GetAtt Key.Arn`` stands for) or a log group; a resource
    whose condition is undecided has every setting unknown."""
    account, logical_id = PLACEHOLDER_ACCOUNT, read.logical_id
    undecided = Unknown(f"whether it is created is undecided ({exists.reason})") if isinstance(exists, Unknown) \
        else None
    if kind == _KMS_KEY:
        spec = read.get("KeySpec")
        return kms_key(logical_id, where, account, region, key_stand_in(region, account, logical_id),
                       undecided or read.boolean("Enabled"), undecided or read.boolean("EnableKeyRotation"),
                       spec if isinstance(spec, (str, Unknown)) else None)
    key = read.get("KmsKeyId")
    return log_group(logical_id, where, account, region, read.name("LogGroupName"),
                     undecided or read.days("RetentionInDays"), key if isinstance(key, str) else None)


def _aliased_keys(aliases: Sequence[tuple[_Properties, Location | None, bool | Unknown]], region: str,
                  keys: Sequence[StorageItem]) -> list[StorageItem]:
    """Each ``AWS::KMS::Alias`` with a known ``AliasName`` as the key its ``TargetKeyId`` names
    (:func:`~checker.inputs.iac.storage.aliased_key`); an alias whose condition is undecided names
    no key yet."""
    items = []
    for read, where, exists in aliases:
        alias = read.get("AliasName")
        if not isinstance(alias, str) or not alias:
            continue
        target = Unknown(f"whether alias {alias} is created is undecided ({exists.reason})") \
            if isinstance(exists, Unknown) else read.get("TargetKeyId")
        items.append(aliased_key(read.logical_id, where, PLACEHOLDER_ACCOUNT, region, alias, target, keys,
                                 "this template"))
    return items


def _bucket(read: _Properties, name: str, region: str, where: Location | None, exists: bool | Unknown) -> StorageItem:
    """A bucket of the template; one whose condition is undecided has every answer unknown."""
    document = bucket_document(read.properties, name)
    if isinstance(exists, Unknown):
        document = dict.fromkeys(document, Unknown(f"whether it is created is undecided ({exists.reason})"))
    return bucket(read.logical_id, where, PLACEHOLDER_ACCOUNT, region, name, document)


def _add_policies(buckets: Mapping[str, StorageItem],
                  policies: Sequence[tuple[_Properties, Location | None, bool | Unknown]]) -> None:
    """Each ``AWS::S3::BucketPolicy`` into the bucket it names (it writes the bucket's ``Policy``);
    one naming a bucket the deployment decides leaves every bucket's policy unknown."""
    for read, where, exists in policies:
        named = read.get("Bucket")
        text = exists if isinstance(exists, Unknown) else policy_text(read.get("PolicyDocument"))
        targets = [buckets[named]] if isinstance(named, str) and named in buckets else (
            list(buckets.values()) if isinstance(named, Unknown) else [])
        for item in targets:
            if isinstance(named, Unknown):
                text = Unknown(f"{read.logical_id} names a bucket the deployment decides ({named.reason})")
            item.document.update(Policy=text, PolicyStatus=POLICY_STATUS)
            item.written_by.update(dict.fromkeys(("Policy", "PolicyStatus"), Declaration(read.logical_id, where)))


def _transformation(item: Any) -> Any:
    if not isinstance(item, Mapping):
        return item
    shaped: dict[str, Any] = {"metricName": item.get("MetricName"), "metricNamespace": item.get("MetricNamespace"),
                              "metricValue": item.get("MetricValue")}
    default = item.get("DefaultValue")
    if default is not None:
        shaped["defaultValue"] = float(default) if isinstance(default, (int, float, str)) else default
    dimensions = item.get("Dimensions")
    if isinstance(dimensions, list):
        shaped["dimensions"] = {d.get("Key"): d.get("Value") for d in dimensions if isinstance(d, Mapping)}
    if item.get("Unit") is not None:
        shaped["unit"] = item.get("Unit")
    return shaped


def _event_rule(read: _Properties, region: str) -> dict[str, Any]:
    name = read.name("Name")
    bus = read.get("EventBusName") or "default"
    if isinstance(bus, str) and bus.startswith("arn:"):
        bus = bus.rsplit("/", 1)[-1]
    pattern = read.get("EventPattern")
    resource = f"rule/{name}" if bus == "default" else f"rule/{bus}/{name}"
    rule: dict[str, Any] = {
        "Name": name, "Arn": stand_in_arn("events", region, PLACEHOLDER_ACCOUNT, resource), "EventBusName": bus,
        "State": read.get("State") or "ENABLED",
        "Targets": [{"Id": t.get("Id"), "Arn": t.get("Arn")} if isinstance(t, Mapping) else t
                    for t in read.get("Targets") or []]}
    if pattern is not None:
        rule["EventPattern"] = json.dumps(pattern) if isinstance(pattern, (Mapping, list)) else pattern
    return rule


def _event_data_store(read: _Properties, region: str) -> dict[str, Any]:
    name = read.name("Name")
    store: dict[str, Any] = {
        "EventDataStoreArn": stand_in_arn("cloudtrail", region, PLACEHOLDER_ACCOUNT, f"eventdatastore/{name}"),
        "Name": name, "Status": _store_status(read.boolean("IngestionEnabled")),
        "MultiRegionEnabled": _default(read.flag("MultiRegionEnabled"), True),
        "OrganizationEnabled": _default(read.flag("OrganizationEnabled"), False),
        "RetentionPeriod": _default(read.number("RetentionPeriod", int), default_retention(read.get("BillingMode"))),
        "TerminationProtectionEnabled": _default(read.flag("TerminationProtectionEnabled"), True),
        "AdvancedEventSelectors": read.get("AdvancedEventSelectors") or []}
    if read.get("KmsKeyId") is not None:
        store["KmsKeyId"] = read.get("KmsKeyId")
    return store


def _store_status(ingesting: bool | Unknown | None) -> str | Unknown:
    """A store ingests once created (``IngestionEnabled`` defaults to true); false: ``STOPPED_INGESTION``."""
    if isinstance(ingesting, Unknown):
        return ingesting
    return "STOPPED_INGESTION" if ingesting is False else "ENABLED"


def _default(value: Any, default: Any) -> Any:
    return default if value is None else value
