"""A Terraform (or OpenTofu) plan as ``terraform show -json PLAN`` writes it, indexed.

The parts read (the documented JSON output format, format_version 0.1 to 1.x):

* ``planned_values.root_module``: ``resources[]`` (``address``, ``mode``, ``type``,
  ``name``, ``values``) and ``child_modules[]`` (the same, recursively): every resource
  as it will be after apply, values known at plan time only;
* ``resource_changes[]``: per address, ``change.actions``, ``change.before`` (the prior
  state) and ``change.after_unknown`` (``true`` at each value known only after apply);
* ``configuration``: ``provider_config`` (each provider's ``expressions``: ``region``,
  ``allowed_account_ids``, ``assume_role``) and ``root_module`` (``resources[]`` with
  their ``expressions`` and ``provider_config_key``, ``module_calls`` with ``source``,
  ``expressions`` and the called ``module``, ``outputs``);
* ``variables`` (root variable values) and ``prior_state`` (data sources read during plan).

Shape problems of the parts read are bad input naming the JSON path.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from checker.arn import Arn
from checker.errors import InputError
from checker.inputs.iac.values import Unknown

_INDEX = r'(?:\[(?:"(?:[^"\\]|\\.)*"|\d+)\])?'
_MODULE_STEP = re.compile(rf"module\.([A-Za-z_][A-Za-z0-9_-]*){_INDEX}\.")
_RESOURCE = re.compile(rf"(data\.)?([A-Za-z_][A-Za-z0-9_-]*)\.([A-Za-z_][A-Za-z0-9_-]*)({_INDEX})$")


@dataclass(frozen=True)
class Address:
    """``module.a["x"].module.b.aws_cloudtrail.org[0]`` taken apart: the module calls
    (``("a", "b")``), the module prefix as written (``module.a["x"].module.b.``), mode,
    type, name and instance key."""

    text: str
    modules: tuple[str, ...]
    prefix: str
    mode: str
    type: str
    name: str
    key: str

    @classmethod
    def parse(cls, text: str) -> Address | None:
        position, modules = 0, []
        while match := _MODULE_STEP.match(text, position):
            modules.append(match.group(1))
            position = match.end()
        resource = _RESOURCE.match(text, position)
        if resource is None:
            return None
        mode = "data" if resource.group(1) else "managed"
        return cls(text, tuple(modules), text[:position], mode, resource.group(2), resource.group(3),
                   resource.group(4))

    @property
    def in_module(self) -> str:
        """The address within its module, without instance key (``aws_cloudtrail.org``)."""
        return ("data." if self.mode == "data" else "") + f"{self.type}.{self.name}"


@dataclass(frozen=True)
class Provider:
    """What the plan shows of one provider configuration: its Region and account."""

    key: str
    region: str | None
    account: str | None


@dataclass
class PlannedResource:
    """One resource instance: its values (after apply, or before the change), with each value
    known only after apply as an :class:`Unknown`; its configuration block and provider."""

    address: Address
    values: dict[str, Any]
    config: Mapping[str, Any]
    provider: Provider
    where: str


def _obj(value: Any, where: str, source: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InputError(f"{source}: {where}", f"expected an object, got {_kind(value)}")
    return value


def _list(value: Any, where: str, source: str) -> Sequence[Any]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise InputError(f"{source}: {where}", f"expected a list, got {_kind(value)}")
    return value


def _present(mapping: Mapping[str, Any], key: str) -> Any:
    """``mapping[key]``, or an empty object when it is absent or null (a plan may omit either)."""
    value = mapping.get(key)
    return {} if value is None else value


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number")


def check_plan(data: Any, source: str) -> Mapping[str, Any]:
    """``data`` if it is a plan; else bad input saying what it is instead."""
    if not isinstance(data, Mapping):
        raise InputError(f"{source}: $", f"not a Terraform plan: the document is {_kind(data)}, not an object "
                                         "(write it with 'terraform show -json PLANFILE')")
    if "format_version" not in data or not ({"planned_values", "resource_changes"} & set(data)):
        if "values" in data and "format_version" in data:
            raise InputError(f"{source}: $", "a Terraform state, not a plan: run 'terraform plan -out=PLANFILE' "
                                             "then 'terraform show -json PLANFILE'")
        raise InputError(f"{source}: $", "not a Terraform plan: no format_version and planned_values "
                                         "(write it with 'terraform show -json PLANFILE')")
    return data


def _merged(value: Any, unknown: Any, path: str) -> Any:
    """``value`` with each place ``after_unknown`` marks replaced by an :class:`Unknown`."""
    if unknown is True:
        return Unknown(f"{path} is known only after apply")
    if isinstance(value, Mapping):
        mask = unknown if isinstance(unknown, Mapping) else {}
        keys = list(value) + [k for k in mask if k not in value]
        return {k: _merged(value.get(k), mask.get(k), f"{path}.{k}" if path else k) for k in keys}
    if isinstance(value, list) or isinstance(unknown, list):
        items = value if isinstance(value, list) else []
        mask_items = unknown if isinstance(unknown, list) else []
        return [_merged(items[i] if i < len(items) else None, mask_items[i] if i < len(mask_items) else None,
                        f"{path}[{i}]") for i in range(max(len(items), len(mask_items)))]
    return value


class TerraformPlan:
    """A plan document, indexed by address (see the module docstring)."""

    def __init__(self, data: Any, source: str, root_local: Callable[[str], str | None] = lambda _: None) -> None:
        self.data = check_plan(data, source)
        self.source = source
        self._root_local = root_local  # a root module local's literal text; the plan does not show locals
        self.configuration = _obj(_present(self.data, "configuration"), "$.configuration", source)
        self._providers: dict[str, Provider] = {}
        self._changes = self._index_changes()
        self.planned = list(self._planned())

    # -- resources ----------------------------------------------------------------------

    def _index_changes(self) -> dict[str, tuple[Mapping[str, Any], str]]:
        found = {}
        for index, item in enumerate(_list(self.data.get("resource_changes"), "$.resource_changes", self.source)):
            where = f"$.resource_changes[{index}]"
            change = _obj(item, where, self.source)
            address = change.get("address")
            if not isinstance(address, str):
                raise InputError(f"{self.source}: {where}.address", "expected the resource address, a string")
            found[address] = (_obj(_present(change, "change"), f"{where}.change", self.source), where)
        return found

    def _modules(self, root: Any, where: str) -> Iterator[tuple[Mapping[str, Any], str]]:
        """Each module of a ``planned_values``-style tree (root first), with its JSON path."""
        stack = [(root, where)]
        while stack:
            module, path = stack.pop(0)
            module = _obj(module, path, self.source)
            yield module, path
            children = _list(module.get("child_modules"), f"{path}.child_modules", self.source)
            stack.extend((child, f"{path}.child_modules[{i}]") for i, child in enumerate(children))

    def _planned(self) -> Iterator[PlannedResource]:
        planned = _obj(_present(self.data, "planned_values"), "$.planned_values", self.source)
        for module, path in self._modules(_present(planned, "root_module"), "$.planned_values.root_module"):
            for index, item in enumerate(_list(module.get("resources"), f"{path}.resources", self.source)):
                where = f"{path}.resources[{index}]"
                resource = _obj(item, where, self.source)
                address = self._address(resource.get("address"), f"{where}.address")
                change = self._changes.get(address.text, ({}, ""))[0]
                values = _obj(_present(resource, "values"), f"{where}.values", self.source)
                yield self._resource(address, _merged(values, change.get("after_unknown"), ""), where)

    def before(self) -> Iterator[tuple[PlannedResource, list[str]]]:
        """Each resource that exists before the change (``change.before``), with its actions."""
        for text, (change, where) in sorted(self._changes.items()):
            before = change.get("before")
            actions = [str(a) for a in _list(change.get("actions"), f"{where}.change.actions", self.source)]
            if before is None or "forget" in actions:
                continue
            address = self._address(text, f"{where}.address")
            values = _obj(before, f"{where}.change.before", self.source)
            yield self._resource(address, dict(values), f"{where}.change.before"), actions

    def actions(self, address: str) -> list[str]:
        change = self._changes.get(address)
        return [str(a) for a in change[0].get("actions") or ()] if change else []

    def _address(self, text: Any, where: str) -> Address:
        address = Address.parse(text) if isinstance(text, str) else None
        if address is None:
            raise InputError(f"{self.source}: {where}", f"not a Terraform resource address: {text!r}")
        return address

    def _resource(self, address: Address, values: dict[str, Any], where: str) -> PlannedResource:
        config = self.resource_config(address.modules, address.in_module) or {}
        key = config.get("provider_config_key")
        return PlannedResource(address, values, config, self.provider(key if isinstance(key, str) else "aws"), where)

    # -- configuration ------------------------------------------------------------------

    def module_config(self, modules: Sequence[str]) -> Mapping[str, Any] | None:
        """The configuration of the module at ``modules`` (call names from the root)."""
        module: Any = self.configuration.get("root_module") or {}
        for name in modules:
            calls = module.get("module_calls") if isinstance(module, Mapping) else None
            call = calls.get(name) if isinstance(calls, Mapping) else None
            if not isinstance(call, Mapping):
                return None
            module = call.get("module") or {}
        return module if isinstance(module, Mapping) else None

    def module_call(self, modules: Sequence[str]) -> Mapping[str, Any] | None:
        """The ``module_calls`` entry that calls the module at ``modules`` (not the root)."""
        parent = self.module_config(modules[:-1]) if modules else None
        calls = parent.get("module_calls") if parent else None
        call = calls.get(modules[-1]) if isinstance(calls, Mapping) and modules else None
        return call if isinstance(call, Mapping) else None

    def resource_config(self, modules: Sequence[str], in_module: str) -> Mapping[str, Any] | None:
        module = self.module_config(modules)
        resources = module.get("resources") if module else None
        for item in resources if isinstance(resources, list) else ():
            if isinstance(item, Mapping) and item.get("address") == in_module:
                return item
        return None

    def variable(self, name: str) -> Any:
        """A root module variable's value, or ``None``."""
        variables = self.data.get("variables")
        entry = variables.get(name) if isinstance(variables, Mapping) else None
        return entry.get("value") if isinstance(entry, Mapping) else None

    def provider(self, key: str) -> Provider:
        """The provider configuration ``key`` names (a module's inherited ``module.x:aws``
        falls back to the root's ``aws``)."""
        known = self._providers.get(key)
        if known is None:
            configs = self.configuration.get("provider_config")
            configs = configs if isinstance(configs, Mapping) else {}
            config = configs.get(key) or configs.get(key.rsplit(":", 1)[-1]) or configs.get("aws") or {}
            expressions = config.get("expressions") if isinstance(config, Mapping) else None
            expressions = expressions if isinstance(expressions, Mapping) else {}
            known = self._providers[key] = Provider(key, self._constant_text(expressions.get("region")),
                                                    _configured_account(expressions, self._constant_text))
        return known

    def _constant_text(self, expression: Any) -> str | None:
        """A string the expression decides at plan time: a constant, a root variable, or a
        root local that the ``.tf`` files write as a string literal."""
        if not isinstance(expression, Mapping):
            return None
        if isinstance(expression.get("constant_value"), str):
            return str(expression["constant_value"])
        references = expression.get("references")
        if isinstance(references, list) and references and isinstance(references[0], str):
            head, _, name = references[0].partition(".")
            value = self.variable(name) if head == "var" else self._root_local(name) if head == "local" else None
            return value if isinstance(value, str) else None
        return None

    def provider_regions(self) -> set[str]:
        """The Regions of every AWS provider configuration that states one."""
        configs = self.configuration.get("provider_config")
        regions = set()
        for key, config in (configs.items() if isinstance(configs, Mapping) else ()):
            if isinstance(config, Mapping) and config.get("name") == "aws":
                region = self.provider(str(key)).region
                if region:
                    regions.add(region)
        return regions

    def accounts_seen(self) -> set[str]:
        """Accounts the plan shows: in the ARNs of resources before the change, and in
        ``aws_caller_identity`` data sources."""
        accounts = set()
        for change, _ in self._changes.values():
            before = change.get("before")
            arn = before.get("arn") if isinstance(before, Mapping) else None
            parsed = Arn.parse_or_none(arn) if isinstance(arn, str) else None
            if parsed is not None and re.fullmatch(r"\d{12}", parsed.account):
                accounts.add(parsed.account)
        for module in self._identity_modules():
            for resource in module.get("resources") or ():
                if isinstance(resource, Mapping) and resource.get("type") == "aws_caller_identity":
                    values = resource.get("values")
                    account = values.get("account_id") if isinstance(values, Mapping) else None
                    if isinstance(account, str) and re.fullmatch(r"\d{12}", account):
                        accounts.add(account)
        return accounts

    def _identity_modules(self) -> Iterator[Mapping[str, Any]]:
        for top in (self.data.get("prior_state"), self.data.get("planned_values")):
            values = top.get("values") if isinstance(top, Mapping) and "values" in top else top
            root = values.get("root_module") if isinstance(values, Mapping) else None
            if isinstance(root, Mapping):
                for module, _ in self._modules(root, "$"):
                    yield module


def _configured_account(expressions: Mapping[str, Any], decided: Callable[[Any], str | None]) -> str | None:
    """The account a provider block pins: one ``allowed_account_ids`` (``[local.account]``
    read by ``decided`` as the provider's Region is), or ``assume_role``'s role ARN."""
    allowed = expressions.get("allowed_account_ids")
    values = allowed.get("constant_value") if isinstance(allowed, Mapping) else None
    if isinstance(values, list) and len(values) == 1 and isinstance(values[0], str):
        return values[0]
    references = allowed.get("references") if isinstance(allowed, Mapping) and values is None else None
    if isinstance(references, list) and len(references) == 1:
        single = decided({"references": references})
        if single is not None and re.fullmatch(r"\d{12}", single):
            return single
    roles = expressions.get("assume_role")
    for role in roles if isinstance(roles, list) else ():
        arn = role.get("role_arn") if isinstance(role, Mapping) else None
        text = arn.get("constant_value") if isinstance(arn, Mapping) else None
        parsed = Arn.parse_or_none(text) if isinstance(text, str) else None
        if parsed is not None and parsed.account:
            return parsed.account
    return None
