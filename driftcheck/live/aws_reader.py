"""Live state from Image Builder: place every declared pipeline in its account and region, find it, fetch it.

* A pipeline whose ARN is known (``--state``, ``--stack``, a pipeline file's ``arn``) is fetched with
  ``GetImagePipeline`` at once, whatever happens to any listing.
* A pipeline known only by name is found with ``ListImagePipelines``: the ``name`` filter when a region
  has only a few such names, else one paginated listing (also what ``--unmanaged`` needs). If that listing
  fails, those pipelines are errors that name the listing's failure.
* Unmanaged pipelines are computed last, per region, against every declared pipeline of every source;
  each live pipeline is reported once.
* Everything is bounded by the run's deadline: what is still unread then is an error that says so.

Only read calls are made. Every declared pipeline gets exactly one :class:`LiveOutcome`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any

from driftcheck.errors import LiveStateError
from driftcheck.frozen import freeze
from driftcheck.live.listing import list_pipelines
from driftcheck.live.outcome import LiveOutcome, LiveResult, LiveStatus, arn_region, by_name, match
from driftcheck.live.pacing import MAX_CONCURRENCY
from driftcheck.live.session import AwsCallError, AwsSettings, call, deadline_message, imagebuilder_client
from driftcheck.model import DeclaredPipeline

NAME_FILTER_LIMIT = 5  # up to this many names per region: one filtered List call each; beyond: one full listing
MAX_WORKERS = MAX_CONCURRENCY   # threads; the pacer decides how many of them have a request in flight


def _where(region: str | None) -> str:
    return region or "the default region"


@dataclass
class _Located:
    """One region's name lookups: the full listing if one was read, and per declared key an ARN or an outcome."""

    listing: list[Mapping[str, Any]] | None = None
    arns: dict[str, str] = field(default_factory=dict)
    outcomes: dict[str, LiveOutcome] = field(default_factory=dict)


class AwsLiveReader:
    """Reads live pipelines from Image Builder with boto3."""

    def __init__(self, settings: AwsSettings) -> None:
        self.settings = settings
        self._clients: dict[str | None, Any] = {}
        self._lock = threading.Lock()

    def client(self, region: str | None) -> Any:
        """One client per region (boto3 clients are thread-safe; created once, not by racing threads)."""
        with self._lock:
            if region not in self._clients:
                self._clients[region] = imagebuilder_client(self.settings, region)
            return self._clients[region]

    def region_of(self, region: str | None) -> str | None:
        """The region a pipeline of ``region`` (None: from --region or the AWS chain) is really read in."""
        client = self.client(region)
        name = client.meta.region_name
        with self._lock:
            self._clients.setdefault(name, client)   # the same client whichever way the region was named
        return name

    def list_pipelines(self, region: str | None, name: str | None = None) -> list[Mapping[str, Any]]:
        """Every pipeline in a region (all pages), or those whose name matches the filter."""
        return list_pipelines(self.settings, self.client(region), name)

    def get(self, region: str | None, arn: str) -> LiveOutcome:
        """GetImagePipeline for one ARN; never raises."""
        try:
            response = call(self.settings, "GetImagePipeline", self.client(region).get_image_pipeline, imagePipelineArn=arn)
        except AwsCallError as exc:
            status = LiveStatus.MISSING if exc.not_found else LiveStatus.ERROR
            return LiveOutcome(status, error=str(exc), region=region)
        pipeline = response.get("imagePipeline")
        if not isinstance(pipeline, Mapping):
            return LiveOutcome(LiveStatus.ERROR, region=region,
                               error=f"GetImagePipeline: the response (valid JSON) has no imagePipeline object for {arn}")
        return LiveOutcome(LiveStatus.FOUND, pipeline=freeze(pipeline), region=region)

    # ------------------------------------------------------------------ the whole read
    def read(self, pipelines: Iterable[DeclaredPipeline], *, unmanaged: bool) -> LiveResult:
        """Match, then fetch, every declared pipeline; list the unmanaged ones if asked."""
        outcomes: dict[str, LiveOutcome] = {}
        groups = self._place([p for p in pipelines if p.error is None], outcomes)
        if unmanaged and not groups and not outcomes:
            try:
                groups[self.region_of(None)] = []
            except LiveStateError as exc:
                return LiveResult(outcomes=outcomes, listing_errors=(f"cannot list pipelines for --unmanaged: {exc}",))
        listing_errors: list[str] = []
        listings: dict[str | None, list[Mapping[str, Any]]] = {}
        gets: dict[tuple[str | None, str], Future[LiveOutcome]] = {}
        wanted: dict[str, tuple[str | None, str]] = {}   # declared key -> (region, arn)
        pool = ThreadPoolExecutor(max_workers=MAX_WORKERS, thread_name_prefix="driftcheck-aws")
        try:
            locating = {
                region: pool.submit(self._locate, region, [p for p in members if not p.arn], unmanaged)
                for region, members in groups.items() if unmanaged or any(not p.arn for p in members)
            }
            for region, members in groups.items():
                for pipeline in members:
                    if pipeline.arn:
                        self._want(pool, gets, wanted, pipeline.key, region, pipeline.arn)
            for region, future in locating.items():
                by_name_members = [p for p in groups[region] if not p.arn]
                try:
                    located = self._wait(future, f"ListImagePipelines in {_where(region)}")
                except LiveStateError as exc:
                    for pipeline in by_name_members:
                        outcomes[pipeline.key] = LiveOutcome(
                            LiveStatus.ERROR, region=region,
                            error=f"cannot look up {pipeline.name!r} by name: listing {_where(region)} failed: {exc}")
                    if unmanaged:
                        listing_errors.append(f"cannot list pipelines in {_where(region)} for --unmanaged: {exc}")
                    continue
                if located.listing is not None:
                    listings[region] = located.listing
                outcomes.update(located.outcomes)
                for key, arn in located.arns.items():
                    self._want(pool, gets, wanted, key, region, arn)
            for key, (region, arn) in wanted.items():
                try:
                    outcomes[key] = self._wait(gets[(region, arn)], f"GetImagePipeline {arn}")
                except LiveStateError as exc:
                    outcomes[key] = LiveOutcome(LiveStatus.ERROR, error=str(exc), region=region)
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
        return LiveResult(outcomes=outcomes, unmanaged=_unmanaged(listings, wanted), listing_errors=tuple(listing_errors))

    def _place(self, declared: list[DeclaredPipeline], outcomes: dict[str, LiveOutcome]) -> dict[str | None, list[DeclaredPipeline]]:
        """Group by the region each pipeline is really read in, wherever that region came from."""
        groups: dict[str | None, list[DeclaredPipeline]] = {}
        for pipeline in declared:
            asked = pipeline.region or (arn_region(pipeline.arn) if pipeline.arn else None)
            try:
                region = self.region_of(asked)
            except LiveStateError as exc:
                outcomes[pipeline.key] = LiveOutcome(LiveStatus.ERROR, error=str(exc), region=asked)
                continue
            groups.setdefault(region, []).append(pipeline)
        return groups

    def _want(self, pool: ThreadPoolExecutor, gets: dict, wanted: dict, key: str, region: str | None, arn: str) -> None:
        wanted[key] = (region, arn)
        if (region, arn) not in gets:   # a pipeline declared twice (IaC + a pinning file) is fetched once
            gets[(region, arn)] = pool.submit(self.get, region, arn)

    def _wait(self, future: Future, what: str) -> Any:
        """The future's result, waiting no later than the run's deadline."""
        remaining = self.settings.run.remaining()
        try:
            return future.result(timeout=None if remaining == float("inf") else max(0.0, remaining))
        except FutureTimeout:
            future.cancel()
            raise AwsCallError(deadline_message(self.settings, what), "Deadline") from None

    def _locate(self, region: str | None, members: list[DeclaredPipeline], unmanaged: bool) -> _Located:
        """Find each by-name pipeline of a region; raises LiveStateError only if the region's full listing fails."""
        located = _Located()
        if unmanaged or len(members) > NAME_FILTER_LIMIT:
            located.listing = self.list_pipelines(region)
        full_index = by_name(located.listing) if located.listing is not None else None
        for pipeline in members:
            if full_index is not None:
                hits = match(pipeline, {}, full_index)
            else:
                try:
                    hits = match(pipeline, {}, by_name(self.list_pipelines(region, str(pipeline.name))))
                except LiveStateError as exc:
                    located.outcomes[pipeline.key] = LiveOutcome(LiveStatus.ERROR, error=str(exc), region=region)
                    continue
                if not hits:   # the filter is exact: look for case/space variants in one full listing
                    try:
                        located.listing = self.list_pipelines(region)
                    except LiveStateError as exc:
                        located.outcomes[pipeline.key] = LiveOutcome(
                            LiveStatus.ERROR, region=region, error=f"no pipeline named exactly {pipeline.name!r} in "
                            f"{_where(region)}, and the listing for case or spacing variants failed: {exc}")
                        continue
                    full_index = by_name(located.listing)
                    hits = match(pipeline, {}, full_index)
            if not hits:
                located.outcomes[pipeline.key] = LiveOutcome(
                    LiveStatus.MISSING, region=region, error=f"no pipeline named {pipeline.name!r} in {_where(region)}")
            elif len({h.get("arn") for h in hits}) > 1:
                located.outcomes[pipeline.key] = LiveOutcome(
                    LiveStatus.ERROR, region=region, error=f"several live pipelines match the name {pipeline.name!r}")
            else:
                located.arns[pipeline.key] = str(hits[0].get("arn"))
        return located


def _unmanaged(listings: Mapping[str | None, list[Mapping[str, Any]]],
               wanted: Mapping[str, tuple[str | None, str]]) -> tuple[Mapping[str, Any], ...]:
    """Listed pipelines no declaration (of any source, in any region) claims; each ARN once."""
    claimed = {arn for _, arn in wanted.values()}
    seen: set[str] = set()
    found = []
    for listing in listings.values():
        for pipeline in listing:
            arn = str(pipeline.get("arn", ""))
            if arn in claimed or arn in seen:
                continue
            seen.add(arn)
            found.append(freeze(pipeline))
    return tuple(found)
