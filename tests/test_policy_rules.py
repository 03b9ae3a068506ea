"""Ignore rules of the configuration file and --fail-on, through the CLI: which pipelines and fields a rule
matches (globs), what an ignored difference says, expiry, unused rules as run-level notes, and exit codes."""

from __future__ import annotations

import pytest

from tests.tf_helpers import ACCOUNT, live_response, resource

WEB = "aws_imagebuilder_image_pipeline.web"
API = "aws_imagebuilder_image_pipeline.api"


@pytest.fixture
def project(tmp_path, monkeypatch):
    """Two pipelines in infra/main.tf: web drifts on tags only, api on tags and its schedule."""
    infra = tmp_path / "infra"
    infra.mkdir()
    schedule = '  schedule {\n    schedule_expression = "cron(0 3 * * ? *)"\n    pipeline_execution_start_condition = "EXPRESSION_MATCH_ONLY"\n  }\n'
    (infra / "main.tf").write_text(
        resource("web", '  name = "web"\n  tags = { Team = "core" }\n')
        + resource("api", '  name = "api"\n  tags = { Team = "core" }\n' + schedule)
    )
    live_response(tmp_path / "live", "web", tags={"Team": "core", "aws-owner": "x", "aws-cost": "y"})
    live_response(
        tmp_path / "live", "api", tags={"Team": "core", "aws-owner": "x"},
        schedule={"scheduleExpression": "cron(0 9 * * ? *)", "timezone": "UTC", "pipelineExecutionStartCondition": "EXPRESSION_MATCH_ONLY"},
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _check(cli, *extra, json_report=True):
    return cli("check", "infra", "--live", "live", "--region", "us-east-1", *extra, json_report=json_report)


def _config(project, text):
    (project / ".driftcheck.yaml").write_text(text)


def test_a_rule_moves_matching_differences_to_ignored_with_its_line_and_reason(cli, project):
    _config(project, "# rules\nignore:\n  - name: web\n    reason: other rule\n  - fields: tags.aws-*\n    reason: AWS adds these tags\n")
    run = _check(cli)
    web = run.pipeline(WEB)
    assert web["status"] == "in_sync" and web["differences"] == []
    assert [(d["path"], d["reason"]) for d in web["ignored"]] == [
        ("tags.aws-cost", "config rule 1 (.driftcheck.yaml:3): other rule"),
        ("tags.aws-owner", "config rule 1 (.driftcheck.yaml:3): other rule"),
    ]
    api = run.pipeline(API)
    assert [d["path"] for d in api["differences"]] == ["schedule.scheduleExpression"]
    assert [(d["path"], d["reason"]) for d in api["ignored"]] == [("tags.aws-owner", "config rule 2 (.driftcheck.yaml:5): AWS adds these tags")]
    assert api["status"] == "drifted" and run.exit_code == 1 and run.report["notes"] == []
    text = _check(cli, json_report=False).stdout
    assert "ignored: tags.aws-owner" in text and "config rule 2 (.driftcheck.yaml:5): AWS adds these tags" in text


@pytest.mark.parametrize(
    ("selector", "matched"),
    [
        ("id: '*.web'", {WEB}),
        ("id: ['*.web', '*.api']", {WEB, API}),
        ("name: 'a*'", {API}),
        (f"arn: 'arn:aws:imagebuilder:*:{ACCOUNT}:image-pipeline/web'", {WEB}),
        ("source: 'infra/*.tf'", {WEB, API}),
        ("source: 'other/*.tf'", set()),
        ("region: us-east-1", {WEB, API}),
        ("region: eu-*", set()),
        (f"account: {ACCOUNT}", {WEB, API}),
        ("account: '999999999999'", set()),
        ("{region: us-east-1, name: web}", {WEB}),
    ],
)
def test_pipeline_selectors_are_globs_and_all_must_match(cli, project, selector, matched):
    rule = selector if selector.startswith("{") else "{" + selector + "}"
    _config(project, f"ignore:\n  - {rule[:-1]}, fields: 'tags.*', reason: tags are AWS's}}\n")
    run = _check(cli)
    ignored = {p["id"] for p in run.report["pipelines"] if p["ignored"]}
    assert ignored == matched
    assert bool(run.report["notes"]) == (not matched)


@pytest.mark.parametrize(
    ("fields", "ignored_api"),
    [
        ("schedule.*", ["schedule.scheduleExpression"]),
        ("schedule", ["schedule.scheduleExpression"]),  # a block covers its fields
        ("[schedule.*, tags.aws-owner]", ["schedule.scheduleExpression", "tags.aws-owner"]),
        ("tags.aws-c*", []),
        ("'*'", ["schedule.scheduleExpression", "tags.aws-owner"]),
    ],
)
def test_field_globs(cli, project, fields, ignored_api):
    _config(project, f"ignore:\n  - id: '*.api'\n    fields: {fields}\n    reason: r\n")
    api = _check(cli).pipeline(API)
    assert [d["path"] for d in api["ignored"]] == ignored_api
    assert api["status"] == ("in_sync" if len(ignored_api) == 2 else "drifted")


def test_no_fields_means_every_field_and_a_fully_ignored_run_exits_0(cli, project):
    _config(project, "ignore:\n  - reason: migration in progress\n    expires: 2999-12-31\n")
    run = _check(cli)
    assert {p["status"] for p in run.report["pipelines"]} == {"in_sync"} and run.exit_code == 0


def test_an_expired_rule_stops_applying_and_says_so(cli, project):
    _config(project, "ignore:\n  - fields: tags.aws-*\n    reason: until the tagging fix\n    expires: 2020-11-01\n")
    run = _check(cli)
    for pipeline_id in (WEB, API):
        entry = run.pipeline(pipeline_id)
        assert entry["status"] == "drifted" and entry["ignored"] == []
        assert "config rule 1 (.driftcheck.yaml:2) expired on 2020-11-01 and no longer applies: until the tagging fix" in entry["notes"]
    assert run.exit_code == 1 and run.report["notes"] == []  # it would have matched: not unused


def test_an_unused_rule_is_a_run_note_in_json_and_text(cli, project):
    _config(project, "ignore:\n  - fields: tags.aws-*\n    reason: used\n  - name: gone-*\n    reason: old pipeline\n")
    run = _check(cli)
    assert run.report["notes"] == ["config rule 2 (.driftcheck.yaml:4) matched no difference in this run: remove it if it is no longer needed (old pipeline)"]
    text = _check(cli, json_report=False).stdout
    assert "notes (1):" in text and "config rule 2 (.driftcheck.yaml:4) matched no difference" in text.split("notes (1):")[1]


def test_a_rule_never_hides_a_missing_pipeline(cli, project):
    (project / "live" / "us-east-1__web.json").unlink()
    _config(project, "ignore:\n  - name: web\n    reason: everything\n")
    run = _check(cli)
    assert run.pipeline(WEB)["status"] == "missing" and run.exit_code == 1


# --------------------------------------------------------------------------- --fail-on


@pytest.mark.parametrize(
    ("fail_on", "config", "code"),
    [
        (None, "", 1),
        ("none", "", 0),
        ("any", "", 1),
        ("drifted", "", 1),
        ("drifted:high", "", 0),  # tags are low, schedule medium
        ("drifted:medium", "", 1),
        ("drifted:low", "", 1),
        ("missing,unmanaged", "", 0),
        ("drifted:high", "severity:\n  tags.aws-*: high\n", 1),
        (None, "fail_on: drifted:high\n", 0),
        (None, "fail_on: [missing, 'drifted:medium']\n", 1),
        ("none", "fail_on: drifted\n", 0),  # the command line wins
    ],
)
def test_fail_on_statuses_and_severities(cli, project, fail_on, config, code):
    _config(project, config or "{}\n")
    run = _check(cli, *(["--fail-on", fail_on] if fail_on else []))
    assert run.exit_code == code, run.stderr
    assert run.report["summary"]["drifted"] == 2  # the report is the same: only the exit code changes


def test_fail_on_missing_with_a_severity(cli, project):
    (project / "live" / "us-east-1__web.json").unlink()
    assert _check(cli, "--fail-on", "missing:high").exit_code == 1  # missing is high
    assert _check(cli, "--fail-on", "drifted:high,unmanaged").exit_code == 0
    _config(project, "severity:\n  missing: low\n")
    assert _check(cli, "--fail-on", "missing:medium").exit_code == 0


def test_errors_always_exit_2(cli, project):
    (project / "infra" / "broken.tf").write_text("resource {\n")
    assert _check(cli, "--fail-on", "none").exit_code == 2


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("drifted:urgent", "unknown severity 'urgent'"),
        ("errors", "unknown status; expected one of drifted, missing, unmanaged, any or none (errors always exit 2)"),
        ("none,drifted", "none cannot be combined"),
        ("drifted,", "an empty entry"),
        ("drifted,drifted:high", "drifted is given twice"),
    ],
)
def test_bad_fail_on_is_a_usage_error(cli, project, value, message):
    run = _check(cli, "--fail-on", value)
    assert run.exit_code == 2 and message in run.stderr and "Traceback" not in run.stderr and run.report is None
