"""Ref and Fn::GetAtt: parameters, pseudo-parameters and other resources.

A resource is known only by its physical id from the deployed stack (``--stack``); an attribute only
when it follows from that id (an Image Builder resource's ARN is its physical id; an IAM role's ARN
is built from its name). Pseudo-parameters come from the command line (``--region``,
``--account-id``, ``--stack-name``) or the stack; partition and URL suffix from botocore's data.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING

from driftcheck.model import Unresolved
from driftcheck.sources.cloudformation.values import (
    NO_VALUE,
    NoValueType,
    TemplateError,
    child_name,
    join_reasons,
    name_of,
)
from driftcheck.sources.yaml_tree import Node

if TYPE_CHECKING:
    from driftcheck.sources.cloudformation.intrinsics import Template


@functools.lru_cache(maxsize=64)
def _partition_for(region: str) -> str | None:
    """The partition botocore places ``region`` in, or None when it knows none."""
    import boto3

    try:
        return boto3.session.Session().get_partition_for_region(region)
    except Exception:  # botocore raises UnknownRegionError, or others on broken data
        return None


@functools.lru_cache(maxsize=1)
def _dns_suffixes() -> Mapping[str, str]:
    """Partition id -> DNS suffix, from botocore's bundled partition data (empty if unavailable)."""
    try:
        import botocore.loaders

        data = botocore.loaders.create_loader().load_data("partitions")
        suffixes = {item["id"]: item.get("outputs", {}).get("dnsSuffix") for item in data["partitions"]}
        return MappingProxyType({key: value for key, value in suffixes.items() if isinstance(value, str)})
    except Exception:
        return MappingProxyType({})


def fn_ref(t: "Template", node: Node, arg: Node) -> Node | NoValueType:
    name = name_of(arg)
    if name is None:
        raise TemplateError("Ref expects a parameter, pseudo-parameter or resource name", node.location)
    return ref(t, name, node)


def ref(t: "Template", name: str, at: Node) -> Node | NoValueType:
    """Ref semantics: parameter, pseudo-parameter or resource."""
    parameter = t.parameters.get(name)
    if parameter is not None:
        return t.value_node(at, parameter.value)
    if name.startswith("AWS::"):
        return pseudo(t, name, at)
    resource = t.resource_nodes.get(name)
    if resource is None:
        raise TemplateError(f"Ref to unknown parameter or resource {name}", at.location)
    check_referenceable(t, name, at, "Ref")
    physical_id = t.inputs.physical_ids.get(name)
    if physical_id is not None:
        return t.string(at, physical_id)
    return t.unknown(at, f"Ref {name}: resource {child_name(resource, 'Type')}; {t.inputs.stack_hint()}")


def check_referenceable(t: "Template", logical_id: str, at: Node, function: str) -> None:
    """Resources cannot be referenced from Conditions, nor when their Condition is false."""
    if t.conditions.evaluating:
        raise TemplateError(f"{function} {logical_id}: conditions cannot refer to resources", at.location)
    created = t.resource_condition(logical_id)
    if created is False:
        condition = name_of(t.resource_nodes[logical_id].get("Condition"))
        raise TemplateError(
            f"{function} {logical_id}: the resource is not created (its condition {condition} is false)", at.location
        )


def partition_of(t: "Template") -> str | Unresolved:
    """AWS::Partition from the region."""
    region = t.inputs.region
    if region is None:
        return Unresolved("AWS::Partition is not known: pass --region")
    partition = _partition_for(region)
    if partition is None:
        return Unresolved(f"AWS::Partition is not known: botocore knows no partition for region {region}")
    return partition


def pseudo_value(t: "Template", name: str) -> str | Unresolved | NoValueType | None:
    """A pseudo-parameter's value; None for an unknown name."""
    inputs = t.inputs
    if name == "AWS::NoValue":
        return NO_VALUE
    if name == "AWS::Region":
        return inputs.region if inputs.region is not None else Unresolved("AWS::Region is not known: pass --region")
    if name == "AWS::AccountId":
        known = inputs.account_id
        return known if known is not None else Unresolved("AWS::AccountId is not known: pass --account-id")
    if name == "AWS::StackName":
        known = inputs.stack_name
        how = "pass --stack-name" if inputs.offline else "pass --stack-name or --stack"
        return known if known is not None else Unresolved(f"AWS::StackName is not known: {how}")
    if name == "AWS::StackId":
        how = "it is known only from the deployed stack: run online with --stack NAME" if inputs.offline else "pass --stack"
        return inputs.stack_id if inputs.stack_id is not None else Unresolved(f"AWS::StackId is not known: {how}")
    if name == "AWS::Partition":
        return partition_of(t)
    if name == "AWS::URLSuffix":
        partition = partition_of(t)
        if isinstance(partition, Unresolved):
            return Unresolved(partition.reason.replace("AWS::Partition", "AWS::URLSuffix", 1))
        suffix = _dns_suffixes().get(partition)
        if suffix is None:
            return Unresolved(f"AWS::URLSuffix is not known: botocore has no DNS suffix for partition {partition}")
        return suffix
    if name == "AWS::NotificationARNs":
        return Unresolved("AWS::NotificationARNs is not known: the stack's notification ARNs are not read")
    return None


def pseudo(t: "Template", name: str, at: Node) -> Node | NoValueType:
    value = pseudo_value(t, name)
    if value is None:
        raise TemplateError(f"Ref to unknown parameter or resource {name}", at.location)
    if value is NO_VALUE:
        return NO_VALUE
    return t.value_node(at, value)  # type: ignore[arg-type]


def fn_getatt(t: "Template", node: Node, arg: Node) -> Node:
    usage = '[resource, attribute] or "resource.attribute"'
    text = name_of(arg)
    if text is not None:
        if "." not in text:
            raise TemplateError(f"Fn::GetAtt expects {usage}", node.location)
        logical_id, attribute = text.split(".", 1)
        return getatt(t, logical_id, attribute, node)
    logical, attribute_node = t.args(arg, 2, "Fn::GetAtt", usage, node)
    logical_id = name_of(logical)
    if logical_id is None:
        raise TemplateError(f"Fn::GetAtt expects {usage}", node.location)
    attribute = t.string_arg(attribute_node, "Fn::GetAtt", usage, node)
    return getatt(t, logical_id, attribute, node)


def getatt(t: "Template", logical_id: str, attribute: str | Unresolved, at: Node) -> Node:
    """GetAtt semantics: only ARNs that follow from a physical id are known."""
    resource = t.resource_nodes.get(logical_id)
    if resource is None:
        raise TemplateError(f"Fn::GetAtt to unknown resource {logical_id}", at.location)
    check_referenceable(t, logical_id, at, "Fn::GetAtt")
    if isinstance(attribute, Unresolved):
        return t.unknown(at, f"Fn::GetAtt {logical_id}: attribute name: {attribute.reason}")
    resource_type = child_name(resource, "Type")
    what = f"Fn::GetAtt {logical_id}.{attribute}"
    physical_id = t.inputs.physical_ids.get(logical_id)
    if physical_id is None:
        return t.unknown(at, f"{what}: resource {resource_type}; {t.inputs.stack_hint()}")
    if attribute == "Arn" and resource_type.startswith("AWS::ImageBuilder::"):
        return t.string(at, physical_id, "Fn::GetAtt")  # Image Builder resources' physical id is their ARN
    if attribute == "Arn" and resource_type == "AWS::IAM::Role":
        # The role's Path is not in its physical id (the role name), so a role with a path gets
        # an ARN without it; driftcheck compares execution roles by name, so that is harmless.
        partition = partition_of(t)
        missing = [partition] if isinstance(partition, Unresolved) else []
        if t.inputs.account_id is None:
            missing.append(Unresolved("AWS::AccountId is not known: pass --account-id"))
        if missing:
            return t.unknown(at, f"{what}: {join_reasons(missing).reason}")
        return t.string(at, f"arn:{partition}:iam::{t.inputs.account_id}:role/{physical_id}", "Fn::GetAtt")
    return t.unknown(at, f"{what}: the attribute of a {resource_type} is not derived from its physical id")

# strings
