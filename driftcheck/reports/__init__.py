"""The one registry of report formats: ``ReportFormat`` maps each format name to its renderer."""

from __future__ import annotations

import enum
from typing import assert_never

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
        if self is ReportFormat.TEXT:
            return TextRenderer
        if self is ReportFormat.JSON:
            return JsonRenderer
        if self is ReportFormat.HTML:
            return HtmlRenderer
        if self is ReportFormat.SARIF:
            return SarifRenderer
        if self is ReportFormat.JUNIT:
            return JUnitRenderer
        if self is ReportFormat.MARKDOWN:
            return MarkdownRenderer
        if self is ReportFormat.GITHUB:
            return GitHubRenderer
        if self is ReportFormat.CODEQUALITY:
            return CodeQualityRenderer
        assert_never(self)

    @classmethod
    def choices(cls) -> list[str]:
        """Format names in declaration order, for ``click.Choice``."""
        return [member.value for member in cls]
