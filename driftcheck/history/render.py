"""A comparison (:mod:`driftcheck.history.changes`) as text and Markdown: the ``compare`` command's output and
the "changes since" section of ``check --previous``'s text and Markdown reports.

Every value comes from reports other people's accounts and files filled, so text goes through the text
report's escaping (:func:`driftcheck.reports.text.clean`) and Markdown through the Markdown report's
(:func:`driftcheck.reports.markdown.md_code`): nothing can forge a line, break a table or inject HTML.
"""

from __future__ import annotations

from driftcheck.history.changes import Change, ChangeKind, Comparison
from driftcheck.model import Status
from driftcheck.reports.base import iso_utc

#: Most change rows in a Markdown table, and most characters of the section (the JSON output has them all).
MAX_MARKDOWN_ROWS = 100
MAX_MARKDOWN_CHARS = 20_000
_WIDTH = max(len(kind.value) for kind in ChangeKind)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def headline(comparison: Comparison) -> str:
    """``2 new drifts since 2026-11-30T02:00:00Z (old.json): 1 resolved, 3 persisting`` (plain, unescaped)."""
    counts = comparison.counts()
    rest = [f"{counts['resolved']} resolved", f"{counts['persisting']} persisting"]
    if counts["unchecked"]:
        rest.append(f"{counts['unchecked']} unchecked")
    return (f"{_plural(counts['new'], 'new drift')} since {iso_utc(comparison.previous_generated_at)}"
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


def text_lines(comparison: Comparison) -> list[str]:
    """The headline, then one line per change (new, resolved, persisting, unchecked), terminal-safe."""
    from driftcheck.reports.text import clean, compact

    lines = [clean(headline(comparison))]
    for change in comparison.changes:
        what = f"{clean(change.path)}: {compact(change.declared)} -> {compact(change.live)}" if change.path is not None else clean(status_text(change))
        parts = [change.change.value.upper().ljust(_WIDTH), clean(label_of(change)), what]
        if change.source is not None:
            parts.append(f"({clean(str(change.source))})")
        when = when_text(change)
        if when:
            parts.append(when)
        if change.was is not None:
            parts.append(f"(was {compact(change.was[0])} -> {compact(change.was[1])})")
        if change.change is ChangeKind.UNCHECKED and change.detail:
            parts.append(f"({clean(change.detail)})")
        lines.append("  " + "  ".join(parts))
    return lines


def label_of(change: Change) -> str:
    """``id [account/region]`` of a change's pipeline (plain, unescaped)."""
    where = "/".join(part for part in (change.account, change.region) if part)
    return change.id + (f" [{where}]" if where else "")


def markdown_section(comparison: Comparison, *, heading: str = "###") -> str:
    """The comparison as a Markdown section: the headline, then a table of changes (at most MAX_MARKDOWN_ROWS)."""
    from driftcheck.reports.markdown import md_code

    counts = comparison.counts()
    lines = [
        f"{heading} Changes since {md_code(iso_utc(comparison.previous_generated_at))}",
        "",
        f"**{_plural(counts['new'], 'new drift')}** since {md_code(iso_utc(comparison.previous_generated_at))}"
        f" ({md_code(comparison.previous_file)}): {counts['resolved']} resolved, {counts['persisting']} persisting"
        + (f", {counts['unchecked']} unchecked" if counts["unchecked"] else "") + ".",
    ]
    if comparison.changes:
        lines += ["", "| Change | Pipeline | Path | Declared | Live | Since |", "|---|---|---|---|---|---|"]
        budget, shown = MAX_MARKDOWN_CHARS - sum(len(line) + 1 for line in lines), 0
        for change in comparison.changes[:MAX_MARKDOWN_ROWS]:
            row = _markdown_row(change)
            if len(row) + 1 > budget:
                break
            lines.append(row)
            budget -= len(row) + 1
            shown += 1
        if shown < len(comparison.changes):
            lines += ["", f"... and {len(comparison.changes) - shown} more changes (see the JSON report)."]
    return "\n".join(lines) + "\n"


def _markdown_row(change: Change) -> str:
    from driftcheck.reports.findings import short_value
    from driftcheck.reports.markdown import md_code, md_text

    if change.path is None:
        cells = [md_text(status_text(change)), "", ""]
    else:
        cells = [md_code(change.path), md_code(short_value(change.declared, 200)), md_code(short_value(change.live, 200))]
    since = md_code(iso_utc(change.since)) if change.change is not ChangeKind.NEW else ""
    if change.was is not None:
        since += f" (was {md_code(short_value(change.was[0], 200))} &#8594; {md_code(short_value(change.was[1], 200))})"
    elif change.change is ChangeKind.UNCHECKED and change.detail:
        since += f" ({md_text(change.detail)})"
    return f"| {change.change.value} | {md_code(label_of(change))} | " + " | ".join(cells) + f" | {since} |"


__all__ = ["MAX_MARKDOWN_CHARS", "MAX_MARKDOWN_ROWS", "headline", "label_of", "markdown_section", "text_lines"]
