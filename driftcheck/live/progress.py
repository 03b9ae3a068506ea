"""Progress of a live read on a terminal: per region, pipelines read / total, what was listed, and the pacer's state
(requests allowed in flight; "throttled, slowing down" once the endpoint throttles), on stderr with rich.

The reader reports to a :class:`ReadProgress`; :func:`progress_for` picks the terminal one only when the stream is
a terminal (not ``TERM=dumb``) and the run is not ``--quiet``, else :class:`NoProgress` (no output at all: logs
and pipes stay clean).
rich is imported only when a terminal progress is made, so ``--help`` and non-terminal runs never pay for it.
Region names can come from declarations: every shown text goes through :func:`driftcheck.safe_text.one_line`
and is never read as rich markup.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import IO, Any, Protocol

from driftcheck.safe_text import one_line

Probe = Callable[[], tuple[int, int]]   # () -> (requests allowed in flight now, throttles so far)


class ReadProgress(Protocol):
    """What a live read reports while it works. Every method is thread-safe and never raises."""

    def region(self, region: str, total: int, probe: Probe | None = None) -> None:
        """A region joins: ``total`` declared pipelines to read there; ``probe`` tells the pacer's state."""

    def advance(self, region: str, done: int = 1) -> None:
        """``done`` more declared pipelines of the region have their outcome."""

    def listed(self, region: str, count: int) -> None:
        """The region's listing has returned ``count`` pipelines so far."""

    def close(self) -> None:
        """The read is over: stop drawing."""


class NoProgress:
    """Shows nothing (not a terminal, or ``--quiet``)."""

    def region(self, region: str, total: int, probe: Probe | None = None) -> None:
        pass

    def advance(self, region: str, done: int = 1) -> None:
        pass

    def listed(self, region: str, count: int) -> None:
        pass

    def close(self) -> None:
        pass


def pacing_note(limit: int, throttles: int, seen: int) -> str:
    """What the pacer column says: ``8 in flight``; after throttling ``throttled, slowing down: 2 in flight`` while
    new throttles come in (``seen``: the count at the last redraw), then ``4 in flight (12 throttled)``."""
    if throttles > seen:
        return f"throttled, slowing down: {limit} in flight"
    if throttles:
        return f"{limit} in flight ({throttles} throttled)"
    return f"{limit} in flight"


class TerminalProgress:
    """One rich progress row per region on ``stream`` (a terminal), redrawn a few times a second, erased at the end."""

    def __init__(self, stream: IO[str]) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self._lock = threading.Lock()
        self._tasks: dict[str, Any] = {}
        self._probes: dict[str, Probe] = {}
        self._seen: dict[str, int] = {}
        self._listed: dict[str, int] = {}
        console = Console(file=stream, force_terminal=True, highlight=False, soft_wrap=False)
        self._progress = Progress(
            TextColumn("{task.description}", markup=False),
            BarColumn(bar_width=24),
            MofNCompleteColumn(),
            TextColumn("pipelines  {task.fields[note]}", markup=False),
            TimeElapsedColumn(),
            console=console, transient=True, refresh_per_second=4, get_time=None,
        )
        self._progress.start()
        self._ticker = threading.Event()
        self._thread = threading.Thread(target=self._tick, name="driftcheck-progress", daemon=True)
        self._thread.start()

    def region(self, region: str, total: int, probe: Probe | None = None) -> None:
        with self._lock:
            if region in self._tasks:
                self._progress.update(self._tasks[region], total=total)
            else:
                self._tasks[region] = self._progress.add_task(one_line(region), total=total, note="")
            if probe is not None:
                self._probes[region] = probe

    def advance(self, region: str, done: int = 1) -> None:
        with self._lock:
            task = self._tasks.get(region)
            if task is not None:
                self._progress.advance(task, done)

    def listed(self, region: str, count: int) -> None:
        with self._lock:
            self._listed[region] = count
        self._refresh_notes()

    def _refresh_notes(self) -> None:
        with self._lock:
            for region, task in self._tasks.items():
                parts = []
                if region in self._listed:
                    parts.append(f"{self._listed[region]} listed")
                probe = self._probes.get(region)
                if probe is not None:
                    try:
                        limit, throttles = probe()
                    except Exception:   # a probe must never break the read
                        continue
                    parts.append(pacing_note(limit, throttles, self._seen.get(region, 0)))
                    self._seen[region] = throttles
                self._progress.update(task, note=", ".join(parts))

    def _tick(self) -> None:
        while not self._ticker.wait(0.5):
            self._refresh_notes()

    def close(self) -> None:
        self._ticker.set()
        self._thread.join(timeout=2)
        self._refresh_notes()
        self._progress.stop()


def progress_for(stream: IO[str], *, quiet: bool) -> ReadProgress:
    """The terminal progress when ``stream`` is a terminal and not ``quiet``; else one that shows nothing."""
    try:
        interactive = stream.isatty()
    except (AttributeError, ValueError):   # a closed or fake stream
        interactive = False
    if quiet or not interactive or os.environ.get("TERM") == "dumb":   # a dumb terminal cannot redraw a line
        return NoProgress()
    return TerminalProgress(stream)
