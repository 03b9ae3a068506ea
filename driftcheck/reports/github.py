"""GitHub Actions annotations: workflow commands that put findings on the declaring file's line.

One ``::error``, ``::warning`` or ``::notice`` line (by severity: high, medium, low) per difference and
per missing, unmanaged or errored pipeline, e.g.::

    ::warning file=infra/main.tf,line=15,title=driftcheck/drift/schedule::b-nightly [us-east-1]: schedule...

Ignored differences get no annotation (they are no drift). Messages are escaped as GitHub's toolkit
escapes them (``%``, ``\\r``, ``\\n``; in properties also ``:`` and ``,``). As a whole report
(``--format github``) the annotations are followed by the text report for the job log, between
``::stop-commands::`` markers, so nothing in it (a file name starting with ``::``) is taken as a command.
"""

from __future__ import annotations

import hashlib

from driftcheck.model import RunResult
from driftcheck.reports.base import DEFAULT_OPTIONS, RenderOptions, Renderer
from driftcheck.reports.findings import Finding, findings
from driftcheck.reports.text import TextRenderer
from driftcheck.safe_text import one_line

#: Severity -> workflow command.
COMMANDS = {"high": "error", "medium": "warning", "low": "notice"}


def escape_data(text: str) -> str:
    """A command's message, escaped as ``@actions/core`` escapes it."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A command property's value (``file``, ``title``), escaped as ``@actions/core`` escapes it."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(finding: Finding) -> str:
    """One workflow command line for one finding."""
    properties = []
    if finding.location is not None:
        properties.append(f"file={escape_property(finding.location.file)}")
        if finding.location.line is not None and finding.location.line >= 1:
            properties.append(f"line={finding.location.line}")
    properties.append(f"title={escape_property(finding.rule_id)}")
    return f"::{COMMANDS[finding.severity]} {','.join(properties)}::{escape_data(one_line(finding.message))}"


def annotations(result: RunResult) -> str:
    """Every annotation of the run, one per line (empty when nothing needs attention)."""
    return "".join(annotation(f) + "\n" for f in findings(result) if f.ignored_by is None)


class GitHubRenderer(Renderer):
    """Annotations, then the text report shielded from command parsing."""

    def render(self, result: RunResult, *, color: bool = False, options: RenderOptions = DEFAULT_OPTIONS) -> str:
        """Return the annotations and the (colourless) text report."""
        text = TextRenderer().render(result)
        # a token no data can know in advance: it depends on the whole text the data is part of
        token = "driftcheck-" + hashlib.sha256(text.encode("utf-8", "backslashreplace")).hexdigest()[:32]
        return f"{annotations(result)}::stop-commands::{token}\n{text}::{token}::\n"
