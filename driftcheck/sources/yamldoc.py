"""Load one YAML or JSON file, safely, into the located tree of :mod:`driftcheck.sources.located`.

This module's one job is turning text into :class:`Node` trees that know their line numbers. It knows
nothing about CloudFormation or driftcheck's pipeline files, except that CloudFormation short-form
tags (``!Ref``, ``!Sub``...) are rewritten into their long form. Every problem becomes a
:class:`DocumentError` with a file and a line; no parser exception, traceback or RecursionError gets out.

Hostile input is bounded before any tree is built: files over :data:`MAX_FILE_BYTES` are refused,
nesting deeper than :data:`MAX_DEPTH` is refused by linear pre-passes (a bracket scan for JSON, an
event scan for YAML), and YAML aliases are refused when they would expand to more than
:data:`MAX_NODES` values (the "billion laughs" attack).
"""

from __future__ import annotations

import bisect
import codecs
import json
import json.decoder
import json.scanner
import re
import types
from collections.abc import Callable
from pathlib import Path
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
from driftcheck.sources.located import Document, DocumentError, Node

MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 100
MAX_NODES = 500_000

_Scan = Callable[[str, int], tuple[Any, int]]  # the JSON scanner's scan_once(text, index) -> (value, end)

_BOM = "\ufeff"
_JSON_WHITESPACE = " \t\n\r"
_NEWLINE = re.compile("\n")
# A whole JSON string (skipped), a lone quote (an unterminated string: stop scanning), or a bracket.
_JSON_TOKEN = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+"|["\[\]{}]', re.DOTALL)
_JSON_CONSTANTS = ("NaN", "Infinity", "-Infinity")

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


# ---------------------------------------------------------------------------------------------------
# Entry points
# ---------------------------------------------------------------------------------------------------


def load_file(path: Path, shown: str | None = None) -> Document:
    """Load the YAML or JSON file at ``path``; ``shown`` is the name used in messages (default: the path).

    Refuses files over :data:`MAX_FILE_BYTES` and bytes that are not UTF-8 (a UTF-8 BOM is fine).
    """
    file = shown if shown is not None else str(path)
    data = _read_bytes(path, file)
    return load_text(_decode(data, file), file)


def load_text(text: str, file: str) -> Document:
    """Load YAML or JSON ``text``; ``file`` is the name used in messages.

    JSON when the first non-blank character is ``{`` or ``[``, YAML otherwise. CRLF and CR line
    endings count as one line break each. Raises :class:`DocumentError` for every problem.
    """
    text = _normalize_newlines(text.removeprefix(_BOM))
    if text.lstrip()[:1] in ("{", "["):
        return Document(file, _JsonBuilder(text, file).build(), "json")
    root, unknown_tags = _load_yaml(text, file)
    return Document(file, root, "yaml", tuple(unknown_tags))


def _read_bytes(path: Path, file: str) -> bytes:
    """The file's bytes, refusing more than MAX_FILE_BYTES; OSError becomes DocumentError."""
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise DocumentError(f"cannot read file: {exc.strerror or exc}", Location(file)) from None
    if len(data) > MAX_FILE_BYTES:
        raise DocumentError(f"file is larger than {MAX_FILE_BYTES} bytes; refusing to load it", Location(file))
    return data


def _decode(data: bytes, file: str) -> str:
    """UTF-8 text of ``data`` without its BOM; an undecodable byte is reported at its line."""
    offset = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    try:
        return data[offset:].decode("utf-8")
    except UnicodeDecodeError as exc:
        position = offset + exc.start
        line = _normalize_newlines(data[:position].decode("utf-8", "replace")).count("\n") + 1
        raise DocumentError(
            f"not UTF-8 text: byte 0x{data[position]:02x} at offset {position} cannot be decoded",
            Location(file, line),
        ) from None


def _normalize_newlines(text: str) -> str:
    """CRLF and lone CR become LF, so every parser counts lines the same way."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


# ---------------------------------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------------------------------


class _JsonBuilder:
    """Parses strict JSON with the stdlib's pure-Python scanner, recording where every value starts."""

    def __init__(self, text: str, file: str) -> None:
        self.text = text
        self.file = file
        self._breaks = [match.start() for match in _NEWLINE.finditer(text)]
        self._values = 0
        decoder = json.JSONDecoder(strict=True)
        decoder.parse_object = self._parse_object  # type: ignore[method-assign]
        decoder.parse_array = self._parse_array  # type: ignore[method-assign]
        self._scan_once = json.scanner.py_make_scanner(decoder)

    def build(self) -> Node:
        """The root Node; DocumentError when malformed, too deep, or too large."""
        self._check_depth()
        try:
            return self._parse_root()
        except json.JSONDecodeError as exc:
            message = f"malformed JSON: {exc.msg.removesuffix(' at')}"
            raise DocumentError(message, Location(self.file, exc.lineno)) from None
        except RecursionError:
            raise DocumentError(f"nesting deeper than {MAX_DEPTH} levels", Location(self.file, 1)) from None

    def _line(self, index: int) -> int:
        """1-based line of a character index."""
        return bisect.bisect_left(self._breaks, index) + 1

    def _error(self, message: str, index: int) -> DocumentError:
        return DocumentError(message, Location(self.file, self._line(index)))

    def _check_depth(self) -> None:
        """Linear bracket scan outside strings: refuse nesting deeper than MAX_DEPTH before parsing."""
        depth = 0
        for match in _JSON_TOKEN.finditer(self.text):
            token = match.group()
            if token in ("[", "{"):
                depth += 1
                if depth > MAX_DEPTH:
                    raise self._error(f"nesting deeper than {MAX_DEPTH} levels", match.start())
            elif token in ("]", "}"):
                depth = max(depth - 1, 0)
            elif token == '"':
                return  # an unterminated string: the parser reports it

    def _parse_root(self) -> Node:
        text = self.text
        start = _skip_json_whitespace(text, 0)
        try:
            root, end = self._recorder(self._scan_once, [])(text, start)
        except StopIteration as stop:
            raise json.JSONDecodeError("Expecting value", text, stop.value) from None
        end = _skip_json_whitespace(text, end)
        if end != len(text):
            raise json.JSONDecodeError("Extra data", text, end)
        return root

    def _recorder(self, scan_once: _Scan, starts: list[int]) -> _Scan:
        """Wrap ``scan_once``: note each value's start in ``starts`` and turn scalars into Nodes."""

        def record(text: str, index: int) -> tuple[Node, int]:
            starts.append(index)
            if text.startswith(_JSON_CONSTANTS, index):
                raise self._error("malformed JSON: NaN and Infinity are not JSON values", index)
            try:
                value, end = scan_once(text, index)
            except json.JSONDecodeError:
                raise
            except ValueError:  # int() refusing a number with thousands of digits
                raise self._error("malformed JSON: number too long to read", index) from None
            self._values += 1
            if self._values > MAX_NODES:
                raise self._error(f"holds more than {MAX_NODES} values", index)
            if not isinstance(value, Node):
                value = Node(value, self._line(index), self.file)
            return value, end

        return record

    def _parse_object(self, s_and_end: tuple[str, int], strict: bool, scan_once: _Scan, *_hooks: Any) -> tuple[Node, int]:
        """parse_object hook: the stdlib JSONObject, then key lines and duplicate keys from recorded starts."""
        text, open_end = s_and_end
        starts: list[int] = []
        pairs, end = json.decoder.JSONObject(s_and_end, strict, self._recorder(scan_once, starts), None, list, {})
        children: dict[str, Node] = {}
        key_lines: dict[str, int] = {}
        for (key, child), value_start in zip(pairs, starts):
            line = self._line(_json_key_start(text, value_start))
            if key in children:
                message = f"duplicate key {_quote(key)} (first at line {key_lines[key]})"
                raise DocumentError(message, Location(self.file, line))
            children[key] = child
            key_lines[key] = line
        line = self._line(open_end - 1)
        return Node(types.MappingProxyType(children), line, self.file, key_lines=types.MappingProxyType(key_lines)), end

    def _parse_array(self, s_and_end: tuple[str, int], scan_once: _Scan) -> tuple[Node, int]:
        """parse_array hook: the stdlib JSONArray with every item turned into a Node."""
        values, end = json.decoder.JSONArray(s_and_end, self._recorder(scan_once, []))
        return Node(tuple(values), self._line(s_and_end[1] - 1), self.file), end


def _skip_json_whitespace(text: str, index: int) -> int:
    while index < len(text) and text[index] in _JSON_WHITESPACE:
        index += 1
    return index


def _json_key_start(text: str, value_start: int) -> int:
    """Index of the opening quote of the key whose value starts at ``value_start`` (the value's index if not found).

    Scans back over whitespace and the colon to the key's closing quote, then to the first earlier
    quote that is not escaped (preceded by an even number of backslashes).
    """
    index = value_start - 1
    while index >= 0 and text[index] in _JSON_WHITESPACE:
        index -= 1
    if index < 0 or text[index] != ":":
        return value_start
    index -= 1
    while index >= 0 and text[index] in _JSON_WHITESPACE:
        index -= 1
    if index < 0 or text[index] != '"':
        return value_start
    end = index
    while True:
        quote = text.rfind('"', 0, end)
        if quote < 0:
            return value_start
        backslashes = 0
        while quote - backslashes - 1 >= 0 and text[quote - backslashes - 1] == "\\":
            backslashes += 1
        if backslashes % 2 == 0:
            return quote
        end = quote


def _quote(key: str) -> str:
    return json.dumps(key, ensure_ascii=False)


# ---------------------------------------------------------------------------------------------------
# YAML
# ---------------------------------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """SafeLoader's reader, scanner, parser, composer and resolver; Nodes are built by :class:`_YamlBuilder`."""


def _load_yaml(text: str, file: str) -> tuple[Node, list[tuple[str, int]]]:
    """Root Node and unknown local tags of a one-document YAML text, after the bounds pass."""
    _YamlBounds(file).check(text)
    loader = _new_loader(text, file)
    try:
        root = loader.get_single_node()
        if root is None:
            return Node(None, 1, file), []
        builder = _YamlBuilder(loader, file)
        return builder.build(root), builder.unknown_tags
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


class _YamlBounds:
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
        for key_node, value_node in node.value:
            key = self._key(key_node)
            line = _line(key_node)
            if key in children:
                raise self._error(f"duplicate key {_quote(key)} (first at line {key_lines[key]})", key_node)
            key_lines[key] = line
            children[key] = self.build(value_node)
        return Node(
            types.MappingProxyType(children), _line(node), self.file,
            key_lines=types.MappingProxyType(key_lines), tag=keep_tag,
        )

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
            message = f"invalid {_short_tag(tag)} value {_quote(node.value)}" + (f": {detail}" if detail else "")
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
