"""Red-team scenarios for the CloudFormation and pipeline-file sources, run through the CLI offline.

Each scenario writes a realistic template or pipeline file and a matching saved ``get_image_pipeline``
response (``--live DIR``), then asserts what the reference (``../shared/reference/schema-mapping.md``)
and the README say the answer is. Known bugs are strict xfails, one line of reason each.
"""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

ACCOUNT = "111122223333"
RECIPE = f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:image-recipe/r/1.0.0"
CTR_RECIPE = f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:container-recipe/c/1.0.0"
INFRA = f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:infrastructure-configuration/i"
BUILD_WF = "arn:aws:imagebuilder:us-east-1:aws:workflow/build/build-image/x.x.x"


def live_pipeline(name: str, **fields: Any) -> dict[str, Any]:
    """A saved live response as the service returns it for a pipeline created with few settings."""
    pipeline = {
        "arn": f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:image-pipeline/{name.lower().replace(' ', '-')}",
        "name": name,
        "platform": "Linux",
        "imageRecipeArn": RECIPE,
        "infrastructureConfigurationArn": INFRA,
        "enhancedImageMetadataEnabled": True,
        "imageTestsConfiguration": {"imageTestsEnabled": True, "timeoutMinutes": 720},
        "status": "ENABLED",
        "dateCreated": "2026-01-01T00:00:00.000Z",
        "dateUpdated": "2026-01-01T00:00:00.000Z",
        "tags": {},
    }
    for key, value in fields.items():
        if value is None:
            pipeline.pop(key, None)
        else:
            pipeline[key] = value
    return pipeline


def scenario(tmp_path: Path, files: dict[str, str], live: list[dict[str, Any]]) -> tuple[dict[str, Path], Path]:
    """Write the declaration files and a --live directory holding ``live``."""
    written = {}
    for name, text in files.items():
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"))
        written[name] = path
    live_dir = tmp_path / "live"
    live_dir.mkdir()
    for index, pipeline in enumerate(live):
        (live_dir / f"us-east-1__{index}.json").write_text(json.dumps({"requestId": "r", "imagePipeline": pipeline}))
    return written, live_dir


def check(cli, *paths: Path, live: Path, extra: tuple[str, ...] = ()):
    run = cli("check", *map(str, paths), "--live", str(live), "--region", "us-east-1", *extra)
    assert "Traceback" not in run.stdout + run.stderr, run.stderr
    assert run.report is not None, (run.exit_code, run.stdout, run.stderr)
    return run


def only(run) -> dict[str, Any]:
    assert len(run.report["pipelines"]) == 1, run.report["pipelines"]
    return run.report["pipelines"][0]


PIPELINE_HEAD = f"""
Resources:
  P:
    Type: AWS::ImageBuilder::ImagePipeline
    Properties:
      Name: p
      ImageRecipeArn: {RECIPE}
      InfrastructureConfigurationArn: {INFRA}
"""


# --------------------------------------------------------------------------- unresolved values are never drift


@pytest.mark.xfail(strict=True, reason="an unresolved list element (ContainerTags [latest, !Ref NoDefault]) is compared as null and reported as drift")
def test_unresolved_container_tag_element_is_not_drift(cli, tmp_path):
    files, live = scenario(
        tmp_path,
        {"t.yaml": """
            Parameters:
              ExtraTag: {Type: String}
            Resources:
              P:
                Type: AWS::ImageBuilder::ImagePipeline
                Properties:
                  Name: p
                  ContainerRecipeArn: %s
                  InfrastructureConfigurationArn: %s
                  ImageScanningConfiguration:
                    ImageScanningEnabled: true
                    EcrConfiguration:
                      RepositoryName: scans
                      ContainerTags: [latest, !Ref ExtraTag]
            """ % (CTR_RECIPE, INFRA)},
        [live_pipeline("p", imageRecipeArn=None, containerRecipeArn=CTR_RECIPE, imageScanningConfiguration={
            "imageScanningEnabled": True, "ecrConfiguration": {"repositoryName": "scans", "containerTags": ["latest", "v2"]}})],
    )
    run = check(cli, files["t.yaml"], live=live)
    pipeline = only(run)
    assert "imageScanningConfiguration.ecrConfiguration.containerTags[1]" in pipeline["unresolved"]
    assert pipeline["differences"] == [] and pipeline["status"] == "in_sync", pipeline["differences"]


@pytest.mark.xfail(strict=True, reason="a Workflows item behind an Fn::If with an unknown condition is compared as null and reported as drift")
def test_workflow_item_behind_unknown_condition_is_not_drift(cli, tmp_path):
    files, live = scenario(
        tmp_path,
        {"t.yaml": PIPELINE_HEAD.replace("Resources:", """
Parameters:
  UseTests: {Type: String, AllowedValues: ["yes", "no"]}
Conditions:
  Tests: !Equals [!Ref UseTests, "yes"]
Resources:""", 1) + """      Workflows:
        - WorkflowArn: %s
        - !If
          - Tests
          - WorkflowArn: arn:aws:imagebuilder:us-east-1:aws:workflow/test/test-image/x.x.x
            OnFailure: CONTINUE
          - !Ref AWS::NoValue
""" % BUILD_WF},
        [live_pipeline("p", workflows=[
            {"workflowArn": BUILD_WF},
            {"workflowArn": "arn:aws:imagebuilder:us-east-1:aws:workflow/test/test-image/x.x.x", "onFailure": "CONTINUE"},
        ])],
    )
    run = check(cli, files["t.yaml"], live=live)
    pipeline = only(run)
    assert "workflows[1]" in pipeline["unresolved"]
    assert pipeline["differences"] == [], pipeline["differences"]


@pytest.mark.xfail(strict=True, reason="a workflow parameter Value [!Ref NoDefault] is compared as [null] and reported as drift")
def test_unresolved_workflow_parameter_value_is_not_drift(cli, tmp_path):
    files, live = scenario(
        tmp_path,
        {"t.yaml": PIPELINE_HEAD.replace("Resources:", """
Parameters:
  WaitAtEnd: {Type: String, AllowedValues: ["true", "false"]}
Resources:""", 1) + """      Workflows:
        - WorkflowArn: arn:aws:imagebuilder:us-east-1:aws:workflow/test/test-image/x.x.x
          Parameters:
            - Name: waitForActionAtEnd
              Value: [!Ref WaitAtEnd]
"""},
        [live_pipeline("p", workflows=[{
            "workflowArn": "arn:aws:imagebuilder:us-east-1:aws:workflow/test/test-image/x.x.x",
            "parameters": [{"name": "waitForActionAtEnd", "value": ["true"]}],
        }])],
    )
    run = check(cli, files["t.yaml"], live=live)
    pipeline = only(run)
    assert pipeline["unresolved"], pipeline
    assert pipeline["differences"] == [], pipeline["differences"]


def test_unresolved_tag_value_and_resource_ref_are_listed_not_compared(cli, tmp_path):
    """Pinned: a Ref to a resource and an unknown AWS::StackName are unresolved, not drift."""
    files, live = scenario(
        tmp_path,
        {"t.yaml": f"""
            Resources:
              Recipe:
                Type: AWS::ImageBuilder::ImageRecipe
                Properties: {{Name: r, Version: 1.0.0, ParentImage: ami-1, Components: []}}
              P:
                Type: AWS::ImageBuilder::ImagePipeline
                Properties:
                  Name: p
                  ImageRecipeArn: !GetAtt Recipe.Arn
                  InfrastructureConfigurationArn: {INFRA}
                  Tags:
                    Stack: !Ref AWS::StackName
                    Team: ops
            """},
        [live_pipeline("p", imageRecipeArn=f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:image-recipe/other/9.9.9",
                       tags={"Stack": "whatever", "Team": "ops"})],
    )
    run = check(cli, files["t.yaml"], live=live)
    pipeline = only(run)
    assert pipeline["status"] == "in_sync", pipeline
    assert set(pipeline["unresolved"]) == {"imageRecipeArn", "tags.Stack"}
    assert run.exit_code == 0


# --------------------------------------------------------------------------- service defaults


@pytest.mark.xfail(strict=True, reason="ImageScanningEnabled: false vs a live pipeline without imageScanningConfiguration (service default false) is reported as drift")
def test_cfn_scanning_disabled_matches_absent_live_block(cli, tmp_path):
    files, live = scenario(
        tmp_path,
        {"t.yaml": PIPELINE_HEAD + """      ImageScanningConfiguration:
        ImageScanningEnabled: false
"""},
        [live_pipeline("p")],
    )
    run = check(cli, files["t.yaml"], live=live)
    assert only(run)["differences"] == [], only(run)["differences"]
    assert run.exit_code == 0


@pytest.mark.xfail(strict=True, reason="pipeline file imageScanningConfiguration {imageScanningEnabled: false} vs a live pipeline without the block is reported as drift")
def test_pipeline_file_scanning_disabled_matches_absent_live_block(cli, tmp_path):
    files, live = scenario(
        tmp_path,
        {"pins.yaml": """
            driftcheck: pipelines/v1
            region: us-east-1
            pipelines:
              - name: p
                imageScanningConfiguration:
                  imageScanningEnabled: false
            """},
        [live_pipeline("p")],
    )
    run = check(cli, files["pins.yaml"], live=live)
    assert only(run)["differences"] == [], only(run)["differences"]


@pytest.mark.xfail(strict=True, reason="a CFN pipeline without ImageScanningConfiguration is drifted when live holds only service defaults (disabled, default repo, TEST_INSTANCE_CVE)")
def test_cfn_omitted_scanning_matches_live_block_of_defaults(cli, tmp_path):
    files, live = scenario(
        tmp_path,
        {"t.yaml": PIPELINE_HEAD},
        [live_pipeline("p", imageScanningConfiguration={
            "imageScanningEnabled": False,
            "ecrConfiguration": {"repositoryName": "image-builder-image-scanning-repository"},
            "imageScanningTypes": ["TEST_INSTANCE_CVE"],
        })],
    )
    run = check(cli, files["t.yaml"], live=live)
    assert only(run)["differences"] == [], only(run)["differences"]


# --------------------------------------------------------------------------- messages show what is live


@pytest.mark.xfail(strict=True, reason="for a CFN pipeline the reported live imageScanningConfiguration shows TEST_INSTANCE_CVE although live holds ON_DEMAND_AMI_CVE")
def test_reported_live_value_is_not_invented(cli, tmp_path):
    files, live = scenario(
        tmp_path,
        {"t.yaml": PIPELINE_HEAD},
        [live_pipeline("p", imageScanningConfiguration={"imageScanningEnabled": True, "imageScanningTypes": ["ON_DEMAND_AMI_CVE"]})],
    )
    run = check(cli, files["t.yaml"], live=live)
    differences = {d["path"]: d for d in only(run)["differences"]}
    # drift is right (scanning enabled out of band); the live value shown must be what is live
    assert "imageScanningConfiguration" in differences
    assert "TEST_INSTANCE_CVE" not in json.dumps(differences["imageScanningConfiguration"]["live"])


# --------------------------------------------------------------------------- parameter files


@pytest.mark.xfail(strict=True, reason="an SSM-typed parameter's value from a CloudFormation parameter file (the SSM parameter name) is compared as the resolved value")
def test_ssm_parameter_value_in_parameter_file_is_a_parameter_name(cli, tmp_path):
    files, live = scenario(
        tmp_path,
        {
            "t.yaml": f"""
                Parameters:
                  InfraArn:
                    Type: AWS::SSM::Parameter::Value<String>
                    Default: /imagebuilder/infra-arn
                Resources:
                  P:
                    Type: AWS::ImageBuilder::ImagePipeline
                    Properties:
                      Name: p
                      ImageRecipeArn: {RECIPE}
                      InfrastructureConfigurationArn: !Ref InfraArn
                """,
            "prod.json": '[{"ParameterKey": "InfraArn", "ParameterValue": "/imagebuilder/prod/infra-arn"}]\n',
        },
        [live_pipeline("p")],
    )
    run = check(cli, files["t.yaml"], live=live, extra=("--var-file", str(files["prod.json"])))
    pipeline = only(run)
    assert pipeline["differences"] == [], pipeline["differences"]
    assert "infrastructureConfigurationArn" in pipeline["unresolved"]
    assert "/imagebuilder/prod/infra-arn" in pipeline["unresolved_reasons"]["infrastructureConfigurationArn"]
