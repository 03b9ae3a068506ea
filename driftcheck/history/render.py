"""The words every report uses for a comparison (:mod:`driftcheck.history.changes`): its headline, a change's
pipeline label, status text and date. Plain and unescaped: each report escapes them its own way (the text
section is :func:`driftcheck.reports.text.comparison_lines`, the Markdown one
:func:`driftcheck.reports.markdown.comparison_section`, the HTML one :mod:`driftcheck.reports.html_history`).
"""

from __future__ import annotations

from driftcheck.history.changes import Change, ChangeKind, Comparison
from driftcheck.model import Status
from driftcheck.reports.base import iso_utc

WIDTH = max(len(kind.value) for kind in ChangeKind)   # the change column of the text section


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def headline(comparison: Comparison) -> str:
    """``2 new drifts since 2026-11-30T02:00:00Z (old.json): 1 resolved, 3 persisting`` (plain, unescaped)."""
    counts = comparison.counts()
    rest = [f"{counts['resolved']} resolved", f"{counts['persisting']} persisting"]
    if counts["unchecked"]:
        rest.append(f"{counts['unchecked']} unchecked")
    return (f"{plural(counts['new'], 'new drift')} since {iso_utc(comparison.previous_generated_at)}"
            f" ({comparison.previous_file}): {', '.join(rest)}")


def status_text(change: Change) -> str:
    if change.status is Status.ERROR:
        return f"error: {change.detail or 'could not be checked'}" if change.change is not ChangeKind.UNCHECKED else "error"
    return {Status.MISSING: "missing (declared, not found live)", Status.UNMANAGED: "unmanaged (live, not declared)"}.get(change.status, change.status.value)


def when_text(change: Change) -> str:
    if change.change is ChangeKind.PERSISTING:
        return f"since {iso_utc(change.since)}"
    if change.change in (ChangeKind.RESOLVED, ChangeKind.UNCHECKED):
        return f"first seen {iso_utc(change.since)}"
    return ""


def label_of(change: Change) -> str:
    """``id [account/region]`` of a change's pipeline (plain, unescaped)."""
    where = "/".join(part for part in (change.account, change.region) if part)
    return change.id + (f" [{where}]" if where else "")


__all__ = ["WIDTH", "headline", "label_of", "plural", "status_text", "when_text"]
