"""Auto-converge and the explicit round loop: one set of pre-copy rules with the vectorised engine."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from tests.strategies import FAST, links, policies, vms
from vmlab import VM, AutoConvergePolicy, Compression, Link, PrecopyPolicy, autoconverge, compressed_precopy, precopy
from vmlab.migration.autoconverge import run_rounds

PAGE_KIB = (4, 64, 2048)


@st.composite
def scenarios(draw):
    """A random VM, link and policy, every policy field drawn."""
    pattern = draw(st.sampled_from(["working_set", "uniform", "constant"]))
    memory = draw(st.floats(256, 65536))
    page = draw(st.sampled_from(PAGE_KIB))
    vm = VM(
        memory_mib=memory,
        dirty_rate_mib_s=draw(st.one_of(st.floats(0, 1500), st.just(math.inf), st.none())),
        wws_mib=None if pattern == "constant" else draw(st.one_of(st.none(), st.floats(0.02, 1).map(lambda f: f * memory))),
        dirty_pattern=pattern,
        zero_fraction=draw(st.floats(0, 0.95)),
        page_size_kib=page,
        device_state_mib=draw(st.floats(0, 64)),
    )
    link = Link(bandwidth_mib_s=draw(st.floats(5, 5000)), latency_ms=draw(st.floats(0, 50)))
    max_rounds = draw(st.one_of(st.none(), st.integers(1, 40)))
    policy = PrecopyPolicy(
        stop_rule=draw(st.sampled_from(["downtime", "dirty_pages"])),
        downtime_limit_ms=draw(st.floats(1, 2000)),
        max_bandwidth_mib_s=draw(st.one_of(st.none(), st.floats(5, 2000))),
        cap_final_copy=draw(st.booleans()),
        max_rounds=max_rounds,
        max_sent_factor=draw(st.one_of(st.none(), st.floats(1, 6))),
        min_dirty_pages=draw(st.integers(1, 5000)),
        stop_if_dirty_grows=draw(st.booleans()),
        bandwidth_window_ms=draw(st.one_of(st.none(), st.floats(10, 1000))),
        setup_ms=draw(st.floats(0, 500)),
        resume_ms=draw(st.floats(0, 100)),
        arp_ms=draw(st.floats(0, 10)),
        zero_page_bytes=draw(st.one_of(st.none(), st.floats(0, page * 1024))),
        zero_scan_mib_s=draw(st.one_of(st.none(), st.floats(100, 50000))),
        bandwidth_efficiency=draw(st.floats(0.5, 1)),
        timeout_s=draw(st.floats(1, 900) if max_rounds is None else st.one_of(st.none(), st.floats(1, 900))),
        on_timeout=draw(st.sampled_from(["cancel", "force"])),
    )
    return vm, link, policy


def assert_same_migration(a, b) -> None:
    assert (a.stop, a.n_rounds, a.converged, a.completed) == (b.stop, b.n_rounds, b.converged, b.completed)
    assert_allclose([a.total_time_s, a.data_sent_mib, a.precopy_time_s], [b.total_time_s, b.data_sent_mib, b.precopy_time_s],
                    rtol=1e-9, atol=1e-9)
    assert_allclose(a.downtime_ms, b.downtime_ms, rtol=1e-9, equal_nan=True)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_loop_without_throttle_or_compression_is_precopy(scenario):
    """autoconverge with throttling off, compressed_precopy with compression off and precopy agree."""
    vm, link, policy = scenario
    ref = precopy(vm, link, policy)
    assume(ref.n_rounds < 3000)  # the explicit loop runs each round in Python
    assert_same_migration(autoconverge(vm, link, policy, throttle=AutoConvergePolicy.off()), ref)
    assert_same_migration(compressed_precopy(vm, link, policy, compression=Compression.none()), ref)
    loop = run_rounds(vm, link, policy)
    assert_same_migration(loop, ref)
    assert loop.guest_slowdown_pct == 0 and loop.final_throttle_pct == 0


def test_zero_page_scan_overlaps_sending_in_both_models():
    """The first pass takes the longer of sending and scanning, in the engine and in the loop alike."""
    vm = VM(memory_mib=65536, zero_fraction=0.8)
    policy = PrecopyPolicy.qemu(zero_scan_mib_s=10000)
    ref, loop = precopy(vm, Link(), policy), autoconverge(vm, Link(), policy)
    assert loop.final_throttle_pct == 0  # auto-converge never triggered
    assert_same_migration(loop, ref)
    # 13,107 MiB of non-zero pages at 119.2 MiB/s outlast the 52,429 MiB zero scan at 10 GB/s
    send_s = (65536 * 0.2 + 65536 * 0.8 * 9 / 4096) / 119.2
    assert_allclose(ref.rounds["duration_s"].iloc[0], max(send_s, 65536 * 0.8 / 10000))


def test_throttle_off_is_plain_precopy_and_on_converges():
    vm, link = VM(memory_mib=4096, dirty_rate_mib_s=200), Link(bandwidth_mib_s=119.2)
    assert not autoconverge(vm, link, throttle=AutoConvergePolicy.off()).converged
    on = autoconverge(vm, link)
    assert on.converged and on.final_throttle_pct > 0 and 0 < on.guest_slowdown_pct < on.final_throttle_pct


def test_slowdown_and_throttle_are_both_percent_and_the_old_fraction_still_works():
    r = autoconverge(VM(memory_mib=4096, dirty_rate_mib_s=200), Link(bandwidth_mib_s=119.2))
    with pytest.warns(DeprecationWarning, match="guest_slowdown_pct"):
        assert r.guest_slowdown == pytest.approx(r.guest_slowdown_pct / 100)
    assert r.summary()["guest slowdown (%)"] == round(r.guest_slowdown_pct, 1)


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: autoconverge(VM(), Link(), compression="x"), ["compression", "Compression", "'x'"]),
        (lambda: autoconverge(VM(), Link(), throttle=0.5), ["throttle", "AutoConvergePolicy"]),
        (lambda: run_rounds(VM(), Link(), throttle="x"), ["throttle", "AutoConvergePolicy"]),
        (lambda: autoconverge("vm", Link()), ["vm", "a VM"]),
        (lambda: autoconverge(VM(), Link(), policy="qemu"), ["policy", "PrecopyPolicy"]),
    ],
)
def test_wrong_types_get_clear_errors(call, words):
    with pytest.raises(TypeError) as info:
        call()
    for word in words:
        assert word in str(info.value)


def test_policy_is_declared_once_and_validated():
    with pytest.raises(ValueError, match=r"AutoConvergePolicy.initial_pct must be a finite number >= 1 and <= 99; got 120"):
        AutoConvergePolicy(initial_pct=120)
    with pytest.raises(ValueError, match="initial_pct .* must be at most AutoConvergePolicy.max_pct"):
        AutoConvergePolicy(initial_pct=60, max_pct=50)
    with pytest.raises(TypeError, match="AutoConvergePolicy.enabled must be True or False"):
        AutoConvergePolicy(enabled=1)
    with pytest.raises(TypeError, match="has no field"):
        AutoConvergePolicy().replace(initial=30)
    assert AutoConvergePolicy().replace(trigger_count=3.0).trigger_count == 3


# ---- the round loop reproduces the engine ----------------------------------------------------------
@FAST
@given(vm=vms, link=links, policy=policies)
def test_round_loop_without_extras_is_precopy(vm, link, policy):
    loop, ref = run_rounds(vm, link, policy), precopy(vm, link, policy)
    assert loop.stop == ref.stop
    assert loop.n_rounds == ref.n_rounds
    assert_allclose(loop.total_time_s, ref.total_time_s, rtol=1e-6)
    assert_allclose(loop.data_sent_mib, ref.data_sent_mib, rtol=1e-6)
    if ref.completed:
        assert_allclose(loop.downtime_ms, ref.downtime_ms, rtol=1e-6)
    assert loop.guest_slowdown_pct == 0 and loop.final_throttle_pct == 0
    assert list(loop.phases["phase"]) == list(ref.phases["phase"])
    assert_allclose(loop.phases["start_s"], ref.phases["start_s"], rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("vm, link", [
    # uniform writes slightly faster than the link: the dirty set settles above the threshold
    (VM(memory_mib=256, dirty_rate_mib_s=13.0, dirty_pattern="uniform"), Link(bandwidth_mib_s=12.0, latency_ms=0.0)),
    # a hot working set that never fits, and one that converges geometrically
    (VM(memory_mib=4096, dirty_rate_mib_s=None, wws_mib=512), Link(bandwidth_mib_s=119.2)),
    (VM(memory_mib=4096, dirty_rate_mib_s=100, wws_mib=2048, zero_fraction=0.3), Link(bandwidth_mib_s=1192)),
])
def test_round_loop_edge_cases_are_precopy(vm, link):
    loop, ref = run_rounds(vm, link), precopy(vm, link)
    assert (loop.stop, loop.n_rounds) == (ref.stop, ref.n_rounds)
    assert_allclose(loop.total_time_s, ref.total_time_s, rtol=1e-6)


# ---- auto-converge -----------------------------------------------------------------------------------
def test_throttle_steps_follow_qemu_defaults():
    # QEMU migration/options.c: initial 20, increment 10, max 99
    assert AutoConvergePolicy().steps() == [20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 99.0]


@settings(max_examples=30, deadline=None, derandomize=True)
@given(memory=st.floats(512, 16384), bandwidth=st.floats(12, 1200), ratio=st.floats(1.05, 90.0),
       wws=st.one_of(st.none(), st.floats(64, 512)))
def test_autoconverge_converges_when_the_throttle_can_beat_the_link(memory, bandwidth, ratio, wws):
    # dirty rate above the link, but at the 99 % throttle D·0.01 < R: it must converge
    rate = min(bandwidth, 128.0)  # QEMU's 128 MiB/s cap
    dirty = ratio * rate
    assume(dirty * 0.01 < 0.9 * rate)
    vm = VM(memory_mib=memory, dirty_rate_mib_s=dirty, wws_mib=wws)
    r = autoconverge(vm, Link(bandwidth_mib_s=bandwidth), PrecopyPolicy.qemu(timeout_s=1e7))
    assert r.converged and r.completed
    assert r.final_throttle_pct > 0 and 0 < r.guest_slowdown_pct < 100


def test_autoconverge_rescues_what_precopy_cannot():
    vm, link = VM(memory_mib=4096, dirty_rate_mib_s=200), Link(bandwidth_mib_s=119.2)
    assert not precopy(vm, link).converged
    r = autoconverge(vm, link)
    assert r.converged
    assert (np.diff(r.rounds["throttle_pct"].to_numpy()[:-1]) >= 0).all()  # the throttle only goes up
    # effective dirty rate = D·(1 - p)
    live = r.rounds[r.rounds["phase"] != "stop-and-copy"]
    assert_allclose(live["dirty_rate_mib_s"], 200 * (1 - live["throttle_pct"] / 100))


def test_autoconverge_cannot_beat_a_writer_faster_than_any_link():
    r = autoconverge(VM(memory_mib=2048, dirty_rate_mib_s=None, wws_mib=512), Link(bandwidth_mib_s=119.2),
                     PrecopyPolicy.qemu(timeout_s=120))
    assert not r.converged and r.stop == "cancelled at timeout"
    assert r.final_throttle_pct == 99.0


def test_autoconverge_idle_when_dirtying_is_slow():
    vm, link = VM(memory_mib=4096, dirty_rate_mib_s=20), Link(bandwidth_mib_s=119.2)
    r, ref = autoconverge(vm, link), precopy(vm, link)
    assert r.final_throttle_pct == 0 and r.guest_slowdown_pct == 0
    assert_allclose(r.total_time_s, ref.total_time_s, rtol=1e-9)


def test_autoconverge_bad_input():
    # the policy's other checks: test_policy_is_declared_once_and_validated
    with pytest.raises(ValueError, match="AutoConvergePolicy.initial_pct"):
        AutoConvergePolicy(initial_pct=0)
    with pytest.raises(TypeError, match="AutoConvergePolicy.trigger_count"):
        AutoConvergePolicy(trigger_count=1.5)
    with pytest.raises(TypeError, match="throttle must be an AutoConvergePolicy"):
        run_rounds(VM(), Link(), throttle=0.2)
