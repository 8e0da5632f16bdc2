"""The migration figures under one name (the modules behind it are split by topic).

* :mod:`vmlab.figures.precopy`: :func:`rounds_figure` (per-round data sent against data
  dirtied, the stop-and-copy bar and the switch-over threshold) and
  :func:`downtime_curve_figure` (downtime and total time against one varied input).
* :mod:`vmlab.figures.timeline`: :func:`timeline_figure`, the steps of live and cold
  migrations on one time axis with the blackout marked.
* :mod:`vmlab.figures.convergence_map`: :func:`convergence_map_figure`, a heatmap over two
  varied inputs with the convergence boundary.
* :mod:`vmlab.figures.live_vs_cold`: :func:`live_vs_cold_figure` and :func:`winner_map_figure`.
* :mod:`vmlab.figures._style`: the colours (:data:`COLOURS`, :data:`PHASE_COLOURS`) and drawing
  helpers they share.

The explorers and notebooks import these names from here.

>>> from vmlab.figures import migration, precopy
>>> migration.rounds_figure is precopy.rounds_figure
True
"""

from __future__ import annotations

import warnings

from vmlab.figures._style import COLOURS, PHASE_COLOURS
from vmlab.figures.convergence_map import convergence_map_figure
from vmlab.figures.live_vs_cold import live_vs_cold_figure, live_vs_cold_traces, live_vs_cold_verdict, winner_map_figure
from vmlab.figures.precopy import downtime_curve_figure, rounds_figure, rounds_layout, rounds_title, rounds_traces
from vmlab.figures.timeline import LIVE_PHASES, TIMELINE_LABELS, timeline_figure, timeline_layout, timeline_traces
from vmlab.format import format_duration, format_mib

__all__ = [
    "COLOURS",
    "PHASE_COLOURS",
    "LIVE_PHASES",
    "TIMELINE_LABELS",
    "format_duration",
    "format_mib",
    "rounds_title",
    "rounds_figure",
    "rounds_traces",
    "rounds_layout",
    "timeline_traces",
    "timeline_layout",
    "live_vs_cold_traces",
    "timeline_figure",
    "downtime_curve_figure",
    "convergence_map_figure",
    "live_vs_cold_figure",
    "live_vs_cold_verdict",
    "winner_map_figure",
]


def __getattr__(name: str):
    """``precopy_rate``, the pre-copy rate formula that moved to the models, with a warning."""
    if name == "precopy_rate":
        warnings.warn(
            "vmlab.figures.migration.precopy_rate is deprecated: use vmlab.migration.rates.precopy_rate_mib_s",
            DeprecationWarning,
            stacklevel=2,
        )
        from vmlab.migration.rates import precopy_rate_mib_s

        return precopy_rate_mib_s
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
