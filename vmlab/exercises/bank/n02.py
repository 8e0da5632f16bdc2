"""Exercises of notebook 02 · Cold migration.

Parameters read (``p.NAME``): MEMORY_MIB, ZERO_FRACTION, DISK_GIB, BANDWIDTH_MIB_S, LATENCY_MS,
SHUTDOWN_S, BOOT_S.
"""

from __future__ import annotations

from vmlab.exercises.kinds import Choice, choice, number
from vmlab.migration import VM, ColdPolicy, Link, cold_migration
from vmlab.units import gbit_s_to_mib_s, gib_to_mib

NOTEBOOK = "02_cold_migration"


def _vm(p):
    return VM(memory_mib=p.MEMORY_MIB, zero_fraction=p.ZERO_FRACTION)


def _policy(p, **changes):
    return ColdPolicy(shutdown_s=p.SHUTDOWN_S, boot_s=p.BOOT_S, **changes)


def _cold(p, *, bandwidth_mib_s=None, **kw):
    link = Link(bandwidth_mib_s=p.BANDWIDTH_MIB_S if bandwidth_mib_s is None else bandwidth_mib_s, latency_ms=p.LATENCY_MS)
    policy = kw.pop("policy", None) or _policy(p)
    return cold_migration(_vm(p), link, disk_gib=p.DISK_GIB, policy=policy, **kw)


@number("2a", unit="min", rtol=0.05,
        hint="Add the five steps: shutdown, metadata (about 1 s), disk / bandwidth (+1 s), registration (2 s), boot.")
def ex_2a(p):
    return _cold(p).downtime_ms / 1000 / 60


@ex_2a.solution
def _(p):
    c = _cold(p)
    disk = c.step_s("disk move")
    return (
        f"Shutdown {p.SHUTDOWN_S:g} s + metadata {c.step_s('metadata transfer'):.1f} s + disk "
        f"{gib_to_mib(p.DISK_GIB):,.0f} MiB / {p.BANDWIDTH_MIB_S:g} MiB/s + 1 s = {disk:.0f} s + registration "
        f"{c.step_s('registration'):g} s + boot {p.BOOT_S:g} s = **{(c.downtime_ms / 1000):.0f} s, about "
        f"{(c.downtime_ms / 1000) / 60:.1f} minutes**. The disk copy is {disk / c.total_time_s:.0%} of it."
    )


@number("2b", rtol=0.05, hint="Only the disk move gets faster. Amdahl's law, for migrations.")
def ex_2b(p):
    return _cold(p).downtime_ms / _cold(p, bandwidth_mib_s=10 * p.BANDWIDTH_MIB_S).downtime_ms


@ex_2b.solution
def _(p):
    slow, fast = _cold(p), _cold(p, bandwidth_mib_s=10 * p.BANDWIDTH_MIB_S)
    fixed = (slow.downtime_ms / 1000) - slow.step_s("disk move")
    return (
        f"Only the disk copy shrinks, from {slow.step_s('disk move'):.0f} s to {fast.step_s('disk move'):.1f} s; "
        f"the {fixed:.0f} s of shutdown, metadata, registration and boot stay. "
        f"{(slow.downtime_ms / 1000):.0f} / {(fast.downtime_ms / 1000):.1f} ≈ **{slow.downtime_ms / fast.downtime_ms:.1f}**, not 10. "
        "On fast links a cold migration is dominated by the guest's shutdown and boot."
    )


ex_2c = Choice(
    "2c",
    options=("a", "b", "c", "d"),
    answer="c",
    feedback={
        "a": "With shared storage both hosts open the same disk file: it does not move.",
        "b": "A powered-off VM has no memory to send: everything it needs is on the disk.",
        "c": "Only the configuration files (CPU limits, RAM size, network IDs), well under a MiB: cold "
             "migration's network load is \"low to high (depending on disk size)\" in the lecture notes.",
        "d": "The destination still needs the VM's definition: its configuration files cross the network.",
    },
    hint="Which files still have to move when the disk stays where it is?",
)


@number("2d", unit="s", rtol=0.05, hint="A copy runs at the speed of its slowest part: min(link, storage).")
def ex_2d(p):
    hdd = _policy(p, storage_mib_s=150.0)
    return _cold(p, bandwidth_mib_s=gbit_s_to_mib_s(10), policy=hdd).step_s("disk move")


@ex_2d.solution
def _(p):
    link = gbit_s_to_mib_s(10)
    s = ex_2d.expected_value(p)
    return (
        f"The copy runs at min({link:.0f}, 150) = 150 MiB/s: {gib_to_mib(p.DISK_GIB):,.0f} MiB / 150 MiB/s + 1 s ≈ "
        f"**{s:.0f} s**. The 10 Gbit/s link is idle {1 - 150 / link:.0%} of the time: before paying for a faster "
        "network, check where the bytes come from."
    )


@choice("2e", ("suspended", "powered_off"),
        hint="Compare writing + reading the non-zero memory at 500 MiB/s (+2 s resume) with shutdown + boot.")
def ex_2e(p):
    suspended = _cold(p, shared_storage=True, guest_state="suspended")
    off = _cold(p, shared_storage=True)
    return "suspended" if suspended.downtime_ms < off.downtime_ms else "powered_off"


@ex_2e.solution
def _(p):
    vm = _vm(p)
    suspended = _cold(p, shared_storage=True, guest_state="suspended")
    off = _cold(p, shared_storage=True)
    winner = "Suspended" if suspended.downtime_ms < off.downtime_ms else "Powered off"
    return (
        f"**{winner}**: writing and reading the {vm.nonzero_mib:,.0f} MiB memory image at 500 MiB/s plus a 2 s "
        f"resume is {2 * vm.nonzero_mib / 500 + 2:.0f} s, against {p.SHUTDOWN_S + p.BOOT_S:g} s of shutdown and "
        f"boot; in all {(suspended.downtime_ms / 1000):.0f} s of downtime against {(off.downtime_ms / 1000):.0f} s. It flips for a VM "
        "with a lot of memory and a guest that boots fast."
    )


ex_2f = Choice(
    "2f",
    options=("a", "b", "c", "d"),
    answer="c",
    feedback={
        "a": "Copying the disk is the disk move, step 3; registration moves no data.",
        "b": "The boot is the last step, power on; registration comes before it.",
        "c": "The destination's hypervisor (or its management server) adds the VM to its inventory, so it "
             "can be started, monitored and billed there.",
        "d": "Nothing is checked against the old host at this point: the VM is already off there.",
    },
    hint="Which step turns a set of files on the destination into a VM the hypervisor knows?",
)

EXERCISES = [ex_2a, ex_2b, ex_2c, ex_2d, ex_2e, ex_2f]
