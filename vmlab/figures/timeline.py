"""Migration timelines: the steps of live and cold migrations on one time axis.

* :func:`timeline_figure`: one row per result, the steps of the lecture notes as bars, the
  blackout marked (a live blackout is milliseconds, a cold one minutes);
  :func:`timeline_traces` and :func:`timeline_layout` give the parts an explorer updates in
  place.

These functions never run a model; the trace order (:data:`TIMELINE_LABELS`, then the blackout
markers) is part of the contract with the explorers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from vmlab.figures._style import _DOWN_PATTERN, _TEMPLATE, COLOURS, PHASE_COLOURS, _flat
from vmlab.format import format_duration
from vmlab.migration.cold import COLD_STEPS, ColdResult
from vmlab.migration.precopy import PrecopyResult

__all__ = ["LIVE_PHASES", "TIMELINE_LABELS", "timeline_traces", "timeline_layout", "timeline_figure"]

LIVE_PHASES = (
    "preparation",
    "pre-copy (full pass)",
    "iterative transfer",
    "pause: stop-and-copy",
    "resume",
    "gratuitous ARP",
)
"""Phase labels of :attr:`PrecopyResult.phases`, in order."""

TIMELINE_LABELS = LIVE_PHASES + COLD_STEPS
"""Every bar trace of :func:`timeline_figure`, in trace order (the blackout markers come last)."""


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
    """The steps of one or more migrations on a shared time axis, one row per result.

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
