"""Live state: find each declared pipeline in AWS (or in a saved snapshot) and fetch it.

Matching: by ARN when it is known (``--state``); otherwise by name, with ``ListImagePipelines``'s
``name`` filter when only a few names are wanted in a region, or one paginated listing of the region
when many are (or when ``--unmanaged`` needs the listing anyway). Then ``GetImagePipeline`` for each
match, concurrently. Only read calls are made.

Every declared pipeline gets exactly one :class:`LiveOutcome`: found, missing, or error with the reason.
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from driftcheck.errors import LiveStateError
from driftcheck.frozen import freeze
from driftcheck.live.session import AwsCallError, AwsSettings, call, imagebuilder_client
from driftcheck.model import DeclaredPipeline, InputError, Location

NAME_FILTER_LIMIT = 5  # up to this many names per region: one filtered List call each; beyond: one full listing
MAX_WORKERS = 8


class LiveStatus(str, enum.Enum):
    """What the live side holds for one declared pipeline."""

    FOUND = "found"
    MISSING = "missing"
    ERROR = "error"


@dataclass(frozen=True)
class LiveOutcome:
    """The live pipeline (the ``imagePipeline`` object), or why there is none."""

    status: LiveStatus
    pipeline: Mapping[str, Any] | None = None
    error: str | None = None


@dataclass(frozen=True)
class LiveResult:
    """Outcomes per declared pipeline id, live pipelines nothing declares, and unreadable snapshot files."""

    outcomes: Mapping[str, LiveOutcome]
    unmanaged: tuple[Mapping[str, Any], ...] = ()
    errors: tuple[InputError, ...] = ()
    listing_errors: tuple[str, ...] = ()  # a region that could not be listed for --unmanaged


class LiveReader(Protocol):
    """Where live state comes from: AWS, or a directory of saved responses."""

    def read(self, pipelines: Iterable[DeclaredPipeline], *, unmanaged: bool) -> LiveResult:
        """One outcome per declared pipeline (by id); live pipelines nothing declares if asked."""


def arn_segment(name: str) -> str:
    """The ARN's last segment for a name: lowercase, spaces and underscores as hyphens (schema-mapping §4.1)."""
    return re.sub(r"[ _]", "-", name.lower())


def arn_region(arn: str) -> str | None:
    """The region field of an ARN."""
    parts = arn.split(":")
    return parts[3] if len(parts) > 5 and parts[3] else None


def _match(declared: DeclaredPipeline, by_arn: Mapping[str, Any], by_name: Mapping[str, list[Any]]) -> list[Any]:
    if declared.arn:
        return [by_arn[declared.arn]] if declared.arn in by_arn else []
    if not isinstance(declared.name, str):
        return []
    exact = by_name.get(declared.name, [])
    if exact:
        return exact
    # Image Builder treats names that differ only in case, spaces or underscores as the same pipeline
    wanted = arn_segment(declared.name)
    return [p for items in by_name.values() for p in items if arn_segment(str(p.get("name", ""))) == wanted]


# --------------------------------------------------------------------------- AWS


class AwsLiveReader:
    """Reads live pipelines from Image Builder with boto3."""

    def __init__(self, settings: AwsSettings) -> None:
        self.settings = settings
        self._clients: dict[str | None, Any] = {}

    def client(self, region: str | None) -> Any:
        """One client per region (boto3 clients are thread-safe)."""
        if region not in self._clients:
            self._clients[region] = imagebuilder_client(self.settings, region)
        return self._clients[region]

    def list_pipelines(self, region: str | None, name: str | None = None) -> list[Mapping[str, Any]]:
        """Every pipeline in a region (all pages), or those whose name matches the filter."""
        client = self.client(region)
        kwargs: dict[str, Any] = {"maxResults": 25}
        if name is not None:
            kwargs["filters"] = [{"name": "name", "values": [name]}]
        found: list[Mapping[str, Any]] = []
        for _ in range(10_000):  # bounded: a service that always returns a token must not hang us
            page = call(self.settings, "ListImagePipelines", client.list_image_pipelines, **kwargs)
            found.extend(page.get("imagePipelineList") or [])
            token = page.get("nextToken")
            if not token:
                return found
            kwargs["nextToken"] = token
        raise AwsCallError("ListImagePipelines: pagination did not end", "Pagination")

    def get(self, region: str | None, arn: str) -> LiveOutcome:
        """GetImagePipeline for one ARN; never raises."""
        try:
            response = call(self.settings, "GetImagePipeline", self.client(region).get_image_pipeline, imagePipelineArn=arn)
        except AwsCallError as exc:
            if exc.not_found:
                return LiveOutcome(LiveStatus.MISSING, error=str(exc))
            return LiveOutcome(LiveStatus.ERROR, error=str(exc))
        pipeline = response.get("imagePipeline")
        if not isinstance(pipeline, Mapping):
            return LiveOutcome(LiveStatus.ERROR, error=f"GetImagePipeline: response has no imagePipeline for {arn}")
        return LiveOutcome(LiveStatus.FOUND, pipeline=freeze(pipeline))

    def read(self, pipelines: Iterable[DeclaredPipeline], *, unmanaged: bool) -> LiveResult:
        """Match, then fetch, every declared pipeline; list the unmanaged ones if asked."""
        declared = [p for p in pipelines if p.error is None]
        outcomes: dict[str, LiveOutcome] = {}
        to_get: dict[str, tuple[str | None, str]] = {}  # declared id -> (region, arn)
        regions: dict[str | None, list[DeclaredPipeline]] = {}
        for pipeline in declared:
            region = pipeline.region or (arn_region(pipeline.arn) if pipeline.arn else None)
            regions.setdefault(region, []).append(pipeline)
        if unmanaged and not regions:
            regions[None] = []
        unmanaged_found: list[Mapping[str, Any]] = []
        listing_errors: list[str] = []
        for region, members in regions.items():
            by_name_needed = [p for p in members if not p.arn]
            listing: list[Mapping[str, Any]] | None = None
            try:
                if unmanaged or len(by_name_needed) > NAME_FILTER_LIMIT:
                    listing = self.list_pipelines(region)
                matched_arns: set[str] = set()
                for pipeline in members:
                    if pipeline.arn:
                        to_get[pipeline.key] = (region, pipeline.arn)
                        matched_arns.add(pipeline.arn)
                        continue
                    candidates = listing if listing is not None else self.list_pipelines(region, str(pipeline.name))
                    hits = _match(pipeline, {}, _by_name(candidates))
                    if not hits and listing is None:  # the filter is exact: look for case/space variants once
                        listing = self.list_pipelines(region)
                        hits = _match(pipeline, {}, _by_name(listing))
                    outcomes[pipeline.key] = self._resolve_hits(pipeline, hits, to_get, region, matched_arns)
                if unmanaged and listing is not None:
                    unmanaged_found.extend(p for p in listing if p.get("arn") not in matched_arns)
            except LiveStateError as exc:
                for pipeline in members:
                    if pipeline.key not in to_get:
                        outcomes.setdefault(pipeline.key, LiveOutcome(LiveStatus.ERROR, error=str(exc)))
                if unmanaged:
                    listing_errors.append(f"cannot list pipelines in {region or 'the default region'} for --unmanaged: {exc}")
        with ThreadPoolExecutor(max_workers=MAX_WORKERS) as pool:
            futures = {pid: pool.submit(self.get, region, arn) for pid, (region, arn) in to_get.items()}
            for pid, future in futures.items():
                outcomes[pid] = future.result()
        return LiveResult(
            outcomes=outcomes, unmanaged=tuple(freeze(p) for p in unmanaged_found), listing_errors=tuple(listing_errors)
        )

    @staticmethod
    def _resolve_hits(pipeline, hits, to_get, region, matched_arns) -> LiveOutcome:
        if not hits:
            return LiveOutcome(LiveStatus.MISSING, error=f"no pipeline named {pipeline.name!r} in {region or 'the default region'}")
        if len({h.get("arn") for h in hits}) > 1:
            return LiveOutcome(LiveStatus.ERROR, error=f"several live pipelines match the name {pipeline.name!r}")
        arn = str(hits[0].get("arn"))
        to_get[pipeline.key] = (region, arn)
        matched_arns.add(arn)
        return LiveOutcome(LiveStatus.ERROR, error="not fetched")  # replaced by the GetImagePipeline outcome


def _by_name(pipelines: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    index: dict[str, list[Mapping[str, Any]]] = {}
    for pipeline in pipelines:
        index.setdefault(str(pipeline.get("name", "")), []).append(pipeline)
    return index


# --------------------------------------------------------------------------- snapshot directory


def response_file_name(pipeline: Mapping[str, Any]) -> str:
    """``<region>__<arn segment>.json``: unique per pipeline, stable across runs."""
    arn = str(pipeline.get("arn", ""))
    return f"{arn_region(arn) or 'unknown'}__{arn.rsplit('/', 1)[-1] or arn_segment(str(pipeline.get('name', 'pipeline')))}.json"


def load_response(path: Path) -> Mapping[str, Any]:
    """One saved get_image_pipeline response; raises InputError-ready LiveStateError with file:line."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SnapshotError(InputError(Location(str(path), exc.lineno), f"not valid JSON: {exc.msg}")) from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise SnapshotError(InputError(Location(str(path)), f"cannot read: {exc}")) from exc
    pipeline = document.get("imagePipeline") if isinstance(document, dict) else None
    if not isinstance(pipeline, dict) or not isinstance(pipeline.get("arn"), str) or not isinstance(pipeline.get("name"), str):
        raise SnapshotError(
            InputError(Location(str(path), 1), "not a get_image_pipeline response: expected an imagePipeline object with arn and name")
        )
    return freeze(pipeline)


class SnapshotError(LiveStateError):
    """A saved response file that cannot be used."""

    def __init__(self, error: InputError) -> None:
        super().__init__(f"{error.location}: {error.message}")
        self.error = error


class SnapshotLiveReader:
    """Offline mode: live state from a directory of saved get_image_pipeline responses. No AWS calls."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def read(self, pipelines: Iterable[DeclaredPipeline], *, unmanaged: bool) -> LiveResult:
        """Match declared pipelines against the saved responses."""
        saved: list[Mapping[str, Any]] = []
        errors: list[InputError] = []
        files = sorted(self.directory.glob("*.json")) if self.directory.is_dir() else []
        if not self.directory.is_dir():
            errors.append(InputError(Location(str(self.directory)), "--live directory does not exist"))
        for path in files:
            try:
                saved.append(load_response(path))
            except SnapshotError as exc:
                errors.append(exc.error)
        by_arn = {str(p["arn"]): p for p in saved}
        outcomes: dict[str, LiveOutcome] = {}
        matched: set[str] = set()
        for pipeline in pipelines:
            if pipeline.error is not None:
                continue
            region = pipeline.region or (arn_region(pipeline.arn) if pipeline.arn else None)
            candidates = [p for p in saved if region is None or arn_region(str(p["arn"])) == region]
            hits = _match(pipeline, by_arn, _by_name(candidates))
            if not hits:
                outcomes[pipeline.key] = LiveOutcome(LiveStatus.MISSING, error=f"no saved response for {pipeline.arn or pipeline.name!r} in {self.directory}")
            elif len({h["arn"] for h in hits}) > 1:
                outcomes[pipeline.key] = LiveOutcome(LiveStatus.ERROR, error=f"several saved responses match {pipeline.name!r}")
            else:
                outcomes[pipeline.key] = LiveOutcome(LiveStatus.FOUND, pipeline=hits[0])
                matched.add(str(hits[0]["arn"]))
        extra = tuple(p for p in saved if str(p["arn"]) not in matched) if unmanaged else ()
        return LiveResult(outcomes=outcomes, unmanaged=extra, errors=tuple(errors))
