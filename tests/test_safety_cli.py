"""Every run ends with every report, and every string it shows is safe (through the CLI).

Hostile names and values (terminal escapes, bidi overrides, lone surrogates, newlines), hostile inputs
(malformed --state, FIFOs, /dev/zero) and failing report writers: the run still finishes, writes each
report it was asked for, and says what went wrong on stderr.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from driftcheck.cli import main
from driftcheck.reports.json_report import validate_report
from tests.conftest import DEMO_CFN, DEMO_LIVE, DEMO_PINNED, DEMO_TF

ARN = "arn:aws:imagebuilder:us-east-1:111122223333:image-pipeline/"
PIPELINE_FILE = "driftcheck: pipelines/v1\nregion: us-east-1\npipelines:\n  - name: p1\n    description: expected\n"
TERMINAL_NAME = "\x1b]0;pwned\x07\x1b[2J"


def live_dir(tmp_path: Path, description_json: str) -> Path:
    """A --live directory with one saved response for pipeline p1; ``description_json`` is raw JSON text."""
    live = tmp_path / "live"
    live.mkdir(exist_ok=True)
    (live / "us-east-1__p1.json").write_text(
        '{"imagePipeline": {"arn": "%sp1", "name": "p1", "status": "ENABLED", "description": %s}}' % (ARN, description_json)
    )
    return live


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=True)


def read_json(path: Path) -> dict:
    document = json.loads(path.read_text(encoding="utf-8"))
    validate_report(document)
    return document


def assert_safe(text: str) -> None:
    for char in ("\x1b", "\x07", "\u202e", "\u2066", "\ud800", "\x85"):
        assert char not in text, repr(char)


# --- 1. every report, whatever happens ----------------------------------------------------------


def test_lone_surrogate_never_crashes_a_writer_and_every_report_is_written(tmp_path):
    (tmp_path / "pins.yaml").write_text(PIPELINE_FILE)
    live = live_dir(tmp_path, r'"bad \ud800 <b>x</b>"')
    out = tmp_path / "out"
    result = run(
        "check", str(tmp_path / "pins.yaml"), "--live", str(live),
        "--report", f"json={out / 'r.json'}", "--report", f"html={out / 'r.html'}",
        "--format", "text", "--output", str(out / "r.txt"),
    )
    assert result.exit_code == 1, (result.stdout, result.stderr, result.exception)
    document = read_json(out / "r.json")
    assert document["pipelines"][0]["differences"][0]["live"] == "bad \ud800 <b>x</b>"  # kept exactly, as a JSON escape
    assert "\\ud800" in (out / "r.json").read_text()
    page = (out / "r.html").read_text(encoding="utf-8")
    assert "bad \\ud800 &lt;b&gt;x&lt;/b&gt;" in page
    text = (out / "r.txt").read_text(encoding="utf-8")
    assert '"bad \\ud800 <b>x</b>"' in text
    assert not list(out.glob(".*.tmp"))  # no temporary file left behind


def test_surrogate_in_a_name_on_stdout_does_not_crash(tmp_path):
    (tmp_path / "pins.yaml").write_text(PIPELINE_FILE)
    result = run("check", str(tmp_path / "pins.yaml"), "--live", str(live_dir(tmp_path, r'"\udc80\ud800"')))
    assert result.exit_code == 1, (result.stdout, result.exception)
    assert '"\\udc80\\ud800"' in result.stdout


def test_one_failing_renderer_does_not_stop_the_others(tmp_path, monkeypatch):
    def broken(self, result, *, color=False, options=None):
        raise RuntimeError("renderer bug")

    monkeypatch.setattr("driftcheck.reports.html.HtmlRenderer.render", broken)
    out = tmp_path / "out"
    result = run(
        "check", str(DEMO_PINNED), "--live", str(DEMO_LIVE),
        "--report", f"html={out / 'r.html'}", "--report", f"json={out / 'r.json'}", "--output", str(out / "r.txt"),
    )
    assert result.exit_code == 2
    assert read_json(out / "r.json")["summary"]["total"] == 1
    assert "ops-patch-baseline" in (out / "r.txt").read_text()
    assert not (out / "r.html").exists()
    assert "driftcheck: error: internal error in the html report: RuntimeError: renderer bug" in result.stderr
    assert result.stderr.count("\n") == 1  # that failure is the one line


def test_an_unwritable_report_target_does_not_stop_the_others(tmp_path):
    target_dir = tmp_path / "taken"
    target_dir.mkdir()
    result = run(
        "check", str(DEMO_PINNED), "--live", str(DEMO_LIVE),
        "--report", f"html={target_dir}", "--report", f"json={tmp_path / 'r.json'}",
    )
    assert result.exit_code == 2
    assert read_json(tmp_path / "r.json")["summary"]["drifted"] == 1
    assert f"cannot write report {target_dir}" in result.stderr
    assert not list(tmp_path.glob(".*.tmp"))


def test_reports_are_replaced_atomically(tmp_path, monkeypatch):
    report = tmp_path / "r.json"
    report.write_text("previous report\n")

    def failing_replace(source, target):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("driftcheck.cli.common.os.replace", failing_replace)
    result = run("check", str(DEMO_PINNED), "--live", str(DEMO_LIVE), "--report", f"json={report}")
    assert result.exit_code == 2
    assert report.read_text() == "previous report\n"  # never half a report
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]  # the temporary file is gone
    assert "No space left on device" in result.stderr


def test_written_reports_are_complete_and_readable(tmp_path):
    report = tmp_path / "r.json"
    report.write_text("x" * 100_000)
    run("check", str(DEMO_PINNED), "--live", str(DEMO_LIVE), "--report", f"json={report}")
    assert read_json(report)["summary"]["total"] == 1
    assert report.stat().st_mode & 0o777 == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def test_a_crash_of_driftcheck_itself_is_one_line_and_exit_2(tmp_path, monkeypatch):
    def crash(*args, **kwargs):
        raise KeyError("boom")

    monkeypatch.setattr("driftcheck.check.run_check", crash)
    result = run("check", str(DEMO_PINNED), "--live", str(DEMO_LIVE), "--report", f"json={tmp_path / 'r.json'}")
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0
    assert result.stderr.startswith("driftcheck: internal error: KeyError: 'boom'")


def test_a_failing_source_is_an_input_error_and_the_other_sources_still_run(tmp_path, monkeypatch):
    def crash(self, items):
        raise ValueError("source bug\nsecond line")

    monkeypatch.setattr("driftcheck.sources.registry.PipelineFileSource.collect", crash)
    result = run("check", str(DEMO_PINNED), str(DEMO_CFN), "--live", str(DEMO_LIVE), "--report", f"json={tmp_path / 'r.json'}")
    assert result.exit_code == 2
    document = read_json(tmp_path / "r.json")
    assert [e["message"] for e in document["input_errors"]] == [
        "internal error reading driftcheck sources (ValueError: source bug second line); run with --debug for details"
    ]
    assert any(p["source"]["file"] == str(DEMO_CFN) for p in document["pipelines"])


# --- 2. every string that reaches a terminal or HTML is safe ------------------------------------


def test_file_names_with_terminal_escapes_are_escaped_on_stderr(tmp_path):
    hostile = tmp_path / f"{TERMINAL_NAME}.yaml"
    hostile.write_text("someone: else\n")
    result = run("check", str(hostile), str(tmp_path / f"{TERMINAL_NAME}-missing.tf"), "--live", str(DEMO_LIVE))
    assert result.exit_code == 2
    assert_safe(result.stderr)
    assert_safe(result.stdout)
    assert "\\x1b]0;pwned\\x07\\x1b[2J.yaml: error: not a CloudFormation template" in result.stderr
    assert "\\x1b]0;pwned\\x07\\x1b[2J-missing.tf: error: no such file or directory" in result.stderr


def test_skipped_file_notes_at_v_are_escaped(tmp_path):
    (tmp_path / f"{TERMINAL_NAME}.yaml").write_text("someone: else\n")
    (tmp_path / "pins.yaml").write_text(PIPELINE_FILE)
    result = run("check", str(tmp_path), "-v", "--live", str(live_dir(tmp_path, '"expected"')))
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert "\\x1b]0;pwned\\x07\\x1b[2J.yaml: skipped" in result.stderr
    assert_safe(result.stderr)


def test_bidi_overrides_are_visible_in_html_and_text(tmp_path):
    (tmp_path / "pins.yaml").write_text(PIPELINE_FILE)
    live = live_dir(tmp_path, r'"admin\u202egpj.exe \u2066x\u2069 \u200f\u061c"')
    html = tmp_path / "r.html"
    result = run("check", str(tmp_path / "pins.yaml"), "--live", str(live), "--report", f"html={html}")
    assert result.exit_code == 1
    page = html.read_text(encoding="utf-8")
    assert_safe(page)
    assert "admin\\u202egpj.exe \\u2066x\\u2069 \\u200f\\u061c" in page
    assert_safe(result.stdout)
    assert "admin\\u202egpj.exe" in result.stdout


def test_hostile_names_in_html_from_a_template_file_name(tmp_path):
    (tmp_path / f"a\u202egpj.exe\x1b[2J.yaml").write_text(PIPELINE_FILE)
    html = tmp_path / "r.html"
    run("check", str(tmp_path), "--live", str(live_dir(tmp_path, '"changed"')), "--format", "html", "--output", str(html))
    page = html.read_text(encoding="utf-8")
    assert_safe(page)
    assert "a\\u202egpj.exe\\x1b[2J.yaml" in page


def test_newlines_in_values_never_forge_report_lines(tmp_path):
    (tmp_path / "pins.yaml").write_text(PIPELINE_FILE)
    pins = tmp_path / "pins.yaml"
    pins.write_text(PIPELINE_FILE + "    tags: {owner: \"a\\nIN_SYNC    forged\"}\n")
    live = live_dir(tmp_path, r'"x\nDRIFTED    forged\r\u2028y"')
    result = run("check", str(pins), "--live", str(live))
    assert result.exit_code == 1
    assert not any(line.startswith(("DRIFTED    forged", "IN_SYNC    forged", "y")) for line in result.stdout.splitlines())
    assert "x\\nDRIFTED    forged\\r\\u2028y" in result.stdout


# --- 3. quiet success, loud trouble -------------------------------------------------------------


def test_json_to_a_file_with_an_input_error_says_so_on_stderr_in_one_line(tmp_path):
    out = tmp_path / "r.json"
    result = run("check", str(tmp_path / "nope.yaml"), str(DEMO_PINNED), "--live", str(DEMO_LIVE), "--format", "json", "--output", str(out))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"{tmp_path / 'nope.yaml'}: error: no such file or directory\n"
    assert read_json(out)["summary"]["drifted"] == 1


def test_json_to_a_file_with_pipeline_errors_is_summarised_on_stderr(fake, tmp_path):
    (tmp_path / "pins.yaml").write_text(PIPELINE_FILE + "  - name: p2\n  - name: p3\n")
    fake.fail("GetImagePipeline", "AccessDeniedException", message="not allowed")
    fake.fail("ListImagePipelines", "AccessDeniedException", message="not allowed")
    out = tmp_path / "r.json"
    result = run(
        "check", str(tmp_path / "pins.yaml"), str(tmp_path / "nope.tf"), "--endpoint-url", fake.url,
        "--format", "json", "--output", str(out),
    )
    assert result.exit_code == 2, (result.stderr, result.exception)
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == f"{tmp_path / 'nope.tf'}: error: no such file or directory"
    assert lines[-1] == f"driftcheck: 3 errors, 1 input error: first: {tmp_path / 'nope.tf'}: no such file or directory"
    assert len(read_json(out)["pipelines"]) == 3


def test_pipeline_errors_alone_name_the_first_one(tmp_path):
    (tmp_path / "pins.yaml").write_text(PIPELINE_FILE + "  - name: p1\n")  # one pipeline declared twice
    out = tmp_path / "r.json"
    result = run("check", str(tmp_path / "pins.yaml"), "--live", str(live_dir(tmp_path, '"expected"')), "--format", "json", "--output", str(out))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("driftcheck: 2 errors, 0 input errors: first: p1")
    assert "declares the same pipeline as" in result.stderr


def test_success_is_quiet(tmp_path):
    (tmp_path / "pins.yaml").write_text(PIPELINE_FILE)
    out = tmp_path / "r.json"
    result = run("check", str(tmp_path / "pins.yaml"), "--live", str(live_dir(tmp_path, '"expected"')), "--format", "json", "--output", str(out))
    assert result.exit_code == 0
    assert result.stderr == "" and result.stdout == ""


# --- 4. a malformed --state is an input error, never the end of the run -------------------------


MALFORMED_STATES = {
    "array": ("[]", 1, 'not a Terraform state: expected a JSON object with "version": 4, or the output of `terraform show -json` (found a JSON array)'),
    "v3": ('{\n  "version": 3,\n  "modules": []\n}', 2, "Terraform state version 3 is not supported: only version 4"),
    "garbage": ("\n\nnot json at all", 3, "state file is not valid JSON: Expecting value"),
    "deep": ('{"version": 4, "x": ' + "[" * 50_000 + "]" * 50_000 + "}", 1, "nested deeper than 100 levels"),
    "strings": ('{"version": 4, "resources": ["x"]}', 1, "resources[0] must be a JSON object (found a string)"),
    "duplicate": ('{"version": 4,\n"version": 4}', 2, 'duplicate key "version"'),
    "nan": ('{"version": 4, "serial": NaN}', 1, "NaN is not valid JSON"),
}


@pytest.mark.parametrize("kind", sorted(MALFORMED_STATES))
def test_malformed_state_is_an_input_error_and_every_source_is_still_checked(tmp_path, kind):
    text, line, message = MALFORMED_STATES[kind]
    state = tmp_path / "state.json"
    state.write_text(text)
    out = tmp_path / "r.json"
    result = run(
        "check", str(DEMO_TF), str(DEMO_CFN), str(DEMO_PINNED), "--live", str(DEMO_LIVE),
        "--state", str(state), "--report", f"json={out}", "--report", f"html={tmp_path / 'r.html'}",
    )
    assert result.exit_code == 2, (result.stderr, result.exception)
    assert "Traceback" not in result.stderr and "attribute" not in result.stderr
    assert f"{state}:{line}: error: {message}" in result.stderr
    document = read_json(out)
    assert [(e["source"], e["message"][: len(message)]) for e in document["input_errors"]] == [
        ({"file": str(state), "line": line}, message)
    ]
    kinds = {p["source"]["file"] for p in document["pipelines"] if p["source"]}
    assert str(DEMO_CFN) in kinds and str(DEMO_PINNED) in kinds
    assert any(p["id"].startswith("aws_imagebuilder_image_pipeline.") for p in document["pipelines"])  # state absent, still checked
    assert (tmp_path / "r.html").exists()


def test_debug_shows_the_state_error_traceback(tmp_path):
    state = tmp_path / "state.json"
    state.write_text("[]")
    result = run("check", str(DEMO_PINNED), "--live", str(DEMO_LIVE), "--state", str(state), "--debug")
    assert result.exit_code == 2
    assert "Traceback" in result.stderr


def test_missing_state_or_var_file_is_an_input_error_not_a_usage_error(tmp_path):
    out = tmp_path / "r.json"
    result = run(
        "check", str(DEMO_PINNED), str(DEMO_CFN), "--live", str(DEMO_LIVE), "--report", f"json={out}",
        "--state", str(tmp_path / "nope.tfstate"), "--var-file", str(tmp_path / "nope.tfvars"), "--var-file", str(tmp_path),
    )
    assert result.exit_code == 2
    errors = {e["source"]["file"]: e["message"] for e in read_json(out)["input_errors"]}
    assert errors == {
        str(tmp_path / "nope.tfstate"): "cannot read state file: no such file or directory",
        str(tmp_path / "nope.tfvars"): "cannot read variable file: no such file or directory",
        str(tmp_path): "cannot read parameter file: it is a directory, not a regular file",
    }


# --- 5. only regular files are opened: FIFOs and devices never hang the run --------------------


def run_process(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real CLI in a subprocess, so a hang fails the test instead of freezing the suite."""
    code = "import sys; from driftcheck.cli import main; sys.exit(main())"
    try:
        return subprocess.run(
            [sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60, cwd=tmp_path,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"driftcheck {' '.join(args)} hung")


needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")


@needs_fifo
@pytest.mark.parametrize("where", ["path", "state", "var-file-tfvars", "var-file-parameters", "in-directory", "tf-in-directory"])
def test_a_fifo_never_hangs_the_run(tmp_path, where):
    scanned = tmp_path / "scanned"
    scanned.mkdir()
    (scanned / "pins.yaml").write_text(PIPELINE_FILE)
    names = {"path": "x.yaml", "state": "s.tfstate", "var-file-tfvars": "v.tfvars", "var-file-parameters": "p.json",
             "in-directory": "scanned/pipe.yaml", "tf-in-directory": "scanned/main.tf"}
    fifo = tmp_path / names[where]
    os.mkfifo(fifo)
    args = ["check", str(scanned / "pins.yaml"), str(DEMO_CFN), "--live", str(live_dir(tmp_path, '"expected"')), "--report", f"json={tmp_path / 'r.json'}", "-v"]
    if where == "path":
        args.append(str(fifo))
    elif where == "state":
        args += ["--state", str(fifo)]
    elif where.startswith("var-file"):
        args += ["--var-file", str(fifo)]
    else:
        args[1] = str(scanned)
    done = run_process(tmp_path, *args)
    document = read_json(tmp_path / "r.json")
    shown = str(fifo) if not where.endswith("in-directory") else str(scanned / fifo.name)
    if where == "in-directory":
        assert f"{shown}: skipped: a FIFO (named pipe), not a regular file; not opened" in done.stderr
        assert not document["input_errors"]
    else:
        assert done.returncode == 2, done.stderr
        assert [e["source"]["file"] for e in document["input_errors"]] == [shown]
        assert "FIFO (named pipe), not a regular file" in document["input_errors"][0]["message"]
    assert any(p["name"] == "p1" for p in document["pipelines"])


@pytest.mark.parametrize("option", [None, "--state", "--var-file"])
def test_dev_zero_is_refused_at_once(tmp_path, option):
    args = ["check", str(DEMO_PINNED), str(DEMO_CFN), "--live", str(DEMO_LIVE), "--report", f"json={tmp_path / 'r.json'}"]
    args += ["/dev/zero"] if option is None else [option, "/dev/zero"]
    done = run_process(tmp_path, *args)
    assert done.returncode == 2
    assert "/dev/zero: error:" in done.stderr and "character device, not a regular file" in done.stderr
    assert read_json(tmp_path / "r.json")["summary"]["total"] >= 2


def test_symlink_loop_as_a_path_is_named_plainly(tmp_path):
    (tmp_path / "a.yaml").symlink_to(tmp_path / "b.yaml")
    (tmp_path / "b.yaml").symlink_to(tmp_path / "a.yaml")
    result = run("check", str(tmp_path / "a.yaml"), str(DEMO_PINNED), "--live", str(DEMO_LIVE), "--state", str(tmp_path / "b.yaml"))
    assert result.exit_code == 2
    assert f"{tmp_path / 'a.yaml'}: error: symlink loop" in result.stderr
    assert f"{tmp_path / 'b.yaml'}: error: cannot read state file: symlink loop" in result.stderr


def test_a_symlink_loop_inside_a_scanned_directory_is_skipped(tmp_path):
    (tmp_path / "pins.yaml").write_text(PIPELINE_FILE)
    (tmp_path / "loop.yaml").symlink_to(tmp_path / "loop.yaml")
    result = run("check", str(tmp_path), "-v", "--live", str(live_dir(tmp_path, '"expected"')))
    assert result.exit_code == 0, (result.stderr, result.exception)
    assert "loop.yaml: skipped:" in result.stderr


def test_an_oversized_template_is_refused_without_being_parsed(tmp_path, monkeypatch):
    monkeypatch.setattr("driftcheck.sources.registry.MAX_FILE_BYTES", 64)
    big = tmp_path / "big.yaml"
    big.write_text(PIPELINE_FILE + "#" * 100 + "\n")
    result = run("check", str(big), "--live", str(DEMO_LIVE))
    assert result.exit_code == 2
    assert f"{big}: error: file is larger than 64 bytes; refusing to read it" in result.stderr



@needs_fifo
def test_a_fifo_tfvars_in_a_module_directory_never_hangs_terraform(tmp_path, demo_tree):
    os.mkfifo(demo_tree / "extra.auto.tfvars")
    out = tmp_path / "r.json"
    done = run_process(tmp_path, "check", str(demo_tree), str(DEMO_PINNED), "--live", str(DEMO_LIVE), "--report", f"json={out}")
    assert done.returncode == 2, done.stderr
    document = read_json(out)
    assert [(e["source"]["file"], e["message"]) for e in document["input_errors"]] == [
        (str(demo_tree / "extra.auto.tfvars"), f"a FIFO (named pipe), not a regular file: the Terraform module in {demo_tree} is not read")
    ]
    assert [p["name"] for p in document["pipelines"]] == ["ops-patch-baseline"]


def test_output_onto_a_directory_still_writes_the_other_reports(tmp_path):
    (tmp_path / "taken").mkdir()
    result = run("check", str(DEMO_PINNED), "--live", str(DEMO_LIVE), "--output", str(tmp_path / "taken"), "--report", f"html={tmp_path / 'r.html'}")
    assert result.exit_code == 2
    assert "ops-patch-baseline" in (tmp_path / "r.html").read_text()
    assert f"cannot write report {tmp_path / 'taken'}: " in result.stderr
