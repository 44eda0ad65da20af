"""EventBridge event patterns: operators, envelope, rule State, broken and undecided patterns.

Operator cases come from the EventBridge user guide ("Comparison operators for use in event
patterns", "Content filtering in Amazon EventBridge event patterns", "Matching null values
and empty strings", "Arrays in event patterns") and, where the guide is silent, from the
README of aws/event-ruler, the engine EventBridge runs. Each operator has a matching and a
non-matching event. moto's ``EventPattern`` (moto/events/models.py) disagrees with the guide
in a few places; those cases say so, and the guide wins.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from checker.alerting.containment import covers
from checker.alerting.eventbridge import (
    MAX_ALTERNATIVES,
    MAX_PATTERN_CHARS,
    MAX_PATTERN_DEPTH,
    DeliveredToEventBridge,
    EventPattern,
    EventPatternError,
    RuleMatcher,
    parse_event_pattern,
    rule_matcher,
)
from checker.alerting.eventbridge_envelope import cloudtrail_envelope, rule_receives
from checker.alerting.filter_parse import parse_strict
from checker.alerting.filter_pattern import FilterPattern
from checker.alerting.interface import Undecided
from tests.helpers.data import STRATUS, data_file


def pattern(source: dict[str, Any] | str) -> EventPattern:
    text = source if isinstance(source, str) else json.dumps(source)
    parsed = parse_event_pattern(text)
    assert isinstance(parsed, EventPattern), parsed
    return parsed


STAFF = {"staff": [[{"first": "Ana", "tags": [7, 8]}, {"first": "Bo"}], [{"first": "Cy", "tags": []}]]}
"""Arrays of arrays of objects, one of them holding a list of numbers and one an empty list."""

# (name, pattern, event, matches) — events are EventBridge events, not CloudTrail records.
OPERATOR_CASES: list[tuple[str, dict[str, Any], dict[str, Any], bool]] = [
    # Equals, And, Or over a value list
    ("equals", {"Name": ["Alice"]}, {"Name": "Alice"}, True),
    ("equals is case-sensitive", {"Name": ["Alice"]}, {"Name": "alice"}, False),
    ("and: both fields", {"Location": ["New York"], "Day": ["Monday"]}, {"Location": "New York", "Day": "Monday"},
     True),
    ("and: one field missing", {"Location": ["New York"], "Day": ["Monday"]}, {"Location": "New York"}, False),
    ("value list is or", {"source": ["aws.ec2", "aws.fargate"]}, {"source": "aws.fargate"}, True),
    ("value list, no value matches", {"source": ["aws.ec2", "aws.fargate"]}, {"source": "aws.s3"}, False),
    ("nesting must match", {"detail": {"state": ["terminated"]}}, {"detail": {"state": "terminated"}}, True),
    ("same name at another level", {"detail": {"state": ["terminated"]}}, {"state": "terminated"}, False),
    # Empty string and null are different values
    ("empty string", {"detail": {"eventVersion": [""]}}, {"detail": {"eventVersion": ""}}, True),
    ("empty string is not null", {"detail": {"eventVersion": [""]}}, {"detail": {"eventVersion": None}}, False),
    ("null", {"detail": {"responseElements": [None]}}, {"detail": {"responseElements": None}}, True),
    ("null is not an empty string", {"detail": {"responseElements": [None]}}, {"detail": {"responseElements": ""}},
     False),
    ("null is not absence", {"detail": {"responseElements": [None]}}, {"detail": {}}, False),
    # Values are typed. moto compares with Python ==, so it matches true against 1 and 1 against true.
    ("true", {"flag": [True]}, {"flag": True}, True),
    ("true is not 1 (moto says it is)", {"flag": [True]}, {"flag": 1}, False),
    ("a number is not its string", {"count": [5]}, {"count": "5"}, False),
    ("a number matches its other spellings", {"count": [5]}, {"count": 5.0}, True),
    # Prefix and suffix, with their equals-ignore-case forms
    ("prefix", {"time": [{"prefix": "2017-10-02"}]}, {"time": "2017-10-02T18:43:48Z"}, True),
    ("prefix mismatch", {"time": [{"prefix": "2017-10-02"}]}, {"time": "2017-10-03T18:43:48Z"}, False),
    ("prefix only on strings", {"code": [{"prefix": "12"}]}, {"code": 123}, False),
    ("prefix ignoring case", {"detail": {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}},
     {"detail": {"service": "eventbridge"}}, True),
    ("prefix ignoring case, mismatch", {"detail": {"service": [{"prefix": {"equals-ignore-case": "EventB"}}]}},
     {"detail": {"service": "eventsource"}}, False),
    ("suffix", {"FileName": [{"suffix": ".png"}]}, {"FileName": "image.png"}, True),
    ("suffix mismatch", {"FileName": [{"suffix": ".png"}]}, {"FileName": "image.PNG"}, False),
    ("suffix ignoring case", {"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]}, {"FileName": "IMAGE.PNG"},
     True),
    ("suffix ignoring case, mismatch", {"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]},
     {"FileName": "image.jpg"}, False),
    ("equals ignoring case", {"Name": [{"equals-ignore-case": "alice"}]}, {"Name": "ALICE"}, True),
    ("equals ignoring case, mismatch", {"Name": [{"equals-ignore-case": "alice"}]}, {"Name": "Alicia"}, False),
    # Wildcard, with its escapes
    ("wildcard", {"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:*:event-bus/*"}]},
     {"EventBusArn": "arn:aws:events:us-east-1:123456789012:event-bus/default"}, True),
    ("wildcard mismatch", {"EventBusArn": [{"wildcard": "arn:aws:events:us-east-1:*:event-bus/*"}]},
     {"EventBusArn": "arn:aws:events:us-west-2:123456789012:event-bus/default"}, False),
    ("wildcard inside", {"source": [{"wildcard": "Simple*Service"}]}, {"source": "SimpleQueueService"}, True),
    ("escaped star is a star", {"name": [{"wildcard": "a\\*b"}]}, {"name": "a*b"}, True),
    ("escaped star is not a wildcard", {"name": [{"wildcard": "a\\*b"}]}, {"name": "axb"}, False),
    ("escaped backslash", {"name": [{"wildcard": "a\\\\*"}]}, {"name": "a\\bc"}, True),
    # Anything-but, all forms
    ("anything-but", {"detail": {"state": [{"anything-but": "initializing"}]}}, {"detail": {"state": "running"}},
     True),
    ("anything-but the value", {"detail": {"state": [{"anything-but": "initializing"}]}},
     {"detail": {"state": "initializing"}}, False),
    ("anything-but needs the field", {"detail": {"state": [{"anything-but": "initializing"}]}}, {"detail": {}},
     False),
    ("anything-but a string matches a number", {"detail": {"state": [{"anything-but": "initializing"}]}},
     {"detail": {"state": 5}}, True),
    ("anything-but a number", {"detail": {"x-limit": [{"anything-but": 123}]}}, {"detail": {"x-limit": 124}}, True),
    ("anything-but that number", {"detail": {"x-limit": [{"anything-but": 123}]}}, {"detail": {"x-limit": 123.0}},
     False),
    ("anything-but strings", {"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}},
     {"detail": {"state": "running"}}, True),
    ("anything-but strings, listed", {"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}},
     {"detail": {"state": "stopped"}}, False),
    ("anything-but numbers", {"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}},
     {"detail": {"x-limit": 301.8}}, True),
    ("anything-but numbers, listed", {"detail": {"x-limit": [{"anything-but": [100, 200, 300]}]}},
     {"detail": {"x-limit": 200}}, False),
    ("anything-but prefix", {"Region": [{"anything-but": {"prefix": "us-"}}]}, {"Region": "eu-west-1"}, True),
    ("anything-but prefix, prefixed", {"Region": [{"anything-but": {"prefix": "us-"}}]}, {"Region": "us-east-1"},
     False),
    ("anything-but prefixes", {"state": [{"anything-but": {"prefix": ["init", "error"]}}]}, {"state": "errored"},
     False),
    ("anything-but suffix", {"FileName": [{"anything-but": {"suffix": ".png"}}]}, {"FileName": "a.jpg"}, True),
    ("anything-but suffix, suffixed", {"FileName": [{"anything-but": {"suffix": ".png"}}]}, {"FileName": "a.png"},
     False),
    ("anything-but ignoring case", {"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]},
     {"state": "running"}, True),
    ("anything-but ignoring case, other case", {"state": [{"anything-but": {"equals-ignore-case": "initializing"}}]},
     {"state": "INITIALIZING"}, False),
    ("anything-but wildcard", {"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]},
     {"FilePath": "/usr/bin/app"}, True),
    ("anything-but wildcard, matching", {"FilePath": [{"anything-but": {"wildcard": "*/lib/*"}}]},
     {"FilePath": "/usr/lib/libc.so"}, False),
    # Numeric (JSON numbers only; moto also compares booleans, since Python's True is 1)
    ("numeric range", {"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}]}}, {"detail": {"c-count": 5}}, True),
    ("numeric range, below", {"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}]}}, {"detail": {"c-count": 0}},
     False),
    ("numeric range, above", {"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}]}}, {"detail": {"c-count": 6}},
     False),
    ("numeric needs a number", {"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}]}},
     {"detail": {"c-count": "5"}}, False),
    ("numeric is not boolean (moto says it is)", {"detail": {"c-count": [{"numeric": [">", 0]}]}},
     {"detail": {"c-count": True}}, False),
    ("numeric equals", {"detail": {"x-limit": [{"numeric": ["=", 3.018e2]}]}}, {"detail": {"x-limit": 301.8}}, True),
    ("numeric equals, other", {"detail": {"x-limit": [{"numeric": ["=", 3.018e2]}]}},
     {"detail": {"x-limit": 301.9}}, False),
    ("numeric outside the documented range never matches", {"n": [{"numeric": [">", 0]}]}, {"n": 2e9}, False),
    # IP addresses
    ("cidr", {"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]}},
     {"detail": {"sourceIPAddress": "10.0.0.24"}}, True),
    ("cidr, outside", {"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]}},
     {"detail": {"sourceIPAddress": "10.0.1.1"}}, False),
    ("cidr, not an address", {"detail": {"sourceIPAddress": [{"cidr": "10.0.0.0/24"}]}},
     {"detail": {"sourceIPAddress": "ssm.amazonaws.com"}}, False),
    ("cidr IPv6", {"ip": [{"cidr": "2001:db8::/32"}]}, {"ip": "2001:db8:1::5"}, True),
    ("an address value matches the address however written", {"ip": ["10.0.0.1"]}, {"ip": "::ffff:a00:1"}, True),
    # Exists: only leaves exist
    ("exists", {"detail": {"c-count": [{"exists": True}]}}, {"detail": {"c-count": 5}}, True),
    ("exists, null is a value", {"detail": {"c-count": [{"exists": True}]}}, {"detail": {"c-count": None}}, True),
    ("exists, absent", {"detail": {"c-count": [{"exists": True}]}}, {"detail": {}}, False),
    ("exists, an object is not a leaf", {"detail": {"c-count": [{"exists": True}]}},
     {"detail": {"c-count": {"c1": 100}}}, False),
    ("not exists", {"detail": {"c-count": [{"exists": False}]}}, {"detail": {"state": "running"}}, True),
    ("not exists, present", {"detail": {"c-count": [{"exists": False}]}}, {"detail": {"c-count": 5}}, False),
    ("not exists, an object is not a leaf", {"detail": {"c-count": [{"exists": False}]}},
     {"detail": {"c-count": {"c1": 100}}}, True),
    ("not exists, an empty list has no value", {"detail": {"c-count": [{"exists": False}]}},
     {"detail": {"c-count": []}}, True),
    # $or
    ("$or", {"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization", "ReadLatency"]},
                                                  {"namespace": ["AWS/EC2", "AWS/ES"]}]},
     {"source": "aws.cloudwatch", "namespace": "AWS/EC2"}, True),
    ("$or, no branch", {"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization", "ReadLatency"]},
                                                             {"namespace": ["AWS/EC2", "AWS/ES"]}]},
     {"source": "aws.cloudwatch", "namespace": "AWS/S3"}, False),
    ("$or, and outside", {"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization", "ReadLatency"]},
                                                               {"namespace": ["AWS/EC2", "AWS/ES"]}]},
     {"source": "aws.ec2", "metricName": "CPUUtilization"}, False),
    ("nested $or", {"$or": [{"a": ["1"]}, {"b": ["2"], "$or": [{"c": ["3"]}, {"d": ["4"]}]}]},
     {"b": "2", "d": "4"}, True),
    ("nested $or, inner branch missing", {"$or": [{"a": ["1"]}, {"b": ["2"], "$or": [{"c": ["3"]}, {"d": ["4"]}]}]},
     {"b": "2"}, False),
    ("$or that is not a list is a field name", {"source": ["aws.cloudwatch"], "$or": {"metricType": ["MetricType"]}},
     {"source": "aws.cloudwatch", "$or": {"metricType": "MetricType"}}, True),
    ("$or with an operator name inside is a field name", {"$or": [{"prefix": "abc"}, {"suffix": "xyz"}]},
     {"$or": "abcd"}, True),
    ("$or as a field name, mismatch", {"$or": [{"prefix": "abc"}, {"suffix": "xyz"}]}, {"$or": "bcd"}, False),
    # Arrays: any element; fields of objects in one array element come from the same element.
    # moto does not look into arrays of objects at all.
    ("event array intersects", {"resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"]},
     {"resources": ["arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:x",
                    "arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"]}, True),
    ("event array, no common value", {"resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f"]},
     {"resources": ["arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:x"]}, False),
    ("array of objects", {"employees": {"firstName": ["Anna"]}},
     {"employees": [{"firstName": "John", "lastName": "Doe"}, {"firstName": "Anna", "lastName": "Smith"}]}, True),
    ("array of objects, one element", {"employees": {"firstName": ["Anna"], "lastName": ["Smith"]}},
     {"employees": [{"firstName": "John", "lastName": "Doe"}, {"firstName": "Anna", "lastName": "Smith"}]}, True),
    ("array of objects, fields from two elements", {"employees": {"firstName": ["Anna"], "lastName": ["Doe"]}},
     {"employees": [{"firstName": "John", "lastName": "Doe"}, {"firstName": "Anna", "lastName": "Smith"}]}, False),
    ("nested arrays are crushed", {"employees": {"firstName": ["Peter"]}},
     {"employees": [[{"firstName": "John"}], [{"firstName": "Peter"}]]}, True),
    ("not exists looks in the element already chosen", {"d": {"a": [{"exists": True}], "b": [{"exists": False}]}},
     {"d": [{"a": 1, "b": 2}, {"a": 3}]}, True),
    ("not exists, the only element has it", {"d": {"a": [{"exists": True}], "b": [{"exists": False}]}},
     {"d": [{"a": 1, "b": 2}]}, False),
    ("not exists in nested arrays, element chosen first", {"staff": {"first": ["Bo"], "tags": [{"exists": False}]}},
     STAFF, True),
    ("an empty list is no value", {"staff": {"first": ["Cy"], "tags": [{"exists": False}]}}, STAFF, True),
    ("exists in the chosen element only", {"staff": {"first": ["Bo"], "tags": [{"exists": True}]}}, STAFF, False),
    ("leaves of a list inside the chosen element", {"staff": {"first": ["Ana"], "tags": [8]}}, STAFF, True),
    # The engine takes fields in name order: "badges" sorts before "first", so when it asks
    # whether badges are absent no element has been chosen yet, and Ana's badges count.
    ("not exists is asked in name order", {"staff": {"first": ["Bo"], "badges": [{"exists": False}]}},
     {"staff": [[{"first": "Ana", "badges": [7, 8]}, {"first": "Bo"}]]}, False),
]


@pytest.mark.parametrize(("name", "source", "event", "expected"), OPERATOR_CASES, ids=[c[0] for c in OPERATOR_CASES])
def test_operator(name: str, source: dict[str, Any], event: dict[str, Any], expected: bool) -> None:
    assert pattern(source).matches_event(event) is expected


MOTO_DIFFERS = {
    "true is not 1 (moto says it is)": "moto compares with Python ==; the guide's values are typed JSON",
    "numeric is not boolean (moto says it is)": "moto takes True for 1; numeric matching is for JSON numbers",
    "numeric outside the documented range never matches": "moto has no range; the guide limits numbers to +-1e9",
    "an address value matches the address however written": "moto compares address strings as text",
    "not exists, an empty list has no value": "moto counts an empty list as present; only leaves exist",
    "$or that is not a list is a field name": "moto always reads $or as or",
    "$or with an operator name inside is a field name": "moto always reads $or as or",
    "array of objects": "moto does not look into arrays of objects",
    "array of objects, one element": "moto does not look into arrays of objects",
    "nested arrays are crushed": "moto does not look into arrays of objects",
    "not exists looks in the element already chosen": "moto does not look into arrays of objects",
    "not exists in nested arrays, element chosen first": "moto does not look into arrays of objects",
    "an empty list is no value": "moto does not look into arrays of objects",
    "leaves of a list inside the chosen element": "moto does not look into arrays of objects",
}
"""Cases where moto's EventPattern (moto/events/models.py) answers otherwise, and why the
guide (or the engine's README where the guide is silent) decides them our way."""


def test_moto_agrees_on_every_other_case() -> None:
    from moto.events.models import EventPattern as MotoPattern  # imported here: moto is slow to import

    assert set(MOTO_DIFFERS) <= {case[0] for case in OPERATOR_CASES}
    for name, source, event, expected in OPERATOR_CASES:
        if name not in MOTO_DIFFERS:
            moto_event: Any = event  # moto types events as its own TypedDict
            assert MotoPattern.load(json.dumps(source)).matches_event(moto_event) is expected, name


# ----------------------------------------------------------------------------------- broken patterns

BROKEN: list[tuple[str, str, str]] = [
    # (pattern, JSON path in the error, words of the reason)
    ('{"a": ["x"]', "$", "not JSON"),
    ('["a"]', "$", "must be a JSON object"),
    ("{}", "$", "empty object"),
    ('{"detail": {}}', "$.detail", "empty object"),
    ('{"detail": {"eventName": []}}', "$.detail.eventName", "empty list"),
    ('{"detail": {"eventName": "StartSession"}}', "$.detail.eventName", "object or a list"),
    ('{"detail": {"eventName": ["A"], "eventName": ["B"]}}', "$.detail.eventName", "duplicate key"),
    ('{"a": [["x"]]}', "$.a[0]", "match value"),
    ('{"a": [{"prefix": "x", "suffix": "y"}]}', "$.a[0]", "only one operator"),
    ('{"a": [{"prefix": 5}]}', "$.a[0].prefix", "prefix takes a string"),
    ('{"a": [{"wildcard": 5}]}', "$.a[0].wildcard", "must be a string"),
    ('{"a": [{"bogus": 5}]}', "$.a[0].bogus", "unknown operator"),
    ('{"a": [{"wildcard": "a**b"}]}', "$.a[0].wildcard", "consecutive wildcard"),
    ('{"a": [{"wildcard": "a\\\\b"}]}', "$.a[0].wildcard", "invalid escape"),
    ('{"a": [{"numeric": [">", 5, "<", 1]}]}', "$.a[0].numeric", "lower bound"),
    ('{"a": [{"numeric": ["!=", 5]}]}', "$.a[0].numeric[0]", "numeric operator"),
    ('{"a": [{"numeric": ["<", "5"]}]}', "$.a[0].numeric[1]", "must be a number"),
    ('{"a": [{"cidr": "10.0.0.0/32"}]}', "$.a[0].cidr", "mask bits"),
    ('{"a": [{"cidr": "10.0.0.0"}]}', "$.a[0].cidr", "one '/'"),
    ('{"a": [{"anything-but": ["x", 1]}]}', "$.a[0].anything-but", "only strings or only numbers"),
    ('{"a": [{"anything-but": null}]}', "$.a[0].anything-but", "anything-but takes"),
    ('{"a": [{"anything-but": {"prefix": ""}}]}', "$.a[0].anything-but.prefix", "empty anything-but prefix"),
    ('{"a": [{"exists": "yes"}]}', "$.a[0].exists", "true or false"),
    ('{"$or": [{"metricName": ["CPUUtilization"]}]}', "$.$or", "at least two objects"),
    ('{"a": [NaN]}', "$", "not JSON"),
]


@pytest.mark.parametrize(("text", "path", "reason"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_pattern_names_the_place(text: str, path: str, reason: str) -> None:
    with pytest.raises(EventPatternError) as raised:
        parse_event_pattern(text)
    assert raised.value.path == path
    assert reason in raised.value.reason


def test_pattern_longer_than_eventbridge_accepts_is_broken() -> None:
    text = json.dumps({"detail": {"eventName": ["x" * MAX_PATTERN_CHARS]}})
    with pytest.raises(EventPatternError, match="longer than"):
        parse_event_pattern(text)


# ----------------------------------------------------------------------------------- undecided patterns

UNDECIDED: list[tuple[str, str]] = [
    ('{"detail.eventName": ["StartSession"]}', "containing '.'"),
    ('{"id": ["x"]}', "delivery"),
    ('{"a": [{"exactly": "x"}]}', "not one EventBridge documents"),
    ('{"a": [{"regex": "x.*"}]}', "not one EventBridge documents"),
    ('{"a": [10000000000]}', "documents for numeric matching"),
    ('{"a": [{"numeric": [">", 0.0000001]}]}', "documents for numeric matching"),
    ('{"a": [{"anything-but": [1, 12345678901234567890]}]}', "documents for numeric matching"),
    ('{"a": ["x", {"numeric": [">", 0]}]}', "mixes numeric and string"),
    ('{"a": ["1"], "$or": [{"a": ["2"]}, {"b": ["3"]}]}', "given twice"),
    ('{"a": [{"prefix": "x\\""}]}', "double quote"),
    ('{"a": [{"equals-ignore-case": "straße"}]}', "non-ASCII"),
    ('{"a": ["010.0.0.1"]}', "leading zeros"),
    ('{"a": [{"cidr": "010.0.0.0/8"}]}', "leading zeros"),
]


@pytest.mark.parametrize(("text", "reason"), UNDECIDED, ids=[u[0] for u in UNDECIDED])
def test_undecided_pattern_names_the_construct(text: str, reason: str) -> None:
    parsed = parse_event_pattern(text)
    assert isinstance(parsed, Undecided)
    assert parsed.text == text
    assert reason in parsed.reason


def test_deep_nesting_is_undecided_not_a_crash() -> None:
    text = '{"a": ' * (MAX_PATTERN_DEPTH + 1) + '["x"]' + "}" * (MAX_PATTERN_DEPTH + 1)
    parsed = parse_event_pattern(text)
    assert isinstance(parsed, Undecided)
    assert "nested deeper" in parsed.reason


def test_or_lists_that_multiply_too_far_are_undecided() -> None:
    # Nine independent $or lists of two branches: 512 alternatives.
    fields = {f"f{i}": {"$or": [{"x": ["1"]}, {"y": ["2"]}]} for i in range(9)}
    assert MAX_ALTERNATIVES < 2 ** 9
    parsed = parse_event_pattern(json.dumps(fields))
    assert isinstance(parsed, Undecided)
    assert "alternatives" in parsed.reason


# ----------------------------------------------------------------------------------- the envelope

SSM_RECIPE = {"source": ["aws.ssm"], "detail-type": ["AWS API Call via CloudTrail"],
              "detail": {"eventSource": ["ssm.amazonaws.com"],
                         "eventName": ["StartSession", "ResumeSession", "TerminateSession"]}}


def stratus_records(name: str) -> list[dict[str, Any]]:
    records = json.loads(data_file(STRATUS, name).read_text())
    assert isinstance(records, list)
    return records


def session_records() -> list[dict[str, Any]]:
    """The StartSession and TerminateSession records Stratus Red Team captured, and a
    ResumeSession made from a StartSession (the capture has none)."""
    records = [r for r in stratus_records("aws.execution.ssm-start-session.json")
               if r["eventName"] in ("StartSession", "TerminateSession")]
    resume = dict(next(r for r in records if r["eventName"] == "StartSession"), eventName="ResumeSession")
    return [*records, resume]


def test_ssm_recipe_matches_session_records() -> None:
    recipe = pattern(SSM_RECIPE)
    records = session_records()
    assert {r["eventName"] for r in records} == {"StartSession", "ResumeSession", "TerminateSession"}
    for record in records:
        assert recipe.matches(record), record["eventName"]


def test_ssm_recipe_does_not_match_athena_terminate_session() -> None:
    athena = dict(session_records()[0], eventSource="athena.amazonaws.com", eventName="TerminateSession")
    assert not pattern(SSM_RECIPE).matches(athena)
    # Only the detail clause would still match if the source were not read from the record.
    assert not pattern({"source": ["aws.ssm"]}).matches(athena)
    assert pattern({"source": ["aws.athena"]}).matches(athena)


def test_ssm_recipe_does_not_match_other_ssm_calls() -> None:
    describe = next(r for r in stratus_records("aws.execution.ssm-start-session.json")
                    if r["eventName"] == "DescribeInstanceInformation")
    assert not pattern(SSM_RECIPE).matches(describe)


def test_envelope_of_a_record() -> None:
    record = session_records()[0]
    envelope = cloudtrail_envelope(record)
    assert envelope is not None
    assert envelope["source"] == "aws.ssm"
    assert envelope["detail-type"] == "AWS API Call via CloudTrail"
    assert envelope["account"] == record["recipientAccountId"]
    assert envelope["region"] == record["awsRegion"]
    assert envelope["time"] == record["eventTime"]
    assert envelope["resources"] == []
    assert envelope["detail"] is record


def test_console_sign_in_envelope() -> None:
    login = next(r for r in stratus_records("aws.initial-access.console-login-without-mfa.json")
                 if r["eventName"] == "ConsoleLogin")
    assert pattern({"source": ["aws.signin"], "detail-type": ["AWS Console Sign In via CloudTrail"],
                    "detail": {"eventName": ["ConsoleLogin"]}}).matches(login)
    assert not pattern({"detail-type": ["AWS API Call via CloudTrail"]}).matches(login)


@pytest.mark.parametrize("change", [{"eventType": "AwsSomethingNew"}, {"eventSource": "example.com"},
                                    {"eventType": None}])
def test_record_without_a_known_envelope_matches_nothing(change: dict[str, Any]) -> None:
    record = {**session_records()[0], **change}
    assert cloudtrail_envelope(record) is None
    assert not pattern({"detail": {"eventName": [{"exists": True}]}}).matches(record)


def test_envelope_fields_read_from_the_record() -> None:
    record = session_records()[0]
    assert pattern({"account": [record["recipientAccountId"]], "region": [record["awsRegion"]],
                    "time": [{"prefix": record["eventTime"][:10]}], "version": ["0"]}).matches(record)
    assert not pattern({"account": ["000000000000"]}).matches(record)


def test_hints_name_record_fields() -> None:
    hints = pattern(SSM_RECIPE).hints()
    assert hints[("eventName",)].literals == {"StartSession", "ResumeSession", "TerminateSession"}
    assert "ssm.amazonaws.com" in hints[("eventSource",)].literals
    assert "AwsApiCall" in hints[("eventType",)].literals
    assert not any(path[0] in ("detail", "source", "detail-type") for path in hints)


def test_source_prefix_and_suffix_hints_translate_to_event_sources() -> None:
    hints = pattern({"source": [{"prefix": "aws.ss"}, {"suffix": "kms"}]}).hints()[("eventSource",)]
    assert "ss" in hints.prefixes
    assert "kms.amazonaws.com" in hints.suffixes


# ----------------------------------------------------------------------------------- rule State


def test_disabled_rule_receives_nothing() -> None:
    matcher = rule_matcher("DISABLED", json.dumps(SSM_RECIPE))
    assert isinstance(matcher, RuleMatcher)
    assert not any(matcher.matches(r) for r in session_records())


def test_enabled_rule_misses_read_only_events() -> None:
    describe = next(r for r in stratus_records("aws.execution.ssm-start-session.json")
                    if r["eventName"] == "DescribeInstanceInformation")
    assert describe["readOnly"] is True
    assert not rule_receives("ENABLED", describe)
    assert rule_receives("ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS", describe)
    assert all(rule_receives("ENABLED", r) for r in session_records())


@pytest.mark.parametrize(("record", "received"), [
    ({"eventName": "GetSecretValue", "eventSource": "secretsmanager.amazonaws.com"}, False),
    ({"eventName": "ListBuckets", "eventSource": "s3.amazonaws.com", "readOnly": False}, False),
    ({"eventName": "GetSessionToken", "eventSource": "sts.amazonaws.com"}, True),
    ({"eventName": "GetFederationToken", "eventSource": "sts.amazonaws.com", "readOnly": False}, True),
    ({"eventName": "Decrypt", "eventSource": "kms.amazonaws.com", "readOnly": True}, False),
    ({"eventName": "DisableKey", "eventSource": "kms.amazonaws.com", "readOnly": False}, True),
])
def test_enabled_rule_is_conservative_about_read_only_events(record: dict[str, Any], received: bool) -> None:
    assert rule_receives("ENABLED", record) is received


def test_unknown_rule_state_is_undecided() -> None:
    matcher = rule_matcher("PAUSED", json.dumps(SSM_RECIPE))
    assert isinstance(matcher, Undecided)
    assert "PAUSED" in matcher.reason


def test_rule_with_a_test_hints_cannot_carry_is_undecided_for_containment() -> None:
    text = json.dumps({"detail": {"eventName": [{"equals-ignore-case": "startsession"}]}})
    parsed = pattern(text)
    assert parsed.matches(dict(session_records()[0], eventName="StartSession"))
    matcher = rule_matcher("ENABLED", text)
    assert isinstance(matcher, Undecided)
    assert "equals-ignore-case" in matcher.reason


# ----------------------------------------------------------------------------------- patterns in the wild


def wild_eventbridge_entries() -> list[dict[str, Any]]:
    entries = json.loads(data_file("monitoring-in-the-wild", "patterns.json").read_text())
    permissive = {"Apache-2.0", "MIT", "MIT-0", "BSD-3-Clause"}
    found = [e for e in entries if e["kind"] == "eventbridge" and e["license"] in permissive]
    assert len(found) == 75
    return found


def test_patterns_in_the_wild_are_all_read() -> None:
    broken = {}
    for entry in wild_eventbridge_entries():
        try:
            parsed = parse_event_pattern(entry["pattern"])
        except EventPatternError as error:
            broken[entry["id"]] = error.reason
            continue
        assert isinstance(parsed, EventPattern), (entry["id"], parsed)
    # ScaleSec's historical root rule gives "userIdentity" twice.
    assert set(broken) == {"mitw-096", "mitw-098"}
    assert all("duplicate key 'userIdentity'" in reason for reason in broken.values())


@pytest.mark.parametrize(("entry_id", "event_name"), [("mitw-252", "AuthorizeSecurityGroupIngress"),
                                                     ("mitw-271", "CreateNetworkAcl")])
def test_wild_pattern_with_source_aws_vpc_never_sees_ec2_calls(entry_id: str, event_name: str) -> None:
    entry = next(e for e in wild_eventbridge_entries() if e["id"] == entry_id)
    record = {"eventSource": "ec2.amazonaws.com", "eventType": "AwsApiCall", "eventName": event_name}
    assert not pattern(entry["pattern"]).matches(record)
    assert pattern(entry["pattern"].replace("aws.vpc", "aws.ec2").replace("cloudtrail.amazonaws.com",
                                                                          "ec2.amazonaws.com")).matches(record)


# ----------------------------------------------------------------------------------- containment

SSM_REFERENCE = ('{ ($.eventSource = "ssm.amazonaws.com") && (($.eventName = "StartSession") || '
                 '($.eventName = "ResumeSession") || ($.eventName = "TerminateSession")) }')
API_CALLS = '($.eventType = "AwsApiCall")'
WRITES = "($.readOnly IS FALSE)"


def reference(*clauses: str) -> FilterPattern:
    return parse_strict("{ " + " && ".join([SSM_REFERENCE[2:-2], *clauses]) + " }")


def test_ssm_rule_covers_the_session_reference() -> None:
    result = covers(pattern(SSM_RECIPE), reference(API_CALLS))
    assert result.covered is True, result.missed_text()


def test_ssm_rule_without_resume_session_misses_it() -> None:
    without = {**SSM_RECIPE, "detail": {"eventSource": ["ssm.amazonaws.com"],
                                        "eventName": ["StartSession", "TerminateSession"]}}
    result = covers(pattern(without), reference(API_CALLS))
    assert result.covered is False
    assert result.missed_text() == ["eventSource=ssm.amazonaws.com, eventName=ResumeSession, eventType=AwsApiCall"]


def test_an_eventbridge_rule_sees_only_records_delivered_to_eventbridge() -> None:
    # The bare reference also matches session records of other event types; CloudTrail writes
    # none, but witnesses cannot know it, so the reference must say which records it means.
    result = covers(pattern(SSM_RECIPE), parse_strict(SSM_REFERENCE))
    assert result.covered is False
    assert result.missed_text()
    assert all("eventType" in miss and "eventType=AwsApiCall" not in miss for miss in result.missed_text())


def test_enabled_rule_covers_write_events_only() -> None:
    matcher = rule_matcher("ENABLED", json.dumps(SSM_RECIPE))
    assert isinstance(matcher, RuleMatcher)
    assert covers(matcher, reference(API_CALLS, WRITES)).covered is True
    read_too = covers(matcher, reference(API_CALLS))
    assert read_too.covered is False
    assert all("readOnly=" in miss for miss in read_too.missed_text())
    everything = rule_matcher("ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS", json.dumps(SSM_RECIPE))
    assert isinstance(everything, RuleMatcher)
    assert covers(everything, reference(API_CALLS)).covered is True


def test_disabled_rule_covers_nothing() -> None:
    matcher = rule_matcher("DISABLED", json.dumps(SSM_RECIPE))
    assert isinstance(matcher, RuleMatcher)
    assert covers(matcher, reference(API_CALLS)).covered is False


def test_delivered_records_pattern() -> None:
    delivered = DeliveredToEventBridge()
    assert all(delivered.matches(r) for r in session_records())
    assert not delivered.matches({"eventType": "AwsCloudTrailInsight"})
    assert covers(delivered, reference(API_CALLS)).covered is True
