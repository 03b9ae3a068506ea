"""The HTML report in headless Chromium: hostile values stay text, accessibility (axe-core), 2,000 pipelines."""

from __future__ import annotations

import time

import pytest

from driftcheck.model import Status
from tests.browser.builders import HOSTILE, VISIBLE, fleet_report, fleet_run, hostile_cli_report, hostile_report

# axe-core (the copy axe-playwright-python ships) with these tags: WCAG 2.0, 2.1 and 2.2 A and AA, plus best practices.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
INJECTED = "img, iframe, svg, object, embed, base, link, meta[http-equiv=refresh], style:not(head > style)"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    return hostile_report(tmp_path_factory.mktemp("hostile"))


@pytest.fixture(scope="module")
def hostile_cli(tmp_path_factory):
    return hostile_cli_report(tmp_path_factory.mktemp("hostile-cli"))


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    return fleet_report(tmp_path_factory.mktemp("fleet"))


def assert_inert(page) -> None:
    """Only the report's own script and markup: no element or attribute came from a value."""
    assert page.locator("script").count() == 1
    assert page.locator(INJECTED).count() == 0
    handlers = page.evaluate("""() => Array.from(document.querySelectorAll('*')).flatMap(
        e => Array.from(e.attributes).filter(a => a.name.startsWith('on')).map(a => e.tagName + ' ' + a.name))""")
    assert handlers == []
    hrefs = page.eval_on_selector_all("a[href]", "as => as.map(a => a.getAttribute('href'))")
    assert all(h.startswith(("#", "https://git.example.com/", "https://us-east-1.console.aws.amazon.com/")) for h in hrefs), hrefs
    assert page.locator("form").count() == 1  # the filters


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "nojs"])
def test_hostile_values_in_every_field_stay_text(open_report, hostile, javascript):
    opened = open_report(hostile, javascript=javascript)
    page = opened.page
    assert_inert(page)
    body = page.inner_text("body")
    for shown in VISIBLE:
        assert shown in body, shown
    assert "\u202e" not in body and "\x1b" not in body
    assert page.title().startswith("driftcheck: 18 pipelines")
    opened.assert_clean()


def test_hostile_values_survive_filtering_sorting_and_search(open_report, hostile):
    opened = open_report(hostile)
    page = opened.page
    accounts = page.eval_on_selector_all("select[name=account] option", "os => os.map(o => o.value)")
    assert len(accounts) == len(set(HOSTILE)) + 1
    page.select_option("select[name=account]", accounts[3])
    assert page.locator("table.index tbody tr:not([hidden])").count() == 1
    page.fill("input[name=q]", "<script>")
    page.click("th[data-key=name] button")
    fragment = page.evaluate("location.hash")
    again = open_report(hostile, fragment=fragment)
    assert again.page.locator("table.index tbody tr:not([hidden])").count() == page.locator("table.index tbody tr:not([hidden])").count()
    assert again.page.locator("input[name=q]").input_value() == "<script>"
    assert_inert(again.page)
    opened.assert_clean()
    again.assert_clean()


def test_hostile_file_names_and_values_through_the_cli(open_report, hostile_cli):
    opened = open_report(hostile_cli)
    page = opened.page
    assert_inert(page)
    body = page.inner_text("body")
    assert "<img src=x onerror=alert(9)>'\"#?%&{file}.yaml" in body
    assert "</script><!--<script>alert('live')//" in body
    assert 'tags["a.b<svg onload=alert(1)>"]' in body  # a key with a dot is quoted
    assert "\\u202e\\ud800" in body
    link = page.locator("td[data-label=Source] a").first.get_attribute("href")
    assert link.startswith("https://git.example.com/") and "<" not in link and "'" not in link and "#L" in link
    assert "%3Cimg%20src%3Dx%20onerror%3Dalert%289%29%3E%27%22%23%3F%25%26%7Bfile%7D.yaml" in link
    opened.assert_clean()


@pytest.mark.parametrize("width,dark", [(1280, False), (1280, True), (390, True)], ids=["desktop", "desktop-dark", "phone-dark"])
def test_no_accessibility_violations(open_report, demo, width, dark):
    from axe_playwright_python.sync_playwright import Axe

    opened = open_report(demo, width=width, dark=dark)
    results = Axe().run(opened.page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    assert results.violations_count == 0, results.generate_report()
    opened.assert_clean()


def test_no_accessibility_violations_in_the_hostile_report(open_report, hostile):
    from axe_playwright_python.sync_playwright import Axe

    opened = open_report(hostile, width=390)
    assert opened.scroll_width() <= 390
    results = Axe().run(opened.page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    assert results.violations_count == 0, results.generate_report()


def test_the_changes_since_a_previous_report_fit_a_phone_and_pass_axe(open_report, tmp_path):
    """check --previous: the section of changes stays inside 390 px, folds, and has no accessibility violation."""
    from axe_playwright_python.sync_playwright import Axe

    from tests.browser.builders import cli_report

    previous = tmp_path / "previous.json"
    cli_report(tmp_path / "one", "--report", f"json={previous}")
    report = cli_report(tmp_path / "two", "--previous", str(previous))
    opened = open_report(report, width=390, dark=True)
    page = opened.page
    assert page.locator("#changes summary").count() == 4
    assert page.locator("#changes details[open] summary").inner_text().startswith("new (0)")
    page.locator("#changes summary", has_text="persisting").click()
    assert page.locator("#changes table.changes tbody tr").first.is_visible()
    assert opened.scroll_width() <= 390
    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    assert results.violations_count == 0, results.generate_report()
    opened.assert_clean()


def test_two_thousand_pipelines_open_and_filter(open_report, fleet):
    run = fleet_run()
    started = time.perf_counter()
    opened = open_report(fleet)
    page = opened.page
    page.wait_for_selector("form.filters:not([hidden])")
    loaded = time.perf_counter() - started
    assert page.locator("table.index tbody tr").count() == 2000
    assert page.locator("article.pipeline").count() == 2000
    # the index lists 200 rows at a time; every section stays
    listed = "table.index tbody tr:not([hidden])"
    assert page.locator(listed).count() == 200
    assert page.locator("p.shown").inner_text() == "Showing all 2000 pipelines. The index lists the first 200."

    started = time.perf_counter()
    page.select_option("select[name=region]", "eu-west-1")
    page.check("input[name=status][value=drifted]")
    filtered = time.perf_counter() - started
    expected = sum(1 for p in run.pipelines if p.region == "eu-west-1" and p.status is Status.DRIFTED)
    assert page.locator("table.index tbody tr:not([hidden])").count() == expected
    assert page.eval_on_selector_all("article.pipeline", "a => a.filter(x => !x.hidden).length") == expected

    started = time.perf_counter()
    page.fill("input[name=q]", "pipeline-1999")
    searched = time.perf_counter() - started
    page.click("form.filters button[type=reset]")
    page.fill("input[name=q]", "pipeline-1999")
    assert page.eval_on_selector_all("table.index tbody tr:not([hidden]) td:nth-child(2)", "cs => cs.map(c => c.textContent.trim())") == ["pipeline-1999"]

    page.fill("input[name=q]", "")
    started = time.perf_counter()
    page.click("th[data-key=diffs] button")
    page.click("th[data-key=diffs] button")
    sorted_in = time.perf_counter() - started
    top = page.locator("table.index tbody tr").first.locator("td").nth(6).inner_text()
    assert top == "3"
    page.click("p.more-rows button.more")
    assert page.locator(listed).count() == 400
    page.click("p.more-rows button.all")
    assert page.locator(listed).count() == 2000 and page.locator("p.more-rows").is_hidden()
    size = fleet.stat().st_size
    print(f"\n2,000 pipelines: {size / 1e6:.1f} MB; open {loaded:.2f} s, filter {filtered:.3f} s, "
          f"search {searched:.3f} s, sort twice {sorted_in:.3f} s")
    opened.assert_clean()
