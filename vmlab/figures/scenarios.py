"""Figures for the four reasons to migrate: results in, :class:`plotly.graph_objects.Figure` out.

* :func:`evacuation_gantt`: one bar per VM from its start to its switch-over, blackouts
  marked, the moment the host is empty and the bandwidth bound as vertical lines.
* :func:`evacuation_comparison_figure`: time to empty and worst downtime for each
  (parallel, order) of :func:`vmlab.compare_evacuations`.
* :func:`balancing_figure`: CPU utilisation of both hosts and the link before, during and
  after the move; benefit per GiB of each candidate.
* :func:`consolidation_figure`: host utilisation before/after packing; net energy saved
  against the length of the idle period, with the break-even.
* :func:`race_figure`: the VMs of a failing host racing its predicted failure.
* :func:`escape_curve_figure`: VMs saved against the warning's lead time.

These functions never run a model. Trace counts are fixed per figure (documented in each),
so the explorers can update them in place.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from vmlab.format import format_duration
from vmlab.scenarios.balancing import BalanceResult
from vmlab.scenarios.consolidation import ConsolidationResult
from vmlab.scenarios.evacuation import EvacuationResult
from vmlab.scenarios.fault_tolerance import EscapeResult
from vmlab.units import mib_to_gib

__all__ = [
    "SCENARIO_COLOURS",
    "evacuation_gantt",
    "fill_evacuation_gantt",
    "evacuation_comparison_figure",
    "balancing_figure",
    "fill_balancing_figure",
    "consolidation_figure",
    "fill_consolidation_figure",
    "race_figure",
    "fill_race_figure",
    "escape_curve_figure",
]

SCENARIO_COLOURS = {
    "live": "#1f77b4",
    "blackout": "#d62728",
    "not completed": "#9e9e9e",
    "source": "#d62728",
    "destination": "#2ca02c",
    "network": "#9467bd",
    "saved": "#2ca02c",
    "lost": "#d62728",
    "cold": "#8c564b",
    "before": "#9e9e9e",
    "after": "#1f77b4",
    "energy": "#2ca02c",
    "smallest_first": "#1f77b4",
    "largest_first": "#ff7f0e",
    "shortest_first": "#2ca02c",
    "longest_first": "#d62728",
    "least_dirty_first": "#17becf",
    "most_dirty_first": "#9467bd",
    "given": "#7f7f7f",
}
"""Colours shared by the scenario figures."""


def _vline(x: float, text: str, colour: str, dash: str = "dash", yref: str = "paper", row_top: float = 1.0) -> tuple[dict, dict]:
    shape = dict(type="line", x0=x, x1=x, y0=0, y1=row_top, yref=yref, line=dict(color=colour, dash=dash, width=2))
    note = dict(x=x, y=row_top, yref=yref, text=text, showarrow=False, yanchor="bottom", font=dict(color=colour, size=11))
    return shape, note


def evacuation_gantt(result: EvacuationResult, *, title: str | None = None, height: int = 420) -> go.Figure:
    """Per-VM Gantt chart of a host evacuation.

    Traces: 0 live migration bars (start to blackout), 1 blackout markers (hover: downtime),
    2 migrations that did not complete. Shapes: the host-empty time and the bandwidth bound.
    :func:`fill_evacuation_gantt` rewrites the data in place (explorers).

    >>> from vmlab import VM, Link, evacuate
    >>> r = evacuate([VM(memory_mib=1024), VM(memory_mib=2048)], Link(bandwidth_mib_s=119.2))
    >>> fig = evacuation_gantt(r)
    >>> len(fig.data), list(fig.data[0].y)
    (3, ['vm0', 'vm1'])
    """
    fig = go.Figure()
    fig.add_trace(go.Bar(
        name="live migration (VM running)", orientation="h", marker_color=SCENARIO_COLOURS["live"],
        hovertemplate="%{y}: %{customdata[0]:.0f} MiB, dirty %{customdata[1]:.0f} MiB/s, slot %{customdata[2]}"
                      "<br>from %{base:.1f} s for %{x:.1f} s<extra></extra>"))
    fig.add_trace(go.Scatter(
        name="blackout (downtime)", mode="markers",
        marker=dict(color=SCENARIO_COLOURS["blackout"], symbol="line-ns", size=16, line=dict(width=3, color=SCENARIO_COLOURS["blackout"])),
        hovertemplate="%{y}: blackout %{customdata:.0f} ms at %{x:.1f} s<extra></extra>"))
    fig.add_trace(go.Bar(
        name="did not complete (stays on the host)", orientation="h", marker_color=SCENARIO_COLOURS["not completed"],
        hovertemplate="%{y}: cancelled after %{x:.0f} s<extra></extra>"))
    fig.update_layout(barmode="overlay", height=height, xaxis_title="time since the evacuation started (s)",
                      yaxis=dict(title="VM", categoryorder="array"),
                      legend=dict(orientation="h", yanchor="bottom", y=1.08, x=0), margin=dict(t=110))
    fill_evacuation_gantt(fig, result, title=title)
    return fig


def fill_evacuation_gantt(fig: go.Figure, result: EvacuationResult, *, title: str | None = None) -> None:
    """Write ``result`` into the traces and layout of a figure made by :func:`evacuation_gantt`."""
    s = result.schedule
    ok = s["completed"].to_numpy()
    names = s["name"].to_numpy()
    start = s["start_s"].to_numpy()
    live_len = s["blackout_start_s"].to_numpy() - start
    fig.data[0].update(y=names[ok], x=live_len[ok], base=start[ok],
                       customdata=np.c_[s["memory_mib"].to_numpy()[ok], s["dirty_rate_mib_s"].to_numpy()[ok], s["slot"].to_numpy()[ok]])
    fig.data[1].update(y=names[ok], x=s["end_s"].to_numpy()[ok], customdata=s["downtime_ms"].to_numpy()[ok])
    fig.data[2].update(y=names[~ok], x=(s["end_s"].to_numpy() - start)[~ok], base=start[~ok])
    shapes, notes = [], []
    if result.host_empty:
        sh, an = _vline(result.time_to_empty_s, f"host empty: {format_duration(result.time_to_empty_s)}", "#222222", "solid")
        shapes.append(sh)
        notes.append(an)
    sh, an = _vline(result.bandwidth_bound_s, "bytes / bandwidth", "#7f7f7f")
    an["yanchor"] = "top"
    an["y"] = 0.0
    shapes.append(sh)
    notes.append(an)
    head = (f"{len(s)} VMs, {result.parallel} at a time, {result.order.replace('_', ' ')}: "
            f"empty after {format_duration(result.time_to_empty_s)}, downtime Σ {result.total_downtime_ms:.0f} ms, "
            f"worst {result.worst_downtime_ms:.0f} ms, {mib_to_gib(result.data_moved_mib):.1f} GiB moved")
    fig.layout.title.text = title or head
    fig.layout.shapes = shapes
    fig.layout.annotations = notes
    fig.layout.yaxis.categoryarray = list(names)[::-1]


def evacuation_comparison_figure(table: pd.DataFrame, *, height: int = 380) -> go.Figure:
    """Time to empty (left) and worst downtime (right) per parallelism, one trace per order.

    ``table`` comes from :func:`vmlab.compare_evacuations`. Traces: for each order, a bar in
    each panel; then the bandwidth bound as markers.
    """
    fig = make_subplots(rows=1, cols=2, subplot_titles=("time until the host is empty (s)", "worst downtime (ms)"))
    for order, g in table.groupby("order", sort=False):
        colour = SCENARIO_COLOURS.get(order, None)
        x = [f"{k} at a time" for k in g["parallel"]]
        fig.add_trace(go.Bar(name=order.replace("_", " "), x=x, y=g["time_to_empty_s"], marker_color=colour,
                             legendgroup=order), row=1, col=1)
        fig.add_trace(go.Bar(name=order.replace("_", " "), x=x, y=g["worst_downtime_ms"], marker_color=colour,
                             legendgroup=order, showlegend=False), row=1, col=2)
    g = table.drop_duplicates("parallel")
    fig.add_trace(go.Scatter(name="bytes / bandwidth", x=[f"{k} at a time" for k in g["parallel"]], y=g["bandwidth_bound_s"],
                             mode="markers", marker=dict(symbol="line-ew", size=40, line=dict(width=3, color="#222222"))),
                  row=1, col=1)
    fig.update_layout(barmode="group", height=height, legend=dict(orientation="h", y=-0.2))
    return fig


def balancing_figure(result: BalanceResult, *, height: int = 420) -> go.Figure:
    """Left: utilisation of source, destination and link over the move; right: the candidates.

    Traces: 0 source, 1 destination, 2 network (left, step lines), 3 the overload threshold,
    4 benefit per GiB of the feasible candidates, 5 of the others (right).
    :func:`fill_balancing_figure` rewrites them in place.

    >>> from vmlab import VM, Link
    >>> from vmlab.scenarios import PlacedVM, balance_load
    >>> r = balance_load([PlacedVM(name="a", vm=VM(memory_mib=1024), cpu_cores=4),
    ...                   PlacedVM(name="b", vm=VM(memory_mib=1024), cpu_cores=10)],
    ...                  [], Link(), source_cores=16, destination_cores=16)
    >>> len(balancing_figure(r).data)
    6
    """
    fig = make_subplots(rows=1, cols=2, column_widths=[0.6, 0.4],
                        subplot_titles=("utilisation: before, during and after the move", "benefit per GiB migrated"))
    for key in ("source", "destination", "network"):
        fig.add_trace(go.Scatter(name=f"{key} {'link' if key == 'network' else 'CPU'}", mode="lines",
                                 line=dict(color=SCENARIO_COLOURS[key], width=3, dash="dot" if key == "network" else "solid"),
                                 hovertemplate=f"{key}: %{{y:.0%}}<extra></extra>"), row=1, col=1)
    fig.add_trace(go.Scatter(name="over-utilised above", mode="lines", line=dict(color="#7f7f7f", dash="dash")), row=1, col=1)
    fig.add_trace(go.Bar(name="feasible move", marker_color="#2ca02c",
                         hovertemplate="%{x}: %{customdata[0]:.1f} pp for %{customdata[1]:.0f} MiB<extra></extra>"), row=1, col=2)
    fig.add_trace(go.Bar(name="not a candidate", marker_color="#c7c7c7", hovertemplate="%{x}: %{customdata}<extra></extra>"),
                  row=1, col=2)
    fig.update_layout(height=height, legend=dict(orientation="h", y=-0.2))
    fig.update_yaxes(tickformat=".0%", title_text="utilisation", row=1, col=1)
    fig.update_xaxes(title_text="time relative to the start of the migration (s)", row=1, col=1)
    fig.update_yaxes(title_text="percentage points per GiB", row=1, col=2)
    fill_balancing_figure(fig, result)
    return fig


def fill_balancing_figure(fig: go.Figure, result: BalanceResult) -> None:
    """Write ``result`` into a figure made by :func:`balancing_figure`."""
    tl = result.timeline
    c = result.candidates
    for i, key in enumerate(("source", "destination", "network")):
        fig.data[i].update(x=tl["t_s"].to_numpy(), y=tl[key].to_numpy())
    fig.data[3].update(x=[tl["t_s"].iloc[0], tl["t_s"].iloc[-1]], y=[result.overload_above] * 2)
    feas = c["feasible"].to_numpy()
    names = c["name"].to_numpy()
    ratio = c["benefit_per_gib"].to_numpy()
    fig.data[4].update(x=names[feas], y=ratio[feas], customdata=np.c_[c["benefit_pp"].to_numpy()[feas], c["data_sent_mib"].to_numpy()[feas]])
    fig.data[5].update(x=names[~feas], y=np.where(np.isfinite(ratio[~feas]), ratio[~feas], 0.0), customdata=c["reason"].to_numpy()[~feas])
    chosen = result.chosen or "none"
    fig.layout.title.text = (f"move {chosen}: {format_duration(result.migration_time_s)} of migration "
                             f"(CloudSim estimate {format_duration(result.cloudsim_time_s)}), link {result.network_share:.0%} busy")


def consolidation_figure(result: ConsolidationResult, *, max_idle_h: float | None = None, height: int = 420) -> go.Figure:
    """Left: host utilisation before and after packing; right: net energy against idle length.

    Traces: 0 before, 1 after (bars per host), 2 the net-energy curve, 3 the chosen idle
    period (marker), 4 zero line, 5 the break-even (vertical line).
    :func:`fill_consolidation_figure` rewrites them in place.

    >>> from vmlab import VM, Link
    >>> from vmlab.scenarios import PlacedVM, consolidate
    >>> r = consolidate([PlacedVM(name=f"v{i}", vm=VM(memory_mib=1024), cpu_cores=2) for i in range(6)],
    ...                 Link(bandwidth_mib_s=1192), n_hosts=6)
    >>> len(consolidation_figure(r).data)
    6
    """
    fig = make_subplots(rows=1, cols=2, subplot_titles=("CPU utilisation per host", "net energy saved vs idle period"))
    fig.add_trace(go.Bar(name="before", marker_color=SCENARIO_COLOURS["before"]), row=1, col=1)
    fig.add_trace(go.Bar(name="after packing", marker_color=SCENARIO_COLOURS["after"]), row=1, col=1)
    fig.add_trace(go.Scatter(name="net saved", mode="lines", line=dict(color=SCENARIO_COLOURS["energy"], width=3),
                             hovertemplate="%{x:.2f} h idle: %{y:.2f} kWh<extra></extra>"), row=1, col=2)
    fig.add_trace(go.Scatter(name="this idle period", mode="markers", marker=dict(size=12, color="#222222")), row=1, col=2)
    fig.add_trace(go.Scatter(name="zero", mode="lines", line=dict(color="#7f7f7f", width=1), showlegend=False, hoverinfo="skip"),
                  row=1, col=2)
    fig.add_trace(go.Scatter(name="break-even", mode="lines", line=dict(color="#d62728", dash="dash")), row=1, col=2)
    fig.update_yaxes(tickformat=".0%", title_text="CPU utilisation", row=1, col=1)
    fig.update_xaxes(title_text="host", row=1, col=1)
    fig.update_xaxes(title_text="idle period (h)", row=1, col=2)
    fig.update_yaxes(title_text="kWh", row=1, col=2)
    fig.update_layout(barmode="group", height=height, legend=dict(orientation="h", y=-0.2))
    fill_consolidation_figure(fig, result, max_idle_h=max_idle_h)
    return fig


def fill_consolidation_figure(fig: go.Figure, result: ConsolidationResult, *, max_idle_h: float | None = None) -> None:
    """Write ``result`` into a figure made by :func:`consolidation_figure`."""
    h = result.hosts
    if max_idle_h is None:
        be = result.break_even_s / 3600.0 if np.isfinite(result.break_even_s) else 12.0
        max_idle_h = max(4.0, 2.5 * be, 1.2 * result.idle_period_s / 3600.0)
    curve = result.energy_curve(np.linspace(0.0, max_idle_h * 3600.0, 200))
    fig.data[0].update(x=h["host"].to_numpy(), y=h["before"].to_numpy())
    fig.data[1].update(x=h["host"].to_numpy(), y=h["after"].to_numpy())
    y = curve["net_saved_kwh"].to_numpy()
    fig.data[2].update(x=curve["idle_period_h"].to_numpy(), y=y)
    fig.data[3].update(x=[result.idle_period_s / 3600.0], y=[result.net_saved_kwh])
    fig.data[4].update(x=[0.0, max_idle_h], y=[0.0, 0.0])
    if np.isfinite(result.break_even_s) and result.break_even_s / 3600.0 <= max_idle_h:
        be = result.break_even_s / 3600.0
        fig.data[5].update(x=[be, be], y=[float(np.min(y)), float(max(np.max(y), 0.0))],
                           name=f"break-even {format_duration(result.break_even_s)}")
    else:
        fig.data[5].update(x=[], y=[], name="break-even beyond the axis")
    fig.layout.title.text = (f"hosts on {result.hosts_before} → {result.hosts_after}: {result.n_moved} moves save "
                             f"{result.power_saved_w:.0f} W; {result.net_saved_kwh:+.2f} kWh over "
                             f"{format_duration(result.idle_period_s)}")


def race_figure(result: EscapeResult, *, height: int = 420) -> go.Figure:
    """The race: one bar per VM from its start until it is safe, the failure as a red line.

    Traces: 0 saved VMs, 1 lost VMs. A VM whose migration cannot complete is drawn to the end
    of its attempt. :func:`fill_race_figure` rewrites them in place.

    >>> from vmlab import VM, Link
    >>> from vmlab.scenarios import escape_failing_host
    >>> r = escape_failing_host([VM(memory_mib=2048)] * 3, Link(bandwidth_mib_s=119.2), time_to_failure_s=40)
    >>> fig = race_figure(r)
    >>> len(fig.data[0].y) + len(fig.data[1].y)
    3
    """
    fig = go.Figure()
    for label in ("saved", "lost"):
        fig.add_trace(go.Bar(
            name=label, orientation="h", marker_color=SCENARIO_COLOURS[label],
            hovertemplate="%{y}: %{customdata[0]:.0f} MiB, safe %{x:.1f} s after its start, downtime %{customdata[1]:.1f} s<extra></extra>"))
    fig.update_layout(barmode="overlay", height=height, xaxis_title="time since the warning (s)",
                      yaxis=dict(title="VM", categoryorder="array"),
                      legend=dict(orientation="h", yanchor="bottom", y=1.08, x=0), margin=dict(t=110))
    fill_race_figure(fig, result)
    return fig


def fill_race_figure(fig: go.Figure, result: EscapeResult) -> None:
    """Write ``result`` into a figure made by :func:`race_figure`."""
    s = result.schedule
    saved = s["saved"].to_numpy()
    start = s["start_s"].to_numpy()
    stop = np.where(np.isfinite(s["safe_s"]), s["safe_s"], s["end_s"]).astype(float)
    names = s["name"].to_numpy()
    custom = np.c_[s["memory_mib"].to_numpy(), s["downtime_s"].to_numpy()]
    for i, (flag, label) in enumerate(((True, "saved"), (False, "lost"))):
        m = saved == flag
        fig.data[i].update(y=names[m], x=(stop - start)[m], base=start[m], customdata=custom[m], name=f"{label} ({int(m.sum())})")
    if np.isfinite(result.time_to_failure_s):
        sh, an = _vline(result.time_to_failure_s, f"predicted failure at {format_duration(result.time_to_failure_s)}", "#d62728", "solid")
        fig.layout.shapes = [sh]
        fig.layout.annotations = [an]
    else:
        fig.layout.shapes = []
        fig.layout.annotations = []
    fig.layout.title.text = (f"{result.method} migration, {result.parallel} at a time, {result.order.replace('_', ' ')}: "
                             f"{result.n_saved} saved, {result.n_lost} lost ({mib_to_gib(result.lost_memory_mib):.1f} GiB)")
    fig.layout.yaxis.categoryarray = list(names)[::-1]


def escape_curve_figure(table: pd.DataFrame, *, height: int = 380) -> go.Figure:
    """VMs saved against the lead time of the warning, one line per (method, order).

    ``table`` comes from :func:`vmlab.escape_curve`.
    """
    fig = go.Figure()
    for (method, order), g in table.groupby(["method", "order"], sort=False):
        colour = SCENARIO_COLOURS["cold"] if method == "cold" else SCENARIO_COLOURS.get(order)
        fig.add_trace(go.Scatter(name=f"{method}, {order.replace('_', ' ')}", x=g["time_to_failure_s"], y=g["n_saved"],
                                 mode="lines", line=dict(shape="hv", width=3, color=colour,
                                                         dash="dot" if method == "cold" else "solid")))
    fig.update_layout(height=height, xaxis_title="warning lead time: predicted time to failure (s)",
                      yaxis_title="VMs saved", legend=dict(orientation="h", y=-0.25))
    return fig
