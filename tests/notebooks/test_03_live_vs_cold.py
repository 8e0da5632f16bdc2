"""Papermill runs of notebook 03 (live versus cold) with changed parameters.

Each run executes the notebook in a fresh kernel with ``VMLAB_STRICT=1`` (every ``vl.claim`` in it
must hold there too) and checks that the published results move the way the text says: bare
QEMU's cap stops a fast guest that libvirt would move, shared storage leaves cold only its
configuration to send, and without shared storage live migration mirrors the disk first.
"""

from __future__ import annotations

import pytest

from tests.nbtools import run_notebook

pytestmark = [pytest.mark.notebooks, pytest.mark.slow]

COLD_SHARED_S = 20 + (1 + 0.5 / 119.2) + 2 + 40  # shutdown, metadata (task + 0.5 MiB), registration, boot


def test_03_bare_qemu_cap_stops_a_fast_guest(tmp_path):
    # 200 MiB/s of dirtying into a 2 GiB working set over 10 Gbit/s: bare QEMU sends at most
    # 128 MiB/s, so pre-copy never converges and the VM does not move; without the cap (libvirt)
    # far more of the map is live's. (With a 300 s timeout the border of exercise 3c lies below the
    # cap, so the table's 128 MiB/s does not spell its answer.)
    res = run_notebook("03_live_vs_cold.ipynb", tmp_path,
                       {"DIRTY_RATE_MIB_S": 200.0, "WWS_MIB": 2048.0, "BANDWIDTH_MIB_S": 1192.1, "STACK": "qemu",
                        "SHARED_STORAGE": True, "TIMEOUT_S": 300.0})
    assert res["live_converged"] is False and res["live_completed"] is False
    assert res["live_downtime_ms"] is None
    assert res["downtime_winner"] == "cold" and res["data_winner"] == "cold"
    assert res["live_share_of_map"] == res["live_share_qemu"]
    assert 0 < res["live_share_qemu"] < res["live_share_libvirt"] < 1


def test_03_shared_storage_cold_sends_only_metadata(tmp_path):
    res = run_notebook("03_live_vs_cold.ipynb", tmp_path, {"SHARED_STORAGE": True, "DIRTY_RATE_MIB_S": 20.0})
    assert res["live_converged"] is True
    assert res["mirror_time_s"] == 0 and res["live_disk_data_sent_mib"] == 0  # nothing to mirror
    assert res["downtime_winner"] == "live" and res["data_winner"] == "cold"
    assert res["cold_data_sent_mib"] == pytest.approx(0.5)
    assert res["cold_downtime_s"] == pytest.approx(COLD_SHARED_S, abs=0.01)
    assert res["live_downtime_ms"] < 1000 < res["cold_downtime_s"] * 1000


def test_03_disk_writes_make_the_mirror_slower_than_a_cold_copy(tmp_path):
    # The defaults (40 GiB disk, 1 Gbit/s, own storage) with the guest writing 20 MiB/s to its disk:
    # the mirror needs S / (B - W) before memory moves, so live still wins on downtime but a cold
    # move finishes first, and live sends the disk, the rewritten blocks and memory on top.
    res = run_notebook("03_live_vs_cold.ipynb", tmp_path, {"DISK_DIRTY_RATE_MIB_S": 20.0})
    assert res["mirror_in_sync"] is True and res["live_completed"] is True
    assert res["mirror_time_s"] == pytest.approx(40 * 1024 / (119.2 - 20.0), rel=1e-9)
    assert res["live_disk_data_sent_mib"] >= 40 * 1024 + 20.0 * res["mirror_time_s"]
    assert res["live_data_sent_mib"] > res["cold_data_sent_mib"] == pytest.approx(40 * 1024 + 0.5)
    assert (res["downtime_winner"], res["total_time_winner"], res["data_winner"]) == ("live", "cold", "cold")
    assert res["live_total_time_s"] > res["cold_total_time_s"]
    assert 0 < res["mirror_never_in_sync_share"] < 1  # the disk map has rows with W >= B
    assert res["total_time_share_own"] <= res["live_share_of_map"]
