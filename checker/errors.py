"""Errors a user can act on.

Every problem with what the user gave us (a snapshot, a policy file, an option, an event
file) is an :class:`InputError`: the command line prints its one-line message and exits
with code 2. Anything else escaping is a bug in trailcheck.
"""

from __future__ import annotations


class InputError(Exception):
    """Bad invocation or bad input: a one-line message naming the place and the problem.

    ``where`` is the file (and line or JSON path) or the option at fault; ``what`` says
    what is wrong there.
    """

    def __init__(self, where: str, what: str) -> None:
        super().__init__(f"{where}: {what}")
        self.where = where
        self.what = what
