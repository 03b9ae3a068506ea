"""The field model of an image pipeline.

The fields themselves come from botocore's service model for ``imagebuilder`` (shape ``ImagePipeline``),
so a field that a newer botocore ships is known at once: it is read from live responses, accepted in
driftcheck's own YAML, and compared when declared. On top of that, :data:`OVERLAY` adds what the model
cannot say: the Terraform and CloudFormation names, how each tool treats an omitted value, documented
service defaults, and which fields are output-only. Each fact is one entry, so a wrong guess in
``schema-mapping.md`` is one line to change here.

Paths: a *schema path* names a field in the model, with ``[]`` for list items
(``workflows[].parameters[].value``). A *concrete path* names one value in one pipeline
(``workflows[1].workflowArn``, ``tags.Team``).
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any


from driftcheck.botocore_data import botocore_session
from driftcheck.errors import DriftcheckError


class _Missing:
    """Sentinel: no default is documented."""

    def __repr__(self) -> str:
        return "NO_DEFAULT"


NO_DEFAULT: Any = _Missing()


class TfMode(str, enum.Enum):
    """How the Terraform AWS provider treats an attribute when the configuration omits it."""

    REQUIRED = "required"
    OPTIONAL = "optional"  # omitted -> not sent -> must be absent live (or the tf default is sent)
    OPTIONAL_COMPUTED = "optional_computed"  # omitted -> Terraform accepts whatever the API holds
    UNSUPPORTED = "unsupported"  # the provider has no attribute: Terraform cannot manage it


@dataclass(frozen=True)
class Overlay:
    """Facts about one field that botocore's model does not carry."""

    output_only: bool = False
    tf_name: str | None = None
    tf_mode: TfMode = TfMode.UNSUPPORTED
    tf_default: Any = NO_DEFAULT
    tf_scalar_list: bool = False  # TF declares one string; the API holds a list (workflow parameter value)
    cfn_supported: bool = True
    service_default: Any = NO_DEFAULT
    set_key: str | None = None  # list compared as a set; "" = set of scalars, "name" = keyed by that member
    service_fills: bool = False  # omitted -> the service stores a value of its own choosing: not compared


# Everything in this table is sourced in ../shared/reference/schema-mapping.md (§1, §2.1, §6).
OVERLAY: Mapping[str, Overlay] = {
    "arn": Overlay(output_only=True),
    "name": Overlay(tf_name="name", tf_mode=TfMode.REQUIRED),
    "description": Overlay(tf_name="description", tf_mode=TfMode.OPTIONAL),
    "platform": Overlay(output_only=True),
    "enhancedImageMetadataEnabled": Overlay(
        tf_name="enhanced_image_metadata_enabled", tf_mode=TfMode.OPTIONAL, tf_default=True, service_default=True
    ),
    "imageRecipeArn": Overlay(tf_name="image_recipe_arn", tf_mode=TfMode.OPTIONAL),
    "containerRecipeArn": Overlay(tf_name="container_recipe_arn", tf_mode=TfMode.OPTIONAL),
    "infrastructureConfigurationArn": Overlay(tf_name="infrastructure_configuration_arn", tf_mode=TfMode.REQUIRED),
    "distributionConfigurationArn": Overlay(tf_name="distribution_configuration_arn", tf_mode=TfMode.OPTIONAL),
    "imageTestsConfiguration": Overlay(
        tf_name="image_tests_configuration",
        tf_mode=TfMode.OPTIONAL_COMPUTED,
        service_default={"imageTestsEnabled": True, "timeoutMinutes": 720},
    ),
    "imageTestsConfiguration.imageTestsEnabled": Overlay(
        tf_name="image_tests_enabled", tf_mode=TfMode.OPTIONAL, tf_default=True, service_default=True
    ),
    "imageTestsConfiguration.timeoutMinutes": Overlay(
        tf_name="timeout_minutes", tf_mode=TfMode.OPTIONAL, tf_default=720, service_default=720
    ),
    "schedule": Overlay(tf_name="schedule", tf_mode=TfMode.OPTIONAL),
    "schedule.scheduleExpression": Overlay(tf_name="schedule_expression", tf_mode=TfMode.REQUIRED),
    "schedule.timezone": Overlay(
        tf_name="timezone", tf_mode=TfMode.OPTIONAL_COMPUTED, cfn_supported=False, service_default="UTC"
    ),
    "schedule.pipelineExecutionStartCondition": Overlay(
        tf_name="pipeline_execution_start_condition",
        tf_mode=TfMode.OPTIONAL,
        tf_default="EXPRESSION_MATCH_AND_DEPENDENCY_UPDATES_AVAILABLE",
        service_default="EXPRESSION_MATCH_AND_DEPENDENCY_UPDATES_AVAILABLE",
    ),
    "schedule.autoDisablePolicy": Overlay(),
    "status": Overlay(tf_name="status", tf_mode=TfMode.OPTIONAL, tf_default="ENABLED", service_default="ENABLED"),
    "dateCreated": Overlay(output_only=True),
    "dateUpdated": Overlay(output_only=True),
    "dateLastRun": Overlay(output_only=True),
    "lastRunStatus": Overlay(output_only=True),
    "dateNextRun": Overlay(output_only=True),
    "consecutiveFailures": Overlay(output_only=True),
    # Terraform compares tags_all (default_tags merged with tags); the source builds that value.
    "tags": Overlay(tf_name="tags", tf_mode=TfMode.OPTIONAL),
    "imageScanningConfiguration": Overlay(tf_name="image_scanning_configuration", tf_mode=TfMode.OPTIONAL_COMPUTED),
    "imageScanningConfiguration.imageScanningEnabled": Overlay(
        tf_name="image_scanning_enabled", tf_mode=TfMode.OPTIONAL, tf_default=False, service_default=False
    ),
    "imageScanningConfiguration.ecrConfiguration": Overlay(
        tf_name="ecr_configuration", tf_mode=TfMode.OPTIONAL_COMPUTED
    ),
    "imageScanningConfiguration.ecrConfiguration.repositoryName": Overlay(
        tf_name="repository_name", tf_mode=TfMode.OPTIONAL_COMPUTED, service_fills=True
    ),
    "imageScanningConfiguration.ecrConfiguration.containerTags": Overlay(
        tf_name="container_tags", tf_mode=TfMode.OPTIONAL, set_key=""
    ),
    "imageScanningConfiguration.imageScanningTypes": Overlay(
        cfn_supported=False, service_default=["TEST_INSTANCE_CVE"]
    ),
    "imageScanningConfiguration.scanResultCondition": Overlay(cfn_supported=False),
    "imageScanningConfiguration.scanResultCondition.fixAvailable": Overlay(service_default=True),
    "imageTags": Overlay(),
    "executionRole": Overlay(tf_name="execution_role", tf_mode=TfMode.OPTIONAL),
    "workflows": Overlay(tf_name="workflow", tf_mode=TfMode.OPTIONAL_COMPUTED, service_fills=True),
    "workflows[].workflowArn": Overlay(tf_name="workflow_arn", tf_mode=TfMode.REQUIRED),
    "workflows[].parameters": Overlay(tf_name="parameter", tf_mode=TfMode.OPTIONAL, set_key="name"),
    "workflows[].parameters[].name": Overlay(tf_name="name", tf_mode=TfMode.REQUIRED),
    "workflows[].parameters[].value": Overlay(tf_name="value", tf_mode=TfMode.REQUIRED, tf_scalar_list=True),
    "workflows[].parallelGroup": Overlay(tf_name="parallel_group", tf_mode=TfMode.OPTIONAL),
    "workflows[].onFailure": Overlay(tf_name="on_failure", tf_mode=TfMode.OPTIONAL),
    "loggingConfiguration": Overlay(tf_name="logging_configuration", tf_mode=TfMode.OPTIONAL),
    "loggingConfiguration.imageLogGroupName": Overlay(tf_name="image_log_group_name", tf_mode=TfMode.OPTIONAL),
    "loggingConfiguration.pipelineLogGroupName": Overlay(
        tf_name="pipeline_log_group_name", tf_mode=TfMode.OPTIONAL
    ),
}


@dataclass(frozen=True)
class FieldSpec:
    """One field of ``ImagePipeline``: its type from botocore, plus the overlay facts."""

    path: str
    name: str
    type: str  # botocore type name: string, boolean, integer, long, double, structure, list, map, timestamp
    shape_name: str
    enum: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    documentation: str = ""
    overlay: Overlay = field(default_factory=Overlay)
    children: Mapping[str, "FieldSpec"] = field(default_factory=dict)  # structure members
    item: "FieldSpec | None" = None  # list member
    value_type: str | None = None  # map value type

    @property
    def cfn_name(self) -> str | None:
        """CloudFormation uses the API name in PascalCase; fields CFN cannot express have none."""
        return (self.name[0].upper() + self.name[1:]) if self.overlay.cfn_supported else None

    def is_scalar(self) -> bool:
        """True for strings, numbers and booleans."""
        return self.type not in ("structure", "list", "map")


def _build(shape: Any, path: str, name: str) -> FieldSpec:
    overlay = OVERLAY.get(path, Overlay())
    children: dict[str, FieldSpec] = {}
    item = None
    value_type = None
    if shape.type_name == "structure":
        for member_name, member in shape.members.items():
            child_path = f"{path}.{member_name}" if path else member_name
            children[member_name] = _build(member, child_path, member_name)
    elif shape.type_name == "list":
        item = _build(shape.member, f"{path}[]", name)
    elif shape.type_name == "map":
        value_type = shape.value.type_name
    return FieldSpec(
        path=path,
        name=name,
        type=shape.type_name,
        shape_name=shape.name,
        enum=tuple(getattr(shape, "enum", None) or ()),
        minimum=shape.metadata.get("min"),
        maximum=shape.metadata.get("max"),
        documentation=re.sub(r"<[^>]+>", "", shape.documentation or "").strip(),
        overlay=overlay,
        children=children,
        item=item,
        value_type=value_type,
    )


@functools.lru_cache(maxsize=1)
def pipeline_model() -> FieldSpec:
    """The root FieldSpec (shape ``ImagePipeline``) built from the installed botocore model."""
    try:
        service = botocore_session().get_service_model("imagebuilder")
        shape = service.shape_for("ImagePipeline")
    except Exception as exc:  # botocore data missing or unreadable: nothing can work without it
        raise DriftcheckError(f"cannot load botocore's imagebuilder model: {exc}") from exc
    root = _build(shape, "", "imagePipeline")
    unknown = set(OVERLAY) - {spec.path for spec in walk(root)}
    if unknown:  # a renamed field in a newer botocore must not silently lose its rules
        raise DriftcheckError(f"field overlay names fields botocore does not have: {sorted(unknown)}")
    return root


def walk(spec: FieldSpec) -> Iterator[FieldSpec]:
    """Every FieldSpec below ``spec`` (not ``spec`` itself), depth first."""
    for child in spec.children.values():
        yield child
        yield from walk(child)
    if spec.item is not None:
        if spec.item.children:
            yield from walk(spec.item)


def spec_at(schema_path: str) -> FieldSpec | None:
    """The FieldSpec for a schema path such as ``workflows[].workflowArn``; None when unknown."""
    for spec in walk(pipeline_model()):
        if spec.path == schema_path:
            return spec
    return None


_INDEX = re.compile(r"\[[^\]]*\]")


def schema_path(concrete_path: str) -> str:
    """``workflows[1].parameters[name=x].value`` -> ``workflows[].parameters[].value``."""
    return _INDEX.sub("[]", concrete_path)


def output_only_fields() -> tuple[str, ...]:
    """Top-level fields that the service sets and Create/Update cannot: never compared."""
    return tuple(name for name, spec in pipeline_model().children.items() if spec.overlay.output_only)


def expressible(spec: FieldSpec, source_kind: str) -> bool:
    """Can this kind of declaration set the field at all? Terraform: the provider has an attribute;
    CloudFormation: the resource schema has the property; driftcheck's own files: every field."""
    if source_kind == "terraform":
        return spec.overlay.tf_mode is not TfMode.UNSUPPORTED
    if source_kind == "cloudformation":
        return spec.overlay.cfn_supported
    return True
