"""Waiver files: loading with line-accurate errors, and what waiving does to findings."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from checker.errors import InputError
from checker.findings import Finding, Status
from checker.report.waivers import Waiver, WaiverFile, apply_waivers, load_waivers
from tests.helpers.data import EXAMPLES

TODAY = date(2026, 11, 20)
PROD_TRAIL = "arn:aws:cloudtrail:eu-west-1:222222222222:trail/prod-audit"


def finding(rule_id: str = "kms-exclusion-gap", status: Status = "fail", account_id: str | None = "222222222222",
            region: str | None = "eu-west-1", resource: str | None = None) -> Finding:
    return Finding(rule_id=rule_id, severity="high", status=status, account_id=account_id,
                   region=region, resource=resource, message="m", evidence={"trails": []})


def waiver(rule_id: str = "kms-exclusion-gap", expires: date = date(2027, 1, 31), line: int = 2, *,
           account_id: str | None = None, region: str | None = None, resource: str | None = None) -> Waiver:
    return Waiver(rule_id=rule_id, reason="accepted", owner="secops", expires=expires, source=f"w.yaml:{line}",
                  account_id=account_id, region=region, resource=resource)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "waivers.yaml"
    path.write_text(text, encoding="utf-8")
    return path


# Loading -------------------------------------------------------------------------------------

def test_load_reads_every_field_and_keeps_file_order(tmp_path: Path) -> None:
    path = write(tmp_path, """\
waivers:
  - rule_id: kms-exclusion-gap
    account_id: "222222222222"
    region: eu-west-1
    reason: KMS is not used here
    owner: secops
    expires: 2027-01-31
  - {rule_id: trail-logging, resource: "arn:aws:cloudtrail:us-east-1:1:trail/x", reason: r, owner: o,
     expires: "2026-12-01"}
""")
    loaded = load_waivers(path)
    assert loaded.path == str(path)
    first, second = loaded.waivers
    assert (first.rule_id, first.account_id, first.region, first.resource) == (
        "kms-exclusion-gap", "222222222222", "eu-west-1", None)
    assert first.expires == date(2027, 1, 31)
    assert first.source == f"{path}:2"
    assert second.expires == date(2026, 12, 1)
    assert second.source == f"{path}:8"


def test_empty_waiver_list_is_valid(tmp_path: Path) -> None:
    assert load_waivers(write(tmp_path, "waivers: []\n")).waivers == ()


@pytest.mark.parametrize(("text", "line", "problem"), [
    pytest.param("waivers:\n  - rule_id: a\n    owner: o\n    expires: 2027-01-01\n", 2, "'reason' is a required",
                 id="missing-reason"),
    pytest.param("waivers:\n  - rule_id: a\n    reason: r\n    owner: o\n", 2, "'expires' is a required",
                 id="missing-expires"),
    pytest.param("waivers:\n  - rule_id: a\n    reason: ''\n    owner: o\n    expires: 2027-01-01\n", 3,
                 "reason", id="empty-reason"),
    pytest.param("waivers:\n  - rule_id: a\n    reason: r\n    owner: '   '\n    expires: 2027-01-01\n", 2,
                 "owner: must not be blank", id="blank-owner"),
    pytest.param("waivers:\n  - rule_id: a\n    reason: r\n    owner: o\n    expires: 31/01/2027\n", 5,
                 "YYYY-MM-DD", id="date-format"),
    pytest.param("waivers:\n  - rule_id: a\n    reason: r\n    owner: o\n    expires: 2027-02-30\n", 2,
                 "not a calendar date", id="impossible-date"),
    pytest.param("waivers:\n  - rule_id: a\n    reason: r\n    owner: o\n    expires: 2027-01-01\n"
                 "  - rule_id: b\n    acount_id: '222222222222'\n    reason: r\n    owner: o\n"
                 "    expires: 2027-01-01\n",
                 6, "'acount_id' was unexpected", id="typo-would-widen-the-waiver"),
    pytest.param("waivers:\n  - rule_id: a\n    account_id: 222222222222\n    reason: r\n    owner: o\n"
                 "    expires: 2027-01-01\n", 3, "quote the value", id="unquoted-account"),
    pytest.param("waivers:\n  - rule_id: a\n    account_id: '2222'\n    reason: r\n    owner: o\n"
                 "    expires: 2027-01-01\n", 3, "12-digit", id="short-account"),
    pytest.param("waivers:\n  - {rule_id: a, reason: r\n", 3, "invalid YAML", id="yaml-syntax"),
    pytest.param("- rule_id: a\n", 1, "is not of type 'object'", id="top-level-list"),
    pytest.param("waiver: []\n", 1, "'waivers' is a required", id="wrong-top-key"),
])
def test_invalid_file_names_file_line_and_problem(tmp_path: Path, text: str, line: int, problem: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(InputError) as raised:
        load_waivers(path)
    assert raised.value.where == f"{path}:{line}"
    assert problem in raised.value.what
    assert "\n" not in str(raised.value)


def test_empty_and_missing_files_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="empty"):
        load_waivers(write(tmp_path, "# nothing yet\n"))
    with pytest.raises(InputError, match="cannot read"):
        load_waivers(tmp_path / "absent.yaml")


# Applying ------------------------------------------------------------------------------------

def test_matching_fail_becomes_waived_with_the_waiver_as_evidence() -> None:
    original = finding()
    (waived,), _ = apply_waivers([original], WaiverFile("w.yaml", (waiver(account_id="222222222222"),)), TODAY)
    assert waived.status == "waived"
    assert waived.evidence["trails"] == []
    assert waived.evidence["waiver"]["owner"] == "secops"
    assert waived.evidence["waiver"]["expires"] == "2027-01-31"
    assert waived.fingerprint == original.fingerprint
    assert original.status == "fail"  # the caller's findings are not modified


def test_errors_and_passes_are_never_waived() -> None:
    findings = [finding(status="error"), finding(status="pass", region="us-east-1")]
    after, section = apply_waivers(findings, WaiverFile("w.yaml", (waiver(),)), TODAY)
    assert [f.status for f in after] == ["error", "pass"]
    assert [w.rule_id for w in section.unused] == ["kms-exclusion-gap"]


@pytest.mark.parametrize(("pinned", "waived"), [
    (waiver(), True),
    (waiver(account_id="222222222222"), True),
    (waiver(account_id="333333333333"), False),
    (waiver(account_id="222222222222", region="eu-west-1"), True),
    (waiver(region="us-east-1"), False),
    (waiver(resource=PROD_TRAIL), False),
])
def test_every_given_field_must_match(pinned: Waiver, waived: bool) -> None:
    after, _ = apply_waivers([finding()], WaiverFile("w.yaml", (pinned,)), TODAY)
    assert (after[0].status == "waived") is waived


def test_other_rule_is_not_waived() -> None:
    after, _ = apply_waivers([finding(rule_id="trail-logging")], WaiverFile("w.yaml", (waiver(),)), TODAY)
    assert after[0].status == "fail"


def test_waiver_applies_through_its_expiry_day_and_not_after() -> None:
    waivers = WaiverFile("w.yaml", (waiver(expires=TODAY),))
    assert apply_waivers([finding()], waivers, TODAY)[0][0].status == "waived"
    after, section = apply_waivers([finding()], waivers, date(2026, 11, 21))
    assert after[0].status == "fail"
    assert [use.waiver.expires for use in section.expired] == [TODAY]
    assert section.expired[0].fingerprints == (finding().fingerprint,)


def test_report_section_lists_applied_expired_and_unused() -> None:
    findings = [finding(), finding(region="us-east-1"), finding(rule_id="trail-logging", resource=PROD_TRAIL)]
    waivers = WaiverFile("w.yaml", (
        waiver(line=2),                                         # applies to both kms findings
        waiver(line=8, region="eu-west-1"),                     # shadowed by the first: unused
        waiver(rule_id="trail-logging", expires=date(2026, 1, 1), line=14),
        waiver(rule_id="kms-encryption", line=20),
    ))
    section = apply_waivers(findings, waivers, TODAY)[1].to_dict()
    assert section["path"] == "w.yaml"
    assert [(w["source"], len(w["fingerprints"])) for w in section["applied"]] == [("w.yaml:2", 2)]
    assert [(w["rule_id"], w["fingerprints"]) for w in section["expired"]] == [
        ("trail-logging", [findings[2].fingerprint])]
    assert [w["source"] for w in section["unused"]] == ["w.yaml:8", "w.yaml:20"]
    assert json.loads(json.dumps(section)) == section  # plain JSON data, written into findings.json as is


def test_notice_for_expired_waiver_names_place_owner_and_date() -> None:
    waivers = WaiverFile("w.yaml", (waiver(expires=date(2026, 6, 30), line=33),))
    (notice,) = apply_waivers([finding()], waivers, TODAY)[1].notices()
    assert notice.startswith("w.yaml:33: ")
    assert "secops" in notice and "2026-06-30" in notice


# The demo file ---------------------------------------------------------------------------------

def test_example_waivers_load_and_one_has_expired() -> None:
    loaded = load_waivers(EXAMPLES / "waivers.yaml")
    expired = [w for w in loaded.waivers if w.is_expired(TODAY)]
    assert len(loaded.waivers) >= 3
    assert [w.rule_id for w in expired] == ["log-file-validation"]


def test_example_waivers_name_real_estate_identities() -> None:
    estate = json.loads((EXAMPLES / "estate.json").read_text(encoding="utf-8"))
    accounts = {a["account_id"]: a for a in estate["accounts"]}
    arns = {t["TrailARN"] for a in estate["accounts"] for t in a["trails"]}
    for w in load_waivers(EXAMPLES / "waivers.yaml").waivers:
        assert w.account_id in accounts, w.source
        assert w.region is None or w.region in accounts[w.account_id]["regions"], w.source
        assert w.resource is None or w.resource in arns, w.source


def test_two_identical_waivers_on_one_line_are_both_accounted_for(tmp_path: Path) -> None:
    entry = "{rule_id: kms-exclusion-gap, reason: r, owner: o, expires: 2027-01-31}"
    loaded = load_waivers(write(tmp_path, f"waivers: [{entry}, {entry}]\n"))
    _, section = apply_waivers([finding()], loaded, TODAY)
    assert (len(section.applied), len(section.unused)) == (1, 1)
