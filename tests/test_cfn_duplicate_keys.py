"""Duplicate keys: CloudFormation takes the last one, so driftcheck does too, with a note naming both lines.

Driftcheck pipeline files keep refusing them (their schema is strict), and so do CloudFormation
parameter files (``--var-file``: which value the user meant is ambiguous, and nothing is lost by
asking). Every test runs the CLI offline on the demo template and its saved live response.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import DEMO_CFN, DEMO_LIVE
from tests.test_cli_yaml_sources import CFN_ID, DEMO_ARGS, assert_clean_failure, error_lines

NOTE = "CloudFormation uses the last one"


def _line_of(text: str, fragment: str, occurrence: int = 1) -> int:
    """1-based line of the ``occurrence``-th line containing ``fragment``."""
    found = [number for number, line in enumerate(text.splitlines(), 1) if fragment in line]
    return found[occurrence - 1]


def _template(tmp_path: Path, old: str, new: str) -> tuple[Path, str]:
    text = DEMO_CFN.read_text()
    assert text.count(old) == 1
    path = tmp_path / "template.yaml"
    path.write_text(text.replace(old, new))
    return path, path.read_text()


def note_lines(run) -> list[str]:
    return [line for line in run.stderr.splitlines() if ": note: " in line]


def test_a_duplicate_key_in_an_unrelated_resource_keeps_the_templates_pipelines(cli, tmp_path):
    recipe = "      ContainerRecipeArn: arn:aws:imagebuilder:us-east-1:111122223333:container-recipe/app-ctr/1.2.0\n"
    path, text = _template(tmp_path, recipe, recipe + recipe.replace("1.2.0", "1.3.0"))
    run = cli("check", str(path), *DEMO_ARGS, "--live", str(DEMO_LIVE))
    assert run.exit_code == 0, run.stderr
    assert run.report["input_errors"] == []
    assert run.pipeline(CFN_ID)["status"] == "in_sync"
    first, last = _line_of(text, "1.2.0"), _line_of(text, "1.3.0")
    assert note_lines(run) == [
        f"driftcheck: {path}:{last}: note: duplicate key 'ContainerRecipeArn' (also at line {first}); {NOTE}"
    ]
    assert not any("ContainerRecipeArn" in note for note in run.pipeline(CFN_ID)["notes"])


def test_a_duplicate_property_of_a_pipeline_is_a_note_on_it_and_the_last_one_wins(cli, tmp_path):
    description = '      Description: !Join [" ", [App container image, !Ref Env]]\n'
    path, text = _template(tmp_path, description, description + "      Description: changed by hand\n")
    run = cli("check", str(path), *DEMO_ARGS, "--live", str(DEMO_LIVE))
    assert run.exit_code == 1, run.stderr
    assert run.report["input_errors"] == []
    first, last = _line_of(text, "Description: !Join"), _line_of(text, "Description: changed by hand")
    entry = run.pipeline(CFN_ID)
    assert entry["status"] == "drifted"
    assert run.paths(CFN_ID) == {"description": ("changed by hand", "App container image prod")}
    assert f"{path}:{last}: duplicate key 'Description' (also at line {first}); {NOTE}" in entry["notes"]
    assert note_lines(run) == []  # shown once, with the pipeline


def test_the_last_of_duplicate_properties_wins_when_it_is_the_live_value(cli, tmp_path):
    status = "      Status: !If [IsProd, ENABLED, DISABLED]\n"
    path, _ = _template(tmp_path, status, "      Status: DISABLED\n" + status)
    run = cli("check", str(path), *DEMO_ARGS, "--live", str(DEMO_LIVE))
    assert run.exit_code == 0, run.stderr
    assert run.pipeline(CFN_ID)["status"] == "in_sync"
    assert any("duplicate key 'Status'" in note for note in run.pipeline(CFN_ID)["notes"])


def test_a_duplicate_key_in_a_json_template(cli, tmp_path):
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {
            "P": {
                "Type": "AWS::ImageBuilder::ImagePipeline",
                "Properties": {"Name": "prod-app-container", "InfrastructureConfigurationArn": "x"},
            },
        },
    }
    text = json.dumps(template, indent=2).replace(
        '"AWSTemplateFormatVersion": "2010-09-09",', '"AWSTemplateFormatVersion": "2010-09-09",\n  "Description": "a",\n  "Description": "b",'
    )
    path = tmp_path / "template.json"
    path.write_text(text)
    run = cli("check", str(path), *DEMO_ARGS, "--live", str(DEMO_LIVE))
    assert run.report["input_errors"] == []
    assert [p["id"] for p in run.report["pipelines"]] == ["P"]
    assert note_lines(run) == [
        f"driftcheck: {path}:4: note: duplicate key 'Description' (also at line 3); {NOTE}"
    ]


def test_three_times_the_same_key_names_every_line(cli, tmp_path):
    recipe = "      ContainerRecipeArn: arn:aws:imagebuilder:us-east-1:111122223333:container-recipe/app-ctr/1.2.0\n"
    path, text = _template(tmp_path, recipe, recipe * 3)
    run = cli("check", str(path), *DEMO_ARGS, "--live", str(DEMO_LIVE))
    first, second, third = (_line_of(text, "app-ctr/1.2.0", n) for n in (1, 2, 3))
    assert note_lines(run) == [
        f"driftcheck: {path}:{third}: note: duplicate key 'ContainerRecipeArn' (also at lines {first}, {second}); {NOTE}"
    ]


def test_a_duplicate_key_stays_an_error_in_a_pipeline_file(cli, tmp_path):
    bad = tmp_path / "pinned.yaml"
    bad.write_text(
        "driftcheck: pipelines/v1\n"
        "pipelines:\n"
        "  - name: ops-patch-baseline\n"
        "    status: ENABLED\n"
        "    status: DISABLED\n"
    )
    run = cli("check", str(bad), *DEMO_ARGS, "--live", str(DEMO_LIVE))
    assert_clean_failure(run)
    assert error_lines(run) == [f'{bad}:5: error: duplicate key "status" (first at line 4)']
    assert run.report["pipelines"] == []  # the file is refused as a whole, as before


def test_a_duplicate_key_stays_an_error_in_a_parameter_file(cli, tmp_path):
    parameters = tmp_path / "prod-config.json"
    parameters.write_text('{\n  "Parameters": {\n    "Env": "prod",\n    "Env": "dev"\n  }\n}\n')
    run = cli("check", str(DEMO_CFN), *DEMO_ARGS, "--live", str(DEMO_LIVE), "--var-file", str(parameters))
    assert_clean_failure(run)
    assert error_lines(run) == [f'{parameters}:4: error: duplicate key "Env" (first at line 3)']
