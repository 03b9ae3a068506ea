"""Bad input through the CLI: one clear line with file:line, exit 2, no traceback, nothing else lost."""

from __future__ import annotations

import json

from tests.conftest import DEMO_LIVE, DEMO_TF

GOOD_TF = (
    'resource "aws_imagebuilder_image_pipeline" "good" {\n'
    '  name = "prod-base-linux"\n'
    '  description = "Monthly patched Amazon Linux 2023 base image"\n'
    "}\n"
)


def assert_clean_failure(run) -> None:
    assert run.exit_code == 2, (run.stdout, run.stderr)
    assert "Traceback" not in run.stdout + run.stderr
    assert run.exception is None or isinstance(run.exception, SystemExit)


def test_bad_hcl_names_file_and_line_and_keeps_the_other_files(cli, tmp_path):
    (tmp_path / "good.tf").write_text(GOOD_TF)
    (tmp_path / "broken.tf").write_text('resource "aws_imagebuilder_image_pipeline" "b" {\n  name = "x"\n  description = \n}\n')
    run = cli("check", str(tmp_path), "--live", str(DEMO_LIVE))
    assert_clean_failure(run)
    assert f"{tmp_path / 'broken.tf'}:3: error:" in run.stderr
    assert run.report["input_errors"] == [
        {"source": {"file": str(tmp_path / "broken.tf"), "line": 3}, "message": run.report["input_errors"][0]["message"]}
    ]
    assert "expression" in run.report["input_errors"][0]["message"].lower()
    good = [p for p in run.report["pipelines"] if p["id"] == "aws_imagebuilder_image_pipeline.good"]
    assert good and good[0]["status"] == "drifted"  # checked all the same


def test_two_broken_files_are_both_reported(cli, tmp_path):
    (tmp_path / "a.tf").write_text('resource "x" "y" {\n  a = \n}\n')
    (tmp_path / "b.tf").write_text('resource "x" "z" {\n\n  name = "unterminated\n}\n')
    run = cli("check", str(tmp_path), "--live", str(DEMO_LIVE))
    assert_clean_failure(run)
    files = {e["source"]["file"]: e["source"]["line"] for e in run.report["input_errors"]}
    assert files == {str(tmp_path / "a.tf"): 2, str(tmp_path / "b.tf"): 3}


def test_missing_path_is_an_input_error_and_other_paths_still_run(cli, tmp_path):
    run = cli("check", str(tmp_path / "nope"), str(DEMO_TF), "--live", str(DEMO_LIVE))
    assert_clean_failure(run)
    assert run.report["input_errors"][0]["source"]["file"] == str(tmp_path / "nope")
    assert run.report["summary"]["total"] == 4


def test_bad_saved_response_names_file_and_line(cli, tmp_path):
    live = tmp_path / "live"
    live.mkdir()
    for path in DEMO_LIVE.glob("*.json"):
        (live / path.name).write_text(path.read_text())
    (live / "broken.json").write_text('{\n  "imagePipeline": {\n    "arn": oops\n  }\n}\n')
    run = cli("check", str(DEMO_TF), "--live", str(live))
    assert_clean_failure(run)
    assert f"{live / 'broken.json'}:3: error: not valid JSON" in run.stderr
    assert run.report["summary"]["drifted"] == 2


def test_malformed_state_is_one_line_with_file_and_line(cli, tmp_path):
    state = tmp_path / "bad.tfstate"
    state.write_text('{"version": 4,\n "resources": [\n}')
    run = cli("check", str(DEMO_TF), "--live", str(DEMO_LIVE), "--state", str(state))
    assert_clean_failure(run)
    assert run.stderr.strip().count("\n") == 0
    assert run.stderr.startswith(f"{state}:3: error: state file is not valid JSON: ")
    assert run.report["summary"]["total"] == 4  # the rest of the run is still checked and reported


def test_debug_shows_the_traceback(cli, tmp_path):
    state = tmp_path / "bad.tfstate"
    state.write_text("[]")
    run = cli("check", str(DEMO_TF), "--live", str(DEMO_LIVE), "--state", str(state), "--debug")
    assert run.exit_code == 2
    assert "Traceback" in run.stderr


def test_bad_var_syntax_is_a_usage_error(cli):
    run = cli("check", str(DEMO_TF), "--live", str(DEMO_LIVE), "--var", "novalue")
    assert_clean_failure(run)
    assert "NAME=VALUE" in run.stderr


def test_bad_tfvars_names_the_file(cli, tmp_path):
    tfvars = tmp_path / "bad.tfvars"
    tfvars.write_text('environment = "prod"\napps = {\n')
    run = cli("check", str(DEMO_TF), "--live", str(DEMO_LIVE), "--var-file", str(tfvars))
    assert_clean_failure(run)
    assert str(tfvars) in run.stderr


def test_json_and_html_reports_written_together(cli, tmp_path, terraform_live):
    html = tmp_path / "out" / "drift.html"
    run = cli("check", str(DEMO_TF), "--live", str(terraform_live), "--unmanaged", "--report", f"html={html}", "--format", "json")
    assert run.exit_code == 1
    assert json.loads(run.stdout)["summary"] == run.report["summary"]
    page = html.read_text()
    assert "&lt;b&gt;hotfix: pinned 1.8.2&lt;/b&gt;" in page and "<b>hotfix" not in page


def test_text_report_has_no_colour_when_not_a_tty(cli):
    run = cli("check", str(DEMO_TF), "--live", str(DEMO_LIVE))
    assert "\x1b[" not in run.stdout
    assert "2 drifted" in run.stdout and "DRIFTED" in run.stdout


class _Tty:
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_tty_and_never_with_no_color(monkeypatch):
    from driftcheck.cli.common import use_color as _use_color

    assert _use_color(_Tty()) is True
    monkeypatch.setenv("NO_COLOR", "1")
    assert _use_color(_Tty()) is False
    monkeypatch.delenv("NO_COLOR")
    assert _use_color(object()) is False
