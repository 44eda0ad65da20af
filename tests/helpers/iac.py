"""Terraform plans for the IaC tests, written the way ``terraform show -json`` writes them.

A :class:`Res` is one resource instance: its values after apply (``None`` when deleted),
before (``None`` when created), what is known only after apply, and its configuration
expressions. :func:`plan_document` lays them out as a plan: ``planned_values`` by module,
``resource_changes`` with actions, ``configuration`` with provider and module calls.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checker.inputs.iac.tf_plan import Address

ACCOUNT = "111111111111"


def selector(field_name: str, **operators: list[str]) -> dict[str, Any]:
    """A ``field_selector`` block as the AWS provider plans it (every operator present)."""
    block: dict[str, Any] = {"field": field_name, "equals": [], "not_equals": [], "starts_with": [],
                             "not_starts_with": [], "ends_with": [], "not_ends_with": []}
    block.update(operators)
    return block


MANAGEMENT = {"name": "Management events", "field_selector": [selector("eventCategory", equals=["Management"])]}
NO_KMS = {"name": "Management events", "field_selector": [selector("eventCategory", equals=["Management"]),
                                                          selector("eventSource", not_equals=["kms.amazonaws.com"])]}


def trail(name: str = "main", **settings: Any) -> dict[str, Any]:
    """``aws_cloudtrail`` values: a logging multi-Region trail of all management events."""
    values: dict[str, Any] = {
        "name": name, "s3_bucket_name": "trail-logs", "enable_logging": True, "is_multi_region_trail": True,
        "is_organization_trail": False, "include_global_service_events": True, "enable_log_file_validation": True,
        "kms_key_id": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234", "cloud_watch_logs_group_arn": None,
        "cloud_watch_logs_role_arn": None, "event_selector": [], "advanced_event_selector": [MANAGEMENT],
        "insight_selector": [], "s3_key_prefix": None, "sns_topic_name": None, "tags": None,
    }
    values.update(settings)
    return values


def state(values: dict[str, Any], region: str = "us-east-1", account: str = ACCOUNT) -> dict[str, Any]:
    """Trail values as the prior state holds them (with the computed ``arn`` and ``home_region``)."""
    return {**values, "arn": f"arn:aws:cloudtrail:{region}:{account}:trail/{values['name']}",
            "home_region": region, "id": values["name"]}


@dataclass
class Res:
    """One resource instance of a plan (see the module docstring)."""

    address: str
    after: dict[str, Any] | None
    before: dict[str, Any] | None = None
    after_unknown: dict[str, Any] = field(default_factory=dict)
    expressions: dict[str, Any] = field(default_factory=dict)
    actions: list[str] | None = None

    @property
    def parsed(self) -> Address:
        address = Address.parse(self.address)
        assert address is not None, self.address
        return address

    def planned_values(self) -> dict[str, Any]:
        shown = {k: v for k, v in (self.after or {}).items() if self.after_unknown.get(k) is not True}
        return {"address": self.address, "mode": self.parsed.mode, "type": self.parsed.type,
                "name": self.parsed.name, "provider_name": "registry.terraform.io/hashicorp/aws",
                "schema_version": 0, "values": shown, "sensitive_values": {}}

    def change(self) -> dict[str, Any]:
        if self.actions is not None:
            actions = self.actions
        elif self.before is None:
            actions = ["create"]
        elif self.after is None:
            actions = ["delete"]
        else:
            actions = ["no-op"] if self.before == self.after else ["update"]
        after = None if self.after is None else {k: v for k, v in self.after.items()
                                                 if self.after_unknown.get(k) is not True}
        item: dict[str, Any] = {"address": self.address, "mode": self.parsed.mode, "type": self.parsed.type,
                                "name": self.parsed.name, "provider_name": "registry.terraform.io/hashicorp/aws",
                                "change": {"actions": actions, "before": self.before, "after": after,
                                           "after_unknown": self.after_unknown}}
        if self.parsed.modules:
            item["module_address"] = self.parsed.prefix.rstrip(".")
        return item


def plan_document(resources: list[Res], *, region: str | None = "us-east-1", account: str | None = ACCOUNT,
                  module_sources: dict[str, str] | None = None, providers: dict[str, Any] | None = None,
                  variables: dict[str, Any] | None = None) -> dict[str, Any]:
    """A plan of ``resources``; the default provider ``aws`` has ``region`` and ``account``."""
    sources = module_sources or {}
    tree: dict[str, Any] = {"resources": []}
    configuration: dict[str, Any] = {"resources": []}
    for res in resources:
        path = res.parsed.modules
        if res.after is not None:
            module = tree
            prefix = ""
            for name in path:
                prefix += f"module.{name}."
                children = module.setdefault("child_modules", [])
                found = next((c for c in children if c["address"] == prefix.rstrip(".")), None)
                if found is None:
                    found = {"address": prefix.rstrip("."), "resources": []}
                    children.append(found)
                module = found
            module["resources"].append(res.planned_values())
        config = configuration
        for name in path:
            call = config.setdefault("module_calls", {}).setdefault(
                name, {"source": sources.get(name, f"./modules/{name}"), "module": {"resources": []}})
            config = call["module"]
        if not any(r["address"] == res.parsed.in_module for r in config["resources"]):
            config["resources"].append({"address": res.parsed.in_module, "mode": res.parsed.mode,
                                        "type": res.parsed.type, "name": res.parsed.name,
                                        "provider_config_key": "aws", "expressions": res.expressions,
                                        "schema_version": 0})
    expressions: dict[str, Any] = {}
    if region is not None:
        expressions["region"] = {"constant_value": region}
    if account is not None:
        expressions["allowed_account_ids"] = {"constant_value": [account]}
    provider_config = {"aws": {"name": "aws", "full_name": "registry.terraform.io/hashicorp/aws",
                               "expressions": expressions}}
    provider_config.update(providers or {})
    return {
        "format_version": "1.2", "terraform_version": "1.9.8",
        "variables": {name: {"value": value} for name, value in (variables or {}).items()},
        "planned_values": {"root_module": tree},
        "resource_changes": [res.change() for res in resources],
        "configuration": {"provider_config": provider_config, "root_module": configuration},
        "timestamp": "2026-11-20T09:15:02Z", "applyable": True, "complete": True, "errored": False,
    }


def write_plan(directory: Path, resources: list[Res], **options: Any) -> Path:
    path = directory / "plan.json"
    path.write_text(json.dumps(plan_document(resources, **options), indent=1), encoding="utf-8")
    return path


def findings_of(report: dict[str, Any], rule_id: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["rule_id"] == rule_id]


def only(report: dict[str, Any], rule_id: str) -> dict[str, Any]:
    found = findings_of(report, rule_id)
    assert len(found) == 1, [(f["region"], f["resource"], f["status"]) for f in found]
    return found[0]
