"""Papermill runs of notebook 04 (why migrate) with changed parameters, one per management stack.

Each run executes the notebook in a fresh kernel with ``VMLAB_STRICT=1`` (a false ``vl.claim``
fails the run), checks that no exercise's answer is printed above its check, and returns the
published results, on which the statements of the text are checked: the bandwidth bound, the
cap deciding whether parallel migrations help, longer blackouts in parallel, the break-even of
consolidation, and the failure race (cold saves more on a short warning, never more with its
disks copied than with shared storage).
"""

from __future__ import annotations

import nbformat
import pytest

from tests.nbtools import NOTEBOOKS, run_notebook, stripped

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
