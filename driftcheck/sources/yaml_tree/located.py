"""Values read from a YAML or JSON file, each carrying the line it was written on.

The loader (:mod:`driftcheck.sources.yaml_tree.load`) turns a file into a tree of :class:`Node`; the
CloudFormation and driftcheck-YAML sources read that tree, so every value they produce can say
where it came from. Nodes are immutable: mappings are read-only, sequences are tuples.

CloudFormation short-form tags are turned into their long form when loading (``!Sub x`` becomes the
mapping ``{"Fn::Sub": x}``, ``!Ref x`` becomes ``{"Ref": x}``, ``!Condition x`` becomes
``{"Condition": x}``), so readers only ever see the long form. A local tag the loader does not know
(``!reference``, ``!vault``...) is kept on the node in :attr:`Node.tag`, and listed in
:attr:`Document.unknown_tags`, so a reader can decide whether it matters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from driftcheck.errors import SourceError
from driftcheck.model import Location
from driftcheck.sources.yaml_tree.limits import quote_key

_EMPTY: Mapping[str, int] = MappingProxyType({})


@dataclass(frozen=True)
class Node:
    """One value of a loaded document.

    ``value`` is a read-only ``Mapping[str, Node]`` (keys in file order), a ``tuple[Node, ...]``, or a
    scalar (str, int, float, bool, None, ``datetime.date``/``datetime.datetime`` for YAML timestamps).
    ``line`` is the 1-based line where the value starts. ``raw`` is the source text of a plain
    (unquoted) YAML scalar, so a reader that wants a string gets ``"0123"`` or ``"2010-09-09"`` as
    written rather than what YAML 1.1 made of it; it is None for quoted scalars, collections and JSON.
    """

    value: Any
    line: int
    file: str
    raw: str | None = None
    key_lines: Mapping[str, int] = field(default_factory=lambda: _EMPTY)  # mappings only: the line of each key
    tag: str | None = None  # an unknown local tag written on this node ("!reference"), else None

    @property
    def location(self) -> Location:
        """Where this value starts."""
        return Location(self.file, self.line)

    def is_mapping(self) -> bool:
        """True for a mapping node."""
        return isinstance(self.value, Mapping)

    def is_sequence(self) -> bool:
        """True for a sequence node."""
        return isinstance(self.value, tuple)

    def is_scalar(self) -> bool:
        """True for anything that is neither a mapping nor a sequence."""
        return not self.is_mapping() and not self.is_sequence()

    def get(self, key: str) -> "Node | None":
        """The value under ``key`` of a mapping node (None if absent or not a mapping)."""
        return self.value.get(key) if self.is_mapping() else None

    def key_location(self, key: str) -> Location:
        """Where ``key`` is written in this mapping (its value's line when the key line is unknown)."""
        line = self.key_lines.get(key)
        if line is None:
            child = self.get(key)
            line = child.line if child is not None else self.line
        return Location(self.file, line)

    def text(self) -> str | None:
        """The scalar as a string the way it was written (``raw`` for plain YAML scalars); None for null and collections."""
        if not self.is_scalar() or self.value is None:
            return None
        if self.raw is not None:
            return self.raw
        if isinstance(self.value, bool):
            return "true" if self.value else "false"
        return str(self.value)

    def plain(self) -> Any:
        """The value with every Node stripped: dicts, lists and scalars."""
        if self.is_mapping():
            return {key: child.plain() for key, child in self.value.items()}
        if self.is_sequence():
            return [child.plain() for child in self.value]
        return self.value


def node_from_plain(value: Any, line: int = 1, file: str = "<memory>") -> Node:
    """Build a Node tree from plain Python values, every node on ``line`` (for tests and synthesized values)."""
    if isinstance(value, Node):
        return value
    if isinstance(value, Mapping):
        children = {str(key): node_from_plain(item, line, file) for key, item in value.items()}
        return Node(MappingProxyType(children), line, file, key_lines=MappingProxyType({k: line for k in children}))
    if isinstance(value, (list, tuple)):
        return Node(tuple(node_from_plain(item, line, file) for item in value), line, file)
    return Node(value, line, file)


@dataclass(frozen=True)
class DuplicateKey:
    """A key written more than once in one mapping. The loaded mapping holds the last value, as
    CloudFormation (and most JSON readers) take it; ``lines`` are every line the key is on, in order."""

    key: str
    lines: tuple[int, ...]
    mapping: Node = field(compare=False, repr=False)  # the mapping (as loaded) that holds the key

    @property
    def line(self) -> int:
        """The line of the value in use: the last one."""
        return self.lines[-1]

    def strict_error(self) -> "DocumentError":
        """The error for a reader that refuses duplicate keys: at the second occurrence, naming the first."""
        message = f"duplicate key {quote_key(self.key)} (first at line {self.lines[0]})"
        return DocumentError(message, Location(self.mapping.file, self.lines[1]))


@dataclass(frozen=True)
class Document:
    """One loaded file: its root node, its format, the unknown local tags it uses (tag, line), and the
    keys written twice in one mapping (in file order; each mapping holds the last value)."""

    file: str
    root: Node
    format: str  # "yaml" or "json"
    unknown_tags: tuple[tuple[str, int], ...] = ()
    duplicate_keys: tuple[DuplicateKey, ...] = ()

    def refuse_duplicate_keys(self) -> None:
        """For readers whose schema is strict: raise the DocumentError of the first duplicate key, if any."""
        if self.duplicate_keys:
            raise self.duplicate_keys[0].strict_error()


class DocumentError(SourceError):
    """A file that cannot be loaded: malformed, too deep, alias bomb... (always with a location)."""
