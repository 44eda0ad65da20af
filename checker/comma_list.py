"""Comma-separated option values (``--regions a,b``, ``--rules x,y``, ``--format table,json``).

One reading for every such option: items are stripped and empty ones dropped, so
``"a, b,"`` is ``("a", "b")``. Whether an item is valid is the caller's business.
"""

from __future__ import annotations


def comma_list(text: str) -> tuple[str, ...]:
    """The non-empty, stripped items of ``text``, in order (repeats kept)."""
    return tuple(item for item in (part.strip() for part in text.split(",")) if item)
