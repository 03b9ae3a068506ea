"""Self-contained HTML report: inline CSS, no scripts, no external assets, every value escaped.

Two layers, both applied to every value the template prints: :func:`displayable` (jinja's ``finalize``)
shows control characters, bidi overrides and lone surrogates as visible escapes, then autoescaping
makes ``<``, ``>``, ``&`` and quotes inert.
"""

from __future__ import annotations

import functools
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from driftcheck.model import RunResult, Status
from driftcheck.reports.base import (
    DEFAULT_OPTIONS,
    RenderOptions,
    Renderer,
    STATUS_ORDER,
    dump_value,
    iso_utc,
    ordered_input_errors,
    ordered_pipelines,
)
from driftcheck.safe_text import multi_line

TEMPLATE = "report.html.j2"


def pretty(value: Any) -> str:
    """A value as indented JSON; returned as a plain str so the template autoescapes it."""
    return dump_value(value, indent=2, ensure_ascii=False)


def displayable(value: Any) -> Any:
    """Every ``{{ ... }}`` output passes here before autoescaping: controls, bidi overrides and lone
    surrogates become visible escapes (:mod:`driftcheck.safe_text`); newlines and tabs stay (``<pre>``)."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, Markup):  # already escaped markup (a filter's output): still no raw controls
        return Markup(multi_line(str(value)))
    return multi_line(value)


@functools.cache
def environment() -> Environment:
    """The jinja2 environment; autoescaping is forced on for every template."""
    env = Environment(
        loader=PackageLoader("driftcheck", "reports/templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=displayable,
    )
    env.filters["pretty"] = pretty
    env.filters["compact"] = lambda value: dump_value(value, ensure_ascii=False)
    return env


class HtmlRenderer(Renderer):
    """One HTML file for sharing or archiving: summary, then each pipeline, problems first."""

    def render(self, result: RunResult, *, color: bool = False, options: RenderOptions = DEFAULT_OPTIONS) -> str:
        """Return the HTML document; ``color`` is ignored (the page is always styled)."""
        ordered = ordered_pipelines(result.pipelines)
        return environment().get_template(TEMPLATE).render(
            summary=result.summary(),
            statuses=STATUS_ORDER,
            generated_at=iso_utc(result.generated_at),
            tool_version=result.tool_version,
            problems=[p for p in ordered if p.status is not Status.IN_SYNC],  # in-sync ones list their ignored fields inline
            in_sync=[p for p in ordered if p.status is Status.IN_SYNC],
            input_errors=ordered_input_errors(result.input_errors),
        )
