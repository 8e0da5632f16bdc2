"""Post-copy as QEMU runs it: pure, hybrid (pre-copy rounds, then the switch), and what a failure does."""

from __future__ import annotations

import importlib
import math

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from tests import strategies
from vmlab import VM, Link, PrecopyPolicy, compare_methods, postcopy, precopy
from vmlab.migration.postcopy import METHODS, expected_faults_mib

FAST = settings(max_examples=30, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
LINK = Link(bandwidth_mib_s=119.2)
HOT = VM(memory_mib=8192, dirty_rate_mib_s=200, wws_mib=1024)

HEADLINE = ("switched", "downtime_ms", "total_time_s", "data_sent_mib", "degradation_s", "fault_mib", "missing_mib")


def _same(a, b) -> bool:
    return all(getattr(a, k) == getattr(b, k) for k in HEADLINE) and a.phases.equals(b.phases)


vms = st.builds(VM, memory_mib=st.floats(256, 16384), dirty_rate_mib_s=st.floats(0, 600),
                wws_mib=st.one_of(st.none(), st.floats(16, 256)), zero_fraction=st.floats(0, 0.5))
links = st.builds(Link, bandwidth_mib_s=st.floats(12, 1200), latency_ms=st.floats(0, 5))


def test_pure_postcopy_is_the_zero_round_case():
    pure = postcopy(HOT, LINK, precopy_rounds=0)
    default = postcopy(HOT, LINK)
    assert _same(pure, default) and pure.precopy is None and pure.switched
    assert pure.data_sent_mib == HOT.memory_mib + HOT.device_state_mib  # every page once, plus the state
    assert pure.missing_mib == HOT.memory_mib


@FAST
@example(vm=VM(memory_mib=4115, dirty_rate_mib_s=13, zero_fraction=0.125), link=Link(bandwidth_mib_s=12, latency_ms=0),
         rounds=1, touch=None)  # the switch comes at the timeout, inside the first pass
@given(vm=vms, link=links, rounds=st.integers(1, 6), touch=st.one_of(st.none(), st.floats(0, 1e4), st.just(math.inf)))
def test_hybrid_is_precopy_rounds_then_postcopy_of_what_is_still_dirty(vm, link, rounds, touch):
    policy = PrecopyPolicy.qemu(timeout_s=300)
    h = postcopy(vm, link, policy, touch_rate_mib_s=touch, precopy_rounds=rounds)
    pre = precopy(vm, link, policy.replace(max_rounds=rounds, on_timeout="force"))
    assert (h.precopy.stop, h.precopy.data_sent_mib) == (pre.stop, pre.data_sent_mib)
    if pre.converged:  # QEMU finishes in pre-copy when the rest fits the downtime limit: no switch
        assert not h.switched and h.degradation_s == 0 and h.n_faults == 0
        assert (h.downtime_ms, h.total_time_s, h.data_sent_mib) == (pre.downtime_ms, pre.total_time_s, pre.data_sent_mib)
        return
    assert h.switched and h.completed
    missing = pre.final_copy_mib - vm.device_state_mib  # still dirty at the switch
    assert_allclose(h.missing_mib, missing)
    assert_allclose(h.data_sent_mib, pre.data_sent_mib)  # the same bytes: the dirty set once, plus the state
    assert_allclose(h.degradation_s, missing / link.bandwidth_mib_s)
    assert h.vulnerable_s == h.degradation_s
    assert_allclose(h.downtime_ms, postcopy(vm, link, policy).downtime_ms)  # the same brief stop
    assert_allclose(h.total_time_s, policy.setup_ms / 1000 + pre.precopy_time_s + h.downtime_ms / 1000 + h.degradation_s)
    assert 0 <= h.fault_mib <= missing * (1 + 1e-9)
    # fewer pages missing for a shorter time: no more faults than pure post-copy (within 0.1 %: a first
    # pass cut by the timeout leaves its unsent tail pending at full page size, zero pages included)
    assert h.fault_mib <= postcopy(vm, link, policy, touch_rate_mib_s=touch).fault_mib * (1 + 1e-3) + 1e-9


def test_hybrid_shortens_the_window_in_which_a_host_failure_loses_the_vm():
    pure = postcopy(HOT, LINK)
    hybrid = postcopy(HOT, LINK, precopy_rounds=1)  # libvirt --postcopy-after-precopy
    assert hybrid.switched and hybrid.missing_mib == pytest.approx(1024)  # only the working set is dirty
    assert hybrid.vulnerable_s < pure.vulnerable_s / 5
    assert hybrid.fault_mib < pure.fault_mib and hybrid.guest_slowdown_pct < pure.guest_slowdown_pct
    assert hybrid.data_sent_mib > pure.data_sent_mib  # the price: one more pass over memory
    phases = list(hybrid.phases["phase"])
    assert phases[:2] == ["preparation", "pre-copy (full pass)"] and phases[-1] == "degradation: push + demand faults"


def test_switch_at_the_timeout_when_no_round_limit_is_given():
    policy = PrecopyPolicy.qemu(timeout_s=60)
    r = postcopy(VM(memory_mib=4096, dirty_rate_mib_s=None, wws_mib=512), LINK, policy, precopy_rounds=None)
    assert r.switched and r.precopy.stop == "forced at timeout"
    pause = r.phases.set_index("phase").loc["pause: CPU/device state", "start_s"]
    assert_allclose(pause, 60.0)  # virsh --timeout 60 --timeout-postcopy
    assert r.missing_mib == pytest.approx(512)


def test_failure_modes_are_documented_as_qemu_has_them():
    doc = importlib.import_module("vmlab.migration.postcopy").__doc__
    for words in ("postcopy-paused", "migrate-recover", "QEMU 3.0", "host failure", "migrate-start-postcopy"):
        assert words in doc
    risk = compare_methods(HOT, LINK).table.set_index("method").loc["post-copy", "risk"]
    assert "either host" in risk and "network failure pauses" in risk


def test_precopy_rounds_bad_input():
    with pytest.raises(ValueError, match="precopy_rounds must be a whole number >= 0"):
        postcopy(HOT, LINK, precopy_rounds=-1)
    with pytest.raises(TypeError, match="precopy_rounds"):
        postcopy(HOT, LINK, precopy_rounds=1.5)


# ---- the comparison ---------------------------------------------------------------------------
def test_compare_methods_includes_the_hybrid():
    c = compare_methods(HOT, LINK)
    t = c.table.set_index("method")
    assert list(c.table["method"]) == list(METHODS) and "hybrid post-copy" in METHODS
    h = c.results["hybrid post-copy"]
    assert _same(h, postcopy(HOT, LINK, PrecopyPolicy.qemu(), precopy_rounds=1))
    assert t.loc["hybrid post-copy", "total_time_s"] == h.total_time_s
    assert t.loc["hybrid post-copy", "downtime_ms"] == pytest.approx(t.loc["post-copy", "downtime_ms"])
    assert c.best("downtime_ms") == "post-copy"  # a tie goes to the first
    c0 = compare_methods(HOT, LINK, hybrid_rounds=0)
    assert c0.table.iloc[1, 1:].equals(c0.table.iloc[2, 1:])  # zero rounds: the hybrid is pure post-copy


def test_postcopy_slowdown_is_percent_and_the_old_fraction_warns():
    r = postcopy(VM(memory_mib=2048, dirty_rate_mib_s=50, wws_mib=256), Link(), PrecopyPolicy.qemu())
    assert 0 < r.guest_slowdown_pct <= 100
    with pytest.warns(DeprecationWarning, match="guest_slowdown_pct"):
        assert r.guest_slowdown == pytest.approx(r.guest_slowdown_pct / 100)


# ---- post-copy ------------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None, derandomize=True)
@given(vm=strategies.vms, link=strategies.links, touch=st.one_of(st.none(), st.floats(0, 1e4), st.just(math.inf)))
def test_postcopy_sends_memory_exactly_once_plus_state(vm, link, touch):
    policy = PrecopyPolicy.qemu(zero_page_bytes=None)
    r = postcopy(vm, link, policy, touch_rate_mib_s=touch)
    assert_allclose(r.data_sent_mib, vm.memory_mib + vm.device_state_mib, rtol=1e-12)
    # downtime does not depend on the dirty rate: state + latency + resume + arp
    expected = (vm.device_state_mib / link.bandwidth_mib_s + (link.latency_ms + policy.resume_ms + policy.arp_ms) / 1000) * 1000
    assert_allclose(r.downtime_ms, expected, rtol=1e-12)
    assert 0 <= r.fault_mib <= vm.region_mib * (1 + 1e-12)
    assert 0 <= r.guest_slowdown_pct <= 100
    assert r.vulnerable_s == r.degradation_s > 0


def test_postcopy_faults_grow_with_touch_rate_and_working_set():
    link = Link(bandwidth_mib_s=119.2)
    f = [postcopy(VM(memory_mib=4096, wws_mib=1024), link, touch_rate_mib_s=a).n_faults for a in (1, 10, 100, 1000)]
    assert f == sorted(f) and f[0] < f[-1]
    g = [postcopy(VM(memory_mib=4096, dirty_rate_mib_s=50, wws_mib=w), link).n_faults for w in (128, 512, 2048)]
    assert g == sorted(g)
    # closed form at the end of the push equals the cumulative curve's last point
    r = postcopy(VM(memory_mib=4096, dirty_rate_mib_s=50, wws_mib=512), link)
    assert_allclose(r.progress["faults"].iloc[-1], r.n_faults)
    assert_allclose(expected_faults_mib(r.degradation_s, 512, math.inf, r.degradation_s), 512)


def test_postcopy_bad_input():
    with pytest.raises(ValueError, match="touch_rate_mib_s"):
        postcopy(VM(), Link(), touch_rate_mib_s=-1)
    with pytest.raises(TypeError, match="postcopy\\(\\) argument vm"):
        postcopy("vm", Link())


# ---- the comparison --------------------------------------------------------------------------------
@settings(max_examples=20, deadline=None, derandomize=True)
@given(vm=strategies.vms, link=strategies.links)
def test_comparison_orders_downtimes(vm, link):
    c = compare_methods(vm, link)
    t = c.table.set_index("method")
    assert list(c.table["method"]) == list(METHODS)
    if t.loc["pre-copy", "completed"]:
        assert t.loc["post-copy", "downtime_ms"] <= t.loc["pre-copy", "downtime_ms"] + 1e-9
    assert t.loc["cold", "downtime_ms"] >= t[t["completed"]]["downtime_ms"].max() - 1e-9
    assert t.loc["cold", "guest_slowdown_pct"] == 100.0
