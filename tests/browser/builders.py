"""Reports for the browser tests: the demo through the real CLI, a hostile corpus, and a 2,000-pipeline run."""

from __future__ import annotations

import contextlib
import dataclasses
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from driftcheck.cli import main
from driftcheck.frozen import freeze
from driftcheck.model import (
    Difference,
    Hint,
    InputError,
    Location,
    PipelineResult,
    RunContext,
    RunResult,
    Status,
    UnresolvedField,
)
from driftcheck.reports.base import RenderOptions
from driftcheck.reports.html import HtmlRenderer
from tests.conftest import FIXTURES

WHEN = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
DEMO_ARGS = (
    "check", str(FIXTURES / "terraform"), str(FIXTURES / "cloudformation"), str(FIXTURES / "driftcheck"),
    "--region", "us-east-1", "--live", str(FIXTURES / "live"), "--unmanaged",
)
SOURCE_URL = "https://git.example.com/org/repo/blob/main/{file}#L{line}"

# Hostile values: markup, script, an event handler, a closing tag, comment openers, a javascript: URL, template
# syntax, control / bidi / surrogate characters. Each must show as text; none may run, load or open anything.
HOSTILE = (
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    "\"><svg onload=alert(2)>",
    "</script><!--<script>alert(3)//",
    "javascript:alert(4)",
    "{{7*7}}${7*7}<%= 7*7 %>",
    "<iframe src=\"https://evil.example/\"></iframe>",
    "<a href=\"https://evil.example/\">click</a>",
    "<link rel=stylesheet href=https://evil.example/x.css>",
    "<style>@import url(https://evil.example/x.css);body{display:none}</style>",
    "<meta http-equiv=refresh content=\"0;url=https://evil.example/\">",
    "admin\u202egpj.exe\u2066",
    "bell\x07esc\x1b[2Jnul\x00",
    "lone \ud800 surrogate",
    "<form action=https://evil.example/><button>go</button></form>",
    "<base href=\"https://evil.example/\">",
    "<object data=\"https://evil.example/x\"></object>",
    "'; alert(5); '",
)
# What each hostile value looks like on the page (its visible text, after the safe-text escapes).
VISIBLE = (
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    "\"><svg onload=alert(2)>",
    "</script><!--<script>alert(3)//",
    "javascript:alert(4)",
    "{{7*7}}${7*7}<%= 7*7 %>",
    "<iframe src=\"https://evil.example/\"></iframe>",
    "<a href=\"https://evil.example/\">click</a>",
    "<link rel=stylesheet href=https://evil.example/x.css>",
    "<style>@import url(https://evil.example/x.css);body{display:none}</style>",
    "<meta http-equiv=refresh content=\"0;url=https://evil.example/\">",
    "admin\\u202egpj.exe\\u2066",
    "bell\\x07esc\\x1b[2Jnul\\x00",
    "lone \\ud800 surrogate",
    "<form action=https://evil.example/><button>go</button></form>",
    "<base href=\"https://evil.example/\">",
    "<object data=\"https://evil.example/x\"></object>",
    "'; alert(5); '",
)


def cli_report(directory: Path, *extra: str) -> Path:
    """The demo fixtures checked by the real CLI (offline), written as an HTML report."""
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / "demo.html"
    result = CliRunner().invoke(main, [*DEMO_ARGS, "--report", f"html={target}", *extra], catch_exceptions=True)
    assert result.exit_code == 1, (result.stdout, result.stderr, result.exception)
    assert target.exists()
    return target


def hostile_cli_report(directory: Path) -> Path:
    """A pipeline file with a hostile file name and hostile values, checked by the CLI against a live directory."""
    directory.mkdir(parents=True, exist_ok=True)
    bad = "<img src=x onerror=alert(9)>'\"#?%&{file}"
    source = directory / f"{bad}.yaml"
    source.write_text(
        "driftcheck: pipelines/v1\nregion: us-east-1\npipelines:\n  - name: p1\n"
        "    description: \"<script>alert('declared')</script>\"\n    tags:\n      \"a.b<svg onload=alert(1)>\": x\n",
        encoding="utf-8",
    )
    live = directory / "live"
    live.mkdir(exist_ok=True)
    (live / "us-east-1__p1.json").write_text(
        '{"imagePipeline": {"arn": "arn:aws:imagebuilder:us-east-1:111122223333:image-pipeline/p1", "name": "p1",'
        ' "status": "ENABLED", "description": "</script><!--<script>alert(\'live\')//",'
        ' "tags": {"a.b<svg onload=alert(1)>": "y\\u202e\\ud800"}}}',
        encoding="utf-8",
    )
    target = directory / f"{bad}.html"
    with contextlib.chdir(directory):  # relative file names, as in a repository checkout: they are linked
        result = CliRunner().invoke(
            main,
            ["check", source.name, "--live", "live", "--report", f"html={target.name}",
             "--source-url", "https://git.example.com/{file}#L{line}", "--console-links"],
            catch_exceptions=True,
        )
    assert result.exit_code == 1, (result.stdout, result.stderr, result.exception)
    return target


def hostile_run() -> RunResult:
    """Every field the report shows holds one of the hostile values (ids stay unique)."""
    pipelines = []
    for n, bad in enumerate(HOSTILE):
        diff = Difference(
            path=f"tags.{bad}", declared=freeze({bad: [bad]}), live=bad, source=Location(f"dir/{bad}.tf", n + 1),
            hint=Hint(apply=bad, language="hcl", accept=bad, at=Location(bad, 2)),
        )
        status = (Status.DRIFTED, Status.ERROR, Status.MISSING, Status.UNMANAGED, Status.IN_SYNC)[n % 5]
        pipelines.append(PipelineResult(
            id=f"{n}{bad}", name=bad, status=status, arn=bad, region=bad, account=bad, source=Location(bad, n + 1),
            source_kind="terraform",
            differences=(diff, dataclasses.replace(diff, path=bad, declared=bad, live=freeze([bad])))
            if status is Status.DRIFTED else (),
            ignored=(dataclasses.replace(diff, ignored_by=bad), dataclasses.replace(diff, path="description", ignored_by=f"accepted in baseline {bad}")),
            unresolved=(UnresolvedField(bad, bad),),
            error=bad if status is Status.ERROR else None,
            notes=(bad,),
        ))
    context = RunContext(
        command=("driftcheck", "check", *HOSTILE[:3]), live_source="offline", live_dir=HOSTILE[3],
        accounts=HOSTILE[4:6], regions=HOSTILE[6:8], inputs=HOSTILE, exit_code=2, duration_seconds=1.5, started_at=WHEN,
    )
    return RunResult(
        tuple(pipelines), tuple(InputError(Location(bad, 3), bad) for bad in HOSTILE), WHEN, HOSTILE[0],
        notes=HOSTILE[:2], context=context,
    )


def hostile_report(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / "hostile <b>'\"&#.html"
    options = RenderOptions(source_url="https://git.example.com/org/repo/blob/main/{file}#L{line}", console_links=True)
    target.write_text(HtmlRenderer().render(hostile_run(), options=options), encoding="utf-8")
    return target


def fleet_run(count: int = 2000) -> RunResult:
    """``count`` pipelines over 4 accounts, 3 regions and every status, about a third drifted."""
    statuses = (Status.DRIFTED, Status.IN_SYNC, Status.IN_SYNC, Status.DRIFTED, Status.MISSING, Status.UNMANAGED, Status.ERROR)
    accounts = ("111111111111", "222222222222", "333333333333", "444444444444")
    regions = ("us-east-1", "eu-west-1", "ap-southeast-2")
    kinds = ("terraform", "cloudformation", "driftcheck")
    pipelines = []
    for n in range(count):
        status = statuses[n % len(statuses)]
        region = regions[n % 3]
        kind = kinds[n % 3] if status is not Status.UNMANAGED else None
        file = {"terraform": f"infra/team-{n % 40}/main.tf", "cloudformation": f"stacks/s{n % 40}.yaml", "driftcheck": "pins.yaml"}
        diffs = ()
        if status is Status.DRIFTED:
            diffs = tuple(
                Difference(path, f"value-{n}-1.{k}", f"value-{n}-1.{k + 1}", Location(file[kind], 10 + k))
                for k, path in enumerate(("imageRecipeArn", "description", "tags.Owner")[: 1 + n % 3])
            )
        pipelines.append(PipelineResult(
            id=f"pipeline-{n:04d}", name=f"team-{n % 40}-image-{n}", status=status,
            arn=f"arn:aws:imagebuilder:{region}:{accounts[n % 4]}:image-pipeline/pipeline-{n:04d}",
            region=region, account=accounts[n % 4], source=Location(file[kind], 5) if kind else None, source_kind=kind,
            differences=diffs, error="AccessDeniedException: not allowed" if status is Status.ERROR else None,
        ))
    context = RunContext(command=("driftcheck", "check", "infra"), live_source="aws", accounts=accounts, regions=regions,
                         inputs=("infra", "stacks", "pins.yaml"), exit_code=2, duration_seconds=42.0, started_at=WHEN)
    return RunResult(tuple(pipelines), (), WHEN, "0.1.0", context=context)


def fleet_report(directory: Path, count: int = 2000) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / f"fleet-{count}.html"
    target.write_text(HtmlRenderer().render(fleet_run(count)), encoding="utf-8")
    return target


def long_value_report(directory: Path) -> Path:
    """One pipeline whose live description is 200 KB, differing near its end."""
    directory.mkdir(parents=True, exist_ok=True)
    declared = "lorem ipsum dolor sit amet " * 7500
    live = declared[:-100] + "CHANGED-NEAR-THE-END" + declared[-80:]
    pipeline = PipelineResult(
        id="big", name="big", status=Status.DRIFTED, region="us-east-1", source=Location("main.tf", 3), source_kind="terraform",
        differences=(Difference("description", declared, live, Location("main.tf", 4)),),
    )
    target = directory / "long.html"
    target.write_text(HtmlRenderer().render(RunResult((pipeline,), (), WHEN, "0.1.0")), encoding="utf-8")
    return target
