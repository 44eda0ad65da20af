"""Three-valued facts: true, false, or unknown because some data was not read.

A storage verdict stands only if the data that was not read could not change it (see
docs/semantics.md, "Where the logs live"). Each check builds its answer from facts joined with
:func:`all_of` and :func:`any_of` (Kleene's logic): a false conjunct decides an "all" whatever
the unknown ones are, a true disjunct decides an "any". An undecided fact carries the names of
exactly the unknown pieces that could still decide it, so an ``error`` names what to collect and
nothing that would not matter.
"""

from __future__ import annotations

from dataclasses import dataclass

from checker.storage_model import Known, Unread


@dataclass(frozen=True)
class Fact:
    """``value`` ``None``: undecided; ``unknown`` then names the unread pieces that could decide it."""

    value: bool | None
    unknown: tuple[str, ...] = ()


TRUE = Fact(True)
FALSE = Fact(False)


def known(name: str, value: Known[bool]) -> Fact:
    """A datum as a fact: unknown (named ``name``) when it was not read."""
    if isinstance(value, Unread):
        return Fact(None, (name,))
    return TRUE if value else FALSE


def negate(fact: Fact) -> Fact:
    return fact if fact.value is None else Fact(not fact.value)


def all_of(*facts: Fact) -> Fact:
    """True when every fact is; false as soon as one is false, whatever is unknown."""
    if any(f.value is False for f in facts):
        return FALSE
    return _undecided(facts) or TRUE


def any_of(*facts: Fact) -> Fact:
    """True as soon as one fact is, whatever is unknown; false when every fact is."""
    if any(f.value is True for f in facts):
        return TRUE
    return _undecided(facts) or FALSE


def _undecided(facts: tuple[Fact, ...]) -> Fact | None:
    names = [name for f in facts if f.value is None for name in f.unknown]
    if not any(f.value is None for f in facts):
        return None
    return Fact(None, tuple(dict.fromkeys(names)))
