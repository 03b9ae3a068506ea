"""What every declared-pipeline source returns."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from driftcheck.model import DeclaredPipeline, InputError


@dataclass(frozen=True)
class SourceResult:
    """What a source found: declared pipelines and input errors (never raised: nothing else is lost)."""

    pipelines: tuple[DeclaredPipeline, ...] = ()
    errors: tuple[InputError, ...] = ()


class Source(Protocol):
    """A reader of one kind of declaration."""

    kind: str

    def collect(self, paths: Iterable[str]) -> SourceResult:
        """Every pipeline declared under ``paths``, and every input error met on the way."""


def same_file(path: str | Path) -> str:
    """A key that is equal for every spelling of one file (relative, ``../``, symlinks)."""
    try:
        return str(Path(path).resolve())
    except OSError:
        return str(path)
