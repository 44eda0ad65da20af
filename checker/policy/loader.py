"""Policy files -> typed rules (:data:`~checker.policy.model.Rule`), or one precise error.

Loading is where every mistake in a policy is caught, before any evaluation: YAML syntax,
the JSON Schema, JMESPath compilation, duplicate ids, unknown parameters and message
placeholders. Each error names ``file:line``, the rule id and the problem.
"""

from __future__ import annotations

import hashlib
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import jmespath
import jmespath.exceptions
import yaml

import checker
from checker.errors import InputError
from checker.jmespath_dialect import DIALECT_FUNCTIONS, STANDARD_FUNCTIONS, field_names, functions_called
from checker.policy.model import (
    AllTrails,
    AnyTrail,
    ConfigRule,
    EventRule,
    Expr,
    ExprRequirement,
    LoggedRequirement,
    Probe,
    Requirement,
    Rule,
    When,
)
from checker.schemas.validation import schema_violation
from checker.yamlnodes import child, compose_and_construct, line_at

POLICY_SUFFIXES = (".yaml", ".yml")
MESSAGE_PLACEHOLDERS = frozenset({"account_id", "region", "resource"})
# The record fields a probe may fix: the selector simulator's fields plus awsRegion.
PROBE_FIELDS = frozenset({
    "eventCategory", "eventSource", "eventName", "eventType", "readOnly", "resources.type", "resources.ARN",
    "userIdentity.arn", "sessionCredentialFromConsole", "errorCode", "vpcEndpointId", "awsRegion",
})


def builtin_policy_dir() -> Path:
    """The built-in pack: inside the installed wheel, or ``policies/`` of a source checkout."""
    packaged = Path(checker.__file__).parent / "policies"
    return packaged if packaged.is_dir() else Path(checker.__file__).parent.parent / "policies"


@dataclass(frozen=True)
class PolicyFile:
    """A loaded file, recorded in the report's ``inputs.policies``."""

    path: str
    sha256: str


def policy_files(paths: Sequence[Path]) -> list[Path]:
    """Expand directories (recursively, sorted) into policy files."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix in POLICY_SUFFIXES and p.is_file()))
        elif path.is_file():
            found.append(path)
        else:
            raise InputError(str(path), "no such policy file or directory")
    return found


def load_policies(paths: Sequence[Path]) -> tuple[list[Rule], list[PolicyFile]]:
    """Load every rule of the given files and directories; ids must be unique across them."""
    rules: list[Rule] = []
    files: list[PolicyFile] = []
    first_seen: dict[str, str] = {}
    for path in policy_files(paths):
        raw = _read(path)
        files.append(PolicyFile(str(path), hashlib.sha256(raw).hexdigest()))
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(str(path), f"not UTF-8 text at byte {exc.start}") from None
        for rule in parse_policy(text, str(path)):
            if rule.id in first_seen:
                raise InputError(rule.source, f"rule {rule.id}: duplicate rule id (first defined at "
                                              f"{first_seen[rule.id]})")
            first_seen[rule.id] = rule.source
            rules.append(rule)
    return rules, files


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(str(path), f"cannot read policy file: {exc.strerror or exc}") from None


def parse_policy(text: str, source: str) -> list[Rule]:
    """Parse one policy file's text; ``source`` is its name in messages."""
    try:
        node, data = compose_and_construct(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        raise InputError(where, f"YAML syntax error: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise InputError(source, f"YAML error: {exc}") from None
    if node is None:
        raise InputError(source, "empty policy file (expected a mapping with 'rules')")
    _validate(data, node, source)
    rules_node = child(node, "rules")
    assert isinstance(rules_node, yaml.SequenceNode)
    return [_rule(item, item_node, source) for item, item_node in zip(data["rules"], rules_node.value, strict=True)]


def _validate(data: Any, node: yaml.Node, source: str) -> None:
    violation = schema_violation("policy", data)
    if violation is None:
        return
    path = list(violation.path)
    line = line_at(node, path)
    rule_id = ""
    if len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int):
        item = data["rules"][path[1]]
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            rule_id = f"rule {item['id']}: "
    field = ".".join(str(p) for p in path[2:]) or "rule"
    where = "/".join(map(str, path)) if not rule_id else field
    raise InputError(f"{source}:{line}", f"{rule_id}{where}: {violation.message}")


def _compile(text: str, where: str, rule_id: str, field: str, functions: frozenset[str] = DIALECT_FUNCTIONS) -> Expr:
    try:
        compiled = jmespath.compile(text)
    except jmespath.exceptions.JMESPathError as exc:
        detail = str(exc).splitlines()[0]
        raise InputError(where, f"rule {rule_id}: {field}: invalid JMESPath {text!r}: {detail}") from None
    bare = sorted(field_names(compiled.parsed) & {"true", "false", "null"})
    if bare:
        raise InputError(where, f"rule {rule_id}: {field}: {bare[0]!r} in {text!r} is a field name in JMESPath; "
                                f"write the literal `{bare[0]}` with backticks")
    unknown = sorted(functions_called(compiled.parsed) - functions)
    if unknown:
        raise InputError(where, f"rule {rule_id}: {field}: unknown JMESPath function(s) {', '.join(unknown)} "
                                f"in {text!r}")
    return Expr(text, compiled)


def _check_probes(probes: Sequence[Mapping[str, Any]], where: str, rule_id: str, field: str) -> None:
    for probe in probes:
        unknown = sorted(set(probe) - PROBE_FIELDS)
        if unknown:
            raise InputError(where, f"rule {rule_id}: {field}: unknown probe field(s) {', '.join(unknown)} "
                                    f"(fields: {', '.join(sorted(PROBE_FIELDS))})")


def expand_probes(probes: Sequence[Mapping[str, Any]]) -> tuple[Probe, ...]:
    """A list value in a probe means one probe per item (``eventName: [A, B]``)."""
    expanded: list[Probe] = []
    for probe in probes:
        keys = list(probe)
        variants: list[Probe] = [{}]
        for key in keys:
            values = probe[key] if isinstance(probe[key], list) else [probe[key]]
            variants = [{**v, key: value} for v in variants for value in values]
        expanded.extend(variants)
    return tuple(expanded)


def _quantified(kind: type[AnyTrail | AllTrails], data: Mapping[str, Any], where: str, rule_id: str,
                name: str) -> AnyTrail | AllTrails:
    _check_probes(data.get("logged", ()), where, rule_id, f"require.{name}.logged")
    return kind(
        where=_compile(data["where"], where, rule_id, f"require.{name}.where") if "where" in data else None,
        logged=expand_probes(data.get("logged", ())),
        expr=_compile(data["expr"], where, rule_id, f"require.{name}.expr") if "expr" in data else None,
    )


def _requirement(data: Mapping[str, Any], where: str, rule_id: str) -> Requirement:
    """The one requirement of ``require`` (the schema allows exactly one key)."""
    ((kind, body),) = data.items()
    if kind == "expr":
        return ExprRequirement(_compile(body, where, rule_id, "require.expr"))
    if kind == "logged":
        _check_probes(body, where, rule_id, "require.logged")
        return LoggedRequirement(expand_probes(body))
    if kind == "any_trail":
        return _quantified(AnyTrail, body, where, rule_id, kind)
    if kind == "all_trails":
        return _quantified(AllTrails, body, where, rule_id, kind)
    raise AssertionError(f"require.{kind} passed the schema but has no loader")


def _rule(item: Mapping[str, Any], node: yaml.Node, source: str) -> Rule:
    where = f"{source}:{node.start_mark.line + 1}"
    rule_id = item["id"]
    for kind, template in item.get("messages", {}).items():
        try:
            fields = [name for _, name, _, _ in string.Formatter().parse(template)]
        except ValueError as exc:
            raise InputError(where, f"rule {rule_id}: messages.{kind}: {exc}") from None
        for name in fields:
            if name is not None and name not in MESSAGE_PLACEHOLDERS:
                raise InputError(where, f"rule {rule_id}: messages.{kind}: unknown placeholder {{{name}}} "
                                        f"(use {', '.join(sorted(MESSAGE_PLACEHOLDERS))})")
    meta: dict[str, Any] = {
        "id": rule_id,
        "title": item["title"],
        "severity": item["severity"],
        "source": where,
        "description": item.get("description", ""),
        "params": dict(item.get("params", {})),
        "messages": dict(item.get("messages", {})),
        "remediation": item.get("remediation", ""),
        "frameworks": {k: [str(c) for c in v] for k, v in item.get("frameworks", {}).items()},
        "references": tuple(item.get("references", ())),
    }
    if item["scope"] == "event":
        return EventRule(
            **meta,
            match=dict(item.get("match", {})),
            expr=_compile(item["expr"], where, rule_id, "expr", STANDARD_FUNCTIONS) if "expr" in item else None,
            logged=item.get("logged"),
            group_by=tuple(item.get("group_by", ())),
        )
    when = item.get("when")
    return ConfigRule(
        **meta,
        scope=item["scope"],
        require=_requirement(item["require"], where, rule_id),
        when=When(_compile(when["expr"], where, rule_id, "when.expr"), when["skip_reason"]) if when else None,
    )


def apply_params(rules: Sequence[Rule], overrides: Sequence[str]) -> list[Rule]:
    """Apply ``--param rule-id.name=value`` overrides; values are read as YAML scalars."""
    by_id = {r.id: r for r in rules}
    for override in overrides:
        target, sep, value = override.partition("=")
        rule_id, dot, name = target.rpartition(".")
        if not sep or not dot:
            raise InputError(f"--param {override}", "expected RULE-ID.NAME=VALUE")
        if rule_id not in by_id:
            raise InputError(f"--param {override}", f"unknown rule id {rule_id!r}")
        rule = by_id[rule_id]
        if name not in rule.params:
            known = ", ".join(sorted(rule.params)) or "none"
            raise InputError(f"--param {override}", f"rule {rule_id} has no parameter {name!r} (parameters: {known})")
        by_id[rule_id] = replace(rule, params={**rule.params, name: _param_value(rule.params[name], value, override)})
    return [by_id[r.id] for r in rules]


def _param_value(default: Any, text: str, override: str) -> Any:
    """Read ``text`` as the type of the parameter's default (strings are taken verbatim)."""
    if isinstance(default, str):
        return text
    parsed = yaml.safe_load(text) if text else None
    if isinstance(default, bool):
        ok = isinstance(parsed, bool)
    else:
        ok = isinstance(parsed, (int, float)) and not isinstance(parsed, bool)
    if not ok:
        kind = "true/false" if isinstance(default, bool) else "number"
        raise InputError(f"--param {override}", f"expected a {kind} value, got {text!r}")
    return parsed


def select_rules(rules: Sequence[Rule], only: Sequence[str], skip: Sequence[str]) -> list[Rule]:
    """``--rules`` / ``--skip-rules``: unknown ids are an input error, not a silent no-op."""
    known = {r.id for r in rules}
    for option, ids in (("--rules", only), ("--skip-rules", skip)):
        unknown = sorted(set(ids) - known)
        if unknown:
            raise InputError(option, f"unknown rule id(s): {', '.join(unknown)} (see 'trailcheck rules')")
    return [r for r in rules if (not only or r.id in only) and r.id not in skip]
