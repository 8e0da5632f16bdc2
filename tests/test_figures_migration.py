"""Migration figures: built from real model results, traces carry the results' numbers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from vmlab import (
    VM,
    Host,
    Link,
    PrecopyPolicy,
    cold_migration,
    live_migration_with_storage,
    live_vs_cold_grid,
    precopy,
    precopy_grid,
)
from vmlab.figures.live_vs_cold import live_vs_cold_reasons
from vmlab.figures.migration import (
    COLOURS,
    TIMELINE_LABELS,
    convergence_map_figure,
    downtime_curve_figure,
    format_duration,
    live_vs_cold_figure,
    live_vs_cold_verdict,
    rounds_figure,
    timeline_figure,
    winner_map_figure,
)

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


def _bar_colours(trace) -> list[str]:
    return list(trace.marker.color)


# ---- rounds -----------------------------------------------------------------------------------
def test_rounds_bars_are_the_rounds_table(live):
    fig = rounds_figure(live)
    r = live.rounds
    assert_allclose(fig.data[0].y, r["sent_mib"])
    assert_allclose(fig.data[0].x, r["round"])
    live_rows = r[r["phase"] != "stop-and-copy"]
    assert_allclose(fig.data[1].y, live_rows["dirtied_mib"])
    assert_allclose(fig.data[1].x, live_rows["round"])
    # the stop-and-copy bar, and only that one, is red and hatched
    colours = _bar_colours(fig.data[0])
    stop = (r["phase"] == "stop-and-copy").to_numpy()
    assert stop.sum() == 1
    assert [c == COLOURS["stop-and-copy"] for c in colours] == list(stop)
    assert [p == "/" for p in fig.data[0].marker.pattern.shape] == list(stop)
    # its height is what the blackout copies: remaining dirty data plus device state
    assert fig.data[0].y[-1] == pytest.approx(live.final_copy_mib)


def test_rounds_threshold_line_and_title(live):
    fig = rounds_figure(live)
    line = fig.data[2]
    assert line.mode == "lines"
    assert list(line.y) == [live.threshold_mib, live.threshold_mib]
    # spans every bar
    assert line.x[0] < live.rounds["round"].min() and line.x[1] > live.rounds["round"].max()
    # QEMU threshold: pre-copy rate x downtime limit (119.2 MiB/s x 0.3 s)
    assert live.threshold_mib == pytest.approx(119.2 * 0.3)
    assert live.stop in fig.layout.title.text and "QEMU" in fig.layout.title.text
    assert format_duration(live.downtime_ms / 1000) in fig.layout.title.text


def test_rounds_log_axis_for_geometric_rounds(live):
    assert rounds_figure(live).layout.yaxis.type == "log"
    assert rounds_figure(live, log_y=False).layout.yaxis.type == "linear"


def test_rounds_no_dirtying_is_one_full_pass():
    r = precopy(VM(memory_mib=2048, dirty_rate_mib_s=0), LINK)
    assert r.n_rounds == 1
    fig = rounds_figure(r)
    assert list(r.rounds["phase"]) == ["full pass", "stop-and-copy"]
    assert len(fig.data[0].y) == 2
    assert_allclose(fig.data[0].y, r.rounds["sent_mib"])
    assert_allclose(fig.data[1].y, [0.0])  # nothing dirtied during the one live round
    assert _bar_colours(fig.data[0]) == [COLOURS["sent"], COLOURS["stop-and-copy"]]


def test_rounds_cancelled_has_no_stop_and_copy(cancelled):
    fig = rounds_figure(cancelled)
    assert COLOURS["stop-and-copy"] not in _bar_colours(fig.data[0])
    assert_allclose(fig.data[0].y, cancelled.rounds["sent_mib"])
    assert "cancelled" in fig.layout.title.text
    assert "none" in fig.layout.title.text  # no downtime


def test_rounds_xen_threshold_is_fifty_pages():
    r = precopy(VM_HOT, LINK, PrecopyPolicy.xen_legacy())
    fig = rounds_figure(r)
    assert fig.data[2].y[0] == pytest.approx(50 * 4 / 1024)
    assert "Xen" in fig.layout.title.text


def test_rounds_summary_row_of_a_long_stall():
    # an 8 MiB working set rewritten faster than the link, 1 ms limit: ~89 000 rounds of 7 ms until cancelled
    r = precopy(VM(memory_mib=4096, dirty_rate_mib_s=None, wws_mib=8), Link(bandwidth_mib_s=1192),
                PrecopyPolicy.qemu(downtime_limit_ms=1, max_bandwidth_mib_s=None))
    assert r.n_rounds > 10_000 and len(r.rounds) < 10
    fig = rounds_figure(r)
    assert_allclose(fig.data[0].x, np.arange(len(r.rounds)))  # one bar per row, evenly spaced
    assert_allclose(fig.data[0].y, r.rounds["sent_mib"])
    ticks = list(fig.layout.xaxis.ticktext)
    summary = int(np.flatnonzero(np.diff(r.rounds["round"]) > 1)[0])
    assert ticks[summary] == f"{r.rounds['round'][summary]}-{r.rounds['round'][summary + 1] - 1}"
    assert rounds_figure(precopy(VM_HOT, LINK)).layout.xaxis.ticktext is None


def test_no_capacity_draws_only_the_preparation():
    r = precopy(VM(memory_mib=4096), LINK, destination=Host(free_memory_mib=1024))
    assert r.stop == "no capacity" and r.rounds.empty
    fig = rounds_figure(r)
    assert len(fig.data[0].y) == 0 and "no capacity" in fig.layout.title.text
    tl = timeline_figure(r)
    assert [t.name for t in tl.data if len(t.y)] == ["preparation", "blackout (label: its length)"]
    assert "no blackout" in tl.data[-1].text[0]


def test_rounds_rejects_a_cold_result(cold):
    with pytest.raises(TypeError, match="PrecopyResult"):
        rounds_figure(cold)


# ---- timeline ---------------------------------------------------------------------------------
def _trace(fig, name):
    return next(t for t in fig.data if t.name == name)


def test_timeline_bars_are_the_phases(live, cold):
    fig = timeline_figure(live, cold, names=["live", "cold"])
    assert [t.name for t in fig.data[: len(TIMELINE_LABELS)]] == list(TIMELINE_LABELS)
    scale = 60.0  # cold takes minutes, so the axis is in minutes
    assert fig.layout.xaxis.ticksuffix == " min"
    for label, group in live.phases.groupby("phase", sort=False):
        t = _trace(fig, label)
        rows = [i for i, y in enumerate(t.y) if y == "live"]
        assert_allclose(np.asarray(t.x, dtype=float)[rows] * scale, group["duration_s"])
        assert_allclose(np.asarray(t.base, dtype=float)[rows] * scale, group["start_s"])
        hatched = [t.marker.pattern.shape[i] == "/" for i in rows]
        assert hatched == list(~group["vm_running"].astype(bool))
    for rec in cold.steps.itertuples(index=False):
        t = _trace(fig, rec.step)
        i = list(t.y).index("cold")
        assert t.x[i] * scale == pytest.approx(rec.duration_s)
        assert t.base[i] * scale == pytest.approx(rec.start_s)
        assert t.marker.pattern.shape[i] == "/"  # the VM is down for every cold step


def test_timeline_marks_the_blackout(live, cold):
    fig = timeline_figure(live, cold)
    marker = fig.data[-1]
    assert list(marker.y) == ["live (QEMU)", "cold (40 GiB disk)"]
    # the blackout ends each row: at the total time
    assert_allclose(np.array(marker.x) * 60, [live.total_time_s, cold.total_time_s])
    assert format_duration(live.downtime_ms / 1000) in marker.text[0]
    assert "blackout" in marker.text[0]
    assert format_duration(cold.downtime_ms / 1000) in marker.text[1]
    # a live blackout (< 1 s) is far thinner than a cold one (minutes): the label is what shows it
    assert live.downtime_ms < cold.downtime_ms / 100


def test_timeline_cancelled_has_no_pause(cancelled):
    fig = timeline_figure(cancelled)
    for label in ("pause: stop-and-copy", "resume", "gratuitous ARP"):
        t = _trace(fig, label)
        assert len(t.y) == 0 and not t.showlegend
    assert fig.data[-1].marker.symbol[0] == "x"
    assert "no blackout" in fig.data[-1].text[0]
    assert fig.layout.xaxis.ticksuffix == " s"  # 60 s: seconds


def test_timeline_cold_shared_storage_moves_no_disk(cold_shared):
    fig = timeline_figure(cold_shared)
    assert _trace(fig, "disk move").x[0] == 0.0
    assert "shared storage" in fig.data[-1].y[0]
    assert all(len(t.y) == 0 for t in fig.data if t.name in TIMELINE_LABELS[:6])  # no live phases


def test_timeline_bad_arguments(live, cold):
    with pytest.raises(ValueError, match="one entry per result"):
        timeline_figure(live, cold, names=["only one"])
    with pytest.raises(ValueError, match="distinct"):
        timeline_figure(live, cold, names=["a", "a"])
    with pytest.raises(TypeError):
        timeline_figure(live.rounds)
    with pytest.raises(ValueError, match="at least one"):
        timeline_figure()
    # two results of the same kind get distinct default names
    assert list(timeline_figure(live, live).data[-1].y) == ["live (QEMU)", "live (QEMU) #2"]


# ---- downtime curve ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sweep():
    return precopy_grid(vm=VM(memory_mib=4096, wws_mib=1024), policy=PrecopyPolicy.qemu(timeout_s=120),
                        dirty_rate_mib_s=np.linspace(0, 300, 31), bandwidth_mib_s=119.2)


def test_downtime_curve_traces(sweep):
    fig = downtime_curve_figure(sweep, downtime_limit_ms=300)
    conv = sweep["converged"].to_numpy()
    assert conv.any() and (~conv).any()
    assert_allclose(fig.data[0].x, sweep["dirty_rate_mib_s"])
    assert_allclose(fig.data[0].y, np.where(conv, sweep["downtime_ms"], np.nan))
    assert_allclose(fig.data[1].y, np.where(conv, sweep["total_time_s"], np.nan))
    cancelled = _trace(fig, "cancelled (no downtime)")
    assert_allclose(cancelled.x, sweep.loc[~sweep["completed"], "dirty_rate_mib_s"])
    assert cancelled.marker.symbol == "x"
    gave_up = _trace(fig, "cancelled (time until cancelled)")
    assert_allclose(gave_up.y, sweep.loc[~sweep["completed"], "total_time_s"])
    # the limit line
    assert any(s.y0 == 300 for s in fig.layout.shapes)


def test_downtime_curve_marks_forced_points():
    df = precopy_grid(vm=VM(memory_mib=2048), policy=PrecopyPolicy.xen(), dirty_rate_mib_s=np.linspace(0, 200, 21),
                      bandwidth_mib_s=119.2)
    forced = df["completed"] & ~df["converged"]
    assert forced.any()  # the 5-round cap forces a stop-and-copy at high dirty rates
    fig = downtime_curve_figure(df)
    t = fig.data[2]
    assert t.name == "forced stop-and-copy" and t.marker.symbol == "diamond"
    assert_allclose(t.x, df.loc[forced, "dirty_rate_mib_s"])
    assert_allclose(t.y, df.loc[forced, "downtime_ms"])
    assert np.isnan(np.asarray(fig.data[0].y, dtype=float)[forced.to_numpy()]).all()


def test_downtime_curve_one_line_per_second_input():
    df = precopy_grid(dirty_rate_mib_s=np.linspace(0, 100, 11)[:, None], bandwidth_mib_s=np.array([60.0, 119.2])[None, :],
                      policy=PrecopyPolicy.qemu(timeout_s=60))
    fig = downtime_curve_figure(df)
    names = [t.name for t in fig.data if t.showlegend is not False and "bandwidth" in (t.name or "")]
    assert names == ["bandwidth (MiB/s) = 60", "bandwidth (MiB/s) = 119.2"]
    three = precopy_grid(dirty_rate_mib_s=np.array([0.0, 10.0])[:, None, None], bandwidth_mib_s=np.array([60.0, 100.0])[None, :, None],
                         memory_mib=np.array([1024.0, 2048.0])[None, None, :], policy=PrecopyPolicy.qemu(timeout_s=60))
    with pytest.raises(ValueError, match="several inputs vary"):
        downtime_curve_figure(three)
    assert len(downtime_curve_figure(three[three["memory_mib"] == 1024]).data) == 2 * 2 + 4


def test_downtime_curve_bad_table():
    with pytest.raises(ValueError, match="no column"):
        downtime_curve_figure(pd.DataFrame({"x": [1.0]}))
    with pytest.raises(TypeError):
        downtime_curve_figure([1, 2, 3])


# ---- convergence map --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def cmap_grid():
    D, B = np.meshgrid(np.linspace(0, 400, 21), np.linspace(20, 600, 15))
    policy = PrecopyPolicy.qemu(timeout_s=3600)
    vm = VM(memory_mib=2048, wws_mib=64)
    return precopy_grid(vm=vm, policy=policy, dirty_rate_mib_s=D, bandwidth_mib_s=B), vm, policy


def test_convergence_map_cells(cmap_grid):
    df, vm, policy = cmap_grid
    fig = convergence_map_figure(df, policy=policy, vm=vm)
    z, status = np.asarray(fig.data[0].z, dtype=float), np.asarray(fig.data[1].z, dtype=float)
    xs, ys = np.asarray(fig.data[0].x), np.asarray(fig.data[0].y)
    assert z.shape == (15, 21)
    for rec in df.sample(40, random_state=1).itertuples(index=False):
        i, j = np.flatnonzero(ys == rec.bandwidth_mib_s)[0], np.flatnonzero(xs == rec.dirty_rate_mib_s)[0]
        if rec.converged:
            assert z[i, j] == pytest.approx(rec.downtime_ms) and np.isnan(status[i, j])
        else:
            assert np.isnan(z[i, j]) and status[i, j] == (1.0 if rec.completed else 2.0)


def test_convergence_map_boundary_line_separates_the_model(cmap_grid):
    df, vm, policy = cmap_grid
    fig = convergence_map_figure(df, policy=policy, vm=vm)
    line = _trace(fig, "dirty rate = pre-copy rate")
    # on the line the dirty rate equals the (capped) pre-copy rate
    assert_allclose(line.x, np.minimum(line.y, 128.0))
    # 64 MiB never fits in 300 ms at the 128 MiB/s cap: no working-set line, a note instead
    assert all(t.name != "working set = rate x downtime limit" for t in fig.data)
    assert "never fits" in fig.layout.title.text
    # the model agrees: clearly below the line converges, at or above it never does
    rate = np.minimum(df["bandwidth_mib_s"], 128.0)
    assert df.loc[df["dirty_rate_mib_s"] <= 0.8 * rate, "converged"].all()
    assert not df.loc[df["dirty_rate_mib_s"] >= rate, "converged"].any()


def test_convergence_map_working_set_line():
    D, B = np.meshgrid(np.linspace(0, 400, 21), np.linspace(20, 600, 15))
    policy = PrecopyPolicy.qemu(timeout_s=3600, max_bandwidth_mib_s=None)
    vm = VM(memory_mib=2048, wws_mib=64)
    df = precopy_grid(vm=vm, policy=policy, dirty_rate_mib_s=D, bandwidth_mib_s=B)
    fig = convergence_map_figure(df, policy=policy, vm=vm)
    wline = _trace(fig, "working set = rate x downtime limit")
    need = 64 / 0.3  # MiB/s at which the working set fits in the 300 ms limit
    assert_allclose(wline.y, [need, need])
    # above it every dirty rate converges (the dirty set saturates at 64 MiB, below the threshold)
    assert df.loc[df["bandwidth_mib_s"] > need * 1.05, "converged"].all()
    assert not df.loc[(df["bandwidth_mib_s"] < need * 0.95) & (df["dirty_rate_mib_s"] >= df["bandwidth_mib_s"]), "converged"].any()
    assert len(convergence_map_figure(df, policy=policy, vm=vm, threshold_line=False).data) == 4


def test_convergence_map_other_axes_and_errors(cmap_grid):
    df, _vm, _policy = cmap_grid
    with pytest.raises(ValueError, match="no column"):
        convergence_map_figure(df, z="nonsense")
    one = precopy_grid(dirty_rate_mib_s=np.linspace(0, 200, 5)[:, None], downtime_limit_ms=np.array([30.0, 300.0])[None, :],
                       bandwidth_mib_s=119.2, policy=PrecopyPolicy.qemu(timeout_s=60))
    fig = convergence_map_figure(one, y="downtime_limit_ms")
    line = _trace(fig, "dirty rate = pre-copy rate")
    assert_allclose(line.x, [119.2, 119.2])  # vertical: the rate at the table's fixed bandwidth
    with pytest.raises(ValueError, match="varies"):
        convergence_map_figure(pd.concat([df.assign(memory_mib=1024.0), df.assign(memory_mib=2048.0)]))


# ---- live vs cold -----------------------------------------------------------------------------
def _totals(fig, panel):
    """Sum of the three stacked segments of one panel, per bar."""
    return np.nansum([np.array(fig.data[4 * panel + i].y, dtype=float) for i in range(3)], axis=0)


def test_live_vs_cold_bars(live, cold_shared):
    fig = live_vs_cold_figure(live, cold_shared)
    assert len(fig.data) == 12
    assert_allclose(_totals(fig, 0), [live.downtime_ms / 1000, cold_shared.downtime_ms / 1000])
    assert_allclose(_totals(fig, 1), [live.total_time_s, cold_shared.total_time_s])
    assert_allclose(_totals(fig, 2), [live.data_sent_mib, cold_shared.data_sent_mib])
    assert list(fig.data[4].y) == [0.0, 0.0]  # shared storage: nobody moves a disk
    assert [fig.data[i].name for i in range(3)][0].startswith("disk")
    # ms against a minute: log; 46 s against 63 s: linear from zero
    assert fig.layout.yaxis.type == "log"
    assert fig.layout.yaxis2.type == "linear" and fig.layout.yaxis2.range[0] == 0
    assert "downtime: <b>live</b>" in fig.layout.title.text


def test_live_vs_cold_figure_shows_the_disk_mirror(cold):
    live = live_migration_with_storage(VM_HOT, LINK, disk_gib=40, disk_dirty_rate_mib_s=5)
    fig = live_vs_cold_figure(live, cold)
    disk_time, disk_down, disk_data = fig.data[4].y, fig.data[0].y, fig.data[8].y
    flush_s = live.disk_flush_mib / live.mirror_rate_mib_s
    assert_allclose(disk_time[0], live.mirror_time_s + flush_s)  # the bulk mirror, and its flush in the pause
    assert_allclose(disk_down[0], flush_s)
    assert disk_data[0] == live.disk_data_sent_mib and disk_data[1] == cold.steps.set_index("step").loc["disk move", "data_mib"]
    assert_allclose(_totals(fig, 1), [live.total_time_s, cold.total_time_s])
    assert_allclose(_totals(fig, 2), [live.data_sent_mib, cold.data_sent_mib])
    assert "live mirrors the 40 GiB disk first" in fig.layout.title.text
    assert "data sent: <b>cold</b>" in fig.layout.title.text  # the same disk, plus memory


def test_live_vs_cold_cancelled_live_loses(cancelled, cold_shared):
    fig = live_vs_cold_figure(cancelled, cold_shared)
    assert [fig.data[i].y[0] for i in range(3)] == [None, None, None]  # no downtime: the VM never moved
    assert live_vs_cold_verdict(cancelled, cold_shared) == {"downtime": "cold", "total time": "cold", "data sent": "cold"}
    assert fig.layout.yaxis3.type == "log"  # half a MiB of metadata against 7 GiB
    assert "did not complete" in fig.layout.title.text


def test_live_vs_cold_reasons_say_why(cold):
    never = live_migration_with_storage(VM_HOT, LINK, disk_gib=40, disk_dirty_rate_mib_s=150)
    reasons = live_vs_cold_reasons(never, cold)
    assert set(reasons.values()) == {reasons["downtime"]} and "never gets in sync" in reasons["downtime"]
    ok = live_migration_with_storage(VM_HOT, LINK, disk_gib=40, disk_dirty_rate_mib_s=5)
    reasons = live_vs_cold_reasons(ok, cold)
    assert "both send the 40 GiB disk" in reasons["data sent"]
    assert reasons["total time"].startswith("live finishes first: live mirrors the disk")


def test_live_vs_cold_figures_moved_and_still_importable():
    import vmlab
    import vmlab.figures.live_vs_cold as new

    assert live_vs_cold_figure is new.live_vs_cold_figure and winner_map_figure is new.winner_map_figure
    assert vmlab.live_vs_cold_figure is new.live_vs_cold_figure
    assert live_vs_cold_verdict is vmlab.live_vs_cold_verdict  # one rule, in vmlab.migration.compare


def test_winner_map_codes():
    D, B = np.meshgrid(np.array([0.0, 50.0, 300.0, 5000.0]), np.array([30.0, 119.2, 1192.0]))
    df = live_vs_cold_grid(dirty_rate_mib_s=D, bandwidth_mib_s=B, criterion="total_time", disk_gib=1)
    fig = winner_map_figure(df, criterion="total_time")
    z = np.asarray(fig.data[0].z, dtype=float)
    expected = np.where(df["winner"] == "live", 0, np.where(df["completed"], 1, 2)).reshape(D.shape)
    assert_allclose(z, expected)
    assert {0, 2} <= set(np.unique(z))
    assert "total time" in fig.layout.title.text
    assert [t.name for t in fig.data[1:]] == ["live wins", "cold wins", "cold wins (live did not complete)",
                                             "cold wins (live disk mirror never in sync)"]
    with pytest.raises(ValueError, match="winner"):
        winner_map_figure(precopy_grid(dirty_rate_mib_s=D, bandwidth_mib_s=B))


def test_winner_map_marks_a_disk_mirror_that_never_syncs():
    D, W = np.meshgrid([10.0, 60.0, 300.0], [0.0, 20.0, 100.0, 200.0])
    df = live_vs_cold_grid(vm=VM_HOT, dirty_rate_mib_s=D, bandwidth_mib_s=119.2, disk_dirty_rate_mib_s=W)
    z = np.asarray(winner_map_figure(df, y="disk_dirty_rate_mib_s").data[0].z, dtype=float)
    assert_allclose(z[-2:], 3)  # 100 and 200 MiB/s of disk writes: the 40 GiB mirror never gets in sync in 600 s
    assert (z[:2] != 3).all()


def test_generic_figures_read_a_live_vs_cold_grid_as_its_inputs():
    D = np.linspace(0.0, 200.0, 9)
    g = live_vs_cold_grid(vm=VM_HOT, dirty_rate_mib_s=D, bandwidth_mib_s=119.2, disk_dirty_rate_mib_s=5.0)
    ref = downtime_curve_figure(precopy_grid(vm=VM_HOT, dirty_rate_mib_s=D, bandwidth_mib_s=119.2))
    assert len(downtime_curve_figure(g).data) == len(ref.data)  # the result columns are not taken for inputs


def test_format_duration_units():
    assert [format_duration(s) for s in (0.005, 0.25, 5.0, 600.0, 7200.0 * 2)] == ["5 ms", "250 ms", "5.0 s", "10.0 min", "4.0 h"]
    assert format_duration(math.inf) == "n/a"
