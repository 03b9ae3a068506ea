"""Helpers shared by the Terraform CLI tests: a saved live response, a pipeline block, the one report entry."""

from __future__ import annotations

import json
from pathlib import Path

ACCOUNT = "111122223333"
RECIPE = f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:image-recipe/app/1.x.x"
INFRA = f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:infrastructure-configuration/build"


def live_response(directory: Path, name: str, **fields) -> None:
    """A saved get_image_pipeline response for ``name`` in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    pipeline = {
        "arn": f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:image-pipeline/{name}",
        "name": name,
        "imageRecipeArn": RECIPE,
        "infrastructureConfigurationArn": INFRA,
        "enhancedImageMetadataEnabled": True,
        "imageTestsConfiguration": {"imageTestsEnabled": True, "timeoutMinutes": 720},
        "status": "ENABLED",
        "tags": {},
        **fields,
    }
    (directory / f"us-east-1__{name}.json").write_text(json.dumps({"imagePipeline": pipeline}))


def resource(label: str, body: str) -> str:
    """A pipeline resource block with the recipe and infrastructure ARNs set, and ``body`` after them."""
    return (
        f'resource "aws_imagebuilder_image_pipeline" "{label}" {{\n'
        f'  image_recipe_arn                 = "{RECIPE}"\n'
        f'  infrastructure_configuration_arn = "{INFRA}"\n{body}}}\n'
    )


def only(run) -> dict:
    """The report's one pipeline entry."""
    assert len(run.report["pipelines"]) == 1, [p["id"] for p in run.report["pipelines"]]
    return run.report["pipelines"][0]
