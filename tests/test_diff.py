"""compare(): projection, one difference per field, API path rendering, locations, output shape.

Inputs here are already normalized (workflow parameters keyed by name, as normalize() leaves them),
except where a test says it goes through normalize() first.
"""

from __future__ import annotations

import copy
import json
from types import MappingProxyType

import pytest

from driftcheck.diff import compare, locate, project
from driftcheck.fields import pipeline_model
from driftcheck.frozen import thaw
from driftcheck.model import Difference, Location
from driftcheck.normalize import normalize

WF = "arn:aws:imagebuilder:us-east-1:111122223333:workflow/build/own"
TF = Location("main.tf", 10)


def diffs(declared, live, field_locations=None, default=None) -> tuple[Difference, ...]:
    return compare(declared, live, field_locations or {}, default)


def by_path(declared, live) -> dict:
    return {d.path: (thaw(d.declared), thaw(d.live)) for d in diffs(declared, live)}


def _param(name, *values):
    return {"name": name, "value": list(values)}


# --------------------------------------------------------------------------- path rendering


@pytest.mark.parametrize(
    "declared, live, expected",
    [
        # nested structures
        ({"schedule": {"scheduleExpression": "cron(1)"}}, {"schedule": {"scheduleExpression": "cron(2)"}},
         {"schedule.scheduleExpression": ("cron(1)", "cron(2)")}),
        ({"imageScanningConfiguration": {"ecrConfiguration": {"repositoryName": "a"}}},
         {"imageScanningConfiguration": {"ecrConfiguration": {"repositoryName": "b"}}},
         {"imageScanningConfiguration.ecrConfiguration.repositoryName": ("a", "b")}),
        ({"schedule": {"autoDisablePolicy": {"failureCount": 3}}}, {"schedule": {"autoDisablePolicy": {"failureCount": 4}}},
         {"schedule.autoDisablePolicy.failureCount": (3, 4)}),
        # top-level scalar
        ({"description": "a"}, {"description": "b"}, {"description": ("a", "b")}),
        # a whole block missing on one side is reported at the block
        ({"schedule": {"scheduleExpression": "cron(1)"}}, {}, {"schedule": ({"scheduleExpression": "cron(1)"}, None)}),
        ({"schedule": None}, {"schedule": {"scheduleExpression": "cron(1)"}}, {"schedule": (None, {"scheduleExpression": "cron(1)"})}),
        # list index
        ({"workflows": [{"workflowArn": f"{WF}/1.0.0/1"}, {"workflowArn": f"{WF}/2.0.0/1"}]},
         {"workflows": [{"workflowArn": f"{WF}/1.0.0/1"}, {"workflowArn": f"{WF}/2.0.0/2"}]},
         {"workflows[1].workflowArn": (f"{WF}/2.0.0/1", f"{WF}/2.0.0/2")}),
        ({"workflows": [{"workflowArn": f"{WF}/1.0.0/1", "onFailure": "ABORT"}]},
         {"workflows": [{"workflowArn": f"{WF}/1.0.0/1", "onFailure": "CONTINUE"}]},
         {"workflows[0].onFailure": ("ABORT", "CONTINUE")}),
        # map keys
        ({"tags": {"Team": "a", "App": "x"}}, {"tags": {"Team": "b", "App": "x"}}, {"tags.Team": ("a", "b")}),
        ({"imageTags": {"BuildDate": "{{ imagebuilder:buildDate }}"}}, {"imageTags": {"BuildDate": "today"}},
         {"imageTags.BuildDate": ("{{ imagebuilder:buildDate }}", "today")}),
        ({"tags": {"Team": "a"}}, {"tags": {}}, {"tags.Team": ("a", None)}),
        # maps that share no key: still one difference per entry (never the whole map)
        ({"tags": {"A": "1"}}, {"tags": {"B": "2", "C": "3"}}, {"tags.A": ("1", None), "tags.B": (None, "2"), "tags.C": (None, "3")}),
        # keyed set (workflow parameters by name)
        ({"workflows": [{"workflowArn": WF, "parameters": {"x": _param("x", "1")}}]},
         {"workflows": [{"workflowArn": WF, "parameters": {"x": _param("x", "2")}}]},
         {"workflows[0].parameters[name=x].value": (["1"], ["2"])}),
        ({"workflows": [{"workflowArn": WF, "parameters": {"x": _param("x", "1")}}]},
         {"workflows": [{"workflowArn": WF, "parameters": {"x": _param("x", "1"), "y": _param("y", "2")}}]},
         {"workflows[0].parameters[name=y]": (None, _param("y", "2"))}),
        ({"workflows": [{"workflowArn": WF, "parameters": {"x": _param("x", "1"), "y": _param("y", "2")}}]},
         {"workflows": [{"workflowArn": WF, "parameters": {"x": _param("x", "1")}}]},
         {"workflows[0].parameters[name=y]": (_param("y", "2"), None)}),
        ({"workflows": [{"workflowArn": WF, "parameters": {"x": _param("x", "1")}}]},
         {"workflows": [{"workflowArn": WF, "parameters": {"z": _param("z", "1")}}]},
         {"workflows[0].parameters[name=x]": (_param("x", "1"), None), "workflows[0].parameters[name=z]": (None, _param("z", "1"))}),
        # added and removed workflow items
        ({"workflows": [{"workflowArn": f"{WF}/1.0.0/1"}]},
         {"workflows": [{"workflowArn": f"{WF}/1.0.0/1"}, {"workflowArn": f"{WF}/9.0.0/1", "onFailure": "CONTINUE"}]},
         {"workflows[1]": (None, {"workflowArn": f"{WF}/9.0.0/1", "onFailure": "CONTINUE"})}),
        ({"workflows": [{"workflowArn": f"{WF}/1.0.0/1"}, {"workflowArn": f"{WF}/2.0.0/1"}]},
         {"workflows": [{"workflowArn": f"{WF}/1.0.0/1"}]},
         {"workflows[1]": ({"workflowArn": f"{WF}/2.0.0/1"}, None)}),
        ({"workflows": [{"workflowArn": f"{WF}/1.0.0/1"}]}, {"workflows": None}, {"workflows": ([{"workflowArn": f"{WF}/1.0.0/1"}], None)}),
        # set of scalars: the whole field
        ({"imageScanningConfiguration": {"ecrConfiguration": {"containerTags": ["a", "b"]}}},
         {"imageScanningConfiguration": {"ecrConfiguration": {"containerTags": ["a", "c"]}}},
         {"imageScanningConfiguration.ecrConfiguration.containerTags": (["a", "b"], ["a", "c"])}),
    ],
)
def test_path_rendering(declared, live, expected):
    assert by_path(declared, live) == expected


def test_parameter_names_with_dots_and_brackets_render_verbatim():
    declared = {"workflows": [{"workflowArn": WF, "parameters": {"a.b": _param("a.b", "1")}}]}
    live = {"workflows": [{"workflowArn": WF, "parameters": {"a.b": _param("a.b", "2")}}]}
    assert list(by_path(declared, live)) == ["workflows[0].parameters[name=a.b].value"]


def test_paths_come_out_through_normalize_too():
    declared = {"workflows": [{"workflowArn": WF, "parameters": [{"name": "x", "value": "1"}, {"name": "y", "value": "2"}]}]}
    live = {"workflows": [{"workflowArn": WF, "parameters": [{"name": "y", "value": ["3"]}, {"name": "x", "value": ["1"]}]}]}
    normalized = normalize(declared, live, "terraform")
    found = compare(normalized.declared, normalized.live, {}, None)
    assert [(d.path, thaw(d.declared), thaw(d.live)) for d in found] == [("workflows[0].parameters[name=y].value", ["2"], ["3"])]


# --------------------------------------------------------------------------- projection


def test_undeclared_live_keys_are_ignored():
    declared = {"name": "p", "schedule": {"scheduleExpression": "cron(1)"}, "workflows": [{"workflowArn": WF}]}
    live = {
        "name": "p",
        "description": "someone wrote this",
        "status": "DISABLED",
        "schedule": {"scheduleExpression": "cron(1)", "timezone": "Europe/Paris", "autoDisablePolicy": {"failureCount": 1}},
        "workflows": [{"workflowArn": WF, "onFailure": "CONTINUE", "parallelGroup": "g", "parameters": {"x": _param("x", "1")}}],
    }
    assert diffs(declared, live) == ()
    assert project(declared, live, pipeline_model()) == {
        "name": "p",
        "schedule": {"scheduleExpression": "cron(1)"},
        "workflows": [{"workflowArn": WF}],
    }


def test_undeclared_members_of_a_keyed_set_member_are_ignored_but_extra_members_count():
    spec = pipeline_model().children["workflows"].item.children["parameters"]
    declared = {"x": {"name": "x"}}
    live = {"x": _param("x", "1"), "y": _param("y", "2")}
    assert project(declared, live, spec) == {"x": {"name": "x"}, "y": _param("y", "2")}


@pytest.mark.parametrize(
    "field, live_value",
    [
        ("description", "set out of band"),
        ("executionRole", "SomeRole"),
        ("distributionConfigurationArn", "arn:aws:imagebuilder:us-east-1:111122223333:distribution-configuration/d"),
        ("schedule", {"scheduleExpression": "cron(1)"}),
        ("loggingConfiguration", {"pipelineLogGroupName": "/custom"}),
    ],
)
def test_declared_none_versus_a_live_value_is_reported(field, live_value):
    assert by_path({field: None}, {field: live_value}) == {field: (None, live_value)}
    assert diffs({field: None}, {}) == ()


def test_nested_declared_none_versus_a_live_value_is_reported():
    declared = {"schedule": {"scheduleExpression": "cron(1)", "timezone": None}}
    live = {"schedule": {"scheduleExpression": "cron(1)", "timezone": "Europe/Paris"}}
    assert by_path(declared, live) == {"schedule.timezone": (None, "Europe/Paris")}


def test_an_extra_live_tag_is_reported():
    declared = {"tags": {"Team": "platform"}}
    live = {"tags": {"Team": "platform", "Owner": "someone"}}
    assert by_path(declared, live) == {"tags.Owner": (None, "someone")}
    assert project(declared, live, pipeline_model()) == live


def test_an_absent_block_equals_a_block_with_nothing_set():
    unset_block = {"imageScanningConfiguration": {"ecrConfiguration": {"containerTags": None, "repositoryName": None}}}
    assert diffs(unset_block, {}) == ()
    assert diffs(unset_block, {"imageScanningConfiguration": None}) == ()
    assert diffs({"imageScanningConfiguration": {"ecrConfiguration": None}}, unset_block) == ()
    assert diffs({"loggingConfiguration": None}, {"loggingConfiguration": {"imageLogGroupName": None}}) == ()
    # ... but anything set in it is still found
    assert set(by_path(unset_block, {"imageScanningConfiguration": {"ecrConfiguration": {"repositoryName": "r"}}})) == {
        "imageScanningConfiguration.ecrConfiguration.repositoryName"
    }
    assert set(by_path({"loggingConfiguration": None}, {"loggingConfiguration": {"imageLogGroupName": "/x"}})) == {
        "loggingConfiguration"
    }


# --------------------------------------------------------------------------- one difference per field


def test_a_set_of_scalars_is_one_difference():
    declared = {"imageScanningConfiguration": {"ecrConfiguration": {"containerTags": ["a", "b"]}}}
    live = {"imageScanningConfiguration": {"ecrConfiguration": {"containerTags": ["c", "d", "e", "f"]}}}
    found = diffs(declared, live)
    assert len(found) == 1
    assert found[0].path == "imageScanningConfiguration.ecrConfiguration.containerTags"
    assert thaw(found[0].declared) == ["a", "b"] and thaw(found[0].live) == ["c", "d", "e", "f"]


def test_a_list_value_of_a_parameter_is_one_difference():
    declared = {"workflows": [{"workflowArn": WF, "parameters": {"x": _param("x", "1", "2", "3")}}]}
    live = {"workflows": [{"workflowArn": WF, "parameters": {"x": _param("x", "3", "2")}}]}
    found = diffs(declared, live)
    assert [d.path for d in found] == ["workflows[0].parameters[name=x].value"]


def test_each_tag_is_its_own_field():
    found = diffs({"tags": {"A": "1", "B": "2", "C": "3"}}, {"tags": {"A": "x", "B": "y", "C": "3"}})
    assert [d.path for d in found] == ["tags.A", "tags.B"]


def test_a_removed_structure_member_list_item_is_one_difference():
    declared = {"workflows": [{"workflowArn": WF, "onFailure": "ABORT", "parallelGroup": "g"}]}
    assert [d.path for d in diffs(declared, {"workflows": []})] == ["workflows[0]"]


def test_equal_values_give_no_difference():
    value = {
        "name": "p",
        "tags": {"A": "1"},
        "workflows": [{"workflowArn": WF, "parameters": {"x": _param("x", "1")}}],
        "imageScanningConfiguration": {"ecrConfiguration": {"containerTags": ["a"]}},
    }
    assert diffs(value, copy.deepcopy(value)) == ()


# --------------------------------------------------------------------------- locations


LOCATIONS = {
    "schedule": Location("main.tf", 20),
    "schedule.scheduleExpression": Location("main.tf", 21),
    "workflows": Location("main.tf", 30),
    "workflows[1]": Location("main.tf", 40),
    "workflows[1].parameters[name=a.b]": Location("main.tf", 44),
    "workflows[1].parameters[name=x[0]]": Location("main.tf", 45),
    "tags": Location("vars.tf", 3),
}


@pytest.mark.parametrize(
    "path, expected",
    [
        ("schedule.scheduleExpression", Location("main.tf", 21)),  # exact
        ("schedule.timezone", Location("main.tf", 20)),  # enclosing block
        ("schedule", Location("main.tf", 20)),
        ("workflows[1].workflowArn", Location("main.tf", 40)),
        ("workflows[1].parameters[name=y].value", Location("main.tf", 40)),
        ("workflows[1].parameters[name=a.b].value", Location("main.tf", 44)),
        ("workflows[1].parameters[name=a.b]", Location("main.tf", 44)),
        ("workflows[1].parameters[name=x[0]].value", Location("main.tf", 45)),
        ("workflows[0].workflowArn", Location("main.tf", 30)),
        ("workflows[2]", Location("main.tf", 30)),
        ("tags.Team", Location("vars.tf", 3)),
        ("description", TF),  # nothing encloses it: the default
        ("imageTestsConfiguration.timeoutMinutes", TF),
    ],
)
def test_locate_finds_the_closest_enclosing_path(path, expected):
    assert locate(path, LOCATIONS, TF) == expected


def test_locate_without_a_default():
    assert locate("description", LOCATIONS, None) is None
    assert locate("description", {}, None) is None


def test_compare_attaches_locations():
    declared = {
        "description": "a",
        "schedule": {"scheduleExpression": "cron(1)", "timezone": "UTC"},
        "workflows": [{"workflowArn": WF}, {"workflowArn": WF, "parameters": {"a.b": _param("a.b", "1")}}],
    }
    live = {
        "description": "b",
        "schedule": {"scheduleExpression": "cron(2)", "timezone": "Europe/Paris"},
        "workflows": [{"workflowArn": WF}, {"workflowArn": WF, "parameters": {"a.b": _param("a.b", "2")}}],
    }
    found = {d.path: d.source for d in diffs(declared, live, LOCATIONS, TF)}
    assert found == {
        "description": TF,
        "schedule.scheduleExpression": Location("main.tf", 21),
        "schedule.timezone": Location("main.tf", 20),
        "workflows[1].parameters[name=a.b].value": Location("main.tf", 44),
    }
    assert all(d.source is None for d in diffs(declared, live, {}, None))


# --------------------------------------------------------------------------- output shape


RICH_DECLARED = {
    "status": "ENABLED",
    "description": "a",
    "tags": {"Team": "a", "B": "1"},
    "schedule": {"scheduleExpression": "cron(1)", "autoDisablePolicy": {"failureCount": 3}},
    "imageTestsConfiguration": {"imageTestsEnabled": True, "timeoutMinutes": 720},
    "imageScanningConfiguration": {"ecrConfiguration": {"containerTags": ["a"]}},
    "workflows": [
        {"workflowArn": WF, "parameters": {"x": _param("x", "1")}},
        {"workflowArn": WF},
    ],
}
RICH_LIVE = {
    "status": "DISABLED",
    "description": None,
    "tags": {"Team": "b", "A": "0"},
    "schedule": None,
    "imageTestsConfiguration": {"imageTestsEnabled": False, "timeoutMinutes": 90},
    "imageScanningConfiguration": {"ecrConfiguration": {"containerTags": ["b", "c"]}},
    "workflows": [
        {"workflowArn": WF, "parameters": {"x": _param("x", "2"), "y": _param("y", "3")}},
        {"workflowArn": WF + "/other"},
        {"workflowArn": WF + "/extra", "onFailure": "ABORT"},
    ],
}


def test_differences_are_sorted_by_path():
    found = diffs(RICH_DECLARED, RICH_LIVE)
    assert [d.path for d in found] == sorted(d.path for d in found)
    assert len({d.path for d in found}) == len(found)
    assert [d.path for d in found] == [
        "description",
        "imageScanningConfiguration.ecrConfiguration.containerTags",
        "imageTestsConfiguration.imageTestsEnabled",
        "imageTestsConfiguration.timeoutMinutes",
        "schedule",
        "status",
        "tags.A",
        "tags.B",
        "tags.Team",
        "workflows[0].parameters[name=x].value",
        "workflows[0].parameters[name=y]",
        "workflows[1].workflowArn",
        "workflows[2]",
    ]


def test_difference_values_are_frozen_and_json_serialisable_after_thaw():
    found = diffs(RICH_DECLARED, RICH_LIVE)
    assert found
    for difference in found:
        for value in (difference.declared, difference.live):
            assert not isinstance(value, (dict, list)), difference  # frozen: read-only mappings and tuples
            json.dumps(thaw(value))
    schedule = next(d for d in found if d.path == "schedule")
    assert isinstance(schedule.declared, MappingProxyType)
    assert thaw(schedule.declared) == RICH_DECLARED["schedule"] and schedule.live is None


def test_compare_does_not_mutate_its_inputs():
    declared, live = copy.deepcopy(RICH_DECLARED), copy.deepcopy(RICH_LIVE)
    diffs(declared, live)
    assert declared == RICH_DECLARED and live == RICH_LIVE
