"""Saved responses (--live DIR) are held to the rules templates are: strict JSON, bounded, regular files only."""

from __future__ import annotations

import json
import os

import pytest

from tests.conftest import DEMO_TF


def saved(name: str = "prod-base-linux") -> dict:
    return {"imagePipeline": {"arn": f"arn:aws:imagebuilder:us-east-1:111122223333:image-pipeline/{name}", "name": name}}


@pytest.mark.parametrize("text, line, message", [
    ('{\n  "imagePipeline": {\n    "name": "a",\n    "arn": "x",\n    "name": "b"\n  }\n}\n', 5, "duplicate key 'name'"),
    ('{"imagePipeline": {"arn": "x", "name": "a",\n "timeoutMinutes": NaN}}', 2, "not a finite number"),
    ('{"imagePipeline": {"arn": "x", "name": "a",\n\n "t": -Infinity}}', 3, "not a finite number"),
    ('{"imagePipeline": {"arn": "x", "name": "a", "t": 1e999}}', 1, "number 1e999 is out of range"),
    ("\n" + "[" * 100_000, 2, "nesting deeper than 100 levels"),
    ('{"imagePipeline": {"arn": "x",\n "name": "a"', 2, "not valid JSON"),
])
def test_bad_saved_response_is_an_error_with_file_and_line(cli, terraform_live, text, line, message):
    bad = terraform_live / "bad.json"
    bad.write_text(text)
    run = cli("check", str(DEMO_TF), "--live", str(terraform_live))
    assert run.exit_code == 2
    assert f"{bad}:{line}: error: {message}" in run.stderr, run.stderr
    assert "RecursionError" not in run.stderr and "Traceback" not in run.stderr
    assert run.pipeline('aws_imagebuilder_image_pipeline.base')["status"] == "in_sync"   # the rest is still checked


def test_oversized_saved_response_is_refused(cli, terraform_live):
    big = terraform_live / "big.json"
    document = saved("big")
    document["imagePipeline"]["description"] = "x" * (5 * 1024 * 1024)
    big.write_text(json.dumps(document))
    run = cli("check", str(DEMO_TF), "--live", str(terraform_live))
    assert run.exit_code == 2 and f"{big}: error: file is " in run.stderr and "limited to 5242880 bytes" in run.stderr


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_skipped_with_a_note_never_opened(cli, terraform_live):
    os.mkfifo(terraform_live / "pipe.json")   # opening it for reading would block forever
    run = cli("check", str(DEMO_TF), "--live", str(terraform_live))
    assert run.exit_code == 1, run.stderr   # drift only: the FIFO is not an input error
    assert f"{terraform_live / 'pipe.json'}: skipped: not a regular file" in run.stderr


def test_symlink_loop_is_a_message_not_a_crash(cli, terraform_live, tmp_path):
    (terraform_live / "loop.json").symlink_to(terraform_live / "loop.json")
    run = cli("check", str(DEMO_TF), "--live", str(terraform_live))
    assert run.exit_code == 2 and f"{terraform_live / 'loop.json'}: error: cannot read: symbolic link loop" in run.stderr
    loop_dir = tmp_path / "dir-loop"
    loop_dir.symlink_to(loop_dir)
    run = cli("check", str(DEMO_TF), "--live", str(loop_dir))
    assert run.exit_code == 2 and "--live directory cannot be read" in run.stderr and "Traceback" not in run.stderr
