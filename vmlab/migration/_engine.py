"""The vectorised pre-copy engine behind :func:`vmlab.precopy` and :func:`vmlab.precopy_grid`.

Both public functions call :func:`simulate` (the scalar one on arrays of length 1, recording
every round), so a grid row and a scalar call can never disagree. The rules (threshold, stop
codes, timeout) come from :mod:`vmlab.migration._rules`, shared with the explicit round loop.

The engine works on flat float arrays, one entry per scenario. A scenario goes from check to
check; between two checks it advances by

- a **closed-form jump** when its rounds follow the geometric recurrence ``V_{i+1} = λ·V_i``
  (working-set or constant-rate writes with ``λ = D/R < 1``, threshold no longer moving): the
  jump lands on the first check at which the stop rule, a cap or the timeout acts (Liu et
  al., HPDC 2011: ``V_i = V_0·λ^i``, sums ``V_0(1 - λ^j)/(1 - λ)``);
- a **constant jump** when the rounds no longer change (saturated working set) and a cap or
  the timeout will end them;
- **exact rounds** otherwise: for uniform random writes a lean loop of five array operations
  per round, run until some rule could act, and one general round for anything else (the
  first bandwidth windows).

Every scenario's arithmetic depends only on its own values, so the same scenario gives the
same bits in a grid of a million and alone. An input that is the same for every scenario may be
passed as a length-1 array: it then stays one number (no copy per scenario to gather).
"""

from __future__ import annotations

import numpy as np

from vmlab.migration import _rules as R
from vmlab.migration.dirty import dirtied_mib

INPUTS = R.INPUTS
inf_if_none = R.inf_if_none

# per-scenario constants the loop reads (gathered to the running scenarios)
_CONSTS = ("r", "D", "W", "uniform", "rule_dt", "stable", "min_dirty", "window", "t0", "rate0", "limit_s",
           "maxr", "sentcap", "grows", "tr", "force", "no_caps", "M")
_STATE = ("T", "sent", "k", "P", "last", "before")


def _pick(arr: np.ndarray, sel) -> np.ndarray:
    """``arr[sel]``, where a length-1 array stands for the same value in every scenario."""
    return arr if (arr.shape[0] == 1 or isinstance(sel, slice)) else arr.take(sel)


class _Running:
    """The running scenarios: their index, loop state and constants as compact arrays.

    Constants shared by every scenario stay length-1 arrays; the state has one entry per
    running scenario.
    """

    def __init__(self, idx: np.ndarray, arrays: dict[str, np.ndarray]):
        self.idx = idx
        self.a = arrays

    def keep(self, sel: np.ndarray) -> None:
        self.idx = self.idx[sel]
        self.a = {key: (v.take(sel) if (key in _STATE or v.shape[0] != 1) else v) for key, v in self.a.items()}

    def get(self, key: str, sel) -> np.ndarray:
        return _pick(self.a[key], sel)

    def __getitem__(self, key: str) -> np.ndarray:
        return self.a[key]

    def __setitem__(self, key: str, value: np.ndarray) -> None:
        self.a[key] = value


def simulate(inp: dict[str, np.ndarray], record: bool = False, accelerate: bool = True) -> dict[str, object]:
    """Run pre-copy for every scenario in ``inp`` (flat arrays of equal length, keys :data:`INPUTS`).

    Returns headline arrays and, when ``record`` is true (length-1 input), the list of rounds.
    ``accelerate=False`` steps every round with :func:`_one_round` (no jumps, no lean loop):
    the reference the accelerated paths are tested and benchmarked against.
    """
    c = R.terms(inp)
    n = max(v.shape[0] for v in inp.values())
    r, M, D, W, uni = c["r"], c["M"], c["D"], c["W"], c["uniform"]
    setup_s = c["setup_s"]

    def full(x):
        return np.broadcast_to(x, (n,))

    # ---- round 0: the full pass over memory -------------------------------------------------
    bytes0 = c["nonzero"] + c["zero"] * c["zero_cost"]
    t0 = R.first_pass_s(bytes0 / r, c["zero"], c["scan"])
    rate0 = np.where(t0 > 0, bytes0 / np.where(t0 > 0, t0, 1.0), r)
    cut0 = full(t0 > c["tr"])
    tau0 = np.minimum(t0, c["tr"])
    d0 = full(dirtied_mib(tau0, D, W, uni))
    frac0 = np.where(t0 > 0, tau0 / np.where(t0 > 0, t0, 1.0), 1.0)

    out = {key: np.zeros(n) for key in ("T", "sent", "rounds", "P", "H", "last")}
    out_code = np.full(n, -1, dtype=np.int64)
    rows: list[tuple] = []
    if record:
        rows.append((0, float(setup_s[0]), float(tau0[0]), float(bytes0[0] * frac0[0]), float(d0[0]), float(d0[0]), "full pass"))
    if cut0.any():
        i = np.flatnonzero(cut0)
        sent0 = full(bytes0 * frac0)[i]
        out["T"][i] = full(tau0)[i]
        out["sent"][i] = sent0
        out["rounds"][i] = 1
        out["last"][i] = sent0
        union = np.minimum(full(c["nonzero"] * (1 - frac0))[i] + d0[i], full(M)[i])
        forced = full(c["force"])[i]
        out["P"][i] = np.where(forced, union, d0[i])
        out_code[i] = np.where(forced, R.TIMEOUT_FORCE, R.TIMEOUT_CANCEL)
        idx = np.flatnonzero(~cut0)
    else:
        idx = np.arange(n)
    c["t0"], c["rate0"] = t0, rate0
    arrays = {key: _pick(c[key], idx if idx.size < n else slice(None)) for key in _CONSTS}
    arrays.update(T=full(t0)[idx], sent=full(bytes0)[idx], k=np.ones(idx.size), P=d0[idx], last=full(M)[idx],
                  before=np.full(idx.size, np.inf))
    run = _Running(idx, arrays)

    H = np.zeros(1)

    def finish(sel: np.ndarray, code, pending=None) -> None:
        ix = run.idx.take(sel)
        for key, src in (("T", "T"), ("sent", "sent"), ("rounds", "k"), ("last", "last")):
            out[key][ix] = run[src].take(sel)
        out["P"][ix] = run["P"].take(sel) if pending is None else pending
        out["H"][ix] = H if H.shape[0] == 1 else H.take(sel)
        out_code[ix] = code

    steps = 0
    alive = None  # None: every scenario in ``run`` is still running; else a mask (lazy compaction)
    while run.idx.size:
        steps += 1
        # ---- the check: does a rule stop it here? --------------------------------------------
        H = R.threshold(run["T"], run["rule_dt"], run["stable"], run["min_dirty"], run["window"], run["t0"],
                        run["rate0"], run["r"], run["limit_s"])
        code = R.stop_code(run["k"], run["T"], run["sent"], run["P"], run["last"], run["before"], H, run["rule_dt"],
                           run["window"], run["maxr"], run["sentcap"], run["grows"])
        if steps > R.MAX_ROUNDS_SIMULATED:
            code = np.where(code < 0, R.GAVE_UP, code)
        stop = code >= 0 if alive is None else (code >= 0) & alive
        # ---- or the timeout (a cut round, or alike rounds until the timeout) ----------------
        per = run["P"] / run["r"]
        stall = R.stalled(run["P"], run["last"], run["T"], run["rule_dt"], run["window"], run["stable"],
                          run["min_dirty"], run["no_caps"])
        cut = ~stop & (stall | (run["T"] + per > run["tr"]))
        if alive is not None:
            cut &= alive
        if stop.any():
            sel = np.flatnonzero(stop)
            finish(sel, code.take(sel))
        if cut.any():
            _cut(run, np.flatnonzero(cut), per, finish, rows if record else None, float(setup_s[0]))
        ended = stop | cut
        if ended.any():
            alive = ~ended if alive is None else alive & ~ended
            n_alive = int(np.count_nonzero(alive))
            if n_alive == 0:
                break
            if n_alive < 0.8 * alive.size:  # drop the ended scenarios once it pays for the copies
                run.keep(np.flatnonzero(alive))
                alive = None
        steps += _advance(run, rows if record else None, float(setup_s[0]), accelerate, alive) - 1

    # ---- stop-and-copy, resume, announce ----------------------------------------------------
    completed = (out_code != R.TIMEOUT_CANCEL) & (out_code != R.GAVE_UP)
    pending = np.where(completed, out["P"], 0.0)
    device = np.where(completed, c["device"], 0.0)
    copy_s, down_s = R.blackout_s(pending, device, c["b_final"], c["b_final"], c["post_s"])
    copy_s = full(copy_s)
    final_mib = pending + device
    total = full(setup_s + out["T"] + np.where(completed, down_s, 0.0))
    result: dict[str, object] = {
        "code": out_code,
        "converged": (out_code == R.CONVERGED) | (out_code == R.FIRST_WINDOW),
        "completed": completed,
        "n_rounds": out["rounds"].astype(np.int64),
        "precopy_time_s": out["T"],
        "total_time_s": total,
        "downtime_ms": np.where(completed, down_s * 1000.0, np.nan),
        "data_sent_mib": out["sent"] + final_mib,
        "final_copy_mib": final_mib,
        "pending_mib": out["P"],
        "last_sent_mib": out["last"],
        "threshold_mib": out["H"],
        "precopy_rate_mib_s": full(r),
        "final_rate_mib_s": full(c["b_final"]),
        "first_pass_s": full(t0),
        "copy_s": copy_s,
    }
    if record:
        if completed[0]:
            rows.append((int(out["rounds"][0]), float(setup_s[0] + out["T"][0]), float(copy_s[0]), float(final_mib[0]),
                         0.0, 0.0, "stop-and-copy"))
        result["rounds"] = rows
    return result


def _cut(run: _Running, sel: np.ndarray, per: np.ndarray, finish, rows: list | None, setup_s: float) -> None:
    """End the rounds of ``sel`` at the timeout (alike rounds first if stalled)."""
    P, T, r, k = run["P"][sel], run["T"][sel], run.get("r", sel), run["k"][sel]
    tr = run.get("tr", sel)
    full, tau, partial = R.timeout_cut(T, per[sel] if per.shape[0] > 1 else per, tr)
    forced = np.broadcast_to(run.get("force", sel), sel.shape)
    if rows is not None or forced.any():  # what the cut round dirtied matters only to a forced stop
        d_tau = dirtied_mib(tau, run.get("D", sel), run.get("W", sel), run.get("uniform", sel))
    if rows is not None:
        _record_alike(rows, int(k[0]), setup_s + float(T[0]), int(full[0]), float(per[0]), float(P[0]))
        if partial[0]:
            rows.append((int(k[0] + full[0]), setup_s + float(T[0] + full[0] * per[0]), float(tau[0]),
                         float(r[0] * tau[0]), float(d_tau[0]), float(d_tau[0]), "cut by timeout"))
    pending = P
    if np.any(partial & forced):
        pending = np.where(partial & forced, R.forced_pending(P - r * tau, d_tau, run.get("W", sel), run.get("M", sel)), P)
    run["sent"][sel] = run["sent"][sel] + full * P + np.where(partial, r * tau, 0.0)
    run["T"][sel] = np.maximum(tr, T)
    run["k"][sel] = k + full + partial
    run["last"][sel] = np.where(partial, r * tau, np.where(full > 0, P, run["last"][sel]))
    finish(sel, np.where(forced, R.TIMEOUT_FORCE, R.TIMEOUT_CANCEL), np.broadcast_to(pending, sel.shape))


def _record_alike(rows: list, first: int, start: float, count: int, per: float, size: float) -> None:
    if count > R.MAX_RECORDED_REPEATS:  # one summary row instead of thousands of equal ones
        rows.append((first, start, count * per, count * size, size, size, f"{count} equal dirty passes"))
        return
    for j in range(count):
        rows.append((first + j, start + j * per, per, size, size, size, "dirty pass"))


def _advance(run: _Running, rows: list | None, setup_s: float, accelerate: bool = True, alive=None) -> int:
    """Move every running scenario to its next check (a jump, lean rounds, or one round).

    Returns the most rounds stepped one by one (for the safety net)."""
    T, P, last = run["T"], run["P"], run["last"]
    D, r, W = run["D"], run["r"], run["W"]
    # the checks a jump skips start after the next round: their threshold must no longer move
    settled = np.broadcast_to(~run["rule_dt"] | (run["window"] <= 0) | (T + P / r >= run["t0"] + 2 * run["window"]), T.shape)
    ws = settled & ~run["uniform"] & (P > 0)
    with np.errstate(under="ignore", invalid="ignore"):
        geo = ws & (((D < r) & (D / r > 0)) | ((D > r) & (P < W)))  # λ = 0 (underflow): a plain round
        # rounds that no longer change: the next one leaves exactly P dirty (a saturated working set)
        const = settled & ~geo & ((P == last) | (ws & ((D == r) | (np.minimum(D * (P / r), W) == P))))
    lean = settled & ~geo & ~const & run["uniform"]
    if not accelerate:
        geo = const = lean = np.zeros_like(settled)
    step = ~(geo | const | lean)
    if alive is not None:  # ended scenarios not dropped yet: leave them alone
        geo, const, lean, step = geo & alive, const & alive, lean & alive, step & alive
    steps = 1
    for mask, fn in ((geo, _jump_geometric), (const, _jump_constant), (lean, _lean_rounds), (step, _one_round)):
        if mask.any():
            steps = max(steps, fn(run, np.flatnonzero(mask) if not mask.all() else slice(None), rows, setup_s) or 1)
    return steps


def _one_round(run: _Running, s, rows: list | None, setup_s: float) -> None:
    """One exact round: send ``P`` at ``r``, dirty what the pattern says meanwhile."""
    P = run["P"][s]
    dur = P / run.get("r", s)
    d = dirtied_mib(dur, run.get("D", s), run.get("W", s), run.get("uniform", s))
    if rows is not None:
        rows.append((int(run["k"][0]), setup_s + float(run["T"][0]), float(dur[0]), float(P[0]), float(d[0]), float(d[0]), "dirty pass"))
    run["T"][s] = run["T"][s] + dur
    run["sent"][s] = run["sent"][s] + P
    run["k"][s] = run["k"][s] + 1
    run["before"][s] = run["last"][s]
    run["last"][s] = P
    run["P"][s] = d


def _lean_rounds(run: _Running, s, rows: list | None, setup_s: float) -> int:
    """Uniform writes: exact rounds (the arithmetic of :func:`_one_round`) until some rule could act.

    ``P' = W·(1 - exp(-D·(P/r)/W))`` has no closed form over many rounds, so the rounds run
    here in a tight loop over the scenarios still between checks, leaving each one at the
    first check where a rule, a cap or the timeout could act (the general check decides).
    A scenario that leaves keeps being computed (and ignored) until enough have left to make
    dropping them worth a copy.
    """
    home = np.arange(run.idx.size)[s]
    T, sent, k, P, last, before = (run[key][s] for key in _STATE)
    c = {key: run.get(key, s) for key in ("r", "D", "W", "rule_dt", "stable", "min_dirty", "maxr", "sentcap", "grows",
                                          "tr", "no_caps")}
    c["H"] = np.where(c["rule_dt"], c["stable"], c["min_dirty"])
    # which rules can act at all here (constants shared by every scenario are tested once)
    all_dt = R._never(c["rule_dt"], lambda v: v.all())
    tests = [name for name, off in (("maxr", R._never(c["maxr"], lambda v: np.isinf(v).all())),
                                    ("sentcap", R._never(c["sentcap"], lambda v: np.isinf(v).all())),
                                    ("grows", R._never(c["grows"], lambda v: not v.any())),
                                    ("tr", R._never(c["tr"], lambda v: np.isinf(v).all())),
                                    ("no_caps", R._never(c["no_caps"], lambda v: not v.any()))) if not off]
    alive = np.ones(home.size, dtype=bool)
    n_alive = home.size
    parts: list[tuple] = []
    dur = P / c["r"]
    rounds = 0
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        for rounds in range(1, R.MAX_ROUNDS_SIMULATED + 1):
            d = c["W"] * -np.expm1(-(c["D"] * dur) / c["W"])  # dirtied_mib's uniform branch, operation for operation
            if rows is not None:
                rows.append((int(k[0]), setup_s + float(T[0]), float(dur[0]), float(P[0]), float(d[0]), float(d[0]), "dirty pass"))
            T = T + dur
            sent = sent + P
            k = k + 1.0
            before = last
            last = P
            P = d
            dur = P / c["r"]
            act = P < c["H"] if all_dt else (np.where(c["rule_dt"], P, last) < c["H"]) | (P <= 0)
            for name in tests:
                if name == "maxr":
                    act |= k >= c["maxr"]
                elif name == "sentcap":
                    act |= sent > c["sentcap"]
                elif name == "grows":
                    act |= c["grows"] & (last > before)
                elif name == "tr":
                    act |= T + dur > c["tr"]
                else:
                    act |= c["no_caps"] & (P == last)
            act &= alive
            if not act.any():
                continue
            i = np.flatnonzero(act)
            parts.append((home.take(i), T.take(i), sent.take(i), k.take(i), P.take(i), last.take(i), before.take(i)))
            alive[i] = False
            n_alive -= i.size
            if n_alive == 0:
                break
            if n_alive < 0.7 * alive.size:  # drop the scenarios that left
                keep = np.flatnonzero(alive)
                home, T, sent, k, P, last, before, dur = (x.take(keep) for x in (home, T, sent, k, P, last, before, dur))
                c = {key: _pick(v, keep) for key, v in c.items()}
                alive = np.ones(keep.size, dtype=bool)
        else:  # safety net: leave the rest at a check; the step counter ends them
            keep = np.flatnonzero(alive)
            parts.append(tuple(x.take(keep) for x in (home, T, sent, k, P, last, before)))
    where = np.concatenate([p[0] for p in parts])
    for j, key in enumerate(_STATE, start=1):
        run[key][where] = np.concatenate([p[j] for p in parts])
    return rounds


def _first(pred, lo: np.ndarray) -> np.ndarray:
    """Correct an estimate ``lo`` of the first ``j >= 1`` where ``pred(j)`` holds (monotone in j)."""
    j = np.maximum(lo, 1.0)
    back = (j > 1) & pred(j - 1)
    j = np.where(back, j - 1, j)
    return np.where(pred(j), j, j + 1)


def _jump_geometric(run: _Running, s, rows: list | None, setup_s: float) -> None:
    """Working set with ``λ = D/r ≠ 1``: jump to the first check at which anything could act.

    After ``j`` more rounds: ``P' = P·λ^j``, the round just sent ``P·λ^(j-1)``, time
    ``T + P(1 - λ^j)/((1 - λ)·r)``, sent ``sent + P(1 - λ^j)/(1 - λ)``. With ``λ > 1`` the
    dirty set grows until it fills the working set ``W``, where the jump also lands. Each
    rule's first ``j`` comes from a logarithm and is then corrected with the very expressions
    the jump uses, so the landing check sees exactly the values it decides on.
    """
    P, T, sent, k = run["P"][s], run["T"][s], run["sent"][s], run["k"][s]
    r = run.get("r", s)
    lam = run.get("D", s) / r
    rule_dt, tr = run.get("rule_dt", s), run.get("tr", s)
    H = np.where(rule_dt, run.get("stable", s), run.get("min_dirty", s))
    ll = np.log(lam)
    one_minus = 1.0 - lam
    shrink = lam < 1
    W = run.get("W", s)

    def pw(j):
        return np.exp(j * ll)

    def geo(j):
        return -np.expm1(j * ll) / one_minus

    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # converged: P·λ^j < H (downtime rule) or P·λ^(j-1) < H (the round just sent, Xen)
        est = np.floor(np.log(H / P) / ll) + np.where(rule_dt, 1.0, 2.0)
        j_conv = _first(lambda j: P * pw(np.where(rule_dt, j, j - 1)) < H, np.where(shrink, est, 1.0))
        # a growing dirty set converges only by the round just sent (Xen), at once or never
        j_conv = np.where(shrink, j_conv, np.where(~rule_dt & (P < H), 1.0, np.inf))
        if shrink.all():
            j_full = np.inf
        else:
            est = np.where(shrink, np.inf, np.floor(np.log(W / P) / ll))
            j_full = np.where(shrink, np.inf, _first(lambda j: P * pw(j) >= W, np.nan_to_num(est, posinf=1.0)))
        j_cap = run.get("maxr", s) - k
        cap = run.get("sentcap", s)
        if R._never(cap, lambda v: np.isinf(v).all()):
            j_sent = np.inf
        else:
            q = 1.0 - (cap - sent) * one_minus / P
            est = np.where(q > 0, np.floor(np.log(q) / ll) + 1.0, np.inf)
            j_sent = np.where(np.isfinite(est), _first(lambda j: sent + P * geo(j) > cap, np.nan_to_num(est, posinf=1.0)), np.inf)
        if R._never(tr, lambda v: np.isinf(v).all()):
            j_fit = np.inf
        else:
            qt = 1.0 - (tr - T) * r * one_minus / P
            est = np.where(qt > 0, np.floor(np.log(qt) / ll), np.inf)
            j_fit = np.where(np.isfinite(est), _first(lambda j: (T + P * geo(j) / r) + (P * pw(j)) / r > tr, np.nan_to_num(est, posinf=1.0)), np.inf)
    # a growing dirty set: the round just sent outgrows the one before at once (or after one round)
    grows = run.get("grows", s)
    j_grow = np.inf if R._never(grows, lambda g: not g.any()) else np.where(grows & ~shrink, np.where(P > run["last"][s], 1.0, 2.0), np.inf)
    j = np.minimum(np.minimum(np.minimum(j_conv, j_cap), np.minimum(j_sent, j_fit)), np.minimum(j_full, j_grow))
    j = np.maximum(j, 1.0)
    if rows is not None:
        _record_geometric(rows, int(k[0]), setup_s + float(T[0]), int(j[0]), float(P[0]), float(lam[0]), float(r[0]), float(W[0]))
    with np.errstate(over="ignore", under="ignore"):  # e.g. λ^-1 for a tiny λ, discarded by where
        run["T"][s] = T + P * geo(j) / r
        run["sent"][s] = sent + P * geo(j)
        run["k"][s] = k + j
        run["before"][s] = np.where(j >= 2, P * pw(j - 2), run["last"][s])
        run["last"][s] = P * pw(j - 1)
        run["P"][s] = np.minimum(P * pw(j), W)


def _record_geometric(rows: list, first: int, start: float, count: int, P: float, lam: float, r: float, W: float) -> None:
    if count > R.MAX_RECORDED_REPEATS:
        total = P * -np.expm1(count * np.log(lam)) / (1 - lam)
        end = min(P * lam**count, W)
        rows.append((first, start, total / r, total, end, end, f"{count} geometric dirty passes"))
        return
    sizes = np.minimum(P * lam ** np.arange(count + 1), W)
    starts = start + np.concatenate(([0.0], np.cumsum(sizes[:-1] / r)))
    for j in range(count):
        rows.append((first + j, float(starts[j]), float(sizes[j] / r), float(sizes[j]), float(sizes[j + 1]),
                     float(sizes[j + 1]), "dirty pass"))


def _jump_constant(run: _Running, s, rows: list | None, setup_s: float) -> None:
    """Rounds that no longer change (each leaves ``P`` dirty again): jump to the rule, cap or timeout that ends them."""
    P, T, sent, k = run["P"][s], run["T"][s], run["sent"][s], run["k"][s]
    per = P / run.get("r", s)
    tr, cap = run.get("tr", s), run.get("sentcap", s)
    with np.errstate(divide="ignore", invalid="ignore"):
        j_cap = run.get("maxr", s) - k
        if R._never(cap, lambda v: np.isinf(v).all()):
            j_sent = np.inf
        else:
            est = np.floor((cap - sent) / P) + 1.0
            j_sent = np.where(np.isfinite(est), _first(lambda j: sent + j * P > cap, np.nan_to_num(est, posinf=1.0)), np.inf)
        if R._never(tr, lambda v: np.isinf(v).all()):
            j_fit = np.inf
        else:
            est = np.floor((tr - T) / per)
            j_fit = np.where(np.isfinite(est), _first(lambda j: (T + j * per) + per > tr, np.nan_to_num(est, posinf=1.0)), np.inf)
    # after one round the round just sent is P: it may outgrow the one before, or be small enough (Xen)
    grows = run.get("grows", s)
    j_grow = np.inf if R._never(grows, lambda g: not g.any()) else np.where(grows & (P > run["last"][s]), 1.0, np.inf)
    j_conv = np.where(~run.get("rule_dt", s) & (P < run.get("min_dirty", s)), 1.0, np.inf)
    j = np.maximum(np.minimum(np.minimum(np.minimum(j_cap, j_sent), j_fit), np.minimum(j_grow, j_conv)), 1.0)
    j = np.where(np.isfinite(j), j, 1.0)
    if rows is not None:
        _record_alike(rows, int(k[0]), setup_s + float(T[0]), int(j[0]), float(per[0]), float(P[0]))
    run["T"][s] = T + j * per
    run["sent"][s] = sent + j * P
    run["k"][s] = k + j
    run["before"][s] = np.where(j >= 2, P, run["last"][s])
    run["last"][s] = P


CHUNK = 1 << 15
"""Scenarios simulated together: small enough for the arrays to stay in the CPU cache, big
enough to share the fixed cost of each numpy call (measured: 32k rows a little faster than 16k)."""
CHUNK_UNIFORM = 1 << 18
"""Chunk for uniform writes: their rounds run one by one in a Python-level loop, whose fixed
cost per round is shared by more scenarios in a bigger chunk (measured: 4x faster than 16k)."""


def simulate_many(inp: dict[str, np.ndarray], keys: tuple[str, ...] | None = None, accelerate: bool = True) -> dict[str, np.ndarray]:
    """:func:`simulate` in chunks; returns the headline arrays named in ``keys`` (all by default)."""
    n = max(v.shape[0] for v in inp.values())
    chunk = CHUNK_UNIFORM if np.any(inp["uniform"]) else CHUNK
    if n <= chunk:
        out = simulate(inp, accelerate=accelerate)
        return {key: out[key] for key in (keys or out)}
    result: dict[str, np.ndarray] = {}
    for i in range(0, n, chunk):
        part = simulate({key: (v if v.shape[0] == 1 else v[i : i + chunk]) for key, v in inp.items()}, accelerate=accelerate)
        if not result:  # allocate the outputs once, with the dtypes the engine returns
            result = {key: np.empty(n, dtype=part[key].dtype) for key in (keys or part)}
        for key, arr in result.items():
            arr[i : i + chunk] = part[key]
    return result
