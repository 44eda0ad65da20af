"""Configuration rules (scopes trail, region, account, organization) -> findings.

Each rule is evaluated once per *unit* of its scope. A unit knows the trails that reach
it, the (account, region) *cells* where probe events must be logged, its JMESPath
document, and the collection errors that could hide a trail. Coverage is monotonic
(docs/semantics.md), so "covered" stands despite missing data, while "not covered" with
data missing in that cell is an ``error``, never a ``fail``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from checker.alerting.chains import AlertJudge
from checker.arn import Arn
from checker.cycles import without_cycle_collection
from checker.engine.code_view import IN_CONFIGURATION, code_identity, code_skip
from checker.engine.expressions import Outcome, evaluate, trail_document
from checker.engine.parallel import judge_all
from checker.engine.regression import RegressionJudge
from checker.findings import Finding, Status
from checker.model import CollectionError, Snapshot, Trail
from checker.plan.rules import MISSING_FAMILY, alert_question, family_of
from checker.policy.model import (
    AlertedRequirement,
    AllTrails,
    AnyTrail,
    ConfigRule,
    CoverageKept,
    ExprRequirement,
    LoggedRequirement,
    Probe,
    Rule,
    StorageRequirement,
    TrailQuantifier,
)
from checker.recorders import HidingErrors, RecorderFamily, recorded_by, recorders_reaching
from checker.simulator import CoverageJudge, ProbeResult, ProbeTooLargeError
from checker.simulator.decide import region_reach, status_decision
from checker.storage.judge import judge_store, judge_trail, skip_reason
from checker.storage.on_code import stores_undecided
from checker.storage_model import STORAGE_OPERATIONS, EventDataStore
from checker.typing_compat import assert_never

Cell = tuple[str, str]


@dataclass(frozen=True)
class Unit:
    """One thing a rule is judged on, with everything the judgement may read."""

    account_id: str | None
    region: str | None
    resource: str | None
    cells: tuple[Cell, ...]
    trails: tuple[Trail, ...]
    document: dict[str, Any]
    errors: tuple[CollectionError, ...]
    trail: Trail | None = None
    store: EventDataStore | None = None


_WHOLE_SNAPSHOT = Unit(None, None, None, (), (), {}, ())
"""The one unit of a rule whose data family the snapshot lacks: no account, Region or resource."""


@dataclass
class Verdict:
    status: Status
    detail: str
    evidence: dict[str, Any] = field(default_factory=dict)


def _trail_docs(trails: Sequence[Trail]) -> list[dict[str, Any]]:
    return [t.document for t in trails]


def units_of(rule: ConfigRule, snapshot: Snapshot) -> list[Unit]:
    """The units of ``rule``'s scope in ``snapshot``, in report order."""
    params = dict(rule.params)
    scope = rule.scope
    if isinstance(rule.require, CoverageKept):
        return _change_units(snapshot, params)
    if scope == "trail":
        return _trail_units(snapshot, params)
    if scope == "region":
        return _region_units(snapshot, params)
    if scope == "account":
        return _account_units(snapshot, params)
    if scope == "organization":
        return _organization_units(snapshot, params)
    if scope == "event-data-store":
        return _store_units(snapshot, params)
    assert_never(scope)


def _trail_units(snapshot: Snapshot, params: dict[str, Any]) -> list[Unit]:
    units = []
    for trail in snapshot.all_trails():
        account = snapshot.account(trail.owner_account_id)
        errors = account.errors_in(trail.home_region) if account else ()
        units.append(Unit(trail.owner_account_id, trail.home_region, trail.arn,
                          ((trail.owner_account_id, trail.home_region),), (trail,),
                          trail_document(trail, params), errors, trail))
    return units


def _change_units(snapshot: Snapshot, params: dict[str, Any]) -> list[Unit]:
    """One unit per trail resource a change in code touches (its trail after the change, or
    before when it is deleted); every trail when nothing is known of before; none for an estate."""
    code = snapshot.code
    if code is None:
        return []
    if code.changes is None:
        return _trail_units(snapshot, params)
    units = []
    for change in code.changes:
        trail = change.after or change.before
        if trail is not None:
            units.append(Unit(trail.owner_account_id, trail.home_region, change.resource,
                              ((trail.owner_account_id, trail.home_region),), (trail,),
                              trail_document(trail, params), (), trail))
    return units


def _region_units(snapshot: Snapshot, params: dict[str, Any]) -> list[Unit]:
    units = []
    for a in snapshot.accounts:
        reaching = snapshot.trails_reaching(a.account_id)
        for region in a.regions:
            trails = tuple(t for t in reaching if region_reach(t, region) is None)
            units.append(Unit(a.account_id, region, None, ((a.account_id, region),), trails,
                              {"account_id": a.account_id, "region": region, "trails": _trail_docs(trails),
                               "params": params},
                              a.errors_in(region)))
    return units


def _account_units(snapshot: Snapshot, params: dict[str, Any]) -> list[Unit]:
    return [Unit(a.account_id, None, None, tuple((a.account_id, r) for r in a.regions),
                 tuple(snapshot.trails_reaching(a.account_id)),
                 {"account_id": a.account_id, "name": a.name, "regions": list(a.regions),
                  "trails": _trail_docs(snapshot.trails_reaching(a.account_id)), "params": params},
                 a.errors)
            for a in snapshot.accounts]


def _organization_units(snapshot: Snapshot, params: dict[str, Any]) -> list[Unit]:
    """One unit for the organization; none when the snapshot has no organization."""
    org = snapshot.organization
    if org is None:
        return []
    trails = tuple(snapshot.all_trails())
    return [Unit(org.management_account_id, None, org.id,
                 tuple((a.account_id, r) for a in snapshot.accounts for r in a.regions), trails,
                 {"id": org.id, "management_account_id": org.management_account_id,
                  "accounts": [a.account_id for a in snapshot.accounts], "trails": _trail_docs(trails),
                  "params": params},
                 tuple(e for a in snapshot.accounts for e in a.errors))]


def _store_units(snapshot: Snapshot, params: dict[str, Any]) -> list[Unit]:
    """One unit per CloudTrail Lake event data store, named like a trail (owner account, home
    Region, store ARN), its document the GetEventDataStore answer. A Region in scope whose stores
    were not listed is a unit of its own (account and Region: unknown). Code that defines no
    event data stores has one unit per account, where the check says why it is skipped."""
    if not snapshot.carries("event-data-stores"):
        return [Unit(a.account_id, None, None, (), (), {"account_id": a.account_id, "params": params}, ())
                for a in snapshot.accounts]
    units = []
    for a in snapshot.accounts:
        listed = a.storage.event_data_stores if a.storage is not None else {}
        for region in sorted({*a.regions, *listed}):
            stores = listed.get(region)
            if stores is None:
                errors = tuple(e for e in a.errors if STORAGE_OPERATIONS.get(e.operation) == "event_data_stores"
                               and e.region in (None, region))
                units.append(Unit(a.account_id, region, None, ((a.account_id, region),), (),
                                  {"account_id": a.account_id, "region": region, "params": params}, errors))
                continue
            units += [Unit(s.owner_account_id, s.region, s.arn, ((s.owner_account_id, s.region),), (),
                           {**s.document, "params": params}, (), store=s)
                      for s in stores if s.owner_account_id == a.account_id]
    return units


class ConfigEvaluator:
    """Evaluates configuration rules against one snapshot."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.alerts = AlertJudge(snapshot)
        self.coverage = CoverageJudge()
        self._units_by_kind: dict[tuple[str, type, str], list[Unit]] = {}
        self.regression: RegressionJudge | None = None
        self._evidence: dict[tuple[Any, ...], tuple[object, dict[str, Any]]] = {}

    def evaluate(self, rules: Sequence[Rule]) -> list[Finding]:
        """Findings of the configuration rules among ``rules`` (event rules are the event engine's)."""
        if self.snapshot.code is not None:
            probes = [(rule.id, probe) for rule in rules
                      if isinstance(rule, ConfigRule) and isinstance(rule.require, LoggedRequirement)
                      for probe in rule.require.probes]
            self.regression = RegressionJudge(self.snapshot, self.snapshot.code, probes)
        with without_cycle_collection():
            tasks = [((rule, units), len(units)) for rule in rules if isinstance(rule, ConfigRule)
                     for units in (self._units(rule),)]
            return judge_all(tasks, self._judge)

    def _judge(self, task: tuple[ConfigRule, list[Unit]], start: int, stop: int) -> list[Finding]:
        """The findings of a rule's units ``start:stop`` (checker.engine.parallel splits them)."""
        rule, units = task
        return [self._finding(rule, unit, self._verdict(rule, unit)) for unit in units[start:stop]]

    def _units(self, rule: ConfigRule) -> list[Unit]:
        """``units_of(rule)``, built once for all the rules that would get the same units (same
        scope, kind of requirement and parameters): nine region rules over 1,000 accounts x 17
        Regions share 17,000 units."""
        if self._lacks_data(rule):
            return [_WHOLE_SNAPSHOT]
        key = (rule.scope, type(rule.require), repr(sorted(rule.params.items())))
        units = self._units_by_kind.get(key)
        if units is None:
            units = self._units_by_kind[key] = units_of(rule, self.snapshot)
        return units

    # -- verdicts ---------------------------------------------------------------------

    def _lacks_data(self, rule: ConfigRule) -> bool:
        """Whether a collected snapshot lacks the data family ``rule`` reads: the rule is judged
        nowhere, so it is one ``skipped`` finding for the whole snapshot, not one per unit (at
        1,000 accounts x 17 Regions, 17,000 copies of one reason). Code is judged per unit: what
        it lacks is said where it is (checker.engine.code_view)."""
        return self.snapshot.code is None and not self.snapshot.carries(family_of(rule))

    def _verdict(self, rule: ConfigRule, unit: Unit) -> Verdict:
        if unit is _WHOLE_SNAPSHOT:
            return Verdict("skipped", MISSING_FAMILY[family_of(rule)])
        code = self.snapshot.code
        if code is not None:
            skip = code_skip(rule, unit.trail if rule.scope == "trail" else None, code)
            if skip is not None:
                return Verdict("skipped", skip)
        if rule.when is not None:
            gate = self._expr(rule.when.expr, unit)
            if gate.value is None:
                return Verdict("error", gate.reason, {"when": rule.when.expr.source})
            if not gate.value:
                return Verdict("skipped", rule.when.skip_reason, {"when": gate.reason})
        requirement = rule.require
        try:
            if isinstance(requirement, ExprRequirement):
                return self._expr_verdict(self._expr(requirement.expr, unit), unit)
            if isinstance(requirement, LoggedRequirement):
                return self._logged_verdict(requirement.probes, unit, recorded_by(rule.params))
            if isinstance(requirement, AnyTrail):
                return self._quantified(requirement, unit, every=False)
            if isinstance(requirement, AllTrails):
                return self._quantified(requirement, unit, every=True)
            if isinstance(requirement, AlertedRequirement):
                return self._alerted_verdict(rule, unit)
            if isinstance(requirement, CoverageKept):
                return self._kept_verdict(unit)
            if isinstance(requirement, StorageRequirement):
                return self._storage_verdict(rule, requirement, unit)
            assert_never(requirement)
        except ProbeTooLargeError as exc:
            return Verdict("error", str(exc))

    def _expr(self, expr: Any, unit: Unit) -> Outcome:
        return evaluate(expr, unit.document, self.snapshot.collected_at_of(unit.account_id), unit.trail)

    def _expr_verdict(self, outcome: Outcome, unit: Unit) -> Verdict:
        evidence: dict[str, Any] = {"condition": outcome.reason, "values": outcome.values}
        if outcome.value is None:
            return Verdict("error", outcome.reason, evidence)
        return Verdict("pass" if outcome.value else "fail", outcome.reason, evidence)

    def _probe_results(self, probes: Sequence[Probe], cells: Sequence[Cell],
                       trails_for: Callable[[str], Sequence[Trail]]) -> list[tuple[str, ProbeResult]]:
        """Every probe in every cell (a probe that pins ``awsRegion`` once per account)."""
        results = []
        for probe in probes:
            pinned = probe.get("awsRegion")
            targets = sorted({(a, str(pinned)) for a, _ in cells}) if pinned is not None else list(cells)
            for account_id, region in targets:
                results.append((account_id, self.coverage.coverage(trails_for(account_id), probe, region)))
        return results

    def _logged_verdict(self, probes: Sequence[Probe], unit: Unit, families: frozenset[RecorderFamily]) -> Verdict:
        """The probes over the unit's trails, or, per account, the recorders of ``families`` (the
        rule's ``recorded_by``: trails, and event data stores when it names them)."""
        if unit.trail is not None:
            results = self._probe_results(probes, unit.cells, lambda _: unit.trails)
        else:
            results = self._probe_results(probes, unit.cells,
                                          lambda account_id: recorders_reaching(self.snapshot, account_id, families))
        if not results:
            return Verdict("error", _NO_REGIONS)
        failing, undecided = [], []
        errors = HidingErrors(self.snapshot, families)
        for account_id, result in results:
            if result.coverage in ("partial", "not-covered"):
                if errors.add(account_id, result.region):
                    undecided.append(result)
                else:
                    failing.append(result)
            elif result.coverage == "unknown":
                undecided.append(result)
        if not failing and not undecided:
            return Verdict("pass", f"{len(results)} probe check(s) covered",
                           self._once(("pass", *(id(r) for _, r in results)), results,
                                      lambda: _passing_probe_evidence([r for _, r in results])))
        # A row names its account only when the unit spans accounts (the organization): the
        # other rows are the shared ProbeResult dicts themselves.
        rows = tuple((None if a == unit.account_id else a, id(r)) for a, r in results)
        evidence = self._once(rows, results, lambda: {"probes": [
            r.to_dict() if a == unit.account_id else {"account_id": a, **r.to_dict()} for a, r in results]})
        if errors:
            evidence = {**evidence, **errors.evidence()}
        if failing:
            return Verdict("fail", _describe_gaps(failing, unit.region), evidence)
        why = errors.summary() if errors else "missing trail data leaves coverage open"
        return Verdict("error", f"{_describe_gaps(undecided, unit.region)} ({why})", evidence)

    def _once(self, key: tuple[Any, ...], results: object, build: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """The evidence ``build`` makes from ``results``, one object for every unit that got the
        very same probe results (the simulator shares them: the account-Regions the organization
        trail alone reaches). Keyed by the results' identities, which ``results``, kept with the
        evidence, holds. The report states it once all the same (checker.report.shared); this
        spares building, sending back from a worker, and comparing thousands of copies."""
        known = self._evidence.get(key)
        if known is None:
            known = self._evidence[key] = (results, build())
        return known[1]

    def _alerted_verdict(self, rule: ConfigRule, unit: Unit) -> Verdict:
        """Monitoring chains (checker.alerting.chains); skipped without monitoring data. The
        question is the one a live collection reads the data for (checker.plan.rules)."""
        code = self.snapshot.code
        if code is not None and not self.snapshot.carries("monitoring"):
            return Verdict("skipped", code.no_monitoring())
        assert unit.account_id is not None
        question = alert_question(rule)
        assert question is not None, "an alerted rule"
        verdict = self.alerts.judge(question, unit.account_id, [region for _, region in unit.cells])
        return Verdict(verdict.status, verdict.detail, verdict.evidence)

    def _storage_verdict(self, rule: ConfigRule, requirement: StorageRequirement, unit: Unit) -> Verdict:
        """Where the logs live (checker.storage): skipped without the data family or on code; an
        event data store's Region that was not listed is an error."""
        skip = skip_reason(requirement, self.snapshot)
        if skip is not None:
            return Verdict("skipped", skip)
        if unit.trail is not None:
            judged = judge_trail(requirement.check, self.snapshot, unit.trail, rule.params)
        elif unit.store is not None:
            judged = judge_store(requirement.check, unit.store, rule.params)
        elif self.snapshot.code is not None:
            return Verdict("skipped", stores_undecided(self.snapshot.code, unit.region))
        else:
            evidence = {"collection_errors": [e.to_dict() for e in unit.errors]} if unit.errors else {}
            return Verdict("error", f"the event data stores of account {unit.account_id} in {unit.region} were not "
                                    "listed (ListEventDataStores): a store there is unknown", evidence)
        return Verdict(judged.status, judged.detail, judged.evidence)

    def _kept_verdict(self, unit: Unit) -> Verdict:
        """``coverage_kept`` (checker.engine.regression); skipped without a "before"."""
        code = self.snapshot.code
        if code is None or self.regression is None:
            return Verdict("skipped", "coverage-regression judges changes to trails in code")
        if code.changes is None:
            return Verdict("skipped", f"nothing is known of the trails before this change: give --baseline-plan "
                                      f"with the {'plan' if code.kind == 'terraform-plan' else 'template'} of "
                                      "the base branch")
        change = next(c for c in code.changes if c.resource == unit.resource and unit.trail in (c.after, c.before))
        judged = self.regression.judge(change)
        return Verdict(judged.status, judged.detail, judged.evidence)

    def _trail_qualifies(self, trail: Trail, quantifier: TrailQuantifier, unit: Unit) -> tuple[bool | None, str]:
        """Whether one trail satisfies the quantifier's body, and why (not)."""
        stopped = status_decision(trail)
        if stopped is not None:
            return stopped.logged, stopped.reason
        document = trail_document(trail, unit.document.get("params", {}))
        for part in (quantifier.where, quantifier.expr):
            if part is not None:
                outcome = evaluate(part, document, self.snapshot.collected_at_of(trail.owner_account_id), trail)
                if not outcome.value:
                    return outcome.value, outcome.reason
        if quantifier.logged:
            try:
                results = [r for _, r in self._probe_results(quantifier.logged, unit.cells, lambda _: (trail,))]
            except ProbeTooLargeError as exc:  # this trail is undecided; another may still decide the unit
                return None, str(exc)
            if not results:
                return None, _NO_REGIONS
            gaps = [r for r in results if r.coverage in ("partial", "not-covered")]
            if gaps:
                return False, _describe_gaps(gaps)
            if any(r.coverage == "unknown" for r in results):
                return None, "its coverage is unknown"
        return True, "qualifies"

    def _quantified(self, quantifier: AnyTrail | AllTrails, unit: Unit, every: bool) -> Verdict:
        rows: list[dict[str, Any]] = []
        answers: list[bool | None] = []
        stopped: list[str] = []
        for trail in unit.trails:
            if every and trail.status is not None and not trail.status.is_logging:
                stopped.append(trail.arn)  # all_trails ranges over the logging trails only
                continue
            answer, reason = self._trail_qualifies(trail, quantifier, unit)
            answers.append(answer)
            rows.append({"arn": trail.arn, "qualifies": answer, "reason": reason})
        evidence: dict[str, Any] = {"trails": rows}
        if stopped:
            evidence["not_logging"] = stopped
        hidden = self._hidden_could_matter(quantifier, unit)
        if unit.errors:
            evidence["collection_errors"] = [e.to_dict() for e in unit.errors]
        if every:
            if any(a is False for a in answers):
                return Verdict("fail", _first_reason(rows, False), evidence)
            if any(a is None for a in answers) or hidden:
                return Verdict("error", _undecided_reason(rows, unit), evidence)
            return Verdict("pass", f"all {len(rows)} logging trail(s) qualify", _passing_trail_evidence(rows, evidence))
        if any(answers):
            qualifying = next(r["arn"] for r in rows if r["qualifies"])
            return Verdict("pass", f"{qualifying} qualifies", _passing_trail_evidence(rows, evidence))
        if any(a is None for a in answers) or hidden:
            return Verdict("error", _undecided_reason(rows, unit), evidence)
        if not rows:
            return Verdict("fail", "no trail reaches it", evidence)
        summary = "; ".join(f"{_name(str(r['arn']))}: {r['reason']}" for r in rows[:3])
        return Verdict("fail", f"no trail qualifies: {summary}", evidence)

    def _hidden_could_matter(self, quantifier: TrailQuantifier, unit: Unit) -> bool:
        """Could a trail hidden by a collection error change the quantifier's answer?

        A region's failure hides only single-region trails homed there; such a trail cannot
        cover probes the unit checks in other regions, so it cannot change the answer then.
        """
        probe_regions = {str(p["awsRegion"]) for p in quantifier.logged if "awsRegion" in p}
        if any("awsRegion" not in p for p in quantifier.logged):
            probe_regions |= {region for _, region in unit.cells}
        for account_id in sorted({a for a, _ in unit.cells}):
            account = self.snapshot.account(account_id)
            for region in account.hidden_trail_regions() if account else set():
                if region is None or not quantifier.logged or probe_regions <= {region}:
                    return True
        return False

    # -- findings ---------------------------------------------------------------------

    def _finding(self, rule: ConfigRule, unit: Unit, verdict: Verdict) -> Finding:
        resource, location, code = unit.resource, None, self.snapshot.code
        if code is not None:
            resource, location = code_identity(rule.scope, unit.resource, unit.trails, verdict.evidence, code)
        message = rule.message(verdict.status, unit.account_id, unit.region, resource)
        if message is None:
            message = _default_message(verdict)
        if code is not None and rule.scope != "trail":
            message += IN_CONFIGURATION
        return Finding(
            rule_id=rule.id, severity=rule.severity, status=verdict.status,
            account_id=unit.account_id, region=unit.region, resource=resource, message=message,
            evidence=verdict.evidence, location=location,
        )


_NO_REGIONS = "no regions in scope: nowhere to check that the events are logged"
_COVERAGE_PHRASE = {"covered": "logged", "partial": "only partly logged", "not-covered": "not logged",
                   "unknown": "undecided"}


def _describe_gaps(results: Sequence[ProbeResult], unit_region: str | None = None) -> str:
    """The first three gaps, each with its Region unless it is the finding's own."""
    parts = []
    for result in results[:3]:
        where = "" if result.region == unit_region else f"{result.region}: "
        text = f"{where}{result.describe()} {_COVERAGE_PHRASE[result.coverage]}"
        if result.coverage == "partial" and result.missing:
            shown = result.missing[:3]
            more = f"; +{result.missing_total - len(shown)} more" if result.missing_total > len(shown) else ""
            text += f", not for {' | '.join(shown)}{more}"
        parts.append(text)
    if len(results) > 3:
        parts.append(f"{len(results) - 3} more")
    return "; ".join(parts)


def _passing_probe_evidence(results: Sequence[ProbeResult]) -> dict[str, Any]:
    """A pass's evidence is its verdict and the recorders that decided it: ``decided_by``, the
    trails, then the event data stores, whose selectors log all or part of the probes (in the
    order met), and those left undecided past the budget, with the reason (their clauses still
    count in the union). The probes are the rule's; the rows of the recorders that log none of
    them, and the witnesses, are for failures (docs/semantics.md, "Evidence in reports")."""
    decided_by: dict[str, None] = {}
    undecided: dict[str, str] = {}
    for result in results:
        for row in result.recorders:
            if row.decision in ("covers", "partial"):
                decided_by[row.arn] = None
            elif row.decision == "undecided":
                undecided.setdefault(row.arn, row.reason)
    evidence: dict[str, Any] = {"decided_by": list(decided_by)}
    if undecided:
        evidence["undecided"] = [{"arn": arn, "reason": reason} for arn, reason in undecided.items()]
    return evidence


def _passing_trail_evidence(rows: Sequence[dict[str, Any]], evidence: dict[str, Any]) -> dict[str, Any]:
    """A quantifier's pass: the trails that qualify (``decided_by``) instead of every trail's
    row; what else the evidence says (trails not logging, collection errors) stays."""
    passing = {key: value for key, value in evidence.items() if key != "trails"}
    return {"decided_by": [row["arn"] for row in rows if row["qualifies"]], **passing}


def _name(arn: str) -> str:
    return Arn.parse(arn).resource_name


def _first_reason(rows: Sequence[dict[str, Any]], answer: bool | None) -> str:
    row = next(r for r in rows if r["qualifies"] is answer)
    return f"{_name(row['arn'])}: {row['reason']}"


def _undecided_reason(rows: Sequence[dict[str, Any]], unit: Unit) -> str:
    if any(r["qualifies"] is None for r in rows):
        return _first_reason(rows, None)
    return "collection errors may hide trails: " + "; ".join(
        f"{e.region or 'all regions'} {e.operation} {e.code}" for e in unit.errors[:3])


def _default_message(verdict: Verdict) -> str:
    """The finding's sentence: the specific detail (the rule's title is a field of its own)."""
    return verdict.detail if verdict.status != "error" else f"could not decide: {verdict.detail}"
