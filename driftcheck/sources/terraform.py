"""Terraform source: `aws_imagebuilder_image_pipeline` resources, evaluated as Terraform evaluates them.

Evaluation (variables, tfvars, locals, templates, heredocs, functions, conditionals, count, for_each,
dynamic blocks, local modules, terraform.workspace) is done by tfparse, which wraps the Go HCL
evaluator that Trivy uses. Its known traps are handled here:

* an unknown value may come back as a ``{"__attribute__": ...}`` marker, as null, as the raw template
  text, or make a dynamic block vanish; so knownness is decided from the *references* each expression
  makes (python-hcl2 syntax index, see hcl_index.py), never from the evaluated value;
* a reference to another resource comes back as that block's internal UUID; with ``--state`` it is
  substituted by the attribute's real value, otherwise it is unresolved;
* a syntax error makes tfparse return ``{}``; the error is reported with file and line, and the other
  files are still evaluated;
* ``vars_paths`` are relative to the module directory, and terraform.tfvars / *.auto.tfvars are not
  loaded by tfparse, so they are passed explicitly in Terraform's precedence order.

A declared pipeline block never silently disappears: when its count or for_each cannot be evaluated
it is reported as an error naming what is unknown.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tfparse

from driftcheck.errors import SourceError
from driftcheck.fields import NO_DEFAULT, FieldSpec, TfMode, pipeline_model
from driftcheck.frozen import freeze
from driftcheck.model import DeclaredPipeline, InputError, Location, Unresolved
from driftcheck.sources.base import SourceResult
from driftcheck.sources.hcl_index import (
    Block,
    Expr,
    FileIndex,
    Reference,
    dynamic_blocks_last_lines,
    has_dynamic_before_static,
    index_file,
    load_tfvars_keys,
)
from driftcheck.sources.tfstate import TerraformState

log = logging.getLogger(__name__)

RESOURCE_TYPE = "aws_imagebuilder_image_pipeline"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_DIAGNOSTIC = re.compile(r"(?P<file>[^\s:][^:]*?):(?P<line>\d+),\d+(?:-\d+(?:,\d+)?)?: (?P<message>.*)")


@dataclass(frozen=True)
class TerraformOptions:
    """What the command line tells the Terraform source."""

    variables: tuple[tuple[str, str], ...] = ()
    var_files: tuple[Path, ...] = ()
    state: TerraformState | None = None
    workspace: str = "default"


# --------------------------------------------------------------------------- module tree


@dataclass
class Module:
    """One module directory: its files' syntax index and its blocks by kind."""

    directory: Path
    files: list[FileIndex] = field(default_factory=list)

    def blocks(self, block_type: str) -> Iterator[Block]:
        """Top-level blocks of one type, across the module's files."""
        for file_index in self.files:
            for block in file_index.blocks:
                if block.type == block_type:
                    yield block

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


@dataclass(frozen=True)
class Scope:
    """A module instance: the module, and the chain of calls that leads to it from the root."""

    module: Module
    calls: tuple[tuple["Scope", Block], ...]  # ((parent scope, module block),) for a child; () for the root
    prefix: str  # "module.a.module.b." or ""


def _display(path: Path, root: Path, shown_root: str) -> str:
    """A file as the user would name it: relative to the root as given (``../shared/mod`` included)."""
    relative = os.path.relpath(path.resolve(), root.resolve())
    return os.path.normpath(os.path.join(shown_root, relative))


class _Loader:
    """Loads one root module: syntax index of every module directory, then tfparse evaluation."""

    def __init__(self, root: Path, shown_root: str, only_files: set[Path] | None, options: TerraformOptions) -> None:
        self.root = root
        self.shown_root = shown_root
        self.only_files = only_files
        self.options = options
        self.modules: dict[Path, Module] = {}
        self.errors: list[InputError] = []
        self.syntax_errors: list[SourceError] = []
        self.provided: set[str] = set()
        self.tf_syntax_failed = False
        self.line_maps: dict[str, dict[int, int]] = {}  # reordered copy's line -> user's line, by shown file

    # -- syntax index -------------------------------------------------------
    def module(self, directory: Path) -> Module:
        key = directory.resolve()
        if key in self.modules:
            return self.modules[key]
        module = Module(directory=directory)
        self.modules[key] = module
        for path in sorted(directory.glob("*.tf")):
            try:
                module.files.append(index_file(path, _display(path, self.root, self.shown_root)))
            except SourceError as exc:
                self.syntax_errors.append(exc)
        for call in module.blocks("module"):
            source = call.attributes.get("source")
            literal = source.text.strip().strip('"') if source else ""
            if literal.startswith("./") or literal.startswith("../"):
                child = (directory / literal)
                if child.is_dir():
                    self.module(child)
        return module

    def scope_tree(self) -> Iterator[Scope]:
        root = Scope(self.module(self.root), (), "")
        stack = [root]
        seen = 0
        while stack and seen < 1000:  # bounded: a module tree deeper than this is a loop
            scope = stack.pop()
            seen += 1
            yield scope
            for call in scope.module.blocks("module"):
                source = call.attributes.get("source")
                literal = source.text.strip().strip('"') if source else ""
                child_dir = (scope.module.directory / literal)
                if literal.startswith(("./", "../")) and child_dir.resolve() in self.modules:
                    child = self.modules[child_dir.resolve()]
                    stack.append(Scope(child, scope.calls + ((scope, call),), f"{scope.prefix}module.{call.labels[0]}."))

    # -- variables ----------------------------------------------------------
    def var_files(self, workdir: Path) -> tuple[list["_VarFile"], set[str]]:
        """Variable files in Terraform's precedence order, and the variable names they set.

        Lowest first: TF_VAR_ environment variables, terraform.tfvars(.json), *.auto.tfvars(.json) in
        name order, then --var-file and --var in command-line order (each --var is its own generated
        file, so a bad value is reported against that variable). A file that cannot be read is reported
        here and left out, so the rest of the configuration is still evaluated.
        """
        found: list[_VarFile] = []
        env_vars = {k[7:]: v for k, v in os.environ.items() if k.startswith("TF_VAR_") and len(k) > 7}
        root_module = self.module(self.root)
        for name, raw in env_vars.items():
            if root_module.variable(name) is not None:  # Terraform ignores TF_VAR_ for undeclared variables
                found.append(self._generated_var(workdir, name, raw, f"TF_VAR_{name}", len(found)))
        auto: list[Path] = [self.root / n for n in ("terraform.tfvars", "terraform.tfvars.json") if (self.root / n).is_file()]
        auto += sorted(self.root.glob("*.auto.tfvars")) + sorted(self.root.glob("*.auto.tfvars.json"))
        candidates = [(path, _display(path, self.root, self.shown_root)) for path in auto]
        candidates += [(Path(path), str(path)) for path in self.options.var_files]
        for path, shown in candidates:
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                self.errors.append(InputError(Location(shown), f"cannot read variable file: {reason}"))
                continue
            try:
                keys = load_tfvars_keys(path)
            except Exception:  # python-hcl2 is stricter than Terraform in places; tfparse has the last word
                keys = set(re.findall(r'^"?([A-Za-z_][\w-]*)"?\s*[=:]', text, re.MULTILINE))
            found.append(_VarFile(Path(os.path.abspath(path)), shown, frozenset(keys)))
        for name, raw in self.options.variables:
            found.append(self._generated_var(workdir, name, raw, f"--var {name}", len(found)))
        provided = {key for var_file in found for key in var_file.keys}
        return found, provided

    def _generated_var(self, workdir: Path, name: str, raw: str, shown: str, index: int) -> "_VarFile":
        """Write one NAME=VALUE as a .tfvars file: a string for string-typed (or untyped) variables, HCL otherwise."""
        variable = self.module(self.root).variable(name)
        var_type = variable.attributes["type"].text.strip() if variable and "type" in variable.attributes else "string"
        if var_type in ("string", "any") or var_type.startswith("string"):
            line = f"{name} = {_hcl_string(raw)}"
        else:
            line = f"{name} = {raw}"
        path = workdir / f"driftcheck-var-{index}.tfvars"
        path.write_text(line + "\n", encoding="utf-8")
        return _VarFile(path, shown, frozenset({name}), generated=True)

    # -- evaluation ---------------------------------------------------------
    def evaluate(self) -> dict[str, Any]:
        self.tf_syntax_failed = False
        with tempfile.TemporaryDirectory(prefix="driftcheck-") as workdir:
            tf_root = self._work_around_dynamic_order(Path(workdir)) or self.root
            var_files, self.provided = self.var_files(Path(workdir))
            while True:
                kwargs = dict(
                    allow_downloads=False,
                    workspace_name=self.options.workspace,
                    vars_paths=[os.path.relpath(v.path, tf_root) for v in var_files],
                )
                try:
                    return tfparse.load_from_path(str(tf_root), stop_on_hcl_error=True, **kwargs)
                except tfparse.ParseError as exc:
                    bad = self._bad_var_file(str(exc), tf_root, var_files)
                    if bad is None:
                        self.tf_syntax_failed = True
                        self.errors.extend(self._diagnostics(str(exc)))
                        break
                    # report it, leave it out and evaluate the rest: its variables become unknown
                    var_file, error = bad
                    self.errors.append(error)
                    var_files = [v for v in var_files if v is not var_file]
                    self.provided = {key for v in var_files for key in v.keys}
            try:
                return tfparse.load_from_path(str(tf_root), stop_on_hcl_error=False, **kwargs)
            except tfparse.ParseError as exc:
                self.errors.append(InputError(Location(self.shown_root), f"cannot evaluate Terraform: {exc}"))
                return {}

    def _bad_var_file(self, message: str, tf_root: Path, var_files: list["_VarFile"]) -> tuple["_VarFile", InputError] | None:
        """The variable file tfparse refused, with an error at its file and line; None for any other error."""
        match = re.search(r"failed to load tfvars from (?P<file>.+?): (?:(?P=file):(?P<line>\d+)[,\d-]*: )?(?P<message>.*)", message)
        if not match:
            return None
        refused = os.path.normpath(os.path.join(str(tf_root), match["file"]))
        var_file = next((v for v in var_files if os.path.normpath(str(v.path)) == refused), None)
        if var_file is None:
            return None
        detail = match["message"].strip()
        if var_file.generated:
            return var_file, InputError(Location(var_file.shown), f"invalid value: {detail}")
        line = int(match["line"]) if match["line"] else None
        return var_file, InputError(Location(var_file.shown, line), f"variable file error: {detail}")

    def _work_around_dynamic_order(self, workdir: Path) -> Path | None:
        """Evaluate a reordered copy when a pipeline has a dynamic block before a static one.

        tfparse 0.6.22 silently drops such a dynamic block's expansion (see hcl_index.dynamic_blocks_last_lines).
        The copy holds the module directories only, with the same relative layout, so relative module
        sources, path.module and tfvars resolve as they do in the original. User files are never changed.
        """
        affected = {
            id(file_index): file_index
            for module in self.modules.values()
            for file_index in module.files
            for block in file_index.blocks
            if block.type == "resource" and block.labels[:1] == (RESOURCE_TYPE,) and has_dynamic_before_static(block)
        }
        if not affected:
            return None
        directories = [m.directory.resolve() for m in self.modules.values()]
        ancestor = Path(os.path.commonpath([str(d) for d in directories]))
        mirror = workdir / "tree"
        for directory in directories:
            shutil.copytree(
                directory,
                mirror / directory.relative_to(ancestor),
                ignore=shutil.ignore_patterns(".terraform", ".git", "node_modules"),
                dirs_exist_ok=True,
            )
        for file_index in affected.values():
            source = file_index.source
            line_map = self.line_maps.setdefault(str(file_index.path), {})
            for block in sorted(file_index.blocks, key=lambda b: b.span[0], reverse=True):
                if block.type == "resource" and block.labels[:1] == (RESOURCE_TYPE,) and has_dynamic_before_static(block):
                    start, end = block.span
                    text, lines = dynamic_blocks_last_lines(block, file_index.source)
                    line_map.update(lines)
                    source = source[:start] + text + source[end:]
            original = (self.root / os.path.relpath(file_index.path, self.shown_root)).resolve()
            (mirror / original.relative_to(ancestor)).write_text(source, encoding="utf-8")
        return mirror / self.root.resolve().relative_to(ancestor)

    def _diagnostics(self, message: str) -> list[InputError]:
        text = message.removeprefix("unable to create TerraformConverter: ")
        match = _DIAGNOSTIC.search(text)
        if match:
            file = _display(self.root / match["file"], self.root, self.shown_root)
            return [InputError(Location(file, int(match["line"])), match["message"].strip())]
        var_file = re.search(r"failed to load tfvars from (\S+?):", text)
        if var_file:
            return [InputError(Location(var_file.group(1)), text)]
        return [InputError(Location(self.shown_root), text)]


@dataclass(frozen=True)
class _VarFile:
    """One variable file handed to tfparse: its path, how to show it, and the names it sets."""

    path: Path
    shown: str
    keys: frozenset[str]
    generated: bool = False


def _hcl_string(raw: str) -> str:
    escaped = raw.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("${", "$${").replace("%{", "%%{")
    return f'"{escaped}"'


# --------------------------------------------------------------------------- knownness


class _Knowledge:
    """Decides whether references are known, and resolves resource references from state."""

    def __init__(self, loader: _Loader, state: TerraformState | None, block_ids: set[str]) -> None:
        self.loader = loader
        self.state = state
        self.block_ids = block_ids
        # the module path of the instance being converted, with instance keys (module.a["k"].), so that
        # resource references inside a module with count/for_each find the right instance in state
        self.instance_prefix = ""

    def unknown(self, refs: Iterable[Reference], scope: Scope, depth: int = 0) -> list[str]:
        """Reasons why any of the references is unknown; empty when all are known."""
        reasons: list[str] = []
        for ref in refs:
            reason = self._unknown(ref, scope, depth)
            if reason and reason not in reasons:
                reasons.append(reason)
        return reasons

    def _unknown(self, ref: Reference, scope: Scope, depth: int) -> str | None:
        if depth > 50:
            return f"{ref} is defined in terms of itself"
        root = ref.root
        if root.endswith("()"):
            return f"{root} is only known when Terraform applies"
        if root in ("each", "count", "path", "terraform", "self"):
            return None
        if root == "var" and len(ref.steps) > 1:
            return self._unknown_var(ref.steps[1], scope, depth)
        if root == "local" and len(ref.steps) > 1:
            expr = scope.module.local(ref.steps[1])
            if expr is None:
                return f"local.{ref.steps[1]} is not defined"
            inner = self.unknown(expr.references, scope, depth + 1)
            return f"local.{ref.steps[1]} depends on {inner[0]}" if inner else None
        if root == "module":
            return f"{'.'.join(ref.steps[:3])} is a module output, which driftcheck does not evaluate"
        rest = ref.steps[3:] if root == "data" else ref.steps[2:]
        if not [step for step in rest if not step.startswith("[")]:
            return f"{ref} is a whole resource object, which driftcheck does not evaluate"
        if self.state_value(ref, scope) is not _NOT_FOUND:
            return None
        address = self._address(ref, scope)
        if self.state is None:
            return f"{ref} is another resource's attribute (pass --state to resolve it)"
        return f"{ref} is not in the state file ({address})"

    def _unknown_var(self, name: str, scope: Scope, depth: int) -> str | None:
        variable = scope.module.variable(name)
        if not scope.calls:
            if name in self.loader.provided or (variable is not None and "default" in variable.attributes):
                return None
            return f"var.{name} has no value (pass --var {name}=... or a --var-file)"
        parent, call = scope.calls[-1]
        if name in call.attributes:
            inner = self.unknown(call.attributes[name].references, parent, depth + 1)
            return f"var.{name} of module.{call.labels[0]} depends on {inner[0]}" if inner else None
        if variable is not None and "default" in variable.attributes:
            return None
        return f"var.{name} of module.{call.labels[0]} is not set by the module call and has no default"

    def _address(self, ref: Reference, scope: Scope) -> str:
        steps = list(ref.steps)
        if steps[0] == "data":
            base = f"data.{steps[1]}.{steps[2]}" if len(steps) > 2 else "data"
            rest = steps[3:]
        else:
            base = f"{steps[0]}.{steps[1]}"
            rest = steps[2:]
        if rest and rest[0].startswith("["):
            base += rest[0]
        return _keyed_prefix(scope.prefix, self.instance_prefix) + base

    # -- nulls and dependencies --------------------------------------------
    def _var_expr(self, name: str, scope: Scope) -> tuple[Expr, Scope] | None | bool:
        """Where a variable's value comes from: (expression, its scope); False when set by a variable file."""
        variable = scope.module.variable(name)
        if scope.calls:
            parent, call = scope.calls[-1]
            if name in call.attributes:
                return call.attributes[name], parent
        elif name in self.loader.provided:
            return False
        if variable is not None and "default" in variable.attributes:
            return variable.attributes["default"], scope
        return None

    def definitely_null(self, expr: Expr, scope: Scope, depth: int = 0) -> bool:
        """True when the expression is ``null`` or a plain var/local chain that ends in ``null``."""
        text = expr.text.strip()
        if text == "null":
            return True
        if depth > 50 or len(expr.references) != 1 or text != str(expr.references[0]):
            return False
        ref = expr.references[0]
        if ref.root == "var" and len(ref.steps) == 2:
            source = self._var_expr(ref.steps[1], scope)
            return bool(source) and self.definitely_null(source[0], source[1], depth + 1)
        if ref.root == "local" and len(ref.steps) == 2:
            local = scope.module.local(ref.steps[1])
            return local is not None and self.definitely_null(local, scope, depth + 1)
        return False

    def may_be_null(self, expr: Expr, scope: Scope, depth: int = 0) -> bool:
        """False when nothing the expression is built from can be null, so a null from tfparse is its failure.

        Null comes from the ``null`` keyword (in the expression, or in a local or variable default it uses)
        or from an ``optional()`` object attribute; a value set in a variable file is trusted not to be null.
        """
        if depth > 50:
            return True
        if re.search(r"\bnull\b", _without_string_literals(expr.text)):
            return True
        for ref in expr.references:
            if ref.root == "var" and len(ref.steps) > 1:
                variable = scope.module.variable(ref.steps[1])
                if variable is not None and "optional(" in (variable.attributes.get("type").text if "type" in variable.attributes else ""):
                    return True
                source = self._var_expr(ref.steps[1], scope)
                if source and self.may_be_null(source[0], source[1], depth + 1):
                    return True
            elif ref.root == "local" and len(ref.steps) > 1:
                local = scope.module.local(ref.steps[1])
                if local is not None and self.may_be_null(local, scope, depth + 1):
                    return True
            elif ref.root not in ("each", "count", "path", "terraform", "self") and not ref.root.endswith("()"):
                return True  # another resource's attribute (from state) may well be null
        return False

    def dependencies(self, refs: Iterable[Reference], scope: Scope, depth: int = 0) -> list[str]:
        """Resources, data sources and module outputs that the references lead to, through locals and variables."""
        found: list[str] = []
        for ref in refs:
            inner: list[str] = []
            if ref.root in ("each", "count", "path", "terraform", "self") or ref.root.endswith("()") or depth > 50:
                continue
            if ref.root == "var" and len(ref.steps) > 1:
                source = self._var_expr(ref.steps[1], scope)
                if source:
                    inner = self.dependencies(source[0].references, source[1], depth + 1)
            elif ref.root == "local" and len(ref.steps) > 1:
                local = scope.module.local(ref.steps[1])
                if local is not None:
                    inner = self.dependencies(local.references, scope, depth + 1)
            else:
                inner = [str(ref)]
            found.extend(i for i in inner if i not in found)
        return found

    def state_value(self, ref: Reference, scope: Scope) -> Any:
        """The referenced value from state, or _NOT_FOUND."""
        if self.state is None or ref.root in ("var", "local", "module", "each", "count", "path", "terraform", "self"):
            return _NOT_FOUND
        steps = list(ref.steps)
        rest = steps[3:] if steps[0] == "data" else steps[2:]
        if rest and rest[0].startswith("["):
            if rest[0] == "[*]":
                return _NOT_FOUND
            rest = rest[1:]
        attributes = self.state.attributes(self._address(ref, scope))
        if attributes is None or not rest:
            return _NOT_FOUND
        value: Any = attributes
        for step in rest:
            key: Any = step
            if step.startswith("["):
                try:
                    key = json.loads(step[1:-1])
                except ValueError:
                    return _NOT_FOUND
            if isinstance(value, Mapping) and isinstance(key, str) and key in value:
                value = value[key]
            elif isinstance(value, (list, tuple)) and isinstance(key, int) and not isinstance(key, bool) and -1 < key < len(value):
                value = value[key]
            else:
                return _NOT_FOUND
        return value


_NOT_FOUND = object()
_STRING_LITERAL = re.compile(r'"(?:[^"\\$]|\\.|\$(?!\{))*"')
_NULL_TEST = re.compile(r"[!=]=\s*null\b|\bnull\s*[!=]=")


def _without_string_literals(text: str) -> str:
    """The expression text with plain string literals (no interpolation) and ``== null`` tests blanked."""
    return _NULL_TEST.sub("", _STRING_LITERAL.sub('""', text))


def _keyed_prefix(scope_prefix: str, instance_prefix: str) -> str:
    """``module.a.module.b.`` with the instance keys of ``module.a["k"].module.b[0].x`` put back."""
    if not scope_prefix or not instance_prefix:
        return scope_prefix
    wanted = scope_prefix.count("module.")
    keyed = re.findall(r'module\.[\w-]+(?:\[[^\]]*\])?\.', instance_prefix)
    plain = [_INSTANCE_KEY.sub("", part) for part in keyed[:wanted]]
    return "".join(keyed[:wanted]) if "".join(plain) == scope_prefix else scope_prefix


# --------------------------------------------------------------------------- conversion to API shape


class _Converter:
    """Turns one tfparse resource instance into API-shaped fields, with Terraform's absent-field semantics."""

    def __init__(self, knowledge: _Knowledge, scope: Scope, block: Block | None) -> None:
        self.knowledge = knowledge
        self.scope = scope
        self.block = block
        self.locations: dict[str, Location] = {}
        self.depth = 0

    def value(self, raw: Any, expr: Expr | None, tf_path: str) -> Any:
        """The resolved value of one attribute, or Unresolved."""
        if expr is None:  # no syntax index for this file: fall back to what the value itself shows
            if raw is None or _looks_unknown(raw, self.knowledge.block_ids):
                return Unresolved(f"{tf_path} could not be evaluated")
            return raw
        reasons = self.knowledge.unknown(expr.references, self.scope)
        if reasons:
            return Unresolved("; ".join(reasons))
        passed = self._passed_through(expr)
        if passed is not None:  # a bare local or module variable: tfparse's value is its source's value
            return passed[0].value(raw, passed[1], tf_path)
        resource_refs = [
            ref for ref in expr.references if ref.root not in ("var", "local", "each", "count", "path", "terraform", "self")
        ]
        if not resource_refs:
            if isinstance(raw, Mapping) and "__attribute__" in raw:  # tfparse's stand-in for a null var or local
                if self.knowledge.definitely_null(expr, self.scope):
                    return None
                return Unresolved(f"{tf_path} could not be evaluated")
            if _looks_unknown(raw, self.knowledge.block_ids):
                return Unresolved(f"{tf_path} could not be evaluated")
            if _template_leftover(raw, expr.text):
                return Unresolved(f"{tf_path}: part of the template could not be evaluated")
            if _contains_null(raw) and not self.knowledge.may_be_null(expr, self.scope):
                # nothing here can be null: tfparse failed (e.g. templatefile(), which it does not support)
                return Unresolved(f"{tf_path} could not be evaluated (a function driftcheck's evaluator does not support?)")
            return raw
        values = {str(ref): self.knowledge.state_value(ref, self.scope) for ref in resource_refs}
        text = expr.text.strip()
        if len(resource_refs) == 1 and text in (str(resource_refs[0]), "${" + str(resource_refs[0]) + "}", '"${' + str(resource_refs[0]) + '}"'):
            return values[str(resource_refs[0])]
        rendered = _render_state_values(raw, expr.text, values, self.knowledge.block_ids)
        if rendered is not None:
            return rendered
        return Unresolved(f"{tf_path}: cannot evaluate an expression over {', '.join(map(str, resource_refs))}")

    def _passed_through(self, expr: Expr) -> tuple["_Converter", Expr] | None:
        """For ``local.x`` or a module's ``var.x``, the expression that gives it its value, and its scope."""
        text = expr.text.strip()
        if len(expr.references) != 1 or text not in (str(expr.references[0]), f'"${{{expr.references[0]}}}"') or self.depth > 50:
            return None
        ref = expr.references[0]
        if len(ref.steps) != 2:
            return None
        scope, source = self.scope, None
        if ref.root == "local":
            source = self.scope.module.local(ref.steps[1])
        elif ref.root == "var" and self.scope.calls:
            scope, call = self.scope.calls[-1]
            source = call.attributes.get(ref.steps[1])
        if source is None:
            return None
        inner = _Converter(self.knowledge, scope, None)
        inner.depth = self.depth + 1
        return inner, source

    def structure(self, spec: FieldSpec, tf_obj: Mapping[str, Any], hcl: Block | None, api_prefix: str, tf_prefix: str) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for name, child in spec.children.items():
            overlay = child.overlay
            if overlay.output_only or overlay.tf_mode is TfMode.UNSUPPORTED or overlay.tf_name is None:
                continue
            if api_prefix == "" and name == "tags":
                continue  # tags_all is built by the caller (default_tags + tags)
            api_path = f"{api_prefix}.{name}" if api_prefix else name
            tf_name = overlay.tf_name
            tf_path = f"{tf_prefix}.{tf_name}" if tf_prefix else tf_name
            is_block = child.type == "structure" or (child.type == "list" and child.item is not None and bool(child.item.children))
            if is_block:
                converted = self.blocks(child, tf_obj, hcl, api_path, tf_path)
                if converted is not _OMIT:
                    result[name] = converted
                continue
            expr = hcl.attributes.get(tf_name) if hcl is not None else None
            if expr is not None:
                self.locations[api_path] = Location(expr_file(hcl), expr.line)
            if tf_name in tf_obj or expr is not None:
                value = self.value(tf_obj.get(tf_name), expr, tf_path)
                if value is not None:
                    result[name] = _coerce(value, child, tf_path)
                    continue
                # a null value is an omitted one, to Terraform: defaults apply
            if overlay.tf_default is not NO_DEFAULT:
                result[name] = overlay.tf_default
            elif overlay.tf_mode is TfMode.OPTIONAL_COMPUTED:
                continue
            else:
                result[name] = None
        return result

    def blocks(self, spec: FieldSpec, tf_obj: Mapping[str, Any], hcl: Block | None, api_path: str, tf_path: str) -> Any:
        tf_name = spec.overlay.tf_name or ""
        raw = tf_obj.get(tf_name)
        items = [raw] if isinstance(raw, Mapping) else [i for i in (raw or []) if isinstance(i, Mapping)]
        static = hcl.nested(tf_name) if hcl is not None else []
        dynamic = [b for b in (hcl.nested("dynamic") if hcl is not None else []) if b.labels[:1] == (tf_name,)]
        if static or dynamic:  # the first block that declares it
            self.locations.setdefault(api_path, Location(expr_file(hcl), min(b.location.line for b in static + dynamic)))
        for dyn in dynamic:
            for_each = dyn.attributes.get("for_each")
            reasons = self.knowledge.unknown(for_each.references, self.scope) if for_each else []
            if reasons:
                return Unresolved(f"dynamic \"{tf_name}\" for_each: {'; '.join(reasons)}")
            dependencies = self.knowledge.dependencies(for_each.references, self.scope) if for_each else []
            if dependencies:  # tfparse iterates over the other resource's configuration, not its real value
                return Unresolved(f"dynamic \"{tf_name}\" for_each depends on {', '.join(dependencies)}, which driftcheck does not evaluate")
        if not items:
            if spec.overlay.tf_mode is TfMode.OPTIONAL_COMPUTED:
                return _OMIT
            return None
        matched = self._match_blocks(items, static, dynamic, hcl)
        if spec.type == "structure":
            return self.structure(spec, matched[0][0], matched[0][1], api_path, f"{tf_path}[0]")
        out = []
        for index, (item, item_hcl) in enumerate(matched):
            item_api = f"{api_path}[{index}]"
            if item_hcl is not None:
                self.locations[item_api] = Location(expr_file(item_hcl), item_hcl.location.line)
            converted = self.structure(spec.item, item, item_hcl, item_api, f"{tf_path}[{index}]")
            if spec.overlay.set_key and isinstance(converted.get(spec.overlay.set_key), str) and item_hcl is not None:
                self.locations[f"{api_path}[{spec.overlay.set_key}={converted[spec.overlay.set_key]}]"] = Location(
                    expr_file(item_hcl), item_hcl.location.line
                )
            out.append(converted)
        return out

    def _match_blocks(
        self, items: list[Mapping[str, Any]], static: list[Block], dynamic: list[Block], hcl: Block | None
    ) -> list[tuple[Mapping[str, Any], Block | None]]:
        """Each evaluated nested block with the block (or dynamic ``content``) that declares it, in source order.

        tfparse expands dynamic blocks after the static ones (and the dynamic-order workaround moves
        them there), while Terraform keeps the order in which they are written, which matters for an
        ordered list such as ``workflow``. Each item's line (mapped back from the reordered copy)
        names its block; if any item cannot be placed, tfparse's order is kept and items are paired
        with blocks by position.
        """
        line_map = self.knowledge.loader.line_maps.get(hcl.location.file, {}) if hcl is not None else {}
        candidates: dict[int, tuple[Block, int]] = {b.location.line: (b, b.location.line) for b in static}
        for dyn in dynamic:
            content = dyn.nested("content")
            if content:
                candidates[content[0].location.line] = (content[0], dyn.location.line)
        placed: list[tuple[int, int, Mapping[str, Any], Block]] = []
        for index, item in enumerate(items):
            line = item.get("__tfmeta", {}).get("line_start")
            found = candidates.get(line_map.get(line, line)) if isinstance(line, int) else None
            if found is None:
                break
            placed.append((found[1], index, item, found[0]))
        else:
            return [(item, block) for _, _, item, block in sorted(placed, key=lambda p: (p[0], p[1]))]
        by_position: list[Block | None] = list(static) + [(d.nested("content") or [None])[0] for d in dynamic]
        return [(item, _pick(by_position, index, bool(dynamic))) for index, item in enumerate(items)]


_OMIT = object()


def _pick(hcl_items: list[Block | None], index: int, has_dynamic: bool) -> Block | None:
    if index < len(hcl_items):
        return hcl_items[index]
    return hcl_items[-1] if has_dynamic and hcl_items else None


def expr_file(block: Block) -> str:
    """The file a block was read from."""
    return block.location.file


_RENDERED_PART = re.compile(r"\$\{(?P<text>[^}]*)\}|" + _UUID.pattern)


def _render_state_values(raw: Any, expr_text: str, values: Mapping[str, Any], block_ids: set[str]) -> str | None:
    """Put state values into a string template that tfparse rendered around other resources' attributes.

    tfparse renders such an interpolation either as the referenced block's UUID or as its own text
    (``${aws_x.y.name}``). Only templates whose every resource reference is a bare ``${ref}`` are
    rendered, by matching those interpolations, in order, with what tfparse left in their place;
    anything else (a function over a reference, a count mismatch) returns None.
    """
    if not isinstance(raw, str) or any(v is _NOT_FOUND or not isinstance(v, (str, int, float, bool)) for v in values.values()):
        return None
    wanted: list[tuple[int, str]] = []
    for name in values:
        bare = [m.start() for m in re.finditer(r"\$\{~?\s*" + re.escape(name) + r"\s*~?\}", expr_text)]
        anywhere = re.findall(re.escape(name) + r"(?![\w.\[])", expr_text)
        if not bare or len(bare) != len(anywhere):
            return None
        wanted += [(start, name) for start in bare]
    wanted.sort()
    found = [m for m in _RENDERED_PART.finditer(raw) if m["text"] is not None or m.group(0) in block_ids]
    if len(found) != len(wanted):
        return None
    result, cursor = "", 0
    for match, (_, name) in zip(found, wanted):
        if match["text"] is not None and match["text"].strip().strip("~").strip() != name:
            return None
        result += raw[cursor:match.start()] + str(_tf_string(values[name]))
        cursor = match.end()
    return result + raw[cursor:]


def _contains_null(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, Mapping):
        return any(_contains_null(v) for v in value.values())
    if isinstance(value, list):
        return any(_contains_null(v) for v in value)
    return False


def _template_leftover(value: Any, expr_text: str) -> bool:
    """tfparse renders a template part it could not evaluate as ``${...}``, or leaves the part's own text."""
    if isinstance(value, Mapping):
        return any(_template_leftover(v, expr_text) for v in value.values())
    if isinstance(value, list):
        return any(_template_leftover(v, expr_text) for v in value)
    if isinstance(value, str) and "{" in value:
        parts = re.findall(r"[$%]\{[^}]*\}", value)
        return "${...}" in value or any(re.search(r"(?<![$%])" + re.escape(part), expr_text) for part in parts)
    return False


_TRUE = {"true": True, "1": True, "false": False, "0": False}


def _coerce(value: Any, spec: FieldSpec, tf_path: str) -> Any:
    """Convert a value to the attribute's type as Terraform does (``"60"`` -> 60, ``0`` -> ``"0"``, ``"true"`` -> True)."""
    if value is None or isinstance(value, Unresolved):
        return value
    kind = "string" if spec.overlay.tf_scalar_list else spec.type
    try:
        if kind == "list" and spec.item is not None:
            return [_coerce(item, spec.item, tf_path) for item in value] if isinstance(value, list) else value
        if kind == "map":
            return {k: _tf_string(v) for k, v in value.items()} if isinstance(value, Mapping) else value
        if kind == "string":
            return _tf_string(value)
        if kind == "boolean":
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value in _TRUE:
                return _TRUE[value]
            raise ValueError
        if kind in ("integer", "long"):
            number = float(value) if isinstance(value, str) else value
            if isinstance(number, bool) or not isinstance(number, (int, float)) or number != int(number):
                raise ValueError
            return int(number)
    except (ValueError, TypeError, OverflowError):
        return Unresolved(f"{tf_path}: {value!r} is not a valid {kind}; Terraform would reject it")
    return value


def _tf_string(value: Any) -> Any:
    """Terraform's conversion of a primitive to string; anything else is left for the diff to show."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return value


def _looks_unknown(value: Any, block_ids: set[str]) -> bool:
    """tfparse's ways of saying 'unknown': attribute markers, block UUIDs, leftover template text."""
    if isinstance(value, Mapping):
        if "__attribute__" in value or "__name__" in value:
            return True
        return any(_looks_unknown(v, block_ids) for v in value.values())
    if isinstance(value, list):
        return any(_looks_unknown(v, block_ids) for v in value)
    if isinstance(value, str):
        return any(match in block_ids for match in _UUID.findall(value))
    return False


def _strip_meta(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _strip_meta(v) for k, v in value.items() if k not in ("__tfmeta", "id") or not isinstance(v, (dict, str))}
    if isinstance(value, list):
        return [_strip_meta(v) for v in value]
    return value


def _collect_ids(document: Any, found: set[str]) -> set[str]:
    if isinstance(document, Mapping):
        block_id = document.get("id")
        if isinstance(block_id, str) and _UUID.fullmatch(block_id) and "__tfmeta" in document:
            found.add(block_id)
        for key, value in document.items():
            if key not in ("for_each", "__tfmeta"):  # tfparse repeats the whole for_each value per instance
                _collect_ids(value, found)
    elif isinstance(document, list):
        for value in document:
            _collect_ids(value, found)
    return found


# --------------------------------------------------------------------------- the source


_INSTANCE_KEY = re.compile(r'\[[^\]]*\]')


def _module_path(tf_path: str) -> str:
    """``module.a["x"].module.b.aws_t.n[0]`` -> ``module.a.module.b.`` (instance keys dropped)."""
    parts = tf_path.split(f"{RESOURCE_TYPE}.")[0]
    return _INSTANCE_KEY.sub("", parts)


class TerraformSource:
    """Reads Terraform root modules (directories) or individual .tf files."""

    kind = "terraform"

    def __init__(self, options: TerraformOptions | None = None) -> None:
        self.options = options or TerraformOptions()

    def collect(self, paths: Iterable[str]) -> SourceResult:
        """Evaluate every root module named by ``paths``."""
        roots: dict[Path, tuple[str, set[Path] | None]] = {}
        errors: list[InputError] = []
        for shown in paths:
            path = Path(shown)
            if path.is_dir():
                if not any(path.glob("*.tf")) and not any(path.glob("*.tf.json")):
                    errors.append(InputError(Location(shown), "no Terraform files (*.tf) in this directory"))
                    continue
                roots[path.resolve()] = (shown, None)
            elif path.is_file() and path.suffix == ".tf":
                parent = path.resolve().parent
                shown_root, files = roots.get(parent, (os.path.dirname(shown) or ".", set()))
                if files is not None:
                    files.add(path.resolve())
                roots[parent] = (shown_root, files)
            else:
                errors.append(InputError(Location(shown), "not a Terraform directory or .tf file"))
        pipelines: list[DeclaredPipeline] = []
        for root, (shown_root, only) in roots.items():
            result = self._collect_root(root, shown_root, only)
            pipelines.extend(result.pipelines)
            errors.extend(result.errors)
        return SourceResult(tuple(pipelines), tuple(errors))

    def _collect_root(self, root: Path, shown_root: str, only: set[Path] | None) -> SourceResult:
        self._root = (root, shown_root)
        loader = _Loader(root, shown_root, only, self.options)
        scopes = list(loader.scope_tree())
        document = loader.evaluate()
        errors = list(loader.errors)
        reported = {e.location.file for e in errors}
        for syntax_error in loader.syntax_errors:
            # python-hcl2's grammar is not Terraform's: trust its complaint only when tfparse failed too
            if loader.tf_syntax_failed and syntax_error.location and syntax_error.location.file not in reported:
                errors.append(InputError(syntax_error.location, syntax_error.message))
            else:
                log.debug("syntax index unavailable: %s", syntax_error)
        knowledge = _Knowledge(loader, self.options.state, _collect_ids(document, set()))
        instances = [
            i
            for i in document.get(RESOURCE_TYPE, [])
            # tfparse lists `data "aws_imagebuilder_image_pipeline"` blocks under the same key
            if isinstance(i, Mapping) and i.get("__tfmeta", {}).get("type", "resource") == "resource"
        ]
        providers = [p for p in document.get("provider", []) if isinstance(p, Mapping)]

        by_block: dict[tuple[str, str, int], list[Mapping[str, Any]]] = {}
        for instance in instances:
            meta = instance.get("__tfmeta", {})
            file = _display(root / meta.get("filename", ""), root, shown_root)
            by_block.setdefault((_module_path(meta.get("path", "")), file, int(meta.get("line_start", 0))), []).append(instance)

        pipelines: list[DeclaredPipeline] = []
        for scope in scopes:
            for block in scope.module.blocks("resource"):
                if block.labels[:1] != (RESOURCE_TYPE,) or len(block.labels) < 2:
                    continue
                if only is not None and Path(block.location.file).resolve() not in only:
                    continue
                key = (scope.prefix, block.location.file, block.location.line)
                found = by_block.pop(key, [])
                pipelines.extend(self._pipelines(block, scope, found, knowledge, providers))
        for (prefix, file, line), leftovers in by_block.items():  # files python-hcl2 could not index
            if only is not None and Path(file).resolve() not in only:
                continue
            scope = next((s for s in scopes if s.prefix == prefix), scopes[0])
            for instance in leftovers:
                pipelines.extend(self._pipelines(None, scope, [instance], knowledge, providers))
        return SourceResult(tuple(pipelines), tuple(errors))

    def _pipelines(
        self,
        block: Block | None,
        scope: Scope,
        instances: list[Mapping[str, Any]],
        knowledge: _Knowledge,
        providers: list[Mapping[str, Any]],
    ) -> list[DeclaredPipeline]:
        address = f"{scope.prefix}{RESOURCE_TYPE}.{block.labels[1]}" if block else ""
        location = block.location if block else Location(self._shown(str(instances[0]["__tfmeta"].get("filename"))), instances[0]["__tfmeta"].get("line_start"))
        if block is not None:
            problem = self._expansion_problem(block, scope, instances, knowledge, address)
            if problem:
                return [_error(address, location, problem)]
        if not instances:
            log.info("%s: count/for_each evaluates to no instances", address)
            return []
        return [self._pipeline(block, scope, instance, knowledge, providers) for instance in instances]

    def _expansion_problem(
        self, block: Block, scope: Scope, instances: list[Mapping[str, Any]], knowledge: _Knowledge, address: str
    ) -> str | None:
        """Why tfparse's instances of this block cannot be trusted, or None.

        tfparse expands an unknown count to one bogus instance and a for_each over another resource to
        that block's attribute names, so the resource's own count/for_each, and those of every module
        call on the way to it, must be known, and must not depend on other resources (tfparse reads
        their configuration, not their real values) unless the state lists exactly these instances.
        """
        checks: list[tuple[str, Expr | None, Scope]] = [(meta, block.attributes.get(meta), scope) for meta in ("count", "for_each")]
        for parent, call in scope.calls:
            checks += [(f"module.{call.labels[0]} {meta}", call.attributes.get(meta), parent) for meta in ("count", "for_each")]
        for what, expr, where in checks:
            if expr is None:
                continue
            reasons = knowledge.unknown(expr.references, where)
            if reasons:
                return f"{what} cannot be evaluated: {'; '.join(reasons)}"
            dependencies = knowledge.dependencies(expr.references, where)
            if dependencies and not self._state_lists(address, instances):
                return (
                    f"{what} depends on {', '.join(dependencies)}: its instances cannot be expanded without "
                    "evaluating other resources, and the state file does not list them"
                )
        return None

    def _state_lists(self, address: str, instances: list[Mapping[str, Any]]) -> bool:
        """True when the state holds exactly the instances tfparse produced for this resource."""
        state = self.options.state
        if state is None:
            return False
        expected = {a for a in state.instances if _INSTANCE_KEY.sub("", a) == address}
        produced = {str(i.get("__tfmeta", {}).get("path")) for i in instances}
        return bool(expected) and expected == produced

    def _pipeline(
        self,
        block: Block | None,
        scope: Scope,
        instance: Mapping[str, Any],
        knowledge: _Knowledge,
        providers: list[Mapping[str, Any]],
    ) -> DeclaredPipeline:
        meta = instance.get("__tfmeta", {})
        pipeline_id = meta.get("path") or "aws_imagebuilder_image_pipeline"
        location = block.location if block else Location(self._shown(str(meta.get("filename"))), meta.get("line_start"))
        knowledge.instance_prefix = str(pipeline_id).split(f"{RESOURCE_TYPE}.")[0]
        converter = _Converter(knowledge, scope, block)
        fields = converter.structure(pipeline_model(), instance, block, "", "")
        notes: list[str] = []

        provider = _provider_for(block, scope, providers)
        provider_block, provider_converter = self._provider_syntax(provider, scope, knowledge)
        tags, tag_locations = self._tags(block, instance, provider, converter, provider_block, provider_converter)
        fields["tags"] = tags
        converter.locations.update(tag_locations)
        region, region_problem = self._region(block, instance, provider, converter, provider_block, provider_converter)

        arn = None
        state = self.options.state
        if state is not None:
            attributes = state.attributes(pipeline_id)
            if attributes and isinstance(attributes.get("arn"), str):
                arn = attributes["arn"]
        name = fields.get("name")
        if not isinstance(name, str):
            name = name if isinstance(name, Unresolved) else Unresolved("name is not set")
        error = None
        if isinstance(name, Unresolved) and arn is None:
            error = f"pipeline name is unresolved, so it cannot be matched: {name.reason}"
        if region_problem is not None:
            region = _arn_region(arn)  # the state's ARN names the region; otherwise never guess one
            if region is None and error is None:
                error = f"pipeline region is unresolved, so it cannot be fetched: {region_problem}"
        return DeclaredPipeline(
            id=pipeline_id,
            source_kind=self.kind,
            name=name,
            location=location,
            fields=freeze(fields),
            field_locations=freeze(converter.locations),
            arn=arn,
            region=region,
            error=error,
            notes=tuple(notes),
        )

    def _shown(self, tfparse_filename: str) -> str:
        root, shown_root = self._root
        return _display(root / tfparse_filename, root, shown_root)

    def _provider_syntax(
        self, provider: Mapping[str, Any] | None, scope: Scope, knowledge: _Knowledge
    ) -> tuple[Block | None, _Converter]:
        """The provider block's syntax (found by file and line) and a converter for its module's scope."""
        ancestors = [scope] + [parent for parent, _ in reversed(scope.calls)]
        if provider is not None:
            meta = provider.get("__tfmeta", {})
            file, line = self._shown(str(meta.get("filename", ""))), meta.get("line_start")
            for candidate in ancestors:
                for block in candidate.module.blocks("provider"):
                    if block.location.file == file and block.location.line == line:
                        return block, _Converter(knowledge, candidate, block)
        return None, _Converter(knowledge, ancestors[-1], None)

    def _region(
        self,
        block: Block | None,
        instance: Mapping[str, Any],
        provider: Mapping[str, Any] | None,
        converter: _Converter,
        provider_block: Block | None,
        provider_converter: _Converter,
    ) -> tuple[str | None, str | None]:
        """(region, why it is unknown): the resource's v6 ``region`` argument wins over the provider's."""
        expr = block.attributes.get("region") if block else None
        if "region" in instance or expr is not None:
            value = converter.value(instance.get("region"), expr, "region")
            if isinstance(value, Unresolved):
                return None, value.reason
            if isinstance(value, str):
                return value, None
        if provider is None:
            return None, None
        expr = provider_block.attributes.get("region") if provider_block else None
        if "region" not in provider and expr is None:
            return None, None  # the provider takes it from the environment, as the AWS session does
        value = provider_converter.value(provider.get("region"), expr, "provider region")
        if isinstance(value, Unresolved):
            return None, f"provider region: {value.reason}"
        return (value if isinstance(value, str) else None), None

    def _tags(
        self,
        block: Block | None,
        instance: Mapping[str, Any],
        provider: Mapping[str, Any] | None,
        converter: _Converter,
        provider_block: Block | None = None,
        provider_converter: _Converter | None = None,
    ):
        """tags_all: the provider's default_tags overlaid by the resource's tags (values as strings)."""
        locations: dict[str, Location] = {}
        merged: dict[str, Any] = {}
        default_tags = provider.get("default_tags") if provider else None
        if isinstance(default_tags, list):
            default_tags = default_tags[0] if default_tags else None
        default_block = next(iter(provider_block.nested("default_tags")), None) if provider_block else None
        if isinstance(default_tags, Mapping) or default_block is not None:
            default_tags = default_tags if isinstance(default_tags, Mapping) else {}
            values = default_tags.get("tags")
            meta = default_tags.get("__tfmeta", {})
            where = Location(self._shown(str(meta.get("filename", ""))), meta.get("line_start"))
            expr = default_block.attributes.get("tags") if default_block is not None else None
            if default_block is not None:
                where = Location(default_block.location.file, expr.line if expr else default_block.location.line)
            if "tags" in default_tags or expr is not None:
                values = (provider_converter or converter).value(values, expr, "provider default_tags")
            if isinstance(values, Unresolved) or _looks_unknown(values, converter.knowledge.block_ids):
                reason = values.reason if isinstance(values, Unresolved) else "could not be evaluated"
                return Unresolved(f"provider default_tags: {reason}"), {"tags": where}
            if isinstance(values, Mapping):
                for key, value in values.items():
                    merged[key] = _tf_string(value)
                    locations[f"tags.{key}"] = where
        expr = block.attributes.get("tags") if block else None
        if "tags" in instance or expr is not None:
            own = converter.value(instance.get("tags"), expr, "tags")
            if isinstance(own, Unresolved):
                return own, ({"tags": Location(block.location.file, expr.line)} if block and expr else {})
            if isinstance(own, Mapping):
                merged.update({key: _tf_string(value) for key, value in own.items()})
            if block and expr:
                locations["tags"] = Location(block.location.file, expr.line)
                for key in own or {}:
                    locations[f"tags.{key}"] = Location(block.location.file, expr.line)
        return merged, locations


_PROVIDER_PAIR = re.compile(r'"?(?P<key>[A-Za-z][\w-]*(?:\.[A-Za-z][\w-]*)?)"?\s*[=:]\s*(?P<value>[A-Za-z][\w-]*(?:\.[A-Za-z][\w-]*)?)')


def _arn_region(arn: str | None) -> str | None:
    parts = arn.split(":") if isinstance(arn, str) else []
    return parts[3] if len(parts) > 5 and parts[3] else None


def _provider_for(block: Block | None, scope: Scope, providers: list[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The aws provider configuration a resource uses: its ``provider`` argument, followed up through the
    ``providers`` maps of the module calls above it; a provider block inside a module serves that module."""
    ref = block.attributes["provider"].text.strip() if block is not None and "provider" in block.attributes else "aws"
    current = scope
    while True:
        name, _, alias = ref.partition(".")
        if name != "aws":
            return None
        for provider in providers:
            meta = provider.get("__tfmeta", {})
            path = _INSTANCE_KEY.sub("", str(meta.get("path", "")))
            if meta.get("label") == "aws" and path == f"{current.prefix}provider.aws" and (provider.get("alias") or "") == alias:
                return provider
        if not current.calls:
            return None
        parent, call = current.calls[-1]
        mapping_expr = call.attributes.get("providers")
        if mapping_expr is not None:
            mapping = {m["key"]: m["value"] for m in _PROVIDER_PAIR.finditer(mapping_expr.text)}
            if ref not in mapping:
                return None  # a providers map replaces inheritance: Terraform uses an empty configuration
            ref = mapping[ref]
        elif alias:
            return None  # aliased configurations are never inherited
        current = parent


def _error(address: str, location: Location, message: str) -> DeclaredPipeline:
    return DeclaredPipeline(
        id=address,
        source_kind=TerraformSource.kind,
        name=Unresolved(message),
        location=location,
        fields=freeze({}),
        error=message,
    )
