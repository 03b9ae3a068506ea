"""Generated fleets for the benchmarks: Terraform roots of N pipelines (literal blocks or one for_each over a map),
the live pipelines that match them, and a v4 state file giving their ARNs.

Every pipeline i has a name, a recipe, an infrastructure configuration, a schedule and tags; the live copies
match the declarations exactly except that every tenth pipeline has drifted (its schedule differs), so a
correct check reports N // 10 drifted pipelines.
"""

from __future__ import annotations

import json
from pathlib import Path

ACCOUNT = "111122223333"
REGION = "us-east-1"
ARN = f"arn:aws:imagebuilder:{REGION}:{ACCOUNT}:{{}}"
FILES = 10  # the literal style spreads its blocks over this many files


def key(i: int) -> str:
    return f"app-{i:05d}"


def cron(i: int) -> str:
    return f"cron(0 {i % 24} * * ? *)"


def pipeline_name(i: int) -> str:
    return f"fleet-{key(i)}"


def recipe(i: int) -> str:
    return ARN.format(f"image-recipe/recipe-{i % 7}/1.0.{i % 3}")


def drifted(i: int) -> bool:
    return i % 10 == 3


PROVIDER = f'provider "aws" {{\n  region = "{REGION}"\n  default_tags {{\n    tags = {{ ManagedBy = "terraform" }}\n  }}\n}}\n'

LITERAL = '''resource "aws_imagebuilder_image_pipeline" "p{i:05d}" {{
  name                             = "{name}"
  description                      = "Image pipeline for {key}"
  image_recipe_arn                 = "{recipe}"
  infrastructure_configuration_arn = "{infra}"
  status                           = "ENABLED"

  schedule {{
    schedule_expression                = "{cron}"
    pipeline_execution_start_condition = "EXPRESSION_MATCH_ONLY"
  }}

  image_tests_configuration {{
    image_tests_enabled = true
    timeout_minutes     = 60
  }}

  tags = {{
    Team = "team-{team}"
    App  = "{key}"
  }}
}}

'''

FOR_EACH = '''resource "aws_imagebuilder_image_pipeline" "fleet" {
  for_each = local.pipelines

  name                             = "fleet-${each.key}"
  description                      = "Image pipeline for ${each.key}"
  image_recipe_arn                 = each.value.recipe
  infrastructure_configuration_arn = local.infrastructure
  status                           = "ENABLED"

  schedule {
    schedule_expression                = each.value.cron
    pipeline_execution_start_condition = "EXPRESSION_MATCH_ONLY"
  }

  image_tests_configuration {
    image_tests_enabled = true
    timeout_minutes     = 60
  }

  tags = {
    Team = each.value.team
    App  = each.key
  }
}
'''


def infra() -> str:
    return ARN.format("infrastructure-configuration/fleet")


def write_literal(root: Path, count: int) -> None:
    """``count`` resource blocks spread over FILES files."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "provider.tf").write_text(PROVIDER)
    per_file = -(-count // FILES)
    for number in range(FILES):
        blocks = [
            LITERAL.format(i=i, name=pipeline_name(i), key=key(i), recipe=recipe(i), infra=infra(), cron=cron(i), team=i % 20)
            for i in range(number * per_file, min(count, (number + 1) * per_file))
        ]
        if blocks:
            (root / f"pipelines_{number:02d}.tf").write_text("".join(blocks))


def write_for_each(root: Path, count: int) -> None:
    """One resource block with ``for_each`` over a ``count``-entry map of objects (a locals block)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "provider.tf").write_text(PROVIDER)
    entries = "".join(
        f'    "{key(i)}" = {{ cron = "{cron(i)}", recipe = "{recipe(i)}", team = "team-{i % 20}" }}\n' for i in range(count)
    )
    (root / "pipelines.tf").write_text(f'locals {{\n  infrastructure = "{infra()}"\n  pipelines = {{\n{entries}  }}\n}}\n')
    (root / "main.tf").write_text(FOR_EACH)


def live_pipeline(i: int) -> dict:
    """Pipeline i as the service returns it (drifted ones have another schedule)."""
    return {
        "arn": ARN.format(f"image-pipeline/{pipeline_name(i)}"),
        "name": pipeline_name(i),
        "description": f"Image pipeline for {key(i)}",
        "platform": "Linux",
        "enhancedImageMetadataEnabled": True,
        "imageRecipeArn": recipe(i),
        "infrastructureConfigurationArn": infra(),
        "imageTestsConfiguration": {"imageTestsEnabled": True, "timeoutMinutes": 60},
        "schedule": {
            "scheduleExpression": cron(i + 1) if drifted(i) else cron(i),
            "pipelineExecutionStartCondition": "EXPRESSION_MATCH_ONLY",
        },
        "status": "ENABLED",
        "dateCreated": "2026-01-01T00:00:00.000Z",
        "dateUpdated": "2026-01-01T00:00:00.000Z",
        "tags": {"ManagedBy": "terraform", "Team": f"team-{i % 20}", "App": key(i)},
    }


def write_state(path: Path, count: int, style: str) -> None:
    """A Terraform v4 state file whose instances give each pipeline's ARN."""
    def attributes(i: int) -> dict:
        return {"arn": ARN.format(f"image-pipeline/{pipeline_name(i)}"), "name": pipeline_name(i), "id": ARN.format(f"image-pipeline/{pipeline_name(i)}")}

    if style == "literal":
        resources = [
            {"mode": "managed", "type": "aws_imagebuilder_image_pipeline", "name": f"p{i:05d}", "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
             "instances": [{"schema_version": 0, "attributes": attributes(i)}]}
            for i in range(count)
        ]
    else:
        resources = [
            {"mode": "managed", "type": "aws_imagebuilder_image_pipeline", "name": "fleet", "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
             "instances": [{"index_key": key(i), "schema_version": 0, "attributes": attributes(i)} for i in range(count)]}
        ]
    path.write_text(json.dumps({"version": 4, "terraform_version": "1.9.0", "serial": 1, "lineage": "bench", "outputs": {}, "resources": resources}))


def write(root: Path, count: int, style: str) -> None:
    (write_literal if style == "literal" else write_for_each)(root, count)
