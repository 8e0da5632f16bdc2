"""Tests of the pre-copy model: limits stated in the text, properties, reference values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from vmlab import VM, Host, Link, PrecopyPolicy, evacuate, precopy, precopy_grid, precopy_many
from vmlab.migration import _engine, _rules

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def fixed_costs_s(vm: VM, link: Link, policy: PrecopyPolicy) -> float:
    """Setup + device-state copy + latency + resume + ARP: what a migration costs besides memory."""
    return (
        policy.setup_ms / 1000
        + vm.device_state_mib / link.bandwidth_mib_s
        + (link.latency_ms + policy.resume_ms + policy.arp_ms) / 1000
    )


def zero_header_mib(vm: VM, policy: PrecopyPolicy) -> float:
    zero_pages = vm.memory_mib * vm.zero_fraction * 1024 / vm.page_size_kib
    per_page = policy.zero_page_bytes if policy.zero_page_bytes is not None else vm.page_size_kib * 1024
    return zero_pages * per_page / 2**20


# ---- limits stated in the text ------------------------------------------------------------------
@FAST
@given(
    memory=st.floats(64, 65536),
    bandwidth=st.floats(10, 5000),
    zero=st.floats(0, 0.95),
    preset=st.sampled_from(["qemu", "xen_legacy", "xen"]),
)
def test_no_dirtying_is_one_full_pass(memory, bandwidth, zero, preset):
    vm = VM(memory_mib=memory, dirty_rate_mib_s=0.0, zero_fraction=zero)
    link = Link(bandwidth_mib_s=bandwidth)
    policy = getattr(PrecopyPolicy, preset)(timeout_s=1e6)
    r = precopy(vm, link, policy)
    assert r.converged and r.completed and r.n_rounds == 1
    rate = min(bandwidth, policy.max_bandwidth_mib_s or math.inf)
    expected = (vm.nonzero_mib + zero_header_mib(vm, policy)) / rate + fixed_costs_s(vm, link, policy)
    assert_allclose(r.total_time_s, expected, rtol=1e-9)
    assert_allclose(r.data_sent_mib, vm.nonzero_mib + zero_header_mib(vm, policy) + vm.device_state_mib, rtol=1e-9)


@FAST
@given(
    memory=st.floats(64, 16384),
    rate=st.one_of(st.floats(0, 2000), st.just(math.inf)),
    wws_share=st.one_of(st.none(), st.floats(0.01, 1)),
    zero=st.floats(0, 0.9),
    bandwidth=st.floats(10, 2000),
    pattern=st.sampled_from(["working_set", "uniform"]),
    preset=st.sampled_from(["qemu", "xen_legacy", "xen"]),
)
def test_data_sent_at_least_nonzero_memory(memory, rate, wws_share, zero, bandwidth, pattern, preset):
    vm = VM(memory_mib=memory, dirty_rate_mib_s=rate, zero_fraction=zero, dirty_pattern=pattern,
            wws_mib=None if wws_share is None else memory * wws_share)
    r = precopy(vm, Link(bandwidth_mib_s=bandwidth), getattr(PrecopyPolicy, preset)(timeout_s=300))
    if r.completed:
        assert r.data_sent_mib >= vm.nonzero_mib
    # the per-round table adds up to the headline numbers
    assert_allclose(r.rounds["sent_mib"].sum(), r.data_sent_mib, rtol=1e-9, atol=1e-9)
    assert len(r.rounds) >= 1


@FAST
@given(
    memory=st.floats(256, 16384),
    rate=st.floats(0, 400),
    wws_share=st.one_of(st.none(), st.floats(0.05, 1)),
    pattern=st.sampled_from(["working_set", "uniform"]),
    bw_low=st.floats(10, 1000),
    factor=st.floats(1.0, 20.0),
)
def test_more_bandwidth_never_slower_under_qemu(memory, rate, wws_share, pattern, bw_low, factor):
    vm = VM(memory_mib=memory, dirty_rate_mib_s=rate, dirty_pattern=pattern,
            wws_mib=None if wws_share is None else memory * wws_share)
    policy = PrecopyPolicy.qemu(timeout_s=1e6)
    slow = precopy(vm, Link(bandwidth_mib_s=bw_low), policy)
    fast = precopy(vm, Link(bandwidth_mib_s=bw_low * factor), policy)
    assume(slow.completed)
    assert fast.completed
    assert fast.total_time_s <= slow.total_time_s * (1 + 1e-9)


@FAST
@given(
    memory=st.floats(64, 16384),
    rate=st.one_of(st.floats(0, 3000), st.just(math.inf)),
    wws_share=st.one_of(st.none(), st.floats(0.01, 1)),
    zero=st.floats(0, 0.95),
    bandwidth=st.floats(10, 5000),
    limit=st.floats(1, 2000),
    pattern=st.sampled_from(["working_set", "uniform"]),
)
def test_converged_qemu_downtime_within_limit(memory, rate, wws_share, zero, bandwidth, limit, pattern):
    vm = VM(memory_mib=memory, dirty_rate_mib_s=rate, zero_fraction=zero, dirty_pattern=pattern,
            wws_mib=None if wws_share is None else memory * wws_share)
    link = Link(bandwidth_mib_s=bandwidth)
    policy = PrecopyPolicy.qemu(downtime_limit_ms=limit, timeout_s=600)
    r = precopy(vm, link, policy)
    assume(r.converged)
    # the first-window quirk can exceed a limit shorter than the 100 ms window, never the window
    bound_ms = max(limit, policy.bandwidth_window_ms) + 1000 * (fixed_costs_s(vm, link, policy) - policy.setup_ms / 1000)
    assert r.downtime_ms <= bound_ms * (1 + 1e-9)


@FAST
@given(
    memory=st.floats(64, 65536),
    excess=st.floats(1.0, 50.0),
    bandwidth=st.floats(10, 5000),
    limit=st.floats(100, 2000),
)
def test_dirtying_faster_than_link_over_all_memory_never_converges(memory, excess, bandwidth, limit):
    policy = PrecopyPolicy.qemu(downtime_limit_ms=limit, timeout_s=120)
    rate = min(bandwidth, policy.max_bandwidth_mib_s)
    assume(memory > rate * limit / 1000)  # small enough to fit in the downtime limit: may converge
    vm = VM(memory_mib=memory, dirty_rate_mib_s=rate * excess, dirty_pattern="constant")
    r = precopy(vm, Link(bandwidth_mib_s=bandwidth), policy)
    assert not r.converged and not r.completed
    assert r.stop == "cancelled at timeout"
    assert math.isnan(r.downtime_ms)
    assert_allclose(r.total_time_s, 120.0)


def test_never_converging_migration_is_a_result_with_a_reason():
    vm = VM(memory_mib=8192, dirty_rate_mib_s=None, wws_mib=2048)
    r = precopy(vm, Link(bandwidth_mib_s=119.2), PrecopyPolicy.qemu(timeout_s=3600))
    assert not r.converged
    assert "did not converge" in r.stop_reason and "2.05e+03 MiB" in r.stop_reason
    # QEMU itself never gives up: the link stays busy until the operator's timeout
    assert_allclose(r.data_sent_mib, 119.2 * (3600 - 0.01), rtol=1e-9)


def test_forced_at_timeout_completes_with_a_long_blackout():
    vm = VM(memory_mib=8192, dirty_rate_mib_s=None, wws_mib=2048)
    r = precopy(vm, Link(bandwidth_mib_s=119.2), PrecopyPolicy.qemu(timeout_s=60, on_timeout="force"))
    assert r.completed and not r.converged and r.stop == "forced at timeout"
    assert r.downtime_ms > 2048 / 119.2 * 1000 * 0.5


# ---- reference values -----------------------------------------------------------------------------
def test_geometric_series_matches_liu_et_al_closed_form():
    """Liu et al. (HPDC 2011): V_i = V_mem λ^i, T_mig = (V_mem/R)(1 - λ^(n+1))/(1 - λ)."""
    M, D, R, limit_ms = 4096.0, 40.0, 100.0, 300.0
    vm = VM(memory_mib=M, dirty_rate_mib_s=D, dirty_pattern="constant", device_state_mib=0)
    policy = PrecopyPolicy(max_bandwidth_mib_s=None, downtime_limit_ms=limit_ms, bandwidth_window_ms=None,
                           setup_ms=0, resume_ms=0, arp_ms=0, timeout_s=1e6)
    r = precopy(vm, Link(bandwidth_mib_s=R, latency_ms=0), policy)
    lam = D / R
    n = r.n_rounds  # live rounds 0..n-1; round n is the stop-and-copy
    assert_allclose(r.rounds["sent_mib"].to_numpy(), M * lam ** np.arange(n + 1), rtol=1e-12)
    assert_allclose(r.total_time_s, (M / R) * (1 - lam ** (n + 1)) / (1 - lam), rtol=1e-12)
    assert_allclose(r.downtime_ms, M * lam**n / R * 1000, rtol=1e-12)
    # n is the first round whose remainder fits in the downtime limit: V_n < R·limit <= V_(n-1)
    assert M * lam**n < R * limit_ms / 1000 <= M * lam ** (n - 1)
    assert n == 6  # 4096·0.4^6 = 16.8 MiB < 30 MiB <= 41.9 MiB


def test_idle_vm_migrates_in_a_blink():
    link = Link(bandwidth_mib_s=1192)
    idle = precopy(VM(memory_mib=8192, zero_fraction=0.98), link)
    full = precopy(VM(memory_mib=8192, zero_fraction=0.0), link)
    assert idle.total_time_s < full.total_time_s / 20
    assert idle.data_sent_mib < 0.03 * 8192


def test_max_bandwidth_cap_is_the_gotcha_on_fast_links():
    vm = VM(memory_mib=16384, dirty_rate_mib_s=100, wws_mib=4096)
    ten_gbit = Link(bandwidth_mib_s=1192)
    capped = precopy(vm, ten_gbit, PrecopyPolicy.qemu())
    uncapped = precopy(vm, ten_gbit, PrecopyPolicy.qemu(max_bandwidth_mib_s=None))
    assert capped.precopy_rate_mib_s == 128 and uncapped.precopy_rate_mib_s == 1192
    assert uncapped.total_time_s < capped.total_time_s / 5
    # the stop-and-copy is not capped: it runs at link speed either way
    assert capped.final_rate_mib_s == 1192


def test_first_window_quirk_switches_over_at_once():
    vm = VM(memory_mib=8, dirty_rate_mib_s=None, wws_mib=4)  # first pass 62 ms < 100 ms window
    r = precopy(vm, Link(bandwidth_mib_s=1192), PrecopyPolicy.qemu(downtime_limit_ms=1))
    assert r.converged and r.stop == "first window" and r.n_rounds == 1
    assert_allclose(r.final_copy_mib, 4 + vm.device_state_mib)
    # with the window rule off, the same VM can never fit in a 1 ms limit
    r2 = precopy(vm, Link(bandwidth_mib_s=1192), PrecopyPolicy.qemu(downtime_limit_ms=1, bandwidth_window_ms=None, timeout_s=30))
    assert not r2.converged


def test_xen_presets_stop_by_their_caps():
    hot = VM(memory_mib=4096, dirty_rate_mib_s=None, wws_mib=1024)
    link = Link(bandwidth_mib_s=119.2)
    legacy = precopy(hot, link, PrecopyPolicy.xen_legacy())
    assert legacy.completed and not legacy.converged
    assert legacy.stop in {"sent cap", "round cap", "dirty set grows"}
    assert legacy.n_rounds <= 29
    xen = precopy(VM(memory_mib=4096, dirty_rate_mib_s=100, wws_mib=2048), link, PrecopyPolicy.xen())
    assert xen.stop == "round cap" and xen.n_rounds == 5
    calm = precopy(VM(memory_mib=4096, dirty_rate_mib_s=5, wws_mib=64), link, PrecopyPolicy.xen_legacy())
    assert calm.converged and calm.final_copy_mib - calm.vm.device_state_mib < 50 * 4 / 1024


def test_uniform_writes_dirty_less_than_a_working_set_cycle():
    link = Link(bandwidth_mib_s=119.2)
    ws = precopy(VM(memory_mib=4096, dirty_rate_mib_s=80, wws_mib=1024), link)
    uni = precopy(VM(memory_mib=4096, dirty_rate_mib_s=80, wws_mib=1024, dirty_pattern="uniform"), link)
    assert uni.rounds["dirtied_mib"].iloc[0] < ws.rounds["dirtied_mib"].iloc[0]
    assert uni.total_time_s <= ws.total_time_s


def test_destination_without_capacity_fails_in_preparation():
    r = precopy(VM(memory_mib=8192, vcpus=4), Link(), destination=Host(free_memory_mib=4096, free_vcpus=8))
    assert not r.completed and r.stop == "no capacity" and r.data_sent_mib == 0
    assert "4096 MiB free memory < 8192 MiB needed" in r.stop_reason
    ok = precopy(VM(memory_mib=2048), Link(), destination=Host(free_memory_mib=4096))
    assert ok.completed


def test_phases_follow_the_steps_of_the_lecture_notes():
    r = precopy(VM(memory_mib=2048, dirty_rate_mib_s=30), Link(bandwidth_mib_s=119.2))
    phases = list(r.phases["phase"])
    assert phases[0] == "preparation" and phases[1] == "pre-copy (full pass)"
    assert phases[-3:] == ["pause: stop-and-copy", "resume", "gratuitous ARP"]
    assert_allclose((r.phases["start_s"] + r.phases["duration_s"]).max(), r.total_time_s, rtol=1e-9)
    blackout = r.phases.loc[~r.phases["vm_running"], "duration_s"].sum()
    assert_allclose(blackout * 1000, r.downtime_ms, rtol=1e-9)


# ---- the vectorised grid agrees with the scalar model ------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    preset=st.sampled_from(["qemu", "xen_legacy", "xen"]),
    pattern=st.sampled_from(["working_set", "uniform"]),
)
def test_grid_agrees_with_scalar_on_every_row(seed, preset, pattern):
    rng = np.random.default_rng(seed)
    n = 30
    memory = rng.uniform(16, 8192, n)
    rate = np.where(rng.random(n) < 0.1, np.inf, rng.uniform(0, 400, n))
    wws = memory * rng.uniform(0.01, 1, n)
    bw = rng.uniform(10, 2000, n)
    limit = rng.uniform(5, 1000, n)
    zero = rng.uniform(0, 0.9, n)
    policy = getattr(PrecopyPolicy, preset)(timeout_s=300)
    base = VM(dirty_pattern=pattern)
    df = precopy_grid(vm=base, policy=policy, memory_mib=memory, dirty_rate_mib_s=rate, wws_mib=wws,
                      bandwidth_mib_s=bw, downtime_limit_ms=limit, zero_fraction=zero)
    assert len(df) == n
    for i, row in df.iterrows():
        vm = VM(memory_mib=memory[i], dirty_rate_mib_s=rate[i], wws_mib=wws[i], zero_fraction=zero[i], dirty_pattern=pattern)
        r = precopy(vm, Link(bandwidth_mib_s=bw[i]), policy.replace(downtime_limit_ms=limit[i]))
        assert row["converged"] == r.converged and row["completed"] == r.completed and row["stop"] == r.stop
        assert row["n_rounds"] == r.n_rounds
        assert_allclose([row["total_time_s"], row["data_sent_mib"]], [r.total_time_s, r.data_sent_mib], rtol=1e-9)
        assert_allclose(row["downtime_ms"], r.downtime_ms, rtol=1e-9, equal_nan=True)


def test_grid_broadcasts_and_keeps_inputs():
    D, B = np.meshgrid(np.linspace(0, 300, 7), np.linspace(50, 1000, 5))
    df = precopy_grid(memory_mib=4096, dirty_rate_mib_s=D, bandwidth_mib_s=B)
    assert isinstance(df, pd.DataFrame) and len(df) == 35
    assert set(["memory_mib", "dirty_rate_mib_s", "bandwidth_mib_s", "converged", "downtime_ms"]) <= set(df.columns)
    assert_allclose(df["dirty_rate_mib_s"].to_numpy(), D.ravel())


# ---- bad input ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, error, words",
    [
        (dict(memory_mib=-1), ValueError, ["VM.memory_mib", "-1", "> 0"]),
        (dict(memory_mib=0), ValueError, ["VM.memory_mib", "> 0"]),
        (dict(memory_mib=float("nan")), ValueError, ["VM.memory_mib", "nan"]),
        (dict(memory_mib=float("inf")), ValueError, ["VM.memory_mib", "inf"]),
        (dict(memory_mib="4096"), TypeError, ["VM.memory_mib", "'4096'", "str"]),
        (dict(dirty_rate_mib_s=-5), ValueError, ["VM.dirty_rate_mib_s", "-5", ">= 0"]),
        (dict(zero_fraction=1.5), ValueError, ["VM.zero_fraction", "1.5", "<= 1"]),
        (dict(wws_mib=8192, memory_mib=4096), ValueError, ["VM.wws_mib", "4096"]),
        (dict(dirty_pattern="random"), ValueError, ["VM.dirty_pattern", "'random'", "'uniform'"]),
        (dict(dirty_pattern="constant", wws_mib=100), ValueError, ["VM.wws_mib", "constant"]),
        (dict(page_size_kib=4.5), TypeError, ["VM.page_size_kib", "4.5"]),
        (dict(vcpus=True), TypeError, ["VM.vcpus", "True"]),
    ],
)
def test_bad_vm_input_names_the_parameter(kwargs, error, words):
    with pytest.raises(error) as info:
        VM(**kwargs)
    for word in words:
        assert word in str(info.value)


@pytest.mark.parametrize(
    "factory, error, words",
    [
        (lambda: Link(bandwidth_mib_s=0), ValueError, ["Link.bandwidth_mib_s", "> 0"]),
        (lambda: Link(bandwidth_mib_s=float("inf")), ValueError, ["Link.bandwidth_mib_s"]),
        (lambda: Link(latency_ms=-1), ValueError, ["Link.latency_ms", ">= 0"]),
        (lambda: PrecopyPolicy.qemu(downtime_limit_ms=0), ValueError, ["PrecopyPolicy.downtime_limit_ms", ">= 0.001"]),
        (lambda: PrecopyPolicy.qemu(max_rounds=0), ValueError, ["PrecopyPolicy.max_rounds", ">= 1"]),
        (lambda: PrecopyPolicy.qemu(timeout_s=-3), ValueError, ["PrecopyPolicy.timeout_s"]),
        (lambda: PrecopyPolicy.qemu(on_timeout="wait"), ValueError, ["PrecopyPolicy.on_timeout", "'cancel'"]),
        (lambda: PrecopyPolicy.qemu(downtime_limt_ms=5), TypeError, ["downtime_limt_ms", "downtime_limit_ms"]),
        (lambda: precopy(VM(), "fast"), TypeError, ["link", "Link"]),
        (lambda: precopy_grid(dirty_rate_mib_s=np.array([1.0, -2.0])), ValueError, ["VM.dirty_rate_mib_s", "-2"]),
        (lambda: precopy_grid(bandwidth_mib_s=np.array([1.0, np.nan])), ValueError, ["Link.bandwidth_mib_s", "nan"]),
        (lambda: precopy_grid(bandwith_mib_s=np.ones(3)), TypeError, ["bandwith_mib_s", "bandwidth_mib_s"]),
        (lambda: precopy_grid(dirty_rate_mib_s=np.ones(3), bandwidth_mib_s=np.ones(4)), ValueError, ["broadcast"]),
        (lambda: precopy_grid(memory_mib=np.array([100.0]), wws_mib=np.array([200.0])), ValueError, ["VM.wws_mib"]),
    ],
)
def test_bad_parameters_get_clear_errors(factory, error, words):
    with pytest.raises(error) as info:
        factory()
    for word in words:
        assert word in str(info.value)


# ---- Xen as its source code does it ----------------------------------------------------------------
def test_xen_presets_have_no_wall_clock_timeout():
    """xc_domain_save / xg_sr_save.c have no timeout: only their round, sent and page rules stop them."""
    vm, link = VM(memory_mib=65536, dirty_rate_mib_s=768, wws_mib=65472), Link(bandwidth_mib_s=119.2)
    assert PrecopyPolicy.xen_legacy().timeout_s is None and PrecopyPolicy.xen().timeout_s is None
    legacy = precopy(vm, link, PrecopyPolicy.xen_legacy())
    # 65536 + 3 x 65472 MiB sent after 4 rounds is the first total above 3 x 65536
    assert (legacy.stop, legacy.n_rounds, legacy.completed) == ("sent cap", 4, True)
    assert legacy.precopy_time_s > 600  # no 600 s timeout cuts it short
    current = precopy(vm, link, PrecopyPolicy.xen())
    assert (current.stop, current.n_rounds) == ("round cap", 5)


def test_xen_sent_cap_is_strictly_more_than_the_factor():
    """``total_sent > p2m_size * max_factor``: exactly 2x memory sent does not trigger a 2x cap."""
    vm = VM(memory_mib=1024, dirty_rate_mib_s=None, device_state_mib=0)  # every round re-sends all of memory
    policy = PrecopyPolicy.xen_legacy(max_sent_factor=2.0, stop_if_dirty_grows=False)
    r = precopy(vm, Link(bandwidth_mib_s=100.0), policy)
    assert r.stop == "sent cap" and r.n_rounds == 3  # 2048 MiB after 2 rounds is not > 2048


def test_xen_counts_pages_of_the_round_just_sent():
    """Xen stops after a round that *sent* fewer than 50 pages: one live round more than a pending-set test."""
    D, R = 10.0, 100.0  # λ = 0.1
    vm = VM(memory_mib=1024, dirty_rate_mib_s=D, dirty_pattern="constant", device_state_mib=0)
    policy = PrecopyPolicy.xen(max_rounds=50)
    r = precopy(vm, Link(bandwidth_mib_s=R, latency_ms=0), policy)
    sizes = 1024 * 0.1 ** np.arange(8)  # MiB sent in rounds 0, 1, 2...
    limit = 50 * 4 / 1024
    n = int(np.argmax(sizes < limit)) + 1  # live rounds up to and including the first small one
    assert r.converged and r.n_rounds == n
    assert_allclose(r.rounds["sent_mib"].iloc[n - 1], sizes[n - 1])  # the last live round was the small one
    assert_allclose(r.final_copy_mib, sizes[n], rtol=1e-9)  # the pause copies what it dirtied
    # a test on the pending set would have stopped one round earlier, with a bigger pause
    assert sizes[n - 1] < limit <= sizes[n - 2]


def test_no_timeout_needs_a_round_cap():
    with pytest.raises(ValueError, match="timeout_s may be None .* round cap"):
        PrecopyPolicy.qemu(timeout_s=None)
    with pytest.raises(ValueError, match="round cap"):
        PrecopyPolicy.xen(max_rounds=None)
    with pytest.raises(ValueError, match="round cap"):
        precopy_grid(policy=PrecopyPolicy.xen(), max_rounds=np.array([3.0, np.inf]))


# ---- crashes and silent garbage become clear errors or right answers ---------------------------
def test_dirty_pages_target_of_zero_is_a_clear_error_and_nothing_dirty_converges():
    with pytest.raises(ValueError, match=r"PrecopyPolicy.min_dirty_pages must be a whole number >= 1"):
        PrecopyPolicy(stop_rule="dirty_pages", min_dirty_pages=0, timeout_s=60)
    r = precopy(VM(memory_mib=1024, dirty_rate_mib_s=0), Link(), PrecopyPolicy(stop_rule="dirty_pages", min_dirty_pages=1, timeout_s=60))
    assert r.converged and r.n_rounds == 1 and "nothing left dirty" in r.stop_reason
    df = precopy_grid(dirty_rate_mib_s=np.array([0.0, 10.0]), policy=PrecopyPolicy(stop_rule="dirty_pages", min_dirty_pages=1, timeout_s=60))
    assert (df["n_rounds"] >= 1).all() and np.isfinite(df["total_time_s"]).all()


@pytest.mark.parametrize(
    "factory, error, words",
    [
        (lambda: PrecopyPolicy.qemu(timeout_s=1e300), ValueError, ["PrecopyPolicy.timeout_s", "1e+07", "1e+300"]),
        (lambda: PrecopyPolicy.qemu(max_rounds=10**400), ValueError, ["PrecopyPolicy.max_rounds", "1.00e+400"]),
        (lambda: VM(vcpus=1e308), ValueError, ["VM.vcpus", "1.00e+308"]),
        (lambda: VM(memory_mib=512, page_size_kib=1048576), ValueError, ["VM.memory_mib", "one page", "1048576 KiB"]),
        (lambda: Link(bandwidth_mib_s=1e300), ValueError, ["Link.bandwidth_mib_s", "1e+06"]),
        (lambda: precopy(VM(), Link(), PrecopyPolicy.qemu(zero_page_bytes=5000)), ValueError,
         ["PrecopyPolicy.zero_page_bytes", "4096 bytes", "5000"]),
        (lambda: precopy_grid(zero_page_bytes=np.array([9.0, 5000.0])), ValueError, ["PrecopyPolicy.zero_page_bytes", "5000"]),
        (lambda: precopy_grid(vm="x", memory_mib=1), TypeError, ["vm", "a VM", "'x'"]),
        (lambda: precopy_grid(policy="x", memory_mib=1), TypeError, ["policy", "PrecopyPolicy"]),
        (lambda: precopy_grid(link=3, memory_mib=1), TypeError, ["link", "a Link"]),
        (lambda: precopy_grid(memory_mib=np.array([0.25]), page_size_kib=1024), ValueError, ["VM.memory_mib", "one page"]),
        (lambda: precopy_many([VM(), "x"], Link()), TypeError, ["vms[1]", "a VM"]),
    ],
)
def test_more_bad_input_gets_clear_errors(factory, error, words):
    with pytest.raises(error) as info:
        factory()
    for word in words:
        assert word in str(info.value)
    assert len(str(info.value)) < 300  # never a 300-digit number


def test_grid_never_reports_garbage_round_counts():
    df = precopy_grid(dirty_rate_mib_s=np.array([0.0, 1.0, 1e3, np.inf]), downtime_limit_ms=np.array([[0.001], [2e6]]),
                      timeout_s=1e7, policy=PrecopyPolicy.qemu())
    assert (df["n_rounds"] >= 1).all() and (df["n_rounds"] < 2**53).all()
    assert np.isfinite(df["total_time_s"]).all() and np.isfinite(df["data_sent_mib"]).all()


# ---- one engine: accelerated paths equal the round-by-round reference ------------------------------
@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), pattern=st.sampled_from(["working_set", "uniform", "constant"]),
       preset=st.sampled_from(["qemu", "xen_legacy", "xen", "qemu_force_capped"]))
def test_jumps_and_lean_rounds_give_the_round_by_round_answer(seed, pattern, preset):
    """Closed-form jumps and the uniform loop give the same rounds and stops as stepping every round."""
    rng = np.random.default_rng(seed)
    n = 400
    policy = (PrecopyPolicy.qemu(on_timeout="force", max_rounds=int(rng.integers(2, 60)), max_sent_factor=3.0)
              if preset == "qemu_force_capped" else getattr(PrecopyPolicy, preset)())
    inp = dict(_rules.inputs(VM(dirty_pattern=pattern), Link(), policy))
    memory = rng.uniform(16, 32768, n)
    inp.update(memory_mib=memory, rate=np.where(rng.random(n) < 0.05, np.inf, rng.uniform(0, 800, n)),
               bandwidth_mib_s=rng.uniform(10, 3000, n), downtime_limit_ms=rng.uniform(1, 2000, n),
               zero_fraction=rng.uniform(0, 0.9, n))
    share = 1.0 if pattern == "constant" else rng.uniform(0.01, 1, n)
    inp["region"] = np.minimum(memory * share, memory * (1 - inp["zero_fraction"]))
    fast, slow = _engine.simulate_many(inp), _engine.simulate_many(inp, accelerate=False)
    np.testing.assert_array_equal(fast["code"], slow["code"])
    np.testing.assert_array_equal(fast["n_rounds"], slow["n_rounds"])
    for key in ("total_time_s", "data_sent_mib", "downtime_ms"):
        assert_allclose(fast[key], slow[key], rtol=1e-9, equal_nan=True)


def test_fleet_runs_each_vm_as_precopy_does():
    """precopy_many, migrate_fleet and evacuate honour every VM field (page size included)."""
    vms = [VM(memory_mib=4096, page_size_kib=2048, dirty_rate_mib_s=50), VM(memory_mib=2048, zero_fraction=0.5),
           VM(memory_mib=1024, dirty_rate_mib_s=30, dirty_pattern="uniform", wws_mib=512, device_state_mib=8)]
    for policy in (PrecopyPolicy.xen(), PrecopyPolicy.qemu(zero_page_bytes=9)):
        rows = precopy_many(vms, Link(), policy)
        ev = evacuate(vms, Link(), policy).schedule.sort_values("vm")
        for i, vm in enumerate(vms):
            one = precopy(vm, Link(), policy)
            assert (rows["stop"][i], rows["n_rounds"][i], ev["converged"].iloc[i]) == (one.stop, one.n_rounds, one.converged)
            assert_allclose(rows["total_time_s"][i], one.total_time_s, rtol=1e-12)


def test_grid_edge_shapes():
    assert len(precopy_grid(memory_mib=np.array([]))) == 0
    with pytest.raises(ValueError, match="at least one number to vary"):
        precopy_grid(dirty_pattern="uniform")
