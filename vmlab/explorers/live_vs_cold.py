"""Slider app for live versus cold migration (ipywidgets + one plotly ``FigureWidget``).

:func:`live_vs_cold_explorer` moves one VM both ways: live (a block mirror of the disk unless
the storage is shared, then memory pre-copy; :func:`vmlab.live_migration_with_storage`) and cold
(:func:`vmlab.cold_migration`). Drag the guest's memory and disk write rates, the link, the disk
size, and switch shared storage on and off; the bars split into disk, memory and fixed steps,
and the readout says who wins each criterion and why.

An :class:`~vmlab.explorers._common.Explorer`, like the others: a ``VBox`` with ``.controls``,
``.figure``, ``.readout``, ``.update()``, ``.result`` (a ``(live, cold)`` tuple),
``.last_update_ms`` and ``.last_update_cpu_ms``; one callback reruns both models and rewrites
the traces inside ``fig.batch_update()``, assigning only what changed.
"""

from __future__ import annotations

import html
import math

import ipywidgets as widgets

from vmlab.explorers._common import Explorer, checkbox, slider, write_traces
from vmlab.explorers.migration import _bandwidth_slider, _check, _scenario
from vmlab.figures.live_vs_cold import live_vs_cold_figure, live_vs_cold_reasons, live_vs_cold_traces
from vmlab.format import format_duration, format_mib
from vmlab.migration.cold import ColdPolicy, ColdResult, cold_migration
from vmlab.migration.compare import LiveStorageResult, live_migration_with_storage, live_vs_cold_verdict
from vmlab.migration.params import VM, Link, PrecopyPolicy
from vmlab.migration.precopy import PrecopyResult

__all__ = ["live_vs_cold_explorer", "live_vs_cold_readout"]

_LABELS = {"downtime": "downtime", "total time": "total time", "data sent": "network load"}


def live_vs_cold_readout(live: PrecopyResult | LiveStorageResult, cold: ColdResult) -> str:
    """HTML readout: who wins on downtime, total time and network load, with the numbers and why.

    >>> from vmlab import VM, Link, cold_migration, live_migration_with_storage
    >>> vm, link = VM(memory_mib=4096, dirty_rate_mib_s=30), Link(bandwidth_mib_s=119.2)
    >>> live = live_migration_with_storage(vm, link, disk_gib=40, shared_storage=True)
    >>> print(live_vs_cold_readout(live, cold_migration(vm, link, disk_gib=40)))  # doctest: +ELLIPSIS
    <b>downtime</b>: live wins (153 ms vs 6.8 min) · <b>total time</b>: live wins (45.9 s vs 6.8 min) · ...
    """
    verdict = live_vs_cold_verdict(live, cold)
    reasons = live_vs_cold_reasons(live, cold)
    live_down = format_duration(live.downtime_ms / 1000) if live.completed else f"none, {live.stop}"
    numbers = {
        "downtime": (live_down, format_duration((cold.downtime_ms / 1000.0))),
        "total time": (format_duration(live.total_time_s), format_duration(cold.total_time_s)),
        "data sent": (format_mib(live.data_sent_mib), format_mib(cold.data_sent_mib)),
    }
    text = " · ".join(f"<b>{_LABELS[k]}</b>: {verdict[k]} wins ({a} vs {b})" for k, (a, b) in numbers.items())
    if not live.completed:
        return text + f'<br><span style="color:#cf222e">{html.escape(reasons["downtime"])}</span>'
    why = "".join(f"<li><i>{_LABELS[k]}</i>: {html.escape(reasons[k])}</li>" for k in numbers)
    return text + f'<ul style="margin:0.2em 0 0 1em;padding:0;color:#57606a">{why}</ul>'


def live_vs_cold_explorer(
    vm: VM | None = None,
    link: Link | None = None,
    policy: PrecopyPolicy | None = None,
    *,
    disk_gib: float = 40.0,
    disk_dirty_rate_mib_s: float = 5.0,
    cold_policy: ColdPolicy | None = None,
    continuous_update: bool = True,
) -> Explorer:
    """One VM moved live and cold: downtime, total time and data sent side by side.

    Parameters
    ----------
    vm, link, policy : optional
        Defaults: a 4 GiB VM dirtying 60 MiB/s into a 1 GiB working set with 20 % zero pages,
        a 1 Gbit/s link, QEMU's policy.
    disk_gib : float
        Starting disk size (both sides move it unless the storage is shared).
    disk_dirty_rate_mib_s : float
        Starting rate at which the guest writes new disk blocks (what the live mirror re-sends).
    cold_policy : ColdPolicy, optional
    continuous_update : bool

    Returns
    -------
    Explorer
        An ipywidgets ``VBox`` with ``.controls`` (``dirty_rate_mib_s``, ``bandwidth_mib_s``, ``disk_gib``,
        ``disk_dirty_rate_mib_s``, ``shared_storage``), ``.figure`` (a
        :func:`~vmlab.figures.live_vs_cold.live_vs_cold_figure` as ``FigureWidget``),
        ``.readout``, ``.update()``, ``.result`` (a ``(live, cold)`` tuple), ``.last_update_ms``
        and ``.last_update_cpu_ms``.

    Examples
    --------
    >>> app = live_vs_cold_explorer()
    >>> app.controls["disk_dirty_rate_mib_s"].value = 150   # faster than the link: the mirror never syncs
    >>> app.result[0].stop, app.figure.data[0].y[0], "never gets in sync" in app.readout.value
    ('mirror cancelled at timeout', None, True)
    """
    _check(cold_policy, ColdPolicy, "cold_policy")
    vm, link, policy = _scenario(vm, link, policy)
    c = continuous_update
    rate0 = 1000.0 if not math.isfinite(vm.dirty_rate) else vm.dirty_rate
    controls = {
        "dirty_rate_mib_s": slider(widgets.FloatSlider, description="memory dirty rate", unit="MiB/s", value=rate0,
                                   min=0.0, max=max(1000.0, rate0), step=5.0, readout_format=".0f", continuous_update=c),
        "bandwidth_mib_s": _bandwidth_slider(link, c),
        "disk_gib": slider(widgets.FloatSlider, description="disk", unit="GiB", value=disk_gib, min=0.0,
                           max=max(500.0, disk_gib), step=5.0, readout_format=".0f", continuous_update=c),
        "disk_dirty_rate_mib_s": slider(widgets.FloatSlider, description="disk write rate", unit="MiB/s",
                                        value=disk_dirty_rate_mib_s, min=0.0, max=max(200.0, disk_dirty_rate_mib_s),
                                        step=1.0, readout_format=".0f", continuous_update=c),
        "shared_storage": checkbox(description="shared storage (the disk stays)"),
    }

    def compute(v: dict) -> tuple[LiveStorageResult, ColdResult]:
        new_vm = vm.replace(dirty_rate_mib_s=float(v["dirty_rate_mib_s"]))
        new_link = Link(bandwidth_mib_s=float(v["bandwidth_mib_s"]), latency_ms=link.latency_ms)
        disk, shared = float(v["disk_gib"]), bool(v["shared_storage"])
        live = live_migration_with_storage(new_vm, new_link, policy, disk_gib=disk, shared_storage=shared,
                                           disk_dirty_rate_mib_s=float(v["disk_dirty_rate_mib_s"]))
        cold = cold_migration(new_vm, new_link, disk_gib=disk, shared_storage=shared, policy=cold_policy)
        return live, cold

    def paint(fig, res: tuple[LiveStorageResult, ColdResult]) -> None:
        data, title, axes = live_vs_cold_traces(*res)
        write_traces(fig, data)
        fig.layout.title.text = title
        for name, axis in zip(("yaxis", "yaxis2", "yaxis3"), axes):
            getattr(fig.layout, name).update(axis)

    app = Explorer(controls, compute=compute, paint=paint, describe=lambda res: live_vs_cold_readout(*res),
                   figure=lambda res: live_vs_cold_figure(*res),
                   rows=[["dirty_rate_mib_s", "disk_gib"], ["bandwidth_mib_s", "disk_dirty_rate_mib_s"], ["shared_storage"]],
                   note="Every control moves all three panels: downtime, total time and network load, live and cold.")

    def storage_changed(change) -> None:  # shared storage: no disk to mirror, its write rate does not matter
        controls["disk_dirty_rate_mib_s"].disabled = bool(change["new"])

    controls["shared_storage"].observe(storage_changed, names="value")
    return app
