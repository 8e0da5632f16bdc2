"""Figures of one pre-copy run and of a pre-copy sweep: results in, plotly figures out.

* :func:`rounds_figure`: per-round data sent against data dirtied, the stop-and-copy bar and
  the switch-over threshold (:func:`rounds_traces` and :func:`rounds_layout` give the parts an
  explorer updates in place).
* :func:`downtime_curve_figure`: downtime and total time against one varied input of a
  :func:`vmlab.precopy_grid` table.

These functions never run a model: they draw the results and tables they are given. The trace
order documented in each function is part of the contract with the explorers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from vmlab.figures._style import (
    _DOWN_PATTERN,
    _TEMPLATE,
    COLOURS,
    _axis_type,
    _check_frame,
    _check_precopy,
    _flat,
    _input_columns,
    _label,
)
from vmlab.format import format_duration, format_mib
from vmlab.migration.precopy import PrecopyResult

__all__ = ["rounds_title", "rounds_traces", "rounds_layout", "rounds_figure", "downtime_curve_figure"]


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
