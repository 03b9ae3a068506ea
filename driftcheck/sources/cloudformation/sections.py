"""The sections of a template read and shape-checked: Transform, Mappings, Resources (and any one section)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from driftcheck.model import Location
from driftcheck.sources.cloudformation.values import LANGUAGE_EXTENSIONS, TemplateError, child_name, name_of
from driftcheck.sources.yaml_tree import Node


def read_section(root: Node, name: str) -> Mapping[str, Node]:
    """A top-level section as a mapping (empty when absent); anything else is a TemplateError."""
    node = root.get(name)
    if node is None or node.value is None:
        return MappingProxyType({})
    if not node.is_mapping():
        raise TemplateError(f"the {name} section must be a mapping", node.location)
    return node.value


def read_transforms(root: Node) -> tuple[str, ...]:
    """The names in the Transform section (a string or a list of strings)."""
    node = root.get("Transform")
    if node is None:
        return ()
    items = node.value if node.is_sequence() else (node,)
    names = []
    for item in items:
        name = name_of(item)
        if name is None:
            raise TemplateError("Transform must be a transform name or a list of names", item.location)
        names.append(name)
    return tuple(names)


def read_mappings(root: Node) -> Mapping[str, Node]:
    """The Mappings section, checked: map -> top-level key -> second-level key -> string or list."""
    mappings = read_section(root, "Mappings")
    for map_name, top in mappings.items():
        if not top.is_mapping():
            raise TemplateError(f"mapping {map_name} must be a mapping of keys", top.location)
        for top_key, second in top.value.items():
            if not second.is_mapping():
                raise TemplateError(f"mapping {map_name}.{top_key} must be a mapping of keys", second.location)
            for second_key, value in second.value.items():
                if value.is_mapping():
                    raise TemplateError(
                        f"mapping {map_name}.{top_key}.{second_key} must be a string or a list", value.location
                    )
    return mappings


def read_resources(root: Node, transforms: tuple[str, ...]) -> tuple[dict[str, Node], tuple[tuple[str, Location], ...]]:
    """Resources by logical id (file order), and the Fn::ForEach blocks left unexpanded."""
    section = read_section(root, "Resources")
    resources: dict[str, Node] = {}
    for_each: list[tuple[str, Location]] = []
    resources_node = root.get("Resources")
    for logical_id, resource in section.items():
        if logical_id.startswith("Fn::ForEach::"):
            require_extensions(transforms, logical_id, resources_node.key_location(logical_id))
            for_each.append((logical_id, resources_node.key_location(logical_id)))
            continue
        if not resource.is_mapping():
            raise TemplateError(f"resource {logical_id} must be a mapping", resource.location)
        if child_name(resource, "Type") is None:
            raise TemplateError(f"resource {logical_id} has no Type", resource.location)
        condition = resource.get("Condition")
        if condition is not None and name_of(condition) is None:
            raise TemplateError(f"resource {logical_id}: Condition must be a condition name", condition.location)
        resources[logical_id] = resource
    return resources, tuple(for_each)


def require_extensions(transforms: tuple[str, ...], what: str, location: Location) -> None:
    """``what`` exists only with the AWS::LanguageExtensions transform."""
    if LANGUAGE_EXTENSIONS not in transforms:
        raise TemplateError(f"{what} needs Transform: {LANGUAGE_EXTENSIONS}", location)
