"""``vmlab book``: a static site of executed notebooks, built offline, opened in Chromium.

The test builds the book from two notebooks (00 and 02, which has figures and an explorer) to
stay fast; the Sphinx step runs with the network blocked (``unshare -n``) where the machine
allows it, so a theme or template fetched at build time would fail the test.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.browser import harness
from tests.conftest import require_or_skip

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = [ROOT / "notebooks" / "00_start_here.ipynb", ROOT / "notebooks" / "02_cold_migration.ipynb"]

pytestmark = [pytest.mark.notebooks, pytest.mark.browser, pytest.mark.slow]


def _offline_prefix() -> list[str]:
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-n", "true"], capture_output=True).returncode == 0:
        return [unshare, "-n"]
    return []


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    pytest.importorskip("sphinx_book_theme", reason="the book extra is not installed (pip install -e '.[book]')")
    from vmlab.book import build_book

    out = tmp_path_factory.mktemp("book") / "site"
    prefix = _offline_prefix()
    result = build_book(NOTEBOOKS, out, workers=2, _sphinx_prefix=prefix)
    return result, bool(prefix)


def test_the_site_has_a_page_per_notebook_and_no_remote_assets(book):
    result, _offline = book
    assert result.failed == {} and result.index.is_file()
    assert [p.name for p in result.pages] == ["00_start_here.html", "02_cold_migration.html"]
    page = result.pages[1].read_text()
    assert "_static/plotly.min.js" in page and "cdn.plot.ly" not in page
    assert "_static/mathjax/MathJax.js" in page and "cdn.jsdelivr.net" not in page  # formulas offline too
    text = " ".join(re.sub(r"<[^>]+>", " ", page).split())
    assert "Run this notebook yourself" in text and "run make lab" in text
    assert "vl.publish_results" not in page  # the results cell is not for readers
    assert (result.index.parent / "_static" / "plotly.min.js").is_file()


def test_two_pages_open_in_chromium_with_interactive_figures_and_the_sidebar(book):
    result, _offline = book
    require_or_skip(harness.chromium_available(), f"Chromium ({harness.CHROMIUM})", harness.INSTALL_HINT)
    # In a thread of its own: the browser tests' session-wide Playwright may be running an event
    # loop in this worker's main thread, and the sync API refuses to start inside one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(_open_two_pages, result).result()


def _open_two_pages(result) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = harness.launch_browser(pw)
        try:
            page = browser.new_page(viewport=harness.VIEWPORT)
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(result.index.as_uri())
            nav = page.locator("nav.bd-docs-nav a")
            assert {"00 · Start here: how this workbook works", "02 · Cold migration: stop, move, start"} <= {
                " ".join(t.split()) for t in nav.all_inner_texts()
            }
            page.locator("nav.bd-docs-nav a", has_text="02 · Cold migration").click()
            page.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)
            assert page.url.endswith("02_cold_migration.html")
            assert page.locator(".js-plotly-plot").count() >= 4  # static figures and the explorer's figure
            assert page.get_by_text("Run this notebook yourself").is_visible()
            page.wait_for_selector(".MathJax", timeout=30_000)  # the local MathJax typeset a formula
            page.goto(result.pages[0].as_uri())
            assert page.locator("h1").first.inner_text().startswith("00 · Start here")
            assert page.locator("nav.bd-docs-nav a", has_text="02 · Cold migration").count() == 1
            assert errors == []
        finally:
            browser.close()
