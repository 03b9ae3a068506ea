"""Deep freezing and thawing of JSON-like values, so stages can share data without mutating it."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

# The types nearly every value has, told apart by type alone (an abstract-class check costs more than the copy);
# the stages that walk JSON-like values use the same sets.
NUMBERS = frozenset({int, float, bool})
SCALARS = NUMBERS | {str}
ATOMS = SCALARS | {type(None)}
_MAPPINGS = frozenset({dict, MappingProxyType})
_SEQUENCES = frozenset({list, tuple})


def _is_mapping(value: Any, kind: type) -> bool:
    return kind in _MAPPINGS or (kind not in _SEQUENCES and isinstance(value, Mapping))


def freeze(value: Any) -> Any:
    """Return a read-only deep copy: mappings become MappingProxyType, lists and tuples become tuples."""
    kind = type(value)
    if kind in ATOMS:
        return value
    if _is_mapping(value, kind):
        return MappingProxyType({key: freeze(item) for key, item in value.items()})
    if kind in _SEQUENCES or isinstance(value, (list, tuple)):
        return tuple(freeze(item) for item in value)
    return value


def thaw(value: Any) -> Any:
    """Return a plain, mutable deep copy (dicts and lists) of a frozen or plain value."""
    kind = type(value)
    if kind in ATOMS:
        return value
    if _is_mapping(value, kind):
        return {key: thaw(item) for key, item in value.items()}
    if kind in _SEQUENCES or isinstance(value, (list, tuple)):
        return [thaw(item) for item in value]
    return value
