"""How configuration rules read a snapshot that came from code (a plan or a template).

The rules and the simulator are the same as for an estate; three things differ, all
decided from the snapshot's :class:`~checker.code_origin.CodeOrigin`:

* a rule whose expressions read what only a running trail has (delivery times and
  errors) is ``skipped`` for every unit, and a trail rule reading a value the code leaves
  to apply time (``kms_key_id`` of a key not yet created, when the configuration does not
  show it is a key) is ``skipped`` for that trail: a plan is not an estate;
* a finding is named by the Terraform address or logical id and points at the file and
  line of the trail it is about, or, for an account or Region, of the first trail that
  reaches it;
* account, Region and organization findings judge the trails this code defines, and
  their messages say so.
"""

from __future__ import annotations

from checker.code_origin import CodeOrigin
from checker.engine.expressions import fields_read
from checker.findings import Location
from checker.model import Trail
from checker.policy.model import AllTrails, AnyTrail, ConfigRule, ExprRequirement

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


def code_identity(scope: str, resource: str | None, trails: tuple[Trail, ...],
                  code: CodeOrigin) -> tuple[str | None, Location | None]:
    """The finding's ``resource`` and ``location``: a trail's address and declaration, or
    for another scope its own resource and the location of the first trail reaching it."""
    if scope == "trail" and trails:
        declared = code.declaration(trails[0].arn)
        if declared is not None:
            return declared.resource, declared.location
        return resource, None
    return resource, code.first_location(t.arn for t in trails)
