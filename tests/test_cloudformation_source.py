"""The CloudFormation source: detection, property mapping and lines, coercions, omitted properties,
tags and stack tags, real-template quirks, conditions, errors, parameter overrides and --stack bindings.

Templates are real YAML/JSON text loaded by :func:`driftcheck.sources.yaml_tree.load_text`, so the lines
asserted are the lines written. End-to-end checks go through :func:`driftcheck.check.check_pipeline`
against live dicts shaped like ``get_image_pipeline``'s ``imagePipeline``. No network, no AWS.
"""

from __future__ import annotations

import datetime
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from driftcheck.check import check_pipeline
from driftcheck.frozen import freeze, thaw
from driftcheck.live.fetch import LiveOutcome, LiveStatus
from driftcheck.live.stack import DeployedStack
from driftcheck.model import DeclaredPipeline, InputError, Location, PipelineResult, Status, Unresolved
from driftcheck.sources.base import SourceResult
from driftcheck.sources.cloudformation import (
    KIND,
    RESOURCE_TYPE,
    STACK_TAGS_UNKNOWN,
    CloudFormationOptions,
    CloudFormationSource,
    ParameterFile,
    StackBinding,
    coerce_scalar,
    is_template,
    load_parameter_file,
)
from driftcheck.sources.yaml_tree import Document, DocumentError, Node, load_text

FILE = "pipelines.yaml"
ACCOUNT = "111122223333"
INFRA = f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:infrastructure-configuration/build"
RECIPE = f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:image-recipe/web/1.0.0"
CONTAINER_RECIPE = f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:container-recipe/app/1.x.x"
DIST = f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:distribution-configuration/dist"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/ImageBuilderExec"
BUILD_WORKFLOW = "arn:aws:imagebuilder:us-east-1:aws:workflow/build/build-image/x.x.x"
TEST_WORKFLOW = "arn:aws:imagebuilder:us-east-1:aws:workflow/test/test-image/x.x.x"
START = "EXPRESSION_MATCH_AND_DEPENDENCY_UPDATES_AVAILABLE"
STACK_ID = f"arn:aws:cloudformation:eu-west-1:{ACCOUNT}:stack/web-stack/0a1b2c3d-1111-2222-3333-444455556666"
CFN_SYSTEM_TAGS = {
    "aws:cloudformation:stack-name": "web-stack",
    "aws:cloudformation:stack-id": STACK_ID,
    "aws:cloudformation:logical-id": "WebPipeline",
}

# The smallest pipeline: name, recipe and infrastructure.
MINIMAL = f"""\
AWSTemplateFormatVersion: 2010-09-09
Resources:
  WebPipeline:
    Type: AWS::ImageBuilder::ImagePipeline
    Properties:
      Name: web
      ImageRecipeArn: {RECIPE}
      InfrastructureConfigurationArn: {INFRA}
"""


# --------------------------------------------------------------------------- helpers


def load(text: str, file: str = FILE) -> Document:
    return load_text(textwrap.dedent(text), file)


def collect(*texts: str | Document, **options: Any) -> SourceResult:
    documents = [t if isinstance(t, Document) else load(t) for t in texts]
    return CloudFormationSource(CloudFormationOptions(**options)).collect(documents)


def only(result: SourceResult) -> DeclaredPipeline:
    """The one pipeline of a result without input errors; it must not be an error either."""
    assert result.errors == (), result.errors
    assert len(result.pipelines) == 1, [p.id for p in result.pipelines]
    pipeline = result.pipelines[0]
    assert pipeline.error is None, pipeline.error
    return pipeline


def failed(result: SourceResult) -> str:
    """The error of the one pipeline of a result without input errors."""
    assert result.errors == (), result.errors
    assert len(result.pipelines) == 1, [p.id for p in result.pipelines]
    assert result.pipelines[0].error is not None, thaw(result.pipelines[0].fields)
    return result.pipelines[0].error


def by_id(result: SourceResult) -> dict[str, DeclaredPipeline]:
    return {p.id: p for p in result.pipelines}


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the only line of (dedented) text whose stripped form starts with needle."""
    hits = [n for n, line in enumerate(textwrap.dedent(text).splitlines(), 1) if line.strip().startswith(needle)]
    assert len(hits) == 1, (needle, hits)
    return hits[0]


def at(text: str, needle: str, file: str = FILE) -> Location:
    return Location(file, line_of(text, needle))


def fields(pipeline: DeclaredPipeline) -> dict[str, Any]:
    return thaw(pipeline.fields)


def declared(**overrides: Any) -> dict[str, Any]:
    """The fields of MINIMAL: every CloudFormation-expressible property the service does not fill, unset."""
    base = {
        "name": "web",
        "description": None,
        "enhancedImageMetadataEnabled": None,
        "imageRecipeArn": RECIPE,
        "containerRecipeArn": None,
        "infrastructureConfigurationArn": INFRA,
        "distributionConfigurationArn": None,
        "imageTestsConfiguration": None,
        "schedule": None,
        "status": None,
        "tags": None,
        "imageScanningConfiguration": None,
        "imageTags": None,
        "executionRole": None,
        "loggingConfiguration": None,
    }
    base.update(overrides)
    return base


_DROP = object()


def live(**overrides: Any) -> dict[str, Any]:
    """``get_image_pipeline``'s imagePipeline for MINIMAL deployed by CloudFormation (pass _DROP to remove a key)."""
    base: dict[str, Any] = {
        "arn": f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:image-pipeline/web",
        "name": "web",
        "platform": "Linux",
        "enhancedImageMetadataEnabled": True,
        "imageRecipeArn": RECIPE,
        "infrastructureConfigurationArn": INFRA,
        "imageTestsConfiguration": {"imageTestsEnabled": True, "timeoutMinutes": 720},
        "status": "ENABLED",
        "dateCreated": "2025-03-01T10:00:00.000Z",
        "dateUpdated": "2025-03-02T10:00:00.000Z",
        "dateLastRun": "2025-03-03T10:00:00.000Z",
        "lastRunStatus": "AVAILABLE",
        "consecutiveFailures": 0,
        # the default workflows the service runs when none are given
        "workflows": [
            {"workflowArn": "arn:aws:imagebuilder:us-east-1:aws:workflow/build/build-image/1.0.2/1"},
            {"workflowArn": "arn:aws:imagebuilder:us-east-1:aws:workflow/test/test-image/1.0.1/1"},
        ],
        "tags": dict(CFN_SYSTEM_TAGS),
    }
    base.update(overrides)
    return {key: value for key, value in base.items() if value is not _DROP}


def check(pipeline: DeclaredPipeline, live_pipeline: dict[str, Any]) -> PipelineResult:
    return check_pipeline(pipeline, LiveOutcome(LiveStatus.FOUND, pipeline=freeze(live_pipeline)))


def in_sync(result: PipelineResult) -> PipelineResult:
    assert result.status is Status.IN_SYNC, (result.differences, result.error)
    return result


def drift(result: PipelineResult) -> dict[str, Any]:
    """path -> (declared, live, source) of each difference; the pipeline must be drifted."""
    assert result.status is Status.DRIFTED, (result.status, result.error)
    return {d.path: (thaw(d.declared), thaw(d.live), d.source) for d in result.differences}


def stack(**overrides: Any) -> DeployedStack:
    base: dict[str, Any] = dict(
        name="web-stack",
        stack_id=STACK_ID,
        region="eu-west-1",
        account_id=ACCOUNT,
        partition="aws",
        parameters=freeze({}),
        tags=freeze({}),
        resources=freeze({}),
        status="UPDATE_COMPLETE",
    )
    base.update({key: freeze(value) for key, value in overrides.items()})
    return DeployedStack(**base)


# --------------------------------------------------------------------------- detection


def test_template_version_written_as_an_unquoted_date_is_a_template():
    document = load("AWSTemplateFormatVersion: 2010-09-09\nResources: {}\n")
    assert isinstance(document.root.get("AWSTemplateFormatVersion").value, datetime.date)  # YAML made it a date
    assert is_template(document.root)


def test_template_version_written_as_a_string_is_a_template():
    assert is_template(load('AWSTemplateFormatVersion: "2010-09-09"\nDescription: nothing yet\n').root)
    assert is_template(load('{"AWSTemplateFormatVersion": "2010-09-09", "Resources": {}}').root)


@pytest.mark.parametrize(
    "text",
    [
        "Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n",
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n",
        "Resources:\n  Thing:\n    Type: Custom::Thing\n    Properties: {ServiceToken: arn:x}\n",
        '{"Resources": {"Notes": "see README", "Pipeline": {"Type": "AWS::ImageBuilder::ImagePipeline"}}}',
    ],
)
def test_resources_with_aws_types_and_no_version_is_a_template(text):
    assert is_template(load(text).root)


@pytest.mark.parametrize(
    "text",
    [
        # GitHub Actions workflow
        "name: ci\non: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make test\n",
        # Kubernetes manifest that happens to carry resources with a Type
        "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n    - name: c\n      resources: {limits: {cpu: 1}}\n",
        # a .tfvars.json-like document
        '{"region": "us-east-1", "Resources": {"pipeline": {"Type": "ec2"}}, "tags": {"Team": "web"}}',
        # Resources that is a list, a top-level list, a scalar
        "Resources:\n  - Type: AWS::S3::Bucket\n",
        "- AWSTemplateFormatVersion: 2010-09-09\n",
        "just text\n",
        # AWS:: types below the top level do not make a template (serverless.yml style)
        "service: api\nresources:\n  Resources:\n    Bucket:\n      Type: AWS::S3::Bucket\n",
    ],
)
def test_other_documents_are_not_templates(text):
    assert not is_template(load(text).root)


def test_a_template_with_no_pipeline_declares_nothing():
    assert collect("Resources:\n  Bucket:\n    Type: AWS::S3::Bucket\n") == SourceResult()


# --------------------------------------------------------------------------- every property, with its line

FULL = f"""\
AWSTemplateFormatVersion: "2010-09-09"
Description: every property of an image pipeline
Resources:
  WebPipeline:
    Type: AWS::ImageBuilder::ImagePipeline
    Properties:
      Name: web
      Description: Web image
      ImageRecipeArn: {RECIPE}
      InfrastructureConfigurationArn: {INFRA}
      DistributionConfigurationArn: {DIST}
      EnhancedImageMetadataEnabled: false
      ExecutionRole: {ROLE}
      Status: DISABLED
      ImageTestsConfiguration:
        ImageTestsEnabled: true
        TimeoutMinutes: 90
      Schedule:
        ScheduleExpression: cron(0 6 ? * MON *)
        PipelineExecutionStartCondition: EXPRESSION_MATCH_ONLY
        AutoDisablePolicy:
          FailureCount: 3
      ImageScanningConfiguration:
        ImageScanningEnabled: true
        EcrConfiguration:
          RepositoryName: web-scans
          ContainerTags: [latest, stable]
      ImageTags:
        BuildDate: "{{{{ imagebuilder:buildDate }}}}"
      Workflows:
        - WorkflowArn: {BUILD_WORKFLOW}
          ParallelGroup: g1
          OnFailure: ABORT
          Parameters:
            - Name: waitForActionAtEnd
              Value: ["true"]
        - WorkflowArn: {TEST_WORKFLOW}
      LoggingConfiguration:
        ImageLogGroupName: /custom/image
        PipelineLogGroupName: /custom/pipeline
      Tags:
        Team: web
"""

FULL_FIELDS = {
    "name": "web",
    "description": "Web image",
    "imageRecipeArn": RECIPE,
    "containerRecipeArn": None,
    "infrastructureConfigurationArn": INFRA,
    "distributionConfigurationArn": DIST,
    "enhancedImageMetadataEnabled": False,
    "executionRole": ROLE,
    "status": "DISABLED",
    "imageTestsConfiguration": {"imageTestsEnabled": True, "timeoutMinutes": 90},
    "schedule": {
        "scheduleExpression": "cron(0 6 ? * MON *)",
        "pipelineExecutionStartCondition": "EXPRESSION_MATCH_ONLY",
        "autoDisablePolicy": {"failureCount": 3},
    },
    "imageScanningConfiguration": {
        "imageScanningEnabled": True,
        "ecrConfiguration": {"repositoryName": "web-scans", "containerTags": ["latest", "stable"]},
    },
    "imageTags": {"BuildDate": "{{ imagebuilder:buildDate }}"},
    "workflows": [
        {
            "workflowArn": BUILD_WORKFLOW,
            "parallelGroup": "g1",
            "onFailure": "ABORT",
            "parameters": [{"name": "waitForActionAtEnd", "value": ["true"]}],
        },
        {"workflowArn": TEST_WORKFLOW, "parallelGroup": None, "onFailure": None, "parameters": None},
    ],
    "loggingConfiguration": {"imageLogGroupName": "/custom/image", "pipelineLogGroupName": "/custom/pipeline"},
    "tags": {"Team": "web"},
}


def test_every_property_is_mapped_to_its_api_field():
    pipeline = only(collect(FULL, region="us-east-1"))
    assert (pipeline.id, pipeline.name, pipeline.source_kind) == ("WebPipeline", "web", KIND)
    assert pipeline.location == at(FULL, "WebPipeline:")
    assert pipeline.region == "us-east-1"
    assert pipeline.arn is None
    assert fields(pipeline) == FULL_FIELDS


def test_every_property_keeps_its_line():
    locations = dict(only(collect(FULL)).field_locations)

    def line(needle: str) -> Location:
        return at(FULL, needle)

    assert locations == {
        "name": line("Name: web"),
        "description": line("Description: Web image"),
        "imageRecipeArn": line("ImageRecipeArn:"),
        "infrastructureConfigurationArn": line("InfrastructureConfigurationArn:"),
        "distributionConfigurationArn": line("DistributionConfigurationArn:"),
        "enhancedImageMetadataEnabled": line("EnhancedImageMetadataEnabled:"),
        "executionRole": line("ExecutionRole:"),
        "status": line("Status:"),
        "imageTestsConfiguration": line("ImageTestsConfiguration:"),
        "imageTestsConfiguration.imageTestsEnabled": line("ImageTestsEnabled:"),
        "imageTestsConfiguration.timeoutMinutes": line("TimeoutMinutes:"),
        "schedule": line("Schedule:"),
        "schedule.scheduleExpression": line("ScheduleExpression:"),
        "schedule.pipelineExecutionStartCondition": line("PipelineExecutionStartCondition:"),
        "schedule.autoDisablePolicy": line("AutoDisablePolicy:"),
        "schedule.autoDisablePolicy.failureCount": line("FailureCount:"),
        "imageScanningConfiguration": line("ImageScanningConfiguration:"),
        "imageScanningConfiguration.imageScanningEnabled": line("ImageScanningEnabled:"),
        "imageScanningConfiguration.ecrConfiguration": line("EcrConfiguration:"),
        "imageScanningConfiguration.ecrConfiguration.repositoryName": line("RepositoryName:"),
        "imageScanningConfiguration.ecrConfiguration.containerTags": line("ContainerTags:"),
        "imageTags": line("ImageTags:"),
        "imageTags.BuildDate": line("BuildDate:"),
        "workflows": line("Workflows:"),
        "workflows[0]": line(f"- WorkflowArn: {BUILD_WORKFLOW}"),
        "workflows[0].workflowArn": line(f"- WorkflowArn: {BUILD_WORKFLOW}"),
        "workflows[0].parallelGroup": line("ParallelGroup:"),
        "workflows[0].onFailure": line("OnFailure:"),
        "workflows[0].parameters": line("Parameters:"),
        "workflows[0].parameters[0]": line("- Name: waitForActionAtEnd"),
        "workflows[0].parameters[0].name": line("- Name: waitForActionAtEnd"),
        "workflows[0].parameters[0].value": line("Value:"),
        "workflows[0].parameters[name=waitForActionAtEnd]": line("- Name: waitForActionAtEnd"),
        "workflows[0].parameters[name=waitForActionAtEnd].name": line("- Name: waitForActionAtEnd"),
        "workflows[0].parameters[name=waitForActionAtEnd].value": line("Value:"),
        "workflows[1]": line(f"- WorkflowArn: {TEST_WORKFLOW}"),
        "workflows[1].workflowArn": line(f"- WorkflowArn: {TEST_WORKFLOW}"),
        "loggingConfiguration": line("LoggingConfiguration:"),
        "loggingConfiguration.imageLogGroupName": line("ImageLogGroupName:"),
        "loggingConfiguration.pipelineLogGroupName": line("PipelineLogGroupName:"),
        "tags": line("Tags:"),
        "tags.Team": line("Team:"),
    }


def live_full(**overrides: Any) -> dict[str, Any]:
    """FULL as get_image_pipeline returns it."""
    values = dict(
        description="Web image",
        distributionConfigurationArn=DIST,
        enhancedImageMetadataEnabled=False,
        executionRole=ROLE,
        status="DISABLED",
        imageTestsConfiguration={"imageTestsEnabled": True, "timeoutMinutes": 90},
        schedule={
            "scheduleExpression": "cron(0 6 ? * MON *)",
            "pipelineExecutionStartCondition": "EXPRESSION_MATCH_ONLY",
            "autoDisablePolicy": {"failureCount": 3},
        },
        imageScanningConfiguration={
            "imageScanningEnabled": True,
            "ecrConfiguration": {"repositoryName": "web-scans", "containerTags": ["stable", "latest"]},
        },
        imageTags={"BuildDate": "{{ imagebuilder:buildDate }}"},
        workflows=[
            {
                "workflowArn": BUILD_WORKFLOW,
                "parallelGroup": "g1",
                "onFailure": "ABORT",
                "parameters": [{"name": "waitForActionAtEnd", "value": ["true"]}],
            },
            {"workflowArn": TEST_WORKFLOW},
        ],
        loggingConfiguration={"imageLogGroupName": "/custom/image", "pipelineLogGroupName": "/custom/pipeline"},
        tags={**CFN_SYSTEM_TAGS, "Team": "web"},
    )
    return live(**{**values, **overrides})


def test_every_property_in_sync_with_its_live_value():
    in_sync(check(only(collect(FULL)), live_full()))


@pytest.mark.parametrize(
    ("override", "path", "needle"),
    [
        ({"status": "ENABLED"}, "status", "Status:"),
        ({"imageTestsConfiguration": {"imageTestsEnabled": True, "timeoutMinutes": 720}}, "imageTestsConfiguration.timeoutMinutes", "TimeoutMinutes:"),
        ({"schedule": {"scheduleExpression": "cron(0 7 ? * MON *)", "pipelineExecutionStartCondition": "EXPRESSION_MATCH_ONLY", "autoDisablePolicy": {"failureCount": 3}}}, "schedule.scheduleExpression", "ScheduleExpression:"),
        ({"schedule": {"scheduleExpression": "cron(0 6 ? * MON *)", "pipelineExecutionStartCondition": "EXPRESSION_MATCH_ONLY", "autoDisablePolicy": {"failureCount": 5}}}, "schedule.autoDisablePolicy.failureCount", "FailureCount:"),
        ({"imageTags": {"BuildDate": "2025-03-01"}}, "imageTags.BuildDate", "BuildDate:"),
        ({"workflows": [{"workflowArn": BUILD_WORKFLOW, "parallelGroup": "g1", "onFailure": "ABORT", "parameters": [{"name": "waitForActionAtEnd", "value": ["false"]}]}, {"workflowArn": TEST_WORKFLOW}]}, "workflows[0].parameters[name=waitForActionAtEnd].value", "Value:"),
        ({"workflows": [{"workflowArn": BUILD_WORKFLOW, "parallelGroup": "g1", "onFailure": "ABORT", "parameters": [{"name": "waitForActionAtEnd", "value": ["true"]}]}, {"workflowArn": TEST_WORKFLOW, "onFailure": "CONTINUE"}]}, "workflows[1].onFailure", f"- WorkflowArn: {TEST_WORKFLOW}"),
        ({"loggingConfiguration": {"imageLogGroupName": "/custom/image", "pipelineLogGroupName": "/other"}}, "loggingConfiguration.pipelineLogGroupName", "PipelineLogGroupName:"),
        ({"tags": {**CFN_SYSTEM_TAGS, "Team": "platform"}}, "tags.Team", "Team:"),
    ],
)
def test_a_live_change_is_drift_at_the_line_that_declares_it(override, path, needle):
    differences = drift(check(only(collect(FULL)), live_full(**override)))
    assert list(differences) == [path]
    assert differences[path][2] == at(FULL, needle)


# --------------------------------------------------------------------------- values produced by intrinsics

INTRINSICS = """\
AWSTemplateFormatVersion: 2010-09-09
Parameters:
  Env:
    Type: String
    Default: prod
  Timeout:
    Type: Number
    Default: "90"
Mappings:
  EnvConfig:
    prod:
      Infra: arn:aws:imagebuilder:us-east-1:111122223333:infrastructure-configuration/prod
      Tags: [latest, stable]
    dev:
      Infra: arn:aws:imagebuilder:us-east-1:111122223333:infrastructure-configuration/dev
      Tags: [dev]
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  WebPipeline:
    Type: AWS::ImageBuilder::ImagePipeline
    Properties:
      Name: !Sub "${Env}-web"
      ImageRecipeArn: !Sub arn:${AWS::Partition}:imagebuilder:${AWS::Region}:${AWS::AccountId}:image-recipe/web/1.0.0
      InfrastructureConfigurationArn: !FindInMap [EnvConfig, !Ref Env, Infra]
      Status: !If [IsProd, ENABLED, DISABLED]
      ImageTestsConfiguration:
        TimeoutMinutes: !Ref Timeout
      Schedule: !If
        - IsProd
        - ScheduleExpression: cron(0 6 ? * MON *)
          PipelineExecutionStartCondition: EXPRESSION_MATCH_ONLY
        - !Ref AWS::NoValue
      ImageScanningConfiguration:
        EcrConfiguration:
          ContainerTags: !FindInMap [EnvConfig, !Ref Env, Tags]
      Tags:
        Env: !Ref Env
"""


def test_values_produced_by_intrinsics_are_mapped_with_their_lines():
    pipeline = only(collect(INTRINSICS, region="us-east-1", account_id=ACCOUNT))
    assert pipeline.name == "prod-web"
    assert fields(pipeline) == declared(
        name="prod-web",
        infrastructureConfigurationArn="arn:aws:imagebuilder:us-east-1:111122223333:infrastructure-configuration/prod",
        status="ENABLED",
        imageTestsConfiguration={"imageTestsEnabled": None, "timeoutMinutes": 90},
        schedule={
            "scheduleExpression": "cron(0 6 ? * MON *)",
            "pipelineExecutionStartCondition": "EXPRESSION_MATCH_ONLY",
            "autoDisablePolicy": None,
        },
        imageScanningConfiguration={"imageScanningEnabled": None, "ecrConfiguration": {"containerTags": ["latest", "stable"]}},
        tags={"Env": "prod"},
    )
    locations = pipeline.field_locations
    assert locations["name"] == at(INTRINSICS, "Name: !Sub")
    assert locations["imageRecipeArn"] == at(INTRINSICS, "ImageRecipeArn: !Sub")
    assert locations["infrastructureConfigurationArn"] == at(INTRINSICS, "InfrastructureConfigurationArn:")
    assert locations["status"] == at(INTRINSICS, "Status: !If")
    # the block !If chose keeps its own lines
    assert locations["schedule"] == at(INTRINSICS, "Schedule: !If")
    assert locations["schedule.scheduleExpression"] == at(INTRINSICS, "- ScheduleExpression:")
    assert locations["schedule.pipelineExecutionStartCondition"] == at(INTRINSICS, "PipelineExecutionStartCondition:")
    assert locations["imageScanningConfiguration.ecrConfiguration.containerTags"] == at(INTRINSICS, "ContainerTags:")
    assert locations["tags.Env"] == at(INTRINSICS, "Env: !Ref Env")


def test_intrinsic_values_in_sync_and_drifted_end_to_end():
    pipeline = only(collect(INTRINSICS, region="us-east-1", account_id=ACCOUNT))
    current = dict(
        name="prod-web",
        arn=f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:image-pipeline/prod-web",
        infrastructureConfigurationArn="arn:aws:imagebuilder:us-east-1:111122223333:infrastructure-configuration/prod",
        imageTestsConfiguration={"imageTestsEnabled": True, "timeoutMinutes": 90},
        schedule={"scheduleExpression": "cron(0 6 ? * MON *)", "pipelineExecutionStartCondition": "EXPRESSION_MATCH_ONLY"},
        imageScanningConfiguration={"imageScanningEnabled": False, "ecrConfiguration": {"repositoryName": "image-builder-image-scanning-repository", "containerTags": ["latest", "stable"]}},
        tags={**CFN_SYSTEM_TAGS, "Env": "prod"},
    )
    in_sync(check(pipeline, live(**current)))
    changed = {**current, "schedule": {"scheduleExpression": "cron(0 6 ? * MON *)", "pipelineExecutionStartCondition": START}}
    assert drift(check(pipeline, live(**changed))) == {
        "schedule.pipelineExecutionStartCondition": ("EXPRESSION_MATCH_ONLY", START, at(INTRINSICS, "PipelineExecutionStartCondition:")),
    }


def test_if_choosing_no_value_removes_the_optional_block_so_it_is_expected_unset():
    pipeline = only(collect(INTRINSICS, region="us-east-1", account_id=ACCOUNT, parameters=(("Env", "dev"),)))
    assert fields(pipeline)["schedule"] is None and fields(pipeline)["status"] == "DISABLED"
    assert "schedule" not in pipeline.field_locations


def test_ref_no_value_removes_a_property_and_a_list_item():
    text = f"""\
    AWSTemplateFormatVersion: 2010-09-09
    Resources:
      WebPipeline:
        Type: AWS::ImageBuilder::ImagePipeline
        Properties:
          Name: web
          Description: !Ref AWS::NoValue
          ImageRecipeArn: {RECIPE}
          InfrastructureConfigurationArn: {INFRA}
          ImageScanningConfiguration:
            EcrConfiguration:
              ContainerTags: [latest, !Ref AWS::NoValue, stable]
    """
    pipeline = only(collect(text))
    assert fields(pipeline)["description"] is None
    assert fields(pipeline)["imageScanningConfiguration"]["ecrConfiguration"] == {"containerTags": ["latest", "stable"]}
    # a live description set by hand is drift, declared at the pipeline (nothing is written for it)
    assert drift(check(pipeline, live(description="set by hand", imageScanningConfiguration={"ecrConfiguration": {"containerTags": ["latest", "stable"]}}))) == {
        "description": (None, "set by hand", at(text, "WebPipeline:")),
    }


def test_long_form_intrinsics_as_yaml_mappings_mean_the_same_as_short_forms():
    short = """\
    AWSTemplateFormatVersion: 2010-09-09
    Parameters:
      Env: {Type: String, Default: prod}
    Resources:
      Recipe:
        Type: AWS::ImageBuilder::ImageRecipe
      Role:
        Type: AWS::IAM::Role
      WebPipeline:
        Type: AWS::ImageBuilder::ImagePipeline
        Properties:
          Name: !Sub "${Env}-web"
          ImageRecipeArn: !Ref Recipe
          ExecutionRole: !GetAtt Role.Arn
          InfrastructureConfigurationArn: !Join [":", [arn, aws, !Select [0, [imagebuilder]]]]
    """
    long = """\
    AWSTemplateFormatVersion: 2010-09-09
    Parameters:
      Env: {Type: String, Default: prod}
    Resources:
      Recipe:
        Type: AWS::ImageBuilder::ImageRecipe
      Role:
        Type: AWS::IAM::Role
      WebPipeline:
        Type: AWS::ImageBuilder::ImagePipeline
        Properties:
          Name:
            Fn::Sub: "${Env}-web"
          ImageRecipeArn:
            Ref: Recipe
          ExecutionRole:
            'Fn::GetAtt': [Role, Arn]
          InfrastructureConfigurationArn:
            Fn::Join: [":", [arn, aws, {"Fn::Select": [0, [imagebuilder]]}]]
    """
    binding = StackBinding("web-stack", stack=stack(resources={"Recipe": ("AWS::ImageBuilder::ImageRecipe", RECIPE), "Role": ("AWS::IAM::Role", "ImageBuilderExec")}))
    results = [only(collect(text, stacks=(binding,))) for text in (short, long)]
    assert fields(results[0]) == fields(results[1]) == declared(
        name="prod-web", imageRecipeArn=RECIPE, executionRole=ROLE, infrastructureConfigurationArn="arn:aws:imagebuilder", tags=None,
    )
    # without the stack, Ref and GetAtt to resources are unresolved (never compared), in both forms
    for text in (short, long):
        values = fields(only(collect(text)))
        assert isinstance(values["imageRecipeArn"], Unresolved) and isinstance(values["executionRole"], Unresolved)
        assert "--stack" in values["imageRecipeArn"].reason


# --------------------------------------------------------------------------- coercions


def pipeline_with(properties: str, head: str = "") -> str:
    """MINIMAL plus extra lines under Properties (given at 6 spaces), and extra top-level lines."""
    return head + MINIMAL + textwrap.indent(textwrap.dedent(properties), "      ")


COERCED = pipeline_with("""\
EnhancedImageMetadataEnabled: "false"
Description: 90
DistributionConfigurationArn: 0123
ExecutionRole: 2024-05-01
ImageTestsConfiguration:
  ImageTestsEnabled: True
  TimeoutMinutes: "90"
Schedule:
  ScheduleExpression: "cron(0 6 * * ? *)"
  AutoDisablePolicy:
    FailureCount: "3"
ImageScanningConfiguration:
  ImageScanningEnabled: "TRUE"
  EcrConfiguration:
    ContainerTags: [1.0, 0123, true]
Tags:
  Count: 5
  Enabled: yes
  Since: 2024-05-01
  Octal: 0123
""")


def test_cloudformation_value_habits_become_the_api_types():
    values = fields(only(collect(COERCED)))
    assert values["enhancedImageMetadataEnabled"] is False
    assert values["imageTestsConfiguration"] == {"imageTestsEnabled": True, "timeoutMinutes": 90}
    assert values["schedule"]["autoDisablePolicy"] == {"failureCount": 3}
    assert values["imageScanningConfiguration"]["imageScanningEnabled"] is True
    # where the API says string, the text as written (YAML 1.1 would make 0123 octal 83 and 2024-05-01 a date)
    assert values["description"] == "90"
    assert values["distributionConfigurationArn"] == "0123"
    assert values["executionRole"] == "2024-05-01"
    assert values["imageScanningConfiguration"]["ecrConfiguration"]["containerTags"] == ["1.0", "0123", "true"]
    assert values["tags"] == {"Count": "5", "Enabled": "yes", "Since": "2024-05-01", "Octal": "0123"}


def test_coerced_values_are_in_sync_with_the_typed_live_values():
    current = live(
        enhancedImageMetadataEnabled=False,
        description="90",
        distributionConfigurationArn="0123",
        executionRole="2024-05-01",
        imageTestsConfiguration={"imageTestsEnabled": True, "timeoutMinutes": 90},
        schedule={"scheduleExpression": "cron(0 6 * * ? *)", "pipelineExecutionStartCondition": START, "autoDisablePolicy": {"failureCount": 3}},
        imageScanningConfiguration={"imageScanningEnabled": True, "ecrConfiguration": {"containerTags": ["0123", "1.0", "true"]}},
        tags={**CFN_SYSTEM_TAGS, "Count": "5", "Enabled": "yes", "Since": "2024-05-01", "Octal": "0123"},
    )
    in_sync(check(only(collect(COERCED)), current))


def test_json_values_are_coerced_the_same_way():
    text = json.dumps({
        "Resources": {"WebPipeline": {"Type": RESOURCE_TYPE, "Properties": {
            "Name": "web", "ImageRecipeArn": RECIPE, "InfrastructureConfigurationArn": INFRA,
            "EnhancedImageMetadataEnabled": "true", "Description": 90,
            "ImageTestsConfiguration": {"ImageTestsEnabled": "False", "TimeoutMinutes": "120"},
            "Tags": {"Enabled": True, "Count": 5},
        }}},
    }, indent=2)
    values = fields(only(collect(load_text(text, "t.json"))))
    assert values["enhancedImageMetadataEnabled"] is True
    assert values["description"] == "90"
    assert values["imageTestsConfiguration"] == {"imageTestsEnabled": False, "timeoutMinutes": 120}
    assert values["tags"] == {"Enabled": "true", "Count": "5"}


@pytest.mark.parametrize(
    ("lines", "needle", "message"),
    [
        ('EnhancedImageMetadataEnabled: "maybe"', "EnhancedImageMetadataEnabled:", "EnhancedImageMetadataEnabled: expected a boolean (true or false), got 'maybe'"),
        ("EnhancedImageMetadataEnabled: 1", "EnhancedImageMetadataEnabled:", "EnhancedImageMetadataEnabled: expected a boolean (true or false), got '1'"),
        ("ImageTestsConfiguration:\n  TimeoutMinutes: ninety", "TimeoutMinutes:", "ImageTestsConfiguration.TimeoutMinutes: expected an integer, got 'ninety'"),
        ("ImageTestsConfiguration:\n  TimeoutMinutes: 90.5", "TimeoutMinutes:", "ImageTestsConfiguration.TimeoutMinutes: expected an integer, got '90.5'"),
        ("ImageTestsConfiguration:\n  TimeoutMinutes: true", "TimeoutMinutes:", "ImageTestsConfiguration.TimeoutMinutes: expected an integer, got 'true'"),
        ("Description: [a, b]", "Description:", "Description: expected a single value, got a list"),
        ("Schedule: cron(0 6 * * ? *)", "Schedule:", "Schedule: expected a mapping"),
        ("Workflows:\n  WorkflowArn: arn:x", "WorkflowArn:", "Workflows: expected a list"),
        ("Workflows:\n  - WorkflowArn: arn:x\n    Parameters:\n      - Name: a\n        Value: x", "Value: x", "Workflows[0].Parameters[0].Value: expected a list"),
        ("Tags:\n  Team: [a]", "Team:", "Tags.Team: expected a single value, got a list"),
    ],
)
def test_a_value_of_the_wrong_type_is_a_pipeline_error_naming_file_line_and_property(lines, needle, message):
    text = pipeline_with(lines)
    assert failed(collect(text)) == f"{at(text, needle)}: {message}"


def test_coerce_scalar_directly():
    from driftcheck.fields import spec_at

    boolean, integer, string = (spec_at(p) for p in ("enhancedImageMetadataEnabled", "imageTestsConfiguration.timeoutMinutes", "description"))
    assert coerce_scalar(Node("false", 3, FILE), boolean, "X") is False
    assert coerce_scalar(Node("-5", 3, FILE), integer, "X") == -5
    assert coerce_scalar(Node(83, 3, FILE, raw="0123"), string, "X") == "0123"
    assert coerce_scalar(Node(True, 3, FILE), string, "X") == "true"


# --------------------------------------------------------------------------- unknown properties and malformed values


def test_an_unknown_property_is_a_pipeline_error_with_its_line_and_the_valid_names():
    text = pipeline_with("Tagz:\n  Team: web\n")
    error = failed(collect(text))
    assert error.startswith(f"{at(text, 'Tagz:')}: {RESOURCE_TYPE}: unknown property 'Tagz'; valid properties: ")
    valid = error.split("valid properties: ")[1].split(", ")
    assert valid == sorted(valid)
    assert {"Name", "Tags", "Workflows", "ImageTags", "LoggingConfiguration", "ContainerRecipeArn"} <= set(valid)
    # read-only attributes are not properties one can write
    assert not {"Arn", "Platform", "DateCreated", "ConsecutiveFailures"} & set(valid)


@pytest.mark.parametrize(
    ("lines", "needle", "where", "valid"),
    [
        # API fields CloudFormation's schema does not have: the template is rejected, so nothing is compared
        ("Schedule:\n  ScheduleExpression: cron(0 6 * * ? *)\n  Timezone: Europe/Paris", "Timezone:", "Schedule",
         "AutoDisablePolicy, PipelineExecutionStartCondition, ScheduleExpression"),
        ("ImageScanningConfiguration:\n  ImageScanningTypes: [ON_DEMAND_AMI_CVE]", "ImageScanningTypes:", "ImageScanningConfiguration",
         "EcrConfiguration, ImageScanningEnabled"),
        ("ImageScanningConfiguration:\n  ScanResultCondition:\n    MaximumSeverityLabel: HIGH", "ScanResultCondition:", "ImageScanningConfiguration",
         "EcrConfiguration, ImageScanningEnabled"),
        ("Workflows:\n  - WorkflowArn: arn:x\n    OnFail: ABORT", "OnFail:", "Workflows[0]",
         "OnFailure, ParallelGroup, Parameters, WorkflowArn"),
        # camelCase API names are not CloudFormation names
        ("ImageTestsConfiguration:\n  timeoutMinutes: 90", "timeoutMinutes:", "ImageTestsConfiguration",
         "ImageTestsEnabled, TimeoutMinutes"),
    ],
)
def test_an_unknown_nested_property_is_a_pipeline_error(lines, needle, where, valid):
    text = pipeline_with(lines)
    key = needle.rstrip(":")
    assert failed(collect(text)) == f"{at(text, needle)}: {where}: unknown property '{key}'; valid properties: {valid}"


@pytest.mark.parametrize(
    ("lines", "needle", "path"),
    [
        ("Description:", "Description:", "Description"),
        ("Description: null", "Description:", "Description"),
        ("ImageTestsConfiguration:\n  TimeoutMinutes: ~", "TimeoutMinutes:", "ImageTestsConfiguration.TimeoutMinutes"),
        ("ImageScanningConfiguration:\n  EcrConfiguration:\n    ContainerTags: [a, null]", "ContainerTags:", "ImageScanningConfiguration.EcrConfiguration.ContainerTags[1]"),
    ],
)
def test_a_null_value_is_rejected_as_cloudformation_does(lines, needle, path):
    # CloudFormation: "Template format error: [/Resources/.../Properties/...] 'null' values are not allowed in templates"
    text = pipeline_with(lines)
    assert failed(collect(text)) == f"{at(text, needle)}: {path}: 'null' values are not allowed in templates"


def test_tags_written_as_a_list_of_key_value_pairs_is_a_clear_error():
    text = pipeline_with("Tags:\n  - Key: Team\n    Value: web\n")
    assert failed(collect(text)) == (
        f"{at(text, '- Key: Team')}: Tags: expected a map of key: value for {RESOURCE_TYPE}, not a list of Key/Value pairs"
    )


def test_a_pipeline_without_name_or_properties_is_an_error():
    text = MINIMAL.replace("      Name: web\n", "")
    assert failed(collect(text)) == f"{at(text, 'WebPipeline:')}: WebPipeline has no Name (required for {RESOURCE_TYPE})"
    bare = "Resources:\n  WebPipeline:\n    Type: AWS::ImageBuilder::ImagePipeline\n"
    assert failed(collect(bare)) == (
        f"{FILE}:2: WebPipeline has no Properties (Name and InfrastructureConfigurationArn are required)"
    )


def test_an_unknown_yaml_tag_is_an_input_error_at_its_line():
    text = MINIMAL.replace("Name: web", "Name: !Vault secret/web")
    result = collect(text)
    assert result.pipelines == ()
    assert result.errors == (InputError(at(text, "Name: !Vault"), "unknown tag !Vault: not a CloudFormation intrinsic function"),)


def test_a_template_error_in_properties_is_a_pipeline_error_with_file_and_line():
    text = MINIMAL.replace("Name: web", "Name: !Ref Nope")
    assert failed(collect(text)) == f"{at(text, 'Name: !Ref Nope')}: Ref to unknown parameter or resource Nope"


def test_a_template_error_outside_resources_is_an_input_error_with_its_line():
    text = MINIMAL + "Conditions:\n  IsProd: !Equals [!Ref Nope, prod]\n"
    result = collect(text)
    assert result.pipelines == ()
    assert result.errors == (InputError(at(text, "IsProd:"), "Ref to unknown parameter or resource Nope"),)


# --------------------------------------------------------------------------- omitted properties


def test_omitted_properties_are_expected_unset_except_those_the_service_fills():
    values = fields(only(collect(MINIMAL)))
    assert values == declared()
    assert "workflows" not in values  # the service runs (and may report) its default workflows


def test_minimal_template_is_in_sync_with_what_the_service_stores():
    in_sync(check(only(collect(MINIMAL)), live()))


def test_a_hand_set_live_value_of_an_omitted_property_is_drift():
    differences = drift(check(only(collect(MINIMAL)), live(description="hand made", executionRole="HandRole", status="DISABLED")))
    assert differences == {
        "description": (None, "hand made", at(MINIMAL, "WebPipeline:")),
        "executionRole": (None, "HandRole", at(MINIMAL, "WebPipeline:")),
        "status": ("ENABLED", "DISABLED", at(MINIMAL, "WebPipeline:")),
    }


def test_a_live_schedule_of_a_template_without_one_is_drift():
    differences = drift(check(only(collect(MINIMAL)), live(schedule={"scheduleExpression": "cron(0 6 * * ? *)"})))
    assert list(differences) == ["schedule"]


def test_omitted_workflows_are_not_compared_whatever_the_service_reports():
    for workflows in ([], [{"workflowArn": BUILD_WORKFLOW, "onFailure": "CONTINUE"}], _DROP):
        in_sync(check(only(collect(MINIMAL)), live(workflows=workflows)))


def test_declared_workflows_are_compared_in_order():
    text = pipeline_with(f"Workflows:\n  - WorkflowArn: {BUILD_WORKFLOW}\n  - WorkflowArn: {TEST_WORKFLOW}\n")
    pipeline = only(collect(text))
    in_sync(check(pipeline, live(workflows=[{"workflowArn": BUILD_WORKFLOW}, {"workflowArn": TEST_WORKFLOW}])))
    swapped = drift(check(pipeline, live(workflows=[{"workflowArn": TEST_WORKFLOW}, {"workflowArn": BUILD_WORKFLOW}])))
    assert set(swapped) == {"workflows[0].workflowArn", "workflows[1].workflowArn"}
    assert swapped["workflows[1].workflowArn"][2] == at(text, f"- WorkflowArn: {TEST_WORKFLOW}")


def test_an_omitted_ecr_repository_name_is_not_compared():
    text = pipeline_with("ImageScanningConfiguration:\n  ImageScanningEnabled: true\n  EcrConfiguration:\n    ContainerTags: [latest]\n")
    pipeline = only(collect(text))
    assert fields(pipeline)["imageScanningConfiguration"] == {"imageScanningEnabled": True, "ecrConfiguration": {"containerTags": ["latest"]}}
    for repository in ("image-builder-image-scanning-repository", "whatever-the-service-chose"):
        scanning = {"imageScanningEnabled": True, "ecrConfiguration": {"repositoryName": repository, "containerTags": ["latest"]}}
        in_sync(check(pipeline, live(imageScanningConfiguration=scanning)))


def test_an_omitted_ecr_configuration_is_expected_unset():
    text = pipeline_with("ImageScanningConfiguration:\n  ImageScanningEnabled: true\n")
    pipeline = only(collect(text))
    in_sync(check(pipeline, live(imageScanningConfiguration={"imageScanningEnabled": True})))
    in_sync(check(pipeline, live(imageScanningConfiguration={"imageScanningEnabled": True, "ecrConfiguration": {"repositoryName": "image-builder-image-scanning-repository"}})))
    differences = drift(check(pipeline, live(imageScanningConfiguration={"imageScanningEnabled": True, "ecrConfiguration": {"containerTags": ["x"]}})))
    assert list(differences) == ["imageScanningConfiguration.ecrConfiguration"]


def test_fields_cloudformation_cannot_express_are_not_drift_when_present_live():
    text = pipeline_with("""\
Schedule:
  ScheduleExpression: cron(0 6 * * ? *)
ImageScanningConfiguration:
  ImageScanningEnabled: true
""")
    pipeline = only(collect(text))
    assert "timezone" not in fields(pipeline)["schedule"]
    assert set(fields(pipeline)["imageScanningConfiguration"]) == {"imageScanningEnabled", "ecrConfiguration"}
    current = live(
        schedule={"scheduleExpression": "cron(0 6 * * ? *)", "timezone": "America/New_York", "pipelineExecutionStartCondition": START},
        imageScanningConfiguration={
            "imageScanningEnabled": True,
            "imageScanningTypes": ["ON_DEMAND_AMI_CVE"],
            "scanResultCondition": {"maximumSeverityLabel": "HIGH", "fixAvailable": False},
        },
    )
    in_sync(check(pipeline, current))


def test_inexpressible_fields_of_an_omitted_block_are_not_drift():
    in_sync(check(only(collect(MINIMAL)), live(imageScanningConfiguration={"imageScanningTypes": ["ON_DEMAND_AMI_CVE"]})))


# --------------------------------------------------------------------------- tags and stack tags

TAGGED = pipeline_with("Tags:\n  Team: web\n  Env: prod\n")


def test_tags_are_a_map_with_a_line_per_key():
    pipeline = only(collect(TAGGED))
    assert fields(pipeline)["tags"] == {"Team": "web", "Env": "prod"}
    assert pipeline.field_locations["tags.Team"] == at(TAGGED, "Team: web")
    assert pipeline.field_locations["tags.Env"] == at(TAGGED, "Env: prod")


def test_without_stack_tags_extra_live_tags_are_a_note_not_drift():
    pipeline = only(collect(TAGGED))
    assert dict(pipeline.partial_maps) == {"tags": STACK_TAGS_UNKNOWN}
    result = in_sync(check(pipeline, live(tags={**CFN_SYSTEM_TAGS, "Team": "web", "Env": "prod", "CostCenter": "42"})))
    assert any("CostCenter" in note and STACK_TAGS_UNKNOWN in note for note in result.notes), result.notes
    assert not any("aws:cloudformation" in note for note in result.notes), result.notes
    # a declared tag with another value live is still drift
    changed = drift(check(pipeline, live(tags={**CFN_SYSTEM_TAGS, "Team": "ops", "Env": "prod", "CostCenter": "42"})))
    assert changed == {"tags.Team": ("web", "ops", at(TAGGED, "Team: web"))}
    # ... and so is a declared tag missing live
    missing = drift(check(pipeline, live(tags={**CFN_SYSTEM_TAGS, "Team": "web"})))
    assert missing == {"tags.Env": ("prod", None, at(TAGGED, "Env: prod"))}


def test_without_tags_in_the_template_the_live_tags_are_still_only_a_note():
    result = in_sync(check(only(collect(MINIMAL)), live(tags={**CFN_SYSTEM_TAGS, "CostCenter": "42"})))
    assert any("CostCenter" in note for note in result.notes)


def test_cloudformation_system_tags_are_never_drift():
    in_sync(check(only(collect(TAGGED, stacks=(StackBinding("web-stack", stack=stack()),))), live(tags={**CFN_SYSTEM_TAGS, "Team": "web", "Env": "prod"})))


def test_stack_tags_from_the_deployed_stack_are_expected_and_resource_tags_win():
    binding = StackBinding("web-stack", stack=stack(tags={"CostCenter": "42", "Team": "stack-team"}))
    pipeline = only(collect(TAGGED, stacks=(binding,)))
    assert fields(pipeline)["tags"] == {"CostCenter": "42", "Team": "web", "Env": "prod"}
    assert dict(pipeline.partial_maps) == {}
    in_sync(check(pipeline, live(tags={**CFN_SYSTEM_TAGS, "CostCenter": "42", "Team": "web", "Env": "prod"})))
    extra = drift(check(pipeline, live(tags={**CFN_SYSTEM_TAGS, "CostCenter": "42", "Team": "web", "Env": "prod", "Owner": "bob"})))
    assert extra == {"tags.Owner": (None, "bob", at(TAGGED, "Tags:"))}
    lost = drift(check(pipeline, live(tags={**CFN_SYSTEM_TAGS, "Team": "web", "Env": "prod"})))
    assert list(lost) == ["tags.CostCenter"]


def test_stack_tags_without_template_tags():
    pipeline = only(collect(MINIMAL, stacks=(StackBinding("web-stack", stack=stack(tags={"CostCenter": "42"})),)))
    assert fields(pipeline)["tags"] == {"CostCenter": "42"}
    in_sync(check(pipeline, live(tags={**CFN_SYSTEM_TAGS, "CostCenter": "42"})))
    # a stack without tags: the pipeline is expected to carry none but the system tags
    bare = only(collect(MINIMAL, stacks=(StackBinding("web-stack", stack=stack()),)))
    assert fields(bare)["tags"] is None and dict(bare.partial_maps) == {}
    in_sync(check(bare, live()))
    assert drift(check(bare, live(tags={**CFN_SYSTEM_TAGS, "Owner": "bob"}))) == {"tags": (None, {"Owner": "bob"}, at(MINIMAL, "WebPipeline:"))}


def test_stack_tags_from_a_template_configuration_file(tmp_path):
    config = tmp_path / "prod.json"
    config.write_text(json.dumps({"Parameters": {}, "Tags": {"CostCenter": "42", "Team": "file-team"}}))
    pipeline = only(collect(TAGGED, parameter_files=(config,)))
    assert fields(pipeline)["tags"] == {"CostCenter": "42", "Team": "web", "Env": "prod"}
    assert dict(pipeline.partial_maps) == {}
    assert list(drift(check(pipeline, live(tags={**CFN_SYSTEM_TAGS, "CostCenter": "42", "Team": "web", "Env": "prod", "Owner": "bob"})))) == ["tags.Owner"]


def test_a_template_configuration_s_tags_replace_the_deployed_stack_s(tmp_path):
    """The next deploy sets the stack's tags to the file's, so the file's tags are the expected ones."""
    config = tmp_path / "prod.json"
    config.write_text(json.dumps({"Tags": {"CostCenter": "77"}}))
    binding = StackBinding("web-stack", stack=stack(tags={"CostCenter": "42", "Old": "x"}))
    pipeline = only(collect(TAGGED, parameter_files=(config,), stacks=(binding,)))
    assert fields(pipeline)["tags"] == {"CostCenter": "77", "Team": "web", "Env": "prod"}


# --------------------------------------------------------------------------- real-template quirks


def cdk_template() -> str:
    """A CDK-synthesized template: hashed logical ids, many starting with ImagePipeline, only one a pipeline."""
    def meta(path: str) -> dict[str, Any]:
        return {"Metadata": {"aws:cdk:path": f"WebStack/{path}"}}

    template = {
        "Parameters": {
            "BootstrapVersion": {
                "Type": "AWS::SSM::Parameter::Value<String>",
                "Default": "/cdk-bootstrap/hnb659fds/version",
                "Description": "Version of the CDK Bootstrap resources in this environment",
            }
        },
        "Resources": {
            "ImagePipelineRoleB1E8D1A0": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {}}, **meta("ImagePipeline/Role/Resource")},
            "ImagePipelineInstanceProfile4F2A4D2C": {"Type": "AWS::IAM::InstanceProfile", "Properties": {"Roles": [{"Ref": "ImagePipelineRoleB1E8D1A0"}]}},
            "ImagePipelineInfraConfig7C2E1B7A": {"Type": "AWS::ImageBuilder::InfrastructureConfiguration", "Properties": {"Name": "web-infra", "InstanceProfileName": {"Ref": "ImagePipelineInstanceProfile4F2A4D2C"}}},
            "ImagePipelineRecipe3D1F0C55": {"Type": "AWS::ImageBuilder::ImageRecipe", "Properties": {"Name": "web", "Version": "1.0.0", "ParentImage": "ami-123", "Components": []}},
            "ImagePipelineLogGroup9A8B7C6D": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 30}},
            "ImagePipelineImage0F1E2D3C": {"Type": "AWS::ImageBuilder::Image", "Properties": {
                "ImageRecipeArn": {"Fn::GetAtt": ["ImagePipelineRecipe3D1F0C55", "Arn"]},
                "InfrastructureConfigurationArn": {"Fn::GetAtt": ["ImagePipelineInfraConfig7C2E1B7A", "Arn"]},
            }},
            "ImagePipeline4A8B2C1D": {
                "Type": "AWS::ImageBuilder::ImagePipeline",
                "Properties": {
                    "Name": "web",
                    "ImageRecipeArn": {"Fn::GetAtt": ["ImagePipelineRecipe3D1F0C55", "Arn"]},
                    "InfrastructureConfigurationArn": {"Fn::GetAtt": ["ImagePipelineInfraConfig7C2E1B7A", "Arn"]},
                    "Status": "ENABLED",
                    "Tags": {"Team": "web"},
                },
                **meta("ImagePipeline/Resource"),
            },
            "CDKMetadata": {"Type": "AWS::CDK::Metadata", "Properties": {"Analytics": "v2:deflate64:H4sIAAAA"}, **meta("CDKMetadata/Default")},
        },
        "Rules": {
            "CheckBootstrapVersion": {
                "Assertions": [{"Assert": {"Fn::Not": [{"Fn::Contains": [["1", "2", "3"], {"Ref": "BootstrapVersion"}]}]}, "AssertDescription": "old bootstrap"}]
            }
        },
    }
    return json.dumps(template, indent=1)


def test_cdk_json_only_real_pipeline_resources_are_pipelines():
    text = cdk_template()
    document = load_text(text, "cdk.out/WebStack.template.json")
    assert is_template(document.root)
    pipeline = only(collect(document))
    assert pipeline.id == "ImagePipeline4A8B2C1D"
    assert pipeline.location == Location("cdk.out/WebStack.template.json", line_of(text, '"ImagePipeline4A8B2C1D": {'))
    assert pipeline.field_locations["tags.Team"] == Location("cdk.out/WebStack.template.json", line_of(text, '"Team": "web"'))
    values = fields(pipeline)
    assert values["name"] == "web" and values["status"] == "ENABLED"
    assert isinstance(values["imageRecipeArn"], Unresolved)
    # with the deployed stack, GetAtt Arn of Image Builder resources is their physical id
    infra = f"arn:aws:imagebuilder:eu-west-1:{ACCOUNT}:infrastructure-configuration/web-infra"
    deployed = stack(resources={
        "ImagePipelineRecipe3D1F0C55": ("AWS::ImageBuilder::ImageRecipe", RECIPE),
        "ImagePipelineInfraConfig7C2E1B7A": ("AWS::ImageBuilder::InfrastructureConfiguration", infra),
        "ImagePipeline4A8B2C1D": ("AWS::ImageBuilder::ImagePipeline", f"arn:aws:imagebuilder:eu-west-1:{ACCOUNT}:image-pipeline/web"),
    })
    bound = only(collect(document, stacks=(StackBinding("WebStack", stack=deployed),)))
    assert (fields(bound)["imageRecipeArn"], fields(bound)["infrastructureConfigurationArn"]) == (RECIPE, infra)
    in_sync(check(bound, live(infrastructureConfigurationArn=infra, tags={**CFN_SYSTEM_TAGS, "Team": "web"})))


def test_an_image_resource_with_pipeline_like_properties_is_ignored():
    text = MINIMAL + f"""\
  WebImage:
    Type: AWS::ImageBuilder::Image
    Properties:
      ImageRecipeArn: {RECIPE}
      InfrastructureConfigurationArn: {INFRA}
      ImageTestsConfiguration:
        TimeoutMinutes: 60
"""
    assert [p.id for p in collect(text).pipelines] == ["WebPipeline"]


def test_container_pipeline_without_image_recipe_is_in_sync_with_a_live_container_pipeline():
    text = MINIMAL.replace(f"ImageRecipeArn: {RECIPE}", f"ContainerRecipeArn: {CONTAINER_RECIPE}")
    pipeline = only(collect(text))
    assert fields(pipeline) == declared(imageRecipeArn=None, containerRecipeArn=CONTAINER_RECIPE)
    container = live(imageRecipeArn=_DROP, containerRecipeArn=CONTAINER_RECIPE)
    in_sync(check(pipeline, container))
    # a live recipe inside the 1.x.x wildcard is the same recipe
    in_sync(check(pipeline, {**container, "containerRecipeArn": CONTAINER_RECIPE.replace("1.x.x", "1.4.2")}))
    assert list(drift(check(pipeline, {**container, "containerRecipeArn": CONTAINER_RECIPE.replace("1.x.x", "2.0.0")}))) == ["containerRecipeArn"]


STACK_NAMED = f"""\
AWSTemplateFormatVersion: 2010-09-09
Parameters:
  Prefix:
    Type: String
    Default: team
Resources:
  WebPipeline:
    Type: AWS::ImageBuilder::ImagePipeline
    Properties:
      Name: !Sub ${{Prefix}}-${{AWS::StackName}}-web
      ImageRecipeArn: {RECIPE}
      InfrastructureConfigurationArn: {INFRA}
"""


def test_name_from_a_parameter_default_and_the_stack_name_option():
    pipeline = only(collect(STACK_NAMED, stack_name="web-stack"))
    assert pipeline.name == "team-web-stack-web"
    assert pipeline.field_locations["name"] == at(STACK_NAMED, "Name: !Sub")


def test_a_name_that_needs_the_stack_name_is_an_error_that_says_to_pass_it():
    result = collect(STACK_NAMED)
    error = failed(result)
    assert error.startswith("pipeline name is unresolved, so it cannot be matched: ")
    assert "AWS::StackName is not known: pass --stack-name" in error
    assert isinstance(result.pipelines[0].name, Unresolved)


def test_an_ssm_dynamic_reference_inside_sub_is_an_unresolved_field_not_drift():
    text = MINIMAL.replace(
        f"InfrastructureConfigurationArn: {INFRA}",
        "InfrastructureConfigurationArn: !Sub \"{{resolve:ssm:/images/${AWS::Region}/infra}}\"",
    )
    pipeline = only(collect(text, region="us-east-1"))
    value = fields(pipeline)["infrastructureConfigurationArn"]
    assert isinstance(value, Unresolved) and "{{resolve:ssm:/images/us-east-1/infra}}" in value.reason
    result = in_sync(check(pipeline, live(infrastructureConfigurationArn="arn:anything")))
    assert [u.path for u in result.unresolved] == ["infrastructureConfigurationArn"]


def test_image_builder_placeholders_stay_literal():
    text = pipeline_with('ImageTags:\n  BuildDate: "{{ imagebuilder:buildDate }}"\n  Version: !Sub "{{ imagebuilder:buildVersion }}-${AWS::Region}"\n')
    values = fields(only(collect(text, region="us-east-1")))
    assert values["imageTags"] == {"BuildDate": "{{ imagebuilder:buildDate }}", "Version": "{{ imagebuilder:buildVersion }}-us-east-1"}


def test_crlf_files_give_the_same_values_and_lines():
    lf, crlf = (only(collect(load_text(FULL.replace("\n", ending), FILE))) for ending in ("\n", "\r\n"))
    assert fields(crlf) == fields(lf) == FULL_FIELDS
    assert dict(crlf.field_locations) == dict(lf.field_locations)
    assert crlf.location == lf.location


def test_a_json_template_with_lines():
    text = json.dumps({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": {"Env": {"Type": "String", "Default": "prod"}},
        "Resources": {"WebPipeline": {"Type": RESOURCE_TYPE, "Properties": {
            "Name": {"Fn::Sub": "${Env}-web"},
            "ImageRecipeArn": RECIPE,
            "InfrastructureConfigurationArn": INFRA,
            "Schedule": {"ScheduleExpression": "cron(0 6 * * ? *)"},
        }}},
    }, indent=2)
    pipeline = only(collect(load_text(text, "web.template.json")))
    assert pipeline.name == "prod-web"
    assert fields(pipeline)["schedule"] == {"scheduleExpression": "cron(0 6 * * ? *)", "pipelineExecutionStartCondition": None, "autoDisablePolicy": None}
    assert pipeline.location == Location("web.template.json", line_of(text, '"WebPipeline": {'))
    assert pipeline.field_locations["schedule.scheduleExpression"] == Location("web.template.json", line_of(text, '"ScheduleExpression"'))


# --------------------------------------------------------------------------- resource conditions

CONDITIONAL = f"""\
AWSTemplateFormatVersion: 2010-09-09
Parameters:
  Env:
    Type: String
Conditions:
  IsDev: !Equals [!Ref Env, dev]
Resources:
  DevPipeline:
    Type: AWS::ImageBuilder::ImagePipeline
    Condition: IsDev
    Properties:
      Name: dev-web
      ImageRecipeArn: {RECIPE}
      InfrastructureConfigurationArn: {INFRA}
"""


def test_a_resource_whose_condition_is_false_is_not_declared():
    assert collect(CONDITIONAL, parameters=(("Env", "prod"),)) == SourceResult()


def test_a_resource_whose_condition_is_true_is_declared():
    assert only(collect(CONDITIONAL, parameters=(("Env", "dev"),))).name == "dev-web"


def test_a_resource_whose_condition_is_unknown_is_a_pipeline_error():
    error = failed(collect(CONDITIONAL))
    assert error.startswith(f"{at(CONDITIONAL, 'DevPipeline:')}: whether DevPipeline exists is unknown: Condition ")
    assert "parameter Env has no Default: pass --var Env=VALUE or --stack" in error


# --------------------------------------------------------------------------- parameter overrides and parameter files

PARAMETERIZED = f"""\
AWSTemplateFormatVersion: 2010-09-09
Parameters:
  Env:
    Type: String
    Default: default
  Timeout:
    Type: Number
    Default: 720
Resources:
  WebPipeline:
    Type: AWS::ImageBuilder::ImagePipeline
    Properties:
      Name: !Sub ${{Env}}-web
      ImageRecipeArn: {RECIPE}
      InfrastructureConfigurationArn: {INFRA}
      ImageTestsConfiguration:
        TimeoutMinutes: !Ref Timeout
"""


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_var_overrides_a_parameter_default():
    assert only(collect(PARAMETERIZED)).name == "default-web"
    pipeline = only(collect(PARAMETERIZED, parameters=(("Env", "dev"), ("Timeout", "90"))))
    assert pipeline.name == "dev-web"
    assert fields(pipeline)["imageTestsConfiguration"]["timeoutMinutes"] == 90


def test_parameter_file_as_a_list_of_parameter_key_and_value(tmp_path):
    path = write(tmp_path / "params.json", """\
    [
      {"ParameterKey": "Env", "ParameterValue": "dev"},
      {"ParameterKey": "Timeout", "ParameterValue": 90},
      {"ParameterKey": "Kept", "UsePreviousValue": true}
    ]
    """)
    assert load_parameter_file(path) == ParameterFile({"Env": "dev", "Timeout": "90"}, None)
    pipeline = only(collect(PARAMETERIZED, parameter_files=(path,)))
    assert (pipeline.name, fields(pipeline)["imageTestsConfiguration"]["timeoutMinutes"]) == ("dev-web", 90)
    assert dict(pipeline.partial_maps) == {"tags": STACK_TAGS_UNKNOWN}  # no stack tags in this format


def test_parameter_file_as_a_template_configuration_in_json_and_yaml(tmp_path):
    as_json = write(tmp_path / "prod.json", '{"Parameters": {"Env": "prod", "Subnets": ["a", "b"]}, "Tags": {"Team": "web"}, "StackPolicy": {}}')
    as_yaml = write(tmp_path / "prod.yaml", "Parameters:\n  Env: prod\n  Subnets: [a, b]\nTags:\n  Team: web\n")
    for path in (as_json, as_yaml):
        loaded = load_parameter_file(path)
        assert (dict(loaded.parameters), dict(loaded.tags)) == ({"Env": "prod", "Subnets": "a,b"}, {"Team": "web"})
    assert only(collect(PARAMETERIZED, parameter_files=(as_yaml,))).name == "prod-web"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ('[\n  {"ParameterKey": "Env", "ParameterValue": "dev"},\n  {"Key": "Env"}\n]', 3, 'expected {"ParameterKey": ..., "ParameterValue": ...} entries'),
        ('[\n  {"ParameterKey": "Env"}\n]', 2, "parameter Env: ParameterValue is missing"),
        ('[\n  {"ParameterKey": "Env",\n   "ParameterValue": {"a": 1}}\n]', 3, "parameter Env: expected a string value"),
        ('{"Parameters": {"Env": "dev"},\n "Tag": {}}', 2, "unknown key 'Tag': expected Parameters, Tags or StackPolicy"),
        ('{"Parameters": ["Env=dev"]}', 1, "Parameters: expected a mapping of name: value"),
        ('{"Env": "dev"}', 1, "not a CloudFormation parameter file: expected a list of ParameterKey/ParameterValue entries or {\"Parameters\": {...}, \"Tags\": {...}}"),
        ('{"Parameters": {"Env": "dev",}}', 1, None),  # malformed JSON
    ],
)
def test_a_broken_parameter_file_is_an_input_error_with_its_line_and_templates_are_still_read(tmp_path, text, line, message):
    path = write(tmp_path / "params.json", text)
    with pytest.raises(DocumentError) as caught:
        load_parameter_file(path)
    assert caught.value.location == Location(str(path), line)
    if message is not None:
        assert caught.value.message == message
    result = collect(PARAMETERIZED, MINIMAL.replace("WebPipeline", "OtherPipeline").replace("Name: web", "Name: other"), parameter_files=(path,))
    assert result.errors == (InputError(Location(str(path), line), caught.value.message),)
    assert sorted((p.id, p.name, p.error) for p in result.pipelines) == [("OtherPipeline", "other", None), ("WebPipeline", "default-web", None)]


def test_a_missing_parameter_file_is_an_input_error(tmp_path):
    result = collect(MINIMAL, parameter_files=(tmp_path / "nope.json",))
    assert [e.location for e in result.errors] == [Location(str(tmp_path / "nope.json"))]
    assert result.errors[0].message.startswith("cannot read file")
    assert [p.name for p in result.pipelines] == ["web"]


def test_parameter_precedence_default_stack_file_var(tmp_path):
    file = write(tmp_path / "params.json", '[{"ParameterKey": "Env", "ParameterValue": "file"}]')
    later = write(tmp_path / "later.json", '{"Parameters": {"Env": "later-file"}}')
    deployed = (StackBinding("web-stack", stack=stack(parameters={"Env": "stack"})),)

    def name(**options: Any) -> str:
        return only(collect(PARAMETERIZED, **options)).name

    assert name() == "default-web"
    assert name(stacks=deployed) == "stack-web"
    assert name(stacks=deployed, parameter_files=(file,)) == "file-web"
    assert name(stacks=deployed, parameter_files=(file, later)) == "later-file-web"  # the later file wins
    assert name(stacks=deployed, parameter_files=(file,), parameters=(("Env", "var"),)) == "var-web"


def test_a_masked_noecho_stack_parameter_is_not_replaced_by_its_default():
    arn = f"arn:aws:imagebuilder:eu-west-1:{ACCOUNT}:image-pipeline/secret-web"
    deployed = StackBinding("web-stack", stack=stack(parameters={"Env": None}, resources={"WebPipeline": (RESOURCE_TYPE, arn)}))
    assert isinstance(only(collect(PARAMETERIZED, stacks=(deployed,))).name, Unresolved)


# --------------------------------------------------------------------------- --stack bindings

PIPELINE_ARN = f"arn:aws:imagebuilder:eu-west-1:{ACCOUNT}:image-pipeline/imported-name"

BOUND = f"""\
AWSTemplateFormatVersion: 2010-09-09
Parameters:
  Env:
    Type: String
Resources:
  Recipe:
    Type: AWS::ImageBuilder::ImageRecipe
  Infra:
    Type: AWS::ImageBuilder::InfrastructureConfiguration
  Role:
    Type: AWS::IAM::Role
  WebPipeline:
    Type: AWS::ImageBuilder::ImagePipeline
    Properties:
      Name: !ImportValue shared-pipeline-name
      Description: !Sub "${{Env}} pipeline of ${{AWS::StackName}} in ${{AWS::Region}}/${{AWS::AccountId}}"
      ImageRecipeArn: !Ref Recipe
      InfrastructureConfigurationArn: !GetAtt Infra.Arn
      ExecutionRole: !GetAtt Role.Arn
"""

DEPLOYED = stack(
    parameters={"Env": "prod"},
    tags={"CostCenter": "42"},
    resources={
        "Recipe": ("AWS::ImageBuilder::ImageRecipe", RECIPE),
        "Infra": ("AWS::ImageBuilder::InfrastructureConfiguration", INFRA),
        "Role": ("AWS::IAM::Role", "ImageBuilderExec"),
        "WebPipeline": (RESOURCE_TYPE, PIPELINE_ARN),
    },
)


def test_a_deployed_stack_resolves_refs_getatts_pseudo_parameters_and_the_pipeline_arn():
    options = dict(region="us-east-1", account_id="999999999999", stack_name="not-this-one")  # the stack knows better
    pipeline = only(collect(BOUND, stacks=(StackBinding("web-stack", stack=DEPLOYED),), **options))
    assert pipeline.arn == PIPELINE_ARN
    assert pipeline.region == "eu-west-1"  # the stack's region wins over --region
    assert isinstance(pipeline.name, Unresolved)  # an unresolved name is fine: the ARN matches the pipeline
    values = fields(pipeline)
    assert values["description"] == f"prod pipeline of web-stack in eu-west-1/{ACCOUNT}"
    assert (values["imageRecipeArn"], values["infrastructureConfigurationArn"], values["executionRole"]) == (RECIPE, INFRA, ROLE)
    assert values["tags"] == {"CostCenter": "42"}
    assert pipeline.notes == ("resolved from deployed stack web-stack (UPDATE_COMPLETE)",)
    result = in_sync(check(pipeline, live(
        arn=PIPELINE_ARN, name="imported-name", description=f"prod pipeline of web-stack in eu-west-1/{ACCOUNT}",
        executionRole=ROLE, tags={**CFN_SYSTEM_TAGS, "CostCenter": "42"},
    )))
    assert (result.name, result.arn, result.region) == ("imported-name", PIPELINE_ARN, "eu-west-1")
    assert [u.path for u in result.unresolved] == ["name"]
    assert "resolved from deployed stack web-stack (UPDATE_COMPLETE)" in result.notes


def test_without_the_stack_the_same_template_cannot_be_matched():
    error = failed(collect(BOUND, parameters=(("Env", "prod"),)))
    assert error.startswith("pipeline name is unresolved, so it cannot be matched: ImportValue 'shared-pipeline-name' is resolved only by CloudFormation")
    assert error.endswith("; or pass --stack NAME, which matches the pipeline by the ARN its stack records")


def test_one_template_and_an_unbound_stack_binding():
    pipeline = only(collect(BOUND, stacks=(StackBinding("web-stack", stack=DEPLOYED),)))
    assert pipeline.arn == PIPELINE_ARN


def test_two_templates_and_an_unbound_stack_binding_is_an_input_error():
    other = load(MINIMAL, "other.yaml")
    result = collect(BOUND, other, stacks=(StackBinding("web-stack", stack=DEPLOYED),))
    assert result.errors == (InputError(
        Location("--stack"), "--stack web-stack: 2 templates are checked; say which one with --stack TEMPLATE=web-stack"
    ),)
    assert all(p.arn is None for p in result.pipelines)


def test_a_binding_names_its_template_among_several(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    other = load(MINIMAL, "other.yaml")
    bound = load(BOUND, "stacks/web.yaml")
    # the same file however it is spelled
    result = collect(other, bound, stacks=(StackBinding("web-stack", template="./stacks/../stacks/web.yaml", stack=DEPLOYED),))
    assert result.errors == ()
    pipelines = by_id(result)
    web = pipelines["WebPipeline"]
    assert (web.location.file, web.arn, web.error) == ("stacks/web.yaml", PIPELINE_ARN, None)
    assert web.notes == ("resolved from deployed stack web-stack (UPDATE_COMPLETE)",)
    other_pipeline = next(p for p in result.pipelines if p.location.file == "other.yaml")
    assert (other_pipeline.arn, other_pipeline.notes) == (None, ())


def test_a_binding_to_a_template_that_is_not_checked_is_an_input_error():
    result = collect(MINIMAL, stacks=(StackBinding("web-stack", template="elsewhere.yaml", stack=DEPLOYED),))
    assert result.errors == (InputError(
        Location("--stack"), "--stack elsewhere.yaml=web-stack: elsewhere.yaml is not one of the templates checked"
    ),)
    assert only(SourceResult(result.pipelines)).arn is None


@pytest.mark.parametrize("template", [None, FILE])
def test_two_bindings_for_one_template_is_an_input_error_not_a_silent_choice(template):
    first = StackBinding("web-dev", stack=stack(name="web-dev"))
    second = StackBinding("web-prod", template=template, stack=stack(name="web-prod"))
    result = collect(MINIMAL, stacks=(first, second))
    assert result.errors == (InputError(
        Location("--stack"), f"--stack web-prod: {FILE} is already bound to --stack web-dev; one stack per template"
    ),)
    assert [p.notes for p in result.pipelines] == [("resolved from deployed stack web-dev (UPDATE_COMPLETE)",)]


def test_a_binding_whose_stack_could_not_be_read_makes_that_templates_pipelines_errors():
    other = load(MINIMAL.replace("WebPipeline", "OtherPipeline").replace("Name: web", "Name: other"), "other.yaml")
    broken = StackBinding("web-stack", template=FILE, error="DescribeStacks: stack web-stack does not exist in eu-west-1")
    result = collect(MINIMAL, other, stacks=(broken,))
    assert result.errors == ()
    pipelines = by_id(result)
    assert pipelines["WebPipeline"].error == "stack web-stack: DescribeStacks: stack web-stack does not exist in eu-west-1"
    assert check(pipelines["WebPipeline"], live()).status is Status.ERROR
    assert pipelines["OtherPipeline"].error is None


# --------------------------------------------------------------------------- transforms

FOR_EACH = f"""\
AWSTemplateFormatVersion: 2010-09-09
Transform: AWS::LanguageExtensions
Resources:
  Fn::ForEach::Buckets:
    - Name
    - [logs, scans]
    - ${{Name}}Bucket:
        Type: AWS::S3::Bucket
  Fn::ForEach::Pipelines:
    - Env
    - [dev, prod]
    - ${{Env}}Pipeline:
        Type: AWS::ImageBuilder::ImagePipeline
        Properties:
          Name: !Sub ${{Env}}-web
          ImageRecipeArn: {RECIPE}
          InfrastructureConfigurationArn: {INFRA}
  WebPipeline:
    Type: AWS::ImageBuilder::ImagePipeline
    Properties:
      Name: web
      ImageRecipeArn: {RECIPE}
      InfrastructureConfigurationArn: {INFRA}
"""


def test_pipelines_inside_an_unexpanded_for_each_are_reported_not_silently_skipped():
    result = collect(FOR_EACH)
    assert result.errors == (InputError(
        at(FOR_EACH, "Fn::ForEach::Pipelines:"),
        f"Fn::ForEach::Pipelines: Fn::ForEach is not expanded by driftcheck, so the {RESOURCE_TYPE} resources it declares are not checked",
    ),)  # the loop over buckets declares no pipeline: nothing to say
    assert [(p.id, p.name, p.error) for p in result.pipelines] == [("WebPipeline", "web", None)]


def test_a_macro_transform_is_noted_on_each_pipeline():
    macro = MINIMAL.replace("Resources:", "Transform: [AWS::Serverless-2016-10-31, CorpTagger]\nResources:")
    assert only(collect(macro)).notes == (
        "Transform CorpTagger runs in CloudFormation at deploy time, not in driftcheck: what it changes is not seen",
    )
    for known in ("AWS::LanguageExtensions", "AWS::Serverless-2016-10-31"):
        assert only(collect(MINIMAL.replace("Resources:", f"Transform: {known}\nResources:"))).notes == ()


@pytest.mark.parametrize(
    "tags, message",
    [
        ("!Split [',', 'a,b']", "Tags: expected a map of key: value for AWS::ImageBuilder::ImagePipeline, got a list"),
        ("[{Key: a, Value: b}]", "Tags: expected a map of key: value for AWS::ImageBuilder::ImagePipeline, not a list of Key/Value pairs"),
    ],
)
def test_tags_given_as_a_list_say_what_was_given(tags, message):
    (pipeline,) = collect(pipeline_with(f"Tags: {tags}\n")).pipelines
    assert pipeline.error is not None and pipeline.error.endswith(message), pipeline.error


def test_a_yaml_merge_key_in_properties_is_named():
    (pipeline,) = collect(pipeline_with("<<: {Description: d}\n")).pipelines
    assert pipeline.error is not None and "YAML merge keys (<<) are not supported by CloudFormation" in pipeline.error
