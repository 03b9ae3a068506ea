"""Bounded work on hostile Terraform input, through the CLI: deep nesting, FIFOs, devices, symlink loops and
oversized files in module directories are messages with file:line, never a hang, a crash or lost pipelines."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import DEMO_LIVE

OK = 'resource "aws_imagebuilder_image_pipeline" "ok" {\n  name = "prod-base-linux"\n}\n'


def child(tmp_path: Path, name: str = "mod") -> Path:
    (tmp_path / name).mkdir()
    (tmp_path / name / "main.tf").write_text(f'resource "aws_imagebuilder_image_pipeline" "{name}" {{\n  name = "in-{name}"\n}}\n')
    with (tmp_path / "main.tf").open("a") as main:
        main.write(f'module "{name}" {{\n  source = "./{name}"\n}}\n')
    return tmp_path / name


def run_cli(tmp_path: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    """A real process with a time limit: a hang fails the test instead of stalling the suite."""
    return subprocess.run(
        [sys.executable, "-c", "from driftcheck.cli import main; main()", "check", str(tmp_path), "--live", str(DEMO_LIVE), "--region", "us-east-1", "--format", "json"],
        capture_output=True, text=True, timeout=timeout, env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    )


@pytest.mark.parametrize("where", ["root", "jsonencode", "child"])
def test_brackets_nested_500_deep_are_a_message_and_the_rest_is_checked(cli, tmp_path, where):
    deep = "[" * 500 + "]" * 500
    (tmp_path / "main.tf").write_text(OK)
    if where == "root":
        (tmp_path / "deep.tf").write_text(f"locals {{\n  x = {deep}\n}}\n")
        bad = tmp_path / "deep.tf"
    elif where == "jsonencode":
        (tmp_path / "deep.tf").write_text(f'resource "aws_imagebuilder_image_pipeline" "deep" {{\n  name = "d"\n  description = jsonencode({deep})\n}}\n')
        bad = tmp_path / "deep.tf"
    else:
        bad = child(tmp_path) / "deep.tf"
        bad.write_text(f"locals {{\n  x = {deep}\n}}\n")
    run = cli("check", str(tmp_path), "--live", str(DEMO_LIVE), "--region", "us-east-1")
    assert run.exit_code == 2
    assert f"{bad}:{3 if where == 'jsonencode' else 2}: error: nested more than 64 levels deep" in run.stderr
    assert "RecursionError" not in run.stderr + run.stdout
    statuses = {p["id"]: p["status"] for p in run.report["pipelines"]}
    assert statuses["aws_imagebuilder_image_pipeline.ok"] == "drifted"
    if where == "jsonencode":  # the deep file's own pipeline is an error entry, not lost
        assert statuses["aws_imagebuilder_image_pipeline.deep"] == "error"
    if where == "child":
        assert statuses["module.mod.aws_imagebuilder_image_pipeline.mod"] == "missing"


def test_a_fifo_in_a_child_module_is_a_message_not_a_hang(tmp_path):
    (tmp_path / "main.tf").write_text(OK)
    os.mkfifo(child(tmp_path) / "pipe.tf")
    done = run_cli(tmp_path)
    assert done.returncode == 2
    assert f"{tmp_path / 'mod' / 'pipe.tf'}: error: cannot read Terraform file: it is a FIFO (named pipe), not a regular file" in done.stderr
    assert '"module.mod.aws_imagebuilder_image_pipeline.mod"' in done.stdout  # reported as an error, not lost


def test_a_fifo_that_is_not_a_tf_file_does_not_block_the_working_copy(tmp_path):
    (tmp_path / "main.tf").write_text(OK + 'resource "aws_imagebuilder_image_pipeline" "c" {\n  count = 1\n  name = "c"\n}\n')
    os.mkfifo(tmp_path / "named-pipe")
    done = run_cli(tmp_path)
    assert '"aws_imagebuilder_image_pipeline.c[0]"' in done.stdout and done.returncode == 1


def test_dev_zero_as_a_tf_file_in_a_child_module_is_refused_without_reading_it(tmp_path):
    (tmp_path / "main.tf").write_text(OK)
    (child(tmp_path) / "zero.tf").symlink_to("/dev/zero")
    done = run_cli(tmp_path)
    assert done.returncode == 2
    assert "zero.tf: error: cannot read Terraform file: it is a character device, not a regular file" in done.stderr


def test_a_symlink_loop_between_two_tf_files_is_a_message(cli, tmp_path):
    (tmp_path / "main.tf").write_text(OK)
    mod = child(tmp_path)
    (mod / "a.tf").symlink_to("b.tf")
    (mod / "b.tf").symlink_to("a.tf")
    run = cli("check", str(tmp_path), "--live", str(DEMO_LIVE), "--region", "us-east-1")
    assert run.exit_code == 2
    assert f"{mod / 'a.tf'}: error: cannot read Terraform file: symlink loop" in run.stderr
    assert "internal error" not in run.stderr
    assert {p["id"]: p["status"] for p in run.report["pipelines"]}["aws_imagebuilder_image_pipeline.ok"] == "drifted"


def test_an_oversized_tf_file_in_a_child_module_is_refused(cli, tmp_path):
    (tmp_path / "main.tf").write_text(OK)
    big = child(tmp_path) / "big.tf"
    big.write_text("# padding\n" * 500_000)  # 5 MB
    run = cli("check", str(tmp_path), "--live", str(DEMO_LIVE), "--region", "us-east-1")
    assert run.exit_code == 2
    assert f"{big}: error: Terraform file is larger than 2097152 bytes" in run.stderr
    statuses = {p["id"]: p["status"] for p in run.report["pipelines"]}
    assert statuses == {"aws_imagebuilder_image_pipeline.ok": "drifted", "module.mod.aws_imagebuilder_image_pipeline.mod": "error"}


@pytest.mark.parametrize(
    ("expression", "setting", "message"),
    [
        ('length(fileset("/", "**"))', ("DRIFTCHECK_TF_TIMEOUT", "2"), "Terraform evaluation stopped after 2 s (driftcheck's limit, DRIFTCHECK_TF_TIMEOUT)"),
        ('length(fileset("/", "**"))', ("DRIFTCHECK_TF_MEMORY_MB", "1536"), "Terraform evaluation ran out of memory (1536 MB, driftcheck's limit, DRIFTCHECK_TF_MEMORY_MB)"),
    ],
)
def test_an_expression_that_makes_the_evaluator_run_away_is_stopped_and_reported(cli, tmp_path, monkeypatch, expression, setting, message):
    monkeypatch.setenv(*setting)
    if setting[0] == "DRIFTCHECK_TF_MEMORY_MB":
        monkeypatch.setenv("DRIFTCHECK_TF_TIMEOUT", "120")
    (tmp_path / "main.tf").write_text(f'locals {{\n  huge = {expression}\n}}\n\n' + OK)
    other = tmp_path / "other"
    other.mkdir()
    (other / "main.tf").write_text(OK.replace('"ok"', '"other"'))
    run = cli("check", str(tmp_path), str(other), "--live", str(DEMO_LIVE), "--region", "us-east-1")
    assert run.exit_code == 2
    assert f"{tmp_path}: error: {message}" in run.stderr
    statuses = {p["id"]: (p["status"], p["source"]["file"]) for p in run.report["pipelines"]}
    assert statuses["aws_imagebuilder_image_pipeline.ok"] == ("error", str(tmp_path / "main.tf"))  # not lost
    other_status = statuses["aws_imagebuilder_image_pipeline.other"]  # the other root is reported too
    if setting[0] == "DRIFTCHECK_TF_TIMEOUT":  # (under a tight memory limit a loaded machine may fail it as well)
        assert other_status == ("drifted", str(other / "main.tf"))
