"""Benchmark: reading CloudFormation templates and driftcheck pipeline files. Prints its figures; asserts nothing.

    python benchmarks/bench_yaml_sources.py [--pipelines 500]

Measures, on generated files with N pipelines each:
  1. a YAML template with short-form intrinsics (Sub, FindInMap, If on a Condition): load + evaluate,
  2. the same template as JSON (CDK style),
  3. a driftcheck pipeline file with N entries: load + schema validation,
  4. refusing a "billion laughs" alias bomb and a 100,000-deep document (the bounds pass).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from driftcheck.sources.registry import SourceOptions, collect  # noqa: E402
from driftcheck.sources.cloudformation import CloudFormationOptions  # noqa: E402
from driftcheck.sources.yaml_tree import DocumentError  # noqa: E402
from driftcheck.sources.yaml_tree import load_text  # noqa: E402

ARN = "arn:aws:imagebuilder:us-east-1:111122223333:{}"


def template_yaml(count: int) -> str:
    lines = [
        "AWSTemplateFormatVersion: 2010-09-09",
        "Parameters:",
        "  Env: {Type: String, Default: prod}",
        "Mappings:",
        "  Env:",
        f"    prod: {{Infra: '{ARN.format('infrastructure-configuration/i')}'}}",
        "Conditions:",
        "  IsProd: !Equals [!Ref Env, prod]",
        "Resources:",
    ]
    for i in range(count):
        lines += [
            f"  Pipeline{i:05d}:",
            "    Type: AWS::ImageBuilder::ImagePipeline",
            "    Properties:",
            f"      Name: !Sub ${{Env}}-p{i:05d}",
            f"      ImageRecipeArn: !Sub arn:${{AWS::Partition}}:imagebuilder:${{AWS::Region}}:111122223333:image-recipe/r{i}/1.x.x",
            "      InfrastructureConfigurationArn: !FindInMap [Env, !Ref Env, Infra]",
            "      Status: !If [IsProd, ENABLED, DISABLED]",
            "      Schedule:",
            f"        ScheduleExpression: cron(0 {i % 24} * * ? *)",
            "      Tags: {Team: platform}",
        ]
    return "\n".join(lines) + "\n"


def template_json(count: int) -> str:
    resources = {}
    for i in range(count):
        resources[f"ImagePipeline{i:05d}"] = {
            "Type": "AWS::ImageBuilder::ImagePipeline",
            "Properties": {
                "Name": {"Fn::Join": ["-", [{"Ref": "AWS::StackName"}, f"p{i:05d}"]]},
                "ImageRecipeArn": ARN.format(f"image-recipe/r{i}/1.x.x"),
                "InfrastructureConfigurationArn": ARN.format("infrastructure-configuration/i"),
                "Tags": {"Team": "platform"},
            },
        }
        resources[f"ImagePipeline{i:05d}Role"] = {"Type": "AWS::IAM::Role", "Properties": {"RoleName": f"r{i}"}}
    return json.dumps({"Resources": resources}, indent=1)


def pipeline_file(count: int) -> str:
    lines = ["driftcheck: pipelines/v1", "region: us-east-1", "pipelines:"]
    for i in range(count):
        lines += [
            f"  - name: p{i:05d}",
            "    status: ENABLED",
            "    schedule:",
            f"      scheduleExpression: cron(0 {i % 24} * * ? *)",
            "    imageTestsConfiguration: {imageTestsEnabled: true, timeoutMinutes: 720}",
            "    tags: {Team: platform}",
        ]
    return "\n".join(lines) + "\n"


def timed(label: str, path: Path, options: SourceOptions) -> None:
    started = time.perf_counter()
    result = collect([str(path)], options)
    elapsed = time.perf_counter() - started
    size = path.stat().st_size / 1e6
    print(f"{label:<34} {len(result.pipelines):>6} pipelines  {size:6.2f} MB  {elapsed:7.2f} s  ({len(result.errors)} errors)")


def refused(label: str, text: str) -> None:
    started = time.perf_counter()
    try:
        load_text(text, "bomb.yaml")
        outcome = "LOADED (bad)"
    except DocumentError as exc:
        outcome = f"refused: {exc.message}"
    print(f"{label:<34} {time.perf_counter() - started:7.3f} s  {outcome}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pipelines", type=int, default=500)
    count = parser.parse_args().pipelines
    options = SourceOptions(cloudformation=CloudFormationOptions(region="us-east-1", stack_name="bench"))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        files = {
            "YAML template (short intrinsics)": ("template.yaml", template_yaml(count)),
            "JSON template (CDK style)": ("template.json", template_json(count)),
            "driftcheck pipeline file": ("pinned.yaml", pipeline_file(count)),
        }
        for label, (name, text) in files.items():
            path = root / name
            path.write_text(text)
            timed(label, path, options)
    laughs = ["lol0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    laughs += [f"lol{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 10)]
    refused("billion laughs", "\n".join(laughs) + "\n")
    refused("100,000-deep flow sequence", "[" * 100_000 + "]" * 100_000)


if __name__ == "__main__":
    main()
