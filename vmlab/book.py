"""``make book`` / ``vmlab book``: the workbook as a static HTML site, the way QuantEcon and Project Pythia publish.

The notebooks are executed (papermill in fresh kernels, in parallel, as ``vmlab sweep`` runs
them) and rendered with Sphinx, MyST-NB and ``sphinx-book-theme``: the engine of Jupyter Book 1,
which QuantEcon's lectures and Project Pythia's cookbooks are built with. Everything comes from
PyPI packages and builds offline: no theme or template is downloaded at build time (the one
network call of the theme, a version-switcher JSON, is not configured; ``tests/test_book.py``
builds with the network blocked). Jupyter Book 2 was not used: it builds with the ``mystmd``
Node tool, which downloads its theme when it first builds.

Each page:

* shows the executed notebook; every plotly figure stays interactive (zoom, hover), drawn by
  one local copy of ``plotly.min.js`` (from the plotly package) for the whole site, and formulas
  are typeset by a local MathJax 2.7 (from the ``jupyter-server-mathjax`` package), so a page
  reads offline;
* shows an explorer (the cell tagged ``explorer``) as its figure for the notebook's
  parameters, with a note that the sliders need a running kernel;
* starts with a launch note: how to run the notebook yourself (``make lab``);
* hides what students never see (the ``results`` cell, hidden inputs such as solution cells).

The sidebar lists the notebooks by part. Sources: Sphinx (https://www.sphinx-doc.org), MyST-NB
(https://myst-nb.readthedocs.io, ``nb_execution_mode = "off"`` renders stored outputs),
sphinx-book-theme (https://sphinx-book-theme.readthedocs.io).

>>> part_of("02_cold_migration"), part_of("11_autoscaling_thresholds"), part_of("90_instructor_guide")
('Part I · VM migration', 'Part II · Cloud provisioning', 'For instructors')
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["BookError", "BookResult", "build_book", "part_of", "LAUNCH_NOTE"]

PLOTLY_MIME = "application/vnd.plotly.v1+json"
LAUNCH_NOTE = (
    "```{{admonition}} Run this notebook yourself\n:class: tip\n"
    "This page is a static copy of `notebooks/{name}.ipynb` with its outputs. To change its "
    "parameters, answer its exercises and move the explorers' sliders, open it in JupyterLab: in a "
    "copy of the workbook run `make lab`, then open `notebooks/{name}.ipynb` and choose "
    "*Run → Run All Cells*.\n```"
)
EXPLORER_NOTE = (
    "```{note}\nAn explorer: its sliders need a running kernel (`make lab`). Here, its figure for "
    "this notebook's parameters.\n```"
)
_EXPLORER_FIGURE = (
    "import plotly.graph_objects as _vmlab_go\n"
    "_vmlab_go.Figure(_.figure) if hasattr(_, 'figure') else None"
)


class BookError(RuntimeError):
    """The book cannot be built (the 'book' extra is missing, no notebooks, Sphinx failed)."""


@dataclass(frozen=True)
class BookResult:
    """The site's front page, its pages, and the notebooks whose execution failed."""

    index: Path
    pages: list[Path]
    failed: dict[str, str] = field(default_factory=dict)


def part_of(name: str) -> str:
    """The sidebar section of a notebook, from its number."""
    number = int(name[:2]) if name[:2].isdigit() else 99
    if number == 0:
        return "Start here"
    if number < 10:
        return "Part I · VM migration"
    if number < 90:
        return "Part II · Cloud provisioning"
    return "For instructors"


def _require_tools() -> None:
    missing = []
    for module in ("sphinx", "myst_nb", "sphinx_book_theme", "jupyter_server_mathjax"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if missing:
        raise BookError(
            f"the book needs {', '.join(missing)}: install the 'book' extra (pip install -e '.[book]'; "
            "`make book` does it)"
        )


def _prepare(nb) -> Any:
    """The notebook to execute: a figure cell after each explorer (the explorer is ``_`` there)."""
    import nbformat

    cells = []
    for cell in nb.cells:
        cells.append(cell)
        if cell.cell_type == "code" and "explorer" in cell.metadata.get("tags", []):
            tags = list(cell.metadata.get("tags", []))
            cell.metadata["tags"] = [*tags, "remove-output"]
            cells.append(nbformat.v4.new_markdown_cell(EXPLORER_NOTE, id=f"{cell.get('id', 'x')}-note"))
            cells.append(nbformat.v4.new_code_cell(_EXPLORER_FIGURE, id=f"{cell.get('id', 'x')}-figure",
                                                   metadata={"tags": ["remove-input"]}))
    nb.cells = cells
    return nb


def _page(executed, name: str) -> Any:
    """The executed notebook as a page: launch note, plotly as HTML, hidden cells removed."""
    import nbformat
    import plotly.io as pio

    from vmlab.results import RESULTS_TAG

    for cell in executed.cells:
        tags = list(cell.metadata.get("tags", []))
        if cell.cell_type != "code":
            continue
        if RESULTS_TAG in tags:
            tags.append("remove-cell")
        elif cell.metadata.get("jupyter", {}).get("source_hidden"):
            tags.append("remove-input")
        cell.metadata["tags"] = tags
        outputs = []
        for output in cell.get("outputs", []):
            data = output.get("data")
            if data is not None:
                figure = data.pop(PLOTLY_MIME, None)
                if figure is not None:
                    data["text/html"] = pio.to_html(figure, include_plotlyjs=False, full_html=False,
                                                    config={"responsive": True, "displaylogo": False})
                    data.pop("text/plain", None)
                for mime in [m for m in data if m.startswith("application/vnd.vmlab")]:
                    data.pop(mime)
                if not data:
                    continue
            outputs.append(output)
        cell["outputs"] = outputs
    note = LAUNCH_NOTE.format(name=name)
    first = executed.cells[0] if executed.cells else None
    if first is not None and first.cell_type == "markdown" and first.source.lstrip().startswith("# "):
        title, _, rest = first.source.lstrip().partition("\n")
        first.source = f"{title}\n\n{note}\n{rest}"  # right under the title
    else:
        executed.cells.insert(0, nbformat.v4.new_markdown_cell(note, id="vmlab-launch-note"))
    return executed


def _conf(title: str) -> str:
    return f'''# Sphinx configuration written by vmlab.book (rebuilt on every build).
project = {title!r}
html_title = {title!r}
extensions = ["myst_nb"]
html_theme = "sphinx_book_theme"
html_theme_options = {{
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "use_download_button": True,
    "use_fullscreen_button": False,
}}
html_static_path = ["_static"]
html_js_files = ["plotly.min.js"]
# MathJax 2.7 from the jupyter-server-mathjax package, copied into _static: formulas render offline
mathjax_path = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"
mathjax2_config = {{
    "jax": ["input/TeX", "output/HTML-CSS"],
    "HTML-CSS": {{"availableFonts": ["STIX-Web"], "preferredFont": "STIX-Web", "webFont": "STIX-Web", "imageFont": None}},
    # what Sphinx itself configures for MathJax 2: typeset only math nodes and notebook outputs
    "tex2jax": {{"inlineMath": [["\\\\(", "\\\\)"]], "displayMath": [["\\\\[", "\\\\]"]], "processEscapes": True,
                "ignoreClass": "document", "processClass": "math|output_area"}},
}}
nb_execution_mode = "off"          # the notebooks were executed by vmlab.book
nb_output_stderr = "remove"
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3
exclude_patterns = ["_build"]
suppress_warnings = ["mystnb.unknown_mime_type", "myst.xref_missing", "misc.highlighting_failure"]
'''


def _index(title: str, names: Sequence[str]) -> str:
    parts: dict[str, list[str]] = {}
    for name in names:
        parts.setdefault(part_of(name), []).append(name)
    lines = [
        f"# {title}", "",
        "A workbook on VM migration (live pre-copy against cold) and cloud resource provisioning "
        "(self-service, advance reservation, dynamic auto-scaling): notebooks that narrate, draw and "
        "ask, on top of a small Python package that models.", "",
        "These pages are the notebooks run once with their default parameters; the figures are "
        "interactive. To run a notebook yourself, change its parameters and answer its exercises, "
        "clone the workbook and run `make lab` (it installs everything into `.venv` and opens "
        "JupyterLab).", "",
    ]
    for part, members in parts.items():
        lines += ["```{toctree}", f":caption: {part}", ":maxdepth: 1", "", *members, "```", ""]
    return "\n".join(lines)


def build_book(
    notebooks: Sequence[str | Path],
    out: str | Path = "build/book",
    *,
    workers: int = 2,
    timeout: float = 600.0,
    title: str = "vmlab workbook",
    _sphinx_prefix: Sequence[str] = (),
) -> BookResult:
    """Execute ``notebooks`` and build the HTML site into ``out`` (``out/index.html``).

    The Sphinx sources (executed notebooks, ``conf.py``, ``index.md``) go to ``<out>-source``.
    A notebook that fails to execute is still published, up to its error, and listed in
    ``failed``. Raises :class:`BookError` when the 'book' extra is missing or Sphinx fails.
    """
    import jupyter_server_mathjax
    import nbformat
    import plotly

    from vmlab.sweep.runner import run_tasks

    _require_tools()
    paths = sorted((Path(n) for n in notebooks), key=lambda p: p.name)
    if not paths:
        raise BookError("no notebooks to publish")
    for path in paths:
        if not path.is_file():
            raise BookError(f"notebook {str(path)!r} does not exist")
    out = Path(out)
    source = out.with_name(out.name + "-source")
    if source.exists():
        shutil.rmtree(source)
    (source / "_static").mkdir(parents=True)
    shutil.copy(Path(plotly.__file__).parent / "package_data" / "plotly.min.js", source / "_static" / "plotly.min.js")
    shutil.copytree(Path(jupyter_server_mathjax.__file__).parent / "static", source / "_static" / "mathjax")

    tasks = []
    for path in paths:
        nb = _prepare(nbformat.read(str(path), as_version=4))
        tasks.append({
            "case_id": path.stem, "parameters": {}, "notebook_json": nbformat.writes(nb),
            "notebook_name": path.name, "cwd": str(path.resolve().parent),
            "kernel_name": nb.metadata.get("kernelspec", {}).get("name") or "python3",
            "timeout": None, "notebook_timeout": timeout, "expect_results": False,
        })
    failed: dict[str, str] = {}
    backend = run_tasks(tasks, workers=min(workers, len(tasks)), log_dir=source / "_logs")
    try:
        for record in backend:
            name = record["case_id"]
            if record["status"] != "ok":
                failed[name] = record["error"]
            if not record.get("executed_json"):
                continue
            page = _page(nbformat.reads(record["executed_json"], as_version=4), name)
            nbformat.write(page, str(source / f"{name}.ipynb"))
    finally:
        backend.close()
    names = [p.stem for p in paths if (source / f"{p.stem}.ipynb").exists()]
    if not names:
        raise BookError("no notebook could be executed: " + json.dumps(failed))
    (source / "conf.py").write_text(_conf(title), encoding="utf-8")
    (source / "index.md").write_text(_index(title, names), encoding="utf-8")
    shutil.rmtree(source / "_logs", ignore_errors=True)
    command = [*_sphinx_prefix, sys.executable, "-m", "sphinx", "-b", "html", "-q", "-E", str(source), str(out)]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise BookError(f"sphinx-build failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return BookResult(index=out / "index.html", pages=[out / f"{n}.html" for n in names], failed=failed)
