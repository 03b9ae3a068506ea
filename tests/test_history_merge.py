"""`driftcheck merge A.json B.json ... -o all.json`: shards from real `check` runs on the shipped fixtures combine
into the report one run over everything gives; a pipeline in two shards is kept once (same result) or is an error
naming both shards (different results); incompatible schema versions are refused; the exit code is check's."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from driftcheck.cli import main
from driftcheck.reports.json_report import validate_report
from tests.conftest import DEMO_CFN, DEMO_LIVE, DEMO_PINNED, DEMO_TF

SHARDS = {"terraform": DEMO_TF, "cloudformation": DEMO_CFN.parent, "driftcheck": DEMO_PINNED.parent}
LIVE = ("--region", "us-east-1", "--live", str(DEMO_LIVE))


def run(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def check(output: Path, *paths: Path, live: Path = DEMO_LIVE, extra: tuple[str, ...] = ()) -> dict:
    result = run("check", *paths, "--region", "us-east-1", "--live", live, "--unmanaged", "--format", "json", "--output", output, *extra)
    assert result.exit_code in (0, 1), result.stderr
    return json.loads(output.read_text(encoding="utf-8"))


def load(path: Path) -> dict:
    document = json.loads(path.read_text(encoding="utf-8"))
    validate_report(document)
    return document


@pytest.fixture(scope="module")
def shards(tmp_path_factory) -> dict[str, Path]:
    """One report per path of the demo (a matrix split by path), and one run over all of them."""
    root = tmp_path_factory.mktemp("shards")
    files = {name: root / f"{name}.json" for name in SHARDS}
    for name, path in SHARDS.items():
        check(files[name], path)
    files["all"] = root / "all.json"
    check(files["all"], *SHARDS.values())
    return files


def test_three_shards_merge_into_the_report_of_one_run(shards, tmp_path) -> None:
    out = tmp_path / "merged.json"
    result = run("merge", shards["terraform"], shards["cloudformation"], shards["driftcheck"], "-o", out)
    direct = load(shards["all"])
    assert result.exit_code == 1 == direct["run"]["exit_code"], result.stderr
    merged = load(out)
    assert merged["pipelines"] == direct["pipelines"]  # unmanaged in one shard but declared in another: dropped
    assert merged["summary"] == direct["summary"] == {
        "in_sync": 3, "drifted": 3, "missing": 0, "unmanaged": 1, "error": 0, "input_errors": 0, "total": 7}
    assert merged["generated_at"] == max(load(shards[n])["generated_at"] for n in SHARDS)
    context = merged["run"]
    assert context["command"][:2] == ["driftcheck", "merge"] and context["exit_code"] == 1
    assert context["inputs"] == [str(DEMO_TF), str(DEMO_CFN.parent), str(DEMO_PINNED.parent)]
    assert context["regions"] == ["us-east-1"] and context["live_source"] == "offline" and context["live_dir"] == str(DEMO_LIVE)
    assert context["duration_seconds"] == max(load(shards[n])["run"]["duration_seconds"] for n in SHARDS)
    assert any("unmanaged in one shard are declared in another" in note for note in merged["notes"])


def test_merge_writes_any_format_and_more_reports(shards, tmp_path) -> None:
    markdown, html = tmp_path / "all.md", tmp_path / "all.html"
    result = run("merge", shards["terraform"], shards["cloudformation"], "--format", "markdown", "-o", markdown, "--report", f"html={html}")
    assert result.exit_code == 1, result.stderr
    assert markdown.read_text(encoding="utf-8").startswith("## driftcheck: ")
    assert "prod-app-container" in html.read_text(encoding="utf-8")
    text = run("merge", shards["terraform"], shards["cloudformation"], "--format", "text")
    assert text.stdout.startswith("driftcheck: ") and "DRIFTED" in text.stdout


def test_a_pipeline_in_two_shards_with_the_same_result_is_kept_once(shards, tmp_path) -> None:
    again = tmp_path / "terraform-again.json"
    shutil.copy(shards["terraform"], again)
    out = tmp_path / "merged.json"
    assert run("merge", shards["terraform"], again, "-o", out).exit_code == 1
    merged, single = load(out), load(shards["terraform"])
    assert merged["summary"] == single["summary"]
    declared = [p for p in merged["pipelines"] if p["status"] != "unmanaged"]
    assert declared and all(
        p["notes"][-1] == f"checked in 2 shards ({shards['terraform']}, {again}) with the same result: kept once" for p in declared)


def test_a_pipeline_in_two_shards_with_different_results_is_an_error_naming_both(shards, tmp_path) -> None:
    live = tmp_path / "live"
    shutil.copytree(DEMO_LIVE, live)
    response = live / "us-east-1__prod-cis-hardened.json"
    document = json.loads(response.read_text())
    document["imagePipeline"]["status"] = "ENABLED"
    document["imagePipeline"]["executionRole"] = "ImageBuilderWorkflowRole"
    response.write_text(json.dumps(document))
    other = tmp_path / "other-account.json"
    check(other, DEMO_TF, live=live)
    out = tmp_path / "merged.json"
    result = run("merge", shards["terraform"], other, "-o", out)
    assert result.exit_code == 2  # an error in the merged report, as check would exit
    merged = load(out)
    [clash] = [p for p in merged["pipelines"] if p["status"] == "error"]
    assert clash["id"] == "module.hardened.aws_imagebuilder_image_pipeline.this"
    assert clash["error"] == (
        f"checked in 2 shards ({shards['terraform']}, {other}) with different results: "
        f"{shards['terraform']}: drifted (executionRole, status, workflows[1].parameters[name=waitForActionAtEnd].value); "
        f"{other}: drifted (workflows[1].parameters[name=waitForActionAtEnd].value)"
    )
    assert merged["summary"]["total"] == load(shards["terraform"])["summary"]["total"]  # no pipeline lost or doubled


def test_incompatible_schema_versions_are_refused_and_nothing_is_written(shards, tmp_path) -> None:
    document = load(shards["cloudformation"])
    document["schema_version"] = "2.0"
    future = tmp_path / "future.json"
    future.write_text(json.dumps(document))
    out = tmp_path / "merged.json"
    result = run("merge", shards["terraform"], future, "-o", out)
    assert result.exit_code == 2 and not out.exists()
    assert result.stderr.splitlines() == [f"driftcheck: error: {future}: schema version 2.0 is not readable by this driftcheck (it reads 1.x)"]


def test_an_older_minor_merges_with_a_current_one(shards, tmp_path) -> None:
    document = load(shards["cloudformation"])
    document["schema_version"] = "1.3"
    for key in ("run",):
        document.pop(key)
    for pipeline in document["pipelines"]:
        pipeline.pop("account")
        pipeline.pop("source_kind")
    old = tmp_path / "old.json"
    old.write_text(json.dumps(document))
    out = tmp_path / "merged.json"
    assert run("merge", shards["terraform"], old, "-o", out).exit_code == 1
    merged = load(out)
    assert {p["id"] for p in merged["pipelines"]} >= {"AppContainerPipeline", "module.hardened.aws_imagebuilder_image_pipeline.this"}


def test_exit_code_follows_fail_on_and_in_sync_shards_exit_0(shards, tmp_path) -> None:
    assert run("merge", shards["terraform"], shards["driftcheck"], "--fail-on", "none", "-o", tmp_path / "m.json").exit_code == 0
    assert run("merge", shards["terraform"], "--fail-on", "missing", "-o", tmp_path / "m.json").exit_code == 0
    live = tmp_path / "live"
    live.mkdir()
    shutil.copy(DEMO_LIVE / "us-east-1__prod-app-container.json", live)
    in_sync = tmp_path / "in-sync.json"
    check(in_sync, DEMO_CFN.parent, live=live)
    copy = tmp_path / "in-sync-copy.json"
    shutil.copy(in_sync, copy)
    result = run("merge", in_sync, copy, "-o", tmp_path / "m.json")
    assert result.exit_code == 0, result.stderr
    assert load(tmp_path / "m.json")["summary"]["in_sync"] == 1  # the same shard twice: one pipeline
    twice = run("merge", in_sync, in_sync, "-o", tmp_path / "m.json")
    assert twice.exit_code == 2 and twice.stderr == f"driftcheck: error: {in_sync} is given twice\n"


def test_input_errors_and_notes_are_combined(shards, tmp_path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "main.tf").write_text('resource "aws_imagebuilder_image_pipeline" "x" {\n  name = \n')
    one, two = tmp_path / "one.json", tmp_path / "two.json"
    for target in (one, two):
        result = run("check", broken, *LIVE, "--format", "json", "--output", target)
        assert result.exit_code == 2
    documents = [load(one), load(two)]
    documents[1]["notes"] = ["only in the second shard"]
    two.write_text(json.dumps(documents[1]))
    out = tmp_path / "merged.json"
    assert run("merge", one, two, shards["driftcheck"], "-o", out).exit_code == 2
    merged = load(out)
    assert merged["input_errors"] == documents[0]["input_errors"] and len(merged["input_errors"]) == 1  # met twice, kept once
    assert merged["notes"][0] == f"{two}: only in the second shard"


def test_shards_read_through_the_endpoint_merge_like_one_run(demo_fake, tmp_path) -> None:
    """Shards that read live state over HTTP (the real boto3 client against the loopback fake), split by path."""
    for name in ("us-east-1__prod-app-container.json", "us-east-1__ops-patch-baseline.json"):
        demo_fake.load_response_file(DEMO_LIVE / name)
    online = ("--region", "us-east-1", "--endpoint-url", demo_fake.url, "--unmanaged", "--fail-on", "none", "--format", "json", "--output")
    files = []
    for name, path in SHARDS.items():
        files.append(tmp_path / f"{name}.json")
        assert run("check", path, *online, files[-1]).exit_code == 0
    direct = tmp_path / "direct.json"
    assert run("check", *SHARDS.values(), *online, direct).exit_code == 0
    out = tmp_path / "merged.json"
    assert run("merge", *files, "-o", out).exit_code == 1  # the merge gates with the default --fail-on
    assert load(out)["pipelines"] == load(direct)["pipelines"]
    assert load(out)["run"]["live_source"] == "aws"


def test_the_sharded_ci_examples_use_real_merge_options() -> None:
    import re

    root = Path(__file__).resolve().parent.parent / "examples" / "ci"
    known = set(re.findall(r"(--[a-z][a-z-]+)", run("merge", "--help").output))
    for path in sorted(root.glob("*sharded*.yml")):
        lines = re.findall(r"driftcheck merge ([^\n]*)", path.read_text(encoding="utf-8"))
        assert lines, path.name
        for word in (w for line in lines for w in line.split()):
            if word.startswith("--"):
                assert word in known, (path.name, word)


def test_merge_previous_compares_the_merged_report_with_last_nights(shards, tmp_path) -> None:
    last = tmp_path / "last.json"
    assert run("merge", shards["terraform"], shards["cloudformation"], "-o", last).exit_code == 1
    tonight = tmp_path / "tonight.json"
    result = run("merge", shards["terraform"], shards["cloudformation"], shards["driftcheck"], "-o", tonight, "--previous", last)
    assert result.exit_code == 1, result.stderr
    previous = load(tonight)["previous"]
    assert previous["file"] == str(last) and previous["generated_at"] == load(last)["generated_at"]
    new = [(c["id"], c["path"]) for c in previous["changes"] if c["change"] == "new"]
    assert new == [("ops-patch-baseline", "status")]  # the third shard's drift is new; the rest persists
    # ops-patch-baseline was unmanaged last night (no shard declared it), and is declared tonight: resolved
    assert [(c["id"].rsplit("/", 1)[-1], c["status"]) for c in previous["changes"] if c["change"] == "resolved"] == [("ops-patch-baseline", "unmanaged")]
    assert previous["counts"] == {"new": 1, "resolved": 1, "persisting": 8, "unchecked": 0}  # 7 differences, 1 unmanaged
    text = run("report", tonight).stdout
    assert f"1 new drift since {previous['generated_at']} ({last}): 1 resolved, 8 persisting" in text


def test_in_a_github_actions_job_merge_writes_the_job_summary(shards, tmp_path, monkeypatch) -> None:
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    result = run("merge", shards["terraform"], shards["cloudformation"], "-o", tmp_path / "m.json")
    assert result.exit_code == 1
    assert summary.read_text(encoding="utf-8").startswith("## driftcheck: ")
    assert "::error " in result.stdout or "::warning " in result.stdout  # annotations at the declaring lines


def test_shards_checked_with_previous_carry_their_comparisons_into_the_merge(shards, tmp_path) -> None:
    tonight = {}
    for name in ("terraform", "driftcheck"):
        tonight[name] = tmp_path / f"{name}.json"
        check(tonight[name], SHARDS[name], extra=("--previous", str(shards[name])))
    out = tmp_path / "merged.json"
    assert run("merge", tonight["terraform"], tonight["driftcheck"], "-o", out).exit_code == 1
    previous = load(out)["previous"]
    assert previous["file"] == f"{shards['terraform']}, {shards['driftcheck']}"
    assert previous["generated_at"] == min(load(shards[n])["generated_at"] for n in ("terraform", "driftcheck"))
    persisting = {(c["id"], c["path"]) for c in previous["changes"] if c["change"] == "persisting"}
    assert ("ops-patch-baseline", "status") in persisting and ("module.hardened.aws_imagebuilder_image_pipeline.this", "status") in persisting
    # unmanaged in the terraform shard but declared by the other: not an unmanaged item; the others counted once
    # (prod-app-container is declared by the CloudFormation shard, which is not in this merge: unmanaged here)
    assert [c["id"].rsplit("/", 1)[-1] for c in previous["changes"] if c["status"] == "unmanaged"] == ["legacy-golden-ami", "prod-app-container"]
    assert sorted(p["id"].rsplit("/", 1)[-1] for p in load(out)["pipelines"] if p["status"] == "unmanaged") == ["legacy-golden-ami", "prod-app-container"]
    assert len(previous["changes"]) == len({(c["id"], c["path"], c["status"], c["change"]) for c in previous["changes"]})
    assert previous["counts"]["new"] == 0
    mixed = run("merge", tonight["terraform"], shards["driftcheck"], "-o", out)
    assert mixed.exit_code == 1 and "previous" not in load(out)
    assert any(note.startswith("only some shards were checked with --previous") for note in load(out)["notes"])
