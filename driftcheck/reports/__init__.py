"""The one registry of report formats: ``ReportFormat`` maps each format name to its renderer."""

from __future__ import annotations

import enum

from driftcheck.reports.base import Renderer
from driftcheck.reports.codequality import CodeQualityRenderer
from driftcheck.reports.github import GitHubRenderer
from driftcheck.reports.html import HtmlRenderer
from driftcheck.reports.json_report import JsonRenderer
from driftcheck.reports.junit import JUnitRenderer
from driftcheck.reports.markdown import MarkdownRenderer
from driftcheck.reports.sarif import SarifRenderer
from driftcheck.reports.text import TextRenderer

__all__ = ["CodeQualityRenderer", "GitHubRenderer", "HtmlRenderer", "JUnitRenderer", "JsonRenderer", "MarkdownRenderer", "Renderer", "ReportFormat", "SarifRenderer", "TextRenderer"]


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
        """The renderer class for this format."""
        return _RENDERERS[self]

    @classmethod
    def choices(cls) -> list[str]:
        """Format names in declaration order, for ``click.Choice``."""
        return [member.value for member in cls]


_RENDERERS: dict[ReportFormat, type[Renderer]] = {
    ReportFormat.TEXT: TextRenderer,
    ReportFormat.JSON: JsonRenderer,
    ReportFormat.HTML: HtmlRenderer,
    ReportFormat.SARIF: SarifRenderer,
    ReportFormat.JUNIT: JUnitRenderer,
    ReportFormat.MARKDOWN: MarkdownRenderer,
    ReportFormat.GITHUB: GitHubRenderer,
    ReportFormat.CODEQUALITY: CodeQualityRenderer,
}
if set(_RENDERERS) != set(ReportFormat):  # a format added without its renderer fails at import, not at run time
    raise RuntimeError("every report format needs a renderer")
