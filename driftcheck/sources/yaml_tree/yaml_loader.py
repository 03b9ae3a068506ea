"""One-document YAML text -> located :class:`~driftcheck.sources.yaml_tree.located.Node` tree.

Two steps over PyYAML's parser. First a bounds pass (:class:`YamlBounds`): one linear scan over the
parser's events (libyaml's C parser when PyYAML has it) refuses a file holding several documents,
nesting deeper than :data:`~driftcheck.sources.yaml_tree.limits.MAX_DEPTH`, and aliases that would
expand to more than :data:`~driftcheck.sources.yaml_tree.limits.MAX_NODES` values (the "billion
laughs" attack), before anything is built. Then the builder (:class:`_YamlBuilder`): SafeLoader
composes the document and its own constructors make the scalars, so values are YAML 1.1's.
CloudFormation short-form tags (``!Ref``, ``!Sub``...) are rewritten into their long form; any other
local tag is kept on its node and listed. Every problem is a :class:`DocumentError` at its line.
"""

from __future__ import annotations

import types
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    CollectionEndEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    Event,
    NodeEvent,
)
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from driftcheck.model import Location
from driftcheck.sources.yaml_tree.limits import MAX_DEPTH, MAX_NODES, quote_key
from driftcheck.sources.yaml_tree.located import Document, DocumentError, DuplicateKey, Node

_YAML_TAG = "tag:yaml.org,2002:"
_SEQUENCE_TAGS = frozenset(_YAML_TAG + name for name in ("seq", "omap", "pairs"))
_MAPPING_TAGS = frozenset(_YAML_TAG + name for name in ("map", "set"))
# Implicitly resolved by PyYAML but without a SafeLoader constructor: read them as strings.
_STRING_LIKE_TAGS = frozenset(_YAML_TAG + name for name in ("merge", "value"))

_SHORT_FORMS: dict[str, str] = {"!Ref": "Ref", "!Condition": "Condition"} | {
    "!" + name: "Fn::" + name
    for name in (
        "GetAtt", "Sub", "Join", "Select", "Split", "FindInMap", "If", "Equals", "And", "Or", "Not",
        "ImportValue", "Base64", "Cidr", "GetAZs", "Transform", "ToJsonString", "Length", "ForEach",
    )
}


class _Loader(yaml.SafeLoader):
    """SafeLoader's reader, scanner, parser, composer and resolver; Nodes are built by :class:`_YamlBuilder`."""


def load_yaml(text: str, file: str) -> Document:
    """The Document of a one-document YAML text, after the bounds pass."""
    YamlBounds(file).check(text)
    loader = _new_loader(text, file)
    try:
        root = loader.get_single_node()
        if root is None:
            return Document(file, Node(None, 1, file), "yaml")
        builder = _YamlBuilder(loader, file)
        built = builder.build(root)
        return Document(file, built, "yaml", tuple(builder.unknown_tags), tuple(builder.duplicates))
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, file, text) from None
    except RecursionError:
        raise DocumentError(f"nesting deeper than {MAX_DEPTH} levels", Location(file, 1)) from None
    finally:
        loader.dispose()


def _new_loader(text: str, file: str) -> _Loader:
    """A loader over ``text``; the reader refuses unprintable characters right here."""
    try:
        return _Loader(text)
    except yaml.YAMLError as exc:
        raise _yaml_error(exc, file, text) from None


def _yaml_error(exc: yaml.YAMLError, file: str, text: str) -> DocumentError:
    """A PyYAML exception as a one-line DocumentError at the problem's line."""
    if isinstance(exc, yaml.reader.ReaderError):
        line = text.count("\n", 0, exc.position) + 1
        message = f"malformed YAML: unacceptable character #x{exc.character:04x}: {exc.reason}"
        return DocumentError(message, Location(file, line))
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "cannot be parsed"
        prefix = "" if isinstance(exc, yaml.constructor.ConstructorError) else "malformed YAML: "
        return DocumentError(prefix + " ".join(problem.split()), Location(file, mark.line + 1 if mark else 1))
    return DocumentError("malformed YAML: " + " ".join(str(exc).split()), Location(file, 1))


class YamlBounds:
    """One linear pass over parser events: document count, nesting depth, size after alias expansion."""

    def __init__(self, file: str) -> None:
        self.file = file
        self._reset()

    def _reset(self) -> None:
        self.documents = 0
        self.total = 0  # values so far, aliases expanded
        self.aliased = False
        self.frames: list[list[Any]] = []  # open collections: [anchor, size, height, line]
        self.anchors: dict[str, tuple[int, int, int] | None] = {}  # anchor -> (size, height, line); None while open

    def check(self, text: str) -> None:
        """Raise DocumentError if ``text`` holds several documents, nests too deep or expands too much.

        libyaml's C parser (when PyYAML has it) runs the pass several times faster; on any syntax error
        it hands over to the pure-Python parser, whose message is the one reported (and which builds
        the nodes afterwards anyway).
        """
        fast = getattr(yaml, "CSafeLoader", None)
        if fast is not None:
            try:
                self._run(fast(text))
                return
            except yaml.YAMLError:
                self._reset()  # start over with the exact parser
        try:
            self._run(_new_loader(text, self.file))
        except yaml.YAMLError as exc:
            raise _yaml_error(exc, self.file, text) from None

    def _run(self, loader: Any) -> None:
        """The whole pass over one loader's events; the loader is disposed of afterwards."""
        try:
            second_line = self._scan(loader)
            if second_line is not None:
                self._count_remaining(loader, second_line)
        finally:
            loader.dispose()

    def _scan(self, loader: _Loader) -> int | None:
        """Feed events until the end, or until a second document starts (returns its line)."""
        while loader.check_event():
            event = loader.get_event()
            if isinstance(event, DocumentStartEvent):
                self.documents += 1
                self.anchors = {}
                if self.documents == 2:
                    return _line(event)
            elif isinstance(event, NodeEvent):
                self._node(event)
            elif isinstance(event, CollectionEndEvent):
                self._end()
        return None

    def _count_remaining(self, loader: _Loader, second_line: int) -> None:
        """Count the documents left after the second one, then refuse the file."""
        at_least = ""
        try:
            while loader.check_event():
                if isinstance(loader.get_event(), DocumentStartEvent):
                    self.documents += 1
        except yaml.YAMLError:
            at_least = "at least "
        message = f"holds {at_least}{self.documents} YAML documents; expected one"
        raise DocumentError(message, Location(self.file, second_line))

    def _error(self, message: str, event: Event) -> DocumentError:
        return DocumentError(message, Location(self.file, _line(event)))

    def _node(self, event: NodeEvent) -> None:
        if isinstance(event, AliasEvent):
            self._alias(event)
            return
        anchor = event.anchor
        if anchor is not None:
            if anchor in self.anchors:
                first = self.anchors[anchor]
                where = f" (first at line {first[2]})" if first else ""
                raise self._error(f'duplicate anchor "&{anchor}"{where}', event)
            self.anchors[anchor] = None
        self._add(1, event)
        if isinstance(event, CollectionStartEvent):
            if len(self.frames) + 1 > MAX_DEPTH:
                raise self._error(f"nesting deeper than {MAX_DEPTH} levels", event)
            self.frames.append([anchor, 1, 1, _line(event)])
        else:
            self._finish(anchor, 1, 0, _line(event))

    def _alias(self, event: AliasEvent) -> None:
        name = event.anchor
        if name not in self.anchors:
            raise self._error(f'alias "*{name}" refers to no anchor defined before it', event)
        known = self.anchors[name]
        if known is None:
            raise self._error(f'alias "*{name}" refers to a collection that contains it (recursive structure)', event)
        size, height, _ = known
        if len(self.frames) + height > MAX_DEPTH:
            raise self._error(f"nesting deeper than {MAX_DEPTH} levels (through alias \"*{name}\")", event)
        self.aliased = True
        self._add(size, event)
        self._to_parent(size, height)

    def _end(self) -> None:
        anchor, size, height, line = self.frames.pop()
        self._finish(anchor, size, height, line)

    def _finish(self, anchor: str | None, size: int, height: int, line: int) -> None:
        """A value is complete: remember its size if anchored, and add it to its parent collection."""
        if anchor is not None:
            self.anchors[anchor] = (size, height, line)
        self._to_parent(size, height)

    def _to_parent(self, size: int, height: int) -> None:
        if self.frames:
            parent = self.frames[-1]
            parent[1] += size
            parent[2] = max(parent[2], height + 1)

    def _add(self, count: int, event: Event) -> None:
        """Count values; refuse once the document (aliases expanded) passes MAX_NODES."""
        self.total += count
        if self.total > MAX_NODES:
            if self.aliased:
                raise self._error(f"aliases expand to more than {MAX_NODES} values (possible alias bomb)", event)
            raise self._error(f"holds more than {MAX_NODES} values", event)


def _line(item: Any) -> int:
    """1-based line of a PyYAML event or node."""
    return item.start_mark.line + 1


class _YamlBuilder:
    """Builds Nodes from PyYAML's composed nodes: scalars via SafeLoader's constructors, tags handled here."""

    def __init__(self, loader: _Loader, file: str) -> None:
        self.loader = loader
        self.file = file
        self.unknown_tags: list[tuple[str, int]] = []
        self.duplicates: list[DuplicateKey] = []  # keys written twice in one mapping (the last one is kept)
        self._built: dict[int, Node] = {}  # id(PyYAML node) -> Node; aliases share the anchored node

    def _error(self, message: str, node: yaml.Node) -> DocumentError:
        return DocumentError(message, Location(self.file, _line(node)))

    def build(self, node: yaml.Node) -> Node:
        """The Node for a PyYAML node (the same Node again for an alias of it)."""
        built = self._built.get(id(node))
        if built is None:
            built = self._build_tagged(node)
            self._built[id(node)] = built
        return built

    def _build_tagged(self, node: yaml.Node) -> Node:
        tag = node.tag
        if tag in _SHORT_FORMS:
            name = _SHORT_FORMS[tag]
            inner = self._build_as_untagged(node, None)
            line = _line(node)
            key_lines = types.MappingProxyType({name: line})
            return Node(types.MappingProxyType({name: inner}), line, self.file, key_lines=key_lines)
        if tag.startswith("!"):
            self.unknown_tags.append((tag, _line(node)))
            return self._build_as_untagged(node, tag)
        return self._build_standard(node)

    def _build_as_untagged(self, node: yaml.Node, keep_tag: str | None) -> Node:
        """A locally tagged node built as if it had no tag; ``keep_tag`` goes on the Node."""
        if isinstance(node, ScalarNode):
            plain = node.style is None
            tag = self.loader.resolve(ScalarNode, node.value, (plain, not plain))
            return self._scalar(node, tag, keep_tag)
        return self._collection(node, keep_tag)

    def _build_standard(self, node: yaml.Node) -> Node:
        """A node with a resolved or explicit standard tag, checked the way SafeLoader would."""
        if isinstance(node, ScalarNode):
            return self._scalar(node, node.tag, None)
        problem = _collection_tag_problem(node.tag, _kind(node), self.loader)
        if problem is None and node.tag in (_YAML_TAG + "omap", _YAML_TAG + "pairs"):
            problem = _pairs_problem(node)
        if problem is not None:
            raise self._error(problem, node)
        return self._collection(node, None)

    def _collection(self, node: yaml.Node, keep_tag: str | None) -> Node:
        if isinstance(node, SequenceNode):
            items = tuple(self.build(item) for item in node.value)
            return Node(items, _line(node), self.file, tag=keep_tag)
        return self._mapping(node, keep_tag)

    def _mapping(self, node: MappingNode, keep_tag: str | None) -> Node:
        children: dict[str, Node] = {}
        key_lines: dict[str, int] = {}
        repeated: dict[str, list[int]] = {}  # key -> every line it is on, for keys written more than once
        for key_node, value_node in node.value:
            key = self._key(key_node)
            line = _line(key_node)
            if key in children:
                repeated.setdefault(key, [key_lines[key]]).append(line)
            key_lines[key] = line
            children[key] = self.build(value_node)  # the last one wins, as in CloudFormation
        built = Node(
            types.MappingProxyType(children), _line(node), self.file,
            key_lines=types.MappingProxyType(key_lines), tag=keep_tag,
        )
        self.duplicates.extend(DuplicateKey(key, tuple(lines), built) for key, lines in repeated.items())
        return built

    def _key(self, node: yaml.Node) -> str:
        """A mapping key as text: a plain scalar as written, any other scalar as str(value)."""
        if not isinstance(node, ScalarNode):
            raise self._error(f"a mapping key must be a scalar, not a {_kind(node)}", node)
        if node.tag in _SHORT_FORMS:
            raise self._error(f"a mapping key cannot carry the tag {node.tag}", node)
        built = self.build(node)
        return built.raw if built.raw is not None else str(built.value)

    def _scalar(self, node: ScalarNode, tag: str, keep_tag: str | None) -> Node:
        raw = node.value if node.style is None else None
        return Node(self._scalar_value(node, tag), _line(node), self.file, raw=raw, tag=keep_tag)

    def _scalar_value(self, node: ScalarNode, tag: str) -> Any:
        """The scalar's value as SafeLoader's constructor for ``tag`` makes it."""
        if tag in _STRING_LIKE_TAGS or tag == _YAML_TAG + "str":
            return node.value
        constructors = type(self.loader).yaml_constructors
        constructor = constructors.get(tag, constructors[None])
        typed = ScalarNode(tag, node.value, node.start_mark, node.end_mark, node.style)
        try:
            value = constructor(self.loader, typed)
            if isinstance(value, types.GeneratorType):  # a collection constructor: it refuses a scalar
                for _ in value:
                    pass
        except yaml.YAMLError as exc:
            raise _yaml_error(exc, self.file, "") from None
        except Exception as exc:  # SafeLoader's constructors raise ValueError, KeyError... on bad text
            detail = " ".join(str(exc).split()) if type(exc) is ValueError else ""
            message = f"invalid {_short_tag(tag)} value {quote_key(node.value)}" + (f": {detail}" if detail else "")
            raise self._error(message, node) from None
        if isinstance(value, types.GeneratorType):
            raise self._error(f"expected a {tag.removeprefix(_YAML_TAG)} here, but found a scalar", node)
        return value


def _kind(node: yaml.Node) -> str:
    if isinstance(node, MappingNode):
        return "mapping"
    return "sequence" if isinstance(node, SequenceNode) else "scalar"


def _short_tag(tag: str) -> str:
    return "!!" + tag.removeprefix(_YAML_TAG) if tag.startswith(_YAML_TAG) else tag


def _collection_tag_problem(tag: str, kind: str, loader: _Loader) -> str | None:
    """Why SafeLoader would refuse a standard or global ``tag`` on a collection of ``kind``; None if fine."""
    if (kind == "sequence" and tag in _SEQUENCE_TAGS) or (kind == "mapping" and tag in _MAPPING_TAGS):
        return None
    if tag in _SEQUENCE_TAGS:
        return f"expected a sequence node, but found {kind}"
    if tag in _MAPPING_TAGS:
        return f"expected a mapping node, but found {kind}"
    if tag in type(loader).yaml_constructors:
        return f"expected a scalar node, but found {kind}"
    return f"could not determine a constructor for the tag '{tag}'"


def _pairs_problem(node: SequenceNode) -> str | None:
    """!!omap and !!pairs hold one-key mappings only."""
    for item in node.value:
        if not isinstance(item, MappingNode) or len(item.value) != 1:
            return f"expected a mapping of length 1, but found {_kind(item)}"
    return None
