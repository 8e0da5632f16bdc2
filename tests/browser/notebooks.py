"""Which notebooks the browser tests cover: every explorer notebook, found by its tagged cell.

Any ``notebooks/NN_*.ipynb`` with a code cell tagged ``explorer`` is picked up automatically,
plus the small fixture notebook that keeps the machinery itself tested.
"""

from __future__ import annotations

from pathlib import Path

from tests.browser import harness

EXPLORERS = [harness.FIXTURE_NOTEBOOK, *harness.explorer_notebooks()]
IDS = [Path(name).stem for name in EXPLORERS]
