"""Timelines (vmlab.figures.timeline): one row per result, bars are the phases and steps, the blackout marked."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from tests.figure_fixtures import LINK, cancelled, cold, cold_shared, live, trace_named  # noqa: F401 - fixtures
from vmlab import VM, Host, precopy
from vmlab.figures.timeline import TIMELINE_LABELS, timeline_figure
from vmlab.format import format_duration


def test_timeline_bars_are_the_phases(live, cold):
    fig = timeline_figure(live, cold, names=["live", "cold"])
    assert [t.name for t in fig.data[: len(TIMELINE_LABELS)]] == list(TIMELINE_LABELS)
    scale = 60.0  # cold takes minutes, so the axis is in minutes
    assert fig.layout.xaxis.ticksuffix == " min"
    for label, group in live.phases.groupby("phase", sort=False):
        t = trace_named(fig, label)
        rows = [i for i, y in enumerate(t.y) if y == "live"]
        assert_allclose(np.asarray(t.x, dtype=float)[rows] * scale, group["duration_s"])
        assert_allclose(np.asarray(t.base, dtype=float)[rows] * scale, group["start_s"])
        hatched = [t.marker.pattern.shape[i] == "/" for i in rows]
        assert hatched == list(~group["vm_running"].astype(bool))
    for rec in cold.steps.itertuples(index=False):
        t = trace_named(fig, rec.step)
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
        t = trace_named(fig, label)
        assert len(t.y) == 0 and not t.showlegend
    assert fig.data[-1].marker.symbol[0] == "x"
    assert "no blackout" in fig.data[-1].text[0]
    assert fig.layout.xaxis.ticksuffix == " s"  # 60 s: seconds


def test_timeline_cold_shared_storage_moves_no_disk(cold_shared):
    fig = timeline_figure(cold_shared)
    assert trace_named(fig, "disk move").x[0] == 0.0
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


def test_timeline_no_capacity_draws_only_the_preparation():
    r = precopy(VM(memory_mib=4096), LINK, destination=Host(free_memory_mib=1024))
    tl = timeline_figure(r)
    assert [t.name for t in tl.data if len(t.y)] == ["preparation", "blackout (label: its length)"]
    assert "no blackout" in tl.data[-1].text[0]
