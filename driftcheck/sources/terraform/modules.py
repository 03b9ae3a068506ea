"""The module tree of one root: every module directory's syntax index, and every module instance's scope.

Module sources are found as Terraform finds them: local paths (``./``, ``../``) relative to the
calling module; anything else (registry, git, http, s3...) from ``.terraform/modules/modules.json``
as ``terraform init`` leaves it (under ``TF_DATA_DIR`` when that is set). A call that cannot be
followed (a missing directory, a module that is not installed, a call cycle) is an input error at the
call's file:line; nothing under it is silently dropped.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from driftcheck.errors import SourceError
from driftcheck.model import InputError, Location
from driftcheck.sources.terraform.options import PIPELINE_HEADER
from driftcheck.sources import files
from driftcheck.sources.terraform import index_cache
from driftcheck.sources.terraform.index_model import Block, Expr, FileIndex
from driftcheck.sources.terraform.syntax import MAX_TF_BYTES, InputLimitError

MAX_SCOPES = 10_000  # module instances (by call path) in one root; past this the tree is refused
_LOCAL_SOURCE = ("./", "../")


@dataclass
class Module:
    """One module directory: its files' syntax index and its blocks by kind."""

    directory: Path
    files: list[FileIndex] = field(default_factory=list)
    # files python-hcl2 could not parse: (shown path, text); their pipeline blocks are found by a header scan
    unparsed: list[tuple[str, str]] = field(default_factory=list)
    duplicates: set[int] = field(default_factory=set)  # ids of blocks whose address another block of this module has
    # files that cannot be read safely (not regular, too large, nested too deep): the module is not evaluated
    unreadable: list[InputError] = field(default_factory=list)
    limited: list[InputError] = field(default_factory=list)  # files past the nesting limit: not indexed, still evaluated
    overrides: list[FileIndex] = field(default_factory=list)  # override files, already merged into the blocks above
    _by_type: dict[str, list[Block]] | None = field(default=None, repr=False, compare=False)

    def blocks(self, block_type: str) -> Iterator[Block]:
        """Top-level blocks of one type, across the module's files (grouped once: asked for per pipeline)."""
        if self._by_type is None:
            self._by_type = {}
            for file_index in self.files:
                for block in file_index.blocks:
                    self._by_type.setdefault(block.type, []).append(block)
        return iter(self._by_type.get(block_type, ()))

    def files_changed(self) -> None:
        """The module's files or their blocks were changed (override files merged): group the blocks again."""
        self._by_type = None

    def variable(self, name: str) -> Block | None:
        """The `variable` block of that name."""
        return next((b for b in self.blocks("variable") if b.labels[:1] == (name,)), None)

    def local(self, name: str) -> Expr | None:
        """The expression of a local value."""
        for block in self.blocks("locals"):
            if name in block.attributes:
                return block.attributes[name]
        return None

    def call(self, name: str) -> Block | None:
        """The `module` block of that name."""
        return next((b for b in self.blocks("module") if b.labels[:1] == (name,)), None)

    def unparsed_pipelines(self) -> list[tuple[str, Location]]:
        """Pipeline resource names (and lines) in files the syntax index could not read."""
        found = []
        for shown, text in self.unparsed:
            for match in PIPELINE_HEADER.finditer(text):
                found.append((match.group(1), Location(shown, text.count("\n", 0, match.start()) + 1)))
        return found


@dataclass(frozen=True)
class Scope:
    """A module instance (by call path): the module, and the chain of calls that leads to it from the root."""

    module: Module
    calls: tuple[tuple["Scope", Block], ...]  # ((parent scope, module block),) for a child; () for the root
    prefix: str  # "module.a.module.b." or ""
    problem: str | None = None  # why this module instance is not evaluated (a file that cannot be read safely)

    @property
    def key(self) -> str:
        """The call path as modules.json writes it: ``a.b`` (``""`` for the root)."""
        return ".".join(call.labels[0] for _, call in self.calls)


def is_override(name: str) -> bool:
    """Terraform's override files: ``override.tf``, ``*_override.tf`` (and their .tf.json forms)."""
    return name in ("override.tf", "override.tf.json") or name.endswith(("_override.tf", "_override.tf.json"))


def _kind(path: Path) -> str:
    try:
        return files.describe_kind(path.stat().st_mode)
    except (OSError, RuntimeError):
        return "a symlink loop or unreadable entry"


def display(path: Path, root: Path, shown_root: str) -> str:
    """A file as the user would name it: relative to the root as given (``../shared/mod`` included)."""
    relative = os.path.relpath(path.parent.resolve() / path.name, root.resolve())  # the file itself may be a symlink loop
    return os.path.normpath(os.path.join(shown_root, relative))


def call_input(call: Block, module: Module, name: str) -> Expr | None:
    """The expression a module call gives variable ``name``; None when it gives none. ``null`` for a variable
    declared ``nullable = false`` counts as none: Terraform then uses the variable's default."""
    expr = call.attributes.get(name)
    if expr is not None and expr.text.strip() == "null":
        variable = module.variable(name)
        if variable is not None and "nullable" in variable.attributes and variable.attributes["nullable"].text.strip() == "false":
            return None
    return expr


def ignored_null_inputs(scopes: list[Scope]) -> list[tuple[Block, str, str]]:
    """Module call inputs that are ``null`` for a non-nullable variable: left out of the working copy, so the
    evaluator uses the default as Terraform does (as (call block, input name, replacement "") edits)."""
    found: list[tuple[Block, str, str]] = []
    for scope in scopes:
        if not scope.calls:
            continue
        _, call = scope.calls[-1]
        for name, expr in call.attributes.items():
            if expr.text.strip() == "null" and call_input(call, scope.module, name) is None and not any(c is call and n == name for c, n, _ in found):
                found.append((call, name, ""))
    return found


def call_source(call: Block) -> str:
    """The literal ``source`` of a module call ("" when it is missing or not a literal)."""
    source = call.attributes.get("source")
    return source.text.strip().strip('"') if source else ""


class ModuleTree:
    """Indexes the root and every module it calls, and lists each module instance's scope."""

    def __init__(self, root: Path, shown_root: str) -> None:
        self.root = root
        self.shown_root = shown_root
        self.modules: dict[Path, Module] = {}
        self.syntax_errors: list[SourceError] = []
        self.errors: list[InputError] = []
        self.refused: list[Block] = []  # module calls the evaluator must not follow (cycles)
        self._installed, self._manifest = self._read_manifest()

    # -- files --------------------------------------------------------------
    def shown(self, path: Path) -> str:
        return display(path, self.root, self.shown_root)

    def module(self, directory: Path) -> Module:
        """The syntax index of one module directory (read once per directory)."""
        key = directory.resolve()
        if key in self.modules:
            return self.modules[key]
        module = Module(directory=directory)
        self.modules[key] = module
        for path in sorted(directory.glob("*.tf.json")):
            if not files.is_regular(path):
                module.unreadable.append(InputError(Location(self.shown(path)), f"not a regular file ({_kind(path)}): the module is not evaluated"))
        for path in sorted(directory.glob("*.tf")):
            shown = self.shown(path)
            try:
                text = files.read_text(path, shown, limit=MAX_TF_BYTES, what="Terraform file")
            except SourceError as exc:
                module.unreadable.append(InputError(exc.location or Location(shown), f"{exc.message}: the module is not evaluated"))
                continue
            try:
                module.files.append(index_cache.indexed(path, shown, text))
            except InputLimitError as exc:  # the evaluator still reads the file; driftcheck's index does not
                error = InputError(exc.location or Location(shown), f"{exc.message}: driftcheck does not index this file")
                module.limited.append(error)
                self.errors.append(error)
                module.unparsed.append((shown, text))
            except SourceError as exc:
                self.syntax_errors.append(exc)
                module.unparsed.append((shown, text))
        self.errors.extend(module.unreadable)
        self._merge_overrides(module)
        self._duplicates(module)
        return module

    def _merge_overrides(self, module: Module) -> None:
        """Terraform's override files (``override.tf``, ``*_override.tf``): each block is merged into the block of
        the same address, attribute by attribute, a nested block type replacing all of that type."""
        overrides = [f for f in module.files if is_override(f.path.name)]
        if not overrides:
            return
        module.files = [f for f in module.files if not is_override(f.path.name)]
        for override in sorted(overrides, key=lambda f: f.path.name):
            for block in override.blocks:
                base = next((b for f in module.files for b in f.blocks if b.type == block.type and b.labels == block.labels), None)
                if base is None:
                    if block.type in ("resource", "data", "module", "variable", "output"):
                        self.errors.append(InputError(block.location, f"override for {' '.join((block.type, *block.labels))} has no base block to override; Terraform refuses it"))
                    continue
                base.attributes.update(block.attributes)
                replaced = {nested.type for nested in block.blocks}
                base.blocks = [nested for nested in base.blocks if nested.type not in replaced] + list(block.blocks)
        module.overrides = overrides
        module.files_changed()

    def _duplicates(self, module: Module) -> None:
        """Two blocks with one address in one module: an input error at both lines, as Terraform refuses it."""
        seen: dict[tuple[str, ...], Block] = {}
        for file_index in module.files:
            for block in file_index.blocks:
                if block.type in ("resource", "data") and len(block.labels) >= 2:
                    key = (block.type, *block.labels[:2])
                    address = f"{'data.' if block.type == 'data' else ''}{block.labels[0]}.{block.labels[1]}"
                elif block.type in ("module", "variable", "output") and block.labels:
                    key = (block.type, block.labels[0])
                    address = f"{block.type}.{block.labels[0]}" if block.type != "variable" else f"var.{block.labels[0]}"
                else:
                    continue
                first = seen.get(key)
                if first is None:
                    seen[key] = block
                    continue
                module.duplicates.update({id(first), id(block)})
                self.errors.append(InputError(first.location, f"duplicate {address}: also declared at {block.location}; Terraform refuses two blocks with one address"))
                self.errors.append(InputError(block.location, f"duplicate {address}: also declared at {first.location}; Terraform refuses two blocks with one address"))

    # -- .terraform/modules -------------------------------------------------
    @property
    def manifest(self) -> Path:
        """Where terraform init records installed modules (``TF_DATA_DIR`` honoured)."""
        return self._manifest

    @property
    def manifest_elsewhere(self) -> bool:
        """True when the manifest is not ``.terraform/modules/modules.json`` under the root (where the evaluator looks)."""
        return self._manifest.is_file() and self._manifest.resolve() != (self.root / ".terraform" / "modules" / "modules.json").resolve()

    def _read_manifest(self) -> tuple[dict[str, Path], Path]:
        data_dir = Path(os.environ.get("TF_DATA_DIR") or ".terraform")
        manifest = (data_dir if data_dir.is_absolute() else self.root / data_dir) / "modules" / "modules.json"
        if not manifest.is_file():
            return {}, manifest
        try:
            document = json.loads(manifest.read_text(encoding="utf-8"))
            entries = document["Modules"]
            installed = {str(e["Key"]): self.root / str(e["Dir"]) for e in entries if isinstance(e, dict)}
        except (OSError, ValueError, KeyError, TypeError) as exc:
            self.errors.append(InputError(Location(self.shown(manifest)), f"cannot read the module manifest: {exc}; run terraform init"))
            return {}, manifest
        return installed, manifest

    def resolve(self, scope: Scope, call: Block) -> tuple[Path | None, str | None]:
        """The directory a module call loads, or why it cannot be loaded."""
        source = call_source(call)
        name = call.labels[0] if call.labels else "?"
        key = f"{scope.key}.{name}" if scope.key else name
        if not source:
            return None, f'module "{name}" has no literal source'
        if source.startswith(_LOCAL_SOURCE):
            directory = Path(os.path.normpath(scope.module.directory / source))  # Terraform cleans local paths: a//b is a/b
            if key in self._installed and self._installed[key].is_dir():
                directory = self._installed[key]
            if not directory.is_dir():
                return None, f'module "{name}": source directory {source} does not exist (looked in {self.shown(directory)})'
            return directory, None
        installed = self._installed.get(key)
        if installed is None:
            return None, f'module "{name}" (source "{source}") is not installed: run terraform init (driftcheck reads {self.shown(self._manifest)})'
        if not installed.is_dir():
            return None, f'module "{name}" (source "{source}") is listed in {self.shown(self._manifest)} but {self.shown(installed)} is missing: run terraform init'
        return installed, None

    # -- scopes -------------------------------------------------------------
    def scopes(self) -> list[Scope]:
        """Every module instance by call path, root first; bad calls become input errors at the call."""
        root_module = self.module(self.root)
        why = f"the root module is not evaluated: {root_module.unreadable[0].location}: {root_module.unreadable[0].message}" if root_module.unreadable else None
        root = Scope(root_module, (), "", why)
        if why:
            return [root]
        found = [root]
        stack = [root]
        reported: set[tuple[str, int | None, str]] = set()
        while stack:
            scope = stack.pop()
            for call in scope.module.blocks("module"):
                if not call.labels:
                    continue
                directory, problem = self.resolve(scope, call)
                location = call.attributes["source"].line if "source" in call.attributes else call.location.line
                where = Location(call.location.file, location)
                if problem is None and directory is not None:
                    chain = [scope.module.directory.resolve()] + [p.module.directory.resolve() for p, _ in scope.calls]
                    if directory.resolve() in chain:
                        path = " -> ".join([f"module.{c.labels[0]}" for _, c in scope.calls] + [f"module.{call.labels[0]}"])
                        problem = f"module call cycle: {path} calls a module that is already on its call path; Terraform refuses recursive modules"
                        self.refused.append(call)
                if problem is None and directory is not None and self.module(directory).unreadable:
                    first = self.module(directory).unreadable[0]
                    why = f'module "{call.labels[0]}" is not evaluated: {first.location}: {first.message.removesuffix(": the module is not evaluated")}'
                    self.refused.append(call)
                    found.append(Scope(self.module(directory), scope.calls + ((scope, call),), f"{scope.prefix}module.{call.labels[0]}.", why))
                    continue
                if problem is not None:
                    if (where.file, where.line, problem) not in reported:
                        reported.add((where.file, where.line, problem))
                        self.errors.append(InputError(where, problem))
                    continue
                if len(found) >= MAX_SCOPES:
                    self.errors.append(InputError(where, f"more than {MAX_SCOPES} module instances under {self.shown_root}: refusing to read further"))
                    return found
                child = Scope(self.module(directory), scope.calls + ((scope, call),), f"{scope.prefix}module.{call.labels[0]}.")
                found.append(child)
                stack.append(child)
        return found

    def module_directories(self) -> list[Path]:
        """Every module directory read, resolved."""
        return [m.directory.resolve() for m in self.modules.values()]
