"""The example grids in notebooks/sweeps/ are valid for the notebooks they name (no kernel runs)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from vmlab.sweep import load_grid, plan_sweep

SWEEPS = Path(__file__).resolve().parents[1] / "notebooks" / "sweeps"
GRIDS = sorted(SWEEPS.glob("*.yaml"))
EXPECTED = {  # the example grids shipped in notebooks/sweeps, and what they sweep
    "01_live_migration.yaml": {"DIRTY_RATE_MIB_S", "BANDWIDTH_MIB_S"},
    "11_autoscaling_thresholds.yaml": {"SCALE_OUT_ABOVE", "COOLDOWN_S"},
}


def test_the_example_grids_exist():
    assert set(EXPECTED) <= {g.name for g in GRIDS}


@pytest.mark.parametrize("grid", GRIDS, ids=[g.name for g in GRIDS])
def test_example_grid_matches_its_notebooks_parameters(grid):
    spec = load_grid(grid)
    assert spec.notebook is not None, f"{grid.name} must say which notebook it is for (notebook: ../NN_name.ipynb)"
    assert spec.description, f"{grid.name} needs a description (it heads the report)"
    if not spec.notebook.exists():
        pytest.skip(f"{spec.notebook.name} does not exist yet")
    plan = plan_sweep(spec.notebook, grid)  # raises GridError on any unknown name or wrong type
    assert plan.warnings == []
    assert len(plan.cases) >= 2 and len({c.case_id for c in plan.cases}) == len(plan.cases)
    if grid.name in EXPECTED:
        assert set(plan.varying) == EXPECTED[grid.name]
    # the metrics the report draws are results the notebook publishes
    import nbformat

    nb = nbformat.read(str(spec.notebook), as_version=4)
    results = "".join(c.source for c in nb.cells if "results" in c.metadata.get("tags", []))
    for metric in spec.metrics:
        assert re.search(rf"\b{metric}\s*=", results), f"{grid.name}: {spec.notebook.name} does not publish {metric!r}"
