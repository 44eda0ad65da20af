"""Where a Terraform resource is written: its module's ``.tf`` file and line.

A plan names resources by address (``module.logging.aws_cloudtrail.org``) but not by
file. The plan's ``configuration`` gives each module call's ``source``; a local source
(``./modules/logging``) is a directory relative to the calling module, the root module
being the plan's directory or ``--terraform-dir``. The resource block
``resource "aws_cloudtrail" "org" {`` is then looked up in that directory's ``.tf`` files.
A module from a registry or a Git URL is not on disk: its resources get no location.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from checker import limits
from checker.errors import InputError
from checker.findings import Location
from checker.inputs.iac.values import location
from checker.userfiles import read_regular_file

_LOCAL_SOURCE = re.compile(r"^\.\.?(/|$)")


def module_directory(root: Path, configuration: Mapping[str, Any], modules: Sequence[str]) -> Path | None:
    """The directory of the module at ``modules`` (call names from the root), or ``None``
    when a module on the way is not a local path."""
    directory = root
    module: Any = configuration.get("root_module") or {}
    for name in modules:
        calls = module.get("module_calls") if isinstance(module, Mapping) else None
        call = calls.get(name) if isinstance(calls, Mapping) else None
        source = call.get("source") if isinstance(call, Mapping) else None
        if not isinstance(source, str) or not _LOCAL_SOURCE.match(source):
            return None
        directory = directory / source
        module = call.get("module") if isinstance(call, Mapping) else None
    return directory


class ModuleFiles:
    """The ``.tf`` files of module directories, each read once."""

    def __init__(self) -> None:
        self._files: dict[Path, list[tuple[Path, list[str]]]] = {}

    def find(self, directory: Path, block: str, kind: str, name: str) -> Location | None:
        """The line of ``block "kind" "name" {`` (``resource`` or ``data``) in the directory's
        ``.tf`` files, in name order; ``None`` when none declares it."""
        pattern = re.compile(rf'^\s*{block}\s+"?{re.escape(kind)}"?\s+"?{re.escape(name)}"?\s*\{{')
        for path, lines in self._read(directory):
            for number, line in enumerate(lines, start=1):
                if pattern.match(line):
                    return location(path, number)
        return None

    def _read(self, directory: Path) -> list[tuple[Path, list[str]]]:
        key = directory.resolve()
        found = self._files.get(key)
        if found is None:
            found = []
            if key.is_dir():
                for path in sorted(key.glob("*.tf")):
                    try:
                        raw = read_regular_file(path, "Terraform file", limits.YAML_BYTES)
                    except InputError:
                        continue  # an unreadable file only costs the locations it would give
                    found.append((directory / path.name, raw.decode("utf-8", errors="replace").splitlines()))
            self._files[key] = found
        return found
