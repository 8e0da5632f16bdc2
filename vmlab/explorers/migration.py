"""Slider apps for the migration notebooks (ipywidgets + one plotly ``FigureWidget`` each).

* :func:`precopy_explorer`: drag the dirty rate, bandwidth, downtime limit, round cap,
  working set and memory size, pick QEMU or Xen, and watch the pre-copy rounds shrink, stall
  or get cut.
* :func:`cold_explorer`: disk size, bandwidth, boot time, shared storage and a suspended
  guest, on the timeline of a cold migration's five steps.
* :func:`live_vs_cold_explorer` lives in :mod:`vmlab.explorers.live_vs_cold` (still importable
  from here).

Each returns its top-level ``VBox`` with ``.controls`` (name -> widget), ``.figure`` (the
``FigureWidget``), ``.readout`` (an ``HTML`` widget), ``.update()``, ``.result`` (the latest
result) and ``.last_update_ms`` attached, so tests can move a slider without a browser. One
callback reads the controls, runs the model and updates the traces inside
``fig.batch_update()``, assigning only the properties that changed (plotly validates and
the widget sends every assignment). A callback costs about 5-10 ms of CPU, half of it the
model (``benchmarks/bench_explorers.py`` measures it; the goal is a median under 20 ms), so
the sliders update continuously. Hundreds of rounds (uniform writes near the convergence
boundary) can take a few tens of ms; pass ``continuous_update=False`` to update on release.
"""

from __future__ import annotations

from functools import partial
import html
import math
import time

import ipywidgets as widgets
import numpy as np
import plotly.graph_objects as go

from vmlab.explorers._common import error_html, slider
from vmlab.figures.migration import (
    format_duration,
    format_mib,
    rounds_figure,
    rounds_layout,
    rounds_traces,
    timeline_figure,
    timeline_layout,
    timeline_traces,
)
from vmlab.migration.cold import ColdPolicy, ColdResult, cold_migration
from vmlab.migration.params import VM, Link, PrecopyPolicy
from vmlab.migration.precopy import PrecopyResult, precopy

__all__ = ["precopy_explorer", "cold_explorer", "live_vs_cold_explorer", "POLICY_PRESETS"]

POLICY_PRESETS = {"QEMU": PrecopyPolicy.qemu, "Xen legacy": PrecopyPolicy.xen_legacy, "Xen": PrecopyPolicy.xen}
"""Dropdown label -> preset factory of the policies the explorers offer."""

_STYLE = {"description_width": "160px"}
_LAYOUT = widgets.Layout(width="430px")


_slider = partial(slider, style=_STYLE, layout=_LAYOUT)


def _check(value, cls, name: str):
    if value is not None and not isinstance(value, cls):
        raise TypeError(f"{name} must be a {cls.__name__} or None; got {type(value).__name__}")


def _policy_options(policy: PrecopyPolicy | None) -> tuple[dict[str, PrecopyPolicy], str]:
    """Label -> base policy for the dropdown, and the label selected first."""
    options = {label: make() for label, make in POLICY_PRESETS.items()}
    if policy is None:
        return options, "QEMU"
    preset_names = {p.name: label for label, p in options.items()}
    if policy.name in preset_names:
        label = preset_names[policy.name]
        options[label] = policy  # keep the caller's overrides (timeout, rate cap ...)
        return options, label
    label = f"{policy.name} (yours)"
    return {label: policy, **options}, label


def _same(a, b) -> bool:
    """Whether a trace property keeps its value (so assigning it again can be skipped)."""
    if a is b:
        return True
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape:
            return False
        if a.dtype.kind == "f" and b.dtype.kind == "f":
            return bool(np.array_equal(a, b, equal_nan=True))
        return bool(np.array_equal(a, b))
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False


class _Painter:
    """Assigns trace and layout properties of a FigureWidget, skipping those that did not change.

    Plotly validates every assignment and the widget sends each change to the browser, so
    re-sending the ten unchanged traces of a timeline costs more than the model; comparing
    first keeps a callback to the few properties a slider actually moved.
    """

    def __init__(self, fig: go.FigureWidget):
        self.fig = fig
        self.last: dict[tuple, object] = {}

    def traces(self, data: list[dict], first: int = 0) -> None:
        for i, props in enumerate(data, start=first):
            trace = self.fig.data[i]
            for key, value in props.items():
                if not _same(self.last.get((i, key), _MISSING), value):
                    trace[key] = value
                    self.last[(i, key)] = value

    def layout(self, props: dict) -> None:
        for key, value in props.items():
            if not _same(self.last.get(("layout", key), _MISSING), value):
                self.fig.layout[key] = value
                self.last[("layout", key)] = value


_MISSING = object()


def _attach(box: widgets.VBox, controls: dict, fig: go.FigureWidget, readout: widgets.HTML, update, result) -> None:
    box.controls = controls
    box.figure = fig
    box.readout = readout
    box.update = update
    box.result = result
    box.last_update_ms = float("nan")


# ---- pre-copy -----------------------------------------------------------------------------------
def precopy_readout(result: PrecopyResult) -> str:
    """HTML readout: downtime, total time, data sent, rounds and the stop reason.

    >>> from vmlab import VM, Link, precopy
    >>> print(precopy_readout(precopy(VM(memory_mib=1024), Link())))  # doctest: +ELLIPSIS
    <b>downtime</b> 15 ms · <b>total time</b> 8.6 s · <b>data sent</b> 1,024 MiB (1.00x RAM) · <b>rounds</b> 1<br>...
    """
    down = format_duration(result.downtime_ms / 1000) if result.completed else "none: the VM stayed on the source"
    colour = "#1a7f37" if result.converged else ("#9a6700" if result.completed else "#cf222e")
    return (
        f"<b>downtime</b> {down} · <b>total time</b> {format_duration(result.total_time_s)} · "
        f"<b>data sent</b> {format_mib(result.data_sent_mib)} ({result.data_sent_mib / result.vm.memory_mib:.2f}x RAM) · "
        f"<b>rounds</b> {result.n_rounds}<br>"
        f'<span style="color:{colour}"><b>{html.escape(result.stop)}</b></span>: {html.escape(result.stop_reason)}'
    )


def precopy_explorer(
    vm: VM | None = None,
    link: Link | None = None,
    policy: PrecopyPolicy | None = None,
    *,
    continuous_update: bool = True,
) -> widgets.VBox:
    """Pre-copy rounds under sliders: dirty rate, bandwidth, downtime limit, round cap, working set, memory.

    Parameters
    ----------
    vm : VM, optional
        Starting VM (default: 4 GiB, 60 MiB/s into a 1 GiB working set, 20 % zero pages).
        Fields without a slider (dirty pattern, zero pages, device state) are kept.
    link : Link, optional
        Starting link (default 1 Gbit/s, 119.2 MiB/s).
    policy : PrecopyPolicy, optional
        Starting policy (default QEMU). A preset with overrides replaces that preset in the
        dropdown; a custom policy is added to it. Choosing a policy resets the downtime-limit
        and round-cap sliders to its values.
    continuous_update : bool
        Recompute while a slider is dragged (the callback is fast enough) or only on release.

    Returns
    -------
    ipywidgets.VBox
        With ``.controls`` (``dirty_rate_mib_s``, ``bandwidth_mib_s``, ``downtime_limit_ms``,
        ``max_rounds`` (0 = no cap), ``wws_mib`` (at the memory size: all of memory),
        ``memory_mib``, ``policy``), ``.figure`` (a :func:`~vmlab.figures.migration.rounds_figure`
        as ``FigureWidget``), ``.readout``, ``.update()``, ``.result`` (the latest
        :class:`PrecopyResult`) and ``.last_update_ms``.

    Examples
    --------
    >>> app = precopy_explorer()
    >>> before = list(app.figure.data[0].y)
    >>> app.controls["dirty_rate_mib_s"].value = 100
    >>> list(app.figure.data[0].y) != before, app.result.vm.dirty_rate_mib_s
    (True, 100.0)
    """
    _check(vm, VM, "vm")
    _check(link, Link, "link")
    _check(policy, PrecopyPolicy, "policy")
    vm = VM(memory_mib=4096, dirty_rate_mib_s=60, wws_mib=1024, zero_fraction=0.2) if vm is None else vm
    link = Link(bandwidth_mib_s=119.2) if link is None else link
    options, first = _policy_options(policy)
    start = options[first]
    c = continuous_update
    mem_max = max(16384.0, float(vm.memory_mib))
    rate0 = 1000.0 if not math.isfinite(vm.dirty_rate) else vm.dirty_rate
    controls = {
        "dirty_rate_mib_s": _slider(widgets.FloatSlider, "dirty rate (MiB/s)", rate0, 0.0, max(1000.0, rate0), 5.0, ".0f", c),
        "bandwidth_mib_s": _slider(widgets.FloatSlider, "bandwidth (MiB/s)", link.bandwidth_mib_s, 10.0,
                                   max(1250.0, link.bandwidth_mib_s), 5.0, ".1f", c),
        "downtime_limit_ms": _slider(widgets.FloatSlider, "downtime limit (ms)", start.downtime_limit_ms, 10.0,
                                     max(2000.0, start.downtime_limit_ms), 10.0, ".0f", c),
        "max_rounds": _slider(widgets.IntSlider, "max rounds (0 = no cap)", start.max_rounds or 0, 0,
                              max(60, start.max_rounds or 0), 1, None, c),
        "wws_mib": _slider(widgets.FloatSlider, "working set (MiB)", vm.region_mib, 16.0, mem_max, 16.0, ".0f", c),
        "memory_mib": _slider(widgets.FloatSlider, "memory (MiB)", vm.memory_mib, 256.0, mem_max, 256.0, ".0f", c),
        "policy": widgets.Dropdown(options=list(options), value=first, description="policy", style=_STYLE, layout=_LAYOUT),
    }
    if vm.dirty_pattern == "constant":  # every write dirties a new page: no working set to set
        controls["wws_mib"].disabled = True
    readout = widgets.HTML()
    note = widgets.HTML()

    def build() -> PrecopyResult:
        memory = float(controls["memory_mib"].value)
        wws = float(controls["wws_mib"].value)
        wws_value = None if (vm.dirty_pattern == "constant" or wws >= memory) else wws
        new_vm = VM(
            memory_mib=memory, dirty_rate_mib_s=float(controls["dirty_rate_mib_s"].value), wws_mib=wws_value,
            dirty_pattern=vm.dirty_pattern, zero_fraction=vm.zero_fraction, page_size_kib=vm.page_size_kib,
            vcpus=vm.vcpus, device_state_mib=vm.device_state_mib,
        )
        new_link = Link(bandwidth_mib_s=float(controls["bandwidth_mib_s"].value), latency_ms=link.latency_ms)
        rounds_cap = int(controls["max_rounds"].value)
        new_policy = options[controls["policy"].value].replace(
            downtime_limit_ms=float(controls["downtime_limit_ms"].value), max_rounds=rounds_cap or None
        )
        return precopy(new_vm, new_link, new_policy)

    result = build()
    fig = go.FigureWidget(rounds_figure(result))
    painter = _Painter(fig)
    box = widgets.VBox()
    busy = {"on": False}

    def update(_=None) -> None:
        if busy["on"]:
            return
        t0 = time.perf_counter()
        try:
            res = build()
        except (ValueError, TypeError) as exc:
            readout.value = error_html(exc)
            return
        data = rounds_traces(res)
        with fig.batch_update():
            painter.traces(data)
            painter.layout(rounds_layout(res, data=data))
        readout.value = precopy_readout(res)
        wws_all = res.vm.wws_mib is None
        note.value = (
            '<span style="color:#57606a">working set = all of memory</span>' if wws_all and vm.dirty_pattern != "constant" else ""
        )
        box.result = res
        box.last_update_ms = 1000 * (time.perf_counter() - t0)

    def on_policy(change) -> None:
        base = options[change["new"]]
        busy["on"] = True
        try:  # reset the policy's own knobs to its values, then recompute once
            controls["downtime_limit_ms"].value = base.downtime_limit_ms
            controls["max_rounds"].value = base.max_rounds or 0
        finally:
            busy["on"] = False
        update()

    for name, control in controls.items():
        if name != "policy":
            control.observe(update, names="value")
    controls["policy"].observe(on_policy, names="value")
    left = widgets.VBox([controls[k] for k in ("dirty_rate_mib_s", "bandwidth_mib_s", "downtime_limit_ms", "max_rounds")])
    right = widgets.VBox([controls[k] for k in ("policy", "wws_mib", "memory_mib")] + [note])
    box.children = [widgets.HBox([left, right]), readout, fig]
    _attach(box, controls, fig, readout, update, result)
    update()
    return box


# ---- cold ---------------------------------------------------------------------------------------
def cold_readout(result: ColdResult) -> str:
    """HTML readout of a cold migration: downtime, the longest step, data sent.

    >>> from vmlab import VM, Link, cold_migration
    >>> print(cold_readout(cold_migration(VM(), Link(bandwidth_mib_s=119.2), disk_gib=40)))
    <b>downtime</b> 6.8 min (the whole move) · longest step: disk move 5.8 min · <b>data sent</b> 40.0 GiB
    """
    steps = result.steps
    longest = steps.loc[steps["duration_s"].idxmax()]
    return (
        f"<b>downtime</b> {format_duration(result.downtime_ms / 1000)} (the whole move) · "
        f"longest step: {longest['step']} {format_duration(float(longest['duration_s']))} · "
        f"<b>data sent</b> {format_mib(result.data_sent_mib)}"
    )


def cold_explorer(
    vm: VM | None = None,
    link: Link | None = None,
    *,
    policy: ColdPolicy | None = None,
    disk_gib: float = 40.0,
    continuous_update: bool = True,
) -> widgets.VBox:
    """A cold migration's five steps under sliders: disk size, bandwidth, boot time, storage, guest state.

    Parameters
    ----------
    vm, link : VM, Link, optional
        Defaults: a 4 GiB VM, a 1 Gbit/s link (119.2 MiB/s).
    policy : ColdPolicy, optional
        Fixed step durations other than the boot (default :class:`ColdPolicy`).
    disk_gib : float
        Starting disk size.
    continuous_update : bool

    Returns
    -------
    ipywidgets.VBox
        With ``.controls`` (``disk_gib``, ``bandwidth_mib_s``, ``boot_s``, ``shared_storage``,
        ``guest_state``), ``.figure`` (a one-row :func:`~vmlab.figures.migration.timeline_figure`),
        ``.readout``, ``.update()``, ``.result`` (the latest :class:`ColdResult`) and
        ``.last_update_ms``.

    Examples
    --------
    >>> app = cold_explorer()
    >>> app.controls["shared_storage"].value = True
    >>> float(app.result.steps.set_index("step").loc["disk move", "duration_s"])
    0.0
    """
    _check(vm, VM, "vm")
    _check(link, Link, "link")
    _check(policy, ColdPolicy, "policy")
    vm = VM(memory_mib=4096) if vm is None else vm
    link = Link(bandwidth_mib_s=119.2) if link is None else link
    policy = ColdPolicy() if policy is None else policy
    c = continuous_update
    controls = {
        "disk_gib": _slider(widgets.FloatSlider, "disk (GiB)", disk_gib, 0.0, max(500.0, disk_gib), 5.0, ".0f", c),
        "bandwidth_mib_s": _slider(widgets.FloatSlider, "bandwidth (MiB/s)", link.bandwidth_mib_s, 10.0,
                                   max(1250.0, link.bandwidth_mib_s), 5.0, ".1f", c),
        "boot_s": _slider(widgets.FloatSlider, "boot time (s)", policy.boot_s, 0.0, max(300.0, policy.boot_s), 5.0, ".0f", c),
        "shared_storage": widgets.Checkbox(value=False, description="shared storage (the disk stays)", indent=False,
                                           layout=widgets.Layout(width="300px")),
        "guest_state": widgets.ToggleButtons(options=[("powered off", "powered_off"), ("suspended", "suspended")],
                                             value="powered_off", description="guest", style=_STYLE),
    }
    readout = widgets.HTML()
    row_name = ["cold migration"]

    def build() -> ColdResult:
        return cold_migration(
            vm, Link(bandwidth_mib_s=float(controls["bandwidth_mib_s"].value), latency_ms=link.latency_ms),
            disk_gib=float(controls["disk_gib"].value), shared_storage=bool(controls["shared_storage"].value),
            guest_state=controls["guest_state"].value, policy=policy.replace(boot_s=float(controls["boot_s"].value)),
        )

    result = build()
    fig = go.FigureWidget(timeline_figure(result, names=row_name, title="Cold migration: every step is downtime"))
    painter = _Painter(fig)
    box = widgets.VBox()

    def update(_=None) -> None:
        t0 = time.perf_counter()
        try:
            res = build()
        except (ValueError, TypeError) as exc:
            readout.value = error_html(exc)
            return
        data, _scale, unit = timeline_traces(res, names=row_name)
        with fig.batch_update():
            painter.traces(data)
            painter.layout(timeline_layout(data, unit))
        readout.value = cold_readout(res)
        box.result = res
        box.last_update_ms = 1000 * (time.perf_counter() - t0)

    for control in controls.values():
        control.observe(update, names="value")
    left = widgets.VBox([controls[k] for k in ("disk_gib", "bandwidth_mib_s", "boot_s")])
    right = widgets.VBox([controls[k] for k in ("shared_storage", "guest_state")])
    box.children = [widgets.HBox([left, right]), readout, fig]
    _attach(box, controls, fig, readout, update, result)
    update()
    return box


# ---- live versus cold: moved to vmlab.explorers.live_vs_cold -----------------------------------
_MOVED = {"live_vs_cold_explorer", "live_vs_cold_readout"}


def __getattr__(name: str):
    """The live-versus-cold explorer, re-exported from :mod:`vmlab.explorers.live_vs_cold` on first use."""
    if name in _MOVED:
        from vmlab.explorers import live_vs_cold

        return getattr(live_vs_cold, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
