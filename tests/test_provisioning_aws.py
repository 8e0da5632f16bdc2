"""AWS EC2 Auto Scaling: simple scaling's cooldown, step scaling, target tracking's alarms."""

from __future__ import annotations

import pytest

from tests.test_provisioning_hpa import events, trace_with_step
from vmlab import AwsTargetTracking, StepAdjustment, StepScaling, ThresholdAutoscaler, simulate_provisioning
from vmlab.provisioning.aws import _aws_round
from vmlab.provisioning.protocol import Observation


def observe(memory: dict, u: float, owned: int, booting: int = 0, t: float = 0.0) -> Observation:
    return Observation(time_s=t, utilisation=u, demand_rps=0.0, capacity_per_vm=100.0, vms_serving=owned - booting,
                       vms_booting=booting, vms_owned=owned, vms_reserved=0, memory=memory)


# --- simple scaling -----------------------------------------------------------------------------

SIMPLE = ThresholdAutoscaler(scale_out_above=0.8, scale_in_below=0.2, step_vms=1, cooldown_s=300, warmup_s=300, initial_vms=10)


def test_simple_scaling_cooldown_starts_when_the_last_new_vm_is_in_service():
    # 500 -> 1200 requests/s at 1800 s on 10 VMs. The minute's datapoint [1800, 1860) breaches:
    # one VM at 1860 s. AWS waits until it is in service (300 s warm-up) and then for the 300 s
    # cooldown: the next action comes at 1860 + 300 + 300 = 2460 s (it used to be 1860 + 300).
    trace = trace_with_step(500, 1200, 1800, 4 * 3600, 60)
    ev = events(simulate_provisioning(trace, SIMPLE))
    assert [t for t, _ in ev[:3]] == [1860.0, 2460.0, 3060.0]
    # an allocation step (EC2 `pending`) delays "in service" too
    assert [t for t, _ in events(simulate_provisioning(trace, SIMPLE.replace(allocation_s=60)))[:2]] == [1860.0, 2520.0]


def test_simple_scaling_decides_on_each_metric_period():
    # the datapoint is the mean over the period: a jump at 1800 s shows in the datapoint that ends
    # at 1860 s; three datapoints in a row are needed with evaluation_periods=3
    trace = trace_with_step(500, 1200, 1800, 4 * 3600, 60)
    assert events(simulate_provisioning(trace, SIMPLE.replace(evaluation_periods=3)))[0][0] == 1980.0
    # basic monitoring: 5-minute datapoints
    assert events(simulate_provisioning(trace, SIMPLE.replace(period_s=300)))[0][0] == 2100.0


def test_simple_scaling_waits_through_a_scale_in_cooldown():
    trace = trace_with_step(1000, 100, 600, 4 * 3600, 60)
    ev = events(simulate_provisioning(trace, SIMPLE.replace(initial_vms=20, cooldown_s=600)))
    assert all(c < 0 for _, c in ev)
    assert all(b - a >= 600 for (a, _), (b, _) in zip(ev, ev[1:]))


# --- step scaling -------------------------------------------------------------------------------


def test_step_scaling_reproduces_the_user_guide_example():
    # Amazon EC2 Auto Scaling User Guide, "Step adjustments for step scaling": threshold 50 %,
    # group of 10. At 60 %: +10 % = 1 instance. At 70 % while it warms up: 30 % of the 10 in
    # service is 3, but 11 are wanted already: add 2 (13). At 40 % on 14: -10 % = 1.4 -> -1.
    # At 30 % on 13: -30 % = 3.9 -> -3.
    policy = StepScaling()
    memory: dict = {}
    assert policy.decide(observe(memory, 0.60, 10)) == 11
    assert policy.decide(observe(memory, 0.70, 11, booting=1)) == 13
    assert policy.decide(observe({}, 0.40, 14)) == 13
    assert policy.decide(observe({}, 0.30, 13)) == 10
    assert policy.decide(observe({}, 0.55, 10)) == 10  # within the zero step
    assert policy.decide(observe({}, 0.30, 13, booting=2)) == 13  # no scale-in while warming up


def test_step_scaling_rounds_like_aws_and_honours_the_minimum_magnitude():
    assert [_aws_round(x) for x in (12.7, 0.67, -0.58, -6.67, 1.0, 0.0)] == [12, 1, -1, -6, 1, 0]
    policy = StepScaling(min_adjustment_magnitude=2)
    assert policy.decide(observe({}, 0.62, 4)) == 6  # +10 % of 4 = 0.4 -> 1 -> at least 2
    change = StepScaling(adjustment_type="change", scale_out_steps=((0, 0.1, 1), (0.1, None, 5)),
                         scale_in_steps=((None, 0, -1),))
    assert change.decide(observe({}, 0.9, 10)) == 15
    assert change.decide(observe({}, 0.1, 10)) == 9
    with pytest.raises(ValueError, match="whole number of VMs"):
        StepScaling(adjustment_type="change", scale_out_steps=((0, None, 1.5),))


def test_step_scaling_responds_to_a_larger_breach_during_warm_up():
    trace = trace_with_step(500, 900, 1800, 4 * 3600, 60)
    ev = events(simulate_provisioning(trace, StepScaling(warmup_s=300, initial_vms=10)))
    assert ev[0] == (1860.0, 3)  # 90 %: +30 % of 10
    big = events(simulate_provisioning(trace_with_step(500, 2000, 1800, 4 * 3600, 60), StepScaling(warmup_s=300, initial_vms=10)))
    assert len(big) > len(ev)  # more, larger steps for a larger breach, no cooldown in between
    assert StepAdjustment(0.1, 0.2, 10).covers(0.1) and not StepAdjustment(0.1, 0.2, 10).covers(0.2)
    assert StepAdjustment(-0.2, -0.1, -10).covers(-0.1, above=False) and not StepAdjustment(-0.2, -0.1, -10).covers(-0.2, above=False)


# --- target tracking ----------------------------------------------------------------------------


def test_aws_target_tracking_scales_out_after_three_datapoints_and_in_after_fifteen():
    # 600 -> 1500 requests/s at 1800 s, back to 300 at 10,800 s; 10 VMs, target 60 %.
    trace = trace_with_step(600, 1500, 1800, 6 * 3600, 60)
    trace.iloc[180:, 0] = 300.0
    ev = events(simulate_provisioning(trace, AwsTargetTracking(target=0.6, warmup_s=120)))
    # datapoints [1800, 1860), [1860, 1920), [1920, 1980) above 60 %: out at 1980 s,
    # to ceil(10 x 1.0 / 0.6) = 17
    assert ev[0] == (1980.0, 7)
    # in: 15 one-minute datapoints below 0.7 x 60 % after the fall: 10,800 + 900 s
    assert (11700.0, ev[-1][1]) == ev[-1] and ev[-1][1] < 0
    # basic monitoring, 5-minute datapoints: three of them, 900 s after the jump
    slow = events(simulate_provisioning(trace, AwsTargetTracking(target=0.6, warmup_s=120, metric_period_s=300)))
    assert slow[0][0] == 2700.0


def test_aws_target_tracking_does_not_scale_in_while_vms_warm_up():
    policy = AwsTargetTracking(target=0.6, scale_in_datapoints=1)
    assert policy.decide(observe({}, 0.1, 10, booting=3)) == 10
    assert policy.decide(observe({}, 0.1, 10)) == 2  # ceil(10 x 0.1 / 0.6)
    assert AwsTargetTracking(target=0.6, scale_in_datapoints=1, disable_scale_in=True).decide(observe({}, 0.1, 10)) == 10
    # warming VMs are not current capacity: ceil(7 serving x 1.0 / 0.6) = 12 total wanted, 10 owned
    assert policy.decide(observe({"above": 2, "below": 0}, 1.0, 10, booting=3)) == 12


def test_a_narrow_band_thrashes():
    from vmlab import demand

    diurnal = demand.make("diurnal", days=2, seed=1)
    wide = simulate_provisioning(diurnal, ThresholdAutoscaler(scale_out_above=0.85, scale_in_below=0.3, cooldown_s=60))
    narrow = simulate_provisioning(
        diurnal, ThresholdAutoscaler(scale_out_above=0.65, scale_in_below=0.55, step_vms=4, cooldown_s=60)
    )
    assert narrow.n_scaling_actions > 3 * wide.n_scaling_actions
