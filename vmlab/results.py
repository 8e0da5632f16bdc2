"""The ``results`` cell convention every notebook follows.

Each notebook ends its main narrative with one code cell tagged ``results`` that calls
:func:`publish_results` with the notebook's headline numbers. The call outputs them under a
MIME type of its own (``application/vnd.vmlab.results+json``) that JupyterLab, Voila and
nbconvert do not render, and the cell's input is hidden (``metadata.jupyter.source_hidden``):
a student sees nothing of it, while a papermill run of the notebook carries the results inside
the executed ``.ipynb`` and ``vmlab sweep`` collects them into one table without scraping text.
:func:`read_results` is the reader side (it also reads the ``application/json`` outputs of
notebooks executed by older versions).

Examples
--------
>>> values = results_payload(downtime_ms=312.456, converged=True, n_rounds=4)
>>> values["downtime_ms"], values["converged"], values["n_rounds"]
(312.456, True, 4)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["RESULTS_TAG", "RESULTS_MIME", "publish_results", "results_payload", "read_results"]

RESULTS_TAG = "results"
"""Cell tag of the cell that publishes a notebook's headline results."""
RESULTS_MIME = "application/vnd.vmlab.results+json"
"""Output MIME type that carries the results (no front end renders it: invisible to students)."""
_OLD_MIMES = ("application/json",)  # what earlier versions published
_MARKER = "vmlab-results"


def _plain(name: str, value: Any) -> Any:
    """Turn numpy scalars and friends into JSON-safe Python values."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if hasattr(value, "item") and not isinstance(value, (list, tuple, dict)):
        value = value.item()  # numpy scalar
        if isinstance(value, bool):
            return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        number = float(value)
        return None if math.isnan(number) or math.isinf(number) else number
    raise TypeError(
        f"result {name!r} must be a number, bool, str or None to go into results.csv; "
        f"got {value!r} of type {type(value).__name__}"
    )


def results_payload(**values: Any) -> dict[str, Any]:
    """Return the JSON-safe dict that :func:`publish_results` displays.

    NaN and infinity become ``None`` (JSON has neither); anything that is not a scalar raises a
    ``TypeError`` naming the result.
    """
    if not values:
        raise ValueError("publish_results needs at least one named result, e.g. downtime_ms=...")
    return {name: _plain(name, value) for name, value in values.items()}


def publish_results(**values: Any) -> None:
    """Display the notebook's headline results for ``vmlab sweep`` to collect.

    Call it once, in the cell tagged ``results``::

        publish_results(downtime_ms=r.downtime_ms, total_time_s=r.total_time_s)

    Returns ``None`` (so the cell shows nothing); :func:`results_payload` gives the same dict.
    """
    from IPython.display import display  # imported here: models never need IPython

    payload = results_payload(**values)
    display(
        {RESULTS_MIME: payload},  # no text/plain or text/html: nothing for a student to see
        raw=True,
        # the notebook file stores JSON with sorted keys: keep the published order here
        metadata={RESULTS_MIME: {_MARKER: True, "order": list(payload)}},
    )


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def read_results(notebook: str | Path | Mapping[str, Any]) -> dict[str, Any]:
    """Read the published results from an executed notebook (a path or a parsed notebook).

    Raises ``LookupError`` when the notebook has no executed cell tagged ``results``.
    """
    if isinstance(notebook, (str, Path)):
        import nbformat

        nb = nbformat.read(str(notebook), as_version=4)
    else:
        nb = notebook
    found_tag = False
    for cell in nb["cells"]:
        tags = cell.get("metadata", {}).get("tags", [])
        if cell.get("cell_type") != "code" or RESULTS_TAG not in tags:
            continue
        found_tag = True
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            mime = next((m for m in (RESULTS_MIME, *_OLD_MIMES) if m in data), None)
            if mime is not None:
                payload = data[mime]
                payload = dict(payload) if isinstance(payload, Mapping) else dict(_json_loads(payload))
                order = output.get("metadata", {}).get(mime, {}).get("order") or []
                ordered = {k: payload[k] for k in order if k in payload}
                return {**ordered, **payload}
    if found_tag:
        raise LookupError("the cell tagged 'results' has no published results (did it run?)")
    raise LookupError("the notebook has no cell tagged 'results'")


def _json_loads(text: str) -> Any:
    import json

    return json.loads(text)
