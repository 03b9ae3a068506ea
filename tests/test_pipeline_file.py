"""driftcheck's own pipeline file: the generated JSON Schema and PipelineFileSource (validation, fields, lines)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import botocore
import jsonschema
import pytest
import yaml

from driftcheck.diff import compare, locate
from driftcheck.fields import pipeline_model
from driftcheck.frozen import thaw
from driftcheck.model import DeclaredPipeline, InputError, Location
from driftcheck.pipeline_schema import pipeline_file_schema, render
from driftcheck.sources.pipeline_file import MARKER, PipelineFileSource, is_pipeline_file
from driftcheck.sources.yaml_tree import load_text

ROOT = Path(__file__).resolve().parent.parent
COMMITTED_SCHEMA = ROOT / "driftcheck" / "schemas" / "pipelines.schema.json"
FILE = "pins.yaml"

OUTPUT_ONLY = {"arn", "platform", "dateCreated", "dateUpdated", "dateLastRun", "dateNextRun", "lastRunStatus", "consecutiveFailures"}

# get_image_pipeline's imagePipeline, as an older response shows it (no workflows, logging, imageTags...).
OLD_EDITION: dict[str, Any] = {
    "arn": "arn:aws:imagebuilder:us-east-1:111122223333:image-pipeline/legacy-golden-ami",
    "name": "Legacy Golden AMI",
    "description": "Created by hand in the console in 2023",
    "platform": "Windows",
    "enhancedImageMetadataEnabled": False,
    "imageRecipeArn": "arn:aws:imagebuilder:us-east-1:111122223333:image-recipe/win2022-golden/1.0.4",
    "infrastructureConfigurationArn": "arn:aws:imagebuilder:us-east-1:111122223333:infrastructure-configuration/default-infra",
    "imageTestsConfiguration": {"imageTestsEnabled": False, "timeoutMinutes": 720},
    "status": "ENABLED",
    "dateCreated": "2023-04-02T10:00:00.000Z",
    "dateUpdated": "2023-04-02T10:00:00.000Z",
    "tags": {},
}

# ... and as a newer one does (workflows with parameters, logging, imageTags, executionRole, failures).
NEW_EDITION: dict[str, Any] = {
    "arn": "arn:aws:imagebuilder:us-east-1:111122223333:image-pipeline/prod-app-container",
    "name": "prod-app-container",
    "description": "App container image prod",
    "platform": "Linux",
    "enhancedImageMetadataEnabled": True,
    "containerRecipeArn": "arn:aws:imagebuilder:us-east-1:111122223333:container-recipe/app-ctr/1.x.x",
    "infrastructureConfigurationArn": "arn:aws:imagebuilder:us-east-1:111122223333:infrastructure-configuration/prod-build-infra",
    "distributionConfigurationArn": "arn:aws:imagebuilder:us-east-1:111122223333:distribution-configuration/prod",
    "imageTestsConfiguration": {"imageTestsEnabled": True, "timeoutMinutes": 90},
    "schedule": {
        "scheduleExpression": "cron(0 6 ? * MON *)",
        "timezone": "Etc/UTC",
        "pipelineExecutionStartCondition": "EXPRESSION_MATCH_ONLY",
        "autoDisablePolicy": {"failureCount": 3},
    },
    "status": "ENABLED",
    "dateCreated": "2026-02-10T09:15:00.000Z",
    "dateUpdated": "2026-10-01T08:00:00.000Z",
    "dateLastRun": "2026-11-16T06:00:12.000Z",
    "lastRunStatus": "AVAILABLE",
    "dateNextRun": "2026-11-23T06:00:00.000Z",
    "tags": {
        "Team": "app",
        "aws:cloudformation:stack-name": "app-container-pipelines",
        "aws:cloudformation:logical-id": "AppContainerPipeline",
    },
    "imageScanningConfiguration": {
        "imageScanningEnabled": True,
        "ecrConfiguration": {"repositoryName": "app-ctr-scans", "containerTags": ["stable", "latest"]},
        "imageScanningTypes": ["TEST_INSTANCE_CVE"],
        "scanResultCondition": {"maximumSeverityLabel": "HIGH", "fixAvailable": True},
    },
    "imageTags": {"Build": "nightly"},
    "executionRole": "arn:aws:iam::111122223333:role/ImageBuilderWorkflows",
    "workflows": [
        {"workflowArn": "arn:aws:imagebuilder:us-east-1:aws:workflow/build/build-container/x.x.x"},
        {
            "workflowArn": "arn:aws:imagebuilder:us-east-1:aws:workflow/test/test-container/x.x.x",
            "onFailure": "CONTINUE",
            "parallelGroup": "tests",
            "parameters": [{"name": "waitForActionAtEnd", "value": ["true"]}],
        },
    ],
    "loggingConfiguration": {
        "imageLogGroupName": "/aws/imagebuilder/prod-app-container",
        "pipelineLogGroupName": "/aws/imagebuilder/pipeline/prod-app-container",
    },
    "consecutiveFailures": 0,
}


def collect(text: str, file: str = FILE):
    """Load YAML text (real lines) and run the source on it."""
    return PipelineFileSource().collect([load_text(textwrap.dedent(text).lstrip("\n"), file)])


def only(result) -> DeclaredPipeline:
    """The one pipeline of a result that has no errors."""
    assert result.errors == ()
    assert len(result.pipelines) == 1
    return result.pipelines[0]


def errors(result) -> list[tuple[int | None, str]]:
    return [(e.location.line, e.message) for e in result.errors]


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line of (dedented) ``text`` that contains ``needle``."""
    lines = textwrap.dedent(text).lstrip("\n").splitlines()
    return next(number for number, line in enumerate(lines, 1) if needle in line)


def valid_entry_fields() -> str:
    return ", ".join(sorted([*pipeline_model().children, "region"]))


def pasted_json(response: dict[str, Any]) -> str:
    """A file with the imagePipeline object pasted as is (JSON is YAML)."""
    return "driftcheck: pipelines/v1\npipelines:\n  - " + json.dumps(response, indent=2).replace("\n", "\n    ") + "\n"


def pasted_yaml(response: dict[str, Any]) -> str:
    """A file with the imagePipeline object as `--output yaml` prints it (strings that look like dates quoted)."""
    return yaml.safe_dump({"driftcheck": "pipelines/v1", "pipelines": [response]}, sort_keys=False)


# ------------------------------------------------------------------------------------------- pasted responses


@pytest.mark.parametrize("response", [OLD_EDITION, NEW_EDITION], ids=["old-edition", "new-edition"])
@pytest.mark.parametrize("paste", [pasted_json, pasted_yaml], ids=["json", "yaml"])
def test_a_pasted_response_loads_without_errors(response, paste):
    pipeline = only(PipelineFileSource().collect([load_text(paste(response), FILE)]))
    expected = {key: value for key, value in response.items() if key not in OUTPUT_ONLY}
    assert thaw(pipeline.fields) == expected
    assert pipeline.arn == response["arn"]
    assert pipeline.region == "us-east-1"  # from the ARN: the file names none
    assert pipeline.name == pipeline.id == response["name"]
    assert pipeline.source_kind == PipelineFileSource.kind == "driftcheck"
    assert pipeline.error is None
    ignored = sorted(OUTPUT_ONLY.intersection(response) - {"arn"})
    assert pipeline.notes == (f"not compared (set by the service): {', '.join(ignored)}",)


def test_the_note_names_the_pasted_output_only_fields_sorted():
    pipeline = only(
        collect(
            """
            driftcheck: pipelines/v1
            pipelines:
              - name: a
                platform: Linux
                dateCreated: "2024-01-01T00:00:00.000Z"
            """
        )
    )
    assert pipeline.notes == ("not compared (set by the service): dateCreated, platform",)
    assert thaw(pipeline.fields) == {"name": "a"}
    assert "platform" not in pipeline.field_locations


def test_an_arn_alone_is_used_for_matching_without_a_note():
    pipeline = only(
        collect(
            """
            driftcheck: pipelines/v1
            pipelines:
              - name: a
                arn: arn:aws:imagebuilder:eu-west-1:111122223333:image-pipeline/a
            """
        )
    )
    assert pipeline.arn == "arn:aws:imagebuilder:eu-west-1:111122223333:image-pipeline/a"
    assert "arn" not in pipeline.fields
    assert pipeline.notes == ()


# ------------------------------------------------------------------------------------------ fields and regions

HAPPY = """
    # pinned pipelines
    driftcheck: pipelines/v1
    region: eu-west-1
    pipelines:
      - name: nightly-base
        status: ENABLED
        description: null
        schedule:
          scheduleExpression: cron(0 3 * * ? *)
          timezone: null
        tags: {Team: platform, Env: prod}
      - name: weekly-win
        region: eu-central-1
        workflows:
          - workflowArn: arn:aws:imagebuilder:eu-central-1:aws:workflow/build/build-image/x.x.x
          - workflowArn: arn:aws:imagebuilder:eu-central-1:aws:workflow/test/test-image/x.x.x
            onFailure: CONTINUE
            parameters:
              - name: waitForActionAtEnd
                value: ["true"]
              - name: retries
                value:
                  - "3"
        imageScanningConfiguration:
          imageScanningEnabled: true
          ecrConfiguration:
            containerTags: [a, b]
      - name: pinned-by-arn
        arn: arn:aws:imagebuilder:us-west-2:111122223333:image-pipeline/pinned-by-arn
        status: DISABLED
"""


def test_happy_path_has_no_errors_and_keeps_every_entry_in_order():
    result = collect(HAPPY)
    assert result.errors == ()
    assert [p.name for p in result.pipelines] == ["nightly-base", "weekly-win", "pinned-by-arn"]
    assert all(p.error is None and p.notes == () for p in result.pipelines)
    assert [p.location for p in result.pipelines] == [
        Location(FILE, line_of(HAPPY, "name: nightly-base")),
        Location(FILE, line_of(HAPPY, "name: weekly-win")),
        Location(FILE, line_of(HAPPY, "name: pinned-by-arn")),
    ]


def test_only_written_fields_are_present_and_null_is_kept():
    nightly = collect(HAPPY).pipelines[0]
    assert thaw(nightly.fields) == {
        "name": "nightly-base",
        "status": "ENABLED",
        "description": None,
        "schedule": {"scheduleExpression": "cron(0 3 * * ? *)", "timezone": None},
        "tags": {"Team": "platform", "Env": "prod"},
    }
    assert "description" in nightly.fields and nightly.fields["description"] is None
    assert "region" not in nightly.fields


def test_fields_are_frozen():
    nightly = collect(HAPPY).pipelines[0]
    with pytest.raises(TypeError):
        nightly.fields["status"] = "DISABLED"  # type: ignore[index]
    with pytest.raises(TypeError):
        nightly.field_locations["status"] = Location(FILE, 1)  # type: ignore[index]


def test_region_comes_from_the_entry_then_the_arn_then_the_file():
    nightly, weekly, by_arn = collect(HAPPY).pipelines
    assert nightly.region == "eu-west-1"  # the file's
    assert weekly.region == "eu-central-1"  # its own
    assert by_arn.region == "us-west-2"  # its ARN's, not the file's default
    assert (nightly.arn, weekly.arn) == (None, None)
    assert by_arn.arn == "arn:aws:imagebuilder:us-west-2:111122223333:image-pipeline/pinned-by-arn"


def test_no_region_anywhere_is_none():
    pipeline = only(collect("driftcheck: pipelines/v1\npipelines:\n  - name: a\n"))
    assert pipeline.region is None
    assert pipeline.arn is None


def test_a_region_that_contradicts_the_arn_is_an_error():
    text = """
        driftcheck: pipelines/v1
        pipelines:
          - name: a
            arn: arn:aws:imagebuilder:us-west-2:111122223333:image-pipeline/a
            region: eu-west-1
    """
    result = collect(text)
    assert errors(result) == [(line_of(text, "region:"), "pipelines[0].region: 'eu-west-1' is not the region of arn (us-west-2)")]
    assert result.pipelines[0].error is not None


# ------------------------------------------------------------------------------------------------ locations


def test_field_locations_use_the_diff_path_syntax_and_key_lines():
    nightly, weekly, _ = collect(HAPPY).pipelines
    at = lambda needle: Location(FILE, line_of(HAPPY, needle))  # noqa: E731
    assert nightly.field_locations["name"] == at("name: nightly-base")
    assert nightly.field_locations["description"] == at("description: null")
    assert nightly.field_locations["schedule"] == at("schedule:")
    assert nightly.field_locations["schedule.scheduleExpression"] == at("scheduleExpression:")
    assert nightly.field_locations["schedule.timezone"] == at("timezone: null")
    assert nightly.field_locations["tags"] == nightly.field_locations["tags.Team"] == nightly.field_locations["tags.Env"] == at("tags:")
    assert set(nightly.field_locations) == {
        "name", "status", "description", "schedule", "schedule.scheduleExpression", "schedule.timezone",
        "tags", "tags.Team", "tags.Env",
    }
    second = line_of(HAPPY, "test-image")
    assert weekly.field_locations["workflows"] == at("workflows:")
    assert weekly.field_locations["workflows[0]"] == at("build-image")
    assert weekly.field_locations["workflows[0].workflowArn"] == at("build-image")
    assert weekly.field_locations["workflows[1]"] == Location(FILE, second)
    assert weekly.field_locations["workflows[1].onFailure"] == at("onFailure")
    assert weekly.field_locations["workflows[1].parameters"] == at("parameters:")
    assert weekly.field_locations["workflows[1].parameters[name=waitForActionAtEnd]"] == at("name: waitForActionAtEnd")
    assert weekly.field_locations["workflows[1].parameters[name=waitForActionAtEnd].value"] == at('value: ["true"]')
    retries_value = line_of(HAPPY, "name: retries") + 1
    assert weekly.field_locations["workflows[1].parameters[name=retries].value"] == Location(FILE, retries_value)
    assert "workflows[1].parameters[0]" not in weekly.field_locations  # a keyed set: members are named by key
    assert weekly.field_locations["imageScanningConfiguration.ecrConfiguration.containerTags"] == at("containerTags")
    assert "imageScanningConfiguration.ecrConfiguration.containerTags[0]" not in weekly.field_locations


def test_the_diff_finds_each_difference_at_its_line():
    nightly, weekly, _ = collect(HAPPY).pipelines
    live = {**thaw(nightly.fields), "tags": {"Team": "platform", "Env": "dev"}, "schedule": {"scheduleExpression": "cron(0 4 * * ? *)"}}
    differences = compare(thaw(nightly.fields), live, nightly.field_locations, nightly.location)
    by_path = {d.path: d.source for d in differences}
    assert by_path["tags.Env"] == Location(FILE, line_of(HAPPY, "tags:"))
    assert by_path["schedule.scheduleExpression"] == Location(FILE, line_of(HAPPY, "scheduleExpression"))
    # a keyed-set member's value, as the diff names it after normalization
    where = locate("workflows[1].parameters[name=retries].value", weekly.field_locations, weekly.location)
    assert where == Location(FILE, line_of(HAPPY, "name: retries") + 1)
    assert locate("workflows[0].onFailure", weekly.field_locations, weekly.location) == Location(FILE, line_of(HAPPY, "build-image"))


# --------------------------------------------------------------------------------------------------- errors


def test_unknown_entry_field_names_the_valid_fields_and_a_suggestion():
    text = """
        driftcheck: pipelines/v1
        pipelines:
          - name: a
            schedul:
              scheduleExpression: cron(0 3 * * ? *)
    """
    result = collect(text)
    message = f"pipelines[0].schedul: unknown field; valid fields: {valid_entry_fields()} (did you mean schedule?)"
    assert errors(result) == [(line_of(text, "schedul:"), message)]
    assert message.startswith("pipelines[0].schedul: unknown field; valid fields: arn, consecutiveFailures, containerRecipeArn, ")


def test_unknown_nested_field_is_reported_at_its_key_with_the_structures_fields():
    text = """
        driftcheck: pipelines/v1
        pipelines:
          - name: a
            schedule:
              timezone: UTC
              scheduleExpresion: cron(0 3 * * ? *)
    """
    valid = ", ".join(sorted(pipeline_model().children["schedule"].children))
    assert errors(collect(text)) == [
        (line_of(text, "scheduleExpresion"), f"pipelines[0].schedule.scheduleExpresion: unknown field; valid fields: {valid} (did you mean scheduleExpression?)")
    ]


def test_unknown_field_without_a_close_match_has_no_suggestion():
    result = collect("driftcheck: pipelines/v1\npipelines:\n  - name: a\n    zzz: 1\n")
    assert errors(result) == [(4, f"pipelines[0].zzz: unknown field; valid fields: {valid_entry_fields()}")]


def test_unknown_top_level_field_rejects_the_file():
    text = """
        driftcheck: pipelines/v1
        regoin: eu-west-1
        pipelines:
          - name: a
    """
    result = collect(text)
    assert errors(result) == [(2, "regoin: unknown field; valid fields: driftcheck, pipelines, region (did you mean region?)")]
    assert result.pipelines == ()


def test_wrong_type_names_what_was_written():
    text = """
        driftcheck: pipelines/v1
        pipelines:
          - name: a
            imageTestsConfiguration:
              imageTestsEnabled: true
              timeoutMinutes: "720"
    """
    assert errors(collect(text)) == [
        (line_of(text, "timeoutMinutes"), "pipelines[0].imageTestsConfiguration.timeoutMinutes: expected integer, got string '720'")
    ]


def test_a_float_is_not_an_integer():
    result = collect("driftcheck: pipelines/v1\npipelines:\n  - name: a\n    imageTestsConfiguration: {timeoutMinutes: 720.0}\n")
    assert errors(result) == [(4, "pipelines[0].imageTestsConfiguration.timeoutMinutes: expected integer, got number 720.0")]


@pytest.mark.parametrize(
    ("written", "got"),
    [
        ("2024-01-02", "date 2024-01-02"),
        ("2024-01-02T03:04:05Z", "timestamp 2024-01-02T03:04:05Z"),
        ("yes", "boolean yes"),
        ("0123", "integer 0123"),
        ("1.5", "number 1.5"),
    ],
)
def test_yaml_values_that_are_not_strings_where_a_string_is_expected(written, got):
    result = collect(f"driftcheck: pipelines/v1\npipelines:\n  - name: a\n    description: {written}\n")
    assert errors(result) == [(4, f"pipelines[0].description: expected string, got {got} (quote it to make it a string)")]


def test_a_quoted_date_is_a_string():
    pipeline = only(collect("driftcheck: pipelines/v1\npipelines:\n  - name: a\n    description: '2024-01-02'\n"))
    assert pipeline.fields["description"] == "2024-01-02"


def test_an_unquoted_date_in_an_output_only_field_is_accepted_because_it_is_never_compared():
    result = collect("driftcheck: pipelines/v1\npipelines:\n  - name: a\n    dateCreated: 2024-01-02T03:04:05Z\n")
    assert errors(result) == []
    assert "dateCreated" not in result.pipelines[0].fields
    assert any("dateCreated" in note for note in result.pipelines[0].notes)
    # where a date IS compared, the strict rule stands
    compared = collect("driftcheck: pipelines/v1\npipelines:\n  - name: a\n    description: 2024-01-02\n")
    assert errors(compared) == [(4, "pipelines[0].description: expected string, got date 2024-01-02 (quote it to make it a string)")]


def test_structure_where_a_scalar_is_expected_and_the_reverse():
    text = """
        driftcheck: pipelines/v1
        pipelines:
          - name: a
            status: [ENABLED]
            schedule: cron(0 3 * * ? *)
    """
    assert errors(collect(text)) == [
        (line_of(text, "status"), "pipelines[0].status: expected string, got list"),
        (line_of(text, "schedule"), "pipelines[0].schedule: expected mapping, got string 'cron(0 3 * * ? *)'"),
    ]


def test_bad_enum_lists_the_valid_values():
    text = """
        driftcheck: pipelines/v1
        pipelines:
          - name: a
            status: ENABLED
          - name: b
            status: PAUSED
    """
    result = collect(text)
    assert errors(result) == [(line_of(text, "PAUSED"), "pipelines[1].status: 'PAUSED' is not one of DISABLED, ENABLED")]


def test_below_the_minimum_and_above_the_maximum():
    text = """
        driftcheck: pipelines/v1
        pipelines:
          - name: a
            imageTestsConfiguration:
              timeoutMinutes: 30
          - name: b
            imageTestsConfiguration:
              timeoutMinutes: 2000
    """
    assert errors(collect(text)) == [
        (line_of(text, "30"), "pipelines[0].imageTestsConfiguration.timeoutMinutes: 30 is less than the minimum 60"),
        (line_of(text, "2000"), "pipelines[1].imageTestsConfiguration.timeoutMinutes: 2000 is more than the maximum 1440"),
    ]


def test_string_and_list_lengths():
    text = """
        driftcheck: pipelines/v1
        pipelines:
          - name: a
            description: ""
            imageScanningConfiguration:
              imageScanningTypes: [TEST_INSTANCE_CVE, ON_DEMAND_AMI_CVE]
    """
    assert errors(collect(text)) == [
        (line_of(text, "description"), "pipelines[0].description: '' is shorter than the minimum length 1"),
        (line_of(text, "imageScanningTypes"), "pipelines[0].imageScanningConfiguration.imageScanningTypes: expected at most 1 item, got 2"),
    ]


def test_a_long_string_is_cut_in_the_message():
    result = collect(f"driftcheck: pipelines/v1\npipelines:\n  - name: a\n    description: {'x' * 1100}\n")
    ((line, message),) = errors(result)
    assert line == 4
    assert message == f"pipelines[0].description: '{'x' * 57}...' is longer than the maximum length 1024 (1100 characters)"


def test_a_bad_tag_key_is_reported_at_its_line():
    text = f"""
        driftcheck: pipelines/v1
        pipelines:
          - name: a
            tags:
              Team: platform
              {'k' * 129}: v
    """
    assert errors(collect(text)) == [
        (line_of(text, "kkkk"), f"pipelines[0].tags: key '{'k' * 57}...' is longer than the maximum length 128 (129 characters)")
    ]


def test_tags_may_be_empty_and_may_use_the_aws_prefix():
    result = collect("driftcheck: pipelines/v1\npipelines:\n  - name: a\n    tags: {}\n  - name: b\n    tags: {'aws:x': y}\n")
    assert result.errors == ()
    assert [thaw(p.fields)["tags"] for p in result.pipelines] == [{}, {"aws:x": "y"}]


def test_missing_name_is_reported_at_the_entry_and_gives_no_pipeline():
    text = """
        driftcheck: pipelines/v1
        pipelines:
          - name: a
          - status: ENABLED
            description: no name here
    """
    result = collect(text)
    assert errors(result) == [(line_of(text, "status: ENABLED"), "pipelines[1]: missing required field name")]
    assert [p.name for p in result.pipelines] == ["a"]


def test_missing_required_member_of_a_nested_structure():
    text = """
        driftcheck: pipelines/v1
        pipelines:
          - name: a
            workflows:
              - onFailure: ABORT
    """
    assert errors(collect(text)) == [(line_of(text, "onFailure"), "pipelines[0].workflows[0]: missing required field workflowArn")]


def test_a_name_that_is_not_a_string_gives_no_pipeline():
    result = collect("driftcheck: pipelines/v1\npipelines:\n  - name: 123\n")
    assert errors(result) == [(3, "pipelines[0].name: expected string, got integer 123 (quote it to make it a string)")]
    assert result.pipelines == ()


def test_an_entry_that_is_not_a_mapping():
    result = collect("driftcheck: pipelines/v1\npipelines:\n  - just-a-name\n  - name: b\n")
    assert errors(result) == [(3, "pipelines[0]: expected mapping, got string 'just-a-name'")]
    assert [p.name for p in result.pipelines] == ["b"]


def test_an_invalid_entry_does_not_hide_the_valid_ones():
    text = """
        driftcheck: pipelines/v1
        pipelines:
          - name: first
            status: ENABLED
          - name: broken
            status: PAUSED
            imageTestsConfiguration: {timeoutMinutes: 5}
          - name: last
            status: DISABLED
    """
    result = collect(text)
    first, broken, last = result.pipelines
    assert (first.name, first.error, thaw(first.fields)) == ("first", None, {"name": "first", "status": "ENABLED"})
    assert (last.name, last.error, thaw(last.fields)) == ("last", None, {"name": "last", "status": "DISABLED"})
    status_line = line_of(text, "PAUSED")
    assert broken.error == f"invalid entry: pipelines[1].status: 'PAUSED' is not one of DISABLED, ENABLED ({FILE}:{status_line})"
    assert broken.name == broken.id == "broken"
    assert broken.location == Location(FILE, line_of(text, "name: broken"))
    assert broken.fields == {} and broken.field_locations == {}
    assert [e.location.line for e in result.errors] == [status_line, line_of(text, "timeoutMinutes")]
    assert all(isinstance(e, InputError) and e.location.file == FILE for e in result.errors)


def test_duplicate_workflow_parameter_names():
    text = """
        driftcheck: pipelines/v1
        pipelines:
          - name: a
            workflows:
              - workflowArn: arn:aws:imagebuilder:us-east-1:aws:workflow/test/test-image/x.x.x
                parameters:
                  - name: retries
                    value: ["1"]
                  - name: retries
                    value: ["2"]
    """
    first = line_of(text, "name: retries")
    assert errors(collect(text)) == [
        (first + 2, f"pipelines[0].workflows[0].parameters[1].name: duplicate name 'retries' (first at line {first})")
    ]


def test_an_unknown_yaml_tag_is_an_error():
    result = collect("driftcheck: pipelines/v1\npipelines:\n  - name: a\n    description: !vault secret\n")
    assert errors(result) == [(4, "pipelines[0].description: unsupported YAML tag !vault")]
    assert result.pipelines[0].error is not None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("driftcheck: pipelines/v1\npipelines:\n  name: a\n", [(2, "pipelines: expected list, got mapping")]),
        ("driftcheck: pipelines/v1\npipelines: []\n", [(2, "pipelines: expected at least 1 item, got 0")]),
        ("driftcheck: pipelines/v1\nregion: eu-west-1\n", [(1, "top level: missing required field pipelines")]),
        ("driftcheck: pipelines/v2\npipelines:\n  - name: a\n", [(1, "driftcheck: 'pipelines/v2' is not supported; expected pipelines/v1")]),
        ("- driftcheck: pipelines/v1\n", [(1, "top level: expected mapping, got list")]),
        ("driftcheck: pipelines/v1\nregion: 12\npipelines:\n  - name: a\n", [(2, "region: expected string, got integer 12 (quote it to make it a string)")]),
    ],
    ids=["not-a-list", "empty-list", "no-pipelines", "wrong-marker", "root-not-a-mapping", "bad-file-region"],
)
def test_a_wrong_top_level_gives_errors_and_no_pipelines(text, expected):
    result = collect(text)
    assert errors(result) == expected
    assert result.pipelines == ()


def test_errors_of_several_documents_carry_their_own_file():
    source = PipelineFileSource()
    result = source.collect(
        [
            load_text("driftcheck: pipelines/v1\npipelines:\n  - name: a\n", "one.yaml"),
            load_text("driftcheck: pipelines/v1\npipelines:\n  - name: b\n    status: 1\n", "two.yaml"),
        ]
    )
    assert [p.name for p in result.pipelines] == ["a", "b"]
    assert result.pipelines[0].location == Location("one.yaml", 3)
    assert result.errors == (InputError(Location("two.yaml", 4), "pipelines[0].status: expected string, got integer 1 (quote it to make it a string)"),)


def test_a_json_file_works_too():
    text = '{\n  "driftcheck": "pipelines/v1",\n  "pipelines": [\n    {\n      "name": "a",\n      "status": "ON"\n    }\n  ]\n}\n'
    result = PipelineFileSource().collect([load_text(text, "pins.json")])
    assert errors(result) == [(6, "pipelines[0].status: 'ON' is not one of DISABLED, ENABLED")]


def test_is_pipeline_file():
    assert MARKER == "driftcheck"
    assert is_pipeline_file(load_text("driftcheck: anything\n", FILE).root)
    assert not is_pipeline_file(load_text("AWSTemplateFormatVersion: '2010-09-09'\n", FILE).root)
    assert not is_pipeline_file(load_text("- driftcheck\n", FILE).root)
    assert not is_pipeline_file(load_text("driftcheck\n", FILE).root)


# ---------------------------------------------------------------------------------------------------- schema


def validator() -> jsonschema.Draft202012Validator:
    schema = pipeline_file_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_the_schema_accepts_good_files():
    check = validator()
    assert check.is_valid(load_text(textwrap.dedent(HAPPY), FILE).root.plain())
    for response in (OLD_EDITION, NEW_EDITION):
        assert check.is_valid({"driftcheck": "pipelines/v1", "pipelines": [response]})


@pytest.mark.parametrize(
    "document",
    [
        {"driftcheck": "pipelines/v1", "pipelines": [{"name": "a", "schedul": {}}]},
        {"driftcheck": "pipelines/v1", "pipelines": [{"name": "a", "schedule": {"scheduleExpresion": "x"}}]},
        {"driftcheck": "pipelines/v1", "pipelines": [{"name": "a", "status": "PAUSED"}]},
        {"driftcheck": "pipelines/v1", "pipelines": [{"name": "a", "imageTestsConfiguration": {"timeoutMinutes": "720"}}]},
        {"driftcheck": "pipelines/v1", "pipelines": [{"name": "a", "imageTestsConfiguration": {"timeoutMinutes": 30}}]},
        {"driftcheck": "pipelines/v1", "pipelines": [{"status": "ENABLED"}]},
        {"driftcheck": "pipelines/v1", "pipelines": [{"name": None}]},
        {"driftcheck": "pipelines/v1", "pipelines": [{"name": "a", "workflows": [{"onFailure": "ABORT"}]}]},
        {"driftcheck": "pipelines/v1", "pipelines": {"name": "a"}},
        {"driftcheck": "pipelines/v1", "pipelines": []},
        {"driftcheck": "pipelines/v2", "pipelines": [{"name": "a"}]},
        {"driftcheck": "pipelines/v1", "regoin": "x", "pipelines": [{"name": "a"}]},
        {"pipelines": [{"name": "a"}]},
        [{"driftcheck": "pipelines/v1"}],
    ],
)
def test_the_schema_rejects_bad_files(document):
    assert not validator().is_valid(document)


def test_the_schema_is_generated_from_the_model():
    schema = pipeline_file_schema()
    entry = schema["properties"]["pipelines"]["items"]
    model = pipeline_model()
    assert set(entry["properties"]) == set(model.children) | {"region"}
    assert entry["required"] == ["name"]
    assert entry["additionalProperties"] is False
    status = entry["properties"]["status"]
    assert [v for v in status["enum"] if v is not None] == list(model.children["status"].enum)
    assert status["type"] == ["string", "null"] and None in status["enum"]  # null: managed, expected unset
    timeout = entry["properties"]["imageTestsConfiguration"]["properties"]["timeoutMinutes"]
    timeout_spec = model.children["imageTestsConfiguration"].children["timeoutMinutes"]
    assert (timeout["minimum"], timeout["maximum"]) == (timeout_spec.minimum, timeout_spec.maximum)
    assert timeout["type"] == ["integer", "null"]
    description = entry["properties"]["description"]
    assert (description["minLength"], description["maxLength"]) == (model.children["description"].minimum, model.children["description"].maximum)
    for name, spec in model.children.items():
        assert entry["properties"][name].get("readOnly", False) is spec.overlay.output_only, name
    assert entry["properties"]["schedule"]["additionalProperties"] is False
    assert set(entry["properties"]["schedule"]["properties"]) == set(model.children["schedule"].children)
    assert entry["properties"]["tags"]["additionalProperties"]["type"] == "string"
    assert "minProperties" not in entry["properties"]["tags"]  # tags: {} is what the service returns for none
    workflow = entry["properties"]["workflows"]["items"]
    assert workflow["required"] == ["workflowArn"]
    assert workflow["properties"]["parameters"]["items"]["required"] == ["name", "value"]
    assert workflow["properties"]["parameters"]["items"]["properties"]["value"]["items"]["type"] == "string"
    assert entry["properties"]["name"]["type"] == "string"
    assert entry["properties"]["schedule"]["description"] == "The schedule of the image pipeline."
    assert schema["x-botocore-version"] == botocore.__version__
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["required"] == ["driftcheck", "pipelines"]
    assert schema["properties"]["driftcheck"]["const"] == "pipelines/v1"
    assert schema["properties"]["pipelines"]["minItems"] == 1
    assert schema["additionalProperties"] is False


def test_a_new_model_field_is_in_the_schema(monkeypatch):
    """A field a newer botocore ships is accepted at once: the schema follows the model."""
    import dataclasses

    import driftcheck.pipeline_schema as generator

    model = pipeline_model()
    shiny = dataclasses.replace(model.children["executionRole"], name="shinyNewField", path="shinyNewField")
    monkeypatch.setattr(generator, "pipeline_model", lambda: dataclasses.replace(model, children={**model.children, "shinyNewField": shiny}))
    assert "shinyNewField" in generator.entry_schema()["properties"]


def test_the_schema_output_is_deterministic():
    assert render(pipeline_file_schema()) == render(pipeline_file_schema())
    assert render(pipeline_file_schema()).endswith("}\n")


def test_the_committed_schema_is_the_generated_one():
    committed = json.loads(COMMITTED_SCHEMA.read_text())
    if committed.get("x-botocore-version") != botocore.__version__:
        pytest.skip(f"committed schema is from botocore {committed.get('x-botocore-version')}, installed is {botocore.__version__}")
    assert COMMITTED_SCHEMA.read_text() == render(pipeline_file_schema())


def test_the_module_prints_the_schema():
    printed = subprocess.run(
        [sys.executable, "-m", "driftcheck.pipeline_schema"], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    assert printed == render(pipeline_file_schema())
    assert json.loads(printed) == pipeline_file_schema()
