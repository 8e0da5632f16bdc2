"""Which notebooks the browser tests cover: every explorer notebook, found by its tagged cell.

Any ``notebooks/NN_*.ipynb`` with a code cell tagged ``explorer`` is picked up automatically,
or, while there are none, the small fixture notebook that keeps the machinery itself tested.
"""

from __future__ import annotations

from pathlib import Path

from tests.browser import harness

# The fixture notebook stands in only while the workbook has no explorer notebook of its own
# (it kept the harness tested before they existed); every real one costs ~30 s per browser.
EXPLORERS = harness.explorer_notebooks() or [harness.FIXTURE_NOTEBOOK]
IDS = [Path(name).stem for name in EXPLORERS]
