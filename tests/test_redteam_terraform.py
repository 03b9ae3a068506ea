"""Red-team findings for the Terraform source, through the CLI: each test states what Terraform itself does
with a valid (or invalid) configuration. Fixed ones pass; one still open is marked xfail (strict)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.tf_helpers import ACCOUNT, INFRA, RECIPE, live_response, only, resource  # noqa: F401


def check(cli, root: Path, *extra: str):
    return cli("check", str(root), "--live", str(root / "live"), "--region", "us-east-1", *extra)


def recipes_state(path: Path, keys, resource_type="aws_imagebuilder_image_recipe", names=None) -> None:
    names = names or {k: k for k in keys}
    instances = [
        {"index_key": key, "attributes": {"arn": f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:image-recipe/{names[key]}/1.x.x", "name": names[key]}}
        for key in keys
    ]
    path.write_text(json.dumps({
        "version": 4, "terraform_version": "1.9.0", "serial": 1, "lineage": "l", "outputs": {},
        "resources": [{"mode": "managed", "type": resource_type, "name": "r",
                       "provider": 'provider["registry.terraform.io/hashicorp/aws"]', "instances": instances}],
    }))


# --------------------------------------------------------------------------- false drift


@pytest.mark.parametrize(
    "ignore",
    [
        "[\n      # ops edits these by hand, see RUNBOOK\n      description,\n      tags,\n    ]",
        "[ /* ops, owns these */ description, tags ]",
    ],
)
def test_ignore_changes_with_comments_is_still_honoured(cli, tmp_path, ignore):
    body = '  name = "web"\n  description = "declared"\n  tags = { Owner = "team-a" }\n' f"  lifecycle {{\n    ignore_changes = {ignore}\n  }}\n"
    (tmp_path / "main.tf").write_text(resource("p", body))
    live_response(tmp_path / "live", "web", description="changed", tags={"Owner": "team-b"})
    run = check(cli, tmp_path)
    entry = only(run)
    # Terraform ignores comments: both description and tags are ignored, so the plan is empty
    assert sorted(d["path"] for d in entry["ignored"]) == ["description", "tags.Owner"]
    assert entry["differences"] == [] and entry["status"] == "in_sync" and run.exit_code == 0


def test_ignore_changes_legacy_dotted_index_is_honoured(cli, tmp_path):
    body = (
        '  name = "web"\n  schedule {\n    schedule_expression = "cron(0 3 * * ? *)"\n    pipeline_execution_start_condition = "EXPRESSION_MATCH_ONLY"\n  }\n'
        "  lifecycle {\n    ignore_changes = [schedule.0.schedule_expression]\n  }\n"
    )
    (tmp_path / "main.tf").write_text(resource("p", body))
    live_response(tmp_path / "live", "web", schedule={"scheduleExpression": "cron(0 4 * * ? *)", "pipelineExecutionStartCondition": "EXPRESSION_MATCH_ONLY", "timezone": "UTC"})
    run = check(cli, tmp_path)
    entry = only(run)
    assert [d["path"] for d in entry["ignored"]] == ["schedule.scheduleExpression"]
    assert entry["status"] == "in_sync" and run.exit_code == 0
    assert not any("names no attribute" in n for n in entry["notes"])


def test_tf_json_pipeline_honours_ignore_changes(cli, tmp_path):
    (tmp_path / "versions.tf").write_text("terraform {}\n")
    (tmp_path / "main.tf.json").write_text(json.dumps({
        "resource": {"aws_imagebuilder_image_pipeline": {"p": {
            "name": "web", "image_recipe_arn": RECIPE, "infrastructure_configuration_arn": INFRA,
            "tags": {"Owner": "team-a"}, "lifecycle": {"ignore_changes": ["tags"]},
        }}}
    }, indent=2))
    live_response(tmp_path / "live", "web", tags={"Owner": "team-b"})
    run = check(cli, tmp_path)
    entry = only(run)
    assert [d["path"] for d in entry["ignored"]] == ["tags.Owner"]
    assert entry["status"] == "in_sync" and run.exit_code == 0


def test_tf_json_only_root_is_a_terraform_root(cli, tmp_path):
    (tmp_path / "main.tf.json").write_text(json.dumps({
        "resource": {"aws_imagebuilder_image_pipeline": {"p": {"name": "web", "image_recipe_arn": RECIPE, "infrastructure_configuration_arn": INFRA}}}
    }))
    live_response(tmp_path / "live", "web")
    run = check(cli, tmp_path)
    assert run.report["input_errors"] == []
    assert only(run)["status"] == "in_sync" and run.exit_code == 0


def test_local_source_with_double_slash_is_the_cleaned_path(cli, tmp_path):
    (tmp_path / "modules" / "pipeline").mkdir(parents=True)
    (tmp_path / "modules" / "pipeline" / "main.tf").write_text(
        'variable "name" {}\n' + resource("this", '  name = var.name\n  description = "declared"\n  lifecycle {\n    ignore_changes = [description]\n  }\n')
    )
    (tmp_path / "main.tf").write_text('module "web" {\n  source = "./modules//pipeline"\n  name   = "web"\n}\n')
    live_response(tmp_path / "live", "web", description="changed")
    run = check(cli, tmp_path)
    entry = only(run)
    assert entry["id"] == "module.web.aws_imagebuilder_image_pipeline.this"
    assert [d["path"] for d in entry["ignored"]] == ["description"]
    assert entry["status"] == "in_sync" and run.exit_code == 0


def test_non_nullable_variable_given_null_takes_its_default(cli, tmp_path):
    (tmp_path / "mod").mkdir()
    (tmp_path / "mod" / "main.tf").write_text(
        'variable "name" {}\nvariable "description" {\n  type     = string\n  default  = "managed by terraform"\n  nullable = false\n}\n'
        + resource("p", "  name = var.name\n  description = var.description\n")
    )
    (tmp_path / "main.tf").write_text('module "web" {\n  source      = "./mod"\n  name        = "web"\n  description = null\n}\n')
    live_response(tmp_path / "live", "web", description="managed by terraform")
    run = check(cli, tmp_path)
    entry = only(run)
    assert entry["differences"] == [] and entry["status"] == "in_sync" and run.exit_code == 0


def test_auto_tfvars_and_auto_tfvars_json_in_one_lexical_order(cli, tmp_path):
    (tmp_path / "main.tf").write_text('variable "description" {\n  type = string\n}\n' + resource("p", '  name = "web"\n  description = var.description\n'))
    (tmp_path / "a.auto.tfvars.json").write_text('{"description": "from a.auto.tfvars.json"}\n')
    (tmp_path / "b.auto.tfvars").write_text('description = "from b.auto.tfvars"\n')  # later in name order: it wins
    live_response(tmp_path / "live", "web", description="from b.auto.tfvars")
    run = check(cli, tmp_path)
    entry = only(run)
    assert entry["differences"] == [] and entry["status"] == "in_sync" and run.exit_code == 0


# --------------------------------------------------------------------------- invented / duplicated entries and false errors


def test_override_file_is_merged_not_a_duplicate(cli, tmp_path):
    (tmp_path / "main.tf").write_text(resource("p", '  name = "web"\n  description = "base"\n'))
    (tmp_path / "main_override.tf").write_text('resource "aws_imagebuilder_image_pipeline" "p" {\n  description = "overridden"\n}\n')
    live_response(tmp_path / "live", "web", description="overridden")
    run = check(cli, tmp_path)
    assert run.report["input_errors"] == []
    entry = only(run)  # one pipeline, not two
    assert entry["id"] == "aws_imagebuilder_image_pipeline.p"
    assert entry["status"] == "in_sync" and run.exit_code == 0


def test_for_each_over_state_resource_with_non_ascii_key(cli, tmp_path):
    (tmp_path / "main.tf").write_text(
        'resource "aws_imagebuilder_image_recipe" "r" {\n  for_each = toset(["café"])\n  name = "cafe"\n}\n\n'
        'resource "aws_imagebuilder_image_pipeline" "p" {\n  for_each = aws_imagebuilder_image_recipe.r\n'
        f'  name = each.value.name\n  image_recipe_arn = each.value.arn\n  infrastructure_configuration_arn = "{INFRA}"\n}}\n'
    )
    recipes_state(tmp_path / "state.json", ["café"], names={"café": "cafe"})
    live_response(tmp_path / "live", "cafe", imageRecipeArn=f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:image-recipe/cafe/1.x.x")
    run = check(cli, tmp_path, "--state", str(tmp_path / "state.json"))
    entry = only(run)
    assert entry["id"] == 'aws_imagebuilder_image_pipeline.p["café"]'
    assert entry["status"] == "in_sync" and run.exit_code == 0


@pytest.mark.parametrize("how", ["tfvars", "var"])
def test_bool_variable_accepts_one_and_zero_strings(cli, tmp_path, how):
    (tmp_path / "main.tf").write_text('variable "enabled" {\n  type = bool\n}\n' + resource("p", '  count = var.enabled ? 1 : 0\n  name = "web"\n'))
    live_response(tmp_path / "live", "web")
    if how == "tfvars":
        (tmp_path / "prod.tfvars").write_text('enabled = "1"\n')
        run = check(cli, tmp_path, "--var-file", str(tmp_path / "prod.tfvars"))
    else:
        run = check(cli, tmp_path, "--var", "enabled=1")  # -var for a primitive type is a literal string "1"
    assert run.report["input_errors"] == []
    entry = only(run)
    assert entry["id"] == "aws_imagebuilder_image_pipeline.p[0]" and entry["status"] == "in_sync" and run.exit_code == 0


# --------------------------------------------------------------------------- missed drift (known values left unresolved)


def test_var_for_type_any_is_parsed_as_hcl(cli, tmp_path):
    (tmp_path / "main.tf").write_text('variable "settings" {\n  type = any\n}\n' + resource("p", '  name = "web"\n  description = var.settings.description\n'))
    live_response(tmp_path / "live", "web", description="changed")
    run = check(cli, tmp_path, "--var", 'settings={description="hello"}')
    entry = only(run)
    assert entry["unresolved"] == []
    assert run.paths("aws_imagebuilder_image_pipeline.p") == {"description": ("hello", "changed")}
    assert run.exit_code == 1


def test_module_for_each_over_state_resource_takes_each_value_from_state(cli, tmp_path):
    (tmp_path / "mod").mkdir()
    (tmp_path / "mod" / "main.tf").write_text(
        'variable "name" {}\nvariable "recipe_arn" {}\n'
        f'resource "aws_imagebuilder_image_pipeline" "p" {{\n  name = var.name\n  image_recipe_arn = var.recipe_arn\n  infrastructure_configuration_arn = "{INFRA}"\n}}\n'
    )
    (tmp_path / "main.tf").write_text(
        'resource "aws_imagebuilder_image_recipe" "r" {\n  for_each = toset(["api", "web"])\n  name = each.key\n}\n\n'
        'module "pipe" {\n  source     = "./mod"\n  for_each   = aws_imagebuilder_image_recipe.r\n  name       = "app-${each.key}"\n  recipe_arn = each.value.arn\n}\n'
    )
    recipes_state(tmp_path / "state.json", ["api", "web"])
    live_response(tmp_path / "live", "app-api", imageRecipeArn=f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:image-recipe/api/1.x.x")
    live_response(tmp_path / "live", "app-web", imageRecipeArn=f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:image-recipe/web/2.x.x")
    run = check(cli, tmp_path, "--state", str(tmp_path / "state.json"))
    api = run.pipeline('module.pipe["api"].aws_imagebuilder_image_pipeline.p')
    assert api["unresolved"] == [] and api["status"] == "in_sync"
    assert run.paths('module.pipe["web"].aws_imagebuilder_image_pipeline.p') == {
        "imageRecipeArn": (f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:image-recipe/web/1.x.x", f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:image-recipe/web/2.x.x")
    }
    assert run.exit_code == 1


def test_templatefile_with_literal_arguments_is_compared(cli, tmp_path):
    (tmp_path / "desc.tpl").write_text("Pipeline for ${env}")
    (tmp_path / "main.tf").write_text(resource("p", '  name = "web"\n  description = templatefile("${path.module}/desc.tpl", { env = "prod" })\n'))
    live_response(tmp_path / "live", "web", description="Pipeline for staging")
    run = check(cli, tmp_path)
    assert run.paths("aws_imagebuilder_image_pipeline.p") == {"description": ("Pipeline for prod", "Pipeline for staging")}
    assert run.exit_code == 1


def test_tf_json_count_over_an_unset_variable_is_an_error_not_an_invented_instance(cli, tmp_path):
    (tmp_path / "variables.tf").write_text('variable "n" {\n  type = number\n}\n')
    (tmp_path / "main.tf.json").write_text(json.dumps({
        "resource": {"aws_imagebuilder_image_pipeline": {"p": {
            "count": "${var.n}", "name": "web-${count.index}", "image_recipe_arn": RECIPE, "infrastructure_configuration_arn": INFRA,
        }}}
    }, indent=2))
    live_response(tmp_path / "live", "web-0")
    run = check(cli, tmp_path)
    # Terraform cannot plan without var.n: the block is one error entry asking for it, never p[0]
    entry = only(run)
    assert entry["id"] == "aws_imagebuilder_image_pipeline.p" and entry["status"] == "error"
    assert "cannot be evaluated" in entry["error"]  # (without the syntax index of .tf.json, the variable is not named)
    assert run.exit_code == 2


def test_for_each_over_state_resource_inside_a_child_module(cli, tmp_path):
    (tmp_path / "mod").mkdir()
    (tmp_path / "mod" / "main.tf").write_text(
        'resource "aws_imagebuilder_image_recipe" "r" {\n  for_each = toset(["api", "web"])\n  name = each.key\n}\n\n'
        'resource "aws_imagebuilder_image_pipeline" "p" {\n  for_each = aws_imagebuilder_image_recipe.r\n'
        f'  name = "app-${{each.key}}"\n  image_recipe_arn = each.value.arn\n  infrastructure_configuration_arn = "{INFRA}"\n}}\n'
    )
    (tmp_path / "main.tf").write_text('module "m" {\n  source = "./mod"\n}\n')
    recipes_state(tmp_path / "state.json", ["api", "web"])
    state = json.loads((tmp_path / "state.json").read_text())
    state["resources"][0]["module"] = "module.m"
    (tmp_path / "state.json").write_text(json.dumps(state))
    live_response(tmp_path / "live", "app-api", imageRecipeArn=f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:image-recipe/api/1.x.x")
    live_response(tmp_path / "live", "app-web", imageRecipeArn=f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:image-recipe/web/2.x.x")
    run = check(cli, tmp_path, "--state", str(tmp_path / "state.json"))
    assert run.pipeline('module.m.aws_imagebuilder_image_pipeline.p["api"]')["status"] == "in_sync"
    assert run.paths('module.m.aws_imagebuilder_image_pipeline.p["web"]') == {
        "imageRecipeArn": (f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:image-recipe/web/1.x.x", f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:image-recipe/web/2.x.x")
    }
    assert run.exit_code == 1
