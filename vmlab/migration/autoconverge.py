"""Auto-converge: pre-copy that slows the guest down until its dirtying fits through the link.

When a guest dirties memory faster than the link can carry it, plain pre-copy never converges
(see :func:`vmlab.precopy`). QEMU's ``auto-converge`` capability answers by throttling the
guest's vCPUs: after every dirty-bitmap sync it compares the bytes dirtied in the period with
the bytes transferred, and when the dirtied bytes exceed ``throttle-trigger-threshold`` (50 %)
of the transferred ones for the second time it throttles the vCPUs, first by
``cpu-throttle-initial`` (20 %) and then by ``cpu-throttle-increment`` (10 %) more each time,
up to ``max-cpu-throttle`` (99 %). A throttle of p % makes the vCPUs sleep p % of the time
(``include/sysemu/cpu-throttle.h``: "a throttle_percentage of 25 corresponds to a 75 % duty
cycle"), so a guest whose writes are CPU-bound dirties at ``D·(1 - p)``:

    D_eff = D · (1 - p),     guest slowdown = p while the throttle is on.

Convergence is bought with guest slowdown: the migration ends once ``D_eff`` is small enough
for the stop rule, and the time-weighted mean throttle over the live phase is the price.
Simplifications: the check runs at every round boundary (QEMU syncs the bitmap once per pass
and compares over periods of at least a second), and a throttled guest is assumed to dirty in
proportion to its CPU time (a DMA- or I/O-driven writer would not slow down).
Sources: QEMU ``migration/ram.c`` (``migration_trigger_throttle``, ``mig_throttle_guest_down``)
and ``migration/options.c`` (defaults ``DEFAULT_MIGRATE_THROTTLE_TRIGGER_THRESHOLD 50``,
``DEFAULT_MIGRATE_CPU_THROTTLE_INITIAL 20``, ``..._INCREMENT 10``, ``..._MAX_CPU_THROTTLE 99``;
qemu-devel patch "migration/throttle: Add throttle-trig-thres migration parameter", 2020);
the trigger after two unproductive passes dates from QEMU commit 070afca ("migration: Dynamic
cpu throttling for auto-converge", 2015).

This module also holds :func:`run_rounds`, the explicit, scalar round loop that
:func:`autoconverge`, :func:`vmlab.compressed_precopy` and :func:`vmlab.simulate_pages` share.
With no throttle, no compression and the analytic dirtying of :mod:`vmlab.migration.dirty` it
reproduces :func:`vmlab.precopy` round for round (tested), so every extension starts from the
same pre-copy model and the same stop rules rather than a re-derived one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from vmlab._checks import check_int, check_number, check_order
from vmlab.migration import _engine as eng
from vmlab.migration.dirty import dirtied_mib
from vmlab.migration.params import VM, Link, PrecopyPolicy, _check_field_names
from vmlab.migration.precopy import ROUND_COLUMNS, PrecopyResult, _reason

__all__ = ["AutoConvergePolicy", "RoundsResult", "autoconverge", "run_rounds", "analytic_dirty"]

EXTRA_COLUMNS = ["memory_mib", "throttle_pct", "dirty_rate_mib_s"]
"""Columns :func:`run_rounds` adds to the pre-copy round table."""


@dataclass(frozen=True, kw_only=True)
class AutoConvergePolicy:
    """QEMU's auto-converge parameters (``migrate-set-parameters``), with QEMU's defaults.

    Parameters
    ----------
    trigger_threshold_pct : float
        ``throttle-trigger-threshold``: a period is "unproductive" when the bytes dirtied in
        it exceed this share of the bytes transferred in it. Default 50.
    trigger_count : int
        Unproductive periods needed before each throttle step (QEMU: 2, counter reset after
        each step).
    initial_pct : float
        ``cpu-throttle-initial``: the first throttle. Default 20.
    increment_pct : float
        ``cpu-throttle-increment``: added at each further step. Default 10.
    max_pct : float
        ``max-cpu-throttle``: the most the vCPUs are slowed down. Default 99.

    >>> AutoConvergePolicy().steps()[:4]
    [20.0, 30.0, 40.0, 50.0]
    >>> AutoConvergePolicy(initial_pct=120)
    Traceback (most recent call last):
    ...
    ValueError: AutoConvergePolicy.initial_pct must be a finite number >= 1 and <= 99; got 120
    """

    trigger_threshold_pct: float = 50.0
    trigger_count: int = 2
    initial_pct: float = 20.0
    increment_pct: float = 10.0
    max_pct: float = 99.0

    def __post_init__(self) -> None:
        set_ = lambda n, v: object.__setattr__(self, n, v)  # noqa: E731
        set_("trigger_threshold_pct", check_number("AutoConvergePolicy.trigger_threshold_pct", self.trigger_threshold_pct, minimum=1, maximum=100))
        set_("trigger_count", check_int("AutoConvergePolicy.trigger_count", self.trigger_count, minimum=1, maximum=100))
        set_("initial_pct", check_number("AutoConvergePolicy.initial_pct", self.initial_pct, minimum=1, maximum=99))
        set_("increment_pct", check_number("AutoConvergePolicy.increment_pct", self.increment_pct, minimum=1, maximum=99))
        set_("max_pct", check_number("AutoConvergePolicy.max_pct", self.max_pct, minimum=1, maximum=99))
        check_order("AutoConvergePolicy.initial_pct", self.initial_pct, "AutoConvergePolicy.max_pct", self.max_pct, strict=False)

    def replace(self, **changes: Any) -> AutoConvergePolicy:
        """A copy with some fields changed (validated again)."""
        _check_field_names(type(self), changes)
        return replace(self, **changes)

    def next_pct(self, current_pct: float) -> float:
        """The throttle after one more step from ``current_pct`` (0 = not throttling yet)."""
        if current_pct <= 0:
            return self.initial_pct
        return min(current_pct + self.increment_pct, self.max_pct)

    def steps(self) -> list[float]:
        """Every throttle level the policy passes through, from the first to the maximum."""
        levels = [self.initial_pct]
        while levels[-1] < self.max_pct:
            levels.append(self.next_pct(levels[-1]))
        return levels


@dataclass(frozen=True)
class RoundsResult(PrecopyResult):
    """A :class:`~vmlab.PrecopyResult` from the explicit round loop, with the price paid.

    Extra attributes
    ----------------
    autoconverge : AutoConvergePolicy or None
    compression : Compression or None
    final_throttle_pct : float
        The throttle when the VM stopped (0: never throttled).
    guest_slowdown : float
        Time-weighted mean throttle over the live phase, 0..1 (share of guest CPU time lost
        while the guest still ran on the source).
    lost_guest_s : float
        Guest seconds of work lost: throttle × time over the live rounds, plus the downtime.
    compression_cpu_s : float
        CPU seconds spent encoding pages (0 without compression).
    memory_sent_mib : float
        Guest memory carried, before compression (equals ``data_sent_mib`` without it).

    The ``rounds`` table has the pre-copy columns plus ``memory_mib`` (memory carried in the
    round), ``throttle_pct`` and ``dirty_rate_mib_s`` (the effective, throttled rate).
    """

    autoconverge: AutoConvergePolicy | None
    compression: Any
    final_throttle_pct: float
    guest_slowdown: float
    lost_guest_s: float
    compression_cpu_s: float
    memory_sent_mib: float

    def summary(self) -> pd.Series:
        """Headline numbers, with the guest slowdown."""
        s = super().summary()
        s["guest slowdown (%)"] = round(100 * self.guest_slowdown, 1)
        s["final throttle (%)"] = self.final_throttle_pct
        return s


def _phases_frame(setup_s: float, rounds: pd.DataFrame, completed: bool, precopy_s: float, copy_s: float,
                  link: Link, policy: PrecopyPolicy) -> pd.DataFrame:
    """The seed's process steps on a timeline (the columns of ``PrecopyResult.phases``)."""
    live = rounds[rounds["phase"] != "stop-and-copy"]
    labels = np.where(live["phase"].to_numpy() == "full pass", "pre-copy (full pass)", "iterative transfer")
    phase = ["preparation", *labels]
    start = [0.0, *live["start_s"].to_numpy()]
    duration = [setup_s, *live["duration_s"].to_numpy()]
    running = [True] * len(phase)
    if completed:
        t = setup_s + precopy_s
        copy = copy_s + link.latency_ms / 1000.0
        resume = policy.resume_ms / 1000.0
        phase += ["pause: stop-and-copy", "resume", "gratuitous ARP"]
        start += [t, t + copy, t + copy + resume]
        duration += [copy, resume, policy.arp_ms / 1000.0]
        running += [False, False, False]
    return pd.DataFrame({"phase": phase, "start_s": np.asarray(start, dtype=float),
                         "duration_s": np.asarray(duration, dtype=float), "vm_running": running})


def analytic_dirty(vm: VM) -> Callable[[float, float, int], float]:
    """The dirtying of :mod:`vmlab.migration.dirty` for ``vm``, as :func:`run_rounds` wants it.

    >>> f = analytic_dirty(VM(memory_mib=1024, dirty_rate_mib_s=10, wws_mib=100))
    >>> f(2.0, 10.0, 1), f(20.0, 10.0, 1)
    (20.0, 100.0)
    """
    region = vm.region_mib
    uniform = vm.dirty_pattern == "uniform"

    def dirty(duration_s: float, rate_mib_s: float, round_index: int) -> float:
        return float(dirtied_mib(duration_s, rate_mib_s, region, uniform))

    return dirty


def _encoding(compression: Any, region_mib: float) -> tuple[float, float, float, float]:
    """(ratio of the full pass, ratio of dirty passes, CPU s per MiB full, CPU s per MiB dirty)."""
    if compression is None:
        return 1.0, 1.0, 0.0, 0.0
    full_ratio, dirty_ratio = compression.effective_ratios(region_mib)
    full_cpu = compression.cpu_s_per_mib if compression.applies_to == "all" else 0.0
    return full_ratio, dirty_ratio, full_cpu, compression.cpu_s_per_mib


def _memory_rate(wire_rate: float, ratio: float, cpu_s_per_mib: float, compression: Any) -> float:
    """Memory MiB/s a round carries: the link times the ratio, unless the encoder is slower."""
    rate = wire_rate * ratio
    if cpu_s_per_mib > 0:
        rate = min(rate, compression.threads / cpu_s_per_mib)
    return rate


def run_rounds(
    vm: VM,
    link: Link,
    policy: PrecopyPolicy | None = None,
    *,
    dirty: Callable[[float, float, int], float] | None = None,
    throttle: AutoConvergePolicy | None = None,
    compression: Any = None,
    fast_forward: bool = True,
    max_rounds_simulated: int = eng.MAX_ROUNDS_SIMULATED,
    result_class: type = None,
    extra: dict[str, Any] | None = None,
) -> RoundsResult:
    """Run pre-copy one round at a time with an optional throttle and compression.

    The loop applies the policy's stop rules in the engine's order (converged, first
    bandwidth window, round cap, sent cap, dirty set grows, timeout) at every round boundary.
    Round ``i`` re-sends the ``P_i`` MiB dirtied during round ``i - 1`` at the memory rate
    ``R_mem = min(R·ratio, threads / cpu_s_per_mib)`` (``R_mem = R`` without compression) and
    lasts ``P_i / R_mem``; the pages dirtied meanwhile come from ``dirty(duration_s,
    rate_mib_s, round_index)`` at the throttled rate ``D·(1 - p)``.

    Parameters
    ----------
    vm, link, policy
        As for :func:`vmlab.precopy` (``policy`` defaults to :meth:`PrecopyPolicy.qemu`).
    dirty : callable, optional
        MiB dirtied in a round; defaults to :func:`analytic_dirty` (the analytic model).
        :func:`vmlab.simulate_pages` passes a page-level sampler here.
    throttle : AutoConvergePolicy, optional
        Enable auto-converge.
    compression : Compression, optional
        Encode pages (see :class:`vmlab.Compression`).
    fast_forward : bool
        Skip identical stalled rounds straight to the timeout (exact for deterministic
        dirtying; the page simulator turns it off).
    max_rounds_simulated : int
        Safety net: stop with ``"too many rounds"`` after this many rounds.

    Returns
    -------
    RoundsResult

    Examples
    --------
    Without throttle or compression the loop is :func:`vmlab.precopy`:

    >>> from vmlab import precopy
    >>> vm, link = VM(memory_mib=4096, dirty_rate_mib_s=60, wws_mib=1024), Link(bandwidth_mib_s=119.2)
    >>> a, b = run_rounds(vm, link), precopy(vm, link)
    >>> a.n_rounds == b.n_rounds, round(a.total_time_s, 6) == round(b.total_time_s, 6)
    (True, True)
    """
    policy = PrecopyPolicy.qemu() if policy is None else policy
    for name, value, cls in (("vm", vm, VM), ("link", link, Link), ("policy", policy, PrecopyPolicy)):
        if not isinstance(value, cls):
            raise TypeError(f"argument {name} must be a {cls.__name__}; got {type(value).__name__}")
    if throttle is not None and not isinstance(throttle, AutoConvergePolicy):
        raise TypeError(f"throttle must be an AutoConvergePolicy or None; got {type(throttle).__name__}")
    dirty = analytic_dirty(vm) if dirty is None else dirty
    result_class = RoundsResult if result_class is None else result_class

    M = vm.memory_mib
    D = vm.dirty_rate
    region = vm.region_mib
    B = link.bandwidth_mib_s
    cap = eng.inf_if_none(policy.max_bandwidth_mib_s)
    r = policy.bandwidth_efficiency * min(B, cap)  # wire rate of the live rounds
    b_final = min(B, cap) if policy.cap_final_copy else B
    limit_s = policy.downtime_limit_ms / 1000.0
    window = 0.0 if policy.bandwidth_window_ms is None else policy.bandwidth_window_ms / 1000.0
    rule_dt = policy.stop_rule == "downtime"
    page_mib = vm.page_size_kib / 1024.0
    min_dirty = policy.min_dirty_pages * page_mib
    max_rounds = eng.inf_if_none(policy.max_rounds)
    sent_cap = eng.inf_if_none(policy.max_sent_factor) * M
    setup_s = policy.setup_ms / 1000.0
    timeout_rel = max(policy.timeout_s - setup_s, 0.0)
    force = policy.on_timeout == "force"
    no_caps = not math.isfinite(max_rounds) and not math.isfinite(sent_cap) and not policy.stop_if_dirty_grows

    full_ratio, dirty_ratio, full_cpu, dirty_cpu = _encoding(compression, region)
    r_mem_dirty = _memory_rate(r, dirty_ratio, dirty_cpu, compression)
    r_wire_dirty = r_mem_dirty / dirty_ratio
    final_mem_rate = _memory_rate(b_final, dirty_ratio, dirty_cpu, compression)

    # ---- round 0: the full pass (zero pages as headers), as in the engine -------------------
    zero = M * vm.zero_fraction
    nonzero = M - zero
    zero_cost = 1.0 if policy.zero_page_bytes is None else policy.zero_page_bytes / (page_mib * 2**20)
    r_mem_full = _memory_rate(r, full_ratio, full_cpu, compression)
    t0 = nonzero / r_mem_full + zero * zero_cost / r
    if policy.zero_scan_mib_s is not None:
        t0 += zero / policy.zero_scan_mib_s
    wire0 = nonzero / full_ratio + zero * zero_cost
    mem0 = nonzero + zero * zero_cost
    rate0 = wire0 / t0 if t0 > 0 else r
    stable = r_wire_dirty * limit_s if rule_dt else min_dirty

    rows: list[tuple] = []
    throttle_pct = 0.0
    high_count = 0
    cpu_s = nonzero * full_cpu

    def rate_now() -> float:
        return D * (1.0 - throttle_pct / 100.0) if D > 0 else 0.0

    def step_throttle(dirtied: float, wire: float) -> None:
        nonlocal throttle_pct, high_count
        if throttle is None:
            return
        if dirtied > throttle.trigger_threshold_pct / 100.0 * wire:
            high_count += 1
            if high_count >= throttle.trigger_count:
                high_count = 0
                throttle_pct = throttle.next_pct(throttle_pct)

    def threshold(T: float) -> float:
        if rule_dt and window > 0 and T < t0 + 2 * window:
            tick = math.floor(T / window) * window
            overlap0 = min(max(min(tick, t0) - (tick - window), 0.0), window)
            est = (rate0 * overlap0 + r_wire_dirty * (window - overlap0)) / window
            return 0.0 if tick < window else est * limit_s
        return stable

    # round 0, possibly cut by the timeout
    code = -1
    tau0 = min(t0, timeout_rel)
    frac0 = tau0 / t0 if t0 > 0 else 1.0
    d_rate = rate_now()
    d0 = dirty(tau0, d_rate, 0)
    p_rate = d_rate  # the dirty rate of the round that produced the pending set P
    rows.append((0, setup_s, tau0, wire0 * frac0, d0, d0, "full pass", mem0 * frac0, throttle_pct, d_rate))
    T = tau0
    sent_mem = mem0 * frac0
    sent_wire = wire0 * frac0
    rounds = 1
    P = d0
    prevP = math.inf
    H = 0.0
    if t0 > timeout_rel:
        union = min(nonzero * (1 - frac0) + d0, M)
        P = union if force else d0
        code = eng.TIMEOUT_FORCE if force else eng.TIMEOUT_CANCEL
    else:
        step_throttle(d0, wire0)

    while code < 0:
        H = threshold(T)
        met = P < H or (rule_dt and P <= 0)
        if met:
            code = eng.CONVERGED
        elif rule_dt and window > 0 and T < window:
            code = eng.FIRST_WINDOW
        elif rounds >= max_rounds:
            code = eng.ROUND_CAP
        elif sent_mem >= sent_cap:
            code = eng.SENT_CAP
        elif policy.stop_if_dirty_grows and P > prevP:
            code = eng.DIRTY_GROWS
        elif rounds > max_rounds_simulated:
            code = eng.GAVE_UP
        if code >= 0:
            break
        d_rate = rate_now()
        per_round = P / r_mem_dirty
        # stalled: the dirty set stopped shrinking at the rate that will keep applying (the
        # round that produced P already ran at today's throttle, and the throttle cannot rise)
        throttle_fixed = throttle is None or (throttle_pct >= throttle.max_pct and p_rate == d_rate)
        stalled = fast_forward and no_caps and throttle_fixed and P >= prevP and P >= stable
        if stalled or T + per_round > timeout_rel:
            remaining = max(timeout_rel - T, 0.0)
            full = math.floor(remaining / per_round) if per_round > 0 else 0
            tau = remaining - full * per_round
            partial = tau > 1e-12 * max(per_round, 1.0)
            d_tau = dirty(tau, d_rate, rounds + full) if partial else 0.0
            start = setup_s + T
            wire_round = P / dirty_ratio
            if full > eng.MAX_RECORDED_REPEATS:
                rows.append((rounds, start, full * per_round, full * wire_round, P, P, f"{full} equal dirty passes",
                             full * P, throttle_pct, d_rate))
            else:
                for j in range(full):
                    rows.append((rounds + j, start + j * per_round, per_round, wire_round, P, P, "dirty pass", P,
                                 throttle_pct, d_rate))
            if partial:
                mem_part = r_mem_dirty * tau
                rows.append((rounds + full, start + full * per_round, tau, mem_part / dirty_ratio, d_tau, d_tau,
                             "cut by timeout", mem_part, throttle_pct, d_rate))
            unsent = P - r_mem_dirty * tau
            union = min(min(unsent + d_tau, max(region, unsent)), M)
            cpu_s += (full * P + (r_mem_dirty * tau if partial else 0.0)) * dirty_cpu
            sent_mem += full * P + (r_mem_dirty * tau if partial else 0.0)
            sent_wire += (full * P + (r_mem_dirty * tau if partial else 0.0)) / dirty_ratio
            rounds += full + int(partial)
            T += remaining
            P = union if (partial and force) else P
            code = eng.TIMEOUT_FORCE if force else eng.TIMEOUT_CANCEL
            break
        d = dirty(per_round, d_rate, rounds)
        wire_round = P / dirty_ratio
        rows.append((rounds, setup_s + T, per_round, wire_round, d, d, "dirty pass", P, throttle_pct, d_rate))
        cpu_s += P * dirty_cpu
        T += per_round
        sent_mem += P
        sent_wire += wire_round
        rounds += 1
        prevP = P
        P = d
        p_rate = d_rate
        step_throttle(d, wire_round)

    completed = code not in (eng.TIMEOUT_CANCEL, eng.GAVE_UP)
    final_mem = P + vm.device_state_mib if completed else 0.0
    final_wire = P / dirty_ratio + vm.device_state_mib if completed else 0.0
    copy_s = (P / final_mem_rate + vm.device_state_mib / b_final) if completed else 0.0
    downtime_s = copy_s + (link.latency_ms + policy.resume_ms + policy.arp_ms) / 1000.0
    if completed:
        cpu_s += P * dirty_cpu
        rows.append((rounds, setup_s + T, copy_s, final_wire, 0.0, 0.0, "stop-and-copy", final_mem, throttle_pct, 0.0))
    total = setup_s + T + (downtime_s if completed else 0.0)
    frame = pd.DataFrame(rows, columns=ROUND_COLUMNS + EXTRA_COLUMNS)
    out = {
        "completed": completed,
        "pending_mib": P,
        "threshold_mib": H,
        "n_rounds": rounds,
        "first_pass_s": t0,
        "data_sent_mib": sent_wire + final_wire,
        "final_copy_mib": final_wire,
        "precopy_time_s": T,
        "final_rate_mib_s": final_wire / copy_s if (completed and copy_s > 0) else b_final,
    }
    live_s = T
    throttled_area = float(np.sum(frame["throttle_pct"].to_numpy()[:-1 if completed else None] / 100.0
                                  * frame["duration_s"].to_numpy()[:-1 if completed else None]))
    # repeated-row summaries carry the total duration, so the area above is exact
    slowdown = throttled_area / live_s if live_s > 0 else 0.0
    fields_ = dict(
        vm=vm,
        link=link,
        policy=policy,
        converged=code in (eng.CONVERGED, eng.FIRST_WINDOW),
        completed=completed,
        stop=eng.STOP_LABELS[code],
        stop_reason=_reason(code, vm, policy, out),
        n_rounds=int(rounds),
        total_time_s=float(total),
        downtime_ms=float(downtime_s * 1000.0) if completed else math.nan,
        data_sent_mib=float(sent_wire + final_wire),
        precopy_time_s=float(T),
        final_copy_mib=float(final_wire),
        threshold_mib=float(H),
        precopy_rate_mib_s=float(r),
        final_rate_mib_s=float(out["final_rate_mib_s"]),
        rounds=frame,
        phases=_phases_frame(setup_s, frame, completed, T, copy_s, link, policy),
        autoconverge=throttle,
        compression=compression,
        final_throttle_pct=float(throttle_pct),
        guest_slowdown=float(slowdown),
        lost_guest_s=float(throttled_area + (downtime_s if completed else 0.0)),
        compression_cpu_s=float(cpu_s),
        memory_sent_mib=float(sent_mem + final_mem),
    )
    fields_.update(extra or {})
    return result_class(**fields_)


def autoconverge(
    vm: VM,
    link: Link,
    policy: PrecopyPolicy | None = None,
    *,
    throttle: AutoConvergePolicy | None = None,
    compression: Any = None,
) -> RoundsResult:
    """Pre-copy with QEMU's auto-converge: throttle the guest until its dirtying fits.

    After each round the bytes dirtied are compared with the bytes sent; the second time they
    exceed ``trigger_threshold_pct`` % the throttle steps up (20 %, then +10 % per step, at
    most 99 %), so the effective dirty rate ``D·(1 - p)`` falls until the dirty set shrinks
    below the stop threshold. With a constant rate D and pre-copy rate R it converges whenever
    ``D·(1 - max_pct/100) < R`` and the throttled dirty set can fall below the threshold;
    a guest that still outruns the link at 99 % is cancelled at the timeout like plain
    pre-copy.

    Parameters
    ----------
    vm, link, policy
        As for :func:`vmlab.precopy` (``policy`` defaults to :meth:`PrecopyPolicy.qemu`).
    throttle : AutoConvergePolicy, optional
        QEMU's defaults when omitted.
    compression : Compression, optional
        Combine with compression (QEMU allows both).

    Returns
    -------
    RoundsResult
        ``guest_slowdown`` (mean throttle over the live phase) and ``final_throttle_pct``
        next to the usual pre-copy headline numbers.

    Examples
    --------
    A guest dirtying 200 MiB/s over a 1 Gbit/s link never converges by plain pre-copy;
    auto-converge gets it across by slowing it down:

    >>> from vmlab import precopy
    >>> vm, link = VM(memory_mib=4096, dirty_rate_mib_s=200), Link(bandwidth_mib_s=119.2)
    >>> precopy(vm, link).converged
    False
    >>> r = autoconverge(vm, link)
    >>> r.converged, r.final_throttle_pct, round(100 * r.guest_slowdown)
    (True, 80.0, 33)
    """
    throttle = AutoConvergePolicy() if throttle is None else throttle
    return run_rounds(vm, link, policy, throttle=throttle, compression=compression)
