"""Figures of a gradebook: how hard each exercise was for the class.

Takes the table of :func:`vmlab.grading.gradebook.exercise_difficulty` (one row per exercise:
``exercise``, ``notebook``, ``submissions``, ``right``, ``share_right``) and returns a
``plotly.graph_objects.Figure``.

>>> import pandas as pd
>>> table = pd.DataFrame({"exercise": ["2a", "2b"], "notebook": ["02_x", "02_x"], "submissions": [20, 20],
...                       "right": [15, 5], "share_right": [0.75, 0.25]})
>>> fig = difficulty_figure(table)
>>> list(fig.data[0].x), [round(v, 2) for v in fig.data[0].y]
(['2a', '2b'], [75.0, 25.0])
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

__all__ = ["difficulty_figure"]

_COLOURS = ("#0969da", "#1a7f37", "#9a6700", "#8250df", "#cf222e", "#57606a")


def difficulty_figure(difficulty: pd.DataFrame, *, title: str = "Share of the class right, per exercise") -> go.Figure:
    """Bars: the percentage of graded submissions that got each exercise fully right, one colour per notebook.

    A dashed line at 50 % marks the exercises most of the class missed: the ones to go over again.
    """
    missing = {"exercise", "notebook", "share_right", "right", "submissions"} - set(difficulty.columns)
    if missing:
        raise ValueError(f"difficulty_figure needs the columns of exercise_difficulty(); missing {sorted(missing)}")
    fig = go.Figure()
    for i, (notebook, rows) in enumerate(difficulty.groupby("notebook", sort=False)):
        fig.add_bar(
            x=list(rows["exercise"]), y=list(100 * rows["share_right"]), name=str(notebook),
            marker_color=_COLOURS[i % len(_COLOURS)],
            text=[f"{100 * s:.0f} %" for s in rows["share_right"]], textposition="outside",
            customdata=list(zip(rows["right"], rows["submissions"])),
            hovertemplate="exercise %{x}: %{customdata[0]} of %{customdata[1]} right<extra>%{fullData.name}</extra>",
        )
    fig.add_hline(y=50, line_dash="dash", line_color="#57606a", annotation_text="half the class",
                  annotation_position="top left")
    fig.update_layout(title=title, xaxis_title="exercise", yaxis_title="right (%)", yaxis_range=[0, 110],
                      legend_title_text="notebook", template="plotly_white", bargap=0.3)
    fig.update_xaxes(type="category")
    return fig
