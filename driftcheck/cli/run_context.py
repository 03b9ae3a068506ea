"""The run's context for the reports: the command line with secrets masked, inputs, accounts, regions.

A value given to ``--var``, ``--export`` or ``--external-id`` may be a secret: it is shown as ``***``
(for ``NAME=VALUE`` options, ``NAME=***``). A URL's user and password are masked the same way.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

from driftcheck.model import RunContext, RunResult

MASKED = "***"
_PAIR_OPTIONS = ("--var", "--export")           # NAME=VALUE: the name stays, the value is masked
_VALUE_OPTIONS = ("--external-id",)             # the whole value is masked
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/@\s]*@")


def _mask_pair(value: str) -> str:
    name, sep, _ = value.partition("=")
    return f"{name}={MASKED}" if sep else MASKED


def masked_command(argv: Sequence[str]) -> tuple[str, ...]:
    """``argv`` as typed, with every secret-bearing value replaced by ``***``."""
    out: list[str] = []
    pending: str | None = None
    for arg in argv:
        if pending is not None:
            out.append(_mask_pair(arg) if pending in _PAIR_OPTIONS else MASKED)
            pending = None
            continue
        option, sep, value = arg.partition("=")
        if option in _PAIR_OPTIONS + _VALUE_OPTIONS:
            if sep:
                out.append(f"{option}={_mask_pair(value) if option in _PAIR_OPTIONS else MASKED}")
            else:
                out.append(arg)
                pending = option
            continue
        out.append(_URL_CREDENTIALS.sub(lambda m: f"{m.group(1)}{MASKED}@", arg))
    return ("driftcheck", *out)


def run_context(result: RunResult, *, argv: Sequence[str], live_dir: Path | None, inputs: Iterable[str],
                regions: Iterable[str | None], exit_code: int, started_at: datetime, duration: float,
                accounts: Iterable[str] = ()) -> RunContext:
    """The context of a finished run: where live state came from, what was read (``accounts``: the reader's,
    besides those the pipelines name), how it ended."""
    accounts = sorted({p.account for p in result.pipelines if p.account} | set(accounts))
    seen_regions = {r for r in regions if r} | {p.region for p in result.pipelines if p.region}
    return RunContext(
        command=masked_command(argv),
        live_source="offline" if live_dir is not None else "aws",
        live_dir=str(live_dir) if live_dir is not None else None,
        accounts=tuple(accounts),
        regions=tuple(sorted(seen_regions)),
        inputs=tuple(dict.fromkeys(inputs)),
        exit_code=exit_code,
        duration_seconds=max(0.0, duration),
        started_at=started_at,
    )
