"""python-hcl2's grammar and post-lexer in a Lark parser that does not propagate positions.

``hcl2.parses_to_tree`` builds its Lark parser with ``propagate_positions=True``, which copies a
position onto every one of the tree's nodes while parsing: that is four fifths of the parse time,
and the syntax index needs positions on a few nodes only (blocks, attributes, expressions).
This parser is the same grammar and post-lexer, so it gives the same tree; :func:`position` reads a
node's position off its first and last token, which is what Lark's propagation computes.

The built parser's tables are kept by Lark's own cache (a pickle, as python-hcl2 keeps its own) beside
this module, where only the installation's code lives, never in the user's cache directory, which may be
shared or restored in CI (a pickle can run code). Lark checks the grammar's hash before it uses the file
and rebuilds it on any mismatch or damage; where the folder cannot be written, the parser is built each
run (about a second).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hcl2.parser
import lark
from hcl2.postlexer import PostLexer
from lark import Token, Tree

GRAMMAR = Path(hcl2.parser.__file__).resolve().parent / "hcl2.lark"


@dataclass(frozen=True)
class Position:
    """Where a node is written: its first token's line, and character offsets from its first to its last token."""

    line: int
    start: int
    end: int


TABLES = Path(__file__).resolve().parent / f".hcl2-{hcl2.__version__}-lark-{lark.__version__}.tables"


def _cache_file() -> str | bool:
    folder = TABLES.parent
    return str(TABLES) if os.access(folder, os.W_OK | os.X_OK) or TABLES.exists() else False


@functools.lru_cache(maxsize=1)
def _parser() -> lark.Lark:
    return lark.Lark.open(str(GRAMMAR), parser="lalr", propagate_positions=False, postlex=PostLexer(), cache=_cache_file())


def parse(text: str) -> Tree:
    """The tree ``hcl2.parses_to_tree(text)`` gives, without positions (raises Lark's errors as it does)."""
    return _parser().parse(text + "\n")  # python-hcl2 appends the newline too: its grammar has no end-of-file token


def _edge_token(node: Any, last: bool) -> Token | None:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, Token):
            return item
        stack.extend(item.children if last else reversed(item.children))
    return None


def position(node: Any) -> Position | None:
    """A tree node's position, as Lark's propagation gives it; None for a node without tokens."""
    first = _edge_token(node, last=False)
    if first is None:
        return None
    final = _edge_token(node, last=True)
    return Position(line=first.line, start=first.start_pos, end=final.end_pos)
