"""The fast check of a report's findings agrees with jsonschema, and a refused finding is
named by its place in the report."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from checker.errors import InputError
from checker.report.document import load_report, report_json, to_document
from checker.schemas import load_schema
from checker.schemas.fast_check import definition_check
from tests.helpers.reports import ALL_SECTIONS, sample_report

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
