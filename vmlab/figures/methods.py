"""Figures of the migration methods besides plain pre-copy: results in, plotly figures out.

* :func:`methods_figure`: pre-copy, post-copy (pure and hybrid), pre-copy + auto-converge and
  cold side by side: downtime, total time, data sent and guest slowdown.
* :func:`postcopy_figure`: memory on the destination and network faults during post-copy's
  degradation period (after the pre-copy rounds of a hybrid).
* :func:`autoconverge_figure`: per-round data sent and the throttle that auto-converge applied.
* :func:`compression_figure`: data on the wire, total time and CPU seconds with and without
  compression.
* :func:`bitmap_heatmap`: the page simulator's dirty bitmap, one row per round.
* :func:`pagesim_agreement_figure`: simulator runs over seeds against the analytic model.

These functions never run a model. Trace counts are fixed (documented in each) so explorers
can update them in place.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from vmlab.format import format_duration
from vmlab.migration.autoconverge import RoundsResult
from vmlab.migration.pagesim import PagesimAgreement, PageSimResult
from vmlab.migration.postcopy import MethodComparison, PostcopyResult
from vmlab.units import mib_to_gib

__all__ = [
    "METHOD_COLOURS",
    "methods_figure",
    "fill_methods_figure",
    "methods_traces",
    "postcopy_figure",
    "autoconverge_figure",
    "fill_autoconverge_figure",
    "compression_figure",
    "bitmap_heatmap",
    "fill_bitmap_heatmap",
    "pagesim_agreement_figure",
]

METHOD_COLOURS = {
    "pre-copy": "#1f77b4",
    "post-copy": "#ff7f0e",
    "hybrid post-copy": "#9467bd",
    "pre-copy + auto-converge": "#2ca02c",
    "cold": "#8c564b",
}
"""One colour per migration method."""

_TICKS = {"hybrid post-copy": "hybrid<br>post-copy", "pre-copy + auto-converge": "pre-copy<br>+ auto-<br>converge"}

_PANELS = (
    ("downtime_ms", "downtime (ms, log)"),
    ("total_time_s", "total time (s)"),
    ("data_sent_mib", "data sent (MiB)"),
    ("guest_slowdown_pct", "guest slowdown (% of CPU, live phase)"),
)


def methods_traces(comparison: MethodComparison) -> list[dict]:
    """x/y/text of the four bar traces of :func:`methods_figure`, in order."""
    t = comparison.table
    out = []
    for column, _ in _PANELS:
        y = t[column].to_numpy(dtype=float)
        y = np.where(t["completed"].to_numpy(), y, np.nan) if column == "downtime_ms" else y
        text = ["did not complete" if (column == "downtime_ms" and not ok) else "" for ok in t["completed"]]
        out.append({"x": list(t["method"]), "y": y, "text": text})
    return out


def methods_figure(comparison: MethodComparison, *, title: str | None = None, height: int = 520) -> go.Figure:
    """Four panels of bars, one bar per method: downtime, total time, data sent, guest slowdown.

    Traces: 0 downtime, 1 total time, 2 data sent, 3 guest slowdown (%). A method that did
    not complete has no downtime bar and says so. :func:`fill_methods_figure` rewrites them.

    >>> from vmlab import VM, Link, compare_methods
    >>> c = compare_methods(VM(memory_mib=4096, dirty_rate_mib_s=200), Link(bandwidth_mib_s=119.2))
    >>> fig = methods_figure(c)
    >>> len(fig.data), list(fig.data[0].x)[1]
    (4, 'post-copy')
    """
    fig = make_subplots(rows=2, cols=2, subplot_titles=[label for _, label in _PANELS], vertical_spacing=0.2)
    for i in range(len(_PANELS)):
        fig.add_trace(go.Bar(textposition="outside", showlegend=False, hovertemplate="%{x}: %{y:.4g}<extra></extra>"),
                      row=1 + i // 2, col=1 + i % 2)
    fig.update_yaxes(type="log", row=1, col=1)
    fig.update_layout(height=height)
    fig.update_xaxes(tickangle=0)
    fill_methods_figure(fig, comparison, title=title)
    return fig


def fill_methods_figure(fig: go.Figure, comparison: MethodComparison, *, title: str | None = None) -> None:
    """Write ``comparison`` into a figure made by :func:`methods_figure`."""
    colours = [METHOD_COLOURS.get(m, "#7f7f7f") for m in comparison.table["method"]]
    for trace, data in zip(fig.data, methods_traces(comparison)):
        trace.update(x=data["x"], y=data["y"], text=data["text"], marker_color=colours)
    methods = list(comparison.table["method"])
    fig.update_xaxes(tickmode="array", tickvals=methods, ticktext=[_TICKS.get(m, m) for m in methods])
    vm = comparison.results["pre-copy"].vm
    link = comparison.results["pre-copy"].link
    fig.layout.title.text = title or (f"{mib_to_gib(vm.memory_mib):g} GiB VM dirtying {vm.dirty_rate:g} MiB/s over "
                                      f"{link.bandwidth_mib_s:g} MiB/s: {len(comparison.table)} ways to move it")


def postcopy_figure(result: PostcopyResult, *, height: int = 400) -> go.Figure:
    """Post-copy: memory on the destination (left axis) and network faults (right axis) over time.

    Traces: 0 memory on the destination, 1 cumulative faults. The vulnerable degradation period
    is shaded (a host failure loses the VM; a network failure pauses it), and for a hybrid the
    pre-copy rounds before the switch.

    >>> from vmlab import VM, Link, postcopy
    >>> fig = postcopy_figure(postcopy(VM(memory_mib=2048, dirty_rate_mib_s=100, wws_mib=512), Link()))
    >>> len(fig.data)
    2
    """
    p = result.progress
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Scatter(name="memory on the destination (MiB)", x=p["t_s"], y=p["on_destination_mib"], mode="lines",
                             line=dict(color="#1f77b4", width=3)), secondary_y=False)
    fig.add_trace(go.Scatter(name="network page faults (cumulative)", x=p["t_s"], y=p["faults"], mode="lines",
                             line=dict(color="#d62728", width=2, dash="dot")), secondary_y=True)
    start = float(p["t_s"].iloc[0])
    end = float(p["t_s"].iloc[-1])
    fig.add_vrect(x0=start, x1=end, fillcolor="#ff7f0e", opacity=0.12, line_width=0,
                  annotation_text="degradation: a host failure loses the VM, a network failure pauses it",
                  annotation_position="top right")
    kind = "post-copy"
    if result.precopy is not None and result.switched:
        switch = float(result.phases.loc[result.phases["phase"] == "pause: CPU/device state", "start_s"].iloc[0])
        fig.add_vrect(x0=0.0, x1=switch, fillcolor="#1f77b4", opacity=0.08, line_width=0,
                      annotation_text=f"pre-copy: {result.precopy.n_rounds} round(s) on the source",
                      annotation_position="bottom left")
        kind = f"hybrid post-copy ({result.precopy.n_rounds} pre-copy round(s), then the switch)"
    elif result.precopy is not None:
        kind = "hybrid post-copy: converged in pre-copy, no switch"
    fig.update_layout(
        height=height, legend=dict(orientation="h", y=-0.25),
        title=(f"{kind}<br><sup>downtime {format_duration(result.downtime_ms / 1000)}, degradation "
               f"{format_duration(result.degradation_s)}, {result.n_faults:,.0f} faults, "
               f"guest slowdown {result.guest_slowdown_pct:.1f} %</sup>"),
    )
    fig.update_xaxes(title_text="time since the migrate command (s)", range=[0, 1.02 * result.total_time_s])
    fig.update_yaxes(title_text="MiB on the destination", secondary_y=False)
    fig.update_yaxes(title_text="faults", secondary_y=True)
    return fig


def autoconverge_figure(result: RoundsResult, *, height: int = 420) -> go.Figure:
    """Per-round data sent (bars, log axis) and the guest throttle (line, right axis).

    Traces: 0 sent per round, 1 dirtied during the round, 2 throttle (%), 3 threshold.
    :func:`fill_autoconverge_figure` rewrites them in place.

    >>> from vmlab import VM, Link, autoconverge
    >>> fig = autoconverge_figure(autoconverge(VM(memory_mib=4096, dirty_rate_mib_s=200), Link(bandwidth_mib_s=119.2)))
    >>> len(fig.data), float(max(fig.data[2].y))
    (4, 80.0)
    """
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(go.Bar(name="sent (MiB; red: stop-and-copy)"), secondary_y=False)
    fig.add_trace(go.Bar(name="dirtied meanwhile (MiB)", marker_color="#fdae6b"), secondary_y=False)
    fig.add_trace(go.Scatter(name="guest throttle (%)", mode="lines+markers", line=dict(color="#2ca02c", width=3, shape="hv")),
                  secondary_y=True)
    fig.add_trace(go.Scatter(name="switch-over threshold", mode="lines", line=dict(color="#222222", dash="dash")), secondary_y=False)
    fig.update_layout(height=height, barmode="group", legend=dict(orientation="h", y=-0.25))
    fig.update_yaxes(type="log", title_text="MiB", secondary_y=False)
    fig.update_yaxes(title_text="throttle (%)", range=[0, 105], secondary_y=True)
    fig.update_xaxes(title_text="round")
    fill_autoconverge_figure(fig, result)
    return fig


def fill_autoconverge_figure(fig: go.Figure, result: RoundsResult) -> None:
    """Write ``result`` into a figure made by :func:`autoconverge_figure`."""
    r = result.rounds
    live = r[r["phase"] != "stop-and-copy"]
    colours = np.where(r["phase"] == "stop-and-copy", "#d62728", "#1f77b4")
    x = r["round"].to_numpy()
    fig.data[0].update(x=x, y=r["sent_mib"].to_numpy(), marker_color=list(colours))
    fig.data[1].update(x=live["round"].to_numpy(), y=live["dirtied_mib"].to_numpy())
    fig.data[2].update(x=x, y=r["throttle_pct"].to_numpy())
    fig.data[3].update(x=[x.min(), x.max()], y=[result.threshold_mib] * 2)
    verdict = "converged" if result.converged else result.stop
    fig.layout.title.text = (f"auto-converge: {verdict} after {result.n_rounds} rounds, downtime "
                             f"{format_duration(result.downtime_ms / 1000)}, throttle up to {result.final_throttle_pct:.0f} %, "
                             f"mean slowdown {result.guest_slowdown_pct:.0f} %")


def compression_figure(results: Mapping[str, RoundsResult], *, height: int = 380) -> go.Figure:
    """Bars per configuration: data on the wire, total time, downtime and CPU seconds.

    ``results`` maps a label ("plain", "XBZRLE"...) to a result of :func:`vmlab.run_rounds`
    (or :func:`vmlab.compressed_precopy`). Traces: 0 wire MiB, 1 total time, 2 downtime,
    3 CPU seconds.
    """
    labels = list(results)
    vals = [
        [r.data_sent_mib for r in results.values()],
        [r.total_time_s for r in results.values()],
        [r.downtime_ms if r.completed else np.nan for r in results.values()],
        [r.compression_cpu_s for r in results.values()],
    ]
    titles = ("on the wire (MiB)", "total time (s)", "downtime (ms)", "CPU for encoding (s)")
    fig = make_subplots(rows=1, cols=4, subplot_titles=titles)
    for i, v in enumerate(vals):
        fig.add_trace(go.Bar(x=labels, y=v, showlegend=False, marker_color=["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd"][: len(labels)]),
                      row=1, col=i + 1)
    fig.update_layout(height=height, title="compression trades CPU for bandwidth")
    return fig


def bitmap_heatmap(result: PageSimResult, *, height: int = 420) -> go.Figure:
    """The page simulator's dirty bitmap: one row per round, address on x, dirty share as colour.

    Traces: 0 the heatmap. :func:`fill_bitmap_heatmap` rewrites it in place.

    >>> from vmlab import VM, Link, simulate_pages
    >>> r = simulate_pages(VM(memory_mib=1024, dirty_rate_mib_s=60, wws_mib=512), Link(bandwidth_mib_s=119.2), seed=3)
    >>> fig = bitmap_heatmap(r)
    >>> fig.data[0].z.shape == r.bitmap.shape
    True
    """
    fig = go.Figure(go.Heatmap(colorscale="Inferno", zmin=0, zmax=1, colorbar=dict(title="dirty share"),
                               hovertemplate="%{y}, %{x:.2f} GiB: %{z:.1%} of pages dirty<extra></extra>"))
    fig.update_layout(height=height, xaxis_title="guest physical address (GiB)", yaxis=dict(title="", autorange="reversed"))
    fill_bitmap_heatmap(fig, result)
    return fig


def fill_bitmap_heatmap(fig: go.Figure, result: PageSimResult) -> None:
    """Write ``result`` into a figure made by :func:`bitmap_heatmap`."""
    z = result.bitmap
    fig.data[0].update(z=z, x=mib_to_gib((np.arange(z.shape[1]) + 0.5) * result.bin_mib),
                       y=[f"round {i}" for i in result.bitmap_rounds])
    fig.layout.title.text = (f"dirty bitmap of {result.n_pages:,} pages per round (hot {100 * result.hot_fraction:.0f} % of the "
                             f"working set takes {100 * result.hot_write_share:.0f} % of writes): {result.stop} after "
                             f"{result.n_rounds} rounds")


def pagesim_agreement_figure(agreement: PagesimAgreement, *, height: int = 380) -> go.Figure:
    """Per-seed simulator results (dots) against the analytic model (line), three panels.

    Traces: for total time, data sent and downtime: seeds (markers), then the analytic value.
    """
    runs = agreement.runs
    a = agreement.analytic
    fig = make_subplots(rows=1, cols=3, subplot_titles=("total time (s)", "data sent (MiB)", "downtime (ms)"))
    for i, metric in enumerate(("total_time_s", "data_sent_mib", "downtime_ms")):
        fig.add_trace(go.Scatter(x=runs["seed"], y=runs[metric], mode="markers", name="page simulator (one seed)",
                                 marker=dict(color="#1f77b4", size=9), showlegend=i == 0), row=1, col=i + 1)
        fig.add_trace(go.Scatter(x=[runs["seed"].min(), runs["seed"].max()], y=[getattr(a, metric)] * 2, mode="lines",
                                 name="analytic model", line=dict(color="#d62728", dash="dash", width=3), showlegend=i == 0),
                      row=1, col=i + 1)
    err = agreement.relative_error
    fig.update_layout(height=height, legend=dict(orientation="h", y=-0.25),
                      title=(f"mean over {len(runs)} seeds vs analytic: total time {100 * err['total_time_s']:.2f} %, "
                             f"data sent {100 * err['data_sent_mib']:.2f} %, downtime {100 * err['downtime_ms']:.2f} % apart"))
    fig.update_xaxes(title_text="seed")
    return fig
