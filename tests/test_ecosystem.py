"""The GitHub Action, the pre-commit hook and the CI examples are real: every driftcheck option they use exists,
every format they ask for is registered, and the files parse as YAML."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from driftcheck.cli import main
from driftcheck.reports import ReportFormat

ROOT = Path(__file__).resolve().parent.parent
FILES = [ROOT / "action.yml", ROOT / ".pre-commit-hooks.yaml", *sorted((ROOT / "examples" / "ci").glob("*.yml"))]


def check_options() -> set[str]:
    text = CliRunner().invoke(main, ["check", "--help"]).output
    return set(re.findall(r"(--[a-z][a-z-]+)", text))


def commands(text: str) -> list[list[str]]:
    """The words of every `driftcheck check ...` command line in a file (with its continuation lines)."""
    found = []
    for match in re.finditer(r"driftcheck check\b([^\n]*(?:\\\n[^\n]*)*)", text):
        found.append(shlex.split(match.group(1).replace("\\\n", " "), comments=False, posix=True))
    return found


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_file_parses_and_uses_only_real_options_and_formats(path):
    text = path.read_text(encoding="utf-8")
    yaml.safe_load(text)
    known = check_options()
    words = [w for command in commands(text) for w in command]
    args = re.findall(r"\n\s+args: (.*)", text)  # the action's args input in the examples
    words += [w for line in args for w in shlex.split(line) if not line.startswith("[")]
    for word in words:
        if word.startswith("--"):
            assert word.split("=")[0] in known, (path.name, word)
    for spec in re.findall(r"--report[ =]\"?([a-z]+)=", text):
        assert spec in ReportFormat.choices(), (path.name, spec)


def test_the_action_runs_driftcheck_check_and_uploads_sarif():
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    assert any("driftcheck check" in step.get("run", "") for step in steps)
    assert any(step.get("uses", "").startswith("github/codeql-action/upload-sarif") for step in steps)
    # inputs reach the shell through env, never inline (no ${{ inputs.* }} inside run:)
    assert not any("${{ inputs." in step.get("run", "") for step in steps)


def test_the_pre_commit_hook_is_the_offline_check():
    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["entry"] == "driftcheck check" and "--live" in hook["args"] and hook["pass_filenames"] is False
