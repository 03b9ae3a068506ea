"""The syntax index built from tree-sitter-hcl's tree: the FileIndex hcl2_index.py builds from python-hcl2's grammar,
with a parser written in C (1,000 pipeline blocks: about a tenth of python-hcl2's time).

It is the same index, node for node: every block, label, attribute, object member, line, character range and
reference is what hcl2_index.py's walk records, including that walk's conventions (which index is literal,
which names a ``for`` expression hides, heredoc interpolations read by that walk's own template reader); the
tests compare both on every construct and every Terraform file of the suite.

A file whose tree has an error or a missing node is not indexed here: :func:`file_index` returns None and syntax.py
has python-hcl2 parse it, so a syntax error is found and worded as it always was.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import tree_sitter
import tree_sitter_hcl

from driftcheck.model import Location
from driftcheck.sources.terraform.index_model import APPLY_TIME_FUNCTIONS, Block, Expr, FileIndex, Reference, reference

_POSTFIX = frozenset({"get_attr", "index", "splat"})
_FOR = frozenset({"for_tuple_expr", "for_object_expr"})
_FOR_KEYWORD = re.compile(rb"\bfor\b")  # a for expression's names reach its later siblings in hcl2_index's walk
_NOT_LITERAL_INDEX = frozenset({"get_attr", "function_call", "index"})  # python-hcl2's get_attr/function_call/index terms
_INDEX_PUNCTUATION = frozenset({"[", "]", '"', "."})
# python-hcl2's binary operation ends with the line breaks and comments after it (its new_line_or_comment, whose
# NL_OR_COMMENT tokens the parser shifts rather than leaving them to the body): blanks, tabs and CRs in between.
_TRAILING_NL_OR_COMMENT = re.compile(r"(?:[ \t\r]*(?:\n[ \t]*|#[^\n]*\n|//[^\n]*\n|/\*(?:.|\n)*?\*/))+")


class ParserUnavailable(Exception):
    """tree-sitter or its HCL grammar could not be loaded: syntax.py indexes with python-hcl2 alone."""


@functools.lru_cache(maxsize=1)
def _parser() -> tree_sitter.Parser:
    try:
        return tree_sitter.Parser(tree_sitter.Language(tree_sitter_hcl.language()))
    except (ValueError, TypeError, OSError) as exc:  # a grammar built for another tree-sitter ABI
        raise ParserUnavailable(str(exc)) from exc


class _Text:
    """The file's text, with tree-sitter's UTF-8 byte positions turned into character offsets."""

    def __init__(self, source: str, data: bytes) -> None:
        self.source = source
        self.data = data
        self.ascii = source.isascii()
        if not self.ascii:
            self.lines = data.split(b"\n")
            self.line_starts = [0]
            for line in self.lines[:-1]:
                self.line_starts.append(self.line_starts[-1] + len(line.decode("utf-8")) + 1)

    def offset(self, byte: int, point: tuple[int, int]) -> int:
        if self.ascii:
            return byte
        row, column = point
        return self.line_starts[row] + len(self.lines[row][:column].decode("utf-8"))

    def start(self, node: Any) -> int:
        return self.offset(node.start_byte, node.start_point)

    def end(self, node: Any) -> int:
        """Where python-hcl2's last token of ``node`` ends: a heredoc's token takes the line break after its marker."""
        end = self.offset(node.end_byte, node.end_point)
        if _ends_in_binary_operation(node):
            trailing = _TRAILING_NL_OR_COMMENT.match(self.source + "\n", end)  # python-hcl2 appends the newline too
            return trailing.end() if trailing else end
        if self.data.find(b"<<", node.start_byte, node.end_byte) >= 0 and _ends_in_heredoc(node):
            if self.source.startswith("\r\n", end):
                return end + 2
            if self.source.startswith("\n", end) or end == len(self.source):  # python-hcl2 appends a newline to the text
                return end + 1
        return end

    def of(self, node: Any) -> str:
        return self.data[node.start_byte:node.end_byte].decode("utf-8")


def _ends_in_binary_operation(node: Any) -> bool:
    while node.type in ("expression", "operation", "conditional", "binary_operation") and node.child_count:
        if node.type == "binary_operation":
            return True
        node = node.children[-1]
    return False


def _ends_in_heredoc(node: Any) -> bool:
    while node.child_count:
        node = node.children[-1]
        if node.type == "heredoc_template":
            return True
    return False


def _leaves(node: Any) -> list[Any]:
    """The tokens under ``node`` in order (python-hcl2's ``scan_values``)."""
    found, stack = [], [node]
    while stack:
        item = stack.pop()
        if item.child_count == 0:
            found.append(item)
        else:
            stack.extend(reversed(item.children))
    return found


def _label(node: Any, text: _Text) -> str:
    """python-hcl2's label: its tokens joined, the quotes left out."""
    return "".join(piece for piece in (text.of(leaf) for leaf in _leaves(node)) if piece != '"')


class _References:
    """hcl2_index._Collector's walk over tree-sitter's tree, where a traversal is flat: a base followed by its
    ``get_attr``/``index``/``splat`` siblings, not python-hcl2's nested terms."""

    def __init__(self, text: _Text, local_names: frozenset[str]) -> None:
        self.text = text
        self.local_names = set(local_names)
        self.found: list[Reference] = []

    def visit(self, node: Any) -> None:
        kind = node.type
        if kind in ("literal_value", "comment"):
            return
        if kind == "heredoc_template":  # python-hcl2 has heredocs as one token: hcl2_index.py's template reader
            from driftcheck.sources.terraform import hcl2_index  # (and Lark) imported for a heredoc only

            reader = hcl2_index._Collector(frozenset(self.local_names))
            reader.visit_template(self.text.source[self.text.start(node):self.text.end(node)])
            self.found.extend(reader.found)
            return
        if kind == "function_call":
            names = [c for c in node.children if c.type == "identifier"]
            if len(names) == 1 and self.text.of(names[0]) in APPLY_TIME_FUNCTIONS:
                self.found.append(Reference((f"{self.text.of(names[0])}()",)))
        elif kind in _FOR:
            stack = [node]
            while stack:
                item = stack.pop()
                if item.type == "for_intro":
                    self.local_names.update(self.text.of(c) for c in item.children if c.type == "identifier")
                stack.extend(item.children)
        self.visit_all(node.children)

    def visit_all(self, children: list[Any]) -> None:
        i, count = 0, len(children)
        while i < count:
            base = children[i:i + 1]
            if children[i].type == "(":  # a parenthesized expression: ( expression )
                base = children[i:i + 3]
            j = i + len(base)
            while j < count and children[j].type in _POSTFIX:
                j += 1
            if j > i + len(base):
                self.traversal(base, children[i + len(base):j])
            else:
                for node in base:
                    self.visit(node)
            i = j

    def traversal(self, base: list[Any], postfix: list[Any]) -> None:
        steps = [self.text.of(base[0].children[0])] if base[0].type == "variable_expr" else None
        for node in postfix:
            if node.type == "get_attr":
                name = [self.text.of(c) for c in node.children if c.type != "."]
                steps = None if steps is None else steps + name[-1:]
            elif node.type == "index":
                literal = self.literal_index(node)
                if literal is None:
                    self.visit(node)  # references inside the index expression still count
                steps = None if steps is None else steps + [literal or "[*]"]
            else:  # a splat takes the rest of the traversal
                steps = None if steps is None else steps + ["[*]"]
                break
        if steps:
            self.record(steps)
            return
        for node in [*base, *postfix]:
            self.visit(node)

    def literal_index(self, node: Any) -> str | None:
        legacy = node.children[0] if node.child_count == 1 and node.children[0].type == "legacy_index" else None
        if legacy is not None:  # ``.0``: tree-sitter keeps the digits inside the node, not as a token of their own
            digits = self.text.of(legacy).lstrip(".").strip()
            return f"[{digits}]" if digits.isdigit() else None
        stack = [node]
        while stack:
            item = stack.pop()
            if item is not node and item.type in _NOT_LITERAL_INDEX:
                return None
            stack.extend(item.children)
        values = [v for v in (self.text.of(leaf) for leaf in _leaves(node)) if v not in _INDEX_PUNCTUATION]
        if len(values) == 1:
            return f"[{values[0]}]" if values[0].isdigit() else f'["{values[0]}"]'
        return None

    def record(self, steps: list[str]) -> None:
        found = reference(steps, self.local_names)
        if found is not None:
            self.found.append(found)


def _is_literal(node: Any) -> bool:
    """A number, bool, null or string without interpolation: no references, no members, nothing after it."""
    return node.child_count == 1 and node.children[0].type == "literal_value"


def _expr(value: Any, text: _Text, names: frozenset[str], line: int, attribute_start: int | None = None) -> Expr:
    """The Expr of an attribute's value (``attribute_start``: where the attribute starts; it ends where its value
    does) or of an object member's; most values are literals, with nothing more to read."""
    literal = _is_literal(value)
    start = text.start(value)
    end = text.offset(value.end_byte, value.end_point) if literal else text.end(value)
    span = (0, 0) if attribute_start is None else (attribute_start, end)
    if literal:
        return Expr(line=line, text=text.source[start:end], references=(), members={}, span=span, value_span=(start, end))
    elements = _object_elements(value, text, names)
    if elements is not None and not _FOR_KEYWORD.search(text.data, value.start_byte, value.end_byte):
        # the object's references are its keys' and members' in order: each member is read once, not once per level
        found = [ref for key_refs, _, expr in elements for ref in (*key_refs, *expr.references)]
        references = tuple(dict.fromkeys(found))
    else:
        references = _references(value, text, names)
    members = {key: expr for _, key, expr in elements or () if key}
    return Expr(line=line, text=text.source[start:end], references=references, members=members, span=span, value_span=(start, end))


def _references(node: Any, text: _Text, names: frozenset[str]) -> tuple[Reference, ...]:
    collector = _References(text, names)
    collector.visit(node)
    return tuple(dict.fromkeys(collector.found))


def _object_elements(expression: Any, text: _Text, names: frozenset[str]) -> list[tuple[tuple[Reference, ...], str, Expr]] | None:
    """An object literal's elements in order: (its key's references, its key, its value's Expr); None for any other
    expression (hcl2_index._members reads the same elements)."""
    node = expression
    while node.type in ("expression", "collection_value") and node.child_count == 1:
        node = node.children[0]
    if node.type != "object":
        return None
    elements = []
    for elem in node.children:
        if elem.type != "object_elem" or elem.child_count < 3:
            continue
        key_node, value = elem.children[0], elem.children[-1]
        elements.append((_references(key_node, text, names), _label(key_node, text).strip(), _expr(value, text, names, value.start_point[0] + 1)))
    return elements


def _block(node: Any, path: Path, text: _Text, local_names: frozenset[str]) -> Block:
    children = node.children
    block_type = text.of(children[0])
    labels = tuple(_label(c, text) for c in children[1:] if c.type in ("string_lit", "identifier"))
    start, end = text.start(node), text.end(node)
    block = Block(type=block_type, labels=labels, location=Location(str(path), node.start_point[0] + 1), span=(start, end))
    body = next((c for c in children if c.type == "body"), None)
    names = local_names
    if block_type == "dynamic" and labels:
        names = names | {labels[0]}
    for item in body.children if body is not None else ():
        if item.type == "attribute":
            name = text.of(item.children[0])
            value = item.children[-1]
            if block_type == "dynamic" and name == "iterator":
                names = names | {text.source[text.start(value):text.end(value)].strip()}
            block.attributes[name] = _expr(value, text, names, item.start_point[0] + 1, text.start(item))
        elif item.type == "block":
            block.blocks.append(_block(item, path, text, names))
    return block


def file_index(source: str, shown: str) -> FileIndex | None:
    """The file's index, or None when tree-sitter finds an error in it (python-hcl2 then decides)."""
    data = source.encode("utf-8")
    tree = _parser().parse(data)
    root = tree.root_node
    if root.has_error:
        return None
    text = _Text(source, data)
    body = next((c for c in root.children if c.type == "body"), None)
    path = Path(shown)
    blocks = [_block(item, path, text, frozenset()) for item in (body.children if body is not None else ()) if item.type == "block"]
    return FileIndex(path=path, blocks=blocks, source=source)
