"""Notebook 06 (without its live run) publishes the comparison the model-vs-QEMU tests check."""

from __future__ import annotations

import pytest

from tests.nbtools import run_notebook
from vmlab.qemu.compare import TOLERANCES, compare
from vmlab.qemu.grid import load_measurements


DATA = load_measurements()
CMP = compare(DATA)
HELD = CMP[~CMP["cpu_bound"]]


@pytest.mark.notebooks
@pytest.mark.timeout(300)
def test_notebook_06_publishes_the_same_comparison(tmp_path):
    """Notebook 06 (without its live run) reports the numbers these tests check, and the facts its text explains."""
    from tests.nbtools import run_notebook

    res = run_notebook("06_model_vs_reality.ipynb", tmp_path, {"RUN_LIVE": False})
    assert res["n_runs"] == len(CMP)
    assert res["verdicts_right"] == int(CMP["verdict_ok"].sum()) == len(CMP)
    assert res["n_cpu_bound"] == int(CMP["cpu_bound"].sum())
    assert res["n_within_goals"] == len(HELD)  # "every run the host could push at the cap meets both goals"
    assert res["max_time_err"] <= TOLERANCES["total_time_rel"]
    assert res["max_bytes_err"] <= TOLERANCES["bytes_rel"]
    assert res["median_bytes_err"] == pytest.approx(HELD["bytes_err"].abs().median())
    assert res["median_time_err"] == pytest.approx(HELD["time_err"].abs().median())
    # "most land close again" once the model knows the rate the host reached
    assert res["what_if_within_goal"] > res["n_cpu_bound"] / 2
    # the stale pages of the QEMU 7.2 TCG bug, counted from the data
    assert res["stale_runs"] == int(((DATA["status"] == "completed") & (DATA["stale_pages"] > 0)).sum()) > 0
