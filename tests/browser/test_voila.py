"""Each explorer notebook as a Voila app (the site ``make app`` serves), in Chromium.

The landing page links every app; each app page shows the explorer's slider and figure, and
moving the slider with the keyboard redraws the figure; the static figures are drawn.  No
traceback, no console error and no uncaught exception apart from the documented harmless ones
(``harness.KNOWN_HARMLESS_CONSOLE``), checked after the slider moved.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import harness
from tests.browser.notebooks import EXPLORERS, IDS
from vmlab import app

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]


def test_landing_page_links_every_app(page, voila_server, app_site, artifacts):
    _site, apps = app_site
    assert sorted(name for name, _title in apps) == sorted(EXPLORERS)
    page.goto(voila_server.url(f"voila/render/{app.INDEX_NAME}"), timeout=120_000)
    page.get_by_role("heading", name="vmlab apps").wait_for(timeout=60_000)
    for name, title in apps:
        link = page.get_by_role("link", name=title)
        assert link.count() == 1, f"landing page has no single link titled {title!r}"
        assert link.get_attribute("href").endswith(name)
    page.screenshot(path=str(artifacts / "voila-index.png"), full_page=True)
    assert not page.console_log.errors, "console errors on the landing page:\n" + "\n".join(page.console_log.errors)


def _has_exercises(name: str) -> bool:
    import nbformat

    from tests.nbtools import NOTEBOOKS

    nb = nbformat.read(str(NOTEBOOKS / name), as_version=4)
    return any("exercise" in c.metadata.get("tags", []) for c in nb.cells)


@pytest.mark.parametrize("name", EXPLORERS, ids=IDS)
def test_explorer_in_voila(name, page, voila_server, artifacts):
    cell = harness.voila_open(page, voila_server, name)
    errors = harness.tracebacks(page)
    assert not errors, f"{name}: a cell raised in Voila:\n" + "\n---\n".join(errors)
    # The static figures (jupyterlab-plotly's renderer, no kernel needed) are drawn too.
    static = page.locator(".jp-RenderedPlotly svg.main-svg")
    static.first.wait_for(state="attached", timeout=60_000)
    # An app page cannot be edited: an unanswered exercise says where to answer it, never "replace ..."
    if _has_exercises(name):
        text = page.locator("body").inner_text()
        assert "make lab" in text and "replace ... with your answer, then run this cell" not in text, (
            f"{name}: the app asks for an answer nobody can type here"
        )

    handle = harness.slider_handle(cell)
    plot = cell.locator(".js-plotly-plot").first
    handle.scroll_into_view_if_needed()
    before, after = harness.press_and_wait_redraw(page, handle, plot)
    assert after != before
    page.screenshot(path=str(artifacts / f"voila-{Path(name).stem}.png"), full_page=True)
    assert not page.console_log.errors, f"{name}: console errors in Voila:\n" + "\n".join(page.console_log.errors)
