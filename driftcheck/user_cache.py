"""driftcheck's cache directory, for data derived from inputs that only saves time.

``$DRIFTCHECK_CACHE_DIR``, else ``$XDG_CACHE_HOME/driftcheck``, else ``~/.cache/driftcheck``;
``DRIFTCHECK_CACHE_DIR=off`` turns caching off. What lives there (syntax indexes keyed by a file's
content, as JSON: nothing in it can run code) is checked before it is used and rebuilt when it does not
fit, so deleting the directory, or a directory that cannot be written, only costs time.
"""

from __future__ import annotations

import os
from pathlib import Path

OFF = {"off", "0", "no", "false", "none"}


def folder(part: str = "") -> Path | None:
    """The cache directory (or a folder in it), created if need be; None when caching is off or it cannot be written."""
    chosen = os.environ.get("DRIFTCHECK_CACHE_DIR")
    if chosen is not None and chosen.strip().lower() in OFF | {""}:
        return None
    if chosen:
        base = Path(chosen)
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "driftcheck"
    target = base / part if part else base
    try:
        target.mkdir(mode=0o700, parents=True, exist_ok=True)
    except (OSError, RuntimeError):  # RuntimeError: no home directory to expand
        return None
    return target if os.access(target, os.W_OK | os.X_OK) else None
