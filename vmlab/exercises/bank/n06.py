"""Exercises of notebook 06 · Model vs reality (real QEMU migrations).

Parameters read (``p.NAME``): DATA_PATH (the measured runs; when it does not resolve from the
current folder, e.g. when marking outside ``notebooks/``, the shipped ``data/qemu_migrations.csv``).
Exercises 6b and 6c ask what QEMU did in a measured run, found by its configuration; 6a asks for
the model's verdict on a configuration the data set also holds.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import pandas as pd

from vmlab.exercises.kinds import Choice, number
from vmlab.qemu.compare import TCG_LOOPBACK, predict_row
from vmlab.qemu.grid import load_measurements, threshold_ratio

NOTEBOOK = "06_model_vs_reality"

HOT_24 = dict(memory_mib=256, fill_mib=128, working_set_mib=24, paced_rate_mib_s=0.0,
              max_bandwidth_mib_s=64.0, downtime_limit_ms=300.0, timeout_s=12.0)
"""Exercise 6a: a 24 MiB working set rewritten as fast as the guest can, 64 MiB/s, 300 ms."""
EMPTY_GIB = dict(memory_mib=1024, fill_mib=0, working_set_mib=0)
"""Exercise 6b: an idle 1 GiB guest of zero pages."""
FULL_IDLE = dict(memory_mib=256, fill_mib=240, working_set_mib=0, max_bandwidth_mib_s=128.0, downtime_limit_ms=300.0)
"""Exercise 6c: an idle 256 MiB guest with 240 MiB filled, 128 MiB/s, 300 ms."""


@lru_cache(maxsize=4)
def _load(path: str) -> pd.DataFrame:
    return load_measurements(path) if path else load_measurements()


def _measured(p) -> pd.DataFrame:
    path = p.get("DATA_PATH")
    return _load(str(path) if path and Path(path).exists() else "")


def _runs_in(df: pd.DataFrame, config: dict) -> pd.DataFrame:
    """The runs of ``df`` with this configuration, completed ones first."""
    mask = pd.Series(True, index=df.index)
    for key, value in config.items():
        mask &= df[key] == value
    return df[mask].sort_values("status", key=lambda s: s != "completed", kind="stable")


def _runs(p, config: dict) -> pd.DataFrame:
    """The measured runs with this configuration: from ``DATA_PATH``, else from the shipped data."""
    runs = _runs_in(_measured(p), config)
    return runs if len(runs) else _runs_in(_load(""), config)


# ---- 6a: will it converge? ---------------------------------------------------------------------
ex_6a = Choice(
    "6a", (True, False),
    answer=lambda p: bool(predict_row(HOT_24)["converged"]),
    feedback={
        True: "The threshold is 64 MiB/s × 0.3 s = 19.2 MiB, and the working set is 24 MiB. A guest that "
              "rewrites it as fast as it can has all of it dirty again after every pass: it never fits.",
        False: "Right: 24 MiB is 1.25 times QEMU's threshold, 64 MiB/s × 0.3 s = 19.2 MiB, and an unpaced "
               "guest dirties all of it again during every pass.",
    },
    hint="Compare the working set with max-bandwidth × downtime-limit, in MiB.",
)


@ex_6a.solution
def _(p):
    model = predict_row(HOT_24)
    threshold = HOT_24["max_bandwidth_mib_s"] * HOT_24["downtime_limit_ms"] / 1000
    ratio = threshold_ratio(HOT_24["working_set_mib"], HOT_24["max_bandwidth_mib_s"], HOT_24["downtime_limit_ms"])
    runs = _runs_in(_measured(p), {k: HOT_24[k] for k in ("memory_mib", "fill_mib", "working_set_mib",
                                                         "max_bandwidth_mib_s", "downtime_limit_ms")})
    seen = ""
    if len(runs):
        outcomes = ", ".join("converged" if c else f"cancelled after {t:.1f} s" for c, t in zip(runs["converged"], runs["total_time_s"]))
        seen = f" QEMU did the same in the {len(runs)} measured run(s) of this case: {outcomes}."
    return (
        f"**{model['converged']}**. The threshold is {HOT_24['max_bandwidth_mib_s']:g} × "
        f"{HOT_24['downtime_limit_ms'] / 1000:g} = {threshold:.1f} MiB; the working set, "
        f"{HOT_24['working_set_mib']} MiB, is {ratio:.2f} times that, and an unpaced guest has it all dirty again "
        f"after every pass. The model resends it for {model['n_rounds']} rounds until the "
        f"{HOT_24['timeout_s']:g} s timeout ({model['stop']}).{seen}"
    )


# ---- 6b: an empty gigabyte ---------------------------------------------------------------------
@number("6b", unit="MiB", rtol=0.15,
        hint="QEMU sends a zero page as a header of about 9 bytes. How many 4 KiB pages are in 1 GiB?")
def ex_6b(p):
    return float(_runs(p, EMPTY_GIB)["transferred_mib"].iloc[0])


@ex_6b.solution
def _(p):
    run = _runs(p, EMPTY_GIB).iloc[0]
    pages = 1024 * 256
    headers = pages * 9 / 2**20
    return (
        f"About **{run['transferred_mib']:.1f} MiB** (measured). {pages:,} pages × 9 bytes ≈ {headers:.2f} MiB of "
        f"zero-page headers, plus about {TCG_LOOPBACK.base_nonzero_mib:.2f} MiB of kernel and firmware sent in full. "
        f"It took {run['total_time_s']:.2f} s: the time QEMU needs to *scan* 1 GiB for zeros, not to send it."
    )


# ---- 6c: a pause for an idle guest -------------------------------------------------------------
@number("6c", unit="MiB", rtol=0.2,
        hint="QEMU compares everything not yet sent (scanned or not, 4 KiB a page) with 128 MiB/s × 0.3 s "
             "during the first pass. How much of the filled region is left when that test first passes?")
def ex_6c(p):
    return float(_runs(p, FULL_IDLE)["downtime_mib"].iloc[0])


@ex_6c.solution
def _(p):
    run = _runs(p, FULL_IDLE).iloc[0]
    threshold = FULL_IDLE["max_bandwidth_mib_s"] * FULL_IDLE["downtime_limit_ms"] / 1000
    zeros = FULL_IDLE["memory_mib"] - FULL_IDLE["fill_mib"]
    model = predict_row({**FULL_IDLE, "paced_rate_mib_s": 0.0, "timeout_s": float(run["timeout_s"])})
    return (
        f"About **{run['downtime_mib']:.0f} MiB** (measured: {run['downtime_mib']:.1f} MiB, with the guest paused for "
        f"{run['downtime_ms']:.0f} ms). QEMU's threshold was {FULL_IDLE['max_bandwidth_mib_s']:g} × "
        f"{FULL_IDLE['downtime_limit_ms'] / 1000:g} = {threshold:.1f} MiB, at most (it uses the bandwidth measured in "
        f"the last 100 ms, a little below the cap). It counts what it has not sent yet, the {zeros} MiB of zero "
        f"pages at the top of RAM included, as 4 KiB a page; so it paused the guest with about "
        f"{threshold:.1f} − {zeros} ≈ {threshold - zeros:.0f} MiB of the filled region still unsent and copied it at "
        f"loopback speed. The model checks only at the end of a pass: it predicts a {model['downtime_ms']:.0f} ms pause."
    )


EXERCISES = [ex_6a, ex_6b, ex_6c]
