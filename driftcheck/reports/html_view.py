"""The HTML report's view of one pipeline: what its index row and its section show, computed once.

Plain strings stay plain (the template autoescapes them); highlighted values arrive as safe ``Markup``
from :mod:`driftcheck.reports.html_values`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from driftcheck.model import Difference, PipelineResult, Status
from driftcheck.reports.base import RenderOptions
from driftcheck.reports.html_links import console_url, display_path, source_url
from driftcheck.reports.html_values import render_pair
from driftcheck.severity import SEVERITIES, severity_of_path, severity_of_status, worst

__all__ = ["KIND_LABELS", "pipeline_view", "source_kind", "title_text"]

KIND_LABELS = {"terraform": "Terraform", "cloudformation": "CloudFormation", "driftcheck": "pipeline file", "": "live only"}
ACCEPTED_PREFIX = "accepted in baseline"
_SEVERITY_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES)}
_STATUS_RANK = {status.value: rank for rank, status in enumerate((Status.ERROR, Status.MISSING, Status.DRIFTED, Status.UNMANAGED, Status.IN_SYNC))}


def source_kind(pipeline: PipelineResult) -> str:
    """terraform, cloudformation, driftcheck, or "" (nothing declares it); guessed for results without it."""
    kind = getattr(pipeline, "source_kind", None)
    if kind:
        return str(kind)
    if pipeline.source is None:
        return ""
    file = pipeline.source.file.lower()
    if file.endswith((".tf", ".tf.json")):
        return "terraform"
    for diff in pipeline.differences + pipeline.ignored:
        if diff.hint is not None and "stack update" in diff.hint.apply:
            return "cloudformation"
        if diff.hint is not None and "deployment from this file" in diff.hint.apply:
            return "driftcheck"
    return "declared"


def title_text(summary: Mapping[str, int]) -> str:
    """``driftcheck: 7 pipelines, 3 drifted, 1 unmanaged, 3 in sync`` (zero counts left out)."""
    parts = [f"{summary['total']} pipeline{'' if summary['total'] == 1 else 's'}"]
    for status in ("error", "missing", "drifted", "unmanaged", "in_sync"):
        if summary.get(status):
            parts.append(f"{summary[status]} {status.replace('_', ' ')}")
    if summary.get("input_errors"):
        parts.append(f"{summary['input_errors']} input error{'' if summary['input_errors'] == 1 else 's'}")
    return "driftcheck: " + ", ".join(parts)


def _severity(pipeline: PipelineResult, overrides: Mapping[str, str] | None) -> str:
    if pipeline.status in (Status.MISSING, Status.UNMANAGED, Status.ERROR):
        return severity_of_status(pipeline.status, overrides)
    if pipeline.differences:
        return worst(severity_of_path(d.path, overrides) for d in pipeline.differences)
    return ""


def _difference(diff: Difference, options: RenderOptions, overrides: Mapping[str, str] | None) -> dict[str, Any]:
    rendered = render_pair(diff.declared, diff.live)
    return {
        "path": display_path(diff.path),
        "raw_path": diff.path,
        "severity": severity_of_path(diff.path, overrides),
        "declared": rendered.declared,
        "live": rendered.live,
        "summary": rendered.summary,
        "source": diff.source,
        "href": source_url(options.source_url, diff.source),
        "hint": diff.hint,
        "ignored_by": diff.ignored_by,
    }


def pipeline_view(index: int, pipeline: PipelineResult, options: RenderOptions, overrides: Mapping[str, str] | None) -> dict[str, Any]:
    """Everything the template shows of one pipeline; ``index`` makes its anchor (``#p-3``)."""
    kind = source_kind(pipeline)
    severity = _severity(pipeline, overrides)
    differences = [_difference(d, options, overrides) for d in sorted(pipeline.differences, key=lambda d: d.path)]
    ignored = sorted(pipeline.ignored, key=lambda d: d.path)
    accepted = [_difference(d, options, overrides) for d in ignored if (d.ignored_by or "").startswith(ACCEPTED_PREFIX)]
    by_rule = [_difference(d, options, overrides) for d in ignored if not (d.ignored_by or "").startswith(ACCEPTED_PREFIX)]
    unresolved = [{"path": display_path(u.path), "reason": u.reason} for u in sorted(pipeline.unresolved, key=lambda u: u.path)]
    searchable = [pipeline.id, pipeline.name or "", pipeline.account or "", pipeline.region or "", str(pipeline.source or ""),
                  pipeline.arn or "", KIND_LABELS.get(kind, kind), pipeline.status.value.replace("_", " "), severity]
    searchable += [d["path"] for d in differences + accepted + by_rule] + [u["path"] for u in unresolved]
    return {
        "idx": index,
        "status": pipeline.status.value,
        "status_label": pipeline.status.value.replace("_", " "),
        "status_rank": _STATUS_RANK[pipeline.status.value],
        "id": pipeline.id,
        "name": pipeline.name,
        "account": pipeline.account or "",
        "region": pipeline.region or "",
        "kind": kind,
        "kind_label": KIND_LABELS.get(kind, kind),
        "source": pipeline.source,
        "source_href": source_url(options.source_url, pipeline.source),
        "arn": pipeline.arn,
        "arn_href": console_url(pipeline.arn, pipeline.region) if options.console_links else None,
        "severity": severity,
        "severity_rank": _SEVERITY_RANK.get(severity, len(SEVERITIES)),
        "n_diffs": len(pipeline.differences),
        "error": pipeline.error,
        "notes": pipeline.notes,
        "differences": differences,
        "accepted": accepted,
        "ignored": by_rule,
        "unresolved": unresolved,
        "search": " ".join(searchable).lower(),
    }
