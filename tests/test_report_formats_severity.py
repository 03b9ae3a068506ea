"""driftcheck.severity: the default severity table, overrides, and worst()."""

from __future__ import annotations

import pytest

from driftcheck.model import Status
from driftcheck.severity import path_family, severity_of_path, severity_of_status, worst


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("executionRole", "high"),
        ("infrastructureConfigurationArn", "high"),
        ("imageRecipeArn", "high"),
        ("containerRecipeArn", "high"),
        ("status", "high"),
        ("workflows", "high"),
        ("workflows[0].workflowArn", "high"),
        ("workflows[workflowArn=arn:x].parameters", "high"),
        ("schedule", "medium"),
        ("schedule.scheduleExpression", "medium"),
        ("schedule.pipelineExecutionStartCondition", "medium"),
        ("imageScanningConfiguration.imageScanningEnabled", "medium"),
        ("imageTestsConfiguration", "medium"),
        ("imageTestsConfiguration.timeoutMinutes", "medium"),
        ("description", "low"),
        ("tags", "low"),
        ("tags.Owner", "low"),
        ("distributionConfigurationArn", "low"),
        ("enhancedImageMetadataEnabled", "low"),
        ("", "low"),
    ],
)
def test_default_table(path: str, expected: str) -> None:
    assert severity_of_path(path) == expected


def test_family_is_the_whole_first_field_not_a_prefix() -> None:
    # "statusX" and "executionRoleArn" are other fields, not the family of "status"/"executionRole"
    assert severity_of_path("statusReason") == "low"
    assert severity_of_path("executionRoleArn") == "low"
    assert severity_of_path("scheduleX.y") == "low"
    assert path_family("tags.team-a") == "tags"
    assert path_family("workflows[1]") == "workflows"


def test_overrides_win_first_match_in_order() -> None:
    overrides = {"tags.Owner": "high", "tags.*": "medium", "schedule.*": "low"}
    assert severity_of_path("tags.Owner", overrides) == "high"
    assert severity_of_path("tags.CostCenter", overrides) == "medium"
    assert severity_of_path("schedule.scheduleExpression", overrides) == "low"
    assert severity_of_path("schedule", overrides) == "medium"  # the glob needs the dot
    assert severity_of_path("executionRole", overrides) == "high"
    assert severity_of_path("description", {"desc*": "high"}) == "high"
    assert severity_of_path("Description", {"desc*": "high"}) == "low"  # case-sensitive, as API paths are


def test_bad_override_severity_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown severity 'critical'"):
        severity_of_path("tags.A", {"tags.*": "critical"})
    # a non-matching bad override is not consulted
    assert severity_of_path("description", {"tags.*": "critical"}) == "low"


def test_status_severity() -> None:
    assert severity_of_status("missing") == "high"
    assert severity_of_status("unmanaged") == "medium"
    assert severity_of_status("error") == "high"
    assert severity_of_status(Status.UNMANAGED) == "medium"
    assert severity_of_status(Status.MISSING, {"missing": "low"}) == "low"
    assert severity_of_status("unmanaged", {"un*": "high"}) == "high"
    with pytest.raises(ValueError, match="severity_of_path"):
        severity_of_status("drifted")
    with pytest.raises(ValueError):
        severity_of_status(Status.IN_SYNC)
    assert severity_of_status("drifted", {"drifted": "medium"}) == "medium"


def test_worst() -> None:
    assert worst("low", "high", "medium") == "high"
    assert worst("low", "medium") == "medium"
    assert worst(["low"], "low") == "low"
    assert worst(iter(["medium", "low"])) == "medium"
    assert worst() == "low"
    assert worst([], default="medium") == "medium"
    with pytest.raises(ValueError):
        worst("low", "severe")
