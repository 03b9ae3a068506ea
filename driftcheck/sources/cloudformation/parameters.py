"""Template Parameters: each parameter's value in this run, its list splitting, and its constraints.

A parameter's value is the first of ``--var``, a parameter file, the deployed stack, ``Default``;
none of them gives an Unresolved value whose reason says what would. For an
``AWS::SSM::Parameter::Value<...>`` parameter a parameter file (or ``Default``) names the SSM
parameter, so the value is unresolved; ``--var`` and the deployed stack give the value itself.
``AllowedValues``, ``AllowedPattern``, lengths and ranges are checked on the value in use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from driftcheck.model import Location, Unresolved
from driftcheck.sources.cloudformation.sections import read_section
from driftcheck.sources.cloudformation.values import (
    ParameterValue,
    TemplateError,
    TemplateInputs,
    child_name,
    clip,
    name_of,
)
from driftcheck.sources.yaml_tree import Node

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_INDEX = re.compile(r"\d+")
_AWS_SPECIFIC = re.compile(r"AWS::[A-Za-z0-9]+::[A-Za-z0-9]+::[A-Za-z0-9]+")
_SSM_VALUE = "AWS::SSM::Parameter::Value<"


@dataclass(frozen=True)
class Parameter:
    """A declared parameter and its value in this run."""

    name: str
    type: str
    value: ParameterValue


def parameter_kind(type_name: str) -> tuple[str, bool, bool] | None:
    """(element type, is a list, is an SSM parameter value) for a supported parameter Type, else None."""
    inner, ssm_value = type_name, False
    if type_name.startswith(_SSM_VALUE) and type_name.endswith(">"):
        inner, ssm_value = type_name[len(_SSM_VALUE) : -1], True
    if inner == "CommaDelimitedList":
        return "String", True, ssm_value
    if inner.startswith("List<") and inner.endswith(">"):
        element = inner[len("List<") : -1]
        if element in ("String", "Number") or _AWS_SPECIFIC.fullmatch(element):
            return element, True, ssm_value
        return None
    if inner in ("String", "Number") or _AWS_SPECIFIC.fullmatch(inner):
        return inner, False, ssm_value
    return None


def read_parameters(root: Node, inputs: TemplateInputs) -> dict[str, Parameter]:
    """Every parameter with its value: override, else Default, else Unresolved; constraints checked."""
    section = read_section(root, "Parameters")
    parameters_node = root.get("Parameters")
    result: dict[str, Parameter] = {}
    for name, spec in section.items():
        location = parameters_node.key_location(name)
        if not spec.is_mapping():
            raise TemplateError(f"parameter {name} must be a mapping", location)
        type_name = child_name(spec, "Type")
        if type_name is None:
            raise TemplateError(f"parameter {name} has no Type", location)
        result[name] = Parameter(name, type_name, parameter_value(inputs, name, type_name, spec, location))
    return result


def parameter_value(inputs: TemplateInputs, name: str, type_name: str, spec: Node, location: Location) -> ParameterValue:
    """The value one parameter takes in this run."""
    kind = parameter_kind(type_name)
    if kind is None:
        raise TemplateError(f"parameter {name} has unsupported Type {type_name}", location)
    element, is_list, ssm_value = kind
    override = inputs.parameter_values.get(name)
    if override is None:
        written = inputs.file_values.get(name)
        if written is not None and ssm_value:
            return Unresolved(
                f"parameter {name} ({type_name}) is read from SSM parameter {written} at deploy time: "
                + inputs.var_hint(name)
            )
        override = written if written is not None else inputs.deployed_values.get(name)
    if isinstance(override, Unresolved):  # e.g. a NoEcho value the deployed stack masks
        return override
    if override is not None:
        text, source = str(override), "value"
    elif ssm_value:
        default = spec.get("Default")
        hint = inputs.var_hint(name)
        if default is not None and default.text() is not None:
            return Unresolved(
                f"parameter {name} ({type_name}) is read from SSM parameter {default.text()} at deploy time: {hint}"
            )
        return Unresolved(f"parameter {name} ({type_name}) has no value: {hint}")
    else:
        default = spec.get("Default")
        if default is None:
            return Unresolved(f"parameter {name} has no Default: {inputs.var_hint(name)}")
        if not default.is_scalar() or default.value is None:
            raise TemplateError(f"parameter {name}: Default must be a string", default.location)
        text, source = default.text(), "Default"
    members = tuple(part.strip() for part in text.split(",")) if is_list else (text,)
    if not ssm_value:
        for member in members:
            check_constraints(name, spec, element, member, source, location)
    return members if is_list else text


def check_constraints(
    name: str, spec: Node, element: str, value: str, source: str, location: Location
) -> None:
    """Raise a TemplateError at the parameter when ``value`` breaks one of its constraints."""
    description = spec.get("ConstraintDescription")
    described = f" ({clip(description.text())})" if description is not None and description.text() else ""
    prefix = f"parameter {name}: {source} '{clip(value)}'"
    if element == "Number" and not _NUMBER.fullmatch(value):
        raise TemplateError(f"{prefix} is not a Number{described}", location)
    allowed = spec.get("AllowedValues")
    if allowed is not None:
        if not allowed.is_sequence():
            raise TemplateError(f"parameter {name}: AllowedValues must be a list", allowed.location)
        options = [item.text() for item in allowed.value]
        if value not in options:
            shown = clip(", ".join(str(option) for option in options), 200)
            raise TemplateError(f"{prefix} is not one of AllowedValues [{shown}]{described}", location)
    pattern = spec.get("AllowedPattern")
    if pattern is not None:
        if name_of(pattern) is None:
            raise TemplateError(f"parameter {name}: AllowedPattern must be a string", pattern.location)
        try:
            matched = re.fullmatch(name_of(pattern), value) is not None
        except re.error as error:
            raise TemplateError(f"parameter {name}: AllowedPattern is not a valid regular expression ({error})", pattern.location) from None
        if not matched:
            raise TemplateError(f"{prefix} does not match AllowedPattern {clip(name_of(pattern))}{described}", location)
    for key, too_far in (("MinLength", lambda limit: len(value) < limit), ("MaxLength", lambda limit: len(value) > limit)):
        limit_node = spec.get(key)
        if limit_node is None:
            continue
        limit_text = limit_node.text() or ""
        if not _INDEX.fullmatch(limit_text):
            raise TemplateError(f"parameter {name}: {key} must be a non-negative integer", limit_node.location)
        if too_far(Decimal(limit_text)):
            word = "shorter" if key == "MinLength" else "longer"
            raise TemplateError(f"{prefix} is {word} than {key} {limit_text}{described}", location)
    for key in ("MinValue", "MaxValue"):
        limit_node = spec.get(key)
        if limit_node is None or element != "Number":
            continue
        limit_text = limit_node.text() or ""
        try:
            limit = Decimal(limit_text)
        except InvalidOperation:
            raise TemplateError(f"parameter {name}: {key} must be a number", limit_node.location) from None
        number = Decimal(value)
        if (key == "MinValue" and number < limit) or (key == "MaxValue" and number > limit):
            word = "less" if key == "MinValue" else "greater"
            raise TemplateError(f"{prefix} is {word} than {key} {limit_text}{described}", location)
