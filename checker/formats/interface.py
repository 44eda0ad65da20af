"""The interface every output format implements.

A format turns one :class:`~checker.report.model.Report` into text. Formats are registered
in :mod:`checker.formats` by name; ``table`` goes to stdout, the others are written to
``--output-dir`` under ``filename``. A format whose file grows with the findings (CSV,
JUnit: a row or a test case each, some 150,000 at organization scale) is a
:class:`StreamedFormat`: it writes piece by piece, so the report never exists as one string.
"""

from __future__ import annotations

import io
from abc import ABC, abstractmethod
from typing import Protocol, runtime_checkable

from checker.cycles import without_cycle_collection
from checker.report.model import Report
from checker.safetext import encodable


class TextSink(Protocol):
    """Where a streamed format writes: anything with ``write(str)`` (a file, a StringIO)."""

    def write(self, text: str, /) -> object:
        ...


class Format(Protocol):
    """A report renderer: ``name`` is the ``--format`` value, ``filename`` its output file
    (``None`` for stdout-only formats)."""

    name: str
    filename: str | None

    def render(self, report: Report) -> str:
        """Render the whole report. Must be deterministic for the same report."""
        ...


@runtime_checkable
class StreamedFormat(Format, Protocol):
    """A format that writes its text in pieces; ``render`` gives the same text at once."""

    def write(self, report: Report, out: TextSink) -> None:
        """Write the whole report to ``out``, piece by piece."""
        ...


class StreamedRender(ABC):
    """Base of a :class:`StreamedFormat`: ``render`` is its pieces written into memory."""

    @abstractmethod
    def write(self, report: Report, out: TextSink) -> None:
        """Write the whole report to ``out``, piece by piece."""

    def render(self, report: Report) -> str:
        buffer = io.StringIO()
        self.write(report, buffer)
        return buffer.getvalue()


class _Encodable:
    """Writes through to a sink with each lone surrogate as U+FFFD, so every piece encodes as UTF-8."""

    def __init__(self, out: TextSink) -> None:
        self._out = out

    def write(self, text: str, /) -> object:
        return self._out.write(encodable(text))


def write_report(fmt: Format, report: Report, out: TextSink) -> None:
    """Write ``report`` in ``fmt`` to ``out`` as text that encodes as UTF-8 (a lone surrogate
    from an audited account becomes U+FFFD): a streamed format piece by piece, others at once.
    The cycle collector is paused meanwhile (:mod:`checker.cycles`)."""
    sink = _Encodable(out)
    with without_cycle_collection():
        if isinstance(fmt, StreamedFormat):
            fmt.write(report, sink)
        else:
            sink.write(fmt.render(report))
