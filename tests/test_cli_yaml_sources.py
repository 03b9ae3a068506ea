"""End to end for the YAML/JSON sources: CloudFormation templates and driftcheck pipeline files.

Everything runs through the CLI (in-process), the real boto3 clients and real HTTP to the loopback fakes
(`tests/fake_imagebuilder.py`, `tests/fake_cloudformation.py`); the JSON report is schema-validated by
the `cli` fixture. No test reaches beyond 127.0.0.1.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import DEMO_CFN, DEMO_LIVE, DEMO_PINNED, DEMO_TF, YAML_DEMO_LIVE
from tests.fake_cloudformation import FakeCloudFormation

CFN_ID = "AppContainerPipeline"
DEV_ID = "DevScratchPipeline"
OPS_ID = "ops-patch-baseline"
BASE = "aws_imagebuilder_image_pipeline.base"
WEB = 'aws_imagebuilder_image_pipeline.app["web"]'
API = 'aws_imagebuilder_image_pipeline.app["api"]'
HARDENED = "module.hardened.aws_imagebuilder_image_pipeline.this"
LEGACY = "arn:aws:imagebuilder:us-east-1:111122223333:image-pipeline/legacy-golden-ami"
DEMO_ARGS = ("--region", "us-east-1")
STACK_TAG_NOTE = "pass --stack NAME to check them"  # online; offline (--live) the note offers what works there
OFFLINE_STACK_TAG_NOTE = "a template configuration file's Tags (--var-file) give them offline, or run online with --stack NAME"
CFN_READ_ACTIONS = {"DescribeStacks", "DescribeStackResources", "ListStackResources"}
IB_READ_OPERATIONS = {"GetImagePipeline", "ListImagePipelines"}

DEMO_STATUSES = {
    BASE: "in_sync",
    WEB: "in_sync",
    API: "drifted",
    HARDENED: "drifted",
    CFN_ID: "in_sync",
    OPS_ID: "drifted",
    LEGACY: "unmanaged",
}


def statuses(run) -> dict[str, str]:
    return {p["id"]: p["status"] for p in run.report["pipelines"]}


def assert_clean_failure(run) -> None:
    """Exit 2, no traceback, nothing but a SystemExit escaping the command."""
    assert run.exit_code == 2, (run.stdout, run.stderr)
    assert "Traceback" not in run.stdout + run.stderr
    assert run.exception is None or isinstance(run.exception, SystemExit)


def error_lines(run) -> list[str]:
    """stderr lines of the `file:line: error: ...` kind."""
    return [line for line in run.stderr.splitlines() if ": error: " in line]


def copy_live(tmp_path: Path, edit=None, name: str = "us-east-1__prod-app-container.json") -> Path:
    """A private copy of fixtures/live; ``edit`` may change one saved response (a dict) in place."""
    target = tmp_path / "live"
    shutil.copytree(DEMO_LIVE, target)
    if edit is not None:
        path = target / name
        document = json.loads(path.read_text())
        edit(document["imagePipeline"])
        path.write_text(json.dumps(document))
    return target


# ------------------------------------------------------------------------------------------ README demo


def test_readme_demo_reports_terraform_cloudformation_and_pipeline_files_together(cli):
    run = cli("check", str(DEMO_TF), str(DEMO_CFN.parent), str(DEMO_PINNED.parent), *DEMO_ARGS,
              "--live", str(DEMO_LIVE), "--unmanaged")
    assert run.exit_code == 1, (run.stdout, run.stderr)
    assert run.stderr == ""
    assert statuses(run) == DEMO_STATUSES
    assert run.report["input_errors"] == []
    assert run.report["summary"] == {
        "total": 7, "in_sync": 3, "drifted": 3, "missing": 0, "unmanaged": 1, "error": 0, "input_errors": 0,
    }
    files = {p["id"]: (p["source"] or {}).get("file") for p in run.report["pipelines"]}
    assert files == {
        BASE: str(DEMO_TF / "main.tf"),
        WEB: str(DEMO_TF / "main.tf"),
        API: str(DEMO_TF / "main.tf"),
        HARDENED: str(DEMO_TF / "modules/hardened-pipeline/main.tf"),
        CFN_ID: str(DEMO_CFN.parent / DEMO_CFN.name),
        OPS_ID: str(DEMO_PINNED.parent / DEMO_PINNED.name),
        LEGACY: None,
    }

    container = run.pipeline(CFN_ID)
    assert container["name"] == "prod-app-container"
    assert container["source"]["line"] == 32  # the logical id's line in the template
    assert container["arn"].endswith(":image-pipeline/prod-app-container")
    assert container["differences"] == [] and container["unresolved"] == []
    # aws:cloudformation:* tags are AWS's; CostCenter may be a stack tag, so it is noted, not drift
    [note] = [n for n in container["notes"] if n.startswith("tags:")]
    assert OFFLINE_STACK_TAG_NOTE in note and note.endswith(": CostCenter")
    assert "pass --stack" not in note  # --live: --stack is refused, so it is not offered

    ops = run.pipeline(OPS_ID)
    assert ops["differences"] == [
        {"path": "status", "declared": "ENABLED", "live": "DISABLED",
         "source": {"file": str(DEMO_PINNED.parent / DEMO_PINNED.name), "line": 8},
         "hint": {"apply": 're-running your deployment from this file sets status back to "ENABLED"',
                  "accept": "status: DISABLED", "accept_note": None, "language": "yaml",
                  "at": {"file": str(DEMO_PINNED.parent / DEMO_PINNED.name), "line": 8},
                  "attribute": "status", "replaces_line": True}},
    ]
    assert ops["source"]["line"] == 7


@pytest.mark.parametrize(
    ("edit", "path", "declared", "live"),
    [
        # each edit breaks one thing the demo template declares in CloudFormation's own spelling: the
        # in-sync verdict above is a comparison, not an omission
        (lambda p: p.update(enhancedImageMetadataEnabled=False), "enhancedImageMetadataEnabled", True, False),
        (lambda p: p["imageTestsConfiguration"].update(timeoutMinutes=60), "imageTestsConfiguration.timeoutMinutes", 90, 60),
        (lambda p: p["schedule"].update(scheduleExpression="cron(0 7 ? * MON *)"), "schedule.scheduleExpression",
         "cron(0 6 ? * MON *)", "cron(0 7 ? * MON *)"),
        (lambda p: p["tags"].update(Team="web"), "tags.Team", "app", "web"),
        (lambda p: p["imageScanningConfiguration"]["ecrConfiguration"].update(containerTags=["latest"]),
         "imageScanningConfiguration.ecrConfiguration.containerTags", ["latest", "stable"], ["latest"]),
        (lambda p: p["workflows"][1].pop("onFailure"), "workflows[1].onFailure", "CONTINUE", None),
    ],
    ids=["boolean-string", "number-string", "mapping-cron", "tag", "comma-list", "workflow"],
)
def test_demo_template_values_are_really_compared(cli, tmp_path, edit, path, declared, live):
    run = cli("check", str(DEMO_CFN), *DEMO_ARGS, "--live", str(copy_live(tmp_path, edit)))
    assert run.exit_code == 1, (run.stdout, run.stderr)
    differences = run.paths(CFN_ID)
    assert set(differences) == {path}
    got_declared, got_live = differences[path]
    if isinstance(declared, list):
        got_declared, got_live = sorted(got_declared), sorted(got_live or [])
        live = sorted(live)
    assert (got_declared, got_live) == (declared, live)
    [difference] = run.pipeline(CFN_ID)["differences"]
    assert difference["source"]["file"] == str(DEMO_CFN)
    assert 32 < difference["source"]["line"] < 60


def test_demo_template_ignores_what_aws_adds(cli, tmp_path):
    """More aws:* tags, another scanning type, "UTC" for "Etc/UTC": still in sync."""

    def edit(pipeline):
        pipeline["tags"]["aws:cloudformation:extra"] = "x"
        pipeline["imageScanningConfiguration"]["imageScanningTypes"] = ["TEST_INSTANCE_CVE", "ECR_CVE"]
        pipeline["schedule"]["timezone"] = "UTC"

    run = cli("check", str(DEMO_CFN), *DEMO_ARGS, "--live", str(copy_live(tmp_path, edit)))
    assert run.exit_code == 0, (run.stdout, run.stderr)
    assert statuses(run) == {CFN_ID: "in_sync"}


def test_readme_demo_against_the_endpoint_gives_the_same_statuses(cli, demo_fake):
    for name in YAML_DEMO_LIVE:
        demo_fake.load_response_file(DEMO_LIVE / name)
    paths = (str(DEMO_TF), str(DEMO_CFN.parent), str(DEMO_PINNED.parent))
    online = cli("check", *paths, *DEMO_ARGS, "--endpoint-url", demo_fake.url, "--unmanaged")
    assert online.exit_code == 1, (online.stdout, online.stderr)
    assert statuses(online) == DEMO_STATUSES
    offline = cli("check", *paths, *DEMO_ARGS, "--live", str(DEMO_LIVE), "--unmanaged")
    # the same answer; only the stack-tags note says what works in each mode
    as_offline = json.loads(json.dumps(online.report["pipelines"]).replace(STACK_TAG_NOTE, OFFLINE_STACK_TAG_NOTE))
    assert as_offline == offline.report["pipelines"]
    assert {r["operation"] for r in demo_fake.requests} <= IB_READ_OPERATIONS
    # --unmanaged reads the region's complete listing: every pipeline, the YAML sources' too, comes from it
    assert demo_fake.calls("GetImagePipeline") == []
    assert demo_fake.calls("ListImagePipelines") and all(not c["body"].get("filters") for c in demo_fake.calls("ListImagePipelines"))


def test_endpoint_from_the_environment_for_yaml_sources(cli, fake, monkeypatch):
    for name in YAML_DEMO_LIVE:
        fake.load_response_file(DEMO_LIVE / name)
    monkeypatch.setenv("AWS_ENDPOINT_URL_IMAGEBUILDER", fake.url)
    run = cli("check", str(DEMO_CFN), str(DEMO_PINNED), *DEMO_ARGS)
    assert run.exit_code == 1, (run.stdout, run.stderr)
    assert statuses(run) == {CFN_ID: "in_sync", OPS_ID: "drifted"}
    assert len(fake.calls("ListImagePipelines")) == 2   # one name-filtered listing each: its answer is the pipeline


# ------------------------------------------------------------------------------ --stack (fake CloudFormation)

STACK_ACCOUNT = "444455556666"
STACK_REGION = "eu-west-1"
STACK = "app-pipes"
PIPELINE_NAME = "app-pipe"
PIPELINE_ARN = f"arn:aws:imagebuilder:{STACK_REGION}:{STACK_ACCOUNT}:image-pipeline/{PIPELINE_NAME}"
RECIPE_ARN = f"arn:aws:imagebuilder:{STACK_REGION}:{STACK_ACCOUNT}:image-recipe/app/1.0.0"
INFRA_ARN = f"arn:aws:imagebuilder:{STACK_REGION}:{STACK_ACCOUNT}:infrastructure-configuration/app-infra"
STACK_TEMPLATE = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  PipelineName:
    Type: String
Resources:
  ImageRecipe:
    Type: AWS::ImageBuilder::ImageRecipe
    Properties:
      Name: app
      Version: 1.0.0
      ParentImage: ami-0123456789abcdef0
      Components: []
  Pipeline:
    Type: AWS::ImageBuilder::ImagePipeline
    Properties:
      Name: !Ref PipelineName
      ImageRecipeArn: !Ref ImageRecipe
      InfrastructureConfigurationArn: !Sub arn:${AWS::Partition}:imagebuilder:${AWS::Region}:${AWS::AccountId}:infrastructure-configuration/app-infra
      Tags:
        Team: app
"""


def stack_live(**changes) -> dict:
    """The live pipeline the stack created: its tags are the template's, the stack's and AWS's."""
    pipeline = {
        "arn": PIPELINE_ARN,
        "name": PIPELINE_NAME,
        "imageRecipeArn": RECIPE_ARN,
        "infrastructureConfigurationArn": INFRA_ARN,
        "status": "ENABLED",
        "enhancedImageMetadataEnabled": True,
        "tags": {"Team": "app", "Owner": "platform", "aws:cloudformation:stack-name": STACK},
    }
    pipeline.update(changes)
    return pipeline


@pytest.fixture
def cfn(monkeypatch):
    """A running fake CloudFormation endpoint; the CloudFormation client is pointed at it."""
    with FakeCloudFormation(page_size=2) as server:
        monkeypatch.setenv("AWS_ENDPOINT_URL_CLOUDFORMATION", server.url)
        yield server


@pytest.fixture
def stack_template(tmp_path) -> Path:
    path = tmp_path / "templates" / "app-pipes.yaml"
    path.parent.mkdir()
    path.write_text(STACK_TEMPLATE)
    return path


def add_stack(cfn: FakeCloudFormation, name: str = STACK) -> str:
    return cfn.add_stack(
        name, region=STACK_REGION, account=STACK_ACCOUNT, parameters={"PipelineName": PIPELINE_NAME},
        tags={"Owner": "platform"},
        resources=[
            ("ImageRecipe", "AWS::ImageBuilder::ImageRecipe", RECIPE_ARN),
            ("Pipeline", "AWS::ImageBuilder::ImagePipeline", PIPELINE_ARN),
        ],
    )


def test_without_stack_a_name_from_a_parameter_without_default_is_an_error(cli, fake, cfn, stack_template):
    fake.add_pipeline(stack_live())
    run = cli("check", str(stack_template), "--region", STACK_REGION, "--endpoint-url", fake.url)
    assert run.exit_code == 2, (run.stdout, run.stderr)
    entry = run.pipeline("Pipeline")
    assert entry["status"] == "error"
    assert "unresolved" in entry["error"] and "--var PipelineName=" in entry["error"] and "--stack" in entry["error"]
    assert entry["source"] == {"file": str(stack_template), "line": 13}
    assert fake.requests == [] and cfn.requests == []  # nothing to look up, and no stack was asked for


def test_without_stack_a_resource_ref_is_unresolved_not_compared(cli, fake, cfn, stack_template):
    fake.add_pipeline(stack_live(imageRecipeArn=RECIPE_ARN.replace("1.0.0", "9.9.9")))
    run = cli("check", str(stack_template), "--region", STACK_REGION, "--account-id", STACK_ACCOUNT,
              "--var", f"PipelineName={PIPELINE_NAME}", "--endpoint-url", fake.url)
    assert run.exit_code == 0, (run.stdout, run.stderr)
    entry = run.pipeline("Pipeline")
    assert entry["status"] == "in_sync"
    assert entry["unresolved"] == ["imageRecipeArn"]
    assert "--stack" in entry["unresolved_reasons"]["imageRecipeArn"]
    # the stack's tags are unknown: Owner is noted, not drift
    assert any(STACK_TAG_NOTE in n and n.endswith("Owner") for n in entry["notes"])
    assert cfn.requests == []


def test_stack_gives_parameters_resource_ids_tags_region_and_account(cli, fake, cfn, stack_template):
    stack_id = add_stack(cfn)
    fake.add_pipeline(stack_live())
    # no --account-id and no --var: the parameter, the account and the recipe's ARN all come from the stack
    run = cli("check", str(stack_template), "--region", STACK_REGION, "--stack", STACK, "--endpoint-url", fake.url)
    assert run.exit_code == 0, (run.stdout, run.stderr)
    entry = run.pipeline("Pipeline")
    assert entry["status"] == "in_sync" and entry["differences"] == []
    assert entry["unresolved"] == [] and entry["name"] == PIPELINE_NAME
    assert entry["arn"] == PIPELINE_ARN and entry["region"] == STACK_REGION
    assert f"resolved from deployed stack {STACK} (CREATE_COMPLETE)" in entry["notes"]
    assert not any(n.startswith("tags:") for n in entry["notes"])  # the stack's tags are known: nothing partial
    # physical id gives the ARN: no listing by name
    assert fake.calls("ListImagePipelines") == []
    assert [c["query"]["imagePipelineArn"] for c in fake.calls("GetImagePipeline")] == [PIPELINE_ARN]
    assert set(cfn.actions()) <= CFN_READ_ACTIONS and "DescribeStacks" in cfn.actions()
    assert {r["region"] for r in cfn.requests} == {STACK_REGION}
    assert cfn.calls("DescribeStackResources")[0]["params"]["StackName"] == stack_id


def test_stack_resource_physical_id_is_compared(cli, fake, cfn, stack_template):
    add_stack(cfn)
    other = RECIPE_ARN.replace("1.0.0", "1.0.1")
    fake.add_pipeline(stack_live(imageRecipeArn=other))
    run = cli("check", str(stack_template), "--region", STACK_REGION, "--stack", STACK, "--endpoint-url", fake.url)
    assert run.exit_code == 1, (run.stdout, run.stderr)
    assert run.paths("Pipeline") == {"imageRecipeArn": (RECIPE_ARN, other)}
    [difference] = run.pipeline("Pipeline")["differences"]
    assert difference["source"] == {"file": str(stack_template), "line": 17}


def test_stack_account_comes_from_the_stack_id(cli, fake, cfn, stack_template):
    add_stack(cfn)
    fake.add_pipeline(stack_live(infrastructureConfigurationArn=INFRA_ARN.replace(STACK_ACCOUNT, "999999999999")))
    run = cli("check", str(stack_template), "--region", STACK_REGION, "--stack", STACK, "--endpoint-url", fake.url)
    assert run.exit_code == 1, (run.stdout, run.stderr)
    declared, live = run.paths("Pipeline")["infrastructureConfigurationArn"]
    assert declared == INFRA_ARN and live.startswith("arn:aws:imagebuilder:eu-west-1:999999999999:")


@pytest.mark.parametrize(
    ("live_tags", "expected"),
    [
        ({"Team": "app", "Owner": "platform", "Extra": "1"}, {"tags.Extra": (None, "1")}),
        ({"Team": "app"}, {"tags.Owner": ("platform", None)}),
        ({"Team": "app", "Owner": "someone-else"}, {"tags.Owner": ("platform", "someone-else")}),
        ({"Team": "app", "Owner": "platform", "aws:cloudformation:logical-id": "Pipeline"}, {}),
    ],
    ids=["extra-live-tag", "stack-tag-missing-live", "stack-tag-changed", "aws-tags"],
)
def test_stack_tags_are_expected_on_the_pipeline(cli, fake, cfn, stack_template, live_tags, expected):
    add_stack(cfn)
    fake.add_pipeline(stack_live(tags=live_tags))
    run = cli("check", str(stack_template), "--region", STACK_REGION, "--stack", STACK, "--endpoint-url", fake.url)
    assert run.exit_code == (1 if expected else 0), (run.stdout, run.stderr)
    assert run.paths("Pipeline") == expected


def test_stack_noecho_parameter_is_unresolved_not_the_template_default(cli, fake, cfn, tmp_path):
    template = tmp_path / "noecho.yaml"
    template.write_text(STACK_TEMPLATE.replace(
        "Parameters:\n", "Parameters:\n  Desc:\n    Type: String\n    NoEcho: true\n    Default: placeholder\n"
    ).replace("      Tags:\n", "      Description: !Ref Desc\n      Tags:\n"))
    cfn.add_stack(
        STACK, region=STACK_REGION, account=STACK_ACCOUNT, parameters={"PipelineName": PIPELINE_NAME, "Desc": "the real one"},
        no_echo=["Desc"], tags={"Owner": "platform"},
        resources=[("ImageRecipe", "AWS::ImageBuilder::ImageRecipe", RECIPE_ARN),
                   ("Pipeline", "AWS::ImageBuilder::ImagePipeline", PIPELINE_ARN)],
    )
    fake.add_pipeline(stack_live(description="the real one"))
    run = cli("check", str(template), "--region", STACK_REGION, "--stack", STACK, "--endpoint-url", fake.url)
    entry = run.pipeline("Pipeline")
    assert entry["differences"] == []  # not "placeholder" -> "the real one"
    assert entry["unresolved"] == ["description"] and "Desc" in entry["unresolved_reasons"]["description"]
    assert run.exit_code == 0


@pytest.mark.parametrize(
    ("fault", "reason"),
    [(None, "does not exist"), ("AccessDenied", "access denied"), ("Throttling", "throttled")],
    ids=["not-found", "access-denied", "throttled"],
)
def test_stack_that_cannot_be_read_is_an_error_for_its_pipelines_only(cli, fake, cfn, stack_template, fault, reason):
    if fault is None:
        add_stack(cfn, name="some-other-stack")
    else:
        add_stack(cfn)
        cfn.fail("DescribeStacks", fault, message="User is not authorized to perform cloudformation:DescribeStacks"
                 if fault == "AccessDenied" else None)
    fake.add_pipeline(stack_live())
    for name in YAML_DEMO_LIVE:
        fake.load_response_file(DEMO_LIVE / name)
    run = cli("check", str(stack_template), str(DEMO_PINNED), "--region", STACK_REGION, "--stack", STACK,
              "--endpoint-url", fake.url, "--max-attempts", "3")
    assert run.exit_code == 2, (run.stdout, run.stderr)
    entry = run.pipeline("Pipeline")
    assert entry["status"] == "error"
    assert f"stack {STACK}" in entry["error"] and reason in entry["error"]
    assert "\n" not in entry["error"]
    if fault is not None:
        assert fault in entry["error"]
    if fault == "Throttling":
        assert len(cfn.calls("DescribeStacks")) == 3 and "3 attempts" in entry["error"]
    elif fault is not None:
        assert len(cfn.calls("DescribeStacks")) == 1  # access denied is not retried
    # the pinned file (us-east-1 by its own region key) is still checked
    assert run.pipeline(OPS_ID)["status"] == "drifted"
    assert set(cfn.actions()) <= CFN_READ_ACTIONS
    assert all(PIPELINE_NAME not in json.dumps(c) for c in fake.requests)  # the errored pipeline was not looked up


def test_stack_with_live_is_a_usage_error(cli, cfn, stack_template):
    add_stack(cfn)
    run = cli("check", str(stack_template), "--stack", STACK, "--live", str(DEMO_LIVE))
    assert_clean_failure(run)
    assert run.report is None
    assert run.stderr.count("\n") == 1 and "--stack" in run.stderr and "--live" in run.stderr
    assert cfn.requests == []


def test_stack_without_a_template_among_the_paths_is_an_input_error(cli, fake, cfn):
    add_stack(cfn)
    for name in YAML_DEMO_LIVE:
        fake.load_response_file(DEMO_LIVE / name)
    run = cli("check", str(DEMO_PINNED), "--region", STACK_REGION, "--stack", STACK, "--endpoint-url", fake.url)
    assert_clean_failure(run)
    [error] = run.report["input_errors"]
    assert error["source"]["file"] == "--stack" and "no CloudFormation template" in error["message"]
    assert any("--stack" in line and "no CloudFormation template" in line for line in error_lines(run))
    assert run.pipeline(OPS_ID)["status"] == "drifted"
    assert cfn.requests == []  # nothing to resolve: the stack is not read


def test_two_templates_and_a_bare_stack_name_is_an_input_error(cli, fake, cfn, stack_template, tmp_path):
    add_stack(cfn)
    fake.add_pipeline(stack_live())
    second = tmp_path / "second.yaml"
    second.write_text(STACK_TEMPLATE.replace("Pipeline:\n    Type", "OtherPipeline:\n    Type"))
    run = cli("check", str(stack_template), str(second), "--region", STACK_REGION, "--stack", STACK,
              "--endpoint-url", fake.url)
    assert_clean_failure(run)
    [error] = run.report["input_errors"]
    assert f"TEMPLATE={STACK}" in error["message"]
    assert any(f"TEMPLATE={STACK}" in line for line in error_lines(run))
    # naming the template binds the stack to it; the other template is still checked on its own
    run = cli("check", str(stack_template), str(second), "--region", STACK_REGION,
              "--stack", f"{stack_template}={STACK}", "--endpoint-url", fake.url)
    assert run.report["input_errors"] == []
    assert run.pipeline("Pipeline")["status"] == "in_sync"
    assert run.pipeline("OtherPipeline")["status"] == "error"  # its name parameter has no value
    assert run.exit_code == 2


def test_stack_naming_a_template_that_is_not_checked_is_an_input_error(cli, fake, cfn, stack_template, tmp_path):
    add_stack(cfn)
    fake.add_pipeline(stack_live())
    elsewhere = tmp_path / "elsewhere.yaml"
    run = cli("check", str(stack_template), "--region", STACK_REGION, "--stack", f"{elsewhere}={STACK}",
              "--endpoint-url", fake.url)
    assert_clean_failure(run)
    [error] = run.report["input_errors"]
    assert error["source"]["file"] == "--stack" and "is not one of the templates checked" in error["message"]
    assert run.pipeline("Pipeline")["status"] == "error"  # unbound: its name parameter has no value


@pytest.mark.parametrize("value", ["=app-pipes", "tpl.yaml=", " "])
def test_malformed_stack_option_is_a_usage_error(cli, cfn, stack_template, value):
    run = cli("check", str(stack_template), "--stack", value)
    assert_clean_failure(run)
    assert run.report is None
    assert "TEMPLATE=NAME" in run.stderr and "Traceback" not in run.stderr
    assert cfn.requests == []


# -------------------------------------------------------------------------------- parameter overrides


def test_var_flips_the_condition_of_the_demo_template(cli):
    run = cli("check", str(DEMO_CFN), *DEMO_ARGS, "--live", str(DEMO_LIVE), "--var", "Env=dev")
    assert run.exit_code == 1, (run.stdout, run.stderr)
    assert statuses(run) == {CFN_ID: "missing", DEV_ID: "missing"}
    assert run.pipeline(CFN_ID)["name"] == "dev-app-container"
    assert run.pipeline(DEV_ID)["name"] == "dev-scratch"
    assert run.pipeline(DEV_ID)["source"] == {"file": str(DEMO_CFN), "line": 62}


def _write_parameter_file(tmp_path: Path, fmt: str, values: dict[str, str], name: str = "params.json") -> Path:
    path = tmp_path / name
    if fmt == "cli":
        document = [{"ParameterKey": k, "ParameterValue": v} for k, v in values.items()]
    else:
        document = {"Parameters": values}
    path.write_text(json.dumps(document, indent=2))
    return path


@pytest.mark.parametrize("fmt", ["cli", "template-configuration"])
def test_var_file_in_both_cloudformation_formats(cli, tmp_path, fmt):
    params = _write_parameter_file(tmp_path, fmt, {"Env": "dev", "TestTimeout": "45"})
    run = cli("check", str(DEMO_CFN), *DEMO_ARGS, "--live", str(DEMO_LIVE), "--var-file", str(params))
    assert run.exit_code == 1, (run.stdout, run.stderr)
    assert statuses(run) == {CFN_ID: "missing", DEV_ID: "missing"}
    assert run.pipeline(CFN_ID)["name"] == "dev-app-container"


def test_template_configuration_tags_are_the_stack_tags(cli, tmp_path):
    params = tmp_path / "prod.json"
    params.write_text(json.dumps({"Parameters": {"Env": "prod"}, "Tags": {"CostCenter": "cc-4120"}}))
    run = cli("check", str(DEMO_CFN), *DEMO_ARGS, "--live", str(DEMO_LIVE), "--var-file", str(params))
    assert run.exit_code == 0, (run.stdout, run.stderr)
    assert not any(n.startswith("tags:") for n in run.pipeline(CFN_ID)["notes"])
    params.write_text(json.dumps({"Parameters": {"Env": "prod"}, "Tags": {"CostCenter": "cc-0001"}}))
    run = cli("check", str(DEMO_CFN), *DEMO_ARGS, "--live", str(DEMO_LIVE), "--var-file", str(params))
    assert run.exit_code == 1
    assert run.paths(CFN_ID) == {"tags.CostCenter": ("cc-0001", "cc-4120")}


def test_var_beats_var_file(cli, tmp_path):
    params = _write_parameter_file(tmp_path, "cli", {"Env": "dev"})
    run = cli("check", str(DEMO_CFN), *DEMO_ARGS, "--live", str(DEMO_LIVE), "--var-file", str(params), "--var", "Env=prod")
    assert run.exit_code == 0, (run.stdout, run.stderr)
    assert statuses(run) == {CFN_ID: "in_sync"}
    assert run.pipeline(CFN_ID)["name"] == "prod-app-container"


def test_tfvars_go_to_terraform_and_parameter_files_to_templates_in_one_run(cli, tmp_path):
    tfvars = tmp_path / "staging.tfvars"
    tfvars.write_text('environment = "staging"\n')
    params = _write_parameter_file(tmp_path, "template-configuration", {"Env": "dev"})
    run = cli("check", str(DEMO_TF), str(DEMO_CFN), str(DEMO_PINNED), *DEMO_ARGS, "--live", str(DEMO_LIVE),
              "--var-file", str(tfvars), "--var-file", str(params))
    assert run.exit_code == 1, (run.stdout, run.stderr)
    assert run.report["input_errors"] == []
    names = {p["id"]: p["name"] for p in run.report["pipelines"]}
    assert names[BASE] == "staging-base-linux" and names[HARDENED] == "staging-cis-hardened"
    assert names[CFN_ID] == "dev-app-container" and names[DEV_ID] == "dev-scratch"
    assert names[OPS_ID] == "ops-patch-baseline"
    # --var reaches both: Terraform ignores a CloudFormation parameter and the template a Terraform variable
    run = cli("check", str(DEMO_TF), str(DEMO_CFN), *DEMO_ARGS, "--live", str(DEMO_LIVE),
              "--var", "environment=staging", "--var", "Env=dev")
    assert run.report["input_errors"] == []
    names = {p["id"]: p["name"] for p in run.report["pipelines"]}
    assert names[BASE] == "staging-base-linux" and names[CFN_ID] == "dev-app-container"


def test_parameter_file_without_a_template_is_an_input_error_not_silently_unused(cli, tmp_path):
    params = tmp_path / "staging.json"  # meant for Terraform, which only takes .tfvars / .tfvars.json here
    params.write_text(json.dumps({"environment": "staging"}))
    run = cli("check", str(DEMO_TF), str(DEMO_PINNED), *DEMO_ARGS, "--live", str(DEMO_LIVE), "--var-file", str(params))
    assert_clean_failure(run)
    [line] = error_lines(run)
    assert line.startswith(f"{params}: error: --var-file: ") and "no CloudFormation template" in line
    assert run.pipeline(BASE)["status"] == "in_sync" and run.pipeline(OPS_ID)["status"] == "drifted"


def test_bad_parameter_file_names_its_line_and_the_rest_is_checked(cli, tmp_path):
    params = tmp_path / "params.json"
    params.write_text('[\n  {"ParameterKey": "Env", "ParameterValue": "dev"},\n  {"ParameterKey": "TestTimeout"}\n]\n')
    run = cli("check", str(DEMO_CFN), str(DEMO_PINNED), *DEMO_ARGS, "--live", str(DEMO_LIVE), "--var-file", str(params))
    assert_clean_failure(run)
    assert any(line.startswith(f"{params}:3: error: ") and "TestTimeout" in line for line in error_lines(run))
    assert run.pipeline(OPS_ID)["status"] == "drifted"
    assert run.pipeline(CFN_ID)["status"] in ("in_sync", "drifted", "missing")  # the template is still checked


# ---------------------------------------------------------------------------------- mixed directories

WORKFLOW = """\
name: drift
on:
  schedule:
    - cron: "0 6 * * *"
jobs:
  driftcheck:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: driftcheck check infra/ --region ${{ vars.AWS_REGION }}
"""
GITLAB_CI = """\
.setup:
  script:
    - echo setup
test:
  script:
    - !reference [.setup, script]
    - pytest
"""
HELM_VALUES = """\
replicaCount: {{ .Values.replicas }}
image:
  repository: {{ .Values.image }}
  - broken
"""
SKIPPED = ("deploy.yml", ".gitlab-ci.yml", "values.yaml", "terraform.tfstate", "x.tfvars.json")


@pytest.fixture
def mixed_dir(tmp_path) -> Path:
    """Terraform, a template, a pipeline file and everything else a real infra directory holds."""
    target = tmp_path / "infra"
    shutil.copytree(DEMO_TF, target)
    shutil.copy(DEMO_CFN, target / DEMO_CFN.name)
    shutil.copy(DEMO_PINNED, target / DEMO_PINNED.name)
    (target / "terraform.tfstate").write_text(json.dumps({"version": 4, "resources": []}))
    (target / "x.tfvars.json").write_text(json.dumps({"environment": "staging"}))
    (target / "deploy.yml").write_text(WORKFLOW)
    (target / ".gitlab-ci.yml").write_text(GITLAB_CI)
    (target / "values.yaml").write_text(HELM_VALUES)
    (target / "network.template").write_text(json.dumps(
        {"AWSTemplateFormatVersion": "2010-09-09", "Resources": {"Logs": {"Type": "AWS::S3::Bucket"}}}, indent=2))
    return target


def test_mixed_directory_checks_ours_and_skips_the_rest_quietly(cli, mixed_dir):
    run = cli("check", str(mixed_dir), *DEMO_ARGS, "--live", str(DEMO_LIVE))
    assert run.exit_code == 1, (run.stdout, run.stderr)
    assert run.stderr == ""
    assert run.report["input_errors"] == []
    assert statuses(run) == {k: v for k, v in DEMO_STATUSES.items() if k != LEGACY}
    assert run.pipeline(BASE)["name"] == "prod-base-linux"  # x.tfvars.json is not read as a tfvars file
    assert run.pipeline(CFN_ID)["source"]["file"] == str(mixed_dir / DEMO_CFN.name)
    assert run.pipeline(OPS_ID)["source"]["file"] == str(mixed_dir / DEMO_PINNED.name)
    for name in SKIPPED:
        assert name not in run.stdout


def test_mixed_directory_verbose_names_every_skipped_file(cli, mixed_dir):
    run = cli("check", str(mixed_dir), *DEMO_ARGS, "--live", str(DEMO_LIVE), "-v")
    assert run.exit_code == 1, (run.stdout, run.stderr)
    skipped = [line for line in run.stderr.splitlines() if "skipped" in line]
    for name in SKIPPED:
        assert sum(f"{mixed_dir / name}" in line for line in skipped) == 1, (name, run.stderr)
    assert any(".gitlab-ci.yml" in line and "!reference" in line for line in skipped)
    assert any("values.yaml:4" in line for line in skipped)
    assert any(f"{mixed_dir / 'terraform.tfstate'}: skipped: " in line and "--state" in line for line in skipped)
    assert any(f"{mixed_dir / 'x.tfvars.json'}: skipped: " in line and "--var-file" in line for line in skipped)
    # what is read is not "skipped": our files, Terraform's own auto-loaded terraform.tfvars, a template without pipelines
    for name in (DEMO_CFN.name, DEMO_PINNED.name, "terraform.tfvars:", "network.template", ".tf:"):
        assert not any(name in line for line in skipped), (name, run.stderr)
    assert error_lines(run) == []


@pytest.mark.parametrize(("name", "option"), [("terraform.tfstate", "--state"), ("x.tfvars.json", "--var-file")])
def test_terraform_side_file_named_as_a_path_says_which_option_takes_it(cli, mixed_dir, name, option):
    run = cli("check", str(mixed_dir / name), str(DEMO_PINNED), *DEMO_ARGS, "--live", str(DEMO_LIVE))
    assert_clean_failure(run)
    [line] = error_lines(run)
    assert line.startswith(f"{mixed_dir / name}: error: ") and f"pass it with {option}" in line
    assert run.pipeline(OPS_ID)["status"] == "drifted"


@pytest.mark.parametrize("name", ["deploy.yml", ".gitlab-ci.yml"])
def test_unrelated_yaml_named_explicitly_is_an_input_error(cli, mixed_dir, name):
    run = cli("check", str(mixed_dir / name), str(DEMO_PINNED), *DEMO_ARGS, "--live", str(DEMO_LIVE))
    assert_clean_failure(run)
    [line] = error_lines(run)
    assert line.startswith(f"{mixed_dir / name}: error: not a CloudFormation template")
    assert "nor a driftcheck pipeline file" in line
    if name == ".gitlab-ci.yml":
        assert "!reference (line 6)" in line
    assert run.pipeline(OPS_ID)["status"] == "drifted"


def test_broken_yaml_named_explicitly_is_an_input_error_with_its_line(cli, mixed_dir):
    run = cli("check", str(mixed_dir / "values.yaml"), str(DEMO_PINNED), *DEMO_ARGS, "--live", str(DEMO_LIVE))
    assert_clean_failure(run)
    [line] = error_lines(run)
    assert line.startswith(f"{mixed_dir / 'values.yaml'}:4: error: malformed YAML")
    assert run.pipeline(OPS_ID)["status"] == "drifted"


def test_broken_template_in_a_directory_is_an_input_error(cli, mixed_dir):
    broken = mixed_dir / "broken-pipelines.yaml"
    broken.write_text(
        'AWSTemplateFormatVersion: "2010-09-09"\n'
        "Resources:\n"
        "  P:\n"
        "    Type: AWS::ImageBuilder::ImagePipeline\n"
        "    Properties:\n"
        "      Name: [unclosed\n"
    )
    run = cli("check", str(mixed_dir), *DEMO_ARGS, "--live", str(DEMO_LIVE))
    assert_clean_failure(run)
    [line] = error_lines(run)
    assert line.startswith(f"{broken}:") and ": error: malformed YAML" in line
    [error] = run.report["input_errors"]
    assert error["source"]["file"] == str(broken) and error["source"]["line"] >= 6
    assert statuses(run) == {k: v for k, v in DEMO_STATUSES.items() if k != LEGACY}


def test_directory_with_nothing_of_ours_is_an_input_error(cli, tmp_path):
    (tmp_path / "deploy.yml").write_text(WORKFLOW)
    run = cli("check", str(tmp_path), str(DEMO_PINNED), *DEMO_ARGS, "--live", str(DEMO_LIVE))
    assert_clean_failure(run)
    [line] = error_lines(run)
    assert line.startswith(f"{tmp_path}: error: nothing to check here")
    assert run.pipeline(OPS_ID)["status"] == "drifted"


def test_a_file_reached_twice_is_read_once(cli, tmp_path):
    broken = tmp_path / "broken.yaml"
    broken.write_text(BAD_INPUT["duplicate-key-yaml"][1])
    roundabout = DEMO_PINNED.parent / ".." / DEMO_PINNED.parent.name / DEMO_PINNED.name
    run = cli("check", str(DEMO_CFN.parent), str(DEMO_CFN), str(DEMO_PINNED), str(roundabout), str(tmp_path),
              str(broken), *DEMO_ARGS, "--live", str(DEMO_LIVE))
    assert_clean_failure(run)  # the broken file, once
    assert [e["source"]["file"] for e in run.report["input_errors"]] == [str(broken)]
    assert statuses(run) == {CFN_ID: "in_sync", OPS_ID: "drifted"}  # no "declares the same pipeline as" itself
    assert run.pipeline(CFN_ID)["source"]["file"] == str(DEMO_CFN)


def test_byte_order_mark_and_crlf_files_are_read_with_their_lines(cli, tmp_path):
    (tmp_path / "bom.yaml").write_text(DEMO_CFN.read_text(), encoding="utf-8-sig")
    (tmp_path / "crlf.json").write_bytes(json.dumps(
        {"driftcheck": "pipelines/v1", "region": "us-east-1", "pipelines": [{"name": "ops-patch-baseline", "status": "DISABLED"}]},
        indent=2).replace("\n", "\r\n").encode("utf-8-sig"))
    run = cli("check", str(tmp_path), *DEMO_ARGS, "--live", str(DEMO_LIVE))
    assert run.exit_code == 0, (run.stdout, run.stderr)
    assert statuses(run) == {CFN_ID: "in_sync", OPS_ID: "in_sync"}
    assert run.pipeline(CFN_ID)["source"] == {"file": str(tmp_path / "bom.yaml"), "line": 32}
    assert run.pipeline(OPS_ID)["source"] == {"file": str(tmp_path / "crlf.json"), "line": 5}


def test_a_pipeline_file_pins_a_pipeline_its_template_also_declares(cli, tmp_path):
    """Pinning expectations on top of IaC: both declarations are checked, each against the same live pipeline."""
    pinned = tmp_path / "pinned.yaml"
    pinned.write_text("driftcheck: pipelines/v1\nregion: us-east-1\npipelines:\n  - name: prod-app-container\n    status: DISABLED\n")
    run = cli("check", str(DEMO_CFN), str(pinned), *DEMO_ARGS, "--live", str(DEMO_LIVE))
    assert run.exit_code == 1
    assert statuses(run) == {CFN_ID: "in_sync", "prod-app-container": "drifted"}
    assert run.paths("prod-app-container") == {"status": ("DISABLED", "ENABLED")}


def test_two_entries_for_one_pipeline_in_pipeline_files_are_an_error_for_both(cli, tmp_path):
    pinned = tmp_path / "pinned.yaml"
    pinned.write_text("driftcheck: pipelines/v1\nregion: us-east-1\npipelines:\n  - name: prod-app-container\n  - name: Prod App Container\n")
    run = cli("check", str(pinned), "--live", str(DEMO_LIVE))
    assert_clean_failure(run)
    assert statuses(run) == {"prod-app-container": "error", "Prod App Container": "error"}
    assert f"({pinned}:5)" in run.pipeline("prod-app-container")["error"]


def test_snapshot_of_yaml_sources_then_offline_check_gives_the_same_answer(cli, fake, tmp_path):
    for name in YAML_DEMO_LIVE:
        fake.load_response_file(DEMO_LIVE / name)
    snap = tmp_path / "snap"
    saved = cli("snapshot", str(DEMO_CFN), str(DEMO_PINNED), *DEMO_ARGS, "--endpoint-url", fake.url, "-o", str(snap))
    assert saved.exit_code == 0, saved.stderr
    assert sorted(p.name for p in snap.glob("*.json")) == sorted(YAML_DEMO_LIVE)
    online = cli("check", str(DEMO_CFN), str(DEMO_PINNED), *DEMO_ARGS, "--endpoint-url", fake.url)
    offline = cli("check", str(DEMO_CFN), str(DEMO_PINNED), *DEMO_ARGS, "--live", str(snap))
    assert online.exit_code == offline.exit_code == 1
    # the same answer; only the stack-tags note says what works in each mode
    as_offline = json.loads(json.dumps(online.report["pipelines"]).replace(STACK_TAG_NOTE, OFFLINE_STACK_TAG_NOTE))
    assert as_offline == offline.report["pipelines"]
    assert as_offline != online.report["pipelines"]
    # a parameter that renames the pipelines: what is not live is reported, the rest still saved
    dev = cli("snapshot", str(DEMO_CFN), str(DEMO_PINNED), *DEMO_ARGS, "--endpoint-url", fake.url,
              "-o", str(tmp_path / "dev"), "--var", "Env=dev")
    assert dev.exit_code == 2
    assert "dev-app-container" in dev.stderr and "dev-scratch" in dev.stderr
    assert [p.name for p in (tmp_path / "dev").glob("*.json")] == ["us-east-1__ops-patch-baseline.json"]


# ------------------------------------------------------------------------------------------ bad input

TEMPLATE_HEAD = 'AWSTemplateFormatVersion: "2010-09-09"\n'
PIPELINE_HEAD = "driftcheck: pipelines/v1\npipelines:\n  - name: ops-extra\n"


def _laughs() -> str:
    lines = [TEMPLATE_HEAD.rstrip("\n"), 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    previous = "a"
    for anchor in "bcdefghi":
        lines.append(f"{anchor}: &{anchor} [" + ", ".join([f"*{previous}"] * 9) + "]")
        previous = anchor
    return "\n".join(lines) + "\n"


BAD_INPUT = {
    # id: (file name, content, line, message fragment)
    # in a template, a duplicate key is a note (tests/test_cfn_duplicate_keys.py); a pipeline file's schema is strict
    "duplicate-key-yaml": ("dup.yaml", "driftcheck: pipelines/v1\nregion: us-east-1\npipelines: []\nregion: us-west-2\n", 4,
                           'duplicate key "region" (first at line 2)'),
    "duplicate-key-json": ("dup.json", '{\n  "driftcheck": "pipelines/v1",\n  "pipelines": [],\n'
                           '  "pipelines": []\n}\n', 4, 'duplicate key "pipelines" (first at line 3)'),
    "unknown-tag": ("tag.yaml", TEMPLATE_HEAD + "Resources:\n  P:\n    Type: AWS::ImageBuilder::ImagePipeline\n"
                    "    Properties:\n      Name: !Secret name\n", 6, "unknown tag !Secret"),
    "malformed-yaml": ("mal.yaml", TEMPLATE_HEAD + "Resources:\n  P:\n    Type: AWS::ImageBuilder::ImagePipeline\n"
                       "   Properties: {}\n", 5, "malformed YAML"),
    "malformed-json": ("mal.json", '{\n  "AWSTemplateFormatVersion": "2010-09-09",\n  "Resources": {\n'
                       '    "P": {"Type": "AWS::ImageBuilder::ImagePipeline",}\n  }\n}\n', 4, "malformed JSON"),
    "billion-laughs": ("laughs.yaml", _laughs(), None, "possible alias bomb"),
    "deep-yaml": ("deep.yaml", TEMPLATE_HEAD + "x: " + "[" * 10_000 + "]" * 10_000 + "\n", 2, "nesting deeper than"),
    "deep-json": ("deep.json", '{"AWSTemplateFormatVersion": "2010-09-09",\n"x": ' + "[" * 10_000 + "]" * 10_000 + "}\n",
                  2, "nesting deeper than"),
    "pipeline-unknown-field": ("unknown.yaml", PIPELINE_HEAD + "    sheduel: {}\n", 4,
                               "pipelines[0].sheduel: unknown field; valid fields: "),
    "pipeline-wrong-type": ("type.yaml", PIPELINE_HEAD + '    enhancedImageMetadataEnabled: "yes"\n', 4,
                            "pipelines[0].enhancedImageMetadataEnabled: expected boolean"),
    "pipeline-bad-enum": ("enum.yaml", PIPELINE_HEAD + "    status: PAUSED\n", 4,
                          "pipelines[0].status: 'PAUSED' is not one of DISABLED, ENABLED"),
}


PIPELINE_FILE_CASES = ("unknown.yaml", "type.yaml", "enum.yaml")


@pytest.mark.parametrize("case", sorted(BAD_INPUT))
@pytest.mark.parametrize("how", ["explicit", "directory"])
def test_bad_input_is_one_line_with_file_and_line_and_the_rest_is_checked(cli, tmp_path, case, how):
    name, content, line, fragment = BAD_INPUT[case]
    folder = tmp_path / "in"
    folder.mkdir()
    bad = folder / name
    bad.write_text(content)
    if how == "explicit":
        run = cli("check", str(bad), str(DEMO_CFN), str(DEMO_PINNED), *DEMO_ARGS, "--live", str(DEMO_LIVE))
    else:
        shutil.copy(DEMO_CFN, folder / DEMO_CFN.name)
        shutil.copy(DEMO_PINNED, folder / DEMO_PINNED.name)
        run = cli("check", str(folder), *DEMO_ARGS, "--live", str(DEMO_LIVE))
    assert_clean_failure(run)
    [message] = error_lines(run)
    assert message == run.stderr.rstrip("\n")  # one line, nothing else
    prefix = f"{bad}:{line}: error: " if line is not None else f"{bad}:"
    assert message.startswith(prefix), message
    assert fragment in message
    [error] = run.report["input_errors"]
    assert error["source"]["file"] == str(bad)
    if line is not None:
        assert error["source"]["line"] == line
    expected = {CFN_ID: "in_sync", OPS_ID: "drifted"}
    if name in PIPELINE_FILE_CASES:
        # an entry that has a name but is invalid is reported as an error pipeline, pointing at the line
        expected["ops-extra"] = "error"
        assert f"({bad}:{line})" in run.pipeline("ops-extra")["error"]
    assert statuses(run) == expected
    assert run.report["summary"]["input_errors"] == 1


def test_pipeline_file_nested_enum_message_lists_the_valid_choices(cli, tmp_path):
    bad = tmp_path / "pinned.yaml"
    bad.write_text(
        "driftcheck: pipelines/v1\n"
        "pipelines:\n"
        "  - name: ops-extra\n"
        "    schedule:\n"
        "      scheduleExpression: cron(0 1 * * ? *)\n"
        "      pipelineExecutionStartCondition: WHENEVER\n"
    )
    run = cli("check", str(bad), *DEMO_ARGS, "--live", str(DEMO_LIVE))
    assert_clean_failure(run)
    [line] = error_lines(run)
    assert line.startswith(f"{bad}:6: error: pipelines[0].schedule.pipelineExecutionStartCondition: 'WHENEVER'")
    assert "EXPRESSION_MATCH_AND_DEPENDENCY_UPDATES_AVAILABLE" in line and "EXPRESSION_MATCH_ONLY" in line


def test_debug_adds_the_traceback_to_bad_input(cli, tmp_path):
    bad = tmp_path / "mal.yaml"
    bad.write_text(BAD_INPUT["malformed-yaml"][1])
    quiet = cli("check", str(bad), str(DEMO_PINNED), *DEMO_ARGS, "--live", str(DEMO_LIVE))
    assert "Traceback" not in quiet.stderr
    run = cli("check", str(bad), str(DEMO_PINNED), *DEMO_ARGS, "--live", str(DEMO_LIVE), "--debug")
    assert run.exit_code == 2
    assert "Traceback" in run.stderr
    assert f"{bad}:5: error: malformed YAML" in run.stderr
    assert run.pipeline(OPS_ID)["status"] == "drifted"


WRONG_PROPERTIES = {
    # id: (property lines, line of the problem, message fragment)
    "boolean": ("      EnhancedImageMetadataEnabled: maybe\n", 8,
                "EnhancedImageMetadataEnabled: expected a boolean (true or false), got 'maybe'"),
    "integer": ("      ImageTestsConfiguration:\n        TimeoutMinutes: ninety\n", 9,
                "ImageTestsConfiguration.TimeoutMinutes: expected an integer"),
    "structure": ("      Schedule: cron(0 1 * * ? *)\n", 8, "Schedule: expected a mapping"),
    "tags-key-value-list": ("      Tags:\n        - Key: Team\n          Value: ops\n", 9,
                            "Tags: expected a map of key: value for AWS::ImageBuilder::ImagePipeline, not a list of Key/Value pairs"),
}


@pytest.mark.parametrize("case", sorted(WRONG_PROPERTIES))
def test_template_property_of_the_wrong_type_is_an_error_with_its_line(cli, tmp_path, case):
    lines, line, fragment = WRONG_PROPERTIES[case]
    bad = tmp_path / "wrong.yaml"
    bad.write_text(
        TEMPLATE_HEAD
        + "Resources:\n"
        "  Wrong:\n"
        "    Type: AWS::ImageBuilder::ImagePipeline\n"
        "    Properties:\n"
        "      Name: wrong-pipeline\n"
        "      InfrastructureConfigurationArn: arn:aws:imagebuilder:us-east-1:111122223333:infrastructure-configuration/x\n"
        + lines
    )
    run = cli("check", str(bad), str(DEMO_CFN), str(DEMO_PINNED), *DEMO_ARGS, "--live", str(DEMO_LIVE))
    assert_clean_failure(run)
    entry = run.pipeline("Wrong")
    assert entry["status"] == "error"
    assert entry["error"].startswith(f"{bad}:{line}: ") and fragment in entry["error"]
    assert entry["source"] == {"file": str(bad), "line": 3}
    assert statuses(run) == {"Wrong": "error", CFN_ID: "in_sync", OPS_ID: "drifted"}


def test_readme_demo_policy_shows_one_ignored_and_one_accepted_difference(cli):
    """The README's first command runs the demo with its config file and baseline (see the Quick start)."""
    root = DEMO_TF.parent
    run = cli("check", str(DEMO_TF), str(DEMO_CFN.parent), str(DEMO_PINNED.parent), *DEMO_ARGS, "--live", str(DEMO_LIVE),
              "--unmanaged", "--config", str(root / "demo.driftcheck.yaml"), "--baseline", str(root / "demo-baseline.json"))
    assert run.exit_code == 1, (run.stdout, run.stderr)
    ignored = {(p["id"], d["path"]): d["reason"] for p in run.report["pipelines"] for d in p["ignored"]}
    assert set(ignored) == {(API, "tags.HotfixTicket"), (HARDENED, "workflows[1].parameters[name=waitForActionAtEnd].value")}
    assert ignored[(API, "tags.HotfixTicket")].startswith("config rule 1 (")
    assert ignored[(HARDENED, "workflows[1].parameters[name=waitForActionAtEnd].value")].startswith("accepted in baseline ")
    assert run.report["notes"] == []  # the rule is used, the baseline entry still occurs
