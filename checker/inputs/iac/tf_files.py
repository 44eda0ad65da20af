"""Where a Terraform resource is written: its module's ``.tf`` file and line.

A plan names resources by address (``module.logging.aws_cloudtrail.org``) but not by
file. The plan's ``configuration`` gives each module call's ``source``; a local source
(``./modules/logging``) is a directory relative to the calling module, the root module
being the plan's directory or ``--terraform-dir``. The resource block
``resource "aws_cloudtrail" "org" {`` is then looked up in that directory's ``.tf`` files.
A module from a registry or a Git URL is not on disk: its resources get no location.

The same files say what a ``local.NAME`` stands for, which a plan does not show (it lists
``local.NAME`` among an expression's references, never the local's own expression): the
entry ``NAME = ...`` of a ``locals`` block, read far enough to give the references its
expression makes (``aws_kms_key.trail.arn``, ``var.region``, another ``local``) and its
value when it is one string literal. Anything the reading does not follow stays unknown.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from checker import limits
from checker.errors import InputError
from checker.findings import Location
from checker.inputs.iac.values import location
from checker.userfiles import read_regular_file

_LOCAL_SOURCE = re.compile(r"^\.\.?(/|$)")
_LOCALS_BLOCK = re.compile(r"^\s*locals\s*\{\s*$")
_ENTRY = re.compile(r"^\s*([A-Za-z_][\w-]*)\s*=(?!=)(.*)$")
# A traversal outside string literals: ``aws_kms_key.trail.arn``, ``module.a.b``, ``x[0].y``.
_TRAVERSAL = re.compile(r"(?<![\w.\]])[A-Za-z_][\w-]*(?:\.[A-Za-z_][\w-]*|\[[^\]\[]*\])+")
_PLAIN_STRING = re.compile(r'^\s*"((?:[^"\\$%]|\\.)*)"\s*(?:#.*|//.*)?$')


@dataclass(frozen=True)
class LocalValue:
    """What a ``locals`` entry's expression says: the traversals it names, and its value
    when the expression is a single plain string literal (``None`` otherwise)."""

    references: tuple[str, ...]
    literal: str | None = None


def _code_of(expression: str) -> str:
    """``expression`` with its string literals blanked out, except their ``${...}``
    interpolations, and its comments removed: what is left names the references."""
    code: list[str] = []
    index, in_string, interpolations = 0, False, 0
    while index < len(expression):
        char = expression[index]
        if in_string and interpolations == 0:
            if char == "\\":
                index += 2
                continue
            if char == '"':
                in_string = False
            elif expression.startswith("${", index):
                interpolations, index = 1, index + 2
                code.append(" ")
                continue
            index += 1
            continue
        if char == '"':
            in_string = True
            code.append(" ")
        elif char == "#" or expression.startswith("//", index):
            newline = expression.find("\n", index)
            index = len(expression) if newline < 0 else newline
            continue
        else:
            if in_string and char == "{":
                interpolations += 1
            elif in_string and char == "}":
                interpolations -= 1
                if interpolations == 0:
                    code.append(" ")
                    index += 1
                    continue
            code.append(char)
        index += 1
    return "".join(code)


def _open_brackets(code: str) -> int:
    return sum(code.count(c) for c in "([{") - sum(code.count(c) for c in ")]}")


def _local_value(expression: str, following: Sequence[str]) -> LocalValue:
    """The value of an entry whose expression starts with ``expression`` and may go on over
    the ``following`` lines until its brackets close."""
    lines = iter(following)
    while _open_brackets(_code_of(expression)) > 0:
        more = next(lines, None)
        if more is None:
            break
        expression += "\n" + more
    literal = _PLAIN_STRING.match(expression)
    text = literal.group(1).replace('\\"', '"').replace("\\\\", "\\") if literal else None
    return LocalValue(tuple(dict.fromkeys(_TRAVERSAL.findall(_code_of(expression)))), text)


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

    def local(self, directory: Path, name: str) -> LocalValue | None:
        """The entry ``name`` of a ``locals`` block in the directory's ``.tf`` files (the
        first, in name order), or ``None`` when none is found."""
        for _, lines in self._read(directory):
            depth = 0  # inside a locals block: 1 at the level of its entries
            for number, line in enumerate(lines):
                if depth == 0:
                    depth = 1 if _LOCALS_BLOCK.match(line) else 0
                    continue
                entry = _ENTRY.match(line) if depth == 1 else None
                if entry is not None and entry.group(1) == name:
                    return _local_value(entry.group(2), lines[number + 1:])
                depth += _open_brackets(_code_of(line))
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
