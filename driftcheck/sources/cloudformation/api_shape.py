"""Resolved ``Properties`` of an ``AWS::ImageBuilder::ImagePipeline`` -> the API's shape, with a line per field.

Each PascalCase property becomes its camelCase API field, and CloudFormation's string habits become
the API model's types (``"90"`` is 90, ``"true"`` is true). Every field path gets the ``file:line``
of the property that gives it.

What an omitted property means: CloudFormation's handler sends nothing for it, and Update is a full
replace, so the service resets it to its default. An omitted property is therefore "expected unset"
(None; the service default rule then applies), except for fields the service fills with a value of
its own choosing (``Overlay.service_fills``) and fields CloudFormation cannot express
(``Overlay.cfn_supported``), which are not compared. Writing an inexpressible field, or any other name the
resource's schema lacks, is an unknown property; a ``null`` value is refused, as CloudFormation does.
"""

from __future__ import annotations

import re
from typing import Any

from driftcheck.fields import FieldSpec
from driftcheck.model import Location, Unresolved
from driftcheck.sources.yaml_tree import Node

RESOURCE_TYPE = "AWS::ImageBuilder::ImagePipeline"


class Problem(Exception):
    def __init__(self, message: str, location: Location) -> None:
        super().__init__(message)
        self.message, self.location = message, location


_INTEGER = re.compile(r"^[-+]?\d+$")
_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")


def coerce_scalar(node: Node, spec: FieldSpec, what: str) -> Any:
    """CloudFormation's value habits -> the API model's type: "true" is true, "90" is 90, 90 is "90"."""
    value = node.value
    kind = spec.type
    if kind == "string":
        text = node.text()
        if text is None or not node.is_scalar():
            raise Problem(f"{what}: expected a string", node.location)
        return text
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise Problem(f"{what}: expected a boolean (true or false), got {node.text()!r}", node.location)
    if kind in ("integer", "long"):
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and _INTEGER.match(value.strip()):
            return int(value)
        raise Problem(f"{what}: expected an integer, got {node.text()!r}", node.location)
    if kind in ("double", "float"):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str) and _NUMBER.match(value.strip()):
            return float(value)
        raise Problem(f"{what}: expected a number, got {node.text()!r}", node.location)
    return value


class Converter:
    """Resolved Properties (a Node tree) -> API-shaped fields, with the location of every path."""

    def __init__(self) -> None:
        self.locations: dict[str, Location] = {}

    def structure(self, spec: FieldSpec, node: Node, api_prefix: str, cfn_prefix: str) -> dict[str, Any]:
        if not node.is_mapping():
            raise Problem(f"{cfn_prefix or 'Properties'}: expected a mapping", node.location)
        # CloudFormation's names: the API's in PascalCase, minus read-only fields and those its schema lacks
        children = {
            child.cfn_name: (name, child)
            for name, child in spec.children.items()
            if child.cfn_name is not None and not child.overlay.output_only
        }
        for key in node.value:
            if key not in children:
                valid = ", ".join(sorted(children))
                where = cfn_prefix or RESOURCE_TYPE
                if key == "<<":
                    raise Problem(f"{where}: YAML merge keys (<<) are not supported by CloudFormation", node.key_location(key))
                raise Problem(f"{where}: unknown property {key!r}; valid properties: {valid}", node.key_location(key))
        result: dict[str, Any] = {}
        for cfn_name, (name, child) in children.items():
            api_path = f"{api_prefix}.{name}" if api_prefix else name
            cfn_path = f"{cfn_prefix}.{cfn_name}" if cfn_prefix else cfn_name
            value = node.get(cfn_name)
            if value is None:
                if child.overlay.service_fills:
                    continue  # the service picks the value: not compared
                result[name] = None
                continue
            self.locations[api_path] = node.key_location(cfn_name)
            result[name] = self.value(child, value, api_path, cfn_path)
        return result

    def value(self, spec: FieldSpec, node: Node, api_path: str, cfn_path: str) -> Any:
        if isinstance(node.value, Unresolved):
            return node.value
        if node.value is None and node.is_scalar():
            raise Problem(f"{cfn_path}: 'null' values are not allowed in templates", node.location)
        if spec.type == "structure":
            return self.structure(spec, node, api_path, cfn_path)
        if spec.type == "map":
            if node.is_sequence():
                key_value = node.value and all(item.is_mapping() and item.get("Key") is not None for item in node.value)
                shape = "not a list of Key/Value pairs" if key_value else "got a list"
                raise Problem(f"{cfn_path}: expected a map of key: value for {RESOURCE_TYPE}, {shape}", node.location)
            if not node.is_mapping():
                raise Problem(f"{cfn_path}: expected a map of key: value", node.location)
            out: dict[str, Any] = {}
            for key, item in node.value.items():
                self.locations[f"{api_path}.{key}"] = node.key_location(key)
                out[key] = self.value(_STRING, item, f"{api_path}.{key}", f"{cfn_path}.{key}")
            return out
        if spec.type == "list" and spec.item is not None:
            if not node.is_sequence():
                raise Problem(f"{cfn_path}: expected a list", node.location)
            items = []
            seen: dict[str, Location] = {}
            for index, item in enumerate(node.value):
                item_api = f"{api_path}[{index}]"
                converted = self.value(spec.item, item, item_api, f"{cfn_path}[{index}]")
                if spec.item.children:
                    self.locations[item_api] = item.location
                    key = spec.overlay.set_key
                    if key and isinstance(converted, dict) and isinstance(converted.get(key), str):
                        if converted[key] in seen:  # a set keyed by name: CloudFormation's schema refuses twins
                            first = seen[converted[key]]
                            raise Problem(f"{cfn_path}: duplicate {key[0].upper() + key[1:]} {converted[key]!r} (first at line {first.line})", item.location)
                        seen[converted[key]] = item.location
                        keyed = f"{api_path}[{key}={converted[key]}]"
                        self.locations[keyed] = item.location
                        for sub_path, sub_location in list(self.locations.items()):
                            if sub_path.startswith(item_api + "."):
                                self.locations[keyed + sub_path[len(item_api):]] = sub_location
                items.append(converted)
            return items
        if not node.is_scalar():
            raise Problem(f"{cfn_path}: expected a single value, got a {'list' if node.is_sequence() else 'mapping'}", node.location)
        return coerce_scalar(node, spec, cfn_path)


_STRING = FieldSpec(path="", name="", type="string", shape_name="String")
