"""Run one sweep case: papermill in a fresh kernel, no widget state, results read back.

:func:`run_case` is what a local worker process or a Dask worker calls. It takes the notebook's
JSON text (not a path), so a Dask worker on another machine needs ``vmlab`` installed but not
the workbook files; it returns the executed notebook's JSON text for the caller to store. The
notebook runs in ``cwd`` (the notebook's folder, so ``../data/`` works) when that folder exists
on the worker, else in a temporary folder.
"""

from __future__ import annotations

import json
import os
import socket
import tempfile
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

__all__ = ["WIDGET_MIMES", "run_case", "strip_widget_state"]

WIDGET_MIMES = (
    "application/vnd.jupyter.widget-view+json",
    "application/vnd.jupyter.widget-state+json",
)
"""Output MIME types that only make sense with stored widget state; dropped from sweep runs."""


def strip_widget_state(nb: Any) -> Any:
    """Remove ``metadata.widgets`` and widget-view outputs from a notebook (in place; returned).

    A ``FigureWidget`` otherwise stores its whole figure (megabytes) per executed notebook. The
    plain-text fallback of a widget output is kept.

    >>> nb = {"metadata": {"widgets": {"state": {}}}, "cells": [{"cell_type": "code", "outputs": [
    ...     {"output_type": "display_data", "data": {"text/plain": "IntSlider(value=3)",
    ...      "application/vnd.jupyter.widget-view+json": {"model_id": "x"}}}]}]}
    >>> strip_widget_state(nb)["metadata"], nb["cells"][0]["outputs"][0]["data"]
    ({}, {'text/plain': 'IntSlider(value=3)'})
    """
    nb["metadata"].pop("widgets", None)
    for cell in nb["cells"]:
        outputs = cell.get("outputs")
        if not outputs:
            continue
        kept = []
        for output in outputs:
            data = output.get("data")
            if data:
                for mime in WIDGET_MIMES:
                    data.pop(mime, None)
                if not data:
                    continue
            kept.append(output)
        cell["outputs"] = kept
    return nb


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def run_case(task: dict[str, Any]) -> dict[str, Any]:
    """Execute one case; never raises for a notebook error (that is a ``failed`` record).

    Parameters
    ----------
    task : dict
        ``case_id``, ``parameters``, ``notebook_json`` (the notebook's text), ``notebook_name``,
        ``cwd`` (folder to run in, if it exists here), ``kernel_name`` (or None for the
        notebook's own), ``timeout`` (seconds per cell, or None), ``expect_results`` (the
        notebook has a ``results`` cell, so a run that publishes nothing is a failure).
        Optional: ``env`` (environment variables for the kernel, e.g. an exercise bank folder;
        set in this process, which the kernel inherits) and ``notebook_timeout`` (seconds for
        the whole notebook: each cell gets what is left, so a notebook of many slow cells fails
        as surely as one endless loop). ``vmlab grade`` uses both.

    Returns
    -------
    dict
        The case record (``status`` ``"ok"`` or ``"failed"``, ``results``, ``error``,
        ``traceback``, ``duration_s``, ...) plus ``executed_json``, the executed notebook text
        (None if the kernel never started).
    """
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    from vmlab.results import read_results

    started_at = _now()
    start = time.perf_counter()
    status, error, tb, results = "ok", "", "", {}
    executed = None
    env = dict(task.get("env") or {})
    saved_env = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    engine_options: dict[str, Any] = {}
    budget = task.get("notebook_timeout")
    if budget:
        deadline = time.monotonic() + budget
        # nbclient asks for each cell's limit just before running it (``timeout_func``)
        engine_options["timeout_func"] = lambda _cell: max(1, int(deadline - time.monotonic() + 0.999))
    with tempfile.TemporaryDirectory(prefix="vmlab-case-") as tmp:
        source = Path(tmp) / task["notebook_name"]
        source.write_text(task["notebook_json"], encoding="utf-8")
        output = Path(tmp) / f"executed-{task['notebook_name']}"
        cwd = task.get("cwd")
        cwd = cwd if cwd and os.path.isdir(cwd) else tmp
        try:
            pm.execute_notebook(
                str(source),
                str(output),
                parameters=task["parameters"],
                kernel_name=task.get("kernel_name"),
                cwd=cwd,
                progress_bar=False,
                log_output=False,
                request_save_on_cell_execute=False,
                execution_timeout=task.get("timeout"),
                # nbclient options: keep widget state out, do not wait for a graceful shutdown
                store_widget_state=False,
                shutdown_kernel="immediate",
                **engine_options,
            )
        except PapermillExecutionError as exc:
            status = "failed"
            error = f"{exc.ename}: {exc.evalue} (cell [{exc.exec_count}])".strip()
            tb = "\n".join(exc.traceback) if exc.traceback else str(exc)
        except Exception as exc:  # kernel died, timeout, missing kernel: the case failed
            status = "failed"
            error = f"{type(exc).__name__}: {exc}".strip().splitlines()[0][:500]
            tb = traceback.format_exc()
        if output.exists():
            nb = nbformat.read(str(output), as_version=4)
            strip_widget_state(nb)
            nb.metadata.get("papermill", {}).update(
                {"input_path": task["notebook_name"], "output_path": f"{task['case_id']}.ipynb"}
            )
            if status == "ok":
                try:
                    results = read_results(nb)
                except LookupError as exc:
                    if task.get("expect_results", True):
                        status, error = "failed", f"the notebook ran but published no results: {exc}"
            executed = nbformat.writes(nb)
    for name, value in saved_env.items():  # a worker runs many tasks: leave its environment as it was
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    return {
        "case_id": task["case_id"],
        "parameters": task["parameters"],
        "status": status,
        "results": results,
        "error": _one_line(error),
        "traceback": _strip_ansi(tb),
        "duration_s": round(time.perf_counter() - start, 3),
        "started_at": started_at,
        "finished_at": _now(),
        "host": socket.gethostname(),
        "pid": os.getpid(),
        "executed_json": executed,
    }


def _one_line(text: str) -> str:
    text = _strip_ansi(text)
    return " ".join(text.split())[:1000]


def _strip_ansi(text: str) -> str:
    import re

    return re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text or "")


def record_json(record: dict[str, Any]) -> str:
    """The JSON text stored as ``runs/<case-id>.json`` (the record without the notebook text)."""
    return json.dumps({k: v for k, v in record.items() if k != "executed_json"}, indent=2, sort_keys=False)
