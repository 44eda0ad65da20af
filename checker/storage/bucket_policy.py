"""``bucket-policy-scoped``: the bucket policy lets CloudTrail write only for the trails meant.

A statement that lets the ``cloudtrail.amazonaws.com`` service put objects without naming the
source trail (``aws:SourceArn``) or account (``aws:SourceAccount``) lets *any* account's trail
write into the bucket: the confused-deputy problem. Read exactly (docs/semantics.md, "Where the
logs live"):

- the statements that count are those with ``Effect`` ``Allow`` whose principal admits
  CloudTrail (``Principal.Service`` naming it, as a string or a list, in any letter case; a
  ``*`` principal; a ``NotPrincipal`` that does not exclude it) and whose actions admit
  ``s3:PutObject`` (``Action`` items matched as IAM matches them: case-insensitive, ``*`` and
  ``?`` wildcards, so ``s3:*`` and ``s3:Put*`` count; a ``NotAction`` that does not exclude it);
- such a statement is scoped when its ``Condition`` has ``aws:SourceArn`` or
  ``aws:SourceAccount`` (key names in any letter case) under a positive operator
  (``StringEquals``, ``StringLike``, ``ArnEquals``, ``ArnLike``..., with or without
  ``ForAnyValue:``/``ForAllValues:`` and ``IfExists``; not the negated operators nor ``Null``,
  which name no source) with at least one value that is not only wildcards;
- no bucket policy, or no statement that lets CloudTrail write, passes: nothing admits a
  confused deputy (the trail cannot deliver there either; ``trail-delivery-healthy`` reports it);
- a policy that does not parse as a JSON policy document is an ``error``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from checker.safejson import JsonProblem, decode
from checker.storage.judgement import Judgement, shown
from checker.storage_model import Bucket, Unread

CLOUDTRAIL = "cloudtrail.amazonaws.com"
PUT_OBJECT = "s3:putobject"
SOURCE_KEYS = frozenset({"aws:sourcearn", "aws:sourceaccount"})
_POSITIVE_OPERATORS = frozenset({"stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike"})


class PolicyShapeError(ValueError):
    """The policy is JSON but not a policy document: names the place."""


def bucket_policy_scoped(bucket: Bucket) -> Judgement:
    """Every statement that lets CloudTrail put objects into ``bucket`` names its source."""
    policy = bucket.policy
    name = bucket.name
    if isinstance(policy, Unread):
        return Judgement("error", f"the bucket policy of {name} was not read (GetBucketPolicy)",
                         {"Policy": shown(policy)})
    if policy is None:
        return Judgement("pass", f"bucket {name} has no bucket policy: nothing lets CloudTrail write into it "
                                 "(nor can the trail deliver there)", {"Policy": None})
    try:
        statements = _statements(decode(policy))
    except (JsonProblem, PolicyShapeError) as problem:
        return Judgement("error", f"the bucket policy of {name} does not parse: {problem}", {})
    writes = [(index, statement) for index, statement in statements if _lets_cloudtrail_put(statement)]
    rows = [{"statement": _label(index, statement), "scoped": _scoped(statement)} for index, statement in writes]
    evidence: dict[str, Any] = {"cloudtrail_write_statements": rows}
    if not rows:
        return Judgement("pass", f"no statement of the policy of bucket {name} lets CloudTrail put objects",
                         evidence)
    loose = [str(row["statement"]) for row in rows if not row["scoped"]]
    if loose:
        return Judgement("fail", f"the policy of bucket {name} lets CloudTrail put objects without an "
                                 f"aws:SourceArn or aws:SourceAccount condition naming a source (a value that is "
                                 f"not only wildcards) in {', '.join(loose)}: any account's trail may write there",
                         evidence)
    return Judgement("pass", f"every statement of the policy of bucket {name} that lets CloudTrail put objects "
                             "names the source trail or account", evidence)


def _statements(document: Any) -> list[tuple[int, dict[str, Any]]]:
    """The policy's statements (``Statement`` is one object or a list of them)."""
    if not isinstance(document, dict) or "Statement" not in document:
        raise PolicyShapeError("not a policy document (an object with a Statement)")
    raw = document["Statement"]
    items = raw if isinstance(raw, list) else [raw]
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise PolicyShapeError(f"Statement[{index}] is not an object")
    return list(enumerate(items))


def _label(index: int, statement: dict[str, Any]) -> str:
    sid = statement.get("Sid")
    return f"Statement[{index}] ({sid})" if isinstance(sid, str) and sid else f"Statement[{index}]"


def _strings(value: Any) -> list[str]:
    """A policy element that is a string or a list of them (anything else names nothing)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def _lets_cloudtrail_put(statement: dict[str, Any]) -> bool:
    if statement.get("Effect") != "Allow":
        return False
    return _admits_cloudtrail(statement) and _admits_put_object(statement)


def _admits_cloudtrail(statement: dict[str, Any]) -> bool:
    if "Principal" in statement:
        return _names_cloudtrail(statement["Principal"], wildcard_counts=True)
    if "NotPrincipal" in statement:
        return not _names_cloudtrail(statement["NotPrincipal"], wildcard_counts=False)
    return False


def _names_cloudtrail(principal: Any, wildcard_counts: bool) -> bool:
    if principal == "*":
        return wildcard_counts
    if not isinstance(principal, dict):
        return False
    services = {s.lower() for s in _strings(principal.get("Service"))}
    return CLOUDTRAIL in services or (wildcard_counts and "*" in _strings(principal.get("AWS")))


def _admits_put_object(statement: dict[str, Any]) -> bool:
    if "Action" in statement:
        return any(_matches(pattern, PUT_OBJECT) for pattern in _strings(statement["Action"]))
    if "NotAction" in statement:
        return not any(_matches(pattern, PUT_OBJECT) for pattern in _strings(statement["NotAction"]))
    return False


def _matches(pattern: str, text: str) -> bool:
    """IAM wildcard matching, letter case ignored: ``*`` any run, ``?`` one character, the rest
    literal. Greedy with one remembered ``*`` (no backtracking blow-up): linear in practice,
    at most ``len(pattern) * len(text)`` steps."""
    pattern, text = pattern.lower(), text.lower()
    p = t = 0
    star, resume = -1, 0
    while t < len(text):
        if p < len(pattern) and pattern[p] in ("?", text[t]):
            p, t = p + 1, t + 1
        elif p < len(pattern) and pattern[p] == "*":
            star, resume = p, t
            p += 1
        elif star >= 0:
            p, resume = star + 1, resume + 1
            t = resume
        else:
            return False
    return all(c == "*" for c in pattern[p:])


def _scoped(statement: dict[str, Any]) -> bool:
    return any(_names_a_source(values) for values in _source_conditions(statement.get("Condition")))


def _source_conditions(condition: Any) -> Iterator[Any]:
    """The values of every ``aws:SourceArn``/``aws:SourceAccount`` test under a positive operator."""
    if not isinstance(condition, dict):
        return
    for operator, tests in condition.items():
        if not isinstance(tests, dict) or _base_operator(operator) not in _POSITIVE_OPERATORS:
            continue
        for key, values in tests.items():
            if key.lower() in SOURCE_KEYS:
                yield values


def _base_operator(operator: str) -> str:
    """``ForAnyValue:StringLikeIfExists`` -> ``stringlike``."""
    base = operator.lower().rpartition(":")[2]
    return base.removesuffix("ifexists")


def _names_a_source(values: Any) -> bool:
    """At least one value is more than wildcards (``*``, ``?``) and so narrows the source."""
    items = values if isinstance(values, list) else [values]
    return any(isinstance(v, (str, int)) and not isinstance(v, bool) and str(v).strip("*?") for v in items)
