"""Size and amplification: YAML aliases, gzip bombs, endless devices, oversized estates.

Each input is small on disk and huge once expanded (or has no end at all). Every one is
stopped by a documented limit, early, with a message that names the file and the limit.
"""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path

import pytest

from tests.adversarial.abuse import (
    Batch,
    Case,
    Outcome,
    bad_input,
    case,
    cases_of,
    check_outcome,
    estate,
    record,
    scan_args,
    valid,
    write_json,
    write_text,
)

PROBE_RULES = "s3-data-events,management-events-coverage"
"""Rules whose probes the selector simulator decides over every trail's selectors."""

LAUGHS = "\n".join(["a: &a [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]",
                    *(f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 9) + "]"
                      for i in range(8))]) + "\n"
"""The classic: nine levels of nine aliases, 387 million strings once expanded."""


@case("billion-laughs-policy")
def _laughs_policy(d: Path) -> Case:
    path = write_text(d / "lol.yaml", LAUGHS + "rules: *i\n")
    return Case(("validate", str(path)), bad_input(f"{path}:1", "anchor"))


@case("billion-laughs-waivers")
def _laughs_waivers(d: Path) -> Case:
    snap = write_json(d / "snap.json", estate())
    path = write_text(d / "waivers.yaml", LAUGHS + "waivers: *i\n")
    return Case(scan_args(d, "--snapshot", str(snap), "--waivers", str(path)), bad_input(f"{path}:1", "anchor"))


@case("merge-key-alias-policy")
def _merge_key(d: Path) -> Case:
    path = write_text(d / "merge.yaml", "base: &base {severity: low, scope: trail, title: T}\nrules:\n"
                      "  - <<: *base\n    id: merged\n    require: {expr: Name}\n")
    return Case(("validate", str(path)), bad_input(f"{path}:1", "anchor"))


@case("gzip-bomb-events")
def _gzip_bomb(d: Path) -> Case:
    """A log file of whitespace that expands 1,000 times: reading stops at the ratio limit."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    head = ('{"Records": [' + json.dumps(record()) + ",").encode()
    parts = [compressor.compress(head)]
    block = b" " * (1 << 20)
    parts += [compressor.compress(block) for _ in range(64)]
    parts.append(compressor.compress((json.dumps(record()) + "]}").encode()))
    parts.append(compressor.flush())
    path = d / "bomb.json.gz"
    path.write_bytes(b"".join(parts))
    return Case(scan_args(d, "--events", str(path), "--rules", "cloudtrail-tampering"),
                valid(stderr_has=["bomb.json.gz", "ratio"]))


@case("gzip-over-size-limit")
def _gzip_size(d: Path) -> Case:
    path = d / "big.json.gz"
    text = '{"Records": [' + json.dumps(record()) + "," + " " * 3_000_000 + json.dumps(record()) + "]}"
    path.write_bytes(gzip.compress(text.encode()))
    return Case(scan_args(d, "--events", str(path), "--rules", "cloudtrail-tampering"),
                valid(stderr_has=["big.json.gz", "TRAILCHECK_MAX_DECOMPRESSED_BYTES"]),
                env={"TRAILCHECK_MAX_DECOMPRESSED_BYTES": "1000000"})


@case("dev-zero-snapshot")
def _dev_zero_snapshot(d: Path) -> Case:
    return Case(scan_args(d, "--snapshot", "/dev/zero"), bad_input("/dev/zero", "character device"))


@case("dev-zero-events")
def _dev_zero_events(d: Path) -> Case:
    return Case(scan_args(d, "--events", "/dev/zero"), bad_input("/dev/zero", "character device"))


@case("dev-urandom-policy")
def _dev_urandom_policy(d: Path) -> Case:
    return Case(("validate", "/dev/urandom"), bad_input("/dev/urandom", "character device"))


@case("dev-zero-waivers")
def _dev_zero_waivers(d: Path) -> Case:
    snap = write_json(d / "snap.json", estate())
    return Case(scan_args(d, "--snapshot", str(snap), "--waivers", "/dev/zero"),
                bad_input("/dev/zero", "character device"))


@case("snapshot-over-size-limit")
def _snapshot_size(d: Path) -> Case:
    snap = write_json(d / "snap.json", estate())
    return Case(scan_args(d, "--snapshot", str(snap)), bad_input(str(snap), "TRAILCHECK_MAX_DOCUMENT_BYTES"),
                env={"TRAILCHECK_MAX_DOCUMENT_BYTES": "1000"})


@case("bad-limit-override")
def _bad_override(d: Path) -> Case:
    snap = write_json(d / "snap.json", estate())
    return Case(scan_args(d, "--snapshot", str(snap)), bad_input("TRAILCHECK_MAX_DOCUMENT_BYTES", "positive"),
                env={"TRAILCHECK_MAX_DOCUMENT_BYTES": "lots"})


@case("10000-regions")
def _regions(d: Path) -> Case:
    data = estate()
    data["accounts"][0]["regions"] = [f"xx-test-{i}" for i in range(10_000)]
    snap = write_json(d / "snap.json", data)
    return Case(scan_args(d, "--snapshot", str(snap)), bad_input(str(snap), "$.accounts[0].regions", "Regions"))


@case("selector-values-over-limit")
def _selector_values(d: Path) -> Case:
    data = estate()
    trail = data["accounts"][0]["trails"][0]
    trail["AdvancedEventSelectors"] = [{"Name": "many", "FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Data"]},
        {"Field": "resources.ARN", "StartsWith": [f"arn:aws:s3:::bucket-{i}/" for i in range(6000)]}]}]
    snap = write_json(d / "snap.json", data)
    return Case(scan_args(d, "--snapshot", str(snap)),
                bad_input(str(snap), "$.accounts[0].trails[0]", "selector values"))


@case("witness-filler-collision")
def _filler(d: Path) -> Case:
    """Selector values holding every character a fixed filler alphabet would pick from."""
    data = estate()
    values = ["".join(chr(code) for code in range(0x7E, 0x17E)), "~", "\x7f~"]
    data["accounts"][0]["trails"][0]["AdvancedEventSelectors"] = [
        {"Name": "data", "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Data"]}, {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
            {"Field": "resources.ARN", "NotStartsWith": values, "NotEndsWith": values}]},
        {"Name": "management", "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Management"]}, {"Field": "eventSource", "NotEquals": values}]}]
    snap = write_json(d / "snap.json", data)
    return Case(scan_args(d, "--snapshot", str(snap), "--rules", PROBE_RULES), valid())


@case("witness-budget-exceeded")
def _budget(d: Path) -> Case:
    """Selectors an attacker with PutEventSelectors wrote to make the decision explode: an
    ``error`` finding for the unit ("undecided within budget"), within the limits."""
    data = estate()
    data["accounts"][0]["trails"][0]["AdvancedEventSelectors"] = [
        {"Name": f"s{k}", "FieldSelectors": [
            {"Field": "eventCategory", "Equals": ["Data"]},
            {"Field": "resources.type", "Equals": ["AWS::S3::Object", "AWS::Lambda::Function"]},
            {"Field": "resources.ARN", "NotStartsWith": [f"arn:aws:s3:::b{k}-{i}/" for i in range(400)],
             "NotEndsWith": [f".{k}x{i}" for i in range(400)]},
            {"Field": "eventName", "NotEquals": [f"Op{k}{i}" for i in range(150)]}]} for k in range(2)]
    snap = write_json(d / "snap.json", data)

    def undecided(outcome: Outcome) -> None:
        messages = [f["message"] for f in outcome.findings()["findings"] if f["status"] == "error"]
        assert any("undecided within budget" in message for message in messages), messages

    return Case(scan_args(d, "--snapshot", str(snap), "--rules", PROBE_RULES), valid(1), check=undecided)


@case("2000-accounts")
def _many_accounts(d: Path) -> Case:
    """Thousands of accounts must be admitted (and finish well within the limits)."""
    data = estate()
    member = next(a for a in data["accounts"] if a["account_id"] != "111111111111")
    member["trails"] = []
    member["buckets"] = {}  # a bucket has one owner: copies of the member may not all claim its buckets
    data["accounts"] = [data["accounts"][0]] + [
        {**member, "account_id": f"{500000000000 + i:012d}", "name": f"member-{i}"} for i in range(2000)]
    snap = write_json(d / "snap.json", data)
    return Case(scan_args(d, "--snapshot", str(snap), "--rules", "cloudtrail-enabled,log-file-validation"),
                valid())


@pytest.mark.parametrize("name", cases_of(__name__))
def test_case(name: str, batch: Batch) -> None:
    check_outcome(batch.outcome(name))
