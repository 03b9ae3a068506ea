"""`driftcheck compare OLD.json NEW.json` and `check --previous OLD.json`: drift that is new, resolved, persisting
(since when, chained over nightly runs) or unchecked, per pipeline and field path, and per status for missing,
unmanaged and error pipelines; as text, JSON (its own schema) and Markdown; exit 1 on new drift."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from driftcheck.cli import main
from driftcheck.reports.json_report import load_schema, validate_report
from tests.tf_helpers import ACCOUNT, live_response, resource

WEB = "aws_imagebuilder_image_pipeline.web"
API = "aws_imagebuilder_image_pipeline.api"
NIGHT1, NIGHT2 = "2026-11-28T02:00:00Z", "2026-11-29T02:00:00Z"


def run(*args: object):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def project(tmp_path, monkeypatch):
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "main.tf").write_text(
        resource("web", '  name = "web"\n  description = "app"\n  tags = { Team = "core" }\n')
        + resource("api", '  name = "api"\n  description = "api"\n  tags = { Team = "api" }\n'))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def night(project: Path, name: str, *extra: object, web: dict | None = None, api: dict | None = None, when: str | None = None) -> dict:
    """One nightly check with the given live state; writes NAME.json (backdated to ``when``) and returns it."""
    live = project / f"live-{name}"
    if web is not None:
        live_response(live, "web", **{"description": "app", "tags": {"Team": "core"}, **web})
    if api is not None:
        live_response(live, "api", **{"description": "api", **api, "tags": {"Team": "api", **api.get("tags", {})}})
    live.mkdir(exist_ok=True)
    report = project / f"{name}.json"
    result = run("check", "infra", "--region", "us-east-1", "--live", live, "--format", "json", "--output", report, *extra)
    assert result.exit_code in (0, 1, 2), result.stderr
    if when is not None:  # the run happened that night: its own date, and the date of what it saw first
        document = json.loads(report.read_text())
        document["generated_at"] = when
        for change in document.get("previous", {}).get("changes", []):
            if change["change"] == "new":
                change["since"] = when
        report.write_text(json.dumps(document))
    document = json.loads(report.read_text())
    validate_report(document)
    return document


def compare_json(old: Path, new: Path) -> tuple[int, dict]:
    result = run("compare", old, new, "--format", "json")
    assert result.exit_code in (0, 1), result.stderr
    document = json.loads(result.stdout)
    schema = json.loads(resources.files("driftcheck.schemas").joinpath("compare.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(document)
    return result.exit_code, document


def table(document: dict) -> set[tuple]:
    return {(c["change"], c["id"], c["path"] or c["status"], c["since"]) for c in document["changes"]}


def test_new_resolved_and_persisting_per_field(project) -> None:
    night(project, "one", web={"description": "changed"}, api={"tags": {"Extra": "1"}}, when=NIGHT1)
    two = night(project, "two", web={"status": "DISABLED"}, api={"tags": {"Extra": "1"}, "description": "edited"})
    code, document = compare_json(project / "one.json", project / "two.json")
    assert code == 1  # there is new drift
    assert table(document) == {
        ("new", WEB, "status", two["generated_at"]),
        ("new", API, "description", two["generated_at"]),
        ("resolved", WEB, "description", NIGHT1),
        ("persisting", API, "tags.Extra", NIGHT1),
    }
    assert document["counts"] == {"new": 2, "resolved": 1, "persisting": 1, "unchecked": 0}
    assert document["old"] == {"file": str(project / "one.json"), "generated_at": NIGHT1, "schema_version": "1.5"}
    new = next(c for c in document["changes"] if c["path"] == "status")
    assert (new["declared"], new["live"], new["account"], new["region"], new["kind"]) == ("ENABLED", "DISABLED", ACCOUNT, "us-east-1", "difference")
    assert [c["change"] for c in document["changes"]] == ["new", "new", "resolved", "persisting"]  # report order

    text = run("compare", project / "one.json", project / "two.json")
    assert text.exit_code == 1
    lines = text.stdout.splitlines()
    assert lines[0] == f"driftcheck compare: 2 new drifts since {NIGHT1} ({project / 'one.json'}): 1 resolved, 1 persisting"
    assert any(line.startswith("  PERSISTING  " + API) and f"since {NIGHT1}" in line and "tags.Extra: null -> \"1\"" in line for line in lines)
    markdown = run("compare", project / "one.json", project / "two.json", "--format", "markdown").stdout
    assert markdown.startswith(f"## Changes since <code>{NIGHT1.replace(':', ':')}</code>")
    assert f"| persisting | <code>{API.replace('_', '&#95;')} &#91;{ACCOUNT}/us-east-1&#93;</code> | <code>tags.Extra</code>" in markdown


def test_a_persisting_difference_whose_values_changed_says_what_they_were(project) -> None:
    night(project, "one", web={"description": "first"}, api={}, when=NIGHT1)
    night(project, "two", web={"description": "second"}, api={})
    _, document = compare_json(project / "one.json", project / "two.json")
    [change] = document["changes"]
    assert change["change"] == "persisting" and change["since"] == NIGHT1
    assert (change["live"], change["was"]) == ("second", {"declared": "app", "live": "first"})


def test_since_is_chained_over_three_nightly_runs_with_previous(project) -> None:
    night(project, "one", web={}, api={"tags": {"Extra": "1"}}, when=NIGHT1)
    two = night(project, "two", "--previous", project / "one.json", web={"status": "DISABLED"}, api={"tags": {"Extra": "1"}}, when=NIGHT2)
    assert two["previous"]["file"] == str(project / "one.json") and two["previous"]["generated_at"] == NIGHT1
    assert table(two["previous"]) == {("persisting", API, "tags.Extra", NIGHT1), ("new", WEB, "status", NIGHT2)}
    three = night(project, "three", "--previous", project / "two.json", web={"status": "DISABLED"}, api={"tags": {"Extra": "1"}})
    # the first-seen dates are carried: tags.Extra since night one (not night two), status since night two
    assert table(three["previous"]) == {("persisting", API, "tags.Extra", NIGHT1), ("persisting", WEB, "status", NIGHT2)}
    assert three["previous"]["counts"] == {"new": 0, "resolved": 0, "persisting": 2, "unchecked": 0}
    code, document = compare_json(project / "two.json", project / "three.json")
    assert code == 0 and table(document) == table(three["previous"])  # compare reads the same chain
    _, skipping = compare_json(project / "one.json", project / "three.json")
    assert ("new", WEB, "status", three["generated_at"]) in table(skipping)  # one.json never saw it


def test_check_previous_shows_the_changes_in_text_markdown_and_json(project) -> None:
    night(project, "one", web={"description": "changed"}, api={}, when=NIGHT1)
    live = project / "live-now"
    live_response(live, "web", description="app", tags={"Team": "core"}, status="DISABLED")
    live_response(live, "api", description="api", tags={"Team": "api"})
    markdown = project / "now.md"
    result = run("check", "infra", "--region", "us-east-1", "--live", live, "--previous", "one.json", "--report", f"markdown={markdown}")
    assert result.exit_code == 1, result.stderr  # --previous never changes the exit code
    lines = result.stdout.splitlines()
    assert lines[2] == f"1 new drift since {NIGHT1} (one.json): 1 resolved, 0 persisting"
    assert lines[3].startswith(f"  NEW         {WEB} [{ACCOUNT}/us-east-1]  status: \"ENABLED\" -> \"DISABLED\"")
    assert lines[4].startswith(f"  RESOLVED    {WEB} [{ACCOUNT}/us-east-1]  description: \"app\" -> \"changed\"") and f"first seen {NIGHT1}" in lines[4]
    md = markdown.read_text()
    assert f"### Changes since <code>{NIGHT1}</code>" in md and "**1 new drift** since" in md
    assert md.index("### Changes since") < md.index("### Pipelines needing attention")
    assert "one.json" in run("check", "infra", "--region", "us-east-1", "--live", live, "--previous", "one.json", "--format", "json").stdout


def test_check_previous_shows_the_changes_in_the_html_report(project) -> None:
    night(project, "one", web={"description": "changed"}, api={}, when=NIGHT1)
    live = project / "live-now"
    live_response(live, "web", description="app", tags={"Team": "core"}, status="<script>alert(1)</script>")
    live_response(live, "api", description="api", tags={"Team": "api"})
    html = project / "now.html"
    result = run("check", "infra", "--region", "us-east-1", "--live", live, "--previous", "one.json", "--report", f"html={html}")
    assert result.exit_code == 1, result.stderr
    page = html.read_text()
    section = page[page.index('<section id="changes"'):page.index('<section id="pipelines"')]
    assert f"1 new drift since {NIGHT1} (one.json): 1 resolved, 0 persisting" in section
    assert '<details class="changes" open>\n    <summary>new (1)' in section
    assert "<summary>resolved (1)" in section and "<summary>persisting (0)" in section
    assert f"{WEB} [{ACCOUNT}/us-east-1]" in section and f"first seen {NIGHT1}" in section
    assert "<script>alert" not in section and "&lt;script&gt;alert(1)&lt;/script&gt;" in section
    without = project / "plain.html"
    run("check", "infra", "--region", "us-east-1", "--live", live, "--report", f"html={without}")
    assert 'id="changes"' not in without.read_text()


def test_status_items_missing_unmanaged_and_error(project) -> None:
    night(project, "one", "--unmanaged", web={"description": "changed"}, api={"description": "changed"}, when=NIGHT1)
    live = project / "live-two"
    live_response(live, "orphan")  # a live pipeline nothing declares
    live_response(live, "api")
    twin = (live / "us-east-1__api.json").read_text().replace(":image-pipeline/api", ":image-pipeline/api-twin")
    (live / "us-east-1__api-twin.json").write_text(twin)  # two live pipelines answer to the name: an error
    report = project / "two.json"
    assert run("check", "infra", "--region", "us-east-1", "--live", live, "--unmanaged", "--format", "json", "--output", report).exit_code == 2
    code, document = compare_json(project / "one.json", report)
    assert code == 1
    found = {(c["change"], c["id"], c["path"] or c["status"]) for c in document["changes"]}
    orphan = f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:image-pipeline/orphan"
    assert found == {
        ("new", WEB, "missing"), ("new", API, "error"), ("new", orphan, "unmanaged"),
        ("new", orphan.replace("orphan", "api"), "unmanaged"), ("new", orphan.replace("orphan", "api-twin"), "unmanaged"),
        ("unchecked", WEB, "description"), ("unchecked", API, "description"),  # neither resolved nor persisting
    }
    details = {(c["id"], c["change"]): c["detail"] for c in document["changes"]}
    assert details[(WEB, "unchecked")] == "not compared in the newer run: the pipeline is missing"
    assert details[(API, "unchecked")].startswith("not compared in the newer run: ")
    assert details[(API, "new")] and details[(API, "new")] == next(p["error"] for p in json.loads(report.read_text())["pipelines"] if p["id"] == API)
    assert all(c["kind"] == "status" and c["declared"] is None for c in document["changes"] if c["path"] is None)
    # and back: the missing pipeline and the error are resolved once both are checked again
    three = night(project, "three", web={}, api={})
    assert three["summary"]["in_sync"] == 2
    _, back = compare_json(report, project / "three.json")
    assert {(c["change"], c["id"], c["path"] or c["status"]) for c in back["changes"]} == {
        ("resolved", WEB, "missing"), ("resolved", API, "error"),
        ("resolved", orphan.replace("orphan", "api"), "unmanaged"),  # declared (and read) again: managed
        *{("unchecked", orphan.replace("orphan", name), "unmanaged") for name in ("orphan", "api-twin")}}


def test_a_pipeline_absent_from_the_newer_report_is_unchecked(project) -> None:
    night(project, "one", web={"description": "changed"}, api={}, when=NIGHT1)
    (project / "infra" / "main.tf").write_text(resource("api", '  name = "api"\n  description = "api"\n  tags = { Team = "api" }\n'))
    night(project, "two", api={})
    code, document = compare_json(project / "one.json", project / "two.json")
    assert code == 0
    [change] = document["changes"]
    assert (change["change"], change["id"], change["detail"]) == ("unchecked", WEB, "the pipeline is not in the newer report")
    assert "0 new drifts since" in run("compare", project / "one.json", project / "two.json").stdout


def test_bad_input_exits_2_with_one_line(project) -> None:
    night(project, "one", web={}, api={})
    (project / "broken.json").write_text("[1, 2")
    result = run("compare", "one.json", "broken.json")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == "driftcheck: error: broken.json:1: not JSON: Expecting ',' delimiter\n"


def test_the_change_entry_is_defined_alike_in_both_schemas() -> None:
    compare = json.loads(resources.files("driftcheck.schemas").joinpath("compare.schema.json").read_text())
    report = load_schema()
    for name in ("change", "changeCounts", "time", "location", "optionalLocation", "status", "count"):
        assert compare["$defs"][name] == report["$defs"][name], name


def test_the_documented_compare_example_matches_its_schema() -> None:
    docs = (Path(__file__).resolve().parent.parent / "docs" / "report-formats.md").read_text(encoding="utf-8")
    section = docs.split("\n## compare\n", 1)[1].split("\n## ", 1)[0]
    example = json.loads(section.split("```json\n", 1)[1].split("```", 1)[0])
    schema = json.loads(resources.files("driftcheck.schemas").joinpath("compare.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(example)
    for key in schema["$defs"]["change"]["properties"]:
        assert f"`{key}`" in section or f", `{key}`" in section or f"{key}`" in section, key


HOSTILE = "<script>alert(1)</script>\x1b]0;pwned\x07\u202eevil\n@team | `x`"


def test_hostile_values_in_compared_reports_are_shown_safely(project) -> None:
    night(project, "one", web={}, api={}, when=NIGHT1)
    document = night(project, "two", web={"description": "changed"}, api={})
    pipeline = next(p for p in document["pipelines"] if p["id"] == WEB)
    pipeline["id"] = HOSTILE
    pipeline["differences"][0]["path"] = f"tags.{HOSTILE}"
    pipeline["differences"][0]["live"] = {HOSTILE: HOSTILE}
    (project / "two.json").write_text(json.dumps(document))
    text = run("compare", "one.json", "two.json").stdout
    markdown = run("compare", "one.json", "two.json", "--format", "markdown").stdout
    for out in (text, markdown):
        assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert len(text.splitlines()) == 2  # the headline and the one change: the newline inside the id forges no line
    assert "<script>" not in markdown and "@team" not in markdown and "| `x`" not in markdown
    _, as_json = compare_json(project / "one.json", project / "two.json")
    assert any(c["id"] == HOSTILE for c in as_json["changes"])  # kept exactly in JSON
