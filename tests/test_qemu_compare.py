"""The model (``PrecopyPolicy.qemu()``) against every shipped real QEMU measurement.

Tolerances, fixed before looking at the errors (``vmlab.qemu.compare.TOLERANCES``):

- the convergence verdict (converged vs cancelled at the timeout) is right for **every** run;
- total time within **15 %** (runs shorter than 0.5 s: within 50 ms, see ``TOLERANCES``);
- bytes sent within **10 %** (QEMU's ``ram.transferred`` against the model's ``data_sent_mib``).

Runs the host's CPU limited (pre-copy rate below 90 % of ``max-bandwidth``: TCG emulation on two
shared cores, see ``CPU_BOUND_SHARE``) break the model's assumption that the cap sets the pace;
they are held to the verdict only, and their time and byte errors are printed (``-s``) and listed
in ``data/README.md``. Whether a run is CPU-bound is decided from its measured rate alone, never
from the model's error.

No QEMU is needed: these tests read ``data/qemu_migrations.csv``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from vmlab.qemu.compare import CPU_BOUND_SHARE, TCG_LOOPBACK, TOLERANCES, calibrate, compare, measured_precopy_rate_mib_s
from vmlab.qemu.grid import load_measurements, threshold_ratio
from vmlab.qemu.harness import REGION_BASE_MIB

DATA = load_measurements()
CMP = compare(DATA)
HELD = CMP[~CMP["cpu_bound"]]


def _table(rows: pd.DataFrame) -> str:
    cols = ["case_id", "repeat", "kind", "memory_mib", "fill_mib", "working_set_mib", "paced_rate_mib_s",
            "max_bandwidth_mib_s", "downtime_limit_ms", "measured_converged", "predicted_converged",
            "measured_total_time_s", "predicted_total_time_s", "time_err", "measured_data_sent_mib",
            "predicted_data_sent_mib", "bytes_err", "measured_precopy_rate_mib_s"]
    return rows[cols].round(3).to_string(index=False)


def test_tolerances_are_the_stated_goal():
    assert TOLERANCES["total_time_rel"] == 0.15 and TOLERANCES["bytes_rel"] == 0.10


def test_the_data_set_covers_the_measurement_grid():
    df = DATA
    assert len(df) >= 30
    assert df["memory_mib"].nunique() >= 3 and df["fill_mib"].nunique() >= 5
    assert df["max_bandwidth_mib_s"].nunique() >= 3 and df["downtime_limit_ms"].nunique() >= 3
    assert df["converged"].any() and (~df["converged"]).any()
    assert (df["paced_rate_mib_s"] > 0).any() and ((df["working_set_mib"] > 0) & (df["paced_rate_mib_s"] == 0)).any()
    hot = df[(df["working_set_mib"] > 0) & (df["paced_rate_mib_s"] == 0)]
    ratio = threshold_ratio(hot["working_set_mib"], hot["max_bandwidth_mib_s"], hot["downtime_limit_ms"])
    boundary = hot[(ratio >= 0.8) & (ratio <= 1.3)]
    assert boundary.groupby("case_id").size().max() >= 2  # noisy cases measured more than once
    # the known QEMU 7.2 TCG caveat: no working set between 0 and 4 MiB
    assert not ((df["working_set_mib"] > 0) & (df["working_set_mib"] < 4)).any()
    assert set(df["qemu_version"].astype(str)) and df["load_1min"].notna().all()


def test_every_completed_run_moved_its_memory():
    """The fill and the working set always arrived intact; at most the guest's two tiny, always-hot
    pages (its status block at 0x9000 and its stack page) came out stale: the QEMU 7.2 TCG bug that
    loses dirty pages of very small hot sets (fixed upstream in 9.0; see data/README.md)."""
    done = DATA[DATA["status"] == "completed"]
    assert done["stale_pages"].max() <= 2, done[["case_id", "stale_pages"]]
    located = done["stale_page_addrs"].dropna()
    addrs = [int(a, 16) for text in located for a in str(text).split()]
    assert addrs and all(a < REGION_BASE_MIB * 2**20 for a in addrs), addrs  # never in fill/working set
    assert (done.loc[done["working_set_mib"] == 0, "stale_pages"] == 0).all()  # idle guests: exact copies


def test_convergence_verdict_is_right_for_every_run():
    wrong = CMP[~CMP["verdict_ok"]]
    assert wrong.empty, "model and QEMU disagree on convergence:\n" + _table(wrong)


def test_total_time_within_tolerance():
    bad = HELD[~HELD["time_ok"]]
    print("\ntotal-time errors (held runs):", HELD["time_err"].abs().describe().round(3).to_dict())
    assert bad.empty, "total time off by more than 15 %:\n" + _table(bad)


def test_bytes_within_tolerance():
    bad = HELD[~HELD["bytes_ok"]]
    print("\nbyte errors (held runs):", HELD["bytes_err"].abs().describe().round(3).to_dict())
    assert bad.empty, "bytes sent off by more than 10 %:\n" + _table(bad)


def test_cpu_bound_runs_are_few_and_reported():
    """CPU-bound runs are excused from time/bytes; they must stay the exception, and are printed."""
    cpu = CMP[CMP["cpu_bound"]]
    print("\nCPU-bound runs (verdict only):\n" + (_table(cpu) if len(cpu) else "none"))
    assert len(cpu) <= 0.25 * len(CMP)
    rate = measured_precopy_rate_mib_s(DATA)
    assert (rate[CMP["cpu_bound"].to_numpy()] < CPU_BOUND_SHARE * DATA["max_bandwidth_mib_s"][CMP["cpu_bound"].to_numpy()]).all()
    # every CPU-bound configuration also has a repeat that reached the cap, or ran at >= 64 MiB/s
    assert (cpu["max_bandwidth_mib_s"] >= 64).all()


def test_non_converging_runs_are_cancelled_at_the_timeout_like_the_model():
    cancelled = CMP[~CMP["measured_converged"]]
    assert len(cancelled) >= 5
    assert (cancelled["measured_total_time_s"] - cancelled["predicted_total_time_s"]).abs().max() < 0.5


@pytest.mark.parametrize("field", ["base_nonzero_mib", "zero_scan_mib_s", "bandwidth_efficiency"])
def test_shipped_calibration_is_what_the_data_gives(field):
    """TCG_LOOPBACK's constants are fitted by calibrate() on the shipped data (within 25 %)."""
    fitted = getattr(calibrate(DATA), field)
    assert fitted == pytest.approx(getattr(TCG_LOOPBACK, field), rel=0.25)


def test_compare_predicts_every_run_as_precopy_does():
    """compare() runs all measured runs at once (precopy_many); each row is precopy()'s answer for that run."""
    from vmlab.qemu.compare import compare, predict_row
    from vmlab.qemu.grid import load_measurements

    data = load_measurements()
    table = compare(data)
    for rec, (_, row) in zip(data.to_dict("records"), table.iterrows()):
        one = predict_row(rec)
        assert row["predicted_converged"] == one["converged"] and row["predicted_stop"] == one["stop"]
        for key in ("total_time_s", "downtime_ms", "data_sent_mib"):
            a, b = row[f"predicted_{key}"], one[key]
            assert (np.isnan(a) and np.isnan(b)) or a == pytest.approx(b, rel=1e-12), (rec.get("case_id"), key)


def test_precopy_many_takes_one_policy_per_vm_and_checks_the_length():
    from vmlab import VM, Link, PrecopyPolicy, precopy, precopy_many

    vms = [VM(memory_mib=1024, dirty_rate_mib_s=d, wws_mib=128) for d in (50.0, 200.0)]
    policies = [PrecopyPolicy.qemu(downtime_limit_ms=10), PrecopyPolicy.xen_legacy()]
    links = [Link(bandwidth_mib_s=100.0), Link(bandwidth_mib_s=500.0)]
    df = precopy_many(vms, links, policies)
    for i in range(2):
        r = precopy(vms[i], links[i], policies[i])
        assert df["n_rounds"][i] == r.n_rounds and df["total_time_s"][i] == pytest.approx(r.total_time_s)
    with pytest.raises(TypeError, match=r"policy must be a PrecopyPolicy or a list of 2 \(one per VM\); got list of length 1"):
        precopy_many(vms, Link(), [PrecopyPolicy.qemu()])
