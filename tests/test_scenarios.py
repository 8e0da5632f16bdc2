"""Why migrate: maintenance evacuation, load balancing, consolidation, fault tolerance."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from vmlab import (
    VM,
    HostPower,
    Link,
    PlacedVM,
    PrecopyPolicy,
    balance_load,
    compare_evacuations,
    consolidate,
    escape_curve,
    escape_failing_host,
    evacuate,
    precopy,
    random_fleet,
)
from vmlab.explorers.scenarios import balancing_explorer, consolidation_explorer, evacuation_explorer, race_explorer
from vmlab.figures.scenarios import evacuation_comparison_figure, evacuation_gantt, escape_curve_figure, race_figure
from vmlab.scenarios import ORDERS, first_fit_decreasing

PROPS = settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
FEW = settings(max_examples=10, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])

fleets = st.lists(
    st.builds(VM, memory_mib=st.floats(256, 16384), dirty_rate_mib_s=st.floats(0, 300),
              wws_mib=st.one_of(st.none(), st.floats(32, 256))),
    min_size=1, max_size=8,
)


# ---- maintenance ------------------------------------------------------------------------------------
@PROPS
@given(vms=fleets, k=st.integers(1, 6), order=st.sampled_from(ORDERS), bandwidth=st.floats(12, 2400))
def test_evacuation_never_beats_the_bandwidth_bound(vms, k, order, bandwidth):
    r = evacuate(vms, Link(bandwidth_mib_s=bandwidth), parallel=k, order=order)
    assert r.host_empty  # the default policy forces a migration that does not converge
    assert r.time_to_empty_s >= r.data_moved_mib / bandwidth * (1 - 1e-9)
    s = r.schedule
    # never more than k migrations at once
    events = sorted([(t, 1) for t in s["start_s"]] + [(t, -1) for t in s["end_s"]], key=lambda e: (e[0], e[1]))
    assert max(itertools.accumulate(d for _, d in events)) <= k
    assert_allclose(r.total_downtime_ms, s["downtime_ms"].sum())
    assert r.worst_downtime_ms == s["downtime_ms"].max()


@FEW
@given(vms=fleets)
def test_sequential_evacuation_is_the_sum_of_single_migrations(vms):
    link = Link(bandwidth_mib_s=119.2)
    policy = PrecopyPolicy.qemu(on_timeout="force")
    r = evacuate(vms, link, policy)
    singles = [precopy(v, link, policy) for v in vms]
    assert_allclose(r.time_to_empty_s, sum(x.total_time_s for x in singles), rtol=1e-9)
    assert_allclose(r.data_moved_mib, sum(x.data_sent_mib for x in singles), rtol=1e-9)


@FEW
@given(vms=fleets)
def test_shortest_first_minimises_mean_completion(vms):
    link = Link(bandwidth_mib_s=119.2)
    spt = evacuate(vms, link, order="shortest_first").mean_completion_s
    for order in ORDERS:
        assert spt <= evacuate(vms, link, order=order).mean_completion_s * (1 + 1e-9)


def test_parallel_helps_when_the_policy_caps_each_migration_but_costs_downtime():
    vms = random_fleet(8, seed=4)
    t = compare_evacuations(vms, Link(bandwidth_mib_s=1192), parallel=(1, 4), orders=("largest_first",)).set_index("parallel")
    # QEMU caps each migration at 128 MiB/s: one at a time leaves most of a 10 Gbit/s link idle
    assert t.loc[4, "time_to_empty_s"] < t.loc[1, "time_to_empty_s"]
    assert t.loc[4, "worst_downtime_ms"] > t.loc[1, "worst_downtime_ms"]
    fig = evacuation_comparison_figure(compare_evacuations(vms, Link(bandwidth_mib_s=1192), parallel=(1, 2)))
    assert len(fig.data) == 5


def test_cancelled_migration_leaves_the_host_not_empty():
    vms = [VM(memory_mib=1024), VM(memory_mib=2048, dirty_rate_mib_s=None, wws_mib=512)]
    r = evacuate(vms, Link(bandwidth_mib_s=119.2), PrecopyPolicy.qemu(timeout_s=60))
    assert not r.host_empty and math.isinf(r.time_to_empty_s)
    fig = evacuation_gantt(r)
    assert list(fig.data[2].y) == ["vm1"]


def test_evacuation_bad_input():
    with pytest.raises(TypeError, match="vms must be a non-empty list of VM"):
        evacuate([], Link())
    with pytest.raises(TypeError, match=r"vms\[1\] must be a VM"):
        evacuate([VM(), "vm"], Link())
    with pytest.raises(ValueError, match="parallel must be a whole number >= 1"):
        evacuate([VM()], Link(), parallel=0)
    with pytest.raises(ValueError, match="order must be one of"):
        evacuate([VM()], Link(), order="random")
    with pytest.raises(ValueError, match="names must have one label per VM"):
        evacuate([VM()], Link(), names=["a", "b"])


# ---- fault tolerance ------------------------------------------------------------------------------
@FEW
@given(vms=fleets, ttf=st.floats(0, 2000), method=st.sampled_from(["live", "cold"]), k=st.integers(1, 4))
def test_shortest_first_saves_the_most_vms(vms, ttf, method, k):
    link = Link(bandwidth_mib_s=119.2)
    best = escape_failing_host(vms, link, time_to_failure_s=ttf, method=method, order="shortest_first", parallel=1)
    for order in ORDERS:
        r = escape_failing_host(vms, link, time_to_failure_s=ttf, method=method, order=order, parallel=1)
        assert r.n_saved <= best.n_saved
        assert r.n_saved + r.n_lost == len(vms)
    r = escape_failing_host(vms, link, time_to_failure_s=ttf, method=method, parallel=k)
    later = escape_failing_host(vms, link, time_to_failure_s=ttf + 100, method=method, parallel=k)
    assert later.n_saved >= r.n_saved


def test_live_vs_cold_race():
    vms = [VM(memory_mib=8192, dirty_rate_mib_s=40, wws_mib=2048) for _ in range(4)]
    link = Link(bandwidth_mib_s=119.2)
    live = escape_failing_host(vms, link, time_to_failure_s=120)
    cold = escape_failing_host(vms, link, time_to_failure_s=120, method="cold")  # shared storage: nothing big to copy
    assert cold.n_saved > live.n_saved
    assert cold.total_downtime_s > 100 * live.total_downtime_s  # but every cold VM is down for a boot
    curve = escape_curve(vms, link, lead_times_s=[0, 60, 300, 3000])
    assert (curve.groupby("method")["n_saved"].apply(lambda s: s.is_monotonic_increasing)).all()
    assert len(escape_curve_figure(curve).data) == 2
    fig = race_figure(live)
    assert len(fig.data[0].y) == live.n_saved and len(fig.data[1].y) == live.n_lost


def test_race_bad_input():
    with pytest.raises(ValueError, match="time_to_failure_s"):
        escape_failing_host([VM()], Link(), time_to_failure_s=-5)
    with pytest.raises(ValueError, match="method must be one of"):
        escape_failing_host([VM()], Link(), time_to_failure_s=5, method="warm")


# ---- load balancing -----------------------------------------------------------------------------------
def _hot(cpus):
    return [PlacedVM(name=f"v{i}", vm=VM(memory_mib=1024 * (i + 1), dirty_rate_mib_s=10 * i), cpu_cores=c) for i, c in enumerate(cpus)]


@PROPS
@given(cpus=st.lists(st.floats(0.5, 6), min_size=1, max_size=6), dst=st.floats(0, 8), ovh=st.floats(0, 0.5))
def test_balancing_choice_and_overheads(cpus, dst, ovh):
    r = balance_load(_hot(cpus), [PlacedVM(name="d", vm=VM(), cpu_cores=dst)], Link(bandwidth_mib_s=1192),
                     source_cores=16, destination_cores=16, migration_cpu_overhead=ovh)
    c = r.candidates
    u = r.utilisation.set_index("host")
    if r.chosen is None:
        assert not c["feasible"].any()
        assert_allclose(u["after"], u["before"])
        return
    row = c.set_index("name").loc[r.chosen]
    assert row["feasible"] and row["benefit_per_gib"] == c[c["feasible"]]["benefit_per_gib"].max()
    assert_allclose(u.loc["source", "after"], u.loc["source", "before"] - row["cpu_cores"] / 16)
    assert_allclose(u.loc["source", "during"], u.loc["source", "before"] + ovh * row["cpu_cores"] / 16)
    assert u.loc["destination", "after"] <= r.overload_above + 1e-12
    assert 0 < r.network_share <= 1


def test_balancing_example_and_cloudsim_estimate():
    from vmlab import demo_hot_host

    src, dst = demo_hot_host()
    r = balance_load(src, dst, Link(bandwidth_mib_s=1192))
    assert r.relieved
    # CloudSim: migration time = RAM / (bandwidth / 2)
    mem = {p.name: p.vm.memory_mib for p in src}[r.chosen]
    assert_allclose(r.cloudsim_time_s, mem / (1192 / 2))
    assert "would overload destination" not in set(r.candidates.set_index("name").loc[[r.chosen], "reason"])


def test_balancing_bad_input():
    with pytest.raises(TypeError, match="source must be a non-empty list of PlacedVM"):
        balance_load([], [], Link())
    with pytest.raises(ValueError, match="PlacedVM.cpu_cores"):
        PlacedVM(name="x", vm=VM(), cpu_cores=-1)
    with pytest.raises(ValueError, match="overload_above"):
        balance_load(_hot([1]), [], Link(), overload_above=1.5)


# ---- consolidation ---------------------------------------------------------------------------------
@PROPS
@given(cpus=st.lists(st.floats(0.25, 8), min_size=2, max_size=24), n_hosts=st.integers(2, 10),
       idle_w=st.floats(20, 300), boot=st.floats(0, 900), frac=st.floats(0, 1))
def test_consolidation_saves_nothing_below_break_even(cpus, n_hosts, idle_w, boot, frac):
    vms = [PlacedVM(name=f"v{i}", vm=VM(memory_mib=2048, dirty_rate_mib_s=5), cpu_cores=c) for i, c in enumerate(cpus)]
    power = HostPower(idle_w=idle_w, dynamic_w=100, off_w=5, boot_s=boot)
    r = consolidate(vms, Link(bandwidth_mib_s=1192), n_hosts=n_hosts, host_cores=32, power=power)
    assert r.hosts_after <= r.hosts_before
    assert_allclose(r.hosts["before"].sum(), r.hosts["after"].sum())  # CPU work is conserved
    assert (r.hosts["after"] <= 0.8 + 1e-9).all()
    # linear power: the saving is the idle power of the hosts switched off
    assert_allclose(r.power_saved_w, (r.hosts_before - r.hosts_after) * (idle_w - 5), rtol=1e-9, atol=1e-9)
    if math.isfinite(r.break_even_s):
        assert r.net_saved_j(frac * r.break_even_s) <= 1e-6
        assert r.net_saved_j(r.break_even_s * 1.01 + 1) > 0
    else:
        assert (r.net_saved_j(np.array([0, 3600, 86400.0])) <= 0).all()


def test_consolidation_short_idle_is_not_worth_it():
    vms = [PlacedVM(name=f"v{i}", vm=VM(memory_mib=8192, dirty_rate_mib_s=20), cpu_cores=2) for i in range(12)]
    r = consolidate(vms, Link(bandwidth_mib_s=119.2), n_hosts=6, idle_period_s=600)
    assert r.n_moved > 0 and not r.worth_it and r.net_saved_kwh < 0
    long = consolidate(vms, Link(bandwidth_mib_s=119.2), n_hosts=6, idle_period_s=12 * 3600)
    assert long.worth_it and long.idle_period_s > long.break_even_s


def test_first_fit_decreasing_respects_capacity():
    rng = np.random.default_rng(5)
    cpu, mem = rng.uniform(0.1, 6, 40), rng.uniform(256, 16384, 40)
    host = first_fit_decreasing(cpu, mem, host_cores=16, host_memory_mib=65536, max_utilisation=0.75)
    for h in np.unique(host):
        assert cpu[host == h].sum() <= 12 + 1e-9 and mem[host == h].sum() <= 65536
    with pytest.raises(ValueError, match="does not fit on an empty host"):
        first_fit_decreasing([20], [1], host_cores=16, host_memory_mib=10)


def test_consolidation_bad_input():
    with pytest.raises(ValueError, match="HostPower.off_w"):
        HostPower(idle_w=10, off_w=20)
    with pytest.raises(ValueError, match="HostPower.idle_w"):
        HostPower(idle_w=-1)
    with pytest.raises(ValueError, match="placement must hold one host index"):
        consolidate(_hot([1, 2]), Link(), placement=[0])
    with pytest.raises(ValueError, match="idle_period_s"):
        consolidate(_hot([1, 2]), Link(), idle_period_s=-1)


# ---- explorers without a browser ----------------------------------------------------------------------
@pytest.mark.parametrize("make, key, values, trace", [
    (evacuation_explorer, "parallel", [2, 3, 4], 0),
    (balancing_explorer, "migration_cpu_overhead", [0.2, 0.3, 0.4], 0),
    (consolidation_explorer, "idle_period_h", [1.0, 2.0, 3.0], 3),
    (race_explorer, "time_to_failure_s", [200.0, 400.0, 800.0], 0),
])
def test_explorers_move_their_figures(make, key, values, trace):
    app = make()
    first = list(app.controls.values())[0]
    assert first.__class__.__name__.endswith("Slider")  # the browser test drives the first slider
    for v in values:
        before = (list(app.figure.data[trace].x), list(app.figure.data[trace].y))
        app.controls[key].value = v
        assert (list(app.figure.data[trace].x), list(app.figure.data[trace].y)) != before
    assert "⚠" not in app.readout.value


@pytest.mark.parametrize(
    "call, words",
    [
        (lambda: balance_load(*_demo(), Link(), policy="x"), ["policy", "PrecopyPolicy"]),
        (lambda: escape_failing_host([VM()], Link(), time_to_failure_s=10, policy="x"), ["policy", "PrecopyPolicy"]),
        (lambda: escape_failing_host([VM()], Link(), time_to_failure_s=10, method="cold", cold_policy="x"), ["cold_policy"]),
        (lambda: evacuate([VM()], Link(), policy="x"), ["policy", "PrecopyPolicy"]),
        (lambda: consolidate([PlacedVM(name="a", vm=VM(), cpu_cores=1)], Link(), policy="x"), ["policy", "PrecopyPolicy"]),
        (lambda: PlacedVM(name="a", vm="x", cpu_cores=1), ["PlacedVM.vm", "a VM"]),
        (lambda: PlacedVM(name="a", vm=VM()), ["cpu_cores"]),
        (lambda: HostPower(idle_w="x"), ["HostPower.idle_w"]),
    ],
)
def test_wrong_types_get_clear_errors(call, words):
    with pytest.raises(TypeError) as info:
        call()
    for word in words:
        assert word in str(info.value)


def _demo():
    from vmlab import demo_hot_host

    return demo_hot_host()


def test_evacuation_honours_the_page_size():
    """A VM with 2 MiB pages runs in evacuate exactly as in precopy (Xen's page count uses the page size)."""
    vm = VM(memory_mib=4096, page_size_kib=2048, dirty_rate_mib_s=50)
    one = precopy(vm, Link(), PrecopyPolicy.xen())
    row = evacuate([vm], Link(), PrecopyPolicy.xen()).schedule.iloc[0]
    assert (bool(row["converged"]), bool(row["completed"])) == (one.converged, one.completed)
    assert_allclose(row["end_s"], one.total_time_s, rtol=1e-12)
    assert_allclose(row["downtime_ms"], one.downtime_ms, rtol=1e-12)


def test_labels_must_be_strings_one_per_vm():
    with pytest.raises(TypeError, match="names must be a list of strings"):
        escape_failing_host([VM()], Link(), time_to_failure_s=10, names=5)
    with pytest.raises(TypeError, match=r"names\[0\] must be a string"):
        evacuate([VM()], Link(), names=[3])
    with pytest.raises(ValueError, match="one label per VM"):
        evacuate([VM(), VM()], Link(), names=["a"])
