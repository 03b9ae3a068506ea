"""A run of one Terraform directory starts its evaluator child before the rest of driftcheck is imported and before
anything is parsed, with the very request the Terraform source makes later: one child per run, the same report.
Anything that could change the request (a configuration file, --var, --var-file, several paths) or make the child
block (a FIFO) leaves the start to the source, as before; and no early child outlives the run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

import driftcheck.sources.registry as registry
from driftcheck.sources.terraform import tfparse_process
from tests.fake_imagebuilder import FakeImageBuilder
from tests.tf_helpers import INFRA, RECIPE, resource

ARN = "arn:aws:imagebuilder:us-east-1:111122223333:image-pipeline/{}"
REAL_RUN = subprocess.run


def tree(root: Path, count: int = 3) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "main.tf").write_text("\n".join(resource(f"p{i}", f'  name = "p{i}"\n  status = "ENABLED"\n') for i in range(count)))
    return root


def live(fake, count: int = 3) -> None:
    for i in range(count):
        fake.add_pipeline({"arn": ARN.format(f"p{i}"), "name": f"p{i}", "status": "ENABLED", "imageRecipeArn": RECIPE,
                           "infrastructureConfigurationArn": INFRA})


def watch(monkeypatch) -> dict:
    """Record whether an evaluator child was under way when the sources were first asked, and how many were started."""
    seen = {"early": [], "children": 0}
    real_collect, real_start = registry.collect, tfparse_process._Prefetch.__init__

    def collect(*args, **kwargs):
        seen["early"].append(bool(tfparse_process._prefetched))
        return real_collect(*args, **kwargs)

    def start(self, *args, **kwargs):
        seen["children"] += 1
        real_start(self, *args, **kwargs)

    monkeypatch.setattr(registry, "collect", collect)
    monkeypatch.setattr(tfparse_process._Prefetch, "__init__", start)
    monkeypatch.setattr(tfparse_process.subprocess, "run", _no_second_child)
    return seen


def _no_second_child(*args, **kwargs):
    raise AssertionError(f"an evaluator child was started again: {args[0]!r:.200}")


def test_one_terraform_directory_starts_its_evaluation_first_and_uses_it(cli, tmp_path, monkeypatch):
    root = tree(tmp_path / "tf")
    with FakeImageBuilder() as fake:
        live(fake)
        seen = watch(monkeypatch)
        run = cli("check", str(root), "--endpoint-url", fake.url, "--region", "us-east-1")
    assert run.exit_code == 0, run.stderr
    assert seen == {"early": [True], "children": 1}  # started before the sources were asked, and that child answered
    assert run.report["summary"]["in_sync"] == 3
    assert tfparse_process._prefetched == {}


@pytest.mark.parametrize("case", ["a configuration file", "--var", "--var-file", "two paths", "a FIFO in the directory"])
def test_what_could_change_the_request_or_block_leaves_the_start_to_the_source(cli, tmp_path, monkeypatch, case):
    root = tree(tmp_path / "tf")
    (root / "variables.tf").write_text('variable "x" {\n  default = "0"\n}\n')
    extra: list[str] = []
    if case == "a configuration file":
        monkeypatch.chdir(tmp_path)
        (tmp_path / ".driftcheck.yaml").write_text(f"paths: [{root}]\n")
    elif case == "--var":
        extra = ["--var", "x=1"]
    elif case == "--var-file":
        (tmp_path / "v.tfvars").write_text('x = "1"\n')
        extra = ["--var-file", str(tmp_path / "v.tfvars")]
    elif case == "two paths":
        extra = [str(root / "main.tf")]  # a directory and a file in it: read once, but two paths
    else:
        os.mkfifo(root / "extra.auto.tfvars")  # Terraform would read it: the evaluator would block on it
    with FakeImageBuilder() as fake:
        live(fake)
        seen = watch(monkeypatch)
        monkeypatch.setattr(tfparse_process.subprocess, "run", REAL_RUN)  # the source starts its own child here
        run = cli("check", str(root), *extra, "--endpoint-url", fake.url, "--region", "us-east-1")
    assert seen["early"] == [False]
    if case == "a FIFO in the directory":
        assert run.exit_code == 2 and "not a regular file" in run.stderr
    else:
        assert run.exit_code == 0, run.stderr
        assert run.report["summary"]["in_sync"] == 3


def _children_marked(mark: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if mark.encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc to find the evaluator's child")
@pytest.mark.parametrize("entry", ["main", "run"])  # the click group, and the console script's quick exit around it
def test_an_early_evaluation_never_outlives_a_run_that_stops_before_it(tmp_path, entry):
    """The run stops on a bad --previous file before anything is parsed; the child evaluating a slow expression
    (fileset over the whole file system) is stopped with it."""
    root = tmp_path / "tf"
    root.mkdir()
    (root / "main.tf").write_text('locals {\n  everything = length(fileset("/", "**"))\n}\n')
    mark = f"DRIFTCHECK_TEST_MARK={uuid.uuid4()}"
    env = {**os.environ, mark.split("=")[0]: mark.split("=")[1], "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE0000000000",
           "AWS_SECRET_ACCESS_KEY": "x", "DRIFTCHECK_TF_TIMEOUT": "60"}
    try:
        done = REAL_RUN([sys.executable, "-c", f"from driftcheck.cli import {entry}; {entry}()", "check", str(root), "--previous", str(tmp_path / "missing.json"),
                               "--endpoint-url", "http://127.0.0.1:9", "--region", "us-east-1"],
                              capture_output=True, text=True, env=env, timeout=60)
        assert done.returncode == 2, done.stderr
        assert "missing.json" in done.stderr
        deadline = time.monotonic() + 10
        while _children_marked(mark) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _children_marked(mark) == []
    finally:
        for pid in _children_marked(mark):
            os.kill(pid, signal.SIGKILL)
