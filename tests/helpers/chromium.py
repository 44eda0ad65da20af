"""Headless Chromium for the HTML report tests: where it is, a DOM dump, and a page to drive.

A missing Chromium skips the browser tests on a developer's machine; under CI (``CI`` set)
it fails them, so CI cannot pass without drawing the page.

:class:`Browser` speaks the DevTools protocol over a pipe (``--remote-debugging-pipe``:
JSON messages ending in a NUL byte on file descriptors 3 and 4), so a test can open a
page, wait for the script to draw it, and act as a reader (click, choose a filter, open a
finding) with nothing but the standard library.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync")


def chromium_path() -> str:
    """Chromium's path; skips the test without it (fails it under CI)."""
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("CI must draw the HTML report: install Chromium (apt-get install -y chromium)")
        pytest.skip("chromium is not installed (under CI this fails instead)")
    return CHROMIUM


def dump_dom(profile: Path, url: str) -> str:
    """The DOM of ``url`` once its script has drawn it (the page unpacks its data
    asynchronously: virtual time lets every pending task finish before the dump)."""
    done = subprocess.run([chromium_path(), *FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=60000",
                           "--dump-dom", url], check=True, capture_output=True, text=True, timeout=120)
    return done.stdout


def screenshot(profile: Path, url: str, png: Path, size: tuple[int, int]) -> None:
    subprocess.run([chromium_path(), *FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=60000",
                    f"--screenshot={png}", f"--window-size={size[0]},{size[1]}", url],
                   check=True, capture_output=True, timeout=120)


class Browser:
    """One headless Chromium driven over the DevTools pipe; ``with Browser(profile) as b``."""

    def __init__(self, profile: Path) -> None:
        self._profile = profile
        self._next_id = 0
        self._pending = b""
        self._session: str | None = None

    def __enter__(self) -> Browser:
        to_browser, self._writer = os.pipe()
        self._reader, from_browser = os.pipe()

        def pipe_fds() -> None:  # in the child: the protocol's descriptors 3 (in) and 4 (out)
            os.dup2(to_browser, 3)
            os.dup2(from_browser, 4)

        self._process = subprocess.Popen(
            [chromium_path(), *FLAGS, "--remote-debugging-pipe", f"--user-data-dir={self._profile}",
             "--window-size=1400,1000", "about:blank"],
            pass_fds=(3, 4), preexec_fn=pipe_fds, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        os.close(to_browser)
        os.close(from_browser)
        target = self._call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self._session = self._call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self._process.kill()
        self._process.wait()
        os.close(self._writer)
        os.close(self._reader)

    @property
    def pid(self) -> int:
        """The browser's process id (its renderers are its descendants)."""
        return self._process.pid

    def open(self, url: str) -> None:
        self._call("Page.navigate", {"url": url})

    def evaluate(self, expression: str) -> Any:
        """The value of ``expression`` in the page (awaited when it is a promise)."""
        answer = self._call("Runtime.evaluate", {"expression": expression, "awaitPromise": True,
                                                 "returnByValue": True})
        if "exceptionDetails" in answer:
            raise AssertionError(f"the page threw: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def _call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params}
        if self._session is not None:
            message["sessionId"] = self._session
        os.write(self._writer, json.dumps(message).encode() + b"\0")
        while True:  # events arrive in between; the answer carries our id
            while b"\0" not in self._pending:
                chunk = os.read(self._reader, 1 << 20)
                if not chunk:
                    raise AssertionError("chromium closed the DevTools pipe")
                self._pending += chunk
            raw, self._pending = self._pending.split(b"\0", 1)
            reply = json.loads(raw)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise AssertionError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply["result"]
                return result


# Resolves, once the report is drawn, to the milliseconds from navigation to the first frame
# painted after drawing (the page's own clock).
DRAWN = """new Promise((resolve) => {
  const check = () => {
    if (document.getElementById('findings') || document.querySelector('p.problem')) {
      requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now())));
    } else { setTimeout(check, 5); }
  };
  check();
})"""
