"""Papermill runs of notebook 05 (beyond pre-copy) with changed parameters.

Each run executes the notebook in a fresh kernel with ``VMLAB_STRICT=1``, so every ``vl.claim``
in it must hold there too, and the published results must move the way the text says. nbval
runs it with its defaults (``--nbval-lax``, configured in pyproject).
"""

from __future__ import annotations

import nbformat
import pytest

from tests.nbtools import NOTEBOOKS, run_notebook, stripped

pytestmark = [pytest.mark.notebooks, pytest.mark.slow]


@pytest.mark.parametrize("name", ["05_beyond_precopy.ipynb"])
def test_notebook_is_stored_clean_with_one_explorer_cell(name):
    path = NOTEBOOKS / name
    assert stripped(path)
    nb = nbformat.read(str(path), as_version=4)
    explorer = [c for c in nb.cells if c.cell_type == "code" and "explorer" in c.metadata.get("tags", [])]
    assert len(explorer) == 1
    assert explorer[0].source.strip().splitlines()[-1].split("(")[0].endswith("_explorer")  # last expression: the widget
    headings = [line for c in nb.cells if c.cell_type == "markdown" for line in c.source.splitlines() if line.startswith("#")]
    for heading in ("## Overview", "## Prerequisites", "## Explore", "## Summary", "## References"):
        assert any(h.startswith(heading) for h in headings), heading


def test_05_with_a_guest_precopy_can_move(tmp_path):
    res = run_notebook("05_beyond_precopy.ipynb", tmp_path, {
        "DIRTY_RATE_MIB_S": 40.0, "WWS_MIB": 1024.0, "TOUCH_RATE_MIB_S": 1000.0, "XBZRLE_CACHE_MIB": 1024.0,
        "SIM_MEMORY_MIB": 1024.0, "SIM_DIRTY_RATE_MIB_S": 30.0, "N_SEEDS": 4,
    })
    assert res["precopy_converged"] is True
    assert res["postcopy_data_sent_mib"] == pytest.approx(8192.5)  # memory once + 0.5 MiB of state
    assert res["best_downtime_method"] == "post-copy"
    # the hybrid's first pass leaves the 1 GiB working set dirty (40 MiB/s for 69 s): it switches
    # with only that missing, pushed in 1024 / 119.2 s instead of all of memory
    assert res["hybrid_switched"] is True
    assert res["hybrid_missing_mib"] == pytest.approx(1024.0)
    assert res["hybrid_degradation_s"] == pytest.approx(1024.0 / 119.2)
    assert res["hybrid_degradation_s"] < res["postcopy_degradation_s"] == pytest.approx(8192.5 / 119.2, rel=1e-3)
    assert res["autoconverge_converged"] is True
    assert 0 <= res["autoconverge_slowdown_pct"] < 100
    assert res["sim_knife_edge"] or res["sim_error_total_time"] < 0.02


def test_05_hybrid_after_two_passes_on_a_fast_link(tmp_path):
    # 10 Gbit/s and a guest dirtying 400 MiB/s into 4 GiB: pre-copy alone never fits the threshold
    # (the working set stays dirty), the hybrid switches after two passes with at most the working
    # set missing, and sends more than pure post-copy (its passes, then the missing pages).
    res = run_notebook("05_beyond_precopy.ipynb", tmp_path, {
        "DIRTY_RATE_MIB_S": 400.0, "WWS_MIB": 4096.0, "BANDWIDTH_MIB_S": 1192.0, "HYBRID_ROUNDS": 2,
        "SIM_MEMORY_MIB": 1024.0, "N_SEEDS": 2,
    })
    assert res["precopy_converged"] is False
    assert res["postcopy_data_sent_mib"] == pytest.approx(8192.5)
    assert res["hybrid_switched"] is True
    assert 0 < res["hybrid_missing_mib"] <= 4096.0
    assert res["hybrid_degradation_s"] == pytest.approx(res["hybrid_missing_mib"] / 1192.0)
    assert res["hybrid_data_sent_mib"] > res["postcopy_data_sent_mib"]
    assert res["best_downtime_method"] == "post-copy"
