"""Papermill runs of notebook 04 (why migrate) with changed parameters, one per management stack.

Each run executes the notebook in a fresh kernel with ``VMLAB_STRICT=1`` (a false ``vl.claim``
fails the run), checks that no exercise's answer is printed above its check, and returns the
published results, on which the statements of the text are checked: the bandwidth bound, the
cap deciding whether parallel migrations help, longer blackouts in parallel, the break-even of
consolidation, and the failure race (cold saves more on a short warning, never more with its
disks copied than with shared storage).
"""

from __future__ import annotations

import itertools

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from tests.nbtools import NOTEBOOKS, answers_revealed_early, run_notebook, stripped
from vmlab.exercises.bank import exercises_of

pytestmark = [pytest.mark.notebooks, pytest.mark.slow]

NAME = "04_why_migrate.ipynb"


def test_notebook_is_stored_clean_with_one_explorer_cell():
    path = NOTEBOOKS / NAME
    assert stripped(path)
    nb = nbformat.read(str(path), as_version=4)
    explorer = [c for c in nb.cells if c.cell_type == "code" and "explorer" in c.metadata.get("tags", [])]
    assert len(explorer) == 1
    assert explorer[0].source.strip().splitlines()[-1].split("(")[0].endswith("_explorer")  # last expression: the widget
    headings = [line for c in nb.cells if c.cell_type == "markdown" for line in c.source.splitlines() if line.startswith("#")]
    for heading in ("## Overview", "## Prerequisites", "## Explore", "## Exercises", "## Summary", "## References"):
        assert any(h.startswith(heading) for h in headings), heading


def _common(res, n_vms):
    assert res["n_vms"] == n_vms
    # no plan beats bytes moved / bandwidth, and every plan moves at least all the memory
    assert res["time_to_empty_s"] >= res["bandwidth_bound_s"] >= res["memory_bound_s"]
    assert res["sequential_time_to_empty_s"] >= res["sequential_bandwidth_bound_s"] >= res["memory_bound_s"]
    # "parallel migrations make each blackout longer"
    assert res["worst_downtime_ms"] > res["sequential_worst_downtime_ms"]
    assert res["hosts_after"] < res["hosts_before"]
    assert res["source_during"] > res["source_before"] > res["source_after"]
    assert res["cold_copied_saved"] <= res["cold_saved"]


def test_04_bare_qemu_a_small_host_and_a_short_night(tmp_path):
    res = run_notebook(NAME, tmp_path, {
        "STACK": "qemu", "N_VMS": 5, "FLEET_SEED": 11, "BANDWIDTH_MIB_S": 600.0, "PARALLEL": 2,
        "IDLE_PERIOD_H": 0.25, "HOST_BOOT_S": 900.0, "TIME_TO_FAILURE_S": 300.0, "MIGRATION_CPU_OVERHEAD": 0.2,
    })
    _common(res, 5)
    assert res["stack"] == "qemu"
    # under the 128 MiB/s cap one migration leaves the link idle: two at once empty the host sooner
    assert res["time_to_empty_s"] < res["sequential_time_to_empty_s"]
    # a quarter of an hour is shorter than moving out, booting for 15 minutes and moving back
    assert res["break_even_h"] > 0.25
    assert res["consolidation_worth_it"] is False and res["net_saved_kwh"] <= 0


def test_04_libvirt_a_short_warning(tmp_path):
    res = run_notebook(NAME, tmp_path, {
        "STACK": "libvirt", "N_VMS": 6, "FLEET_SEED": 7, "PARALLEL": 3, "TIME_TO_FAILURE_S": 45.0, "DISK_GIB": 50.0,
    })
    _common(res, 6)
    assert res["stack"] == "libvirt"
    # uncapped, one migration fills the link: one at a time is at the bound, and faster than in parallel
    assert res["sequential_time_to_empty_s"] == pytest.approx(res["sequential_bandwidth_bound_s"], rel=0.02)
    assert res["sequential_time_to_empty_s"] < res["time_to_empty_s"]
    # a warning too short for the live migrations but long enough for the shutdowns: cold saves more,
    # at the price of a shutdown and a boot per VM
    assert res["cold_saved"] > res["live_saved"]
    assert res["cold_downtime_s"] >= 60.0 * res["cold_saved"]
    assert res["consolidation_worth_it"] is True and res["break_even_h"] < 8.0


# ---- the exercise bank across the declared ranges ----------------------------------------------
# ---- the exercise bank across the declared ranges ----------------------------------------------
DEFAULTS = dict(N_VMS=8, FLEET_SEED=4, BANDWIDTH_MIB_S=1192.0, STACK="libvirt", PARALLEL=4, DISK_GIB=20.0,
                OVERLOAD_ABOVE=0.8, MIGRATION_CPU_OVERHEAD=0.1, N_HOSTS=8, IDLE_PERIOD_H=8.0, HOST_IDLE_W=125.0,
                HOST_DYNAMIC_W=125.0, HOST_BOOT_S=300.0, TIME_TO_FAILURE_S=90.0)


CORNERS = [
    {**DEFAULTS, "STACK": stack, "BANDWIDTH_MIB_S": bw, "PARALLEL": k, "N_VMS": n, "OVERLOAD_ABOVE": thr}
    for stack, bw, k, n, thr in itertools.product(("libvirt", "qemu"), (600.0, 2400.0), (2, 8), (4, 12), (0.6, 0.9))
][::3]


@pytest.mark.parametrize("params", CORNERS, ids=lambda p: f"{p['STACK']}-{p['BANDWIDTH_MIB_S']:g}-{p['PARALLEL']}-{p['N_VMS']}")
def test_every_04_exercise_answers_itself_at_the_corners_of_its_ranges(params):
    for ex in exercises_of("04_why_migrate"):
        expected = ex.expected_value(params)
        assert ex.mark(expected, params).correct, ex.id
        assert ex.solution_markdown(params), ex.id


def test_half_an_hour_of_consolidation_pays_under_libvirt_not_under_bare_qemu():
    """Exercise 4b's point: the migration plan decides which quiet periods are worth it."""
    ex = {e.id: e for e in exercises_of("04_why_migrate")}["4b"]
    assert ex.expected_value({**DEFAULTS, "STACK": "libvirt"}) is True
    assert ex.expected_value({**DEFAULTS, "STACK": "qemu"}) is False


def test_a_count_is_not_revealed_by_a_decimal_that_looks_like_it():
    """4d's answer is a count of VMs: "8.0 cores" above it is not a reveal, "12 VMs" is."""
    params = new_code_cell("\n".join(f"{k} = {v!r}" for k, v in DEFAULTS.items()), metadata={"tags": ["parameters"]})
    early = new_code_cell("print(cores)")
    early.outputs = [new_output("stream", name="stdout", text="db: 8.0 cores\n")]
    check = new_code_cell("vl.check('4d', answer_4d)")
    nb = new_notebook(cells=[params, early, check])
    assert answers_revealed_early(nb, "04_why_migrate") == []
    many = {**DEFAULTS, "N_VMS": 12, "PARALLEL": 8, "TIME_TO_FAILURE_S": 600.0}
    nb.cells[0] = new_code_cell("\n".join(f"{k} = {v!r}" for k, v in many.items()), metadata={"tags": ["parameters"]})
    early.outputs = [new_output("stream", name="stdout", text="cold: 12 VMs saved\n")]
    assert answers_revealed_early(nb, "04_why_migrate") == [
        "exercise 4d: its answer 12 is printed by cell 1, above its check (cell 2)"
    ]
    assert nbformat.validate(nb) is None
