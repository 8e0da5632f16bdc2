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
    """The ``n`` runs whose predicted total time is furthest from the measured one (relative)."""
    cols = ["case_id", "repeat", "kind", "memory_mib", "fill_mib", "working_set_mib", "max_bandwidth_mib_s",
            "measured_precopy_rate_mib_s", "cpu_bound", "measured_total_time_s", "predicted_total_time_s",
            "time_err", "bytes_err"]
    order = cmp["time_err"].abs().sort_values(ascending=False).index
    return cmp.loc[order, cols].head(n).round(3).reset_index(drop=True)


def model_error_summary(cmp: pd.DataFrame) -> pd.DataFrame:
    """Errors of the runs held to the goals (the host reached the cap) and of the CPU-bound ones.

    Columns: runs, runs within both goals (time and bytes, :data:`~vmlab.MODEL_TOLERANCES`),
    median and max |time error| (the max over runs of 0.5 s or more, as the goal says), median
    and max |bytes error|. Errors are relative (0.05 = 5 %).

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
            "median |time error|": part["time_err"].abs().median(),
            "max |time error|": timed["time_err"].abs().max(),
            "median |bytes error|": part["bytes_err"].abs().median(),
            "max |bytes error|": part["bytes_err"].abs().max(),
        }
    return pd.DataFrame.from_dict(rows, orient="index").round(3)


def what_if_rate_reached(measured: pd.DataFrame, cmp: pd.DataFrame,
                         calibration: Calibration = TCG_LOOPBACK) -> pd.DataFrame:
    """The CPU-bound runs predicted again with the pre-copy rate the host really reached as the cap.

    The cap is set so that the model's achieved rate (``cap × bandwidth_efficiency``) equals the
    measured average pre-copy rate. Columns: run, rate reached (MiB/s), the time error with the
    cap as set and with the cap = the rate reached, and whether the verdict is still right.
    """
    bound = cmp["cpu_bound"].to_numpy()
    cpu = cmp[bound]
    reached = measured[bound].assign(
        max_bandwidth_mib_s=cpu["measured_precopy_rate_mib_s"].to_numpy() / calibration.bandwidth_efficiency)
    again = compare(reached, calibration)
    return pd.DataFrame({
        "run": [f"{c} (repeat {r})" for c, r in zip(cpu["case_id"], cpu["repeat"])],
        "rate reached (MiB/s)": cpu["measured_precopy_rate_mib_s"].to_numpy(),
        "time error, cap as set": cpu["time_err"].to_numpy(),
        "time error, cap = rate reached": again["time_err"].to_numpy(),
        "verdict right": again["verdict_ok"].to_numpy(),
    }).round(3)
