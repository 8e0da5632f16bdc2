"""Figures for the migration models: results in, :class:`plotly.graph_objects.Figure` out.

* :func:`rounds_figure`: per-round data sent against data dirtied, the stop-and-copy bar and
  the switch-over threshold.
* :func:`timeline_figure`: the seed's steps of live and cold migrations on one time axis, the
  blackout marked (a live blackout is milliseconds, a cold one minutes).
* :func:`downtime_curve_figure`: downtime and total time against one varied input of a
  :func:`vmlab.precopy_grid` table.
* :func:`convergence_map_figure`: a heatmap over two varied inputs with the convergence
  boundary (dirty rate = pre-copy rate, and working set = rate x downtime limit).
* :func:`live_vs_cold_figure` and :func:`winner_map_figure` live in
  :mod:`vmlab.figures.live_vs_cold` (still importable from here).

These functions never run a model: they draw the results and tables they are given. The
explorers (:mod:`vmlab.explorers.migration`) update the traces in place, so the trace order
documented in each function is part of the contract.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from vmlab.format import format_duration, format_mib
from vmlab.migration.cold import COLD_STEPS, ColdResult
from vmlab.migration.compare import LIVE_VS_COLD_EXTRA_COLUMNS
from vmlab.migration.params import VM, PrecopyPolicy
from vmlab.migration.precopy import GRID_RESULT_COLUMNS, PrecopyResult

__all__ = [
    "COLOURS",
    "PHASE_COLOURS",
    "TIMELINE_LABELS",
    "format_duration",
    "format_mib",
    "rounds_figure",
    "rounds_traces",
    "rounds_layout",
    "timeline_traces",
    "timeline_layout",
    "live_vs_cold_traces",
    "timeline_figure",
    "downtime_curve_figure",
    "convergence_map_figure",
    "live_vs_cold_figure",
    "live_vs_cold_verdict",
    "winner_map_figure",
]

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

LIVE_PHASES = (
    "preparation",
    "pre-copy (full pass)",
    "iterative transfer",
    "pause: stop-and-copy",
    "resume",
    "gratuitous ARP",
)
"""Phase labels of :attr:`PrecopyResult.phases`, in order."""

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
"""Colour of each live phase and cold step in :func:`timeline_figure`."""

TIMELINE_LABELS = LIVE_PHASES + COLD_STEPS
"""Every bar trace of :func:`timeline_figure`, in trace order (the blackout markers come last)."""

_TEMPLATE = "plotly_white"
_DOWN_PATTERN = "/"  # hatch on bars during which the VM does not run
_EXTRA_GRID_COLUMNS = set(LIVE_VS_COLD_EXTRA_COLUMNS)


# ---- small helpers ----------------------------------------------------------------------------
def _axis_type(values, ratio: float = 30.0) -> str:
    """``"log"`` when the positive finite values span more than ``ratio``, else ``"linear"``."""
    v = np.asarray(values, dtype=float).ravel()
    v = v[np.isfinite(v) & (v > 0)]
    if v.size < 2:
        return "linear"
    return "log" if v.max() / v.min() > ratio else "linear"


def _check_frame(df: pd.DataFrame, *columns: str) -> None:
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
    if not isinstance(result, PrecopyResult):
        raise TypeError(f"{name} must be a PrecopyResult (from vmlab.precopy); got {type(result).__name__}")


# ---- rounds -----------------------------------------------------------------------------------
def rounds_title(result: PrecopyResult) -> str:
    """Title of :func:`rounds_figure`: policy, stop label, rounds and headline numbers.

    >>> from vmlab import VM, Link, precopy
    >>> rounds_title(precopy(VM(memory_mib=1024), Link()))
    'QEMU: converged after 1 round<br><sup>downtime 15 ms · total 8.6 s · sent 1,024 MiB</sup>'
    """
    _check_precopy(result)
    rounds = f"{result.n_rounds} round{'s' if result.n_rounds != 1 else ''}"
    down = format_duration(result.downtime_ms / 1000) if result.completed else "none (VM stayed on the source)"
    return (
        f"{result.policy.name}: {result.stop} after {rounds}<br>"
        f"<sup>downtime {down} · total {format_duration(result.total_time_s)} · sent {format_mib(result.data_sent_mib)}</sup>"
    )


def _flat(data: dict) -> dict:
    """Dotted trace keys (``marker.color``) as constructor keywords (``marker_color``)."""
    return {key.replace(".", "_"): value for key, value in data.items()}


def rounds_traces(result: PrecopyResult) -> list[dict]:
    """Data of the first three traces of :func:`rounds_figure`, in trace order.

    0 sent per round (the stop-and-copy bar in its own colour and hatch), 1 dirtied during
    each live round, 2 the switch-over threshold (a horizontal line). Keys are trace
    properties, nested ones dotted (``"marker.color"``), so an explorer can assign them to
    a ``FigureWidget``'s traces one by one.
    """
    _check_precopy(result)
    r = result.rounds
    rounds = r["round"].to_numpy(dtype=float)
    x = np.arange(len(r), dtype=float)  # bar positions: the round number unless a summary row skips some
    sent = r["sent_mib"].to_numpy(dtype=float)
    dirtied = r["dirtied_mib"].to_numpy(dtype=float)
    start = r["start_s"].to_numpy(dtype=float)
    duration = r["duration_s"].to_numpy(dtype=float)
    phase = [str(p) for p in r["phase"]]
    stop = np.array([p == "stop-and-copy" for p in phase], dtype=bool)
    labels = _round_labels(rounds)
    hover = [
        f"round {i} · {p}<br>sent {s:.4g} MiB in {format_duration(d)}<br>starts at {t:.3f} s"
        for i, p, s, d, t in zip(labels, phase, sent, duration, start)
    ]
    hover_dirty = [
        f"round {i}<br>dirtied meanwhile {v:.4g} MiB<br>(sent in the next round)"
        for i, v, keep in zip(labels, dirtied, ~stop) if keep
    ]
    lo, hi = (x.min() - 0.5, x.max() + 0.5) if x.size else (-0.5, 0.5)
    thr = result.threshold_mib
    return [
        {
            "x": x,
            "y": sent,
            "marker.color": [COLOURS["stop-and-copy"] if s else COLOURS["sent"] for s in stop],
            "marker.pattern.shape": [_DOWN_PATTERN if s else "" for s in stop],
            "hovertext": hover,
        },
        {"x": x[~stop], "y": dirtied[~stop], "hovertext": hover_dirty},
        {"x": np.array([lo, hi]), "y": np.array([thr, thr]), "name": f"switch-over threshold ({format_mib(thr)})"},
    ]


def _round_labels(rounds: np.ndarray) -> list[str]:
    """Tick labels: the round number, or a range for a row that summarises equal rounds."""
    labels = []
    for i, r in enumerate(rounds):
        nxt = rounds[i + 1] if i + 1 < rounds.size else r + 1
        labels.append(f"{int(r)}" if nxt <= r + 1 else f"{int(r)}-{int(nxt) - 1}")
    return labels


def rounds_layout(result: PrecopyResult, log_y: bool | None = None, data: list[dict] | None = None) -> dict:
    """Layout properties of :func:`rounds_figure` that depend on the result (dotted keys).

    ``data`` (from :func:`rounds_traces`) saves recomputing the traces to choose the axis.
    """
    if log_y is None:
        data = rounds_traces(result) if data is None else data
        log_y = _axis_type(np.concatenate([data[0]["y"], data[1]["y"]])) == "log"
    rounds = result.rounds["round"].to_numpy(dtype=float)
    skips = bool(rounds.size) and not np.array_equal(rounds, np.arange(rounds.size))
    return {
        "title.text": rounds_title(result),
        "xaxis.dtick": 1 if len(result.rounds) <= 30 and not skips else None,
        # a stalled migration's identical rounds come as one summary row: label it with its range
        "xaxis.tickvals": list(range(rounds.size)) if skips else None,
        "xaxis.ticktext": _round_labels(rounds) if skips else None,
        "yaxis.type": "log" if log_y else "linear",
        "yaxis.dtick": 1 if log_y else None,
        "yaxis.title.text": "data (MiB" + (", log scale)" if log_y else ")"),
    }


def rounds_figure(result: PrecopyResult, *, title: str | None = None, log_y: bool | None = None, height: int = 420) -> go.Figure:
    """Per-round bars of data sent against data dirtied meanwhile, with the switch-over threshold.

    Each live round re-sends what the round before dirtied, so the orange bar of round i is
    (about) the blue bar of round i + 1: pre-copy converges while the bars shrink below the
    green threshold line (QEMU: measured bandwidth x downtime limit; Xen: 50 pages). The last,
    red and hatched bar is the stop-and-copy sent while the VM is paused.

    Parameters
    ----------
    result : PrecopyResult
    title : str, optional
        Defaults to the policy, the stop label and the headline numbers.
    log_y : bool, optional
        Log y axis; by default chosen when the bars span more than a factor 30 (rounds shrink
        geometrically).
    height : int

    Returns
    -------
    plotly.graph_objects.Figure
        Traces: 0 sent (``y`` equals ``result.rounds["sent_mib"]``), 1 dirtied (live rounds),
        2 the threshold line, 3 the stop-and-copy legend entry. Bars stand at the row's
        position in ``result.rounds``, which is the round number except after a row that
        sums up thousands of equal rounds of a stalled migration (its tick reads "2-88886").

    Examples
    --------
    >>> from vmlab import VM, Link, precopy
    >>> r = precopy(VM(memory_mib=2048, dirty_rate_mib_s=40), Link(bandwidth_mib_s=119.2))
    >>> fig = rounds_figure(r)
    >>> list(fig.data[0].y) == list(r.rounds["sent_mib"])
    True
    >>> float(fig.data[2].y[0]) == r.threshold_mib
    True
    """
    data = rounds_traces(result)
    hover = "%{hovertext}<extra></extra>"
    fig = go.Figure()
    fig.add_trace(go.Bar(name="sent in the round", hovertemplate=hover, **_flat(data[0])))
    fig.add_trace(go.Bar(name="dirtied during the round", marker={"color": COLOURS["dirtied"]}, hovertemplate=hover,
                         **_flat(data[1])))
    fig.add_trace(
        go.Scatter(
            mode="lines",
            line={"color": COLOURS["threshold"], "dash": "dash", "width": 2},
            hovertemplate="switch-over threshold %{y:.4g} MiB<extra></extra>",
            **_flat(data[2]),
        )
    )
    fig.add_trace(
        go.Bar(
            x=[None], y=[None], name="stop-and-copy (VM paused)",
            marker={"color": COLOURS["stop-and-copy"], "pattern": {"shape": _DOWN_PATTERN}}, hoverinfo="skip",
        )
    )
    fig.update_layout(
        barmode="group",
        bargap=0.2,
        template=_TEMPLATE,
        height=height,
        xaxis={"title": "round (0 = first full pass)"},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 1, "xanchor": "right"},
        margin={"t": 110},
    )
    layout = rounds_layout(result, log_y, data)
    if title is not None:
        layout["title.text"] = title
    for key, value in layout.items():
        fig.layout[key] = value
    return fig


# ---- timeline ---------------------------------------------------------------------------------
def _unit_for(total_s: float) -> tuple[float, str]:
    if total_s >= 3 * 3600:
        return 3600.0, "h"
    if total_s >= 300:
        return 60.0, "min"
    return 1.0, "s"


def _result_rows(result: PrecopyResult | ColdResult) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """label, start_s, duration_s, running arrays of one result's phases or steps."""
    if isinstance(result, PrecopyResult):
        p = result.phases
        return (p["phase"].to_numpy(dtype=object), p["start_s"].to_numpy(dtype=float),
                p["duration_s"].to_numpy(dtype=float), p["vm_running"].to_numpy(dtype=bool))
    s = result.steps
    n = len(s)
    return (s["step"].to_numpy(dtype=object), s["start_s"].to_numpy(dtype=float),
            s["duration_s"].to_numpy(dtype=float), np.zeros(n, dtype=bool))


def _default_names(results: Sequence[PrecopyResult | ColdResult]) -> list[str]:
    names = []
    for r in results:
        if isinstance(r, PrecopyResult):
            names.append(f"live ({r.policy.name})")
        else:
            where = "shared storage" if r.shared_storage else f"{r.disk_gib:g} GiB disk"
            names.append(f"cold ({where}{', suspended' if r.guest_state == 'suspended' else ''})")
    seen: dict[str, int] = {}
    unique = []
    for n in names:
        seen[n] = seen.get(n, 0) + 1
        unique.append(n if seen[n] == 1 else f"{n} #{seen[n]}")
    return unique


def _blackout(result: PrecopyResult | ColdResult, start_s: np.ndarray, duration_s: np.ndarray,
              running: np.ndarray) -> tuple[float, float, str]:
    """Start, length and label of the blackout (VM not running) of one result (it ends each row)."""
    if isinstance(result, ColdResult):
        return 0.0, result.downtime_ms / 1000, f"down {format_duration(result.downtime_ms / 1000)} (the whole move)"
    if not result.completed:
        end = float((start_s + duration_s).max())
        return end, 0.0, f"{result.stop}: no blackout"
    start = float(start_s[~running].min())
    return start, result.downtime_ms / 1000, f"blackout {format_duration(result.downtime_ms / 1000)}"


def timeline_traces(*results: PrecopyResult | ColdResult, names: Sequence[str] | None = None) -> tuple[list[dict], float, str]:
    """Trace data of :func:`timeline_figure` (one dict per trace, in trace order), scale and unit.

    Keys are trace properties, nested ones dotted (``"marker.pattern.shape"``); times are
    divided by ``scale`` (1, 60 or 3600) to be in ``unit`` (s, min or h).
    """
    if not results:
        raise ValueError("timeline_figure() needs at least one PrecopyResult or ColdResult")
    for r in results:
        if not isinstance(r, (PrecopyResult, ColdResult)):
            raise TypeError(f"timeline_figure() takes PrecopyResult or ColdResult objects; got {type(r).__name__}")
    names = _default_names(results) if names is None else [str(n) for n in names]
    if len(names) != len(results):
        raise ValueError(f"names must have one entry per result: {len(results)} results, {len(names)} names")
    if len(set(names)) != len(names):
        raise ValueError(f"names must be distinct (one row each); got {names}")
    tables = [_result_rows(r) for r in results]
    end = max(float((start + dur).max()) for _, start, dur, _ in tables)
    scale, unit = _unit_for(end)
    traces = []
    for label in TIMELINE_LABELS:
        ys: list[str] = []
        xs: list[float] = []
        bases: list[float] = []
        hover: list[str] = []
        pats: list[str] = []
        for name, (labels, start, dur, running) in zip(names, tables):
            for i in np.flatnonzero(labels == label):
                ys.append(name)
                xs.append(dur[i] / scale)
                bases.append(start[i] / scale)
                pats.append("" if running[i] else _DOWN_PATTERN)
                hover.append(
                    f"{name}<br><b>{label}</b>{'' if running[i] else ' (VM not running)'}"
                    f"<br>from {format_duration(start[i])} for {format_duration(dur[i])}"
                )
        traces.append({"y": ys, "x": np.array(xs, dtype=float), "base": np.array(bases, dtype=float),
                       "hovertext": hover, "marker.pattern.shape": pats, "showlegend": bool(ys)})
    mx, mtext, mhover, msymbol = [], [], [], []
    for name, r, (_, start, dur, running) in zip(names, results, tables):
        b_start, length, text = _blackout(r, start, dur, running)
        mx.append((b_start + length) / scale)
        mtext.append(text)
        what = "the VM stays on the source" if isinstance(r, PrecopyResult) and not r.completed else "the VM is not running"
        mhover.append(f"{name}<br>{text} ({what})<br>at {format_duration(b_start)}")
        cancelled = isinstance(r, PrecopyResult) and not r.completed
        msymbol.append("x" if cancelled else "diamond")
    traces.append({"x": np.array(mx, dtype=float), "y": list(names), "text": mtext, "hovertext": mhover,
                   "marker.symbol": msymbol})
    return traces, scale, unit


def timeline_layout(traces: list[dict], unit: str) -> dict:
    """Layout properties of :func:`timeline_figure` that depend on the data (dotted keys)."""
    marker = traces[-1]
    return {
        "xaxis.ticksuffix": f" {unit}",  # the unit on the ticks: no axis title to collide with the legend
        # room on the right for the blackout labels
        "xaxis.range": [0, 1.45 * float(np.max(marker["x"]))],
        "yaxis.categoryarray": list(marker["y"]),
    }


def timeline_figure(
    *results: PrecopyResult | ColdResult,
    names: Sequence[str] | None = None,
    title: str | None = None,
    height: int | None = None,
) -> go.Figure:
    """The seed's steps of one or more migrations on a shared time axis, one row per result.

    A live migration (:class:`PrecopyResult`) shows preparation, the first full pass, the
    iterative rounds and, hatched, the blackout: stop-and-copy, resume and gratuitous ARP. A
    cold migration (:class:`ColdResult`) shows its five steps, all hatched (the VM is down
    throughout). A live blackout is milliseconds next to minutes of a cold move, far too thin
    to see as a bar, so a marker at the end of each row carries the blackout's length;
    hovering a bar gives its exact start and duration. The time unit (s, min or h) follows
    the longest row.

    Parameters
    ----------
    *results : PrecopyResult or ColdResult
    names : list of str, optional
        Row labels; default ``"live (QEMU)"``, ``"cold (40 GiB disk)"``...
    title, height : optional

    Returns
    -------
    plotly.graph_objects.Figure
        One horizontal bar trace per label in :data:`TIMELINE_LABELS` (empty when no row has
        that phase), then one marker trace with a point per row at the end of the blackout
        (where a cancelled migration stopped), labelled with the blackout's length.

    Examples
    --------
    >>> from vmlab import VM, Link, precopy, cold_migration
    >>> vm, link = VM(memory_mib=4096, dirty_rate_mib_s=30), Link(bandwidth_mib_s=119.2)
    >>> fig = timeline_figure(precopy(vm, link), cold_migration(vm, link, disk_gib=40))
    >>> len(fig.data) == len(TIMELINE_LABELS) + 1, list(fig.data[-1].y)
    (True, ['live (QEMU)', 'cold (40 GiB disk)'])
    """
    traces, _scale, unit = timeline_traces(*results, names=names)
    fig = go.Figure()
    for label, data in zip(TIMELINE_LABELS, traces):
        fig.add_trace(go.Bar(orientation="h", name=label, marker_color=PHASE_COLOURS[label],
                             hovertemplate="%{hovertext}<extra></extra>", **_flat(data)))
    fig.add_trace(
        go.Scatter(
            mode="markers+text", textposition="middle right", name="blackout (label: its length)",
            marker={"size": 13, "color": COLOURS["stop-and-copy"], "line": {"color": "white", "width": 1}},
            textfont={"color": COLOURS["stop-and-copy"], "size": 12},
            hovertemplate="%{hovertext}<extra></extra>", cliponaxis=False, **_flat(traces[-1]),
        )
    )
    rows = len(traces[-1]["y"])
    fig.update_layout(
        title=title or "Migration timeline: time since the start (hatched: the VM is not running)",
        barmode="overlay",
        template=_TEMPLATE,
        height=height or 200 + 80 * rows,
        yaxis={"autorange": "reversed", "categoryorder": "array"},
        xaxis={"title": None, "zeroline": True},
        legend={"orientation": "h", "yanchor": "top", "y": -0.12, "x": 0, "font": {"size": 11}},
        bargap=0.45,
    )
    for key, value in timeline_layout(traces, unit).items():
        fig.layout[key] = value
    return fig


# ---- downtime and total time against one input ------------------------------------------------
def _groups(df: pd.DataFrame, x: str, color: str | None, max_lines: int = 8) -> tuple[str | None, list]:
    if color is None:
        varying = [c for c in _input_columns(df) if c != x and df[c].nunique(dropna=False) > 1]
        if len(varying) > 1:
            raise ValueError(
                f"besides {x!r}, several inputs vary ({', '.join(varying)}); pass color= one of them and "
                "filter the table to one value of the others"
            )
        color = varying[0] if varying else None
    if color is None:
        return None, [None]
    if color not in df.columns:
        raise ValueError(f"color={color!r} is not a column of the table")
    values = np.sort(df[color].unique())
    if values.size > max_lines:
        values = values[np.unique(np.linspace(0, values.size - 1, max_lines).round().astype(int))]
    return color, list(values)


def downtime_curve_figure(
    df: pd.DataFrame,
    x: str = "dirty_rate_mib_s",
    *,
    color: str | None = None,
    downtime_limit_ms: float | None = None,
    title: str | None = None,
    height: int = 560,
) -> go.Figure:
    """Downtime (top) and total migration time (bottom) against one varied input.

    Reads a :func:`vmlab.precopy_grid` table. Converged points form the lines; migrations
    forced into the stop-and-copy without converging (a round cap, a timeout with
    ``on_timeout="force"``) are orange diamonds; cancelled ones (no downtime: the VM never
    moved) are grey crosses: on a strip at the foot of the downtime panel and, at the time
    spent before giving up, in the total-time panel. Axes turn logarithmic when the values
    span more than a factor 30.

    Parameters
    ----------
    df : pandas.DataFrame
        From :func:`vmlab.precopy_grid`.
    x : str
        The varied input on the x axis.
    color : str, optional
        A second varied input: one line per value (at most 8, evenly picked). By default the
        one other input that varies, if any; with several, pass it and filter the rest.
    downtime_limit_ms : float, optional
        Draw the policy's downtime limit as a dashed line in the top panel.
    title, height : optional

    Returns
    -------
    plotly.graph_objects.Figure
        Per line: a downtime trace (row 1) and a total-time trace (row 2), both NaN where the
        migration did not converge; then forced downtime, forced total time, cancelled strip
        and cancelled total time.

    Examples
    --------
    >>> import numpy as np
    >>> from vmlab import precopy_grid, PrecopyPolicy
    >>> df = precopy_grid(dirty_rate_mib_s=np.linspace(0, 300, 31), bandwidth_mib_s=119.2,
    ...                   policy=PrecopyPolicy.qemu(timeout_s=120))
    >>> fig = downtime_curve_figure(df)
    >>> [t.name for t in fig.data]
    ['converged', 'converged', 'forced stop-and-copy', 'forced stop-and-copy', 'cancelled (no downtime)', 'cancelled (time until cancelled)']
    """
    _check_frame(df, x, "downtime_ms", "total_time_s", "converged", "completed")
    color, values = _groups(df, x, color)
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08,
                        subplot_titles=("downtime (VM paused)", "total migration time"))
    palette = ["#1f77b4", "#2ca02c", "#9467bd", "#17becf", "#e377c2", "#8c564b", "#bcbd22", "#7f7f7f"]
    for i, value in enumerate(values):
        sub = df if value is None else df[df[color] == value]
        sub = sub.sort_values(x)
        conv = sub["converged"].to_numpy(dtype=bool)
        name = "converged" if value is None else f"{_label(color)} = {value:g}"
        line = {"color": palette[i % len(palette)], "width": 2}
        xs = sub[x].to_numpy(dtype=float)
        fig.add_trace(
            go.Scatter(x=xs, y=np.where(conv, sub["downtime_ms"].to_numpy(dtype=float), np.nan), mode="lines+markers",
                       name=name, legendgroup=name, line=line, marker={"size": 5},
                       hovertemplate=f"{_label(x)} %{{x:.4g}}<br>downtime %{{y:.4g}} ms<extra>{name}</extra>"),
            row=1, col=1,
        )
        fig.add_trace(
            go.Scatter(x=xs, y=np.where(conv, sub["total_time_s"].to_numpy(dtype=float), np.nan), mode="lines+markers",
                       name=name, legendgroup=name, showlegend=False, line=line, marker={"size": 5},
                       hovertemplate=f"{_label(x)} %{{x:.4g}}<br>total %{{y:.4g}} s<extra>{name}</extra>"),
            row=2, col=1,
        )
    forced = df[df["completed"].astype(bool) & ~df["converged"].astype(bool)]
    cancelled = df[~df["completed"].astype(bool)]
    stop_f = forced["stop"].astype(str).to_numpy() if "stop" in df else np.full(len(forced), "forced")
    stop_c = cancelled["stop"].astype(str).to_numpy() if "stop" in df else np.full(len(cancelled), "cancelled")
    diamond = {"symbol": "diamond", "size": 8, "color": COLOURS["forced"]}
    cross = {"symbol": "x", "size": 8, "color": COLOURS["cancelled"]}
    fig.add_trace(
        go.Scatter(x=forced[x], y=forced["downtime_ms"], mode="markers", marker=diamond, name="forced stop-and-copy",
                   legendgroup="forced", customdata=stop_f,
                   hovertemplate=f"{_label(x)} %{{x:.4g}}<br>downtime %{{y:.4g}} ms<br>%{{customdata}}<extra>not converged</extra>"),
        row=1, col=1,
    )
    fig.add_trace(
        go.Scatter(x=forced[x], y=forced["total_time_s"], mode="markers", marker=diamond, name="forced stop-and-copy",
                   legendgroup="forced", showlegend=False, customdata=stop_f,
                   hovertemplate=f"{_label(x)} %{{x:.4g}}<br>total %{{y:.4g}} s<br>%{{customdata}}<extra>not converged</extra>"),
        row=2, col=1,
    )
    # cancelled: no downtime to plot, so a strip at the foot of the downtime panel (own y axis 0..1)
    fig.add_trace(
        go.Scatter(x=cancelled[x], y=np.full(len(cancelled), 0.04), mode="markers", marker=cross,
                   name="cancelled (no downtime)", legendgroup="cancelled", customdata=stop_c, yaxis="y3",
                   hovertemplate=f"{_label(x)} %{{x:.4g}}<br>%{{customdata}}: the VM stayed on the source<extra></extra>"),
    )
    fig.add_trace(
        go.Scatter(x=cancelled[x], y=cancelled["total_time_s"], mode="markers", marker=cross,
                   name="cancelled (time until cancelled)", legendgroup="cancelled", showlegend=False, customdata=stop_c,
                   hovertemplate=f"{_label(x)} %{{x:.4g}}<br>gave up after %{{y:.4g}} s<br>%{{customdata}}<extra></extra>"),
        row=2, col=1,
    )
    fig.update_layout(yaxis3={"overlaying": "y", "range": [0, 1], "visible": False, "fixedrange": True})
    if downtime_limit_ms is not None:
        fig.add_hline(y=downtime_limit_ms, line={"dash": "dot", "color": COLOURS["threshold"]}, row=1, col=1,
                      annotation_text=f"downtime limit {downtime_limit_ms:g} ms", annotation_position="top left")
    completed = df["completed"].astype(bool)
    down_type = _axis_type(np.append(df.loc[completed, "downtime_ms"].to_numpy(dtype=float), downtime_limit_ms or np.nan))
    total_type = _axis_type(df["total_time_s"].to_numpy(dtype=float))
    fig.update_yaxes(title_text="downtime (ms)", type=down_type, row=1, col=1)
    fig.update_yaxes(title_text="total time (s)", type=total_type, row=2, col=1)
    fig.update_xaxes(title_text=_label(x), row=2, col=1)
    fig.update_layout(title=title or f"Downtime and total time against {_label(x)}", template=_TEMPLATE, height=height,
                      hovermode="closest")
    return fig


# ---- convergence map --------------------------------------------------------------------------
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
    v = np.asarray(values, dtype=float)
    if v.size < 3 or (v <= 0).any() or v.max() / v.min() < 20:
        return False
    steps = np.diff(np.log(v))
    return bool(np.allclose(steps, steps[0], rtol=1e-3))


def _edges(values: np.ndarray, log: bool) -> tuple[float, float]:
    v = np.log(values) if log else values
    half = (v[1] - v[0]) / 2 if v.size > 1 else (abs(v[0]) * 0.5 or 0.5)
    half_hi = (v[-1] - v[-2]) / 2 if v.size > 1 else half
    lo, hi = v[0] - half, v[-1] + half_hi
    return (float(np.exp(lo)), float(np.exp(hi))) if log else (float(lo), float(hi))


def convergence_map_figure(
    df: pd.DataFrame,
    x: str = "dirty_rate_mib_s",
    y: str = "bandwidth_mib_s",
    z: str = "downtime_ms",
    threshold_line: bool = True,
    *,
    policy: PrecopyPolicy | None = None,
    vm: VM | None = None,
    bandwidth_mib_s: float | None = None,
    log_z: bool | None = None,
    title: str | None = None,
    height: int = 520,
) -> go.Figure:
    """A heatmap of ``z`` over two varied inputs, non-converged cells in their own colours.

    Converged cells carry the colour of ``z`` (log colour scale when it spans more than a
    factor 30); cells forced into the stop-and-copy without converging are orange, cancelled
    ones grey. With dirty rate and bandwidth on the axes, the boundary lines follow from
    the model: the dirty set shrinks round after round only while the dirty rate is below
    the pre-copy rate ``R = efficiency x min(bandwidth, max_bandwidth)``, so the first line
    is ``dirty rate = R``. A working set W caps the dirty set, which then fits in the
    downtime limit once ``W <= R x downtime limit``: above that bandwidth (second line,
    QEMU's rule only) every dirty rate converges. The lines are the boundaries of the
    working-set model without timeouts; the QEMU first-window rule, timeouts and the uniform
    pattern move the real boundary a little.

    Parameters
    ----------
    df : pandas.DataFrame
        From :func:`vmlab.precopy_grid`, varying ``x`` and ``y`` (e.g. built with
        ``np.meshgrid``).
    x, y : str
        Input columns on the axes.
    z : str
        Result column for the colour (``downtime_ms``, ``total_time_s``, ``data_sent_mib``,
        ``n_rounds``).
    threshold_line : bool
        Draw the boundary lines (when one axis is the dirty rate).
    policy : PrecopyPolicy, optional
        The policy the grid used (default :meth:`PrecopyPolicy.qemu`, as in
        :func:`vmlab.precopy_grid`): its rate cap, efficiency and downtime limit place the
        lines. A parameter, not a model run.
    vm : VM, optional
        The VM the grid used; its ``wws_mib`` places the working-set line.
    bandwidth_mib_s : float, optional
        The fixed bandwidth when bandwidth is not on an axis (default: the table's
        ``bandwidth_mib_s`` column if constant, else 119.2).
    log_z : bool, optional
        Log colour scale; default when ``z`` spans more than a factor 30.
    title, height : optional

    Returns
    -------
    plotly.graph_objects.Figure
        Traces: 0 the ``z`` heatmap (NaN where not converged), 1 the status heatmap of the
        non-converged cells (1 forced, 2 cancelled, NaN elsewhere), 2-3 legend entries for
        those colours, then the boundary lines (named ``"dirty rate = pre-copy rate"`` and
        ``"working set = rate x downtime limit"``).

    Examples
    --------
    >>> import numpy as np
    >>> from vmlab import precopy_grid, PrecopyPolicy
    >>> D, B = np.meshgrid(np.linspace(0, 400, 21), np.linspace(20, 400, 20))
    >>> policy = PrecopyPolicy.qemu(timeout_s=120)
    >>> fig = convergence_map_figure(precopy_grid(dirty_rate_mib_s=D, bandwidth_mib_s=B, policy=policy), policy=policy)
    >>> fig.data[0].z.shape, [t.name for t in fig.data[4:]]
    ((20, 21), ['dirty rate = pre-copy rate'])
    """
    _check_frame(df, x, y, z, "converged", "completed")
    policy = PrecopyPolicy.qemu() if policy is None else policy
    if not isinstance(policy, PrecopyPolicy):
        raise TypeError(f"policy must be a PrecopyPolicy; got {type(policy).__name__}")
    extra = ["stop"] if "stop" in df.columns else []
    frame = df[[x, y, z, "converged", "completed", *extra]].copy()
    frame[z] = frame[z].astype(float)
    frame["converged"] = frame["converged"].astype(float)
    frame["completed"] = frame["completed"].astype(float)
    if extra:
        frame["stop"] = frame["stop"].astype(str)
    xs, ys, g = _pivot(frame, x, y, [z, "converged", "completed", *extra], source=df)
    conv = g["converged"] == 1
    status = np.where(conv | np.isnan(g["converged"]), np.nan, np.where(g["completed"] == 1, 1.0, 2.0))
    Z = np.where(conv, g[z], np.nan)
    if log_z is None:
        log_z = _axis_type(Z) == "log"
    with np.errstate(divide="ignore", invalid="ignore"):
        Zc = np.where(Z > 0, np.log10(Z), np.nan) if log_z else Z
    zlabel = _label(z)
    hover_z = np.vectorize(lambda v: "n/a" if not np.isfinite(v) else f"{v:.4g}", otypes=[object])(g[z])
    stops = g["stop"] if extra else np.where(status == 1, "forced", "cancelled").astype(object)
    colorbar = {"title": {"text": zlabel + (" (log)" if log_z else "")}}
    if log_z and np.isfinite(Zc).any():
        lo, hi = int(np.floor(np.nanmin(Zc))), int(np.ceil(np.nanmax(Zc)))
        ticks = list(range(lo, hi + 1))
        colorbar.update(tickvals=ticks, ticktext=[f"{10.0**t:g}" for t in ticks])
    fig = go.Figure()
    fig.add_trace(
        go.Heatmap(x=xs, y=ys, z=Zc, colorscale="Viridis", colorbar=colorbar, name=zlabel, text=hover_z,
                   hovertemplate=f"{_label(x)} %{{x:.4g}}<br>{_label(y)} %{{y:.4g}}<br>{zlabel} %{{text}}<extra>converged</extra>")
    )
    fig.add_trace(
        go.Heatmap(x=xs, y=ys, z=status, zmin=1, zmax=2, showscale=False, name="not converged",
                   colorscale=[[0, COLOURS["forced"]], [0.5, COLOURS["forced"]], [0.5, COLOURS["cancelled"]], [1, COLOURS["cancelled"]]],
                   customdata=np.dstack([stops, hover_z]),
                   hovertemplate=f"{_label(x)} %{{x:.4g}}<br>{_label(y)} %{{y:.4g}}<br>%{{customdata[0]}}"
                   f"<br>{zlabel} %{{customdata[1]}}<extra>not converged</extra>")
    )
    for key, name in (("forced", "forced stop-and-copy (not converged)"), ("cancelled", "cancelled (never converged)")):
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=name, hoverinfo="skip",
                                 marker={"symbol": "square", "size": 12, "color": COLOURS[key]}))
    log_x, log_y = _geometric(xs), _geometric(ys)
    x_range, y_range = _edges(xs, log_x), _edges(ys, log_y)
    note = _boundary_lines(fig, df, x, y, xs, ys, policy, vm, bandwidth_mib_s) if threshold_line else ""
    fig.update_layout(
        title=title or f"{zlabel} where pre-copy converges ({policy.name})" + (f"<br><sup>{note}</sup>" if note else ""),
        template=_TEMPLATE,
        height=height,
        xaxis={"title": _label(x), "type": "log" if log_x else "linear",
               "range": [math.log10(v) for v in x_range] if log_x else list(x_range)},
        yaxis={"title": _label(y), "type": "log" if log_y else "linear",
               "range": [math.log10(v) for v in y_range] if log_y else list(y_range)},
        legend={"orientation": "h", "yanchor": "top", "y": -0.18, "x": 0},
    )
    return fig


def precopy_rate(bandwidth_mib_s, policy: PrecopyPolicy):
    """Rate of the pre-copy rounds: ``efficiency x min(bandwidth, max_bandwidth)`` (MiB/s).

    >>> from vmlab import PrecopyPolicy
    >>> float(precopy_rate(1192.0, PrecopyPolicy.qemu())), float(precopy_rate(100.0, PrecopyPolicy.qemu()))
    (128.0, 100.0)
    """
    cap = math.inf if policy.max_bandwidth_mib_s is None else policy.max_bandwidth_mib_s
    return policy.bandwidth_efficiency * np.minimum(bandwidth_mib_s, cap)


def _boundary_lines(fig, df, x, y, xs, ys, policy, vm, bandwidth_mib_s) -> str:
    """Add the boundary lines; return a note for the subtitle ("" if none)."""
    dirty, bw = "dirty_rate_mib_s", "bandwidth_mib_s"
    line = {"color": "#e31a1c", "width": 3, "dash": "dash"}
    wline = {"color": "#17becf", "width": 3, "dash": "dot"}
    cap = math.inf if policy.max_bandwidth_mib_s is None else policy.max_bandwidth_mib_s
    wws = None if vm is None else vm.wws_mib
    if {x, y} == {dirty, bw}:
        b_axis = ys if y == bw else xs
        b = np.linspace(b_axis.min(), b_axis.max(), 400)
        rate = precopy_rate(b, policy)
        lx, ly = (rate, b) if x == dirty else (b, rate)
        fig.add_trace(go.Scatter(x=lx, y=ly, mode="lines", line=line, name="dirty rate = pre-copy rate",
                                 hovertemplate="dirty rate = pre-copy rate<br>%{x:.4g}, %{y:.4g}<extra></extra>"))
        if wws is not None and policy.stop_rule == "downtime":
            need = wws / (policy.downtime_limit_ms / 1000) / policy.bandwidth_efficiency  # bandwidth where W = R x limit
            name = "working set = rate x downtime limit"
            if need <= cap:
                d_axis = xs if x == dirty else ys
                seg = [float(d_axis.min()), float(d_axis.max())]
                lx, ly = (seg, [need, need]) if x == dirty else ([need, need], seg)
                fig.add_trace(go.Scatter(x=lx, y=ly, mode="lines", line=wline, name=name,
                                         hovertemplate=f"{wws:g} MiB working set fits in {policy.downtime_limit_ms:g} ms "
                                         f"from {need:.4g} MiB/s<extra></extra>"))
            else:
                return (f"the {wws:g} MiB working set never fits in {policy.downtime_limit_ms:g} ms: that needs "
                        f"{need:.4g} MiB/s, the pre-copy cap is {cap:g} MiB/s")
        return ""
    if dirty in (x, y):
        if bandwidth_mib_s is None:
            bandwidth_mib_s = float(df[bw].iloc[0]) if bw in df.columns and df[bw].nunique() == 1 else 119.2
        rate = float(precopy_rate(bandwidth_mib_s, policy))
        other = ys if x == dirty else xs
        seg = [float(other.min()), float(other.max())]
        lx, ly = ([rate, rate], seg) if x == dirty else (seg, [rate, rate])
        fig.add_trace(go.Scatter(x=lx, y=ly, mode="lines", line=line, name="dirty rate = pre-copy rate",
                                 hovertemplate=f"pre-copy rate {rate:.4g} MiB/s<extra></extra>"))
    return ""


# ---- live versus cold: moved to vmlab.figures.live_vs_cold -------------------------------------
_MOVED = {"live_vs_cold_verdict", "live_vs_cold_traces", "live_vs_cold_figure", "winner_map_figure"}


def __getattr__(name: str):
    """The live-versus-cold figures, re-exported from :mod:`vmlab.figures.live_vs_cold` on first use."""
    if name in _MOVED:
        from vmlab.figures import live_vs_cold

        return getattr(live_vs_cold, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
