"""CloudFormation templates (YAML, JSON, ``cdk synth`` output) -> data with intrinsic functions as values.

YAML templates write intrinsic functions in short form (``!Ref Bucket``,
``!GetAtt Key.Arn``, ``!Sub "arn:${AWS::Partition}:..."``), which a plain YAML loader
refuses or, worse, a permissive one turns into arbitrary objects. Templates are composed
with the bounded composer of :mod:`checker.safeyaml` (no anchors or aliases, no duplicate
keys, limited depth) and constructed here without PyYAML's constructors: each short-form
tag becomes an :class:`Intrinsic` with the line it is on, any other tag is bad input, and
plain scalars are read as YAML 1.1 reads them except timestamps, which stay text
(``AWSTemplateFormatVersion: 2010-09-09``). The long JSON form (``{"Ref": "Bucket"}``,
``{"Fn::GetAtt": [...]}``) becomes the same :class:`Intrinsic`, so the resolver sees one form.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from checker import limits, safejson
from checker.errors import InputError
from checker.safeyaml import compose_single_node
from checker.userfiles import read_regular_file

SHORT_FORMS = {
    "!Ref": "Ref", "!Condition": "Condition", "!Sub": "Fn::Sub", "!GetAtt": "Fn::GetAtt", "!If": "Fn::If",
    "!Equals": "Fn::Equals", "!Not": "Fn::Not", "!And": "Fn::And", "!Or": "Fn::Or", "!Join": "Fn::Join",
    "!Select": "Fn::Select", "!Split": "Fn::Split", "!FindInMap": "Fn::FindInMap", "!ImportValue": "Fn::ImportValue",
    "!Base64": "Fn::Base64", "!Cidr": "Fn::Cidr", "!GetAZs": "Fn::GetAZs",
}
"""The short-form tags CloudFormation knows, and the function each stands for."""

FUNCTIONS = frozenset(SHORT_FORMS.values())

_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STANDARD = "tag:yaml.org,2002:"
_AS_TEXT = frozenset({_STANDARD + "timestamp", _STANDARD + "binary"})  # kept as written, not as date or bytes
_PLAIN_TAGS = frozenset({_STANDARD + name for name in ("str", "int", "float", "bool", "null", "seq", "map")}) | _AS_TEXT
"""The tags of plain YAML data; any other (``!!python/object``, ``!!set``) is refused."""


@dataclass(frozen=True)
class Intrinsic:
    """An intrinsic function call: ``name`` (``Ref``, ``Fn::GetAtt``...), its argument as
    written, and the 1-based line it is on (``None`` in JSON templates)."""

    name: str
    argument: Any
    line: int | None


@dataclass(frozen=True)
class LoadedTemplate:
    """A template's data and the line of each resource's logical id (``None`` when unknown)."""

    data: Mapping[str, Any]
    raw: bytes
    resource_lines: Mapping[str, int]


def load_template(path: Path) -> LoadedTemplate:
    """Read a template file; bad input names the file and line."""
    raw = read_regular_file(path, "CloudFormation template", limits.YAML_BYTES)
    source = str(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(source, f"not UTF-8 text at byte {exc.start}") from None
    if text.lstrip("\ufeff \t\r\n").startswith("{"):
        data = _long_forms(safejson.loads(raw, source))
        lines = _json_resource_lines(text, data)
    else:
        data, lines = _load_yaml(text, source)
    if not isinstance(data, Mapping):
        raise InputError(source, "not a CloudFormation template: the document is not a mapping")
    if not isinstance(data.get("Resources"), Mapping):
        raise InputError(source, "not a CloudFormation template: no Resources mapping")
    return LoadedTemplate(data, raw, lines)


def _load_yaml(text: str, source: str) -> tuple[Any, dict[str, int]]:
    loader = _SafeLoader(text)
    try:
        node = compose_single_node(loader)
        if node is None:
            raise InputError(source, "not a CloudFormation template: the file is empty")
        return _construct(node, loader, source), _yaml_resource_lines(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        raise InputError(where, " ".join(str(exc.problem or exc.context or "invalid YAML").split())) from None
    except yaml.YAMLError as exc:
        raise InputError(source, f"invalid YAML: {' '.join(str(exc).split())}") from None
    finally:
        loader.dispose()


def _construct(root: yaml.Node, loader: Any, source: str) -> Any:
    """Build the data of a node tree, short-form tags as :class:`Intrinsic` (explicit stack)."""
    results: dict[int, Any] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        children = _children(node)
        if not children_done and children:
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(children))
            continue
        results[id(node)] = _value(node, results, loader, source)
    return results[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _value(node: yaml.Node, results: Mapping[int, Any], loader: Any, source: str) -> Any:
    line = int(node.start_mark.line) + 1
    tag = node.tag or ""
    if isinstance(node, yaml.SequenceNode):
        value: Any = [results[id(child)] for child in node.value]
    elif isinstance(node, yaml.MappingNode):
        value = {}
        for key_node, value_node in node.value:
            key = results[id(key_node)]
            if not isinstance(key, str):
                raise InputError(f"{source}:{int(key_node.start_mark.line) + 1}", "a mapping key must be text")
            value[key] = results[id(value_node)]
    elif tag in _PLAIN_TAGS and tag not in _AS_TEXT:
        value = loader.construct_object(node)
    else:
        value = node.value
    if tag in SHORT_FORMS:
        return Intrinsic(SHORT_FORMS[tag], value, line)
    if tag.startswith("!"):
        raise InputError(f"{source}:{line}", f"unknown tag {tag}: CloudFormation's short forms are "
                                             f"{', '.join(SHORT_FORMS)}")
    if tag in _PLAIN_TAGS:
        return _long_form(value, line)
    raise InputError(f"{source}:{line}", f"unknown tag {tag}")


def _long_form(value: Any, line: int | None) -> Any:
    """A one-key mapping naming an intrinsic function (``{"Ref": "X"}``) as an :class:`Intrinsic`."""
    if isinstance(value, dict) and len(value) == 1:
        ((name, argument),) = value.items()
        if name in FUNCTIONS and (name != "Condition" or isinstance(argument, str)):
            return Intrinsic(name, argument, line)
        if name.startswith("Fn::"):
            return Intrinsic(name, argument, line)
    return value


def _long_forms(value: Any) -> Any:
    """Every long-form intrinsic of parsed JSON as an :class:`Intrinsic` (explicit stack)."""
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        entries = item.items() if isinstance(item, dict) else enumerate(item) if isinstance(item, list) else ()
        for key, child in list(entries):
            converted = _long_form(child, None)
            item[key] = converted
            stack.append(converted.argument if isinstance(converted, Intrinsic) else converted)
    return _long_form(value, None)


def _yaml_resource_lines(root: yaml.Node) -> dict[str, int]:
    lines: dict[str, int] = {}
    if isinstance(root, yaml.MappingNode):
        for key, value in root.value:
            if isinstance(key, yaml.ScalarNode) and key.value == "Resources" and isinstance(value, yaml.MappingNode):
                for logical_id, _ in value.value:
                    if isinstance(logical_id, yaml.ScalarNode):
                        lines[logical_id.value] = int(logical_id.start_mark.line) + 1
    return lines


def _json_resource_lines(text: str, data: Any) -> dict[str, int]:
    """The line of each logical id as a key after ``"Resources"`` (``cdk synth`` writes one key a line)."""
    lines: dict[str, int] = {}
    start = text.find('"Resources"')
    resources = data.get("Resources") if isinstance(data, Mapping) else None
    if start < 0 or not isinstance(resources, Mapping):
        return lines
    for logical_id in resources:
        match = re.compile(r'"' + re.escape(logical_id) + r'"\s*:').search(text, start)
        if match is not None:
            lines[logical_id] = text.count("\n", 0, match.start()) + 1
    return lines
