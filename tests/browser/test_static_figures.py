"""Static rendering: every explorer notebook shows a plain plotly figure before its explorer.

The check itself (:func:`tests.nbtools.assert_static_figures_first`) runs on the executed copy
of every papermill run (``tests.nbtools.run_notebook``), so it costs no extra execution. Here:
the checker can fail (synthetic notebooks), and every explorer notebook has a papermill test
that runs it.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from tests.nbtools import (
    PLOTLY_MIME,
    WIDGET_STATE_MIME,
    WIDGET_VIEW_MIME,
    assert_static_figures_first,
    explorer_index,
    notebook_paths,
)

TESTS = Path(__file__).resolve().parents[1]


def _notebook(first_output: str) -> nbformat.NotebookNode:
    """A tiny executed-looking notebook: one output cell, then the tagged explorer."""
    static = {"output_type": "display_data", "metadata": {},
              "data": {PLOTLY_MIME: {"data": [{"type": "scatter", "y": [1, 2]}], "layout": {}}}}
    widget = {"output_type": "display_data", "metadata": {}, "data": {WIDGET_VIEW_MIME: {"model_id": "box"}}}
    nb = nbformat.v4.new_notebook()
    first = nbformat.v4.new_code_cell("fig.show()")
    first.outputs = [static if first_output == "static" else {**widget, "data": {WIDGET_VIEW_MIME: {"model_id": "fig2"}}}]
    explorer = nbformat.v4.new_code_cell("app", metadata={"tags": ["explorer"]})
    explorer.outputs = [widget]
    nb.cells = [first, explorer]
    nb.metadata["widgets"] = {WIDGET_STATE_MIME: {"state": {
        "box": {"model_name": "VBoxModel", "state": {"children": ["IPY_MODEL_fig"]}},
        "fig": {"model_module": "anywidget", "model_name": "AnyModel", "state": {}},
        "fig2": {"model_module": "anywidget", "model_name": "AnyModel", "state": {}},
    }}}
    return nb


def test_checker_accepts_a_static_figure_first():
    assert_static_figures_first(_notebook("static"), "good")


def test_checker_rejects_a_figure_widget_first():
    with pytest.raises(AssertionError, match="static plotly figure"):
        assert_static_figures_first(_notebook("widget"), "bad")


def test_every_explorer_notebook_has_a_papermill_run():
    sources = "\n".join(p.read_text() for p in TESTS.rglob("test_*.py"))
    calls = set(re.findall(r"""run_notebook\(\s*["']([^"']+\.ipynb)["']""", sources))
    calls |= set(re.findall(r"""["'](\d\d_[a-z0-9_]+\.ipynb)["']""", sources))
    explorers = [p.name for p in notebook_paths() if explorer_index(nbformat.read(str(p), as_version=4)) is not None]
    assert explorers, "no explorer notebooks found"
    missing = [name for name in explorers if name not in calls]
    assert not missing, f"explorer notebooks without a papermill test (their static check runs there): {missing}"
