"""The renderer contract and helpers shared by every report format."""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from driftcheck.frozen import thaw
from driftcheck.model import InputError, PipelineResult, RunResult, Status

#: Display order of statuses: trouble first, in-sync last.
STATUS_ORDER: tuple[Status, ...] = (
    Status.ERROR,
    Status.MISSING,
    Status.DRIFTED,
    Status.UNMANAGED,
    Status.IN_SYNC,
)
_DIGITS = re.compile(r"(\d+)")
_RANK = {status: rank for rank, status in enumerate(STATUS_ORDER)}


@dataclass(frozen=True)
class RenderOptions:
    """How a report links out, for the formats that link (HTML, Markdown); the others ignore these.

    ``source_url``: a template with ``{file}`` and ``{line}``, e.g.
    ``https://github.com/org/repo/blob/main/{file}#L{line}``; ``console_links``: link ARNs to the AWS console.
    """

    source_url: str | None = None
    console_links: bool = False


DEFAULT_OPTIONS = RenderOptions()


class Renderer(ABC):
    """Turns a finished run into one report document; the CLI writes the returned string."""

    @abstractmethod
    def render(self, result: RunResult, *, color: bool = False, options: RenderOptions = DEFAULT_OPTIONS) -> str:
        """Return the whole report. ``color`` only matters to formats meant for a terminal; ``options`` to formats that link."""


def ordered_pipelines(pipelines: Iterable[PipelineResult]) -> list[PipelineResult]:
    """Pipelines in display order: by status (see STATUS_ORDER), then id, then region."""
    return sorted(pipelines, key=lambda p: (_RANK[p.status], natural_key(p.id), p.account or "", p.region or ""))


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key in which numbers inside a text sort by value: ``p[2]`` before ``p[10]``, ``v9`` before ``v10``."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in _DIGITS.split(text) if part)


def ordered_input_errors(errors: Iterable[InputError]) -> list[InputError]:
    """Input errors sorted by file, line (unknown lines first), then message."""
    return sorted(
        errors,
        key=lambda e: (e.location.file, e.location.line is not None, e.location.line or 0, e.message),
    )


def iso_utc(moment: datetime) -> str:
    """ISO 8601 in UTC with a ``Z`` suffix, to the second; naive datetimes are taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def dump_value(value: Any, *, indent: int | None = None, ensure_ascii: bool = True) -> str:
    """A frozen or plain JSON-compatible value as JSON text with sorted keys."""
    return json.dumps(thaw(value), sort_keys=True, indent=indent, ensure_ascii=ensure_ascii)
