"""The README's YAML examples are real: each one loads and is read as the README says."""

from __future__ import annotations

import re

from driftcheck.model import Unresolved
from driftcheck.sources.registry import SourceOptions, collect
from driftcheck.sources.cloudformation import CloudFormationOptions
from tests.conftest import ROOT


def _yaml_blocks() -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.DOTALL)


def _block(marker: str) -> str:
    (block,) = [b for b in _yaml_blocks() if marker in b]
    return block


def test_the_cloudformation_example_reads_as_described(tmp_path):
    template = tmp_path / "template.yaml"
    template.write_text(_block("AWS::ImageBuilder::ImagePipeline"))
    result = collect([str(template)], SourceOptions(cloudformation=CloudFormationOptions(region="us-east-1")))
    assert result.errors == ()
    (pipeline,) = result.pipelines
    assert pipeline.error is None
    assert pipeline.name == "prod-app"
    assert isinstance(pipeline.fields["imageRecipeArn"], Unresolved)  # a resource: unresolved, unless --stack
    assert pipeline.fields["infrastructureConfigurationArn"].endswith("/prod")
    assert pipeline.fields["status"] == "ENABLED"
    assert pipeline.fields["imageTestsConfiguration"]["timeoutMinutes"] == 90  # "90" is the integer 90
    assert dict(pipeline.fields["tags"]) == {"Team": "app"}


def test_the_pipeline_file_example_reads_as_described(tmp_path):
    pinned = tmp_path / "pinned.yaml"
    pinned.write_text(_block("driftcheck: pipelines/v1"))
    result = collect([str(pinned)], SourceOptions())
    assert result.errors == ()
    (pipeline,) = result.pipelines
    assert (pipeline.name, pipeline.region, pipeline.error) == ("ops-patch-baseline", "us-east-1", None)
    assert set(pipeline.fields) == {"name", "status", "schedule", "tags"}  # only the fields written
