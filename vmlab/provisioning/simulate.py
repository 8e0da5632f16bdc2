"""One simulator for every provisioning strategy: capacity chasing demand in continuous time.

:func:`simulate_provisioning` holds each demand sample for its trace step and follows the VMs
through time event by event:

* every ``strategy.period_s`` seconds (its own clock, whatever the trace's sampling) the
  strategy gets an :class:`~vmlab.provisioning.protocol.Observation` and answers how many
  on-demand VMs it wants (see :class:`~vmlab.provisioning.protocol.Strategy`);
* a launch passes the strategy's ``launch_delay_s`` (a person at a console), ``allocation_s``
  (the provider's ``pending`` state, not billed) and ``warmup_s`` (``running``: billed, booting)
  before the VM serves; releases take ``release_delay_s`` and drop the newest VMs first, booting
  ones before serving ones;
* serving VMs handle min(demand, VMs x ``capacity_per_vm``); the rest is unmet (dropped, or
  queued past its deadline).

Metrics (all over the whole trace):

* cost_usd = on-demand VM lifetimes from ``running`` x ``price_per_vm_hour`` (per second, or each
  lifetime rounded up to whole hours with ``billing="per_hour"``) + reserved VMs x price x
  (1 - discount) x hours since delivery;
* unmet_fraction = ∫ unmet / ∫ demand; sla_violation_minutes = time with any unmet demand;
* mean_utilisation = ∫ served / ∫ capacity;
* vm_hours = ∫ billed VMs dt, the same VMs the bill counts; over_provisioned_vm_hours =
  vm_hours - ∫ served / capacity_per_vm dt;
* scaling_events: one row per decision that changed the VM count.

The work is proportional to the number of steps, decisions and scaling actions, not to the
number of VMs: VMs launched together are tracked as one group.
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_right
from typing import Any

import numpy as np
import pandas as pd

from vmlab._checks import check_choice, check_int, check_number
from vmlab.provisioning.protocol import VM_LIMIT, Observation, ReservedPool, strategy_attribute
from vmlab.provisioning.results import (
    BILLING_STARTS_AT,
    ProvisioningResult,
    RenamedColumns,
    mmc_response_time_s,
    response_times_ms,
    summary_table,
)

__all__ = [
    "simulate_provisioning",
    "trace_values",
    "MAX_TRACE_STEPS",
    "MAX_DECISIONS",
    "ProvisioningResult",
    "summary_table",
    "mmc_response_time_s",
    "response_times_ms",
    "BILLING_STARTS_AT",
]

MAX_TRACE_STEPS = 2_000_000
"""Longest trace the simulator takes (about 3.8 years at one-minute steps)."""
MAX_DECISIONS = 5_000_000
"""Most decisions one run may ask of a strategy (trace length / ``period_s``)."""
_EPS = 1e-6  # s: events closer than this happen together


def _regular_step(seconds: np.ndarray, what: str) -> float:
    diffs = np.diff(seconds)
    if not np.all(np.isfinite(seconds)):
        raise ValueError(f"trace time index ({what}) must be finite")
    if diffs.min() <= 0:
        row = int(np.flatnonzero(diffs <= 0)[0]) + 1
        raise ValueError(f"trace time index ({what}) must be strictly increasing; entry {row} does not come after entry {row - 1}")
    if not np.allclose(diffs, diffs[0], rtol=1e-9, atol=1e-6):
        row = int(np.flatnonzero(~np.isclose(diffs, diffs[0], rtol=1e-9, atol=1e-6))[0]) + 1
        raise ValueError(
            f"trace time index ({what}) must be regular: steps of {diffs[0]:g} s, but entry {row} comes "
            f"{diffs[row - 1]:g} s after the one before. Resample it (e.g. with demand.from_csv)."
        )
    return float(diffs[0])


def trace_values(
    trace: pd.DataFrame | pd.Series, step_s: float | None = None, *, name: str = "trace"
) -> tuple[np.ndarray, pd.Index, float]:
    """Validate a demand trace; return (values in requests/s, time index, step in seconds).

    Accepts a DataFrame with a ``demand`` (or ``demand_rps``) column, or a single column, or a
    Series. The index gives the time: a regular :class:`~pandas.DatetimeIndex` or
    :class:`~pandas.TimedeltaIndex`, or numbers read as seconds. Only pandas' default index
    0, 1, 2, ... carries no time: then ``step_s`` (default ``trace.attrs["step_s"]``, else 60 s)
    gives the step.

    >>> values, index, step = trace_values(pd.Series([100.0, 250.0, 80.0]), step_s=30)
    >>> values.tolist(), step
    ([100.0, 250.0, 80.0], 30.0)
    >>> trace_values(pd.Series([1.0, 2.0], index=pd.to_timedelta([0, 30], unit="s")))[2]
    30.0
    >>> trace_values(pd.Series([1.0, 2.0, 3.0], index=[0, 60, 3600]))
    Traceback (most recent call last):
    ...
    ValueError: trace time index (seconds) must be regular: steps of 60 s, but entry 2 comes 3540 s after the one before. Resample it (e.g. with demand.from_csv).
    """
    if step_s is not None:
        step_s = check_number("step_s", step_s, minimum=0, min_inclusive=False, maximum=7 * 86400)
    if isinstance(trace, pd.DataFrame):
        cols = [c for c in ("demand", "demand_rps") if c in trace.columns]
        if cols:
            series = trace[cols[0]]
        elif trace.shape[1] == 1:
            series = trace.iloc[:, 0]
        else:
            listed = ", ".join(repr(str(c)) for c in trace.columns)
            raise ValueError(f"{name} must have a 'demand' column (or exactly one column); it has {listed}")
    elif isinstance(trace, pd.Series):
        series = trace
    else:
        raise TypeError(f"{name} must be a pandas DataFrame or Series of demand; got {type(trace).__name__}")
    n = len(series)
    if n == 0:
        raise ValueError(f"{name} is empty: it needs at least one demand sample")
    if n > MAX_TRACE_STEPS:
        raise ValueError(f"{name} has {n:,} samples; at most {MAX_TRACE_STEPS:,} (resample it to a longer step)")
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        raise TypeError(f"{name} demand must be numbers (requests/s); got dtype {series.dtype}")
    values = series.to_numpy(dtype=float)
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{name} demand must be finite numbers; it contains NaN or infinity")
    if (values < 0).any():
        raise ValueError(f"{name} demand must be >= 0 requests/s; minimum is {values.min():g}")
    if values.max() > 1e15:
        raise ValueError(f"{name} demand must be at most 1e15 requests/s; maximum is {values.max():g}")
    index = series.index
    default = step_s if step_s is not None else float(getattr(trace, "attrs", {}).get("step_s", 60.0))
    if isinstance(index, (pd.DatetimeIndex, pd.TimedeltaIndex)):
        if index.hasnans:
            raise ValueError(f"{name} time index has missing times (NaT)")
        what = "timestamps" if isinstance(index, pd.DatetimeIndex) else "time offsets"
        if n >= 2:
            step = _regular_step(np.asarray((index - index[0]) / pd.Timedelta(seconds=1), dtype=float), what)
        else:
            step = default
            if step_s is None and getattr(index, "freq", None) is not None:
                try:  # one sample of a date_range: its frequency
                    step = pd.Timedelta(index.freq).total_seconds()
                except (ValueError, TypeError):
                    pass
    elif isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
        step = default  # pandas' default index: no time given
    elif pd.api.types.is_numeric_dtype(index) and not pd.api.types.is_bool_dtype(index):
        step = _regular_step(index.to_numpy(dtype=float), "seconds") if n >= 2 else default
    else:
        raise TypeError(
            f"{name} index must be a DatetimeIndex, a TimedeltaIndex or numbers of seconds; got {type(index).__name__} "
            f"of {index.dtype}"
        )
    if step_s is not None and abs(step_s - step) > 1e-6 * max(step, 1.0):
        raise ValueError(f"step_s ({step_s:g}) disagrees with the trace's time index ({step:g} s)")
    if not 0 < step <= 7 * 86400:
        raise ValueError(f"{name} step must be > 0 s and at most a week; got {step:g} s")
    return values, index, float(step)


def _answer(strategy: Any, value: Any, owned: int, t: float) -> int:
    if value is None:
        return owned
    if type(value) is int and 0 <= value <= VM_LIMIT:
        return value
    label = f"{type(strategy).__name__}.decide(...) at t = {t:g} s"
    return check_int(label, value, minimum=0, maximum=VM_LIMIT)


def simulate_provisioning(
    trace: pd.DataFrame | pd.Series,
    strategy: Any,
    *,
    capacity_per_vm: float = 100.0,
    price_per_vm_hour: float = 0.10,
    billing: str = "per_second",
    step_s: float | None = None,
    on_demand_limit_vms: int | None = None,
) -> ProvisioningResult:
    """Simulate one provisioning strategy against a demand trace.

    Parameters
    ----------
    trace : DataFrame or Series
        Demand in requests/s on a regular time grid (see :mod:`vmlab.demand` and
        :func:`trace_values`).
    strategy : Strategy
        How capacity follows demand: :class:`~vmlab.SelfService`, :class:`~vmlab.AdvanceReservation`,
        :class:`~vmlab.ThresholdAutoscaler`, :class:`~vmlab.StepScaling`,
        :class:`~vmlab.AwsTargetTracking`, :class:`~vmlab.HorizontalPodAutoscaler`, or your own
        object with ``name``, ``period_s`` and ``decide(obs)`` (:class:`~vmlab.provisioning.protocol.Strategy`).
    capacity_per_vm : float
        Requests/s one serving VM handles at 100 % utilisation.
    price_per_vm_hour : float
        On-demand price of one VM-hour, US dollars (reserved VMs pay price x (1 - discount)).
    billing : {"per_second", "per_hour"}
        On-demand billing granularity: per second of billed lifetime, or each VM's billed
        lifetime rounded up to whole hours. Billing starts at ``running``
        (:data:`~vmlab.provisioning.results.BILLING_STARTS_AT`).
    step_s : float, optional
        Step of the trace when its index carries no time (default 60 s).
    on_demand_limit_vms : int, optional
        The most on-demand VMs the provider can run for you (a region short of capacity);
        launches beyond it fail (``refused_vms``). Reserved VMs with ``capacity_guaranteed`` are
        outside the limit; a discount-only reservation's VMs count against it.

    Returns
    -------
    ProvisioningResult

    Examples
    --------
    >>> from vmlab.provisioning import demand, ThresholdAutoscaler, AdvanceReservation
    >>> trace = demand.flash_sale(days=2, seed=1)
    >>> r = simulate_provisioning(trace, ThresholdAutoscaler(scale_out_above=0.8, scale_in_below=0.3,
    ...                           cooldown_s=300, warmup_s=90), capacity_per_vm=100, price_per_vm_hour=0.10)
    >>> list(r.timeline.columns)
    ['time', 'demand_rps', 'capacity_rps', 'served_rps', 'unmet_rps', 'utilisation', 'vms_serving', 'vms_booting', 'vms_billed']
    >>> bool(r.unmet_fraction > 0), r.n_scaling_actions == len(r.scaling_events)
    (True, True)
    >>> round(r.on_demand_cost_usd / 0.10 - r.on_demand_vm_hours, 9)   # one definition of a VM-hour
    0.0

    A reservation sized for the peak never leaves demand unmet:

    >>> peak = AdvanceReservation.from_forecast(trace, capacity_per_vm=100, percentile=100)
    >>> simulate_provisioning(trace, peak).unmet_fraction
    0.0
    """
    decide = getattr(strategy, "decide", None)
    if not callable(decide):
        raise TypeError(
            "strategy must have a decide(obs) method and a period_s (see vmlab.provisioning.Strategy), e.g. "
            f"HorizontalPodAutoscaler() or ThresholdAutoscaler(); got {type(strategy).__name__}"
        )
    cap = check_number("simulate_provisioning.capacity_per_vm", capacity_per_vm, minimum=0, min_inclusive=False, maximum=1e12)
    price = check_number("simulate_provisioning.price_per_vm_hour", price_per_vm_hour, minimum=0, maximum=1e4)
    check_choice("simulate_provisioning.billing", billing, ("per_second", "per_hour"))
    limit = check_int("simulate_provisioning.on_demand_limit_vms", on_demand_limit_vms, minimum=0, maximum=VM_LIMIT, allow_none=True)
    values, index, dt = trace_values(trace, step_s)
    n = len(values)
    T = n * dt

    sname = type(strategy).__name__
    period = strategy_attribute(strategy, "period_s", dt, minimum=1.0, allow_inf=True)
    if T / period > MAX_DECISIONS:
        raise ValueError(
            f"{sname}.period_s ({period:g} s) asks for {T / period:,.0f} decisions over this trace; at most "
            f"{MAX_DECISIONS:,} (use a longer period or a shorter trace)"
        )
    launch_delay = strategy_attribute(strategy, "launch_delay_s", 0.0)
    allocation = strategy_attribute(strategy, "allocation_s", 0.0)
    warmup = strategy_attribute(strategy, "warmup_s", 0.0)
    release_delay = strategy_attribute(strategy, "release_delay_s", 0.0)
    window = strategy_attribute(strategy, "metric_window_s", 0.0)
    lag = strategy_attribute(strategy, "metric_lag_s", 0.0)
    vmin = check_int(f"{sname}.min_vms", getattr(strategy, "min_vms", 0), minimum=0, maximum=VM_LIMIT)
    vmax = check_int(f"{sname}.max_vms", getattr(strategy, "max_vms", VM_LIMIT), minimum=vmin, maximum=VM_LIMIT)
    pool = getattr(strategy, "reservation", None)
    if pool is not None and not isinstance(pool, ReservedPool):
        raise TypeError(f"{sname}.reservation must be a ReservedPool or None; got {type(pool).__name__}")
    pool_vms = pool.vms if pool is not None else 0
    # a discount-only pool runs as on-demand VMs: subject to the provider's limit
    pool_shared = pool is not None and not pool.capacity_guaranteed and limit is not None
    pool_serving = min(pool_vms, limit) if pool_shared else pool_vms
    delivery = pool.delivery_after_s if pool is not None else math.inf
    per_hour = billing == "per_hour"
    demand = values.tolist()

    # ---- state: groups of VMs launched together, oldest first -----------------------------------
    g_n: list[int] = []  # VMs in the group
    g_run: list[float] = []  # when they enter `running` (billing starts)
    g_ready: list[float] = []  # when they serve
    run_ptr = ready_ptr = 0  # groups before these indices are running / serving
    n_od = n_run = n_serv = 0  # on-demand VMs: all, billed, serving
    pending: list[tuple[float, int, int]] = []  # (when, order, change) decided but not yet done
    pending_sum = 0
    order = 0
    billed_s = 0.0
    refused = 0
    res_serv = res_billed = 0

    def bill(k: int, t_run: float, at: float) -> float:
        life = at - t_run
        if life <= 0:
            return 0.0
        return k * (math.ceil(life / 3600.0 - 1e-9) * 3600.0 if per_hour else life)

    def launch(k: int, at: float) -> None:
        nonlocal n_od
        g_n.append(k)
        g_run.append(at + allocation)
        g_ready.append(at + allocation + warmup)
        n_od += k

    def release(k: int, at: float) -> None:
        nonlocal n_od, n_run, n_serv, run_ptr, ready_ptr, billed_s
        while k > 0 and g_n:
            j = len(g_n) - 1
            take = min(k, g_n[j])
            billed_s += bill(take, g_run[j], at)
            g_n[j] -= take
            k -= take
            n_od -= take
            if j < run_ptr:
                n_run -= take
            if j < ready_ptr:
                n_serv -= take
            if g_n[j] == 0:
                g_n.pop()
                g_run.pop()
                g_ready.pop()
                run_ptr = min(run_ptr, j)
                ready_ptr = min(ready_ptr, j)

    def transitions(t: float) -> None:
        nonlocal pending_sum, run_ptr, ready_ptr, n_run, n_serv, res_serv, res_billed, delivery
        while pending and pending[0][0] <= t + _EPS:
            when, _, change = heapq.heappop(pending)
            pending_sum -= change
            if change > 0:
                launch(change, when)
            else:
                release(-change, when)
        while run_ptr < len(g_n) and g_run[run_ptr] <= t + _EPS:
            n_run += g_n[run_ptr]
            run_ptr += 1
        while ready_ptr < len(g_n) and g_ready[ready_ptr] <= t + _EPS:
            n_serv += g_n[ready_ptr]
            ready_ptr += 1
        if delivery <= t + _EPS:
            res_serv, res_billed, delivery = pool_serving, pool_vms, math.inf

    transitions(0.0)
    initial_fn = getattr(strategy, "initial", None)
    first = initial_fn(demand[0], cap) if callable(initial_fn) else vmin
    first = min(max(check_int(f"{sname}.initial(...)", first, minimum=0, maximum=VM_LIMIT), vmin), vmax)
    if limit is not None:
        first = min(first, max(limit - (res_serv if pool_shared else 0), 0))
    if first:
        launch(first, -allocation - warmup)  # already serving and billed when the trace starts
        g_run[-1], g_ready[-1] = 0.0, 0.0
    transitions(0.0)

    def util_now(d: float) -> float:
        capacity = (n_serv + res_serv) * cap
        if capacity > 0.0:
            u = d / capacity
            return 1.0 if u > 1.0 else u
        return 1.0 if d > 0.0 else 0.0

    # The metric a decision sees: the value now, the mean over the last period (kept as the
    # running integral at the previous decision), or in general a window some time ago
    # (looked up in the integrals' history).
    instant = window == 0.0 and lag == 0.0
    per_period = lag == 0.0 and math.isfinite(period) and abs(window - period) < _EPS
    use_history = not instant and not per_period
    h_t, h_u, h_d = [0.0], [0.0], [0.0]  # cumulative integrals of utilisation and demand at breakpoints
    u_first, d_first = util_now(demand[0]), demand[0]
    cum_u = cum_d = 0.0
    tick_u, tick_d = -u_first * period, -d_first * period  # the integrals one period before t = 0

    def cumulative(x: float) -> tuple[float, float]:
        if x <= 0.0:
            return u_first * x, d_first * x
        k = bisect_right(h_t, x) - 1
        if k >= len(h_t) - 1:
            return h_u[-1], h_d[-1]
        f = (x - h_t[k]) / (h_t[k + 1] - h_t[k])
        return h_u[k] + f * (h_u[k + 1] - h_u[k]), h_d[k] + f * (h_d[k + 1] - h_d[k])

    def metric_from_history(t: float, d: float) -> tuple[float, float]:
        b = t - lag
        if window > 0.0:
            (u1, d1), (u0, d0) = cumulative(b), cumulative(b - window)
            return (u1 - u0) / window, (d1 - d0) / window
        if b >= t - _EPS:
            return util_now(d), d
        if b < 0.0:
            return u_first, d_first
        k = bisect_right(h_t, b) - 1  # the segment holding time b (b < t, so k + 1 exists)
        span = h_t[k + 1] - h_t[k]
        return (h_u[k + 1] - h_u[k]) / span, (h_d[k + 1] - h_d[k]) / span

    capacity_s = np.zeros(n)  # per step: integrals over the step (unit x seconds)
    served_s = np.zeros(n)
    serving_s = np.zeros(n)
    booting_s = np.zeros(n)
    billed_vm_s = np.zeros(n)
    a_cap = a_served = a_serv = a_boot = a_billed = 0.0
    violation_s = 0.0
    peak = n_od + res_serv
    memory: dict = {}
    events: list[tuple[float, int, int]] = []
    tick = 0
    next_tick = 0.0 if math.isfinite(period) else math.inf
    i, t, step_end, d = 0, 0.0, dt, demand[0]
    next_event = 0.0
    while True:
        if next_event <= t + _EPS:
            transitions(t)
        if next_tick <= t + _EPS:
            owned = n_od + pending_sum
            if instant:
                u_m, d_m = util_now(d), d
            elif per_period:
                u_m, d_m = (cum_u - tick_u) / period, (cum_d - tick_d) / period
                tick_u, tick_d = cum_u, cum_d
            else:
                u_m, d_m = metric_from_history(t, d)
            obs = Observation(
                time_s=t, utilisation=u_m, demand_rps=d_m, capacity_per_vm=cap, vms_serving=n_serv + res_serv,
                vms_booting=n_od - n_serv, vms_owned=owned, vms_reserved=res_serv, memory=memory,
            )
            want = _answer(strategy, decide(obs), owned, t)
            want = vmin if want < vmin else (vmax if want > vmax else want)
            change = want - owned
            if change > 0 and limit is not None:
                room = max(limit - owned - (res_serv if pool_shared else 0), 0)
                if change > room:
                    refused += change - room
                    change = room
            if change:
                events.append((t, change, owned + change))
                delay = launch_delay if change > 0 else release_delay
                if delay > 0.0:
                    order += 1
                    heapq.heappush(pending, (t + delay, order, change))
                    pending_sum += change
                elif change > 0:
                    launch(change, t)
                else:
                    release(-change, t)
                transitions(t)
            tick += 1
            next_tick = tick * period
        ng = len(g_n)
        next_event = g_run[run_ptr] if run_ptr < ng else math.inf
        if ready_ptr < ng and g_ready[ready_ptr] < next_event:
            next_event = g_ready[ready_ptr]
        if pending and pending[0][0] < next_event:
            next_event = pending[0][0]
        if delivery < next_event:
            next_event = delivery
        nxt = step_end
        if next_tick < nxt:
            nxt = next_tick
        if next_event < nxt:
            nxt = next_event
        span = nxt - t
        if span > 0.0:
            serving = n_serv + res_serv
            capacity = serving * cap
            if d < capacity:
                served, u = d, d / capacity
            else:
                served, u = capacity, (1.0 if d > 0.0 else 0.0)
                if d > capacity * (1.0 + 1e-12) + 1e-12:
                    violation_s += span
            a_cap += capacity * span
            a_served += served * span
            a_serv += serving * span
            a_boot += (n_od - n_serv) * span
            a_billed += (n_run + res_billed) * span
            cum_u += u * span
            cum_d += d * span
            if n_od + res_serv > peak:
                peak = n_od + res_serv
            if use_history:
                h_t.append(nxt)
                h_u.append(cum_u)
                h_d.append(cum_d)
            t = nxt
        if t >= step_end - _EPS:
            capacity_s[i], served_s[i], serving_s[i], booting_s[i], billed_vm_s[i] = a_cap, a_served, a_serv, a_boot, a_billed
            a_cap = a_served = a_serv = a_boot = a_billed = 0.0
            i += 1
            if i >= n:
                break
            t, step_end, d = step_end, (i + 1) * dt, demand[i]

    release(n_od, T)
    on_demand_cost = billed_s / 3600.0 * price
    reserved_hours = pool_vms * max(T - (pool.delivery_after_s if pool is not None else T), 0.0) / 3600.0
    reserved_cost = reserved_hours * price * (1.0 - pool.discount) if pool is not None else 0.0
    return _result(
        strategy, index, values, dt, cap, price, billing,
        capacity_s, served_s, serving_s, booting_s, billed_vm_s,
        events, on_demand_cost, reserved_cost, reserved_hours, violation_s, peak, refused,
    )


def _times(index: pd.Index, seconds: np.ndarray) -> Any:
    """Trace times for offsets in seconds: timestamps, offsets, or seconds."""
    if isinstance(index, (pd.DatetimeIndex, pd.TimedeltaIndex)):
        return np.asarray(index[0] + pd.to_timedelta(seconds, unit="s"))
    if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
        return seconds
    return float(index[0]) + seconds


def _result(
    strategy, index, values, dt, cap, price, billing, cap_acc, served_acc, serv_acc, boot_acc, billed_acc,
    events, on_demand_cost, reserved_cost, reserved_hours, violation_s, peak, refused,
) -> ProvisioningResult:
    n = len(values)
    capacity = cap_acc / dt
    served = served_acc / dt
    unmet = values - served
    unmet[unmet <= 1e-9 * values] = 0.0  # the sum of a step's pieces is not exactly the step
    served = values - unmet
    with np.errstate(divide="ignore", invalid="ignore"):
        util = np.where(capacity > 0, served / np.where(capacity > 0, capacity, 1.0), 0.0)
    times = index if isinstance(index, (pd.DatetimeIndex, pd.TimedeltaIndex)) else _times(index, np.arange(n) * dt)
    timeline = RenamedColumns(
        {
            "time": np.asarray(times),
            "demand_rps": values,
            "capacity_rps": capacity,
            "served_rps": served,
            "unmet_rps": unmet,
            "utilisation": np.clip(util, 0.0, 1.0),
            "vms_serving": serv_acc / dt,
            "vms_booting": boot_acc / dt,
            "vms_billed": billed_acc / dt,
        }
    )
    if events:
        ev = np.asarray(events, dtype=float)
        scaling_events = pd.DataFrame(
            {
                "time": _times(index, ev[:, 0]),
                "action": np.where(ev[:, 1] > 0, "scale_out", "scale_in"),
                "change": ev[:, 1].astype(int),
                "vms_after": ev[:, 2].astype(int),
            }
        )
    else:
        scaling_events = pd.DataFrame(
            {"time": _times(index, np.zeros(0)), "action": np.array([], dtype=object),
             "change": np.array([], dtype=int), "vms_after": np.array([], dtype=int)}
        )
    vm_hours = float(billed_acc.sum()) / 3600.0
    served_vm_hours = float(served.sum()) * dt / cap / 3600.0
    total_demand = float(values.sum()) * dt
    total_capacity = float(cap_acc.sum())
    return ProvisioningResult(
        timeline=timeline,
        scaling_events=scaling_events,
        strategy=strategy,
        capacity_per_vm=cap,
        price_per_vm_hour=price,
        billing=billing,
        step_s=dt,
        cost_usd=on_demand_cost + reserved_cost,
        on_demand_cost_usd=on_demand_cost,
        reserved_cost_usd=reserved_cost,
        vm_hours=vm_hours,
        on_demand_vm_hours=vm_hours - reserved_hours,
        reserved_vm_hours=reserved_hours,
        unmet_fraction=float(min(unmet.sum() * dt / total_demand, 1.0)) if total_demand > 0 else 0.0,
        sla_violation_minutes=violation_s / 60.0,
        mean_utilisation=float(min(served.sum() * dt / total_capacity, 1.0)) if total_capacity > 0 else 0.0,
        over_provisioned_vm_hours=max(vm_hours - served_vm_hours, 0.0),
        n_scaling_actions=len(events),
        peak_vms=int(peak),
        refused_vms=int(refused),
        billing_starts_at=BILLING_STARTS_AT,
    )
