"""Terraform state reading: v4 state files and `terraform show -json` documents."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from driftcheck.errors import SourceError
from driftcheck.frozen import thaw
from driftcheck.model import Location
from driftcheck.sources.terraform.state import MAX_STATE_BYTES, TerraformState, load_state, read_state

P = "arn:aws:imagebuilder:us-east-1:111122223333:image-pipeline/"

V4 = {
    "version": 4,
    "terraform_version": "1.9.8",
    "serial": 12,
    "lineage": "3f1c",
    "outputs": {},
    "resources": [
        {
            "mode": "managed",
            "type": "aws_imagebuilder_image_pipeline",
            "name": "plain",
            "provider": 'provider["registry.terraform.io/hashicorp/aws"]',
            "instances": [{"schema_version": 0, "attributes": {"arn": P + "plain", "tags": {"a": "1"}}}],
        },
        {
            "mode": "managed",
            "type": "aws_imagebuilder_image_pipeline",
            "name": "counted",
            "instances": [{"index_key": 0, "attributes": {"arn": P + "c0"}}, {"index_key": 1, "attributes": {"arn": P + "c1"}}],
        },
        {
            "module": 'module.team["blue"].module.inner',
            "mode": "managed",
            "type": "aws_imagebuilder_image_pipeline",
            "name": "keyed",
            "instances": [
                {"index_key": "x", "attributes": {"arn": P + "kx"}},
                {"index_key": "x", "deposed": "00000001", "attributes": {"arn": P + "old"}},
            ],
        },
        {
            "mode": "data",
            "type": "aws_caller_identity",
            "name": "me",
            "instances": [{"attributes": {"account_id": "111122223333"}}],
        },
        {
            "module": "module.m",
            "mode": "data",
            "type": "aws_region",
            "name": "here",
            "instances": [{"attributes": {"name": "us-east-1"}}],
        },
        {"mode": "managed", "type": "aws_imagebuilder_image_recipe", "name": "empty", "instances": []},
    ],
}

SHOW = {
    "format_version": "1.0",
    "terraform_version": "1.9.8",
    "values": {
        "outputs": {},
        "root_module": {
            "resources": [
                {"address": "aws_imagebuilder_image_pipeline.plain", "mode": "managed", "type": "aws_imagebuilder_image_pipeline", "name": "plain", "values": {"arn": P + "plain"}},
                {"address": "aws_imagebuilder_image_pipeline.counted[1]", "mode": "managed", "index": 1, "type": "aws_imagebuilder_image_pipeline", "name": "counted", "values": {"arn": P + "c1"}},
                {"address": "data.aws_caller_identity.me", "mode": "data", "type": "aws_caller_identity", "name": "me", "values": {"account_id": "111122223333"}},
                {"address": "aws_imagebuilder_image_pipeline.plain", "mode": "managed", "deposed_key": "00000001", "type": "aws_imagebuilder_image_pipeline", "name": "plain", "values": {"arn": P + "old"}},
            ],
            "child_modules": [
                {
                    "address": 'module.team["blue"]',
                    "resources": [
                        {"address": 'module.team["blue"].data.aws_region.here', "mode": "data", "type": "aws_region", "name": "here", "values": {"name": "us-east-1"}},
                    ],
                    "child_modules": [
                        {
                            "address": 'module.team["blue"].module.inner',
                            "resources": [
                                {"address": 'module.team["blue"].module.inner.aws_imagebuilder_image_pipeline.keyed["x"]', "mode": "managed", "index": "x", "type": "aws_imagebuilder_image_pipeline", "name": "keyed", "values": {"arn": P + "kx"}},
                            ],
                        }
                    ],
                }
            ],
        },
    },
}


def write(tmp_path: Path, document, name: str = "state.json") -> Path:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document, indent=2))
    return path


def test_v4_addresses_module_paths_index_keys_and_data_sources(tmp_path):
    path = write(tmp_path, V4, "terraform.tfstate")
    state = load_state(path)
    assert isinstance(state, TerraformState)
    assert state.path == str(path)
    assert thaw(state.instances) == {
        "aws_imagebuilder_image_pipeline.plain": {"arn": P + "plain", "tags": {"a": "1"}},
        "aws_imagebuilder_image_pipeline.counted[0]": {"arn": P + "c0"},
        "aws_imagebuilder_image_pipeline.counted[1]": {"arn": P + "c1"},
        'module.team["blue"].module.inner.aws_imagebuilder_image_pipeline.keyed["x"]': {"arn": P + "kx"},  # not the deposed one
        "data.aws_caller_identity.me": {"account_id": "111122223333"},
        "module.m.data.aws_region.here": {"name": "us-east-1"},
    }
    assert state.attributes("aws_imagebuilder_image_pipeline.plain")["arn"] == P + "plain"
    assert state.attributes("aws_imagebuilder_image_pipeline.missing") is None
    assert state.instance_keys("aws_imagebuilder_image_pipeline.counted") == [
        "aws_imagebuilder_image_pipeline.counted[0]",
        "aws_imagebuilder_image_pipeline.counted[1]",
    ]
    assert state.instance_keys("aws_imagebuilder_image_pipeline.plain") == ["aws_imagebuilder_image_pipeline.plain"]
    assert state.instance_keys("aws_imagebuilder_image_pipeline.plai") == []


def test_state_is_read_only(tmp_path):
    state = load_state(write(tmp_path, V4))
    with pytest.raises(TypeError):
        state.instances["x"] = {}  # type: ignore[index]
    with pytest.raises(TypeError):
        state.attributes("aws_imagebuilder_image_pipeline.plain")["arn"] = "changed"  # type: ignore[index]


def test_show_json_with_nested_child_modules_and_data_sources(tmp_path):
    state = load_state(write(tmp_path, SHOW))
    assert thaw(state.instances) == {
        "aws_imagebuilder_image_pipeline.plain": {"arn": P + "plain"},
        "aws_imagebuilder_image_pipeline.counted[1]": {"arn": P + "c1"},
        "data.aws_caller_identity.me": {"account_id": "111122223333"},
        'module.team["blue"].data.aws_region.here': {"name": "us-east-1"},
        'module.team["blue"].module.inner.aws_imagebuilder_image_pipeline.keyed["x"]': {"arn": P + "kx"},
    }


def test_show_json_of_a_saved_plan_reads_the_prior_state(tmp_path):
    plan = {
        "format_version": "1.2",
        "planned_values": {"root_module": {"resources": [{"address": "aws_imagebuilder_image_pipeline.plain", "values": {"arn": "planned"}}]}},
        "prior_state": {"format_version": "1.0", "values": SHOW["values"]},
    }
    state = load_state(write(tmp_path, plan))
    assert state.attributes("aws_imagebuilder_image_pipeline.plain") == {"arn": P + "plain"}


@pytest.mark.parametrize("document", [{"format_version": "1.0"}, {"version": 4, "resources": None}, {"version": 4}])
def test_empty_states(tmp_path, document):
    assert thaw(load_state(write(tmp_path, document)).instances) == {}


def test_malformed_json_names_the_file_and_line(tmp_path):
    path = write(tmp_path, '{\n  "version": 4,\n  "resources": [\n    {,\n  ]\n}\n')
    with pytest.raises(SourceError) as caught:
        load_state(path)
    assert caught.value.location == Location(str(path), 4)
    assert caught.value.message.startswith("state file is not valid JSON: ")
    assert str(caught.value).startswith(f"{path}:4: ")


@pytest.mark.parametrize("version", [1, 2, 3])
def test_old_state_versions_say_only_v4_is_read(tmp_path, version):
    path = write(tmp_path, {"serial": 1, "version": version, "resources": []})
    with pytest.raises(SourceError) as caught:
        load_state(path)
    assert caught.value.location == Location(str(path), 3)  # the line of "version"
    assert caught.value.message.startswith(f"Terraform state version {version} is not supported: only version 4")
    assert "terraform show -json" in caught.value.message


@pytest.mark.parametrize(("version", "shown"), [(5, "5"), ("4", '"4"'), (True, "true"), (None, "null")])
def test_other_versions_are_not_a_state(tmp_path, version, shown):
    path = write(tmp_path, {"version": version, "resources": []})
    with pytest.raises(SourceError) as caught:
        load_state(path)
    assert caught.value.location == Location(str(path), 2)
    assert caught.value.message.startswith(f'not a Terraform state: "version" is {shown}; expected a JSON object with "version": 4')


def test_no_version_at_all(tmp_path):
    path = write(tmp_path, {"resources": []})
    with pytest.raises(SourceError) as caught:
        load_state(path)
    assert caught.value.location == Location(str(path), 1)
    assert 'found an object without "version"; keys: "resources"' in caught.value.message


@pytest.mark.parametrize(
    ("document", "line", "message"),
    [
        ({"version": 4, "resources": [{"mode": "managed", "name": "x", "instances": []}]}, 4,
         'resources[0]: "type" must be a non-empty string (found null)'),
        ({"version": 4, "resources": ["not an object"]}, 3, "resources[0] must be a JSON object (found a string)"),
        ({"version": 4, "resources": {"a": 1}}, 3, 'state: "resources" must be a JSON array (found a JSON object)'),
        ({"version": 4, "resources": [{"type": "t", "name": "n", "instances": [{"attributes": "s"}]}]}, 8,
         'resources[0].instances[0]: "attributes" must be a JSON object (found a string)'),
        ({"version": 4, "resources": [{"type": "t", "name": "n", "instances": [{"index_key": [1]}]}]}, 8,
         'resources[0].instances[0]: "index_key" must be a number or a string (found a JSON array)'),
        ({"format_version": "1.0", "values": {"root_module": {"resources": [{"values": {}}]}}}, 6,
         'root_module.resources[0]: "address" must be a non-empty string (found null)'),
        ({"format_version": "1.0", "values": {"root_module": {"resources": [{"address": "a.b"}], "child_modules": [7]}}}, 10,
         "root_module.child_modules[0] must be a JSON object (found a number)"),
        ({"format_version": "1.0", "values": "x"}, 3, 'state: "values" must be a JSON object (found a string)'),
    ],
)
def test_malformed_structure_names_the_file_line_and_what_is_wrong(tmp_path, document, line, message):
    path = write(tmp_path, document)
    with pytest.raises(SourceError) as caught:
        load_state(path)
    assert (caught.value.location, caught.value.message) == (Location(str(path), line), message)


@pytest.mark.parametrize(("text", "found"), [("[]", "a JSON array"), ('"state"', "a string"), ("\n\n4", "a number"), ("null", "null")])
def test_state_must_be_a_json_object(tmp_path, text, found):
    path = write(tmp_path, text)
    with pytest.raises(SourceError) as caught:
        load_state(path)
    assert caught.value.location == Location(str(path), text.count("\n") + 1)
    assert caught.value.message == (
        'not a Terraform state: expected a JSON object with "version": 4, or the output of `terraform show -json` '
        f"(found {found})"
    )


def test_deep_nesting_is_refused_before_parsing(tmp_path):
    path = write(tmp_path, '{"version": 4,\n "x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(SourceError) as caught:
        load_state(path)
    assert caught.value.location == Location(str(path), 2)
    assert caught.value.message == "nested deeper than 100 levels; refusing to read it"


def test_nesting_inside_strings_does_not_count(tmp_path):
    path = write(tmp_path, {"version": 4, "resources": [], "x": "[" * 500 + '\\"{' * 200})
    assert thaw(load_state(path).instances) == {}


def test_duplicate_key_names_its_line(tmp_path):
    path = write(tmp_path, '{\n  "version": 4,\n  "resources": [],\n  "version": 4\n}\n')
    with pytest.raises(SourceError) as caught:
        load_state(path)
    assert (caught.value.location, caught.value.message) == (Location(str(path), 4), 'duplicate key "version" in an object')


def test_duplicate_attribute_key_deep_inside(tmp_path):
    text = json.dumps(V4, indent=2).replace('"tags": {', '"tags": {\n"a": "0",', 1)
    path = write(tmp_path, text)
    with pytest.raises(SourceError) as caught:
        load_state(path)
    assert caught.value.message == 'duplicate key "a" in an object'
    assert caught.value.location.line == next(n for n, line in enumerate(text.splitlines(), 1) if line.strip() == '"a": "1"')


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused_at_their_line(tmp_path, constant):
    path = write(tmp_path, '{"version": 4,\n "resources": [],\n "x": ' + constant + "}")
    with pytest.raises(SourceError) as caught:
        load_state(path)
    assert (caught.value.location, caught.value.message) == (
        Location(str(path), 3), f"{constant} is not valid JSON (a state never holds it)"
    )


def test_a_huge_number_is_plain_language(tmp_path):
    path = write(tmp_path, '{"version": 4, "serial": ' + "9" * 5000 + "}")
    with pytest.raises(SourceError) as caught:
        load_state(path)
    assert caught.value.message == "state file is not valid JSON: a number has too many digits"


def test_utf8_bom_is_accepted(tmp_path):
    path = tmp_path / "state.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(V4).encode())
    assert "aws_imagebuilder_image_pipeline.plain" in load_state(path).instances


def test_read_state_returns_the_error_instead_of_raising(tmp_path):
    path = write(tmp_path, "[]")
    state, error = read_state(path)
    assert state is None and error is not None
    assert error.location == Location(str(path), 1) and error.message.startswith("not a Terraform state")
    state, error = read_state(write(tmp_path, V4, "good.json"))
    assert error is None and state is not None and state.attributes("aws_imagebuilder_image_pipeline.plain")


def test_missing_or_unreadable_file(tmp_path):
    with pytest.raises(SourceError) as caught:
        load_state(tmp_path / "nope.tfstate")
    assert caught.value.location == Location(str(tmp_path / "nope.tfstate"))
    assert caught.value.message == "cannot read state file: no such file or directory"
    with pytest.raises(SourceError) as caught:
        load_state(tmp_path)
    assert caught.value.message == "cannot read state file: it is a directory, not a regular file"


def test_devices_and_fifos_are_refused_without_reading(tmp_path):
    with pytest.raises(SourceError, match="character device, not a regular file"):
        load_state(Path("/dev/zero"))
    fifo = tmp_path / "state.fifo"
    os.mkfifo(fifo)
    with pytest.raises(SourceError, match="FIFO"):
        load_state(fifo)


def test_state_over_the_cap_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr("driftcheck.sources.terraform.state.MAX_STATE_BYTES", 100)
    path = write(tmp_path, {"version": 4, "resources": [], "pad": "x" * 100})
    with pytest.raises(SourceError) as caught:
        load_state(path)
    assert caught.value.message == "state file is larger than 100 bytes; refusing to read it"
    assert MAX_STATE_BYTES == 50 * 1024 * 1024


def test_binary_file_is_a_source_error(tmp_path):
    path = tmp_path / "state.bin"
    path.write_bytes(b"\x1f\x8b\x08\x00\xff\xfe")
    with pytest.raises(SourceError) as caught:
        load_state(path)
    assert caught.value.location == Location(str(path), 1)
    assert caught.value.message.startswith("state file is not UTF-8 text: ")
