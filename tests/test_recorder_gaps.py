"""What may hide an event data store, as a coverage finding shows it (docs/semantics.md,
"Event data stores as recorders", "Missing data").

Within an organization every scanned account's store listing gaps count for every account:
when the stores could not be listed in 1,000 accounts x 17 Regions, each finding would carry
17,000 collection errors. A finding lists the first ``MAX_LISTED_ERRORS`` and counts them all
(``collection_errors_total``); its message says how many. Each error names its account.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import pytest

from checker.recorders import MAX_LISTED_ERRORS
from tests.helpers.simulator_inputs import ACCOUNT, REGION, Doc
from tests.test_simulator_stores import KMS_GAP_TRAIL, coverage_finding, estate

OTHER_REGION = "eu-west-1"


def member(number: int) -> str:
    return f"{200_000_000_000 + number:012d}"


def denied(account: str, region: str) -> Doc:
    """ListEventDataStores refused, as AWS says it: the message names the caller's account."""
    return {"region": region, "operation": "ListEventDataStores", "code": "AccessDenied",
            "message": f"User: arn:aws:sts::{account}:assumed-role/audit/scan is not authorized to perform: "
                       "cloudtrail:ListEventDataStores"}


class GapRow(NamedTuple):
    members: int
    organization: bool
    denied: tuple[str, ...]
    unlisted: tuple[str, ...]
    listed: int
    total: int | None
    message: str


def gap_row(case_id: str, members: int, *, organization: bool = True, denied: tuple[str, ...] = (),
            unlisted: tuple[str, ...] = (), listed: int, total: int | None, message: str) -> Any:
    return pytest.param(GapRow(members, organization, denied, unlisted, listed, total, message), id=case_id)


HIDE = "collection errors hide trails or event data stores: "
GAP_CASES = [
    gap_row("one-refusal-is-listed-alone", 0, organization=False, denied=(OTHER_REGION,), listed=1, total=None,
            message=HIDE + "ListEventDataStores AccessDenied)"),
    gap_row("a-refused-region-is-one-error-not-two", 0, organization=False, denied=(OTHER_REGION,),
            unlisted=(OTHER_REGION,), listed=1, total=None, message=HIDE + "ListEventDataStores AccessDenied)"),
    gap_row("two-regions-not-listed-are-counted", 0, organization=False, unlisted=(REGION, OTHER_REGION), listed=2,
            total=None, message=HIDE + "ListEventDataStores NotCollected; 2 errors in all)"),
    gap_row("a-few-members-are-all-listed", 4, denied=(REGION, OTHER_REGION), unlisted=(REGION, OTHER_REGION),
            listed=10, total=None, message=HIDE + "ListEventDataStores AccessDenied; 10 errors in all)"),
    gap_row("an-organization-lists-the-first-and-counts-them-all", 150, denied=(REGION, OTHER_REGION),
            unlisted=(REGION, OTHER_REGION), listed=MAX_LISTED_ERRORS, total=302,
            message=HIDE + f"ListEventDataStores AccessDenied; 302 errors in all, the first {MAX_LISTED_ERRORS} "
                           "in the evidence)"),
    gap_row("not-listed-anywhere", 150, unlisted=(REGION, OTHER_REGION), listed=MAX_LISTED_ERRORS, total=302,
            message=HIDE + f"ListEventDataStores NotCollected; 302 errors in all, the first {MAX_LISTED_ERRORS} "
                           "in the evidence)"),
]


def gap_estate(case: GapRow) -> Doc:
    """The management account with a trail that leaves KMS out, and ``members`` accounts, each
    with the case's refused and unlisted Regions."""
    accounts = [ACCOUNT, *(member(n) for n in range(case.members))]
    document = estate({a: [KMS_GAP_TRAIL] if a == ACCOUNT else [] for a in accounts}, {},
                      organization=case.organization,
                      errors={a: [denied(a, region) for region in case.denied] for a in accounts})
    for entry in document["accounts"]:
        for region in case.unlisted:
            del entry["event_data_stores"][region]
    return document


@pytest.mark.parametrize("case", GAP_CASES)
def test_store_gaps_are_listed_up_to_the_limit_and_counted(case: GapRow) -> None:
    finding = coverage_finding(gap_estate(case))
    assert finding.status == "error"
    assert finding.message.endswith(case.message), finding.message
    listed = finding.evidence["collection_errors"]
    assert len(listed) == case.listed
    assert finding.evidence.get("collection_errors_total") == case.total
    assert all(entry["operation"] == "ListEventDataStores" for entry in listed)
    assert len({(entry["region"], entry["message"]) for entry in listed}) == len(listed), "each error once"
    assert all("account " in entry["message"] for entry in listed), "each error names its account"


def test_trail_errors_come_before_the_store_gaps() -> None:
    """The account's own trail errors, which a user fixes first, are never pushed out by the
    organization's store gaps."""
    case = GapRow(150, True, (), (REGION, OTHER_REGION), MAX_LISTED_ERRORS, 303, "")
    document = gap_estate(case)
    document["accounts"][0]["errors"].append({"region": REGION, "operation": "DescribeTrails",
                                              "code": "AccessDenied", "message": "no"})
    finding = coverage_finding(document)
    listed = finding.evidence["collection_errors"]
    assert listed[0]["operation"] == "DescribeTrails"
    assert (len(listed), finding.evidence["collection_errors_total"]) == (MAX_LISTED_ERRORS, 303)
    assert "DescribeTrails AccessDenied; ListEventDataStores NotCollected; 303 errors in all" in finding.message
