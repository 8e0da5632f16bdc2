"""Exercises of notebook 03 · Live versus cold.

Parameters read (``p.NAME``): MEMORY_MIB, ZERO_FRACTION, DIRTY_RATE_MIB_S, WWS_MIB, DISK_GIB,
DISK_DIRTY_RATE_MIB_S, BANDWIDTH_MIB_S, LATENCY_MS, STACK, DOWNTIME_LIMIT_MS, TIMEOUT_S,
SHARED_STORAGE, BOOT_S.
"""

from __future__ import annotations

import math

import numpy as np

from vmlab.exercises.kinds import Choice, Match, choice, number
from vmlab.format import format_duration, format_mib
from vmlab.migration import VM, ColdPolicy, Link, cold_migration, live_vs_cold_grid
from vmlab.migration.compare import live_migration_with_storage
from vmlab.scenarios.stacks import stack_policy
from vmlab.units import gib_to_mib

NOTEBOOK = "03_live_vs_cold"


def _vm(p):
    return VM(memory_mib=p.MEMORY_MIB, dirty_rate_mib_s=p.DIRTY_RATE_MIB_S, wws_mib=p.WWS_MIB,
              zero_fraction=p.ZERO_FRACTION)


def _link(p):
    return Link(bandwidth_mib_s=p.BANDWIDTH_MIB_S, latency_ms=p.LATENCY_MS)


def _policy(p):
    return stack_policy(p.STACK, downtime_limit_ms=p.DOWNTIME_LIMIT_MS, timeout_s=p.TIMEOUT_S)


def _shared(p, shared):
    return p.SHARED_STORAGE if shared is None else shared


def _cold(p, shared=None):
    return cold_migration(_vm(p), _link(p), disk_gib=p.DISK_GIB, shared_storage=_shared(p, shared),
                          policy=ColdPolicy(boot_s=p.BOOT_S))


def _live(p, shared=None):
    return live_migration_with_storage(_vm(p), _link(p), _policy(p), disk_gib=p.DISK_GIB,
                                       disk_dirty_rate_mib_s=p.DISK_DIRTY_RATE_MIB_S, shared_storage=_shared(p, shared))


def _storage(p, shared=None):
    return "shared storage" if _shared(p, shared) else f"the {p.DISK_GIB:g} GiB disk on each host's own storage"


# ---- 3a: how much longer is the cold blackout? ----------------------------------------------------
RATIO_OPTIONS = {"a": 10, "b": 100, "c": 1_000, "d": 10_000}
"""Exercise 3a's options: cold downtime / live downtime, to the nearest power of ten."""


def _ratio(p):
    live, cold = _live(p), _cold(p)
    return (cold.downtime_ms / 1000) / (live.downtime_ms / 1000) if live.completed else math.nan


def _nearest_power(ratio: float) -> str:
    k = min(max(round(math.log10(ratio)), 1), 4)
    return "abcd"[k - 1]


ex_3a = Choice(
    "3a", ("a", "b", "c", "d", "e"),
    answer=lambda p: "e" if not _live(p).completed else _nearest_power(_ratio(p)),
    feedback={
        "a": "About 10 times would mean a live pause a tenth as long as the whole cold move: seconds against "
             "tens of seconds.",
        "b": "About 100 times would be, say, a 0.5 s live pause against a 50 s cold move (shared storage, a "
             "fast boot).",
        "c": "About 1,000 times is, say, a 0.3 s live pause against a 5-minute cold move.",
        "d": "10,000 times or more is, say, a 30 ms live pause against a 5-minute cold move: a fast link "
             "empties the last round quickly.",
        "e": "Live migration does not complete when the guest dirties memory (or its disk) faster than the "
             "link carries, or the move does not fit the timeout: then there is no live downtime to compare.",
    },
    hint="Live: about the downtime limit if it converges (less when the last round is small). Cold: shutdown + "
         "disk copy (unless the storage is shared) + registration + boot, as in notebook 02.",
)


@ex_3a.solution
def _(p):
    live, cold = _live(p), _cold(p)
    if not live.completed:
        return (f"**(e)**: the live migration does not complete ({live.stop_reason}). A cold move, "
                f"{format_duration((cold.downtime_ms / 1000))} of downtime, is the only one of the two that moves this VM.")
    ratio = (cold.downtime_ms / 1000) / (live.downtime_ms / 1000)
    letter = _nearest_power(ratio)
    return (f"**({letter})**: the live pause is {format_duration(live.downtime_ms / 1000)}, the cold move "
            f"{format_duration((cold.downtime_ms / 1000))} (shutdown, "
            f"{'configuration only' if cold.shared_storage else 'disk copy'}, registration, boot): "
            f"{ratio:,.0f} times longer, nearest to {RATIO_OPTIONS[letter]:,}. Milliseconds against minutes is "
            "the usual gap, as long as the live migration converges.")


# ---- 3b: who loads the network more? ---------------------------------------------------------------
@choice("3b", ("live", "cold"),
        feedback={
            "live": "Live sends all non-zero memory at least once, plus what the guest rewrites meanwhile; without "
                    "shared storage it also mirrors the whole disk first, plus the blocks the guest rewrites. "
                    "(A live migration cancelled early stops sending early.)",
            "cold": "Cold sends the disk files once, or only the configuration with shared storage: a powered-off "
                    "VM changes nothing while it is copied.",
        },
        hint="List what each one puts on the wire. Is the storage shared? Does live migration move the disk too?")
def ex_3b(p):
    return "live" if _live(p).data_sent_mib > _cold(p).data_sent_mib else "cold"


@ex_3b.solution
def _(p):
    live, cold = _live(p), _cold(p)
    winner = ex_3b.expected_value(p)
    if live.shared_storage:
        live_parts = f"memory only: {format_mib(live.data_sent_mib)}"
    else:
        live_parts = (f"{format_mib(live.disk_data_sent_mib)} through the disk mirror (the {p.DISK_GIB:g} GiB disk "
                      f"plus the blocks rewritten at {p.DISK_DIRTY_RATE_MIB_S:g} MiB/s) and "
                      f"{format_mib(live.memory_data_sent_mib)} of memory: {format_mib(live.data_sent_mib)} in all")
    cold_parts = "only the configuration" if cold.shared_storage else "the disk files, once"
    text = (f"**{winner}**. With {_storage(p)}, live sends {live_parts}. "
            f"Cold sends {cold_parts}: {format_mib(cold.data_sent_mib)}.")
    if not live.completed:
        text += f" The live migration did not complete ({live.stop}): what it sent was in vain."
    return text + (" And live sends it at full speed while the VM is in production: the lecture notes' \"very "
                   "high\" network load is about the rate as much as the amount.")


def _lettered(answer: dict[str, str], options: tuple[str, ...]) -> dict[str, str]:
    """A Match answer written with the question's option letters, as option texts."""
    return {item: options["abcdefgh".index(letter)] for item, letter in answer.items()}


# ---- 3e: the VM state row --------------------------------------------------------------------------
STATE_OPTIONS = (
    "runs throughout, paused for a moment at the switch-over: memory and open connections intact",
    "shut down: memory contents gone, connections closed, a full boot on the destination",
    "stopped with its memory saved to an image: resumes where it was, but clients may time out meanwhile",
    "runs on at the source as if nothing happened: only the network time was lost",
)

ex_3e = Match(
    "3e",
    _lettered({
        "live migration": "a",
        "a live migration that does not converge and is cancelled": "d",
        "cold migration of a powered-off VM": "b",
        "cold migration of a suspended VM": "c",
    }, STATE_OPTIONS),
    options=STATE_OPTIONS,
    feedback={
        "live migration": "The VM runs on the source while its memory is copied and on the destination after a "
                          "pause of milliseconds: TCP connections survive such a gap (a retransmission at most).",
        "a live migration that does not converge and is cancelled": "The source keeps a complete, running VM until "
                                                                     "the switch-over; a cancelled migration just "
                                                                     "stops copying.",
        "cold migration of a powered-off VM": "A graceful shutdown closes every connection and throws away what "
                                              "was in memory (caches, sessions); the destination boots from scratch.",
        "cold migration of a suspended VM": "Suspending writes memory to an image; the VM resumes with its memory "
                                            "and connections, but a client that waited longer than its timeout has "
                                            "given up.",
    },
    hint="Which of them keep the guest's memory? Which keep it running? A TCP peer gives up after its timeout.",
)


# ---- 3f: the complexity row ------------------------------------------------------------------------
TASK_OPTIONS = (
    "the guest keeps writing memory while it is copied",
    "copying must stop once the rest fits the downtime limit, or be given up",
    "the VM must run on exactly one host, never on both or on neither",
    "switches still send the VM's traffic to the old host's port",
    "the guest keeps writing a disk that is not on shared storage",
    "nothing: the VM is off, its files do not change, a failed copy is simply retried",
)

ex_3f = Match(
    "3f",
    _lettered({
        "dirty-page tracking": "a",
        "the convergence decision": "b",
        "the switch-over": "c",
        "the gratuitous ARP": "d",
        "the disk mirror": "e",
        "the cold disk copy": "f",
    }, TASK_OPTIONS),
    options=TASK_OPTIONS,
    feedback={
        "dirty-page tracking": "The hypervisor write-protects or logs every page so it knows which ones to send "
                               "again in the next round.",
        "the convergence decision": "Each round the hypervisor compares what is still dirty with what it can send "
                                    "within the downtime limit, and a timeout (or Xen's round caps) ends a "
                                    "migration that never gets there.",
        "the switch-over": "Pause, last copy, resume on the destination: both hosts must agree, atomically, "
                           "which one runs the VM.",
        "the gratuitous ARP": "After the resume the VM announces itself so that switches update their "
                              "MAC-to-port mapping; otherwise its packets go to the old host.",
        "the disk mirror": "Without shared storage the disk is copied while the guest writes to it, and the "
                           "mirror must be in sync before memory can move.",
        "the cold disk copy": "A cold migration is a sequence of file operations and API calls on a VM that does "
                              "not change: that is the lecture notes' \"low (file transfer)\" complexity.",
    },
    hint="Ask for each task: what goes wrong if nobody does it?",
)


# ---- 3c: where live stops winning -----------------------------------------------------------------
def _dirty_line(p):
    B = float(p.BANDWIDTH_MIB_S)
    D = np.linspace(0.0, 2.0 * B, 2001)
    return live_vs_cold_grid(vm=_vm(p), link=_link(p), policy=_policy(p), dirty_rate_mib_s=D, bandwidth_mib_s=B,
                             disk_gib=p.DISK_GIB, shared_storage=p.SHARED_STORAGE,
                             cold_policy=ColdPolicy(boot_s=p.BOOT_S),
                             criterion="downtime", disk_dirty_rate_mib_s=p.DISK_DIRTY_RATE_MIB_S)


@number("3c", unit="MiB/s", rtol=0.05, atol=1.0,
        hint="Live wins on downtime wherever it completes. Memory gets what the disk mirror leaves of the link "
             "(B - W), at most 128 MiB/s under bare QEMU; and the mirror uses up part of the timeout.")
def ex_3c(p):
    line = _dirty_line(p)
    cold = line.loc[line["winner"] == "cold", "dirty_rate_mib_s"]
    return float(cold.min()) if len(cold) else "never"


@ex_3c.solution
def _(p):
    answer = ex_3c.expected_value(p)
    live = _live(p)
    B, W = p.BANDWIDTH_MIB_S, p.DISK_DIRTY_RATE_MIB_S
    mem_link = B if p.SHARED_STORAGE else B - W
    cap = _policy(p).max_bandwidth_mib_s
    rate = mem_link if cap is None else min(mem_link, cap)
    why_rate = (f"the link's {B:g} MiB/s" if p.SHARED_STORAGE else
                f"what the disk mirror leaves of the link, {B:g} - {W:g} = {mem_link:.4g} MiB/s")
    if cap is not None and cap < mem_link:
        why_rate += f", capped at bare QEMU's {cap:g} MiB/s"
    why_rate += "" if rate == mem_link else f": {rate:.4g} MiB/s"
    if answer == "never":
        return (f"**never** (up to {2 * B:g} MiB/s): the {p.WWS_MIB:g} MiB working set fits in the switch-over "
                f"threshold (rate × {p.DOWNTIME_LIMIT_MS:g} ms), so live migration converges right after the first "
                "pass, whatever the dirty rate.")
    text = (f"**{answer:.4g} MiB/s**. Memory moves at {why_rate}. Below that rate the dirty set "
            f"shrinks round after round and live wins (its downtime is about the {p.DOWNTIME_LIMIT_MS:g} ms limit, "
            f"against {format_duration((_cold(p).downtime_ms / 1000))} for cold). ")
    if answer < 0.9 * rate:
        if not p.SHARED_STORAGE and not live.mirror_in_sync:
            text += (f"Here it never gets that far: the disk mirror alone does not get in sync within the "
                     f"{p.TIMEOUT_S:g} s timeout.")
        else:
            text += (f"Cold wins already from {answer:.4g} MiB/s: close to the rate the rounds shrink so slowly that "
                     f"the memory copy does not finish in the {p.TIMEOUT_S:g} s timeout"
                     + ("" if p.SHARED_STORAGE else
                        f", of which the disk mirror took {format_duration(live.mirror_time_s)}")
                     + ".")
    else:
        text += ("Just below that rate the rounds shrink so slowly that the migration runs out of time; above it the "
                 f"{p.WWS_MIB:g} MiB working set stays dirty and never fits the threshold.")
    return text


# ---- 3g: the mirror's own limit --------------------------------------------------------------------
def _disk_line(p):
    B = float(p.BANDWIDTH_MIB_S)
    W = np.linspace(0.0, B, 4001)
    return live_vs_cold_grid(vm=_vm(p), link=_link(p), policy=_policy(p), dirty_rate_mib_s=p.DIRTY_RATE_MIB_S,
                             bandwidth_mib_s=B, disk_gib=p.DISK_GIB, shared_storage=False,
                             cold_policy=ColdPolicy(boot_s=p.BOOT_S), criterion="downtime", disk_dirty_rate_mib_s=W)


@number("3g", unit="MiB/s", rtol=0.03, atol=0.5,
        hint="The mirror needs S / (B - W) seconds to get in sync; it must fit in the timeout (minus a short setup).")
def ex_3g(p):
    line = _disk_line(p)
    never = line.loc[~line["mirror_in_sync"].to_numpy(dtype=bool), "disk_dirty_rate_mib_s"]
    return float(never.min())


@ex_3g.solution
def _(p):
    answer = ex_3g.expected_value(p)
    S, B, T = gib_to_mib(p.DISK_GIB), p.BANDWIDTH_MIB_S, p.TIMEOUT_S
    setup = _policy(p).setup_ms / 1000
    text = (f"The mirror copies at the link's {B:g} MiB/s while the guest writes W MiB/s of new blocks, so it needs "
            f"t = S / (B - W) = {S:,.0f} / ({B:g} - W) s. It must be in sync within the {T:g} s timeout (less "
            f"{setup:g} s of setup): W < B - S / {T - setup:g} = {B - S / (T - setup):.4g} MiB/s. ")
    if answer <= 0.5:
        return text + (f"That is below zero here: **0 MiB/s**. Even a guest that writes nothing keeps the mirror "
                       f"busy for {S / B:,.0f} s, longer than the timeout; only a faster link, a longer timeout or "
                       "shared storage helps.")
    return text + (f"From about **{answer:.4g} MiB/s** of disk writes the mirror never gets in sync in time, and the "
                   "live migration is cancelled before any memory moved.")


# ---- 3d: shared storage and the wire -------------------------------------------------------------
@choice("3d", ("live", "cold"),
        feedback={
            "live": "With shared storage live migration still sends all non-zero memory at least once (more with "
                    "the rewrites), gigabytes for most VMs.",
            "cold": "With shared storage a cold move sends only the configuration files, well under a MiB: nearly "
                    "free on the wire. It pays in downtime instead.",
        },
        hint="What still moves in a cold migration when the disk stays where it is?")
def ex_3d(p):
    return "live" if _live(p, shared=True).data_sent_mib < _cold(p, shared=True).data_sent_mib else "cold"


@ex_3d.solution
def _(p):
    live, cold = _live(p, shared=True), _cold(p, shared=True)
    return (f"**{ex_3d.expected_value(p)}**: cold sends {format_mib(cold.data_sent_mib)} of configuration, live "
            f"{format_mib(live.data_sent_mib)} of memory ({live.data_sent_mib / p.MEMORY_MIB:.2f}x RAM). Cold "
            f"migration with shared storage is nearly free on the wire; it costs "
            f"{format_duration((cold.downtime_ms / 1000))} of downtime instead (shutdown + boot).")


EXERCISES = [ex_3a, ex_3b, ex_3e, ex_3f, ex_3c, ex_3g, ex_3d]
