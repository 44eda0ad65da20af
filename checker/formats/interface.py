"""The interface every output format implements.

A format turns one :class:`~checker.report.model.Report` into text. Formats are registered
in :mod:`checker.formats` by name; ``table`` goes to stdout, the others are written to
``--output-dir`` under ``filename``.
"""

from __future__ import annotations

from typing import Protocol

from checker.report.model import Report


class Format(Protocol):
    """A report renderer: ``name`` is the ``--format`` value, ``filename`` its output file
    (``None`` for stdout-only formats)."""

    name: str
    filename: str | None

    def render(self, report: Report) -> str:
        """Render the whole report. Must be deterministic for the same report."""
        ...
