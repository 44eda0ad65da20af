"""Monitoring patterns in the wild: trailcheck's verdicts against each peer's label.

Judges every permissively licensed entry of tests/data/monitoring-in-the-wild the way
tests/test_monitoring_in_the_wild.py does (the pattern in a healthy chain, its control's
built-in rule) and prints two Markdown tables: trailcheck's verdicts by pattern kind, and, per
peer tool, its labelled entries, how many trailcheck agrees with, and the disagreements by
kind (the peer's label, then trailcheck's verdict) with their entry ids. The test module says
why each disagreement is what it is.

Run: ``python benchmarks/wild_patterns.py``. Not run by CI; takes about half a minute.
"""

from __future__ import annotations

import sys
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # run as a script: the repository's packages (tests.helpers)

from tests.helpers.wild_patterns import (  # noqa: E402
    Kind,
    Outcome,
    WildEntry,
    WildVerdict,
    agrees,
    judge_entry,
    permissive_entries,
    wild_entries,
)

OUTCOMES: tuple[Outcome, ...] = ("covers", "overbroad", "fails", "undecided", "invalid")
KINDS: tuple[Kind, ...] = ("metric-filter", "eventbridge")
PEERS = {
    "prowler-cloud/prowler": "Prowler",
    "aquasecurity/trivy-checks": "Trivy checks",
    "DataDog/kics": "KICS (DataDog fork)",
    "epam/ecc-aws-rulepack": "EPAM Cloud Custodian rulepack",
    "mitre/cis-aws-foundations-baseline": "MITRE InSpec",
    "mitre/aws-foundations-cis-baseline": "MITRE InSpec",
}
"""The peer tool whose tests or references label an entry, by the entry's source repository."""


def peer_of(entry: WildEntry) -> str:
    return PEERS.get(entry.source_repo, entry.source_repo)


def verdict_table(judged: list[tuple[WildEntry, WildVerdict]]) -> list[str]:
    counts = Counter((entry.kind, verdict.outcome) for entry, verdict in judged)
    rows = ["| kind | entries | " + " | ".join(OUTCOMES) + " |", "|---" + "|---:" * (len(OUTCOMES) + 1) + "|"]
    for name, shown in [*((kind, (kind,)) for kind in KINDS), ("all", KINDS)]:
        cells = [sum(counts[k, outcome] for k in shown) for outcome in OUTCOMES]
        rows.append(f"| {name} | {sum(cells)} | " + " | ".join(str(c) for c in cells) + " |")
    return rows


def peer_table(judged: list[tuple[WildEntry, WildVerdict]]) -> list[str]:
    labelled: Counter[str] = Counter()
    agreed: Counter[str] = Counter()
    disagreements: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for entry, verdict in judged:
        answer = agrees(entry, verdict)
        if answer is None:
            continue
        peer = peer_of(entry)
        labelled[peer] += 1
        if answer:
            agreed[peer] += 1
        else:
            disagreements[peer][f"{entry.peer_label} → {verdict.outcome}"].append(entry.id)
    rows = ["| peer | labelled | agree | disagree | disagreements (peer label → trailcheck) |",
            "|---|---:|---:|---:|---|"]
    for peer in sorted(labelled, key=lambda p: (-labelled[p], p)):
        kinds = "; ".join(f"{kind}: {len(ids)} ({', '.join(ids)})"
                          for kind, ids in sorted(disagreements[peer].items()))
        rows.append(f"| {peer} | {labelled[peer]} | {agreed[peer]} | {labelled[peer] - agreed[peer]} | "
                    f"{kinds or '-'} |")
    total = sum(labelled.values())
    rows.append(f"| all | {total} | {sum(agreed.values())} | {total - sum(agreed.values())} | |")
    return rows


def left_out_line() -> str:
    """The labelled entries no table compares, because of their licence."""
    left = Counter(f"{entry.source_repo} ({entry.license})" for entry in wild_entries()
                   if not entry.permissive and entry.peer_label is not None)
    return "Labelled entries left out for their licence: " + ", ".join(
        f"{name} {count}" for name, count in sorted(left.items())) + "."


def main() -> None:
    judged = [(entry, judge_entry(entry)) for entry in permissive_entries()]
    print(f"{len(judged)} permissively licensed entries of {len(wild_entries())}.\n")
    print("\n".join(verdict_table(judged)))
    print()
    print("\n".join(peer_table(judged)))
    print()
    print(left_out_line())


if __name__ == "__main__":
    main()
