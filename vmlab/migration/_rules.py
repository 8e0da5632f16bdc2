"""The rules of pre-copy, in one place.

Both implementations of pre-copy take their rules from here: the vectorised engine
(:mod:`vmlab.migration._engine`, behind :func:`vmlab.precopy` and :func:`vmlab.precopy_grid`)
and the explicit round loop :func:`vmlab.migration.autoconverge.run_rounds` (behind
auto-converge, compression and the page simulator). What lives here:

- the inputs of one scenario (:func:`inputs`) and the constants derived from them (:func:`terms`),
  among them the rate of the live rounds (:func:`live_round_rate`);
- the first full pass (:func:`first_pass_s`): zero pages cost CPU to detect, not bandwidth, and
  the scan overlaps the rate-limited sending, so the pass takes the longer of the two;
- the switch-over threshold (:func:`threshold`), with QEMU's 100 ms bandwidth windows;
- the stop codes, their order and their reasons in words (:func:`stop_code`, :func:`reason`);
- when the remaining rounds are all alike (:func:`stalled`), how a round is cut by the timeout
  (:func:`timeout_cut`, :func:`forced_pending`);
- the pause (:func:`blackout_s`) and the process steps on a timeline (:func:`phases`).

A check happens after every live round. Its state: ``k`` rounds sent, ``T`` seconds of pre-copy,
``sent`` MiB of memory sent, ``P`` MiB dirtied during the last round (the pending set), ``last``
MiB sent in the last round (all of memory for the first pass) and ``before`` MiB sent in the
round before it. The rules, first match wins:

1. converged: QEMU (``"downtime"``) ``P < threshold`` (or nothing dirty); Xen
   (``"dirty_pages"``) the round just sent had fewer than ``min_dirty_pages`` pages (or nothing
   is dirty);
2. first window: QEMU only, the check falls inside the first bandwidth window (threshold 0);
3. round cap: ``k >= max_rounds``;
4. sent cap: ``sent > max_sent_factor × memory``;
5. dirty set grows: the round just sent was larger than the one before it.

Every function works elementwise on numpy arrays (one entry per scenario) and on scalars.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from vmlab.units import KIB, MIB, pages_to_mib

# ---- stop codes -------------------------------------------------------------------------------
CONVERGED = 0  # the policy's own rule was met
FIRST_WINDOW = 1  # QEMU: first pass ended inside the first bandwidth window (threshold still 0)
ROUND_CAP = 2
SENT_CAP = 3
DIRTY_GROWS = 4
TIMEOUT_CANCEL = 5
TIMEOUT_FORCE = 6
NO_CAPACITY = 7  # scalar only: the preparation step failed
GAVE_UP = 8  # model safety net: too many rounds to simulate

STOP_LABELS = {
    CONVERGED: "converged",
    FIRST_WINDOW: "first window",
    ROUND_CAP: "round cap",
    SENT_CAP: "sent cap",
    DIRTY_GROWS: "dirty set grows",
    TIMEOUT_CANCEL: "cancelled at timeout",
    TIMEOUT_FORCE: "forced at timeout",
    NO_CAPACITY: "no capacity",
    GAVE_UP: "too many rounds",
}

MAX_ROUNDS_SIMULATED = 100_000
"""Safety net: a scenario still iterating after this many simulated steps stops with ``GAVE_UP``."""
MAX_RECORDED_REPEATS = 2_000
"""Alike rounds beyond this count are summarised in one row of a round table."""

ROUND_COLUMNS = ["round", "start_s", "duration_s", "sent_mib", "dirtied_mib", "remaining_mib", "phase"]
PHASE_COLUMNS = ["phase", "start_s", "duration_s", "vm_running"]

INPUTS = (
    "memory_mib", "rate", "region", "uniform", "zero_fraction", "page_size_kib", "device_state_mib",
    "bandwidth_mib_s", "latency_ms",
    "rule_downtime", "downtime_limit_ms", "cap_mib_s", "cap_final_copy", "max_rounds",
    "max_sent_factor", "min_dirty_pages", "stop_if_dirty_grows", "window_ms", "setup_ms",
    "resume_ms", "arp_ms", "zero_page_bytes", "zero_scan_mib_s", "bandwidth_efficiency",
    "timeout_s", "force_on_timeout",
)
"""Keys of the flat input arrays; ``None``-able caps arrive as ``inf`` (none) and
``zero_page_bytes=None`` as ``nan`` (zero pages sent in full)."""


def inf_if_none(value: Any) -> float:
    """``None`` -> ``inf`` for caps."""
    return math.inf if value is None else float(value)


def check_zero_page_bytes(zero_page_bytes: Any, page_size_kib: Any) -> None:
    """A zero page may not cost more on the wire than the page itself (arrays allowed)."""
    zpb = np.asarray(zero_page_bytes, dtype=float)
    page = np.asarray(page_size_kib, dtype=float) * KIB
    bad = np.isfinite(zpb) & (zpb > page)
    if np.any(bad):
        i = np.flatnonzero(np.broadcast_to(bad, np.broadcast(zpb, page).shape).ravel())[0]
        z, p = np.broadcast_to(zpb, bad.shape).ravel()[i], np.broadcast_to(page, bad.shape).ravel()[i]
        raise ValueError(
            f"PrecopyPolicy.zero_page_bytes must be at most one page (VM.page_size_kib = {p / KIB:g} KiB "
            f"= {p:g} bytes); got {z:g}"
        )


def inputs(vm: Any, link: Any, policy: Any, *, check: bool = True) -> dict[str, np.ndarray]:
    """The flat inputs (length-1 arrays) of one scenario, as the engine and the loop read them."""
    if check:
        check_zero_page_bytes(math.nan if policy.zero_page_bytes is None else policy.zero_page_bytes, vm.page_size_kib)
    values = {
        "memory_mib": vm.memory_mib,
        "rate": vm.dirty_rate,
        "region": vm.region_mib,
        "uniform": vm.dirty_pattern == "uniform",
        "zero_fraction": vm.zero_fraction,
        "page_size_kib": vm.page_size_kib,
        "device_state_mib": vm.device_state_mib,
        "bandwidth_mib_s": link.bandwidth_mib_s,
        "latency_ms": link.latency_ms,
        "rule_downtime": policy.stop_rule == "downtime",
        "downtime_limit_ms": policy.downtime_limit_ms,
        "cap_mib_s": inf_if_none(policy.max_bandwidth_mib_s),
        "cap_final_copy": policy.cap_final_copy,
        "max_rounds": inf_if_none(policy.max_rounds),
        "max_sent_factor": inf_if_none(policy.max_sent_factor),
        "min_dirty_pages": policy.min_dirty_pages,
        "stop_if_dirty_grows": policy.stop_if_dirty_grows,
        "window_ms": inf_if_none(policy.bandwidth_window_ms),
        "setup_ms": policy.setup_ms,
        "resume_ms": policy.resume_ms,
        "arp_ms": policy.arp_ms,
        "zero_page_bytes": math.nan if policy.zero_page_bytes is None else policy.zero_page_bytes,
        "zero_scan_mib_s": inf_if_none(policy.zero_scan_mib_s),
        "bandwidth_efficiency": policy.bandwidth_efficiency,
        "timeout_s": inf_if_none(policy.timeout_s),
        "force_on_timeout": policy.on_timeout == "force",
    }
    return {k: np.array([float(v)]) for k, v in values.items()}


def live_round_rate(bandwidth_mib_s, cap_mib_s, bandwidth_efficiency):
    """Rate of the live rounds, MiB/s: ``efficiency × min(bandwidth, cap)`` (``cap = inf``: none)."""
    return bandwidth_efficiency * np.minimum(bandwidth_mib_s, cap_mib_s)


def terms(inp: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per-scenario constants derived from the inputs (arrays, or length-1 arrays for one scenario).

    ``r`` is the rate of the live rounds, ``b_final`` the stop-and-copy's, ``stable`` the
    downtime rule's threshold once the bandwidth windows no longer see the first pass
    (``r × limit``), ``tr`` the timeout counted from the end of the set-up (``inf``: none).
    """
    M = inp["memory_mib"]
    B = inp["bandwidth_mib_s"]
    cap = inp["cap_mib_s"]
    page_mib = pages_to_mib(1.0, inp["page_size_kib"])
    setup_s = inp["setup_ms"] / 1000.0
    r = live_round_rate(B, cap, inp["bandwidth_efficiency"])
    limit_s = inp["downtime_limit_ms"] / 1000.0
    zero = M * inp["zero_fraction"]
    zpb = inp["zero_page_bytes"]
    maxr = inp["max_rounds"]
    sentcap = inp["max_sent_factor"] * M
    grows = inp["stop_if_dirty_grows"].astype(bool)
    return {
        "M": M,
        "D": inp["rate"],
        "W": inp["region"],
        "uniform": inp["uniform"].astype(bool),
        "r": r,
        "b_final": np.where(inp["cap_final_copy"].astype(bool), np.minimum(B, cap), B),
        "rule_dt": inp["rule_downtime"].astype(bool),
        "limit_s": limit_s,
        "window": np.nan_to_num(inp["window_ms"] / 1000.0, posinf=0.0),  # 0: no windowing
        "min_dirty": inp["min_dirty_pages"] * page_mib,
        "maxr": maxr,
        "sentcap": sentcap,
        "grows": grows,
        "setup_s": setup_s,
        "tr": np.maximum(inp["timeout_s"] - setup_s, 0.0),
        "force": inp["force_on_timeout"].astype(bool),
        "no_caps": ~np.isfinite(maxr) & ~np.isfinite(sentcap) & ~grows,
        "zero": zero,
        "nonzero": M - zero,
        "zero_cost": np.where(np.isnan(zpb), 1.0, zpb / (page_mib * MIB)),  # wire MiB per MiB of zero pages
        "scan": inp["zero_scan_mib_s"],
        "stable": r * limit_s,
        "device": inp["device_state_mib"],
        "post_s": (inp["latency_ms"] + inp["resume_ms"] + inp["arp_ms"]) / 1000.0,
        "latency_s": inp["latency_ms"] / 1000.0,
    }


def first_pass_s(send_s, zero_mib, zero_scan_mib_s):
    """Duration of the first full pass, s: ``max(send_s, zero_mib / zero_scan_mib_s)``.

    Zero pages cost CPU to detect, not bandwidth: QEMU scans them while its rate limiter waits
    for the next window, so the pass takes the longer of sending and scanning (measured on
    QEMU 7.2, see :data:`vmlab.qemu.compare.TCG_LOOPBACK`). ``zero_scan_mib_s = inf``: free.

    >>> float(first_pass_s(10.0, 8000.0, 400.0)), float(first_pass_s(10.0, 8000.0, math.inf))
    (20.0, 10.0)
    """
    scan = np.asarray(zero_scan_mib_s, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        scan_s = np.where(np.isfinite(scan), zero_mib / scan, 0.0)
    return np.maximum(send_s, scan_s)


def threshold(T, rule_dt, stable, min_dirty, window, t0, rate0, r, limit_s):
    """The switch-over threshold at pre-copy time ``T``, MiB.

    Downtime rule (QEMU): ``bandwidth × downtime_limit`` where the bandwidth is the one measured
    over the last completed window of ``window`` seconds (``migration_update_counters``), so
    for ``T < t0 + 2·window`` it still mixes in the first pass's rate ``rate0``, and before the
    first window has completed it is 0. Dirty-page rule (Xen): ``min_dirty`` MiB.

    >>> float(threshold(5.0, True, 38.4, 0.2, 0.1, 1.0, 100.0, 128.0, 0.3))   # windows past
    38.4
    >>> float(threshold(0.05, True, 38.4, 0.2, 0.1, 1.0, 100.0, 128.0, 0.3))  # no window yet
    0.0
    """
    T = np.asarray(T, dtype=float)
    w = np.asarray(window, dtype=float)
    early = np.asarray(rule_dt) & (w > 0) & (T < t0 + 2 * w)
    H = np.where(rule_dt, stable, min_dirty)
    if np.any(early):
        with np.errstate(divide="ignore", invalid="ignore"):
            tick = np.floor(T / w) * w
            overlap0 = np.clip(np.minimum(tick, t0) - (tick - w), 0.0, w)
            est = (rate0 * overlap0 + r * (w - overlap0)) / w
            est = np.where(tick < w, 0.0, est)
        H = np.where(early, est * limit_s, H)
    return H


def _never(flag_or_cap, inactive) -> bool:
    """True when a rule cannot act for any scenario (a cheap test on length-1 arrays)."""
    arr = np.asarray(flag_or_cap)
    return arr.size == 1 and bool(inactive(arr))


def stop_code(k, T, sent, P, last, before, H, rule_dt, window, maxr, sentcap, grows):
    """The stop code at a check (``-1``: go on), the rules in the order of the module docstring.

    >>> int(stop_code(3, 40.0, 5000.0, 10.0, 30.0, 80.0, 38.4, True, 0.1, math.inf, math.inf, False))
    0
    >>> int(stop_code(3, 40.0, 5000.0, 60.0, 70.0, 80.0, 38.4, True, 0.1, 3, math.inf, False))
    2
    """
    met = (np.where(rule_dt, P, last) < H) | (P <= 0)
    code = np.full(np.shape(met), -1, dtype=np.int64)
    if not _never(grows, lambda g: not g.any()):
        code[np.asarray(grows & (last > before))] = DIRTY_GROWS
    if not _never(sentcap, lambda c: np.isinf(c).all()):
        code[np.asarray(sent > sentcap)] = SENT_CAP
    if not _never(maxr, lambda c: np.isinf(c).all()):
        code[np.asarray(k >= maxr)] = ROUND_CAP
    if not _never(window, lambda w: not (w > 0).any()):
        code[np.asarray(rule_dt & (window > 0) & (T < window))] = FIRST_WINDOW
    code[met] = CONVERGED
    return code[()] if code.ndim == 0 else code


def stalled(P, last, T, rule_dt, window, stable, min_dirty, no_caps):
    """Whether every round from here on is alike and no rule but the timeout can ever act.

    The round just sent and the pending set are equal (the dirty set stopped changing), the
    threshold can no longer rise above them, and the policy has no cap.
    """
    if _never(no_caps, lambda c: not c.any()):
        return np.zeros(np.shape(P), dtype=bool) if np.ndim(P) else False
    above = np.where(rule_dt, (P >= stable) & (T >= window), P >= min_dirty)
    return no_caps & (P == last) & (P > 0) & above


def timeout_cut(T, per_round_s, tr):
    """How the timeout ends the rounds: ``(full, tau, partial)``.

    From a check at time ``T`` where the next round would last ``per_round_s``: ``full`` alike
    rounds fit before the timeout ``tr`` (0 unless the rounds are stalled), then a round cut
    after ``tau`` seconds (``partial``: it really started).
    """
    remaining = np.maximum(tr - T, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        full = np.where(per_round_s > 0, np.floor(remaining / per_round_s), 0.0)
    tau = remaining - full * per_round_s
    partial = tau > 1e-12 * np.maximum(per_round_s, 1.0)
    return full, tau, partial


def forced_pending(unsent, dirtied, region, memory):
    """Dirty data at a forced stop: the unsent part of the cut round plus what was dirtied meanwhile.

    Both lie in the written region (or in the unsent part), and never exceed memory.
    """
    return np.minimum(np.minimum(unsent + dirtied, np.maximum(region, unsent)), memory)


def blackout_s(pending_mib, device_mib, memory_rate_mib_s, final_rate_mib_s, post_s):
    """``(copy_s, downtime_s)`` of the pause.

    ``copy_s = pending / memory_rate + device_state / final_rate`` (the memory rate equals the
    final rate without compression) and ``downtime = copy_s + latency + resume + arp``.
    """
    copy_s = pending_mib / memory_rate_mib_s + device_mib / final_rate_mib_s
    return copy_s, copy_s + post_s


def reason(code: int, vm: Any, policy: Any, out: dict[str, Any]) -> str:
    """Why the rounds stopped, in words, with the numbers that decided it."""
    pending = out["pending_mib"]
    thr = out["threshold_mib"]
    rounds = out["n_rounds"]
    if code == CONVERGED:
        if pending <= 0:
            return f"converged after {rounds} round(s): nothing left dirty"
        if policy.stop_rule == "downtime":
            return (
                f"converged after {rounds} rounds: {pending:.3g} MiB dirty < threshold {thr:.3g} MiB "
                f"(measured bandwidth x {policy.downtime_limit_ms:g} ms downtime limit)"
            )
        sent_pages = out["last_sent_mib"] * KIB / vm.page_size_kib
        return (
            f"converged after {rounds} rounds: the last live round sent {sent_pages:.0f} pages, fewer than "
            f"{policy.min_dirty_pages}; the {pending:.3g} MiB dirtied meanwhile go in the pause"
        )
    if code == FIRST_WINDOW:
        return (
            f"switched over after the first pass ({out['first_pass_s'] * 1000:.0f} ms): it ended inside the first "
            f"{policy.bandwidth_window_ms:g} ms bandwidth window, before QEMU had a threshold, so the "
            f"{pending:.3g} MiB dirtied meanwhile were copied in the pause whatever the limit"
        )
    if code == ROUND_CAP:
        return f"forced stop-and-copy after {rounds} rounds (round cap {policy.max_rounds}) with {pending:.3g} MiB still dirty"
    if code == SENT_CAP:
        return (
            f"forced stop-and-copy after sending more than {policy.max_sent_factor:g}x memory "
            f"({out['data_sent_mib'] - out['final_copy_mib']:.4g} MiB) with {pending:.3g} MiB still dirty"
        )
    if code == DIRTY_GROWS:
        return (
            f"forced stop-and-copy after {rounds} rounds: the last round sent more than the one before "
            f"({out['last_sent_mib']:.3g} MiB; dirtying outpaces the link), {pending:.3g} MiB still dirty"
        )
    if code in (TIMEOUT_CANCEL, TIMEOUT_FORCE):
        what = "cancelled" if code == TIMEOUT_CANCEL else "forced to stop-and-copy"
        rule = (
            f"threshold {thr:.3g} MiB (bandwidth x {policy.downtime_limit_ms:g} ms)"
            if policy.stop_rule == "downtime"
            else f"the {policy.min_dirty_pages}-page target"
        )
        return (
            f"did not converge: {what} after the {policy.timeout_s:g} s timeout ({rounds} rounds); "
            f"the dirty set stayed at {pending:.3g} MiB, above {rule}"
        )
    if code == GAVE_UP:
        return f"stopped simulating after {MAX_ROUNDS_SIMULATED} steps without converging"
    raise AssertionError(code)


def table(rows: list[tuple], columns: list[str]) -> pd.DataFrame:
    """A DataFrame from row tuples, built column-wise (several times faster for small tables)."""
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype="object" if c in ("phase",) else float) for c in columns})
    return pd.DataFrame(dict(zip(columns, map(list, zip(*rows)))))


def phases(setup_s: float, rounds: list[tuple], completed: bool, precopy_s: float, copy_s: float,
           latency_s: float, resume_s: float, arp_s: float) -> pd.DataFrame:
    """The process steps on a timeline: phase, start_s, duration_s, vm_running.

    Preparation, the full pass, the iterative rounds (one row per recorded round), then, if the
    VM moved, the pause (stop-and-copy and the latency of its last byte), resume and the
    gratuitous ARP. ``rounds`` are round-table rows (``ROUND_COLUMNS`` first).
    """
    out = [("preparation", 0.0, setup_s, True)]
    for row in rounds:
        phase = row[6]
        if phase == "stop-and-copy":
            continue
        out.append(("pre-copy (full pass)" if phase == "full pass" else "iterative transfer", row[1], row[2], True))
    if completed:
        start = setup_s + precopy_s
        copy = copy_s + latency_s
        out.append(("pause: stop-and-copy", start, copy, False))
        out.append(("resume", start + copy, resume_s, False))
        out.append(("gratuitous ARP", start + copy + resume_s, arp_s, False))
    return table(out, PHASE_COLUMNS)
