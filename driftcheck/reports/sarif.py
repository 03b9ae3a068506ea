"""SARIF 2.1.0 report, for code scanning (GitHub, Azure DevOps, IDE viewers).

One result per finding (:mod:`driftcheck.reports.findings`): each difference, ignored ones included as
suppressed results, and each missing, unmanaged or errored pipeline. Results are located at the
declaring ``file:line``; a pipeline nothing declares (unmanaged) has a logical location (its ARN) instead.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from driftcheck.model import Hint, Location, RunResult
from driftcheck.remediation import exact_line_edit
from driftcheck.reports.base import DEFAULT_OPTIONS, RenderOptions, Renderer, iso_utc, ordered_input_errors, ordered_pipelines
from driftcheck.reports.findings import Finding, findings
from driftcheck.safe_text import one_line

SARIF_VERSION = "2.1.0"
SARIF_SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
#: Severity -> SARIF result level.
LEVELS = {"high": "error", "medium": "warning", "low": "note"}
FINGERPRINT_KEY = "driftcheckFinding/v1"
# characters left as they are in a relative path made a URI reference (RFC 3986 pchar and "/")
_URI_SAFE = "/!$&'()*+,;=:@-._~"


class SarifRenderer(Renderer):
    """Writes :func:`build_sarif` as indented JSON with a trailing newline."""

    def render(self, result: RunResult, *, color: bool = False, options: RenderOptions = DEFAULT_OPTIONS) -> str:
        """Return the SARIF log; ``color`` is ignored."""
        return json.dumps(build_sarif(result), indent=2, ensure_ascii=True) + "\n"


def artifact_uri(file: str) -> str:
    """The file name as given, as a URI reference: only characters a URI cannot hold are %-escaped."""
    return quote(file.replace("\\", "/"), safe=_URI_SAFE)


def _physical(location: Location) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": artifact_uri(location.file)}}
    if location.line is not None and location.line >= 1:
        physical["region"] = {"startLine": location.line}
    return {"physicalLocation": physical}


def _locations(finding: Finding) -> list[dict[str, Any]]:
    if finding.location is not None:
        return [_physical(finding.location)]
    pipeline = finding.pipeline
    return [{"logicalLocations": [{"fullyQualifiedName": pipeline.arn or pipeline.id, "kind": "resource"}]}]


def _rule(rule_id: str, severity: str) -> dict[str, Any]:
    what = rule_id.removeprefix("driftcheck/")
    if what.startswith("drift/"):
        field = what.removeprefix("drift/")
        short = f"The live pipeline differs from its declaration in {field}"
        name = "Drift" + field[:1].upper() + field[1:]
    elif what == "missing":
        short, name = "A declared pipeline does not exist live", "Missing"
    elif what == "unmanaged":
        short, name = "A live pipeline is not declared anywhere", "Unmanaged"
    else:
        short, name = "A pipeline could not be checked", "Error"
    return {
        "id": rule_id,
        "name": name,
        "shortDescription": {"text": short},
        "defaultConfiguration": {"level": LEVELS[severity]},
        "properties": {"severity": severity},
    }


def _result(finding: Finding, rule_index: int, shared: bool = False) -> dict[str, Any]:
    pipeline = finding.pipeline
    properties: dict[str, Any] = {"pipeline": pipeline.id, "status": pipeline.status.value, "severity": finding.severity}
    if pipeline.region:
        properties["region"] = pipeline.region
    if pipeline.account:
        properties["account"] = pipeline.account
    if finding.path is not None:
        properties["path"] = finding.path
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": LEVELS[finding.severity],
        "message": {"text": finding.message},
        "locations": _locations(finding),
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "properties": properties,
    }
    hint = finding.difference.hint if finding.difference is not None else None
    if hint is not None:
        _add_hint(result, hint, shared)
    if finding.ignored_by is not None:
        result["suppressions"] = [{"kind": "external", "justification": one_line(finding.ignored_by)}]
    return result


def _add_hint(result: dict[str, Any], hint: Hint, shared: bool) -> None:
    """The remediation hint: always in the properties and the message; as a ``fixes`` entry replacing
    the declaring line only where that edit is exact (:func:`driftcheck.remediation.exact_line_edit`)."""
    properties: dict[str, Any] = {"apply": one_line(hint.apply), "language": hint.language}
    if hint.accept is not None:
        properties["accept"] = hint.accept
    if hint.accept_note is not None:
        properties["acceptNote"] = one_line(hint.accept_note)
    result["properties"]["hint"] = properties
    accept = f"; or accept: {one_line(hint.accept)}" if hint.accept is not None else f"; no accept snippet: {one_line(hint.accept_note or '')}"
    result["message"]["text"] += f". Fix: {one_line(hint.apply)}{accept}"
    edit = exact_line_edit(hint, shared=shared)
    if edit is None or hint.at is None or hint.at.line is None:
        return
    line, replacement = edit
    result["fixes"] = [{
        "description": {"text": one_line(f"Accept the live value: {hint.accept}")},
        "artifactChanges": [{
            "artifactLocation": {"uri": artifact_uri(hint.at.file)},
            "replacements": [{
                "deletedRegion": {
                    "startLine": hint.at.line,
                    "startColumn": 1,
                    "endLine": hint.at.line,
                    "endColumn": len(line.encode("utf-16-le")) // 2 + 1,  # SARIF columns count UTF-16 code units
                },
                "insertedContent": {"text": replacement},
            }],
        }],
    }]


def _shared(finding: Finding, result: RunResult) -> bool:
    """Is the finding's pipeline declared by a block that declares others too (``for_each``, ``count``,
    a module called twice)? Then no fix may edit its lines: the edit would change every instance."""
    pipeline = finding.pipeline
    if pipeline.source is None:
        return True
    if "[" in pipeline.id:  # an instance key: aws_x.app["api"], module.m[0].aws_x.this
        return True
    return any(other is not pipeline and other.source == pipeline.source for other in result.pipelines)


def build_sarif(result: RunResult) -> dict[str, Any]:
    """The SARIF log as plain dicts and lists."""
    found = findings(result)
    rule_severity: dict[str, str] = {}
    for finding in found:  # a family's default level: its first finding's (overrides may differ per path)
        rule_severity.setdefault(finding.rule_id, finding.severity)
    rule_ids = sorted(rule_severity)
    index = {rule_id: i for i, rule_id in enumerate(rule_ids)}
    troubled = result.exit_code() == 2
    notifications = [
        {
            "level": "error",
            "message": {"text": one_line(error.message)},
            "locations": [_physical(error.location)],
        }
        for error in ordered_input_errors(result.input_errors)
    ]
    invocation: dict[str, Any] = {"executionSuccessful": not troubled, "endTimeUtc": iso_utc(result.generated_at)}
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    return {
        "$schema": SARIF_SCHEMA_URI,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "driftcheck",
                        "version": result.tool_version,
                        "rules": [_rule(rule_id, rule_severity[rule_id]) for rule_id in rule_ids],
                    }
                },
                "invocations": [invocation],
                "results": [_result(f, index[f.rule_id], _shared(f, result)) for f in found],
                "properties": {
                    "summary": result.summary(),
                    "pipelines": [
                        {"id": p.id, "account": p.account, "region": p.region, "status": p.status.value}
                        for p in ordered_pipelines(result.pipelines)
                    ],
                },
            }
        ],
    }
