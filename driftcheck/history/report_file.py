"""A saved JSON report read back into the ``RunResult`` that wrote it, so any format renders from it offline.

Every field a renderer uses is in the JSON (schema 1.5: hints with their attribute, severity overrides in order,
source kinds, the run context, the ``--previous`` comparison), so ``report --format X`` on a report written by
``check --format json`` gives what ``check --format X`` gave in the same run.

Reading refuses, as one :class:`ReportFileError` naming the file: a file that cannot be read, is not UTF-8, is
not JSON (with its line), is not a driftcheck report, has another major schema version or a newer minor one,
or does not match the schema (with the JSON path). Older 1.x minors are accepted: the fields added since get
their defaults (``ignored`` 1.1, ``notes`` 1.2, ``account`` 1.4) before the document is checked.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from driftcheck.errors import DriftcheckError
from driftcheck.frozen import freeze
from driftcheck.history.changes_json import comparison_from, parse_time
from driftcheck.model import Difference, Hint, InputError, Location, PipelineResult, RunContext, RunResult, Status, UnresolvedField

#: Largest report read (a 5,000-pipeline report is about 20 MB).
MAX_REPORT_BYTES = 512 * 1024 * 1024
_ADDED: tuple[tuple[int, str, str, Any], ...] = (  # (minor, where, key, default) for keys that became required
    (1, "pipeline", "ignored", []),
    (2, "document", "notes", []),
    (4, "pipeline", "account", None),
)


class ReportFileError(DriftcheckError):
    """A JSON report that cannot be used; the message starts with the file name."""


@dataclass(frozen=True)
class LoadedReport:
    """A report read from ``file`` (as given): its schema version and the run it holds."""

    file: str
    schema_version: str
    result: RunResult


@functools.cache
def _current() -> tuple[int, int]:
    from driftcheck.reports.json_report import SCHEMA_VERSION

    major, minor = SCHEMA_VERSION.split(".")
    return int(major), int(minor)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def read_document(path: Path) -> Any:
    """The file's JSON value; ReportFileError (with the line) when it cannot be read or is not JSON."""
    try:
        with open(path, "rb") as stream:
            data = stream.read(MAX_REPORT_BYTES + 1)
    except OSError as exc:
        raise ReportFileError(f"{path}: cannot read the report: {exc.strerror or exc}") from None
    if len(data) > MAX_REPORT_BYTES:
        raise ReportFileError(f"{path}: larger than {MAX_REPORT_BYTES // (1024 * 1024)} MiB: not a report driftcheck wrote")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ReportFileError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise ReportFileError(f"{path}:{exc.lineno}: not JSON: {exc.msg}") from None
    except (ValueError, RecursionError) as exc:
        raise ReportFileError(f"{path}: not JSON: {exc if isinstance(exc, ValueError) else 'nested too deeply'}") from None


def _version(path: Path, document: Any) -> tuple[str, int]:
    """The document's schema version and minor; refuses what is not a driftcheck report of a readable version."""
    if not isinstance(document, dict) or not isinstance(document.get("tool"), dict) or document["tool"].get("name") != "driftcheck":
        raise ReportFileError(f"{path}: not a driftcheck JSON report (write one with check --format json or --report json=FILE)")
    version = document.get("schema_version")
    parts = version.split(".") if isinstance(version, str) else []
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise ReportFileError(f"{path}: not a driftcheck JSON report: schema_version {json.dumps(version)[:40]} is not MAJOR.MINOR")
    major, minor = int(parts[0]), int(parts[1])
    current_major, current_minor = _current()
    if major != current_major:
        raise ReportFileError(f"{path}: schema version {version} is not readable by this driftcheck (it reads {current_major}.x)")
    if minor > current_minor:
        raise ReportFileError(f"{path}: schema version {version} is newer than this driftcheck reads ({current_major}.0 to "
                              f"{current_major}.{current_minor}): upgrade driftcheck")
    return version, minor


def _upgrade(document: dict[str, Any], minor: int) -> dict[str, Any]:
    """A copy in the current layout: keys added after ``minor`` get their defaults."""
    from driftcheck.reports.json_report import SCHEMA_VERSION

    upgraded = {**document, "schema_version": SCHEMA_VERSION}
    for added, where, key, default in _ADDED:
        if minor >= added:
            continue
        if where == "document":
            upgraded.setdefault(key, default)
        elif isinstance(upgraded.get("pipelines"), list):
            upgraded["pipelines"] = [{key: default, **p} if isinstance(p, dict) else p for p in upgraded["pipelines"]]
    return upgraded


@functools.cache
def _fast_check() -> Any:
    from driftcheck.history.fast_schema import Unsupported, compile_schema
    from driftcheck.reports.json_report import load_schema

    try:
        return compile_schema(load_schema())
    except Unsupported:  # a keyword the fast check lacks: jsonschema alone
        return None


def _validate(path: Path, document: dict[str, Any]) -> None:
    """Refuse a document that does not match the schema, naming the JSON path (jsonschema's message)."""
    fast = _fast_check()
    if fast is not None and fast(document):
        return
    import jsonschema
    from jsonschema.exceptions import best_match

    from driftcheck.reports.json_report import load_schema

    error = best_match(jsonschema.Draft202012Validator(load_schema()).iter_errors(document))
    if error is not None:
        message = " ".join(error.message.split())
        message = message if len(message) <= 200 else message[:197] + "..."
        raise ReportFileError(f"{path}: does not match the report schema at {error.json_path}: {message}")


def load_report(path: Path) -> LoadedReport:
    """Read, check and convert one JSON report (see the module docstring)."""
    document = read_document(path)
    version, minor = _version(path, document)
    document = _upgrade(document, minor)
    _validate(path, document)
    try:
        result = _run_result(document)
    except ValueError as exc:  # a date the schema's pattern let through (month 13...)
        raise ReportFileError(f"{path}: {exc}") from None
    counts = result.summary()
    for key, written in document["summary"].items():
        if counts[key] != written:
            raise ReportFileError(f"{path}: summary.{key} is {written} but the report holds {counts[key]}: the file was edited or truncated")
    return LoadedReport(file=str(path), schema_version=version, result=result)


def _location(value: dict[str, Any] | None) -> Location | None:
    return None if value is None else Location(value["file"], value["line"])


def _hint(value: dict[str, Any] | None) -> Hint | None:
    if value is None:
        return None
    return Hint(apply=value["apply"], language=value["language"], accept=value["accept"], accept_note=value["accept_note"],
                at=_location(value["at"]), attribute=value.get("attribute"), replaces_line=value.get("replaces_line", False))


def _difference(value: dict[str, Any], ignored: bool = False) -> Difference:
    return Difference(path=value["path"], declared=freeze(value["declared"]), live=freeze(value["live"]),
                      source=_location(value["source"]), ignored_by=value["reason"] if ignored else None, hint=_hint(value.get("hint")))


def _pipeline(value: dict[str, Any]) -> PipelineResult:
    reasons = value["unresolved_reasons"]
    return PipelineResult(
        id=value["id"],
        name=value["name"],
        status=Status(value["status"]),
        arn=value["arn"],
        region=value["region"],
        source=_location(value["source"]),
        differences=tuple(_difference(d) for d in value["differences"]),
        ignored=tuple(_difference(d, ignored=True) for d in value["ignored"]),
        unresolved=tuple(UnresolvedField(path, reasons.get(path, "")) for path in value["unresolved"]),
        error=value["error"],
        notes=tuple(value["notes"]),
        account=value["account"],
        source_kind=value.get("source_kind"),
    )


def _context(value: dict[str, Any] | None) -> RunContext | None:
    if value is None:
        return None
    started = value["started_at"]
    return RunContext(
        command=tuple(value["command"]),
        live_source=value["live_source"],
        live_dir=value["live_dir"],
        accounts=tuple(value["accounts"]),
        regions=tuple(value["regions"]),
        inputs=tuple(value["inputs"]),
        exit_code=value["exit_code"],
        duration_seconds=value["duration_seconds"],
        started_at=_time_or_none(started),
    )


def _time_or_none(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return parse_time(text)
    except ValueError:
        return None


def _run_result(document: dict[str, Any]) -> RunResult:
    return RunResult(
        pipelines=tuple(_pipeline(p) for p in document["pipelines"]),
        input_errors=tuple(InputError(Location(e["source"]["file"], e["source"]["line"]), e["message"]) for e in document["input_errors"]),
        generated_at=parse_time(document["generated_at"]),
        tool_version=document["tool"]["version"],
        notes=tuple(document["notes"]),
        severity_overrides={o["pattern"]: o["severity"] for o in document.get("severity_overrides", [])},
        context=_context(document.get("run")),
        previous=comparison_from(document["previous"]) if "previous" in document else None,
    )
