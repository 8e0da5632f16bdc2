"""The three provisioning types as strategy objects for :func:`~vmlab.simulate_provisioning`.

Each strategy is a frozen, validated dataclass that knows

* its place in the seed's summary table (class attributes ``trigger``, ``timing``,
  ``flexibility``),
* its process steps (:meth:`steps`: a table of step, start, duration and actor, drawn by
  :func:`vmlab.figures.provisioning.process_steps_figure`),
* how it reacts to load (a private controller the simulator calls once per step).

* :class:`SelfService`: trigger "User request", timing "Immediate", flexibility "High (Manual)";
* :class:`AdvanceReservation`: "Contract/Plan", "Planned/Future", "Low (Reserved)";
* :class:`ThresholdAutoscaler` and :class:`TargetTracking`: "Workload metrics", "Real-time",
  "Maximum (Elastic)".

Defaults and their sources
--------------------------
* AWS EC2 Auto Scaling: default cooldown 300 s (simple scaling); target tracking and step
  policies use an instance warm-up instead, and scale-in waits while instances warm up.
* Kubernetes HorizontalPodAutoscaler: desired = ceil(current × metric / target), tolerance 0.1,
  sync period 15 s, scale-down stabilisation window 300 s, default scale-up policies "4 pods or
  100 % per 15 s" (``pkg/apis/autoscaling/v2/defaults.go``).
* VM start-up (Mao & Humphrey, IEEE CLOUD 2012, small instances 2011-12): EC2 Linux 96.9 s,
  EC2 Windows 810.2 s, Rackspace Linux 44.2 s, Azure roles 357-406 s. The default warm-up of
  90 s is of that order; modern clouds start in tens of seconds.
* Reserved capacity: providers advertise "up to 72 %" below on-demand (a marketing maximum for
  3-year commitments); the default discount here, 30 %, is an illustrative middle value.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field, replace as _replace
from typing import ClassVar

import numpy as np
import pandas as pd

from vmlab._checks import check_bool, check_int, check_number, check_order

__all__ = [
    "SelfService",
    "AdvanceReservation",
    "ThresholdAutoscaler",
    "TargetTracking",
    "hpa_desired_replicas",
    "hpa_scale_up_limit",
    "hpa_scale_down_limit",
    "VM_STARTUP_S",
]

VM_STARTUP_S: dict[str, float] = {
    "EC2 Linux (2012)": 96.9,
    "EC2 Windows (2012)": 810.2,
    "Rackspace Linux (2012)": 44.2,
    "Azure role (2012, low)": 357.0,
    "Azure role (2012, high)": 406.0,
}
"""VM start-up times in seconds from Mao & Humphrey, "A Performance Study on the VM Startup
Time in the Cloud", IEEE CLOUD 2012 (small instances, measured 2011-12)."""

_DAY_S = 86400.0


def _steps_frame(rows: list[tuple[str, float, str, bool]]) -> pd.DataFrame:
    """Turn (step, duration_s, actor, billed) rows into a table with cumulative start times."""
    start = 0.0
    out = []
    for step, duration, actor, billed in rows:
        out.append({"step": step, "start_s": start, "duration_s": float(duration), "actor": actor, "billed": billed})
        start += duration
    return pd.DataFrame(out)


# --------------------------------------------------------------------------------------------
# Kubernetes HPA rule
# --------------------------------------------------------------------------------------------


def hpa_desired_replicas(current: int, metric: float, target: float, tolerance: float = 0.1) -> int:
    """The Kubernetes HorizontalPodAutoscaler rule.

    desired = ceil(current × metric / target), unless |metric / target - 1| <= tolerance, in
    which case the replica count stays as it is.

    Parameters
    ----------
    current : int
        Current number of replicas (VMs).
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
    current = check_int("hpa_desired_replicas.current", current, minimum=0)
    metric = check_number("hpa_desired_replicas.metric", metric, minimum=0)
    target = check_number("hpa_desired_replicas.target", target, minimum=0, min_inclusive=False)
    tolerance = check_number("hpa_desired_replicas.tolerance", tolerance, minimum=0, maximum=1)
    ratio = metric / target
    if abs(ratio - 1.0) <= tolerance:
        return current
    return int(math.ceil(current * ratio - 1e-9))


def hpa_scale_up_limit(current: int, pods: int = 4, percent: float = 100.0) -> int:
    """Most replicas the default HPA scale-up policies allow after one period.

    Two policies, the larger change wins (``selectPolicy: Max``): add ``pods`` (default 4) or
    add ``percent`` % (default 100 %, i.e. double), per 15 s period.

    >>> hpa_scale_up_limit(1), hpa_scale_up_limit(10)
    (5, 20)
    """
    return int(max(current + pods, math.ceil(current * (1.0 + percent / 100.0) - 1e-9)))


def hpa_scale_down_limit(current: int, pods: int | None = None, percent: float = 100.0) -> int:
    """Fewest replicas the HPA scale-down policies allow after one period (larger change wins).

    The default policy allows removing 100 % (all pods down to ``minReplicas``) per 15 s.
    The Kubernetes documentation's example uses two policies, 4 pods or 10 % per minute: "if
    there are 80 replicas ... during the first step 8 replicas will be reduced. In the next
    iteration when the number of replicas is 72, 10 % of the pods is 7.2 but the number is
    rounded up to 8."

    >>> hpa_scale_down_limit(80, pods=4, percent=10)
    72
    >>> hpa_scale_down_limit(72, pods=4, percent=10)
    64
    >>> hpa_scale_down_limit(30, pods=4, percent=10)   # below 40 replicas the 4-pod policy wins
    26
    """
    by_percent = int(math.ceil(current * percent / 100.0 - 1e-9))
    change = max(by_percent, pods or 0)
    return max(current - change, 0)


# --------------------------------------------------------------------------------------------
# Controllers: small closures the simulator calls once per step. They return the change in
# the number of VMs (positive: launch, negative: release) and never see the trace itself.
# decide(t, util, demand_rps, running, booting, total, floor) -> int
#   util     observed utilisation of running capacity, capped at 1 (a CPU-like metric)
#   demand   offered load in requests/s (what a person watching a dashboard sees)
#   total    VMs running + booting + already decided (all that the controller owns)
#   floor    VMs the controller can never release (reserved capacity)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class _Elastic:
    min_vms: int = 1
    max_vms: int = 50
    initial_vms: int | None = None

    def replace(self, **changes):
        """A copy with some parameters changed (validated like a new object).

        >>> ThresholdAutoscaler().replace(cooldown_s=60).cooldown_s
        60.0
        """
        return _replace(self, **changes)

    def _check_bounds(self) -> None:
        name = type(self).__name__
        object.__setattr__(self, "min_vms", check_int(f"{name}.min_vms", self.min_vms, minimum=0))
        object.__setattr__(self, "max_vms", check_int(f"{name}.max_vms", self.max_vms, minimum=1))
        check_order(f"{name}.min_vms", self.min_vms, f"{name}.max_vms", self.max_vms, strict=False)
        object.__setattr__(
            self,
            "initial_vms",
            check_int(f"{name}.initial_vms", self.initial_vms, minimum=self.min_vms, maximum=self.max_vms, allow_none=True),
        )

    def _initial(self, demand_rps: float, capacity_per_vm: float, utilisation: float) -> int:
        if self.initial_vms is not None:
            return self.initial_vms
        need = math.ceil(demand_rps / (capacity_per_vm * utilisation) - 1e-9)
        return int(min(max(need, self.min_vms), self.max_vms))


@dataclass(frozen=True, kw_only=True)
class ThresholdAutoscaler(_Elastic):
    """Dynamic provisioning with a simple threshold policy ("CPU > 80 % → add a VM").

    Every ``period_s`` the autoscaler reads the average utilisation u of the running VMs
    (capped at 1, like CPU). When u > ``scale_out_above`` for ``evaluation_periods`` periods in
    a row it launches ``step_vms`` VMs; when u < ``scale_in_below`` for as many periods it
    releases ``step_vms`` (never below ``min_vms`` nor above ``max_vms``). After any action it
    waits ``cooldown_s`` before the next one (AWS simple scaling, default 300 s), and it does
    not scale in while a VM is still warming up (as AWS does). A new VM is billed from launch
    but serves nothing for ``warmup_s`` (boot plus application start).

    Parameters
    ----------
    scale_out_above, scale_in_below : float
        Upper and lower utilisation thresholds, 0-1; lower must be below upper.
    step_vms : int
        VMs added or removed per action (the step size k).
    period_s : float
        Monitoring period, s (CloudWatch detailed monitoring: 60 s). Periods shorter than the
        trace step act once per step.
    evaluation_periods : int
        Consecutive breaching periods needed before acting (N).
    cooldown_s : float
        Wait after a scaling action, s (AWS default 300 s).
    warmup_s : float
        Time from launch until a new VM serves load, s (EC2 Linux 96.9 s in Mao & Humphrey 2012).
    min_vms, max_vms : int
        Bounds of the group.
    initial_vms : int, optional
        VMs running at the start; by default just enough for the first sample at the midpoint
        of the two thresholds.

    Examples
    --------
    >>> ThresholdAutoscaler(scale_out_above=0.8, scale_in_below=0.3).cooldown_s
    300.0
    >>> ThresholdAutoscaler(scale_out_above=0.3, scale_in_below=0.8)
    Traceback (most recent call last):
    ...
    ValueError: ThresholdAutoscaler.scale_in_below (0.8) must be less than ThresholdAutoscaler.scale_out_above (0.3)
    """

    scale_out_above: float = 0.8
    scale_in_below: float = 0.3
    step_vms: int = 1
    period_s: float = 60.0
    evaluation_periods: int = 1
    cooldown_s: float = 300.0
    warmup_s: float = 90.0

    trigger: ClassVar[str] = "Workload metrics"
    timing: ClassVar[str] = "Real-time"
    flexibility: ClassVar[str] = "Maximum (Elastic)"
    kind: ClassVar[str] = "Dynamic"

    def __post_init__(self) -> None:
        n = "ThresholdAutoscaler"
        up = check_number(f"{n}.scale_out_above", self.scale_out_above, minimum=0, maximum=1, min_inclusive=False)
        lo = check_number(f"{n}.scale_in_below", self.scale_in_below, minimum=0, maximum=1, max_inclusive=False)
        check_order(f"{n}.scale_in_below", lo, f"{n}.scale_out_above", up)
        object.__setattr__(self, "scale_out_above", up)
        object.__setattr__(self, "scale_in_below", lo)
        object.__setattr__(self, "step_vms", check_int(f"{n}.step_vms", self.step_vms, minimum=1))
        object.__setattr__(self, "period_s", check_number(f"{n}.period_s", self.period_s, minimum=0, min_inclusive=False))
        object.__setattr__(
            self, "evaluation_periods", check_int(f"{n}.evaluation_periods", self.evaluation_periods, minimum=1)
        )
        object.__setattr__(self, "cooldown_s", check_number(f"{n}.cooldown_s", self.cooldown_s, minimum=0))
        object.__setattr__(self, "warmup_s", check_number(f"{n}.warmup_s", self.warmup_s, minimum=0))
        self._check_bounds()

    @property
    def name(self) -> str:
        return f"Threshold {self.scale_in_below:.0%}-{self.scale_out_above:.0%}"

    # delays used by the simulator
    launch_delay_s: ClassVar[float] = 0.0
    release_delay_s: ClassVar[float] = 0.0

    @property
    def boot_s(self) -> float:
        return self.warmup_s

    def initial(self, demand_rps: float, capacity_per_vm: float) -> int:
        return self._initial(demand_rps, capacity_per_vm, 0.5 * (self.scale_out_above + self.scale_in_below))

    def steps(self) -> pd.DataFrame:
        """The seed's four steps of dynamic provisioning with this policy's timings (seconds).

        Policy definition happens once, before the trace; the other three repeat for every action.
        """
        return _steps_frame(
            [
                ("Policy definition", 0.0, "user", False),
                ("Continuous monitoring", self.period_s * self.evaluation_periods, "cloud monitor", False),
                ("Trigger execution", 1.0, "autoscaler", False),
                ("Automated scaling (warm-up)", self.warmup_s, "autoscaler", True),
            ]
        )

    def _controller(self, capacity_per_vm: float, step_s: float):
        up, lo = self.scale_out_above, self.scale_in_below
        k, n_eval = self.step_vms, self.evaluation_periods
        period, cooldown = max(self.period_s, step_s), self.cooldown_s
        vmin, vmax = self.min_vms, self.max_vms
        state = {"next": -math.inf, "above": 0, "below": 0, "cool_until": -math.inf}

        def decide(t, util, demand, running, booting, total, floor):
            if t < state["next"]:
                return 0
            state["next"] = t + period - 1e-9
            if util > up:
                state["above"] += 1
                state["below"] = 0
            elif util < lo:
                state["below"] += 1
                state["above"] = 0
            else:
                state["above"] = state["below"] = 0
            if t < state["cool_until"]:
                return 0
            own = total - floor
            if state["above"] >= n_eval:
                change = min(own + k, vmax) - own
            elif state["below"] >= n_eval and booting == 0:
                change = max(own - k, vmin) - own
            else:
                return 0
            if change:
                state["cool_until"] = t + cooldown - 1e-9
            return change

        return decide


@dataclass(frozen=True, kw_only=True)
class TargetTracking(_Elastic):
    """Dynamic provisioning that follows the Kubernetes HorizontalPodAutoscaler rule.

    Every ``sync_period_s`` (Kubernetes default 15 s) it computes
    desired = ceil(current × u / ``target``) from the utilisation u of the ready VMs, does
    nothing when |u / target - 1| <= ``tolerance`` (default 0.1), counts VMs that are still
    warming up as idle when deciding to scale up (as HPA does with unready pods), scales down
    only to the highest recommendation of the last ``scale_down_stabilisation_s`` (default
    300 s), and limits each scale-up to max(+``scale_up_pods``, +``scale_up_percent`` %)
    (defaults 4 pods or 100 %). Because u is capped at 1, one decision can multiply the VMs by
    at most 1 / ``target`` while demand exceeds capacity. With no serving VM there is no metric
    to act on, so a group at ``min_vms=0`` stays empty (Kubernetes likewise needs
    ``minReplicas >= 1`` unless scale-to-zero is enabled); used as a reservation's overflow, the
    reserved VMs provide the metric.

    Examples
    --------
    >>> TargetTracking(target=0.6).scale_down_stabilisation_s
    300.0
    >>> TargetTracking(target=1.5)
    Traceback (most recent call last):
    ...
    ValueError: TargetTracking.target must be a finite number > 0 and <= 1; got 1.5
    """

    target: float = 0.6
    tolerance: float = 0.1
    sync_period_s: float = 15.0
    scale_down_stabilisation_s: float = 300.0
    scale_up_pods: int = 4
    scale_up_percent: float = 100.0
    warmup_s: float = 90.0

    trigger: ClassVar[str] = "Workload metrics"
    timing: ClassVar[str] = "Real-time"
    flexibility: ClassVar[str] = "Maximum (Elastic)"
    kind: ClassVar[str] = "Dynamic"
    launch_delay_s: ClassVar[float] = 0.0
    release_delay_s: ClassVar[float] = 0.0

    def __post_init__(self) -> None:
        n = "TargetTracking"
        object.__setattr__(self, "target", check_number(f"{n}.target", self.target, minimum=0, maximum=1, min_inclusive=False))
        object.__setattr__(self, "tolerance", check_number(f"{n}.tolerance", self.tolerance, minimum=0, maximum=1))
        object.__setattr__(
            self, "sync_period_s", check_number(f"{n}.sync_period_s", self.sync_period_s, minimum=0, min_inclusive=False)
        )
        object.__setattr__(
            self,
            "scale_down_stabilisation_s",
            check_number(f"{n}.scale_down_stabilisation_s", self.scale_down_stabilisation_s, minimum=0, maximum=3600),
        )
        object.__setattr__(self, "scale_up_pods", check_int(f"{n}.scale_up_pods", self.scale_up_pods, minimum=0))
        object.__setattr__(
            self, "scale_up_percent", check_number(f"{n}.scale_up_percent", self.scale_up_percent, minimum=0)
        )
        if self.scale_up_pods == 0 and self.scale_up_percent == 0:
            raise ValueError(f"{n}.scale_up_pods and {n}.scale_up_percent are both 0: the group could never grow")
        object.__setattr__(self, "warmup_s", check_number(f"{n}.warmup_s", self.warmup_s, minimum=0))
        self._check_bounds()

    @property
    def name(self) -> str:
        return f"Target tracking {self.target:.0%}"

    @property
    def boot_s(self) -> float:
        return self.warmup_s

    def initial(self, demand_rps: float, capacity_per_vm: float) -> int:
        return self._initial(demand_rps, capacity_per_vm, self.target)

    def steps(self) -> pd.DataFrame:
        """The seed's four steps of dynamic provisioning with the HPA timings (seconds)."""
        return _steps_frame(
            [
                ("Policy definition", 0.0, "user", False),
                ("Continuous monitoring", self.sync_period_s, "metrics server", False),
                ("Trigger execution", 1.0, "autoscaler", False),
                ("Automated scaling (warm-up)", self.warmup_s, "autoscaler", True),
            ]
        )

    def _controller(self, capacity_per_vm: float, step_s: float):
        target, tol = self.target, self.tolerance
        period = max(self.sync_period_s, step_s)
        window = self.scale_down_stabilisation_s
        up_pods, up_pct = self.scale_up_pods, self.scale_up_percent
        vmin, vmax = self.min_vms, self.max_vms
        history: deque = deque()
        state = {"next": -math.inf}

        def decide(t, util, demand, running, booting, total, floor):
            if t < state["next"]:
                return 0
            state["next"] = t + period - 1e-9
            ratio = util / target
            if running == 0 or abs(ratio - 1.0) <= tol:
                rec = total
            elif ratio > 1.0:
                # Unready VMs count as idle when scaling up (HPA treats unready pods as 0 %).
                ratio_all = util * running / (running + booting) / target
                rec = total if ratio_all <= 1.0 + tol else int(math.ceil(ratio_all * total - 1e-9))
            else:
                rec = total if booting else int(math.ceil(ratio * total - 1e-9))
            rec = min(max(rec, floor + vmin), floor + vmax)
            # Scale-down stabilisation: use the highest recommendation in the window.
            history.append((t, rec))
            while history and history[0][0] < t - window - 1e-9:
                history.popleft()
            desired = rec
            if rec < total:
                desired = min(max(r for _, r in history), total)
            elif rec > total:
                own = total - floor
                limit = floor + int(max(own + up_pods, math.ceil(own * (1.0 + up_pct / 100.0) - 1e-9)))
                desired = min(rec, limit)
            return desired - total

        return decide


@dataclass(frozen=True, kw_only=True)
class SelfService(_Elastic):
    """Self-service (on-demand) provisioning: a person watches the load and adds VMs by hand.

    The person looks at the dashboard every ``check_interval_s``. If the offered load needs
    more VMs than they have (at ``target_utilisation``), or at most ``scale_in_below`` of the
    running capacity is used, they decide on the VM count ceil(demand / (capacity ×
    target_utilisation)). Acting takes ``reaction_delay_s`` (noticing, getting to a keyboard),
    then the seed's four steps:

    1. Login & selection (``login_selection_s``): the cloud console, pick a resource type.
    2. Configuration (``configuration_s``): OS, RAM, storage.
    3. Automated allocation (``allocation_s``): the orchestrator carves the VM out of the pool.
       Billing starts here, when the launch request is accepted.
    4. Initialisation (``initialisation_s``): the VM boots and is handed over (EC2 Linux took
       96.9 s in Mao & Humphrey 2012).

    Releasing VMs takes only the reaction delay. VMs are billed at the on-demand price.

    Examples
    --------
    >>> s = SelfService(check_interval_s=3600, reaction_delay_s=600)
    >>> s.provisioning_latency_s   # reaction + the four steps
    936.9
    """

    check_interval_s: float = 3600.0
    reaction_delay_s: float = 600.0
    login_selection_s: float = 60.0
    configuration_s: float = 120.0
    allocation_s: float = 60.0
    initialisation_s: float = 96.9
    target_utilisation: float = 0.6
    scale_in_below: float = 0.3

    trigger: ClassVar[str] = "User request"
    timing: ClassVar[str] = "Immediate"
    flexibility: ClassVar[str] = "High (Manual)"
    kind: ClassVar[str] = "Self-service"

    def __post_init__(self) -> None:
        n = "SelfService"
        for attr in ("check_interval_s",):
            object.__setattr__(self, attr, check_number(f"{n}.{attr}", getattr(self, attr), minimum=0, min_inclusive=False))
        for attr in ("reaction_delay_s", "login_selection_s", "configuration_s", "allocation_s", "initialisation_s"):
            object.__setattr__(self, attr, check_number(f"{n}.{attr}", getattr(self, attr), minimum=0))
        tu = check_number(f"{n}.target_utilisation", self.target_utilisation, minimum=0, maximum=1, min_inclusive=False)
        lo = check_number(f"{n}.scale_in_below", self.scale_in_below, minimum=0, maximum=1)
        check_order(f"{n}.scale_in_below", lo, f"{n}.target_utilisation", tu)
        object.__setattr__(self, "target_utilisation", tu)
        object.__setattr__(self, "scale_in_below", lo)
        self._check_bounds()

    @property
    def name(self) -> str:
        return f"Self-service (every {self.check_interval_s / 60:.0f} min)"

    @property
    def launch_delay_s(self) -> float:
        """From the decision to the accepted launch request (billing starts), s."""
        return self.reaction_delay_s + self.login_selection_s + self.configuration_s

    @property
    def boot_s(self) -> float:
        """From the launch request to a serving VM, s."""
        return self.allocation_s + self.initialisation_s

    @property
    def release_delay_s(self) -> float:
        return self.reaction_delay_s

    @property
    def provisioning_latency_s(self) -> float:
        """From the decision to a serving VM: reaction delay plus the four steps, s."""
        return self.launch_delay_s + self.boot_s

    def initial(self, demand_rps: float, capacity_per_vm: float) -> int:
        return self._initial(demand_rps, capacity_per_vm, self.target_utilisation)

    def steps(self) -> pd.DataFrame:
        """The seed's four self-service steps, after the person's reaction delay (seconds)."""
        return _steps_frame(
            [
                ("Noticing the load (reaction)", self.reaction_delay_s, "user", False),
                ("Login & selection", self.login_selection_s, "user", False),
                ("Configuration", self.configuration_s, "user", False),
                ("Automated allocation", self.allocation_s, "orchestrator", True),
                ("Initialisation (billing started)", self.initialisation_s, "orchestrator", True),
            ]
        )

    def _controller(self, capacity_per_vm: float, step_s: float):
        period = max(self.check_interval_s, step_s)
        tu, lo = self.target_utilisation, self.scale_in_below
        vmin, vmax = self.min_vms, self.max_vms
        state = {"next": -math.inf}

        def decide(t, util, demand, running, booting, total, floor):
            if t < state["next"]:
                return 0
            state["next"] = t + period - 1e-9
            own = total - floor
            need = int(math.ceil(demand / (capacity_per_vm * tu) - 1e-9)) - floor
            need = min(max(need, vmin), vmax)
            if need > own or (util <= lo and need < own and booting == 0):
                return need - own
            return 0

        return decide


@dataclass(frozen=True, kw_only=True)
class AdvanceReservation:
    """Advance (reserved) provisioning: a fixed pool ordered ahead under a contract.

    The seed's steps: requirement analysis (a forecast of long-term needs, see
    :meth:`from_forecast`), contractual agreement (``term_days``, ``discount`` against the
    on-demand price), resource reservation by the provider, and delivery into the customer's
    pool. From ``delivery_after_s`` into the trace, ``reserved_vms`` VMs are running and billed at
    price × (1 - discount) whether used or not (the contract is pro-rated over the trace).
    Demand above the reserved capacity is unmet, unless ``overflow_to_on_demand`` is on: then an
    autoscaler (``overflow``, by default :class:`TargetTracking` with ``min_vms=0``) launches
    on-demand VMs on top of the reservation, at the on-demand price.

    Parameters
    ----------
    reserved_vms : int
        Size of the reservation.
    term_days : float
        Contract term (1 year = 365, 3 years = 1095); shown in :meth:`steps`.
    discount : float
        Fraction below the on-demand price, 0-1. Providers advertise "up to 72 %" (a marketing
        maximum for 3-year terms); the default 0.3 is illustrative.
    delivery_after_s : float
        When the reserved pool is delivered, seconds after the trace starts.
    overflow_to_on_demand : bool
        Whether demand above the reservation may overflow to on-demand VMs.
    overflow : ThresholdAutoscaler or TargetTracking, optional
        The policy for the overflow VMs; its ``min_vms``/``max_vms`` bound the on-demand VMs.
    analysis_days, negotiation_days, reservation_days : float
        Illustrative durations of the first three steps (for the process timeline).

    Examples
    --------
    >>> AdvanceReservation(reserved_vms=20).discount
    0.3
    >>> AdvanceReservation(reserved_vms=-1)
    Traceback (most recent call last):
    ...
    ValueError: AdvanceReservation.reserved_vms must be a whole number >= 0; got -1
    """

    reserved_vms: int = 20
    term_days: float = 365.0
    discount: float = 0.3
    delivery_after_s: float = 0.0
    overflow_to_on_demand: bool = False
    overflow: ThresholdAutoscaler | TargetTracking | None = None
    analysis_days: float = 14.0
    negotiation_days: float = 21.0
    reservation_days: float = 7.0
    sized_from: str = field(default="given", compare=False)

    trigger: ClassVar[str] = "Contract/Plan"
    timing: ClassVar[str] = "Planned/Future"
    flexibility: ClassVar[str] = "Low (Reserved)"
    kind: ClassVar[str] = "Advanced"
    launch_delay_s: ClassVar[float] = 0.0
    release_delay_s: ClassVar[float] = 0.0

    def __post_init__(self) -> None:
        n = "AdvanceReservation"
        object.__setattr__(self, "reserved_vms", check_int(f"{n}.reserved_vms", self.reserved_vms, minimum=0))
        object.__setattr__(self, "term_days", check_number(f"{n}.term_days", self.term_days, minimum=0, min_inclusive=False))
        object.__setattr__(self, "discount", check_number(f"{n}.discount", self.discount, minimum=0, maximum=1, max_inclusive=False))
        object.__setattr__(self, "delivery_after_s", check_number(f"{n}.delivery_after_s", self.delivery_after_s, minimum=0))
        check_bool(f"{n}.overflow_to_on_demand", self.overflow_to_on_demand)
        if self.overflow is not None and not isinstance(self.overflow, (ThresholdAutoscaler, TargetTracking)):
            raise TypeError(
                f"{n}.overflow must be a ThresholdAutoscaler, a TargetTracking or None; got {type(self.overflow).__name__}"
            )
        for attr in ("analysis_days", "negotiation_days", "reservation_days"):
            object.__setattr__(self, attr, check_number(f"{n}.{attr}", getattr(self, attr), minimum=0))
        if self.overflow_to_on_demand and self.overflow is None:
            object.__setattr__(self, "overflow", TargetTracking(target=0.7, min_vms=0, max_vms=100))

    def replace(self, **changes) -> "AdvanceReservation":
        """A copy with some parameters changed (validated like a new object).

        >>> AdvanceReservation(reserved_vms=10).replace(discount=0.5).discount
        0.5
        """
        return _replace(self, **changes)

    @classmethod
    def from_forecast(
        cls,
        history: pd.DataFrame | pd.Series,
        *,
        capacity_per_vm: float,
        percentile: float = 95.0,
        headroom: float = 0.0,
        **kwargs,
    ) -> "AdvanceReservation":
        """Requirement analysis: size the reservation from past demand.

        reserved_vms = ceil(P_p(history) × (1 + headroom) / capacity_per_vm), where P_p is the
        ``percentile`` of the demand over the planning history (e.g. last month's trace).

        >>> import pandas as pd
        >>> history = pd.Series([100.0, 200.0, 300.0, 400.0, 1000.0])
        >>> AdvanceReservation.from_forecast(history, capacity_per_vm=100, percentile=50).reserved_vms
        3
        >>> AdvanceReservation.from_forecast(history, capacity_per_vm=100, percentile=100).reserved_vms
        10
        """
        cap = check_number("AdvanceReservation.from_forecast.capacity_per_vm", capacity_per_vm, minimum=0, min_inclusive=False)
        pct = check_number("AdvanceReservation.from_forecast.percentile", percentile, minimum=0, maximum=100)
        head = check_number("AdvanceReservation.from_forecast.headroom", headroom, minimum=0, maximum=10)
        values = history["demand"] if isinstance(history, pd.DataFrame) else history
        values = np.asarray(values, dtype=float)
        if values.size == 0:
            raise ValueError("AdvanceReservation.from_forecast.history is empty: no past demand to forecast from")
        level = float(np.percentile(values, pct)) * (1.0 + head)
        vms = int(math.ceil(level / cap - 1e-9))
        return cls(reserved_vms=vms, sized_from=f"P{pct:g} of history x {1 + head:g}", **kwargs)

    @property
    def name(self) -> str:
        extra = " + on-demand overflow" if self.overflow_to_on_demand else ""
        return f"Reserved {self.reserved_vms} VMs{extra}"

    @property
    def min_vms(self) -> int:
        return self.overflow.min_vms if self.overflow_to_on_demand else 0

    @property
    def max_vms(self) -> int:
        return self.overflow.max_vms if self.overflow_to_on_demand else 0

    @property
    def boot_s(self) -> float:
        return self.overflow.boot_s if self.overflow_to_on_demand else 0.0

    def initial(self, demand_rps: float, capacity_per_vm: float) -> int:
        """On-demand VMs at the start (only with overflow, and only before delivery)."""
        if not self.overflow_to_on_demand:
            return 0
        if self.delivery_after_s > 0:
            return self.overflow.initial(demand_rps, capacity_per_vm)
        need = self.overflow.initial(demand_rps, capacity_per_vm) - self.reserved_vms
        return int(min(max(need, self.overflow.min_vms), self.overflow.max_vms))

    def steps(self) -> pd.DataFrame:
        """The seed's four advance-provisioning steps (seconds; durations illustrative).

        Delivery is drawn as one day; the contract then runs for ``term_days``.
        """
        return _steps_frame(
            [
                ("Requirement analysis", self.analysis_days * _DAY_S, "customer", False),
                ("Contractual agreement", self.negotiation_days * _DAY_S, "customer + provider", False),
                ("Resource reservation", self.reservation_days * _DAY_S, "provider", False),
                ("Delivery (term and billing start)", _DAY_S, "provider", True),
            ]
        )

    def _controller(self, capacity_per_vm: float, step_s: float):
        if not self.overflow_to_on_demand:
            return None
        return self.overflow._controller(capacity_per_vm, step_s)


Strategy = SelfService | AdvanceReservation | ThresholdAutoscaler | TargetTracking
