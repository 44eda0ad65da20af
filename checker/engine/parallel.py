"""Judging a large estate's units on two cores: the second half in a forked worker.

A 1,000-account organization gives the configuration rules some 150,000 units, about 5 s
of CPU on one core. Above :data:`checker.forked.PARALLEL_UNITS` units, the scan forks one
worker (:func:`checker.forked.in_two`) once the snapshot is loaded and the units are built:
the worker judges the second half of every rule's units and sends its findings back, each
as the tuple of its fields and its fingerprint (0.4 s of CPU for 90,000 findings, paid half
on each side; pickling the dataclasses themselves costs twice that), while the scan judges
the first halves and computes their fingerprints (every report writes them: 0.6 s for
180,000 findings, now shared by the two cores). The findings are then put back in the order
one process would have made them, so the report is the same byte for byte. A failed worker
costs time, not findings (checker.forked).
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from checker.findings import Finding
from checker.forked import in_two, worth_forking

Task = TypeVar("Task")
Judge = Callable[[Task, int, int], list[Finding]]
"""Findings of one task's units ``start:stop``, in report order."""


def judge_all(tasks: Sequence[tuple[Task, int]], judge: Judge[Task]) -> list[Finding]:
    """Every task's findings, task after task, each task's in unit order: ``judge(task, 0,
    size)`` for each ``(task, size)``, on two cores when the units are many (module docstring)."""
    if not worth_forking(sum(size for _, size in tasks)):
        return [finding for task, size in tasks for finding in judge(task, 0, size)]

    def first_halves() -> list[list[Finding]]:
        parts = [judge(task, 0, size // 2) for task, size in tasks]
        for part in parts:  # while the worker works: every report writes the fingerprints
            for finding in part:
                _ = finding.fingerprint
        return parts

    def second_halves() -> Answer:
        return [[(*_fields(f), f.fingerprint) for f in judge(task, size // 2, size)] for task, size in tasks]

    first, second = in_two(first_halves, second_halves)
    return [finding for first_part, second_part in zip(first, second, strict=True)
            for finding in (*first_part, *(_finding(values) for values in second_part))]


_fields = operator.attrgetter(*(f.name for f in dataclasses.fields(Finding)))
"""A finding's fields in order: ``Finding(*_fields(finding)) == finding``."""
Answer = list[list[tuple[Any, ...]]]
"""Per task, per finding: its fields, then its fingerprint."""


def _finding(values: tuple[Any, ...]) -> Finding:
    """The finding a worker sent, its fingerprint (a ``cached_property``, which keeps its value
    in the instance's ``__dict__``) the one the worker computed."""
    finding = Finding(*values[:-1])
    finding.__dict__["fingerprint"] = values[-1]
    return finding
