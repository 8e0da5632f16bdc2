"""Is this environment fit for the workbook? One table, one verdict (notebook 00 shows it).

>>> table = environment_report()
>>> list(table.columns)
['found', 'needed', 'ok']
"""

from __future__ import annotations

import platform
from importlib.metadata import PackageNotFoundError, version

import pandas as pd

__all__ = ["environment_report", "figurewidget_works", "SHOWN"]

SHOWN = ("numpy", "pandas", "plotly", "ipywidgets", "anywidget", "jupyterlab")
"""The libraries the report lists; their allowed versions come from vmlab's own requirements."""


def _installed(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def _requirements() -> dict:
    """``{name: SpecifierSet}`` of the libraries in ``SHOWN``, read from vmlab's installed metadata."""
    from importlib.metadata import requires

    from packaging.requirements import Requirement

    found = {}
    for line in requires("vmlab") or []:
        req = Requirement(line)
        if req.marker is None and req.name.lower() in SHOWN:
            found[req.name.lower()] = req.specifier
    return {name: found[name] for name in SHOWN if name in found}


def figurewidget_works() -> tuple[bool, str]:
    """Whether a plotly ``FigureWidget`` can be built here (it needs ``anywidget`` with plotly 6)."""
    try:
        import plotly.graph_objects as go

        widget = go.FigureWidget(go.Figure(go.Scatter(x=[0, 1], y=[0, 1])))
        return len(widget.data) == 1, ""
    except Exception as exc:  # a diagnosis: report, never crash
        return False, f"{type(exc).__name__}: {exc}"


def environment_report() -> pd.DataFrame:
    """Python, the pinned libraries and the interactive figure: found, needed, ok (one row each)."""
    rows = {}
    py = platform.python_version()
    rows["python"] = (py, ">= 3.11", tuple(int(x) for x in py.split(".")[:2]) >= (3, 11))
    rows["vmlab"] = (_installed("vmlab") or "not installed", "installed", _installed("vmlab") is not None)
    for name, spec in _requirements().items():
        found = _installed(name)
        rows[name] = (found or "not installed", str(spec) or "any", found is not None and spec.contains(found, prereleases=True))
    ok, error = figurewidget_works()
    rows["FigureWidget"] = ("works" if ok else f"fails ({error})", "works", ok)
    return pd.DataFrame.from_dict(rows, orient="index", columns=["found", "needed", "ok"])
