"""Load balancing: move one VM from an over-utilised host to an under-utilised one.

Utilisation of a host is its VMs' CPU demand over its cores, ``u = Σ c_i / C``. Moving VM j
(demand ``c_j``) from source S to destination D gives

    u_S' = (S - c_j) / C_S,     u_D' = (D + c_j) / C_D.

The **benefit** of a move is how much it lowers the busier host's utilisation,
``max(u_S, u_D) - max(u_S', u_D')`` (percentage points); its **cost** is the migration's own
traffic (pre-copy data sent, GiB) and time. The VM with the best benefit per GiB that fits on
the destination without overloading it is chosen.

While the migration runs it is not free: CloudSim charges a migrating VM's host a CPU overhead
of 10 % of the VM's demand (``VmSchedulerTimeShared``: "10 % performance degradation due to VM
migration"; CloudSim Plus' ``vmMigrationCpuOverhead``: "the percentage of Host's CPU usage
increase when a VM is migrating in or out of the Host"), so during the move

    u_S(during) = (S + 0.1·c_j) / C_S,     u_D(during) = (D + 0.1·c_j) / C_D,

and the migration stream occupies ``data_sent / total_time`` of both hosts' network links. An
over-utilised host gets *worse* before it gets better. CloudSim also estimates the migration
time as ``RAM / (bandwidth / 2)`` (half the bandwidth is reserved for migration); the pre-copy
model's time is shown next to it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from vmlab._checks import Params, check_number, check_type, instance, number, text
from vmlab.migration.params import VM, Link, PrecopyPolicy
from vmlab.scenarios.evacuation import migrate_fleet
from vmlab.units import mib_to_gib

__all__ = ["PlacedVM", "BalanceResult", "balance_load", "demo_hot_host"]


@dataclass(frozen=True, kw_only=True)
class PlacedVM(Params):
    """A VM with its CPU demand, as placed on a host.

    >>> PlacedVM(name="web", vm=VM(memory_mib=2048), cpu_cores=1.5).cpu_cores
    1.5
    """

    name: str = text()
    vm: VM = instance(VM, what="a VM")
    cpu_cores: float = number(minimum=0, maximum=1e6)


@dataclass(frozen=True)
class BalanceResult:
    """Which VM to move, what the move costs while it runs, and the utilisations before/after.

    Attributes
    ----------
    chosen : str or None
        The VM moved (``None``: no move helps and fits).
    candidates : pandas.DataFrame
        One row per source VM: name, cpu_cores, memory_mib, source_after, destination_after,
        benefit_pp, migration_time_s, data_sent_mib, benefit_per_gib, feasible, reason.
    utilisation : pandas.DataFrame
        host, before, during, after (CPU utilisation, 0..1 and above when overloaded).
    timeline : pandas.DataFrame
        t_s, source, destination, network (utilisation at each phase boundary, for a step plot).
    migration_time_s, data_sent_mib, cloudsim_time_s : float
        Of the chosen move (CloudSim's ``RAM / (bandwidth / 2)`` for comparison).
    network_share : float
        Share of the link the migration stream uses while it runs.
    relieved : bool
        After the move neither host is above ``overload_above``.
    """

    chosen: str | None
    candidates: pd.DataFrame = field(repr=False)
    utilisation: pd.DataFrame = field(repr=False)
    timeline: pd.DataFrame = field(repr=False)
    migration_time_s: float = math.nan
    data_sent_mib: float = 0.0
    cloudsim_time_s: float = math.nan
    network_share: float = 0.0
    relieved: bool = False
    overload_above: float = 0.8


def _placed(name: str, items: Sequence[PlacedVM], allow_empty: bool) -> list[PlacedVM]:
    if isinstance(items, PlacedVM) or not isinstance(items, Sequence) or (not items and not allow_empty):
        raise TypeError(f"{name} must be a {'' if allow_empty else 'non-empty '}list of PlacedVM; got {type(items).__name__}")
    for i, p in enumerate(items):
        if not isinstance(p, PlacedVM):
            raise TypeError(f"{name}[{i}] must be a PlacedVM; got {type(p).__name__}")
    return list(items)


def balance_load(
    source: Sequence[PlacedVM],
    destination: Sequence[PlacedVM],
    link: Link,
    policy: PrecopyPolicy | None = None,
    *,
    source_cores: float = 16.0,
    destination_cores: float = 16.0,
    destination_free_memory_mib: float = math.inf,
    overload_above: float = 0.8,
    migration_cpu_overhead: float = 0.10,
) -> BalanceResult:
    """Pick the VM whose move off ``source`` buys the most balance per GiB of migration traffic.

    Parameters
    ----------
    source, destination : list of PlacedVM
        The VMs on the over-utilised and the under-utilised host.
    link : Link
    policy : PrecopyPolicy, optional
        Pre-copy policy (default QEMU's).
    source_cores, destination_cores : float
        CPU capacity of each host, in cores.
    destination_free_memory_mib : float
        Memory free on the destination (a VM that does not fit is not a candidate).
    overload_above : float
        Utilisation above which a host counts as over-utilised; a move may not push the
        destination above it.
    migration_cpu_overhead : float
        CPU overhead of migrating, as a share of the VM's demand, charged to both hosts while
        it runs (CloudSim: 0.10).

    Examples
    --------
    >>> src = [PlacedVM(name="db", vm=VM(memory_mib=16384, dirty_rate_mib_s=80), cpu_cores=6),
    ...        PlacedVM(name="web", vm=VM(memory_mib=2048, dirty_rate_mib_s=10), cpu_cores=4),
    ...        PlacedVM(name="batch", vm=VM(memory_mib=4096, dirty_rate_mib_s=5), cpu_cores=4)]
    >>> dst = [PlacedVM(name="idle", vm=VM(memory_mib=2048), cpu_cores=2)]
    >>> r = balance_load(src, dst, Link(bandwidth_mib_s=1192))
    >>> r.chosen, r.relieved
    ('web', True)
    >>> u = r.utilisation.set_index("host")
    >>> bool(u.loc["source", "during"] > u.loc["source", "before"])   # worse before it gets better
    True
    """
    source = _placed("source", source, allow_empty=False)
    destination = _placed("destination", destination, allow_empty=True)
    check_type("link", link, Link, "a Link")
    cs = check_number("source_cores", source_cores, minimum=0, min_inclusive=False)
    cd = check_number("destination_cores", destination_cores, minimum=0, min_inclusive=False)
    free_mem = check_number("destination_free_memory_mib", destination_free_memory_mib, minimum=0, allow_inf=True)
    thr = check_number("overload_above", overload_above, minimum=0, maximum=1, min_inclusive=False)
    ovh = check_number("migration_cpu_overhead", migration_cpu_overhead, minimum=0, maximum=1)
    policy = PrecopyPolicy.qemu() if policy is None else policy
    check_type("policy", policy, PrecopyPolicy, "a PrecopyPolicy")

    S = sum(p.cpu_cores for p in source)
    D = sum(p.cpu_cores for p in destination)
    us, ud = S / cs, D / cd
    c = np.array([p.cpu_cores for p in source])
    mem = np.array([p.vm.memory_mib for p in source])
    fleet = migrate_fleet([p.vm for p in source], link, policy)
    us_after = (S - c) / cs
    ud_after = (D + c) / cd
    benefit = 100.0 * (max(us, ud) - np.maximum(us_after, ud_after))
    gib = mib_to_gib(fleet["data_sent_mib"].to_numpy())
    ratio = benefit / np.maximum(gib, 1e-12)  # something is always sent (device state at least)
    fits_mem = mem <= free_mem
    fits_cpu = ud_after <= thr
    done = fleet["completed"].to_numpy()
    feasible = fits_mem & fits_cpu & done & (benefit > 0)
    reasons = np.where(~fits_mem, "no memory on destination",
              np.where(~fits_cpu, "would overload destination",
              np.where(~done, "migration does not converge",
              np.where(benefit <= 0, "no benefit", "ok"))))
    candidates = pd.DataFrame({
        "name": [p.name for p in source], "cpu_cores": c, "memory_mib": mem,
        "source_after": us_after, "destination_after": ud_after, "benefit_pp": benefit,
        "migration_time_s": fleet["total_time_s"].to_numpy(), "data_sent_mib": fleet["data_sent_mib"].to_numpy(),
        "benefit_per_gib": ratio, "feasible": feasible, "reason": reasons,
    })
    if feasible.any():
        j = int(np.flatnonzero(feasible)[np.argmax(ratio[feasible])])
        T = float(fleet.loc[j, "total_time_s"])
        sent = float(fleet.loc[j, "data_sent_mib"])
        net = sent / T / link.bandwidth_mib_s if T > 0 else 0.0
        during = ((S + ovh * c[j]) / cs, (D + ovh * c[j]) / cd)
        after = (us_after[j], ud_after[j])
        chosen = source[j].name
        cloudsim = float(mem[j] / (link.bandwidth_mib_s / 2.0))
    else:
        j, T, sent, net, chosen, cloudsim = None, 0.0, 0.0, 0.0, None, math.nan
        during = after = (us, ud)
    utilisation = pd.DataFrame({"host": ["source", "destination"], "before": [us, ud],
                                "during": list(during), "after": list(after)})
    lead = max(T * 0.25, 1.0)
    timeline = pd.DataFrame({
        "t_s": [-lead, 0.0, 0.0, T, T, T + lead],
        "source": [us, us, during[0], during[0], after[0], after[0]],
        "destination": [ud, ud, during[1], during[1], after[1], after[1]],
        "network": [0.0, 0.0, net, net, 0.0, 0.0],
    })
    return BalanceResult(
        chosen=chosen, candidates=candidates, utilisation=utilisation, timeline=timeline,
        migration_time_s=T if j is not None else math.nan, data_sent_mib=sent, cloudsim_time_s=cloudsim,
        network_share=net, relieved=bool(j is not None and max(after) <= thr), overload_above=thr,
    )


def demo_hot_host() -> tuple[list[PlacedVM], list[PlacedVM]]:
    """A hot 16-core host (90 % busy) and a quiet one (25 %): the balancing example.

    >>> src, dst = demo_hot_host()
    >>> sum(p.cpu_cores for p in src) / 16, sum(p.cpu_cores for p in dst) / 16
    (0.90625, 0.25)
    """
    src = [
        PlacedVM(name="db", vm=VM(memory_mib=32768, dirty_rate_mib_s=120, wws_mib=8192), cpu_cores=5.0),
        PlacedVM(name="web-1", vm=VM(memory_mib=4096, dirty_rate_mib_s=20, wws_mib=1024), cpu_cores=3.0),
        PlacedVM(name="web-2", vm=VM(memory_mib=4096, dirty_rate_mib_s=20, wws_mib=1024), cpu_cores=2.5),
        PlacedVM(name="cache", vm=VM(memory_mib=16384, dirty_rate_mib_s=300, wws_mib=4096), cpu_cores=2.0),
        PlacedVM(name="batch", vm=VM(memory_mib=8192, dirty_rate_mib_s=60, wws_mib=2048), cpu_cores=2.0),
    ]
    dst = [
        PlacedVM(name="ci", vm=VM(memory_mib=8192, dirty_rate_mib_s=30), cpu_cores=2.0),
        PlacedVM(name="dns", vm=VM(memory_mib=1024, dirty_rate_mib_s=1), cpu_cores=2.0),
    ]
    return src, dst
