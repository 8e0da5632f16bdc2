"""Slider apps for the provisioning notebooks (ipywidgets + one plotly ``FigureWidget``).

* :func:`autoscaling_explorer`: drag the thresholds, cooldown, warm-up, step size and group
  bounds of a :class:`~vmlab.ThresholdAutoscaler` and watch capacity chase demand.
* :func:`provisioning_explorer`: the three provisioning types side by side on one trace.
* :func:`comparison_explorer`: cost against unmet demand for every type, with the price levers
  (reserved discount, reservation size, target utilisation) on sliders.

Each returns its top-level widget with ``.controls`` (name -> widget), ``.figure`` (the
``FigureWidget``), ``.readout`` (an ``HTML`` widget) and ``.update()`` attached, so tests can
move a slider without a browser. One update of :func:`autoscaling_explorer` (simulate a
2-day, 1-minute trace and redraw) stays well under 50 ms, so its sliders update continuously
while dragged; the other two run three and five simulations per update, so they update when a
slider is released (``continuous_update=False``). ``benchmarks/bench_provisioning.py``
measures all three.
"""

from __future__ import annotations

from functools import partial
import html
import time
from collections.abc import Callable

import ipywidgets as widgets
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from vmlab.explorers._common import error_html, slider
from vmlab.figures.provisioning import (
    cost_unmet_figure,
    provisioning_figure,
    provisioning_traces,
    readout_text,
)
from vmlab.provisioning import demand as demand_mod
from vmlab.provisioning.simulate import ProvisioningResult, simulate_provisioning, summary_table
from vmlab.provisioning.strategies import (
    AdvanceReservation,
    HorizontalPodAutoscaler,
    SelfService,
    ThresholdAutoscaler,
)

__all__ = ["autoscaling_explorer", "provisioning_explorer", "comparison_explorer"]

_STYLE = {"description_width": "170px"}
_LAYOUT = widgets.Layout(width="420px")


def _trace_source(trace, days: float, seed: int) -> tuple[list[str], Callable[[str], pd.DataFrame], str]:
    """Names for the trace picker and a cached loader."""
    cache: dict[str, pd.DataFrame] = {}
    names = list(demand_mod.TRACES)
    if isinstance(trace, (pd.DataFrame, pd.Series)):
        own = trace if isinstance(trace, pd.DataFrame) else trace.to_frame("demand")
        label = str(own.attrs.get("name", "your trace"))
        if label in names:
            label = f"{label} (yours)"
        cache[label] = own
        names = [label, *names]
        first = label
    else:
        if not isinstance(trace, str) or trace not in demand_mod.TRACES:
            raise ValueError(f"trace must be a DataFrame or one of {', '.join(map(repr, names))}; got {trace!r}")
        first = trace

    def load(name: str) -> pd.DataFrame:
        if name not in cache:
            cache[name] = demand_mod.make(name, days=days, seed=seed)
        return cache[name]

    return names, load, first


_slider = partial(slider, style=_STYLE, layout=_LAYOUT)


def autoscaling_explorer(
    trace: str | pd.DataFrame = "flash_sale",
    *,
    days: float = 2,
    seed: int = 1,
    capacity_per_vm: float = 100.0,
    price_per_vm_hour: float = 0.10,
    continuous_update: bool = True,
) -> widgets.VBox:
    """Threshold auto-scaling with sliders: thresholds, cooldown, warm-up, step, bounds, trace.

    Parameters
    ----------
    trace : str or DataFrame
        A generated trace's name (``"diurnal"``, ``"flash_sale"``, ``"streaming_spike"``,
        ``"dev_test"``) or a user's own trace (e.g. from :func:`vmlab.demand.from_csv`), which
        then heads the picker.
    days, seed : float, int
        Length and seed of the generated traces.
    capacity_per_vm, price_per_vm_hour : float
        As in :func:`vmlab.simulate_provisioning`.
    continuous_update : bool
        Recompute while a slider is dragged (the update is fast enough) or only on release.

    Returns
    -------
    ipywidgets.VBox
        With ``.controls`` (keys ``trace``, ``scale_out_above`` and ``scale_in_below`` in
        percent, ``cooldown_s``, ``warmup_s``, ``step_vms``, ``min_vms``, ``max_vms``), ``.figure``,
        ``.readout``, ``.update()`` and ``.result`` (the latest :class:`ProvisioningResult`).

    Examples
    --------
    >>> app = autoscaling_explorer()
    >>> before = app.figure.data[2].y.copy()
    >>> app.controls["scale_out_above"].value = 50   # percent
    >>> bool((app.figure.data[2].y != before).any())
    True
    """
    names, load, first = _trace_source(trace, days, seed)
    default = ThresholdAutoscaler()
    c = continuous_update
    controls = {
        "trace": widgets.Dropdown(options=names, value=first, description="trace", style=_STYLE, layout=_LAYOUT),
        # thresholds in whole percent ("CPU > 80 %"); the policy gets fractions
        "scale_out_above": _slider(widgets.IntSlider, "scale out above (%)", round(100 * default.scale_out_above), 10, 100, 5, None, c),
        "scale_in_below": _slider(widgets.IntSlider, "scale in below (%)", round(100 * default.scale_in_below), 0, 95, 5, None, c),
        "cooldown_s": _slider(widgets.IntSlider, "cooldown (s)", int(default.cooldown_s), 0, 1800, 30, None, c),
        "warmup_s": _slider(widgets.IntSlider, "warm-up / boot (s)", int(default.warmup_s), 0, 900, 15, None, c),
        "step_vms": _slider(widgets.IntSlider, "step size (VMs per action)", default.step_vms, 1, 20, 1, None, c),
        "min_vms": _slider(widgets.IntSlider, "min VMs", default.min_vms, 0, 50, 1, None, c),
        "max_vms": _slider(widgets.IntSlider, "max VMs", default.max_vms, 1, 150, 1, None, c),
    }
    readout = widgets.HTML()

    def build() -> ProvisioningResult:
        policy = ThresholdAutoscaler(
            scale_out_above=controls["scale_out_above"].value / 100,
            scale_in_below=controls["scale_in_below"].value / 100,
            cooldown_s=controls["cooldown_s"].value,
            warmup_s=controls["warmup_s"].value,
            step_vms=controls["step_vms"].value,
            min_vms=controls["min_vms"].value,
            max_vms=controls["max_vms"].value,
        )
        return simulate_provisioning(
            load(controls["trace"].value), policy, capacity_per_vm=capacity_per_vm, price_per_vm_hour=price_per_vm_hour
        )

    result = build()
    fig = go.FigureWidget(provisioning_figure(result, title="Threshold auto-scaling"))
    box = widgets.VBox()
    shown = {"trace": controls["trace"].value}

    def update(_=None) -> None:
        start = time.perf_counter()
        try:
            res = build()
        except (ValueError, TypeError) as exc:
            readout.value = error_html(exc)
            return
        data = provisioning_traces(res)
        same_axis = shown["trace"] == controls["trace"].value
        with fig.batch_update():
            for j, (trace_obj, xy) in enumerate(zip(fig.data, data)):
                if j >= 3 or not same_axis:  # the time axis only changes with the trace: send less to the browser
                    trace_obj.x = xy["x"]
                trace_obj.y = xy["y"]
            fig.layout.title.text = f"Threshold auto-scaling<br><sup>{readout_text(res)}</sup>"
        shown["trace"] = controls["trace"].value
        box.result = res
        box.last_update_ms = 1000 * (time.perf_counter() - start)
        readout.value = (
            f"<b>cost</b> ${res.cost_usd:.2f} · <b>unmet demand</b> {100 * res.unmet_fraction:.2f} % "
            f"({res.sla_violation_minutes:.0f} min with SLA violated) · "
            f"<b>scaling actions</b> {res.n_scaling_actions} · utilisation {100 * res.mean_utilisation:.0f} % · "
            f"peak {res.peak_vms} VMs"
        )

    for control in controls.values():
        control.observe(update, names="value")
    left = widgets.VBox([controls[k] for k in ("trace", "scale_out_above", "scale_in_below", "step_vms")])
    right = widgets.VBox([controls[k] for k in ("cooldown_s", "warmup_s", "min_vms", "max_vms")])
    box.children = [widgets.HBox([left, right]), readout, fig]
    box.controls = controls
    box.figure = fig
    box.readout = readout
    box.update = update
    box.result = result
    box.last_update_ms = float("nan")
    update()
    return box


def provisioning_explorer(
    trace: str | pd.DataFrame = "flash_sale",
    *,
    days: float = 2,
    seed: int = 1,
    capacity_per_vm: float = 100.0,
    price_per_vm_hour: float = 0.10,
    continuous_update: bool = False,
) -> widgets.VBox:
    """The three provisioning types on one trace, one panel each, with their key knobs.

    Controls: ``trace``; self-service ``check_interval_min`` and ``reaction_delay_min``;
    advance reservation ``reserved_vms`` and ``overflow`` (on-demand overflow switch) and
    ``discount``; dynamic ``target`` (a :class:`~vmlab.HorizontalPodAutoscaler` utilisation target) and
    ``warmup_s``. The readout compares cost, unmet demand and scaling actions.

    Examples
    --------
    >>> app = provisioning_explorer()
    >>> before = app.figure.data[7].y.copy()      # reserved capacity
    >>> app.controls["reserved_vms"].value = 5
    >>> bool((app.figure.data[7].y != before).any())
    True
    """
    names, load, first = _trace_source(trace, days, seed)
    c = continuous_update
    controls = {
        "trace": widgets.Dropdown(options=names, value=first, description="trace", style=_STYLE, layout=_LAYOUT),
        "check_interval_min": _slider(widgets.IntSlider, "self-service: check every (min)", 60, 5, 480, 5, None, c),
        "reaction_delay_min": _slider(widgets.IntSlider, "self-service: reaction (min)", 10, 0, 120, 5, None, c),
        "reserved_vms": _slider(widgets.IntSlider, "reserved VMs", 20, 0, 80, 1, None, c),
        "discount": _slider(widgets.FloatSlider, "reserved discount", 0.3, 0.0, 0.72, 0.02, ".2f", c),
        "overflow": widgets.Checkbox(value=False, description="overflow to on-demand", style=_STYLE),
        "target": _slider(widgets.FloatSlider, "dynamic: target utilisation", 0.6, 0.2, 1.0, 0.05, ".2f", c),
        "warmup_s": _slider(widgets.IntSlider, "dynamic: warm-up (s)", 90, 0, 900, 15, None, c),
    }
    readout = widgets.HTML()
    labels = ("Self-service", "Advance reservation", "Dynamic (HPA)")

    def build() -> list[ProvisioningResult]:
        t = load(controls["trace"].value)
        kw = {"capacity_per_vm": capacity_per_vm, "price_per_vm_hour": price_per_vm_hour}
        s = SelfService(
            check_interval_s=60.0 * controls["check_interval_min"].value,
            reaction_delay_s=60.0 * controls["reaction_delay_min"].value,
            max_vms=200,
        )
        a = AdvanceReservation(
            reserved_vms=controls["reserved_vms"].value,
            discount=controls["discount"].value,
            overflow_to_on_demand=controls["overflow"].value,
        )
        d = HorizontalPodAutoscaler(target=controls["target"].value, warmup_s=controls["warmup_s"].value, max_vms=200)
        return [simulate_provisioning(t, x, **kw) for x in (s, a, d)]

    results = build()
    fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.07, subplot_titles=labels)
    for row, res in enumerate(results, start=1):
        single = provisioning_figure(res)
        for tr in single.data:
            tr.showlegend = row == 1
            tr.legendgroup = tr.name
            fig.add_trace(tr, row=row, col=1)
        fig.update_yaxes(title_text="req/s", row=row, col=1)
    fig.update_layout(height=760, template="plotly_white", legend={"orientation": "h", "y": -0.06}, margin={"t": 60})
    fig = go.FigureWidget(fig)
    box = widgets.VBox()
    shown = {"trace": controls["trace"].value}

    def update(_=None) -> None:
        start = time.perf_counter()
        try:
            res_list = build()
        except (ValueError, TypeError) as exc:
            readout.value = error_html(exc)
            return
        same_axis = shown["trace"] == controls["trace"].value
        with fig.batch_update():
            for row, res in enumerate(res_list):
                for j, xy in enumerate(provisioning_traces(res)):
                    if j >= 3 or not same_axis:
                        fig.data[5 * row + j].x = xy["x"]
                    fig.data[5 * row + j].y = xy["y"]
        shown["trace"] = controls["trace"].value
        rows = "".join(
            f"<tr><td>{lab}</td><td>{r.cost_usd:.2f}</td><td>{100 * r.unmet_fraction:.2f} %</td>"
            f"<td>{r.sla_violation_minutes:.0f}</td><td>{100 * r.mean_utilisation:.0f} %</td>"
            f"<td>{r.n_scaling_actions}</td></tr>"
            for lab, r in zip(labels, res_list)
        )
        readout.value = (
            "<table><tr><th>type</th><th>cost (USD)</th><th>unmet demand</th><th>SLA min</th>"
            f"<th>utilisation</th><th>scaling actions</th></tr>{rows}</table>"
        )
        box.results = dict(zip(labels, res_list))
        box.last_update_ms = 1000 * (time.perf_counter() - start)

    for control in controls.values():
        control.observe(update, names="value")
    left = widgets.VBox([controls[k] for k in ("trace", "check_interval_min", "reaction_delay_min", "warmup_s")])
    right = widgets.VBox([controls[k] for k in ("reserved_vms", "discount", "overflow", "target")])
    box.children = [widgets.HBox([left, right]), readout, fig]
    box.controls = controls
    box.figure = fig
    box.readout = readout
    box.update = update
    box.results = dict(zip(labels, results))
    box.last_update_ms = float("nan")
    update()
    return box


def comparison_explorer(
    trace: str | pd.DataFrame = "diurnal",
    *,
    days: float = 2,
    seed: int = 1,
    capacity_per_vm: float = 100.0,
    price_per_vm_hour: float = 0.10,
    continuous_update: bool = False,
) -> widgets.VBox:
    """Cost against unmet demand for the provisioning types on one trace, with price levers.

    Five runs per update: self-service, a reservation sized at a percentile of the trace, the
    same reservation with on-demand overflow, the Kubernetes HPA, and a threshold autoscaler.
    Controls: ``trace``, ``percentile`` (reservation sizing), ``discount`` (reserved price below
    on-demand), ``target`` (the HPA's target utilisation), ``check_interval_min`` (self-service).
    The readout is the lecture notes' summary table with the numbers of the current settings.

    Examples
    --------
    >>> app = comparison_explorer()
    >>> before = sorted(x for t in app.figure.data for x in t.x)
    >>> app.controls["discount"].value = 0.7
    >>> after = sorted(x for t in app.figure.data for x in t.x)
    >>> before != after
    True
    """
    names, load, first = _trace_source(trace, days, seed)
    c = continuous_update
    controls = {
        "trace": widgets.Dropdown(options=names, value=first, description="trace", style=_STYLE, layout=_LAYOUT),
        "percentile": _slider(widgets.FloatSlider, "reserve at percentile", 95.0, 0.0, 100.0, 5.0, ".0f", c),
        "discount": _slider(widgets.FloatSlider, "reserved discount", 0.3, 0.0, 0.72, 0.02, ".2f", c),
        "target": _slider(widgets.FloatSlider, "dynamic: target utilisation", 0.6, 0.2, 1.0, 0.05, ".2f", c),
        "check_interval_min": _slider(widgets.IntSlider, "self-service: check every (min)", 60, 5, 480, 5, None, c),
    }
    readout = widgets.HTML()

    def build() -> dict[str, ProvisioningResult]:
        t = load(controls["trace"].value)
        kw = {"capacity_per_vm": capacity_per_vm, "price_per_vm_hour": price_per_vm_hour}
        pct, disc = controls["percentile"].value, controls["discount"].value
        reserved = AdvanceReservation.from_forecast(t, capacity_per_vm=capacity_per_vm, percentile=pct, discount=disc)
        strategies = {
            "self-service": SelfService(check_interval_s=60.0 * controls["check_interval_min"].value, max_vms=200),
            f"reserved P{pct:.0f}": reserved,
            f"reserved P{pct:.0f} + overflow": AdvanceReservation(
                reserved_vms=reserved.reserved_vms, discount=disc, overflow_to_on_demand=True
            ),
            "HPA": HorizontalPodAutoscaler(target=controls["target"].value, max_vms=200),
            "threshold 30-80 %": ThresholdAutoscaler(max_vms=200),
        }
        return {label: simulate_provisioning(t, s, **kw) for label, s in strategies.items()}

    results = build()
    fig = go.FigureWidget(cost_unmet_figure(results, title="Cost against unmet demand (lower left is better)"))
    kinds = [tr.name for tr in fig.data]
    box = widgets.VBox()

    def update(_=None) -> None:
        start = time.perf_counter()
        try:
            res = build()
        except (ValueError, TypeError) as exc:
            readout.value = error_html(exc)
            return
        table = summary_table(res)
        with fig.batch_update():
            for trace_obj, kind in zip(fig.data, kinds):
                rows = table[table["type"] == kind]
                trace_obj.x = rows["cost_usd"].to_numpy()
                trace_obj.y = 100 * rows["unmet_fraction"].to_numpy()
                trace_obj.text = list(rows.index)
        shown = table[["type", "trigger", "timing", "flexibility", "cost_usd", "unmet_fraction", "mean_utilisation", "n_scaling_actions"]]
        body = "".join(
            f"<tr><td>{html.escape(str(i))}</td><td>{r.type}</td><td>{r.trigger}</td><td>{r.timing}</td>"
            f"<td>{r.flexibility}</td><td>{r.cost_usd:.2f}</td><td>{100 * r.unmet_fraction:.2f} %</td>"
            f"<td>{100 * r.mean_utilisation:.0f} %</td><td>{r.n_scaling_actions}</td></tr>"
            for i, r in shown.iterrows()
        )
        readout.value = (
            "<table><tr><th>strategy</th><th>type</th><th>trigger</th><th>timing</th><th>flexibility</th>"
            f"<th>cost (USD)</th><th>unmet demand</th><th>utilisation</th><th>scaling actions</th></tr>{body}</table>"
        )
        box.results = res
        box.last_update_ms = 1000 * (time.perf_counter() - start)

    for control in controls.values():
        control.observe(update, names="value")
    box.children = [
        widgets.HBox([widgets.VBox([controls[k] for k in ("trace", "percentile", "discount")]),
                      widgets.VBox([controls[k] for k in ("target", "check_interval_min")])]),
        fig,
        readout,
    ]
    box.controls = controls
    box.figure = fig
    box.readout = readout
    box.update = update
    box.results = results
    box.last_update_ms = float("nan")
    update()
    return box
