"""A page-level, stochastic pre-copy simulator: a dirty bitmap, page by page.

The analytic model (:mod:`vmlab.migration.dirty`) says how much memory a round dirties *on
average*. This simulator instead keeps the hypervisor's dirty bitmap, one bit per guest page
(a 64 GiB guest has 16 M 4-KiB pages), and samples which pages the guest writes during each
round. Pre-copy then runs round by round with exactly the stop rules of :func:`vmlab.precopy`
(it uses the same loop, :func:`vmlab.migration.autoconverge.run_rounds`), re-sending the
pages whose bits are set, and returns the same kind of result.

**Writes.** The guest writes to its region of R pages (``vm.region_mib``: the writable
working set, within the non-zero pages) at ``D`` MiB/s, i.e. ``λ = D·t / page`` page writes in
a round of length ``t`` (Poisson). A share ``s = hot_write_share`` of the writes lands on the
hot pages (the first ``H = hot_fraction·R`` pages of the region), the rest on the cold ones,
uniformly within each. By the Poisson splitting property each page is then hit independently,
with probability

    p_hot = 1 - exp(-s·λ / H),      p_cold = 1 - exp(-(1 - s)·λ / (R - H)),

so a round's dirty bitmap is sampled exactly, in time proportional to the pages it marks:
the gaps between marked pages are geometric with parameter ``p`` (or a Bernoulli draw per
page when ``p`` is large).

**Agreement with the analytic model.** The expected dirty set of a round is
``H·p_hot + (R - H)·p_cold`` pages; with ``hot_write_share == hot_fraction`` this is the
``"uniform"`` pattern of :func:`vmlab.migration.dirty.dirtied_mib`, ``R·(1 - exp(-λ/R))``.
:func:`analytic_mix` is that expectation as a deterministic model. Stated bound (tested in
``tests/test_pagesim.py``): for a guest with at least 65 536 pages and a decision that is not
on a knife edge (the analytic final dirty set at least 10 % away from the threshold), the mean
over 8 seeds of ``total_time_s`` and ``data_sent_mib`` is within 2 % of the analytic model,
and every seed takes the same number of rounds. The relative spread of a round's dirty set is
about ``1/sqrt(pages dirtied)``, 0.2 % for a quarter of a million pages.

Randomness enters only through a seeded :class:`numpy.random.Generator`.
"""

from __future__ import annotations

import math
from typing import Any
from dataclasses import dataclass, field
import numpy as np
import pandas as pd

from vmlab._checks import check_int, check_number, check_type
from vmlab.migration.autoconverge import AutoConvergePolicy, RoundsResult, run_rounds
from vmlab.migration.params import VM, Link, PrecopyPolicy
from vmlab.units import pages_to_mib

__all__ = ["PageSimResult", "simulate_pages", "analytic_mix", "PagesimAgreement", "pagesim_agreement"]

MAX_PAGES = 2**27
"""Most guest pages the simulator keeps a bitmap for (512 GiB of 4 KiB pages, a 128 MiB bitmap)."""


@dataclass(frozen=True)
class PageSimResult(RoundsResult):
    """A :class:`~vmlab.PrecopyResult` (via :class:`RoundsResult`) from the page simulator.

    Extra attributes
    ----------------
    n_pages : int
        Guest pages.
    hot_fraction, hot_write_share : float
        The hot/cold mix that was simulated.
    bitmap : numpy.ndarray
        ``(rows, bins)``: share of the pages in each address bin that were dirty at the end
        of each sampled period (row ``i`` = the pages dirtied during round ``i``).
    bitmap_rounds : numpy.ndarray
        The round index of each bitmap row.
    bin_mib : float
        Memory per bitmap bin, MiB.
    """

    n_pages: int
    hot_fraction: float
    hot_write_share: float
    bitmap: np.ndarray = field(repr=False)
    bitmap_rounds: np.ndarray = field(repr=False)
    bin_mib: float


def _check_args(vm: Any, link: Any, policy: Any) -> PrecopyPolicy:
    check_type("argument vm", vm, VM, "a VM")
    check_type("argument link", link, Link, "a Link")
    policy = PrecopyPolicy.qemu() if policy is None else policy
    check_type("argument policy", policy, PrecopyPolicy, "a PrecopyPolicy")
    pages = vm.memory_mib / pages_to_mib(1.0, vm.page_size_kib)
    if pages > MAX_PAGES:
        raise ValueError(
            f"VM.memory_mib ({vm.memory_mib:g} MiB) holds {pages:.4g} pages of {vm.page_size_kib} KiB; the page "
            f"simulator keeps a bitmap of at most {MAX_PAGES:,} pages (use bigger pages or the analytic model)"
        )
    return policy


def _layout(vm: VM, hot_fraction: float) -> tuple[int, int, int, float]:
    page_mib = pages_to_mib(1.0, vm.page_size_kib)
    n_pages = max(1, int(round(vm.memory_mib / page_mib)))
    region = int(round(vm.region_mib / page_mib))
    hot = int(round(hot_fraction * region))
    return n_pages, region, hot, page_mib


def _check_mix(hot_fraction: float, hot_write_share: float) -> tuple[float, float]:
    f = check_number("hot_fraction", hot_fraction, minimum=0, maximum=1, min_inclusive=False)
    s = check_number("hot_write_share", hot_write_share, minimum=0, maximum=1)
    if f == 1.0 and s < 1.0:
        raise ValueError(f"hot_write_share must be 1 when hot_fraction is 1 (no cold pages); got {s:g}")
    return f, s


def _hit_probabilities(writes: float, s: float, hot: int, cold: int) -> tuple[float, float]:
    p_hot = -math.expm1(-s * writes / hot) if hot > 0 and writes > 0 else 0.0
    p_cold = -math.expm1(-(1.0 - s) * writes / cold) if cold > 0 and writes > 0 else 0.0
    return p_hot, p_cold


def _sample_hits(rng: np.random.Generator, n: int, p: float) -> np.ndarray:
    """Indices in ``range(n)`` each chosen independently with probability ``p`` (sorted)."""
    if n <= 0 or p <= 0.0:
        return np.empty(0, dtype=np.int64)
    if p >= 1.0:
        return np.arange(n, dtype=np.int64)
    if p > 0.25:
        return np.flatnonzero(rng.random(n, dtype=np.float32) < p)
    # geometric gaps between hits: cost proportional to the number of hits
    mean = n * p
    parts = []
    pos = -1
    while True:
        k = int(mean + 6.0 * math.sqrt(mean) + 16)
        # geometric(p) gaps by inversion: floor(log(U) / log(1 - p)) + 1, U in (0, 1]
        u = 1.0 - rng.random(k)
        gaps = (np.log(u) * (1.0 / math.log1p(-p))).astype(np.int64) + 1
        idx = pos + np.cumsum(gaps)
        if idx[-1] >= n:
            parts.append(idx[idx < n])
            break
        parts.append(idx)
        pos = int(idx[-1])
    return np.concatenate(parts) if len(parts) > 1 else parts[0]


def analytic_mix(vm: VM, *, hot_fraction: float = 0.1, hot_write_share: float = 0.9):
    """The expected dirtying of the simulator's hot/cold mix, for :func:`run_rounds`.

    ``dirtied = page·(H·p_hot + (R - H)·p_cold)`` MiB (see the module docstring).

    >>> vm = VM(memory_mib=1024, dirty_rate_mib_s=100, wws_mib=512)
    >>> uniform = analytic_mix(vm, hot_fraction=0.25, hot_write_share=0.25)
    >>> round(uniform(2.0, 100.0, 1), 1)      # = 512·(1 - exp(-200/512)), the "uniform" pattern
    165.6
    >>> round(analytic_mix(vm, hot_fraction=0.25, hot_write_share=0.9)(2.0, 100.0, 1), 1)
    116.1
    """
    check_type("vm", vm, VM, "a VM")
    f, s = _check_mix(hot_fraction, hot_write_share)
    n_pages, region, hot, page_mib = _layout(vm, f)
    cold = region - hot

    def dirty(duration_s: float, rate_mib_s: float, round_index: int) -> float:
        if math.isinf(rate_mib_s) and duration_s > 0:
            return region * page_mib
        writes = rate_mib_s * duration_s / page_mib if duration_s > 0 else 0.0
        p_hot, p_cold = _hit_probabilities(writes, s, hot, cold)
        return page_mib * (hot * p_hot + cold * p_cold)

    return dirty


def simulate_pages(
    vm: VM,
    link: Link,
    policy: PrecopyPolicy | None = None,
    *,
    hot_fraction: float = 0.1,
    hot_write_share: float = 0.9,
    seed: int | np.random.Generator = 0,
    bitmap_bins: int = 256,
    throttle: AutoConvergePolicy | None = None,
) -> PageSimResult:
    """Run pre-copy on a page-level dirty bitmap with random hot/cold writes.

    Parameters
    ----------
    vm, link, policy
        As for :func:`vmlab.precopy`. The simulator always draws random writes; compare it
        with ``dirty_pattern="uniform"`` or with :func:`analytic_mix`.
    hot_fraction : float
        Share of the written region that is hot, in (0, 1].
    hot_write_share : float
        Share of the writes that land on the hot pages, in [0, 1]. Equal to
        ``hot_fraction``: uniform writes over the region.
    seed : int or numpy.random.Generator
        Randomness (a seed makes the run reproducible).
    bitmap_bins : int
        Columns of the recorded bitmap heatmap (address bins).
    throttle : AutoConvergePolicy, optional
        Auto-converge on top.

    Returns
    -------
    PageSimResult

    Examples
    --------
    >>> vm = VM(memory_mib=1024, dirty_rate_mib_s=40, wws_mib=512, dirty_pattern="uniform")
    >>> r = simulate_pages(vm, Link(bandwidth_mib_s=119.2), seed=1)
    >>> r.n_pages, r.converged, r.bitmap.shape[1]
    (262144, True, 256)
    >>> simulate_pages(vm, Link(), seed=1).total_time_s == simulate_pages(vm, Link(), seed=1).total_time_s
    True
    """
    policy = _check_args(vm, link, policy)
    f, s = _check_mix(hot_fraction, hot_write_share)
    bins = check_int("bitmap_bins", bitmap_bins, minimum=1, maximum=4096)
    if isinstance(seed, np.random.Generator):
        rng = seed
    else:
        rng = np.random.default_rng(check_int("seed", seed, minimum=0))
    n_pages, region, hot, page_mib = _layout(vm, f)
    cold = region - hot
    bins = min(bins, n_pages)
    bin_pages = -(-n_pages // bins)
    bitmap = np.zeros(n_pages, dtype=bool)  # the hypervisor's dirty log for the current round
    rows: list[np.ndarray] = []
    row_rounds: list[int] = []

    bin_starts = np.arange(bins, dtype=np.int64) * bin_pages
    clears: list[tuple] = []  # how to clear what the last round marked: ("range", a, b) or ("pages", idx)

    def range_counts(a: int, b: int) -> np.ndarray:
        """Pages of [a, b) in each address bin."""
        return np.clip(np.minimum(bin_starts + bin_pages, b) - np.maximum(bin_starts, a), 0, None)

    def dirty(duration_s: float, rate_mib_s: float, round_index: int) -> float:
        # a new round starts with a clean log (QEMU: bitmap sync), cleared where it was set
        for clear in clears:
            if clear[0] == "range":
                bitmap[clear[1]:clear[2]] = False
            else:
                bitmap[clear[1]] = False
        clears.clear()
        counts = np.zeros(bins, dtype=np.int64)
        n_dirty = 0
        if duration_s > 0 and math.isinf(rate_mib_s):
            parts = [(0, region, 1.0)]
        else:
            mean_writes = rate_mib_s * duration_s / page_mib if duration_s > 0 else 0.0
            writes = float(rng.poisson(mean_writes)) if 0 < mean_writes < 1e15 else mean_writes
            p_hot, p_cold = _hit_probabilities(writes, s, hot, cold)
            parts = [(0, hot, p_hot), (hot, cold, p_cold)]
        for offset, n, p in parts:
            if n <= 0 or p <= 0.0:
                continue
            if p > 0.5:
                # mostly dirty: mark the whole part, then sample the pages left clean (1 - p)
                clean = offset + _sample_hits(rng, n, 1.0 - p)
                bitmap[offset:offset + n] = True
                bitmap[clean] = False
                clears.append(("range", offset, offset + n))
                n_dirty += n - clean.size
                counts += range_counts(offset, offset + n) - np.bincount(clean // bin_pages, minlength=bins)[:bins]
            else:
                hits = offset + _sample_hits(rng, n, p)
                bitmap[hits] = True
                clears.append(("pages", hits))
                n_dirty += hits.size
                counts += np.bincount(hits // bin_pages, minlength=bins)[:bins]
        # heatmap row: dirty share per address bin
        rows.append(counts / bin_pages)
        row_rounds.append(round_index)
        return n_dirty * page_mib

    result = run_rounds(vm, link, policy, dirty=dirty, throttle=throttle, fast_forward=False)
    return PageSimResult(
        **{k: getattr(result, k) for k in result.__dataclass_fields__},
        n_pages=n_pages,
        hot_fraction=f,
        hot_write_share=s,
        bitmap=np.vstack(rows) if rows else np.zeros((0, bins)),
        bitmap_rounds=np.asarray(row_rounds, dtype=np.int64),
        bin_mib=bin_pages * page_mib,
    )


@dataclass(frozen=True)
class PagesimAgreement:
    """Page simulator runs over several seeds against the analytic model of the same mix.

    Attributes
    ----------
    runs : pandas.DataFrame
        One row per seed: seed, n_rounds, total_time_s, downtime_ms, data_sent_mib, converged.
    analytic : RoundsResult
        :func:`run_rounds` with :func:`analytic_mix` (the expectation).
    relative_error : dict
        metric -> |mean over seeds - analytic| / analytic, for total_time_s, data_sent_mib,
        downtime_ms.
    knife_edge : bool
        The analytic dirty set at some round boundary is within 10 % of the threshold: a
        little noise can add or save a round, so the bound is not claimed there.
    """

    runs: pd.DataFrame
    analytic: RoundsResult = field(repr=False)
    relative_error: dict
    knife_edge: bool


def pagesim_agreement(
    vm: VM,
    link: Link,
    policy: PrecopyPolicy | None = None,
    *,
    n_seeds: int = 8,
    first_seed: int = 0,
    hot_fraction: float = 0.1,
    hot_write_share: float = 0.9,
) -> PagesimAgreement:
    """Run :func:`simulate_pages` for ``n_seeds`` seeds and compare with :func:`analytic_mix`.

    >>> vm = VM(memory_mib=1024, dirty_rate_mib_s=40, wws_mib=512)
    >>> a = pagesim_agreement(vm, Link(bandwidth_mib_s=119.2), n_seeds=4)
    >>> a.knife_edge, a.relative_error["total_time_s"] < 0.02
    (False, True)
    """
    n = check_int("n_seeds", n_seeds, minimum=1, maximum=10_000)
    first_seed = check_int("first_seed", first_seed, minimum=0)
    policy = _check_args(vm, link, policy)
    analytic = run_rounds(vm, link, policy, dirty=analytic_mix(vm, hot_fraction=hot_fraction, hot_write_share=hot_write_share))
    rows = []
    for seed in range(first_seed, first_seed + n):
        r = simulate_pages(vm, link, policy, hot_fraction=hot_fraction, hot_write_share=hot_write_share, seed=seed, bitmap_bins=1)
        rows.append((seed, r.n_rounds, r.total_time_s, r.downtime_ms, r.data_sent_mib, r.converged))
    runs = pd.DataFrame(rows, columns=["seed", "n_rounds", "total_time_s", "downtime_ms", "data_sent_mib", "converged"])
    err = {}
    for metric in ("total_time_s", "data_sent_mib", "downtime_ms"):
        ref = getattr(analytic, metric)
        mean = float(runs[metric].mean())
        err[metric] = abs(mean - ref) / abs(ref) if ref and math.isfinite(ref) and math.isfinite(mean) else math.nan
    live = analytic.rounds[analytic.rounds["phase"] != "stop-and-copy"]["remaining_mib"].to_numpy()
    thr = analytic.threshold_mib
    knife = thr > 0 and bool(np.any(np.abs(live - thr) < 0.1 * thr))
    return PagesimAgreement(runs=runs, analytic=analytic, relative_error=err, knife_edge=bool(knife))
