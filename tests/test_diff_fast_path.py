"""compare() hands deepdiff only the top-level fields that are not identical; the differences are exactly those
deepdiff finds over the whole pipelines (the reference below is compare() as it was, deepdiff on everything)."""

from __future__ import annotations

import copy
import json

import pytest
from deepdiff import DeepDiff

from driftcheck import diff
from driftcheck.diff import compare, identical, project
from driftcheck.fields import pipeline_model
from driftcheck.frozen import freeze
from driftcheck.model import Difference, Location
from tests.test_diff import WF

TF = Location("main.tf", 3)
BASE = {
    "name": "web",
    "description": "d",
    "status": "ENABLED",
    "enhancedImageMetadataEnabled": True,
    "imageRecipeArn": "arn:r",
    "schedule": {"scheduleExpression": "cron(0 1 * * ? *)", "pipelineExecutionStartCondition": "EXPRESSION_MATCH_ONLY"},
    "imageTestsConfiguration": {"imageTestsEnabled": True, "timeoutMinutes": 60},
    "tags": {"Team": "a", "App": "x"},
    "workflows": [{"workflowArn": WF, "parameters": {"x": {"name": "x", "value": ["1"]}}}],
}


def _reference(declared, live, field_locations, default):
    projected = project(declared, live, pipeline_model())
    tree = DeepDiff(declared, projected, view="tree", verbose_level=2, threshold_to_diff_deeper=0)
    found: dict[str, Difference] = {}
    for changes in tree.values():
        for change in changes:
            elements = change.path(output_format="list")
            path, consumed = diff._field_path(elements)
            if not path or path in found:
                continue
            found[path] = Difference(path=path, declared=freeze(diff._value_at(declared, elements[:consumed])),
                                     live=freeze(diff._value_at(projected, elements[:consumed])),
                                     source=diff.locate(path, field_locations, default))
    return tuple(found[path] for path in sorted(found))


def _changed(path: str, value):
    live = copy.deepcopy(BASE)
    *parents, last = path.split(".")
    target = live
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return live


CASES = [
    ("description", "other"),
    ("description", KeyError),
    ("status", "DISABLED"),
    ("enhancedImageMetadataEnabled", 1),  # True and 1: a type change for deepdiff
    ("imageTestsConfiguration.timeoutMinutes", 60.0),  # 60 and 60.0 too
    ("imageTestsConfiguration.timeoutMinutes", 61),
    ("schedule.scheduleExpression", "cron(0 2 * * ? *)"),
    ("tags.Team", "b"),
    ("tags.Extra", "e"),
    ("tags.App", KeyError),
    ("tags", None),
    ("workflows", []),
    ("workflows.0.parameters", {"x": {"name": "x", "value": ["2"]}}),
    ("extraLiveOnly", "ignored: undeclared"),
]


@pytest.mark.parametrize(("path", "value"), CASES + [("name", "web")])
def test_the_fast_path_finds_exactly_what_deepdiff_finds(path, value):
    live = _changed(path, value)
    locations = {"tags": Location("main.tf", 9), "schedule": Location("main.tf", 5)}
    assert compare(copy.deepcopy(BASE), live, locations, TF) == _reference(copy.deepcopy(BASE), live, locations, TF)


def test_several_changed_fields_at_once_and_nothing_changed():
    live = copy.deepcopy(BASE)
    live["tags"]["Team"] = "z"
    live["imageTestsConfiguration"]["timeoutMinutes"] = 60.0
    live["description"] = None
    found = compare(copy.deepcopy(BASE), live, {}, TF)
    assert found == _reference(copy.deepcopy(BASE), live, {}, TF)
    assert [d.path for d in found] == ["description", "imageTestsConfiguration.timeoutMinutes", "tags.Team"]
    assert compare(copy.deepcopy(BASE), copy.deepcopy(BASE), {}, TF) == ()


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (1, 1, True), (1, 1.0, False), (True, 1, False), (None, None, True), ("a", "a", True), (float("nan"), float("nan"), False),
        ({"a": [1, {"b": 2}]}, {"a": [1, {"b": 2}]}, True), ({"a": [1, {"b": 2}]}, {"a": [1, {"b": 2.0}]}, False),
        ({"a": 1}, {"a": 1, "b": None}, False), ([1, 2], [2, 1], False), ([1], (1,), False), ({1}, {1}, False),
    ],
)
def test_identical_is_strict_about_types(a, b, same):
    assert identical(a, b) is same
    if same:
        assert not DeepDiff(a, b)


def test_an_unchanged_fleet_never_calls_deepdiff(monkeypatch):
    monkeypatch.setattr("deepdiff.DeepDiff", lambda *a, **k: pytest.fail("deepdiff called"))  # imported by compare when needed
    assert compare(json.loads(json.dumps(BASE)), json.loads(json.dumps(BASE)), {}, TF) == ()
