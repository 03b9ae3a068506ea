"""Shared by the tests/test_accounts_*.py files: a loopback STS (tests/fake_sts.py, reached through
AWS_ENDPOINT_URL_STS) with two roles, an Image Builder fake keyed by credentials (tests/fake_accounts.py),
live pipelines, pipeline files, and a CLI runner that parses the JSON report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from driftcheck.cli import main
from driftcheck.reports.json_report import validate_report
from tests.fake_accounts import AccountsImageBuilder
from tests.fake_sts import FakeSts

BASE_KEY = "AKIAFAKEFAKEFAKE0001"          # the sandbox's environment credentials (tests/conftest.py)
BASE_SECRET = "fake-secret-never-written-anywhere"
BASE_ACCOUNT = "999988887777"
DEV, PROD = "111111111111", "222222222222"
DEV_ROLE, PROD_ROLE = f"arn:aws:iam::{DEV}:role/audit", f"arn:aws:iam::{PROD}:role/audit"


def live(account: str, name: str, status: str = "ENABLED") -> dict:
    return {"arn": f"arn:aws:imagebuilder:us-east-1:{account}:image-pipeline/{name}", "name": name, "status": status,
            "imageRecipeArn": f"arn:aws:imagebuilder:us-east-1:{account}:image-recipe/r/1.0.0",
            "infrastructureConfigurationArn": f"arn:aws:imagebuilder:us-east-1:{account}:infrastructure-configuration/i"}


def pipeline_file(path: Path, *names: str, arn: str | None = None) -> Path:
    lines = ["driftcheck: pipelines/v1", "region: us-east-1", "pipelines:"]
    for name in names:
        lines += [f"  - name: {name}", "    status: ENABLED"] + ([f"    arn: {arn}"] if arn else [])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def fleet(monkeypatch):
    """A loopback STS with two roles (dev, prod) and the base identity, and a keyed Image Builder fake."""
    with FakeSts() as sts, AccountsImageBuilder(page_size=2) as builder:
        monkeypatch.setenv("AWS_ENDPOINT_URL_STS", sts.url)
        monkeypatch.setenv("AWS_ENDPOINT_URL_IMAGEBUILDER", builder.url)
        sts.add_identity(BASE_KEY, BASE_ACCOUNT)
        sts.add_role(DEV_ROLE)
        sts.add_role(PROD_ROLE)
        yield sts, builder


class Run:
    def __init__(self, result, report: dict | None):
        self.exit_code, self.stdout, self.stderr, self.report = result.exit_code, result.stdout, result.stderr, report

    def pipeline(self, pipeline_id: str) -> dict:
        found = [p for p in self.report["pipelines"] if p["id"] == pipeline_id]
        assert len(found) == 1, [p["id"] for p in self.report["pipelines"]]
        return found[0]


@pytest.fixture
def run(tmp_path):
    def invoke(*args: str) -> Run:
        report = tmp_path / "report.json"
        report.unlink(missing_ok=True)
        result = CliRunner().invoke(main, ["check", *args, "--report", f"json={report}"])
        document = json.loads(report.read_text()) if report.exists() else None
        if document is not None:
            validate_report(document)
        return Run(result, document)

    return invoke
