"""A bug in trailcheck exits 3 with one line saying so, never 1 (which means findings)."""

from __future__ import annotations

import argparse

import pytest

from checker import cli
from tests.adversarial.abuse import ESTATE


def explode(args: argparse.Namespace) -> int:
    raise KeyError("\x1b[2Jsecret-looking detail")


def test_an_unexpected_exception_is_one_line_and_exit_3(monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(cli._HANDLERS, "schema", explode)
    assert cli.main(["schema", "policy"]) == 3
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1
    assert "internal error" in err and "KeyError" in err and "this message" in err
    assert "\x1b" not in err and "Traceback" not in err


def test_verbose_adds_the_traceback(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(cli._HANDLERS, "scan", explode)
    assert cli.main(["scan", "--snapshot", str(ESTATE), "--verbose"]) == 3
    err = capsys.readouterr().err
    assert "Traceback" in err and err.splitlines()[-1].startswith("trailcheck: internal error")


def test_without_verbose_the_line_says_how_to_get_the_traceback(monkeypatch: pytest.MonkeyPatch,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(cli._HANDLERS, "scan", explode)
    assert cli.main(["scan", "--snapshot", str(ESTATE)]) == 3
    err = capsys.readouterr().err
    assert "Traceback" not in err and "--verbose" in err
