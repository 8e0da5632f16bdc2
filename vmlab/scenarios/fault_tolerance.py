"""Fault tolerance: a host warns that it will fail; can its VMs get out in time?

Hardware reports "pre-failure" warnings (SMART disk errors, correctable-ECC storms, a failing
fan or power supply), and a predictor turns them into a *time to failure* ``T_f``. The VMs
then race the failure: a VM is saved only if its data is off the host before ``T_f``.

* **Live** (pre-copy): the VM keeps running on the source until the switch-over, so it is
  safe only when its migration has *completed*; a migration still in flight at ``T_f`` loses
  the VM, and one that does not converge never saves it.
* **Cold**: the VM is shut down, its configuration (and, without shared storage, its disk)
  copied; it is safe once that copy is done, and boots on the destination afterwards, even
  after the source has died. Every cold-migrated VM is down for the whole move and boot.

The VMs leave ``parallel`` at a time over the shared link (bandwidth split equally, as in
:func:`vmlab.evacuate`) in the chosen order. With one link, *shortest-first* maximises the
number of VMs saved before any deadline (the shortest-processing-time rule).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from vmlab._checks import check_bool, check_choice, check_int, check_number, check_type
from vmlab.migration.cold import ColdPolicy, cold_migration
from vmlab.migration.params import VM, Link, PrecopyPolicy
from vmlab.scenarios.evacuation import ORDERS, _check_names, _check_vms, _order, migrate_fleet, schedule

__all__ = ["EscapeResult", "escape_failing_host", "escape_curve"]


@dataclass(frozen=True)
class EscapeResult:
    """Outcome of the race between the migrations and the predicted failure.

    Attributes
    ----------
    n_saved, n_lost : int
    saved_memory_mib, lost_memory_mib : float
    all_safe_s : float
        When the last VM is safe (``inf`` if some can never be).
    margin_s : float
        ``time_to_failure_s - all_safe_s``: positive = every VM escapes with time to spare.
    total_downtime_s : float
        Service downtime summed over the saved VMs, s (cold: shutdown to boot; live: blackouts).
    schedule : pandas.DataFrame
        One row per VM: vm, name, memory_mib, dirty_rate_mib_s, slot, start_s, safe_s,
        end_s, downtime_s, saved.
    """

    method: str
    time_to_failure_s: float
    parallel: int
    order: str
    n_saved: int
    n_lost: int
    saved_memory_mib: float
    lost_memory_mib: float
    all_safe_s: float
    margin_s: float
    total_downtime_s: float
    schedule: pd.DataFrame = field(repr=False)


def _durations(vms: list[VM], share: Link, method: str, policy: PrecopyPolicy, cold_policy: ColdPolicy | None,
               disk_gib: float, shared_storage: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(time until safe, time until running again, downtime) per VM, each migrating alone on ``share``."""
    if method == "live":
        fleet = migrate_fleet(vms, share, policy)
        total = fleet["total_time_s"].to_numpy()
        done = fleet["completed"].to_numpy()
        safe = np.where(done, total, math.inf)
        down = np.where(done, fleet["downtime_ms"].to_numpy() / 1000.0, 0.0)
        occupied = total  # a cancelled migration still occupies its slot until the timeout
        return safe, occupied, down
    safe, occupied, down = [], [], []
    for v in vms:
        c = cold_migration(v, share, disk_gib=disk_gib, shared_storage=shared_storage, policy=cold_policy)
        steps = c.steps.set_index("step")
        moved = float(steps.loc["disk move", "start_s"] + steps.loc["disk move", "duration_s"])
        safe.append(moved)
        occupied.append(moved)  # the link is free again once the copy is done; boot runs on the destination
        down.append(c.downtime_ms / 1000.0)
    return np.array(safe), np.array(occupied), np.array(down)


def escape_failing_host(
    vms: Sequence[VM],
    link: Link,
    *,
    time_to_failure_s: float,
    method: str = "live",
    order: str = "shortest_first",
    parallel: int = 1,
    policy: PrecopyPolicy | None = None,
    cold_policy: ColdPolicy | None = None,
    disk_gib: float = 20.0,
    shared_storage: bool = True,
    names: Sequence[str] | None = None,
) -> EscapeResult:
    """Race the VMs of a failing host against its predicted time to failure.

    Parameters
    ----------
    vms : list of VM
    link : Link
        Shared by the ``parallel`` migrations running at once.
    time_to_failure_s : float
        Predicted seconds from the warning to the failure.
    method : {"live", "cold"}
    order : str
        One of :data:`vmlab.scenarios.ORDERS` (default: shortest first).
    parallel : int
    policy : PrecopyPolicy, optional
        Live migration policy (default QEMU's; a migration that does not converge is cancelled
        at its timeout and saves nothing).
    cold_policy, disk_gib, shared_storage
        As for :func:`vmlab.cold_migration`.

    Examples
    --------
    >>> fleet = [VM(memory_mib=4096, dirty_rate_mib_s=30) for _ in range(4)]
    >>> link = Link(bandwidth_mib_s=119.2)
    >>> live = escape_failing_host(fleet, link, time_to_failure_s=100)
    >>> live.n_saved, live.n_lost      # about 46 s each, one after the other
    (2, 2)
    >>> escape_failing_host(fleet, link, time_to_failure_s=100, method="cold").n_saved   # shared storage: shutdown + metadata
    4
    """
    vms = _check_vms(vms)
    ttf = check_number("time_to_failure_s", time_to_failure_s, minimum=0, allow_inf=True)
    check_choice("method", method, ("live", "cold"))
    check_choice("order", order, ORDERS)
    k = check_int("parallel", parallel, minimum=1, maximum=1024)
    check_bool("shared_storage", shared_storage)
    check_type("link", link, Link, "a Link")
    policy = PrecopyPolicy.qemu() if policy is None else policy
    check_type("policy", policy, PrecopyPolicy, "a PrecopyPolicy")
    if cold_policy is not None:
        check_type("cold_policy", cold_policy, ColdPolicy, "a ColdPolicy")
    disk_gib = check_number("disk_gib", disk_gib, minimum=0, maximum=2.0**30)
    names = _check_names(names, len(vms))
    share = Link(bandwidth_mib_s=link.bandwidth_mib_s / k, latency_ms=link.latency_ms)
    safe_rel, occupied, down = _durations(vms, share, method, policy, cold_policy, disk_gib, shared_storage)
    idx = _order(order, vms, np.where(np.isfinite(safe_rel), safe_rel, 1e18))
    start, slot = schedule(occupied, idx, k)
    safe = start + safe_rel
    saved = safe <= ttf
    mem = np.array([v.memory_mib for v in vms])
    table = pd.DataFrame({
        "vm": np.arange(len(vms)), "name": names, "memory_mib": mem,
        "dirty_rate_mib_s": [v.dirty_rate for v in vms], "slot": slot, "start_s": start,
        "safe_s": safe, "end_s": start + occupied, "downtime_s": down, "saved": saved,
    }).sort_values("start_s", kind="stable").reset_index(drop=True)
    all_safe = float(safe.max())
    return EscapeResult(
        method=method, time_to_failure_s=ttf, parallel=k, order=order,
        n_saved=int(saved.sum()), n_lost=int((~saved).sum()),
        saved_memory_mib=float(mem[saved].sum()), lost_memory_mib=float(mem[~saved].sum()),
        all_safe_s=all_safe, margin_s=ttf - all_safe if math.isfinite(all_safe) else -math.inf,
        total_downtime_s=float(down[saved].sum()), schedule=table,
    )


def escape_curve(
    vms: Sequence[VM],
    link: Link,
    *,
    lead_times_s: Sequence[float],
    methods: Sequence[str] = ("live", "cold"),
    orders: Sequence[str] = ("shortest_first",),
    parallel: int = 1,
    **kwargs,
) -> pd.DataFrame:
    """VMs saved against the warning's lead time, for each method and order.

    Returns a tidy table: method, order, time_to_failure_s, n_saved, saved_memory_mib.

    >>> fleet = [VM(memory_mib=2048, dirty_rate_mib_s=10) for _ in range(3)]
    >>> t = escape_curve(fleet, Link(bandwidth_mib_s=119.2), lead_times_s=[10, 100], methods=("live",))
    >>> t["n_saved"].tolist()
    [0, 3]
    """
    rows = []
    for method in methods:
        for order in orders:
            base = escape_failing_host(vms, link, time_to_failure_s=math.inf, method=method, order=order,
                                       parallel=parallel, **kwargs)
            safe = base.schedule["safe_s"].to_numpy()
            mem = base.schedule["memory_mib"].to_numpy()
            for t in lead_times_s:
                t = check_number("lead_times_s", t, minimum=0, allow_inf=True)
                ok = safe <= t
                rows.append((method, order, t, int(ok.sum()), float(mem[ok].sum())))
    return pd.DataFrame(rows, columns=["method", "order", "time_to_failure_s", "n_saved", "saved_memory_mib"])
