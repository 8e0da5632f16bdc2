"""Tables of notebook 06 (vmlab.qemu.tables): what they count, checked against the data directly."""

from __future__ import annotations

import pytest

import vmlab as vl
from vmlab.qemu.compare import TOLERANCES

DATA = vl.load_measurements()
CMP = vl.compare_with_measurements(DATA)


def test_overview_counts_every_run_once():
    t = vl.measurement_overview(DATA)
    assert t["runs"].sum() == len(DATA) and t["converged"].sum() == DATA["converged"].sum()
    assert set(t.index) == set(DATA["kind"])


def test_verdict_table_puts_agreement_on_the_diagonal():
    t = vl.verdict_table(CMP)
    assert t.loc["QEMU: converged", "model: converges"] == (CMP["measured_converged"] & CMP["predicted_converged"]).sum()
    assert t.loc["QEMU: cancelled", "model: does not"] == (~CMP["measured_converged"] & ~CMP["predicted_converged"]).sum()
    assert t.to_numpy().sum() == len(CMP)


def test_unpaced_working_sets_are_hot_and_unpaced():
    hot = vl.unpaced_working_sets(CMP)
    assert len(hot) and (hot["working_set_mib"] > 0).all() and (hot["paced_rate_mib_s"] == 0).all()


def test_largest_time_errors_come_first_in_percent():
    t = vl.largest_time_errors(CMP, n=5)
    assert len(t) == 5
    errors = t["time error (%)"].abs().tolist()
    assert errors == sorted(errors, reverse=True)
    assert errors[0] == pytest.approx(100 * CMP["time_err"].abs().max(), abs=0.01)


def test_error_summary_splits_held_and_cpu_bound_runs():
    t = vl.model_error_summary(CMP, decimals=None)
    held, cpu = t.loc["held to the goals"], t.loc["CPU-bound (verdict only)"]
    assert held["runs"] + cpu["runs"] == len(CMP) and cpu["runs"] == CMP["cpu_bound"].sum()
    assert held["within both goals"] == held["runs"]  # the goal of the comparison, on the shipped data
    assert held["max |time error| (%)"] <= 100 * TOLERANCES["total_time_rel"]
    assert held["median |bytes error| (%)"] == pytest.approx(100 * CMP.loc[~CMP["cpu_bound"], "bytes_err"].abs().median())


def test_what_if_gives_the_model_the_rate_the_host_reached():
    t = vl.what_if_rate_reached(DATA, CMP)
    assert len(t) == CMP["cpu_bound"].sum()
    before = t["time error (%), cap as set"].abs()
    after = t["time error (%), cap = rate reached"].abs()
    assert (after < before).sum() > len(t) / 2   # most runs come close once the rate is right


def test_measurement_facts_are_computed_from_the_runs():
    facts = vl.measurement_facts(DATA)
    done = DATA[DATA["status"] == "completed"]
    assert facts["runs"] == len(DATA) and facts["completed runs"] == len(done)
    assert facts["completed runs with stale pages"] == int((done["stale_pages"] > 0).sum())
    assert facts["hot: converged up to (x threshold)"] < 1 < facts["hot: cancelled from (x threshold)"]
    assert 0 < facts["paced guest: least share of its rate"] <= facts["paced guest: most share of its rate"] <= 1
    assert facts["pause speed, slowest (MiB/s)"] < facts["pause speed, fastest (MiB/s)"]
