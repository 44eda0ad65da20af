"""How configuration rules read a snapshot that came from code (a plan or a template).

The rules and the simulator are the same as for an estate; three things differ, all
decided from the snapshot's :class:`~checker.code_origin.CodeOrigin`:

* a rule whose expressions read what only a running trail has (delivery times and
  errors) is ``skipped`` for every unit, and a trail rule reading a value the code leaves
  to apply time (``kms_key_id`` of a key not yet created, when the configuration does not
  show it is a key) is ``skipped`` for that trail: a plan is not an estate;
* a finding is named by the Terraform address or logical id and points at the file and
  line of the trail it is about, or, for a storage check, of the bucket, key or log group
  that decided it (:func:`written_at`); for an account or Region, of the trail that decided
  it (:func:`deciding_trails`): the trail whose exclusion or selectors leave the events
  out of a failure, the trail that covers or qualifies for a pass;
* account, Region and organization findings judge the trails this code defines, and
  their messages say so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from checker.code_origin import CodeOrigin
from checker.engine.expressions import fields_read
from checker.findings import Location
from checker.model import Trail
from checker.policy.model import AllTrails, AnyTrail, ConfigRule, ExprRequirement
from checker.storage.on_code import DECIDED_IN

IN_CONFIGURATION = " (in this configuration)"


def rule_fields(rule: ConfigRule) -> frozenset[str]:
    """Every document field the rule's expressions read (``when``, ``expr``, quantifiers)."""
    expressions = [rule.when.expr] if rule.when is not None else []
    requirement = rule.require
    if isinstance(requirement, ExprRequirement):
        expressions.append(requirement.expr)
    elif isinstance(requirement, (AnyTrail, AllTrails)):
        expressions += [part for part in (requirement.where, requirement.expr) if part is not None]
    return frozenset(name for expr in expressions for name in fields_read(expr.source))


def code_skip(rule: ConfigRule, trail: Trail | None, code: CodeOrigin) -> str | None:
    """Why code cannot judge the rule on this unit (``trail`` for a trail unit), or ``None``."""
    fields = rule_fields(rule)
    estate_only = code.estate_only(fields)
    if estate_only is not None:
        return estate_only
    declared = code.declaration(trail.arn) if trail is not None else None
    if declared is not None:
        unknown = sorted(fields & set(declared.unknown))
        if unknown:
            return declared.unknown[unknown[0]]
    return None


# For a failure, which trails' rows say most about why the events are not logged: an
# exclusion first (the change a reviewer must see), then a trail that logs only part of
# them, then one whose selectors do not select them, one that is not logging, and last
# one whose decision is unknown.
_FAILING_ROWS = ("excluded", "partial", "not-selected", "not-logging", "out-of-region", "unknown", "undecided")


def deciding_trails(evidence: Mapping[str, Any]) -> list[str]:
    """The ARNs of the trails that decided a verdict, the most telling first, read from its
    evidence: a pass names them (``decided_by``); a failure's probe rows (``probes``) name
    each trail's decision for the events not logged, ranked by :data:`_FAILING_ROWS`; a
    quantifier's rows (``trails``) say which trails do not qualify. Empty when the evidence
    names no trail (no trail reaches the unit, or the verdict is not about trails)."""
    decided_by = evidence.get("decided_by")
    if isinstance(decided_by, list):
        return [arn for arn in decided_by if isinstance(arn, str)]
    ranked: list[tuple[int, str]] = []
    for probe in evidence.get("probes") or ():
        if isinstance(probe, Mapping) and probe.get("coverage") != "covered":
            ranked += [(_FAILING_ROWS.index(row["decision"]), row["arn"]) for row in probe.get("trails") or ()
                       if row.get("decision") in _FAILING_ROWS]
    for row in evidence.get("trails") or ():
        if isinstance(row, Mapping) and "qualifies" in row and not row["qualifies"]:
            ranked.append((0 if row["qualifies"] is False else 1, row["arn"]))
    return list(dict.fromkeys(arn for _, arn in sorted(ranked, key=lambda item: item[0])))


def written_at(evidence: Mapping[str, Any]) -> Location | None:
    """Where the resource that decided a storage verdict is written, read from its evidence: the
    part named by ``decided_in`` (``bucket``, ``kms_key``, ``log_group``), at the companion
    resource that writes the setting the check read (``set_by``) when there is one
    (checker.storage.on_code). ``None`` when the verdict is not a storage one, or its resource
    is not in the code or not in a file at hand."""
    place = evidence.get(str(evidence.get(DECIDED_IN)))
    if not isinstance(place, Mapping):
        return None
    written = place.get("set_by", place)
    where = written.get("location") if isinstance(written, Mapping) else None
    if not isinstance(where, Mapping):
        return None
    return Location(str(where["file"]), int(where["line"]))


def code_identity(scope: str, resource: str | None, trails: tuple[Trail, ...], evidence: Mapping[str, Any],
                  code: CodeOrigin) -> tuple[str | None, Location | None]:
    """The finding's ``resource`` and ``location``: a trail's or event data store's address and
    declaration (for a storage check on a trail, where the bucket, key or log group that decided
    it is written: :func:`written_at`), or for another scope its own resource and the location
    of the trail that decided it (see :func:`deciding_trails`, a trail this change touches before
    one it leaves alone; the first trail reaching the unit when the evidence names none)."""
    if scope == "trail" and trails:
        declared = code.declaration(trails[0].arn)
        if declared is not None:
            return declared.resource, written_at(evidence) or declared.location
        return resource, None
    stored = code.store_declaration(resource) if scope == "event-data-store" and resource is not None else None
    if stored is not None:
        return stored.resource, stored.location
    deciding = deciding_trails(evidence)
    changed = {change.after.arn for change in code.changes or ()
               if change.action != "no-op" and change.after is not None}
    deciding.sort(key=lambda arn: arn not in changed)  # of equal standing, a trail this change touches
    return resource, code.first_location([*deciding, *(t.arn for t in trails)])
