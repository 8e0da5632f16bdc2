"""Exercises of notebook 11 · Auto-scaling thresholds.

Parameters read (``p.NAME``): TRACE, DAYS, SEED, CAPACITY_PER_VM, SCALE_OUT_ABOVE, SCALE_IN_BELOW,
STEP_VMS, PERIOD_S, EVALUATION_PERIODS, COOLDOWN_S, WARMUP_S, MIN_VMS, MAX_VMS, TARGET.

11a and 11b are computed by running the notebook's threshold policy on a step of demand (low,
then far above any capacity) and reading the decisions it takes; 11f runs a reference autoscaler
written against the :class:`~vmlab.provisioning.protocol.Strategy` protocol, as the notebook
asks the student to write it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from vmlab.exercises.kinds import Choice, choice, number
from vmlab.provisioning import ThresholdAutoscaler, demand, hpa_desired_replicas, hpa_scale_up_limit, simulate_provisioning
from vmlab.provisioning.compare import decision_log

NOTEBOOK = "11_autoscaling_thresholds"

SLOW_WARMUP_S = 810.0
"""The optional section's warm-up: EC2 Windows from request to ready in 2011-12 (Mao & Humphrey)."""
NAIVE_PERIOD_S = 60.0
"""The optional section's rules decide every minute, on the flash-sale trace."""

_LOW_PERIODS = 10  # periods of low demand before the jump


def _policy(p, **changes) -> ThresholdAutoscaler:
    kw = dict(scale_out_above=p.SCALE_OUT_ABOVE, scale_in_below=p.SCALE_IN_BELOW, step_vms=p.STEP_VMS,
              period_s=p.PERIOD_S, evaluation_periods=p.EVALUATION_PERIODS, cooldown_s=p.COOLDOWN_S,
              warmup_s=p.WARMUP_S, min_vms=p.MIN_VMS, max_vms=p.MAX_VMS)
    kw.update(changes)
    return ThresholdAutoscaler(**kw)


def _jump_log(p) -> tuple[pd.DataFrame, float]:
    """Decisions on a step of demand: quiet for 10 periods, then far above any capacity.

    The trace has one sample per monitoring period, so the jump comes just as a period starts.
    Returns the decision log and the time of the jump, seconds.
    """
    n_high = 200
    quiet = p.MIN_VMS * p.CAPACITY_PER_VM * 0.5 * (p.SCALE_OUT_ABOVE + p.SCALE_IN_BELOW)  # between the lines
    values = np.r_[np.full(_LOW_PERIODS, quiet), np.full(n_high, 1e3 * p.MAX_VMS * p.CAPACITY_PER_VM)]
    index = pd.Index(np.arange(len(values)) * float(p.PERIOD_S), name="time")
    trace = pd.Series(values, index=index)
    return decision_log(trace, _policy(p), capacity_per_vm=p.CAPACITY_PER_VM), _LOW_PERIODS * float(p.PERIOD_S)


def _scale_out_times(p) -> np.ndarray:
    log, _ = _jump_log(p)
    return log.loc[log["change"] > 0, "time"].to_numpy(dtype=float)


# ---- 11a: from the jump to the first serving VM ----------------------------------------------
@number("11a", unit="s", rtol=0.02,
        hint="The policy needs EVALUATION_PERIODS whole periods above the line before it acts; then the "
             "new VM warms up.")
def ex_11a(p):
    _, jump = _jump_log(p)
    return float(_scale_out_times(p)[0] - jump + p.WARMUP_S)


@ex_11a.solution
def _(p):
    decided = ex_11a.expected_value(p) - p.WARMUP_S
    return (
        f"Each datapoint is the mean of one period, so the first datapoint above the line ends one period "
        f"after the jump; the alarm needs {p.EVALUATION_PERIODS} of them: the policy decides "
        f"{p.EVALUATION_PERIODS} × {p.PERIOD_S:g} = {decided:.0f} s after the jump. The VM then warms up for "
        f"{p.WARMUP_S:g} s: **{decided + p.WARMUP_S:.0f} s** in all. With basic monitoring (5-minute datapoints) "
        "the wait alone would be five minutes per period."
    )


# ---- 11b: the simple-scaling speed limit ------------------------------------------------------
@number("11b", unit="s", rtol=0.02,
        hint="After a scale-out the policy waits until the new VM serves (the warm-up), then the cooldown; "
             "it can only act again at a monitoring period.")
def ex_11b(p):
    return float(np.diff(_scale_out_times(p)).min())


@ex_11b.solution
def _(p):
    gap = ex_11b.expected_value(p)
    busy = p.WARMUP_S + p.COOLDOWN_S
    per_hour = p.STEP_VMS * 3600 / gap
    return (
        f"AWS simple scaling waits for the scaling activity to complete (the last new VM in service, "
        f"{p.WARMUP_S:g} s) and then for the cooldown ({p.COOLDOWN_S:g} s): {busy:g} s, and the next alarm "
        f"evaluation comes at the next period boundary: ⌈{busy:g} / {p.PERIOD_S:g}⌉ × {p.PERIOD_S:g} = "
        f"**{gap:.0f} s**. That is {per_hour:.1f} VMs an hour at {p.STEP_VMS} per action, whatever the demand: "
        "a flash sale that needs fifty more VMs waits hours. Step scaling and target tracking, which AWS "
        "recommends instead, size their steps by the breach."
    )


# ---- 11c: one HPA decision during a spike -----------------------------------------------------
@number("11c", unit="VMs", rtol=0.0, atol=0.5,
        hint="ceil(10 x 0.95 / TARGET), unless 0.95 / TARGET is within 10 % of 1.")
def ex_11c(p):
    return hpa_desired_replicas(10, 0.95, p.TARGET)


@ex_11c.solution
def _(p):
    ratio = 0.95 / p.TARGET
    n = ex_11c.expected_value(p)
    if abs(ratio - 1) <= 0.1:
        return f"0.95 / {p.TARGET:g} = {ratio:.3f} is within the 10 % tolerance: the HPA stays at **{n} VMs**."
    limit = hpa_scale_up_limit(10)
    pace = ("all at once" if n <= limit else
            f"{limit - 10} within the first 15 s (the rate limit) and the rest 15 s later")
    return (
        f"0.95 / {p.TARGET:g} = {ratio:.3f}, outside the tolerance: ⌈10 × {ratio:.3f}⌉ = **{n} VMs**. The default "
        f"scale-up policies (4 pods or 100 % per 15 s, the larger) let it add the {n - 10} VMs {pace}, where "
        f"simple scaling adds {p.STEP_VMS} per action."
    )


# ---- 11d: stopping the saw-tooth -------------------------------------------------------------
ex_11d = Choice(
    "11d",
    options=("wider band", "shorter cooldown", "shorter warm-up"),
    answer="wider band",
    feedback={
        "wider band": "Three VMs added to a group of twenty at 66 % bring it to about 57 %: inside a 55-65 % band, "
                      "just above the scale-in line, so the next wobble removes them again. With the lower "
                      "threshold well below the upper one, one step out cannot land below the scale-in line.",
        "shorter cooldown": "A shorter cooldown lets the policy act sooner after each action: the saw-tooth gets "
                            "faster, not flatter.",
        "shorter warm-up": "A faster start makes each cycle cheaper and the reaction quicker, but after a step "
                           "out the utilisation lands at the same place, next to the scale-in line.",
    },
    hint="After one step out, where does the utilisation land, relative to the scale-in line?",
)


# ---- 11e and 11f: your own autoscaler (optional section) ---------------------------------------
class _Naive:
    """The optional section's naive rule: add or remove STEP_VMS every minute, no waiting."""

    name = "naive rule"

    def __init__(self, p) -> None:
        self.period_s = NAIVE_PERIOD_S
        self.warmup_s = SLOW_WARMUP_S
        self.min_vms, self.max_vms = int(p.MIN_VMS), int(p.MAX_VMS)
        self._out, self._in, self._step = p.SCALE_OUT_ABOVE, p.SCALE_IN_BELOW, int(p.STEP_VMS)

    def decide(self, obs):
        if obs.utilisation > self._out:
            return obs.vms_owned + self._step
        if obs.utilisation < self._in:
            return max(obs.vms_owned - self._step, 0)
        return obs.vms_owned


class _WaitForBoot(_Naive):
    """The reference answer of 11f: the naive rule, but no scale-out while a VM is booting."""

    name = "waits for booting VMs"

    def decide(self, obs):
        if obs.utilisation > self._out and obs.vms_booting > 0:
            return obs.vms_owned
        return super().decide(obs)


def _sale(p):
    return demand.make("flash_sale", days=p.DAYS, seed=p.SEED)


def _run(p, strategy):
    return simulate_provisioning(_sale(p), strategy, capacity_per_vm=p.CAPACITY_PER_VM,
                                 price_per_vm_hour=p.PRICE_PER_VM_HOUR)


def _peak(p, strategy) -> int:
    return _run(p, strategy).peak_vms


@choice("11e", ("a", "b", "c", "d"),
        feedback={
            "a": "While its first VMs boot, the metric stays above the line, and the naive rule adds VMs every "
                 "period: by the time they serve it holds more VMs than simple scaling ever does. A cooldown (or "
                 "counting booting VMs) exists to stop exactly this.",
            "b": "Simple scaling waits for the last new VM to be in service and then for its cooldown; the naive "
                 "rule waits for nothing.",
            "c": "The rule has no notion of settling: above the line it adds VMs, every period.",
            "d": "Thrashing needs a narrow band; this one is as wide as the notebook's policy.",
        },
        hint="What does the metric show while new VMs boot, and what does the rule do each period meanwhile?")
def ex_11e(p):
    naive, simple = _peak(p, _Naive(p)), _peak(p, _policy(p, warmup_s=SLOW_WARMUP_S))
    return "a" if naive > simple else "b"


@number("11f", unit="VM-hours", rtol=0.02,
        hint="Return obs.vms_owned when the utilisation is above the line and obs.vms_booting > 0; otherwise "
             "what the naive rule returns. Run it on the sale and read over_provisioned_vm_hours.")
def ex_11f(p):
    return _run(p, _WaitForBoot(p)).over_provisioned_vm_hours


@ex_11f.solution
def _(p):
    waits, naive = _run(p, _WaitForBoot(p)), _run(p, _Naive(p))
    return (
        "```python\n"
        "class WaitForBoot(NaiveRule):\n"
        "    name = \"waits for booting VMs\"\n"
        "    def decide(self, obs):\n"
        "        if obs.utilisation > SCALE_OUT_ABOVE and obs.vms_booting > 0:\n"
        "            return obs.vms_owned          # wait: the VMs already launched will bring the metric down\n"
        "        return super().decide(obs)\n"
        "```\n\n"
        f"It pays for **{waits.over_provisioned_vm_hours:,.1f} VM-hours** that serve nothing, against "
        f"{naive.over_provisioned_vm_hours:,.1f} for the naive rule, and peaks at {waits.peak_vms} VMs instead of "
        f"{naive.peak_vms}: it adds {p.STEP_VMS} VM(s), waits {SLOW_WARMUP_S:.0f} s for them to serve, looks again. "
        "That is what AWS simple scaling does before its cooldown, and why the HPA and AWS step scaling leave "
        "booting VMs out of their arithmetic."
    )


EXERCISES = [ex_11a, ex_11b, ex_11c, ex_11d, ex_11e, ex_11f]
