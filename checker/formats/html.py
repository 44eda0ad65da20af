"""HTML output (``findings.html``): one self-contained page an auditor can open offline.

Everything is inline (CSS, a little JS, no fonts, images or network; a Content Security
Policy forbids loading anything), so the file can be attached to an audit ticket as is.
The page shows the summary by status, severity, framework and account, an account x
region coverage grid, the optional framework, baseline and waiver sections, the rules, and
every finding with its evidence. The JS only filters the findings table; without it all
rows show. All values from the report pass through :func:`escape` — trail names, messages
and evidence come from the audited accounts — and only this module's own helpers produce
markup (typed :data:`Markup`), so forgetting to escape shows up in review and in mypy.
"""

from __future__ import annotations

import html
import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, NewType

from checker import __version__
from checker.findings import SEVERITIES, STATUSES, Finding, Report, severity_rank, status_rank, worst_status
from checker.formats.common import RuleInfo, framework_refs, rule_catalogue
from checker.report.frameworks import natural_key

Markup = NewType("Markup", str)


def escape(value: object) -> Markup:
    """Text as HTML (quotes too, so it is safe in attributes); None is empty."""
    return Markup(html.escape("" if value is None else str(value), quote=True))


def _join(parts: Iterable[str]) -> Markup:
    return Markup("".join(parts))


def _badge(value: object) -> Markup:
    """A coloured pill for a status or severity (the CSS has one class per value)."""
    return Markup(f'<span class="badge k-{escape(value)}">{escape(value)}</span>')


def _num(count: int) -> Markup:
    css = "num" if count else "num zero"
    return Markup(f'<td class="{css}">{count}</td>')


def _table(headers: Sequence[str], rows: Iterable[Sequence[Markup]], css: str = "") -> Markup:
    """Cells are markup already (escaped values or badges), wrapped in ``<td>`` unless they
    are a ``<td ...>`` element themselves (escaped text never starts with ``<``)."""
    head = _join(f'<th class="num">{escape(h)}</th>' if h in STATUSES else f"<th>{escape(h)}</th>"
                 for h in headers)
    body = _join(
        "<tr>" + _join(c if c.startswith("<td") else f"<td>{c}</td>" for c in row) + "</tr>"
        for row in rows)
    return Markup(f'<div class="scroll"><table class="{css}"><thead><tr>{head}</tr></thead>'
                  f"<tbody>{body}</tbody></table></div>")


def _section(anchor: str, title: str, body: str) -> Markup:
    return Markup(f'<section id="{anchor}"><h2>{escape(title)}</h2>{body}</section>')


def _status_counts(findings: Iterable[Finding]) -> Counter[str]:
    return Counter(f.status for f in findings)


def _is_region_scope(finding: Finding, rule: RuleInfo) -> bool:
    """Region-scope rules by their declared scope; a rule with no declared scope (a report
    read back without ``extra["rules"]``) counts when its finding has a region and no resource."""
    if rule.scope is not None:
        return rule.scope == "region"
    return finding.region is not None and finding.resource is None


def _header(report: Report) -> Markup:
    snapshot = report.inputs.get("snapshot") or {}
    events = report.inputs.get("events") or {}
    policies = report.inputs.get("policies") or []
    facts: list[tuple[str, object]] = [("Generated", report.generated_at), ("trailcheck", __version__)]
    if snapshot:
        facts += [("Snapshot", snapshot.get("path")), ("Collected", snapshot.get("collected_at")),
                  ("Snapshot sha256", snapshot.get("sha256"))]
    if events:
        facts.append(("Events read", f"{events.get('read', 0)} (skipped {events.get('skipped', 0)})"))
        facts += [("Event source", source) for source in events.get("sources") or []]
    facts += [("Policy file", f"{p.get('path')}  sha256 {p.get('sha256')}") for p in policies]
    rows = _join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in facts if v)
    return Markup(f'<header><h1>trailcheck compliance report</h1><dl class="facts">{rows}</dl></header>')


def _nav(report: Report) -> Markup:
    links = [("summary", "Summary"), ("coverage", "Coverage")]
    links += [(key, label) for key, label in (("framework", "Framework"), ("baseline", "Baseline"),
                                              ("waivers", "Waivers")) if report.extra.get(key)]
    links += [("findings", "Findings"), ("rules", "Rules")]
    return _join(['<nav>', *(f'<a href="#{a}">{escape(t)}</a>' for a, t in links), "</nav>"])


def _cards(counts: dict[str, int], order: Sequence[str], caption: str) -> Markup:
    cards = _join(f'<div class="card k-{escape(key)}"><div class="n">{counts.get(key, 0)}</div>'
                  f'<div class="l">{escape(key)}</div></div>' for key in order)
    return Markup(f'<div class="group"><h3>{escape(caption)}</h3><div class="cards">{cards}</div></div>')


def _by_framework(findings: list[Finding]) -> Markup:
    members: dict[str, list[Finding]] = defaultdict(list)
    failing: dict[str, set[str]] = defaultdict(set)
    for finding in findings:
        for framework, controls in finding.frameworks.items():
            members[framework].append(finding)
            if finding.status == "fail":
                failing[framework].update(controls)
    if not members:
        return Markup('<p class="muted">No framework references in these findings.</p>')
    rows = []
    for framework in sorted(members):
        counts = _status_counts(members[framework])
        rows.append([Markup(f'<td class="nw">{escape(framework)}</td>'), *[_num(counts[s]) for s in STATUSES],
                     _controls(sorted(failing[framework], key=natural_key))])
    return _table(["Framework", *STATUSES, "Failing controls"], rows)


def _controls(controls: Sequence[str]) -> Markup:
    """Controls as unbreakable chips, so ``AC-6(9)`` never wraps at its hyphen."""
    return _join(", ".join(f'<span class="nw">{escape(c)}</span>' for c in controls) or escape("—"))


def _by_account(findings: list[Finding]) -> Markup:
    members: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        members[finding.account_id or "—"].append(finding)
    rows = []
    for account in sorted(members):
        counts = _status_counts(members[account])
        failing = sorted((f.severity for f in members[account] if f.status == "fail"), key=severity_rank)
        rows.append([escape(account), *[_num(counts[s]) for s in STATUSES],
                     _badge(failing[0]) if failing else escape("—")])
    return _table(["Account", *STATUSES, "Worst failing"], rows)


def _summary(report: Report) -> Markup:
    summary = report.summary()
    findings = report.sorted_findings()
    body = (
        '<div class="split">'
        + _cards(summary["by_status"], STATUSES, "Findings by status")
        + _cards(summary["by_severity"], SEVERITIES, "Failing and error findings by severity")
        + "</div>"
        + '<div class="split"><div class="group"><h3>By framework</h3>' + _by_framework(findings)
        + '</div><div class="group"><h3>By account</h3>' + _by_account(findings) + "</div></div>"
    )
    return _section("summary", "Summary", body)


def _coverage(report: Report, catalogue: dict[str, RuleInfo]) -> Markup:
    cells: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for finding in report.sorted_findings():
        if finding.account_id and finding.region and _is_region_scope(finding, catalogue[finding.rule_id]):
            cells[(finding.account_id, finding.region)].append(finding)
    if not cells:
        return _section("coverage", "Coverage by account and region",
                        '<p class="muted">No region-scope findings in this report.</p>')
    accounts = sorted({account for account, _ in cells})
    regions = sorted({region for _, region in cells})
    rows = []
    for account in accounts:
        row = [escape(account)]
        for region in regions:
            members = cells.get((account, region), [])
            counts = _status_counts(members)
            worst = worst_status(f.status for f in members) or "none"
            tip = [f"{account} / {region}"]
            tip += [f"{status}: " + ", ".join(sorted({f.rule_id for f in members if f.status == status}))
                    for status in ("fail", "error") if counts[status]]
            label = _join(f"<span>{counts[s]} {escape(s)}</span>" for s in STATUSES if counts[s])
            row.append(Markup(f'<td class="cell k-{escape(worst)}" title="{escape(chr(10).join(tip))}">'
                              f"{label or escape('—')}</td>"))
        rows.append(row)
    legend = _join(f'<span class="legend k-{s}">{s}</span>' for s in STATUSES)
    intro = ('<p class="muted">Region-scope rules only. Each cell takes the colour of its worst '
             f'status; hover a cell for the failing rules.</p><div class="legends">{legend}</div>')
    return _section("coverage", "Coverage by account and region",
                    intro + _table(["Account", *regions], rows, "grid"))


def _framework(framework: dict[str, Any]) -> Markup:
    rows = []
    for control in framework.get("controls") or []:
        counts = control.get("counts") or {}
        rows.append([escape(control.get("control")), _badge(control.get("status")),
                     escape(", ".join(control.get("rules") or [])),
                     *[_num(int(counts.get(s, 0))) for s in STATUSES]])
    return _section("framework", f"Framework {framework.get('id', '')}: control by control",
                    _table(["Control", "Status", "Rules", *STATUSES], rows))


def _change_rows(entries: Sequence[dict[str, Any]]) -> list[list[Markup]]:
    """Baseline entries: finding dicts, with ``was``/``now`` statuses when the diff gives them."""
    pairs = sorted(((Finding.from_dict(e), e) for e in entries), key=lambda pair: pair[0].sort_key())
    rows = []
    for f, entry in pairs:
        was = f' <span class="muted">was {escape(entry["was"])}</span>' if entry.get("was") else ""
        rows.append([Markup(f"<td class=\"nw\">{_badge(entry.get('now') or f.status)}{was}</td>"),
                     _badge(f.severity), escape(f.rule_id), escape(f.account_id), escape(f.region),
                     Markup(f'<td class="res">{escape(f.resource)}</td>'), escape(f.message)])
    return rows


def _baseline(baseline: dict[str, Any]) -> Markup:
    parts = [f'<p class="muted">Compared with {escape(baseline.get("path"))}.</p><div class="cards">']
    groups = (("new", "New", "fail"), ("resolved", "Resolved", "pass"), ("still_failing", "Still failing",
                                                                           "waived"))
    for key, label, colour in groups:
        parts.append(f'<div class="card k-{colour}"><div class="n">{len(baseline.get(key) or [])}</div>'
                     f'<div class="l">{escape(label)}</div></div>')
    parts.append("</div>")
    headers = ["Status", "Severity", "Rule", "Account", "Region", "Resource", "Message"]
    for key, label, _ in groups:
        entries = baseline.get(key) or []
        if entries:
            parts.append(f"<h3>{escape(label)}</h3>" + _table(headers, _change_rows(entries)))
    return _section("baseline", "Changes since baseline", "".join(parts))


def _waivers(waivers: dict[str, Any]) -> Markup:
    parts = [f'<p class="muted">Waiver file {escape(waivers.get("path"))}.</p>']
    fields = ("rule_id", "account_id", "region", "resource", "reason", "owner", "expires", "source")
    for key, label in (("applied", "Applied"), ("expired", "Expired (ignored)"), ("unused", "Unused")):
        entries = waivers.get(key) or []
        parts.append(f"<h3>{escape(label)} ({len(entries)})</h3>")
        if entries:
            rows = [[*[escape(entry.get(name)) for name in fields], _num(len(entry.get("fingerprints") or []))]
                    for entry in entries]
            parts.append(_table(["Rule", "Account", "Region", "Resource", "Reason", "Owner", "Expires", "Source",
                                 "Findings"],
                                rows, f"waivers-{key}"))
    return _section("waivers", "Waivers", "".join(parts))


def _filters(findings: list[Finding]) -> Markup:
    """The filter form; hidden until the script runs, so without JS nothing pretends to work."""
    statuses = _status_counts(findings)
    severities: Counter[str] = Counter(f.severity for f in findings)
    boxes = []
    for name, order, counts in (("status", STATUSES, statuses), ("severity", SEVERITIES, severities)):
        boxes.append(f'<fieldset><legend>{name}</legend>' + _join(
            f'<label><input type="checkbox" name="{name}" value="{value}" checked> '
            f'{_badge(value)} <span class="muted">{counts[value]}</span></label>' for value in order)
            + "</fieldset>")
    return Markup('<form id="filters" hidden>' + "".join(boxes)
                  + '<fieldset><legend>search</legend><input type="search" name="q" '
                  'placeholder="rule, account, resource, message…"></fieldset>'
                  f'<p class="muted"><span id="shown">{len(findings)}</span> of {len(findings)} shown</p>'
                  "</form>")


def _details(finding: Finding) -> Markup:
    evidence = json.dumps(finding.evidence, indent=2, sort_keys=True, ensure_ascii=False, default=str)
    refs = ", ".join(framework_refs(finding.frameworks)) or "—"
    return Markup(
        f"<details><summary>evidence</summary>"
        f"<p><b>Remediation:</b> {escape(finding.remediation or '—')}</p>"
        f"<p><b>Frameworks:</b> {escape(refs)}</p>"
        f'<p><b>Fingerprint:</b> <code>{escape(finding.fingerprint)}</code></p>'
        f"<pre>{escape(evidence)}</pre></details>")


def _findings(report: Report) -> Markup:
    findings = sorted(report.findings, key=lambda f: (status_rank(f.status), severity_rank(f.severity),
                                                       f.sort_key()))
    rows = []
    for f in findings:
        rows.append(
            f'<tr data-status="{escape(f.status)}" data-severity="{escape(f.severity)}">'
            f"<td>{_badge(f.status)}</td><td>{_badge(f.severity)}</td>"
            f'<td><code>{escape(f.rule_id)}</code><div class="muted">{escape(f.title)}</div></td>'
            f'<td class="nw">{escape(f.account_id)}</td><td class="nw">{escape(f.region)}</td>'
            f'<td class="res">{escape(f.resource)}</td><td>{escape(f.message)}</td>'
            f"<td>{_details(f)}</td></tr>")
    headers = _join(f"<th>{h}</th>" for h in ("Status", "Severity", "Rule", "Account", "Region",
                                               "Resource", "Message", "Details"))
    table = (f'<div class="scroll"><table id="findings-table"><thead><tr>{headers}</tr></thead>'
             f'<tbody>{"".join(rows)}</tbody></table></div>')
    return _section("findings", f"Findings ({len(findings)})", _filters(findings) + table)


def _rules(catalogue: dict[str, RuleInfo]) -> Markup:
    rows = [[Markup(f"<td><code>{escape(r.id)}</code></td>"), _badge(r.severity), escape(r.scope or "—"),
             Markup(f"<td>{escape(r.title)}" + (f'<div class="muted">{escape(r.description)}</div>'
                                                if r.description != r.title else "") + "</td>"),
             escape(", ".join(framework_refs(r.frameworks)) or "—"), escape(r.source or "—")]
            for r in catalogue.values()]
    body = ("<details><summary>Show the rules in this report</summary>"
            + _table(["Rule", "Severity", "Scope", "Title", "Frameworks", "Source"], rows) + "</details>")
    return _section("rules", f"Rules ({len(catalogue)})", body)


_STYLE = """
:root{--fg:#1f2328;--muted:#656d76;--line:#d0d7de;--soft:#eaeef2;--bg:#f6f8fa;
--pass:#1a7f37;--fail:#cf222e;--error:#8250df;--waived:#9a6700;--skipped:#6e7781;--none:#8c959f;
--critical:#82071e;--high:#cf222e;--medium:#bc4c00;--low:#0969da;--info:#6e7781}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);
font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
header{background:#24292f;color:#fff;padding:20px 32px 14px}
header h1{margin:0 0 10px;font-size:22px;font-weight:600}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0;font-size:13px}
.facts dt{color:#afb8c1}.facts dd{margin:0;word-break:break-all}
nav{position:sticky;top:0;z-index:2;background:#fff;border-bottom:1px solid var(--line);padding:8px 32px}
nav a{color:var(--low);text-decoration:none;margin-right:18px;font-weight:500}
main{max-width:1400px;margin:0 auto;padding:8px 24px 40px}
section{background:#fff;border:1px solid var(--line);border-radius:8px;padding:16px 20px;margin:16px 0}
h2{margin:0 0 12px;font-size:18px}h3{margin:14px 0 8px;font-size:14px;color:var(--muted)}
.split{display:flex;gap:24px;flex-wrap:wrap}.split>.group{flex:1 1 420px;min-width:0}
.cards{display:flex;gap:10px;flex-wrap:wrap}
.card{flex:1 1 96px;border:1px solid var(--line);border-top:4px solid var(--c);border-radius:6px;
padding:8px 12px;background:#fff}
.card .n{font-size:26px;font-weight:600;color:var(--c);font-variant-numeric:tabular-nums}
.card .l{font-size:12px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted)}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:6px 8px;border-bottom:1px solid var(--soft);text-align:left;vertical-align:top}
th{background:var(--bg);font-size:12px;font-weight:600;color:var(--muted);white-space:nowrap}
th.num,td.num{text-align:right;font-variant-numeric:tabular-nums}td.zero{color:#afb8c1}
.nw,details summary{white-space:nowrap}
td.res{word-break:break-all;max-width:320px;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;
font-size:12px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
.muted{color:var(--muted);font-size:12px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:11px;font-weight:600;
color:#fff;background:var(--c);white-space:nowrap}
.k-pass{--c:var(--pass);--t:#dafbe1}.k-fail{--c:var(--fail);--t:#ffebe9}
.k-error{--c:var(--error);--t:#fbefff}.k-waived{--c:var(--waived);--t:#fff8c5}
.k-skipped,.k-not-evaluated,.k-absent,.k-none{--c:var(--skipped);--t:#f6f8fa}
.k-critical{--c:var(--critical)}.k-high{--c:var(--high)}.k-medium{--c:var(--medium)}
.k-low{--c:var(--low)}.k-info{--c:var(--info)}
table.grid{width:auto}table.grid td{white-space:nowrap;vertical-align:middle}
table.grid td.cell{background:var(--t);border:2px solid #fff;border-left:4px solid var(--c);
text-align:center;min-width:132px;cursor:help;font-size:12px}
table.grid td.cell span{display:block}
table.grid td.cell span:first-child{font-weight:600;color:var(--c)}
.legends{margin:0 0 8px}.legend{display:inline-block;margin-right:12px;padding-left:8px;
border-left:4px solid var(--c);background:var(--t);font-size:12px;padding-right:8px}
form#filters{display:flex;gap:12px;flex-wrap:wrap;align-items:flex-start;margin-bottom:10px}
fieldset{border:1px solid var(--line);border-radius:6px;padding:4px 10px 8px}
legend{font-size:12px;color:var(--muted);padding:0 4px}
fieldset label{margin-right:10px;white-space:nowrap}
input[type=search]{width:260px;padding:4px 6px;border:1px solid var(--line);border-radius:4px}
details summary{cursor:pointer;color:var(--low)}
details p{margin:4px 0}
pre{background:var(--bg);border:1px solid var(--soft);border-radius:6px;padding:8px;max-width:560px;
max-height:360px;overflow:auto;font-size:12px;white-space:pre-wrap;word-break:break-all}
tr[hidden]{display:none}
footer{color:var(--muted);font-size:12px;text-align:center;padding:12px}
"""

_SCRIPT = """
(function () {
  var form = document.getElementById('filters');
  if (!form) { return; }
  form.hidden = false;
  var rows = document.querySelectorAll('#findings-table tbody tr');
  function checked(name) {
    var on = {};
    form.querySelectorAll('input[name=' + name + ']').forEach(function (box) { on[box.value] = box.checked; });
    return on;
  }
  function apply() {
    var status = checked('status'), severity = checked('severity');
    var text = form.querySelector('input[name=q]').value.toLowerCase();
    var shown = 0;
    rows.forEach(function (row) {
      var ok = status[row.dataset.status] !== false && severity[row.dataset.severity] !== false &&
        (!text || row.textContent.toLowerCase().indexOf(text) >= 0);
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    document.getElementById('shown').textContent = shown;
  }
  form.addEventListener('input', apply);
  form.addEventListener('change', apply);
  form.addEventListener('submit', function (event) { event.preventDefault(); });
})();
"""

_CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'"


def render_html(report: Report) -> str:
    """The whole page; deterministic for the same report."""
    catalogue = rule_catalogue(report)
    sections = [_summary(report), _coverage(report, catalogue)]
    if report.extra.get("framework"):
        sections.append(_framework(report.extra["framework"]))
    if report.extra.get("baseline"):
        sections.append(_baseline(report.extra["baseline"]))
    if report.extra.get("waivers"):
        sections.append(_waivers(report.extra["waivers"]))
    sections += [_findings(report), _rules(catalogue)]
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>trailcheck report {escape(report.generated_at)}</title><style>{_STYLE}</style></head>\n"
        f"<body>{_header(report)}{_nav(report)}<main>{''.join(sections)}</main>"
        f"<footer>trailcheck {escape(__version__)} · findings format trailcheck.findings/v1</footer>"
        f"<script>{_SCRIPT}</script></body></html>\n"
    )


class HtmlFormat:
    """``--format html`` -> ``findings.html``."""

    name: str = "html"
    filename: str | None = "findings.html"

    def render(self, report: Report) -> str:
        return render_html(report)


FORMAT = HtmlFormat()
