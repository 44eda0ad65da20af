"""``unlogged-events`` with event data stores: what its evidence shows (docs/semantics.md,
"Evidence in reports", "Event data stores as recorders").

A store's row is never a trail's: the trails' rows are under ``trails``, the stores' under
``event_data_stores``, only when a store has a row, as in coverage evidence. A record left
unknown by store listing gaps shows them as coverage findings do: within an organization every
scanned account's gaps count for every account, so 1,000 accounts x 17 Regions not listed are
17,000 errors; the finding lists the first ``MAX_LISTED_ERRORS``, counts them all, and its
message says how many.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest

from checker.engine.events import EventEvaluator, evaluate_event_rules
from checker.findings import Finding
from checker.model import CollectionError
from checker.policy.loader import apply_params, builtin_policy_dir, load_policies
from checker.recorders import MAX_LISTED_ERRORS
from tests.helpers.simulator_inputs import ACCOUNT, REGION, Doc, record
from tests.test_recorder_gaps import member
from tests.test_simulator_stores import DISABLE_KEY, KMS_GAP_TRAIL, LAKE, estate, parsed, store_doc

MAIN_TRAIL = KMS_GAP_TRAIL["TrailARN"]
STOPPED = LAKE.replace("/lake", "/stopped")
SEVENTEEN_REGIONS = ("us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "eu-west-1",
                     "eu-west-2", "eu-west-3", "eu-central-1", "eu-north-1", "ap-south-1", "ap-northeast-1",
                     "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2", "sa-east-1")


def unlogged_events(*params: str) -> Any:
    """The built-in ``unlogged-events`` rule, with ``--param`` values."""
    rules, _ = load_policies([builtin_policy_dir() / "events-cloudtrail.yaml"])
    (rule,) = apply_params([r for r in rules if r.id == "unlogged-events"], list(params))
    return rule


def only_finding(document: Doc, records: list[Doc], *params: str) -> Finding:
    (finding,) = evaluate_event_rules([unlogged_events(*params)], records, parsed(document))
    return finding


# -- store rows are not trail rows --------------------------------------------------------------------

class RowsCase(NamedTuple):
    stores: list[Doc]
    params: tuple[str, ...]
    status: str
    trails: list[str] | None
    event_data_stores: list[tuple[str, str]] | None


def rows_case(case_id: str, stores: list[Doc], status: str, trails: list[str] | None,
              event_data_stores: list[tuple[str, str]] | None, *params: str) -> Any:
    return pytest.param(RowsCase(stores, params, status, trails, event_data_stores), id=case_id)


ROWS_CASES = [
    rows_case("a-stopped-store-is-a-store-row-not-a-trail-row", [store_doc("stopped", Status="STOPPED_INGESTION")],
              "fail", [MAIN_TRAIL], [(STOPPED, "not-logging")]),
    rows_case("every-store-that-reaches-has-a-row", [store_doc("stopped", Status="STOPPED_INGESTION"),
                                                     store_doc(selectors=[{"FieldSelectors": [
                                                         {"Field": "eventCategory", "Equals": ["Data"]},
                                                         {"Field": "resources.type",
                                                          "Equals": ["AWS::S3::Object"]}]}])],
              "fail", [MAIN_TRAIL], [(LAKE, "not-selected"), (STOPPED, "not-logging")]),
    rows_case("no-store-no-store-key", [], "fail", [MAIN_TRAIL], None),
    rows_case("stores-not-counted-no-store-key", [store_doc("stopped", Status="STOPPED_INGESTION")],
              "fail", [MAIN_TRAIL], None, "unlogged-events.recorded_by=trails"),
    rows_case("an-undecided-store-is-under-event-data-stores", [store_doc(Status=None)],
              "error", None, [(LAKE, "unknown")]),
]


@pytest.mark.parametrize("case", ROWS_CASES)
def test_store_rows_are_kept_apart_from_trail_rows(case: RowsCase) -> None:
    finding = only_finding(estate({ACCOUNT: [KMS_GAP_TRAIL]}, {ACCOUNT: case.stores}), [DISABLE_KEY], *case.params)
    assert finding.status == case.status, finding.message
    trails = finding.evidence.get("trails")
    assert (None if trails is None else [row["arn"] for row in trails]) == case.trails
    stores = finding.evidence.get("event_data_stores")
    assert (None if stores is None else [(row["arn"], row["decision"]) for row in stores]) == case.event_data_stores


def test_an_undecided_store_explains_the_error() -> None:
    finding = only_finding(estate({ACCOUNT: [KMS_GAP_TRAIL]}, {ACCOUNT: [store_doc(Status=None)]}), [DISABLE_KEY])
    assert finding.message.startswith("Cannot tell whether 1 event would be recorded: ")
    assert finding.message.endswith(finding.evidence["event_data_stores"][0]["reason"])


# -- listing gaps: listed up to the limit, all counted ----------------------------------------------

class GapCase(NamedTuple):
    members: int
    regions: tuple[str, ...]
    organization: bool
    trail_error: bool
    listed: int
    total: int | None
    message: str


def gap_case(case_id: str, members: int, regions: tuple[str, ...], *, organization: bool = True,
             trail_error: bool = False, listed: int, total: int | None, message: str) -> Any:
    return pytest.param(GapCase(members, regions, organization, trail_error, listed, total, message), id=case_id)


HIDE = "collection errors hide trails or event data stores: "
THE_FIRST = f", the first {MAX_LISTED_ERRORS} in the evidence"
GAP_CASES = [
    gap_case("one-region-not-listed", 0, (REGION,), organization=False, listed=1, total=None,
             message=HIDE + "ListEventDataStores NotCollected"),
    gap_case("a-few-gaps-are-all-listed", 2, (REGION, "eu-west-1"), listed=6, total=None,
             message=HIDE + "ListEventDataStores NotCollected; 6 errors in all"),
    gap_case("an-organization-of-1000-accounts-in-17-regions", 999, SEVENTEEN_REGIONS,
             listed=MAX_LISTED_ERRORS, total=17_000,
             message=HIDE + "ListEventDataStores NotCollected; 17,000 errors in all" + THE_FIRST),
    gap_case("the-account-s-trail-error-comes-first", 999, SEVENTEEN_REGIONS, trail_error=True,
             listed=MAX_LISTED_ERRORS, total=17_001,
             message=HIDE + "DescribeTrails AccessDenied; ListEventDataStores NotCollected; 17,001 errors in all"
             + THE_FIRST),
]


def gap_estate(case: GapCase) -> Doc:
    """The management account, whose trail leaves KMS out, and ``members`` accounts, none of
    whose stores were listed in any of ``regions``."""
    accounts = [ACCOUNT, *(member(n) for n in range(case.members))]
    document = estate({a: [KMS_GAP_TRAIL] if a == ACCOUNT else [] for a in accounts}, {},
                      organization=case.organization)
    for entry in document["accounts"]:
        entry["regions"] = list(case.regions)
        entry["event_data_stores"] = {}
    if case.trail_error:
        document["accounts"][0]["errors"] = [{"region": REGION, "operation": "DescribeTrails", "code": "AccessDenied",
                                              "message": "not authorized to perform: cloudtrail:DescribeTrails"}]
    return document


@pytest.mark.parametrize("case", GAP_CASES)
def test_listing_gaps_are_listed_up_to_the_limit_and_counted(case: GapCase) -> None:
    """The trail leaves the key deletion out, but a store nobody listed may record it."""
    finding = only_finding(gap_estate(case), [DISABLE_KEY])
    assert finding.status == "error"
    assert finding.message == f"Cannot tell whether 1 event would be recorded: {case.message}"
    assert "trails" not in finding.evidence, "the trail decided; an error is not a trail's row"
    listed = finding.evidence["collection_errors"]
    assert len(listed) == case.listed
    assert finding.evidence.get("collection_errors_total") == case.total
    assert (listed[0]["operation"] == "DescribeTrails") is case.trail_error
    assert all(entry["operation"] == "ListEventDataStores" for entry in listed[case.trail_error:])
    assert all("account " in entry["message"] for entry in listed[case.trail_error:]), "each gap names its account"


def test_the_gaps_of_an_account_and_region_are_shown_once_for_all_its_records(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Records of one (account, region) share the same gaps: they are turned into evidence once,
    the listed ones only, however many records and errors there are."""
    case = GapCase(999, SEVENTEEN_REGIONS, True, False, MAX_LISTED_ERRORS, 17_000, "")
    shown = 0
    to_dict = CollectionError.to_dict

    def counting(error: CollectionError) -> dict[str, Any]:
        nonlocal shown
        shown += 1
        return to_dict(error)

    monkeypatch.setattr(CollectionError, "to_dict", counting)
    records = [record("kms.amazonaws.com", name, False, eventID=f"{name}-{n}")
               for n in range(50) for name in ("DisableKey", "ScheduleKeyDeletion")]
    evaluator = EventEvaluator([unlogged_events()], parsed(gap_estate(case)))
    tally = evaluator.new_tally()
    evaluator.feed(records, tally)
    findings = evaluator.findings(tally)
    assert [(f.status, f.resource) for f in findings] == [
        ("error", "eventSource=kms.amazonaws.com, eventName=DisableKey"),
        ("error", "eventSource=kms.amazonaws.com, eventName=ScheduleKeyDeletion")]
    assert all(f.evidence["count"] == 50 and f.evidence["collection_errors_total"] == 17_000 for f in findings)
    assert shown == MAX_LISTED_ERRORS
