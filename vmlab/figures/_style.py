"""What every migration figure shares: colours, the template, axis and table helpers.

Colours are one per quantity (:data:`COLOURS`) and one per live phase or cold step
(:data:`PHASE_COLOURS`), so a quantity looks the same in every figure. The helpers check the
tables the figures read (:func:`_check_frame`), name their axes after the columns
(:func:`_label`), choose log axes (:func:`_axis_type`, :func:`_geometric`) and lay the cells of
a two-input grid out for a heatmap (:func:`_pivot`, :func:`_edges`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from vmlab.migration.compare import LIVE_VS_COLD_EXTRA_COLUMNS
from vmlab.migration.precopy import GRID_RESULT_COLUMNS, PrecopyResult

__all__ = ["COLOURS", "PHASE_COLOURS"]

COLOURS = {
    "sent": "#1f77b4",
    "dirtied": "#fdae6b",
    "stop-and-copy": "#d62728",
    "threshold": "#2ca02c",
    "live": "#1f77b4",
    "cold": "#8c564b",
    "forced": "#ff7f0e",
    "cancelled": "#9e9e9e",
    "cold (live did not complete)": "#d9b8a9",
}
"""One colour per quantity, shared by every migration figure."""

PHASE_COLOURS = {
    "preparation": "#9e9e9e",
    "pre-copy (full pass)": "#1f77b4",
    "iterative transfer": "#6baed6",
    "pause: stop-and-copy": "#d62728",
    "resume": "#ff9896",
    "gratuitous ARP": "#e377c2",
    "shutdown": "#8c564b",
    "metadata transfer": "#bcbd22",
    "disk move": "#ff7f0e",
    "registration": "#9467bd",
    "power on": "#5d4037",
}
"""Colour of each live phase and cold step in :func:`vmlab.timeline_figure`."""

_TEMPLATE = "plotly_white"
_DOWN_PATTERN = "/"  # hatch on bars during which the VM does not run
_EXTRA_GRID_COLUMNS = set(LIVE_VS_COLD_EXTRA_COLUMNS)


def _axis_type(values, ratio: float = 30.0) -> str:
    """``"log"`` when the positive finite values span more than ``ratio``, else ``"linear"``."""
    v = np.asarray(values, dtype=float).ravel()
    v = v[np.isfinite(v) & (v > 0)]
    if v.size < 2:
        return "linear"
    return "log" if v.max() / v.min() > ratio else "linear"


def _check_frame(df: pd.DataFrame, *columns: str) -> None:
    """A non-empty table with ``columns``, or an error naming what is missing."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame (e.g. from vmlab.precopy_grid); got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"the table has no column(s) {', '.join(map(repr, missing))}; columns: {', '.join(map(str, df.columns))}")
    if df.empty:
        raise ValueError("the table is empty: nothing to draw")


def _input_columns(df: pd.DataFrame) -> list[str]:
    """The varied inputs of a precopy_grid / live_vs_cold_grid table (everything before the results)."""
    skip = set(GRID_RESULT_COLUMNS) | _EXTRA_GRID_COLUMNS
    return [c for c in df.columns if c not in skip]


def _label(column: str) -> str:
    """Axis title for a table column: ``dirty_rate_mib_s`` -> ``dirty rate (MiB/s)``."""
    units = (("_mib_s", "MiB/s"), ("_mib", "MiB"), ("_gib", "GiB"), ("_ms", "ms"), ("_s", "s"))
    for suffix, unit in units:
        if column.endswith(suffix):
            return f"{column[: -len(suffix)].replace('_', ' ')} ({unit})"
    return column.replace("_", " ")


def _check_precopy(result, name: str = "result") -> None:
    """``result`` is a :class:`PrecopyResult`, or a ``TypeError`` naming what it is."""
    if not isinstance(result, PrecopyResult):
        raise TypeError(f"{name} must be a PrecopyResult (from vmlab.precopy); got {type(result).__name__}")


def _flat(data: dict) -> dict:
    """Dotted trace keys (``marker.color``) as constructor keywords (``marker_color``)."""
    return {key.replace(".", "_"): value for key, value in data.items()}


def _pivot(
    df: pd.DataFrame, x: str, y: str, columns: Sequence[str], source: pd.DataFrame | None = None
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    """Cells of ``columns`` on the (y, x) grid; ``source`` is the caller's table, checked for other inputs."""
    source = df if source is None else source
    others = [c for c in _input_columns(source) if c not in (x, y) and source[c].nunique(dropna=False) > 1]
    if others:
        raise ValueError(f"besides {x!r} and {y!r}, the table varies {', '.join(others)}: filter it to one value first")
    if df.duplicated([x, y]).any():
        raise ValueError(f"the table has several rows for the same ({x}, {y}); filter it to one scenario per cell")
    xs = np.sort(df[x].unique())
    ys = np.sort(df[y].unique())
    ix = np.searchsorted(xs, df[x].to_numpy())
    iy = np.searchsorted(ys, df[y].to_numpy())
    grids = {}
    for c in columns:
        values = df[c].to_numpy()
        kind = values.dtype.kind if isinstance(values, np.ndarray) else "O"
        g = np.full((ys.size, xs.size), np.nan if kind in "fiub" else None, dtype=float if kind in "fiub" else object)
        g[iy, ix] = values
        grids[c] = g
    return xs.astype(float), ys.astype(float), grids


def _geometric(values: np.ndarray) -> bool:
    """Sorted positive values with (nearly) equal ratios over more than a factor 20: a log axis."""
    v = np.asarray(values, dtype=float)
    if v.size < 3 or (v <= 0).any() or v.max() / v.min() < 20:
        return False
    steps = np.diff(np.log(v))
    return bool(np.allclose(steps, steps[0], rtol=1e-3))


def _edges(values: np.ndarray, log: bool) -> tuple[float, float]:
    """Axis range from the first to the last cell's outer edge (cell centres at ``values``)."""
    v = np.log(values) if log else values
    half = (v[1] - v[0]) / 2 if v.size > 1 else (abs(v[0]) * 0.5 or 0.5)
    half_hi = (v[-1] - v[-2]) / 2 if v.size > 1 else half
    lo, hi = v[0] - half, v[-1] + half_hi
    return (float(np.exp(lo)), float(np.exp(hi))) if log else (float(lo), float(hi))


def _grid_axes(xs: np.ndarray, ys: np.ndarray, x: str, y: str) -> tuple[dict, dict]:
    """Layout of a heatmap's x and y axes: titled after the columns, log for geometric steps, cells whole.

    >>> xaxis, yaxis = _grid_axes(np.array([1.0, 10.0, 100.0]), np.array([0.0, 1.0]), "dirty_rate_mib_s", "n")
    >>> xaxis["title"], xaxis["type"], xaxis["range"], yaxis["type"], yaxis["range"]
    ('dirty rate (MiB/s)', 'log', [-0.5, 2.5], 'linear', [-0.5, 1.5])
    """
    axes = []
    for values, column in ((xs, x), (ys, y)):
        log = _geometric(values)
        edges = _edges(values, log)
        axes.append({"title": _label(column), "type": "log" if log else "linear",
                     "range": [math.log10(v) for v in edges] if log else list(edges)})
    return axes[0], axes[1]
