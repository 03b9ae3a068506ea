"""Markdown report, for pull-request comments and GitHub job summaries (GitHub-flavoured Markdown).

A summary table of counts per status, then one collapsed ``<details>`` block per pipeline needing
attention with its differences as a table (ignored ones in a table of their own), input errors, and
the in-sync pipelines. Every value from files and accounts is shown inside ``<code>`` with every
Markdown and HTML special character written as a numeric character reference, so no value can break a
table, start a list, link, mention (``@team``), or inject HTML. The document stays under
:data:`MAX_CHARS` (GitHub's limit for a comment): past it, the summary and the most severe pipelines
are kept and the report says how many were left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from driftcheck.history.changes import Change, ChangeKind, Comparison
from driftcheck.history.render import label_of, plural, status_text
from driftcheck.model import Difference, Hint, Location, PipelineResult, RunResult, Status
from driftcheck.reports.base import DEFAULT_OPTIONS, STATUS_ORDER, Renderer, RenderOptions, iso_utc, ordered_input_errors, ordered_pipelines
from driftcheck.reports.findings import findings, place, short_value
from driftcheck.safe_text import one_line
from driftcheck.severity import SEVERITIES, worst

#: GitHub's limit on a comment body is 65,536 characters; stay below it.
MAX_CHARS = 65_000
#: Longest value shown in a cell before it is cut and ends with "...".
MAX_CELL_CHARS = 200
#: Most differences shown per pipeline.
MAX_ROWS = 100

_SPECIAL = re.compile(r"[&<>\"'`|\\*_\[\](){}#~!@$]")
_WORDS = {
    Status.ERROR: "ERROR",
    Status.MISSING: "MISSING",
    Status.DRIFTED: "DRIFTED",
    Status.UNMANAGED: "UNMANAGED",
    Status.IN_SYNC: "IN SYNC",
}


def md_text(text: object) -> str:
    """``text`` made one safe line (:mod:`driftcheck.safe_text`), every Markdown/HTML special character a ``&#NN;``."""
    return _SPECIAL.sub(lambda m: f"&#{ord(m.group())};", one_line(text))


def md_code(text: object) -> str:
    """A value as inline ``<code>``: no link, mention or emphasis is made inside it."""
    return f"<code>{md_text(text)}</code>"


def _value(value: object) -> str:
    return md_code(short_value(value, MAX_CELL_CHARS))


def _where(location: Location | None) -> str:
    return md_code(str(location)) if location is not None else ""


class MarkdownRenderer(Renderer):
    """Renders :func:`build_markdown`; ``color`` is ignored."""

    def render(self, result: RunResult, *, color: bool = False, options: RenderOptions = DEFAULT_OPTIONS) -> str:
        """Return the Markdown report (at most :data:`MAX_CHARS` characters)."""
        return build_markdown(result)


def _summary(result: RunResult) -> str:
    counts = result.summary()
    attention = sum(counts[s.value] for s in STATUS_ORDER if s is not Status.IN_SYNC)
    lines = [
        f"## driftcheck: {attention} of {counts['total']} pipelines need attention",
        "",
        "| Status | Pipelines |",
        "|---|---:|",
    ]
    lines += [f"| {status.value.replace('_', ' ')} | {counts[status.value]} |" for status in STATUS_ORDER]
    lines += [f"| input errors | {counts['input_errors']} |", f"| **total** | {counts['total']} |"]
    return "\n".join(lines) + "\n"


def _difference_rows(differences: Iterable[Difference], *, rule: bool) -> list[str]:
    rows = []
    for diff in sorted(differences, key=lambda d: d.path):
        cells = [md_code(diff.path), _value(diff.declared), _value(diff.live), _where(diff.source)]
        if rule:
            cells.append(md_code(diff.ignored_by or ""))
        else:
            cells.append(_hint(diff.hint))
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def _snippet(text: str) -> str:
    """A (possibly multi-line) snippet as inline code, its lines joined by ``<br>``, indentation kept."""
    lines = []
    for line in text.split("\n"):
        stripped = line.lstrip(" ")
        lines.append("&#160;" * (len(line) - len(stripped)) + md_text(stripped))
    return "<code>" + "<br>".join(lines) + "</code>"


def _hint(hint: Hint | None) -> str:
    """The Fix cell: what re-applying does, then the snippet that accepts the live value (or why there is none)."""
    if hint is None:
        return ""
    text = md_text(hint.apply)
    if hint.accept is not None:
        return f"{text}; or accept in {md_text(hint.language)}: {_snippet(hint.accept)}"
    return f"{text}; no accept snippet: {md_text(hint.accept_note or '')}"


def _table(differences: tuple[Difference, ...], *, rule: bool) -> list[str]:
    head = "| Path | Declared | Live | Declared at |" + (" Rule |" if rule else " Fix |")
    rows = _difference_rows(differences, rule=rule)
    lines = [head, "|---|---|---|---|---|", *rows[:MAX_ROWS]]
    if len(rows) > MAX_ROWS:
        lines += ["", f"... and {len(rows) - MAX_ROWS} more (see the JSON report)."]
    return lines


def _block(pipeline: PipelineResult) -> str:
    head = [f"<b>{_WORDS[pipeline.status]}</b>", md_code(pipeline.id)]
    if pipeline.name is not None and pipeline.name != pipeline.id:
        head.append(md_text(f'"{pipeline.name}"'))
    if place(pipeline):
        head.append(md_text(f"[{place(pipeline)}]"))
    if pipeline.source is not None:
        head.append(_where(pipeline.source))
    if pipeline.differences:
        count = len(pipeline.differences)
        head.append(f"&#8212; {count} difference{'s' if count != 1 else ''}")
    lines = ["<details><summary>" + " ".join(head) + "</summary>", ""]
    if pipeline.error:
        lines += [f"Could not be checked: {md_code(pipeline.error)}", ""]
    if pipeline.status is Status.MISSING:
        lines += ["Declared but not found live.", ""]
    if pipeline.status is Status.UNMANAGED:
        lines += [f"Live pipeline {md_code(pipeline.arn or pipeline.id)} that nothing declares.", ""]
    if pipeline.differences:
        lines += [*_table(pipeline.differences, rule=False), ""]
    if pipeline.ignored:
        lines += ["Ignored (never drift):", "", *_table(pipeline.ignored, rule=True), ""]
    if pipeline.unresolved:
        lines += ["Unresolved (not compared):", ""]
        lines += [f"- {md_code(u.path)}: {md_text(u.reason)}" for u in sorted(pipeline.unresolved, key=lambda u: u.path)]
        lines.append("")
    if pipeline.notes:
        lines += [f"- note: {md_text(note)}" for note in pipeline.notes]
        lines.append("")
    lines.append("</details>")
    return "\n".join(lines) + "\n"


def _in_sync(pipelines: list[PipelineResult]) -> str:
    lines = [f"<details><summary>In sync ({len(pipelines)})</summary>", ""]
    for pipeline in pipelines:
        extra = []
        if pipeline.ignored:
            extra.append(f"{len(pipeline.ignored)} ignored")
        if pipeline.unresolved:
            extra.append(f"{len(pipeline.unresolved)} unresolved")
        region = f" {md_text(f'[{place(pipeline)}]')}" if place(pipeline) else ""
        lines.append(f"- {md_code(pipeline.id)}{region}" + (f" ({', '.join(extra)})" if extra else ""))
    lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def _input_errors(result: RunResult) -> str:
    lines = ["### Input errors", ""]
    lines += [f"- {_where(e.location)}: {md_text(e.message)}" for e in ordered_input_errors(result.input_errors)]
    return "\n".join(lines) + "\n"


def build_markdown(result: RunResult, limit: int = MAX_CHARS) -> str:
    """The report, at most ``limit`` characters: the summary always, then the most severe pipelines that fit."""
    ordered = ordered_pipelines(result.pipelines)
    problems = [p for p in ordered if p.status is not Status.IN_SYNC]
    in_sync = [p for p in ordered if p.status is Status.IN_SYNC]
    severity: dict[int, str] = {}
    for finding in findings(result):
        if finding.ignored_by is None:
            key = id(finding.pipeline)
            severity[key] = worst(severity.get(key, "low"), finding.severity)
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    position = {id(p): i for i, p in enumerate(problems)}
    by_priority = sorted(problems, key=lambda p: (rank[severity.get(id(p), "low")], position[id(p)]))

    parts = [_summary(result)]
    if result.previous is not None:  # check --previous: what changed since the older report (bounded in size)
        parts.append(comparison_section(result.previous))
    optional = []  # sections kept only when they fit, after every pipeline block
    if result.input_errors:
        optional.append(_input_errors(result))
    if in_sync:
        optional.append(_in_sync(in_sync))
    reserve = 400  # room for the "left out" line
    budget = limit - len(parts[0]) - sum(len(part) + 1 for part in parts[1:]) - reserve
    chosen: set[int] = set()
    blocks: dict[int, str] = {}
    for pipeline in by_priority:  # most severe first; the first that does not fit ends the list
        block = _block(pipeline)
        if len(block) + 1 > budget:
            break
        chosen.add(id(pipeline))
        blocks[id(pipeline)] = block
        budget -= len(block) + 1
    if problems:
        parts.append("### Pipelines needing attention\n")
        parts += [blocks[id(p)] for p in problems if id(p) in chosen]
    left_out = [p for p in problems if id(p) not in chosen]
    kept_optional = []
    for section in optional:
        if len(section) + 1 <= budget:
            kept_optional.append(section)
            budget -= len(section) + 1
    parts += kept_optional
    if left_out or len(kept_optional) < len(optional):
        said = []
        if left_out:
            said.append(f"{len(left_out)} of {len(problems)} pipelines needing attention (the least severe)")
        if in_sync and _in_sync(in_sync) not in kept_optional:
            said.append(f"the list of {len(in_sync)} in-sync pipelines")
        if result.input_errors and _input_errors(result) not in kept_optional:
            said.append(f"{len(result.input_errors)} input errors")
        # right under the summary, where a reader sees it first
        parts.insert(1, f"**Left out to stay under {limit:,} characters:** {'; '.join(said)}. The JSON and HTML reports have everything.\n")
    return "\n".join(parts)


#: Most change rows in the comparison's table, and most characters of the section (the JSON output has them all).
MAX_COMPARISON_ROWS = 100
MAX_COMPARISON_CHARS = 20_000


def comparison_section(comparison: Comparison, *, heading: str = "###") -> str:
    """The comparison as a Markdown section: the headline, then a table of changes (at most MAX_COMPARISON_ROWS)."""
    counts = comparison.counts()
    lines = [
        f"{heading} Changes since {md_code(iso_utc(comparison.previous_generated_at))}",
        "",
        f"**{plural(counts['new'], 'new drift')}** since {md_code(iso_utc(comparison.previous_generated_at))}"
        f" ({md_code(comparison.previous_file)}): {counts['resolved']} resolved, {counts['persisting']} persisting"
        + (f", {counts['unchecked']} unchecked" if counts["unchecked"] else "") + ".",
    ]
    if comparison.changes:
        lines += ["", "| Change | Pipeline | Path | Declared | Live | Since |", "|---|---|---|---|---|---|"]
        budget, shown = MAX_COMPARISON_CHARS - sum(len(line) + 1 for line in lines), 0
        for change in comparison.changes[:MAX_COMPARISON_ROWS]:
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
