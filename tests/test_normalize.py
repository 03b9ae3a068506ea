"""Normalization rules: each rule accepts its equivalence AND still lets a real difference through.

Every case goes through ``normalize()`` and then ``compare()``, because that is where a rule matters:
a broken rule either invents drift (the "equal" cases fail) or hides it (the "drift" cases fail).
Facts behind the cases: ../shared/reference/schema-mapping.md §1, §4–§7.
"""

from __future__ import annotations

import copy
import json
import sys

import botocore.session
import pytest

from driftcheck.diff import compare
from driftcheck.frozen import freeze, thaw
from driftcheck.model import Unresolved, UnresolvedField
from driftcheck.normalize import DEFAULT_SCAN_REPOSITORY, PAIR_RULES, SIDE_RULES, normalize, split_unresolved

ACCOUNT = "111122223333"
RECIPE = f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:image-recipe/app-api"
CONTAINER_RECIPE = f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:container-recipe/app-ctr"
WORKFLOW = "arn:aws:imagebuilder:us-east-1:aws:workflow/build/build-image"
OWN_WORKFLOW = f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:workflow/test/smoke"
CRON = "cron(0 4 * * ? *)"
DEFAULT_CONDITION = "EXPRESSION_MATCH_AND_DEPENDENCY_UPDATES_AVAILABLE"


def drift(declared, live, source_kind="yaml") -> dict:
    """path -> (declared, live) of every difference after normalize() + compare()."""
    normalized = normalize(declared, live, source_kind)
    return {d.path: (thaw(d.declared), thaw(d.live)) for d in compare(normalized.declared, normalized.live, {}, None)}


def paths(declared, live, source_kind="yaml") -> set[str]:
    return set(drift(declared, live, source_kind))


def _rule_names() -> list[str]:
    return [rule.name for rule in SIDE_RULES] + [rule.name for rule in PAIR_RULES]


# --------------------------------------------------------------------------- the rule table itself


def test_every_rule_has_a_unique_name_and_a_one_line_reason():
    names = _rule_names()
    assert len(names) == len(set(names)), names
    for rule in (*SIDE_RULES, *PAIR_RULES):
        assert rule.name.isidentifier(), rule.name
        assert rule.reason.strip(), f"{rule.name} has no reason"
        assert "\n" not in rule.reason.strip(), f"{rule.name}: the reason must be one line"
        assert callable(rule.apply)


def test_every_rule_has_its_own_test_in_this_module():
    tests = [name for name in dir(sys.modules[__name__]) if name.startswith("test_rule_")]
    missing = [name for name in _rule_names() if not any(t == f"test_rule_{name}" or t.startswith(f"test_rule_{name}_") for t in tests)]
    assert not missing, f"rules without a test_rule_<name> test: {missing}"


# --------------------------------------------------------------------------- side rules

OUTPUT_ONLY = {
    "arn": f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:image-pipeline/p",
    "platform": "Linux",
    "dateCreated": "2025-01-01T00:00:00.000Z",
    "dateUpdated": "2025-01-02T00:00:00.000Z",
    "dateLastRun": "2025-01-03T00:00:00.000Z",
    "lastRunStatus": "FAILED",
    "dateNextRun": "2025-01-04T00:00:00.000Z",
    "consecutiveFailures": 2,
}


@pytest.mark.parametrize("field", sorted(OUTPUT_ONLY))
def test_rule_drop_output_only(field):
    other = {"consecutiveFailures": 7, "lastRunStatus": "AVAILABLE", "platform": "Windows"}.get(field, "something else")
    # declared (e.g. copied from a describe) and live disagree on the output-only field: never drift
    assert paths({"name": "p", field: OUTPUT_ONLY[field]}, {"name": "p", field: other}) == set()
    # ... but a settable field next to it still is
    assert paths({"name": "p", field: OUTPUT_ONLY[field]}, {"name": "q", field: other}) == {"name"}
    normalized = normalize({field: OUTPUT_ONLY[field]}, {"name": "p", **OUTPUT_ONLY}, "yaml")
    assert field not in normalized.declared and field not in normalized.live
    assert normalized.live["name"] == "p"


@pytest.mark.parametrize(
    "declared, live, expected",
    [
        ({"tags": {"Team": "a"}}, {"tags": {"Team": "a", "aws:cloudformation:stack-name": "s"}}, set()),
        (
            {"tags": {"Team": "a"}},
            {"tags": {"Team": "a", "aws:cloudformation:stack-id": "x", "aws:cloudformation:logical-id": "P"}},
            set(),
        ),
        # only aws:* tags live, no tags declared: nothing left to differ
        ({"tags": {}}, {"tags": {"aws:cloudformation:stack-name": "s"}}, set()),
        ({"imageTags": {"BuildDate": "{{ imagebuilder:buildDate }}"}},
         {"imageTags": {"BuildDate": "{{ imagebuilder:buildDate }}", "aws:x": "y"}}, set()),
        # real differences survive
        ({"tags": {"Team": "a"}}, {"tags": {"Team": "b", "aws:cloudformation:stack-name": "s"}}, {"tags.Team"}),
        ({"tags": {"Team": "a"}}, {"tags": {"Team": "a", "awsome": "x"}}, {"tags.awsome"}),
        ({"tags": {"Team": "a"}}, {"tags": {"Team": "a", "AWS:upper": "x"}}, {"tags.AWS:upper"}),
        ({"imageTags": {"BuildDate": "x"}}, {"imageTags": {"BuildDate": "y", "aws:x": "y"}}, {"imageTags.BuildDate"}),
    ],
)
def test_rule_drop_aws_managed_tags(declared, live, expected):
    assert paths(declared, live) == expected


@pytest.mark.parametrize(
    "declared, live, expected",
    [
        ({"description": ""}, {}, set()),
        ({"description": None}, {"description": ""}, set()),
        ({"description": ""}, {"description": None}, set()),
        ({"distributionConfigurationArn": ""}, {}, set()),
        ({"tags": {}}, {}, set()),
        ({"tags": None}, {"tags": {}}, set()),
        ({"tags": {}}, {"tags": {}}, set()),
        ({"workflows": []}, {}, set()),
        ({"workflows": None}, {"workflows": []}, set()),
        ({"workflows": [{"workflowArn": OWN_WORKFLOW + "/1.0.0/1", "parallelGroup": "", "onFailure": ""}]},
         {"workflows": [{"workflowArn": OWN_WORKFLOW + "/1.0.0/1"}]}, set()),
        ({"imageScanningConfiguration": {"ecrConfiguration": {"containerTags": []}}},
         {"imageScanningConfiguration": {"ecrConfiguration": {}}}, set()),
        ({"imageScanningConfiguration": {"ecrConfiguration": {"containerTags": [], "repositoryName": ""}}}, {}, set()),
        ({"loggingConfiguration": {"imageLogGroupName": "", "pipelineLogGroupName": None}}, {}, set()),
        ({"imageTags": {}}, {"imageTags": {"aws:x": "y"}}, set()),
        # real differences survive
        ({"description": ""}, {"description": "hotfix"}, {"description"}),
        ({"tags": {}}, {"tags": {"Team": "a"}}, {"tags"}),
        ({"workflows": []}, {"workflows": [{"workflowArn": OWN_WORKFLOW + "/1.0.0/1"}]}, {"workflows"}),
        ({"workflows": [{"workflowArn": OWN_WORKFLOW + "/1.0.0/1", "onFailure": ""}]},
         {"workflows": [{"workflowArn": OWN_WORKFLOW + "/1.0.0/1", "onFailure": "ABORT"}]}, {"workflows[0].onFailure"}),
    ],
)
def test_rule_empty_means_unset(declared, live, expected):
    assert paths(declared, live) == expected


TESTS_DEFAULT = {"imageTestsEnabled": True, "timeoutMinutes": 720}


@pytest.mark.parametrize(
    "declared, live, expected",
    [
        # status
        ({"status": "ENABLED"}, {}, set()),
        ({"status": None}, {"status": "ENABLED"}, set()),
        ({"status": "ENABLED"}, {"status": "DISABLED"}, {"status"}),
        ({"status": None}, {"status": "DISABLED"}, {"status"}),
        # enhancedImageMetadataEnabled
        ({"enhancedImageMetadataEnabled": True}, {}, set()),
        ({"enhancedImageMetadataEnabled": None}, {"enhancedImageMetadataEnabled": True}, set()),
        ({"enhancedImageMetadataEnabled": False}, {}, {"enhancedImageMetadataEnabled"}),
        ({"enhancedImageMetadataEnabled": None}, {"enhancedImageMetadataEnabled": False}, {"enhancedImageMetadataEnabled"}),
        # imageTestsConfiguration: {true, 720}, whole and partial
        ({"imageTestsConfiguration": dict(TESTS_DEFAULT)}, {}, set()),
        ({"imageTestsConfiguration": None}, {"imageTestsConfiguration": dict(TESTS_DEFAULT)}, set()),
        ({"imageTestsConfiguration": None}, {}, set()),
        ({"imageTestsConfiguration": dict(TESTS_DEFAULT)}, {"imageTestsConfiguration": {"imageTestsEnabled": True}}, set()),
        ({"imageTestsConfiguration": dict(TESTS_DEFAULT)}, {"imageTestsConfiguration": {"timeoutMinutes": 720}}, set()),
        ({"imageTestsConfiguration": {"imageTestsEnabled": None, "timeoutMinutes": None}},
         {"imageTestsConfiguration": dict(TESTS_DEFAULT)}, set()),
        ({"imageTestsConfiguration": {"timeoutMinutes": 720}}, {"imageTestsConfiguration": {"imageTestsEnabled": False}}, set()),
        ({"imageTestsConfiguration": dict(TESTS_DEFAULT)}, {"imageTestsConfiguration": {"imageTestsEnabled": False}},
         {"imageTestsConfiguration.imageTestsEnabled"}),
        ({"imageTestsConfiguration": dict(TESTS_DEFAULT)}, {"imageTestsConfiguration": {"imageTestsEnabled": True, "timeoutMinutes": 90}},
         {"imageTestsConfiguration.timeoutMinutes"}),
        ({"imageTestsConfiguration": {"timeoutMinutes": 90}}, {}, {"imageTestsConfiguration.timeoutMinutes"}),
        ({"imageTestsConfiguration": None}, {"imageTestsConfiguration": {"imageTestsEnabled": False, "timeoutMinutes": 720}},
         {"imageTestsConfiguration.imageTestsEnabled"}),
        # schedule.pipelineExecutionStartCondition
        ({"schedule": {"scheduleExpression": CRON, "pipelineExecutionStartCondition": DEFAULT_CONDITION}},
         {"schedule": {"scheduleExpression": CRON}}, set()),
        ({"schedule": {"scheduleExpression": CRON, "pipelineExecutionStartCondition": None}},
         {"schedule": {"scheduleExpression": CRON, "pipelineExecutionStartCondition": DEFAULT_CONDITION}}, set()),
        ({"schedule": {"scheduleExpression": CRON, "pipelineExecutionStartCondition": "EXPRESSION_MATCH_ONLY"}},
         {"schedule": {"scheduleExpression": CRON}}, {"schedule.pipelineExecutionStartCondition"}),
        ({"schedule": {"scheduleExpression": CRON, "pipelineExecutionStartCondition": None}},
         {"schedule": {"scheduleExpression": CRON, "pipelineExecutionStartCondition": "EXPRESSION_MATCH_ONLY"}},
         {"schedule.pipelineExecutionStartCondition"}),
        # imageScanningConfiguration.imageScanningEnabled defaults to false
        ({"imageScanningConfiguration": {"imageScanningEnabled": False}},
         {"imageScanningConfiguration": {"ecrConfiguration": {"containerTags": ["a"]}}}, set()),
        ({"imageScanningConfiguration": {"imageScanningEnabled": True}},
         {"imageScanningConfiguration": {"ecrConfiguration": {"containerTags": ["a"]}}},
         {"imageScanningConfiguration.imageScanningEnabled"}),
        # a schedule is not defaulted: declaring none still finds one live
        ({"schedule": None}, {"schedule": {"scheduleExpression": CRON}}, {"schedule"}),
    ],
)
def test_rule_service_defaults(declared, live, expected):
    assert paths(declared, live) == expected


def test_rule_service_defaults_leave_absent_declared_keys_unmanaged():
    normalized = normalize({"name": "p"}, {"name": "p", "status": "DISABLED"}, "yaml")
    assert "status" not in normalized.declared and "imageTestsConfiguration" not in normalized.declared
    assert normalized.live["imageTestsConfiguration"] == TESTS_DEFAULT  # live: the service applies it
    assert paths({"name": "p"}, {"name": "p", "status": "DISABLED", "enhancedImageMetadataEnabled": False}) == set()


def _schedule(timezone=..., expression=CRON):
    schedule = {"scheduleExpression": expression}
    if timezone is not ...:
        schedule["timezone"] = timezone
    return {"schedule": schedule}


@pytest.mark.parametrize(
    "declared_tz, live_tz, drifted",
    [
        ("UTC", ..., False),
        ("Etc/UTC", ..., False),
        (None, ..., False),
        ("UTC", "UTC", False),
        ("UTC", "Etc/UTC", False),
        ("Etc/UTC", "UTC", False),
        (None, "Etc/UTC", False),
        ("", "Etc/UTC", False),
        ("America/New_York", "America/New_York", False),
        ("UTC", "America/New_York", True),
        ("Etc/UTC", "America/New_York", True),
        (None, "America/New_York", True),
        ("America/New_York", ..., True),
        ("America/New_York", "UTC", True),
        ("Europe/London", "Etc/GMT", True),
    ],
)
def test_rule_utc_timezone_alias(declared_tz, live_tz, drifted):
    expected = {"schedule.timezone"} if drifted else set()
    assert paths(_schedule(declared_tz), _schedule(live_tz)) == expected


def test_rule_utc_timezone_alias_absent_declared_timezone_is_unmanaged():
    assert paths(_schedule(), _schedule("America/New_York")) == set()


@pytest.mark.parametrize(
    "declared, live, drifted",
    [
        ("  cron(0 4 * * ? *) ", "cron(0 4 * * ? *)", False),
        ("cron(0 4 * * ? *)", "\tcron(0 4 * * ? *)\n", False),
        ("cron(0 4 * * ? *)", "cron(0 5 * * ? *)", True),
        ("  cron(0 4 * * ? *)", "cron(0 5 * * ? *)", True),
        # the cron itself is never rewritten: inner whitespace and spelling matter
        ("cron(0 4 * * ? *)", "cron(0  4 * * ? *)", True),
        ("cron(0 4 * * ? *)", "cron(0 4 * * * *)", True),
    ],
)
def test_rule_trim_schedule_expression(declared, live, drifted):
    expected = {"schedule.scheduleExpression"} if drifted else set()
    assert paths(_schedule(expression=declared), _schedule(expression=live)) == expected


def _workflow(parameters, arn=OWN_WORKFLOW + "/1.0.0/1"):
    return {"workflows": [{"workflowArn": arn, "parameters": parameters}]}


@pytest.mark.parametrize(
    "declared_value, live_value, drifted",
    [
        ("v", ["v"], False),
        (["v"], ["v"], False),
        ("v", ["w"], True),
        (["v"], ["w"], True),
        ("v", ["v", "w"], True),  # for a non-Terraform source, every value counts
    ],
)
def test_rule_workflow_parameter_value_as_list(declared_value, live_value, drifted):
    declared = _workflow([{"name": "instanceType", "value": declared_value}])
    live = _workflow([{"name": "instanceType", "value": live_value}])
    expected = {"workflows[0].parameters[name=instanceType].value"} if drifted else set()
    assert paths(declared, live, "cloudformation") == expected


@pytest.mark.parametrize(
    "declared, live, expected",
    [
        ([{"name": "a", "value": ["1"]}, {"name": "b", "value": ["2"]}],
         [{"name": "b", "value": ["2"]}, {"name": "a", "value": ["1"]}], set()),
        ([{"name": "a", "value": "1"}, {"name": "b", "value": "2"}, {"name": "c", "value": "3"}],
         [{"name": "c", "value": ["3"]}, {"name": "a", "value": ["1"]}, {"name": "b", "value": ["2"]}], set()),
        ([{"name": "a", "value": ["1"]}, {"name": "b", "value": ["2"]}],
         [{"name": "b", "value": ["1"]}, {"name": "a", "value": ["2"]}],
         {"workflows[0].parameters[name=a].value", "workflows[0].parameters[name=b].value"}),
        ([{"name": "a", "value": ["1"]}], [{"name": "a", "value": ["1"]}, {"name": "extra", "value": ["x"]}],
         {"workflows[0].parameters[name=extra]"}),
        ([{"name": "a", "value": ["1"]}, {"name": "b", "value": ["2"]}], [{"name": "b", "value": ["2"]}],
         {"workflows[0].parameters[name=a]"}),
        ([{"name": "a", "value": ["1"]}], [{"name": "z", "value": ["1"]}],
         {"workflows[0].parameters[name=a]", "workflows[0].parameters[name=z]"}),
    ],
)
def test_rule_workflow_parameters_by_name(declared, live, expected):
    assert paths(_workflow(declared), _workflow(live)) == expected


def _container_tags(tags):
    return {"imageScanningConfiguration": {"imageScanningEnabled": True, "ecrConfiguration": {"containerTags": tags}}}


@pytest.mark.parametrize(
    "declared, live, drifted",
    [
        (["b", "a"], ["a", "b"], False),
        (["latest", "stable", "v1"], ["v1", "latest", "stable"], False),
        (["a", "a", "b"], ["b", "a"], False),
        (["a"], ["a", "b"], True),
        (["a", "b"], ["a"], True),
        (["b", "a"], ["a", "c"], True),
    ],
)
def test_rule_container_tags_as_set(declared, live, drifted):
    found = drift(_container_tags(declared), _container_tags(live))
    if not drifted:
        assert found == {}
    else:  # a set of scalars is one field: one difference, whole values
        path = "imageScanningConfiguration.ecrConfiguration.containerTags"
        assert list(found) == [path]
        assert sorted(found[path][0]) == sorted(set(declared)) and sorted(found[path][1]) == sorted(set(live))


@pytest.mark.parametrize(
    "declared, live, drifted",
    [
        ("ImageBuilderExecution", f"arn:aws:iam::{ACCOUNT}:role/ImageBuilderExecution", False),
        (f"arn:aws:iam::{ACCOUNT}:role/ImageBuilderExecution", "ImageBuilderExecution", False),
        ("ImageBuilderExecution", f"arn:aws:iam::{ACCOUNT}:role/service-role/ImageBuilderExecution", False),
        ("ImageBuilderExecution", f"arn:aws:iam::{ACCOUNT}:role/team/a/b/ImageBuilderExecution", False),
        (f"arn:aws-us-gov:iam::{ACCOUNT}:role/x/ImageBuilderExecution", "ImageBuilderExecution", False),
        (f"arn:aws-cn:iam::{ACCOUNT}:role/ImageBuilderExecution", f"arn:aws:iam::{ACCOUNT}:role/ImageBuilderExecution", False),
        ("ImageBuilderExecution", f"arn:aws:iam::{ACCOUNT}:role/OtherRole", True),
        ("ImageBuilderExecution", f"arn:aws:iam::{ACCOUNT}:role/ImageBuilderExecution-old", True),
        (f"arn:aws:iam::{ACCOUNT}:role/service-role/A", f"arn:aws:iam::{ACCOUNT}:role/service-role/B", True),
        ("ImageBuilderExecution", None, True),  # absent live = the service-linked role
        (None, f"arn:aws:iam::{ACCOUNT}:role/ImageBuilderExecution", True),
    ],
)
def test_rule_execution_role_by_name(declared, live, drifted):
    expected = {"executionRole"} if drifted else set()
    assert paths({"executionRole": declared}, {"executionRole": live}) == expected


def _scan_repo(name=...):
    ecr = {"containerTags": ["latest"]}
    if name is not ...:
        ecr["repositoryName"] = name
    return {"imageScanningConfiguration": {"imageScanningEnabled": True, "ecrConfiguration": ecr}}


@pytest.mark.parametrize(
    "declared, live, drifted",
    [
        (None, DEFAULT_SCAN_REPOSITORY, False),
        ("", DEFAULT_SCAN_REPOSITORY, False),
        (DEFAULT_SCAN_REPOSITORY, ..., False),
        (DEFAULT_SCAN_REPOSITORY, None, False),
        (DEFAULT_SCAN_REPOSITORY, DEFAULT_SCAN_REPOSITORY, False),
        ("my-scans", DEFAULT_SCAN_REPOSITORY, True),
        (DEFAULT_SCAN_REPOSITORY, "my-scans", True),
        (None, "my-scans", True),
        ("image-builder-image-scanning-repository-2", DEFAULT_SCAN_REPOSITORY, True),
    ],
)
def test_rule_default_scan_repository(declared, live, drifted):
    expected = {"imageScanningConfiguration.ecrConfiguration.repositoryName"} if drifted else set()
    assert paths(_scan_repo(declared), _scan_repo(live)) == expected


def test_rule_default_scan_repository_against_an_unset_block():
    live = {"imageScanningConfiguration": {"ecrConfiguration": {"repositoryName": DEFAULT_SCAN_REPOSITORY}}}
    assert paths({"imageScanningConfiguration": {"ecrConfiguration": None}}, live) == set()
    assert paths({"imageScanningConfiguration": {"ecrConfiguration": {"repositoryName": "mine"}}}, live) == {
        "imageScanningConfiguration.ecrConfiguration.repositoryName"
    }


# --------------------------------------------------------------------------- pair rules


@pytest.mark.parametrize(
    "field, declared, live, drifted",
    [
        ("imageRecipeArn", f"{RECIPE}/1.x.x", f"{RECIPE}/1.4.2", False),
        ("imageRecipeArn", f"{RECIPE}/1.x.x", f"{RECIPE}/1.x.x", False),
        ("imageRecipeArn", f"{RECIPE}/1.x.x", f"{RECIPE}/1.0.0", False),
        ("imageRecipeArn", f"{RECIPE}/1.2.x", f"{RECIPE}/1.2.9", False),
        ("imageRecipeArn", f"{RECIPE}/x.x.x", f"{RECIPE}/3.0.1", False),
        ("imageRecipeArn", f"{RECIPE}/1.x.x", f"{RECIPE}/2.0.0", True),
        ("imageRecipeArn", f"{RECIPE}/1.2.x", f"{RECIPE}/1.3.0", True),
        ("imageRecipeArn", f"{RECIPE}/1.2.3", f"{RECIPE}/1.2.4", True),
        ("imageRecipeArn", f"{RECIPE}/1.x.x", f"{RECIPE}-other/1.4.2", True),
        ("imageRecipeArn", f"{RECIPE}/1.x.x", f"{RECIPE.replace('111122223333', '444455556666')}/1.4.2", True),
        # a live wildcard is the stored input: only the same wildcard matches
        ("imageRecipeArn", f"{RECIPE}/1.x.x", f"{RECIPE}/1.4.x", True),
        ("imageRecipeArn", f"{RECIPE}/x.x.x", f"{RECIPE}/1.x.x", True),
        ("imageRecipeArn", f"{RECIPE}/1.x.x", f"{RECIPE}/x.x.x", True),
        ("imageRecipeArn", f"{RECIPE}/1.4.2", f"{RECIPE}/1.x.x", True),
        ("containerRecipeArn", f"{CONTAINER_RECIPE}/x.x.x", f"{CONTAINER_RECIPE}/2.1.0", False),
        ("containerRecipeArn", f"{CONTAINER_RECIPE}/2.x.x", f"{CONTAINER_RECIPE}/3.1.0", True),
    ],
)
def test_rule_version_wildcards_recipes(field, declared, live, drifted):
    assert paths({field: declared}, {field: live}) == ({field} if drifted else set())


@pytest.mark.parametrize(
    "declared, live, drifted",
    [
        (f"{WORKFLOW}/x.x.x", f"{WORKFLOW}/1.0.2/1", False),
        (f"{WORKFLOW}/x.x.x", f"{WORKFLOW}/x.x.x", False),
        (f"{OWN_WORKFLOW}/1.x.x", f"{OWN_WORKFLOW}/1.4.2", False),
        (f"{OWN_WORKFLOW}/1.x.x", f"{OWN_WORKFLOW}/1.4.2/3", False),
        (f"{OWN_WORKFLOW}/1.0.0/1", f"{OWN_WORKFLOW}/1.0.0/1", False),
        (f"{OWN_WORKFLOW}/1.x.x", f"{OWN_WORKFLOW}/2.0.0", True),
        (f"{OWN_WORKFLOW}/1.x.x", f"{OWN_WORKFLOW}/2.0.0/1", True),
        (f"{OWN_WORKFLOW}/1.0.0/1", f"{OWN_WORKFLOW}/1.0.0/2", True),
        (f"{OWN_WORKFLOW}/1.0.0", f"{OWN_WORKFLOW}/1.0.0/2", True),
        (f"{WORKFLOW}/x.x.x", f"{OWN_WORKFLOW}/1.0.2/1", True),
    ],
)
def test_rule_version_wildcards_workflows(declared, live, drifted):
    first = {"workflowArn": f"{WORKFLOW.replace('build-image', 'test-image')}/x.x.x"}
    declared_value = {"workflows": [first, {"workflowArn": declared}]}
    live_value = {"workflows": [dict(first), {"workflowArn": live}]}
    assert paths(declared_value, live_value) == ({"workflows[1].workflowArn"} if drifted else set())


@pytest.mark.parametrize(
    "source_kind, declared_value, live_value, drifted",
    [
        ("terraform", "v", ["v", "extra"], False),
        ("terraform", "v", ["v"], False),
        ("terraform", ["v"], ["v", "w", "x"], False),
        ("terraform", "v", ["w", "v"], True),
        ("terraform", "v", ["w"], True),
        # only Terraform reads back value[0] alone
        ("cloudformation", ["v"], ["v", "extra"], True),
        ("yaml", "v", ["v", "extra"], True),
        ("cloudformation", ["v", "w"], ["v", "w"], False),
        ("cloudformation", ["v", "w"], ["w", "v"], True),  # a CFN value list is ordered
    ],
)
def test_rule_terraform_first_parameter_value(source_kind, declared_value, live_value, drifted):
    declared = _workflow([{"name": "p", "value": declared_value}])
    live = _workflow([{"name": "p", "value": live_value}])
    expected = {"workflows[0].parameters[name=p].value"} if drifted else set()
    assert paths(declared, live, source_kind) == expected


PIPELINE_LOGS = "/aws/imagebuilder/pipeline/prod-app-api"
IMAGE_LOGS = "/aws/imagebuilder/app-api"


@pytest.mark.parametrize(
    "declared, live_logging, drifted",
    [
        (None, {"pipelineLogGroupName": PIPELINE_LOGS}, False),
        (None, {"imageLogGroupName": IMAGE_LOGS, "pipelineLogGroupName": PIPELINE_LOGS}, False),
        (None, {"imageLogGroupName": IMAGE_LOGS}, False),
        (None, ..., False),
        # spelling out the default names means the same as leaving them out
        ({"pipelineLogGroupName": PIPELINE_LOGS}, ..., False),
        ({"pipelineLogGroupName": PIPELINE_LOGS}, {"pipelineLogGroupName": PIPELINE_LOGS}, False),
        ({"imageLogGroupName": IMAGE_LOGS, "pipelineLogGroupName": PIPELINE_LOGS}, {"pipelineLogGroupName": PIPELINE_LOGS}, False),
        ({"imageLogGroupName": "/custom/img"}, {"imageLogGroupName": "/custom/img", "pipelineLogGroupName": PIPELINE_LOGS}, False),
        # real differences
        (None, {"pipelineLogGroupName": "/custom/pipe"}, True),
        (None, {"pipelineLogGroupName": "/aws/imagebuilder/pipeline/another-pipeline"}, True),
        (None, {"imageLogGroupName": "/aws/imagebuilder/other-recipe"}, True),
        ({"imageLogGroupName": "/custom/img"}, {"imageLogGroupName": IMAGE_LOGS}, True),
        ({"imageLogGroupName": "/custom/img"}, ..., True),
    ],
)
def test_rule_default_log_groups(declared, live_logging, drifted):
    live = {"name": "prod-app-api", "imageRecipeArn": f"{RECIPE}/1.8.2"}
    if live_logging is not ...:
        live["loggingConfiguration"] = live_logging
    found = paths({"loggingConfiguration": declared}, live)
    assert bool(found) == drifted, found
    assert all(path.startswith("loggingConfiguration") for path in found)


def _disabled(failures=..., limit=..., status="DISABLED"):
    live = {"name": "p", "status": status, "schedule": {"scheduleExpression": CRON}}
    if failures is not ...:
        live["consecutiveFailures"] = failures
    if limit is not ...:
        live["schedule"]["autoDisablePolicy"] = {"failureCount": limit}
    return live


@pytest.mark.parametrize(
    "declared_status, live, drifted",
    [
        ("ENABLED", _disabled(3, 3), False),
        ("ENABLED", _disabled(5, 3), False),
        ("ENABLED", _disabled(1, 1), False),
        (None, _disabled(3, 3), False),  # unset = ENABLED by default
        ("ENABLED", _disabled(2, 3), True),
        ("ENABLED", _disabled(0, 3), True),
        ("ENABLED", _disabled(3), True),  # no auto-disable policy: a person disabled it
        ("ENABLED", _disabled(limit=3), True),  # old API edition: no consecutiveFailures
        ("ENABLED", _disabled(), True),
        ("DISABLED", _disabled(3, 3), False),
        ("DISABLED", _disabled(0, 3, status="ENABLED"), True),
    ],
)
def test_rule_service_auto_disabled(declared_status, live, drifted):
    normalized = normalize({"status": declared_status}, live, "terraform")
    found = compare(normalized.declared, normalized.live, {}, None)
    assert {d.path for d in found} == ({"status"} if drifted else set())
    explained = [note for note in normalized.notes if "auto-disabled" in note]
    if declared_status != "DISABLED" and not drifted:
        assert len(explained) == 1 and str(live["consecutiveFailures"]) in explained[0]
    else:
        assert explained == []


# --------------------------------------------------------------------------- normalize() as a whole


def _rich_declared():
    return {
        "name": "prod-app-api",
        "description": "",
        "imageRecipeArn": f"{RECIPE}/1.x.x",
        "imageTestsConfiguration": {"imageTestsEnabled": None, "timeoutMinutes": 720},
        "schedule": {"scheduleExpression": f" {CRON} ", "timezone": "Etc/UTC", "pipelineExecutionStartCondition": None},
        "status": None,
        "tags": {"Team": "platform"},
        "imageScanningConfiguration": {
            "imageScanningEnabled": True,
            "ecrConfiguration": {"repositoryName": "", "containerTags": ["b", "a", "a"]},
        },
        "executionRole": f"arn:aws:iam::{ACCOUNT}:role/service-role/Exec",
        "workflows": [
            {"workflowArn": f"{WORKFLOW}/x.x.x", "parameters": [{"name": "b", "value": "2"}, {"name": "a", "value": ["1"]}]},
            {"workflowArn": f"{OWN_WORKFLOW}/1.x.x", "parallelGroup": "", "onFailure": None},
        ],
        "loggingConfiguration": {"pipelineLogGroupName": PIPELINE_LOGS},
    }


def _rich_live():
    return {
        **OUTPUT_ONLY,
        "name": "prod-app-api",
        "imageRecipeArn": f"{RECIPE}/1.8.2",
        "infrastructureConfigurationArn": f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:infrastructure-configuration/infra",
        "schedule": {"scheduleExpression": CRON, "autoDisablePolicy": {"failureCount": 2}},
        "status": "DISABLED",
        "consecutiveFailures": 2,
        "tags": {"Team": "platform", "aws:cloudformation:stack-name": "s"},
        "imageScanningConfiguration": {
            "imageScanningEnabled": True,
            "ecrConfiguration": {"repositoryName": DEFAULT_SCAN_REPOSITORY, "containerTags": ["a", "b"]},
        },
        "executionRole": "Exec",
        "workflows": [
            {"workflowArn": f"{WORKFLOW}/1.0.2/1", "parameters": [{"name": "a", "value": ["1"]}, {"name": "b", "value": ["2", "3"]}]},
            {"workflowArn": f"{OWN_WORKFLOW}/1.2.0/4", "parallelGroup": ""},
        ],
        "loggingConfiguration": {"pipelineLogGroupName": PIPELINE_LOGS, "imageLogGroupName": IMAGE_LOGS},
    }


@pytest.mark.parametrize("source_kind", ["terraform", "cloudformation", "yaml"])
def test_normalize_never_mutates_its_inputs(source_kind):
    declared, live = _rich_declared(), _rich_live()
    declared_before, live_before = copy.deepcopy(declared), copy.deepcopy(live)
    result = normalize(declared, live, source_kind)
    assert declared == declared_before
    assert live == live_before
    # the result shares no mutable object with the inputs either
    result.declared["workflows"][0]["workflowArn"] = "changed"
    result.live["tags"]["Team"] = "changed"
    result.live["imageScanningConfiguration"]["ecrConfiguration"]["containerTags"].append("changed")
    assert declared == declared_before and live == live_before


def test_normalize_accepts_frozen_inputs_and_runs_every_rule():
    declared, live = freeze(_rich_declared()), freeze(_rich_live())
    found = drift(declared, live, "terraform")
    assert found == {}, found  # every equivalence above at once
    # the same pair through a non-Terraform source: the second parameter value is real drift
    assert set(drift(declared, live, "cloudformation")) == {"workflows[0].parameters[name=b].value"}


def test_split_unresolved_lifts_markers_out_and_lists_their_paths():
    declared = freeze(
        {
            "name": "p",
            "imageRecipeArn": Unresolved("!Ref ImageRecipe"),
            "workflows": [{"workflowArn": Unresolved("!GetAtt W.Arn")}, Unresolved("!If")],
        }
    )
    plain, found = split_unresolved(declared)
    assert plain == {"name": "p"}  # a list with an unresolved item is not compared at all
    assert found == (
        UnresolvedField("imageRecipeArn", "!Ref ImageRecipe"),
        UnresolvedField("workflows", "an item is unresolved, so the list is not compared ([1]: !If)"),
    )
    nested = freeze({"workflows": [{"workflowArn": Unresolved("!GetAtt W.Arn"), "onFailure": "ABORT"}]})
    assert split_unresolved(nested) == (
        {"workflows": [{"onFailure": "ABORT"}]},  # an unresolved member: only that member is left out
        (UnresolvedField("workflows[0].workflowArn", "!GetAtt W.Arn"),),
    )
    tags = freeze({"imageScanningConfiguration": {"ecrConfiguration": {"containerTags": ["latest", Unresolved("!Ref T")]}}})
    plain, found = split_unresolved(tags)
    assert plain == {"imageScanningConfiguration": {"ecrConfiguration": {}}}
    assert [f.path for f in found] == ["imageScanningConfiguration.ecrConfiguration.containerTags"]


# --------------------------------------------------------------------------- both API editions

# The older boto3 documentation edition of get_image_pipeline (shared/reference/seeds/000_*): no
# lastRunStatus, schedule.autoDisablePolicy, loggingConfiguration, consecutiveFailures or imageTags.
OLD_EDITION_LIVE = {
    "arn": f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:image-pipeline/prod-app-api",
    "name": "prod-app-api",
    "description": "Application image for the API",
    "platform": "Linux",
    "enhancedImageMetadataEnabled": True,
    "imageRecipeArn": f"{RECIPE}/1.8.2",
    "infrastructureConfigurationArn": f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:infrastructure-configuration/infra",
    "distributionConfigurationArn": f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:distribution-configuration/dist",
    "imageTestsConfiguration": {"imageTestsEnabled": True, "timeoutMinutes": 720},
    "schedule": {
        "scheduleExpression": CRON,
        "timezone": "Etc/UTC",
        "pipelineExecutionStartCondition": "EXPRESSION_MATCH_ONLY",
    },
    "status": "ENABLED",
    "dateCreated": "2024-03-01T10:00:00.000Z",
    "dateUpdated": "2024-03-02T10:00:00.000Z",
    "dateLastRun": "2024-03-03T04:00:00.000Z",
    "dateNextRun": "2024-03-04T04:00:00.000Z",
    "tags": {"Team": "platform", "ManagedBy": "terraform"},
    "imageScanningConfiguration": {
        "imageScanningEnabled": True,
        "ecrConfiguration": {"repositoryName": "app-scans", "containerTags": ["scan", "api"]},
    },
    "executionRole": f"arn:aws:iam::{ACCOUNT}:role/service-role/ImageBuilderExecution",
    "workflows": [
        {
            "workflowArn": f"{WORKFLOW}/1.0.3/2",
            "parameters": [{"name": "waitForActionAtEnd", "value": ["false"]}, {"name": "instanceType", "value": ["m5.large"]}],
            "onFailure": "ABORT",
        },
    ],
}

NEW_ONLY_FIELDS = ("lastRunStatus", "consecutiveFailures", "loggingConfiguration", "imageTags")

# The newest shape (botocore 1.44.5): the same pipeline, plus every field the old edition lacks.
NEW_EDITION_LIVE = {
    **copy.deepcopy(OLD_EDITION_LIVE),
    "schedule": {**OLD_EDITION_LIVE["schedule"], "autoDisablePolicy": {"failureCount": 3}},
    "lastRunStatus": "AVAILABLE",
    "consecutiveFailures": 0,
    "loggingConfiguration": {"imageLogGroupName": IMAGE_LOGS, "pipelineLogGroupName": PIPELINE_LOGS},
    "imageTags": {"BuildDate": "{{ imagebuilder:buildDate }}"},
    "imageScanningConfiguration": {
        **OLD_EDITION_LIVE["imageScanningConfiguration"],
        "imageScanningTypes": ["TEST_INSTANCE_CVE"],
        "scanResultCondition": {"maximumSeverityLabel": "HIGH", "fixAvailable": True},
    },
}

# What a Terraform configuration for that pipeline declares (provider >= 6.28, logging block omitted).
EDITIONS_DECLARED = {
    "name": "prod-app-api",
    "description": "Application image for the API",
    "enhancedImageMetadataEnabled": True,
    "imageRecipeArn": f"{RECIPE}/1.x.x",
    "infrastructureConfigurationArn": f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:infrastructure-configuration/infra",
    "distributionConfigurationArn": f"arn:aws:imagebuilder:us-east-1:{ACCOUNT}:distribution-configuration/dist",
    "imageTestsConfiguration": {"imageTestsEnabled": True, "timeoutMinutes": 720},
    "schedule": {"scheduleExpression": CRON, "timezone": "UTC", "pipelineExecutionStartCondition": "EXPRESSION_MATCH_ONLY"},
    "status": "ENABLED",
    "tags": {"Team": "platform", "ManagedBy": "terraform"},
    "imageScanningConfiguration": {
        "imageScanningEnabled": True,
        "ecrConfiguration": {"repositoryName": "app-scans", "containerTags": ["api", "scan"]},
    },
    "executionRole": "ImageBuilderExecution",
    "workflows": [
        {
            "workflowArn": f"{WORKFLOW}/x.x.x",
            "parameters": [{"name": "instanceType", "value": "m5.large"}, {"name": "waitForActionAtEnd", "value": "false"}],
            "parallelGroup": None,
            "onFailure": "ABORT",
        },
    ],
    "loggingConfiguration": None,
}


def _members(shape, prefix=""):
    """Every member path of a botocore shape, like driftcheck's schema paths."""
    found = set()
    if shape.type_name == "structure":
        for name, member in shape.members.items():
            path = f"{prefix}.{name}" if prefix else name
            found.add(path)
            found |= _members(member, path)
    elif shape.type_name == "list":
        found |= _members(shape.member, f"{prefix}[]")
    return found


def _paths_of(value, prefix=""):
    found = set()
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else key
            found.add(path)
            if not (prefix.endswith("tags") or key in ("tags", "imageTags")):
                found |= _paths_of(item, path)
    elif isinstance(value, list):
        for item in value:
            found |= _paths_of(item, f"{prefix}[]")
    return found


def test_edition_fixtures_have_the_shapes_they_claim():
    model = botocore.session.get_session().get_service_model("imagebuilder").shape_for("ImagePipeline")
    known = _members(model)
    assert _paths_of(NEW_EDITION_LIVE) <= known
    assert _paths_of(OLD_EDITION_LIVE) <= known
    for name in NEW_ONLY_FIELDS:
        assert name not in OLD_EDITION_LIVE and name in NEW_EDITION_LIVE
    assert "autoDisablePolicy" not in OLD_EDITION_LIVE["schedule"]
    assert "autoDisablePolicy" in NEW_EDITION_LIVE["schedule"]


@pytest.mark.parametrize("edition", ["old", "new"])
@pytest.mark.parametrize("source_kind", ["terraform", "cloudformation"])
def test_both_api_editions_match_the_same_declaration(edition, source_kind):
    live = copy.deepcopy(OLD_EDITION_LIVE if edition == "old" else NEW_EDITION_LIVE)
    declared = copy.deepcopy(EDITIONS_DECLARED)
    if source_kind == "cloudformation":  # CFN declares parameter values as lists
        for parameter in declared["workflows"][0]["parameters"]:
            parameter["value"] = [parameter["value"]]
    normalized = normalize(declared, live, source_kind)
    assert compare(normalized.declared, normalized.live, {}, None) == ()
    # the only notes: live values this tool cannot set (the newer edition carries some)
    assert all("cannot set it" in note for note in normalized.notes), normalized.notes
    assert bool(normalized.notes) == (edition == "new")

    # a real change is found the same way in both editions
    live["description"] = "hotfix"
    live["workflows"][0]["parameters"][1]["value"] = ["c5.large"]
    assert set(drift(declared, live, source_kind)) == {"description", "workflows[0].parameters[name=instanceType].value"}


def test_editions_report_json_serialisable_differences():
    for live in (OLD_EDITION_LIVE, NEW_EDITION_LIVE):
        changed = {**copy.deepcopy(live), "tags": {"Team": "other"}, "status": "DISABLED"}
        found = drift(EDITIONS_DECLARED, changed, "terraform")
        assert set(found) == {"status", "tags.ManagedBy", "tags.Team"}
        json.dumps(found)


@pytest.mark.parametrize(
    "partial, live_tags, drifted, noted",
    [
        ({}, {"Team": "a", "Owner": "x"}, {"tags.Owner"}, False),  # a closed map: an extra live key is drift
        ({"tags": "stack tags unknown"}, {"Team": "a", "Owner": "x"}, set(), True),  # partial: listed, not drift
        ({"tags": "stack tags unknown"}, {"Team": "b", "Owner": "x"}, {"tags.Team"}, True),  # declared keys still compared
        ({"tags": "stack tags unknown"}, {"Team": "a"}, set(), False),
    ],
)
def test_rule_undeclared_keys_of_partial_maps(partial, live_tags, drifted, noted):
    declared = {"tags": {"Team": "a"}}
    normalized = normalize(declared, {"tags": live_tags}, "cloudformation", partial)
    found = {d.path for d in compare(normalized.declared, normalized.live, {}, None)}
    assert found == drifted
    notes = [n for n in normalized.notes if n.startswith("tags:")]
    assert bool(notes) == noted
    if noted:
        assert "Owner" in notes[0] and "stack tags unknown" in notes[0]


@pytest.mark.parametrize(
    "source_kind, live, drifted",
    [
        # CloudFormation cannot set imageScanningTypes or schedule.timezone: a block holding only them is unset
        ("cloudformation", {"imageScanningConfiguration": {"imageScanningTypes": ["ON_DEMAND_AMI_CVE"]}}, set()),
        ("cloudformation", {"schedule": {"timezone": "Europe/Paris"}}, set()),
        ("cloudformation", {"imageTags": {"Build": "x"}}, {"imageTags"}),  # CloudFormation can set imageTags
        # Terraform cannot set imageTags or autoDisablePolicy, but can set the timezone
        ("terraform", {"imageTags": {"Build": "x"}}, set()),
        ("terraform", {"schedule": {"timezone": "Europe/Paris"}}, {"schedule"}),
        # driftcheck's own files can say anything: a declared "unset" is compared
        ("driftcheck", {"imageScanningConfiguration": {"imageScanningTypes": ["ON_DEMAND_AMI_CVE"]}}, {"imageScanningConfiguration"}),
    ],
)
def test_rule_drop_inexpressible_fields(source_kind, live, drifted):
    declared = {key: None for key in live}
    assert paths(declared, live, source_kind) == drifted


def test_rule_drop_inexpressible_fields_notes_values_someone_set():
    """A value the tool cannot set is not drift, but a non-default one is worth a note: the next update resets it."""
    live = {"schedule": {"scheduleExpression": CRON, "timezone": "America/New_York"}, "imageTags": {"Build": "x"}}
    declared = {"schedule": {"scheduleExpression": CRON}, "imageTags": None}
    cfn = normalize(declared, live, "cloudformation")
    assert [n.split(":")[0] for n in cfn.notes] == ["schedule.timezone"]
    assert "America/New_York" in cfn.notes[0] and "CloudFormation" in cfn.notes[0]
    tf = normalize({"schedule": {"scheduleExpression": CRON}}, live, "terraform")
    assert [n.split(":")[0] for n in tf.notes] == ["imageTags"]
    utc = normalize(declared, {**live, "schedule": {"scheduleExpression": CRON, "timezone": "Etc/UTC"}}, "cloudformation")
    assert not [n for n in utc.notes if n.startswith("schedule.timezone")]  # the default is no one's doing


@pytest.mark.parametrize(
    "declared, live, drifted",
    [
        # explicitly disabled scanning = no scanning block live (the service returns none)
        ({"imageScanningConfiguration": {"imageScanningEnabled": False}}, {}, set()),
        # no block declared vs a live block of defaults (disabled, the default repository, default scan types)
        (
            {"imageScanningConfiguration": None},
            {"imageScanningConfiguration": {"imageScanningEnabled": False, "imageScanningTypes": ["TEST_INSTANCE_CVE"],
                                            "ecrConfiguration": {"repositoryName": DEFAULT_SCAN_REPOSITORY}}},
            set(),
        ),
        # a block with a real setting is still drift against no block
        ({"imageScanningConfiguration": None}, {"imageScanningConfiguration": {"imageScanningEnabled": True}}, {"imageScanningConfiguration"}),
        ({"imageScanningConfiguration": {"imageScanningEnabled": True}}, {}, {"imageScanningConfiguration"}),
        # both blocks present: compared member by member as before
        ({"imageTestsConfiguration": {"imageTestsEnabled": True}}, {"imageTestsConfiguration": {"imageTestsEnabled": False, "timeoutMinutes": 720}},
         {"imageTestsConfiguration.imageTestsEnabled"}),
    ],
)
def test_rule_block_of_defaults_is_unset(declared, live, drifted):
    assert paths(declared, live, "driftcheck") == drifted


@pytest.mark.parametrize(
    "source_kind, workflows, drifted",
    [
        ("cloudformation", [{"workflowArn": f"{WORKFLOW}/x.x.x"}], set()),  # AWS-managed: may be the service's default
        ("cloudformation", [{"workflowArn": f"{WORKFLOW}/x.x.x"}, {"workflowArn": f"{OWN_WORKFLOW}/1.0.0/1"}], {"workflows"}),
        ("terraform", [{"workflowArn": f"{OWN_WORKFLOW}/1.0.0/1"}], set()),  # Optional+Computed: Terraform accepts any
        ("driftcheck", [{"workflowArn": f"{OWN_WORKFLOW}/1.0.0/1"}], set()),  # not written: not compared
    ],
)
def test_rule_cloudformation_default_workflows(source_kind, workflows, drifted):
    assert paths({"name": "p"}, {"name": "p", "workflows": workflows}, source_kind) == drifted
    # declared workflows are compared as usual, whatever they are
    assert paths({"workflows": workflows}, {"workflows": workflows}, source_kind) == set()
