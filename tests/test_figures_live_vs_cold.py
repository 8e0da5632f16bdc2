"""Live against cold (vmlab.figures.live_vs_cold): stacked bars, reasons and winner maps."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from tests.figure_fixtures import LINK, VM_HOT, cancelled, cold, cold_shared, live  # noqa: F401 - fixtures
from vmlab import live_migration_with_storage, live_vs_cold_grid, precopy_grid
from vmlab.figures.live_vs_cold import live_vs_cold_figure, live_vs_cold_reasons, live_vs_cold_verdict, winner_map_figure


def _totals(fig, panel):
    """Sum of the three stacked segments of one panel, per bar."""
    return np.nansum([np.array(fig.data[4 * panel + i].y, dtype=float) for i in range(3)], axis=0)


def test_live_vs_cold_bars(live, cold_shared):
    fig = live_vs_cold_figure(live, cold_shared)
    assert len(fig.data) == 12
    assert_allclose(_totals(fig, 0), [live.downtime_ms / 1000, cold_shared.downtime_ms / 1000])
    assert_allclose(_totals(fig, 1), [live.total_time_s, cold_shared.total_time_s])
    assert_allclose(_totals(fig, 2), [live.data_sent_mib, cold_shared.data_sent_mib])
    assert list(fig.data[4].y) == [0.0, 0.0]  # shared storage: nobody moves a disk
    assert [fig.data[i].name for i in range(3)][0].startswith("disk")
    # ms against a minute: log; 46 s against 63 s: linear from zero
    assert fig.layout.yaxis.type == "log"
    assert fig.layout.yaxis2.type == "linear" and fig.layout.yaxis2.range[0] == 0
    assert "downtime: <b>live</b>" in fig.layout.title.text


def test_live_vs_cold_figure_shows_the_disk_mirror(cold):
    live = live_migration_with_storage(VM_HOT, LINK, disk_gib=40, disk_dirty_rate_mib_s=5)
    fig = live_vs_cold_figure(live, cold)
    disk_time, disk_down, disk_data = fig.data[4].y, fig.data[0].y, fig.data[8].y
    flush_s = live.disk_flush_mib / live.mirror_rate_mib_s
    assert_allclose(disk_time[0], live.mirror_time_s + flush_s)  # the bulk mirror, and its flush in the pause
    assert_allclose(disk_down[0], flush_s)
    assert disk_data[0] == live.disk_data_sent_mib and disk_data[1] == cold.steps.set_index("step").loc["disk move", "data_mib"]
    assert_allclose(_totals(fig, 1), [live.total_time_s, cold.total_time_s])
    assert_allclose(_totals(fig, 2), [live.data_sent_mib, cold.data_sent_mib])
    assert "live mirrors the 40 GiB disk first" in fig.layout.title.text
    assert "data sent: <b>cold</b>" in fig.layout.title.text  # the same disk, plus memory


def test_live_vs_cold_cancelled_live_loses(cancelled, cold_shared):
    fig = live_vs_cold_figure(cancelled, cold_shared)
    assert [fig.data[i].y[0] for i in range(3)] == [None, None, None]  # no downtime: the VM never moved
    assert live_vs_cold_verdict(cancelled, cold_shared) == {"downtime": "cold", "total time": "cold", "data sent": "cold"}
    assert fig.layout.yaxis3.type == "log"  # half a MiB of metadata against 7 GiB
    assert "did not complete" in fig.layout.title.text


def test_live_vs_cold_reasons_say_why(cold):
    never = live_migration_with_storage(VM_HOT, LINK, disk_gib=40, disk_dirty_rate_mib_s=150)
    reasons = live_vs_cold_reasons(never, cold)
    assert set(reasons.values()) == {reasons["downtime"]} and "never gets in sync" in reasons["downtime"]
    ok = live_migration_with_storage(VM_HOT, LINK, disk_gib=40, disk_dirty_rate_mib_s=5)
    reasons = live_vs_cold_reasons(ok, cold)
    assert "both send the 40 GiB disk" in reasons["data sent"]
    assert reasons["total time"].startswith("live finishes first: live mirrors the disk")


def test_winner_map_codes():
    D, B = np.meshgrid(np.array([0.0, 50.0, 300.0, 5000.0]), np.array([30.0, 119.2, 1192.0]))
    df = live_vs_cold_grid(dirty_rate_mib_s=D, bandwidth_mib_s=B, criterion="total_time", disk_gib=1)
    fig = winner_map_figure(df, criterion="total_time")
    z = np.asarray(fig.data[0].z, dtype=float)
    expected = np.where(df["winner"] == "live", 0, np.where(df["completed"], 1, 2)).reshape(D.shape)
    assert_allclose(z, expected)
    assert {0, 2} <= set(np.unique(z))
    assert "total time" in fig.layout.title.text
    assert [t.name for t in fig.data[1:]] == ["live wins", "cold wins", "cold wins (live did not complete)",
                                             "cold wins (live disk mirror never in sync)"]
    with pytest.raises(ValueError, match="winner"):
        winner_map_figure(precopy_grid(dirty_rate_mib_s=D, bandwidth_mib_s=B))


def test_winner_map_marks_a_disk_mirror_that_never_syncs():
    D, W = np.meshgrid([10.0, 60.0, 300.0], [0.0, 20.0, 100.0, 200.0])
    df = live_vs_cold_grid(vm=VM_HOT, dirty_rate_mib_s=D, bandwidth_mib_s=119.2, disk_dirty_rate_mib_s=W)
    z = np.asarray(winner_map_figure(df, y="disk_dirty_rate_mib_s").data[0].z, dtype=float)
    assert_allclose(z[-2:], 3)  # 100 and 200 MiB/s of disk writes: the 40 GiB mirror never gets in sync in 600 s
    assert (z[:2] != 3).all()
