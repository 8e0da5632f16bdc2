"""The table helpers notebooks 03 and 05 show: live_win_shares, live_vs_cold_scorecard, result_summaries."""

from __future__ import annotations

import numpy as np
import pytest

import vmlab as vl

VM = vl.VM(memory_mib=4096, dirty_rate_mib_s=60, wws_mib=512, zero_fraction=0.2)
LINK = vl.Link(bandwidth_mib_s=119.2)


def test_live_win_shares_are_the_grid_winners_counted():
    dirty, bandwidth = np.linspace(0, 300, 7), np.array([60.0, 119.2, 600.0])
    shares = vl.live_win_shares(vm=VM, link=LINK, policy=vl.stack_policy("libvirt"), dirty_rates_mib_s=dirty,
                                bandwidths_mib_s=bandwidth, disk_gib=40, disk_dirty_rate_mib_s=5.0)
    assert list(shares.index) == ["downtime", "total time", "data sent"]
    assert list(shares.columns) == ["own storage", "shared storage"]
    D, B = np.meshgrid(dirty, bandwidth)
    for criterion, label in (("downtime", "downtime"), ("total_time", "total time")):
        for column, shared in (("own storage", False), ("shared storage", True)):
            grid = vl.live_vs_cold_grid(vm=VM, link=LINK, policy=vl.stack_policy("libvirt"), dirty_rate_mib_s=D,
                                        bandwidth_mib_s=B, disk_gib=40, disk_dirty_rate_mib_s=5.0,
                                        shared_storage=shared, criterion=criterion)
            assert shares.loc[label, column] == pytest.approx((grid["winner"] == "live").mean())
    # cold sends each byte once (or only its configuration): live never sends less
    assert (shares.loc["data sent"] == 0).all()
    # winning on total time needs a completed migration, which always wins on downtime
    assert (shares.loc["total time"] <= shares.loc["downtime"]).all()


@pytest.mark.parametrize("disk_write_mib_s", [0.0, 20.0, 150.0])
def test_scorecard_agrees_with_the_verdict(disk_write_mib_s):
    live = vl.live_migration_with_storage(VM, LINK, disk_gib=40, disk_dirty_rate_mib_s=disk_write_mib_s)
    cold = vl.cold_migration(VM, LINK, disk_gib=40)
    card = vl.live_vs_cold_scorecard(live, cold)
    assert card["winner"].to_dict() == vl.live_vs_cold_verdict(live, cold)
    assert list(card.columns) == ["live", "cold", "winner", "why"]
    if not live.completed:  # 150 MiB/s of disk writes: the mirror never gets in sync
        assert card.loc["downtime", "live"].startswith("none")
        assert set(card["winner"]) == {"cold"}


def test_result_summaries_one_row_per_result():
    results = {"QEMU": vl.precopy(VM, LINK, vl.PrecopyPolicy.qemu()),
               "auto-converge": vl.autoconverge(VM.replace(dirty_rate_mib_s=200), LINK, vl.PrecopyPolicy.qemu())}
    table = vl.result_summaries(results)
    assert list(table.index) == ["QEMU", "auto-converge"]
    assert "final throttle (%)" in table.columns  # a column only auto-converge reports
    assert table.loc["auto-converge", "rounds"] == results["auto-converge"].n_rounds
