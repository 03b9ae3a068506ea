"""Terraform state: resource attributes by address, from a v4 state file or `terraform show -json`.

State is what lets driftcheck resolve references to other resources (``aws_imagebuilder_image_recipe.r.arn``)
and know each pipeline's ARN, so it can be fetched without a name lookup.

The file is untrusted input and is bounded before it is parsed: only a regular file of at most
:data:`MAX_STATE_BYTES` is read (:mod:`driftcheck.sources.files`); one linear scan then refuses nesting
deeper than :data:`MAX_DEPTH`, duplicate keys and ``NaN``/``Infinity`` (each at its line), so
``json.loads`` can never recurse without bound. Every structural problem is a
:class:`~driftcheck.errors.SourceError` with the file, the line of the offending value and a plain
reason. :func:`read_state` returns such an error instead of raising it, so a broken state only
makes the references it would resolve unresolved; every source is still checked.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from driftcheck.errors import SourceError
from driftcheck.frozen import freeze
from driftcheck.model import InputError, Location
from driftcheck.sources.files import read_text
from driftcheck.sources.terraform.options import RESOURCE_TYPE
from driftcheck.sources.yaml_tree import MAX_DEPTH

log = logging.getLogger(__name__)

#: Largest state file read, in bytes.
MAX_STATE_BYTES = 50 * 1024 * 1024


def _index_suffix(index: Any) -> str:
    if index is None:
        return ""
    if isinstance(index, int):
        return f"[{index}]"
    return f'[{json.dumps(index)}]'


_INSTANCE = r"[^.\[]+(?:\[[^\]]*\])?"  # a name and its instance key, if any
_PIPELINE_ADDRESS = re.compile(rf"^(?:module\.{_INSTANCE}\.)*{re.escape(RESOURCE_TYPE)}\.{_INSTANCE}$")


@dataclass(frozen=True)
class TerraformState:
    """Attributes of every resource instance, keyed by full address (``module.m.aws_x.y["k"]``)."""

    instances: Mapping[str, Mapping[str, Any]]
    path: str = ""

    def attributes(self, address: str) -> Mapping[str, Any] | None:
        """The attributes of one instance, or None."""
        return self.instances.get(address)

    def pipeline_arns(self) -> list[str]:
        """The ARN of every ``aws_imagebuilder_image_pipeline`` instance the state holds, in address order."""
        return [
            str(attributes["arn"])
            for address, attributes in sorted(self.instances.items())
            if _PIPELINE_ADDRESS.match(address) and str(attributes.get("arn", "")).startswith("arn:")
        ]

    def instance_keys(self, resource_address: str) -> list[str]:
        """Addresses of every instance of a resource (``aws_x.y`` -> ``aws_x.y["a"]``, ``aws_x.y[0]``...)."""
        return sorted(
            address
            for address in self.instances
            if address == resource_address or (address.startswith(resource_address + "[") and address.endswith("]"))
        )


class _Malformed(Exception):
    """A structural problem, at the container (dict or list) closest to it, or at one of the root's keys."""

    def __init__(self, message: str, near: Any, key: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.near = near
        self.key = key


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "a JSON object"
    if isinstance(value, list):
        return "a JSON array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return "a number"


def _optional(container: dict[str, Any], key: str, expected: type, what: str) -> Any:
    """``container[key]`` if it is of type ``expected`` or absent/null (then None); _Malformed otherwise."""
    value = container.get(key)
    if value is None or (isinstance(value, expected) and not isinstance(value, bool)):
        return value
    names = {dict: "a JSON object", list: "a JSON array", str: "a string"}
    raise _Malformed(f'{what}: "{key}" must be {names[expected]} (found {_kind(value)})', container, key)


def _each(items: list[Any], what: str) -> Iterator[tuple[int, dict[str, Any]]]:
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise _Malformed(f"{what}[{index}] must be a JSON object (found {_kind(item)})", items)
        yield index, item


def _v4(document: dict[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for index, resource in _each(_optional(document, "resources", list, "state") or [], "resources"):
        what = f"resources[{index}]"
        kind, name = resource.get("type"), resource.get("name")
        for key, value in (("type", kind), ("name", name)):
            if not isinstance(value, str) or not value:
                raise _Malformed(f'{what}: "{key}" must be a non-empty string (found {_kind(value)})', resource)
        module = _optional(resource, "module", str, what)
        mode = _optional(resource, "mode", str, what)
        prefix = f"{module}." if module else ""
        data = "data." if mode == "data" else ""
        base = f"{prefix}{data}{kind}.{name}"
        for number, instance in _each(_optional(resource, "instances", list, what) or [], f"{what}.instances"):
            if instance.get("deposed"):
                continue  # an object create_before_destroy is about to delete, not the current one
            index_key = instance.get("index_key")
            if isinstance(index_key, bool) or not isinstance(index_key, (int, str, type(None))):
                raise _Malformed(f'{what}.instances[{number}]: "index_key" must be a number or a string (found {_kind(index_key)})', instance)
            attributes = _optional(instance, "attributes", dict, f"{what}.instances[{number}]") or {}
            yield base + _index_suffix(index_key), attributes


def _show_json(module: dict[str, Any], what: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for index, resource in _each(_optional(module, "resources", list, what) or [], f"{what}.resources"):
        if resource.get("deposed_key"):
            continue
        address = resource.get("address")
        if not isinstance(address, str) or not address:
            raise _Malformed(f'{what}.resources[{index}]: "address" must be a non-empty string (found {_kind(address)})', resource)
        yield address, _optional(resource, "values", dict, f"{what}.resources[{index}]") or {}
    for index, child in _each(_optional(module, "child_modules", list, what) or [], f"{what}.child_modules"):
        yield from _show_json(child, f"{what}.child_modules[{index}]")


def _show_json_values(document: dict[str, Any]) -> dict[str, Any]:
    """The root module of `terraform show -json` of a state, or of a saved plan (whose prior_state is the state)."""
    values = _optional(document, "values", dict, "state")
    if values is None:
        prior = _optional(document, "prior_state", dict, "state") or {}
        values = _optional(prior, "values", dict, "prior_state") or {}
    return _optional(values, "root_module", dict, "values") or {}


_EXPECTED = 'expected a JSON object with "version": 4, or the output of `terraform show -json`'


def _pairs(document: Any) -> Iterator[tuple[str, Mapping[str, Any]]]:
    if not isinstance(document, dict):
        raise _Malformed(f"not a Terraform state: {_EXPECTED} (found {_kind(document)})", document)
    if "values" in document or "format_version" in document:
        yield from _show_json(_show_json_values(document), "root_module")
        return
    version = document.get("version")
    if "version" not in document:
        keys = ", ".join(json.dumps(key) for key in list(document)[:5]) or "none"
        raise _Malformed(f"not a Terraform state: {_EXPECTED} (found an object without \"version\"; keys: {keys})", document)
    if isinstance(version, int) and not isinstance(version, bool) and 0 < version < 4:
        raise _Malformed(
            f"Terraform state version {version} is not supported: only version 4 state files (Terraform 0.12 "
            "and later) and `terraform show -json` output are read; run `terraform show -json` to convert it",
            document,
            "version",
        )
    if version != 4 or isinstance(version, bool) or not isinstance(version, int):
        raise _Malformed(f'not a Terraform state: "version" is {json.dumps(version)}; {_EXPECTED}', document, "version")
    yield from _v4(document)


# Everything up to the next bracket, JSON strings skipped whole; group 1 is the bracket (or a lone quote: stop).
_BRACKET = re.compile(r'(?:[^"\[\]{}]++|"[^"\\]*+(?:\\.[^"\\]*+)*+")*+([\[\]{}"])', re.DOTALL)


def _check_depth(text: str, shown: str) -> None:
    """The fast linear pass: refuse nesting deeper than MAX_DEPTH before json.loads can recurse."""
    depth = 0
    for match in _BRACKET.finditer(text):
        bracket = match.group(1)
        if bracket in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                line = text.count("\n", 0, match.start(1)) + 1
                raise SourceError(f"nested deeper than {MAX_DEPTH} levels; refusing to read it", Location(shown, line))
        elif bracket == '"':
            return  # an unterminated string: json.loads reports it
        elif depth:
            depth -= 1


class _Locate(Exception):
    """json.loads met a duplicate key or a NaN: the slow scan finds its line."""


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        seen: set[str] = set()
        key = next(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
        raise _Locate(f"duplicate key {json.dumps(key)} in an object")
    return document


def _constant(name: str) -> Any:
    raise _Locate(f"{name} is not valid JSON (a state never holds it)")


# The slow pass, run only to locate a problem: a whole JSON string (group 1; group 2 when it is a key), a lone quote (unterminated: stop), a bracket, a constant.
_TOKEN = re.compile(r'("[^"\\]*+(?:\\.[^"\\]*+)*+")(\s*+:)?|"|[\[\]{}]|NaN|-?Infinity', re.DOTALL)


class _Scan:
    """One linear pass over the text, before json.loads: depth, duplicate keys, NaN; container starts."""

    def __init__(self, text: str, shown: str) -> None:
        self.text = text
        self.shown = shown
        self.openers: list[int] = []  # where each object/array starts, in document order
        self.top_keys: dict[str, int] = {}  # where each key of the root object is written

    def error(self, message: str, index: int) -> SourceError:
        return SourceError(message, Location(self.shown, self.text.count("\n", 0, index) + 1))

    def run(self) -> None:
        stack: list[set[str] | None] = []  # open containers: an object's keys so far, None for an array
        for match in _TOKEN.finditer(self.text):
            token = match.group()
            first = token[0]
            if first == '"':
                if match.group(1) is None:
                    return  # an unterminated string: json.loads reports it
                if match.group(2) is None or not stack or stack[-1] is None:
                    continue
                raw = match.group(1)
                try:
                    key = json.loads(raw) if "\\" in raw else raw[1:-1]
                except ValueError:
                    return  # a bad escape: json.loads reports it
                keys = stack[-1]
                if key in keys:
                    raise self.error(f"duplicate key {json.dumps(key)} in an object", match.start())
                keys.add(key)
                if len(stack) == 1:
                    self.top_keys[key] = match.start()
            elif first in "[{":
                stack.append(set() if first == "{" else None)
                self.openers.append(match.start())
                if len(stack) > MAX_DEPTH:
                    raise self.error(f"nested deeper than {MAX_DEPTH} levels; refusing to read it", match.start())
            elif first in "]}":
                if stack:
                    stack.pop()
            else:
                raise self.error(f"{token} is not valid JSON (a state never holds it)", match.start())

    def line_of(self, root: Any, target: Any) -> int | None:
        """The line where container ``target`` starts: its rank among containers, in document order."""
        rank = 0
        pending = [root]
        while pending:
            node = pending.pop()
            if not isinstance(node, (dict, list)):
                continue
            if node is target:
                if rank < len(self.openers):
                    return self.text.count("\n", 0, self.openers[rank]) + 1
                return None
            rank += 1
            pending.extend(reversed(list(node.values() if isinstance(node, dict) else node)))
        return None

    def line_of_key(self, key: str) -> int | None:
        index = self.top_keys.get(key)
        return None if index is None else self.text.count("\n", 0, index) + 1


def _first_line(text: str) -> int:
    stripped = text.lstrip()
    return text.count("\n", 0, len(text) - len(stripped)) + 1


def load_state(path: Path, shown: str | None = None) -> TerraformState:
    """Read a state file of either format; raises SourceError naming the file (and line) on anything malformed.

    ``shown`` is the name used in messages (default: the path).
    """
    shown = str(path) if shown is None else shown
    text = read_text(Path(path), shown, limit=MAX_STATE_BYTES, what="state file").removeprefix("\ufeff")
    _check_depth(text, shown)
    try:
        document = json.loads(text, object_pairs_hook=_unique, parse_constant=_constant)
    except _Locate as exc:
        _Scan(text, shown).run()  # raises at the problem's line
        raise SourceError(str(exc), Location(shown)) from None
    except json.JSONDecodeError as exc:
        raise SourceError(f"state file is not valid JSON: {exc.msg.removesuffix(' at')}", Location(shown, exc.lineno)) from None
    except (ValueError, RecursionError) as exc:
        why = "a number has too many digits" if "digits" in str(exc) else " ".join(str(exc).split())
        raise SourceError(f"state file is not valid JSON: {why}", Location(shown, _first_line(text))) from None
    try:
        pairs = dict(_pairs(document))
    except _Malformed as exc:
        scan = _Scan(text, shown)
        scan.run()
        if exc.near is document and exc.key is not None:
            line = scan.line_of_key(exc.key)
        elif isinstance(exc.near, (dict, list)):
            line = scan.line_of(document, exc.near)
        else:
            line = _first_line(text)
        raise SourceError(exc.message, Location(shown, line)) from None
    return TerraformState(instances=freeze(pairs), path=shown)


def read_state(path: Path, shown: str | None = None) -> tuple[TerraformState | None, InputError | None]:
    """:func:`load_state`, with a malformed or unreadable state returned as an InputError (the state is then absent)."""
    try:
        return load_state(path, shown), None
    except SourceError as exc:
        log.debug("%s: %s", exc.location or path, exc.message, exc_info=True)  # --debug: the traceback
        return None, InputError(exc.location or Location(str(path) if shown is None else shown), exc.message)
