"""Notebooks 10-12 run with changed parameters (papermill) and publish what the models say."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from tests.nbtools import NOTEBOOKS, parameters_of, run_notebook, stripped
from vmlab import HPA, AdvanceReservation, ThresholdAutoscaler, demand, simulate_provisioning

pytestmark = [pytest.mark.notebooks, pytest.mark.slow]

NAMES = ["10_provisioning_types.ipynb", "11_autoscaling_thresholds.ipynb", "12_provisioning_compared.ipynb"]


@pytest.mark.parametrize("name", NAMES)
def test_notebooks_are_stored_clean_and_follow_the_template(name):
    import nbformat

    path = NOTEBOOKS / name
    assert stripped(path), f"{name} carries outputs or widget state"
    nb = nbformat.read(str(path), as_version=4)
    tags = [t for c in nb.cells for t in c.metadata.get("tags", [])]
    assert tags.count("parameters") == 1 and tags.count("results") == 1 and tags.count("explorer") == 1
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert text.startswith(f"# {name[:2]} · ")
    for heading in ("## Overview", "## Prerequisites", "## Imports", "## Explore", "## Exercises", "## Summary",
                    "### What's next?", "## References", "<details><summary>Solution</summary>"):
        assert heading in text, (name, heading)
    assert parameters_of(path), "papermill finds no parameters"


def test_notebook_10_with_other_parameters(tmp_path):
    params = {"TRACE": "dev_test", "DAYS": 1.0, "REACTION_DELAY_S": 300.0, "RESERVE_PERCENTILE": 100.0, "SEED": 4}
    res = run_notebook("10_provisioning_types.ipynb", tmp_path, params)
    assert res["trace"] == "dev_test"
    assert_allclose(res["self_service_latency_s"], 300 + 60 + 120 + 60 + 96.9)
    history = demand.make("dev_test", days=1.0, seed=4 + 100)
    assert res["reserved_vms"] == math.ceil(history["demand"].max() / 100.0)
    assert_allclose(res["reserved_cost"], res["reserved_vms"] * 0.10 * 0.7 * 24)
    assert res["dynamic_actions"] > 0 and 0 <= res["dynamic_unmet_fraction"] < 0.05


def test_notebook_11_publishes_what_the_model_says(tmp_path):
    params = {"TRACE": "streaming_spike", "COOLDOWN_S": 120.0, "WARMUP_S": 30.0, "STEP_VMS": 2, "MAX_VMS": 60, "TARGET": 0.7}
    res = run_notebook("11_autoscaling_thresholds.ipynb", tmp_path, params)
    trace = demand.make("streaming_spike", days=2.0, seed=1)
    direct = simulate_provisioning(
        trace, ThresholdAutoscaler(cooldown_s=120.0, warmup_s=30.0, step_vms=2, min_vms=2, max_vms=60),
        capacity_per_vm=100.0, price_per_vm_hour=0.10,
    )
    assert res["trace"] == "streaming_spike"
    assert res["n_scaling_actions"] == direct.n_scaling_actions
    assert_allclose([res["cost"], res["unmet_fraction"]], [direct.cost_usd, direct.unmet_fraction], rtol=1e-9)
    assert res["peak_vms"] <= 60
    tracking = simulate_provisioning(trace, HPA(target=0.7, warmup_s=30.0, min_vms=2, max_vms=60))
    assert_allclose(res["tracking_cost"], tracking.cost_usd, rtol=1e-9)
    assert res["narrow_band_actions"] > res["n_scaling_actions"]


def test_notebook_12_with_a_deeper_discount(tmp_path):
    params = {"DISCOUNT": 0.6, "DAYS": 1.0, "UNMET_BUDGET": 0.05, "CHECK_INTERVAL_S": 1800.0}
    res = run_notebook("12_provisioning_compared.ipynb", tmp_path, params)
    history = demand.make("diurnal", days=1.0, seed=101)
    reserved = AdvanceReservation.from_forecast(history, capacity_per_vm=100.0, percentile=95.0)
    assert_allclose(res["diurnal_reserved_cost"], reserved.reserved_vms * 0.10 * 0.4 * 24)
    # the break-even discount does not depend on the discount paid
    trace = demand.make("diurnal", days=1.0, seed=1)
    tracking = simulate_provisioning(trace, HPA(target=0.6, warmup_s=90.0, max_vms=200))
    peak = AdvanceReservation.from_forecast(history, capacity_per_vm=100.0, percentile=100)
    assert_allclose(res["diurnal_break_even_discount"], 1 - tracking.cost_usd / (peak.reserved_vms * 0.10 * 24), rtol=1e-9)
    for name in demand.TRACES:
        assert res[f"{name}_hybrid_unmet_fraction"] <= res[f"{name}_reserved_unmet_fraction"]
        assert res[f"{name}_choice"] in {"self-service", "reserved", "reserved + overflow", "target tracking",
                                         "thresholds", "none within budget"}
    assert res["own_trace_minutes"] == 2880
    costs = [res[f"diurnal_{k}_cost"] for k in ("self_service", "reserved", "hybrid", "target_tracking", "thresholds")]
    assert np.all(np.isfinite(costs))
