"""Zero-downtime maintenance: empty a host by live-migrating every VM off it.

N VMs of mixed sizes and dirty rates leave one host over one shared link. Migrations run
``k`` at a time (``parallel=k``); the link's bandwidth B is shared equally, so each running
migration gets ``B / k`` (further limited by the policy's rate cap, e.g. QEMU's 128 MiB/s).
Each VM's migration is the pre-copy model (:func:`vmlab.precopy_many`, one vectorised call for
the whole fleet, every field of each VM counted as :func:`vmlab.precopy` counts it), and the VMs are list-scheduled in the chosen order onto the ``k`` slots: the
next VM starts as soon as a slot is free.

Because at most k migrations run at once, each at most ``B / k``, the link never carries more
than B, so whatever the order and k:

    time until the host is empty  >=  bytes moved / B.

A fixed share per slot is conservative: when fewer than k migrations are left, a real link
would give the stragglers more bandwidth. Parallel migrations finish the batch sooner when a
per-migration cap (QEMU's ``max-bandwidth``) leaves the link idle, but each gets less bandwidth,
so dirty pages are re-sent more often and each blackout copies at ``B / k``: downtimes grow.
The order does not change any single migration here; it changes when each VM leaves (the
mean completion time, smallest with shortest-first) and, with ``k > 1``, how well the slots
are packed at the end (largest-first packs best).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from vmlab._checks import check_choice, check_int, check_number, check_type
from vmlab.migration.params import VM, Link, PrecopyPolicy
from vmlab.migration.precopy import precopy_many
from vmlab.units import mib_to_gib

__all__ = ["ORDERS", "EvacuationResult", "evacuate", "compare_evacuations", "random_fleet", "migrate_fleet", "schedule"]

ORDERS = ("given", "smallest_first", "largest_first", "least_dirty_first", "most_dirty_first", "shortest_first", "longest_first")
"""Orders in which a host's VMs can leave (``shortest``/``longest``: by predicted migration time)."""


def random_fleet(n_vms: int = 8, *, seed: int = 0, memory_mib: Sequence[float] = (1024, 2048, 4096, 8192, 16384),
                 max_dirty_rate_mib_s: float = 120.0, wws_share: float = 0.25) -> list[VM]:
    """A reproducible mix of VMs: sizes drawn from ``memory_mib``, dirty rates uniform in [0, max].

    Each VM writes to a working set of ``wws_share`` of its memory.

    >>> fleet = random_fleet(4, seed=1)
    >>> len(fleet), all(isinstance(v, VM) for v in fleet)
    (4, True)
    >>> [v.memory_mib for v in fleet] == [v.memory_mib for v in random_fleet(4, seed=1)]
    True
    """
    n = check_int("n_vms", n_vms, minimum=1, maximum=10_000)
    check_number("max_dirty_rate_mib_s", max_dirty_rate_mib_s, minimum=0)
    check_number("wws_share", wws_share, minimum=0, maximum=1, min_inclusive=False)
    rng = np.random.default_rng(check_int("seed", seed, minimum=0))
    sizes = rng.choice(np.asarray(memory_mib, dtype=float), size=n)
    rates = rng.uniform(0.0, max_dirty_rate_mib_s, size=n)
    return [VM(memory_mib=float(m), dirty_rate_mib_s=float(round(d, 1)), wws_mib=float(m * wws_share)) for m, d in zip(sizes, rates)]


def _check_names(names, n: int) -> list[str]:
    """Labels for ``n`` VMs (default ``vm0``, ``vm1``...), one string each."""
    if names is None:
        return [f"vm{i}" for i in range(n)]
    if isinstance(names, str) or not isinstance(names, Sequence):
        raise TypeError(f"names must be a list of strings, one per VM; got {type(names).__name__}")
    if len(names) != n:
        raise ValueError(f"names must have one label per VM ({n}); got {len(names)}")
    for i, label in enumerate(names):
        if not isinstance(label, str):
            raise TypeError(f"names[{i}] must be a string; got {label!r:.40} of type {type(label).__name__}")
    return list(names)


def _check_vms(vms: Sequence[VM], name: str = "vms") -> list[VM]:
    if isinstance(vms, VM) or not isinstance(vms, Sequence) or len(vms) == 0:
        raise TypeError(f"{name} must be a non-empty list of VM; got {type(vms).__name__}")
    for i, v in enumerate(vms):
        if not isinstance(v, VM):
            raise TypeError(f"{name}[{i}] must be a VM; got {type(v).__name__}")
    return list(vms)


def migrate_fleet(vms: Sequence[VM], link: Link, policy: PrecopyPolicy | None = None) -> pd.DataFrame:
    """Pre-copy every VM of ``vms`` over ``link`` alone (vectorised; one row per VM, in order).

    Each row is what :func:`vmlab.precopy` returns for that VM (see :func:`vmlab.precopy_many`).
    Columns: memory_mib, dirty_rate_mib_s, converged, completed, stop, n_rounds, total_time_s,
    downtime_ms, data_sent_mib.

    >>> df = migrate_fleet([VM(memory_mib=1024), VM(memory_mib=2048)], Link(bandwidth_mib_s=128))
    >>> df["total_time_s"].round(2).tolist()
    [8.03, 16.03]
    """
    vms = _check_vms(vms)
    return precopy_many(vms, link, policy)


def _order(order: str, vms: Sequence[VM], durations: np.ndarray) -> np.ndarray:
    check_choice("order", order, ORDERS)
    mem = np.array([v.memory_mib for v in vms])
    rate = np.array([v.dirty_rate for v in vms])
    keys = {
        "given": np.arange(len(vms)),
        "smallest_first": mem,
        "largest_first": -mem,
        "least_dirty_first": rate,
        "most_dirty_first": -rate,
        "shortest_first": durations,
        "longest_first": -durations,
    }
    return np.argsort(keys[order], kind="stable")


def schedule(durations: np.ndarray, order: np.ndarray, parallel: int) -> tuple[np.ndarray, np.ndarray]:
    """List scheduling: in ``order``, each job starts on the earliest free of ``parallel`` slots.

    Returns (start times, slot numbers), indexed like ``durations``.

    >>> start, slot = schedule(np.array([3.0, 1.0, 2.0]), np.array([0, 1, 2]), 2)
    >>> start.tolist(), slot.tolist()
    ([0.0, 0.0, 1.0], [0, 1, 1])
    """
    free = np.zeros(parallel)
    start = np.zeros(len(durations))
    slot = np.zeros(len(durations), dtype=np.int64)
    for i in order:
        s = int(np.argmin(free))
        start[i] = free[s]
        slot[i] = s
        free[s] += durations[i]
    return start, slot


@dataclass(frozen=True)
class EvacuationResult:
    """Outcome of emptying a host.

    Attributes
    ----------
    time_to_empty_s : float
        When the last VM has left (``inf`` if some migration was cancelled: the host is not empty).
    host_empty : bool
    total_downtime_ms, worst_downtime_ms : float
        Blackouts summed over the VMs, and the longest single one.
    data_moved_mib : float
        Everything put on the link.
    bandwidth_bound_s : float
        ``data_moved_mib / bandwidth``: no schedule can empty the host faster.
    mean_completion_s : float
        Mean time at which a VM has left (what the order changes).
    schedule : pandas.DataFrame
        One row per VM: vm (index in the input), name, memory_mib, dirty_rate_mib_s, slot,
        start_s, end_s, blackout_start_s, downtime_ms, data_sent_mib, converged, completed.
    """

    vms: tuple = field(repr=False)
    link: Link
    policy: PrecopyPolicy = field(repr=False)
    parallel: int
    order: str
    time_to_empty_s: float
    host_empty: bool
    total_downtime_ms: float
    worst_downtime_ms: float
    data_moved_mib: float
    bandwidth_bound_s: float
    mean_completion_s: float
    schedule: pd.DataFrame = field(repr=False)

    def summary(self) -> pd.Series:
        """Headline numbers, rounded for display."""
        return pd.Series({
            "parallel": self.parallel, "order": self.order,
            "time to empty (s)": round(self.time_to_empty_s, 1),
            "total downtime (ms)": round(self.total_downtime_ms, 1),
            "worst downtime (ms)": round(self.worst_downtime_ms, 1),
            "data moved (GiB)": round(mib_to_gib(self.data_moved_mib), 2),
            "mean completion (s)": round(self.mean_completion_s, 1),
        })


def evacuate(
    vms: Sequence[VM],
    link: Link,
    policy: PrecopyPolicy | None = None,
    *,
    parallel: int = 1,
    order: str = "given",
    names: Sequence[str] | None = None,
) -> EvacuationResult:
    """Live-migrate every VM off a host for maintenance, ``parallel`` at a time.

    Parameters
    ----------
    vms : list of VM
    link : Link
        The shared link out of the host; each of the ``parallel`` running migrations gets
        ``bandwidth / parallel``.
    policy : PrecopyPolicy, optional
        Defaults to QEMU's with ``on_timeout="force"``: for maintenance an operator forces a
        migration that does not converge (a longer blackout) rather than leave the VM behind.
    parallel : int
        Migrations at once (1 = sequential).
    order : str
        One of :data:`ORDERS`.
    names : list of str, optional
        Labels for the Gantt chart (default ``vm0``, ``vm1``...).

    Returns
    -------
    EvacuationResult

    Examples
    --------
    >>> fleet = [VM(memory_mib=2048, dirty_rate_mib_s=20), VM(memory_mib=4096, dirty_rate_mib_s=5)]
    >>> link = Link(bandwidth_mib_s=119.2)
    >>> one = evacuate(fleet, link)
    >>> one.host_empty, one.time_to_empty_s >= one.bandwidth_bound_s
    (True, True)
    >>> two = evacuate(fleet, link, parallel=2)
    >>> two.worst_downtime_ms > one.worst_downtime_ms    # half the bandwidth in each blackout
    True
    """
    vms = _check_vms(vms)
    k = check_int("parallel", parallel, minimum=1, maximum=1024)
    check_choice("order", order, ORDERS)
    check_type("link", link, Link, "a Link")
    policy = PrecopyPolicy.qemu(on_timeout="force") if policy is None else policy
    check_type("policy", policy, PrecopyPolicy, "a PrecopyPolicy")
    names = _check_names(names, len(vms))
    share = Link(bandwidth_mib_s=link.bandwidth_mib_s / k, latency_ms=link.latency_ms)
    fleet = migrate_fleet(vms, share, policy)
    durations = fleet["total_time_s"].to_numpy()
    idx = _order(order, vms, durations)
    start, slot = schedule(durations, idx, k)
    end = start + durations
    downtime = fleet["downtime_ms"].to_numpy()
    completed = fleet["completed"].to_numpy()
    table = pd.DataFrame({
        "vm": np.arange(len(vms)),
        "name": list(names),
        "memory_mib": fleet["memory_mib"].to_numpy(),
        "dirty_rate_mib_s": fleet["dirty_rate_mib_s"].to_numpy(),
        "slot": slot,
        "start_s": start,
        "end_s": end,
        "blackout_start_s": end - np.where(completed, np.nan_to_num(downtime) / 1000.0, 0.0),
        "downtime_ms": downtime,
        "data_sent_mib": fleet["data_sent_mib"].to_numpy(),
        "converged": fleet["converged"].to_numpy(),
        "completed": completed,
    }).sort_values("start_s", kind="stable").reset_index(drop=True)
    data = float(table["data_sent_mib"].sum())
    empty = bool(completed.all())
    done_down = downtime[completed]
    return EvacuationResult(
        vms=tuple(vms), link=link, policy=policy, parallel=k, order=order,
        time_to_empty_s=float(end.max()) if empty else math.inf,
        host_empty=empty,
        total_downtime_ms=float(done_down.sum()),
        worst_downtime_ms=float(done_down.max()) if done_down.size else math.nan,
        data_moved_mib=data,
        bandwidth_bound_s=data / link.bandwidth_mib_s,
        mean_completion_s=float(end.mean()),
        schedule=table,
    )


def compare_evacuations(
    vms: Sequence[VM],
    link: Link,
    policy: PrecopyPolicy | None = None,
    *,
    parallel: Sequence[int] = (1, 2, 4),
    orders: Sequence[str] = ("smallest_first", "largest_first"),
) -> pd.DataFrame:
    """:func:`evacuate` for every (parallel, order) pair: one row each with the headline numbers.

    >>> t = compare_evacuations(random_fleet(6, seed=2), Link(bandwidth_mib_s=1192), parallel=(1, 4))
    >>> t.shape[0], bool((t["time_to_empty_s"] >= t["bandwidth_bound_s"]).all())
    (4, True)
    """
    rows = []
    for k in parallel:
        for o in orders:
            r = evacuate(vms, link, policy, parallel=k, order=o)
            rows.append({"parallel": r.parallel, "order": r.order, "time_to_empty_s": r.time_to_empty_s,
                         "bandwidth_bound_s": r.bandwidth_bound_s, "total_downtime_ms": r.total_downtime_ms,
                         "worst_downtime_ms": r.worst_downtime_ms, "data_moved_mib": r.data_moved_mib,
                         "mean_completion_s": r.mean_completion_s, "host_empty": r.host_empty})
    return pd.DataFrame(rows)
