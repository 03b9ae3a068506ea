"""A large ``for_each`` evaluated in chunks, so that its cost stays linear in the number of instances.

tfparse copies the whole ``for_each`` value into every instance it returns (and evaluates it once per
instance): a map of N entries costs N x N in time and memory (1.78 GB at 1,000 instances). The value is
already known exactly (it was evaluated as a probe, see plan.py), so the working copy holds the block
several times instead, each copy renamed ``NAME__driftcheck_chunk_S_J`` and iterating over a literal
slice of at most :data:`CHUNK_SIZE` entries. The first copy replaces the block where it is written, the
others are appended to the same file (their text is the block's own, with the same number of lines), so
each instance is the one Terraform would plan: same each.key, same each.value, same expressions.

After the evaluation, :func:`unchunk` gives every instance back its address (``NAME["key"]``) and the
lines of the block as the user wrote it; the evaluator's child drops the (sliced) ``for_each`` copy of
each chunked instance (see tfparse_process.py). A local that only chunked blocks read (``for_each =
local.NAME``, named nowhere else in its module) is an empty map in the chunked evaluation (:func:`spent_locals`):
no copy reads it, and each tfparse child would otherwise build it again.

Only done where it is exact: the value is a map or a set of strings, known (no unknown marker), the same
in every instance of the module, not from state, in a module without override files whose every file is indexed
(no .tf.json), and no expression of the module refers to the block by name (a renamed copy would change what
it sees).
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from driftcheck.sources.terraform.modules import Module, Scope
from driftcheck.sources.terraform.options import RESOURCE_TYPE, is_pipeline
from driftcheck.sources.terraform.index_model import Block
from driftcheck.sources.terraform.tfparse_process import CHUNK_MARKER as MARKER

CHUNK_SIZE = 10  # entries per copy: tfparse's cost per instance grows with the slice it copies, and per block below ~5
BATCH = 1000  # chunked instances per evaluation: tfparse holds about 130 KB per instance
SPLIT_AT = 250  # below twice this many chunked instances, one evaluation (the batches are not worth a second child)
log = logging.getLogger(__name__)
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")  # as convert.UUID: a block id
_ESCAPE = re.compile(r'[\\"\x00-\x1f\x7f]')
_NAMED = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}
_CHUNKED_PATH = re.compile(re.escape(RESOURCE_TYPE) + r"\.[\w-]+" + re.escape(MARKER) + r"\d+_\d+(?=\[)")


def _setting(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name) or default)
    except ValueError:
        return default


def chunk_size() -> int:
    """Entries per chunk; ``DRIFTCHECK_TF_FOR_EACH_CHUNK=0`` switches chunking off (to compare results)."""
    return _setting("DRIFTCHECK_TF_FOR_EACH_CHUNK", CHUNK_SIZE)


@dataclass(frozen=True)
class Chunking:
    """One pipeline block evaluated as several renamed copies, each over a literal slice of its for_each."""

    block: Block
    serial: int
    slices: tuple[str, ...]  # each copy's ``for_each = {...}`` attribute text
    sizes: tuple[int, ...]  # the entries of each slice

    def label(self, number: int) -> str:
        return f"{self.block.labels[1]}{MARKER}{self.serial}_{number}"


Batch = list[tuple[Chunking, tuple[int, ...]]]  # every chunked block, with the numbers of its copies in one evaluation


def evaluators() -> int:
    """tfparse children run at once for the batches of one pass: one per core, at most 4 (``DRIFTCHECK_TF_EVALUATORS``)."""
    return max(1, min(_setting("DRIFTCHECK_TF_EVALUATORS", min(4, os.cpu_count() or 1)), 8))


def parallel_batch_limit(chunking: list[Chunking]) -> int:
    """Instances per batch so that every evaluator has one, and the children running together hold no more than one
    batch of BATCH would (never fewer than SPLIT_AT: a child's start costs about a third of a second)."""
    total = sum(sum(chunk.sizes) for chunk in chunking)
    limit = max(1, _setting("DRIFTCHECK_TF_FOR_EACH_BATCH", BATCH))
    workers = evaluators()
    if total < 2 * SPLIT_AT or workers < 2:
        return limit
    return max(SPLIT_AT, min(-(-total // workers), limit // workers))


def batches(chunking: list[Chunking], limit: int = 0) -> list[Batch]:
    """The chunks' copies in consecutive groups of at most ``limit`` (BATCH) instances; one empty batch without chunks."""
    limit = limit or max(1, _setting("DRIFTCHECK_TF_FOR_EACH_BATCH", BATCH))
    groups: list[list[tuple[Chunking, int]]] = [[]]
    held = 0
    for chunk in chunking:
        for number, size in enumerate(chunk.sizes):
            if held and held + size > limit:
                groups.append([])
                held = 0
            groups[-1].append((chunk, number))
            held += size
    return [[(c, tuple(n for d, n in group if d is c)) for c in chunking] for group in groups]


@dataclass
class Unchunk:
    """Renamed label -> (the block's own label, lines to subtract from the evaluator's line numbers)."""

    labels: dict[str, tuple[str, int]] = field(default_factory=dict)


def hcl_literal(value: Any) -> str:
    """A JSON value (as the evaluator returns it) as the HCL literal for the same value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, str):
        return _hcl_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(hcl_literal(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_hcl_string(str(k))} = {hcl_literal(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"not a JSON value: {type(value).__name__}")


def _hcl_string(raw: str) -> str:
    escaped = _ESCAPE.sub(lambda m: _NAMED.get(m.group(), f"\\u{ord(m.group()):04x}"), raw)
    return '"' + escaped.replace("${", "$${").replace("%{", "%%{") + '"'


def slices(value: Any, size: int) -> tuple[tuple[str, ...], tuple[int, ...]] | None:
    """The for_each attribute text of each chunk and its number of entries, or None when the value is not one to chunk."""
    if isinstance(value, list):  # a set of strings: each.key and each.value are the element
        if not all(isinstance(item, str) for item in value) or len(set(value)) != len(value):
            return None
        pairs = sorted((item, item) for item in value)
    elif isinstance(value, Mapping):
        if "__attribute__" in value or "__name__" in value or _unknown(value):
            return None
        pairs = sorted((str(k), v) for k, v in value.items())
    else:
        return None
    if size < 1 or len(pairs) <= size:
        return None
    starts = range(0, len(pairs), size)
    texts = tuple("for_each = {" + ", ".join(f"{_hcl_string(k)} = {hcl_literal(v)}" for k, v in pairs[s:s + size]) + "}" for s in starts)
    return texts, tuple(len(pairs[s:s + size]) for s in starts)


def _unknown(value: Any) -> bool:
    """tfparse's marker for a value it could not evaluate, or a block id (one evaluation's own), anywhere inside."""
    if isinstance(value, Mapping):
        return "__attribute__" in value or "__name__" in value or any(_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(_unknown(v) for v in value)
    return isinstance(value, str) and UUID.search(value) is not None


def plan(scopes: list[Scope], values_of: Callable[[Scope, Block], list[Any] | None], taken: list[tuple], size: int) -> list[Chunking]:
    """The pipeline blocks to evaluate in chunks. ``values_of(scope, block)``: the block's for_each value in each
    instance of the scope's module (None when it must be left to the evaluator: it depends on state, or has no probe)."""
    if size < 1:
        return []
    values: dict[int, list[Any]] = {}
    refused: set[int] = set()
    blocks: dict[int, tuple[Block, list[str]]] = {}
    for scope in scopes:
        for block in scope.module.blocks("resource"):
            if not is_pipeline(block) or "for_each" not in block.attributes or "count" in block.attributes:
                continue
            found = values_of(scope, block) if not scope.module.overrides and _all_indexed(scope.module) else None
            if found is None or any(b is block for b, *_ in taken):
                refused.add(id(block))
                continue
            values.setdefault(id(block), []).extend(found)  # a module called twice shares its blocks
            blocks[id(block)] = (block, [f.source for f in scope.module.files])
    out: list[Chunking] = []
    for key, (block, sources) in blocks.items():
        found = values[key]
        if key in refused or not found or any(v != found[0] for v in found[1:]):
            continue
        pieces = slices(found[0], size)
        if pieces is not None and not referred(block, sources):
            log.info("%s: for_each of %d evaluated in %d chunks", block.location, sum(pieces[1]), len(pieces[0]))
            out.append(Chunking(block, len(out), *pieces))
    return out


_BARE_LOCAL = re.compile(r"local\.([A-Za-z_][\w-]*)")


def spent_locals(scopes: list[Scope], chunking: list[Chunking]) -> list[tuple[Block, str, str]]:
    """The locals nothing but chunked blocks' ``for_each`` reads, as rewrites (locals block, name, ``name = {}``).

    A block written ``for_each = local.NAME`` is evaluated as copies over literal slices of that value (probed
    before), so in the chunked evaluation nothing reads ``local.NAME`` any more, yet every tfparse child would
    still build it: with 5,000 entries, a second per child. It is given as an empty map there only when its module
    defines it once and names it nowhere else (no other ``local.NAME`` in any of its files, comments and strings
    included), and every file of the module is indexed (no ``.tf.json``, none refused)."""
    wanted = {id(chunk.block) for chunk in chunking}
    out: list[tuple[Block, str, str]] = []
    seen: set[int] = set()
    for scope in scopes:
        module = scope.module
        if id(module) in seen:
            continue
        seen.add(id(module))
        if not _all_indexed(module):
            continue  # a mention in a file the index does not read cannot be counted
        readers: dict[str, int] = {}
        for block in module.blocks("resource"):
            if id(block) in wanted:
                bare = _BARE_LOCAL.fullmatch(block.attributes["for_each"].text.strip())
                if bare is not None:
                    readers[bare.group(1)] = readers.get(bare.group(1), 0) + 1
        for name, count in readers.items():
            definitions = [b for b in module.blocks("locals") if name in b.attributes]
            mentions = re.compile(r"\blocal\s*\.\s*" + re.escape(name) + r"(?![\w-])")
            if len(definitions) == 1 and sum(len(mentions.findall(f.source)) for f in module.files) == count:
                out.append((definitions[0], name, f"{name} = {{}}"))
    return out


def _all_indexed(module: Module) -> bool:
    """Every file of the module the evaluator reads is one the index read (no .tf.json, no refused .tf), so a search
    of the indexed texts sees every mention of a name."""
    return not module.unparsed and not any(module.directory.glob("*.tf.json"))


def referred(block: Block, sources: list[str]) -> bool:
    """Whether any text of the module names the block (``aws_imagebuilder_image_pipeline.NAME``)."""
    pattern = re.compile(r"\b" + re.escape(RESOURCE_TYPE) + r"\s*\.\s*" + re.escape(block.labels[1]) + r"\b")
    return any(pattern.search(source) for source in sources)


_HEADER = re.compile(r'^(\s*resource\s+"?' + re.escape(RESOURCE_TYPE) + r'"?\s+)("?)([\w-]+)\2')


def copy_text(block_text: str, attribute: str, replacement: str, label: str) -> str:
    """The block's text with its for_each attribute replaced (line count kept) and its name changed."""
    padded = replacement + "\n" * (attribute.count("\n") - replacement.count("\n"))
    text = block_text.replace(attribute, padded, 1)
    return _HEADER.sub(lambda m: f'{m.group(1)}"{label}"', text, count=1)


def unchunk(document: Mapping[str, Any], table: Unchunk) -> None:
    """Give each chunked instance its own address and the lines of the block as written (in place)."""
    if not table.labels:
        return
    for entry in document.get(RESOURCE_TYPE, []) or []:
        meta = entry.get("__tfmeta") if isinstance(entry, Mapping) else None
        if not isinstance(meta, dict):
            continue
        path = str(meta.get("path", ""))
        match = _CHUNKED_PATH.search(path)
        if match is None:
            continue
        renamed = match.group()[len(RESOURCE_TYPE) + 1:]
        original, offset = table.labels.get(renamed, (None, 0))
        if original is None:
            continue
        meta["path"] = path[: match.start()] + f"{RESOURCE_TYPE}.{original}" + path[match.end():]
        if "label" in meta and meta["label"] == renamed:
            meta["label"] = original
        if offset:
            _shift(entry, offset)


def _shift(value: Any, offset: int) -> None:
    if isinstance(value, dict):
        meta = value.get("__tfmeta")
        if isinstance(meta, dict):
            for key in ("line_start", "line_end"):
                if isinstance(meta.get(key), int):
                    meta[key] -= offset
        for key, item in value.items():
            if key != "__tfmeta":
                _shift(item, offset)
    elif isinstance(value, list):
        for item in value:
            _shift(item, offset)
