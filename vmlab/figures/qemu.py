"""Figures for model vs reality: measured QEMU migrations next to the model's predictions.

* :func:`qemu_setup_figure`: the measurement set-up, two QEMU processes and the QMP driver.
* :func:`predicted_vs_measured_figure`: predicted against measured total time, downtime and
  bytes, one point per run, with the y = x line and the tolerance band.
* :func:`convergence_figure`: converged or not against working set / threshold, measured and
  predicted, showing the noisy boundary.
* :func:`migration_progress_figure`: one run's ``query-migrate`` samples (remaining and sent
  data over time), optionally with the model's rounds.

These functions never run a model or a migration: they draw the tables they are given
(:func:`vmlab.qemu.compare.compare`, :class:`vmlab.qemu.MeasuredMigration`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

__all__ = [
    "KIND_COLOURS",
    "convergence_figure",
    "migration_progress_figure",
    "predicted_vs_measured_figure",
    "qemu_setup_figure",
]

KIND_COLOURS = {"idle": "#2ca02c", "hot": "#d62728", "boundary": "#ff7f0e", "paced": "#1f77b4"}
"""One colour per kind of measured run (see :func:`vmlab.qemu.grid.standard_grid`)."""


def qemu_setup_figure() -> go.Figure:
    """A diagram of the measurement: source and destination QEMU, the QMP driver, the guest.

    >>> fig = qemu_setup_figure()
    >>> len(fig.layout.shapes), len(fig.data)
    (3, 1)
    """
    fig = go.Figure()
    boxes = [
        # x0, y0, x1, y1, fill, title, body
        (0.0, 0.45, 0.38, 1.0, "#e8f1fb", "source QEMU (TCG)",
         "guest.elf: multiboot kernel<br>fills RAM, rewrites working set<br>write counter @ 0x9000"),
        (0.62, 0.45, 1.0, 1.0, "#eaf6ea", "destination QEMU (TCG)",
         "-incoming defer, -S<br>migrate-incoming tcp:127.0.0.1:0<br>paused after, for checks"),
        (0.25, 0.0, 0.75, 0.27, "#fdf2e3", "vmlab.qemu driver (Python, qemu.qmp)",
         "migrate-set-parameters · migrate<br>query-migrate every 100 ms · migrate_cancel"),
    ]
    for x0, y0, x1, y1, fill, title, body in boxes:
        fig.add_shape(type="rect", x0=x0, y0=y0, x1=x1, y1=y1, fillcolor=fill, line=dict(color="#555"))
        fig.add_annotation(x=(x0 + x1) / 2, y=y1 - 0.08, text=f"<b>{title}</b>", showarrow=False, font=dict(size=13))
        fig.add_annotation(x=(x0 + x1) / 2, y=(y0 + y1) / 2 - 0.05, text=body, showarrow=False, font=dict(size=11))
    arrows = [
        (0.38, 0.75, 0.62, 0.75, "RAM pages over TCP<br>127.0.0.1 only"),
        (0.38, 0.18, 0.19, 0.45, "QMP (unix socket)"),
        (0.62, 0.18, 0.81, 0.45, "QMP (unix socket)"),
    ]
    for x0, y0, x1, y1, label in arrows:
        fig.add_annotation(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y",
                           showarrow=True, arrowhead=3, arrowsize=1.2, arrowwidth=2, arrowcolor="#333")
        fig.add_annotation(x=(x0 + x1) / 2, y=(y0 + y1) / 2 + 0.06, text=label, showarrow=False,
                           font=dict(size=11, color="#333"))
    # one hover point per box: the diagram explains itself under the mouse (and has a trace)
    fig.add_trace(go.Scatter(
        x=[(b[0] + b[2]) / 2 for b in boxes], y=[(b[1] + b[3]) / 2 for b in boxes], mode="markers",
        marker=dict(size=40, opacity=0), hovertext=[f"{b[5]}: {b[6]}" for b in boxes], hoverinfo="text",
        showlegend=False,
    ))
    fig.update_xaxes(visible=False, range=[-0.02, 1.02])
    fig.update_yaxes(visible=False, range=[-0.05, 1.05])
    fig.update_layout(title="How a real migration is measured", height=380, template="plotly_white",
                      margin=dict(l=10, r=10, t=50, b=10))
    return fig


_QUANTITIES = (
    ("total_time_s", "total time (s)", "total_time_rel"),
    ("downtime_ms", "downtime (ms)", None),
    ("data_sent_mib", "data sent (MiB)", "bytes_rel"),
)


def _symbols(rows: pd.DataFrame) -> list[str]:
    """x: cancelled; open circle: CPU-bound (host below the cap); circle: the rest."""
    cpu = rows["cpu_bound"] if "cpu_bound" in rows else pd.Series(False, index=rows.index)
    return ["x" if not conv else ("circle-open" if slow else "circle")
            for conv, slow in zip(rows["measured_converged"], cpu)]


def predicted_vs_measured_figure(comparison: pd.DataFrame, tolerances: dict[str, float] | None = None) -> go.Figure:
    """Three log-log scatters, predicted against measured, one point per run, coloured by kind.

    Parameters
    ----------
    comparison : pandas.DataFrame
        The output of :func:`vmlab.qemu.compare.compare`.
    tolerances : dict, optional
        ``{"total_time_rel": 0.15, "bytes_rel": 0.10}``: shaded bands around y = x.

    >>> df = pd.DataFrame({"kind": ["idle"], "measured_total_time_s": [2.0], "predicted_total_time_s": [2.1],
    ...     "measured_downtime_ms": [3.0], "predicted_downtime_ms": [2.0], "measured_data_sent_mib": [64.7],
    ...     "predicted_data_sent_mib": [64.6], "measured_converged": [True], "case_id": [1]})
    >>> len(predicted_vs_measured_figure(df).data) >= 3
    True
    """
    tolerances = tolerances or {}
    fig = make_subplots(rows=1, cols=3, subplot_titles=[label for _, label, _ in _QUANTITIES],
                        horizontal_spacing=0.08)
    for col, (q, label, tol_key) in enumerate(_QUANTITIES, start=1):
        m, p = comparison[f"measured_{q}"].astype(float), comparison[f"predicted_{q}"].astype(float)
        ok = (m > 0) & (p > 0) & np.isfinite(m) & np.isfinite(p)
        if ok.any():
            lo, hi = float(min(m[ok].min(), p[ok].min())) / 1.5, float(max(m[ok].max(), p[ok].max())) * 1.5
        else:
            lo, hi = 0.1, 10.0
        line = np.geomspace(lo, hi, 50)
        tol = tolerances.get(tol_key) if tol_key else None
        if tol:
            fig.add_trace(go.Scatter(x=np.concatenate([line, line[::-1]]),
                                     y=np.concatenate([line * (1 + tol), line[::-1] * (1 - tol)]),
                                     fill="toself", fillcolor="rgba(100,100,100,0.12)", line=dict(width=0),
                                     name=f"±{tol:.0%}", showlegend=col == 1, hoverinfo="skip"), row=1, col=col)
        fig.add_trace(go.Scatter(x=line, y=line, mode="lines", line=dict(color="#888", dash="dash"),
                                 name="predicted = measured", showlegend=col == 1, hoverinfo="skip"), row=1, col=col)
        for kind, colour in KIND_COLOURS.items():
            sel = ok & (comparison["kind"] == kind)
            if not sel.any():
                continue
            sub = comparison[sel]
            fig.add_trace(go.Scatter(
                x=m[sel], y=p[sel], mode="markers", name=kind, legendgroup=kind, showlegend=col == 1,
                marker=dict(color=colour, size=8, symbol=_symbols(sub)),
                text=[f"run {c}" for c in sub["case_id"]],
                hovertemplate=f"%{{text}}<br>measured %{{x:.3g}}<br>predicted %{{y:.3g}}<extra>{kind}</extra>",
            ), row=1, col=col)
        fig.update_xaxes(type="log", title_text=f"measured {label}", row=1, col=col)
        fig.update_yaxes(type="log", title_text=f"predicted {label}", row=1, col=col)
    fig.update_layout(title="Model (PrecopyPolicy.qemu) vs real QEMU 7.2 migrations "
                            "(x: cancelled, no downtime; open: host CPU-bound)",
                      height=430, template="plotly_white", legend=dict(orientation="h", y=-0.25))
    return fig


def convergence_figure(comparison: pd.DataFrame) -> go.Figure:
    """Converged (1) or not (0) against working set / (max-bandwidth x downtime-limit).

    Measured outcomes are filled markers, the model's verdicts open ones; the shaded band is
    the 0.95-1.3 zone where QEMU's outcome is noisy from run to run.

    >>> df = pd.DataFrame({"threshold_ratio": [0.5, 2.0], "measured_converged": [True, False],
    ...                    "predicted_converged": [True, False], "kind": ["hot", "hot"], "case_id": [0, 1]})
    >>> len(convergence_figure(df).data)
    2
    """
    fig = go.Figure()
    x = comparison["threshold_ratio"].astype(float)
    rng = np.random.default_rng(0)
    jitter = rng.uniform(-0.05, 0.05, len(comparison))
    fig.add_vrect(x0=0.95, x1=1.3, fillcolor="rgba(255,127,14,0.15)", line_width=0)
    fig.add_annotation(x=np.log10(1.11), y=1.32, text="noisy zone", showarrow=False)  # log axis: log10(x)
    fig.add_trace(go.Scatter(x=x, y=comparison["measured_converged"].astype(int) + jitter, mode="markers",
                             name="measured (QEMU)", marker=dict(size=10, color="#333"),
                             text=[f"run {c} ({k})" for c, k in zip(comparison["case_id"], comparison["kind"])],
                             hovertemplate="%{text}<br>ratio %{x:.2f}<extra>measured</extra>"))
    fig.add_trace(go.Scatter(x=x, y=comparison["predicted_converged"].astype(int) - jitter, mode="markers",
                             name="model", marker=dict(size=14, color="rgba(0,0,0,0)", line=dict(color="#1f77b4", width=2)),
                             hovertemplate="ratio %{x:.2f}<extra>model</extra>"))
    fig.add_vline(x=1.0, line=dict(color="#888", dash="dash"))
    fig.update_xaxes(title_text="working set / (max-bandwidth × downtime-limit)", type="log")
    fig.update_yaxes(title_text="converged", tickvals=[0, 1], ticktext=["no (cancelled)", "yes"], range=[-0.4, 1.4])
    fig.update_layout(title="Does it converge? Hot working sets against QEMU's threshold",
                      height=380, template="plotly_white")
    return fig


def migration_progress_figure(samples: pd.DataFrame, model_rounds: pd.DataFrame | None = None,
                              title: str = "One live migration, polled every 100 ms") -> go.Figure:
    """Remaining and sent data over time from a run's ``query-migrate`` samples.

    ``model_rounds`` (a :class:`vmlab.PrecopyResult`'s ``rounds`` table) adds the model's
    cumulative data sent as a dashed line.

    >>> s = pd.DataFrame({"t_s": [0.1, 0.2], "transferred_mib": [3.0, 6.0], "remaining_mib": [60.0, 57.0],
    ...                   "status": ["active", "completed"]})
    >>> len(migration_progress_figure(s).data)
    2
    """
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=samples["t_s"], y=samples["transferred_mib"], mode="lines+markers",
                             name="sent (QEMU)", line=dict(color="#1f77b4")))
    fig.add_trace(go.Scatter(x=samples["t_s"], y=samples["remaining_mib"], mode="lines+markers",
                             name="remaining (QEMU)", line=dict(color="#d62728")))
    if model_rounds is not None and len(model_rounds):
        ends = model_rounds["start_s"] + model_rounds["duration_s"]
        t = np.concatenate([[0.0], ends.to_numpy()])
        sent = np.concatenate([[0.0], model_rounds["sent_mib"].cumsum().to_numpy()])
        fig.add_trace(go.Scatter(x=t, y=sent, mode="lines", name="sent (model)",
                                 line=dict(color="#1f77b4", dash="dash")))
    fig.update_xaxes(title_text="time since migrate (s)")
    fig.update_yaxes(title_text="MiB")
    fig.update_layout(title=title, height=380, template="plotly_white")
    return fig
