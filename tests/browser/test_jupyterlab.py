"""Each explorer notebook in a real JupyterLab, in Chromium.

Open the notebook, Run > Run All Cells, wait for the status bar to say the kernel is Idle, find
the first slider in the output of the cell tagged ``explorer``, move it with the keyboard and
check that the plotly figure in the same output redraws.  No traceback in any output and no
console error (apart from the documented harmless ones in ``harness.KNOWN_HARMLESS_CONSOLE``).
"""

from __future__ import annotations

import re

import pytest

from tests.browser import harness
from tests.browser.notebooks import EXPLORERS, IDS

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]


def test_lab_serves_widget_extensions(lab_server):
    """The isolated server still publishes the front-end extensions a FigureWidget needs.

    They live in the environment's ``share/jupyter/labextensions``; the temporary
    ``JUPYTER_DATA_DIR`` must not hide them (it only replaces the per-user folder).
    """
    import json
    import urllib.request

    with urllib.request.urlopen(lab_server.url("lab"), timeout=30) as resp:
        html = resp.read().decode()
    match = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', html, re.S)
    assert match, "no page config in the JupyterLab page"
    config = json.loads(match.group(1))
    names = {ext["name"] for ext in config.get("federated_extensions", [])}
    for needed in ["@jupyter-widgets/jupyterlab-manager", "anywidget", "jupyterlab-plotly"]:
        assert needed in names, f"{needed} missing from the lab extensions {sorted(names)}"


@pytest.mark.parametrize("name", EXPLORERS, ids=IDS)
def test_explorer_in_jupyterlab(name, page, lab_server, workdir, artifacts):
    path = workdir / "notebooks" / name
    index = harness.explorer_cell_index(path)
    assert index is not None, f"{name}: no code cell tagged 'explorer'"
    try:
        harness.lab_open(page, lab_server, f"notebooks/{name}")
        harness.lab_run_all(page)

        state = harness.lab_state(page)
        errors = harness.tracebacks(page)
        assert not errors, f"{name}: a cell raised in JupyterLab:\n" + "\n---\n".join(errors)
        assert state["prompts"] and all(re.fullmatch(r"\[\d+\]:", p) for p in state["prompts"]), (
            f"{name}: not every code cell ran: prompts {state['prompts']}"
        )
        cells = harness.lab_cells(page)
        assert cells.count() == harness.cell_count(path), "JupyterLab did not put every cell in the page"

        # A static figure, drawn by jupyterlab-plotly's renderer for plain go.Figure outputs
        # (not a widget), comes before the explorer.
        static_plots = sum(
            cells.nth(i).locator(".jp-OutputArea .jp-RenderedPlotly svg.main-svg").count() for i in range(index)
        )
        assert static_plots >= 1, f"{name}: no static plotly figure drawn before the explorer cell"

        output = cells.nth(index).locator(".jp-OutputArea")
        handle = harness.slider_handle(output)
        handle.wait_for(state="attached", timeout=30_000)
        plot = output.locator(".js-plotly-plot").first
        plot.locator("svg.main-svg").first.wait_for(state="attached", timeout=30_000)
        handle.scroll_into_view_if_needed()
        plot.locator("svg.main-svg").first.wait_for(state="visible", timeout=30_000)

        before = harness.figure_signature(plot)
        value = handle.get_attribute("aria-valuenow")
        handle.focus()
        page.keyboard.press(harness.arrow_for(handle))
        page.wait_for_function(
            "([h, v]) => h.getAttribute('aria-valuenow') !== v", arg=[handle.element_handle(), value], timeout=10_000
        )
        after = harness.wait_figure_changed(page, plot, before)
        assert after != before
        page.screenshot(path=str(artifacts / f"lab-{path.stem}.png"))
        assert not page.console_log.errors, f"{name}: console errors in JupyterLab:\n" + "\n".join(page.console_log.errors)
    finally:
        harness.lab_shutdown_kernels(lab_server)
