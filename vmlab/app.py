"""Serve the workbook's explorers as Voila apps (``make app``).

``python -m vmlab.app`` builds a small *site* folder and serves it with Voila on localhost::

    build/app/
      notebooks/
        index.ipynb              generated landing page: one link per app
        01_live_migration.ipynb  -> ../../../notebooks/01_live_migration.ipynb (symlink)
        ...                      every numbered notebook with a cell tagged ``explorer``
      data -> ../../data         so the notebooks' ``../data/`` paths work unchanged

Voila renders each notebook without its code: the static figures, the text and the live
explorer.  The landing page is ``/voila/render/index.ipynb``; Voila's own file list
(``/voila/tree``) shows the same few files.  The site is rebuilt on every start, so it always
matches ``notebooks/``; the symlinks mean an edited notebook shows up on the next page load.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

import nbformat

EXPLORER_TAG = "explorer"
INDEX_NAME = "index.ipynb"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8866


def has_explorer(path: Path | str) -> bool:
    """True when the notebook at ``path`` has a code cell tagged ``explorer``."""
    nb = nbformat.read(str(path), as_version=4)
    return any(
        cell.cell_type == "code" and EXPLORER_TAG in cell.get("metadata", {}).get("tags", [])
        for cell in nb.cells
    )


def explorer_notebooks(folder: Path | str) -> list[Path]:
    """The numbered notebooks (``NN_*.ipynb``) in ``folder`` that display an explorer, sorted."""
    return sorted(p for p in Path(folder).glob("[0-9][0-9]_*.ipynb") if has_explorer(p))


def notebook_title(nb: nbformat.NotebookNode, fallback: str = "") -> str:
    """The text of the first ``# `` heading of the notebook's markdown, or ``fallback``.

    Examples
    --------
    >>> from nbformat.v4 import new_notebook, new_markdown_cell
    >>> notebook_title(new_notebook(cells=[new_markdown_cell("# 01 · Live migration\\n\\nText")]))
    '01 · Live migration'
    >>> notebook_title(new_notebook(), fallback="01_live_migration")
    '01_live_migration'
    """
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            if line.startswith("# "):
                return line[2:].strip()
    return fallback


def app_url(host: str, port: int, name: str = INDEX_NAME) -> str:
    """The Voila URL of the app (notebook file ``name``) served at ``host:port``.

    Examples
    --------
    >>> app_url("127.0.0.1", 8866, "01_live_migration.ipynb")
    'http://127.0.0.1:8866/voila/render/01_live_migration.ipynb'
    """
    return f"http://{host}:{port}/voila/render/{name}"


def index_notebook(apps: list[tuple[str, str]]) -> nbformat.NotebookNode:
    """The landing page: a markdown-only notebook linking each ``(file name, title)`` app."""
    from nbformat.v4 import new_markdown_cell, new_notebook

    if apps:
        items = "\n".join(f"- [{title}]({name})" for name, title in apps)
    else:
        items = "_No explorer notebooks yet: a notebook becomes an app once it has a cell tagged `explorer`._"
    text = (
        "# vmlab apps\n\n"
        "The workbook's explorers, served without their code: move the sliders and watch the "
        "figures respond. Each app runs its notebook from the top in a fresh kernel, so the first "
        "load takes a few seconds.\n\n"
        f"{items}\n\n"
        "For the code, the explanations and the exercises, open the same notebooks in JupyterLab "
        "(`make lab`)."
    )
    return new_notebook(
        cells=[new_markdown_cell(text)],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}},
    )


def _place(src: Path, dest: Path, link: bool) -> None:
    if link:
        try:
            dest.symlink_to(os.path.relpath(src.resolve(), dest.parent.resolve()), target_is_directory=src.is_dir())
            return
        except OSError:  # no symlinks (some Windows set-ups): fall back to a copy
            pass
    if src.is_dir():
        shutil.copytree(src, dest)
    else:
        shutil.copy2(src, dest)


def build_site(
    site: Path | str,
    notebooks: Path | str = "notebooks",
    data: Path | str | None = "data",
    extra: list[Path] | None = None,
    link: bool = True,
) -> list[tuple[str, str]]:
    """(Re)build the app folder ``site``; return the ``(file name, title)`` of each app.

    Parameters
    ----------
    site : folder to (re)create; everything in it is replaced.
    notebooks : the workbook's notebooks folder; its explorer notebooks become apps.
    data : the data folder the notebooks read as ``../data/`` (skipped when missing or None).
    extra : further notebooks to serve as apps (the browser tests add their fixture).
    link : symlink the notebooks and data (edits show up live); False copies them.
    """
    site = Path(site)
    if site.exists() or site.is_symlink():
        shutil.rmtree(site)
    (site / "notebooks").mkdir(parents=True)
    sources = explorer_notebooks(notebooks) + [Path(p) for p in (extra or [])]
    apps = []
    for src in sources:
        _place(src, site / "notebooks" / src.name, link)
        apps.append((src.name, notebook_title(nbformat.read(str(src), as_version=4), fallback=src.stem)))
    nbformat.write(index_notebook(apps), str(site / "notebooks" / INDEX_NAME))
    if data is not None and Path(data).is_dir():
        _place(Path(data), site / "data", link)
    return apps


def voila_argv(site: Path | str, host: str, port: int) -> list[str]:
    """The command that serves ``site`` with Voila on ``host:port`` (no browser is opened).

    Progressive rendering: each cell's outputs reach the page as the cell finishes, held in
    JupyterLab's output models.  Without it, Voila renders the outputs stored in the page from
    plain JSON objects, and the static plotly figures' renderer (jupyterlab-plotly), which caches
    a PNG snapshot of each figure with ``model.setData()`` after drawing it, throws
    ``t.setData is not a function`` once per figure.

    Examples
    --------
    >>> voila_argv("build/app", "127.0.0.1", 8866)[3:]
    ['build/app/notebooks', '--no-browser', '--Voila.ip=127.0.0.1', '--Voila.port=8866', '--VoilaConfiguration.progressive_rendering=True']
    """
    return [
        sys.executable, "-m", "voila", str(Path(site) / "notebooks"),
        "--no-browser", f"--Voila.ip={host}", f"--Voila.port={port}",
        "--VoilaConfiguration.progressive_rendering=True",
    ]


def main(argv: list[str] | None = None) -> None:
    """Build the site and replace this process with Voila (``make app``)."""
    parser = argparse.ArgumentParser(prog="python -m vmlab.app", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=DEFAULT_HOST, help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (default: %(default)s)")
    parser.add_argument("--notebooks", default="notebooks", help="the workbook's notebooks folder")
    parser.add_argument("--data", default="data", help="the data folder the notebooks read")
    parser.add_argument("--site", default="build/app", help="folder to build the app site in (replaced)")
    parser.add_argument("--build-only", action="store_true", help="build the site, print the URLs, do not serve")
    args = parser.parse_args(argv)

    apps = build_site(args.site, notebooks=args.notebooks, data=args.data)
    print(f"vmlab apps ({len(apps)}), served by Voila from {args.site}/notebooks:")
    for name, title in apps:
        print(f"  {title:<48} {app_url(args.host, args.port, name)}")
    print(f"\nOpen the landing page: {app_url(args.host, args.port)}  (Ctrl+C stops the server)\n", flush=True)
    if args.build_only:
        return
    cmd = voila_argv(args.site, args.host, args.port)
    os.execv(cmd[0], cmd)


if __name__ == "__main__":
    main()
