"""Hypothesis strategies shared by the tests of the migration methods (round loop, auto-converge,
compression, post-copy and their comparison)."""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from vmlab import VM, Link, PrecopyPolicy

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
