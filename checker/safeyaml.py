"""Composing YAML into nodes, bounded: no aliases, no duplicate keys, limited depth.

Policy and waiver files come from repositories anyone can open a pull request against.
PyYAML's own composer accepts three things a hostile or careless file can abuse:

* anchors and aliases: ``&a [*b, *b, ...]`` nested a few times ("billion laughs") makes
  an object graph that every consumer walking it (the schema validator, the report)
  expands exponentially. Policies and waivers never need them, so any anchor or alias
  is refused (merge keys ``<<: *base`` included), with its line;
* duplicate keys: the last one wins, silently, so a rule reading ``severity: critical``
  can run as ``info``. Both lines are named;
* deep nesting: the composer recurses once per level, so ``[[[[...`` ends in
  ``RecursionError``. This composer keeps its own stack and stops at
  :data:`~checker.limits.NESTING_DEPTH`;
* scalars Python cannot hold (an integer of 5,000 digits, a date that does not exist)
  raise a ``ValueError`` deep in construction; they are built as they are composed, and
  refused with their line.

:func:`compose_single_node` replaces ``loader.get_single_node()`` for any PyYAML loader
(the C one included): it reads the loader's events and builds the same nodes, with the
same tag resolution. Problems are raised as :class:`UnsafeYAML`, a
``yaml.MarkedYAMLError``, so callers report them like any YAML error, with file and line.
"""

from __future__ import annotations

from typing import Any

import yaml

from checker import limits


class UnsafeYAML(yaml.MarkedYAMLError):
    """A YAML construct trailcheck refuses; ``problem_mark`` is where it is."""


class _Collection:
    """A sequence or mapping being composed, and the first line of each of its scalar keys."""

    def __init__(self, node: yaml.SequenceNode | yaml.MappingNode) -> None:
        self.node = node
        self.pending_key: yaml.Node | None = None
        self.keys: dict[tuple[str, str], yaml.Mark] = {}

    def add(self, child: yaml.Node) -> None:
        if isinstance(self.node, yaml.SequenceNode):
            self.node.value.append(child)
        elif self.pending_key is None:
            self._check_key(child)
            self.pending_key = child
        else:
            self.node.value.append((self.pending_key, child))
            self.pending_key = None

    def _check_key(self, key: yaml.Node) -> None:
        if not isinstance(key, yaml.ScalarNode):
            return
        identity = (key.tag, key.value)
        first = self.keys.get(identity)
        if first is not None:
            raise UnsafeYAML(problem=f"duplicate key {key.value!r} (first at line {first.line + 1}); "
                                     "a later key would silently replace the earlier one",
                             problem_mark=key.start_mark)
        self.keys[identity] = key.start_mark


def _refuse_anchor(event: Any, start: Any) -> None:
    anchor = getattr(event, "anchor", None)
    if anchor is not None:
        what = f"alias *{anchor}" if isinstance(event, yaml.AliasEvent) else f"anchor &{anchor}"
        raise UnsafeYAML(problem=f"{what} is not allowed: write the value out "
                                 "(anchors and aliases are refused in policy and waiver files)",
                         problem_mark=start)


_CHECKED_TAGS = {"tag:yaml.org,2002:int": "an integer", "tag:yaml.org,2002:float": "a number",
                 "tag:yaml.org,2002:timestamp": "a date"}


def _check_scalar(loader: Any, node: yaml.ScalarNode) -> None:
    """Build a number or date now, so that one Python cannot hold (an integer of 5,000
    digits, February 30th) is a YAML error at its line, not a crash later."""
    kind = _CHECKED_TAGS.get(node.tag)
    if kind is None:
        return
    try:
        loader.construct_object(node)
    except (ValueError, OverflowError) as exc:
        shown = node.value if len(node.value) <= 40 else node.value[:37] + "..."
        raise UnsafeYAML(problem=f"{shown!r} cannot be read as {kind}: {str(exc).split(';')[0]}",
                         problem_mark=node.start_mark) from None


def _tag(loader: Any, kind: type[yaml.Node], event: Any, value: str | None) -> str:
    tag: str | None = event.tag
    if tag is None or tag == "!":
        resolved: str = loader.resolve(kind, value, event.implicit)
        return resolved
    return tag


def compose_single_node(loader: Any) -> yaml.Node | None:
    """The document's node tree (``None`` for an empty stream), composed without recursion.

    ``loader`` is a fresh PyYAML loader (``yaml.SafeLoader``, ``yaml.CSafeLoader`` or a
    subclass). Raises :class:`UnsafeYAML` for an anchor, an alias, a duplicate key or
    nesting deeper than the limit, and ``yaml.ComposerError`` for a second document.
    """
    depth = limits.NESTING_DEPTH.value()
    loader.get_event()  # StreamStart
    if loader.check_event(yaml.StreamEndEvent):
        loader.get_event()
        return None
    loader.get_event()  # DocumentStart
    stack: list[_Collection] = []
    root: yaml.Node | None = None
    while root is None:
        event: Any = loader.get_event()
        start: Any = event.start_mark
        end: Any = event.end_mark
        _refuse_anchor(event, start)
        node: yaml.Node | None = None
        if isinstance(event, yaml.ScalarEvent):
            node = yaml.ScalarNode(_tag(loader, yaml.ScalarNode, event, event.value), event.value,
                                   start, end, style=event.style)
            _check_scalar(loader, node)
        elif isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            if len(stack) >= depth:
                raise UnsafeYAML(problem=limits.NESTING_DEPTH.exceeded("nesting", depth), problem_mark=start)
            collection: yaml.SequenceNode | yaml.MappingNode
            if isinstance(event, yaml.SequenceStartEvent):
                collection = yaml.SequenceNode(_tag(loader, yaml.SequenceNode, event, None), [],
                                               start, None, flow_style=event.flow_style)
            else:
                collection = yaml.MappingNode(_tag(loader, yaml.MappingNode, event, None), [],
                                              start, None, flow_style=event.flow_style)
            stack.append(_Collection(collection))
            continue
        else:  # SequenceEnd or MappingEnd
            finished = stack.pop().node
            finished.end_mark = end
            node = finished
        if stack:
            stack[-1].add(node)
        else:
            root = node
    loader.get_event()  # DocumentEnd
    if not loader.check_event(yaml.StreamEndEvent):
        event = loader.get_event()
        raise yaml.composer.ComposerError("expected a single document in the stream", root.start_mark,
                                          "but found another document", event.start_mark)
    loader.get_event()
    return root
