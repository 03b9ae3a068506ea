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
    # a list with an unknown item is unresolved as a whole: the list is one field
    assert "imageScanningConfiguration.ecrConfiguration.containerTags" in pipeline["unresolved"]
    assert pipeline["differences"] == [] and pipeline["status"] == "in_sync", pipeline["differences"]


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
    assert "workflows" in pipeline["unresolved"]  # the ordered list is unresolved as a whole
    assert pipeline["differences"] == [], pipeline["differences"]


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


# --------------------------------------------------------------------------- what CloudFormation cannot express


def test_cfn_out_of_band_timezone_is_reported(cli, tmp_path):
    files, live = scenario(
        tmp_path,
        {"t.yaml": PIPELINE_HEAD + """      Schedule:
        ScheduleExpression: cron(0 1 * * ? *)
"""},
        [live_pipeline("p", schedule={"scheduleExpression": "cron(0 1 * * ? *)", "timezone": "America/New_York"})],
    )
    run = check(cli, files["t.yaml"], live=live)
    pipeline = only(run)
    said = json.dumps(pipeline["differences"]) + " ".join(pipeline["notes"])
    assert "timezone" in said, pipeline


def test_cfn_utc_timezone_spellings_are_in_sync(cli, tmp_path):
    """Pinned: CloudFormation cannot set a timezone; a live UTC / Etc/UTC / absent timezone is no drift."""
    files, _ = scenario(tmp_path, {"t.yaml": PIPELINE_HEAD + "      Schedule: {ScheduleExpression: 'cron(0 1 * * ? *)'}\n"}, [])
    for zone in ("UTC", "Etc/UTC", None):
        live_dir = tmp_path / f"live-{zone}".replace("/", "_")
        live_dir.mkdir()
        schedule = {"scheduleExpression": "cron(0 1 * * ? *)", "pipelineExecutionStartCondition": "EXPRESSION_MATCH_AND_DEPENDENCY_UPDATES_AVAILABLE"}
        if zone:
            schedule["timezone"] = zone
        (live_dir / "p.json").write_text(json.dumps({"imagePipeline": live_pipeline("p", schedule=schedule)}))
        run = check(cli, files["t.yaml"], live=live_dir)
        assert only(run)["status"] == "in_sync", (zone, only(run))


def test_cfn_omitted_workflows_do_not_hide_customer_workflow(cli, tmp_path):
    files, live = scenario(
        tmp_path,
        {"t.yaml": PIPELINE_HEAD},
        [live_pipeline("p", workflows=[{
            "workflowArn": f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:workflow/test/custom-tests/1.0.0/1", "onFailure": "CONTINUE"}])],
    )
    run = check(cli, files["t.yaml"], live=live)
    pipeline = only(run)
    said = json.dumps(pipeline["differences"]) + " ".join(pipeline["notes"])
    assert "workflows" in said, pipeline


# --------------------------------------------------------------------------- locations and messages


def test_stack_tag_from_template_configuration_names_its_file(cli, tmp_path):
    files, live = scenario(
        tmp_path,
        {
            "t.yaml": PIPELINE_HEAD,
            "prod-config.json": '{\n  "Parameters": {},\n  "Tags": {\n    "Owner": "me",\n    "Dept": "x"\n  }\n}\n',
        },
        [live_pipeline("p", tags={"Owner": "me"})],
    )
    run = check(cli, files["t.yaml"], live=live, extra=("--var-file", str(files["prod-config.json"])))
    differences = {d["path"]: d for d in only(run)["differences"]}
    assert set(differences) == {"tags.Dept"}
    assert differences["tags.Dept"]["source"] == {"file": str(files["prod-config.json"]), "line": 5}


def test_properties_from_include_transform_say_so(cli, tmp_path):
    files, live = scenario(
        tmp_path,
        {"t.yaml": """
            Resources:
              P:
                Type: AWS::ImageBuilder::ImagePipeline
                Properties:
                  Fn::Transform:
                    Name: AWS::Include
                    Parameters:
                      Location: s3://bucket/pipeline-properties.yaml
            """},
        [live_pipeline("p")],
    )
    run = check(cli, files["t.yaml"], live=live)
    pipeline = only(run)
    assert pipeline["status"] == "error"
    assert "Transform" in pipeline["error"], pipeline["error"]


def test_workflow_lines_follow_items_removed_by_novalue(cli, tmp_path):
    """Pinned: after an Fn::If drops a Workflows item, later items keep their own lines."""
    files, live = scenario(
        tmp_path,
        {"t.yaml": """
            Parameters:
              Env: {Type: String, Default: dev, AllowedValues: [dev, prod]}
            Conditions:
              IsProd: !Equals [!Ref Env, prod]
            Resources:
              P:
                Type: AWS::ImageBuilder::ImagePipeline
                Properties:
                  Name: !Join ["-", [wf, !Ref Env]]
                  ImageRecipeArn: %s
                  InfrastructureConfigurationArn: %s
                  Workflows:
                    - !If
                      - IsProd
                      - WorkflowArn: %s
                      - !Ref AWS::NoValue
                    - WorkflowArn: arn:aws:imagebuilder:us-east-1:%s:workflow/test/t/1.x.x
                      OnFailure: ABORT
                    - Fn::If:
                        - IsProd
                        - {Ref: AWS::NoValue}
                        - WorkflowArn: arn:aws:imagebuilder:us-east-1:%s:workflow/distribution/d/1.0.0/2
                          ParallelGroup: dist
            """ % (RECIPE, INFRA, BUILD_WF, ACCOUNT, ACCOUNT)},
        [live_pipeline("wf-dev", workflows=[
            {"workflowArn": f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:workflow/test/t/1.4.0", "onFailure": "CONTINUE"},
            {"workflowArn": f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:workflow/distribution/d/1.0.0/2", "parallelGroup": "other"},
        ])],
    )
    run = check(cli, files["t.yaml"], live=live)
    lines = {d["path"]: d["source"]["line"] for d in only(run)["differences"]}
    assert lines == {"workflows[0].onFailure": 18, "workflows[1].parallelGroup": 23}


# --------------------------------------------------------------------------- pipeline files pasted from the CLI


NEW_SHAPE = {
    "arn": f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:image-pipeline/container-nightly",
    "name": "container-nightly",
    "description": "Nightly container",
    "platform": "Linux",
    "enhancedImageMetadataEnabled": True,
    "containerRecipeArn": f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:container-recipe/ctr/1.2.3",
    "infrastructureConfigurationArn": INFRA,
    "imageTestsConfiguration": {"imageTestsEnabled": True, "timeoutMinutes": 720},
    "schedule": {"scheduleExpression": "cron(0 3 * * ? *)", "timezone": "Europe/Dublin",
                 "pipelineExecutionStartCondition": "EXPRESSION_MATCH_ONLY", "autoDisablePolicy": {"failureCount": 5}},
    "status": "ENABLED",
    "dateCreated": "2025-12-01T10:00:00.000Z",
    "dateUpdated": "2026-01-01T10:00:00.000Z",
    "dateLastRun": "2026-11-20T03:00:00.000Z",
    "lastRunStatus": "FAILED",
    "dateNextRun": "2026-11-21T03:00:00.000Z",
    "consecutiveFailures": 2,
    "tags": {"team": "ctr", "aws:cloudformation:stack-name": "ctr"},
    "imageScanningConfiguration": {
        "imageScanningEnabled": True,
        "ecrConfiguration": {"repositoryName": "image-builder-image-scanning-repository", "containerTags": ["a", "b"]},
        "imageScanningTypes": ["TEST_INSTANCE_CVE"],
        "scanResultCondition": {"maximumSeverityLabel": "HIGH", "fixAvailable": True},
    },
    "executionRole": f"arn:aws:iam::{ACCOUNT}:role/service-role/IBExec",
    "workflows": [
        {"workflowArn": "arn:aws:imagebuilder:us-east-1:aws:workflow/build/build-container/1.0.2/1"},
        {"workflowArn": f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:workflow/test/my-test/1.0.0/3",
         "parameters": [{"name": "a", "value": ["1", "2"]}, {"name": "b", "value": ["x"]}], "onFailure": "ABORT", "parallelGroup": "g1"},
    ],
    "loggingConfiguration": {"imageLogGroupName": "/aws/imagebuilder/ctr", "pipelineLogGroupName": "/custom/pipe"},
    "imageTags": {"BuildDate": "{{ imagebuilder:buildDate }}"},
}


def pasted(tmp_path: Path, entry: dict[str, Any]) -> Path:
    path = tmp_path / "pasted.json"
    path.write_text(json.dumps({"driftcheck": "pipelines/v1", "pipelines": [entry]}, indent=2))
    return path


def test_pasted_newer_response_is_in_sync_and_detects_each_change(cli, tmp_path):
    """Pinned: a pasted newer-shape response is in sync with itself; each real change is one difference."""
    live_dir = tmp_path / "live"
    live_dir.mkdir()
    (live_dir / "p.json").write_text(json.dumps({"requestId": "r", "imagePipeline": NEW_SHAPE}))
    run = check(cli, pasted(tmp_path, NEW_SHAPE), live=live_dir)
    assert only(run)["status"] == "in_sync", only(run)
    changed = json.loads(json.dumps(NEW_SHAPE))
    changed["workflows"][1]["parameters"][0]["value"] = ["2", "1"]
    changed["imageScanningConfiguration"]["scanResultCondition"]["maximumSeverityLabel"] = "LOW"
    changed["imageScanningConfiguration"]["ecrConfiguration"]["containerTags"] = ["b", "a"]  # a set: no drift
    changed["schedule"]["timezone"] = "UTC"
    changed["tags"]["extra"] = "1"
    changed["loggingConfiguration"] = {"pipelineLogGroupName": "/custom/pipe"}  # image log group: the default
    (live_dir / "p.json").write_text(json.dumps({"imagePipeline": changed}))
    run = check(cli, pasted(tmp_path, NEW_SHAPE), live=live_dir)
    assert {d["path"] for d in only(run)["differences"]} == {
        "imageScanningConfiguration.scanResultCondition.maximumSeverityLabel",
        "schedule.timezone",
        "tags.extra",
        "workflows[1].parameters[name=a].value",
    }


def test_pasted_older_response_shape_is_in_sync(cli, tmp_path):
    """Pinned: the 2020 CLI example (no workflows/logging/imageTags), dates quoted, is in sync with itself."""
    older = {key: NEW_SHAPE[key] for key in (
        "arn", "name", "description", "platform", "containerRecipeArn", "infrastructureConfigurationArn",
        "imageTestsConfiguration", "status", "dateCreated", "dateUpdated", "tags")}
    older["schedule"] = {"scheduleExpression": "cron(0 0 * * SUN)", "pipelineExecutionStartCondition": "EXPRESSION_MATCH_AND_DEPENDENCY_UPDATES_AVAILABLE"}
    live_dir = tmp_path / "live"
    live_dir.mkdir()
    (live_dir / "p.json").write_text(json.dumps({"imagePipeline": {**NEW_SHAPE, "schedule": {**older["schedule"], "timezone": "UTC"}}}))
    run = check(cli, pasted(tmp_path, older), live=live_dir)
    assert only(run)["status"] == "in_sync", only(run)
    assert any("not compared (set by the service)" in note for note in only(run)["notes"])


def test_pasted_yaml_with_unquoted_dates_is_checked(cli, tmp_path):
    files, live = scenario(
        tmp_path,
        {"pins.yaml": """
            driftcheck: pipelines/v1
            region: us-east-1
            pipelines:
              - name: p
                status: ENABLED
                dateCreated: 2026-01-01T00:00:00.000Z
                dateUpdated: 2026-01-01T00:00:00.000Z
            """},
        [live_pipeline("p")],
    )
    run = check(cli, files["pins.yaml"], live=live)
    assert only(run)["status"] == "in_sync", only(run)


def test_cfn_duplicate_workflow_parameter_names_are_not_silently_merged(cli, tmp_path):
    files, live = scenario(
        tmp_path,
        {"t.yaml": PIPELINE_HEAD + """      Workflows:
        - WorkflowArn: arn:aws:imagebuilder:us-east-1:aws:workflow/test/test-image/x.x.x
          Parameters:
            - Name: a
              Value: ["1"]
            - Name: a
              Value: ["2"]
"""},
        [live_pipeline("p", workflows=[{
            "workflowArn": "arn:aws:imagebuilder:us-east-1:aws:workflow/test/test-image/x.x.x",
            "parameters": [{"name": "a", "value": ["2"]}]}])],
    )
    run = check(cli, files["t.yaml"], live=live)
    problems = json.dumps(run.report["input_errors"]) + str(only(run).get("error"))
    assert "duplicate" in problems.lower(), run.report
