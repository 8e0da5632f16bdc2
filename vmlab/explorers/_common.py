"""Small pieces every explorer uses: a labelled slider and an error readout."""

from __future__ import annotations

import html

import ipywidgets as widgets

__all__ = ["slider", "error_html"]


def slider(kind, description: str, value, lo, hi, step, readout_format=None, continuous=True, *,
           style: dict, layout: widgets.Layout) -> widgets.Widget:
    """A ``kind`` slider (e.g. ``widgets.FloatSlider``) from ``lo`` to ``hi``, its value clamped into range."""
    kwargs = dict(value=min(max(value, lo), hi), min=lo, max=hi, step=step, description=description, style=style,
                  layout=layout, continuous_update=continuous)
    if readout_format:
        kwargs["readout_format"] = readout_format
    return kind(**kwargs)


def error_html(exc: Exception) -> str:
    """A bad combination of slider values, shown in the readout instead of a traceback."""
    return f'<span style="color:#cf222e">⚠ {html.escape(str(exc))}</span>'
