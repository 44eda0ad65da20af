"""CloudWatch Logs JSON filter patterns: reading them (strict for our policies, lenient for
stored patterns) and what they match.

The evaluation rows use the examples of the CloudWatch Logs user guide ("Filter pattern
syntax", JSON log events) with the verdicts it states, then the cases the guide leaves open,
which must come out unsettled (``None``) rather than guessed.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest

from checker.alerting.filter_parse import (
    MAX_NESTING,
    MAX_PATTERN_LENGTH,
    FilterPatternError,
    parse_lenient,
    parse_strict,
)
from checker.alerting.filter_pattern import (
    AllOf,
    AnyOf,
    FilterPattern,
    KindTerm,
    Node,
    NumberTerm,
    StringOp,
    StringTerm,
    Wildcard,
)
from checker.alerting.interface import Hints, Undecided


def lenient(text: str) -> FilterPattern:
    parsed = parse_lenient(text)
    assert isinstance(parsed, FilterPattern), parsed
    return parsed


# -- reading -----------------------------------------------------------------------------

def s(path: str, op: StringOp, text: str, leading: bool = False, trailing: bool = False) -> StringTerm:
    return StringTerm(tuple(path.split(".")), op, Wildcard(text, leading, trailing))


class ParseRow(NamedTuple):
    text: str
    tree: Node


PARSED = [
    ParseRow('{ $.eventName = "DisableKey" }', s("eventName", "=", "DisableKey")),
    ParseRow("{$.eventName=DeleteGroupPolicy}", s("eventName", "=", "DeleteGroupPolicy")),
    ParseRow('{ $.errorCode = "*UnauthorizedOperation" }', s("errorCode", "=", "UnauthorizedOperation", leading=True)),
    ParseRow('{ $.errorCode = "AccessDenied*" }', s("errorCode", "=", "AccessDenied", trailing=True)),
    ParseRow('{ $.a = "*Event*" }', s("a", "=", "Event", leading=True, trailing=True)),
    ParseRow('{ $.a = "Ev*ent" }', s("a", "=", "Ev*ent")),  # a * inside is a literal character
    ParseRow("{ $.a = * }", s("a", "=", "", leading=True, trailing=True)),
    ParseRow('{ $.a != "" }', s("a", "!=", "")),
    ParseRow("{ $.a[0][1].b-c_d = x }", StringTerm(("a", 0, 1, "b-c_d"), "=", Wildcard("x"))),
    ParseRow("{ $.latency > +1000 }", NumberTerm(("latency",), ">", 1000.0, "+1000")),
    ParseRow("{ $.n[0] < 10e-3 }", NumberTerm(("n", 0), "<", 0.01, "10e-3")),
    ParseRow("{ $.n <= -1.5E+2 }", NumberTerm(("n",), "<=", -150.0, "-1.5E+2")),
    ParseRow("{ $.errorCode != 500 }", NumberTerm(("errorCode",), "!=", 500.0, "500")),
    ParseRow("{ $.SomeObject IS NULL }", KindTerm(("SomeObject",), "IS NULL")),
    ParseRow("{ $.Other NOT   EXISTS }", KindTerm(("Other",), "NOT EXISTS")),
    ParseRow("{ $.Flag IS TRUE && $.Off IS FALSE }",
             AllOf((KindTerm(("Flag",), "IS TRUE"), KindTerm(("Off",), "IS FALSE")))),
    # && binds tighter than ||; parentheses override; nested groups of one kind flatten.
    ParseRow('{ $.a = "1" || $.b = "2" && $.c = "3" }',
             AnyOf((s("a", "=", "1"), AllOf((s("b", "=", "2"), s("c", "=", "3")))))),
    ParseRow('{ ($.a = "1" || $.b = "2") && $.c = "3" }',
             AllOf((AnyOf((s("a", "=", "1"), s("b", "=", "2"))), s("c", "=", "3")))),
    ParseRow('{ ((($.a = "1"))) || (($.b = "2") || $.c = "3") }',
             AnyOf((s("a", "=", "1"), s("b", "=", "2"), s("c", "=", "3")))),
]


@pytest.mark.parametrize("row", PARSED, ids=[r.text for r in PARSED])
def test_strict_and_lenient_read_the_documented_syntax(row: ParseRow) -> None:
    assert parse_strict(row.text).root == row.tree
    assert lenient(row.text).root == row.tree


class ErrorRow(NamedTuple):
    text: str
    offset: int
    says: str


STRICT_ERRORS = [
    ErrorRow('$.a = "x"', 0, "expected '{'"),
    ErrorRow("", 0, "expected '{'"),
    ErrorRow("{}", 1, "expected '(' or a selector"),
    ErrorRow('{ $a = "x" }', 2, "expected a selector"),
    ErrorRow('{ $.a. = "x" }', 6, "expected a property name"),
    ErrorRow('{ $.a[x] = "x" }', 5, "expected an array index"),
    ErrorRow('{ $.a : "x" }', 6, "expected an operator"),
    ErrorRow('{ $.a = "x" ', 12, "expected '&&', '||' or '}'"),
    ErrorRow('{ $.a = "x" & $.b = "y" }', 12, "expected '&&', '||' or '}'"),
    ErrorRow('{ ($.a = "x" }', 13, "expected '&&', '||' or ')'"),
    ErrorRow('{ $.a = "x" } extra', 14, "expected the end of the pattern"),
    ErrorRow("{ $.a = kms.amazonaws.com }", 8, "expected a quoted value"),
    ErrorRow('{ $.a == "x" }', 7, "expected a quoted value"),
    ErrorRow('{ $.a = "x }', 8, "expected a closing '\"'"),
    ErrorRow("{ $.a > abc }", 8, "expected a number after >"),
    ErrorRow('{ $.a > "5" }', 8, "a quoted value after >"),
    ErrorRow("{ $.a IS MISSING }", 9, "expected NULL or TRUE or FALSE after IS"),
    ErrorRow("{ $.a NOT NULL }", 10, "expected EXISTS after NOT"),
    ErrorRow("{ $.a is null }", 6, "upper case"),
    ErrorRow("{ $.a = true }", 8, "use IS TRUE, IS FALSE or IS NULL"),
    ErrorRow('{ $.a = "%Denied%" }', 8, "regular-expression value"),
    ErrorRow('{ $.a = "**" }', 8, "repeated '*'"),
    ErrorRow('{ $.a = " x" }', 8, "spaces at the ends of a quoted value"),
    ErrorRow(r'{ $.a = "x\"y" }', 8, "backslash"),
    ErrorRow('{ $.a[1001] = "x" }', 5, "array index above 1000"),
]


@pytest.mark.parametrize("row", STRICT_ERRORS, ids=[r.text for r in STRICT_ERRORS])
def test_strict_errors_name_the_offset_and_what_was_expected(row: ErrorRow) -> None:
    with pytest.raises(FilterPatternError) as raised:
        parse_strict(row.text)
    assert raised.value.offset == row.offset
    assert row.says in str(raised.value)
    assert str(raised.value).startswith(f"character {row.offset}: ")


LENIENT_READS = [
    # Stored patterns: unquoted values run to whitespace, ')', '&&', '||' or '}'.
    ParseRow("{ ($.eventSource = kms.amazonaws.com) }", s("eventSource", "=", "kms.amazonaws.com")),
    ParseRow("{ $.sourceIPAddress != 123.123.* }", s("sourceIPAddress", "!=", "123.123.", trailing=True)),
    ParseRow("{ ($.errorCode =AccessDenied*)&&($.x!=a&b) }",
             AllOf((s("errorCode", "=", "AccessDenied", trailing=True), s("x", "!=", "a&b")))),
    ParseRow("{$.a=x||$.b=y}", AnyOf((s("a", "=", "x"), s("b", "=", "y")))),
    # Documented: the empty pattern (and " ") matches every log event.
    ParseRow("", AllOf(())),
    ParseRow("   ", AllOf(())),
    ParseRow('" "', AllOf(())),
]


@pytest.mark.parametrize("row", LENIENT_READS, ids=[repr(r.text) for r in LENIENT_READS])
def test_lenient_reads_stored_patterns(row: ParseRow) -> None:
    assert lenient(row.text).root == row.tree


UNDECIDED = [
    ("ERROR", "not a JSON filter pattern"),
    ('"Failed authentication"', "not a JSON filter pattern"),
    ("[ip, user, status_code = 4*, bytes]", "not a JSON filter pattern"),
    ("%AccessDenied%", "not a JSON filter pattern"),
    ("{ $.eventName = %Delete.*% }", "regular-expression value"),
    ('{ $.eventName = "%Delete%" }', "regular-expression value"),
    ("{ $.flag = true }", "does not say whether it is text or a JSON literal"),
    ("{ $.a = NULL }", "does not say whether it is text or a JSON literal"),
    ("{ $.a IS not null }", "expected NULL or TRUE or FALSE after IS"),
    ("{ $.a not exists }", "upper case"),
    ('{ $.a = "x\\"y" }', "backslash"),
    ('{ $.a = "x " }', "spaces at the ends"),
    ("{ $.a = =x }", "its reading is not documented"),
    ("{ $.a = f(x) }", "its reading is not documented"),
    ("{ $.a = **x }", "repeated '*'"),
    ("{ $.a = 1e999 }", "out of range"),
    ("{ $.eventName = DisableKey", "expected '&&', '||' or '}'"),
    ("{ $.a = x } { $.b = y }", "expected the end of the pattern"),
    ("{ " + "(" * (MAX_NESTING + 1) + "$.a = x" + ")" * (MAX_NESTING + 1) + " }", "nested deeper than 100"),
    ("{ $.a = " + "x" * MAX_PATTERN_LENGTH + " }", "longer than 10000"),
]


@pytest.mark.parametrize(("text", "says"), UNDECIDED, ids=[t[:40] for t, _ in UNDECIDED])
def test_lenient_gives_undecided_with_the_reason_never_a_guess(text: str, says: str) -> None:
    parsed = parse_lenient(text)
    assert isinstance(parsed, Undecided)
    assert parsed.text == text
    assert says in parsed.reason


def test_nesting_and_length_are_bounded_without_recursion_errors() -> None:
    deepest = "{ " + "(" * MAX_NESTING + '$.a = "x"' + ")" * MAX_NESTING + " }"
    assert parse_strict(deepest).root == s("a", "=", "x")
    for depth in (MAX_NESTING + 1, 4_000):
        with pytest.raises(FilterPatternError, match="nested deeper than 100"):
            parse_strict("{ " + "(" * depth + '$.a = "x"' + ")" * depth + " }")
    with pytest.raises(FilterPatternError, match="longer than 10000"):
        parse_strict("{ " + " || ".join(['$.a = "x"'] * 1_000) + " }")
    wide = lenient("{ " + " || ".join(f"$.a = v{i}" for i in range(700)) + " }")
    assert wide.matches({"a": "v699"}) and not wide.matches({"a": "v700"})


# -- what patterns match -----------------------------------------------------------------

GUIDE_RECORD: dict[str, Any] = {
    "eventType": "UpdateTrail",
    "sourceIPAddress": "111.111.111.111",
    "arrayKey": ["value", "another value"],
    "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}],
    "SomeObject": None,
    "ThisFlag": True,
}
GUIDE_COMPOUND: dict[str, Any] = {
    "user": {"id": 1, "email": "John.Stiles@example.com"},
    "users": [{"id": 2, "email": "John.Doe@example.com"}, {"id": 3, "email": "Jane.Doe@example.com"}],
    "actions": ["GET", "PUT", "DELETE"],
    "coordinates": [[0, 1, 2], [4, 5, 6], [7, 8, 9]],
}
SIGNIN: dict[str, Any] = {"eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin",
                          "userIdentity": {"type": "IAMUser"}, "responseElements": {"ConsoleLogin": "Success"}}
CIS_V5_4_1 = ('{ ($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*") && '
              '($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }')


class EvalRow(NamedTuple):
    pattern: str
    record: dict[str, Any]
    verdict: bool | None
    why: str


EVALUATIONS = [
    # The guide's examples, with the verdicts it states.
    EvalRow('{ $.eventType = "UpdateTrail" }', GUIDE_RECORD, True, "string equality"),
    EvalRow("{ $.sourceIPAddress != 123.123.* }", GUIDE_RECORD, True, "outside a prefix"),
    EvalRow('{ $.arrayKey[0] = "value" }', GUIDE_RECORD, True, "array element"),
    EvalRow("{ $.objectList[1].id = 2 }", GUIDE_RECORD, True, "number in an object in an array"),
    EvalRow("{ $.SomeObject IS NULL }", GUIDE_RECORD, True, "null"),
    EvalRow("{ $.SomeOtherObject NOT EXISTS }", GUIDE_RECORD, True, "absent"),
    EvalRow("{ $.ThisFlag IS TRUE }", GUIDE_RECORD, True, "boolean"),
    EvalRow("{ $.ThisFlag IS FALSE }", GUIDE_RECORD, False, "boolean"),
    EvalRow('{ ($.user.id = 1) && ($.users[0].email = "John.Doe@example.com") }', GUIDE_COMPOUND, True, "&&"),
    EvalRow('{ ($.user.id = 2 && $.users[0].email = "nonmatch") || $.actions[2] = "GET" }', GUIDE_COMPOUND,
            False, "||"),
    EvalRow('{ $.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch && '
            "$.actions[2] = nomatch }", GUIDE_COMPOUND, True, "&& before ||"),
    EvalRow('{ ($.user.email = "John.Stiles@example.com" || $.coordinates[0][1] = nonmatch) && '
            "$.actions[2] = nomatch }", GUIDE_COMPOUND, False, "parentheses first"),
    EvalRow("{ $.users = 1 }", {"users": [1, 2, 3]}, False, "an array is not a value"),
    EvalRow("{ $.users != 1 }", {"users": [1, 2, 3]}, False, "an array is not a value, for != too"),
    EvalRow('{ $.user != "x" }', GUIDE_COMPOUND, False, "an object is not a value"),
    EvalRow("{ $.latency = * }", {"latency": 250}, True, "* selects a numeric field"),
    # Wildcards and case.
    EvalRow('{ $.a = "*Event" }', {"a": "PutEvent"}, True, "suffix"),
    EvalRow('{ $.a = "Event*" }', {"a": "EventName"}, True, "prefix"),
    EvalRow('{ $.a = "*Event*" }', {"a": "AnEventHere"}, True, "infix"),
    EvalRow('{ $.a = "Ev*ent" }', {"a": "Event"}, False, "a * inside is literal"),
    EvalRow('{ $.a = "Ev*ent" }', {"a": "Ev*ent"}, True, "a * inside is literal"),
    EvalRow('{ $.eventName = "disablekey" }', {"eventName": "DisableKey"}, False, "case-sensitive"),
    EvalRow('{ $.ip != "10.*" }', {"ip": "10.0.0.1"}, False, "!= negates a wildcard"),
    EvalRow('{ $.ip != "10.*" }', {"ip": "192.0.2.1"}, True, "!= negates a wildcard"),
    # != on an absent field is false (observed in the console).
    EvalRow('{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }', SIGNIN, False,
            "!= on an absent field"),
    EvalRow('{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }',
            {**SIGNIN, "additionalEventData": {"MFAUsed": "No"}}, True, "!= on a present field"),
    # Kinds.
    EvalRow("{ $.a IS NULL }", {}, False, "absent is not null"),
    EvalRow("{ $.a NOT EXISTS }", {"a": None}, False, "null exists"),
    EvalRow("{ $.a IS TRUE }", {"a": "true"}, False, "the string is not the boolean"),
    EvalRow("{ $.a.b NOT EXISTS }", {"a": "text"}, True, "a path through a string resolves to nothing"),
    EvalRow('{ $.a[0] = "x" }', {"a": {"0": "x"}}, False, "an index needs an array"),
    EvalRow('{ $.a.0 = "x" }', {"a": {"0": "x"}}, True, "a property may be all digits"),
    EvalRow('{ $.a[2] = "x" }', {"a": ["x"]}, False, "past the end of the array"),
    # Numbers.
    EvalRow("{ $.latency > 100 }", {"latency": 150}, True, "numeric"),
    EvalRow("{ $.latency > 100 }", {"latency": 100}, False, "numeric"),
    EvalRow("{ $.latency >= 1e2 }", {"latency": 100.0}, True, "exponent"),
    EvalRow("{ $.latency > 100 }", {}, False, "absent"),
    EvalRow("{ $.latency != 100 }", {}, False, "absent, numeric !="),
    EvalRow("{ $.latency > 100 }", {"latency": "abc"}, False, "no reading makes text greater"),
    EvalRow("{ $.big > 1e300 }", {"big": 10**400}, True, "an integer past the float range"),
    # What the guide leaves open is unsettled, never guessed.
    EvalRow("{ $.latency > 100 }", {"latency": "150"}, None, "a number written as a string"),
    EvalRow("{ $.a = 5 }", {"a": "5"}, None, "a numeric value against a string"),
    EvalRow("{ $.a != 5 }", {"a": "abc"}, None, "!= a number on text: false by type, true by text"),
    EvalRow('{ $.a = "5" }', {"a": 5}, None, "a quoted number against a number"),
    EvalRow('{ $.a = "x" }', {"a": 5}, False, "no number reads as x"),
    EvalRow('{ $.a != "x" }', {"a": 5}, None, "!= text on a number"),
    EvalRow('{ $.a = "x" }', {"a": True}, False, "true never reads as x"),
    EvalRow('{ $.a = "tr*" }', {"a": True}, None, "true read as text starts with tr"),
    EvalRow('{ $.a != "x" }', {"a": None}, None, "!= text on null"),
    EvalRow('{ $.a != "x" }', {"a": {}}, False, "an object is not a value"),
    # Precedence decides what the CIS v2.0+ 4.1 text means.
    EvalRow(CIS_V5_4_1, {"errorCode": "Client.UnauthorizedOperation",
                         "sourceIPAddress": "delivery.logs.amazonaws.com", "eventName": "X"}, True,
            "A || (B && C && D): the exclusions do not apply to A"),
    EvalRow(CIS_V5_4_1, {"errorCode": "AccessDenied", "sourceIPAddress": "delivery.logs.amazonaws.com",
                         "eventName": "X"}, False, "the exclusions apply to B"),
    EvalRow(CIS_V5_4_1, {"errorCode": "AccessDenied", "sourceIPAddress": "198.51.100.1",
                         "eventName": "X"}, True, "B && C && D"),
    EvalRow("", {"anything": 1}, True, "the empty pattern"),
]


@pytest.mark.parametrize("row", EVALUATIONS, ids=[f"{r.pattern[:40]} ({r.why})" for r in EVALUATIONS])
def test_evaluation(row: EvalRow) -> None:
    pattern = lenient(row.pattern)
    assert pattern.evaluate(row.record) is row.verdict
    assert pattern.matches(row.record) is (row.verdict is True)


def test_hints_name_each_field_and_what_it_distinguishes() -> None:
    pattern = parse_strict('{ ($.eventName = "Put*" || $.eventName = "*Policy" || $.eventName = "*Acl*" '
                           '|| $.eventName = "DeleteKey") && $.n > 5 && $.u.t != "x" && $.g IS NULL }')
    assert pattern.hints() == {
        ("eventName",): Hints(literals=frozenset({"DeleteKey"}), prefixes=frozenset({"Put"}),
                              suffixes=frozenset({"Policy"}), infixes=frozenset({"Acl"})),
        ("n",): Hints(numbers=frozenset({5.0}), kinds=frozenset({"number"})),
        ("u", "t"): Hints(literals=frozenset({"x"}), kinds=frozenset({"absent", "object"})),
        ("g",): Hints(kinds=frozenset({"null"})),
    }
