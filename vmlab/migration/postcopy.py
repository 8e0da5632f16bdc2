"""Post-copy live migration, pure and hybrid, and one comparison of the ways to move a running VM.

Post-copy (Hines & Gopalan, VEE 2009; QEMU ``postcopy-ram`` with ``migrate-start-postcopy``,
pages requested through Linux ``userfaultfd``) turns pre-copy around:

1. **Brief stop**: the VM is paused and only its CPU and device state move
   (``downtime = state / B + latency + resume + arp``), so the downtime is tiny and does not
   depend on the dirty rate.
2. **Resume on the destination** at once, with the pages it lacks marked missing.
3. **Degradation period**: the source pushes every missing page in the background at the link
   rate while the destination pulls, on demand, each page the guest touches before it arrived
   (a network page fault that stalls the vCPU for a round trip plus the page's transfer).

**Hybrid post-copy is how QEMU is used.** A migration with the ``postcopy-ram`` capability
starts as an ordinary pre-copy; ``migrate-start-postcopy`` may be issued at any time, and at the
next iteration QEMU either finishes in pre-copy (the rest fits the downtime limit) or switches
(``migration_iteration_run`` in ``migration/migration.c``; ``docs/devel/migration/postcopy.rst``:
"Postcopy can be combined with precopy ... so that if precopy doesn't finish in a given time
the switch is made to postcopy"). libvirt's ``virsh migrate --postcopy --postcopy-after-precopy``
switches after the first full pass (``precopy_rounds=1``); ``--timeout N --timeout-postcopy``
switches when the timeout expires (``precopy_rounds=None``: the policy's ``timeout_s``); Nova
switches once an iteration after the first makes less than 10 % progress
(``nova/virt/libvirt/migration.py``, ``should_switch_to_postcopy``). The pre-copy rounds are
:func:`vmlab.precopy`'s; at the switch only the pages still dirty (``P``) are missing on the
destination, so the degradation period shrinks from ``memory / B`` to ``P / B``.
``precopy_rounds=0`` is pure post-copy.

Every page crosses the network once after the switch, so ``data_sent = pre-copy rounds + P +
state`` (pure: ``memory (zero pages as headers) + state``) whatever the dirty rate. The price is
the degradation period, of length ``T_push = missing / B``, and its faults. If the guest first
touches each page of its working set W after an exponential time of mean ``τ = W / a`` (``a``
MiB/s) and the push reaches each missing page at a uniformly random time in ``[0, T_push]``, a
missing working-set page faults when it is touched before it is pushed, so with ``W_m`` MiB of
the working set missing (pure: all of W; hybrid: the dirty set P) the expected faulted data is

    F = W_m · [1 - (τ / T_push) · (1 - exp(-T_push / τ))]

growing with the working set and with how fast the guest touches it. Hines & Gopalan's
adaptive pre-paging pushes pages around each fault first and keeps faults within 21 % of the
working set for large workloads (QEMU restarts its scan at each requested page); the model here
is plain demand paging plus background push.

**What can go wrong during the degradation period** (``postcopy.rst``, "Postcopy recovery";
``qapi/migration.json``): the VM's memory is split between the two hosts.

- A **network failure** no longer loses the VM (QEMU 3.0 and later): both sides enter
  ``postcopy-paused``; the guest keeps running on the destination but any vCPU that touches a
  missing page stalls until the operator recovers the channel (``migrate-recover`` on the
  destination, ``migrate`` with ``resume=true`` on the source; ``postcopy-recover``, then
  ``postcopy-active`` again).
- A **host failure** still loses the VM: if the source dies, the destination lacks the pages
  only the source had; if the destination dies, the running VM and everything it wrote since
  the switch die with it (the source's copy is stale).

Pre-copy keeps a complete, running VM on the source until the switch-over.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from vmlab._checks import check_int, check_number
from vmlab.migration.autoconverge import AutoConvergePolicy, RoundsResult, autoconverge
from vmlab.migration.cold import ColdPolicy, ColdResult, cold_migration
from vmlab.migration.params import VM, Link, PrecopyPolicy
from vmlab.migration.precopy import PrecopyResult, precopy

__all__ = ["PostcopyResult", "postcopy", "MethodComparison", "compare_methods", "METHODS"]

METHODS = ("pre-copy", "post-copy", "hybrid post-copy", "pre-copy + auto-converge", "cold")
"""The methods :func:`compare_methods` puts side by side, in order."""

_PHASE_COLUMNS = ["phase", "start_s", "duration_s", "vm_running", "where"]


@dataclass(frozen=True)
class PostcopyResult:
    """Outcome of a post-copy live migration (pure, or hybrid: pre-copy rounds, then the switch).

    Attributes
    ----------
    downtime_ms : float
        The brief stop: CPU/device state, latency, resume and ARP (a hybrid that finished in
        pre-copy: that pre-copy's downtime).
    total_time_s : float
        Setup + pre-copy rounds + stop + degradation period (until the last page is on the
        destination).
    data_sent_mib : float
        Pre-copy rounds, then every missing page once (zero pages as headers), plus the device
        state.
    degradation_s : float
        From the resume on the destination until the last missing page arrived.
    vulnerable_s : float
        Time during which a failure of either *host* loses the VM (= ``degradation_s``); a
        network failure in this window pauses the migration (``postcopy-paused``) instead.
    n_faults : float
        Expected network page faults (pages pulled on demand), for a guest touching its
        working set at the given rate (an upper bound: a stalled guest touches less).
    fault_mib : float
        Memory pulled on demand, MiB.
    stall_s : float
        Guest time stalled by the faults. An unimpeded guest would lose
        ``x = (n_faults · 2·latency + fault_mib / B) / T_push`` seconds per second; since a
        stalled guest touches nothing, the share of time stalled is ``σ = x / (1 + x)`` and
        ``stall_s = σ · T_push``.
    guest_slowdown_pct : float
        ``stall_s`` over the live phase (setup, pre-copy rounds and degradation), in percent
        (like :class:`~vmlab.RoundsResult`'s; the fraction ``guest_slowdown`` is deprecated).
    lost_guest_s : float
        ``stall_s`` + downtime.
    phases : pandas.DataFrame
        phase, start_s, duration_s, vm_running, where (the host the VM runs on).
    progress : pandas.DataFrame
        t_s (since the migrate command), on_destination_mib, faults (cumulative, expected),
        over the degradation period.
    precopy_rounds : int or None
        Pre-copy rounds asked for before the switch (0: pure post-copy; None: switch at the
        policy's timeout).
    switched : bool
        Whether the migration switched to post-copy (a hybrid whose pre-copy converged first
        finishes as a pre-copy, as QEMU does).
    precopy : PrecopyResult or None
        The pre-copy rounds before the switch (``None`` for pure post-copy).
    missing_mib : float
        Memory not on the destination at the switch: pushed or pulled afterwards.
    """

    vm: VM
    link: Link
    policy: PrecopyPolicy
    touch_rate_mib_s: float
    converged: bool
    completed: bool
    downtime_ms: float
    total_time_s: float
    data_sent_mib: float
    degradation_s: float
    vulnerable_s: float
    n_faults: float
    fault_mib: float
    stall_s: float
    guest_slowdown_pct: float
    lost_guest_s: float
    phases: pd.DataFrame = field(repr=False)
    progress: pd.DataFrame = field(repr=False)
    precopy_rounds: int | None = 0
    switched: bool = True
    precopy: PrecopyResult | None = field(default=None, repr=False)
    missing_mib: float = math.nan

    @property
    def guest_slowdown(self) -> float:
        """Deprecated: the slowdown as a fraction 0..1; use ``guest_slowdown_pct``."""
        warnings.warn("PostcopyResult.guest_slowdown is deprecated; use guest_slowdown_pct (percent)",
                      DeprecationWarning, stacklevel=2)
        return self.guest_slowdown_pct / 100.0

    def summary(self) -> pd.Series:
        """Headline numbers (rounded for display)."""
        return pd.Series(
            {
                "downtime (ms)": round(self.downtime_ms, 1),
                "total time (s)": round(self.total_time_s, 2),
                "data sent (MiB)": round(self.data_sent_mib, 1),
                "degradation (s)": round(self.degradation_s, 2),
                "network faults": round(self.n_faults),
                "guest slowdown (%)": round(self.guest_slowdown_pct, 1),
            },
            name="post-copy" if not self.precopy_rounds and self.precopy_rounds is not None else "hybrid post-copy",
        )


def expected_faults_mib(t_s, working_set_mib: float, touch_rate_mib_s: float, push_s: float) -> np.ndarray:
    """Expected working-set MiB faulted by time ``t_s`` after the resume (see module docstring).

    ``F(t) = W·[(1 - e^{-t/τ}) - (τ - (t + τ)·e^{-t/τ}) / T]`` for ``t <= T``, with τ = W / a.

    >>> round(float(expected_faults_mib(10.0, 512.0, 0.0, 10.0)), 6)    # nothing touched
    0.0
    >>> round(float(expected_faults_mib(10.0, 512.0, math.inf, 10.0)), 6)   # touched at once
    512.0
    """
    t = np.minimum(np.asarray(t_s, dtype=float), push_s)
    if working_set_mib <= 0 or touch_rate_mib_s <= 0 or push_s <= 0:
        return np.zeros_like(t)
    if math.isinf(touch_rate_mib_s):
        return np.where(t >= 0, working_set_mib, 0.0) + 0.0 * t
    tau = working_set_mib / touch_rate_mib_s
    if not math.isfinite(tau) or tau > 1e6 * push_s:
        # touches far slower than the push: first order in t/τ, F ≈ W·t² / (2·τ·T)
        return working_set_mib * t**2 / (2.0 * tau * push_s) if math.isfinite(tau) else np.zeros_like(t)
    e = np.exp(-t / tau)
    return working_set_mib * ((1.0 - e) - (tau - (t + tau) * e) / push_s)


def postcopy(
    vm: VM,
    link: Link,
    policy: PrecopyPolicy | None = None,
    *,
    touch_rate_mib_s: float | None = None,
    precopy_rounds: int | None = 0,
) -> PostcopyResult:
    """Simulate a post-copy live migration of ``vm`` over ``link``, pure or hybrid.

    Parameters
    ----------
    vm, link
        The VM and the link. The background push runs at the full link rate (QEMU's
        ``max-postcopy-bandwidth`` defaults to unlimited).
    policy : PrecopyPolicy, optional
        Supplies ``setup_ms``, ``resume_ms``, ``arp_ms``, ``zero_page_bytes`` and
        ``bandwidth_efficiency`` (defaults: :meth:`PrecopyPolicy.qemu`), and for a hybrid the
        pre-copy rounds' rules; its ``timeout_s`` is when a hybrid switches at the latest.
    touch_rate_mib_s : float, optional
        How fast the guest first touches pages of its working set (``vm.wws_mib``, or all
        of memory), MiB/s. Defaults to the dirty rate; reads fault too, so pass a larger
        value for a read-heavy guest. ``inf``: the whole working set at once.
    precopy_rounds : int or None
        Pre-copy rounds (the first full pass counts as one) before ``migrate-start-postcopy``:
        0 is pure post-copy, 1 is libvirt's ``--postcopy-after-precopy``, ``None`` switches
        only at the policy's timeout (``--timeout-postcopy``). A pre-copy that converges
        before the switch finishes as a pre-copy (``switched=False``).

    Returns
    -------
    PostcopyResult

    Examples
    --------
    Whatever the dirty rate, every page is sent once and the downtime is a few ms:

    >>> vm = VM(memory_mib=4096, dirty_rate_mib_s=500, wws_mib=1024, device_state_mib=0.5)
    >>> r = postcopy(vm, Link(bandwidth_mib_s=119.2))
    >>> r.data_sent_mib == vm.memory_mib + vm.device_state_mib, round(r.downtime_ms, 1)
    (True, 15.3)
    >>> round(r.degradation_s, 1), round(r.fault_mib)
    (34.4, 963)

    Hybrid: one full pre-copy pass first, then only the still-dirty working set is missing:

    >>> h = postcopy(vm, Link(bandwidth_mib_s=119.2), precopy_rounds=1)
    >>> h.switched, round(h.missing_mib), round(h.degradation_s, 1), round(h.downtime_ms, 1)
    (True, 1024, 8.6, 15.3)
    """
    policy = PrecopyPolicy.qemu() if policy is None else policy
    for name, value, cls in (("vm", vm, VM), ("link", link, Link), ("policy", policy, PrecopyPolicy)):
        if not isinstance(value, cls):
            raise TypeError(f"postcopy() argument {name} must be a {cls.__name__}; got {type(value).__name__}")
    touch = vm.dirty_rate if touch_rate_mib_s is None else check_number(
        "touch_rate_mib_s", touch_rate_mib_s, minimum=0, allow_inf=True)
    rounds = check_int("precopy_rounds", precopy_rounds, minimum=0, allow_none=True)
    B = link.bandwidth_mib_s * policy.bandwidth_efficiency
    page_mib = vm.page_size_kib / 1024.0
    setup_s = policy.setup_ms / 1000.0
    latency_s = link.latency_ms / 1000.0
    working_set = vm.region_mib

    pre = None
    if rounds == 0:  # pure: every page is missing (zero pages as headers)
        zero = vm.memory_mib * vm.zero_fraction
        zero_cost = 1.0 if policy.zero_page_bytes is None else policy.zero_page_bytes / (page_mib * 2**20)
        memory_wire = vm.memory_mib - zero + zero * zero_cost
        missing, missing_ws, before_s, sent_before = memory_wire, working_set, 0.0, 0.0
        live_rows: list[tuple] = []
    else:
        pre = precopy(vm, link, policy.replace(max_rounds=rounds if rounds is not None else policy.max_rounds,
                                               on_timeout="force"))
        if pre.converged or not pre.completed:  # finished (or failed) in pre-copy: no switch
            phases = pre.phases.assign(where=np.where(pre.phases["vm_running"], "source", "-"))
            if pre.completed:
                phases.loc[phases["phase"].isin(["resume", "gratuitous ARP"]), "where"] = "destination"
            progress = pd.DataFrame({"t_s": [pre.total_time_s], "on_destination_mib": [vm.memory_mib], "faults": [0.0]})
            return PostcopyResult(
                vm=vm, link=link, policy=policy, touch_rate_mib_s=float(touch), converged=pre.converged,
                completed=pre.completed, downtime_ms=pre.downtime_ms, total_time_s=pre.total_time_s,
                data_sent_mib=pre.data_sent_mib, degradation_s=0.0, vulnerable_s=0.0, n_faults=0.0, fault_mib=0.0,
                stall_s=0.0, guest_slowdown_pct=0.0, lost_guest_s=pre.downtime_ms / 1000.0 if pre.completed else 0.0,
                phases=phases, progress=progress, precopy_rounds=rounds, switched=False, precopy=pre, missing_mib=0.0)
        missing = max(pre.final_copy_mib - vm.device_state_mib, 0.0)  # still dirty at the switch
        missing_ws = min(missing, working_set)
        before_s = pre.precopy_time_s
        sent_before = pre.data_sent_mib - pre.final_copy_mib
        memory_wire = missing + (pre.data_sent_mib - pre.final_copy_mib)  # for the progress curve only
        live_rows = [(r.phase, r.start_s, r.duration_s, True, "source") for r in pre.phases.itertuples(index=False)
                     if r.vm_running and r.phase != "preparation"]

    # the brief stop: CPU and device state only
    stop_s = vm.device_state_mib / link.bandwidth_mib_s + latency_s
    resume_s = policy.resume_ms / 1000.0
    arp_s = policy.arp_ms / 1000.0
    downtime_s = stop_s + resume_s + arp_s

    # the background push of the missing pages, and the faults on the missing part of the working set
    push_s = missing / B
    touch_missing = touch * missing_ws / working_set if working_set > 0 else 0.0  # keeps τ = W / a
    fault_mib = float(expected_faults_mib(push_s, missing_ws, touch_missing, push_s))
    n_faults = fault_mib / page_mib
    # a stalled guest touches nothing: with x the stall per second an unimpeded guest would
    # suffer, the share of time stalled σ solves σ = (1 - σ)·x, so σ = x / (1 + x)
    x = (n_faults * 2 * latency_s + fault_mib / B) / push_s if push_s > 0 else 0.0
    stall_s = push_s * x / (1.0 + x)
    pause = setup_s + before_s
    start = pause + downtime_s
    total = start + push_s
    live_s = setup_s + before_s + push_s
    slowdown = stall_s / live_s if live_s > 0 else 0.0

    phases = pd.DataFrame(
        [("preparation", 0.0, setup_s, True, "source"), *live_rows,
         ("pause: CPU/device state", pause, stop_s, False, "-"),
         ("resume", pause + stop_s, resume_s, False, "destination"),
         ("gratuitous ARP", pause + stop_s + resume_s, arp_s, False, "destination"),
         ("degradation: push + demand faults", start, push_s, True, "destination")],
        columns=_PHASE_COLUMNS,
    )
    t = np.linspace(0.0, push_s, 101)
    faults = expected_faults_mib(t, missing_ws, touch_missing, push_s)
    pushed = t / push_s * missing if push_s > 0 else np.full_like(t, missing)
    # a faulted page is pulled ahead of the push: it is on the destination early, sent once
    on_dest = (memory_wire - missing) + np.minimum(pushed + faults * (1.0 - t / push_s if push_s > 0 else 0.0), missing)
    progress = pd.DataFrame({"t_s": start + t, "on_destination_mib": on_dest, "faults": faults / page_mib})
    return PostcopyResult(
        vm=vm,
        link=link,
        policy=policy,
        touch_rate_mib_s=float(touch),
        converged=True,
        completed=True,
        downtime_ms=float(downtime_s * 1000.0),
        total_time_s=float(total),
        data_sent_mib=float(sent_before + missing + vm.device_state_mib),
        degradation_s=float(push_s),
        vulnerable_s=float(push_s),
        n_faults=float(n_faults),
        fault_mib=fault_mib,
        stall_s=float(stall_s),
        guest_slowdown_pct=float(100.0 * slowdown),
        lost_guest_s=float(stall_s + downtime_s),
        phases=phases,
        progress=progress,
        precopy_rounds=rounds,
        switched=True,
        precopy=pre,
        missing_mib=float(missing),
    )


@dataclass(frozen=True)
class MethodComparison:
    """Pre-copy, post-copy (pure and hybrid), pre-copy + auto-converge and cold migration of one VM.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per method (``METHODS`` order): method, completed, downtime_ms,
        total_time_s, data_sent_mib, guest_slowdown_pct (percent of guest CPU over the live
        phase; 1 for cold, whose guest is off throughout), lost_guest_s (guest seconds of
        work lost, downtime included), risk (what can go wrong).
    results : dict
        method -> the result object behind the row.
    """

    table: pd.DataFrame
    results: dict = field(repr=False)

    def best(self, column: str) -> str:
        """The completed method with the smallest value in ``column`` (the first one on a tie)."""
        done = self.table[self.table["completed"]]
        return str(done.loc[done[column].idxmin(), "method"])


def _postcopy_risk(r: PostcopyResult) -> str:
    if not r.switched:
        return "converged in pre-copy before the switch: " + ("none while it runs" if r.converged else "did not complete")
    return (f"VM lost if either host fails during the {r.vulnerable_s:.0f} s degradation; "
            "a network failure pauses it (recoverable)")


def compare_methods(
    vm: VM,
    link: Link,
    policy: PrecopyPolicy | None = None,
    *,
    throttle: AutoConvergePolicy | None = None,
    touch_rate_mib_s: float | None = None,
    disk_gib: float = 20.0,
    shared_storage: bool = True,
    cold_policy: ColdPolicy | None = None,
    hybrid_rounds: int | None = 1,
) -> MethodComparison:
    """Move the same VM over the same link five ways and tabulate the costs.

    Pre-copy (:func:`vmlab.precopy`), pure post-copy (:func:`postcopy`), hybrid post-copy
    (``hybrid_rounds`` pre-copy rounds, then the switch: :func:`postcopy` with
    ``precopy_rounds``; default 1, libvirt's ``--postcopy-after-precopy``), pre-copy with
    auto-converge (:func:`vmlab.autoconverge`) and cold migration (:func:`vmlab.cold_migration`,
    by default over shared storage so that, like the live methods, only the VM's state moves).
    Pre-copy's guest slowdown is counted as 0 (the cost of dirty-page logging is not modelled).

    Examples
    --------
    >>> vm, link = VM(memory_mib=4096, dirty_rate_mib_s=200), Link(bandwidth_mib_s=119.2)
    >>> c = compare_methods(vm, link)
    >>> list(c.table["method"]) == list(METHODS)
    True
    >>> c.table.set_index("method")["completed"].to_dict()["pre-copy"]
    False
    >>> c.best("downtime_ms")
    'post-copy'

    With a 1 GiB working set, the hybrid's first full pass leaves only that gigabyte missing:
    a degradation period of 9 s instead of 69 s, for one more pass over memory on the wire.

    >>> c = compare_methods(VM(memory_mib=8192, dirty_rate_mib_s=200, wws_mib=1024), link)
    >>> round(c.results["post-copy"].degradation_s), round(c.results["hybrid post-copy"].degradation_s)
    (69, 9)
    """
    policy = PrecopyPolicy.qemu() if policy is None else policy
    pre = precopy(vm, link, policy)
    post = postcopy(vm, link, policy, touch_rate_mib_s=touch_rate_mib_s)
    hybrid = postcopy(vm, link, policy, touch_rate_mib_s=touch_rate_mib_s, precopy_rounds=hybrid_rounds)
    auto = autoconverge(vm, link, policy, throttle=throttle)
    cold = cold_migration(vm, link, disk_gib=disk_gib, shared_storage=shared_storage, policy=cold_policy)
    rows = [
        ("pre-copy", pre.completed, pre.downtime_ms, pre.total_time_s, pre.data_sent_mib, 0.0,
         pre.downtime_ms / 1000.0 if pre.completed else 0.0,
         "none while it runs; " + ("converged" if pre.converged else f"did not converge ({pre.stop})")),
        ("post-copy", True, post.downtime_ms, post.total_time_s, post.data_sent_mib, post.guest_slowdown_pct,
         post.lost_guest_s, _postcopy_risk(post)),
        ("hybrid post-copy", hybrid.completed, hybrid.downtime_ms, hybrid.total_time_s, hybrid.data_sent_mib,
         hybrid.guest_slowdown_pct, hybrid.lost_guest_s, _postcopy_risk(hybrid)),
        ("pre-copy + auto-converge", auto.completed, auto.downtime_ms, auto.total_time_s, auto.data_sent_mib,
         auto.guest_slowdown_pct, auto.lost_guest_s,
         f"guest throttled up to {auto.final_throttle_pct:.0f} %"),
        ("cold", True, cold.downtime_ms, cold.total_time_s, cold.data_sent_mib, 100.0, cold.downtime_ms / 1000.0,
         "service down for the whole move"),
    ]
    table = pd.DataFrame(rows, columns=["method", "completed", "downtime_ms", "total_time_s", "data_sent_mib",
                                        "guest_slowdown_pct", "lost_guest_s", "risk"])
    results: dict[str, PrecopyResult | PostcopyResult | RoundsResult | ColdResult] = {
        "pre-copy": pre, "post-copy": post, "hybrid post-copy": hybrid, "pre-copy + auto-converge": auto,
        "cold": cold}
    return MethodComparison(table=table, results=results)
