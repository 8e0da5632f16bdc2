"""Compression and delta encoding on top of the shared round loop."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from tests.strategies import FAST, links, vms
from vmlab import VM, Compression, Link, PrecopyPolicy, compressed_precopy, precopy


def test_compression_buys_convergence_on_a_slow_link():
    vm = VM(memory_mib=4096, dirty_rate_mib_s=150, wws_mib=2048)
    link, qemu = Link(bandwidth_mib_s=119.2), PrecopyPolicy.qemu(max_bandwidth_mib_s=None)
    assert not precopy(vm, link, qemu).converged
    r = compressed_precopy(vm, link, qemu, compression=Compression.zlib())
    assert r.converged and r.data_sent_mib < r.memory_sent_mib and r.compression_cpu_s > 0


def test_no_compression_is_plain_precopy():
    vm, link = VM(memory_mib=4096, dirty_rate_mib_s=60, wws_mib=1024, zero_fraction=0.3), Link(bandwidth_mib_s=119.2)
    a, b = compressed_precopy(vm, link, compression=Compression.none()), precopy(vm, link)
    assert (a.n_rounds, a.stop) == (b.n_rounds, b.stop)
    assert a.total_time_s == pytest.approx(b.total_time_s, rel=1e-12)
    assert a.compression_cpu_s == 0 and a.memory_sent_mib == pytest.approx(a.data_sent_mib)


@pytest.mark.parametrize(
    "call, error, words",
    [
        (lambda: Compression(ratio=0.5), ValueError, ["Compression.ratio", ">= 1", "0.5"]),
        (lambda: Compression(threads=0), ValueError, ["Compression.threads", ">= 1"]),
        (lambda: Compression(applies_to="some"), ValueError, ["Compression.applies_to", "'dirty'"]),
        (lambda: Compression(name=3), TypeError, ["Compression.name"]),
        (lambda: Compression().replace(ratios=2), TypeError, ["ratios", "ratio"]),
        (lambda: compressed_precopy(VM(), Link(), compression="x"), TypeError, ["compression", "a Compression"]),
    ],
)
def test_bad_compression_gets_clear_errors(call, error, words):
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value)


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
