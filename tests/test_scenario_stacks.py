"""The management stacks' rate caps (bare QEMU or libvirt) and the scenario tables behind notebook 04.

The fast checks of what the notebook teaches: bare QEMU caps every migration at 128 MiB/s and
libvirt (and Nova) does not; with the cap, parallel migrations empty a host sooner, without it
one at a time is at the bandwidth bound; a short warning favours cold migration only with shared
storage.
"""

from __future__ import annotations

import pytest

import vmlab as vl

FLEET = vl.random_fleet(6, seed=3)
LINK = vl.Link(bandwidth_mib_s=1192.0)


def test_stack_policy_caps_bare_qemu_only():
    qemu, libvirt = vl.stack_policy("qemu"), vl.stack_policy("libvirt")
    assert qemu.max_bandwidth_mib_s == vl.PrecopyPolicy.qemu().max_bandwidth_mib_s == 128.0
    assert libvirt.max_bandwidth_mib_s is None
    # everything else is QEMU's: the same switch-over rule and limit
    assert (qemu.downtime_limit_ms, qemu.stop_rule) == (libvirt.downtime_limit_ms, libvirt.stop_rule) == (300.0, "downtime")
    assert vl.stack_policy("libvirt", on_timeout="force").on_timeout == "force"


def test_stack_policy_names_a_bad_stack():
    with pytest.raises(ValueError, match="stack must be one of 'qemu', 'libvirt'; got 'nova'"):
        vl.stack_policy("nova")


def test_uncapped_migration_runs_at_link_speed():
    vm = vl.VM(memory_mib=8192)
    capped = vl.precopy(vm, LINK, vl.stack_policy("qemu"))
    free = vl.precopy(vm, LINK, vl.stack_policy("libvirt"))
    assert capped.total_time_s == pytest.approx(8192 / 128, rel=0.02)
    assert free.total_time_s == pytest.approx(8192 / 1192, rel=0.05)


def test_the_cap_decides_whether_parallel_migrations_help():
    table = vl.evacuation_by_stack(FLEET, LINK, parallel=(1, 4))
    capped = table.loc[vl.STACKS["qemu"]]
    free = table.loc[vl.STACKS["libvirt"]]
    assert capped["4 at once"] < 0.5 * capped["1 at a time"]   # the cap leaves 89 % of the link idle
    assert free["1 at a time"] < free["4 at once"]             # slicing the link only re-sends more
    one = vl.evacuate(FLEET, LINK, vl.stack_policy("libvirt", on_timeout="force"), parallel=1, order="shortest_first")
    assert free["1 at a time"] == pytest.approx(one.time_to_empty_s, abs=0.05)
    assert one.time_to_empty_s == pytest.approx(one.bandwidth_bound_s, rel=0.02)


def test_fleet_table_for_plain_and_placed_vms():
    plain = vl.fleet_table(FLEET)
    assert plain.index.tolist() == [f"vm{i}" for i in range(6)]
    assert plain["memory (MiB)"].tolist() == [v.memory_mib for v in FLEET]
    source, _ = vl.demo_hot_host()
    placed = vl.fleet_table(source)
    assert placed.loc["cache", "dirty rate (MiB/s)"] == 300.0 and placed["CPU (cores)"].sum() == 14.5
    with pytest.raises(ValueError, match="one label per VM"):
        vl.fleet_table(FLEET, names=["a"])


def test_escape_table_cold_wins_a_short_warning_only_with_shared_storage():
    kw = dict(time_to_failure_s=45.0, parallel=3)
    race = {
        "live": vl.escape_failing_host(FLEET, LINK, method="live", policy=vl.stack_policy("libvirt"), **kw),
        "cold": vl.escape_failing_host(FLEET, LINK, method="cold", **kw),
        "cold, disks copied": vl.escape_failing_host(FLEET, LINK, method="cold", shared_storage=False, disk_gib=50, **kw),
    }
    t = vl.escape_table(race)
    assert t.loc["cold", "VMs saved"] > t.loc["live", "VMs saved"] >= t.loc["cold, disks copied", "VMs saved"]
    assert t.loc["cold", "downtime summed (s)"] >= 60 * t.loc["cold", "VMs saved"]   # shutdown + boot each
    long = vl.escape_failing_host(FLEET, LINK, method="live", time_to_failure_s=3600, parallel=1,
                                  policy=vl.stack_policy("libvirt"))
    assert long.n_saved == len(FLEET) and long.total_downtime_s < 5   # enough warning: live saves all, for ms


