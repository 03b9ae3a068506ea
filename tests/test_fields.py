"""The field model: derived from botocore's ImagePipeline shape, plus the OVERLAY facts."""

from __future__ import annotations

import botocore.session
import pytest

from driftcheck import fields
from driftcheck.errors import DriftcheckError
from driftcheck.fields import (
    NO_DEFAULT,
    OVERLAY,
    Overlay,
    TfMode,
    output_only_fields,
    pipeline_model,
    schema_path,
    spec_at,
    walk,
)


def _botocore_shape():
    return botocore.session.get_session().get_service_model("imagebuilder").shape_for("ImagePipeline")


def _botocore_paths(shape, prefix=""):
    """schema path -> botocore type name, for every member at every depth."""
    found = {}
    if shape.type_name == "structure":
        for name, member in shape.members.items():
            path = f"{prefix}.{name}" if prefix else name
            found[path] = member.type_name
            found.update(_botocore_paths(member, path))
    elif shape.type_name == "list" and shape.member.type_name == "structure":
        found.update(_botocore_paths(shape.member, f"{prefix}[]"))
    return found


@pytest.fixture
def fresh_model():
    """Rebuild the cached model around a test that changes what it is built from."""
    pipeline_model.cache_clear()
    yield
    pipeline_model.cache_clear()


# --------------------------------------------------------------------------- derived from botocore


def test_every_top_level_member_of_the_botocore_shape_is_a_field():
    shape = _botocore_shape()
    model = pipeline_model()
    assert list(model.children) == list(shape.members)
    for name in ("imageTags", "loggingConfiguration", "lastRunStatus", "consecutiveFailures", "workflows", "executionRole"):
        assert name in model.children


def test_every_nested_member_of_the_botocore_shape_is_a_field_with_its_type():
    expected = _botocore_paths(_botocore_shape())
    got = {spec.path: spec.type for spec in walk(pipeline_model())}
    assert got == expected
    for path in (
        "schedule.autoDisablePolicy.failureCount",
        "imageScanningConfiguration.imageScanningTypes",
        "imageScanningConfiguration.scanResultCondition.fixAvailable",
        "workflows[].parameters[].value",
        "loggingConfiguration.pipelineLogGroupName",
    ):
        assert path in got


def test_field_specs_carry_botocore_facts():
    model = pipeline_model()
    assert model.type == "structure" and model.shape_name == "ImagePipeline"
    assert model.children["dateCreated"].type == "string"  # botocore DateTime is a string, not a timestamp
    assert model.children["tags"].type == "map" and model.children["tags"].value_type == "string"
    assert model.children["imageTags"].type == "map"
    assert set(model.children["status"].enum) == {"ENABLED", "DISABLED"}
    assert "macOS" in model.children["platform"].enum
    timeout = spec_at("imageTestsConfiguration.timeoutMinutes")
    assert (timeout.minimum, timeout.maximum) == (60, 1440)
    workflows = model.children["workflows"]
    assert workflows.type == "list" and workflows.item is not None and workflows.item.type == "structure"
    assert workflows.item.path == "workflows[]"
    tags = spec_at("imageScanningConfiguration.ecrConfiguration.containerTags")
    assert tags.item is not None and tags.item.type == "string" and not tags.item.children
    assert all("<" not in spec.documentation for spec in walk(model))  # HTML stripped
    assert model.children["description"].documentation


def test_is_scalar():
    assert spec_at("name").is_scalar() and spec_at("status").is_scalar() and spec_at("consecutiveFailures").is_scalar()
    assert spec_at("imageTestsConfiguration.imageTestsEnabled").is_scalar()
    for path in ("schedule", "tags", "workflows", "workflows[].parameters[].value"):
        assert not spec_at(path).is_scalar(), path


def test_pipeline_model_is_cached():
    assert pipeline_model() is pipeline_model()


def test_a_missing_botocore_model_is_a_driftcheck_error(monkeypatch, fresh_model):
    class Broken:
        def get_service_model(self, name):
            raise botocore.exceptions.UnknownServiceError(service_name=name, known_service_names="")

    monkeypatch.setattr(fields, "botocore_session", lambda: Broken())
    with pytest.raises(DriftcheckError, match="botocore"):
        pipeline_model()


# --------------------------------------------------------------------------- output-only fields


def test_output_only_fields():
    assert set(output_only_fields()) == {
        "arn",
        "platform",
        "dateCreated",
        "dateUpdated",
        "dateLastRun",
        "lastRunStatus",
        "dateNextRun",
        "consecutiveFailures",
    }
    for settable in ("name", "status", "tags", "imageTags", "loggingConfiguration", "schedule", "workflows"):
        assert not pipeline_model().children[settable].overlay.output_only, settable


# --------------------------------------------------------------------------- the overlay


@pytest.mark.parametrize("path", sorted(OVERLAY))
def test_every_overlay_entry_names_an_existing_field(path):
    spec = spec_at(path)
    assert spec is not None, path
    assert spec.overlay is OVERLAY[path]


def test_an_overlay_entry_for_a_field_botocore_lacks_is_an_error(monkeypatch, fresh_model):
    monkeypatch.setattr(fields, "OVERLAY", {**OVERLAY, "schedule.noSuchField": Overlay(tf_name="no_such_field")})
    with pytest.raises(DriftcheckError, match=r"schedule\.noSuchField"):
        pipeline_model()
    monkeypatch.setattr(fields, "OVERLAY", {**OVERLAY, "workflows.workflowArn": Overlay()})  # "[]" missing
    pipeline_model.cache_clear()
    with pytest.raises(DriftcheckError, match=r"workflows\.workflowArn"):
        pipeline_model()
    monkeypatch.undo()
    pipeline_model.cache_clear()
    assert spec_at("schedule.timezone") is not None  # back to the real overlay


def test_fields_without_an_overlay_entry_get_the_neutral_one():
    spec = spec_at("schedule.autoDisablePolicy.failureCount")
    assert "schedule.autoDisablePolicy.failureCount" not in OVERLAY
    assert spec.overlay == Overlay()
    assert spec.overlay.tf_mode is TfMode.UNSUPPORTED and spec.overlay.service_default is NO_DEFAULT


@pytest.mark.parametrize(
    "path, default",
    [
        ("status", "ENABLED"),
        ("enhancedImageMetadataEnabled", True),
        ("imageTestsConfiguration", {"imageTestsEnabled": True, "timeoutMinutes": 720}),
        ("imageTestsConfiguration.imageTestsEnabled", True),
        ("imageTestsConfiguration.timeoutMinutes", 720),
        ("schedule.timezone", "UTC"),
        ("schedule.pipelineExecutionStartCondition", "EXPRESSION_MATCH_AND_DEPENDENCY_UPDATES_AVAILABLE"),
        ("imageScanningConfiguration.imageScanningEnabled", False),
        ("imageScanningConfiguration.imageScanningTypes", ["TEST_INSTANCE_CVE"]),
        ("imageScanningConfiguration.scanResultCondition.fixAvailable", True),
        ("schedule", NO_DEFAULT),
        ("executionRole", NO_DEFAULT),
        ("description", NO_DEFAULT),
    ],
)
def test_documented_service_defaults(path, default):
    assert spec_at(path).overlay.service_default == default


@pytest.mark.parametrize(
    "path, tf_name, tf_mode",
    [
        ("imageTestsConfiguration", "image_tests_configuration", TfMode.OPTIONAL_COMPUTED),
        ("imageScanningConfiguration", "image_scanning_configuration", TfMode.OPTIONAL_COMPUTED),
        ("workflows", "workflow", TfMode.OPTIONAL_COMPUTED),
        ("schedule.timezone", "timezone", TfMode.OPTIONAL_COMPUTED),
        ("schedule", "schedule", TfMode.OPTIONAL),
        ("loggingConfiguration", "logging_configuration", TfMode.OPTIONAL),
        ("infrastructureConfigurationArn", "infrastructure_configuration_arn", TfMode.REQUIRED),
        ("workflows[].parameters", "parameter", TfMode.OPTIONAL),
        ("imageTags", None, TfMode.UNSUPPORTED),
        ("schedule.autoDisablePolicy", None, TfMode.UNSUPPORTED),
        ("imageScanningConfiguration.imageScanningTypes", None, TfMode.UNSUPPORTED),
    ],
)
def test_terraform_names_and_modes(path, tf_name, tf_mode):
    overlay = spec_at(path).overlay
    assert (overlay.tf_name, overlay.tf_mode) == (tf_name, tf_mode)


def test_sets_and_scalar_lists():
    assert spec_at("imageScanningConfiguration.ecrConfiguration.containerTags").overlay.set_key == ""
    assert spec_at("workflows[].parameters").overlay.set_key == "name"
    assert spec_at("workflows").overlay.set_key is None  # ordered
    assert spec_at("workflows[].parameters[].value").overlay.tf_scalar_list


# --------------------------------------------------------------------------- paths and names


@pytest.mark.parametrize(
    "concrete, schema",
    [
        ("workflows[1].parameters[name=x].value", "workflows[].parameters[].value"),
        ("workflows[12].workflowArn", "workflows[].workflowArn"),
        ("workflows[0]", "workflows[]"),
        ("workflows[0].parameters[name=instance.type]", "workflows[].parameters[]"),
        ("schedule.timezone", "schedule.timezone"),
        ("tags.Team", "tags.Team"),
        ("imageScanningConfiguration.ecrConfiguration.containerTags", "imageScanningConfiguration.ecrConfiguration.containerTags"),
        ("", ""),
    ],
)
def test_schema_path(concrete, schema):
    assert schema_path(concrete) == schema


def test_schema_paths_of_concrete_paths_name_real_fields():
    for concrete in ("workflows[3].parameters[name=x].value", "workflows[0].onFailure", "schedule.autoDisablePolicy.failureCount"):
        assert spec_at(schema_path(concrete)) is not None


def test_spec_at():
    assert spec_at("workflows[].workflowArn").name == "workflowArn"
    assert spec_at("schedule").path == "schedule"
    assert spec_at("schedule.noSuchField") is None
    assert spec_at("workflows.workflowArn") is None
    assert spec_at("") is None


def test_walk_yields_list_item_members_but_not_the_items():
    paths = [spec.path for spec in walk(pipeline_model())]
    assert "workflows[].parameters[].name" in paths
    assert "workflows[]" not in paths and "workflows[].parameters[]" not in paths
    assert len(paths) == len(set(paths))
    assert paths.index("schedule") < paths.index("schedule.timezone")  # depth first, parent first


@pytest.mark.parametrize(
    "path, cfn_name",
    [
        ("name", "Name"),
        ("imageRecipeArn", "ImageRecipeArn"),
        ("enhancedImageMetadataEnabled", "EnhancedImageMetadataEnabled"),
        ("imageTestsConfiguration", "ImageTestsConfiguration"),
        ("imageTestsConfiguration.timeoutMinutes", "TimeoutMinutes"),
        ("schedule.scheduleExpression", "ScheduleExpression"),
        ("schedule.autoDisablePolicy.failureCount", "FailureCount"),
        ("imageScanningConfiguration.ecrConfiguration.containerTags", "ContainerTags"),
        ("imageTags", "ImageTags"),
        ("workflows", "Workflows"),
        ("workflows[].workflowArn", "WorkflowArn"),
        ("workflows[].parameters[].value", "Value"),
        ("loggingConfiguration.imageLogGroupName", "ImageLogGroupName"),
        # what CloudFormation cannot express has no name
        ("schedule.timezone", None),
        ("imageScanningConfiguration.imageScanningTypes", None),
        ("imageScanningConfiguration.scanResultCondition", None),
    ],
)
def test_cfn_name(path, cfn_name):
    assert spec_at(path).cfn_name == cfn_name


def test_cfn_names_are_pascal_case_of_the_api_name():
    for spec in walk(pipeline_model()):
        if spec.cfn_name is not None:
            assert spec.cfn_name[0].isupper() and spec.cfn_name[1:] == spec.name[1:], spec.path
