"""Markdown report: summary table, collapsed blocks, escaping of every value, the 65,536-character cap."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from driftcheck.model import Difference, Location, PipelineResult, RunResult, Status
from driftcheck.reports import ReportFormat
from driftcheck.reports.markdown import MAX_CHARS, MarkdownRenderer, build_markdown, md_text
from tests.conftest import DEMO_CFN, DEMO_LIVE, DEMO_PINNED, DEMO_TF
from tests.test_report_formats_common import HOSTILE, WHEN, ci_sample, many_pipelines

GITHUB_COMMENT_LIMIT = 65_536


class Tags(HTMLParser):
    """Collects the HTML tags a Markdown document holds (raw HTML is what GitHub passes through)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_endtag(self, tag):
        self.tags.append("/" + tag)

    def handle_data(self, data):
        self.text.append(data)


def tags_of(text: str) -> Tags:
    parser = Tags()
    parser.feed(text)
    return parser


def table_rows(text: str) -> list[list[str]]:
    """Each Markdown table row split on unescaped pipes, as GitHub splits cells."""
    rows = []
    for line in text.splitlines():
        if line.startswith("|"):
            rows.append(re.split(r"(?<!\\)\|", line.strip())[1:-1])
    return rows


def test_summary_table_and_blocks() -> None:
    text = MarkdownRenderer().render(ci_sample())
    assert text.startswith("## driftcheck: 4 of 7 pipelines need attention\n")
    assert "| error | 1 |\n| missing | 1 |\n| drifted | 1 |\n| unmanaged | 1 |\n| in sync | 3 |\n| input errors | 1 |\n| **total** | 7 |" in text
    summaries = re.findall(r"<details><summary>(.*?)</summary>", text)
    assert [s.split("</b>")[0] for s in summaries[:4]] == ["<b>ERROR", "<b>MISSING", "<b>DRIFTED", "<b>UNMANAGED"]
    assert summaries[4] == "In sync (3)"
    nightly = text.split("<b>DRIFTED</b>")[1].split("</details>")[0]
    assert "<code>infra/main.tf:12</code>" in nightly and "4 differences" in nightly
    differences, ignored = nightly.split("Ignored (never drift):")
    assert "<code>schedule.scheduleExpression</code>" in differences and "<code>infra/main.tf:15</code>" in differences
    assert "tags.Owner" not in differences and "<code>tags.Owner</code>" in ignored
    assert "lifecycle.ignore&#95;changes at infra/main.tf:40" in ignored
    assert "Could not be checked: <code>AccessDeniedException: not allowed</code>" in text
    assert "<code>infra/vars.tfvars:4</code>: unexpected token" in text
    assert "<code>f-quiet</code> &#91;us-east-1&#93; (1 ignored)" in text
    assert text.count("<details>") == text.count("</details>") == 5
    assert "Left out" not in text


def test_every_value_is_escaped() -> None:
    text = MarkdownRenderer().render(ci_sample(hostile=HOSTILE))
    tags = tags_of(text)
    assert set(tags.tags) <= {"details", "/details", "summary", "/summary", "b", "/b", "code", "/code"}
    assert "script" not in tags.tags
    # the value is in one cell: its pipes and backticks split nothing, newlines end no row
    rows = table_rows(text)
    header_width = {len(r) for r in rows if r and r[0].strip() == "Path"}
    for row in rows:
        if len(row) > 2:  # difference tables (the summary table has 2 columns)
            assert len(row) in header_width, row
    assert "`" not in text and "\r" not in text and "\x1b" not in text and "\u202e" not in text
    description = next(r for r in rows if r[0].strip() == "<code>description</code>" and "script" in r[1])
    # and shows as the original text once rendered (character references decoded)
    shown = "".join(tags_of(description[1]).text)
    assert "a|b <script>alert(1)</script> `tick`" in shown and "::error::forged" in shown
    assert md_text("@team #1 [x](y) *b* _i_ ~s~ \\") == "&#64;team &#35;1 &#91;x&#93;&#40;y&#41; &#42;b&#42; &#95;i&#95; &#126;s&#126; &#92;"


def test_hostile_ids_and_names_in_summaries() -> None:
    evil = PipelineResult(HOSTILE, HOSTILE, Status.MISSING, region=HOSTILE, source=Location(HOSTILE, 1), notes=(HOSTILE,),
                          differences=(Difference(HOSTILE, HOSTILE, HOSTILE, Location(HOSTILE, 2)),))
    text = build_markdown(RunResult((evil,), (), WHEN, "0.1.0"))
    assert set(tags_of(text).tags) <= {"details", "/details", "summary", "/summary", "b", "/b", "code", "/code"}
    for line in text.splitlines():
        assert not line.lstrip().startswith(("::", "#", ">", "<script")) or line.startswith("##")


def test_two_thousand_pipelines_stay_under_the_limit_keeping_the_most_severe() -> None:
    result = many_pipelines(2000)
    text = MarkdownRenderer().render(result)
    assert len(text) < GITHUB_COMMENT_LIMIT and len(text) <= MAX_CHARS
    counts = result.summary()
    assert f"| drifted | {counts['drifted']} |" in text and f"| **total** | 2000 |" in text
    problems = [p for p in result.pipelines if p.status is not Status.IN_SYNC]
    shown = re.findall(r"<details><summary><b>[A-Z ]+</b> <code>(.*?)</code>", text)
    assert 0 < len(shown) < len(problems)
    left = re.search(r"\*\*Left out to stay under 65,000 characters:\*\* (\d+) of (\d+) pipelines needing attention", text)
    assert left is not None
    assert (int(left.group(1)), int(left.group(2))) == (len(problems) - len(shown), len(problems))
    # the summary comes first and the notice right after it
    assert text.index("| **total** |") < text.index("Left out") < text.index("<details>")
    # every shown pipeline is high severity (error, missing, or a drifted executionRole) ...
    by_id = {p.id: p for p in result.pipelines}
    for escaped in shown:
        pipeline = by_id["".join(tags_of(escaped).text)]
        assert pipeline.status in (Status.ERROR, Status.MISSING) or any(d.path == "executionRole" for d in pipeline.differences)
    # ... and the report is well-formed: every block it starts, it ends
    assert text.count("<details>") == text.count("</details>")


def test_a_huge_pipeline_is_cut_not_dropped() -> None:
    diffs = tuple(Difference(f"tags.k{i:05d}", "v" * 5000, None, Location("m.tf", i + 1)) for i in range(500))
    result = RunResult((PipelineResult("big", None, Status.DRIFTED, source=Location("m.tf", 1), differences=diffs),), (), WHEN, "0.1.0")
    text = build_markdown(result)
    assert len(text) <= MAX_CHARS
    assert "<code>big</code>" in text and "... and 400 more (see the JSON report)." in text
    assert "v" * 300 not in text


def test_demo_through_the_cli(cli, tmp_path) -> None:
    target = tmp_path / "summary.md"
    run = cli("check", str(DEMO_TF), str(DEMO_CFN.parent), str(DEMO_PINNED.parent), "--region", "us-east-1",
              "--live", str(DEMO_LIVE), "--unmanaged", "--report", f"markdown={target}")
    assert run.exit_code == 1, run.stderr
    text = target.read_text(encoding="utf-8")
    summary = run.report["summary"]
    assert f"| drifted | {summary['drifted']} |" in text and f"| **total** | {summary['total']} |" in text
    problems = [p for p in run.report["pipelines"] if p["status"] != "in_sync"]
    assert text.count("<details><summary><b>") == len(problems) > 0
    for pipeline in problems:
        for diff in pipeline["differences"]:
            assert f"<code>{md_text(diff['path'])}</code>" in text


def test_registered() -> None:
    assert ReportFormat("markdown").renderer() is MarkdownRenderer
