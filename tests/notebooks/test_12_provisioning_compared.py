"""Notebook 12 run with changed parameters, and its exercises against the model."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from tests.nbtools import run_notebook
from vmlab import HPA, AdvanceReservation, demand, simulate_provisioning
from vmlab.exercises.bank import find


YEAR_H = 24 * 365


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


def test_12f_is_the_saving_of_a_commitment_that_outlives_its_workload():
    p = dict(DAYS=2.0, SEED=1, CAPACITY_PER_VM=100.0, PRICE_PER_VM_HOUR=0.1, MAX_VMS=300, CHECK_INTERVAL_S=3600.0,
             REACTION_DELAY_S=600.0, RESERVE_PERCENTILE=95.0, DISCOUNT=0.3, TERM_YEARS=3, TARGET=0.6, WARMUP_S=90.0)
    cup = demand.worldcup98("1998-06-15", "1998-06-17")
    n = math.ceil(np.percentile(cup["demand"], 95) / 100.0)
    assert_allclose(find("12f").expected_value(p), n * 0.1 * YEAR_H * (1 - 3 * 0.7), rtol=1e-9)
    assert find("12f").expected_value({**p, "TERM_YEARS": 1}) > 0  # one year used of one: the discount is saved
