"""Terraform state reading: v4 state files and `terraform show -json` documents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from driftcheck.errors import SourceError
from driftcheck.frozen import thaw
from driftcheck.model import Location
from driftcheck.sources.tfstate import TerraformState, load_state

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


@pytest.mark.parametrize("version", [3, 5, None, "4"])
def test_unsupported_version(tmp_path, version):
    document = {"resources": []} if version is None else {"version": version, "resources": []}
    path = write(tmp_path, document)
    with pytest.raises(SourceError) as caught:
        load_state(path)
    assert caught.value.location == Location(str(path))
    assert caught.value.message == (
        f"unsupported state format (version {version!r}); give a v4 state file or the output of `terraform show -json`"
    )


@pytest.mark.parametrize(
    "document",
    [
        {"version": 4, "resources": [{"mode": "managed", "name": "x", "instances": []}]},  # no type
        {"version": 4, "resources": ["not an object"]},
        {"format_version": "1.0", "values": {"root_module": {"resources": [{"values": {}}]}}},  # no address
        {"format_version": "1.0", "values": {"root_module": {"resources": [{"address": "a.b"}], "child_modules": [7]}}},
    ],
)
def test_malformed_structure_is_a_source_error_naming_the_file(tmp_path, document):
    path = write(tmp_path, document)
    with pytest.raises(SourceError) as caught:
        load_state(path)
    assert caught.value.location == Location(str(path))
    assert caught.value.message.startswith("malformed state file: ")


@pytest.mark.parametrize("text", ["[]", '"state"', "4"])
def test_state_must_be_a_json_object(tmp_path, text):
    path = write(tmp_path, text)
    with pytest.raises(SourceError, match="state file must hold a JSON object") as caught:
        load_state(path)
    assert caught.value.location == Location(str(path))


def test_missing_or_unreadable_file(tmp_path):
    with pytest.raises(SourceError) as caught:
        load_state(tmp_path / "nope.tfstate")
    assert caught.value.location == Location(str(tmp_path / "nope.tfstate"))
    assert caught.value.message == "cannot read state file: No such file or directory"
    with pytest.raises(SourceError) as caught:
        load_state(tmp_path)
    assert caught.value.message.startswith("cannot read state file: ")


def test_binary_file_is_a_source_error(tmp_path):
    path = tmp_path / "state.bin"
    path.write_bytes(b"\x1f\x8b\x08\x00\xff\xfe")
    with pytest.raises(SourceError) as caught:
        load_state(path)
    assert caught.value.location == Location(str(path))
    assert caught.value.message.startswith("state file is not UTF-8 text: ")
