"""Live AWS -> a ``trailcheck.snapshot/v1`` document, with the fewest calls we can make.

The calls form a tree: caller identity, then (with ``--org``) the organization and its
account pages, per account AssumeRole and DescribeRegions, per (account, region) one
DescribeTrails, per unique trail three detail calls. Each call is a task on a bounded
thread pool; a task does its I/O on a worker and returns a *merge* step that the main
thread applies to the collection state and that yields the next tasks. All state is
therefore touched by one thread only, and the tree unfolds as fast as the answers come
back (accounts of the first ListAccounts page are scanned while the second is fetched).

Then, when the rules in effect need monitoring data (or ``--with monitoring`` asks for it),
the monitoring reads follow in rounds: the plan (:func:`checker.plan.monitoring.monitoring_plan`)
is asked what the chains of the snapshot collected so far still lack, those reads are made
in the accounts and Regions that own the resources, and the plan is asked again, until it
needs nothing new. Each resource is read once; see docs/live-scans.md for the calls.
Last come the storage reads, when a storage rule is in effect or ``--with`` asks: each
trail's bucket, key and log group where they live (:mod:`checker.inputs.live.storage`).

With ``--shard I/N`` the collection keeps the accounts of one shard
(:class:`~checker.inputs.live.options.Shard`). The monitoring plan shards with them: the reads
their chains need in their own accounts are theirs; a read their chains need in an account of
another shard (a member's rule forwarding to a central bus) is made there too, entering that
account for it, and written under ``shard.visits`` for ``trailcheck merge`` to hand to the
owner, since the owner's shard, not knowing this shard's chains, would not make it. Storage reads
do the same for this shard's trails: a bucket, key or log group in another shard's account is
read there, the bucket's owner found by ListBuckets in those accounts when this shard's own did
not list it.

Failures never abort the scan: each becomes an ``errors`` entry of the account it
concerns (see :mod:`checker.inputs.live.faults`), and whatever depended on it stays
absent (unknown), never filled in. Progress counts accounts done (entered, every Region's
trails and their details read), API calls and errors.
"""

from __future__ import annotations

import hashlib
import json
import os
import queue
import re
import sys
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from checker.alerting.chains import AlertJudge
from checker.errors import InputError
from checker.inputs.clients import ClientFactory, ClientSettings, Credentials
from checker.inputs.live.faults import Failure, attempt
from checker.inputs.live.monitoring import AccountMonitoring, perform, service_of
from checker.inputs.live.options import LiveOptions
from checker.inputs.live.organization import (
    Caller,
    OrgAccount,
    assume_member_role,
    caller_identity,
    describe_organization,
    enabled_regions,
    list_accounts_page,
    member_role_arn,
)
from checker.inputs.live.storage import FAMILIES_READ, Elsewhere, collect_storage
from checker.inputs.live.trails import (
    DETAIL_KEYS,
    TRAIL_DETAILS,
    TrailDetail,
    TrailRegistry,
    describe_trails,
    home_region_of,
)
from checker.inputs.snapshot import parse_snapshot
from checker.model import DataFamily, Snapshot
from checker.plan.monitoring import monitoring_plan
from checker.plan.reads import PlacedRead
from checker.plan.rules import FAMILIES, families_needed
from checker.policy.model import Rule
from checker.progress import Progress
from checker.timefmt import iso

SNAPSHOT_FORMAT = "trailcheck.snapshot/v1"
ACCOUNT_ID = re.compile(r"^[0-9]{12}$")
REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-[0-9]+$")

Merge = Callable[[], "list[Task]"]
Task = Callable[[], Merge]
"""Work for a pool thread; what it returns runs on the main thread and yields more work."""


@dataclass
class AccountScan:
    """What is known so far about one account in scope."""

    account_id: str
    name: str | None
    credentials: Credentials | None = None
    regions: list[str] | None = None
    trails: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    monitoring: AccountMonitoring = field(default_factory=AccountMonitoring)
    storage: dict[str, Any] = field(default_factory=dict)
    """The account's storage keys (``buckets``, ``kms_keys``...), once collected."""
    pending: int = 0
    """Calls of the trail collection not answered yet; the account is done at zero."""

    def visit_document(self) -> dict[str, Any]:
        """What a shard read in this account of another shard, for ``shard.visits``: monitoring
        data its chains pass through, storage data its trails name."""
        return {"account_id": self.account_id, "monitoring": self.monitoring.document(), **self.storage,
                "errors": sorted(self.errors, key=_error_order)}

    def document(self, fallback_regions: list[str], shared_errors: Sequence[dict[str, Any]]) -> dict[str, Any]:
        """The account's snapshot entry; ``shared_errors`` are failures of calls made for the
        whole scan (the organization) that concern this account too."""
        regions = self.regions if self.regions is not None else fallback_regions
        document: dict[str, Any] = {
            "account_id": self.account_id,
            "name": self.name,
            "regions": sorted(regions),
            "trails": [_in_api_order(self.trails[arn]) for arn in sorted(self.trails)],
        }
        monitoring = self.monitoring.document()
        if monitoring:
            document["monitoring"] = monitoring
        document.update(self.storage)
        document["errors"] = sorted([*self.errors, *shared_errors], key=_error_order)
        return document


def _in_api_order(trail: dict[str, Any]) -> dict[str, Any]:
    """The DescribeTrails fields, then the detail keys in call order (they arrive in any)."""
    later = [key for key in DETAIL_KEYS if key in trail]
    ordered = {k: v for k, v in trail.items() if k not in DETAIL_KEYS}
    return ordered | {key: trail[key] for key in later}


def _error_order(entry: dict[str, Any]) -> tuple[str, ...]:
    return (entry["region"] or "", entry["operation"], entry.get("trail_arn", ""), entry.get("resource", ""),
            entry["code"], entry["message"])


def collect_snapshot(options: LiveOptions, progress: Progress | None = None,
                     rules: Sequence[Rule] = ()) -> dict[str, Any]:
    """Read the estate from AWS and return the ``trailcheck.snapshot/v1`` document (see docs/live-scans.md):
    the trails, and what ``rules`` (the rules in effect) and ``options.with_families`` need beyond them.

    Raises :class:`InputError` for bad options and for credentials that cannot even
    identify the caller; every other AWS failure is recorded in the snapshot.
    """
    _check_options(options)
    own_progress = progress is None
    report = progress if progress is not None else Progress(0, "collect", quiet=options.quiet,
                                                           unit="accounts")
    try:
        clients = ClientFactory(live_client_settings(options), on_request=lambda: report.advance(0, calls=1))
        return _Collector(options, clients, report, rules).collect()
    finally:
        if own_progress:
            report.close()


@dataclass(frozen=True)
class LiveCollection:
    """A collection from AWS for ``rules``: the :class:`~checker.inputs.interface.SnapshotSource`
    of a live scan. Its ``sha256`` is that of the collected document as JSON with sorted keys."""

    options: LiveOptions
    rules: tuple[Rule, ...] = ()

    def describe(self) -> str:
        return "live"

    def load(self) -> Snapshot:
        from checker.inputs.live.processes import collect_in_processes  # it builds on this module

        document = collect_in_processes(self.options, self.rules)
        digest = hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
        return parse_snapshot(document, self.describe(), sha256=digest)


def live_client_settings(options: LiveOptions) -> ClientSettings:
    """Clients for ``--workers`` threads, retrying and waiting as the options say."""
    return ClientSettings(profile=options.profile, max_attempts=options.max_attempts,
                          connect_timeout=options.connect_timeout, read_timeout=options.read_timeout,
                          pool_size=max(10, options.workers))


def write_snapshot(document: dict[str, Any], path: str | Path) -> None:
    """Write the snapshot as indented JSON; ``-`` is stdout. Atomic for files, so a
    nightly job never leaves half a snapshot behind."""
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    if str(path) == "-":
        sys.stdout.write(text)
        return
    target = Path(path)
    temporary: str | None = None
    try:
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.chmod(temporary, 0o644)  # mkstemp's 0600 would surprise whoever reads it next
        os.replace(temporary, target)
    except OSError as exc:
        if temporary is not None and os.path.exists(temporary):
            os.unlink(temporary)
        raise InputError(str(target), f"cannot write snapshot: {exc.strerror or exc}") from None


def _check_options(options: LiveOptions) -> None:
    if options.workers < 1:
        raise InputError("--workers", f"must be at least 1, got {options.workers}")
    bad = [a for a in options.accounts or () if not ACCOUNT_ID.match(a)]
    if bad:
        raise InputError("--accounts", f"not a 12-digit account id: {bad[0]!r}")
    if options.accounts is not None and not options.org and len(set(options.accounts)) > 1:
        raise InputError("--accounts", "several accounts need --org (the others are entered by role)")
    if options.regions is not None and not options.regions:
        raise InputError("--regions", "give at least one region")
    bad = [r for r in options.regions or () if not REGION.match(r)]
    if bad:
        raise InputError("--regions", f"not a region name: {bad[0]!r}")


class _Collector:
    """One collection run; its state is only touched on the calling (main) thread."""

    def __init__(self, options: LiveOptions, clients: ClientFactory, progress: Progress,
                 rules: Sequence[Rule] = ()) -> None:
        self.options = options
        self.clients = clients
        self.progress = progress
        self.rules = tuple(rules)
        self.families: frozenset[DataFamily] = families_needed(rules, options.with_families)
        self.scans: dict[str, AccountScan] = {}
        self.elsewhere: dict[str, Credentials | None] = {}
        """Accounts in scope that belong to another shard, and how to enter them (``None``: by role)."""
        self.visits: dict[str, AccountScan] = {}
        self.registry = TrailRegistry()
        self.organization: dict[str, Any] | None = None
        self.listed: dict[str, OrgAccount] = {}
        self.listing_failed = False
        self.org_wide_errors: list[dict[str, Any]] = []
        self.listing_errors: list[dict[str, Any]] = []
        self.caller: Caller | None = None

    # -- the run ---------------------------------------------------------------------------

    def collect(self) -> dict[str, Any]:
        started = datetime.now(timezone.utc)
        caller_credentials = self.clients.caller_credentials
        caller = attempt(lambda: caller_identity(self._caller_client("sts")))
        if isinstance(caller, Failure):
            raise InputError("AWS credentials", f"GetCallerIdentity failed: {caller.code}: {caller.message}")
        self.caller = caller
        if self.options.accounts is not None and not self.options.org \
                and caller.account_id not in self.options.accounts:
            raise InputError("--accounts", f"without --org only the caller's account "
                                           f"{caller.account_id} can be scanned")
        first: list[Task] = []
        if self._wanted(caller.account_id):
            first.append(self._open(self._scan(caller.account_id, None), caller_credentials))
        elif self._in_scope(caller.account_id):
            self.elsewhere[caller.account_id] = caller_credentials
        if self.options.org:
            first += [self._describe_organization(), self._list_accounts(None)]
        pool = ThreadPoolExecutor(max_workers=self.options.workers, thread_name_prefix="trailcheck")
        try:
            _run(pool, first)
            _run(pool, self._place_unclaimed())
            if "monitoring" in self.families:
                self._collect_monitoring(pool, started)
            if self.families & FAMILIES_READ:
                self._collect_storage(pool, started)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)  # Ctrl-C: drop the queued calls
        return self._document(started)

    def _in_scope(self, account_id: str) -> bool:
        """Whether the collection covers the account (``--accounts``), in whichever shard."""
        return self.options.accounts is None or account_id in self.options.accounts

    def _wanted(self, account_id: str) -> bool:
        """Whether this collection scans the account: in scope and in its shard."""
        shard = self.options.shard
        return self._in_scope(account_id) and (shard is None or shard.holds(account_id))

    def _scan(self, account_id: str, name: str | None) -> AccountScan:
        scan = self.scans[account_id] = AccountScan(account_id, name)
        self.progress.expand(1)
        return scan

    def _settle(self, scan: AccountScan, answered: int = 1) -> None:
        """``answered`` calls of the account's trail collection are in; done when none is left."""
        scan.pending -= answered
        if scan.pending == 0:
            self.progress.advance(1)

    def _record(self, errors: list[dict[str, Any]], entry: dict[str, Any]) -> None:
        errors.append(entry)
        self.progress.advance(0, errors=1)

    # -- organization ----------------------------------------------------------------------

    def _describe_organization(self) -> Task:
        def work() -> Merge:
            found = attempt(lambda: describe_organization(self._caller_client("organizations")))

            def merge() -> list[Task]:
                if isinstance(found, Failure):
                    self._record(self.org_wide_errors, found.entry(None, "DescribeOrganization"))
                else:
                    self.organization = found
                return []
            return merge
        return work

    def _list_accounts(self, token: str | None) -> Task:
        def work() -> Merge:
            page = attempt(lambda: list_accounts_page(self._caller_client("organizations"), token))

            def merge() -> list[Task]:
                if isinstance(page, Failure):
                    self.listing_failed = True
                    self._record(self.listing_errors, page.entry(None, "ListAccounts"))
                    unlisted = sorted(a for a in set(self.options.accounts or ()) - set(self.scans)
                                      if self._wanted(a))
                    return [self._open(self._scan(a, None), None) for a in unlisted]
                accounts, next_token = page
                tasks = [self._list_accounts(next_token)] if next_token else []
                for account in accounts:
                    self.listed[account.account_id] = account
                    scan = self.scans.get(account.account_id)
                    if scan is not None:
                        scan.name = account.name
                    elif account.active and self._wanted(account.account_id):
                        tasks.append(self._open(self._scan(account.account_id, account.name), None))
                    elif account.active and self._in_scope(account.account_id):
                        self.elsewhere.setdefault(account.account_id, None)
                return tasks
            return merge
        return work

    def _caller_client(self, service: str) -> Any:
        """A client of the caller's account in the region of global calls."""
        return self.clients.client(service, self.clients.global_region, self.clients.caller_credentials)

    # -- accounts --------------------------------------------------------------------------

    def _open(self, scan: AccountScan, credentials: Credentials | None) -> Task:
        """Enter the account (AssumeRole unless ``credentials``) and learn its regions."""
        assert self.caller is not None
        role_arn = member_role_arn(self.caller.partition, scan.account_id, self.options.role_name)
        global_region = self.clients.global_region

        def work() -> Merge:
            entered: Credentials | Failure = credentials if credentials is not None else attempt(
                lambda: assume_member_role(self._caller_client("sts"), role_arn, self.options.external_id))
            regions: list[str] | Failure | None = list(self.options.regions or ()) or None
            if regions is None and not isinstance(entered, Failure):
                account = entered
                regions = attempt(lambda: enabled_regions(self.clients.client("ec2", global_region, account)))

            def merge() -> list[Task]:
                scan.pending = 1
                if isinstance(entered, Failure):
                    self._record(scan.errors, entered.entry(None, "AssumeRole"))
                    scan.regions = regions if isinstance(regions, list) else None
                    self._settle(scan)
                    return []
                scan.credentials = entered
                if isinstance(regions, Failure):
                    self._record(scan.errors, regions.entry(None, "DescribeRegions"))
                    self._settle(scan)
                    return []
                scan.regions = regions
                tasks = [self._describe_trails(scan, entered, region) for region in regions or []]
                scan.pending += len(tasks)
                self._settle(scan)
                return tasks
            return merge
        return work

    def _describe_trails(self, scan: AccountScan, credentials: Credentials, region: str) -> Task:
        def work() -> Merge:
            trails = attempt(lambda: describe_trails(self.clients.client("cloudtrail", region, credentials)))

            def merge() -> list[Task]:
                if isinstance(trails, Failure):
                    self._record(scan.errors, trails.entry(region, "DescribeTrails"))
                    self._settle(scan)
                    return []
                tasks = [task for trail in trails if self.registry.seen(scan.account_id, trail)
                         for task in self._read_trail(scan, trail, credentials, counted=True)]
                scan.pending += len(tasks)
                self._settle(scan)
                return tasks
            return merge
        return work

    # -- trails ----------------------------------------------------------------------------

    def _read_trail(self, listed_under: AccountScan, trail: dict[str, Any],
                    credentials: Credentials, counted: bool = False) -> list[Task]:
        """List the trail under its account and fetch its status and selectors; ``counted``:
        the account's trail collection waits for these calls (see :meth:`_settle`)."""
        arn = trail["TrailARN"]
        record = listed_under.trails[arn] = dict(trail)
        region = home_region_of(trail)
        return [self._trail_detail(listed_under, record, operation, fetch, credentials, region, counted)
                for operation, fetch in TRAIL_DETAILS]

    def _trail_detail(self, listed_under: AccountScan, record: dict[str, Any], operation: str,
                      fetch: TrailDetail, credentials: Credentials, region: str, counted: bool) -> Task:
        arn = record["TrailARN"]

        def work() -> Merge:
            found = attempt(lambda: fetch(self.clients.client("cloudtrail", region, credentials), arn))

            def merge() -> list[Task]:
                if isinstance(found, Failure):
                    self._record(listed_under.errors, found.entry(region, operation, arn))
                else:
                    record.update(found)
                if counted:
                    self._settle(listed_under)
                return []
            return merge
        return work

    def _place_unclaimed(self) -> list[Task]:
        """Second round: trails only non-owners saw (see :class:`TrailRegistry`)."""
        tasks: list[Task] = []
        org_trail_seen = False
        for placement in self.registry.unclaimed(set(self.scans)):
            reader = self.scans[placement.read_by]
            assert reader.credentials is not None, "an account that saw a trail was entered"
            tasks += self._read_trail(self.scans[placement.listed_under], placement.trail,
                                      reader.credentials)
            org_trail_seen = org_trail_seen or bool(placement.trail.get("IsOrganizationTrail"))
        if org_trail_seen and self.organization is None and not self.options.org:
            tasks.append(self._describe_organization())
        return tasks

    # -- monitoring ------------------------------------------------------------------------

    def _collect_monitoring(self, pool: ThreadPoolExecutor, started: datetime) -> None:
        """Rounds of reads until the plan needs nothing new (see the module doc)."""
        everything = "monitoring" in self.options.with_families
        done: set[PlacedRead] = set()
        judge: AlertJudge | None = None
        while True:
            snapshot = parse_snapshot(self._document(started, planning=True), "the live collection")
            judge = AlertJudge(snapshot) if judge is None else judge.with_snapshot(snapshot)
            wanted = monitoring_plan(self.rules, snapshot, everything, judge).without(done)
            if not wanted:
                return
            done.update(wanted)
            entered = [a for a, scan in self.scans.items() if scan.credentials is not None]
            visiting = wanted.for_accounts(self.elsewhere)
            _run(pool, [self._enter_visited(a) for a in visiting.owners if a not in self.visits])
            entered += [a for a in visiting.owners if self.visits[a].credentials is not None]
            _run(pool, [self._monitoring_read(placed) for placed in wanted.for_accounts(entered)])

    def _enter_visited(self, account_id: str) -> Task:
        """Enter an account of another shard whose data this shard's chains need (once)."""
        visit = self.visits[account_id] = AccountScan(account_id, None, regions=[])
        credentials = self.elsewhere[account_id]
        assert self.caller is not None
        role_arn = member_role_arn(self.caller.partition, account_id, self.options.role_name)

        def work() -> Merge:
            entered = credentials if credentials is not None else attempt(
                lambda: assume_member_role(self._caller_client("sts"), role_arn, self.options.external_id))

            def merge() -> list[Task]:
                if isinstance(entered, Failure):
                    self._record(visit.errors, entered.entry(None, "AssumeRole"))
                else:
                    visit.credentials = entered
                return []
            return merge
        return work

    def _monitoring_read(self, placed: PlacedRead) -> Task:
        """One planned read, with the owner's credentials in the resource's Region."""
        owner = self._holder(placed.account_id)
        assert owner.credentials is not None
        credentials = owner.credentials

        def work() -> Merge:
            result = perform(placed, self.clients.client(service_of(placed.read), placed.region, credentials))

            def merge() -> list[Task]:
                for entry in owner.monitoring.record(result):
                    self._record(owner.errors, entry)
                return []
            return merge
        return work

    # -- storage ---------------------------------------------------------------------------

    def _collect_storage(self, pool: ThreadPoolExecutor, started: datetime) -> None:
        """The storage reads of the trails found (see :mod:`checker.inputs.live.storage`); with
        ``--shard``, those of this shard's trails in other shards' accounts are visits."""
        snapshot = parse_snapshot(self._document(started), "the live collection")
        entered = {a: scan.credentials for a, scan in self.scans.items() if scan.credentials is not None}
        elsewhere = Elsewhere(sorted(self.elsewhere), lambda accounts: self._enter_all(pool, accounts),
                              self.options.workers) if self.elsewhere else None
        collected = collect_storage(self.rules, self.families, self.options.with_families, snapshot, entered,
                                    self.clients, pool, elsewhere)
        for account_id, data in collected.accounts.items():
            self._holder(account_id).storage = data.document()
        for account_id, entries in sorted(collected.errors.items()):
            for entry in entries:
                self._record(self._holder(account_id).errors, entry)

    def _enter_all(self, pool: ThreadPoolExecutor, accounts: Sequence[str]) -> dict[str, Credentials]:
        """Enter accounts of other shards (those not visited yet); the credentials of those entered."""
        _run(pool, [self._enter_visited(a) for a in accounts if a not in self.visits])
        return {a: credentials for a in accounts if (credentials := self.visits[a].credentials) is not None}

    def _holder(self, account_id: str) -> AccountScan:
        """Where data read in an account goes: its scan, or this shard's visit of it."""
        return self.scans.get(account_id) or self.visits[account_id]

    # -- the document ----------------------------------------------------------------------

    def _document(self, started: datetime, planning: bool = False) -> dict[str, Any]:
        """The snapshot of what is collected so far (it changes nothing, so the monitoring
        plan may read it between rounds). ``planning``: with the accounts of other shards
        visited so far among the accounts (no Regions, no trails), so that the chains of
        this shard's accounts can be followed through what was read there."""
        assert self.caller is not None
        self._report_unscanned_requests()
        caller_scan = self.scans.get(self.caller.account_id)
        listing_concerns = {caller_scan.account_id} if caller_scan else set(self.scans)
        discovered = sorted({r for scan in self.scans.values() for r in scan.regions or ()})
        document: dict[str, Any] = {
            "format": SNAPSHOT_FORMAT,
            "collected_at": iso(started),
            "partition": self.caller.partition,
        }
        if self.families != {"trails"}:
            document["contents"] = [family for family in FAMILIES if family in self.families]
        if self.organization is not None:
            document["organization"] = self.organization
        document["accounts"] = [
            self.scans[a].document(discovered, [*self.org_wide_errors,
                                                *(self.listing_errors if a in listing_concerns else ())])
            for a in sorted(self.scans)]
        visits = [self.visits[a] for a in sorted(self.visits)]
        if planning:
            document["accounts"] += [visit.document([], ()) for visit in visits]
        elif self.options.shard is not None:
            document["shard"] = {"index": self.options.shard.index, "count": self.options.shard.count,
                                 "visits": [visit.visit_document() for visit in visits]}
        return document

    def _report_unscanned_requests(self) -> None:
        """An account asked for with ``--accounts`` but not ACTIVE in the organization is an
        error entry of its own, never silently dropped (once, however often it is asked)."""
        if not self.options.org or self.listing_failed:
            return
        for account_id in sorted(a for a in set(self.options.accounts or ()) - set(self.scans) if self._wanted(a)):
            listed = self.listed.get(account_id)
            if listed is None:
                code, message = "AccountNotInOrganization", "not an account of the organization"
            else:
                code, message = "AccountNotActive", f"account state is {listed.state}, not ACTIVE"
            scan = self._scan(account_id, listed.name if listed else None)
            scan.regions = []
            self._record(scan.errors, Failure(code, message).entry(None, "ListAccounts"))
            self.progress.advance(1)


def _run(pool: ThreadPoolExecutor, tasks: list[Task]) -> None:
    """Run tasks and every task their merges yield until none is left.

    Finished calls arrive through a queue, so each costs O(1) here: ``wait()`` over the
    pending set would cost O(pending) per answer, and a large organization queues tens
    of thousands of calls (``benchmarks/scheduler.py``: 16,000 queued calls cost 10 s
    of CPU that way, 1 s this way).
    """
    finished: queue.SimpleQueue[Future[Merge]] = queue.SimpleQueue()
    outstanding = 0

    def submit(more: list[Task]) -> None:
        nonlocal outstanding
        for task in more:
            pool.submit(task).add_done_callback(finished.put)
            outstanding += 1

    submit(tasks)
    while outstanding:
        future = finished.get()
        outstanding -= 1
        submit(future.result()())
