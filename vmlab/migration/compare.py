"""Live versus cold: the course text's comparison table, regenerated with numbers for one scenario.

| Feature | Hot (Live) Migration | Cold Migration |
|---|---|---|
| VM State | Powered On / Running | Powered Off / Suspended |
| Downtime | Near-Zero (Sub-second) | Duration of move + Boot time |
| Network Load | Very High (Memory sync) | Low to High (depending on disk size) |
| Complexity | High (Orchestration required) | Low (File transfer) |

**Without shared storage, live migration moves the disk too.** QEMU copies a running guest's
disk with a block *mirror* (``drive-mirror`` / ``blockdev-mirror`` to an NBD server on the
destination, ``block/mirror.c``); libvirt drives it for ``virsh migrate --copy-storage-all``
(``qemuMigrationSrcNBDStorageCopy`` in ``src/qemu/qemu_migration.c``). What libvirt and QEMU do,
and what :func:`live_migration_with_storage` models:

1. **Mirror first, memory after.** libvirt starts one mirror job per disk and waits until
   *every* mirror is READY (in sync) before it issues ``migrate`` for memory
   (``qemuMigrationSrcRun``: the storage copy, then ``qemuMigrationSrcStart``). The wait has no
   timeout of its own: only the client's abort (or a management timeout) ends it.
2. **The bulk copy and the guest's writes.** The mirror copies every allocated block while the
   guest runs; a write to a block already copied marks it dirty again (a dirty bitmap) and it is
   copied again. The job walks its bitmap continuously (``mirror_iteration`` wraps around) and
   becomes READY the first time nothing is dirty and nothing in flight
   (``job_transition_to_ready`` in ``mirror_run``). With the guest writing new blocks at ``W``
   MiB/s and the mirror copying at ``R``, it must send ``S + W·t`` by time ``t``, so

       t_sync = S / (R - W)      (W < R; the continuous limit of the pre-copy series S/R·Σ(W/R)^i)

   and it never gets in sync when ``W >= R``: a result that says so, not a hang. (Writes that
   land on blocks already dirty cost nothing extra, so this is an upper bound, as the
   ``"constant"`` memory pattern is.) The mirror's rate is the link, or libvirt's
   ``--bandwidth``, which it passes to every mirror job as well as to memory.
3. **Memory pre-copy shares the link.** A READY mirror keeps copying new writes, so during the
   memory pre-copy (:func:`vmlab.precopy`, reused as is) the mirror takes ``W`` of the link and
   memory gets ``B - W`` (the model gives the mirror what it needs; TCP's fair sharing
   guarantees each stream at least half of the link, so this holds while ``W <= B/2``).
4. **The pause.** At the memory switch-over the VM stops; libvirt then completes the mirrors
   (``block-job-cancel`` on a READY job flushes what is still dirty and leaves the copy
   consistent) before the last memory and device state move. What is still dirty is at most what
   the guest wrote in one block-job slice (``BLOCK_JOB_SLICE_TIME``, 100 ms, the mirror's sleep
   when in sync): ``W × 0.1 s``, added to the downtime at the mirror's rate. The memory
   stop-and-copy is charged at the shared rate ``B - W`` (a slight overestimate).

QEMU's older block migration in the migration stream (``migrate -b``, ``migration/block.c``) was
deprecated in 8.2 and removed in 9.1 in favour of the mirror + NBD. A mirror can also run in
``write-blocking`` mode (libvirt ``--copy-storage-synchronous-writes``): every guest write then
waits for the destination, so the mirror always converges but the guest's disk writes slow to
what the link carries; that mode is not modelled here.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from vmlab._checks import Number, check_bool, check_choice, check_number, check_type
from vmlab.migration.cold import ColdPolicy, ColdResult, cold_migration
from vmlab.migration.params import VM, Link, PrecopyPolicy
from vmlab.migration.precopy import PrecopyResult, precopy, precopy_grid
from vmlab.units import gib_to_mib

__all__ = [
    "LiveStorageResult", "live_migration_with_storage", "live_vs_cold_verdict", "live_vs_cold_table",
    "live_vs_cold_grid", "CRITERIA", "MIRROR_SLICE_S", "LIVE_VS_COLD_EXTRA_COLUMNS",
]

MIRROR_SLICE_S = 0.1
"""QEMU's ``BLOCK_JOB_SLICE_TIME`` (``include/block/blockjob.h``): a mirror in sync sleeps this long."""

CRITERIA = {"downtime": "downtime", "total_time": "total time", "data_sent": "data sent"}
"""``live_vs_cold_grid`` criterion -> key of :func:`live_vs_cold_verdict`."""

LIVE_VS_COLD_EXTRA_COLUMNS = ("mirror_in_sync", "mirror_time_s", "disk_data_sent_mib", "cold_downtime_s",
                              "cold_total_time_s", "cold_data_sent_mib", "winner")
"""Result columns :func:`live_vs_cold_grid` adds to the :func:`vmlab.precopy_grid` ones."""

_RENAMED_COLUMNS = {"cold_data_mib": "cold_data_sent_mib"}
_PHASE_COLUMNS = ["phase", "start_s", "duration_s", "vm_running", "part"]
_OTHER_PHASES = ("preparation", "resume", "gratuitous ARP")


def _duration(seconds: float) -> str:
    if not np.isfinite(seconds):
        return "n/a"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.1f} min"


# ---- live migration with its disk ---------------------------------------------------------------
@dataclass(frozen=True)
class LiveStorageResult:
    """A live migration that moves the disk (block mirror) and then memory (pre-copy).

    Reads like a :class:`vmlab.PrecopyResult` (``converged``, ``completed``, ``stop``,
    ``stop_reason``, ``n_rounds``, ``total_time_s``, ``downtime_ms``, ``data_sent_mib``), so the
    live-versus-cold table and figures take either.

    Attributes
    ----------
    mirror_in_sync : bool
        The disk mirror got in sync (READY) before the timeout, so the memory pre-copy started.
    mirror_time_s : float
        The bulk copy: from the start of the mirror until READY (or until it was cut).
    mirror_rate_mib_s : float
        The mirror's copy rate: the link, or ``mirror_bandwidth_mib_s`` if lower.
    memory : PrecopyResult or None
        The memory pre-copy, on the link share ``B - W`` (``None`` if it never started).
    disk_data_sent_mib, memory_data_sent_mib : float
        What the disk mirror and the memory migration put on the wire; they add up to
        ``data_sent_mib``.
    disk_flush_mib : float
        Disk data still dirty at the pause and copied during it.
    phases : pandas.DataFrame
        phase, start_s, duration_s, vm_running, part (``"disk"``, ``"memory"`` or ``"other"``).
    """

    vm: VM
    link: Link
    policy: PrecopyPolicy
    disk_gib: float
    disk_dirty_rate_mib_s: float
    shared_storage: bool
    mirror_rate_mib_s: float
    mirror_in_sync: bool
    mirror_time_s: float
    memory: PrecopyResult | None
    converged: bool
    completed: bool
    stop: str
    stop_reason: str
    n_rounds: int
    total_time_s: float
    downtime_ms: float
    data_sent_mib: float
    disk_data_sent_mib: float
    memory_data_sent_mib: float
    disk_flush_mib: float
    phases: pd.DataFrame = field(repr=False)

    def summary(self) -> pd.Series:
        """The headline numbers (rounded for display)."""
        return pd.Series({
            "stop": self.stop,
            "disk mirror in sync after (s)": round(self.mirror_time_s, 1) if self.mirror_in_sync else float("nan"),
            "memory rounds": self.n_rounds,
            "total time (s)": round(self.total_time_s, 2),
            "downtime (ms)": round(self.downtime_ms, 1) if self.completed else float("nan"),
            "disk data sent (MiB)": round(self.disk_data_sent_mib, 1),
            "memory data sent (MiB)": round(self.memory_data_sent_mib, 1),
        }, name=f"live ({self.policy.name})")


def _mirror(disk_mib, write_mib_s, bandwidth_mib_s, cap_mib_s, setup_s, timeout_s) -> dict[str, np.ndarray]:
    """The bulk mirror phase, vectorised: rate, time to READY (inf if never), and whether in time."""
    S, W, B = (np.atleast_1d(a) for a in np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (disk_mib, write_mib_s, bandwidth_mib_s))))
    W = np.where(S > 0, W, 0.0)  # no disk, nothing to mirror
    rate = np.minimum(B, cap_mib_s)
    gap = rate - W
    t_sync = np.where(S <= 0, 0.0, np.divide(S, gap, out=np.full(S.shape, math.inf), where=gap > 0))
    budget = np.maximum(timeout_s - setup_s, 0.0) + np.zeros(S.shape)
    in_sync = (t_sync < budget) | (S <= 0)
    return {"S": S, "W": W, "rate": rate, "t_sync": t_sync, "budget": budget, "in_sync": in_sync}


def _timeout(policy: PrecopyPolicy) -> float:
    """The policy's wall-clock budget in seconds (``inf`` for a policy without one, like Xen's)."""
    return math.inf if policy.timeout_s is None else float(policy.timeout_s)


def _stop_reason_mirror(m: dict, i: int, timeout_s: float, forced: bool) -> str:
    S, W, R = float(m["S"][i]), float(m["W"][i]), float(m["rate"][i])
    if math.isinf(timeout_s):
        what = "the policy has no timeout, so the mirror would copy for ever and memory never starts moving"
    else:
        what = ("at the timeout the VM was paused, and the rest of the disk, then all of memory, copied while it was off"
                if forced else "cancelled at the timeout, before memory started moving")
    if W >= R:
        why = (f"the guest writes its disk at {W:.4g} MiB/s, as fast as or faster than the mirror copies "
               f"({R:.4g} MiB/s): the disk mirror never gets in sync")
    else:
        why = (f"the disk mirror needs {S:,.0f} MiB / ({R:.4g} - {W:.4g}) MiB/s = {_duration(float(m['t_sync'][i]))} "
               f"to get in sync, more than the {timeout_s:g} s timeout")
    return f"did not converge: {why}; {what}"


def _phases_with_storage(setup_s: float, mirror_s: float, memory: PrecopyResult | None, flush_s: float,
                         paused_memory: PrecopyResult | None, disk_copy_paused_s: float) -> pd.DataFrame:
    rows = [("preparation", 0.0, setup_s, True, "other")] if setup_s > 0 or memory is None else []
    if mirror_s > 0:
        rows.append(("disk mirror: bulk copy", setup_s, mirror_s, True, "disk"))
    start = setup_s + mirror_s
    if paused_memory is not None:  # forced while the mirror was still copying: the VM is paused from here
        rows.append(("pause: disk copy (forced)", start, disk_copy_paused_s, False, "disk"))
        start += disk_copy_paused_s
        for phase in paused_memory.phases.itertuples(index=False):
            if phase.phase == "preparation":
                continue
            part = "other" if phase.phase in _OTHER_PHASES else "memory"
            label = phase.phase if part == "other" else f"pause: memory {phase.phase.replace('pause: ', '')} (forced)"
            rows.append((label, start + phase.start_s, phase.duration_s, False, part))
    elif memory is not None:
        shift = 0.0
        for phase in memory.phases.itertuples(index=False):
            if phase.phase == "preparation" and rows:
                continue
            if phase.phase == "pause: stop-and-copy" and flush_s > 0:
                rows.append(("pause: disk mirror flush", start + phase.start_s, flush_s, False, "disk"))
                shift = flush_s
            part = "other" if phase.phase in _OTHER_PHASES else "memory"
            rows.append((phase.phase, start + phase.start_s + shift, phase.duration_s, bool(phase.vm_running), part))
    frame = pd.DataFrame(rows, columns=_PHASE_COLUMNS)
    return frame


def live_migration_with_storage(
    vm: VM,
    link: Link,
    policy: PrecopyPolicy | None = None,
    *,
    disk_gib: float,
    disk_dirty_rate_mib_s: float = 0.0,
    shared_storage: bool = False,
    mirror_bandwidth_mib_s: float | None = None,
) -> LiveStorageResult:
    """Live-migrate ``vm`` with its disk: block mirror until in sync, then memory pre-copy.

    See the module docstring for what QEMU and libvirt do. In short, with disk size ``S``, the
    guest's disk writes ``W``, the mirror's rate ``R = min(B, mirror cap)`` and setup ``t_s``:

    - bulk mirror: ``t_sync = S / (R - W)``, never if ``W >= R``;
    - memory: :func:`vmlab.precopy` on a link of ``B - W`` with the time left before the
      policy's timeout (``timeout_s - t_s - t_sync``);
    - the pause adds the disk flush, ``W · 0.1 s / R``, to the memory downtime;
    - ``total = t_s + t_sync + memory total (+ flush)``, ``data = S + W·(t_sync + memory rounds)
      + memory data``.

    If the mirror is not in sync by the timeout, the policy's ``on_timeout`` decides:
    ``"cancel"`` gives up (nothing moved, no downtime); ``"force"`` pauses the VM (libvirt's
    ``--timeout-suspend``): the rest of the disk, then all of memory, move while it is paused.

    Parameters
    ----------
    vm, link, policy
        As for :func:`vmlab.precopy` (default policy: :meth:`PrecopyPolicy.qemu`).
    disk_gib : float
        Data in the VM's disks (what the mirror copies), GiB.
    disk_dirty_rate_mib_s : float
        How fast the guest writes *new* blocks of its disk while it runs, MiB/s (``inf``: faster
        than any link).
    shared_storage : bool
        Both hosts see the disk: nothing to mirror, and the result equals :func:`vmlab.precopy`.
    mirror_bandwidth_mib_s : float or None
        Rate cap of the mirror (``drive-mirror`` ``speed``, libvirt's ``--bandwidth``). ``None``:
        the link.

    Returns
    -------
    LiveStorageResult

    Examples
    --------
    A 40 GiB disk over 1 Gbit/s while the guest writes 5 MiB/s: the mirror needs 40960 /
    (119.2 - 5) s ≈ 6 min before memory can move, and sends the disk plus what was rewritten:

    >>> vm, link = VM(memory_mib=4096, dirty_rate_mib_s=30), Link(bandwidth_mib_s=119.2)
    >>> r = live_migration_with_storage(vm, link, disk_gib=40, disk_dirty_rate_mib_s=5)
    >>> r.completed, round(r.mirror_time_s), round(r.disk_data_sent_mib), r.memory.link.bandwidth_mib_s
    (True, 359, 42995, 114.2)

    A guest that writes its disk faster than the link can copy it never gets its mirror in sync:

    >>> r = live_migration_with_storage(vm, link, disk_gib=40, disk_dirty_rate_mib_s=150)
    >>> r.completed, r.mirror_in_sync, r.stop
    (False, False, 'mirror cancelled at timeout')
    """
    policy = PrecopyPolicy.qemu() if policy is None else policy
    check_type("live_migration_with_storage() argument vm", vm, VM, "a VM")
    check_type("live_migration_with_storage() argument link", link, Link, "a Link")
    check_type("live_migration_with_storage() argument policy", policy, PrecopyPolicy, "a PrecopyPolicy")
    disk_gib = check_number("disk_gib", disk_gib, minimum=0)
    W = check_number("disk_dirty_rate_mib_s", disk_dirty_rate_mib_s, minimum=0, allow_inf=True)
    check_bool("shared_storage", shared_storage)
    cap = check_number("mirror_bandwidth_mib_s", mirror_bandwidth_mib_s, minimum=0, min_inclusive=False,
                       allow_none=True)
    cap = math.inf if cap is None else cap
    setup_s = policy.setup_ms / 1000.0
    S = 0.0 if shared_storage else gib_to_mib(disk_gib)
    timeout_s = _timeout(policy)
    m = _mirror(S, W, link.bandwidth_mib_s, cap, setup_s, timeout_s)
    W_eff, rate, t_sync = float(m["W"][0]), float(m["rate"][0]), float(m["t_sync"][0])
    base = dict(vm=vm, link=link, policy=policy, disk_gib=disk_gib, disk_dirty_rate_mib_s=W,
                shared_storage=shared_storage, mirror_rate_mib_s=rate)

    if not m["in_sync"][0]:
        cut = float(m["budget"][0])
        forced = policy.on_timeout == "force"
        reason = _stop_reason_mirror(m, 0, timeout_s, forced)
        if math.isinf(cut):  # no timeout (Xen's presets): nothing ever stops a mirror that cannot catch up
            return LiveStorageResult(
                **base, mirror_in_sync=False, mirror_time_s=math.inf, memory=None, converged=False, completed=False,
                stop="mirror never in sync", stop_reason=reason, n_rounds=0, total_time_s=math.inf,
                downtime_ms=math.nan, data_sent_mib=math.inf, disk_data_sent_mib=math.inf,
                memory_data_sent_mib=0.0, disk_flush_mib=0.0,
                phases=_phases_with_storage(setup_s, 0.0, None, 0.0, None, 0.0))
        if not forced:
            return LiveStorageResult(
                **base, mirror_in_sync=False, mirror_time_s=cut, memory=None, converged=False, completed=False,
                stop="mirror cancelled at timeout", stop_reason=reason, n_rounds=0, total_time_s=setup_s + cut,
                downtime_ms=math.nan, data_sent_mib=rate * cut, disk_data_sent_mib=rate * cut,
                memory_data_sent_mib=0.0, disk_flush_mib=0.0,
                phases=_phases_with_storage(setup_s, cut, None, 0.0, None, 0.0))
        rest = S + (W_eff - rate) * cut  # the VM is paused: no more writes, the rest copies at the mirror's rate
        paused = precopy(vm.replace(dirty_rate_mib_s=0.0), link, policy.replace(setup_ms=0.0))
        copy_s = rest / rate
        downtime_s = copy_s + paused.total_time_s
        return LiveStorageResult(
            **base, mirror_in_sync=False, mirror_time_s=cut, memory=paused, converged=False, completed=True,
            stop="mirror forced at timeout", stop_reason=reason, n_rounds=paused.n_rounds,
            total_time_s=setup_s + cut + downtime_s, downtime_ms=1000.0 * downtime_s,
            data_sent_mib=rate * cut + rest + paused.data_sent_mib, disk_data_sent_mib=rate * cut + rest,
            memory_data_sent_mib=paused.data_sent_mib, disk_flush_mib=rest,
            phases=_phases_with_storage(setup_s, cut, None, 0.0, paused, copy_s))

    if S > 0:
        mem_link = Link(bandwidth_mib_s=link.bandwidth_mib_s - W_eff, latency_ms=link.latency_ms)
        left = None if policy.timeout_s is None else policy.timeout_s - setup_s - t_sync
        memory = precopy(vm, mem_link, policy.replace(setup_ms=0.0, timeout_s=left))
    else:  # nothing to mirror: exactly a pre-copy (setup included)
        setup_s = 0.0
        memory = precopy(vm, link, policy)
    flush_mib = W_eff * MIRROR_SLICE_S if memory.completed else 0.0
    flush_s = flush_mib / rate if flush_mib else 0.0
    disk_data = S + W_eff * (t_sync + memory.precopy_time_s)
    reason = memory.stop_reason
    if S > 0:
        reason = f"disk mirror in sync after {_duration(t_sync)}; memory: {reason}"
    return LiveStorageResult(
        **base, mirror_in_sync=True, mirror_time_s=t_sync, memory=memory, converged=memory.converged,
        completed=memory.completed, stop=memory.stop, stop_reason=reason, n_rounds=memory.n_rounds,
        total_time_s=setup_s + t_sync + memory.total_time_s + (flush_s if memory.completed else 0.0),
        downtime_ms=memory.downtime_ms + 1000.0 * flush_s, data_sent_mib=disk_data + memory.data_sent_mib,
        disk_data_sent_mib=disk_data, memory_data_sent_mib=memory.data_sent_mib, disk_flush_mib=flush_mib,
        phases=_phases_with_storage(setup_s, t_sync, memory, flush_s, None, 0.0))


# ---- the winner rule, in one place ------------------------------------------------------------
def _live_wins(completed, live_value, cold_value) -> np.ndarray:
    """Live wins where it completed and is not worse than cold (a tie goes to live)."""
    return np.asarray(completed, dtype=bool) & (np.asarray(live_value, dtype=float) <= np.asarray(cold_value, dtype=float))


def live_vs_cold_verdict(live: PrecopyResult | LiveStorageResult, cold: ColdResult) -> dict[str, str]:
    """Winner (``"live"`` or ``"cold"``) on downtime, total time and data sent.

    Live wins where it completed and is not worse; a live migration that did not complete loses
    everywhere (the VM never moved). :func:`live_vs_cold_grid` applies the same rule per cell.

    >>> from vmlab import VM, Link, precopy, cold_migration
    >>> vm, link = VM(memory_mib=4096, dirty_rate_mib_s=30), Link(bandwidth_mib_s=119.2)
    >>> live_vs_cold_verdict(precopy(vm, link), cold_migration(vm, link, disk_gib=40, shared_storage=True))
    {'downtime': 'live', 'total time': 'live', 'data sent': 'cold'}
    """
    check_type("live", live, (PrecopyResult, LiveStorageResult), "a PrecopyResult or LiveStorageResult")
    check_type("cold", cold, ColdResult, "a ColdResult (from vmlab.cold_migration)")
    pairs = {
        "downtime": (live.downtime_ms / 1000.0, (cold.downtime_ms / 1000)),
        "total time": (live.total_time_s, cold.total_time_s),
        "data sent": (live.data_sent_mib, cold.data_sent_mib),
    }
    return {k: "live" if _live_wins(live.completed, a, b) else "cold" for k, (a, b) in pairs.items()}


def _memory_only_note(live, cold: ColdResult) -> str:
    """Non-empty when a memory-only live result is compared with a cold move that copies a disk."""
    if isinstance(live, PrecopyResult) and not cold.shared_storage and cold.disk_gib > 0:
        return (f"this live result moves memory only; without shared storage live migration must also mirror the "
                f"{cold.disk_gib:g} GiB disk: use vmlab.live_migration_with_storage(...)")
    return ""


def live_vs_cold_table(live: PrecopyResult | LiveStorageResult, cold: ColdResult) -> pd.DataFrame:
    """The course text's comparison table with this scenario's numbers in brackets.

    Rows: VM state, downtime, network load, complexity; columns: the feature, hot (live) and
    cold. Pass the live side from :func:`live_migration_with_storage` when the storage is not
    shared (a memory-only :func:`vmlab.precopy` result then draws a ``UserWarning``).

    >>> from vmlab import VM, Link, cold_migration
    >>> vm, link = VM(memory_mib=4096, dirty_rate_mib_s=30), Link(bandwidth_mib_s=119.2)
    >>> live = live_migration_with_storage(vm, link, disk_gib=40)
    >>> t = live_vs_cold_table(live, cold_migration(vm, link, disk_gib=40))
    >>> list(t["Feature"])
    ['VM State', 'Downtime', 'Network Load', 'Complexity']
    >>> t.iloc[2, 1][:42]
    'Disk mirror + memory sync: 40,960 MiB disk'
    """
    check_type("live", live, (PrecopyResult, LiveStorageResult), "a PrecopyResult or LiveStorageResult")
    check_type("cold", cold, ColdResult, "a ColdResult (from vmlab.cold_migration)")
    note = _memory_only_note(live, cold)
    if note:
        warnings.warn(note, UserWarning, stacklevel=2)
    state = "Powered off" if cold.guest_state == "powered_off" else "Suspended"
    storage = isinstance(live, LiveStorageResult) and not live.shared_storage and live.disk_gib > 0
    if live.completed:
        flush = ", disk flush included" if storage and live.disk_flush_mib > 0 else ""
        live_down = f"{'Sub-second' if live.downtime_ms < 1000 else 'Seconds'} ({_duration(live.downtime_ms / 1000)}{flush})"
    else:
        live_down = f"none: did not complete ({live.stop})"
    live_rate = live.data_sent_mib / max(live.total_time_s, 1e-9)
    mem = live.vm.memory_mib
    if storage:
        load = (f"Disk mirror + memory sync: {live.disk_data_sent_mib:,.0f} MiB disk + "
                f"{live.memory_data_sent_mib:,.0f} MiB memory ({live.memory_data_sent_mib / mem:.2f}x RAM), "
                f"{live_rate:.0f} MiB/s for {_duration(live.total_time_s)}")
        orchestration = (f"Orchestration: a disk mirror kept in sync ({_duration(live.mirror_time_s)}), then dirty-page "
                         f"tracking over {live.n_rounds} rounds, a switch-over decision, ARP update")
    else:
        load = (f"Memory sync: {live.data_sent_mib:,.0f} MiB = {live.data_sent_mib / mem:.2f}x RAM, "
                f"{live_rate:.0f} MiB/s for {_duration(live.total_time_s)}")
        if note:
            load += f" (memory only: the {cold.disk_gib:g} GiB disk would have to be mirrored too)"
        orchestration = (f"Orchestration: dirty-page tracking over {live.n_rounds} rounds, a switch-over decision, "
                         "ARP update")
    rows = [
        ("VM State", "Powered on / running (throughout)", f"{state} (for {_duration((cold.downtime_ms / 1000))})"),
        ("Downtime", live_down, f"Move + boot ({_duration((cold.downtime_ms / 1000))})"),
        ("Network Load", load,
         f"Disk files: {cold.data_sent_mib:,.0f} MiB" + (" (shared storage: metadata only)" if cold.shared_storage else "")),
        ("Complexity", orchestration, f"File transfer: {len(cold.steps)} sequential steps"),
    ]
    return pd.DataFrame(rows, columns=["Feature", "Hot (Live) Migration", "Cold Migration"])


# ---- the grid ----------------------------------------------------------------------------------
class _LiveVsColdFrame(pd.DataFrame):
    """A :func:`live_vs_cold_grid` table: a renamed column read by its old name warns and still works."""

    @property
    def _constructor(self):
        return _LiveVsColdFrame

    @staticmethod
    def _renamed(key):
        if isinstance(key, str) and key in _RENAMED_COLUMNS:
            new = _RENAMED_COLUMNS[key]
            warnings.warn(f"column {key!r} is now {new!r} (one name per quantity); the old name will go",
                          DeprecationWarning, stacklevel=3)
            return new
        return key

    def __getitem__(self, key):
        if isinstance(key, str) and key in _RENAMED_COLUMNS and key not in self.columns:
            key = self._renamed(key)
        return super().__getitem__(key)

    def __getattr__(self, name):
        if name in _RENAMED_COLUMNS:
            return super().__getitem__(self._renamed(name))
        return super().__getattr__(name)


def _grid_live(vm, link, policy, D, B, W, S, cap) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """The live side of the grid (precopy_grid columns + mirror columns), flat arrays D, B, W."""
    setup_s = policy.setup_ms / 1000.0
    if S <= 0:  # nothing to mirror: exactly a pre-copy
        mem = precopy_grid(vm=vm, link=link, policy=policy, dirty_rate_mib_s=D, bandwidth_mib_s=B)
        out = {c: mem[c].to_numpy() for c in ("converged", "completed", "n_rounds", "total_time_s", "downtime_ms",
                                               "data_sent_mib")}
        out["stop"] = mem["stop"].astype(object).to_numpy()
        out.update(mirror_in_sync=np.ones(D.size, dtype=bool), mirror_time_s=np.zeros(D.size),
                   disk_data_sent_mib=np.zeros(D.size))
        return mem, {k: out[k] for k in ("converged", "completed", "stop", "n_rounds", "total_time_s", "downtime_ms",
                                         "data_sent_mib", "mirror_in_sync", "mirror_time_s", "disk_data_sent_mib")}
    timeout_s = _timeout(policy)
    m = _mirror(S, W, B, cap, setup_s, timeout_s)
    ok = m["in_sync"]
    B_mem = np.where(ok, B - m["W"], B)
    budget = {}  # the memory phase gets what the mirror left of the timeout (no timeout: none either)
    if math.isfinite(timeout_s):
        budget["timeout_s"] = np.where(ok, timeout_s - setup_s - np.where(ok, m["t_sync"], 0.0), timeout_s)
    mem = precopy_grid(vm=vm, link=link, policy=policy.replace(setup_ms=0.0), dirty_rate_mib_s=D,
                       bandwidth_mib_s=B_mem, **budget)
    # memory rounds' live time: the mirror keeps sending W meanwhile
    live_rounds_s = mem["total_time_s"].to_numpy() - np.where(mem["completed"], mem["downtime_ms"].to_numpy() / 1000, 0.0)
    completed = mem["completed"].to_numpy(dtype=bool) & ok
    flush_s = np.where(completed & (m["rate"] > 0), m["W"] * MIRROR_SLICE_S / m["rate"], 0.0)
    t_sync = np.where(ok, m["t_sync"], m["budget"])
    out = {
        "converged": mem["converged"].to_numpy(dtype=bool) & ok,
        "completed": completed,
        "stop": mem["stop"].astype(object).to_numpy(),
        "n_rounds": np.where(ok, mem["n_rounds"].to_numpy(), 0),
        "total_time_s": setup_s + t_sync + np.where(ok, mem["total_time_s"].to_numpy() + flush_s, 0.0),
        "downtime_ms": np.where(ok, mem["downtime_ms"].to_numpy() + 1000 * flush_s, np.nan),
        "data_sent_mib": np.where(ok, m["S"] + m["W"] * (t_sync + live_rounds_s) + mem["data_sent_mib"].to_numpy(),
                                  m["rate"] * t_sync),
        "mirror_in_sync": ok,
        "mirror_time_s": t_sync,
        "disk_data_sent_mib": np.where(ok, m["S"] + m["W"] * (t_sync + live_rounds_s), m["rate"] * t_sync),
    }
    out["stop"] = np.where(ok, out["stop"], "mirror cancelled at timeout" if math.isfinite(timeout_s) else "mirror never in sync")
    forced = ~ok & (policy.on_timeout == "force") & math.isfinite(timeout_s)
    if forced.any():  # paused at the timeout: the rest of the disk, then all of memory with the VM stopped
        paused = precopy_grid(vm=vm, link=link, policy=policy.replace(setup_ms=0.0), dirty_rate_mib_s=0.0,
                              bandwidth_mib_s=B[forced])
        rest = (m["S"] + (m["W"] - m["rate"]) * m["budget"])[forced]
        down = rest / m["rate"][forced] + paused["total_time_s"].to_numpy()
        out["completed"][forced] = True
        out["stop"][forced] = "mirror forced at timeout"
        out["n_rounds"][forced] = paused["n_rounds"].to_numpy()
        out["downtime_ms"][forced] = 1000 * down
        out["total_time_s"][forced] += down
        out["disk_data_sent_mib"][forced] += rest
        out["data_sent_mib"][forced] += rest + paused["data_sent_mib"].to_numpy()
    return mem, out


def live_vs_cold_grid(
    *,
    dirty_rate_mib_s,
    bandwidth_mib_s,
    vm: VM | None = None,
    link: Link | None = None,
    policy: PrecopyPolicy | None = None,
    disk_gib: float = 40.0,
    shared_storage: bool = False,
    cold_policy: ColdPolicy | None = None,
    criterion: str = "downtime",
    disk_dirty_rate_mib_s=0.0,
    mirror_bandwidth_mib_s: float | None = None,
) -> pd.DataFrame:
    """Which of live and cold migration wins, over a grid of dirty rate × bandwidth.

    Without shared storage both sides move the disk: cold copies it while the VM is off, live
    mirrors it while the VM runs and then pre-copies memory (:func:`live_migration_with_storage`,
    with the guest writing its disk at ``disk_dirty_rate_mib_s``, a scalar or an array that
    broadcasts with the other two). With shared storage live moves memory only
    (:func:`vmlab.precopy`) and cold only the metadata.

    ``criterion`` is ``"downtime"`` (service interruption), ``"total_time"`` (time until the
    move is over) or ``"data_sent"`` (network load). A live migration that does not complete
    loses on every criterion: the VM never moved (:func:`live_vs_cold_verdict`'s rule).

    Returns
    -------
    pandas.DataFrame
        The varied inputs (``dirty_rate_mib_s``, ``bandwidth_mib_s``, and
        ``disk_dirty_rate_mib_s`` when it is an array), the live side's ``converged``,
        ``completed``, ``stop``, ``n_rounds``, ``total_time_s``, ``downtime_ms``,
        ``data_sent_mib`` (disk included), ``mirror_in_sync``, ``mirror_time_s``,
        ``disk_data_sent_mib``, then ``cold_downtime_s``, ``cold_total_time_s``,
        ``cold_data_sent_mib`` and ``winner`` (``"live"`` or ``"cold"``). The column
        ``cold_data_mib`` is now ``cold_data_sent_mib`` (reading the old name warns).

    Examples
    --------
    >>> import numpy as np
    >>> g = live_vs_cold_grid(dirty_rate_mib_s=np.array([10.0, 5000.0]), bandwidth_mib_s=119.2)
    >>> list(g["winner"])
    ['live', 'cold']
    >>> g = live_vs_cold_grid(dirty_rate_mib_s=10.0, bandwidth_mib_s=119.2, disk_dirty_rate_mib_s=np.array([5.0, 150.0]))
    >>> g[["mirror_in_sync", "winner"]].to_dict("list")
    {'mirror_in_sync': [True, False], 'winner': ['live', 'cold']}
    """
    check_choice("criterion", criterion, tuple(CRITERIA))
    check_number("disk_gib", disk_gib, minimum=0)
    check_bool("shared_storage", shared_storage)
    cap = check_number("mirror_bandwidth_mib_s", mirror_bandwidth_mib_s, minimum=0, min_inclusive=False, allow_none=True)
    cap = math.inf if cap is None else cap
    vm = VM() if vm is None else check_type("vm", vm, VM, "a VM")
    link = Link() if link is None else check_type("link", link, Link, "a Link")
    policy = PrecopyPolicy.qemu() if policy is None else check_type("policy", policy, PrecopyPolicy, "a PrecopyPolicy")
    w_varies = np.ndim(disk_dirty_rate_mib_s) > 0
    W_in = Number(minimum=0, allow_inf=True).check_array("disk_dirty_rate_mib_s", disk_dirty_rate_mib_s)
    D_in = VM.field_spec("dirty_rate_mib_s").check_array("VM.dirty_rate_mib_s", dirty_rate_mib_s)
    B_in = Link.field_spec("bandwidth_mib_s").check_array("Link.bandwidth_mib_s", bandwidth_mib_s)
    try:
        D, B, W = (np.ascontiguousarray(a).ravel() for a in np.broadcast_arrays(D_in, B_in, W_in))
    except ValueError as err:
        raise ValueError(f"live_vs_cold_grid(): dirty_rate_mib_s{np.shape(D_in)}, bandwidth_mib_s{np.shape(B_in)} and "
                         f"disk_dirty_rate_mib_s{np.shape(W_in)} do not broadcast together") from err
    S = 0.0 if shared_storage else gib_to_mib(disk_gib)
    _mem, live = _grid_live(vm, link, policy, D, B, W, S, cap)

    frame = {"dirty_rate_mib_s": D, "bandwidth_mib_s": B}
    if w_varies:
        frame["disk_dirty_rate_mib_s"] = W
    out = _LiveVsColdFrame({**frame, **live})
    stops = list(dict.fromkeys([*_mem["stop"].cat.categories, "mirror cancelled at timeout", "mirror forced at timeout",
                                      "mirror never in sync"]))
    out["stop"] = pd.Categorical(out["stop"], categories=stops)
    # cold does not depend on the dirty rates: one evaluation per distinct bandwidth
    colds = {b: cold_migration(vm, Link(bandwidth_mib_s=float(b), latency_ms=link.latency_ms), disk_gib=disk_gib,
                               shared_storage=shared_storage, policy=cold_policy)
             for b in np.unique(B)}
    out["cold_downtime_s"] = np.array([colds[b].downtime_ms / 1000.0 for b in B])
    out["cold_total_time_s"] = np.array([colds[b].total_time_s for b in B])
    out["cold_data_sent_mib"] = np.array([colds[b].data_sent_mib for b in B])
    live_value = {"downtime": out["downtime_ms"] / 1000, "total_time": out["total_time_s"],
                  "data_sent": out["data_sent_mib"]}[criterion]
    cold_value = {"downtime": out["cold_downtime_s"], "total_time": out["cold_total_time_s"],
                  "data_sent": out["cold_data_sent_mib"]}[criterion]
    out["winner"] = np.where(_live_wins(out["completed"], live_value, cold_value), "live", "cold")
    return out
