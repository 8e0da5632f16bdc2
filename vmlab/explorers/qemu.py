"""Slider app for notebook 06: tune the machine constants and watch the model meet the data.

:func:`calibration_explorer` shows predicted against measured total time for every shipped QEMU
run; sliders set the constants that map a run to model inputs (the achieved share of
``max-bandwidth``, the unthrottled loopback rate of the stop-and-copy, the zero-page scan rate).
Each update re-predicts the ~50 runs (a few hundred ms), so the sliders update on release.
The widget carries ``.controls``, ``.figure``, ``.readout`` and ``.update()``.
"""

from __future__ import annotations

import html
from dataclasses import replace

import ipywidgets as widgets
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from vmlab.figures.qemu import KIND_COLOURS
from vmlab.qemu.compare import TCG_LOOPBACK, TOLERANCES, Calibration, compare
from vmlab.qemu.grid import load_measurements

__all__ = ["calibration_explorer"]

_STYLE = {"description_width": "220px"}
_LAYOUT = widgets.Layout(width="480px")


def calibration_explorer(measured: pd.DataFrame | None = None, calibration: Calibration = TCG_LOOPBACK) -> widgets.VBox:
    """Predicted vs measured total time and downtime, with the calibration constants on sliders.

    >>> app = calibration_explorer()
    >>> before = list(app.figure.data[1].y)
    >>> app.controls["bandwidth_efficiency"].value = 0.7
    >>> list(app.figure.data[1].y) != before
    True
    """
    data = load_measurements() if measured is None else measured
    controls = {
        "bandwidth_efficiency": widgets.FloatSlider(
            value=calibration.bandwidth_efficiency, min=0.5, max=1.0, step=0.01,
            description="share of max-bandwidth reached", style=_STYLE, layout=_LAYOUT, continuous_update=False),
        "link_mib_s": widgets.FloatSlider(
            value=calibration.link_mib_s, min=50, max=2000, step=10,
            description="stop-and-copy rate (MiB/s)", style=_STYLE, layout=_LAYOUT, continuous_update=False),
        "zero_scan_mib_s": widgets.FloatLogSlider(
            value=calibration.zero_scan_mib_s, base=10, min=2, max=5, step=0.05,
            description="zero-page scan (MiB/s)", style=_STYLE, layout=_LAYOUT, continuous_update=False),
    }
    fig = go.FigureWidget()
    fig.add_trace(go.Scatter(x=[0.01, 60], y=[0.01, 60], mode="lines", line=dict(color="#888", dash="dash"),
                             name="predicted = measured", hoverinfo="skip"))
    kinds = [k for k in KIND_COLOURS if (data["kind"] == k).any()] if "kind" in data else []
    colours = [KIND_COLOURS[k] for k in data["kind"]] if "kind" in data else None
    fig.add_trace(go.Scatter(x=data["total_time_s"], y=data["total_time_s"], mode="markers", name="runs",
                             marker=dict(size=9, color=colours),
                             text=[f"run {c}.{r} ({k})" for c, r, k in zip(data["case_id"], data["repeat"], data["kind"])],
                             hovertemplate="%{text}<br>measured %{x:.3g} s<br>predicted %{y:.3g} s<extra></extra>"))
    fig.update_xaxes(type="log", title_text="measured total time (s)")
    fig.update_yaxes(type="log", title_text="predicted total time (s)")
    fig.update_layout(title="Tune the machine constants (colours: " + ", ".join(kinds) + ")",
                      height=430, template="plotly_white", showlegend=False)
    readout = widgets.HTML()

    def update(_=None) -> None:
        cal = replace(calibration, **{name: float(w.value) for name, w in controls.items()})
        cmp = compare(data, cal)
        held = cmp[~cmp["cpu_bound"]]
        with fig.batch_update():
            fig.data[1].y = cmp["predicted_total_time_s"].to_numpy()
        tol = TOLERANCES["total_time_rel"]
        readout.value = html.escape(
            f"verdicts right: {int(cmp['verdict_ok'].sum())}/{len(cmp)} · total time within ±{tol:.0%} "
            f"(runs under 0.5 s: 50 ms): {int(held['time_ok'].sum())}/{len(held)} non-CPU-bound runs · "
            f"median |error| {np.median(np.abs(held['time_err'])):.1%}"
        )

    for w in controls.values():
        w.observe(update, names="value")
    update()
    app = widgets.VBox([*controls.values(), fig, readout])
    app.controls = controls
    app.figure = fig
    app.readout = readout
    app.update = update
    return app
