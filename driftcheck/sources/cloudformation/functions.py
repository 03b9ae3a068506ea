"""The intrinsic functions other than Ref and Fn::GetAtt, one handler each, and the table of all handlers.

A handler is called as ``handler(template, node, arg)``: ``node`` is the one-key mapping
(``{"Fn::Join": arg}``), ``arg`` its argument, as written. It returns the result as a Node at the
function's line (or :data:`NO_VALUE`), using the evaluator's argument and result helpers
(:class:`~driftcheck.sources.cloudformation.intrinsics.Template`); an argument CloudFormation would
refuse is a :class:`TemplateError`.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from driftcheck.model import Unresolved
from driftcheck.sources.cloudformation.references import fn_getatt, fn_ref, getatt, ref
from driftcheck.sources.cloudformation.values import (
    NO_VALUE,
    NoValueType,
    TemplateError,
    child_name,
    clip,
    join_reasons,
    json_value,
    name_of,
    unresolved_in,
)
from driftcheck.sources.yaml_tree import Node

if TYPE_CHECKING:
    from driftcheck.sources.cloudformation.intrinsics import Template

_INDEX = re.compile(r"\d+")
_SUB_VAR = re.compile(r"\$\{([^}]*)\}")


def fn_sub(t: "Template", node: Node, arg: Node) -> Node:
    usage = "a string or [string, {name: value}]"
    variables: Mapping[str, Node] = MappingProxyType({})
    template = name_of(arg)
    if template is None:
        text_node, variables_node = t.args(arg, 2, "Fn::Sub", usage, node)
        template = name_of(text_node)
        if template is None or not variables_node.is_mapping():
            raise TemplateError(f"Fn::Sub expects {usage}", node.location)
        variables = variables_node.value
    pieces: list[str] = []
    unknown: list[Unresolved] = []
    known: dict[str, str | Unresolved] = {}  # each name is evaluated once
    position = size = 0
    for match in _SUB_VAR.finditer(template):
        pieces.append(template[position : match.start()])
        position = match.end()
        name = match.group(1).strip()
        if name.startswith("!"):
            pieces.append("${" + name[1:] + "}")
            continue
        if name not in known:
            known[name] = sub_variable(t, name, variables, node)
        value = known[name]
        if isinstance(value, Unresolved):
            unknown.append(value)
        else:
            size += len(value)
            t.spend(size, node, "Fn::Sub", check_only=True)
            pieces.append(value)
    pieces.append(template[position:])
    if unknown:
        return t.unknown(node, join_reasons(unknown))
    return t.string(node, "".join(pieces), "Fn::Sub")


def sub_variable(t: "Template", name: str, variables: Mapping[str, Node], at: Node) -> str | Unresolved:
    """The string one ``${name}`` of Fn::Sub stands for."""
    if name in variables:
        value: Node | NoValueType = t.evaluate(variables[name])
    elif name in t.parameters or name in t.resource_nodes or name.startswith("AWS::"):
        value = ref(t, name, at)
    elif "." in name and name.split(".", 1)[0] in t.resource_nodes:
        logical_id, attribute = name.split(".", 1)
        value = getatt(t, logical_id, attribute, at)
    else:
        raise TemplateError(f"Fn::Sub: ${{{name}}} is not a parameter, resource or variable", at.location)
    if value is NO_VALUE:
        raise TemplateError(f"Fn::Sub: ${{{name}}} is AWS::NoValue", at.location)
    if isinstance(value.value, Unresolved):
        return value.value
    if not value.is_scalar() or value.value is None:
        raise TemplateError(f"Fn::Sub: ${{{name}}} is not a string", at.location)
    return value.text() or ""


def fn_join(t: "Template", node: Node, arg: Node) -> Node:
    usage = "[delimiter, list]"
    delimiter_node, list_node = t.args(arg, 2, "Fn::Join", usage, node)
    delimiter = t.string_arg(delimiter_node, "Fn::Join", usage, node)
    items = t.list_arg(list_node, "Fn::Join", usage, node)
    unknown = [part for part in (delimiter, items) if isinstance(part, Unresolved)]
    if unknown:
        return t.unknown(node, join_reasons(unknown))
    texts: list[str] = []
    for item in items:  # type: ignore[union-attr]
        if isinstance(item.value, Unresolved):
            unknown.append(item.value)
        elif not item.is_scalar() or item.value is None:
            raise TemplateError("Fn::Join: every list item must be a string", item.location)
        else:
            texts.append(item.text() or "")
    if unknown:
        return t.unknown(node, join_reasons(unknown))
    t.spend(sum(map(len, texts)) + len(delimiter) * len(texts), node, "Fn::Join", check_only=True)  # type: ignore[arg-type]
    return t.string(node, delimiter.join(texts), "Fn::Join")  # type: ignore[union-attr]


def fn_select(t: "Template", node: Node, arg: Node) -> Node:
    usage = "[index, list]"
    index_node, list_node = t.args(arg, 2, "Fn::Select", usage, node)
    index = t.string_arg(index_node, "Fn::Select", usage, node)
    items = t.list_arg(list_node, "Fn::Select", usage, node)
    unknown = [part for part in (index, items) if isinstance(part, Unresolved)]
    if unknown:
        return t.unknown(node, join_reasons(unknown))
    if not _INDEX.fullmatch(index) or len(index) > 18:  # type: ignore[arg-type]
        raise TemplateError(f"Fn::Select: index '{clip(index)}' is not a non-negative integer", node.location)
    position = int(index)  # type: ignore[arg-type]
    if position >= len(items):  # type: ignore[arg-type]
        raise TemplateError(
            f"Fn::Select: index {position} is out of range for a list of {len(items)}", node.location  # type: ignore[arg-type]
        )
    return t.reline(items[position], node)  # type: ignore[index]


def fn_split(t: "Template", node: Node, arg: Node) -> Node:
    usage = "[delimiter, string]"
    delimiter_node, source_node = t.args(arg, 2, "Fn::Split", usage, node)
    delimiter = t.string_arg(delimiter_node, "Fn::Split", usage, node)
    source = t.string_arg(source_node, "Fn::Split", usage, node)
    unknown = [part for part in (delimiter, source) if isinstance(part, Unresolved)]
    if unknown:
        return t.unknown(node, join_reasons(unknown))
    if delimiter == "":
        raise TemplateError("Fn::Split: the delimiter must not be empty", node.location)
    parts = source.split(delimiter)  # type: ignore[union-attr,arg-type]
    return Node(tuple(t.string(node, part, "Fn::Split") for part in parts), node.line, node.file)


def fn_base64(t: "Template", node: Node, arg: Node) -> Node:
    text = t.string_arg(arg, "Fn::Base64", "a string", node)
    if isinstance(text, Unresolved):
        return t.unknown(node, text)
    return t.string(node, base64.b64encode(text.encode("utf-8")).decode("ascii"), "Fn::Base64")

# lookups and choices


def fn_find_in_map(t: "Template", node: Node, arg: Node) -> Node | NoValueType:
    usage = "[map, top-level key, second-level key]"
    items = t.args(arg, (3, 4), "Fn::FindInMap", usage, node)
    default: Node | None = None
    if len(items) == 4:
        option = items[3]
        if not option.is_mapping() or set(option.value) != {"DefaultValue"}:
            raise TemplateError(f"Fn::FindInMap expects {usage} and optionally {{DefaultValue: value}}", node.location)
        t.require_extensions("Fn::FindInMap DefaultValue", option.location)
        default = option.value["DefaultValue"]
    keys = [t.string_arg(item, "Fn::FindInMap", usage, node) for item in items[:3]]
    unknown = [key for key in keys if isinstance(key, Unresolved)]
    if unknown:
        return t.unknown(node, join_reasons(unknown))
    map_name, top_key, second_key = keys
    mapping = t.mappings.get(map_name)  # type: ignore[arg-type]
    if mapping is None:
        raise TemplateError(f"Fn::FindInMap: there is no mapping {map_name} in Mappings", node.location)
    top = mapping.value.get(top_key)
    value = top.value.get(second_key) if top is not None else None
    if value is None:
        if default is not None:
            return t.evaluate(default)
        missing = f"key {top_key}" if top is None else f"key {top_key}.{second_key}"
        raise TemplateError(f"Fn::FindInMap: mapping {map_name} has no {missing}", node.location)
    return t.evaluate(t.reline(value, node))


def fn_if(t: "Template", node: Node, arg: Node) -> Node | NoValueType:
    usage = "[condition, value if true, value if false]"
    condition_node, when_true, when_false = t.args(arg, 3, "Fn::If", usage, node)
    name = name_of(condition_node)
    if name is None:
        raise TemplateError(f"Fn::If expects {usage}", node.location)
    if t.conditions.evaluating:
        raise TemplateError("Fn::If cannot be used in the Conditions section", node.location)
    value = t.conditions.value(name, condition_node)
    if isinstance(value, Unresolved):
        # ask at once for what the branches need too, so one run with those inputs gives the value
        needs = [reason for reason in t.needs_of(when_true, when_false) if reason.reason not in value.reason]
        also = f"; and its branches need: {join_reasons(needs).reason}" if needs else ""
        return t.unknown(node, f"Fn::If {name}: {value.reason}{also}")
    return t.evaluate(when_true if value else when_false)

# functions driftcheck does not evaluate


def fn_import_value(t: "Template", node: Node, arg: Node) -> Node:
    name = t.string_arg(arg, "Fn::ImportValue", "an export name", node)
    if isinstance(name, str) and name in t.inputs.exports:
        return t.string(node, t.inputs.exports[name], "Fn::ImportValue")
    if isinstance(name, str):
        return t.unknown(
            node,
            f"ImportValue {name!r} is resolved only by CloudFormation at deploy time; driftcheck does not read stack "
            f"exports: pass --export {name}=VALUE (the value `aws cloudformation list-exports` shows) to compare it",
        )
    return t.unknown(node, f"ImportValue whose export name is not known ({name.reason}); its value is not compared")


def fn_get_azs(t: "Template", node: Node, arg: Node) -> Node:
    return t.unknown(node, "Fn::GetAZs: the region's Availability Zones are not read")


def fn_cidr(t: "Template", node: Node, arg: Node) -> Node:
    return t.unknown(node, "Fn::Cidr is not evaluated by driftcheck")


def fn_transform(t: "Template", node: Node, arg: Node) -> Node:
    macro = child_name(arg, "Name")
    shown = f" {macro}" if macro else ""
    return t.unknown(node, f"Fn::Transform{shown}: macros run in CloudFormation at deploy time; driftcheck does not run them")

# AWS::LanguageExtensions


def fn_length(t: "Template", node: Node, arg: Node) -> Node:
    t.require_extensions("Fn::Length", node.location)
    items = t.list_arg(arg, "Fn::Length", "a list", node)
    if isinstance(items, Unresolved):
        return t.unknown(node, items)
    return Node(len(items), node.line, node.file)


def fn_to_json_string(t: "Template", node: Node, arg: Node) -> Node:
    t.require_extensions("Fn::ToJsonString", node.location)
    value = t.arg_node(arg, "Fn::ToJsonString", "an object or a list", node)
    unknown = unresolved_in(value)
    if unknown:
        return t.unknown(node, join_reasons(unknown))
    if value.is_scalar():
        raise TemplateError("Fn::ToJsonString expects an object or a list", node.location)
    text = json.dumps(json_value(value), separators=(",", ":"), ensure_ascii=False)
    return t.string(node, text, "Fn::ToJsonString")



HANDLERS: Mapping[str, Any] = MappingProxyType(
    {
        "Ref": fn_ref,
        "Fn::GetAtt": fn_getatt,
        "Fn::Sub": fn_sub,
        "Fn::Join": fn_join,
        "Fn::Select": fn_select,
        "Fn::Split": fn_split,
        "Fn::Base64": fn_base64,
        "Fn::FindInMap": fn_find_in_map,
        "Fn::If": fn_if,
        "Fn::ImportValue": fn_import_value,
        "Fn::GetAZs": fn_get_azs,
        "Fn::Cidr": fn_cidr,
        "Fn::Transform": fn_transform,
        "Fn::Length": fn_length,
        "Fn::ToJsonString": fn_to_json_string,
    }
)
