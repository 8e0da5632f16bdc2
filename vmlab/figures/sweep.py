"""Figures of a sweep's results table: response curves and heatmaps for slides.

Every builder takes the table of :func:`vmlab.sweep.read_sweep` and returns a
``plotly.graph_objects.Figure``; ``table.attrs`` tells parameters from results (``parameters``,
``results``, ``varying``), so a ``results.csv`` read with plain pandas needs them set by hand. Only cases with ``status == "ok"`` are
drawn; boolean results are drawn as 0/1 (their mean is the fraction of cases where they hold).

Examples
--------
>>> import pandas as pd
>>> table = pd.DataFrame({"RATE": [1.0, 2.0, 1.0, 2.0], "LINK": [10, 10, 20, 20],
...                       "time_s": [4.0, 5.0, 2.0, 2.5], "status": ["ok"] * 4})
>>> table.attrs.update(parameters=["RATE", "LINK"], results=["time_s"])  # read_sweep sets these
>>> len(sweep_response_figure(table, "RATE", "time_s", by="LINK").data)  # one line per LINK
2
>>> sweep_heatmap_figure(table, "RATE", "LINK", "time_s").data[0].z.tolist()
[[4.0, 5.0], [2.0, 2.5]]
>>> [f.layout.title.text for f in sweep_figures(table)]
['time_s against RATE', 'time_s against LINK', 'time_s over RATE and LINK']
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import pandas as pd
import plotly.graph_objects as go

__all__ = ["sweep_response_figure", "sweep_heatmap_figure", "sweep_figures", "varying_parameters", "metric_columns"]

_FIXED = ("case_id", "status", "duration_s", "error")
_MAX_LINES = 10


def _ok(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["status"] == "ok"] if "status" in table.columns else table


def _check_columns(table: pd.DataFrame, *names: str) -> None:
    for name in names:
        if name not in table.columns:
            raise ValueError(f"column {name!r} is not in the sweep table; columns are: {', '.join(map(str, table.columns))}")


def _numeric(series: pd.Series) -> pd.Series:
    if series.dtype == bool or series.dropna().map(lambda v: isinstance(v, bool)).all():
        return series.astype(float)
    return pd.to_numeric(series, errors="coerce")


def varying_parameters(table: pd.DataFrame) -> list[str]:
    """Parameters with more than one value in the table (``attrs["varying"]`` when present)."""
    names = table.attrs.get("varying") or table.attrs.get("parameters")
    if names is None:
        names = [c for c in table.columns if c not in _FIXED and c not in metric_columns(table)]
    return [n for n in names if n in table.columns and table[n].nunique(dropna=False) > 1]


def metric_columns(table: pd.DataFrame) -> list[str]:
    """Result columns that can be drawn (numbers and booleans)."""
    names = table.attrs.get("results")
    if names is None:
        params = table.attrs.get("parameters") or []
        names = [c for c in table.columns if c not in _FIXED and c not in params]
        if not table.attrs.get("parameters"):
            names = []  # without attrs we cannot tell parameters from results
    ok = _ok(table)
    return [n for n in names if n in ok.columns and len(ok) and _numeric(ok[n]).notna().any()]


def _sorted_values(series: pd.Series) -> list:
    values = list(pd.unique(series.dropna()))
    try:
        return sorted(values)
    except TypeError:
        return values


def sweep_response_figure(
    table: pd.DataFrame, parameter: str, metric: str, *, by: str | None = None, title: str | None = None
) -> go.Figure:
    """``metric`` against ``parameter``: one line per value of ``by`` (the legend), else one line.

    When other parameters also vary, each point is the mean over them and the error bar spans
    their minimum to maximum (the title says so).
    """
    _check_columns(table, parameter, metric, *([by] if by else []))
    ok = _ok(table).copy()
    ok["_y"] = _numeric(ok[metric])
    others = [p for p in varying_parameters(table) if p not in (parameter, by)]
    groups = [(None, ok)] if by is None else [(v, ok[ok[by] == v]) for v in _sorted_values(ok[by])]
    fig = go.Figure()
    for value, sub in groups:
        stats = sub.groupby(parameter, sort=True)["_y"].agg(["mean", "min", "max"]).reset_index()
        error = None
        if others and len(stats):
            error = dict(type="data", symmetric=False, array=stats["max"] - stats["mean"],
                         arrayminus=stats["mean"] - stats["min"], thickness=1)
        fig.add_trace(
            go.Scatter(
                x=stats[parameter], y=stats["mean"], error_y=error, mode="lines+markers",
                name=metric if value is None else str(value),
            )
        )
    text = title or f"{metric} against {parameter}"
    if others and not title:
        text += f" (mean over {', '.join(others)}; bars: min-max)"
    fig.update_layout(
        title=text, xaxis_title=parameter, yaxis_title=metric, template="plotly_white",
        legend_title=by or None, showlegend=by is not None,
    )
    return fig


def sweep_heatmap_figure(table: pd.DataFrame, x: str, y: str, metric: str, *, title: str | None = None) -> go.Figure:
    """``metric`` over two parameters (cells show the value; the mean if other parameters vary)."""
    _check_columns(table, x, y, metric)
    ok = _ok(table).copy()
    ok["_z"] = _numeric(ok[metric])
    grid = ok.pivot_table(index=y, columns=x, values="_z", aggfunc="mean", dropna=False)
    grid = grid.reindex(index=_sorted_values(ok[y]), columns=_sorted_values(ok[x]))
    others = [p for p in varying_parameters(table) if p not in (x, y)]
    fig = go.Figure(
        go.Heatmap(
            z=grid.to_numpy(), x=[str(v) for v in grid.columns], y=[str(v) for v in grid.index],
            colorscale="Viridis", colorbar=dict(title=metric), texttemplate="%{z:.3g}",
            hovertemplate=f"{x}=%{{x}}<br>{y}=%{{y}}<br>{metric}=%{{z}}<extra></extra>",
        )
    )
    text = title or f"{metric} over {x} and {y}"
    if others and not title:
        text += f" (mean over {', '.join(others)})"
    fig.update_layout(title=text, xaxis_title=x, yaxis_title=y, template="plotly_white")
    fig.update_xaxes(type="category")
    fig.update_yaxes(type="category")
    return fig


def sweep_figures(
    table: pd.DataFrame, metrics: Sequence[str] | None = None, *, max_heatmaps: int = 3
) -> list[go.Figure]:
    """The slide set: per metric, a response curve per varying parameter and heatmaps of pairs.

    With exactly two varying parameters each curve has one line per value of the other one
    (when it has at most 10 values).
    """
    metrics = list(metrics) if metrics is not None else metric_columns(table)
    varying = varying_parameters(table)
    figures = []
    for metric in metrics:
        for parameter in varying:
            by = None
            if len(varying) == 2:
                other = varying[1] if parameter == varying[0] else varying[0]
                by = other if table[other].nunique() <= _MAX_LINES else None
            figures.append(sweep_response_figure(table, parameter, metric, by=by))
        for x, y in itertools.islice(itertools.combinations(varying, 2), max_heatmaps):
            figures.append(sweep_heatmap_figure(table, x, y, metric))
    return figures
