"""The Strategy protocol: a student's own autoscaler runs through the simulator; renamed names still work."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from vmlab import (
    HPA,
    AdvanceReservation,
    AwsTargetTracking,
    Observation,
    SelfService,
    StepScaling,
    Strategy,
    ThresholdAutoscaler,
    demand,
    simulate_provisioning,
    summary_table,
)
from vmlab.provisioning import VM_LIMIT

TRACE = demand.diurnal(days=1, seed=0)


class KeepUtilisationNear:
    """A student's autoscaler: size for 70 % utilisation once a minute."""

    name = "my rule: 70 %"
    period_s = 60.0
    warmup_s = 90.0

    def decide(self, obs):
        return math.ceil(obs.demand_rps / (0.7 * obs.capacity_per_vm))


class CountingRule:
    """Adds a VM at every decision while utilisation is high; remembers how often it acted."""

    name = "count"
    period_s = 120.0

    def decide(self, obs):
        obs.memory["calls"] = obs.memory.get("calls", 0) + 1
        obs.memory.setdefault("seen", []).append(obs)
        return obs.vms_owned + 1 if obs.utilisation > 0.8 else obs.vms_owned


def test_a_students_own_autoscaler_runs_through_the_simulator():
    r = simulate_provisioning(TRACE, KeepUtilisationNear())
    assert isinstance(KeepUtilisationNear(), Strategy)
    assert r.name == "my rule: 70 %"
    assert 0.5 < r.mean_utilisation < 0.8 and r.n_scaling_actions > 10
    table = summary_table({"mine": r})
    assert table.loc["mine", "type"] == "Custom"
    # the protocol's optional attributes are honoured: 90 s from launch to serving
    out = r.scaling_events[r.scaling_events["change"] > 0].iloc[0]
    step = int((out["time"] - r.timeline["time"].iloc[0]) / pd.Timedelta(minutes=1))
    assert r.timeline["vms_booting"].iloc[step] > 0


def test_the_observation_and_memory():
    rule = CountingRule()
    a = simulate_provisioning(TRACE, rule)
    b = simulate_provisioning(TRACE, rule)
    pd.testing.assert_frame_equal(a.timeline, b.timeline)  # memory starts empty each run
    seen = []
    simulate_provisioning(TRACE, type("Spy", (CountingRule,), {"decide": lambda self, obs: seen.append(obs) or None})())
    assert len(seen) == len(TRACE) // 2  # every 120 s of simulated time, on a 60 s trace
    assert [o.time_s for o in seen[:3]] == [0.0, 120.0, 240.0]
    first = seen[0]
    assert first.vms_reserved == 0 and first.vms_pending == 0 and first.capacity_per_vm == 100.0
    assert 0 <= first.utilisation <= 1 and first.demand_rps == TRACE["demand"].iloc[0]
    assert "Observation(time_s=0" in repr(first)


def test_the_simulator_checks_what_a_strategy_answers():
    class Bad:
        name, period_s = "bad", 60.0

        def __init__(self, answer):
            self.answer = answer

        def decide(self, obs):
            return self.answer

    with pytest.raises(ValueError, match=r"Bad.decide\(...\) at t = 0 s must be a whole number >= 0 and <= 100000; got -1"):
        simulate_provisioning(TRACE, Bad(-1))
    with pytest.raises(TypeError, match=r"Bad.decide\(...\) at t = 0 s must be a whole number"):
        simulate_provisioning(TRACE, Bad("many"))
    with pytest.raises(ValueError, match="<= 100000; got 1000000000000"):
        simulate_provisioning(TRACE, Bad(10**12))
    assert simulate_provisioning(TRACE, Bad(None)).n_scaling_actions == 0  # None: no change
    assert simulate_provisioning(TRACE, Bad(np.int64(3))).timeline["vms_serving"].iloc[-1] == 3
    bad_warmup = type("Warm", (Bad,), {"warmup_s": -5})(1)
    with pytest.raises(ValueError, match=r"Warm.warmup_s must be a finite number >= 0; got -5"):
        simulate_provisioning(TRACE, bad_warmup)
    too_often = type("Often", (Bad,), {"period_s": 0.01})(1)
    with pytest.raises(ValueError, match="Often.period_s"):
        simulate_provisioning(TRACE, too_often)
    bounded = type("Bounded", (Bad,), {"max_vms": 5, "min_vms": 2})(50)
    assert simulate_provisioning(TRACE, bounded).timeline["vms_serving"].max() == 5


def test_built_in_strategies_follow_the_protocol():
    for s in (SelfService(), ThresholdAutoscaler(), StepScaling(), AwsTargetTracking(), HPA(), AdvanceReservation()):
        assert isinstance(s, Strategy), type(s).__name__
        assert s.period_s > 0 and isinstance(s.name, str)


def test_renamed_names_still_work_with_a_deprecation_warning():
    r = simulate_provisioning(TRACE, HPA())
    with pytest.warns(DeprecationWarning, match="cost_usd"):
        assert r.cost == r.cost_usd
    with pytest.warns(DeprecationWarning, match="on_demand_cost_usd"):
        assert r.on_demand_cost == r.on_demand_cost_usd
    with pytest.warns(DeprecationWarning, match="reserved_cost_usd"):
        assert r.reserved_cost == r.reserved_cost_usd
    for old, new in (("demand", "demand_rps"), ("capacity", "capacity_rps"), ("unmet", "unmet_rps"), ("vms_running", "vms_serving")):
        with pytest.warns(DeprecationWarning, match=new):
            pd.testing.assert_series_equal(r.timeline[old], r.timeline[new])
    with pytest.warns(DeprecationWarning, match="cost_usd"):
        assert summary_table({"a": r})["cost"].iloc[0] == r.cost_usd
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the new names warn about nothing
        r.timeline[["demand_rps", "capacity_rps"]]
        r.timeline.iloc[:3]["unmet_rps"]


# --- probing with random input ------------------------------------------------------------------

index_kinds = st.sampled_from(["datetime", "timedelta", "seconds", "default"])
strategies_ = st.sampled_from(
    [ThresholdAutoscaler(warmup_s=0), HPA(warmup_s=30), SelfService(check_interval_s=300), StepScaling(),
     AwsTargetTracking(), AdvanceReservation(reserved_vms=3, overflow_to_on_demand=True),
     AdvanceReservation.savings_plan(reserved_vms=2), KeepUtilisationNear()]
)


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    values=st.lists(st.floats(0, 5000, allow_nan=False), min_size=1, max_size=40),
    step=st.sampled_from([1.0, 15.0, 60.0, 300.0]),
    kind=index_kinds,
    strategy=strategies_,
    limit=st.one_of(st.none(), st.integers(0, 20)),
    billing=st.sampled_from(["per_second", "per_hour"]),
)
def test_random_traces_and_strategies_keep_the_books_straight(values, step, kind, strategy, limit, billing):
    n = len(values)
    index = {
        "datetime": pd.date_range("2025-03-03", periods=n, freq=pd.Timedelta(seconds=step)),
        "timedelta": pd.to_timedelta(np.arange(n) * step, unit="s"),
        "seconds": pd.Index(100.0 + np.arange(n) * step),
        "default": pd.RangeIndex(n),
    }[kind]
    trace = pd.Series(values, index=index)
    given_step = step if kind == "default" or (n == 1 and kind != "datetime") else None  # one sample: no step to read
    r = simulate_provisioning(trace, strategy, step_s=given_step, on_demand_limit_vms=limit, billing=billing)
    tl = r.timeline
    assert len(tl) == n and r.step_s == step
    assert (tl["served_rps"] <= tl["demand_rps"] + 1e-9).all() and (tl["unmet_rps"] >= 0).all()
    assert 0.0 <= r.unmet_fraction <= 1.0 and 0.0 <= r.mean_utilisation <= 1.0
    assert r.peak_vms <= VM_LIMIT and r.over_provisioned_vm_hours >= 0
    if billing == "per_second":
        assert_allclose(r.on_demand_cost_usd, r.on_demand_vm_hours * 0.10, rtol=1e-9, atol=1e-12)
    else:
        assert r.on_demand_cost_usd >= r.on_demand_vm_hours * 0.10 - 1e-9
    if limit is not None:
        pool = getattr(strategy, "reservation", None)
        shared = 0 if pool is None or pool.capacity_guaranteed else min(pool.vms, limit)
        assert (tl["vms_serving"] + tl["vms_booting"] <= limit + (pool.vms if pool is not None and pool.capacity_guaranteed else 0) + 1e-9).all()
        assert shared <= limit
