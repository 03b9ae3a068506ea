"""The check itself: declared pipelines + live state -> normalized -> diffed -> one RunResult.

This module only connects the stages; each stage lives in its own module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from driftcheck import __version__
from driftcheck.diff import compare, split_ignored
from driftcheck.live.accounts import arn_account
from driftcheck.live.fetch import LiveOutcome, LiveReader, LiveStatus, arn_region, arn_segment
from driftcheck.model import DeclaredPipeline, InputError, PipelineResult, RunResult, Status
from driftcheck.normalize import normalize, split_unresolved
from driftcheck.policy import Policy
from driftcheck.remediation import with_hints


def _name(pipeline: DeclaredPipeline) -> str | None:
    return pipeline.name if isinstance(pipeline.name, str) else None


def check_pipeline(declared: DeclaredPipeline, outcome: LiveOutcome | None) -> PipelineResult:
    """Compare one declared pipeline with its live outcome."""
    fields, unresolved = split_unresolved(declared.fields)
    base = dict(
        id=declared.id,
        name=_name(declared),
        arn=declared.arn,
        region=declared.region or (arn_region(declared.arn) if declared.arn else None),
        source=declared.location,
        source_kind=declared.source_kind,
        account=arn_account(declared.arn),
        unresolved=unresolved,
        notes=declared.notes,
    )
    if declared.error is not None:
        return PipelineResult(status=Status.ERROR, error=declared.error, **base)
    if outcome is None:
        return PipelineResult(status=Status.ERROR, error="no live state was read for this pipeline", **base)
    base["region"] = base["region"] or outcome.region   # where the reader looked: --region, the AWS chain...
    base["account"] = base["account"] or getattr(outcome, "account", None)   # the account it was read (or looked for) in
    if outcome.status is LiveStatus.MISSING:
        return PipelineResult(status=Status.MISSING, error=None, **{**base, "notes": declared.notes + ((outcome.error,) if outcome.error else ())})
    if outcome.status is LiveStatus.ERROR or outcome.pipeline is None:
        return PipelineResult(status=Status.ERROR, error=outcome.error or "live state could not be read", **base)
    live = outcome.pipeline
    normalized = normalize(fields, live, declared.source_kind, declared.partial_maps)
    differences, ignored = split_ignored(
        with_hints(declared.source_kind, compare(normalized.declared, normalized.live, declared.field_locations, declared.location)),
        declared.ignore_rules,
    )
    arn = str(live.get("arn")) if live.get("arn") else declared.arn
    return PipelineResult(
        status=Status.DRIFTED if differences else Status.IN_SYNC,
        differences=differences,
        ignored=ignored,
        **{
            **base,
            "arn": arn,
            "region": base["region"] or (arn_region(arn) if arn else None),
            "account": arn_account(arn) or base["account"],
            "name": base["name"] or (str(live.get("name")) if live.get("name") else None),
            "notes": declared.notes + normalized.notes,
        },
    )


PINNING_KIND = "driftcheck"  # pipeline files pin expectations on top of IaC: checked alongside it, never a clash


def _duplicates(pipelines: Iterable[DeclaredPipeline], account_of: Callable[[DeclaredPipeline], str | None] = lambda p: None) -> dict[str, str]:
    """Declared pipelines that claim the same live pipeline (same name, region and account): key -> message.

    Two IaC declarations (or two pipeline-file entries) of one pipeline are ambiguous; a pipeline file
    entry next to the IaC that manages the same pipeline is not: both are checked.
    """
    seen: dict[tuple[bool, str | None, str | None, str], DeclaredPipeline] = {}
    clashes: dict[str, str] = {}
    for pipeline in pipelines:
        if pipeline.error is not None or not isinstance(pipeline.name, str):
            continue
        slot = (pipeline.source_kind == PINNING_KIND, pipeline.region, account_of(pipeline), pipeline.arn or arn_segment(pipeline.name))
        other = seen.get(slot)
        if other is None:
            seen[slot] = pipeline
            continue
        clashes[pipeline.key] = f"declares the same pipeline as {other.id} ({other.location})"
        clashes.setdefault(other.key, f"declares the same pipeline as {pipeline.id} ({pipeline.location})")
    return clashes


def run_check(
    pipelines: Iterable[DeclaredPipeline],
    input_errors: Iterable[InputError],
    reader: LiveReader,
    *,
    unmanaged: bool = False,
    policy: Policy | None = None,
    clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
) -> RunResult:
    """Check every declared pipeline; with ``unmanaged``, also report live pipelines nothing declares.

    With ``policy``, its ignore rules (then its baseline) are applied to each pipeline right after it is
    compared, and the rules that matched nothing (and baseline entries that no longer occur) become run-level notes.
    """
    declared = list(pipelines)
    # a reader over several accounts knows which account each pipeline is read in, before reading
    clashes = _duplicates(declared, getattr(reader, "placement_key", None) or (lambda p: arn_account(p.arn)))
    declared = [
        DeclaredPipeline(**{**p.__dict__, "error": clashes[p.key]}) if p.key in clashes else p for p in declared
    ]
    live = reader.read(declared, unmanaged=unmanaged)
    results = [check_pipeline(p, live.outcomes.get(p.key)) for p in declared]
    notes: tuple[str, ...] = ()
    if policy is not None:
        used: set[int] = set()
        seen: set[tuple[str, ...]] = set()
        for index, result in enumerate(results):
            applied = policy.apply(result)
            results[index] = applied.pipeline
            used |= applied.used
            seen |= applied.seen
        notes = policy.unused_notes(used, seen)
    for pipeline in live.unmanaged:
        results.append(_unmanaged(pipeline))
    for message in live.listing_errors:
        results.append(PipelineResult(id="(unmanaged listing)", name=None, status=Status.ERROR, error=message))
    return RunResult(
        pipelines=tuple(results),
        input_errors=tuple(input_errors) + live.errors,
        generated_at=clock(),
        tool_version=__version__,
        notes=notes,
    )


def _unmanaged(pipeline: Mapping[str, Any]) -> PipelineResult:
    arn = str(pipeline.get("arn", ""))
    return PipelineResult(
        id=arn or str(pipeline.get("name")),
        name=str(pipeline.get("name")) if pipeline.get("name") else None,
        arn=arn or None,
        region=arn_region(arn),
        account=arn_account(arn),
        status=Status.UNMANAGED,
        notes=("live pipeline that no declaration in this run manages",),
    )
