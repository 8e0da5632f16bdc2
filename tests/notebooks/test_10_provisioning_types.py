"""Notebook 10 run with changed parameters, checked against direct model runs."""

from __future__ import annotations

import math

import pytest
from numpy.testing import assert_allclose

from tests.nbtools import run_notebook
from vmlab import HPA, AwsTargetTracking, demand, simulate_provisioning


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
