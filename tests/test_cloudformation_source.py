"""The CloudFormation source: detection, property mapping and lines, coercions, omitted properties,
tags and stack tags, real-template quirks, conditions, errors, parameter overrides and --stack bindings.

Templates are real YAML/JSON text loaded by :func:`driftcheck.sources.yamldoc.load_text`, so the lines
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
from driftcheck.sources.located import Document, DocumentError, Node
from driftcheck.sources.yamldoc import load_text

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
