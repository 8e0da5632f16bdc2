"""The vectorised pre-copy engine behind :func:`precopy` and :func:`precopy_grid`.

Both public functions call :func:`simulate` (the scalar one on arrays of length 1, recording
every round), so a grid row and a scalar call can never disagree. The engine works on flat
float arrays, one entry per scenario, and iterates round by round over the scenarios still
running, dropping each as it stops.
"""

from __future__ import annotations

import math

import numpy as np

from vmlab.migration.dirty import dirtied_mib

# stop codes
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
"""Safety net: a scenario still iterating after this many rounds stops with ``GAVE_UP``."""
MAX_RECORDED_REPEATS = 2_000
"""A stalled migration's identical rounds beyond this count are summarised in one table row."""

INPUTS = (
    "memory_mib", "rate", "region", "uniform", "zero_fraction", "page_size_kib", "device_state_mib",
    "bandwidth_mib_s", "latency_ms",
    "rule_downtime", "downtime_limit_ms", "cap_mib_s", "cap_final_copy", "max_rounds",
    "max_sent_factor", "min_dirty_pages", "stop_if_dirty_grows", "window_ms", "setup_ms",
    "resume_ms", "arp_ms", "zero_page_bytes", "zero_scan_mib_s", "bandwidth_efficiency",
    "timeout_s", "force_on_timeout",
)


def simulate(inp: dict[str, np.ndarray], record: bool = False) -> dict[str, object]:
    """Run pre-copy for every scenario in ``inp`` (flat arrays of equal length).

    ``None``-able policy fields arrive as ``inf`` (no cap) or ``nan`` (zero pages sent in full).
    Returns headline arrays and, when ``record`` is true (length-1 input), the list of rounds.
    """
    n = inp["memory_mib"].shape[0]
    M = inp["memory_mib"]
    rate = inp["rate"]
    region = inp["region"]
    uniform = inp["uniform"].astype(bool)
    B = inp["bandwidth_mib_s"]
    cap = inp["cap_mib_s"]
    r = inp["bandwidth_efficiency"] * np.minimum(B, cap)
    b_final = np.where(inp["cap_final_copy"].astype(bool), np.minimum(B, cap), B)
    limit_s = inp["downtime_limit_ms"] / 1000.0
    window = np.nan_to_num(inp["window_ms"] / 1000.0, posinf=0.0)  # 0: no windowing
    rule_dt = inp["rule_downtime"].astype(bool)
    page_mib = inp["page_size_kib"] / 1024.0
    min_dirty = inp["min_dirty_pages"] * page_mib
    max_rounds = inp["max_rounds"]
    sent_cap = inp["max_sent_factor"] * M
    grows = inp["stop_if_dirty_grows"].astype(bool)
    setup_s = inp["setup_ms"] / 1000.0
    timeout_rel = np.maximum(inp["timeout_s"] - setup_s, 0.0)
    force = inp["force_on_timeout"].astype(bool)

    # ---- round 0: the full pass over memory -------------------------------------------------
    zero = M * inp["zero_fraction"]
    nonzero = M - zero
    zero_cost = np.where(np.isnan(inp["zero_page_bytes"]), 1.0, inp["zero_page_bytes"] / (page_mib * 2**20))
    bytes0 = nonzero + zero * zero_cost
    scan = inp["zero_scan_mib_s"]
    # Zero pages cost CPU to detect, not bandwidth: QEMU scans them while its rate limiter
    # waits for the next window, so the pass takes the longer of the two (measured, issue 7).
    t0 = np.maximum(bytes0 / r, np.where(np.isfinite(scan), zero / scan, 0.0))
    rate0 = np.divide(bytes0, t0, out=r.copy(), where=t0 > 0)
    # The threshold once the bandwidth windows no longer see the first pass; it is also the
    # most any threshold can be, so a dirty set that stops shrinking above it never converges.
    stable = np.where(rule_dt, r * limit_s, min_dirty)
    no_caps = ~np.isfinite(max_rounds) & ~np.isfinite(sent_cap) & ~grows

    out_T = np.zeros(n)
    out_sent = np.zeros(n)
    out_rounds = np.zeros(n)
    out_pending = np.zeros(n)
    out_code = np.full(n, -1, dtype=np.int64)
    out_threshold = np.zeros(n)
    rows: list[tuple] = []  # record: (round, start_s, duration_s, sent_mib, dirtied_mib, remaining_mib, phase)

    # round 0, possibly cut by the timeout
    cut0 = t0 > timeout_rel
    tau0 = np.where(cut0, timeout_rel, t0)
    d0 = dirtied_mib(tau0, rate, region, uniform)
    frac0 = np.divide(tau0, t0, out=np.ones(n), where=t0 > 0)
    if record:
        rows.append((0, float(setup_s[0]), float(tau0[0]), float(bytes0[0] * frac0[0]), float(d0[0]), float(d0[0]), "full pass"))
    if cut0.any():
        idx = np.flatnonzero(cut0)
        out_T[idx] = tau0[idx]
        out_sent[idx] = bytes0[idx] * frac0[idx]
        out_rounds[idx] = 1
        union = np.minimum(nonzero[idx] * (1 - frac0[idx]) + d0[idx], M[idx])
        out_pending[idx] = np.where(force[idx], union, d0[idx])
        out_code[idx] = np.where(force[idx], TIMEOUT_FORCE, TIMEOUT_CANCEL)

    # Loop state and per-scenario parameters as rows of one matrix, compressed to the scenarios
    # still running whenever some stop (one copy instead of a gather per parameter per round).
    names = ("idx", "T", "sent", "rounds", "P", "prevP", "r", "stable", "window", "t0", "rate0",
             "rule", "maxr", "sentcap", "grows", "tr", "nocaps", "rate", "region", "uniform", "M",
             "force", "limit")
    k = {name: i for i, name in enumerate(names)}
    act = np.flatnonzero(~cut0)
    S = np.empty((len(names), act.size))
    S[k["idx"]] = act
    S[k["T"]] = t0[act]
    S[k["sent"]] = bytes0[act]
    S[k["rounds"]] = 1.0
    S[k["P"]] = d0[act]
    S[k["prevP"]] = np.inf
    for name, arr in (("r", r), ("stable", stable), ("window", window), ("t0", t0), ("rate0", rate0),
                      ("rule", rule_dt), ("maxr", max_rounds), ("sentcap", sent_cap), ("grows", grows),
                      ("tr", timeout_rel), ("nocaps", no_caps), ("rate", rate), ("region", region),
                      ("uniform", uniform), ("M", M), ("force", force), ("limit", limit_s)):
        S[k[name]] = arr[act]

    def threshold(S: np.ndarray) -> np.ndarray:
        """Switch-over threshold (MiB) now, for every running scenario."""
        H = S[k["stable"]].copy()
        w = S[k["window"]]
        T = S[k["T"]]
        early = _early(S, k)
        if early.any():
            e = np.flatnonzero(early)
            we, Te, t0e = w[e], T[e], S[k["t0"], e]
            tick = np.floor(Te / we) * we
            overlap0 = np.clip(np.minimum(tick, t0e) - (tick - we), 0.0, we)
            est = (S[k["rate0"], e] * overlap0 + S[k["r"], e] * (we - overlap0)) / we
            est = np.where(tick < we, 0.0, est)  # no window completed yet: threshold 0
            H[e] = est * S[k["limit"], e]
        return H

    def finish(S: np.ndarray, sel: np.ndarray, code, pending=None) -> None:
        ix = S[k["idx"], sel].astype(np.int64)
        out_T[ix] = S[k["T"], sel]
        out_sent[ix] = S[k["sent"], sel]
        out_rounds[ix] = S[k["rounds"], sel]
        out_pending[ix] = S[k["P"], sel] if pending is None else pending
        out_code[ix] = code

    iterations = 0
    while S.shape[1]:
        iterations += 1
        T, P, prevP, rounds = S[k["T"]], S[k["P"]], S[k["prevP"]], S[k["rounds"]]
        H = threshold(S)
        out_threshold[S[k["idx"]].astype(np.int64)] = H
        rule = S[k["rule"]] > 0
        w = S[k["window"]]
        met = (P < H) | (rule & (P <= 0))
        first = ~met & rule & (w > 0) & (T < w)
        code = np.full(P.size, -1, dtype=np.int64)
        code[(S[k["grows"]] > 0) & (P > prevP)] = DIRTY_GROWS
        code[S[k["sent"]] >= S[k["sentcap"]]] = SENT_CAP
        code[rounds >= S[k["maxr"]]] = ROUND_CAP
        code[first] = FIRST_WINDOW
        code[met] = CONVERGED
        if iterations > MAX_ROUNDS_SIMULATED:
            code[code < 0] = GAVE_UP
        done = code >= 0
        if done.any():
            for c in np.unique(code[done]):
                finish(S, code == c, c)
            S = S[:, ~done]
            if not S.shape[1]:
                break
            T, P, prevP, rounds = S[k["T"]], S[k["P"]], S[k["prevP"]], S[k["rounds"]]

        rr = S[k["r"]]
        tr = S[k["tr"]]
        # stalled: the dirty set no longer shrinks and sits above anything the rule accepts
        stalled = (S[k["nocaps"]] > 0) & (P >= prevP) & (P >= S[k["stable"]])
        dur = P / rr
        timed_out = stalled | (T + dur > tr)
        if timed_out.any():
            sel = np.flatnonzero(timed_out)
            Ps, Ts, rs, trs = P[sel], T[sel], rr[sel], tr[sel]
            remaining = np.maximum(trs - Ts, 0.0)
            per_round = Ps / rs
            full = np.floor(remaining / per_round)
            tau = remaining - full * per_round
            partial = tau > 1e-12 * np.maximum(per_round, 1.0)
            uni = S[k["uniform"], sel] > 0
            d_tau = dirtied_mib(tau, S[k["rate"], sel], S[k["region"], sel], uni)
            forced = S[k["force"], sel] > 0
            if record:
                start = float(setup_s[0] + Ts[0])
                first_round = int(rounds[sel][0])
                kk = int(full[0])
                if kk > MAX_RECORDED_REPEATS:  # one summary row instead of thousands of equal ones
                    rows.append((first_round, start, kk * float(per_round[0]), kk * float(Ps[0]),
                                 float(Ps[0]), float(Ps[0]), f"{kk} equal dirty passes"))
                else:
                    for j in range(kk):
                        rows.append((first_round + j, start + j * float(per_round[0]), float(per_round[0]),
                                     float(Ps[0]), float(Ps[0]), float(Ps[0]), "dirty pass"))
                if partial[0]:
                    rows.append((first_round + kk, start + kk * float(per_round[0]), float(tau[0]),
                                 float(rs[0] * tau[0]), float(d_tau[0]), float(d_tau[0]), "cut by timeout"))
            # forced: the unsent part of this round plus what was dirtied meanwhile (both lie in
            # the written region); cancelled: report the dirty set that never got small enough
            unsent = Ps - rs * tau
            union = np.minimum(np.minimum(unsent + d_tau, np.maximum(S[k["region"], sel], unsent)), S[k["M"], sel])
            pending = np.where(partial & forced, union, Ps)
            S[k["T"], sel] = Ts + remaining
            S[k["sent"], sel] = S[k["sent"], sel] + full * Ps + np.where(partial, rs * tau, 0.0)
            S[k["rounds"], sel] = rounds[sel] + full + partial
            for c in (TIMEOUT_CANCEL, TIMEOUT_FORCE):
                pick = forced if c == TIMEOUT_FORCE else ~forced
                if pick.any():
                    finish(S, sel[pick], c, pending[pick])
            keep = ~timed_out
            S = S[:, keep]
            dur = dur[keep]
            if not S.shape[1]:
                break

        P = S[k["P"]]
        steps = _geometric_steps(S, k, threshold_is_stable=~_early(S, k))
        if record and steps[0] > 1:
            _record_geometric(rows, S, k, int(steps[0]), float(setup_s[0]))
        jump = steps > 1
        if jump.any():
            # Working-set decay with a fixed threshold: V_{i+1} = λ V_i exactly, so jump to the
            # round where the rule, a cap or the timeout acts (closed form, Liu et al. 2011).
            j = np.flatnonzero(jump)
            lam = S[k["rate"], j] / S[k["r"], j]
            Pj, kk = P[j], steps[j]
            lam_k = lam**kk
            geo = np.where(lam < 1, (1 - lam_k) / (1 - lam), kk)
            S[k["T"], j] += Pj * geo / S[k["r"], j]
            S[k["sent"], j] += Pj * geo
            S[k["rounds"], j] += kk
            S[k["prevP"], j] = Pj * lam ** (kk - 1)
            S[k["P"], j] = Pj * lam_k
        step = ~jump
        if step.any():
            i = np.flatnonzero(step) if jump.any() else slice(None)
            Pi, di = P[i], dur[i]
            d = dirtied_mib(di, S[k["rate"], i], S[k["region"], i], S[k["uniform"], i] > 0)
            if record:
                rows.append((int(S[k["rounds"], 0]), float(setup_s[0] + S[k["T"], 0]), float(di[0]), float(Pi[0]),
                             float(d[0]), float(d[0]), "dirty pass"))
            S[k["T"], i] += di
            S[k["sent"], i] += Pi
            S[k["rounds"], i] += 1
            S[k["prevP"], i] = Pi
            S[k["P"], i] = d

    # ---- stop-and-copy, resume, announce ----------------------------------------------------
    completed = (out_code != TIMEOUT_CANCEL) & (out_code != GAVE_UP)
    final_mib = np.where(completed, out_pending + inp["device_state_mib"], 0.0)
    copy_s = final_mib / b_final
    downtime_s = copy_s + (inp["latency_ms"] + inp["resume_ms"] + inp["arp_ms"]) / 1000.0
    downtime_ms = np.where(completed, downtime_s * 1000.0, np.nan)
    total = setup_s + out_T + np.where(completed, downtime_s, 0.0)
    result: dict[str, object] = {
        "code": out_code,
        "converged": (out_code == CONVERGED) | (out_code == FIRST_WINDOW),
        "completed": completed,
        "n_rounds": out_rounds.astype(np.int64),
        "precopy_time_s": out_T,
        "total_time_s": total,
        "downtime_ms": downtime_ms,
        "data_sent_mib": out_sent + final_mib,
        "final_copy_mib": final_mib,
        "pending_mib": out_pending,
        "threshold_mib": out_threshold,
        "precopy_rate_mib_s": r,
        "final_rate_mib_s": b_final,
        "first_pass_s": t0,
    }
    if record:
        if completed[0]:
            rows.append((int(out_rounds[0]), float(setup_s[0] + out_T[0]), float(copy_s[0]), float(final_mib[0]), 0.0, 0.0, "stop-and-copy"))
        result["rounds"] = rows
    return result


CHUNK = 1 << 14
"""Scenarios simulated together: small enough for the working set to stay in the CPU cache
(measured: 16k-row chunks run about 1.7x faster than one 1M-row block)."""


def simulate_many(inp: dict[str, np.ndarray], keys: tuple[str, ...] | None = None) -> dict[str, np.ndarray]:
    """:func:`simulate` in cache-sized chunks; returns the headline arrays named in ``keys`` (all by default)."""
    n = inp["memory_mib"].shape[0]
    if n <= CHUNK:
        out = simulate(inp)
        return {key: out[key] for key in (keys or out)}
    result: dict[str, np.ndarray] = {}
    for i in range(0, n, CHUNK):
        part = simulate({key: v[i : i + CHUNK] for key, v in inp.items()})
        if not result:  # allocate the outputs once, with the dtypes the engine returns
            result = {key: np.empty(n, dtype=part[key].dtype) for key in (keys or part)}
        for key, arr in result.items():
            arr[i : i + CHUNK] = part[key]
    return result


def _early(S: np.ndarray, k: dict[str, int]) -> np.ndarray:
    """Scenarios whose last bandwidth window may still include the first pass."""
    w = S[k["window"]]
    return (S[k["rule"]] > 0) & (w > 0) & (S[k["T"]] < S[k["t0"]] + 2 * w)


def _geometric_steps(S: np.ndarray, k: dict[str, int], threshold_is_stable: np.ndarray) -> np.ndarray:
    """How many rounds a scenario can advance in one closed-form jump (1 = an ordinary round).

    Eligible: the working-set model (``min(D·t, W)``) with D < R and a dirty set inside the
    working set, so each round leaves exactly λ = D/R times the data it sent, and a threshold
    that no longer changes. The jump lands on the first round after which the stop rule, the
    round cap or the sent cap could act, or on the last round that ends before the timeout;
    the ordinary loop takes the decision there, so jumping never changes an outcome.
    """
    P = S[k["P"]]
    rate, r = S[k["rate"]], S[k["r"]]
    lam = rate / r
    ok = threshold_is_stable & (S[k["uniform"]] == 0) & (lam < 1) & (P <= S[k["region"]]) & (P > 0)
    steps = np.ones(P.size)
    if not ok.any():
        return steps
    e = np.flatnonzero(ok)
    Pe, le = P[e], lam[e]
    with np.errstate(divide="ignore", invalid="ignore"):
        loglam = np.log(le)  # -inf for λ = 0
        H = S[k["stable"], e]
        # rounds until P·λ^k < H
        k_conv = np.where(H > 0, np.floor(np.log(H / Pe) / loglam) + 1, np.inf)
        k_conv = np.where(le == 0, np.where(H > 0, 1, np.inf), k_conv)
        k_cap = S[k["maxr"], e] - S[k["rounds"], e]
        # rounds until sent + P(1-λ^k)/(1-λ) >= sent cap
        q = 1 - (S[k["sentcap"], e] - S[k["sent"], e]) * (1 - le) / Pe
        k_sent = np.where(q > 0, np.ceil(np.log(q) / loglam), np.inf)
        k_sent = np.where(le == 0, np.where(q > 0, 1, np.inf), k_sent)
        # rounds that end before the timeout: T + P(1-λ^j)/(R(1-λ)) <= tr
        qt = 1 - (S[k["tr"], e] - S[k["T"], e]) * r[e] * (1 - le) / Pe
        k_fit = np.where(qt > 0, np.floor(np.log(qt) / loglam), np.inf)
        k_fit = np.where(le == 0, np.inf, k_fit)
    target = np.minimum(np.minimum(k_conv, k_cap), np.minimum(k_sent, k_fit))
    target = np.where(np.isfinite(target), target, 1.0)
    steps[e] = np.clip(target, 1.0, 1e9)
    return steps


def _record_geometric(rows: list, S: np.ndarray, k: dict[str, int], steps: int, setup_s: float) -> None:
    """Append the rounds of a closed-form jump (scenario 0) to the recorded table."""
    P, r, rate = S[k["P"], 0], S[k["r"], 0], S[k["rate"], 0]
    lam = rate / r
    sizes = P * lam ** np.arange(steps + 1)
    starts = S[k["T"], 0] + np.concatenate(([0.0], np.cumsum(sizes[:-1] / r)))
    first = int(S[k["rounds"], 0])
    for j in range(steps):
        rows.append((first + j, setup_s + float(starts[j]), float(sizes[j] / r), float(sizes[j]),
                     float(sizes[j + 1]), float(sizes[j + 1]), "dirty pass"))


def inf_if_none(value) -> float:
    """``None`` -> ``inf`` for caps."""
    return math.inf if value is None else float(value)
