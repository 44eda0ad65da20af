"""YAML read once into data *and* its node tree, so every error can name its line.

Policy files and waiver files are both validated by JSON Schema on the plain data; the
node tree turns the schema error's JSON path back into a line of the user's file.
Composition is bounded (no aliases, no duplicate keys, limited depth): see
:mod:`checker.safeyaml`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import yaml

from checker.safeyaml import compose_single_node

_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def compose_and_construct(text: str, loader_class: type[yaml.SafeLoader] = _SafeLoader) -> tuple[yaml.Node | None, Any]:
    """Parse once: the node tree and the plain data built from it (``yaml.safe_load`` rules)."""
    loader = loader_class(text)
    try:
        node = compose_single_node(loader)
        return node, (loader.construct_document(node) if node is not None else None)
    finally:
        loader.dispose()


def child(node: yaml.Node, key: str | int) -> yaml.Node | None:
    """The value node under a mapping key or at a sequence index, if there is one."""
    if isinstance(node, yaml.MappingNode):
        return next((v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == str(key)), None)
    if isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
        found: yaml.Node = node.value[key]
        return found
    return None


def line_at(root: yaml.Node, path: Iterable[str | int]) -> int:
    """The 1-based line of the node at a JSON path, or of its deepest existing ancestor."""
    node = root
    for step in path:
        found = child(node, step)
        if found is None:
            break
        node = found
    return int(node.start_mark.line) + 1
