"""The Terraform source: Terraform evaluation semantics, tfparse's traps, absent-field rules, locations, bad input.

Every test writes its own HCL into tmp_path and asserts exact fields, values and locations.
"""

from __future__ import annotations

import hashlib
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
import tfparse

from driftcheck.frozen import thaw
from driftcheck.model import DeclaredPipeline, InputError, Location, Unresolved
from driftcheck.sources.base import SourceResult
from driftcheck.sources.terraform import TerraformOptions
from driftcheck.sources.terraform.source import TerraformSource
from driftcheck.sources.terraform.state import load_state

INFRA = "arn:aws:imagebuilder:us-east-1:111122223333:infrastructure-configuration/infra"
RECIPE = "arn:aws:imagebuilder:us-east-1:111122223333:image-recipe/base/1.0.0"
RECIPE_STATE_ARN = "arn:aws:imagebuilder:us-east-1:111122223333:image-recipe/from-state/2.0.0"
INFRA_STATE_ARN = "arn:aws:imagebuilder:us-east-1:111122223333:infrastructure-configuration/from-state"
PIPELINE_STATE_ARN = "arn:aws:imagebuilder:eu-west-1:111122223333:image-pipeline/from-state"
START = "EXPRESSION_MATCH_AND_DEPENDENCY_UPDATES_AVAILABLE"


# --------------------------------------------------------------------------- helpers


def write(root: Path, files: dict[str, str]) -> Path:
    """Write dedented files under root (parents created); returns root."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


def collect(*paths: Path | str, **options: Any) -> SourceResult:
    return TerraformSource(TerraformOptions(**options)).collect([str(p) for p in paths])


def only(result: SourceResult) -> DeclaredPipeline:
    assert result.errors == (), result.errors
    assert len(result.pipelines) == 1, [p.id for p in result.pipelines]
    return result.pipelines[0]


def by_id(result: SourceResult) -> dict[str, DeclaredPipeline]:
    ids = [p.id for p in result.pipelines]
    assert len(ids) == len(set(ids)), ids
    return {p.id: p for p in result.pipelines}


def line_of(path: Path, needle: str) -> int:
    """The 1-based line of the only line of path that contains needle."""
    hits = [n for n, text in enumerate(path.read_text().splitlines(), 1) if needle in text]
    assert len(hits) == 1, (needle, hits)
    return hits[0]


def fields(pipeline: DeclaredPipeline) -> dict[str, Any]:
    return thaw(pipeline.fields)


def expected(**overrides: Any) -> dict[str, Any]:
    """The fields of a pipeline with only name and infrastructure set, as Terraform manages them."""
    base = {
        "name": "p",
        "description": None,
        "enhancedImageMetadataEnabled": True,
        "imageRecipeArn": None,
        "containerRecipeArn": None,
        "infrastructureConfigurationArn": INFRA,
        "distributionConfigurationArn": None,
        "schedule": None,
        "status": "ENABLED",
        "executionRole": None,
        "loggingConfiguration": None,
        "tags": {},
    }
    base.update(overrides)
    return base


def pipeline(label: str, name: str = '"p"', body: str = "", meta: str = "") -> str:
    """A pipeline resource block; ``name`` is an HCL expression, ``body`` extra lines."""
    return (
        f'resource "aws_imagebuilder_image_pipeline" "{label}" {{\n'
        + (f"  {meta}\n" if meta else "")
        + f"  name                             = {name}\n"
        + f'  infrastructure_configuration_arn = "{INFRA}"\n'
        + "".join(f"  {line}\n" for line in textwrap.dedent(body).strip("\n").splitlines())
        + "}\n"
    )


def digest(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


def v4_state(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {"version": 4, "terraform_version": "1.9.8", "serial": 3, "lineage": "x", "outputs": {}, "resources": resources}


def show_json_state(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {"format_version": "1.0", "terraform_version": "1.9.8", "values": {"root_module": {"resources": resources}}}


def unresolved_reason(value: Any) -> str:
    assert isinstance(value, Unresolved), value
    return value.reason


# --------------------------------------------------------------------------- variables


def test_variable_default(tmp_path):
    write(tmp_path, {"main.tf": 'variable "env" {\n  default = "prod"\n}\n' + pipeline("a", '"base-${var.env}"')})
    p = only(collect(tmp_path))
    assert p.id == "aws_imagebuilder_image_pipeline.a"
    assert p.name == "base-prod"
    assert fields(p) == expected(name="base-prod")
    assert p.error is None
    assert p.location == Location(str(tmp_path / "main.tf"), 1 + 3)


def test_terraform_tfvars_and_auto_tfvars_are_loaded_in_terraform_order(tmp_path):
    write(
        tmp_path,
        {
            "variables.tf": """
                variable "a" {}
                variable "b" {}
                variable "c" {}
                variable "d" {}
                variable "e" {}
            """,
            "main.tf": pipeline("p", '"${var.a}-${var.b}-${var.c}-${var.d}-${var.e}"'),
            "terraform.tfvars": 'a = "tfvars"\nb = "tfvars"\nc = "tfvars"\nd = "tfvars"\n',
            "terraform.tfvars.json": '{"e": "tfvars-json"}',
            "a.auto.tfvars": 'b = "a-auto"\nc = "a-auto"\n',
            "b.auto.tfvars": 'c = "b-auto"\n',
            "z.auto.tfvars.json": '{"d": "z-auto-json"}',
        },
    )
    p = only(collect(tmp_path))
    assert p.name == "tfvars-a-auto-b-auto-z-auto-json-tfvars-json"


def test_var_files_hcl_and_json_relative_and_absolute_outside_the_module(tmp_path, monkeypatch):
    module = write(
        tmp_path / "stack",
        {
            "main.tf": 'variable "a" {}\nvariable "b" {}\nvariable "c" {}\n' + pipeline("p", '"${var.a}-${var.b}-${var.c}"'),
            "terraform.tfvars": 'a = "auto"\nb = "auto"\nc = "auto"\n',
        },
    )
    write(tmp_path / "env", {"prod.tfvars": 'a = "relative-hcl"\nb = "relative-hcl"\n', "prod.tfvars.json": '{"b": "absolute-json"}'})
    monkeypatch.chdir(tmp_path)
    p = only(collect("stack", var_files=(Path("env/prod.tfvars"), (tmp_path / "env" / "prod.tfvars.json").resolve())))
    assert p.name == "relative-hcl-absolute-json-auto"  # later files win; untouched values stay
    assert p.location == Location("stack/main.tf", 4)
    # the same from inside the module directory, with a relative path that climbs out of it
    monkeypatch.chdir(module)
    p = only(collect(".", var_files=(Path("../env/prod.tfvars"),)))
    assert p.name == "relative-hcl-relative-hcl-auto"
    assert p.location == Location("main.tf", 4)


def test_cli_var_overrides_tfvars_for_a_string_and_a_map(tmp_path):
    write(
        tmp_path,
        {
            "main.tf": """
                variable "env" {
                  type = string
                }
                variable "extra" {
                  type    = map(string)
                  default = {}
                }
                variable "untyped" {}
            """
            + pipeline("p", '"${var.env}-${var.untyped}"', "tags = var.extra"),
            "terraform.tfvars": 'env = "from-tfvars"\nextra = { a = "tfvars" }\nuntyped = "tfvars"\n',
        },
    )
    p = only(collect(tmp_path, variables=(("env", 'cli "quoted" ${x}'), ("extra", '{a="b", n=1}'), ("untyped", "5"))))
    assert p.name == 'cli "quoted" ${x}-5'
    assert fields(p)["tags"] == {"a": "b", "n": "1"}


def test_tf_var_environment_variables_rank_below_tfvars(tmp_path, monkeypatch):
    write(tmp_path, {"main.tf": 'variable "a" {}\nvariable "b" {}\n' + pipeline("p", '"${var.a}-${var.b}"'), "terraform.tfvars": 'b = "tfvars"\n'})
    monkeypatch.setenv("TF_VAR_a", "env-a")
    monkeypatch.setenv("TF_VAR_b", "env-b")
    monkeypatch.setenv("TF_VAR_undeclared", "{ not hcl")  # Terraform ignores it; so must we
    p = only(collect(tmp_path))
    assert p.name == "env-a-tfvars"
    assert p.error is None


def test_cli_values_are_converted_to_the_attribute_types(tmp_path):
    """--var values are strings; Terraform converts them to the attribute's type (no false drift)."""
    write(
        tmp_path,
        {
            "main.tf": 'variable "timeout" {}\nvariable "tests" {}\nvariable "param" {}\n'
            + pipeline(
                "p",
                body="""
                image_tests_configuration {
                  image_tests_enabled = var.tests
                  timeout_minutes     = var.timeout
                }
                enhanced_image_metadata_enabled = "false"
                workflow {
                  workflow_arn = "arn:aws:imagebuilder:us-east-1:aws:workflow/build/build-image/x.x.x"
                  parameter {
                    name  = "count"
                    value = var.param
                  }
                  parameter {
                    name  = "flag"
                    value = true
                  }
                }
                tags = { Number = 42, Bool = false }
                """,
            )
        },
    )
    p = only(collect(tmp_path, variables=(("timeout", "90"), ("tests", "false"), ("param", "7"))))
    got = fields(p)
    assert got["imageTestsConfiguration"] == {"imageTestsEnabled": False, "timeoutMinutes": 90}
    assert got["enhancedImageMetadataEnabled"] is False
    assert got["workflows"][0]["parameters"] == [{"name": "count", "value": "7"}, {"name": "flag", "value": "true"}]
    assert got["tags"] == {"Number": "42", "Bool": "false"}


def test_a_value_terraform_would_reject_is_unresolved_not_compared(tmp_path):
    write(tmp_path, {"main.tf": pipeline("p", body='image_tests_configuration {\n  timeout_minutes = "soon"\n}')})
    got = fields(only(collect(tmp_path)))
    assert "not a valid integer" in unresolved_reason(got["imageTestsConfiguration"]["timeoutMinutes"])


# --------------------------------------------------------------------------- expressions


def test_locals_templates_heredoc_and_functions(tmp_path):
    write(
        tmp_path,
        {
            "main.tf": """
                variable "env" {
                  default = "prod"
                }
                variable "sizes" {
                  default = { prod = "large", dev = "small" }
                }
                locals {
                  common = { Team = "platform", Env = var.env }
                  prefix = format("%s-%03d", var.env, 7)
                }
                resource "aws_imagebuilder_image_pipeline" "p" {
                  name                             = "${local.prefix}-${upper(var.env)}"
                  infrastructure_configuration_arn = "arn:aws:imagebuilder:us-east-1:111122223333:infrastructure-configuration/${var.env}"
                  description                      = <<-EOT
                    Env ${upper(var.env)}
                    size: ${lookup(var.sizes, var.env, "none")} / ${lookup(var.sizes, "qa", "none")}
                    EOT
                  status = var.env == "prod" ? "ENABLED" : "DISABLED"
                  tags   = merge(local.common, { Size = lookup(var.sizes, var.env) })
                }
            """
        },
    )
    p = only(collect(tmp_path))
    assert fields(p) == expected(
        name="prod-007-PROD",
        infrastructureConfigurationArn="arn:aws:imagebuilder:us-east-1:111122223333:infrastructure-configuration/prod",
        description="Env PROD\nsize: large / none\n",
        tags={"Team": "platform", "Env": "prod", "Size": "large"},
    )


@pytest.mark.parametrize(("env", "status", "description"), [("prod", "ENABLED", None), ("dev", "DISABLED", "dev only")])
def test_conditionals(tmp_path, env, status, description):
    write(
        tmp_path,
        {
            "main.tf": 'variable "env" {}\n'
            + pipeline(
                "p",
                body='status = var.env == "prod" ? "ENABLED" : "DISABLED"\ndescription = var.env == "prod" ? null : "dev only"',
            )
        },
    )
    p = only(collect(tmp_path, variables=(("env", env),)))
    assert fields(p) == expected(status=status, description=description)


def test_count_literal_and_count_index(tmp_path):
    write(tmp_path, {"main.tf": pipeline("n", '"n-${count.index}"', meta="count = 2")})
    result = collect(tmp_path)
    assert result.errors == ()
    assert [(p.id, p.name) for p in result.pipelines] == [
        ("aws_imagebuilder_image_pipeline.n[0]", "n-0"),
        ("aws_imagebuilder_image_pipeline.n[1]", "n-1"),
    ]
    assert {p.location for p in result.pipelines} == {Location(str(tmp_path / "main.tf"), 1)}


@pytest.mark.parametrize(("enabled", "winner", "description"), [("true", "on[0]", "on"), ("false", "off[0]", "off")])
def test_mutually_exclusive_count_yields_exactly_one(tmp_path, enabled, winner, description):
    write(
        tmp_path,
        {
            "main.tf": 'variable "enabled" {\n  type = bool\n}\n'
            + pipeline("on", '"same"', 'description = "on"', meta="count = var.enabled ? 1 : 0")
            + pipeline("off", '"same"', 'description = "off"', meta="count = var.enabled ? 0 : 1")
        },
    )
    p = only(collect(tmp_path, variables=(("enabled", enabled),)))
    assert p.id == f"aws_imagebuilder_image_pipeline.{winner}"
    assert fields(p) == expected(name="same", description=description)


def test_for_each_over_a_map_and_a_set(tmp_path):
    write(
        tmp_path,
        {
            "main.tf": pipeline("m", '"m-${each.key}"', "description = each.value", meta='for_each = { a = "first", b = "second" }')
            + pipeline("s", '"s-${each.value}"', meta='for_each = toset(["x", "y"])')
        },
    )
    pipelines = by_id(collect(tmp_path))
    assert {i: (p.name, fields(p)["description"]) for i, p in pipelines.items()} == {
        'aws_imagebuilder_image_pipeline.m["a"]': ("m-a", "first"),
        'aws_imagebuilder_image_pipeline.m["b"]': ("m-b", "second"),
        'aws_imagebuilder_image_pipeline.s["x"]': ("s-x", None),
        'aws_imagebuilder_image_pipeline.s["y"]': ("s-y", None),
    }


# --------------------------------------------------------------------------- dynamic blocks


@pytest.mark.parametrize("scheduled", [True, False])
def test_dynamic_schedule_conditional(tmp_path, scheduled):
    write(
        tmp_path,
        {
            "main.tf": 'variable "scheduled" {\n  type = bool\n}\n'
            + pipeline(
                "p",
                body="""
                dynamic "schedule" {
                  for_each = var.scheduled ? [1] : []
                  content {
                    schedule_expression = "cron(0 0 * * ? *)"
                  }
                }
                """,
            )
        },
    )
    p = only(collect(tmp_path, variables=(("scheduled", str(scheduled).lower()),)))
    schedule = {"scheduleExpression": "cron(0 0 * * ? *)", "pipelineExecutionStartCondition": START} if scheduled else None
    assert fields(p) == expected(schedule=schedule)


def test_dynamic_schedule_over_a_map_keyed_by_cron_expression(tmp_path):
    write(
        tmp_path,
        {
            "main.tf": 'variable "crons" {\n  default = { "cron(0 3 ? * MON *)" = "Europe/Paris" }\n}\n'
            + pipeline(
                "p",
                body="""
                dynamic "schedule" {
                  for_each = var.crons
                  content {
                    schedule_expression = schedule.key
                    timezone            = schedule.value
                    pipeline_execution_start_condition = "EXPRESSION_MATCH_ONLY"
                  }
                }
                """,
            )
        },
    )
    p = only(collect(tmp_path))
    assert fields(p)["schedule"] == {
        "scheduleExpression": "cron(0 3 ? * MON *)",
        "timezone": "Europe/Paris",
        "pipelineExecutionStartCondition": "EXPRESSION_MATCH_ONLY",
    }
    main = tmp_path / "main.tf"
    assert p.field_locations["schedule"] == Location(str(main), line_of(main, 'dynamic "schedule"'))
    assert p.field_locations["schedule.scheduleExpression"] == Location(str(main), line_of(main, "schedule_expression"))
    assert p.field_locations["schedule.timezone"] == Location(str(main), line_of(main, "timezone"))


DYNAMIC_FIRST = """
    dynamic "schedule" {
      for_each = [SCHEDULE]
      content {
        schedule_expression = schedule.value
      }
    }
    image_tests_configuration {
      timeout_minutes = 120
    }
"""


def test_tfparse_itself_drops_a_dynamic_block_followed_by_a_static_one(tmp_path):
    """The trap the source works around (if tfparse is fixed, the workaround can go)."""
    write(tmp_path, {"main.tf": pipeline("p", body=DYNAMIC_FIRST.replace("SCHEDULE", '"cron(1 1 * * ? *)"'))})
    raw = tfparse.load_from_path(str(tmp_path), allow_downloads=False)["aws_imagebuilder_image_pipeline"][0]
    assert "schedule" not in raw
    assert raw["image_tests_configuration"]["timeout_minutes"] == 120


def test_dynamic_before_static_in_root_for_each_resource_and_module(tmp_path):
    root = write(
        tmp_path / "root",
        {
            "main.tf": pipeline("plain", '"plain"', DYNAMIC_FIRST.replace("SCHEDULE", '"cron(1 1 * * ? *)"'))
            + pipeline("each", '"each-${each.key}"', DYNAMIC_FIRST.replace("SCHEDULE", "each.value"), meta='for_each = { a = "cron(2 2 * * ? *)", b = "cron(3 3 * * ? *)" }')
            + 'module "m" {\n  source = "./mod"\n}\n',
            "mod/main.tf": pipeline(
                "inner",
                '"inner"',
                """
                dynamic "workflow" {
                  for_each = ["arn:aws:imagebuilder:us-east-1:aws:workflow/build/build-image/x.x.x", "arn:aws:imagebuilder:us-east-1:aws:workflow/test/test-image/x.x.x"]
                  content {
                    workflow_arn = workflow.value
                  }
                }
                schedule {
                  schedule_expression = "cron(4 4 * * ? *)"
                }
                """,
            ),
        },
    )
    before = digest(root)
    pipelines = by_id(collect(root))
    assert digest(root) == before  # the user's files are never modified
    assert sorted(p.name for p in pipelines.values()) == ["each-a", "each-b", "inner", "plain"]

    def schedule(expression: str) -> dict[str, str]:
        return {"scheduleExpression": expression, "pipelineExecutionStartCondition": START}

    tests = {"imageTestsEnabled": True, "timeoutMinutes": 120}
    plain = pipelines["aws_imagebuilder_image_pipeline.plain"]
    assert fields(plain) == expected(name="plain", schedule=schedule("cron(1 1 * * ? *)"), imageTestsConfiguration=tests)
    assert fields(pipelines['aws_imagebuilder_image_pipeline.each["a"]'])["schedule"] == schedule("cron(2 2 * * ? *)")
    assert fields(pipelines['aws_imagebuilder_image_pipeline.each["b"]'])["schedule"] == schedule("cron(3 3 * * ? *)")
    inner = pipelines["module.m.aws_imagebuilder_image_pipeline.inner"]
    assert [w["workflowArn"] for w in fields(inner)["workflows"]] == [
        "arn:aws:imagebuilder:us-east-1:aws:workflow/build/build-image/x.x.x",
        "arn:aws:imagebuilder:us-east-1:aws:workflow/test/test-image/x.x.x",
    ]
    assert fields(inner)["schedule"] == schedule("cron(4 4 * * ? *)")
    # locations still point at the user's file, not at the reordered copy
    main, mod = root / "main.tf", root / "mod" / "main.tf"
    assert plain.location == Location(str(main), 1)
    assert plain.field_locations["imageTestsConfiguration.timeoutMinutes"] == Location(str(main), 11)
    assert plain.field_locations["schedule"] == Location(str(main), 4)
    assert inner.location == Location(str(mod), 1)
    assert inner.field_locations["schedule.scheduleExpression"] == Location(str(mod), line_of(mod, "cron(4 4"))
    assert inner.field_locations["workflows[1].workflowArn"] == Location(str(mod), line_of(mod, "workflow_arn"))


# --------------------------------------------------------------------------- modules


def test_local_modules_inputs_defaults_nesting_and_source_outside_the_root(tmp_path):
    root = write(
        tmp_path / "live" / "prod",
        {
            "main.tf": """
                variable "env" {
                  default = "prod"
                }
                module "shared" {
                  source = "../../shared/mod"
                  env    = var.env
                }
            """
        },
    )
    write(
        tmp_path / "shared" / "mod",
        {
            "main.tf": """
                variable "env" {}
                variable "suffix" {
                  default = "default-suffix"
                }
                module "inner" {
                  source = "./inner"
                  label  = "${var.env}-${var.suffix}"
                }
            """
            + pipeline("outer", '"outer-${var.env}-${var.suffix}"'),
            "inner/main.tf": 'variable "label" {}\nvariable "team" {\n  default = "platform"\n}\n'
            + pipeline("deep", '"deep-${var.label}"', "tags = { Team = var.team }"),
        },
    )
    pipelines = by_id(collect(root))
    outer = pipelines["module.shared.aws_imagebuilder_image_pipeline.outer"]
    deep = pipelines["module.shared.module.inner.aws_imagebuilder_image_pipeline.deep"]
    assert set(pipelines) == {outer.id, deep.id}
    assert fields(outer) == expected(name="outer-prod-default-suffix")
    assert fields(deep) == expected(name="deep-prod-default-suffix", tags={"Team": "platform"})
    assert outer.location == Location(str(tmp_path / "shared" / "mod" / "main.tf"), 9)
    assert deep.location == Location(str(tmp_path / "shared" / "mod" / "inner" / "main.tf"), 5)
    assert deep.field_locations["tags.Team"] == Location(str(tmp_path / "shared" / "mod" / "inner" / "main.tf"), 8)


def test_module_with_for_each_and_a_module_that_is_switched_off(tmp_path):
    write(
        tmp_path,
        {
            "main.tf": """
                variable "on" {
                  default = false
                }
                module "each" {
                  source   = "./mod"
                  for_each = toset(["a", "b"])
                  label    = each.key
                }
                module "off" {
                  source = "./mod"
                  count  = var.on ? 1 : 0
                  label  = "off"
                }
            """,
            "mod/main.tf": 'variable "label" {}\n' + pipeline("p", '"p-${var.label}"'),
        },
    )
    assert {i: p.name for i, p in by_id(collect(tmp_path)).items()} == {
        'module.each["a"].aws_imagebuilder_image_pipeline.p': "p-a",
        'module.each["b"].aws_imagebuilder_image_pipeline.p': "p-b",
    }


# --------------------------------------------------------------------------- providers, tags, regions, workspace


PROVIDERS = """
    provider "aws" {
      region = "us-east-1"
      default_tags {
        tags = {
          Owner = "platform"
          Env   = "default"
        }
      }
    }
    provider "aws" {
      alias  = "west"
      region = "us-west-2"
    }
"""


def test_default_tags_merge_under_resource_tags_with_locations(tmp_path):
    write(tmp_path, {"main.tf": PROVIDERS + pipeline("p", body='tags = {\n  Env  = "mine"\n  Cost = 12\n}')})
    p = only(collect(tmp_path))
    main = tmp_path / "main.tf"
    assert fields(p)["tags"] == {"Owner": "platform", "Env": "mine", "Cost": "12"}
    assert p.region == "us-east-1"
    own_tags = line_of(main, 'Env  = "mine"') - 1
    assert p.field_locations["tags.Owner"] == Location(str(main), 4)  # the `tags` line of the provider's default_tags
    assert p.field_locations["tags.Env"] == Location(str(main), own_tags)  # the resource wins
    assert p.field_locations["tags.Cost"] == Location(str(main), own_tags)
    assert p.field_locations["tags"] == Location(str(main), own_tags)


def test_provider_alias_has_its_own_region_and_no_default_tags(tmp_path):
    write(tmp_path, {"main.tf": PROVIDERS + pipeline("p", meta="provider = aws.west")})
    p = only(collect(tmp_path))
    assert p.region == "us-west-2"
    assert fields(p) == expected()


def test_v6_resource_region_wins_over_the_provider_region(tmp_path):
    write(tmp_path, {"main.tf": PROVIDERS + pipeline("p", body='region = "eu-central-1"', meta="provider = aws.west")})
    p = only(collect(tmp_path))
    assert p.region == "eu-central-1"
    assert "region" not in fields(p)


def test_unknown_region_is_an_error_unless_state_gives_the_arn(tmp_path):
    write(tmp_path, {"main.tf": 'variable "region" {}\nprovider "aws" {\n  region = var.region\n}\n' + pipeline("p")})
    p = only(collect(tmp_path))
    assert p.region is None
    assert p.error == "pipeline region is unresolved, so it cannot be fetched: provider region: var.region has no value (pass --var region=... or a --var-file)"
    assert only(collect(tmp_path, variables=(("region", "ap-south-1"),))).region == "ap-south-1"
    state = tmp_path / "s.tfstate"
    state.write_text(json.dumps(v4_state([{"mode": "managed", "type": "aws_imagebuilder_image_pipeline", "name": "p", "instances": [{"attributes": {"arn": PIPELINE_STATE_ARN}}]}])))
    p = only(collect(tmp_path, state=load_state(state)))
    assert (p.region, p.arn, p.error) == ("eu-west-1", PIPELINE_STATE_ARN, None)


def test_modules_use_the_provider_their_call_passes_and_their_own_provider_block(tmp_path):
    write(
        tmp_path,
        {
            "main.tf": PROVIDERS
            + """
                module "west" {
                  source = "./mod"
                  providers = {
                    aws = aws.west
                  }
                }
                module "inherits" {
                  source = "./mod"
                }
                module "legacy" {
                  source = "./legacy"
                }
            """,
            "mod/main.tf": pipeline("p"),
            "legacy/main.tf": 'provider "aws" {\n  region = "ap-southeast-2"\n}\n' + pipeline("p"),
        },
    )
    pipelines = by_id(collect(tmp_path))
    assert {i: (p.region, fields(p)["tags"]) for i, p in pipelines.items()} == {
        "module.west.aws_imagebuilder_image_pipeline.p": ("us-west-2", {}),
        "module.inherits.aws_imagebuilder_image_pipeline.p": ("us-east-1", {"Owner": "platform", "Env": "default"}),
        "module.legacy.aws_imagebuilder_image_pipeline.p": ("ap-southeast-2", {}),
    }


def test_terraform_workspace(tmp_path):
    write(tmp_path, {"main.tf": pipeline("p", '"p-${terraform.workspace}"')})
    assert only(collect(tmp_path, workspace="staging")).name == "p-staging"
    assert only(collect(tmp_path)).name == "p-default"


# --------------------------------------------------------------------------- what is not a pipeline


def test_commented_out_resources_are_not_declared(tmp_path):
    write(
        tmp_path,
        {
            "main.tf": "/*\n" + pipeline("block_comment", '"hidden"') + "*/\n"
            + "".join(f"# {line}\n" for line in pipeline("hash", '"hash"').splitlines())
            + "".join(f"// {line}\n" for line in pipeline("slashes", '"slashes"').splitlines())
            + pipeline("real", '"real" /* inline */', 'description = "not /* a comment */" # trailing')
        },
    )
    p = only(collect(tmp_path))
    assert (p.id, p.name, fields(p)["description"]) == ("aws_imagebuilder_image_pipeline.real", "real", "not /* a comment */")


def test_look_alike_resources_and_data_sources_are_not_declared(tmp_path):
    body = f'name = "x"\n  infrastructure_configuration_arn = "{INFRA}"\n  image_recipe_arn = "{RECIPE}"\n'
    write(
        tmp_path,
        {
            "main.tf": f'resource "aws_imagebuilder_image" "img" {{\n  {body}}}\n'
            f'resource "aws_imagebuilder_image_pipelines" "plural" {{\n  {body}}}\n'
            'data "aws_imagebuilder_image_pipeline" "existing" {\n  arn = "arn:aws:imagebuilder:us-east-1:111122223333:image-pipeline/x"\n}\n'
            'module "m" {\n  source = "./mod"\n}\n',
            "mod/main.tf": 'data "aws_imagebuilder_image_pipeline" "in_module" {\n  arn = "arn:x"\n}\n',
        },
    )
    assert collect(tmp_path) == SourceResult((), ())


# --------------------------------------------------------------------------- unresolved values


def test_var_without_value_is_unresolved_and_names_the_flag(tmp_path):
    write(tmp_path, {"main.tf": 'variable "x" {}\n' + pipeline("p", body="description = var.x")})
    p = only(collect(tmp_path))
    assert fields(p)["description"] == Unresolved("var.x has no value (pass --var x=... or a --var-file)")
    assert p.error is None
    assert fields(p)["status"] == "ENABLED"


def test_unknown_var_inside_templates_and_functions(tmp_path):
    write(
        tmp_path,
        {
            "main.tf": 'variable "unknown" {}\n'
            + pipeline(
                "p",
                body="""
                description = "built for ${var.unknown}"
                execution_role = upper(var.unknown)
                logging_configuration {
                  image_log_group_name = <<-EOT
                    /logs/${var.unknown}
                    EOT
                  pipeline_log_group_name = "/static"
                }
                tags = { Owner = lower(var.unknown), Team = "t" }
                """,
            )
        },
    )
    got = fields(only(collect(tmp_path)))
    reason = "var.unknown has no value (pass --var unknown=... or a --var-file)"
    assert got["description"] == Unresolved(reason)
    assert got["executionRole"] == Unresolved(reason)  # tfparse returns null here: must not become None
    assert got["loggingConfiguration"] == {"imageLogGroupName": Unresolved(reason), "pipelineLogGroupName": "/static"}
    assert got["tags"] == Unresolved(reason)


def test_unknown_local_chain_names_the_variable(tmp_path):
    write(tmp_path, {"main.tf": 'variable "v" {}\nlocals {\n  a = "x-${var.v}"\n  b = local.a\n}\n' + pipeline("p", body="description = local.b")})
    got = fields(only(collect(tmp_path)))
    assert got["description"] == Unresolved("local.b depends on local.a depends on var.v has no value (pass --var v=... or a --var-file)")


def test_unknown_dynamic_for_each_makes_the_whole_block_unresolved(tmp_path):
    write(
        tmp_path,
        {
            "main.tf": 'variable "flag" {}\n'
            + pipeline(
                "p",
                body="""
                dynamic "schedule" {
                  for_each = var.flag ? [1] : []
                  content {
                    schedule_expression = "cron(0 0 * * ? *)"
                  }
                }
                """,
            )
        },
    )
    p = only(collect(tmp_path))
    assert fields(p)["schedule"] == Unresolved('dynamic "schedule" for_each: var.flag has no value (pass --var flag=... or a --var-file)')
    assert p.field_locations["schedule"] == Location(str(tmp_path / "main.tf"), line_of(tmp_path / "main.tf", "dynamic"))


def test_null_variables_mean_omitted_so_terraform_defaults_apply(tmp_path):
    write(
        tmp_path,
        {
            "main.tf": """
                variable "status" {
                  default = null
                }
                variable "description" {
                  type    = string
                  default = null
                }
                variable "tests" {
                  default = null
                }
            """
            + pipeline(
                "p",
                body="""
                status = var.status
                description = var.description
                enhanced_image_metadata_enabled = null
                image_tests_configuration {
                  timeout_minutes = var.tests
                }
                """,
            )
        },
    )
    assert fields(only(collect(tmp_path))) == expected(imageTestsConfiguration={"imageTestsEnabled": True, "timeoutMinutes": 720})


def test_apply_time_functions_are_unresolved_and_templatefile_is_rendered(tmp_path):
    write(
        tmp_path,
        {
            "desc.tpl": "Hello ${name}\n",
            "main.tf": pipeline(
                "p",
                body="""
                description = templatefile("${path.module}/desc.tpl", { name = "x" })
                execution_role = "arn:aws:iam::111122223333:role/${templatefile("desc.tpl", { name = "y" })}"
                tags = { Built = timestamp(), Id = uuid() }
                """,
            ),
        },
    )
    got = fields(only(collect(tmp_path)))
    # templatefile() is rendered (as an inline template in the working copy, see terraform/templates.py)
    assert got["description"] == "Hello x\n"
    assert got["executionRole"] == "arn:aws:iam::111122223333:role/Hello y\n"
    assert got["tags"] == Unresolved("timestamp() is only known when Terraform applies; uuid() is only known when Terraform applies")


def test_reference_to_another_resource_without_state(tmp_path):
    write(
        tmp_path,
        {
            "main.tf": 'resource "aws_imagebuilder_image_recipe" "r" {\n  name = "r"\n}\n'
            + pipeline("p", body="image_recipe_arn = aws_imagebuilder_image_recipe.r.arn\ndescription = data.aws_caller_identity.me.account_id")
        },
    )
    got = fields(only(collect(tmp_path)))
    assert got["imageRecipeArn"] == Unresolved("aws_imagebuilder_image_recipe.r.arn is another resource's attribute (pass --state to resolve it)")
    assert got["description"] == Unresolved("data.aws_caller_identity.me.account_id is another resource's attribute (pass --state to resolve it)")


STATE_RESOURCES_V4 = [
    {"mode": "managed", "type": "aws_imagebuilder_image_recipe", "name": "r", "provider": "provider[\"registry.terraform.io/hashicorp/aws\"]", "instances": [{"schema_version": 0, "attributes": {"arn": RECIPE_STATE_ARN, "name": "from-state"}}]},
    {"mode": "managed", "type": "aws_imagebuilder_infrastructure_configuration", "name": "i", "instances": [{"index_key": 0, "attributes": {"arn": INFRA_STATE_ARN}}]},
    {"mode": "data", "type": "aws_caller_identity", "name": "me", "instances": [{"attributes": {"account_id": "111122223333"}}]},
    {"mode": "managed", "type": "aws_imagebuilder_image_pipeline", "name": "p", "instances": [{"attributes": {"arn": PIPELINE_STATE_ARN}}]},
]
STATE_RESOURCES_SHOW = [
    {"address": "aws_imagebuilder_image_recipe.r", "mode": "managed", "type": "aws_imagebuilder_image_recipe", "name": "r", "values": {"arn": RECIPE_STATE_ARN, "name": "from-state"}},
    {"address": "aws_imagebuilder_infrastructure_configuration.i[0]", "mode": "managed", "type": "aws_imagebuilder_infrastructure_configuration", "name": "i", "index": 0, "values": {"arn": INFRA_STATE_ARN}},
    {"address": "data.aws_caller_identity.me", "mode": "data", "type": "aws_caller_identity", "name": "me", "values": {"account_id": "111122223333"}},
    {"address": "aws_imagebuilder_image_pipeline.p", "mode": "managed", "type": "aws_imagebuilder_image_pipeline", "name": "p", "values": {"arn": PIPELINE_STATE_ARN}},
]


@pytest.mark.parametrize("kind", ["v4", "show-json"])
def test_references_resolved_from_state(tmp_path, kind):
    write(
        tmp_path / "tf",
        {
            "main.tf": 'resource "aws_imagebuilder_image_recipe" "r" {\n  name = "r"\n}\n'
            'resource "aws_imagebuilder_infrastructure_configuration" "i" {\n  count = 1\n  name = "i"\n}\n'
            'resource "aws_imagebuilder_image_pipeline" "p" {\n'
            '  name = "p"\n'
            "  image_recipe_arn = aws_imagebuilder_image_recipe.r.arn\n"
            '  infrastructure_configuration_arn = "${aws_imagebuilder_infrastructure_configuration.i[0].arn}"\n'
            '  description = "recipe ${aws_imagebuilder_image_recipe.r.name} in ${data.aws_caller_identity.me.account_id}"\n'
            '  execution_role = "arn:aws:iam::${data.aws_caller_identity.me.account_id}:role/builder"\n'
            "  distribution_configuration_arn = aws_imagebuilder_distribution_configuration.gone.arn\n"
            "  logging_configuration {\n"
            '    image_log_group_name = "/${var.env}/${aws_imagebuilder_image_recipe.r.arn}/${aws_imagebuilder_image_recipe.r.arn}"\n'
            "    pipeline_log_group_name = upper(aws_imagebuilder_image_recipe.r.name)\n"
            "  }\n"
            "}\n"
            'variable "env" {\n  default = "prod"\n}\n'
        },
    )
    state_path = tmp_path / "state.json"
    document = v4_state(STATE_RESOURCES_V4) if kind == "v4" else show_json_state(STATE_RESOURCES_SHOW)
    state_path.write_text(json.dumps(document))
    p = only(collect(tmp_path / "tf", state=load_state(state_path)))
    assert p.arn == PIPELINE_STATE_ARN
    assert fields(p) == expected(
        imageRecipeArn=RECIPE_STATE_ARN,
        infrastructureConfigurationArn=INFRA_STATE_ARN,
        description="recipe from-state in 111122223333",
        executionRole="arn:aws:iam::111122223333:role/builder",
        distributionConfigurationArn=Unresolved(
            "aws_imagebuilder_distribution_configuration.gone.arn is not in the state file (aws_imagebuilder_distribution_configuration.gone)"
        ),
        loggingConfiguration={
            "imageLogGroupName": f"/prod/{RECIPE_STATE_ARN}/{RECIPE_STATE_ARN}",
            # a function over another resource's attribute: tfparse evaluated the configuration, not the state
            "pipelineLogGroupName": Unresolved("logging_configuration[0].pipeline_log_group_name: cannot evaluate an expression over aws_imagebuilder_image_recipe.r.name"),
        },
    )


def test_state_resolves_references_inside_keyed_module_instances(tmp_path):
    write(
        tmp_path / "tf",
        {
            "main.tf": 'module "m" {\n  source = "./mod"\n  for_each = toset(["a", "b"])\n}\n',
            "mod/main.tf": 'resource "aws_imagebuilder_image_recipe" "r" {\n  name = "r"\n}\n'
            + pipeline("p", '"p"', "image_recipe_arn = aws_imagebuilder_image_recipe.r.arn"),
        },
    )
    state = tmp_path / "state.json"
    state.write_text(
        json.dumps(
            v4_state(
                [
                    {"module": f'module.m["{k}"]', "mode": "managed", "type": "aws_imagebuilder_image_recipe", "name": "r", "instances": [{"attributes": {"arn": f"{RECIPE}-{k}"}}]}
                    for k in ("a", "b")
                ]
            )
        )
    )
    pipelines = by_id(collect(tmp_path / "tf", state=load_state(state)))
    assert {i: fields(p)["imageRecipeArn"] for i, p in pipelines.items()} == {
        'module.m["a"].aws_imagebuilder_image_pipeline.p': f"{RECIPE}-a",
        'module.m["b"].aws_imagebuilder_image_pipeline.p': f"{RECIPE}-b",
    }


# --------------------------------------------------------------------------- count / for_each that cannot be evaluated


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        ("count = var.unknown", "count cannot be evaluated: var.unknown has no value (pass --var unknown=... or a --var-file)"),
        ("count = length(var.unknown)", "count cannot be evaluated: var.unknown has no value (pass --var unknown=... or a --var-file)"),
        ("count = var.unknown ? 1 : 0", "count cannot be evaluated: var.unknown has no value (pass --var unknown=... or a --var-file)"),
        ("for_each = var.unknown", "for_each cannot be evaluated: var.unknown has no value (pass --var unknown=... or a --var-file)"),
        (
            "for_each = aws_imagebuilder_image_recipe.r",
            "for_each depends on aws_imagebuilder_image_recipe.r, another resource's value, which only Terraform state knows: "
            "pass --state FILE (terraform show -json or the state file) to expand it",
        ),
        (
            "for_each = toset(aws_imagebuilder_image_recipe.r.tags_all)",
            "for_each cannot be evaluated: aws_imagebuilder_image_recipe.r.tags_all is another resource's attribute (pass --state to resolve it)",
        ),
        ("count = module.other.enabled ? 1 : 0", "count cannot be evaluated: module.other.enabled is a module output, which driftcheck does not evaluate"),
    ],
)
def test_unknown_count_or_for_each_is_one_error_never_zero(tmp_path, meta, message):
    write(tmp_path, {"main.tf": 'variable "unknown" {}\nresource "aws_imagebuilder_image_recipe" "r" {\n  name = "r"\n}\n' + pipeline("p", '"p"', meta=meta)})
    p = only(collect(tmp_path))
    assert p.id == "aws_imagebuilder_image_pipeline.p"
    where = f"{tmp_path / 'main.tf'}:6"
    expected = f"{message} ({where})" if "cannot be evaluated" in message else message.replace("for_each depends", f"for_each ({where}) depends")
    assert p.error == expected
    assert p.name == Unresolved(expected)
    assert p.location == Location(str(tmp_path / "main.tf"), 5)
    assert fields(p) == {}


def test_unknown_module_count_is_an_error_for_each_pipeline_inside(tmp_path):
    write(
        tmp_path,
        {
            "main.tf": 'variable "unknown" {}\nmodule "m" {\n  source = "./mod"\n  count = var.unknown ? 1 : 0\n}\n',
            "mod/main.tf": pipeline("p"),
        },
    )
    p = only(collect(tmp_path))
    assert p.id == "module.m.aws_imagebuilder_image_pipeline.p"
    assert p.error == f"module.m count cannot be evaluated: var.unknown has no value (pass --var unknown=... or a --var-file) ({tmp_path / 'main.tf'}:4)"


def test_count_over_another_resource_needs_the_state_to_list_the_instances(tmp_path):
    write(
        tmp_path / "tf",
        {
            "main.tf": 'resource "aws_imagebuilder_image_recipe" "r" {\n  name = "r"\n  tags = { a = "1", b = "2", c = "3" }\n}\n'
            'locals {\n  n = length(aws_imagebuilder_image_recipe.r.tags)\n}\n' + pipeline("p", '"p-${count.index}"', meta="count = local.n"),
        },
    )
    recipe = {"mode": "managed", "type": "aws_imagebuilder_image_recipe", "name": "r", "instances": [{"attributes": {"tags": {"a": "1", "b": "2"}}}]}
    state = tmp_path / "state.json"
    state.write_text(json.dumps(v4_state([recipe])))
    p = only(collect(tmp_path / "tf", state=load_state(state)))
    assert p.error == (
        f"count ({tmp_path / 'tf' / 'main.tf'}:9) depends on aws_imagebuilder_image_recipe.r.tags: driftcheck cannot evaluate "
        "this expression over state values, and the state file lists no instances of aws_imagebuilder_image_pipeline.p"
    )
    # when the state lists exactly the instances tfparse expanded, they are trusted
    instances = [{"index_key": i, "attributes": {"arn": f"arn:p{i}"}} for i in range(3)]
    state.write_text(json.dumps(v4_state([recipe, {"mode": "managed", "type": "aws_imagebuilder_image_pipeline", "name": "p", "instances": instances}])))
    result = collect(tmp_path / "tf", state=load_state(state))
    assert [(p.id, p.arn, p.error) for p in result.pipelines] == [(f"aws_imagebuilder_image_pipeline.p[{i}]", f"arn:p{i}", None) for i in range(3)]


def test_unresolved_name_is_an_error_unless_state_has_the_arn(tmp_path):
    write(tmp_path / "tf", {"main.tf": 'variable "env" {}\n' + pipeline("p", '"base-${var.env}"')})
    p = only(collect(tmp_path / "tf"))
    assert p.name == Unresolved("var.env has no value (pass --var env=... or a --var-file)")
    assert p.error == "pipeline name is unresolved, so it cannot be matched: var.env has no value (pass --var env=... or a --var-file)"
    state = tmp_path / "state.json"
    state.write_text(json.dumps(show_json_state([STATE_RESOURCES_SHOW[-1]])))
    p = only(collect(tmp_path / "tf", state=load_state(state)))
    assert (p.arn, p.error, p.region) == (PIPELINE_STATE_ARN, None, None)
    assert isinstance(p.name, Unresolved)


# --------------------------------------------------------------------------- Terraform's absent-field semantics


def test_omitted_fields_follow_terraform_semantics(tmp_path):
    write(tmp_path, {"main.tf": pipeline("p")})
    got = fields(only(collect(tmp_path)))
    assert got == expected()
    for optional_computed in ("imageTestsConfiguration", "imageScanningConfiguration", "workflows"):
        assert optional_computed not in got  # unmanaged: Terraform accepts whatever the API holds
    for plain_optional in ("description", "schedule", "executionRole", "distributionConfigurationArn", "loggingConfiguration"):
        assert got[plain_optional] is None  # managed: expected unset live
    for never_managed in ("imageTags", "arn", "platform", "dateCreated"):
        assert never_managed not in got


def test_defaults_are_materialised_inside_given_blocks(tmp_path):
    write(
        tmp_path,
        {
            "main.tf": pipeline(
                "p",
                body="""
                image_tests_configuration {
                }
                image_scanning_configuration {
                  ecr_configuration {
                    container_tags = ["b", "a"]
                  }
                }
                schedule {
                  schedule_expression = "rate(1 day)"
                }
                workflow {
                  workflow_arn = "arn:aws:imagebuilder:us-east-1:aws:workflow/build/build-image/x.x.x"
                }
                logging_configuration {
                  pipeline_log_group_name = "/pipe"
                }
                """,
            )
        },
    )
    assert fields(only(collect(tmp_path))) == expected(
        imageTestsConfiguration={"imageTestsEnabled": True, "timeoutMinutes": 720},
        imageScanningConfiguration={"imageScanningEnabled": False, "ecrConfiguration": {"containerTags": ["b", "a"]}},
        schedule={"scheduleExpression": "rate(1 day)", "pipelineExecutionStartCondition": START},  # no timezone: unmanaged
        workflows=[
            {
                "workflowArn": "arn:aws:imagebuilder:us-east-1:aws:workflow/build/build-image/x.x.x",
                "parameters": None,
                "parallelGroup": None,
                "onFailure": None,
            }
        ],
        loggingConfiguration={"imageLogGroupName": None, "pipelineLogGroupName": "/pipe"},
    )


# --------------------------------------------------------------------------- field locations


def test_field_locations_are_exact(tmp_path):
    text = pipeline(
        "p",
        body="""
        description = "d"
        schedule {
          schedule_expression = "cron(0 0 * * ? *)"
          timezone = "UTC"
        }
        workflow {
          workflow_arn = "arn:aws:imagebuilder:us-east-1:aws:workflow/build/build-image/x.x.x"
        }
        workflow {
          workflow_arn = "arn:aws:imagebuilder:us-east-1:aws:workflow/test/test-image/x.x.x"
          on_failure   = "CONTINUE"
          parameter {
            name  = "first"
            value = "1"
          }
          parameter {
            name  = "second"
            value = "2"
          }
        }
        tags = { A = "a" }
        """,
    )
    write(tmp_path, {"pipelines.tf": "# pipelines\n\n" + text})
    p = only(collect(tmp_path))
    f = str(tmp_path / "pipelines.tf")
    assert p.location == Location(f, 3)
    assert dict(p.field_locations) == {
        "name": Location(f, 4),
        "infrastructureConfigurationArn": Location(f, 5),
        "description": Location(f, 6),
        "schedule": Location(f, 7),
        "schedule.scheduleExpression": Location(f, 8),
        "schedule.timezone": Location(f, 9),
        "workflows": Location(f, 11),
        "workflows[0]": Location(f, 11),
        "workflows[0].workflowArn": Location(f, 12),
        "workflows[1]": Location(f, 14),
        "workflows[1].workflowArn": Location(f, 15),
        "workflows[1].onFailure": Location(f, 16),
        "workflows[1].parameters": Location(f, 17),
        "workflows[1].parameters[0]": Location(f, 17),
        "workflows[1].parameters[0].name": Location(f, 18),
        "workflows[1].parameters[0].value": Location(f, 19),
        "workflows[1].parameters[name=first]": Location(f, 17),
        "workflows[1].parameters[1]": Location(f, 21),
        "workflows[1].parameters[1].name": Location(f, 22),
        "workflows[1].parameters[1].value": Location(f, 23),
        "workflows[1].parameters[name=second]": Location(f, 21),
        "tags": Location(f, 26),
        "tags.A": Location(f, 26),
    }


# --------------------------------------------------------------------------- bad input


def test_syntax_error_in_one_file_keeps_the_other_files(tmp_path):
    write(
        tmp_path,
        {
            "good.tf": pipeline("good", '"good"'),
            "broken.tf": 'locals {\n  a = 1\n}\n\nresource "aws_imagebuilder_image_pipeline" "bad" {\n  name = "bad\n}\n',
        },
    )
    result = collect(tmp_path)
    assert [p.id for p in result.pipelines] == ["aws_imagebuilder_image_pipeline.good", "aws_imagebuilder_image_pipeline.bad"]
    assert fields(result.pipelines[0]) == expected(name="good")
    # the broken file's pipeline is not lost: it is an error entry at its block, naming the syntax error
    bad = result.pipelines[1]
    assert bad.location == Location(str(tmp_path / "broken.tf"), 5)
    assert bad.error.startswith("cannot be evaluated: its file has a syntax error") and "broken.tf:6" in bad.error
    assert [e.location for e in result.errors] == [Location(str(tmp_path / "broken.tf"), 6)]
    assert "Invalid multi-line string" in result.errors[0].message


def test_two_broken_files_are_both_reported(tmp_path):
    write(
        tmp_path,
        {
            "a.tf": 'resource "aws_imagebuilder_image_pipeline" "a" {\n  name = \n}\n',
            "b.tf": 'locals {\n  x = 1\n}\n\nresource "aws_imagebuilder_image_pipeline" "b" {\n  name = "b" "c"\n}\n',
            "c.tf": pipeline("c", '"c"'),
        },
    )
    result = collect(tmp_path)
    assert sorted(e.location for e in result.errors) == [Location(str(tmp_path / "a.tf"), 2), Location(str(tmp_path / "b.tf"), 6)]
    assert [p.name for p in result.pipelines if p.error is None] == ["c"]
    assert sorted(p.id for p in result.pipelines if p.error and "syntax error" in p.error) == [
        "aws_imagebuilder_image_pipeline.a",
        "aws_imagebuilder_image_pipeline.b",
    ]


@pytest.mark.parametrize("where", ["auto", "var-file"])
def test_bad_tfvars_names_the_file_and_the_rest_is_still_evaluated(tmp_path, where):
    module = write(tmp_path / "tf", {"main.tf": 'variable "a" {}\nvariable "b" {\n  default = "b"\n}\n' + pipeline("p", '"p-${var.b}"', "description = var.a")})
    bad = module / "broken.auto.tfvars" if where == "auto" else tmp_path / "broken.tfvars"
    bad.write_text('a = "fine"\nb = "unterminated\n')
    result = collect(module, var_files=() if where == "auto" else (bad,))
    assert result.errors == (InputError(Location(str(bad), 2), result.errors[0].message),)
    assert result.errors[0].message.startswith("variable file error: Invalid multi-line string")
    p = only(SourceResult(result.pipelines))
    assert p.name == "p-b"  # b's default, since the file that set it could not be read
    assert fields(p)["description"] == Unresolved("var.a has no value (pass --var a=... or a --var-file)")


def test_bad_json_tfvars_and_missing_var_file(tmp_path):
    write(tmp_path / "tf", {"main.tf": pipeline("p")})
    bad = write(tmp_path, {"bad.tfvars.json": '{\n  "a": 1,\n}\n'}) / "bad.tfvars.json"
    missing = tmp_path / "missing.tfvars"
    result = collect(tmp_path / "tf", var_files=(bad, missing))
    assert [e.location for e in result.errors] == [Location(str(missing)), Location(str(bad), 2)]
    assert result.errors[0].message == "cannot read variable file: No such file or directory"
    assert [p.name for p in result.pipelines] == ["p"]


def test_bad_cli_var_value_names_the_variable(tmp_path):
    write(tmp_path, {"main.tf": 'variable "m" {\n  type = map(string)\n}\n' + pipeline("p", body="tags = var.m")})
    result = collect(tmp_path, variables=(("m", "{a = "),))
    assert [e.location for e in result.errors] == [Location("--var m")]
    assert result.errors[0].message.startswith("invalid value: ")
    assert fields(only(SourceResult(result.pipelines)))["tags"] == Unresolved("var.m has no value (pass --var m=... or a --var-file)")


def test_paths_that_are_not_terraform(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "terraform.tfvars").write_text('a = "b"\n')
    write(tmp_path / "tf", {"main.tf": pipeline("p")})
    result = collect(tmp_path / "notes.txt", tmp_path / "nope", tmp_path / "empty", tmp_path / "tf")
    assert result.errors == (
        InputError(Location(str(tmp_path / "notes.txt")), "not a Terraform directory or .tf file"),
        InputError(Location(str(tmp_path / "nope")), "not a Terraform directory or .tf file"),
        InputError(Location(str(tmp_path / "empty")), "no Terraform files (*.tf) in this directory"),
    )
    assert [p.id for p in result.pipelines] == ["aws_imagebuilder_image_pipeline.p"]  # the good path still counts


def test_a_single_tf_file_declares_only_its_own_pipelines(tmp_path):
    write(tmp_path, {"a.tf": 'variable "env" {\n  default = "x"\n}\n' + pipeline("a", '"a-${var.env}"'), "b.tf": pipeline("b", '"b"')})
    p = only(collect(tmp_path / "a.tf"))
    assert (p.id, p.name, p.location) == ("aws_imagebuilder_image_pipeline.a", "a-x", Location(str(tmp_path / "a.tf"), 4))


def test_dynamic_blocks_keep_their_place_among_static_blocks_of_the_same_type(tmp_path):
    """workflow is an ordered list: Terraform expands a dynamic block where it is written."""
    write(
        tmp_path,
        {
            "main.tf": 'variable "unknown" {}\n'
            + pipeline(
                "p",
                body="""
                workflow {
                  workflow_arn = "static-1"
                }
                dynamic "workflow" {
                  for_each = ["dyn-a1", "dyn-a2"]
                  content {
                    workflow_arn = workflow.value
                    on_failure   = "CONTINUE"
                  }
                }
                workflow {
                  workflow_arn = "static-2"
                }
                dynamic "workflow" {
                  for_each = ["dyn-b1"]
                  content {
                    workflow_arn   = workflow.value
                    parallel_group = var.unknown
                  }
                }
                """,
            ),
        },
    )
    p = only(collect(tmp_path))
    main = tmp_path / "main.tf"
    unknown = Unresolved("var.unknown has no value (pass --var unknown=... or a --var-file)")
    assert fields(p)["workflows"] == [
        {"workflowArn": "static-1", "parameters": None, "parallelGroup": None, "onFailure": None},
        {"workflowArn": "dyn-a1", "parameters": None, "parallelGroup": None, "onFailure": "CONTINUE"},
        {"workflowArn": "dyn-a2", "parameters": None, "parallelGroup": None, "onFailure": "CONTINUE"},
        {"workflowArn": "static-2", "parameters": None, "parallelGroup": None, "onFailure": None},
        {"workflowArn": "dyn-b1", "parameters": None, "parallelGroup": unknown, "onFailure": None},
    ]
    contents = [n for n, text in enumerate(main.read_text().splitlines(), 1) if "content {" in text]
    assert [p.field_locations[f"workflows[{i}]"].line for i in range(5)] == [
        line_of(main, '"static-1"') - 1,
        contents[0],
        contents[0],
        line_of(main, '"static-2"') - 1,
        contents[1],
    ]
    assert p.field_locations["workflows"] == Location(str(main), line_of(main, '"static-1"') - 1)
    assert p.field_locations["workflows[4].parallelGroup"] == Location(str(main), line_of(main, "parallel_group"))


def test_state_values_pass_through_locals_and_module_variables(tmp_path):
    write(
        tmp_path / "tf",
        {
            "main.tf": 'resource "aws_imagebuilder_image_recipe" "r" {\n  name = "r"\n}\n'
            'variable "status" {\n  default = null\n}\n'
            'locals {\n  recipe = aws_imagebuilder_image_recipe.r.arn\n  label = "built-${aws_imagebuilder_image_recipe.r.name}"\n}\n'
            'module "m" {\n  source = "./mod"\n  recipe = local.recipe\n  name   = aws_imagebuilder_image_recipe.r.name\n'
            '  label  = local.label\n  status = var.status\n}\n',
            "mod/main.tf": 'variable "recipe" {}\nvariable "name" {}\nvariable "label" {}\nvariable "status" {}\n'
            + pipeline(
                "p",
                body="image_recipe_arn = var.recipe\ndescription = var.name\nexecution_role = var.label\nstatus = var.status",
            ),
        },
    )
    state = tmp_path / "state.json"
    state.write_text(json.dumps(v4_state(STATE_RESOURCES_V4[:1])))
    p = only(collect(tmp_path / "tf", state=load_state(state)))
    assert fields(p) == expected(
        imageRecipeArn=RECIPE_STATE_ARN,
        description="from-state",
        # tfparse rendered this template with the recipe's *configured* name ("built-r"): not trusted
        executionRole=Unresolved("execution_role: cannot evaluate an expression over aws_imagebuilder_image_recipe.r.name"),
    )
    p = only(collect(tmp_path / "tf"))
    assert fields(p)["imageRecipeArn"] == Unresolved(
        "var.recipe of module.m depends on local.recipe depends on aws_imagebuilder_image_recipe.r.arn is another "
        "resource's attribute (pass --state to resolve it)"
    )
