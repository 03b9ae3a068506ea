"""Remediation hints: for each difference, how to resolve it both ways.

1. *apply*: what re-applying the declaration does (``terraform apply sets status back to "ENABLED"``);
2. *accept*: the source change that would accept the live value instead, as a snippet in the declaring
   language at the declaring ``file:line``: HCL for Terraform (attribute names from the field overlay,
   nested structures as blocks, tags as a map), YAML for CloudFormation (PascalCase property names) and
   for driftcheck pipeline files (the API names).

When driftcheck cannot write the snippet exactly (a field inside a list of blocks such as a workflow
parameter, a field the language has no name for, a value that is unset live) the hint says so in
``accept_note`` instead of guessing.

:func:`hint_for` is a pure function of (source kind, path, declared, live, location); the renderers
:func:`hcl_value`, :func:`hcl_snippet` and :func:`yaml_snippet` are public for their tests. Nothing here
escapes for display: every report escapes the hint's text as it escapes the values.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from driftcheck.fields import FieldSpec, pipeline_model
from driftcheck.frozen import thaw
from driftcheck.model import Difference, Hint, Location

__all__ = ["exact_line_edit", "hcl_snippet", "hcl_value", "hint_for", "with_hints", "yaml_snippet"]

#: Longest value (characters of compact JSON) quoted in the "apply" sentence before it is cut.
MAX_APPLY_VALUE_CHARS = 120

_LANGUAGE = {"terraform": "hcl", "cloudformation": "yaml", "driftcheck": "yaml"}
# bidi marks, embeddings, overrides, isolates and line separators: escaped, so a snippet pasted into code
# cannot make it display differently from what it does
_INVISIBLE = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029\ufeff")
_HCL_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")


class CannotRender(Exception):
    """The value or field cannot be written exactly in the target language; the message says why."""


# ---------------------------------------------------------------- paths


def _resolve(path: str) -> list[tuple[FieldSpec, str | None]]:
    """The specs along a concrete API path: ``[(spec, None), ...]``, the last one ``(map spec, key)`` for
    ``tags.Key``. Raises CannotRender for a path inside a list of blocks (``workflows[1]...``) or unknown."""
    spec: FieldSpec = pipeline_model()
    chain: list[tuple[FieldSpec, str | None]] = []
    rest = path
    while rest:
        if spec.type == "map":
            chain.append((spec, rest))
            return chain
        head = re.match(r"[^.\[]+", rest)
        if head is None or spec.type != "structure" or head.group() not in spec.children:
            if rest.startswith("["):
                raise CannotRender("the field is inside a list of blocks; edit that item by hand")
            raise CannotRender(f"driftcheck does not know the field {path!r}")
        spec = spec.children[head.group()]
        rest = rest[head.end():]
        if rest.startswith("["):
            raise CannotRender("the field is inside a list of blocks; edit that item by hand")
        rest = rest.removeprefix(".")
        if spec.type != "map" or not rest:
            chain.append((spec, None))
    return chain


# ---------------------------------------------------------------- HCL


def hcl_string(text: str) -> str:
    """A quoted HCL string literal: backslash, quote and controls escaped, ``${`` and ``%{`` made literal."""
    out = []
    for char in text:
        if char == "\\":
            out.append("\\\\")
        elif char == '"':
            out.append('\\"')
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F or 0xD800 <= ord(char) <= 0xDFFF or char in _INVISIBLE:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out).replace("${", "$${").replace("%{", "%%{") + '"'


def hcl_key(key: str) -> str:
    """A map key: bare when it is an identifier, else a quoted string."""
    return key if _HCL_IDENTIFIER.match(key) and key not in ("true", "false", "null") else hcl_string(key)


def hcl_value(value: Any) -> str:
    """A JSON-compatible value as an HCL literal (strings, numbers, bools, null, lists, maps)."""
    value = thaw(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise CannotRender("the value is not a finite number")
        return repr(value)
    if isinstance(value, str):
        return hcl_string(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(hcl_value(item) for item in value) + "]"
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{hcl_key(str(k))} = {hcl_value(v)}" for k, v in value.items()) + " }"
    raise CannotRender(f"a {type(value).__name__} value has no HCL literal")


def _tf_name(spec: FieldSpec) -> str:
    if spec.overlay.tf_name is None:
        raise CannotRender(f"Terraform has no attribute for {spec.path}")
    return spec.overlay.tf_name


def _ordered(spec: FieldSpec, value: Any) -> Any:
    """``value`` with structure members in the model's order and map keys sorted, so a snippet never
    depends on the order a response happened to list them in; unknown members are refused."""
    value = thaw(value)
    if spec.type == "structure" and isinstance(value, Mapping):
        unknown = [member for member in value if member not in spec.children]
        if unknown:
            raise CannotRender(f"driftcheck does not know the field {spec.path}.{unknown[0]}")
        return {member: _ordered(child, value[member]) for member, child in spec.children.items() if member in value}
    if spec.type == "list" and spec.item is not None and isinstance(value, (list, tuple)):
        return [_ordered(spec.item, item) for item in value]
    if spec.type == "map" and isinstance(value, Mapping):
        return {key: value[key] for key in sorted(value)}
    return value


def _hcl_block_body(spec: FieldSpec, value: Mapping[str, Any], indent: str) -> list[str]:
    lines: list[str] = []
    for member, item in _ordered(spec, value).items():
        child = spec.children.get(member)
        if child is None:
            raise CannotRender(f"driftcheck does not know the field {spec.path}.{member}")
        lines.extend(_hcl_attribute(child, item, indent))
    return lines


def _hcl_attribute(spec: FieldSpec, value: Any, indent: str) -> list[str]:
    name = _tf_name(spec)
    value = thaw(value)
    if spec.type == "structure":
        if value is None:
            raise CannotRender("the block is unset live: remove it from the configuration")
        if not isinstance(value, Mapping):
            raise CannotRender("the value does not have the field's shape")
        return [f"{indent}{name} {{", *_hcl_block_body(spec, value, indent + "  "), f"{indent}}}"]
    if spec.type == "list" and spec.item is not None and spec.item.children:
        raise CannotRender(f"{spec.path} is a list of blocks; too complex to write exactly")
    if spec.overlay.tf_scalar_list:
        raise CannotRender(f"Terraform declares {spec.path} as one string; too complex to write exactly")
    return [f"{indent}{name} = {hcl_value(_ordered(spec, value))}"]


def hcl_snippet(path: str, value: Any) -> str:
    """The HCL that declares ``value`` at API ``path`` (``schedule { schedule_expression = "..." }``)."""
    chain = _resolve(path)
    spec, key = chain[-1]
    if key is not None:  # tags.Key
        inner = [f"{hcl_key(key)} = {hcl_value(value)}"]
        lines = [f"{_tf_name(spec)} = {{ {inner[0]} }}"]
    else:
        lines = _hcl_attribute(spec, value, "")
    for parent, _ in reversed(chain[:-1]):
        name = _tf_name(parent)
        if len(lines) == 1:
            lines = [f"{name} {{ {lines[0]} }}"]
        else:
            lines = [f"{name} {{", *("  " + line for line in lines), "}"]
    return "\n".join(lines)


# ---------------------------------------------------------------- YAML


@functools.cache
def _dumper() -> type:
    """PyYAML's safe dumper with driftcheck's string style (built, and PyYAML imported, for the first YAML hint)."""
    import yaml

    def present_str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
        # never block scalars or folding: one quoted line whenever plain would be read back as something else
        style = '"' if any(ord(char) < 0x20 or 0x7F <= ord(char) <= 0x9F or char in "\u2028\u2029\ufeff" for char in data) else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)

    class Dumper(yaml.SafeDumper):
        pass

    Dumper.add_representer(str, present_str)
    return Dumper


def _cfn_name(spec: FieldSpec) -> str:
    name = spec.cfn_name
    if name is None:
        raise CannotRender(f"CloudFormation has no property for {spec.path}")
    return name


def _cfn_tree(spec: FieldSpec, value: Any) -> Any:
    """``value`` with structure member names in CloudFormation's PascalCase."""
    if spec.type == "structure" and isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for member, item in value.items():
            child = spec.children.get(member)
            if child is None:
                raise CannotRender(f"driftcheck does not know the field {spec.path}.{member}")
            out[_cfn_name(child)] = _cfn_tree(child, item)
        return out
    if spec.type == "list" and spec.item is not None and spec.item.children and isinstance(value, (list, tuple)):
        return [_cfn_tree(spec.item, item) for item in value]
    return value


def yaml_snippet(path: str, value: Any, source_kind: str) -> str:
    """The YAML that declares ``value`` at API ``path``: CloudFormation property names for
    ``cloudformation``, the API's own names for driftcheck pipeline files. Values are quoted whenever a
    plain scalar would be read back differently (``"true"``, ``"0123"``, ``"a: b"``)."""
    chain = _resolve(path)
    cfn = source_kind == "cloudformation"
    spec, key = chain[-1]
    tree: Any = thaw(value)
    if tree is None and key is None and not spec.is_scalar():
        raise CannotRender("the field is unset live: remove it from the declaration")
    if key is not None:
        tree = {key: tree}
    else:
        tree = _ordered(spec, tree)
        if cfn:
            tree = _cfn_tree(spec, tree)
    for item_spec, _ in reversed(chain):
        tree = {(_cfn_name(item_spec) if cfn else item_spec.name): tree}
    import yaml

    try:
        text = yaml.dump(tree, Dumper=_dumper(), default_flow_style=False, sort_keys=False, allow_unicode=False, width=1 << 30)
    except yaml.YAMLError as exc:  # pragma: no cover - JSON-compatible values always dump
        raise CannotRender(f"the value cannot be written as YAML: {exc}") from exc
    return text.rstrip("\n")


# ---------------------------------------------------------------- hints


def _short(value: Any) -> str:
    text = json.dumps(thaw(value), sort_keys=True, ensure_ascii=True, separators=(", ", ": "))
    return text if len(text) <= MAX_APPLY_VALUE_CHARS else text[: MAX_APPLY_VALUE_CHARS - 3] + "..."


def _display_name(source_kind: str, path: str) -> str:
    """The field as the declaring language names it in prose, falling back to the API path."""
    try:
        chain = _resolve(path)
        if source_kind == "terraform":
            names = [_tf_name(spec) for spec, _ in chain]
        elif source_kind == "cloudformation":
            names = [_cfn_name(spec) for spec, _ in chain]
        else:
            return path
    except CannotRender:
        return path
    key = chain[-1][1]
    return ".".join(names) + (f".{key}" if key is not None else "")


def _apply_text(source_kind: str, path: str, declared: Any) -> str:
    name = _display_name(source_kind, path)
    what = f"removes {name} (declared unset)" if declared is None else f"sets {name} back to {_short(declared)}"
    if source_kind == "terraform":
        return f"terraform apply {what}"
    if source_kind == "cloudformation":
        return f"a stack update {what}"
    return f"re-running your deployment from this file {what}"


def hint_for(source_kind: str, path: str, declared: Any, live: Any, location: Location | None) -> Hint:
    """The remediation hint for one difference (pure: no files are read)."""
    language = _LANGUAGE.get(source_kind, "yaml")
    accept: str | None = None
    note: str | None = None
    attribute: str | None = None
    replaces_line = False
    try:
        if live is None and source_kind == "terraform":
            raise CannotRender("the field is unset live: remove it from the configuration (or set it to null)")
        if source_kind == "terraform":
            accept = hcl_snippet(path, live)
        else:
            accept = yaml_snippet(path, live, source_kind)
        chain = _resolve(path)
        top, key = chain[0]
        attribute = _tf_name(top) if source_kind == "terraform" else (_cfn_name(top) if source_kind == "cloudformation" else top.name)
        replaces_line = len(chain) == 1 and key is None and "\n" not in accept
    except CannotRender as exc:
        accept, note, attribute, replaces_line = None, str(exc), None, False
    return Hint(
        apply=_apply_text(source_kind, path, declared),
        language=language,
        accept=accept,
        accept_note=note,
        at=location,
        attribute=attribute,
        replaces_line=replaces_line,
    )


def with_hints(source_kind: str, differences: tuple[Difference, ...]) -> tuple[Difference, ...]:
    """The differences, each with its hint."""
    return tuple(
        replace(d, hint=hint_for(source_kind, d.path, d.declared, d.live, d.source)) for d in differences
    )


# ---------------------------------------------------------------- exact edits (SARIF fixes)

_MAX_SOURCE_BYTES = 4 * 1024 * 1024
# a literal that the snippet may replace: nothing computed (interpolation, references, intrinsics) is touched
_HCL_LITERAL = re.compile(r'"(?:[^"\\$%]|\\.|\$(?!\{)|%(?!\{))*"|-?[0-9]+(?:\.[0-9]+)?|true|false')
_YAML_LITERAL = re.compile(r"""'(?:[^']|'')*'|"(?:[^"\\]|\\.)*"|[^\s!&*{}\[\]|>'"#%@`,?:-][^#]*?|-?[0-9][^#\s]*""")


def exact_line_edit(hint: Hint, *, shared: bool = False) -> tuple[str, str] | None:
    """``(line, replacement)`` when the hint's snippet can replace the declaring line exactly: the snippet
    is one line for a top-level field, the declaring line is just ``name = literal`` (HCL) or
    ``Name: literal`` (YAML) for that same name, and the declaration is not ``shared`` by several
    pipelines (a ``for_each``/``count`` resource, a module called twice): replacing its line would
    change them all. Reads the declaring file; None whenever anything is uncertain."""
    if shared or not hint.replaces_line or hint.accept is None or hint.attribute is None or hint.at is None or not hint.at.line:
        return None
    try:
        with open(hint.at.file, "rb") as handle:
            data = handle.read(_MAX_SOURCE_BYTES + 1)
    except OSError:
        return None
    if len(data) > _MAX_SOURCE_BYTES:
        return None
    try:
        lines = data.decode("utf-8").splitlines()
    except UnicodeDecodeError:
        return None
    if hint.at.line > len(lines):
        return None
    line = lines[hint.at.line - 1]
    separator, literal = (r"[ \t]*=[ \t]*", _HCL_LITERAL) if hint.language == "hcl" else (r":[ \t]+", _YAML_LITERAL)
    match = re.fullmatch(rf"([ \t]*){re.escape(hint.attribute)}{separator}(\S.*?)[ \t]*", line)
    if match is None or literal.fullmatch(match.group(2)) is None:
        return None
    return line, match.group(1) + hint.accept
