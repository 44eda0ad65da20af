"""One rule of a policy file, already valid against the schema, -> a typed rule.

Here is everything the JSON Schema cannot check: JMESPath expressions compile, call only
functions the rule's kind has, and use no bare ``true``/``false``/``null``; probes fix only
fields the simulator knows; message templates use only known placeholders; an event
rule's ``match`` compiles (:mod:`checker.policy.match`). Every problem of the rule is
reported, not only the first, each naming the rule's ``file:line``, its id and the field.
"""

from __future__ import annotations

import math
import string
from collections.abc import Mapping, Sequence
from typing import Any

import jmespath
import jmespath.exceptions

from checker import limits
from checker.alerting.chain_model import ALERT_PATHS
from checker.alerting.chains import recorded_pattern
from checker.alerting.containment import covers
from checker.alerting.filter_parse import FilterPatternError, parse_strict
from checker.errors import InputError
from checker.jmespath_dialect import (
    DIALECT_FUNCTIONS,
    STANDARD_FUNCTIONS,
    field_names,
    functions_called,
    nesting_depth,
)
from checker.policy.match import compile_match
from checker.policy.model import (
    MESSAGE_PLACEHOLDERS,
    MIN_DAYS_CHECKS,
    AlertedRequirement,
    AllTrails,
    AnyTrail,
    ConfigRule,
    CoverageKept,
    EventRule,
    Expr,
    ExprRequirement,
    LoggedRequirement,
    Probe,
    Requirement,
    Rule,
    StorageCheck,
    StorageRequirement,
    When,
)
from checker.recorders import recorded_by_problems

# The record fields a probe may fix: the selector simulator's fields plus awsRegion.
PROBE_FIELDS = frozenset({
    "eventCategory", "eventSource", "eventName", "eventType", "readOnly", "resources.type", "resources.ARN",
    "userIdentity.arn", "sessionCredentialFromConsole", "errorCode", "vpcEndpointId", "awsRegion",
})


ALERTED_PARAMS: dict[str, Any] = {"via": list(ALERT_PATHS), "multi_region": False}
"""The parameters of an ``alerted`` rule, with their defaults: the alert paths that count, and
whether a metric-filter chain's trail must be multi-Region."""


MIN_DAYS_PARAMS: dict[str, Any] = {"min_days": 365}
"""The parameter of a storage check about how long logs are kept, with its default (PCI DSS 4.0
10.5.1 asks for twelve months)."""


def param_problems(requirement: Requirement, params: Mapping[str, Any]) -> list[str]:
    """What is wrong with the parameters a requirement reads (at load and after ``--param``)."""
    if isinstance(requirement, StorageRequirement):
        days = params.get("min_days")
        if requirement.check in MIN_DAYS_CHECKS and (not isinstance(days, int) or isinstance(days, bool) or days < 1):
            return [f"min_days must be a whole number of days, 1 or more (got {days!r})"]
        return []
    if not isinstance(requirement, AlertedRequirement):
        return []
    problems = []
    via = params.get("via")
    if not isinstance(via, list) or not via or any(path not in ALERT_PATHS for path in via):
        problems.append(f"via must list one or more of {', '.join(ALERT_PATHS)} (got {via!r})")
    if not isinstance(params.get("multi_region"), bool):
        problems.append(f"multi_region must be true or false (got {params.get('multi_region')!r})")
    return problems


def build_rule(item: Mapping[str, Any], where: str, problems: list[InputError]) -> Rule | None:
    """The typed rule of ``item`` (defined at ``where``, ``file:line``), or ``None`` when
    it has problems, which are appended to ``problems``."""
    return _RuleBuilder(item, where, problems).rule()


def expand_probes(probes: Sequence[Mapping[str, Any]]) -> tuple[Probe, ...]:
    """A list value in a probe means one probe per item (``eventName: [A, B]``)."""
    expanded: list[Probe] = []
    for probe in probes:
        variants: list[Probe] = [{}]
        for key, value in probe.items():
            values = value if isinstance(value, list) else [value]
            variants = [{**v, key: one} for v in variants for one in values]
        expanded.extend(variants)
    return tuple(expanded)


class _RuleBuilder:
    """Builds one rule, reporting each problem and carrying on to find the next."""

    def __init__(self, item: Mapping[str, Any], where: str, problems: list[InputError]) -> None:
        self.item = item
        self.where = where
        self.rule_id: str = item["id"]
        self.problems = problems
        self.first_problem = len(problems)

    def report(self, field: str, what: str) -> None:
        self.problems.append(InputError(self.where, f"rule {self.rule_id}: {field}: {what}"))

    @property
    def failed(self) -> bool:
        return len(self.problems) > self.first_problem

    def rule(self) -> Rule | None:
        self.check_messages()
        item = self.item
        meta: dict[str, Any] = {
            "id": self.rule_id,
            "title": item["title"],
            "severity": item["severity"],
            "source": self.where,
            "description": item.get("description", ""),
            "params": dict(item.get("params", {})),
            "messages": dict(item.get("messages", {})),
            "remediation": item.get("remediation", ""),
            "frameworks": {k: [str(c) for c in v] for k, v in item.get("frameworks", {}).items()},
            "references": tuple(item.get("references", ())),
        }
        if item["scope"] == "event":
            return self.event_rule(meta)
        return self.config_rule(meta)

    def event_rule(self, meta: dict[str, Any]) -> EventRule | None:
        item = self.item
        match = compile_match(item.get("match", {}), self.report)
        expr = self.expr(item["expr"], "expr", STANDARD_FUNCTIONS) if "expr" in item else None
        for problem in recorded_by_problems(meta["params"], item.get("logged") is not None):
            self.report("params", problem)
        if match is None or self.failed:
            return None
        return EventRule(**meta, match=match, expr=expr, logged=item.get("logged"),
                         group_by=tuple(item.get("group_by", ())))

    def config_rule(self, meta: dict[str, Any]) -> ConfigRule | None:
        item = self.item
        when = item.get("when")
        gate = self.expr(when["expr"], "when.expr") if when else None
        requirement = self.requirement(item["require"])
        if isinstance(requirement, AlertedRequirement):
            if item["scope"] not in ("account", "region"):
                self.report("scope", f"require.alerted is judged per account or per Region, not per {item['scope']}")
            meta["params"] = {**ALERTED_PARAMS, **meta["params"]}
            for problem in param_problems(requirement, meta["params"]):
                self.report("params", problem)
        for problem in recorded_by_problems(meta["params"], isinstance(requirement, LoggedRequirement)):
            self.report("params", problem)
        if isinstance(requirement, StorageRequirement):
            self.check_storage_scope(requirement, meta)
        elif item["scope"] == "event-data-store" and requirement is not None:
            self.report("scope", "scope event-data-store takes require.storage with store-healthy or store-cmk")
        if requirement is None or self.failed:
            return None
        return ConfigRule(**meta, scope=item["scope"], require=requirement,
                          when=When(gate, when["skip_reason"]) if gate is not None and when else None)

    def requirement(self, data: Mapping[str, Any]) -> Requirement | None:
        """The one requirement of ``require`` (the schema allows exactly one key)."""
        ((kind, body),) = data.items()
        if kind == "expr":
            expr = self.expr(body, "require.expr")
            return ExprRequirement(expr) if expr is not None else None
        if kind == "logged":
            return LoggedRequirement(self.probes(body, "require.logged"))
        if kind == "any_trail":
            return self.quantified(AnyTrail, body, f"require.{kind}")
        if kind == "all_trails":
            return self.quantified(AllTrails, body, f"require.{kind}")
        if kind == "alerted":
            return self.alerted(body)
        if kind == "storage":
            check: StorageCheck = body
            return StorageRequirement(check)
        if kind == "coverage_kept":
            if self.item["scope"] != "trail":
                self.report("scope", f"require.coverage_kept is judged per trail, not per {self.item['scope']}")
            return CoverageKept()
        raise AssertionError(f"require.{kind} passed the policy schema but has no builder")

    def check_storage_scope(self, requirement: StorageRequirement, meta: dict[str, Any]) -> None:
        """A storage check is judged in one scope; one about retention gets ``min_days``."""
        if self.item["scope"] != requirement.scope:
            self.report("scope", f"require.storage {requirement.check} is judged per {requirement.scope}, "
                                 f"not per {self.item['scope']}")
        if requirement.check in MIN_DAYS_CHECKS:
            meta["params"] = {**MIN_DAYS_PARAMS, **meta["params"]}
            for problem in param_problems(requirement, meta["params"]):
                self.report("params", problem)

    def quantified(self, kind: type[AnyTrail | AllTrails], data: Mapping[str, Any],
                   field: str) -> AnyTrail | AllTrails | None:
        before = len(self.problems)
        where = self.expr(data["where"], f"{field}.where") if "where" in data else None
        expr = self.expr(data["expr"], f"{field}.expr") if "expr" in data else None
        logged = self.probes(data.get("logged", ()), f"{field}.logged")
        if len(self.problems) > before:
            return None
        return kind(where=where, logged=logged, expr=expr)

    def alerted(self, data: Mapping[str, Any]) -> AlertedRequirement | None:
        """``require.alerted``: the pattern parses strictly, the probes can restrict it, and
        some record of the probes matches it (a decision within the containment budget)."""
        before = len(self.problems)
        probes = self.probes(data["recorded"], "require.alerted.recorded")
        try:
            pattern = parse_strict(data["pattern"])
        except FilterPatternError as error:
            self.report("require.alerted.pattern", f"invalid filter pattern {_clip(data['pattern'])}: {error}")
            return None
        try:
            within = recorded_pattern(probes)
        except ValueError as error:
            self.report("require.alerted.recorded", f"cannot restrict the pattern to these events: {error}")
            return None
        if len(self.problems) > before:
            return None
        overlap = covers([], pattern, within=[within])
        if overlap.covered is True:
            self.report("require.alerted.pattern", "matches no event of require.alerted.recorded")
            return None
        if overlap.covered is None:
            self.report("require.alerted.pattern", f"cannot be compared with filters: {overlap.reason}")
            return None
        return AlertedRequirement(pattern, probes, within)

    def expr(self, text: str, field: str, functions: frozenset[str] = DIALECT_FUNCTIONS) -> Expr | None:
        """``text`` compiled, or ``None`` after reporting why it cannot be used."""
        depth = limits.EXPRESSION_DEPTH.value()
        try:
            compiled = jmespath.compile(text)
        except jmespath.exceptions.JMESPathError as exc:
            detail = str(exc).splitlines()[0]
            self.report(field, f"invalid JMESPath {_clip(text)}: {detail}")
            return None
        except RecursionError:  # the parser recurses once per level of nesting
            self.report(field, f"JMESPath {_clip(text)}: {limits.EXPRESSION_DEPTH.exceeded('nesting', depth)}")
            return None
        if nesting_depth(compiled.parsed) > depth:
            self.report(field, f"JMESPath {_clip(text)}: {limits.EXPRESSION_DEPTH.exceeded('nesting', depth)}")
            return None
        bare = sorted(field_names(compiled.parsed) & {"true", "false", "null"})
        if bare:
            self.report(field, f"{bare[0]!r} in {text!r} is a field name in JMESPath; "
                               f"write the literal `{bare[0]}` with backticks")
            return None
        unknown = sorted(functions_called(compiled.parsed) - functions)
        if unknown:
            hint = (" (hours_since counts from a snapshot's collection time: configuration rules only)"
                    if set(unknown) <= DIALECT_FUNCTIONS else "")
            self.report(field, f"unknown JMESPath function(s) {', '.join(unknown)} in {text!r}{hint}")
            return None
        return Expr(text, compiled)

    def probes(self, probes: Sequence[Mapping[str, Any]], field: str) -> tuple[Probe, ...]:
        for probe in probes:
            unknown = sorted(set(probe) - PROBE_FIELDS)
            if unknown:
                self.report(field, f"unknown probe field(s) {', '.join(unknown)} "
                                   f"(fields: {', '.join(sorted(PROBE_FIELDS))})")
        # Each probe event costs at least one witness decision, even on one trail with the
        # default selectors: more of them than the budget can never be decided within it.
        # Counted by multiplying the list lengths, before anything is expanded.
        count = sum(math.prod(len(v) if isinstance(v, list) else 1 for v in probe.values()) for probe in probes)
        budget = limits.PROBE_WITNESS_BUDGET.value()
        if count > budget:
            self.report(field, f"the lists expand to {count:,} probe events, one witness decision each at least: "
                               + limits.PROBE_WITNESS_BUDGET.exceeded("that", budget))
            return ()
        return expand_probes(probes)

    def check_messages(self) -> None:
        """Every template names only known placeholders and formats (so it cannot fail later).

        A placeholder takes no format spec or conversion: ``{account_id:>999999999}`` would
        build a gigabyte string for every finding.
        """
        for kind, template in self.item.get("messages", {}).items():
            try:
                fields = [(name, spec, conversion) for _, name, spec, conversion in string.Formatter().parse(template)
                          if name is not None]
            except ValueError as exc:
                self.report(f"messages.{kind}", str(exc))
                continue
            names = [name for name, _, _ in fields]
            decorated = next((f"{{{name}{'!' + conversion if conversion else ''}{':' + spec if spec else ''}}}"
                              for name, spec, conversion in fields if spec or conversion), None)
            if decorated is not None:
                self.report(f"messages.{kind}", f"placeholders take no format spec or conversion: "
                                                f"{_clip(decorated)} (write {{name}})")
                continue
            unknown = sorted({name for name in names if name is not None and name not in MESSAGE_PLACEHOLDERS})
            if unknown:
                self.report(f"messages.{kind}", f"unknown placeholder {{{unknown[0]}}} "
                                                f"(use {', '.join(MESSAGE_PLACEHOLDERS)})")
                continue
            try:
                template.format_map(dict.fromkeys(MESSAGE_PLACEHOLDERS, "-"))
            except ValueError as exc:
                self.report(f"messages.{kind}", f"cannot fill in {template!r}: {exc}")


def _clip(text: str, width: int = 80) -> str:
    """``text`` quoted for a message, its middle cut when long (a 5,000-character expression)."""
    shown = repr(text)
    return shown if len(shown) <= width else f"{shown[:width // 2]}...{shown[-width // 2:]}"
