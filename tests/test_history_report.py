"""`driftcheck report REPORT.json --format X`: any format from a saved JSON report, exactly what `check --format X`
gave in the run that wrote it; reports of another major schema version, non-JSON files and schema violations
refused with one stderr line; older 1.x minors read; hostile values rendered safely."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from driftcheck.cli import main
from driftcheck.reports import ReportFormat
from tests.conftest import DEMO_CFN, DEMO_LIVE, DEMO_PINNED, DEMO_TF

DEMO = (str(DEMO_TF), str(DEMO_CFN.parent), str(DEMO_PINNED.parent), "--region", "us-east-1", "--live", str(DEMO_LIVE))
SUFFIX = {"text": "txt", "json": "json", "html": "html", "sarif": "sarif", "junit": "xml", "markdown": "md", "github": "log", "codequality": "cq.json"}


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _check_every_format(tmp_path: Path, *extra: str) -> dict[str, Path]:
    """One check run writing every format; returns format -> file."""
    files = {fmt: tmp_path / f"check.{SUFFIX[fmt]}" for fmt in ReportFormat.choices()}
    reports = [arg for fmt, path in files.items() for arg in ("--report", f"{fmt}={path}")]
    result = run("check", *DEMO, "--unmanaged", *reports, *extra)
    assert result.exit_code == 1, result.stderr
    return files


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> dict[str, Path]:
    return _check_every_format(tmp_path_factory.mktemp("saved"), "--source-url", "https://example.com/r/{file}#L{line}", "--console-links")


@pytest.mark.parametrize("fmt", ReportFormat.choices())
def test_report_renders_what_check_rendered(saved, tmp_path, fmt) -> None:
    out = tmp_path / f"again.{SUFFIX[fmt]}"
    result = run("report", str(saved["json"]), "--format", fmt, "-o", str(out),
                 "--source-url", "https://example.com/r/{file}#L{line}", "--console-links")
    assert result.exit_code == 0, result.stderr
    assert out.read_bytes() == saved[fmt].read_bytes()


def test_report_to_stdout_and_without_link_options(saved) -> None:
    result = run("report", str(saved["json"]))
    assert result.exit_code == 0 and result.stderr == ""
    assert result.stdout == saved["text"].read_text(encoding="utf-8")  # text ignores the link options
    markdown = run("report", str(saved["json"]), "--format", "markdown").stdout
    assert "## driftcheck: " in markdown


def test_round_trip_keeps_config_severity_and_the_previous_comparison(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".driftcheck.yaml").write_text("severity:\n  'status': low\n  '*': high\n", encoding="utf-8")
    (tmp_path / "first").mkdir()
    (tmp_path / "again").mkdir()
    first = _check_every_format(tmp_path / "first")
    files = _check_every_format(tmp_path / "again", "--previous", str(first["json"]))
    document = json.loads(files["json"].read_text(encoding="utf-8"))
    assert document["severity_overrides"] == [{"pattern": "status", "severity": "low"}, {"pattern": "*", "severity": "high"}]
    assert document["previous"]["counts"]["persisting"] > 0
    for fmt in ("text", "markdown", "sarif", "json", "codequality", "github"):
        out = tmp_path / f"r.{SUFFIX[fmt]}"
        assert run("report", str(files["json"]), "--format", fmt, "-o", str(out)).exit_code == 0
        assert out.read_bytes() == files[fmt].read_bytes(), fmt
    sarif = json.loads(files["sarif"].read_text(encoding="utf-8"))
    levels = {r["properties"].get("path"): r["level"] for r in sarif["runs"][0]["results"]}
    assert levels["status"] == "note" and levels["executionRole"] == "error"  # the overrides, in order, survived


# --- refusals -------------------------------------------------------------------------------------------------


def _refused(path: Path, *args: str) -> str:
    result = run("report", str(path), *args)
    assert result.exit_code == 2 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert str(path) in lines[0]
    return lines[0]


def _edited(saved: dict[str, Path], tmp_path: Path, edit) -> Path:
    document = json.loads(saved["json"].read_text(encoding="utf-8"))
    edit(document)
    target = tmp_path / "edited.json"
    target.write_text(json.dumps(document), encoding="utf-8")
    return target


def test_another_major_schema_version_is_refused(saved, tmp_path) -> None:
    line = _refused(_edited(saved, tmp_path, lambda d: d.update(schema_version="2.0")))
    assert "schema version 2.0 is not readable by this driftcheck (it reads 1.x)" in line


def test_a_newer_minor_is_refused_with_upgrade_advice(saved, tmp_path) -> None:
    assert "newer than this driftcheck reads" in _refused(_edited(saved, tmp_path, lambda d: d.update(schema_version="1.99")))


def test_non_json_is_refused_with_its_line(tmp_path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{\n  "schema_version": "1.5",\n  oops\n}\n', encoding="utf-8")
    assert f"{bad}:3: not JSON" in _refused(bad)
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00")
    assert "not UTF-8" in _refused(binary)
    nan = tmp_path / "nan.json"
    nan.write_text('{"a": NaN}', encoding="utf-8")
    assert "not JSON" in _refused(nan)
    assert "cannot read the report" in _refused(tmp_path / "absent.json")


def test_a_schema_violation_names_the_json_path(saved, tmp_path) -> None:
    path = _edited(saved, tmp_path, lambda d: d["pipelines"][1].update(status="sideways"))
    line = _refused(path)
    assert "does not match the report schema at $.pipelines[1].status" in line


def test_another_tool_and_an_edited_summary_are_refused(saved, tmp_path) -> None:
    assert "not a driftcheck JSON report" in _refused(_edited(saved, tmp_path, lambda d: d.update(tool={"name": "other", "version": "1"})))
    assert "not a driftcheck JSON report" in _refused(_edited(saved, tmp_path, lambda d: d.update(schema_version=15)))
    line = _refused(_edited(saved, tmp_path, lambda d: d["summary"].update(drifted=0)))
    assert "summary.drifted is 0 but the report holds 3" in line


def test_every_refusal_also_stops_merge_compare_and_check_previous(saved, tmp_path) -> None:
    bad = _edited(saved, tmp_path, lambda d: d.update(schema_version="2.0"))
    for args in (("merge", str(saved["json"]), str(bad)), ("compare", str(bad), str(saved["json"])),
                 ("check", *DEMO, "--previous", str(bad))):
        result = run(*args)
        assert result.exit_code == 2 and result.stdout == "", args
        assert len(result.stderr.splitlines()) == 1 and "schema version 2.0" in result.stderr, args


# --- older minors ---------------------------------------------------------------------------------------------


def _downgrade(document: dict, minor: int) -> None:
    """The document as an older driftcheck wrote it: without the keys added after 1.MINOR."""
    document["schema_version"] = f"1.{minor}"
    for key in ("severity_overrides", "previous"):
        document.pop(key, None)
    if minor < 4:
        document.pop("run", None)
    if minor < 2:
        document.pop("notes")
    for pipeline in document["pipelines"]:
        pipeline.pop("source_kind")
        if minor < 4:
            pipeline.pop("account")
        if minor < 1:
            pipeline.pop("ignored")
        for difference in pipeline["differences"]:
            if minor < 3:
                difference.pop("hint", None)
            elif "hint" in difference:
                difference["hint"].pop("attribute")
                difference["hint"].pop("replaces_line")


@pytest.mark.parametrize("minor", [0, 1, 2, 3, 4])
def test_older_minors_are_read_with_defaults(saved, tmp_path, minor) -> None:
    path = _edited(saved, tmp_path, lambda d: _downgrade(d, minor))
    result = run("report", str(path), "--format", "json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["schema_version"] == "1.5"  # rewritten in the current layout
    assert {p["id"]: p["status"] for p in document["pipelines"]} == {
        p["id"]: p["status"] for p in json.loads(saved["json"].read_text())["pipelines"]}
    if minor < 4:
        assert all(p["account"] is None for p in document["pipelines"]) and "run" not in document
    text = run("report", str(path)).stdout
    assert text.splitlines()[0] == saved["text"].read_text().splitlines()[0]


def test_an_older_minor_still_needs_the_keys_it_had(saved, tmp_path) -> None:
    path = _edited(saved, tmp_path, lambda d: (_downgrade(d, 4), d["pipelines"][0].pop("account")))
    assert "$.pipelines[0]" in _refused(path) and "'account' is a required property" in _refused(path)


# --- hostile content ------------------------------------------------------------------------------------------


HOSTILE = "<script>alert(1)</script>\x1b[2J\u202eevil\n@team [x](javascript:alert(1)) | `tick`"


def _hostile(document: dict) -> None:
    pipeline = next(p for p in document["pipelines"] if p["differences"])
    pipeline["id"] = HOSTILE
    pipeline["name"] = HOSTILE
    pipeline["notes"].append(HOSTILE)
    difference = pipeline["differences"][0]
    difference["live"] = {HOSTILE: HOSTILE}
    difference["path"] = f"tags.{HOSTILE}"
    document["notes"].append(HOSTILE)
    document["input_errors"].append({"source": {"file": HOSTILE, "line": 1}, "message": HOSTILE})
    document["summary"]["input_errors"] += 1


@pytest.mark.parametrize("fmt", ReportFormat.choices())
def test_hostile_values_in_a_report_file_render_safely(saved, tmp_path, fmt) -> None:
    path = _edited(saved, tmp_path, _hostile)
    result = run("report", str(path), "--format", fmt)
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "\x1b" not in out and "\u202e" not in out  # never a raw control or bidi character
    if fmt in ("html", "markdown", "junit"):
        assert "<script>alert" not in out  # markup never raw where it would be markup
    if fmt == "json":
        assert json.loads(out)["notes"][-1] == HOSTILE  # kept exactly, as escapes
    if fmt in ("text", "github"):
        assert "\\x1b[2J" in out and "\\u202e" in out
    if fmt == "markdown":
        assert "@team" not in out and "](javascript" not in out


def test_help_stays_light() -> None:
    code = ("import sys; from click.testing import CliRunner; from driftcheck.cli import main; "
            "r = CliRunner().invoke(main, ['--help']); assert r.exit_code == 0 and 'merge' in r.output, r.output; "
            "print(sorted(m for m in sys.modules if m.startswith(('driftcheck.history', 'jsonschema', 'driftcheck.reports.'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
