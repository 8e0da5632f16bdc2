"""vl.precopy_table and vl.stop_rules_table: the tables notebooks 01 and 07 show."""

from __future__ import annotations

import math

import pytest

import vmlab as vl


def test_precopy_table_lines_up_runs_and_leaves_a_cancelled_downtime_empty():
    vm = vl.VM(memory_mib=1024, dirty_rate_mib_s=None, wws_mib=512)
    link = vl.Link(bandwidth_mib_s=119.2)
    runs = {
        "idle": vl.precopy(vl.VM(memory_mib=1024), link),
        "hot": vl.precopy(vm, link, vl.PrecopyPolicy.qemu(timeout_s=60)),
    }
    table = vl.precopy_table(runs)
    assert list(table.index) == ["idle", "hot"]
    assert table.loc["idle", "rounds"] == 1 and table.loc["hot", "stop"] == "cancelled at timeout"
    assert math.isnan(table.loc["hot", "downtime (ms)"])
    reasons = vl.stop_reasons(runs)
    assert reasons["hot"] == runs["hot"].stop_reason
    assert f"- **hot**: {runs['hot'].stop_reason}" in reasons._repr_markdown_()  # whole, never cut


def test_stop_rules_table_is_read_from_the_policies_fields():
    qemu, legacy = vl.PrecopyPolicy.qemu(downtime_limit_ms=50), vl.PrecopyPolicy.xen_legacy()
    table = vl.stop_rules_table(qemu, legacy, legacy.replace(name="Xen, 10 rounds", max_rounds=10))
    assert table.loc["QEMU", "switch over when"] == "dirty data < bandwidth x 50 ms"
    assert table.loc["QEMU", "round cap"] == "none" and table.loc["QEMU", "pre-copy rate cap"] == "128 MiB/s"
    assert "cancel" in table.loc["QEMU", "timeout"]
    assert table.loc["Xen (legacy)", "switch over when"] == f"fewer than {legacy.min_dirty_pages} pages dirty"
    assert table.loc["Xen (legacy)", "dirty set grows"] == "force the pause"
    assert table.loc["Xen, 10 rounds", "round cap"].startswith("10 live rounds")
    assert table.loc["Xen (legacy)", "pre-copy rate cap"] == "none (link speed)"


@pytest.mark.parametrize("call", [
    lambda: vl.precopy_table({}),
    lambda: vl.precopy_table({"x": 3}),
    lambda: vl.stop_reasons([]),
    lambda: vl.stop_rules_table(),
    lambda: vl.stop_rules_table("QEMU"),
])
def test_the_tables_reject_what_is_not_a_run_or_a_policy(call):
    with pytest.raises(TypeError):
        call()
