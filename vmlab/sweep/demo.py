"""A tiny notebook to try ``vmlab sweep`` on in seconds (the instructor guide and the benchmark use it).

It has the shape of a workbook notebook (a ``parameters`` cell, a ``results`` cell) but computes
only the time to copy a VM's memory over a link, ``t = memory / bandwidth``, and fails on
purpose, with a clear ``ValueError``, when the bandwidth is not positive.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["write_demo_notebook"]

_PARAMETERS = """\
MEMORY_MIB: float = 1024.0  # guest memory to copy, MiB
BANDWIDTH_MIB_S: float = 119.2  # link rate, MiB/s (1 Gbit/s); zero or less fails on purpose
"""

_COMPUTE = """\
if BANDWIDTH_MIB_S <= 0:
    raise ValueError(f"BANDWIDTH_MIB_S must be > 0 MiB/s, got {BANDWIDTH_MIB_S}")
copy_time_s = MEMORY_MIB / BANDWIDTH_MIB_S
print(f"copying {MEMORY_MIB:.0f} MiB at {BANDWIDTH_MIB_S:.1f} MiB/s takes {copy_time_s:.2f} s")
"""

_RESULTS = "publish_results(copy_time_s=copy_time_s, under_10_s=copy_time_s < 10.0)"


def write_demo_notebook(path: str | Path) -> Path:
    """Write the demo notebook to ``path`` (a ``.ipynb`` file); return the path.

    >>> import tempfile, papermill
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     nb = write_demo_notebook(Path(tmp) / "demo.ipynb")
    ...     sorted(papermill.inspect_notebook(str(nb)))
    ['BANDWIDTH_MIB_S', 'MEMORY_MIB']
    """
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    nb = new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [
        new_markdown_cell("# Sweep demo: copy time\n\nThe time to copy a VM's memory over a link, "
                          "`t = memory / bandwidth` (s = MiB / (MiB/s))."),
        new_code_cell(_PARAMETERS, metadata={"tags": ["parameters"]}),
        new_code_cell("from vmlab.results import publish_results"),
        new_code_cell(_COMPUTE),
        new_code_cell(_RESULTS, metadata={"tags": ["results"]}),
    ]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path
