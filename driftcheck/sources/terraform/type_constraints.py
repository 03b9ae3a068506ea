"""Terraform type constraints (``string``, ``list(object({a = optional(number)}))``...) and whether a value fits.

Values are checked with Terraform's conversions: a number or bool fits ``string``, a numeric string
fits ``number``, ``"true"``/``"false"`` fit ``bool``; an object needs every non-optional attribute.
A value that is an expression rather than a literal (``"${...}"`` from python-hcl2) is not checked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from driftcheck.sources.terraform.syntax import TfExpression

_TOKEN = re.compile(r"\s*(?:(?P<name>[A-Za-z_][\w-]*)|(?P<punct>[(){}\[\],=])|(?P<string>\"(?:[^\"\\]|\\.)*\")|(?P<other>[^\s(){}\[\],=]+))")
MAX_TYPE_DEPTH = 50


@dataclass(frozen=True)
class TypeSpec:
    """One parsed type: its kind and, for collections, the element or attribute types."""

    kind: str  # string number bool any list set map tuple object
    element: "TypeSpec | None" = None
    attributes: dict[str, tuple["TypeSpec", bool]] = field(default_factory=dict)  # name -> (type, optional)
    items: tuple["TypeSpec", ...] = ()

    def __str__(self) -> str:
        if self.kind in ("list", "set", "map"):
            return f"{self.kind}({self.element})"
        if self.kind == "object":
            return "object({" + ", ".join(f"{k} = {'optional(' + str(t) + ')' if o else t}" for k, (t, o) in self.attributes.items()) + "})"
        if self.kind == "tuple":
            return "tuple([" + ", ".join(map(str, self.items)) + "])"
        return self.kind


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = [m.group(0).strip() for m in _TOKEN.finditer(text) if m.group(0).strip()]
        self.position = 0

    def peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token != expected):
            raise ValueError(f"expected {expected or 'a type'}")
        self.position += 1
        return token

    def type(self, depth: int = 0) -> tuple[TypeSpec, bool]:
        if depth > MAX_TYPE_DEPTH:
            raise ValueError("type nested too deeply")
        name = self.take()
        if name in ("string", "number", "bool", "any"):
            return TypeSpec(name), False
        if name == "optional":
            self.take("(")
            inner, _ = self.type(depth + 1)
            depth_default = 0
            while self.peek() is not None and not (self.peek() == ")" and depth_default == 0):  # skip a default value
                token = self.take()
                depth_default += token in "([{"
                depth_default -= token in ")]}"
            self.take(")")
            return inner, True
        if name in ("list", "set", "map"):
            self.take("(")
            inner, _ = self.type(depth + 1)
            self.take(")")
            return TypeSpec(name, element=inner), False
        if name == "object":
            self.take("(")
            self.take("{")
            attributes: dict[str, tuple[TypeSpec, bool]] = {}
            while self.peek() not in ("}", None):
                key = self.take().strip('"')
                self.take("=")
                attributes[key] = self.type(depth + 1)
                if self.peek() == ",":
                    self.take(",")
            self.take("}")
            self.take(")")
            return TypeSpec("object", attributes=attributes), False
        if name == "tuple":
            self.take("(")
            self.take("[")
            items = []
            while self.peek() not in ("]", None):
                items.append(self.type(depth + 1)[0])
                if self.peek() == ",":
                    self.take(",")
            self.take("]")
            self.take(")")
            return TypeSpec("tuple", items=tuple(items)), False
        raise ValueError(f"unknown type {name}")


def parse_type(text: str) -> TypeSpec | None:
    """The type a ``type = ...`` expression states; None when it cannot be read (then nothing is checked)."""
    try:
        parser = _Parser(text)
        spec, _ = parser.type()
        return spec if parser.peek() is None else None
    except ValueError:
        return None


def is_expression(value: Any) -> bool:
    """A value that is an expression or template (syntax.TfExpression), not a literal: never checked."""
    return isinstance(value, TfExpression)


def mismatch(value: Any, spec: TypeSpec, path: str = "", depth: int = 0) -> str | None:
    """Why ``value`` does not fit ``spec`` (``"[1].name: a list is not a string"``), or None."""
    if value is None or is_expression(value) or spec.kind == "any" or depth > MAX_TYPE_DEPTH:
        return None
    where = f"{path}: " if path else ""
    kind = _kind(value)
    if spec.kind == "string":
        return None if isinstance(value, (str, int, float, bool)) else f"{where}{kind} is not a string"
    if spec.kind == "number":
        if isinstance(value, bool):
            return f"{where}a bool is not a number"
        if isinstance(value, (int, float)):
            return None
        if isinstance(value, str):
            try:
                float(value)
                return None
            except ValueError:
                return f"{where}the string {value!r} is not a number"
        return f"{where}{kind} is not a number"
    if spec.kind == "bool":
        if isinstance(value, bool) or value in ("true", "false", "1", "0"):  # Terraform converts "1"/"0" too
            return None
        return f"{where}{kind if not isinstance(value, str) else repr(value)} is not a bool"
    if spec.kind in ("list", "set"):
        if not isinstance(value, list):
            return f"{where}{kind} is not a {spec.kind}"
        for index, item in enumerate(value):
            problem = mismatch(item, spec.element, f"{path}[{index}]", depth + 1) if spec.element else None
            if problem:
                return problem
        return None
    if spec.kind == "tuple":
        if not isinstance(value, list) or len(value) != len(spec.items):
            return f"{where}{kind} is not a tuple of {len(spec.items)}"
        for index, (item, item_spec) in enumerate(zip(value, spec.items)):
            problem = mismatch(item, item_spec, f"{path}[{index}]", depth + 1)
            if problem:
                return problem
        return None
    if spec.kind == "map":
        if not isinstance(value, Mapping):
            return f"{where}{kind} is not a map"
        for key, item in value.items():
            problem = mismatch(item, spec.element, f"{path}.{key}" if path else str(key), depth + 1) if spec.element else None
            if problem:
                return problem
        return None
    if spec.kind == "object":
        if not isinstance(value, Mapping):
            return f"{where}{kind} is not an object"
        for name, (attribute, optional) in spec.attributes.items():
            if name not in value:
                if not optional:
                    return f"{where}attribute {name!r} is required"
                continue
            problem = mismatch(value[name], attribute, f"{path}.{name}" if path else name, depth + 1)
            if problem:
                return problem
        return None
    return None


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a bool"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__
