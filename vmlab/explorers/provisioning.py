"""Slider apps for the provisioning notebooks (ipywidgets + one plotly ``FigureWidget``).

* :func:`autoscaling_explorer`: drag the thresholds, cooldown, warm-up, step size and group
  bounds of a :class:`~vmlab.ThresholdAutoscaler` and watch capacity chase demand.
* :func:`provisioning_explorer`: the three provisioning types side by side on one trace.
* :func:`comparison_explorer`: cost against unmet demand for every type, with the price levers
  (reserved discount, reservation size, target utilisation) on sliders.

Each is an :class:`~vmlab.explorers._common.Explorer` (an ipywidgets ``VBox``) with
``.controls`` (name -> widget), ``.figure`` (the ``FigureWidget``), ``.readout`` (an ``HTML``
widget), ``.update()``, ``.result`` (the latest result; for the last two a dict label ->
:class:`~vmlab.ProvisioningResult`, also under the deprecated name ``.results``),
``.last_update_ms`` and ``.last_update_cpu_ms``, so tests can move a slider without a
browser. Only the properties an update changed are sent to the browser: the time axis, for
example, only when the trace changes. One update of :func:`autoscaling_explorer` (simulate a
2-day, 1-minute trace and redraw) stays well under 50 ms, so its sliders update continuously
while dragged; the other two run three and five simulations per update, so they update when a
slider is released (``continuous_update=False``). ``benchmarks/bench_provisioning.py``
measures all three.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
import pandas as pd
from plotly.subplots import make_subplots

from vmlab.explorers._common import Explorer, checkbox, dropdown, slider, write_traces
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


def _runner(load: Callable[[str], pd.DataFrame], capacity_per_vm: float, price_per_vm_hour: float,
            ) -> Callable[[str, Any], ProvisioningResult]:
    """``run(trace name, strategy)``: :func:`simulate_provisioning`, remembering recent runs.

    Strategies are frozen (hashable) parameter objects, so a run is keyed by what it depends on:
    a move of one panel's slider re-simulates that panel's strategy only, and dragging back to a
    value seen before costs nothing.
    """

    @functools.lru_cache(maxsize=128)
    def run(trace_name: str, strategy) -> ProvisioningResult:
        return simulate_provisioning(load(trace_name), strategy, capacity_per_vm=capacity_per_vm,
                                     price_per_vm_hour=price_per_vm_hour)

    return run


def autoscaling_explorer(
    trace: str | pd.DataFrame = "flash_sale",
    *,
    days: float = 2,
    seed: int = 1,
    capacity_per_vm: float = 100.0,
    price_per_vm_hour: float = 0.10,
    continuous_update: bool = True,
) -> Explorer:
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
    Explorer
        An ipywidgets ``VBox`` with ``.controls`` (keys ``trace``, ``scale_out_above`` and
        ``scale_in_below`` in percent, ``cooldown_s``, ``warmup_s``, ``step_vms``, ``min_vms``,
        ``max_vms``), ``.figure``, ``.readout``, ``.update()``, ``.result`` (the latest
        :class:`ProvisioningResult`), ``.last_update_ms`` and ``.last_update_cpu_ms``.

    Examples
    --------
    >>> app = autoscaling_explorer()
    >>> before = list(app.figure.data[2].y)           # capacity
    >>> app.controls["scale_out_above"].value = 50   # percent
    >>> list(app.figure.data[2].y) != before
    True
    """
    names, load, first = _trace_source(trace, days, seed)
    default = ThresholdAutoscaler()
    c = continuous_update

    def whole(description: str, value: int, lo: int, hi: int, step: int, unit: str | None = None) -> widgets.IntSlider:
        return slider(widgets.IntSlider, description=description, unit=unit, value=value, min=lo, max=hi, step=step,
                      continuous_update=c)

    controls = {
        "trace": dropdown(description="trace", options=names, value=first),
        # thresholds in whole percent ("CPU > 80 %"); the policy gets fractions
        "scale_out_above": whole("scale out above", round(100 * default.scale_out_above), 10, 100, 5, "%"),
        "scale_in_below": whole("scale in below", round(100 * default.scale_in_below), 0, 95, 5, "%"),
        "cooldown_s": whole("cooldown", int(default.cooldown_s), 0, 1800, 30, "s"),
        "warmup_s": whole("warm-up / boot", int(default.warmup_s), 0, 900, 15, "s"),
        "step_vms": whole("step size (VMs per action)", default.step_vms, 1, 20, 1),
        "min_vms": whole("min VMs", default.min_vms, 0, 50, 1),
        "max_vms": whole("max VMs", default.max_vms, 1, 150, 1),
    }

    run = _runner(load, capacity_per_vm, price_per_vm_hour)

    def compute(v: dict) -> ProvisioningResult:
        policy = ThresholdAutoscaler(
            scale_out_above=v["scale_out_above"] / 100, scale_in_below=v["scale_in_below"] / 100,
            cooldown_s=v["cooldown_s"], warmup_s=v["warmup_s"], step_vms=v["step_vms"],
            min_vms=v["min_vms"], max_vms=v["max_vms"],
        )
        return run(v["trace"], policy)

    def paint(fig, res: ProvisioningResult) -> None:
        write_traces(fig, provisioning_traces(res))  # the time axis is sent again only when the trace changes
        fig.layout.title.text = f"Threshold auto-scaling<br><sup>{readout_text(res)}</sup>"

    def describe(res: ProvisioningResult) -> str:
        return (
            f"<b>cost</b> ${res.cost_usd:.2f} · <b>unmet demand</b> {100 * res.unmet_fraction:.2f} % "
            f"({res.sla_violation_minutes:.0f} min with SLA violated) · "
            f"<b>scaling actions</b> {res.n_scaling_actions} · utilisation {100 * res.mean_utilisation:.0f} % · "
            f"peak {res.peak_vms} VMs"
        )

    def why_unchanged(name: str, value, res: ProvisioningResult) -> str:
        if name == "max_vms":
            return f"the group never needs more than {res.peak_vms} VMs on this trace, so a higher cap is never reached"
        if name == "cooldown_s":
            return "no scaling decision fell inside the cooldown, so waiting longer delayed nothing"
        return ""

    return Explorer(controls, compute=compute, paint=paint, describe=describe,
                    figure=lambda res: provisioning_figure(res, title="Threshold auto-scaling"),
                    rows=[["trace", "cooldown_s"], ["scale_out_above", "warmup_s"], ["scale_in_below", "min_vms"],
                          ["step_vms", "max_vms"]], why_unchanged=why_unchanged)


def provisioning_explorer(
    trace: str | pd.DataFrame = "flash_sale",
    *,
    days: float = 2,
    seed: int = 1,
    capacity_per_vm: float = 100.0,
    price_per_vm_hour: float = 0.10,
    continuous_update: bool = False,
) -> Explorer:
    """The three provisioning types on one trace, one panel each, with their key knobs.

    Controls: ``trace``; self-service ``check_interval_min`` and ``reaction_delay_min``;
    advance reservation ``reserved_vms`` and ``overflow`` (on-demand overflow switch) and
    ``discount``; dynamic ``target`` (a :class:`~vmlab.HorizontalPodAutoscaler` utilisation target) and
    ``warmup_s``, each group under a heading naming its panel. The readout compares cost,
    unmet demand and scaling actions; ``.result`` is a dict type -> :class:`ProvisioningResult`.

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
        "trace": dropdown(description="trace", options=names, value=first),
        "check_interval_min": slider(widgets.IntSlider, description="check every", unit="min", value=60, min=5, max=480,
                                     step=5, continuous_update=c),
        "reaction_delay_min": slider(widgets.IntSlider, description="reaction delay", unit="min", value=10, min=0,
                                     max=120, step=5, continuous_update=c),
        "reserved_vms": slider(widgets.IntSlider, description="reserved VMs", value=20, min=0, max=80, step=1,
                               continuous_update=c),
        "discount": _discount(c),
        "overflow": checkbox(description="overflow to on-demand VMs"),
        "target": _target(c, "target utilisation"),
        "warmup_s": slider(widgets.IntSlider, description="warm-up", unit="s", value=90, min=0, max=900, step=15,
                           continuous_update=c),
    }
    labels = ("Self-service", "Advance reservation", "Dynamic (HPA)")

    run = _runner(load, capacity_per_vm, price_per_vm_hour)

    def compute(v: dict) -> dict[str, ProvisioningResult]:
        s = SelfService(check_interval_s=60.0 * v["check_interval_min"], reaction_delay_s=60.0 * v["reaction_delay_min"],
                        max_vms=200)
        a = AdvanceReservation(reserved_vms=v["reserved_vms"], discount=v["discount"], overflow_to_on_demand=v["overflow"])
        d = HorizontalPodAutoscaler(target=v["target"], warmup_s=v["warmup_s"], max_vms=200)
        return {label: run(v["trace"], x) for label, x in zip(labels, (s, a, d))}

    def draw(results: dict[str, ProvisioningResult]):
        fig = make_subplots(rows=3, cols=1, shared_xaxes=True, vertical_spacing=0.07, subplot_titles=labels)
        for row, res in enumerate(results.values(), start=1):
            for tr in provisioning_figure(res).data:
                tr.showlegend = row == 1
                tr.legendgroup = tr.name
                fig.add_trace(tr, row=row, col=1)
            fig.update_yaxes(title_text="req/s", row=row, col=1)
        fig.update_layout(height=760, template="plotly_white", legend={"orientation": "h", "y": -0.06}, margin={"t": 60})
        return fig

    def paint(fig, results: dict[str, ProvisioningResult]) -> None:
        for row, res in enumerate(results.values()):
            write_traces(fig, provisioning_traces(res), first=5 * row)

    def describe(results: dict[str, ProvisioningResult]) -> str:
        rows = "".join(
            f"<tr><td>{lab}</td><td>{r.cost_usd:.2f}</td><td>{100 * r.unmet_fraction:.2f} %</td>"
            f"<td>{r.sla_violation_minutes:.0f}</td><td>{100 * r.mean_utilisation:.0f} %</td>"
            f"<td>{r.n_scaling_actions}</td></tr>"
            for lab, r in results.items()
        )
        return (
            "<table><tr><th>type</th><th>cost (USD)</th><th>unmet demand</th><th>SLA min</th>"
            f"<th>utilisation</th><th>scaling actions</th></tr>{rows}</table>"
        )

    return Explorer(controls, compute=compute, paint=paint, describe=describe, figure=draw,
                    rows=[["trace"],
                          "<b>Self-service</b> (top panel)", ["check_interval_min", "reaction_delay_min"],
                          "<b>Advance reservation</b> (middle panel)", ["reserved_vms", "discount"], ["overflow"],
                          "<b>Dynamic, Kubernetes HPA</b> (bottom panel)", ["target", "warmup_s"]])


def _discount(continuous_update: bool) -> widgets.FloatSlider:
    """The reserved price's discount below on-demand (a fraction, shown in percent)."""
    return slider(widgets.FloatSlider, description="reserved discount", value=0.3, min=0.0, max=0.72, step=0.02,
                  readout_format=".0%", continuous_update=continuous_update)


def _target(continuous_update: bool, description: str) -> widgets.FloatSlider:
    """The HPA's target utilisation (a fraction, shown in percent)."""
    return slider(widgets.FloatSlider, description=description, value=0.6, min=0.2, max=1.0, step=0.05,
                  readout_format=".0%", continuous_update=continuous_update)


def comparison_explorer(
    trace: str | pd.DataFrame = "diurnal",
    *,
    days: float = 2,
    seed: int = 1,
    capacity_per_vm: float = 100.0,
    price_per_vm_hour: float = 0.10,
    continuous_update: bool = False,
) -> Explorer:
    """Cost against unmet demand for the provisioning types on one trace, with price levers.

    Five runs per update: self-service, a reservation sized at a percentile of the trace, the
    same reservation with on-demand overflow, the Kubernetes HPA, and a threshold autoscaler.
    Controls: ``trace``, ``percentile`` (reservation sizing), ``discount`` (reserved price below
    on-demand), ``target`` (the HPA's target utilisation), ``check_interval_min`` (self-service).
    The readout is the lecture notes' summary table with the numbers of the current settings;
    ``.result`` is a dict strategy -> :class:`ProvisioningResult`.

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
        "trace": dropdown(description="trace", options=names, value=first),
        "percentile": slider(widgets.FloatSlider, description="reserve at percentile", value=95.0, min=0.0, max=100.0,
                             step=5.0, readout_format=".0f", continuous_update=c),
        "discount": _discount(c),
        "target": _target(c, "HPA target utilisation"),
        "check_interval_min": slider(widgets.IntSlider, description="self-service check every", unit="min", value=60,
                                     min=5, max=480, step=5, continuous_update=c),
    }

    run = _runner(load, capacity_per_vm, price_per_vm_hour)

    def compute(v: dict) -> dict[str, ProvisioningResult]:
        t = load(v["trace"])
        pct, disc = v["percentile"], v["discount"]
        reserved = AdvanceReservation.from_forecast(t, capacity_per_vm=capacity_per_vm, percentile=pct, discount=disc)
        strategies = {
            "self-service": SelfService(check_interval_s=60.0 * v["check_interval_min"], max_vms=200),
            f"reserved P{pct:.0f}": reserved,
            f"reserved P{pct:.0f} + overflow": AdvanceReservation(
                reserved_vms=reserved.reserved_vms, discount=disc, overflow_to_on_demand=True
            ),
            "HPA": HorizontalPodAutoscaler(target=v["target"], max_vms=200),
            "threshold 30-80 %": ThresholdAutoscaler(max_vms=200),
        }
        return {label: run(v["trace"], s) for label, s in strategies.items()}

    kinds: list[str] = []  # the provisioning type of each trace, in the figure's order

    def draw(results: dict[str, ProvisioningResult]):
        fig = cost_unmet_figure(results, title="Cost against unmet demand (lower left is better)")
        kinds.extend(tr.name for tr in fig.data)
        return fig

    def paint(fig, results: dict[str, ProvisioningResult]) -> None:
        table = summary_table(results)
        for trace_obj, kind in zip(fig.data, kinds):
            rows = table[table["type"] == kind]
            trace_obj.update(x=rows["cost_usd"].to_numpy(), y=100 * rows["unmet_fraction"].to_numpy(), text=list(rows.index))

    def describe(results: dict[str, ProvisioningResult]) -> str:
        shown = summary_table(results)[["type", "trigger", "timing", "flexibility", "cost_usd", "unmet_fraction",
                                        "mean_utilisation", "n_scaling_actions"]]
        body = "".join(
            f"<tr><td>{html.escape(str(i))}</td><td>{r.type}</td><td>{r.trigger}</td><td>{r.timing}</td>"
            f"<td>{r.flexibility}</td><td>{r.cost_usd:.2f}</td><td>{100 * r.unmet_fraction:.2f} %</td>"
            f"<td>{100 * r.mean_utilisation:.0f} %</td><td>{r.n_scaling_actions}</td></tr>"
            for i, r in shown.iterrows()
        )
        return (
            "<table><tr><th>strategy</th><th>type</th><th>trigger</th><th>timing</th><th>flexibility</th>"
            f"<th>cost (USD)</th><th>unmet demand</th><th>utilisation</th><th>scaling actions</th></tr>{body}</table>"
        )

    return Explorer(controls, compute=compute, paint=paint, describe=describe,
                    figure=draw,
                    rows=[["trace", "target"], ["percentile", "check_interval_min"], ["discount"]], readout_below=True)
