"""Properties of EventBridge pattern matching, over generated patterns and events.

- Matching is deterministic: the same pattern and event give the same answer, however often
  and in whatever key order the event is written.
- An extra ``$or`` branch never loses a match.
- ``anything-but`` is the complement of the positive test on present string values, for
  every form (value list, prefix, suffix, equals-ignore-case, wildcard).
- A field holding a list matches when one of its elements would.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from checker.alerting.eventbridge import EventPattern, parse_event_pattern
from checker.alerting.eventbridge_envelope import cloudtrail_envelope

# Letters only: a string that is an IP address is compared as an address by a plain value
# list but as text by anything-but, which the complement property is not about.
TEXT = st.text(alphabet="abAB*\\-", max_size=4)
PLAIN = st.text(alphabet="abAB-", max_size=4)
LEAF = st.one_of(TEXT, st.integers(-3, 3), st.booleans(), st.none())
FIELDS = ("a", "b", "c")
PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _wildcard_text() -> st.SearchStrategy[str]:
    # Valid wildcards: no "**" (inner parts are not empty), a backslash only before "*" or "\".
    escapes = st.sampled_from(["\\*", "\\\\"])
    piece = st.one_of(PLAIN, escapes)
    inner = st.one_of(PLAIN.filter(bool), escapes)
    starred = st.tuples(piece, st.lists(inner, max_size=2), piece).map(
        lambda parts: "*".join([parts[0], *parts[1], parts[2]]))
    return st.one_of(piece, starred)


STRING_TEST = st.one_of(
    TEXT,
    st.builds(lambda p: {"prefix": p}, PLAIN),
    st.builds(lambda s: {"suffix": s}, PLAIN),
    st.builds(lambda s: {"equals-ignore-case": s}, PLAIN),
    st.builds(lambda w: {"wildcard": w}, _wildcard_text()),
    st.builds(lambda v: {"anything-but": v}, st.one_of(TEXT, st.lists(TEXT, min_size=1, max_size=2))),
    st.builds(lambda p: {"anything-but": {"prefix": p}}, PLAIN.filter(bool)),
    st.builds(lambda e: {"exists": e}, st.booleans()),
    st.sampled_from([True, False, None]),
)
NUMBER_TEST = st.one_of(
    st.integers(-3, 3),
    st.builds(lambda op, n: {"numeric": [op, n]}, st.sampled_from(["<", "<=", "=", ">", ">="]), st.integers(-3, 3)),
    st.builds(lambda v: {"anything-but": v}, st.lists(st.integers(-3, 3), min_size=1, max_size=2)),
    st.builds(lambda e: {"exists": e}, st.booleans()),
)
VALUE_LIST = st.one_of(st.lists(STRING_TEST, min_size=1, max_size=3), st.lists(NUMBER_TEST, min_size=1, max_size=3))


def _object(children: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.dictionaries(st.sampled_from(FIELDS), children, min_size=1, max_size=3)


BRANCH = _object(st.one_of(VALUE_LIST, _object(VALUE_LIST)))
EVENT_VALUE = st.recursive(
    st.one_of(LEAF, st.lists(LEAF, max_size=3)),
    lambda inner: st.one_of(st.dictionaries(st.sampled_from(FIELDS), inner, max_size=3),
                            st.lists(st.dictionaries(st.sampled_from(FIELDS), inner, max_size=3), max_size=3)),
    max_leaves=8,
)
EVENT = st.dictionaries(st.sampled_from(FIELDS), EVENT_VALUE, max_size=3)


def parsed(source: Any) -> EventPattern:
    result = parse_event_pattern(json.dumps(source))
    assume(isinstance(result, EventPattern))  # undecided mixes (numbers with strings) are not the point
    assert isinstance(result, EventPattern)
    return result


def reversed_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: reversed_keys(value[key]) for key in reversed(list(value))}
    if isinstance(value, list):
        return [reversed_keys(item) for item in value]
    return value


@PROPERTY_SETTINGS
@given(branch=BRANCH, event=EVENT)
def test_matching_is_deterministic(branch: dict[str, Any], event: dict[str, Any]) -> None:
    pattern = parsed(branch)
    first = pattern.matches_event(event)
    assert pattern.matches_event(event) is first
    assert parsed(branch).matches_event(json.loads(json.dumps(event))) is first
    assert pattern.matches_event(reversed_keys(event)) is first


@PROPERTY_SETTINGS
@given(branches=st.lists(BRANCH, min_size=2, max_size=3), extra=BRANCH, event=EVENT)
def test_an_extra_or_branch_matches_a_superset(branches: list[dict[str, Any]], extra: dict[str, Any],
                                               event: dict[str, Any]) -> None:
    narrow = parsed({"$or": branches})
    wide = parsed({"$or": [*branches, extra]})
    if narrow.matches_event(event):
        assert wide.matches_event(event)


@PROPERTY_SETTINGS
@given(branch=BRANCH, extra=BRANCH, event=EVENT)
def test_or_of_a_pattern_and_another_contains_the_pattern(branch: dict[str, Any], extra: dict[str, Any],
                                                          event: dict[str, Any]) -> None:
    if parsed(branch).matches_event(event):
        assert parsed({"$or": [branch, extra]}).matches_event(event)


POSITIVE_AND_NEGATIVE = st.one_of(
    st.builds(lambda x: ([x], {"anything-but": [x]}), TEXT),
    st.builds(lambda xs: (xs, {"anything-but": xs}), st.lists(TEXT, min_size=1, max_size=3)),
    st.builds(lambda p: ([{"prefix": p}], {"anything-but": {"prefix": p}}), PLAIN.filter(bool)),
    st.builds(lambda s: ([{"suffix": s}], {"anything-but": {"suffix": s}}), PLAIN.filter(bool)),
    st.builds(lambda s: ([{"equals-ignore-case": s}], {"anything-but": {"equals-ignore-case": s}}), PLAIN),
    st.builds(lambda w: ([{"wildcard": w}], {"anything-but": {"wildcard": w}}), _wildcard_text()),
)


@PROPERTY_SETTINGS
@given(tests=POSITIVE_AND_NEGATIVE, value=TEXT, nested=st.booleans())
def test_anything_but_is_the_complement_on_present_strings(tests: tuple[list[Any], dict[str, Any]], value: str,
                                                           nested: bool) -> None:
    positive, negative = tests

    def wrap(inner: Any) -> dict[str, Any]:
        return {"d": {"f": inner}} if nested else {"f": inner}

    event = wrap(value)
    assert parsed(wrap([negative])).matches_event(event) is not parsed(wrap(positive)).matches_event(event)


@PROPERTY_SETTINGS
@given(values=st.lists(STRING_TEST.filter(lambda t: not (isinstance(t, dict) and "exists" in t)), min_size=1,
                       max_size=3),
       elements=st.lists(LEAF, min_size=1, max_size=3))
def test_a_list_matches_when_one_element_does(values: list[Any], elements: list[Any]) -> None:
    pattern = parsed({"f": values})
    assert pattern.matches_event({"f": elements}) is any(pattern.matches_event({"f": e}) for e in elements)


@PROPERTY_SETTINGS
@given(branch=BRANCH, detail=st.dictionaries(st.sampled_from(FIELDS), EVENT_VALUE, max_size=3),
       event_name=PLAIN)
def test_a_record_matches_as_its_envelope(branch: dict[str, Any], detail: dict[str, Any], event_name: str) -> None:
    record = {**detail, "eventSource": "ssm.amazonaws.com", "eventType": "AwsApiCall", "eventName": event_name}
    pattern = parsed({"detail": branch})
    envelope = cloudtrail_envelope(record)
    assert envelope is not None
    assert pattern.matches(record) is pattern.matches_event(envelope)
