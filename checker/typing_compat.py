"""``assert_never`` on every Python trailcheck supports (``typing`` has it from 3.11).

Sum types (``ConfigRule | EventRule``, the requirement kinds) are dispatched with a final
``assert_never`` arm, so that mypy reports a dispatch that forgets a new kind.
"""

from __future__ import annotations

import sys

if sys.version_info >= (3, 11):
    from typing import assert_never
else:
    from typing import NoReturn

    def assert_never(value: NoReturn) -> NoReturn:
        """Unreachable when every case is handled; mypy checks that it is."""
        raise AssertionError(f"unhandled case: {value!r}")

__all__ = ["assert_never"]
