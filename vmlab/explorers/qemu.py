"""Slider app for notebook 06: tune the machine constants and watch the model meet the data.

:func:`calibration_explorer` shows predicted against measured total time for every shipped QEMU
run; sliders set the constants that map a run to model inputs (the achieved share of
``max-bandwidth``, the unthrottled loopback rate of the stop-and-copy, the zero-page scan rate).
Each update re-predicts the ~50 runs (some tens of ms of CPU), so the sliders update on
release. It is an :class:`~vmlab.explorers._common.Explorer`: ``.controls``, ``.figure``,
``.readout``, ``.update()``, ``.result`` (the :func:`vmlab.qemu.compare.compare` table),
``.last_update_ms`` and ``.last_update_cpu_ms``.
"""

from __future__ import annotations

import html
from dataclasses import replace

import ipywidgets as widgets
import numpy as np
import pandas as pd
import plotly.graph_objects as go

from vmlab.explorers._common import Explorer, slider
from vmlab.figures.qemu import KIND_COLOURS
from vmlab.qemu.compare import TCG_LOOPBACK, TOLERANCES, Calibration, compare
from vmlab.qemu.grid import load_measurements

__all__ = ["calibration_explorer"]

def _segments(x: np.ndarray, y: np.ndarray) -> tuple[list, list]:
    """Vertical segments from (x, x) to (x, y), separated by None, for one line trace."""
    xs, ys = [], []
    for a, b in zip(x.tolist(), y.tolist()):
        xs += [a, a, None]
        ys += [a, round(b, 4), None]
    return xs, ys


def calibration_explorer(measured: pd.DataFrame | None = None, calibration: Calibration = TCG_LOOPBACK) -> Explorer:
    """Predicted vs measured total time and downtime, with the calibration constants on sliders.

    >>> app = calibration_explorer()
    >>> before = list(app.figure.data[1].y)
    >>> app.controls["bandwidth_efficiency"].value = 70.0  # percent
    >>> list(app.figure.data[1].y) != before
    True
    """
    data = load_measurements() if measured is None else measured
    controls = {
        "bandwidth_efficiency": slider(widgets.FloatSlider, description="max-bandwidth reached", unit="%",
                                       value=round(100 * calibration.bandwidth_efficiency, 1), min=50, max=100, step=0.1,
                                       readout_format=".1f", continuous_update=False),
        "link_mib_s": slider(widgets.FloatSlider, description="stop-and-copy rate", unit="MiB/s",
                             value=calibration.link_mib_s, min=50, max=2000, step=1, continuous_update=False),
        "zero_scan_mib_s": slider(widgets.FloatLogSlider, description="zero-page scan", unit="MiB/s",
                                  value=calibration.zero_scan_mib_s, base=10, min=2, max=5, step=0.05,
                                  continuous_update=False),
    }
    kinds = [k for k in KIND_COLOURS if (data["kind"] == k).any()]
    measured_s = data["total_time_s"].to_numpy(dtype=float)
    base = go.Figure()
    base.add_trace(go.Scatter(x=[0.01, 60.0], y=[0.01, 60.0], mode="lines", line=dict(color="#888", dash="dash"),
                              name="predicted = measured", hoverinfo="skip"))
    base.add_trace(go.Scatter(x=measured_s.tolist(), y=measured_s.tolist(), mode="markers", name="runs",
                              marker=dict(size=9, color=[KIND_COLOURS.get(k, "#333") for k in data["kind"]]),
                              text=[f"run {c}.{r} ({k})" for c, r, k in zip(data["case_id"], data["repeat"], data["kind"])],
                              hovertemplate="%{text}<br>measured %{x:.3g} s<br>predicted %{y:.3g} s<extra></extra>"))
    # one segment per run from the diagonal to the prediction: the error, as a line that moves
    base.add_trace(go.Scatter(x=_segments(measured_s, measured_s)[0], y=_segments(measured_s, measured_s)[1],
                              mode="lines", line=dict(color="rgba(80,80,80,0.5)", width=1), name="error",
                              hoverinfo="skip"))
    base.update_xaxes(type="log", title_text="measured total time (s)")
    base.update_yaxes(type="log", title_text="predicted total time (s)")
    base.update_layout(title="Tune the machine constants (colours: " + ", ".join(kinds) + ")",
                       height=430, template="plotly_white", showlegend=False)

    def compute(v: dict) -> pd.DataFrame:
        values = {name: float(value) for name, value in v.items()}
        values["bandwidth_efficiency"] /= 100.0  # the slider shows percent
        return compare(data, replace(calibration, **values))

    def paint(fig, cmp: pd.DataFrame) -> None:
        predicted = cmp["predicted_total_time_s"].to_numpy(dtype=float)
        fig.data[1].y = np.round(predicted, 4).tolist()
        fig.data[2].y = _segments(measured_s, predicted)[1]

    def describe(cmp: pd.DataFrame) -> str:
        held = cmp[~cmp["cpu_bound"]]
        tol = TOLERANCES["total_time_rel"]
        return html.escape(
            f"verdicts right: {int(cmp['verdict_ok'].sum())}/{len(cmp)} · total time within ±{tol:.0%} "
            f"(runs under 0.5 s: 50 ms): {int(held['time_ok'].sum())}/{len(held)} non-CPU-bound runs · "
            f"median |error| {np.median(np.abs(held['time_err'])):.1%}"
        )

    return Explorer(controls, compute=compute, paint=paint, describe=describe, figure=base,
                    rows=[["bandwidth_efficiency", "zero_scan_mib_s"], ["link_mib_s"]], readout_below=True)
