"""The HTML report renders in a real headless Chromium, offline, into a non-trivial image.

Skipped when Chromium is not installed (CI images without a browser).
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from test_formats import BASELINE, FRAMEWORK, WAIVERS, finding, sample_findings, sample_report

from checker.findings import Finding
from checker.formats import html

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)


def estate_findings() -> list[Finding]:
    """The sample findings plus a 3-account x 4-region grid, so the coverage matrix has colour."""
    statuses = ["pass", "fail", "pass", "error", "pass", "waived", "pass", "pass", "fail", "pass", "skipped",
                "pass"]
    grid = [finding("kms-exclusion-gap", "high", statuses[(a * 4 + r) % len(statuses)], account, region)
            for a, account in enumerate(("111111111111", "222222222222", "333333333333"))
            for r, region in enumerate(("ap-southeast-2", "eu-central-1", "eu-west-1", "us-east-1"))]
    unique = {f.fingerprint: f for f in [*sample_findings(), *grid]}
    return list(unique.values())


def chromium(tmp_path: Path, *arguments: str) -> str:
    """Run headless Chromium offline with a throw-away profile; returns its stdout."""
    assert CHROMIUM is not None
    done = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'profile'}", *arguments],
        check=True, capture_output=True, text=True, timeout=120)
    return done.stdout


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")
def test_html_report_renders_offline_in_headless_chromium(tmp_path: Path) -> None:
    report = sample_report({"baseline": BASELINE, "framework": FRAMEWORK, "waivers": WAIVERS},
                           findings=estate_findings())
    page = tmp_path / "findings.html"
    page.write_text(html.FORMAT.render(report), encoding="utf-8")
    screenshot = tmp_path / "findings.png"
    chromium(tmp_path, f"--screenshot={screenshot}", "--window-size=1400,2000", page.as_uri())
    data = screenshot.read_bytes()
    assert png_size(data) == (1400, 2000)
    # A blank or error page compresses to a few KB; a rendered report with tables and colour does not.
    assert len(data) > 60_000
    # The inline script ran under the page's Content Security Policy: it reveals the filters.
    dom = chromium(tmp_path, "--dump-dom", page.as_uri())
    assert '<form id="filters">' in dom
    assert f'<span id="shown">{len(report.findings)}</span>' in dom
