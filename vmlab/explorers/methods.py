"""Slider apps for the migration methods beyond plain pre-copy (ipywidgets + one plotly ``FigureWidget`` each).

* :func:`methods_explorer`: pre-copy, post-copy (pure and hybrid), pre-copy + auto-converge and
  cold on one VM and link; drag the dirty rate past the link and watch pre-copy fail and the
  others pay.
* :func:`autoconverge_explorer`: QEMU's throttle parameters, round by round.
* :func:`pagesim_explorer`: the page simulator's dirty bitmap for a hot/cold write mix.

Each is an :class:`~vmlab.explorers._common.Explorer` (an ipywidgets ``VBox``) with
``.controls`` (the first is a slider), ``.figure``, ``.readout``, ``.update()``, ``.result``,
``.last_update_ms`` and ``.last_update_cpu_ms``; the ``fill_*`` functions of
:mod:`vmlab.figures.methods` paint each result and the explorer sends only what they changed.
(This module was ``vmlab.explorers.beyond``, which still re-exports these names.)
"""

from __future__ import annotations

import ipywidgets as widgets

from vmlab.explorers._common import Explorer, slider
from vmlab.figures.methods import (
    autoconverge_figure,
    bitmap_heatmap,
    fill_autoconverge_figure,
    fill_bitmap_heatmap,
    fill_methods_figure,
    methods_figure,
)
from vmlab.format import format_duration
from vmlab.migration.autoconverge import AutoConvergePolicy, autoconverge
from vmlab.migration.pagesim import simulate_pages
from vmlab.migration.params import VM, Link, PrecopyPolicy
from vmlab.migration.postcopy import compare_methods
from vmlab.units import mib_to_gib

__all__ = ["methods_explorer", "autoconverge_explorer", "pagesim_explorer"]


def methods_explorer(vm: VM | None = None, link: Link | None = None, *, continuous_update: bool = True) -> Explorer:
    """Five ways to move one VM: drag its dirty rate, working set, the link and the downtime limit.

    Controls: ``dirty_rate_mib_s`` (slider, first), ``wws_mib``, ``bandwidth_mib_s``,
    ``downtime_limit_ms``.

    >>> app = methods_explorer()
    >>> before = list(app.figure.data[1].y)
    >>> app.controls["dirty_rate_mib_s"].value = 300
    >>> list(app.figure.data[1].y) != before
    True
    """
    vm = VM(memory_mib=8192, dirty_rate_mib_s=80.0, wws_mib=2048) if vm is None else vm
    link = Link(bandwidth_mib_s=119.2) if link is None else link
    c = continuous_update
    controls = {
        "dirty_rate_mib_s": slider(widgets.FloatSlider, description="dirty rate", unit="MiB/s", value=vm.dirty_rate, min=0.0, max=600.0, step=5.0, readout_format=".0f", continuous_update=c),
        "wws_mib": slider(widgets.FloatSlider, description="working set", unit="MiB", value=vm.region_mib, min=64.0, max=vm.memory_mib, step=64.0, readout_format=".0f", continuous_update=c),
        "bandwidth_mib_s": slider(widgets.FloatSlider, description="link bandwidth", unit="MiB/s", value=link.bandwidth_mib_s, min=12.0, max=1192.0, step=1.0, readout_format=".0f", continuous_update=c),
        "downtime_limit_ms": slider(widgets.FloatSlider, description="downtime limit", unit="ms", value=300.0, min=10.0, max=2000.0, step=10.0, readout_format=".0f", continuous_update=c),
    }

    def build(v):
        vm_now = vm.replace(dirty_rate_mib_s=v["dirty_rate_mib_s"], wws_mib=v["wws_mib"])
        return compare_methods(vm_now, Link(bandwidth_mib_s=v["bandwidth_mib_s"], latency_ms=link.latency_ms),
                               PrecopyPolicy.qemu(downtime_limit_ms=v["downtime_limit_ms"]))

    def text(cmp) -> str:
        t = cmp.table.set_index("method")
        parts = []
        for m in t.index:
            row = t.loc[m]
            down = format_duration(row["downtime_ms"] / 1000) if row["completed"] else "did not complete"
            parts.append(f"<b>{m}</b>: down {down}, {mib_to_gib(row['data_sent_mib']):.1f} GiB, slowdown {row['guest_slowdown_pct']:.0f} %")
        return " · ".join(parts)

    return Explorer(controls, compute=build, paint=fill_methods_figure, describe=text, figure=methods_figure,
                    rows=[["dirty_rate_mib_s", "wws_mib"], ["bandwidth_mib_s", "downtime_limit_ms"]],
                    note="Every control moves all four panels (one bar per method); the downtime limit is pre-copy's.")


def autoconverge_explorer(vm: VM | None = None, link: Link | None = None, *, continuous_update: bool = True) -> Explorer:
    """QEMU auto-converge: drag the dirty rate and the throttle's first step and increment.

    Controls: ``dirty_rate_mib_s`` (slider, first), ``initial_pct``, ``increment_pct``,
    ``trigger_threshold_pct``.

    >>> app = autoconverge_explorer()
    >>> before = list(app.figure.data[2].y)
    >>> app.controls["initial_pct"].value = 50
    >>> list(app.figure.data[2].y) != before
    True
    """
    vm = VM(memory_mib=4096, dirty_rate_mib_s=200.0) if vm is None else vm
    link = Link(bandwidth_mib_s=119.2) if link is None else link
    c = continuous_update
    controls = {
        "dirty_rate_mib_s": slider(widgets.FloatSlider, description="dirty rate", unit="MiB/s", value=vm.dirty_rate, min=0.0, max=2000.0, step=10.0, readout_format=".0f", continuous_update=c),
        "initial_pct": slider(widgets.FloatSlider, description="cpu-throttle-initial", unit="%", value=20.0, min=1.0, max=99.0, step=1.0, readout_format=".0f", continuous_update=c),
        "increment_pct": slider(widgets.FloatSlider, description="cpu-throttle-increment", unit="%", value=10.0, min=1.0, max=99.0, step=1.0, readout_format=".0f", continuous_update=c),
        "trigger_threshold_pct": slider(widgets.FloatSlider, description="throttle-trigger-threshold", unit="%", value=50.0, min=1.0, max=100.0, step=1.0, readout_format=".0f", continuous_update=c),
    }

    def build(v):
        vm_now = vm.replace(dirty_rate_mib_s=v["dirty_rate_mib_s"])
        throttle = AutoConvergePolicy(initial_pct=v["initial_pct"], increment_pct=v["increment_pct"],
                                      trigger_threshold_pct=v["trigger_threshold_pct"], max_pct=max(99.0, v["initial_pct"]))
        return autoconverge(vm_now, link, throttle=throttle)

    def text(r) -> str:
        down = format_duration(r.downtime_ms / 1000) if r.completed else "n/a"
        return (f"<b>{'converged' if r.converged else r.stop}</b> after {r.n_rounds} rounds, "
                f"{format_duration(r.total_time_s)} · downtime {down} · throttle up to {r.final_throttle_pct:.0f} % · "
                f"<b>guest slowdown</b> {r.guest_slowdown_pct:.0f} % of its CPU ({r.lost_guest_s:.0f} guest-seconds lost)")

    return Explorer(controls, compute=build, paint=fill_autoconverge_figure, describe=text, figure=autoconverge_figure,
                    rows=[["dirty_rate_mib_s", "initial_pct"], ["increment_pct", "trigger_threshold_pct"]])


def pagesim_explorer(vm: VM | None = None, link: Link | None = None, *, continuous_update: bool = True) -> Explorer:
    """The page simulator's dirty bitmap: drag the hot set's share of writes, the rate, the seed.

    Controls: ``hot_write_share`` (slider, first), ``hot_fraction``, ``dirty_rate_mib_s``, ``seed``.

    >>> app = pagesim_explorer()
    >>> before = app.figure.data[0].z.copy()
    >>> app.controls["seed"].value = 5
    >>> before.shape != app.figure.data[0].z.shape or bool((before != app.figure.data[0].z).any())
    True
    """
    vm = VM(memory_mib=1024, dirty_rate_mib_s=60.0, wws_mib=512) if vm is None else vm
    link = Link(bandwidth_mib_s=119.2) if link is None else link
    c = continuous_update
    controls = {
        "hot_write_share": slider(widgets.FloatSlider, description="writes to hot pages", value=0.9, min=0.0, max=1.0, step=0.05, readout_format=".0%", continuous_update=c),
        "hot_fraction": slider(widgets.FloatSlider, description="hot share of working set", value=0.1, min=0.05, max=1.0, step=0.05, readout_format=".0%", continuous_update=c),
        "dirty_rate_mib_s": slider(widgets.FloatSlider, description="dirty rate", unit="MiB/s", value=vm.dirty_rate, min=0.0, max=400.0, step=5.0, readout_format=".0f", continuous_update=c),
        "seed": slider(widgets.IntSlider, description="seed", value=0, min=0, max=99, step=1, continuous_update=c),
    }

    def build(v):
        f = v["hot_fraction"]
        s = 1.0 if f >= 1.0 else v["hot_write_share"]
        vm_now = vm.replace(dirty_rate_mib_s=v["dirty_rate_mib_s"])
        return simulate_pages(vm_now, link, PrecopyPolicy.qemu(timeout_s=120), hot_fraction=f, hot_write_share=s,
                              seed=v["seed"], bitmap_bins=128)

    def text(r) -> str:
        down = format_duration(r.downtime_ms / 1000) if r.completed else "n/a"
        return (f"<b>{r.stop}</b> after {r.n_rounds} rounds · total {format_duration(r.total_time_s)} · downtime {down} · "
                f"{mib_to_gib(r.data_sent_mib):.2f} GiB sent")

    return Explorer(controls, compute=build, paint=fill_bitmap_heatmap, describe=text, figure=bitmap_heatmap,
                    rows=[["hot_write_share", "hot_fraction"], ["dirty_rate_mib_s", "seed"]])
