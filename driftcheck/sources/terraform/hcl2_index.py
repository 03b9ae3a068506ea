"""The syntax index from python-hcl2's tree (its grammar, parsed by hcl_parser.py): the reference builder, used for
every file tree-sitter finds an error in, so that a syntax error is found and worded by python-hcl2 as always.

tree_sitter_index.py builds the same index faster; this walk defines what the index holds.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from lark import Token, Tree

from driftcheck.model import Location
from driftcheck.sources.terraform import hcl_parser
from driftcheck.sources.terraform.hcl_parser import position
from driftcheck.sources.terraform.index_model import APPLY_TIME_FUNCTIONS, Block, Expr, FileIndex, Reference, reference

_TEMPLATE_PART = re.compile(r"(?<![$])\$\{~?(?P<interp>[^}]*)\}|(?<![%])%\{~?(?P<directive>[^}]*)\}")


def _text(token: Any) -> str:
    return str(token)


def _label(node: Any) -> str:
    if isinstance(node, Token):
        return str(node)
    parts = [str(child) for child in node.scan_values(lambda v: isinstance(v, Token))]
    return "".join(p for p in parts if p != '"')


class _Collector:
    """Collects the references an expression subtree makes, ignoring for-expression iterators."""

    def __init__(self, local_names: frozenset[str]) -> None:
        self.local_names = set(local_names)
        self.found: list[Reference] = []

    def chain(self, node: Any) -> list[str] | None:
        if not isinstance(node, Tree):
            return None
        if node.data == "expr_term" and len(node.children) == 1:
            child = node.children[0]
            if isinstance(child, Tree) and child.data == "identifier":
                return [_text(child.children[0])]
            return self.chain(child)
        if node.data == "identifier":
            return [_text(node.children[0])]
        if node.data == "get_attr_expr_term":
            base = self.chain(node.children[0])
            attr = node.children[1]
            name = [_text(t) for t in attr.scan_values(lambda v: isinstance(v, Token) and v != ".")]
            return None if base is None else base + name[-1:]
        if node.data == "index_expr_term":
            base = self.chain(node.children[0])
            index = node.children[1]
            literal = _literal_index(index)
            if literal is None:
                self.visit(index)  # references inside the index expression still count
            return None if base is None else base + [literal or "[*]"]
        if node.data in ("attr_splat_expr_term", "full_splat_expr_term"):
            base = self.chain(node.children[0])
            return None if base is None else base + ["[*]"]
        return None

    def visit(self, node: Any) -> None:
        if isinstance(node, Token) and node.type.startswith("HEREDOC"):
            self.visit_template(str(node))
            return
        if not isinstance(node, Tree):
            return
        if node.data == "function_call":
            names = [c for c in node.children if isinstance(c, Tree) and c.data == "identifier"]
            if len(names) == 1 and _text(names[0].children[0]) in APPLY_TIME_FUNCTIONS:
                self.found.append(Reference((f"{_text(names[0].children[0])}()",)))
        if node.data in ("for_tuple_expr", "for_object_expr"):
            for intro in node.find_data("for_intro"):
                for child in intro.children:
                    if isinstance(child, Tree) and child.data == "identifier":
                        self.local_names.add(_text(child.children[0]))
        steps = self.chain(node) if node.data in (
            "expr_term",
            "get_attr_expr_term",
            "index_expr_term",
            "attr_splat_expr_term",
            "full_splat_expr_term",
        ) else None
        if steps:
            self.record(steps)
            return
        for child in node.children:
            self.visit(child)

    def visit_template(self, text: str) -> None:
        """Heredocs reach the tree as one token: parse each interpolation and directive inside it."""
        for match in _TEMPLATE_PART.finditer(text):
            inner = match.group("interp") or match.group("directive") or ""
            inner = re.sub(r"^\s*(?:for\s+[\w\s,]+\s+in|if|else|endif|endfor)\b", "", inner).strip().rstrip("~").strip()
            if not inner:
                continue
            try:
                tree = hcl_parser.parse(f"x = {inner}\n")
            except Exception:  # an expression python-hcl2 cannot read: its names still count
                for name in re.findall(r"\b(?:var|local)\.[A-Za-z_][\w-]*", inner):
                    self.record(name.split("."))
                for name in re.findall(r"\b(\w+)\s*\(", inner):
                    if name in APPLY_TIME_FUNCTIONS:
                        self.found.append(Reference((f"{name}()",)))
                continue
            for attribute in tree.find_data("attribute"):
                self.visit(attribute.children[-1])

    def record(self, steps: list[str]) -> None:
        found = reference(steps, self.local_names)
        if found is not None:
            self.found.append(found)


def _literal_index(node: Tree) -> str | None:
    values = [v for v in node.scan_values(lambda v: isinstance(v, Token)) if v not in ("[", "]", '"', ".")]
    subtrees = {t.data for t in node.iter_subtrees()}
    if subtrees & {"get_attr_expr_term", "function_call", "index_expr_term"}:
        return None
    if len(values) == 1:
        value = str(values[0])
        return f"[{value}]" if value.isdigit() else f'["{value}"]'
    return None


def references(expression: Tree, local_names: frozenset[str] = frozenset()) -> tuple[Reference, ...]:
    """Every reference in an expression subtree."""
    collector = _Collector(local_names)
    collector.visit(expression)
    unique = dict.fromkeys(collector.found)
    return tuple(unique)


def _members(expr: Any, source: str, names: frozenset[str]) -> dict[str, Expr]:
    """The attributes of an object literal expression (iteratively unwrapped), each with its own references."""
    node = expr
    while isinstance(node, Tree) and node.data == "expr_term" and len(node.children) == 1 and isinstance(node.children[0], Tree):
        node = node.children[0]
    if not isinstance(node, Tree) or node.data != "object":
        return {}
    members: dict[str, Expr] = {}
    for elem in node.children:
        if not isinstance(elem, Tree) or elem.data != "object_elem" or len(elem.children) < 2:
            continue
        key_node, value = elem.children[0], elem.children[-1]
        key = _label(key_node).strip()
        where = position(value) if isinstance(value, Tree) else None
        if not key or where is None:
            continue
        members[key] = Expr(
            line=where.line,
            text=source[where.start:where.end],
            references=references(value, names),
            members=_members(value, source, names),
            value_span=(where.start, where.end),
        )
    return members


def _block(node: Tree, path: Path, source: str, local_names: frozenset[str]) -> Block:
    children = node.children
    block_type = _text(children[0].children[0])
    labels = tuple(_label(child) for child in children[1:] if isinstance(child, Tree) and child.data in ("string", "identifier"))
    where = position(node)
    block = Block(
        type=block_type,
        labels=labels,
        location=Location(str(path), where.line if where else None),
        span=(where.start, where.end) if where else (0, 0),
    )
    body = next((child for child in children if isinstance(child, Tree) and child.data == "body"), None)
    names = local_names
    if block_type == "dynamic" and labels:
        names = names | {labels[0]}
    for item in body.children if body is not None else ():
        if not isinstance(item, Tree):
            continue
        if item.data == "attribute":
            name = _text(item.children[0].children[0])
            expr = item.children[-1]
            value_at = position(expr) if isinstance(expr, Tree) else None
            text = source[value_at.start:value_at.end] if value_at else ""
            if block_type == "dynamic" and name == "iterator":
                names = names | {text.strip()}
            item_at = position(item)
            block.attributes[name] = Expr(
                line=item_at.line if item_at else 0,
                text=text,
                references=references(expr, names),
                members=_members(expr, source, names),
                span=(item_at.start, item_at.end) if item_at else (0, 0),
                value_span=(value_at.start, value_at.end) if value_at else (0, 0),
            )
        elif item.data == "block":
            block.blocks.append(_block(item, path, source, names))
    return block


def file_index(source: str, shown: str) -> FileIndex:
    """Parse one file's text (raises Lark's errors, and plain exceptions python-hcl2 raises for some malformed input)."""
    tree = hcl_parser.parse(source)
    body = tree.children[0] if tree.children else None
    blocks = []
    for item in body.children if isinstance(body, Tree) else ():
        if isinstance(item, Tree) and item.data == "block":
            blocks.append(_block(item, Path(shown), source, frozenset()))
    return FileIndex(path=Path(shown), blocks=blocks, source=source)
