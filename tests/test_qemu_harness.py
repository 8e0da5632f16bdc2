"""The real-migration harness (vmlab.qemu): one small live migration between two QEMUs.

These tests run real QEMU (TCG) processes; they skip on a laptop without QEMU or
``gcc -m32`` and fail in CI (``VMLAB_REQUIRE_SYSTEM_TESTS=1``), where ``.ci/run`` installs
``qemu-system-x86``, ``gcc-multilib`` and ``binutils``. Each migration takes a few seconds.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import require_or_skip
from vmlab.qemu import QemuUnavailable, missing_tools, run_migration
from vmlab.qemu.compare import CPU_BOUND_SHARE, measured_precopy_rate_mib_s
from vmlab.qemu.harness import REGION_BASE_MIB, ROW_COLUMNS, build_guest

pytestmark = [pytest.mark.qemu, pytest.mark.timeout(180)]

INSTALL_HINT = "install them with: apt-get install qemu-system-x86 gcc-multilib binutils"


def _require_qemu() -> None:
    missing = missing_tools()
    require_or_skip(not missing, "; ".join(missing) or "QEMU", INSTALL_HINT)


def _qemu_children() -> list[int]:
    """PIDs of qemu-system processes whose parent is this test process."""
    me, found = os.getpid(), []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        name = text[text.index("(") + 1 : text.rindex(")")]
        ppid = int(text[text.rindex(")") + 2 :].split()[1])
        if ppid == me and name.startswith("qemu-system"):
            found.append(int(stat.parent.name))
    return found


def test_bad_parameters_are_refused_before_anything_starts():
    with pytest.raises(ValueError, match="run_migration.fill_mib"):
        run_migration(memory_mib=64, fill_mib=100)
    with pytest.raises(ValueError, match="run_migration.max_bandwidth_mib_s"):
        run_migration(max_bandwidth_mib_s=0)
    with pytest.raises(TypeError, match="run_migration.memory_mib"):
        run_migration(memory_mib="128")


def test_guest_builds_outside_the_source_tree(tmp_path):
    require_or_skip(not any("gcc" in m for m in missing_tools()), "gcc -m32", INSTALL_HINT)
    elf = build_guest(cache_dir=tmp_path)
    assert elf.read_bytes()[:4] == b"\x7fELF" and elf.read_bytes()[4] == 1  # ELF32, for multiboot
    assert tmp_path in elf.parents
    assert build_guest(cache_dir=tmp_path) == elf  # cached: same sources, same file


def test_a_small_real_migration_matches_the_model():
    """128 MiB guest, 32 MiB filled, 4 MiB hot working set, 32 MiB/s cap, 300 ms limit.

    The working set (4 MiB) is well below max-bandwidth x downtime-limit (9.6 MiB), so QEMU
    converges after the first pass (~1 s) and copies the working set in the pause.
    """
    _require_qemu()
    run = run_migration(memory_mib=128, fill_mib=32, working_set_mib=4, max_bandwidth_mib_s=32,
                        downtime_limit_ms=300, timeout_s=20)
    row = run.row
    assert list(row) == list(ROW_COLUMNS)
    assert row["status"] == "completed" and row["converged"]
    # the destination's fill and working set equal the source's; at most the guest's two tiny
    # always-hot pages below 4 MiB (status block, stack) may be stale: QEMU 7.2's TCG bug
    stale = [int(a, 16) for a in row["stale_page_addrs"].split()]
    assert row["stale_pages"] <= 2 and all(a < REGION_BASE_MIB * 2**20 for a in stale), row
    # bytes: the filled 32 MiB + the 4 MiB working set again in the pause + ~0.5 MiB firmware,
    # and ~9 bytes for each of the ~24000 zero pages
    assert 36 <= row["transferred_mib"] <= 38, row
    assert row["zero_pages"] > 0.7 * 128 * 256
    assert 3.9 <= row["downtime_mib"] <= 4.5, row
    assert row["guest_write_rate_mib_s"] > 100  # unpaced TCG guest: GiB/s of page writes
    assert 0 < row["downtime_ms"] < 300
    assert not run.samples.empty and run.samples["status"].iloc[-1] == "completed"
    assert row["qemu_version"].count(".") == 2

    # the model's prediction for the same run (tolerances of tests/test_qemu_compare.py)
    from vmlab.qemu.compare import predict_row  # noqa: PLC0415 - the model side of the test

    pred = predict_row(row)
    assert pred["converged"] == row["converged"]
    assert abs(pred["data_sent_mib"] / row["transferred_mib"] - 1) < 0.10, (pred, row)
    # total time: 15 %, when the host delivered the cap the model assumes (a CI machine busy
    # with other tests may not: then the run is CPU-bound, as in tests/test_qemu_compare.py)
    rate = measured_precopy_rate_mib_s(pd.DataFrame([row])).iloc[0]
    if rate >= CPU_BOUND_SHARE * row["max_bandwidth_mib_s"]:
        assert abs(pred["total_time_s"] / row["total_time_s"] - 1) < 0.15, (pred, row)
    else:
        assert pred["total_time_s"] < row["total_time_s"], (pred, row)  # the host was the bottleneck
    assert _qemu_children() == []


def test_a_migration_that_cannot_converge_is_cancelled_and_cleaned_up():
    """16 MiB hot working set against a 16 MiB/s x 100 ms = 1.6 MiB threshold: never converges."""
    _require_qemu()
    run = run_migration(memory_mib=64, fill_mib=16, working_set_mib=16, max_bandwidth_mib_s=16,
                        downtime_limit_ms=100, timeout_s=1.5, verify=False)
    assert run.status == "cancelled" and not run.converged
    assert run.transferred_mib > 4  # data went out before the cancel
    assert run.total_time_s >= 1.5
    assert _qemu_children() == []


def test_missing_qemu_is_reported_clearly(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    assert any("qemu-system-x86_64" in m for m in missing_tools())
    with pytest.raises(QemuUnavailable, match="apt-get install qemu-system-x86"):
        run_migration(memory_mib=64, fill_mib=8)
