"""Shared sample runs for the CI report formats (SARIF, JUnit, Markdown, GitHub), and registry tests."""

from __future__ import annotations

from datetime import UTC, datetime

from driftcheck.frozen import freeze
from driftcheck.model import Difference, InputError, Location, PipelineResult, RunResult, Status, UnresolvedField
from driftcheck.reports import ReportFormat

WHEN = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
HOSTILE = "a|b <script>alert(1)</script> `tick` ```fence``` *bold* [x](http://e) \\ & %25 50% ,: \r\n::error::forged\x1b[31m\u202e"


def ci_sample(*, hostile: str = "plain") -> RunResult:
    """Every status, differences of every severity, ignored ones, unresolved fields, input errors."""
    drifted = PipelineResult(
        id="b-nightly",
        name="Nightly AMI",
        status=Status.DRIFTED,
        arn="arn:aws:imagebuilder:us-east-1:111122223333:image-pipeline/nightly",
        region="us-east-1",
        source=Location("infra/main.tf", 12),
        differences=(
            Difference("schedule.scheduleExpression", "cron(0 0 * * ? *)", "cron(0 1 * * ? *)", Location("infra/main.tf", 15)),
            Difference("executionRole", "arn:aws:iam::1:role/a", "arn:aws:iam::1:role/b", Location("infra/main.tf", 14)),
            Difference("description", hostile, None, None),
            Difference("imageTestsConfiguration", freeze({"imageTestsEnabled": True}), freeze({"imageTestsEnabled": False}), Location("infra/main.tf", 20)),
        ),
        ignored=(
            Difference("tags.Owner", "ops", "dev", Location("infra/main.tf", 30), ignored_by="lifecycle.ignore_changes at infra/main.tf:40"),
        ),
        unresolved=(UnresolvedField("tags.CostCenter", "depends on var.cost_center"),),
        notes=("schedule timezone defaulted to UTC",),
    )
    return RunResult(
        pipelines=(
            PipelineResult("a-base", "Base", Status.IN_SYNC, region="us-east-1", source=Location("infra/main.tf", 1)),
            drifted,
            PipelineResult("c-broken", "Broken", Status.ERROR, region="eu-west-1", error="AccessDeniedException: not allowed"),
            PipelineResult("d-gone", "Gone", Status.MISSING, region="us-east-1", source=Location("pipes.yaml", 3)),
            PipelineResult("e-handmade", "Handmade", Status.UNMANAGED, arn="arn:aws:imagebuilder:eu-west-1:1:image-pipeline/e", region="eu-west-1"),
            PipelineResult("a-base", "Base", Status.IN_SYNC, region="eu-west-1", source=Location("infra/main.tf", 1)),
            PipelineResult(
                "f-quiet", "Quiet", Status.IN_SYNC, region="us-east-1", source=Location("cfn/app.yaml", 7),
                ignored=(Difference("description", "a", "b", Location("cfn/app.yaml", 9), ignored_by="provider ignore_tags"),),
            ),
        ),
        input_errors=(InputError(Location("infra/vars.tfvars", 4), "unexpected token"),),
        generated_at=WHEN,
        tool_version="0.1.0",
    )


def many_pipelines(count: int = 2000) -> RunResult:
    """A synthetic large run: a mix of statuses, several differences each, some huge values."""
    statuses = (Status.DRIFTED, Status.MISSING, Status.IN_SYNC, Status.ERROR, Status.UNMANAGED, Status.DRIFTED)
    pipelines = []
    for i in range(count):
        status = statuses[i % len(statuses)]
        differences: tuple[Difference, ...] = ()
        if status is Status.DRIFTED:
            differences = (
                Difference("description", f"d{i}" + "x" * 200, f"l{i}", Location(f"env{i % 7}/main.tf", i + 3)),
                Difference("schedule.scheduleExpression", "cron(0 0 * * ? *)", f"cron({i % 60} 1 * * ? *)", Location(f"env{i % 7}/main.tf", i + 4)),
                Difference("tags.Owner", "a|b", "<b>c</b>", None),
            ) + ((Difference("executionRole", "r1", "r2", Location(f"env{i % 7}/main.tf", i + 5)),) if i % 12 == 0 else ())
        pipelines.append(PipelineResult(
            id=f"module.env[{i % 7}].aws_imagebuilder_image_pipeline.p{i:04d}",
            name=f"p{i:04d}",
            status=status,
            region="us-east-1",
            source=None if status is Status.UNMANAGED else Location(f"env{i % 7}/main.tf", i + 1),
            arn=f"arn:aws:imagebuilder:us-east-1:1:image-pipeline/p{i:04d}",
            differences=differences,
            error="ThrottlingException: rate exceeded" if status is Status.ERROR else None,
        ))
    return RunResult(tuple(pipelines), (), WHEN, "0.1.0")


def test_new_formats_are_registered() -> None:
    for name in ("sarif", "junit", "markdown", "github"):
        assert name in ReportFormat.choices()
        assert ReportFormat(name).renderer()().render(ci_sample()).endswith("\n")


def test_every_format_is_documented_with_an_example() -> None:
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    docs = (root / "docs" / "report-formats.md").read_text(encoding="utf-8")
    readme = (root / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if line.startswith("| `--format "))
    for name in ReportFormat.choices():
        heading = "## text (default)" if name == "text" else f"## {name}"
        assert f"\n{heading}\n" in docs, name
        section = docs.split(f"\n{heading}\n", 1)[1].split("\n## ", 1)[0]
        assert "```" in section or name in ("json", "html"), name  # json and html are described by tables
        assert name in row and name in docs.split("\n", 3)[2], name
