"""Parameter sweeps over workbook notebooks: ``vmlab sweep`` and ``vmlab report``.

An instructor runs one notebook over a grid of parameters (papermill, one fresh kernel per
case) and gets one executed notebook per case plus one tidy table::

    vmlab sweep notebooks/01_live_migration.ipynb --grid notebooks/sweeps/01_live_migration.yaml \\
        --out sweep-out/live --workers 2
    vmlab report sweep-out/live        # -> sweep-out/live/report.html

The same from Python: :func:`run_sweep`, :func:`read_sweep`, :func:`write_report`. Grids are
described in :mod:`vmlab.sweep.grid`, the folder layout in :mod:`vmlab.sweep.store`.
Heavy imports (papermill, Dask, plotly) happen only when a sweep or a report runs.
"""

from vmlab.sweep.demo import write_demo_notebook
from vmlab.sweep.grid import Case, Grid, GridError, ParameterSpec, load_grid, notebook_parameters
from vmlab.sweep.report import write_report
from vmlab.sweep.runner import SweepPlan, SweepSummary, plan_sweep, run_sweep
from vmlab.sweep.store import SweepError, read_sweep

__all__ = [
    "Case",
    "Grid",
    "GridError",
    "ParameterSpec",
    "SweepError",
    "SweepPlan",
    "SweepSummary",
    "load_grid",
    "notebook_parameters",
    "plan_sweep",
    "read_sweep",
    "run_sweep",
    "write_demo_notebook",
    "write_report",
]
