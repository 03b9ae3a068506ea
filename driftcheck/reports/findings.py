"""A run as a flat list of findings, for the CI formats (SARIF, Markdown, GitHub annotations).

One finding per difference (ignored ones included, marked), and one per pipeline that is missing,
unmanaged or could not be checked. Each has a stable rule id (one per difference path family and per
status), a severity (:mod:`driftcheck.severity`), where it is declared, a one-line terminal-safe message
and a fingerprint that stays the same while the finding does (pipeline id, region and path; never the
values or the line).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from driftcheck.model import Difference, Location, PipelineResult, RunResult, Status
from driftcheck.reports.base import dump_value, ordered_pipelines
from driftcheck.safe_text import one_line
from driftcheck.severity import path_family, severity_of_path, severity_of_status

#: Longest value shown in a finding's message before it is cut and ends with "...".
MAX_MESSAGE_VALUE_CHARS = 300
RULE_PREFIX = "driftcheck"
_RULE_SAFE = re.compile(r"[^A-Za-z0-9_-]")
_STATUS_FINDINGS = (Status.MISSING, Status.UNMANAGED, Status.ERROR)


@dataclass(frozen=True)
class Finding:
    """One thing a CI gate reports."""

    pipeline: PipelineResult
    rule_id: str
    severity: str
    message: str
    location: Location | None
    path: str | None = None  # the difference's API path; None for a status finding
    difference: Difference | None = None
    ignored_by: str | None = None

    @property
    def fingerprint(self) -> str:
        """Stable per finding: pipeline id, region and path (or status), hashed; never values or lines."""
        what = self.path if self.path is not None else self.rule_id
        # the account joins the key only when known, so a one-account run keeps the fingerprints it had
        parts = (self.pipeline.id, self.pipeline.region or "", what) + ((self.pipeline.account,) if self.pipeline.account else ())
        key = "\0".join(parts)
        return hashlib.sha256(key.encode("utf-8", "backslashreplace")).hexdigest()[:32]


def rule_id_of_path(path: str) -> str:
    """``driftcheck/drift/schedule`` for ``schedule.scheduleExpression``."""
    family = _RULE_SAFE.sub("_", path_family(path)) or "unknown"
    return f"{RULE_PREFIX}/drift/{family}"


def rule_id_of_status(status: Status) -> str:
    """``driftcheck/missing``, ``driftcheck/unmanaged``, ``driftcheck/error``."""
    return f"{RULE_PREFIX}/{status.value}"


def short_value(value: object, limit: int = MAX_MESSAGE_VALUE_CHARS) -> str:
    """A value as compact, ASCII, sorted-key JSON, cut to ``limit`` characters."""
    text = dump_value(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def place(pipeline: PipelineResult) -> str | None:
    """``111122223333/us-east-1`` (account and region, either alone when the other is unknown), or None; raw text."""
    parts = [part for part in (pipeline.account, pipeline.region) if part]
    return "/".join(parts) if parts else None


def pipeline_label(pipeline: PipelineResult) -> str:
    """``id [account/region]``, terminal-safe."""
    where = place(pipeline)
    return one_line(pipeline.id) + (f" [{one_line(where)}]" if where else "")


def _difference_message(pipeline: PipelineResult, diff: Difference) -> str:
    text = (
        f"{pipeline_label(pipeline)}: {one_line(diff.path)} differs: declared {short_value(diff.declared)},"
        f" live {short_value(diff.live)}"
    )
    if diff.ignored_by:
        text += f" (ignored: {one_line(diff.ignored_by)})"
    return text


def _status_message(pipeline: PipelineResult) -> str:
    label = pipeline_label(pipeline)
    if pipeline.status is Status.MISSING:
        where = f" at {one_line(str(pipeline.source))}" if pipeline.source else ""
        return f"{label}: declared{where} but not found live"
    if pipeline.status is Status.UNMANAGED:
        arn = f" ({one_line(pipeline.arn)})" if pipeline.arn and pipeline.arn != pipeline.id else ""
        return f"{label}{arn}: live pipeline that nothing declares"
    return f"{label}: could not be checked: {one_line(pipeline.error or 'unknown error')}"


def findings(result: RunResult, overrides: Mapping[str, str] | None = None) -> list[Finding]:
    """Every finding of the run, pipelines in display order, each pipeline's differences by path, ignored last.

    Severities follow ``overrides``, by default the run's own (the config file's ``severity``)."""
    if overrides is None:
        overrides = result.severity_overrides or None
    found: list[Finding] = []
    for pipeline in ordered_pipelines(result.pipelines):
        if pipeline.status in _STATUS_FINDINGS:
            found.append(Finding(
                pipeline=pipeline,
                rule_id=rule_id_of_status(pipeline.status),
                severity=severity_of_status(pipeline.status, overrides),
                message=_status_message(pipeline),
                location=pipeline.source,
            ))
        for diff in sorted(pipeline.differences, key=lambda d: d.path):
            found.append(_difference_finding(pipeline, diff, None, overrides))
        for diff in sorted(pipeline.ignored, key=lambda d: d.path):
            found.append(_difference_finding(pipeline, diff, diff.ignored_by or "ignored", overrides))
    return found


def _difference_finding(pipeline: PipelineResult, diff: Difference, ignored_by: str | None, overrides: Mapping[str, str] | None) -> Finding:
    return Finding(
        pipeline=pipeline,
        rule_id=rule_id_of_path(diff.path),
        severity=severity_of_path(diff.path, overrides),
        message=_difference_message(pipeline, diff),
        location=diff.source or pipeline.source,
        path=diff.path,
        difference=diff,
        ignored_by=ignored_by,
    )
