"""The run context every report carries (JSON ``run``): masked command line, inputs, live source, exit code;
and the command line's own shape: commands load lazily, link options are checked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

from driftcheck.cli import exit_status
from driftcheck.cli.run_context import masked_command
from tests.conftest import DEMO_LIVE, DEMO_TF


def test_the_json_report_names_the_offline_source_the_inputs_and_the_exit_code(cli):
    run = cli("check", str(DEMO_TF), "--live", str(DEMO_LIVE), "--region", "us-east-1", "--var", "token=s3cr3t-value")
    context = run.report["run"]
    assert context["live_source"] == "offline" and context["live_dir"] == str(DEMO_LIVE)
    assert context["inputs"] == [str(DEMO_TF)]
    assert context["exit_code"] == run.exit_code
    assert context["regions"] == ["us-east-1"]
    assert context["duration_seconds"] >= 0 and context["started_at"].endswith("Z")
    assert context["command"][:2] == ["driftcheck", "check"]
    assert "token=***" in context["command"]
    assert "s3cr3t-value" not in json.dumps(run.report)


def test_secrets_on_the_command_line_are_masked_in_every_spelling():
    argv = ["check", "x", "--var", "a=1", "--var=b=2", "--export", "E=v", "--external-id", "ext-123",
            "--external-id=ext-456", "--endpoint-url", "http://user:pw@127.0.0.1:9/", "--region", "eu-west-1"]
    masked = masked_command(argv)
    text = " ".join(masked)
    for secret in ("=1", "=2", "E=v", "ext-123", "ext-456", "user:pw"):
        assert secret not in text
    assert masked == ("driftcheck", "check", "x", "--var", "a=***", "--var=b=***", "--export", "E=***", "--external-id", "***",
                      "--external-id=***", "--endpoint-url", "http://***@127.0.0.1:9/", "--region", "eu-west-1")


def test_help_loads_no_stage_of_the_check():
    code = ("import sys; sys.argv = ['driftcheck', '--help']\nfrom driftcheck.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            "heavy = [m for m in ('boto3', 'jinja2', 'jsonschema', 'hcl2', 'tfparse', 'deepdiff', 'tree_sitter', 'driftcheck.sources', 'driftcheck.sources.registry') if m in sys.modules]\n"
            "print('HEAVY', heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "check" in out and "snapshot" in out and "baseline" in out
    assert "HEAVY []" in out


def test_a_terraform_check_loads_no_schema_validator_nor_yaml_and_collects_garbage_less_often(tmp_path):
    """jsonschema (a tenth of a second to import) is for configuration and pipeline files, PyYAML for YAML files and
    hints; a run's many acyclic objects would otherwise start a garbage collection every 700 allocations
    (cli/__init__.GC_THRESHOLDS)."""
    code = ("import gc, sys; gc.set_threshold(700, 10, 10)\n"
            f"sys.argv = ['driftcheck', 'check', {str(DEMO_TF)!r}, '--live', {str(DEMO_LIVE)!r}, '--region', 'us-east-1']\n"
            "from driftcheck.cli import main; GC_THRESHOLDS = (200_000, 30, 30)\n"
            "try:\n    main()\nexcept SystemExit as exc:\n    print('EXIT', exc.code)\n"
            "print('JSONSCHEMA', 'jsonschema' in sys.modules, 'YAML', 'yaml' in sys.modules, 'GC', gc.get_threshold() == GC_THRESHOLDS)")
    env = {**os.environ, "DRIFTCHECK_CACHE_DIR": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert "EXIT 1" in out  # the demo's drift: the run did check
    assert "JSONSCHEMA False YAML False GC True" in out, out


def test_the_console_script_ends_with_the_runs_status_and_everything_written(tmp_path):
    """driftcheck.cli.run skips the interpreter's teardown: the exit status, stdout and the report files are whole."""
    project = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    assert project["project"]["scripts"]["driftcheck"] == "driftcheck.cli:run"
    env = {**os.environ, "DRIFTCHECK_CACHE_DIR": str(tmp_path)}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", "from driftcheck.cli import run; run()", *args], capture_output=True, text=True, env=env)

    checked = run("check", str(DEMO_TF), "--live", str(DEMO_LIVE), "--region", "us-east-1", "--format", "json", "--report", f"html={tmp_path / 'r.html'}")
    assert checked.returncode == 1, checked.stderr
    assert json.loads(checked.stdout)["summary"]["drifted"] == 2  # all of it, flushed
    assert (tmp_path / "r.html").read_text().rstrip().endswith("</html>")
    usage = run("check", str(DEMO_TF), "--format", "nope")
    assert usage.returncode == 2 and "nope" in usage.stderr
    assert run("--version").returncode == 0 and run("--version").stdout.startswith("driftcheck, version ")


def test_the_console_script_runs_with_stdout_or_stderr_closed(tmp_path):
    """cron and daemons may start it with a descriptor closed: Python then has no sys.stdout (or sys.stderr)."""
    for closed in (">&-", "2>&-"):
        done = subprocess.run(["sh", "-c", f'"$0" -c "from driftcheck.cli import run; run()" --version {closed}', sys.executable],
                              capture_output=True, text=True)
        assert done.returncode == 0, (closed, done.stderr)
        assert "Traceback" not in done.stderr


def test_exit_status_is_what_sys_exit_would_give(capsys):
    assert [exit_status(code) for code in (None, 0, 1, 2, 256 + 2)] == [0, 0, 1, 2, 2]
    assert exit_status("driftcheck: stopped") == 1 and "driftcheck: stopped" in capsys.readouterr().err


def test_a_source_url_that_is_not_http_is_a_usage_error(cli):
    run = cli("check", str(DEMO_TF), "--live", str(DEMO_LIVE), "--source-url", "javascript:alert(1)//{file}", json_report=False)
    assert run.exit_code == 2
    assert "--source-url" in run.stderr
    run = cli("check", str(DEMO_TF), "--live", str(DEMO_LIVE), "--source-url", "https://example.com/x", json_report=False)
    assert run.exit_code == 2 and "{file}" in run.stderr
