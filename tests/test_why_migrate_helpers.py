"""Helpers behind notebook 04 (why migrate): the stacks' rate caps, the tables, the exercise bank.

The fast checks of what the notebook teaches: bare QEMU caps every migration at 128 MiB/s and
libvirt (and Nova) does not; with the cap, parallel migrations empty a host sooner, without it
one at a time is at the bandwidth bound; a short warning favours cold migration only with shared
storage. The bank's exercises answer themselves anywhere in the notebook's declared ranges.
"""

from __future__ import annotations

import itertools

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

import vmlab as vl
from tests.nbtools import answers_revealed_early
from vmlab.exercises.bank import exercises_of

FLEET = vl.random_fleet(6, seed=3)
LINK = vl.Link(bandwidth_mib_s=1192.0)


def test_stack_policy_caps_bare_qemu_only():
    qemu, libvirt = vl.stack_policy("qemu"), vl.stack_policy("libvirt")
    assert qemu.max_bandwidth_mib_s == vl.PrecopyPolicy.qemu().max_bandwidth_mib_s == 128.0
    assert libvirt.max_bandwidth_mib_s is None
    # everything else is QEMU's: the same switch-over rule and limit
    assert (qemu.downtime_limit_ms, qemu.stop_rule) == (libvirt.downtime_limit_ms, libvirt.stop_rule) == (300.0, "downtime")
    assert vl.stack_policy("libvirt", on_timeout="force").on_timeout == "force"


def test_stack_policy_names_a_bad_stack():
    with pytest.raises(ValueError, match="stack must be one of 'qemu', 'libvirt'; got 'nova'"):
        vl.stack_policy("nova")


def test_uncapped_migration_runs_at_link_speed():
    vm = vl.VM(memory_mib=8192)
    capped = vl.precopy(vm, LINK, vl.stack_policy("qemu"))
    free = vl.precopy(vm, LINK, vl.stack_policy("libvirt"))
    assert capped.total_time_s == pytest.approx(8192 / 128, rel=0.02)
    assert free.total_time_s == pytest.approx(8192 / 1192, rel=0.05)


def test_the_cap_decides_whether_parallel_migrations_help():
    table = vl.evacuation_by_stack(FLEET, LINK, parallel=(1, 4))
    capped = table.loc[vl.STACKS["qemu"]]
    free = table.loc[vl.STACKS["libvirt"]]
    assert capped["4 at once"] < 0.5 * capped["1 at a time"]   # the cap leaves 89 % of the link idle
    assert free["1 at a time"] < free["4 at once"]             # slicing the link only re-sends more
    one = vl.evacuate(FLEET, LINK, vl.stack_policy("libvirt", on_timeout="force"), parallel=1, order="shortest_first")
    assert free["1 at a time"] == pytest.approx(one.time_to_empty_s, abs=0.05)
    assert one.time_to_empty_s == pytest.approx(one.bandwidth_bound_s, rel=0.02)


def test_fleet_table_for_plain_and_placed_vms():
    plain = vl.fleet_table(FLEET)
    assert plain.index.tolist() == [f"vm{i}" for i in range(6)]
    assert plain["memory (MiB)"].tolist() == [v.memory_mib for v in FLEET]
    source, _ = vl.demo_hot_host()
    placed = vl.fleet_table(source)
    assert placed.loc["cache", "dirty rate (MiB/s)"] == 300.0 and placed["CPU (cores)"].sum() == 14.5
    with pytest.raises(ValueError, match="one label per VM"):
        vl.fleet_table(FLEET, names=["a"])


def test_escape_table_cold_wins_a_short_warning_only_with_shared_storage():
    kw = dict(time_to_failure_s=45.0, parallel=3)
    race = {
        "live": vl.escape_failing_host(FLEET, LINK, method="live", policy=vl.stack_policy("libvirt"), **kw),
        "cold": vl.escape_failing_host(FLEET, LINK, method="cold", **kw),
        "cold, disks copied": vl.escape_failing_host(FLEET, LINK, method="cold", shared_storage=False, disk_gib=50, **kw),
    }
    t = vl.escape_table(race)
    assert t.loc["cold", "VMs saved"] > t.loc["live", "VMs saved"] >= t.loc["cold, disks copied", "VMs saved"]
    assert t.loc["cold", "downtime summed (s)"] >= 60 * t.loc["cold", "VMs saved"]   # shutdown + boot each
    long = vl.escape_failing_host(FLEET, LINK, method="live", time_to_failure_s=3600, parallel=1,
                                  policy=vl.stack_policy("libvirt"))
    assert long.n_saved == len(FLEET) and long.total_downtime_s < 5   # enough warning: live saves all, for ms


# ---- the exercise bank across the declared ranges ----------------------------------------------
DEFAULTS = dict(N_VMS=8, FLEET_SEED=4, BANDWIDTH_MIB_S=1192.0, STACK="libvirt", PARALLEL=4, DISK_GIB=20.0,
                OVERLOAD_ABOVE=0.8, MIGRATION_CPU_OVERHEAD=0.1, N_HOSTS=8, IDLE_PERIOD_H=8.0, HOST_IDLE_W=125.0,
                HOST_DYNAMIC_W=125.0, HOST_BOOT_S=300.0, TIME_TO_FAILURE_S=90.0)
CORNERS = [
    {**DEFAULTS, "STACK": stack, "BANDWIDTH_MIB_S": bw, "PARALLEL": k, "N_VMS": n, "OVERLOAD_ABOVE": thr}
    for stack, bw, k, n, thr in itertools.product(("libvirt", "qemu"), (600.0, 2400.0), (2, 8), (4, 12), (0.6, 0.9))
][::3]


@pytest.mark.parametrize("params", CORNERS, ids=lambda p: f"{p['STACK']}-{p['BANDWIDTH_MIB_S']:g}-{p['PARALLEL']}-{p['N_VMS']}")
def test_every_04_exercise_answers_itself_at_the_corners_of_its_ranges(params):
    for ex in exercises_of("04_why_migrate"):
        expected = ex.expected_value(params)
        assert ex.mark(expected, params).correct, ex.id
        assert ex.solution_markdown(params), ex.id


def test_half_an_hour_of_consolidation_pays_under_libvirt_not_under_bare_qemu():
    """Exercise 4b's point: the migration plan decides which quiet periods are worth it."""
    ex = {e.id: e for e in exercises_of("04_why_migrate")}["4b"]
    assert ex.expected_value({**DEFAULTS, "STACK": "libvirt"}) is True
    assert ex.expected_value({**DEFAULTS, "STACK": "qemu"}) is False


def test_a_count_is_not_revealed_by_a_decimal_that_looks_like_it():
    """4d's answer is a count of VMs: "8.0 cores" above it is not a reveal, "12 VMs" is."""
    params = new_code_cell("\n".join(f"{k} = {v!r}" for k, v in DEFAULTS.items()), metadata={"tags": ["parameters"]})
    early = new_code_cell("print(cores)")
    early.outputs = [new_output("stream", name="stdout", text="db: 8.0 cores\n")]
    check = new_code_cell("vl.check('4d', answer_4d)")
    nb = new_notebook(cells=[params, early, check])
    assert answers_revealed_early(nb, "04_why_migrate") == []
    many = {**DEFAULTS, "N_VMS": 12, "PARALLEL": 8, "TIME_TO_FAILURE_S": 600.0}
    nb.cells[0] = new_code_cell("\n".join(f"{k} = {v!r}" for k, v in many.items()), metadata={"tags": ["parameters"]})
    early.outputs = [new_output("stream", name="stdout", text="cold: 12 VMs saved\n")]
    assert answers_revealed_early(nb, "04_why_migrate") == [
        "exercise 4d: its answer 12 is printed by cell 1, above its check (cell 2)"
    ]
    assert nbformat.validate(nb) is None
