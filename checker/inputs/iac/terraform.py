"""``--terraform-plan PLAN.json``: a Terraform or OpenTofu plan -> the estate model.

Every ``aws_cloudtrail`` of the plan's planned values (root and child modules) becomes a
trail, every ``aws_cloudwatch_log_metric_filter``, ``aws_cloudwatch_metric_alarm``,
``aws_sns_topic`` (with its ``aws_sns_topic_subscription``\\ s) and
``aws_cloudwatch_event_rule`` (with its ``aws_cloudwatch_event_target``\\ s) a monitoring
resource, every ``aws_cloudtrail_event_data_store`` an event data store, every ``aws_kms_key``
and ``aws_cloudwatch_log_group`` storage data (:mod:`checker.inputs.iac.storage`): each in the
shape its AWS API returns it, then parsed as a snapshot (:mod:`checker.inputs.iac.estate`).
A key the plan deletes is pending deletion once applied; an ``aws_kms_alias`` stands for the
key it targets, as DescribeKey answers for an alias.

Region and account come from the resource's provider configuration (``region``,
``allowed_account_ids``, ``assume_role``), else the account the plan's prior state shows,
else a placeholder (:data:`~checker.code_origin.PLACEHOLDER_ACCOUNT`) the report names.
A value known only after apply is unknown, except where the configuration shows which
resource it names (``kms_key_id = aws_kms_key.trail.arn``): then it is that resource's
stand-in identifier (:mod:`checker.inputs.iac.values`). What the trails were before the
change comes from ``resource_changes[].change.before``, or from a baseline plan.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checker import safejson
from checker.code_origin import PLACEHOLDER_ACCOUNT, ChangeAction, Declaration
from checker.errors import InputError
from checker.inputs.iac.estate import (
    CodeEstate,
    RegionItem,
    TrailSpec,
    add_subscription,
    code_snapshot,
    read_estate,
)
from checker.inputs.iac.storage import (
    StorageItem,
    account_block,
    aliased_key,
    bucket,
    default_retention,
    kms_key,
    log_group,
    new_bucket,
)
from checker.inputs.iac.tf_buckets import ACCOUNT_BLOCK, BUCKET, COMPANIONS, public_access_block
from checker.inputs.iac.tf_files import ModuleFiles, module_directory
from checker.inputs.iac.tf_plan import Address, PlannedResource, TerraformPlan
from checker.inputs.iac.values import (
    Unknown,
    key_stand_in,
    partition_of,
    stand_in_arn,
    strings,
    topic_arn,
    trail_arn,
)
from checker.model import Snapshot

TRAIL = "aws_cloudtrail"
_MAX_HOPS = 32  # references followed through module variables and outputs


@dataclass(frozen=True)
class TerraformPlanSource:
    """``--terraform-plan``: a :class:`~checker.inputs.interface.SnapshotSource`.

    ``terraform_dir`` is the root module's directory (default: the plan's), where the
    ``.tf`` files that give findings their lines are found; ``regions`` (``--regions``)
    are the Regions in scope (default: the providers'); ``baseline`` an earlier plan whose
    trails are the "before" of ``coverage-regression``.
    """

    plan: Path
    terraform_dir: Path | None = None
    regions: tuple[str, ...] = ()
    baseline: Path | None = None

    def describe(self) -> str:
        return str(self.plan)

    def load(self) -> Snapshot:
        data, raw = safejson.load_file(self.plan, "Terraform plan")
        root = self.terraform_dir if self.terraform_dir is not None else self.plan.parent
        files = ModuleFiles()
        reader = _Reader(TerraformPlan(data, str(self.plan), _root_local(files, root)), root, self.regions, files)
        after = read_estate(reader.estate(), str(self.plan))
        if self.baseline is not None:
            base_data, _ = safejson.load_file(self.baseline, "baseline plan")
            base = _Reader(TerraformPlan(base_data, str(self.baseline), _root_local(files, root)), root,
                           self.regions, files)
            before = read_estate(base.estate(), str(self.baseline))
            actions = None
        else:
            before = read_estate(reader.before_estate(), str(self.plan))
            actions = reader.trail_actions()
        return code_snapshot(after, before, "terraform-plan", hashlib.sha256(raw).hexdigest(),
                             reader.placeholder_account, reader.defines_monitoring, actions)


def _root_local(files: ModuleFiles, root: Path) -> Callable[[str], str | None]:
    """The literal text of a root module local (a provider's ``region = local.region``)."""
    def text(name: str) -> str | None:
        local = files.local(root, name)
        return local.literal if local is not None else None
    return text


class _Reader:
    """Reads one plan into a :class:`CodeEstate` (see the module docstring)."""

    def __init__(self, plan: TerraformPlan, root: Path, regions: Sequence[str], files: ModuleFiles) -> None:
        self.plan = plan
        self.root = root
        self.files = files
        seen = plan.accounts_seen()
        self.plan_account = next(iter(seen)) if len(seen) == 1 else None
        self.placeholder_account: str | None = None
        self.regions = list(regions) or sorted(plan.provider_regions())
        self.defines_monitoring = False

    # -- the two sides ------------------------------------------------------------------

    def estate(self) -> CodeEstate:
        """What the plan will hold after apply."""
        estate = CodeEstate()
        resources = [r for r in self.plan.planned if r.address.mode == "managed"]
        for resource in resources:
            if resource.address.type == TRAIL:
                estate.trails.append(self._trail(resource, located=True))
        self._monitoring(estate, resources)
        estate.items.extend(self._stores(resources))
        estate.storage.extend(self._storage(resources))
        estate.storage.extend(self._buckets(resources))
        self.defines_monitoring = any(item.part != "event_data_stores" for item in estate.items)
        self._scope(estate)
        return estate

    def before_estate(self) -> CodeEstate:
        """The trails before the change, from ``change.before`` (known values only)."""
        estate = CodeEstate()
        for resource, _ in self.plan.before():
            if resource.address.type == TRAIL and resource.address.mode == "managed":
                estate.trails.append(self._trail(resource, located=False))
        self._scope(estate)
        return estate

    def trail_actions(self) -> dict[str, ChangeAction]:
        """The plan's own word on each trail: created, updated, replaced, deleted, unchanged."""
        actions: dict[str, ChangeAction] = {}
        for resource, listed in self.plan.before():
            if resource.address.type == TRAIL:
                actions[resource.address.text] = _action(listed)
        for resource in self.plan.planned:
            if resource.address.type == TRAIL:
                actions.setdefault(resource.address.text, _action(self.plan.actions(resource.address.text)))
        return actions

    def _scope(self, estate: CodeEstate) -> None:
        accounts = {t.account for t in estate.trails} | {i.account for i in estate.items}
        if not accounts:
            accounts = {self._account(self.plan.provider("aws").account)}
        for account in accounts:
            estate.regions[account] = sorted(set(self.regions) | {t.region for t in estate.trails
                                                                  if t.account == account and not self.regions})
        if not any(estate.regions.values()):
            raise InputError(self.plan.source, "the plan shows no AWS Region (no provider \"aws\" with a constant "
                                               "region): give the Regions with --regions")

    # -- where -------------------------------------------------------------------------

    def _account(self, configured: str | None) -> str:
        account = configured or self.plan_account
        if account is None:
            self.placeholder_account = account = PLACEHOLDER_ACCOUNT
        return account

    def _place(self, resource: PlannedResource, values: Mapping[str, Any]) -> tuple[str, str]:
        """The resource's account and Region."""
        arn = values.get("arn")
        account = None
        if isinstance(arn, str) and arn.count(":") >= 5 and arn.split(":")[4].isdigit():
            account = arn.split(":")[4]
        account = self._account(resource.provider.account or account)
        for key in ("home_region", "region"):
            if isinstance(values.get(key), str) and values[key]:
                return account, str(values[key])
        if resource.provider.region:
            return account, resource.provider.region
        if len(self.regions) == 1:
            return account, self.regions[0]
        raise InputError(f"{self.plan.source}: {resource.address.text}",
                         "the plan does not show this resource's Region (its provider has no constant region): "
                         "give it with --regions (one Region)")

    def _location(self, address: Address) -> Any:
        directory = module_directory(self.root, self.plan.configuration, address.modules)
        if directory is None:
            return None
        block = "data" if address.mode == "data" else "resource"
        return self.files.find(directory, block, address.type, address.name)

    # -- trails ------------------------------------------------------------------------

    def _trail(self, resource: PlannedResource, located: bool) -> TrailSpec:
        values = resource.values
        account, region = self._place(resource, values)
        read = _Values(self, resource, account, region)
        settings: dict[str, Any] = {
            "Name": read.text("name"),
            "IsLogging": read.flag("enable_logging"),
            "IsMultiRegionTrail": read.flag("is_multi_region_trail"),
            "IsOrganizationTrail": read.flag("is_organization_trail"),
            "IncludeGlobalServiceEvents": read.flag("include_global_service_events"),
            "LogFileValidationEnabled": read.flag("enable_log_file_validation"),
            "KmsKeyId": read.text("kms_key_id"),
            "S3BucketName": read.text("s3_bucket_name"),
            "S3KeyPrefix": read.text("s3_key_prefix"),
            "SnsTopicName": read.text("sns_topic_name"),
            "CloudWatchLogsLogGroupArn": read.log_group_arn("cloud_watch_logs_group_arn"),
            "CloudWatchLogsRoleArn": read.text("cloud_watch_logs_role_arn"),
            "EventSelectors": read.blocks("event_selector", _basic_selector),
            "AdvancedEventSelectors": read.blocks("advanced_event_selector", _advanced_selector),
            "InsightSelectors": read.blocks("insight_selector", lambda b: {"InsightType": b.get("insight_type")}),
        }
        settings = {k: v for k, v in settings.items() if v is not None}
        where = self._location(resource.address) if located else None
        return TrailSpec(resource.address.text, where, account, region, settings)

    # -- event data stores -------------------------------------------------------------

    def _stores(self, resources: Sequence[PlannedResource]) -> list[RegionItem]:
        items = []
        for resource in (r for r in resources if r.address.type == "aws_cloudtrail_event_data_store"):
            account, region = self._place(resource, resource.values)
            read = _Values(self, resource, account, region)
            name = read.name("name")
            document = {
                "EventDataStoreArn": stand_in_arn("cloudtrail", region, account, f"eventdatastore/{name}"),
                "Name": name, "Status": _store_status(read.raw("suspend")),
                "MultiRegionEnabled": _default(read.flag("multi_region_enabled"), True),
                "OrganizationEnabled": _default(read.flag("organization_enabled"), False),
                "RetentionPeriod": _default(read.raw("retention_period"), default_retention(read.raw("billing_mode"))),
                "TerminationProtectionEnabled": _default(read.flag("termination_protection_enabled"), True),
                "AdvancedEventSelectors": read.blocks("advanced_event_selector", _advanced_selector) or [],
            }
            key = read.text("kms_key_id")
            if key is not None:
                document["KmsKeyId"] = key
            items.append(RegionItem(resource.address.text, account, region, "event_data_stores", document,
                                    self._location(resource.address)))
        return items

    # -- buckets, KMS keys and log groups ----------------------------------------------

    def _storage_place(self, resource: PlannedResource) -> tuple[str, str] | None:
        """A storage resource's account and Region; ``None`` when the plan does not show its
        Region. Unlike a trail's, that is no reason to stop: a trail naming it finds it not
        defined here, and its rules are ``skipped``."""
        try:
            return self._place(resource, resource.values)
        except InputError:
            return None

    def _storage(self, resources: Sequence[PlannedResource]) -> list[StorageItem]:
        """Every key and log group of the planned values, listed under the identifier a trail names
        it by (:meth:`_identity`); and every key the plan deletes, pending deletion under its ARN."""
        items = []
        for resource in resources:
            kind = resource.address.type
            if kind not in (_KMS_KEY, _LOG_GROUP):
                continue
            place = self._storage_place(resource)
            if place is None:
                continue
            account, region = place
            read = _Values(self, resource, account, region)
            address, where = resource.address.text, self._location(resource.address)
            if kind == _KMS_KEY:
                arn = self._identity(resource, "arn") or key_stand_in(region, account, address)
                items.append(kms_key(address, where, account, region, arn, read.flag("is_enabled"),
                                     read.flag("enable_key_rotation"), read.text("customer_master_key_spec")))
            else:
                items.append(log_group(address, where, account, region, read.name("name"),
                                       read.days("retention_in_days"), _known(read.text("kms_key_id"))))
        kept = {item.name for item in items}
        for resource, actions in self.plan.before():
            deleted = _known(resource.values.get("arn"))
            if (resource.address.type != _KMS_KEY or resource.address.mode != "managed" or "delete" not in actions
                    or deleted is None or deleted in kept):
                continue
            place = self._storage_place(resource)
            if place is not None:
                account, region = place
                items.append(kms_key(resource.address.text, self._location(resource.address), account, region, deleted,
                                     True, resource.values.get("enable_key_rotation") is True, None, deleted=True))
        return items + self._aliases(resources, items)

    def _aliases(self, resources: Sequence[PlannedResource], keys: Sequence[StorageItem]) -> list[StorageItem]:
        """Every ``aws_kms_alias`` whose name the plan knows, as the key its ``target_key_id`` names,
        listed under the alias's ARN (:func:`~checker.inputs.iac.storage.aliased_key`)."""
        items = []
        for resource in (r for r in resources if r.address.type == _KMS_ALIAS):
            place = self._storage_place(resource)
            if place is None:
                continue
            account, region = place
            read = _Values(self, resource, account, region)
            alias = _known(read.text("name"))
            if alias is not None:
                items.append(aliased_key(resource.address.text, self._location(resource.address), account, region,
                                         alias, read.text("target_key_id"), keys, "this plan"))
        return items

    def _buckets(self, resources: Sequence[PlannedResource]) -> list[StorageItem]:
        """Every ``aws_s3_bucket`` whose name the plan knows, with what its companion resources set
        (:mod:`checker.inputs.iac.tf_buckets`), and the account's ``aws_s3_account_public_access_block``."""
        buckets: dict[str, tuple[PlannedResource, str, str, dict[str, Any]]] = {}
        for resource in (r for r in resources if r.address.type == BUCKET):
            place = self._storage_place(resource)
            if place is None:
                continue
            account, region = place
            name = _known(_Values(self, resource, account, region).text("bucket"))
            if name is not None:
                created = "create" in self.plan.actions(resource.address.text)
                buckets[name] = (resource, account, region,
                                 new_bucket(resource.values.get("object_lock_enabled")) if created else {})
        items: list[StorageItem] = []
        unplaced: dict[str, str] = {}  # bucket key -> a companion that names a bucket known only after apply
        writers: dict[str, dict[str, Declaration]] = {name: {} for name in buckets}  # bucket -> key -> companion
        for resource in resources:
            kind = resource.address.type
            place = self._storage_place(resource) if kind in COMPANIONS or kind == ACCOUNT_BLOCK else None
            if place is None:
                continue
            account, region = place
            where = self._location(resource.address)
            if kind == ACCOUNT_BLOCK:
                items.append(account_block(resource.address.text, where, account, region,
                                           public_access_block(resource.values)))
                continue
            key, answer = COMPANIONS[kind]
            name = _known(_Values(self, resource, account, region).text("bucket"))
            if name is None:
                unplaced[key] = resource.address.text
            elif name in buckets:
                document = buckets[name][3]
                document[key] = answer(resource.values)
                writers[name][key] = Declaration(resource.address.text, where)
                if key == "Policy":
                    document["PolicyStatus"] = Unknown("S3 computes whether the bucket policy is public (IsPublic) "
                                                       "once it is applied")
                    writers[name]["PolicyStatus"] = writers[name][key]
        for name, (resource, account, region, document) in buckets.items():
            for key, address in unplaced.items():
                document[key] = Unknown(f"{address} names a bucket known only after apply")
            items.append(bucket(resource.address.text, self._location(resource.address), account, region, name,
                                document, writers[name]))
        return items

    # -- monitoring --------------------------------------------------------------------

    def _monitoring(self, estate: CodeEstate, resources: Sequence[PlannedResource]) -> None:
        rules: dict[tuple[str, str, str, str], RegionItem] = {}
        for resource in resources:
            kind = resource.address.type
            if kind not in _MONITORING_TYPES:
                continue
            account, region = self._place(resource, resource.values)
            read = _Values(self, resource, account, region)
            address = resource.address.text
            if kind == "aws_cloudwatch_log_metric_filter":
                estate.items.append(RegionItem(address, account, region, "metric_filters", _metric_filter(read)))
            elif kind == "aws_cloudwatch_metric_alarm":
                estate.items.append(RegionItem(address, account, region, "alarms", _alarm(read, account, region)))
            elif kind == "aws_sns_topic":
                arn = _known(read.text("arn")) or topic_arn(region, account, read.name("name"))
                key = read.text("kms_master_key_id")
                estate.items.append(RegionItem(address, account, region, "topics", {
                    "TopicArn": arn, "Subscriptions": [], "Attributes": {"KmsMasterKeyId": key} if key else {}}))
            elif kind == "aws_cloudwatch_event_rule":
                name = read.name("name")
                bus = _known(read.text("event_bus_name")) or "default"
                rules[(account, region, bus, name)] = item = RegionItem(
                    address, account, region, "event_rules", _event_rule(read, account, region, name, bus))
                estate.items.append(item)
        for resource in resources:
            if resource.address.type not in ("aws_sns_topic_subscription", "aws_cloudwatch_event_target"):
                continue
            account, region = self._place(resource, resource.values)
            read = _Values(self, resource, account, region)
            address = resource.address.text
            if resource.address.type == "aws_sns_topic_subscription":
                topic = read.text("topic_arn")
                add_subscription(estate, address, account, region, topic, {
                    "SubscriptionArn": f"{topic}:{address}" if isinstance(topic, str) else topic,
                    "Protocol": read.text("protocol"), "Endpoint": read.text("endpoint")})
            else:
                bus = _known(read.text("event_bus_name")) or "default"
                target = {"Id": _known(read.text("target_id")) or resource.address.name, "Arn": read.text("arn")}
                owner = rules.get((account, region, bus, str(read.text("rule"))))
                if owner is not None:
                    owner.document["Targets"].append(target)

    # -- references --------------------------------------------------------------------

    def stand_in(self, resource: PlannedResource, attribute: str) -> Any:
        """The identifier an attribute known only after apply will hold, when the
        configuration shows which resource(s) it names; ``None`` when it does not."""
        expression = (resource.config.get("expressions") or {}).get(attribute)
        targets = self._referenced(resource.address.modules, resource.address.prefix, expression, 0)
        identities = [self._identity(target, wanted) for target, wanted in targets]
        if not identities or any(i is None for i in identities):
            return None
        return identities

    def _referenced(self, modules: tuple[str, ...], prefix: str, expression: Any,
                    hops: int) -> list[tuple[PlannedResource, str]]:
        """The resources (and attributes) an expression refers to, through module variables and
        outputs, and through locals as the module's ``.tf`` files write them."""
        references = expression.get("references") if isinstance(expression, Mapping) else None
        if not isinstance(references, list) or hops > _MAX_HOPS:
            return []
        found: dict[str, tuple[PlannedResource, str]] = {}
        for reference in references:
            if not isinstance(reference, str):
                continue
            parts = reference.split(".")
            if parts[0] == "var" and len(parts) >= 2 and modules:
                call = self.plan.module_call(modules) or {}
                parent_prefix = prefix[:prefix.rstrip(".").rfind("module.")]
                upstream = (call.get("expressions") or {}).get(parts[1])
                for target, wanted in self._referenced(modules[:-1], parent_prefix, upstream, hops + 1):
                    found.setdefault(target.address.text, (target, wanted))
            elif parts[0] == "local" and len(parts) >= 2:
                directory = module_directory(self.root, self.plan.configuration, modules)
                local = self.files.local(directory, parts[1]) if directory is not None else None
                written = {"references": list(local.references)} if local is not None else None
                for target, wanted in self._referenced(modules, prefix, written, hops + 1):
                    found.setdefault(target.address.text, (target, wanted))
            elif parts[0] == "module" and len(parts) >= 3:
                child = self.plan.module_config((*modules, parts[1])) or {}
                output = (child.get("outputs") or {}).get(parts[2])
                nested = output.get("expression") if isinstance(output, Mapping) else None
                for target, wanted in self._referenced((*modules, parts[1]), f"{prefix}module.{parts[1]}.", nested,
                                                       hops + 1):
                    found.setdefault(target.address.text, (target, wanted))
            elif parts[0] not in ("var", "local", "each", "count", "path", "terraform", "self", "module"):
                data = parts[0] == "data"
                head = parts[1:] if data else parts
                if len(head) < 2:
                    continue
                kind, name = head[0], head[1]
                wanted = head[2] if len(head) > 2 else "id"
                for target in self._instances(modules, prefix, data, kind, name):
                    previous = found.get(target.address.text)
                    if previous is None or previous[1] == "id":
                        found[target.address.text] = (target, wanted)
        return list(found.values())

    def _instances(self, modules: tuple[str, ...], prefix: str, data: bool, kind: str,
                   name: str) -> list[PlannedResource]:
        """The planned instances of ``kind.name`` in the module at ``modules``; a data source
        that is not in the planned values stands for itself."""
        bare = name.split("[", 1)[0]
        mode = "data" if data else "managed"
        matches = [r for r in self.plan.planned if r.address.modules == modules and r.address.mode == mode
                   and r.address.type == kind and r.address.name == bare]
        narrowed = [r for r in matches if r.address.text.startswith(prefix)]
        if data and not matches:
            address = Address(f"{prefix}data.{kind}.{bare}", modules, prefix, "data", kind, bare, "")
            provider = self.plan.provider("aws")
            return [PlannedResource(address, {}, {}, provider, "")]
        return narrowed or matches

    def _identity(self, target: PlannedResource, attribute: str) -> str | None:
        """The identifier ``attribute`` of ``target`` will hold: known, or its stand-in."""
        known = target.values.get(attribute)
        if isinstance(known, str) and known:
            return known
        try:
            account, region = self._place(target, target.values)
        except InputError:
            return None
        kind = target.address.type
        name = target.values.get("name")
        named = name if isinstance(name, str) and name else target.address.text
        if kind == "aws_kms_key" and attribute in ("arn", "key_id", "id"):
            return key_stand_in(region, account, target.address.text)
        if kind == _KMS_ALIAS:
            return self._alias_identity(target, attribute, account, region)
        if kind == "aws_sns_topic" and attribute in ("arn", "id"):
            return topic_arn(region, account, named)
        if kind == "aws_cloudwatch_log_group":
            return {"arn": stand_in_arn("logs", region, account, f"log-group:{named}"), "name": named,
                    "id": named}.get(attribute)
        if kind == TRAIL and attribute in ("arn", "id"):
            return trail_arn(region, account, named)
        if kind == "aws_cloudwatch_event_bus":
            return {"arn": stand_in_arn("events", region, account, f"event-bus/{named}"), "name": named,
                    "id": named}.get(attribute)
        if kind == "aws_cloudwatch_event_rule" and attribute in ("name", "id"):
            return named
        if kind == "aws_s3_bucket":
            bucket = target.values.get("bucket")
            if isinstance(bucket, str) and bucket:
                return {"arn": f"arn:{partition_of(region)}:s3:::{bucket}", "bucket": bucket, "id": bucket}.get(
                    attribute)
        return None


    def _alias_identity(self, alias: PlannedResource, attribute: str, account: str, region: str) -> str | None:
        """What an ``aws_kms_alias`` attribute will hold: its name (``name``, ``id``), its ARN, or its
        target key (``target_key_id``, ``target_key_arn``). A data source the plan does not show
        stands for an alias of its own, which no resource here defines."""
        name = _known(alias.values.get("name"))
        if name is None and alias.address.mode == "data":
            name = f"alias/{alias.address.text}"
        if name is None:
            return None
        if attribute in ("name", "id"):
            return name
        if attribute == "arn":
            return stand_in_arn("kms", region, account, name)
        if attribute in ("target_key_id", "target_key_arn") and alias.address.mode == "managed":
            key = _known(_Values(self, alias, account, region).text("target_key_id"))
            if key is not None and attribute == "target_key_arn" and not key.startswith("arn:"):
                return stand_in_arn("kms", region, account, f"key/{key}")
            return key
        return None


class _Values:
    """Typed reads of one resource's values; an unknown value becomes its stand-in where the
    configuration decides it (:meth:`_Reader.stand_in`), else stays :class:`Unknown`."""

    def __init__(self, reader: _Reader, resource: PlannedResource, account: str, region: str) -> None:
        self.reader = reader
        self.resource = resource
        self.account = account
        self.region = region

    def raw(self, name: str) -> Any:
        return self.resource.values.get(name)

    def name(self, attribute: str) -> str:
        """A resource's name for its stand-in identifiers: known, else its address."""
        return _known(self.text(attribute)) or self.resource.address.text

    def _problem(self, name: str, expected: str, value: Any) -> InputError:
        return InputError(f"{self.reader.plan.source}: {self.resource.address.text}",
                          f"{name}: expected {expected}, got {json.dumps(value)[:60]}")

    def text(self, name: str) -> str | Unknown | None:
        """A text attribute: known, the stand-in of the resource it names, or unknown."""
        value = self.raw(name)
        if isinstance(value, Unknown):
            identities = self.reader.stand_in(self.resource, name)
            return identities[0] if identities and len(identities) == 1 else value
        if value is None or isinstance(value, str):
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)
        raise self._problem(name, "a string", value)

    def log_group_arn(self, name: str) -> str | Unknown | None:
        """A trail's log group ARN, ending ``:*`` as the API shows it."""
        value = self.text(name)
        if isinstance(value, str) and value.startswith("arn:") and not value.endswith(":*"):
            return value + ":*"
        return value

    def days(self, name: str) -> int | Unknown | None:
        """A whole number of days, 0 or more."""
        value = self.raw(name)
        if value is None or isinstance(value, Unknown) or (isinstance(value, int) and not isinstance(value, bool)
                                                           and value >= 0):
            return value
        raise self._problem(name, "a whole number of days", value)

    def flag(self, name: str) -> bool | Unknown | None:
        value = self.raw(name)
        if value is None or isinstance(value, (bool, Unknown)):
            return value
        raise self._problem(name, "true or false", value)

    def texts(self, name: str) -> list[str] | Unknown | None:
        value = self.raw(name)
        if isinstance(value, Unknown):
            identities = self.reader.stand_in(self.resource, name)
            return list(identities) if identities else value
        return strings(value)

    def blocks(self, name: str, shape: Any) -> list[Any] | Unknown | None:
        """A nested block list, each block turned into its API shape by ``shape``."""
        value = self.raw(name)
        if value is None or isinstance(value, Unknown):
            return value
        if not isinstance(value, list) or not all(isinstance(b, Mapping) for b in value):
            raise self._problem(name, "a list of blocks", value)
        return [shape(block) for block in value]


_KMS_KEY = "aws_kms_key"
_KMS_ALIAS = "aws_kms_alias"
_LOG_GROUP = "aws_cloudwatch_log_group"
_MONITORING_TYPES = frozenset({"aws_cloudwatch_log_metric_filter", "aws_cloudwatch_metric_alarm", "aws_sns_topic",
                               "aws_cloudwatch_event_rule"})


def _known(value: Any) -> str | None:
    """``value`` when it is a non-empty string (not unknown, not absent)."""
    return value if isinstance(value, str) and value else None


def _default(value: Any, default: Any) -> Any:
    return default if value is None else value


def _store_status(suspend: Any) -> str | Unknown:
    """``suspend`` (the provider writes ``"true"``/``"false"``; unset: ingesting) as the store's status."""
    if isinstance(suspend, Unknown):
        return suspend
    return "STOPPED_INGESTION" if suspend is True or (isinstance(suspend, str) and suspend.lower() == "true") \
        else "ENABLED"


def _action(actions: Sequence[str]) -> ChangeAction:
    if "delete" in actions and "create" in actions:
        return "replace"
    for action in ("create", "delete", "update"):
        if action in actions:
            return action
    return "no-op"


def _basic_selector(block: Mapping[str, Any]) -> dict[str, Any]:
    """An ``event_selector`` block as an ``EventSelectors`` item."""
    resources = block.get("data_resource")
    return {
        "ReadWriteType": _default(block.get("read_write_type"), "All"),
        "IncludeManagementEvents": _default(block.get("include_management_events"), True),
        "DataResources": [{"Type": r.get("type"), "Values": strings(r.get("values")) or []}
                          for r in resources if isinstance(r, Mapping)] if isinstance(resources, list) else
        ([] if resources is None else resources),
        "ExcludeManagementEventSources": strings(block.get("exclude_management_event_sources")) or [],
    }


_OPERATORS = (("equals", "Equals"), ("not_equals", "NotEquals"), ("starts_with", "StartsWith"),
              ("not_starts_with", "NotStartsWith"), ("ends_with", "EndsWith"), ("not_ends_with", "NotEndsWith"))


def _advanced_selector(block: Mapping[str, Any]) -> dict[str, Any]:
    """An ``advanced_event_selector`` block as an ``AdvancedEventSelectors`` item."""
    conditions = block.get("field_selector")
    if not isinstance(conditions, list):
        return {"Name": block.get("name"), "FieldSelectors": conditions}
    fields = []
    for condition in conditions:
        if not isinstance(condition, Mapping):
            fields.append(condition)
            continue
        item: dict[str, Any] = {"Field": condition.get("field")}
        for terraform_name, api_name in _OPERATORS:
            values = strings(condition.get(terraform_name))
            if values:
                item[api_name] = values
        fields.append(item)
    selector: dict[str, Any] = {"FieldSelectors": fields}
    if block.get("name"):
        selector["Name"] = block.get("name")
    return selector


def _metric_filter(read: _Values) -> dict[str, Any]:
    blocks = read.blocks("metric_transformation", dict)
    transformations: list[Any] | Unknown = [] if not isinstance(blocks, Unknown) else blocks
    for block in blocks if isinstance(blocks, list) else ():
        item: dict[str, Any] = {"metricName": block.get("name"), "metricNamespace": block.get("namespace"),
                                "metricValue": block.get("value")}
        default = block.get("default_value")
        if default not in (None, ""):
            item["defaultValue"] = float(default) if isinstance(default, (str, int, float)) else default
        dimensions = block.get("dimensions")
        if dimensions:
            item["dimensions"] = dimensions
        if block.get("unit"):
            item["unit"] = block.get("unit")
        if isinstance(transformations, list):
            transformations.append(item)
    return {"filterName": read.name("name"), "logGroupName": read.text("log_group_name"),
            "filterPattern": _default(read.text("pattern"), ""), "metricTransformations": transformations}


def _alarm(read: _Values, account: str, region: str) -> dict[str, Any]:
    name = read.name("alarm_name")
    document: dict[str, Any] = {
        "AlarmName": name,
        "AlarmArn": stand_in_arn("cloudwatch", region, account, f"alarm:{name}"),
        "EvaluationPeriods": read.raw("evaluation_periods"),
        "ComparisonOperator": read.text("comparison_operator"),
        "ActionsEnabled": _default(read.flag("actions_enabled"), True),
        "AlarmActions": read.texts("alarm_actions") or [],
        "TreatMissingData": _default(read.text("treat_missing_data"), "missing"),
        "Dimensions": _dimensions(read.raw("dimensions")),
        "Metrics": _each(read.blocks("metric_query", dict), _metric_query),
    }
    for api_name, terraform_name in (("Namespace", "namespace"), ("MetricName", "metric_name"),
                                     ("Statistic", "statistic"), ("ExtendedStatistic", "extended_statistic"),
                                     ("Unit", "unit")):
        value = read.text(terraform_name)
        if value not in (None, ""):
            document[api_name] = value
    for api_name, terraform_name in (("Period", "period"), ("DatapointsToAlarm", "datapoints_to_alarm"),
                                     ("Threshold", "threshold")):
        value = read.raw(terraform_name)
        if value is not None:
            document[api_name] = value
    return document


def _each(blocks: list[Any] | Unknown | None, shape: Any) -> list[Any] | Unknown:
    if isinstance(blocks, Unknown):
        return blocks
    return [shape(block) for block in blocks or ()]


def _metric_query(block: Mapping[str, Any]) -> dict[str, Any]:
    query: dict[str, Any] = {"Id": block.get("id")}
    metrics = block.get("metric")
    metric = metrics[0] if isinstance(metrics, list) and metrics else None
    if isinstance(metric, Mapping):
        query["MetricStat"] = {"Metric": {"Namespace": metric.get("namespace"), "MetricName": metric.get("metric_name"),
                                          "Dimensions": _dimensions(metric.get("dimensions"))},
                               "Period": metric.get("period"), "Stat": metric.get("stat")}
    if block.get("expression"):
        query["Expression"] = block.get("expression")
    return query


def _dimensions(value: Any) -> Any:
    if isinstance(value, Mapping):
        return [{"Name": k, "Value": v} for k, v in sorted(value.items())]
    return [] if value is None else value


def _event_rule(read: _Values, account: str, region: str, name: str, bus: str) -> dict[str, Any]:
    state = read.text("state")
    if state in (None, ""):
        enabled = read.flag("is_enabled")
        state = enabled if isinstance(enabled, Unknown) else ("DISABLED" if enabled is False else "ENABLED")
    resource = f"rule/{name}" if bus == "default" else f"rule/{bus}/{name}"
    rule: dict[str, Any] = {"Name": name, "Arn": stand_in_arn("events", region, account, resource),
                            "EventBusName": bus, "State": state, "Targets": []}
    pattern = read.text("event_pattern")
    if pattern is not None:
        rule["EventPattern"] = pattern
    return rule
