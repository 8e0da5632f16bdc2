"""Slider apps for the migration notebooks (ipywidgets + one plotly ``FigureWidget`` each).

* :func:`precopy_explorer`: drag the dirty rate, bandwidth, downtime limit, round cap,
  working set and memory size, pick QEMU or Xen, and watch the pre-copy rounds shrink, stall
  or get cut.
* :func:`cold_explorer`: disk size, bandwidth, boot time, shared storage and a suspended
  guest, on the timeline of a cold migration's five steps.
* :func:`convergence_map_explorer`: where pre-copy converges over dirty rate x bandwidth (a
  vectorised grid), redrawn while the downtime limit and the working set move.
* :func:`live_vs_cold_explorer` lives in :mod:`vmlab.explorers.live_vs_cold` (still importable
  from here).

Each is an :class:`~vmlab.explorers._common.Explorer` (an ipywidgets ``VBox``) with
``.controls`` (name -> widget), ``.figure`` (the ``FigureWidget``), ``.readout`` (an ``HTML``
widget), ``.update()``, ``.result`` (the latest result), ``.last_update_ms`` (wall clock) and
``.last_update_cpu_ms`` (process CPU), so tests can move a slider without a browser. One
callback reads the controls, runs the model and updates the traces inside
``fig.batch_update()``, assigning only the properties that changed (plotly validates and
the widget sends every assignment); a bad combination of values shows in the readout and the
figure keeps its last good state. A callback costs a median 2-4 ms of CPU, about half of it
the model (``benchmarks/bench_explorers.py`` measures it; the goal is a median under 20 ms),
so the sliders update continuously. Hundreds of rounds (uniform writes near the convergence
boundary) can take a few tens of ms; pass ``continuous_update=False`` to update on release.
"""

from __future__ import annotations

import html
import math
from typing import NamedTuple

import ipywidgets as widgets
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from vmlab.explorers._common import NOTE_STYLE, Explorer, checkbox, dropdown, slider, toggle, write_traces
from vmlab.figures.convergence_map import convergence_map_figure
from vmlab.figures.precopy import rounds_figure, rounds_layout, rounds_traces
from vmlab.figures.timeline import timeline_figure, timeline_layout, timeline_traces
from vmlab.format import format_duration, format_mib
from vmlab.migration.cold import ColdPolicy, ColdResult, cold_migration
from vmlab.migration.params import VM, Link, PrecopyPolicy
from vmlab.migration.precopy import PrecopyResult, precopy, precopy_grid
from vmlab.migration.rates import working_set_bandwidth_mib_s

__all__ = ["precopy_explorer", "cold_explorer", "convergence_map_explorer", "live_vs_cold_explorer", "POLICY_PRESETS"]

POLICY_PRESETS = {"QEMU": PrecopyPolicy.qemu, "Xen legacy": PrecopyPolicy.xen_legacy, "Xen": PrecopyPolicy.xen}
"""Dropdown label -> preset factory of the policies the explorers offer."""


def _check(value, cls, name: str):
    if value is not None and not isinstance(value, cls):
        raise TypeError(f"{name} must be a {cls.__name__} or None; got {type(value).__name__}")


def _scenario(vm: VM | None, link: Link | None, policy: PrecopyPolicy | None, *,
              wws_mib: float = 1024.0) -> tuple[VM, Link, PrecopyPolicy]:
    """The arguments checked, with the explorers' defaults: a 4 GiB VM dirtying 60 MiB/s into a
    working set (1 GiB), 20 % zero pages; a 1 Gbit/s link (119.2 MiB/s); QEMU's policy."""
    _check(vm, VM, "vm")
    _check(link, Link, "link")
    _check(policy, PrecopyPolicy, "policy")
    vm = VM(memory_mib=4096, dirty_rate_mib_s=60, wws_mib=wws_mib, zero_fraction=0.2) if vm is None else vm
    link = Link(bandwidth_mib_s=119.2) if link is None else link
    return vm, link, PrecopyPolicy.qemu() if policy is None else policy


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
) -> Explorer:
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
    Explorer
        An ipywidgets ``VBox`` with ``.controls`` (``dirty_rate_mib_s``, ``bandwidth_mib_s``,
        ``downtime_limit_ms``, ``max_rounds`` (0 = no cap), ``wws_mib`` (at the memory size:
        all of memory), ``memory_mib``, ``policy``), ``.figure`` (a
        :func:`~vmlab.figures.precopy.rounds_figure` as ``FigureWidget``), ``.readout``,
        ``.update()``, ``.result`` (the latest :class:`PrecopyResult`), ``.last_update_ms`` and
        ``.last_update_cpu_ms``.

    Examples
    --------
    >>> app = precopy_explorer()
    >>> before = list(app.figure.data[0].y)
    >>> app.controls["dirty_rate_mib_s"].value = 100
    >>> list(app.figure.data[0].y) != before, app.result.vm.dirty_rate_mib_s
    (True, 100.0)
    """
    vm, link, _ = _scenario(vm, link, policy)
    options, first = _policy_options(policy)
    start = options[first]
    c = continuous_update
    mem_max = max(16384.0, float(vm.memory_mib))
    rate0 = 1000.0 if not math.isfinite(vm.dirty_rate) else vm.dirty_rate
    controls = {
        "dirty_rate_mib_s": slider(widgets.FloatSlider, description="dirty rate", unit="MiB/s", value=rate0, min=0.0,
                                   max=max(1000.0, rate0), step=5.0, readout_format=".0f", continuous_update=c),
        "bandwidth_mib_s": _bandwidth_slider(link, c),
        "downtime_limit_ms": slider(widgets.FloatSlider, description="downtime limit", unit="ms", value=start.downtime_limit_ms,
                                    min=10.0, max=max(2000.0, start.downtime_limit_ms), step=10.0, readout_format=".0f",
                                    continuous_update=c),
        "max_rounds": slider(widgets.IntSlider, description="max rounds (0 = no cap)", value=start.max_rounds or 0, min=0,
                             max=max(60, start.max_rounds or 0), step=1, continuous_update=c),
        "wws_mib": slider(widgets.FloatSlider, description="working set", unit="MiB", value=vm.region_mib, min=16.0,
                          max=mem_max, step=16.0, readout_format=".0f", continuous_update=c),
        "memory_mib": slider(widgets.FloatSlider, description="memory", unit="MiB", value=vm.memory_mib, min=256.0,
                             max=mem_max, step=256.0, readout_format=".0f", continuous_update=c),
        "policy": dropdown(description="policy", options=list(options), value=first),
    }
    if vm.dirty_pattern == "constant":  # every write dirties a new page: no working set to set
        controls["wws_mib"].disabled = True

    def compute(v: dict) -> PrecopyResult:
        memory, wws = float(v["memory_mib"]), float(v["wws_mib"])
        new_vm = vm.replace(memory_mib=memory, dirty_rate_mib_s=float(v["dirty_rate_mib_s"]),
                            wws_mib=None if (vm.dirty_pattern == "constant" or wws >= memory) else wws)
        new_link = Link(bandwidth_mib_s=float(v["bandwidth_mib_s"]), latency_ms=link.latency_ms)
        new_policy = options[v["policy"]].replace(downtime_limit_ms=float(v["downtime_limit_ms"]),
                                                  max_rounds=int(v["max_rounds"]) or None)
        return precopy(new_vm, new_link, new_policy)

    def paint(fig, res: PrecopyResult) -> None:
        data = rounds_traces(res)
        write_traces(fig, data)
        fig.layout.update(rounds_layout(res, data=data))

    def describe(res: PrecopyResult) -> str:
        all_memory = res.vm.wws_mib is None and vm.dirty_pattern != "constant"
        return precopy_readout(res) + (f'<br><span style="{NOTE_STYLE}">working set = all of memory</span>' if all_memory else "")

    def policy_knobs(label: str) -> dict:
        """Choosing a policy resets the downtime-limit and round-cap sliders to its values."""
        return {"downtime_limit_ms": options[label].downtime_limit_ms, "max_rounds": options[label].max_rounds or 0}

    return Explorer(controls, compute=compute, paint=paint, describe=describe, figure=rounds_figure,
                    rows=[["dirty_rate_mib_s", "policy"], ["bandwidth_mib_s", "wws_mib"], ["downtime_limit_ms", "memory_mib"],
                          ["max_rounds"]],
                    linked={"policy": policy_knobs})


def _bandwidth_slider(link: Link, continuous_update: bool) -> widgets.FloatSlider:
    """The link's bandwidth, 10 MiB/s to 10 Gbit/s (or the link's own, if faster)."""
    return slider(widgets.FloatSlider, description="bandwidth", unit="MiB/s", value=link.bandwidth_mib_s, min=10.0,
                  max=max(1250.0, link.bandwidth_mib_s), step=5.0, readout_format=".1f", continuous_update=continuous_update)


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
) -> Explorer:
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
    Explorer
        An ipywidgets ``VBox`` with ``.controls`` (``disk_gib``, ``bandwidth_mib_s``, ``boot_s``,
        ``shared_storage``, ``guest_state``), ``.figure`` (a one-row
        :func:`~vmlab.figures.timeline.timeline_figure`), ``.readout``, ``.update()``,
        ``.result`` (the latest :class:`ColdResult`), ``.last_update_ms`` and
        ``.last_update_cpu_ms``.

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
        "disk_gib": slider(widgets.FloatSlider, description="disk", unit="GiB", value=disk_gib, min=0.0,
                           max=max(500.0, disk_gib), step=5.0, readout_format=".0f", continuous_update=c),
        "bandwidth_mib_s": _bandwidth_slider(link, c),
        "boot_s": slider(widgets.FloatSlider, description="boot time", unit="s", value=policy.boot_s, min=0.0,
                         max=max(300.0, policy.boot_s), step=5.0, readout_format=".0f", continuous_update=c),
        "shared_storage": checkbox(description="shared storage (the disk stays)"),
        "guest_state": toggle(description="guest", options=[("powered off", "powered_off"), ("suspended", "suspended")],
                              value="powered_off"),
    }
    row_name = ["cold migration"]

    def compute(v: dict) -> ColdResult:
        return cold_migration(
            vm, Link(bandwidth_mib_s=float(v["bandwidth_mib_s"]), latency_ms=link.latency_ms),
            disk_gib=float(v["disk_gib"]), shared_storage=bool(v["shared_storage"]),
            guest_state=v["guest_state"], policy=policy.replace(boot_s=float(v["boot_s"])),
        )

    def paint(fig, res: ColdResult) -> None:
        data, _scale, unit = timeline_traces(res, names=row_name)
        write_traces(fig, data)
        fig.layout.update(timeline_layout(data, unit))

    def draw(res: ColdResult) -> go.Figure:
        return timeline_figure(res, names=row_name, title="Cold migration: every step is downtime")

    return Explorer(controls, compute=compute, paint=paint, describe=cold_readout, figure=draw,
                    rows=[["disk_gib", "shared_storage"], ["bandwidth_mib_s", "guest_state"], ["boot_s"]])


# ---- convergence map ----------------------------------------------------------------------------
class ConvergenceMap(NamedTuple):
    """What :func:`convergence_map_explorer` computes: the grid and the scenario around it."""

    table: pd.DataFrame
    """:func:`vmlab.precopy_grid` over dirty rate x bandwidth, one row per cell (bandwidth-major)."""
    vm: VM
    link: Link
    """Its bandwidth is replaced by each row's."""
    policy: PrecopyPolicy
    shape: tuple[int, int]
    """(bandwidths, dirty rates): ``table`` reshaped to this is the heatmap."""


_WS_LINE = "working set = rate x downtime limit"


def convergence_map_explorer(
    vm: VM | None = None,
    link: Link | None = None,
    policy: PrecopyPolicy | None = None,
    *,
    n: int = 60,
    continuous_update: bool = True,
) -> Explorer:
    """Where pre-copy converges over dirty rate x bandwidth, with the downtime limit and working set on sliders.

    Every cell is a :func:`~vmlab.precopy` run, all of them at once with the vectorised
    :func:`vmlab.precopy_grid` (an ``n`` x ``n`` grid stays well under 20 ms per update). The
    colour is the downtime of the cells that converge (up to the downtime limit); orange cells
    were forced into the stop-and-copy, grey ones cancelled. The red dashed line is dirty rate
    = pre-copy rate (left of it the rounds shrink); the blue dotted one the bandwidth from which
    the working set fits in the downtime limit (above it every dirty rate converges), absent
    when the policy's rate cap never lets it fit.

    Parameters
    ----------
    vm : VM, optional
        Default: 4 GiB dirtying into a 256 MiB working set, 20 % zero pages. Its dirty rate
        is on the x axis.
    link : Link, optional
        Its latency is kept; its bandwidth (default 119.2 MiB/s) sets the y axis's extent.
    policy : PrecopyPolicy, optional
        Default :meth:`PrecopyPolicy.qemu` (rate cap 128 MiB/s: above it more bandwidth does
        not help); its downtime limit is the first slider's start.
    n : int
        Cells per axis.
    continuous_update : bool

    Returns
    -------
    Explorer
        An ipywidgets ``VBox`` with ``.controls`` (``downtime_limit_ms``, ``wws_mib``: at the
        memory size all of memory), ``.figure`` (a
        :func:`~vmlab.figures.convergence_map.convergence_map_figure` as ``FigureWidget``: trace 0 the
        downtime heatmap, 1 the not-converged cells, 4 and 5 the boundary lines), ``.readout``,
        ``.update()``, ``.result`` (a :class:`ConvergenceMap`), ``.last_update_ms`` and
        ``.last_update_cpu_ms``.

    Examples
    --------
    >>> app = convergence_map_explorer()
    >>> before = app.figure.data[0].z.copy()
    >>> app.controls["downtime_limit_ms"].value = 1000
    >>> bool((app.figure.data[0].z != before).any()), app.result.policy.downtime_limit_ms
    (True, 1000.0)
    """
    vm, link, policy = _scenario(vm, link, policy, wws_mib=256.0)
    top = max(500.0, 2.0 * link.bandwidth_mib_s)
    rates, bandwidths = np.linspace(0.0, top, n), np.linspace(10.0, top, n)
    D, B = np.meshgrid(rates, bandwidths)
    c = continuous_update
    controls = {
        "downtime_limit_ms": slider(widgets.FloatSlider, description="downtime limit", unit="ms",
                                    value=policy.downtime_limit_ms, min=10.0, max=max(2000.0, policy.downtime_limit_ms),
                                    step=10.0, readout_format=".0f", continuous_update=c),
        "wws_mib": slider(widgets.FloatSlider, description="working set", unit="MiB", value=vm.region_mib, min=16.0,
                          max=float(vm.memory_mib), step=16.0, readout_format=".0f", continuous_update=c),
    }

    def compute(v: dict) -> ConvergenceMap:
        wws = float(v["wws_mib"])
        new_vm = vm.replace(wws_mib=None if wws >= vm.memory_mib else wws)
        new_policy = policy.replace(downtime_limit_ms=float(v["downtime_limit_ms"]))
        table = precopy_grid(vm=new_vm, link=link, policy=new_policy, dirty_rate_mib_s=D, bandwidth_mib_s=B)
        return ConvergenceMap(table, new_vm, link, new_policy, D.shape)

    def draw(res: ConvergenceMap) -> go.Figure:
        fig = convergence_map_figure(res.table, policy=res.policy, vm=None, log_z=False)
        where = "dirty rate %{x:.4g} MiB/s<br>bandwidth %{y:.4g} MiB/s"
        fig.update_traces(selector=0, text=None, zmin=0, colorbar_title_text="downtime (ms)",
                          hovertemplate=f"{where}<br>downtime %{{z:.4g}} ms<extra>converged</extra>")
        fig.update_traces(selector=1, customdata=None,
                          hovertemplate=f"{where}<extra>not converged (orange: forced, grey: cancelled)</extra>")
        fig.add_trace(go.Scatter(x=[], y=[], mode="lines", name=_WS_LINE, line={"color": "#17becf", "width": 3, "dash": "dot"}))
        return fig

    return Explorer(controls, compute=compute, paint=_paint_map, describe=_map_readout, figure=draw,
                    rows=[["downtime_limit_ms", "wws_mib"]])


def _working_set_bandwidth(res: ConvergenceMap) -> float:
    """Bandwidth from which the working set fits in the downtime limit (inf: never, under the rate cap)."""
    if res.vm.wws_mib is None:
        return math.inf
    need = working_set_bandwidth_mib_s(res.vm.wws_mib, res.policy)
    cap = math.inf if res.policy.max_bandwidth_mib_s is None else res.policy.max_bandwidth_mib_s
    return need if need <= cap else math.inf


def _paint_map(fig, res: ConvergenceMap) -> None:
    t = res.table
    converged = t["converged"].to_numpy(dtype=bool).reshape(res.shape)
    completed = t["completed"].to_numpy(dtype=bool).reshape(res.shape)
    fig.data[0].z = np.where(converged, t["downtime_ms"].to_numpy(dtype=float).reshape(res.shape), np.nan)
    fig.data[0].zmax = res.policy.downtime_limit_ms
    fig.data[1].z = np.where(converged, np.nan, np.where(completed, 1.0, 2.0))
    need = _working_set_bandwidth(res)
    rates, bandwidths = t["dirty_rate_mib_s"].to_numpy(), t["bandwidth_mib_s"].to_numpy()
    inside = bandwidths.min() <= need <= bandwidths.max()
    fig.data[5].x = [float(rates.min()), float(rates.max())] if inside else []
    fig.data[5].y = [need, need] if inside else []
    fig.layout.title.text = (f"downtime (ms) where pre-copy converges ({res.policy.name}, limit "
                             f"{res.policy.downtime_limit_ms:g} ms)<br><sup>{_fit_text(res, need)}</sup>")


def _fit_text(res: ConvergenceMap, need: float) -> str:
    if res.vm.wws_mib is None:
        return "working set = all of memory"
    if math.isinf(need):
        return (f"the {res.vm.wws_mib:g} MiB working set never fits in {res.policy.downtime_limit_ms:g} ms "
                f"under the {res.policy.max_bandwidth_mib_s:g} MiB/s rate cap")
    return f"the {res.vm.wws_mib:g} MiB working set fits in {res.policy.downtime_limit_ms:g} ms from {need:.4g} MiB/s"


def _map_readout(res: ConvergenceMap) -> str:
    """HTML readout: the share of cells that converge, their downtime, where the working set fits."""
    t = res.table
    converged = t["converged"].to_numpy(dtype=bool)
    down = t["downtime_ms"].to_numpy(dtype=float)[converged]
    spread = f" · downtime {down.min():.0f}-{down.max():.0f} ms" if down.size else ""
    return (f"<b>converges</b> in {converged.mean():.0%} of the {converged.size} cells{spread} · "
            f"{_fit_text(res, _working_set_bandwidth(res))}")


# ---- live versus cold: moved to vmlab.explorers.live_vs_cold -----------------------------------
_MOVED = {"live_vs_cold_explorer", "live_vs_cold_readout"}


def __getattr__(name: str):
    """The live-versus-cold explorer, re-exported from :mod:`vmlab.explorers.live_vs_cold` on first use."""
    if name in _MOVED:
        from vmlab.explorers import live_vs_cold

        return getattr(live_vs_cold, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
