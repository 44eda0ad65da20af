"""A live collection spread over worker processes, one account shard each, merged in the end.

botocore spends CPU on every call (~2 ms) and on every client (~5 ms, one per account, service
and Region), and a Python process runs it on one core at a time. A large organization read with
enough worker threads to hide AWS's latency is therefore bound by one core; ``--processes N``
splits its accounts into N shards (the split of ``collect --shard``) collected side by side by
forked processes, and merges their snapshots as ``trailcheck merge`` does, so the document is the
one a single process would have written (each account with the ``collected_at`` of its process).
Each process lists the organization itself, so the organization calls are made N times.

Forking keeps the rules and options of the parent without pickling them; where a platform cannot
fork, the collection stays in one process.
"""

from __future__ import annotations

import multiprocessing
from dataclasses import replace
from multiprocessing.connection import Connection
from typing import Any

from checker.errors import InputError
from checker.inputs.live.collector import collect_snapshot
from checker.inputs.live.options import LiveOptions, Shard
from checker.inputs.merge import ShardFile, merge_snapshots
from checker.policy.model import Rule
from checker.progress import Progress


def collect_in_processes(options: LiveOptions, rules: tuple[Rule, ...] = ()) -> dict[str, Any]:
    """Collect with ``options.processes`` forked processes (``options.workers`` threads in all)."""
    if options.shard is not None and options.processes > 1:
        raise InputError("--processes", "splits the accounts into shards itself; give it without --shard")
    if options.processes <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return collect_snapshot(options, rules=rules)
    count = options.processes
    context = multiprocessing.get_context("fork")
    children = []
    for index in range(1, count + 1):
        share = replace(options, processes=1, shard=Shard(index, count),
                        workers=max(1, options.workers // count + (index <= options.workers % count)))
        receiver, sender = context.Pipe(duplex=False)
        child = context.Process(target=_collect_share, args=(sender, share, rules), daemon=True)
        child.start()
        sender.close()
        children.append((child, receiver))
    answers = []
    try:
        for _, receiver in children:
            answers.append(_answer(receiver))
    finally:
        for child, _ in children:
            child.join()
    return merge_snapshots([ShardFile(f"process {index}", document) for index, document in enumerate(answers, 1)])


def _collect_share(sender: Connection, options: LiveOptions, rules: tuple[Rule, ...]) -> None:
    """In a child: collect one shard and send back the document, or the problem."""
    assert options.shard is not None
    progress = Progress(0, f"collect {options.shard}", quiet=options.quiet, unit="accounts")
    try:
        sender.send(("document", collect_snapshot(options, progress, rules)))
    except InputError as exc:
        sender.send(("input", (exc.where, exc.what)))
    except BaseException as exc:  # a bug, re-raised in the parent: exit 3 there
        sender.send(("bug", f"{type(exc).__name__}: {exc}"))
    finally:
        progress.close()
        sender.close()


def _answer(receiver: Connection) -> dict[str, Any]:
    try:
        kind, value = receiver.recv()
    except EOFError:
        raise RuntimeError("a collection process ended without an answer") from None
    if kind == "input":
        raise InputError(*value)
    if kind == "bug":
        raise RuntimeError(f"in a collection process: {value}")
    document: dict[str, Any] = value
    return document
