"""Filter containment: does a stored metric filter match every record of a control?

The references are the monitoring rules' events (the latest CIS text's events, qualified by
their event source), written as strict patterns. Every published CIS text — v1.2 (3.x
numbering), v1.4, v2.0/v3.0, v5.0, including the 4.1 erratum, the v2.0+ 4.1 text as a shell
stores it once its quotes are stripped, the 4.13 audit text without parentheses, and 4.15 —
covers its control, except the 4.10 texts before v5.0, which miss ModifySecurityGroupRules
and must say so. Look-alikes (an ``&&`` for an ``||``, a missing name, the wrong case, an
extra narrowing clause) do not cover. CIS texts are quoted as test data, from the CIS AWS
Foundations Benchmarks as transcribed by Prowler and Steampipe.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import pytest

from checker.alerting.benign import BENIGN_RECORDS
from checker.alerting.containment import MAX_LISTED_MISSES, Containment, covers, overbroad
from checker.alerting.filter_parse import parse_lenient, parse_strict
from checker.alerting.filter_pattern import FilterPattern
from checker.alerting.interface import FieldPath, Hints
from tests.helpers.cis_texts import (
    CONFIG,
    GATEWAYS,
    IAM,
    NACL,
    ORGANIZATIONS,
    ROUTES,
    S3,
    SECURITY_GROUPS,
    TRAIL,
    V14,
    VPC,
)


def stored(text: str) -> FilterPattern:
    parsed = parse_lenient(text)
    assert isinstance(parsed, FilterPattern), parsed
    return parsed


def one_of(source: str, names: Sequence[str]) -> str:
    """A reference: ``source`` events with one of ``names``, as a strict pattern."""
    alternatives = " || ".join(f'($.eventName = "{name}")' for name in names)
    return f'{{ ($.eventSource = "{source}") && ({alternatives}) }}'


def cis_names(names: Sequence[str], source: str | None = None, quoted: bool = False) -> str:
    """A CIS text over ``names`` in the v1.4 style: ``{ ($.eventName = X) || … }``."""
    value = '"{}"' if quoted else "{}"
    alternatives = " || ".join(f"($.eventName = {value.format(name)})" for name in names)
    if source is None:
        return f"{{ {alternatives} }}"
    return f"{{ ($.eventSource = {source}) && ({alternatives}) }}"


KMS = ["DisableKey", "ScheduleKeyDeletion"]

# The monitoring rules' references.
REFERENCES = {
    "unauthorized-api-calls": '{ (($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*")) '
                              '&& ($.sourceIPAddress != "delivery.logs.amazonaws.com") '
                              '&& ($.eventName != "HeadBucket") }',
    "console-signin-without-mfa": '{ ($.eventSource = "signin.amazonaws.com") && ($.eventName = "ConsoleLogin") '
                                  '&& ($.userIdentity.type = "IAMUser") '
                                  '&& ($.responseElements.ConsoleLogin = "Success") '
                                  '&& ($.additionalEventData.MFAUsed != "Yes") }',
    "root-usage": '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS '
                  '&& $.eventType != "AwsServiceEvent" }',
    "iam-policy-changes": one_of("iam.amazonaws.com", IAM),
    "cloudtrail-changes": one_of("cloudtrail.amazonaws.com", TRAIL),
    "console-auth-failures": '{ ($.eventSource = "signin.amazonaws.com") && ($.eventName = "ConsoleLogin") '
                             '&& ($.errorMessage = "Failed authentication") }',
    "kms-key-disable-or-deletion": one_of("kms.amazonaws.com", KMS),
    "s3-bucket-policy-changes": one_of("s3.amazonaws.com", S3),
    "config-changes": one_of("config.amazonaws.com", CONFIG),
    "security-group-changes": one_of("ec2.amazonaws.com", [*SECURITY_GROUPS, "ModifySecurityGroupRules"]),
    "nacl-changes": one_of("ec2.amazonaws.com", NACL),
    "network-gateway-changes": one_of("ec2.amazonaws.com", GATEWAYS),
    "route-table-changes": one_of("ec2.amazonaws.com", ROUTES),
    "vpc-changes": one_of("ec2.amazonaws.com", VPC),
    "organizations-changes": one_of("organizations.amazonaws.com", ORGANIZATIONS),
}

V2_4_1 = ('{ ($.errorCode ="*UnauthorizedOperation") || ($.errorCode ="AccessDenied*") && '
          '($.sourceIPAddress!="delivery.logs.amazonaws.com") && ($.eventName!="HeadBucket") }')
V5 = {
    **V14,
    "4.1": V2_4_1,
    "4.1 (quotes stripped by a shell)":
        "{ ($.errorCode =*UnauthorizedOperation) || ($.errorCode =AccessDenied*) && "
        "($.sourceIPAddress!=delivery.logs.amazonaws.com) && ($.eventName!=HeadBucket) }",
    "4.2 (SSO-friendly)": '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && '
                          '($.userIdentity.type = "IAMUser") && ($.responseElements.ConsoleLogin = "Success") }',
    "4.10": cis_names([*SECURITY_GROUPS, "ModifySecurityGroupRules"]),
    "4.13 (audit text)": "{($.eventSource = ec2.amazonaws.com) && "
                         + " || ".join(f"($.eventName = {name})" for name in ROUTES) + "}",
}
V12 = {f"3.{k.split('.')[1]}": v for k, v in V14.items() if k != "4.15"}
V12["3.1"] = '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }'
CONTROL = {"1": "unauthorized-api-calls", "2": "console-signin-without-mfa", "3": "root-usage",
           "4": "iam-policy-changes", "5": "cloudtrail-changes", "6": "console-auth-failures",
           "7": "kms-key-disable-or-deletion", "8": "s3-bucket-policy-changes", "9": "config-changes",
           "10": "security-group-changes", "11": "nacl-changes", "12": "network-gateway-changes",
           "13": "route-table-changes", "14": "vpc-changes", "15": "organizations-changes"}


class CisRow(NamedTuple):
    version: str
    item: str
    text: str
    reference: str


CIS_ROWS = [CisRow(version, item, text, CONTROL[item.split(" ")[0].split(".")[1]])
            for version, texts in (("v1.2", V12), ("v1.4", V14), ("v2.0/v3.0", {**V14, "4.1": V2_4_1}), ("v5.0", V5))
            for item, text in texts.items()]
MISSES_MODIFY_RULES = {("v1.2", "3.10"), ("v1.4", "4.10"), ("v2.0/v3.0", "4.10")}


def check(candidate: FilterPattern | Sequence[FilterPattern], reference: str, budget: int = 20_000) -> Containment:
    result = covers(candidate, parse_strict(reference), budget)
    for miss in result.missed:  # every miss is a record the reference matches and the candidate does not
        assert parse_strict(reference).evaluate(miss.record) is True
        candidates = [candidate] if isinstance(candidate, FilterPattern) else candidate
        assert all(c.evaluate(miss.record) is False for c in candidates)
    return result


@pytest.mark.parametrize("row", CIS_ROWS, ids=[f"{r.version} {r.item}" for r in CIS_ROWS])
def test_every_published_cis_text_covers_its_control(row: CisRow) -> None:
    result = check(stored(row.text), REFERENCES[row.reference])
    if (row.version, row.item) in MISSES_MODIFY_RULES:
        assert result.covered is False
        assert result.missed_text() == ["eventSource=ec2.amazonaws.com, eventName=ModifySecurityGroupRules"]
    else:
        assert result.covered is True, result


def test_the_v1_4_erratum_covers_and_is_over_broad() -> None:
    erratum = stored(V14["4.1"])
    assert check(erratum, REFERENCES["unauthorized-api-calls"]).covered is True
    assert overbroad(erratum) == "a successful ec2:DescribeInstances by an IAM user"
    assert [overbroad(stored(text)) for text in (V2_4_1, V5["4.1 (quotes stripped by a shell)"], V12["3.1"])] \
        == [None, None, None]


@pytest.mark.parametrize("text", sorted((set(V14.values()) | set(V5.values()) | set(V12.values())) - {V14["4.1"]}))
def test_no_other_cis_text_is_over_broad(text: str) -> None:
    assert overbroad(stored(text)) is None


def test_the_benign_records_are_full_successful_read_calls() -> None:
    for description, record in BENIGN_RECORDS:
        assert record["readOnly"] is True and "errorCode" not in record
        assert record["userIdentity"]["type"] == "IAMUser"
        assert record["eventName"] in description


class LookAlike(NamedTuple):
    name: str
    text: str
    reference: str
    missed: list[str]


LOOK_ALIKES = [
    LookAlike("&& for ||", "{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)&&"
                           "($.eventName=ScheduleKeyDeletion)) }", "kms-key-disable-or-deletion",
              ["eventSource=kms.amazonaws.com, eventName=DisableKey",
               "eventSource=kms.amazonaws.com, eventName=ScheduleKeyDeletion"]),
    LookAlike("one name missing", "{" + "||".join(f"($.eventName={n})" for n in IAM if n != "DetachGroupPolicy") + "}",
              "iam-policy-changes", ["eventSource=iam.amazonaws.com, eventName=DetachGroupPolicy"]),
    LookAlike("wrong case", "{($.eventSource = kms.amazonaws.com) && (($.eventName=disablekey)||"
                            "($.eventName=ScheduleKeyDeletion)) }", "kms-key-disable-or-deletion",
              ["eventSource=kms.amazonaws.com, eventName=DisableKey"]),
    LookAlike("wrong event source", '{ $.eventSource = "kms.amazonaws.co" && $.eventName = "*" }',
              "kms-key-disable-or-deletion", ["eventSource=kms.amazonaws.com, eventName=DisableKey",
                                              "eventSource=kms.amazonaws.com, eventName=ScheduleKeyDeletion"]),
    LookAlike("&& between the error codes", '{ ($.errorCode = "*UnauthorizedOperation") && '
                                            '($.errorCode = "AccessDenied*") }', "unauthorized-api-calls",
              ["errorCode=*UnauthorizedOperation, sourceIPAddress=*, eventName=*",
               "errorCode=AccessDenied*, sourceIPAddress=*, eventName=*"]),
    LookAlike("MFA test flipped", '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed = "Yes") }',
              "console-signin-without-mfa", []),
    LookAlike("root with the wrong case", '{ $.userIdentity.type = "root" }', "root-usage",
              ["userIdentity.type=Root, userIdentity.invokedBy absent, eventType=*"]),
    LookAlike("a prefix that misses one name", '{ $.eventSource = "kms.amazonaws.com" && $.eventName = "Disable*" }',
              "kms-key-disable-or-deletion", ["eventSource=kms.amazonaws.com, eventName=ScheduleKeyDeletion"]),
]


@pytest.mark.parametrize("row", LOOK_ALIKES, ids=[r.name for r in LOOK_ALIKES])
def test_look_alikes_do_not_cover_and_name_what_they_miss(row: LookAlike) -> None:
    result = check(stored(row.text), REFERENCES[row.reference])
    assert result.covered is False
    assert result.missed
    if row.missed:
        assert result.missed_text()[:len(row.missed)] == row.missed


def test_an_extra_narrowing_clause_does_not_cover() -> None:
    narrowed = stored('{($.eventSource = kms.amazonaws.com) && (($.eventName=DisableKey)||'
                      '($.eventName=ScheduleKeyDeletion)) && ($.userIdentity.type = "IAMUser") }')
    result = check(narrowed, REFERENCES["kms-key-disable-or-deletion"])
    assert result.covered is False
    assert result.missed_text()[:2] == ["eventSource=kms.amazonaws.com, eventName=DisableKey, userIdentity.type=*",
                                        "eventSource=kms.amazonaws.com, eventName=DisableKey, userIdentity.type absent"]
    # Per name: another string, absent, null, true, false, an object, a number.
    assert len(result.missed) == 2 * 7 and not result.more_missed


class Broader(NamedTuple):
    name: str
    text: str
    reference: str


BROADER = [
    Broader("clauses reordered, quotes mixed",
            '{ (($.eventName = "ScheduleKeyDeletion") || ($.eventName = DisableKey)) '
            "&& $.eventSource = kms.amazonaws.com }",
            "kms-key-disable-or-deletion"),
    Broader("prefixes", '{ $.eventSource = "kms.amazonaws.com" && ($.eventName = "Disable*" || '
                        '$.eventName = "Schedule*") }', "kms-key-disable-or-deletion"),
    Broader("no event source", "{ $.eventName = DisableKey || $.eventName = ScheduleKeyDeletion }",
            "kms-key-disable-or-deletion"),
    Broader("an infix", '{ $.eventName = "*Key*" }', "kms-key-disable-or-deletion"),
    Broader("every record", "", "kms-key-disable-or-deletion"),
    Broader("root without the exclusions", '{ $.userIdentity.type = "Root" }', "root-usage"),
    Broader("sign-in without MFA, any identity", '{ $.eventName = "ConsoleLogin" && '
                                                 '$.additionalEventData.MFAUsed != "Yes" }',
            "console-signin-without-mfa"),
]


@pytest.mark.parametrize("row", BROADER, ids=[r.name for r in BROADER])
def test_broader_filters_cover(row: Broader) -> None:
    assert check(stored(row.text), REFERENCES[row.reference]).covered is True


def test_two_filters_that_split_the_names_cover_together() -> None:
    first = stored("{ $.eventSource = kms.amazonaws.com && $.eventName = DisableKey }")
    second = stored("{ $.eventName = ScheduleKeyDeletion }")
    reference = REFERENCES["kms-key-disable-or-deletion"]
    assert check([first, second], reference).covered is True
    assert check([first], reference).missed_text() == ["eventSource=kms.amazonaws.com, eventName=ScheduleKeyDeletion"]
    assert check([], reference).covered is False


def test_a_reference_that_matches_nothing_is_covered_by_nothing() -> None:
    assert check([], '{ $.eventName = "A" && $.eventName = "B" }').covered is True


def test_numeric_thresholds() -> None:
    reference = '{ $.eventName = "Transfer" && $.amount > 5 }'
    assert check(stored("{ $.amount > 5 }"), reference).covered is True
    narrower = check(stored("{ $.amount > 6 }"), reference)
    assert narrower.covered is False
    assert narrower.missed_text() == ["eventName=Transfer, amount=5.5", "eventName=Transfer, amount=6"]


def test_comparisons_the_documentation_leaves_open_make_the_answer_undecided() -> None:
    # Same terms on both sides: whatever CloudWatch does with a null or a number there, it
    # does it to both patterns alike.
    assert check(stored('{ $.a != "x" }'), '{ $.a != "x" }').covered is True
    # Different terms: "!=" on null or on a boolean is false by type, true by text; "= *" on
    # them is not documented either.
    result = check(stored("{ $.a = * }"), '{ $.a != "x" }')
    assert result.covered is None
    assert result.reason.startswith("undecided: for a=null, the answer depends on how CloudWatch Logs evaluates")
    assert result.reason.endswith('$.a != "x"; $.a = "*" on such values, which its documentation does not settle')


def test_a_field_compared_with_numbers_and_with_text_is_undecided_where_the_docs_are() -> None:
    # Is the number 400 "4*"? Is the string "450" >= 400? The guide does not say.
    result = check(stored('{ $.code = "4*" }'), "{ $.code >= 400 }")
    assert result.covered is None
    assert result.reason == ("undecided: for code=*0*, the answer depends on how CloudWatch Logs evaluates "
                             "$.code >= 400 on such values, which its documentation does not settle")
    # Text that cannot be a number's is settled: the prefix misses every number.
    assert check(stored('{ $.code = "x*" }'), "{ $.code >= 400 }").missed_text()[0] == "code=400"


def test_fields_below_other_fields() -> None:
    reference = '{ $.requestParameters.bucketName = "logs" && $.requestParameters.acl[0] = "public" }'
    assert check(stored("{ $.requestParameters.bucketName = logs }"), reference).covered is True
    assert check(stored("{ $.requestParameters IS NULL }"), reference).covered is False
    parent = '{ $.requestParameters NOT EXISTS || $.requestParameters.bucketName = "logs" }'
    assert check(stored('{ $.requestParameters.bucketName = "logs" || $.requestParameters NOT EXISTS }'),
                 parent).covered is True
    # A second element needs a first one: "a[0] absent" is no record.
    later_element = check(stored('{ $.a[0] = "x" }'), '{ $.a[1] = "y" }')
    assert later_element.covered is False
    assert later_element.missed_text() == ["a[1]=y, a[0]=*", "a[1]=y, a[0]=null", "a[1]=y, a[0]=true",
                                           "a[1]=y, a[0]=false", "a[1]=y, a[0]={}", "a[1]=y, a[0]=0"]


def test_the_budget_bounds_the_work_and_is_reported() -> None:
    reference = REFERENCES["organizations-changes"]
    result = check(stored(V14["4.15"]), reference, budget=10)
    assert result.covered is None
    assert result.reason == "undecided within budget 10"
    assert check(stored(V14["4.15"]), reference).explored < 200
    # A miss found before the budget runs out is still a miss.
    early_miss = check(stored("{ $.x = y }"), REFERENCES["kms-key-disable-or-deletion"], budget=12)
    assert early_miss.covered is False
    assert early_miss.missed_text()[0] == "eventSource=kms.amazonaws.com, eventName=DisableKey, x=*"


def test_the_search_stops_after_listing_enough_misses() -> None:
    narrowed = stored(V14["4.15"][:-1] + ' && $.userIdentity.type = "IAMUser" }')
    result = check(narrowed, REFERENCES["organizations-changes"])
    assert result.covered is False
    assert len(result.missed) == MAX_LISTED_MISSES
    assert result.more_missed


class SourceAndNames:
    """A pattern that is not a filter pattern (as an EventBridge rule is): the containment check
    only sees its ``matches`` and ``hints``."""

    def __init__(self, source: str, names: Sequence[str]) -> None:
        self.source = source
        self.names = frozenset(names)

    @property
    def text(self) -> str:
        return f"{self.source}: {sorted(self.names)}"

    def matches(self, record: Mapping[str, Any]) -> bool:
        name = record.get("eventName")
        return record.get("eventSource") == self.source and isinstance(name, str) and name in self.names

    def hints(self) -> Mapping[FieldPath, Hints]:
        return {("eventSource",): Hints(literals=frozenset({self.source})), ("eventName",): Hints(literals=self.names)}


def test_other_patterns_are_judged_by_their_matches() -> None:
    reference = REFERENCES["kms-key-disable-or-deletion"]
    assert check([], reference).covered is False
    assert covers(SourceAndNames("kms.amazonaws.com", KMS), parse_strict(reference)).covered is True
    partial = covers(SourceAndNames("kms.amazonaws.com", ["DisableKey"]), parse_strict(reference))
    assert partial.missed_text() == ["eventSource=kms.amazonaws.com, eventName=ScheduleKeyDeletion"]
    # A filter and another pattern can split the events between them.
    split = covers([stored("{ $.eventName = ScheduleKeyDeletion }"),
                    SourceAndNames("kms.amazonaws.com", ["DisableKey"])], parse_strict(reference))
    assert split.covered is True


def test_within_restricts_the_reference() -> None:
    everything = parse_strict('{ $.eventSource = "kms.amazonaws.com" }')
    rule = SourceAndNames("kms.amazonaws.com", KMS)
    assert covers(rule, everything).missed_text()[0] == "eventSource=kms.amazonaws.com, eventName=*"
    assert covers(rule, everything, within=[stored(V14["4.7"])]).covered is True
