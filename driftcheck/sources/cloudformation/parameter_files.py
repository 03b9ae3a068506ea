"""CloudFormation parameter files (``--var-file`` for templates), in CloudFormation's two formats."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from driftcheck.frozen import freeze
from driftcheck.model import Location
from driftcheck.sources.yaml_tree import DocumentError, Node, load_file


@dataclass(frozen=True)
class ParameterFile:
    """Values read from one parameter file: parameters, and stack tags (template-configuration format)."""

    parameters: Mapping[str, str] = field(default_factory=dict)
    tags: Mapping[str, str] | None = None
    tag_locations: Mapping[str, Location] = field(default_factory=dict)


@dataclass(frozen=True)
class StackTags:
    """The stack-level tags CloudFormation copies onto the pipeline, and where each is declared."""

    tags: Mapping[str, str]
    locations: Mapping[str, Location]


def load_parameter_file(path: Path) -> ParameterFile:
    """Read a parameter file in either CloudFormation format; raises DocumentError with file:line.

    * ``[{"ParameterKey": "K", "ParameterValue": "V"}, ...]`` (``aws cloudformation create-stack --parameters``)
    * ``{"Parameters": {"K": "V"}, "Tags": {"K": "V"}}`` (template configuration: CodePipeline, ``deploy``)
    """
    document = load_file(path, str(path))
    document.refuse_duplicate_keys()  # which of two values the user meant is ambiguous: ask
    root = document.root
    values: dict[str, str] = {}
    tags: dict[str, str] | None = None
    tag_locations: dict[str, Location] = {}

    def scalar(node: Node, what: str) -> str:
        if node.is_sequence() and all(item.is_scalar() for item in node.value):
            return ",".join(item.text() or "" for item in node.value)  # a list parameter, as CloudFormation joins it
        if not node.is_scalar() or node.value is None:
            raise DocumentError(f"{what}: expected a string value", node.location)
        return node.text() or ""

    if root.is_sequence():
        for item in root.value:
            key = item.get("ParameterKey")
            if not item.is_mapping() or key is None or not isinstance(key.value, str):
                raise DocumentError("expected {\"ParameterKey\": ..., \"ParameterValue\": ...} entries", item.location)
            if item.get("UsePreviousValue") is not None and item.get("ParameterValue") is None:
                continue  # the deployed value is kept: only --stack knows it
            value = item.get("ParameterValue")
            if value is None:
                raise DocumentError(f"parameter {key.value}: ParameterValue is missing", item.location)
            values[key.value] = scalar(value, f"parameter {key.value}")
    elif root.is_mapping() and (root.get("Parameters") is not None or root.get("Tags") is not None):
        unknown = [k for k in root.value if k not in ("Parameters", "Tags", "StackPolicy")]
        if unknown:
            raise DocumentError(f"unknown key {unknown[0]!r}: expected Parameters, Tags or StackPolicy", root.key_location(unknown[0]))
        for section, target in (("Parameters", values), ("Tags", None)):
            node = root.get(section)
            if node is None:
                continue
            if not node.is_mapping():
                raise DocumentError(f"{section}: expected a mapping of name: value", node.location)
            converted = {key: scalar(child, f"{section}.{key}") for key, child in node.value.items()}
            if target is None:
                tags = converted
                tag_locations = {key: node.key_location(key) for key in converted}
            else:
                target.update(converted)
    else:
        raise DocumentError(
            "not a CloudFormation parameter file: expected a list of ParameterKey/ParameterValue entries "
            "or {\"Parameters\": {...}, \"Tags\": {...}}",
            root.location,
        )
    return ParameterFile(freeze(values), freeze(tags) if tags is not None else None, freeze(tag_locations))
