"""The explorer base: a toy explorer, then every explorer's attributes and labels."""

from __future__ import annotations

import math

import ipywidgets as widgets
import plotly.graph_objects as go
import pytest

import vmlab
from vmlab.explorers._common import (
    DESCRIPTION_WIDTH_PX,
    Explorer,
    checkbox,
    dropdown,
    label_fits,
    slider,
)

EXPLORERS = [
    "precopy_explorer", "cold_explorer", "convergence_map_explorer", "live_vs_cold_explorer",
    "evacuation_explorer", "balancing_explorer", "consolidation_explorer", "race_explorer",
    "methods_explorer", "autoconverge_explorer", "pagesim_explorer",
    "autoscaling_explorer", "provisioning_explorer", "comparison_explorer", "calibration_explorer",
]


def _line(slope: float) -> dict:
    if slope < 0:
        raise ValueError(f"slope must be >= 0; got {slope}")
    return {"y": [0.0, slope], "colour": "red"}


def _toy(**kwargs) -> Explorer:
    """A line with a slider for its slope (a negative slope is a bad value) and a colour dropdown."""
    controls = {
        "slope": slider(widgets.FloatSlider, description="slope", unit="1/s", value=1.0, min=-2.0, max=2.0, step=0.5),
        "colour": dropdown(description="colour", options=["red", "blue"], value="red"),
        "dashed": checkbox(description="dashed"),
    }

    def compute(v):
        return {**_line(v["slope"]), "colour": v["colour"], "dash": "dash" if v["dashed"] else "solid"}

    def paint(fig, r):
        fig.data[0].update(y=r["y"], line={"color": r["colour"], "dash": r["dash"]})
        fig.layout.title.text = f"slope {r['y'][1]:g}"

    return Explorer(controls, compute=compute, paint=paint, describe=lambda r: f"rise <b>{r['y'][1]:g}</b>",
                    figure=lambda r: go.Figure(go.Scatter(x=[0, 1], y=r["y"])),
                    **{"rows": [["slope", "colour"], ["dashed"]], **kwargs})


def test_update_paints_the_figure_and_the_readout():
    app = _toy()
    assert isinstance(app, widgets.VBox) and isinstance(app.figure, go.FigureWidget) and app.figure in app.children
    app.controls["slope"].value = 2.0
    assert app.figure.data[0].y == (0.0, 2.0) and app.figure.layout.title.text == "slope 2"
    assert app.readout.value == "rise <b>2</b>" and app.result["y"] == [0.0, 2.0]
    app.controls["colour"].value = "blue"
    assert app.figure.data[0].line.color == "blue" and app.figure.data[0].line.dash == "solid"
    app.controls["dashed"].value = True
    assert app.figure.data[0].line.dash == "dash" and app.figure.data[0].line.color == "blue"  # nested dicts merge


def test_a_bad_value_keeps_the_last_figure_and_says_so():
    app = _toy()
    app.controls["slope"].value = 1.5
    good = app.result
    app.controls["slope"].value = -1.0
    assert "⚠" in app.readout.value and "slope must be &gt;= 0; got -1.0" in app.readout.value
    assert "last valid settings" in app.readout.value
    assert app.figure.data[0].y == (0.0, 1.5) and app.result is good
    assert math.isfinite(app.last_update_ms) and math.isfinite(app.last_update_cpu_ms)
    app.controls["slope"].value = 0.5
    assert app.readout.value == "rise <b>0.5</b>" and app.figure.data[0].y == (0.0, 0.5)


def test_unchanged_properties_are_not_sent_again():
    app = _toy()
    sent = []
    app.figure.data[0].on_change(lambda trace, *values: sent.append("line"), "line.color")
    app.figure.data[0].on_change(lambda trace, *values: sent.append("y"), "y")
    painter = app._painter
    before = painter.n_sent
    app.controls["colour"].value = "blue"  # y and the title stay: only the line colour goes out
    assert painter.n_sent - before == 1 and sent == ["line"]
    app.controls["slope"].value = 2.0
    assert painter.n_sent - before == 3 and sent == ["line", "y"]  # y and the title
    app.update()  # nothing moved
    assert painter.n_sent - before == 3 and sent == ["line", "y"]


def test_attributes_timing_and_the_deprecated_results():
    app = _toy()
    assert set(app.controls) == {"slope", "colour", "dashed"}
    assert app.values() == {"slope": 1.0, "colour": "red", "dashed": False}
    app.controls["slope"].value = 0.5
    assert app.last_update_ms >= 0 and app.last_update_cpu_ms >= 0
    with pytest.warns(DeprecationWarning, match=r"\.results is deprecated; use \.result"):
        assert app.results is app.result
    assert app.controls["slope"].description == "slope (1/s)"


def test_hold_and_linked_controls_update_once():
    calls = []
    app = _toy(linked={"colour": lambda colour: {"slope": 0.0 if colour == "blue" else 1.0}})
    app.figure.data[0].on_change(lambda trace, y: calls.append(y), "y")
    app.controls["colour"].value = "blue"  # resets the slope first, then one update
    assert app.result["y"] == [0.0, 0.0] and app.result["colour"] == "blue" and calls == [(0.0, 0.0)]
    with app.hold():
        app.controls["slope"].value = 2.0
        app.controls["dashed"].value = True
        assert app.result["y"] == [0.0, 0.0]  # nothing recomputed inside the block
    assert app.result["y"] == [0.0, 2.0] and app.result["dash"] == "dash" and calls == [(0.0, 0.0), (0.0, 2.0)]


def test_layout_rows_headings_and_note():
    app = _toy(note="the note", readout_below=True)
    controls_box, figure, readout = app.children
    assert figure is app.figure and readout is app.readout
    first_row = controls_box.children[0]
    assert list(first_row.children) == [app.controls["slope"], app.controls["colour"]]
    assert "the note" in controls_box.children[-1].value
    headed = _toy(rows=["<b>heading</b>", ["slope"], ["colour", "dashed"]])
    heading, row = headed.children[0].children[:2]
    assert heading.value == "<b>heading</b>" and list(row.children) == [headed.controls["slope"]]


def test_slider_is_keyword_only_and_clamps():
    with pytest.raises(TypeError):
        slider(widgets.FloatSlider, "x", 1.0, 0.0, 2.0, 0.5)  # noqa  (positional arguments are gone)
    s = slider(widgets.IntSlider, description="rounds", value=99, min=0, max=60, step=1)
    assert s.value == 60 and s.description == "rounds"
    log = slider(widgets.FloatLogSlider, description="scan", unit="MiB/s", value=1e9, base=10, min=2, max=5, step=0.05)
    assert log.value == pytest.approx(1e5)


@pytest.fixture(scope="module")
def apps():
    return {name: getattr(vmlab, name)() for name in EXPLORERS}


@pytest.mark.parametrize("name", EXPLORERS)
def test_every_explorer_is_an_explorer_with_readable_labels(apps, name):
    app = apps[name]
    assert isinstance(app, Explorer)
    for attr in ("controls", "figure", "readout", "result", "last_update_ms", "last_update_cpu_ms"):
        assert hasattr(app, attr), attr
    assert callable(app.update) and "⚠" not in app.readout.value
    for key, control in app.controls.items():
        if isinstance(control, widgets.Checkbox):
            assert not control.indent  # its label sits to the right, at full width
            continue
        assert control.style.description_width == f"{DESCRIPTION_WIDTH_PX}px", key
        assert label_fits(control.description), f"{name}: {control.description!r} is cut off"


def test_the_old_module_name_still_works_and_warns():
    import vmlab.explorers.beyond as old
    import vmlab.explorers.methods as new

    for name in ("methods_explorer", "autoconverge_explorer", "pagesim_explorer"):
        with pytest.warns(DeprecationWarning, match="vmlab.explorers.beyond is deprecated"):
            assert getattr(old, name) is getattr(new, name) is getattr(vmlab, name)
    with pytest.raises(AttributeError):
        old.race_explorer  # noqa: B018


def test_a_move_that_changes_nothing_says_so_in_the_readout():
    """A press always shows something: the figure changes, or the readout says why not."""
    step = slider(widgets.FloatSlider, description="cap", value=5.0, min=0.0, max=10.0, step=1.0)
    app = Explorer(
        {"cap": step},
        compute=lambda v: min(v["cap"], 3.0),  # a cap above 3 never binds
        paint=lambda fig, y: fig.data[0].update(y=[y]),
        describe=lambda y: f"value {y:g}",
        figure=lambda y: go.Figure(go.Bar(y=[y])),
        rows=[["cap"]],
        why_unchanged=lambda name, value, y: "the value never exceeds 3",
    )
    app.controls["cap"].value = 6.0
    assert app.readout.value.startswith("value 3") and "no change in the result" in app.readout.value
    assert "never exceeds 3" in app.readout.value
    app.controls["cap"].value = 2.0
    assert app.readout.value == "value 2", "a move that changes the figure gets the plain readout"


def test_autoscaling_explorer_says_when_max_vms_does_not_bind():
    app = vmlab.autoscaling_explorer()
    app.controls["max_vms"].value = app.result.peak_vms + 20
    app.controls["max_vms"].value += 1
    assert f"never needs more than {app.result.peak_vms} VMs" in app.readout.value


def test_the_figure_does_not_echo_the_browsers_reports_back(monkeypatch):
    """plotly.js reports each redraw to the kernel; ipywidgets would echo it back (most of the bytes per move)."""
    import ipywidgets.widgets.widget as ipw

    monkeypatch.setattr(ipw, "JUPYTER_WIDGETS_ECHO", True)
    app = vmlab.precopy_explorer()
    sent = []
    monkeypatch.setattr(app.figure, "_send", lambda msg, buffers=None: sent.append(msg))
    app.figure.set_state({"_js2py_traceDeltas": None, "_js2py_layoutDelta": None})
    assert not [m for m in sent if m.get("method") == "echo_update"]
    plain = go.FigureWidget()
    monkeypatch.setattr(plain, "_send", lambda msg, buffers=None: sent.append(msg))
    plain.set_state({"_js2py_traceDeltas": None})
    assert [m for m in sent if m.get("method") == "echo_update"], "the test must see plotly's own widget echo"


def test_a_heatmap_with_empty_cells_reaches_the_browser_as_valid_json():
    """A 2-D z travels as JSON lists, where NaN is invalid: the base sends empty cells as null, for any explorer."""
    import json

    import numpy as np
    from ipywidgets.widgets.widget import _remove_buffers

    def grid(v):
        z = np.arange(6.0).reshape(2, 3)
        z[z > v["upto"]] = np.nan
        return z

    upto = slider(widgets.FloatSlider, description="up to", value=2.0, min=0.0, max=5.0, step=1.0)
    app = Explorer({"upto": upto}, compute=grid, paint=lambda fig, z: fig.data[0].update(z=z),
                   describe=lambda z: "", figure=lambda z: go.Figure(go.Heatmap(z=z)), rows=[["upto"]])
    for value in (None, 3.0):
        if value is not None:
            app.controls["upto"].value = value
        state, _paths, _buffers = _remove_buffers(app.figure.get_state())
        json.dumps(state, allow_nan=False)
    assert np.isnan(np.array(app.figure.data[0].z, dtype=float)).sum() == 2
