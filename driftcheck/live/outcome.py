"""What the live side holds for each declared pipeline, and how a declaration is matched to a live pipeline.

Shared by the AWS reader and the snapshot reader: the result types, the reader protocol, ARN helpers, and
name matching (Image Builder treats names that differ only in case, spaces or underscores as one pipeline).
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from driftcheck.model import DeclaredPipeline, InputError


class LiveStatus(str, enum.Enum):
    """What the live side holds for one declared pipeline."""

    FOUND = "found"
    MISSING = "missing"
    ERROR = "error"


@dataclass(frozen=True)
class LiveOutcome:
    """The live pipeline (the ``imagePipeline`` object), or why there is none; ``region`` is where it was looked for."""

    status: LiveStatus
    pipeline: Mapping[str, Any] | None = None
    error: str | None = None
    region: str | None = None


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


def by_name(pipelines: Iterable[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    """Live pipelines by exact name, and by ARN segment (keys prefixed with NUL): :func:`match` is two lookups."""
    index: dict[str, list[Mapping[str, Any]]] = {}
    for pipeline in pipelines:
        name = str(pipeline.get("name", ""))
        index.setdefault(name, []).append(pipeline)
        index.setdefault("\0" + arn_segment(name), []).append(pipeline)
    return index


def match(declared: DeclaredPipeline, by_arn: Mapping[str, Any], names: Mapping[str, list[Any]]) -> list[Any]:
    """The live pipelines a declaration means: by ARN when it has one, else by exact name, else by ARN segment."""
    if declared.arn:
        return [by_arn[declared.arn]] if declared.arn in by_arn else []
    if not isinstance(declared.name, str):
        return []
    return names.get(declared.name) or names.get("\0" + arn_segment(declared.name), [])
