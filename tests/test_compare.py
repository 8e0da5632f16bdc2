"""Live versus cold: live migration with its disk (block mirror + pre-copy), the winner rule, the grid."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from vmlab import (
    VM,
    Link,
    LiveStorageResult,
    PrecopyPolicy,
    cold_migration,
    live_migration_with_storage,
    live_vs_cold_grid,
    live_vs_cold_table,
    live_vs_cold_verdict,
    precopy,
)
from vmlab.migration.compare import MIRROR_SLICE_S

FAST = settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
LINK = Link(bandwidth_mib_s=119.2)
VM_HOT = VM(memory_mib=4096, dirty_rate_mib_s=60, wws_mib=512, zero_fraction=0.2)
POLICIES = [PrecopyPolicy.qemu(), PrecopyPolicy.qemu(on_timeout="force", timeout_s=300), PrecopyPolicy.xen()]

vms = st.builds(VM, memory_mib=st.floats(256, 8192), dirty_rate_mib_s=st.floats(0, 300),
                wws_mib=st.one_of(st.none(), st.floats(16, 256)), zero_fraction=st.floats(0, 0.5))
links = st.builds(Link, bandwidth_mib_s=st.floats(12, 1200), latency_ms=st.floats(0, 5))


# ---- the model -----------------------------------------------------------------------------------
@FAST
@given(vm=vms, link=links, policy=st.sampled_from(POLICIES), disk=st.floats(0, 500), writes=st.floats(0, 500))
def test_nothing_to_mirror_is_exactly_precopy(vm, link, policy, disk, writes):
    ref = precopy(vm, link, policy)
    for r in (live_migration_with_storage(vm, link, policy, disk_gib=disk, disk_dirty_rate_mib_s=writes, shared_storage=True),
              live_migration_with_storage(vm, link, policy, disk_gib=0, disk_dirty_rate_mib_s=writes)):
        assert (r.completed, r.converged, r.stop, r.n_rounds) == (ref.completed, ref.converged, ref.stop, ref.n_rounds)
        assert r.total_time_s == ref.total_time_s and r.data_sent_mib == ref.data_sent_mib
        assert r.downtime_ms == ref.downtime_ms or (math.isnan(r.downtime_ms) and math.isnan(ref.downtime_ms))
        assert r.disk_data_sent_mib == 0 and r.mirror_time_s == 0


def test_mirror_then_memory_on_the_rest_of_the_link():
    S, W, B = 40 * 1024.0, 5.0, LINK.bandwidth_mib_s
    r = live_migration_with_storage(VM_HOT, LINK, disk_gib=40, disk_dirty_rate_mib_s=W)
    assert isinstance(r, LiveStorageResult) and r.completed and r.mirror_in_sync
    assert_allclose(r.mirror_time_s, S / (B - W))  # the mirror must send S + W·t by time t
    assert r.memory.link.bandwidth_mib_s == pytest.approx(B - W)  # the in-sync mirror keeps taking W
    mem = precopy(VM_HOT, Link(bandwidth_mib_s=B - W), PrecopyPolicy.qemu(setup_ms=0, timeout_s=600 - 0.01 - S / (B - W)))
    assert r.n_rounds == mem.n_rounds and r.memory_data_sent_mib == mem.data_sent_mib
    assert_allclose(r.disk_data_sent_mib, S + W * (S / (B - W) + mem.precopy_time_s))
    flush_s = W * MIRROR_SLICE_S / B  # the writes of one block-job slice, copied in the pause
    assert_allclose(r.downtime_ms, mem.downtime_ms + 1000 * flush_s)
    assert_allclose(r.total_time_s, 0.01 + S / (B - W) + mem.total_time_s + flush_s)
    assert_allclose(r.data_sent_mib, r.disk_data_sent_mib + r.memory_data_sent_mib)
    # the phases: preparation, the bulk mirror, memory rounds, then the pause with the disk flush first
    p = r.phases
    assert list(p["phase"][:2]) == ["preparation", "disk mirror: bulk copy"]
    paused = p[~p["vm_running"]]
    assert paused["phase"].iloc[0] == "pause: disk mirror flush" and paused["part"].iloc[0] == "disk"
    assert_allclose(paused["duration_s"].sum(), r.downtime_ms / 1000)
    assert_allclose((p["start_s"] + p["duration_s"]).max(), r.total_time_s)


def test_mirror_time_grows_with_disk_writes_and_size():
    t = [live_migration_with_storage(VM_HOT, LINK, disk_gib=10, disk_dirty_rate_mib_s=w).mirror_time_s for w in (0, 20, 60)]
    assert t == sorted(t) and t[0] == pytest.approx(10 * 1024 / 119.2)
    d = [live_migration_with_storage(VM_HOT, LINK, disk_gib=g, disk_dirty_rate_mib_s=5).total_time_s for g in (1, 10, 40)]
    assert d == sorted(d)


@pytest.mark.parametrize("writes, cap", [(119.2, None), (500.0, None), (math.inf, None), (80.0, 60.0)])
def test_disk_writes_faster_than_the_mirror_never_sync(writes, cap):
    r = live_migration_with_storage(VM_HOT, LINK, PrecopyPolicy.qemu(timeout_s=120), disk_gib=40,
                                    disk_dirty_rate_mib_s=writes, mirror_bandwidth_mib_s=cap)
    assert not r.mirror_in_sync and not r.completed and not r.converged
    assert r.stop == "mirror cancelled at timeout" and "never gets in sync" in r.stop_reason
    assert math.isnan(r.downtime_ms) and r.memory is None and r.n_rounds == 0
    assert_allclose(r.total_time_s, 120)
    assert_allclose(r.data_sent_mib, r.mirror_rate_mib_s * (120 - 0.01))


def test_a_mirror_too_slow_for_the_timeout_is_cancelled_or_forced():
    slow = live_migration_with_storage(VM_HOT, LINK, PrecopyPolicy.qemu(timeout_s=100), disk_gib=40)
    assert not slow.completed and "more than the 100 s timeout" in slow.stop_reason
    forced = live_migration_with_storage(VM_HOT, LINK, PrecopyPolicy.qemu(timeout_s=100, on_timeout="force"), disk_gib=40)
    assert forced.completed and forced.stop == "mirror forced at timeout" and not forced.converged
    rest = 40 * 1024 - 119.2 * (100 - 0.01)
    paused = precopy(VM_HOT.replace(dirty_rate_mib_s=0), LINK, PrecopyPolicy.qemu(setup_ms=0))
    assert_allclose(forced.downtime_ms / 1000, rest / 119.2 + paused.total_time_s)  # VM off for the rest
    assert_allclose(forced.data_sent_mib, 40 * 1024 + paused.data_sent_mib)
    assert_allclose(forced.total_time_s, 100 + forced.downtime_ms / 1000)


def test_live_with_storage_bad_input():
    with pytest.raises(ValueError, match="disk_dirty_rate_mib_s must be a number >= 0"):
        live_migration_with_storage(VM(), LINK, disk_gib=10, disk_dirty_rate_mib_s=-1)
    with pytest.raises(ValueError, match="disk_dirty_rate_mib_s"):
        live_migration_with_storage(VM(), LINK, disk_gib=10, disk_dirty_rate_mib_s=float("nan"))
    with pytest.raises(TypeError, match="disk_gib"):
        live_migration_with_storage(VM(), LINK, disk_gib="40")
    with pytest.raises(ValueError, match="mirror_bandwidth_mib_s"):
        live_migration_with_storage(VM(), LINK, disk_gib=10, mirror_bandwidth_mib_s=0)
    with pytest.raises(TypeError, match="argument vm must be a VM"):
        live_migration_with_storage("vm", LINK, disk_gib=10)
    with pytest.raises(TypeError, match="shared_storage"):
        live_migration_with_storage(VM(), LINK, disk_gib=10, shared_storage=1)


# ---- the grid and the winner rule ------------------------------------------------------------
@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: f"{p.name}-{p.on_timeout}")
def test_grid_rows_equal_the_scalar_model(policy):
    D, B, W = np.meshgrid([0.0, 50.0, 100.0, 300.0], [30.0, 119.2, 1192.0], [0.0, 5.0, 60.0, 200.0])
    g = live_vs_cold_grid(vm=VM_HOT, policy=policy, dirty_rate_mib_s=D, bandwidth_mib_s=B, disk_dirty_rate_mib_s=W,
                          disk_gib=10)
    for row in g.itertuples():
        r = live_migration_with_storage(VM_HOT.replace(dirty_rate_mib_s=row.dirty_rate_mib_s),
                                        Link(bandwidth_mib_s=row.bandwidth_mib_s), policy, disk_gib=10,
                                        disk_dirty_rate_mib_s=row.disk_dirty_rate_mib_s)
        assert (r.completed, r.stop, r.n_rounds, r.mirror_in_sync) == (row.completed, row.stop, row.n_rounds,
                                                                       row.mirror_in_sync)
        assert_allclose([r.total_time_s, r.data_sent_mib, r.disk_data_sent_mib, r.downtime_ms],
                        [row.total_time_s, row.data_sent_mib, row.disk_data_sent_mib, row.downtime_ms], rtol=1e-12)


def test_without_shared_storage_live_pays_for_the_disk_too():
    D, B = np.meshgrid(np.linspace(0, 100, 6), [119.2, 1192.0])
    g = live_vs_cold_grid(vm=VM_HOT, dirty_rate_mib_s=D, bandwidth_mib_s=B, disk_gib=40, criterion="data_sent")
    done = g["completed"].to_numpy()
    assert done.any()
    assert (g.loc[done, "disk_data_sent_mib"] >= 40 * 1024).all()
    assert (g["data_sent_mib"] > g["cold_data_sent_mib"]).all()  # live moves the same disk, plus memory
    assert (g["winner"] == "cold").all()
    shared = live_vs_cold_grid(vm=VM_HOT, dirty_rate_mib_s=D, bandwidth_mib_s=B, disk_gib=40, shared_storage=True,
                               disk_dirty_rate_mib_s=500.0)  # the disk stays: its writes do not matter
    assert (shared["disk_data_sent_mib"] == 0).all() and shared["mirror_in_sync"].all()


@pytest.mark.parametrize("shared", [False, True])
def test_verdict_and_grid_apply_one_rule(shared):
    for rate, bw, writes in ((10.0, 119.2, 0.0), (60.0, 30.0, 5.0), (5000.0, 119.2, 0.0), (200.0, 1192.0, 20.0),
                             (10.0, 119.2, 150.0)):
        vm, link = VM(dirty_rate_mib_s=rate), Link(bandwidth_mib_s=bw)
        live = live_migration_with_storage(vm, link, disk_gib=40, disk_dirty_rate_mib_s=writes, shared_storage=shared)
        verdict = live_vs_cold_verdict(live, cold_migration(vm, link, disk_gib=40, shared_storage=shared))
        for criterion, key in (("downtime", "downtime"), ("total_time", "total time"), ("data_sent", "data sent")):
            g = live_vs_cold_grid(dirty_rate_mib_s=rate, bandwidth_mib_s=bw, criterion=criterion, disk_gib=40,
                                  shared_storage=shared, disk_dirty_rate_mib_s=writes)
            assert verdict[key] == g["winner"].iloc[0], (rate, bw, writes, criterion)


def test_a_live_migration_that_did_not_complete_loses_everywhere():
    live = live_migration_with_storage(VM_HOT, LINK, disk_gib=1, disk_dirty_rate_mib_s=500)
    cold = cold_migration(VM_HOT, LINK, disk_gib=1000)  # hours of downtime, and still cold wins
    assert not live.completed and live.total_time_s < cold.total_time_s
    assert set(live_vs_cold_verdict(live, cold).values()) == {"cold"}


def test_old_cold_data_column_name_warns_and_still_reads():
    g = live_vs_cold_grid(dirty_rate_mib_s=np.array([10.0, 50.0]), bandwidth_mib_s=119.2)
    with pytest.warns(DeprecationWarning, match="cold_data_sent_mib"):
        old = g["cold_data_mib"]
    assert_allclose(old, g["cold_data_sent_mib"])
    with pytest.warns(DeprecationWarning):
        assert_allclose(g.cold_data_mib, g["cold_data_sent_mib"])
    with pytest.warns(DeprecationWarning):  # a filtered table keeps the old name readable
        g[g["winner"] == "live"]["cold_data_mib"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g["cold_total_time_s"], g.winner  # the current names do not warn


def test_grid_bad_input():
    with pytest.raises(ValueError, match="disk_dirty_rate_mib_s values must be"):
        live_vs_cold_grid(dirty_rate_mib_s=10.0, bandwidth_mib_s=119.2, disk_dirty_rate_mib_s=np.array([1.0, -1.0]))
    with pytest.raises(ValueError, match="do not broadcast"):
        live_vs_cold_grid(dirty_rate_mib_s=np.ones(3), bandwidth_mib_s=np.ones(2) * 100)
    with pytest.raises(TypeError, match="vm must be a VM"):
        live_vs_cold_grid(dirty_rate_mib_s=10.0, bandwidth_mib_s=119.2, vm="x")
    with pytest.raises(ValueError, match="criterion"):
        live_vs_cold_grid(dirty_rate_mib_s=10.0, bandwidth_mib_s=119.2, criterion="cost")


# ---- the table -----------------------------------------------------------------------------------
def test_table_shows_the_disk_mirror():
    live = live_migration_with_storage(VM_HOT, LINK, disk_gib=40, disk_dirty_rate_mib_s=5)
    t = live_vs_cold_table(live, cold_migration(VM_HOT, LINK, disk_gib=40)).set_index("Feature")
    assert t.loc["Network Load", "Hot (Live) Migration"].startswith("Disk mirror + memory sync: ")
    assert f"{live.disk_data_sent_mib:,.0f} MiB disk" in t.loc["Network Load", "Hot (Live) Migration"]
    assert "disk mirror kept in sync" in t.loc["Complexity", "Hot (Live) Migration"]


def test_table_warns_when_a_memory_only_live_meets_a_cold_disk_copy():
    live = precopy(VM_HOT, LINK)
    with pytest.warns(UserWarning, match="live_migration_with_storage"):
        t = live_vs_cold_table(live, cold_migration(VM_HOT, LINK, disk_gib=40))
    assert "would have to be mirrored too" in t.iloc[2, 1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # shared storage: memory only is right, no warning
        live_vs_cold_table(live, cold_migration(VM_HOT, LINK, disk_gib=40, shared_storage=True))


def test_a_policy_without_timeout_never_syncs_a_mirror_it_cannot_catch_up_with():
    xen = PrecopyPolicy.xen()
    assert xen.timeout_s is None
    r = live_migration_with_storage(VM_HOT, Link(bandwidth_mib_s=100.0), xen, disk_gib=10, disk_dirty_rate_mib_s=150.0)
    assert (r.completed, r.mirror_in_sync, r.stop) == (False, False, "mirror never in sync")
    assert math.isinf(r.total_time_s) and "no timeout" in r.stop_reason
    ok = live_migration_with_storage(VM_HOT, Link(bandwidth_mib_s=100.0), xen, disk_gib=10, disk_dirty_rate_mib_s=5.0)
    assert ok.mirror_in_sync and ok.completed
