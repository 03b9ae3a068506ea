"""Browser tests of the HTML report: headless Debian Chromium driven by Playwright for Python.

One browser per session. Every page is opened from a ``file://`` URL in a context that routes every
request: a ``file:`` or ``data:`` URL goes on, anything else is aborted and recorded, and the test that
opened the page fails on it (:meth:`Page.assert_clean`). Dialogs are recorded and dismissed.

Skipped (as a whole folder) when /usr/bin/chromium or playwright is missing, unless
``DRIFTCHECK_BROWSER_TESTS=required`` (``.ci/run`` sets it), which makes a missing browser a failure.
Playwright's own browser download is never used: the system Chromium is launched by path.
Never ``page.wait_for_function``: the report's CSP refuses its ``eval`` (see :meth:`Page.wait_for_count`).
Screenshots go to ``reports/screenshots/`` (ignored by git), or ``$DRIFTCHECK_SCREENSHOTS``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("DRIFTCHECK_CHROMIUM", "/usr/bin/chromium"))
ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("DRIFTCHECK_SCREENSHOTS", ROOT / "reports" / "screenshots"))
REQUIRED = os.environ.get("DRIFTCHECK_BROWSER_TESTS", "").lower() == "required"


def _missing() -> str | None:
    import importlib.util

    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed (pip install -e '.[test]')"
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    return None


def pytest_collection_modifyitems(config, items):
    """Every test in this folder is a browser test: marked, and skipped (or failed) without a browser."""
    here = Path(__file__).parent
    reason = _missing()
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            if reason and not REQUIRED:
                item.add_marker(pytest.mark.skip(reason=f"browser tests: {reason}"))


@pytest.fixture(scope="session")
def browser():
    """The session's one Chromium."""
    reason = _missing()
    if reason:
        if REQUIRED:
            pytest.fail(f"DRIFTCHECK_BROWSER_TESTS=required but {reason}")
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield instance
        finally:
            instance.close()


@dataclass
class Page:
    """An opened report and everything it tried to do that it must not."""

    page: Any
    context: Any
    blocked: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def assert_clean(self) -> None:
        """No request left the file, no dialog opened, no script error happened."""
        assert self.blocked == [], self.blocked
        assert self.dialogs == [], self.dialogs
        assert self.errors == [], self.errors

    def screenshot(self, name: str, full_page: bool = True) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        target = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(target), full_page=full_page)
        return target

    def scroll_width(self) -> int:
        return self.page.evaluate("document.scrollingElement.scrollWidth")

    def wait_for_count(self, selector: str, count: int) -> None:
        """Wait until ``selector`` matches ``count`` elements.

        Not ``page.wait_for_function``: it re-checks its predicate with ``eval``, which the report's
        CSP (no 'unsafe-eval') refuses once the first check is false, so it failed only when slow.
        Playwright's own assertion polls in its utility world, where the CSP does not apply.
        """
        from playwright.sync_api import expect

        expect(self.page.locator(selector)).to_have_count(count)


@pytest.fixture
def open_report(browser):
    """open_report(path, width=1280, dark=False, javascript=True, fragment="") -> Page."""
    contexts: list[Any] = []

    def opener(path: Path, *, width: int = 1280, dark: bool = False, javascript: bool = True, fragment: str = "") -> Page:
        context = browser.new_context(
            viewport={"width": width, "height": 900},
            color_scheme="dark" if dark else "light",
            java_script_enabled=javascript,
        )
        contexts.append(context)
        opened = Page(page=None, context=context)

        def route(route_):
            url = route_.request.url
            if url.startswith(("file:", "data:")):
                route_.continue_()
            else:
                opened.blocked.append(url)
                route_.abort()

        context.route("**/*", route)
        page = context.new_page()
        page.on("dialog", lambda dialog: (opened.dialogs.append(dialog.message), dialog.dismiss()))
        page.on("pageerror", lambda error: opened.errors.append(str(error)))
        page.on("console", lambda message: opened.errors.append(message.text) if message.type == "error" else None)
        page.goto(Path(path).resolve().as_uri() + fragment)
        opened.page = page
        return opened

    yield opener
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    """The demo checked by the real CLI (offline), with source links and console links: built once."""
    from tests.browser.builders import SOURCE_URL, cli_report

    return cli_report(tmp_path_factory.mktemp("demo"), "--source-url", SOURCE_URL, "--console-links")
