"""Output formats, one module each, all rendering the same :class:`~checker.report.model.Report`.

Each module's ``FORMAT`` renders one ``--format`` name. A module is imported when its name
is chosen, not with this package: a scan that writes JSON does not pay for the others (all
eight together cost ~45 ms of start-up, ``python -X importtime``).
"""

from __future__ import annotations

from importlib import import_module

from checker.comma_list import comma_list
from checker.errors import InputError
from checker.formats.interface import Format

FORMAT_MODULES: dict[str, str] = {
    "table": "checker.formats.table", "json": "checker.formats.json_format", "jsonl": "checker.formats.jsonl",
    "md": "checker.formats.markdown", "html": "checker.formats.html", "sarif": "checker.formats.sarif",
    "junit": "checker.formats.junit", "csv": "checker.formats.csv_format"}


def format_named(name: str) -> Format:
    """The format ``name`` (a key of :data:`FORMAT_MODULES`), its module imported now."""
    fmt: Format = import_module(FORMAT_MODULES[name]).FORMAT
    return fmt


def parse_formats(text: str) -> list[Format]:
    """``--format table,json,...`` -> formats, in the order given, without repeats."""
    chosen: list[Format] = []
    for name in comma_list(text):
        if name not in FORMAT_MODULES:
            raise InputError("--format", f"unknown format {name!r} (choose from {', '.join(FORMAT_MODULES)})")
        fmt = format_named(name)
        if fmt not in chosen:
            chosen.append(fmt)
    return chosen
