"""Notebook 00 run with changed parameters: the environment check and the cap gotcha."""

from __future__ import annotations

import pytest

from tests.nbtools import run_notebook


pytestmark = [pytest.mark.notebooks, pytest.mark.slow]


def test_00_environment_and_the_cap_gotcha(tmp_path):
    # 150 MiB/s of dirtying on a 10 Gbit/s link: QEMU's 128 MiB/s max-bandwidth keeps the
    # rounds slower than the guest writes, so the migration is cancelled (no downtime).
    res = run_notebook("00_start_here.ipynb", tmp_path, {"BANDWIDTH_GBIT_S": 10.0, "DIRTY_RATE_MIB_S": 150.0})
    assert res["environment_ok"] is True and res["figurewidget_ok"] is True
    assert res["python"].startswith("3.")
    assert res["converged"] is False and res["downtime_ms"] is None
