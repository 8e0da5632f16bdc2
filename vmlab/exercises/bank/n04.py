"""Exercises of notebook 04 · Why migrate.

Parameters read (``p.NAME``): N_VMS, FLEET_SEED, BANDWIDTH_MIB_S, STACK, PARALLEL, OVERLOAD_ABOVE,
MIGRATION_CPU_OVERHEAD, N_HOSTS, HOST_IDLE_W, HOST_DYNAMIC_W, HOST_BOOT_S, TIME_TO_FAILURE_S.
"""

from __future__ import annotations

from vmlab.exercises.kinds import Choice, Match, choice, number
from vmlab.migration import Link
from vmlab.scenarios import (
    HostPower,
    balance_load,
    consolidate,
    demo_hot_host,
    demo_quiet_pool,
    escape_failing_host,
    evacuate,
    random_fleet,
)
from vmlab.scenarios.stacks import STACKS, stack_policy
from vmlab.units import mib_to_gib

NOTEBOOK = "04_why_migrate"

SHORT_NIGHT_S = 1800.0
"""Exercise 4b's quiet period: half an hour."""


def _fleet(p):
    return random_fleet(p.N_VMS, seed=p.FLEET_SEED)


def _link(p):
    return Link(bandwidth_mib_s=p.BANDWIDTH_MIB_S)


def _other(stack: str) -> str:
    return "qemu" if stack == "libvirt" else "libvirt"


# ---- 4a: the bandwidth bound --------------------------------------------------------------------
@number("4a", unit="s", rtol=0.05,
        hint="Add up the memory column (MiB) and divide by the link's bandwidth (MiB/s).")
def ex_4a(p):
    return sum(v.memory_mib for v in _fleet(p)) / p.BANDWIDTH_MIB_S


@ex_4a.solution
def _(p):
    fleet, link = _fleet(p), _link(p)
    memory = sum(v.memory_mib for v in fleet)
    run = evacuate(fleet, link, stack_policy(p.STACK, on_timeout="force"), parallel=1, order="shortest_first")
    return (
        f"The {len(fleet)} VMs hold {memory:,.0f} MiB; every page crosses the link at least once, and the link "
        f"carries at most {p.BANDWIDTH_MIB_S:g} MiB/s: {memory:,.0f} / {p.BANDWIDTH_MIB_S:g} ≈ **{memory / p.BANDWIDTH_MIB_S:.0f} s**. "
        f"No schedule can beat it. The real migrations send more, because pages the guests dirty during "
        f"the copy are sent again: one at a time under {STACKS[p.STACK]}, the model sends "
        f"{run.data_moved_mib:,.0f} MiB, so the bound for that plan is {run.bandwidth_bound_s:.0f} s."
    )


# ---- 4c: which VM moves -------------------------------------------------------------------------
def _balance(p):
    source, destination = demo_hot_host()
    return balance_load(source, destination, _link(p), stack_policy(p.STACK), overload_above=p.OVERLOAD_ABOVE,
                        migration_cpu_overhead=p.MIGRATION_CPU_OVERHEAD)


@choice("4c", ("db", "web-1", "web-2", "cache", "batch", "none"),
        feedback={
            "db": "db would relieve the hot host most (5 cores), but it is the most expensive move: 32 GiB "
                  "with an 8 GiB working set rewritten at 120 MiB/s. Per GiB migrated it buys little, and "
                  "under bare QEMU's 128 MiB/s cap its migration does not even converge.",
            "web-2": "web-2 costs as many GiB as web-1 (same memory, same dirty rate) but frees fewer cores "
                     "(2.5 against 3).",
            "cache": "cache frees only 2 cores and is expensive to move: 16 GiB with a working set rewritten at "
                     "300 MiB/s, faster than bare QEMU's cap (it would never converge there).",
            "batch": "batch frees 2 cores for 8 GiB of memory: less relief per GiB than a web server.",
            "none": "Some move fits on the destination without overloading it and converges: the balancer "
                    "makes it.",
            "web-1": "web-1 frees 3 cores for about 4 GiB of migration traffic: the best benefit per GiB "
                     "among the moves that fit and converge.",
        },
        hint="Benefit per GiB migrated, among the VMs that fit on the destination, do not overload it and "
             "whose migration converges.")
def ex_4c(p):
    return _balance(p).chosen or "none"


@ex_4c.solution
def _(p):
    b = _balance(p)
    c = b.candidates.set_index("name")
    lines = [f"- **{name}**: {row.benefit_pp:.1f} points of relief for {mib_to_gib(row.data_sent_mib):.1f} GiB = "
             f"{row.benefit_per_gib:.2f} per GiB ({'feasible' if row.feasible else row.reason})"
             for name, row in c.iterrows()]
    chosen = b.chosen or "none"
    return (f"**{chosen}**. Under {STACKS[p.STACK]}, on a {p.BANDWIDTH_MIB_S:g} MiB/s link:\n\n" + "\n".join(lines)
            + "\n\nThe biggest relief is not the best buy: moving a VM costs its memory (and its rewrites) on the "
              "wire, and a move that does not converge buys nothing.")


# ---- 4b: consolidation for a short night --------------------------------------------------------
def _packed(p, stack=None):
    power = HostPower(idle_w=p.HOST_IDLE_W, dynamic_w=p.HOST_DYNAMIC_W, boot_s=p.HOST_BOOT_S)
    policy = stack_policy(stack or p.STACK, on_timeout="force")
    return consolidate(demo_quiet_pool(), _link(p), policy, n_hosts=p.N_HOSTS, power=power, idle_period_s=SHORT_NIGHT_S)


ex_4b = Choice(
    "4b", (True, False),
    answer=lambda p: bool(_packed(p).net_saved_j(SHORT_NIGHT_S) > 0),
    feedback={
        True: "Half an hour is longer than the break-even L*: moving out, booting the hosts again and moving "
              "back take less, and the idle power saved in the rest of the time pays for it.",
        False: "Half an hour is shorter than the break-even L*: the moves out, the hosts' boot and the moves "
               "back eat the whole period, and nothing is saved.",
    },
    hint="Compare 30 minutes with L* = moves out + moves back + host boot + migration energy / power saved.",
)


@ex_4b.solution
def _(p):
    r, other = _packed(p), _packed(p, _other(p.STACK))
    verdict = r.net_saved_j(SHORT_NIGHT_S) > 0
    return (
        f"**{verdict}**. Under {STACKS[p.STACK]}: the {r.n_moved} moves out take {r.migration_out_s / 60:.1f} min, "
        f"the moves back as long again, the hosts boot for {r.boot_s / 60:.1f} min, and the migrations' CPU energy "
        f"takes {r.migration_energy_j / r.power_saved_w:.0f} s of the {r.power_saved_w:.0f} W saved to earn back: "
        f"L* = {r.break_even_s / 60:.1f} min, {'shorter' if verdict else 'longer'} than 30 min. "
        f"Under {STACKS[_other(p.STACK)]} the moves take {other.migration_out_s / 60:.1f} min each way and "
        f"L* = {other.break_even_s / 60:.1f} min: the migration plan decides which nights are worth it."
    )


# ---- 4d: the failure race, cold ----------------------------------------------------------------
def _escape(p, method, **kw):
    return escape_failing_host(_fleet(p), _link(p), time_to_failure_s=p.TIME_TO_FAILURE_S, method=method,
                               parallel=p.PARALLEL, policy=stack_policy(p.STACK), **kw)


@number("4d", unit="VMs", rtol=0.0, atol=0.5,
        hint="A cold VM is safe once it is shut down and its configuration is copied (notebook 02's first two "
             "steps), whatever its size; PARALLEL of them at a time.")
def ex_4d(p):
    return _escape(p, "cold").n_saved


@ex_4d.solution
def _(p):
    cold, live = _escape(p, "cold"), _escape(p, "live")
    each = float(cold.schedule["safe_s"].min())
    return (
        f"**{cold.n_saved}** of {p.N_VMS}. Shared storage: a cold VM is safe after its shutdown and the "
        f"configuration copy, {each:.0f} s whatever its memory, {p.PARALLEL} at a time; in "
        f"{p.TIME_TO_FAILURE_S:g} s that is {int(p.TIME_TO_FAILURE_S // each)} wave(s). Live migration saves "
        f"{live.n_saved}: a VM is safe only when its migration completes, and that grows with memory and "
        f"dirty rate. The price of cold: each saved VM is down for a shutdown and a boot "
        f"({cold.total_downtime_s:.0f} s summed), against {live.total_downtime_s * 1000:.0f} ms of blackouts "
        "summed for live."
    )


# ---- 4f: when cold beats live -------------------------------------------------------------------
ex_4f = Choice(
    "4f", ("a", "b", "c", "d"),
    answer="b",
    feedback={
        "a": "Not always: with a warning long enough for the live migrations, live saves every VM too, with "
             "milliseconds of downtime instead of a shutdown and a boot.",
        "b": "Right: a cold VM is safe after a shutdown and a small configuration copy, whatever its size; a "
             "live one only when its whole migration completes. Cold wins the window between the two, and "
             "only while the disks stay where they are.",
        "c": "Small, quiet VMs are exactly the ones live migration moves fast: there live is safe as soon as "
             "cold, and keeps the service up.",
        "d": "Without shared storage a cold move must copy the whole virtual disk before the VM is safe, "
             "usually far more data than its memory: cold then loses the race.",
    },
    hint="When is a VM safe in each method, and what does each need to send first?",
)


# ---- 4e: the four reasons ----------------------------------------------------------------------
REASONS = ("maintenance", "load balancing", "consolidation", "fault tolerance")

ex_4e = Match(
    "4e",
    {
        "Host h7 gets a firmware update on Saturday; its services must stay up": "maintenance",
        "At 2 a.m. twelve hosts each run at 10 % CPU": "consolidation",
        "One host runs at 95 % CPU and its response times climb; its neighbour idles at 20 %": "load balancing",
        "A host's memory controller logs a storm of correctable ECC errors": "fault tolerance",
        "A RAM module of host h3 must be replaced during working hours": "maintenance",
        "A host's power supply reports it is failing": "fault tolerance",
    },
    options=REASONS,
    feedback={
        "Host h7 gets a firmware update on Saturday; its services must stay up":
            "Planned work on the hardware: vacate the host first (zero-downtime maintenance).",
        "At 2 a.m. twelve hosts each run at 10 % CPU":
            "A quiet period: pack the VMs onto fewer hosts and power the rest down (consolidation).",
        "One host runs at 95 % CPU and its response times climb; its neighbour idles at 20 %":
            "An over-utilised host next to an under-utilised one: move a VM across (load balancing).",
        "A host's memory controller logs a storm of correctable ECC errors":
            "A pre-failure warning: get the VMs off before the host fails (fault tolerance).",
        "A RAM module of host h3 must be replaced during working hours":
            "Planned hardware work again, whatever the hour: maintenance.",
        "A host's power supply reports it is failing":
            "Another pre-failure warning: fault tolerance, a race against the failure.",
    },
    hint="Planned work, a hot spot, a quiet period, or a warning that the hardware is about to fail?",
)

EXERCISES = [ex_4a, ex_4c, ex_4b, ex_4d, ex_4f, ex_4e]
