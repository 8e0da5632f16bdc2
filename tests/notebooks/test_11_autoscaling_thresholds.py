"""Notebook 11 run with changed parameters, and its exercises against closed forms."""

from __future__ import annotations

import math

import pytest
from numpy.testing import assert_allclose

from tests.nbtools import run_notebook
from vmlab import HPA, ThresholdAutoscaler, demand, simulate_provisioning
from vmlab.exercises.bank import find


YEAR_H = 24 * 365


# ---- the banks follow the model (no kernel) -----------------------------------------------------
N11 = dict(TRACE="flash_sale", DAYS=2.0, SEED=1, CAPACITY_PER_VM=100.0, PRICE_PER_VM_HOUR=0.1, SCALE_OUT_ABOVE=0.8,
           SCALE_IN_BELOW=0.3, STEP_VMS=1, PERIOD_S=60.0, EVALUATION_PERIODS=1, COOLDOWN_S=300.0, WARMUP_S=90.0,
           MIN_VMS=2, MAX_VMS=100, TARGET=0.6)


# ---- notebook 11 ---------------------------------------------------------------------------------
@pytest.mark.notebooks
@pytest.mark.slow
def test_notebook_11_publishes_what_the_model_says(tmp_path):
    params = {"TRACE": "streaming_spike", "COOLDOWN_S": 120.0, "WARMUP_S": 40.0, "STEP_VMS": 2, "MAX_VMS": 80,
              "TARGET": 0.7, "PERIOD_S": 60.0}
    res = run_notebook("11_autoscaling_thresholds.ipynb", tmp_path, params)
    trace = demand.make("streaming_spike", days=2.0, seed=1)
    policy = ThresholdAutoscaler(cooldown_s=120.0, warmup_s=40.0, step_vms=2, min_vms=2, max_vms=80)
    direct = simulate_provisioning(trace, policy, capacity_per_vm=100.0, price_per_vm_hour=0.10)
    assert res["trace"] == "streaming_spike"
    assert res["n_scaling_actions"] == direct.n_scaling_actions
    assert_allclose([res["cost_usd"], res["unmet_fraction"]], [direct.cost_usd, direct.unmet_fraction], rtol=1e-9)
    assert res["peak_vms"] <= 80
    # "after a scale-out it waits for the new VM to serve, then the cooldown": 40 + 120 s, two periods
    assert res["shortest_scale_out_gap_s"] == 180.0
    hpa = simulate_provisioning(trace, HPA(target=0.7, warmup_s=40.0, min_vms=2, max_vms=80))
    assert_allclose(res["hpa_cost_usd"], hpa.cost_usd, rtol=1e-9)
    assert res["narrow_band_actions"] > res["n_scaling_actions"]


@pytest.mark.notebooks
@pytest.mark.slow
def test_notebook_11_with_basic_monitoring(tmp_path):
    res = run_notebook("11_autoscaling_thresholds.ipynb", tmp_path,
                       {"PERIOD_S": 300.0, "EVALUATION_PERIODS": 3, "WARMUP_S": 200.0, "COOLDOWN_S": 300.0})
    assert res["shortest_scale_out_gap_s"] == 600.0  # 200 + 300 s, rounded up to 5-minute periods
    assert res["hpa_unmet_fraction"] < res["unmet_fraction"]  # the HPA does not wait for datapoints


@pytest.mark.parametrize("period, periods, warmup, cooldown", [
    (60.0, 1, 90.0, 300.0), (300.0, 1, 90.0, 300.0), (60.0, 3, 30.0, 0.0), (120.0, 2, 250.0, 600.0), (137.0, 1, 45.0, 100.0),
])
def test_11a_and_11b_are_the_closed_forms(period, periods, warmup, cooldown):
    p = {**N11, "PERIOD_S": period, "EVALUATION_PERIODS": periods, "WARMUP_S": warmup, "COOLDOWN_S": cooldown}
    # the first VM serves `periods` whole datapoints after a jump at a period's start, plus the warm-up
    assert find("11a").expected_value(p) == pytest.approx(periods * period + warmup)
    # simple scaling acts again once the new VM serves and the cooldown is over, at the next period
    assert find("11b").expected_value(p) == pytest.approx(max(math.ceil((warmup + cooldown) / period - 1e-9), 1) * period)


def test_11e_the_naive_rule_overshoots_on_the_sale():
    for change in ({}, {"PERIOD_S": 300.0, "STEP_VMS": 4, "TRACE": "diurnal"}, {"CAPACITY_PER_VM": 400.0, "MAX_VMS": 60}):
        assert find("11e").expected_value({**N11, **change}) == "a"
