"""The provisioning simulator: result shape, limits, properties, billing, traces and bad input."""

from __future__ import annotations

import math

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
    SelfService,
    StepScaling,
    ThresholdAutoscaler,
    demand,
    simulate_provisioning,
    summary_table,
)
from vmlab.provisioning import VM_LIMIT, trace_values

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


def seconds(result, column: str = "time") -> np.ndarray:
    """Scaling-event times as seconds since the trace start."""
    start = result.timeline["time"].iloc[0]
    return ((result.scaling_events[column] - start) / pd.Timedelta(seconds=1)).to_numpy()


# --- the result's shape -------------------------------------------------------------------------


def test_timeline_columns_and_headline_attributes():
    r = simulate_provisioning(
        FLASH, ThresholdAutoscaler(scale_out_above=0.8, scale_in_below=0.3, cooldown_s=300, warmup_s=90),
        capacity_per_vm=100, price_per_vm_hour=0.10,
    )
    tl = r.timeline
    assert list(tl.columns) == [
        "time", "demand_rps", "capacity_rps", "served_rps", "unmet_rps", "utilisation", "vms_serving", "vms_booting", "vms_billed"
    ]
    assert len(tl) == len(FLASH)
    assert_allclose(tl["capacity_rps"], tl["vms_serving"] * 100)
    assert_allclose(tl["unmet_rps"], tl["demand_rps"] - tl["served_rps"], atol=1e-9)
    # means over a step: served never exceeds demand, nor the step's mean capacity
    assert (tl["served_rps"] <= np.minimum(tl["demand_rps"], tl["capacity_rps"]) + 1e-9).all()
    assert ((tl["utilisation"] >= 0) & (tl["utilisation"] <= 1)).all()
    for name in ("cost_usd", "unmet_fraction", "sla_violation_minutes", "mean_utilisation", "over_provisioned_vm_hours"):
        assert math.isfinite(getattr(r, name)) and getattr(r, name) >= 0
    assert list(r.scaling_events.columns) == ["time", "action", "change", "vms_after"]
    assert r.n_scaling_actions == len(r.scaling_events) > 0
    assert 0 < r.unmet_fraction < 0.5  # the sale overwhelms the default policy for a while
    assert r.sla_violation_minutes <= (tl["unmet_rps"] > 1e-9).sum() + 1e-9  # exact time <= whole steps
    assert r.billing_starts_at == "running"


def test_scaling_events_add_up_to_the_change_in_vms():
    r = simulate_provisioning(FLASH, ThresholdAutoscaler(warmup_s=0, cooldown_s=120))
    first_owned = r.timeline["vms_serving"].iloc[0] + r.timeline["vms_booting"].iloc[0]
    assert r.scaling_events["vms_after"].iloc[-1] == first_owned + r.scaling_events["change"].sum()
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
hpas = st.builds(
    lambda target, warm, lo_vms, span: HPA(target=target, warmup_s=warm, min_vms=lo_vms, max_vms=lo_vms + span),
    st.floats(0.2, 1.0), st.sampled_from([0, 90, 300]), st.integers(0, 10), st.integers(1, 40),
)
aws = st.builds(
    lambda target, warm, lo_vms, span, period: AwsTargetTracking(
        target=target, warmup_s=warm, min_vms=lo_vms, max_vms=lo_vms + span, metric_period_s=period
    ),
    st.floats(0.2, 1.0), st.sampled_from([0, 90, 300]), st.integers(0, 10), st.integers(1, 40), st.sampled_from([60, 300]),
)
steps = st.builds(
    lambda th, warm, lo_vms, span: StepScaling(threshold=th, warmup_s=warm, min_vms=lo_vms, max_vms=lo_vms + span),
    st.floats(0.3, 0.7), st.sampled_from([0, 90, 300]), st.integers(0, 10), st.integers(1, 40),
)


@SETTINGS
@given(policy=st.one_of(policies, hpas, aws, steps))
def test_vm_count_stays_between_min_and_max(policy):
    r = simulate_provisioning(FLASH, policy, capacity_per_vm=100)
    tl = r.timeline
    owned = tl["vms_serving"] + tl["vms_booting"]
    assert (owned <= policy.max_vms + 1e-9).all()
    assert (tl["vms_serving"] >= policy.min_vms - 1e-9).all()
    assert (tl["capacity_rps"] <= policy.max_vms * 100 + 1e-6).all()
    assert r.peak_vms <= policy.max_vms
    assert (r.scaling_events["vms_after"].between(policy.min_vms, policy.max_vms)).all()


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
    others = [ThresholdAutoscaler(max_vms=200), HPA(target=0.7, max_vms=200), SelfService(target_utilisation=0.7, max_vms=200)]
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
    which=st.sampled_from(["threshold", "hpa", "self", "reserved", "overflow", "step", "aws"]),
    billing=st.sampled_from(["per_second", "per_hour"]),
)
def test_cost_is_linear_in_price(price, factor, which, billing):
    strategy = {
        "threshold": ThresholdAutoscaler(),
        "hpa": HPA(),
        "self": SelfService(),
        "reserved": AdvanceReservation(reserved_vms=12),
        "overflow": AdvanceReservation(reserved_vms=5, overflow_to_on_demand=True),
        "step": StepScaling(),
        "aws": AwsTargetTracking(),
    }[which]
    a = simulate_provisioning(FLASH, strategy, price_per_vm_hour=price, billing=billing)
    b = simulate_provisioning(FLASH, strategy, price_per_vm_hour=price * factor, billing=billing)
    assert a.cost_usd > 0
    assert_allclose(b.cost_usd, factor * a.cost_usd, rtol=1e-9)
    assert simulate_provisioning(FLASH, strategy, price_per_vm_hour=0.0, billing=billing).cost_usd == 0.0
    pd.testing.assert_frame_equal(a.timeline, b.timeline)  # the price changes the bill, never the behaviour


# --- billing: one definition --------------------------------------------------------------------


@pytest.mark.parametrize(
    "strategy",
    [ThresholdAutoscaler(cooldown_s=60), HPA(), SelfService(), StepScaling(), AwsTargetTracking(),
     AdvanceReservation(reserved_vms=5, overflow_to_on_demand=True, discount=0.4)],
    ids=lambda s: type(s).__name__,
)
def test_cost_is_billed_vm_hours_times_price(strategy):
    # Before, the bill counted exact lifetimes and the VM-hours column sampled the start of each
    # step: 937.68 vs 937.52 VM-h on the 2-day flash sale. Now both integrate the same VMs.
    trace = demand.flash_sale(days=2, seed=1)
    r = simulate_provisioning(trace, strategy, price_per_vm_hour=0.10)
    assert_allclose(r.on_demand_cost_usd, r.on_demand_vm_hours * 0.10, rtol=1e-9, atol=1e-9)
    discount = getattr(strategy, "discount", 0.0)
    assert_allclose(r.reserved_cost_usd, r.reserved_vm_hours * 0.10 * (1 - discount), rtol=1e-12)
    assert_allclose(r.vm_hours, r.timeline["vms_billed"].sum() * r.step_s / 3600, rtol=1e-9)
    assert_allclose(r.vm_hours, r.on_demand_vm_hours + r.reserved_vm_hours, rtol=1e-12)
    served_hours = r.timeline["served_rps"].sum() * r.step_s / 3600 / 100
    assert_allclose(r.over_provisioned_vm_hours, r.vm_hours - served_hours, rtol=1e-9, atol=1e-9)


def test_billing_starts_at_running_not_at_the_request():
    # One self-service scale-out on a constant load: the request is accepted at 0 + 180 s
    # (reaction 0, login 60, configuration 120), the VM is pending (allocation) for 60 s and
    # billed from `running`, 240 s after the decision; it serves 96.9 s later.
    policy = SelfService(check_interval_s=3600, reaction_delay_s=0, min_vms=0, max_vms=10, initial_vms=0)
    r = simulate_provisioning(constant(50.0, minutes=60), policy, price_per_vm_hour=3.6)
    tl = r.timeline
    assert r.scaling_events["change"].tolist() == [1]
    assert_allclose(tl["vms_booting"].iloc[3], 1.0)  # minute 3: pending (requested at 180 s)
    assert_allclose(tl["vms_billed"].iloc[3], 0.0)  # ... and not billed yet
    assert_allclose(tl["vms_billed"].iloc[4], 1.0)  # running from 240 s
    assert_allclose(r.on_demand_vm_hours, (3600 - 240) / 3600)
    assert_allclose(r.cost_usd, (3600 - 240) * 3.6 / 3600, rtol=1e-12)
    first_serving = int(np.flatnonzero(tl["vms_serving"].to_numpy() > 0)[0])
    assert first_serving == int((240 + 96.9) // 60)
    steps = policy.steps().set_index("step")
    assert not steps.loc["Automated allocation", "billed"] and steps.loc["Initialisation (billing starts)", "billed"]


def test_per_hour_billing_rounds_every_vm_up():
    s = ThresholdAutoscaler(cooldown_s=60)
    per_s = simulate_provisioning(FLASH, s, billing="per_second")
    per_h = simulate_provisioning(FLASH, s, billing="per_hour")
    assert per_h.cost_usd > per_s.cost_usd
    assert per_h.vm_hours == per_s.vm_hours  # the usage is the same; only the rounding differs
    assert_allclose(simulate_provisioning(FLASH, AdvanceReservation(reserved_vms=7)).cost_usd, 7 * 0.10 * 0.7 * 24)


def test_summary_table_carries_the_lecture_notes_table_and_numbers():
    trace = TRACES["streaming_spike"]
    runs = {
        "self-service": simulate_provisioning(trace, SelfService()),
        "reserved": simulate_provisioning(trace, AdvanceReservation(reserved_vms=20)),
        "dynamic": simulate_provisioning(trace, HPA()),
    }
    table = summary_table(runs)
    assert list(table.index) == list(runs)
    assert table.loc["self-service", ["trigger", "timing", "flexibility"]].tolist() == ["User request", "Immediate", "High (Manual)"]
    assert table.loc["reserved", ["trigger", "timing", "flexibility"]].tolist() == ["Contract/Plan", "Planned/Future", "Low (Reserved)"]
    assert table.loc["dynamic", ["trigger", "timing", "flexibility"]].tolist() == ["Workload metrics", "Real-time", "Maximum (Elastic)"]
    assert_allclose(table.loc["dynamic", "cost_usd"], runs["dynamic"].cost_usd)
    # the lecture notes' flexibility ranking shows up as scaling actions
    assert table.loc["reserved", "n_scaling_actions"] == 0 < table.loc["self-service", "n_scaling_actions"] < table.loc["dynamic", "n_scaling_actions"]


def test_process_steps_follow_the_lecture_notes():
    assert SelfService().steps()["step"].tolist()[1:] == [
        "Login & selection", "Configuration", "Automated allocation", "Initialisation (billing starts)"
    ]
    assert AdvanceReservation().steps()["step"].tolist() == [
        "Requirement analysis", "Contractual agreement", "Resource reservation", "Delivery (term and billing start)"
    ]
    for policy in (ThresholdAutoscaler(), HPA(), StepScaling(), AwsTargetTracking()):
        assert policy.steps()["step"].tolist() == [
            "Policy definition", "Continuous monitoring", "Trigger execution", "Automated scaling (warm-up)"
        ]
    assert_allclose(SelfService().steps()["duration_s"].sum(), SelfService().provisioning_latency_s)


# --- the trace's time ---------------------------------------------------------------------------


def test_time_index_kinds_are_read_properly():
    values = [100.0, 200.0, 300.0]
    assert trace_values(pd.Series(values, index=pd.to_timedelta([0, 30, 60], unit="s")))[2] == 30.0
    assert trace_values(pd.Series(values, index=[0.0, 15.0, 30.0]))[2] == 15.0  # numbers are seconds
    assert trace_values(pd.Series(values))[2] == 60.0  # pandas' default index carries no time
    assert trace_values(pd.Series(values), step_s=10)[2] == 10.0
    r = simulate_provisioning(pd.Series(values, index=pd.to_timedelta([0, 30, 60], unit="s")), HPA(min_vms=1))
    assert r.step_s == 30.0 and r.timeline["time"].iloc[1] == pd.Timedelta(seconds=30)
    numeric = simulate_provisioning(pd.Series(values, index=[600.0, 660.0, 720.0]), HPA())
    assert numeric.timeline["time"].tolist() == [600.0, 660.0, 720.0]


@pytest.mark.parametrize(
    ("trace", "kwargs", "error", "match"),
    [
        (pd.Series([1.0, 2.0, 3.0], index=[0, 60, 3600]), {}, ValueError, "must be regular: steps of 60 s, but entry 2"),
        (pd.Series([1.0, 2.0, 3.0], index=pd.to_timedelta([0, 30, 90], unit="s")), {}, ValueError, "must be regular"),
        (pd.Series([1.0, 2.0], index=[60, 0]), {}, ValueError, "strictly increasing"),
        (pd.Series([1.0, 2.0], index=["a", "b"]), {}, TypeError, "DatetimeIndex, a TimedeltaIndex or numbers"),
        (pd.Series([1.0, 2.0]), {"step_s": float("nan")}, ValueError, "step_s must be .*; got nan"),
        (FLASH, {"step_s": float("nan")}, ValueError, "step_s must be .*; got nan"),
        (FLASH, {"step_s": 30}, ValueError, r"step_s \(30\) disagrees"),
        (pd.Series([1e16, 1.0]), {}, ValueError, "at most 1e15"),
    ],
)
def test_bad_time_indexes_and_steps_are_refused(trace, kwargs, error, match):
    with pytest.raises(error, match=match):
        simulate_provisioning(trace, ThresholdAutoscaler(), **kwargs)


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


# --- bounds: no crash, no runaway work ----------------------------------------------------------


def test_vm_counts_are_bounded_with_a_clear_error():
    with pytest.raises(ValueError, match=r"ThresholdAutoscaler.max_vms must be a whole number >= 1 and <= 100000; got 1000000000"):
        ThresholdAutoscaler(max_vms=10**9, step_vms=10**8)
    with pytest.raises(ValueError, match=r"AdvanceReservation.reserved_vms must be .*<= 100000; got 1(\.00)?e\+308"):
        AdvanceReservation(reserved_vms=1e308)  # was an OverflowError


def test_huge_demand_and_huge_steps_cost_no_more_than_small_ones():
    # 10^15 requests/s and 10^5-VM steps: VMs launched together are one group, so the run is as
    # quick as any other (it used to build one list entry per VM and ran for minutes).
    policy = ThresholdAutoscaler(max_vms=VM_LIMIT, step_vms=VM_LIMIT, warmup_s=0, initial_vms=1)
    r = simulate_provisioning(pd.Series([1e15] * 10), policy)
    assert r.peak_vms == VM_LIMIT
    assert r.scaling_events["change"].tolist() == [VM_LIMIT - 1]
    assert_allclose(r.timeline["capacity_rps"].iloc[-1], VM_LIMIT * 100)
    assert r.unmet_fraction > 0.99


def test_bad_simulation_arguments():
    with pytest.raises(ValueError, match="simulate_provisioning.capacity_per_vm"):
        simulate_provisioning(FLASH, ThresholdAutoscaler(), capacity_per_vm=0)
    with pytest.raises(ValueError, match="simulate_provisioning.price_per_vm_hour"):
        simulate_provisioning(FLASH, ThresholdAutoscaler(), price_per_vm_hour=-1)
    with pytest.raises(ValueError, match="simulate_provisioning.billing"):
        simulate_provisioning(FLASH, ThresholdAutoscaler(), billing="monthly")
    with pytest.raises(ValueError, match="simulate_provisioning.on_demand_limit_vms"):
        simulate_provisioning(FLASH, ThresholdAutoscaler(), on_demand_limit_vms=-1)
    with pytest.raises(TypeError, match="strategy must have a decide"):
        simulate_provisioning(FLASH, "autoscale")
    with pytest.raises(ValueError, match="history is empty"):
        AdvanceReservation.from_forecast(FLASH.iloc[:0], capacity_per_vm=100)


@pytest.mark.parametrize(
    ("build", "error", "match"),
    [
        (lambda: ThresholdAutoscaler(scale_out_above=0.3, scale_in_below=0.3), ValueError, "scale_in_below .* less than .*scale_out_above"),
        (lambda: ThresholdAutoscaler(cooldown_s=-1), ValueError, r"ThresholdAutoscaler.cooldown_s must be .*>= 0.*; got -1"),
        (lambda: ThresholdAutoscaler(warmup_s=float("nan")), ValueError, "ThresholdAutoscaler.warmup_s"),
        (lambda: ThresholdAutoscaler(min_vms=10, max_vms=5), ValueError, r"ThresholdAutoscaler.min_vms \(10\) must be at most ThresholdAutoscaler.max_vms \(5\)"),
        (lambda: ThresholdAutoscaler(step_vms=0), ValueError, "ThresholdAutoscaler.step_vms"),
        (lambda: ThresholdAutoscaler(scale_out_above=1.2), ValueError, "ThresholdAutoscaler.scale_out_above"),
        (lambda: ThresholdAutoscaler(initial_vms=100, max_vms=50), ValueError, "ThresholdAutoscaler.initial_vms"),
        (lambda: ThresholdAutoscaler(period_s=0.001), ValueError, "ThresholdAutoscaler.period_s"),
        (lambda: ThresholdAutoscaler(cooldown_s="300"), TypeError, "ThresholdAutoscaler.cooldown_s"),
        (lambda: HPA(target=0), ValueError, "HorizontalPodAutoscaler.target"),
        (lambda: HPA(tolerance=-0.1), ValueError, "HorizontalPodAutoscaler.tolerance"),
        (lambda: HPA(min_vms=3, max_vms=2), ValueError, "HorizontalPodAutoscaler.min_vms"),
        (lambda: HPA(scale_up="fast"), TypeError, "HorizontalPodAutoscaler.scale_up must be a ScalingRules"),
        (lambda: SelfService(check_interval_s=0), ValueError, "SelfService.check_interval_s"),
        (lambda: SelfService(reaction_delay_s=-5), ValueError, "SelfService.reaction_delay_s"),
        (lambda: SelfService(min_vms=4, max_vms=3), ValueError, "SelfService.min_vms"),
        (lambda: AdvanceReservation(reserved_vms=2.5), TypeError, "AdvanceReservation.reserved_vms"),
        (lambda: AdvanceReservation(discount=1.0), ValueError, "AdvanceReservation.discount"),
        (lambda: AdvanceReservation(overflow_to_on_demand=1), TypeError, "AdvanceReservation.overflow_to_on_demand"),
        (lambda: AdvanceReservation(overflow=SelfService), TypeError, "AdvanceReservation.overflow"),
        (lambda: AdvanceReservation(overflow=AdvanceReservation()), TypeError, "AdvanceReservation.overflow"),
        (lambda: StepScaling(scale_out_steps=((0.0, 0.1, 5), (0.2, None, 10))), ValueError, "neither overlap nor leave a gap"),
        (lambda: StepScaling(scale_in_steps=((None, -0.1, 5), (-0.1, 0.0, 0))), ValueError, "scale-in adjustments must be <= 0"),
        (lambda: AwsTargetTracking(metric_period_s=0), ValueError, "AwsTargetTracking.metric_period_s"),
    ],
)
def test_bad_parameters_name_the_parameter(build, error, match):
    with pytest.raises(error, match=match):
        build()


def test_replace_validates_like_a_new_object():
    assert ThresholdAutoscaler().replace(cooldown_s=60).cooldown_s == 60.0
    with pytest.raises(ValueError, match="HorizontalPodAutoscaler.target"):
        HPA().replace(target=2)
    with pytest.raises(TypeError, match="has no field"):
        SelfService().replace(speed=3)


# --- optional M/M/c response time ---------------------------------------------------------------


def test_mmc_response_time_matches_textbook_cases():
    from vmlab.provisioning import mmc_response_time_s

    lam = np.array([10.0, 50.0, 90.0, 99.0])
    assert_allclose(mmc_response_time_s(lam, 100.0, 1), 1 / (100.0 - lam))  # M/M/1: W = 1 / (mu - lambda)
    # M/M/2 with a = 1.5: Erlang C = 9/14 (hand computation), W = C / (2 mu - lambda) + 1 / mu
    assert_allclose(mmc_response_time_s(150.0, 100.0, 2), (9 / 14) / 50 + 0.01)
    assert np.isinf(mmc_response_time_s([200.0, 5.0], 100.0, [2, 0])).all()
    w = mmc_response_time_s(np.full(6, 350.0), 100.0, np.arange(4, 10))
    assert (np.diff(w) <= 0).all() and w[-1] >= 0.01


def test_response_times_follow_the_timeline():
    from vmlab.provisioning import response_times_ms

    r = simulate_provisioning(FLASH, ThresholdAutoscaler(warmup_s=300))
    w = response_times_ms(r)
    assert len(w) == len(r.timeline)
    servers = np.floor(r.timeline["vms_serving"].to_numpy() + 1e-9)
    saturated = r.timeline["demand_rps"].to_numpy() >= servers * 100
    assert np.isinf(w.to_numpy()[saturated]).all() and np.isfinite(w.to_numpy()[~saturated]).all()
    assert (w[np.isfinite(w)] >= 1000 / 100).all()
