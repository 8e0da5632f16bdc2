"""Amazon EC2 Auto Scaling's three dynamic scaling policies: simple, step and target tracking.

All three are driven by CloudWatch alarms on a group metric (here: the mean utilisation of the
serving VMs over one *metric period*). EC2 *basic* monitoring publishes instance metrics every
5 minutes, *detailed* monitoring every minute, so ``period_s``/``metric_period_s`` default to
60 s (detailed) and 300 s is the basic-monitoring case. Sources: Amazon EC2 Auto Scaling User
Guide, pages "Scaling cooldowns", "Step and simple scaling policies" and "Target tracking
scaling policies" (awsdocs/amazon-ec2-auto-scaling-user-guide), quoted where used:

* simple scaling: "after a scaling activity is started, the policy must wait for the scaling
  activity or health check replacement to complete and the cooldown period to expire before
  responding to additional alarms"; "the cooldown period ... takes effect starting when the
  last instance finishes launching"; with a launch lifecycle hook, "When the instance enters
  the ``InService`` state, the cooldown period starts". Default cooldown 300 s. AWS recommends
  target tracking or step scaling instead ("we recommend that you do not use simple scaling
  policies and scaling cooldowns").
* step scaling: step adjustments by the size of the breach; "the policy can continue to respond
  to additional alarms, even while a scaling activity ... is in progress"; an instance warm-up
  instead of a cooldown: "While scaling out, we do not consider instances that are warming up as
  part of the current capacity", and "A scale-in activity can't start while a scale-out activity
  is in progress".
* target tracking: "Amazon EC2 Auto Scaling creates and manages the CloudWatch alarms ... and
  calculates the scaling adjustment based on the metric and the target value"; it "scales out
  proportionally to the metric as fast as it can, but scales in more gradually"; it rounds up
  when adding and down when removing instances. The alarms it creates (as the CloudWatch
  console shows them; the user guide does not list them): scale out when the metric is above the
  target for 3 datapoints within 3 minutes, scale in when it is below about 70 % of the target
  for 15 datapoints within 15 minutes.

Here the warm-up of a new VM (``warmup_s``: from ``running`` until it serves) is also the time it
is left out of the metric; AWS lets the two differ.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from vmlab._checks import Params, check_order, choice, flag, integer, number
from vmlab.provisioning._common import Elastic, ceil_count
from vmlab.provisioning.protocol import VM_LIMIT, Observation

__all__ = ["ThresholdAutoscaler", "StepAdjustment", "StepScaling", "AwsTargetTracking"]


@dataclass(frozen=True, kw_only=True)
class ThresholdAutoscaler(Elastic):
    """AWS *simple scaling*, the lecture notes' threshold policy ("CPU > 80 % -> add a VM").

    Every ``period_s`` the policy reads the mean utilisation u of the serving VMs over that
    period (a CloudWatch datapoint). When u > ``scale_out_above`` for ``evaluation_periods``
    datapoints in a row it launches ``step_vms`` VMs; when u < ``scale_in_below`` as long, it
    releases ``step_vms`` (never below ``min_vms`` nor above ``max_vms``). After a scale-out it
    waits until the last launched VM is in service (``allocation_s`` + ``warmup_s``), *then* for
    ``cooldown_s``; after a scale-in it waits ``cooldown_s``. A new VM is billed from ``running``
    (after ``allocation_s``) and serves nothing until ``warmup_s`` later.

    Parameters
    ----------
    scale_out_above, scale_in_below : float
        Utilisation thresholds, 0-1; lower below upper.
    step_vms : int
        VMs added or removed per action.
    period_s : float
        Metric period and evaluation interval, s: 60 with detailed monitoring, 300 with EC2's
        basic monitoring.
    evaluation_periods : int
        Consecutive breaching datapoints needed before acting.
    cooldown_s : float
        Wait after a scaling activity has completed, s (AWS default 300 s).
    allocation_s : float
        From the launch request to ``running`` (EC2 ``pending``: not billed), s.
    warmup_s : float
        From ``running`` until the VM serves, s (boot plus application start; EC2 Linux took
        96.9 s from request to use in 2012, Mao & Humphrey).
    metric_lag_s : float
        Extra delay before a datapoint reaches the alarm, s.
    min_vms, max_vms, initial_vms : int
        Group bounds, and VMs at the start (default: enough for the first sample at the midpoint
        of the two thresholds).

    Examples
    --------
    >>> ThresholdAutoscaler(scale_out_above=0.8, scale_in_below=0.3).cooldown_s
    300.0
    >>> ThresholdAutoscaler(scale_out_above=0.3, scale_in_below=0.8)
    Traceback (most recent call last):
    ...
    ValueError: ThresholdAutoscaler.scale_in_below (0.8) must be less than ThresholdAutoscaler.scale_out_above (0.3)
    """

    scale_out_above: float = number(0.8, minimum=0, maximum=1, min_inclusive=False)
    scale_in_below: float = number(0.3, minimum=0, maximum=1, max_inclusive=False)
    step_vms: int = integer(1, minimum=1, maximum=VM_LIMIT)
    period_s: float = number(60.0, minimum=1, maximum=86400)
    evaluation_periods: int = integer(1, minimum=1, maximum=1440)
    cooldown_s: float = number(300.0, minimum=0, maximum=86400)
    allocation_s: float = number(0.0, minimum=0, maximum=86400)
    warmup_s: float = number(90.0, minimum=0, maximum=86400)
    metric_lag_s: float = number(0.0, minimum=0, maximum=3600)

    def _check_together(self) -> None:
        super()._check_together()
        n = type(self).__name__
        check_order(f"{n}.scale_in_below", self.scale_in_below, f"{n}.scale_out_above", self.scale_out_above)

    @property
    def name(self) -> str:
        return f"Threshold {self.scale_in_below:.0%}-{self.scale_out_above:.0%}"

    @property
    def metric_window_s(self) -> float:
        """CloudWatch averages the metric over one period."""
        return self.period_s

    def _aim(self) -> float:
        return 0.5 * (self.scale_out_above + self.scale_in_below)

    def _monitoring(self) -> tuple[float, str]:
        return self.period_s * self.evaluation_periods, "cloud monitor"

    def decide(self, obs: Observation) -> int:
        """One alarm evaluation: count breaching datapoints, act unless the group is busy.

        >>> from vmlab.provisioning.protocol import Observation
        >>> memory = {}
        >>> def at(t, u, owned=4):
        ...     return Observation(time_s=t, utilisation=u, demand_rps=0.0, capacity_per_vm=100.0,
        ...                        vms_serving=owned, vms_booting=0, vms_owned=owned, vms_reserved=0, memory=memory)
        >>> policy = ThresholdAutoscaler(warmup_s=90, cooldown_s=300)
        >>> policy.decide(at(0, 0.9))          # breach: add a VM
        5
        >>> policy.decide(at(60, 0.95, 5))     # busy: the new VM serves at 90 s, then 300 s cooldown
        5
        >>> policy.decide(at(420, 0.95, 5))    # 90 + 300 s after the decision: act again
        6
        """
        m = obs.memory
        if not m:
            m.update(above=0, below=0, busy_until=-math.inf)
        u = obs.utilisation
        if u > self.scale_out_above:
            m["above"] += 1
            m["below"] = 0
        elif u < self.scale_in_below:
            m["below"] += 1
            m["above"] = 0
        else:
            m["above"] = m["below"] = 0
        own = obs.vms_owned
        if obs.time_s < m["busy_until"] - 1e-9:
            return own
        if m["above"] >= self.evaluation_periods:
            desired = min(own + self.step_vms, self.max_vms)
        elif m["below"] >= self.evaluation_periods:
            desired = max(own - self.step_vms, self.min_vms)
        else:
            return own
        if desired > own:  # the activity completes when the last new VM is in service
            m["busy_until"] = obs.time_s + self.allocation_s + self.warmup_s + self.cooldown_s
        elif desired < own:
            m["busy_until"] = obs.time_s + self.cooldown_s
        return desired


@dataclass(frozen=True)
class StepAdjustment(Params):
    """One step of a step scaling policy: ``adjustment`` when lower <= metric - threshold < upper.

    Bounds are relative to the alarm's threshold, in utilisation units (0.1 = 10 percentage
    points); ``None`` is -infinity (lower) or +infinity (upper). ``adjustment`` is a percentage
    of the current capacity (``adjustment_type="percent"``, AWS ``PercentChangeInCapacity``) or a
    number of VMs (``"change"``, ``ChangeInCapacity``): positive to scale out, negative to scale in.

    >>> StepAdjustment(0.1, 0.2, 10).covers(0.15), StepAdjustment(0.1, 0.2, 10).covers(0.2)
    (True, False)
    """

    lower: float | None = number(None, minimum=-1, maximum=1, allow_none=True)
    upper: float | None = number(None, minimum=-1, maximum=1, allow_none=True)
    adjustment: float = number(0.0, minimum=-VM_LIMIT, maximum=VM_LIMIT)

    def _check_together(self) -> None:
        if self.lower is None and self.upper is None:
            raise ValueError("StepAdjustment: lower and upper can't both be None (AWS rule)")
        if self.lower is not None and self.upper is not None and not self.lower < self.upper:
            raise ValueError(f"StepAdjustment.lower ({self.lower:g}) must be less than upper ({self.upper:g})")

    def covers(self, delta: float, *, above: bool = True) -> bool:
        """Whether the breach ``delta`` = metric - threshold falls in this step.

        Above the threshold the lower bound is inclusive and the upper exclusive; below it the
        other way round (AWS rule).
        """
        lo = -math.inf if self.lower is None else self.lower
        hi = math.inf if self.upper is None else self.upper
        return lo <= delta < hi if above else lo < delta <= hi


def _aws_round(x: float) -> int:
    """AWS's rounding of a percentage change: > 1 down, (0, 1) to 1, (-1, 0) to -1, < -1 up.

    >>> _aws_round(12.7), _aws_round(0.67), _aws_round(-0.58), _aws_round(-6.67), _aws_round(0.0)
    (12, 1, -1, -6, 0)
    """
    if x == 0:
        return 0
    if 0 < x < 1:
        return 1
    if -1 < x < 0:
        return -1
    return int(math.floor(x + 1e-9)) if x > 0 else int(math.ceil(x - 1e-9))


def _steps(name: str, value: Any, *, out: bool) -> tuple[StepAdjustment, ...]:
    try:
        steps = tuple(s if isinstance(s, StepAdjustment) else StepAdjustment(*s) for s in value)
    except TypeError as exc:
        raise TypeError(f"{name} must be StepAdjustment objects or (lower, upper, adjustment) tuples; {exc}") from None
    if not steps:
        raise ValueError(f"{name} needs at least one step")
    steps = tuple(sorted(steps, key=lambda s: -math.inf if s.lower is None else s.lower))
    for a, b in zip(steps, steps[1:]):
        if a.upper != b.lower:
            raise ValueError(f"{name}: steps must neither overlap nor leave a gap (AWS rule); {a} is followed by {b}")
    if out:
        if steps[0].lower != 0.0 or steps[-1].upper is not None:
            raise ValueError(f"{name} must cover [0, inf) above the threshold: first lower 0, last upper None")
        if any(s.adjustment < 0 for s in steps):
            raise ValueError(f"{name}: scale-out adjustments must be >= 0")
    else:
        if steps[0].lower is not None or steps[-1].upper != 0.0:
            raise ValueError(f"{name} must cover (-inf, 0] below the threshold: first lower None, last upper 0")
        if any(s.adjustment > 0 for s in steps):
            raise ValueError(f"{name}: scale-in adjustments must be <= 0")
    return steps


class _AlarmMetric:
    """A CloudWatch alarm's metric: one datapoint per ``metric_period_s``, averaged over it."""

    @property
    def period_s(self) -> float:
        return self.metric_period_s

    @property
    def metric_window_s(self) -> float:
        return self.metric_period_s


@dataclass(frozen=True, kw_only=True)
class StepScaling(_AlarmMetric, Elastic):
    """AWS *step scaling*: the size of the breach picks the step; warm-up instead of a cooldown.

    Every ``metric_period_s`` the alarm compares the mean utilisation u with ``threshold``. After
    ``evaluation_periods`` datapoints at or above it, the scale-out step covering u - threshold
    gives the change; below it, a scale-in step does. A percentage change is taken of the
    current capacity (serving VMs: "we do not consider instances that are warming up as part of
    the current capacity") and rounded the AWS way (:func:`_aws_round`); the new desired
    capacity is max(desired, current + change), so repeated breaches in the same step while VMs
    warm up launch nothing more. No scale-in while VMs are still warming up.

    The default steps are the AWS user guide's example (threshold 50 %): +10 % of the group at
    60-70 %, +30 % from 70 %; -10 % at 30-40 %, -30 % below 30 %.

    Parameters
    ----------
    threshold : float
        Alarm threshold, utilisation 0-1.
    scale_out_steps, scale_in_steps : tuple of StepAdjustment or (lower, upper, adjustment)
        Steps relative to ``threshold`` (see :class:`StepAdjustment`).
    adjustment_type : {"percent", "change"}
        ``PercentChangeInCapacity`` or ``ChangeInCapacity``.
    min_adjustment_magnitude : int
        Smallest change of a percentage step, VMs (AWS ``MinAdjustmentMagnitude``; 0: none).
    metric_period_s, evaluation_periods, allocation_s, warmup_s, metric_lag_s, min_vms, max_vms, initial_vms
        As in :class:`ThresholdAutoscaler`.

    Examples
    --------
    The user guide's walk-through: 10 VMs, the metric reaches 60 % (+10 %: 1 VM); at 70 % while
    that VM warms up, +30 % of the 10 serving VMs is 3, but 11 are already wanted: add 2.

    >>> from vmlab.provisioning.protocol import Observation
    >>> policy, memory = StepScaling(), {}
    >>> obs = lambda u, owned, booting: Observation(time_s=0.0, utilisation=u, demand_rps=0.0,
    ...     capacity_per_vm=100.0, vms_serving=owned - booting, vms_booting=booting, vms_owned=owned,
    ...     vms_reserved=0, memory=memory)
    >>> policy.decide(obs(0.60, 10, 0)), policy.decide(obs(0.70, 11, 1))
    (11, 13)
    """

    threshold: float = number(0.5, minimum=0, maximum=1, min_inclusive=False, max_inclusive=False)
    scale_out_steps: tuple = ((0.0, 0.1, 0), (0.1, 0.2, 10), (0.2, None, 30))
    scale_in_steps: tuple = ((-0.1, 0.0, 0), (-0.2, -0.1, -10), (None, -0.2, -30))
    adjustment_type: str = choice("percent", ("percent", "change"))
    min_adjustment_magnitude: int = integer(0, minimum=0, maximum=VM_LIMIT)
    metric_period_s: float = number(60.0, minimum=1, maximum=86400)
    evaluation_periods: int = integer(1, minimum=1, maximum=1440)
    allocation_s: float = number(0.0, minimum=0, maximum=86400)
    warmup_s: float = number(90.0, minimum=0, maximum=86400)
    metric_lag_s: float = number(0.0, minimum=0, maximum=3600)

    def _check_together(self) -> None:
        super()._check_together()
        n = type(self).__name__
        object.__setattr__(self, "scale_out_steps", _steps(f"{n}.scale_out_steps", self.scale_out_steps, out=True))
        object.__setattr__(self, "scale_in_steps", _steps(f"{n}.scale_in_steps", self.scale_in_steps, out=False))
        if self.adjustment_type == "change":
            for s in self.scale_out_steps + self.scale_in_steps:
                if float(s.adjustment) != int(s.adjustment):
                    raise ValueError(f"{n}: a 'change' adjustment is a whole number of VMs; got {s.adjustment:g}")

    @property
    def name(self) -> str:
        return f"Step scaling at {self.threshold:.0%}"

    def _aim(self) -> float:
        return self.threshold

    def _monitoring(self) -> tuple[float, str]:
        return self.metric_period_s * self.evaluation_periods, "cloud monitor"

    def _change(self, step: StepAdjustment, current: int) -> int:
        if self.adjustment_type == "change":
            return int(step.adjustment)
        change = _aws_round(current * step.adjustment / 100.0)
        if change and abs(change) < self.min_adjustment_magnitude:
            change = int(math.copysign(self.min_adjustment_magnitude, change))
        return change

    def decide(self, obs: Observation) -> int:
        m = obs.memory
        if not m:
            m.update(above=0, below=0)
        u = obs.utilisation
        delta = round(u - self.threshold, 12)  # 0.6 - 0.5 is 0.09999999999999998 in floating point
        m["above"] = m["above"] + 1 if delta >= 0 else 0
        m["below"] = m["below"] + 1 if delta < 0 else 0
        own = obs.vms_owned
        serving_own = obs.vms_serving - obs.vms_reserved
        if m["above"] >= self.evaluation_periods:
            step = next(s for s in self.scale_out_steps if s.covers(delta, above=True))
            desired = max(own, serving_own + self._change(step, serving_own))
        elif m["below"] >= self.evaluation_periods and obs.vms_booting == 0:
            step = next(s for s in self.scale_in_steps if s.covers(delta, above=False))
            desired = min(own, own + self._change(step, own))
        else:
            return own
        return min(max(desired, self.min_vms), self.max_vms)


@dataclass(frozen=True, kw_only=True)
class AwsTargetTracking(_AlarmMetric, Elastic):
    """AWS *target tracking*: CloudWatch alarms around a target, proportional scaling.

    Every ``metric_period_s`` one datapoint (mean utilisation u of the serving VMs) reaches two
    alarms. After ``scale_out_datapoints`` datapoints above ``target`` in a row (3 one-minute
    datapoints), the group grows to ceil(serving x u / target), VMs still warming up not counted
    as capacity; after ``scale_in_datapoints`` below ``scale_in_fraction`` x target (15), it shrinks
    to ceil(serving x u / target), never while VMs warm up. No cooldown: the warm-up does its job.

    Compare with the Kubernetes :class:`~vmlab.HorizontalPodAutoscaler`, which decides every
    15 s, scales on one reading outside a 10 % tolerance and holds scale-downs back with a
    300 s stabilisation window instead of alarms.

    Parameters
    ----------
    target : float
        Utilisation to keep, 0-1.
    metric_period_s : float
        Datapoint period, s: 60 with detailed monitoring (AWS recommends 1-minute metrics for
        target tracking), 300 with basic monitoring.
    scale_out_datapoints, scale_in_datapoints : int
        Consecutive datapoints of the high and low alarms (3 and 15 as the console shows them).
    scale_in_fraction : float
        The low alarm's threshold as a fraction of ``target``; the console shows about 0.7 for
        EC2 Auto Scaling groups (e.g. "CPUUtilization < 28" for a 40 % target). Not documented.
    disable_scale_in : bool
        Only scale out (AWS ``DisableScaleIn``).
    allocation_s, warmup_s, metric_lag_s, min_vms, max_vms, initial_vms
        As in :class:`ThresholdAutoscaler`.

    Examples
    --------
    >>> p = AwsTargetTracking(target=0.5)
    >>> p.scale_out_datapoints * p.metric_period_s, p.scale_in_datapoints * p.metric_period_s
    (180.0, 900.0)
    """

    target: float = number(0.6, minimum=0, maximum=1, min_inclusive=False)
    metric_period_s: float = number(60.0, minimum=1, maximum=86400)
    scale_out_datapoints: int = integer(3, minimum=1, maximum=1440)
    scale_in_datapoints: int = integer(15, minimum=1, maximum=1440)
    scale_in_fraction: float = number(0.7, minimum=0, maximum=1)
    disable_scale_in: bool = flag(False)
    allocation_s: float = number(0.0, minimum=0, maximum=86400)
    warmup_s: float = number(90.0, minimum=0, maximum=86400)
    metric_lag_s: float = number(0.0, minimum=0, maximum=3600)

    @property
    def name(self) -> str:
        return f"AWS target tracking {self.target:.0%}"

    def _aim(self) -> float:
        return self.target

    def _monitoring(self) -> tuple[float, str]:
        return self.metric_period_s * self.scale_out_datapoints, "CloudWatch alarm"

    def decide(self, obs: Observation) -> int:
        m = obs.memory
        if not m:
            m.update(above=0, below=0)
        u = obs.utilisation
        m["above"] = m["above"] + 1 if u > self.target else 0
        m["below"] = m["below"] + 1 if u < self.scale_in_fraction * self.target else 0
        own, reserved = obs.vms_owned, obs.vms_reserved
        total = own + reserved
        need = ceil_count(obs.vms_serving * u / self.target)
        if m["above"] >= self.scale_out_datapoints:
            desired = max(total, need)
        elif m["below"] >= self.scale_in_datapoints and obs.vms_booting == 0 and not self.disable_scale_in:
            desired = min(total, need)
        else:
            return own
        return min(max(desired - reserved, self.min_vms), self.max_vms)

