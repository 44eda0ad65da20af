"""Policy files -> typed rules (:data:`~checker.policy.model.Rule`), or every problem in them.

Loading is the one place a policy is validated, before any evaluation: YAML syntax, the
JSON Schema, then what the schema cannot see (:mod:`checker.policy.rule_builder`:
JMESPath, ``match``, probes, message placeholders), and duplicate ids across files. Every
problem of every file is collected and reported together, one line each, naming
``file:line``, the rule id and the problem: ``trailcheck validate`` and ``trailcheck scan``
share this code, so a scan rejects exactly what ``validate`` rejects.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import yaml

import checker
from checker import limits
from checker.comma_list import comma_list
from checker.errors import InputError, InputErrors
from checker.policy.model import ConfigRule, LoggedRequirement, Rule
from checker.policy.rule_builder import build_rule, param_problems
from checker.recorders import recorded_by_problems
from checker.schemas.validation import SchemaViolation, schema_violations
from checker.userfiles import read_regular_file
from checker.yamlnodes import child, compose_and_construct, line_at

POLICY_SUFFIXES = (".yaml", ".yml")


def builtin_policy_dir() -> Path:
    """The built-in pack: inside the installed wheel, or ``policies/`` of a source checkout."""
    packaged = Path(checker.__file__).parent / "policies"
    return packaged if packaged.is_dir() else Path(checker.__file__).parent.parent / "policies"


@dataclass(frozen=True)
class PolicyFile:
    """A loaded file, recorded in the report's ``inputs.policies``."""

    path: str
    sha256: str


def load_policies(paths: Sequence[Path]) -> tuple[list[Rule], list[PolicyFile]]:
    """Load every rule of the given files and directories; ids must be unique across them.

    Raises :class:`InputErrors` with every problem found, in file and line order.
    """
    problems: list[InputError] = []
    rules: list[Rule] = []
    files: list[PolicyFile] = []
    first_seen: dict[str, str] = {}
    for path in _policy_files(paths, problems):
        try:
            raw = read_regular_file(path, "policy file", limits.YAML_BYTES)
        except InputError as exc:
            problems.append(exc)
            continue
        files.append(PolicyFile(str(path), hashlib.sha256(raw).hexdigest()))
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            problems.append(InputError(str(path), f"not UTF-8 text at byte {exc.start}"))
            continue
        file_rules, file_problems = _parse(text, str(path))
        problems.extend(file_problems)
        for rule in file_rules:
            if rule.id in first_seen:
                problems.append(InputError(rule.source, f"rule {rule.id}: duplicate rule id (first defined at "
                                                        f"{first_seen[rule.id]})"))
                continue
            first_seen[rule.id] = rule.source
            rules.append(rule)
    if problems:
        raise InputErrors(problems)
    return rules, files


def _policy_files(paths: Sequence[Path], problems: list[InputError]) -> list[Path]:
    """Expand directories (recursively, sorted) into policy files."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.suffix in POLICY_SUFFIXES and p.is_file()))
        elif path.exists():  # a FIFO or a device is refused, with what it is, when it is read
            found.append(path)
        else:
            problems.append(InputError(str(path), "no such policy file or directory"))
    return found


def parse_policy(text: str, source: str) -> list[Rule]:
    """The rules of one policy file's text (``source`` names it in messages), or
    :class:`InputErrors` with all its problems."""
    rules, problems = _parse(text, source)
    if problems:
        raise InputErrors(problems)
    return rules


def _parse(text: str, source: str) -> tuple[list[Rule], list[InputError]]:
    """The rules that are right, and the problems of the others."""
    try:
        node, data = compose_and_construct(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        return [], [InputError(where, f"YAML syntax error: {exc.problem or exc.context}")]
    except yaml.YAMLError as exc:
        return [], [InputError(source, f"YAML error: {exc}")]
    except InputError as exc:
        return [], list(exc.problems)
    if node is None:
        return [], [InputError(source, "empty policy file (expected a mapping with 'rules')")]
    violations = sorted(schema_violations("policy", data), key=lambda v: line_at(node, v.path))
    bad_rules = {v.path[1] for v in violations if len(v.path) >= 2 and v.path[0] == "rules"}
    problems = [_schema_problem(v, data, node, source) for v in violations]
    rules_node = child(node, "rules")
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list) or rules_node is None:
        return [], problems
    rules: list[Rule] = []
    built: list[InputError] = []
    for index, (item, item_node) in enumerate(zip(data["rules"], rules_node.value, strict=True)):
        if index not in bad_rules:
            rule = build_rule(item, f"{source}:{item_node.start_mark.line + 1}", built)
            if rule is not None:
                rules.append(rule)
    return rules, _in_line_order(problems + built)


def _in_line_order(problems: list[InputError]) -> list[InputError]:
    """Problems of one file sorted by line (stable: the order found within a line)."""
    def line(problem: InputError) -> int:
        number = problem.where.rsplit(":", 1)[-1]
        return int(number) if number.isdigit() else 0
    return sorted(problems, key=line)


def _schema_problem(violation: SchemaViolation, data: Any, node: yaml.Node, source: str) -> InputError:
    path = list(violation.path)
    line = line_at(node, path)
    rule_id = ""
    if len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int):
        item = data["rules"][path[1]]
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            rule_id = f"rule {item['id']}: "
    field = ".".join(str(p) for p in path[2:]) or "rule"
    where = "/".join(map(str, path)) if not rule_id else field
    return InputError(f"{source}:{line}", f"{rule_id}{where}: {violation.message}")


def apply_params(rules: Sequence[Rule], overrides: Sequence[str]) -> list[Rule]:
    """Apply ``--param rule-id.name=value`` overrides; values are read as YAML scalars, or as
    comma-separated items for a list parameter, and checked as the rule's requirement wants."""
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
        params = {**rule.params, name: _param_value(rule.params[name], value, override)}
        problems = param_problems(rule.require, params) if isinstance(rule, ConfigRule) else []
        problems += recorded_by_problems(params, isinstance(rule.require, LoggedRequirement)
                                         if isinstance(rule, ConfigRule) else rule.logged is not None)
        if problems:
            raise InputError(f"--param {override}", problems[0])
        by_id[rule_id] = replace(rule, params=params)
    return [by_id[r.id] for r in rules]


def _param_value(default: Any, text: str, override: str) -> Any:
    """Read ``text`` as the type of the parameter's default (strings are taken verbatim, a list
    takes comma-separated items)."""
    if isinstance(default, str):
        return text
    if isinstance(default, list):
        return list(comma_list(text))
    try:
        parsed = yaml.safe_load(text) if text else None
    except (yaml.YAMLError, ValueError):  # ValueError: an integer beyond Python's digit limit
        parsed = None
    if isinstance(default, bool):
        ok = isinstance(parsed, bool)
    else:
        ok = isinstance(parsed, (int, float)) and not isinstance(parsed, bool) and math.isfinite(parsed)
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
