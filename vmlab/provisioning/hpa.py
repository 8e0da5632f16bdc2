"""The Kubernetes HorizontalPodAutoscaler (HPA), its ``behavior`` included, with VMs as pods.

Everything here follows the controller's source, kubernetes/kubernetes:

* ``pkg/controller/podautoscaler/replica_calculator.go`` (``GetResourceReplicas``,
  ``groupPods``): desired = ceil(usageRatio x readyPods), usageRatio = metric / target, no change
  when |usageRatio - 1| <= tolerance (0.1). Unready pods are *held out* of the count; when the
  ratio asks for a scale-up they are counted back in at 0 % use ("rebalance"), so booting pods
  damp a scale-up; they never block a scale-down.
* ``pkg/controller/podautoscaler/horizontal.go`` (``normalizeDesiredReplicasWithBehaviors``,
  ``stabilizeRecommendationWithBehaviors``, ``calculateScaleUpLimitWithScalingRules``,
  ``calculateScaleDownLimitWithBehaviors``): first the stabilisation window (scaling up: the
  *lowest* recommendation of the window; scaling down: the *highest*), then the rate limits of
  the scaling policies: for each policy the replicas at the start of its period (current minus
  what was added, plus what was removed, within ``periodSeconds``) plus ``value`` pods or
  ``value`` %; ``selectPolicy: Max`` takes the policy allowing the largest change, ``Min`` the
  smallest, ``Disabled`` forbids that direction.
* ``pkg/apis/autoscaling/v2/defaults.go``: scale-up: stabilisation 0 s, policies "4 pods or
  100 % per 15 s", ``Max``; scale-down: "100 % per 15 s", stabilisation 300 s (the controller
  flag ``--horizontal-pod-autoscaler-downscale-stabilization``). The controller runs every 15 s
  (``--horizontal-pod-autoscaler-sync-period``).

Utilisation in Kubernetes is measured against the pod's CPU *request* and can exceed 100 %; here a
VM's ``capacity_per_vm`` plays the request and the metric is capped at 1 (a VM cannot serve more
than its capacity), so one decision multiplies the VMs by at most 1 / target.
"""

from __future__ import annotations

import math
import warnings
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from vmlab._checks import Params, check_int, check_number, choice, integer, number
from vmlab.provisioning._common import Elastic, ceil_count
from vmlab.provisioning.protocol import VM_LIMIT, Observation

__all__ = [
    "ScalingPolicy",
    "ScalingRules",
    "HorizontalPodAutoscaler",
    "HPA",
    "TargetTracking",
    "hpa_desired_replicas",
    "hpa_scale_up_limit",
    "hpa_scale_down_limit",
]


@dataclass(frozen=True, kw_only=True)
class ScalingPolicy(Params):
    """One HPA scaling policy: change by at most ``value`` pods (or %) per ``period_s``.

    >>> ScalingPolicy(kind="Percent", value=100, period_s=15)
    ScalingPolicy(kind='Percent', value=100, period_s=15.0)
    >>> ScalingPolicy(kind="Pods", value=0)
    Traceback (most recent call last):
    ...
    ValueError: ScalingPolicy.value must be a whole number >= 1 and <= 100000; got 0
    """

    kind: str = choice("Pods", ("Pods", "Percent"))
    value: int = integer(4, minimum=1, maximum=VM_LIMIT)
    period_s: float = number(15.0, minimum=1, maximum=1800)


@dataclass(frozen=True, kw_only=True)
class ScalingRules(Params):
    """One direction of an HPA ``behavior``: stabilisation window, policies, ``selectPolicy``.

    >>> ScalingRules.scale_up_default().policies[0]
    ScalingPolicy(kind='Pods', value=4, period_s=15.0)
    >>> ScalingRules.scale_down_default().stabilisation_window_s
    300.0
    """

    stabilisation_window_s: float = number(0.0, minimum=0, maximum=3600)
    select_policy: str = choice("Max", ("Max", "Min", "Disabled"))
    policies: tuple = ()

    def _check_together(self) -> None:
        policies = self.policies
        if isinstance(policies, ScalingPolicy):
            policies = (policies,)
        policies = tuple(policies)
        for i, p in enumerate(policies):
            if not isinstance(p, ScalingPolicy):
                raise TypeError(f"ScalingRules.policies[{i}] must be a ScalingPolicy; got {p!r:.80}")
        if not policies and self.select_policy != "Disabled":
            raise ValueError("ScalingRules.policies is empty: give at least one ScalingPolicy, or select_policy='Disabled'")
        object.__setattr__(self, "policies", policies)

    @classmethod
    def scale_up_default(cls) -> "ScalingRules":
        """Kubernetes' default scale-up rules: 4 pods or 100 % per 15 s, the larger; no window."""
        return cls(stabilisation_window_s=0.0, select_policy="Max",
                   policies=(ScalingPolicy(kind="Pods", value=4, period_s=15), ScalingPolicy(kind="Percent", value=100, period_s=15)))

    @classmethod
    def scale_down_default(cls) -> "ScalingRules":
        """Kubernetes' default scale-down rules: 100 % per 15 s after a 300 s stabilisation window."""
        return cls(stabilisation_window_s=300.0, select_policy="Max",
                   policies=(ScalingPolicy(kind="Percent", value=100, period_s=15),))

    def longest_period_s(self) -> float:
        return max((p.period_s for p in self.policies), default=0.0)


def _changed_within(events: deque, now: float, period: float) -> int:
    """Replicas changed by the events of the last ``period`` seconds (``getReplicasChangePerPeriod``)."""
    cutoff = now - period
    return sum(change for when, change in events if when > cutoff + 1e-9)


def _limit(current: int, rules: ScalingRules, now: float, ups: deque, downs: deque, *, up: bool) -> int:
    """Most (up) or fewest (down) replicas the rules allow now."""
    if rules.select_policy == "Disabled":
        return current
    pick = max if up == (rules.select_policy == "Max") else min  # Max: the policy allowing the largest change
    proposals = []
    for p in rules.policies:
        added = _changed_within(ups, now, p.period_s)
        removed = _changed_within(downs, now, p.period_s)
        if up:
            start = current - added + removed
            proposals.append(start + p.value if p.kind == "Pods" else int(math.ceil(start * (1 + p.value / 100.0) - 1e-9)))
        else:
            start = current + removed - added
            proposals.append(start - p.value if p.kind == "Pods" else int(math.floor(start * (1 - p.value / 100.0) + 1e-9)))
    best = pick(proposals)
    return int(best)


@dataclass(frozen=True, kw_only=True)
class HorizontalPodAutoscaler(Elastic):
    """The Kubernetes HPA scaling VMs (pods) on utilisation, with its ``behavior``.

    Every ``sync_period_s`` (15 s, whatever the trace's sampling) it reads the mean utilisation
    u of the *ready* (serving) VMs over ``metric_window_s``, ``metric_lag_s`` old, and

    1. recommends ceil(u / ``target`` x ready), unless |u / target - 1| <= ``tolerance``; VMs still
       booting are held out (and counted at 0 % when the recommendation is a scale-up);
    2. stabilises: a scale-up takes the lowest recommendation of the last
       ``scale_up.stabilisation_window_s`` (0 s), a scale-down the highest of the last
       ``scale_down.stabilisation_window_s`` (300 s);
    3. limits the rate with the policies of ``scale_up`` / ``scale_down`` and ``min_vms``/``max_vms``.

    A new VM serves (its readiness probe passes) ``allocation_s`` + ``warmup_s`` after launch.
    With no ready VM there is no metric, so a group at ``min_vms=0`` stays empty (Kubernetes
    likewise needs ``minReplicas >= 1``); as a reservation's overflow, the reserved VMs give it
    the metric.

    Parameters
    ----------
    target : float
        Target utilisation, 0-1.
    tolerance : float
        Dead band around a ratio of 1 (``--horizontal-pod-autoscaler-tolerance``, 0.1).
    sync_period_s : float
        Time between decisions, s (15).
    scale_up, scale_down : ScalingRules
        The ``behavior`` (defaults from ``defaults.go``: see :class:`ScalingRules`).
    metric_window_s : float
        The metric is the mean utilisation over this window, s (0: the value at that moment).
        A real pipeline averages: the kubelet reports CPU use over a window of seconds, and
        metrics-server scrapes it every ``--metric-resolution`` (its FAQ: not below 15 s).
    metric_lag_s : float
        Age of the newest metric, s (0 by default; a real pipeline is tens of seconds behind).
    allocation_s, warmup_s : float
        Launch -> ``running`` (not billed) and ``running`` -> ready and serving, s.
    min_vms, max_vms, initial_vms : int
        ``minReplicas``, ``maxReplicas`` and the start.

    Examples
    --------
    >>> hpa = HorizontalPodAutoscaler(target=0.6)
    >>> hpa.scale_down.stabilisation_window_s, hpa.sync_period_s, hpa.tolerance
    (300.0, 15.0, 0.1)
    >>> HorizontalPodAutoscaler(target=1.5)
    Traceback (most recent call last):
    ...
    ValueError: HorizontalPodAutoscaler.target must be a finite number > 0 and <= 1; got 1.5
    """

    target: float = number(0.6, minimum=0, maximum=1, min_inclusive=False)
    tolerance: float = number(0.1, minimum=0, maximum=1)
    sync_period_s: float = number(15.0, minimum=1, maximum=3600)
    scale_up: ScalingRules = field(default_factory=ScalingRules.scale_up_default)
    scale_down: ScalingRules = field(default_factory=ScalingRules.scale_down_default)
    metric_window_s: float = number(0.0, minimum=0, maximum=3600)
    metric_lag_s: float = number(0.0, minimum=0, maximum=3600)
    allocation_s: float = number(0.0, minimum=0, maximum=86400)
    warmup_s: float = number(90.0, minimum=0, maximum=86400)

    def _check_together(self) -> None:
        super()._check_together()
        for attr in ("scale_up", "scale_down"):
            if not isinstance(getattr(self, attr), ScalingRules):
                raise TypeError(
                    f"HorizontalPodAutoscaler.{attr} must be a ScalingRules; got {getattr(self, attr)!r:.80}"
                )

    @property
    def name(self) -> str:
        return f"HPA {self.target:.0%}"

    @property
    def period_s(self) -> float:
        return self.sync_period_s

    def _aim(self) -> float:
        return self.target

    def _monitoring(self) -> tuple[float, str]:
        return self.sync_period_s, "metrics server"

    def recommend(self, total: int, ready: int, utilisation: float) -> int:
        """Step 1 alone (``GetResourceReplicas``): replicas for ``total`` VMs of which ``ready`` serve.

        >>> hpa = HorizontalPodAutoscaler(target=0.5)
        >>> hpa.recommend(10, 10, 0.25)    # all ready: ceil(0.5 x 10)
        5
        >>> hpa.recommend(10, 4, 0.25)     # 6 booting are held out: ceil(0.5 x 4)
        2
        >>> hpa.recommend(10, 4, 1.0)      # scale-up with 6 booting: they count at 0 %, 4/10 x 2 = 0.8
        10
        """
        if ready <= 0:
            return total
        ratio = utilisation / self.target
        unready = total - ready
        if unready > 0 and ratio > 1.0:
            new_ratio = utilisation * ready / total / self.target
            if abs(new_ratio - 1.0) <= self.tolerance or new_ratio < 1.0:
                return total
            return max(ceil_count(new_ratio * total), total)
        if abs(ratio - 1.0) <= self.tolerance:
            return total
        return ceil_count(ratio * ready)

    def decide(self, obs: Observation) -> int:
        """One sync of the controller (``reconcileAutoscaler``): recommend, stabilise, limit the rate.

        >>> from vmlab.provisioning.protocol import Observation
        >>> obs = Observation(time_s=0.0, utilisation=1.0, demand_rps=5000.0, capacity_per_vm=100.0,
        ...                   vms_serving=10, vms_booting=0, vms_owned=10, vms_reserved=0, memory={})
        >>> HorizontalPodAutoscaler(target=0.5).decide(obs)     # 2x, within "100 % per 15 s"
        20
        """
        m = obs.memory
        now = obs.time_s
        reserved = obs.vms_reserved
        total = obs.vms_owned + reserved
        if not m:
            up_w, down_w = self.scale_up.stabilisation_window_s, self.scale_down.stabilisation_window_s
            longest = max(self.scale_up.longest_period_s(), self.scale_down.longest_period_s())
            m.update(recs=deque([(now, total)]), ups=deque(), downs=deque(), windows=(up_w, down_w, max(up_w, down_w), longest))
        recs, ups, downs = m["recs"], m["ups"], m["downs"]
        up_w, down_w, keep, longest = m["windows"]
        lo, hi = reserved + self.min_vms, reserved + self.max_vms
        if total > hi:
            desired = hi
        elif total < lo:
            desired = lo
        else:
            rec = self.recommend(total, obs.vms_serving, obs.utilisation)
            while recs and recs[0][0] <= now - keep - 1e-9:
                recs.popleft()
            if rec == total and up_w == 0.0:  # the usual sync: nothing to do
                recs.append((now, rec))
                return obs.vms_owned
            stabilised = rec
            if rec >= total:
                if up_w > 0:
                    cutoff = now - up_w + 1e-9
                    stabilised = min([rec] + [r for when, r in recs if when > cutoff])
            elif down_w > 0:
                cutoff = now - down_w + 1e-9
                stabilised = max([rec] + [r for when, r in recs if when > cutoff])
            recs.append((now, rec))
            desired = stabilised
            if desired > total:
                limit = max(_limit(total, self.scale_up, now, ups, downs, up=True), total)
                desired = min(desired, hi, limit)
            elif desired < total:
                limit = min(_limit(total, self.scale_down, now, ups, downs, up=False), total)
                desired = max(desired, lo, limit)
        if desired != total:
            for events in (ups, downs):
                while events and events[0][0] <= now - longest - 1e-9:
                    events.popleft()
            (ups if desired > total else downs).append((now, abs(desired - total)))
        return desired - reserved


HPA = HorizontalPodAutoscaler
"""Short name of :class:`HorizontalPodAutoscaler`."""


def hpa_desired_replicas(current: int, metric: float, target: float, tolerance: float = 0.1) -> int:
    """The HPA rule with every pod ready: ceil(current x metric / target) outside the tolerance.

    Parameters
    ----------
    current : int
        Current number of replicas (VMs), all ready.
    metric : float
        Current average metric value (e.g. CPU utilisation 0.9, or 200 milli-cores).
    target : float
        Desired average metric value, same unit as ``metric``.
    tolerance : float
        Dead band around a ratio of 1 (Kubernetes default 0.1).

    Examples
    --------
    The worked examples in the Kubernetes documentation ("Algorithm details"): a current value
    of 200m against a target of 100m doubles the replicas; 50m halves them.

    >>> hpa_desired_replicas(4, 200, 100)
    8
    >>> hpa_desired_replicas(4, 50, 100)
    2
    >>> hpa_desired_replicas(10, 105, 100)   # ratio 1.05 is within the 10 % tolerance
    10
    """
    current = check_int("hpa_desired_replicas.current", current, minimum=0, maximum=VM_LIMIT)
    metric = check_number("hpa_desired_replicas.metric", metric, minimum=0)
    target = check_number("hpa_desired_replicas.target", target, minimum=0, min_inclusive=False)
    tolerance = check_number("hpa_desired_replicas.tolerance", tolerance, minimum=0, maximum=1)
    ratio = metric / target
    if abs(ratio - 1.0) <= tolerance:
        return current
    return ceil_count(current * ratio)


def _check_limit_args(fn: str, current: Any, pods: Any, percent: Any) -> tuple[int, int, float]:
    current = check_int(f"{fn}.current", current, minimum=0, maximum=VM_LIMIT)
    pods = check_int(f"{fn}.pods", pods, minimum=0, maximum=VM_LIMIT, allow_none=True) or 0
    percent = check_number(f"{fn}.percent", percent, minimum=0, maximum=1e4)
    return current, pods, percent


def hpa_scale_up_limit(current: int, pods: int = 4, percent: float = 100.0) -> int:
    """Most replicas two scale-up policies allow in one period, the larger change winning.

    ``selectPolicy: Max`` of "add ``pods``" and "add ``percent`` %" (defaults: 4 pods or 100 %
    per 15 s), from ``current`` replicas with nothing added yet in the period.

    >>> hpa_scale_up_limit(1), hpa_scale_up_limit(10)
    (5, 20)
    >>> hpa_scale_up_limit(-5)
    Traceback (most recent call last):
    ...
    ValueError: hpa_scale_up_limit.current must be a whole number >= 0 and <= 100000; got -5
    """
    current, pods, percent = _check_limit_args("hpa_scale_up_limit", current, pods, percent)
    return int(max(current + pods, math.ceil(current * (1.0 + percent / 100.0) - 1e-9)))


def hpa_scale_down_limit(current: int, pods: int | None = None, percent: float = 100.0) -> int:
    """Fewest replicas two scale-down policies allow in one period (the larger change wins).

    The default policy allows removing 100 % per 15 s. The Kubernetes documentation's example
    uses 4 pods or 10 % per minute: "if there are 80 replicas ... during the first step 8
    replicas will be reduced. In the next iteration when the number of replicas is 72, 10 % of
    the pods is 7.2 but the number is rounded up to 8."

    >>> hpa_scale_down_limit(80, pods=4, percent=10)
    72
    >>> hpa_scale_down_limit(72, pods=4, percent=10)
    64
    >>> hpa_scale_down_limit(30, pods=4, percent=10)   # below 40 replicas the 4-pod policy wins
    26
    """
    current, pods, percent = _check_limit_args("hpa_scale_down_limit", current, pods, percent)
    by_percent = int(math.ceil(current * min(percent, 100.0) / 100.0 - 1e-9))
    change = max(by_percent, pods)
    return max(current - change, 0)


# ---- the old name -------------------------------------------------------------------------------

def _from_legacy(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Map the old ``TargetTracking`` keywords onto a ``HorizontalPodAutoscaler``'s ``behavior``."""
    kw = dict(kwargs)
    window = kw.pop("scale_down_stabilisation_s", None)
    pods = kw.pop("scale_up_pods", None)
    pct = kw.pop("scale_up_percent", None)
    if pods is not None or pct is not None:
        pods = 4 if pods is None else check_int("TargetTracking.scale_up_pods", pods, minimum=0, maximum=VM_LIMIT)
        pct = 100.0 if pct is None else check_number("TargetTracking.scale_up_percent", pct, minimum=0, maximum=1e4)
        if pods == 0 and pct == 0:
            raise ValueError("TargetTracking.scale_up_pods and TargetTracking.scale_up_percent are both 0: the group could never grow")
        policies = []
        if pods:
            policies.append(ScalingPolicy(kind="Pods", value=pods, period_s=15))
        if pct:
            policies.append(ScalingPolicy(kind="Percent", value=int(round(pct)), period_s=15))
        kw["scale_up"] = ScalingRules(stabilisation_window_s=0.0, select_policy="Max", policies=tuple(policies))
    if window is not None:
        window = check_number("TargetTracking.scale_down_stabilisation_s", window, minimum=0, maximum=3600)
        kw["scale_down"] = ScalingRules.scale_down_default().replace(stabilisation_window_s=window)
    return kw


class _AliasMeta(type):
    def __instancecheck__(cls, obj: object) -> bool:
        return isinstance(obj, HorizontalPodAutoscaler)


class TargetTracking(metaclass=_AliasMeta):
    """Deprecated name of :class:`HorizontalPodAutoscaler` (the Kubernetes rule it always was).

    It builds a :class:`HorizontalPodAutoscaler`, accepting the old keywords
    ``scale_down_stabilisation_s``, ``scale_up_pods`` and ``scale_up_percent``. AWS's own
    target tracking is :class:`~vmlab.AwsTargetTracking`, a different controller.

    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", DeprecationWarning)
    ...     old = TargetTracking(target=0.5, scale_down_stabilisation_s=120)
    >>> type(old).__name__, old.scale_down.stabilisation_window_s
    ('HorizontalPodAutoscaler', 120.0)
    """

    def __new__(cls, **kwargs: Any) -> HorizontalPodAutoscaler:  # type: ignore[misc]
        warnings.warn(
            "TargetTracking is the Kubernetes HPA rule and is now called HorizontalPodAutoscaler (or HPA); "
            "AWS target tracking is AwsTargetTracking. The old name will be removed in the next release.",
            DeprecationWarning,
            stacklevel=2,
        )
        return HorizontalPodAutoscaler(**_from_legacy(kwargs))

