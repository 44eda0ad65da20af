"""Properties of the selector simulator that must hold for any selectors and any event.

Random advanced selectors draw their values from a three-letter alphabet and events from
the same alphabet, so Equals, prefix and suffix conditions really hit. The properties:
more selectors never log less; a Not* condition never logs more; the basic selectors
and their advanced equivalents (docs/semantics.md) agree; the probe witnesses are sound
both ways; the same question always gets the same answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest
from hypothesis import HealthCheck, event, given, reject, settings
from hypothesis import strategies as st

from checker.model import Trail
from checker.simulator import ProbeResult, ProbeTooLargeError, decide_record, probe_coverage
from checker.simulator.conditions import compile_selectors
from tests.helpers.simulator_inputs import (
    DATA,
    MGMT,
    NOT_KMS,
    REGION,
    S3_OBJECT,
    Doc,
    adv,
    advanced,
    basic,
    data_only,
    data_resource,
    fs,
    lambda_arn,
    one_trail,
    record,
    trail_doc,
)

Event = dict[str, str | bool]

CATEGORIES = ("Management", "Data", "NetworkActivity")
STRING_FIELDS = ("eventSource", "eventName", "resources.type", "resources.ARN")
FIELDS = ("eventCategory", "readOnly", *STRING_FIELDS)
OPERATORS = ("Equals", "StartsWith", "EndsWith", "NotEquals", "NotStartsWith", "NotEndsWith")
NEGATIVE_OPERATORS = ("NotEquals", "NotStartsWith", "NotEndsWith")
FRESH = "\u2603"  # in no condition value: stands for the "*" of a witness
RANK = {"not-covered": 0, "partial": 1, "covered": 2}
PROPERTY_SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

condition_text = st.text(alphabet="abc", min_size=1, max_size=3)
VALUES: dict[str, st.SearchStrategy[str | bool]] = {
    "eventCategory": st.sampled_from(CATEGORIES),
    "readOnly": st.booleans(),
    **{name: st.text(alphabet="abc", min_size=1, max_size=4) for name in STRING_FIELDS},
}


@st.composite
def field_selectors(draw: st.DrawFn) -> Doc:
    """A field selector as CloudTrail accepts it: Equals only on eventCategory and readOnly."""
    field = draw(st.sampled_from(FIELDS))
    if field == "eventCategory":
        return fs(field, Equals=draw(st.lists(st.sampled_from(CATEGORIES), min_size=1, max_size=2, unique=True)))
    if field == "readOnly":
        return fs(field, Equals=[draw(st.sampled_from(("true", "false")))])
    operators = draw(st.dictionaries(st.sampled_from(OPERATORS), st.lists(condition_text, min_size=1, max_size=2),
                                     min_size=1, max_size=2))
    return fs(field, **operators)


selectors = st.lists(field_selectors(), min_size=1, max_size=3).map(lambda found: adv(*found))
selector_lists = st.lists(selectors, min_size=1, max_size=3)


@st.composite
def events(draw: st.DrawFn, fields: Sequence[str] = FIELDS) -> Event:
    """Random values for ``fields`` (all of them by default)."""
    return {name: draw(VALUES[name]) for name in fields}


@st.composite
def probes(draw: st.DrawFn) -> Event:
    """A probe fixes some fields and leaves the others universally quantified."""
    fixed = draw(st.lists(st.sampled_from(FIELDS), unique=True, max_size=len(FIELDS) - 1))
    return draw(events(sorted(fixed)))


def trail_with(selector_list: Sequence[Doc], name: str = "main") -> Trail:
    return one_trail(trail_doc(name, **advanced(*selector_list)))


def as_record(values: Mapping[str, str | bool]) -> Doc:
    """A CloudTrail record carrying every field of FIELDS (one resource entry)."""
    return record(str(values["eventSource"]), str(values["eventName"]), values["readOnly"] in (True, "true"),
                  category=str(values["eventCategory"]),
                  resources=[{"type": str(values["resources.type"]), "ARN": str(values["resources.ARN"])}])


def logged(trails: Sequence[Trail], rec: Doc) -> bool:
    """Record level: does any of the trails log it?"""
    return any(decide_record(trail, rec, REGION).logged for trail in trails)


def coverage_of(trails: Sequence[Trail], probe: Event) -> ProbeResult:
    """Probe level; the rare draws whose witness product is over the limit are discarded."""
    try:
        return probe_coverage(trails, probe, REGION)
    except ProbeTooLargeError:
        reject()


def coverage_rank(trails: Sequence[Trail], probe: Event) -> int:
    return RANK[coverage_of(trails, probe).coverage]


# -- (a) adding a selector never removes coverage --------------------------------------------


@PROPERTY_SETTINGS
@given(selector_lists, selectors, st.integers(min_value=0, max_value=3), events())
def test_adding_a_selector_never_unlogs_a_record(base: list[Doc], extra: Doc, position: int, sample: Event) -> None:
    more = [*base[:position], extra, *base[position:]]
    rec = as_record(sample)
    if logged([trail_with(base)], rec):
        event("logged before")
        assert logged([trail_with(more)], rec)


@PROPERTY_SETTINGS
@given(selector_lists, selectors, probes())
def test_adding_a_selector_never_lowers_probe_coverage(base: list[Doc], extra: Doc, probe: Event) -> None:
    assert coverage_rank([trail_with([*base, extra])], probe) >= coverage_rank([trail_with(base)], probe)


# -- (b) a Not* condition or value never adds coverage ---------------------------------------


@st.composite
def with_negation(draw: st.DrawFn, selector_list: list[Doc]) -> list[Doc]:
    """``selector_list`` with one more Not* value: in a new field selector or an existing one."""
    index = draw(st.integers(min_value=0, max_value=len(selector_list) - 1))
    target = selector_list[index]
    operator = draw(st.sampled_from(NEGATIVE_OPERATORS))
    value = draw(condition_text)
    field_list = [dict(f) for f in target["FieldSelectors"]]
    widen = [i for i, f in enumerate(field_list) if f["Field"] in STRING_FIELDS]
    into_existing = draw(st.booleans())
    if widen and into_existing:
        chosen = field_list[draw(st.sampled_from(widen))]
        chosen[operator] = [*chosen.get(operator, []), value]
    else:
        field_list.append(fs(draw(st.sampled_from(STRING_FIELDS)), **{operator: [value]}))
    return [*selector_list[:index], {**target, "FieldSelectors": field_list}, *selector_list[index + 1:]]


@PROPERTY_SETTINGS
@given(st.data(), selector_lists, events())
def test_a_negation_never_logs_a_new_record(data: st.DataObject, base: list[Doc], sample: Event) -> None:
    narrower = data.draw(with_negation(base))
    rec = as_record(sample)
    if logged([trail_with(narrower)], rec):
        event("logged after")
        assert logged([trail_with(base)], rec)


@PROPERTY_SETTINGS
@given(st.data(), selector_lists, probes())
def test_a_negation_never_raises_probe_coverage(data: st.DataObject, base: list[Doc], probe: Event) -> None:
    narrower = data.draw(with_negation(base))
    assert coverage_rank([trail_with(narrower)], probe) <= coverage_rank([trail_with(base)], probe)


# -- (c) basic selectors and their advanced equivalents (docs/semantics.md) -------------------

EQUIVALENT_FORMS: list[tuple[str, Doc, Doc]] = [
    ("all-management", basic({"ReadWriteType": "All", "IncludeManagementEvents": True,
                              "ExcludeManagementEventSources": []}), advanced(adv(MGMT))),
    ("write-only", basic({"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}),
     advanced(adv(MGMT, fs("readOnly", Equals=["false"])))),
    ("exclude-kms", basic({"ExcludeManagementEventSources": ["kms.amazonaws.com"]}), advanced(adv(MGMT, NOT_KMS))),
    ("s3-all-buckets", data_only(data_resource("AWS::S3::Object", "arn:aws:s3")), advanced(adv(DATA, S3_OBJECT))),
    ("s3-all-buckets-older-spelling", data_only(data_resource("AWS::S3::Object", "arn:aws:s3:::")),
     advanced(adv(DATA, S3_OBJECT))),
    ("s3-bucket-prefix", data_only(data_resource("AWS::S3::Object", "arn:aws:s3:::b/")),
     advanced(adv(DATA, S3_OBJECT, fs("resources.ARN", StartsWith=["arn:aws:s3:::b/"])))),
    ("lambda-exact-arn", data_only(data_resource("AWS::Lambda::Function", lambda_arn("f"))),
     advanced(adv(DATA, fs("resources.type", Equals=["AWS::Lambda::Function"]),
                  fs("resources.ARN", Equals=[lambda_arn("f")])))),
]

S3_OBJECT_ARNS = ("arn:aws:s3:::b/", "arn:aws:s3:::b/k", "arn:aws:s3:::bb/k", "arn:aws:s3:::c/k")
LAMBDA_ARNS = (lambda_arn("f"), lambda_arn("f2"))
RESOURCE_TYPES = ("AWS::S3::Object", "AWS::S3::Bucket", "AWS::Lambda::Function", "AWS::DynamoDB::Table")
resource_entries = st.one_of(
    st.fixed_dictionaries({"type": st.just("AWS::S3::Object"), "ARN": st.sampled_from(S3_OBJECT_ARNS)}),
    st.fixed_dictionaries({"type": st.just("AWS::S3::Bucket"), "ARN": st.just("arn:aws:s3:::b")}),
    st.fixed_dictionaries({"type": st.just("AWS::Lambda::Function"), "ARN": st.sampled_from(LAMBDA_ARNS)}),
    st.fixed_dictionaries({"type": st.sampled_from(RESOURCE_TYPES),
                           "ARN": st.sampled_from(S3_OBJECT_ARNS + LAMBDA_ARNS)}),
)
SOURCES = ("kms.amazonaws.com", "rdsdata.amazonaws.com", "ec2.amazonaws.com", "s3.amazonaws.com",
           "lambda.amazonaws.com")


@st.composite
def realistic_records(draw: st.DrawFn) -> Doc:
    """Records over the sources, types and ARNs the equivalences talk about; readOnly may be absent."""
    resources = draw(st.lists(resource_entries, max_size=2))
    return record(draw(st.sampled_from(SOURCES)), draw(st.sampled_from(("GetObject", "Invoke", "Decrypt"))),
                  draw(st.one_of(st.none(), st.booleans())), category=draw(st.sampled_from(CATEGORIES[:2])),
                  resources=resources)


EQUIVALENT_TRAILS = [pytest.param(one_trail(trail_doc(**basic_form)), one_trail(trail_doc(**advanced_form)), id=name)
                     for name, basic_form, advanced_form in EQUIVALENT_FORMS]


@pytest.mark.parametrize(("basic_trail", "advanced_trail"), EQUIVALENT_TRAILS)
@PROPERTY_SETTINGS
@given(rec=realistic_records())
def test_basic_and_advanced_equivalents_agree(basic_trail: Trail, advanced_trail: Trail, rec: Doc) -> None:
    event("logged" if decide_record(basic_trail, rec, REGION).logged else "not logged")
    assert decide_record(basic_trail, rec, REGION).logged == decide_record(advanced_trail, rec, REGION).logged


# -- (d) the witness method is sound -----------------------------------------------------------


def witness_event(shown: str) -> Event:
    """``"eventName=a*b, readOnly=true"`` -> a concrete event (``*`` becomes a fresh string)."""
    if shown == "the event as given":
        return {}
    found: Event = {}
    for part in shown.split(", "):
        name, value = part.split("=", 1)
        found[name] = value == "true" if name == "readOnly" else value.replace("*", FRESH)
    return found


def mentioned(selector_sets: Sequence[Sequence[Doc]]) -> list[str]:
    """Every string a condition on a string field mentions."""
    return sorted({value for selector_list in selector_sets for selector in selector_list
                   for condition in selector["FieldSelectors"] if condition["Field"] in STRING_FIELDS
                   for operator in OPERATORS for value in condition.get(operator, [])})


@st.composite
def completions(draw: st.DrawFn, fields: Sequence[str], strings: Sequence[str]) -> Event:
    """Values for ``fields``, often built around mentioned strings so that conditions hit."""
    affixes = st.sampled_from(["", *strings])
    around = st.builds(lambda head, middle, tail: head + middle + tail,
                       affixes, st.text(alphabet="abc", max_size=2), affixes)
    return {name: draw(st.one_of(VALUES[name], around) if name in STRING_FIELDS else VALUES[name])
            for name in fields}


@PROPERTY_SETTINGS
@given(st.data(), st.lists(selector_lists, min_size=1, max_size=2), probes())
def test_probe_witnesses_are_sound(data: st.DataObject, selector_sets: list[list[Doc]], probe: Event) -> None:
    """Covered: random completions are all logged. Otherwise: every listed witness is a real gap."""
    trails = [trail_with(selector_list, f"t{i}") for i, selector_list in enumerate(selector_sets)]
    result = coverage_of(trails, probe)
    event(f"coverage: {result.coverage}")
    open_fields = [name for name in FIELDS if name not in probe]
    strings = mentioned(selector_sets)
    if result.coverage == "covered":
        assert result.missing == []
        for completion in data.draw(st.lists(completions(open_fields, strings), min_size=8, max_size=8)):
            assert logged(trails, as_record({**completion, **probe})), completion
    else:
        assert result.coverage in ("partial", "not-covered")
        assert result.missing
        for shown in result.missing:
            witness = witness_event(shown)
            rest = data.draw(completions([name for name in open_fields if name not in witness], strings))
            assert not logged(trails, as_record({**rest, **witness, **probe})), shown


event_name_selectors = st.dictionaries(
    st.sampled_from(OPERATORS), st.lists(st.text(alphabet="ab", min_size=1, max_size=2), min_size=1, max_size=2),
    min_size=1, max_size=3).map(lambda operators: fs("eventName", **operators))


@PROPERTY_SETTINGS
@given(st.lists(st.lists(event_name_selectors, min_size=1, max_size=2).map(lambda found: adv(*found)),
                min_size=1, max_size=3),
       events([name for name in FIELDS if name != "eventName"]))
def test_probe_verdict_matches_brute_force_on_one_field(selector_list: list[Doc], probe: Event) -> None:
    """With one open field, try every value built around the mentioned strings: covered iff none is unlogged.

    Stronger than random completions for the witness set itself (prefix-only, suffix-only and
    prefix+suffix witnesses, literals).
    """
    trail = trail_with(selector_list)
    result = coverage_of([trail], probe)
    affixes = ["", *mentioned([selector_list])]
    candidates = {head + middle + tail for head in affixes for middle in ("", "a", "b", "c", FRESH) for tail in affixes}
    unlogged = [value for value in sorted(candidates)
                if not logged([trail], as_record({**probe, "eventName": value}))]
    event(f"coverage: {result.coverage}")
    assert (result.coverage == "covered") == (not unlogged), unlogged
    assert {str(witness_event(shown).get("eventName", FRESH)) for shown in result.missing} <= set(unlogged)


# -- (e) determinism ---------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(selector_lists, events(), probes())
def test_same_question_same_answer(selector_list: list[Doc], sample: Event, probe: Event) -> None:
    """Rebuilt trails and a cold selector cache give the same decisions and the same reasons."""
    rec = as_record(sample)
    first = trail_with(selector_list)
    decision = decide_record(first, rec, REGION)
    coverage = coverage_of([first], probe).to_dict()
    compile_selectors.cache_clear()
    again = trail_with(selector_list)
    assert decide_record(again, rec, REGION) == decision
    assert probe_coverage([again], probe, REGION).to_dict() == coverage
