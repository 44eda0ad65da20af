"""Errors a user can act on.

Every problem with what the user gave us (a snapshot, a policy file, an option, an event
file) is an :class:`InputError`: the command line prints its one-line message and exits
with code 2. Anything else escaping is a bug in trailcheck.
"""

from __future__ import annotations

from collections.abc import Sequence


class InputError(Exception):
    """Bad invocation or bad input: a one-line message naming the place and the problem.

    ``where`` is the file (and line or JSON path) or the option at fault; ``what`` says
    what is wrong there.
    """

    def __init__(self, where: str, what: str) -> None:
        super().__init__(f"{where}: {what}")
        self.where = where
        self.what = what

    @property
    def problems(self) -> tuple[InputError, ...]:
        """The problems to report, one line each: this one."""
        return (self,)


class InputErrors(InputError):
    """Several independent problems found in one pass over an input (every mistake of
    every policy file), so that one run shows them all; ``where``/``what`` are the first's."""

    def __init__(self, problems: Sequence[InputError]) -> None:
        if not problems:
            raise ValueError("InputErrors needs at least one problem")
        super().__init__(problems[0].where, problems[0].what)
        self._problems = tuple(p for problem in problems for p in problem.problems)

    @property
    def problems(self) -> tuple[InputError, ...]:
        return self._problems

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self._problems)
