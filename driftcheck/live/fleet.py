"""Live state from several AWS accounts: one :class:`~driftcheck.live.aws_reader.AwsLiveReader` per account.

Each declared pipeline is placed in one account, never by a silent guess, in this order:

1. the account its ARN names (``--state``, a stack, a pipeline file's ``arn``);
2. its Terraform provider's ``assume_role`` / ``profile`` (aliases included);
3. the accounts-file entry whose ``paths`` cover its file (the longest matching path wins);
4. the run's only account;
5. otherwise it is looked up in every account of the run: found in exactly one, that one; in several,
   an error naming them; in none, missing (the note lists the accounts searched); an account that could
   not be read makes it an error, since it may be there.

An account whose role cannot be assumed (access denied, a wrong external id, STS unreachable) makes its
own pipelines ``error`` entries with the reason; every other account is still read. Unmanaged discovery
runs in every account of the run (not in accounts only a provider names), each in its regions.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields, replace
from typing import Any

from driftcheck.live.accounts import AccountTarget, Connection, arn_account, connect, from_provider
from driftcheck.live.aws_reader import AwsLiveReader
from driftcheck.live.outcome import LiveOutcome, LiveResult, LiveStatus
from driftcheck.live.session import AwsSettings
from driftcheck.model import DeclaredPipeline, InputError

MAX_ACCOUNTS_IN_PARALLEL = 4   # each account's reader has its own thread pool and pacer


@dataclass(frozen=True)
class AccountOutcome(LiveOutcome):
    """A LiveOutcome that knows the account it was read (or looked for) in."""

    account: str | None = None


def _with_account(outcome: LiveOutcome, account: str | None) -> AccountOutcome:
    copied = {f.name: getattr(outcome, f.name) for f in fields(LiveOutcome)}   # every field, should LiveOutcome grow
    return AccountOutcome(**copied, account=account or getattr(outcome, "account", None))


_SEARCH = object()   # "look it up in every account of the run"


class FleetReader:
    """A LiveReader over several accounts. ``targets``: the run's accounts (none: the AWS chain's credentials)."""

    def __init__(self, settings: AwsSettings, targets: Sequence[AccountTarget] = (), *,
                 reader_options: Mapping[str, Any] | None = None,
                 reader_factory: Callable[[AwsSettings, AccountTarget], Any] | None = None) -> None:
        self.base = settings
        self.targets = list(targets) or [AccountTarget(origin="the AWS credential chain", default=True)]
        self._options = dict(reader_options or {})
        self._factory = reader_factory or self._reader
        self.connections: list[Connection] = []

    def _reader(self, settings: AwsSettings, target: AccountTarget) -> Any:
        """One account's AwsLiveReader; an accounts-file entry's ``regions`` replace the run's for that account."""
        options = dict(self._options)
        if target.regions:
            options["regions"] = target.regions
            settings = replace(settings, region=settings.region if settings.region in target.regions else target.regions[0])
        return AwsLiveReader(settings, **options)

    # ------------------------------------------------------------------ placement
    def _provider_target(self, pipeline: DeclaredPipeline) -> AccountTarget | None:
        if pipeline.provider_account is None:
            return None
        own = from_provider(pipeline.provider_account)
        return next((t for t in self.targets if not t.default and t.identity == own.identity), own)

    def _path_target(self, pipeline: DeclaredPipeline) -> AccountTarget | str | None:
        """The accounts-file entry whose paths cover the pipeline's file (longest path), or why it is ambiguous."""
        file = os.path.abspath(pipeline.location.file)
        best: list[tuple[int, AccountTarget]] = []
        for target in self.targets:
            for path in target.paths:
                root = os.path.abspath(path)
                if file == root or file.startswith(root.rstrip(os.sep) + os.sep):
                    best.append((len(root), target))
        if not best:
            return None
        longest = max(length for length, _ in best)
        winners = {t.identity: t for length, t in best if length == longest}
        if len(winners) > 1:
            return f"the accounts file gives its file to several accounts: {', '.join(t.describe() for t in winners.values())}"
        return next(iter(winners.values()))

    def placement_key(self, pipeline: DeclaredPipeline) -> str | None:
        """What tells this pipeline's account apart before any call (for the same-pipeline-twice check)."""
        account = arn_account(pipeline.arn)
        if account:
            return account
        target = self._provider_target(pipeline)
        if target is None:
            found = self._path_target(pipeline)
            target = found if isinstance(found, AccountTarget) else None
        if target is None:
            return None
        return target.account_id or repr(target.identity)

    def _place(self, pipeline: DeclaredPipeline, run: list[Connection], by_identity: dict) -> Connection | str | object:
        account = arn_account(pipeline.arn)
        provider = self._provider_target(pipeline)
        own = by_identity[provider.identity] if provider is not None else None
        if account:
            if own is not None and own.account_id in (account, None):
                return own
            if own is not None:
                return (f"its ARN names account {account}, but its provider ({own.target.origin}) reads account "
                        f"{own.account_id}")
            hits = [c for c in run if c.account_id == account]
            if hits:
                return hits[0]
            if len(run) == 1 and run[0].account_id is None:
                return run[0]
            return (f"its ARN names account {account}, which is none of this run's accounts "
                    f"({', '.join(c.label for c in run)}); add it with --assume-role, --profile or the accounts file")
        if own is not None:
            return own
        found = self._path_target(pipeline)
        if isinstance(found, str):
            return found
        if found is not None:
            return by_identity[found.identity]
        return run[0] if len(run) == 1 else _SEARCH

    # ------------------------------------------------------------------ the whole read
    def read(self, pipelines: Iterable[DeclaredPipeline], *, unmanaged: bool) -> LiveResult:
        declared = [p for p in pipelines if p.error is None]
        run_targets = _unique(self.targets)
        extra = _unique([t for t in (self._provider_target(p) for p in declared) if t is not None
                         and t.identity not in {r.identity for r in run_targets}])
        several = len(run_targets) + len(extra) > 1
        with ThreadPoolExecutor(max_workers=MAX_ACCOUNTS_IN_PARALLEL, thread_name_prefix="driftcheck-sts") as pool:
            connections = list(pool.map(lambda t: connect(t, self.base, identify=several), [*run_targets, *extra]))
        self.connections = connections
        by_identity = {c.target.identity: c for c in connections}
        run = connections[:len(run_targets)]

        outcomes: dict[str, LiveOutcome] = {}
        assigned: dict[int, list[DeclaredPipeline]] = {id(c): [] for c in connections}
        search: list[DeclaredPipeline] = []
        for pipeline in declared:
            place = self._place(pipeline, run, by_identity)
            if place is _SEARCH:
                search.append(pipeline)
            elif isinstance(place, str):
                outcomes[pipeline.key] = AccountOutcome(LiveStatus.ERROR, error=f"cannot place it in an account: {place}",
                                                        region=pipeline.region)
            else:
                assigned[id(place)].append(pipeline)

        listing_errors: list[str] = []
        jobs = []
        for connection in connections:
            is_run = any(connection is c for c in run)
            members = assigned[id(connection)] + (search if is_run else [])
            if connection.settings is None:
                for pipeline in assigned[id(connection)]:
                    outcomes[pipeline.key] = AccountOutcome(LiveStatus.ERROR, error=connection.error,
                                                            region=pipeline.region, account=connection.account_id)
                if unmanaged and is_run:
                    listing_errors.append(f"cannot list pipelines for --unmanaged: {connection.error}")
                continue
            if members or (unmanaged and is_run):
                jobs.append((connection, members, unmanaged and is_run))
        with ThreadPoolExecutor(max_workers=MAX_ACCOUNTS_IN_PARALLEL, thread_name_prefix="driftcheck-account") as pool:
            results = list(pool.map(lambda job: self._read_one(*job), jobs))

        unmanaged_found = []
        errors: list[InputError] = []
        per_search: dict[str, list[tuple[Connection, LiveOutcome]]] = {p.key: [] for p in search}
        search_keys = set(per_search)
        for (connection, members, _), result in zip(jobs, results):
            for pipeline in members:
                outcome = result.outcomes.get(pipeline.key)
                if outcome is None:
                    continue
                if pipeline.key in search_keys:
                    per_search[pipeline.key].append((connection, outcome))
                else:
                    outcomes[pipeline.key] = _with_account(outcome, connection.account_id)
            unmanaged_found += list(result.unmanaged)
            errors += list(result.errors)
            listing_errors += [f"account {connection.label}: {message}" for message in result.listing_errors]
        unreadable = [c for c in run if c.settings is None]
        for pipeline in search:
            outcomes[pipeline.key] = _searched(pipeline, per_search[pipeline.key], run, unreadable)
        return LiveResult(outcomes=outcomes, unmanaged=_once(unmanaged_found), errors=tuple(errors),
                          listing_errors=tuple(listing_errors))

    def _read_one(self, connection: Connection, members: list[DeclaredPipeline], unmanaged: bool) -> LiveResult:
        reader = self._factory(connection.settings, connection.target)
        return reader.read(members, unmanaged=unmanaged)

    @property
    def account_labels(self) -> tuple[str, ...]:
        """The accounts of this run as reports name them (ids, else profile names); never a credential."""
        return tuple(dict.fromkeys(c.label for c in self.connections)) if self.connections else ()


def _unique(targets: Iterable[AccountTarget]) -> list[AccountTarget]:
    seen: dict[tuple[object, ...], AccountTarget] = {}
    for target in targets:
        seen.setdefault(target.identity, target)
    return list(seen.values())


def _once(pipelines: list) -> tuple:
    seen: set[str] = set()
    found = []
    for pipeline in pipelines:
        arn = str(pipeline.get("arn", ""))
        if arn not in seen:
            seen.add(arn)
            found.append(pipeline)
    return tuple(found)


def _searched(pipeline: DeclaredPipeline, seen: list[tuple[Connection, LiveOutcome]], run: list[Connection],
              unreadable: list[Connection]) -> AccountOutcome:
    """One outcome from a pipeline looked up in every account of the run."""
    found = [(c, o) for c, o in seen if o.status is LiveStatus.FOUND]
    failed = [(c, o) for c, o in seen if o.status is LiveStatus.ERROR]
    names = ", ".join(c.label for c in run)
    if len(found) == 1 and not failed and not unreadable:
        connection, outcome = found[0]
        return _with_account(outcome, connection.account_id)
    if len(found) > 1:
        return AccountOutcome(LiveStatus.ERROR, region=found[0][1].region, error=(
            f"found in several accounts ({', '.join(c.label for c, _ in found)}): say which one it is (its ARN in --state, "
            "its provider's assume_role, or the accounts file's paths)"))
    problems = [f"account {c.label}: {o.error}" for c, o in failed] + [str(c.error) for c in unreadable]
    if problems:
        where = f"found in account {found[0][0].label}, but " if found else "not found in the accounts read, and "
        return AccountOutcome(LiveStatus.ERROR, region=pipeline.region, error=(
            f"looked up in every account of the run ({names}): {where}it may be in an account that could not be read: "
            + "; ".join(problems)))
    why = seen[0][1].error if seen and seen[0][1].error else "not found"
    return AccountOutcome(LiveStatus.MISSING, region=seen[0][1].region if seen else pipeline.region,
                          error=f"{why}, in any account of this run ({names})")
