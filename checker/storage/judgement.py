"""What a storage check answers: a status, one sentence, and the evidence behind it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from checker.findings import Status
from checker.storage_model import Known, Unread

NOT_READ = Unread.UNREAD.value
"""How evidence shows a datum that was not read."""

_WORST_FIRST: tuple[Status, ...] = ("fail", "error", "waived", "pass", "skipped")


@dataclass(frozen=True)
class Judgement:
    """A check's answer on one trail or event data store."""

    status: Status
    detail: str
    evidence: dict[str, Any] = field(default_factory=dict)


def shown(value: Known[Any]) -> Any:
    """A datum for the evidence: ``"not read"`` when it was not read."""
    return NOT_READ if isinstance(value, Unread) else value


def worst(*judgements: Judgement) -> Judgement:
    """The judgement whose status comes first in fail > error > waived > pass > skipped (the
    first such one): a part that fails decides, whatever another part leaves unknown."""
    return min(judgements, key=lambda j: _WORST_FIRST.index(j.status))
