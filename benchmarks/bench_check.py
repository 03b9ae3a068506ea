"""Benchmark: how long driftcheck takes for many pipelines. Prints its figures; asserts nothing.

    python benchmarks/bench_check.py [--pipelines 1000]

Measures, on a generated Terraform root with N pipelines (for_each over a map, plus a module):
  1. evaluating the Terraform (tfparse + syntax index),
  2. a full check against the loopback fake Image Builder endpoint (real boto3, real HTTP),
  3. the same check while the next 10% of GetImagePipeline calls are throttled (a burst),
  4. an offline check against saved responses (--live).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from driftcheck.check import run_check  # noqa: E402
from driftcheck.live.fetch import AwsLiveReader, SnapshotLiveReader  # noqa: E402
from driftcheck.live.session import AwsSettings  # noqa: E402
from driftcheck.sources.registry import SourceOptions, collect  # noqa: E402
from tests.fake_imagebuilder import FakeImageBuilder  # noqa: E402

ARN = "arn:aws:imagebuilder:us-east-1:111122223333:{}"


def write_tree(root: Path, count: int) -> None:
    names = {f"p{i:05d}": f"cron(0 {i % 24} * * ? *)" for i in range(count)}
    (root / "main.tf").write_text(
        'provider "aws" {\n  region = "us-east-1"\n  default_tags {\n    tags = { Team = "platform" }\n  }\n}\n'
        f"variable \"pipelines\" {{\n  default = {json.dumps(names)}\n}}\n"
        'resource "aws_imagebuilder_image_pipeline" "many" {\n'
        "  for_each = var.pipelines\n"
        '  name = "bench-${each.key}"\n'
        f'  image_recipe_arn = "{ARN.format("image-recipe/r/1.x.x")}"\n'
        f'  infrastructure_configuration_arn = "{ARN.format("infrastructure-configuration/i")}"\n'
        "  schedule {\n    schedule_expression = each.value\n  }\n"
        '  tags = { Name = each.key }\n'
        "}\n"
    )


def live_pipeline(key: str, cron: str) -> dict:
    return {
        "arn": ARN.format(f"image-pipeline/bench-{key}"),
        "name": f"bench-{key}",
        "imageRecipeArn": ARN.format("image-recipe/r/1.x.x"),
        "infrastructureConfigurationArn": ARN.format("infrastructure-configuration/i"),
        "schedule": {"scheduleExpression": cron, "pipelineExecutionStartCondition": "EXPRESSION_MATCH_AND_DEPENDENCY_UPDATES_AVAILABLE"},
        "status": "ENABLED",
        "enhancedImageMetadataEnabled": True,
        "imageTestsConfiguration": {"imageTestsEnabled": True, "timeoutMinutes": 720},
        "tags": {"Team": "platform", "Name": key},
    }


def timed(label: str, fn):
    start = time.perf_counter()
    value = fn()
    elapsed = time.perf_counter() - start
    print(f"{label:<52} {elapsed:8.2f} s")
    return value, elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pipelines", type=int, default=1000)
    args = parser.parse_args()
    count = args.pipelines
    # the fake endpoint needs a signature, not real credentials
    os.environ.update(AWS_ACCESS_KEY_ID="AKIABENCHMARK", AWS_SECRET_ACCESS_KEY="benchmark", AWS_EC2_METADATA_DISABLED="true")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "tf"
        root.mkdir()
        write_tree(root, count)
        declared, _ = timed(f"evaluate Terraform ({count} pipelines)", lambda: collect([str(root)], SourceOptions()))
        assert len(declared.pipelines) == count, len(declared.pipelines)
        with FakeImageBuilder(page_size=25) as fake:
            for i in range(count):
                fake.add_pipeline(live_pipeline(f"p{i:05d}", f"cron(0 {i % 24} * * ? *)"))
            settings = AwsSettings(region="us-east-1", endpoint_url=fake.url, retry_initial_delay=0.05)
            result, elapsed = timed("check against the fake endpoint", lambda: run_check(declared.pipelines, (), AwsLiveReader(settings)))
            print(f"{'  pipelines per second':<52} {count / elapsed:8.1f}")
            print(f"{'  HTTP requests':<52} {len(fake.requests):8d}")
            assert result.summary()["in_sync"] == count, result.summary()
            fake.requests.clear()
            fake.fail("GetImagePipeline", "CallRateLimitExceededException", times=count // 10)
            result, _ = timed("check with a burst of throttling (10% of calls)", lambda: run_check(declared.pipelines, (), AwsLiveReader(settings)))
            print(f"{'  HTTP requests':<52} {len(fake.requests):8d}")
            summary = result.summary()
            print(f"{'  in sync / error (throttled past 6 attempts)':<52} {summary['in_sync']:4d} / {summary['error']}")
            live = Path(tmp) / "live"
            live.mkdir()
            for i in range(count):
                (live / f"{i}.json").write_text(json.dumps({"imagePipeline": live_pipeline(f"p{i:05d}", f"cron(0 {i % 24} * * ? *)")}))
        result, _ = timed("offline check (--live)", lambda: run_check(declared.pipelines, (), SnapshotLiveReader(live)))
        assert result.summary()["in_sync"] == count


if __name__ == "__main__":
    main()
