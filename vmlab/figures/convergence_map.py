"""Where pre-copy converges: a heatmap over two varied inputs with the model's boundaries.

* :func:`convergence_map_figure`: a :func:`vmlab.precopy_grid` table over two inputs, the
  non-converged cells in their own colours, and the convergence boundary (dirty rate = pre-copy
  rate, and working set = rate × downtime limit) placed from the policy by
  :mod:`vmlab.migration.rates`.

The figure never runs a model: the boundary lines are formulas of the policy's parameters.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from vmlab.figures._style import _TEMPLATE, COLOURS, _axis_type, _check_frame, _grid_axes, _label, _pivot
from vmlab.migration.params import VM, PrecopyPolicy
from vmlab.migration.rates import precopy_rate_mib_s, working_set_bandwidth_mib_s

__all__ = ["convergence_map_figure"]


def convergence_map_figure(
    df: pd.DataFrame,
    x: str = "dirty_rate_mib_s",
    y: str = "bandwidth_mib_s",
    z: str = "downtime_ms",
    threshold_line: bool = True,
    *,
    policy: PrecopyPolicy | None = None,
    vm: VM | None = None,
    bandwidth_mib_s: float | None = None,
    log_z: bool | None = None,
    title: str | None = None,
    height: int = 520,
) -> go.Figure:
    """A heatmap of ``z`` over two varied inputs, non-converged cells in their own colours.

    Converged cells carry the colour of ``z`` (log colour scale when it spans more than a
    factor 30); cells forced into the stop-and-copy without converging are orange, cancelled
    ones grey. With dirty rate and bandwidth on the axes, the boundary lines follow from
    the model: the dirty set shrinks round after round only while the dirty rate is below
    the pre-copy rate ``R = efficiency x min(bandwidth, max_bandwidth)``
    (:func:`vmlab.migration.rates.precopy_rate_mib_s`), so the first line
    is ``dirty rate = R``. A working set W caps the dirty set, which then fits in the
    downtime limit once ``W <= R x downtime limit``: above that bandwidth (second line,
    QEMU's rule only) every dirty rate converges. The lines are the boundaries of the
    working-set model without timeouts; the QEMU first-window rule, timeouts and the uniform
    pattern move the real boundary a little.

    Parameters
    ----------
    df : pandas.DataFrame
        From :func:`vmlab.precopy_grid`, varying ``x`` and ``y`` (e.g. built with
        ``np.meshgrid``).
    x, y : str
        Input columns on the axes.
    z : str
        Result column for the colour (``downtime_ms``, ``total_time_s``, ``data_sent_mib``,
        ``n_rounds``).
    threshold_line : bool
        Draw the boundary lines (when one axis is the dirty rate).
    policy : PrecopyPolicy, optional
        The policy the grid used (default :meth:`PrecopyPolicy.qemu`, as in
        :func:`vmlab.precopy_grid`): its rate cap, efficiency and downtime limit place the
        lines. A parameter, not a model run.
    vm : VM, optional
        The VM the grid used; its ``wws_mib`` places the working-set line.
    bandwidth_mib_s : float, optional
        The fixed bandwidth when bandwidth is not on an axis (default: the table's
        ``bandwidth_mib_s`` column if constant, else 119.2).
    log_z : bool, optional
        Log colour scale; default when ``z`` spans more than a factor 30.
    title, height : optional

    Returns
    -------
    plotly.graph_objects.Figure
        Traces: 0 the ``z`` heatmap (NaN where not converged), 1 the status heatmap of the
        non-converged cells (1 forced, 2 cancelled, NaN elsewhere), 2-3 legend entries for
        those colours, then the boundary lines (named ``"dirty rate = pre-copy rate"`` and
        ``"working set = rate x downtime limit"``).

    Examples
    --------
    >>> import numpy as np
    >>> from vmlab import precopy_grid, PrecopyPolicy
    >>> D, B = np.meshgrid(np.linspace(0, 400, 21), np.linspace(20, 400, 20))
    >>> policy = PrecopyPolicy.qemu(timeout_s=120)
    >>> fig = convergence_map_figure(precopy_grid(dirty_rate_mib_s=D, bandwidth_mib_s=B, policy=policy), policy=policy)
    >>> fig.data[0].z.shape, [t.name for t in fig.data[4:]]
    ((20, 21), ['dirty rate = pre-copy rate'])
    """
    _check_frame(df, x, y, z, "converged", "completed")
    policy = PrecopyPolicy.qemu() if policy is None else policy
    if not isinstance(policy, PrecopyPolicy):
        raise TypeError(f"policy must be a PrecopyPolicy; got {type(policy).__name__}")
    extra = ["stop"] if "stop" in df.columns else []
    frame = df[[x, y, z, "converged", "completed", *extra]].copy()
    frame[z] = frame[z].astype(float)
    frame["converged"] = frame["converged"].astype(float)
    frame["completed"] = frame["completed"].astype(float)
    if extra:
        frame["stop"] = frame["stop"].astype(str)
    xs, ys, g = _pivot(frame, x, y, [z, "converged", "completed", *extra], source=df)
    conv = g["converged"] == 1
    status = np.where(conv | np.isnan(g["converged"]), np.nan, np.where(g["completed"] == 1, 1.0, 2.0))
    Z = np.where(conv, g[z], np.nan)
    if log_z is None:
        log_z = _axis_type(Z) == "log"
    with np.errstate(divide="ignore", invalid="ignore"):
        Zc = np.where(Z > 0, np.log10(Z), np.nan) if log_z else Z
    zlabel = _label(z)
    hover_z = np.vectorize(lambda v: "n/a" if not np.isfinite(v) else f"{v:.4g}", otypes=[object])(g[z])
    stops = g["stop"] if extra else np.where(status == 1, "forced", "cancelled").astype(object)
    colorbar = {"title": {"text": zlabel + (" (log)" if log_z else "")}}
    if log_z and np.isfinite(Zc).any():
        lo, hi = int(np.floor(np.nanmin(Zc))), int(np.ceil(np.nanmax(Zc)))
        ticks = list(range(lo, hi + 1))
        colorbar.update(tickvals=ticks, ticktext=[f"{10.0**t:g}" for t in ticks])
    fig = go.Figure()
    fig.add_trace(
        go.Heatmap(x=xs, y=ys, z=Zc, colorscale="Viridis", colorbar=colorbar, name=zlabel, text=hover_z,
                   hovertemplate=f"{_label(x)} %{{x:.4g}}<br>{_label(y)} %{{y:.4g}}<br>{zlabel} %{{text}}<extra>converged</extra>")
    )
    fig.add_trace(
        go.Heatmap(x=xs, y=ys, z=status, zmin=1, zmax=2, showscale=False, name="not converged",
                   colorscale=[[0, COLOURS["forced"]], [0.5, COLOURS["forced"]], [0.5, COLOURS["cancelled"]], [1, COLOURS["cancelled"]]],
                   customdata=np.dstack([stops, hover_z]),
                   hovertemplate=f"{_label(x)} %{{x:.4g}}<br>{_label(y)} %{{y:.4g}}<br>%{{customdata[0]}}"
                   f"<br>{zlabel} %{{customdata[1]}}<extra>not converged</extra>")
    )
    for key, name in (("forced", "forced stop-and-copy (not converged)"), ("cancelled", "cancelled (never converged)")):
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=name, hoverinfo="skip",
                                 marker={"symbol": "square", "size": 12, "color": COLOURS[key]}))
    xaxis, yaxis = _grid_axes(xs, ys, x, y)
    note = _boundary_lines(fig, df, x, y, xs, ys, policy, vm, bandwidth_mib_s) if threshold_line else ""
    fig.update_layout(
        title=title or f"{zlabel} where pre-copy converges ({policy.name})" + (f"<br><sup>{note}</sup>" if note else ""),
        template=_TEMPLATE,
        height=height,
        xaxis=xaxis,
        yaxis=yaxis,
        legend={"orientation": "h", "yanchor": "top", "y": -0.18, "x": 0},
    )
    return fig


def _boundary_lines(fig, df, x, y, xs, ys, policy, vm, bandwidth_mib_s) -> str:
    """Add the boundary lines; return a note for the subtitle ("" if none)."""
    dirty, bw = "dirty_rate_mib_s", "bandwidth_mib_s"
    line = {"color": "#e31a1c", "width": 3, "dash": "dash"}
    wline = {"color": "#17becf", "width": 3, "dash": "dot"}
    cap = math.inf if policy.max_bandwidth_mib_s is None else policy.max_bandwidth_mib_s
    wws = None if vm is None else vm.wws_mib
    if {x, y} == {dirty, bw}:
        b_axis = ys if y == bw else xs
        b = np.linspace(b_axis.min(), b_axis.max(), 400)
        rate = precopy_rate_mib_s(b, policy)
        lx, ly = (rate, b) if x == dirty else (b, rate)
        fig.add_trace(go.Scatter(x=lx, y=ly, mode="lines", line=line, name="dirty rate = pre-copy rate",
                                 hovertemplate="dirty rate = pre-copy rate<br>%{x:.4g}, %{y:.4g}<extra></extra>"))
        if wws is not None and policy.stop_rule == "downtime":
            need = working_set_bandwidth_mib_s(wws, policy)  # bandwidth where W = R x limit
            name = "working set = rate x downtime limit"
            if need <= cap:
                d_axis = xs if x == dirty else ys
                seg = [float(d_axis.min()), float(d_axis.max())]
                lx, ly = (seg, [need, need]) if x == dirty else ([need, need], seg)
                fig.add_trace(go.Scatter(x=lx, y=ly, mode="lines", line=wline, name=name,
                                         hovertemplate=f"{wws:g} MiB working set fits in {policy.downtime_limit_ms:g} ms "
                                         f"from {need:.4g} MiB/s<extra></extra>"))
            else:
                return (f"the {wws:g} MiB working set never fits in {policy.downtime_limit_ms:g} ms: that needs "
                        f"{need:.4g} MiB/s, the pre-copy cap is {cap:g} MiB/s")
        return ""
    if dirty in (x, y):
        if bandwidth_mib_s is None:
            bandwidth_mib_s = float(df[bw].iloc[0]) if bw in df.columns and df[bw].nunique() == 1 else 119.2
        rate = float(precopy_rate_mib_s(bandwidth_mib_s, policy))
        other = ys if x == dirty else xs
        seg = [float(other.min()), float(other.max())]
        lx, ly = ([rate, rate], seg) if x == dirty else (seg, [rate, rate])
        fig.add_trace(go.Scatter(x=lx, y=ly, mode="lines", line=line, name="dirty rate = pre-copy rate",
                                 hovertemplate=f"pre-copy rate {rate:.4g} MiB/s<extra></extra>"))
    return ""
