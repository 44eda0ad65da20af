"""HTML output (``findings.html``): one self-contained page an auditor can open offline.

The page is data plus a renderer, built to stay small and quick at organization scale
(1,000 accounts x 17 Regions is some 170,000 findings). The data travels compressed:

- ``#report-data`` holds :func:`page_data` (the report without its findings' evidence,
  the findings as columns of indices into one table of distinct values, and the views
  shown up front), as JSON, deflated (zlib) and base64-encoded;
- ``#evidence-0``, ``#evidence-1``, ... hold the findings' evidence in chunks of
  :data:`EVIDENCE_CHUNK` findings (:func:`evidence_chunks`), packed the same way and
  unpacked only when a reader opens a finding's details. Fingerprints are not embedded
  (some 4 MB at that scale): the script computes a finding's from its rule, account, Region
  and resource as :func:`checker.findings.fingerprint` does, when its details are opened.

A small inline script (``html_report.js``) unpacks the data with the browser's own
``DecompressionStream`` and draws it: the summary by status, severity and framework, the
account x rule matrix, the account x region coverage grid, the account x control matrix of
the monitoring rules (the account matrices a hundred accounts at a time), where each
trail's logs live and what protects them (:mod:`checker.formats.storage_view`), the optional
framework, baseline and waiver sections, the findings (filterable by rule, account, Region,
status, severity and text, shown a page at a time, with the file and line of a finding on
code) and the rules. The script sets every value as text (``textContent``, text nodes,
``setAttribute`` on inert attributes) and links only ``http(s)`` references, so trail names,
messages and evidence from the audited accounts stay text whatever they contain; the
packed data is base64, which cannot end the element that holds it.

Aggregates (the matrices, the grid, the tables by framework) are computed here, in the
status order of :data:`checker.findings.STATUSES`, and the script only draws them. Nothing
is loaded from anywhere: a Content Security Policy allows exactly this page's own style and
script (by hash) and nothing else. The same report gives the same bytes (zlib output has no
timestamp). The page is written an evidence chunk at a time (a streamed format).
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import zlib
from collections import Counter, defaultdict
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from functools import cache
from importlib import resources
from operator import attrgetter
from typing import Any

from checker import __version__, safejson
from checker.alerting.chain_model import Link
from checker.findings import (
    FAILING,
    SEVERITIES,
    STATUSES,
    Finding,
    Location,
    RuleInfo,
    Status,
    severity_rank,
    status_rank,
    worst_status,
)
from checker.formats.interface import StreamedRender, TextSink
from checker.formats.storage_view import storage_view
from checker.report.document import FORMAT_V2, to_document
from checker.report.frameworks import natural_key
from checker.report.model import Report

PAGE_FORMAT = "trailcheck.html-data/v2"
FINDING_COLUMNS = ("rule_id", "severity", "status", "account_id", "region", "resource", "message", "location")
# Findings per evidence chunk: opening one finding's details unpacks its chunk only (about
# 1.6 MB of JSON at organization scale); larger chunks compress a little better.
EVIDENCE_CHUNK = 2000
# zlib's default level: at organization scale level 9 is a fifth smaller and takes half as long
# again, level 1 is twice the size in half the time.
COMPRESSION_LEVEL = 6


def page_data(report: Report, findings: Sequence[Finding]) -> dict[str, Any]:
    """What ``#report-data`` holds: the v2 document without its findings (a waiver with the
    number of findings it covers instead of their fingerprints), the findings (in the order
    given) as columns, and the aggregated views drawn up front."""
    # The document of the same report without findings (each would become a dict, to be
    # dropped), with the summary of the findings.
    document = to_document(replace(report, findings=()))
    del document["findings"]
    document["summary"] = report.summary()
    waivers = document.get("waivers")
    for use in waivers["applied"] + waivers["expired"] if waivers else ():  # a count, not thousands of fingerprints
        use["findings"] = len(use.pop("fingerprints"))
    return {
        "page": PAGE_FORMAT,
        "statuses": list(STATUSES),
        "severities": list(SEVERITIES),
        "report": document,
        "findings": _finding_columns(findings),
        "evidence_chunk": EVIDENCE_CHUNK,
        "views": {"by_framework": _by_framework(report), "matrix": _matrix(report),
                  "coverage": _coverage(report), "monitoring": _monitoring(report),
                  "storage": storage_view(report.findings)},
    }


def evidence_chunks(findings: Sequence[Finding]) -> Iterator[list[dict[str, Any]]]:
    """The evidence of ``findings`` in runs of :data:`EVIDENCE_CHUNK`: the i-th finding's is
    entry ``i % EVIDENCE_CHUNK`` of chunk ``i // EVIDENCE_CHUNK``."""
    for start in range(0, len(findings), EVIDENCE_CHUNK):
        yield [finding.evidence for finding in findings[start:start + EVIDENCE_CHUNK]]


def _finding_columns(findings: Sequence[Finding]) -> dict[str, Any]:
    """``{"count", "values", "columns"}``: each column lists, per finding, an index into
    ``values``, the distinct values of all columns (``location`` as its object or null), so a
    value repeated over thousands of findings (a rule id, an account, a message) is written once."""
    index: dict[Hashable, int] = {}
    columns = {}
    by_column = list(zip(*map(attrgetter(*FINDING_COLUMNS), findings), strict=True)) or [() for _ in FINDING_COLUMNS]
    for name, column in zip(FINDING_COLUMNS, by_column, strict=True):
        for value in dict.fromkeys(column):  # the distinct values, in order
            index.setdefault(value, len(index))
        columns[name] = list(map(index.__getitem__, column))
    values = [key.to_dict() if isinstance(key, Location) else key for key in index]
    return {"count": len(findings), "values": values, "columns": columns}


def _counts(statuses: Iterable[Status]) -> dict[str, int]:
    counts = Counter(statuses)
    return {status: counts[status] for status in STATUSES}


def _by_framework(report: Report) -> list[dict[str, Any]]:
    """Per framework: findings of its rules by status, and the controls with a failing finding."""
    members: dict[str, Counter[Status]] = defaultdict(Counter)
    failing: dict[str, set[str]] = defaultdict(set)
    for (rule_id, status), count in Counter(map(attrgetter("rule_id", "status"), report.findings)).items():
        for framework, controls in report.rules[rule_id].frameworks.items():
            members[framework][status] += count
            if status == "fail":
                failing[framework].update(controls)
    return [{"framework": framework, "counts": {s: members[framework][s] for s in STATUSES},
             "failing_controls": sorted(failing[framework], key=natural_key)} for framework in sorted(members)]


def _matrix(report: Report) -> dict[str, Any]:
    """The account x rule matrix: per account (None for units of no account) its findings by
    status, its worst failing severity, and per rule the worst status of its findings there
    with their counts (None where the rule has none). Columns are rules worst first (worst
    status over all accounts, then severity, then id), so the gaps lead."""
    cells: dict[tuple[str, str], Counter[Status]] = defaultdict(Counter)
    by_rule: dict[str, Counter[Status]] = defaultdict(Counter)
    by_account: dict[str, Counter[Status]] = defaultdict(Counter)
    failing: dict[str, set[str]] = defaultdict(set)
    tally = Counter(map(attrgetter("account_id", "rule_id", "status", "severity"), report.findings))
    for (account_id, rule_id, status, severity), count in tally.items():
        account = account_id or ""
        cells[(account, rule_id)][status] += count
        by_rule[rule_id][status] += count
        by_account[account][status] += count
        if status == "fail":
            failing[account].add(severity)
    rules = sorted(by_rule, key=lambda rule_id: (status_rank(worst_status(by_rule[rule_id]) or "skipped"),
                                                 severity_rank(report.rules[rule_id].severity), rule_id))
    rows = []
    for account in sorted(by_account):
        rows.append({"account": account or None, "counts": {s: by_account[account][s] for s in STATUSES},
                     "worst_failing": min(failing[account], key=severity_rank, default=None),
                     "cells": [_cell(cells.get((account, rule_id))) for rule_id in rules]})
    return {"rules": rules, "rows": rows}


def _cell(counts: Counter[Status] | None) -> dict[str, Any] | None:
    if counts is None:
        return None
    return {"status": worst_status(counts), "counts": {s: counts[s] for s in STATUSES if counts[s]}}


def _coverage(report: Report) -> dict[str, Any]:
    """The account x region grid of region-scope findings: each cell's worst status, its
    counts, and the rules failing or in error there. Region-scope rules by their declared
    scope; a rule with no declared scope (described from an old report's findings) counts
    where its finding has a region and no resource."""
    counts: dict[tuple[str, str], Counter[Status]] = defaultdict(Counter)
    failing: dict[tuple[str, str], dict[Status, set[str]]] = defaultdict(lambda: {s: set() for s in FAILING})
    declared = {rule_id: rule.scope == "region" for rule_id, rule in report.rules.items() if rule.scope is not None}
    for finding in report.findings:
        region_scope = declared.get(finding.rule_id)
        if region_scope is None:
            region_scope = finding.region is not None and finding.resource is None
        if finding.account_id and finding.region and region_scope:
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
                   "counts": _counts(f.status for f in found), "notes": _cell_notes(found)}
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


def packed(data: Any) -> str:
    """``data`` as strict JSON, deflated (zlib) and base64-encoded: text of the base64
    alphabet only, so it can sit in any element, and the same data gives the same text."""
    try:  # the common case at C speed; a NaN or a lone surrogate takes safejson's way
        text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
    except (ValueError, UnicodeEncodeError):
        text = safejson.dumps(data, separators=(",", ":")).encode("utf-8")
    return base64.b64encode(zlib.compress(text, COMPRESSION_LEVEL)).decode("ascii")


@cache
def _asset(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def _csp_hash(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def _data_element(element_id: str, data: Any) -> str:
    return f'<script type="application/octet-stream" id="{element_id}">{packed(data)}</script>\n'


def write_html(report: Report, out: TextSink) -> None:
    """The whole page, an evidence chunk at a time; deterministic for the same report.
    Findings go worst first."""
    style, script = _asset("html_report.css"), _asset("html_report.js")
    csp = f"default-src 'none'; style-src {_csp_hash(style)}; script-src {_csp_hash(script)}"
    findings = sorted(report.findings, key=Finding.worst_first_key)
    out.write(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>trailcheck report {html.escape(report.generated_at)}</title><style>{style}</style></head>\n"
        '<body><div id="app"><noscript><p>This report is drawn by its inline script; with scripts off, '
        "read findings.json instead.</p></noscript></div>\n"
        f'<footer>trailcheck {html.escape(__version__)} · findings format {FORMAT_V2}</footer>\n'
        + _data_element("report-data", page_data(report, findings)))
    for number, chunk in enumerate(evidence_chunks(findings)):
        out.write(_data_element(f"evidence-{number}", chunk))
    out.write(f"<script>{script}</script></body></html>\n")


class HtmlFormat(StreamedRender):
    """``--format html`` -> ``findings.html``."""

    name: str = "html"
    filename: str | None = "findings.html"

    def write(self, report: Report, out: TextSink) -> None:
        write_html(report, out)


FORMAT = HtmlFormat()
