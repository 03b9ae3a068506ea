"""The accounts file (--accounts FILE, or accounts: in the config file): bad input is one file:line line each, exit 2."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from driftcheck.cli import main
from tests.fake_sts import role_keys
from tests import accounts_support as support
from tests.accounts_support import DEV, DEV_ROLE, live, pipeline_file

fleet, run = support.fleet, support.run   # fixtures

BAD = [
    ('accounts:\n  - id: "12345"\n', 2, "accounts[1].id: '12345' is not a 12-digit AWS account id"),
    ('accounts:\n  - role: audit\n', 2, "accounts[1]: id (the 12-digit account id) is required"),
    (f'accounts:\n  - id: "{DEV}"\n    rol: audit\n', 3, "accounts[1]: unknown key 'rol'"),
    (f'accounts:\n  - id: "{DEV}"\n    role: arn:aws:iam::222222222222:role/x\n', 3, f"role arn:aws:iam::222222222222:role/x is in account 222222222222, not {DEV}"),
    (f'accounts:\n  - id: "{DEV}"\n    role: "bad role"\n', 3, "accounts[1].role: 'bad role' is not a valid role name"),
    (f'accounts:\n  - id: "{DEV}"\n    regions: [us-east-1, Mars]\n', 3, "accounts[1].regions: 'Mars' is not an AWS region name"),
    (f'accounts:\n  - id: "{DEV}"\n    external_id: abc\n', 3, "accounts[1].external_id: needs a role to assume"),
    (f'accounts:\n  - id: "{DEV}"\n  - id: "{DEV}"\n', 3, f"accounts[2].id: account {DEV} is listed twice (first in accounts[1])"),
    ("accounts: {}\n", 1, "accounts: expected a list of accounts"),
    ("roles: []\naccounts: []\n", 1, "unknown key 'roles'"),
]


@pytest.mark.parametrize("text,line,message", BAD, ids=[m.split(":")[0] + str(i) for i, (_, _, m) in enumerate(BAD)])
def test_a_bad_accounts_file_is_one_line_with_file_and_line(tmp_path, text, line, message):
    accounts = tmp_path / "accounts.yaml"
    accounts.write_text(text)
    result = CliRunner().invoke(main, ["check", str(pipeline_file(tmp_path / "p.yaml", "x")), "--accounts", str(accounts)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith(f"{accounts}:{line}: error: ") and message in lines[0], lines[0]


def test_the_config_files_accounts_section_is_checked_the_same_way(tmp_path):
    config = tmp_path / ".driftcheck.yaml"
    config.write_text('fail_on: any\naccounts:\n  - id: "12345"\n')
    result = CliRunner().invoke(main, ["check", str(pipeline_file(tmp_path / "p.yaml", "x")), "--config", str(config)])
    assert result.exit_code == 2
    assert result.stderr.strip() == f"{config}:3: error: accounts[1].id: '12345' is not a 12-digit AWS account id"


def test_an_unreadable_accounts_file_is_one_error(tmp_path):
    result = CliRunner().invoke(main, ["check", str(pipeline_file(tmp_path / "p.yaml", "x")), "--accounts", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2 and len(result.stderr.strip().splitlines()) == 1 and "nope.yaml" in result.stderr


def test_usage_errors(tmp_path):
    declared = str(pipeline_file(tmp_path / "p.yaml", "x"))
    cases = [
        (["--assume-role", "audit"], "--assume-role 'audit': expected a role ARN"),
        (["--external-id", "x1"], "--external-id (or DRIFTCHECK_EXTERNAL_ID) is used with --assume-role"),
        (["--assume-role", DEV_ROLE, "--live", str(tmp_path)], "--live reads saved responses offline"),
    ]
    for args, message in cases:
        result = CliRunner().invoke(main, ["check", declared, *args])
        assert result.exit_code == 2 and message in result.stderr, result.stderr
    result = CliRunner().invoke(main, ["check", declared], env={"DRIFTCHECK_EXTERNAL_ID": "from-env"})
    assert result.exit_code == 2 and "DRIFTCHECK_EXTERNAL_ID" in result.stderr and "from-env" not in result.stderr


def test_the_external_id_may_come_from_the_environment(fleet, run, tmp_path, monkeypatch):
    sts, builder = fleet
    sts.add_role(DEV_ROLE, external_id="env-external-id")
    builder.add_pipeline_for(role_keys(DEV_ROLE)[0], live(DEV, "app-dev"))
    monkeypatch.setenv("DRIFTCHECK_EXTERNAL_ID", "env-external-id")
    result = run(str(pipeline_file(tmp_path / "p.yaml", "app-dev")), "--assume-role", DEV_ROLE)
    assert result.exit_code == 0, result.stderr
    assert sts.calls("AssumeRole")[0]["params"]["ExternalId"] == "env-external-id"


def test_role_names_are_made_into_arns_in_the_entrys_account_and_regions_scope_discovery(fleet, run, tmp_path):
    sts, builder = fleet
    builder.add_pipeline_for(role_keys(DEV_ROLE)[0], live(DEV, "app-dev"))
    accounts = tmp_path / "accounts.yaml"
    accounts.write_text(f'accounts:\n  - id: "{DEV}"\n    role: audit\n    regions: [us-east-1, eu-west-1]\n')
    result = run(str(pipeline_file(tmp_path / "p.yaml", "app-dev")), "--accounts", str(accounts), "--unmanaged")
    assert result.exit_code == 0, result.stderr
    assert [c["params"]["RoleArn"] for c in sts.calls("AssumeRole")] == [DEV_ROLE]
    assert result.pipeline("app-dev")["account"] == DEV
    listed_in = {r["headers"]["Authorization"].split("/")[2] for r in builder.calls("ListImagePipelines")}
    assert listed_in == {"us-east-1", "eu-west-1"}   # --unmanaged discovery in the entry's regions
