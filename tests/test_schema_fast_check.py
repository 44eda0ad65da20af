"""The fast checks agree with jsonschema: a report's findings (and a refused finding is named
by its place in the report), each keyword of a whole schema, and snapshots, bundled or mutated
at random, which a "yes" of the fast check must never let through invalid."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checker.errors import InputError
from checker.inputs.snapshot import validate_snapshot_data
from checker.report.document import load_report, report_json, to_document
from checker.schemas import load_schema
from checker.schemas.fast_check import (
    DRAFT_2020_12,
    UnsupportedKeyword,
    compile_schema,
    definition_check,
    schema_check,
)
from checker.schemas.validation import schema_violation
from tests.helpers.monitoring import alarm, cis_region, event_rule, region_data, topic, with_monitoring
from tests.helpers.reports import ALL_SECTIONS, sample_report
from tests.helpers.snapshots import (
    KMS,
    MANAGEMENT,
    MEMBER,
    account,
    collection_error,
    management_selector,
    snapshot,
    trail,
)

Finding = dict[str, Any]


def _set(key: str, value: Any) -> Callable[[Finding], None]:
    return lambda finding: finding.__setitem__(key, value)


def _drop(key: str) -> Callable[[Finding], None]:
    return lambda finding: finding.pop(key)


MUTATIONS: dict[str, Callable[[Finding], None]] = {
    "status not in the enum": _set("status", "failed"),
    "severity of another type": _set("severity", 3),
    "rule id not a string": _set("rule_id", None),
    "account a number": _set("account_id", 111111111111),
    "region null": _set("region", None),
    "message missing": _drop("message"),
    "evidence a list": _set("evidence", []),
    "fingerprint upper case": _set("fingerprint", "A" * 32),
    "fingerprint too short": _set("fingerprint", "a" * 31),
    "an unknown key": _set("title", "x"),
    "location without a line": _set("location", {"file": "main.tf"}),
    "location line zero": _set("location", {"file": "main.tf", "line": 0}),
    "location line a float": _set("location", {"file": "main.tf", "line": 7.0}),
    "location line true": _set("location", {"file": "main.tf", "line": True}),
    "location with more": _set("location", {"file": "main.tf", "line": 7, "column": 1}),
    "status true": _set("status", True),
}


@pytest.mark.parametrize("mutation", MUTATIONS.values(), ids=MUTATIONS.keys())
@pytest.mark.parametrize("schema_name", ["findings", "findings-v1"])
def test_the_fast_check_says_what_jsonschema_says(schema_name: str, mutation: Callable[[Finding], None]) -> None:
    schema = load_schema(schema_name)
    finding_schema = {**schema["$defs"]["finding"], "$defs": schema["$defs"]}
    check = definition_check(schema_name, "finding")
    for entry in to_document(sample_report(ALL_SECTIONS))["findings"]:
        if schema_name == "findings-v1":
            entry = {**entry, "title": "t", "remediation": "r", "frameworks": {"cis": ["3.1"]}}
            entry.pop("location", None)
        mutated = copy.deepcopy(entry)
        mutation(mutated)
        for instance in (entry, mutated):
            assert check(instance) == jsonschema.Draft202012Validator(finding_schema).is_valid(instance), instance


def test_a_refused_finding_is_named_by_its_index(tmp_path: Path) -> None:
    document = json.loads(report_json(sample_report()))
    document["findings"][5]["status"] = "failed"
    path = tmp_path / "old.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(InputError) as raised:
        load_report(path)
    assert raised.value.where == f"{path}: $.findings[5].status"
    assert "'failed'" in raised.value.what


# The whole-schema check (schema_check): each keyword against jsonschema, then the snapshot.

KeywordCase = tuple[dict[str, Any], list[Any], list[Any]]

KEYWORD_CASES: dict[str, KeywordCase] = {
    # name: (schema, instances jsonschema accepts, instances it refuses)
    "type integer": ({"type": "integer"}, [1, 1.0, -3, 2**70], [True, 1.5, "1", None, float("nan")]),
    "type number": ({"type": "number"}, [1, 1.5, float("nan"), float("inf")], [True, "1", None, [1]]),
    "type list": ({"type": ["string", "null"]}, ["", None], [0, False, {}]),
    "anyOf": ({"anyOf": [{"type": "string", "minLength": 2}, {"type": "number"}]}, ["ab", 3, 0.5], ["a", None, True]),
    "anyOf of required": (
        {"anyOf": [{"required": ["a", "b"]}, {"required": ["c"], "properties": {"c": {"minItems": 1}}}]},
        [{"a": 1, "b": 2}, {"c": [0]}, {"c": "x"}, "not an object"], [{"a": 1}, {"c": []}, {}]),
    "const string": ({"const": "trailcheck.snapshot/v1"}, ["trailcheck.snapshot/v1"],
                     ["trailcheck.snapshot/v2", None, 1]),
    "const number": ({"const": 1}, [1, 1.0], [True, "1", 2, [1]]),
    "const false": ({"const": False}, [False], [0, None, 0.0, True]),
    "const null": ({"const": None}, [None], [0, False, [], ""]),
    "const nested": ({"const": [1, {"a": False}]}, [[1.0, {"a": False}], [1, {"a": False}]],
                     [[True, {"a": False}], [1, {"a": 0}], [1], [1, {"a": False, "b": 1}], [1, {"b": False}]]),
    "enum mixed": ({"enum": [1, "a", None, [True], {"k": 0}]}, [1, 1.0, "a", None, [True], {"k": 0.0}],
                   [True, [1], "b", 2, {"k": False}, {}]),
    "enum strings": ({"enum": ["ReadOnly", "All"]}, ["All", "ReadOnly"], ["all", None, 1, ["All"]]),
    "format is an annotation": ({"type": "string", "format": "date-time"}, ["not a date", "2026-12-01T00:00:00Z"], [3]),
    "maxItems": ({"maxItems": 2}, [[], [1, 2], "abc", {"a": 1, "b": 2, "c": 3}], [[1, 2, 3]]),
    "minItems": ({"minItems": 1}, [[0], {}, ""], [[]]),
    "minLength counts code points": ({"minLength": 2}, ["ab", "😀😀", 5, ["x"]], ["a", "😀", ""]),
    "maxLength counts code points": ({"maxLength": 1}, ["😀", "é", "", 10], ["ab", "e\u0301"]),
    "minProperties": ({"minProperties": 2}, [{"a": 1, "b": 2}, [1], "x"], [{"a": 1}, {}]),
    "not required": ({"not": {"required": ["a", "b"]}}, [{"a": 1}, {}], [{"a": 1, "b": 2}, "x", []]),
    "not type": ({"not": {"type": "string"}}, [1, None, []], ["s", ""]),
    "not const": ({"not": {"const": 1}}, [True, "1", 2], [1, 1.0]),
    "propertyNames": ({"propertyNames": {"minLength": 1}}, [{"a": 1}, {}, ["", ""]], [{"": 1}, {"a": 1, "": 2}]),
    "propertyNames pattern": ({"propertyNames": {"pattern": "^x"}}, [{"xa": 0}], [{"ax": 0}]),
    "uniqueItems": ({"uniqueItems": True}, [["a", "b"], [], "aa", ["a", "A"]],
                    [["a", "a"], [1, 1.0], [{"a": 1}, {"a": 1}]]),
    "uniqueItems false": ({"uniqueItems": False}, [["a", "a"]], []),
    "pattern searches": ({"pattern": "[0-9]{12}"}, ["x123456789012x", 5], ["12345"]),
    "minimum": ({"minimum": 1}, [1, 1.5, "0", float("nan")], [0, 0.5, -1]),
    "required": ({"required": ["a"]}, [{"a": None}, [], "a"], [{}, {"b": 1}]),
    "properties and additionalProperties": (
        {"properties": {"a": {"type": "string"}}, "additionalProperties": False},
        [{}, {"a": "x"}, 3], [{"a": 1}, {"b": "x"}]),
    "additionalProperties alone": ({"additionalProperties": {"type": "string"}}, [{}, {"k": "v"}], [{"k": 1}]),
    "false subschema": ({"properties": {"a": False}}, [{}, {"b": 1}], [{"a": None}]),
    "items": ({"items": {"type": "integer"}}, [[], [1, 2.0], {"a": "x"}], [[1, "2"], [True]]),
    "$ref into a definition's properties": (
        {"$defs": {"a": {"properties": {"b": {"type": "string"}}}},
         "properties": {"x": {"$ref": "#/$defs/a/properties/b"}}},
        [{"x": "s"}, {}], [{"x": 1}]),
    "$ref with an escaped name": ({"$defs": {"a/b~": {"type": "null"}}, "$ref": "#/$defs/a~1b~0"}, [None], [0]),
    "$ref beside other keywords": ({"$defs": {"s": {"type": "string"}}, "$ref": "#/$defs/s", "minLength": 2},
                                   ["ab"], ["a", 1]),
    "$id and annotations": ({"$id": "https://example.com/x.json", "title": "t", "description": "d", "$comment": "c",
                             "type": "object"}, [{}], [[]]),
}

REFUSED_THOUGH_VALID: dict[str, tuple[dict[str, Any], list[Any]]] = {
    # Answers the fast check leaves to jsonschema: uniqueItems over anything but strings.
    "uniqueItems of non-strings": ({"uniqueItems": True}, [[1, True], [1, "1"], [[1], [True]], [0, False], [1, 2]]),
}


def _jsonschema_valid(schema: dict[str, Any], instance: Any) -> bool:
    """jsonschema's answer, with the validator built as checker.schemas.validation builds it."""
    return bool(jsonschema.validators.validator_for(schema)(schema).is_valid(instance))


def _draft_2020_12(schema: dict[str, Any]) -> dict[str, Any]:
    return {"$schema": DRAFT_2020_12, **schema}


@pytest.mark.parametrize(("schema", "valid", "invalid"), KEYWORD_CASES.values(), ids=KEYWORD_CASES.keys())
def test_each_keyword_answers_as_jsonschema_does(schema: dict[str, Any], valid: list[Any], invalid: list[Any]) -> None:
    schema = _draft_2020_12(schema)
    check = compile_schema(schema)
    for instance in valid:
        assert _jsonschema_valid(schema, instance), instance
        assert check(instance), instance
    for instance in invalid:
        assert not _jsonschema_valid(schema, instance), instance
        assert not check(instance), instance


@pytest.mark.parametrize(("schema", "instances"), REFUSED_THOUGH_VALID.values(), ids=REFUSED_THOUGH_VALID.keys())
def test_what_the_fast_check_refuses_jsonschema_judges(schema: dict[str, Any], instances: list[Any]) -> None:
    schema = _draft_2020_12(schema)
    check = compile_schema(schema)
    for instance in instances:
        assert _jsonschema_valid(schema, instance), instance
        assert not check(instance), instance


UNSUPPORTED: dict[str, dict[str, Any]] = {
    "an unknown keyword": {"oneOf": [{"type": "string"}]},
    "a keyword that changes additionalProperties": {"patternProperties": {"^x": {}}, "additionalProperties": False},
    "not over a check that may refuse what is valid": {"not": {"uniqueItems": True}},
    "a recursive reference": {"properties": {"child": {"$ref": "#"}}},
    "a reference out of the schema": {"$ref": "https://example.com/other.json"},
    "an anchor": {"$ref": "#node"},
    "items as an array": {"items": [{"type": "string"}]},
    "an unknown type": {"type": "any"},
    "an $id below the root": {"properties": {"a": {"$id": "https://example.com/a.json", "type": "string"}}},
}


@pytest.mark.parametrize("schema", UNSUPPORTED.values(), ids=UNSUPPORTED.keys())
def test_what_the_fast_check_cannot_answer_is_refused_when_compiled(schema: dict[str, Any]) -> None:
    with pytest.raises(UnsupportedKeyword):
        compile_schema(_draft_2020_12(schema))


def test_another_draft_is_refused() -> None:
    with pytest.raises(UnsupportedKeyword):
        compile_schema({"$schema": "http://json-schema.org/draft-07/schema#", "type": "object"})


SNAPSHOT_FORMAT = "trailcheck.snapshot/v1"


def _bundled_snapshots() -> dict[str, Any]:
    """Every snapshot file shipped with the project: examples/ and tests/data/."""
    root = Path(__file__).parent.parent
    found: dict[str, Any] = {}
    for path in sorted([*root.glob("examples/*.json"), *root.glob("tests/data/**/*.json")]):
        document = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(document, dict) and document.get("format") == SNAPSHOT_FORMAT:
            found[str(path.relative_to(root))] = document
    return found


def _hand_made_snapshot() -> dict[str, Any]:
    """What the examples leave out: contents, a shard with its visits, alarms on metric math."""
    math_alarm = alarm("math", Namespace=None, MetricName=None, Metrics=[
        {"Id": "m1", "ReturnData": True,
         "MetricStat": {"Metric": {"Namespace": "CISBenchmark", "MetricName": "m", "Dimensions": []}, "Period": 300}}])
    management = with_monitoring(
        account(MANAGEMENT, trail("main", AdvancedEventSelectors=[management_selector(exclude=(KMS,))]),
                trail("basic", organization=True), errors=(collection_error("eu-west-1"),)),
        us_east_1=cis_region(), eu_west_1=region_data(alarms=[math_alarm], event_rules=[event_rule("r", "{}")]))
    document = snapshot(management, organization=True, collected_at=1764547200)
    document["contents"] = ["trails", "monitoring"]
    document["shard"] = {"index": 1, "count": 2, "visits": [
        {"account_id": MEMBER, "monitoring": {"us-east-1": region_data(topics=[topic()])},
         "errors": [collection_error(None, "ListBuckets")]}]}
    return document


BUNDLED = _bundled_snapshots()
BASES = {**BUNDLED, "hand-made": _hand_made_snapshot()}


def test_the_examples_are_bundled_snapshots() -> None:
    assert "examples/estate.json" in BUNDLED


@pytest.mark.parametrize("name", BASES.keys())
def test_every_bundled_snapshot_takes_the_fast_path(name: str) -> None:
    assert schema_violation("snapshot", BASES[name]) is None
    assert schema_check("snapshot")(BASES[name])


def test_a_nan_in_an_unknown_key_leaves_the_fast_path_and_is_named() -> None:
    document = copy.deepcopy(BASES["hand-made"])
    document["accounts"][0]["extra"] = {"count": float("nan")}
    assert compile_schema(load_schema("snapshot"))(document)
    assert not schema_check("snapshot")(document)
    with pytest.raises(InputError) as raised:
        validate_snapshot_data(document, "org.json")
    assert str(raised.value) == str(InputError("org.json", "invalid snapshot: $.accounts[0].extra.count: "
                                                           "nan is not a JSON number"))


def _schema_property_names(node: Any) -> set[str]:
    """Every member name the snapshot schema gives properties for (to add where they may clash)."""
    names: set[str] = set()
    if isinstance(node, dict):
        names |= set(node.get("properties", {}))
        for item in node.values():
            names |= _schema_property_names(item)
    elif isinstance(node, list):
        for item in node:
            names |= _schema_property_names(item)
    return names


PROPERTY_NAMES = sorted(_schema_property_names(load_schema("snapshot")))
ODD_VALUES: list[Any] = [None, True, False, 0, 1, 1.0, -1, 1.5, 2**64, "", "x", "All", "123456789012", [], {},
                         [""], ["x", "x"], {"": 1}, float("nan"), float("inf"), "2026-01-01T00:00:00Z",
                         "arn:aws:cloudtrail:us-east-1:111111111111:trail/x"]


def _containers(value: Any) -> list[Any]:
    """Every object and array of a document, itself first."""
    found = [value]
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for child in children:
        if isinstance(child, (dict, list)):
            found.extend(_containers(child))
    return found


def _odd_or_copied(data: st.DataObject, document: Any) -> Any:
    """A value of the document elsewhere (the right shape in the wrong place, or a clash) or an odd one."""
    if data.draw(st.booleans()):
        return copy.deepcopy(data.draw(st.sampled_from(_containers(document))))
    return data.draw(st.sampled_from(ODD_VALUES))


def _any_container(data: st.DataObject, document: Any) -> Any:
    """An object or array of ``document``, each shape (set of member names) as likely as another:
    the five trails as likely as the hundred alarms."""
    shapes: dict[tuple[str, ...] | None, list[Any]] = {}
    for node in _containers(document):
        shapes.setdefault(tuple(sorted(node)) if isinstance(node, dict) else None, []).append(node)
    return data.draw(st.sampled_from(data.draw(st.sampled_from(list(shapes.values())))))


def _mutate(data: st.DataObject, document: Any) -> None:
    """One random change at a random object or array of ``document``; a graft gives an object a
    member an object of its kind has (``EventSelectors`` beside ``AdvancedEventSelectors``)."""
    node = _any_container(data, document)
    if isinstance(node, dict):
        change = data.draw(st.sampled_from(["drop", "set", "graft", "add a schema name", "add an unknown key"]))
        kin = [other for other in _containers(document) if isinstance(other, dict) and other.keys() & node.keys()
               and other.keys() - node.keys()]
        if change == "graft" and kin:
            donor = data.draw(st.sampled_from(kin))
            key = data.draw(st.sampled_from(sorted(donor.keys() - node.keys())))
            node[key] = copy.deepcopy(donor[key])
        elif change in ("drop", "set") and node:
            key = data.draw(st.sampled_from(sorted(node)))
            if change == "drop":
                del node[key]
            else:
                node[key] = _odd_or_copied(data, document)
        elif change == "add a schema name":
            node[data.draw(st.sampled_from(PROPERTY_NAMES))] = _odd_or_copied(data, document)
        else:
            node[data.draw(st.text(max_size=3))] = _odd_or_copied(data, document)
    else:
        change = data.draw(st.sampled_from(["duplicate", "remove", "empty", "append", "set"]))
        if change in ("duplicate", "remove", "set") and node:
            index = data.draw(st.integers(0, len(node) - 1))
            if change == "duplicate":
                node.append(copy.deepcopy(node[index]))
            elif change == "remove":
                del node[index]
            else:
                node[index] = _odd_or_copied(data, document)
        elif change == "empty":
            node.clear()
        else:
            node.append(_odd_or_copied(data, document))


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_mutated_snapshot_the_fast_check_accepts_is_valid(data: st.DataObject) -> None:
    document = copy.deepcopy(BASES[data.draw(st.sampled_from(sorted(BASES)))])
    for _ in range(data.draw(st.integers(1, 3))):
        _mutate(data, document)
    if schema_check("snapshot")(document):
        assert schema_violation("snapshot", document) is None
