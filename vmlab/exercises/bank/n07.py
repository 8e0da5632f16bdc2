"""Exercises of notebook 07 · Pre-copy stop rules (optional track).

Parameters read (``p.NAME``): MEMORY_MIB, ZERO_FRACTION, DIRTY_RATE_MIB_S, WWS_MIB, HOT_WWS_MIB,
BANDWIDTH_MIB_S, LATENCY_MS, DOWNTIME_LIMIT_MS, TIMEOUT_S.

7b was 1e and 7e was 1d in notebook 01. Xen's numbers are always computed from the presets
(:meth:`PrecopyPolicy.xen_legacy`, :meth:`PrecopyPolicy.xen`), never written here, so they follow
any change to how the engine applies Xen's caps.
"""

from __future__ import annotations

import math

from vmlab.exercises.kinds import Choice, choice, number
from vmlab.migration import VM, Link, PrecopyPolicy, precopy

NOTEBOOK = "07_precopy_stop_rules"

SAWTOOTH_LINKS_MIB_S = (116.0, 118.0)
"""The two links of exercise 7e (fixed, whatever the parameters)."""


def _vm(p) -> VM:
    return VM(memory_mib=p.MEMORY_MIB, dirty_rate_mib_s=p.DIRTY_RATE_MIB_S, wws_mib=p.WWS_MIB,
              zero_fraction=p.ZERO_FRACTION)


def _hot(p) -> VM:
    return VM(memory_mib=p.MEMORY_MIB, dirty_rate_mib_s=None, wws_mib=p.HOT_WWS_MIB, zero_fraction=p.ZERO_FRACTION)


def _link(p, bandwidth_mib_s: float | None = None) -> Link:
    return Link(bandwidth_mib_s=p.BANDWIDTH_MIB_S if bandwidth_mib_s is None else bandwidth_mib_s, latency_ms=p.LATENCY_MS)


def _qemu(p) -> PrecopyPolicy:
    return PrecopyPolicy.qemu(downtime_limit_ms=p.DOWNTIME_LIMIT_MS, timeout_s=p.TIMEOUT_S)


def _fixed_ms(run) -> float:
    """The part of a pause that does not depend on the remainder: device state, latency, resume, ARP."""
    pol = run.policy
    return 1000 * run.vm.device_state_mib / run.final_rate_mib_s + run.link.latency_ms + pol.resume_ms + pol.arp_ms


# ---- 7a · Xen's pause ----------------------------------------------------------------------
@number("7a", unit="ms", rtol=0.15,
        hint="If Xen reaches its target, fewer than 50 pages (0.2 MiB) are left: the pause is mostly device "
             "state, latency, resume and ARP. Does a cap stop it before that?")
def ex_7a(p):
    return precopy(_vm(p), _link(p), PrecopyPolicy.xen_legacy()).downtime_ms


@ex_7a.solution
def _(p):
    run = precopy(_vm(p), _link(p), PrecopyPolicy.xen_legacy())
    pending = run.final_copy_mib - run.vm.device_state_mib
    fixed = _fixed_ms(run)
    how = ("it reached its target" if run.converged else f"a cap stopped it first ({run.stop})")
    return (
        f"Xen (legacy) ran {run.n_rounds} rounds; {how}, with {pending:.3g} MiB still dirty. The pause copies that "
        f"and the {run.vm.device_state_mib:g} MiB of device state at {run.final_rate_mib_s:g} MiB/s, then latency, "
        f"resume and ARP: **{run.downtime_ms:.1f} ms**, of which {fixed:.1f} ms do not depend on the remainder. "
        f"The model: {run.stop_reason}."
    )


# ---- 7c · cancelled at the timeout --------------------------------------------------------------
ex_7c = Choice(
    "7c",
    options=("a", "b", "c", "d"),
    answer="b",
    feedback={
        "a": "That is the other action, \"force\" (Nova's `force_complete`): the VM is paused and the rest copied, "
             "with a long blackout.",
        "b": "An aborted migration leaves the VM running on the source as if nothing had happened; the "
             "destination discards what it received. No downtime, but all the data sent was for nothing.",
        "c": "Cancelling is safe: until the switch-over the source still runs the only live copy of the VM.",
        "d": "QEMU never switches to post-copy on its own; Nova does it at the timeout only if told to "
             "(`live_migration_permit_post_copy` with the force action).",
    },
    hint="Until the switch-over, where does the VM run?",
)


# ---- 7b · Xen's data cap (was 1e) ------------------------------------------------------------
@number("7b", unit="MiB", rtol=0.05,
        hint="Which of the legacy caps acts first when every round sends the whole working set again?")
def ex_7b(p):
    run = precopy(_hot(p), _link(p), PrecopyPolicy.xen_legacy())
    return run.data_sent_mib - run.final_copy_mib


@ex_7b.solution
def _(p):
    pol = PrecopyPolicy.xen_legacy()
    run = precopy(_hot(p), _link(p), pol)
    rounds = run.rounds[run.rounds["phase"] != "stop-and-copy"]
    first = float(rounds["sent_mib"].iloc[0])
    later = float(rounds["sent_mib"].iloc[1]) if len(rounds) > 1 else 0.0
    live = run.data_sent_mib - run.final_copy_mib
    parts = [f"The first pass sends all {first:,.0f} MiB (Xen sends zero pages in full), then every round re-sends "
             f"the {later:,.0f} MiB working set."]
    if pol.max_rounds is not None:
        parts.append(f"The {pol.max_rounds}-round cap would allow {first + (pol.max_rounds - 1) * later:,.0f} MiB;")
    if pol.max_sent_factor is not None:
        parts.append(f"the {pol.max_sent_factor:g}x-memory cap allows {pol.max_sent_factor * p.MEMORY_MIB:,.0f} MiB.")
    parts.append(
        f"The model stops on the **{run.stop}** after {run.n_rounds} rounds, having sent **{live:,.0f} MiB**, and "
        f"pauses the VM with {run.final_copy_mib - run.vm.device_state_mib:,.0f} MiB dirty: a "
        f"{run.downtime_ms / 1000:.1f} s blackout."
    )
    return " ".join(parts)


# ---- 7d · the first-window quirk --------------------------------------------------------------
ex_7d = Choice(
    "7d",
    options=("a", "b", "c", "d"),
    answer="a",
    feedback={
        "a": "A first pass shorter than one 100 ms window needs little non-zero memory (or a very fast rate); the "
             "dirt it leaves only costs more than the limit when the limit is tight.",
        "b": "A big VM over a slow link takes seconds for its first pass, far past the first 100 ms window: "
             "QEMU has a measured bandwidth long before it decides.",
        "c": "That VM never converges at all (notebook 01): a different problem, with no early switch-over.",
        "d": "Dirtying faster than the link stops the rounds from shrinking; the quirk is about when QEMU first "
             "has a bandwidth to decide with.",
    },
    hint="How long does the first pass take, compared with one 100 ms window?",
)


# ---- 7e · a faster link, a longer pause? (was 1d) ---------------------------------------------------
def _pause_ms(run) -> float:
    """Downtime, 0 for a migration that never paused the VM (cancelled)."""
    return run.downtime_ms if run.completed and math.isfinite(run.downtime_ms) else 0.0


@choice("7e", ("up", "down", "same"),
        feedback={"up": "A faster link raises the threshold a little; if that lets an earlier round's remainder "
                        "fit, QEMU switches over one round earlier, with a bigger remainder.",
                  "down": "More bandwidth copies the same remainder faster, yes; but does the switch-over happen "
                          "after the same round?",
                  "same": "Compare the number of rounds, and the threshold the remainder is measured against."},
        hint="Compare the number of rounds, and the threshold the remainder is measured against.")
def ex_7e(p):
    slow, fast = (precopy(_vm(p), _link(p, b), _qemu(p)) for b in SAWTOOTH_LINKS_MIB_S)
    a, b = _pause_ms(slow), _pause_ms(fast)
    if abs(a - b) < 0.5:
        return "same"
    return "up" if b > a else "down"


@ex_7e.solution
def _(p):
    slow, fast = (precopy(_vm(p), _link(p, b), _qemu(p)) for b in SAWTOOTH_LINKS_MIB_S)
    answer = ex_7e.expected_value(p)

    def say(run, bw):
        pause = f"a {run.downtime_ms:.0f} ms pause" if run.completed else "no pause (cancelled)"
        return f"{bw:g} MiB/s: {run.n_rounds} rounds, {pause}, threshold {run.threshold_mib:.1f} MiB"

    text = f"**{answer}**. {say(slow, SAWTOOTH_LINKS_MIB_S[0])}; {say(fast, SAWTOOTH_LINKS_MIB_S[1])}. "
    if fast.completed and slow.completed and fast.n_rounds < slow.n_rounds:
        text += ("The faster link raised the threshold just enough for an earlier remainder to fit, so QEMU "
                 "switched over one round earlier and copied a remainder about 1/λ times bigger. ")
    return text + ("Total time still falls with more bandwidth; the downtime is a saw-tooth, bounded by the limit "
                   "plus fixed costs, not a monotone curve.")


# ---- 7f · where every dirty rate converges (libvirt, no cap) -------------------------------------
@number("7f", unit="MiB/s", rtol=0.05,
        hint="At the worst, the whole working set is dirty at every decision. From what bandwidth does it fit in "
             "bandwidth x downtime limit?")
def ex_7f(p):
    return _vm(p).region_mib / (p.DOWNTIME_LIMIT_MS / 1000)


@ex_7f.solution
def _(p):
    w = _vm(p).region_mib
    need = ex_7f.expected_value(p)
    return (
        f"Whatever the dirty rate, a round leaves at most the {w:,.0f} MiB working set dirty. It fits when "
        f"W < bandwidth x limit, so from **{need:,.0f} MiB/s** = {w:,.0f} MiB / {p.DOWNTIME_LIMIT_MS / 1000:g} s "
        f"(the horizontal line in the libvirt map). Under bare QEMU the rounds never run faster than "
        f"{PrecopyPolicy.qemu().max_bandwidth_mib_s:g} MiB/s, so that line only exists if the working set fits in "
        f"{PrecopyPolicy.qemu().max_bandwidth_mib_s:g} MiB/s x the limit."
    )


EXERCISES = [ex_7a, ex_7c, ex_7b, ex_7d, ex_7e, ex_7f]
