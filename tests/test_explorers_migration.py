"""Migration explorers, without a browser: move a control, the model reruns and the figure changes."""

from __future__ import annotations

import math

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go
import pytest
from numpy.testing import assert_allclose

from vmlab import VM, ColdPolicy, Link, PrecopyPolicy, cold_migration, precopy
from vmlab.explorers.migration import cold_explorer, live_vs_cold_explorer, precopy_explorer

SLIDERS = (widgets.FloatSlider, widgets.IntSlider, widgets.FloatLogSlider)


def _first_control(widget):
    """The first value widget in the displayed layout (depth first), as the browser tests see it."""
    if isinstance(widget, widgets.Box):
        for child in widget.children:
            found = _first_control(child)
            if found is not None:
                return found
        return None
    if isinstance(widget, (widgets.HTML, go.FigureWidget)):
        return None
    return widget if isinstance(widget, widgets.ValueWidget) else None


@pytest.mark.parametrize("make", [precopy_explorer, cold_explorer, live_vs_cold_explorer])
def test_explorer_shape(make):
    app = make()
    assert isinstance(app, widgets.VBox)
    assert isinstance(app.figure, go.FigureWidget) and app.figure in app.children
    assert isinstance(app.readout, widgets.HTML) and app.readout.value
    first = _first_control(app)
    assert isinstance(first, SLIDERS), f"first control is a {type(first).__name__}"
    assert first is next(iter(app.controls.values()))
    assert math.isfinite(app.last_update_ms)


# ---- pre-copy -----------------------------------------------------------------------------------
def test_precopy_explorer_controls():
    app = precopy_explorer()
    assert set(app.controls) == {"dirty_rate_mib_s", "bandwidth_mib_s", "downtime_limit_ms", "max_rounds", "wws_mib",
                                 "memory_mib", "policy"}
    assert list(app.controls["policy"].options) == ["QEMU", "Xen legacy", "Xen"]
    assert app.controls["max_rounds"].value == 0  # QEMU: no round cap


def test_precopy_dirty_rate_slider_updates_figure_and_readout():
    app = precopy_explorer()
    y0, text0 = list(app.figure.data[0].y), app.readout.value
    app.controls["dirty_rate_mib_s"].value = 110.0
    r = app.result
    assert r.vm.dirty_rate_mib_s == 110.0
    assert list(app.figure.data[0].y) != y0
    assert_allclose(app.figure.data[0].y, r.rounds["sent_mib"])
    assert app.figure.data[2].y[0] == pytest.approx(r.threshold_mib)
    assert app.readout.value != text0
    assert f"<b>rounds</b> {r.n_rounds}" in app.readout.value
    # the explorer's result is what precopy gives for the controls' values
    again = precopy(r.vm, r.link, r.policy)
    assert again.downtime_ms == pytest.approx(r.downtime_ms) and again.n_rounds == r.n_rounds


def test_precopy_beyond_the_link_never_converges():
    app = precopy_explorer(vm=VM(memory_mib=4096, dirty_rate_mib_s=10, wws_mib=2048))
    app.controls["dirty_rate_mib_s"].value = 500.0
    assert not app.result.converged
    assert "cancelled" in app.readout.value and "none" in app.readout.value
    assert "#d62728" not in list(app.figure.data[0].marker.color)  # no stop-and-copy bar


def test_precopy_policy_dropdown_switches_the_policy():
    app = precopy_explorer()
    app.controls["dirty_rate_mib_s"].value = 200.0  # faster than the link: only a cap ends it
    qemu_text, qemu_y = app.readout.value, list(app.figure.data[0].y)
    app.controls["policy"].value = "Xen"
    r = app.result
    assert r.policy.name == "Xen" and r.policy.max_rounds == 5
    assert app.controls["max_rounds"].value == 5  # the slider follows the preset
    assert r.stop == "round cap" and r.completed
    assert app.readout.value != qemu_text and list(app.figure.data[0].y) != qemu_y
    assert "Xen" in app.figure.layout.title.text
    app.controls["policy"].value = "Xen legacy"
    assert app.result.policy.name == "Xen (legacy)" and app.controls["max_rounds"].value == 29
    app.controls["policy"].value = "QEMU"
    assert app.result.policy.max_rounds is None and app.controls["max_rounds"].value == 0


def test_precopy_round_cap_and_downtime_limit_sliders():
    app = precopy_explorer()
    app.controls["dirty_rate_mib_s"].value = 100.0
    app.controls["max_rounds"].value = 2
    assert app.result.policy.max_rounds == 2 and app.result.n_rounds == 2 and app.result.stop == "round cap"
    app.controls["max_rounds"].value = 0
    assert app.result.policy.max_rounds is None
    app.controls["downtime_limit_ms"].value = 1000.0
    assert app.result.policy.downtime_limit_ms == 1000.0
    assert app.result.threshold_mib == pytest.approx(119.2 * 1.0)


def test_precopy_working_set_and_memory_sliders():
    app = precopy_explorer()
    app.controls["wws_mib"].value = 256.0
    assert app.result.vm.wws_mib == 256.0
    app.controls["memory_mib"].value = 1024.0
    assert app.result.vm.memory_mib == 1024.0
    app.controls["wws_mib"].value = 2048.0  # beyond memory: all of memory is written
    assert app.result.vm.wws_mib is None
    assert app.result.rounds["sent_mib"].iloc[0] < 1024.0  # zero pages (20 %) go as headers
    app.controls["bandwidth_mib_s"].value = 500.0
    assert app.result.link.bandwidth_mib_s == 500.0


def test_precopy_explorer_keeps_the_callers_policy_and_vm():
    app = precopy_explorer(VM(memory_mib=2048, dirty_rate_mib_s=20, zero_fraction=0.5, dirty_pattern="uniform"),
                           Link(bandwidth_mib_s=500, latency_ms=2), PrecopyPolicy.qemu(timeout_s=120))
    app.controls["dirty_rate_mib_s"].value = 40.0
    r = app.result
    assert (r.vm.zero_fraction, r.vm.dirty_pattern, r.link.latency_ms, r.policy.timeout_s) == (0.5, "uniform", 2.0, 120.0)
    custom = precopy_explorer(policy=PrecopyPolicy(name="mine", downtime_limit_ms=50, max_rounds=3))
    assert custom.controls["policy"].value == "mine (yours)"
    assert custom.controls["max_rounds"].value == 3 and custom.result.policy.name == "mine"
    with pytest.raises(TypeError, match="vm must be a VM"):
        precopy_explorer(vm="big")


def test_explorers_are_independent():
    a, b = precopy_explorer(), precopy_explorer()
    yb = list(b.figure.data[0].y)
    a.controls["dirty_rate_mib_s"].value = 150.0
    assert list(b.figure.data[0].y) == yb and b.result.vm.dirty_rate_mib_s == 60.0


# ---- cold ---------------------------------------------------------------------------------------
def _cold_bar(app, step):
    trace = next(t for t in app.figure.data if t.name == step)
    return trace.x[0]


def test_cold_explorer_disk_and_shared_storage():
    app = cold_explorer()
    text0, disk0 = app.readout.value, _cold_bar(app, "disk move")
    app.controls["disk_gib"].value = 100.0
    assert _cold_bar(app, "disk move") > disk0
    assert app.readout.value != text0
    expected = cold_migration(VM(memory_mib=4096), Link(bandwidth_mib_s=119.2), disk_gib=100)
    assert app.result.downtime_ms == pytest.approx(expected.downtime_ms)
    assert app.figure.layout.xaxis.ticksuffix == " min"
    app.controls["shared_storage"].value = True
    assert _cold_bar(app, "disk move") == 0.0
    assert "longest step: power on" in app.readout.value  # the boot, now that no disk moves
    assert app.result.data_sent_mib == pytest.approx(ColdPolicy().metadata_mib)


def test_cold_explorer_boot_and_suspended_guest():
    app = cold_explorer()
    app.controls["boot_s"].value = 120.0
    steps = app.result.steps.set_index("step")
    assert steps.loc["power on", "duration_s"] == 120.0
    marker_before = list(app.figure.data[-1].text)
    app.controls["guest_state"].value = "suspended"
    steps = app.result.steps.set_index("step")
    assert app.result.guest_state == "suspended"
    assert steps.loc["power on", "duration_s"] < 120.0  # resume from the image, no boot
    assert list(app.figure.data[-1].text) != marker_before


# ---- live versus cold ---------------------------------------------------------------------------
def _stack(fig, panel):
    return np.nansum([np.array(fig.data[4 * panel + i].y, dtype=float) for i in range(3)], axis=0)


def test_live_vs_cold_explorer():
    app = live_vs_cold_explorer()
    assert set(app.controls) == {"dirty_rate_mib_s", "bandwidth_mib_s", "disk_gib", "disk_dirty_rate_mib_s",
                                 "shared_storage"}
    live, cold = app.result
    assert live.completed and live.mirror_in_sync and "<b>downtime</b>: live wins" in app.readout.value
    assert_allclose(_stack(app.figure, 0), [live.downtime_ms / 1000, cold.downtime_ms / 1000])
    assert app.figure.data[8].y[0] == live.disk_data_sent_mib  # the disk mirror's own segment
    app.controls["dirty_rate_mib_s"].value = 1000.0
    live, cold = app.result
    assert not live.completed and app.figure.data[0].y[0] is None
    assert "<b>downtime</b>: cold wins" in app.readout.value and "did not complete" in app.readout.value
    app.controls["shared_storage"].value = True
    assert app.result[1].shared_storage and _stack(app.figure, 2)[1] == pytest.approx(app.result[1].data_sent_mib)
    assert app.result[0].disk_data_sent_mib == 0 and app.controls["disk_dirty_rate_mib_s"].disabled
    assert app.figure.layout.yaxis3.type == "log"
    app.controls["disk_gib"].value = 200.0
    app.controls["shared_storage"].value = False
    assert app.result[1].disk_gib == 200.0 and app.result[0].disk_gib == 200.0
    app.controls["bandwidth_mib_s"].value = 1000.0
    assert app.result[0].link.bandwidth_mib_s == 1000.0 and app.result[1].link.bandwidth_mib_s == 1000.0


def test_live_vs_cold_explorer_disk_write_slider_moves_the_mirror():
    app = live_vs_cold_explorer()
    timings = []
    for writes in (20.0, 40.0, 45.0, 150.0):
        before = list(app.figure.data[4].y)  # total time, disk segment
        app.controls["disk_dirty_rate_mib_s"].value = writes
        live = app.result[0]
        assert live.disk_dirty_rate_mib_s == writes
        assert list(app.figure.data[4].y) != before
        timings.append(app.last_update_ms)
    assert not app.result[0].mirror_in_sync and "never gets in sync" in app.readout.value
    assert all(math.isfinite(t) for t in timings)  # measured by the callback; the speed is benchmarked


def test_live_vs_cold_explorer_moved_and_still_importable():
    import vmlab
    import vmlab.explorers.live_vs_cold as new

    assert live_vs_cold_explorer is new.live_vs_cold_explorer is vmlab.live_vs_cold_explorer


# ---- convergence map ----------------------------------------------------------------------------
def _z(trace) -> np.ndarray:
    """A heatmap's z as floats (the explorer sends empty cells as None, i.e. JSON null)."""
    return np.array(trace.z, dtype=float)


def test_convergence_map_widget_state_is_valid_json():
    """NaN is not JSON: a map with empty cells must still reach the browser without a kernel warning."""
    import json

    from ipywidgets.widgets.widget import _remove_buffers

    from vmlab import convergence_map_explorer

    app = convergence_map_explorer(VM(memory_mib=2048, dirty_rate_mib_s=90, wws_mib=256))
    assert np.isnan(_z(app.figure.data[0])).any(), "the test needs a map with empty cells"
    for move in (None, 100.0):
        if move is not None:
            app.controls["wws_mib"].value = move
        state, _paths, _buffers = _remove_buffers(app.figure.get_state())
        json.dumps(state, allow_nan=False)


def test_convergence_map_explorer_redraws_the_heatmap():
    from vmlab import convergence_map_explorer
    from vmlab.figures.migration import convergence_map_figure

    app = convergence_map_explorer()
    assert set(app.controls) == {"downtime_limit_ms", "wws_mib"}
    assert _z(app.figure.data[0]).shape == (60, 60)
    # the heatmap is convergence_map_figure's for the same grid (rows: bandwidth, columns: dirty rate)
    r = app.result
    reference = convergence_map_figure(r.table, policy=r.policy, vm=r.vm, log_z=False)
    assert_allclose(_z(app.figure.data[0]), reference.data[0].z, equal_nan=True)
    assert_allclose(_z(app.figure.data[1]), reference.data[1].z, equal_nan=True)
    z0, status0 = _z(app.figure.data[0]), _z(app.figure.data[1])
    app.controls["downtime_limit_ms"].value = 1500.0
    assert app.result.policy.downtime_limit_ms == 1500.0
    assert not np.array_equal(_z(app.figure.data[0]), z0, equal_nan=True)
    assert not np.array_equal(_z(app.figure.data[1]), status0, equal_nan=True)  # more cells converge
    assert app.figure.data[0].zmax == 1500.0
    # the 256 MiB working set fits in 1.5 s from 256 / 1.5 = 171 MiB/s: above QEMU's 128 MiB/s cap, so no line
    assert len(app.figure.data[5].y) == 0 and "never fits" in app.readout.value
    app.controls["wws_mib"].value = 64.0  # 64 / 1.5 = 42.7 MiB/s: the line appears
    assert app.figure.data[5].y[0] == pytest.approx(64 / 1.5) and "fits in 1500 ms from 42.67 MiB/s" in app.readout.value
    app.controls["wws_mib"].value = app.controls["wws_mib"].max  # all of memory
    assert app.result.vm.wws_mib is None and "all of memory" in app.readout.value


def test_convergence_map_explorer_shows_a_bad_value_and_keeps_the_map():
    from vmlab import convergence_map_explorer

    app = convergence_map_explorer(policy=PrecopyPolicy.libvirt())
    z = _z(app.figure.data[0])
    app.controls["downtime_limit_ms"].min = -100.0
    app.controls["downtime_limit_ms"].value = -50.0
    assert "⚠" in app.readout.value and "downtime_limit_ms" in app.readout.value
    assert_allclose(_z(app.figure.data[0]), z, equal_nan=True) and app.result.policy.downtime_limit_ms == 300.0
    with pytest.raises(TypeError, match="policy must be a PrecopyPolicy"):
        convergence_map_explorer(policy="qemu")
