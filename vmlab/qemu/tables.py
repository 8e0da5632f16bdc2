"""Tables notebook 06 (model vs reality) shows, built here so each cell stays one readable call.

Every function takes the measured runs (:func:`~vmlab.load_measurements`) and/or their
comparison with the model (:func:`~vmlab.compare_with_measurements`).

>>> from vmlab.qemu.grid import load_measurements
>>> from vmlab.qemu.compare import compare
>>> measured = load_measurements()
>>> cmp = compare(measured)
>>> int(verdict_table(cmp).to_numpy().trace()) == len(cmp)     # every verdict on the diagonal
True
"""

from __future__ import annotations

import pandas as pd

from vmlab.qemu.compare import TCG_LOOPBACK, TOLERANCES, Calibration, compare

__all__ = [
    "measurement_overview",
    "verdict_table",
    "unpaced_working_sets",
    "largest_time_errors",
    "model_error_summary",
    "what_if_rate_reached",
    "measurement_facts",
]

HELD = "held to the goals"
CPU_BOUND = "CPU-bound (verdict only)"


def measurement_overview(measured: pd.DataFrame) -> pd.DataFrame:
    """One row per kind of run (idle, hot, boundary, paced): how many, how many converged, medians.

    >>> from vmlab.qemu.grid import load_measurements
    >>> t = measurement_overview(load_measurements())
    >>> t.columns.tolist()
    ['runs', 'converged', 'median total time (s)', 'median MiB sent']
    """
    table = measured.groupby("kind").agg(
        runs=("kind", "size"),
        converged=("converged", "sum"),
        median_time=("total_time_s", "median"),
        median_mib=("transferred_mib", "median"),
    )
    table.columns = ["runs", "converged", "median total time (s)", "median MiB sent"]
    return table.round(2)


def verdict_table(cmp: pd.DataFrame) -> pd.DataFrame:
    """Runs counted by QEMU's outcome (rows) and the model's verdict (columns); agreement on the diagonal."""
    rows, cols = ["QEMU: converged", "QEMU: cancelled"], ["model: converges", "model: does not"]
    table = pd.crosstab(
        cmp["measured_converged"].map({True: rows[0], False: rows[1]}),
        cmp["predicted_converged"].map({True: cols[0], False: cols[1]}),
    )
    return table.reindex(index=rows, columns=cols, fill_value=0).rename_axis(index=None, columns=None)


def unpaced_working_sets(cmp: pd.DataFrame) -> pd.DataFrame:
    """The runs whose guest rewrote a working set as fast as it could (for the convergence figure)."""
    return cmp[(cmp["working_set_mib"] > 0) & (cmp["paced_rate_mib_s"] == 0)]


def largest_time_errors(cmp: pd.DataFrame, n: int = 10) -> pd.DataFrame:
    """The ``n`` runs whose predicted total time is furthest from the measured one (errors in %)."""
    cols = ["case_id", "repeat", "kind", "memory_mib", "fill_mib", "working_set_mib", "max_bandwidth_mib_s",
            "measured_precopy_rate_mib_s", "cpu_bound", "measured_total_time_s", "predicted_total_time_s"]
    order = cmp["time_err"].abs().sort_values(ascending=False).index[:n]
    table = cmp.loc[order, cols].assign(**{"time error (%)": 100 * cmp.loc[order, "time_err"],
                                          "bytes error (%)": 100 * cmp.loc[order, "bytes_err"]})
    return table.round(2).reset_index(drop=True)


def model_error_summary(cmp: pd.DataFrame, decimals: int | None = 1) -> pd.DataFrame:
    """Errors of the runs held to the goals (the host reached the cap) and of the CPU-bound ones.

    Columns: runs, runs within both goals (time and bytes, :data:`~vmlab.MODEL_TOLERANCES`),
    median and max |time error| (the max over runs of 0.5 s or more, as the goal says), median
    and max |bytes error|, in % of the measured value, rounded to ``decimals`` (``None``: not rounded).

    >>> from vmlab.qemu.grid import load_measurements
    >>> from vmlab.qemu.compare import compare
    >>> t = model_error_summary(compare(load_measurements()))
    >>> t.index.tolist()
    ['held to the goals', 'CPU-bound (verdict only)']
    """
    rows = {}
    for label, part in ((HELD, cmp[~cmp["cpu_bound"]]), (CPU_BOUND, cmp[cmp["cpu_bound"]])):
        timed = part[part["measured_total_time_s"] >= TOLERANCES["short_run_s"]]
        rows[label] = {
            "runs": len(part),
            "within both goals": int((part["time_ok"] & part["bytes_ok"]).sum()),
            "median |time error| (%)": 100 * part["time_err"].abs().median(),
            "max |time error| (%)": 100 * timed["time_err"].abs().max(),
            "median |bytes error| (%)": 100 * part["bytes_err"].abs().median(),
            "max |bytes error| (%)": 100 * part["bytes_err"].abs().max(),
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    return table if decimals is None else table.round(decimals)


def what_if_rate_reached(measured: pd.DataFrame, cmp: pd.DataFrame,
                         calibration: Calibration = TCG_LOOPBACK) -> pd.DataFrame:
    """The CPU-bound runs predicted again with the pre-copy rate the host really reached as the cap.

    The cap is set so that the model's achieved rate (``cap × bandwidth_efficiency``) equals the
    measured average pre-copy rate. Columns: run, rate reached (MiB/s), the time error (%) with
    the cap as set and with the cap = the rate reached, and whether the verdict is still right.
    """
    bound = cmp["cpu_bound"].to_numpy()
    cpu = cmp[bound]
    reached = measured[bound].assign(
        max_bandwidth_mib_s=cpu["measured_precopy_rate_mib_s"].to_numpy() / calibration.bandwidth_efficiency)
    again = compare(reached, calibration)
    return pd.DataFrame({
        "run": [f"{c} (repeat {r})" for c, r in zip(cpu["case_id"], cpu["repeat"])],
        "rate reached (MiB/s)": cpu["measured_precopy_rate_mib_s"].to_numpy(),
        "time error (%), cap as set": 100 * cpu["time_err"].to_numpy(),
        "time error (%), cap = rate reached": 100 * again["time_err"].to_numpy(),
        "verdict right": again["verdict_ok"].to_numpy(),
    }).round(1)


def measurement_facts(measured: pd.DataFrame) -> pd.Series:
    """The measured facts notebook 06 explains, computed from the runs (never typed in).

    - where unpaced hot working sets stopped converging (as a multiple of the threshold
      ``max-bandwidth × downtime-limit``);
    - how fast the unthrottled pause copied (runs that copied at least 4 MiB in it);
    - what share of its set rate a paced guest reached while it was migrated;
    - how many completed runs left stale pages on the destination (the QEMU 7.2 TCG bug).

    >>> from vmlab.qemu.grid import load_measurements
    >>> facts = measurement_facts(load_measurements())
    >>> bool(facts["hot: converged up to (x threshold)"] < 1 < facts["hot: cancelled from (x threshold)"])
    True
    """
    hot = measured[(measured["working_set_mib"] > 0) & (measured["paced_rate_mib_s"] == 0)]
    done = measured[measured["status"] == "completed"]
    copied = done[done["downtime_mib"] >= 4]
    pause = copied["downtime_mib"] / (copied["downtime_ms"] / 1000.0)
    paced = measured[measured["paced_rate_mib_s"] > 0]
    reached = paced["guest_write_rate_mib_s"] / paced["paced_rate_mib_s"]
    facts = {
        "runs": len(measured),
        "completed runs": len(done),
        "hot: converged up to (x threshold)": hot.loc[hot["converged"], "threshold_ratio"].max(),
        "hot: cancelled from (x threshold)": hot.loc[~hot["converged"], "threshold_ratio"].min(),
        "pause speed, slowest (MiB/s)": pause.min(),
        "pause speed, fastest (MiB/s)": pause.max(),
        "paced guest: least share of its rate": reached.min(),
        "paced guest: most share of its rate": reached.max(),
        "completed runs with stale pages": int((done["stale_pages"] > 0).sum()),
        "stale pages per run, at most": int(done["stale_pages"].max()),
    }
    return pd.Series({k: round(float(v), 2) if isinstance(v, float) else v for k, v in facts.items()}, dtype=object)
