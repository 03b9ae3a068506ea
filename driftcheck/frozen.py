"""Deep freezing and thawing of JSON-like values, so stages can share data without mutating it."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

_ATOMS = frozenset({str, int, float, bool, type(None)})  # by far the most values: no abstract-class check for them


def freeze(value: Any) -> Any:
    """Return a read-only deep copy: mappings become MappingProxyType, lists and tuples become tuples."""
    if type(value) in _ATOMS:
        return value
    if isinstance(value, Mapping):
        return MappingProxyType({key: freeze(item) for key, item in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(item) for item in value)
    return value


def thaw(value: Any) -> Any:
    """Return a plain, mutable deep copy (dicts and lists) of a frozen or plain value."""
    if type(value) in _ATOMS:
        return value
    if isinstance(value, Mapping):
        return {key: thaw(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [thaw(item) for item in value]
    return value
