"""Compression and delta encoding on top of the shared round loop."""

from __future__ import annotations

import pytest

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
