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


Key = tuple[str, str, str, str]


def _key(pipeline_id: str, account: str | None, region: str | None, path: str) -> Key:
    return (pipeline_id, account or "", region or "", path)


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
                "account": pipeline.get("account"),
                "region": pipeline.get("region"),
                "path": difference.get("path"),
                "declared": difference.get("declared"),
                "live": difference.get("live"),
            })
    accepted.sort(key=lambda e: (str(e["id"]), str(e["account"] or ""), str(e["region"] or ""), str(e["path"])))
    return {"baseline_version": BASELINE_VERSION, "from_report": str(report_path), "accepted": accepted}


@dataclass(frozen=True)
class Entry:
    pipeline_id: str
    region: str | None
    path: str
    declared: str  # canonical JSON
    live: str
    account: str | None = None


@dataclass(frozen=True)
class Baseline:
    """A loaded baseline file; ``file`` as given on the command line."""

    file: str
    entries: Mapping[Key, Entry]

    def _find(self, pipeline: PipelineResult, path: str) -> tuple[Key, Entry] | tuple[None, None]:
        """The entry for this pipeline's account, else one recorded without an account (a report of before 1.4)."""
        for account in dict.fromkeys((pipeline.account, None)):
            key = _key(pipeline.id, account, pipeline.region, path)
            if key in self.entries:
                return key, self.entries[key]
        return None, None

    def apply(self, pipeline: PipelineResult) -> tuple[PipelineResult, frozenset[Key]]:
        """Move accepted differences to ``ignored``; also returns the keys of entries that still occur."""
        if not self.entries:
            return pipeline, frozenset()
        seen = {key for d in (*pipeline.differences, *pipeline.ignored) if (key := self._find(pipeline, d.path)[0]) is not None}
        kept: list[Difference] = []
        accepted: list[Difference] = []
        notes: list[str] = []
        for difference in pipeline.differences:
            entry = self._find(pipeline, difference.path)[1]
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

    def stale_notes(self, seen: Iterable[Key]) -> tuple[str, ...]:
        """A run-level note for each entry whose difference no longer occurs."""
        still = set(seen)
        return tuple(
            f"baseline {self.file}: {entry.pipeline_id}" + _where(entry)
            + f" {entry.path} no longer differs: remove it from the baseline"
            for key, entry in sorted(self.entries.items())
            if key not in still
        )


def _where(entry: Entry) -> str:
    where = "/".join(part for part in (entry.account, entry.region) if part)
    return f" [{where}]" if where else ""


def load_baseline(path: Path) -> Baseline:
    """Read a file written by ``driftcheck baseline``; BaselineError when it is not one."""
    document = _read_json(path, "baseline")
    accepted = document.get("accepted") if isinstance(document, dict) else None
    if not isinstance(accepted, list) or document.get("baseline_version") != BASELINE_VERSION:
        raise BaselineError(f"{path}: not a driftcheck baseline (write one with `driftcheck baseline REPORT.json -o FILE`)")
    entries: dict[Key, Entry] = {}
    for number, item in enumerate(accepted, 1):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not isinstance(item.get("path"), str) \
                or not isinstance(item.get("region"), (str, type(None))) or not isinstance(item.get("account"), (str, type(None))) \
                or "declared" not in item or "live" not in item:
            raise BaselineError(f"{path}: accepted entry {number}: expected an object with id, region, path, declared, live")
        entries[_key(item["id"], item.get("account"), item["region"], item["path"])] = Entry(
            item["id"], item["region"], item["path"], _canonical(item["declared"]), _canonical(item["live"]), item.get("account")
        )
    return Baseline(str(path), entries)
