"""List-valued options: ``--regions a,b``, ``--rules x,y``, ``--format table,json``, and the
GitHub Action's list inputs, which may also be written one item per line.

One reading for every such value: items are separated by commas or line ends, stripped,
and empty ones dropped, so ``"a, b,"`` and ``"a\\nb\\n"`` are both ``("a", "b")``. Whether
an item is valid is the caller's business.
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[,\n]")


def comma_list(text: str) -> tuple[str, ...]:
    """The non-empty, stripped items of ``text``, in order (repeats kept)."""
    return tuple(item for item in (part.strip() for part in _SEPARATORS.split(text)) if item)
