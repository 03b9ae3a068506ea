"""Syntax indexes kept between runs, keyed by what they are built from: the file's text and its shown path.

Parsing is most of a large Terraform tree's run (1,000 pipeline blocks: about 2 s), and scheduled audits
and CI reruns read the same files again and again. An index depends on nothing but the file's text and
the path it is shown as, so it is stored as JSON (never pickle: a cache must not be able to run code)
under ``index/`` in driftcheck's cache directory, named by the SHA-256 of those two, of the indexing code
and of the parser's versions. No text of the file is stored, only its structure, names, references and
offsets (expression texts are cut from the file itself when an entry is read), so a secret written in a
``.tf`` file is never copied into the cache; entries are written mode 0600 in a 0700 folder. An entry
that cannot be read or does not fit is ignored and rebuilt: it never decides anything a fresh parse
would not. Files that fail to parse are not kept. At most ``MAX_ENTRIES`` are kept;
the least recently used go first.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from driftcheck import __version__, user_cache
from driftcheck.model import Location
from driftcheck.sources.terraform.index_model import Block, Expr, FileIndex, Reference
from driftcheck.sources.terraform.syntax import index_file

FORMAT = 2  # 2: an expression is a row, not an object
MAX_ENTRIES = 4096
_pruned: set[Path] = set()  # cache folders already pruned by this process


_INDEXING_CODE = ("syntax.py", "index_model.py", "tree_sitter_index.py", "hcl2_index.py", "hcl_parser.py", "index_cache.py")
_PARSERS = ("python-hcl2", "lark", "tree-sitter", "tree-sitter-hcl")


def _code_digest() -> str:
    """The indexing code itself is part of the key: a changed index never comes from an older driftcheck."""
    digest = hashlib.sha256()
    for name in _INDEXING_CODE:
        try:
            digest.update(Path(__file__).with_name(name).read_bytes())
        except (OSError, TypeError):
            digest.update(__version__.encode())
    return digest.hexdigest()


CODE = _code_digest()


@functools.lru_cache(maxsize=1)
def _parser_versions() -> tuple[str, ...]:
    import importlib.metadata

    versions = []
    for name in _PARSERS:  # read from the installed metadata: importing python-hcl2 and Lark costs a tenth of a second
        try:
            versions.append(f"{name}=={importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            versions.append(f"{name}: unknown")
    return tuple(versions)


def _key(shown: str, source: str) -> str:
    digest = hashlib.sha256()
    for part in (f"driftcheck-index-{FORMAT}", CODE, *_parser_versions(), shown, source):
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()


def _expr(expr: Expr) -> list[Any]:
    """``[line, value start, value end, span start, span end]``, then ``[references, members]`` when it has any
    (most values are literals: rows, not objects with keys, keep the entries small and quick to read)."""
    row: list[Any] = [expr.line, *expr.value_span, *expr.span]
    if expr.references or expr.members:
        row += [[list(r.steps) for r in expr.references], {k: _expr(v) for k, v in expr.members.items()}]
    return row


def _block(block: Block) -> dict[str, Any]:
    return {"type": block.type, "labels": list(block.labels), "file": block.location.file, "line": block.location.line,
            "attributes": {k: _expr(v) for k, v in block.attributes.items()}, "blocks": [_block(b) for b in block.blocks],
            "span": list(block.span)}


def _read_expr(row: list[Any], source: str) -> Expr:
    line, start, end, span_start, span_end = row[:5]
    references, members = (row[5], row[6]) if len(row) > 5 else ((), {})
    return Expr(line=line, text=source[start:end], references=tuple(Reference(tuple(steps)) for steps in references),
                members={k: _read_expr(v, source) for k, v in members.items()}, span=(span_start, span_end),
                value_span=(start, end))


def _read_block(data: dict[str, Any], source: str) -> Block:
    return Block(type=data["type"], labels=tuple(data["labels"]), location=Location(data["file"], data["line"]),
                 attributes={k: _read_expr(v, source) for k, v in data["attributes"].items()},
                 blocks=[_read_block(b, source) for b in data["blocks"]], span=tuple(data["span"]))


def _folder() -> Path | None:
    return user_cache.folder("index")


def indexed(path: Path, shown: str, source: str) -> FileIndex:
    """This file's syntax index: the stored one, else :func:`index_file`'s, kept for next time (raises as it does)."""
    folder = _folder()
    entry = None if folder is None else folder / f"{_key(shown, source)}.json"
    cached = None if entry is None else _read(entry, shown, source)
    if cached is not None:
        return cached
    index = index_file(path, shown, source)
    if entry is not None:
        _write(entry, index, shown)
    return index


def load(shown: str, source: str) -> FileIndex | None:
    """The stored index of this text shown as this path, or None (not stored, unreadable, another format)."""
    folder = _folder()
    return None if folder is None else _read(folder / f"{_key(shown, source)}.json", shown, source)


def stored(index: FileIndex, shown: str) -> FileIndex:
    """Keep ``index`` (built from ``index.source`` shown as ``shown``) and return it; a failure to write only costs time later."""
    folder = _folder()
    if folder is not None:
        _write(folder / f"{_key(shown, index.source)}.json", index, shown)
    return index


def _read(entry: Path, shown: str, source: str) -> FileIndex | None:
    try:
        data = json.loads(entry.read_text(encoding="utf-8"))
        if data.get("format") != FORMAT or data.get("path") != shown:
            return None
        index = FileIndex(path=Path(shown), blocks=[_read_block(b, source) for b in data["blocks"]], source=source)
    except (OSError, ValueError, KeyError, IndexError, TypeError, AttributeError):
        return None
    try:
        os.utime(entry)  # recently used: pruned last
    except OSError:
        pass
    return index


def _write(entry: Path, index: FileIndex, shown: str) -> None:
    text = json.dumps({"format": FORMAT, "path": shown, "blocks": [_block(b) for b in index.blocks]},
                      ensure_ascii=False, separators=(",", ":"))
    temporary = None
    try:
        handle, temporary = tempfile.mkstemp(dir=entry.parent, prefix=".tmp-", suffix=".part")
        with os.fdopen(handle, "w", encoding="utf-8", errors="surrogatepass") as out:
            out.write(text)
        os.replace(temporary, entry)
    except (OSError, UnicodeError):
        if temporary is not None:
            try:
                os.unlink(temporary)
            except OSError:
                pass
        return
    _prune(entry.parent)


def _prune(folder: Path) -> None:
    """Once per process: past MAX_ENTRIES, remove the least recently used down to three quarters of it, and any
    partial write an interrupted run left over an hour ago."""
    if folder in _pruned:
        return
    _pruned.add(folder)
    try:
        listed = [(e.stat().st_mtime_ns / 1e9, e.path, e.name) for e in os.scandir(folder)]
    except OSError:
        return
    entries = sorted((when, path) for when, path, name in listed if name.endswith(".json"))
    stale = [path for when, path, name in listed if name.endswith(".part") and when < time.time() - 3600]
    excess = entries[: len(entries) - MAX_ENTRIES * 3 // 4] if len(entries) > MAX_ENTRIES else []
    for path in stale + [path for _, path in excess]:
        try:
            os.unlink(path)
        except OSError:
            pass
