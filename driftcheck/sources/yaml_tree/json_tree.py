"""Strict JSON text -> located :class:`~driftcheck.sources.yaml_tree.located.Node` tree.

The standard library's pure-Python scanner parses; hooks record the line of every value and key. A
linear bracket scan refuses nesting deeper than :data:`~driftcheck.sources.yaml_tree.limits.MAX_DEPTH`
before parsing, and more than :data:`~driftcheck.sources.yaml_tree.limits.MAX_NODES` values are refused.
"""

from __future__ import annotations

import bisect
import json
import json.decoder
import json.scanner
import re
import types
from collections.abc import Callable
from typing import Any

from driftcheck.model import Location
from driftcheck.sources.yaml_tree.limits import MAX_DEPTH, MAX_NODES
from driftcheck.sources.yaml_tree.located import DocumentError, DuplicateKey, Node

_Scan = Callable[[str, int], tuple[Any, int]]  # the JSON scanner's scan_once(text, index) -> (value, end)

_JSON_WHITESPACE = " \t\n\r"
_NEWLINE = re.compile("\n")
# A whole JSON string (skipped), a lone quote (an unterminated string: stop scanning), or a bracket.
_JSON_TOKEN = re.compile(r'"[^"\\]*+(?:\\.[^"\\]*+)*+"|["\[\]{}]', re.DOTALL)
_JSON_CONSTANTS = ("NaN", "Infinity", "-Infinity")


class JsonBuilder:
    """Parses strict JSON with the stdlib's pure-Python scanner, recording where every value starts."""

    def __init__(self, text: str, file: str) -> None:
        self.text = text
        self.file = file
        self._breaks = [match.start() for match in _NEWLINE.finditer(text)]
        self._values = 0
        self.duplicates: list[DuplicateKey] = []  # keys written twice in one object (the last one is kept)
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
        repeated: dict[str, list[int]] = {}  # key -> every line it is on, for keys written more than once
        for (key, child), value_start in zip(pairs, starts):
            line = self._line(_json_key_start(text, value_start))
            if key in children:
                repeated.setdefault(key, [key_lines[key]]).append(line)
            children[key] = child  # the last one wins, as in CloudFormation
            key_lines[key] = line
        line = self._line(open_end - 1)
        node = Node(types.MappingProxyType(children), line, self.file, key_lines=types.MappingProxyType(key_lines))
        self.duplicates.extend(DuplicateKey(key, tuple(lines), node) for key, lines in repeated.items())
        return node, end

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

