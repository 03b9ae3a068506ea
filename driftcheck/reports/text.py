"""Plain-text report: a header of counts, one block per problem pipeline, in-sync list, input errors."""

from __future__ import annotations

import json
from typing import Any

import click

from driftcheck.history.changes import ChangeKind, Comparison
from driftcheck.history.render import WIDTH, headline, label_of, status_text, when_text
from driftcheck.model import Difference, Hint, PipelineResult, RunResult, Status
from driftcheck.reports.base import (
    DEFAULT_OPTIONS,
    RenderOptions,
    Renderer,
    STATUS_ORDER,
    dump_value,
    ordered_input_errors,
    ordered_pipelines,
)
from driftcheck.reports.findings import place
from driftcheck.safe_text import one_line

#: Longest rendered value (in characters) before it is cut and ends with "...".
MAX_VALUE_CHARS = 120

_STATUS_COLOR: dict[Status, str] = {
    Status.ERROR: "red",
    Status.MISSING: "magenta",
    Status.DRIFTED: "yellow",
    Status.UNMANAGED: "cyan",
    Status.IN_SYNC: "green",
}
_WORD_WIDTH = max(len(status.value) for status in Status)


def clean(text: str) -> str:
    """One-line, terminal-safe text (see :mod:`driftcheck.safe_text`): names, messages and paths come from
    untrusted accounts and files, so control characters, line breaks, bidi overrides and lone surrogates
    are shown as visible escapes and can never reach the terminal, forge a line or crash the writer.
    """
    return one_line(text)


def compact(value: Any, limit: int = MAX_VALUE_CHARS) -> str:
    """A value as one-line JSON (sorted keys, ASCII), cut to ``limit`` characters."""
    text = dump_value(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class TextRenderer(Renderer):
    """The human summary written to the terminal by default."""

    def render(self, result: RunResult, *, color: bool = False, options: RenderOptions = DEFAULT_OPTIONS) -> str:
        """Return the report; ANSI styling only when ``color`` is true."""
        style = _Styler(color)
        ordered = ordered_pipelines(result.pipelines)
        lines = [self._header(result, style)]
        if result.previous is not None:  # check --previous: what changed since the older report
            lines += ["", *comparison_lines(result.previous)]
        for pipeline in ordered:
            # in sync but partly unchecked (unresolved values) is shown in full too: "in sync" alone would overstate it
            if pipeline.status is not Status.IN_SYNC or pipeline.unresolved or pipeline.ignored:
                lines.append("")
                lines.extend(self._block(pipeline, style))
        in_sync = [p for p in ordered if p.status is Status.IN_SYNC and not p.unresolved and not p.ignored]
        if in_sync:
            names = ", ".join(_label(p) for p in in_sync)
            lines += ["", f"{style.status(Status.IN_SYNC, 'in sync')} ({len(in_sync)}): {names}"]
        if result.input_errors:
            lines += ["", style.heading(f"input errors ({len(result.input_errors)}):")]
            for error in ordered_input_errors(result.input_errors):
                lines.append(f"  {clean(str(error.location))}: {clean(error.message)}")
        if result.notes:
            lines += ["", style.heading(f"notes ({len(result.notes)}):")]
            lines += [f"  {clean(note)}" for note in result.notes]
        return "\n".join(lines) + "\n"

    @staticmethod
    def _header(result: RunResult, style: _Styler) -> str:
        counts = result.summary()
        per_status = ", ".join(
            f"{counts[status.value]} {status.value.replace('_', ' ')}" for status in STATUS_ORDER
        )
        total = _plural(counts["total"], "pipeline")
        errors = _plural(counts["input_errors"], "input error")
        return style.heading(f"driftcheck: {total}: {per_status}; {errors}")

    @staticmethod
    def _block(pipeline: PipelineResult, style: _Styler) -> list[str]:
        word = pipeline.status.value.upper().ljust(_WORD_WIDTH)
        head = [style.status(pipeline.status, word), clean(pipeline.id)]
        if pipeline.name is not None:
            head.append(json.dumps(pipeline.name))
        if place(pipeline):
            head.append(f"[{clean(place(pipeline))}]")
        if pipeline.source is not None:
            head.append(clean(str(pipeline.source)))
        lines = ["  ".join(head)]
        for diff in sorted(pipeline.differences, key=lambda d: d.path):
            lines.append(f"    {_difference(diff)}")
            if diff.hint is not None:
                lines.append(f"      {hint_line(diff.hint)}")
        lines += [f"    ignored: {_difference(d)}; {clean(d.ignored_by or '')}" for d in sorted(pipeline.ignored, key=lambda d: d.path)]
        for field in sorted(pipeline.unresolved, key=lambda u: u.path):
            lines.append(f"    unresolved {clean(field.path)}: {clean(field.reason)}")
        if pipeline.error:
            lines.append(f"    {style.status(Status.ERROR, 'error')}: {clean(pipeline.error)}")
        lines += [f"    note: {clean(note)}" for note in pipeline.notes]
        return lines


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _difference(diff: Difference) -> str:
    line = f"{clean(diff.path)}: {compact(diff.declared)} -> {compact(diff.live)}"
    return f"{line}  ({clean(str(diff.source))})" if diff.source is not None else line


def hint_line(hint: Hint) -> str:
    """``fix: terraform apply sets ...; or accept: status = "DISABLED" at main.tf:44``, terminal-safe
    (a multi-line snippet shows its line breaks as ``\\n``)."""
    where = f" at {hint.at}" if hint.at is not None else ""
    accept = f"or accept: {hint.accept}{where}" if hint.accept is not None else f"no accept snippet: {hint.accept_note}"
    return clean(f"fix: {hint.apply}; {accept}")


def _label(pipeline: PipelineResult) -> str:
    return clean(pipeline.id) + (f" [{clean(place(pipeline))}]" if place(pipeline) else "")


class _Styler:
    """Applies click styles, or nothing when colour is off."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def status(self, status: Status, text: str) -> str:
        return click.style(text, fg=_STATUS_COLOR[status], bold=True) if self.enabled else text

    def heading(self, text: str) -> str:
        return click.style(text, bold=True) if self.enabled else text


def comparison_lines(comparison: Comparison) -> list[str]:
    """The headline, then one line per change (new, resolved, persisting, unchecked), terminal-safe."""
    lines = [clean(headline(comparison))]
    for change in comparison.changes:
        what = f"{clean(change.path)}: {compact(change.declared)} -> {compact(change.live)}" if change.path is not None else clean(status_text(change))
        parts = [change.change.value.upper().ljust(WIDTH), clean(label_of(change)), what]
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
