"""Helpers for the notebook tests: run a notebook with papermill and read its results."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import nbformat

from vmlab.results import read_results

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


def notebook_paths() -> list[Path]:
    """Every workbook notebook (numbered ``NN_name.ipynb``), in order."""
    return sorted(p for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def parameters_of(path: Path) -> dict[str, Any]:
    """The notebook's parameters cell, as papermill sees it (name -> default info)."""
    import papermill as pm

    return pm.inspect_notebook(str(path))


def run_notebook(name: str, tmp_path: Path, parameters: dict[str, Any] | None = None, timeout: int = 300) -> dict[str, Any]:
    """Execute ``notebooks/<name>`` with papermill in a fresh kernel; return its published results.

    The notebook runs from a copy of the notebooks folder (so relative paths behave as in the
    workbook) and its executed copy is written under ``tmp_path``.
    """
    import papermill as pm

    source = NOTEBOOKS / name
    out = tmp_path / f"executed_{source.name}"
    env_keep = dict(os.environ)
    try:
        pm.execute_notebook(
            str(source),
            str(out),
            parameters=parameters or {},
            cwd=str(NOTEBOOKS),
            kernel_name="python3",
            progress_bar=False,
            execution_timeout=timeout,
        )
    finally:
        os.environ.clear()
        os.environ.update(env_keep)
    return read_results(out)


def stripped(path: Path) -> bool:
    """True when the notebook stores no outputs, execution counts or widget state."""
    nb = nbformat.read(str(path), as_version=4)
    if "widgets" in nb.metadata:
        return False
    for cell in nb.cells:
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count") is not None):
            return False
    return True


def copy_notebooks(dest: Path) -> Path:
    """Copy the notebooks folder (and data/) for tests that must not touch the real one."""
    shutil.copytree(NOTEBOOKS, dest / "notebooks")
    if (ROOT / "data").exists():
        shutil.copytree(ROOT / "data", dest / "data")
    return dest / "notebooks"
