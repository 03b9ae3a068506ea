"""Conversion of one tfparse resource instance to API-shaped fields, with Terraform's absent-field semantics."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from driftcheck.fields import NO_DEFAULT, FieldSpec, TfMode
from driftcheck.frozen import NUMBERS, SCALARS
from driftcheck.model import Location, Unresolved
from driftcheck.sources.terraform.knowledge import NOT_FOUND, Knowledge
from driftcheck.sources.terraform.modules import Scope, call_input
from driftcheck.sources.terraform.index_model import Block, Expr

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class Converter:
    """Turns one tfparse resource instance into API-shaped fields, with Terraform's absent-field semantics."""

    def __init__(self, knowledge: Knowledge, scope: Scope, block: Block | None) -> None:
        self.knowledge = knowledge
        self.scope = scope
        self.block = block
        self.locations: dict[str, Location] = {}
        self.depth = 0

    def value(self, raw: Any, expr: Expr | None, tf_path: str) -> Any:
        """The resolved value of one attribute, or Unresolved."""
        if expr is None:  # no syntax index for this file: fall back to what the value itself shows
            if raw is None or looks_unknown(raw, self.knowledge.block_ids):
                return Unresolved(f"{tf_path} could not be evaluated")
            return raw
        reasons = self.knowledge.unknown(expr.references, self.scope)
        if reasons:
            return Unresolved("; ".join(reasons))
        passed = self._passed_through(expr)
        if passed is not None:  # a bare local or module variable: tfparse's value is its source's value
            return passed[0].value(raw, passed[1], tf_path)
        resource_refs = [
            ref for ref in expr.references if ref.root not in ("var", "local", "each", "count", "path", "terraform", "self")
        ]
        if not resource_refs:
            if type(raw) in NUMBERS:  # nothing in it can be a marker, a block id, a template or a null
                return raw
            if isinstance(raw, Mapping) and "__attribute__" in raw:  # tfparse's stand-in for a null var or local
                if self.knowledge.definitely_null(expr, self.scope):
                    return None
                return Unresolved(f"{tf_path} could not be evaluated")
            if looks_unknown(raw, self.knowledge.block_ids):
                return Unresolved(f"{tf_path} could not be evaluated")
            if template_leftover(raw, expr.text):
                return Unresolved(f"{tf_path}: part of the template could not be evaluated")
            if contains_null(raw) and not self.knowledge.may_be_null(expr, self.scope):
                # nothing here can be null: tfparse failed (e.g. templatefile(), which it does not support)
                return Unresolved(f"{tf_path} could not be evaluated (a function driftcheck's evaluator does not support?)")
            return raw
        values = {str(ref): self.knowledge.state_value(ref, self.scope) for ref in resource_refs}
        text = expr.text.strip()
        if len(resource_refs) == 1 and text in (str(resource_refs[0]), "${" + str(resource_refs[0]) + "}", '"${' + str(resource_refs[0]) + '}"'):
            return values[str(resource_refs[0])]
        rendered = render_state_values(raw, expr.text, values, self.knowledge.block_ids)
        if rendered is not None:
            return rendered
        return Unresolved(f"{tf_path}: cannot evaluate an expression over {', '.join(map(str, resource_refs))}")

    def _passed_through(self, expr: Expr) -> tuple["Converter", Expr] | None:
        """For ``local.x`` or a module's ``var.x``, the expression that gives it its value, and its scope."""
        text = expr.text.strip()
        if len(expr.references) != 1 or text not in (str(expr.references[0]), f'"${{{expr.references[0]}}}"') or self.depth > 50:
            return None
        ref = expr.references[0]
        if len(ref.steps) != 2:
            return None
        scope, source = self.scope, None
        if ref.root == "local":
            source = self.scope.module.local(ref.steps[1])
        elif ref.root == "var" and self.scope.calls:
            scope, call = self.scope.calls[-1]
            source = call_input(call, self.scope.module, ref.steps[1])
        if source is None:
            return None
        inner = Converter(self.knowledge, scope, None)
        inner.depth = self.depth + 1
        return inner, source

    def structure(self, spec: FieldSpec, tf_obj: Mapping[str, Any], hcl: Block | None, api_prefix: str, tf_prefix: str) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for name, child in spec.children.items():
            overlay = child.overlay
            if overlay.output_only or overlay.tf_mode is TfMode.UNSUPPORTED or overlay.tf_name is None:
                continue
            if api_prefix == "" and name == "tags":
                continue  # tags_all is built by the caller (default_tags + tags)
            api_path = f"{api_prefix}.{name}" if api_prefix else name
            tf_name = overlay.tf_name
            tf_path = f"{tf_prefix}.{tf_name}" if tf_prefix else tf_name
            is_block = child.type == "structure" or (child.type == "list" and child.item is not None and bool(child.item.children))
            if is_block:
                converted = self.blocks(child, tf_obj, hcl, api_path, tf_path)
                if converted is not _OMIT:
                    result[name] = converted
                continue
            expr = hcl.attributes.get(tf_name) if hcl is not None else None
            if expr is not None:
                self.locations[api_path] = Location(expr_file(hcl), expr.line)
            if tf_name in tf_obj or expr is not None:
                value = self.value(tf_obj.get(tf_name), expr, tf_path)
                if value is not None:
                    result[name] = coerce(value, child, tf_path)
                    continue
                # a null value is an omitted one, to Terraform: defaults apply
            if overlay.tf_default is not NO_DEFAULT:
                result[name] = overlay.tf_default
            elif overlay.tf_mode is TfMode.OPTIONAL_COMPUTED:
                continue
            else:
                result[name] = None
        return result

    def blocks(self, spec: FieldSpec, tf_obj: Mapping[str, Any], hcl: Block | None, api_path: str, tf_path: str) -> Any:
        tf_name = spec.overlay.tf_name or ""
        raw = tf_obj.get(tf_name)
        items = [raw] if isinstance(raw, Mapping) else [i for i in (raw or []) if isinstance(i, Mapping)]
        static = hcl.nested(tf_name) if hcl is not None else []
        dynamic = [b for b in (hcl.nested("dynamic") if hcl is not None else []) if b.labels[:1] == (tf_name,)]
        if static or dynamic:  # the first block that declares it
            self.locations.setdefault(api_path, Location(expr_file(hcl), min(b.location.line for b in static + dynamic)))
        for dyn in dynamic:
            for_each = dyn.attributes.get("for_each")
            reasons = self.knowledge.unknown(for_each.references, self.scope) if for_each else []
            if reasons:
                return Unresolved(f"dynamic \"{tf_name}\" for_each: {'; '.join(reasons)}")
            dependencies = self.knowledge.dependencies(for_each.references, self.scope) if for_each else []
            if dependencies:  # tfparse iterates over the other resource's configuration, not its real value
                return Unresolved(f"dynamic \"{tf_name}\" for_each depends on {', '.join(dependencies)}, which driftcheck does not evaluate")
        if not items:
            if spec.overlay.tf_mode is TfMode.OPTIONAL_COMPUTED:
                return _OMIT
            return None
        matched = self._match_blocks(items, static, dynamic, hcl)
        if spec.type == "structure":
            return self.structure(spec, matched[0][0], matched[0][1], api_path, f"{tf_path}[0]")
        out = []
        for index, (item, item_hcl) in enumerate(matched):
            item_api = f"{api_path}[{index}]"
            if item_hcl is not None:
                self.locations[item_api] = Location(expr_file(item_hcl), item_hcl.location.line)
            converted = self.structure(spec.item, item, item_hcl, item_api, f"{tf_path}[{index}]")
            if spec.overlay.set_key and isinstance(converted.get(spec.overlay.set_key), str) and item_hcl is not None:
                self.locations[f"{api_path}[{spec.overlay.set_key}={converted[spec.overlay.set_key]}]"] = Location(
                    expr_file(item_hcl), item_hcl.location.line
                )
            out.append(converted)
        return out

    def _match_blocks(
        self, items: list[Mapping[str, Any]], static: list[Block], dynamic: list[Block], hcl: Block | None
    ) -> list[tuple[Mapping[str, Any], Block | None]]:
        """Each evaluated nested block with the block (or dynamic ``content``) that declares it, in source order.

        tfparse expands dynamic blocks after the static ones (and the dynamic-order workaround moves
        them there), while Terraform keeps the order in which they are written, which matters for an
        ordered list such as ``workflow``. Each item's line (mapped back from the reordered copy)
        names its block; if any item cannot be placed, tfparse's order is kept and items are paired
        with blocks by position.
        """
        line_map = self.knowledge.evaluation.line_maps.get(hcl.location.file, {}) if hcl is not None else {}
        candidates: dict[int, tuple[Block, int]] = {b.location.line: (b, b.location.line) for b in static}
        for dyn in dynamic:
            content = dyn.nested("content")
            if content:
                candidates[content[0].location.line] = (content[0], dyn.location.line)
        placed: list[tuple[int, int, Mapping[str, Any], Block]] = []
        for index, item in enumerate(items):
            line = item.get("__tfmeta", {}).get("line_start")
            found = candidates.get(line_map.get(line, line)) if isinstance(line, int) else None
            if found is None:
                break
            placed.append((found[1], index, item, found[0]))
        else:
            return [(item, block) for _, _, item, block in sorted(placed, key=lambda p: (p[0], p[1]))]
        by_position: list[Block | None] = list(static) + [(d.nested("content") or [None])[0] for d in dynamic]
        return [(item, _pick(by_position, index, bool(dynamic))) for index, item in enumerate(items)]


_OMIT = object()


def _pick(hcl_items: list[Block | None], index: int, has_dynamic: bool) -> Block | None:
    if index < len(hcl_items):
        return hcl_items[index]
    return hcl_items[-1] if has_dynamic and hcl_items else None


def expr_file(block: Block) -> str:
    """The file a block was read from."""
    return block.location.file


_RENDERED_PART = re.compile(r"\$\{(?P<text>[^}]*)\}|" + UUID.pattern)


def render_state_values(raw: Any, expr_text: str, values: Mapping[str, Any], block_ids: set[str]) -> str | None:
    """Put state values into a string template that tfparse rendered around other resources' attributes.

    tfparse renders such an interpolation either as the referenced block's UUID or as its own text
    (``${aws_x.y.name}``). Only templates whose every resource reference is a bare ``${ref}`` are
    rendered, by matching those interpolations, in order, with what tfparse left in their place;
    anything else (a function over a reference, a count mismatch) returns None.
    """
    if not isinstance(raw, str) or any(v is NOT_FOUND or not isinstance(v, (str, int, float, bool)) for v in values.values()):
        return None
    wanted: list[tuple[int, str]] = []
    for name in values:
        bare = [m.start() for m in re.finditer(r"\$\{~?\s*" + re.escape(name) + r"\s*~?\}", expr_text)]
        anywhere = re.findall(re.escape(name) + r"(?![\w.\[])", expr_text)
        if not bare or len(bare) != len(anywhere):
            return None
        wanted += [(start, name) for start in bare]
    wanted.sort()
    found = [m for m in _RENDERED_PART.finditer(raw) if m["text"] is not None or m.group(0) in block_ids]
    if len(found) != len(wanted):
        return None
    result, cursor = "", 0
    for match, (_, name) in zip(found, wanted):
        if match["text"] is not None and match["text"].strip().strip("~").strip() != name:
            return None
        result += raw[cursor:match.start()] + str(tf_string(values[name]))
        cursor = match.end()
    return result + raw[cursor:]


def contains_null(value: Any) -> bool:
    if value is None:
        return True
    if type(value) in SCALARS:  # most values: told apart by type alone, before the abstract-class checks
        return False
    if isinstance(value, Mapping):
        return any(contains_null(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_null(v) for v in value)
    return False


def template_leftover(value: Any, expr_text: str) -> bool:
    """tfparse renders a template part it could not evaluate as ``${...}``, or leaves the part's own text."""
    if type(value) in NUMBERS:
        return False
    if isinstance(value, Mapping):
        return any(template_leftover(v, expr_text) for v in value.values())
    if isinstance(value, list):
        return any(template_leftover(v, expr_text) for v in value)
    if isinstance(value, str) and "{" in value:
        parts = re.findall(r"[$%]\{[^}]*\}", value)
        return "${...}" in value or any(re.search(r"(?<![$%])" + re.escape(part), expr_text) for part in parts)
    return False


_TRUE = {"true": True, "1": True, "false": False, "0": False}


def coerce(value: Any, spec: FieldSpec, tf_path: str) -> Any:
    """Convert a value to the attribute's type as Terraform does (``"60"`` -> 60, ``0`` -> ``"0"``, ``"true"`` -> True)."""
    if value is None or isinstance(value, Unresolved):
        return value
    kind = "string" if spec.overlay.tf_scalar_list else spec.type
    try:
        if kind == "list" and spec.item is not None:
            return [coerce(item, spec.item, tf_path) for item in value] if isinstance(value, list) else value
        if kind == "map":
            return {k: tf_string(v) for k, v in value.items()} if isinstance(value, Mapping) else value
        if kind == "string":
            return tf_string(value)
        if kind == "boolean":
            if isinstance(value, bool):
                return value
            if isinstance(value, str) and value in _TRUE:
                return _TRUE[value]
            raise ValueError
        if kind in ("integer", "long"):
            number = float(value) if isinstance(value, str) else value
            if isinstance(number, bool) or not isinstance(number, (int, float)) or number != int(number):
                raise ValueError
            return int(number)
    except (ValueError, TypeError, OverflowError):
        return Unresolved(f"{tf_path}: {value!r} is not a valid {kind}; Terraform would reject it")
    return value


def tf_string(value: Any) -> Any:
    """Terraform's conversion of a primitive to string; anything else is left for the diff to show."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return value


def looks_unknown(value: Any, block_ids: set[str]) -> bool:
    """tfparse's ways of saying 'unknown': attribute markers, block UUIDs, leftover template text."""
    if type(value) is str:
        return "-" in value and any(match in block_ids for match in UUID.findall(value))
    if isinstance(value, Mapping):
        if "__attribute__" in value or "__name__" in value:
            return True
        return any(looks_unknown(v, block_ids) for v in value.values())
    if isinstance(value, list):
        return any(looks_unknown(v, block_ids) for v in value)
    if isinstance(value, str):
        return any(match in block_ids for match in UUID.findall(value))
    return False


def strip_meta(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: strip_meta(v) for k, v in value.items() if k not in ("__tfmeta", "id") or not isinstance(v, (dict, str))}
    if isinstance(value, list):
        return [strip_meta(v) for v in value]
    return value


def collect_ids(document: Any, found: set[str]) -> set[str]:
    if isinstance(document, Mapping):
        block_id = document.get("id")
        if isinstance(block_id, str) and UUID.fullmatch(block_id) and "__tfmeta" in document:
            found.add(block_id)
        for key, value in document.items():
            if key not in ("for_each", "__tfmeta"):  # tfparse repeats the whole for_each value per instance
                collect_ids(value, found)
    elif isinstance(document, list):
        for value in document:
            collect_ids(value, found)
    return found

