"""The comparison tables of notebooks 10-12 (``vmlab.provisioning.compare``)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

import vmlab as vl
from vmlab.provisioning.compare import ADVERTISED_MAX_DISCOUNT, COMMITMENT_FUTURES

KW = {"capacity_per_vm": 100.0, "price_per_vm_hour": 0.10}


@pytest.fixture(scope="module")
def traces():
    return {name: vl.demand.make(name, days=2, seed=3) for name in ("diurnal", "flash_sale")}


@pytest.fixture(scope="module")
def histories():
    return {name: vl.demand.make(name, days=2, seed=103) for name in ("diurnal", "flash_sale")}


def _contenders(history):
    reserved = vl.AdvanceReservation.from_forecast(history, capacity_per_vm=100.0, percentile=95, discount=0.3)
    return {"manual": vl.SelfService(max_vms=200), "reserved": reserved,
            "hybrid": reserved.replace(overflow_to_on_demand=True), "HPA": vl.HPA(max_vms=200)}


@pytest.fixture(scope="module")
def compared(traces, histories):
    return vl.compare_provisioning(traces, _contenders, histories=histories, **KW)


# ---- compare_provisioning ---------------------------------------------------------------------
def test_one_row_per_trace_and_strategy_equal_to_a_direct_run(compared, traces, histories):
    assert list(compared.table.index.names) == ["trace", "strategy"]
    assert len(compared.table) == 2 * 4 and compared.traces == ["diurnal", "flash_sale"]
    assert compared.strategies == ["manual", "reserved", "hybrid", "HPA"]
    direct = vl.simulate_provisioning(traces["flash_sale"], _contenders(histories["flash_sale"])["reserved"], **KW)
    assert compared.table.loc[("flash_sale", "reserved"), "cost_usd"] == pytest.approx(direct.cost_usd, rel=1e-12)
    assert compared.result("flash_sale", "reserved").unmet_fraction == pytest.approx(direct.unmet_fraction)


def test_a_fixed_mapping_of_contenders_runs_the_same_strategies_everywhere(traces):
    cmp = vl.compare_provisioning(traces, {"HPA": vl.HPA()}, **KW)
    assert cmp.metric("n_scaling_actions").shape == (2, 1)


def test_metric_is_a_grid_in_the_given_order(compared):
    grid = compared.metric("unmet_fraction")
    assert list(grid.index) == compared.traces and list(grid.columns) == compared.strategies
    assert grid.loc["diurnal", "HPA"] == compared.table.loc[("diurnal", "HPA"), "unmet_fraction"]
    with pytest.raises(KeyError, match="no column 'cost'"):
        compared.metric("cost")


def test_across_traces_averages_the_cost_relative_to_the_reference(compared):
    summary = compared.across_traces("HPA")
    assert list(summary.index) == compared.strategies
    assert summary.loc["HPA", "relative_cost"] == pytest.approx(1.0)
    cost = compared.metric("cost_usd")
    assert summary.loc["manual", "relative_cost"] == pytest.approx((cost["manual"] / cost["HPA"]).mean())
    assert summary.loc["reserved", "n_scaling_actions"] == 0
    assert summary.loc["reserved", "trigger"] == "Contract/Plan"
    with pytest.raises(KeyError, match="no strategy 'target tracking'"):
        compared.across_traces("target tracking")


def test_cheapest_within_picks_the_cheapest_run_inside_the_budget(compared):
    choices = compared.cheapest_within(0.01)
    for trace, row in choices.iterrows():
        runs = compared.table.xs(trace, level="trace")
        ok = runs[runs["unmet_fraction"] <= 0.01]
        assert row["choice"] == ok["cost_usd"].idxmin()
        assert row["cost_usd"] == pytest.approx(ok["cost_usd"].min())
    nothing = compared.cheapest_within(0.0)
    assert set(nothing["choice"]) <= set(compared.strategies) | {"none within budget"}
    with pytest.raises(ValueError, match="unmet_budget"):
        compared.cheapest_within(1.5)


def test_none_within_budget_when_every_run_loses_demand(traces):
    tiny = vl.AdvanceReservation(reserved_vms=1)
    cmp = vl.compare_provisioning({"sale": traces["flash_sale"]}, {"one VM": tiny}, **KW)
    row = cmp.cheapest_within(0.01).loc["sale"]
    assert row["choice"] == "none within budget" and math.isnan(row["cost_usd"])


def test_break_even_is_the_closed_form_and_the_simulator_agrees(compared, traces, histories):
    peaks = {n: vl.AdvanceReservation.from_forecast(h, capacity_per_vm=100.0, percentile=100) for n, h in histories.items()}
    table = compared.break_even(peaks, reference="HPA")
    hpa = compared.result("flash_sale", "HPA").cost_usd
    n = peaks["flash_sale"].reserved_vms
    d_star = 1 - hpa / (n * 0.10 * 48)
    assert table.loc["flash_sale", "break_even_discount"] == pytest.approx(d_star)
    assert table.loc["flash_sale", "within_advertised"] == (d_star < ADVERTISED_MAX_DISCOUNT)
    below = vl.simulate_provisioning(traces["flash_sale"], peaks["flash_sale"].replace(discount=d_star - 0.01), **KW)
    above = vl.simulate_provisioning(traces["flash_sale"], peaks["flash_sale"].replace(discount=d_star + 0.01), **KW)
    assert below.cost_usd > hpa > above.cost_usd
    with pytest.raises(KeyError, match="no reservation for trace 'diurnal'"):
        compared.break_even({"flash_sale": peaks["flash_sale"]}, reference="HPA")


def test_bad_arguments_are_named(traces):
    with pytest.raises(TypeError, match="traces must be a non-empty mapping"):
        vl.compare_provisioning({}, {"HPA": vl.HPA()})
    with pytest.raises(TypeError, match="contenders must be a non-empty mapping"):
        vl.compare_provisioning(traces, {})
    with pytest.raises(KeyError, match="histories has no trace 'diurnal'"):
        vl.compare_provisioning(traces, _contenders, histories={"flash_sale": traces["flash_sale"]})
    with pytest.raises(TypeError, match="must return a non-empty mapping"):
        vl.compare_provisioning(traces, lambda history: None)


def test_one_trace_is_named_after_its_attrs(traces):
    cmp = vl.compare_provisioning(traces["diurnal"], {"HPA": vl.HPA()})
    assert cmp.traces == ["diurnal"]


# ---- break_even_discount ---------------------------------------------------------------------
def test_break_even_discount_formula_and_checks():
    assert break_even(50.0, 10, 0.10, 100.0) == pytest.approx(0.5)
    assert break_even(200.0, 10, 0.10, 100.0) < 0  # the reservation wins even at the on-demand price
    with pytest.raises(ValueError, match="reserved_vms must be"):
        break_even(50.0, 0, 0.10, 100.0)


def break_even(*args):
    return vl.break_even_discount(*args)


# ---- commitment_scenarios --------------------------------------------------------------------
def test_commitment_scenarios_match_commitment_risk():
    res = vl.AdvanceReservation.zonal_reserved_instances(reserved_vms=10, discount=0.3, term_days=1095)
    table = vl.commitment_scenarios(res, price_per_vm_hour=0.2)
    assert list(table.index) == list(COMMITMENT_FUTURES)
    ends = vl.commitment_risk(res, price_per_vm_hour=0.2, ends_after_days=365)
    assert table.loc["the workload ends after one year", "saving_usd"] == pytest.approx(ends.saving_usd)
    # one year used of three at 30 % off: 10 x 0.2 x 8760 x (1 - 3 x 0.7)
    assert_allclose(ends.saving_usd, 10 * 0.2 * 8760 * (1 - 3 * 0.7))
    assert table.loc["the need lasts the whole term", "saving_usd"] == pytest.approx(10 * 0.2 * 0.3 * 3 * 8760)
    for row in table.itertuples():  # a commitment pays exactly when its use beats 1 - discount
        assert (row.saving_usd > 0) == (row.mean_use > row.break_even_use)


def test_commitment_scenarios_refuse_unknown_keys():
    with pytest.raises(ValueError, match="unknown keys"):
        vl.commitment_scenarios(vl.AdvanceReservation(), futures={"x": {"decline": 0.1}})
    with pytest.raises(TypeError, match="AdvanceReservation"):
        vl.commitment_scenarios(vl.HPA())


# ---- decision_log ----------------------------------------------------------------------------
def test_decision_log_shows_what_the_policy_saw(traces):
    policy = vl.ThresholdAutoscaler(scale_out_above=0.8, scale_in_below=0.3, cooldown_s=300, warmup_s=90)
    log = vl.decision_log(traces["flash_sale"], policy, **KW)
    result = vl.simulate_provisioning(traces["flash_sale"], policy, **KW)
    assert len(log) == 2 * 24 * 60  # one decision per 60 s period
    acted = log[log["change"] != 0]
    assert len(acted) == result.n_scaling_actions
    assert list(acted["time"]) == list(result.scaling_events["time"])
    assert (acted.loc[acted["change"] > 0, "utilisation"] > 0.8).all()
    assert (acted.loc[acted["change"] < 0, "utilisation"] < 0.3).all()
    # the decision at t sees the mean of the period before: the timeline row one period earlier
    first = acted.index[0]
    seen = log.loc[first, "utilisation"]
    before = result.timeline.set_index("time")["utilisation"].loc[log.loc[first, "time"] - pd.Timedelta(seconds=60)]
    assert seen == pytest.approx(before, abs=1e-9)


def test_decision_log_leaves_the_run_unchanged(traces):
    hpa = vl.HPA(target=0.6)
    log = vl.decision_log(traces["diurnal"], hpa, **KW)
    assert np.all(np.diff(log["time"].to_numpy()) == np.timedelta64(15, "s"))  # the HPA's 15 s sync period
    assert (log["change"] != 0).sum() == vl.simulate_provisioning(traces["diurnal"], hpa, **KW).n_scaling_actions


def test_decision_log_of_a_custom_strategy_with_a_numeric_index():
    class Keep:
        name = "keep"
        period_s = 30.0

        def decide(self, obs):
            return None  # keep what it has

    trace = pd.Series([100.0] * 10, index=np.arange(10) * 60.0)
    log = vl.decision_log(trace, Keep())
    assert log["time"].tolist() == [30.0 * k for k in range(20)]
    assert (log["change"] == 0).all() and (log["vms_wanted"] == log["vms_owned"]).all()


# ---- capacity_curves and trace_statistics ----------------------------------------------------
def test_capacity_curves_window_and_checks(traces):
    runs = {"HPA": vl.simulate_provisioning(traces["flash_sale"], vl.HPA(), **KW),
            "manual": vl.simulate_provisioning(traces["flash_sale"], vl.SelfService(), **KW)}
    curves = vl.capacity_curves(runs, hours_around_peak=(1, 2))
    assert list(curves) == ["demand", "HPA", "manual"]
    peak = traces["flash_sale"]["demand"].idxmax()
    assert curves["demand"].index[0] == peak - pd.Timedelta(hours=1)
    assert curves["demand"].max() == traces["flash_sale"]["demand"].max()
    with pytest.raises(ValueError, match="same trace"):
        vl.capacity_curves({**runs, "other": vl.simulate_provisioning(traces["diurnal"], vl.HPA(), **KW)})
    with pytest.raises(ValueError, match="not both"):
        vl.capacity_curves(runs, start="2025-03-04", hours_around_peak=(1, 1))


def test_trace_statistics():
    stats = vl.trace_statistics({"a": pd.Series([100.0, 300.0, 200.0]), "b": pd.Series([50.0, 50.0])},
                                capacity_per_vm=100.0)
    assert stats.loc["a"].tolist() == [200.0, 300.0, 1.5, 3.0]
    assert stats.loc["b", "vms_at_peak"] == 1.0
    with pytest.raises(ValueError, match="capacity_per_vm"):
        vl.trace_statistics({"a": pd.Series([1.0])}, capacity_per_vm=0)
