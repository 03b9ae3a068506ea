"""Tests for the report layer: registry, text, JSON (+ schema) and HTML renderers."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import jsonschema
import pytest

from driftcheck.errors import DriftcheckError
from driftcheck.frozen import freeze
from driftcheck.model import (
    Difference,
    InputError,
    Location,
    PipelineResult,
    RunResult,
    Status,
    UnresolvedField,
)
from driftcheck.reports import ReportFormat
from driftcheck.reports.html import HtmlRenderer
from driftcheck.reports.json_report import JsonRenderer
from driftcheck.reports.text import TextRenderer
from driftcheck.reports.base import STATUS_ORDER, Renderer
from driftcheck.reports.json_report import build_document, load_schema, validate_report

ANSI = re.compile(r"\x1b\[[0-9;]*m")
PAYLOAD = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
WHEN = datetime(2025, 3, 4, 5, 6, 7, 890, tzinfo=UTC)


def drifted() -> PipelineResult:
    return PipelineResult(
        id="b-nightly",
        name="Nightly AMI",
        status=Status.DRIFTED,
        arn="arn:aws:imagebuilder:us-east-1:111122223333:image-pipeline/nightly",
        region="us-east-1",
        source=Location("infra/main.tf", 12),
        differences=(
            Difference("schedule.scheduleExpression", "cron(0 0 * * ? *)", "cron(0 1 * * ? *)", Location("infra/main.tf", 15)),
            Difference(
                "imageTestsConfiguration",
                freeze({"imageTestsEnabled": True, "timeoutMinutes": 60, "extra": [1, {"b": 2, "a": 1}]}),
                freeze({"imageTestsEnabled": False, "timeoutMinutes": 60}),
                Location("infra/main.tf", 20),
            ),
            Difference("description", "x" * 500, None, None),
        ),
        unresolved=(
            UnresolvedField("tags.Owner", "depends on var.owner"),
            UnresolvedField("enhancedImageMetadataEnabled", "depends on data.aws_ssm_parameter.flag"),
        ),
        notes=("schedule timezone defaulted to UTC",),
    )


def sample() -> RunResult:
    return RunResult(
        pipelines=(
            PipelineResult("a-base", "Base", Status.IN_SYNC, region="us-east-1", source=Location("infra/main.tf", 1)),
            drifted(),
            PipelineResult("c-broken", "Broken", Status.ERROR, region="eu-west-1", error="AccessDeniedException: not allowed"),
            PipelineResult("d-gone", "Gone", Status.MISSING, region="us-east-1", source=Location("pipes.yaml", 3)),
            PipelineResult("e-handmade", "Handmade", Status.UNMANAGED, arn="arn:aws:imagebuilder:eu-west-1:1:image-pipeline/e", region="eu-west-1", notes=("created in the console",)),
            PipelineResult("a-base", "Base", Status.IN_SYNC, region="eu-west-1", source=Location("infra/main.tf", 1)),
        ),
        input_errors=(
            InputError(Location("infra/vars.tfvars", 4), "unexpected token"),
            InputError(Location("broken.tf"), "cannot parse"),
        ),
        generated_at=WHEN,
        tool_version="0.1.0",
    )


# --- registry ---------------------------------------------------------------------------------


def test_registry_choices_and_classes() -> None:
    assert ReportFormat.choices()[:3] == ["text", "json", "html"]  # then the CI formats (tests/test_report_formats_*.py)
    assert ReportFormat("json").renderer() is JsonRenderer
    assert ReportFormat.TEXT.renderer() is TextRenderer
    assert ReportFormat.HTML.renderer() is HtmlRenderer


@pytest.mark.parametrize("fmt", list(ReportFormat))
def test_every_format_renders(fmt: ReportFormat) -> None:
    renderer_cls = fmt.renderer()
    assert issubclass(renderer_cls, Renderer)
    for result in (sample(), RunResult((), (), WHEN, "0.1.0")):
        out = renderer_cls().render(result, color=False)
        assert isinstance(out, str) and out.endswith("\n")
        # every report mentions in-sync pipelines too, except GitLab Code Quality, which by its format lists issues only
        assert "a-base" in out or not result.pipelines or fmt is ReportFormat.CODEQUALITY
        if fmt is ReportFormat.CODEQUALITY:
            assert out.startswith("[") and ("b-nightly" in out or not result.pipelines)


def test_status_order_covers_every_status() -> None:
    assert sorted(STATUS_ORDER) == sorted(Status) and len(STATUS_ORDER) == len(Status)


# --- JSON -------------------------------------------------------------------------------------


def test_json_validates_and_has_documented_keys() -> None:
    out = JsonRenderer().render(sample())
    assert out.endswith("}\n")
    doc = json.loads(out)
    validate_report(doc)
    assert list(doc) == ["generated_at", "input_errors", "notes", "pipelines", "schema_version", "summary", "tool"]
    assert doc["schema_version"] == "1.5"
    assert doc["tool"] == {"name": "driftcheck", "version": "0.1.0"}
    assert doc["generated_at"] == "2025-03-04T05:06:07Z"
    assert doc["summary"] == {"in_sync": 2, "drifted": 1, "missing": 1, "unmanaged": 1, "error": 1, "input_errors": 2, "total": 6}
    assert [(p["id"], p["region"]) for p in doc["pipelines"]] == [
        ("a-base", "eu-west-1"), ("a-base", "us-east-1"), ("b-nightly", "us-east-1"),
        ("c-broken", "eu-west-1"), ("d-gone", "us-east-1"), ("e-handmade", "eu-west-1"),
    ]
    assert doc["input_errors"] == [
        {"source": {"file": "broken.tf", "line": None}, "message": "cannot parse"},
        {"source": {"file": "infra/vars.tfvars", "line": 4}, "message": "unexpected token"},
    ]


def test_json_pipeline_shape() -> None:
    doc = build_document(sample())
    pipe = next(p for p in doc["pipelines"] if p["id"] == "b-nightly")
    assert sorted(pipe) == sorted(
        ["id", "name", "arn", "account", "region", "source", "source_kind", "status", "differences", "ignored", "unresolved", "unresolved_reasons", "error", "notes"]
    )
    assert pipe["status"] == "drifted"
    assert pipe["source"] == {"file": "infra/main.tf", "line": 12}
    assert [d["path"] for d in pipe["differences"]] == ["description", "imageTestsConfiguration", "schedule.scheduleExpression"]
    nested = pipe["differences"][1]
    assert sorted(nested) == ["declared", "live", "path", "source"]
    assert nested["declared"] == {"imageTestsEnabled": True, "timeoutMinutes": 60, "extra": [1, {"b": 2, "a": 1}]}
    assert type(nested["declared"]) is dict and type(nested["declared"]["extra"]) is list
    assert pipe["differences"][0]["source"] is None and pipe["differences"][0]["live"] is None
    assert pipe["unresolved"] == ["enhancedImageMetadataEnabled", "tags.Owner"]
    assert pipe["unresolved_reasons"] == {"tags.Owner": "depends on var.owner", "enhancedImageMetadataEnabled": "depends on data.aws_ssm_parameter.flag"}
    assert pipe["notes"] == ["schedule timezone defaulted to UTC"]
    assert pipe["error"] is None
    broken = next(p for p in doc["pipelines"] if p["id"] == "c-broken")
    assert broken["error"] == "AccessDeniedException: not allowed" and broken["source"] is None and broken["name"] == "Broken"


def test_json_is_stable_regardless_of_input_order() -> None:
    result = sample()
    reordered = dataclasses.replace(
        result,
        pipelines=tuple(reversed(result.pipelines[:1] + (dataclasses.replace(drifted(), differences=tuple(reversed(drifted().differences))),) + result.pipelines[2:])),
        input_errors=tuple(reversed(result.input_errors)),
    )
    first = JsonRenderer().render(result)
    assert first == JsonRenderer().render(result)
    assert first == JsonRenderer().render(reordered)
    assert first == json.dumps(json.loads(first), sort_keys=True, indent=2) + "\n"


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        (datetime(2025, 1, 1, 12, 0, 0, tzinfo=timezone(timedelta(hours=2))), "2025-01-01T10:00:00Z"),
        (datetime(2025, 1, 1, 12, 0, 0), "2025-01-01T12:00:00Z"),
    ],
)
def test_json_generated_at_is_utc(moment: datetime, expected: str) -> None:
    assert build_document(RunResult((), (), moment, "1"))["generated_at"] == expected


def test_schema_is_valid_and_matches_model() -> None:
    schema = load_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$id"] and schema["title"]
    assert set(schema["$defs"]["status"]["enum"]) == {s.value for s in Status}
    assert set(schema["properties"]["summary"]["required"]) == set(sample().summary())
    assert set(schema["required"]) == set(build_document(sample()))


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d["pipelines"][0].update(status="sideways"),
        lambda d: d.update(extra=1),
        lambda d: d["pipelines"][0].pop("notes"),
        lambda d: d.update(schema_version="2.0"),
        lambda d: d.update(generated_at="2025-03-04 05:06:07"),
        lambda d: d["input_errors"][0].update(source=None),
        lambda d: d["pipelines"][2]["differences"][0].update(colour="red"),
    ],
)
def test_validate_report_rejects_bad_documents(mutate: Any) -> None:
    doc = build_document(sample())
    mutate(doc)
    with pytest.raises(DriftcheckError) as info:
        validate_report(doc)
    assert "\n" not in str(info.value) and "schema" in str(info.value)


# --- text -------------------------------------------------------------------------------------


def text_lines(color: bool = False) -> list[str]:
    return TextRenderer().render(sample(), color=color).splitlines()


def test_text_layout() -> None:
    lines = text_lines()
    assert lines[0] == "driftcheck: 6 pipelines: 1 error, 1 missing, 1 drifted, 1 unmanaged, 2 in sync; 2 input errors"
    heads = [line for line in lines if line and not line.startswith(" ")]
    assert heads == [
        lines[0],
        'ERROR      c-broken  "Broken"  [eu-west-1]',
        'MISSING    d-gone  "Gone"  [us-east-1]  pipes.yaml:3',
        'DRIFTED    b-nightly  "Nightly AMI"  [us-east-1]  infra/main.tf:12',
        'UNMANAGED  e-handmade  "Handmade"  [eu-west-1]',
        "in sync (2): a-base [eu-west-1], a-base [us-east-1]",
        "input errors (2):",
    ]
    assert "    error: AccessDeniedException: not allowed" in lines
    assert '    schedule.scheduleExpression: "cron(0 0 * * ? *)" -> "cron(0 1 * * ? *)"  (infra/main.tf:15)' in lines
    assert (
        '    imageTestsConfiguration: {"extra": [1, {"a": 1, "b": 2}], "imageTestsEnabled": true, "timeoutMinutes": 60}'
        ' -> {"imageTestsEnabled": false, "timeoutMinutes": 60}  (infra/main.tf:20)'
    ) in lines
    assert "    unresolved tags.Owner: depends on var.owner" in lines
    assert "    note: schedule timezone defaulted to UTC" in lines
    assert "    note: created in the console" in lines
    assert lines[-2:] == ["  broken.tf: cannot parse", "  infra/vars.tfvars:4: unexpected token"]


def test_text_truncates_long_values() -> None:
    line = next(line for line in text_lines() if line.startswith("    description: "))
    assert line == '    description: "' + "x" * 116 + "... -> null"


def test_text_sorts_by_id_within_status() -> None:
    result = RunResult(
        (PipelineResult("zeta", None, Status.DRIFTED), PipelineResult("alpha", None, Status.DRIFTED)), (), WHEN, "1"
    )
    out = TextRenderer().render(result)
    assert out.index("alpha") < out.index("zeta")


def test_text_colour_only_when_asked() -> None:
    plain = TextRenderer().render(sample(), color=False)
    coloured = TextRenderer().render(sample(), color=True)
    assert "\x1b" not in plain
    assert ANSI.search(coloured)
    assert ANSI.sub("", coloured) == plain


def test_text_neutralises_control_characters_from_data() -> None:
    hostile = PipelineResult("p\x1b[2J", "n\x1b[31m", Status.ERROR, error="bad\x1b]0;title\x07", notes=("a\nb\x1b[0m",))
    out = TextRenderer().render(RunResult((hostile,), (InputError(Location("f\x1b.tf", 1), "m\x1b"),), WHEN, "1"))
    assert "\x1b" not in out and "\x07" not in out
    assert "    note: a\\nb\\x1b[0m" in out  # a newline is shown, never a new line


# --- HTML -------------------------------------------------------------------------------------


def with_payload(where: str) -> RunResult:
    """The sample run with PAYLOAD placed in exactly one untrusted field."""
    base = drifted()
    diff = base.differences[0]
    changes: dict[str, PipelineResult] = {
        "id": dataclasses.replace(base, id=PAYLOAD),
        "name": dataclasses.replace(base, name=PAYLOAD),
        "arn": dataclasses.replace(base, arn=PAYLOAD),
        "region": dataclasses.replace(base, region=PAYLOAD),
        "source_file": dataclasses.replace(base, source=Location(PAYLOAD, 1)),
        "path": dataclasses.replace(base, differences=(dataclasses.replace(diff, path=PAYLOAD),)),
        "declared": dataclasses.replace(base, differences=(dataclasses.replace(diff, declared=freeze({"Description": PAYLOAD})),)),
        "live_key": dataclasses.replace(base, differences=(dataclasses.replace(diff, live=freeze({PAYLOAD: [PAYLOAD]})),)),
        "diff_file": dataclasses.replace(base, differences=(dataclasses.replace(diff, source=Location(PAYLOAD, 2)),)),
        "unresolved_path": dataclasses.replace(base, unresolved=(UnresolvedField(PAYLOAD, "r"),)),
        "unresolved_reason": dataclasses.replace(base, unresolved=(UnresolvedField("p", PAYLOAD),)),
        "error": dataclasses.replace(base, status=Status.ERROR, error=PAYLOAD),
        "note": dataclasses.replace(base, notes=(PAYLOAD,)),
        "in_sync_name": dataclasses.replace(base, status=Status.IN_SYNC, differences=(), name=PAYLOAD),
        "in_sync_note": dataclasses.replace(base, status=Status.IN_SYNC, differences=(), notes=(PAYLOAD,)),
    }
    result = sample()
    if where == "input_file":
        return dataclasses.replace(result, input_errors=(InputError(Location(PAYLOAD, 1), "m"),))
    if where == "input_message":
        return dataclasses.replace(result, input_errors=(InputError(Location("f.tf", 1), PAYLOAD),))
    if where == "tool_version":
        return dataclasses.replace(result, tool_version=PAYLOAD)
    return dataclasses.replace(result, pipelines=(changes[where], *result.pipelines))


ESCAPE_PLACES = [
    "id", "name", "arn", "region", "source_file", "path", "declared", "live_key", "diff_file",
    "unresolved_path", "unresolved_reason", "error", "note", "in_sync_name", "in_sync_note",
    "input_file", "input_message", "tool_version",
]


@pytest.mark.parametrize("where", ESCAPE_PLACES)
def test_html_escapes_untrusted_text(where: str) -> None:
    html = HtmlRenderer().render(with_payload(where))
    assert html.lower().count("<script") == 1  # the report's own, inline one
    assert ESCAPED in re.sub(r"<wbr>|</?span( class=\"tail\")?>", "", html)  # file names may wrap after a "/"


def test_html_is_self_contained() -> None:
    html = HtmlRenderer().render(sample())
    lowered = html.lower()
    for forbidden in ("http://", "https://", "<link", "src=", "@import", "url("):
        assert forbidden not in lowered, forbidden
    assert lowered.count("<script") == 1 and "<script>" in lowered  # one inline script, allowed by its hash
    assert lowered.startswith("<!doctype html>")
    assert "<style>" in html


def test_html_layout() -> None:
    html = re.sub(r"<wbr>|<span class=\"tail\">", "", HtmlRenderer().render(sample()))  # file names may wrap after a "/"
    assert "2025-03-04T05:06:07Z" in html and "driftcheck 0.1.0" in html
    order = [html.index(f'<span class="mono">{pid}</span>') for pid in ("c-broken", "d-gone", "b-nightly", "e-handmade")]
    assert order == sorted(order)
    assert order[-1] < html.index('id="status=in_sync"') < html.index("Input errors (2)")
    for status in ("error", "missing", "drifted", "unmanaged"):
        assert f'<span class="badge {status}">{status}</span>' in html
    assert '<span class="badge in_sync">in sync</span>' in html
    assert '<th scope="col">Path</th><th scope="col">Declared</th><th scope="col">Live</th><th scope="col">Source</th>' in html
    assert '<pre class="v">{\n<del>  &#34;extra&#34;: [\n    1,' in html  # a removed key, marked
    assert "depends on var.owner" in html and "created in the console" in html
    assert "AccessDeniedException: not allowed" in html
    assert "infra/vars.tfvars:4" in html and "unexpected token" in html


def test_html_template_environment_forces_autoescape() -> None:
    from driftcheck.reports.html import environment

    assert environment().autoescape is True


def test_text_shows_in_sync_pipelines_with_unresolved_values_in_full() -> None:
    """'in sync' alone would overstate a pipeline whose values were partly not compared."""
    partial = PipelineResult(
        id="f-partial", name="Partial", status=Status.IN_SYNC, region="us-east-1",
        unresolved=(UnresolvedField("imageRecipeArn", "Ref to resource Recipe: pass --stack"),),
    )
    result = dataclasses.replace(sample(), pipelines=sample().pipelines + (partial,))
    lines = TextRenderer().render(result, color=False).splitlines()
    assert 'IN_SYNC    f-partial  "Partial"  [us-east-1]' in lines
    assert "    unresolved imageRecipeArn: Ref to resource Recipe: pass --stack" in lines
    assert "in sync (2): a-base [eu-west-1], a-base [us-east-1]" in lines  # the fully checked ones stay compact
