"""Figures for the provisioning models: results in, :class:`plotly.graph_objects.Figure` out.

* :func:`demand_figure`: one or more demand traces over time.
* :func:`provisioning_figure`: capacity chasing demand, unmet demand shaded, scaling events
  marked (the explorers update its traces in place; trace order is part of the contract).
* :func:`utilisation_figure`: utilisation against the policy's thresholds, VM count beside it.
* :func:`cost_unmet_figure`: cost against unmet demand, one point per strategy (and trace).
* :func:`process_steps_figure`: the lecture notes' process steps of each provisioning type on a timeline.

These functions never run a model: they draw the results they are given.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from vmlab.provisioning.simulate import ProvisioningResult, summary_table
from vmlab.provisioning.strategies import (
    AdvanceReservation,
    HorizontalPodAutoscaler,
    SelfService,
    ThresholdAutoscaler,
)

__all__ = [
    "COLOURS",
    "demand_figure",
    "provisioning_figure",
    "provisioning_traces",
    "readout_text",
    "utilisation_figure",
    "cost_unmet_figure",
    "process_steps_figure",
]

COLOURS = {
    "demand": "#222222",
    "capacity": "#1f77b4",
    "unmet": "rgba(214, 39, 40, 0.45)",
    "scale_out": "#2ca02c",
    "scale_in": "#ff7f0e",
    "Self-service": "#9467bd",
    "Advanced": "#8c564b",
    "Dynamic": "#1f77b4",
}
"""One colour per quantity and per provisioning type, shared by every provisioning figure."""

_TYPE_SYMBOL = {"Self-service": "square", "Advanced": "diamond", "Dynamic": "circle"}


def demand_figure(
    traces: Mapping[str, pd.DataFrame] | pd.DataFrame, *, title: str = "Demand", height: int = 360
) -> go.Figure:
    """Demand traces over time (requests/s), one line each.

    Parameters
    ----------
    traces : DataFrame or mapping of label -> DataFrame
        Traces from :mod:`vmlab.demand` (a ``demand`` column on a time index).

    Examples
    --------
    >>> from vmlab.provisioning import demand
    >>> fig = demand_figure({n: demand.make(n, days=1) for n in ("diurnal", "dev_test")})
    >>> [t.name for t in fig.data]
    ['diurnal', 'dev_test']
    """
    if isinstance(traces, (pd.DataFrame, pd.Series)):
        traces = {str(getattr(traces, "attrs", {}).get("name", "demand")): traces}
    fig = go.Figure()
    for label, trace in traces.items():
        series = trace["demand"] if isinstance(trace, pd.DataFrame) else trace
        fig.add_trace(go.Scatter(x=series.index, y=series.to_numpy(), name=str(label), mode="lines", line={"width": 1.2}))
    fig.update_layout(
        title=title, xaxis_title="time", yaxis_title="requests/s", height=height, template="plotly_white",
        legend={"orientation": "h", "y": -0.2},
    )
    return fig


def readout_text(result: ProvisioningResult) -> str:
    """One line of headline numbers: cost, unmet demand, SLA minutes, utilisation, actions.

    >>> from vmlab.provisioning import demand, simulate_provisioning, AdvanceReservation
    >>> r = simulate_provisioning(demand.dev_test(days=1), AdvanceReservation(reserved_vms=20))
    >>> readout_text(r)
    'cost $33.60 · unmet 0.00 % · SLA violated 0 min · utilisation 13 % · 0 scaling actions'
    """
    return (
        f"cost ${result.cost_usd:.2f} · unmet {100 * result.unmet_fraction:.2f} % · "
        f"SLA violated {result.sla_violation_minutes:.0f} min · "
        f"utilisation {100 * result.mean_utilisation:.0f} % · {result.n_scaling_actions} scaling actions"
    )


def _step_points(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The points of a step line (``line.shape="hv"``) where its value changes, plus both ends.

    Drawn as "hv" they give exactly the same line: capacity changes only when VMs come or go,
    so this sends a browser hundreds of points instead of one per trace sample.

    >>> _step_points(np.arange(6.0), np.array([1.0, 1, 1, 2, 2, 2]))
    (array([0., 3., 5.]), array([1., 2., 2.]))
    """
    if len(y) < 3:
        return x, y
    keep = np.empty(len(y), dtype=bool)
    keep[0] = keep[-1] = True
    keep[1:-1] = y[1:-1] != y[:-2]
    return x[keep], y[keep]


def provisioning_traces(result: ProvisioningResult) -> list[dict]:
    """x/y data of the five traces of :func:`provisioning_figure`, in order.

    0 served (lower edge of the shading), 1 demand (shaded down to served: unmet demand),
    2 capacity (a step line: only the samples where it changes), 3 scale-out events, 4 scale-in
    events. Explorers assign these in place.
    """
    tl = result.timeline
    x = tl["time"].to_numpy()
    demand = tl["demand_rps"].to_numpy()
    capacity = tl["capacity_rps"].to_numpy()
    served = tl["served_rps"].to_numpy()
    ev = result.scaling_events
    # mark each event at the capacity of the step it falls in (decisions can fall within a step)
    pos = np.clip(np.searchsorted(x, ev["time"].to_numpy(), side="right") - 1, 0, len(x) - 1) if len(ev) else np.array([], dtype=int)
    out_mask = (ev["change"] > 0).to_numpy() if len(ev) else np.array([], dtype=bool)
    ev_cap = capacity[pos] if len(ev) else np.array([])
    ev_t = ev["time"].to_numpy() if len(ev) else np.array([])
    return [
        {"x": x, "y": served},
        {"x": x, "y": demand},
        dict(zip(("x", "y"), _step_points(x, capacity))),
        {"x": ev_t[out_mask], "y": ev_cap[out_mask]},
        {"x": ev_t[~out_mask], "y": ev_cap[~out_mask]},
    ]


def provisioning_figure(result: ProvisioningResult, *, title: str | None = None, height: int = 420) -> go.Figure:
    """Capacity against demand over time, unmet demand shaded red, scaling events marked.

    Parameters
    ----------
    result : ProvisioningResult
        A run of :func:`vmlab.simulate_provisioning`.
    title : str, optional
        Figure title (default: the strategy's name); the readout of headline numbers is shown
        under it.

    Examples
    --------
    >>> from vmlab.provisioning import demand, simulate_provisioning, ThresholdAutoscaler
    >>> fig = provisioning_figure(simulate_provisioning(demand.flash_sale(days=1), ThresholdAutoscaler()))
    >>> [t.name for t in fig.data]
    ['served', 'demand (unmet shaded)', 'capacity', 'scale out', 'scale in']
    """
    data = provisioning_traces(result)
    fig = go.Figure()
    fig.add_trace(go.Scatter(**data[0], name="served", mode="lines", line={"width": 0}, hoverinfo="skip", showlegend=False))
    fig.add_trace(
        go.Scatter(
            **data[1], name="demand (unmet shaded)", mode="lines", line={"color": COLOURS["demand"], "width": 1},
            fill="tonexty", fillcolor=COLOURS["unmet"],
        )
    )
    fig.add_trace(
        go.Scatter(**data[2], name="capacity", mode="lines", line={"color": COLOURS["capacity"], "width": 2, "shape": "hv"})
    )
    fig.add_trace(
        go.Scatter(
            **data[3], name="scale out", mode="markers",
            marker={"symbol": "triangle-up", "size": 9, "color": COLOURS["scale_out"]},
        )
    )
    fig.add_trace(
        go.Scatter(
            **data[4], name="scale in", mode="markers",
            marker={"symbol": "triangle-down", "size": 9, "color": COLOURS["scale_in"]},
        )
    )
    head = title if title is not None else result.name
    fig.update_layout(
        title={"text": f"{head}<br><sup>{readout_text(result)}</sup>"},
        xaxis_title="time",
        yaxis_title="requests/s",
        height=height,
        legend={"orientation": "h", "y": -0.18},
        margin={"t": 80, "r": 20},
        template="plotly_white",
    )
    return fig


def utilisation_figure(result: ProvisioningResult, *, title: str | None = None, height: int = 380) -> go.Figure:
    """Utilisation of serving VMs over time with the policy's lines, and the VM count.

    Threshold policies show their two thresholds, the HPA its target and tolerance band;
    the VM count (serving and booting) is on the right axis, so thrashing shows as a saw-tooth.

    >>> from vmlab.provisioning import demand, simulate_provisioning, ThresholdAutoscaler
    >>> fig = utilisation_figure(simulate_provisioning(demand.diurnal(days=1), ThresholdAutoscaler()))
    >>> [t.name for t in fig.data]
    ['utilisation', 'VMs serving', 'VMs booting']
    """
    tl = result.timeline
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(
        go.Scatter(x=tl["time"], y=tl["utilisation"], name="utilisation", mode="lines", line={"color": COLOURS["capacity"]}),
        secondary_y=False,
    )
    fig.add_trace(
        go.Scatter(x=tl["time"], y=tl["vms_serving"], name="VMs serving", mode="lines", line={"color": "#555", "shape": "hv"}),
        secondary_y=True,
    )
    fig.add_trace(
        go.Scatter(
            x=tl["time"], y=tl["vms_booting"], name="VMs booting", mode="lines",
            line={"color": COLOURS["scale_out"], "shape": "hv", "dash": "dot"},
        ),
        secondary_y=True,
    )
    s = result.strategy
    lines: list[tuple[float, str]] = []
    if isinstance(s, ThresholdAutoscaler):
        lines = [(s.scale_out_above, "scale out above"), (s.scale_in_below, "scale in below")]
    elif isinstance(s, HorizontalPodAutoscaler):
        fig.add_hrect(
            y0=s.target * (1 - s.tolerance), y1=s.target * (1 + s.tolerance), fillcolor="rgba(31,119,180,0.12)",
            line_width=0, secondary_y=False,
        )
        lines = [(s.target, "target")]
    elif isinstance(s, SelfService):
        lines = [(s.target_utilisation, "sized for"), (s.scale_in_below, "shrink below")]
    for y, label in lines:
        fig.add_hline(y=y, line_dash="dash", line_color="#d62728", annotation_text=label, secondary_y=False)
    fig.update_yaxes(title_text="utilisation", range=[0, 1.05], tickformat=".0%", secondary_y=False)
    fig.update_yaxes(title_text="VMs", rangemode="tozero", secondary_y=True)
    fig.update_layout(
        title=title if title is not None else f"{result.name}: utilisation and VMs",
        height=height, template="plotly_white", legend={"orientation": "h", "y": -0.2},
    )
    return fig


def cost_unmet_figure(
    results: Mapping[str, ProvisioningResult] | pd.DataFrame,
    *,
    title: str = "Cost against unmet demand",
    normalise_by: str | None = None,
    height: int = 420,
) -> go.Figure:
    """Cost (x) against unmet demand (y), one point per strategy; lower left is better.

    Parameters
    ----------
    results : mapping of label -> ProvisioningResult, or a DataFrame
        Runs to compare, or a :func:`vmlab.summary_table` (optionally concatenated over traces
        with a ``trace`` column: then one legend entry per strategy, its marker showing the type,
        and hover labels "strategy · trace").
    normalise_by : str, optional
        A strategy label: costs are divided by that strategy's cost (on the same trace, when
        there is a ``trace`` column), so traces of different sizes share one axis.

    Examples
    --------
    >>> from vmlab.provisioning import demand, simulate_provisioning, HPA, SelfService
    >>> t = demand.flash_sale(days=1)
    >>> fig = cost_unmet_figure({"auto": simulate_provisioning(t, HPA()),
    ...                          "manual": simulate_provisioning(t, SelfService())})
    >>> len(fig.data)
    2
    """
    table = summary_table(results) if isinstance(results, Mapping) else results.copy()
    if "cost_usd" not in table.columns and "cost" in table.columns:  # a table from before the rename
        table = table.rename(columns={"cost": "cost_usd"})
    for col in ("cost_usd", "unmet_fraction", "type"):
        if col not in table.columns:
            raise ValueError(f"cost_unmet_figure: results table needs a {col!r} column; it has {list(table.columns)}")
    table = table.reset_index().rename(columns={"index": "strategy"})
    if "strategy" not in table.columns:
        table["strategy"] = table.index.astype(str)
    has_trace = "trace" in table.columns
    xlabel = "cost over the trace (USD)"
    if normalise_by is not None:
        ref = table[table["strategy"] == normalise_by]
        if ref.empty:
            raise ValueError(f"cost_unmet_figure.normalise_by: no strategy {normalise_by!r}; have {sorted(set(table['strategy']))}")
        if has_trace:
            base = table["trace"].map(ref.set_index("trace")["cost_usd"])
        else:
            base = float(ref["cost_usd"].iloc[0])
        table = table.assign(cost_usd=table["cost_usd"] / base)
        xlabel = f"cost relative to {normalise_by}"
    fig = go.Figure()
    # one legend entry per provisioning type; across traces, one per strategy (symbol = type)
    by = "strategy" if has_trace else "type"
    for key, group in table.groupby(by, sort=False):
        kind = str(group["type"].iloc[0])
        text = group["strategy"] + (" · " + group["trace"].astype(str) if has_trace else "")
        colour = None if has_trace else COLOURS.get(kind)
        fig.add_trace(
            go.Scatter(
                x=group["cost_usd"], y=100 * group["unmet_fraction"], mode="markers+text" if not has_trace else "markers",
                name=str(key), text=text, textposition="top center",
                marker={"size": 12, "color": colour, "symbol": _TYPE_SYMBOL.get(kind, "circle")},
                hovertemplate="%{text}<br>cost %{x:.3g}<br>unmet %{y:.2f} %<extra></extra>",
            )
        )
    fig.update_layout(
        title=title, xaxis_title=xlabel, yaxis_title="unmet demand (%)",
        height=height, template="plotly_white",
    )
    fig.update_yaxes(rangemode="tozero")
    fig.update_xaxes(rangemode="tozero")
    return fig


def _unit_for(total_s: float) -> tuple[float, str]:
    if total_s >= 3 * 86400:
        return 86400.0, "days"
    if total_s >= 3 * 3600:
        return 3600.0, "hours"
    if total_s >= 180:
        return 60.0, "minutes"
    return 1.0, "seconds"


def process_steps_figure(
    *strategies: object,
    title: str = "How a requested state becomes a live one",
    height: int | None = None,
) -> go.Figure:
    """The lecture notes' process steps of each provisioning type as a timeline (one row per type).

    Each row has its own time unit (seconds, minutes or days): self-service takes minutes,
    advance reservation weeks, an autoscaler's loop a minute or two. Bars in billed steps are
    solid, unbilled ones pale.

    Examples
    --------
    >>> fig = process_steps_figure(SelfService(), AdvanceReservation(reserved_vms=10), ThresholdAutoscaler())
    >>> len(fig.data)   # one bar trace per provisioning type
    3
    """
    if not strategies:
        strategies = (SelfService(), AdvanceReservation(), ThresholdAutoscaler())
    rows = len(strategies)
    titles = []
    for s in strategies:
        steps = s.steps()
        end = float((steps["start_s"] + steps["duration_s"]).max())
        scale, unit = _unit_for(end)
        titles.append(f"{s.kind}: {s.name} · trigger {s.trigger.lower()} · about {end / scale:.0f} {unit} to serve")
    fig = make_subplots(rows=rows, cols=1, subplot_titles=titles, vertical_spacing=0.16)
    for row, s in enumerate(strategies, start=1):
        steps = s.steps()
        end = float((steps["start_s"] + steps["duration_s"]).max())
        scale, unit = _unit_for(end)
        colour = COLOURS.get(s.kind, "#1f77b4")
        opacity = [1.0 if b else 0.45 for b in steps["billed"]]
        fig.add_trace(
            go.Bar(
                y=steps["step"], x=steps["duration_s"] / scale, base=steps["start_s"] / scale, orientation="h",
                marker={"color": colour, "opacity": opacity}, name=s.kind,
                text=[f"{a}" for a in steps["actor"]], textposition="inside", insidetextanchor="start",
                hovertemplate="%{y}<br>from %{base:.3g} for %{x:.3g} " + unit + "<extra></extra>",
                showlegend=False,
            ),
            row=row, col=1,
        )
        fig.update_xaxes(title_text=unit, row=row, col=1, rangemode="tozero")
        fig.update_yaxes(autorange="reversed", row=row, col=1)
    fig.update_layout(title=title, height=height or 240 * rows + 60, template="plotly_white", bargap=0.25)
    return fig
