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
It takes every pre-copy rule (first pass, threshold, stop codes, timeout, the pause) from
:mod:`vmlab.migration._rules`, the same module the vectorised engine of :func:`vmlab.precopy`
uses, so with no throttle, no compression and the analytic dirtying of
:mod:`vmlab.migration.dirty` it reproduces :func:`vmlab.precopy` round for round (a property
test checks rounds, time, bytes and downtime for random VMs, links and policies).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from vmlab._checks import Params, check_int, check_type, flag, integer, number
from vmlab.migration import _rules as rules
from vmlab.migration.dirty import dirtied_mib
from vmlab.migration.params import VM, Link, PrecopyPolicy
from vmlab.migration.precopy import PrecopyResult

__all__ = ["AutoConvergePolicy", "RoundsResult", "autoconverge", "run_rounds", "analytic_dirty"]

EXTRA_COLUMNS = ["memory_mib", "throttle_pct", "dirty_rate_mib_s"]
"""Columns :func:`run_rounds` adds to the pre-copy round table."""


@dataclass(frozen=True, kw_only=True)
class AutoConvergePolicy(Params):
    """QEMU's auto-converge parameters (``migrate-set-parameters``), with QEMU's defaults.

    Parameters
    ----------
    enabled : bool
        QEMU's ``auto-converge`` capability. ``False`` (or :meth:`off`): never throttle, which
        is plain pre-copy.
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

    enabled: bool = flag(True)
    trigger_threshold_pct: float = number(50.0, minimum=1, maximum=100)
    trigger_count: int = integer(2, minimum=1, maximum=100)
    initial_pct: float = number(20.0, minimum=1, maximum=99)
    increment_pct: float = number(10.0, minimum=1, maximum=99)
    max_pct: float = number(99.0, minimum=1, maximum=99)

    def _check_together(self) -> None:
        if self.initial_pct > self.max_pct:
            raise ValueError(f"AutoConvergePolicy.initial_pct ({self.initial_pct:g}) must be at most "
                             f"AutoConvergePolicy.max_pct ({self.max_pct:g})")

    @classmethod
    def off(cls) -> AutoConvergePolicy:
        """Auto-converge switched off: the guest is never throttled.

        >>> AutoConvergePolicy.off().enabled
        False
        """
        return cls(enabled=False)

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
        The throttle when the VM stopped, % of guest CPU time (0: never throttled).
    guest_slowdown_pct : float
        Time-weighted mean throttle over the live phase, % of guest CPU time lost while the
        guest still ran on the source (``guest_slowdown`` is its deprecated name, a fraction).
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
    guest_slowdown_pct: float
    lost_guest_s: float
    compression_cpu_s: float
    memory_sent_mib: float

    @property
    def guest_slowdown(self) -> float:
        """Deprecated: the mean throttle as a fraction 0..1; use ``guest_slowdown_pct``."""
        warnings.warn("RoundsResult.guest_slowdown is deprecated; use guest_slowdown_pct (percent, like "
                      "final_throttle_pct)", DeprecationWarning, stacklevel=2)
        return self.guest_slowdown_pct / 100.0

    def summary(self) -> pd.Series:
        """Headline numbers, with the guest slowdown."""
        s = super().summary()
        s["guest slowdown (%)"] = round(self.guest_slowdown_pct, 1)
        s["final throttle (%)"] = self.final_throttle_pct
        return s


def analytic_dirty(vm: VM) -> Callable[[float, float, int], float]:
    """The dirtying of :mod:`vmlab.migration.dirty` for ``vm``, as :func:`run_rounds` wants it.

    >>> f = analytic_dirty(VM(memory_mib=1024, dirty_rate_mib_s=10, wws_mib=100))
    >>> f(2.0, 10.0, 1), f(20.0, 10.0, 1)
    (20.0, 100.0)
    """
    check_type("vm", vm, VM, "a VM")
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
    max_rounds_simulated: int = rules.MAX_ROUNDS_SIMULATED,
    result_class: type = None,
    extra: dict[str, Any] | None = None,
) -> RoundsResult:
    """Run pre-copy one round at a time with an optional throttle and compression.

    At every round boundary the loop applies the rules of :mod:`vmlab.migration._rules` (the
    ones :func:`vmlab.precopy` uses): converged, first bandwidth window, round cap, sent cap,
    dirty set grows, timeout. Round ``i`` re-sends the ``P_i`` MiB dirtied during round
    ``i - 1`` at the memory rate ``R_mem = min(R·ratio, threads / cpu_s_per_mib)`` (``R_mem =
    R`` without compression) and lasts ``P_i / R_mem``; the pages dirtied meanwhile come from
    ``dirty(duration_s, rate_mib_s, round_index)`` at the throttled rate ``D·(1 - p)``.

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
    from vmlab.migration.compression import Compression  # compression.py builds on this module

    policy = PrecopyPolicy.qemu() if policy is None else policy
    check_type("argument vm", vm, VM, "a VM")
    check_type("argument link", link, Link, "a Link")
    check_type("argument policy", policy, PrecopyPolicy, "a PrecopyPolicy")
    check_type("throttle", throttle, (AutoConvergePolicy, type(None)), "an AutoConvergePolicy or None")
    check_type("compression", compression, (Compression, type(None)), "a Compression or None")
    max_rounds_simulated = check_int("max_rounds_simulated", max_rounds_simulated, minimum=1)
    if throttle is not None and not throttle.enabled:
        throttle = None
    dirty = analytic_dirty(vm) if dirty is None else dirty
    result_class = RoundsResult if result_class is None else result_class

    c = {key: v[0].item() for key, v in rules.terms(rules.inputs(vm, link, policy)).items()}
    M, D, region, r, b_final = c["M"], c["D"], c["W"], c["r"], c["b_final"]
    rule_dt, window, min_dirty, tr, force = c["rule_dt"], c["window"], c["min_dirty"], c["tr"], c["force"]
    setup_s = c["setup_s"]

    full_ratio, dirty_ratio, full_cpu, dirty_cpu = _encoding(compression, region)
    r_mem_dirty = _memory_rate(r, dirty_ratio, dirty_cpu, compression)
    r_wire_dirty = r_mem_dirty / dirty_ratio
    final_mem_rate = _memory_rate(b_final, dirty_ratio, dirty_cpu, compression)
    stable = r_wire_dirty * c["limit_s"]

    # ---- round 0: the full pass (zero pages as headers) -------------------------------------
    zero, nonzero = c["zero"], c["nonzero"]
    r_mem_full = _memory_rate(r, full_ratio, full_cpu, compression)
    wire0 = nonzero / full_ratio + zero * c["zero_cost"]
    mem0 = nonzero + zero * c["zero_cost"]
    # the link-bound pass sends its wire bytes at r; an encoder-bound one is slower for the pages it encodes
    send0 = wire0 / r if r_mem_full == r * full_ratio else nonzero / r_mem_full + zero * c["zero_cost"] / r
    t0 = float(rules.first_pass_s(send0, zero, c["scan"]))
    rate0 = wire0 / t0 if t0 > 0 else r

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

    # round 0, possibly cut by the timeout
    code = -1
    tau0 = min(t0, tr)
    frac0 = tau0 / t0 if t0 > 0 else 1.0
    d_rate = rate_now()
    d0 = dirty(tau0, d_rate, 0)
    p_rate = d_rate  # the dirty rate of the round that produced the pending set P
    rows.append((0, setup_s, tau0, wire0 * frac0, d0, d0, "full pass", mem0 * frac0, throttle_pct, d_rate))
    T = tau0
    sent_mem = mem0 * frac0
    sent_wire = wire0 * frac0
    k = 1
    P = d0
    last, before = M, math.inf  # the full pass counts as every page sent
    H = 0.0
    if t0 > tr:
        union = min(nonzero * (1 - frac0) + d0, M)
        P = union if force else d0
        last = sent_wire
        code = rules.TIMEOUT_FORCE if force else rules.TIMEOUT_CANCEL
    else:
        step_throttle(d0, wire0)

    while code < 0:
        H = float(rules.threshold(T, rule_dt, stable, min_dirty, window, t0, rate0, r_wire_dirty, c["limit_s"]))
        code = int(rules.stop_code(k, T, sent_mem, P, last, before, H, rule_dt, window, c["maxr"], c["sentcap"], c["grows"]))
        if code < 0 and k > max_rounds_simulated:
            code = rules.GAVE_UP
        if code >= 0:
            break
        d_rate = rate_now()
        per_round = P / r_mem_dirty
        # stalled: the rounds stopped changing at the rate that will keep applying (the round
        # that produced P already ran at today's throttle, and the throttle cannot rise)
        throttle_fixed = throttle is None or (throttle_pct >= throttle.max_pct and p_rate == d_rate)
        stalled = fast_forward and throttle_fixed and bool(
            rules.stalled(P, last, T, rule_dt, window, stable, min_dirty, c["no_caps"]))
        if stalled or T + per_round > tr:
            full_, tau_, partial_ = rules.timeout_cut(T, per_round, tr)
            full, tau, partial = int(full_), float(tau_), bool(partial_)
            d_tau = dirty(tau, d_rate, k + full) if partial else 0.0
            start = setup_s + T
            wire_round = P / dirty_ratio
            if full > rules.MAX_RECORDED_REPEATS:
                rows.append((k, start, full * per_round, full * wire_round, P, P, f"{full} equal dirty passes",
                             full * P, throttle_pct, d_rate))
            else:
                for j in range(full):
                    rows.append((k + j, start + j * per_round, per_round, wire_round, P, P, "dirty pass", P,
                                 throttle_pct, d_rate))
            mem_part = r_mem_dirty * tau if partial else 0.0
            if partial:
                rows.append((k + full, start + full * per_round, tau, mem_part / dirty_ratio, d_tau, d_tau,
                             "cut by timeout", mem_part, throttle_pct, d_rate))
            cpu_s += (full * P + mem_part) * dirty_cpu
            sent_mem = sent_mem + full * P + mem_part
            sent_wire = sent_wire + (full * P + mem_part) / dirty_ratio
            k += full + int(partial)
            T = max(tr, T)
            if partial and force:
                P = float(rules.forced_pending(P - mem_part, d_tau, region, M))
            code = rules.TIMEOUT_FORCE if force else rules.TIMEOUT_CANCEL
            break
        d = dirty(per_round, d_rate, k)
        wire_round = P / dirty_ratio
        rows.append((k, setup_s + T, per_round, wire_round, d, d, "dirty pass", P, throttle_pct, d_rate))
        cpu_s += P * dirty_cpu
        T = T + per_round
        sent_mem = sent_mem + P
        sent_wire = sent_wire + wire_round
        k += 1
        before, last = last, P
        P = d
        p_rate = d_rate
        step_throttle(d, wire_round)

    completed = code not in (rules.TIMEOUT_CANCEL, rules.GAVE_UP)
    pending = P if completed else 0.0
    device = c["device"] if completed else 0.0
    copy_s, downtime_s = (float(x) for x in rules.blackout_s(pending, device, final_mem_rate, b_final, c["post_s"]))
    final_mem = pending + device
    final_wire = pending / dirty_ratio + device
    if completed:
        cpu_s += P * dirty_cpu
        rows.append((k, setup_s + T, copy_s, final_wire, 0.0, 0.0, "stop-and-copy", final_mem, throttle_pct, 0.0))
    total = setup_s + T + (downtime_s if completed else 0.0)
    frame = rules.table(rows, rules.ROUND_COLUMNS + EXTRA_COLUMNS)
    out = {
        "completed": completed,
        "pending_mib": P,
        "last_sent_mib": last,
        "threshold_mib": H,
        "n_rounds": k,
        "first_pass_s": t0,
        "data_sent_mib": sent_wire + final_wire,
        "final_copy_mib": final_wire,
        "precopy_time_s": T,
    }
    live = frame["phase"].to_numpy() != "stop-and-copy"
    throttled_area = float(np.sum(frame["throttle_pct"].to_numpy()[live] / 100.0 * frame["duration_s"].to_numpy()[live]))
    # repeated-row summaries carry the total duration, so the area above is exact
    slowdown_pct = 100.0 * throttled_area / T if T > 0 else 0.0
    fields_ = dict(
        vm=vm,
        link=link,
        policy=policy,
        converged=code in (rules.CONVERGED, rules.FIRST_WINDOW),
        completed=completed,
        stop=rules.STOP_LABELS[code],
        stop_reason=rules.reason(code, vm, policy, out),
        n_rounds=int(k),
        total_time_s=float(total),
        downtime_ms=float(downtime_s * 1000.0) if completed else math.nan,
        data_sent_mib=float(sent_wire + final_wire),
        precopy_time_s=float(T),
        final_copy_mib=float(final_wire),
        threshold_mib=float(H),
        precopy_rate_mib_s=float(r),
        final_rate_mib_s=float(final_wire / copy_s if (completed and copy_s > 0) else b_final),
        rounds=frame,
        phases=rules.phases(setup_s, rows, completed, T, copy_s, c["latency_s"], policy.resume_ms / 1000.0,
                            policy.arp_ms / 1000.0),
        autoconverge=throttle,
        compression=compression,
        final_throttle_pct=float(throttle_pct),
        guest_slowdown_pct=float(slowdown_pct),
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
        ``guest_slowdown_pct`` (mean throttle over the live phase) and ``final_throttle_pct``
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
    >>> r.converged, r.final_throttle_pct, round(r.guest_slowdown_pct)
    (True, 80.0, 33)
    """
    throttle = AutoConvergePolicy() if throttle is None else throttle
    check_type("throttle", throttle, AutoConvergePolicy, "an AutoConvergePolicy")
    return run_rounds(vm, link, policy, throttle=throttle, compression=compression)
