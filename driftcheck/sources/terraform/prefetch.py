"""The root's evaluation started before it is asked for: tfparse's child runs while everything else starts.

Evaluating a root takes tfparse about half a second a thousand pipelines, most of a run, and it depends only on
the root's files and the variables given. So a root that needs no working copy and no variables known later is
handed to the evaluator's child (tfparse_process.prefetch) as early as possible: by the command line before it
imports the rest of driftcheck, and again by the Terraform source (a no-op when already started). The evaluation
asked for later uses that child only if its request is exactly the same one; otherwise the child is stopped.

This module imports nothing heavy: the command line starts the child before the other stages are imported.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from driftcheck.sources import files
from driftcheck.sources.terraform.options import TerraformOptions, auto_var_files, read_by_terraform
from driftcheck.sources.terraform.tfparse_process import prefetch

_NEEDS_A_COPY = re.compile(r"^\s*(?:count|for_each|module|dynamic|validation)\b", re.MULTILINE)


def tfparse_kwargs(options: TerraformOptions, var_files: list[Path], tf_root: Path) -> dict[str, Any]:
    """tfparse.load_from_path's arguments for a root (variable files relative to it, as tfparse wants them)."""
    return dict(allow_downloads=False, workspace_name=options.workspace, vars_paths=[os.path.relpath(v, tf_root) for v in var_files])


def _plain_root(root: Path) -> bool:
    """Every file Terraform reads in the root is a regular file of at most 2 MiB (a FIFO would block the evaluator),
    and no .tf file needs a working copy (count, for_each, module, dynamic or validation at the start of a line)."""
    try:
        for entry in root.iterdir():
            name = entry.name
            if not read_by_terraform(name):
                continue
            if not files.is_regular(entry) or entry.stat().st_size > 2 * 1024 * 1024:
                return False
            if name.endswith(".tf") and _NEEDS_A_COPY.search(entry.read_text(encoding="utf-8", errors="replace")):
                return False
    except OSError:
        return False
    return True


def start_early(root: Path, options: TerraformOptions) -> None:
    """Start the evaluation of the root as it is, when the root looks like one that needs no working copy and no
    variables only known later (no ``--var``, no ``TF_VAR_`` variable, no installed modules)."""
    if options.variables or any(k.startswith("TF_VAR_") for k in os.environ) or (root / ".terraform" / "modules").exists():
        return
    if not root.is_dir() or not _plain_root(root):
        return
    var_files = [Path(os.path.abspath(p)) for p in [*auto_var_files(root), *options.var_files]]
    prefetch(str(root), stop_on_hcl_error=True, **tfparse_kwargs(options, var_files, root))
