"""One simulator for every provisioning type: capacity chasing demand, step by step.

:func:`simulate_provisioning` walks a demand trace one sample at a time (a plain-Python loop
over floats: about 10 000 steps for a week at 1-minute steps) and at each step

1. applies decisions whose delay has passed (a person's reaction and console work) and turns
   VMs whose warm-up is over into serving VMs;
2. serves min(demand, capacity) where capacity = serving VMs × ``capacity_per_vm``; the rest
   of the demand is unmet (dropped or queued past its deadline);
3. shows the strategy's controller the utilisation u = demand / capacity, capped at 1 like a
   CPU metric, and the offered demand; the controller answers with a number of VMs to launch
   (billed from launch, serving only after warm-up) or release (newest first, VMs still
   booting before serving ones).

Metrics (all over the whole trace):

* cost = Σ on-demand VM lifetimes × ``price_per_vm_hour`` (per-second billing, or each VM's
  lifetime rounded up to whole hours with ``billing="per_hour"``) + reserved VMs × price ×
  (1 - discount) × hours since delivery;
* unmet_fraction = Σ unmet / Σ demand; sla_violation_minutes = minutes with any unmet demand;
* mean_utilisation = Σ served / Σ capacity;
* over_provisioned_vm_hours = idle capacity (capacity - served) / capacity_per_vm plus booting
  VMs, integrated over time, in VM-hours;
* scaling_events: one row per scaling decision (thrashing shows as many rows).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from vmlab._checks import check_choice, check_number
from vmlab.provisioning.strategies import (
    AdvanceReservation,
    SelfService,
    TargetTracking,
    ThresholdAutoscaler,
)

__all__ = ["ProvisioningResult", "simulate_provisioning", "summary_table", "trace_values", "mmc_response_time_s", "response_times_ms"]

_STRATEGIES = (SelfService, AdvanceReservation, ThresholdAutoscaler, TargetTracking)
_EPS = 1e-9


@dataclass(frozen=True)
class ProvisioningResult:
    """What :func:`simulate_provisioning` returns: a per-step table and headline numbers.

    Attributes
    ----------
    timeline : pandas.DataFrame
        One row per trace step: ``time``, ``demand`` (requests/s), ``capacity`` (requests/s
        that serving VMs can handle), ``vms_running`` (serving, reserved included),
        ``vms_booting`` (launched, warming up), ``utilisation`` (served / capacity, 0-1),
        ``unmet`` (requests/s not served).
    scaling_events : pandas.DataFrame
        One row per scaling decision: ``time``, ``action`` ("scale_out"/"scale_in"),
        ``change`` (VMs), ``vms_after`` (VMs the strategy owns after the decision).
    cost : float
        Total cost over the trace, in the currency of ``price_per_vm_hour``.
    on_demand_cost, reserved_cost : float
        The two parts of ``cost``.
    unmet_fraction : float
        Share of all requested work that was not served, 0-1.
    sla_violation_minutes : float
        Minutes in which some demand went unmet.
    mean_utilisation : float
        Served work / provided capacity, 0-1.
    over_provisioned_vm_hours : float
        Idle (paid, not serving) VM-hours: unused capacity of serving VMs plus booting VMs.
    vm_hours : float
        VM-hours provisioned (serving + booting, reserved included).
    n_scaling_actions : int
        ``len(scaling_events)``.
    peak_vms : int
        Most VMs (serving + booting) at any step.
    """

    timeline: pd.DataFrame
    scaling_events: pd.DataFrame
    strategy: Any
    capacity_per_vm: float
    price_per_vm_hour: float
    billing: str
    step_s: float
    cost: float
    on_demand_cost: float
    reserved_cost: float
    unmet_fraction: float
    sla_violation_minutes: float
    mean_utilisation: float
    over_provisioned_vm_hours: float
    vm_hours: float
    n_scaling_actions: int
    peak_vms: int

    @property
    def name(self) -> str:
        """A short label of the strategy (used in tables and legends)."""
        return self.strategy.name

    def summary(self) -> dict[str, Any]:
        """Headline numbers plus the seed's table entries for this strategy's type."""
        s = self.strategy
        return {
            "type": s.kind,
            "trigger": s.trigger,
            "timing": s.timing,
            "flexibility": s.flexibility,
            "cost": self.cost,
            "unmet_fraction": self.unmet_fraction,
            "sla_violation_minutes": self.sla_violation_minutes,
            "mean_utilisation": self.mean_utilisation,
            "over_provisioned_vm_hours": self.over_provisioned_vm_hours,
            "n_scaling_actions": self.n_scaling_actions,
            "peak_vms": self.peak_vms,
        }


def trace_values(trace: pd.DataFrame | pd.Series, step_s: float | None = None) -> tuple[np.ndarray, pd.Index, float]:
    """Validate a demand trace; return (values, time index, step in seconds).

    Accepts a DataFrame with a ``demand`` column (or a single column) or a Series. A
    :class:`~pandas.DatetimeIndex` must be regularly spaced; any other index needs ``step_s``
    (default 60 s).

    >>> values, index, step = trace_values(pd.Series([100.0, 250.0, 80.0]), step_s=30)
    >>> values.tolist(), step
    ([100.0, 250.0, 80.0], 30.0)
    >>> trace_values(pd.Series([], dtype=float))
    Traceback (most recent call last):
    ...
    ValueError: trace is empty: it needs at least one demand sample
    """
    if isinstance(trace, pd.DataFrame):
        if "demand" in trace.columns:
            series = trace["demand"]
        elif trace.shape[1] == 1:
            series = trace.iloc[:, 0]
        else:
            cols = ", ".join(repr(str(c)) for c in trace.columns)
            raise ValueError(f"trace must have a 'demand' column (or exactly one column); it has {cols}")
    elif isinstance(trace, pd.Series):
        series = trace
    else:
        raise TypeError(f"trace must be a pandas DataFrame or Series of demand; got {type(trace).__name__}")
    if len(series) == 0:
        raise ValueError("trace is empty: it needs at least one demand sample")
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        raise TypeError(f"trace demand must be numbers (requests/s); got dtype {series.dtype}")
    values = series.to_numpy(dtype=float)
    if not np.all(np.isfinite(values)):
        raise ValueError("trace demand must be finite numbers; it contains NaN or infinity")
    if (values < 0).any():
        raise ValueError(f"trace demand must be >= 0 requests/s; minimum is {values.min():g}")
    index = series.index
    if isinstance(index, pd.DatetimeIndex):
        if len(index) >= 2:
            diffs = np.diff(index.asi8)
            if diffs.min() <= 0:
                raise ValueError("trace time index must be strictly increasing")
            if diffs.max() != diffs.min():
                raise ValueError("trace time index must be regular (resample it, e.g. with demand.from_csv)")
            inferred = float(pd.Timedelta(index[1] - index[0]).total_seconds())
        else:
            inferred = float(trace.attrs.get("step_s", 60.0 if step_s is None else step_s))
        if step_s is not None and abs(step_s - inferred) > 1e-6:
            raise ValueError(f"step_s ({step_s:g}) disagrees with the trace's time index ({inferred:g} s)")
        step = inferred
    else:
        step = check_number("step_s", 60.0 if step_s is None else step_s, minimum=0, min_inclusive=False)
    return values, index, float(step)


def simulate_provisioning(
    trace: pd.DataFrame | pd.Series,
    strategy: SelfService | AdvanceReservation | ThresholdAutoscaler | TargetTracking,
    *,
    capacity_per_vm: float = 100.0,
    price_per_vm_hour: float = 0.10,
    billing: str = "per_second",
    step_s: float | None = None,
) -> ProvisioningResult:
    """Simulate one provisioning strategy against a demand trace.

    Parameters
    ----------
    trace : DataFrame or Series
        Demand in requests/s on a regular time grid (see :mod:`vmlab.demand`).
    strategy : SelfService, AdvanceReservation, ThresholdAutoscaler or TargetTracking
        How capacity follows demand.
    capacity_per_vm : float
        Requests/s one serving VM handles at 100 % utilisation.
    price_per_vm_hour : float
        On-demand price of one VM-hour (reserved VMs pay price × (1 - discount)).
    billing : {"per_second", "per_hour"}
        On-demand billing granularity: per second of VM lifetime, or each VM's lifetime
        rounded up to whole hours.
    step_s : float, optional
        Step of the trace when its index has no timestamps (default 60 s).

    Returns
    -------
    ProvisioningResult

    Examples
    --------
    >>> from vmlab.provisioning import demand
    >>> trace = demand.flash_sale(days=2, seed=1)
    >>> r = simulate_provisioning(trace, ThresholdAutoscaler(scale_out_above=0.8, scale_in_below=0.3,
    ...                           cooldown_s=300, warmup_s=90), capacity_per_vm=100, price_per_vm_hour=0.10)
    >>> list(r.timeline.columns)
    ['time', 'demand', 'capacity', 'vms_running', 'vms_booting', 'utilisation', 'unmet']
    >>> bool(r.unmet_fraction > 0), r.n_scaling_actions == len(r.scaling_events)
    (True, True)

    A reservation sized for the peak never leaves demand unmet:

    >>> peak = AdvanceReservation.from_forecast(trace, capacity_per_vm=100, percentile=100)
    >>> simulate_provisioning(trace, peak).unmet_fraction
    0.0
    """
    if not isinstance(strategy, _STRATEGIES):
        raise TypeError(
            "strategy must be a SelfService, AdvanceReservation, ThresholdAutoscaler or TargetTracking; "
            f"got {type(strategy).__name__}"
        )
    cap = check_number("simulate_provisioning.capacity_per_vm", capacity_per_vm, minimum=0, min_inclusive=False)
    price = check_number("simulate_provisioning.price_per_vm_hour", price_per_vm_hour, minimum=0)
    check_choice("simulate_provisioning.billing", billing, ("per_second", "per_hour"))
    values, index, dt = trace_values(trace, step_s)
    n = len(values)
    demand_list = values.tolist()

    is_reservation = isinstance(strategy, AdvanceReservation)
    reserved = strategy.reserved_vms if is_reservation else 0
    delivery = strategy.delivery_after_s if is_reservation else 0.0
    decide = strategy._controller(cap, dt)
    launch_delay = float(strategy.launch_delay_s)
    release_delay = float(strategy.release_delay_s)
    boot = float(strategy.boot_s)
    per_hour = billing == "per_hour"

    running: list[float] = [0.0] * strategy.initial(demand_list[0], cap)  # billing start times
    booting: deque = deque()  # (billing start, ready time), in launch order
    pending: list[tuple[float, int]] = []  # decisions waiting for a person's reaction
    pending_sum = 0
    billed_s = 0.0

    def bill(start: float, end: float) -> float:
        life = max(end - start, 0.0)
        return math.ceil(life / 3600.0 - _EPS) * 3600.0 if per_hour else life

    def release(k: int, at: float) -> float:
        total = 0.0
        while k > 0 and booting:
            total += bill(booting.pop()[0], at)
            k -= 1
        while k > 0 and running:
            total += bill(running.pop(), at)
            k -= 1
        return total

    cap_out = [0.0] * n
    run_out = [0] * n
    boot_out = [0] * n
    served_out = [0.0] * n
    events: list[tuple[float, int, int]] = []

    if decide is None:
        # a fixed pool (reservation without overflow): nothing reacts, so no loop is needed
        times_s = np.arange(n) * dt
        pool = np.where(times_s >= delivery - _EPS, reserved, 0)
        cap_out = (pool * cap).astype(float).tolist()
        run_out = pool.tolist()
        served_out = np.minimum(values, pool * cap).tolist()
    for i in range(n if decide is not None else 0):
        t = i * dt
        if pending:
            due = [p for p in pending if p[0] <= t + _EPS]
            if due:
                pending = [p for p in pending if p[0] > t + _EPS]
                for at, change in due:
                    pending_sum -= change
                    if change > 0:
                        for _ in range(change):
                            booting.append((at, at + boot))
                    else:
                        billed_s += release(-change, at)
        while booting and booting[0][1] <= t + _EPS:
            running.append(booting.popleft()[0])
        res = reserved if t >= delivery - _EPS else 0
        n_run = len(running) + res
        n_boot = len(booting)
        capacity = n_run * cap
        dem = demand_list[i]
        served = dem if dem < capacity else capacity
        cap_out[i] = capacity
        run_out[i] = n_run
        boot_out[i] = n_boot
        served_out[i] = served
        if decide is None:
            continue
        if capacity > 0.0:
            util = dem / capacity
            if util > 1.0:
                util = 1.0
        else:
            util = 1.0 if dem > 0.0 else 0.0
        total = n_run + n_boot + pending_sum
        change = decide(t, util, dem, n_run, n_boot, total, res)
        if change:
            events.append((t, change, total + change))
            delay = launch_delay if change > 0 else release_delay
            if delay > 0.0:
                pending.append((t + delay, change))
                pending_sum += change
            elif change > 0:
                for _ in range(change):
                    booting.append((t, t + boot))
            else:
                billed_s += release(-change, t)

    t_end = n * dt
    billed_s += release(len(running) + len(booting), t_end)
    on_demand_cost = billed_s / 3600.0 * price
    reserved_cost = 0.0
    if is_reservation and delivery < t_end:
        reserved_cost = reserved * price * (1.0 - strategy.discount) * (t_end - delivery) / 3600.0

    capacity_a = np.asarray(cap_out)
    served_a = np.asarray(served_out)
    running_a = np.asarray(run_out, dtype=np.int64)
    booting_a = np.asarray(boot_out, dtype=np.int64)
    unmet_a = np.maximum(values - served_a, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        util_a = np.where(capacity_a > 0, served_a / np.where(capacity_a > 0, capacity_a, 1.0), 0.0)
    times = index if isinstance(index, pd.DatetimeIndex) else pd.Index(np.arange(n) * dt, name="time_s")
    timeline = pd.DataFrame(
        {
            "time": np.asarray(times),
            "demand": values,
            "capacity": capacity_a,
            "vms_running": running_a,
            "vms_booting": booting_a,
            "utilisation": util_a,
            "unmet": unmet_a,
        }
    )
    if events:
        ev = np.asarray(events, dtype=float)
        event_idx = np.rint(ev[:, 0] / dt).astype(int)
        scaling_events = pd.DataFrame(
            {
                "time": np.asarray(times)[event_idx],
                "action": np.where(ev[:, 1] > 0, "scale_out", "scale_in"),
                "change": ev[:, 1].astype(int),
                "vms_after": ev[:, 2].astype(int),
            }
        )
    else:
        scaling_events = pd.DataFrame(
            {"time": np.asarray(times)[:0], "action": np.array([], dtype=object), "change": np.array([], dtype=int), "vms_after": np.array([], dtype=int)}
        )
    total_demand = float(values.sum())
    total_capacity = float(capacity_a.sum())
    idle_vm_steps = float(((capacity_a - served_a) / cap).sum() + booting_a.sum())
    return ProvisioningResult(
        timeline=timeline,
        scaling_events=scaling_events,
        strategy=strategy,
        capacity_per_vm=cap,
        price_per_vm_hour=price,
        billing=billing,
        step_s=dt,
        cost=on_demand_cost + reserved_cost,
        on_demand_cost=on_demand_cost,
        reserved_cost=reserved_cost,
        unmet_fraction=float(unmet_a.sum() / total_demand) if total_demand > 0 else 0.0,
        sla_violation_minutes=float(np.count_nonzero(unmet_a > _EPS * max(cap, 1.0)) * dt / 60.0),
        mean_utilisation=float(served_a.sum() / total_capacity) if total_capacity > 0 else 0.0,
        over_provisioned_vm_hours=idle_vm_steps * dt / 3600.0,
        vm_hours=float((running_a + booting_a).sum()) * dt / 3600.0,
        n_scaling_actions=len(events),
        peak_vms=int((running_a + booting_a).max()),
    )


def summary_table(results: Mapping[str, ProvisioningResult]) -> pd.DataFrame:
    """The seed's summary table (type, trigger, timing, flexibility) with numbers from runs.

    Parameters
    ----------
    results : mapping of label -> ProvisioningResult
        Runs on the same trace, e.g. ``{"self-service": r1, "reserved": r2, "auto-scaling": r3}``.

    Returns
    -------
    pandas.DataFrame
        One row per run (index = label): type, trigger, timing, flexibility, cost,
        unmet_fraction, sla_violation_minutes, mean_utilisation, over_provisioned_vm_hours,
        n_scaling_actions, peak_vms.

    Examples
    --------
    >>> from vmlab.provisioning import demand, SelfService, AdvanceReservation, TargetTracking
    >>> t = demand.streaming_spike(days=2, seed=1)
    >>> table = summary_table({"manual": simulate_provisioning(t, SelfService()),
    ...                        "reserved": simulate_provisioning(t, AdvanceReservation(reserved_vms=20)),
    ...                        "auto": simulate_provisioning(t, TargetTracking())})
    >>> table[["trigger", "timing", "flexibility"]]
                       trigger          timing        flexibility
    strategy
    manual        User request       Immediate      High (Manual)
    reserved     Contract/Plan  Planned/Future     Low (Reserved)
    auto      Workload metrics       Real-time  Maximum (Elastic)
    """
    if not isinstance(results, Mapping) or not results:
        raise ValueError("summary_table needs a non-empty mapping of label -> ProvisioningResult")
    rows = {}
    for label, r in results.items():
        if not isinstance(r, ProvisioningResult):
            raise TypeError(f"summary_table: results[{label!r}] must be a ProvisioningResult; got {type(r).__name__}")
        rows[label] = r.summary()
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "strategy"
    return table


def mmc_response_time_s(arrival_rps, service_rps: float, servers) -> np.ndarray:
    """Mean response time of an M/M/c queue (Erlang C), seconds; ``inf`` when saturated.

    W = C(c, a) / (c·μ - λ) + 1/μ, with offered load a = λ/μ, utilisation ρ = a/c < 1 and the
    Erlang C probability of waiting C(c, a) = B / (1 - ρ(1 - B)), where B is Erlang B from the
    recursion B(0) = 1, B(k) = a·B(k-1) / (k + a·B(k-1)). Vectorised over ``arrival_rps`` and
    ``servers`` (arrays of the same shape).

    Parameters
    ----------
    arrival_rps : float or array
        Arrival rate λ, requests/s.
    service_rps : float
        Service rate μ of one server (one VM's capacity), requests/s.
    servers : int or array
        Number of servers c (serving VMs).

    Examples
    --------
    One server is M/M/1: W = 1 / (μ - λ).

    >>> float(mmc_response_time_s(50.0, 100.0, 1))
    0.02
    >>> round(float(mmc_response_time_s(150.0, 100.0, 2)), 6)   # C = 9/14, W = C/50 + 1/100
    0.022857
    >>> float(mmc_response_time_s(250.0, 100.0, 2))
    inf
    """
    lam = np.asarray(arrival_rps, dtype=float)
    c = np.asarray(servers, dtype=float)
    lam, c = np.broadcast_arrays(lam, c)
    mu = float(service_rps)
    out = np.full(lam.shape, np.inf)
    stable = (c > 0) & (lam < c * mu)
    if not stable.any():
        return out
    a = lam[stable] / mu
    cs = c[stable]
    b = np.ones_like(a)
    for k in range(1, int(cs.max()) + 1):
        step = k <= cs
        nb = a * b / (k + a * b)
        b = np.where(step, nb, b)
    rho = a / cs
    erlang_c = b / (1.0 - rho * (1.0 - b))
    out[stable] = erlang_c / (cs * mu - lam[stable]) + 1.0 / mu
    return out


def response_times_ms(result: ProvisioningResult) -> pd.Series:
    """Per-step M/M/c mean response time of a run, milliseconds (``inf`` while saturated).

    Each step is treated as a steady M/M/c queue with λ = demand, μ = ``capacity_per_vm`` and
    c = serving VMs: Poisson arrivals and exponential service times, an optimistic model for
    web traffic, but it shows how response time explodes as utilisation approaches 100 %.

    >>> from vmlab.provisioning import demand, simulate_provisioning, TargetTracking
    >>> r = simulate_provisioning(demand.diurnal(days=1), TargetTracking(target=0.6))
    >>> w = response_times_ms(r)
    >>> bool(w.min() >= 10.0)   # never faster than one service time, 1/100 s
    True
    """
    tl = result.timeline
    values = mmc_response_time_s(tl["demand"].to_numpy(), result.capacity_per_vm, tl["vms_running"].to_numpy()) * 1000.0
    return pd.Series(values, index=pd.Index(tl["time"], name="time"), name="response_time_ms")
