"""Terraform's own ignore rules: ``lifecycle.ignore_changes`` and the provider's ``ignore_tags``.

Terraform never plans a change for what these name, so driftcheck never reports it as drift. The
differences are not dropped: each is kept as *ignored*, with the rule that matched, and shown in
every report. ``ignore_changes`` takes attribute names, nested paths (``tags["Owner"]``,
``schedule[0].schedule_expression``) and ``all``; ``ignore_tags`` takes exact ``keys`` and
``key_prefixes``, from the provider configuration the pipeline uses (aliases included).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from driftcheck.fields import FieldSpec, pipeline_model
from driftcheck.model import IgnoreRule, Location
from driftcheck.sources.terraform.index_model import Block

_STEP = re.compile(r'\s*(?:\.?\s*(?P<name>[A-Za-z_][\w-]*)|\[\s*(?P<index>"(?:[^"\\]|\\.)*"|\d+|\*)\s*\])')

# Terraform attribute -> API path, for the attributes that are not one-to-one with the field model
_TF_ONLY = {"tags_all": "tags"}


def _without_comments(text: str) -> str:
    """HCL text with ``#``, ``//`` and ``/* */`` comments removed (strings kept)."""
    out, i, quote = [], 0, False
    while i < len(text):
        char = text[i]
        if quote:
            out.append(char)
            if char == "\\" and i + 1 < len(text):
                out.append(text[i + 1])
                i += 2
                continue
            quote = char != '"'
        elif char == '"':
            quote = True
            out.append(char)
        elif char == "#" or text.startswith("//", i):
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = len(text) if end < 0 else end + 2
            out.append(" ")
            continue
        else:
            out.append(char)
        i += 1
    return "".join(out)


def _split_items(text: str) -> list[str]:
    """The top-level items of an HCL list literal's text."""
    body = _without_comments(text).strip()
    if body.startswith("[") and body.endswith("]"):
        body = body[1:-1]
    items, depth, current, quote = [], 0, "", False
    for i, char in enumerate(body):
        if char == '"' and (i == 0 or body[i - 1] != "\\"):
            quote = not quote
        if not quote and char in "[({":
            depth += 1
        elif not quote and char in "])}":
            depth -= 1
        if char == "," and depth == 0 and not quote:
            items.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        items.append(current.strip())
    return [item.strip() for item in items if item.strip()]


def api_path(tf_path: str) -> str | None:
    """``schedule[0].schedule_expression`` -> ``schedule.scheduleExpression``; ``tags["Owner"]`` -> ``tags.Owner``."""
    text = tf_path.strip()
    if text.startswith('"') and text.endswith('"'):  # Terraform 0.11 quoted form
        text = text[1:-1]
    text = re.sub(r"\.(\d+)(?=\.|$)", r"[\1]", text)  # legacy index form: schedule.0.schedule_expression
    spec: FieldSpec | None = pipeline_model()
    out: list[str] = []
    position = 0
    while position < len(text):
        match = _STEP.match(text, position)
        if not match or match.end() == position:
            return None
        position = match.end()
        if match["name"] is not None:
            name = _TF_ONLY.get(match["name"], match["name"]) if not out else match["name"]
            if spec is None:
                return None
            if spec.type == "map":
                out.append(name)
                spec = None
                continue
            child = next((key for key, c in spec.children.items() if c.overlay.tf_name == name or (not out and key == name)), None)
            if child is None:
                return None
            out.append(child)
            spec = spec.children[child]
        else:
            index = match["index"]
            if spec is not None and spec.type == "map" and index.startswith('"'):
                out.append(json.loads(index))
                spec = None
            elif spec is not None and spec.type == "list":
                if spec.overlay.set_key or not index.isdigit():
                    return ".".join(out)  # a set member or a splat: the whole attribute
                out[-1] += f"[{index}]"
                spec = spec.item
            elif spec is not None and spec.type == "structure":
                continue  # a nested block written as a one-item list: schedule[0]
            else:
                return None
    return ".".join(out) if out else None


def lifecycle_rules(block: Block | None) -> tuple[list[IgnoreRule], list[str]]:
    """The ``ignore_changes`` of a resource block, as rules on API paths; and notes for entries that map to nothing."""
    if block is None:
        return [], []
    rules: list[IgnoreRule] = []
    notes: list[str] = []
    for lifecycle in block.nested("lifecycle"):
        expr = lifecycle.attributes.get("ignore_changes")
        if expr is None:
            continue
        where = Location(lifecycle.location.file, expr.line)
        reason = f"lifecycle.ignore_changes at {where}"
        text = _without_comments(expr.text).strip()
        if text in ("all", '"all"'):
            rules.append(IgnoreRule("*", reason))
            continue
        _add_entries(_split_items(text), where, rules, notes)
    return rules, notes


def _add_entries(items: list[str], where: Location, rules: list[IgnoreRule], notes: list[str]) -> None:
    """One rule per ``ignore_changes`` entry; an entry that names no compared attribute is a note."""
    for item in items:
        path = api_path(item)
        if path is None:
            notes.append(f"{where}: ignore_changes entry {item} names no attribute driftcheck compares")
        else:
            rules.append(IgnoreRule(path, f"lifecycle.ignore_changes at {where}"))


def ignore_tags_rules(shown: Callable[[str], str], provider: Mapping[str, Any] | None, provider_block: Block | None) -> list[IgnoreRule]:
    """The provider's ``ignore_tags`` as rules on ``tags.KEY`` (exact keys) and ``tags.PREFIX*`` (prefixes)."""
    if provider is None:
        return []
    value = provider.get("ignore_tags")
    entries = value if isinstance(value, list) else [value] if isinstance(value, Mapping) else []
    block = next(iter(provider_block.nested("ignore_tags")), None) if provider_block is not None else None
    where = block.location if block is not None else Location(shown(str(provider.get("__tfmeta", {}).get("filename", ""))), provider.get("__tfmeta", {}).get("line_start"))
    alias = provider.get("alias")
    reason = f"provider aws{'.' + alias if isinstance(alias, str) and alias else ''} ignore_tags at {where}"
    rules: list[IgnoreRule] = []
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        for key in entry.get("keys") or []:
            if isinstance(key, str):
                rules.append(IgnoreRule(f"tags.{key}", reason))
        for prefix in entry.get("key_prefixes") or []:
            if isinstance(prefix, str):
                rules.append(IgnoreRule(f"tags.{prefix}", reason, prefix=True))
    return rules


def lifecycle_rules_of_value(lifecycle: Any, where: Location) -> tuple[list[IgnoreRule], list[str]]:
    """``ignore_changes`` from an evaluated ``lifecycle`` (a block the syntax index does not read, e.g. .tf.json)."""
    entries = lifecycle if isinstance(lifecycle, list) else [lifecycle]
    rules: list[IgnoreRule] = []
    notes: list[str] = []
    reason = f"lifecycle.ignore_changes at {where}"
    for entry in entries:
        value = entry.get("ignore_changes") if isinstance(entry, Mapping) else None
        if value in ("all", "${all}"):
            rules.append(IgnoreRule("*", reason))
            continue
        items = [str(item).removeprefix("${").removesuffix("}") for item in (value if isinstance(value, list) else [])]
        _add_entries(items, where, rules, notes)
    return rules, notes
