"""Where the tests find files: the repository's own (``REPO``, ``EXAMPLES``) and the third-party
data copied into ``tests/data`` (see its README for source and licence).

A missing file must fail the run. A glob over a missing or emptied directory returns nothing,
and ``pytest.mark.parametrize`` over nothing collects a silently skipped test, so every set of
files is taken through ``data_files``, which asserts how many there are.
"""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
ESTATE = EXAMPLES / "estate.json"
"""The demo estate: an Organization of five accounts built to fail (see examples/README.md)."""
DATA = REPO / "tests" / "data"

STRATUS = "stratus-detonations"
"""Stratus Red Team detonation logs: one JSON array of records per attack technique."""
DOC_EXAMPLES = "aws-doc-examples"
"""Records published in the AWS user guides."""
SCHEMAS = "schemas"
"""JSON Schemas from SchemaStore (SARIF 2.1.0, GitHub Action metadata)."""

STRATUS_DIR = DATA / STRATUS
DOC_EXAMPLES_DIR = DATA / DOC_EXAMPLES
SCHEMAS_DIR = DATA / SCHEMAS

STRATUS_FILE_COUNT = 35
DOC_EXAMPLE_FILE_COUNT = 7


def data_file(subdir: str, name: str) -> Path:
    """``tests/data/SUBDIR/NAME``, asserted to exist."""
    path = DATA / subdir / name
    assert path.is_file(), f"test data file missing: {path}"
    return path


def data_files(subdir: str, pattern: str, expected_count: int) -> list[Path]:
    """The files of ``tests/data/SUBDIR`` matching ``pattern``, sorted; asserts there are
    exactly ``expected_count`` of them, so a lost file fails instead of shrinking a test."""
    paths = sorted((DATA / subdir).glob(pattern))
    assert len(paths) == expected_count, (
        f"tests/data/{subdir}/{pattern}: expected {expected_count} files, found {len(paths)}")
    return paths


def stratus_files() -> list[Path]:
    """All 35 Stratus Red Team detonation logs."""
    return data_files(STRATUS, "*.json", STRATUS_FILE_COUNT)


def doc_example_files() -> list[Path]:
    """All 7 AWS documentation example files."""
    return data_files(DOC_EXAMPLES, "*.json", DOC_EXAMPLE_FILE_COUNT)
