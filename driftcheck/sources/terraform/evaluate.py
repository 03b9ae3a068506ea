"""Evaluation of one root module by tfparse (the Go HCL evaluator Trivy uses), on a working copy when needed.

A working copy (the module directories only, same relative layout, so relative sources,
``path.module`` and tfvars resolve as in the original; user files are never changed) is evaluated when:

* a pipeline has a ``dynamic`` block before a static one, which tfparse 0.6.22 silently drops
  (see syntax.dynamic_blocks_last_lines): the copy has the dynamic blocks last;
* a module call was refused (a call cycle makes tfparse allocate until the process dies): the copy
  has the call blanked out;
* a module makes more than 32 module calls: tfparse 0.6.22 evaluates only the first 32 of a module
  (in name order) and silently drops the rest, so calls that lead to no pipeline are blanked out,
  and when more than 32 still remain, the root is evaluated in several passes of at most 32 calls
  per module each, and the passes are merged;
* an expression's value must be known exactly (``count``, ``for_each``, ``validation``): tfparse
  reports neither a failed ``count`` nor a failed ``for_each``, so the copy holds each such
  expression as a *probe* local, ``driftcheck_probe_N = (...)``, evaluated in every module instance.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from driftcheck.model import InputError, Location
from driftcheck.sources import files
from driftcheck.sources.terraform.chunks import Batch, Chunking, Unchunk, batches, copy_text, evaluators, parallel_batch_limit, unchunk
from driftcheck.sources.terraform.modules import ModuleTree, display
from driftcheck.sources.terraform.options import TerraformOptions, is_pipeline
from driftcheck.sources.terraform.prefetch import tfparse_kwargs
from driftcheck.sources.terraform.tfparse_process import EvaluatorError, EvaluatorLimit, load_from_path
from driftcheck.sources.terraform.index_model import Block
from driftcheck.sources.terraform.syntax import dynamic_blocks_last_lines, has_dynamic_before_static
from driftcheck.sources.terraform.variables import RootVariables, VarFile, bad_var_file, collect_variables

_DIAGNOSTIC = re.compile(r"(?P<file>[^\s:][^:]*?):(?P<line>\d+),\d+(?:-\d+(?:,\d+)?)?: (?P<message>.*)")
PROBE_FILE = "zz_driftcheck_probes.tf"
PROBE_PREFIX = "driftcheck_probe_"


@dataclass(frozen=True)
class Probe:
    """An expression whose exact value is wanted in every instance of its module."""

    name: str
    directory: Path  # the module directory the expression is written in (resolved)
    text: str


@dataclass
class Evaluation:
    """What tfparse returned for one root, and what the evaluation learned on the way."""

    document: Mapping[str, Any]
    errors: list[InputError] = field(default_factory=list)
    variables: RootVariables | None = None
    syntax_failed: bool = False
    line_maps: dict[str, dict[int, int]] = field(default_factory=dict)  # reordered copy's line -> user's line
    probes: dict[tuple[str, str], Any] = field(default_factory=dict)  # (module instance prefix, probe) -> value
    chunked: Unchunk = field(default_factory=Unchunk)  # for_each blocks evaluated in chunks (chunks.py)

    @property
    def provided(self) -> set[str]:
        return self.variables.provided if self.variables else set()

    def probe(self, instance_prefix: str, name: str) -> Any:
        """A probe's value in one module instance (``module.a["k"].`` or ``""``); _MISSING when absent."""
        return self.probes.get((instance_prefix, name), MISSING)


MISSING = object()


def evaluate(
    tree: ModuleTree,
    options: TerraformOptions,
    probes: Iterable[Probe],
    passes: Iterable[Iterable[Block]],
    neutralized: Iterable[tuple] = (),
    chunks: Iterable[Chunking] = (),
) -> Evaluation:
    """Evaluate the root with tfparse, once per pass (each pass blanks its own module calls), and merge.

    ``neutralized`` (block, "count"/"for_each"[, replacement]) attributes are evaluated as ``count = 0``
    (their value is known to be invalid or too large, and the evaluator would otherwise spend unbounded
    time on it), or as the replacement attribute text when one is given.
    Variable files the evaluator refuses are reported and left out. ``chunks``: pipeline blocks whose for_each is
    evaluated as several renamed copies over slices of its value (chunks.py), at most chunks.BATCH instances of them
    per evaluation (so each pass is evaluated once per batch); their instances come back unchunked.
    """
    probes = list(probes)
    neutral = list(neutralized)
    edits = [str(edit[2]) for edit in neutral if len(edit) > 2]
    read_by_edits = [p for p in probes if any(f"local.{p.name}" in text for text in edits)]
    chunks = list(chunks)
    results = []
    with tempfile.TemporaryDirectory(prefix="driftcheck-") as workdir:
        for number, blanked in enumerate(passes):
            blanked = list(blanked)

            def one(part: int, batch: Batch, number: int = number, blanked: list[Block] = blanked) -> Evaluation:
                where = Path(workdir) / f"pass-{number}-{part}"
                # the probes' values are the same in every batch: read them once, but every batch declares the ones
                # an edit reads (an inline template's variables), or its copies would read an undeclared local
                result = _evaluate(tree, options, where, probes if part == 0 else read_by_edits, blanked, neutral, batch)
                if probes and result.syntax_failed and any(PROBE_FILE in str(e.location.file) for e in result.errors):
                    # a probe the evaluator could not parse must never hide the user's own configuration
                    result = _evaluate(tree, options, where / "again", [], blanked, neutral, batch)
                return result

            parts = batches(chunks, parallel_batch_limit(chunks))
            if len(parts) == 1:
                results.append(one(0, parts[0]))
                continue
            # each batch is its own tfparse child, which runs on a core of its own; the results keep batch order
            with ThreadPoolExecutor(max_workers=evaluators(), thread_name_prefix="driftcheck-tfparse") as pool:
                results.extend(pool.map(one, range(len(parts)), parts))
    return _merged(results)


def _merged(results: list[Evaluation]) -> Evaluation:
    """One evaluation from several passes: every block instance once (by its path), errors once."""
    first = results[0]
    if len(results) == 1:
        return first
    document: dict[str, list[Any]] = {}
    seen: set[tuple[str, str, str]] = set()
    for result in results:
        for kind, entries in result.document.items():
            for entry in entries if isinstance(entries, list) else []:
                meta = entry.get("__tfmeta", {}) if isinstance(entry, Mapping) else {}
                key = (kind, str(meta.get("path")), str(meta.get("filename")) + ":" + str(meta.get("line_start")))
                if key in seen:
                    continue
                seen.add(key)
                document.setdefault(kind, []).append(entry)
    merged = Evaluation(document=document, variables=first.variables)
    for result in results:
        merged.errors.extend(e for e in result.errors if e not in merged.errors)
        merged.syntax_failed = merged.syntax_failed or result.syntax_failed
        merged.probes.update(result.probes)
        for file, lines in result.line_maps.items():
            merged.line_maps.setdefault(file, {}).update(lines)
    return merged


def _evaluate(
    tree: ModuleTree, options: TerraformOptions, workdir: Path, probes: list[Probe], blanked: list[Block], neutral: list[tuple],
    batch: Batch = (),
) -> Evaluation:
    workdir.mkdir(parents=True, exist_ok=True)
    result = Evaluation(document={})
    tf_root = _working_copy(tree, workdir, probes, blanked, neutral, result, batch) or tree.root
    chunked = bool(result.chunked.labels)
    root_module = tree.module(tree.root)
    variables = collect_variables(tree.root, tree.shown_root, root_module, options.var_files, options.variables, workdir, options.foreign_variables)
    result.variables = variables
    result.errors.extend(variables.errors)
    var_files = list(variables.files)
    while True:
        kwargs = tfparse_kwargs(options, [v.path for v in var_files], tf_root)
        try:
            result.document = load_from_path(str(tf_root), stop_on_hcl_error=True, drop_chunked_for_each=chunked, **kwargs)
            break
        except EvaluatorLimit:
            raise
        except EvaluatorError as exc:
            bad = bad_var_file(str(exc), tf_root, var_files)
            if bad is None:
                result.syntax_failed = True
                result.errors.extend(_diagnostics(str(exc), tree, tf_root))
                try:
                    result.document = load_from_path(str(tf_root), stop_on_hcl_error=False, drop_chunked_for_each=chunked, **kwargs)
                except EvaluatorLimit:
                    raise
                except EvaluatorError as again:
                    result.errors.append(InputError(Location(tree.shown_root), f"cannot evaluate Terraform: {again}"))
                break
            # report it, leave it out and evaluate the rest: its variables become unknown
            var_file, error = bad
            result.errors.append(error)
            var_files = [v for v in var_files if v is not var_file]
            result.variables = RootVariables(tuple(var_files), variables.errors, variables.notes)
    unchunk(result.document, result.chunked)
    if probes:
        _read_probes(result)
    return result


def _read_probes(result: Evaluation) -> None:
    for entry in result.document.get("locals", []) or []:
        if not isinstance(entry, Mapping):
            continue
        path = str(entry.get("__tfmeta", {}).get("path", ""))
        prefix = path[: -len("locals")] if path.endswith("locals") else path
        for key, value in entry.items():
            if key.startswith(PROBE_PREFIX):
                result.probes[(prefix, key)] = value


def _working_copy(
    tree: ModuleTree, workdir: Path, probes: list[Probe], blanked: list[Block], neutral: list[tuple], result: Evaluation,
    batch: Batch = (),
) -> Path | None:
    """A copy of the module directories with the edits described in the module docstring, or None."""
    reorder = {
        id(file_index): file_index
        for module in tree.modules.values()
        for file_index in module.files
        for block in file_index.blocks
        if is_pipeline(block) and has_dynamic_before_static(block)
    }
    if not reorder and not probes and not blanked and not neutral and not batch and not tree.manifest_elsewhere:
        return None
    directories = tree.module_directories()
    ancestor = Path(os.path.commonpath([str(d) for d in directories]))
    mirror = workdir / "tree"
    for directory in directories:
        shutil.copytree(directory, mirror / directory.relative_to(ancestor), ignore=_not_copied, dirs_exist_ok=True)
    manifest = tree.manifest
    if manifest.is_file():
        target = mirror / tree.root.resolve().relative_to(ancestor) / ".terraform" / "modules" / "modules.json"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(manifest, target)
    edits: dict[int, tuple[Any, list[tuple[int, int, str]]]] = {}
    appended: dict[int, list[tuple[int, str, str, str]]] = {}  # per file: (block line, copy text, renamed, original label)
    for module in tree.modules.values():
        for file_index in module.files:
            for block in file_index.blocks:
                start, end = block.span
                original = file_index.source[start:end]
                text = original
                if id(file_index) in reorder and is_pipeline(block) and has_dynamic_before_static(block):
                    text, lines = dynamic_blocks_last_lines(block, file_index.source)
                    result.line_maps.setdefault(str(file_index.path), {}).update(lines)
                if any(block is b for b in blanked):
                    text = re.sub(r"[^\n]", " ", original)
                own = [(e, replacement) for neutral_block, meta, *replacement in neutral
                       if neutral_block is block and (e := block.attributes.get(meta)) is not None and e.span[1] > e.span[0]]
                spliced = text == original  # nothing moved yet: each attribute is cut out where the index says it is
                for expr, replacement in sorted(own, key=lambda item: item[0].span[0], reverse=True):
                    attribute = file_index.source[expr.span[0]:expr.span[1]]
                    new = replacement[0] if replacement else "count = 0"  # "" leaves the attribute out
                    new += "\n" * (attribute.count("\n") - new.count("\n"))
                    if spliced:  # (by text, `apps = x` would be found inside `all_apps = x` first)
                        text = text[:expr.span[0] - start] + new + text[expr.span[1] - start:]
                    else:  # reordered (dynamic blocks last) or blanked: the attribute's own text, where it now is
                        text = text.replace(attribute, new, 1)
                for chunk, numbers in (c for c in batch if c[0].block is block):
                    if not numbers:  # none of its chunks in this batch
                        text = re.sub(r"[^\n]", " ", original)
                        continue
                    expr = block.attributes["for_each"]
                    attribute = file_index.source[expr.span[0]:expr.span[1]]
                    copies = [(n, copy_text(text, attribute, chunk.slices[n], chunk.label(n))) for n in numbers]
                    text = copies[0][1]
                    line = 1 + file_index.source.count("\n", 0, start)
                    appended.setdefault(id(file_index), []).extend((line, copy, chunk.label(n), block.labels[1]) for n, copy in copies[1:])
                    result.chunked.labels[chunk.label(copies[0][0])] = (block.labels[1], 0)
                if text != original:
                    edits.setdefault(id(file_index), (file_index, []))[1].append((start, end, text))
    for file_index, changes in edits.values():
        source = file_index.source
        for start, end, text in sorted(changes, reverse=True):
            source = source[:start] + text + source[end:]
        lines, pieces = source.count("\n") + 1, [source]
        for line, copy, renamed, label in appended.get(id(file_index), []):
            result.chunked.labels[renamed] = (label, lines + 1 - line)  # the copy starts on the line after the last
            pieces += ["\n", copy]
            lines += 1 + copy.count("\n")
        source = "".join(pieces)
        original = (tree.root / os.path.relpath(file_index.path, tree.shown_root)).resolve()
        (mirror / original.relative_to(ancestor)).write_text(source, encoding="utf-8")
    by_directory: dict[Path, list[Probe]] = {}
    for probe in probes:
        by_directory.setdefault(probe.directory, []).append(probe)
    for directory, items in by_directory.items():
        body = "".join(f"  {p.name} = (\n{p.text}\n  )\n" for p in items)
        (mirror / directory.relative_to(ancestor) / PROBE_FILE).write_text("locals {\n" + body + "}\n", encoding="utf-8")
    return mirror / tree.root.resolve().relative_to(ancestor)


def _not_copied(directory: str, names: list[str]) -> set[str]:
    """What the working copy leaves out: tool directories, old probes, and anything that is not a regular file
    or a directory (a FIFO would block the copy for ever)."""
    skipped = {name for name in names if name in (".terraform", ".git", "node_modules", PROBE_FILE)}
    for name in names:
        path = Path(directory) / name
        if name not in skipped and not path.is_dir() and not files.is_regular(path):
            skipped.add(name)
    return skipped


def _diagnostics(message: str, tree: ModuleTree, tf_root: Path) -> list[InputError]:
    text = message.removeprefix("unable to create TerraformConverter: ")
    match = _DIAGNOSTIC.search(text)
    if match:
        file = display(tree.root / match["file"], tree.root, tree.shown_root)
        return [InputError(Location(file, int(match["line"])), match["message"].strip())]
    var_file = re.search(r"failed to load tfvars from (\S+?):", text)
    if var_file:
        return [InputError(Location(var_file.group(1)), text)]
    return [InputError(Location(tree.shown_root), text)]


def check_module_syntax(directory: Path, tree: ModuleTree) -> list[InputError]:
    """Syntax errors of one child module as the Go HCL parser sees them (python-hcl2's grammar is not Terraform's)."""
    try:
        load_from_path(str(directory), stop_on_hcl_error=True, allow_downloads=False)
    except EvaluatorLimit:
        return []
    except EvaluatorError as exc:
        text = str(exc).removeprefix("unable to create TerraformConverter: ")
        match = _DIAGNOSTIC.search(text)
        if match:
            file = display(directory / match["file"], tree.root, tree.shown_root)
            return [InputError(Location(file, int(match["line"])), match["message"].strip())]
        if "failed to load tfvars" in text:
            return []
        return [InputError(Location(display(directory, tree.root, tree.shown_root)), text)]
    return []


__all__ = ["Evaluation", "MISSING", "Probe", "VarFile", "check_module_syntax", "evaluate"]
