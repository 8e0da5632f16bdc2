"""Notebook 02 run with changed parameters: the numbers its text states move the way it says."""

from __future__ import annotations

import pytest

from tests.nbtools import run_notebook


pytestmark = [pytest.mark.notebooks, pytest.mark.slow]


def test_02_bigger_disk_faster_link_longer_boot(tmp_path):
    res = run_notebook("02_cold_migration.ipynb", tmp_path,
                       {"DISK_GIB": 200.0, "BANDWIDTH_MIB_S": 1192.1, "BOOT_S": 120.0, "SHUTDOWN_S": 30.0})
    assert res["downtime_s"] == pytest.approx(res["total_time_s"], rel=1e-12)
    assert res["data_sent_mib"] == pytest.approx(200 * 1024 + 0.5)
    assert res["disk_move_s"] == pytest.approx(1.0 + 200 * 1024 / 1192.1, rel=1e-3)
    # shared storage: shutdown + metadata + registration + boot, no disk
    assert res["shared_downtime_s"] == pytest.approx(30 + 1 + 2 + 120, abs=0.1)
    assert res["shared_downtime_s"] < res["downtime_s"]
    assert res["suspended_shared_downtime_s"] < res["shared_downtime_s"]  # no shutdown, no boot
    assert res["boot_share_shared"] == pytest.approx(120 / res["shared_downtime_s"])
