"""What the command line tells the Terraform source."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the state's reader (and the YAML loader behind its limits) is imported when a state is read
    from driftcheck.sources.terraform.state import TerraformState

RESOURCE_TYPE = "aws_imagebuilder_image_pipeline"
# A pipeline block's header, found without parsing (labels quoted or not): the block's name is group 1.
PIPELINE_HEADER = re.compile(r'^[ \t]*resource\s+"?' + RESOURCE_TYPE + r'"?\s+"?([\w-]+)"?', re.MULTILINE)
AUTO_VAR_FILES = ("terraform.tfvars", "terraform.tfvars.json")  # Terraform loads these from the root itself, first,
AUTO_VAR_SUFFIXES = (".auto.tfvars", ".auto.tfvars.json")         # then these, in name order


def read_by_terraform(name: str) -> bool:
    """True for a file Terraform reads from a module directory on its own (configuration, automatic tfvars)."""
    return name.endswith((".tf", ".tf.json", *AUTO_VAR_SUFFIXES)) or name in AUTO_VAR_FILES


def auto_var_files(root: Path) -> list[Path]:
    """The root's automatic variable files in Terraform's precedence order (lowest first)."""
    found = [root / name for name in AUTO_VAR_FILES if (root / name).is_file()]
    return found + sorted((p for suffix in AUTO_VAR_SUFFIXES for p in root.glob(f"*{suffix}")), key=lambda p: p.name)  # one name order


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
