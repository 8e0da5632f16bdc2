"""Tests of the cold-migration model."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from vmlab import COLD_STEPS, VM, ColdPolicy, Link, cold_migration, precopy


@settings(max_examples=60, deadline=None)
@given(
    memory=st.floats(256, 65536),
    disk=st.floats(0, 2000),
    bandwidth=st.floats(1, 5000),
    shared=st.booleans(),
    state=st.sampled_from(["powered_off", "suspended"]),
)
def test_cold_downtime_is_the_sum_of_its_steps(memory, disk, bandwidth, shared, state):
    c = cold_migration(VM(memory_mib=memory), Link(bandwidth_mib_s=bandwidth), disk_gib=disk,
                       shared_storage=shared, guest_state=state)
    assert list(c.steps["step"]) == list(COLD_STEPS)
    assert_allclose(c.downtime_ms / 1000, c.steps["duration_s"].sum())
    assert c.downtime_ms == c.total_time_s * 1000
    assert_allclose(c.steps["start_s"].iloc[-1] + c.steps["duration_s"].iloc[-1], c.total_time_s)
    assert_allclose(c.data_sent_mib, c.steps["data_mib"].sum())


def test_disk_move_scales_with_disk_size_and_vanishes_on_shared_storage():
    vm, link = VM(memory_mib=4096), Link(bandwidth_mib_s=119.2)
    small = cold_migration(vm, link, disk_gib=10)
    big = cold_migration(vm, link, disk_gib=100)
    shared = cold_migration(vm, link, disk_gib=100, shared_storage=True)
    move = lambda c: c.steps.set_index("step").loc["disk move", "duration_s"]  # noqa: E731
    assert_allclose(move(big) - move(small), 90 * 1024 / 119.2)
    assert move(shared) == 0 and shared.data_sent_mib == ColdPolicy().metadata_mib
    # with shared storage the downtime is shutdown + boot + bookkeeping
    p = ColdPolicy()
    assert shared.downtime_ms / 1000 < p.shutdown_s + p.boot_s + p.registration_s + 2 * p.task_overhead_s


def test_suspended_vm_moves_its_memory_image_and_resumes_instead_of_booting():
    vm, link = VM(memory_mib=8192, zero_fraction=0.5), Link(bandwidth_mib_s=1192)
    off = cold_migration(vm, link, disk_gib=20)
    sus = cold_migration(vm, link, disk_gib=20, guest_state="suspended")
    assert_allclose(sus.data_sent_mib - off.data_sent_mib, vm.nonzero_mib)
    power_on = lambda c: c.steps.set_index("step").loc["power on", "duration_s"]  # noqa: E731
    assert power_on(sus) < power_on(off)


def test_storage_throughput_caps_the_disk_move():
    c = cold_migration(VM(), Link(bandwidth_mib_s=1192), disk_gib=10, policy=ColdPolicy(storage_mib_s=200))
    assert "200 MiB/s" in c.steps.set_index("step").loc["disk move", "detail"]


def test_live_beats_cold_on_downtime_for_a_calm_vm():
    vm, link = VM(memory_mib=4096, dirty_rate_mib_s=20), Link(bandwidth_mib_s=119.2)
    live, cold = precopy(vm, link), cold_migration(vm, link, disk_gib=40)
    assert live.downtime_ms < 1000 < cold.downtime_ms


@pytest.mark.parametrize(
    "kwargs, error, word",
    [
        (dict(disk_gib=-1), ValueError, "disk_gib"),
        (dict(disk_gib=float("nan")), ValueError, "disk_gib"),
        (dict(disk_gib=10, shared_storage="yes"), TypeError, "shared_storage"),
        (dict(disk_gib=10, guest_state="paused"), ValueError, "guest_state"),
        (dict(disk_gib=10, policy=ColdPolicy), TypeError, "ColdPolicy"),
    ],
)
def test_bad_cold_input(kwargs, error, word):
    with pytest.raises(error, match=word):
        cold_migration(VM(), Link(), **kwargs)


def test_bad_cold_policy():
    with pytest.raises(ValueError, match="ColdPolicy.boot_s"):
        ColdPolicy(boot_s=-1)
    with pytest.raises(TypeError, match="boot_secs"):
        ColdPolicy().replace(boot_secs=3)


def test_disk_is_required():
    with pytest.raises(TypeError):
        cold_migration(VM(), Link())  # type: ignore[call-arg]


def test_downtime_is_in_ms_like_every_result_and_the_old_seconds_name_still_works():
    c = cold_migration(VM(memory_mib=4096), Link(bandwidth_mib_s=119.2), disk_gib=10)
    assert c.downtime_ms == 1000 * c.total_time_s
    with pytest.warns(DeprecationWarning, match="downtime_ms"):
        assert c.downtime_s == c.total_time_s == pytest.approx(c.downtime_ms / 1000)


def test_cold_policy_is_validated_declaratively():
    with pytest.raises(ValueError, match=r"ColdPolicy.boot_s must be a finite number >= 0; got -1"):
        ColdPolicy(boot_s=-1)
    with pytest.raises(TypeError, match="ColdPolicy has no field"):
        ColdPolicy().replace(boot=3)
    assert ColdPolicy().replace(boot_s=60).boot_s == 60.0
    with pytest.raises(ValueError, match="disk_gib"):
        cold_migration(VM(), Link(), disk_gib=1e308)
