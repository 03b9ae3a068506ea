"""GitLab Code Quality report (the Code Climate issue subset GitLab reads), for the merge-request widget.

One issue per finding (:mod:`driftcheck.reports.findings`) that is not ignored: ``description`` (the
terminal-safe message), ``check_name`` (the rule id), ``fingerprint`` (stable per finding), ``severity``
(high -> critical, medium -> major, low -> minor) and ``location.path``/``location.lines.begin`` (the
declaring file and line; a pipeline nothing declares is located at its ARN, line 1).
"""

from __future__ import annotations

import json
from typing import Any

from driftcheck.model import RunResult
from driftcheck.reports.base import DEFAULT_OPTIONS, RenderOptions, Renderer
from driftcheck.reports.findings import findings

SEVERITIES = {"high": "critical", "medium": "major", "low": "minor"}


class CodeQualityRenderer(Renderer):
    """Writes :func:`build_issues` as an indented JSON array with a trailing newline."""

    def render(self, result: RunResult, *, color: bool = False, options: RenderOptions = DEFAULT_OPTIONS) -> str:
        """Return the Code Quality report; ``color`` is ignored."""
        return json.dumps(build_issues(result), indent=2, ensure_ascii=True) + "\n"


def build_issues(result: RunResult) -> list[dict[str, Any]]:
    """The report as plain lists and dicts, in the findings' order."""
    issues = []
    for finding in findings(result):
        if finding.ignored_by is not None:
            continue  # accepted or ignored: not a quality issue of the merge request
        location = finding.location
        path = location.file if location is not None else (finding.pipeline.arn or finding.pipeline.id)
        line = location.line if location is not None and location.line else 1
        issues.append({
            "type": "issue",
            "description": finding.message,
            "check_name": finding.rule_id,
            "categories": ["Bug Risk"],
            "fingerprint": finding.fingerprint,
            "severity": SEVERITIES[finding.severity],
            "location": {"path": path, "lines": {"begin": line}},
        })
    return issues
