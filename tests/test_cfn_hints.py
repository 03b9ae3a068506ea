"""What a CloudFormation message asks for must be something the user can do in the mode they ran.

Offline (``--live``), ``--stack`` is refused, so no message may ask for it: a parameter is resolved
with ``--var NAME=VALUE``, a resource's physical id needs the deployed stack (an online run with
``--stack``). ``Fn::ImportValue`` names its export. Everything needed to name a pipeline is asked
for at once. Every test runs the CLI.
"""

from __future__ import annotations

from pathlib import Path

from tests.conftest import DEMO_LIVE
from tests.test_cli_yaml_sources import DEMO_ARGS

HEAD = 'AWSTemplateFormatVersion: "2010-09-09"\n'
RECIPE = (
    "  Recipe:\n"
    "    Type: AWS::ImageBuilder::ImageRecipe\n"
    "    Properties: {Name: r, Version: 1.0.0, ParentImage: ami-0123456789abcdef0, Components: []}\n"
)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "template.yaml"
    path.write_text(text)
    return path


def _pipeline(name: str, extra: str = "") -> str:
    return (
        "  P:\n"
        "    Type: AWS::ImageBuilder::ImagePipeline\n"
        "    Properties:\n"
        f"      Name: {name}\n"
        "      ImageRecipeArn: !Ref Recipe\n"
        "      InfrastructureConfigurationArn: arn:aws:imagebuilder:us-east-1:111122223333:infrastructure-configuration/x\n"
        + extra
    )


def _offline(cli, path: Path, *args: str):
    return cli("check", str(path), *DEMO_ARGS, "--live", str(DEMO_LIVE), *args)


def test_offline_a_parameter_asks_for_var_only(cli, tmp_path):
    path = _write(tmp_path, HEAD + "Parameters:\n  Env: {Type: String}\nResources:\n" + RECIPE + _pipeline("!Sub ${Env}-app"))
    run = _offline(cli, path)
    error = run.pipeline("P")["error"]
    assert "parameter Env has no Default: pass --var Env=VALUE" in error
    assert "--stack" not in error


def test_offline_all_parameters_naming_a_pipeline_are_asked_for_at_once(cli, tmp_path):
    text = HEAD + "Parameters:\n  Team: {Type: String}\n  Env: {Type: String}\nResources:\n" + RECIPE + _pipeline("!Sub ${Team}-${Env}")
    run = _offline(cli, _write(tmp_path, text))
    error = run.pipeline("P")["error"]
    assert "pass --var Team=VALUE" in error and "pass --var Env=VALUE" in error
    assert "--stack" not in error


def test_a_name_chosen_by_an_unknown_condition_asks_for_the_condition_and_both_branches(cli, tmp_path):
    text = (
        HEAD + "Parameters:\n  Env: {Type: String}\n  ProdName: {Type: String}\n"
        "Conditions:\n  IsProd: !Equals [!Ref Env, prod]\nResources:\n" + RECIPE
        + _pipeline("!If [IsProd, !Ref ProdName, !Sub '${Env}-app']")
    )
    run = _offline(cli, _write(tmp_path, text))
    error = run.pipeline("P")["error"]
    assert "pass --var Env=VALUE" in error and "pass --var ProdName=VALUE" in error, error
    # once they are given, the pipeline is named
    run = _offline(cli, _write(tmp_path, text), "--var", "Env=prod", "--var", "ProdName=prod-app-container")
    assert run.pipeline("P")["name"] == "prod-app-container"


def test_a_pipeline_whose_condition_and_name_are_unknown_asks_for_both(cli, tmp_path):
    text = (
        HEAD + "Parameters:\n  Env: {Type: String}\n  Team: {Type: String}\n"
        "Conditions:\n  IsProd: !Equals [!Ref Env, prod]\nResources:\n" + RECIPE
        + _pipeline("!Sub ${Team}-app").replace("    Type: AWS::ImageBuilder::ImagePipeline\n", "    Type: AWS::ImageBuilder::ImagePipeline\n    Condition: IsProd\n")
    )
    error = _offline(cli, _write(tmp_path, text)).pipeline("P")["error"]
    assert "pass --var Env=VALUE" in error and "pass --var Team=VALUE" in error, error


def test_offline_a_resource_reference_says_it_needs_the_deployed_stack_online(cli, tmp_path):
    path = _write(tmp_path, HEAD + "Resources:\n" + RECIPE + _pipeline("prod-app-container"))
    run = _offline(cli, path)
    entry = run.pipeline("P")
    reason = entry["unresolved_reasons"]["imageRecipeArn"]
    assert "physical id" in reason and "deployed stack" in reason and "online" in reason, reason
    assert "pass --stack NAME to read it" not in reason
    assert not any("pass --stack NAME to check them" in note for note in entry["notes"])


def test_offline_stack_name_asks_for_stack_name_only(cli, tmp_path):
    path = _write(tmp_path, HEAD + "Resources:\n" + RECIPE + _pipeline("!Sub ${AWS::StackName}-app"))
    error = _offline(cli, path).pipeline("P")["error"]
    assert "AWS::StackName is not known: pass --stack-name" in error
    assert "--stack " not in error + " " and "or --stack" not in error


def test_import_value_names_the_export_and_says_who_resolves_it(cli, tmp_path):
    path = _write(tmp_path, HEAD + "Resources:\n" + RECIPE + _pipeline(
        "prod-app-container", "      Description: !ImportValue shared-description\n"))
    entry = _offline(cli, path).pipeline("P")
    reason = entry["unresolved_reasons"]["description"]
    assert reason.startswith("ImportValue 'shared-description' is resolved only by CloudFormation at deploy time;"), reason
    assert "--stack" not in reason
    assert "pass --export shared-description=VALUE" in reason  # names what to pass


def test_an_export_given_with_export_is_compared(cli, tmp_path):
    path = _write(tmp_path, HEAD + "Resources:\n" + RECIPE + _pipeline(
        "prod-app-container", "      Description: !ImportValue shared-description\n"))
    entry = _offline(cli, path, "--export", "shared-description=from the export").pipeline("P")
    assert "description" not in entry["unresolved"]
    assert ("description", "from the export") in [(d["path"], d["declared"]) for d in entry["differences"]] or entry["status"] == "in_sync"


def test_online_messages_still_offer_the_stack(cli, fake, tmp_path):
    path = _write(tmp_path, HEAD + "Parameters:\n  Env: {Type: String}\nResources:\n" + RECIPE + _pipeline("!Sub ${Env}-app"))
    run = cli("check", str(path), *DEMO_ARGS, "--endpoint-url", fake.url)
    assert "pass --var Env=VALUE or --stack" in run.pipeline("P")["error"]
