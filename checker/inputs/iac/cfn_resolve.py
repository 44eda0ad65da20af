"""CloudFormation intrinsic functions, resolved where the template decides them.

One deployment of a template (a Region, an account) fixes the pseudo parameters; the
template fixes parameter defaults, mappings and conditions. Everything they decide is
resolved: ``Ref`` of a parameter, ``Fn::Sub`` of ``${AWS::Region}``, ``Fn::If`` on a
condition of defaults, ``Fn::Join``, ``Fn::Select``, ``Fn::FindInMap``... What the
deployment decides later (a parameter without a default, an attribute of a resource the
stack creates, another stack's export) is an :class:`~checker.inputs.iac.values.Unknown`
with the reason, except where the template shows *which* resource a value names
(``!GetAtt TrailKey.Arn`` of an ``AWS::KMS::Key``, ``!Ref AlertTopic`` of an
``AWS::SNS::Topic``): that is the resource's stand-in identifier, the same one the
resource itself gets (:mod:`checker.inputs.iac.values`). The account is a placeholder:
``AWS::AccountId`` is the deployment's account, the same symbol everywhere.

A reference to nothing (``!Ref Missing``, a condition that is not defined) is bad input
naming the file, line and property.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from checker.errors import InputError
from checker.inputs.iac.cfn_load import Intrinsic
from checker.inputs.iac.values import (
    Unknown,
    key_stand_in,
    log_group_arn,
    partition_of,
    stand_in_arn,
    topic_arn,
    trail_arn,
)


class _NoValue:
    """``AWS::NoValue``: the property is removed."""


NO_VALUE = _NoValue()
_SUB = re.compile(r"\$\{([^}]*)\}")


@dataclass(frozen=True)
class Deployment:
    """Where one copy of the template is deployed."""

    region: str
    account: str

    @property
    def partition(self) -> str:
        return partition_of(self.region)


class Resolver:
    """Resolves one template for one :class:`Deployment` (see the module docstring)."""

    def __init__(self, template: Mapping[str, Any], deployment: Deployment, source: str) -> None:
        self.template = template
        self.deployment = deployment
        self.source = source
        self.resources: Mapping[str, Any] = template.get("Resources") or {}
        self.conditions: Mapping[str, Any] = self._section("Conditions")
        self.mappings: Mapping[str, Any] = self._section("Mappings")
        self._parameters: Mapping[str, Any] = self._section("Parameters")
        self._decided: dict[str, bool | Unknown] = {}
        self._deciding: list[str] = []

    def _section(self, name: str) -> Mapping[str, Any]:
        section = self.template.get(name) or {}
        if not isinstance(section, Mapping):
            raise InputError(self.source, f"{name}: expected a mapping")
        return section

    def fail(self, line: int | None, where: str, problem: str) -> InputError:
        return InputError(f"{self.source}:{line}" if line else self.source, f"{where}: {problem}")

    # -- resources and conditions -------------------------------------------------------

    def exists(self, logical_id: str, line: int | None) -> bool | Unknown:
        """Whether the resource is created: its ``Condition`` (if any) holds."""
        resource = self.resources[logical_id]
        name = resource.get("Condition") if isinstance(resource, Mapping) else None
        if name is None:
            return True
        if not isinstance(name, str):
            raise self.fail(line, f"Resources.{logical_id}.Condition", "expected the name of a condition")
        return self.condition(name, line, f"Resources.{logical_id}.Condition")

    def condition(self, name: str, line: int | None, where: str) -> bool | Unknown:
        """The value of a named condition (each evaluated once; a cycle is bad input)."""
        if name in self._decided:
            return self._decided[name]
        if name not in self.conditions:
            raise self.fail(line, where, f"condition {name!r} is not defined in Conditions")
        if name in self._deciding:
            raise self.fail(line, where, f"condition {name!r} depends on itself ({' -> '.join(self._deciding)})")
        self._deciding.append(name)
        value = self.value(self.conditions[name], f"Conditions.{name}", line)
        self._deciding.pop()
        if not isinstance(value, (bool, Unknown)):
            raise self.fail(line, f"Conditions.{name}", "a condition must be Fn::Equals, Fn::And, Fn::Or, Fn::Not "
                                                        "or Condition")
        self._decided[name] = value
        return value

    # -- values ------------------------------------------------------------------------

    def value(self, value: Any, where: str, line: int | None) -> Any:
        """``value`` with every intrinsic resolved; ``AWS::NoValue`` removes the item."""
        if isinstance(value, Intrinsic):
            return self._call(value, where, value.line or line)
        if isinstance(value, Mapping):
            resolved = {key: self.value(item, f"{where}.{key}", line) for key, item in value.items()}
            return {key: item for key, item in resolved.items() if item is not NO_VALUE}
        if isinstance(value, list):
            items = [self.value(item, f"{where}[{i}]", line) for i, item in enumerate(value)]
            return [item for item in items if item is not NO_VALUE]
        return value

    def _call(self, call: Intrinsic, where: str, line: int | None) -> Any:
        handler = _HANDLERS.get(call.name)
        if handler is None:
            raise self.fail(line, where, f"unsupported intrinsic function {call.name}")
        return handler(self, call.argument, f"{where} ({_shown(call.name)})", line)

    def _args(self, argument: Any, count: int, where: str, line: int | None, name: str) -> list[Any]:
        if not isinstance(argument, list) or len(argument) != count:
            raise self.fail(line, where, f"{name} takes a list of {count}")
        return argument

    def ref(self, name: Any, where: str, line: int | None) -> Any:
        if not isinstance(name, str):
            raise self.fail(line, where, "Ref takes a name")
        pseudo = self._pseudo(name)
        if pseudo is not None:
            return pseudo
        if name in self._parameters:
            return self._parameter(name, line)
        if name in self.resources:
            return self.identity(name, None, where, line)
        raise self.fail(line, where, f"Ref {name}: no parameter, resource or pseudo parameter of that name")

    def _pseudo(self, name: str) -> Any:
        region, partition = self.deployment.region, self.deployment.partition
        values: dict[str, Any] = {
            "AWS::Region": region, "AWS::AccountId": self.deployment.account, "AWS::Partition": partition,
            "AWS::URLSuffix": "amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com",
            "AWS::NoValue": NO_VALUE,
        }
        if name in values:
            return values[name]
        if name in ("AWS::StackName", "AWS::StackId", "AWS::NotificationARNs"):
            return Unknown(f"{name} is known only at deployment")
        return None

    def _parameter(self, name: str, line: int | None) -> Any:
        declared = self._parameters[name]
        kind = str(declared.get("Type", "String")) if isinstance(declared, Mapping) else "String"
        if kind.startswith("AWS::SSM::Parameter::Value"):
            return Unknown(f"parameter {name} is read from SSM Parameter Store at deployment")
        if not isinstance(declared, Mapping) or "Default" not in declared:
            return Unknown(f"parameter {name} has no default: its value is given at deployment")
        default = self.value(declared["Default"], f"Parameters.{name}.Default", line)
        if (kind == "CommaDelimitedList" or kind.startswith("List<")) and isinstance(default, str):
            return [item.strip() for item in default.split(",")]
        return _text(default) if isinstance(default, (int, float, bool)) else default

    def get_att(self, argument: Any, where: str, line: int | None) -> Any:
        if isinstance(argument, str) and "." in argument:
            argument = argument.split(".", 1)
        if not isinstance(argument, list) or len(argument) != 2 or not isinstance(argument[0], str):
            raise self.fail(line, where, "Fn::GetAtt takes a logical id and an attribute")
        logical_id = argument[0]
        attribute = self.value(argument[1], where, line)
        if logical_id not in self.resources:
            raise self.fail(line, where, f"GetAtt {logical_id}: no resource of that logical id")
        if not isinstance(attribute, str):
            return Unknown(f"the attribute of GetAtt {logical_id} is not decided")
        return self.identity(logical_id, attribute, where, line)

    def identity(self, logical_id: str, attribute: str | None, where: str, line: int | None) -> Any:
        """What ``Ref`` (``attribute`` None) or ``GetAtt`` of a resource of this template gives."""
        resource = self.resources[logical_id]
        kind = resource.get("Type") if isinstance(resource, Mapping) else None
        properties = resource.get("Properties") if isinstance(resource, Mapping) else None
        properties = properties if isinstance(properties, Mapping) else {}
        region, account = self.deployment.region, self.deployment.account

        def name(prop: str) -> str:
            value = self.value(properties.get(prop), f"Resources.{logical_id}.Properties.{prop}", line)
            return value if isinstance(value, str) and value else logical_id

        ids: dict[str | None, Any] = {}
        if kind == "AWS::SNS::Topic":
            arn = topic_arn(region, account, name("TopicName"))
            ids = {None: arn, "TopicArn": arn, "TopicName": name("TopicName")}
        elif kind == "AWS::KMS::Key":
            arn = key_stand_in(region, account, logical_id)
            ids = {None: arn, "Arn": arn, "KeyId": arn}
        elif kind == "AWS::KMS::Alias":
            alias = self.value(properties.get("AliasName"), f"Resources.{logical_id}.Properties.AliasName", line)
            if isinstance(alias, (str, Unknown)):
                ids = {None: alias}  # the alias name (alias/NAME): an alias has no attribute
        elif kind == "AWS::Logs::LogGroup":
            ids = {None: name("LogGroupName"), "Arn": log_group_arn(region, account, name("LogGroupName"))}
        elif kind == "AWS::CloudTrail::Trail":
            arn = trail_arn(region, account, name("TrailName"))
            ids = {None: name("TrailName"), "Arn": arn}
        elif kind == "AWS::CloudTrail::EventDataStore":
            arn = stand_in_arn("cloudtrail", region, account, f"eventdatastore/{name('Name')}")
            ids = {None: arn, "EventDataStoreArn": arn}
        elif kind == "AWS::CloudWatch::Alarm":
            ids = {None: name("AlarmName"),
                   "Arn": stand_in_arn("cloudwatch", region, account, f"alarm:{name('AlarmName')}")}
        elif kind == "AWS::Events::EventBus":
            ids = {None: name("Name"), "Name": name("Name"),
                   "Arn": stand_in_arn("events", region, account, f"event-bus/{name('Name')}")}
        elif kind == "AWS::Events::Rule":
            ids = {None: name("Name"), "Arn": stand_in_arn("events", region, account, f"rule/{name('Name')}")}
        elif kind == "AWS::S3::Bucket" and name("BucketName") != logical_id:
            bucket = name("BucketName")
            ids = {None: bucket, "Arn": f"arn:{self.deployment.partition}:s3:::{bucket}"}
        if attribute in ids:
            return ids[attribute]
        asked = f"GetAtt {logical_id}.{attribute}" if attribute else f"Ref {logical_id}"
        return Unknown(f"{asked} ({kind}) is known only after deployment")


def _text(value: Any) -> str:
    """A scalar as CloudFormation passes it on: text (``true``, ``5``)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _shown(name: str) -> str:
    return "!" + name.removeprefix("Fn::")


def _first_unknown(*values: Any) -> Unknown | None:
    return next((v for v in values if isinstance(v, Unknown)), None)


def _sub(resolver: Resolver, argument: Any, where: str, line: int | None) -> Any:
    template, variables = argument, {}
    if isinstance(argument, list):
        if len(argument) != 2 or not isinstance(argument[1], Mapping):
            raise resolver.fail(line, where, "Fn::Sub takes a string, or a string and a mapping of variables")
        template, variables = argument
    if not isinstance(template, str):
        raise resolver.fail(line, where, "Fn::Sub takes a string")
    values = {key: resolver.value(value, f"{where}.{key}", line) for key, value in variables.items()}
    unknown: list[Unknown] = []

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        if name in values:
            value = values[name]
        elif "." in name and name.split(".", 1)[0] in resolver.resources:
            value = resolver.get_att(name, where, line)
        else:
            value = resolver.ref(name, where, line)
        if isinstance(value, Unknown):
            unknown.append(value)
            return ""
        if isinstance(value, (list, dict)) or value is NO_VALUE:
            raise resolver.fail(line, where, f"${{{name}}} is not text")
        return _text(value)

    text = _SUB.sub(replace, template)
    return unknown[0] if unknown else text


def _if(resolver: Resolver, argument: Any, where: str, line: int | None) -> Any:
    name, when_true, when_false = resolver._args(argument, 3, where, line, "Fn::If")
    if not isinstance(name, str):
        raise resolver.fail(line, where, "Fn::If takes the name of a condition first")
    decided = resolver.condition(name, line, where)
    if isinstance(decided, Unknown):
        first, second = resolver.value(when_true, where, line), resolver.value(when_false, where, line)
        return first if first == second else decided
    return resolver.value(when_true if decided else when_false, where, line)


def _equals(resolver: Resolver, argument: Any, where: str, line: int | None) -> Any:
    first, second = (resolver.value(item, where, line) for item in resolver._args(argument, 2, where, line,
                                                                                   "Fn::Equals"))
    unknown = _first_unknown(first, second)
    if unknown is not None:
        return unknown
    plain = [_text(v) if isinstance(v, (int, float, bool)) else v for v in (first, second)]
    return plain[0] == plain[1]


def _logic(resolver: Resolver, argument: Any, where: str, line: int | None, absorbing: bool) -> Any:
    """``Fn::And`` (``absorbing`` False) or ``Fn::Or`` (True): one absorbing value decides, even next to unknowns."""
    if not isinstance(argument, list) or not argument:
        raise resolver.fail(line, where, "Fn::And and Fn::Or take a list of conditions")
    values = [resolver.value(item, where, line) for item in argument]
    if any(v is absorbing for v in values):
        return absorbing
    unknown = _first_unknown(*values)
    if unknown is not None:
        return unknown
    if not all(isinstance(v, bool) for v in values):
        raise resolver.fail(line, where, "a condition function takes conditions")
    return not absorbing


def _not(resolver: Resolver, argument: Any, where: str, line: int | None) -> Any:
    (value,) = (resolver.value(item, where, line) for item in resolver._args(argument, 1, where, line, "Fn::Not"))
    if isinstance(value, Unknown):
        return value
    if not isinstance(value, bool):
        raise resolver.fail(line, where, "Fn::Not takes a condition")
    return not value


def _condition(resolver: Resolver, argument: Any, where: str, line: int | None) -> Any:
    if not isinstance(argument, str):
        raise resolver.fail(line, where, "Condition takes the name of a condition")
    return resolver.condition(argument, line, where)


def _join(resolver: Resolver, argument: Any, where: str, line: int | None) -> Any:
    delimiter, items = (resolver.value(item, where, line) for item in resolver._args(argument, 2, where, line,
                                                                                     "Fn::Join"))
    unknown = _first_unknown(delimiter, items) or (_first_unknown(*items) if isinstance(items, list) else None)
    if unknown is not None:
        return unknown
    if not isinstance(delimiter, str) or not isinstance(items, list):
        raise resolver.fail(line, where, "Fn::Join takes a delimiter and a list")
    return delimiter.join(_text(item) for item in items)


def _select(resolver: Resolver, argument: Any, where: str, line: int | None) -> Any:
    index, items = (resolver.value(item, where, line) for item in resolver._args(argument, 2, where, line,
                                                                                 "Fn::Select"))
    unknown = _first_unknown(index, items)
    if unknown is not None:
        return unknown
    if not isinstance(items, list) or not str(index).isdigit() or int(index) >= len(items):
        raise resolver.fail(line, where, f"Fn::Select: index {index!r} is not within the list")
    return items[int(index)]


def _split(resolver: Resolver, argument: Any, where: str, line: int | None) -> Any:
    delimiter, text = (resolver.value(item, where, line) for item in resolver._args(argument, 2, where, line,
                                                                                    "Fn::Split"))
    unknown = _first_unknown(delimiter, text)
    if unknown is not None:
        return unknown
    if not isinstance(delimiter, str) or not isinstance(text, str) or not delimiter:
        raise resolver.fail(line, where, "Fn::Split takes a delimiter and a string")
    return text.split(delimiter)


def _find_in_map(resolver: Resolver, argument: Any, where: str, line: int | None) -> Any:
    if not isinstance(argument, list) or len(argument) not in (3, 4):
        raise resolver.fail(line, where, "Fn::FindInMap takes a map name and two keys")
    keys = [resolver.value(item, where, line) for item in argument[:3]]
    unknown = _first_unknown(*keys)
    if unknown is not None:
        return unknown
    found: Any = resolver.mappings
    for key in keys:
        if not isinstance(found, Mapping) or _text(key) not in found:
            raise resolver.fail(line, where, f"Fn::FindInMap: no entry {' / '.join(_text(k) for k in keys)} "
                                             "in Mappings")
        found = found[_text(key)]
    return resolver.value(found, where, line)


def _base64(resolver: Resolver, argument: Any, where: str, line: int | None) -> Any:
    text = resolver.value(argument, where, line)
    if isinstance(text, Unknown):
        return text
    return base64.b64encode(_text(text).encode()).decode()


def _later(what: str) -> Any:
    def handler(resolver: Resolver, argument: Any, where: str, line: int | None) -> Any:
        return Unknown(what)
    return handler


_HANDLERS = {
    "Ref": lambda r, a, w, line: r.ref(a, w, line),
    "Fn::GetAtt": lambda r, a, w, line: r.get_att(a, w, line),
    "Fn::Sub": _sub, "Fn::If": _if, "Fn::Equals": _equals, "Fn::Not": _not, "Condition": _condition,
    "Fn::And": lambda r, a, w, line: _logic(r, a, w, line, absorbing=False),
    "Fn::Or": lambda r, a, w, line: _logic(r, a, w, line, absorbing=True),
    "Fn::Join": _join, "Fn::Select": _select, "Fn::Split": _split, "Fn::FindInMap": _find_in_map,
    "Fn::Base64": _base64,
    "Fn::ImportValue": _later("Fn::ImportValue reads another stack's export: known only at deployment"),
    "Fn::GetAZs": _later("Fn::GetAZs is known only at deployment"),
    "Fn::Cidr": _later("Fn::Cidr is computed at deployment"),
}
