"""GitHub Actions annotations (--format github) and the CLI's GITHUB_ACTIONS / GITHUB_STEP_SUMMARY hook."""

from __future__ import annotations

import json
import re

import pytest

from driftcheck.model import Difference, Location, PipelineResult, RunResult, Status
from driftcheck.reports import ReportFormat
from driftcheck.reports.github import GitHubRenderer, annotations, escape_data, escape_property
from tests.conftest import DEMO_CFN, DEMO_LIVE, DEMO_PINNED, DEMO_TF
from tests.test_report_formats_common import HOSTILE, WHEN, ci_sample

COMMAND = re.compile(r"^::(error|warning|notice)( [^:]*)?::(.*)$")
DEMO = (str(DEMO_TF), str(DEMO_CFN.parent), str(DEMO_PINNED.parent), "--region", "us-east-1", "--live", str(DEMO_LIVE), "--unmanaged")


def parse_properties(text: str | None) -> dict[str, str]:
    if not text:
        return {}
    return dict(item.split("=", 1) for item in text.strip().split(","))


def unescape(text: str) -> str:
    return text.replace("%0D", "\r").replace("%0A", "\n").replace("%3A", ":").replace("%2C", ",").replace("%25", "%")


def commands(text: str) -> list[tuple[str, dict[str, str], str]]:
    """Every workflow command GitHub would run, honouring ::stop-commands::."""
    found = []
    stopped = None
    for line in text.splitlines():
        stripped = line.lstrip()
        if stopped is not None:
            if stripped == f"::{stopped}::":
                stopped = None
            continue
        if stripped.startswith("::stop-commands::"):
            stopped = stripped.removeprefix("::stop-commands::")
            continue
        match = COMMAND.match(stripped)
        if match:
            found.append((match.group(1), parse_properties(match.group(2)), match.group(3)))
        else:
            assert not stripped.startswith("::"), line
    assert stopped is None, "stop-commands never resumed"
    return found


def test_escaping_matches_the_toolkit() -> None:
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c%d\n") == "a%3Ab%2Cc%25d%0A"
    assert escape_data("a:b,c") == "a:b,c"


def test_one_annotation_per_finding_by_severity() -> None:
    found = commands(annotations(ci_sample()))
    by_title = {(props["title"], msg.split(" [")[0]): (cmd, props) for cmd, props, msg in found}
    assert len(found) == 7  # 4 differences, error, missing, unmanaged; ignored ones are no annotation
    assert by_title[("driftcheck/drift/executionRole", "b-nightly")] == ("error", {"file": "infra/main.tf", "line": "14", "title": "driftcheck/drift/executionRole"})
    assert by_title[("driftcheck/drift/schedule", "b-nightly")][0] == "warning"
    assert by_title[("driftcheck/drift/description", "b-nightly")] == ("notice", {"file": "infra/main.tf", "line": "12", "title": "driftcheck/drift/description"})
    assert by_title[("driftcheck/missing", "d-gone")] == ("error", {"file": "pipes.yaml", "line": "3", "title": "driftcheck/missing"})
    assert by_title[("driftcheck/unmanaged", "e-handmade")] == ("warning", {"title": "driftcheck/unmanaged"})
    assert by_title[("driftcheck/error", "c-broken")][0] == "error"
    assert not any("tags.Owner" in msg for _, _, msg in found)


def test_hostile_text_cannot_forge_commands_or_lines() -> None:
    evil = PipelineResult(
        "p", None, Status.DRIFTED, source=Location("dir,x:y%/a.tf", 3),
        differences=(Difference("description", HOSTILE, "x\n::error::forged", Location("dir,x:y%/a.tf", 4)),),
    )
    broken = PipelineResult("q", None, Status.ERROR, source=Location("::warning::file.tf", 1), error=HOSTILE)
    out = GitHubRenderer().render(RunResult((evil, broken), (), WHEN, "0.1.0"))
    found = commands(out)
    assert len(found) == 2
    cmd, props, message = next(c for c in found if "description" in c[2])
    assert cmd == "notice" and unescape(props["file"]) == "dir,x:y%/a.tf" and props["line"] == "4"
    assert "\n" not in unescape(message) and "\r" not in unescape(message) and "\x1b" not in message
    # the text report follows for the job log, but nothing in it is a command
    assert "DRIFTED    p" in out and "forged" in out


def test_whole_report_ends_with_the_text_report() -> None:
    out = GitHubRenderer().render(ci_sample())
    assert out.endswith("\n") and "a-base" in out
    assert len(commands(out)) == 7
    empty = GitHubRenderer().render(RunResult((), (), WHEN, "0.1.0"))
    assert commands(empty) == [] and "driftcheck: 0 pipelines" in empty


def test_demo_format_github(cli) -> None:
    run = cli("check", *DEMO, "--format", "github")
    assert run.exit_code == 1, run.stderr
    found = commands(run.stdout)
    expected = sum(len(p["differences"]) + (p["status"] in ("missing", "unmanaged", "error")) for p in run.report["pipelines"])
    assert len(found) == expected > 0
    for _, props, _ in found:
        if "file" in props:
            assert props["file"].endswith((".tf", ".yaml", ".yml", ".json")) and int(props["line"]) >= 1


@pytest.fixture
def actions(monkeypatch, tmp_path):
    summary = tmp_path / "step_summary.md"
    summary.write_text("earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    return summary


def test_in_actions_text_output_gets_annotations_and_a_job_summary(cli, actions) -> None:
    run = cli("check", *DEMO)
    assert run.exit_code == 1, run.stderr
    found = commands(run.stdout)
    assert len(found) == sum(len(p["differences"]) + (p["status"] != "in_sync" and p["status"] != "drifted") for p in run.report["pipelines"])
    assert "driftcheck: 7 pipelines" in run.stdout  # the normal report is still there
    summary = actions.read_text(encoding="utf-8")
    assert summary.startswith("earlier step\n## driftcheck: ")  # appended, not replaced
    assert f"| **total** | {run.report['summary']['total']} |" in summary
    again = cli("check", *DEMO)
    assert actions.read_text(encoding="utf-8").count("## driftcheck: ") == 2 and again.exit_code == 1


def test_in_actions_github_format_is_not_doubled(cli, actions) -> None:
    run = cli("check", *DEMO, "--format", "github")
    plain = cli("check", *DEMO, "--format", "sarif", "--output", str(actions.parent / "x.sarif"))
    assert len(commands(run.stdout)) == len(commands(plain.stdout)) > 0


def test_in_actions_a_machine_report_on_stdout_stays_parseable(cli, actions) -> None:
    run = cli("check", *DEMO, "--format", "sarif", json_report=False)
    assert run.exit_code == 1
    json.loads(run.stdout)
    assert len(commands(run.stderr)) > 0


def test_outside_actions_nothing_is_added(cli, monkeypatch, tmp_path) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    run = cli("check", *DEMO)
    assert run.exit_code == 1 and commands(run.stdout) == [] and not summary.exists()


def test_an_unwritable_job_summary_is_trouble_but_the_reports_are_written(cli, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(tmp_path))  # a directory
    target = tmp_path / "out.md"
    run = cli("check", *DEMO, "--report", f"markdown={target}")
    assert run.exit_code == 2 and "job summary" in run.stderr
    assert target.exists() and run.report is not None


def test_registered() -> None:
    assert ReportFormat("github").renderer() is GitHubRenderer
