"""CloudTrail Lake event data stores as recorders, beside the trail table (docs/semantics.md).

An ``ENABLED`` store records like a trail wherever it reaches (its home Region, or every
Region; its own account, or every account of the organization), with advanced selectors
whose management-event selectors may also use ``eventName``, ``eventType``,
``sessionCredentialFromConsole`` and ``userIdentity.arn``. Stores count only for the rules
whose ``recorded_by`` names ``event-data-stores`` (coverage, ``unlogged-events``,
``explain``), and only when the snapshot carries that family. Snapshots here are written in
the snapshot format and read by ``parse_snapshot`` / the CLI, as a user's would be.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checker.engine.config import ConfigEvaluator
from checker.findings import Finding
from checker.inputs.snapshot import parse_snapshot
from checker.model import Snapshot
from checker.policy.loader import apply_params, builtin_policy_dir, load_policies
from checker.recorders import RECORDER_FAMILIES, recorders_reaching, store_recorder
from checker.simulator import probe_coverage, record_verdict
from checker.storage_model import EventDataStore
from tests.helpers.cli import run_cli, scan_report
from tests.helpers.simulator_inputs import (
    ACCOUNT,
    ADMIN_SESSIONS,
    MGMT,
    NOT_KMS,
    OTHER_ACCOUNT,
    REGION,
    Doc,
    adv,
    advanced,
    fs,
    insight_record,
    record,
    trail_doc,
)
from tests.helpers.snapshots import find, write_json
from tests.test_simulator_properties import PROPERTY_SETTINGS, selector_lists

ALL = frozenset(RECORDER_FAMILIES)
ORGANIZATION = {"id": "o-a1b2c3d4e5", "management_account_id": ACCOUNT}
ALL_MANAGEMENT: dict[str, str | bool] = {"eventCategory": "Management"}


def store_doc(name: str = "lake", account: str = ACCOUNT, selectors: list[Doc] | None = None, **fields: Any) -> Doc:
    """A GetEventDataStore answer: ENABLED, multi-Region, not organization, all management events
    unless ``selectors`` say otherwise; a field given as ``None`` is left out."""
    doc: Doc = {
        "EventDataStoreArn": f"arn:aws:cloudtrail:{REGION}:{account}:eventdatastore/{name}",
        "Name": name, "Status": "ENABLED", "MultiRegionEnabled": True, "OrganizationEnabled": False,
        "RetentionPeriod": 2557, "TerminationProtectionEnabled": True,
        "AdvancedEventSelectors": selectors if selectors is not None else [adv(MGMT)],
    }
    doc.update(fields)
    return {key: value for key, value in doc.items() if value is not None}


def estate(trails: dict[str, list[Doc]], stores: dict[str, list[Doc]], *, organization: bool = False,
           contents: list[str] | None = None, errors: dict[str, list[Doc]] | None = None) -> Doc:
    """A snapshot document: each account's trails and the stores listed in its home Region
    ``us-east-1`` (eu-west-1 listed, with none)."""
    accounts = sorted(set(trails) | set(stores))
    data: Doc = {"format": "trailcheck.snapshot/v1", "collected_at": "2026-11-20T02:00:00Z", "accounts": [
        {"account_id": a, "regions": [REGION, "eu-west-1"], "trails": trails.get(a, []),
         "errors": (errors or {}).get(a, []),
         "event_data_stores": {REGION: stores.get(a, []), "eu-west-1": []}} for a in accounts]}
    if organization:
        data["organization"] = ORGANIZATION
    if contents is not None:
        data["contents"] = contents
    return data


def parsed(document: Doc) -> Snapshot:
    return parse_snapshot(document, "stores-snapshot.json")


def stores_only(*stores: Doc) -> Snapshot:
    return parsed(estate({}, {ACCOUNT: list(stores)}))


# -- one record, one store ------------------------------------------------------------------------

RUN_INSTANCES = record("ec2.amazonaws.com", "RunInstances", False)
DISABLE_KEY = record("kms.amazonaws.com", "DisableKey", False)
KMS_DECRYPT = record("kms.amazonaws.com", "Decrypt", True)
SERVICE_EVENT = record("kms.amazonaws.com", "RotateKey", False, eventType="AwsServiceEvent",
                       userIdentity={"type": "AWSService", "invokedBy": "kms.amazonaws.com"})
CONSOLE_CALL = record("ec2.amazonaws.com", "RunInstances", False, sessionCredentialFromConsole="true")
OTHER_CALLER = record("ec2.amazonaws.com", "RunInstances", False,
                      userIdentity={"type": "AssumedRole", "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/Ops/bob"})


class StoreRow(NamedTuple):
    store: Doc
    record: Doc
    logged: bool | None
    decision: str
    reason: str


def row(case_id: str, store: Doc, rec: Doc, logged: bool | None, decision: str, reason: str) -> Any:
    return pytest.param(StoreRow(store, rec, logged, decision, reason), id=case_id)


def only(*conditions: Doc) -> list[Doc]:
    """One management selector of a store with ``conditions``."""
    return [adv(MGMT, *conditions)]


STORE_CASES = [
    row("multi-region-store-records-another-region", store_doc(),
        record("ec2.amazonaws.com", "RunInstances", False, region="eu-west-1"), True, "logged",
        "AdvancedEventSelectors[0] matches"),
    row("home-only-store-misses-another-region", store_doc(MultiRegionEnabled=False),
        record("ec2.amazonaws.com", "RunInstances", False, region="eu-west-1"), False, "out-of-region",
        "single-region event data store in us-east-1; the event is in eu-west-1"),
    row("home-only-store-records-its-region", store_doc(MultiRegionEnabled=False), RUN_INSTANCES, True, "logged",
        "AdvancedEventSelectors[0] matches"),
    row("stopped-ingestion-records-nothing", store_doc(Status="STOPPED_INGESTION"), RUN_INSTANCES, False,
        "not-logging", "not ingesting (Status STOPPED_INGESTION; only an ENABLED store records events)"),
    row("status-not-read-is-unknown", store_doc(Status=None), RUN_INSTANCES, None, "unknown",
        "Status or reach is unknown (GetEventDataStore not read)"),
    row("selectors-not-read-are-unknown", store_doc(AdvancedEventSelectors=None), RUN_INSTANCES, None, "unknown",
        "event selectors unknown (GetEventDataStore not read)"),
    row("event-name-equals-selects", store_doc(selectors=only(fs("eventName", Equals=["DisableKey"]))),
        DISABLE_KEY, True, "logged", "AdvancedEventSelectors[0] matches"),
    row("event-name-equals-leaves-others", store_doc(selectors=only(fs("eventName", Equals=["DisableKey"]))),
        KMS_DECRYPT, False, "not-selected", "does not select eventName=Decrypt (Equals ['DisableKey'])"),
    row("event-name-not-equals-excludes", store_doc(selectors=only(fs("eventName", NotEquals=["Decrypt"]))),
        KMS_DECRYPT, False, "excluded", "NotEquals Decrypt excludes eventName=Decrypt"),
    row("event-name-not-equals-keeps-others", store_doc(selectors=only(fs("eventName", NotEquals=["Decrypt"]))),
        DISABLE_KEY, True, "logged", "AdvancedEventSelectors[0] matches"),
    row("event-type-not-equals-excludes-service-events",
        store_doc(selectors=only(fs("eventType", NotEquals=["AwsServiceEvent"]))), SERVICE_EVENT, False, "excluded",
        "NotEquals AwsServiceEvent excludes eventType=AwsServiceEvent"),
    row("event-type-not-equals-keeps-api-calls",
        store_doc(selectors=only(fs("eventType", NotEquals=["AwsServiceEvent"]))), RUN_INSTANCES, True, "logged",
        "AdvancedEventSelectors[0] matches"),
    row("user-identity-arn-startswith-selects",
        store_doc(selectors=only(fs("userIdentity.arn", StartsWith=[ADMIN_SESSIONS]))), RUN_INSTANCES, True,
        "logged", "AdvancedEventSelectors[0] matches"),
    row("user-identity-arn-startswith-leaves-other-callers",
        store_doc(selectors=only(fs("userIdentity.arn", StartsWith=[ADMIN_SESSIONS]))), OTHER_CALLER, False,
        "not-selected", "does not select userIdentity.arn=arn:aws:sts::111111111111:assumed-role/Ops/bob"),
    row("user-identity-arn-absent-matches-no-condition",
        store_doc(selectors=only(fs("userIdentity.arn", NotStartsWith=[ADMIN_SESSIONS]))), SERVICE_EVENT, False,
        "not-selected", "has no userIdentity.arn (treated as not matching)"),
    row("console-session-excluded", store_doc(selectors=only(fs("sessionCredentialFromConsole", NotEquals=["true"]))),
        CONSOLE_CALL, False, "excluded", "NotEquals true excludes sessionCredentialFromConsole=true"),
    row("no-console-field-reads-false", store_doc(selectors=only(fs("sessionCredentialFromConsole",
                                                                    NotEquals=["true"]))),
        RUN_INSTANCES, True, "logged", "AdvancedEventSelectors[0] matches"),
    row("console-only-store-leaves-api-calls",
        store_doc(selectors=only(fs("sessionCredentialFromConsole", Equals=["true"]))), RUN_INSTANCES, False,
        "not-selected", "does not select sessionCredentialFromConsole=false"),
    row("read-only-store-leaves-writes", store_doc(selectors=only(fs("readOnly", Equals=["true"]))), RUN_INSTANCES,
        False, "not-selected", "does not select readOnly=false"),
    row("read-only-store-records-reads", store_doc(selectors=only(fs("readOnly", Equals=["true"]))), KMS_DECRYPT,
        True, "logged", "AdvancedEventSelectors[0] matches"),
    row("management-store-records-no-insights", store_doc(), insight_record("ApiCallRateInsight"), False,
        "not-selected", "does not select eventCategory=Insight"),
    row("insights-store-may-hold-insights", store_doc(selectors=[adv(fs("eventCategory", Equals=["Insight"]))]),
        insight_record("ApiCallRateInsight"), None, "unknown", "source store's Insights settings, which are not read"),
]


@pytest.mark.parametrize("case", STORE_CASES)
def test_store_decides_a_record(case: StoreRow) -> None:
    verdict = record_verdict(stores_only(case.store), case.record, ALL)
    assert verdict.trails == []
    (decision,) = verdict.stores
    assert (decision.logged, decision.decision) == (case.logged, case.decision), decision.reason
    assert case.reason in decision.reason
    assert verdict.logged is case.logged


# -- reach across accounts, and the family ---------------------------------------------------------

MEMBER_CALL = record("ec2.amazonaws.com", "RunInstances", False, account=OTHER_ACCOUNT)


def test_an_organization_store_records_a_member() -> None:
    snapshot = parsed(estate({OTHER_ACCOUNT: []}, {ACCOUNT: [store_doc(OrganizationEnabled=True)]}, organization=True))
    verdict = record_verdict(snapshot, MEMBER_CALL, ALL)
    assert verdict.logged is True
    assert [d.arn for d in verdict.stores] == [f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:eventdatastore/lake"]


def test_an_account_store_does_not_reach_a_member() -> None:
    snapshot = parsed(estate({OTHER_ACCOUNT: []}, {ACCOUNT: [store_doc()]}, organization=True))
    verdict = record_verdict(snapshot, MEMBER_CALL, ALL)
    assert (verdict.logged, verdict.stores) == (False, [])


def test_stores_count_only_when_asked() -> None:
    snapshot = stores_only(store_doc())
    assert record_verdict(snapshot, RUN_INSTANCES).logged is False
    assert record_verdict(snapshot, RUN_INSTANCES, ALL).logged is True


def test_without_the_family_coverage_is_judged_on_trails_alone() -> None:
    snapshot = parsed(estate({ACCOUNT: []}, {ACCOUNT: [store_doc()]}, contents=["trails"]))
    assert recorders_reaching(snapshot, ACCOUNT, ALL) == []
    assert record_verdict(snapshot, RUN_INSTANCES, ALL).logged is False


def test_stores_are_never_among_the_trails() -> None:
    snapshot = stores_only(store_doc(OrganizationEnabled=True))
    assert snapshot.all_trails() == [] and snapshot.trails_reaching(ACCOUNT) == []
    assert [r.kind for r in recorders_reaching(snapshot, ACCOUNT, ALL)] == ["event-data-store"]


def test_an_unlisted_region_leaves_a_miss_unknown() -> None:
    document = estate({ACCOUNT: []}, {ACCOUNT: [store_doc(MultiRegionEnabled=False)]})
    del document["accounts"][0]["event_data_stores"]["eu-west-1"]
    verdict = record_verdict(parsed(document), record("ec2.amazonaws.com", "RunInstances", False, region="eu-west-1"),
                             ALL)
    assert verdict.logged is None


# -- probes: the simulator's universal question over stores ----------------------------------------

def store(doc: Doc) -> Any:
    """The recorder view of one store document."""
    (found,) = recorders_reaching(stores_only(doc), ACCOUNT, ALL)
    return found


class ProbeRow(NamedTuple):
    selectors: list[Doc]
    probe: dict[str, str | bool]
    coverage: str
    missing: list[str]


def probe_row(case_id: str, selectors: list[Doc], probe: dict[str, str | bool], coverage: str,
              missing: list[str]) -> Any:
    return pytest.param(ProbeRow(selectors, probe, coverage, missing), id=case_id)


PROBE_CASES = [
    probe_row("event-type-exclusion-is-a-gap", only(fs("eventType", NotEquals=["AwsServiceEvent"])), ALL_MANAGEMENT,
              "partial", ["eventType=AwsServiceEvent"]),
    probe_row("user-identity-exclusion-also-misses-service-calls",
              only(fs("userIdentity.arn", NotStartsWith=[ADMIN_SESSIONS])), ALL_MANAGEMENT, "partial",
              [f"userIdentity.arn={ADMIN_SESSIONS}*", "userIdentity.arn=(absent)"]),
    probe_row("console-and-not-console-cover-everything",
              [*only(fs("sessionCredentialFromConsole", Equals=["true"])),
               *only(fs("sessionCredentialFromConsole", NotEquals=["true"]))], ALL_MANAGEMENT, "covered", []),
    probe_row("console-only-misses-the-rest", only(fs("sessionCredentialFromConsole", Equals=["true"])),
              ALL_MANAGEMENT, "partial", ["sessionCredentialFromConsole=false"]),
    probe_row("event-names-cover-their-probe",
              only(fs("eventSource", Equals=["kms.amazonaws.com"]), fs("eventName", StartsWith=["Disable"])),
              {"eventCategory": "Management", "eventSource": "kms.amazonaws.com", "eventName": "DisableKey",
               "readOnly": False}, "covered", []),
    probe_row("event-names-leave-the-other-events",
              only(fs("eventName", StartsWith=["Disable"])), ALL_MANAGEMENT, "partial", ["eventName=*"]),
    probe_row("read-only-store-misses-writes", only(fs("readOnly", Equals=["true"])), ALL_MANAGEMENT, "partial",
              ["readOnly=false"]),
]


@pytest.mark.parametrize("case", PROBE_CASES)
def test_store_probe_coverage(case: ProbeRow) -> None:
    result = probe_coverage([store(store_doc(selectors=case.selectors))], case.probe, REGION)
    assert (result.coverage, result.missing) == (case.coverage, case.missing)


@PROPERTY_SETTINGS
@given(selector_lists, st.lists(st.sampled_from(["eventName", "eventType", "userIdentity.arn"]), max_size=2),
       st.sampled_from([ALL_MANAGEMENT, {"eventCategory": "Management", "readOnly": True},
                        {"eventCategory": "Management", "eventSource": "kms.amazonaws.com"}]))
def test_adding_a_store_never_removes_coverage(trail_selectors: list[Doc], store_fields: list[str],
                                               probe: dict[str, str | bool]) -> None:
    trail = recorders_reaching(parsed(estate({ACCOUNT: [trail_doc(**advanced(*trail_selectors))]}, {})), ACCOUNT)
    conditions = [fs(name, NotStartsWith=["a"]) for name in store_fields]
    added = store(store_doc(selectors=only(*conditions)))
    rank = {"not-covered": 0, "partial": 1, "covered": 2}
    before = probe_coverage(trail, probe, REGION)
    after = probe_coverage([*trail, added], probe, REGION)
    assert rank[after.coverage] >= rank[before.coverage]


def test_a_store_view_from_the_model() -> None:
    """H1's loader is one way to build stores; the model object alone gives the same recorder."""
    model = EventDataStore(arn=f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:eventdatastore/lake", name="lake",
                           owner_account_id=ACCOUNT, region=REGION, status="ENABLED", multi_region=False,
                           organization=False, selectors=())
    view = store_recorder(model, "aws")
    assert (view.kind, view.is_multi_region, view.status is not None and view.status.is_logging) == (
        "event-data-store", False, True)
    result = probe_coverage([view], ALL_MANAGEMENT, REGION)
    assert result.trails == []
    assert result.stores[0].reason == "the event data store has no event selectors"


# -- the rules --------------------------------------------------------------------------------------

def scan(capsys: pytest.CaptureFixture[str], tmp_path: Path, document: Doc, *args: str) -> list[dict[str, Any]]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = write_json(tmp_path / "snapshot.json", document)
    _, report = scan_report(capsys, tmp_path / "out", path, *args)
    findings: list[dict[str, Any]] = report["findings"]
    return findings


KMS_GAP_TRAIL = trail_doc("main", **advanced(adv(MGMT, NOT_KMS)))
LAKE = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:eventdatastore/lake"


def test_a_store_fills_a_trail_gap(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    findings = scan(capsys, tmp_path, estate({ACCOUNT: [KMS_GAP_TRAIL]}, {ACCOUNT: [store_doc()]}),
                    "--rules", "management-events-coverage,kms-exclusion-gap,multi-region-trail")
    for rule_id in ("management-events-coverage", "kms-exclusion-gap"):
        finding = find(findings, rule_id, ACCOUNT, REGION)
        assert finding["status"] == "pass", finding["message"]
        assert LAKE in json.dumps(finding["evidence"])
    assert find(findings, "multi-region-trail", ACCOUNT)["status"] == "fail"


def test_without_stores_the_gap_stays(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    document = estate({ACCOUNT: [KMS_GAP_TRAIL]}, {ACCOUNT: [store_doc(Status="STOPPED_INGESTION")]})
    findings = scan(capsys, tmp_path, document, "--rules", "management-events-coverage")
    finding = find(findings, "management-events-coverage", ACCOUNT, REGION)
    assert finding["status"] == "fail"
    assert "not ingesting (Status STOPPED_INGESTION" in json.dumps(finding["evidence"])
    trails_only = scan(capsys, tmp_path / "param", estate({ACCOUNT: [KMS_GAP_TRAIL]}, {ACCOUNT: [store_doc()]}),
                       "--rules", "management-events-coverage",
                       "--param", "management-events-coverage.recorded_by=trails")
    assert find(trails_only, "management-events-coverage", ACCOUNT, REGION)["status"] == "fail"


MAIN = KMS_GAP_TRAIL["TrailARN"]
DENIED_HERE = {"region": REGION, "operation": "ListEventDataStores", "code": "AccessDenied", "message": "no"}


class EvidenceRow(NamedTuple):
    trails: list[Doc]
    stores: list[Doc]
    params: tuple[str, ...]
    errors: list[Doc]
    status: str
    trail_rows: set[str]
    store_rows: set[str] | None
    decided_by: list[str] | None


def evidence_row(case_id: str, trails: list[Doc], stores: list[Doc], status: str, trail_rows: set[str],
                 store_rows: set[str] | None, decided_by: list[str] | None = None, *, params: tuple[str, ...] = (),
                 errors: list[Doc] | None = None) -> Any:
    return pytest.param(EvidenceRow(trails, stores, params, errors or [], status, trail_rows, store_rows, decided_by),
                        id=case_id)


STOPPED = store_doc(Status="STOPPED_INGESTION")
EVIDENCE_CASES = [
    evidence_row("a-stopped-store-is-a-row-of-its-own", [KMS_GAP_TRAIL], [STOPPED], "fail", {MAIN}, {LAKE}),
    evidence_row("stores-alone-leave-the-trails-empty", [], [STOPPED], "fail", set(), {LAKE}),
    evidence_row("a-listing-gap-keeps-store-rows-apart", [KMS_GAP_TRAIL], [STOPPED], "error", {MAIN}, {LAKE},
                 errors=[DENIED_HERE]),
    evidence_row("no-store-no-store-rows", [KMS_GAP_TRAIL], [], "fail", {MAIN}, None),
    evidence_row("recorded-by-trails-shows-no-store", [KMS_GAP_TRAIL], [store_doc()], "fail", {MAIN}, None,
                 params=("management-events-coverage.recorded_by=trails",)),
    evidence_row("a-pass-names-the-trail-then-the-store", [KMS_GAP_TRAIL], [store_doc()], "pass", set(), None,
                 [MAIN, LAKE]),
    evidence_row("a-pass-by-a-store-alone", [], [store_doc()], "pass", set(), None, [LAKE]),
]


def coverage_finding(document: Doc, *params: str, rule_id: str = "management-events-coverage") -> Finding:
    """The built-in rule's finding for ``ACCOUNT`` in ``REGION``, as the engine gives it (the
    report writes the same evidence, stating repeated objects once)."""
    rules, _ = load_policies([builtin_policy_dir() / "coverage.yaml"])
    (rule,) = apply_params([r for r in rules if r.id == rule_id], list(params))
    findings = ConfigEvaluator(parsed(document)).evaluate([rule])
    (finding,) = [f for f in findings if (f.account_id, f.region) == (ACCOUNT, REGION)]
    return finding


@pytest.mark.parametrize("case", EVIDENCE_CASES)
def test_probe_evidence_keeps_stores_apart_from_trails(case: EvidenceRow) -> None:
    """A probe's rows: the trails' under ``trails``, the event data stores' under
    ``event_data_stores`` (only when a store counted); a pass names both in ``decided_by``."""
    finding = coverage_finding(estate({ACCOUNT: case.trails}, {ACCOUNT: case.stores}, errors={ACCOUNT: case.errors}),
                               *case.params)
    assert finding.status == case.status, finding.message
    evidence = finding.evidence
    if case.decided_by is not None:
        assert evidence["decided_by"] == case.decided_by
        return
    probes = evidence["probes"]
    assert {row["arn"] for probe in probes for row in probe["trails"]} == case.trail_rows
    if case.store_rows is None:
        assert not any("event_data_stores" in probe for probe in probes)
        return
    rows = [row for probe in probes for row in probe["event_data_stores"]]
    assert {row["arn"] for row in rows} == case.store_rows
    assert all(set(row) == {"arn", "decision", "reason"} for row in rows)
    assert {row["decision"] for row in rows} == {"not-logging"}


def test_trail_rules_still_need_a_trail(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    findings = scan(capsys, tmp_path, estate({}, {ACCOUNT: [store_doc()]}),
                    "--rules", "management-events-coverage,multi-region-trail,cloudtrail-enabled")
    assert find(findings, "management-events-coverage", ACCOUNT, REGION)["status"] == "pass"
    assert find(findings, "multi-region-trail", ACCOUNT)["status"] == "fail"
    assert find(findings, "cloudtrail-enabled", ACCOUNT)["status"] == "fail"


def test_a_listing_failure_makes_a_gap_an_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    denied = {"region": "eu-west-1", "operation": "ListEventDataStores", "code": "AccessDenied", "message": "no"}
    findings = scan(capsys, tmp_path, estate({ACCOUNT: [KMS_GAP_TRAIL]}, {}, errors={ACCOUNT: [denied]}),
                    "--rules", "management-events-coverage,log-file-validation")
    finding = find(findings, "management-events-coverage", ACCOUNT, REGION)
    assert finding["status"] == "error"
    assert "hide trails or event data stores: ListEventDataStores AccessDenied" in finding["message"]


def test_within_an_organization_any_accounts_listing_gap_counts(capsys: pytest.CaptureFixture[str],
                                                                  tmp_path: Path) -> None:
    """An organization store may be held by any account: a member's gap is open while the
    management account's stores could not be listed."""
    denied = {"region": REGION, "operation": "ListEventDataStores", "code": "AccessDenied", "message": "no"}
    document = estate({ACCOUNT: [], OTHER_ACCOUNT: [KMS_GAP_TRAIL | {"TrailARN": KMS_GAP_TRAIL["TrailARN"].replace(
        ACCOUNT, OTHER_ACCOUNT)}]}, {}, organization=True, errors={ACCOUNT: [denied]})
    findings = scan(capsys, tmp_path, document, "--rules", "management-events-coverage")
    assert find(findings, "management-events-coverage", OTHER_ACCOUNT, REGION)["status"] == "error"
    del document["organization"]
    alone = scan(capsys, tmp_path / "alone", document, "--rules", "management-events-coverage")
    assert find(alone, "management-events-coverage", OTHER_ACCOUNT, REGION)["status"] == "fail"


def test_store_values_past_the_budget_are_an_error(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRAILCHECK_MAX_PROBE_WITNESSES", "500")
    hostile = only(fs("eventName", NotStartsWith=[f"a{i}" for i in range(40)],
                      NotEndsWith=[f"z{i}" for i in range(40)]),
                   fs("userIdentity.arn", NotEndsWith=[f"y{i}" for i in range(40)]))
    findings = scan(capsys, tmp_path, estate({}, {ACCOUNT: [store_doc(selectors=hostile)]}),
                    "--rules", "management-events-coverage")
    finding = find(findings, "management-events-coverage", ACCOUNT, REGION)
    assert finding["status"] == "error" and "undecided within budget" in finding["message"]


def test_recorded_by_is_checked_at_load(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text("rules:\n"
                      "  - id: bad-recorders\n    title: t\n    severity: low\n    scope: region\n"
                      "    require: {logged: [{eventCategory: Management}]}\n"
                      "    params: {recorded_by: [trails, lakes]}\n"
                      "  - id: not-a-coverage-rule\n    title: t\n    severity: low\n    scope: account\n"
                      "    require: {any_trail: {}}\n"
                      "    params: {recorded_by: [trails]}\n", encoding="utf-8")
    result = run_cli(capsys, "validate", str(policy))
    assert result.code == 2
    assert "rule bad-recorders: params: recorded_by must list one or more of trails, event-data-stores" in result.err
    assert "rule not-a-coverage-rule: params: recorded_by applies only to rules with require.logged" in result.err
    bad = run_cli(capsys, "scan", "--snapshot", str(write_json(tmp_path / "s.json", estate({ACCOUNT: []}, {}))),
                  "--param", "management-events-coverage.recorded_by=lakes")
    assert bad.code == 2 and "recorded_by must list one or more of" in bad.err


# -- unlogged-events and explain --------------------------------------------------------------------

def test_unlogged_events_counts_stores(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    snapshot = write_json(tmp_path / "snapshot.json", estate({ACCOUNT: [KMS_GAP_TRAIL]}, {ACCOUNT: [store_doc()]}))
    events = write_json(tmp_path / "events.json", {"Records": [DISABLE_KEY]})
    _, report = scan_report(capsys, tmp_path / "out", snapshot, "--events", str(events), "--rules", "unlogged-events")
    (finding,) = report["findings"]
    assert (finding["status"], finding["region"]) == ("pass", REGION), finding["message"]
    _, trails_only = scan_report(capsys, tmp_path / "out2", snapshot, "--events", str(events), "--rules",
                                 "unlogged-events", "--param", "unlogged-events.recorded_by=trails")
    (gap,) = trails_only["findings"]
    assert gap["status"] == "fail"
    assert "excludes eventSource=kms.amazonaws.com" in json.dumps(gap["evidence"])


def test_explain_lists_the_stores_and_names_the_recorder(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    snapshot = write_json(tmp_path / "snapshot.json",
                          estate({ACCOUNT: [KMS_GAP_TRAIL]}, {ACCOUNT: [store_doc(), store_doc(
                              "stopped", Status="STOPPED_INGESTION")]}))
    event = write_json(tmp_path / "event.json", DISABLE_KEY)
    answer = json.loads(run_cli(capsys, "explain", "--snapshot", str(snapshot), str(event), "--format", "json").out)
    assert answer["logged"] is True
    assert [t["logged"] for t in answer["trails"]] == [False]
    stores = {s["arn"].rsplit("/", 1)[1]: s for s in answer["event_data_stores"]}
    assert (stores["lake"]["logged"], stores["stopped"]["logged"]) == (True, False)
    assert "STOPPED_INGESTION" in stores["stopped"]["reason"]
    assert answer["recorded_by"] == [LAKE]
    table = run_cli(capsys, "explain", "--snapshot", str(snapshot), str(event)).out
    assert table.splitlines()[0].endswith(": LOGGED (event data store lake)")
    assert "event data store" in table and "not ingesting" in table
