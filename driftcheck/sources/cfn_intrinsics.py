"""Static evaluation of a CloudFormation template: Parameters, Mappings, Conditions and intrinsic functions.

This module's one job is to compute, without AWS, what CloudFormation would compute from a template
and its inputs, and to mark whatever cannot be known as :class:`~driftcheck.model.Unresolved` with
the reason (and, where there is one, the command-line flag that would make it known). Template
mistakes CloudFormation would reject (a Ref to an unknown name, a missing mapping key, a parameter
value that breaks its constraints, a condition cycle...) raise :class:`TemplateError` at their line.

It works on the located :class:`~driftcheck.sources.located.Node` tree the loader builds, where
short-form tags are already in long form, and returns new Nodes: nothing is mutated.

Decisions where CloudFormation's behaviour is not spelled out in its documentation:

* list parameters (``CommaDelimitedList``, ``List<...>``) are split on every comma and each member
  has its surrounding whitespace trimmed ("each member string is space trimmed"); ``""`` gives
  ``("",)`` since there is one more member than there are commas;
* ``AllowedValues``/``AllowedPattern``/``MinLength``/``MaxLength`` apply to each member of a list
  parameter, ``MinValue``/``MaxValue`` to each member of ``List<Number>``; the value in use
  (override, or else ``Default``) is checked; ``AllowedPattern`` is a Python regular expression that
  must match the whole value (CloudFormation uses Java's, equal for ordinary patterns);
* the value ``--var`` or the deployed stack gives for an ``AWS::SSM::Parameter::Value<...>`` parameter
  is taken as the resolved value (a parameter file's is the SSM parameter's name, so it is unresolved),
  and not checked against constraints (those apply to the SSM parameter's name);
* ``${ Name }`` in Fn::Sub is trimmed, as CloudFormation accepts it;
* only the branch Fn::If takes is evaluated, so mistakes in the other branch are not reported;
* a scalar produced by a function carries the function's line; a mapping or list taken as written
  from the template (the branch Fn::If takes, a Mappings entry, a literal list item Fn::Select picks)
  keeps its own nodes and lines; a scalar branch of Fn::If keeps its own line too;
* Fn::Length, Fn::ToJsonString, Fn::FindInMap's DefaultValue and Fn::ForEach need
  ``Transform: AWS::LanguageExtensions``, as in CloudFormation; Fn::ForEach is not expanded;
* Fn::Equals compares values as CloudFormation strings (``1`` equals ``"1"``, ``true`` equals
  ``"true"``); every item of Fn::And/Fn::Or is evaluated, so a mistake in any of them is reported
  even when another item already decides the result;
* a Ref or Fn::GetAtt to a resource whose Condition is false is an error (CloudFormation fails the
  stack), and so is one in the Conditions section;
* a name written as a plain YAML scalar is read as written (``Condition: No`` names the condition
  "No", which YAML 1.1 would read as false);
* one :meth:`Template.resolve` call may compute at most :data:`MAX_COMPUTED` characters of values,
  so exponential constructions (nested Fn::Base64, Fn::Sub repeating a variable) fail instead of
  exhausting memory.
"""

from __future__ import annotations

import base64
import functools
import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any, Final, NoReturn

from driftcheck.errors import SourceError
from driftcheck.model import Location, Unresolved
from driftcheck.sources.located import Node


class _NoValue:
    """The type of :data:`NO_VALUE` (one instance)."""

    _instance: "_NoValue | None" = None

    def __new__(cls) -> "_NoValue":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NO_VALUE"


NO_VALUE: Final = _NoValue()
"""What ``Ref: AWS::NoValue`` evaluates to: the property or list item is removed."""

LANGUAGE_EXTENSIONS: Final = "AWS::LanguageExtensions"
_EMPTY: Mapping[str, str] = MappingProxyType({})
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_INDEX = re.compile(r"\d+")
# What one evaluation (a resolve() call, or the template's conditions) may compute, in characters,
# counting each produced value as its length plus _NODE_COST: nested Fn::Base64, or Fn::Sub and
# Fn::Join repeating a large value, grow exponentially with nesting, and must fail, not eat memory.
MAX_COMPUTED: Final = 32 * 1024 * 1024
_NODE_COST = 64
_SUB_VAR = re.compile(r"\$\{([^}]*)\}")
_DYNAMIC_REF = re.compile(r"\{\{resolve:[^}]*\}\}")
_AWS_SPECIFIC = re.compile(r"AWS::[A-Za-z0-9]+::[A-Za-z0-9]+::[A-Za-z0-9]+")
_CONDITION_FUNCTIONS = ("Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not")
_SSM_VALUE = "AWS::SSM::Parameter::Value<"
_STACK_HINT = "pass --stack NAME to read it from the deployed stack"


class TemplateError(SourceError):
    """A template CloudFormation would reject; always carries the location of the offending node."""

    def __init__(self, message: str, location: Location) -> None:
        super().__init__(" ".join(message.splitlines()), location)


@dataclass(frozen=True)
class TemplateInputs:
    """What the command line and the deployed stack tell the evaluator; mappings are frozen on creation.

    A parameter's value is the first of: ``parameter_values`` (--var: the value to use),
    ``file_values`` (CloudFormation parameter files, meant as CloudFormation means them: for an
    ``AWS::SSM::Parameter::Value<...>`` parameter, the SSM parameter's *name*), ``deployed_values``
    (the deployed stack's resolved values; Unresolved where it masks a NoEcho value), ``Default``.
    """

    parameter_values: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    file_values: Mapping[str, str] = field(default_factory=lambda: _EMPTY)
    deployed_values: Mapping[str, "str | Unresolved"] = field(default_factory=lambda: _EMPTY)
    region: str | None = None
    account_id: str | None = None
    stack_name: str | None = None
    stack_id: str | None = None
    physical_ids: Mapping[str, str] = field(default_factory=lambda: _EMPTY)

    def __post_init__(self) -> None:
        for name in ("parameter_values", "file_values", "deployed_values", "physical_ids"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))


ParameterValue = str | tuple[str, ...] | Unresolved


@dataclass(frozen=True)
class _Parameter:
    """A declared parameter and its value in this run."""

    name: str
    type: str
    value: ParameterValue


# --------------------------------------------------------------------------- small helpers


def _clip(value: object, limit: int = 80) -> str:
    """A one-line, length-limited rendering of a value for messages (line breaks shown as \\n)."""
    text = value if isinstance(value, str) else str(value)
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _join_reasons(reasons: list[Unresolved]) -> Unresolved:
    """One Unresolved whose reason lists each distinct reason once, in order, joined by "; "."""
    seen: list[str] = []
    for item in reasons:
        if item.reason not in seen:
            seen.append(item.reason)
    return Unresolved("; ".join(seen))


def _dynamic_reference(text: str) -> Unresolved | None:
    """Unresolved when ``text`` holds a ``{{resolve:...}}`` dynamic reference, else None."""
    if "{{resolve:" not in text:
        return None
    found = _DYNAMIC_REF.search(text)
    reference = found.group(0) if found else text[text.index("{{resolve:") :]
    return Unresolved(
        f"dynamic reference {_clip(reference)} is resolved by CloudFormation at deploy time; "
        "driftcheck does not read it"
    )


def _is_intrinsic(node: Node) -> str | None:
    """The function name when ``node`` is an intrinsic (one key: Ref or Fn::*), else None."""
    if not node.is_mapping() or len(node.value) != 1:
        return None
    (key,) = node.value
    return key if key == "Ref" or key.startswith("Fn::") else None


def _name_of(node: Node) -> str | None:
    """A name written as a scalar (a plain ``No`` is YAML 1.1's false but the name "No" here), else None."""
    if not node.is_scalar() or node.value is None:
        return None
    return node.value if isinstance(node.value, str) else node.raw


def _child_name(node: Node, key: str) -> str | None:
    """The string under ``key`` of a mapping node, else None."""
    child = node.get(key)
    return _name_of(child) if child is not None else None


def _condition_refs(node: Node) -> Iterator[tuple[str | None, Node]]:
    """The (name, node) of every ``{Condition: name}`` a condition expression refers to.

    Only the places a condition may appear are searched (Fn::And, Fn::Or, Fn::Not items); shape
    mistakes are left for evaluation to report.
    """
    if not node.is_mapping() or len(node.value) != 1:
        return
    (key, arg), = node.value.items()
    if key == "Condition":
        yield _name_of(arg), arg
    elif key in ("Fn::And", "Fn::Or", "Fn::Not") and arg.is_sequence():
        for item in arg.value:
            yield from _condition_refs(item)


def _unresolved_in(node: Node) -> list[Unresolved]:
    """Every Unresolved marker in a resolved tree."""
    if isinstance(node.value, Unresolved):
        return [node.value]
    if node.is_mapping():
        return [item for child in node.value.values() for item in _unresolved_in(child)]
    if node.is_sequence():
        return [item for child in node.value for item in _unresolved_in(child)]
    return []


def _json_value(node: Node) -> Any:
    """A resolved, fully known tree as JSON-ready Python values (dates as written)."""
    if node.is_mapping():
        return {key: _json_value(child) for key, child in node.value.items()}
    if node.is_sequence():
        return [_json_value(child) for child in node.value]
    if node.value is None or isinstance(node.value, (str, bool, int, float)):
        return node.value
    return node.text()


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


def _parameter_kind(type_name: str) -> tuple[str, bool, bool] | None:
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


# --------------------------------------------------------------------------- the template


class Template:
    """One CloudFormation template evaluated against its inputs.

    Construction checks the shape of the Parameters, Mappings, Conditions and Resources sections,
    computes every parameter's value (checking its constraints) and evaluates every condition, so a
    template CloudFormation would reject fails here with a :class:`TemplateError`.
    """

    def __init__(self, root: Node, inputs: TemplateInputs) -> None:
        self._root = root
        self._inputs = inputs
        self._in_conditions = 0
        self._budget = MAX_COMPUTED
        if not root.is_mapping():
            raise TemplateError("a CloudFormation template must be a mapping", root.location)
        self._transforms = self._read_transforms()
        self._mappings = self._read_mappings()
        self._resources, self._unexpanded_for_each = self._read_resources()
        self._condition_defs = self._read_condition_defs()
        self._parameters = self._read_parameters()
        self._condition_values: dict[str, bool | Unresolved] = {}
        for name in self._condition_order():  # dependencies first, so evaluation never recurses deeply
            self._condition(name, root)
        for logical_id, resource in self._resources.items():
            self._check_resource_condition(logical_id, resource)

    # ----------------------------------------------------------------- public API

    @property
    def transforms(self) -> tuple[str, ...]:
        """The names in the template's Transform section (the caller decides what a macro means)."""
        return self._transforms

    @property
    def unexpanded_for_each(self) -> tuple[tuple[str, Location], ...]:
        """The ``Fn::ForEach::Name`` blocks of Resources, which :meth:`resources` does not expand."""
        return self._unexpanded_for_each

    def parameter(self, name: str) -> ParameterValue:
        """A parameter's value: a string, a tuple of strings (list types) or Unresolved."""
        spec = self._parameters.get(name)
        if spec is None:
            raise TemplateError(f"unknown parameter {name}", self._root.location)
        return spec.value

    def condition(self, name: str) -> bool | Unresolved:
        """A condition's value (three-valued: True, False or Unresolved)."""
        return self._condition(name, self._root)

    def resources(self) -> Iterator[tuple[str, Node]]:
        """(logical id, resource node) in file order; Fn::ForEach blocks are not expanded (see ``unexpanded_for_each``)."""
        yield from self._resources.items()

    def resource_condition(self, logical_id: str) -> bool | Unresolved:
        """Whether the resource is created: its Condition's value, True when it has none."""
        resource = self._resources.get(logical_id)
        if resource is None:
            raise TemplateError(f"unknown resource {logical_id}", self._root.location)
        condition = resource.get("Condition")
        if condition is None:
            return True
        return self._condition(_name_of(condition), condition)

    def resolve(self, node: Node) -> Node | _NoValue:
        """``node`` with every intrinsic function replaced by its result (see the module docstring).

        Computing more than :data:`MAX_COMPUTED` characters of values is a TemplateError.
        """
        self._budget = MAX_COMPUTED
        return self._resolve(node)

    # ----------------------------------------------------------------- sections

    def _section(self, name: str) -> Mapping[str, Node]:
        """A top-level section as a mapping (empty when absent); anything else is a TemplateError."""
        node = self._root.get(name)
        if node is None or node.value is None:
            return MappingProxyType({})
        if not node.is_mapping():
            raise TemplateError(f"the {name} section must be a mapping", node.location)
        return node.value

    def _read_transforms(self) -> tuple[str, ...]:
        """The names in the Transform section (a string or a list of strings)."""
        node = self._root.get("Transform")
        if node is None:
            return ()
        items = node.value if node.is_sequence() else (node,)
        names = []
        for item in items:
            name = _name_of(item)
            if name is None:
                raise TemplateError("Transform must be a transform name or a list of names", item.location)
            names.append(name)
        return tuple(names)

    def _read_mappings(self) -> Mapping[str, Node]:
        """The Mappings section, checked: map -> top-level key -> second-level key -> string or list."""
        mappings = self._section("Mappings")
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

    def _read_resources(self) -> tuple[dict[str, Node], tuple[tuple[str, Location], ...]]:
        """Resources by logical id (file order), and the Fn::ForEach blocks left unexpanded."""
        section = self._section("Resources")
        resources: dict[str, Node] = {}
        for_each: list[tuple[str, Location]] = []
        resources_node = self._root.get("Resources")
        for logical_id, resource in section.items():
            if logical_id.startswith("Fn::ForEach::"):
                self._require_extensions(logical_id, resources_node.key_location(logical_id))
                for_each.append((logical_id, resources_node.key_location(logical_id)))
                continue
            if not resource.is_mapping():
                raise TemplateError(f"resource {logical_id} must be a mapping", resource.location)
            if _child_name(resource, "Type") is None:
                raise TemplateError(f"resource {logical_id} has no Type", resource.location)
            condition = resource.get("Condition")
            if condition is not None and _name_of(condition) is None:
                raise TemplateError(f"resource {logical_id}: Condition must be a condition name", condition.location)
            resources[logical_id] = resource
        return resources, tuple(for_each)

    def _check_resource_condition(self, logical_id: str, resource: Node) -> None:
        """A resource's Condition must name a declared condition."""
        condition = resource.get("Condition")
        if condition is not None and _name_of(condition) not in self._condition_defs:
            raise TemplateError(f"resource {logical_id}: unknown condition {_name_of(condition)}", condition.location)

    def _read_condition_defs(self) -> Mapping[str, Node]:
        """The Conditions section (evaluated later, memoized)."""
        return self._section("Conditions")

    def _read_parameters(self) -> dict[str, _Parameter]:
        """Every parameter with its value: override, else Default, else Unresolved; constraints checked."""
        section = self._section("Parameters")
        parameters_node = self._root.get("Parameters")
        result: dict[str, _Parameter] = {}
        for name, spec in section.items():
            location = parameters_node.key_location(name)
            if not spec.is_mapping():
                raise TemplateError(f"parameter {name} must be a mapping", location)
            type_name = _child_name(spec, "Type")
            if type_name is None:
                raise TemplateError(f"parameter {name} has no Type", location)
            result[name] = _Parameter(name, type_name, self._parameter_value(name, type_name, spec, location))
        return result

    def _parameter_value(self, name: str, type_name: str, spec: Node, location: Location) -> ParameterValue:
        """The value one parameter takes in this run."""
        kind = _parameter_kind(type_name)
        if kind is None:
            raise TemplateError(f"parameter {name} has unsupported Type {type_name}", location)
        element, is_list, ssm_value = kind
        override = self._inputs.parameter_values.get(name)
        if override is None:
            written = self._inputs.file_values.get(name)
            if written is not None and ssm_value:
                return Unresolved(
                    f"parameter {name} ({type_name}) is read from SSM parameter {written} at deploy time: "
                    f"pass --var {name}=VALUE or --stack"
                )
            override = written if written is not None else self._inputs.deployed_values.get(name)
        if isinstance(override, Unresolved):  # e.g. a NoEcho value the deployed stack masks
            return override
        if override is not None:
            text, source = str(override), "value"
        elif ssm_value:
            default = spec.get("Default")
            hint = f"pass --var {name}=VALUE or --stack"
            if default is not None and default.text() is not None:
                return Unresolved(
                    f"parameter {name} ({type_name}) is read from SSM parameter {default.text()} at deploy time: {hint}"
                )
            return Unresolved(f"parameter {name} ({type_name}) has no value: {hint}")
        else:
            default = spec.get("Default")
            if default is None:
                return Unresolved(f"parameter {name} has no Default: pass --var {name}=VALUE or --stack")
            if not default.is_scalar() or default.value is None:
                raise TemplateError(f"parameter {name}: Default must be a string", default.location)
            text, source = default.text(), "Default"
        members = tuple(part.strip() for part in text.split(",")) if is_list else (text,)
        if not ssm_value:
            for member in members:
                self._check_constraints(name, spec, element, member, source, location)
        return members if is_list else text

    def _check_constraints(
        self, name: str, spec: Node, element: str, value: str, source: str, location: Location
    ) -> None:
        """Raise a TemplateError at the parameter when ``value`` breaks one of its constraints."""
        description = spec.get("ConstraintDescription")
        described = f" ({_clip(description.text())})" if description is not None and description.text() else ""
        prefix = f"parameter {name}: {source} '{_clip(value)}'"
        if element == "Number" and not _NUMBER.fullmatch(value):
            raise TemplateError(f"{prefix} is not a Number{described}", location)
        allowed = spec.get("AllowedValues")
        if allowed is not None:
            if not allowed.is_sequence():
                raise TemplateError(f"parameter {name}: AllowedValues must be a list", allowed.location)
            options = [item.text() for item in allowed.value]
            if value not in options:
                shown = _clip(", ".join(str(option) for option in options), 200)
                raise TemplateError(f"{prefix} is not one of AllowedValues [{shown}]{described}", location)
        pattern = spec.get("AllowedPattern")
        if pattern is not None:
            if _name_of(pattern) is None:
                raise TemplateError(f"parameter {name}: AllowedPattern must be a string", pattern.location)
            try:
                matched = re.fullmatch(_name_of(pattern), value) is not None
            except re.error as error:
                raise TemplateError(f"parameter {name}: AllowedPattern is not a valid regular expression ({error})", pattern.location) from None
            if not matched:
                raise TemplateError(f"{prefix} does not match AllowedPattern {_clip(_name_of(pattern))}{described}", location)
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

    def _require_extensions(self, what: str, location: Location) -> None:
        """``what`` exists only with the AWS::LanguageExtensions transform."""
        if LANGUAGE_EXTENSIONS not in self._transforms:
            raise TemplateError(f"{what} needs Transform: {LANGUAGE_EXTENSIONS}", location)

    # ----------------------------------------------------------------- conditions

    def _condition_order(self) -> list[str]:
        """Condition names, each after the conditions it refers to (iterative depth-first search).

        Unknown names and cycles are TemplateErrors.
        """
        order: list[str] = []
        done: set[str] = set()
        for first in self._condition_defs:
            if first in done:
                continue
            path, on_path = [first], {first}
            pending = [iter(_condition_refs(self._condition_defs[first]))]
            while pending:
                for name, at in pending[-1]:
                    if name is None:
                        continue  # not a name: evaluation says what is wrong
                    if name not in self._condition_defs:
                        raise TemplateError(f"unknown condition {name}", at.location)
                    if name in on_path:
                        self._raise_cycle(path[path.index(name) :] + [name])
                    if name not in done:
                        path.append(name)
                        on_path.add(name)
                        pending.append(iter(_condition_refs(self._condition_defs[name])))
                        break
                else:
                    pending.pop()
                    finished = path.pop()
                    on_path.discard(finished)
                    done.add(finished)
                    order.append(finished)
        return order

    def _raise_cycle(self, cycle: list[str]) -> NoReturn:
        """A condition that depends on itself, reported at the first condition of the cycle."""
        location = self._root.get("Conditions").key_location(cycle[0])
        raise TemplateError(f"condition {cycle[0]} depends on itself: {_clip(' -> '.join(cycle), 200)}", location)

    def _condition(self, name: str | None, at: Node) -> bool | Unresolved:
        """A named condition's value, memoized; an unknown name is a TemplateError.

        Construction evaluates conditions in :meth:`_condition_order`, so the conditions one refers
        to are already known (no deep recursion) and cycles were reported before.
        """
        if name is None or name not in self._condition_defs:
            raise TemplateError(f"unknown condition {name}", at.location)
        if name in self._condition_values:
            return self._condition_values[name]
        self._in_conditions += 1
        try:
            value = self._condition_expr(self._condition_defs[name])
        finally:
            self._in_conditions -= 1
        self._condition_values[name] = value
        return value

    def _condition_expr(self, node: Node) -> bool | Unresolved:
        """A condition expression: Fn::Equals, Fn::And, Fn::Or, Fn::Not or {Condition: name}."""
        key = next(iter(node.value)) if node.is_mapping() and len(node.value) == 1 else None
        if key not in (*_CONDITION_FUNCTIONS, "Condition"):
            raise TemplateError(
                "a condition must be Fn::Equals, Fn::And, Fn::Or, Fn::Not or a Condition reference", node.location
            )
        arg = node.value[key]
        if key == "Condition":
            if _name_of(arg) is None:
                raise TemplateError("Condition expects a condition name", node.location)
            return self._condition(_name_of(arg), arg)
        if key == "Fn::Equals":
            if not arg.is_sequence() or len(arg.value) != 2:
                raise TemplateError("Fn::Equals expects [value, value]", node.location)
            left, right = (self._comparable(item, node) for item in arg.value)
            unknown = [side for side in (left, right) if isinstance(side, Unresolved)]
            return _join_reasons(unknown) if unknown else left == right
        if key == "Fn::Not":
            if not arg.is_sequence() or len(arg.value) != 1:
                raise TemplateError("Fn::Not expects [condition]", node.location)
            value = self._condition_expr(arg.value[0])
            return value if isinstance(value, Unresolved) else not value
        if not arg.is_sequence() or not 2 <= len(arg.value) <= 10:
            raise TemplateError(f"{key} expects a list of 2 to 10 conditions", node.location)
        values = [self._condition_expr(item) for item in arg.value]
        decisive = key == "Fn::Or"  # Or is decided by a True, And by a False
        if any(value is decisive for value in values):
            return decisive
        unknown = [value for value in values if isinstance(value, Unresolved)]
        return _join_reasons(unknown) if unknown else not decisive

    def _comparable(self, node: Node, at: Node) -> str | tuple[str, ...] | Unresolved:
        """A value of Fn::Equals as CloudFormation compares it: a string (or a list of strings)."""
        value = self._resolve(node)
        if value is NO_VALUE:
            raise TemplateError("Fn::Equals cannot compare AWS::NoValue", at.location)
        if isinstance(value.value, Unresolved):
            return value.value
        if value.is_mapping():
            raise TemplateError("Fn::Equals compares strings, not mappings", at.location)
        if value.is_sequence():
            items = [self._comparable(item, at) for item in value.value]
            unknown = [item for item in items if isinstance(item, Unresolved)]
            return _join_reasons(unknown) if unknown else tuple(items)  # type: ignore[arg-type]
        return value.text() or ""

    # ----------------------------------------------------------------- resolution

    def _resolve(self, node: Node) -> Node | _NoValue:
        """The recursive core of :meth:`resolve`."""
        function = _is_intrinsic(node)
        if function is not None:
            return self._call(function, node)
        if node.is_mapping():
            for key in node.value:
                if key.startswith("Fn::ForEach::"):
                    self._require_extensions(key, node.key_location(key))
                    return Node(Unresolved(f"{key}: Fn::ForEach is not expanded by driftcheck"), node.line, node.file)
            children: dict[str, Node] = {}
            changed = False
            for key, child in node.value.items():
                result = self._resolve(child)
                if result is NO_VALUE:
                    changed = True
                    continue
                changed = changed or result is not child
                children[key] = result
            if not changed:
                return node
            key_lines = {key: line for key, line in node.key_lines.items() if key in children}
            return replace(node, value=MappingProxyType(children), key_lines=MappingProxyType(key_lines))
        if node.is_sequence():
            items = [self._resolve(child) for child in node.value]
            kept = tuple(item for item in items if item is not NO_VALUE)
            if len(kept) == len(node.value) and all(new is old for new, old in zip(kept, node.value)):
                return node
            return replace(node, value=kept)
        if isinstance(node.value, str):
            dynamic = _dynamic_reference(node.value)
            if dynamic is not None:
                return Node(dynamic, node.line, node.file)
        return node

    def _call(self, function: str, node: Node) -> Node | _NoValue:
        """Evaluate one intrinsic function mapping."""
        arg = node.value[function]
        if function.startswith("Fn::ForEach::"):
            self._require_extensions(function, node.location)
            return self._unknown(node, f"{function}: Fn::ForEach is not expanded by driftcheck")
        handler = _HANDLERS.get(function)
        if handler is None:
            if function in _CONDITION_FUNCTIONS:
                raise TemplateError(f"{function} can only be used in the Conditions section", node.location)
            raise TemplateError(f"unsupported function {function}", node.location)
        return handler(self, node, arg)

    # results

    @staticmethod
    def _unknown(at: Node, reason: str | Unresolved) -> Node:
        """An Unresolved result at the function's line."""
        marker = reason if isinstance(reason, Unresolved) else Unresolved(reason)
        return Node(marker, at.line, at.file)

    def _spend(self, size: int, at: Node, function: str, *, check_only: bool = False) -> None:
        """Count ``size`` characters against this evaluation's budget; a TemplateError past it.

        ``check_only`` checks a result before building it (the string is counted when it is made).
        """
        if not check_only:
            self._budget -= size + _NODE_COST
        if (size > self._budget) if check_only else (self._budget < 0):
            raise TemplateError(
                f"{function}: the values computed from this template exceed driftcheck's limit of "
                f"{MAX_COMPUTED} characters",
                at.location,
            )

    def _string(self, at: Node, text: str, function: str = "Ref") -> Node:
        """A string produced by a function, at its line (a dynamic reference in it makes it Unresolved)."""
        self._spend(len(text), at, function)
        dynamic = _dynamic_reference(text)
        return Node(dynamic if dynamic is not None else text, at.line, at.file)

    def _value_node(self, at: Node, value: ParameterValue) -> Node:
        """A parameter-like value (string, tuple of strings or Unresolved) as a Node at ``at``'s line."""
        if isinstance(value, tuple):
            return Node(tuple(self._string(at, item) for item in value), at.line, at.file)
        if isinstance(value, Unresolved):
            return self._unknown(at, value)
        return self._string(at, value)

    @staticmethod
    def _reline(item: Node, at: Node) -> Node:
        """A scalar picked by a function moves to the function's line; collections keep their own."""
        return replace(item, line=at.line, file=at.file) if item.is_scalar() else item

    # arguments

    def _arg_node(self, node: Node, function: str, usage: str, at: Node) -> Node:
        """An argument resolved; AWS::NoValue is not a value here."""
        value = self._resolve(node)
        if value is NO_VALUE:
            raise TemplateError(f"{function}: AWS::NoValue is not allowed here; {function} expects {usage}", at.location)
        return value

    def _string_arg(self, node: Node, function: str, usage: str, at: Node) -> str | Unresolved:
        """An argument that must be a string (numbers and booleans as written)."""
        value = self._arg_node(node, function, usage, at)
        if isinstance(value.value, Unresolved):
            return value.value
        if not value.is_scalar() or value.value is None:
            raise TemplateError(f"{function} expects {usage}", at.location)
        return value.text() or ""

    def _list_arg(self, node: Node, function: str, usage: str, at: Node) -> tuple[Node, ...] | Unresolved:
        """An argument that must be a list (literal or produced); its items are resolved."""
        value = self._arg_node(node, function, usage, at)
        if isinstance(value.value, Unresolved):
            return value.value
        if not value.is_sequence():
            raise TemplateError(f"{function} expects {usage}", at.location)
        return value.value

    @staticmethod
    def _args(arg: Node, count: int | tuple[int, ...], function: str, usage: str, at: Node) -> tuple[Node, ...]:
        """The items of a list argument of a fixed length."""
        counts = (count,) if isinstance(count, int) else count
        if not arg.is_sequence() or len(arg.value) not in counts:
            raise TemplateError(f"{function} expects {usage}", at.location)
        return arg.value

    # Ref and GetAtt

    def _fn_ref(self, node: Node, arg: Node) -> Node | _NoValue:
        name = _name_of(arg)
        if name is None:
            raise TemplateError("Ref expects a parameter, pseudo-parameter or resource name", node.location)
        return self._ref(name, node)

    def _ref(self, name: str, at: Node) -> Node | _NoValue:
        """Ref semantics: parameter, pseudo-parameter or resource."""
        parameter = self._parameters.get(name)
        if parameter is not None:
            return self._value_node(at, parameter.value)
        if name.startswith("AWS::"):
            return self._pseudo(name, at)
        resource = self._resources.get(name)
        if resource is None:
            raise TemplateError(f"Ref to unknown parameter or resource {name}", at.location)
        self._check_referenceable(name, at, "Ref")
        physical_id = self._inputs.physical_ids.get(name)
        if physical_id is not None:
            return self._string(at, physical_id)
        return self._unknown(at, f"Ref {name}: resource {_child_name(resource, 'Type')}; {_STACK_HINT}")

    def _check_referenceable(self, logical_id: str, at: Node, function: str) -> None:
        """Resources cannot be referenced from Conditions, nor when their Condition is false."""
        if self._in_conditions:
            raise TemplateError(f"{function} {logical_id}: conditions cannot refer to resources", at.location)
        created = self.resource_condition(logical_id)
        if created is False:
            condition = _name_of(self._resources[logical_id].get("Condition"))
            raise TemplateError(
                f"{function} {logical_id}: the resource is not created (its condition {condition} is false)", at.location
            )

    def _partition(self) -> str | Unresolved:
        """AWS::Partition from the region."""
        region = self._inputs.region
        if region is None:
            return Unresolved("AWS::Partition is not known: pass --region")
        partition = _partition_for(region)
        if partition is None:
            return Unresolved(f"AWS::Partition is not known: botocore knows no partition for region {region}")
        return partition

    def _pseudo_value(self, name: str) -> str | Unresolved | _NoValue | None:
        """A pseudo-parameter's value; None for an unknown name."""
        inputs = self._inputs
        if name == "AWS::NoValue":
            return NO_VALUE
        if name == "AWS::Region":
            return inputs.region if inputs.region is not None else Unresolved("AWS::Region is not known: pass --region")
        if name == "AWS::AccountId":
            known = inputs.account_id
            return known if known is not None else Unresolved("AWS::AccountId is not known: pass --account-id")
        if name == "AWS::StackName":
            known = inputs.stack_name
            return known if known is not None else Unresolved("AWS::StackName is not known: pass --stack-name or --stack")
        if name == "AWS::StackId":
            return inputs.stack_id if inputs.stack_id is not None else Unresolved("AWS::StackId is not known: pass --stack")
        if name == "AWS::Partition":
            return self._partition()
        if name == "AWS::URLSuffix":
            partition = self._partition()
            if isinstance(partition, Unresolved):
                return Unresolved(partition.reason.replace("AWS::Partition", "AWS::URLSuffix", 1))
            suffix = _dns_suffixes().get(partition)
            if suffix is None:
                return Unresolved(f"AWS::URLSuffix is not known: botocore has no DNS suffix for partition {partition}")
            return suffix
        if name == "AWS::NotificationARNs":
            return Unresolved("AWS::NotificationARNs is not known: the stack's notification ARNs are not read")
        return None

    def _pseudo(self, name: str, at: Node) -> Node | _NoValue:
        value = self._pseudo_value(name)
        if value is None:
            raise TemplateError(f"Ref to unknown parameter or resource {name}", at.location)
        if value is NO_VALUE:
            return NO_VALUE
        return self._value_node(at, value)  # type: ignore[arg-type]

    def _fn_getatt(self, node: Node, arg: Node) -> Node:
        usage = '[resource, attribute] or "resource.attribute"'
        text = _name_of(arg)
        if text is not None:
            if "." not in text:
                raise TemplateError(f"Fn::GetAtt expects {usage}", node.location)
            logical_id, attribute = text.split(".", 1)
            return self._getatt(logical_id, attribute, node)
        logical, attribute_node = self._args(arg, 2, "Fn::GetAtt", usage, node)
        logical_id = _name_of(logical)
        if logical_id is None:
            raise TemplateError(f"Fn::GetAtt expects {usage}", node.location)
        attribute = self._string_arg(attribute_node, "Fn::GetAtt", usage, node)
        return self._getatt(logical_id, attribute, node)

    def _getatt(self, logical_id: str, attribute: str | Unresolved, at: Node) -> Node:
        """GetAtt semantics: only ARNs that follow from a physical id are known."""
        resource = self._resources.get(logical_id)
        if resource is None:
            raise TemplateError(f"Fn::GetAtt to unknown resource {logical_id}", at.location)
        self._check_referenceable(logical_id, at, "Fn::GetAtt")
        if isinstance(attribute, Unresolved):
            return self._unknown(at, f"Fn::GetAtt {logical_id}: attribute name: {attribute.reason}")
        resource_type = _child_name(resource, "Type")
        what = f"Fn::GetAtt {logical_id}.{attribute}"
        physical_id = self._inputs.physical_ids.get(logical_id)
        if physical_id is None:
            return self._unknown(at, f"{what}: resource {resource_type}; {_STACK_HINT}")
        if attribute == "Arn" and resource_type.startswith("AWS::ImageBuilder::"):
            return self._string(at, physical_id, "Fn::GetAtt")  # Image Builder resources' physical id is their ARN
        if attribute == "Arn" and resource_type == "AWS::IAM::Role":
            # The role's Path is not in its physical id (the role name), so a role with a path gets
            # an ARN without it; driftcheck compares execution roles by name, so that is harmless.
            partition = self._partition()
            missing = [partition] if isinstance(partition, Unresolved) else []
            if self._inputs.account_id is None:
                missing.append(Unresolved("AWS::AccountId is not known: pass --account-id"))
            if missing:
                return self._unknown(at, f"{what}: {_join_reasons(missing).reason}")
            return self._string(at, f"arn:{partition}:iam::{self._inputs.account_id}:role/{physical_id}", "Fn::GetAtt")
        return self._unknown(at, f"{what}: the attribute of a {resource_type} is not derived from its physical id")

    # strings

    def _fn_sub(self, node: Node, arg: Node) -> Node:
        usage = "a string or [string, {name: value}]"
        variables: Mapping[str, Node] = MappingProxyType({})
        template = _name_of(arg)
        if template is None:
            text_node, variables_node = self._args(arg, 2, "Fn::Sub", usage, node)
            template = _name_of(text_node)
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
                known[name] = self._sub_variable(name, variables, node)
            value = known[name]
            if isinstance(value, Unresolved):
                unknown.append(value)
            else:
                size += len(value)
                self._spend(size, node, "Fn::Sub", check_only=True)
                pieces.append(value)
        pieces.append(template[position:])
        if unknown:
            return self._unknown(node, _join_reasons(unknown))
        return self._string(node, "".join(pieces), "Fn::Sub")

    def _sub_variable(self, name: str, variables: Mapping[str, Node], at: Node) -> str | Unresolved:
        """The string one ``${name}`` of Fn::Sub stands for."""
        if name in variables:
            value: Node | _NoValue = self._resolve(variables[name])
        elif name in self._parameters or name in self._resources or name.startswith("AWS::"):
            value = self._ref(name, at)
        elif "." in name and name.split(".", 1)[0] in self._resources:
            logical_id, attribute = name.split(".", 1)
            value = self._getatt(logical_id, attribute, at)
        else:
            raise TemplateError(f"Fn::Sub: ${{{name}}} is not a parameter, resource or variable", at.location)
        if value is NO_VALUE:
            raise TemplateError(f"Fn::Sub: ${{{name}}} is AWS::NoValue", at.location)
        if isinstance(value.value, Unresolved):
            return value.value
        if not value.is_scalar() or value.value is None:
            raise TemplateError(f"Fn::Sub: ${{{name}}} is not a string", at.location)
        return value.text() or ""

    def _fn_join(self, node: Node, arg: Node) -> Node:
        usage = "[delimiter, list]"
        delimiter_node, list_node = self._args(arg, 2, "Fn::Join", usage, node)
        delimiter = self._string_arg(delimiter_node, "Fn::Join", usage, node)
        items = self._list_arg(list_node, "Fn::Join", usage, node)
        unknown = [part for part in (delimiter, items) if isinstance(part, Unresolved)]
        if unknown:
            return self._unknown(node, _join_reasons(unknown))
        texts: list[str] = []
        for item in items:  # type: ignore[union-attr]
            if isinstance(item.value, Unresolved):
                unknown.append(item.value)
            elif not item.is_scalar() or item.value is None:
                raise TemplateError("Fn::Join: every list item must be a string", item.location)
            else:
                texts.append(item.text() or "")
        if unknown:
            return self._unknown(node, _join_reasons(unknown))
        self._spend(sum(map(len, texts)) + len(delimiter) * len(texts), node, "Fn::Join", check_only=True)  # type: ignore[arg-type]
        return self._string(node, delimiter.join(texts), "Fn::Join")  # type: ignore[union-attr]

    def _fn_select(self, node: Node, arg: Node) -> Node:
        usage = "[index, list]"
        index_node, list_node = self._args(arg, 2, "Fn::Select", usage, node)
        index = self._string_arg(index_node, "Fn::Select", usage, node)
        items = self._list_arg(list_node, "Fn::Select", usage, node)
        unknown = [part for part in (index, items) if isinstance(part, Unresolved)]
        if unknown:
            return self._unknown(node, _join_reasons(unknown))
        if not _INDEX.fullmatch(index) or len(index) > 18:  # type: ignore[arg-type]
            raise TemplateError(f"Fn::Select: index '{_clip(index)}' is not a non-negative integer", node.location)
        position = int(index)  # type: ignore[arg-type]
        if position >= len(items):  # type: ignore[arg-type]
            raise TemplateError(
                f"Fn::Select: index {position} is out of range for a list of {len(items)}", node.location  # type: ignore[arg-type]
            )
        return self._reline(items[position], node)  # type: ignore[index]

    def _fn_split(self, node: Node, arg: Node) -> Node:
        usage = "[delimiter, string]"
        delimiter_node, source_node = self._args(arg, 2, "Fn::Split", usage, node)
        delimiter = self._string_arg(delimiter_node, "Fn::Split", usage, node)
        source = self._string_arg(source_node, "Fn::Split", usage, node)
        unknown = [part for part in (delimiter, source) if isinstance(part, Unresolved)]
        if unknown:
            return self._unknown(node, _join_reasons(unknown))
        if delimiter == "":
            raise TemplateError("Fn::Split: the delimiter must not be empty", node.location)
        parts = source.split(delimiter)  # type: ignore[union-attr,arg-type]
        return Node(tuple(self._string(node, part, "Fn::Split") for part in parts), node.line, node.file)

    def _fn_base64(self, node: Node, arg: Node) -> Node:
        text = self._string_arg(arg, "Fn::Base64", "a string", node)
        if isinstance(text, Unresolved):
            return self._unknown(node, text)
        return self._string(node, base64.b64encode(text.encode("utf-8")).decode("ascii"), "Fn::Base64")

    # lookups and choices

    def _fn_find_in_map(self, node: Node, arg: Node) -> Node | _NoValue:
        usage = "[map, top-level key, second-level key]"
        items = self._args(arg, (3, 4), "Fn::FindInMap", usage, node)
        default: Node | None = None
        if len(items) == 4:
            option = items[3]
            if not option.is_mapping() or set(option.value) != {"DefaultValue"}:
                raise TemplateError(f"Fn::FindInMap expects {usage} and optionally {{DefaultValue: value}}", node.location)
            self._require_extensions("Fn::FindInMap DefaultValue", option.location)
            default = option.value["DefaultValue"]
        keys = [self._string_arg(item, "Fn::FindInMap", usage, node) for item in items[:3]]
        unknown = [key for key in keys if isinstance(key, Unresolved)]
        if unknown:
            return self._unknown(node, _join_reasons(unknown))
        map_name, top_key, second_key = keys
        mapping = self._mappings.get(map_name)  # type: ignore[arg-type]
        if mapping is None:
            raise TemplateError(f"Fn::FindInMap: there is no mapping {map_name} in Mappings", node.location)
        top = mapping.value.get(top_key)
        value = top.value.get(second_key) if top is not None else None
        if value is None:
            if default is not None:
                return self._resolve(default)
            missing = f"key {top_key}" if top is None else f"key {top_key}.{second_key}"
            raise TemplateError(f"Fn::FindInMap: mapping {map_name} has no {missing}", node.location)
        return self._resolve(self._reline(value, node))

    def _fn_if(self, node: Node, arg: Node) -> Node | _NoValue:
        usage = "[condition, value if true, value if false]"
        condition_node, when_true, when_false = self._args(arg, 3, "Fn::If", usage, node)
        name = _name_of(condition_node)
        if name is None:
            raise TemplateError(f"Fn::If expects {usage}", node.location)
        if self._in_conditions:
            raise TemplateError("Fn::If cannot be used in the Conditions section", node.location)
        value = self._condition(name, condition_node)
        if isinstance(value, Unresolved):
            return self._unknown(node, f"Fn::If {name}: {value.reason}")
        return self._resolve(when_true if value else when_false)

    # functions driftcheck does not evaluate

    def _fn_import_value(self, node: Node, arg: Node) -> Node:
        name = self._string_arg(arg, "Fn::ImportValue", "an export name", node)
        shown = f" {name}" if isinstance(name, str) else ""
        return self._unknown(node, f"Fn::ImportValue{shown}: stack exports are not read")

    def _fn_get_azs(self, node: Node, arg: Node) -> Node:
        return self._unknown(node, "Fn::GetAZs: the region's Availability Zones are not read")

    def _fn_cidr(self, node: Node, arg: Node) -> Node:
        return self._unknown(node, "Fn::Cidr is not evaluated by driftcheck")

    def _fn_transform(self, node: Node, arg: Node) -> Node:
        macro = _child_name(arg, "Name")
        shown = f" {macro}" if macro else ""
        return self._unknown(node, f"Fn::Transform{shown}: macros run in CloudFormation at deploy time; driftcheck does not run them")

    # AWS::LanguageExtensions

    def _fn_length(self, node: Node, arg: Node) -> Node:
        self._require_extensions("Fn::Length", node.location)
        items = self._list_arg(arg, "Fn::Length", "a list", node)
        if isinstance(items, Unresolved):
            return self._unknown(node, items)
        return Node(len(items), node.line, node.file)

    def _fn_to_json_string(self, node: Node, arg: Node) -> Node:
        self._require_extensions("Fn::ToJsonString", node.location)
        value = self._arg_node(arg, "Fn::ToJsonString", "an object or a list", node)
        unknown = _unresolved_in(value)
        if unknown:
            return self._unknown(node, _join_reasons(unknown))
        if value.is_scalar():
            raise TemplateError("Fn::ToJsonString expects an object or a list", node.location)
        text = json.dumps(_json_value(value), separators=(",", ":"), ensure_ascii=False)
        return self._string(node, text, "Fn::ToJsonString")


_HANDLERS: Mapping[str, Any] = MappingProxyType(
    {
        "Ref": Template._fn_ref,
        "Fn::GetAtt": Template._fn_getatt,
        "Fn::Sub": Template._fn_sub,
        "Fn::Join": Template._fn_join,
        "Fn::Select": Template._fn_select,
        "Fn::Split": Template._fn_split,
        "Fn::Base64": Template._fn_base64,
        "Fn::FindInMap": Template._fn_find_in_map,
        "Fn::If": Template._fn_if,
        "Fn::ImportValue": Template._fn_import_value,
        "Fn::GetAZs": Template._fn_get_azs,
        "Fn::Cidr": Template._fn_cidr,
        "Fn::Transform": Template._fn_transform,
        "Fn::Length": Template._fn_length,
        "Fn::ToJsonString": Template._fn_to_json_string,
    }
)
