"""Offline live state: a directory of saved ``get_image_pipeline`` responses (``--live DIR``), and their names.

Saved files are input like templates: read by :mod:`driftcheck.live.saved_json`'s rules (size and nesting
caps, no duplicate keys, finite numbers only, regular files only), every refusal with ``file:line``.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from driftcheck.errors import LiveStateError
from driftcheck.frozen import freeze
from driftcheck.live.outcome import LiveOutcome, LiveResult, LiveStatus, arn_region, arn_segment, by_name, match
from driftcheck.live.saved_json import NotRegularFile, SavedJsonError, loads_strict, read_regular
from driftcheck.model import DeclaredPipeline, InputError, Location

log = logging.getLogger(__name__)


def response_file_name(pipeline: Mapping[str, Any]) -> str:
    """``<region>__<arn segment>.json``: unique per pipeline, stable across runs."""
    arn = str(pipeline.get("arn", ""))
    return f"{arn_region(arn) or 'unknown'}__{arn.rsplit('/', 1)[-1] or arn_segment(str(pipeline.get('name', 'pipeline')))}.json"


class SnapshotError(LiveStateError):
    """A saved response file that cannot be used."""

    def __init__(self, error: InputError) -> None:
        super().__init__(f"{error.location}: {error.message}")
        self.error = error


class SkippedFile(LiveStateError):
    """A directory entry that is not a regular file (FIFO, socket, device): skipped, never opened."""


def load_response(path: Path) -> Mapping[str, Any]:
    """One saved get_image_pipeline response; raises SnapshotError (file:line) or SkippedFile."""
    try:
        document = loads_strict(read_regular(path))
    except NotRegularFile as exc:
        raise SkippedFile(f"{path}: skipped: {exc}") from None
    except SavedJsonError as exc:
        raise SnapshotError(InputError(Location(str(path), exc.line), exc.message)) from None
    pipeline = document.get("imagePipeline") if isinstance(document, dict) else None
    if not isinstance(pipeline, dict) or not isinstance(pipeline.get("arn"), str) or not isinstance(pipeline.get("name"), str):
        raise SnapshotError(
            InputError(Location(str(path), 1), "not a get_image_pipeline response: expected an imagePipeline object with arn and name")
        )
    return freeze(pipeline)


def _directory_problem(directory: Path) -> str | None:
    try:
        info = os.stat(directory)
    except FileNotFoundError:
        return "--live directory does not exist"
    except OSError as exc:   # a symlink loop, permissions
        return f"--live directory cannot be read: {exc.strerror or exc}"
    return None if stat.S_ISDIR(info.st_mode) else "--live is not a directory"


class SnapshotLiveReader:
    """Offline mode: live state from a directory of saved get_image_pipeline responses. No AWS calls."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _saved(self, errors: list[InputError]) -> list[Mapping[str, Any]]:
        problem = _directory_problem(self.directory)
        if problem:
            errors.append(InputError(Location(str(self.directory)), problem))
            return []
        try:
            files = sorted(self.directory / name for name in os.listdir(self.directory) if name.endswith(".json"))
        except OSError as exc:
            errors.append(InputError(Location(str(self.directory)), f"--live directory cannot be read: {exc.strerror or exc}"))
            return []
        saved = []
        for path in files:
            try:
                saved.append(load_response(path))
            except SkippedFile as exc:
                log.warning("%s", exc)
            except SnapshotError as exc:
                errors.append(exc.error)
        return saved

    def read(self, pipelines: Iterable[DeclaredPipeline], *, unmanaged: bool) -> LiveResult:
        """Match declared pipelines against the saved responses."""
        errors: list[InputError] = []
        saved = self._saved(errors)
        by_arn = {str(p["arn"]): p for p in saved}
        per_region: dict[str | None, list[Mapping[str, Any]]] = {}
        for pipeline in saved:
            per_region.setdefault(arn_region(str(pipeline["arn"])), []).append(pipeline)
        indexes = {region: by_name(items) for region, items in per_region.items()}
        everywhere = by_name(saved)
        outcomes: dict[str, LiveOutcome] = {}
        matched: set[str] = set()
        for pipeline in pipelines:
            if pipeline.error is not None:
                continue
            region = pipeline.region or (arn_region(pipeline.arn) if pipeline.arn else None)
            hits = match(pipeline, by_arn, everywhere if region is None else indexes.get(region, {}))
            if not hits:
                outcomes[pipeline.key] = LiveOutcome(
                    LiveStatus.MISSING, region=region,
                    error=f"no saved response for {pipeline.arn or pipeline.name!r} in {self.directory}")
            elif len({h["arn"] for h in hits}) > 1:
                outcomes[pipeline.key] = LiveOutcome(LiveStatus.ERROR, region=region,
                                                     error=f"several saved responses match {pipeline.name!r}")
            else:
                outcomes[pipeline.key] = LiveOutcome(LiveStatus.FOUND, pipeline=hits[0], region=region)
                matched.add(str(hits[0]["arn"]))
        extra = tuple(p for p in saved if str(p["arn"]) not in matched) if unmanaged else ()
        return LiveResult(outcomes=outcomes, unmanaged=extra, errors=tuple(errors))
