"""A quick estimate of how many pipelines a run's Terraform declares, before anything is parsed.

Only for timing: a run that declares more than ``NAME_FILTER_LIMIT`` pipelines by name in its region reads
that region's complete listing (see :mod:`driftcheck.live.aws_reader`), so the command line starts it while
the declarations are parsed. What is checked never depends on this count: a wrong guess costs the
listing's pages (pipelines a provider puts in another region), or the time it would have saved.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from driftcheck.errors import SourceError
from driftcheck.sources import files
from driftcheck.sources.terraform.options import PIPELINE_HEADER
from driftcheck.sources.terraform.syntax import MAX_TF_BYTES


def declared_pipelines(paths: Iterable[str]) -> int:
    """Pipeline resource blocks in the ``.tf`` files of these paths (a directory's own files, not its modules).

    A block counts once even with ``count`` or ``for_each`` (its instances are unknown before evaluation), so
    the estimate is at most the number of pipelines declared by name: a listing started on it is one the
    reader would read anyway, in a one-region run. Never raises, never blocks (a FIFO is not opened)."""
    total = 0
    for shown in paths:
        path = Path(shown)
        try:
            candidates = sorted(path.glob("*.tf")) if path.is_dir() else [path] if path.suffix == ".tf" else []
        except OSError:
            continue
        for candidate in candidates:
            if not files.is_regular(candidate):
                continue
            try:
                text = files.read_prefix(candidate, str(candidate), size=MAX_TF_BYTES, what="Terraform file")
            except SourceError:
                continue
            total += len(PIPELINE_HEADER.findall(text.decode("utf-8", errors="replace")))
    return total
