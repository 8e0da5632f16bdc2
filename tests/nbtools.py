"""Helpers for the notebook tests: run a notebook with papermill and read its results."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import nbformat

from vmlab.results import read_results

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


def notebook_paths() -> list[Path]:
    """Every workbook notebook (numbered ``NN_name.ipynb``), in order."""
    return sorted(p for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def parameters_of(path: Path) -> dict[str, Any]:
    """The notebook's parameters cell, as papermill sees it (name -> default info)."""
    import papermill as pm

    return pm.inspect_notebook(str(path))


def run_notebook(name: str, tmp_path: Path, parameters: dict[str, Any] | None = None, timeout: int = 300) -> dict[str, Any]:
    """Execute ``notebooks/<name>`` with papermill in a fresh kernel; return its published results.

    The notebook runs from a copy of the notebooks folder (so relative paths behave as in the
    workbook) and its executed copy is written under ``tmp_path``.
    """
    import papermill as pm

    source = NOTEBOOKS / name
    out = tmp_path / f"executed_{source.name}"
    env_keep = dict(os.environ)
    try:
        pm.execute_notebook(
            str(source),
            str(out),
            parameters=parameters or {},
            cwd=str(NOTEBOOKS),
            kernel_name="python3",
            progress_bar=False,
            execution_timeout=timeout,
        )
    finally:
        os.environ.clear()
        os.environ.update(env_keep)
    executed = nbformat.read(str(out), as_version=4)
    assert_static_figures_first(executed, name)
    assert_no_answer_revealed_early(executed, name)
    assert_no_warning_shown(executed, name)
    return read_results(executed)


PLOTLY_MIME = "application/vnd.plotly.v1+json"
WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE_MIME = "application/vnd.jupyter.widget-state+json"


def explorer_index(nb) -> int | None:
    """Index of the code cell tagged ``explorer``, or None."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and "explorer" in cell.get("metadata", {}).get("tags", []):
            return i
    return None


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


def assert_static_figures_first(nb, name: str) -> None:
    """Static rendering: an executed explorer notebook shows a plain plotly figure first.

    A notebook opened without a running kernel (JupyterLab before "Run All", a static site, a
    papermill output) shows only stored outputs. A plain ``go.Figure`` shown with ``fig.show()``
    is stored as ``application/vnd.plotly.v1+json`` and draws without a kernel; a
    ``FigureWidget`` is stored as a widget view that stays blank. So: a static figure before
    the tagged explorer and before any other FigureWidget, and the explorer shows a
    FigureWidget. Every papermill run of a notebook checks this on its executed copy (it needs
    the widget state nbclient stores), so no extra execution is spent on it.
    """
    index = explorer_index(nb)
    if index is None:
        return
    static = [
        out["data"][PLOTLY_MIME]
        for cell in nb.cells[:index] if cell.cell_type == "code"
        for out in cell.get("outputs", []) if PLOTLY_MIME in out.get("data", {})
    ]
    assert static, f"{name}: no static plotly figure ({PLOTLY_MIME}) before the explorer cell"
    for fig in static:
        assert isinstance(fig.get("data"), list) and fig["data"], f"{name}: a static figure has no traces"
        assert "layout" in fig, f"{name}: a static figure has no layout"
    figure_models = _figure_widget_models(nb)
    explorer_views = [
        out["data"][WIDGET_VIEW_MIME]["model_id"]
        for out in nb.cells[index].get("outputs", []) if WIDGET_VIEW_MIME in out.get("data", {})
    ]
    assert any(mid in figure_models for mid in explorer_views), f"{name}: the explorer output shows no FigureWidget"
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


def stripped(path: Path) -> bool:
    """True when the notebook stores no outputs, execution counts or widget state."""
    nb = nbformat.read(str(path), as_version=4)
    if "widgets" in nb.metadata:
        return False
    for cell in nb.cells:
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count") is not None):
            return False
    return True


def copy_notebooks(dest: Path) -> Path:
    """Copy the notebooks folder (and data/) for tests that must not touch the real one."""
    shutil.copytree(NOTEBOOKS, dest / "notebooks")
    if (ROOT / "data").exists():
        shutil.copytree(ROOT / "data", dest / "data")
    return dest / "notebooks"


# ------------------------------------------------------------------ answers before their checks
TEXT_MIMES = ("text/plain", "text/html", "text/markdown")


def executed_parameters(nb) -> dict[str, Any]:
    """The parameters a notebook ran with: its parameters cell, then papermill's injected cell."""
    import ast

    values: dict[str, Any] = {}
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.cell_type != "code" or not {"parameters", "injected-parameters"} & set(tags):
            continue
        for node in ast.parse(cell.source).body:
            target = node.target if isinstance(node, ast.AnnAssign) else (node.targets[0] if isinstance(node, ast.Assign) else None)
            if isinstance(target, ast.Name) and node.value is not None:
                values[target.id] = ast.literal_eval(node.value)
    return values


def _number_spellings(value: float) -> set[str]:
    """How a number is likely printed (e.g. 6.7938 -> 6.79, 6.8); only spellings with two digits or more."""
    import math

    if not math.isfinite(value) or value == 0:
        return set()
    forms = {f"{value:.3g}", f"{value:.2f}", f"{value:,.0f}"}
    if abs(value) >= 1:
        forms.add(f"{value:.1f}")
    if abs(value) < 10:
        forms.add(f"{value:.2g}")
    return {f for f in forms if sum(ch.isdigit() for ch in f.lstrip("-0.")) >= 2 and "e" not in f}


def _output_text(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out.get("text", ""))
        for mime in TEXT_MIMES:
            data = out.get("data", {}).get(mime)
            if data:
                parts.append(data if isinstance(data, str) else "".join(data))
    return "\n".join(parts)


def answers_revealed_early(nb, name: str) -> list[str]:
    """Exercises whose numeric answer is printed by an output above their check cell."""
    import re

    from vmlab.exercises.bank import exercises_of
    from vmlab.exercises.kinds import Number

    exercises = {ex.id: ex for ex in exercises_of(name)}
    if not exercises:
        return []
    params = executed_parameters(nb)
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for ex_id in re.findall(r"""\bcheck\(\s*["']([^"']+)["']""", cell.source):
            ex = exercises.get(ex_id)
            if not isinstance(ex, Number):
                continue
            value = ex.expected_value(params)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                continue
            if isinstance(value, int):  # a count: "5.0 cores" does not spell "5 VMs"
                spellings = {f for f in (f"{value}", f"{value:,}") if sum(ch.isdigit() for ch in f) >= 2}
            else:
                spellings = _number_spellings(float(value))
            for j, earlier in enumerate(nb.cells[:i]):
                if earlier.cell_type != "code":
                    continue
                text = _output_text(earlier)
                hit = next((s for s in spellings if re.search(rf"(?<![\d.,]){re.escape(s)}(?![\d])", text)), None)
                if hit:
                    found.append(f"exercise {ex_id}: its answer {hit} is printed by cell {j}, above its check (cell {i})")
                    break
    return found


def assert_no_answer_revealed_early(nb, name: str) -> None:
    problems = answers_revealed_early(nb, name.removesuffix(".ipynb"))
    assert not problems, f"{name}: an exercise comes after what reveals its answer:\n  - " + "\n  - ".join(problems)


def warnings_shown(nb) -> list[str]:
    """Warnings a student would see in the executed notebook's outputs (stderr lines naming a Warning)."""
    import re

    found = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []) if cell.cell_type == "code" else []:
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                found += [f"cell {i}: {m.strip()}" for m in re.findall(r"^.*\w+Warning: .*$", out.get("text", ""), re.M)]
    return found


def assert_no_warning_shown(nb, name: str) -> None:
    shown = warnings_shown(nb)
    assert not shown, f"{name} shows warnings to the student:\n  - " + "\n  - ".join(shown[:10])
