"""The syntax index of Terraform files: where each attribute is written and which references it makes.

tfparse evaluates Terraform (see evaluate.py) but says neither where each attribute is written nor
which expressions it could not evaluate: an unknown variable can come back as null, as the raw
template text, or make a dynamic block vanish. This index fills both gaps from the syntax tree:
for every block it records the line of each attribute and nested block, and every reference
(``var.x``, ``local.y``, ``aws_x.y.arn``, ``data.t.n.attr``, ``module.m.out``...) each expression makes.
The Terraform source then decides knownness from references, never from evaluated values.

The index (index_model.py) is built by tree-sitter-hcl (tree_sitter_index.py); a file tree-sitter finds an error
in is parsed by python-hcl2 (hcl2_index.py), which gives the same index or the syntax error. This module also
holds the input limits, the reordering of dynamic blocks for tfparse, and the variable-file readers.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

from driftcheck.errors import SourceError
from driftcheck.model import Location
from driftcheck.sources.terraform import tree_sitter_index
from driftcheck.sources.terraform.index_model import Block, FileIndex

log = logging.getLogger(__name__)

MAX_TF_BYTES = 2 * 1024 * 1024  # one .tf file; larger ones are refused before they are parsed (a 4 MB file takes about 40 s to index)
MAX_NESTING = 64  # brackets, braces and parentheses open at once; deeper is refused before it is parsed


class InputLimitError(SourceError):
    """A file past one of driftcheck's input limits (size, nesting, not a regular file): no parser decides it."""


_NESTING_MARKS = re.compile(r'[\\"#/(\[{)\]}]')  # what matters outside a string (a line break does not)
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
    """Index one .tf file; raises SourceError with file:line on a syntax error (InputLimitError past a limit).
    tree-sitter builds the index; a file it finds an error in is parsed by python-hcl2, whose verdict stands."""
    shown = display or str(path)
    if source is None:
        try:
            source = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SourceError(f"cannot read file: {exc}", Location(shown)) from exc
    check_nesting(source, shown)
    try:
        fast = tree_sitter_index.file_index(source, shown)
    except tree_sitter_index.ParserUnavailable as exc:
        log.debug("tree-sitter unavailable, indexing with python-hcl2: %s", exc)
        fast = None
    if fast is not None:
        return fast
    from lark.exceptions import LarkError  # python-hcl2 and Lark are imported only for a file that needs them

    from driftcheck.sources.terraform import hcl2_index

    try:
        return hcl2_index.file_index(source, shown)
    except LarkError as exc:
        line = getattr(exc, "line", None)
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise SourceError(f"HCL syntax error: {first}", Location(shown, line if isinstance(line, int) and line > 0 else None)) from exc
    except Exception as exc:  # python-hcl2 raises plain exceptions for some malformed input
        raise SourceError(f"HCL syntax error: {exc}", Location(shown)) from exc


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
    import hcl2  # imported when a variable file is read, not on every run

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
