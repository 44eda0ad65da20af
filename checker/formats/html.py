"""HTML output (``findings.html``): one self-contained page an auditor can open offline.

The page is data plus a renderer. The report goes into the page as JSON (a
``<script type="application/json" id="report-data">`` element, see :func:`page_data`),
and a small inline script (``html_report.js``) draws it: the summary by status,
severity, framework and account, the account x region coverage grid, the account x
control matrix of the monitoring rules, the optional framework, baseline and waiver
sections, the findings (filterable, shown a page at a time) and the rules. The script
sets every value as text (``textContent``, text nodes, ``setAttribute`` on inert
attributes) and links only ``http(s)`` references, so trail names, messages and evidence
from the audited accounts stay text whatever they contain.

The data states each rule once and the findings as rows under a column list, so a later
page can load them in chunks; aggregates (the grid, the tables by framework and account)
are computed here, in the status order of :data:`checker.findings.STATUSES`, and the
script only draws them. Nothing is loaded from anywhere: a Content Security Policy allows
exactly this page's own style and script (by hash) and nothing else.
"""

from __future__ import annotations

import base64
import hashlib
import html
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from typing import Any

from checker import __version__, safejson
from checker.alerting.chain_model import Link
from checker.findings import FAILING, SEVERITIES, STATUSES, Finding, RuleInfo, Status, severity_rank, worst_status
from checker.report.document import FORMAT_V2, to_document
from checker.report.frameworks import natural_key
from checker.report.model import Report

PAGE_FORMAT = "trailcheck.html-data/v1"
FINDING_COLUMNS = ("rule_id", "severity", "status", "account_id", "region", "resource", "message", "evidence",
                   "fingerprint", "location")
# In a <script> element only "</script" (and "<!--") end or alter the text; escaping every
# "<", ">" and "&" as JSON \\u escapes rules that out. U+2028/U+2029 are escaped too, for
# readers that still treat them as line ends.
_SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                              "\u2028": "\\u2028", "\u2029": "\\u2029"})


def page_data(report: Report) -> dict[str, Any]:
    """What the page embeds: the v2 document without its findings, the findings as rows
    (worst first), and the aggregated views the page shows up front."""
    document = to_document(report)
    del document["findings"]
    findings = sorted(report.findings, key=Finding.worst_first_key)
    return {
        "page": PAGE_FORMAT,
        "statuses": list(STATUSES),
        "severities": list(SEVERITIES),
        "report": document,
        "findings": {"columns": list(FINDING_COLUMNS),
                     "rows": [_row(finding.to_dict()) for finding in findings]},
        "views": {"by_framework": _by_framework(report), "by_account": _by_account(report),
                  "coverage": _coverage(report), "monitoring": _monitoring(report)},
    }


def _row(finding: dict[str, Any]) -> list[Any]:
    return [finding.get(column) for column in FINDING_COLUMNS]


def script_json(data: Any) -> str:
    """JSON that can sit inside a ``<script>`` element: nothing in it can close the element."""
    return safejson.dumps(data, separators=(",", ":")).translate(_SCRIPT_SAFE)


def _counts(findings: Iterable[Finding]) -> dict[str, int]:
    counts = Counter(f.status for f in findings)
    return {status: counts[status] for status in STATUSES}


def _by_framework(report: Report) -> list[dict[str, Any]]:
    """Per framework: findings of its rules by status, and the controls with a failing finding."""
    members: dict[str, list[Finding]] = defaultdict(list)
    failing: dict[str, set[str]] = defaultdict(set)
    for finding in report.findings:
        for framework, controls in report.rule(finding).frameworks.items():
            members[framework].append(finding)
            if finding.status == "fail":
                failing[framework].update(controls)
    return [{"framework": framework, "counts": _counts(members[framework]),
             "failing_controls": sorted(failing[framework], key=natural_key)} for framework in sorted(members)]


def _by_account(report: Report) -> list[dict[str, Any]]:
    """Per account (None for organization-wide units): findings by status, the worst failing severity."""
    members: dict[str, list[Finding]] = defaultdict(list)
    for finding in report.findings:
        members[finding.account_id or ""].append(finding)
    rows = []
    for account in sorted(members):
        failing = sorted((f.severity for f in members[account] if f.status == "fail"), key=severity_rank)
        rows.append({"account": account or None, "counts": _counts(members[account]),
                     "worst_failing": failing[0] if failing else None})
    return rows


def _is_region_scope(finding: Finding, rule: RuleInfo) -> bool:
    """Region-scope rules by their declared scope; a rule with no declared scope (described
    from an old report's findings) counts when its finding has a region and no resource."""
    if rule.scope is not None:
        return rule.scope == "region"
    return finding.region is not None and finding.resource is None


def _coverage(report: Report) -> dict[str, Any]:
    """The account x region grid of region-scope findings: each cell's worst status, its
    counts, and the rules failing or in error there."""
    counts: dict[tuple[str, str], Counter[Status]] = defaultdict(Counter)
    failing: dict[tuple[str, str], dict[Status, set[str]]] = defaultdict(lambda: {s: set() for s in FAILING})
    for finding in report.findings:
        if finding.account_id and finding.region and _is_region_scope(finding, report.rule(finding)):
            cell = (finding.account_id, finding.region)
            counts[cell][finding.status] += 1
            if finding.status in FAILING:
                failing[cell][finding.status].add(finding.rule_id)
    return {
        "accounts": sorted({account for account, _ in counts}),
        "regions": sorted({region for _, region in counts}),
        "cells": [{"account": account, "region": region, "status": worst_status(present),
                   "counts": {status: present[status] for status in STATUSES},
                   "rules": {status: sorted(rule_ids) for status, rule_ids in failing[(account, region)].items()}}
                  for (account, region), present in sorted(counts.items())],
    }


MAX_CELL_NOTES = 3
MAX_NOTE_CHARS = 300
_CIS_PREFIX = "cis-aws-foundations-"


def _monitoring(report: Report) -> dict[str, Any]:
    """The account x control matrix of the monitoring rules: the rules whose findings carry alert
    chains as evidence (docs/semantics.md, "Monitoring chains"). A column is one rule, labelled with
    its CIS control where it has one; a cell is the worst status of the account's findings of that
    rule (over its Regions for a region-scope rule), with, for each failing or error finding, the
    first broken link of its chains (or its message when no chain is broken)."""
    monitored = {f.rule_id for f in report.findings if _alert_chains(f.evidence) is not None}
    members: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for finding in report.findings:
        if finding.rule_id in monitored and finding.account_id:
            members[(finding.account_id, finding.rule_id)].append(finding)
    columns = sorted((_monitoring_column(report.rules.get(rule_id), rule_id) for rule_id in monitored),
                     key=lambda c: (c["control"] is None, natural_key(c["control"] or ""), c["rule"]))
    return {
        "rules": columns,
        "accounts": sorted({account for account, _ in members}),
        "cells": [{"account": account, "rule": rule_id, "status": worst_status(f.status for f in found),
                   "counts": _counts(found), "notes": _cell_notes(found)}
                  for (account, rule_id), found in sorted(members.items())],
    }


def _monitoring_column(rule: RuleInfo | None, rule_id: str) -> dict[str, Any]:
    """``{"rule", "control", "label", "title"}``: the control of the latest CIS version that maps
    the rule (``4.10``), ``None`` for a rule outside CIS section 4."""
    frameworks = rule.frameworks if rule is not None else {}
    versions = sorted((name for name in frameworks if name.startswith(_CIS_PREFIX) and frameworks[name]),
                      key=natural_key)
    control = frameworks[versions[-1]][0] if versions else None
    return {"rule": rule_id, "control": control, "label": f"CIS {control}" if control else rule_id,
            "title": rule.title if rule is not None else rule_id}


def _cell_notes(found: list[Finding]) -> list[str]:
    """What a reader needs on hover: per failing or error finding (worst first), its Region, a
    record no chain alerts on and the first broken link (else the message), each note at most
    :data:`MAX_NOTE_CHARS` long; at most :data:`MAX_CELL_NOTES` notes and a count of the rest."""
    notes = []
    for finding in sorted((f for f in found if f.status in FAILING), key=Finding.worst_first_key):
        missed, link = _first_not_alerted(finding.evidence), _first_broken_link(finding.evidence)
        parts = ([f"not alerted: {missed}"] if missed else []) + ([f"first broken link: {link}"] if link else [])
        where = f"{finding.region} " if finding.region else ""
        note = f"{where}{finding.status}: " + ("; ".join(parts) or finding.message)
        notes.append(note if len(note) <= MAX_NOTE_CHARS else note[:MAX_NOTE_CHARS - 1] + "…")
    if len(notes) > MAX_CELL_NOTES:
        notes[MAX_CELL_NOTES:] = [f"and {len(notes) - MAX_CELL_NOTES} more"]
    return notes


def _alert_chains(evidence: Mapping[str, Any]) -> list[Mapping[str, Any]] | None:
    """The alert chains in a monitoring finding's evidence (``evidence.chains`` beside
    ``evidence.reference``, each chain with its ``links``: docs/semantics.md, "Monitoring
    chains"); ``None`` for any other finding."""
    chains = evidence.get("chains")
    if not isinstance(chains, list) or not isinstance(evidence.get("reference"), str):
        return None
    return [chain for chain in chains if isinstance(chain, Mapping) and isinstance(chain.get("links"), list)]


def _first_broken_link(evidence: Mapping[str, Any]) -> str | None:
    """``alarm cis-4.5: ActionsEnabled is false ...``: the first broken link of the first chain that
    does not fire (the one the finding's message names), else the first unknown link of the first
    chain that may; ``None`` when every chain fires (or the finding has none)."""
    chains = _alert_chains(evidence) or []
    for fires in (False, None):
        for chain in chains:
            if "fires" in chain and chain["fires"] is fires:
                link = next((step for step in chain["links"] if isinstance(step, Mapping)
                             and "ok" in step and step["ok"] is fires), None)
                if link is not None:
                    return Link(kind=link.get("kind", "?"), id=str(link.get("id") or ""), ok=fires,
                                reason=str(link.get("reason") or "")).shown()
    return None


def _first_not_alerted(evidence: Mapping[str, Any]) -> str | None:
    """The first record of ``evidence.not_alerted`` (the reference records no firing chain matches)."""
    groups = evidence.get("not_alerted")
    if not isinstance(groups, list) or not groups or not isinstance(groups[0], Mapping):
        return None
    records = groups[0].get("records")
    return str(records[0]) if isinstance(records, list) and records else None


@cache
def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def render_html(report: Report) -> str:
    """The whole page; deterministic for the same report."""
    style, script = _asset("html_report.css"), _asset("html_report.js")
    csp = f"default-src 'none'; style-src {_csp_hash(style)}; script-src {_csp_hash(script)}"
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>trailcheck report {html.escape(report.generated_at)}</title><style>{style}</style></head>\n"
        '<body><div id="app"><noscript><p>This report is drawn by its inline script; with scripts off, '
        "read findings.json instead.</p></noscript></div>\n"
        f'<footer>trailcheck {html.escape(__version__)} · findings format {FORMAT_V2}</footer>\n'
        f'<script type="application/json" id="report-data">{script_json(page_data(report))}</script>\n'
        f"<script>{script}</script></body></html>\n"
    )


class HtmlFormat:
    """``--format html`` -> ``findings.html``."""

    name: str = "html"
    filename: str | None = "findings.html"

    def render(self, report: Report) -> str:
        return render_html(report)


FORMAT = HtmlFormat()
