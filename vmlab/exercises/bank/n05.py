"""Exercises of notebook 05 · Beyond pre-copy.

Parameters read (``p.NAME``): MEMORY_MIB, DIRTY_RATE_MIB_S, WWS_MIB, BANDWIDTH_MIB_S,
DOWNTIME_LIMIT_MS, TIMEOUT_S, TOUCH_RATE_MIB_S, HYBRID_ROUNDS, THROTTLE_INITIAL_PCT,
THROTTLE_INCREMENT_PCT, XBZRLE_CACHE_MIB, SIM_MEMORY_MIB, SIM_DIRTY_RATE_MIB_S.
"""

from __future__ import annotations

import math

from vmlab.exercises.kinds import Match, choice, number
from vmlab.migration import VM, AutoConvergePolicy, Compression, Link, PrecopyPolicy, postcopy, precopy, simulate_pages

NOTEBOOK = "05_beyond_precopy"

HOT = {"hot_fraction": 0.1, "hot_write_share": 0.9}
"""Exercise 5d's concentrated writes: 90 % of them on 10 % of the working set."""
UNIFORM = {"hot_fraction": 0.5, "hot_write_share": 0.5}
"""Exercise 5d's uniform writes (the hot half gets half of them)."""


def _vm(p):
    return VM(memory_mib=p.MEMORY_MIB, dirty_rate_mib_s=p.DIRTY_RATE_MIB_S, wws_mib=p.WWS_MIB)


def _link(p):
    return Link(bandwidth_mib_s=p.BANDWIDTH_MIB_S)


def _policy(p):
    return PrecopyPolicy.qemu(downtime_limit_ms=p.DOWNTIME_LIMIT_MS, timeout_s=p.TIMEOUT_S)


def _post(p, rounds=0):
    return postcopy(_vm(p), _link(p), _policy(p), touch_rate_mib_s=p.TOUCH_RATE_MIB_S, precopy_rounds=rounds)


def _throttle(p):
    return AutoConvergePolicy(initial_pct=p.THROTTLE_INITIAL_PCT, increment_pct=p.THROTTLE_INCREMENT_PCT)


# ---- 5a: post-copy on the wire ---------------------------------------------------------------------
@number("5a", unit="MiB", rtol=0.001, hint="Every page exactly once, plus the CPU and device state.")
def ex_5a(p):
    return _post(p).data_sent_mib


@ex_5a.solution
def _(p):
    vm, post = _vm(p), _post(p)
    return (f"`MEMORY_MIB` + device state = {p.MEMORY_MIB:g} + {vm.device_state_mib:g} = "
            f"**{post.data_sent_mib:,.1f} MiB**, whatever the dirty rate: a page pushed or pulled is on the "
            "destination, and the guest's writes land there. (Zero pages would go as small headers; this VM has none.)")


# ---- 5f: the hybrid's degradation period --------------------------------------------------------
@number("5f", unit="s", rtol=0.1, atol=0.5,
        hint="After the pre-copy pass(es) only the pages still dirty are missing, at most the working set; the "
             "push sends them at the link rate.")
def ex_5f(p):
    return _post(p, p.HYBRID_ROUNDS).degradation_s


@ex_5f.solution
def _(p):
    pure, hybrid = _post(p), _post(p, p.HYBRID_ROUNDS)
    if not hybrid.switched:
        return (f"**0 s**: the pre-copy converged within its {p.HYBRID_ROUNDS} pass(es), so the migration finished "
                "as a pre-copy and never switched to post-copy.")
    return (f"After {p.HYBRID_ROUNDS} pre-copy pass(es) the pages still dirty are missing on the destination: "
            f"{hybrid.missing_mib:,.0f} MiB (the guest rewrites its {p.WWS_MIB:g} MiB working set at "
            f"{p.DIRTY_RATE_MIB_S:g} MiB/s while a pass runs). The push sends them at {p.BANDWIDTH_MIB_S:g} MiB/s: "
            f"{hybrid.missing_mib:,.0f} / {p.BANDWIDTH_MIB_S:g} ≈ **{hybrid.degradation_s:.1f} s**, against "
            f"{pure.degradation_s:.1f} s for pure post-copy, which must push all of memory.")


# ---- 5e: what a failure does -------------------------------------------------------------------------
FAILURE_OPTIONS = (
    "the migration pauses: the guest runs on but stalls on missing pages until the link is recovered",
    "the VM is lost",
    "the migration fails; the VM runs on at the source",
)

ex_5e = Match(
    "5e",
    {
        "the network between the hosts fails during the degradation period": FAILURE_OPTIONS[0],
        "the source host fails during the degradation period": FAILURE_OPTIONS[1],
        "the destination host fails during the degradation period": FAILURE_OPTIONS[1],
        "the destination host fails while the pre-copy rounds still run": FAILURE_OPTIONS[2],
    },
    options=FAILURE_OPTIONS,
    feedback={
        "the network between the hosts fails during the degradation period":
            "Since QEMU 3.0 both sides enter `postcopy-paused`: the guest keeps running on the destination and "
            "only a vCPU that touches a missing page stalls; `migrate-recover` on the destination and `migrate` "
            "with `resume=true` on the source continue the migration.",
        "the source host fails during the degradation period":
            "The pages not yet pushed exist only on the source: the destination can never get them.",
        "the destination host fails during the degradation period":
            "The VM was running there: everything it wrote since the switch dies with it, and the source's copy "
            "is stale.",
        "the destination host fails while the pre-copy rounds still run":
            "Before the switch the source still holds a complete, running VM: the migration fails and is retried.",
    },
    hint="Where is the only up-to-date copy of each page during the degradation period?",
)


# ---- 5b: how hard must QEMU throttle? -------------------------------------------------------------
def _precopy_rate(p):
    return precopy(_vm(p), _link(p), _policy(p)).precopy_rate_mib_s


@number("5b", unit="%", rtol=0.0, atol=0.5,
        hint="Solve D·(1 - p) < R for p, then round up to the next of the throttle's steps.")
def ex_5b(p):
    rate, D = _precopy_rate(p), p.DIRTY_RATE_MIB_S
    if D < rate:
        return 0.0
    return next((s for s in _throttle(p).steps() if D * (1 - s / 100) < rate), math.nan)


@ex_5b.solution
def _(p):
    rate, D = _precopy_rate(p), p.DIRTY_RATE_MIB_S
    answer = ex_5b.expected_value(p)
    steps = ", ".join(f"{s:g}" for s in _throttle(p).steps()[:4])
    if answer == 0:
        return (f"**0 %**: the guest dirties {D:g} MiB/s, already below the pre-copy rate R = {rate:.4g} MiB/s; the "
                "dirty set shrinks without any throttle.")
    p_min = 100 * (1 - rate / D)
    return (f"{D:g}·(1 - p) < {rate:.4g} ⇒ p > {p_min:.1f} %; the steps are {steps}, ... %, so the first one above "
            f"is **{answer:g} %**. QEMU keeps stepping while the dirtied bytes exceed half the sent ones, and the "
            "dirty set must still fall below the threshold: the run below may end at a higher throttle.")


# ---- 5c: the XBZRLE cache --------------------------------------------------------------------------
@number("5c", rtol=0.01, hint="h = cache / working set (at most 1); plug it into 1 / (h/8 + 1 - h).")
def ex_5c(p):
    return Compression.xbzrle(cache_mib=p.XBZRLE_CACHE_MIB).effective_ratios(_vm(p).region_mib)[1]


@ex_5c.solution
def _(p):
    h = min(1.0, p.XBZRLE_CACHE_MIB / _vm(p).region_mib)
    ratio = ex_5c.expected_value(p)
    verdict = ("the cache is far too small for this working set" if h < 0.25 else
               "the cache covers much of the working set" if h < 1 else "the cache holds the whole working set")
    return (f"h = min(1, {p.XBZRLE_CACHE_MIB:g} / {_vm(p).region_mib:g}) = {h:.3f}, ratio = 1 / ({h:.3f}/8 + "
            f"{1 - h:.3f}) ≈ **{ratio:.2f}**: {verdict}. QEMU's documentation says as much: size the cache to the "
            "guest's write pattern.")


# ---- 5d: hot pages, bigger or smaller dirty set? ---------------------------------------------------
def _sim(p, mix):
    vm = VM(memory_mib=p.SIM_MEMORY_MIB, dirty_rate_mib_s=p.SIM_DIRTY_RATE_MIB_S,
            wws_mib=min(p.WWS_MIB, p.SIM_MEMORY_MIB))
    return simulate_pages(vm, _link(p), _policy(p), seed=1, **mix)


@choice("5d", ("smaller", "larger"),
        feedback={
            "smaller": "Writing the same hot page twice marks one bit in the dirty bitmap: concentrated writes "
                       "re-dirty the same pages.",
            "larger": "A page written twice in a round is sent once; the bitmap has one bit per page, however often "
                      "it is written.",
        },
        hint="Writing the same page twice dirties it once.")
def ex_5d(p):
    hot, uniform = _sim(p, HOT), _sim(p, UNIFORM)
    return "smaller" if hot.rounds["dirtied_mib"].iloc[0] < uniform.rounds["dirtied_mib"].iloc[0] else "larger"


@ex_5d.solution
def _(p):
    hot, uniform = _sim(p, HOT), _sim(p, UNIFORM)
    a, b = hot.rounds["dirtied_mib"].iloc[0], uniform.rounds["dirtied_mib"].iloc[0]
    return (f"**{ex_5d.expected_value(p)}**: in the first pass the concentrated writes dirty {a:,.0f} MiB, the uniform "
            f"ones {b:,.0f} MiB. Repeated writes to the same hot page mark one bit. This is why real guests often "
            "converge better than the \"every write dirties a new page\" model predicts, and why the working set "
            "matters more than the raw write rate.")


EXERCISES = [ex_5a, ex_5f, ex_5e, ex_5b, ex_5c, ex_5d]
