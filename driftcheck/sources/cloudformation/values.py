"""The vocabulary every part of the template evaluator shares.

:data:`NO_VALUE`, :class:`TemplateError` (a template CloudFormation would reject, at its line),
:class:`TemplateInputs` (what the command line and the deployed stack say), and small helpers for
reading names and reasons out of located nodes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Final

from driftcheck.errors import SourceError
from driftcheck.model import Location, Unresolved
from driftcheck.sources.yaml_tree import Node


class NoValueType:
    """The type of :data:`NO_VALUE` (one instance)."""

    _instance: "NoValueType | None" = None

    def __new__(cls) -> "NoValueType":
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NO_VALUE"


NO_VALUE: Final = NoValueType()
"""What ``Ref: AWS::NoValue`` evaluates to: the property or list item is removed."""

LANGUAGE_EXTENSIONS: Final = "AWS::LanguageExtensions"
EMPTY: Mapping[str, str] = MappingProxyType({})
# What one evaluation (a resolve() call, or the template's conditions) may compute, in characters,
# counting each produced value as its length plus NODE_COST: nested Fn::Base64, or Fn::Sub and
# Fn::Join repeating a large value, grow exponentially with nesting, and must fail, not eat memory.
MAX_COMPUTED: Final = 32 * 1024 * 1024
NODE_COST = 64
DYNAMIC_REF = re.compile(r"\{\{resolve:[^}]*\}\}")
CONDITION_FUNCTIONS = ("Fn::Equals", "Fn::And", "Fn::Or", "Fn::Not")
STACK_HINT = "pass --stack NAME to read it from the deployed stack"
# offline (--live) no stack is read, so the message says what that would take instead
OFFLINE_STACK_HINT = "its physical id is known only from the deployed stack: run online with --stack NAME (--live reads no stack)"


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

    parameter_values: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    file_values: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    deployed_values: Mapping[str, "str | Unresolved"] = field(default_factory=lambda: EMPTY)
    region: str | None = None
    account_id: str | None = None
    stack_name: str | None = None
    stack_id: str | None = None
    physical_ids: Mapping[str, str] = field(default_factory=lambda: EMPTY)
    offline: bool = False  # --live: no stack can be read, so no message offers --stack
    exports: Mapping[str, str] = field(default_factory=lambda: EMPTY)  # --export NAME=VALUE, for Fn::ImportValue

    def stack_hint(self) -> str:
        """How a resource's physical id would become known, in this run's mode."""
        return OFFLINE_STACK_HINT if self.offline else STACK_HINT

    def var_hint(self, name: str) -> str:
        """How a parameter's value would become known, in this run's mode."""
        return f"pass --var {name}=VALUE" if self.offline else f"pass --var {name}=VALUE or --stack"

    def __post_init__(self) -> None:
        for name in ("parameter_values", "file_values", "deployed_values", "physical_ids"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))


ParameterValue = str | tuple[str, ...] | Unresolved


def clip(value: object, limit: int = 80) -> str:
    """A one-line, length-limited rendering of a value for messages (line breaks shown as \\n)."""
    text = value if isinstance(value, str) else str(value)
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def join_reasons(reasons: list[Unresolved]) -> Unresolved:
    """One Unresolved whose reason lists each distinct reason once, in order, joined by "; "."""
    seen: list[str] = []
    for item in reasons:
        if item.reason not in seen:
            seen.append(item.reason)
    return Unresolved("; ".join(seen))


def dynamic_reference(text: str) -> Unresolved | None:
    """Unresolved when ``text`` holds a ``{{resolve:...}}`` dynamic reference, else None."""
    if "{{resolve:" not in text:
        return None
    found = DYNAMIC_REF.search(text)
    reference = found.group(0) if found else text[text.index("{{resolve:") :]
    return Unresolved(
        f"dynamic reference {clip(reference)} is resolved by CloudFormation at deploy time; "
        "driftcheck does not read it"
    )


def is_intrinsic(node: Node) -> str | None:
    """The function name when ``node`` is an intrinsic (one key: Ref or Fn::*), else None."""
    if not node.is_mapping() or len(node.value) != 1:
        return None
    (key,) = node.value
    return key if key == "Ref" or key.startswith("Fn::") else None


def name_of(node: Node) -> str | None:
    """A name written as a scalar (a plain ``No`` is YAML 1.1's false but the name "No" here), else None."""
    if not node.is_scalar() or node.value is None:
        return None
    return node.value if isinstance(node.value, str) else node.raw


def child_name(node: Node, key: str) -> str | None:
    """The string under ``key`` of a mapping node, else None."""
    child = node.get(key)
    return name_of(child) if child is not None else None


def unresolved_in(node: Node) -> list[Unresolved]:
    """Every Unresolved marker in a resolved tree."""
    if isinstance(node.value, Unresolved):
        return [node.value]
    if node.is_mapping():
        return [item for child in node.value.values() for item in unresolved_in(child)]
    if node.is_sequence():
        return [item for child in node.value for item in unresolved_in(child)]
    return []


def json_value(node: Node) -> Any:
    """A resolved, fully known tree as JSON-ready Python values (dates as written)."""
    if node.is_mapping():
        return {key: json_value(child) for key, child in node.value.items()}
    if node.is_sequence():
        return [json_value(child) for child in node.value]
    if node.value is None or isinstance(node.value, (str, bool, int, float)):
        return node.value
    return node.text()
