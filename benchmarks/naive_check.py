"""The script a user would write without driftcheck: the reference the fleet benchmark compares against.

python-hcl2 reads every ``aws_imagebuilder_image_pipeline`` resource of the .tf files in ROOT (literal blocks:
this script does not evaluate Terraform), the provider's ``default_tags`` are merged into each pipeline's
tags, the region is listed once to find each pipeline's ARN by name, then one ``GetImagePipeline`` per
pipeline, one after another, and deepdiff compares the declared fields with the live ones.

    python benchmarks/naive_check.py ROOT [--endpoint-url URL] [--region us-east-1]

Prints ``pipelines: N drifted: D missing: M``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import boto3
import hcl2
from deepdiff import DeepDiff

# Terraform attribute -> API field, for what the generated fleet declares
SCALARS = {
    "name": "name",
    "description": "description",
    "image_recipe_arn": "imageRecipeArn",
    "infrastructure_configuration_arn": "infrastructureConfigurationArn",
    "status": "status",
}
BLOCKS = {
    "schedule": ("schedule", {"schedule_expression": "scheduleExpression", "pipeline_execution_start_condition": "pipelineExecutionStartCondition"}),
    "image_tests_configuration": ("imageTestsConfiguration", {"image_tests_enabled": "imageTestsEnabled", "timeout_minutes": "timeoutMinutes"}),
}


def plain(value):
    """python-hcl2 8 keeps the quotes of strings and labels, and marks blocks: take both away."""
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items() if k != "__is_block__"}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


def declared_pipelines(root: Path) -> list[dict]:
    """Every pipeline resource of the root's .tf files, in API shape."""
    default_tags: dict = {}
    resources: list[dict] = []
    for path in sorted(root.glob("*.tf")):
        with path.open() as handle:
            document = plain(hcl2.load(handle))
        for provider in document.get("provider", []):
            for block in (provider.get("aws") or {}).get("default_tags", []):
                default_tags.update(block.get("tags", {}))
        for resource in document.get("resource", []):
            for body in (resource.get("aws_imagebuilder_image_pipeline") or {}).values():
                resources.append(body)
    pipelines = []
    for body in resources:
        pipeline = {api: body[tf] for tf, api in SCALARS.items() if tf in body}
        for tf, (api, members) in BLOCKS.items():
            if tf in body:
                block = body[tf][0] if isinstance(body[tf], list) else body[tf]
                pipeline[api] = {m_api: block[m_tf] for m_tf, m_api in members.items() if m_tf in block}
        pipeline["tags"] = {**default_tags, **body.get("tags", {})}
        pipelines.append(pipeline)
    return pipelines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    parser.add_argument("--endpoint-url")
    parser.add_argument("--region", default="us-east-1")
    args = parser.parse_args()
    client = boto3.client("imagebuilder", region_name=args.region, endpoint_url=args.endpoint_url)
    declared = declared_pipelines(args.root)
    arns = {}
    for page in client.get_paginator("list_image_pipelines").paginate(PaginationConfig={"PageSize": 100}):
        for summary in page["imagePipelineList"]:
            arns[summary["name"]] = summary["arn"]
    drifted = missing = 0
    for pipeline in declared:
        arn = arns.get(pipeline["name"])
        if arn is None:
            missing += 1
            continue
        live = client.get_image_pipeline(imagePipelineArn=arn)["imagePipeline"]
        # compare only what is declared: for blocks, only the declared members
        projected = {key: ({k: live.get(key, {}).get(k) for k in value} if isinstance(value, dict) and key != "tags" else live.get(key))
                     for key, value in pipeline.items()}
        if DeepDiff(pipeline, projected):
            drifted += 1
    print(f"pipelines: {len(declared)} drifted: {drifted} missing: {missing}")


if __name__ == "__main__":
    main()
