"""Pre-copy figures (vmlab.figures.precopy): rounds and downtime curves carry the results' numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose

from tests.figure_fixtures import LINK, VM_HOT, cancelled, cold, live, trace_named  # noqa: F401 - fixtures
from vmlab import VM, Host, Link, PrecopyPolicy, live_vs_cold_grid, precopy, precopy_grid
from vmlab.figures._style import COLOURS
from vmlab.figures.precopy import downtime_curve_figure, rounds_figure
from vmlab.format import format_duration


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


def test_rounds_rejects_a_cold_result(cold):
    with pytest.raises(TypeError, match="PrecopyResult"):
        rounds_figure(cold)


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
    cancelled = trace_named(fig, "cancelled (no downtime)")
    assert_allclose(cancelled.x, sweep.loc[~sweep["completed"], "dirty_rate_mib_s"])
    assert cancelled.marker.symbol == "x"
    gave_up = trace_named(fig, "cancelled (time until cancelled)")
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


def test_generic_figures_read_a_live_vs_cold_grid_as_its_inputs():
    D = np.linspace(0.0, 200.0, 9)
    g = live_vs_cold_grid(vm=VM_HOT, dirty_rate_mib_s=D, bandwidth_mib_s=119.2, disk_dirty_rate_mib_s=5.0)
    ref = downtime_curve_figure(precopy_grid(vm=VM_HOT, dirty_rate_mib_s=D, bandwidth_mib_s=119.2))
    assert len(downtime_curve_figure(g).data) == len(ref.data)  # the result columns are not taken for inputs
