"""Terraform read faithfully, through the CLI: Terraform's own ignore rules, per-value knownness, inputs
checked as `terraform plan` checks them, for_each over another resource, and hints that can be acted on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.tf_helpers import ACCOUNT, INFRA, RECIPE, live_response, only, resource  # noqa: F401


# --------------------------------------------------------------------------- lifecycle.ignore_changes and ignore_tags


SCHEDULED = {"schedule": {"scheduleExpression": "cron(0 9 * * ? *)", "timezone": "UTC", "pipelineExecutionStartCondition": "EXPRESSION_MATCH_ONLY"}}


@pytest.mark.parametrize(
    ("ignore", "ignored_paths", "drift"),
    [
        ("[schedule]", ["schedule.scheduleExpression"], ["tags.Owner"]),
        ("[schedule[0].schedule_expression]", ["schedule.scheduleExpression"], ["tags.Owner"]),
        ('[tags["Owner"], schedule]', ["schedule.scheduleExpression", "tags.Owner"], []),
        ("[tags, schedule]", ["schedule.scheduleExpression", "tags.Owner"], []),
        ("all", ["schedule.scheduleExpression", "tags.Owner"], []),
    ],
)
def test_lifecycle_ignore_changes_is_honoured_and_shown(cli, tmp_path, ignore, ignored_paths, drift):
    body = (
        '  name = "web"\n'
        '  schedule {\n    schedule_expression = "cron(0 3 * * ? *)"\n    pipeline_execution_start_condition = "EXPRESSION_MATCH_ONLY"\n  }\n'
        '  tags = { Owner = "team-a" }\n'
        f"  lifecycle {{\n    ignore_changes = {ignore}\n  }}\n"
    )
    (tmp_path / "main.tf").write_text(resource("p", body))
    live_response(tmp_path / "live", "web", tags={"Owner": "team-b"}, **SCHEDULED)
    run = cli("check", str(tmp_path), "--live", str(tmp_path / "live"), "--region", "us-east-1")
    entry = only(run)
    assert [d["path"] for d in entry["ignored"]] == ignored_paths
    assert {d["reason"] for d in entry["ignored"]} == {f"lifecycle.ignore_changes at {tmp_path / 'main.tf'}:11"}
    assert [d["path"] for d in entry["differences"]] == drift
    assert entry["status"] == ("drifted" if drift else "in_sync")
    assert run.exit_code == (1 if drift else 0)
    text = cli("check", str(tmp_path), "--live", str(tmp_path / "live"), "--region", "us-east-1", json_report=False).stdout
    assert "ignored: schedule.scheduleExpression" in text and "lifecycle.ignore_changes at" in text


def test_ignore_changes_entries_that_name_nothing_are_a_note(cli, tmp_path):
    body = '  name = "web"\n  lifecycle {\n    ignore_changes = [not_an_attribute]\n  }\n'
    (tmp_path / "main.tf").write_text(resource("p", body))
    live_response(tmp_path / "live", "web")
    entry = only(cli("check", str(tmp_path), "--live", str(tmp_path / "live"), "--region", "us-east-1"))
    assert any("ignore_changes entry not_an_attribute names no attribute" in n for n in entry["notes"])


def test_provider_ignore_tags_keys_and_prefixes_from_the_provider_the_pipeline_uses(cli, tmp_path):
    (tmp_path / "main.tf").write_text(
        'provider "aws" {\n  region = "us-east-1"\n}\n\n'
        'provider "aws" {\n  alias  = "ops"\n  region = "us-east-1"\n  ignore_tags {\n'
        '    keys         = ["LastPatched"]\n    key_prefixes = ["kubernetes.io/", "ops:"]\n  }\n}\n\n'
        + resource("ops", '  provider = aws.ops\n  name = "ops"\n  tags = { Team = "ops" }\n')
        + resource("plain", '  name = "plain"\n  tags = { Team = "core" }\n')
    )
    extra = {"LastPatched": "2026-11-30", "kubernetes.io/cluster": "x", "ops:owner": "me"}
    live_response(tmp_path / "live", "ops", tags={"Team": "ops", **extra})
    live_response(tmp_path / "live", "plain", tags={"Team": "core", **extra})
    run = cli("check", str(tmp_path), "--live", str(tmp_path / "live"))
    ops = run.pipeline("aws_imagebuilder_image_pipeline.ops")
    assert ops["status"] == "in_sync"
    assert sorted(d["path"] for d in ops["ignored"]) == ["tags.LastPatched", "tags.kubernetes.io/cluster", "tags.ops:owner"]
    assert all(d["reason"] == f"provider aws.ops ignore_tags at {tmp_path / 'main.tf'}:8" for d in ops["ignored"])
    plain = run.pipeline("aws_imagebuilder_image_pipeline.plain")  # the default provider has no ignore_tags
    assert plain["status"] == "drifted" and plain["ignored"] == []
    assert run.exit_code == 1


# --------------------------------------------------------------------------- knownness per value


def test_an_attribute_of_a_local_object_is_known_when_its_own_expression_is(cli, tmp_path):
    (tmp_path / "main.tf").write_text(
        'variable "owner_id" {}\n\nlocals {\n  team = { name = "core", owner = var.owner_id }\n}\n\n'
        + resource("p", '  name = join("", [local.team.name, "_rhel7"])\n  description = local.team["name"]\n')
    )
    live_response(tmp_path / "live", "core_rhel7", description="core")
    entry = only(cli("check", str(tmp_path), "--live", str(tmp_path / "live"), "--region", "us-east-1"))
    assert (entry["name"], entry["status"], entry["unresolved"]) == ("core_rhel7", "in_sync", [])


def test_a_module_input_object_attribute_is_known_on_its_own(cli, tmp_path):
    (tmp_path / "mod").mkdir()
    (tmp_path / "mod" / "main.tf").write_text('variable "cfg" {}\n' + resource("q", '  name = "mod${var.cfg.suffix}"\n  description = var.cfg.owner\n'))
    (tmp_path / "main.tf").write_text('variable "owner_id" {}\n\nmodule "m" {\n  source = "./mod"\n  cfg = { suffix = "_rhel7", owner = var.owner_id }\n}\n')
    live_response(tmp_path / "live", "mod_rhel7", description="someone")
    entry = only(cli("check", str(tmp_path), "--live", str(tmp_path / "live"), "--region", "us-east-1"))
    assert (entry["name"], entry["status"], entry["unresolved"]) == ("mod_rhel7", "in_sync", ["description"])
    assert "var.owner_id has no value" in entry["unresolved_reasons"]["description"]


# --------------------------------------------------------------------------- inputs as terraform plan checks them


def test_a_var_for_an_undeclared_variable_is_an_error(cli, tmp_path):
    (tmp_path / "main.tf").write_text('variable "env" {\n  default = "prod"\n}\n' + resource("p", '  name = "p-${var.env}"\n'))
    run = cli("check", str(tmp_path), "--live", str(tmp_path), "--region", "us-east-1", "--var", "enviroment=dev")
    assert run.exit_code == 2
    assert '--var enviroment: error: undeclared variable "enviroment" (terraform plan refuses it); the root module' in run.stderr
    assert "declares: env" in run.stderr


def test_an_undeclared_variable_in_a_tfvars_file_is_a_note(cli, tmp_path):
    (tmp_path / "main.tf").write_text('variable "env" {}\n' + resource("p", '  name = "web-${var.env}"\n'))
    (tmp_path / "terraform.tfvars").write_text('env = "prod"\nregion = "us-east-1"\n')
    live_response(tmp_path / "live", "web-prod")
    run = cli("check", str(tmp_path), "--live", str(tmp_path / "live"), "--region", "us-east-1")
    entry = only(run)
    assert entry["status"] == "in_sync" and run.exit_code == 0
    assert f'{tmp_path / "terraform.tfvars"}:2: value for undeclared variable "region" (Terraform ignores it)' in entry["notes"]


@pytest.mark.parametrize(
    ("type_", "tfvars", "problem"),
    [
        ("number", 'n = "abc"', "the string 'abc' is not a number"),
        ("bool", "n = 3", "a number is not a bool"),
        ("list(string)", 'n = "a"', "a string is not a list"),
        ("object({ name = string, size = optional(number) })", "n = { size = 2 }", "attribute 'name' is required"),
        ("map(number)", 'n = { a = 1, b = "x" }', "b: the string 'x' is not a number"),
    ],
)
def test_a_tfvars_value_of_the_wrong_type_is_an_error_at_its_line(cli, tmp_path, type_, tfvars, problem):
    (tmp_path / "main.tf").write_text(f'variable "n" {{\n  type = {type_}\n}}\n' + resource("p", '  name = "web"\n'))
    (tmp_path / "prod.tfvars").write_text(f"# production\n{tfvars}\n")
    run = cli("check", str(tmp_path), "--live", str(tmp_path), "--region", "us-east-1", "--var-file", str(tmp_path / "prod.tfvars"))
    assert run.exit_code == 2
    assert f'{tmp_path / "prod.tfvars"}:2: error: variable "n": {problem}' in run.stderr


def test_a_failing_validation_is_an_error_with_its_error_message(cli, tmp_path):
    (tmp_path / "main.tf").write_text(
        'variable "env" {\n  type = string\n  validation {\n    condition     = contains(["prod", "dev"], var.env)\n'
        '    error_message = "env must be prod or dev."\n  }\n}\n' + resource("p", '  name = "web-${var.env}"\n')
    )
    run = cli("check", str(tmp_path), "--live", str(tmp_path), "--region", "us-east-1", "--var", "env=qa")
    assert run.exit_code == 2
    assert f'{tmp_path / "main.tf"}:3: error: variable "env": validation failed: env must be prod or dev.' in run.stderr
    assert "validation failed" not in cli("check", str(tmp_path), "--live", str(tmp_path), "--region", "us-east-1", "--var", "env=dev").stderr


def test_duplicate_resource_addresses_are_an_input_error_at_both_lines(cli, tmp_path):
    (tmp_path / "a.tf").write_text(resource("p", '  name = "one"\n'))
    (tmp_path / "b.tf").write_text("\n" + resource("p", '  name = "two"\n'))
    run = cli("check", str(tmp_path), "--live", str(tmp_path), "--region", "us-east-1")
    assert run.exit_code == 2
    lines = {(e["source"]["file"], e["source"]["line"]) for e in run.report["input_errors"]}
    assert lines == {(str(tmp_path / "a.tf"), 1), (str(tmp_path / "b.tf"), 2)}
    assert all("duplicate aws_imagebuilder_image_pipeline.p" in e["message"] for e in run.report["input_errors"])
    assert {p["status"] for p in run.report["pipelines"]} == {"error"}


# --------------------------------------------------------------------------- for_each over another resource


def _recipes_state(path: Path) -> None:
    instances = [
        {"index_key": key, "attributes": {"arn": f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:image-recipe/{key}/1.x.x", "name": key}}
        for key in ("api", "web")
    ]
    path.write_text(json.dumps({
        "version": 4, "terraform_version": "1.9.0", "serial": 1, "lineage": "l", "outputs": {},
        "resources": [{"mode": "managed", "type": "aws_imagebuilder_image_recipe", "name": "r",
                       "provider": 'provider["registry.terraform.io/hashicorp/aws"]', "instances": instances}],
    }))


FOR_EACH_RESOURCE = (
    'resource "aws_imagebuilder_image_recipe" "r" {\n  for_each = toset(["api", "web"])\n  name = each.key\n}\n\n'
    'resource "aws_imagebuilder_image_pipeline" "p" {\n  for_each = aws_imagebuilder_image_recipe.r\n'
    '  name = "app-${each.key}"\n  image_recipe_arn = each.value.arn\n'
    f'  infrastructure_configuration_arn = "{INFRA}"\n}}\n'
)


def test_for_each_over_another_resource_takes_its_keys_and_values_from_state(cli, tmp_path):
    (tmp_path / "main.tf").write_text(FOR_EACH_RESOURCE)
    _recipes_state(tmp_path / "state.json")
    live_response(tmp_path / "live", "app-api", imageRecipeArn=f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:image-recipe/api/1.x.x")
    live_response(tmp_path / "live", "app-web", imageRecipeArn=f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:image-recipe/web/2.x.x")
    run = cli("check", str(tmp_path), "--live", str(tmp_path / "live"), "--region", "us-east-1", "--state", str(tmp_path / "state.json"))
    assert run.pipeline('aws_imagebuilder_image_pipeline.p["api"]')["status"] == "in_sync"
    assert run.paths('aws_imagebuilder_image_pipeline.p["web"]') == {
        "imageRecipeArn": (f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:image-recipe/web/1.x.x", f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:image-recipe/web/2.x.x")
    }


def test_for_each_over_another_resource_without_state_names_the_way_out(cli, tmp_path):
    (tmp_path / "main.tf").write_text(FOR_EACH_RESOURCE)
    run = cli("check", str(tmp_path), "--live", str(tmp_path), "--region", "us-east-1")
    assert run.exit_code == 2
    error = only(run)["error"]
    assert "depends on aws_imagebuilder_image_recipe.r" in error and "pass --state FILE" in error


# --------------------------------------------------------------------------- hints


def test_every_variable_needed_to_name_a_pipeline_is_asked_for_at_once(cli, tmp_path):
    (tmp_path / "main.tf").write_text('variable "env" {}\nvariable "app" {}\n\nlocals {\n  base = "${var.env}-${var.app}"\n}\n' + resource("p", '  name = local.base\n'))
    error = only(cli("check", str(tmp_path), "--live", str(tmp_path), "--region", "us-east-1"))["error"]
    assert "pass --var env=" in error and "pass --var app=" in error


def test_an_undefined_local_says_which_files_were_read(cli, tmp_path):
    (tmp_path / "main.tf").write_text(resource("p", '  name = local.missing\n'))
    (tmp_path / "other.tf").write_text('locals {\n  present = 1\n}\n')
    error = only(cli("check", str(tmp_path), "--live", str(tmp_path), "--region", "us-east-1"))["error"]
    assert f"local.missing is not defined in {tmp_path} (driftcheck read main.tf, other.tf)" in error


def test_a_var_declared_only_by_a_template_of_the_same_run_is_not_terraforms_to_refuse(cli, tmp_path):
    (tmp_path / "tf").mkdir()
    (tmp_path / "tf" / "main.tf").write_text('variable "env" {\n  default = "prod"\n}\n' + resource("p", '  name = "p-${var.env}"\n'))
    (tmp_path / "t.yaml").write_text(
        "Parameters:\n  Env:\n    Type: String\nResources:\n  P:\n    Type: AWS::ImageBuilder::ImagePipeline\n"
        f"    Properties:\n      Name: !Sub 'c-${{Env}}'\n      ImageRecipeArn: {RECIPE}\n      InfrastructureConfigurationArn: {INFRA}\n"
    )
    run = cli("check", str(tmp_path / "tf"), str(tmp_path / "t.yaml"), "--live", str(tmp_path), "--region", "us-east-1", "--var", "Env=dev")
    assert run.report["input_errors"] == []
    run = cli("check", str(tmp_path / "tf"), str(tmp_path / "t.yaml"), "--live", str(tmp_path), "--region", "us-east-1", "--var", "Evn=dev")
    assert [e["message"].split(" (")[0] for e in run.report["input_errors"]] == ['undeclared variable "Evn"']


@pytest.mark.parametrize(
    ("template", "variables", "expected"),
    [
        ("Image for ${app} in ${env}\n", '{ app = "web", env = var.env }', "Image for web in prod\n"),
        ("%{ for t in tags ~}\n- ${t}\n%{ endfor ~}", '{ tags = ["a", "b"] }', "- a\n- b\n"),
        ("cost $${literal} for ${env}", '{ env = local.env }', "cost ${literal} for prod"),
    ],
)
def test_templatefile_is_rendered_as_terraform_renders_it(cli, tmp_path, template, variables, expected):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "desc.tpl").write_text(template)
    (tmp_path / "main.tf").write_text(
        'variable "env" {\n  default = "prod"\n}\n\nlocals {\n  env = var.env\n}\n\n'
        + resource("p", f'  name = "web"\n  description = templatefile("${{path.module}}/templates/desc.tpl", {variables})\n')
    )
    live_response(tmp_path / "live", "web", description="something else")
    run = cli("check", str(tmp_path), "--live", str(tmp_path / "live"), "--region", "us-east-1")
    assert run.paths("aws_imagebuilder_image_pipeline.p") == {"description": (expected, "something else")}


def test_a_templatefile_that_cannot_be_inlined_stays_unresolved(cli, tmp_path):
    (tmp_path / "main.tf").write_text(
        'variable "owner" {}\n\n' + resource("p", '  name = "web"\n  description = templatefile("${path.module}/missing.tpl", { o = var.owner })\n')
    )
    live_response(tmp_path / "live", "web", description="x")
    entry = only(cli("check", str(tmp_path), "--live", str(tmp_path / "live"), "--region", "us-east-1"))
    assert entry["unresolved"] == ["description"] and entry["status"] == "in_sync"
