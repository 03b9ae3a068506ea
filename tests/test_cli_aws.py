"""End to end: the CLI, the real boto3 client, real HTTP, a loopback fake Image Builder endpoint."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import DEMO_TF

BASE = 'aws_imagebuilder_image_pipeline.base'
WEB = 'aws_imagebuilder_image_pipeline.app["web"]'
API = 'aws_imagebuilder_image_pipeline.app["api"]'
HARDENED = 'module.hardened.aws_imagebuilder_image_pipeline.this'
ARN = "arn:aws:imagebuilder:us-east-1:111122223333:image-pipeline/{}"
READ_OPERATIONS = {"GetImagePipeline", "ListImagePipelines"}


def statuses(run) -> dict[str, str]:
    return {p["id"]: p["status"] for p in run.report["pipelines"]}


def demo_state(tmp_path: Path) -> list[str]:
    """``--state FILE`` giving the demo's four pipelines their ARNs: each is then read with its own
    GetImagePipeline (without ARNs, few names are read with the ``name`` filter of ListImagePipelines)."""
    state = {"version": 4, "resources": [
        {"mode": "managed", "type": "aws_imagebuilder_image_pipeline", "name": "base",
         "instances": [{"attributes": {"arn": ARN.format("prod-base-linux")}}]},
        {"mode": "managed", "type": "aws_imagebuilder_image_pipeline", "name": "app",
         "instances": [{"index_key": k, "attributes": {"arn": ARN.format(f"prod-app-{k}")}} for k in ("web", "api")]},
        {"module": "module.hardened", "mode": "managed", "type": "aws_imagebuilder_image_pipeline", "name": "this",
         "instances": [{"attributes": {"arn": ARN.format("prod-cis-hardened")}}]},
    ]}
    path = tmp_path / "demo.tfstate"
    path.write_text(json.dumps(state))
    return ["--state", str(path)]


def test_demo_against_endpoint_reports_exact_drift(cli, demo_fake):
    run = cli("check", str(DEMO_TF), "--endpoint-url", demo_fake.url, "--unmanaged")
    assert run.exit_code == 1, run.stderr
    assert statuses(run) == {
        BASE: "in_sync",
        WEB: "in_sync",
        API: "drifted",
        HARDENED: "drifted",
        ARN.format("legacy-golden-ami"): "unmanaged",
    }
    assert run.paths(API) == {
        "description": ("Application image for API\n", "Application image for API <b>hotfix: pinned 1.8.2</b>"),
        "imageRecipeArn": (
            "arn:aws:imagebuilder:us-east-1:111122223333:image-recipe/app-api/1.8.1",
            "arn:aws:imagebuilder:us-east-1:111122223333:image-recipe/app-api/1.8.2",
        ),
        "schedule": (
            None,
            {
                "pipelineExecutionStartCondition": "EXPRESSION_MATCH_ONLY",
                "scheduleExpression": "cron(30 4 * * ? *)",
                "timezone": "UTC",
            },
        ),
        "tags.HotfixTicket": (None, "OPS-4411"),
    }
    assert run.paths(HARDENED) == {
        "executionRole": ("ImageBuilderWorkflowRole", "ImageBuilderBreakGlassRole"),
        "status": ("ENABLED", "DISABLED"),
        "workflows[1].parameters[name=waitForActionAtEnd].value": (["false"], ["true"]),
    }
    source = {d["path"]: d["source"] for d in run.pipeline(HARDENED)["differences"]}
    assert source["executionRole"] == {"file": str(DEMO_TF / "modules/hardened-pipeline/main.tf"), "line": 15}
    assert run.report["summary"]["drifted"] == 2 and run.report["summary"]["unmanaged"] == 1


def test_only_read_calls_are_made(cli, demo_fake, tmp_path):
    cli("check", str(DEMO_TF), "--endpoint-url", demo_fake.url, "--unmanaged")
    cli("check", str(DEMO_TF), "--endpoint-url", demo_fake.url, *demo_state(tmp_path))
    operations = {r["operation"] for r in demo_fake.requests}
    assert operations == READ_OPERATIONS


def test_endpoint_from_environment(cli, demo_fake, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_IMAGEBUILDER", demo_fake.url)
    run = cli("check", str(DEMO_TF))
    assert run.exit_code == 1
    assert len(demo_fake.calls("ListImagePipelines")) == 4   # one name-filtered listing per pipeline: its state


def test_all_in_sync_exits_zero(cli, fake):
    for name in ("prod-base-linux", "prod-app-web"):
        fake.load_response_file(DEMO_TF.parent / "live" / f"us-east-1__{name}.json")
    # --var wins over terraform.tfvars: only the web app remains declared
    web_only = 'apps={web={recipe_version="3.2.0",cron="cron(0 6 * * ? *)",enabled=true}}'
    run = cli("check", str(DEMO_TF / "main.tf"), "--var", web_only, "--endpoint-url", fake.url)
    assert run.exit_code == 0, (run.stdout, run.stderr)
    assert statuses(run) == {BASE: "in_sync", WEB: "in_sync"}


def test_missing_pipeline(cli, fake):
    for path in sorted((DEMO_TF.parent / "live").glob("*.json")):
        if "prod-app-web" not in path.name:
            fake.load_response_file(path)
    run = cli("check", str(DEMO_TF), "--endpoint-url", fake.url)
    assert run.exit_code == 1
    assert run.pipeline(WEB)["status"] == "missing"
    assert run.pipeline(BASE)["status"] == "in_sync"


def test_few_names_use_the_name_filter_and_unmanaged_lists_all_pages(cli, demo_fake):
    cli("check", str(DEMO_TF), "--endpoint-url", demo_fake.url)
    lists = demo_fake.calls("ListImagePipelines")
    assert lists and all(call["body"].get("filters") for call in lists)
    demo_fake.requests.clear()
    run = cli("check", str(DEMO_TF), "--endpoint-url", demo_fake.url, "--unmanaged")
    lists = demo_fake.calls("ListImagePipelines")
    assert all(not call["body"].get("filters") for call in lists)
    assert len(lists) == 3  # 5 pipelines, page size 2: every page was read
    assert run.report["summary"]["unmanaged"] == 1


def test_throttling_is_retried_until_every_pipeline_is_checked(cli, demo_fake, tmp_path):
    demo_fake.fail("ListImagePipelines", "CallRateLimitExceededException", times=7)
    run = cli("check", str(DEMO_TF), "--endpoint-url", demo_fake.url)
    assert run.exit_code == 1, run.stderr
    assert sorted(statuses(run).values()) == ["drifted", "drifted", "in_sync", "in_sync"]
    assert len(demo_fake.calls("ListImagePipelines")) == 4 + 7
    demo_fake.requests.clear()
    demo_fake.fail("GetImagePipeline", "CallRateLimitExceededException", times=5)
    run = cli("check", str(DEMO_TF), "--endpoint-url", demo_fake.url, *demo_state(tmp_path))
    assert sorted(statuses(run).values()) == ["drifted", "drifted", "in_sync", "in_sync"]
    assert len(demo_fake.calls("GetImagePipeline")) == 4 + 5


def test_throttled_beyond_the_retry_budget_is_an_error_for_that_pipeline_only(cli, demo_fake, tmp_path):
    # throttling is paced and bounded by time (--retry-budget), not by --max-attempts
    demo_fake.fail("GetImagePipeline", "CallRateLimitExceededException", arn=ARN.format("prod-base-linux"))
    run = cli("check", str(DEMO_TF), "--endpoint-url", demo_fake.url, "--max-attempts", "3", "--retry-budget", "0.5",
              *demo_state(tmp_path))
    assert run.exit_code == 2
    base = run.pipeline(BASE)
    assert base["status"] == "error"
    assert "throttled" in base["error"] and "CallRateLimitExceededException" in base["error"]
    assert "retry budget of 0.5 s" in base["error"]
    assert len([c for c in demo_fake.calls("GetImagePipeline") if c["query"]["imagePipelineArn"] == ARN.format("prod-base-linux")]) > 3
    assert run.pipeline(API)["status"] == "drifted"


def test_forbidden_pipeline_is_an_error_and_the_rest_are_checked(cli, demo_fake, tmp_path):
    demo_fake.fail("GetImagePipeline", "ForbiddenException", arn=ARN.format("prod-app-web"), message="not authorized to read it")
    run = cli("check", str(DEMO_TF), "--endpoint-url", demo_fake.url, *demo_state(tmp_path))
    assert run.exit_code == 2
    web = run.pipeline(WEB)
    assert web["status"] == "error"
    assert "access denied" in web["error"] and "not authorized to read it" in web["error"]
    assert statuses(run)[BASE] == "in_sync" and statuses(run)[HARDENED] == "drifted"
    assert len(demo_fake.calls("GetImagePipeline")) == 4  # access denied is not retried


def test_access_denied_on_listing_marks_name_matched_pipelines(cli, demo_fake):
    demo_fake.fail("ListImagePipelines", "AccessDeniedException")
    run = cli("check", str(DEMO_TF), "--endpoint-url", demo_fake.url)
    assert run.exit_code == 2
    assert set(statuses(run).values()) == {"error"}
    assert all("AccessDeniedException" in p["error"] for p in run.report["pipelines"])


def test_server_errors_are_retried_then_reported(cli, demo_fake, tmp_path):
    demo_fake.fail("GetImagePipeline", "ServiceException", times=2)
    demo_fake.fail("GetImagePipeline", "ServiceUnavailableException", arn=ARN.format("prod-cis-hardened"))
    run = cli("check", str(DEMO_TF), "--endpoint-url", demo_fake.url, "--max-attempts", "4", *demo_state(tmp_path))
    assert run.exit_code == 2
    assert run.pipeline(HARDENED)["status"] == "error"
    assert "ServiceUnavailableException" in run.pipeline(HARDENED)["error"]
    assert "(HTTP 503)" in run.pipeline(HARDENED)["error"] and "after 4 attempts" in run.pipeline(HARDENED)["error"]
    hardened_calls = [c for c in demo_fake.calls("GetImagePipeline") if c["query"]["imagePipelineArn"] == ARN.format("prod-cis-hardened")]
    assert len(hardened_calls) == 4   # --max-attempts still caps faults other than throttling
    assert run.pipeline(BASE)["status"] == "in_sync"


def test_timeout_is_an_error_for_that_pipeline(cli, demo_fake, tmp_path):
    demo_fake.delay("GetImagePipeline", 3.0, arn=ARN.format("prod-app-web"))
    run = cli("check", str(DEMO_TF), "--endpoint-url", demo_fake.url, "--timeout", "0.3", "--max-attempts", "2",
              *demo_state(tmp_path))
    assert run.exit_code == 2
    assert run.pipeline(WEB)["status"] == "error"
    assert "timed out" in run.pipeline(WEB)["error"]
    assert run.pipeline(API)["status"] == "drifted"


def test_state_gives_arns_so_no_listing_is_needed(cli, demo_fake, tmp_path):
    run = cli("check", str(DEMO_TF), "--endpoint-url", demo_fake.url, *demo_state(tmp_path))
    assert run.exit_code == 1
    assert demo_fake.calls("ListImagePipelines") == []
    assert {r["query"]["imagePipelineArn"] for r in demo_fake.calls("GetImagePipeline")} == {
        ARN.format(n) for n in ("prod-base-linux", "prod-app-web", "prod-app-api", "prod-cis-hardened")
    }


def test_unresolved_values_are_listed_not_compared(cli, fake, tmp_path):
    (tmp_path / "main.tf").write_text(
        'variable "infra" {}\n'
        'resource "aws_imagebuilder_image_recipe" "r" {\n  name = "r"\n}\n'
        'resource "aws_imagebuilder_image_pipeline" "p" {\n'
        '  name = "unresolved-demo"\n'
        "  image_recipe_arn = aws_imagebuilder_image_recipe.r.arn\n"
        "  infrastructure_configuration_arn = var.infra\n"
        "}\n"
    )
    fake.add_pipeline({
        "arn": ARN.format("unresolved-demo"), "name": "unresolved-demo",
        "imageRecipeArn": "arn:aws:imagebuilder:us-east-1:111122223333:image-recipe/r/1.0.0",
        "infrastructureConfigurationArn": "arn:aws:imagebuilder:us-east-1:111122223333:infrastructure-configuration/i",
        "status": "ENABLED", "enhancedImageMetadataEnabled": True, "tags": {},
    })
    run = cli("check", str(tmp_path), "--endpoint-url", fake.url)
    assert run.exit_code == 0, run.stdout
    entry = run.pipeline("aws_imagebuilder_image_pipeline.p")
    assert entry["status"] == "in_sync"
    assert entry["unresolved"] == ["imageRecipeArn", "infrastructureConfigurationArn"]
    assert "--var infra=" in entry["unresolved_reasons"]["infrastructureConfigurationArn"]
    assert "--state" in entry["unresolved_reasons"]["imageRecipeArn"]


def test_unresolved_name_is_an_error_naming_the_variable(cli, fake, tmp_path):
    (tmp_path / "main.tf").write_text(
        'variable "pipeline_name" {}\n'
        'resource "aws_imagebuilder_image_pipeline" "p" {\n  name = var.pipeline_name\n}\n'
    )
    run = cli("check", str(tmp_path), "--endpoint-url", fake.url)
    assert run.exit_code == 2
    entry = run.pipeline("aws_imagebuilder_image_pipeline.p")
    assert entry["status"] == "error" and "--var pipeline_name=" in entry["error"]
    assert fake.requests == []


def test_credentials_are_never_written(cli, demo_fake, tmp_path):
    html = tmp_path / "r.html"
    run = cli("check", str(DEMO_TF), "--endpoint-url", demo_fake.url, "--report", f"html={html}", "--debug")
    snap = tmp_path / "snap"
    cli("snapshot", str(DEMO_TF), "--endpoint-url", demo_fake.url, "-o", str(snap))
    written = [run.stdout, run.stderr, html.read_text(), json.dumps(run.report)]
    written += [p.read_text() for p in snap.glob("*.json")]
    for text in written:
        assert "fake-secret-never-written-anywhere" not in text
        assert "AKIAFAKEFAKEFAKE0001" not in text


def test_snapshot_then_offline_check_gives_the_same_answer(cli, demo_fake, tmp_path):
    snap = tmp_path / "snap"
    saved = cli("snapshot", "--endpoint-url", demo_fake.url, "-o", str(snap))
    assert saved.exit_code == 0, saved.stderr
    assert len(list(snap.glob("*.json"))) == 5
    online = cli("check", str(DEMO_TF), "--endpoint-url", demo_fake.url, "--unmanaged")
    offline = cli("check", str(DEMO_TF), "--live", str(snap), "--unmanaged")
    assert online.exit_code == offline.exit_code == 1
    strip = lambda r: [{k: v for k, v in p.items()} for p in r.report["pipelines"]]  # noqa: E731
    assert strip(online) == strip(offline)
