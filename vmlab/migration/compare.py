"""Live versus cold: the seed's comparison table, regenerated with numbers for one scenario.

| Feature | Hot (Live) Migration | Cold Migration |
|---|---|---|
| VM State | Powered On / Running | Powered Off / Suspended |
| Downtime | Near-Zero (Sub-second) | Duration of move + Boot time |
| Network Load | Very High (Memory sync) | Low to High (depending on disk size) |
| Complexity | High (Orchestration required) | Low (File transfer) |
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from vmlab._checks import check_choice, check_number
from vmlab.migration.cold import ColdPolicy, ColdResult, cold_migration
from vmlab.migration.params import VM, Link, PrecopyPolicy
from vmlab.migration.precopy import PrecopyResult, precopy_grid

__all__ = ["live_vs_cold_table", "live_vs_cold_grid"]


def _duration(seconds: float) -> str:
    if not np.isfinite(seconds):
        return "n/a"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.1f} min"


def live_vs_cold_table(live: PrecopyResult, cold: ColdResult) -> pd.DataFrame:
    """The seed's comparison table with this scenario's numbers in brackets.

    Rows: VM state, downtime, network load, complexity; columns: the feature, hot (live)
    and cold. Complexity is counted as what must be coordinated while the VM runs: live
    migration tracks dirty pages over ``n_rounds`` rounds and decides when to switch over;
    cold migration runs its five steps one after the other.

    >>> from vmlab import VM, Link, precopy, cold_migration
    >>> vm, link = VM(memory_mib=4096, dirty_rate_mib_s=30), Link(bandwidth_mib_s=119.2)
    >>> t = live_vs_cold_table(precopy(vm, link), cold_migration(vm, link, disk_gib=40))
    >>> list(t["Feature"])
    ['VM State', 'Downtime', 'Network Load', 'Complexity']
    """
    if not isinstance(live, PrecopyResult) or not isinstance(cold, ColdResult):
        raise TypeError("live_vs_cold_table(live, cold) takes a PrecopyResult and a ColdResult")
    state = "Powered off" if cold.guest_state == "powered_off" else "Suspended"
    if live.completed:
        live_down = f"{'Sub-second' if live.downtime_ms < 1000 else 'Seconds'} ({_duration(live.downtime_ms / 1000)})"
    else:
        live_down = f"none: did not complete ({live.stop})"
    live_rate = live.data_sent_mib / max(live.total_time_s, 1e-9)
    mem = live.vm.memory_mib
    rows = [
        ("VM State", "Powered on / running (throughout)", f"{state} (for {_duration(cold.downtime_s)})"),
        ("Downtime", live_down, f"Move + boot ({_duration(cold.downtime_s)})"),
        (
            "Network Load",
            f"Memory sync: {live.data_sent_mib:,.0f} MiB = {live.data_sent_mib / mem:.2f}x RAM, "
            f"{live_rate:.0f} MiB/s for {_duration(live.total_time_s)}",
            f"Disk files: {cold.data_sent_mib:,.0f} MiB" + (" (shared storage: metadata only)" if cold.shared_storage else ""),
        ),
        (
            "Complexity",
            f"Orchestration: dirty-page tracking over {live.n_rounds} rounds, a switch-over decision, ARP update",
            f"File transfer: {len(cold.steps)} sequential steps",
        ),
    ]
    return pd.DataFrame(rows, columns=["Feature", "Hot (Live) Migration", "Cold Migration"])


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
) -> pd.DataFrame:
    """Which of live and cold migration wins, over a grid of dirty rate × bandwidth.

    ``criterion`` is ``"downtime"`` (service interruption), ``"total_time"`` (time until the
    move is over) or ``"data_sent"`` (network load). A live migration that does not complete
    loses on every criterion: the VM never moved. Returns the :func:`precopy_grid` table plus
    ``cold_downtime_s``, ``cold_data_mib`` and ``winner`` (``"live"`` or ``"cold"``).

    >>> import numpy as np
    >>> g = live_vs_cold_grid(dirty_rate_mib_s=np.array([10.0, 5000.0]), bandwidth_mib_s=119.2)
    >>> list(g["winner"])
    ['live', 'cold']
    """
    check_choice("criterion", criterion, ("downtime", "total_time", "data_sent"))
    check_number("disk_gib", disk_gib, minimum=0)
    vm = VM() if vm is None else vm
    link = Link() if link is None else link
    D, B = np.broadcast_arrays(np.asarray(dirty_rate_mib_s, dtype=float), np.asarray(bandwidth_mib_s, dtype=float))
    live = precopy_grid(vm=vm, link=link, policy=policy, dirty_rate_mib_s=D, bandwidth_mib_s=B)
    # cold does not depend on the dirty rate: one evaluation per distinct bandwidth
    bws = live["bandwidth_mib_s"].to_numpy()
    unique = np.unique(bws)
    colds = {
        b: cold_migration(vm, Link(bandwidth_mib_s=float(b), latency_ms=link.latency_ms), disk_gib=disk_gib,
                          shared_storage=shared_storage, policy=cold_policy)
        for b in unique
    }
    live["cold_downtime_s"] = np.array([colds[b].downtime_s for b in bws])
    live["cold_data_mib"] = np.array([colds[b].data_sent_mib for b in bws])
    if criterion == "downtime":
        live_value, cold_value = live["downtime_ms"] / 1000, live["cold_downtime_s"]
    elif criterion == "total_time":
        live_value, cold_value = live["total_time_s"], live["cold_downtime_s"]
    else:
        live_value, cold_value = live["data_sent_mib"], live["cold_data_mib"]
    live_wins = live["completed"].to_numpy() & (live_value.to_numpy() <= cold_value.to_numpy())
    live["winner"] = np.where(live_wins, "live", "cold")
    return live
