"""Slider apps for the four reasons to migrate (ipywidgets + one plotly ``FigureWidget`` each).

* :func:`evacuation_explorer`: empty a host for maintenance; parallelism, order, bandwidth.
* :func:`balancing_explorer`: which VM to move off a hot host, and the overhead while it moves.
* :func:`consolidation_explorer`: pack VMs in a quiet period; energy saved vs the idle length.
* :func:`race_explorer`: VMs racing a predicted host failure, live vs cold.

Each is an :class:`~vmlab.explorers._common.Explorer` (an ipywidgets ``VBox``) with
``.controls`` (name -> widget; the first is a slider), ``.figure`` (the ``FigureWidget``),
``.readout`` (an ``HTML`` widget), ``.update()``, ``.result``, ``.last_update_ms`` (wall
clock) and ``.last_update_cpu_ms`` (this process's CPU time, the fair measure on a busy
machine), so tests can move a slider without a browser. The ``fill_*`` functions of
:mod:`vmlab.figures.scenarios` paint each result in place; the explorer sends only the
properties they changed. Each update (model + redraw) takes a few milliseconds of CPU
(``benchmarks/bench_explorers.py`` measures it).
"""

from __future__ import annotations

from collections.abc import Sequence

import ipywidgets as widgets

from vmlab.explorers._common import Explorer, dropdown, slider, toggle
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
from vmlab.units import mib_to_gib

__all__ = ["evacuation_explorer", "balancing_explorer", "consolidation_explorer", "race_explorer"]

def _bandwidth(link: Link, continuous_update: bool) -> widgets.FloatSlider:
    return slider(widgets.FloatSlider, description="link bandwidth", unit="MiB/s", value=link.bandwidth_mib_s, min=50.0,
                  max=2400.0, step=10.0, readout_format=".0f", continuous_update=continuous_update)


# ---- maintenance ---------------------------------------------------------------------------------
def evacuation_explorer(vms: Sequence[VM] | None = None, *, link: Link | None = None, policy: PrecopyPolicy | None = None,
                        continuous_update: bool = True) -> Explorer:
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
        "parallel": slider(widgets.IntSlider, description="migrations at once", value=1, min=1, max=8, step=1, continuous_update=c),
        "bandwidth_mib_s": _bandwidth(link, c),
        "order": dropdown(description="order", options=list(ORDERS), value="smallest_first"),
    }

    def build(v):
        return evacuate(vms, Link(bandwidth_mib_s=v["bandwidth_mib_s"], latency_ms=link.latency_ms), policy,
                        parallel=v["parallel"], order=v["order"])

    def text(r) -> str:
        return (f"<b>host empty after</b> {format_duration(r.time_to_empty_s)} (bound: bytes / bandwidth "
                f"{format_duration(r.bandwidth_bound_s)}) · <b>downtime</b> Σ {r.total_downtime_ms:.0f} ms, "
                f"worst {r.worst_downtime_ms:.0f} ms · <b>moved</b> {mib_to_gib(r.data_moved_mib):.1f} GiB · "
                f"mean VM leaves at {format_duration(r.mean_completion_s)}")

    return Explorer(controls, compute=build, paint=fill_evacuation_gantt, describe=text, figure=evacuation_gantt,
                    rows=[["parallel", "order"], ["bandwidth_mib_s"]])


# ---- load balancing ------------------------------------------------------------------------------
def balancing_explorer(*, link: Link | None = None, continuous_update: bool = True) -> Explorer:
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
        "overload_above": slider(widgets.FloatSlider, description="over-utilised above", value=0.8, min=0.5, max=0.95, step=0.05,
                                 readout_format=".0%", continuous_update=c),
        "migration_cpu_overhead": slider(widgets.FloatSlider, description="migration CPU overhead", value=0.10, min=0.0, max=0.5,
                                         step=0.05, readout_format=".0%", continuous_update=c),
        "bandwidth_mib_s": _bandwidth(link, c),
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

    return Explorer(controls, compute=build, paint=fill_balancing_figure, describe=text, figure=balancing_figure,
                    rows=[["overload_above", "migration_cpu_overhead"], ["bandwidth_mib_s"]],
                    note="Left panel: the threshold (dashed), the CPU overhead while the VM moves and, with the "
                         "bandwidth, how long that lasts. Right panel: which VMs the threshold makes worth moving.")


# ---- consolidation -------------------------------------------------------------------------------
def consolidation_explorer(vms: Sequence[PlacedVM] | None = None, *, n_hosts: int = 8, link: Link | None = None,
                           continuous_update: bool = True) -> Explorer:
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
        "idle_period_h": slider(widgets.FloatSlider, description="idle period", unit="h", value=8.0, min=0.0, max=24.0, step=0.25,
                                readout_format=".2f", continuous_update=c),
        "max_utilisation": slider(widgets.FloatSlider, description="pack hosts up to", value=0.8, min=0.3, max=1.0, step=0.05,
                                  readout_format=".0%", continuous_update=c),
        "idle_w": slider(widgets.FloatSlider, description="host idle power", unit="W", value=base.idle_w, min=20.0, max=300.0,
                         step=5.0, readout_format=".0f", continuous_update=c),
        "boot_s": slider(widgets.FloatSlider, description="host boot time", unit="s", value=base.boot_s, min=0.0, max=1800.0,
                         step=30.0, readout_format=".0f", continuous_update=c),
    }

    def build(v):
        power = HostPower(idle_w=v["idle_w"], dynamic_w=base.dynamic_w, off_w=min(base.off_w, v["idle_w"]), boot_s=v["boot_s"])
        return consolidate(vms, link, n_hosts=n_hosts, max_utilisation=v["max_utilisation"], power=power,
                           idle_period_s=v["idle_period_h"] * 3600.0)

    def draw(r):
        return consolidation_figure(r, max_idle_h=24.0)

    def paint(fig, r):
        fill_consolidation_figure(fig, r, max_idle_h=24.0)

    def text(r) -> str:
        return (f"<b>hosts</b> {r.hosts_before} → {r.hosts_after} ({r.n_moved} moves, downtime Σ "
                f"{r.total_downtime_ms:.0f} ms) · <b>saves</b> {r.power_saved_w:.0f} W · <b>break-even</b> "
                f"{format_duration(r.break_even_s)} · <b>net</b> {r.net_saved_kwh:+.2f} kWh "
                f"({'worth it' if r.worth_it else 'not worth it'})")

    return Explorer(controls, compute=build, paint=paint, describe=text, figure=draw,
                    rows=[["idle_period_h", "max_utilisation"], ["idle_w", "boot_s"]],
                    note="Left panel: the hosts before and after packing (moved by “pack hosts up to”). Right panel: "
                         "net energy against the idle period; the idle period moves the black point, idle power and "
                         "boot time the curve and its break-even.")


# ---- fault tolerance -----------------------------------------------------------------------------
def race_explorer(vms: Sequence[VM] | None = None, *, link: Link | None = None, continuous_update: bool = True) -> Explorer:
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
        "time_to_failure_s": slider(widgets.FloatSlider, description="time to failure", unit="s", value=60.0, min=0.0, max=900.0, step=5.0,
                                    readout_format=".0f", continuous_update=c),
        "parallel": slider(widgets.IntSlider, description="migrations at once", value=1, min=1, max=8, step=1, continuous_update=c),
        "method": toggle(description="method", options=["live", "cold"], value="live"),
        "order": dropdown(description="order", options=list(ORDERS), value="shortest_first"),
    }

    def build(v):
        return escape_failing_host(vms, link, time_to_failure_s=v["time_to_failure_s"], method=v["method"],
                                   order=v["order"], parallel=v["parallel"])

    def text(r) -> str:
        return (f"<b>saved</b> {r.n_saved} of {r.n_saved + r.n_lost} VMs · <b>lost</b> {mib_to_gib(r.lost_memory_mib):.1f} GiB · "
                f"all safe after {format_duration(r.all_safe_s)} · service downtime Σ {format_duration(r.total_downtime_s)}")

    return Explorer(controls, compute=build, paint=fill_race_figure, describe=text, figure=race_figure,
                    rows=[["time_to_failure_s", "method"], ["parallel", "order"]])
