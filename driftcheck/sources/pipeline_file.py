"""Reads driftcheck's own pipeline files (``driftcheck: pipelines/v1``) into declared pipelines.

The format, for teams without IaC and for pinned expectations, uses the API's own field names and
nesting, so the ``imagePipeline`` object of ``aws imagebuilder get-image-pipeline`` can be pasted as an
entry::

    driftcheck: pipelines/v1          # required marker
    region: eu-west-1                 # optional default region of the entries
    pipelines:
      - name: nightly-base            # required
        region: eu-west-1             # optional
        arn: arn:aws:imagebuilder:... # optional; the pipeline is then matched by ARN
        status: ENABLED
        schedule: {scheduleExpression: cron(0 3 * * ? *)}

Each document is validated against :func:`driftcheck.pipeline_schema.pipeline_file_schema` (generated
from the installed botocore model), and every problem becomes an :class:`InputError` with the line it
is on and a one-line message that names the field path and what is valid. Only the fields written in an
entry are compared; an explicit ``null`` means "expected unset"; nothing is implied by absence.

Strictness: a value whose YAML type is not the field's type is an error, even when a string was meant
(``description: 2024-01-02`` is a YAML date, ``status: yes`` a boolean); the message says to quote it.
Integers must be written as integers (``720``, not ``720.0``).
"""

from __future__ import annotations

import datetime
import difflib
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from driftcheck.fields import FieldSpec, pipeline_model
from driftcheck.frozen import freeze
from driftcheck.live.fetch import arn_region
from driftcheck.model import DeclaredPipeline, InputError, Location
from driftcheck.pipeline_schema import MARKER_KEY, REGION_KEY, pipeline_file_schema
from driftcheck.sources.base import SourceResult
from driftcheck.sources.yaml_tree import Document, Node

if TYPE_CHECKING:  # jsonschema is imported when a pipeline file is validated, not with the sources' registry
    import jsonschema
    from jsonschema import Draft202012Validator

__all__ = ["MARKER", "PipelineFileSource", "is_pipeline_file"]

MARKER = MARKER_KEY
PIPELINES_KEY = "pipelines"
_MAX_SHOWN = 60  # characters of a string value quoted in a message

Path = tuple[str | int, ...]


def is_pipeline_file(root: Node) -> bool:
    """True when a loaded document is a driftcheck pipeline file (a mapping with the ``driftcheck`` key)."""
    return root.is_mapping() and MARKER in root.value


def _is_integer(checker: Any, instance: Any) -> bool:
    """Strict integers: 720 is one, 720.0 and true are not (the API and the diff keep the difference)."""
    return isinstance(instance, int) and not isinstance(instance, bool)


@functools.lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    """One validator for the schema generated from the installed model (built once per process)."""
    import jsonschema
    from jsonschema import Draft202012Validator

    schema = pipeline_file_schema()
    Draft202012Validator.check_schema(schema)
    checker = Draft202012Validator.TYPE_CHECKER.redefine("integer", _is_integer)
    strict = jsonschema.validators.extend(Draft202012Validator, type_checker=checker)
    return strict(schema)


# ----------------------------------------------------------------------------------------------- messages


@dataclass(frozen=True)
class _Problem:
    """One problem found in a document: its line, its message, and the value path it is about."""

    line: int
    message: str
    path: Path
    subject: str  # the rendered path the message is about
    rank: int = 1  # 0 for type errors: they make other complaints about the same value moot


def _render(path: Iterable[str | int]) -> str:
    """``("pipelines", 0, "schedule")`` -> ``pipelines[0].schedule``; the empty path is ``top level``."""
    text = ""
    for element in path:
        if isinstance(element, int):
            text += f"[{element}]"
        else:
            text = f"{text}.{element}" if text else str(element)
    return text or "top level"


def _kind(value: Any) -> str:
    """The YAML-facing name of a loaded value's type."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "mapping"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, datetime.datetime):
        return "timestamp"
    if isinstance(value, datetime.date):
        return "date"
    return type(value).__name__


def _show(value: Any) -> str:
    """A value as a message shows it: strings quoted (and cut), scalars as YAML writes them."""
    if isinstance(value, str):
        return repr(value if len(value) <= _MAX_SHOWN else value[: _MAX_SHOWN - 3] + "...")
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime.date, datetime.datetime)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, (list, tuple)):
        return "a list"
    return str(value)


def _described(value: Any, node: Node | None) -> str:
    """``string '720'``, ``integer 30``, ``date 2024-01-02``, ``mapping``... for "got ..." in a message."""
    kind = _kind(value)
    if kind in ("null", "mapping", "list"):
        return kind
    if not isinstance(value, str) and node is not None and node.raw is not None:
        return f"{kind} {node.raw}"  # as written: 0123, yes, 2024-01-02
    return f"{kind} {_show(value)}"


_TYPE_NAMES = {"object": "mapping", "array": "list"}


def _expected(types: Any) -> list[str]:
    """The JSON types a schema allows, as messages name them (null left out: it is never the point)."""
    listed = [types] if isinstance(types, str) else list(types)
    return [_TYPE_NAMES.get(t, t) for t in listed if t != "null"]


def _count(count: int, one: str, many: str) -> str:
    """``1 item``, ``2 items``."""
    return f"{count} {one if count == 1 else many}"


def _complaint(keyword: str, limit: Any, value: Any, node: Node | None) -> tuple[str, int]:
    """What is wrong with ``value`` under one schema keyword, and its rank."""
    if keyword == "type":
        expected = _expected(limit)
        hint = ""
        if "string" in expected and _kind(value) in ("integer", "number", "boolean", "date", "timestamp"):
            hint = " (quote it to make it a string)"
        return f"expected {' or '.join(expected)}, got {_described(value, node)}{hint}", 0
    if keyword == "enum":
        return f"{_show(value)} is not one of {', '.join(str(v) for v in limit if v is not None)}", 1
    if keyword == "const":
        return f"{_show(value)} is not supported; expected {limit}", 1
    if keyword == "minimum":
        return f"{_show(value)} is less than the minimum {limit}", 1
    if keyword == "maximum":
        return f"{_show(value)} is more than the maximum {limit}", 1
    if keyword == "minLength":
        return f"{_show(value)} is shorter than the minimum length {limit}", 1
    if keyword == "maxLength":
        return f"{_show(value)} is longer than the maximum length {limit} ({len(value)} characters)", 1
    if keyword == "minItems":
        return f"expected at least {_count(limit, 'item', 'items')}, got {len(value)}", 1
    if keyword == "maxItems":
        return f"expected at most {_count(limit, 'item', 'items')}, got {len(value)}", 1
    if keyword == "maxProperties":
        return f"expected at most {_count(limit, 'entry', 'entries')}, got {len(value)}", 1
    return "", 1


def _resolve(root: Node, path: Path) -> tuple[Node | None, int]:
    """The node at ``path`` and the line to report for it (a mapping member's key line)."""
    node: Node | None = root
    line = root.line
    for element in path:
        if node is None:
            break
        if node.is_mapping() and isinstance(element, str) and element in node.value:
            line = node.key_location(element).line or line
            node = node.value[element]
        elif node.is_sequence() and isinstance(element, int) and 0 <= element < len(node.value):
            node = node.value[element]
            line = node.line
        else:
            node = None
    return node, line


def _explain(error: jsonschema.ValidationError, root: Node) -> list[_Problem]:
    """One jsonschema error as problems with lines and one-line messages."""
    path: Path = tuple(error.absolute_path)
    node, line = _resolve(root, path)
    subject = _render(path)
    keyword = str(error.validator)
    if "propertyNames" in error.schema_path:  # a bad map key: the error is on the map, the instance is the key
        key = str(error.instance)
        key_line = node.key_location(key).line if node is not None and node.is_mapping() else line
        text, rank = _complaint(keyword, error.validator_value, key, None)
        text = text or " ".join(error.message.split())
        return [_Problem(key_line or line, f"{subject}: key {text}", path + (key,), f"{subject}[key {key}]", rank)]
    if keyword == "additionalProperties" and isinstance(error.instance, Mapping):
        allowed = sorted(error.schema.get("properties", {}))
        problems = []
        for extra in error.instance:
            if extra in allowed:
                continue
            extra_path = path + (str(extra),)
            extra_line = node.key_location(str(extra)).line if node is not None and node.is_mapping() else line
            close = difflib.get_close_matches(str(extra), allowed, n=1)
            suggestion = f" (did you mean {close[0]}?)" if close else ""
            message = f"{_render(extra_path)}: unknown field; valid fields: {', '.join(allowed)}{suggestion}"
            problems.append(_Problem(extra_line or line, message, extra_path, _render(extra_path)))
        return problems
    if keyword == "required" and isinstance(error.instance, Mapping):
        return [
            _Problem(line, f"{subject}: missing required field {name}", path, subject)
            for name in error.validator_value
            if name not in error.instance
        ]
    text, rank = _complaint(keyword, error.validator_value, error.instance, node)
    return [_Problem(line, f"{subject}: {text or ' '.join(error.message.split())}", path, subject, rank)]


# ------------------------------------------------------------------------------------- checks beyond the schema


def _tag_problems(node: Node, path: Path) -> list[_Problem]:
    """Unknown local YAML tags (``!vault x``): driftcheck would otherwise read the bare value."""
    problems = []
    if node.tag is not None:
        problems.append(_Problem(node.line, f"{_render(path)}: unsupported YAML tag {node.tag}", path, _render(path)))
    if node.is_mapping():
        for key, child in node.value.items():
            problems.extend(_tag_problems(child, path + (key,)))
    elif node.is_sequence():
        for index, child in enumerate(node.value):
            problems.extend(_tag_problems(child, path + (index,)))
    return problems


def _duplicate_problems(spec: FieldSpec, node: Node, path: Path) -> list[_Problem]:
    """Two members of a keyed set (workflow parameters) with the same key: one would silently win."""
    problems: list[_Problem] = []
    if spec.type == "structure" and node.is_mapping():
        for key, child in node.value.items():
            if key in spec.children:
                problems.extend(_duplicate_problems(spec.children[key], child, path + (key,)))
    elif spec.type == "list" and spec.item is not None and spec.item.children and node.is_sequence():
        set_key = spec.overlay.set_key
        seen: dict[str, int] = {}
        for index, item in enumerate(node.value):
            problems.extend(_duplicate_problems(spec.item, item, path + (index,)))
            key_node = item.get(set_key) if set_key else None
            if key_node is None or not isinstance(key_node.value, str):
                continue
            line = item.key_location(set_key).line or item.line
            if key_node.value in seen:
                where = path + (index, set_key)
                message = f"{_render(where)}: duplicate {set_key} {key_node.value!r} (first at line {seen[key_node.value]})"
                problems.append(_Problem(line, message, where, _render(where)))
            else:
                seen[key_node.value] = line
    return problems


def _region_problems(entry: Node, path: Path) -> list[_Problem]:
    """An entry whose region contradicts its ARN could never be found."""
    region, arn = entry.get(REGION_KEY), entry.get("arn")
    if region is None or arn is None or not isinstance(region.value, str) or not isinstance(arn.value, str):
        return []
    arn_in = arn_region(arn.value)
    if arn_in is None or arn_in == region.value:
        return []
    where = path + (REGION_KEY,)
    message = f"{_render(where)}: {region.value!r} is not the region of arn ({arn_in})"
    return [_Problem(entry.key_location(REGION_KEY).line or entry.line, message, where, _render(where))]


def _validated_values(root: Node) -> Any:
    """``root.plain()``, except that output-only fields pasted with an unquoted timestamp keep their text:
    they are never compared, so YAML's reading of ``dateCreated: 2026-01-01T00:00:00Z`` is no error."""
    plain = root.plain()
    entries = root.get(PIPELINES_KEY)
    if not isinstance(plain, dict) or entries is None or not entries.is_sequence():
        return plain
    for entry_node, entry in zip(entries.value, plain.get(PIPELINES_KEY) or []):
        if not entry_node.is_mapping() or not isinstance(entry, dict):
            continue
        for key, child in entry_node.value.items():
            spec = pipeline_model().children.get(key)
            if spec is not None and spec.overlay.output_only and isinstance(child.value, datetime.date) and child.raw:
                entry[key] = child.raw
    return plain


def _problems(root: Node) -> list[_Problem]:
    """Every problem of one document, one per value and message, in line order."""
    found: list[_Problem] = []
    for error in _validator().iter_errors(_validated_values(root)):
        found.extend(_explain(error, root))
    found.extend(_tag_problems(root, ()))
    entries = root.get(PIPELINES_KEY)
    if entries is not None and entries.is_sequence():
        for index, entry in enumerate(entries.value):
            if entry.is_mapping():
                found.extend(_duplicate_problems(pipeline_model(), entry, (PIPELINES_KEY, index)))
                found.extend(_region_problems(entry, (PIPELINES_KEY, index)))
    typed = {p.subject for p in found if p.rank == 0}
    kept: dict[tuple[str, str], _Problem] = {}
    for problem in found:
        if problem.rank > 0 and problem.subject in typed:
            continue  # "expected integer, got string" says it all; no "'x' is not one of ..." on top
        kept.setdefault((problem.subject, problem.message), problem)
    return sorted(kept.values(), key=lambda p: (p.line, p.message))


# ----------------------------------------------------------------------------------------------- pipelines


def _locate(spec: FieldSpec, node: Node, path: str, location: Location, out: dict[str, Location]) -> None:
    """Record the location of ``path`` and of every written path below it, in the diff's path syntax."""
    out[path] = location
    if spec.type == "structure" and node.is_mapping():
        for key, child in node.value.items():
            if key in spec.children:
                _locate(spec.children[key], child, f"{path}.{key}", node.key_location(key), out)
    elif spec.type == "map" and node.is_mapping():
        for key in node.value:
            out[f"{path}.{key}"] = node.key_location(key)
    elif spec.type == "list" and spec.item is not None and spec.item.children and node.is_sequence():
        set_key = spec.overlay.set_key
        for index, item in enumerate(node.value):
            key_node = item.get(set_key) if set_key else None
            if key_node is not None and isinstance(key_node.value, str):
                member = f"{path}[{set_key}={key_node.value}]"  # a keyed set: the diff names members by key
            else:
                member = f"{path}[{index}]"
            _locate(spec.item, item, member, item.location, out)
    # a list of scalars (containerTags, a parameter's value) is one field: its own path only


def _string(node: Node | None) -> str | None:
    """The node's value when it is a non-empty string."""
    return node.value if node is not None and isinstance(node.value, str) and node.value else None


def _declared(file: str, entry: Node, file_region: str | None, error: str | None = None) -> DeclaredPipeline:
    """One entry of ``file`` as a DeclaredPipeline (fields and locations only when the entry is valid)."""
    model = pipeline_model()
    name = _string(entry.get("name")) or ""
    arn = _string(entry.get("arn"))
    region = _string(entry.get(REGION_KEY)) or (arn_region(arn) if arn else None) or file_region
    fields: dict[str, Any] = {}
    locations: dict[str, Location] = {}
    service_set: list[str] = []
    if error is None:
        for key, child in entry.value.items():
            spec = model.children.get(key)
            if spec is None:  # region (validation rejected anything else)
                continue
            if spec.overlay.output_only:
                if key != "arn":  # the ARN is used: it is how the pipeline is matched
                    service_set.append(key)
                continue
            fields[key] = child.plain()
            _locate(spec, child, key, entry.key_location(key), locations)
    notes = (f"not compared (set by the service): {', '.join(sorted(service_set))}",) if service_set else ()
    return DeclaredPipeline(
        id=name,
        source_kind=PipelineFileSource.kind,
        name=name,
        location=Location(file, entry.line),
        fields=freeze(fields),
        field_locations=freeze(locations),
        arn=arn,
        region=region,
        error=error,
        notes=notes,
    )


class PipelineFileSource:
    """Declared pipelines from driftcheck pipeline files (already loaded into located documents)."""

    kind = "driftcheck"

    def collect(self, documents: Iterable[Document]) -> SourceResult:
        """Every entry of every document, and every problem as an input error (nothing else is lost)."""
        pipelines: list[DeclaredPipeline] = []
        errors: list[InputError] = []
        for document in documents:
            found, problems = self._document(document)
            pipelines.extend(found)
            errors.extend(problems)
        return SourceResult(tuple(pipelines), tuple(errors))

    def _document(self, document: Document) -> tuple[list[DeclaredPipeline], list[InputError]]:
        if document.duplicate_keys:  # the schema is strict: which of the two values was meant is not ours to guess
            refused = [duplicate.strict_error() for duplicate in document.duplicate_keys]
            return [], [InputError(error.location or Location(document.file), error.message) for error in refused]
        root = document.root
        problems = _problems(root)
        errors = [InputError(Location(document.file, p.line), p.message) for p in problems]
        by_entry: dict[int, list[_Problem]] = {}
        for problem in problems:
            if len(problem.path) >= 2 and problem.path[0] == PIPELINES_KEY and isinstance(problem.path[1], int):
                by_entry.setdefault(problem.path[1], []).append(problem)
            else:  # the file itself is wrong: none of its entries can be trusted (which region? which format?)
                return [], errors
        file_region = _string(root.get(REGION_KEY))
        entries = root.get(PIPELINES_KEY)
        pipelines: list[DeclaredPipeline] = []
        for index, entry in enumerate(entries.value if entries is not None else ()):
            entry_problems = by_entry.get(index)
            if not entry_problems:
                pipelines.append(_declared(document.file, entry, file_region))
            elif entry.is_mapping() and _string(entry.get("name")):
                first = entry_problems[0]
                error = f"invalid entry: {first.message} ({Location(document.file, first.line)})"
                pipelines.append(_declared(document.file, entry, file_region, error))
        return pipelines, errors
