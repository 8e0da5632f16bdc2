"""Exercises of notebook 01 · Live migration: pre-copy, step by step.

Parameters read (``p.NAME``): MEMORY_MIB, ZERO_FRACTION, DIRTY_RATE_MIB_S, WWS_MIB, BANDWIDTH_MIB_S,
LATENCY_MS, DOWNTIME_LIMIT_MS, TIMEOUT_S, FAST_LINK_MIB_S.

Exercise 1d (a faster link, a longer pause) and 1e (Xen's data cap) moved to notebook 07 as 7e
and 7b.
"""

from __future__ import annotations

from vmlab.exercises.kinds import Choice, Match, choice, number
from vmlab.migration import VM, Link, PrecopyPolicy, precopy

NOTEBOOK = "01_live_migration"

BUSY_DB = dict(memory_mib=4096.0, dirty_rate_mib_s=150.0, wws_mib=1024.0, zero_fraction=0.2)
"""The busy database of exercises 1c and 1h (fixed, whatever the parameters)."""


def _vm(p) -> VM:
    return VM(memory_mib=p.MEMORY_MIB, dirty_rate_mib_s=p.DIRTY_RATE_MIB_S, wws_mib=p.WWS_MIB,
              zero_fraction=p.ZERO_FRACTION)


def _link(p, bandwidth_mib_s: float | None = None) -> Link:
    return Link(bandwidth_mib_s=p.BANDWIDTH_MIB_S if bandwidth_mib_s is None else bandwidth_mib_s, latency_ms=p.LATENCY_MS)


def _qemu(p) -> PrecopyPolicy:
    """Bare QEMU, as the notebook's ``qemu``."""
    return PrecopyPolicy.qemu(downtime_limit_ms=p.DOWNTIME_LIMIT_MS, timeout_s=p.TIMEOUT_S)


def _libvirt(p) -> PrecopyPolicy:
    """QEMU under libvirt: the same, without the pre-copy rate cap."""
    return _qemu(p).replace(max_bandwidth_mib_s=None, name="QEMU via libvirt")


def _rate(p) -> float:
    q = _qemu(p)
    return q.bandwidth_efficiency * min(p.BANDWIDTH_MIB_S, q.max_bandwidth_mib_s)


# ---- 1f · preparation ------------------------------------------------------------------------
ex_1f = Match(
    "1f",
    {"free memory": "c", "free vCPUs": "d", "CPU compatibility": "a", "network compatibility": "b"},
    options=("a", "b", "c", "d"),
    feedback={
        "free memory": "(c): every page the source sends needs a page frame on the destination, reserved "
                       "before the copy starts.",
        "free vCPUs": "(d): the guest's virtual CPUs must get physical cores to run on, or it resumes slower "
                      "than it left.",
        "CPU compatibility": "(a): the guest detected its CPU's features at boot and keeps using them; a "
                             "destination CPU without one of them would fault on the next such instruction.",
        "network compatibility": "(b): the VM keeps its IP and MAC addresses, so the destination must reach the "
                                 "same networks (the same VLAN / layer-2 segment).",
    },
    hint="Pair each check with what would break without it.",
)


# ---- 1a · the first pass ---------------------------------------------------------------------
@number("1a", unit="s", rtol=0.03,
        hint="(non-zero MiB + zero MiB x 9/4096) / min(link, 128 MiB/s). Does the dirty rate matter for round 0?")
def ex_1a(p):
    return float(precopy(_vm(p), _link(p), _qemu(p)).rounds["duration_s"].iloc[0])


@ex_1a.solution
def _(p):
    vm, q = _vm(p), _qemu(p)
    rate = _rate(p)
    zero = p.MEMORY_MIB * p.ZERO_FRACTION
    wire = vm.nonzero_mib + zero * q.zero_page_bytes / (vm.page_size_kib * 1024)
    return (
        f"Round 0 sends every non-zero page in full and every zero page as a {q.zero_page_bytes:g}-byte header, "
        f"at the lower of the link and `max-bandwidth`: {vm.nonzero_mib:,.1f} + {zero:,.1f} x 9/4096 = "
        f"{wire:,.1f} MiB at min({p.BANDWIDTH_MIB_S:g}, {q.max_bandwidth_mib_s:g}) = {rate:g} MiB/s, "
        f"**{wire / rate:.1f} s**. The dirty rate does not change round 0; it decides what is left after it."
    )


# ---- 1b · the largest working set that can still migrate ----------------------------------------
@number("1b", unit="MiB", rtol=0.03,
        hint="The whole working set is dirty at every switch-over decision. When does QEMU accept a remainder?")
def ex_1b(p):
    return _rate(p) * p.DOWNTIME_LIMIT_MS / 1000


@ex_1b.solution
def _(p):
    rate, limit = _rate(p), p.DOWNTIME_LIMIT_MS
    thr = rate * limit / 1000
    return (
        f"The remainder is always the whole working set W, and QEMU switches over when it is below the "
        f"threshold: W < rate x limit = {rate:g} MiB/s x {limit / 1000:g} s = **{thr:.1f} MiB**. Any bigger hot "
        f"set never converges (section 6). Raising the limit lets a bigger set through, with a pause as long as "
        f"the new limit."
    )


# ---- 1g · resume and gratuitous ARP ----------------------------------------------------------
ex_1g = Choice(
    "1g",
    options=("a", "b", "c", "d"),
    answer="b",
    feedback={
        "a": "The VM keeps its IP address (and its MAC address): that is what makes the move invisible to its "
             "clients. Nothing about the VM's addresses changes.",
        "b": "The switches learn which port leads to a MAC address from the frames they see. A frame sent from "
             "the VM's MAC out of the destination's port (a gratuitous ARP or a RARP) moves that entry at once, "
             "so traffic stops going to the old host.",
        "c": "DNS maps names to IP addresses, and the IP address does not change. The problem sits lower: "
             "which switch port leads to the VM's MAC address.",
        "d": "The source could forward for a while (some hypervisors do), but the lecture notes' step updates "
             "the network itself, so traffic goes straight to the new host.",
    },
    hint="What does an Ethernet switch remember about a MAC address, and how does it learn it?",
)


# ---- 1c / 1h · the cap: bare QEMU or libvirt ----------------------------------------------------
def _busy(p, policy: PrecopyPolicy):
    return precopy(VM(**BUSY_DB), _link(p, p.FAST_LINK_MIB_S), policy)


@choice("1c", (True, False),
        feedback={True: "Its rounds would need to outrun 150 MiB/s of dirtying. At what rate do bare QEMU's "
                        "pre-copy rounds run, whatever the link?",
                  False: "Bare QEMU sends the rounds at 128 MiB/s, below the 150 MiB/s dirty rate: the 1 GiB "
                         "working set is dirty again after every round and never fits in the threshold."},
        hint="At what rate do bare QEMU's pre-copy rounds run, whatever the link?")
def ex_1c(p):
    return bool(_busy(p, _qemu(p)).converged)


@ex_1c.solution
def _(p):
    run = _busy(p, _qemu(p))
    verdict = "converges" if run.converged else "does not converge"
    return (
        f"**{run.converged}**: it {verdict}. Bare QEMU sends the rounds at {run.precopy_rate_mib_s:g} MiB/s although "
        f"the link carries {p.FAST_LINK_MIB_S:g} MiB/s, against 150 MiB/s of dirtying. The model: {run.stop_reason}."
    )


@number("1h", unit="s", rtol=0.1,
        hint="Without the cap the rounds run at link speed: the first pass dominates, then lambda = 150 / link is small.")
def ex_1h(p):
    return _busy(p, _libvirt(p)).total_time_s


@ex_1h.solution
def _(p):
    run = _busy(p, _libvirt(p))
    first = float(run.rounds["duration_s"].iloc[0])
    lam = 150.0 / p.FAST_LINK_MIB_S
    return (
        f"Under libvirt the rounds run at the link's {p.FAST_LINK_MIB_S:g} MiB/s. The first pass takes {first:.2f} s, "
        f"λ = 150 / {p.FAST_LINK_MIB_S:g} ≈ {lam:.2f}, and it {'converges' if run.converged else 'stops'} after "
        f"{run.n_rounds} round(s): **{run.total_time_s:.1f} s** in all, with a {run.downtime_ms:.0f} ms pause. "
        "The same VM under bare QEMU never arrives: one setting makes the difference."
    )


EXERCISES = [ex_1f, ex_1a, ex_1b, ex_1g, ex_1c, ex_1h]
