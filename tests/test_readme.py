"""The README stays true: its Python examples run, its map lists every notebook with its own time and track."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_readme_python_examples_run():
    blocks = re.findall(r"```python\n(.*?)```", README, re.S)
    assert len(blocks) >= 2, "the README lost its package examples"
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 - our own README


def _stated(path: Path) -> tuple[str, str]:
    nb = nbformat.read(str(path), as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    m = re.search(r"\*\*Time to learn:\*\*\s*(\d+)[^·\n]*·\s*\*\*Track:\*\*\s*(\w+)", text)
    assert m, f"{path.name}: no 'Time to learn ... Track' line"
    return m.group(1), m.group(2)


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")), ids=lambda p: p.stem)
def test_readme_map_matches_the_notebook(path):
    rows = {m.group(1): m for m in re.finditer(r"^\| `(\d\d_[a-z0-9_]+)` \| (\w+) \| (\d+) min \|", README, re.M)}
    assert path.stem in rows, f"the README's map does not list {path.stem}"
    minutes, track = _stated(path)
    row = rows[path.stem]
    assert row.group(3) == minutes, f"{path.stem}: README says {row.group(3)} min, the notebook {minutes}"
    expected_track = "instructors" if path.stem.startswith("9") else track
    assert row.group(2) == expected_track, f"{path.stem}: README says {row.group(2)}, the notebook {track}"
