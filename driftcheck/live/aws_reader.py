"""Live state from Image Builder: place every declared pipeline in its region, read it, as few calls as it takes.

``ListImagePipelines`` returns whole ``ImagePipeline`` objects (the same shape as ``GetImagePipeline``'s, see
:mod:`driftcheck.live.listing`), so a region whose listing is read takes every pipeline's state from it:

* **A complete listing** (all pages) is read where it is needed anyway: ``--unmanaged`` (in each region of the
  run), more than ``NAME_FILTER_LIMIT`` by-name pipelines, or a region :meth:`AwsLiveReader.prefetch` started.
  Every pipeline of the region is taken from it, by ARN or by name: no ``GetImagePipeline`` at all.
* **A listing for ARN-known pipelines** (``--state``, ``--stack``, a pipeline file's ``arn``): from
  ``ARN_LIST_THRESHOLD`` of them in one region. It stops once every wanted ARN was seen, or once it has read
  ``len(arns) // ARN_PIPELINES_PER_PAGE + 1`` pages: pages come one after another while Gets run 8-16 at a time,
  so past that a listing of a region much larger than the declarations would be slower than the Gets.
* An ARN-known pipeline absent from the pages read still gets its ``GetImagePipeline`` (not found: missing), and
  so does every one whose listing failed: ARN-known pipelines are read whatever happens to any listing.
* Below the thresholds, ARN-known pipelines get one ``GetImagePipeline`` each and by-name pipelines one
  ``ListImagePipelines`` with the ``name`` filter each, whose answer is their state (no Get either).
* Unmanaged pipelines are computed last, per region, against every declared pipeline; each live pipeline once.
* Everything is bounded by the run's deadline: what is still unread then is an error that says so.

Only read calls are made. Every declared pipeline gets exactly one :class:`LiveOutcome`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
import queue
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import botocore.exceptions

from driftcheck.errors import LiveStateError
from driftcheck.frozen import freeze
from driftcheck.live.listing import PartialListing, list_pipelines
from driftcheck.live.outcome import LiveOutcome, LiveResult, LiveStatus, arn_region, by_name, match
from driftcheck.live.pacing import MAX_CONCURRENCY
from driftcheck.live.progress import NoProgress, ReadProgress
from driftcheck.live.session import AwsCallError, AwsSettings, boto_session, call, deadline_message, imagebuilder_client, pacer_key
from driftcheck.model import DeclaredPipeline

NAME_FILTER_LIMIT = 5       # up to this many names per region: one filtered List call each; beyond: the full listing
# ARN-known pipelines in one region from which its listing replaces their Gets. Below it the Gets are at most two
# rounds at 8-16 in flight, while a listing costs one round per 100 pipelines the region has, unknown beforehand;
# from 20 on, a region of up to 200 pipelines is listed as fast, in 2 requests instead of 20 (1,000: 10 instead of 1,000).
ARN_LIST_THRESHOLD = 20
ARN_PIPELINES_PER_PAGE = 10 # a listing for N ARNs gives up after N // 10 + 1 pages (1,000 ARNs: 101 pages, 10,100 listed)
MAX_WORKERS = MAX_CONCURRENCY   # Get threads; the pacer decides how many of them have a request in flight
LISTING_WORKERS = 16        # regions (or name lookups) listed at once


def _where(region: str | None) -> str:
    return region or "the default region"


@dataclass
class _Listing:
    """What a listing returned, and whether that is the region's whole listing."""

    items: list[Mapping[str, Any]]
    complete: bool


class _Once:
    """Runs one function once; every caller gets its result (or its exception). The runner is always a live thread,
    so waiting callers never deadlock a pool."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._started = False
        self._result: Any = None
        self._error: BaseException | None = None

    def run(self, fn: Callable[[], Any]) -> Any:
        with self._lock:
            first = not self._started
            self._started = True
        if first:
            try:
                self._result = fn()
            except BaseException as exc:   # kept for every caller, re-raised below
                self._error = exc
            finally:
                self._done.set()
        else:
            self._done.wait()
        if self._error is not None:
            raise self._error
        return self._result


@dataclass
class _Region:
    """One region's declared pipelines and how they are read."""

    name: str | None
    arns: list[DeclaredPipeline] = field(default_factory=list)
    names: list[DeclaredPipeline] = field(default_factory=list)
    discover: bool = False     # --unmanaged covers this region: its complete listing is needed
    complete: bool = False     # its complete listing is read (and by-name pipelines are found in it)


class AwsLiveReader:
    """Reads live pipelines of one account from Image Builder with boto3.

    ``regions``: where ``--unmanaged`` discovery runs besides the declared pipelines' regions (``--region``
    repeated, ``--all-regions``). ``progress`` is told what is read, per region."""

    def __init__(self, settings: AwsSettings, regions: Iterable[str | None] = (),
                 progress: ReadProgress | None = None) -> None:
        self.settings = settings
        self.regions = tuple(dict.fromkeys(regions))
        self.progress: ReadProgress = progress or NoProgress()
        self.clients_created = 0          # boto3 clients made: one per region (a test counts them)
        self._clients: dict[str | None, Any] = {}
        self._session: Any = None         # one boto3 session for every region's client (the second client is 10x cheaper)
        self._lock = threading.Lock()
        self._complete: dict[str | None, _Once] = {}
        self._prefetched: set[str | None] = set()
        self._arn_prefetched: dict[str | None, tuple[frozenset[str], Future[_Listing]]] = {}
        account = getattr(settings, "account", None)
        self._label = f"{account}/" if account else ""
        self._pools: dict[str, ThreadPoolExecutor] = {}

    # ------------------------------------------------------------------ clients, pools
    def client(self, region: str | None) -> Any:
        """One client per region (boto3 clients are thread-safe; created once, under the lock, never by racing threads)."""
        with self._lock:
            client = self._clients.get(region)
            if client is None:
                if self._session is None:
                    try:
                        self._session = boto_session(self.settings)
                    except (botocore.exceptions.BotoCoreError, ValueError) as exc:
                        raise AwsCallError(f"cannot create an Image Builder client: {exc}", type(exc).__name__) from exc
                client = self._clients[region] = imagebuilder_client(self.settings, region, self._session)
                self.clients_created += 1
                self._clients.setdefault(client.meta.region_name, client)   # the same client however the region was named
            return client

    def region_of(self, region: str | None) -> str | None:
        """The region a pipeline of ``region`` (None: from --region or the AWS chain) is really read in."""
        return self.client(region).meta.region_name

    def _pool(self, kind: str) -> ThreadPoolExecutor:
        with self._lock:
            pool = self._pools.get(kind)
            if pool is None:
                size = MAX_WORKERS if kind == "get" else LISTING_WORKERS
                pool = self._pools[kind] = ThreadPoolExecutor(max_workers=size, thread_name_prefix=f"driftcheck-{kind}")
            return pool

    def close(self) -> None:
        """Stop the worker threads (what is still queued is dropped); the reader can still be used afterwards."""
        with self._lock:
            pools, self._pools = self._pools, {}
        for pool in pools.values():
            pool.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------------ single calls
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
        except LiveStateError as exc:
            return LiveOutcome(LiveStatus.ERROR, error=str(exc), region=region)
        pipeline = response.get("imagePipeline")
        if not isinstance(pipeline, Mapping):
            return LiveOutcome(LiveStatus.ERROR, region=region,
                               error=f"GetImagePipeline: the response (valid JSON) has no imagePipeline object for {arn}")
        return LiveOutcome(LiveStatus.FOUND, pipeline=freeze(pipeline), region=region)

    # ------------------------------------------------------------------ listings
    def prefetch(self, regions: Iterable[str | None]) -> None:
        """Start the complete listing of each region now (None: the default region), in the background, so it
        overlaps parsing the declarations; :meth:`read` uses it. Thread-safe; a failure shows when read needs it."""
        for region in dict.fromkeys(regions):
            with self._lock:
                if region in self._prefetched:
                    continue
                self._prefetched.add(region)
            self._pool("list").submit(self.complete_listing, region)

    def prefetch_arns(self, region: str | None, arns: Iterable[str]) -> None:
        """Start the listing for these ARN-known pipelines of one region now (the state's, while the declarations are
        parsed); :meth:`read` uses it for the region's ARN-known pipelines when they are all among these ARNs."""
        name = self.region_of(region)
        wanted = frozenset(arns)
        pool = self._pool("list")
        with self._lock:
            if name in self._arn_prefetched:
                return
            self._arn_prefetched[name] = (wanted, pool.submit(self._arn_listing, name, wanted))

    def complete_listing(self, region: str | None) -> list[Mapping[str, Any]]:
        """Every pipeline of the region, read once per reader whoever asks first (prefetch, read, a name lookup)."""
        name = self.region_of(region)
        with self._lock:
            once = self._complete.setdefault(name, _Once())
        return once.run(lambda: self._list_all(name))

    def _listing_started(self, region: str | None) -> bool:
        """A complete listing of the region is read or under way (prefetch registers it at once, before it runs)."""
        with self._lock:
            if region in self._complete or region in self._prefetched:
                return True
            default_asked = None in self._prefetched
        return default_asked and self.region_of(None) == region

    def row(self, region: str | None) -> str:
        """The progress row of a region: ``REGION``, or ``ACCOUNT/REGION`` when the account is known."""
        return self._label + (region or "default")

    def _count_pages(self, region: str | None) -> Callable[[list[Mapping[str, Any]]], None]:
        """A listing's page callback that tells the progress how many pipelines the region has listed so far."""
        seen = 0

        def on_page(items: list[Mapping[str, Any]]) -> None:
            nonlocal seen
            seen += len(items)
            self.progress.listed(self.row(region), seen)

        return on_page

    def _list_all(self, region: str | None) -> list[Mapping[str, Any]]:
        return list_pipelines(self.settings, self.client(region), on_page=self._count_pages(region))

    def _listing_for(self, plan: _Region) -> _Listing:
        """The region's complete listing when it is needed or already under way; else one for its ARN-known pipelines."""
        if plan.complete:
            return _Listing(self.complete_listing(plan.name), complete=True)
        wanted = frozenset(str(p.arn) for p in plan.arns)
        with self._lock:
            early = self._arn_prefetched.pop(plan.name, None)
        if early is not None and wanted <= early[0]:
            return early[1].result()  # the same kind of listing, for these ARNs and maybe a few more
        return self._arn_listing(plan.name, wanted)

    def _arn_listing(self, region: str | None, wanted: frozenset[str]) -> _Listing:
        """Pages of the region until every wanted ARN was seen, or ``len(wanted) // ARN_PIPELINES_PER_PAGE + 1`` pages."""
        budget = len(wanted) // ARN_PIPELINES_PER_PAGE + 1
        stopped = [False]

        def enough(pages: int, found: list[Mapping[str, Any]]) -> bool:
            stopped[0] = pages >= budget or wanted <= {str(item.get("arn")) for item in found}
            return stopped[0]

        items = list_pipelines(self.settings, self.client(region), on_page=self._count_pages(region), enough=enough)
        return _Listing(items, complete=not stopped[0])

    def _find_by_name(self, region: str | None, pipeline: DeclaredPipeline) -> LiveOutcome:
        """One by-name pipeline with the ``name`` filter; its answer is the pipeline's state. Never raises."""
        try:
            hits = match(pipeline, {}, by_name(self.list_pipelines(region, str(pipeline.name))))
            if not hits:   # the filter is exact: look for case/space variants in the region's complete listing
                try:
                    hits = match(pipeline, {}, by_name(self.complete_listing(region)))
                except LiveStateError as exc:
                    return LiveOutcome(LiveStatus.ERROR, region=region, error=f"no pipeline named exactly {pipeline.name!r} "
                                       f"in {_where(region)}, and the listing for case or spacing variants failed: {exc}")
        except LiveStateError as exc:
            return LiveOutcome(LiveStatus.ERROR, error=str(exc), region=region)
        return _named(pipeline, hits, region)

    # ------------------------------------------------------------------ the whole read
    def read(self, pipelines: Iterable[DeclaredPipeline], *, unmanaged: bool) -> LiveResult:
        """Every declared pipeline's outcome; the unmanaged ones of every region of the run if asked."""
        try:
            return _Read(self, unmanaged).run([p for p in pipelines if p.error is None])
        finally:
            self.close()   # the progress is the caller's to close (several readers may share one)

    def pacing_probe(self, region: str | None) -> Callable[[], tuple[int, int]] | None:
        """() -> (requests allowed in flight, throttles so far) of the region's pacer, for progress."""
        try:
            client = self.client(region)
            pacer = self.settings.run.pacers.get(pacer_key(self.settings, client.get_image_pipeline))  # the key call() uses
        except (LiveStateError, AttributeError, TypeError):
            return None
        return lambda: (pacer.limit, pacer.throttles)


def _named(pipeline: DeclaredPipeline, hits: list[Any], region: str | None) -> LiveOutcome:
    """The outcome of a by-name lookup from the live pipelines that match."""
    if not hits:
        return LiveOutcome(LiveStatus.MISSING, region=region, error=f"no pipeline named {pipeline.name!r} in {_where(region)}")
    if len({h.get("arn") for h in hits}) > 1:
        return LiveOutcome(LiveStatus.ERROR, region=region, error=f"several live pipelines match the name {pipeline.name!r}")
    return LiveOutcome(LiveStatus.FOUND, pipeline=freeze(hits[0]), region=region)


Handler = Callable[["Future[Any] | None"], None]   # called with the done future, or None at the run's deadline


class _Read:
    """One :meth:`AwsLiveReader.read`: the plan per region, the futures in flight, and the outcomes so far."""

    def __init__(self, reader: AwsLiveReader, unmanaged: bool) -> None:
        self.reader = reader
        self.settings = reader.settings
        self.unmanaged = unmanaged
        self.outcomes: dict[str, LiveOutcome] = {}
        self.declared: dict[str, str | None] = {}          # key -> region, every pipeline that must get an outcome
        self.listing_errors: list[str] = []
        self.listings: dict[str | None, list[Mapping[str, Any]]] = {}   # complete listings of --unmanaged regions
        self.pending: dict[Future[Any], Handler] = {}
        self.finished: queue.SimpleQueue[Future[Any]] = queue.SimpleQueue()   # futures as they complete, in order
        self.gets: dict[tuple[str | None, str], list[str]] = {}     # (region, arn) -> keys waiting for that Get
        self.got: dict[tuple[str | None, str], LiveOutcome] = {}

    def settle(self, key: str, outcome: LiveOutcome) -> None:
        if key not in self.outcomes:
            self.outcomes[key] = outcome
            self.reader.progress.advance(self.reader.row(outcome.region))

    def run(self, declared: list[DeclaredPipeline]) -> LiveResult:
        plans = self.place(declared)
        if self.unmanaged:
            asked = list(self.reader.regions) or ([] if plans or self.outcomes else [None])
            for region in asked:
                try:
                    name = self.reader.region_of(region)
                except LiveStateError as exc:
                    self.listing_errors.append(f"cannot list pipelines in {_where(region)} for --unmanaged: {exc}")
                    continue
                plans.setdefault(name, _Region(name))
            for plan in plans.values():
                plan.discover = True
        for plan in plans.values():
            self.reader.progress.region(self.reader.row(plan.name), len(plan.arns) + len(plan.names),
                                        self.reader.pacing_probe(plan.name))
            self.start(plan)
        self.wait_all()
        return LiveResult(outcomes=self.outcomes, unmanaged=self.unmanaged_pipelines(),
                          listing_errors=tuple(self.listing_errors))

    def place(self, declared: list[DeclaredPipeline]) -> dict[str | None, _Region]:
        """Group by the region each pipeline is really read in, wherever that region came from."""
        plans: dict[str | None, _Region] = {}
        for pipeline in declared:
            asked = pipeline.region or (arn_region(pipeline.arn) if pipeline.arn else None)
            try:
                region = self.reader.region_of(asked)
            except LiveStateError as exc:
                self.outcomes[pipeline.key] = LiveOutcome(LiveStatus.ERROR, error=str(exc), region=asked)
                continue
            self.declared[pipeline.key] = region
            plan = plans.setdefault(region, _Region(region))
            (plan.arns if pipeline.arn else plan.names).append(pipeline)
        return plans

    # ------------------------------------------------------------------ starting work
    def start(self, plan: _Region) -> None:
        reader = self.reader
        plan.complete = plan.discover or len(plan.names) > NAME_FILTER_LIMIT or reader._listing_started(plan.name)
        if plan.complete or len(plan.arns) >= ARN_LIST_THRESHOLD:
            future = reader._pool("list").submit(reader._listing_for, plan)
            self.track(future, lambda done: self.on_listing(plan, done))
            if not plan.complete:
                self.find_by_name(plan, plan.names)
            return
        for pipeline in plan.arns:
            self.want(plan.name, str(pipeline.arn), pipeline.key)
        self.find_by_name(plan, plan.names)

    def want(self, region: str | None, arn: str, key: str) -> None:
        """``key`` is read with GetImagePipeline ``arn`` (one Get per ARN however often it is declared)."""
        if (region, arn) in self.got:
            self.settle(key, self.got[(region, arn)])
            return
        waiting = self.gets.get((region, arn))
        if waiting is not None:
            waiting.append(key)
            return
        self.gets[(region, arn)] = [key]
        future = self.reader._pool("get").submit(self.reader.get, region, arn)
        self.track(future, lambda done: self.on_get(region, arn, done))

    def find_by_name(self, plan: _Region, pipelines: list[DeclaredPipeline]) -> None:
        for pipeline in pipelines:
            future = self.reader._pool("list").submit(self.reader._find_by_name, plan.name, pipeline)
            self.track(future, lambda done, p=pipeline: self.settle(
                p.key, done.result() if done is not None else self.deadline(plan.name, f"ListImagePipelines {p.name!r}")))

    def track(self, future: Future[Any], handler: Handler) -> None:
        """Handle ``future`` in the reading thread once it is done (or at the deadline)."""
        self.pending[future] = handler
        future.add_done_callback(self.finished.put)

    # ------------------------------------------------------------------ results
    def deadline(self, region: str | None, what: str) -> LiveOutcome:
        return LiveOutcome(LiveStatus.ERROR, region=region, error=deadline_message(self.settings, what))

    def on_get(self, region: str | None, arn: str, done: Future[LiveOutcome] | None) -> None:
        outcome = done.result() if done is not None else self.deadline(region, f"GetImagePipeline {arn}")
        self.got[(region, arn)] = outcome
        for key in self.gets.pop((region, arn), []):
            self.settle(key, outcome)

    def on_listing(self, plan: _Region, done: Future[_Listing] | None) -> None:
        region = plan.name
        error: str | None = None
        listing = _Listing([], complete=False)
        if done is None:
            error = deadline_message(self.settings, f"ListImagePipelines in {_where(region)}")
        else:
            try:
                listing = done.result()
            except PartialListing as exc:
                listing, error = _Listing(exc.found, complete=False), str(exc)
            except LiveStateError as exc:
                error = str(exc)
        by_arn = {str(item.get("arn")): item for item in listing.items}
        for pipeline in plan.arns:
            item = by_arn.get(str(pipeline.arn))
            if item is not None:
                self.settle(pipeline.key, LiveOutcome(LiveStatus.FOUND, pipeline=freeze(item), region=region))
            elif done is not None:   # not in the pages read, or the listing failed: its own Get (not found: missing)
                self.want(region, str(pipeline.arn), pipeline.key)
        if plan.complete and listing.complete:
            index = by_name(listing.items)   # built once per region, not per pipeline
            for pipeline in plan.names:
                self.settle(pipeline.key, _named(pipeline, match(pipeline, {}, index), region))
        elif plan.complete:
            for pipeline in plan.names:
                self.settle(pipeline.key, LiveOutcome(LiveStatus.ERROR, region=region, error=(
                    f"cannot look up {pipeline.name!r} by name: listing {_where(region)} failed: {error}")))
        if plan.discover:
            if listing.complete:
                self.listings[region] = listing.items
            else:
                self.listing_errors.append(f"cannot list pipelines in {_where(region)} for --unmanaged: {error}")

    def wait_all(self) -> None:
        """Handle futures as they finish (handlers may start more); at the run's deadline, every one still pending
        and every pipeline still without an outcome becomes a deadline error."""
        while self.pending:
            remaining = self.settings.run.remaining()
            try:
                future = self.finished.get(timeout=None if remaining == float("inf") else max(0.0, remaining))
            except queue.Empty:
                break
            handler = self.pending.pop(future, None)
            if handler is not None:
                handler(future)
        for future, handler in list(self.pending.items()):
            future.cancel()
            handler(None)
        self.pending.clear()
        for key, region in self.declared.items():
            if key not in self.outcomes:
                self.settle(key, self.deadline(region, "reading this pipeline"))

    def unmanaged_pipelines(self) -> tuple[Mapping[str, Any], ...]:
        """Listed pipelines no declaration (of any source, in any region) claims; each ARN once."""
        claimed = {arn for _, arn in self.got} | {arn for _, arn in self.gets}
        claimed |= {str(o.pipeline.get("arn")) for o in self.outcomes.values() if o.pipeline is not None}
        seen: set[str] = set()
        found = []
        for listing in self.listings.values():
            for pipeline in listing:
                arn = str(pipeline.get("arn", ""))
                if arn in claimed or arn in seen:
                    continue
                seen.add(arn)
                found.append(freeze(pipeline))
        return tuple(found)
