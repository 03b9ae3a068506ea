"""Accepted drift: ``driftcheck baseline REPORT.json -o FILE`` records a run's differences, ``check --baseline FILE``
moves a difference that is exactly as recorded (same pipeline, region, path, declared and live values) to
``ignored``. Drift that changed on an accepted path is new drift; an entry that no longer occurs is a run-level
note, so the file can be pruned.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from driftcheck.errors import DriftcheckError
from driftcheck.frozen import thaw
from driftcheck.model import Difference, PipelineResult, Status

BASELINE_VERSION = 1


class BaselineError(DriftcheckError):
    """A report or baseline file that cannot be used."""


def _key(pipeline_id: str, region: str | None, path: str) -> tuple[str, str, str]:
    return (pipeline_id, region or "", path)


def _canonical(value: Any) -> str:
    return json.dumps(thaw(value), sort_keys=True, separators=(",", ":"))


def _read_json(path: Path, what: str) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BaselineError(f"{path}: cannot read {what}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise BaselineError(f"{path}: cannot read {what}: not UTF-8 text") from None
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        line = getattr(exc, "lineno", 1)
        raise BaselineError(f"{path}:{line}: not JSON: {getattr(exc, 'msg', exc)}") from None


def baseline_from_report(report_path: Path) -> dict[str, Any]:
    """The baseline document for a JSON report: every difference (not the ignored ones) as accepted."""
    document = _read_json(report_path, "report")
    pipelines = document.get("pipelines") if isinstance(document, dict) else None
    if not isinstance(pipelines, list) or document.get("tool", {}).get("name") != "driftcheck":
        raise BaselineError(f"{report_path}: not a driftcheck JSON report (check --format json or --report json=FILE)")
    accepted = []
    for pipeline in pipelines:
        if not isinstance(pipeline, dict):
            raise BaselineError(f"{report_path}: not a driftcheck JSON report: a pipeline entry is not an object")
        for difference in pipeline.get("differences") or []:
            accepted.append({
                "id": pipeline.get("id"),
                "region": pipeline.get("region"),
                "path": difference.get("path"),
                "declared": difference.get("declared"),
                "live": difference.get("live"),
            })
    accepted.sort(key=lambda e: (str(e["id"]), str(e["region"] or ""), str(e["path"])))
    return {"baseline_version": BASELINE_VERSION, "from_report": str(report_path), "accepted": accepted}


@dataclass(frozen=True)
class Entry:
    pipeline_id: str
    region: str | None
    path: str
    declared: str  # canonical JSON
    live: str


@dataclass(frozen=True)
class Baseline:
    """A loaded baseline file; ``file`` as given on the command line."""

    file: str
    entries: Mapping[tuple[str, str, str], Entry]

    def apply(self, pipeline: PipelineResult) -> tuple[PipelineResult, frozenset[tuple[str, str, str]]]:
        """Move accepted differences to ``ignored``; also returns the keys of entries that still occur."""
        if not self.entries:
            return pipeline, frozenset()
        seen = {
            _key(pipeline.id, pipeline.region, d.path)
            for d in (*pipeline.differences, *pipeline.ignored)
            if _key(pipeline.id, pipeline.region, d.path) in self.entries
        }
        kept: list[Difference] = []
        accepted: list[Difference] = []
        notes: list[str] = []
        for difference in pipeline.differences:
            entry = self.entries.get(_key(pipeline.id, pipeline.region, difference.path))
            if entry is None:
                kept.append(difference)
            elif entry.declared == _canonical(difference.declared) and entry.live == _canonical(difference.live):
                accepted.append(replace(difference, ignored_by=f"accepted in baseline {self.file}"))
            else:
                kept.append(difference)
                notes.append(f"{difference.path} changed since it was accepted in baseline {self.file} "
                             f"(accepted: {entry.declared} -> {entry.live}): new drift")
        if not accepted and not notes:
            return pipeline, frozenset(seen)
        status = Status.IN_SYNC if pipeline.status is Status.DRIFTED and not kept else pipeline.status
        return replace(
            pipeline,
            status=status,
            differences=tuple(kept),
            ignored=tuple(sorted((*pipeline.ignored, *accepted), key=lambda d: d.path)),
            notes=pipeline.notes + tuple(notes),
        ), frozenset(seen)

    def stale_notes(self, seen: Iterable[tuple[str, str, str]]) -> tuple[str, ...]:
        """A run-level note for each entry whose difference no longer occurs."""
        still = set(seen)
        return tuple(
            f"baseline {self.file}: {entry.pipeline_id}" + (f" [{entry.region}]" if entry.region else "")
            + f" {entry.path} no longer differs: remove it from the baseline"
            for key, entry in sorted(self.entries.items())
            if key not in still
        )


def load_baseline(path: Path) -> Baseline:
    """Read a file written by ``driftcheck baseline``; BaselineError when it is not one."""
    document = _read_json(path, "baseline")
    accepted = document.get("accepted") if isinstance(document, dict) else None
    if not isinstance(accepted, list) or document.get("baseline_version") != BASELINE_VERSION:
        raise BaselineError(f"{path}: not a driftcheck baseline (write one with `driftcheck baseline REPORT.json -o FILE`)")
    entries: dict[tuple[str, str, str], Entry] = {}
    for number, item in enumerate(accepted, 1):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not isinstance(item.get("path"), str) \
                or not isinstance(item.get("region"), (str, type(None))) or "declared" not in item or "live" not in item:
            raise BaselineError(f"{path}: accepted entry {number}: expected an object with id, region, path, declared, live")
        entries[_key(item["id"], item["region"], item["path"])] = Entry(
            item["id"], item["region"], item["path"], _canonical(item["declared"]), _canonical(item["live"])
        )
    return Baseline(str(path), entries)
