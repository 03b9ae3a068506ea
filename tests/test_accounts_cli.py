"""Several AWS accounts in one run, through the CLI: the real boto3 clients against a loopback STS
(tests/fake_sts.py, via AWS_ENDPOINT_URL_STS) and one Image Builder fake keyed by credentials
(tests/fake_accounts.py: each role's or profile's access key sees its own account's pipelines)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from driftcheck.cli import main
from tests import accounts_support as support
from tests.accounts_support import BASE_ACCOUNT, BASE_KEY, BASE_SECRET, DEV, DEV_ROLE, PROD, PROD_ROLE, live, pipeline_file
from tests.fake_sts import role_keys

fleet, run = support.fleet, support.run   # fixtures


def test_two_roles_each_pipeline_is_found_in_its_own_account(fleet, run, tmp_path):
    sts, builder = fleet
    builder.add_pipeline_for(role_keys(DEV_ROLE)[0], live(DEV, "app-dev"))
    builder.add_pipeline_for(role_keys(PROD_ROLE)[0], live(PROD, "app-prod", status="DISABLED"))
    builder.add_pipeline_for(role_keys(PROD_ROLE)[0], live(PROD, "stray"))
    builder.add_pipeline_for(BASE_KEY, live(BASE_ACCOUNT, "app-dev", status="DISABLED"))   # the base account is not read
    declared = pipeline_file(tmp_path / "pipes.yaml", "app-dev", "app-prod", "nowhere")
    result = run(str(declared), "--assume-role", DEV_ROLE, "--assume-role", PROD_ROLE, "--unmanaged")
    assert result.exit_code == 1, result.stderr
    assert (result.pipeline("app-dev")["status"], result.pipeline("app-dev")["account"]) == ("in_sync", DEV)
    assert (result.pipeline("app-prod")["status"], result.pipeline("app-prod")["account"]) == ("drifted", PROD)
    missing = result.pipeline("nowhere")
    assert missing["status"] == "missing" and f"in any account of this run ({DEV}, {PROD})" in " ".join(missing["notes"])
    stray = result.pipeline(f"arn:aws:imagebuilder:us-east-1:{PROD}:image-pipeline/stray")
    assert (stray["status"], stray["account"]) == ("unmanaged", PROD)
    assert f"[{PROD}/us-east-1]" in result.stdout and f"app-dev [{DEV}/us-east-1]" in result.stdout
    assumed = sts.calls("AssumeRole")
    assert sorted(c["params"]["RoleArn"] for c in assumed) == [DEV_ROLE, PROD_ROLE]
    assert {c["params"]["RoleSessionName"] for c in assumed} == {"driftcheck-audit"}
    assert all("ExternalId" not in c["params"] for c in assumed)
    assert BASE_KEY not in builder.keys_seen   # Image Builder was read with the roles' credentials only
    assert set(result.report["run"]["accounts"]) == {DEV, PROD}


def test_a_pipeline_found_in_two_accounts_is_an_error_naming_both(fleet, run, tmp_path):
    _, builder = fleet
    builder.add_pipeline_for(role_keys(DEV_ROLE)[0], live(DEV, "shared"))
    builder.add_pipeline_for(role_keys(PROD_ROLE)[0], live(PROD, "shared"))
    result = run(str(pipeline_file(tmp_path / "p.yaml", "shared")), "--assume-role", DEV_ROLE, "--assume-role", PROD_ROLE)
    assert result.exit_code == 2
    entry = result.pipeline("shared")
    assert entry["status"] == "error" and f"found in several accounts ({DEV}, {PROD})" in entry["error"]


def test_a_refused_role_makes_only_its_accounts_pipelines_errors(fleet, run, tmp_path):
    sts, builder = fleet
    sts.refuse(PROD_ROLE)
    builder.add_pipeline_for(role_keys(DEV_ROLE)[0], live(DEV, "app-dev"))
    builder.add_pipeline_for(role_keys(DEV_ROLE)[0], live(DEV, "stray-dev"))
    builder.add_pipeline_for(role_keys(PROD_ROLE)[0], live(PROD, "app-prod"))
    pipeline_file(tmp_path / "dev" / "p.yaml", "app-dev")
    pipeline_file(tmp_path / "prod" / "p.yaml", "app-prod")
    accounts = tmp_path / "accounts.yaml"
    accounts.write_text(f'accounts:\n  - id: "{DEV}"\n    role: audit\n    paths: [dev]\n'
                        f'  - id: "{PROD}"\n    role: {PROD_ROLE}\n    paths: [prod]\n')
    result = run(str(tmp_path / "dev"), str(tmp_path / "prod"), "--accounts", str(accounts), "--unmanaged")
    assert result.exit_code == 2
    assert (result.pipeline("app-dev")["status"], result.pipeline("app-dev")["account"]) == ("in_sync", DEV)
    prod = result.pipeline("app-prod")
    assert (prod["status"], prod["account"]) == ("error", PROD)
    assert f"cannot assume role {PROD_ROLE}" in prod["error"] and "AccessDenied" in prod["error"]
    assert result.pipeline(f"arn:aws:imagebuilder:us-east-1:{DEV}:image-pipeline/stray-dev")["status"] == "unmanaged"
    listing = [p for p in result.report["pipelines"] if p["id"] == "(unmanaged listing)"]
    assert len(listing) == 1 and PROD in listing[0]["error"]
    assert role_keys(PROD_ROLE)[0] not in builder.keys_seen


def test_external_id_is_sent_and_a_wrong_one_is_an_error(fleet, run, tmp_path):
    sts, builder = fleet
    sts.add_role(PROD_ROLE, external_id="ext-0123456789")
    builder.add_pipeline_for(role_keys(PROD_ROLE)[0], live(PROD, "app-prod"))
    declared = str(pipeline_file(tmp_path / "p.yaml", "app-prod"))
    wrong = run(declared, "--assume-role", PROD_ROLE, "--external-id", "not-the-one")
    assert wrong.exit_code == 2 and "AccessDenied" in wrong.pipeline("app-prod")["error"]
    right = run(declared, "--assume-role", PROD_ROLE, "--external-id", "ext-0123456789")
    assert right.exit_code == 0, right.stderr
    assert sts.calls("AssumeRole")[-1]["params"]["ExternalId"] == "ext-0123456789"
    assert "ext-0123456789" not in json.dumps(right.report) + right.stdout + right.stderr   # masked in the command line


def test_unreachable_sts_is_an_error_for_that_accounts_pipelines(fleet, run, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9")   # nothing listens on the discard port
    result = run(str(pipeline_file(tmp_path / "p.yaml", "app-prod")), "--assume-role", PROD_ROLE, "--max-attempts", "2")
    assert result.exit_code == 2
    entry = result.pipeline("app-prod")
    assert entry["account"] == PROD and f"cannot assume role {PROD_ROLE}" in entry["error"] and "cannot connect" in entry["error"]


def test_a_declared_arn_picks_its_account_and_names_an_absent_one(fleet, run, tmp_path):
    _, builder = fleet
    arn = live(PROD, "app-prod")["arn"]
    builder.add_pipeline_for(role_keys(PROD_ROLE)[0], live(PROD, "app-prod"))
    result = run(str(pipeline_file(tmp_path / "p.yaml", "app-prod", arn=arn)), "--assume-role", DEV_ROLE, "--assume-role", PROD_ROLE)
    assert result.exit_code == 0, result.stderr
    assert result.pipeline("app-prod")["account"] == PROD
    assert set(builder.keys_seen) == {role_keys(PROD_ROLE)[0]}   # never looked for in the dev account
    assert result.report["run"]["accounts"] == [DEV, PROD]   # every account of the run, also one with no pipeline
    elsewhere = arn.replace(PROD, "333333333333")
    result = run(str(pipeline_file(tmp_path / "q.yaml", "app-prod", arn=elsewhere)), "--assume-role", DEV_ROLE, "--assume-role", PROD_ROLE)
    entry = result.pipeline("app-prod")
    assert entry["status"] == "error" and "names account 333333333333, which is none of this run's accounts" in entry["error"]


def test_profiles_are_accounts_identified_with_get_caller_identity(fleet, run, tmp_path):
    sts, builder = fleet
    (tmp_path / "no-aws-credentials").write_text(
        "[dev]\naws_access_key_id = AKIADEVPROFILE000001\naws_secret_access_key = dev-profile-secret-value\n"
        "[prod]\naws_access_key_id = AKIAPRODPROFILE00001\naws_secret_access_key = prod-profile-secret-value\n")
    sts.add_identity("AKIADEVPROFILE000001", DEV)
    sts.add_identity("AKIAPRODPROFILE00001", PROD)
    builder.add_pipeline_for("AKIADEVPROFILE000001", live(DEV, "app-dev"))
    builder.add_pipeline_for("AKIAPRODPROFILE00001", live(PROD, "app-prod"))
    result = run(str(pipeline_file(tmp_path / "p.yaml", "app-dev", "app-prod")), "--profile", "dev", "--profile", "prod", "--debug")
    assert result.exit_code == 0, result.stderr
    assert (result.pipeline("app-dev")["account"], result.pipeline("app-prod")["account"]) == (DEV, PROD)
    assert sorted(c["caller"] for c in sts.calls("GetCallerIdentity")) == ["AKIADEVPROFILE000001", "AKIAPRODPROFILE00001"]
    for secret in ("dev-profile-secret-value", "prod-profile-secret-value", "AKIADEVPROFILE000001"):
        assert secret not in result.stdout + result.stderr + json.dumps(result.report)


def test_one_profile_reads_as_before_without_any_sts_call(fleet, run, tmp_path):
    sts, builder = fleet
    (tmp_path / "no-aws-credentials").write_text("[dev]\naws_access_key_id = AKIADEVPROFILE000001\naws_secret_access_key = x-secret\n")
    builder.add_pipeline_for("AKIADEVPROFILE000001", live(DEV, "app-dev"))
    result = run(str(pipeline_file(tmp_path / "p.yaml", "app-dev")), "--profile", "dev")
    assert result.exit_code == 0, result.stderr
    assert result.pipeline("app-dev")["account"] == DEV      # from the live ARN
    assert sts.requests == []


SECRET_FORMATS = ("text", "json", "html", "markdown", "sarif", "junit", "github", "codequality")


def test_credentials_appear_in_no_output_and_no_report(fleet, run, tmp_path):
    sts, builder = fleet
    sts.add_role(PROD_ROLE, external_id="ext-secret-value-42")
    builder.add_pipeline_for(role_keys(DEV_ROLE)[0], live(DEV, "app-dev", status="DISABLED"))
    reports = [f"{fmt}={tmp_path / ('r.' + fmt)}" for fmt in SECRET_FORMATS]
    accounts = tmp_path / "accounts.yaml"
    accounts.write_text(f'accounts:\n  - id: "{DEV}"\n    role: audit\n'
                        f'  - id: "{PROD}"\n    role: audit\n    external_id: ext-secret-value-42\n')
    args = [str(pipeline_file(tmp_path / "p.yaml", "app-dev", "gone")), "--accounts", str(accounts), "--unmanaged", "--debug", "-v"]
    for report in reports:
        args += ["--report", report]
    result = run(*args)
    assert result.exit_code == 1, result.stderr
    assert result.pipeline("app-dev")["status"] == "drifted"
    written = [result.stdout, result.stderr, json.dumps(result.report)] + [(tmp_path / f"r.{fmt}").read_text() for fmt in SECRET_FORMATS]
    secrets = [BASE_KEY, BASE_SECRET, "ext-secret-value-42", *role_keys(DEV_ROLE), *role_keys(PROD_ROLE)]
    for text in written:
        for secret in secrets:
            assert secret not in text
    sent = {c["params"]["RoleArn"]: c["params"].get("ExternalId") for c in sts.calls("AssumeRole")}
    assert sent == {DEV_ROLE: None, PROD_ROLE: "ext-secret-value-42"}


def test_same_name_in_two_accounts_by_paths_is_two_pipelines_in_every_format(fleet, run, tmp_path):
    _, builder = fleet
    builder.add_pipeline_for(role_keys(DEV_ROLE)[0], live(DEV, "app", status="DISABLED"))
    builder.add_pipeline_for(role_keys(PROD_ROLE)[0], live(PROD, "app", status="DISABLED"))
    pipeline_file(tmp_path / "dev" / "p.yaml", "app")
    pipeline_file(tmp_path / "prod" / "p.yaml", "app")
    config = tmp_path / ".driftcheck.yaml"
    config.write_text(f'accounts:\n  - id: "{DEV}"\n    role: audit\n    paths: [dev]\n'
                      f'  - id: "{PROD}"\n    role: audit\n    paths: [prod]\n')
    sarif, junit, markdown = tmp_path / "r.sarif", tmp_path / "r.xml", tmp_path / "r.md"
    result = run(str(tmp_path / "dev"), str(tmp_path / "prod"), "--config", str(config),
                 "--report", f"sarif={sarif}", "--report", f"junit={junit}", "--report", f"markdown={markdown}")
    assert result.exit_code == 1, result.stderr
    assert sorted((p["account"], p["status"]) for p in result.report["pipelines"]) == [(DEV, "drifted"), (PROD, "drifted")]
    results = json.loads(sarif.read_text())["runs"][0]["results"]
    assert sorted(r["properties"]["account"] for r in results) == [DEV, PROD]
    assert len({r["partialFingerprints"]["driftcheckFinding/v1"] for r in results}) == 2
    assert f"&#91;{DEV}/us-east-1&#93;" in markdown.read_text() and f"&#91;{PROD}/us-east-1&#93;" in markdown.read_text()


def test_one_file_declaring_a_name_in_two_accounts_by_arn(fleet, run, tmp_path):
    _, builder = fleet
    builder.add_pipeline_for(role_keys(DEV_ROLE)[0], live(DEV, "app", status="DISABLED"))
    builder.add_pipeline_for(role_keys(PROD_ROLE)[0], live(PROD, "app"))
    declared = tmp_path / "p.yaml"
    declared.write_text("driftcheck: pipelines/v1\nregion: us-east-1\npipelines:\n"
                        f"  - name: app\n    status: ENABLED\n    arn: {live(DEV, 'app')['arn']}\n"
                        f"  - name: app\n    status: ENABLED\n    arn: {live(PROD, 'app')['arn']}\n")
    junit = tmp_path / "r.xml"
    result = run(str(declared), "--assume-role", DEV_ROLE, "--assume-role", PROD_ROLE, "--report", f"junit={junit}")
    assert result.exit_code == 1, result.stderr
    assert sorted((p["account"], p["status"]) for p in result.report["pipelines"]) == [(DEV, "drifted"), (PROD, "in_sync")]
    assert f'name="app [{DEV}/us-east-1]"' in junit.read_text() and f'name="app [{PROD}/us-east-1]"' in junit.read_text()


def test_a_lookup_with_an_unreadable_account_is_an_error_not_a_guess(fleet, run, tmp_path):
    sts, builder = fleet
    sts.refuse(PROD_ROLE)
    builder.add_pipeline_for(role_keys(DEV_ROLE)[0], live(DEV, "app"))
    result = run(str(pipeline_file(tmp_path / "p.yaml", "app")), "--assume-role", DEV_ROLE, "--assume-role", PROD_ROLE)
    assert result.exit_code == 2
    entry = result.pipeline("app")
    assert entry["status"] == "error"
    assert f"found in account {DEV}, but it may be in an account that could not be read" in entry["error"]
    assert f"cannot assume role {PROD_ROLE}" in entry["error"]


def test_two_accounts_file_entries_claiming_one_path_is_an_error(fleet, run, tmp_path):
    _, builder = fleet
    builder.add_pipeline_for(role_keys(DEV_ROLE)[0], live(DEV, "app"))
    pipeline_file(tmp_path / "infra" / "p.yaml", "app")
    accounts = tmp_path / "accounts.yaml"
    accounts.write_text(f'accounts:\n  - id: "{DEV}"\n    role: audit\n    paths: [infra]\n'
                        f'  - id: "{PROD}"\n    role: audit\n    paths: [infra/]\n')
    result = run(str(tmp_path / "infra"), "--accounts", str(accounts))
    entry = result.pipeline("app")
    assert result.exit_code == 2 and entry["status"] == "error"
    assert "the accounts file gives its file to several accounts" in entry["error"] and DEV in entry["error"] and PROD in entry["error"]


def test_snapshot_reads_the_account_of_one_role_and_refuses_several(fleet, tmp_path):
    _, builder = fleet
    builder.add_pipeline_for(role_keys(PROD_ROLE)[0], live(PROD, "app-prod"))
    builder.add_pipeline_for(BASE_KEY, live(BASE_ACCOUNT, "base-only"))
    out = tmp_path / "snap"
    result = CliRunner().invoke(main, ["snapshot", str(pipeline_file(tmp_path / "p.yaml", "app-prod")), "--assume-role", PROD_ROLE, "-o", str(out)])
    assert result.exit_code == 0, result.stderr
    (saved,) = out.glob("*.json")
    assert json.loads(saved.read_text())["imagePipeline"]["arn"] == live(PROD, "app-prod")["arn"]
    assert role_keys(PROD_ROLE)[1] not in saved.read_text()
    several = CliRunner().invoke(main, ["snapshot", "--assume-role", PROD_ROLE, "--assume-role", DEV_ROLE, "-o", str(out)])
    assert several.exit_code == 2 and "snapshot reads one account" in several.stderr


def test_a_run_over_several_accounts_collects_garbage_as_python_does(fleet, run, tmp_path):
    """Each account's session and clients hold reference cycles: a fleet read restores Python's own thresholds, so
    they are freed as the run goes on (a one-account run keeps GC_THRESHOLDS, tests/test_cli_run_context.py)."""
    import gc

    from driftcheck.cli import GC_THRESHOLDS, PYTHON_GC_THRESHOLDS

    sts, builder = fleet
    builder.add_pipeline_for(role_keys(DEV_ROLE)[0], live(DEV, "app-dev"))
    declared = pipeline_file(tmp_path / "pipes.yaml", "app-dev")
    before = gc.get_threshold()
    try:
        gc.set_threshold(*GC_THRESHOLDS)
        result = run(str(declared), "--assume-role", DEV_ROLE, "--assume-role", PROD_ROLE)
        assert result.exit_code == 0, result.stderr
        assert gc.get_threshold() == PYTHON_GC_THRESHOLDS != GC_THRESHOLDS
    finally:
        gc.set_threshold(*before)
