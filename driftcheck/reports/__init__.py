"""The one registry of report formats: ``ReportFormat`` maps each format name to its renderer.

Renderers are imported when a format is used, not when the registry is: ``driftcheck --help`` and a run
that writes only JSON never load jinja2 or the SARIF code.
"""

from __future__ import annotations

import enum
import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from driftcheck.reports.base import Renderer


class ReportFormat(str, enum.Enum):
    """A report format the CLI can write; the value is what users type after ``--format``."""

    TEXT = "text"
    JSON = "json"
    HTML = "html"
    SARIF = "sarif"
    JUNIT = "junit"
    MARKDOWN = "markdown"
    GITHUB = "github"
    CODEQUALITY = "codequality"

    def renderer(self) -> type[Renderer]:
        """The renderer class for this format (its module is imported on first use)."""
        module, name = _RENDERERS[self].split(":")
        renderer: type[Renderer] = getattr(importlib.import_module(module), name)
        return renderer

    @classmethod
    def choices(cls) -> list[str]:
        """Format names in declaration order, for ``click.Choice``."""
        return [member.value for member in cls]


_RENDERERS: dict[ReportFormat, str] = {
    ReportFormat.TEXT: "driftcheck.reports.text:TextRenderer",
    ReportFormat.JSON: "driftcheck.reports.json_report:JsonRenderer",
    ReportFormat.HTML: "driftcheck.reports.html:HtmlRenderer",
    ReportFormat.SARIF: "driftcheck.reports.sarif:SarifRenderer",
    ReportFormat.JUNIT: "driftcheck.reports.junit:JUnitRenderer",
    ReportFormat.MARKDOWN: "driftcheck.reports.markdown:MarkdownRenderer",
    ReportFormat.GITHUB: "driftcheck.reports.github:GitHubRenderer",
    ReportFormat.CODEQUALITY: "driftcheck.reports.codequality:CodeQualityRenderer",
}
if set(_RENDERERS) != set(ReportFormat):  # a format added without its renderer fails at import, not at run time
    raise RuntimeError("every report format needs a renderer")
