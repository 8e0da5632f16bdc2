"""Static rendering: every explorer notebook shows a plain plotly figure before its explorer.

A notebook opened without a running kernel (JupyterLab before "Run All", a static site, a
papermill output) shows only stored outputs.  A plain ``go.Figure`` shown with ``fig.show()``
is stored as ``application/vnd.plotly.v1+json`` and draws without a kernel; a ``FigureWidget``
is stored as a widget view that stays blank.  So: execute each explorer notebook (nbclient, a
fresh kernel, on a copy) and check the stored outputs: a static figure before the tagged
explorer, and before any other FigureWidget the notebook displays.  No browser needed.
"""

from __future__ import annotations

import nbformat
import pytest

from tests.browser import harness
from tests.browser.notebooks import EXPLORERS, IDS

pytestmark = [pytest.mark.notebooks, pytest.mark.timeout(600)]

PLOTLY_MIME = "application/vnd.plotly.v1+json"
WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE_MIME = "application/vnd.jupyter.widget-state+json"


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """Execute a copied notebook once (fresh kernel, cwd = its folder); cached per module."""
    from nbclient import NotebookClient

    folder = harness.prepare_workdir(tmp_path_factory.mktemp("static"))
    cache: dict[str, nbformat.NotebookNode] = {}

    def run(name: str) -> nbformat.NotebookNode:
        if name not in cache:
            nb = nbformat.read(str(folder / name), as_version=4)
            NotebookClient(
                nb, timeout=300, kernel_name="python3", store_widget_state=True,
                resources={"metadata": {"path": str(folder)}},
            ).execute()
            cache[name] = nb
        return cache[name]

    return run


def _figure_widget_models(nb) -> set[str]:
    """Ids of the widget models that are, or contain, a plotly FigureWidget (an anywidget)."""
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE_MIME, {}).get("state", {})

    def contains_figure(model_id: str, seen: frozenset = frozenset()) -> bool:
        model = state.get(model_id)
        if model is None or model_id in seen:
            return False
        if model.get("model_module") == "anywidget" or "Figure" in model.get("model_name", ""):
            return True
        children = model.get("state", {}).get("children", []) or []
        return any(
            contains_figure(c.removeprefix("IPY_MODEL_"), seen | {model_id}) for c in children if isinstance(c, str)
        )

    return {mid for mid in state if contains_figure(mid)}


@pytest.mark.parametrize("name", EXPLORERS, ids=IDS)
def test_static_figure_before_explorer(name, executed):
    nb = executed(name)
    index = harness.explorer_index(nb)
    assert index is not None

    static = [
        out.data[PLOTLY_MIME]
        for cell in nb.cells[:index] if cell.cell_type == "code"
        for out in cell.get("outputs", []) if PLOTLY_MIME in out.get("data", {})
    ]
    assert static, f"{name}: no static plotly figure ({PLOTLY_MIME}) before the explorer cell"
    for fig in static:
        assert isinstance(fig.get("data"), list) and fig["data"], f"{name}: a static figure has no traces"
        assert "layout" in fig

    # The explorer itself is a widget (it needs the kernel), and it contains the FigureWidget.
    figure_models = _figure_widget_models(nb)
    explorer_views = [
        out.data[WIDGET_VIEW_MIME]["model_id"]
        for out in nb.cells[index].get("outputs", []) if WIDGET_VIEW_MIME in out.get("data", {})
    ]
    assert any(mid in figure_models for mid in explorer_views), f"{name}: the explorer output shows no FigureWidget"

    # Every other FigureWidget (a notebook may show more explorers, untagged) also comes after a
    # static figure: a FigureWidget as the first figure would leave a static render without one.
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            view = out.get("data", {}).get(WIDGET_VIEW_MIME)
            if view and view.get("model_id") in figure_models:
                assert any(
                    PLOTLY_MIME in o.get("data", {})
                    for c in nb.cells[:i] if c.cell_type == "code" for o in c.get("outputs", [])
                ), (
                    f"{name}: cell {i} displays a FigureWidget before any static figure; it is blank in a "
                    "static render. Show a plain go.Figure (fig.show()) first."
                )
