"""Cold migration: move a powered-off or suspended VM, in the five steps of the course text.

1. **Shutdown** (graceful, so every write reaches the virtual disk) or, for a suspended VM,
   writing the memory image.
2. **Metadata transfer**: the configuration files (CPU limits, RAM size, network IDs).
3. **Disk move**: the virtual disk files (VMDK/VHDX/qcow2) over the network, unless both hosts
   share the storage (then nothing moves). A suspended VM's memory image moves with them.
4. **Registration**: the destination hypervisor adds the VM to its inventory.
5. **Power on**: a full boot from scratch (or, for a suspended VM, reading the memory image
   back and resuming).

The service is down for all of it: ``downtime_ms == 1000 × total_time_s``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import pandas as pd

from vmlab._checks import Params, check_bool, check_choice, check_number, check_type, number
from vmlab.migration.params import VM, Link
from vmlab.units import gib_to_mib

__all__ = ["ColdPolicy", "ColdResult", "cold_migration", "COLD_STEPS"]

COLD_STEPS = ("shutdown", "metadata transfer", "disk move", "registration", "power on")
"""The steps of a cold migration, in order (for a suspended VM: suspend ... resume)."""


@dataclass(frozen=True, kw_only=True)
class ColdPolicy(Params):
    """Durations of the steps of a cold migration that do not depend on data size.

    Parameters
    ----------
    shutdown_s : float
        Graceful guest shutdown. Server Linux guests stop in 5-30 s; systemd waits up to 90 s
        (``DefaultTimeoutStopSec``) for a unit that hangs, Windows guests often take longer.
        Default 20 s.
    boot_s : float
        Full OS start-up on the destination, power-on to service ready. Mao & Humphrey (IEEE
        CLOUD 2012) measured 44-97 s for Linux cloud VMs *including* provisioning; a bare
        reboot of a server guest takes tens of seconds. Default 40 s.
    registration_s : float
        Adding the VM to the destination's inventory (a management-API call). Default 2 s.
    metadata_mib : float
        Size of the configuration files (``.vmx``/``.xml``, NVRAM, logs). Default 0.5 MiB.
    task_overhead_s : float
        Fixed cost of each network copy task (connection, authentication, checks). Default 1 s.
    storage_mib_s : float or None
        Throughput of the disks at either end; the disk move runs at ``min(link, storage)``.
        ``None``: the link is the only limit.
    suspend_mib_s : float
        Rate of writing (and later reading) a suspended VM's memory image. Default 500 MiB/s
        (an SSD).
    resume_s : float
        Restarting a suspended VM once its memory is loaded. Default 2 s.

    >>> ColdPolicy(boot_s=60).boot_s
    60.0
    """

    shutdown_s: float = number(20.0, minimum=0)
    boot_s: float = number(40.0, minimum=0)
    registration_s: float = number(2.0, minimum=0)
    metadata_mib: float = number(0.5, minimum=0)
    task_overhead_s: float = number(1.0, minimum=0)
    storage_mib_s: float | None = number(None, minimum=0, min_inclusive=False, allow_none=True)
    suspend_mib_s: float = number(500.0, minimum=0, min_inclusive=False)
    resume_s: float = number(2.0, minimum=0)


@dataclass(frozen=True)
class ColdResult:
    """Outcome of a cold migration.

    Attributes
    ----------
    downtime_ms : float
        The service is unavailable for the whole move: ``1000 × total_time_s`` (ms, like
        :attr:`PrecopyResult.downtime_ms`). ``downtime_s`` is its deprecated name in seconds.
    total_time_s : float
        Sum of the steps.
    data_sent_mib : float
        Metadata, plus the disk (and a suspended VM's memory image) unless storage is shared.
    steps : pandas.DataFrame
        step, start_s, duration_s, data_mib, detail: one row per step in ``COLD_STEPS`` order.
    """

    vm: VM
    link: Link
    policy: ColdPolicy
    disk_gib: float
    shared_storage: bool
    guest_state: str
    downtime_ms: float
    total_time_s: float
    data_sent_mib: float
    steps: pd.DataFrame = field(repr=False)

    @property
    def downtime_s(self) -> float:
        """Deprecated: the downtime in seconds; use ``downtime_ms`` (one unit for downtime across results)."""
        warnings.warn("ColdResult.downtime_s is deprecated; use ColdResult.downtime_ms (milliseconds)",
                      DeprecationWarning, stacklevel=2)
        return self.total_time_s  # the service is down for the whole move (exactly, no ms round trip)

    def step_s(self, step: str) -> float:
        """Duration of one step in seconds, e.g. ``c.step_s("disk move")`` (steps: ``COLD_STEPS``)."""
        if step not in COLD_STEPS:
            raise ValueError(f"step must be one of {', '.join(map(repr, COLD_STEPS))}; got {step!r}")
        return float(self.steps.loc[self.steps["step"] == step, "duration_s"].iloc[0])


def cold_migration(
    vm: VM,
    link: Link,
    *,
    disk_gib: float,
    shared_storage: bool = False,
    guest_state: str = "powered_off",
    policy: ColdPolicy | None = None,
) -> ColdResult:
    """Simulate a cold migration of ``vm`` over ``link``.

    Parameters
    ----------
    vm : VM
    link : Link
    disk_gib : float
        Data in the VM's virtual disks, in GiB (what a copy must move).
    shared_storage : bool
        Both hosts see the same datastore (SAN/NFS/Ceph): the disk stays where it is.
    guest_state : {"powered_off", "suspended"}
        ``"powered_off"``: shut down, move, boot from scratch. ``"suspended"``: write the memory
        image, move it too, read it back and resume (no boot).
    policy : ColdPolicy, optional
        Fixed step durations; defaults documented in :class:`ColdPolicy`.

    Examples
    --------
    A 40 GiB disk over 1 Gbit/s (119.2 MiB/s) takes about 5.7 minutes to copy; with shutdown
    and boot the service is down for about 6.8 minutes:

    >>> c = cold_migration(VM(memory_mib=4096), Link(bandwidth_mib_s=119.2), disk_gib=40)
    >>> round(c.steps.set_index("step").loc["disk move", "duration_s"]), round(c.downtime_ms / 1000)
    (345, 408)
    >>> round(cold_migration(VM(), Link(), disk_gib=40, shared_storage=True).downtime_ms)
    63004
    """
    check_type("cold_migration() argument vm", vm, VM, "a VM")
    check_type("cold_migration() argument link", link, Link, "a Link")
    policy = ColdPolicy() if policy is None else policy
    check_type("cold_migration() argument policy", policy, ColdPolicy, "a ColdPolicy")
    disk_gib = check_number("disk_gib", disk_gib, minimum=0, maximum=2.0**30)
    check_bool("shared_storage", shared_storage)
    check_choice("guest_state", guest_state, ("powered_off", "suspended"))

    latency_s = link.latency_ms / 1000
    copy_rate = link.bandwidth_mib_s if policy.storage_mib_s is None else min(link.bandwidth_mib_s, policy.storage_mib_s)
    image_mib = vm.nonzero_mib if guest_state == "suspended" else 0.0

    rows = []
    if guest_state == "powered_off":
        rows.append(("shutdown", policy.shutdown_s, 0.0, "graceful guest shutdown: caches flushed to the virtual disk"))
    else:
        rows.append(("shutdown", image_mib / policy.suspend_mib_s, 0.0,
                     f"suspend: {image_mib:.0f} MiB memory image written to disk"))
    rows.append(("metadata transfer", policy.task_overhead_s + policy.metadata_mib / link.bandwidth_mib_s + latency_s,
                 policy.metadata_mib, "configuration files: CPU limits, RAM size, network IDs"))
    if shared_storage:
        rows.append(("disk move", 0.0, 0.0, "shared storage: the disk stays where it is"))
    else:
        moved = gib_to_mib(disk_gib) + image_mib
        what = f"{disk_gib:g} GiB disk" + (f" + {image_mib:.0f} MiB memory image" if image_mib else "")
        rows.append(("disk move", policy.task_overhead_s + moved / copy_rate + latency_s, moved,
                     f"{what} copied at {copy_rate:.4g} MiB/s"))
    rows.append(("registration", policy.registration_s, 0.0, "destination hypervisor adds the VM to its inventory"))
    if guest_state == "powered_off":
        rows.append(("power on", policy.boot_s, 0.0, "boot from scratch: firmware, kernel, services"))
    else:
        rows.append(("power on", image_mib / policy.suspend_mib_s + policy.resume_s, 0.0,
                     "resume: memory image read back, vCPUs restarted (no boot)"))

    steps = pd.DataFrame(rows, columns=["step", "duration_s", "data_mib", "detail"])
    steps.insert(1, "start_s", steps["duration_s"].cumsum() - steps["duration_s"])
    total = float(steps["duration_s"].sum())
    return ColdResult(
        vm=vm,
        link=link,
        policy=policy,
        disk_gib=disk_gib,
        shared_storage=shared_storage,
        guest_state=guest_state,
        downtime_ms=total * 1000.0,
        total_time_s=total,
        data_sent_mib=float(steps["data_mib"].sum()),
        steps=steps,
    )
