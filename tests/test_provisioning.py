"""Provisioning strategies and the simulator: limits, properties, reference rules, bad input."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from vmlab import (
    AdvanceReservation,
    SelfService,
    TargetTracking,
    ThresholdAutoscaler,
    demand,
    simulate_provisioning,
    summary_table,
)
from vmlab.provisioning import hpa_desired_replicas, hpa_scale_down_limit, hpa_scale_up_limit

FLASH = demand.flash_sale(days=1, seed=3, sale_start_h=10)
TRACES = {name: demand.make(name, days=2, seed=1) for name in demand.TRACES}
SETTINGS = settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])


def constant(level: float, minutes: int = 240, step_s: float = 60.0) -> pd.DataFrame:
    index = pd.date_range("2025-03-03", periods=minutes, freq=pd.Timedelta(seconds=step_s), name="time")
    return pd.DataFrame({"demand": np.full(minutes, float(level))}, index=index)


def step_trace(before: float, after: float, at_min: int, minutes: int = 240) -> pd.DataFrame:
    t = constant(before, minutes)
    t.iloc[at_min:, 0] = after
    return t


# --- the result's shape -------------------------------------------------------------------------


def test_timeline_columns_and_headline_attributes():
    r = simulate_provisioning(
        FLASH, ThresholdAutoscaler(scale_out_above=0.8, scale_in_below=0.3, cooldown_s=300, warmup_s=90),
        capacity_per_vm=100, price_per_vm_hour=0.10,
    )
    assert list(r.timeline.columns) == ["time", "demand", "capacity", "vms_running", "vms_booting", "utilisation", "unmet"]
    assert len(r.timeline) == len(FLASH)
    tl = r.timeline
    assert_allclose(tl["capacity"], tl["vms_running"] * 100)
    assert_allclose(tl["unmet"], np.maximum(tl["demand"] - tl["capacity"], 0))
    assert ((tl["utilisation"] >= 0) & (tl["utilisation"] <= 1)).all()
    for name in ("cost", "unmet_fraction", "sla_violation_minutes", "mean_utilisation", "over_provisioned_vm_hours"):
        assert math.isfinite(getattr(r, name)) and getattr(r, name) >= 0
    assert list(r.scaling_events.columns) == ["time", "action", "change", "vms_after"]
    assert r.n_scaling_actions == len(r.scaling_events) > 0
    # the sale overwhelms the default policy for a while: some demand is lost
    assert 0 < r.unmet_fraction < 0.5
    assert r.sla_violation_minutes == (tl["unmet"] > 1e-6).sum()


def test_scaling_events_add_up_to_the_change_in_vms():
    s = ThresholdAutoscaler(warmup_s=0, cooldown_s=120)
    r = simulate_provisioning(FLASH, s)
    first_total = r.timeline["vms_running"].iloc[0] + r.timeline["vms_booting"].iloc[0]
    assert r.scaling_events["vms_after"].iloc[-1] == first_total + r.scaling_events["change"].sum()
    assert set(r.scaling_events["action"]) <= {"scale_out", "scale_in"}
    assert ((r.scaling_events["change"] > 0) == (r.scaling_events["action"] == "scale_out")).all()


# --- properties (hypothesis) --------------------------------------------------------------------

policies = st.builds(
    lambda up, gap, k, cool, warm, lo_vms, span: ThresholdAutoscaler(
        scale_out_above=up, scale_in_below=max(up - gap, 0.0), step_vms=k, cooldown_s=cool,
        warmup_s=warm, min_vms=lo_vms, max_vms=lo_vms + span,
    ),
    st.floats(0.3, 1.0), st.floats(0.05, 0.6), st.integers(1, 8), st.sampled_from([0, 60, 300, 900]),
    st.sampled_from([0, 30, 90, 400]), st.integers(0, 10), st.integers(1, 40),
)
trackers = st.builds(
    lambda target, warm, lo_vms, span: TargetTracking(target=target, warmup_s=warm, min_vms=lo_vms, max_vms=lo_vms + span),
    st.floats(0.2, 1.0), st.sampled_from([0, 90, 300]), st.integers(0, 10), st.integers(1, 40),
)


@SETTINGS
@given(policy=st.one_of(policies, trackers))
def test_vm_count_stays_between_min_and_max(policy):
    r = simulate_provisioning(FLASH, policy, capacity_per_vm=100)
    tl = r.timeline
    owned = tl["vms_running"] + tl["vms_booting"]
    assert (owned <= policy.max_vms).all()
    assert (tl["vms_running"] >= policy.min_vms).all()
    assert (tl["capacity"] <= policy.max_vms * 100 + 1e-9).all()
    assert (tl["capacity"] >= policy.min_vms * 100 - 1e-9).all()


@SETTINGS
@given(
    peak=st.floats(200, 8000),
    trough_share=st.floats(0.0, 0.9),
    upper=st.floats(0.3, 0.6),
    step_vms=st.integers(1, 4),
)
def test_zero_warmup_and_generous_threshold_leave_no_demand_unmet_on_a_smooth_trace(peak, trough_share, upper, step_vms):
    trace = demand.diurnal(days=2, seed=0, noise=0.0, peak_rps=peak, trough_rps=trough_share * peak)
    policy = ThresholdAutoscaler(
        scale_out_above=upper, scale_in_below=upper / 3, step_vms=step_vms, cooldown_s=0, warmup_s=0,
        min_vms=1, max_vms=500,
    )
    r = simulate_provisioning(trace, policy, capacity_per_vm=100)
    assert r.unmet_fraction == 0.0
    assert r.sla_violation_minutes == 0.0


@pytest.mark.parametrize("name", sorted(TRACES))
def test_reservation_at_the_peak_has_no_unmet_demand_and_the_most_idle_capacity(name):
    trace = TRACES[name]
    peak = AdvanceReservation.from_forecast(trace, capacity_per_vm=100, percentile=100)
    assert peak.reserved_vms == math.ceil(trace["demand"].max() / 100)
    # Elastic policies aiming at 55-70 % utilisation. (One aiming at 50 % keeps 2x the demand
    # running and can idle as much as a peak reservation on mild diurnal traffic, peak/mean ~ 2.)
    others = [ThresholdAutoscaler(max_vms=200), TargetTracking(target=0.7, max_vms=200), SelfService(target_utilisation=0.7, max_vms=200)]
    reserved = simulate_provisioning(trace, peak)
    assert reserved.unmet_fraction == 0.0 and reserved.n_scaling_actions == 0
    for strategy in others:
        r = simulate_provisioning(trace, strategy)
        assert reserved.over_provisioned_vm_hours > r.over_provisioned_vm_hours, strategy.name
        assert reserved.mean_utilisation < r.mean_utilisation, strategy.name
        if name in ("flash_sale", "streaming_spike"):  # spiky demand: a peak reservation idles most of the time
            assert reserved.over_provisioned_vm_hours > 3 * r.over_provisioned_vm_hours, strategy.name


@SETTINGS
@given(
    price=st.floats(0.001, 20.0),
    factor=st.floats(0.1, 10.0),
    which=st.sampled_from(["threshold", "tracking", "self", "reserved", "overflow"]),
    billing=st.sampled_from(["per_second", "per_hour"]),
)
def test_cost_is_linear_in_price(price, factor, which, billing):
    strategy = {
        "threshold": ThresholdAutoscaler(),
        "tracking": TargetTracking(),
        "self": SelfService(),
        "reserved": AdvanceReservation(reserved_vms=12),
        "overflow": AdvanceReservation(reserved_vms=5, overflow_to_on_demand=True),
    }[which]
    a = simulate_provisioning(FLASH, strategy, price_per_vm_hour=price, billing=billing)
    b = simulate_provisioning(FLASH, strategy, price_per_vm_hour=price * factor, billing=billing)
    assert a.cost > 0
    assert_allclose(b.cost, factor * a.cost, rtol=1e-9)
    assert simulate_provisioning(FLASH, strategy, price_per_vm_hour=0.0, billing=billing).cost == 0.0
    # the price changes the bill, never the behaviour
    pd.testing.assert_frame_equal(a.timeline, b.timeline)


# --- reference values ---------------------------------------------------------------------------


def test_hpa_rule_reproduces_the_kubernetes_worked_examples():
    # kubernetes.io, "Horizontal Pod Autoscaling", Algorithm details: current 200m, desired 100m
    # -> replicas doubled (200.0 / 100.0 == 2.0); current 50m -> halved (50.0 / 100.0 == 0.5);
    # no action when the ratio is within the tolerance (0.1 by default).
    for current in (1, 3, 4, 10):
        assert hpa_desired_replicas(current, 200, 100) == 2 * current
    assert hpa_desired_replicas(4, 50, 100) == 2
    assert hpa_desired_replicas(10, 50, 100) == 5
    assert hpa_desired_replicas(10, 109, 100) == 10
    assert hpa_desired_replicas(10, 91, 100) == 10
    assert hpa_desired_replicas(10, 111, 100) == 12  # ceil(11.1)
    # Scaling policies example: 4 pods or 10 % per 60 s, the larger change wins; from 80 replicas
    # the first step removes 8, at 72 "10 % of the pods is 7.2 but the number is rounded up to 8";
    # below 40 replicas the 4-pod policy removes more.
    assert hpa_scale_down_limit(80, pods=4, percent=10) == 72
    assert hpa_scale_down_limit(72, pods=4, percent=10) == 64
    assert hpa_scale_down_limit(30, pods=4, percent=10) == 26
    # default scale-up policies (pkg/apis/autoscaling/v2/defaults.go): 4 pods or 100 % per 15 s
    assert hpa_scale_up_limit(1) == 5
    assert hpa_scale_up_limit(4) == 8
    assert hpa_scale_up_limit(12) == 24


def test_target_tracking_settles_where_the_hpa_rule_says():
    # constant 1000 req/s, 100 req/s per VM, target 60 %: ceil(1000 / 60) = 17 VMs (util 0.588,
    # within the 10 % tolerance), wherever it starts
    for initial in (1, 4, 30):
        r = simulate_provisioning(constant(1000), TargetTracking(target=0.6, warmup_s=60, initial_vms=initial, max_vms=50))
        settled = r.timeline["vms_running"].iloc[-30:]
        assert (settled == 17).all(), (initial, settled.unique())
        assert r.timeline["unmet"].iloc[-30:].sum() == 0


def test_target_tracking_scale_down_waits_for_the_stabilisation_window():
    trace = step_trace(2000, 500, at_min=60)  # demand drops at minute 60
    r = simulate_provisioning(trace, TargetTracking(target=0.5, warmup_s=0, scale_down_stabilisation_s=300))
    vms = r.timeline["vms_running"].to_numpy()
    assert vms[59] == 40
    assert (vms[60:65] == 40).all()  # the highest recommendation of the last 300 s is still 40
    assert vms[66] == 10  # then straight to ceil(500 / 50)
    fast = simulate_provisioning(trace, TargetTracking(target=0.5, warmup_s=0, scale_down_stabilisation_s=0))
    assert fast.timeline["vms_running"].iloc[61] == 10


def test_target_tracking_scale_up_is_limited_by_the_saturated_metric_and_the_policy():
    # util is capped at 1: from 2 VMs, one decision goes at most to ceil(2 / 0.5) = 4
    trace = step_trace(100, 5000, at_min=10)
    r = simulate_provisioning(trace, TargetTracking(target=0.5, warmup_s=0, initial_vms=2, min_vms=2, max_vms=200))
    vms = r.timeline["vms_running"].to_numpy()
    assert list(vms[10:15]) == [2, 4, 8, 16, 32]
    assert vms[-1] == 100


def test_threshold_new_vms_serve_nothing_while_warming_up():
    trace = step_trace(500, 1200, at_min=30)
    policy = ThresholdAutoscaler(scale_out_above=0.8, scale_in_below=0.2, step_vms=3, cooldown_s=600, warmup_s=300)
    r = simulate_provisioning(trace, policy)
    tl = r.timeline
    t_out = r.scaling_events["time"].iloc[0]
    i = tl.index[tl["time"] == t_out][0]
    assert i == 30  # acts on the first breaching minute (evaluation_periods=1)
    before = tl["vms_running"].iloc[i]
    assert (tl["vms_booting"].iloc[i + 1 : i + 5] == 3).all()
    assert (tl["vms_running"].iloc[i + 1 : i + 5] == before).all()  # 300 s: still booting
    assert tl["vms_running"].iloc[i + 5] == before + 3
    assert tl["unmet"].iloc[i : i + 5].sum() > 0


def test_cooldown_spaces_scaling_actions():
    for cooldown in (0, 300, 900):
        r = simulate_provisioning(FLASH, ThresholdAutoscaler(cooldown_s=cooldown, warmup_s=60))
        gaps = r.scaling_events["time"].diff().dropna().dt.total_seconds()
        assert (gaps >= max(cooldown, 60) - 1e-6).all()
    many = simulate_provisioning(FLASH, ThresholdAutoscaler(cooldown_s=0, warmup_s=60)).n_scaling_actions
    few = simulate_provisioning(FLASH, ThresholdAutoscaler(cooldown_s=900, warmup_s=60)).n_scaling_actions
    assert few < many


def test_evaluation_periods_delay_the_reaction():
    trace = step_trace(500, 1200, at_min=30)
    r1 = simulate_provisioning(trace, ThresholdAutoscaler(evaluation_periods=1, warmup_s=0))
    r3 = simulate_provisioning(trace, ThresholdAutoscaler(evaluation_periods=3, warmup_s=0))
    t0 = trace.index[30]
    assert r1.scaling_events["time"].iloc[0] == t0
    assert r3.scaling_events["time"].iloc[0] == t0 + pd.Timedelta(minutes=2)


def test_a_narrow_band_thrashes():
    wide = simulate_provisioning(TRACES["diurnal"], ThresholdAutoscaler(scale_out_above=0.85, scale_in_below=0.3, cooldown_s=60))
    narrow = simulate_provisioning(
        TRACES["diurnal"], ThresholdAutoscaler(scale_out_above=0.65, scale_in_below=0.55, step_vms=4, cooldown_s=60)
    )
    assert narrow.n_scaling_actions > 3 * wide.n_scaling_actions


def test_self_service_capacity_arrives_after_the_provisioning_latency():
    s = SelfService(check_interval_s=600, reaction_delay_s=300, max_vms=100)
    # checks at 0, 600, ... s; demand jumps at minute 50 = 3000 s, a check time
    r = simulate_provisioning(step_trace(500, 2000, at_min=50), s)
    latency = s.provisioning_latency_s  # 300 + 60 + 120 + 60 + 96.9 = 636.9 s
    assert_allclose(latency, 636.9)
    cap = r.timeline["capacity"].to_numpy()
    first = int(np.flatnonzero(cap > cap[49])[0])
    assert first == 50 + math.ceil(latency / 60)
    assert cap[first] >= 2000 / 0.6 - 100
    assert r.scaling_events["time"].iloc[0] == r.timeline["time"].iloc[50]


def test_reservation_overflow_and_delivery():
    trace = TRACES["flash_sale"]
    p50 = AdvanceReservation.from_forecast(trace, capacity_per_vm=100, percentile=50)
    strict = simulate_provisioning(trace, p50)
    overflow = simulate_provisioning(
        trace, AdvanceReservation(reserved_vms=p50.reserved_vms, overflow_to_on_demand=True)
    )
    assert strict.unmet_fraction > 0.05
    assert overflow.unmet_fraction < strict.unmet_fraction / 5
    assert overflow.on_demand_cost > 0 and strict.on_demand_cost == 0
    assert (overflow.timeline["vms_running"] >= p50.reserved_vms).all()
    # reserved VMs cost price x (1 - discount) for every hour of the trace
    hours = len(trace) / 60
    assert_allclose(strict.reserved_cost, p50.reserved_vms * 0.10 * (1 - p50.discount) * hours)
    late = simulate_provisioning(trace, AdvanceReservation(reserved_vms=30, delivery_after_s=6 * 3600))
    assert (late.timeline["capacity"].iloc[: 6 * 60] == 0).all()
    assert (late.timeline["capacity"].iloc[6 * 60 :] == 3000).all()
    assert_allclose(late.reserved_cost, 30 * 0.10 * 0.7 * (hours - 6))


def test_per_hour_billing_rounds_every_vm_up():
    s = ThresholdAutoscaler(cooldown_s=60)
    per_s = simulate_provisioning(FLASH, s, billing="per_second")
    per_h = simulate_provisioning(FLASH, s, billing="per_hour")
    assert per_h.cost > per_s.cost
    # per-second cost is the VM-hours provisioned x price, up to one step per VM launched or
    # released (the timeline samples the VM count at the start of each step, billing is exact)
    slack_h = per_s.scaling_events["change"].abs().sum() * per_s.step_s / 3600
    assert abs(per_s.cost / 0.10 - per_s.vm_hours) <= slack_h
    assert_allclose(simulate_provisioning(FLASH, AdvanceReservation(reserved_vms=7)).cost, 7 * 0.10 * 0.7 * 24)


def test_summary_table_carries_the_seed_table_and_numbers():
    trace = TRACES["streaming_spike"]
    runs = {
        "self-service": simulate_provisioning(trace, SelfService()),
        "reserved": simulate_provisioning(trace, AdvanceReservation(reserved_vms=20)),
        "dynamic": simulate_provisioning(trace, TargetTracking()),
    }
    table = summary_table(runs)
    assert list(table.index) == list(runs)
    assert table.loc["self-service", ["trigger", "timing", "flexibility"]].tolist() == ["User request", "Immediate", "High (Manual)"]
    assert table.loc["reserved", ["trigger", "timing", "flexibility"]].tolist() == ["Contract/Plan", "Planned/Future", "Low (Reserved)"]
    assert table.loc["dynamic", ["trigger", "timing", "flexibility"]].tolist() == ["Workload metrics", "Real-time", "Maximum (Elastic)"]
    assert_allclose(table.loc["dynamic", "cost"], runs["dynamic"].cost)
    # the seed's flexibility ranking shows up as scaling actions
    assert table.loc["reserved", "n_scaling_actions"] == 0 < table.loc["self-service", "n_scaling_actions"] < table.loc["dynamic", "n_scaling_actions"]


def test_process_steps_follow_the_seed():
    assert SelfService().steps()["step"].tolist()[1:] == [
        "Login & selection", "Configuration", "Automated allocation", "Initialisation (billing started)"
    ]
    assert AdvanceReservation().steps()["step"].tolist() == [
        "Requirement analysis", "Contractual agreement", "Resource reservation", "Delivery (term and billing start)"
    ]
    assert ThresholdAutoscaler().steps()["step"].tolist() == [
        "Policy definition", "Continuous monitoring", "Trigger execution", "Automated scaling (warm-up)"
    ]
    steps = SelfService().steps()
    assert_allclose(steps["duration_s"].sum(), SelfService().provisioning_latency_s)


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "error", "match"),
    [
        (lambda: ThresholdAutoscaler(scale_out_above=0.3, scale_in_below=0.3), ValueError, "scale_in_below .* less than .*scale_out_above"),
        (lambda: ThresholdAutoscaler(scale_out_above=0.5, scale_in_below=0.7), ValueError, "ThresholdAutoscaler.scale_in_below"),
        (lambda: ThresholdAutoscaler(cooldown_s=-1), ValueError, r"ThresholdAutoscaler.cooldown_s must be .*>= 0; got -1"),
        (lambda: ThresholdAutoscaler(warmup_s=float("nan")), ValueError, "ThresholdAutoscaler.warmup_s"),
        (lambda: ThresholdAutoscaler(min_vms=10, max_vms=5), ValueError, r"ThresholdAutoscaler.min_vms \(10\) must be at most ThresholdAutoscaler.max_vms \(5\)"),
        (lambda: ThresholdAutoscaler(step_vms=0), ValueError, "ThresholdAutoscaler.step_vms"),
        (lambda: ThresholdAutoscaler(scale_out_above=1.2), ValueError, "ThresholdAutoscaler.scale_out_above"),
        (lambda: ThresholdAutoscaler(initial_vms=100, max_vms=50), ValueError, "ThresholdAutoscaler.initial_vms"),
        (lambda: TargetTracking(target=0), ValueError, "TargetTracking.target"),
        (lambda: TargetTracking(tolerance=-0.1), ValueError, "TargetTracking.tolerance"),
        (lambda: TargetTracking(min_vms=3, max_vms=2), ValueError, "TargetTracking.min_vms"),
        (lambda: TargetTracking(scale_up_pods=0, scale_up_percent=0), ValueError, "never grow"),
        (lambda: SelfService(check_interval_s=0), ValueError, "SelfService.check_interval_s"),
        (lambda: SelfService(reaction_delay_s=-5), ValueError, "SelfService.reaction_delay_s"),
        (lambda: SelfService(min_vms=4, max_vms=3), ValueError, "SelfService.min_vms"),
        (lambda: AdvanceReservation(reserved_vms=2.5), TypeError, "AdvanceReservation.reserved_vms"),
        (lambda: AdvanceReservation(discount=1.0), ValueError, "AdvanceReservation.discount"),
        (lambda: AdvanceReservation(overflow_to_on_demand=1), TypeError, "AdvanceReservation.overflow_to_on_demand"),
        (lambda: AdvanceReservation(overflow=SelfService()), TypeError, "AdvanceReservation.overflow"),
        (lambda: ThresholdAutoscaler(cooldown_s="300"), TypeError, "ThresholdAutoscaler.cooldown_s"),
    ],
)
def test_bad_parameters_name_the_parameter(build, error, match):
    with pytest.raises(error, match=match):
        build()


@pytest.mark.parametrize(
    ("trace", "error", "match"),
    [
        (FLASH.iloc[:0], ValueError, "trace is empty"),
        (pd.DataFrame({"demand": ["a", "b"]}), TypeError, "must be numbers"),
        (pd.DataFrame({"demand": [1.0, np.nan]}), ValueError, "NaN"),
        (pd.DataFrame({"demand": [1.0, -2.0]}), ValueError, ">= 0"),
        (pd.DataFrame({"a": [1.0], "b": [2.0]}), ValueError, "'demand' column"),
        ([1, 2, 3], TypeError, "DataFrame or Series"),
        (
            pd.DataFrame({"demand": [1.0, 2.0, 3.0]}, index=pd.to_datetime(["2025-01-01 00:00", "2025-01-01 00:01", "2025-01-01 00:03"])),
            ValueError,
            "regular",
        ),
    ],
)
def test_bad_traces_are_refused(trace, error, match):
    with pytest.raises(error, match=match):
        simulate_provisioning(trace, ThresholdAutoscaler())


def test_bad_simulation_arguments():
    with pytest.raises(ValueError, match="simulate_provisioning.capacity_per_vm"):
        simulate_provisioning(FLASH, ThresholdAutoscaler(), capacity_per_vm=0)
    with pytest.raises(ValueError, match="simulate_provisioning.price_per_vm_hour"):
        simulate_provisioning(FLASH, ThresholdAutoscaler(), price_per_vm_hour=-1)
    with pytest.raises(ValueError, match="simulate_provisioning.billing"):
        simulate_provisioning(FLASH, ThresholdAutoscaler(), billing="monthly")
    with pytest.raises(TypeError, match="strategy must be"):
        simulate_provisioning(FLASH, "autoscale")
    with pytest.raises(ValueError, match="history is empty"):
        AdvanceReservation.from_forecast(FLASH.iloc[:0], capacity_per_vm=100)


def test_series_and_plain_index_traces_work():
    values = FLASH["demand"]
    a = simulate_provisioning(values, TargetTracking())
    b = simulate_provisioning(pd.DataFrame({"load": values.to_numpy()}), TargetTracking(), step_s=60)
    assert_allclose(a.cost, b.cost)
    assert b.timeline["time"].iloc[1] == 60.0


# --- optional M/M/c response time ---------------------------------------------------------------


def test_mmc_response_time_matches_textbook_cases():
    from vmlab.provisioning import mmc_response_time_s

    # M/M/1: W = 1 / (mu - lambda)
    lam = np.array([10.0, 50.0, 90.0, 99.0])
    assert_allclose(mmc_response_time_s(lam, 100.0, 1), 1 / (100.0 - lam))
    # M/M/2 with a = 1.5: Erlang C = 9/14 (hand computation), W = C / (2 mu - lambda) + 1 / mu
    assert_allclose(mmc_response_time_s(150.0, 100.0, 2), (9 / 14) / 50 + 0.01)
    # saturated or no server: infinite
    assert np.isinf(mmc_response_time_s([200.0, 5.0], 100.0, [2, 0])).all()
    # more servers at the same load never slow things down
    w = mmc_response_time_s(np.full(6, 350.0), 100.0, np.arange(4, 10))
    assert (np.diff(w) <= 0).all() and w[-1] >= 0.01


def test_response_times_follow_the_timeline():
    from vmlab.provisioning import response_times_ms

    r = simulate_provisioning(FLASH, ThresholdAutoscaler(warmup_s=300))
    w = response_times_ms(r)
    assert len(w) == len(r.timeline)
    saturated = (r.timeline["demand"] >= r.timeline["capacity"]).to_numpy()
    assert np.isinf(w.to_numpy()[saturated]).all() and np.isfinite(w.to_numpy()[~saturated]).all()
    assert (w[np.isfinite(w)] >= 1000 / 100).all()
