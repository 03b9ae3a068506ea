"""Machine-readable report: stable, sorted, versioned JSON that matches report.schema.json."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import TYPE_CHECKING, Any

from driftcheck.errors import DriftcheckError
from driftcheck.frozen import thaw
from driftcheck.model import Difference, Hint, InputError, Location, PipelineResult, RunContext, RunResult
from driftcheck.reports.base import DEFAULT_OPTIONS, RenderOptions, Renderer, iso_utc, ordered_input_errors

if TYPE_CHECKING:
    from driftcheck.history.changes import Comparison

#: Version of the document layout; bump the major part on any breaking change.
SCHEMA_VERSION = "1.5"
SCHEMA_RESOURCE = "report.schema.json"


class JsonRenderer(Renderer):
    """Writes :func:`build_document` as indented JSON with sorted keys and a trailing newline."""

    def render(self, result: RunResult, *, color: bool = False, options: RenderOptions = DEFAULT_OPTIONS) -> str:
        """Return the JSON report; ``color`` is ignored."""
        # ensure_ascii: values are kept exactly, and any character that is unsafe to show (controls, bidi
        # overrides, lone surrogates) is written as a JSON \uXXXX escape, so the file is always valid UTF-8
        return json.dumps(build_document(result), sort_keys=True, indent=2, ensure_ascii=True) + "\n"


def build_document(result: RunResult) -> dict[str, Any]:
    """The report as plain dicts and lists, pipelines sorted by (id, region)."""
    pipelines = sorted(result.pipelines, key=lambda p: (p.id, p.region or ""))
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "driftcheck", "version": result.tool_version},
        "generated_at": iso_utc(result.generated_at),
        "summary": result.summary(),
        "pipelines": [_pipeline(p) for p in pipelines],
        "input_errors": [_input_error(e) for e in ordered_input_errors(result.input_errors)],
        "notes": list(result.notes),
        **({"run": _context(result.context)} if result.context is not None else {}),
        **({"severity_overrides": [{"pattern": k, "severity": v} for k, v in result.severity_overrides.items()]}
           if result.severity_overrides else {}),
        **({"previous": _previous(result.previous)} if result.previous is not None else {}),
    }


def _previous(comparison: Comparison) -> dict[str, Any]:
    from driftcheck.history.changes_json import previous_document

    return previous_document(comparison)


def _context(context: RunContext) -> dict[str, Any]:
    return {
        "command": list(context.command),
        "live_source": context.live_source,
        "live_dir": context.live_dir,
        "accounts": list(context.accounts),
        "regions": list(context.regions),
        "inputs": list(context.inputs),
        "exit_code": context.exit_code,
        "duration_seconds": None if context.duration_seconds is None else round(context.duration_seconds, 3),
        "started_at": iso_utc(context.started_at) if context.started_at is not None else None,
    }


def _location(location: Location | None) -> dict[str, Any] | None:
    return None if location is None else {"file": location.file, "line": location.line}


def _pipeline(pipeline: PipelineResult) -> dict[str, Any]:
    unresolved = sorted(pipeline.unresolved, key=lambda u: u.path)
    return {
        "id": pipeline.id,
        "name": pipeline.name,
        "arn": pipeline.arn,
        "account": pipeline.account,
        "region": pipeline.region,
        "source": _location(pipeline.source),
        "source_kind": pipeline.source_kind,
        "status": pipeline.status.value,
        "differences": [_difference(d) for d in sorted(pipeline.differences, key=lambda d: d.path)],
        "ignored": [{**_difference(d), "reason": d.ignored_by} for d in sorted(pipeline.ignored, key=lambda d: d.path)],
        "unresolved": sorted({u.path for u in unresolved}),
        "unresolved_reasons": {u.path: u.reason for u in unresolved},
        "error": pipeline.error,
        "notes": list(pipeline.notes),
    }


def _difference(diff: Difference) -> dict[str, Any]:
    document = {
        "path": diff.path,
        "declared": thaw(diff.declared),
        "live": thaw(diff.live),
        "source": _location(diff.source),
    }
    if diff.hint is not None:
        document["hint"] = _hint(diff.hint)
    return document


def _hint(hint: Hint) -> dict[str, Any]:
    return {
        "apply": hint.apply,
        "accept": hint.accept,
        "accept_note": hint.accept_note,
        "language": hint.language,
        "at": _location(hint.at),
        "attribute": hint.attribute,
        "replaces_line": hint.replaces_line,
    }


def _input_error(error: InputError) -> dict[str, Any]:
    return {"source": _location(error.location), "message": error.message}


@functools.cache
def load_schema() -> dict[str, Any]:
    """The published report schema, read from the ``driftcheck.schemas`` package."""
    text = resources.files("driftcheck.schemas").joinpath(SCHEMA_RESOURCE).read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


def validate_report(document: dict[str, Any]) -> None:
    """Raise DriftcheckError with a one-line message if ``document`` does not match the schema."""
    import jsonschema  # only where a report is checked (reading one back, the tests): writing one needs none
    from jsonschema.exceptions import best_match

    validator = jsonschema.Draft202012Validator(load_schema())
    error = best_match(validator.iter_errors(document))
    if error is not None:
        message = " ".join(error.message.split())
        if len(message) > 200:
            message = message[:197] + "..."
        raise DriftcheckError(f"JSON report does not match its schema at {error.json_path}: {message}")
