"""Field-by-field comparison of a normalized declared pipeline with its normalized live state.

Only what the declaration manages is compared: the live side is first projected onto the declared
keys (structures key by key, lists item by item; maps such as ``tags`` whole, because an extra live
tag is drift). deepdiff then finds the differences, and each is reported once, at its *field*: a set
or a list of scalars is one field (``containerTags``), a map entry is one field (``tags.Team``), and
a structure is walked into. No I/O happens here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any


from driftcheck.fields import FieldSpec, pipeline_model, schema_path
from driftcheck.frozen import freeze
from driftcheck.model import Difference, IgnoreRule, Location


def _unset(value: Any) -> bool:
    """None, or a structure in which nothing is set (at any depth)."""
    return value is None or (isinstance(value, dict) and all(_unset(item) for item in value.values()))


def project(declared: Any, live: Any, spec: FieldSpec | None) -> Any:
    """The part of ``live`` that ``declared`` manages, shaped like ``declared``."""
    if spec is None:
        return live
    if spec.type == "structure" and _unset(declared) and _unset(live):
        # an absent block and a block whose members are all unset say the same thing
        return declared
    if spec.type == "list" and spec.overlay.set_key and spec.item is not None and spec.item.children:
        # a keyed set (normalized to {key: item}): every live member counts, each projected on its twin
        if not isinstance(declared, dict) or not isinstance(live, dict):
            return live
        return {key: project(declared[key], value, spec.item) if key in declared else value for key, value in live.items()}
    if spec.type == "list" and spec.item is not None and spec.item.children:
        # an ordered list of structures: item by item; extra live items are kept whole
        if not isinstance(declared, list) or not isinstance(live, list):
            return live
        return [project(d, l, spec.item) for d, l in zip(declared, live)] + live[len(declared):]
    if spec.type == "structure" and isinstance(declared, dict) and isinstance(live, dict):
        return {key: project(value, live.get(key), spec.children.get(key)) for key, value in declared.items()}
    return live


def identical(a: Any, b: Any) -> bool:
    """The same value with the same types all the way down (``1`` and ``1.0``, ``True`` and ``1`` differ, as for
    deepdiff); when true, deepdiff finds no difference between the two."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(identical(v, b[k]) for k, v in a.items())
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(identical(x, y) for x, y in zip(a, b))
    if a is None or isinstance(a, (str, int, float)):
        return a == b
    return False  # anything else is left to deepdiff


def _field_path(elements: list[Any]) -> tuple[str, int]:
    """Render a deepdiff path as an API path, stopping at the field boundary.

    Returns the rendered path and how many path elements it consumed.
    """
    spec: FieldSpec | None = pipeline_model()
    rendered = ""
    consumed = 0
    for element in elements:
        if spec is None:
            break
        if spec.type == "structure":
            rendered = f"{rendered}.{element}" if rendered else str(element)
            spec = spec.children.get(str(element))
        elif spec.type == "map":
            rendered = f"{rendered}.{element}"
            consumed += 1
            break
        elif spec.type == "list" and spec.overlay.set_key and spec.item is not None and spec.item.children:
            rendered = f"{rendered}[{spec.overlay.set_key}={element}]"
            spec = spec.item
        elif spec.type == "list" and spec.item is not None and spec.item.children and isinstance(element, int):
            rendered = f"{rendered}[{element}]"
            spec = spec.item
        else:  # list of scalars (or a set of scalars): the whole list is one field
            break
        consumed += 1
    return rendered, consumed


def _value_at(tree: Any, elements: list[Any]) -> Any:
    for element in elements:
        if isinstance(tree, Mapping):
            tree = tree.get(element)
        elif isinstance(tree, list) and isinstance(element, int) and element < len(tree):
            tree = tree[element]
        else:
            return None
    return tree


def locate(path: str, field_locations: Mapping[str, Location], default: Location | None) -> Location | None:
    """The declaration's location for a path: the closest enclosing path that has one."""
    candidate = path
    while candidate:
        if candidate in field_locations:
            return field_locations[candidate]
        cut = max(candidate.rfind("."), candidate.rfind("["))
        candidate = candidate[:cut] if cut > 0 else ""
    return default


def compare(
    declared: dict[str, Any],
    live: dict[str, Any],
    field_locations: Mapping[str, Location],
    default_location: Location | None,
) -> tuple[Difference, ...]:
    """Differences between two normalized pipelines, one per field, sorted by path."""
    projected = project(declared, live, pipeline_model())
    # deepdiff only sees the top-level fields that are not identical (most are: deepdiff costs milliseconds per
    # pipeline, the identity check microseconds); a field it does not see is one it would report nothing for
    keys = [k for k in {**declared, **projected} if k not in declared or k not in projected or not identical(declared[k], projected[k])]
    if not keys:
        return ()
    from deepdiff import DeepDiff  # imported by the first pipeline that differs (a tenth of a second): none may

    # threshold_to_diff_deeper=0: never report a whole map because few keys are shared (deepdiff >= 8
    # defaults to 0.33); each map entry and keyed-set member stays its own field.
    tree = DeepDiff(
        {k: declared[k] for k in keys if k in declared},
        {k: projected[k] for k in keys if k in projected},
        view="tree", verbose_level=2, threshold_to_diff_deeper=0,
    )
    found: dict[str, Difference] = {}
    for changes in tree.values():
        for change in changes:
            elements = change.path(output_format="list")
            path, consumed = _field_path(elements)
            if not path or path in found:
                continue
            field_elements = elements[:consumed]
            declared_value = _value_at(declared, field_elements)
            live_value = _value_at(projected, field_elements)
            found[path] = Difference(
                path=path,
                declared=freeze(declared_value),
                live=freeze(live_value),
                source=locate(path, field_locations, default_location),
            )
    return tuple(found[path] for path in sorted(found))


__all__ = ["compare", "locate", "project", "schema_path"]


def split_ignored(differences: tuple[Difference, ...], rules: tuple[IgnoreRule, ...]) -> tuple[tuple[Difference, ...], tuple[Difference, ...]]:
    """(drift, ignored): differences an ignore rule matches are kept apart, marked with the rule's reason."""
    kept: list[Difference] = []
    ignored: list[Difference] = []
    for difference in differences:
        rule = next((r for r in rules if r.matches(difference.path)), None)
        if rule is None:
            kept.append(difference)
        else:
            ignored.append(replace(difference, ignored_by=rule.reason))
    return tuple(kept), tuple(ignored)
