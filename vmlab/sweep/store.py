"""The sweep folder ``DIR``: what is written where, atomically, and how it is read back.

::

    DIR/sweep.json            the manifest: notebook (and a hash of its cells), the cases
    DIR/runs/<case-id>.ipynb  each executed notebook (no widget state)
    DIR/runs/<case-id>.json   each case's record, written last: a case is done when it exists
    DIR/results.csv           one row per finished case, rebuilt from the records
    DIR/logs/                 kernel and worker messages of local workers
    DIR/report.html           written by ``vmlab report DIR``

Every file is written to a temporary name and renamed into place, so a sweep killed at any
moment leaves either the old file or the new one, never half of one.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

__all__ = [
    "MANIFEST",
    "RESULTS_CSV",
    "RUNS",
    "OWNED",
    "SweepError",
    "atomic_write",
    "notebook_fingerprint",
    "read_manifest",
    "read_records",
    "results_table",
    "read_sweep",
]

MANIFEST = "sweep.json"
RESULTS_CSV = "results.csv"
RUNS = "runs"
LOGS = "logs"
REPORT = "report.html"
OWNED = (MANIFEST, RESULTS_CSV, RUNS, LOGS, REPORT)
"""The names a sweep writes in DIR (and the only ones ``--force`` removes)."""
FIXED_COLUMNS = ("case_id", "status", "duration_s", "error")


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


_UMASK = _current_umask()


class SweepError(RuntimeError):
    """The sweep cannot start or go on (DIR in use, notebook changed, cluster unreachable...)."""


def atomic_write(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600; give the file the usual permissions
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def notebook_fingerprint(nb: Mapping[str, Any]) -> str:
    """SHA-256 of the notebook's cell types and sources (metadata and outputs do not count).

    >>> a = {"cells": [{"cell_type": "code", "source": "x = 1", "outputs": []}], "metadata": {}}
    >>> b = {"cells": [{"cell_type": "code", "source": "x = 1", "outputs": ["?"]}], "metadata": {"k": 1}}
    >>> notebook_fingerprint(a) == notebook_fingerprint(b)
    True
    """
    digest = hashlib.sha256()
    for cell in nb["cells"]:
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(source)
        digest.update(json.dumps([cell.get("cell_type"), source]).encode())
    return digest.hexdigest()


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def read_manifest(out: Path) -> dict[str, Any] | None:
    """The sweep manifest in ``out``, or None when there is none."""
    path = Path(out) / MANIFEST
    if not path.exists():
        return None
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SweepError(f"{path} is not a readable sweep manifest: {exc}") from exc
    if not isinstance(manifest, dict) or "cases" not in manifest:
        raise SweepError(f"{path} is not a vmlab sweep manifest")
    return manifest


def read_records(out: Path, case_ids: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
    """Finished case records in ``out/runs`` (case id -> record); unreadable ones are skipped."""
    runs = Path(out) / RUNS
    records: dict[str, dict[str, Any]] = {}
    if not runs.is_dir():
        return records
    paths = [runs / f"{cid}.json" for cid in case_ids] if case_ids is not None else sorted(runs.glob("*.json"))
    for path in paths:
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(record, dict) and record.get("status") in ("ok", "failed") and "case_id" in record:
            records[record["case_id"]] = record
    return records


def results_table(
    cases: list[Mapping[str, Any]], records: Mapping[str, Mapping[str, Any]]
) -> "pandas.DataFrame":  # noqa: F821 - pandas imported lazily
    """One row per finished case, in case order: case_id, parameters, results, status, duration_s, error.

    A result whose name clashes with a parameter or a fixed column is prefixed ``result_``.
    The column roles are kept in ``table.attrs["parameters"]`` and ``table.attrs["results"]``.
    """
    import pandas as pd

    param_names: list[str] = []
    for case in cases:
        for name in case["parameters"]:
            if name not in param_names:
                param_names.append(name)
    result_names: list[str] = []
    rows = []
    for case in cases:
        record = records.get(case["case_id"])
        if record is None:
            continue
        row: dict[str, Any] = {"case_id": case["case_id"], **record.get("parameters", case["parameters"])}
        for name, value in (record.get("results") or {}).items():
            column = f"result_{name}" if name in param_names or name in FIXED_COLUMNS else name
            if column not in result_names:
                result_names.append(column)
            row[column] = value
        row.update(status=record["status"], duration_s=record.get("duration_s"), error=record.get("error") or "")
        rows.append(row)
    columns = ["case_id", *param_names, *result_names, "status", "duration_s", "error"]
    table = pd.DataFrame(rows, columns=columns)
    table.attrs["parameters"] = param_names
    table.attrs["results"] = result_names
    return table


def write_results_csv(out: Path, table: "pandas.DataFrame") -> Path:  # noqa: F821
    """Write ``results.csv`` atomically; return its path."""
    path = Path(out) / RESULTS_CSV
    atomic_write(path, table.to_csv(index=False))
    return path


def read_sweep(out: str | Path) -> "pandas.DataFrame":  # noqa: F821
    """The results table of a sweep folder, rebuilt from its case records (finished cases only).

    ``table.attrs`` carries ``parameters`` (every parameter set by the sweep), ``varying``
    (those that differ between cases), ``results``, ``metrics`` (the grid's choice for the
    report), ``notebook``, ``description`` and ``n_cases`` (cases planned, finished or not).
    """
    out = Path(out)
    manifest = read_manifest(out)
    if manifest is None:
        raise SweepError(f"{out} holds no sweep ({MANIFEST} not found); run `vmlab sweep ... --out {out}` first")
    cases = manifest["cases"]
    table = results_table(cases, read_records(out, [c["case_id"] for c in cases]))
    table.attrs["varying"] = [n for n in manifest.get("varying", table.attrs["parameters"]) if n in table.columns]
    table.attrs["notebook"] = manifest.get("notebook_name", "")
    table.attrs["n_cases"] = len(cases)
    table.attrs["description"] = manifest.get("description", "")
    table.attrs["metrics"] = list(manifest.get("metrics") or [])
    return table


def clear_owned(out: Path) -> None:
    """Remove what a previous sweep wrote in ``out`` (only the names in :data:`OWNED`)."""
    for name in OWNED:
        path = Path(out) / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def write_manifest(out: Path, manifest: dict[str, Any]) -> None:
    manifest = {**manifest, "updated_at": _now()}
    manifest.setdefault("created_at", manifest["updated_at"])
    atomic_write(Path(out) / MANIFEST, json.dumps(manifest, indent=2))
