"""What the command line tells the Terraform source."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from driftcheck.sources.terraform.state import TerraformState

RESOURCE_TYPE = "aws_imagebuilder_image_pipeline"


def is_pipeline(block) -> bool:
    """True for a ``resource \"aws_imagebuilder_image_pipeline\" \"NAME\"`` block of the syntax index."""
    return block.type == "resource" and block.labels[:1] == (RESOURCE_TYPE,) and len(block.labels) >= 2


@dataclass(frozen=True)
class TerraformOptions:
    """Variables, variable files, state and workspace, as given on the command line."""

    variables: tuple[tuple[str, str], ...] = ()
    var_files: tuple[Path, ...] = ()
    state: TerraformState | None = None
    workspace: str = "default"
    # --var names that another source of the run declares (template parameters): not Terraform's to refuse
    foreign_variables: frozenset[str] = frozenset()
    # told, once the count/for_each values are known and before the slow expansion, how many pipeline instances
    # a root will have (a hint for when to start reading live state, never for what is compared)
    expect: Callable[[int], None] | None = field(default=None, compare=False, repr=False)
