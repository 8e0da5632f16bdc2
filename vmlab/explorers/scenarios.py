"""Slider apps for the four reasons to migrate (ipywidgets + one plotly ``FigureWidget`` each).

* :func:`evacuation_explorer`: empty a host for maintenance; parallelism, order, bandwidth.
* :func:`balancing_explorer`: which VM to move off a hot host, and the overhead while it moves.
* :func:`consolidation_explorer`: pack VMs in a quiet period; energy saved vs the idle length.
* :func:`race_explorer`: VMs racing a predicted host failure, live vs cold.

Each returns its top-level ``VBox`` with ``.controls`` (name -> widget; the first is a
slider), ``.figure`` (the ``FigureWidget``), ``.readout`` (an ``HTML`` widget), ``.update()``,
``.result``, ``.last_update_ms`` (wall clock) and ``.last_update_cpu_ms`` (this process's CPU
time, the fair measure on a busy machine), so tests can move a slider without a browser. One callback
per explorer recomputes the model and rewrites the traces inside ``fig.batch_update()``; the
figures keep a fixed number of traces so the update is in place. Each update (model + redraw)
takes a few to a few tens of milliseconds (``tests/test_scenarios.py`` checks < 50 ms).
"""

from __future__ import annotations

from functools import partial
import time
from collections.abc import Callable, Sequence

import ipywidgets as widgets
import plotly.graph_objects as go

from vmlab.explorers._common import error_html, slider
from vmlab.format import format_duration
from vmlab.figures.scenarios import (
    balancing_figure,
    consolidation_figure,
    evacuation_gantt,
    fill_balancing_figure,
    fill_consolidation_figure,
    fill_evacuation_gantt,
    fill_race_figure,
    race_figure,
)
from vmlab.migration.params import VM, Link, PrecopyPolicy
from vmlab.scenarios.balancing import PlacedVM, balance_load, demo_hot_host
from vmlab.scenarios.consolidation import HostPower, consolidate, demo_quiet_pool
from vmlab.scenarios.evacuation import ORDERS, evacuate, random_fleet
from vmlab.scenarios.fault_tolerance import escape_failing_host

__all__ = ["evacuation_explorer", "balancing_explorer", "consolidation_explorer", "race_explorer"]

_STYLE = {"description_width": "170px"}
_LAYOUT = widgets.Layout(width="440px")


_slider = partial(slider, style=_STYLE, layout=_LAYOUT)


def _app(controls: dict, build: Callable, draw: Callable, fill: Callable, readout_text: Callable,
         layout_rows: Sequence[Sequence[str]]) -> widgets.VBox:
    """Wire controls -> build(values) -> result; draw the figure once, then fill(fig, result) in place."""
    readout = widgets.HTML()
    result = build({k: c.value for k, c in controls.items()})
    fig = go.FigureWidget(draw(result))
    box = widgets.VBox()

    def update(_=None) -> None:
        start, cpu = time.perf_counter(), time.process_time()
        try:
            res = build({k: c.value for k, c in controls.items()})
        except (ValueError, TypeError) as exc:
            readout.value = error_html(exc)
            return
        with fig.batch_update():
            fill(fig, res)
        box.result = res
        readout.value = readout_text(res)
        box.last_update_ms = 1000 * (time.perf_counter() - start)
        box.last_update_cpu_ms = 1000 * (time.process_time() - cpu)

    for control in controls.values():
        control.observe(update, names="value")
    rows = [widgets.HBox([widgets.VBox([controls[k] for k in col]) for col in layout_rows])]
    box.children = [*rows, readout, fig]
    box.controls = controls
    box.figure = fig
    box.readout = readout
    box.update = update
    box.result = result
    box.last_update_ms = float("nan")
    box.last_update_cpu_ms = float("nan")
    readout.value = readout_text(result)
    return box


# ---- maintenance ---------------------------------------------------------------------------------
def evacuation_explorer(vms: Sequence[VM] | None = None, *, link: Link | None = None, policy: PrecopyPolicy | None = None,
                        continuous_update: bool = True) -> widgets.VBox:
    """Empty a host for maintenance: migrations at once, their order, and the link's bandwidth.

    Controls: ``parallel`` (slider, first), ``bandwidth_mib_s``, ``order``.

    >>> app = evacuation_explorer()
    >>> before = list(app.figure.data[0].x)
    >>> app.controls["parallel"].value = 4
    >>> list(app.figure.data[0].x) != before
    True
    """
    vms = random_fleet(8, seed=4) if vms is None else list(vms)
    link = Link(bandwidth_mib_s=1192.0) if link is None else link
    c = continuous_update
    controls = {
        "parallel": _slider(widgets.IntSlider, "migrations at once", 1, 1, 8, 1, None, c),
        "bandwidth_mib_s": _slider(widgets.FloatSlider, "link bandwidth (MiB/s)", link.bandwidth_mib_s, 50.0, 2400.0, 10.0, ".0f", c),
        "order": widgets.Dropdown(options=list(ORDERS), value="smallest_first", description="order", style=_STYLE, layout=_LAYOUT),
    }

    def build(v):
        return evacuate(vms, Link(bandwidth_mib_s=v["bandwidth_mib_s"], latency_ms=link.latency_ms), policy,
                        parallel=v["parallel"], order=v["order"])

    def text(r) -> str:
        return (f"<b>host empty after</b> {format_duration(r.time_to_empty_s)} (bound: bytes / bandwidth "
                f"{format_duration(r.bandwidth_bound_s)}) · <b>downtime</b> Σ {r.total_downtime_ms:.0f} ms, "
                f"worst {r.worst_downtime_ms:.0f} ms · <b>moved</b> {r.data_moved_mib / 1024:.1f} GiB · "
                f"mean VM leaves at {format_duration(r.mean_completion_s)}")

    return _app(controls, build, evacuation_gantt, fill_evacuation_gantt, text, [["parallel", "bandwidth_mib_s"], ["order"]])


# ---- load balancing ------------------------------------------------------------------------------
def balancing_explorer(*, link: Link | None = None, continuous_update: bool = True) -> widgets.VBox:
    """Move one VM off a hot host: the overload threshold, the migration overhead, the link.

    Controls: ``overload_above`` (slider, first), ``migration_cpu_overhead``, ``bandwidth_mib_s``.

    >>> app = balancing_explorer()
    >>> before = list(app.figure.data[0].y)
    >>> app.controls["migration_cpu_overhead"].value = 0.5
    >>> list(app.figure.data[0].y) != before
    True
    """
    source, destination = demo_hot_host()
    link = Link(bandwidth_mib_s=1192.0) if link is None else link
    c = continuous_update
    controls = {
        "overload_above": _slider(widgets.FloatSlider, "over-utilised above", 0.8, 0.5, 0.95, 0.05, ".2f", c),
        "migration_cpu_overhead": _slider(widgets.FloatSlider, "migration CPU overhead", 0.10, 0.0, 0.5, 0.05, ".2f", c),
        "bandwidth_mib_s": _slider(widgets.FloatSlider, "link bandwidth (MiB/s)", link.bandwidth_mib_s, 50.0, 2400.0, 10.0, ".0f", c),
    }

    def build(v):
        return balance_load(source, destination, Link(bandwidth_mib_s=v["bandwidth_mib_s"], latency_ms=link.latency_ms),
                            overload_above=v["overload_above"], migration_cpu_overhead=v["migration_cpu_overhead"])

    def text(r) -> str:
        u = r.utilisation.set_index("host")
        return (f"<b>move</b> {r.chosen or 'nothing'} · source {u.loc['source', 'before']:.0%} → during "
                f"{u.loc['source', 'during']:.0%} → after {u.loc['source', 'after']:.0%} · destination "
                f"{u.loc['destination', 'before']:.0%} → {u.loc['destination', 'after']:.0%} · "
                f"{'relieved' if r.relieved else 'still over-utilised'}")

    return _app(controls, build, balancing_figure, fill_balancing_figure, text, [["overload_above", "migration_cpu_overhead"], ["bandwidth_mib_s"]])


# ---- consolidation -------------------------------------------------------------------------------
def consolidation_explorer(vms: Sequence[PlacedVM] | None = None, *, n_hosts: int = 8, link: Link | None = None,
                           continuous_update: bool = True) -> widgets.VBox:
    """Consolidate a quiet pool: idle length, packing headroom, idle power, host boot time.

    Controls: ``idle_period_h`` (slider, first), ``max_utilisation``, ``idle_w``, ``boot_s``.

    >>> app = consolidation_explorer()
    >>> before = list(app.figure.data[3].y)
    >>> app.controls["idle_period_h"].value = 0.5
    >>> list(app.figure.data[3].y) != before
    True
    """
    vms = demo_quiet_pool() if vms is None else list(vms)
    link = Link(bandwidth_mib_s=1192.0) if link is None else link
    c = continuous_update
    base = HostPower()
    controls = {
        "idle_period_h": _slider(widgets.FloatSlider, "idle period (h)", 8.0, 0.0, 24.0, 0.25, ".2f", c),
        "max_utilisation": _slider(widgets.FloatSlider, "pack hosts up to", 0.8, 0.3, 1.0, 0.05, ".2f", c),
        "idle_w": _slider(widgets.FloatSlider, "host idle power (W)", base.idle_w, 20.0, 300.0, 5.0, ".0f", c),
        "boot_s": _slider(widgets.FloatSlider, "host boot time (s)", base.boot_s, 0.0, 1800.0, 30.0, ".0f", c),
    }

    def build(v):
        power = HostPower(idle_w=v["idle_w"], dynamic_w=base.dynamic_w, off_w=min(base.off_w, v["idle_w"]), boot_s=v["boot_s"])
        return consolidate(vms, link, n_hosts=n_hosts, max_utilisation=v["max_utilisation"], power=power,
                           idle_period_s=v["idle_period_h"] * 3600.0)

    def draw(r):
        return consolidation_figure(r, max_idle_h=24.0)

    def fill(fig, r):
        fill_consolidation_figure(fig, r, max_idle_h=24.0)

    def text(r) -> str:
        return (f"<b>hosts</b> {r.hosts_before} → {r.hosts_after} ({r.n_moved} moves, downtime Σ "
                f"{r.total_downtime_ms:.0f} ms) · <b>saves</b> {r.power_saved_w:.0f} W · <b>break-even</b> "
                f"{format_duration(r.break_even_s)} · <b>net</b> {r.net_saved_kwh:+.2f} kWh "
                f"({'worth it' if r.worth_it else 'not worth it'})")

    return _app(controls, build, draw, fill, text, [["idle_period_h", "max_utilisation"], ["idle_w", "boot_s"]])


# ---- fault tolerance -----------------------------------------------------------------------------
def race_explorer(vms: Sequence[VM] | None = None, *, link: Link | None = None, continuous_update: bool = True) -> widgets.VBox:
    """Race a predicted failure: lead time, live or cold, order, parallelism.

    Controls: ``time_to_failure_s`` (slider, first), ``parallel``, ``method``, ``order``.

    >>> app = race_explorer()
    >>> before = len(app.figure.data[0].y)
    >>> app.controls["time_to_failure_s"].value = 600
    >>> len(app.figure.data[0].y) > before
    True
    """
    vms = random_fleet(8, seed=4) if vms is None else list(vms)
    link = Link(bandwidth_mib_s=1192.0) if link is None else link
    c = continuous_update
    controls = {
        "time_to_failure_s": _slider(widgets.FloatSlider, "time to failure (s)", 60.0, 0.0, 900.0, 5.0, ".0f", c),
        "parallel": _slider(widgets.IntSlider, "migrations at once", 1, 1, 8, 1, None, c),
        "method": widgets.ToggleButtons(options=["live", "cold"], value="live", description="method", style=_STYLE),
        "order": widgets.Dropdown(options=list(ORDERS), value="shortest_first", description="order", style=_STYLE, layout=_LAYOUT),
    }

    def build(v):
        return escape_failing_host(vms, link, time_to_failure_s=v["time_to_failure_s"], method=v["method"],
                                   order=v["order"], parallel=v["parallel"])

    def text(r) -> str:
        return (f"<b>saved</b> {r.n_saved} of {r.n_saved + r.n_lost} VMs · <b>lost</b> {r.lost_memory_mib / 1024:.1f} GiB · "
                f"all safe after {format_duration(r.all_safe_s)} · service downtime Σ {format_duration(r.total_downtime_s)}")

    return _app(controls, build, race_figure, fill_race_figure, text, [["time_to_failure_s", "parallel"], ["method", "order"]])
