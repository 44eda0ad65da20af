"""``coverage-regression``: what a change to trails in code stops recording.

Judged per trail resource the change touches, with the selector simulator, never on
text. The probes are those of the coverage rules in effect (``require.logged``). For each
(account, Region) the trail reached before the change, a probe that the union of the
account's recorders covered *before* and does not cover *after* is lost. Coverage that moves
from one trail to another is kept by the union, so it is no loss; a deleted or replaced
trail is judged like an updated one; a created or unchanged trail loses nothing.

The recorders are those of :data:`RECORDED_BY`: the account's trails, and the event data stores
the code defines that reach it (checker.recorders), as the coverage rules of the rule pack count
them (their ``recorded_by`` names both). ``require.coverage_kept`` has no parameter, so it counts
what those rules count: a change that narrows a trail while an enabled store still records the
events loses nothing. The stores are taken as the code leaves them, on both sides: the rule
judges what the trail changes do.

A loss is the trail's when applying its change alone to the recorders before would lose the
probe; when no single change does (two changes that only lose it together), it is every
changed trail's that reached the Region. A probe that becomes undecided (selectors known
only after apply), or that a recorder the code leaves undecided may still record (a trail
whose reach, or a store whose settings, are known only after apply), is an error, never a
pass and never a fail.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from checker.code_origin import CodeOrigin, TrailChange
from checker.findings import Status
from checker.model import Snapshot, Trail
from checker.policy.model import Probe
from checker.recorders import RECORDER_FAMILIES, RecorderFamily, errors_may_hide, recorders_reaching
from checker.simulator import ProbeResult, ProbeTooLargeError, probe_coverage
from checker.simulator.decide import region_reach

MAX_LISTED = 3

RECORDED_BY: frozenset[RecorderFamily] = frozenset(RECORDER_FAMILIES)
"""What records events for ``coverage_kept``: trails and event data stores (see the module docstring)."""

_STORES: frozenset[RecorderFamily] = frozenset({"event-data-stores"})


@dataclass(frozen=True)
class ChangeVerdict:
    """The verdict on one trail change, as the configuration engine reports it."""

    status: Status
    detail: str
    evidence: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Loss:
    rule_id: str
    after: ProbeResult
    regions: list[str]


class RegressionJudge:
    """Judges the changes of one code snapshot against ``probes`` ((rule id, probe) pairs)."""

    def __init__(self, snapshot: Snapshot, code: CodeOrigin, probes: Sequence[tuple[str, Probe]]) -> None:
        self.snapshot = snapshot
        self.code = code
        self.probes = probes
        self.before = list(code.before_trails())
        self._applied: dict[int, list[Trail]] = {}

    def judge(self, change: TrailChange) -> ChangeVerdict:
        if change.action == "create":
            return ChangeVerdict("pass", "created: a new trail only adds coverage", {"action": change.action})
        if change.action == "no-op" or change.before is None:
            return ChangeVerdict("pass", "unchanged", {"action": change.action})
        if not self.probes:
            return ChangeVerdict("skipped", "no coverage rule (require.logged) is in effect to compare before and "
                                            "after", {"action": change.action})
        try:
            return self._judge(change, change.before)
        except ProbeTooLargeError as error:
            return ChangeVerdict("error", str(error), {"action": change.action})

    def _judge(self, change: TrailChange, before: Trail) -> ChangeVerdict:
        account = before.owner_account_id
        regions = self._regions(account)
        reached = [region for region in regions if region_reach(before, region) is None]
        losses: dict[tuple[str, tuple[tuple[str, str], ...]], _Loss] = {}
        undecided: list[dict[str, Any]] = []
        was_recorded_by = [*self._reaching(self.before, account), *self._stores(account)]
        recorded_by = recorders_reaching(self.snapshot, account, RECORDED_BY)
        for rule_id, probe in self.probes:
            for region in reached:
                was = probe_coverage(was_recorded_by, probe, region)
                if was.coverage != "covered":
                    continue
                now = probe_coverage(recorded_by, probe, region)
                if now.coverage == "covered":
                    continue
                if now.coverage == "unknown" or errors_may_hide(self.snapshot, account, now.region, RECORDED_BY):
                    undecided.append({"rule_id": rule_id, "event": now.probe, "region": now.region})
                    continue
                if not self._blamed(change, account, probe, now.region):
                    continue
                key = (rule_id, tuple(sorted(now.probe.items())))
                loss = losses.setdefault(key, _Loss(rule_id, now, []))
                if now.region not in loss.regions:
                    loss.regions.append(now.region)
        evidence: dict[str, Any] = {"action": change.action, "regions": reached}
        if losses:
            ordered = sorted(losses.values(), key=lambda loss: (loss.rule_id, loss.after.describe()))
            evidence["lost"] = [{"rule_id": loss.rule_id, "event": loss.after.probe, "regions": loss.regions,
                                 "after": loss.after.coverage, "not_logged": loss.after.missing[:5]}
                                for loss in ordered]
            return ChangeVerdict("fail", _describe(ordered, reached), evidence)
        if undecided:
            evidence["undecided"] = undecided
            first = undecided[0]
            return ChangeVerdict("error", f"cannot tell whether this change keeps recording what "
                                          f"{first['rule_id']} needs in {first['region']}: the trails and event "
                                          "data stores after the change are not all known", evidence)
        count = len({rule_id for rule_id, _ in self.probes})
        return ChangeVerdict("pass", f"{change.action}: every event {count} coverage rule(s) need that was recorded "
                                     f"before is still recorded ({', '.join(reached) or 'no Region reached'})",
                             evidence)

    def _regions(self, account: str) -> list[str]:
        found = self.snapshot.account(account)
        if found is not None:
            return list(found.regions)
        return sorted({region for a in self.snapshot.accounts for region in a.regions})

    @staticmethod
    def _reaching(trails: Sequence[Trail], account: str) -> list[Trail]:
        return [trail for trail in trails if trail.owner_account_id == account]

    def _stores(self, account: str) -> list[Trail]:
        """The event data stores of the code that reach ``account``, as recorders."""
        return recorders_reaching(self.snapshot, account, _STORES)

    def _blamed(self, change: TrailChange, account: str, probe: Probe, region: str) -> bool:
        """Is the loss this change's: alone, or jointly when no single change explains it?"""
        if not self._loses_alone(change, account, probe, region):
            others = [c for c in self.code.changes or () if c is not change and c.before is not None
                      and c.action in ("update", "replace", "delete") and c.before.owner_account_id == account
                      and region_reach(c.before, region) is None]
            return not any(self._loses_alone(other, account, probe, region) for other in others)
        return True

    def _loses_alone(self, change: TrailChange, account: str, probe: Probe, region: str) -> bool:
        trails = self._applied_alone(change, account)
        return probe_coverage(trails, probe, region).coverage in ("partial", "not-covered")

    def _applied_alone(self, change: TrailChange, account: str) -> list[Trail]:
        """The account's recorders before the change with only ``change`` applied."""
        known = self._applied.get(id(change))
        if known is None:
            known = [t for t in self._reaching(self.before, account) if t is not change.before]
            if change.after is not None and change.after.owner_account_id == account:
                known.append(change.after)
            known += self._stores(account)
            self._applied[id(change)] = known
        return known


def _describe(losses: Sequence[_Loss], reached: Sequence[str]) -> str:
    """``this change stops recording kms.amazonaws.com DisableKey (...) and 1 more event in every
    Region in scope (kms-exclusion-gap)``: per rule its first loss, for up to :data:`MAX_LISTED` rules."""
    by_rule: dict[str, list[_Loss]] = {}
    for loss in losses:
        by_rule.setdefault(loss.rule_id, []).append(loss)
    parts = []
    for rule_id, lost in list(by_rule.items())[:MAX_LISTED]:
        first = lost[0].after
        what = first.describe()
        if first.coverage == "partial" and first.missing:
            what += f" for {' | '.join(first.missing[:2])}"
        if len(lost) > 1:
            what += f" and {len(lost) - 1} more event{'s' if len(lost) > 2 else ''}"
        regions = sorted({region for loss in lost for region in loss.regions})
        where = ("in every Region in scope" if len(reached) > 1 and set(regions) >= set(reached)
                 else "in " + ", ".join(regions))
        parts.append(f"{what} {where} ({rule_id})")
    more = f"; and what {len(by_rule) - MAX_LISTED} more rule(s) need" if len(by_rule) > MAX_LISTED else ""
    return "this change stops recording " + "; ".join(parts) + more
