"""Beyond plain pre-copy: the round loop, auto-converge, compression, post-copy, the comparison."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from vmlab import (
    VM,
    AutoConvergePolicy,
    Compression,
    Link,
    PrecopyPolicy,
    autoconverge,
    compare_methods,
    compressed_precopy,
    postcopy,
    precopy,
)
from vmlab.explorers.beyond import autoconverge_explorer, methods_explorer
from vmlab.figures.methods import compression_figure, methods_figure, postcopy_figure
from vmlab.migration.autoconverge import run_rounds
from vmlab.migration.postcopy import METHODS, expected_faults_mib

FAST = settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])

vms = st.builds(
    VM,
    memory_mib=st.floats(256, 16384),
    dirty_rate_mib_s=st.floats(0, 600),
    wws_mib=st.one_of(st.none(), st.floats(16, 256)),
    dirty_pattern=st.sampled_from(["working_set", "uniform"]),
    zero_fraction=st.floats(0, 0.5),
)
links = st.builds(Link, bandwidth_mib_s=st.floats(12, 1200), latency_ms=st.floats(0, 5))
policies = st.sampled_from([
    PrecopyPolicy.qemu(timeout_s=300),
    PrecopyPolicy.qemu(max_bandwidth_mib_s=None, bandwidth_window_ms=None, timeout_s=120, on_timeout="force"),
    PrecopyPolicy.xen_legacy(),
    PrecopyPolicy.xen(),
])


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
    assert loop.guest_slowdown == 0 and loop.final_throttle_pct == 0
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
    assert r.final_throttle_pct > 0 and 0 < r.guest_slowdown < 1


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
    assert r.final_throttle_pct == 0 and r.guest_slowdown == 0
    assert_allclose(r.total_time_s, ref.total_time_s, rtol=1e-9)


def test_autoconverge_bad_input():
    with pytest.raises(ValueError, match="AutoConvergePolicy.initial_pct"):
        AutoConvergePolicy(initial_pct=0)
    with pytest.raises(ValueError, match="AutoConvergePolicy.initial_pct .* must be at most"):
        AutoConvergePolicy(initial_pct=60, max_pct=50)
    with pytest.raises(TypeError, match="AutoConvergePolicy.trigger_count"):
        AutoConvergePolicy(trigger_count=1.5)
    with pytest.raises(TypeError, match="throttle must be an AutoConvergePolicy"):
        run_rounds(VM(), Link(), throttle=0.2)
    with pytest.raises(TypeError, match="no field"):
        AutoConvergePolicy().replace(start=3)


# ---- compression ----------------------------------------------------------------------------------
@FAST
@given(vm=vms, link=links)
def test_neutral_compression_changes_nothing(vm, link):
    neutral = Compression(ratio=1.0, cpu_s_per_mib=0.0)
    a, b = compressed_precopy(vm, link, compression=neutral), precopy(vm, link)
    assert a.n_rounds == b.n_rounds
    assert_allclose(a.total_time_s, b.total_time_s, rtol=1e-6)
    assert_allclose(a.data_sent_mib, b.data_sent_mib, rtol=1e-6)


@FAST
@given(vm=vms, ratio=st.floats(1.5, 10))
def test_free_compression_sends_less_and_is_never_slower(vm, ratio):
    link, policy = Link(bandwidth_mib_s=119.2), PrecopyPolicy.qemu(max_bandwidth_mib_s=None, bandwidth_window_ms=None)
    plain = precopy(vm, link, policy)
    comp = compressed_precopy(vm, link, policy, compression=Compression(ratio=ratio, cpu_s_per_mib=0.0))
    assume(plain.converged and comp.converged)
    assert comp.data_sent_mib < plain.data_sent_mib
    assert comp.precopy_time_s <= plain.precopy_time_s * (1 + 1e-9)
    assert comp.memory_sent_mib >= comp.data_sent_mib


def test_slow_encoder_makes_compression_a_loss_on_a_fast_link():
    vm, link = VM(memory_mib=4096), Link(bandwidth_mib_s=1192)
    policy = PrecopyPolicy.qemu(max_bandwidth_mib_s=None)
    slow = Compression(ratio=3.0, cpu_s_per_mib=0.01, threads=1)  # 100 MiB/s encoder
    assert compressed_precopy(vm, link, policy, compression=slow).total_time_s > precopy(vm, link, policy).total_time_s
    r = compressed_precopy(vm, link, policy, compression=slow)
    assert_allclose(r.compression_cpu_s, r.memory_sent_mib * 0.01 - vm.device_state_mib * 0.01, rtol=1e-6)


def test_xbzrle_only_helps_dirty_passes_and_depends_on_cache():
    x = Compression.xbzrle()
    assert x.effective_ratios(32)[0] == 1.0 and x.effective_ratios(32)[1] == x.ratio  # fits: every re-send hits
    assert x.effective_ratios(4096)[1] < x.effective_ratios(256)[1]
    assert_allclose(x.effective_ratios(128)[1], 1 / (0.5 / 8 + 0.5))


def test_compression_bad_input():
    with pytest.raises(ValueError, match="Compression.ratio"):
        Compression(ratio=0.5)
    with pytest.raises(ValueError, match="Compression.applies_to"):
        Compression(applies_to="some")
    with pytest.raises(ValueError, match="Compression.cpu_s_per_mib"):
        Compression(cpu_s_per_mib=-1)
    with pytest.raises(TypeError, match="compression must be a Compression"):
        compressed_precopy(VM(), Link(), compression="zlib")


# ---- post-copy ------------------------------------------------------------------------------------
@settings(max_examples=40, deadline=None, derandomize=True)
@given(vm=vms, link=links, touch=st.one_of(st.none(), st.floats(0, 1e4), st.just(math.inf)))
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
@given(vm=vms, link=links)
def test_comparison_orders_downtimes(vm, link):
    c = compare_methods(vm, link)
    t = c.table.set_index("method")
    assert list(c.table["method"]) == list(METHODS)
    if t.loc["pre-copy", "completed"]:
        assert t.loc["post-copy", "downtime_ms"] <= t.loc["pre-copy", "downtime_ms"] + 1e-9
    assert t.loc["cold", "downtime_ms"] >= t[t["completed"]]["downtime_ms"].max() - 1e-9
    assert t.loc["cold", "guest_slowdown_pct"] == 100.0


def test_comparison_figures_draw_what_they_are_given():
    c = compare_methods(VM(memory_mib=4096, dirty_rate_mib_s=200), Link(bandwidth_mib_s=119.2))
    fig = methods_figure(c)
    assert_allclose(fig.data[1].y, c.table["total_time_s"])
    assert np.isnan(fig.data[0].y[0])  # pre-copy did not complete: no downtime bar
    assert fig.data[0].text[0] == "did not complete"
    assert len(postcopy_figure(c.results["post-copy"]).data) == 2
    comp = {"plain": c.results["pre-copy + auto-converge"],
            "XBZRLE": compressed_precopy(VM(memory_mib=4096, dirty_rate_mib_s=200), Link(bandwidth_mib_s=119.2))}
    assert list(compression_figure(comp).data[0].x) == ["plain", "XBZRLE"]


# ---- explorers without a browser ----------------------------------------------------------------------
@pytest.mark.parametrize("make, key, values, trace", [
    (methods_explorer, "dirty_rate_mib_s", [150.0, 250.0, 350.0], 1),
    (autoconverge_explorer, "initial_pct", [30.0, 40.0, 50.0], 2),
])
def test_explorer_sliders_move_the_figure_fast(make, key, values, trace):
    app = make()
    assert isinstance(list(app.controls.values())[0].value, (int, float))  # first control is a slider
    cpu = []
    for v in values:
        before = list(app.figure.data[trace].y)
        app.controls[key].value = v
        assert list(app.figure.data[trace].y) != before
        cpu.append(app.last_update_cpu_ms)
    assert "⚠" not in app.readout.value


def test_explorer_reports_bad_values_instead_of_crashing():
    app = methods_explorer()
    app.controls["wws_mib"].value = app.controls["wws_mib"].max
    app.controls["dirty_rate_mib_s"].value = 0.0
    assert "⚠" not in app.readout.value
