"""The syntax index's data: the blocks, attributes, expressions and references of a Terraform file.

Two builders make it, node for node the same (tree_sitter_index.py first, hcl2_index.py where tree-sitter finds an
error); syntax.py chooses between them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from driftcheck.model import Location

KNOWN_ROOTS = {"var", "local", "module", "data", "each", "count", "path", "terraform", "self"}
# Functions whose result Terraform only knows when it applies: recorded as a pseudo-reference ``name()``.
APPLY_TIME_FUNCTIONS = frozenset({"timestamp", "uuid", "bcrypt"})
RESOURCE_TYPE_NAME = re.compile(r"^[a-z][a-z0-9]*_[a-z0-9_]+$")


@dataclass(frozen=True)
class Reference:
    """One traversal an expression makes: ``("var", "name")``, ``("aws_x", "y", "[0]", "arn")``..."""

    steps: tuple[str, ...]

    @property
    def root(self) -> str:
        """The first step: var, local, module, data, each, count... or a resource type."""
        return self.steps[0]

    def __str__(self) -> str:
        text = ""
        for step in self.steps:
            text += step if step.startswith("[") or not text else f".{step}"
        return text


@dataclass
class Expr:
    """An attribute's expression: its line, its source text and the references it makes.

    ``members`` holds the attributes of an object literal (``{ name = "core", id = var.x }``), each an
    Expr of its own, so that one attribute's knownness does not depend on its siblings'.
    ``span`` is the character range of the whole attribute (``name = value``) in its file.
    """

    line: int
    text: str
    references: tuple[Reference, ...]
    members: dict[str, "Expr"] = field(default_factory=dict)
    span: tuple[int, int] = (0, 0)
    value_span: tuple[int, int] = (0, 0)  # where ``text`` is in the file: text == source[start:end]


@dataclass
class Block:
    """A block with its labels, attributes and nested blocks (``dynamic`` blocks kept as such)."""

    type: str
    labels: tuple[str, ...]
    location: Location
    attributes: dict[str, Expr] = field(default_factory=dict)
    blocks: list["Block"] = field(default_factory=list)
    span: tuple[int, int] = (0, 0)  # character offsets of the whole block in its file

    def nested(self, block_type: str) -> list["Block"]:
        """Nested blocks of one type, in order."""
        return [block for block in self.blocks if block.type == block_type]


@dataclass
class FileIndex:
    """Every top-level block of one file, and the file's text."""

    path: Path
    blocks: list[Block]
    source: str = ""




def reference(steps: list[str], local_names: set[str]) -> Reference | None:
    """The reference a traversal makes, if it names something outside the expression: var, local, module, data,
    each, count, path, terraform, self, or ``TYPE.NAME`` of a resource; None for a name the expression binds."""
    root = steps[0]
    if root in local_names:
        return None
    if root in KNOWN_ROOTS or (RESOURCE_TYPE_NAME.match(root) and len(steps) > 1):
        return Reference(tuple(steps))
    return None
