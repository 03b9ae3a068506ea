"""Every declared Terraform pipeline is accounted for, through the CLI (issue: never lose, invent or misread).

Module calls (many of them, local, installed by terraform init, missing, broken, recursive) and count /
for_each values that cannot be evaluated: each pipeline ends in the report with a status, and a run
that could not evaluate one never exits 0.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import DEMO_LIVE

DATA = Path(__file__).resolve().parent / "data" / "terraform"
MANY = DATA / "many-modules"
MANY_LIVE = DATA / "many-modules-live"
RECIPE = "arn:aws:imagebuilder:us-east-1:111122223333:image-recipe/r/1.0.0"
INFRA = "arn:aws:imagebuilder:us-east-1:111122223333:infrastructure-configuration/i"


def pipeline(label: str, name: str, meta: str = "") -> str:
    meta_line = f"  {meta}\n" if meta else ""
    return (
        f'resource "aws_imagebuilder_image_pipeline" "{label}" {{\n{meta_line}  name = {name}\n'
        f'  image_recipe_arn = "{RECIPE}"\n  infrastructure_configuration_arn = "{INFRA}"\n}}\n'
    )


def statuses(run) -> dict[str, str]:
    return {p["id"]: p["status"] for p in run.report["pipelines"]}


def errors(run) -> dict[str, str]:
    return {p["id"]: p["error"] for p in run.report["pipelines"] if p["status"] == "error"}


# --------------------------------------------------------------------------- many module calls


def test_a_root_with_60_module_calls_reports_every_pipeline(cli):
    run = cli("check", str(MANY), "--live", str(MANY_LIVE), "-v")
    assert statuses(run) == {
        "module.golden.aws_imagebuilder_image_pipeline.golden": "in_sync",
        "module.pipeline_api.aws_imagebuilder_image_pipeline.this": "in_sync",
        "module.pipeline_web.aws_imagebuilder_image_pipeline.this": "in_sync",
        "module.pipeline_worker.aws_imagebuilder_image_pipeline.this": "in_sync",
    }
    assert run.exit_code == 0, run.stderr
    assert "no instances" not in run.stderr


def test_more_than_32_pipeline_module_calls_in_one_module_are_all_evaluated(cli, tmp_path):
    """The evaluator reads only 32 module calls of a module; driftcheck evaluates the rest in further passes."""
    (tmp_path / "mod").mkdir()
    (tmp_path / "mod" / "main.tf").write_text('variable "n" {\n  type = string\n}\n' + pipeline("p", '"app-${var.n}"'))
    (tmp_path / "main.tf").write_text("".join(f'module "m{i:02d}" {{\n  source = "./mod"\n  n = "{i:02d}"\n}}\n' for i in range(70)))
    run = cli("check", str(tmp_path), "--live", str(tmp_path / "live"), "--region", "us-east-1")
    names = {p["id"]: p["name"] for p in run.report["pipelines"]}
    assert names == {f"module.m{i:02d}.aws_imagebuilder_image_pipeline.p": f"app-{i:02d}" for i in range(70)}
    assert set(statuses(run).values()) == {"missing"}


def test_a_module_call_without_count_yields_one_instance_per_parent_instance(cli, tmp_path):
    (tmp_path / "leaf").mkdir()
    (tmp_path / "wrap").mkdir()
    (tmp_path / "leaf" / "main.tf").write_text('variable "n" {}\n' + pipeline("p", '"leaf-${var.n}"'))
    (tmp_path / "wrap" / "main.tf").write_text('variable "n" {}\nmodule "leaf" {\n  source = "../leaf"\n  n = var.n\n}\n')
    (tmp_path / "main.tf").write_text('module "w" {\n  source = "./wrap"\n  for_each = toset(["a", "b"])\n  n = each.key\n}\n')
    run = cli("check", str(tmp_path), "--live", str(tmp_path), "--region", "us-east-1")
    assert {p["id"]: p["name"] for p in run.report["pipelines"]} == {
        'module.w["a"].module.leaf.aws_imagebuilder_image_pipeline.p': "leaf-a",
        'module.w["b"].module.leaf.aws_imagebuilder_image_pipeline.p': "leaf-b",
    }


def test_no_instances_is_said_only_when_count_really_is_zero(cli, tmp_path):
    (tmp_path / "main.tf").write_text(pipeline("zero", '"zero"', "count = 0") + pipeline("one", '"one"'))
    run = cli("check", str(tmp_path), "--live", str(DEMO_LIVE), "--region", "us-east-1", "-v")
    assert list(statuses(run)) == ["aws_imagebuilder_image_pipeline.one"]
    assert "aws_imagebuilder_image_pipeline.zero: count evaluates to no instances" in run.stderr
    assert "one: count" not in run.stderr


# --------------------------------------------------------------------------- count / for_each that fail or are invalid


@pytest.mark.parametrize(
    ("meta", "reason"),
    [
        ("count = length(file(\"missing.txt\"))", "evaluates to null or fails to evaluate"),
        ("for_each = toset([for i in range(2000) : tostring(i)])", "evaluates to null or fails to evaluate"),
        ("count = -1", "must not be negative"),
        ("count = local.m[\"nope\"]", "evaluates to null or fails to evaluate"),
        ("for_each = toset(null)", "evaluates to null or fails to evaluate"),
        ('count = "abc"', "the string \"abc\", but count must be a whole number"),
        ("count = length(null)", "evaluates to null or fails to evaluate"),
        ("count = 1.5", "is 1.5, but count must be a whole number"),
        ("count = true", "is true, but count must be a whole number"),
        ('for_each = ["a", "b"]', "is a list, but for_each must be a map or a set of strings"),
        ("for_each = toset([1, 2])", "set of non-strings"),
        ('for_each = "a"', "is a str, but for_each must be a map or a set of strings"),
        ("count = 20000", "more than driftcheck's limit of 10000"),
    ],
)
def test_unevaluable_count_or_for_each_is_an_error_never_zero_or_one(cli, tmp_path, meta, reason):
    (tmp_path / "main.tf").write_text('locals {\n  m = { a = 1 }\n}\n\n' + pipeline("p", '"p"', meta))
    run = cli("check", str(tmp_path), "--live", str(DEMO_LIVE), "--region", "us-east-1")
    assert run.exit_code == 2
    assert list(errors(run)) == ["aws_imagebuilder_image_pipeline.p"]  # one error entry, no invented p[0]
    message = errors(run)["aws_imagebuilder_image_pipeline.p"]
    assert reason in message
    assert f"{tmp_path / 'main.tf'}:6" in message  # the expression's file:line
    assert statuses(run) == {"aws_imagebuilder_image_pipeline.p": "error"}


def test_a_failing_module_for_each_is_an_error_for_the_pipelines_inside(cli, tmp_path):
    (tmp_path / "mod").mkdir()
    (tmp_path / "mod" / "main.tf").write_text(pipeline("p", '"p"'))
    (tmp_path / "main.tf").write_text('module "m" {\n  source = "./mod"\n  for_each = toset(null)\n}\n')
    run = cli("check", str(tmp_path), "--live", str(DEMO_LIVE), "--region", "us-east-1")
    assert run.exit_code == 2
    message = errors(run)["module.m.aws_imagebuilder_image_pipeline.p"]
    assert message.startswith("module.m for_each = toset(null)") and "main.tf:3" in message


def test_valid_count_and_for_each_keep_their_instances(cli, tmp_path):
    (tmp_path / "main.tf").write_text(
        pipeline("c", '"c-${count.index}"', 'count = "2"') + pipeline("f", '"f-${each.key}"', 'for_each = { x = 1, "y.z" = 2 }')
    )
    run = cli("check", str(tmp_path), "--live", str(DEMO_LIVE), "--region", "us-east-1")
    assert sorted(statuses(run)) == [
        "aws_imagebuilder_image_pipeline.c[0]",
        "aws_imagebuilder_image_pipeline.c[1]",
        'aws_imagebuilder_image_pipeline.f["x"]',
        'aws_imagebuilder_image_pipeline.f["y.z"]',
    ]
    assert run.exit_code == 1  # all missing: drift, not trouble


# --------------------------------------------------------------------------- modules: local, installed, missing, broken, recursive


def test_a_missing_local_module_directory_is_an_input_error_at_the_call(cli, tmp_path):
    (tmp_path / "main.tf").write_text('module "gone" {\n  source = "./modules/gone"\n}\n\n' + pipeline("root", '"prod-base-linux"'))
    run = cli("check", str(tmp_path), "--live", str(DEMO_LIVE))
    assert run.exit_code == 2
    assert f"{tmp_path / 'main.tf'}:2: error: module \"gone\": source directory ./modules/gone does not exist" in run.stderr
    assert statuses(run) == {"aws_imagebuilder_image_pipeline.root": "drifted"}  # the rest is still checked


def test_a_registry_module_that_is_not_installed_says_run_terraform_init(cli, tmp_path):
    tree = tmp_path / "root"
    shutil.copytree(MANY, tree)
    shutil.rmtree(tree / ".terraform")
    run = cli("check", str(tree), "--live", str(MANY_LIVE))
    assert run.exit_code == 2
    messages = [e["message"] for e in run.report["input_errors"]]
    assert any('module "golden" (source "git::https://git.example.com/platform/golden.git//modules/pipeline?ref=v2.1.0") is not installed: run terraform init' in m for m in messages)
    assert any('module "vpc" (source "terraform-aws-modules/vpc/aws") is not installed: run terraform init' in m for m in messages)
    lines = {(e["source"]["file"], e["source"]["line"]) for e in run.report["input_errors"]}
    main = str(tree / "main.tf")
    assert (main, (tree / "main.tf").read_text().splitlines().index('module "golden" {') + 2) in lines
    # the local pipelines are still checked
    assert statuses(run)["module.pipeline_api.aws_imagebuilder_image_pipeline.this"] == "in_sync"


def test_installed_modules_are_read_from_the_terraform_data_dir(cli, tmp_path, monkeypatch):
    tree = tmp_path / "root"
    shutil.copytree(MANY, tree)
    (tree / ".terraform").rename(tmp_path / "data")
    manifest = json.loads((tmp_path / "data" / "modules" / "modules.json").read_text())
    for entry in manifest["Modules"]:
        entry["Dir"] = entry["Dir"].replace(".terraform/", "../data/")
    (tmp_path / "data" / "modules" / "modules.json").write_text(json.dumps(manifest))
    monkeypatch.setenv("TF_DATA_DIR", str(tmp_path / "data"))
    run = cli("check", str(tree), "--live", str(MANY_LIVE))
    assert statuses(run)["module.golden.aws_imagebuilder_image_pipeline.golden"] == "in_sync"


def test_a_syntax_error_in_a_child_module_is_an_input_error_and_its_pipelines_are_errors(cli):
    broken = DATA / "broken-child"
    run = cli("check", str(broken), "--live", str(MANY_LIVE))
    assert run.exit_code == 2
    bad = broken / "modules" / "pipeline" / "main.tf"
    assert f"{bad}:5: error: Invalid multi-line string" in run.stderr
    assert run.report["input_errors"][0]["source"] == {"file": str(bad), "line": 5}
    assert errors(run)["module.broken.aws_imagebuilder_image_pipeline.nightly"].startswith("cannot be evaluated: its file has a syntax error")
    assert statuses(run)["module.ok.aws_imagebuilder_image_pipeline.ok"] == "drifted"  # checked all the same


@pytest.mark.parametrize("shape", ["self", "a-b-a"])
def test_recursive_module_calls_are_an_input_error_in_bounded_time(cli, tmp_path, shape):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "main.tf").write_text('module "a" {\n  source = "./a"\n}\n\n' + pipeline("root", '"prod-base-linux"'))
    if shape == "self":
        (tmp_path / "a" / "main.tf").write_text('module "again" {\n  source = "./"\n}\n' + pipeline("pa", '"in-a"'))
    else:
        (tmp_path / "a" / "main.tf").write_text('module "b" {\n  source = "../b"\n}\n' + pipeline("pa", '"in-a"'))
        (tmp_path / "b" / "main.tf").write_text('module "a" {\n  source = "../a"\n}\n' + pipeline("pb", '"in-b"'))
    run = cli("check", str(tmp_path), "--live", str(DEMO_LIVE), "--region", "us-east-1")
    assert run.exit_code == 2
    assert "module call cycle" in run.stderr and "Terraform refuses recursive modules" in run.stderr
    found = statuses(run)
    assert found["aws_imagebuilder_image_pipeline.root"] == "drifted"
    assert found["module.a.aws_imagebuilder_image_pipeline.pa"] == "missing"
    if shape == "a-b-a":
        assert found["module.a.module.b.aws_imagebuilder_image_pipeline.pb"] == "missing"


def test_a_for_each_set_keeps_each_key_and_each_value_when_given_to_the_evaluator_as_a_literal(cli, tmp_path):
    (tmp_path / "main.tf").write_text(
        'locals {\n  apps = ["web", "api", "a \\"quoted\\" ${"$"}{x}"]\n}\n\n'
        'resource "aws_imagebuilder_image_pipeline" "p" {\n  for_each = toset(local.apps)\n'
        '  name = "app-${each.key}"\n  description = "for ${each.value}"\n'
        f'  image_recipe_arn = "{RECIPE}"\n  infrastructure_configuration_arn = "{INFRA}"\n}}\n'
    )
    run = cli("check", str(tmp_path), "--live", str(tmp_path), "--region", "us-east-1", "--format", "json", "--output", str(tmp_path / "r.json"))
    found = {p["id"]: p["name"] for p in run.report["pipelines"]}
    assert found == {
        'aws_imagebuilder_image_pipeline.p["web"]': "app-web",
        'aws_imagebuilder_image_pipeline.p["api"]': "app-api",
        'aws_imagebuilder_image_pipeline.p["a \\"quoted\\" ${x}"]': 'app-a "quoted" ${x}',
    }
