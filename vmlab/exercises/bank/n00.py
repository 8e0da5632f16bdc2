"""Exercises of notebook 00 · Start here.

Parameters read (``p.NAME``): MEMORY_MIB, BANDWIDTH_GBIT_S.
"""

from __future__ import annotations

from vmlab.exercises.kinds import Match, number
from vmlab.migration import VM, Link, PrecopyPolicy, precopy
from vmlab.units import gbit_s_to_mib_s

NOTEBOOK = "00_start_here"


@number("0a", unit="MiB/s", rtol=0.01, hint="Giga is 10**9 bits, a MiB is 2**20 bytes, and a byte has 8 bits.")
def ex_0a(p):
    return gbit_s_to_mib_s(10)


@ex_0a.solution
def _(p):
    return (
        f"$10 \\times 10^9 / 8 / 2^{{20}} =$ **{gbit_s_to_mib_s(10):.1f} MiB/s**. Answering 1250 is the classic "
        "mistake (decimal megabytes), and 1280 (1024 × 1.25) mixes the two."
    )


def _idle(p):
    link = Link(bandwidth_mib_s=gbit_s_to_mib_s(p.BANDWIDTH_GBIT_S))
    return precopy(VM(memory_mib=p.MEMORY_MIB), link, PrecopyPolicy.qemu()), link


@number("0b", unit="s", rtol=0.05,
        hint="One pass over memory at the rate of the pre-copy rounds: the lower of the link and QEMU's 128 MiB/s.")
def ex_0b(p):
    return _idle(p)[0].total_time_s


@ex_0b.solution
def _(p):
    r, link = _idle(p)
    rate = min(link.bandwidth_mib_s, 128.0)
    return (
        f"Nothing is dirtied, so one pass suffices: memory ÷ rate, where the rate is the lower of the link "
        f"({link.bandwidth_mib_s:.1f} MiB/s) and bare QEMU's default cap of 128 MiB/s: "
        f"{p.MEMORY_MIB:,.0f} / {rate:.1f} ≈ **{r.total_time_s:.1f} s** (plus a few milliseconds of set-up and "
        "pause). Behind libvirt or OpenStack the cap is lifted unless an operator sets one, and the link sets "
        "the pace; notebook 01 shows both."
    )


ex_0c = Match(
    "0c",
    {
        "the parameters cell": "change a number, then run all cells",
        "a ✔ line": "confirms what the text just stated",
        "an explorer": "drag a slider and watch the figure",
        "vl.check": "marks your prediction",
    },
    options=(
        "change a number, then run all cells",
        "confirms what the text just stated",
        "drag a slider and watch the figure",
        "marks your prediction",
    ),
    feedback={
        "the parameters cell": "The parameters cell holds the numbers everything below is computed from.",
        "a ✔ line": "A ✔ line is the model confirming a statement of the text, for these parameters.",
        "an explorer": "An explorer is a live figure with sliders: the model re-runs as you drag.",
        "vl.check": "vl.check compares your answer with the model and gives a hint when it is off.",
    },
    hint="Read section 2 again: each part of a notebook has one job.",
)

EXERCISES = [ex_0a, ex_0b, ex_0c]
