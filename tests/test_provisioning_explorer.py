"""Provisioning figures and explorers, without a browser: move a control, the figure changes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from vmlab import (
    AdvanceReservation,
    SelfService,
    HorizontalPodAutoscaler,
    ThresholdAutoscaler,
    autoscaling_explorer,
    comparison_explorer,
    demand_figure,
    cost_unmet_figure,
    demand,
    process_steps_figure,
    provisioning_explorer,
    provisioning_figure,
    simulate_provisioning,
    summary_table,
    utilisation_figure,
)

TRACE = demand.flash_sale(days=1, seed=2, sale_start_h=10)


def _as_drawn(step_trace, times) -> np.ndarray:
    """The value a step line ("hv") shows at each of ``times``."""
    x, y = np.asarray(step_trace.x), np.asarray(step_trace.y)
    return y[np.searchsorted(x, np.asarray(times), side="right") - 1]


def test_provisioning_figure_shades_unmet_demand_and_marks_events():
    r = simulate_provisioning(TRACE, ThresholdAutoscaler(warmup_s=300))
    fig = provisioning_figure(r)
    assert isinstance(fig, go.Figure)
    served, dem, cap, out, inn = fig.data
    assert dem.fill == "tonexty"  # shaded down to the served line: the shaded area is unmet demand
    np.testing.assert_allclose(np.asarray(dem.y) - np.asarray(served.y), r.timeline["unmet_rps"])
    assert cap.line.shape == "hv" and len(cap.x) < len(r.timeline)  # a step line: only where capacity changes
    np.testing.assert_allclose(_as_drawn(cap, r.timeline["time"]), r.timeline["capacity_rps"])
    assert len(out.x) == (r.scaling_events["change"] > 0).sum() > 0
    assert len(inn.x) == (r.scaling_events["change"] < 0).sum() > 0
    assert "scaling actions" in fig.layout.title.text


def test_utilisation_and_steps_and_scatter_figures():
    r = simulate_provisioning(TRACE, HorizontalPodAutoscaler())
    fig = utilisation_figure(r)
    np.testing.assert_allclose(fig.data[0].y, r.timeline["utilisation"])
    steps = process_steps_figure(SelfService(), AdvanceReservation(), ThresholdAutoscaler())
    assert [list(t.y) for t in steps.data][0][1:] == [
        "Login & selection", "Configuration", "Automated allocation", "Initialisation (billing starts)"
    ]
    runs = {
        "manual": simulate_provisioning(TRACE, SelfService()),
        "reserved": simulate_provisioning(TRACE, AdvanceReservation(reserved_vms=30)),
        "auto": r,
    }
    scatter = cost_unmet_figure(runs)
    assert {t.name for t in scatter.data} == {"Self-service", "Advanced", "Dynamic"}
    xs = sorted(float(x) for t in scatter.data for x in t.x)
    assert xs == sorted(run.cost_usd for run in runs.values())
    table = summary_table(runs).assign(trace="flash")
    assert len(cost_unmet_figure(table).data) == 3
    with pytest.raises(ValueError, match="'cost_usd'"):
        cost_unmet_figure(table.drop(columns="cost_usd"))
    # a table from before the rename still draws
    old = pd.DataFrame(table).rename(columns={"cost_usd": "cost"})
    assert len(cost_unmet_figure(old).data) == 3


def test_autoscaling_explorer_wiring():
    app = autoscaling_explorer(days=2)
    expected = {"trace", "scale_out_above", "scale_in_below", "cooldown_s", "warmup_s", "step_vms", "min_vms", "max_vms"}
    assert set(app.controls) == expected
    fig = app.figure
    assert isinstance(fig, go.FigureWidget)
    before_cap = np.array(fig.data[2].y)
    before_actions = app.result.n_scaling_actions
    app.controls["cooldown_s"].value = 0
    assert not np.array_equal(before_cap, fig.data[2].y)
    assert app.result.n_scaling_actions > before_actions
    assert f"<b>scaling actions</b> {app.result.n_scaling_actions}" in app.readout.value
    assert "cost" in app.readout.value and "unmet demand" in app.readout.value
    # the figure shows what the model says for the current controls
    direct = simulate_provisioning(demand.make("flash_sale", days=2, seed=1), ThresholdAutoscaler(cooldown_s=0))
    np.testing.assert_allclose(_as_drawn(fig.data[2], direct.timeline["time"]), direct.timeline["capacity_rps"])
    # the trace picker swaps the demand line
    app.controls["trace"].value = "dev_test"
    np.testing.assert_allclose(fig.data[1].y, demand.make("dev_test", days=2, seed=1)["demand"])
    # max VMs caps capacity
    app.controls["max_vms"].value = 3
    assert max(fig.data[2].y) <= 300
    assert app.last_update_ms > 0


def test_autoscaling_explorer_reports_bad_combinations_instead_of_crashing():
    app = autoscaling_explorer(days=1)
    y = np.array(app.figure.data[2].y)
    assert app.controls["scale_out_above"].value == 80  # percent
    app.controls["scale_in_below"].value = 90  # above the 80 % scale-out threshold
    assert "scale_in_below" in app.readout.value and "must be less than" in app.readout.value
    np.testing.assert_array_equal(app.figure.data[2].y, y)
    app.controls["scale_in_below"].value = 20
    assert "cost" in app.readout.value


def test_autoscaling_explorer_takes_a_users_trace():
    own = demand.streaming_spike(days=1, seed=9, event_start_h=12, start="2024-06-01")
    own.attrs["name"] = "my log"
    app = autoscaling_explorer(own, days=1)
    assert app.controls["trace"].value == "my log"
    np.testing.assert_allclose(app.figure.data[1].y, own["demand"])
    # another trace on another time axis: x is sent again for every line
    app.controls["trace"].value = "diurnal"
    start = demand.make("diurnal", days=1, seed=1).index[0]
    for j in range(3):
        assert pd.Timestamp(app.figure.data[j].x[0]) == start
    with pytest.raises(ValueError, match="trace must be"):
        autoscaling_explorer("black_friday")


def test_provisioning_explorer_wiring():
    app = provisioning_explorer(days=1)
    fig = app.figure
    assert len(fig.data) == 15  # five traces per provisioning type
    reserved_before = np.array(fig.data[7].y)
    app.controls["reserved_vms"].value = 5
    np.testing.assert_allclose(fig.data[7].y, 500.0)
    assert not np.array_equal(reserved_before, fig.data[7].y)
    manual_before = np.array(fig.data[2].y)
    app.controls["check_interval_min"].value = 15
    assert not np.array_equal(manual_before, fig.data[2].y)
    unmet_strict = app.result["Advance reservation"].unmet_fraction
    app.controls["overflow"].value = True
    assert app.result["Advance reservation"].unmet_fraction < unmet_strict
    assert "<table>" in app.readout.value and "scaling actions" in app.readout.value


def test_comparison_explorer_wiring():
    app = comparison_explorer(days=1)
    assert set(app.controls) == {"trace", "percentile", "discount", "target", "check_interval_min"}
    assert app.controls["discount"].continuous_update is False  # five runs per update: on release
    costs = {label: r.cost_usd for label, r in app.result.items()}
    app.controls["discount"].value = 0.6
    reserved = [label for label in costs if label.startswith("reserved")]
    for label in reserved:
        assert app.result[label].cost_usd < costs[label]
    assert app.result["HPA"].cost_usd == costs["HPA"]
    shown = sorted(float(x) for t in app.figure.data for x in t.x)
    np.testing.assert_allclose(shown, sorted(r.cost_usd for r in app.result.values()))
    app.controls["percentile"].value = 100.0
    assert app.result["reserved P100"].unmet_fraction == 0.0
    assert "Contract/Plan" in app.readout.value and "Workload metrics" in app.readout.value


def test_demand_figure():
    fig = demand_figure({"a": demand.diurnal(days=1), "b": demand.dev_test(days=1)})
    assert [t.name for t in fig.data] == ["a", "b"]
