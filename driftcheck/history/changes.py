"""What changed between two runs: drift that is new, resolved, persisting, or could not be told (unchecked).

An *item* is one field difference of a drifted pipeline (per pipeline and API path; ignored differences are no
drift and no item) or one pipeline-level status: missing, unmanaged or error. Pipelines are matched by
:func:`driftcheck.history.identity.identity` (a report without accounts matches on the rest).

* **new**: in the newer run, not in the older one;
* **resolved**: in the older run, and the pipeline was checked again in the newer one without it;
* **persisting**: in both; ``since`` is when it was first seen: the ``since`` the older report carries for it
  (from its own ``--previous``), else the older report's ``generated_at``, so a chain of nightly runs keeps
  the first-seen date. A persisting difference whose values changed says what they ``were``;
* **unchecked**: in the older run, but the newer one could not tell: a difference of a pipeline that is missing
  or an error there, or any item of a pipeline not in the newer report at all. Neither resolved nor persisting.

A status item that gives way to another (missing, then an error) is resolved, and the other is new; an unmanaged
pipeline that a declaration of the newer run now manages (same ARN) is resolved.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from driftcheck.history.identity import Identity, canonical, compatible, identity, loose
from driftcheck.model import Location, PipelineResult, RunResult, Status


class ChangeKind(str, enum.Enum):
    """How an item changed between the older and the newer run."""

    NEW = "new"
    RESOLVED = "resolved"
    PERSISTING = "persisting"
    UNCHECKED = "unchecked"


KIND_ORDER = tuple(ChangeKind)
_STATUS_ITEMS = (Status.MISSING, Status.UNMANAGED, Status.ERROR)


@dataclass(frozen=True)
class Change:
    """One item and how it changed. ``path`` is None for a pipeline-level status (missing, unmanaged, error).

    ``status``, ``declared``, ``live``, ``detail`` and the pipeline fields come from the newer run for new and
    persisting items, from the older one for resolved and unchecked items. ``detail``: the error of an error
    item, or why an unchecked item could not be told.
    """

    change: ChangeKind
    id: str
    name: str | None
    account: str | None
    region: str | None
    source: Location | None
    status: Status
    path: str | None
    since: datetime
    declared: Any = None
    live: Any = None
    was: tuple[Any, Any] | None = None  # persisting difference whose values changed: (declared, live) before
    detail: str | None = None

    @property
    def key(self) -> tuple[Identity, str, str]:
        """The item's identity: its pipeline's, then the path (or the status, for a status item)."""
        identity_key = (self.account or "", self.region or "", self.id, self.source.file if self.source else "")
        return (identity_key, *_item_slot(self.path, self.status))


@dataclass(frozen=True)
class Comparison:
    """A run compared with an older report: ``previous_file`` as given, its ``generated_at``, the changes."""

    previous_file: str
    previous_generated_at: datetime
    changes: tuple[Change, ...]

    def of(self, kind: ChangeKind) -> tuple[Change, ...]:
        """The changes of one kind, in report order."""
        return tuple(c for c in self.changes if c.change is kind)

    def counts(self) -> dict[str, int]:
        """Changes per kind, every kind present (zero included)."""
        counts = {kind.value: 0 for kind in ChangeKind}
        for change in self.changes:
            counts[change.change.value] += 1
        return counts


def _item_slot(path: str | None, status: Status) -> tuple[str, str]:
    return ("field", path) if path is not None else ("status", status.value)


def ordered_changes(changes: Iterable[Change]) -> tuple[Change, ...]:
    """Changes in report order: by kind (new, resolved, persisting, unchecked), pipeline, then path."""
    rank = {kind: index for index, kind in enumerate(KIND_ORDER)}
    return tuple(sorted(changes, key=lambda c: (rank[c.change], c.id, c.region or "", c.account or "",
                                                c.source.file if c.source else "", c.path is not None, c.path or "", c.status.value)))


@dataclass(frozen=True)
class _Item:
    pipeline: PipelineResult
    path: str | None
    declared: Any = None
    live: Any = None


def _items(pipeline: PipelineResult) -> Iterator[_Item]:
    if pipeline.status in _STATUS_ITEMS:
        yield _Item(pipeline, None)
    for difference in pipeline.differences:
        yield _Item(pipeline, difference.path, difference.declared, difference.live)


def _slot(item: _Item) -> tuple[str, str]:
    return _item_slot(item.path, item.pipeline.status)


def _change(kind: ChangeKind, item: _Item, since: datetime, **extra: Any) -> Change:
    pipeline = item.pipeline
    return Change(
        change=kind, id=pipeline.id, name=pipeline.name, account=pipeline.account, region=pipeline.region,
        source=pipeline.source, status=pipeline.status, path=item.path, since=since,
        declared=item.declared, live=item.live,
        detail=extra.pop("detail", pipeline.error if item.path is None else None), **extra,
    )


def _match(older: Iterable[PipelineResult], newer: Iterable[PipelineResult]) -> tuple[list[tuple[PipelineResult, PipelineResult | None]], list[PipelineResult]]:
    """Pairs (older pipeline, its newer one or None) and the newer pipelines no older one matched.

    Exact identity first; then, where one side knows no account or region, a compatible identity
    (:func:`driftcheck.history.identity.compatible`) when exactly one is left.
    """
    newer = list(newer)
    exact: dict[Identity, list[PipelineResult]] = {}
    by_loose: dict[tuple[str, str], list[PipelineResult]] = {}
    for pipeline in newer:
        exact.setdefault(identity(pipeline), []).append(pipeline)
        by_loose.setdefault(loose(identity(pipeline)), []).append(pipeline)
    taken: set[int] = set()
    pairs: list[tuple[PipelineResult, PipelineResult | None]] = []
    pending: list[PipelineResult] = []
    for pipeline in older:
        candidates = [p for p in exact.get(identity(pipeline), []) if id(p) not in taken]
        if candidates:
            taken.add(id(candidates[0]))
            pairs.append((pipeline, candidates[0]))
        else:
            pending.append(pipeline)
    for pipeline in pending:
        key = identity(pipeline)
        candidates = [p for p in by_loose.get(loose(key), []) if id(p) not in taken and compatible(key, identity(p))]
        if len(candidates) == 1:
            taken.add(id(candidates[0]))
            pairs.append((pipeline, candidates[0]))
        else:
            pairs.append((pipeline, None))
    unmatched = [p for p in newer if id(p) not in taken]
    return pairs, unmatched


class _SinceLookup:
    """First-seen dates of the older run's items: from its own comparison (new and persisting), else its generated_at."""

    def __init__(self, older: RunResult) -> None:
        self.default = older.generated_at
        self.exact: dict[tuple[Any, ...], datetime] = {}
        self.loose: dict[tuple[Any, ...], list[tuple[Identity, datetime]]] = {}
        for change in older.previous.changes if older.previous is not None else ():
            if change.change in (ChangeKind.NEW, ChangeKind.PERSISTING):
                key, *slot = change.key
                self.exact[(key, *slot)] = change.since
                self.loose.setdefault((loose(key), *slot), []).append((key, change.since))

    def since(self, item: _Item) -> datetime:
        key, slot = identity(item.pipeline), _slot(item)
        found = self.exact.get((key, *slot))
        if found is not None:
            return found
        candidates = [when for other, when in self.loose.get((loose(key), *slot), []) if compatible(key, other)]
        return candidates[0] if len(candidates) == 1 else self.default


def compare_runs(older: RunResult, newer: RunResult, previous_file: str) -> Comparison:
    """The changes from ``older`` (read from ``previous_file``) to ``newer``."""
    since = _SinceLookup(older)
    changes: list[Change] = []
    pairs, unmatched = _match(older.pipelines, newer.pipelines)
    arns = {p.arn for p in newer.pipelines if p.arn and p.status is not Status.UNMANAGED}
    for old_pipeline, new_pipeline in pairs:
        old_items = {_slot(item): item for item in _items(old_pipeline)}
        if new_pipeline is None and old_pipeline.status is Status.UNMANAGED and old_pipeline.arn in arns:
            # unmanaged then, declared now: no longer unmanaged
            changes += [_change(ChangeKind.RESOLVED, item, since.since(item)) for item in old_items.values()]
            continue
        if new_pipeline is None:
            changes += [_change(ChangeKind.UNCHECKED, item, since.since(item), detail="the pipeline is not in the newer report")
                        for item in old_items.values()]
            continue
        new_items = {_slot(item): item for item in _items(new_pipeline)}
        for slot, item in old_items.items():
            if slot in new_items:
                continue
            if item.path is None or new_pipeline.status in (Status.IN_SYNC, Status.DRIFTED):
                changes.append(_change(ChangeKind.RESOLVED, item, since.since(item)))
            else:  # its fields were not compared: missing, or an error
                why = "the pipeline is missing" if new_pipeline.status is Status.MISSING else new_pipeline.error or "an error"
                changes.append(_change(ChangeKind.UNCHECKED, item, since.since(item), detail=f"not compared in the newer run: {why}"))
        for slot, item in new_items.items():
            old = old_items.get(slot)
            if old is None:
                changes.append(_change(ChangeKind.NEW, item, newer.generated_at))
                continue
            was = None
            if item.path is not None and (canonical(old.declared), canonical(old.live)) != (canonical(item.declared), canonical(item.live)):
                was = (old.declared, old.live)
            changes.append(_change(ChangeKind.PERSISTING, item, since.since(old), was=was))
    for pipeline in unmatched:
        changes += [_change(ChangeKind.NEW, item, newer.generated_at) for item in _items(pipeline)]
    return Comparison(previous_file=previous_file, previous_generated_at=older.generated_at, changes=ordered_changes(changes))
