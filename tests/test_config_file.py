"""The configuration file through the CLI: found in the current directory or given with --config, validated
(every problem one `file:line: error:` line, exit 2), and its defaults under the command line's options."""

from __future__ import annotations

import pytest

from tests.tf_helpers import live_response, only, resource


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A Terraform root whose pipeline name comes from a variable, and live state for `web` with an extra tag."""
    infra = tmp_path / "infra"
    infra.mkdir()
    (infra / "main.tf").write_text('variable "pname" {\n  type = string\n}\n\n' + resource("p", '  name = var.pname\n  tags = { Team = "core" }\n'))
    (infra / "web.tfvars").write_text('pname = "web"\n')
    live_response(tmp_path / "live", "web", tags={"Team": "core", "aws-managed": "x"})
    live_response(tmp_path / "live", "other")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _errors(run) -> list[str]:
    return [line for line in run.stderr.splitlines() if line]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("paths: [infra]\nregoin: us-east-1\n", [".driftcheck.yaml:2: error: (top level): unknown key 'regoin'"]),
        ("paths: infra\n", [".driftcheck.yaml:1: error: paths: 'infra' is not of type 'array'"]),
        ("unmanaged: yes please\n", [".driftcheck.yaml:1: error: unmanaged: 'yes please' is not of type 'boolean'"]),
        ("ignore:\n  - fields: tags.*\n  - reason: ok\n    expires: soon\n", [
            ".driftcheck.yaml:2: error: ignore rule 1: 'reason' is a required property",
            ".driftcheck.yaml:4: error: ignore rule 2.expires: 'soon' is not a date YYYY-MM-DD",
        ]),
        ("ignore:\n  - reason: ok\n    expires: '2026-02-30'\n", [".driftcheck.yaml:3: error: ignore rule 1.expires: '2026-02-30' is not a valid date"]),
        ("ignore:\n  - reason: ok\n    colour: red\n", [".driftcheck.yaml:3: error: ignore rule 1: unknown key 'colour'"]),
        ("severity:\n  tags.*: urgent\n", [".driftcheck.yaml:2: error: severity.tags.*: 'urgent' is not one of ['high', 'medium', 'low']"]),
        ("reports:\n  json: a.json\n  pdf: a.pdf\n", [".driftcheck.yaml:3: error: reports: unknown format 'pdf'; expected one of "]),
        ("paths: [infra]\nfail_on: drifted:urgent\n", [".driftcheck.yaml:2: error: fail_on: 'drifted:urgent': unknown severity 'urgent'"]),
        ("paths: [infra\nregion: x\n", [".driftcheck.yaml:"]),
        ("region: a\nregion: b\n", ['.driftcheck.yaml:2: error: duplicate key "region" (first at line 1)']),
    ],
)
def test_bad_configuration_is_one_file_line_error_each_and_exit_2(cli, project, text, expected):
    (project / ".driftcheck.yaml").write_text(text)
    run = cli("check", "infra", "--live", "live")
    assert run.exit_code == 2
    errors = _errors(run)
    assert len(errors) == len(expected), errors
    for line, start in zip(errors, expected):
        assert line.startswith(start), errors
        assert ": error: " in line
    assert "Traceback" not in run.stderr and run.report is None


def test_config_given_with_option_and_a_missing_one(cli, project):
    (project / "ci.yaml").write_text("paths: [infra]\nregion: us-east-1\nvar_files: [infra/web.tfvars]\n")
    run = cli("check", "--config", "ci.yaml", "--live", "live")
    assert only(run)["name"] == "web" and run.exit_code == 1
    missing = cli("check", "infra", "--config", "nope.yaml", "--live", "live")
    assert missing.exit_code == 2 and _errors(missing) == ["nope.yaml: error: cannot read file: No such file or directory"]


def test_defaults_from_the_file_in_the_current_directory(cli, project):
    (project / ".driftcheck.yaml").write_text(
        "paths: [infra]\nregion: us-east-1\nvars:\n  pname: web\nunmanaged: true\nreports:\n  html: out/r.html\n  text: out/r.txt\n"
    )
    run = cli("check", "--live", "live")
    assert run.exit_code == 1
    assert {p["id"] for p in run.report["pipelines"]} == {"aws_imagebuilder_image_pipeline.p", f"arn:aws:imagebuilder:us-east-1:111122223333:image-pipeline/other"}
    assert run.pipeline("aws_imagebuilder_image_pipeline.p")["region"] == "us-east-1"
    assert run.report["summary"]["unmanaged"] == 1
    assert "<html" in (project / "out" / "r.html").read_text().lower()
    assert "DRIFTED" in (project / "out" / "r.txt").read_text()


def test_command_line_wins_over_the_file(cli, project):
    (project / "infra" / "other.tfvars").write_text('pname = "other"\n')
    (project / ".driftcheck.yaml").write_text(
        "paths: [nowhere]\nregion: eu-west-1\nvars: {pname: nothing}\nunmanaged: true\nreports: {json: out/r.json, text: out/r.txt}\n"
    )
    run = cli("check", "infra", "--region", "us-east-1", "--var", "pname=other", "--no-unmanaged", "--live", "live")
    entry = only(run)
    assert entry["name"] == "other" and entry["region"] == "us-east-1"  # only() : --no-unmanaged won too
    assert entry["status"] == "drifted" and run.exit_code == 1
    # --report json=FILE (the cli fixture's) replaces the file's json report; the file's other formats stay
    assert not (project / "out" / "r.json").exists() and (project / "out" / "r.txt").exists()
    # var_files on the command line replace the file's
    (project / ".driftcheck.yaml").write_text("paths: [infra]\nvar_files: [infra/web.tfvars]\n")
    assert only(cli("check", "--var-file", "infra/other.tfvars", "--live", "live"))["name"] == "other"
    assert only(cli("check", "--live", "live"))["name"] == "web"


def test_paths_in_a_config_elsewhere_are_relative_to_it(cli, project, monkeypatch):
    (project / "ci").mkdir()
    (project / "ci" / "driftcheck.yaml").write_text("paths: [../infra]\nvar_files: [../infra/web.tfvars]\n")
    monkeypatch.chdir(project / "infra")
    run = cli("check", "--config", "../ci/driftcheck.yaml", "--live", "../live")
    assert only(run)["name"] == "web"


def test_no_paths_anywhere_is_a_usage_error(cli, project):
    run = cli("check", "--live", "live")
    assert run.exit_code == 2 and "no PATH given" in run.stderr
