"""The probe decision stays exact, bounded and linear whatever the selectors say.

Selector values are chosen by whoever can call PutEventSelectors. These tests check what
a user would notice if that were not handled: a value that collides with the witness
filler (every coverage rule crashed), a decision that would take too long (an ``error``
finding naming the budget, never a crash), a policy that asks for more than the budget
(bad input when it loads), and an account with a thousand trails (the decisions grow
linearly with the trails; counted, not timed). The field-by-field decision is checked
against the enumeration of every witness combination, which defines it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st

from checker.engine.config import ConfigEvaluator
from checker.inputs.snapshot import parse_snapshot
from checker.model import Trail
from checker.scan import load_rules
from checker.simulator import CoverageJudge, ProbeTooLargeError, probe_coverage, probes
from checker.simulator.decide import global_reach, selector_decision
from checker.simulator.probes import ProbeDecision, TrailShare, probe_text, trail_boxes
from checker.simulator.witnesses import FieldWitnesses, filler
from tests.helpers.cli import run_cli
from tests.helpers.simulator_inputs import MGMT, REGION, Doc, adv, advanced, fs, one_trail, trail_doc
from tests.helpers.snapshots import account, basic, field, find, scan_findings, snapshot, trail, write_json
from tests.test_simulator_properties import PROPERTY_SETTINGS, Event, selector_lists
from tests.test_simulator_properties import probes as probe_events

FORMER_FILLERS = "~#%§¤¦¬"
ALL_MANAGEMENT: dict[str, str | bool] = {"eventCategory": "Management"}

# -- the filler is derived from the values ------------------------------------------------------


def test_filler_is_the_first_printable_character_no_value_uses() -> None:
    assert filler(["kms.amazonaws.com"]) == "~~~"
    latin = "".join(chr(code) for code in range(0x7E, 0x100))
    assert filler([FORMER_FILLERS, latin]) == "\u0100" * 3


def test_a_value_holding_every_former_filler_is_decided() -> None:
    """Such a value used to crash every coverage rule; it is just one more literal."""
    hostile = FORMER_FILLERS + "".join(chr(code) for code in range(0x7E, 0x100))
    trail = one_trail(trail_doc(**advanced(adv(MGMT, fs("eventSource", NotEquals=[hostile], NotEndsWith=["~"])))))
    result = probe_coverage([trail], ALL_MANAGEMENT, REGION)
    assert result.coverage == "partial"
    assert result.missing == [f"eventSource={hostile}", "eventSource=*~"]
    assert result.trails[0].decision == "partial"


def test_every_coverage_rule_answers_for_a_trail_with_such_values(capsys: pytest.CaptureFixture[str],
                                                                  tmp_path: Path) -> None:
    selector = {"Name": "hostile", "FieldSelectors": [
        field("eventCategory", Equals=["Management"]),
        field("eventSource", NotEquals=[FORMER_FILLERS], NotStartsWith=list(FORMER_FILLERS))]}
    findings = scan_findings(capsys, tmp_path, snapshot(account("111111111111", trail(
        EventSelectors=None, AdvancedEventSelectors=[selector]))))
    coverage = find(findings, "management-events-coverage", region="us-east-1")
    assert coverage["status"] == "fail"
    assert f"eventSource={FORMER_FILLERS}" in coverage["message"]
    assert find(findings, "kms-exclusion-gap", region="us-east-1")["status"] == "pass"


# -- the decision equals the enumeration that defines it ----------------------------------------


def enumerated(trails: Sequence[Trail], probe: Event) -> tuple[str, list[str], int, list[str]]:
    """Coverage, the first 20 unlogged combinations, their number, and each trail's covers /
    partial / none: by trying every combination of witnesses of the fields the live clauses
    constrain, each against every trail with the record-level simulator."""
    fixed: dict[str, str | None] = {name: probe_text(value) for name, value in probe.items()}
    boxes = [box for t in trails for box in trail_boxes(t, fixed, REGION)[0]]
    fields = sorted({s.field for box in boxes for s in box})
    choices = []
    for name in fields:
        witnesses = FieldWitnesses.of(name, {s for box in boxes for s in box if s.field == name})
        choices.append([witnesses.witness(number) for number in range(witnesses.size)])
    hits = dict.fromkeys(range(len(trails)), 0)
    missing: list[str] = []
    total = 0
    combinations = list(itertools.product(*choices))
    for combination in combinations:
        view: dict[str, str | None] = {**fixed, **{name: w.value for name, w in zip(fields, combination, strict=True)}}
        logged = [i for i, t in enumerate(trails)
                  if (global_reach(t, REGION, view.get("eventSource")) or selector_decision(t, [view])).logged]
        for i in logged:
            hits[i] += 1
        if not logged:
            total += 1
            if len(missing) < 20:
                missing.append(", ".join(f"{name}={w.shown}" for name, w in zip(fields, combination, strict=True))
                               or "the event as given")
    coverage = "covered" if not total else "partial" if total < len(combinations) else "not-covered"
    shares = ["covers" if hits[i] == len(combinations) else "partial" if hits[i] else "none"
              for i in range(len(trails))]
    return coverage, missing, total, shares


@st.composite
def trail_sets(draw: st.DrawFn) -> list[Trail]:
    """One to three trails with random advanced selectors, some without global service events."""
    found = []
    for i, selector_list in enumerate(draw(st.lists(selector_lists, min_size=1, max_size=3))):
        found.append(one_trail(trail_doc(f"t{i}", IncludeGlobalServiceEvents=draw(st.booleans()),
                                         **advanced(*selector_list))))
    return found


@PROPERTY_SETTINGS
@given(trail_sets(), probe_events())
def test_field_by_field_decision_equals_the_enumeration(trails: list[Trail], probe: Event) -> None:
    result = probe_coverage(trails, probe, REGION)
    coverage, missing, total, shares = enumerated(trails, probe)
    event(f"coverage: {coverage}")
    assert (result.coverage, result.missing, result.missing_total) == (coverage, missing, total)
    by_arn = {row.arn: row.decision for row in result.trails}
    for one, share in zip(trails, shares, strict=True):
        decision = by_arn[one.arn]
        assert decision == share if share != "none" else decision not in ("covers", "partial"), (one.arn, decision)


# -- the budget -----------------------------------------------------------------------------------


def many_affixes(count: int) -> Doc:
    """A data selector whose ARN condition has ``count`` prefixes and ``count`` suffixes:
    ``count`` squared witnesses, all of them decided apart."""
    return advanced(adv(fs("eventCategory", Equals=["Data"]), fs("resources.type", Equals=["AWS::S3::Object"]),
                        fs("resources.ARN", StartsWith=[f"arn:aws:s3:::b{i}/" for i in range(count)],
                           NotEndsWith=[f".t{i}" for i in range(count)])))


S3_READS: dict[str, str | bool] = {"eventCategory": "Data", "resources.type": "AWS::S3::Object"}


def test_a_decision_over_the_budget_is_undecided_not_a_crash() -> None:
    trail = one_trail(trail_doc(**many_affixes(40)))
    assert probe_coverage([trail], S3_READS, REGION).coverage == "partial"
    judge = CoverageJudge(budget=500)
    with pytest.raises(ProbeTooLargeError, match=r"undecided within budget: .* 500 witness decisions"):
        judge.coverage([trail], S3_READS, REGION)
    with pytest.raises(ProbeTooLargeError):  # remembered, and raised again for the next unit
        judge.coverage([trail], S3_READS, "eu-west-1")


def test_over_the_budget_is_an_error_finding_for_that_unit(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAILCHECK_MAX_PROBE_WITNESSES", "500")
    doc = trail(EventSelectors=None, AdvancedEventSelectors=many_affixes(40)["AdvancedEventSelectors"])
    findings = scan_findings(capsys, tmp_path, snapshot(account("111111111111", doc)), "--rules", "s3-data-events")
    error = find(findings, "s3-data-events")
    assert error["status"] == "error"
    assert "undecided within budget" in error["message"]
    assert "TRAILCHECK_MAX_PROBE_WITNESSES" in error["message"]


HOSTILE = {"Name": "management", "FieldSelectors": [
    field("eventCategory", Equals=["Management"]),
    field("eventSource", NotStartsWith=[f"p{i}." for i in range(40)], NotEndsWith=[f".s{i}" for i in range(40)])]}


def test_an_undecided_trail_does_not_hide_one_that_decides(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Another trail qualifies (any_trail) and covers every variant (the union): both pass,
    and the evidence says which trail was left undecided."""
    monkeypatch.setenv("TRAILCHECK_MAX_PROBE_WITNESSES", "500")
    findings = scan_findings(capsys, tmp_path, snapshot(account(
        "111111111111", trail("hostile", EventSelectors=None, AdvancedEventSelectors=[HOSTILE]), trail("plain"))),
        "--rules", "multi-region-trail,management-events-coverage")
    assert find(findings, "multi-region-trail")["status"] == "pass"
    union = find(findings, "management-events-coverage", region="us-east-1")
    assert union["status"] == "pass"
    assert [arn.rsplit("/", 1)[1] for arn in union["evidence"]["decided_by"]] == ["plain"]
    [undecided] = union["evidence"]["undecided"]
    assert undecided["arn"].endswith("/hostile") and "undecided within budget" in undecided["reason"]


def test_a_union_over_the_budget_is_an_error(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """The other trail logs write events only: deciding the union means going through the
    hostile trail's witnesses, past the budget."""
    monkeypatch.setenv("TRAILCHECK_MAX_PROBE_WITNESSES", "500")
    findings = scan_findings(capsys, tmp_path, snapshot(account(
        "111111111111", trail("hostile", EventSelectors=None, AdvancedEventSelectors=[HOSTILE]),
        trail("writes", EventSelectors=[basic("WriteOnly")]))), "--rules", "management-events-coverage")
    union = find(findings, "management-events-coverage", region="us-east-1")
    assert union["status"] == "error" and "undecided within budget" in union["message"]


def test_a_policy_whose_probes_exceed_the_budget_is_bad_input(capsys: pytest.CaptureFixture[str],
                                                             tmp_path: Path) -> None:
    names = [f"Call{i}" for i in range(400)]
    sources = [f"svc{i}.amazonaws.com" for i in range(400)]
    policy = tmp_path / "huge.yaml"
    policy.write_text("rules:\n  - id: every-call\n    title: T\n    severity: low\n    scope: region\n"
                      "    require:\n      logged:\n        - eventCategory: Management\n"
                      f"          eventSource: [{', '.join(sources)}]\n"
                      f"          eventName: [{', '.join(names)}]\n", encoding="utf-8")
    snap = write_json(tmp_path / "snapshot.json", snapshot(account("111111111111", trail())))
    result = run_cli(capsys, "scan", "--snapshot", str(snap), "--policies", str(policy), "--no-builtin",
                     "--output-dir", str(tmp_path / "out"), "--quiet")
    assert result.code == 2
    assert str(policy) in result.err and "every-call" in result.err and "160,000 probe events" in result.err
    assert "Traceback" not in result.err


# -- decisions grow linearly with the trails -------------------------------------------------------

REGIONS = ("us-east-1", "eu-west-1", "ap-south-1")


def crowded_account(count: int) -> dict[str, Any]:
    """``count`` trails in one account, each excluding an event source of its own (so that the
    witnesses of eventSource grow with the trails), of several kinds and home Regions."""
    trails = []
    for i in range(count):
        home = REGIONS[i % len(REGIONS)]
        own = f"service-{i}.amazonaws.com"
        if i % 4 == 3:
            selectors: dict[str, Any] = {"EventSelectors": None, "AdvancedEventSelectors": [
                {"Name": "management", "FieldSelectors": [field("eventCategory", Equals=["Management"]),
                                                          field("eventSource", NotEquals=[own])]}]}
        else:
            selectors = {"EventSelectors": [basic(("All", "WriteOnly", "ReadOnly")[i % 3], exclude=(own,))]}
        trails.append(trail(f"trail-{i:04d}", home=home, multi_region=i % 2 == 0, logging=i % 10 != 9,
                            **selectors))
    return snapshot(account("111111111111", *trails, regions=REGIONS))


def counted_decisions(count: int, monkeypatch: pytest.MonkeyPatch) -> tuple[int, int]:
    """The simulator decisions (shares and unions) a scan of the built-in configuration rules
    makes, and the witness decisions they spend, for an account with ``count`` trails."""
    calls, work = [0], [0]

    def counting(decide: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any) -> TrailShare | ProbeDecision:
            decided: TrailShare | ProbeDecision = decide(*args)
            calls[0] += 1
            work[0] += decided.work
            return decided
        return counted

    monkeypatch.setattr(probes, "trail_share", counting(probes.trail_share))
    monkeypatch.setattr(probes, "decide_probe", counting(probes.decide_probe))
    rules, _ = load_rules([], True)
    findings = ConfigEvaluator(parse_snapshot(crowded_account(count), "crowded.json")).evaluate(rules)
    assert not [f for f in findings if "undecided within budget" in f.message]
    monkeypatch.undo()
    return calls[0], work[0]


def test_decisions_grow_linearly_with_the_trails_of_one_account(monkeypatch: pytest.MonkeyPatch) -> None:
    """10, 100 and 1,000 trails: the decisions and their work per trail do not grow (the
    enumeration made them grow with the square: every trail against every exclusion), and
    the thousand-trail account finishes."""
    measured = {count: counted_decisions(count, monkeypatch) for count in (10, 100, 1000)}
    for smaller, larger in ((10, 100), (100, 1000)):
        calls_ratio = measured[larger][0] / measured[smaller][0]
        work_ratio = measured[larger][1] / measured[smaller][1]
        assert calls_ratio <= 11, measured
        assert work_ratio <= 11, measured
