"""Server consolidation: in a quiet period, pack VMs onto fewer hosts and power the rest down.

**Power.** A server's power grows roughly linearly with CPU utilisation u (Fan, Weber &
Barroso, "Power provisioning for a warehouse-sized computer", ISCA 2007):

    P(u) = idle_w + dynamic_w · u,

and an idle server still draws a large share of its peak (often half). Since packing keeps
the total CPU work the same, the dynamic part barely changes: the saving is almost entirely
the idle power of the hosts switched off, ``ΔP ≈ n_off · (idle_w - off_w)``.

**Packing.** First-fit decreasing: VMs sorted by CPU demand, largest first, each placed on the
first host (fullest hosts first, so they stay on) with room under ``max_utilisation`` and in
memory. VMs already on their target host do not move.

**Costs.** Moving VMs is not free: the moves take ``T_out`` (the VMs leave their hosts over the
shared link, :func:`vmlab.evacuate`), cost CPU on both ends (CloudSim: 10 % of the VM's demand,
charged at the host's ``dynamic_w`` per core), cost a blackout per VM, and, when demand returns,
hosts must boot (``boot_s``) and the VMs move back (``T_back``). The energy saved over an idle
period of length L is

    E(L) = ΔP · (L - T_out - T_back - boot_s) - E_migration,

and consolidation pays off only for L beyond the **break-even**

    L* = T_out + T_back + boot_s + E_migration / ΔP.

For L <= L*, E(L) <= 0: it saves nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from vmlab._checks import Params, check_bool, check_int, check_number, check_type, number
from vmlab.migration.params import Link, PrecopyPolicy
from vmlab.scenarios.balancing import PlacedVM, _placed
from vmlab.scenarios.evacuation import evacuate, random_fleet

__all__ = ["HostPower", "ConsolidationResult", "consolidate", "first_fit_decreasing", "demo_quiet_pool"]

J_PER_KWH = 3.6e6


@dataclass(frozen=True, kw_only=True)
class HostPower(Params):
    """A linear host power model ``P(u) = idle_w + dynamic_w · u`` plus power-off and boot.

    Defaults are illustrative round numbers for a two-socket server (idle about half of the
    250 W peak); use your own measurements.

    >>> HostPower().power_w(0.5)
    187.5
    """

    idle_w: float = number(125.0, minimum=0)
    dynamic_w: float = number(125.0, minimum=0)
    off_w: float = number(5.0, minimum=0)
    boot_s: float = number(300.0, minimum=0)

    def _check_together(self) -> None:
        if self.off_w > self.idle_w:
            raise ValueError(f"HostPower.off_w ({self.off_w:g}) must be at most HostPower.idle_w ({self.idle_w:g})")

    def power_w(self, utilisation):
        """Power in W at CPU utilisation ``utilisation`` (0..1, array or scalar)."""
        return self.idle_w + self.dynamic_w * np.asarray(utilisation, dtype=float) if np.ndim(utilisation) else (
            self.idle_w + self.dynamic_w * float(utilisation))


def first_fit_decreasing(cpu_cores: Sequence[float], memory_mib: Sequence[float], *, host_cores: float,
                         host_memory_mib: float, max_utilisation: float = 0.8,
                         host_order: Sequence[int] | None = None, n_hosts: int | None = None) -> np.ndarray:
    """Pack items into hosts by first-fit decreasing on CPU; return the host of each item.

    Hosts are tried in ``host_order`` (default 0, 1, 2...); a new host is opened when none
    fits (``n_hosts`` caps them: an item that fits nowhere raises ``ValueError``).

    >>> first_fit_decreasing([3, 5, 2, 4], [1, 1, 1, 1], host_cores=10, host_memory_mib=10, max_utilisation=0.8).tolist()
    [0, 0, 1, 1]
    """
    cpu = np.asarray(cpu_cores, dtype=float)
    mem = np.asarray(memory_mib, dtype=float)
    cap_cpu = max_utilisation * host_cores
    limit = len(cpu) if n_hosts is None else n_hosts
    order = list(range(limit)) if host_order is None else list(host_order)
    used_cpu: dict[int, float] = {}
    used_mem: dict[int, float] = {}
    out = np.full(len(cpu), -1, dtype=np.int64)
    for i in np.argsort(-cpu, kind="stable"):
        if cpu[i] > cap_cpu + 1e-12 or mem[i] > host_memory_mib:
            raise ValueError(f"VM {i} ({cpu[i]:g} cores, {mem[i]:g} MiB) does not fit on an empty host "
                             f"({cap_cpu:g} usable cores, {host_memory_mib:g} MiB)")
        for h in order:
            if used_cpu.get(h, 0.0) + cpu[i] <= cap_cpu + 1e-12 and used_mem.get(h, 0.0) + mem[i] <= host_memory_mib:
                out[i] = h
                used_cpu[h] = used_cpu.get(h, 0.0) + cpu[i]
                used_mem[h] = used_mem.get(h, 0.0) + mem[i]
                break
        else:
            raise ValueError(f"VM {i} does not fit on any of the {limit} hosts")
    return out


@dataclass(frozen=True)
class ConsolidationResult:
    """Energy saved by packing VMs onto fewer hosts, net of the migrations' costs.

    Attributes
    ----------
    hosts_before, hosts_after : int
    power_before_w, power_after_w, power_saved_w : float
    n_moved : int
    migration_out_s, migration_back_s : float
        Time to move the VMs onto the packed hosts, and back when demand returns.
    migration_energy_j : float
        Extra CPU energy of the migrations (both directions when ``migrate_back``).
    break_even_s : float
        Shortest idle period for which consolidating saves energy (``inf`` if nothing saved).
    idle_period_s : float
    net_saved_kwh : float
        Net energy saved over ``idle_period_s`` (negative: consolidating cost energy).
    worth_it : bool
    total_downtime_ms : float
        Blackouts summed over every move.
    placement : pandas.DataFrame
        name, cpu_cores, memory_mib, from_host, to_host, moved.
    hosts : pandas.DataFrame
        host, before (utilisation), after, on_after.
    """

    hosts_before: int
    hosts_after: int
    power_before_w: float
    power_after_w: float
    power_saved_w: float
    n_moved: int
    migration_out_s: float
    migration_back_s: float
    migration_energy_j: float
    break_even_s: float
    idle_period_s: float
    net_saved_kwh: float
    worth_it: bool
    total_downtime_ms: float
    data_moved_mib: float
    boot_s: float
    placement: pd.DataFrame = field(repr=False)
    hosts: pd.DataFrame = field(repr=False)

    def net_saved_j(self, idle_period_s) -> np.ndarray:
        """Net energy saved (J) for idle periods ``idle_period_s`` (array or scalar)."""
        L = np.asarray(idle_period_s, dtype=float)
        if self.n_moved == 0:
            return np.zeros_like(L)
        busy = self.migration_out_s + self.migration_back_s + (self.boot_s if self.migration_back_s > 0 else 0.0)
        return self.power_saved_w * (L - busy) - self.migration_energy_j

    def energy_curve(self, idle_periods_s) -> pd.DataFrame:
        """Tidy table: idle_period_s, idle_period_h, net_saved_kwh."""
        L = np.asarray(idle_periods_s, dtype=float)
        return pd.DataFrame({"idle_period_s": L, "idle_period_h": L / 3600.0, "net_saved_kwh": self.net_saved_j(L) / J_PER_KWH})


def consolidate(
    vms: Sequence[PlacedVM],
    link: Link,
    policy: PrecopyPolicy | None = None,
    *,
    placement: Sequence[int] | None = None,
    n_hosts: int | None = None,
    host_cores: float = 32.0,
    host_memory_mib: float = 262144.0,
    max_utilisation: float = 0.8,
    power: HostPower | None = None,
    idle_period_s: float = 8 * 3600.0,
    migrate_back: bool = True,
    parallel: int = 1,
    migration_cpu_overhead: float = 0.10,
) -> ConsolidationResult:
    """Pack ``vms`` by first-fit decreasing and weigh the energy saved against the migrations.

    Parameters
    ----------
    vms : list of PlacedVM
        The VMs and their CPU demand during the quiet period.
    link : Link
        Shared by the migrations (``parallel`` at a time).
    policy : PrecopyPolicy, optional
        Pre-copy policy (default QEMU's, forced at timeout).
    placement : list of int, optional
        Current host of each VM; default: spread round-robin over ``n_hosts``.
    n_hosts : int, optional
        Hosts in the pool (default: the hosts used by ``placement``).
    host_cores, host_memory_mib : float
        Capacity of each (identical) host.
    max_utilisation : float
        Pack hosts up to this CPU utilisation (headroom for bursts).
    power : HostPower
    idle_period_s : float
        Length of the quiet period, seconds.
    migrate_back : bool
        Move the VMs back (and boot the hosts) before demand returns.
    parallel : int
    migration_cpu_overhead : float
        CPU overhead of a migration on each end, as a share of the VM's demand (CloudSim 0.10).

    Examples
    --------
    Sixteen small VMs spread over eight hosts fit on two:

    >>> from vmlab import VM
    >>> vms = [PlacedVM(name=f"v{i}", vm=VM(memory_mib=2048, dirty_rate_mib_s=5), cpu_cores=2) for i in range(16)]
    >>> r = consolidate(vms, Link(bandwidth_mib_s=1192), n_hosts=8)
    >>> r.hosts_before, r.hosts_after, r.worth_it
    (8, 2, True)
    >>> bool(r.net_saved_j(r.break_even_s) <= 1e-6)
    True
    """
    vms = _placed("vms", vms, allow_empty=False)
    check_type("link", link, Link, "a Link")
    power = HostPower() if power is None else power
    check_type("power", power, HostPower, "a HostPower")
    cores = check_number("host_cores", host_cores, minimum=0, min_inclusive=False)
    hmem = check_number("host_memory_mib", host_memory_mib, minimum=0, min_inclusive=False)
    umax = check_number("max_utilisation", max_utilisation, minimum=0, maximum=1, min_inclusive=False)
    L = check_number("idle_period_s", idle_period_s, minimum=0)
    check_bool("migrate_back", migrate_back)
    ovh = check_number("migration_cpu_overhead", migration_cpu_overhead, minimum=0, maximum=1)
    policy = PrecopyPolicy.qemu(on_timeout="force") if policy is None else policy
    check_type("policy", policy, PrecopyPolicy, "a PrecopyPolicy")
    n = len(vms)
    if placement is None:
        hosts_n = check_int("n_hosts", n_hosts if n_hosts is not None else n, minimum=1, maximum=100_000)
        current = np.arange(n) % hosts_n
    else:
        current = np.asarray(placement)
        if current.shape != (n,) or current.dtype.kind not in "iu" or (current < 0).any():
            raise ValueError(f"placement must hold one host index (int >= 0) per VM ({n}); got {placement!r}")
        hosts_n = int(current.max()) + 1 if n_hosts is None else check_int("n_hosts", n_hosts, minimum=int(current.max()) + 1)
    cpu = np.array([p.cpu_cores for p in vms])
    mem = np.array([p.vm.memory_mib for p in vms])
    load = np.bincount(current, weights=cpu, minlength=hosts_n)
    used_before = np.bincount(current, minlength=hosts_n) > 0
    # keep the fullest hosts: try them first
    host_order = np.argsort(-load, kind="stable")
    target = first_fit_decreasing(cpu, mem, host_cores=cores, host_memory_mib=hmem, max_utilisation=umax,
                                  host_order=host_order, n_hosts=hosts_n)
    # a VM whose host stays on and still has room keeps its place: FFD already put most there;
    # count moves as VMs whose target differs from where they are
    moved = target != current
    load_after = np.bincount(target, weights=cpu, minlength=hosts_n)
    on_after = np.bincount(target, minlength=hosts_n) > 0
    u_before = load / cores
    u_after = load_after / cores
    p_before = float(np.sum(power.power_w(u_before[used_before]))) + power.off_w * int((~used_before).sum())
    p_after = float(np.sum(power.power_w(u_after[on_after]))) + power.off_w * int((~on_after).sum())
    saved_w = p_before - p_after

    if moved.any():
        ev = evacuate([vms[i].vm for i in np.flatnonzero(moved)], link, policy, parallel=parallel, order="largest_first")
        t_out = ev.time_to_empty_s
        durations = (ev.schedule.sort_values("vm")["end_s"] - ev.schedule.sort_values("vm")["start_s"]).to_numpy()
        per_core_w = power.dynamic_w / cores
        e_mig = float(np.sum(2 * ovh * cpu[moved] * per_core_w * durations))  # source and destination
        downtime = ev.total_downtime_ms
        data = ev.data_moved_mib
    else:
        t_out, e_mig, downtime, data = 0.0, 0.0, 0.0, 0.0
    t_back = t_out if (migrate_back and moved.any()) else 0.0
    if migrate_back:
        e_mig *= 2
        downtime *= 2
        data *= 2
    boot = power.boot_s if (migrate_back and moved.any()) else 0.0
    if moved.any() and saved_w > 0:
        break_even = t_out + t_back + boot + e_mig / saved_w
    else:
        break_even = math.inf
    result_placement = pd.DataFrame({"name": [p.name for p in vms], "cpu_cores": cpu, "memory_mib": mem,
                                     "from_host": current, "to_host": target, "moved": moved})
    hosts = pd.DataFrame({"host": np.arange(hosts_n), "before": u_before, "after": u_after, "on_before": used_before,
                          "on_after": on_after})
    res = ConsolidationResult(
        hosts_before=int(used_before.sum()), hosts_after=int(on_after.sum()),
        power_before_w=p_before, power_after_w=p_after, power_saved_w=saved_w, n_moved=int(moved.sum()),
        migration_out_s=float(t_out), migration_back_s=float(t_back), migration_energy_j=e_mig,
        break_even_s=float(break_even), idle_period_s=L, net_saved_kwh=0.0, worth_it=False,
        total_downtime_ms=float(downtime), data_moved_mib=float(data), boot_s=float(boot),
        placement=result_placement, hosts=hosts,
    )
    net = float(res.net_saved_j(L)) / J_PER_KWH if moved.any() else 0.0
    object.__setattr__(res, "net_saved_kwh", net)
    object.__setattr__(res, "worth_it", bool(net > 0))
    return res


def demo_quiet_pool(n_vms: int = 24, *, seed: int = 7) -> list[PlacedVM]:
    """Night-time VMs of a small pool: light CPU demand, a few GiB each (reproducible).

    >>> len(demo_quiet_pool()), demo_quiet_pool()[0].name
    (24, 'vm00')
    """
    fleet = random_fleet(n_vms, seed=seed, memory_mib=(2048, 4096, 8192), max_dirty_rate_mib_s=40.0)
    cores = [0.5 + (i * 7 % 5) * 0.5 for i in range(n_vms)]
    return [PlacedVM(name=f"vm{i:02d}", vm=v, cpu_cores=cores[i]) for i, v in enumerate(fleet)]
