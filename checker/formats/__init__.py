"""Output formats, one module each, all rendering the same :class:`~checker.report.model.Report`."""

from __future__ import annotations

from checker.comma_list import comma_list
from checker.errors import InputError
from checker.formats import csv_format, html, jsonl, junit, markdown, sarif
from checker.formats.interface import Format
from checker.formats.json_format import JSON
from checker.formats.table import TABLE

FORMATS: dict[str, Format] = {f.name: f for f in (
    TABLE, JSON, jsonl.FORMAT, markdown.FORMAT, html.FORMAT, sarif.FORMAT, junit.FORMAT, csv_format.FORMAT)}


def parse_formats(text: str) -> list[Format]:
    """``--format table,json,...`` -> formats, in the order given, without repeats."""
    chosen: list[Format] = []
    for name in comma_list(text):
        if name not in FORMATS:
            raise InputError("--format", f"unknown format {name!r} (choose from {', '.join(FORMATS)})")
        if FORMATS[name] not in chosen:
            chosen.append(FORMATS[name])
    return chosen
