"""Notebooks 10-12 (provisioning) run with changed parameters, and their exercises follow the model.

Each papermill run executes a notebook in a fresh kernel with ``VMLAB_STRICT=1`` (a false
``vl.claim`` fails it), checks that no exercise's answer is printed above its check and that a
static figure comes before the explorer, and returns the published results, on which the
numbers the text states are checked against direct model runs and closed forms.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from tests.nbtools import run_notebook
from vmlab import HPA, AdvanceReservation, AwsTargetTracking, ThresholdAutoscaler, demand, simulate_provisioning
from vmlab.exercises.bank import find

YEAR_H = 24 * 365


# ---- notebook 10 ---------------------------------------------------------------------------------
@pytest.mark.notebooks
@pytest.mark.slow
def test_notebook_10_on_the_dev_test_trace(tmp_path):
    params = {"TRACE": "dev_test", "DAYS": 3.0, "SEED": 4, "REACTION_DELAY_S": 300.0, "ALLOCATION_S": 10.0,
              "BOOT_S": 50.0, "RESERVE_PERCENTILE": 100.0, "DISCOUNT": 0.4, "TARGET_UTILISATION": 0.7}
    res = run_notebook("10_provisioning_types.ipynb", tmp_path, params)
    assert res["trace"] == "dev_test"
    # reaction + login & selection (60 s) + configuration (120 s) + allocation + boot
    assert_allclose(res["self_service_latency_s"], 300 + 60 + 120 + 10 + 50)
    history = demand.make("dev_test", days=3.0, seed=4 + 100)
    n = math.ceil(history["demand"].max() / 100.0)
    assert res["reserved_vms"] == n
    assert_allclose(res["reserved_cost_usd"], n * 0.10 * (1 - 0.4) * 72)  # billed whether used or not
    # a three-year term: 40 % saved while the need lasts, 1 - 3 x 0.6 lost when it ends after a year
    assert_allclose(res["commitment_saving_if_it_lasts_usd"], n * 0.10 * 0.4 * 3 * YEAR_H, rtol=1e-9)
    assert_allclose(res["commitment_saving_if_it_ends_usd"], n * 0.10 * YEAR_H * (1 - 3 * 0.6), rtol=1e-9)
    trace = demand.make("dev_test", days=3.0, seed=4)
    hpa = simulate_provisioning(trace, HPA(target=0.7, allocation_s=10.0, warmup_s=50.0, max_vms=1000))
    assert res["dynamic_actions"] == hpa.n_scaling_actions and res["dynamic_actions"] > res["self_service_actions"]
    assert_allclose(res["dynamic_cost_usd"], hpa.cost_usd, rtol=1e-9)
    aws = simulate_provisioning(trace, AwsTargetTracking(target=0.7, allocation_s=10.0, warmup_s=50.0, max_vms=1000))
    assert res["aws_target_tracking_actions"] == aws.n_scaling_actions


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


# ---- notebook 12 ---------------------------------------------------------------------------------
@pytest.mark.notebooks
@pytest.mark.slow
def test_notebook_12_with_a_deeper_discount_and_a_shorter_term(tmp_path):
    params = {"DISCOUNT": 0.6, "UNMET_BUDGET": 0.05, "CHECK_INTERVAL_S": 1800.0, "TERM_YEARS": 2,
              "ON_DEMAND_LIMIT_VMS": 5}
    res = run_notebook("12_provisioning_compared.ipynb", tmp_path, params)
    history = demand.make("diurnal", days=2.0, seed=101)
    reserved = AdvanceReservation.from_forecast(history, capacity_per_vm=100.0, percentile=95.0)
    assert_allclose(res["diurnal_reserved_cost_usd"], reserved.reserved_vms * 0.10 * 0.4 * 48)
    # the break-even discount does not depend on the discount paid
    trace = demand.make("diurnal", days=2.0, seed=1)
    hpa = simulate_provisioning(trace, HPA(target=0.6, warmup_s=90.0, max_vms=300))
    peak = AdvanceReservation.from_forecast(history, capacity_per_vm=100.0, percentile=100)
    assert_allclose(res["diurnal_break_even_discount"], 1 - hpa.cost_usd / (peak.reserved_vms * 0.10 * 48), rtol=1e-9)
    for name in demand.TRACES:
        assert res[f"{name}_hybrid_unmet_fraction"] <= res[f"{name}_reserved_unmet_fraction"]
        assert res[f"{name}_choice"] in {"self-service", "reserved", "reserved + overflow", "HPA", "thresholds",
                                         "none within budget"}
    # zonal reserved instances keep their VMs when the region can give only 5 on-demand VMs
    assert res["short_zonal_unmet_fraction"] < res["short_savings_plan_unmet_fraction"]
    n = res["worldcup98_reserved_vms"]
    assert_allclose(res["commitment_saving_if_it_ends_usd"], n * 0.10 * YEAR_H * (1 - 2 * 0.4), rtol=1e-9)


# ---- the banks follow the model (no kernel) -----------------------------------------------------
N11 = dict(TRACE="flash_sale", DAYS=2.0, SEED=1, CAPACITY_PER_VM=100.0, PRICE_PER_VM_HOUR=0.1, SCALE_OUT_ABOVE=0.8,
           SCALE_IN_BELOW=0.3, STEP_VMS=1, PERIOD_S=60.0, EVALUATION_PERIODS=1, COOLDOWN_S=300.0, WARMUP_S=90.0,
           MIN_VMS=2, MAX_VMS=100, TARGET=0.6)


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


def test_12f_is_the_saving_of_a_commitment_that_outlives_its_workload():
    p = dict(DAYS=2.0, SEED=1, CAPACITY_PER_VM=100.0, PRICE_PER_VM_HOUR=0.1, MAX_VMS=300, CHECK_INTERVAL_S=3600.0,
             REACTION_DELAY_S=600.0, RESERVE_PERCENTILE=95.0, DISCOUNT=0.3, TERM_YEARS=3, TARGET=0.6, WARMUP_S=90.0)
    cup = demand.worldcup98("1998-06-15", "1998-06-17")
    n = math.ceil(np.percentile(cup["demand"], 95) / 100.0)
    assert_allclose(find("12f").expected_value(p), n * 0.1 * YEAR_H * (1 - 3 * 0.7), rtol=1e-9)
    assert find("12f").expected_value({**p, "TERM_YEARS": 1}) > 0  # one year used of one: the discount is saved
