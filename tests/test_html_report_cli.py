"""The HTML report through the CLI and the renderer: overview, links, run context, CSP, determinism, size."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import html
import re

from driftcheck.model import Difference, Location, PipelineResult, RunResult, Status
from driftcheck.reports.base import RenderOptions
from driftcheck.reports.html import HtmlRenderer
from tests.browser.builders import DEMO_ARGS, WHEN, fleet_run, hostile_cli_report

SOURCE_URL = "https://github.com/org/repo/blob/main/{file}#L{line}"


def demo_page(cli, tmp_path, *extra: str) -> str:
    target = tmp_path / "r.html"
    run = cli(*DEMO_ARGS, "--report", f"html={target}", *extra)
    assert run.exit_code == 1, (run.stdout, run.stderr)
    return target.read_text(encoding="utf-8")


def test_overview_title_counts_and_index(cli, tmp_path):
    page = demo_page(cli, tmp_path)
    assert "<title>driftcheck: 7 pipelines, 3 drifted, 1 unmanaged, 3 in sync</title>" in page
    assert page.count("<tr data-idx=") == 7
    assert '<a href="#status=drifted" data-filter="drifted"><span class="n">3</span>' in page
    assert re.search(r'data-status="drifted" data-account="111122223333" data-region="us-east-1" data-kind="terraform"', page)
    assert 'data-kind="cloudformation"' in page and 'data-kind="driftcheck"' in page
    for heading in ("Run context", "Legend", "Pipelines (7)", "Input errors (0)"):
        assert heading in page
    # no link goes anywhere without the flags
    assert "https://" not in page and "http://" not in page


def test_source_and_console_links_when_asked(cli, tmp_path):
    page = demo_page(cli, tmp_path, "--source-url", SOURCE_URL, "--console-links")
    # the CLI was given absolute paths under the working directory: the links are relative to it
    assert 'href="https://github.com/org/repo/blob/main/fixtures/terraform/main.tf#L51"' in page
    assert re.search(
        r'href="https://us-east-1\.console\.aws\.amazon\.com/imagebuilder/home\?region=us-east-1#/pipelines/'
        r'arn:aws:imagebuilder:us-east-1:111122223333:image-pipeline/legacy-golden-ami"', page)
    assert 'rel="noopener noreferrer"' in page


def test_a_template_the_report_will_not_link_is_said_in_the_report(cli, tmp_path):
    page = demo_page(cli, tmp_path, "--source-url", 'https://git.example.com/{file}"onmouseover="alert(1)')
    assert 'href="https://git.example.com' not in page
    assert "--source-url template not used for links: it holds spaces, quotes, angle brackets or control characters" in page


def test_run_context_block(cli, tmp_path):
    page = demo_page(cli, tmp_path)
    context = page[page.index('<h2 id="context-h">'):page.index('<h2 id="legend-h">')]
    assert "offline directory" in context and "fixtures/live" in context
    assert "<dt>Exit code</dt><dd class=\"mono\">1</dd>" in context
    assert re.search(r"<dt>Duration</dt><dd class=\"mono\">\d+\.\d s</dd>", context)
    assert "driftcheck check " in context and "--unmanaged" in context
    assert "us-east-1" in context and "111122223333" in context


def test_without_context_the_report_says_so():
    result = RunResult((PipelineResult("p", None, Status.IN_SYNC),), (), WHEN, "0.1.0")
    page = HtmlRenderer().render(result)
    assert "not recorded (rendered outside the command line)" in page


def test_a_saved_json_report_renders_the_same_overview(cli, tmp_path):
    saved = tmp_path / "saved.json"
    run = cli(*DEMO_ARGS, "--report", f"json={saved}", json_report=False)
    assert run.exit_code == 1
    target = tmp_path / "again.html"
    again = cli("report", str(saved), "--format", "html", "--output", str(target))
    assert again.exit_code == 0, (again.stdout, again.stderr)
    page = target.read_text(encoding="utf-8")
    assert "<title>driftcheck: 7 pipelines, 3 drifted, 1 unmanaged, 3 in sync</title>" in page
    assert page.count('data-kind="terraform"') == 4


def test_csp_allows_only_the_inline_style_and_script_by_hash():
    page = HtmlRenderer().render(fleet_run(20))
    csp = html.unescape(re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page).group(1))
    assert csp.startswith("default-src 'none'; ")
    script = re.search(r"<script>(.*)</script>", page, re.S).group(1)
    style = re.search(r"<style>(.*)</style>", page, re.S).group(1)
    for name, body in (("script-src", script), ("style-src", style)):
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"{name} 'sha256-{digest}'" in csp
    assert "unsafe-inline" not in csp and "nonce" not in csp
    assert "base-uri 'none'" in csp and "form-action 'none'" in csp


def test_the_same_run_gives_the_same_bytes():
    run = fleet_run(50)
    assert HtmlRenderer().render(run) == HtmlRenderer().render(run)


def test_size_grows_linearly():
    small, large = (len(HtmlRenderer().render(fleet_run(n))) for n in (250, 1000))
    assert 3.6 < large / small < 4.4, (small, large)
    print(f"\n250 pipelines: {small / 1e3:.0f} kB; 1,000: {large / 1e3:.0f} kB")


def test_paths_are_quoted_in_html_only(cli, tmp_path):
    page = hostile_cli_report(tmp_path / "h").read_text(encoding="utf-8")
    assert "tags[&#34;a.b&lt;svg onload=alert(1)&gt;&#34;]" in page
    # the model and the JSON keep the path as it is
    run = cli("check", *(str(p) for p in (tmp_path / "h").glob("*.yaml")), "--live", str(tmp_path / "h" / "live"))
    paths = [d["path"] for d in run.report["pipelines"][0]["differences"]]
    assert "tags.a.b<svg onload=alert(1)>" in paths


def test_accepted_and_ignored_differences_are_shown_apart():
    base = Difference("description", "a", "b", Location("m.tf", 2))
    pipeline = PipelineResult(
        "p", None, Status.IN_SYNC, source=Location("m.tf", 1),
        ignored=(dataclasses.replace(base, ignored_by="accepted in baseline base.json"),
                 dataclasses.replace(base, path="tags.Owner", ignored_by="lifecycle.ignore_changes at m.tf:9")),
    )
    page = HtmlRenderer().render(RunResult((pipeline,), (), WHEN, "0.1.0"))
    accepted = page.index("Accepted in a baseline, not drift (1)")
    ignored = page.index("Ignored, not drift (1)")
    assert accepted < page.index("accepted in baseline base.json") < ignored < page.index("lifecycle.ignore_changes at m.tf:9")


def test_source_url_options_reach_the_renderer_directly(tmp_path):
    pipeline = PipelineResult("p", None, Status.DRIFTED, source=Location("infra/a b.tf", 3),
                              differences=(Difference("status", "ENABLED", "DISABLED", Location("infra/a b.tf", 4)),))
    page = HtmlRenderer().render(RunResult((pipeline,), (), WHEN, "0.1.0"), options=RenderOptions(source_url=SOURCE_URL))
    assert 'href="https://github.com/org/repo/blob/main/infra/a%20b.tf#L4"' in page
    assert 'href="https://github.com/org/repo/blob/main/infra/a%20b.tf#L3"' in page
    outside = dataclasses.replace(pipeline, differences=(dataclasses.replace(pipeline.differences[0], source=Location("/elsewhere/x.tf", 1)),))
    page = HtmlRenderer().render(RunResult((outside,), (), WHEN, "0.1.0"), options=RenderOptions(source_url=SOURCE_URL))
    hrefs = re.findall(r'href="(https://[^"]*)"', page)
    assert hrefs == ["https://github.com/org/repo/blob/main/infra/a%20b.tf#L3"] * 2  # index and section; none for /elsewhere
