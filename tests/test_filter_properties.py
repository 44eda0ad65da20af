"""Properties of filter patterns and their containment check, for any patterns and records.

Random patterns use a few fields (some below others, some array elements), string values
over a two-letter alphabet with wildcards, small numbers and every kind test, so terms really
overlap; random records draw from the same alphabet and every JSON kind. The properties:
a pattern covers itself; containment agrees with direct evaluation on random records (what
it says is covered is matched, what it calls a miss is one, and no record it calls covered
is missed); adding an ``||`` branch never loses coverage and an ``&&`` clause never gains it;
the parsers never fail in any other way than documented on any text.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from checker.alerting.containment import Containment, covers
from checker.alerting.filter_parse import FilterPatternError, parse_lenient, parse_strict
from checker.alerting.filter_pattern import FilterPattern
from checker.alerting.interface import Undecided

PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SELECTORS = ("$.a", "$.a.x", "$.b[0]", "$.b[1]", "$.c")
STRING_VALUES = ('"x"', '"xy"', '""', '"x*"', '"*y"', '"*x*"', '"*"', "y", "x*")
NUMBERS = ("0", "1", "-1", "1.5", "2e0")
RANK = {False: 0, None: 1, True: 2}


@st.composite
def terms(draw: st.DrawFn) -> str:
    selector = draw(st.sampled_from(SELECTORS))
    kind = draw(st.sampled_from(("string", "string", "number", "test")))
    if kind == "string":
        return f"{selector} {draw(st.sampled_from(('=', '!=')))} {draw(st.sampled_from(STRING_VALUES))}"
    if kind == "number":
        return f"{selector} {draw(st.sampled_from(('=', '!=', '<', '>', '<=', '>=')))} {draw(st.sampled_from(NUMBERS))}"
    return f"{selector} {draw(st.sampled_from(('IS NULL', 'NOT EXISTS', 'IS TRUE', 'IS FALSE')))}"


def _joined(parts: tuple[str, list[str]]) -> str:
    operator, operands = parts
    return "(" + f" {operator} ".join(operands) + ")"


expressions = st.recursive(terms(), lambda inner: st.tuples(st.sampled_from(("&&", "||")),
                                                            st.lists(inner, min_size=2, max_size=3)).map(_joined),
                           max_leaves=5)


def pattern(expression: str) -> FilterPattern:
    return parse_strict("{ " + expression + " }")


patterns = expressions.map(pattern)

leaves: st.SearchStrategy[Any] = st.one_of(
    st.text(alphabet="xy*", max_size=3), st.sampled_from([0, 1, -1, 1.5, 0.5, 2, 3]), st.booleans(), st.none(),
    st.just({}), st.just([]), st.sampled_from(["1", "1.5", "x1", "2e0"]))


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    record: dict[str, Any] = {}
    if draw(st.booleans()):
        record["a"] = draw(st.one_of(leaves, st.dictionaries(st.just("x"), leaves, max_size=1)))
    if draw(st.booleans()):
        record["b"] = draw(st.one_of(leaves, st.lists(leaves, max_size=3)))
    if draw(st.booleans()):
        record["c"] = draw(leaves)
    return record


def decided(result: Containment) -> bool:
    return "budget" not in result.reason


@PROPERTY_SETTINGS
@given(patterns)
def test_a_pattern_covers_itself(reference: FilterPattern) -> None:
    assert covers(reference, reference).covered is True


@PROPERTY_SETTINGS
@given(patterns, patterns, st.lists(records(), min_size=1, max_size=20))
def test_containment_agrees_with_direct_evaluation(candidate: FilterPattern, reference: FilterPattern,
                                                    sample: list[dict[str, Any]]) -> None:
    result = covers(candidate, reference)
    assume(decided(result))
    for miss in result.missed:
        assert reference.evaluate(miss.record) is True
        assert candidate.evaluate(miss.record) is False
    for record in sample:
        in_reference, in_candidate = reference.evaluate(record), candidate.evaluate(record)
        if result.covered is True and in_reference is True:
            assert in_candidate is True, record
        if in_reference is True and in_candidate is False:
            assert result.covered is False, record


@PROPERTY_SETTINGS
@given(expressions, expressions, expressions)
def test_an_or_branch_never_loses_and_an_and_clause_never_gains_coverage(candidate: str, extra: str,
                                                                         reference: str) -> None:
    base = covers(pattern(candidate), pattern(reference))
    wider = covers(pattern(f"({candidate}) || ({extra})"), pattern(reference))
    narrower = covers(pattern(f"({candidate}) && ({extra})"), pattern(reference))
    assume(decided(base) and decided(wider) and decided(narrower))
    assert RANK[wider.covered] >= RANK[base.covered]
    assert RANK[narrower.covered] <= RANK[base.covered]


pattern_text = st.text(alphabet='{}()$.[]0123456789abxyIS NULTRFAEXO*"=!<>&|%\\-_ \t', max_size=60)


@PROPERTY_SETTINGS
@given(st.one_of(pattern_text, expressions.map(lambda e: "{ " + e + " }"), st.text(max_size=40)),
       st.data())
def test_the_parsers_fail_only_as_documented(text: str, data: st.DataObject) -> None:
    cut = data.draw(st.integers(min_value=0, max_value=len(text)))
    insert = data.draw(st.sampled_from(["", "(", ")", '"', "&&", "||", "}", "$.", "*", " "]))
    for candidate in (text, text[:cut] + insert + text[cut:]):
        try:
            parse_strict(candidate)
        except FilterPatternError as error:
            assert 0 <= error.offset <= len(candidate)
        assert isinstance(parse_lenient(candidate), FilterPattern | Undecided)
