"""A syntax-level index of Terraform files, built with python-hcl2.

tfparse evaluates Terraform (see evaluate.py) but says neither where each attribute is written nor
which expressions it could not evaluate: an unknown variable can come back as null, as the raw
template text, or make a dynamic block vanish. This index fills both gaps from the syntax tree:
for every block it records the line of each attribute and nested block, and every reference
(``var.x``, ``local.y``, ``aws_x.y.arn``, ``data.t.n.attr``, ``module.m.out``...) each expression makes.
The Terraform source then decides knownness from references, never from evaluated values.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hcl2
from lark import Token, Tree
from lark.exceptions import LarkError

from driftcheck.errors import SourceError
from driftcheck.model import Location
from driftcheck.sources.terraform import hcl_parser
from driftcheck.sources.terraform.hcl_parser import position

KNOWN_ROOTS = {"var", "local", "module", "data", "each", "count", "path", "terraform", "self"}
# Functions whose result Terraform only knows when it applies: recorded as a pseudo-reference ``name()``.
APPLY_TIME_FUNCTIONS = frozenset({"timestamp", "uuid", "bcrypt"})
_TEMPLATE_PART = re.compile(r"(?<![$])\$\{~?(?P<interp>[^}]*)\}|(?<![%])%\{~?(?P<directive>[^}]*)\}")
_RESOURCE_TYPE = re.compile(r"^[a-z][a-z0-9]*_[a-z0-9_]+$")


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
        root = steps[0]
        if root in self.local_names:
            return
        if root in KNOWN_ROOTS or (_RESOURCE_TYPE.match(root) and len(steps) > 1):
            self.found.append(Reference(tuple(steps)))


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


MAX_TF_BYTES = 2 * 1024 * 1024  # one .tf file; larger ones are refused before they are parsed (a 4 MB file takes about 40 s to index)
MAX_NESTING = 64  # brackets, braces and parentheses open at once; deeper is refused before it is parsed


class InputLimitError(SourceError):
    """A file past one of driftcheck's input limits (size, nesting, not a regular file): no parser decides it."""


_NESTING_MARKS = re.compile(r'[\n\\"#/(\[{)\]}]')  # what matters outside a string
_STRING_MARKS = re.compile(r'[\\"{]')  # and inside one


def check_nesting(source: str, shown: str, limit: int = MAX_NESTING) -> None:
    """Refuse text nested deeper than ``limit``, in one linear pass (strings, comments and heredocs skipped).
    The characters in between are skipped by a regular expression search, not looked at one by one."""
    depth = 0
    missed = 0  # newlines right after a backslash in a string: the line count leaves them out
    i = 0
    n = len(source)
    in_string = False
    outside, inside = _NESTING_MARKS.search, _STRING_MARKS.search

    def refuse(at: int) -> None:
        line = 1 + source.count("\n", 0, at) - missed
        raise InputLimitError(f"nested more than {limit} levels deep (driftcheck's limit)", Location(shown, line))

    while i < n:
        found = (inside if in_string else outside)(source, i)
        if found is None:
            return
        i = found.start()
        char = source[i]
        if in_string:
            if char == "\\":
                missed += source[i + 1:i + 2] == "\n"
                i += 2
                continue
            if char == '"':
                in_string = False
            elif source[i - 1:i] in ("$", "%"):  # an interpolation opens an expression inside the string
                depth += 1
                in_string = False
                if depth > limit:
                    refuse(i)
        elif char == '"':
            in_string = True
        elif char == "#" or source.startswith("//", i):
            end = source.find("\n", i)
            i = n if end < 0 else end
            continue
        elif source.startswith("/*", i):
            end = source.find("*/", i + 2)
            i = n if end < 0 else end + 2
            continue
        elif char in "([{":
            depth += 1
            if depth > limit:
                refuse(i)
        elif char in ")]}":
            depth = max(0, depth - 1)
        i += 1


def index_file(path: Path, display: str | None = None, source: str | None = None) -> FileIndex:
    """Parse one .tf file; raises SourceError with file:line on a syntax error (InputLimitError past a limit)."""
    shown = display or str(path)
    if source is None:
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SourceError(f"cannot read file: {exc}", Location(shown)) from exc
    check_nesting(source, shown)
    try:
        tree = hcl_parser.parse(source)
    except LarkError as exc:
        line = getattr(exc, "line", None)
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SourceError(f"HCL syntax error: {first}", Location(shown, line if isinstance(line, int) and line > 0 else None)) from exc
    except Exception as exc:  # python-hcl2 raises plain exceptions for some malformed input
        raise SourceError(f"HCL syntax error: {exc}", Location(shown)) from exc
    body = tree.children[0] if tree.children else None
    blocks = []
    for item in body.children if isinstance(body, Tree) else ():
        if isinstance(item, Tree) and item.data == "block":
            blocks.append(_block(item, Path(shown), source, frozenset()))
    return FileIndex(path=Path(shown), blocks=blocks, source=source)


def has_dynamic_before_static(block: Block) -> bool:
    """True when a ``dynamic`` block precedes a static nested block anywhere inside ``block``."""
    seen_dynamic = False
    for child in block.blocks:
        if child.type == "dynamic":
            seen_dynamic = True
        elif seen_dynamic:
            return True
        if has_dynamic_before_static(child):
            return True
    return False


_Segment = tuple[int, int] | str  # a span of the original source, or inserted text


def dynamic_blocks_last_lines(block: Block, source: str) -> tuple[str, dict[int, int]]:
    """The block's text with every ``dynamic`` child moved after the static ones, at every depth,
    and a map from each line of the new text to its original line.

    tfparse 0.6.22 drops a dynamic block's expansion when a static block follows it; the reordered
    text has the same number of lines, so every line outside the block is unchanged. Blocks of one
    type may change order; the line map says where each line came from, so the caller can put the
    evaluated blocks back in source order. Lines are the file's 1-based line numbers (the block
    starts at the same offset in both texts). When the line count cannot be kept, the original text
    is returned.
    """
    start, end = block.span
    original = source[start:end]
    first_line = source.count("\n", 0, start) + 1
    segments = _reordered(block, source)
    text = "".join(source[seg[0]:seg[1]] if isinstance(seg, tuple) else seg for seg in segments)
    if text.count("\n") != original.count("\n"):
        return original, {first_line + n: first_line + n for n in range(original.count("\n") + 1)}
    lines: dict[int, int] = {}
    out_line = first_line
    for seg in segments:
        if isinstance(seg, tuple):
            orig_line = source.count("\n", 0, seg[0]) + 1
            first = source[seg[0]:seg[1]].split("\n", 1)[0]
            for n in range(source.count("\n", seg[0], seg[1]) + 1):
                if n or first.strip() or out_line not in lines:  # a line is where its first text came from
                    lines[out_line + n] = orig_line + n
            out_line += source.count("\n", seg[0], seg[1])
        else:
            out_line += seg.count("\n")
    return text, lines


def _reordered(block: Block, source: str) -> list[_Segment]:
    start, end = block.span
    if not block.blocks:
        return [(start, end)]
    pieces: list[_Segment] = []
    moved: list[list[_Segment]] = []
    cursor = start
    for child in sorted(block.blocks, key=lambda b: b.span[0]):
        pieces.append((cursor, child.span[0]))
        segments = _reordered(child, source)
        cursor = child.span[1]
        if child.type == "dynamic":
            moved.append(segments)
            newline = source.find("\n", cursor, end)
            if newline != -1 and not source[cursor:newline].strip():
                cursor = newline + 1  # take the line break with the block, so the line count stays
        else:
            pieces.extend(segments)
    closing = source.rfind("}", cursor, end)
    pieces.append((cursor, closing))
    trailing: list[_Segment] = []
    while pieces:  # the body without its trailing whitespace, which goes after the moved blocks
        seg = pieces.pop()
        text = source[seg[0]:seg[1]] if isinstance(seg, tuple) else seg
        if not text:
            continue
        kept = len(text.rstrip())
        if kept == len(text):
            pieces.append(seg)
            break
        if isinstance(seg, tuple):
            trailing.insert(0, (seg[0] + kept, seg[1]))
            if kept:
                pieces.append((seg[0], seg[0] + kept))
        else:
            trailing.insert(0, seg[kept:])
            if kept:
                pieces.append(seg[:kept])
        if kept:
            break
    result = list(pieces)
    for segments in moved:
        result += ["\n", *segments]
    return result + trailing + [(closing, end)]


def load_tfvars_keys(path: Path) -> set[str]:
    """The variable names a .tfvars or .tfvars.json file sets."""
    return set(load_tfvars(path))


class TfExpression(str):
    """A tfvars value that is an expression or a template, not a literal (its text)."""


def _literal(value: Any) -> Any:
    """python-hcl2's value as Terraform reads it: quoted strings unquoted; expressions and templates kept apart."""
    if isinstance(value, str):
        if value.startswith('"') and value.endswith('"') and len(value) >= 2:
            inner = value[1:-1]
            return TfExpression(value) if "${" in inner or "%{" in inner else inner.replace('\\"', '"')
        if value.startswith("${") and value.endswith("}"):
            return TfExpression(value)
        return value
    if isinstance(value, list):
        return [_literal(v) for v in value]
    if isinstance(value, dict):
        return {str(_literal(k)): _literal(v) for k, v in value.items()}
    return value


def load_tfvars(path: Path) -> dict[str, Any]:
    """The values a .tfvars or .tfvars.json file sets (raises on a file python-hcl2 cannot read)."""
    text = path.read_text(encoding="utf-8")
    if path.name.endswith(".json"):
        data = json.loads(text)
        return data if isinstance(data, dict) else {}
    data = hcl2.loads(text)
    return {k: _literal(v) for k, v in data.items()} if isinstance(data, dict) else {}


def tfvars_key_lines(text: str, keys: set[str]) -> list[tuple[str, int]]:
    """The line of each top-level name a variable file sets (``name =`` in .tfvars, ``"name":`` in JSON)."""
    found = []
    for key in sorted(keys):
        match = re.search(r'^\s*"?' + re.escape(key) + r'"?\s*[=:]', text, re.MULTILINE)
        if match:
            found.append((key, text.count("\n", 0, match.start()) + 1))
    return found
