"""Shared test fixtures: the demo paths, a CLI runner, and a running fake Image Builder endpoint."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from driftcheck.cli import main
from driftcheck.reports.json_report import validate_report
from tests.fake_imagebuilder import FakeImageBuilder

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
DEMO_TF = FIXTURES / "terraform"
DEMO_LIVE = FIXTURES / "live"
DEMO_CFN = FIXTURES / "cloudformation" / "app-container-pipelines.yaml"
DEMO_PINNED = FIXTURES / "driftcheck" / "pinned-pipelines.yaml"
# Saved responses of the pipelines the YAML demos declare; the Terraform-only tests leave them out.
YAML_DEMO_LIVE = ("us-east-1__prod-app-container.json", "us-east-1__ops-patch-baseline.json")


@pytest.fixture(scope="session")
def session_cache(tmp_path_factory):
    """driftcheck's cache directory for the whole session: shared, so later runs read what earlier ones stored."""
    return tmp_path_factory.mktemp("driftcheck-cache")


@pytest.fixture(autouse=True)
def aws_sandbox(monkeypatch, tmp_path, session_cache):
    """No test may reach real AWS or read the developer's AWS files; retries back off quickly."""
    for name in list(__import__("os").environ):
        if name.startswith(("AWS_", "TF_VAR_", "DRIFTCHECK_")) or name in ("TF_WORKSPACE", "NO_COLOR", "TF_DATA_DIR", "GITHUB_ACTIONS", "GITHUB_STEP_SUMMARY"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAFAKEFAKEFAKE0001")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "fake-secret-never-written-anywhere")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("DRIFTCHECK_RETRY_DELAY", "0.01")  # (set after DRIFTCHECK_* are cleared above)
    monkeypatch.setenv("DRIFTCHECK_CACHE_DIR", str(session_cache))  # never the developer's ~/.cache


@pytest.fixture
def fake():
    """A running fake Image Builder endpoint on 127.0.0.1."""
    with FakeImageBuilder(page_size=2) as server:
        yield server


@pytest.fixture
def demo_fake(fake):
    """The fake endpoint holding the Terraform demo's saved live responses (and the hand-made legacy one)."""
    for path in sorted(DEMO_LIVE.glob("*.json")):
        if path.name not in YAML_DEMO_LIVE:
            fake.load_response_file(path)
    return fake


@pytest.fixture
def terraform_live(tmp_path):
    """A --live directory with the Terraform demo's saved responses only."""
    target = tmp_path / "terraform-live"
    target.mkdir()
    for path in DEMO_LIVE.glob("*.json"):
        if path.name not in YAML_DEMO_LIVE:
            shutil.copy(path, target / path.name)
    return target


@pytest.fixture
def demo_tree(tmp_path):
    """A private copy of the demo Terraform, safe to edit."""
    target = tmp_path / "terraform"
    shutil.copytree(DEMO_TF, target)
    return target


class Run:
    """The outcome of one CLI invocation, with the JSON report parsed and schema-validated."""

    def __init__(self, result, report_path: Path | None):
        self.exit_code = result.exit_code
        self.stdout = result.stdout
        self.stderr = result.stderr
        self.exception = result.exception
        self.report = None
        if report_path is not None and report_path.exists():
            self.report = json.loads(report_path.read_text())
            validate_report(self.report)

    def pipeline(self, pipeline_id: str) -> dict:
        """One pipeline entry of the JSON report, by id."""
        matches = [p for p in self.report["pipelines"] if p["id"] == pipeline_id]
        assert len(matches) == 1, [p["id"] for p in self.report["pipelines"]]
        return matches[0]

    def paths(self, pipeline_id: str) -> dict:
        """path -> (declared, live) for one pipeline's differences."""
        return {d["path"]: (d["declared"], d["live"]) for d in self.pipeline(pipeline_id)["differences"]}


@pytest.fixture
def cli(tmp_path):
    """Run `driftcheck ARGS...` in-process; a JSON report is always written too, validated, and parsed."""

    def invoke(*args: str, json_report: bool = True) -> Run:
        report = tmp_path / "report.json"
        if report.exists():
            report.unlink()
        extra = ["--report", f"json={report}"] if json_report and args and args[0] == "check" else []
        result = CliRunner().invoke(main, [*args, *extra], catch_exceptions=True)
        return Run(result, report if extra else None)

    return invoke
