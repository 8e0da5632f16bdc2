"""Results the migration-figure tests draw (module-scoped fixtures) and a helper to find a trace."""

from __future__ import annotations

import pytest

from vmlab import VM, Link, PrecopyPolicy, cold_migration, precopy

LINK = Link(bandwidth_mib_s=119.2)
VM_HOT = VM(memory_mib=4096, dirty_rate_mib_s=60, wws_mib=512, zero_fraction=0.2)


@pytest.fixture(scope="module")
def live():
    return precopy(VM_HOT, LINK, PrecopyPolicy.qemu())


@pytest.fixture(scope="module")
def cancelled():
    r = precopy(VM(memory_mib=4096, dirty_rate_mib_s=None, wws_mib=512), LINK, PrecopyPolicy.qemu(timeout_s=60))
    assert not r.completed and r.stop == "cancelled at timeout"
    return r


@pytest.fixture(scope="module")
def cold():
    return cold_migration(VM_HOT, LINK, disk_gib=40)


@pytest.fixture(scope="module")
def cold_shared():
    return cold_migration(VM_HOT, LINK, disk_gib=40, shared_storage=True)


def trace_named(fig, name):
    """The first trace of ``fig`` called ``name``."""
    return next(t for t in fig.data if t.name == name)
