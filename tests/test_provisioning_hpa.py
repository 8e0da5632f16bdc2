"""The Kubernetes HPA: its own clock, behavior (stabilisation, policies, selectPolicy), ready pods, lag."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from vmlab import (
    HPA,
    HorizontalPodAutoscaler,
    ScalingPolicy,
    ScalingRules,
    TargetTracking,
    demand,
    hpa_desired_replicas,
    hpa_scale_down_limit,
    hpa_scale_up_limit,
    simulate_provisioning,
)


def trace_with_step(before: float, after: float, at_s: float, total_s: float, step_s: float) -> pd.DataFrame:
    n = int(total_s / step_s)
    index = pd.date_range("2025-03-03", periods=n, freq=pd.Timedelta(seconds=step_s), name="time")
    values = np.where(np.arange(n) * step_s >= at_s, after, before).astype(float)
    return pd.DataFrame({"demand": values}, index=index)


def events(result) -> list[tuple[float, int]]:
    """(seconds since the start, change) of every scaling decision."""
    start = result.timeline["time"].iloc[0]
    return [((t - start).total_seconds(), int(c)) for t, c in zip(result.scaling_events["time"], result.scaling_events["change"])]


NO_DOWN_WINDOW = ScalingRules(stabilisation_window_s=0, policies=(ScalingPolicy(kind="Percent", value=100, period_s=15),))


def test_the_controller_period_does_not_depend_on_the_trace_sampling():
    # From 100 to 20,000 requests/s at 600 s: the HPA decides every 15 s on a 60 s trace as on a
    # 15 s trace (it used to decide once per trace step: capacity after 420 s on the per-minute
    # trace, 105 s on the 15 s one). Doubling every sync (util capped at 1, target 0.5, "100 %
    # per 15 s"): 2 -> 4 -> ... -> 256 VMs, enough for 20,000 requests/s 90 s after the jump.
    policy = HPA(target=0.5, warmup_s=0, max_vms=1000)
    per_minute = simulate_provisioning(trace_with_step(100, 20000, 600, 3600, 60), policy)
    per_15s = simulate_provisioning(trace_with_step(100, 20000, 600, 3600, 15), policy)
    assert events(per_minute) == events(per_15s)
    assert [t for t, _ in events(per_minute)][:7] == [600, 615, 630, 645, 660, 675, 690]
    vms = 2 + np.cumsum([c for _, c in events(per_minute)])
    reached = [t for (t, _), n in zip(events(per_minute), vms) if n * 100 >= 20000][0]
    assert reached - 600 == 90
    assert_allclose(per_minute.unmet_fraction, per_15s.unmet_fraction, rtol=1e-12)
    assert_allclose(per_minute.cost_usd, per_15s.cost_usd, rtol=1e-12)


def test_defaults_are_kubernetes_defaults():
    # pkg/apis/autoscaling/v2/defaults.go and the controller flags
    hpa = HorizontalPodAutoscaler()
    assert (hpa.sync_period_s, hpa.tolerance) == (15.0, 0.1)
    assert hpa.scale_up == ScalingRules(
        stabilisation_window_s=0, select_policy="Max",
        policies=(ScalingPolicy(kind="Pods", value=4, period_s=15), ScalingPolicy(kind="Percent", value=100, period_s=15)),
    )
    assert hpa.scale_down == ScalingRules(
        stabilisation_window_s=300, select_policy="Max", policies=(ScalingPolicy(kind="Percent", value=100, period_s=15),)
    )
    assert HPA is HorizontalPodAutoscaler


def test_scale_down_waits_for_the_stabilisation_window():
    # 2000 -> 500 requests/s at 3600 s, target 0.5: the recommendation drops from 40 to 10 VMs,
    # but a scale-down takes the highest recommendation of the last 300 s: the last "40" came at
    # 3585 s, so the group shrinks at the first sync more than 300 s later, 3885 s.
    trace = trace_with_step(2000, 500, 3600, 4 * 3600, 60)
    r = simulate_provisioning(trace, HPA(target=0.5, warmup_s=0))
    assert events(r) == [(3885.0, -30)]
    fast = simulate_provisioning(trace, HPA(target=0.5, warmup_s=0, scale_down=NO_DOWN_WINDOW))
    assert events(fast) == [(3600.0, -30)]


def test_scale_up_stabilisation_takes_the_lowest_recent_recommendation():
    slow_up = ScalingRules.scale_up_default().replace(stabilisation_window_s=120)
    trace = trace_with_step(100, 5000, 600, 3600, 60)
    r = simulate_provisioning(trace, HPA(target=0.5, warmup_s=0, initial_vms=2, min_vms=2, max_vms=200, scale_up=slow_up))
    # for 120 s after the jump the window still holds the old recommendation (2 VMs)
    assert events(r)[0][0] == 705.0  # the last '2' was recommended at 585 s


def test_scale_up_policies_and_select_policy():
    trace = trace_with_step(100, 5000, 600, 3600, 60)
    base = dict(target=0.5, warmup_s=0, initial_vms=2, min_vms=2, max_vms=200)
    # default: 4 pods or 100 % per 15 s, the larger: doubling (util is capped at 1, so the
    # recommendation is 2x), then the last step to the 100 VMs the demand needs at 50 %
    assert events(simulate_provisioning(trace, HPA(**base))) == [(600, 2), (615, 4), (630, 8), (645, 16), (660, 32), (675, 36)]
    # selectPolicy Min: the smaller of "+4 pods" and "+100 %" per 15 s
    smaller = ScalingRules.scale_up_default().replace(select_policy="Min")
    assert [c for _, c in events(simulate_provisioning(trace, HPA(**base, scale_up=smaller)))][:5] == [2, 4, 4, 4, 4]
    # "4 pods per 60 s": never more than 4 added within any 60 s
    four = ScalingRules(policies=(ScalingPolicy(kind="Pods", value=4, period_s=60),))
    ev = events(simulate_provisioning(trace, HPA(**base, scale_up=four)))
    for t, _ in ev:
        assert sum(c for s, c in ev if t - 60 < s <= t) <= 4
    # Disabled: never scales up
    off = ScalingRules(select_policy="Disabled")
    assert events(simulate_provisioning(trace, HPA(**base, scale_up=off))) == []


def test_scale_down_policies_limit_the_rate():
    # the Kubernetes documentation's example: 4 pods or 10 % per 60 s, the larger
    gentle = ScalingRules(
        stabilisation_window_s=0,
        policies=(ScalingPolicy(kind="Pods", value=4, period_s=60), ScalingPolicy(kind="Percent", value=10, period_s=60)),
    )
    trace = trace_with_step(4000, 100, 600, 4 * 3600, 60)
    r = simulate_provisioning(trace, HPA(target=0.5, warmup_s=0, max_vms=100, scale_down=gentle))
    ev = events(r)
    assert ev[0] == (600.0, -8)  # 80 VMs: 10 % is 8
    assert ev[1] == (660.0, -8)  # 72 VMs: 7.2, rounded up to 8
    before = 80
    for _, change in ev:  # each minute the larger of 4 pods and 10 % (rounded up), until 1 VM is enough
        assert -change == min(max(4, int(np.ceil(0.1 * before - 1e-9))), before - 2)
        before += change
    assert before == 2 and [t for t, _ in ev] == [600.0 + 60 * i for i in range(len(ev))]
    off = ScalingRules(select_policy="Disabled")
    assert events(simulate_provisioning(trace, HPA(target=0.5, warmup_s=0, max_vms=100, scale_down=off))) == []


def test_unready_vms_are_held_out_not_a_veto():
    # 1000 -> 2000 requests/s at 600 s: 20 VMs more, booting for 300 s; at 660 s demand falls to
    # 200. The 20 ready VMs are 10 % busy: ceil(0.2 x 20) = 4 VMs, and the HPA scales down at
    # once (no stabilisation window here), booting VMs first. It used to wait for every VM to
    # finish booting.
    trace = trace_with_step(1000, 2000, 600, 3600, 60)
    trace.iloc[11:, 0] = 200.0
    r = simulate_provisioning(trace, HPA(target=0.5, warmup_s=300, scale_down=NO_DOWN_WINDOW))
    assert events(r) == [(600.0, 20), (660.0, -36)]
    # while they boot, the 20 new VMs damp the scale-up: counted at 0 %, 20/40 x 1.0 / 0.5 = 1
    assert HPA(target=0.5).recommend(40, 20, 1.0) == 40
    assert HPA(target=0.5).recommend(40, 20, 0.1) == 4


def test_tolerance_keeps_the_count_and_the_group_settles_where_the_rule_says():
    # constant 1000 req/s, 100 req/s per VM, target 60 %: ceil(1000 / 60) = 17 VMs (util 0.588,
    # within the 10 % tolerance), wherever it starts
    flat = pd.DataFrame({"demand": np.full(240, 1000.0)}, index=pd.date_range("2025-03-03", periods=240, freq="60s"))
    for initial in (1, 4, 30):
        r = simulate_provisioning(flat, HPA(target=0.6, warmup_s=60, initial_vms=initial, max_vms=50))
        assert (r.timeline["vms_serving"].iloc[-30:] == 17).all(), initial
    r = simulate_provisioning(flat, HPA(target=0.6, initial_vms=18))  # 1000/1800 = 0.556: ratio 0.93
    assert r.n_scaling_actions == 0


def test_metric_lag_delays_the_reaction():
    trace = trace_with_step(100, 5000, 600, 3600, 60)
    base = dict(target=0.5, warmup_s=0)
    assert events(simulate_provisioning(trace, HPA(**base)))[0][0] == 600
    assert events(simulate_provisioning(trace, HPA(**base, metric_lag_s=60)))[0][0] == 660
    # a 60 s window averages the old and the new demand: the first reaction is smaller
    first = events(simulate_provisioning(trace, HPA(**base, metric_window_s=60)))[0]
    assert first[0] == 615 and first[1] >= 1


def test_kubernetes_worked_examples():
    # kubernetes.io, "Horizontal Pod Autoscaling", Algorithm details: 200m against 100m doubles,
    # 50m halves; no action within the tolerance (0.1 by default).
    for current in (1, 3, 4, 10):
        assert hpa_desired_replicas(current, 200, 100) == 2 * current
    assert hpa_desired_replicas(4, 50, 100) == 2
    assert hpa_desired_replicas(10, 109, 100) == 10
    assert hpa_desired_replicas(10, 111, 100) == 12  # ceil(11.1)
    # the scaling policies example: 4 pods or 10 % per 60 s from 80 replicas
    assert hpa_scale_down_limit(80, pods=4, percent=10) == 72
    assert hpa_scale_down_limit(72, pods=4, percent=10) == 64
    assert hpa_scale_down_limit(30, pods=4, percent=10) == 26
    assert [hpa_scale_up_limit(n) for n in (1, 4, 12)] == [5, 8, 24]


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: hpa_scale_up_limit(-5), r"hpa_scale_up_limit.current must be .*>= 0.*; got -5"),  # returned -1
        (lambda: hpa_scale_down_limit(10, pods=-1), "hpa_scale_down_limit.pods"),
        (lambda: hpa_scale_up_limit(10, percent=float("nan")), "hpa_scale_up_limit.percent"),
        (lambda: hpa_desired_replicas(-1, 1, 1), "hpa_desired_replicas.current"),
        (lambda: ScalingPolicy(kind="Replicas"), "ScalingPolicy.kind"),
        (lambda: ScalingPolicy(period_s=3600), "ScalingPolicy.period_s"),
        (lambda: ScalingRules(policies=()), "policies is empty"),
        (lambda: ScalingRules(policies=("4 pods",)), r"ScalingRules.policies\[0\] must be a ScalingPolicy"),
        (lambda: ScalingRules(select_policy="Largest"), "ScalingRules.select_policy"),
    ],
)
def test_bad_hpa_input_names_the_parameter(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_target_tracking_is_a_deprecated_name_of_the_hpa():
    with pytest.warns(DeprecationWarning, match="HorizontalPodAutoscaler"):
        old = TargetTracking(target=0.5, warmup_s=0, scale_down_stabilisation_s=120, scale_up_pods=2, scale_up_percent=50)
    assert isinstance(old, HorizontalPodAutoscaler) and isinstance(old, TargetTracking)
    assert old.scale_down.stabilisation_window_s == 120
    assert [(p.kind, p.value) for p in old.scale_up.policies] == [("Pods", 2), ("Percent", 50)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(ValueError, match="could never grow"):
            TargetTracking(scale_up_pods=0, scale_up_percent=0)
        trace = demand.flash_sale(days=1, seed=2)
        assert simulate_provisioning(trace, TargetTracking(target=0.6)).cost_usd == simulate_provisioning(trace, HPA(target=0.6)).cost_usd
