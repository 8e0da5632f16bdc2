"""The explorer base and the small pieces every explorer is made of.

An explorer is controls (sliders, dropdowns, ...) + one plotly ``FigureWidget`` + one callback.
:class:`Explorer` owns the wiring every explorer shares: it draws the figure once, observes
every control, and on each change computes the result, paints it into the figure in place
(inside ``fig.batch_update()``, sending only the properties whose value changed) and writes
the readout. A bad combination of values (the model raises ``ValueError`` or ``TypeError``)
is shown in the readout; the figure keeps its last good state. Each explorer module builds
its controls with :func:`slider`, :func:`dropdown`, :func:`checkbox` and :func:`toggle`, so
the widths below are set in this one place.
"""

from __future__ import annotations

import builtins
import html
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import partial
from typing import Any

import ipywidgets as widgets
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.serializers import custom_serializers
from traitlets import Dict

__all__ = [
    "Explorer",
    "write_traces",
    "slider",
    "dropdown",
    "checkbox",
    "toggle",
    "error_html",
    "label_fits",
    "DESCRIPTION_WIDTH_PX",
    "CONTROL_WIDTH_PX",
    "NOTE_STYLE",
]

# ---- style: the sizes of every explorer's controls ---------------------------------------------
DESCRIPTION_WIDTH_PX = 230
"""Room for a control's label: 30 characters of the 13-pixel widget font, nothing cut off."""
CONTROL_WIDTH_PX = 500
"""A whole control (label, slider, value): two side by side fit a 1280-pixel-wide window
(a narrower one wraps them onto the next line)."""
CHAR_PX = 7.2
"""Width of one character of the widget font (13 px system sans-serif), rounded up."""
LABEL_PADDING_PX = 8
"""Space ipywidgets keeps between a label and its control."""
NOTE_STYLE = "color:#57606a;font-size:90%"
"""How a note under the controls looks (which panel a control moves)."""


def label_fits(text: str) -> bool:
    """Whether a control's label fits in :data:`DESCRIPTION_WIDTH_PX` without being cut off.

    >>> label_fits("dirty rate (MiB/s)"), label_fits("self-service: check every (min), top panel")
    (True, False)
    """
    return CHAR_PX * len(text) + LABEL_PADDING_PX <= DESCRIPTION_WIDTH_PX


def _style() -> dict:
    return {"description_width": f"{DESCRIPTION_WIDTH_PX}px"}


def _layout() -> widgets.Layout:
    return widgets.Layout(width=f"{CONTROL_WIDTH_PX}px")


def slider(kind, *, description: str, value, min, max, step, unit: str | None = None,  # noqa: A002 (ipywidgets' names)
           readout_format: str | None = None, continuous_update: bool = True, **options) -> widgets.Widget:
    """A ``kind`` slider (e.g. ``widgets.FloatSlider``) from ``min`` to ``max``, its value clamped into range.

    ``unit`` goes into the label (``"dirty rate (MiB/s)"``); a fraction shows as a percentage
    beside the value with ``readout_format=".0%"``. Other ``options`` go to the widget (a
    ``FloatLogSlider``'s ``base``: its ``min`` and ``max`` are exponents).

    >>> s = slider(widgets.FloatSlider, description="bandwidth", unit="MiB/s", value=2000, min=10, max=1250, step=5)
    >>> s.description, s.value
    ('bandwidth (MiB/s)', 1250.0)
    """
    lo, hi = (options.get("base", 10.0) ** min, options.get("base", 10.0) ** max) if kind is widgets.FloatLogSlider else (min, max)
    kwargs = dict(value=builtins.min(builtins.max(value, lo), hi), min=min, max=max, step=step,
                  description=f"{description} ({unit})" if unit else description, style=_style(), layout=_layout(),
                  continuous_update=continuous_update, **options)
    if readout_format:
        kwargs["readout_format"] = readout_format
    return kind(**kwargs)


def dropdown(*, description: str, options, value) -> widgets.Dropdown:
    """A labelled dropdown as wide as a slider."""
    return widgets.Dropdown(options=options, value=value, description=description, style=_style(), layout=_layout())


def checkbox(*, description: str, value: bool = False) -> widgets.Checkbox:
    """A checkbox with its label to the right, at full width (never cut off)."""
    return widgets.Checkbox(value=value, description=description, indent=False, layout=_layout())


def toggle(*, description: str, options, value) -> widgets.ToggleButtons:
    """Toggle buttons with a label like a slider's, as wide as a slider (up to two buttons)."""
    style = {**_style(), "button_width": f"{(CONTROL_WIDTH_PX - DESCRIPTION_WIDTH_PX) // 2 - 12}px"}
    return widgets.ToggleButtons(options=options, value=value, description=description, style=style, layout=_layout())


def _row(children: list) -> widgets.HBox:
    """Controls side by side, wrapping onto the next line in a narrow window."""
    return widgets.HBox(children, layout=widgets.Layout(flex_flow="row wrap"))


def error_html(exc: Exception) -> str:
    """A bad combination of slider values, shown in the readout instead of a traceback."""
    return f'<span style="color:#cf222e">⚠ {html.escape(str(exc))}</span>'


_KEPT = f'<br><span style="{NOTE_STYLE}">The figure still shows the last valid settings.</span>'


# ---- painting only what changed -----------------------------------------------------------------
def _json_safe(value):
    """``value`` as the widget can send it: a 2-D float array with empty (NaN) cells gets ``None`` there.

    A ``FigureWidget`` sends 1-D arrays as binary buffers but 2-D ones (a heatmap's ``z``) as
    nested JSON lists, where NaN is not valid JSON (the kernel warns under the cell); ``None``
    travels as ``null``, which plotly draws as a gap.
    """
    if isinstance(value, np.ndarray) and value.ndim >= 2 and value.dtype.kind == "f" and not np.isfinite(value).all():
        out = value.astype(object)
        out[~np.isfinite(value)] = None
        return out
    return value


def _json_safe_figure(fig: go.Figure) -> go.Figure:
    """The figure with every trace's 2-D ``z`` made :func:`_json_safe` (before it becomes a widget)."""
    for trace in fig.data:
        z = getattr(trace, "z", None) if "z" in trace else None
        if z is None:
            continue
        try:
            arr = np.asarray(z, dtype=float)
        except (TypeError, ValueError):
            continue
        safe = _json_safe(arr)
        if safe is not arr:
            trace.z = safe
    return fig


def _same(a, b) -> bool:
    """Whether a property keeps its value (so assigning it again can be skipped)."""
    if a is b:
        return True
    arrays = (np.ndarray, pd.Index, pd.Series)
    if isinstance(a, arrays) or isinstance(b, arrays):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape:
            return False
        if a.dtype.kind == "f" and b.dtype.kind == "f":
            return bool(np.array_equal(a, b, equal_nan=True))
        try:
            return bool(np.array_equal(a, b))
        except (TypeError, ValueError):
            return False
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


_MISSING = object()


class _Node:
    """A trace, the layout or a path inside them, standing in for the real one while ``paint`` runs."""

    __slots__ = ("_writes", "_target", "_path")

    def __init__(self, writes: dict, target, path: str = ""):
        object.__setattr__(self, "_writes", writes)
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_path", path)

    def _key(self, name: str) -> str:
        return f"{self._path}.{name}" if self._path else name

    def __getattr__(self, name: str) -> _Node:
        if name.startswith("__"):
            raise AttributeError(name)
        return _Node(self._writes, self._target, self._key(name))

    def __setattr__(self, name: str, value) -> None:
        self._writes[(self._target, self._key(name))] = value

    __setitem__ = __setattr__

    def update(self, dict1: Mapping | None = None, **kwargs) -> None:
        """Like plotly's ``update``: nested dicts merge into the properties they name."""
        for key, value in {**(dict1 or {}), **kwargs}.items():
            if isinstance(value, Mapping):
                _Node(self._writes, self._target, self._key(key)).update(value)
            else:
                self[key] = value


class _Canvas:
    """What ``paint`` writes into: ``data[i]``, ``layout`` and ``update_layout/xaxes/yaxes``, recorded."""

    def __init__(self, n_traces: int, axes: Sequence[str]):
        self.writes: dict[tuple, Any] = {}
        self.data = tuple(_Node(self.writes, i) for i in range(n_traces))
        self.layout = _Node(self.writes, "layout")
        self._axes = axes

    def update_layout(self, dict1: Mapping | None = None, **kwargs) -> None:
        self.layout.update(dict1, **kwargs)

    def _update_axes(self, letter: str, dict1: Mapping | None, kwargs: dict) -> None:
        if {"row", "col", "selector", "secondary_y"} & set(kwargs):
            raise NotImplementedError("paint() updates every axis; set one as figure.layout.xaxis2.<property>")
        for name in self._axes:
            if name.startswith(letter):
                getattr(self.layout, name).update(dict1, **kwargs)

    def update_xaxes(self, dict1: Mapping | None = None, **kwargs) -> None:
        self._update_axes("x", dict1, kwargs)

    def update_yaxes(self, dict1: Mapping | None = None, **kwargs) -> None:
        self._update_axes("y", dict1, kwargs)


class _Painter:
    """Assigns what ``paint`` wrote to a FigureWidget, skipping the properties that did not change.

    Plotly validates every assignment and the widget sends each change to the browser, so
    re-sending the unchanged traces of a figure costs more than the model; comparing first
    keeps a callback to the few properties a slider actually moved.
    """

    def __init__(self, fig: go.FigureWidget):
        self.fig = fig
        self.last: dict[tuple, object] = {}
        self.axes = [k for k in fig.layout.to_plotly_json() if k.startswith(("xaxis", "yaxis"))] or ["xaxis", "yaxis"]
        self.n_sent = 0  # properties assigned so far (what the tests count)

    def paint(self, paint: Callable, result) -> None:
        canvas = _Canvas(len(self.fig.data), self.axes)
        paint(canvas, result)
        with self.fig.batch_update():
            for (target, key), value in canvas.writes.items():
                if _same(self.last.get((target, key), _MISSING), value):
                    continue
                obj = self.fig.layout if target == "layout" else self.fig.data[target]
                obj[key] = _json_safe(value)
                self.last[(target, key)] = value
                self.n_sent += 1


def write_traces(fig, data: Sequence[Mapping], first: int = 0) -> None:
    """Write one dict of trace properties (dotted keys allowed) into each trace from ``first`` on."""
    for i, props in enumerate(data, start=first):
        fig.data[i].update(props)


def _no_echo() -> Dict:
    return Dict(allow_none=True).tag(sync=True, echo_update=False, **custom_serializers)


class QuietFigureWidget(go.FigureWidget):
    """plotly's ``FigureWidget`` that does not echo the browser's own reports back to it.

    After every redraw plotly.js reports the new trace and layout state to the kernel
    (``_js2py_traceDeltas``, ...). ipywidgets 8 echoes every such update back to the browser
    (``Widget.set_state``: ``echo_update``), which for a figure of a few thousand points is most
    of the bytes on the wire per slider move (143 of 202 KiB on notebook 10's explorer). The
    browser sent those values itself, so the echo is dropped (``echo_update=False``, the trait
    metadata ipywidgets provides for this); everything else is plotly's own widget.
    """

    _js2py_traceDeltas = _no_echo()
    _js2py_layoutDelta = _no_echo()
    _js2py_restyle = _no_echo()
    _js2py_relayout = _no_echo()
    _js2py_update = _no_echo()
    _js2py_pointsCallback = _no_echo()


# ---- the base -----------------------------------------------------------------------------------
class Explorer(widgets.VBox):
    """Controls, one ``FigureWidget`` and one callback: the app every explorer is.

    Parameters
    ----------
    controls : dict of str to ipywidgets.ValueWidget
        Name -> control; the names are the keys ``compute`` reads.
    compute : callable
        ``compute(values) -> result`` with ``values`` a dict name -> control value. A
        ``ValueError`` or ``TypeError`` (a bad combination of values) is shown in the readout.
    paint : callable
        ``paint(figure, result)`` writes the result into the figure's traces and layout:
        ``figure.data[i].update(...)`` or ``figure.data[i].x = ...``, ``figure.layout.title.text
        = ...``, ``figure.layout.update(...)``, ``figure.update_xaxes(...)``. It gets a stand-in
        that records the writes (so it writes only: the stand-in holds nothing to read); the explorer then assigns to the ``FigureWidget``, inside
        ``batch_update()``, only the properties whose value changed since the last update
        (which keeps each message to the browser small).
    describe : callable
        ``describe(result) -> str``: the HTML readout.
    figure : plotly.graph_objects.Figure or callable
        The figure, or ``figure(result) -> Figure`` drawn from the first result. Its traces are
        updated in place, never added or removed.
    rows : sequence
        The controls' layout: each item a list of control names shown side by side, or a
        string (a line of HTML, e.g. a heading for the controls below it).
    note : str, optional
        HTML under the controls, e.g. which panel of the figure a control moves.
    linked : dict, optional
        Control name -> ``function(new value) -> {control name: value}``: when that control
        moves, the other controls are set first and one update follows (e.g. a preset resets
        its own sliders).
    readout_below : bool
        Put the readout under the figure (for a long table).
    why_unchanged : callable, optional
        ``why_unchanged(name, value, result) -> str``: why moving control ``name`` changed
        neither the figure nor the readout (e.g. "the group never needs more than 23 VMs").
        The readout then says so, so a press is never silent; by default it gives a general
        reason (a limit that does not bind).

    Attributes
    ----------
    controls : dict
    figure : plotly.graph_objects.FigureWidget
    readout : ipywidgets.HTML
    result
        The latest good result.
    last_update_ms, last_update_cpu_ms : float
        Wall-clock and process CPU time of the latest update (model, figure and readout).

    Examples
    --------
    A toy explorer: a line whose slope is a slider.

    >>> slope = slider(widgets.FloatSlider, description="slope", value=1.0, min=-2.0, max=2.0, step=0.5)
    >>> app = Explorer(
    ...     {"slope": slope},
    ...     compute=lambda v: [0.0, v["slope"]],
    ...     paint=lambda fig, ys: fig.data[0].update(y=ys),
    ...     describe=lambda ys: f"rise {ys[1] - ys[0]:g}",
    ...     figure=lambda ys: go.Figure(go.Scatter(x=[0, 1], y=ys)),
    ...     rows=[["slope"]],
    ... )
    >>> app.controls["slope"].value = 2.0
    >>> app.figure.data[0].y, app.readout.value, app.result
    ((0.0, 2.0), 'rise 2', [0.0, 2.0])
    """

    def __init__(
        self,
        controls: Mapping[str, widgets.ValueWidget],
        *,
        compute: Callable[[dict], Any],
        paint: Callable[[Any, Any], None],
        describe: Callable[[Any], str],
        figure: go.Figure | Callable[[Any], go.Figure],
        rows: Sequence[Sequence[str] | str],
        note: str = "",
        linked: Mapping[str, Callable[[Any], Mapping[str, Any]]] | None = None,
        readout_below: bool = False,
        why_unchanged: Callable[[str, Any, Any], str] | None = None,
    ):
        super().__init__()
        self.controls = dict(controls)
        self.readout = widgets.HTML(layout=widgets.Layout(width="auto"))
        self._compute, self._paint, self._describe = compute, paint, describe
        self._linked = dict(linked or {})
        self._held = False
        self._why_unchanged = why_unchanged
        self._text = ""
        wall, cpu = time.perf_counter(), time.process_time()
        self.result = compute(self.values())
        drawn = figure(self.result) if callable(figure) else figure
        self.figure = drawn if isinstance(drawn, go.FigureWidget) else QuietFigureWidget(_json_safe_figure(drawn))
        self._painter = _Painter(self.figure)
        self._show(self.result, wall, cpu)
        for name, control in self.controls.items():
            control.observe(partial(self._on_linked, name) if name in self._linked else self.update, names="value")
        boxes: list[widgets.Widget] = [
            widgets.HTML(row) if isinstance(row, str) else _row([self.controls[k] for k in row])
            for row in rows
        ]
        if note:
            boxes.append(widgets.HTML(f'<span style="{NOTE_STYLE}">{note}</span>'))
        tail = [self.figure, self.readout] if readout_below else [self.readout, self.figure]
        self.children = [widgets.VBox(boxes), *tail]

    def values(self) -> dict[str, Any]:
        """The controls' current values, by name."""
        return {name: control.value for name, control in self.controls.items()}

    def update(self, _change=None) -> None:
        """Recompute from the controls, repaint what changed and rewrite the readout.

        A ``ValueError`` or ``TypeError`` from the model leaves the figure and ``.result`` as
        they were and shows the message in the readout.
        """
        if self._held:
            return
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            result = self._compute(self.values())
        except (ValueError, TypeError) as exc:
            self.readout.value = error_html(exc) + _KEPT
            self._timed(wall, cpu)
            return
        self.result = result
        self._show(result, wall, cpu, moved=self._moved(_change))

    def _moved(self, change) -> str | None:
        """The name of the control whose change triggered this update, if one did."""
        owner = change.get("owner") if isinstance(change, Mapping) else None
        return next((name for name, control in self.controls.items() if control is owner), None)

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Move several controls with no update until the block ends, then update once."""
        held, self._held = self._held, True
        try:
            yield
        finally:
            self._held = held
        self.update()

    @property
    def results(self):
        """Deprecated name of :attr:`result`."""
        warnings.warn("the explorer's .results is deprecated; use .result (the same object)", DeprecationWarning, stacklevel=2)
        return self.result

    def _show(self, result, wall: float, cpu: float, moved: str | None = None) -> None:
        sent = self._painter.n_sent
        self._painter.paint(self._paint, result)
        text = self._describe(result)
        if moved is not None and self._painter.n_sent == sent and text == self._text:
            self.readout.value = text + self._unchanged_note(moved, result)
        else:
            self.readout.value = text
        self._text = text
        self._timed(wall, cpu)

    def _unchanged_note(self, name: str, result) -> str:
        """A line saying that (and why) the last move changed nothing."""
        control = self.controls[name]
        label = html.escape(str(getattr(control, "description", "") or name))
        value = html.escape(str(getattr(control, "value", "")))
        why = self._why_unchanged(name, control.value, result) if self._why_unchanged else ""
        why = why or ("with the other settings as they are, this value does not bind (a limit never reached, "
                      "or a change smaller than one step of the model): move it further, or move another control first")
        return f'<br><span style="{NOTE_STYLE}">↔ {label} = {value}: no change in the result; {html.escape(why)}.</span>'


    def _timed(self, wall: float, cpu: float) -> None:
        self.last_update_ms = 1000 * (time.perf_counter() - wall)
        self.last_update_cpu_ms = 1000 * (time.process_time() - cpu)

    def _on_linked(self, name: str, change) -> None:
        values = self._linked[name](change["new"])
        with self.hold():
            for other, value in values.items():
                self.controls[other].value = value
