"""The JSON Schema of driftcheck's own pipeline file, generated from the field model.

Every field of an entry comes from :func:`driftcheck.fields.pipeline_model` (botocore's ``ImagePipeline``
shape), so a field that a newer botocore ships is accepted without a code change. Types, enums, lengths
and ranges come from botocore's shape metadata; which members a structure requires comes from botocore's
``required`` lists. ``python -m driftcheck.pipeline_schema`` prints the schema; its output is committed as
``driftcheck/schemas/pipelines.schema.json`` for editors and CI.

Choices the model cannot make for us:

* every API field may be written as ``null`` (managed, expected unset), except ``name`` and members
  that botocore marks required; list items and map values may not;
* minimum *counts* of lists and maps are not applied: an empty collection is how the service reports
  "none" (``tags: {}`` in a real response), so a pasted response must pass; maximum counts are applied;
* botocore's ``pattern`` metadata is not copied: those are service-side regular expressions whose
  dialect is not JSON Schema's, and the service validates them anyway;
* output-only fields (``overlay.output_only``) are allowed, so a response can be pasted as is, and
  marked ``readOnly``.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import sys
from typing import Any

import botocore

from driftcheck.botocore_data import botocore_session
from driftcheck.errors import DriftcheckError
from driftcheck.fields import FieldSpec, pipeline_model

__all__ = [
    "DIALECT",
    "FORMAT",
    "MARKER_KEY",
    "REGION_KEY",
    "ENTRY_EXTRA_FIELDS",
    "entry_schema",
    "field_schema",
    "pipeline_file_schema",
    "render",
]

DIALECT = "https://json-schema.org/draft/2020-12/schema"
MARKER_KEY = "driftcheck"  # the top-level key that identifies a driftcheck pipeline file
FORMAT = "pipelines/v1"  # its only supported value
REGION_KEY = "region"  # allowed at the top level and in entries; not an API field
ENTRY_EXTRA_FIELDS = (REGION_KEY,)  # what an entry allows beyond the API's fields

_JSON_TYPES = {
    "string": "string",
    "timestamp": "string",
    "blob": "string",
    "boolean": "boolean",
    "integer": "integer",
    "long": "integer",
    "double": "number",
    "float": "number",
    "structure": "object",
    "list": "array",
    "map": "object",
}

_SENTENCE_END = re.compile(r"(?<=[.!?])\s")


def _first_sentence(documentation: str) -> str:
    """The first sentence of a botocore documentation string, on one line."""
    text = " ".join(documentation.split())
    return _SENTENCE_END.split(text, maxsplit=1)[0] if text else ""


@functools.lru_cache(maxsize=1)
def _service() -> Any:
    """botocore's imagebuilder service model (for what FieldSpec does not carry: required members, map keys)."""
    try:
        return botocore_session().get_service_model("imagebuilder")
    except Exception as exc:  # botocore data missing or unreadable
        raise DriftcheckError(f"cannot load botocore's imagebuilder model: {exc}") from exc


def _length_or_range(schema: dict[str, Any], json_type: str, metadata: dict[str, Any]) -> None:
    """Copy botocore's min/max into ``schema`` with the keyword that fits the type (see the module notes)."""
    low, high = metadata.get("min"), metadata.get("max")
    if json_type == "string":
        if low is not None:
            schema["minLength"] = low
        if high is not None:
            schema["maxLength"] = high
    elif json_type in ("integer", "number"):
        if low is not None:
            schema["minimum"] = low
        if high is not None:
            schema["maximum"] = high
    elif json_type == "array" and high is not None:
        schema["maxItems"] = high
    elif json_type == "object" and high is not None:  # a map
        schema["maxProperties"] = high


def _scalar_shape_schema(shape: Any) -> dict[str, Any]:
    """A schema for a botocore scalar shape that has no FieldSpec (map keys and values)."""
    json_type = _JSON_TYPES.get(shape.type_name)
    schema: dict[str, Any] = {"type": json_type} if json_type else {}
    if getattr(shape, "enum", None):
        schema["enum"] = list(shape.enum)
    if json_type:
        _length_or_range(schema, json_type, shape.metadata)
    return schema


def field_schema(spec: FieldSpec, nullable: bool = True) -> dict[str, Any]:
    """The JSON Schema of one field (and everything below it); ``nullable`` allows an explicit null."""
    json_type = _JSON_TYPES.get(spec.type)
    schema: dict[str, Any] = {}
    description = _first_sentence(spec.documentation)
    if description:
        schema["description"] = description
    if spec.overlay.output_only:
        schema["readOnly"] = True
    if json_type is None:  # a botocore type driftcheck does not know (document...): anything goes
        return schema
    schema["type"] = [json_type, "null"] if nullable else json_type
    if spec.enum:
        schema["enum"] = list(spec.enum) + ([None] if nullable else [])
    _length_or_range(schema, json_type, {"min": spec.minimum, "max": spec.maximum})
    if spec.type == "structure":
        required = set(_service().shape_for(spec.shape_name).required_members)
        schema["properties"] = {
            name: field_schema(child, nullable=name not in required) for name, child in spec.children.items()
        }
        schema["additionalProperties"] = False
        if required:
            schema["required"] = sorted(required)
    elif spec.type == "list" and spec.item is not None:
        item = field_schema(spec.item, nullable=False)
        item.pop("description", None)  # the list says it; botocore repeats the list's text on the member
        schema["items"] = item
    elif spec.type == "map":
        shape = _service().shape_for(spec.shape_name)
        schema["propertyNames"] = _scalar_shape_schema(shape.key)
        schema["additionalProperties"] = _scalar_shape_schema(shape.value)
    return schema


def entry_schema() -> dict[str, Any]:
    """The schema of one entry of ``pipelines``: the API's fields, plus ``region``; ``name`` required."""
    schema = field_schema(pipeline_model(), nullable=False)
    properties = schema["properties"]
    name = properties["name"]
    name["type"] = "string"  # the entry's identity: never null, never empty
    name["minLength"] = max(1, name.get("minLength", 1))
    name["description"] = (name.get("description", "") + " Required: the pipeline is matched by this name.").strip()
    arn = properties.get("arn")
    if arn is not None:
        arn["description"] = (arn.get("description", "") + " When given, the pipeline is matched by this ARN.").strip()
    properties[REGION_KEY] = {
        "type": "string",
        "minLength": 1,
        "description": "The AWS Region of the pipeline (not an API field). Defaults to the region of arn, "
        "then the file's region, then --region or the AWS configuration.",
    }
    schema["required"] = sorted(set(schema.get("required", [])) | {"name"})
    schema["description"] = (
        "One image pipeline, in the shape get_image_pipeline returns (camelCase). Only the fields written "
        "are compared; null means expected unset."
    )
    return schema


@functools.lru_cache(maxsize=1)
def _file_schema() -> dict[str, Any]:
    return {
        "$schema": DIALECT,
        "title": f"driftcheck pipeline declarations ({FORMAT})",
        "description": "Image Builder pipelines as they are expected to be live, in the API's own field names.",
        "x-botocore-version": botocore.__version__,
        "type": "object",
        "properties": {
            MARKER_KEY: {"const": FORMAT, "description": "Identifies the file and its format version."},
            REGION_KEY: {"type": "string", "minLength": 1, "description": "The default AWS Region of the entries."},
            "pipelines": {"type": "array", "minItems": 1, "items": entry_schema()},
        },
        "required": [MARKER_KEY, "pipelines"],
        "additionalProperties": False,
    }


def pipeline_file_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a whole driftcheck pipeline file (a fresh copy each call)."""
    return copy.deepcopy(_file_schema())


def render(schema: dict[str, Any]) -> str:
    """The schema as committed: JSON, sorted keys, indent 2, trailing newline."""
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main() -> int:
    """Print the schema (``python -m driftcheck.pipeline_schema > driftcheck/schemas/pipelines.schema.json``)."""
    sys.stdout.write(render(pipeline_file_schema()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
