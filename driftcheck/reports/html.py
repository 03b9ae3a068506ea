"""Self-contained HTML report: an overview (counts, run context, a sortable, filterable index of every
pipeline), then each pipeline with what changed inside its values highlighted.

One file, no external asset, no network request: the stylesheet and the one script are inline and allowed
by a Content-Security-Policy of their SHA-256 hashes, so the same run gives the same bytes. Without
JavaScript everything is readable (the filters and sort buttons stay hidden); the script only adds
filtering, sorting, search and the view's state in the URL fragment, driven by ``data-`` attributes on
the index rows.

Two escaping layers, both applied to every value: :func:`displayable` (jinja's ``finalize``) shows control
characters, bidi overrides and lone surrogates as visible escapes, then autoescaping makes ``<``, ``>``,
``&`` and quotes inert. Highlighted values are built by :mod:`driftcheck.reports.html_values`, which
applies the same two layers to every piece before it adds its own ``<del>``/``<ins>``/``<mark>`` tags.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from importlib import resources
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from driftcheck.model import RunResult
from driftcheck.reports.base import (
    DEFAULT_OPTIONS,
    RenderOptions,
    Renderer,
    STATUS_ORDER,
    iso_utc,
    ordered_input_errors,
    ordered_pipelines,
)
from driftcheck.reports.html_history import previous_view
from driftcheck.reports.html_links import location_markup, template_problem
from driftcheck.reports.html_view import pipeline_view, title_text
from driftcheck.safe_text import multi_line

TEMPLATE = "report.html.j2"
#: Above this many pipelines, off-screen pipeline sections are laid out only when scrolled to.
LARGE_REPORT = 200
STATUS_HELP = {
    "error": "could not be checked; the error says why",
    "missing": "declared, but not found live",
    "drifted": "found live, and at least one managed field differs from the declaration",
    "unmanaged": "live, but no declaration in this run manages it",
    "in_sync": "every compared field matches the declaration",
}


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
    env.filters["location"] = location_markup
    return env


@functools.cache
def asset(name: str) -> tuple[Markup, str]:
    """An inline asset's text (trusted, shipped with the package) and its CSP hash source."""
    text = resources.files("driftcheck.reports").joinpath("templates", name).read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return Markup(text), f"'sha256-{digest}'"


def content_security_policy() -> str:
    """Nothing may load; only the report's own stylesheet and script (by hash) may apply or run."""
    _, style_hash = asset("report.css")
    _, script_hash = asset("report.js")
    return (
        f"default-src 'none'; style-src {style_hash}; script-src {script_hash}; "
        "img-src 'none'; base-uri 'none'; form-action 'none'"
    )


def _choices(views: list[dict[str, Any]], key: str) -> list[str]:
    return sorted({v[key] for v in views if v[key]})


class HtmlRenderer(Renderer):
    """One HTML file for sharing or archiving: overview and index, then each pipeline, problems first."""

    def render(self, result: RunResult, *, color: bool = False, options: RenderOptions = DEFAULT_OPTIONS) -> str:
        """Return the HTML document; ``color`` is ignored (the page is always styled)."""
        summary = result.summary()
        overrides = result.severity_overrides or None
        views = [pipeline_view(index, p, options, overrides) for index, p in enumerate(ordered_pipelines(result.pipelines), 1)]
        groups = [(status, [v for v in views if v["status"] == status.value]) for status in STATUS_ORDER]
        css, _ = asset("report.css")
        script, _ = asset("report.js")
        notes = list(result.notes)
        problem = template_problem(options.source_url)
        if problem:
            notes.append(f"--source-url template not used for links: {problem}")
        return environment().get_template(TEMPLATE).render(
            title=title_text(summary),
            csp=content_security_policy(),
            css=css,
            script=script,
            summary=summary,
            statuses=STATUS_ORDER,
            status_help=STATUS_HELP,
            generated_at=iso_utc(result.generated_at),
            tool_version=result.tool_version,
            context=result.context,
            started_at=iso_utc(result.context.started_at) if result.context and result.context.started_at else None,
            pipelines=views,
            large=LARGE_REPORT,
            groups=[(status, members) for status, members in groups if members],
            accounts=_choices(views, "account"),
            regions=_choices(views, "region"),
            kinds=_choices(views, "kind"),
            run_notes=notes,
            previous=previous_view(result.previous),
            input_errors=ordered_input_errors(result.input_errors),
        )
