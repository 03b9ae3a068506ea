"""Declared-pipeline sources: the one registry of what driftcheck can read.

Each :class:`SourceKind` maps to a source class with ``kind`` and ``collect(...) -> SourceResult``.
:func:`discover` decides, from the paths on the command line, which source reads what:

* a directory with ``*.tf`` files, or a ``.tf`` file, is Terraform;
* a YAML or JSON file (``.yaml``, ``.yml``, ``.json``, ``.template``; in a directory: those at its top
  level) is loaded once and recognised by its *content*: a CloudFormation template, or a driftcheck
  pipeline file. Anything else in a directory (state files, tfvars.json, CI configs) is skipped with a
  note (``-v``); a file named explicitly that is neither is an input error.

Only regular files are opened (:mod:`driftcheck.sources.files`): a FIFO, device, socket or symlink loop
named on the command line, or given as ``--var-file``, is an input error; in a scanned directory it is
skipped with a note (``-v``) and never opened. YAML/JSON files are read with the cap of
:data:`MAX_FILE_BYTES`, ``--var-file`` files with :data:`MAX_VAR_FILE_BYTES`. A source that fails
unexpectedly (a bug) is one input error; the other sources are still read.

A file reached twice (a directory and a file in it, ``../`` paths, symlinks) is read once. ``--stack`` is
read through :attr:`SourceOptions.stacks` only once discovery has found a template: no CloudFormation
call is made for a run that has nothing for it to resolve; ``--stack`` or a CloudFormation parameter
``--var-file`` with no template among the paths is an input error, never silently unused.
"""

from __future__ import annotations

import enum
import errno
import logging
import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, assert_never

from driftcheck.errors import SourceError
from driftcheck.model import InputError, Location
from driftcheck.sources import files
from driftcheck.sources.base import SourceResult, same_file
from driftcheck.sources.cloudformation import CloudFormationOptions, CloudFormationSource, StackBinding, is_template
from driftcheck.sources.pipeline_file import PipelineFileSource, is_pipeline_file
from driftcheck.sources.terraform import TerraformOptions
from driftcheck.sources.terraform.options import AUTO_VAR_FILES, AUTO_VAR_SUFFIXES, read_by_terraform
from driftcheck.sources.terraform.source import TerraformSource
from driftcheck.sources.yaml_tree import MAX_FILE_BYTES, Document, load_text

__all__ = ["MAX_FILE_BYTES", "MAX_VAR_FILE_BYTES", "TFVARS_SUFFIXES", "SourceKind", "SourceOptions", "collect", "discover"]

log = logging.getLogger(__name__)

DOCUMENT_SUFFIXES = (".yaml", ".yml", ".json", ".template")
#: Largest --var-file (tfvars or CloudFormation parameter file) read, in bytes: the YAML/JSON cap.
MAX_VAR_FILE_BYTES = MAX_FILE_BYTES
# Words that only a template or a driftcheck file would hold: a broken file that has them is reported,
# a broken file without them (someone else's YAML in the same directory) is skipped.
_OURS = ("AWSTemplateFormatVersion", "AWS::", "driftcheck:", '"driftcheck"')


class SourceKind(str, enum.Enum):
    """Every kind of declaration driftcheck reads."""

    TERRAFORM = "terraform"
    CLOUDFORMATION = "cloudformation"
    PIPELINE_FILE = "driftcheck"

    def source(self, options: "SourceOptions") -> Any:
        """The source object for this kind."""
        if self is SourceKind.TERRAFORM:
            return TerraformSource(options.terraform)
        if self is SourceKind.CLOUDFORMATION:
            return CloudFormationSource(options.cloudformation)
        if self is SourceKind.PIPELINE_FILE:
            return PipelineFileSource()
        assert_never(self)


@dataclass(frozen=True)
class SourceOptions:
    """Options for every source, as the command line gives them."""

    terraform: TerraformOptions = field(default_factory=TerraformOptions)
    cloudformation: CloudFormationOptions = field(default_factory=CloudFormationOptions)
    # --stack, read lazily: called (once) only when a CloudFormation template is among the paths
    stacks: Callable[[], tuple[StackBinding, ...]] | None = None
    # input errors met reading the options themselves (a malformed --state), reported with the sources'
    errors: tuple[InputError, ...] = ()


@dataclass(frozen=True)
class Discovery:
    """What each source will read (Terraform paths; loaded documents), and the input errors met."""

    inputs: dict[SourceKind, list[Any]]
    errors: tuple[InputError, ...]


def _mentions_ours(path: Path, shown: str) -> bool:
    try:
        head = files.read_prefix(path, shown, size=1 << 20, what="file").decode("utf-8", errors="replace")
    except SourceError:
        return True
    return any(word in head for word in _OURS)


def _classify(path: Path, shown: str, explicit: bool) -> tuple[SourceKind | None, Document | None, InputError | None]:
    """Load a YAML/JSON file and say what it is. Unrelated files in a directory are skipped (None, None, None)."""
    try:
        document = load_text(files.read_text(path, shown, limit=MAX_FILE_BYTES, what="file"), shown)
    except SourceError as exc:  # DocumentError, or files refusing a non-regular, unreadable or too large file
        log.debug("%s: %s", exc.location or shown, exc.message, exc_info=True)  # --debug: the traceback
        if explicit or _mentions_ours(path, shown):
            return None, None, InputError(exc.location or Location(shown), exc.message)
        log.info("%s: skipped: not a template or driftcheck file (%s)", exc.location or shown, exc.message)
        return None, None, None
    if is_pipeline_file(document.root):
        return SourceKind.PIPELINE_FILE, document, None
    if is_template(document.root):
        return SourceKind.CLOUDFORMATION, document, None
    why = "not a CloudFormation template (no AWSTemplateFormatVersion, no Resources with AWS:: types) nor a driftcheck pipeline file (no `driftcheck: pipelines/v1`)"
    if document.unknown_tags:
        tag, line = document.unknown_tags[0]
        why += f"; it uses another tool's YAML tag {tag} (line {line})"
    if explicit:
        return None, None, InputError(Location(shown), why)
    log.info("%s: skipped: %s", shown, why)
    return None, None, None


_STATE_SUFFIXES = (".tfstate", ".tfstate.json", ".tfstate.backup")
TFVARS_SUFFIXES = (".tfvars", ".tfvars.json")  # --var-file: these go to Terraform, any other file to templates


def _is_document(path: Path) -> bool:
    name = path.name
    return path.suffix in DOCUMENT_SUFFIXES and not name.endswith(TFVARS_SUFFIXES) and not name.endswith(_STATE_SUFFIXES)


def _terraform_side_file(path: Path) -> str | None:
    """What a Terraform state or variable file is and how to use it; None for any other file."""
    name = path.name
    if name.endswith(_STATE_SUFFIXES):
        return "a Terraform state file, not a declaration: pass it with --state"
    if name.endswith(TFVARS_SUFFIXES):
        return "a Terraform variable file, not a declaration: pass it with --var-file"
    return None


def _terraform_file_skipped(path: Path, terraform_dir: bool) -> str | None:
    """Why a Terraform state or variable file in a directory is not read, or None (it is, or it is not one)."""
    name = path.name
    if terraform_dir and (name in AUTO_VAR_FILES or name.endswith(AUTO_VAR_SUFFIXES)):
        return None  # Terraform loads it itself
    return _terraform_side_file(path)


def _stat_problem(shown: str) -> str | None:
    """Why a path named on the command line cannot be read at all (missing, symlink loop...), or None."""
    try:
        os.stat(shown)
    except ValueError:
        return "the name holds a NUL character"
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "symlink loop (too many levels of symbolic links)"
        if exc.errno in (errno.ENOENT, errno.ENOTDIR):
            return "no such file or directory"
        return f"cannot read: {exc.strerror or exc}"
    return None


def _kind_of(path: Path) -> str:
    try:
        return files.describe_kind(os.stat(path).st_mode)
    except (OSError, ValueError):
        return "unreadable (a broken link or symlink loop)"


def _entries(directory: Path, shown: str) -> tuple[list[Path], list[Path]]:
    """A directory's top-level regular files and its other entries (FIFOs, devices, sockets, loops), sorted.

    Subdirectories are neither: they are not scanned (modules are Terraform's business).
    """
    regular: list[Path] = []
    other: list[Path] = []
    try:
        children = sorted(directory.iterdir())
    except OSError as exc:
        log.info("%s: cannot list: %s", shown, exc.strerror or exc)
        return [], []
    for child in children:
        if files.is_regular(child):
            regular.append(child)
            continue
        try:
            if stat.S_ISDIR(os.stat(child).st_mode):
                continue
        except (OSError, ValueError):
            pass
        other.append(child)
    return regular, other


def discover(paths: Iterable[str]) -> Discovery:
    """Sort the command line's paths by source; a path nothing reads is an input error (the rest still count)."""
    inputs: dict[SourceKind, list[Any]] = {}
    errors: list[InputError] = []
    read: set[str] = set()  # YAML/JSON files already read or reported: a file reached twice counts once

    def add(kind: SourceKind, item: Any) -> None:
        inputs.setdefault(kind, []).append(item)

    def classify(path: Path, shown: str, explicit: bool) -> bool:
        """Classify one file unless already done; True when it is ours (read, or reported as an input error)."""
        key = same_file(path)
        if key in read:
            return True
        kind, document, error = _classify(path, shown, explicit)
        if error is not None:
            errors.append(error)
        elif kind is not None:
            add(kind, document)
        else:
            return False
        read.add(key)
        return True

    for shown in paths:
        path = Path(shown)
        problem = _stat_problem(shown)
        if problem is not None:
            errors.append(InputError(Location(shown), problem))
            continue
        if path.is_dir():
            regular, other = _entries(path, shown)
            for child in other:
                log.info("%s: skipped: %s, not a regular file; not opened", Path(shown) / child.name, _kind_of(child))
            odd_tf = [child for child in other if read_by_terraform(child.name)]
            found = terraform_dir = any(child.name.endswith((".tf", ".tf.json")) for child in regular)
            if odd_tf and (terraform_dir or any(child.name.endswith((".tf", ".tf.json")) for child in odd_tf)):
                # Terraform reads a module's directory whole, so a FIFO there would block it: the module is not read.
                errors.extend(
                    InputError(
                        Location(str(Path(shown) / child.name)),
                        f"{_kind_of(child)}, not a regular file: the Terraform module in {shown} is not read",
                    )
                    for child in odd_tf
                )
                found, terraform_dir = True, False
            elif terraform_dir:
                add(SourceKind.TERRAFORM, shown)
            for child in regular:
                why = _terraform_file_skipped(child, terraform_dir)
                if why is not None:
                    log.info("%s: skipped: %s", Path(shown) / child.name, why)
            for child in (p for p in regular if _is_document(p) and not p.name.endswith(".tf.json")):
                found = classify(child, str(Path(shown) / child.name), explicit=False) or found
            if not found:
                errors.append(InputError(Location(shown), "nothing to check here: no .tf files, CloudFormation templates or driftcheck pipeline files"))
            continue
        if not files.is_regular(path):
            errors.append(InputError(Location(shown), f"cannot read file: it is {_kind_of(path)}, not a regular file"))
            continue
        if path.suffix == ".tf":
            add(SourceKind.TERRAFORM, shown)
            continue
        side = _terraform_side_file(path)
        if side is not None:
            errors.append(InputError(Location(shown), side))
            continue
        classify(path, shown, explicit=True)
    return Discovery(inputs, tuple(errors))


def _readable_var_files(var_files: tuple[Path, ...], what: str, errors: list[InputError]) -> tuple[Path, ...]:
    """The --var-files that are regular files within MAX_VAR_FILE_BYTES; each other one is an input error.

    Checked here, before any source (or tfparse) opens them, so a FIFO or device never blocks the run.
    """
    kept = []
    for path in var_files:
        try:
            info = os.stat(path)
        except (OSError, ValueError):
            problem: str | None = f"cannot read {what}: {_stat_problem(str(path)) or 'cannot read'}"
        else:
            problem = None
            if not stat.S_ISREG(info.st_mode):
                problem = f"cannot read {what}: it is {files.describe_kind(info.st_mode)}, not a regular file"
            elif info.st_size > MAX_VAR_FILE_BYTES:
                problem = f"{what} is larger than {MAX_VAR_FILE_BYTES} bytes; refusing to read it"
        if problem is None:
            kept.append(path)
        else:
            errors.append(InputError(Location(str(path)), problem))
    return tuple(kept)


def _checked_var_files(options: SourceOptions, errors: list[InputError]) -> SourceOptions:
    terraform_files = _readable_var_files(options.terraform.var_files, "variable file", errors)
    parameter_files = _readable_var_files(options.cloudformation.parameter_files, "parameter file", errors)
    return replace(
        options,
        terraform=replace(options.terraform, var_files=terraform_files),
        cloudformation=replace(options.cloudformation, parameter_files=parameter_files),
    )


def _collect_kind(kind: SourceKind, options: SourceOptions, items: list[Any]) -> SourceResult:
    """One source's result; a source that fails unexpectedly (a bug) is one input error, not the end of the run."""
    try:
        result: SourceResult = kind.source(options).collect(items)
        return result
    except Exception as exc:  # noqa: BLE001 - every other source must still be read and reported
        log.debug("the %s source failed", kind.value, exc_info=True)
        first = items[0]
        where = first if isinstance(first, str) else getattr(first, "file", str(first))
        message = " ".join(f"{type(exc).__name__}: {exc}".split())
        return SourceResult(errors=(InputError(
            Location(str(where)),
            f"internal error reading {kind.value} sources ({message}); run with --debug for details",
        ),))


def collect(paths: Iterable[str], options: SourceOptions) -> SourceResult:
    """Read every path with its source: declared pipelines of every kind, in one result."""
    discovery = discover(paths)
    pipelines = []
    errors = [*options.errors, *discovery.errors]
    options = _checked_var_files(options, errors)
    templates = bool(discovery.inputs.get(SourceKind.CLOUDFORMATION))
    if (options.stacks is not None or options.cloudformation.stacks) and not templates:
        errors.append(InputError(Location("--stack"), "--stack was given, but no CloudFormation template is among the paths"))
    elif options.stacks is not None:
        stacks = options.cloudformation.stacks + tuple(options.stacks())
        options = replace(options, cloudformation=replace(options.cloudformation, stacks=stacks))
    if not templates:
        # never silently unused: Terraform only takes .tfvars / .tfvars.json, everything else is for templates
        for parameter_file in options.cloudformation.parameter_files:
            errors.append(InputError(
                Location(str(parameter_file)),
                "--var-file: not a .tfvars or .tfvars.json file, so it is read as CloudFormation parameters, "
                "but no CloudFormation template is among the paths",
            ))
    if templates:
        # a --var may be a template parameter: Terraform refuses only a --var that nothing in the run declares
        parameters = frozenset(
            name
            for document in discovery.inputs[SourceKind.CLOUDFORMATION]
            if getattr(document, "root", None) is not None and document.root.get("Parameters") is not None and document.root.get("Parameters").is_mapping()
            for name in document.root.get("Parameters").value
        )
        options = replace(options, terraform=replace(options.terraform, foreign_variables=parameters))
    for kind in SourceKind:
        items = discovery.inputs.get(kind)
        if not items:
            continue
        result = _collect_kind(kind, options, items)
        pipelines.extend(result.pipelines)
        errors.extend(result.errors)
    return SourceResult(tuple(pipelines), tuple(errors))
