"""One report from the reports of parallel shards (``driftcheck merge``).

* Pipelines are combined; a pipeline in several shards (same identity, :mod:`driftcheck.history.identity`:
  account, region, id, declaring file) is kept once with a note naming the shards when every shard found the
  same, and becomes one ``error`` entry naming the shards and what each found when they disagree. (An unmanaged
  pipeline that several shards listed alike is kept once without a note: each shard lists its regions.)
* A pipeline one shard found unmanaged that another shard declares (same ARN) is not unmanaged: shards split by
  path each see the others' pipelines as unmanaged. A run note says which were dropped.
* Input errors are combined (one that several shards met is kept once); a run note that every shard made is
  kept once, one that only some made is prefixed with its shard's file.
* The run context is merged: accounts, regions and inputs unioned, ``started_at`` the earliest, the duration
  the longest (shards run side by side, so the audit took as long as its slowest shard), ``generated_at`` the
  latest; the exit code is the merge's own (the CLI recomputes it from the merged pipelines).
* ``--previous`` comparisons the shards carry are combined when every shard has one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from driftcheck import __version__
from driftcheck.errors import DriftcheckError
from driftcheck.history.changes import Change, ChangeKind, Comparison, ordered_changes
from driftcheck.history.identity import Identity, canonical, identity
from driftcheck.history.report_file import LoadedReport
from driftcheck.model import InputError, PipelineResult, RunContext, RunResult, Status

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # a placeholder: only the pipeline part of the document is used


def _document(pipeline: PipelineResult) -> str:
    from driftcheck.reports.json_report import build_document

    # the JSON report's own view of a pipeline: what "the same result" means is what the report would show
    entry = build_document(RunResult(pipelines=(pipeline,), input_errors=(), generated_at=_EPOCH, tool_version=""))["pipelines"][0]
    return canonical(entry)


def _describe(pipeline: PipelineResult) -> str:
    if pipeline.status is Status.DRIFTED:
        paths = ", ".join(d.path for d in sorted(pipeline.differences, key=lambda d: d.path))
        return f"drifted ({paths})"
    if pipeline.status is Status.ERROR:
        return f"error ({pipeline.error})"
    return pipeline.status.value.replace("_", " ")


def _shard_list(files: Sequence[str]) -> str:
    return ", ".join(files)


def _combine(entries: list[tuple[str, PipelineResult]]) -> list[PipelineResult]:
    """The entries of one identity: as they are when one shard has them; else kept once, or one error entry."""
    files = list(dict.fromkeys(file for file, _ in entries))
    if len(files) == 1:
        return [pipeline for _, pipeline in entries]
    documents = {_document(pipeline) for _, pipeline in entries}
    first = entries[0][1]
    if len(documents) == 1 and first.status is Status.UNMANAGED:
        return [first]  # every shard lists the live pipelines of its accounts and regions: no double check
    if len(documents) == 1:
        note = f"checked in {len(files)} shards ({_shard_list(files)}) with the same result: kept once"
        return [replace(first, notes=first.notes + (note,))]
    found = "; ".join(f"{file}: {_describe(pipeline)}" for file, pipeline in entries)
    return [PipelineResult(
        id=first.id, name=first.name, status=Status.ERROR, arn=first.arn, region=first.region, source=first.source,
        account=first.account, source_kind=first.source_kind,
        error=f"checked in {len(files)} shards ({_shard_list(files)}) with different results: {found}",
        notes=tuple(f"{file}: {note}" for file, pipeline in entries for note in pipeline.notes),
    )]


def _pipelines(shards: Sequence[LoadedReport], notes: list[str]) -> tuple[PipelineResult, ...]:
    groups: dict[Identity, list[tuple[str, PipelineResult]]] = {}
    for shard in shards:
        for pipeline in shard.result.pipelines:
            groups.setdefault(identity(pipeline), []).append((shard.file, pipeline))
    combined = [p for entries in groups.values() for p in _combine(entries)]
    # shards split by path: a pipeline one shard found unmanaged may be declared in another, so it is managed
    declared = {p.arn for p in combined if p.status is not Status.UNMANAGED and p.arn}
    managed = [p for p in combined if p.status is Status.UNMANAGED and p.arn in declared]
    if managed:
        arns = sorted({str(p.arn) for p in managed})
        more = f" and {len(arns) - 10} more" if len(arns) > 10 else ""
        notes.append(f"{len(arns)} live pipeline(s) unmanaged in one shard are declared in another, so not unmanaged: "
                     + ", ".join(arns[:10]) + more)
    dropped = {id(p) for p in managed}
    return tuple(p for p in combined if id(p) not in dropped)


def _input_errors(shards: Sequence[LoadedReport]) -> tuple[InputError, ...]:
    return tuple(dict.fromkeys(e for shard in shards for e in shard.result.input_errors))


def _notes(shards: Sequence[LoadedReport]) -> list[str]:
    everywhere = set.intersection(*(set(shard.result.notes) for shard in shards))
    notes: list[str] = []
    for shard in shards:
        notes += [note if note in everywhere else f"{shard.file}: {note}" for note in shard.result.notes]
    return list(dict.fromkeys(notes))


def _context(shards: Sequence[LoadedReport], notes: list[str]) -> RunContext:
    contexts = [(shard.file, shard.result.context) for shard in shards if shard.result.context is not None]
    sources = {context.live_source for _, context in contexts}
    dirs = {context.live_dir for _, context in contexts}
    if len(sources) > 1:
        offline = [file for file, context in contexts if context.live_source == "offline"]
        notes.append(f"shards read live state from AWS and offline ({_shard_list(offline)} offline)")
    durations = [c.duration_seconds for _, c in contexts if c.duration_seconds is not None]
    starts = [c.started_at for _, c in contexts if c.started_at is not None]
    return RunContext(
        live_source="offline" if sources == {"offline"} else "aws",
        live_dir=next(iter(dirs)) if sources == {"offline"} and len(dirs) == 1 else None,
        accounts=tuple(sorted({a for _, c in contexts for a in c.accounts} | {p.account for s in shards for p in s.result.pipelines if p.account})),
        regions=tuple(sorted({r for _, c in contexts for r in c.regions})),
        inputs=tuple(dict.fromkeys(i for _, c in contexts for i in c.inputs)),
        duration_seconds=max(durations) if durations else None,
        started_at=min(starts) if starts else None,
    )


def _previous(shards: Sequence[LoadedReport], notes: list[str], pipelines: Sequence[PipelineResult]) -> Comparison | None:
    carried = [shard.result.previous for shard in shards if shard.result.previous is not None]
    if not carried:
        return None
    if len(carried) < len(shards):
        without = [shard.file for shard in shards if shard.result.previous is None]
        notes.append(f"only some shards were checked with --previous ({_shard_list(without)} not): their comparisons are left out")
        return None
    unmanaged = {p.id for p in pipelines if p.status is Status.UNMANAGED}
    changes: dict[tuple[object, ...], Change] = {}
    for comparison in carried:
        for change in comparison.changes:
            if change.path is None and change.status is Status.UNMANAGED and change.change in (ChangeKind.NEW, ChangeKind.PERSISTING) \
                    and change.id not in unmanaged:
                continue  # unmanaged in its shard, declared in another: not unmanaged in the merged report
            changes.setdefault((change.key, change.change), change)
    return Comparison(
        previous_file=", ".join(dict.fromkeys(c.previous_file for c in carried)),
        previous_generated_at=min(c.previous_generated_at for c in carried),
        changes=ordered_changes(changes.values()),
    )


def merge_reports(shards: Sequence[LoadedReport]) -> RunResult:
    """One RunResult from the shards' reports, in the order given (see the module docstring)."""
    if not shards:
        raise DriftcheckError("merge needs at least one report")
    notes = _notes(shards)
    versions = list(dict.fromkeys(shard.result.tool_version for shard in shards))
    if len(versions) > 1:
        notes.append(f"shards were written by different driftcheck versions: {', '.join(versions)}")
    overrides = [(shard.file, shard.result.severity_overrides) for shard in shards if shard.result.severity_overrides]
    severity = dict(overrides[0][1]) if overrides else {}
    if any(list(o.items()) != list(severity.items()) for _, o in overrides) or (overrides and len(overrides) < len(shards)):
        notes.append(f"shards graded severity differently: the overrides of {overrides[0][0]} are used")
    pipelines = _pipelines(shards, notes)
    context = _context(shards, notes)
    previous = _previous(shards, notes, pipelines)
    return RunResult(
        pipelines=pipelines,
        input_errors=_input_errors(shards),
        generated_at=max(shard.result.generated_at for shard in shards),
        tool_version=versions[0] if len(versions) == 1 else __version__,
        notes=tuple(notes),
        severity_overrides=severity,
        context=context,
        previous=previous,
    )
