"""The HTML report: the data it packs is the report, and a real headless Chromium draws from
that data what an auditor needs to see, offline, with hostile values shown as text.

The browser tests skip without Chromium on a developer's machine; under CI (``CI`` set)
a missing Chromium fails them, so CI cannot pass without drawing the page.
"""

from __future__ import annotations

import base64
import hashlib
import re
import struct
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from checker.alerting.chain_model import Chain, Link
from checker.findings import Finding, Location, RuleInfo, Status
from checker.formats import html
from checker.report.document import to_document
from checker.report.frameworks import framework_view
from checker.report.model import Report, Sections
from tests.helpers.chromium import DRAWN, Browser, dump_dom, screenshot
from tests.helpers.reports import (
    ALL_SECTIONS,
    CIS,
    CIS_DOC,
    HOSTILE,
    RULES,
    embedded_data,
    embedded_findings,
    finding,
    sample_findings,
    sample_report,
)

IMG = '<img src=x onerror="document.title=\'pwned\'">'
ON_CODE = Location("infra/logging/main.tf", 42)


# --- the packed data ----------------------------------------------------------------------------

def without_fingerprints(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{key: value for key, value in f.items() if key != "fingerprint"} for f in findings]


def test_the_page_packs_the_report_with_rules_once_and_findings_worst_first() -> None:
    report = sample_report(ALL_SECTIONS)
    page = html.FORMAT.render(report)
    data = embedded_data(page)
    document = to_document(report)
    findings = document.pop("findings")
    assert data["page"] == html.PAGE_FORMAT
    for use in document["waivers"]["applied"] + document["waivers"]["expired"]:
        use["findings"] = len(use.pop("fingerprints"))
    assert data["report"] == document
    key = ("rule_id", "account_id", "region", "resource")
    assert sorted(embedded_findings(page), key=lambda f: [str(f[k]) for k in key]) == sorted(
        without_fingerprints(findings), key=lambda f: [str(f[k]) for k in key])
    assert data["statuses"] == ["fail", "error", "waived", "pass", "skipped"]
    assert data["report"]["rules"]["kms-exclusion-gap"]["references"][0] == CIS_DOC
    assert [f["status"] for f in embedded_findings(page)] == [
        "fail", "fail", "fail", "error", "waived", "pass", "pass", "pass", "skipped"]  # worst first


def test_a_value_repeated_over_findings_is_written_once() -> None:
    many = [finding("kms-exclusion-gap", "high", "fail", f"{n:012d}", "eu-west-1", message="KMS not logged")
            for n in range(50)]
    table = embedded_data(html.FORMAT.render(sample_report(findings=many)))["findings"]
    assert table["count"] == 50
    assert table["values"].count("KMS not logged") == 1
    assert len(set(table["columns"]["message"])) == 1


def test_evidence_is_packed_in_chunks_in_the_order_of_the_findings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(html, "EVIDENCE_CHUNK", 4)
    page = html.FORMAT.render(sample_report())
    assert embedded_data(page)["evidence_chunk"] == 4
    assert page.count('id="evidence-') == 3  # nine findings, four per chunk
    found = embedded_findings(page)
    assert found[1]["evidence"] == {"trails": [{"arn": "arn:aws:cloudtrail:us-east-1:111111111111:trail/org",
                                                "decision": "excluded"}]}
    assert {"trail": HOSTILE} in [f["evidence"] for f in found]


def test_a_report_without_findings_has_empty_columns_and_no_evidence() -> None:
    page = html.FORMAT.render(sample_report(findings=[]))
    table = embedded_data(page)["findings"]
    assert table == {"count": 0, "values": [], "columns": {name: [] for name in html.FINDING_COLUMNS}}
    assert 'id="evidence-' not in page and embedded_findings(page) == []


def test_the_same_report_gives_the_same_bytes() -> None:
    assert html.FORMAT.render(sample_report(ALL_SECTIONS)) == html.FORMAT.render(sample_report(ALL_SECTIONS))


def test_nothing_in_the_data_can_end_its_element() -> None:
    text = f"</script>{HOSTILE}<!-- \u2028 \u2029 & {IMG}"
    hostile = finding("log-file-validation", "medium", "fail", "222222222222", "us-east-1", text, message=text,
                      evidence={"name": text})
    page = html.FORMAT.render(sample_report(findings=[hostile]))
    for element in re.findall(r'<script type="application/octet-stream" id="[a-z0-9-]+">(.*?)</script>', page):
        assert re.fullmatch(r"[A-Za-z0-9+/]*={0,2}", element)
    assert page.count("</script") == 3 and "<img" not in page
    assert embedded_findings(page)[0]["message"] == text
    assert embedded_findings(page)[0]["evidence"] == {"name": text}


def test_the_page_loads_nothing_and_runs_only_its_own_script_and_style() -> None:
    page = html.FORMAT.render(sample_report(ALL_SECTIONS))
    outside_data = re.sub(r'<script type="application/octet-stream" id="[a-z0-9-]+">.*?</script>', "", page,
                          flags=re.S)
    for external in ("src=", "<link", "@import", "url(", "http://", "https://"):
        assert external not in outside_data
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page)
    assert policy is not None
    script = outside_data.rsplit("<script>", 1)[1].split("</script>", 1)[0]
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert policy.group(1).startswith("default-src 'none'; ")
    assert f"script-src 'sha256-{digest}'" in policy.group(1) and "unsafe-inline" not in policy.group(1)


def test_a_finding_on_code_carries_its_file_and_line() -> None:
    on_code = finding("log-file-validation", "medium", "fail", "111111111111", "us-east-1",
                      "module.logging.aws_cloudtrail.org", location=ON_CODE)
    found = embedded_findings(html.FORMAT.render(sample_report(findings=[on_code, *sample_findings()])))
    assert [f["location"] for f in found if "location" in f] == [{"file": "infra/logging/main.tf", "line": 42}]


def test_coverage_grid_takes_the_worst_status_per_account_and_region() -> None:
    grid = embedded_data(html.FORMAT.render(sample_report()))["views"]["coverage"]
    assert (grid["accounts"], grid["regions"]) == (["111111111111", "222222222222"], ["eu-west-1", "us-east-1"])
    cells = {(c["account"], c["region"]): c for c in grid["cells"]}
    assert {key: c["status"] for key, c in cells.items()} == {
        ("111111111111", "eu-west-1"): "fail", ("111111111111", "us-east-1"): "pass",
        ("222222222222", "eu-west-1"): "error", ("222222222222", "us-east-1"): "waived"}
    assert cells[("111111111111", "eu-west-1")]["rules"] == {"fail": ["kms-exclusion-gap"], "error": []}
    assert cells[("222222222222", "us-east-1")]["counts"] == {"fail": 0, "error": 0, "waived": 1, "pass": 1,
                                                              "skipped": 0}


def test_summary_by_framework() -> None:
    views = embedded_data(html.FORMAT.render(sample_report()))["views"]
    cis = next(f for f in views["by_framework"] if f["framework"] == CIS)
    assert cis["failing_controls"] == ["3.1", "3.2", "4.5"]
    assert cis["counts"]["fail"] == 3


def test_account_by_rule_matrix_has_the_worst_status_per_cell_and_the_worst_rules_first() -> None:
    matrix = embedded_data(html.FORMAT.render(sample_report()))["views"]["matrix"]
    # fail before error before waived before pass before skipped; then severity, then id
    assert matrix["rules"] == ["cloudtrail-tampering", "kms-exclusion-gap", "log-file-validation",
                               "ssm-controlchannel-data-events", "kms-read-events-excluded", "insights-enabled"]
    rows = {r["account"]: r for r in matrix["rows"]}
    assert list(rows) == ["111111111111", "222222222222"]
    first, second = rows["111111111111"], rows["222222222222"]
    assert first["counts"] == {"fail": 2, "error": 0, "waived": 0, "pass": 1, "skipped": 1}
    assert (first["worst_failing"], second["worst_failing"]) == ("critical", "medium")
    assert first["cells"][1] == {"status": "fail", "counts": {"fail": 1, "pass": 1}}  # kms-exclusion-gap
    assert first["cells"][2] == {"status": "skipped", "counts": {"skipped": 1}}
    assert first["cells"][3] is None  # no ssm finding in 111
    assert [c and c["status"] for c in second["cells"]] == [None, "pass", "fail", "error", "waived", "pass"]


def test_units_of_no_account_have_a_row_of_their_own() -> None:
    nowhere = finding("insights-enabled", "low", "fail", None, None)
    rows = embedded_data(html.FORMAT.render(sample_report(findings=[nowhere, *sample_findings()])))["views"][
        "matrix"]["rows"]
    assert [r["account"] for r in rows] == [None, "111111111111", "222222222222"]


def test_optional_sections_are_in_the_data_only_when_the_run_has_them() -> None:
    plain = embedded_data(html.FORMAT.render(sample_report()))["report"]
    assert not {"waivers", "framework", "baseline"} & set(plain)
    full = embedded_data(html.FORMAT.render(sample_report(ALL_SECTIONS)))["report"]
    assert full["baseline"]["new"][0]["was"] == "absent"
    assert full["framework"]["controls"][2] == {"control": "3.9", "status": "not-evaluated", "rules": [],
                                                "counts": {"fail": 0, "error": 0, "waived": 0, "pass": 0,
                                                           "skipped": 0}}
    assert full["waivers"]["applied"][0]["findings"] == 2  # how many, not their fingerprints
    assert "fingerprints" not in full["waivers"]["applied"][0]


def region_control(statuses: tuple[Status, Status]) -> tuple[Report, dict[str, RuleInfo]]:
    """Two region rules of CIS 3.1, one finding each in the same (account, region)."""
    rules = {rule_id: RuleInfo(id=rule_id, title=rule_id, severity="high", scope="region",
                               frameworks={CIS: ("3.1",)}) for rule_id in ("kms-exclusion-gap", "kms-read-events")}
    findings = [finding(rule_id, "high", status, "111111111111", "eu-west-1")
                for rule_id, status in zip(rules, statuses, strict=True)]
    view = framework_view(CIS, rules.values(), findings)
    return sample_report(Sections(framework=view), findings=findings, rules=rules), rules


@pytest.mark.parametrize(("statuses", "worst"), [
    (("pass", "error"), "error"), (("error", "fail"), "fail"), (("waived", "pass"), "waived"),
    (("skipped", "pass"), "pass")])
def test_a_control_a_grid_cell_and_an_account_have_the_same_worst_status(statuses: tuple[Status, Status],
                                                                         worst: str) -> None:
    report, _ = region_control(statuses)
    data = embedded_data(html.FORMAT.render(report))
    assert data["report"]["framework"]["controls"][0]["status"] == worst
    assert data["views"]["coverage"]["cells"][0]["status"] == worst
    matrix = data["views"]["matrix"]
    assert matrix["rows"][0]["cells"][0]["status"] == worst  # the worst rule comes first


# --- the monitoring view ------------------------------------------------------------------------

ORG_TRAIL = "arn:aws:cloudtrail:us-east-1:111111111111:trail/org-trail"
LOG_GROUP = "arn:aws:logs:us-east-1:111111111111:log-group:org:*"
MONITORING_RULES: dict[str, RuleInfo] = {rule.id: rule for rule in [
    RuleInfo(id="monitor-cloudtrail-changes", title="CloudTrail changes raise an alert", severity="medium",
             scope="account", frameworks={"cis-aws-foundations-v1.4": ("4.5",), "cis-aws-foundations-v5.0": ("4.5",),
                                          "aws-security-hub": ("CloudWatch.5",)}),
    RuleInfo(id="monitor-security-group-changes", title="Security group changes raise an alert", severity="medium",
             scope="account", frameworks={"cis-aws-foundations-v5.0": ("4.10",)}),
    RuleInfo(id="ssm-session-notifications", title="Session Manager sessions raise an alert", severity="medium",
             scope="region"),
]}


def alert_evidence(*chains: Chain, missed: str | None = None) -> dict[str, Any]:
    """Evidence as the alerted requirement writes it: the reference and the chains link by link."""
    evidence: dict[str, Any] = {"reference": "{ ($.eventName = StopLogging) }", "via": ["metric-filter"],
                                "regions": ["us-east-1"], "chains": [chain.to_dict() for chain in chains]}
    if missed:
        evidence["not_alerted"] = [{"regions": ["us-east-1"], "records": [missed]}]
    return evidence


def metric_chain(alarm_ok: bool, alarm_reason: str = "fires on one matching event (Sum >= 1 in 1 period)") -> Chain:
    return Chain("metric-filter", (
        Link("trail", ORG_TRAIL, True, "records the events"), Link("log-group", LOG_GROUP, True, "1 metric filter(s)"),
        Link("metric-filter", "cis-4.5", True, "pattern { ($.eventName = StopLogging) }"),
        Link("alarm", "arn:aws:cloudwatch:us-east-1:111111111111:alarm:cis-4.5", alarm_ok, alarm_reason)))


def monitoring_findings(alarm_reason: str = "ActionsEnabled is false: the alarm notifies nobody") -> list[Finding]:
    """CIS 4.5 fails in 111 (a disabled alarm) and passes in 222; CIS 4.10 passes in 111; the
    Session Manager rule passes in one Region of 222 and errs in the other; a trail rule too."""
    broken = alert_evidence(metric_chain(False, alarm_reason), missed="eventName=StopLogging")
    working = alert_evidence(metric_chain(True))
    return [
        finding("monitor-cloudtrail-changes", "medium", "fail", "111111111111", None, evidence=broken),
        finding("monitor-cloudtrail-changes", "medium", "pass", "222222222222", None, evidence=working),
        finding("monitor-security-group-changes", "medium", "pass", "111111111111", None, evidence=working),
        finding("ssm-session-notifications", "medium", "pass", "222222222222", "eu-west-1", evidence=working),
        finding("ssm-session-notifications", "medium", "error", "222222222222", "us-east-1",
                message="topics were not collected", evidence=alert_evidence(Chain("eventbridge", (
                    Link("event-bus", "arn:aws:events:us-east-1:222222222222:event-bus/default", True, "1 rule(s)"),
                    Link("topic", "", None, "ListSubscriptionsByTopic was not collected"))))),
        finding("log-file-validation", "medium", "fail", "111111111111", "us-east-1", ORG_TRAIL),
    ]


def monitoring_report(alarm_reason: str = "ActionsEnabled is false: the alarm notifies nobody") -> Report:
    return sample_report(findings=monitoring_findings(alarm_reason), rules={**RULES, **MONITORING_RULES})


def test_monitoring_view_is_an_account_by_control_matrix_of_the_monitoring_rules() -> None:
    view = embedded_data(html.FORMAT.render(monitoring_report()))["views"]["monitoring"]
    assert [(c["rule"], c["control"], c["label"]) for c in view["rules"]] == [
        ("monitor-cloudtrail-changes", "4.5", "CIS 4.5"), ("monitor-security-group-changes", "4.10", "CIS 4.10"),
        ("ssm-session-notifications", None, "ssm-session-notifications")]
    assert view["accounts"] == ["111111111111", "222222222222"]
    cells = {(c["account"], c["rule"]): c for c in view["cells"]}
    assert {key: c["status"] for key, c in cells.items()} == {
        ("111111111111", "monitor-cloudtrail-changes"): "fail",
        ("111111111111", "monitor-security-group-changes"): "pass",
        ("222222222222", "monitor-cloudtrail-changes"): "pass",
        ("222222222222", "ssm-session-notifications"): "error"}  # the worst of its two Regions
    assert cells[("222222222222", "ssm-session-notifications")]["counts"]["pass"] == 1
    assert cells[("111111111111", "monitor-cloudtrail-changes")]["notes"] == [
        "fail: not alerted: eventName=StopLogging; first broken link: alarm cis-4.5: ActionsEnabled is false: "
        "the alarm notifies nobody"]
    assert cells[("222222222222", "ssm-session-notifications")]["notes"] == [
        "us-east-1 error: first broken link: topic: ListSubscriptionsByTopic was not collected"]
    assert cells[("222222222222", "monitor-cloudtrail-changes")]["notes"] == []


def test_a_report_without_monitoring_findings_has_an_empty_monitoring_view() -> None:
    view = embedded_data(html.FORMAT.render(sample_report()))["views"]["monitoring"]
    assert view == {"rules": [], "accounts": [], "cells": []}


# --- what Chromium draws ------------------------------------------------------------------------

class Dom(HTMLParser):
    """The elements of a dumped DOM (tag, attributes) and the text of each element with an id
    or a class, enough to check what a reader sees."""

    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.texts: list[str] = []
        self.in_data = False
        self.feed(markup)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        self.elements.append((tag, attributes))
        self.in_data = tag in ("script", "style")

    def handle_endtag(self, tag: str) -> None:
        self.in_data = False

    def handle_data(self, data: str) -> None:
        if not self.in_data:
            self.texts.append(data)

    def tags(self, tag: str) -> list[dict[str, str]]:
        return [attributes for name, attributes in self.elements if name == tag]

    @property
    def text(self) -> str:
        return "".join(self.texts)


def write_page(tmp_path: Path, report: Report) -> Path:
    page = tmp_path / "findings.html"
    page.write_text(html.FORMAT.render(report), encoding="utf-8")
    return page


def drawn(tmp_path: Path, report: Report) -> Dom:
    return Dom(dump_dom(tmp_path / "profile", write_page(tmp_path, report).as_uri()))


def browser_report() -> Report:
    """The sample report with its sections, a finding whose message and resource carry markup,
    and a finding on code."""
    hostile = finding("insights-enabled", "low", "fail", "333333333333", None, f"arn:aws:iam::3:role/{IMG}",
                      message=f"Insights off {IMG}", evidence={"role": IMG})
    on_code = finding("log-file-validation", "medium", "fail", "111111111111", "us-east-1",
                      "module.logging.aws_cloudtrail.org", message="validation off in code", location=ON_CODE)
    return sample_report(ALL_SECTIONS, findings=[*sample_findings(), hostile, on_code])


def test_chromium_draws_findings_sections_and_references_with_hostile_values_as_text(tmp_path: Path) -> None:
    report = browser_report()
    dom = drawn(tmp_path, report)
    text = dom.text
    assert "StopLogging by mallory" in text  # a failing finding's message
    assert f"Insights off {IMG}" in text and f"arn:aws:iam::3:role/{IMG}" in text
    assert f"Trail {HOSTILE} | has validation off" in text
    assert not dom.tags("img") and not dom.tags("iframe")
    assert [s for s in dom.tags("script") if "type" not in s] == [{}]  # our own script only
    rows = [attributes for attributes in dom.tags("tr") if "data-status" in attributes]
    assert len(rows) == len(report.findings)
    assert rows[0] == {"data-status": "fail", "data-severity": "critical"}
    for section in ("summary", "matrix", "coverage", "framework", "baseline", "waivers", "findings", "rules"):
        assert section in [s.get("id") for s in dom.tags("section")]
    links = [a["href"] for a in dom.tags("a") if not a["href"].startswith("#")]
    assert CIS_DOC in links  # references are links ...
    assert all(href.startswith("https://") for href in links)
    assert "javascript:alert(1)" in text  # ... but only http(s) ones: the rest stay text
    assert f"{len(report.findings)} shown of {len(report.findings)} matching" in text
    assert "Compared with reports/last-night.json." in text and "Applied (1)" in text
    assert "module.logging.aws_cloudtrail.orginfra/logging/main.tf:42" in text  # the resource, then its line


def test_chromium_shows_the_same_worst_status_for_a_control_and_its_grid_cell(tmp_path: Path) -> None:
    report, _ = region_control(("pass", "error"))
    dom = drawn(tmp_path, report)
    badges = [attributes["class"] for attributes in dom.tags("span") if "badge" in attributes.get("class", "")]
    assert "badge k-error" in badges  # the control's status in the framework table
    cells = [attributes for attributes in dom.tags("td") if attributes.get("class", "").startswith("cell")]
    assert [c["class"] for c in cells] == ["cell k-error", "cell k-pass",  # the matrix, worst rule first
                                           "cell k-error"]  # the grid
    assert cells[0]["title"] == "111111111111 / kms-read-events\n1 error"
    assert cells[2]["title"] == "111111111111 / eu-west-1\nerror: kms-read-events"


def test_chromium_draws_the_monitoring_view_with_the_broken_link_on_hover(tmp_path: Path) -> None:
    dom = drawn(tmp_path, monitoring_report(alarm_reason=f"ActionsEnabled is false {IMG}"))
    assert "monitoring" in [s.get("id") for s in dom.tags("section")]
    assert "#monitoring" in [a["href"] for a in dom.tags("a")]
    headers = [th for th in dom.tags("th") if th.get("class") == "control"]
    assert [th["title"] for th in headers] == [f"{rule.id}: {rule.title}" for rule in MONITORING_RULES.values()]
    assert "CIS 4.10" in dom.text and "ssm-session-notifications" in dom.text
    cells = [td for td in dom.tags("td") if "data-rule" in td]
    assert [(c["data-rule"], c["class"]) for c in cells] == [  # account 111, then 222
        ("monitor-cloudtrail-changes", "cell k-fail"), ("monitor-security-group-changes", "cell k-pass"),
        ("ssm-session-notifications", "cell k-none"), ("monitor-cloudtrail-changes", "cell k-pass"),
        ("monitor-security-group-changes", "cell k-none"), ("ssm-session-notifications", "cell k-error")]
    assert cells[0]["title"] == ("111111111111 / CIS 4.5 (monitor-cloudtrail-changes)\nfail\n"
                                 "fail: not alerted: eventName=StopLogging; first broken link: alarm cis-4.5: "
                                 f"ActionsEnabled is false {IMG}")
    assert not dom.tags("img")  # the hostile reason stays text
    assert "1 error, 1 pass" in dom.text  # a Region-scope cell counts its Regions, worst first


def test_chromium_leaves_out_the_monitoring_view_without_monitoring_findings(tmp_path: Path) -> None:
    dom = drawn(tmp_path, sample_report())
    assert "monitoring" not in [s.get("id") for s in dom.tags("section")]
    assert "#monitoring" not in [a["href"] for a in dom.tags("a")]


# Opens the first finding shown and resolves, once both have arrived, to its evidence (unpacked
# from its chunk) and its fingerprint (computed by the page).
OPEN_FIRST_FINDING = """new Promise((resolve) => {
  const box = document.querySelector('#findings-table details');
  box.open = true;
  const check = () => {
    const pre = box.querySelector('pre');
    const print = box.querySelector('code');
    if (pre && pre.textContent !== 'loading…' && print.textContent !== '…') {
      resolve({evidence: JSON.parse(pre.textContent), fingerprint: print.textContent});
    } else { setTimeout(check, 5); }
  };
  check();
})"""
SHOWN_ROWS = "Array.from(document.querySelectorAll('#findings-table tbody tr')).map((r) => r.dataset.status)"


def test_chromium_filters_findings_opens_evidence_and_computes_the_fingerprint(tmp_path: Path) -> None:
    """As a reader: click a matrix cell, tick a status off, choose an account, open a finding."""
    report = browser_report()
    page = write_page(tmp_path, report)
    with Browser(tmp_path / "profile") as browser:
        browser.open(page.as_uri())
        browser.evaluate(DRAWN)
        assert len(browser.evaluate(SHOWN_ROWS)) == len(report.findings)
        assert browser.evaluate("document.querySelector('table.waivers-applied tbody tr').lastChild.textContent") \
            == "2"  # the findings the waiver covers
        # the matrix cell of account 222 and log-file-validation: its one finding
        browser.evaluate("""(() => {
          const rules = Array.from(document.querySelectorAll('table.matrix th.rule')).map((th) => th.textContent);
          const line = document.querySelector('table.matrix tr[data-account="222222222222"]');
          line.cells[7 + rules.indexOf('log-file-validation')].click();
        })()""")
        assert browser.evaluate(SHOWN_ROWS) == ["fail"]
        assert browser.evaluate("document.querySelector('#findings-table tbody td.res').textContent") == \
            f"arn:aws:cloudtrail:us-east-1:222222222222:trail/{HOSTILE}"
        # back to all, then the passing findings of account 111 only
        browser.evaluate("""(() => {
          const form = document.getElementById('filters');
          form.reset();
          form.elements.namedItem('account_id').value = '111111111111';
          form.querySelectorAll('input[name=status]').forEach((box) => { box.checked = box.value === 'pass'; });
          form.dispatchEvent(new Event('change'));
        })()""")
        assert browser.evaluate(SHOWN_ROWS) == ["pass"]
        # open the hostile trail's finding: its evidence, unpacked on demand, and its fingerprint
        browser.evaluate("""(() => {
          const form = document.getElementById('filters');
          form.reset();
          form.elements.namedItem('q').value = 'has validation off';
          form.dispatchEvent(new Event('input'));
        })()""")
        opened = browser.evaluate(OPEN_FIRST_FINDING)
        hostile = next(f for f in report.findings if f.evidence == {"trail": HOSTILE})
        assert opened == {"evidence": {"trail": HOSTILE}, "fingerprint": hostile.fingerprint}
        assert browser.evaluate("document.title") == "trailcheck report 2024-05-01T12:00:00Z"


def test_chromium_computes_the_fingerprint_of_any_text_as_python_does(tmp_path: Path) -> None:
    odd = finding("log-file-validation", "medium", "fail", "222222222222", "eu-west-1",
                  "arn:aws:cloudtrail:eu-west-1:2:trail/ünïcødé \U0001f600 \x1f tab\tand\ud800", message="odd")
    page = write_page(tmp_path, sample_report(findings=[odd]))
    with Browser(tmp_path / "profile") as browser:
        browser.open(page.as_uri())
        browser.evaluate(DRAWN)
        shown = browser.evaluate(OPEN_FIRST_FINDING)
    assert shown["fingerprint"] == odd.fingerprint


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def estate_findings() -> list[Finding]:
    """The sample findings plus a 3-account x 4-region grid, so the coverage matrix has colour."""
    statuses: list[Status] = ["pass", "fail", "pass", "error", "pass", "waived", "pass", "pass", "fail", "pass",
                              "skipped", "pass"]
    grid = [finding("kms-exclusion-gap", "high", statuses[(a * 4 + r) % len(statuses)], account, region)
            for a, account in enumerate(("111111111111", "222222222222", "333333333333"))
            for r, region in enumerate(("ap-southeast-2", "eu-central-1", "eu-west-1", "us-east-1"))]
    unique = {f.fingerprint: f for f in [*sample_findings(), *grid]}
    return list(unique.values())


def test_chromium_renders_a_non_trivial_image_offline(tmp_path: Path) -> None:
    page = write_page(tmp_path, sample_report(ALL_SECTIONS, findings=estate_findings()))
    png = tmp_path / "findings.png"
    screenshot(tmp_path / "profile", page.as_uri(), png, (1400, 2000))
    data = png.read_bytes()
    assert png_size(data) == (1400, 2000)
    # A blank or error page compresses to a few KB; a rendered report with tables and colour does not.
    assert len(data) > 60_000
