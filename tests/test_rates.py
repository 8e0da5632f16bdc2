"""Rates that follow from a policy (vmlab.migration.rates): the rule the model runs, and its old names."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from vmlab import VM, Link, PrecopyPolicy, precopy
from vmlab.migration.rates import precopy_rate_mib_s, working_set_bandwidth_mib_s
from vmlab.qemu.compare import measured_precopy_rate_mib_s

POLICIES = [
    PrecopyPolicy.qemu(),
    PrecopyPolicy.libvirt(),
    PrecopyPolicy.xen(),
    PrecopyPolicy.qemu(max_bandwidth_mib_s=50.0, bandwidth_efficiency=0.9),
]


@settings(max_examples=40, deadline=None, derandomize=True)
@given(bandwidth=st.floats(1, 5000), policy=st.sampled_from(POLICIES))
def test_rate_is_the_one_the_model_runs_at(bandwidth, policy):
    r = precopy(VM(memory_mib=1024, dirty_rate_mib_s=10), Link(bandwidth_mib_s=bandwidth), policy)
    assert_allclose(precopy_rate_mib_s(bandwidth, policy), r.precopy_rate_mib_s, rtol=1e-12)


def test_rate_follows_the_cap_and_efficiency_elementwise():
    # QEMU's max-bandwidth default: 128 MiB/s (migration/options.c, MAX_THROTTLE)
    policy = PrecopyPolicy.qemu(bandwidth_efficiency=0.5)
    assert_allclose(precopy_rate_mib_s(np.array([100.0, 128.0, 1192.0]), policy), [50.0, 64.0, 64.0])


def test_working_set_fits_from_that_bandwidth_on():
    policy = PrecopyPolicy.qemu(max_bandwidth_mib_s=None, timeout_s=60)
    need = working_set_bandwidth_mib_s(256.0, policy)
    assert_allclose(precopy_rate_mib_s(need, policy) * policy.downtime_limit_ms / 1000, 256.0)
    vm = VM(memory_mib=4096, dirty_rate_mib_s=None, wws_mib=256)  # a writer faster than any link
    assert precopy(vm, Link(bandwidth_mib_s=1.05 * need), policy).converged
    assert not precopy(vm, Link(bandwidth_mib_s=0.95 * need), policy).converged


def test_bad_arguments_name_themselves():
    with pytest.raises(TypeError, match="policy must be PrecopyPolicy"):
        precopy_rate_mib_s(100.0, "qemu")
    with pytest.raises(ValueError, match="wws_mib"):
        working_set_bandwidth_mib_s(-1.0, PrecopyPolicy.qemu())


def test_old_names_still_work_with_a_warning():
    import vmlab.figures.migration as figures
    import vmlab.qemu.compare as qemu_compare

    with pytest.warns(DeprecationWarning, match="precopy_rate_mib_s"):
        assert figures.precopy_rate is precopy_rate_mib_s
    with pytest.warns(DeprecationWarning, match="measured_precopy_rate_mib_s"):
        assert qemu_compare.precopy_rate is measured_precopy_rate_mib_s


def test_measured_rate_reads_the_run_not_the_model():
    runs = pd.DataFrame({"status": ["completed", "cancelled"], "total_time_s": [10.0, 30.0],
                         "downtime_ms": [np.nan, np.nan], "precopy_mib": [640.0, np.nan],
                         "transferred_mib": [700.0, 900.0]})
    runs.loc[0, "downtime_ms"] = 2000.0
    assert_allclose(measured_precopy_rate_mib_s(runs), [640.0 / 8.0, 900.0 / 30.0])
