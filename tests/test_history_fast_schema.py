"""The fast schema check used to read big reports agrees with jsonschema: on a real report and on every one-node
mutation of it (each value replaced by each JSON type, each key removed, an unknown key added), for both the
report and the compare schemas; a schema keyword it does not know is refused, never skipped."""

from __future__ import annotations

import copy
import json
from importlib import resources
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner

from driftcheck.cli import main
from driftcheck.history.fast_schema import Unsupported, compile_schema
from driftcheck.reports.json_report import load_schema
from tests.conftest import DEMO_CFN, DEMO_LIVE, DEMO_PINNED, DEMO_TF

REPLACEMENTS: list[Any] = [None, True, 0, -1, 1.5, "", "x", [], [1, 1], {}, {"file": "f", "line": 1}]


def _nodes(value: Any, path: tuple = ()):
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _nodes(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nodes(item, (*path, index))


def _mutations(document: dict):
    for path, value in list(_nodes(document)):
        if not path:
            continue
        for replacement in REPLACEMENTS:
            if replacement != value or type(replacement) is not type(value):
                yield _set(document, path, replacement)
        if isinstance(path[-1], str):
            yield _set(document, path, _DELETE)
        if isinstance(value, dict):
            yield _set(document, (*path, "unexpected"), 1)


_DELETE = object()


def _set(document: dict, path: tuple, value: Any) -> dict:
    copied = copy.deepcopy(document)
    node = copied
    for key in path[:-1]:
        node = node[key]
    if value is _DELETE:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return copied


@pytest.fixture(scope="module")
def small_report(tmp_path_factory) -> dict:
    """A real report with the previous comparison: two shards' worth of pipelines, every kind of entry."""
    root = tmp_path_factory.mktemp("fast")
    first, second = root / "one.json", root / "two.json"
    args = [str(DEMO_PINNED.parent), str(DEMO_CFN.parent), str(DEMO_TF / "modules" / "hardened-pipeline"), "--region", "us-east-1",
            "--live", str(DEMO_LIVE), "--unmanaged", "--format", "json", "--output"]
    assert CliRunner().invoke(main, ["check", *args, str(first)]).exit_code in (1, 2)
    assert CliRunner().invoke(main, ["check", *args, str(second), "--previous", str(first)]).exit_code in (1, 2)
    document = json.loads(second.read_text())
    document["pipelines"] = [p for p in document["pipelines"] if p["status"] != "unmanaged"][:2] + [
        next(p for p in document["pipelines"] if p["status"] == "unmanaged")]
    document["previous"]["changes"] = document["previous"]["changes"][:2]
    document["severity_overrides"] = [{"pattern": "tags.*", "severity": "low"}]
    document["input_errors"] = [{"source": {"file": "x.tf", "line": 3}, "message": "bad"}]
    return document


def _agree(schema: dict, documents) -> int:
    fast = compile_schema(schema)
    slow = jsonschema.Draft202012Validator(schema)
    count = 0
    for document in documents:
        assert fast(document) == slow.is_valid(document), json.dumps(document)[:400]
        count += 1
    return count


def test_agrees_with_jsonschema_on_every_mutation_of_a_report(small_report) -> None:
    schema = load_schema()
    assert compile_schema(schema)(small_report) and jsonschema.Draft202012Validator(schema).is_valid(small_report)
    assert _agree(schema, _mutations(small_report)) > 1000


def test_agrees_with_jsonschema_on_the_compare_schema(small_report) -> None:
    schema = json.loads(resources.files("driftcheck.schemas").joinpath("compare.schema.json").read_text())
    document = {
        "compare_version": "1.0", "tool": {"name": "driftcheck", "version": "0.1.0"},
        "old": {"file": "a.json", "generated_at": "2026-11-30T02:00:00Z", "schema_version": "1.4"},
        "new": {"file": "b.json", "generated_at": "2026-12-01T02:00:00Z", "schema_version": "1.5"},
        "counts": small_report["previous"]["counts"], "changes": small_report["previous"]["changes"],
    }
    assert _agree(schema, [document]) == 1 and compile_schema(schema)(document)
    assert _agree(schema, _mutations(document)) > 200


def test_numbers_and_booleans_follow_json_schema_equality() -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer", "minimum": 0}, "c": {"const": 1}, "u": {"uniqueItems": True}}}
    documents = [{"n": 1.0}, {"n": True}, {"n": -0.5}, {"c": 1.0}, {"c": True}, {"u": [1, 1.0]}, {"u": [1, True]}, {"u": [{"a": 1}, {"a": 1}]}]
    assert _agree(schema, documents) == len(documents)


def test_an_unknown_keyword_is_refused() -> None:
    with pytest.raises(Unsupported):
        compile_schema({"type": "object", "propertyNames": {"pattern": "^a"}})
    with pytest.raises(Unsupported):
        compile_schema({"$ref": "other.json#/x"})
