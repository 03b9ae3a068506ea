"""Declared-pipeline sources: the one registry of what driftcheck can read.

Each source kind maps to a class with ``kind`` and ``collect(paths) -> SourceResult``. :func:`detect`
decides, from a path, which source reads it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from pathlib import Path
from typing import assert_never

from driftcheck.model import InputError, Location
from driftcheck.sources.base import SourceResult
from driftcheck.sources.terraform import TerraformOptions, TerraformSource

__all__ = ["SourceKind", "SourceOptions", "collect", "detect"]


class SourceKind(str, enum.Enum):
    """Every kind of declaration driftcheck reads."""

    TERRAFORM = "terraform"

    def source(self, options: "SourceOptions") -> TerraformSource:
        """The source object for this kind."""
        if self is SourceKind.TERRAFORM:
            return TerraformSource(options.terraform)
        assert_never(self)


class SourceOptions:
    """Options for every source, as the command line gives them."""

    def __init__(self, terraform: TerraformOptions | None = None) -> None:
        self.terraform = terraform or TerraformOptions()


def detect(path: Path) -> SourceKind | None:
    """Which source reads this path: a directory with .tf files or a .tf file is Terraform."""
    if path.is_dir() and any(path.glob("*.tf")):
        return SourceKind.TERRAFORM
    if path.is_file() and path.suffix == ".tf":
        return SourceKind.TERRAFORM
    return None


def collect(paths: Iterable[str], options: SourceOptions) -> SourceResult:
    """Read every path with its source; a path nothing reads is an input error (the rest still count)."""
    grouped: dict[SourceKind, list[str]] = {}
    errors: list[InputError] = []
    for shown in paths:
        path = Path(shown)
        if not path.exists():
            errors.append(InputError(Location(shown), "no such file or directory"))
            continue
        kind = detect(path)
        if kind is None:
            errors.append(InputError(Location(shown), "nothing to check here: expected a Terraform directory or .tf file"))
            continue
        grouped.setdefault(kind, []).append(shown)
    pipelines = []
    for kind, kind_paths in grouped.items():
        result = kind.source(options).collect(kind_paths)
        pipelines.extend(result.pipelines)
        errors.extend(result.errors)
    return SourceResult(tuple(pipelines), tuple(errors))
