"""The evaluator's child starts while the syntax index is built (a root that needs no working copy): its answer is
used only for exactly the request it was started with, and a child nobody asks for is stopped."""

from __future__ import annotations

import subprocess

from driftcheck.sources.terraform import tfparse_process
from tests.tf_helpers import live_response, only, resource


def _no_second_run(monkeypatch) -> list[list[str]]:
    """Record every evaluator child started the ordinary way (after the syntax index)."""
    started: list[list[str]] = []
    real = subprocess.run

    def run(args, *rest, **kwargs):
        started.append(list(args))
        return real(args, *rest, **kwargs)

    monkeypatch.setattr(tfparse_process.subprocess, "run", run)
    return started


def test_a_plain_root_is_evaluated_once_by_the_child_started_early(cli, tmp_path, monkeypatch):
    (tmp_path / "main.tf").write_text(resource("p", '  name = "web"\n  tags = { Team = "a" }\n'))
    live_response(tmp_path / "live", "web", tags={"Team": "b"})
    later = _no_second_run(monkeypatch)
    run = cli("check", str(tmp_path), "--live", str(tmp_path / "live"), "--region", "us-east-1")
    assert run.exit_code == 1, run.stderr
    assert only(run)["differences"][0]["path"] == "tags.Team"
    assert later == []  # the early child answered
    assert tfparse_process._prefetched == {}


def test_a_root_that_needs_a_working_copy_is_not_started_early(cli, tmp_path, monkeypatch):
    (tmp_path / "main.tf").write_text(resource("p", '  count = 2\n  name = "web-${count.index}"\n'))
    live_response(tmp_path / "live", "web-0")
    live_response(tmp_path / "live", "web-1")
    started: list[str] = []
    monkeypatch.setattr(tfparse_process, "_Prefetch", lambda request, *a: started.append(request))
    run = cli("check", str(tmp_path), "--live", str(tmp_path / "live"), "--region", "us-east-1")
    assert run.exit_code == 0, run.stderr
    assert started == []
    assert len(run.report["pipelines"]) == 2


def test_an_early_child_whose_request_is_not_asked_for_is_stopped(cli, tmp_path, monkeypatch):
    """A variable file of the wrong type is left out of the evaluation, so the request differs from the early one."""
    (tmp_path / "main.tf").write_text('variable "team" {\n  type = number\n}\n' + resource("p", '  name = "web"\n'))
    (tmp_path / "terraform.tfvars").write_text('team = "not a number"\n')
    live_response(tmp_path / "live", "web")
    children: list[tfparse_process._Prefetch] = []
    real = tfparse_process._Prefetch

    def record(*args):
        children.append(real(*args))
        return children[-1]

    monkeypatch.setattr(tfparse_process, "_Prefetch", record)
    run = cli("check", str(tmp_path), "--live", str(tmp_path / "live"), "--region", "us-east-1")
    assert run.exit_code == 2, run.stderr
    assert "terraform.tfvars:1" in run.stderr
    assert len(children) == 1 and children[0].proc.poll() is not None  # started, not used, stopped
    assert tfparse_process._prefetched == {}
    assert only(run)["status"] == "in_sync"
