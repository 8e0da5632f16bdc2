"""Figures for live versus cold migration: results in, :class:`plotly.graph_objects.Figure` out.

* :func:`live_vs_cold_figure`: downtime, total time and data sent of one live and one cold
  migration side by side, each bar split into what moved the disk (the live block mirror or the
  cold disk copy), what moved memory, and the fixed steps (setup, shutdown, boot, resume, ARP).
* :func:`winner_map_figure`: which of the two wins where, from :func:`vmlab.live_vs_cold_grid`,
  with the cells where the live disk mirror never got in sync marked apart.
* :func:`live_vs_cold_reasons`: one sentence per criterion on why live wins or loses.

The winner rule is :func:`vmlab.live_vs_cold_verdict` (re-exported here). These functions never
run a model; the explorer (:mod:`vmlab.explorers.live_vs_cold`) updates the traces in place, so
the trace order documented in each function is part of the contract.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from vmlab.figures._style import _TEMPLATE, COLOURS, _axis_type, _check_frame, _grid_axes, _label, _pivot
from vmlab.format import format_duration, format_mib
from vmlab.migration.cold import ColdResult
from vmlab.migration.compare import LiveStorageResult, live_vs_cold_verdict
from vmlab.migration.precopy import PrecopyResult
from vmlab.units import gib_to_mib

__all__ = [
    "PANELS", "PARTS", "PART_COLOURS", "live_vs_cold_parts", "live_vs_cold_reasons", "live_vs_cold_traces",
    "live_vs_cold_figure", "live_vs_cold_verdict", "winner_map_figure",
]

PANELS = ("downtime", "total time", "data sent")
"""The three panels of :func:`live_vs_cold_figure` (keys of :func:`vmlab.live_vs_cold_verdict`)."""

PARTS = ("disk", "memory", "other")
"""What each bar segment moved: the disk, memory, or nothing (fixed steps)."""

PART_COLOURS = {"disk": "#ff7f0e", "memory": "#1f77b4", "other": "#9e9e9e"}
"""One colour per segment (the disk in the colour of the cold timeline's disk move)."""

_PART_NAMES = {"disk": "disk (live: block mirror; cold: disk copy)", "memory": "memory",
               "other": "fixed steps (setup, shutdown, boot, resume, ARP)"}
_SIDE_NAMES = {
    "live": {"disk": "disk mirror", "memory": "memory pre-copy", "other": "setup, resume, ARP"},
    "cold": {"disk": "disk copy", "memory": "memory", "other": "shutdown, metadata, registration, boot"},
}
_OTHER_PHASES = ("preparation", "resume", "gratuitous ARP")


def _check(live, cold) -> None:
    if not isinstance(live, (PrecopyResult, LiveStorageResult)):
        raise TypeError(f"live must be a PrecopyResult or LiveStorageResult; got {type(live).__name__}")
    if not isinstance(cold, ColdResult):
        raise TypeError(f"cold must be a ColdResult (from vmlab.cold_migration); got {type(cold).__name__}")


def _moves_disk(live) -> bool:
    return isinstance(live, LiveStorageResult) and not live.shared_storage and live.disk_gib > 0


def live_vs_cold_parts(result: PrecopyResult | LiveStorageResult | ColdResult) -> dict[str, dict[str, float] | None]:
    """Panel -> part -> value: the stacked segments of one bar of :func:`live_vs_cold_figure`.

    Durations in s, data in MiB; each panel's parts add up to the result's downtime, total time
    and data sent. ``None`` for the downtime of a live migration that did not complete.

    >>> from vmlab import VM, Link, cold_migration
    >>> p = live_vs_cold_parts(cold_migration(VM(), Link(bandwidth_mib_s=119.2), disk_gib=40))
    >>> round(p["total time"]["disk"]), p["total time"]["memory"], round(p["data sent"]["disk"])
    (345, 0.0, 40960)
    """
    if isinstance(result, ColdResult):
        s = result.steps
        disk_move = s["step"] == "disk move"
        disk_s = float(s.loc[disk_move, "duration_s"].sum())
        time = {"disk": disk_s, "memory": 0.0, "other": result.total_time_s - disk_s}
        disk_mib = float(s.loc[disk_move, "data_mib"].sum())
        return {"downtime": dict(time), "total time": time,
                "data sent": {"disk": disk_mib, "memory": 0.0, "other": result.data_sent_mib - disk_mib}}
    p = result.phases
    part = p["part"] if "part" in p.columns else pd.Series(np.where(p["phase"].isin(_OTHER_PHASES), "other", "memory"))
    dur = p["duration_s"].to_numpy(dtype=float)
    running = p["vm_running"].to_numpy(dtype=bool)

    def split(total: float, mask: np.ndarray) -> dict[str, float]:
        disk = float(dur[mask & (part == "disk").to_numpy()].sum())
        other = float(dur[mask & (part == "other").to_numpy()].sum())
        return {"disk": disk, "memory": max(total - disk - other, 0.0), "other": other}

    disk_mib = result.disk_data_sent_mib if isinstance(result, LiveStorageResult) else 0.0
    return {
        "downtime": split(result.downtime_ms / 1000.0, ~running) if result.completed else None,
        "total time": split(result.total_time_s, np.ones(dur.size, dtype=bool)),
        "data sent": {"disk": disk_mib, "memory": result.data_sent_mib - disk_mib, "other": 0.0},
    }


def _why_not_completed(live) -> str:
    if _moves_disk(live) and not live.mirror_in_sync:
        why = live.stop_reason.removeprefix("did not converge: ")
    elif isinstance(live, LiveStorageResult) and live.memory is not None:
        share = (f" on the {live.memory.link.bandwidth_mib_s:.4g} MiB/s the disk mirror leaves it"
                 if _moves_disk(live) else "")
        why = f"the memory pre-copy{share} {live.memory.stop_reason}"
    else:
        why = f"the memory pre-copy {live.stop_reason}"
    return f"live did not complete: {why}; the VM never moved"


def live_vs_cold_reasons(live: PrecopyResult | LiveStorageResult, cold: ColdResult) -> dict[str, str]:
    """Why live wins or loses, one sentence per criterion (keys as :func:`vmlab.live_vs_cold_verdict`).

    >>> from vmlab import VM, Link, cold_migration, live_migration_with_storage
    >>> vm, link = VM(memory_mib=4096, dirty_rate_mib_s=30), Link(bandwidth_mib_s=119.2)
    >>> live = live_migration_with_storage(vm, link, disk_gib=40, disk_dirty_rate_mib_s=5)
    >>> live_vs_cold_reasons(live, cold_migration(vm, link, disk_gib=40))["data sent"]  # doctest: +ELLIPSIS
    'both send the 40 GiB disk; live also sends memory (5,549 MiB) and the disk blocks the guest rewrote ...'
    """
    _check(live, cold)
    verdict = live_vs_cold_verdict(live, cold)
    if not live.completed:
        text = _why_not_completed(live)
        return {k: text for k in verdict}
    storage = _moves_disk(live)
    lp, cp = live_vs_cold_parts(live), live_vs_cold_parts(cold)
    live_down, cold_down = live.downtime_ms / 1000.0, (cold.downtime_ms / 1000.0)
    reasons = {}
    if verdict["downtime"] == "live":
        what = "the last dirty pages" + (" and disk blocks" if storage else "")
        reasons["downtime"] = (f"live pauses the VM only to copy {what} ({format_duration(live_down)}); "
                               f"cold is down for the whole move ({format_duration(cold_down)})")
    else:
        reasons["downtime"] = (f"live's pause ({format_duration(live_down)}, {live.stop}) is longer than the whole "
                               f"cold move ({format_duration(cold_down)})")
    live_t, cold_t = lp["total time"], cp["total time"]
    if storage:
        parts = (f"live mirrors the disk in {format_duration(live_t['disk'])} (re-sending what the guest rewrites at "
                 f"{live.disk_dirty_rate_mib_s:.4g} MiB/s), then moves memory in {format_duration(live_t['memory'])}; "
                 f"cold copies the disk once in {format_duration(cold_t['disk'])}, plus {format_duration(cold_t['other'])} "
                 "of shutdown and boot")
    else:
        parts = (f"live moves memory only, in {format_duration(live_t['memory'])} ({live.n_rounds} rounds); cold "
                 f"{'copies the disk, ' if not cold.shared_storage else ''}shuts down and boots in "
                 f"{format_duration(cold.total_time_s)}")
    reasons["total time"] = f"{verdict['total time']} finishes first: {parts}"
    if verdict["data sent"] == "live":
        reasons["data sent"] = f"live sends {format_mib(live.data_sent_mib)} against {format_mib(cold.data_sent_mib)} for cold"
    elif storage:
        rewritten = max(live.disk_data_sent_mib - gib_to_mib(live.disk_gib), 0.0)
        reasons["data sent"] = (f"both send the {live.disk_gib:g} GiB disk; live also sends memory "
                                f"({format_mib(live.memory_data_sent_mib)}) and the disk blocks the guest rewrote "
                                f"meanwhile ({format_mib(rewritten)})")
    elif cold.shared_storage:
        reasons["data sent"] = (f"with shared storage cold sends only the configuration ({format_mib(cold.data_sent_mib)}); "
                                f"live sends memory ({live.data_sent_mib / live.vm.memory_mib:.2f}x RAM)")
    else:
        reasons["data sent"] = (f"live sends {format_mib(live.data_sent_mib)} of memory, more than the cold disk copy "
                                f"({format_mib(cold.data_sent_mib)})")
    return reasons


def live_vs_cold_traces(live: PrecopyResult | LiveStorageResult, cold: ColdResult) -> tuple[list[dict], str, list[dict]]:
    """Data of the twelve traces of :func:`live_vs_cold_figure`, its title and the three y axes.

    Per panel (downtime, total time, data sent): three bar segments (disk, memory, other) with
    ``x = [live, cold]``, then a text trace with each bar's total. An axis is logarithmic
    (starting a decade below the smaller bar) when the two totals differ by more than a factor
    30, else linear from zero: a log axis with a narrow range would make 60 s against 63 s look
    like a factor of ten.
    """
    _check(live, cold)
    verdict = live_vs_cold_verdict(live, cold)
    storage = _moves_disk(live)
    live_name = (f"live ({live.policy.name})<br>{'disk mirror + memory' if storage else 'memory only'}"
                 if live.completed else f"live ({live.policy.name})<br>did not complete")
    cold_name = "cold<br>" + ("shared storage" if cold.shared_storage else f"{cold.disk_gib:g} GiB disk")
    names = [live_name, cold_name]
    lp, cp = live_vs_cold_parts(live), live_vs_cold_parts(cold)
    totals = {
        "downtime": (live.downtime_ms / 1000.0 if live.completed else None, (cold.downtime_ms / 1000.0)),
        "total time": (live.total_time_s, cold.total_time_s),
        "data sent": (live.data_sent_mib, cold.data_sent_mib),
    }
    traces, axes = [], []
    for panel in PANELS:
        fmt = format_mib if panel == "data sent" else format_duration
        for part in PARTS:
            values = [None if lp[panel] is None else lp[panel][part], cp[panel][part]]
            hover = [f"{name}<br><b>{_SIDE_NAMES[side][part]}</b>: {'n/a' if v is None else fmt(v)}"
                     for name, side, v in zip(names, ("live", "cold"), values)]
            traces.append({"x": names, "y": values, "hovertext": hover})
        a, b = totals[panel]
        text = [fmt(a) if a is not None else "none:<br>the VM<br>never moved", fmt(b)]
        if panel == "total time" and not live.completed:
            text[0] = f"{fmt(a)}, in vain"
        label_y = [a if a is not None else (b if panel != "downtime" else None), b]
        traces.append({"x": names, "y": label_y, "text": text})
        v = np.array([np.nan if t is None else t for t in (a, b)], dtype=float)
        v = v[np.isfinite(v) & (v > 0)]
        if _axis_type(v) == "log":
            axes.append({"type": "log", "range": [math.log10(v.min()) - 1, math.log10(v.max()) + 0.35]})
        else:
            axes.append({"type": "linear", "range": [0, 1.25 * (v.max() if v.size else 1.0)]})
    if traces[3]["y"][0] is None:  # no live downtime: its label halfway up the (linear) axis
        traces[3]["y"][0] = 0.5 * (cold.downtime_ms / 1000.0)
    title = "Live vs cold · " + " · ".join(f"{k}: <b>{v}</b>" for k, v in verdict.items())
    if not live.completed:
        title += f"<br><sup>the live migration did not complete ({live.stop}): the VM never moved</sup>"
    elif storage:
        title += (f"<br><sup>no shared storage: live mirrors the {live.disk_gib:g} GiB disk first "
                  f"({format_duration(live.mirror_time_s)}), then moves memory</sup>")
    return traces, title, axes


def live_vs_cold_figure(live: PrecopyResult | LiveStorageResult, cold: ColdResult, *, title: str | None = None,
                        height: int = 480) -> go.Figure:
    """Downtime, total time and data sent of a live and a cold migration, side by side.

    Each bar is split into what moved the disk (orange: the live block mirror of
    :func:`vmlab.live_migration_with_storage`, or the cold disk copy), what moved memory (blue)
    and the fixed steps (grey: setup, resume and ARP; shutdown, registration and boot); hovering
    a segment gives its value, the label above a bar its total. A panel's y axis turns
    logarithmic when the two bars differ by more than a factor 30 (a live blackout is
    milliseconds against minutes of a cold move), else it is linear from zero. A live migration
    that did not complete has no downtime bar (the VM never moved; its label says why).

    Returns
    -------
    plotly.graph_objects.Figure
        Twelve traces, four per panel (downtime in s, total time in s, data sent in MiB): bar
        segments disk, memory, other (stacked), then the totals as text; each with
        ``x = [live, cold]``.

    Examples
    --------
    >>> from vmlab import VM, Link, live_migration_with_storage, cold_migration
    >>> vm, link = VM(memory_mib=4096, dirty_rate_mib_s=30), Link(bandwidth_mib_s=119.2)
    >>> live = live_migration_with_storage(vm, link, disk_gib=40, disk_dirty_rate_mib_s=5)
    >>> fig = live_vs_cold_figure(live, cold_migration(vm, link, disk_gib=40))
    >>> fig.data[8].y[0] == live.disk_data_sent_mib, fig.data[7].y[0] == live.total_time_s
    (True, True)
    """
    traces, auto_title, axes = live_vs_cold_traces(live, cold)
    fig = make_subplots(rows=1, cols=3, subplot_titles=("downtime (s)", "total time (s)", "data sent (MiB)"),
                        horizontal_spacing=0.09)
    units = ("s", "s", "MiB")
    for col, (unit, axis) in enumerate(zip(units, axes), start=1):
        group = traces[4 * (col - 1): 4 * col]
        for part, data in zip(PARTS, group[:3]):
            fig.add_trace(go.Bar(name=_PART_NAMES[part], marker_color=PART_COLOURS[part], legendgroup=part,
                                 showlegend=col == 1, hovertemplate="%{hovertext}<extra></extra>", **data),
                          row=1, col=col)
        fig.add_trace(go.Scatter(mode="text", textposition="top center", showlegend=False, hoverinfo="skip",
                                 cliponaxis=False, textfont={"size": 12}, **group[3]), row=1, col=col)
        fig.update_yaxes(title_text=unit, row=1, col=col, **axis)
    fig.update_xaxes(tickangle=0)
    fig.update_layout(title=title or auto_title, template=_TEMPLATE, height=height, margin={"t": 120}, bargap=0.35,
                      barmode="stack", legend={"orientation": "h", "yanchor": "top", "y": -0.2, "x": 0})
    return fig


def winner_map_figure(
    df: pd.DataFrame,
    *,
    x: str = "dirty_rate_mib_s",
    y: str = "bandwidth_mib_s",
    criterion: str | None = None,
    title: str | None = None,
    height: int = 480,
) -> go.Figure:
    """Which of live and cold migration wins where, from :func:`vmlab.live_vs_cold_grid`.

    Four colours: live wins (blue), cold wins on the numbers (brown), cold wins because the live
    memory pre-copy did not complete (pale brown), cold wins because the live disk mirror never
    got in sync (orange: the guest writes its disk too fast for the link, or too slowly gets in
    sync before the timeout).

    Parameters
    ----------
    df : pandas.DataFrame
        From :func:`vmlab.live_vs_cold_grid` (needs a ``winner`` column).
    x, y : str
        Input columns on the axes.
    criterion : str, optional
        The criterion the grid used, for the title.

    Returns
    -------
    plotly.graph_objects.Figure
        Trace 0 the heatmap (0 live, 1 cold, 2 cold because live did not complete, 3 cold
        because the disk mirror never got in sync), then one legend entry per category.

    Examples
    --------
    >>> import numpy as np
    >>> from vmlab import live_vs_cold_grid
    >>> D, W = np.meshgrid([10.0, 60.0, 5000.0], [0.0, 200.0])
    >>> fig = winner_map_figure(live_vs_cold_grid(dirty_rate_mib_s=D, bandwidth_mib_s=119.2,
    ...                                           disk_dirty_rate_mib_s=W), y="disk_dirty_rate_mib_s")
    >>> fig.data[0].z.tolist()
    [[0.0, 0.0, 2.0], [3.0, 3.0, 3.0]]
    """
    _check_frame(df, x, y, "winner", "completed")
    frame = df[[x, y, "winner", "completed", "downtime_ms", "total_time_s", "data_sent_mib"]].copy()
    cold_cols = [c for c in ("cold_downtime_s", "cold_data_sent_mib", "stop", "mirror_in_sync", "disk_data_sent_mib")
                 if c in df.columns]
    for c in cold_cols:
        frame[c] = df[c].astype(str) if c == "stop" else df[c]
    mirror_ok = frame["mirror_in_sync"].to_numpy(dtype=bool) if "mirror_in_sync" in cold_cols else np.ones(len(frame), bool)
    done = frame["completed"].to_numpy(dtype=bool)
    frame["code"] = np.where(frame["winner"] == "live", 0.0, np.where(done, 1.0, np.where(mirror_ok, 2.0, 3.0)))

    def info(r) -> str:
        if not getattr(r, "mirror_in_sync", True) and not r.completed:
            live = "disk mirror never in sync"
        else:
            live = ("downtime " + format_duration(r.downtime_ms / 1000)) if r.completed else "did not complete"
        disk = getattr(r, "disk_data_sent_mib", 0.0)
        text = (f"live: {live}, total {format_duration(r.total_time_s)}, sent {format_mib(r.data_sent_mib)}"
                + (f" ({format_mib(disk)} disk)" if disk else ""))
        if hasattr(r, "cold_downtime_s"):
            text += f"<br>cold: down {format_duration(r.cold_downtime_s)}"
        if hasattr(r, "cold_data_sent_mib"):
            text += f", sent {format_mib(r.cold_data_sent_mib)}"
        return text

    frame["info"] = [info(r) for r in frame.itertuples(index=False)]
    xs, ys, g = _pivot(frame, x, y, ["code", "info"], source=df)
    palette = [COLOURS["live"], COLOURS["cold"], COLOURS["cold (live did not complete)"], "#f4a259"]
    scale = []
    for i, colour in enumerate(palette):
        scale += [[i / 4, colour], [(i + 1) / 4, colour]]
    fig = go.Figure()
    fig.add_trace(
        go.Heatmap(x=xs, y=ys, z=g["code"], zmin=-0.5, zmax=3.5, colorscale=scale, showscale=False, text=g["info"],
                   hovertemplate=f"{_label(x)} %{{x:.4g}}<br>{_label(y)} %{{y:.4g}}<br>%{{text}}<extra></extra>")
    )
    names = ("live wins", "cold wins", "cold wins (live did not complete)", "cold wins (live disk mirror never in sync)")
    for colour, name in zip(palette, names):
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=name, hoverinfo="skip",
                                 marker={"symbol": "square", "size": 12, "color": colour}))
    xaxis, yaxis = _grid_axes(xs, ys, x, y)
    what = f" on {criterion.replace('_', ' ')}" if criterion else ""
    fig.update_layout(
        title=title or f"Where live migration wins{what}",
        template=_TEMPLATE,
        height=height,
        xaxis=xaxis,
        yaxis=yaxis,
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
        margin={"t": 100},
    )
    return fig

